"""Rights notices given in a case, and consular notification letters.

Recording a notice is evidence that a duty was met: which notice (an id of the content library,
:mod:`accord.interpret.library`), in which language, when, how, by whom and through which
interpreter. Notices that discharge a checklist step also record the matching case event
(e.g. ``consular-rights-notified``), so the deadline engine sees the step done.

Consular letters are generated as PDF in Chinese and the consulate's language (English when no
template exists in it, and the letter says so), using the PDF fonts the access report uses
(:mod:`accord.governance.rights`). The letter text is a maintainer draft awaiting legal check and
says so on the page. Sending is recorded separately (when, how, reference) and records a
``consulate-notified`` event.
"""

from __future__ import annotations

import gettext as _gettext
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cases.guidance import (
    GUIDANCE_DIR,
    deadlines_for_case,
    is_nationality,
    subject_person,
)
from accord.cases.guidance_models import CaseNotice, ConsularLetter
from accord.cases.models import Case, CaseEvent, Person
from accord.cases.service import CaseService
from accord.core.accounts.models import User
from accord.core.blobs import BlobStore
from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.i18n import M_, N_

NOTICE_MODES: dict[str, str] = {
    "read-aloud": N_("Read aloud to the person"),
    "written": N_("Handed over in writing"),
    "interpreted": N_("Interpreted orally by an interpreter"),
    "audio": N_("Played as recorded audio"),
}
#: The case event a notice records, where giving it discharges a checklist step.
NOTICE_EVENTS: dict[str, str] = {
    "consular-notification": "consular-rights-notified",
    "rights-questioning": "rights-notified",
    "interpreter": "rights-notified",
    "complaints": "rights-notified",
}
SEND_CHANNELS: dict[str, str] = {
    "fax": N_("Fax"),
    "email": N_("E-mail"),
    "diplomatic-note": N_("Diplomatic note through the foreign-affairs office"),
    "hand-delivered": N_("Delivered by hand"),
    "phone": N_("Telephone (letter follows)"),
}
#: Clock skew allowed when a time is entered "now" on another device.
FUTURE_SLACK = timedelta(minutes=5)
LETTER_FILE = GUIDANCE_DIR / "consular_letter.yaml"
#: How the letter names the sender when no station name is configured (maintainer drafts, like
#: the templates in consular_letter.yaml).
STATION_DEFAULT = {
    "zh": "公安机关",
    "en": "the police station",
    "ru": "отдел полиции",
    "fr": "commissariat de police",
    "es": "comisaría de policía",
    "de": "Polizeidienststelle",
    "pt": "unidade policial",
    "ja": "警察署",
    "ko": "경찰서",
    "ar": "مركز الشرطة",
    "vi": "đồn công an",
    "th": "สถานีตำรวจ",
}
#: Fills {language} of the English fallback sentence when the nationality has no language in
#: consular_letter.yaml: the letter must not pretend English is the consulate's language.
LANGUAGE_NOT_RECORDED = "not recorded for {nationality}"
#: Thai puts spaces between phrases, not words: justified, its few spaces stretch wide.
LEFT_ALIGNED = {"th": "L"}
#: Right-to-left pages are set in a font that has Arabic itself (DejaVu Sans), with the CJK font
#: as a fallback. With the CJK font as the main font, Arabic comes from a fallback font and
#: fpdf2 2.8 then drops the Latin and neutral runs ("C-2026-0001).") of right-to-left lines
#: (viewers report "No font in show"; py-pdf/fpdf2#1772 is a similar fallback-font bug).
RTL_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class NoticeNotFound(NotFound):
    message = N_("Unknown notice: %(id)s")


class LetterNotFound(NotFound):
    message = N_("No such consular letter in this case.")


class LetterAlreadySent(Conflict):
    message = N_("This letter was already recorded as sent on %(time)s.")


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(detail=M_("%(what)s: the time has no time zone", what=what))
    if value > utcnow() + FUTURE_SLACK:
        raise ValidationFailed(detail=M_("%(what)s: the time is in the future", what=what))
    return value


