"""The capability contract: what a capability package tells Accord about itself.

Each capability package (``interpret``, ``cases``, ``forecast``, ``governance`` and those that
follow) declares one :class:`CapabilityPackage` in its ``plugin`` module: its registry entries,
its tables, its web routers and templates, its command-line commands, its queue jobs, its
retention classes, how its outputs look in the review queue and the
objects it owns (for the one object-access rule). One assembly module outside ``core`` lists the
packages; nothing in ``core`` imports a capability package. Core reaches a capability only
through the hooks declared here, after :func:`install` has been called with the package list.

The pattern is datasette's plugin hooks without the plugin manager: the set of packages is fixed
at build time, so plain data and callables are enough.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.core.registry import Capability


@dataclass(frozen=True)
class RetentionClass:
    """One category of personal data and how to find and erase its expired records.

    The period comes from the retention rules (``core/retention.yaml``); the owner of the data
    says what a record is and how it is erased.
    """

    category: str
    created: Any  # the column whose age counts (an SQLAlchemy column attribute)
    candidates: Callable[[datetime], Any]  # a SELECT of records created before the cut-off
    erase: Callable[[Any, Any, datetime], None]  # (session, record, now)
    reference: Callable[[Any], str]  # "case:FR-2026-000001": digested into certificates


@dataclass(frozen=True)
class SubjectRecord:
    """Something Accord holds about a data subject, for the rights portal and the DPO."""

    kind: str  # "case-file", "interview-report", …
    reference: str
    title: str
    created_at: datetime | None
    withheld: bool = False  # shown as existing, its content withheld pending the DPO's decision
    note: str = ""


@dataclass(frozen=True)
class ObjectKind:
    """A kind of object a capability owns (a case, a statement, an interpreter request).

    ``can_access(session, caller, reference)`` is the one object-access rule for that kind,
    reused by the web routes, the CLI and the gateway's input check. It answers ``None`` when
    the object does not exist. ``sees_all(caller)``: whether the caller may open every object of
    the kind (a supervisor), and so may be told plainly that a reference does not exist; to
    anyone else a missing object and someone else's look the same.
    """

    kind: str
    exists: Callable[[Any, str], bool]  # (session, reference)
    can_access: Callable[[Any, Any, str], bool | None]  # (session, caller, reference)
    # (name, role) of the persons recorded in the object, for recusal checks
    parties: Callable[[Any, str], Sequence[tuple[str, str]]] | None = None
    owner: Callable[[Any, str], int | None] | None = None  # the responsible officer's user id
    # Adds a statement (a transcript, a typed text) to the object: (session, user_id, reference,
    # text, language, origin, audio_sha256) → statement id. Only kinds that hold statements.
    add_statement: Callable[[Any, int, str, str, str, str, str], int] | None = None
    sees_all: Callable[[Any], bool] | None = None  # (caller)
    name_zh: str = ""  # what a refusal calls it in Chinese ("案件"); the kind itself otherwise
    # Creates an object of this kind for another package: (caller, fields, within) → its
    # reference. The owner checks the caller and the fields as for its own pages (dispatch asks
    # for an interpreter request this way without importing interpret). ``within(session,
    # reference)``, when given, runs in the owner's transaction after the object is written and
    # before it commits, so the asking package's own record of it (dispatch's incident event)
    # commits with it or not at all.
    create: Callable[[Any, Mapping[str, str], Callable[[Any, str], None] | None], str] | None = None
    # The needs the object's persons stated: (session, reference) → [(person's name, codes)],
    # only persons who stated any (a conversation page shows the guidance for a case's).
    stated_needs: Callable[[Any, str], Sequence[tuple[str, Sequence[str]]]] | None = None


@dataclass(frozen=True)
class PhraseText:
    """One verified-content sentence in one language, as a package that keeps a phrasebook
    gives it to others: the text, its status (``verified``, ``maintainer-draft``…) and the
    Chinese text it stands for."""

    entry_id: str
    language: str
    text: str
    status: str
    zh: str


@dataclass(frozen=True)
class DashboardCard:
    title: str  # gettext msgid
    description: str  # gettext msgid
    href: str | None
    roles: frozenset[str]
    # A line for this user on the card (a certificate that expires soon): (session, user_id) →
    # (gettext msgid, its parameters) or None. The card is shown without it when None.
    notice: Callable[[Any, int], tuple[str, Mapping[str, Any]] | None] | None = None


@dataclass(frozen=True)
class NeedGuidance:
    """A guidance statement about a need a person states (dietary, prayer, the gender of the
    officer for a search, …), quoted verbatim with its source. The package that keeps the
    guidance (knowledge) provides these; a page about a person (the case page) shows them
    next to the person's stated needs without importing that package."""

    need: str  # the stated-need code it answers
    text: str  # verbatim, in the language asked for when it exists
    citation: str  # the source and section
    status: str  # verified | unverified
    source_link: str  # where the source is (may be empty)
    link: str  # the guidance page, with every statement for this need


