"""The service the phrase-match CLI and web pages share: match through the gateway, confirm.

Matching is a gateway call (``interpret.phrase_match``: policy check, decision record, ledger).
Confirming is the person's act, not a model's: :func:`confirm` accepts only an entry that the
decision actually offered, once per decision, by the officer who asked (or a supervisor), and
writes the confirmation row and its ledger entry in one transaction — the ledger holds digests
of the words, never the words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_
from accord.interpret.phrase_models import LABEL, PhraseConfirmation
from accord.interpret.phrasebook import LANGUAGES, get_phrasebook

CAPABILITY_ID = "interpret.phrase_match"


class AlreadyConfirmed(AccordError):
    status = 409
    message = N_("This match was already confirmed (entry %(entry)s).")


def match_call(gateway: Any, caller: Any, text: str, *, language: str, to: str = "",
               purpose: str, legal_basis: str, case_ref: str = "") -> Any:
    """Check the input, then ask the gateway; returns its ``GatewayResult``."""
    from accord.core.gateway.service import GatewayRequest
    from accord.interpret.phrase_match import MAX_TEXT

    text = " ".join(str(text).split())
    if not text:
        raise ValidationFailed(detail=M_("text: type or say what the person wants to say"))
    if len(text) > MAX_TEXT:
        raise ValidationFailed(detail=M_("text: at most %(max_text)s characters",
                                         max_text=MAX_TEXT))
    if language not in LANGUAGES:
        raise ValidationFailed(detail=M_("language: one of %(languages)s",
                                         languages=', '.join(LANGUAGES)))
    if to and to not in LANGUAGES:
        raise ValidationFailed(detail=M_("to: one of %(languages)s",
                                         languages=', '.join(LANGUAGES)))
    inputs: dict[str, Any] = {"text": text, "language": language}
    if to:
        inputs["to"] = to
    return gateway.invoke(caller, GatewayRequest(
        capability_id=CAPABILITY_ID, purpose=purpose, legal_basis=legal_basis,
        inputs=inputs, case_ref=case_ref))


@dataclass(frozen=True)
class Confirmed:
    id: int
    decision_id: str
    entry_id: str
    language: str
    original_text: str
    person_text: str
    interpretation_zh: str
    entry_status: str
    label: str
    case_ref: str
    ledger_seq: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _view(row: PhraseConfirmation) -> Confirmed:
    return Confirmed(row.id, row.decision_id, row.entry_id, row.language, row.original_text,
                     row.person_text, row.interpretation_zh, row.entry_status, row.label,
                     row.case_ref, row.ledger_seq)


def confirm(database: Any, ledger: Any, caller: Any, decision_id: str,
            entry_id: str) -> Confirmed:
    """The person confirmed ``entry_id`` for the utterance of ``decision_id``."""
    from accord.core.gateway.models import Decision

    book = get_phrasebook()
    with database.write_session() as session:
        decision = session.get(Decision, str(decision_id)[:32])
        if (decision is None or decision.capability_id != CAPABILITY_ID
                or decision.status != "completed" or decision.output is None):
            raise NotFound(N_("No phrase match %(reference)s."), reference=str(decision_id)[:32])
        if decision.actor_id != caller.user_id and "supervisor" not in caller.roles:
            raise PermissionDenied(N_("Only the officer who asked may record the confirmation."))
        existing = session.scalar(select(PhraseConfirmation).where(
            PhraseConfirmation.decision_id == decision.id))
        if existing is not None:
            raise AlreadyConfirmed(entry=existing.entry_id)
        offered = {c["id"] for c in decision.output.get("candidates", [])}
        if entry_id not in offered:
            raise ValidationFailed(detail=M_("entry: the person can only confirm an entry that "
                                             "was offered for this utterance"))
        entry = book.get(entry_id)
        if entry is None or decision.output.get("phrasebook_version") != book.version:
            raise ValidationFailed(detail=M_("entry: the phrasebook changed since the match; "
                                             "match again"))
        inputs = decision.inputs or {}
        language = str(inputs.get("language", ""))
        original = str(inputs.get("text", ""))
        seq = ledger.append(session, "phrase-confirmed", {
            "actor": f"user:{caller.user_id}", "roles": sorted(caller.roles),
            "decision": decision.id, "entry": entry.id, "phrasebook": book.version,
            "language": language, "case_ref": decision.case_ref,
            "original_digest": _digest(original), "interpretation_digest": _digest(
                entry.text["zh"]), "label": LABEL,
        })
        row = PhraseConfirmation(
            decision_id=decision.id, entry_id=entry.id, phrasebook_version=book.version,
            language=language, original_text=original, person_text=entry.text[language],
            interpretation_zh=entry.text["zh"], entry_status=entry.status[language],
            label=LABEL, case_ref=decision.case_ref, confirmed_by=caller.user_id,
            ledger_seq=seq)
        session.add(row)
        session.flush()
        return _view(row)


def warm_vectors(languages: tuple[str, ...] = LANGUAGES) -> dict[str, str]:
    """Encode the phrasebook's entries ahead of time (a deploy step or a worker's start), so the
    first person at the desk does not wait for it. Encodes only the book's own sentences — no
    personal data, no decision — hence no gateway call. Returns language → encoder."""
    from accord.interpret.phrase_match import warm

    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ValidationFailed(detail=M_("language: one of %(languages)s",
                                         languages=', '.join(LANGUAGES)))
    return warm(tuple(languages))


def confirmations(database: Any, case_ref: str) -> list[Confirmed]:
    """The confirmed interpretations of a case, oldest first (the bilingual transcript)."""
    with database.session() as session:
        rows = session.scalars(select(PhraseConfirmation).where(
            PhraseConfirmation.case_ref == case_ref).order_by(PhraseConfirmation.id))
        return [_view(row) for row in rows]
