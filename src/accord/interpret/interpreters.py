"""Human interpreters: the roster, requests and their life cycle, the independence check,
interpreters' corrections of machine translations, and translators' verification of content.

Why this exists next to machine translation: the law asks for people. The police *shall provide
interpretation* (CPL Art. 9); interpreters are subject to recusal like any participant who must be
independent of the case (CPL Art. 32; PACE Code C 13.1 asks for an independent interpreter); a
deaf or mute person gets a sign-language interpreter whose identity goes into the record
(CPL Art. 121). So:

* a request moves ``open → assigned → joined → closed`` (or ``cancelled``); every transition is
  timed and any other move is refused with 409;
* assignment runs an **independence check** — the interpreter's own account is not the requesting
  officer's nor the case officer's, and their name matches no person in the case and no party
  listed on the request (case-, accent- and word-order-insensitive). A failed check blocks the
  assignment and names the conflict; the inputs and result of the check that allowed an
  assignment are stored with it;
* a joined interpreter confirms or corrects machine translations; the correction is stored
  *beside* the machine text (append-only), never over it;
* a certified translator verifies a form or notice in one language; the verification records the
  SHA-256 of the exact texts reviewed, so it lapses as soon as the content file changes.

Web pages and any command line call these functions; they raise :mod:`accord.core.errors`
exceptions whose messages are English msgids.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import langcodes
from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from accord.core.accounts.models import User
from accord.core.contract import object_kind
from accord.core.db import Database, utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.models import Decision
from accord.core.i18n import M_, N_, NC_, Message, form_field
from accord.core.roles import Role
from accord.interpret import library as content
from accord.interpret.interpreter_models import (
    ContentVerification,
    InterpretationCorrection,
    Interpreter,
    InterpreterRequest,
)

log = logging.getLogger(__name__)

MODES = ("in-person", "phone", "video", "sign-language")
CLEARANCES = ("none", "basic", "security-vetted")
SOURCE_KINDS = ("conversation", "interview", "case", "translation", "dispatch")
REQUEST_STATUSES = ("open", "assigned", "joined", "closed", "cancelled")
CORRECTION_ACTIONS = ("confirmed", "corrected")
REVIEW_STATUSES = ("verified", "rejected")
CONTENT_KINDS = ("form", "notice")
TRANSLATE_CAPABILITY = "interpret.translate"

#: Which statuses each action may start from.
_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "assign": ("open", "assigned"),  # re-assigning before the interpreter joined is allowed
    "join": ("assigned",),
    "close": ("joined",),
    "cancel": ("open", "assigned"),
}

MAX_NAME = 200
MAX_TEXT = 5000
MAX_NOTE = 2000
MAX_PARTIES = 20
_REGISTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{1,63}$")
_REFERENCE = re.compile(r"^IR-\d{4}-\d{4,}$")

SIGN_LANGUAGE_NOTE = N_(
    "CPL Art. 121: a deaf or mute person is given a sign-language "
    "interpreter, and the record notes the interpreter's identity."
)


#: The form fields a refusal names (:func:`accord.core.i18n.form_field`).
FIELD_NAMES = (NC_("form field", "action"), NC_("form field", "availability"),
               NC_("form field", "case_ref"), NC_("form field", "certificate_id"),
               NC_("form field", "clearance"), NC_("form field", "contact"),
               NC_("form field", "corrected_text"), NC_("form field", "decision_id"),
               NC_("form field", "dialect"), NC_("form field", "interpreter"),
               NC_("form field", "kind"), NC_("form field", "language"),
               NC_("form field", "languages"), NC_("form field", "machine_text"),
               NC_("form field", "mode"), NC_("form field", "modes"), NC_("form field", "name"),
               NC_("form field", "note"), NC_("form field", "notes"), NC_("form field", "parties"),
               NC_("form field", "register_id"), NC_("form field", "scheduled_end"),
               NC_("form field", "scheduled_start"), NC_("form field", "source"),
               NC_("form field", "source_ref"), NC_("form field", "source_text"),
               NC_("form field", "station_timezone"), NC_("form field", "status"),
               NC_("form field", "username"))


def _fail(field: str, problem: Message) -> ValidationFailed:
    return ValidationFailed(detail=M_("%(field)s: %(problem)s", field=form_field(field),
                                      problem=problem))


# -- small value types ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who acts: a user id and their roles (from the web principal or the CLI user)."""

    user_id: int
    roles: frozenset[str]
    username: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, frozenset(r.value for r in user.roles), user.username)

    def has(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)


@dataclass
class InterpreterInput:
    name: str
    register_id: str
    languages: list[dict[str, Any]]
    modes: list[str]
    clearance: str = "none"
    availability: str = ""
    contact: str = ""
    volunteer: bool = False
    certified_translator: bool = False
    certificate_id: str = ""
    username: str = ""  # the interpreter's own account, if any


@dataclass
class RequestInput:
    language: str
    mode: str
    source_kind: str
    dialect: str = ""
    case_ref: str = ""
    source_ref: str = ""
    parties: list[str] = field(default_factory=list)
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    notes: str = ""


