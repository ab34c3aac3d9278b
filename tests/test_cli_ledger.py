"""`accord langid`, `accord ledger …` and `accord capabilities …` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from accord.core.gateway.models import (
    Decision,
    LedgerCheckpoint,
    LedgerEntry,
    Review,
    WitnessEvent,
)
from accord.core.ledger.canonical import canonical_json
from accord.core.ledger.merkle import leaf_hash
from tests.test_cli import run


def _demo(env: dict[str, str]) -> None:
    assert run(env, "demo", "load").returncode == 0


def test_demo_load_leaves_a_verified_witnessed_ledger(accord_env) -> None:
    _demo(accord_env)
    verify = run(accord_env, "ledger", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "ledger OK: 9 entries" in verify.stdout
    # Running demo load again adds nothing.
    _demo(accord_env)
    assert "ledger OK: 9 entries" in run(accord_env, "ledger", "verify").stdout


@pytest.mark.usefixtures("demo_loaded")
def test_langid_as_a_named_user_with_json(accord_env) -> None:
    result = run(accord_env, "langid", "Ich habe meinen Pass im Zug verloren", "--user",
                 "demo-officer", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["language"] == "de" and payload["ledger_seq"] == 9
    env = {**accord_env, "ACCORD_USER": "demo-officer"}
    assert run(env, "langid", "Bonjour, je cherche la police").stdout.startswith("fr French")


@pytest.mark.usefixtures("demo_loaded")
def test_langid_refusals_and_bad_input_exit_non_zero(accord_env) -> None:
    denied = run(accord_env, "langid", "hello", "--user", "demo-analyst")
    assert denied.returncode == 3 and "refused" in denied.stderr
    assert "ledger entry" in denied.stderr
    nobody = run(accord_env, "langid", "hello", "--user", "ghost")
    assert nobody.returncode != 0 and "no active user" in nobody.stderr
    empty = run(accord_env, "langid", "  ", "--user", "demo-officer")
    assert empty.returncode != 0 and "required" in empty.stderr
    no_user = run(accord_env, "langid", "hello")
    assert no_user.returncode != 0 and "--user" in no_user.stderr


@pytest.mark.usefixtures("demo_loaded")
def test_ledger_verify_names_the_first_bad_entry(accord_env, database) -> None:
    with database.session() as session:
        body = session.get(LedgerEntry, 3).body
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 3)
                        .values(body=body.replace('"kind"', '"kind" ', 1)))
    result = run(accord_env, "ledger", "verify")
    assert result.returncode == 1
    assert "first bad entry: 3" in result.stderr


@pytest.mark.usefixtures("demo_loaded")
def test_proofs_export_and_offline_verification(accord_env, tmp_path: Path) -> None:
    inclusion = json.loads(run(accord_env, "ledger", "proof", "inclusion", "4").stdout)
    assert inclusion["seq"] == 4 and inclusion["tree_size"] == 9
    consistency = json.loads(run(accord_env, "ledger", "proof", "consistency", "3", "9").stdout)
    assert consistency["old_size"] == 3 and consistency["proof"]
    bad = run(accord_env, "ledger", "proof", "inclusion", "99")
    assert bad.returncode != 0 and "error:" in bad.stderr
    out = tmp_path / "audit"
    assert run(accord_env, "ledger", "export", str(out)).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints.txt", "entries.jsonl",
                                                    "public.key"]
    # The auditor's check needs no database: point the settings at nothing at all.
    offline = run({"ACCORD_DATABASE_URL": "sqlite:////nonexistent/none.sqlite3",
                   "ACCORD_STATE_DIR": str(tmp_path / "empty")},
                  "ledger", "verify", "--export", str(out))
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert offline.stdout.startswith("OK")
    lines = (out / "entries.jsonl").read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("victim-assistance", "victim-assistanc")
    (out / "entries.jsonl").write_text("".join(lines))
    tampered = run(accord_env, "ledger", "verify", "--export", str(out))
    assert tampered.returncode == 1


@pytest.mark.usefixtures("demo_loaded")
def test_witness_is_for_the_dpo_only(accord_env) -> None:
    refused = run(accord_env, "ledger", "witness", "--user", "demo-auditor")
    assert refused.returncode != 0 and "dpo" in refused.stderr
    ok = run(accord_env, "ledger", "witness", "--user", "demo-dpo")
    assert ok.returncode == 0 and "cosigned checkpoint 9" in ok.stdout


@pytest.mark.usefixtures("demo_loaded")
def test_capability_stop_control_from_the_cli(accord_env) -> None:
    officer = run(accord_env, "capabilities", "suspend", "interpret.langid", "--reason",
                  "audit", "--user", "demo-officer")
    assert officer.returncode != 0 and "supervisor" in officer.stderr
    suspended = run(accord_env, "capabilities", "suspend", "interpret.langid", "--reason",
                    "bias audit", "--user", "demo-supervisor")
    assert suspended.returncode == 0 and "ledger entry" in suspended.stdout
    listing = json.loads(run(accord_env, "capabilities", "list", "--json").stdout)
    assert {"id": "interpret.langid", "suspended": True, "reason": "bias audit"}.items() <= \
        next(r for r in listing if r["id"] == "interpret.langid").items()
    refused = run(accord_env, "langid", "hola amigos", "--user", "demo-officer")
    assert refused.returncode == 3 and "bias audit" in refused.stderr
    assert run(accord_env, "capabilities", "resume", "interpret.langid", "--user",
               "demo-supervisor").returncode == 0
    assert run(accord_env, "langid", "hola amigos", "--user", "demo-officer").returncode == 0


@pytest.mark.usefixtures("demo_loaded")
def test_retention_commands(accord_env) -> None:
    status = run(accord_env, "retention", "status")
    assert status.returncode == 0 and "ai-decision-content" in status.stdout
    denied = run(accord_env, "retention", "run", "--user", "demo-officer")
    assert denied.returncode != 0 and "data-protection officer" in denied.stderr
    held = run(accord_env, "retention", "hold", "demo-case-001", "--reason", "appeal",
               "--user", "demo-dpo")
    assert held.returncode == 0
    again = run(accord_env, "retention", "hold", "demo-case-001", "--reason", "appeal",
                "--user", "demo-dpo")
    assert again.returncode != 0 and "already under legal hold" in again.stderr
    assert "nothing has expired" in run(accord_env, "retention", "run", "--user",
                                        "demo-dpo").stdout
    assert run(accord_env, "retention", "release", "demo-case-001", "--user",
               "demo-dpo").returncode == 0
    missing = run(accord_env, "retention", "release", "demo-case-001", "--user", "demo-dpo")
    assert missing.returncode != 0 and "No active legal hold" in missing.stderr


@pytest.mark.usefixtures("demo_loaded")
def test_translate_from_the_cli_and_the_human_path(accord_env) -> None:
    result = run(accord_env, "translate", "El coche es rojo.", "--from", "es", "--to", "en",
                 "--user", "demo-officer", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert "car" in payload["translation"].lower() and payload["engine"] == "apertium"
    assert payload["back_translation"] and payload["ledger_seq"] == 9
    no_model = run(accord_env, "translate", "你好", "--from", "zh", "--to", "en",
                   "--user", "demo-officer")
    assert no_model.returncode == 4 and "interpreter" in no_model.stderr
    assert "ledger entry 10" in no_model.stderr  # the no-model answer is ledgered too


# -- every direct database edit fails `accord ledger verify`, naming the problem ---------------
def _verify_fails(env: dict[str, str], *expected: str) -> str:
    result = run(env, "ledger", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ledger verification FAILED" in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    return result.stderr


def _decision_id(database, seq: int) -> str:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalar(select(Decision.id).where(Decision.ledger_seq == seq))


def _set_decision(database, seq: int, **values: object) -> str:  # type: ignore[no-untyped-def]
    decision_id = _decision_id(database, seq)
    with database.session() as session:
        session.execute(update(Decision).where(Decision.id == decision_id).values(**values))
    return decision_id


@pytest.mark.parametrize(("values", "named"), [
    ({"output": {"language": "xx", "probability": 0.99}}, "content"),
    ({"purpose": "intelligence-gathering"}, "its purpose no longer match"),
    ({"legal_basis": "none"}, "its legal_basis no longer match"),
    ({"capability_id": "vision.face-match"}, "its capability no longer match"),
    ({"actor_id": 2}, "its actor no longer match"),
    ({"model_version": "other-model"}, "record_digest"),
    ({"subject_key": "0" * 64}, "content"),
], ids=["output", "purpose", "legal_basis", "capability", "actor", "model", "subject"])
@pytest.mark.usefixtures("demo_loaded")
def test_edited_decision_row_fails_verify(accord_env, database, values, named) -> None:
    decision_id = _set_decision(database, 2, **values)
    _verify_fails(accord_env, f"decision {decision_id} (entry 2) was altered", named,
                  "first bad entry: 2")


@pytest.mark.parametrize(("values", "named"), [
    ({"explanation": "allowed after all"}, "content"),
    ({"purpose": "intelligence-gathering"}, "its purpose no longer match"),
    ({"status": "completed"}, "its status no longer match"),
], ids=["explanation", "purpose", "status"])
@pytest.mark.usefixtures("demo_loaded")
def test_edited_denial_row_fails_verify(accord_env, database, values, named) -> None:
    with database.session() as session:
        assert session.scalar(select(Decision.status).where(Decision.ledger_seq == 7)) == "denied"
    decision_id = _set_decision(database, 7, **values)
    _verify_fails(accord_env, f"decision {decision_id} (entry 7) was altered", named)


@pytest.mark.usefixtures("demo_loaded")
def test_deleted_decision_row_fails_verify(accord_env, database) -> None:
    decision_id = _decision_id(database, 4)
    with database.session() as session:
        session.execute(delete(Review).where(Review.decision_id == decision_id))
        session.execute(delete(Decision).where(Decision.id == decision_id))
    _verify_fails(accord_env, f"entry 4 records decision {decision_id}, but its decision row "
                  "is gone", "first bad entry: 4")


@pytest.mark.usefixtures("demo_loaded")
def test_inserted_decision_row_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        row = session.get(Decision, _decision_id(database, 3))
        forged = {c.key: getattr(row, c.key) for c in Decision.__table__.columns}
        session.execute(insert(Decision).values({**forged, "id": "f" * 16}))
    _verify_fails(accord_env, "claims", "f" * 16)


@pytest.mark.usefixtures("demo_loaded")
def test_content_removed_without_a_deletion_certificate_fails_verify(accord_env,
                                                                    database) -> None:
    decision_id = _set_decision(database, 1, inputs=None, output=None, salt=None,
                                erased_at=datetime.now(UTC))
    _verify_fails(accord_env, f"decision {decision_id} (entry 1) has its content erased, but "
                  "no deletion certificate")


@pytest.mark.usefixtures("demo_loaded")
def test_retention_erasure_still_verifies(accord_env, database) -> None:
    from accord.core.governance import get_governance
    from accord.governance.retention import RetentionService

    governance = get_governance()
    certificates = RetentionService(database, governance.ledger).run(
        now=datetime.now(UTC) + timedelta(days=3650))
    assert sum(c.count for c in certificates if "decision" in c.category
               or "denied" in c.category) == 9
    with database.session() as session:
        assert session.scalars(select(Decision.id).where(Decision.salt.is_not(None))
                               ).all() == []
    result = run(accord_env, "ledger", "verify")
    assert result.returncode == 0, result.stderr
    assert "ledger OK" in result.stdout


def _rewrite_entry(database, seq: int, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite an entry's body as a capable attacker would: canonical, leaf hash recomputed."""
    with database.session() as session:
        entry = json.loads(session.get(LedgerEntry, seq).body)
        change(entry)
        body = canonical_json(entry)
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == seq).values(
            body=body.decode(), leaf_hash=leaf_hash(body).hex()))


