"""The guidance engine: per case type, the steps, notices and legal deadlines that apply, computed
from the times of the case's events.

Everything legal is data (``accord/cases/guidance/*.yaml``), never constants here, because laws
change and bilateral treaties differ per nationality:

* ``legal_facts.yaml`` — every fact from LEGAL-FACTS.md with its source, article, rule text and
  status (verified / partly-verified / unverified);
* ``<case-type>.yaml`` — one versioned checklist per case type; each step names its citation, its
  fact, the event(s) its clock starts from and the event that completes it;
* ``treaties.yaml`` — consular notification that is mandatory per nationality (USA: 4 days);
* ``cautions.yaml`` — procedural cautions per case type (and optionally nationality), each with
  its source.

:func:`load_guidance` validates all of it (unknown event kind, notice or fact id, missing
citation, …) and raises :class:`GuidanceError` naming the file and the step, so a broken
checklist stops the application at start instead of showing a wrong deadline.

The engine never invents a number the law does not state: a "without delay" duty is due at its
anchor time and says so; where Accord sets an operational target for it (``accord_target``), the
target is shown labelled as Accord's, not as law. A fact's status travels with every step: a step
resting on an unverified fact says "unverified — awaiting legal officer" until a legal officer
confirms that exact text (see :class:`LegalFactService`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from accord.cases.guidance_models import CaseNotice, LegalFactConfirmation
from accord.cases.vocab import CASE_TYPES, EVENT_KINDS
from accord.core.db import utcnow
from accord.core.errors import AccordError, NotFound, ValidationFailed
from accord.core.i18n import M_, N_

if TYPE_CHECKING:
    from accord.cases.models import Case, Person

GUIDANCE_DIR = Path(__file__).resolve().parent / "guidance"

FACT_STATUSES = ("verified", "partly-verified", "unverified")
#: What a step shows about its legal basis.
SHOWN_STATUSES = (
    "verified",
    "unverified",
    "confirmed-by-legal-officer",
    "disputed-by-legal-officer",
)
STATES = ("done", "overdue", "at-risk", "pending", "waiting-for-event", "not-applicable",
          "case-closed")
STATE_LABELS: dict[str, str] = {
    "done": N_("done"),
    "overdue": N_("overdue"),
    "at-risk": N_("at risk"),
    "pending": N_("pending"),
    "waiting-for-event": N_("waiting for the event that starts the clock"),
    "not-applicable": N_("not applicable"),
    "case-closed": N_("not done — case closed"),
}
FACT_STATUS_LABELS: dict[str, str] = {
    "verified": N_("verified"),
    "unverified": N_("unverified — awaiting legal officer"),
    "confirmed-by-legal-officer": N_("confirmed by a legal officer"),
    "disputed-by-legal-officer": N_("disputed by a legal officer"),
}
CONFIRMATION_STATUSES = ("confirmed", "disputed")
#: At-risk window: the last 25 % of the period or the last 2 hours, whichever is smaller.
AT_RISK_FRACTION = 0.25
AT_RISK_MAX = timedelta(hours=2)
NOTICE_PREFIX = "notice:"

#: Codes that appear as nationality in machine-readable travel documents besides ISO 3166-1
#: alpha-3 (ICAO Doc 9303 Part 3): Germany's "D", British nationality categories, UN documents,
#: stateless and refugee codes, Kosovo, the EU laissez-passer.
MRZ_EXTRA_CODES = frozenset(
    {
        "D",
        "GBD",
        "GBN",
        "GBO",
        "GBP",
        "GBS",
        "UNA",
        "UNK",
        "UNO",
        "XOM",
        "XXA",
        "XXB",
        "XXC",
        "XXX",
        "EUE",
        "RKS",
    }
)


class GuidanceError(ValueError):
    """A guidance data file is invalid. The message names the file and the place."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


class UnknownCaseType(AccordError):
    status = 422
    message = N_("Unknown case type: %(value)s (one of: %(choices)s)")


class UnknownNationality(AccordError):
    status = 422
    message = N_("Unknown nationality code: %(value)s (ISO 3166-1 alpha-3 as in the MRZ, e.g. USA)")


class UnknownFact(NotFound):
    message = N_("Unknown legal fact: %(id)s")


class StaleFact(AccordError):
    status = 409
    message = N_(
        "The text of legal fact %(id)s has changed since the page was loaded. Read it "
        "again before confirming."
    )


