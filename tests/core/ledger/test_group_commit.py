"""Group commit of ``LedgerService.append_now``: concurrent appends share transactions, yet each
caller gets its own gap-free sequence number only after the commit that holds its entry, a bad
entry fails only its own caller, and a failed transaction acknowledges nobody in it."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from accord.core.gateway.models import LedgerEntry
from accord.core.governance import Governance, get_governance
from accord.core.ledger.canonical import CanonicalJSONError, canonical_json
from accord.core.ledger.merkle import leaf_hash
from accord.core.ledger.store import LedgerService


@pytest.fixture
def governance(accord_env) -> Governance:  # type: ignore[no-untyped-def]
    return get_governance()


def _stored(gov: Governance) -> dict[int, LedgerEntry]:
    with gov.ledger.database.session() as session:
        return {row.seq: row for row in session.scalars(select(LedgerEntry))}


def _hold_leader_until(
    ledger: LedgerService, waiting: int, fail: BaseException | None = None
) -> None:
    """Make the next leader wait, holding the write lock, until ``waiting`` appends are queued
    (so they all land in its batch); optionally make that transaction fail."""
    original = ledger._next_seq
    armed = [True]

    def next_seq(connection: Any) -> int:
        if armed[0]:
            armed[0] = False
            deadline = time.monotonic() + 10
            while len(ledger._pending) < waiting and time.monotonic() < deadline:
                time.sleep(0.001)
            if fail is not None:
                raise fail
        return original(connection)

    ledger._next_seq = next_seq  # type: ignore[method-assign]


def _run(calls: list[dict[str, Any]], ledger: LedgerService) -> list[Any]:
    """Run one append_now per fields dict in its own thread; return seq or exception each."""
    results: list[Any] = [None] * len(calls)

    def call(index: int) -> None:
        try:
            results[index] = ledger.append_now("decision", calls[index])
        except BaseException as error:  # reported to the test
            results[index] = error

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
        time.sleep(0.005)  # the first becomes the leader; the rest queue behind it
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_appends_get_distinct_gap_free_seqs_with_their_own_entries(governance) -> None:
    ledger = governance.ledger
    ledger.append_now("decision", {"actor": "user:0", "explanation": "before"})
    seqs: dict[int, str] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for item in range(30):
                text = f"writer {number} item {item}"
                seq = ledger.append_now(
                    "decision", {"actor": f"user:{number}", "explanation": text}
                )
                with lock:
                    seqs[seq] = text
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(seqs) == list(range(1, 241))
    stored = _stored(governance)
    assert sorted(stored) == list(range(241))
    for seq, text in seqs.items():  # each caller's seq is the entry it asked for
        body = json.loads(stored[seq].body)
        assert body["explanation"] == text and body["seq"] == seq
        # bytes and hash exactly as one-entry-per-transaction appends produce them
        assert stored[seq].body.encode() == canonical_json(body)
        assert stored[seq].leaf_hash == leaf_hash(canonical_json(body)).hex()
    ledger.checkpoint()
    assert LedgerService(ledger.database, ledger.signer, ledger.origin).verify().ok


def test_a_bad_entry_in_a_batch_fails_only_its_caller(governance) -> None:
    ledger = governance.ledger
    calls = [
        {"actor": "user:1", "explanation": "a"},
        {"actor": "user:2", "confidence": float("nan")},  # not representable in JSON
        {"actor": "user:3", "explanation": "c"},
        {"actor": "user:4", "explanation": "d"},
    ]
    _hold_leader_until(ledger, waiting=4)
    results = _run(calls, ledger)
    assert isinstance(results[1], CanonicalJSONError)
    good = [results[0], results[2], results[3]]
    assert sorted(good) == [0, 1, 2], results  # one batch, no seq taken by the bad entry
    stored = _stored(governance)
    assert sorted(stored) == [0, 1, 2]
    for index in (0, 2, 3):
        assert json.loads(stored[results[index]].body)["actor"] == calls[index]["actor"]
    assert ledger.append_now("decision", {"actor": "user:5"}) == 3


def test_a_failed_transaction_acknowledges_nobody_in_it_and_leaves_no_gap(governance) -> None:
    ledger = governance.ledger
    assert ledger.append_now("decision", {"actor": "user:0"}) == 0
    _hold_leader_until(ledger, waiting=3, fail=RuntimeError("disk full"))
    results = _run([{"actor": f"user:{n}"} for n in (1, 2, 3)], ledger)
    assert all(isinstance(r, RuntimeError) and str(r) == "disk full" for r in results), results
    assert sorted(_stored(governance)) == [0]
    assert ledger.append_now("decision", {"actor": "user:4"}) == 1
    ledger.checkpoint()
    assert LedgerService(ledger.database, ledger.signer, ledger.origin).verify().ok


def test_batches_capped_in_size_still_settle_every_caller(governance, monkeypatch) -> None:
    """With a tiny batch cap, leaders leave callers queued behind them and hand over; every
    caller still gets its own entry and the sequence stays gap-free."""
    from accord.core.ledger import store

    monkeypatch.setattr(store, "_MAX_BATCH", 2)
    ledger = governance.ledger
    _hold_leader_until(ledger, waiting=6)
    results = _run([{"actor": f"user:{n}"} for n in range(6)], ledger)
    assert sorted(results) == list(range(6)), results
    stored = _stored(governance)
    for number, seq in enumerate(results):
        assert json.loads(stored[seq].body)["actor"] == f"user:{number}"
