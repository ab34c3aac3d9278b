"""The ledger in the database: gap-free appends, signed checkpoints, proofs, verification,
export and the oversight witness.

This is the only module of :mod:`accord.core.ledger` that touches the database; the package
``__init__`` does not import it, so the offline verifier stays free of SQLAlchemy.

Appends happen inside the caller's transaction (so a decision and its ledger entry commit or
roll back together) and are serialised: SQLite transactions opened with
:meth:`Database.write_session` start with BEGIN IMMEDIATE, and on PostgreSQL an advisory
transaction lock is taken before the next sequence number is read. Either way the sequence has
no gaps, and an entry is acknowledged only after its transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from accord.core.db import Database, utcnow
from accord.core.gateway.models import LedgerCheckpoint, LedgerEntry, WitnessEvent
from accord.core.ledger.canonical import canonical_json
from accord.core.ledger.export import write_export
from accord.core.ledger.merkle import MerkleTree, leaf_hash, verify_consistency
from accord.core.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    NoteSigner,
    add_signatures,
    open_checkpoint,
)

ADVISORY_LOCK_KEY = 0x4ACC0_7D  # arbitrary, constant: "the ledger append lock"
# Built once: appends are on every gateway call's path, and building statements costs more than
# running them.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_MAX_SEQ = select(func.max(LedgerEntry.seq))
_INSERT = insert(LedgerEntry)
_CHUNK = 65_536
LOG_KEY_FILE = "ledger.key"
WITNESS_KEY_FILE = "witness.key"


def _read_or_create_key(path: Path, create: Any) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = create()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    return path.read_text().strip()


def load_log_signer(state_dir: Path, origin: str) -> NoteSigner:
    """The log's Ed25519 signing key, generated on first use and kept in the state directory."""
    key = _read_or_create_key(state_dir / LOG_KEY_FILE,
                              lambda: NoteSigner.generate(origin).key_string())
    return NoteSigner.from_key_string(key)


def load_witness_signer(state_dir: Path, name: str) -> CosignatureSigner:
    """The oversight witness key (held for the DPO role), separate from the log key."""
    key = _read_or_create_key(state_dir / WITNESS_KEY_FILE,
                              lambda: CosignatureSigner.generate(name).key_string())
    return CosignatureSigner.from_key_string(key)


def digest(salt: bytes, value: Any) -> str:
    """Salted digest of a value for the ledger: HMAC-SHA256 over its canonical JSON."""
    return "hmac-sha256:" + hmac.new(salt, canonical_json(value), hashlib.sha256).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class VerifyReport:
    ok: bool
    size: int
    checkpoints: int
    first_bad_seq: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class WitnessOutcome:
    cosigned: bool
    size: int
    reason: str


