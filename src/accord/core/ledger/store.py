"""The ledger in the database: gap-free appends, signed checkpoints, proofs, verification,
export and the oversight witness.

This is the only module of :mod:`accord.core.ledger` that touches the database; the package
``__init__`` does not import it, so the offline verifier stays free of SQLAlchemy.

Appends happen inside the caller's transaction (so a decision and its ledger entry commit or
roll back together) and are serialised: SQLite transactions opened with
:meth:`Database.write_session` start with BEGIN IMMEDIATE, and on PostgreSQL an advisory
transaction lock is taken before the next sequence number is read. Either way the sequence has
no gaps, and an entry is acknowledged only after its transaction commits.

Entries with nothing else to store (:meth:`LedgerService.append_now`) are group-committed: the
threads of one process that append at the same time hand their entries to one leader, which
writes them all in one transaction; each caller returns its own sequence number only after that
transaction committed. The entry bytes, hashes and the sequence are exactly what one transaction
per entry would produce.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text
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
# At most this many entries per group-commit transaction, so one batch never holds the write
# lock for long.
_MAX_BATCH = 512
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


# -- RFC 8785 on the hot path ------------------------------------------------------------------
# rfc8785 is pure Python and cost ~0.1-0.2 ms per entry, three times per gateway call. Entries
# are dicts of strings, ints, bools, None, lists and small dicts; for those the canonical form is
# simple to produce with the C JSON string encoder, whose escaping is exactly RFC 8785's
# (short escapes for \b \t \n \f \r, \u00xx for other controls, '"' and '\\', everything
# else as UTF-8; tests/core/ledger/test_fast_canonical.py checks every code point). Anything
# else — floats, subclasses, tuples, lone surrogates, out-of-range ints — goes to the reference
# implementation, so the bytes are always exactly ``canonical_json``'s.
_encode_string = json.encoder.encode_basestring  # the C version when available
_INT_MIN, _INT_MAX = -(2**53) + 1, 2**53 - 1


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16be")


def _ascii_key(item: tuple[str, Any]) -> str:
    return item[0]


def _encode(value: Any) -> str:
    """JSON text of ``value`` in RFC 8785 form (not yet UTF-8; surrogates fail on encode)."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if kind is dict:
        if not value:
            return "{}"
        items = list(value.items())
        ascii_keys = True
        for key, _ in items:
            if type(key) is not str:
                raise TypeError("non-string key")
            if not key.isascii():
                ascii_keys = False
        # RFC 8785 orders keys by UTF-16 code units; for ASCII keys that is plain string order.
        items.sort(key=_ascii_key if ascii_keys else _utf16_key)
        return "{" + ",".join(_encode_string(k) + ":" + _encode(v) for k, v in items) + "}"
    if kind is list:
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if kind is int:
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError("integer outside the JSON safe range")
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is float and 1e-4 <= abs(value) < 1e16:
        # In this range Python's repr and ECMAScript both print the shortest round-trip digits
        # positionally; they differ only in Python's trailing ".0" on integral values.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    # Other floats (exponent forms, zero, NaN) and anything unusual: the reference
    # implementation, which also names bad values.
    return canonical_json(value).decode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """Exactly ``canonical_json(value)`` (same bytes, same errors), several times faster for
    the shapes ledger entries and gateway inputs have."""
    try:
        return _encode(value).encode("utf-8")
    except Exception:  # the reference produces the bytes or the precise error
        return canonical_json(value)


def digest(salt: bytes, value: Any) -> str:
    """Salted digest of a value for the ledger: HMAC-SHA256 over its canonical JSON."""
    return "hmac-sha256:" + hmac.new(salt, canonical_bytes(value), hashlib.sha256).hexdigest()


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


class _Pending:
    """One append_now call waiting for the group commit that contains it."""

    __slots__ = ("done", "error", "fields", "kind", "seq", "wake")

    def __init__(self, kind: str, fields: dict[str, Any]) -> None:
        self.kind = kind
        self.fields = fields
        self.seq = -1
        self.error: BaseException | None = None
        self.done = False
        # Held until this caller is woken exactly once: its entry is settled (done), or it is
        # to lead the next transaction. One lock per caller, so no waiter wakes for nothing.
        self.wake = threading.Lock()
        self.wake.acquire()


