"""`accord langid`, `accord ledger …` and `accord capabilities …` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import update

from accord.core.gateway.models import LedgerEntry
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


def test_langid_as_a_named_user_with_json(accord_env) -> None:
    _demo(accord_env)
    result = run(accord_env, "langid", "Ich habe meinen Pass im Zug verloren", "--user",
                 "demo-officer", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["language"] == "de" and payload["ledger_seq"] == 9
    env = {**accord_env, "ACCORD_USER": "demo-officer"}
    assert run(env, "langid", "Bonjour, je cherche la police").stdout.startswith("fr French")


def test_langid_refusals_and_bad_input_exit_non_zero(accord_env) -> None:
    _demo(accord_env)
    denied = run(accord_env, "langid", "hello", "--user", "demo-analyst")
    assert denied.returncode == 3 and "refused" in denied.stderr
    assert "ledger entry" in denied.stderr
    nobody = run(accord_env, "langid", "hello", "--user", "ghost")
    assert nobody.returncode != 0 and "no active user" in nobody.stderr
    empty = run(accord_env, "langid", "  ", "--user", "demo-officer")
    assert empty.returncode != 0 and "required" in empty.stderr
    no_user = run(accord_env, "langid", "hello")
    assert no_user.returncode != 0 and "--user" in no_user.stderr


def test_ledger_verify_names_the_first_bad_entry(accord_env, database) -> None:
    _demo(accord_env)
    with database.session() as session:
        body = session.get(LedgerEntry, 3).body
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 3)
                        .values(body=body.replace('"kind"', '"kind" ', 1)))
    result = run(accord_env, "ledger", "verify")
    assert result.returncode == 1
    assert "first bad entry: 3" in result.stderr


def test_proofs_export_and_offline_verification(accord_env, tmp_path: Path) -> None:
    _demo(accord_env)
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


def test_witness_is_for_the_dpo_only(accord_env) -> None:
    _demo(accord_env)
    refused = run(accord_env, "ledger", "witness", "--user", "demo-auditor")
    assert refused.returncode != 0 and "dpo" in refused.stderr
    ok = run(accord_env, "ledger", "witness", "--user", "demo-dpo")
    assert ok.returncode == 0 and "cosigned checkpoint 9" in ok.stdout


def test_capability_stop_control_from_the_cli(accord_env) -> None:
    _demo(accord_env)
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


def test_retention_commands(accord_env) -> None:
    _demo(accord_env)
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


def test_translate_from_the_cli_and_the_human_path(accord_env) -> None:
    _demo(accord_env)
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
