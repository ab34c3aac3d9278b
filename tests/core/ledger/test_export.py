"""Tests for the offline export verifier: a good export passes, each kind of tampering is
caught and the report names the first bad entry or checkpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from accord.core.ledger.canonical import canonical_json
from accord.core.ledger.export import (
    CHECKPOINTS_FILE,
    ENTRIES_FILE,
    PUBLIC_KEY_FILE,
    main,
    verify_export,
    write_export,
)
from accord.core.ledger.merkle import MerkleTree
from accord.core.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    NoteSigner,
    add_signatures,
)

ORIGIN = "accord.example/ledger"
N_ENTRIES = 12
DENSE = list(range(1, N_ENTRIES + 1))  # a checkpoint after every entry
SPARSE = [4, 8, 12]
SRC = Path(__file__).resolve().parents[3] / "src"


def make_entries(n: int = N_ENTRIES) -> list[dict]:
    return [
        {"seq": i, "kind": "decision", "model": "triage-v1", "score": i / 4, "note": f"entry é{i}"}
        for i in range(n)
    ]


def signed_checkpoints(
    entries: list[dict],
    sizes: Sequence[int],
    log: NoteSigner,
    witness: CosignatureSigner | None = None,
) -> list[str]:
    tree = MerkleTree.from_entries(canonical_json(e) for e in entries)
    notes = []
    for size in sizes:
        note = Checkpoint(ORIGIN, size, tree.root(size)).sign([log])
        if witness is not None:
            note = add_signatures(note, [witness])
        notes.append(note)
    return notes


@pytest.fixture(scope="module")
def log() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture(scope="module")
def witness() -> CosignatureSigner:
    return CosignatureSigner.generate("witness.example/w1", clock=lambda: 1_700_000_000)


def make_export(
    path: Path,
    log: NoteSigner,
    sizes: Sequence[int] = SPARSE,
    witness: CosignatureSigner | None = None,
    n: int = N_ENTRIES,
) -> Path:
    entries = make_entries(n)
    notes = signed_checkpoints(entries, sizes, log, witness)
    witness_keys = [witness.verifier_key()] if witness else []
    return write_export(path, entries, notes, log.verifier_key(), witness_keys)


def read_lines(export: Path) -> list[bytes]:
    return (export / ENTRIES_FILE).read_bytes().splitlines(keepends=True)


def write_lines(export: Path, lines: list[bytes]) -> None:
    (export / ENTRIES_FILE).write_bytes(b"".join(lines))


def replace_entry(export: Path, position: int, entry: dict) -> None:
    lines = read_lines(export)
    lines[position] = canonical_json(entry) + b"\n"
    write_lines(export, lines)


# ---------------------------------------------------------------------------------------------
# Good exports
# ---------------------------------------------------------------------------------------------


def test_good_export_verifies(tmp_path: Path, log: NoteSigner, witness: CosignatureSigner) -> None:
    export = make_export(tmp_path, log, SPARSE, witness)
    report = verify_export(export)
    assert report.ok, report.reason
    assert report.entries == N_ENTRIES
    assert report.checkpoints == 3
    assert report.tree_size == N_ENTRIES
    assert (
        report.root_hash
        == MerkleTree.from_entries(canonical_json(e) for e in make_entries()).root()
    )
    assert report.witnesses == {"witness.example/w1": 3}
    assert report.first_bad_seq is None and report.problems == [] and report.warnings == []
    assert report.summary().startswith("OK: 12 entries, 3 checkpoints, tree size 12")


def test_export_files_have_the_documented_format(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, [6, 12])
    lines = (export / ENTRIES_FILE).read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert lines[0] == canonical_json(make_entries()[0])
    notes = (export / CHECKPOINTS_FILE).read_text(encoding="utf-8")
    assert notes.count("\n---\n") == 1
    assert notes.startswith(f"{ORIGIN}\n6\n")
    assert (export / PUBLIC_KEY_FILE).read_text() == log.verifier_key() + "\n"


def test_empty_log_with_size_zero_checkpoint_verifies(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, [0], n=0)
    report = verify_export(export)
    assert report.ok, report.reason
    assert report.entries == 0 and report.tree_size == 0


def test_entries_after_last_checkpoint_are_a_warning(tmp_path: Path, log: NoteSigner) -> None:
    entries = make_entries()
    notes = signed_checkpoints(entries, [10], log)
    export = write_export(tmp_path, entries, notes, log.verifier_key())
    report = verify_export(export)
    assert report.ok
    assert report.warnings == ["2 entries after seq 9 are not covered by any checkpoint"]


def test_cli_ok_and_standalone_imports(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "accord.core.ledger.export", str(export)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 12 entries")
    assert result.stderr == ""  # e.g. no runpy double-import warning

    # The auditor's verifier must not drag in the database or web stack.
    probe = (
        "import sys\n"
        "from accord.core.ledger.export import verify_export\n"
        f"assert verify_export({str(export)!r}).ok\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'fastapi', 'starlette', 'pydantic', 'jinja2', 'httpx'} "
        "or (m.startswith('accord.') and m != 'accord.core' "
        "and not m.startswith('accord.core.ledger')))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Tampered entries
# ---------------------------------------------------------------------------------------------


def test_edited_entry_with_dense_checkpoints_names_exact_seq(
    tmp_path: Path, log: NoteSigner
) -> None:
    export = make_export(tmp_path, log, DENSE)
    entry = make_entries()[5]
    entry["model"] = "triage-v2"  # still canonical, seq untouched: only the root can tell
    replace_entry(export, 5, entry)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.bad_checkpoint == 6  # the checkpoint of size 6 is the first to disagree
    assert report.reason.startswith("seq 5: root mismatch at checkpoint #6 (size 6)")


def test_edited_entry_with_sparse_checkpoints_names_bracket(
    tmp_path: Path, log: NoteSigner
) -> None:
    export = make_export(tmp_path, log, SPARSE)
    entry = make_entries()[5]
    entry["score"] = 99
    replace_entry(export, 5, entry)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq is None
    assert report.bad_range == (4, 7)
    assert report.bad_checkpoint == 2
    assert "root mismatch at checkpoint #2 (size 8)" in report.reason
    assert "seq between 4 and 7" in report.reason


def test_non_canonical_entry_is_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    lines = read_lines(export)
    lines[3] = lines[3].replace(b'"seq":3', b'"seq": 3')  # same JSON value, different bytes
    write_lines(export, lines)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "not canonical" in report.reason
    assert report.reason.startswith("seq 3 (line 4)")


@pytest.mark.parametrize("bad_seq", [-1, "3", True, None])
def test_entry_without_valid_seq_is_named(tmp_path: Path, log: NoteSigner, bad_seq: object) -> None:
    export = make_export(tmp_path, log, SPARSE)
    entry = make_entries()[3]
    entry["seq"] = bad_seq
    replace_entry(export, 3, entry)
    report = verify_export(export)
    assert report.first_bad_seq == 3
    assert "no non-negative integer 'seq'" in report.reason


def test_deleted_entry_is_a_seq_gap(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    lines = read_lines(export)
    del lines[7]
    write_lines(export, lines)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 7
    assert "seq gap: seq 7 is missing" in report.reason


def test_deleted_entry_with_renumbering_is_caught_by_roots(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, DENSE)
    entries = make_entries()
    del entries[7]
    for i, entry in enumerate(entries):
        entry["seq"] = i
    write_lines(export, [canonical_json(e) + b"\n" for e in entries])
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 7
    assert "root mismatch at checkpoint #8" in report.reason


def test_reordered_entries_are_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    lines = read_lines(export)
    lines[2], lines[9] = lines[9], lines[2]
    write_lines(export, lines)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 2
    assert "entries reordered: found seq 9 here, seq 2 is at line 10" in report.reason


def test_inserted_entry_with_duplicate_seq_is_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    lines = read_lines(export)
    forged = {"seq": 4, "kind": "decision", "model": "forged", "score": 0, "note": "x"}
    lines.insert(5, canonical_json(forged) + b"\n")
    write_lines(export, lines)
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 5
    assert "found seq 4 again" in report.reason


def test_inserted_entry_with_renumbering_is_caught_by_roots(
    tmp_path: Path, log: NoteSigner
) -> None:
    export = make_export(tmp_path, log, DENSE)
    entries = make_entries()
    entries.insert(3, {"seq": 3, "kind": "decision", "model": "forged", "score": 0, "note": "x"})
    for i, entry in enumerate(entries):
        entry["seq"] = i
    write_lines(export, [canonical_json(e) + b"\n" for e in entries])
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert report.bad_checkpoint == 4


def test_truncated_export_is_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    write_lines(export, read_lines(export)[:10])
    report = verify_export(export)
    assert not report.ok
    assert report.first_bad_seq == 10
    assert "truncated" in report.reason


def test_earliest_of_several_problems_is_reported(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, DENSE)
    entry = make_entries()[2]
    entry["note"] = "rewritten"
    replace_entry(export, 2, entry)  # canonical edit at seq 2: only the roots reveal it
    lines = read_lines(export)
    lines[8] = b" " + lines[8]  # non-canonical at seq 8
    write_lines(export, lines)
    report = verify_export(export)
    assert report.first_bad_seq == 2
    assert len(report.problems) == 2


def test_root_bracket_before_a_later_bad_line_wins(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    entry = make_entries()[1]
    entry["note"] = "rewritten"
    replace_entry(export, 1, entry)  # only checkpoint #1 (size 4) can reveal this
    lines = read_lines(export)
    lines[9] = lines[9].rstrip(b"\n") + b" \n"  # non-canonical at seq 9
    write_lines(export, lines)
    report = verify_export(export)
    assert report.bad_range == (0, 3)
    assert report.bad_checkpoint == 1
    assert any(p.startswith("seq 9 (line 10)") for p in report.problems)


# ---------------------------------------------------------------------------------------------
# Tampered checkpoints and witnesses
# ---------------------------------------------------------------------------------------------


def _tamper_signature(note: str) -> str:
    body, _, sig_line = note.rstrip("\n").rpartition("\n")
    name_part, b64 = sig_line.rsplit(" ", 1)
    flipped = ("B" if b64[10] == "A" else "A").join([b64[:10], b64[11:]])
    return f"{body}\n{name_part} {flipped}\n"


def test_tampered_checkpoint_signature_is_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    notes = (export / CHECKPOINTS_FILE).read_text().split("---\n")
    notes[1] = _tamper_signature(notes[1])
    (export / CHECKPOINTS_FILE).write_text("---\n".join(notes))
    report = verify_export(export)
    assert not report.ok
    assert report.bad_checkpoint == 2
    assert report.reason.startswith("checkpoint #2: invalid signature for key")


def test_checkpoint_with_edited_root_is_named(tmp_path: Path, log: NoteSigner) -> None:
    export = make_export(tmp_path, log, SPARSE)
    text = (export / CHECKPOINTS_FILE).read_text()
    notes = text.split("---\n")
    origin, size, root, rest = notes[2].split("\n", 3)
    other_root = "A" + root[1:] if root[0] != "A" else "B" + root[1:]
    notes[2] = "\n".join([origin, size, other_root, rest])
    (export / CHECKPOINTS_FILE).write_text("---\n".join(notes))
    report = verify_export(export)
    assert report.bad_checkpoint == 3
    assert "invalid signature" in report.reason


def test_checkpoint_signed_by_another_key_is_rejected(tmp_path: Path, log: NoteSigner) -> None:
    impostor = NoteSigner.generate(ORIGIN)
    entries = make_entries()
    notes = signed_checkpoints(entries, [4], log) + signed_checkpoints(entries, [8], impostor)
    export = write_export(tmp_path, entries, notes, log.verifier_key())
    report = verify_export(export)
    assert report.bad_checkpoint == 2
    assert "no verifiable signatures" in report.reason


def test_forked_checkpoint_is_reported_as_log_misbehaviour(tmp_path: Path, log: NoteSigner) -> None:
    entries = make_entries()
    notes = signed_checkpoints(entries, [4, 8, 12], log)
    notes[1] = Checkpoint(ORIGIN, 8, b"\x42" * 32).sign([log])  # validly signed, wrong tree
    export = write_export(tmp_path, entries, notes, log.verifier_key())
    report = verify_export(export)
    assert not report.ok
    assert report.bad_checkpoint == 2
    assert "forked tree head" in report.reason


def test_checkpoints_out_of_order_are_rejected(tmp_path: Path, log: NoteSigner) -> None:
    entries = make_entries()
    notes = signed_checkpoints(entries, [8, 4], log)
    export = write_export(tmp_path, entries, notes, log.verifier_key())
    report = verify_export(export)
    assert report.bad_checkpoint == 2
    assert "does not increase" in report.reason


def test_stolen_witness_cosignature_is_named(
    tmp_path: Path, log: NoteSigner, witness: CosignatureSigner
) -> None:
    export = make_export(tmp_path, log, SPARSE, witness)
    notes = (export / CHECKPOINTS_FILE).read_text().split("---\n")
    cosig_of_first = notes[0].rstrip("\n").split("\n")[-1]
    lines = notes[2].rstrip("\n").split("\n")
    lines[-1] = cosig_of_first  # replay checkpoint #1's cosignature on checkpoint #3
    notes[2] = "\n".join(lines) + "\n"
    (export / CHECKPOINTS_FILE).write_text("---\n".join(notes))
    report = verify_export(export)
    assert not report.ok
    assert report.bad_checkpoint == 3
    assert "invalid cosignature for key witness.example/w1" in report.reason


def test_missing_files_and_no_checkpoints(tmp_path: Path, log: NoteSigner) -> None:
    assert "public.key is missing" in verify_export(tmp_path).reason
    export = write_export(tmp_path / "x", make_entries(), [], log.verifier_key())
    report = verify_export(export)
    assert not report.ok
    assert "no checkpoints" in report.reason


def test_cli_failure_prints_one_line_naming_first_bad_entry(
    tmp_path: Path, log: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    export = make_export(tmp_path, log, SPARSE)
    lines = read_lines(export)
    del lines[5]
    write_lines(export, lines)
    assert main([str(export)]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("FAIL: seq 5 (line 6): seq gap")


def test_write_export_refuses_bad_input(tmp_path: Path, log: NoteSigner) -> None:
    entries = make_entries()
    with pytest.raises(ValueError, match="seq 1"):
        write_export(tmp_path, [entries[0], entries[2]], [], log.verifier_key())
    with pytest.raises(ValueError, match="NaN"):
        write_export(tmp_path, [{"seq": 0, "x": float("nan")}], [], log.verifier_key())
    with pytest.raises(ValueError):
        write_export(tmp_path, entries, ["not a note"], log.verifier_key())
