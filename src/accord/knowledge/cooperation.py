"""International cooperation: request templates and the minimum-necessary share log.

A share is made from a case the officer may open, with one template. It carries only the
template's declared fields that the officer filled in; the log lists exactly those field names,
the recipient and the legal basis. A share with any field of high sensitivity (identity
numbers, dates of birth, names, facts of the case) waits for a supervisor's approval before its
letter is released. Each share and each approval is a ledger entry (field names and a digest of
the values, never the values). The persons of the case named in the share are linked by their
subject keys, so the rights portal's access report lists what was shared about them, with whom
and when.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.contract import OutboundShare, ShareState, SubjectRecord, object_kind
from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_, NC_, form_field
from accord.core.runtime import get_database
from accord.knowledge.models import KnowledgeShare

COOPERATION_FILE = Path(__file__).resolve().parent / "data" / "cooperation.yaml"
SENSITIVITIES = ("low", "high")
APPROVAL_ABOVE = "low"  # a share with any field above this level needs a supervisor
MAX_VALUE_CHARS = 2000
MAX_NOTE_CHARS = 1000
MAX_DECISION_CHARS = 400  # the column's size
# A share whose content went out: a letter released, an export's bytes fetched.
SHARED_OUT = ("released", "exported")
# A held export whose bytes its requester may fetch: approved, or already fetched once.
FETCHABLE = ("approved", "exported")
NOT_SHARED = "[not shared]"


class ShareNotFound(NotFound):
    message = N_("No such share: %(id)s")


class NotYourShare(PermissionDenied):
    message = N_("Only the officer who made a share and oversight roles may open it.")


class ShareRefused(Conflict):
    message = N_("Share %(id)s was refused by a supervisor: %(reason)s")


class ShareAwaitingApproval(Conflict):
    message = N_("Share %(id)s is awaiting a supervisor's approval.")


@dataclass(frozen=True)
class Template:
    id: str
    title_en: str
    title_zh: str
    recipient_hint_en: str
    recipient_hint_zh: str
    legal_basis: str
    legal_status: str
    fields: dict[str, str]  # name → sensitivity
    text_en: str
    text_zh: str
    note_en: str = ""
    note_zh: str = ""


_lock = threading.Lock()
_templates: dict[str, Template] | None = None


def load_templates(path: Path = COOPERATION_FILE) -> dict[str, Template]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Template] = {}
    for raw in data["templates"]:
        fields = {str(k): str(v) for k, v in (raw.get("fields") or {}).items()}
        bad = sorted(v for v in fields.values() if v not in SENSITIVITIES)
        if bad:
            raise ValueError(f"{path.name}: {raw['id']}: unknown sensitivity {bad[0]}")
        for lang in ("en", "zh"):
            used = set(re.findall(r"\{(\w+)\}", raw["text"][lang]))
            if used - set(fields):
                raise ValueError(f"{path.name}: {raw['id']} ({lang}) uses undeclared fields "
                                 f"{sorted(used - set(fields))}")
        basis = raw["legal_basis"]
        out[raw["id"]] = Template(
            raw["id"], raw["title"]["en"], raw["title"]["zh"], raw["recipient_hint"]["en"],
            raw["recipient_hint"]["zh"], basis["citation"], basis["status"], fields,
            raw["text"]["en"], raw["text"]["zh"], (raw.get("note") or {}).get("en", ""),
            (raw.get("note") or {}).get("zh", ""))
    return out


def templates() -> dict[str, Template]:
    global _templates
    with _lock:
        if _templates is None:
            _templates = load_templates()
        return _templates


def letter(template: Template, values: dict[str, str], language: str) -> str:
    text = template.text_zh if language == "zh" else template.text_en
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1)) or NOT_SHARED, text)


def _digest(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


OVERSIGHT = frozenset({"supervisor", "dpo", "auditor", "admin"})


class ShareService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, caller: Any, *, case_reference: str, template_id: str, recipient: str,
               values: dict[str, str], person_id: int | None = None) -> KnowledgeShare:
        """Record a share from a case (refused, with nothing written, when the caller may not
        open the case, a field is not the template's, or nothing would be shared)."""
        from accord.core.governance import get_governance

        template = templates().get(template_id)
        if template is None:
            raise ValidationFailed(detail=M_("template: one of %(names)s",
                                             names=', '.join(templates())))
        reference = (case_reference or "").strip().upper()
        kind = object_kind("case")
        if not reference or kind is None:
            raise ValidationFailed(detail=M_("case: give the case reference"))
        allowed = kind.can_access(self.session, caller, reference)
        if allowed is None and not (kind.sees_all and kind.sees_all(caller)):
            allowed = False
        if allowed is None:
            raise NotFound("Not found.")
        if not allowed:
            raise PermissionDenied()
        recipient = " ".join((recipient or "").split())
        if not recipient or len(recipient) > 300:
            raise ValidationFailed(detail=M_("recipient: name the recipient (at most 300 chars)"))
        extra = sorted(set(values) - set(template.fields))
        if extra:
            raise ValidationFailed(detail=M_("fields not in this template (minimum necessary): "
                                             "%(extra)s", extra=', '.join(extra)))
        shared = {k: " ".join(str(v).split()) for k, v in values.items() if str(v).strip()}
        if not shared:
            raise ValidationFailed(detail=M_("fill in at least one field"))
        if any(len(v) > MAX_VALUE_CHARS for v in shared.values()):
            raise ValidationFailed(detail=M_("a field is longer than 2000 characters"))
        sensitivity = ("high" if any(template.fields[k] == "high" for k in shared) else "low")
        keys = self._subject_keys(reference, person_id) if any(
            k in shared for k in ("person_name", "document_number", "date_of_birth")) else []
        status = "awaiting-approval" if sensitivity != APPROVAL_ABOVE else "released"
        # The share and its ledger entry in one serialised transaction: both or neither.
        with get_database().write_session() as writer:
            share = KnowledgeShare(
                template_id=template.id, case_reference=reference, recipient=recipient,
                fields=sorted(shared), values=shared, legal_basis=template.legal_basis,
                sensitivity=sensitivity, status=status, subject_keys=list(keys),
                requested_by=caller.user_id)
            writer.add(share)
            writer.flush()
            share.ledger_seq = get_governance().ledger.append(writer, "knowledge-share", {
                "actor": f"user:{caller.user_id}", "share": share.id, "template": template.id,
                "case_ref": reference, "recipient": recipient, "fields": sorted(shared),
                "legal_basis": template.legal_basis, "sensitivity": sensitivity,
                "status": status, "values_digest": _digest(shared)})
            share_id = share.id
        self.session.commit()  # end the read snapshot taken before the write
        return self.get(share_id, caller)

    def _subject_keys(self, reference: str, person_id: int | None) -> list[str]:
        from accord.cases.models import Case, Person
        from accord.cases.subjects import person_subjects
        from accord.core.governance import get_governance

        if person_id is None:
            return []
        person = self.session.scalar(select(Person).join(Case, Person.case_id == Case.id)
                                     .where(Case.reference == reference,
                                            Person.id == person_id))
        if person is None:
            raise ValidationFailed(detail=M_("person: not a person of this case"))
        return list(get_governance().gateway.subject_keys(*person_subjects(person)))

    def get(self, share_id: int, caller: Any) -> KnowledgeShare:
        share = self.session.get(KnowledgeShare, share_id)
        if share is None:
            raise ShareNotFound(id=share_id)
        if share.requested_by != caller.user_id and not (OVERSIGHT & set(caller.roles)):
            raise NotYourShare()
        return share

    def approve(self, share_id: int, caller: Any, note: str = "") -> KnowledgeShare:
        """A supervisor other than the requester approves a share awaiting approval: a letter
        is released, a held export may then be fetched by its requester. Ledgered."""
        return self._decide(share_id, caller, refuse=False, note=note)

    def refuse(self, share_id: int, caller: Any, reason: str) -> KnowledgeShare:
        """A supervisor refuses a share awaiting approval (a letter or a held export), with a
        reason, ledgered; a refused share is never released or downloaded."""
        return self._decide(share_id, caller, refuse=True, note=reason)

    def _decide(self, share_id: int, caller: Any, *, refuse: bool, note: str) -> KnowledgeShare:
        from accord.core.governance import get_governance

        self.get(share_id, caller)
        if "supervisor" not in caller.roles:
            raise PermissionDenied()
        note = " ".join((note or "").split())
        if refuse and not note:
            raise ValidationFailed(detail=M_("reason: say why the share is refused"))
        if len(note) > MAX_NOTE_CHARS:
            raise ValidationFailed(detail=M_("reason: at most %(max_note_chars)s characters",
                                             max_note_chars=MAX_NOTE_CHARS))
        with get_database().write_session() as writer:
            share = writer.get(KnowledgeShare, share_id)
            assert share is not None
            if share.status != "awaiting-approval":
                raise Conflict(detail=M_("share %(share_id)s is not awaiting approval",
                                         share_id=share_id))
            if share.requested_by == caller.user_id:
                raise PermissionDenied()
            export = share.template_id in EXPORT_TITLES
            share.status = "refused" if refuse else ("approved" if export else "released")
            share.approved_by, share.approved_at = caller.user_id, utcnow()
            share.decision_note = note
            get_governance().ledger.append(
                writer, "knowledge-share-refused" if refuse else "knowledge-share-approved", {
                    "actor": f"user:{caller.user_id}", "share": share.id,
                    "fields": share.fields, "recipient": share.recipient,
                    "status": share.status, "reason": note})
        self.session.commit()  # end the read snapshot taken before the write
        return self.get(share_id, caller)

    def withhold(self, share_id: int, caller: Any, decision: str) -> KnowledgeShare:
        """The DPO records the legal decision that keeps a share that went out from the
        person's access report (an open investigation, say): the report then shows the share
        as existing, nothing more. ``decision`` names the decision and its grounds; ledgered."""
        return self._restrict(share_id, caller, decision, withhold=True)

    def disclose(self, share_id: int, caller: Any, reason: str) -> KnowledgeShare:
        """The DPO lifts a recorded restriction (the decision ended): the access report lists
        the share in full again. Ledgered with the reason."""
        return self._restrict(share_id, caller, reason, withhold=False)

    def _restrict(self, share_id: int, caller: Any, text: str, *,
                  withhold: bool) -> KnowledgeShare:
        from accord.core.governance import get_governance

        self.get(share_id, caller)
        if "dpo" not in caller.roles:
            raise PermissionDenied()
        text = " ".join((text or "").split())
        what = form_field(NC_("form field", "decision") if withhold
                          else NC_("form field", "reason"))
        if not text:
            raise ValidationFailed(detail=M_("decision: name the recorded legal decision and its "
                                             "grounds") if withhold else
                                   M_("reason: say why the restriction ends"))
        if len(text) > MAX_DECISION_CHARS:
            raise ValidationFailed(detail=M_("%(what)s: at most %(max_decision_chars)s characters",
                                             what=what, max_decision_chars=MAX_DECISION_CHARS))
        with get_database().write_session() as writer:
            share = writer.get(KnowledgeShare, share_id)
            assert share is not None
            if share.status not in SHARED_OUT:
                raise Conflict(detail=M_("share %(share_id)s did not go out: nothing to withhold",
                                         share_id=share_id))
            if bool(share.withheld_decision) == withhold:
                raise Conflict(detail=M_("share %(share_id)s is already withheld",
                                         share_id=share_id) if withhold else
                               M_("share %(share_id)s is not withheld", share_id=share_id))
            share.withheld_decision = text if withhold else ""
            share.withheld_by = caller.user_id if withhold else None
            share.withheld_at = utcnow() if withhold else None
            get_governance().ledger.append(
                writer, "knowledge-share-withheld" if withhold else "knowledge-share-disclosed",
                {"actor": f"user:{caller.user_id}", "share": share.id,
                 ("decision" if withhold else "reason"): text})
        self.session.commit()  # end the read snapshot taken before the write
        return self.get(share_id, caller)

    def log(self, limit: int = 500, caller: Any = None) -> list[KnowledgeShare]:
        """Every share for oversight roles; an officer (``caller`` without an oversight role)
        sees only the shares they asked for, so a held export can be found again."""
        query = select(KnowledgeShare)
        if caller is not None and not (OVERSIGHT & set(caller.roles)):
            query = query.where(KnowledgeShare.requested_by == caller.user_id)
        return list(self.session.scalars(query.order_by(
            KnowledgeShare.created_at.desc(), KnowledgeShare.id.desc()).limit(limit)))


def share_notice(session: Session, user_id: int,
                 roles: frozenset[str]) -> tuple[str, dict[str, int]] | None:
    """The dashboard line of the share-log card: for a supervisor, the shares other people
    asked for that wait for a decision; for anyone, their own approved exports ready to fetch
    (a held export is otherwise found only by its page address)."""
    from sqlalchemy import func

    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(KnowledgeShare)
                                  .where(*where)) or 0)

    if "supervisor" in roles:
        waiting = count(KnowledgeShare.status == "awaiting-approval",
                        KnowledgeShare.requested_by != user_id)
        if waiting:
            return N_("Exports waiting for your approval: %(n)d"), {"n": waiting}
    ready = count(KnowledgeShare.status == "approved", KnowledgeShare.requested_by == user_id)
    if ready:
        return N_("Your approved exports ready to download: %(n)d"), {"n": ready}
    return None


