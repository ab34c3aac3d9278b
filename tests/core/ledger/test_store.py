"""The ledger in the database: tampering done directly in the database is detected; concurrent
writers get one gap-free sequence; a killed writer loses no acknowledged entry; the witness
refuses an inconsistent head; exports verify offline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from accord.core.gateway.models import LedgerCheckpoint, LedgerEntry, WitnessEvent
from accord.core.governance import Governance, get_governance
from accord.core.ledger.canonical import canonical_json
from accord.core.ledger.export import verify_export
from accord.core.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion


@pytest.fixture
def governance(accord_env) -> Governance:  # type: ignore[no-untyped-def]
    return get_governance()


def _fill(gov: Governance, count: int, checkpoint_every: int = 0) -> None:
    for number in range(count):
        gov.ledger.append_now("decision", {"actor": f"user:{number % 3}",
                                           "capability": {"id": "test.x", "version": "1"},
                                           "explanation": f"entry {number}"})
        if checkpoint_every and (number + 1) % checkpoint_every == 0:
            gov.ledger.checkpoint()


def _fresh(gov: Governance):  # type: ignore[no-untyped-def]
    """A new LedgerService on the same database (no cached tree), as `accord ledger verify`."""
    from accord.core.ledger.store import LedgerService

    return LedgerService(gov.ledger.database, gov.ledger.signer, gov.ledger.origin)


def test_untouched_ledger_verifies(governance) -> None:
    _fill(governance, 25, checkpoint_every=10)
    governance.ledger.checkpoint()
    report = _fresh(governance).verify()
    assert report.ok and report.size == 25 and report.checkpoints == 3
    assert report.warnings == []


def test_edit_of_an_entry_is_detected_and_named(governance) -> None:
    _fill(governance, 12, checkpoint_every=4)
    with governance.ledger.database.session() as session:
        body = session.get(LedgerEntry, 6).body
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 6)
                        .values(body=body.replace("entry 6", "entry 7")))
    report = _fresh(governance).verify()
    assert not report.ok and report.first_bad_seq == 6
    assert "altered" in report.reason


def test_edit_with_recomputed_leaf_hash_is_caught_by_the_signed_checkpoint(governance) -> None:
    _fill(governance, 12, checkpoint_every=4)
    with governance.ledger.database.session() as session:
        entry = json.loads(session.get(LedgerEntry, 5).body)
        entry["explanation"] = "rewritten"
        body = canonical_json(entry)
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 5).values(
            body=body.decode(), leaf_hash=leaf_hash(body).hex()))
    report = _fresh(governance).verify()
    assert not report.ok
    assert report.first_bad_seq == 4  # the first entry of the range checkpoint 8 covers
    assert "signed checkpoint 8" in report.reason


def test_deleted_entry_is_detected(governance) -> None:
    _fill(governance, 10, checkpoint_every=5)
    with governance.ledger.database.session() as session:
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 3))
    report = _fresh(governance).verify()
    assert not report.ok and report.first_bad_seq == 3 and "deleted" in report.reason


def test_deleting_the_newest_entries_is_detected(governance) -> None:
    _fill(governance, 10, checkpoint_every=5)
    with governance.ledger.database.session() as session:
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq >= 8))
    report = _fresh(governance).verify()
    assert not report.ok and "gone" in report.reason


def test_reordered_entries_are_detected(governance) -> None:
    _fill(governance, 10, checkpoint_every=5)
    with governance.ledger.database.session() as session:
        two = session.get(LedgerEntry, 2)
        seven = session.get(LedgerEntry, 7)
        rows = {2: (seven.body, seven.leaf_hash), 7: (two.body, two.leaf_hash)}
        for seq, (body, hash_hex) in rows.items():
            session.execute(update(LedgerEntry).where(LedgerEntry.seq == seq)
                            .values(body=body, leaf_hash=hash_hex))
    report = _fresh(governance).verify()
    assert not report.ok and report.first_bad_seq == 2
    assert "reordered or inserted" in report.reason


def test_inserted_entry_is_detected(governance) -> None:
    """Insert a forged entry at seq 4 and renumber the rest, hashes recomputed."""
    _fill(governance, 8, checkpoint_every=4)
    with governance.ledger.database.session() as session:
        rows = session.execute(select(LedgerEntry).where(LedgerEntry.seq >= 4)
                               .order_by(LedgerEntry.seq.desc())).scalars().all()
        for row in rows:
            entry = json.loads(row.body)
            entry["seq"] = row.seq + 1
            body = canonical_json(entry)
            session.execute(update(LedgerEntry).where(LedgerEntry.seq == row.seq).values(
                seq=row.seq + 1, body=body.decode(), leaf_hash=leaf_hash(body).hex()))
        forged = canonical_json({"seq": 4, "kind": "decision", "actor": "user:9",
                                 "explanation": "forged", "time": "2026-01-01T00:00:00Z"})
        session.execute(insert(LedgerEntry).values(
            seq=4, body=forged.decode(), leaf_hash=leaf_hash(forged).hex(), kind="decision"))
    report = _fresh(governance).verify()
    assert not report.ok and report.first_bad_seq == 4


def test_inclusion_and_consistency_proofs_verify_independently(governance) -> None:
    _fill(governance, 37)
    proof = governance.ledger.inclusion_proof(20, 37)
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), 20, 37,
                            [bytes.fromhex(p) for p in proof["proof"]],
                            bytes.fromhex(proof["root_hash"]))
    consistency = governance.ledger.consistency_proof(13, 37)
    assert verify_consistency(13, 37, bytes.fromhex(consistency["old_root"]),
                              bytes.fromhex(consistency["new_root"]),
                              [bytes.fromhex(p) for p in consistency["proof"]])
    with pytest.raises(ValueError):
        governance.ledger.inclusion_proof(37, 37)


def test_concurrent_writers_get_one_gap_free_sequence(governance) -> None:
    errors: list[BaseException] = []
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        try:
            for item in range(40):
                seq = governance.ledger.append_now("decision", {"actor": f"user:{number}",
                                                                "explanation": f"w{item}"})
                with lock:
                    seqs.append(seq)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(seqs) == list(range(160))
    governance.ledger.checkpoint()
    assert _fresh(governance).verify().ok


WRITER = """
import sys
from accord.core.governance import get_governance
ledger = get_governance().ledger
for number in range(100000):
    seq = ledger.append_now("decision", {"actor": "user:1", "explanation": f"crash {number}"})
    print(seq, flush=True)  # acknowledged: the transaction has committed