@pytest.mark.usefixtures("demo_loaded")
def test_entry_rewritten_before_the_last_checkpoint_fails_verify(accord_env, database) -> None:
    _rewrite_entry(database, 3, lambda e: e.update(purpose="intelligence-gathering"))
    _verify_fails(accord_env, "do not match signed checkpoint 9", "first bad entry: 0")


@pytest.mark.usefixtures("demo_loaded")
def test_entry_rewritten_after_the_last_checkpoint_fails_on_its_decision_row(
        accord_env, database) -> None:
    """Not yet covered by a checkpoint: the entry no longer matches its decision row."""
    assert run(accord_env, "langid", "Bonjour", "--user", "demo-officer").returncode == 0
    _rewrite_entry(database, 9, lambda e: e.update(legal_basis="none"))
    _verify_fails(accord_env, "(entry 9) was altered: its legal_basis", "first bad entry: 9")


@pytest.mark.usefixtures("demo_loaded")
def test_entry_rewritten_with_its_row_is_caught_by_the_automatic_checkpoint(
        accord_env, database) -> None:
    """Entry and row rewritten together: only a signature catches that, and with
    ACCORD_LEDGER_CHECKPOINT_EVERY=1 the gateway signed one right after the call."""
    env = {**accord_env, "ACCORD_LEDGER_CHECKPOINT_EVERY": "1"}
    assert run(env, "langid", "Bonjour", "--user", "demo-officer").returncode == 0
    with database.session() as session:
        assert session.get(LedgerCheckpoint, 10) is not None  # signed on the append path
    _rewrite_entry(database, 9, lambda e: e.update(legal_basis="none"))
    _set_decision(database, 9, legal_basis="none")
    _verify_fails(env, "do not match signed checkpoint 10")