def _person(case: Case, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    for person in case.persons:
        if person.id == person_id:
            return person
    raise ValidationFailed(detail=M_("person: no person %(person_id)s in case %(reference)s",
                                     person_id=person_id, reference=case.reference))


def _short(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationFailed(detail=M_("%(what)s: longer than %(limit)s characters",
                                         what=what, limit=limit))
    if any(ord(ch) < 32 for ch in value):
        raise ValidationFailed(detail=M_("%(what)s: contains control characters", what=what))
    return value


# -- notices -------------------------------------------------------------------------------------
def record_notice(
    session: Session,
    case: Case,
    *,
    notice_id: str,
    language: str,
    given_at: datetime,
    mode: str,
    given_by: int | None,
    person_id: int | None = None,
    interpreter_name: str = "",
    interpreter_register_id: str = "",
    note: str = "",
) -> CaseNotice:
    """Record that a notice was given; add the case event it stands for, if any."""
    from accord.interpret.library import LANGUAGES, get_library

    notice = get_library().notice(notice_id)
    if notice is None:
        raise NoticeNotFound(id=notice_id)
    if language not in LANGUAGES:
        raise ValidationFailed(
            detail=M_("language: %(language)r is not a content language (%(languages)s)",
                      language=language, languages=', '.join(LANGUAGES))
        )
    if mode not in NOTICE_MODES:
        raise ValidationFailed(detail=M_("mode: one of %(notice_modes)s",
                                         notice_modes=', '.join(NOTICE_MODES)))
    given_at = _aware(given_at, "given at")
    person = _person(case, person_id)
    interpreter_name = _short(interpreter_name, 200, "interpreter name")
    interpreter_register_id = _short(interpreter_register_id, 64, "interpreter register id")
    if mode == "interpreted" and not interpreter_name:
        raise ValidationFailed(detail=M_("interpreter name: required when the notice was "
                                         "interpreted"))
    if notice_id == "interpreter" and not (interpreter_name and interpreter_register_id):
        raise ValidationFailed(
            detail=M_("interpreter: give the interpreter's name and register id (the interpreter "
                      "must be independent of the case)")
        )
    note = _short(note, 2000, "note").replace("\r", "")
    event = None
    kind = NOTICE_EVENTS.get(notice_id)
    if kind is not None:
        label = f"notice {notice_id} v{notice.version} in {language} ({mode})"
        if interpreter_name:
            label += f"; interpreter {interpreter_name} {interpreter_register_id}".rstrip()
        event = CaseEvent(
            case_id=case.id,
            person_id=person.id if person else None,
            kind=kind,
            occurred_at=given_at,
            note=label,
            recorded_by=given_by,
            recorded_at=utcnow(),
        )
        session.add(event)
        session.flush()
    row = CaseNotice(
        case_id=case.id,
        person_id=person.id if person else None,
        notice_id=notice_id,
        notice_version=notice.version,
        language=language,
        given_at=given_at,
        given_by=given_by,
        interpreter_name=interpreter_name,
        interpreter_register_id=interpreter_register_id,
        mode=mode,
        note=note,
        event_id=event.id if event else None,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if event is not None:
        session.expire(case, ["events"])
    return row


def notices_of(session: Session, case: Case) -> list[CaseNotice]:
    return list(
        session.scalars(
            select(CaseNotice)
            .where(CaseNotice.case_id == case.id)
            .order_by(CaseNotice.given_at, CaseNotice.id)
        )
    )


# -- consular letters ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LetterTemplate:
    title: str
    draft: str
    salutation: str
    body: tuple[str, ...]
    visits: str
    fallback: str


@dataclass(frozen=True)
class LetterTexts:
    status: str
    languages: dict[str, str]
    templates: dict[str, LetterTemplate]


_letter_lock = threading.Lock()
_letter: LetterTexts | None = None


def letter_texts(path: Path = LETTER_FILE) -> LetterTexts:
    global _letter
    with _letter_lock:
        if _letter is None or path != LETTER_FILE:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            templates = {}
            for lang, raw in data["templates"].items():
                templates[lang] = LetterTemplate(
                    raw["title"],
                    raw["draft"],
                    raw["salutation"],
                    tuple(raw["body"]),
                    raw["visits"],
                    raw.get("fallback", ""),
                )
            if "zh" not in templates or "en" not in templates:
                raise ValueError(f"{path.name}: templates need zh and en")
            for code in data.get("languages", {}):
                if not is_nationality(str(code)):
                    raise ValueError(f"{path.name}: languages: unknown nationality {code!r}")
            texts = LetterTexts(
                str(data.get("status", "maintainer-draft")),
                {str(k): str(v) for k, v in data.get("languages", {}).items()},
                templates,
            )
            if path != LETTER_FILE:
                return texts
            _letter = texts
        return _letter


def letter_languages(nationality: str) -> tuple[list[str], str]:
    """(["zh", lang], wanted) — ``lang`` is "en" when the wanted language has no template;
    ``wanted`` is "" when no language is recorded for the nationality (English is used then)."""
    texts = letter_texts()
    wanted = texts.languages.get(nationality.upper(), "")
    used = wanted if wanted in texts.templates else "en"
    return ["zh", used], wanted


def country_name(nationality: str, lang: str) -> str:
    import pycountry

    code = nationality.upper().rstrip("<")
    country = pycountry.countries.get(alpha_3="DEU" if code == "D" else code)
    if country is None:
        return nationality
    if lang == "en":
        return str(country.name)
    locale = {"zh": "zh_CN"}.get(lang, lang)
    try:
        translation = _gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return str(country.name)
    return translation.gettext(country.name)


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _basis(case: Case, lang: str, tz: str) -> str:
    """The consular steps of the case that apply, with their citations, in ``lang``.

    Step titles exist only in Chinese and English, so every language but Chinese gets English
    here; the templates of other languages say that the basis is given in English."""
    steps = [
        s
        for s in deadlines_for_case(case, now=utcnow(), tz=tz)
        if s.step_id in ("consulate-on-request", "consulate-treaty", "consulate-death")
        and s.state != "not-applicable"
        and s.state != "waiting-for-event"
    ]
    if not steps:
        return (
            "依照《维也纳领事关系公约》第三十六条"
            if lang == "zh"
            else "Vienna Convention on Consular Relations Art. 36"
        )
    parts = []
    for step in steps:
        if lang == "zh":
            parts.append(f"{step.title_zh}（{step.citation_in('zh')}）")
        else:
            parts.append(f"{step.title_en} ({step.citation})")
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def _rtl_family(pdf: Any) -> str:
    """The font family for a right-to-left page (see :data:`RTL_FONT`); "main" without it."""
    if "rtl" not in pdf.fonts:
        if not Path(RTL_FONT).exists():
            return "main"
        fallbacks = [name for name in pdf.fonts if name.startswith("fallback")]
        pdf.add_font("rtl", "", RTL_FONT)
        pdf.set_fallback_fonts(["main", *fallbacks])
    return "rtl"


def letter_pdf(
    case: Case, person: Person, *, officer: str, station: str, tz: str, font_path: str = ""
) -> tuple[bytes, list[str], str]:
    """Render the letter; returns (pdf, languages used, language wanted)."""
    from fpdf import FPDF

    from accord.core.pdf import main_font, prepare_fonts
    from accord.interpret.library import LANGUAGES as CONTENT_LANGUAGES

    font = main_font(font_path)
    texts = letter_texts()
    languages, wanted = letter_languages(person.nationality)
    zone = ZoneInfo(tz)
    detained = [e.occurred_at for e in case.events if e.kind in ("detention", "death")]
    # The offset, not the zone's abbreviation: a consulate reads "CST" as US Central Time.
    when = utc_offset_time(min(detained).astimezone(zone)) if detained else "-"
    document = next((f"{d.kind} {d.number}" for d in getattr(person, "documents", [])), "-")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(f"Consular notification {case.reference}")
    prepare_fonts(pdf, font)
    align, family = "J", "main"

    def line(text: str, size: float = 11, height: float = 6.5) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(pdf.epw, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    for lang in languages:
        # Right-to-left languages (Arabic) are set flush right, as in notice_pdf.
        known = CONTENT_LANGUAGES.get(lang)
        rtl = known is not None and known.rtl
        align, family = ("R", _rtl_family(pdf)) if rtl else (LEFT_ALIGNED.get(lang, "J"), "main")
        template = texts.templates[lang]
        values = {
            "country": country_name(person.nationality, lang),
            "name": person.full_name,
            "birth": person.date_of_birth.isoformat() if person.date_of_birth else "-",
            "document": document,
            "time": when,
            "place": case.place or "-",
            "reference": case.reference,
            "basis": _basis(case, lang, tz),
            "station": station or STATION_DEFAULT.get(lang, STATION_DEFAULT["en"]),
            "officer": officer,
            "visits": template.visits,
        }
        pdf.add_page()
        if texts.status != "checked":
            pdf.set_text_color(170, 0, 0)
            line(template.draft.upper() if lang != "zh" else template.draft, size=9)
            pdf.set_text_color(0, 0, 0)
        line(template.title, size=16, height=9)
        if lang == languages[-1] and lang != wanted and template.fallback:
            missing = wanted or LANGUAGE_NOT_RECORDED.format(nationality=person.nationality)
            line(_fill(template.fallback, {"language": missing}), size=9)
        pdf.ln(2)
        line(_fill(template.salutation, values))
        for paragraph in template.body:
            pdf.ln(1.5)
            line(_fill(paragraph, values))
        pdf.ln(4)
        line(datetime.now(zone).strftime("%Y-%m-%d"), size=10)
    return bytes(pdf.output()), languages, wanted


def utc_offset_time(moment: datetime) -> str:
    """``2026-11-25 15:00 UTC+08:00``: a time every reader places the same way."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def generate_letter(
    session: Session,
    case: Case,
    *,
    person_id: int | None,
    user_id: int | None,
    officer: str,
    station: str,
    tz: str,
    blobs: BlobStore,
    consulate: str = "",
    font_path: str = "",
) -> tuple[ConsularLetter, bytes]:
    """Generate, store (blob store) and record a consular letter for one person of the case."""
    person = _person(case, person_id) if person_id is not None else subject_person(case)
    if person is None:
        raise ValidationFailed(detail=M_("person: the case has no person to write about"))
    if not person.nationality or not is_nationality(person.nationality):
        raise ValidationFailed(
            detail=M_("nationality: the person's nationality is not recorded as an ISO 3166-1 "
                      "alpha-3 code")
        )
    consulate = _short(consulate, 200, "consulate")
    data, languages, _wanted = letter_pdf(
        case, person, officer=officer, station=station, tz=tz, font_path=font_path
    )
    digest = blobs.put(data)
    row = ConsularLetter(
        case_id=case.id,
        person_id=person.id,
        nationality=person.nationality.upper(),
        consulate=consulate or country_name(person.nationality, "en"),
        languages=languages,
        pdf_sha256=digest,
        generated_at=utcnow(),
        generated_by=user_id,
    )
    session.add(row)
    session.flush()
    return row, data


def letters_of(session: Session, case: Case) -> list[ConsularLetter]:
    return list(
        session.scalars(
            select(ConsularLetter)
            .where(ConsularLetter.case_id == case.id)
            .order_by(ConsularLetter.generated_at, ConsularLetter.id)
        )
    )


def get_letter(session: Session, case: Case, letter_id: int) -> ConsularLetter:
    row = session.get(ConsularLetter, letter_id)
    if row is None or row.case_id != case.id:
        raise LetterNotFound()
    return row


def record_sent(
    session: Session,
    case: Case,
    letter: ConsularLetter,
    *,
    sent_at: datetime,
    via: str,
    reference: str,
    user_id: int | None,
) -> ConsularLetter:
    """Record when and how the letter went out; records the ``consulate-notified`` event."""
    if letter.sent_at is not None:
        raise LetterAlreadySent(time=letter.sent_at.isoformat())
    if via not in SEND_CHANNELS:
        raise ValidationFailed(detail=M_("sent via: one of %(send_channels)s",
                                         send_channels=', '.join(SEND_CHANNELS)))
    sent_at = _aware(sent_at, "sent at")
    if sent_at < letter.generated_at - FUTURE_SLACK:
        raise ValidationFailed(detail=M_("sent at: before the letter was generated"))
    reference = _short(reference, 120, "reference")
    event = CaseEvent(
        case_id=case.id,
        person_id=letter.person_id,
        kind="consulate-notified",
        occurred_at=sent_at,
        recorded_by=user_id,
        recorded_at=utcnow(),
        note=f"consular letter {letter.id} sent via {via}"
        + (f", reference {reference}" if reference else ""),
    )
    session.add(event)
    session.flush()
    letter.sent_at, letter.sent_by, letter.sent_via = sent_at, user_id, via
    letter.reference, letter.event_id = reference, event.id
    session.flush()
    session.expire(case, ["events"])
    return letter


# -- use cases of the notices page: one transaction each -----------------------------------------
class NoticeService:
    """The notices and consular letters of a case as the pages and commands use them.

    The functions above flush and leave the transaction to the caller; each method here is one
    use case: it checks that the user may change the case (:meth:`CaseService.can_edit`), does
    the change and commits it, or undoes all of it, so a refused form stores nothing.
    """

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases
        self.session = cases.session

    def notices(self, case: Case) -> list[CaseNotice]:
        """The notices given in the case, in the order they were given."""
        return notices_of(self.session, case)

    def letters(self, case: Case) -> list[ConsularLetter]:
        """The consular letters generated for the case, oldest first."""
        return letters_of(self.session, case)

    def letter(self, case: Case, letter_id: int) -> ConsularLetter:
        """Letter ``letter_id`` of this case (404 otherwise)."""
        return get_letter(self.session, case, letter_id)

    def give_notice(
        self,
        case: Case,
        user: User,
        *,
        notice_id: str,
        language: str,
        given_at: datetime,
        mode: str,
        person_id: int | None = None,
        interpreter_name: str = "",
        interpreter_register_id: str = "",
        note: str = "",
    ) -> CaseNotice:
        """Record that ``user`` gave a rights notice (and the case event it stands for): the
        record the deadline board and a court read to see that the person was told."""
        with self.cases.use_case(case, user):
            return record_notice(
                self.session, case, notice_id=notice_id, language=language, given_at=given_at,
                mode=mode, given_by=user.id, person_id=person_id,
                interpreter_name=interpreter_name,
                interpreter_register_id=interpreter_register_id, note=note,
            )

    def write_consular_letter(
        self,
        case: Case,
        user: User,
        *,
        person_id: int | None,
        tz: str,
        consulate: str = "",
        font_path: str = "",
    ) -> tuple[ConsularLetter, bytes]:
        """Generate and keep the consular notification letter for a foreign national of the
        case, signed with ``user``'s name; returns the record and the PDF."""
        with self.cases.use_case(case, user):
            return generate_letter(
                self.session, case, person_id=person_id, user_id=user.id,
                officer=user.display_name or user.username, station="", tz=tz,
                blobs=self.cases.blobs, consulate=consulate, font_path=font_path,
            )

    def letter_sent(
        self,
        case: Case,
        letter_id: int,
        user: User,
        *,
        sent_at: datetime,
        via: str,
        reference: str = "",
    ) -> ConsularLetter:
        """Record when and how a letter went out (and the consulate-notified event), once."""
        with self.cases.use_case(case, user):
            letter = get_letter(self.session, case, letter_id)
            return record_sent(self.session, case, letter, sent_at=sent_at, via=via,
                               reference=reference, user_id=user.id)


def as_dict(letter: ConsularLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "nationality": letter.nationality,
        "consulate": letter.consulate,
        "languages": list(letter.languages or []),
        "sha256": letter.pdf_sha256,
        "generated_at": letter.generated_at.isoformat(),
        "sent_at": letter.sent_at.isoformat() if letter.sent_at else None,
        "sent_via": letter.sent_via,
        "reference": letter.reference,
    }
