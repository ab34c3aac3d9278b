"""The case workspace: one service that every page, command and helper uses to change a case.

Why one service: the rules that make a case file usable as evidence (validated identifiers,
times entered in station time but stored in UTC, originals kept verbatim next to their
translations, machine translations labelled until a human reviewed them, evidence re-hashed at
every custody step) and the access rule (minimum necessary data) must hold the same way for the
web, the CLI and the demo generator. Methods validate everything before they touch the session,
so a refused input stores nothing; they flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import langcodes
import pycountry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from accord.cases.models import (
    Case,
    CaseEvent,
    CustodyEvent,
    EvidenceItem,
    IdentityDocument,
    Person,
    Statement,
    Task,
)
from accord.cases.stations import stations
from accord.cases.vocab import (
    CASE_STATUSES,
    CASE_TYPES,
    CUSTODY_ACTIONS,
    DOCUMENT_KINDS,
    EVENT_KINDS,
    PERSON_ROLES,
    STATED_NEEDS,
    TRANSLATION_SOURCES,
)
from accord.core.accounts.models import User
from accord.core.blobs import BlobStore
from accord.core.db import utcnow
from accord.core.errors import AccordError, Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.models import Decision, Review
from accord.core.i18n import M_, N_, NC_, Message, form_field
from accord.core.roles import Role
from accord.core.text import clean_line

#: Codes ICAO Doc 9303 (Part 3) uses in the MRZ that are not ISO 3166-1 alpha-3 country codes:
#: British nationality categories, the EU, UN bodies and agencies, stateless persons and refugees,
#: other international organisations, and "unspecified nationality".
ICAO_EXTRA_CODES: frozenset[str] = frozenset(
    {
        "GBD",
        "GBN",
        "GBO",
        "GBP",
        "GBS",  # British nationality categories
        "EUE",  # European Union
        "UNO",
        "UNA",
        "UNK",  # United Nations, its specialised agencies, UN interim admin. Kosovo
        "XBA",
        "XIM",
        "XCC",
        "XCE",
        "XCO",
        "XDC",
        "XEC",
        "XES",
        "XMP",
        "XOM",
        "XPO",  # organisations
        "XXA",
        "XXB",
        "XXC",
        "XXX",  # stateless, refugee (1951), other refugee, unspecified
    }
)
#: MRZ nationality fields pad short codes with "<"; Germany is the one-letter code "D".
ICAO_SHORT_CODES: dict[str, str] = {"D": "DEU"}

SEXES = ("F", "M", "X", "")
STATEMENT_ORIGINS = ("typed", "transcribed", "written")
STATEMENT_MAX_CHARS = 20_000
FUTURE_TOLERANCE = timedelta(minutes=5)
FINAL_CUSTODY_ACTIONS = frozenset({"destroyed", "returned"})
REFERENCE_PREFIX = "FR"
_REFERENCE = re.compile(r"^FR-(\d{4})-(\d{6})$")


class EvidenceTampered(AccordError):
    """The stored file no longer hashes to the digest recorded at collection."""

    status = 409
    message = N_(
        "Evidence %(label)s: the stored file no longer matches the digest recorded at "
        "collection, so it is not released. Report this to a supervisor."
    )


#: The form fields a refusal names (:func:`accord.core.i18n.form_field`).
FIELD_NAMES = (NC_("form field", "evidence"), NC_("form field", "person"),
               NC_("form field", "statement"), NC_("form field", "task"),
               NC_("form field", "action"), NC_("form field", "assignee_id"),
               NC_("form field", "due_at"), NC_("form field", "case_type"),
               NC_("form field", "contact"), NC_("form field", "corrected"),
               NC_("form field", "date_of_birth"), NC_("form field", "description"),
               NC_("form field", "doc_expiry"), NC_("form field", "doc_issuing_state"),
               NC_("form field", "doc_kind"), NC_("form field", "doc_number"),
               NC_("form field", "expiry"), NC_("form field", "file"),
               NC_("form field", "filename"), NC_("form field", "from_holder"),
               NC_("form field", "full_name"), NC_("form field", "guidance_step"),
               NC_("form field", "interpreter"), NC_("form field", "issuing_state"),
               NC_("form field", "kind"), NC_("form field", "language"),
               NC_("form field", "languages"), NC_("form field", "media_type"),
               NC_("form field", "mrz_decision_id"), NC_("form field", "mrz_verified"),
               NC_("form field", "nationality"), NC_("form field", "note"),
               NC_("form field", "number"), NC_("form field", "occurred_at"),
               NC_("form field", "officer_id"), NC_("form field", "opened_at"),
               NC_("form field", "origin"), NC_("form field", "place"),
               NC_("form field", "reviewer_id"), NC_("form field", "role"),
               NC_("form field", "sex"), NC_("form field", "source_report"),
               NC_("form field", "stated_needs"), NC_("form field", "station"),
               NC_("form field", "station_timezone"), NC_("form field", "status"),
               NC_("form field", "summary"), NC_("form field", "text"), NC_("form field", "title"),
               NC_("form field", "to_holder"), NC_("form field", "translation"),
               NC_("form field", "translation_decision_id"),
               NC_("form field", "translation_language"), NC_("form field", "translation_source"))


def _fail(field: str, problem: Message) -> ValidationFailed:
    """A refusal naming the field first, as every form shows it next to that field."""
    return ValidationFailed(detail=M_("%(field)s: %(problem)s", field=form_field(field),
                                      problem=problem))


def _text(field: str, value: str | None, max_len: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _fail(field, M_("required"))
    if len(value) > max_len:
        raise _fail(field, M_("at most %(max_len)s characters (got %(count)s)",
                              max_len=max_len, count=len(value)))
    return value


def _choice(field: str, value: str, choices: Iterable[str]) -> str:
    options = list(choices)
    if value not in options:
        raise _fail(field, M_("%(value)r is not one of %(names)s",
                              value=value, names=', '.join(o for o in options if o)))
    return value


def _user_id(user: User | int | None) -> int | None:
    if user is None or isinstance(user, int):
        return user
    return user.id


def normalise_state_code(field: str, value: str | None) -> str:
    """An ISO 3166-1 alpha-3 code, or one of ICAO 9303's own codes; "" stays "" (unknown).

    Accepts lower case and MRZ padding (``D<<`` → ``DEU``).
    """
    code = (value or "").strip().upper().rstrip("<")
    if not code:
        return ""
    code = ICAO_SHORT_CODES.get(code, code)
    if code in ICAO_EXTRA_CODES:
        return code
    if len(code) == 3 and code.isalpha() and pycountry.countries.get(alpha_3=code) is not None:
        return code
    raise _fail(
        field,
        M_("%(value)r is not an ISO 3166-1 alpha-3 or ICAO 9303 code (e.g. FRA, DEU, USA; XXA "
           "stateless)", value=value),
    )


def normalise_language_tag(field: str, value: str | None, *, required: bool = True) -> str:
    """A well-formed, valid BCP 47 tag in its standard spelling (``EN-gb`` → ``en-GB``)."""
    tag = (value or "").strip().replace("_", "-")
    if not tag:
        if required:
            raise _fail(field, M_("required (a BCP 47 language tag such as en, fr, zh-Hans)"))
        return ""
    if len(tag) > 16 or not langcodes.tag_is_valid(tag):
        raise _fail(field, M_("%(value)r is not a BCP 47 language tag (e.g. en, fr, ar, zh-Hans)",
                              value=value))
    return str(langcodes.standardize_tag(tag))


def primary_language(tag: str) -> str:
    """The language subtag of a BCP 47 tag (``es-MX`` → ``es``), for pair lookups."""
    return tag.split("-")[0].lower()


#: Guided-interview forms whose id differs from the case type they open.
FORM_CASE_TYPES: dict[str, str] = {"theft-fraud": "theft-victim"}


def may_view_case(case: Case, user_id: int, roles: frozenset[str]) -> bool:
    """Minimum necessary data: supervisors see every case, officers only their own.

    Interpreters, analysts, the DPO, auditors, admins and legal officers get no case pages:
    their work reaches cases through their own, narrower tools. The web pages, the CLI and the
    gateway's object check all ask this one function.
    """
    if Role.SUPERVISOR.value in roles:
        return True
    return (Role.OFFICER.value in roles and case.officer_id is not None
            and case.officer_id == user_id)


class CaseService:
    """Create and change case files. See the module docstring for the rules it keeps."""

    def __init__(self, session: Session, blobs: BlobStore, timezone: str = "Asia/Shanghai") -> None:
        self.session = session
        self.blobs = blobs
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail("station_timezone", M_("%(timezone)r is not an IANA time zone",
                                               timezone=timezone)) from None

    # -- times ----------------------------------------------------------------------------------
    def to_utc(self, field: str, value: datetime) -> datetime:
        """Naive times are wall-clock times at the station; aware ones keep their offset."""
        if not isinstance(value, datetime):
            raise _fail(field, M_("expected a date and time"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(UTC)

    def local(self, value: datetime | None) -> datetime | None:
        """A stored UTC time as station wall-clock time, for display."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.tz)

    # -- access ---------------------------------------------------------------------------------
    @staticmethod
    def can_view(case: Case, user: User) -> bool:
        """The one case access rule (:func:`may_view_case`) for a signed-in user."""
        return may_view_case(case, user.id, frozenset(str(r) for r in user.roles))

    can_edit = can_view

    # -- cases ----------------------------------------------------------------------------------
    def create_case(
        self,
        *,
        case_type: str,
        title: str,
        officer_id: int | None,
        place: str = "",
        summary: str = "",
        opened_at: datetime | None = None,
        source_report: str = "",
        synthetic: bool = False,
        station: str = "",
    ) -> Case:
        case_type = _choice("case_type", (case_type or "").strip(), CASE_TYPES)
        title = _text("title", clean_line(title, "title"), 200, required=True)
        place = _text("place", place, 200)
        summary = _text("summary", summary, 20_000)
        source_report = _text("source_report", source_report, 24)
        station = (station or "").strip()
        if station and station not in stations():
            raise _fail("station", M_("unknown station %(station)r", station=station))
        opened = self.to_utc("opened_at", opened_at) if opened_at is not None else utcnow()
        if opened > utcnow() + FUTURE_TOLERANCE:
            raise _fail("opened_at", M_("is in the future"))
        if officer_id is not None and self.session.get(User, officer_id) is None:
            raise _fail("officer_id", M_("no user with id %(officer_id)s", officer_id=officer_id))
        year = opened.astimezone(self.tz).year
        for _attempt in range(5):
            case = Case(
                reference=self._next_reference(year),
                case_type=case_type,
                title=title,
                place=place,
                summary=summary,
                source_report=source_report,
                station=station,
                synthetic=bool(synthetic),
                officer_id=officer_id,
                opened_at=opened,
                updated_at=utcnow(),
                status="open",
            )
            try:
                with self.session.begin_nested():
                    self.session.add(case)
                    self.session.flush()
            except IntegrityError:
                continue  # another writer took the number in between; take the next one
            self._reindex(case)
            return case
        raise Conflict(detail=M_("reference: could not allocate a case reference, try again"))

    def _next_reference(self, year: int) -> str:
        prefix = f"{REFERENCE_PREFIX}-{year}-"
        last = self.session.scalar(
            select(func.max(Case.reference)).where(Case.reference.like(prefix + "%"))
        )
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        if number > 999_999:
            raise Conflict(detail=M_("reference: no free case numbers left in %(year)s", year=year))
        return f"{prefix}{number:06d}"

    def get(self, reference: str) -> Case:
        reference = (reference or "").strip().upper()
        case = None
        if _REFERENCE.match(reference):
            case = self.session.scalar(select(Case).where(Case.reference == reference))
        if case is None:
            raise NotFound(N_("No case with reference %(reference)s."), reference=reference)
        return case

    def open_from_report(self, report_reference: str, *, officer_id: int) -> tuple[Case, bool]:
        """Open a draft case from a guided-interview report (public page or tablet).

        The case summary is the report's Chinese summary (answers with Chinese labels, free
        text verbatim), so the station reads it with no translation step. Opening twice returns
        the case already opened; returns ``(case, created)``.
        """
        from accord.cases.prefill import prefill_case
        from accord.interpret.answers import chinese_summary
        from accord.interpret.library import get_library
        from accord.interpret.models import InterviewReport

        existing = self.session.scalar(select(Case).where(Case.source_report == report_reference))
        if existing is not None:
            return existing, False
        row = self.session.scalar(
            select(InterviewReport).where(InterviewReport.reference == report_reference))
        if row is None:
            raise NotFound(N_("No report with reference %(reference)s."),
                           reference=report_reference)
        case_type = FORM_CASE_TYPES.get(row.form_id, row.form_id)
        if case_type not in CASE_TYPES:
            raise ValidationFailed(detail=M_("form %(form_id)s has no matching case type",
                                             form_id=row.form_id))
        form = get_library().form(row.form_id)
        if form is None:
            raise NotFound(N_("Unknown form: %(id)s"), id=row.form_id)
        summary = chinese_summary(form, row.answers, row.language)
        case = self.create_case(case_type=case_type, title=summary.title_zh[:200],
                                summary=summary.as_text(), officer_id=officer_id,
                                source_report=report_reference)
        # The person, their passport and the place, from the answers, for the officer to confirm.
        prefill_case(self, case, row.form_id, row.language, row.answers or {})
        row.status = "case-opened"
        row.case_reference = case.reference  # the report now follows this case's access rule
        return case, True

    def get_visible(self, reference: str, user: User) -> Case:
        """The case, if ``user`` may open it (:meth:`can_view`); every case page goes here."""
        case = self.get(reference)
        if not self.can_view(case, user):
            raise PermissionDenied(N_("Only the case officer and supervisors may open this case."))
        return case

    def list_cases(
        self,
        *,
        officer_id: int | None = None,
        case_type: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Case]:
        query = select(Case)
        if officer_id is not None:
            query = query.where(Case.officer_id == officer_id)
        if case_type:
            query = query.where(Case.case_type == _choice("case_type", case_type, CASE_TYPES))
        if status:
            query = query.where(Case.status == _choice("status", status, CASE_STATUSES))
        limit = max(1, min(int(limit), 500))
        query = query.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
        return list(self.session.scalars(query.offset(max(0, int(offset)))))

    def set_status(self, case: Case, status: str, by_user: User | int | None) -> Case:
        status = _choice("status", (status or "").strip(), CASE_STATUSES)
        if status == case.status:
            return case
        case.status = status
        case.closed_at = utcnow() if status == "closed" else None
        case.updated_at = utcnow()
        self.session.flush()
        return case

    def update_case(
        self,
        case: Case,
        *,
        title: str | None = None,
        summary: str | None = None,
        place: str | None = None,
    ) -> Case:
        """Change the searchable text of a case (title, summary, place)."""
        title = None if title is None else clean_line(title, "title")
        new_title = case.title if title is None else _text("title", title, 200, required=True)
        new_summary = case.summary if summary is None else _text("summary", summary, 20_000)
        new_place = case.place if place is None else _text("place", place, 200)
        case.title, case.summary, case.place = new_title, new_summary, new_place
        case.updated_at = utcnow()
        self.session.flush()
        self._reindex(case)
        return case

    # -- persons and documents --------------------------------------------------------------------
    def add_person(
        self,
        case: Case,
        *,
        role: str,
        full_name: str,
        nationality: str = "",
        languages: Sequence[str] | str = (),
        speaks_chinese: bool = False,
        sex: str = "",
        date_of_birth: date | None = None,
        contact: str = "",
    ) -> Person:
        person = self._new_person(
            case,
            role=role,
            full_name=full_name,
            nationality=nationality,
            languages=languages,
            speaks_chinese=speaks_chinese,
            sex=sex,
            date_of_birth=date_of_birth,
            contact=contact,
        )
        person.case = case
        self.session.add(person)
        self._touch(case)
        self.session.flush()
        self._reindex(case)
        return person

    def _new_person(
        self,
        case: Case,
        *,
        role: str,
        full_name: str,
        nationality: str,
        languages: Sequence[str] | str,
        speaks_chinese: bool,
        sex: str,
        date_of_birth: date | None,
        contact: str,
    ) -> Person:
        role = _choice("role", (role or "").strip(), PERSON_ROLES)
        full_name = _text("full_name", clean_line(full_name, "full_name"), 200, required=True)
        nationality = normalise_state_code("nationality", nationality)
        if isinstance(languages, str):
            languages = [part for part in languages.split(",")]
        tags: list[str] = []
        for item in languages:
            if not item.strip():
                continue
            tag = normalise_language_tag("languages", item)
            if tag not in tags:
                tags.append(tag)
        if len(tags) > 10:
            raise _fail("languages", M_("at most 10 languages"))
        sex = (sex or "").strip().upper()
        if sex == "<":  # MRZ filler for "unspecified"
            sex = "X"
        sex = _choice("sex", sex, SEXES)
        if date_of_birth is not None:
            if isinstance(date_of_birth, datetime) or not isinstance(date_of_birth, date):
                raise _fail("date_of_birth", M_("expected a date (YYYY-MM-DD)"))
            if date_of_birth > datetime.now(self.tz).date():
                raise _fail("date_of_birth", M_("is in the future"))
            if date_of_birth.year < 1890:
                raise _fail("date_of_birth", M_("is before 1890"))
        contact = _text("contact", contact, 200)
        # Not linked to the case yet: linking adds it to the session, and nothing may be stored
        # before every field of the form is valid.
        return Person(
            role=role,
            full_name=full_name,
            nationality=nationality,
            languages=tags,
            speaks_chinese=bool(speaks_chinese),
            sex=sex,
            date_of_birth=date_of_birth,
            contact=contact,
        )

    def add_document(
        self,
        person: Person,
        *,
        kind: str,
        number: str,
        issuing_state: str = "",
        expiry: date | None = None,
        mrz_verified: bool = False,
        mrz_decision_id: str = "",
        image_sha256: str = "",
    ) -> IdentityDocument:
        document = self._new_document(
            person,
            kind=kind,
            number=number,
            issuing_state=issuing_state,
            expiry=expiry,
            mrz_verified=mrz_verified,
            mrz_decision_id=mrz_decision_id,
            image_sha256=image_sha256,
        )
        self.session.add(document)
        self._touch(person.case)
        self.session.flush()
        self._reindex(person.case)  # document numbers are searchable
        return document

    def _new_document(
        self,
        person: Person | None,
        *,
        kind: str,
        number: str,
        issuing_state: str,
        expiry: date | None,
        mrz_verified: bool,
        mrz_decision_id: str,
        image_sha256: str,
        prefix: str = "",
    ) -> IdentityDocument:
        kind = _choice(prefix + "kind", (kind or "").strip(), DOCUMENT_KINDS)
        number = _text(prefix + "number", number, 40, required=True).upper()
        if not re.fullmatch(r"[A-Z0-9<\- ]+", number):
            raise _fail(prefix + "number", M_("letters, digits, spaces and hyphens only"))
        issuing_state = normalise_state_code(prefix + "issuing_state", issuing_state)
        if expiry is not None and (isinstance(expiry, datetime) or not isinstance(expiry, date)):
            raise _fail(prefix + "expiry", M_("expected a date (YYYY-MM-DD)"))
        mrz_decision_id = _text("mrz_decision_id", mrz_decision_id, 32)
        if mrz_verified and not mrz_decision_id:
            # "Verified" must be provable: it points at the gateway decision of the MRZ read.
            raise _fail("mrz_verified", M_("only with the decision id of a passed MRZ read"))
        if mrz_decision_id:
            self._check_decision("mrz_decision_id", mrz_decision_id)
        image_sha256 = (image_sha256 or "").strip().lower()
        if image_sha256:
            if not re.fullmatch(r"[0-9a-f]{64}", image_sha256):
                raise _fail("image_sha256", M_("expected 64 lower-case hex digits"))
            if not self.blobs.path_for(image_sha256).exists():
                raise _fail("image_sha256", M_("no stored image with this digest"))
        document = IdentityDocument(
            kind=kind,
            number=number,
            issuing_state=issuing_state,
            expiry=expiry,
            mrz_verified=bool(mrz_verified),
            mrz_decision_id=mrz_decision_id,
            image_sha256=image_sha256,
        )
        if person is not None:
            document.person = person
        return document

    def add_person_with_document(
        self, case: Case, *, person: dict[str, object], document: dict[str, object]
    ) -> Person:
        """A person and their document in one step: both are validated before either is stored.

        ``document`` keys are those of :meth:`add_document`; errors name them with ``doc_``.
        """
        new_person = self._new_person(case, **person)  # type: ignore[arg-type]
        new_document = self._new_document(None, prefix="doc_", **document)  # type: ignore[arg-type]
        new_person.case = case
        new_document.person = new_person
        self.session.add(new_person)
        self._touch(case)
        self.session.flush()
        self._reindex(case)
        return new_person

    def person(self, case: Case, person_id: int | None, field: str = "person_id") -> Person | None:
        """The person ``person_id`` of this case; None for None; refuses other cases' persons."""
        if person_id is None:
            return None
        person = self.session.get(Person, person_id)
        if person is None or person.case_id != case.id:
            raise _fail(field, M_("no person %(person_id)s in case %(reference)s",
                                  person_id=person_id, reference=case.reference))
        return person

    # -- events ---------------------------------------------------------------------------------
    def add_event(
        self,
        case: Case,
        *,
        kind: str,
        occurred_at: datetime,
        place: str = "",
        note: str = "",
        person_id: int | None = None,
        recorded_by: User | int | None = None,
    ) -> CaseEvent:
        kind = _choice("kind", (kind or "").strip(), EVENT_KINDS)
        if occurred_at is None:
            raise _fail("occurred_at", M_("required"))
        when = self.to_utc("occurred_at", occurred_at)
        if when > utcnow() + FUTURE_TOLERANCE:
            raise _fail("occurred_at", M_("is in the future (events record what has happened)"))
        place = _text("place", place, 200)
        note = _text("note", note, 5_000)
        self.person(case, person_id)
        event = CaseEvent(
            case=case,
            kind=kind,
            occurred_at=when,
            place=place,
            note=note,
            person_id=person_id,
            recorded_by=_user_id(recorded_by),
            recorded_at=utcnow(),
        )
        self.session.add(event)
        self._touch(case)
        self.session.flush()
        return event

    # -- statements -----------------------------------------------------------------------------
    def add_statement(
        self,
        case: Case,
        *,
        person_id: int | None,
        language: str,
        text: str,
        origin: str = "typed",
        translation: str = "",
        translation_language: str = "",
        translation_source: str = "",
        translation_decision_id: str = "",
        interpreter: str = "",
        taken_by: User | int | None = None,
    ) -> Statement:
        self.person(case, person_id)
        language = normalise_language_tag("language", language)
        if text is None or not text.strip():
            raise _fail("text", M_("required: the statement in the person's own words"))
        if len(text) > STATEMENT_MAX_CHARS:
            raise _fail("text", M_("at most %(statement_max_chars)s characters (got %(count)s)",
                                   statement_max_chars=STATEMENT_MAX_CHARS, count=len(text)))
        origin = _choice("origin", origin, STATEMENT_ORIGINS)
        translation = (translation or "").strip()
        if len(translation) > STATEMENT_MAX_CHARS:
            raise _fail("translation", M_("at most %(statement_max_chars)s characters",
                                          statement_max_chars=STATEMENT_MAX_CHARS))
        interpreter = _text("interpreter", interpreter, 200)
        translation_decision_id = _text("translation_decision_id", translation_decision_id, 32)
        if translation:
            translation_source = _choice(
                "translation_source",
                translation_source or "",
                [k for k in TRANSLATION_SOURCES if k],
            )
            translation_language = normalise_language_tag(
                "translation_language", translation_language
            )
            if translation_language == language:
                raise _fail("translation_language", M_("same as the language of the original"))
            if translation_source == "machine" and not translation_decision_id:
                raise _fail(
                    "translation_decision_id",
                    M_("a machine translation needs the gateway decision that made it"),
                )
            if translation_source == "machine":
                self._check_decision("translation_decision_id", translation_decision_id)
        else:
            translation_source, translation_language, translation_decision_id = "", "", ""
        statement = Statement(
            case=case,
            person_id=person_id,
            language=language,
            text=text,  # verbatim: not stripped, not normalised
            origin=origin,
            translation=translation,
            translation_language=translation_language,
            translation_source=translation_source,
            translation_decision_id=translation_decision_id,
            interpreter=interpreter,
            taken_by=_user_id(taken_by),
            taken_at=utcnow(),
        )
        self.session.add(statement)
        self._touch(case)
        self.session.flush()
        self._reindex(case)
        return statement

    def set_machine_translation(
        self, statement: Statement, *, translation: str, translation_language: str, decision_id: str
    ) -> Statement:
        """Attach a machine translation made through the gateway to a stored statement."""
        if statement.translation:
            raise Conflict(detail=M_("translation: this statement already has a translation"))
        translation = (translation or "").strip()
        if not translation:
            raise _fail("translation", M_("the machine translation is empty"))
        statement.translation = translation[:STATEMENT_MAX_CHARS]
        self._check_decision("translation_decision_id", decision_id)
        statement.translation_language = normalise_language_tag(
            "translation_language", translation_language
        )
        statement.translation_source = "machine"
        statement.translation_decision_id = _text(
            "translation_decision_id", decision_id, 32, required=True
        )
        statement.translation_reviewed_by = None
        self._touch(statement.case)
        self.session.flush()
        self._reindex(statement.case)
        return statement

    def review_translation(
        self, statement: Statement, *, reviewer_id: User | int, corrected: str | None = None
    ) -> Statement:
        """A human confirms (or corrects) a machine translation; only then is it unlabelled."""
        if statement.translation_source != "machine":
            raise Conflict(detail=M_("translation: only machine translations are reviewed here"))
        if statement.translation_reviewed_by is not None:
            raise Conflict(detail=M_("translation: already reviewed"))
        reviewer = _user_id(reviewer_id)
        if reviewer is None or self.session.get(User, reviewer) is None:
            raise _fail("reviewer_id", M_("unknown reviewer"))
        if corrected is not None and corrected.strip():
            if len(corrected) > STATEMENT_MAX_CHARS:
                raise _fail("corrected", M_("at most %(statement_max_chars)s characters",
                                            statement_max_chars=STATEMENT_MAX_CHARS))
            statement.translation = corrected.strip()
        statement.translation_reviewed_by = reviewer
        self._touch(statement.case)
        self.session.flush()
        self._reindex(statement.case)
        return statement

    # -- evidence -------------------------------------------------------------------------------
    def add_evidence(
        self,
        case: Case,
        *,
        description: str,
        data: bytes | None,
        filename: str = "",
        media_type: str = "",
        collected_by: User | int | None,
    ) -> EvidenceItem:
        description = _text("description", description, 5_000, required=True)
        filename = _text("filename", (filename or "").replace("\\", "/").rsplit("/", 1)[-1], 255)
        media_type = _text("media_type", media_type, 100).lower()
        if media_type and not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", media_type.split(";")[0]):
            raise _fail("media_type", M_("%(media_type)r is not a media type",
                                         media_type=media_type))
        media_type = media_type.split(";")[0]
        sha256, size = "", 0
        if data is not None:
            if not data:
                raise _fail("file", M_("the file is empty"))
            sha256 = self.blobs.put(data)
            size = len(data)
        numbers = [
            int(item.label[2:])
            for item in case.evidence
            if item.label.startswith("E-") and item.label[2:].isdigit()
        ]
        label = f"E-{max(numbers, default=0) + 1}"
        now = utcnow()
        item = EvidenceItem(
            case=case,
            label=label,
            description=description,
            sha256=sha256,
            filename=filename if data is not None else "",
            media_type=media_type if data is not None else "",
            size_bytes=size,
            collected_at=now,
            collected_by=_user_id(collected_by),
        )
        self.session.add(item)
        self.session.add(
            CustodyEvent(
                item=item,
                action="collected",
                to_holder="",
                note="",
                hash_verified=self.blobs.verify(sha256) if sha256 else None,
                at=now,
                by_user=_user_id(collected_by),
            )
        )
        self._touch(case)
        self.session.flush()
        return item

    def verify_evidence(self, item: EvidenceItem) -> bool | None:
        """Re-hash the stored file: True/False, None for a physical item (nothing stored)."""
        return self.blobs.verify(item.sha256) if item.sha256 else None

    def evidence_file(self, item: EvidenceItem) -> bytes:
        """The stored bytes, only if they still hash to the digest recorded at collection."""
        if not item.sha256:
            raise NotFound(
                N_("Evidence %(label)s is a physical item; no file is stored."), label=item.label
            )
        data = self.blobs.get(item.sha256)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise EvidenceTampered(label=item.label)
        return data

    def record_custody(
        self,
        item: EvidenceItem,
        *,
        action: str,
        from_holder: str = "",
        to_holder: str = "",
        note: str = "",
        by_user: User | int | None,
    ) -> CustodyEvent:
        action = _choice(
            "action", (action or "").strip(), [a for a in CUSTODY_ACTIONS if a != "collected"]
        )
        final = [e for e in item.custody if e.action in FINAL_CUSTODY_ACTIONS]
        if final:
            raise Conflict(
                detail=M_("action: %(label)s was already %(action)s; no further custody steps",
                          label=item.label, action=final[-1].action)
            )
        from_holder = _text("from_holder", from_holder, 200)
        to_holder = _text("to_holder", to_holder, 200)
        if action == "transferred" and not to_holder:
            raise _fail("to_holder", M_("required for a transfer"))
        note = _text("note", note, 5_000)
        event = CustodyEvent(
            item=item,
            action=action,
            from_holder=from_holder,
            to_holder=to_holder,
            note=note,
            hash_verified=self.verify_evidence(item),
            at=utcnow(),
            by_user=_user_id(by_user),
        )
        self.session.add(event)
        self._touch(item.case)
        self.session.flush()
        return event

    # -- tasks ----------------------------------------------------------------------------------
    def add_task(
        self,
        case: Case,
        *,
        title: str,
        due_at: datetime | None = None,
        assignee_id: int | None = None,
        guidance_step: str = "",
    ) -> Task:
        title = _text("title", title, 300, required=True)
        due = self.to_utc("due_at", due_at) if due_at is not None else None
        if assignee_id is not None and self.session.get(User, assignee_id) is None:
            raise _fail("assignee_id", M_("no user with id %(assignee_id)s",
                                          assignee_id=assignee_id))
        guidance_step = _text("guidance_step", guidance_step, 80)
        task = Task(
            case=case,
            title=title,
            due_at=due,
            assignee_id=assignee_id,
            guidance_step=guidance_step,
            status="open",
            created_at=utcnow(),
        )
        self.session.add(task)
        self._touch(case)
        self.session.flush()
        return task

    def complete_task(self, task: Task, *, by_user: User | int | None) -> Task:
        if task.status == "done":
            raise Conflict(detail=M_("task: already done"))
        task.status = "done"
        task.done_at = utcnow()
        task.done_by = _user_id(by_user)
        self._touch(task.case)
        self.session.flush()
        return task

    def item(self, case: Case, model: type, item_id: int, field: str) -> object:
        """A row of ``model`` that belongs to ``case`` (404 otherwise)."""
        row = self.session.get(model, item_id)
        owner = getattr(row, "case_id", None)
        if row is None or owner != case.id:
            raise NotFound(
                N_("Not found in case %(reference)s: %(what)s"),
                reference=case.reference,
                what=M_("%(field)s %(id)s", field=form_field(field), id=item_id),
            )
        return row

    # -- use cases: one transaction each ----------------------------------------------------------
    # The methods above flush and leave the transaction to the caller (the demo generator and
    # the report importer build many changes into one). The methods below are the use cases of
    # the web pages and commands: each checks that the user may change the case, does the one
    # change, and commits it, or undoes all of it on any error, so a refused form stores nothing
    # and no page or command has to remember to commit.
    @contextmanager
    def use_case(self, case: Case | None, user: User) -> Iterator[None]:
        """One use case, one transaction (also for the package's other services: notices).

        The change runs in a savepoint: a refusal undoes it and expires only what it touched,
        so the signed-in user loaded by the same session stays readable for the error page.
        """
        if case is not None and not self.can_edit(case, user):
            raise PermissionDenied(N_("Only the case officer and supervisors may change "
                                      "this case."))
        with self.session.begin_nested():
            yield
        self.session.commit()

    def open_case(
        self,
        user: User,
        *,
        case_type: str,
        title: str,
        place: str = "",
        summary: str = "",
        opened_at: datetime | None = None,
        station: str = "",
    ) -> Case:
        """A new case filed by ``user``, who becomes its officer (the new-case form)."""
        with self.use_case(None, user):
            return self.create_case(case_type=case_type, title=title, place=place,
                                    summary=summary, officer_id=user.id, opened_at=opened_at,
                                    station=station)

    def open_case_for_report(self, report_reference: str, user: User) -> Case:
        """The draft case of a guided-interview report, opened once (see
        :meth:`open_from_report`); opening it again goes to the case already opened."""
        with self.use_case(None, user):
            case, _created = self.open_from_report(report_reference, officer_id=user.id)
            return case

    def change_status(self, case: Case, status: str, user: User) -> Case:
        """Move a case to another status (open, closed, ...); closing stamps the time."""
        with self.use_case(case, user):
            return self.set_status(case, status, user)

    def record_person(
        self,
        case: Case,
        user: User,
        *,
        person: dict[str, object],
        document: dict[str, object] | None = None,
    ) -> Person:
        """A person of the case, with their identity document if one was given: both are
        validated before either is stored (see :meth:`add_person_with_document`)."""
        with self.use_case(case, user):
            if document is not None:
                return self.add_person_with_document(case, person=person, document=document)
            return self.add_person(case, **person)  # type: ignore[arg-type]

    def record_stated_needs(self, person: Person, user: User, needs: Sequence[str]) -> Person:
        """Replace the needs ``person`` states with ``needs`` (codes of STATED_NEEDS only, each
        once; an empty list clears them). What the person says they need — the officer picks
        it from the list, never infers it from nationality or religion."""
        chosen = [(n or "").strip() for n in needs if (n or "").strip()]
        for need in chosen:
            _choice("stated_needs", need, STATED_NEEDS)
        with self.use_case(person.case, user):
            person.stated_needs = [n for n in STATED_NEEDS if n in chosen]
        return person

    def record_document(
        self, person: Person, user: User, *, kind: str, number: str, issuing_state: str = "",
        expiry: date | None = None, mrz_verified: bool = False, mrz_decision_id: str = "",
        image_sha256: str = "",
    ) -> IdentityDocument:
        """A further identity document of a person already in the case."""
        with self.use_case(person.case, user):
            return self.add_document(
                person, kind=kind, number=number, issuing_state=issuing_state, expiry=expiry,
                mrz_verified=mrz_verified, mrz_decision_id=mrz_decision_id,
                image_sha256=image_sha256,
            )

    def record_event(
        self, case: Case, user: User, *, kind: str, occurred_at: datetime, place: str = "",
        note: str = "", person_id: int | None = None,
    ) -> CaseEvent:
        """Something that happened in the case, recorded by ``user`` in station time."""
        with self.use_case(case, user):
            return self.add_event(case, kind=kind, occurred_at=occurred_at, place=place,
                                  note=note, person_id=person_id, recorded_by=user)

    def take_statement(
        self, case: Case, user: User, *, person_id: int | None, language: str, text: str,
        translation: str = "", translation_language: str = "", translation_source: str = "",
        interpreter: str = "",
    ) -> Statement:
        """A statement taken by ``user``, stored verbatim with any human translation. It is
        committed on its own: a machine translation asked for with it is a second step (the
        gateway writes its ledger entry in its own transaction) and may fail without losing
        the statement."""
        with self.use_case(case, user):
            return self.add_statement(
                case, person_id=person_id, language=language, text=text,
                translation=translation, translation_language=translation_language,
                translation_source=translation_source, interpreter=interpreter, taken_by=user,
            )

    def attach_machine_translation(
        self, statement: Statement, user: User, *, translation: str, translation_language: str,
        decision_id: str,
    ) -> Statement:
        """Store the machine translation the gateway made (decision ``decision_id``) with the
        statement; it stays labelled until a person reviews it."""
        with self.use_case(statement.case, user):
            return self.set_machine_translation(
                statement, translation=translation, translation_language=translation_language,
                decision_id=decision_id,
            )

    def confirm_translation(
        self, statement: Statement, user: User, corrected: str | None = None
    ) -> Statement:
        """``user`` confirms (or corrects) a machine translation, which then loses its label."""
        with self.use_case(statement.case, user):
            return self.review_translation(statement, reviewer_id=user, corrected=corrected)

    def confirm_entities(
        self, statement: Statement, user: User, entities: list[dict[str, object]]
    ) -> Statement:
        """The entities the officer ticked and checked become part of the statement; nothing
        a model suggested is written before this confirmation."""
        with self.use_case(statement.case, user):
            statement.entities = entities
            statement.entities_confirmed_by = user.id
            self.session.flush()
            return statement

    def collect_evidence(
        self, case: Case, user: User, *, description: str, data: bytes | None,
        filename: str = "", media_type: str = "",
    ) -> EvidenceItem:
        """An evidence item collected by ``user``; a file is stored and hashed on the way in."""
        with self.use_case(case, user):
            return self.add_evidence(case, description=description, data=data,
                                     filename=filename, media_type=media_type,
                                     collected_by=user)

    def custody_step(
        self, item: EvidenceItem, user: User, *, action: str, from_holder: str = "",
        to_holder: str = "", note: str = "",
    ) -> CustodyEvent:
        """A step in the chain of custody of an item; the stored file is re-hashed at it."""
        with self.use_case(item.case, user):
            return self.record_custody(item, action=action, from_holder=from_holder,
                                       to_holder=to_holder, note=note, by_user=user)

    def plan_task(
        self, case: Case, user: User, *, title: str, due_at: datetime | None = None
    ) -> Task:
        """A task on the case, with a due time in station time."""
        with self.use_case(case, user):
            return self.add_task(case, title=title, due_at=due_at)

    def finish_task(self, task: Task, user: User) -> Task:
        """Mark a task done by ``user``; a task is finished once."""
        with self.use_case(task.case, user):
            return self.complete_task(task, by_user=user)

    # -- reads for pages and commands ---------------------------------------------------------
    def stored_decision(
        self, capability_id: str, case_ref: str, inputs: dict[str, object]
    ) -> Decision | None:
        """The latest completed decision of a capability on exactly these inputs in this case,
        if any: a page shows it instead of calling the model again, so that viewing a page
        does not add a decision (and a review-queue entry) each time."""
        rows = self.session.scalars(
            select(Decision)
            .where(
                Decision.capability_id == capability_id,
                Decision.case_ref == case_ref,
                Decision.status == "completed",
            )
            .order_by(Decision.created_at.desc())
        )
        return next((row for row in rows if (row.inputs or {}) == inputs), None)

    def decisions_in(self, case: Case) -> list[Decision]:
        """Every AI decision recorded in ``case`` (allowed, refused or failed), oldest first:
        the case file's disclosure section."""
        return list(self.session.scalars(
            select(Decision).where(Decision.case_ref == case.reference)
            .order_by(Decision.created_at, Decision.id)))

    def fresh_decision(self, decision_id: str) -> Decision | None:
        """A decision the gateway has just written in its own transaction: this session's
        read snapshot is ended first (nothing is pending in it), so the new row is visible."""
        self.session.commit()
        return self.session.get(Decision, decision_id)

    def review_of(self, decision: Decision) -> Review | None:
        """The human review of a decision, if the review queue holds one."""
        return self.session.scalar(select(Review).where(Review.decision_id == decision.id))

    def reload(self, reference: str) -> Case:
        """The case as stored, after dropping anything this session has not committed (what a
        refused form shows again)."""
        self.session.rollback()
        return self.get(reference)

    def person_of(self, case: Case, person_id: int) -> Person:
        """Person ``person_id`` of this case (404 otherwise)."""
        return self.item(case, Person, person_id, "person")  # type: ignore[return-value]

    def statement_of(self, case: Case, statement_id: int) -> Statement:
        """Statement ``statement_id`` of this case (404 otherwise)."""
        return self.item(case, Statement, statement_id, "statement")  # type: ignore[return-value]

    def evidence_of(self, case: Case, item_id: int) -> EvidenceItem:
        """Evidence item ``item_id`` of this case (404 otherwise)."""
        return self.item(case, EvidenceItem, item_id, "evidence")  # type: ignore[return-value]

    def task_of(self, case: Case, task_id: int) -> Task:
        """Task ``task_id`` of this case (404 otherwise)."""
        return self.item(case, Task, task_id, "task")  # type: ignore[return-value]

    def visible_cases(
        self,
        user: User,
        *,
        case_type: str = "",
        status: str = "",
        station: str = "",
        officer_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Case]:
        """A page of the cases ``user`` may see (officers: their own; supervisors: all),
        newest first, with the list's and the board's filters.

        Why here and not in each adapter: the JSON API and the pages must answer the same
        question the same way. The query narrows to the caller's own cases for non-supervisors,
        and every row still passes :meth:`can_view` (the one access rule), so a change to the
        rule cannot be forgotten here. An unknown filter value is a 422, not an empty page.
        """
        station = (station or "").strip()
        if station and station not in stations():
            raise _fail("station", M_("unknown station %(station)r", station=station))
        own = None if Role.SUPERVISOR in user.roles else user.id
        if own is not None and officer_id is not None and officer_id != own:
            return []  # an officer's view holds only their own cases
        query = select(Case)
        if own is not None or officer_id is not None:
            query = query.where(Case.officer_id == (own if own is not None else officer_id))
        if case_type:
            query = query.where(Case.case_type == _choice("case_type", case_type, CASE_TYPES))
        if status:
            query = query.where(Case.status == _choice("status", status, CASE_STATUSES))
        if station:
            query = query.where(Case.station == station)
        query = (query.order_by(Case.opened_at.desc(), Case.id.desc())
                 .limit(max(1, min(int(limit), 501))).offset(max(0, int(offset))))
        return [c for c in self.session.scalars(query) if self.can_view(c, user)]

    def users_by_id(self, ids: Iterable[int | None]) -> dict[int, User]:
        """The users behind the ids a page shows (officers, recorders, reviewers), by id."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        return {u.id: u for u in self.session.scalars(select(User).where(User.id.in_(wanted)))}

    def open_cases_for(self, user: User, *, limit: int = 2000) -> list[Case]:
        """The open (not closed) cases ``user`` may see, oldest first, with the persons and
        events their deadlines are computed from: the deadline board's cases."""
        query = (
            select(Case)
            .where(Case.status != "closed")
            .options(selectinload(Case.persons), selectinload(Case.events))
            .order_by(Case.opened_at)
            .limit(limit)
        )
        if Role.SUPERVISOR not in user.roles:
            query = query.where(Case.officer_id == user.id)
        return [c for c in self.session.scalars(query) if self.can_view(c, user)]

    # -- internals ------------------------------------------------------------------------------
    def _check_decision(self, field: str, decision_id: str) -> None:
        """An AI result stored in a case must point at a real, completed gateway decision."""
        record = self.session.get(Decision, decision_id)
        if record is None or record.status != "completed":
            raise _fail(field, M_("no completed gateway decision %(decision_id)r",
                                  decision_id=decision_id))

    def _touch(self, case: Case | None) -> None:
        if case is not None:
            case.updated_at = utcnow()

    def _reindex(self, case: Case) -> None:
        """Keep the full-text index in step with the case's searchable text."""
        from accord.cases.search import index_case

        index_case(self.session, case)