@dataclass(frozen=True)
class OutboundShare:
    """An export that leaves Accord (a printed case file, an EIDO incident), for the share log:
    which fields it holds, to whom, on what legal basis, about whom — never the content, only
    its digest. Packages that export call :func:`record_share`; the package that keeps the
    share log (knowledge) declares ``share_log``."""

    kind: str  # "case-file" | "eido" | …
    reference: str  # the case or incident reference
    recipient: str
    fields: tuple[str, ...]  # the sections or fields the export holds
    legal_basis: str
    content_digest: str = ""  # sha256 of the exported bytes ("" while held for approval)
    subject_keys: tuple[str, ...] = ()  # the people it is about (their access reports list it)
    user_id: int | None = None  # who exported it
    # Each field's sensitivity ("low" | "high"); a field not listed counts as "high". Above the
    # share log keeper's level, the export waits for a supervisor (see :func:`share_out`).
    sensitivities: Mapping[str, str] = field(default_factory=dict)
    # Where the requester fetches the bytes once a supervisor approved ("{share}" is replaced
    # by the share's id): a page link or a CLI command line.
    download: str = ""


@dataclass(frozen=True)
class ShareState:
    """Where an outbound share stands in the share log (returned by :func:`share_out` and
    :func:`release_share`)."""

    id: int
    status: str  # exported | awaiting-approval | approved | refused
    kind: str
    reference: str
    recipient: str
    requested_by: int | None
    page: str  # the share's page in the share log
    note: str = ""  # the supervisor's reason (a refusal always has one)

    @property
    def held(self) -> bool:
        return self.status == "awaiting-approval"


@dataclass(frozen=True)
class ShareGate:
    """The share log keeper's approval rule for exports (knowledge declares it). Core's
    :func:`share_out` and :func:`release_share` call these around the exporter's own
    rendering, so the bytes of a held export are never produced before the approval."""

    needs_approval: Callable[[OutboundShare], bool]
    hold: Callable[[OutboundShare], ShareState]  # record a held request (no bytes yet)
    record: Callable[[OutboundShare], ShareState]  # record an export that went out
    # (share id, kind, reference, user id) → the state; raises NotFound, PermissionDenied
    # (not the requester) or Conflict (awaiting approval, refused) when the bytes may not go.
    check_release: Callable[[int, str, str, int | None], ShareState]
    released: Callable[[int, int | None, str], ShareState]  # (id, user id, content digest)


@dataclass(frozen=True)
class SpeechDraft:
    """A machine transcript of a recording, as the package that transcribes gives it to
    others: a draft (never a record until a person confirms it), with a confidence per
    segment. The audio is not kept by the transcriber; only the gateway decision remains."""

    decision_id: str
    ledger_seq: int
    text: str
    language: str  # the language transcribed in
    language_source: str  # "given" (the caller's) | "suggested" (detected)
    segments: tuple[Mapping[str, Any], ...]  # start, end, text, confidence, uncertain …
    seconds: float  # of audio
    engine: str
    note: str  # what a reader must know about the draft (read back, correct)