@pytest.mark.usefixtures("demo_loaded")
def test_deleted_entry_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 5))
    _verify_fails(accord_env, "entry 5 is missing", "first bad entry: 5")


@pytest.mark.usefixtures("demo_loaded")
def test_reordered_entries_fail_verify(accord_env, database) -> None:
    with database.session() as session:
        two, five = session.get(LedgerEntry, 2), session.get(LedgerEntry, 5)
        swapped = {2: (five.body, five.leaf_hash), 5: (two.body, two.leaf_hash)}
        for seq, (body, hash_hex) in swapped.items():
            session.execute(update(LedgerEntry).where(LedgerEntry.seq == seq)
                            .values(body=body, leaf_hash=hash_hex))
    _verify_fails(accord_env, "entry 2 carries a different sequence number")


def _witness_a_newer_checkpoint(env: dict[str, str]) -> None:
    assert run(env, "langid", "Bonjour", "--user", "demo-officer").returncode == 0
    witnessed = run(env, "ledger", "witness", "--user", "demo-dpo")
    assert "cosigned checkpoint 10" in witnessed.stdout, witnessed.stderr


@pytest.mark.usefixtures("demo_loaded")
def test_latest_checkpoint_deleted_with_its_entries_fails_verify(accord_env, database) -> None:
    """The attacker removes the newest checkpoint, its entries and their decision rows: the
    witness remembers size 10."""
    _witness_a_newer_checkpoint(accord_env)
    with database.session() as session:
        session.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.size == 10))
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 9))
        session.execute(delete(Decision).where(Decision.ledger_seq == 9))
    _verify_fails(accord_env, "cosigned checkpoint 10, but the ledger holds only 9 entries")