class LedgerService:
    """Append, checkpoint, prove and verify. One instance per process is enough."""

    def __init__(self, database: Database, signer: NoteSigner, origin: str) -> None:
        self.database = database
        self.signer = signer
        self.origin = origin
        self._tree = MerkleTree()
        self._tree_lock = threading.Lock()
        # Group commit: appends not yet taken into a transaction, and whether a leader exists.
        self._pending: list[_Pending] = []
        self._leading = False
        self._group = threading.Lock()

    @property
    def public_key(self) -> str:
        return self.signer.verifier_key()

    # -- appending ---------------------------------------------------------------------------
    def append(self, session: Session | Connection, kind: str, fields: dict[str, Any]) -> int:
        """Append one entry inside ``session``'s transaction and return its sequence number.

        ``session`` (an ORM session or a Core connection) must come from
        :meth:`Database.write_session` / :meth:`Database.write_connection` on SQLite; on
        PostgreSQL this takes the advisory lock itself.
        """
        connection = session.connection() if isinstance(session, Session) else session
        seq = self._next_seq(connection)
        connection.execute(_INSERT, self._row(seq, kind, fields))
        return seq

    def _next_seq(self, connection: Connection) -> int:
        if self.database.dialect == "postgresql":
            connection.execute(_LOCK, {"key": ADVISORY_LOCK_KEY})
        current = connection.execute(_MAX_SEQ).scalar()
        return 0 if current is None else int(current) + 1

    @staticmethod
    def _row(seq: int, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The ``ledger_entries`` row for one entry (body: RFC 8785 bytes, as hashed)."""
        body = canonical_bytes({"seq": seq, "time": now_iso(), "kind": kind, **fields})
        capability = fields.get("capability")
        return {
            "seq": seq, "leaf_hash": leaf_hash(body).hex(), "body": body.decode("utf-8"),
            "kind": kind,
            "capability_id": str(capability.get("id", "")) if isinstance(capability, dict)
            else "",
            "actor": str(fields.get("actor", "")), "created_at": utcnow(),
        }

    def append_now(self, kind: str, fields: dict[str, Any]) -> int:
        """Append in a transaction of its own (for events with nothing else to store).

        Returns only after the transaction holding the entry committed. Concurrent callers
        are group-committed: whoever finds no write in progress becomes the leader, takes the
        write lock and then writes every entry waiting by that time in one transaction; the
        others wait for the commit that contains theirs. A caller whose fields cannot be
        encoded gets that error and takes no sequence number; a failed transaction fails every
        caller in it, and none of them is acknowledged.
        """
        mine = _Pending(kind, fields)
        with self._group:
            self._pending.append(mine)
            leader = not self._leading
            self._leading = True
        if not leader:
            mine.wake.acquire()  # until settled, or until the leader hands over to us
        if not mine.done:
            self._lead_until_done(mine)
        if mine.error is not None:
            raise mine.error
        return mine.seq

    def _lead_until_done(self, mine: _Pending) -> None:
        """Lead transactions until ``mine`` is settled, then hand leadership to the oldest
        waiting caller (or give it up when nobody waits)."""
        try:
            while not mine.done:
                self._lead(mine)
        finally:
            with self._group:
                successor = self._pending[0] if self._pending else None
                if successor is None:
                    self._leading = False
            if successor is not None:
                successor.wake.release()

    def _take_batch(self) -> list[_Pending]:
        with self._group:
            batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
        return batch

    def _lead(self, mine: _Pending) -> None:
        """Write the waiting entries in one transaction; mark each done once it is settled.

        The batch is taken only after the write lock is held and the next sequence number
        read: appenders that arrive while the leader waits for the lock (or for the previous
        commit) join this transaction instead of each paying for one of their own.
        """
        batch: list[_Pending] | None = None
        try:
            with self.database.write_connection() as connection:
                seq = self._next_seq(connection)
                batch = self._take_batch()
                rows = []
                for pending in batch:
                    try:
                        rows.append(self._row(seq, pending.kind, pending.fields))
                    except Exception as error:  # this caller's problem alone
                        pending.error = error
                        continue
                    pending.seq = seq
                    seq += 1
                if rows:
                    connection.execute(_INSERT, rows)
        except BaseException as error:
            # Nothing in this transaction was acknowledged: every caller in it gets the error.
            if batch is None:
                batch = self._take_batch()
            for pending in batch:
                if pending.error is None:
                    pending.seq, pending.error = -1, error
            if not isinstance(error, Exception):
                raise
        finally:
            for pending in batch or ():
                pending.done = True
                if pending is not mine:
                    pending.wake.release()

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