@dataclass(frozen=True)
class EventHistory:
    """Recorded events another package hands to the forecasting package as a dataset (dispatch
    gives its own incident history, so a forecast covers its service area). Times are ISO 8601
    UTC; ``district`` is the giver's own area label, used by the exposure audit."""

    name: str
    rows: tuple[tuple[str, float, float, str, str], ...]  # (time, lat, lon, category, district)


@dataclass(frozen=True)
class CertificateRequirement:
    """A training certificate a capability needs, and the course that issues it.

    The package that runs the training declares these; the registry adds ``certificate`` to the
    capability's ``required_certificates`` (which the policy's permit checks), and a refusal for
    a missing certificate names the course and links to it.
    """

    capability_id: str
    certificate: str  # the name in user_certificates
    course_title_en: str
    course_title_zh: str
    href: str  # the course page


@dataclass(frozen=True)
class CapabilityPackage:
    """Everything one capability package contributes. Only ``name`` is required."""

    name: str
    depends_on: tuple[str, ...] = ()  # other packages this one may import (checked in CI)
    capabilities: Callable[[], Iterable[Capability]] = tuple  # registry entries
    table_modules: tuple[str, ...] = ()  # modules that define its tables (for Alembic)
    routers: Callable[[], Iterable[Any]] = tuple  # FastAPI routers, imported lazily
    templates: Path | None = None  # folder added to the template search path
    cli: Callable[[Any], None] | None = None  # adds commands to the root Typer app
    job_modules: tuple[str, ...] = ()  # modules that register queue job handlers
    periodic: tuple[tuple[str, Mapping[str, str], Callable[[], None]], ...] = ()
    retention_classes: Callable[[], Iterable[RetentionClass]] = tuple
    review_renderers: Mapping[str, str] = field(default_factory=dict)  # capability → template
    subject_records: Callable[[Any, str], Iterable[SubjectRecord]] | None = None
    objects: Callable[[], Iterable[ObjectKind]] = tuple
    blob_in_use: Callable[[Any, str], bool] | None = None  # (session, sha256)
    # (ok, reason): does the DPO's register let this high-risk capability run?
    assessment_gate: Callable[[str], tuple[bool, str]] | None = None
    dashboard: tuple[DashboardCard, ...] = ()
    # (stated-need codes, language) → guidance statements for those needs (see NeedGuidance).
    need_guidance: Callable[[Sequence[str], str], Iterable[NeedGuidance]] | None = None
    # Records an OutboundShare in the share log (and the ledger); returns the log entry's id.
    share_log: Callable[[OutboundShare], int] | None = None
    # Holds exports above a sensitivity level for a supervisor's approval (see ShareGate).
    share_gate: ShareGate | None = None
    # Training certificates that capabilities need, with the course that issues each.
    certificate_requirements: Callable[[], Iterable[CertificateRequirement]] = tuple
    # A phrasebook sentence in a language: (entry id, BCP 47 tag) → PhraseText or None when the
    # book has no such entry or no text in that language (interpret declares it).
    phrase_text: Callable[[str, str], PhraseText | None] | None = None
    # Transcribes a WAV recording through the gateway (interpret declares it):
    # (caller, wav bytes, BCP 47 language or "", purpose, legal basis) → SpeechDraft.
    # Refusals are the gateway's (GatewayDenied) or the transcriber's own AccordErrors.
    transcribe_speech: Callable[[Any, bytes, str, str, str], SpeechDraft] | None = None
    # Stores an event history as a forecasting dataset; its id (forecast declares it).
    event_dataset: Callable[[EventHistory], str] | None = None


