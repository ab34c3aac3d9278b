"""The ledger in the database: gap-free appends, signed checkpoints, proofs, verification,
export and the oversight witness.

This is the only module of :mod:`accord.core.ledger` that touches the database; the package
``__init__`` does not import it, so the offline verifier stays free of SQLAlchemy.

Appends happen inside the caller's transaction (so a decision and its ledger entry commit or
roll back together) and are serialised: SQLite transactions opened with
:meth:`Database.write_session` (or ``write_connection`` / ``write_cursor``) start with BEGIN
IMMEDIATE, and on PostgreSQL an advisory
transaction lock is taken before the next sequence number is read. Either way the sequence has
no gaps, and an entry is acknowledged only after its transaction commits.

Entries with nothing else to store (:meth:`LedgerService.append_now`) are group-committed: the
threads of one process that append at the same time hand their entries to one leader, which
writes them all in one transaction; each caller returns its own sequence number only after that
transaction committed. The entry bytes, hashes and the sequence are exactly what one transaction
per entry would produce.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.core.db import Database, Prepared, utcnow
from accord.core.gateway.models import Decision, LedgerCheckpoint, LedgerEntry, WitnessEvent
from accord.core.ledger.canonical import canonical_json
from accord.core.ledger.export import write_export
from accord.core.ledger.merkle import MerkleTree, leaf_hash, verify_consistency
from accord.core.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    NoteSigner,
    add_signatures,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)

ADVISORY_LOCK_KEY = 0x4ACC0_7D  # arbitrary, constant: "the ledger append lock"
# Built once, and compiled once per database (:class:`Prepared`): appends are on every gateway
# call's path, and SQLAlchemy's execution machinery costs more than running them.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_MAX_SEQ = select(func.max(LedgerEntry.seq))
_INSERT = insert(LedgerEntry)
_ROW_KEYS = ("seq", "leaf_hash", "body", "kind", "capability_id", "actor", "created_at")
# Signing a checkpoint, also prebuilt: it runs on a thread beside the appenders, and the less
# Python it runs between database calls, the less it holds them up on the interpreter lock.
_LEAVES = (select(LedgerEntry.seq, LedgerEntry.leaf_hash)
           .where(LedgerEntry.seq >= bindparam("start")).order_by(LedgerEntry.seq))
_SIGNED_SIZE = select(func.max(LedgerCheckpoint.size))
_CHECKPOINT_AT = select(LedgerCheckpoint.size).where(LedgerCheckpoint.size == bindparam("size"))
_INSERT_CHECKPOINT = insert(LedgerCheckpoint)
_CHECKPOINT_KEYS = ("size", "root_hash", "note", "created_at")
_CHUNK = 65_536
# At most this many entries per group-commit transaction, so one batch never holds the write
# lock for long.
_MAX_BATCH = 512
LOG_KEY_FILE = "ledger.key"
WITNESS_KEY_FILE = "witness.key"
# How long a process that exits waits for a checkpoint being signed in the background.
_EXIT_WAIT_S = 30.0

log = logging.getLogger(__name__)


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


# Faster still, for documents made only of the values whose JSON text Python's C encoder
# writes exactly as RFC 8785 does: dicts with ASCII keys (sorted by code point, which for ASCII
# is the UTF-16 order RFC 8785 asks for), lists, strings (the same C string encoder as above),
# ints in the safe range, booleans, None, and floats printed positionally (repr, as above).
# Integral floats print "1.0" there where RFC 8785 prints "1": such documents are encoded with
# those floats as ints, whose text is the same digits without the ".0" (a confidence of 1.0 is
# common). ``_plain`` only looks at types and ranges; whatever it does not vouch for goes
# through ``_encode`` as before.
def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode_plain = None if _c_make_encoder is None else _c_make_encoder(
    None, _refuse, _encode_string, None, ":", ",", True, False, False)

#: ``_plain``'s answers: not plain (0), plain as it is, plain once integral floats are ints.
_AS_IS, _WITH_INTS = 1, 3


def _plain(value: Any) -> int:
    """Non-zero when the C encoder's text for ``value`` is exactly RFC 8785's: ``_AS_IS``, or
    ``_WITH_INTS`` when it is so for ``_ints(value)``."""
    kind = type(value)
    if kind is dict:
        answer = _AS_IS
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return 0
            if type(item) is not str:
                item_answer = _plain(item)
                if not item_answer:
                    return 0
                answer |= item_answer
        return answer
    if kind is str or kind is bool or value is None:
        return _AS_IS
    if kind is list:
        answer = _AS_IS
        for item in value:
            if type(item) is not str:
                item_answer = _plain(item)
                if not item_answer:
                    return 0
                answer |= item_answer
        return answer
    if kind is int:
        return _AS_IS if _INT_MIN <= value <= _INT_MAX else 0
    if kind is float and 1e-4 <= abs(value) < 1e16:
        return _WITH_INTS if value.is_integer() else _AS_IS
    return 0


def _ints(value: Any) -> Any:
    """``value`` with its integral floats as ints (for the C encoder: the same JSON text as
    RFC 8785 gives the floats, which ``_plain`` checked are in positional range)."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {key: item if type(item) is str else _ints(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) is str else _ints(item) for item in value]
    return value