"""


def test_a_killed_writer_loses_no_acknowledged_entry(governance, accord_env) -> None:
    process = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE,
                               env={**os.environ, **accord_env}, text=True)
    acknowledged: list[int] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            acknowledged.append(int(line))
    process.send_signal(signal.SIGKILL)  # no clean-up, mid-write
    process.wait()
    assert len(acknowledged) >= 150
    with governance.ledger.database.session() as session:
        stored = set(session.scalars(select(LedgerEntry.seq)))
    assert set(acknowledged) <= stored
    report = _fresh(governance).verify()
    assert report.ok, report.reason


def test_witness_cosigns_consistent_heads_and_refuses_a_rewritten_ledger(governance,
                                                                         make_user) -> None:
    from accord.core.roles import Role

    dpo = make_user("dpo.zhou", Role.DPO)
    witness = governance.witness_signer()
    _fill(governance, 6)
    first = governance.ledger.witness(witness, dpo.id)
    assert first.cosigned and first.size == 6
    _fill(governance, 3)
    assert governance.ledger.witness(witness, dpo.id).cosigned
    # Rewrite history consistently (hash recomputed), then append: the new head is inconsistent
    # with the one the witness already cosigned.
    with governance.ledger.database.session() as session:
        entry = json.loads(session.get(LedgerEntry, 2).body)
        entry["explanation"] = "history rewritten"
        body = canonical_json(entry)
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(
            body=body.decode(), leaf_hash=leaf_hash(body).hex()))
    ledger = _fresh(governance)
    _fill(governance, 2)
    refused = ledger.witness(witness, dpo.id)
    assert not refused.cosigned and "rewritten" in refused.reason
    with governance.ledger.database.session() as session:
        outcomes = [e.outcome for e in session.scalars(select(WitnessEvent)
                                                       .order_by(WitnessEvent.id))]
    assert outcomes == ["cosigned", "cosigned", "refused"]


def test_export_verifies_offline_and_detects_tampering(governance, tmp_path: Path,
                                                       make_user) -> None:
    from accord.core.roles import Role

    dpo = make_user("dpo.zhou", Role.DPO)
    _fill(governance, 9, checkpoint_every=3)
    governance.ledger.witness(governance.witness_signer(), dpo.id)
    out = governance.ledger.export(tmp_path / "export",
                                   (governance.witness_signer().verifier_key(),))
    report = verify_export(out)
    assert report.ok, report.reason
    lines = (out / "entries.jsonl").read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace("entry 4", "entry 5")
    (out / "entries.jsonl").write_text("".join(lines))
    tampered = verify_export(out)
    assert not tampered.ok


def test_checkpoints_are_signed_every_n_entries_on_the_append_path(governance,
                                                                   monkeypatch) -> None:
    import threading

    from accord.core.ledger.note import NoteSigner
    from accord.core.ledger.store import LedgerService

    signing_threads: list[threading.Thread] = []
    sign = NoteSigner.sign

    def recorded_sign(self: NoteSigner, message: bytes) -> bytes:
        signing_threads.append(threading.current_thread())
        return sign(self, message)

    monkeypatch.setattr(NoteSigner, "sign", recorded_sign)
    ledger = LedgerService(governance.ledger.database, governance.ledger.signer,
                           governance.ledger.origin, checkpoint_every=4)

    def append(count: int) -> list[int]:
        for number in range(count):
            ledger.append_now("decision", {"actor": "user:1", "explanation": f"e{number}"})
        return [row.size for row in ledger.checkpoints()]

    assert append(3) == []
    assert append(1) == [4]
    assert append(3) == [4]
    assert append(1) == [4, 8]
    assert append(2) == [4, 8]
    # A few leaves to add to the tree: signed by the appending caller, before it returned.
    assert signing_threads == [threading.current_thread()] * 2
    assert ledger.verify().ok


def test_a_checkpoint_that_needs_the_whole_tree_is_signed_off_the_caller_path(
        governance, monkeypatch) -> None:
    """A process's first checkpoint reads every leaf hash of the ledger (seconds at millions
    of entries): the caller gets its sequence number without waiting for it; the checkpoint
    thread signs, over the committed entries, and it verifies."""
    import threading

    from accord.core.ledger.note import NoteSigner
    from accord.core.ledger.store import LedgerService

    for number in range(20):  # written by another process, say: this one's tree is empty
        governance.ledger.append_now("decision", {"actor": "user:1", "explanation": f"{number}"})
    release = threading.Event()
    signing_threads: list[threading.Thread] = []
    sign = NoteSigner.sign

    def slow_sign(self: NoteSigner, message: bytes) -> bytes:
        signing_threads.append(threading.current_thread())
        assert release.wait(30)
        return sign(self, message)

    monkeypatch.setattr(NoteSigner, "sign", slow_sign)
    ledger = LedgerService(governance.ledger.database, governance.ledger.signer,
                           governance.ledger.origin, checkpoint_every=2)
    seqs = [ledger.append_now("decision", {"actor": "user:1", "explanation": f"e{n}"})
            for n in range(3)]  # returns while the signature is held up
    assert seqs == [20, 21, 22]
    assert not ledger.wait_for_checkpoints(timeout=0.05)
    assert ledger.checkpoints() == []
    release.set()
    assert ledger.wait_for_checkpoints(timeout=30)
    assert signing_threads and threading.current_thread() not in signing_threads
    sizes = [row.size for row in ledger.checkpoints()]
    assert sizes[0] >= 21 and sizes[-1] == 23  # what was committed when each was signed
    assert ledger.verify().ok


def test_witness_remembers_its_size_and_refuses_a_smaller_tree_or_a_fork(governance,
                                                                         make_user) -> None:
    from accord.core.roles import Role

    dpo = make_user("dpo.zhou", Role.DPO)
    witness = governance.witness_signer()
    _fill(governance, 6)
    assert governance.ledger.witness(witness, dpo.id).cosigned
    remembered = governance.ledger.witnessed(witness.name)
    assert remembered is not None and remembered.size == 6 and remembered.note
    # Truncate the log behind the witness's back: the log signs a smaller head, the witness
    # refuses it, and verify fails on the witness's memory.
    with governance.ledger.database.session() as session:
        session.execute(delete(LedgerCheckpoint))
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq >= 4))
    ledger = _fresh(governance)
    refused = ledger.witness(witness, dpo.id)
    assert not refused.cosigned and "shrank from 6" in refused.reason
    report = ledger.verify(witness.verifier())
    assert not report.ok and "cosigned checkpoint 6" in report.reason
    # Same size, other entries: a fork.
    _fill(governance, 2)
    forked = _fresh(governance).witness(witness, dpo.id)
    assert not forked.cosigned and "forked" in forked.reason


def test_public_checkpoint_json_is_read_from_the_signed_note(governance, client,
                                                             make_user) -> None:
    from accord.core.roles import Role

    dpo = make_user("dpo.zhou", Role.DPO)
    _fill(governance, 5)
    governance.ledger.witness(governance.witness_signer(), dpo.id)
    with governance.ledger.database.session() as session:  # the unsigned column lies
        session.execute(update(LedgerCheckpoint).values(root_hash="0" * 64))
    response = client.get("/ledger/checkpoint", headers={"Accept": "application/json"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["size"] == 5 and payload["origin"] == governance.ledger.origin
    assert payload["root_hash"] == governance.ledger.tree().root(5).hex()
    assert [s["role"] for s in payload["signatures"]] == ["log", "witness"]
    assert payload["witnessed"]["size"] == 5
    assert client.get("/ledger/checkpoint").text.startswith(governance.ledger.origin)


EXITING_WRITER = """
import time
from accord.core.governance import get_governance
from accord.core.ledger.note import NoteSigner

sign = NoteSigner.sign
def slow_sign(self, message):
    time.sleep(0.5)  # still signing when the script ends
    return sign(self, message)
NoteSigner.sign = slow_sign
ledger = get_governance().ledger
print(ledger.append_now("decision", {"actor": "user:1", "explanation": "last"}), flush=True)
"""


def test_a_process_that_exits_right_after_its_append_still_signs_the_due_checkpoint(
        governance, accord_env) -> None:
    """A CLI command ends as soon as its append is acknowledged: it waits for the checkpoint
    its append made due before it exits."""
    import os
    import subprocess
    import sys

    for number in range(10):  # this process signs nothing (every 256)
        governance.ledger.append_now("decision", {"actor": "user:1", "explanation": f"{number}"})
    # The writer's first checkpoint: its whole tree to read, so its checkpoint thread signs.
    env = {**os.environ, **accord_env, "ACCORD_LEDGER_CHECKPOINT_EVERY": "1"}
    done = subprocess.run([sys.executable, "-c", EXITING_WRITER], env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["10"]
    assert [row.size for row in governance.ledger.checkpoints()] == [11]
