"""Identification (1:N), emotion and suspicion analysis are refused by design: ledgered, counted
on the public transparency register, and no code path compares one face with many."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli import app
from accord.core.gateway.models import Decision, LedgerEntry
from accord.vision.models import VisionItem
from tests.helpers import login

runner = CliRunner()
VISION = Path(__file__).resolve().parents[2] / "src" / "accord" / "vision"


def test_identify_command_is_refused_ledgered_and_counted(users: dict, face_png: bytes,
                                                          tmp_path: Path,
                                                          database: object) -> None:
    face = tmp_path / "face.jpg"
    face.write_bytes(face_png)
    result = runner.invoke(app, ["identify", str(face), "--user", "v-admin"])
    assert result.exit_code == 3
    assert "does not identify people" in result.output  # English
    assert "不对人群或录像中的人员进行" in result.output  # Chinese
    emotion = runner.invoke(app, ["identify", str(face), "--what", "emotion",
                                  "--user", "v-officer"])
    assert emotion.exit_code == 3 and "情绪" in emotion.output
    with database.session() as session:  # type: ignore[attr-defined]
        decisions = list(session.scalars(select(Decision).order_by(Decision.created_at)))
        assert [(d.capability_id, d.status) for d in decisions] == [
            ("vision.watchlist-identification", "denied"),
            ("affect.emotion-detection", "denied")]
        assert decisions[0].inputs is None  # the face never entered the record
        kinds = [e.kind for e in session.scalars(select(LedgerEntry).where(
            LedgerEntry.seq.in_([d.ledger_seq for d in decisions])))]
        assert kinds == ["denial", "denial"]
        assert session.scalar(select(VisionItem.id)) is None
    from accord.core.governance import get_governance
    from accord.governance.transparency import build_register

    register = build_register(get_governance())
    refused = {r["id"]: r["refused_this_month"] for r in register["refused_by_design"]}
    assert refused["vision.watchlist-identification"] == 1
    assert refused["affect.emotion-detection"] == 1
    assert refused["risk.person-score"] == 0


def test_identify_api_is_refused_in_both_languages(client: TestClient, users: dict) -> None:
    csrf = login(client, "v-supervisor")
    response = client.post("/api/v1/vision/identify", data={"what": "suspicion"},
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["refused"] is True and body["ledger_seq"] >= 0
    assert body["reason"]["en"] and body["reason"]["zh"] != body["reason"]["en"]
    page = client.get("/transparency", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "refused requests this month: 1" in page.text


# -- no one-to-many path ----------------------------------------------------------------------
def _trees() -> dict[str, ast.Module]:
    return {str(p.relative_to(VISION)): ast.parse(p.read_text(encoding="utf-8"))
            for p in VISION.rglob("*.py")}


FORBIDDEN_NAMES = ("gallery", "watchlist", "template", "embedding", "enrol", "enroll",
                   "search_face", "identify_face", "match_many", "one_to_many")


def test_no_table_stores_faces_templates_or_embeddings() -> None:
    from accord.vision import models

    for table in (m.__table__ for m in (models.VisionItem, models.VisionCustodyEvent,
                                        models.VisionConsent)):
        for column in table.columns:
            assert not any(word in column.name for word in FORBIDDEN_NAMES), column
        assert not any(word in table.name for word in FORBIDDEN_NAMES), table.name


def test_no_function_compares_one_face_with_many() -> None:
    """Every function in the package: no name or argument speaks of galleries, watchlists or
    templates; only two functions touch face descriptors — ``_descriptor`` (one image) and
    ``compare_two`` (exactly two images) — and neither loops nor reads the database."""
    touching: dict[str, list[str]] = {}
    for where, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names = [node.name] + ([a.arg for a in node.args.args]
                                       if not isinstance(node, ast.ClassDef) else [])
                for name in names:
                    assert not any(w in name.lower() for w in (
                        "gallery", "watchlist", "enrol", "one_to_many", "match_many",
                        "templates", "candidates")), f"{where}: {node.name}({name})"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                source = ast.unparse(node)
                if any(marker in source for marker in ("compute_face_descriptor",
                                                       "linalg.norm", "_descriptor(")):
                    touching[f"{where}:{node.name}"] = [a.arg for a in node.args.args]
                    assert not any(isinstance(n, ast.For | ast.While | ast.comprehension)
                                   for n in ast.walk(node)), f"{node.name} must not loop"
                    assert "session" not in source and "select(" not in source
    assert touching == {"verify.py:_descriptor": ["rgb", "which"],
                        "verify.py:compare_two": ["first", "second"]}, touching


@pytest.mark.parametrize("what", ["identify", "emotion", "suspicion"])
def test_every_refusal_names_a_prohibited_use(what: str) -> None:
    from accord.core.registry import PROHIBITED_USES
    from accord.vision.service import REFUSED

    prohibited = {c.id: c for c in PROHIBITED_USES}
    capability = prohibited[REFUSED[what]]
    assert capability.prohibited and capability.refusal_en and capability.refusal_zh