#: Share-log titles of exports made by other packages (through ``core.contract.record_share``).
EXPORT_TITLES = {"case-file": N_("Case file exported (PDF)"),
                 "eido": N_("Incident exported (EIDO)")}


def export_sensitivity(share: OutboundShare) -> str:
    """The highest sensitivity among the fields an export holds; a field its exporter gave no
    sensitivity for counts as high (an unknown field is not assumed harmless)."""
    levels = [share.sensitivities.get(name, "high") for name in share.fields]
    levels = [level if level in SENSITIVITIES else "high" for level in levels]
    return max(levels, key=SENSITIVITIES.index, default="low")


def needs_approval(share: OutboundShare) -> bool:
    return SENSITIVITIES.index(export_sensitivity(share)) > SENSITIVITIES.index(APPROVAL_ABOVE)


def _state(row: KnowledgeShare) -> ShareState:
    return ShareState(id=int(row.id), status=row.status, kind=row.template_id,
                      reference=row.case_reference, recipient=row.recipient,
                      requested_by=row.requested_by, page=f"/knowledge/shares/{row.id}",
                      note=row.decision_note or "")


def _log_export(share: OutboundShare, status: str) -> ShareState:
    """An export from another package in the share log, with its ledger entry in the same
    transaction: the fields it holds, the recipient, the legal basis, the digest of the
    exported bytes when they went out — never the content."""
    from accord.core.governance import get_governance

    recipient = " ".join(share.recipient.split())[:300] or "not named"
    with get_database().write_session() as writer:
        row = KnowledgeShare(
            template_id=share.kind[:40], case_reference=share.reference[:24],
            recipient=recipient, fields=list(share.fields), values={},
            legal_basis=share.legal_basis[:400], sensitivity=export_sensitivity(share),
            status=status, subject_keys=list(share.subject_keys), requested_by=share.user_id,
            download=share.download[:300])
        writer.add(row)
        writer.flush()
        body = {"actor": f"user:{share.user_id}", "share": row.id, "export": share.kind,
                "case_ref": share.reference, "recipient": recipient,
                "fields": list(share.fields), "legal_basis": share.legal_basis,
                "sensitivity": row.sensitivity, "status": status}
        if share.content_digest:
            body["content_digest"] = share.content_digest
        row.ledger_seq = get_governance().ledger.append(writer, "knowledge-share", body)
        writer.flush()
        return _state(row)


