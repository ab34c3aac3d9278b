"""The decision ledger on the web: public checkpoint and keys, the explorer for oversight
roles, entry pages whose inclusion proof the browser checks itself, and the DPO's witness.

Two routers:

* ``public_router`` (no log-in): the latest signed checkpoint and the verifier keys — what any
  outside party needs to hold Accord to one history. Nothing here reveals entries or proofs.
* ``router`` (auditor, dpo, supervisor, admin): search, entry pages, JSON proofs, and the
  witness action, which additionally requires the dpo role (the witness key is held for the
  data-protection officer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.core.errors import NotFound
from accord.core.gateway.models import LedgerCheckpoint, LedgerEntry, WitnessEvent
from accord.core.governance import Governance, get_governance
from accord.core.i18n import N_, gettext, set_language, translate
from accord.core.ledger.note import open_checkpoint, parse_note
from accord.core.ledger.store import WitnessOutcome
from accord.core.roles import Role
from accord.web.deps import Principal, db_session, request_language, require_roles
from accord.web.templating import render, station_time, station_zone

KINDS: tuple[str, ...] = (
    N_("decision"), N_("denial"), N_("review"), N_("failure"),
    N_("capability-suspended"), N_("capability-resumed"),
)
POLICY_WORDS = (N_("allow"), N_("deny"))
PAGE_SIZE = 50
WITNESS_EVENTS_SHOWN = 10

access = require_roles(Role.AUDITOR, Role.DPO, Role.SUPERVISOR, Role.ADMIN)
witness_access = require_roles(Role.DPO)
public_router = APIRouter(prefix="/ledger", include_in_schema=False)
router = APIRouter(prefix="/ledger", include_in_schema=False, dependencies=[Depends(access)])


# -- public ----------------------------------------------------------------------------------
def _plain_message(request: Request, message: str, status: int) -> PlainTextResponse:
    set_language(request_language(request, None))
    return PlainTextResponse(gettext(message) + "\n", status_code=status)


@public_router.get("/checkpoint")
def public_checkpoint(request: Request) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint note), signing a new one if the
    ledger grew since the last. With ``Accept: application/json``: the same checkpoint as
    JSON, every value parsed from the signed note (never from unsigned table columns), with
    the checkpoint the witness last cosigned."""
    governance = get_governance()
    checkpoint = governance.ledger.checkpoint()
    if checkpoint is None:
        return _plain_message(request, N_("The ledger is empty: no checkpoint has been signed "
                                          "yet."), 404)
    if "application/json" not in request.headers.get("accept", ""):
        return PlainTextResponse(checkpoint.note, headers={"Cache-Control": "no-cache"})
    witnessed = governance.ledger.witnessed(governance.witness_signer().name)
    return JSONResponse({
        **signed_checkpoint(governance, checkpoint.note),
        "witnessed": signed_checkpoint(governance, witnessed.note)
        if witnessed is not None and witnessed.note else None,
    }, headers={"Cache-Control": "no-cache"})


def signed_checkpoint(governance: Governance, note: str) -> dict[str, Any]:
    """Origin, size, root hash and signature lines of a checkpoint note, read from the note
    after its log signature verified: what the note says is what was signed."""
    checkpoint = open_checkpoint(note, governance.ledger.signer.verifier())
    log = governance.ledger.signer
    witness = governance.witness_signer()
    signatures = []
    for sig in parse_note(note).signatures:
        role = ("log" if (sig.name, sig.key_id) == (log.name, log.key_id) else
                "witness" if (sig.name, sig.key_id) == (witness.name, witness.key_id) else
                "other")
        signatures.append({"name": sig.name, "key_id": f"{sig.key_id:08x}", "role": role})
    return {"origin": checkpoint.origin, "size": checkpoint.size,
            "root_hash": checkpoint.root_hash.hex(), "signatures": signatures, "note": note}


@public_router.get("/public-key")
def public_key() -> Response:
    """The log's verifier key, then ``witness <key>`` for the oversight witness — the same
    layout as ``public.key`` in an export."""
    governance = get_governance()
    witness_key = governance.witness_signer().verifier_key()
    return PlainTextResponse(f"{governance.ledger.public_key}\nwitness {witness_key}\n")