_lock = threading.Lock()
_installed: tuple[CapabilityPackage, ...] = ()
_object_kinds: dict[str, ObjectKind] = {}  # built once by install(): read on every gateway call


def install(packages: Sequence[CapabilityPackage]) -> None:
    """Make the assembled packages known to core (called by the assembly module)."""
    global _installed, _object_kinds
    names = [p.name for p in packages]
    if len(set(names)) != len(names):
        raise ValueError(f"a capability package is listed twice: {names}")
    for package in packages:
        missing = set(package.depends_on) - set(names)
        if missing:
            raise ValueError(f"{package.name} depends on {', '.join(sorted(missing))}, "
                             "which is not assembled")
    with _lock:
        _installed = tuple(packages)
        _object_kinds = {}
        for package in packages:
            for candidate in package.objects():
                _object_kinds.setdefault(candidate.kind, candidate)


def installed() -> tuple[CapabilityPackage, ...]:
    """The assembled packages; empty until the assembly module installs them."""
    return _installed


def object_kind(kind: str) -> ObjectKind | None:
    return _object_kinds.get(kind)


def blob_in_use(session: Any, sha256: str) -> bool:
    """Whether any package still points at a stored blob (so a sweep must keep it)."""
    return any(p.blob_in_use(session, sha256) for p in _installed if p.blob_in_use)


def assessment_status(capability_id: str) -> tuple[bool, str]:
    """``(ok, reason)`` from the DPO's assessment register for a high-risk capability. With no
    package that keeps such a register, high-risk capabilities stay closed."""
    for package in _installed:
        if package.assessment_gate is not None:
            return package.assessment_gate(capability_id)
    return False, "no assessment register is installed"


def assessment_cleared(capability_id: str) -> bool:
    return assessment_status(capability_id)[0]


def certificate_requirements() -> list[CertificateRequirement]:
    """Every installed package's certificate requirements (an empty list without training)."""
    return [r for package in _installed for r in package.certificate_requirements()]


def certificate_courses(certificates: Iterable[str]) -> list[CertificateRequirement]:
    """The course behind each named certificate (one entry per certificate), for a refusal."""
    wanted = set(certificates)
    found: dict[str, CertificateRequirement] = {}
    for requirement in certificate_requirements():
        if requirement.certificate in wanted:
            found.setdefault(requirement.certificate, requirement)
    return [found[name] for name in sorted(found)]


def need_guidance(needs: Sequence[str], language: str) -> list[NeedGuidance]:
    """Every assembled package's guidance for the stated ``needs``, each statement once."""
    if not needs:
        return []
    seen: set[tuple[str, str]] = set()
    out: list[NeedGuidance] = []
    for package in _installed:
        if package.need_guidance is None:
            continue
        for item in package.need_guidance(tuple(needs), language):
            if (item.citation, item.text) not in seen:
                seen.add((item.citation, item.text))
                out.append(item)
    return out


def stated_needs_guidance(session: Any, caller: Any, kind: str, reference: str,
                          language: str) -> list[tuple[str, list[NeedGuidance]]]:
    """For a page that refers to another package's object (a conversation held for a case):
    each person of the object who stated needs, with the guidance for those needs. Only when
    the object's own access rule lets the caller open it; otherwise nothing, exactly as for an
    object that does not exist (nothing is learnt about another officer's case)."""
    owner = _object_kinds.get(kind)
    if owner is None or owner.stated_needs is None or not reference:
        return []
    if owner.can_access(session, caller, reference) is not True:
        return []
    return [(name, need_guidance(tuple(codes), language))
            for name, codes in owner.stated_needs(session, reference) if codes]


def record_share(share: OutboundShare) -> int | None:
    """Put an export in the share log of whichever package keeps it; None when none is
    assembled (then nothing is recorded — the assembly always includes knowledge)."""
    for package in _installed:
        if package.share_log is not None:
            return package.share_log(share)
    return None