def canonical_bytes(value: Any) -> bytes:
    """Exactly ``canonical_json(value)`` (same bytes, same errors), several times faster for
    the shapes ledger entries and gateway inputs have."""
    try:
        if _encode_plain is not None:
            plain = _plain(value)
            if plain:
                return "".join(_encode_plain(_ints(value) if plain == _WITH_INTS else value,
                                             0)).encode("utf-8")
        return _encode(value).encode("utf-8")
    except Exception:  # the reference produces the bytes or the precise error
        return canonical_json(value)


def digest(salt: bytes, value: Any) -> str:
    """Salted digest of a value for the ledger: HMAC-SHA256 over its canonical JSON."""
    return digest_of_bytes(salt, canonical_bytes(value))


def digest_of_bytes(salt: bytes, canonical: bytes) -> str:
    """:func:`digest` of a value whose canonical JSON the caller already has."""
    return "hmac-sha256:" + hmac.digest(salt, canonical, "sha256").hex()


def canonical_object(members: Mapping[str, bytes]) -> bytes:
    """RFC 8785 text of an object from its members' canonical texts, exactly what
    :func:`canonical_bytes` gives for the object itself: a member's text does not depend on its
    neighbours, and for ASCII keys (the only ones taken here) code-point order is RFC 8785's
    UTF-16 order. Lets the gateway encode a call's inputs and output once, not once per digest."""
    parts = []
    for key in sorted(members):
        if not key.isascii():
            raise ValueError("canonical_object takes ASCII keys only")
        parts.append(_encode_string(key).encode("ascii") + b":" + members[key])
    return b"{" + b",".join(parts) + b"}"


# -- binding decision rows to their entries ---------------------------------------------------
# A ``decisions`` row is bound to the ledger entry written in the same transaction by two digests
# the entry carries. ``record_digest`` covers who, what capability, for what purpose and on which
# legal basis, with what policy outcome: fields that are either already in the entry in clear or
# carry no personal data, so the digest is plain SHA-256 and stays checkable for ever.
# ``content_digest`` covers what may be personal data (inputs, output, explanation, confidence,
# the subject key); it is keyed with the row's own salt, so the ledger leaks nothing about the
# content, and erasing the salt with the content (retention, rights requests) leaves a digest
# that no longer links to anything. ``review_status`` is not bound: reviews change it by design
# and are ledgered as entries of their own.
DECISION_KINDS = frozenset({"decision", "denial"})
# Ledger entries that certify an erasure of decision content and name the erased decision ids.
ERASURE_KINDS = frozenset({"deletion-certificate", "rights-erasure"})
RECORD_FIELDS = ("id", "status", "capability_id", "capability_version", "model_version",
                 "actor_id", "actor_role", "purpose", "legal_basis", "case_ref",
                 "policy_version", "policy_reasons")
CONTENT_FIELDS = ("inputs", "output", "explanation", "confidence", "subject_key")