@dataclass(frozen=True)
class Candidate:
    interpreter: Interpreter
    score: int
    proficiency: int
    dialect_match: bool
    mode_match: bool
    has_account: bool


# -- parsing helpers (shared by web forms and the CLI) --------------------------------------------
def standard_language(value: str, field_name: str = "language") -> str:
    """A valid BCP 47 tag in its standard form (``en_us`` → ``en-US``), or 422."""
    value = (value or "").strip()
    if not value:
        raise _fail(field_name, M_("required (a BCP 47 tag such as ar, zh-Hans or csl)"))
    if len(value) > 35 or not langcodes.tag_is_valid(value):
        raise _fail(field_name, M_("%(value)r is not a BCP 47 language tag", value=value[:40]))
    return str(langcodes.standardize_tag(value))


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def parse_language_lines(text: str) -> list[dict[str, Any]]:
    """Roster languages from lines ``tag; dialect; proficiency`` (dialect may be empty)."""
    result: list[dict[str, Any]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != 3:
            raise _fail(
                f"languages line {number}",
                M_("write 'language; dialect; proficiency 1-5', e.g. 'ar; Levantine; 5'"),
            )
        result.append({"language": parts[0], "dialect": parts[1], "proficiency": parts[2]})
    return result


def format_language_lines(languages: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(
        f"{x['language']}; {x.get('dialect', '')}; {x['proficiency']}" for x in languages
    )


def _clean_languages(values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not values:
        raise _fail("languages", M_("give at least one language the interpreter works in"))
    if len(values) > 20:
        raise _fail("languages", M_("at most 20 languages"))
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(values):
        where = f"languages[{index}]"
        tag = standard_language(str(item.get("language", "")), f"{where}.language")
        dialect = str(item.get("dialect") or "").strip()
        if len(dialect) > 64:
            raise _fail(f"{where}.dialect", M_("at most 64 characters"))
        raw = item.get("proficiency")
        try:
            proficiency = int(str(raw).strip())
        except ValueError:
            raise _fail(f"{where}.proficiency", M_("a whole number from 1 to 5")) from None
        if not 1 <= proficiency <= 5 or isinstance(raw, bool):
            raise _fail(f"{where}.proficiency", M_("a whole number from 1 to 5"))
        if any(
            c["language"] == tag and c["dialect"].casefold() == dialect.casefold() for c in cleaned
        ):
            raise _fail(where, M_("%(tag)s %(dialect)s is listed twice", tag=tag, dialect=dialect))
        cleaned.append({"language": tag, "dialect": dialect, "proficiency": proficiency})
    return cleaned


def _text(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _fail(field_name, M_("required"))
    if len(value) > limit:
        raise _fail(field_name, M_("at most %(limit)s characters", limit=limit))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise _fail(field_name, M_("contains control characters"))
    return value


def _case_owner(session: Session, case_ref: str) -> int | None:
    """The officer responsible for a case (None: no such case), asked of the package that
    owns case files: interpretation does not depend on it."""
    kind = object_kind("case")
    return kind.owner(session, case_ref) if kind and kind.owner else None


def _case_exists(session: Session, case_ref: str) -> bool:
    kind = object_kind("case")
    return bool(kind and kind.exists(session, case_ref))


def _case_parties(session: Session, case_ref: str) -> list[tuple[str, str]]:
    kind = object_kind("case")
    return list(kind.parties(session, case_ref)) if kind and kind.parties else []


def _case_access(session: Session, actor: Actor, case_ref: str) -> bool | None:
    """The case package's one rule for a case (None: no such case). Without a case package
    there are no cases, so no one has access through one."""
    kind = object_kind("case")
    return kind.can_access(session, actor, case_ref) if kind else None


def may_access_request(session: Session, row: InterpreterRequest, actor: Actor) -> bool:
    """The one access rule for an interpreter request (parties, notes, case reference, and the
    case's machine translations once the interpreter joins). Minimum necessary:

    * supervisors: every request;
    * officers: requests they made, and requests naming a case they may open (its officer);
    * interpreters: requests assigned to their roster entry (assigned, joined, or closed);
    * nobody else: the roster administrator manages the roster, not the requests.
    """
    if actor.has(Role.SUPERVISOR):
        return True
    if actor.has(Role.OFFICER):
        if row.requested_by == actor.user_id:
            return True
        if row.case_ref and _case_access(session, actor, row.case_ref):
            return True
    if actor.has(Role.INTERPRETER) and row.interpreter_id is not None:
        person = session.get(Interpreter, row.interpreter_id)
        if person is not None and person.user_id == actor.user_id:
            return True
    return False


def request_access(session: Session, caller: Any, reference: str) -> bool | None:
    """``ObjectKind.can_access`` for "interpreter-request" (None: no such request)."""
    reference = (reference or "").strip().upper()
    if not _REFERENCE.match(reference):
        return None
    row = session.scalar(select(InterpreterRequest)
                         .where(InterpreterRequest.reference == reference))
    if row is None:
        return None
    return may_access_request(session, row, Actor(caller.user_id, frozenset(caller.roles)))


def request_exists(session: Session, reference: str) -> bool:
    reference = (reference or "").strip().upper()
    return bool(_REFERENCE.match(reference)) and session.scalar(
        select(InterpreterRequest.id).where(InterpreterRequest.reference == reference)) is not None


def normalise_name(name: str) -> str:
    """Case-, accent-, punctuation- and word-order-insensitive form of a person's name."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"\w+", bare)
    return " ".join(sorted(words))


# -- the overlay of verified content --------------------------------------------------------------
_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "at": 0.0, "records": None, "library": None, "base": None}
OVERLAY_TTL_SECONDS = 5.0


def _runtime_database() -> Database | None:
    """The process's database if it has been opened (web app, CLI command), else ``None``.

    Loading content must never open a database as a side effect (it runs at import time and in
    content tests), so the overlay only reads a database that is already in use.
    """
    from accord.core import runtime

    return runtime._database  # read-only peek; see the docstring


def invalidate_overlay() -> None:
    with _cache_lock:
        _cache.update(key=None, at=0.0, records=None, library=None, base=None)


def _latest_verifications(session: Session) -> dict[tuple[str, str, str], ContentVerification]:
    latest: dict[tuple[str, str, str], ContentVerification] = {}
    rows = session.scalars(select(ContentVerification).order_by(ContentVerification.id))
    for row in rows:
        latest[(row.content_kind, row.content_id, row.language)] = row
    return latest


def _items(library: content.Library) -> Iterable[tuple[str, Any]]:
    for form in library.forms.values():
        yield "form", form
    for notice in library.notices.values():
        yield "notice", notice


def verified_overlay(
    library: content.Library, latest: Mapping[tuple[str, str, str], ContentVerification]
) -> content.Library:
    """``library`` with every text whose latest verification still matches its digest shown as
    verified (by the translator, on the date); everything else keeps its file status."""
    marks: dict[tuple[str, str, str], content.Translation] = {}
    for kind, item in _items(library):
        for lang in content.LANGUAGES:
            row = latest.get((kind, item.id, lang))
            if row is None or row.status != "verified":
                continue
            if row.text_digest != content.content_digest(item, lang):
                continue  # the file changed after the review: the verification has lapsed
            marks[(kind, item.id, lang)] = content.Translation(
                text="",
                status="verified",
                translator=f"{row.translator_name} ({row.certificate_id})",
                date=row.verified_at.date().isoformat(),
            )
    return content.with_verifications(library, marks)


def _overlay(library: content.Library) -> content.Library:
    database = _runtime_database()
    if database is None:
        return library
    key = database.url
    now = time.monotonic()
    with _cache_lock:
        if (
            _cache["key"] == key
            and _cache["base"] is library
            and now - _cache["at"] < OVERLAY_TTL_SECONDS
        ):
            return _cache["library"]  # type: ignore[no-any-return]
    try:
        with database.session() as session:
            latest = _latest_verifications(session)
    except DBAPIError:
        # The database cannot be read (the app starting while it is down, which /readyz then
        # reports): the library without verification marks, so nothing shows as verified that
        # could not be checked; not cached, so the next read tries again.
        log.warning("content verifications unreadable: shown as unverified", exc_info=True)
        return library
    result = verified_overlay(library, latest)
    with _cache_lock:
        _cache.update(key=key, at=now, library=result, base=library)
    return result


content.set_status_overlay(_overlay)


# -- the service ----------------------------------------------------------------------------------
class InterpreterService:
    """Roster, requests, corrections and content verification over one database."""

    def __init__(self, database: Database, timezone: str = "Asia/Shanghai") -> None:
        self.database = database
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail("station_timezone", M_("%(timezone)r is not an IANA time zone",
                                               timezone=timezone)) from None

    # times
    def to_utc(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(UTC)

    def local(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.tz)

    # -- roster -----------------------------------------------------------------------------------
    def _validated(
        self, session: Session, data: InterpreterInput, current: Interpreter | None = None
    ) -> dict[str, Any]:
        name = _text(data.name, "name", MAX_NAME, required=True)
        register_id = (data.register_id or "").strip()
        if not _REGISTER_ID.match(register_id):
            raise _fail("register_id", M_("2-64 letters, digits, spaces or . / _ -"))
        clash = session.scalar(select(Interpreter).where(Interpreter.register_id == register_id))
        if clash is not None and (current is None or clash.id != current.id):
            raise Conflict(
                detail=M_("register id %(register_id)s is already on the roster (%(name)s)",
                          register_id=register_id, name=clash.name)
            )
        modes = sorted({m.strip() for m in data.modes if m.strip()})
        if not modes:
            raise _fail("modes", M_("choose at least one of %(modes)s", modes=', '.join(MODES)))
        unknown = [m for m in modes if m not in MODES]
        if unknown:
            raise _fail("modes", M_("unknown mode %(unknown)r (allowed: %(modes)s)",
                                    unknown=unknown[0], modes=', '.join(MODES)))
        if data.clearance not in CLEARANCES:
            raise _fail("clearance", M_("one of %(clearances)s", clearances=', '.join(CLEARANCES)))
        certificate_id = _text(data.certificate_id, "certificate_id", 64)
        if data.certified_translator and not certificate_id:
            raise _fail("certificate_id", M_("a certified translator needs the certificate id"))
        user_id = None
        username = (data.username or "").strip()
        if username:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise _fail("username", M_("no user %(username)r", username=username))
            if Role.INTERPRETER not in user.roles:
                raise _fail("username", M_("%(username)s does not have the interpreter role",
                                           username=username))
            other = session.scalar(select(Interpreter).where(Interpreter.user_id == user.id))
            if other is not None and (current is None or other.id != current.id):
                raise Conflict(detail=M_("%(username)s is already linked to %(name)s",
                                         username=username, name=other.name))
            user_id = user.id
        return {
            "name": name,
            "register_id": register_id,
            "languages": _clean_languages(data.languages),
            "modes": modes,
            "clearance": data.clearance,
            "availability": _text(data.availability, "availability", 500),
            "contact": _text(data.contact, "contact", 200),
            "volunteer": bool(data.volunteer),
            "certified_translator": bool(data.certified_translator),
            "certificate_id": certificate_id,
            "user_id": user_id,
        }

    def add_interpreter(self, data: InterpreterInput) -> Interpreter:
        with self.database.write_session() as session:
            values = self._validated(session, data)
            row = Interpreter(**values, active=True)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(
                    detail=M_("register id %(register_id)s is already on the roster",
                              register_id=values['register_id'])
                ) from None
            session.expunge(row)
            return row

    def update_interpreter(self, interpreter_id: int, data: InterpreterInput) -> Interpreter:
        with self.database.write_session() as session:
            row = self._interpreter(session, interpreter_id)
            for key, value in self._validated(session, data, row).items():
                setattr(row, key, value)
            session.flush()
            session.expunge(row)
            return row

    def set_active(self, interpreter_id: int, active: bool) -> Interpreter:
        with self.database.write_session() as session:
            row = self._interpreter(session, interpreter_id)
            row.active = active
            session.flush()
            session.expunge(row)
            return row

    @staticmethod
    def _interpreter(session: Session, interpreter_id: int) -> Interpreter:
        row = session.get(Interpreter, interpreter_id)
        if row is None:
            raise NotFound(N_("No interpreter with this id on the roster."))
        return row

    def interpreter(self, interpreter_id: int) -> Interpreter:
        with self.database.session() as session:
            row = self._interpreter(session, interpreter_id)
            session.expunge(row)
            return row

    def interpreter_for_user(self, user_id: int) -> Interpreter | None:
        with self.database.session() as session:
            row = session.scalar(select(Interpreter).where(Interpreter.user_id == user_id))
            if row is not None:
                session.expunge(row)
            return row

    def roster(
        self,
        *,
        language: str = "",
        dialect: str = "",
        mode: str = "",
        include_inactive: bool = False,
    ) -> list[Interpreter]:
        """The roster, optionally filtered: a language matches on its primary subtag."""
        wanted = _primary(standard_language(language)) if language.strip() else ""
        if mode and mode not in MODES:
            raise _fail("mode", M_("one of %(modes)s", modes=', '.join(MODES)))
        with self.database.session() as session:
            query = select(Interpreter).order_by(Interpreter.name)
            if not include_inactive:
                query = query.where(Interpreter.active.is_(True))
            rows = list(session.scalars(query))
            for row in rows:
                session.expunge(row)
        result = []
        for row in rows:
            langs = [x for x in row.languages if not wanted or _primary(x["language"]) == wanted]
            if wanted and not langs:
                continue
            if dialect.strip() and not any(
                x["dialect"].casefold() == dialect.strip().casefold() for x in langs
            ):
                continue
            if mode and mode not in row.modes:
                continue
            result.append(row)
        return result

    # -- requests ---------------------------------------------------------------------------------
    def create_request(self, data: RequestInput, actor: Actor,
                       within: Callable[[Session, str], None] | None = None
                       ) -> InterpreterRequest:
        """A new request. ``within(session, reference)`` runs in its transaction before the
        commit (another package's record of the request, through ``contract.create_object``):
        if it raises, no request is kept."""
        # A dispatcher asks from an incident only (dispatch's "request interpreter" button),
        # never from the interpreter desk, which works for case files.
        if not (actor.has(Role.OFFICER, Role.SUPERVISOR)
                or (actor.has(Role.DISPATCHER) and data.source_kind == "dispatch")):
            raise PermissionDenied(N_("Only officers and supervisors request interpreters."))
        language = standard_language(data.language)
        dialect = _text(data.dialect, "dialect", 64)
        if data.mode not in MODES:
            raise _fail("mode", M_("one of %(modes)s", modes=', '.join(MODES)))
        if data.source_kind not in SOURCE_KINDS:
            raise _fail("source", M_("one of %(source_kinds)s",
                                     source_kinds=', '.join(SOURCE_KINDS)))
        case_ref = _text(data.case_ref, "case_ref", 64)
        source_ref = _text(data.source_ref, "source_ref", 64)
        if data.source_kind == "case" and not case_ref:
            raise _fail("case_ref", M_("a request from a case needs the case reference"))
        parties = [_text(p, "parties", MAX_NAME) for p in data.parties]
        parties = [p for p in parties if p]
        if len(parties) > MAX_PARTIES:
            raise _fail("parties", M_("at most %(max_parties)s names", max_parties=MAX_PARTIES))
        start, end = self.to_utc(data.scheduled_start), self.to_utc(data.scheduled_end)
        if start and end and end <= start:
            raise _fail("scheduled_end", M_("must be after the start"))
        if end and not start:
            raise _fail("scheduled_start", M_("give the start when you give an end"))
        notes = _text(data.notes, "notes", MAX_NOTE)
        for attempt in range(3):  # two officers may take the same next number at once
            try:
                with self.database.write_session() as session:
                    if case_ref:
                        self._check_case(session, case_ref, actor)
                    row = InterpreterRequest(
                        reference=self._next_reference(session),
                        language=language,
                        dialect=dialect,
                        mode=data.mode,
                        case_ref=case_ref,
                        source_kind=data.source_kind,
                        source_ref=source_ref,
                        requested_by=actor.user_id,
                        status="open",
                        parties=parties,
                        independence={},
                        scheduled_start=start,
                        scheduled_end=end,
                        notes=notes,
                    )
                    session.add(row)
                    session.flush()
                    if within is not None:
                        within(session, row.reference)
                    return row
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _next_reference(session: Session) -> str:
        year = utcnow().year
        prefix = f"IR-{year}-"
        # Longest first, then highest: "IR-2026-10000" follows "IR-2026-9999".
        last = session.scalar(
            select(InterpreterRequest.reference)
            .where(InterpreterRequest.reference.like(f"{prefix}%"))
            .order_by(
                func.length(InterpreterRequest.reference).desc(),
                InterpreterRequest.reference.desc(),
            )
            .limit(1)
        )
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{number:04d}"

    @staticmethod
    def _check_case(session: Session, case_ref: str, actor: Actor) -> None:
        """A request naming a case is made only by someone who may open that case: otherwise
        the request would be a way into the case's statements and translations. To others a
        missing case and someone else's look the same; a supervisor is told it is missing."""
        allowed = _case_access(session, actor, case_ref)
        if allowed:
            return
        if allowed is None and actor.has(Role.SUPERVISOR):
            raise _fail("case_ref", M_("no case %(case_ref)s", case_ref=case_ref))
        raise PermissionDenied(N_("No access to case %(reference)s, or it does not exist."),
                               reference=case_ref)

    def requests(self, actor: Actor, *, status: str = "") -> list[InterpreterRequest]:
        """The requests ``actor`` may open (:func:`may_access_request`), newest first."""
        if status and status not in REQUEST_STATUSES:
            raise _fail("status", M_("one of %(request_statuses)s",
                                     request_statuses=', '.join(REQUEST_STATUSES)))
        with self.database.session() as session:
            query = select(InterpreterRequest).order_by(InterpreterRequest.id.desc())
            if status:
                query = query.where(InterpreterRequest.status == status)
            if not actor.has(Role.SUPERVISOR):
                # Narrow in SQL to the rows the rule could admit; the rule decides each.
                own = session.scalar(
                    select(Interpreter.id).where(Interpreter.user_id == actor.user_id)
                )
                could = [InterpreterRequest.interpreter_id == (own or -1)]
                if actor.has(Role.OFFICER):
                    could += [InterpreterRequest.requested_by == actor.user_id,
                              InterpreterRequest.case_ref != ""]
                query = query.where(or_(*could))
            rows: list[InterpreterRequest] = []
            last_id: int | None = None
            while len(rows) < 500:  # pages, newest first, until 500 admitted or none left
                page_query = query if last_id is None else query.where(
                    InterpreterRequest.id < last_id)
                page = list(session.scalars(page_query.limit(500)))
                if not page:
                    break
                last_id = page[-1].id
                rows.extend(r for r in page if may_access_request(session, r, actor))
            rows = rows[:500]
            for row in rows:
                session.expunge(row)
            return rows

    def _request(self, session: Session, reference: str) -> InterpreterRequest:
        reference = (reference or "").strip().upper()
        row = None
        if _REFERENCE.match(reference):
            row = session.scalar(
                select(InterpreterRequest).where(InterpreterRequest.reference == reference)
            )
        if row is None:
            raise NotFound(N_("No interpreter request with this reference."))
        return row

    def get_request(self, reference: str, actor: Actor) -> InterpreterRequest:
        with self.database.session() as session:
            row = self._request(session, reference)
            self._may_view(session, row, actor)
            session.expunge(row)
            return row

    def _request_for(self, session: Session, reference: str, actor: Actor) -> InterpreterRequest:
        """The request, if ``actor`` may open it. A request they may not open answers like a
        missing one (404), so references cannot be probed; supervisors see every request."""
        row = self._request(session, reference)
        self._may_view(session, row, actor)
        return row

    @staticmethod
    def _may_view(session: Session, row: InterpreterRequest, actor: Actor) -> None:
        if not may_access_request(session, row, actor):
            raise NotFound(N_("No interpreter request with this reference."))

    @staticmethod
    def _transition(row: InterpreterRequest, action: str) -> None:
        if row.status not in _ALLOWED_FROM[action]:
            raise Conflict(
                N_(
                    "Cannot %(action)s request %(reference)s: it is %(status)s "
                    "(allowed only when %(allowed)s)."
                ),
                action=action,
                reference=row.reference,
                status=row.status,
                allowed=" / ".join(_ALLOWED_FROM[action]),
            )

    def candidates(self, reference: str) -> list[Candidate]:
        """Active roster entries for the request's language, best first: dialect match,
        proficiency, mode, then those with an account (they can join in Accord)."""
        with self.database.session() as session:
            row = self._request(session, reference)
            language, dialect, mode = row.language, row.dialect, row.mode
        result = []
        for person in self.roster(language=language):
            langs = [x for x in person.languages if _primary(x["language"]) == _primary(language)]
            exact = [x for x in langs if x["language"] == language] or langs
            dialect_match = bool(dialect) and any(
                x["dialect"].casefold() == dialect.casefold() for x in exact
            )
            best = max(
                (
                    x["proficiency"]
                    for x in exact
                    if not dialect_match or x["dialect"].casefold() == dialect.casefold()
                ),
                default=0,
            )
            mode_match = mode in person.modes
            score = (
                (100 if dialect_match else 0)
                + best * 10
                + (5 if mode_match else 0)
                + (1 if person.user_id else 0)
            )
            result.append(
                Candidate(
                    person, score, best, dialect_match, mode_match, person.user_id is not None
                )
            )
        result.sort(key=lambda c: (-c.score, c.interpreter.name))
        return result

    def check_independence(
        self, session: Session, row: InterpreterRequest, person: Interpreter
    ) -> dict[str, Any]:
        """The recusal check (CPL Art. 32): inputs, each check, and the result."""
        officer_id = _case_owner(session, row.case_ref) if row.case_ref else None
        case_persons = _case_parties(session, row.case_ref) if row.case_ref else []
        mine = normalise_name(person.name)
        checks: list[dict[str, Any]] = []
        conflicts: list[str] = []

        def check(name: str, ok: bool, conflict: str) -> None:
            checks.append({"check": name, "passed": ok})
            if not ok:
                conflicts.append(conflict)

        linked = person.user_id is not None
        check(
            "not-requesting-officer",
            not linked or person.user_id != row.requested_by,
            "the interpreter's account is the requesting officer's",
        )
        check(
            "not-case-officer",
            not linked or officer_id is None or person.user_id != officer_id,
            f"the interpreter's account is the officer of case {row.case_ref}",
        )
        for other_name, other_role in case_persons:
            if normalise_name(other_name) == mine:
                check(
                    "not-a-case-person",
                    False,
                    f"{person.name} is recorded in case {row.case_ref} as {other_role}",
                )
        for party in row.parties:
            if normalise_name(party) == mine:
                check("not-a-listed-party", False, f"{person.name} is a listed party ({party})")
        if not any(c["check"] == "not-a-case-person" for c in checks):
            checks.append({"check": "not-a-case-person", "passed": True})
        if not any(c["check"] == "not-a-listed-party" for c in checks):
            checks.append({"check": "not-a-listed-party", "passed": True})
        return {
            "result": "failed" if conflicts else "passed",
            "conflicts": conflicts,
            "checks": checks,
            "inputs": {
                "interpreter_id": person.id,
                "register_id": person.register_id,
                "interpreter_user_id": person.user_id,
                "requested_by": row.requested_by,
                "case_ref": row.case_ref,
                "case_found": bool(row.case_ref) and _case_exists(session, row.case_ref),
                "case_officer_id": officer_id,
                "case_persons_checked": len(case_persons),
                "parties_checked": len(row.parties),
            },
            "checked_at": utcnow().isoformat(),
        }

    def assign(self, reference: str, interpreter_id: int, actor: Actor) -> InterpreterRequest:
        if not actor.has(Role.OFFICER, Role.SUPERVISOR):
            raise PermissionDenied(N_("Only officers and supervisors assign interpreters."))
        with self.database.write_session() as session:
            row = self._request_for(session, reference, actor)
            self._transition(row, "assign")
            person = session.get(Interpreter, interpreter_id)
            if person is None or not person.active:
                raise _fail("interpreter", M_("choose an active interpreter from the roster"))
            if _primary(row.language) not in {_primary(x["language"]) for x in person.languages}:
                raise _fail("interpreter", M_("%(name)s does not work in %(language)s",
                                              name=person.name, language=row.language))
            result = self.check_independence(session, row, person)
            if result["result"] != "passed":
                raise Conflict(
                    N_("Independence check failed: %(conflicts)s. Choose another interpreter."),
                    conflicts="; ".join(result["conflicts"]),
                )
            row.interpreter_id = person.id
            row.independence = result
            row.status = "assigned"
            row.assigned_at = utcnow()
            session.flush()
            session.expunge(row)
            return row

    def join(self, reference: str, actor: Actor) -> InterpreterRequest:
        with self.database.write_session() as session:
            row = self._request(session, reference)
            self._transition(row, "join")
            person = session.get(Interpreter, row.interpreter_id) if row.interpreter_id else None
            if not actor.has(Role.INTERPRETER) or person is None or person.user_id != actor.user_id:
                raise PermissionDenied(
                    N_("Only the assigned interpreter can join, with their own account.")
                )
            row.status = "joined"
            row.joined_at = utcnow()
            session.flush()
            session.expunge(row)
            return row

    def close(self, reference: str, actor: Actor, note: str) -> InterpreterRequest:
        note = _text(note, "note", MAX_NOTE, required=True)
        with self.database.write_session() as session:
            row = self._request_for(session, reference, actor)
            self._own_or_staff(session, row, actor)
            self._transition(row, "close")
            row.status = "closed"
            row.closed_at = utcnow()
            row.notes = _append_note(row.notes, "closed", note)
            session.flush()
            session.expunge(row)
            return row

    def cancel(self, reference: str, actor: Actor, note: str) -> InterpreterRequest:
        if not actor.has(Role.OFFICER, Role.SUPERVISOR):
            raise PermissionDenied(N_("Only officers and supervisors cancel requests."))
        note = _text(note, "note", MAX_NOTE, required=True)
        with self.database.write_session() as session:
            row = self._request_for(session, reference, actor)
            self._transition(row, "cancel")
            row.status = "cancelled"
            row.closed_at = utcnow()
            row.notes = _append_note(row.notes, "cancelled", note)
            session.flush()
            session.expunge(row)
            return row

    @staticmethod
    def _own_or_staff(session: Session, row: InterpreterRequest, actor: Actor) -> None:
        if actor.has(Role.OFFICER, Role.SUPERVISOR):
            return
        person = session.get(Interpreter, row.interpreter_id) if row.interpreter_id else None
        if actor.has(Role.INTERPRETER) and person is not None and person.user_id == actor.user_id:
            return
        raise PermissionDenied(
            N_("Only officers, supervisors or the assigned interpreter can close this request.")
        )

    # -- corrections ------------------------------------------------------------------------------
    def machine_translations(self, reference: str) -> list[Decision]:
        """``interpret.translate`` decisions linked to the request: same case, or its source."""
        with self.database.session() as session:
            decisions = self._machine_translations(session, self._request(session, reference))
            for decision in decisions:
                session.expunge(decision)
            return decisions

    @staticmethod
    def _machine_translations(session: Session, row: InterpreterRequest) -> list[Decision]:
        links = []
        if row.case_ref:
            links.append(Decision.case_ref == row.case_ref)
        if row.source_kind == "translation" and row.source_ref:
            links.append(Decision.id == row.source_ref)
        if not links:
            return []
        return list(
            session.scalars(
                select(Decision)
                .where(
                    Decision.capability_id == TRANSLATE_CAPABILITY,
                    Decision.status == "completed",
                    Decision.erased_at.is_(None),
                    or_(*links),
                )
                .order_by(Decision.created_at)
                .limit(200)
            )
        )

    def record_correction(
        self,
        reference: str,
        actor: Actor,
        *,
        decision_id: str = "",
        source_text: str = "",
        machine_text: str = "",
        corrected_text: str,
        action: str,
    ) -> InterpretationCorrection:
        """Store a confirmation or correction beside the machine text (never over it)."""
        if action not in CORRECTION_ACTIONS:
            raise _fail("action", M_("one of %(correction_actions)s",
                                     correction_actions=', '.join(CORRECTION_ACTIONS)))
        decision_id = (decision_id or "").strip()
        with self.database.write_session() as session:
            row = self._request(session, reference)
            person = session.get(Interpreter, row.interpreter_id) if row.interpreter_id else None
            if person is None or person.user_id != actor.user_id or not actor.has(Role.INTERPRETER):
                raise PermissionDenied(N_("Only the assigned interpreter records corrections."))
            if row.status != "joined":
                raise Conflict(
                    N_(
                        "Corrections are recorded while the interpreter has joined "
                        "(request %(reference)s is %(status)s)."
                    ),
                    reference=row.reference,
                    status=row.status,
                )
            if decision_id:
                linked = {d.id: d for d in self._machine_translations(session, row)}
                decision = linked.get(decision_id)
                if decision is None:
                    raise _fail("decision_id", M_("not a machine translation linked to this "
                                                  "request"))
                inputs, output = decision.inputs or {}, decision.output or {}
                source_text = str(inputs.get("text", ""))
                machine_text = str(output.get("translation") or "")
            else:
                source_text = _text(source_text, "source_text", MAX_TEXT, required=True)
                machine_text = _text(machine_text, "machine_text", MAX_TEXT)
            if action == "confirmed":
                if not machine_text:
                    raise _fail("action", M_("there is no machine text to confirm; correct it"))
                corrected = machine_text
            else:
                corrected = _text(corrected_text, "corrected_text", MAX_TEXT, required=True)
                if corrected == machine_text:
                    raise _fail(
                        "corrected_text", M_("is the same as the machine text; confirm it instead")
                    )
            record = InterpretationCorrection(
                request_id=row.id,
                decision_id=decision_id,
                source_text=source_text,
                machine_text=machine_text,
                corrected_text=corrected,
                action=action,
                by_user=actor.user_id,
            )
            session.add(record)
            session.flush()
            session.expunge(record)
            return record

    def corrections(self, reference: str) -> list[InterpretationCorrection]:
        with self.database.session() as session:
            row = self._request(session, reference)
            records = list(
                session.scalars(
                    select(InterpretationCorrection)
                    .where(InterpretationCorrection.request_id == row.id)
                    .order_by(InterpretationCorrection.id)
                )
            )
            for record in records:
                session.expunge(record)
            return records

    # -- content review ---------------------------------------------------------------------------
    def certified_entry(self, actor: Actor) -> Interpreter | None:
        """The actor's roster entry if they are an active certified translator."""
        if not actor.has(Role.INTERPRETER):
            return None
        person = self.interpreter_for_user(actor.user_id)
        if person is None or not person.active or not person.certified_translator:
            return None
        return person

    def content_rows(self, base: content.Library) -> list[dict[str, Any]]:
        """Each form and notice per language: file status, digest, latest review, and the
        status the library reports now."""
        with self.database.session() as session:
            latest = _latest_verifications(session)
            for row in latest.values():
                session.expunge(row)
        rows = []
        for kind, item in _items(base):
            for lang in content.LANGUAGES:
                digest = content.content_digest(item, lang)
                record = latest.get((kind, item.id, lang))
                matches = record is not None and record.text_digest == digest
                file_statuses = item.statuses(lang)
                effective = (
                    "verified"
                    if (matches and record is not None and record.status == "verified")
                    else ("verified" if file_statuses == ["verified"] else ", ".join(file_statuses))
                )
                rows.append(
                    {
                        "kind": kind,
                        "id": item.id,
                        "item": item,
                        "language": lang,
                        "digest": digest,
                        "file_statuses": file_statuses,
                        "record": record,
                        "matches": matches,
                        "lapsed": record is not None and not matches,
                        "status": effective,
                    }
                )
        return rows

    def review_content(
        self,
        base: content.Library,
        actor: Actor,
        *,
        kind: str,
        content_id: str,
        language: str,
        digest: str,
        status: str,
        note: str = "",
    ) -> ContentVerification:
        """Record a certified translator's verdict on the exact texts they saw."""
        person = self.certified_entry(actor)
        if person is None:
            raise PermissionDenied(
                N_(
                    "Only an interpreter whose roster entry is a certified "
                    "translator can verify texts."
                )
            )
        if kind not in CONTENT_KINDS:
            raise _fail("kind", M_("one of %(content_kinds)s",
                                   content_kinds=', '.join(CONTENT_KINDS)))
        item = base.form(content_id) if kind == "form" else base.notice(content_id)
        if item is None:
            raise NotFound(N_("No such form or notice."))
        if language not in content.LANGUAGES:
            raise _fail("language", M_("one of %(languages)s",
                                       languages=', '.join(content.LANGUAGES)))
        if status not in REVIEW_STATUSES:
            raise _fail("status", M_("one of %(review_statuses)s",
                                     review_statuses=', '.join(REVIEW_STATUSES)))
        note = _text(note, "note", MAX_NOTE, required=status == "rejected")
        current = content.content_digest(item, language)
        if digest != current:
            raise Conflict(
                N_(
                    "The text changed since you opened it. Reload the page and review "
                    "the current text."
                )
            )
        with self.database.write_session() as session:
            record = ContentVerification(
                content_kind=kind,
                content_id=item.id,
                language=language,
                text_digest=current,
                translator_name=person.name,
                certificate_id=person.certificate_id,
                verified_by=actor.user_id,
                status=status,
                note=note,
            )
            session.add(record)
            session.flush()
            session.expunge(record)
        invalidate_overlay()
        return record

    def review_history(
        self, kind: str, content_id: str, language: str
    ) -> list[ContentVerification]:
        with self.database.session() as session:
            rows = list(
                session.scalars(
                    select(ContentVerification)
                    .where(
                        ContentVerification.content_kind == kind,
                        ContentVerification.content_id == content_id,
                        ContentVerification.language == language,
                    )
                    .order_by(ContentVerification.id.desc())
                )
            )
            for row in rows:
                session.expunge(row)
            return rows


def _append_note(existing: str, what: str, note: str) -> str:
    line = f"[{utcnow().strftime('%Y-%m-%d %H:%M')} UTC {what}] {note}"
    return f"{existing}\n{line}" if existing else line