@pytest.mark.usefixtures("demo_loaded")
def test_edited_checkpoint_note_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        row = session.get(LedgerCheckpoint, 9)
        lines = row.note.split("\n")
        lines[1] = "10"  # claim a larger tree under the old signature
        session.execute(update(LedgerCheckpoint).where(LedgerCheckpoint.size == 9)
                        .values(note="\n".join(lines)))
    _verify_fails(accord_env, "checkpoint 9 has no valid log signature")


@pytest.mark.usefixtures("demo_loaded")
def test_edited_checkpoint_root_column_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        session.execute(update(LedgerCheckpoint).where(LedgerCheckpoint.size == 9)
                        .values(root_hash="0" * 64))
    _verify_fails(accord_env, "checkpoint 9: the unsigned size or root_hash columns differ")


@pytest.mark.usefixtures("demo_loaded")
def test_deleted_witness_record_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        session.execute(delete(WitnessEvent))
    _verify_fails(accord_env, "checkpoint 9 carries a cosignature", "no witness record")


@pytest.mark.usefixtures("demo_loaded")
def test_edited_witness_record_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        session.execute(update(WitnessEvent).values(root_hash="0" * 64))
    _verify_fails(accord_env, "cosigned checkpoint 9 with another root")


@pytest.mark.usefixtures("demo_loaded")
def test_edited_witness_cosignature_fails_verify(accord_env, database) -> None:
    with database.session() as session:
        row = session.get(LedgerCheckpoint, 9)
        witness = row.note.rstrip("\n").split("\n")[-1]
        name, _, signature = witness.rpartition(" ")
        flipped = "A" if signature[-10] != "A" else "B"
        forged = signature[:-10] + flipped + signature[-9:]  # a bit of the Ed25519 signature
        session.execute(update(LedgerCheckpoint).where(LedgerCheckpoint.size == 9).values(
            note=row.note.replace(witness, f"{name} {forged}")))
    _verify_fails(accord_env, "checkpoint 9", "cosignature")