# -- the data ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegalFact:
    id: str
    source: str
    article: str
    status: str  # verified | partly-verified | unverified
    rule_en: str
    rule_zh: str
    note_en: str = ""
    note_zh: str = ""
    # The source and article as a Chinese reader cites them (《…》第…条): the Chinese UI shows
    # these, never the English citation.
    source_zh: str = ""
    article_zh: str = ""

    def citation(self, language: str = "en") -> str:
        """Source and article in ``language`` ("zh"/"zh_Hans": the Chinese citation)."""
        if language.startswith("zh"):
            return f"{self.source_zh}{self.article_zh}"
        return f"{self.source} {self.article}"

    @property
    def digest(self) -> str:
        """SHA-256 of the fact as written: a confirmation is bound to exactly this text."""
        canonical = json.dumps(
            {
                "id": self.id,
                "source": self.source,
                "article": self.article,
                # The Chinese citation is part of what the legal officer confirms: a wrong
                # article number in Chinese is as wrong as one in English.
                "source_zh": self.source_zh,
                "article_zh": self.article_zh,
                "status": self.status,
                "rule": {"en": self.rule_en, "zh": self.rule_zh},
                "note": {"en": self.note_en, "zh": self.note_zh},
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Treaty:
    nationality: str
    name_en: str
    name_zh: str
    fact: str
    citation: str
    mandatory: bool
    period: timedelta
    citation_zh: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    title_en: str
    title_zh: str
    citation: str
    fact: str
    anchor: tuple[str, ...]  # the earliest of these events starts the clock
    done_when: tuple[str, ...]  # event kinds, or "notice:<id>" for a notice given
    period: timedelta | None = None
    extended_period: timedelta | None = None
    without_delay: bool = False
    accord_target: timedelta | None = None  # Accord's operational target, not law
    treaty: bool = False  # period and citation from treaties.yaml, per nationality
    no_deadline: bool = False  # a duty whose deadline the verified facts do not state
    restart_on: str = ""  # if this event is later than the anchor, the clock starts there
    done_after_anchor: bool = False  # only completions at or after the anchor count
    requires_interpreter: bool = False  # applies only when the person does not speak Chinese
    note_en: str = ""
    note_zh: str = ""
    citation_zh: str = ""  # the citation as the Chinese UI shows it


@dataclass(frozen=True)
class Checklist:
    case_type: str
    version: int
    start_event: str
    steps: tuple[Step, ...]

    @property
    def version_label(self) -> str:
        return f"{self.case_type}@{self.version}"


@dataclass(frozen=True)
class Caution:
    id: str
    case_types: tuple[str, ...]  # empty: every case type
    nationalities: tuple[str, ...]  # empty: every nationality
    text_en: str
    text_zh: str
    fact: str = ""
    source: str = ""  # a document section when the caution does not rest on a legal fact
    source_zh: str = ""  # the same source as the Chinese UI shows it


@dataclass(frozen=True)
class Guidance:
    facts: Mapping[str, LegalFact]
    checklists: Mapping[str, Checklist]
    treaties: Mapping[str, Treaty]
    cautions: tuple[Caution, ...]
    directory: Path = field(default=GUIDANCE_DIR)

    def checklist(self, case_type: str) -> Checklist:
        try:
            return self.checklists[case_type]
        except KeyError:
            raise UnknownCaseType(value=case_type, choices=", ".join(CASE_TYPES)) from None

    def caution_source(self, caution: Caution, language: str) -> str:
        """What a caution rests on, cited in ``language``: its legal fact's source and article,
        or the document it names (never the fact's id)."""
        zh = language.startswith("zh")
        if caution.fact and caution.fact in self.facts:
            return self.facts[caution.fact].citation(language)
        return caution.source_zh if zh and caution.source_zh else caution.source

    def cautions_for(self, case_type: str, nationality: str = "") -> list[Caution]:
        nationality = nationality.upper()
        return [
            c
            for c in self.cautions
            if (not c.case_types or case_type in c.case_types)
            and (not c.nationalities or nationality in c.nationalities)
        ]


# -- loading and validation ----------------------------------------------------------------------
_STEP_KEYS = {
    "id",
    "title",
    "citation",
    "citation_zh",
    "fact",
    "anchor",
    "done_when",
    "period",
    "extended_period",
    "without_delay",
    "accord_target",
    "treaty",
    "no_deadline",
    "restart_on",
    "done_after_anchor",
    "requires_interpreter",
    "note",
}
_FACT_KEYS = {"id", "source", "article", "source_zh", "article_zh", "status", "rule", "note"}
_CAUTION_KEYS = {"id", "case_types", "nationalities", "text", "fact", "source", "source_zh"}


class _File:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def fail(self, where: str, problem: str) -> GuidanceError:
        return GuidanceError(self.name, where, problem)

    def load(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.fail("", "file is missing") from None
        except yaml.YAMLError as error:
            raise self.fail("", f"not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise self.fail("", "expected a mapping at the top level")
        return data

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected a non-empty text")
        return value.strip()

    def bilingual(self, where: str, value: Any, *, required: bool = True) -> tuple[str, str]:
        if value is None and not required:
            return "", ""
        if not isinstance(value, dict) or set(value) != {"en", "zh"}:
            raise self.fail(where, "expected exactly the keys en and zh")
        return self.text(f"{where}.en", value["en"]), self.text(f"{where}.zh", value["zh"])

    def duration(self, where: str, value: Any) -> timedelta | None:
        if value is None:
            return None
        if (
            not isinstance(value, dict)
            or len(value) != 1
            or next(iter(value)) not in ("hours", "days")
        ):
            raise self.fail(where, "expected {hours: N} or {days: N}")
        unit, amount = next(iter(value.items()))
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise self.fail(where, "expected a positive whole number")
        return timedelta(**{unit: amount})

    def flag(self, where: str, value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(where, "expected true or false")
        return value


def _load_facts(path: Path) -> dict[str, LegalFact]:
    file = _File(path)
    data = file.load()
    if not isinstance(data.get("version"), int):
        raise file.fail("version", "expected a whole number")
    facts: dict[str, LegalFact] = {}
    for index, raw in enumerate(data.get("facts") or []):
        where = f"facts[{index}]"
        if not isinstance(raw, dict):
            raise file.fail(where, "expected a mapping")
        unknown = sorted(set(raw) - _FACT_KEYS)
        if unknown:
            raise file.fail(where, f"unknown keys: {', '.join(unknown)}")
        fact_id = file.text(f"{where}.id", raw.get("id"))
        where = f"fact {fact_id}"
        if fact_id in facts:
            raise file.fail(where, "duplicate id")
        status = raw.get("status")
        if status not in FACT_STATUSES:
            raise file.fail(f"{where}.status", f"expected one of {', '.join(FACT_STATUSES)}")
        rule_en, rule_zh = file.bilingual(f"{where}.rule", raw.get("rule"))
        note_en, note_zh = file.bilingual(f"{where}.note", raw.get("note"), required=False)
        facts[fact_id] = LegalFact(
            fact_id,
            file.text(f"{where}.source", raw.get("source")),
            file.text(f"{where}.article", raw.get("article")),
            status,
            rule_en,
            rule_zh,
            note_en,
            note_zh,
            file.text(f"{where}.source_zh", raw.get("source_zh")),
            file.text(f"{where}.article_zh", raw.get("article_zh")),
        )
    if not facts:
        raise file.fail("facts", "no facts")
    return facts


def _load_treaties(path: Path, facts: Mapping[str, LegalFact]) -> dict[str, Treaty]:
    file = _File(path)
    data = file.load()
    if not isinstance(data.get("version"), int):
        raise file.fail("version", "expected a whole number")
    treaties: dict[str, Treaty] = {}
    for code, raw in (data.get("treaties") or {}).items():
        where = f"treaties.{code}"
        if not is_nationality(str(code)):
            raise file.fail(where, "not an ISO 3166-1 alpha-3 code as used in the MRZ")
        if not isinstance(raw, dict):
            raise file.fail(where, "expected a mapping")
        unknown = sorted(set(raw) - {"name", "fact", "citation", "citation_zh", "mandatory",
                                      "period"})
        if unknown:
            raise file.fail(where, f"unknown keys: {', '.join(unknown)}")
        name_en, name_zh = file.bilingual(f"{where}.name", raw.get("name"))
        fact = file.text(f"{where}.fact", raw.get("fact"))
        if fact not in facts:
            raise file.fail(f"{where}.fact", f"unknown fact id {fact!r}")
        period = file.duration(f"{where}.period", raw.get("period"))
        if period is None:
            raise file.fail(f"{where}.period", "a treaty entry needs its period")
        treaties[str(code)] = Treaty(
            str(code),
            name_en,
            name_zh,
            fact,
            file.text(f"{where}.citation", raw.get("citation")),
            file.flag(f"{where}.mandatory", raw.get("mandatory")),
            period,
            file.text(f"{where}.citation_zh", raw.get("citation_zh")),
        )
    return treaties


def _event_or_notice(file: _File, where: str, value: Any, notices: Iterable[str]) -> str:
    name = file.text(where, value)
    if name.startswith(NOTICE_PREFIX):
        if name[len(NOTICE_PREFIX) :] not in set(notices):
            raise file.fail(where, f"unknown notice id {name[len(NOTICE_PREFIX) :]!r}")
    elif name not in EVENT_KINDS:
        raise file.fail(where, f"unknown event kind {name!r}")
    return name


def _kinds(
    file: _File, where: str, value: Any, notices: Iterable[str], *, allow_notices: bool
) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or value is None:
        raise file.fail(where, "expected an event kind or a list of them")
    kinds = []
    for index, item in enumerate(values):
        kind = _event_or_notice(file, f"{where}[{index}]", item, notices)
        if kind.startswith(NOTICE_PREFIX) and not allow_notices:
            raise file.fail(where, "a clock starts from an event, not a notice")
        kinds.append(kind)
    return tuple(kinds)


def _load_checklist(
    path: Path, case_type: str, facts: Mapping[str, LegalFact], notices: Iterable[str]
) -> Checklist:
    file = _File(path)
    data = file.load()
    unknown = sorted(set(data) - {"case_type", "version", "start_event", "steps"})
    if unknown:
        raise file.fail("", f"unknown keys: {', '.join(unknown)}")
    if data.get("case_type") != case_type:
        raise file.fail("case_type", f"expected {case_type!r} (the file name)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise file.fail("version", "expected a positive whole number")
    start_event = file.text("start_event", data.get("start_event"))
    if start_event not in EVENT_KINDS:
        raise file.fail("start_event", f"unknown event kind {start_event!r}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise file.fail("steps", "expected a non-empty list")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        where = f"steps[{index}]"
        if not isinstance(raw, dict):
            raise file.fail(where, "expected a mapping")
        step_id = file.text(f"{where}.id", raw.get("id"))
        where = f"step {step_id}"
        unknown = sorted(set(raw) - _STEP_KEYS)
        if unknown:
            raise file.fail(where, f"unknown keys: {', '.join(unknown)}")
        if any(s.id == step_id for s in steps):
            raise file.fail(where, "duplicate step id")
        title_en, title_zh = file.bilingual(f"{where}.title", raw.get("title"))
        note_en, note_zh = file.bilingual(f"{where}.note", raw.get("note"), required=False)
        citation = file.text(f"{where}.citation", raw.get("citation"))
        citation_zh = file.text(f"{where}.citation_zh", raw.get("citation_zh"))
        fact = file.text(f"{where}.fact", raw.get("fact"))
        if fact not in facts:
            raise file.fail(f"{where}.fact", f"unknown fact id {fact!r}")
        anchor = _kinds(file, f"{where}.anchor", raw.get("anchor"), notices, allow_notices=False)
        done_when = _kinds(
            file, f"{where}.done_when", raw.get("done_when"), notices, allow_notices=True
        )
        restart_on = ""
        if raw.get("restart_on") is not None:
            restart_on = _event_or_notice(file, f"{where}.restart_on", raw["restart_on"], ())
        period = file.duration(f"{where}.period", raw.get("period"))
        extended = file.duration(f"{where}.extended_period", raw.get("extended_period"))
        target = file.duration(f"{where}.accord_target", raw.get("accord_target"))
        without_delay = file.flag(f"{where}.without_delay", raw.get("without_delay"))
        treaty = file.flag(f"{where}.treaty", raw.get("treaty"))
        no_deadline = file.flag(f"{where}.no_deadline", raw.get("no_deadline"))
        kinds = [
            name
            for name, on in (
                ("period", period is not None),
                ("without_delay", without_delay),
                ("treaty", treaty),
                ("no_deadline", no_deadline),
            )
            if on
        ]
        if len(kinds) != 1:
            raise file.fail(
                where,
                "give exactly one of period, without_delay, treaty, "
                f"no_deadline (found: {', '.join(kinds) or 'none'})",
            )
        if target is not None and not without_delay:
            raise file.fail(f"{where}.accord_target", "only a without-delay step has a target")
        if without_delay and target is None:
            # Without one, a "without delay" step would show as due now forever, on a case
            # opened months ago as on one opened a minute ago.
            raise file.fail(f"{where}.accord_target", "a without-delay step needs the service's "
                            "own target (not law), after which it shows as overdue")
        if extended is not None and (period is None or extended <= period):
            raise file.fail(f"{where}.extended_period", "must extend the step's period")
        steps.append(
            Step(
                id=step_id,
                title_en=title_en,
                title_zh=title_zh,
                citation=citation,
                fact=fact,
                anchor=anchor,
                done_when=done_when,
                period=period,
                extended_period=extended,
                without_delay=without_delay,
                accord_target=target,
                treaty=treaty,
                no_deadline=no_deadline,
                restart_on=restart_on,
                done_after_anchor=file.flag(
                    f"{where}.done_after_anchor", raw.get("done_after_anchor")
                ),
                requires_interpreter=file.flag(
                    f"{where}.requires_interpreter", raw.get("requires_interpreter")
                ),
                note_en=note_en,
                note_zh=note_zh,
                citation_zh=citation_zh,
            )
        )
    return Checklist(case_type, version, start_event, tuple(steps))


def _load_cautions(path: Path, facts: Mapping[str, LegalFact]) -> tuple[Caution, ...]:
    file = _File(path)
    data = file.load()
    if not isinstance(data.get("version"), int):
        raise file.fail("version", "expected a whole number")
    cautions: list[Caution] = []
    for index, raw in enumerate(data.get("cautions") or []):
        where = f"cautions[{index}]"
        if not isinstance(raw, dict):
            raise file.fail(where, "expected a mapping")
        caution_id = file.text(f"{where}.id", raw.get("id"))
        where = f"caution {caution_id}"
        unknown = sorted(set(raw) - _CAUTION_KEYS)
        if unknown:
            raise file.fail(where, f"unknown keys: {', '.join(unknown)}")
        case_types = tuple(raw.get("case_types") or ())
        for case_type in case_types:
            if case_type not in CASE_TYPES:
                raise file.fail(f"{where}.case_types", f"unknown case type {case_type!r}")
        nationalities = tuple(str(n) for n in raw.get("nationalities") or ())
        for code in nationalities:
            if not is_nationality(code):
                raise file.fail(f"{where}.nationalities", f"unknown nationality {code!r}")
        fact = raw.get("fact") or ""
        source = raw.get("source") or ""
        if fact and fact not in facts:
            raise file.fail(f"{where}.fact", f"unknown fact id {fact!r}")
        if not fact and not (isinstance(source, str) and source.strip()):
            raise file.fail(where, "every caution needs a fact id or a source")
        source_zh = ""
        if source:
            # Shown in the Chinese UI instead of the English source.
            source_zh = file.text(f"{where}.source_zh", raw.get("source_zh"))
        text_en, text_zh = file.bilingual(f"{where}.text", raw.get("text"))
        cautions.append(
            Caution(
                caution_id,
                case_types,
                nationalities,
                text_en,
                text_zh,
                str(fact),
                str(source).strip(),
                source_zh,
            )
        )
    return tuple(cautions)


def _notice_ids() -> list[str]:
    from accord.interpret.library import get_library

    return list(get_library().notices)


def load_guidance(
    directory: Path = GUIDANCE_DIR, notice_ids: Iterable[str] | None = None
) -> Guidance:
    """Read and validate every guidance file; raise :class:`GuidanceError` on the first problem."""
    notices = list(notice_ids) if notice_ids is not None else _notice_ids()
    facts = _load_facts(directory / "legal_facts.yaml")
    treaties = _load_treaties(directory / "treaties.yaml", facts)
    checklists = {
        case_type: _load_checklist(directory / f"{case_type}.yaml", case_type, facts, notices)
        for case_type in CASE_TYPES
    }
    cautions = _load_cautions(directory / "cautions.yaml", facts)
    return Guidance(facts, checklists, treaties, cautions, directory)


_lock = threading.Lock()
_guidance: Guidance | None = None


def get_guidance() -> Guidance:
    """The validated guidance data, loaded once per process."""
    global _guidance
    with _lock:
        if _guidance is None:
            _guidance = load_guidance()
        return _guidance


def reset_guidance() -> None:
    global _guidance
    with _lock:
        _guidance = None


# -- nationality codes ---------------------------------------------------------------------------
def is_nationality(code: str) -> bool:
    """An ISO 3166-1 alpha-3 code, or one of the extra codes ICAO allows in an MRZ."""
    import pycountry

    code = code.strip().upper().rstrip("<")
    if code in MRZ_EXTRA_CODES:
        return True
    return len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None


def normalise_nationality(code: str) -> str:
    """Upper-case and check a nationality code ("" stays ""); raise UnknownNationality."""
    value = (code or "").strip().upper().rstrip("<")
    if value and not is_nationality(value):
        raise UnknownNationality(value=code)
    return value


# -- fact status ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Confirmation:
    fact_id: str
    fact_digest: str
    status: str  # confirmed | disputed
    note: str
    by_user: int | None
    by_name: str
    at: datetime


def shown_status(fact: LegalFact, confirmations: Mapping[str, Confirmation]) -> str:
    """What a step shows about its legal basis, given the legal officers' latest verdicts.

    A verdict counts only for the exact text it was given on (same digest). Partly verified
    facts show as unverified: a deadline is only as good as its weakest part.
    """
    latest = confirmations.get(fact.id)
    if latest is not None and latest.fact_digest == fact.digest:
        return (
            "confirmed-by-legal-officer"
            if latest.status == "confirmed"
            else "disputed-by-legal-officer"
        )
    return "verified" if fact.status == "verified" else "unverified"


def load_confirmations(session: Session) -> dict[str, Confirmation]:
    """The latest verdict per fact id."""
    from accord.core.accounts.models import User

    rows = session.execute(
        select(LegalFactConfirmation, User.username)
        .outerjoin(User, User.id == LegalFactConfirmation.by_user)
        .order_by(LegalFactConfirmation.at, LegalFactConfirmation.id)
    ).all()
    latest: dict[str, Confirmation] = {}
    for row, username in rows:
        latest[row.fact_id] = Confirmation(
            row.fact_id, row.fact_digest, row.status, row.note, row.by_user, username or "", row.at
        )
    return latest


# -- the engine ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadlineStatus:
    """One step of a case's checklist, evaluated at a moment."""

    step_id: str
    title_en: str
    title_zh: str
    citation: str
    fact_id: str
    fact_status: str  # verified | unverified | confirmed-by-legal-officer | disputed-…
    anchor: str  # the event kind whose time starts the clock (the first listed if none yet)
    due_at: datetime | None  # aware, in the requested time zone; None: no deadline / no anchor
    without_delay: bool
    state: str  # one of STATES
    done_at: datetime | None = None
    anchor_at: datetime | None = None
    extended_due_at: datetime | None = None  # the extended legal limit, where the law allows one
    accord_target_at: datetime | None = None  # Accord's operational target (not law)
    no_deadline: bool = False  # the verified facts state no deadline for this duty
    late: bool = False  # done, but after the due time (or Accord's target)
    period_hours: float | None = None  # the legal period, for display ("24 h", "4 days")
    note_en: str = ""
    note_zh: str = ""
    fact_note_en: str = ""
    fact_note_zh: str = ""
    citation_zh: str = ""

    def citation_in(self, language: str) -> str:
        """The legal basis as the reader of ``language`` cites it (Chinese in the Chinese UI)."""
        return self.citation_zh if language.startswith("zh") and self.citation_zh else (
            self.citation)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def fact_status_label(self) -> str:
        return FACT_STATUS_LABELS[self.fact_status]

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "step": self.step_id,
            "title": {"en": self.title_en, "zh": self.title_zh},
            "citation": self.citation,
            "citation_zh": self.citation_zh,
            "fact": self.fact_id,
            "fact_status": self.fact_status,
            "anchor": self.anchor,
            "anchor_at": iso(self.anchor_at),
            "due_at": iso(self.due_at),
            "without_delay": self.without_delay,
            "no_deadline": self.no_deadline,
            "extended_due_at": iso(self.extended_due_at),
            "accord_target_at": iso(self.accord_target_at),
            "period_hours": self.period_hours,
            "state": self.state,
            "done_at": iso(self.done_at),
            "late": self.late,
            "note": {"en": self.note_en, "zh": self.note_zh},
        }


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(detail=M_("%(what)s has no UTC offset", what=what))
    return value


def at_risk_window(period: timedelta) -> timedelta:
    return min(period * AT_RISK_FRACTION, AT_RISK_MAX)


def _evaluate(
    step: Step,
    guidance: Guidance,
    *,
    now: datetime,
    tz: Any,
    nationality: str,
    speaks_chinese: bool,
    events: Mapping[str, list[datetime]],
    confirmations: Mapping[str, Confirmation],
) -> DeadlineStatus:
    fact_id, citation, period = step.fact, step.citation, step.period
    citation_zh = step.citation_zh
    applicable, note_en, note_zh = True, step.note_en, step.note_zh
    if step.treaty:
        treaty = guidance.treaties.get(nationality)
        if treaty is None or not treaty.mandatory:
            applicable = False
            note_en = (
                "No bilateral consular agreement with a mandatory notification period is "
                f"on file for nationality {nationality or '(unknown)'}."
            )
            note_zh = (
                f"国籍 {nationality or '（未知）'} 没有已登记的规定强制通知时限的双边领事协定。"
            )
        else:
            fact_id, citation, period = treaty.fact, treaty.citation, treaty.period
            citation_zh = treaty.citation_zh
            note_en, note_zh = treaty.name_en, treaty.name_zh
    if step.requires_interpreter and speaks_chinese:
        applicable = False
        note_en, note_zh = "The person speaks Chinese.", "当事人通晓中文。"
    fact = guidance.facts[fact_id]
    base = {
        "step_id": step.id,
        "title_en": step.title_en,
        "title_zh": step.title_zh,
        "citation": citation,
        "citation_zh": citation_zh,
        "fact_id": fact_id,
        "fact_status": shown_status(fact, confirmations),
        "without_delay": step.without_delay,
        "no_deadline": step.no_deadline,
        "note_en": note_en,
        "note_zh": note_zh,
        "fact_note_en": fact.note_en,
        "fact_note_zh": fact.note_zh,
        "period_hours": period.total_seconds() / 3600 if period is not None else None,
    }
    present = [(min(events[kind]), kind) for kind in step.anchor if events.get(kind)]
    if not applicable:
        return DeadlineStatus(**base, anchor=step.anchor[0], due_at=None, state="not-applicable")
    anchor_at, anchor = min(present) if present else (None, step.anchor[0])
    clock_at = anchor_at
    if anchor_at is not None and step.restart_on and events.get(step.restart_on):
        restart = max(events[step.restart_on])
        if restart > anchor_at:
            clock_at, anchor = restart, step.restart_on

    completions = sorted(t for kind in step.done_when for t in events.get(kind, []))
    if step.done_after_anchor and anchor_at is not None:
        completions = [t for t in completions if t >= anchor_at]
    done_at = completions[0] if completions else None

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value is not None else None

    due_at = extended = target = None
    if clock_at is not None:
        if step.without_delay:
            due_at = clock_at
            target = clock_at + step.accord_target if step.accord_target else None
        elif period is not None:
            due_at = clock_at + period
            extended = clock_at + step.extended_period if step.extended_period else None

    if done_at is not None:
        limit = target or due_at
        late = limit is not None and done_at > limit
        state = "done"
    elif clock_at is None:
        late, state = False, "waiting-for-event"
    elif step.no_deadline or due_at is None:
        late, state = False, "pending"
    elif step.without_delay:
        late = False
        if now < clock_at:
            state = "pending"
        elif target is not None and now > target:
            state = "overdue"
        else:
            state = "at-risk"  # due now
    else:
        late = False
        assert period is not None
        if now > due_at:
            state = "overdue"
        elif now >= due_at - at_risk_window(due_at - clock_at):
            state = "at-risk"
        else:
            state = "pending"
    return DeadlineStatus(
        **base,
        anchor=anchor,
        due_at=local(due_at),
        state=state,
        done_at=local(done_at),
        anchor_at=local(clock_at),
        extended_due_at=local(extended),
        accord_target_at=local(target),
        late=late,
    )


def evaluate(
    case_type: str,
    *,
    now: datetime,
    tz: Any,
    nationality: str = "",
    speaks_chinese: bool = False,
    events: Mapping[str, list[datetime]] | None = None,
    confirmations: Mapping[str, Confirmation] | None = None,
    guidance: Guidance | None = None,
) -> list[DeadlineStatus]:
    """Every step of ``case_type``'s checklist, evaluated at ``now`` (the core of both APIs)."""
    guidance = guidance or get_guidance()
    checklist = guidance.checklist(case_type)
    nationality = normalise_nationality(nationality)
    now = _aware(now, "now").astimezone(UTC)
    clean = {
        kind: [_aware(t, kind).astimezone(UTC) for t in times]
        for kind, times in (events or {}).items()
        if times
    }
    return [
        _evaluate(
            step,
            guidance,
            now=now,
            tz=tz,
            nationality=nationality,
            speaks_chinese=speaks_chinese,
            events=clean,
            confirmations=confirmations or {},
        )
        for step in checklist.steps
    ]


def plan(
    case_type: str,
    *,
    at: datetime,
    nationality: str = "",
    speaks_chinese: bool = False,
    events: dict[str, datetime] | None = None,
    now: datetime | None = None,
    confirmations: Mapping[str, Confirmation] | None = None,
) -> list[DeadlineStatus]:
    """The checklist of a case that starts at ``at`` (the case type's start event).

    ``events`` adds or overrides event times (kind → time; ``notice:<id>`` for a notice given).
    Due times are expressed in the time zone (offset) of ``at``; states are evaluated at ``now``
    (default: ``at``).
    """
    at = _aware(at, "at")
    guidance = get_guidance()
    checklist = guidance.checklist(case_type)
    for kind in events or {}:
        if kind not in EVENT_KINDS and not kind.startswith(NOTICE_PREFIX):
            raise ValidationFailed(detail=M_("unknown event kind %(kind)r", kind=kind))
    merged: dict[str, list[datetime]] = {checklist.start_event: [at]}
    for kind, value in (events or {}).items():
        merged[kind] = [value]
    return evaluate(
        case_type,
        now=now or at,
        tz=at.tzinfo,
        nationality=nationality,
        speaks_chinese=speaks_chinese,
        events=merged,
        confirmations=confirmations,
        guidance=guidance,
    )


#: Whose nationality and language a case's deadlines follow: the person the measures concern.
SUBJECT_ROLES = (
    "detainee",
    "suspect",
    "deceased",
    "victim",
    "reporter",
    "witness",
    "host",
    "next-of-kin",
    "other",
)


def subject_person(case: Case) -> Person | None:
    persons = list(case.persons)
    if not persons:
        return None
    rank = {role: index for index, role in enumerate(SUBJECT_ROLES)}
    return min(persons, key=lambda p: (rank.get(p.role, len(rank)), p.id or 0))


def case_events(case: Case, session: Session | None = None, *,
                notices: list[tuple[str, datetime]] | None = None) -> dict[str, list[datetime]]:
    """Event times of a case by kind, plus ``notice:<id>`` for the rights notices given
    (``notices``: the case's (notice id, given at) pairs when the caller loaded them already)."""
    events: dict[str, list[datetime]] = {}
    for event in case.events:
        events.setdefault(event.kind, []).append(event.occurred_at)
    if notices is None:
        session = session or object_session(case)
        notices = []
        if session is not None and case.id is not None:
            notices = [(n, at) for n, at in session.execute(
                select(CaseNotice.notice_id, CaseNotice.given_at)
                .where(CaseNotice.case_id == case.id))]
    for notice_id, given_at in notices:
        events.setdefault(NOTICE_PREFIX + notice_id, []).append(given_at)
    return events


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(detail=M_("unknown time zone %(tz)r", tz=tz)) from None


def deadlines_for_case(case: Case, *, now: datetime, tz: str) -> list[DeadlineStatus]:
    """The case's checklist evaluated at ``now``, due times in time zone ``tz`` (IANA name).

    Uses the case's events and notices, and the nationality and language of the person the
    measures concern (:func:`subject_person`). A case of an unknown type has no checklist.
    """
    zone = _zone(tz)
    session = object_session(case)
    confirmations = load_confirmations(session) if session is not None else {}
    return _deadlines(case, now=now, tz=zone, confirmations=confirmations,
                      events=case_events(case, session))


def deadlines_for_cases(cases: list[Case], *, now: datetime,
                        tz: str) -> dict[int, list[DeadlineStatus]]:
    """:func:`deadlines_for_case` for many cases (the deadline board, the dashboard) with two
    queries in all instead of two per case: the legal officers' verdicts once, every case's
    notices in one. The cases' persons and events should be loaded with them (as
    ``CaseService.open_cases_for`` does). Keyed by case id."""
    zone = _zone(tz)
    if not cases:
        return {}
    session = object_session(cases[0])
    confirmations = load_confirmations(session) if session is not None else {}
    notices: dict[int, list[tuple[str, datetime]]] = {c.id: [] for c in cases}
    if session is not None:
        for chunk in range(0, len(cases), 500):  # within every database's parameter limit
            ids = [c.id for c in cases[chunk:chunk + 500]]
            for case_id, notice_id, given_at in session.execute(
                select(CaseNotice.case_id, CaseNotice.notice_id, CaseNotice.given_at)
                .where(CaseNotice.case_id.in_(ids))
            ):
                notices[case_id].append((notice_id, given_at))
    return {case.id: _deadlines(case, now=now, tz=zone, confirmations=confirmations,
                                events=case_events(case, notices=notices[case.id]))
            for case in cases}


def _deadlines(case: Case, *, now: datetime, tz: ZoneInfo,
               confirmations: dict[str, Confirmation],
               events: dict[str, list[datetime]]) -> list[DeadlineStatus]:
    person = subject_person(case)
    nationality = ""
    if person is not None and person.nationality and is_nationality(person.nationality):
        nationality = person.nationality.upper()
    steps = evaluate(
        case.case_type,
        now=now,
        tz=tz,
        nationality=nationality,
        speaks_chinese=bool(person.speaks_chinese) if person else False,
        events=events,
        confirmations=confirmations,
    )
    if case.status == "open":
        return steps
    # A closed or handed-over case has no clocks running: what was not done stays visible as
    # such, but nothing is "at risk" any more and nothing reaches the deadline board.
    return [replace(step, state="case-closed") if step.state in OPEN_STATES else step
            for step in steps]


OPEN_STATES = frozenset({"overdue", "at-risk", "pending", "waiting-for-event"})


# -- legal officers' confirmations ---------------------------------------------------------------
@dataclass(frozen=True)
class FactView:
    fact: LegalFact
    shown_status: str
    latest: Confirmation | None  # the latest verdict, whether or not it matches the text
    stale: bool  # a verdict exists but was given on a different text

    @property
    def shown_label(self) -> str:
        return FACT_STATUS_LABELS[self.shown_status]


class LegalFactService:
    """List the legal facts with their shown status; confirm or dispute one fact's exact text."""

    def __init__(self, session: Session, guidance: Guidance | None = None) -> None:
        self.session = session
        self.guidance = guidance or get_guidance()

    def facts(self) -> list[FactView]:
        confirmations = load_confirmations(self.session)
        views = []
        for fact in self.guidance.facts.values():
            latest = confirmations.get(fact.id)
            views.append(
                FactView(
                    fact,
                    shown_status(fact, confirmations),
                    latest,
                    latest is not None and latest.fact_digest != fact.digest,
                )
            )
        return views

    def record(
        self, fact_id: str, status: str, *, digest: str, note: str, user_id: int | None
    ) -> LegalFactConfirmation:
        """Record a verdict on the text the officer read (``digest``); refuse a stale page."""
        fact = self.guidance.facts.get(fact_id)
        if fact is None:
            raise UnknownFact(id=fact_id)
        if status not in CONFIRMATION_STATUSES:
            raise ValidationFailed(
                detail=M_("status must be one of %(confirmation_statuses)s",
                          confirmation_statuses=', '.join(CONFIRMATION_STATUSES))
            )
        if digest != fact.digest:
            raise StaleFact(id=fact_id)
        note = (note or "").strip()
        if status == "disputed" and not note:
            raise ValidationFailed(detail=M_("a dispute needs a note saying what is wrong"))
        if len(note) > 4000:
            raise ValidationFailed(detail=M_("the note is longer than 4000 characters"))
        row = LegalFactConfirmation(
            fact_id=fact_id,
            fact_digest=digest,
            status=status,
            note=note,
            by_user=user_id,
            at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def confirm(
        self, fact_id: str, status: str, *, digest: str, note: str, user_id: int | None
    ) -> LegalFactConfirmation:
        """A legal officer's verdict (see :meth:`record`) as one transaction: stored and
        committed, or, if refused, nothing stored (a savepoint) and the page still readable."""
        with self.session.begin_nested():
            row = self.record(fact_id, status, digest=digest, note=note, user_id=user_id)
        self.session.commit()
        return row


__all__ = [
    "GUIDANCE_DIR",
    "STATES",
    "Caution",
    "Checklist",
    "Confirmation",
    "DeadlineStatus",
    "FactView",
    "Guidance",
    "GuidanceError",
    "LegalFact",
    "LegalFactService",
    "Step",
    "Treaty",
    "UnknownCaseType",
    "UnknownNationality",
    "case_events",
    "deadlines_for_case",
    "deadlines_for_cases",
    "evaluate",
    "get_guidance",
    "is_nationality",
    "load_confirmations",
    "load_guidance",
    "normalise_nationality",
    "plan",
    "reset_guidance",
    "shown_status",
    "subject_person",
]