def record_export(share: OutboundShare) -> int:
    """An export that went out (the ``share_log`` hook: an internal print)."""
    return _log_export(share, "exported").id


def hold_export(share: OutboundShare) -> ShareState:
    """An export above the sensitivity level, held for a supervisor: recorded and ledgered
    without content (its bytes have not been produced)."""
    return _log_export(share, "awaiting-approval")


def record_released_export(share: OutboundShare) -> ShareState:
    return _log_export(share, "exported")


def check_release(share_id: int, kind: str, reference: str, user_id: int | None) -> ShareState:
    """May the requester fetch the bytes of this held export now? 404 for an unknown share or
    one of another export or object, 403 for anyone but the requester, 409 while it awaits
    approval or after a refusal."""
    with get_database().session() as session:
        row = session.get(KnowledgeShare, share_id)
        if row is None or row.template_id != kind or row.case_reference != reference:
            raise ShareNotFound(id=share_id)
        if row.requested_by is None or row.requested_by != user_id:
            raise NotYourShare()
        if row.status == "refused":
            raise ShareRefused(id=share_id, reason=row.decision_note)
        if row.status not in FETCHABLE:
            raise ShareAwaitingApproval(id=share_id)
        return _state(row)


def released(share_id: int, user_id: int | None, content_digest: str) -> ShareState:
    """The approved export's bytes went out: ledgered with their digest (each fetch)."""
    from accord.core.governance import get_governance

    with get_database().write_session() as writer:
        row = writer.get(KnowledgeShare, share_id)
        assert row is not None
        if row.status not in FETCHABLE:  # refused between check and fetch
            raise Conflict(detail=M_("share %(share_id)s is not approved", share_id=share_id))
        row.status = "exported"
        get_governance().ledger.append(writer, "knowledge-share-released", {
            "actor": f"user:{user_id}", "share": row.id, "export": row.template_id,
            "case_ref": row.case_reference, "recipient": row.recipient, "fields": row.fields,
            "content_digest": content_digest})
        writer.flush()
        return _state(row)


def subject_records(session: Session, key: str) -> list[SubjectRecord]:
    """Shares about the person with this subject key (the ``subject_records`` hook)."""
    if not key:
        return []
    records = []
    for share in session.scalars(select(KnowledgeShare).order_by(KnowledgeShare.created_at)):
        # What was shared: a letter released, an export whose bytes went out — not a share
        # still awaiting a supervisor, approved but not yet fetched, or refused.
        if key not in (share.subject_keys or []) or share.status not in SHARED_OUT:
            continue
        template = templates().get(share.template_id)
        title = (template.title_en if template
                 else EXPORT_TITLES.get(share.template_id, share.template_id))
        records.append(SubjectRecord(
            kind="outbound-share", reference=f"share:{share.id}", title=title,
            # A recorded legal decision restricts it: the report shows it exists, nothing more.
            created_at=share.created_at, withheld=bool(share.withheld_decision),
            note=f"shared with {share.recipient}: {', '.join(share.fields)} "
                 f"({share.status}; legal basis: {share.legal_basis})"))
    return records