def _share_gate() -> ShareGate | None:
    return next((p.share_gate for p in _installed if p.share_gate is not None), None)


def _digest(body: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(body).hexdigest()


def share_out(share: OutboundShare,
              produce: Callable[[], bytes]) -> tuple[ShareState | None, bytes | None]:
    """An outbound export under the minimum-necessary rule. When a field is above the share
    log keeper's sensitivity level the request is held (recorded and ledgered, ``produce`` is
    not called: ``(state, None)``); otherwise the bytes are produced and the export is logged
    with their digest (``(state, bytes)``). Without a share log keeper assembled nothing is
    held or recorded (``(None, bytes)``), as :func:`record_share` does."""
    gate = _share_gate()
    if gate is None:
        return None, produce()
    if gate.needs_approval(share):
        return gate.hold(share), None
    body = produce()
    return gate.record(replace(share, content_digest=_digest(body))), body


def release_share(share_id: int, *, kind: str, reference: str, user_id: int | None,
                  produce: Callable[[], bytes]) -> tuple[ShareState, bytes]:
    """The bytes of an approved export, for the officer who requested it: checked first
    (404 unknown or another export's share, 403 another officer, 409 still awaiting approval
    or refused), then produced and ledgered with their digest."""
    from accord.core.errors import NotFound

    gate = _share_gate()
    if gate is None:
        raise NotFound("Not found.")
    gate.check_release(share_id, kind, reference, user_id)
    body = produce()
    return gate.released(share_id, user_id, _digest(body)), body


def retention_classes() -> dict[str, RetentionClass]:
    from accord.core.retention import core_retention_classes

    classes = {c.category: c for c in core_retention_classes()}
    for package in _installed:
        for retention_class in package.retention_classes():
            if retention_class.category in classes:
                raise ValueError(f"retention class {retention_class.category!r} declared twice")
            classes[retention_class.category] = retention_class
    return classes


def subject_records(session: Any, key: str) -> list[SubjectRecord]:
    records: list[SubjectRecord] = []
    for package in _installed:
        if package.subject_records is not None:
            records.extend(package.subject_records(session, key))
    return records


def phrase_text(entry_id: str, language: str) -> PhraseText | None:
    """A phrasebook sentence from whichever package keeps one (None without one)."""
    for package in _installed:
        if package.phrase_text is not None:
            found = package.phrase_text(entry_id, language)
            if found is not None:
                return found
    return None


class HookMissing(LookupError):
    """No installed package provides a hook (e.g. speech transcription)."""


def transcribe_speech(caller: Any, wav: bytes, language: str, purpose: str,
                      legal_basis: str) -> SpeechDraft:
    """A draft transcript from whichever package transcribes speech; :class:`HookMissing`
    when none is assembled."""
    for package in _installed:
        if package.transcribe_speech is not None:
            return package.transcribe_speech(caller, wav, language, purpose, legal_basis)
    raise HookMissing("transcribe_speech")


def store_event_history(history: EventHistory) -> str:
    """The dataset id under which the forecasting package keeps ``history``; :class:`HookMissing`
    when no forecasting package is assembled."""
    for package in _installed:
        if package.event_dataset is not None:
            return package.event_dataset(history)
    raise HookMissing("event_dataset")


class ObjectKindMissing(LookupError):
    """No installed package owns (or can create) objects of a kind."""


def create_object(kind: str, caller: Any, fields: Mapping[str, str],
                  within: Callable[[Any, str], None] | None = None) -> str:
    """Ask the package that owns ``kind`` to create one; its reference. ``within(session,
    reference)`` runs in the same transaction before it commits (an error there rolls the new
    object back). Raises :class:`ObjectKindMissing` when no installed package offers it."""
    owner = _object_kinds.get(kind)
    if owner is None or owner.create is None:
        raise ObjectKindMissing(kind)
    return owner.create(caller, fields, within)