@pytest.mark.usefixtures("demo_loaded")
def test_export_cut_after_the_witnessed_checkpoint_fails(accord_env, database,
                                                        tmp_path: Path) -> None:
    """The last checkpoint block removed and entries.jsonl truncated: self-consistent, but the
    witness (database reachable) or the auditor's --witnessed-size knows better."""
    assert run(accord_env, "ledger", "checkpoint").returncode == 0
    _witness_a_newer_checkpoint(accord_env)
    out = tmp_path / "audit"
    assert run(accord_env, "ledger", "export", str(out)).returncode == 0
    blocks = (out / "checkpoints.txt").read_text().split("---\n")
    assert len(blocks) == 2
    (out / "checkpoints.txt").write_text(blocks[0])
    lines = (out / "entries.jsonl").read_text().splitlines(keepends=True)
    (out / "entries.jsonl").write_text("".join(lines[:9]))
    offline = {"ACCORD_DATABASE_URL": "sqlite:////nonexistent/none.sqlite3",
               "ACCORD_STATE_DIR": str(tmp_path / "empty")}
    unaware = run(offline, "ledger", "verify", "--export", str(out))
    assert unaware.returncode == 0  # nothing in the export itself shows the cut
    told = run(offline, "ledger", "verify", "--export", str(out), "--witnessed-size", "10")
    assert told.returncode == 1 and "witnessed size 10 is larger than this export" in told.stdout
    witness_db = run(accord_env, "ledger", "verify", "--export", str(out))
    assert witness_db.returncode == 1, witness_db.stdout
    assert "known checkpoint (size 10) is larger than this export" in witness_db.stdout
    published = tmp_path / "published.txt"
    with database.session() as session:
        published.write_text(session.get(LedgerCheckpoint, 10).note)
    auditor = run(offline, "ledger", "verify", "--export", str(out), "--checkpoint",
                  str(published))
    assert auditor.returncode == 1 and "size 10" in auditor.stdout