# -- the explorer ----------------------------------------------------------------------------
@dataclass
class EntryFilter:
    kind: str = ""
    capability: str = ""
    actor: str = ""
    seq_from: int | None = None
    seq_to: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def from_query(cls, query: Any) -> EntryFilter:
        found = cls()
        kind = query.get("kind", "").strip()
        if kind and kind not in KINDS:
            found.errors.append((N_("Unknown entry kind “%(value)s”."), {"value": kind}))
        else:
            found.kind = kind
        found.capability = query.get("capability", "").strip()[:64]
        actor = query.get("actor", "").strip()[:64]
        found.actor = f"user:{actor}" if actor.isdigit() else actor
        found.seq_from = found._number(query, "seq_from", N_("From entry"))
        found.seq_to = found._number(query, "seq_to", N_("To entry"))
        found.date_from = found._date(query, "date_from", N_("From date"))
        found.date_to = found._date(query, "date_to", N_("To date"))
        found.page = found._number(query, "page", N_("Page"), minimum=1) or 1
        return found

    def _number(self, query: Any, name: str, label: str, minimum: int = 0) -> int | None:
        raw = query.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < minimum:
            self.errors.append((N_("%(field)s: enter a whole number of at least %(minimum)s."),
                                {"field": label, "minimum": minimum}))
            return None
        return int(raw)

    def _date(self, query: Any, name: str, label: str) -> date | None:
        raw = query.get(name, "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.append((N_("%(field)s: enter a date as YYYY-MM-DD."), {"field": label}))
            return None

    def conditions(self) -> list[Any]:
        where: list[Any] = []
        if self.kind:
            where.append(LedgerEntry.kind == self.kind)
        if self.capability:
            where.append(LedgerEntry.capability_id == self.capability)
        if self.actor:
            where.append(LedgerEntry.actor == self.actor)
        if self.seq_from is not None:
            where.append(LedgerEntry.seq >= self.seq_from)
        if self.seq_to is not None:
            where.append(LedgerEntry.seq <= self.seq_to)
        # Dates are the station's calendar days (as every time on the pages is shown): the
        # bounds are the station's midnights, compared with the stored UTC times.
        zone = station_zone()
        if self.date_from is not None:
            start = datetime.combine(self.date_from, datetime.min.time(), zone)
            where.append(LedgerEntry.created_at >= start.astimezone(UTC))
        if self.date_to is not None:
            end = datetime.combine(self.date_to + timedelta(days=1), datetime.min.time(), zone)
            where.append(LedgerEntry.created_at < end.astimezone(UTC))
        return where

    def query_string(self, page: int) -> str:
        values = {
            "kind": self.kind, "capability": self.capability, "actor": self.actor,
            "seq_from": "" if self.seq_from is None else self.seq_from,
            "seq_to": "" if self.seq_to is None else self.seq_to,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        kept = {k: v for k, v in values.items() if v != ""}
        if page > 1:
            kept["page"] = page
        return urlencode(kept)


@dataclass(frozen=True)
class EntryRow:
    seq: int
    time: str
    kind: str
    capability: str
    actor: str
    policy: str


def _row(entry: LedgerEntry) -> EntryRow:
    try:
        body = json.loads(entry.body)
    except ValueError:
        body = {}
    policy = body.get("policy") if isinstance(body, dict) else None
    decision = policy.get("decision", "") if isinstance(policy, dict) else ""
    stamp = body.get("time") if isinstance(body, dict) else None
    time = station_time(stamp if isinstance(stamp, str) and stamp else entry.created_at,
                        "%Y-%m-%d %H:%M:%S")
    return EntryRow(entry.seq, time, entry.kind, entry.capability_id, entry.actor,
                    decision if isinstance(decision, str) else "")


def _cosignatures(governance: Governance, note: str) -> int:
    """Signature lines on a checkpoint note other than the log's own."""
    log = governance.ledger.signer
    return sum(1 for sig in parse_note(note).signatures
               if (sig.name, sig.key_id) != (log.name, log.key_id))


def _checkpoint_view(governance: Governance,
                     checkpoint: LedgerCheckpoint | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    signed = open_checkpoint(checkpoint.note, governance.ledger.signer.verifier())
    return {"size": signed.size, "root_hash": signed.root_hash.hex(),
            "created_at": checkpoint.created_at, "note": checkpoint.note,
            "cosignatures": _cosignatures(governance, checkpoint.note)}


def _explorer(request: Request, session: Session, principal: Principal,
              entry_filter: EntryFilter, outcome: WitnessOutcome | None = None) -> Response:
    governance = get_governance()
    ledger = governance.ledger
    # The ledger service reads on connections of its own: done before this request's session
    # takes one, so the request never holds two (see accord.web.deps.optional_principal).
    checkpoint = _checkpoint_view(governance, ledger.checkpoint())
    tree_size = ledger.tree().size
    witness_events = ledger.witness_events(WITNESS_EVENTS_SHOWN)
    rows: list[EntryRow] = []
    total = 0
    if not entry_filter.errors:
        where = entry_filter.conditions()
        total = session.scalar(select(func.count()).select_from(LedgerEntry).where(*where)) or 0
        offset = (entry_filter.page - 1) * PAGE_SIZE
        rows = [_row(entry) for entry in session.scalars(
            select(LedgerEntry).where(*where).order_by(LedgerEntry.seq.desc())
            .offset(offset).limit(PAGE_SIZE))]
    pages = max(1, -(-total // PAGE_SIZE))
    capabilities = list(session.scalars(
        select(LedgerEntry.capability_id).where(LedgerEntry.capability_id != "").distinct()
        .order_by(LedgerEntry.capability_id)))
    return render(request, "ledger/explorer.html", {
        "filter": entry_filter, "kinds": KINDS, "capabilities": capabilities,
        "rows": rows, "total": total, "page": entry_filter.page, "pages": pages,
        "tree_size": tree_size, "checkpoint": checkpoint,
        "witness_events": witness_events,
        "witness_name": governance.witness_signer().name,
        "is_witness": Role.DPO in principal.user.roles, "outcome": outcome,
    }, status_code=422 if entry_filter.errors else 200)


@router.get("")
def explorer(request: Request, principal: Principal = Depends(access),
             session: Session = Depends(db_session)) -> Response:
    return _explorer(request, session, principal, EntryFilter.from_query(request.query_params))


@router.post("/witness", dependencies=[Depends(witness_access)])
def witness(request: Request, principal: Principal = Depends(access),
            session: Session = Depends(db_session)) -> Response:
    """The DPO, as oversight witness, cosigns the latest checkpoint — or the witness refuses
    (recorded, and listed with the witness events) when it does not extend what it signed."""
    governance = get_governance()
    outcome = governance.ledger.witness(governance.witness_signer(), principal.user.id)
    return _explorer(request, session, principal, EntryFilter(), outcome)


# -- one entry and its proof -----------------------------------------------------------------
def _entry_or_404(governance: Governance, seq: int) -> LedgerEntry:
    entry = governance.ledger.entry(seq) if seq >= 0 else None
    if entry is None:
        raise NotFound(N_("Ledger entry %(seq)s does not exist."), seq=seq)
    return entry


def _proof(governance: Governance, entry: LedgerEntry) -> dict[str, Any] | None:
    """Inclusion proof of ``entry`` against the latest signed checkpoint, or None when no
    checkpoint covers it yet."""
    checkpoint = governance.ledger.checkpoint()
    if checkpoint is None or entry.seq >= checkpoint.size:
        return None
    proof = governance.ledger.inclusion_proof(entry.seq, checkpoint.size)
    signed = open_checkpoint(checkpoint.note, governance.ledger.signer.verifier())
    return {**proof, "root_hash": signed.root_hash.hex(), "checkpoint": checkpoint.note,
            "body": entry.body}


def _witness_verdict(session: Session, checkpoint: LedgerCheckpoint | None) -> WitnessEvent | None:
    """The witness's latest word on exactly this checkpoint (size and root), if any."""
    if checkpoint is None:
        return None
    return session.scalar(
        select(WitnessEvent)
        .where(WitnessEvent.size == checkpoint.size,
               WitnessEvent.root_hash == checkpoint.root_hash)
        .order_by(WitnessEvent.id.desc()).limit(1))


@router.get("/entries/{seq}")
def entry_page(request: Request, seq: int, session: Session = Depends(db_session)) -> Response:
    governance = get_governance()
    entry = _entry_or_404(governance, seq)
    proof = _proof(governance, entry)
    pretty = json.dumps(json.loads(entry.body), indent=2, ensure_ascii=False)
    checkpoint = governance.ledger.latest_checkpoint()
    return render(request, "ledger/entry.html", {
        "entry": entry, "row": _row(entry), "pretty": pretty, "proof": proof,
        "checkpoint": _checkpoint_view(governance, checkpoint),
        "verdict": _witness_verdict(session, checkpoint),
    })


@router.get("/entries/{seq}/proof")
def entry_proof(request: Request, seq: int) -> Response:
    """JSON: {seq, tree_size, leaf_hash, root_hash, proof[], checkpoint, body}."""
    governance = get_governance()
    set_language(getattr(request.state, "language", None) or "zh_Hans")
    try:
        entry = _entry_or_404(governance, seq)
    except NotFound as error:
        return JSONResponse({"detail": translate(error.message, error.params)}, status_code=404)
    proof = _proof(governance, entry)
    if proof is None:
        message = N_("Ledger entry %(seq)s is not yet covered by a signed checkpoint.")
        return JSONResponse({"detail": gettext(message) % {"seq": seq}}, status_code=409)
    return JSONResponse(proof, headers={"Cache-Control": "no-store"})