class LedgerService:
    """Append, checkpoint, prove and verify. One instance per process is enough."""

    def __init__(self, database: Database, signer: NoteSigner, origin: str) -> None:
        self.database = database
        self.signer = signer
        self.origin = origin
        self._tree = MerkleTree()
        self._tree_lock = threading.Lock()

    @property
    def public_key(self) -> str:
        return self.signer.verifier_key()

    # -- appending ---------------------------------------------------------------------------
    def append(self, session: Session, kind: str, fields: dict[str, Any]) -> int:
        """Append one entry inside ``session``'s transaction and return its sequence number.

        ``session`` must come from :meth:`Database.write_session` on SQLite; on PostgreSQL
        this takes the advisory lock itself.
        """
        connection = session.connection()
        if self.database.dialect == "postgresql":
            connection.execute(_LOCK, {"key": ADVISORY_LOCK_KEY})
        current = connection.execute(_MAX_SEQ).scalar()
        seq = 0 if current is None else int(current) + 1
        entry = {"seq": seq, "time": now_iso(), "kind": kind, **fields}
        body = canonical_json(entry)
        capability = fields.get("capability")
        connection.execute(_INSERT, {
            "seq": seq, "leaf_hash": leaf_hash(body).hex(), "body": body.decode("utf-8"),
            "kind": kind,
            "capability_id": str(capability.get("id", "")) if isinstance(capability, dict)
            else "",
            "actor": str(fields.get("actor", "")), "created_at": utcnow(),
        })
        return seq

    def append_now(self, kind: str, fields: dict[str, Any]) -> int:
        """Append in a transaction of its own (for events with nothing else to store)."""
        with self.database.write_session() as session:
            return self.append(session, kind, fields)

    # -- the tree ----------------------------------------------------------------------------
    def size(self) -> int:
        with self.database.session() as session:
            current = session.scalar(select(func.max(LedgerEntry.seq)))
        return 0 if current is None else int(current) + 1

    def tree(self) -> MerkleTree:
        """The in-memory Merkle tree, brought up to date with committed entries."""
        with self._tree_lock:
            tree = self._tree
            batch: list[bytes] = []
            with self.database.engine.connect() as connection:
                rows = connection.execute(
                    select(LedgerEntry.seq, LedgerEntry.leaf_hash)
                    .where(LedgerEntry.seq >= tree.size).order_by(LedgerEntry.seq))
                expected = tree.size
                for seq, hash_hex in rows:
                    if seq != expected:
                        break  # a gap: someone deleted rows; verify() will explain
                    batch.append(bytes.fromhex(hash_hex))
                    expected += 1
                    if len(batch) >= _CHUNK:
                        tree.extend(batch)
                        batch = []
            tree.extend(batch)
            return self._tree

    def reset_tree(self) -> None:
        with self._tree_lock:
            self._tree = MerkleTree()

    def entry(self, seq: int) -> LedgerEntry | None:
        with self.database.session() as session:
            return session.get(LedgerEntry, seq)

    def inclusion_proof(self, seq: int, size: int | None = None) -> dict[str, Any]:
        tree = self.tree()
        size = tree.size if size is None else size
        proof = tree.inclusion_proof(seq, size)
        return {"seq": seq, "tree_size": size, "leaf_hash": tree.leaf(seq).hex(),
                "root_hash": tree.root(size).hex(), "proof": [p.hex() for p in proof]}

    def consistency_proof(self, old_size: int, new_size: int) -> dict[str, Any]:
        tree = self.tree()
        proof = tree.consistency_proof(old_size, new_size)
        return {"old_size": old_size, "new_size": new_size,
                "old_root": tree.root(old_size).hex(), "new_root": tree.root(new_size).hex(),
                "proof": [p.hex() for p in proof]}

    # -- checkpoints -------------------------------------------------------------------------
    def latest_checkpoint(self) -> LedgerCheckpoint | None:
        with self.database.session() as session:
            return session.scalar(
                select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
            )

    def checkpoints(self) -> list[LedgerCheckpoint]:
        with self.database.session() as session:
            return list(session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)))

    def checkpoint(self) -> LedgerCheckpoint | None:
        """Sign a checkpoint for the current tree if it grew since the last one."""
        tree = self.tree()
        size = tree.size
        if size == 0:
            return self.latest_checkpoint()
        latest = self.latest_checkpoint()
        if latest is not None and latest.size >= size:
            return latest
        root = tree.root(size)
        note = Checkpoint(self.origin, size, root).sign([self.signer])
        with self.database.session() as session:
            if session.get(LedgerCheckpoint, size) is None:
                session.add(LedgerCheckpoint(size=size, root_hash=root.hex(), note=note))
        return self.latest_checkpoint()

    # -- witness -----------------------------------------------------------------------------
    def witness(self, witness: CosignatureSigner, actor_id: int | None) -> WitnessOutcome:
        """Act as the oversight witness for the latest checkpoint.

        The witness keeps its own memory: the last checkpoint it cosigned. It checks the new
        checkpoint's log signature and a consistency proof from that one; an inconsistent head
        is refused, the refusal recorded, and nothing is signed.
        """
        latest = self.checkpoint()
        if latest is None:
            return WitnessOutcome(False, 0, "the ledger is empty")
        checkpoint = open_checkpoint(latest.note, self.signer.verifier())
        with self.database.session() as session:
            previous = session.scalar(
                select(WitnessEvent)
                .where(WitnessEvent.witness == witness.name, WitnessEvent.outcome == "cosigned")
                .order_by(WitnessEvent.size.desc()).limit(1)
            )
        # The witness trusts nothing the log process holds in memory: it rebuilds the tree from
        # the stored leaf hashes, so a rewrite of the database is caught even while the log
        # process keeps running on its cached tree.
        stored = MerkleTree(bytes.fromhex(hash_hex)
                            for _, hash_hex, _ in self._rows(with_body=False))
        reason = ""
        if stored.size < checkpoint.size:
            reason = (f"the database holds {stored.size} entries but checkpoint "
                      f"{checkpoint.size} was signed: entries were deleted")
        elif stored.root(checkpoint.size) != checkpoint.root_hash:
            reason = (f"the stored entries do not match signed checkpoint {checkpoint.size}: "
                      "the ledger was rewritten")
        elif previous is not None:
            if checkpoint.size < previous.size:
                reason = f"tree shrank from {previous.size} to {checkpoint.size}"
            elif not verify_consistency(
                previous.size, checkpoint.size, bytes.fromhex(previous.root_hash),
                checkpoint.root_hash, stored.consistency_proof(previous.size, checkpoint.size),
            ):
                reason = (f"checkpoint {checkpoint.size} is not consistent with checkpoint "
                          f"{previous.size} that this witness cosigned: the ledger was "
                          "rewritten")
        with self.database.session() as session:
            if reason:
                session.add(WitnessEvent(witness=witness.name, size=checkpoint.size,
                                         root_hash=checkpoint.root_hash.hex(),
                                         outcome="refused", reason=reason, actor_id=actor_id))
                return WitnessOutcome(False, checkpoint.size, reason)
            signed = add_signatures(latest.note, [witness])  # C2SP tlog-cosignature line
            row = session.get(LedgerCheckpoint, latest.size)
            assert row is not None
            row.note = signed
            session.add(WitnessEvent(witness=witness.name, size=checkpoint.size,
                                     root_hash=checkpoint.root_hash.hex(), outcome="cosigned",
                                     actor_id=actor_id))
        return WitnessOutcome(True, checkpoint.size, "")

    def witness_events(self, limit: int = 20) -> list[WitnessEvent]:
        with self.database.session() as session:
            return list(session.scalars(
                select(WitnessEvent).order_by(WitnessEvent.id.desc()).limit(limit)))

    # -- verification ------------------------------------------------------------------------
    def _rows(self, batch: int = 50_000,
              with_body: bool = True) -> Iterator[tuple[int, str, str]]:
        """All entries in order, read in batches as plain rows (no ORM objects)."""
        columns = [LedgerEntry.seq, LedgerEntry.leaf_hash]
        columns.append(LedgerEntry.body if with_body else LedgerEntry.kind)
        last = -1
        with self.database.engine.connect() as connection:
            while True:
                rows = connection.execute(
                    select(*columns).where(LedgerEntry.seq > last)
                    .order_by(LedgerEntry.seq).limit(batch)
                ).all()
                if not rows:
                    return
                for row in rows:
                    yield row[0], row[1], row[2]
                last = rows[-1][0]

    def verify(self) -> VerifyReport:
        """Recompute everything from the stored entries and check every signed checkpoint.

        Detects edited entries (leaf hash or root mismatch), deleted ones (sequence gap),
        inserted or reordered ones (root mismatch against signed checkpoints, seq mismatch).
        """
        started = time.perf_counter()
        checkpoints = self.checkpoints()
        tree = MerkleTree()
        report = VerifyReport(ok=True, size=0, checkpoints=len(checkpoints))
        leaves: list[bytes] = []
        for expected, (seq, stored_hash, body) in enumerate(self._rows()):
            data = body.encode("utf-8")
            computed = hashlib.sha256(b"\x00" + data).digest()
            if seq != expected:
                return self._fail(report, expected, f"entry {expected} is missing (next stored "
                                  f"entry is {seq}): entries were deleted", started)
            if computed.hex() != stored_hash:
                return self._fail(report, seq, f"entry {seq} was altered: its content does not "
                                  "match its recorded leaf hash", started)
            if f'"seq":{seq},' not in body and not body.endswith(f'"seq":{seq}}}'):
                return self._fail(report, seq, f"entry {seq} carries a different sequence "
                                  "number: entries were reordered or inserted", started)
            leaves.append(computed)
        tree.extend(leaves)
        report.size = tree.size
        previous: Checkpoint | None = None
        for row in checkpoints:
            try:
                checkpoint = open_checkpoint(row.note, self.signer.verifier())
            except Exception as error:
                return self._fail(report, None, f"checkpoint {row.size} has no valid log "
                                  f"signature: {error}", started)
            if checkpoint.size > tree.size:
                return self._fail(report, tree.size, f"checkpoint {checkpoint.size} covers "
                                  f"entries that are gone: the ledger holds {tree.size}", started)
            if tree.root(checkpoint.size) != checkpoint.root_hash:
                first = 0 if previous is None else previous.size
                return self._fail(report, first, f"entries {first}..{checkpoint.size - 1} do "
                                  f"not match signed checkpoint {checkpoint.size}: entries in "
                                  "that range were altered, inserted, removed or reordered",
                                  started)
            previous = checkpoint
        if previous is None or previous.size < tree.size:
            signed = 0 if previous is None else previous.size
            report.warnings.append(f"{tree.size - signed} newest entries are not yet covered by "
                                   "a signed checkpoint")
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _fail(report: VerifyReport, seq: int | None, reason: str,
              started: float) -> VerifyReport:
        report.ok = False
        report.first_bad_seq = seq
        report.reason = reason
        report.seconds = time.perf_counter() - started
        return report

    # -- export ------------------------------------------------------------------------------
    def export(self, directory: Path, witness_keys: tuple[str, ...] = ()) -> Path:
        """Write entries.jsonl, checkpoints.txt and public.key for an outside auditor."""
        self.checkpoint()
        import json

        entries = [json.loads(body) for _, _, body in self._rows()]
        notes = [row.note for row in self.checkpoints()]
        return write_export(directory, entries, notes, self.public_key, witness_keys)