def record_digest(row: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a decision row's non-personal fields."""
    record = {name: row.get(name) for name in RECORD_FIELDS}
    return "sha256:" + hashlib.sha256(canonical_bytes(record)).hexdigest()


def content_digest(salt: bytes, row: Mapping[str, Any],
                   encoded: Mapping[str, bytes] | None = None) -> str:
    """Salted digest of a decision row's content (the part retention may erase). ``encoded``
    may hold some fields' canonical JSON already made (the gateway's inputs and output): the
    digest is the same."""
    if not encoded:
        return digest(salt, {name: row.get(name) for name in CONTENT_FIELDS})
    return digest_of_bytes(salt, canonical_object({
        name: encoded[name] if name in encoded else canonical_bytes(row.get(name))
        for name in CONTENT_FIELDS}))


def decision_binding(salt: bytes, row: Mapping[str, Any],
                     encoded: Mapping[str, bytes] | None = None) -> dict[str, str]:
    """The fields a decision or denial entry carries to bind its ``decisions`` row."""
    return {"record_digest": record_digest(row),
            "content_digest": content_digest(salt, row, encoded)}


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


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """The witness's memory: the largest checkpoint it cosigned, and that cosigned note ("" if
    the checkpoint row is gone, which verify reports as tampering)."""

    witness: str
    size: int
    root_hash: str
    note: str


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

    def __init__(self, database: Database, signer: NoteSigner, origin: str,
                 checkpoint_every: int | None = None) -> None:
        self.database = database
        self.signer = signer
        self.origin = origin
        if checkpoint_every is None:
            from accord.config import get_settings

            checkpoint_every = get_settings().ledger_checkpoint_every
        self.checkpoint_every = max(1, checkpoint_every)
        # The largest checkpoint this process knows was signed: checkpoint_if_due compares with
        # it, so the check costs nothing until a checkpoint may be due.
        self._signed_size = 0
        self._checkpoint_lock = threading.Lock()
        # The thread signing due checkpoints off the appenders' path (see checkpoint_if_due),
        # while one runs, and whether it has more to sign.
        self._signer: threading.Thread | None = None
        self._sign_wanted = False
        self._signer_lock = threading.Lock()
        self._tree = MerkleTree()
        self._tree_lock = threading.Lock()
        # Group commit: appends not yet taken into a transaction, and whether a leader exists.
        self._pending: list[_Pending] = []
        self._leading = False
        self._group = threading.Lock()
        dialect = database.engine.dialect
        self._lock_sql = Prepared(_LOCK, dialect) if self.database.dialect == "postgresql" \
            else None
        self._max_sql = Prepared(_MAX_SEQ, dialect)
        self._insert_sql = Prepared(_INSERT, dialect, _ROW_KEYS)
        self._leaves_sql = Prepared(_LEAVES, dialect)
        self._signed_size_sql = Prepared(_SIGNED_SIZE, dialect)
        self._checkpoint_at_sql = Prepared(_CHECKPOINT_AT, dialect)
        self._insert_checkpoint_sql = Prepared(_INSERT_CHECKPOINT, dialect, _CHECKPOINT_KEYS)

    @property
    def public_key(self) -> str:
        return self.signer.verifier_key()

    # -- appending ---------------------------------------------------------------------------
    def append(self, session: Session | Connection | Any, kind: str,
               fields: dict[str, Any]) -> int:
        """Append one entry inside ``session``'s transaction and return its sequence number.

        ``session`` (an ORM session, a Core connection, or a DBAPI cursor from
        :meth:`Database.write_cursor`) must come from :meth:`Database.write_session` /
        :meth:`Database.write_connection` / :meth:`Database.write_cursor` on SQLite; on
        PostgreSQL this takes the advisory lock itself. The statements run on the driver's
        cursor of that same transaction (see :class:`Prepared`).
        """
        cursor = self._cursor(session)
        seq = self._next_seq(cursor)
        self._insert_sql.execute(cursor, self._row(seq, kind, fields))
        return seq

    @staticmethod
    def _cursor(target: Session | Connection | Any) -> Any:
        """The DBAPI cursor of the transaction ``target`` is in (for an ORM session, the
        transaction its ``connection()`` began: BEGIN IMMEDIATE on a write session)."""
        if isinstance(target, Session):
            target = target.connection()
        if isinstance(target, Connection):
            return target.connection.cursor()
        return target

    def _next_seq(self, cursor: Any) -> int:
        """The next sequence number: the largest stored plus one, read under the append lock
        (the caller's BEGIN IMMEDIATE on SQLite, the advisory transaction lock taken here on
        PostgreSQL), so concurrent writers in any process queue here and the sequence has no
        gaps. Never from memory: other processes append too."""
        if self._lock_sql is not None:
            # Not read: in pipeline mode the lock and the read go out together, and the server
            # runs the read (its own snapshot, in READ COMMITTED) only once the lock is held.
            self._lock_sql.execute(cursor.connection.cursor(), {"key": ADVISORY_LOCK_KEY})
        current = self._max_sql.rows(cursor)[0][0]
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
        self.checkpoint_if_due(mine.seq)
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
            with self.database.write_cursor() as cursor:
                seq = self._next_seq(cursor)
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
                if len(rows) == 1:
                    self._insert_sql.execute(cursor, rows[0])
                elif rows:
                    self._insert_sql.executemany(cursor, rows)
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
            with self.database.read_cursor() as cursor:
                self._leaves_sql.execute(cursor, {"start": tree.size})
                expected = tree.size
                while rows := cursor.fetchmany(_CHUNK):
                    batch: list[bytes] = []
                    for seq, hash_hex in rows:
                        if seq != expected:
                            break  # a gap: someone deleted rows; verify() will explain
                        batch.append(bytes.fromhex(hash_hex))
                        expected += 1
                    tree.extend(batch)
                    if len(batch) < len(rows):
                        break
            return self._tree

    def reset_tree(self) -> None:
        with self._tree_lock:
            self._tree = MerkleTree()

    def entry(self, seq: int) -> LedgerEntry | None:
        with self.database.session() as session:
            return session.get(LedgerEntry, seq)

    def entries_page(self, start: int = 0, limit: int = 100,
                     kind: str = "") -> tuple[list[dict[str, Any]], int | None]:
        """Entries from sequence ``start`` on, in sequence order, as plain values, and the
        sequence to ask for next (``None`` at the end).

        Why plain values: the JSON API pages through the ledger by sequence without importing
        the table module, and each entry carries its ``body`` exactly as hashed, so a client can
        recompute every leaf hash (and, with the proofs, the signed root) itself.
        """
        limit = max(1, min(int(limit), 1000))
        query = (select(LedgerEntry).where(LedgerEntry.seq >= max(0, int(start)))
                 .order_by(LedgerEntry.seq).limit(limit + 1))
        if kind:
            query = query.where(LedgerEntry.kind == kind)
        with self.database.session() as session:
            rows = list(session.scalars(query))
        entries = [{"seq": r.seq, "kind": r.kind, "capability_id": r.capability_id,
                    "actor": r.actor, "created_at": r.created_at, "leaf_hash": r.leaf_hash,
                    "body": r.body} for r in rows[:limit]]
        return entries, (rows[limit].seq if len(rows) > limit else None)

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
        """Sign a checkpoint for the current tree if it grew since the last one; return the
        latest checkpoint."""
        self._sign_current()
        return self.latest_checkpoint()

    def _sign_current(self) -> None:
        """Sign a checkpoint for the committed entries unless one of that size exists."""
        with self._checkpoint_lock:
            self._sign_locked()

    def _sign_locked(self) -> None:
        tree = self.tree()
        size = tree.size
        with self.database.read_cursor() as cursor:
            signed = self._signed_size_sql.rows(cursor)[0][0] or 0
        if size == 0 or signed >= size:
            self._signed_size = max(self._signed_size, signed)
            return
        root = tree.root(size)
        note = Checkpoint(self.origin, size, root).sign([self.signer])
        try:
            # A read-then-write transaction: on SQLite it must take the write lock up front
            # (BEGIN IMMEDIATE, as write_cursor does), or an append committed by another
            # process between the read and the write fails it with "database is locked" (the
            # minute job did). In the write turn, like the appenders of this process.
            with self.database.write_cursor() as cursor:
                if not self._checkpoint_at_sql.rows(cursor, {"size": size}):
                    self._insert_checkpoint_sql.execute(cursor, {
                        "size": size, "root_hash": root.hex(), "note": note,
                        "created_at": utcnow()})
        except IntegrityError:
            pass  # another process signed this very size at the same moment: same tree
        self._signed_size = max(self._signed_size, size)

    def checkpoint_if_due(self, seq: int) -> None:
        """Sign a checkpoint once ``checkpoint_every`` entries are not covered by one.

        Called after the transaction holding entry ``seq`` committed (gateway decisions and
        denials, :meth:`append_now`): the caller's entry is committed whatever happens here.
        Entries after the last checkpoint can be rewritten, hashes and all, by whoever can
        write the database; signing every N entries bounds that tail to about N entries (the
        minute job bounds it in time).

        Where: when this process's tree lacks at most 2N leaves (the usual case), right here,
        on prebuilt statements — a fraction of a millisecond once every N calls. Otherwise
        (a process's first checkpoint reads every leaf hash of the ledger; a process that fell
        far behind others' appends; another thread signing right now) the checkpoint thread
        signs, right away but off the caller's path; a process that exits waits for it
        (:meth:`wait_for_checkpoints`). Not always on the thread, because in CPython a thread
        beside the caller holds it up on the interpreter lock for a few calls, which costs a
        tail latency more than signing here once does.
        """
        if seq + 1 - self._signed_size < self.checkpoint_every:
            return
        if seq + 1 - self._tree.size > 2 * self.checkpoint_every \
                or not self._checkpoint_lock.acquire(blocking=False):
            self._sign_soon()
            return
        try:
            self._sign_locked()
        finally:
            self._checkpoint_lock.release()

    def _sign_soon(self) -> None:
        with self._signer_lock:
            self._sign_wanted = True
            if self._signer is not None and self._signer.is_alive():
                return  # it looks for more work before it ends
            thread = threading.Thread(target=self._sign_while_wanted, daemon=True,
                                      name="accord-ledger-checkpoint")
            self._signer = thread
            _signers.add(thread)
            thread.start()

    def _sign_while_wanted(self) -> None:
        try:
            while True:
                with self._signer_lock:
                    if not self._sign_wanted:
                        self._signer = None
                        return
                    self._sign_wanted = False
                try:
                    self._sign_current()
                except Exception:  # the next due append or the minute job signs it
                    log.exception("ledger: signing a checkpoint failed; it will be retried")
        finally:
            _signers.discard(threading.current_thread())

    def wait_for_checkpoints(self, timeout: float | None = None) -> bool:
        """Wait until the checkpoints already due are signed (False if ``timeout`` passed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._signer_lock:
                thread = self._signer
            if thread is None or thread is threading.current_thread():
                return True
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False

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
                reason = (f"tree shrank from {previous.size}, which this witness cosigned, to "
                          f"{checkpoint.size}: entries were removed")
            elif (checkpoint.size == previous.size
                  and checkpoint.root_hash.hex() != previous.root_hash):
                reason = (f"a different root for size {checkpoint.size}, which this witness "
                          "already cosigned: the log forked")
            elif not verify_consistency(
                previous.size, checkpoint.size, bytes.fromhex(previous.root_hash),
                checkpoint.root_hash, stored.consistency_proof(previous.size, checkpoint.size),
            ):
                reason = (f"checkpoint {checkpoint.size} is not consistent with checkpoint "
                          f"{previous.size} that this witness cosigned: the ledger was "
                          "rewritten")
        with self.database.write_session() as session:  # reads the row it then updates
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

    def witnessed(self, witness_name: str | None = None) -> WitnessedCheckpoint | None:
        """What the witness remembers: the largest checkpoint it cosigned (from its
        ``witness_events``), with the cosigned note. This is what the transparency page and
        ``/ledger/checkpoint`` publish, and what verify holds the log to: a log that now holds
        less, or other entries, than the witness cosigned was truncated or rewritten."""
        with self.database.session() as session:
            query = select(WitnessEvent).where(WitnessEvent.outcome == "cosigned")
            if witness_name is not None:
                query = query.where(WitnessEvent.witness == witness_name)
            event = session.scalar(query.order_by(WitnessEvent.size.desc(),
                                                  WitnessEvent.id.desc()).limit(1))
            if event is None:
                return None
            row = session.get(LedgerCheckpoint, event.size)
            return WitnessedCheckpoint(event.witness, event.size, event.root_hash,
                                       row.note if row is not None else "")

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

    def _decision_rows(self, connection: Connection) -> Iterator[Any]:
        """Decision rows in ledger order, streamed (rows claiming no entry come first)."""
        columns = [Decision.ledger_seq, Decision.salt, Decision.erased_at,
                   *(getattr(Decision, name) for name in {*RECORD_FIELDS, *CONTENT_FIELDS})]
        result = connection.execution_options(stream_results=True, yield_per=5_000).execute(
            select(*columns).order_by(Decision.ledger_seq.asc().nulls_first(), Decision.id))
        for row in result:
            yield row._mapping

    def verify(self, witness: CosignatureVerifier | None = None) -> VerifyReport:
        """Recompute everything from the stored entries and hold the database to what was signed.

        Entries: leaf hashes, sequence and every signed checkpoint (edited entries → leaf hash
        or root mismatch, deleted → sequence gap, inserted or reordered → root or seq
        mismatch). Checkpoints: the log signature, and the unsigned ``root_hash`` column against
        the signed note. The witness's memory: every checkpoint it cosigned must still be in the
        table, carry a valid cosignature, and match the entries — so removing the newest
        checkpoint together with its entries fails. Decisions: every decision and denial entry
        has its row, every row its entry, and each row matches the digests its entry carries,
        unless its content was erased and a deletion certificate names it.
        """
        started = time.perf_counter()
        checkpoints = self.checkpoints()
        tree = MerkleTree()
        report = VerifyReport(ok=True, size=0, checkpoints=len(checkpoints))
        leaves: list[bytes] = []
        with self.database.engine.connect() as connection:
            bindings = _DecisionBindings(self._decision_rows(connection))
            for expected, (seq, stored_hash, body) in enumerate(self._rows()):
                data = body.encode("utf-8")
                computed = hashlib.sha256(b"\x00" + data).digest()
                if seq != expected:
                    return self._fail(report, expected, f"entry {expected} is missing (next "
                                      f"stored entry is {seq}): entries were deleted", started)
                if computed.hex() != stored_hash:
                    return self._fail(report, seq, f"entry {seq} was altered: its content does "
                                      "not match its recorded leaf hash", started)
                if f'"seq":{seq},' not in body and not body.endswith(f'"seq":{seq}}}'):
                    return self._fail(report, seq, f"entry {seq} carries a different sequence "
                                      "number: entries were reordered or inserted", started)
                if _BINDING_HINT.search(body):
                    bindings.entry(seq, body)
                leaves.append(computed)
            bindings.finish()
        tree.extend(leaves)
        report.size = tree.size
        previous: Checkpoint | None = None
        for row in checkpoints:
            try:
                checkpoint = open_checkpoint(row.note, self.signer.verifier())
            except Exception as error:
                return self._fail(report, None, f"checkpoint {row.size} has no valid log "
                                  f"signature: {error}", started)
            if checkpoint.size != row.size or checkpoint.root_hash.hex() != row.root_hash:
                return self._fail(report, None, f"checkpoint {row.size}: the unsigned size or "
                                  "root_hash columns differ from its signed note: the table "
                                  "was edited", started)
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
        problem = self._check_witness_memory(tree, checkpoints, witness)
        if problem is not None:
            return self._fail(report, problem[0], problem[1], started)
        if bindings.problem is not None:
            return self._fail(report, bindings.problem[0], bindings.problem[1], started)
        if previous is None or previous.size < tree.size:
            signed = 0 if previous is None else previous.size
            report.warnings.append(f"{tree.size - signed} newest entries are not yet covered by "
                                   "a signed checkpoint")
        if bindings.legacy:
            report.warnings.append(f"{bindings.legacy} decision entries predate row binding: "
                                   "only the fields they hold in clear were compared")
        report.seconds = time.perf_counter() - started
        return report

    def _check_witness_memory(self, tree: MerkleTree, checkpoints: list[LedgerCheckpoint],
                              witness: CosignatureVerifier | None
                              ) -> tuple[int | None, str] | None:
        """Hold the log to what the witness cosigned, and the witness records to the notes.

        A known checkpoint — one the witness cosigned — that is missing, larger than the log or
        with another root means checkpoints and entries were removed or rewritten. A cosignature
        line on a note with no matching witness record means the record was deleted or edited.
        """
        notes = {row.size: row.note for row in checkpoints}
        with self.database.session() as session:
            events = [(e.witness, e.size, e.root_hash) for e in session.scalars(
                select(WitnessEvent).where(WitnessEvent.outcome == "cosigned")
                .order_by(WitnessEvent.size.desc()))]
        for name, size, root_hex in events:
            if size > tree.size:
                return (tree.size, f"the witness {name} cosigned checkpoint {size}, but the "
                        f"ledger holds only {tree.size} entries: the newest checkpoints and "
                        "entries were removed")
            if tree.root(size).hex() != root_hex:
                return (None, f"the witness {name} cosigned checkpoint {size} with another "
                        "root than the stored entries give: the ledger was rewritten or "
                        "forked, or the witness record edited")
            if size not in notes:
                return (None, f"checkpoint {size}, which the witness {name} cosigned, is "
                        "missing from the checkpoints table: it was deleted")
            if witness is not None and name == witness.name:
                try:
                    verify_cosignature(notes[size], witness)
                except NoteError as error:
                    return (None, f"checkpoint {size}: the witness {name} cosigned it, but "
                            f"the note carries no valid cosignature: {error}")
        if witness is not None:
            remembered = {(size, root) for name, size, root in events if name == witness.name}
            for row in checkpoints:
                signed_by = {(sig.name, sig.key_id) for sig in parse_note(row.note).signatures}
                if (witness.name, witness.key_id) not in signed_by:
                    continue
                try:
                    verify_cosignature(row.note, witness)
                except NoteError as error:
                    return (None, f"checkpoint {row.size}: invalid witness cosignature: {error}")
                if (row.size, row.root_hash) not in remembered:
                    return (None, f"checkpoint {row.size} carries a cosignature by "
                            f"{witness.name}, but no witness record of it remains: the "
                            "witness's record was deleted or edited")
        return None

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



# Checkpoint threads running in this process: it waits for them before it exits, so an entry
# that made a checkpoint due is covered by one even when the process (a CLI command) ends at once.
_signers: set[threading.Thread] = set()


@atexit.register
def _wait_for_signers() -> None:
    deadline = time.monotonic() + _EXIT_WAIT_S
    for thread in list(_signers):
        thread.join(max(0.0, deadline - time.monotonic()))


os.register_at_fork(after_in_child=_signers.clear)  # a child inherits none of the threads


def known_checkpoint_notes(database: Database) -> tuple[list[str], int | None]:
    """What this database knows was signed, for ``verify --export``: the notes of the newest
    checkpoint and of the largest one the witness cosigned, and the witness's remembered size
    (kept even if that checkpoint's row was deleted)."""
    with database.session() as session:
        latest = session.scalar(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))
        event = session.scalar(
            select(WitnessEvent).where(WitnessEvent.outcome == "cosigned")
            .order_by(WitnessEvent.size.desc()).limit(1))
        notes = [latest.note] if latest is not None else []
        if event is not None:
            row = session.get(LedgerCheckpoint, event.size)
            if row is not None and row.note not in notes:
                notes.append(row.note)
        return notes, (event.size if event is not None else None)


# Bodies that may bind decision rows or certify erasures (checked before parsing any JSON:
# verify reads every entry, and most are of other kinds). RFC 8785 bodies have no spaces.
_BINDING_HINT = re.compile(
    r'"kind":"(?:decision|denial|deletion-certificate|rights-erasure)"')


def _same_text(stored: Any, logged: Any) -> bool:
    """A row's text field against the entry's (denial rows keep the first 64 characters)."""
    return isinstance(logged, str) and stored in (logged, logged[:64])


class _DecisionBindings:
    """Checks the ``decisions`` table against the decision and denial entries in one pass.

    Rows are streamed in ``ledger_seq`` order alongside the entries, so memory stays flat:
    a row whose entry number is passed without a matching entry was inserted (or renumbered),
    an entry whose row is not there lost it. A row without content is accepted only when a
    deletion certificate later in the ledger names it; those are settled in :meth:`finish`.
    The first problem is kept: verify reports entry-level tampering before it.
    """

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)
        self.problem: tuple[int | None, str] | None = None
        self.erased: set[str] = set()
        self._awaiting_certificate: list[tuple[int, str]] = []
        self.legacy = 0
        while self._next is not None and self._next["ledger_seq"] is None:
            self._fail(None, f"decision {self._next['id']} names no ledger entry: the row was "
                       "inserted or its entry number removed")
            self._advance()

    def _fail(self, seq: int | None, message: str) -> None:
        if self.problem is None:
            self.problem = (seq, message)

    def _advance(self) -> None:
        self._next = next(self._rows, None)

    def _orphan(self, row: Any) -> None:
        self._fail(row["ledger_seq"], f"decision {row['id']} claims ledger entry "
                   f"{row['ledger_seq']}, which records no such decision: the row was inserted "
                   "or its entry number edited")

    def entry(self, seq: int, body: str) -> None:
        entry = json.loads(body)
        kind = entry.get("kind")
        if kind in ERASURE_KINDS:
            named = entry.get("decisions")
            if isinstance(named, list):
                self.erased.update(str(item) for item in named)
            return
        decision_id = entry.get("decision")
        if kind not in DECISION_KINDS or not isinstance(decision_id, str):
            return  # nothing bound (e.g. entries written directly by tests or tools)
        while self._next is not None and self._next["ledger_seq"] < seq:
            self._orphan(self._next)
            self._advance()
        row = self._next
        if row is None or row["ledger_seq"] != seq:
            self._fail(seq, f"entry {seq} records {kind} {decision_id}, but its decision row "
                       "is gone: it was deleted")
            return
        self._advance()
        if row["id"] != decision_id:
            self._fail(seq, f"decision {row['id']} claims entry {seq}, which records "
                       f"{decision_id}: the row was replaced or its id edited")
            return
        self._compare(seq, kind, entry, row)

    def _compare(self, seq: int, kind: str, entry: dict[str, Any], row: Any) -> None:
        where = f"decision {row['id']} (entry {seq})"
        capability = entry.get("capability")
        roles = entry.get("roles")
        checks = [("status", row["status"] == ("completed" if kind == "decision" else "denied"))]
        for name in ("purpose", "legal_basis", "case_ref"):
            if name in entry:
                checks.append((name, _same_text(row[name], entry[name])))
        if isinstance(capability, dict):
            checks.append(("capability", row["capability_id"] == capability.get("id")
                           and row["capability_version"] == capability.get("version")))
        if "actor" in entry:
            checks.append(("actor", f"user:{row['actor_id']}" == entry["actor"]))
        if isinstance(roles, list):
            checks.append(("actor role", row["actor_role"] == ",".join(sorted(map(str, roles)))))
        changed = [name for name, same in checks if not same]
        if changed:
            self._fail(seq, f"{where} was altered: its {', '.join(changed)} no longer "
                       "match the ledger entry")
            return
        bound = entry.get("record_digest")
        salt = row["salt"]
        if bound is None:  # written before rows were bound: compare what the entry holds
            self.legacy += 1
            if salt and "output_digest" in entry:
                key = bytes.fromhex(salt)
                if (digest(key, row["inputs"]) != entry.get("input_digest")
                        or digest(key, row["output"]) != entry["output_digest"]):
                    self._fail(seq, f"{where} was altered: its inputs or output no longer "
                               "match the digests in the ledger entry")
            return
        if record_digest(row) != bound:
            self._fail(seq, f"{where} was altered: the row no longer matches the record_digest "
                       "in its ledger entry (capability, model, actor, purpose, legal basis, "
                       "case, status or policy changed)")
            return
        if salt is not None:
            try:
                key = bytes.fromhex(salt)
            except ValueError:
                key = b""
            if not key or content_digest(key, row) != entry.get("content_digest"):
                self._fail(seq, f"{where} was altered: its content (inputs, output, "
                           "explanation, confidence or subject) no longer matches the "
                           "content_digest in its ledger entry")
        elif row["erased_at"] is None:
            self._fail(seq, f"{where} lost its content and salt without being marked erased: "
                       "the content was removed outside retention")
        elif row["inputs"] is not None or row["output"] is not None:
            self._fail(seq, f"{where} is marked erased but holds inputs or output again")
        else:
            self._awaiting_certificate.append((seq, row["id"]))

    def finish(self) -> None:
        """Rows claiming entries past the last decision entry; erasures nobody certified."""
        while self._next is not None:
            self._orphan(self._next)
            self._advance()
        for seq, decision_id in self._awaiting_certificate:
            if decision_id not in self.erased:
                self._fail(seq, f"decision {decision_id} (entry {seq}) has its content erased, "
                           "but no deletion certificate in the ledger names it: the erasure "
                           "was not recorded")
