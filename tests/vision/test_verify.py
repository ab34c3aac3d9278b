"""Consented 1:1 face verification: refused without consent (ledgered), a distance with its
threshold and error-rate status when every condition holds, templates and photos deleted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli import app
from accord.core.gateway.models import Decision, UserCertificate
from accord.core.gateway.service import Caller, GatewayDenied

pytest.importorskip("dlib", reason="dlib-bin is a declared dependency: pip install it")
runner = CliRunner()


def _caller(user: object) -> Caller:
    return Caller(user.id, user.username, frozenset(str(r) for r in user.roles))  # type: ignore[attr-defined]


@pytest.fixture
def document_png(face_png_full: bytes) -> bytes:
    """A second photo of the same person: cropped and darker (a different capture of the
    same picture; no second photo of one identity ships in any package)."""
    image = np.asarray(Image.open(io.BytesIO(face_png_full)).convert("RGB"))[20:480, 40:500]
    buffer = io.BytesIO()
    Image.fromarray((image * 0.8).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def cleared(users: dict, database: object, make_user: object) -> dict:
    """The officer holds the biometrics certificate and the DPO approved the assessments."""
    from accord.core.governance import get_governance
    from accord.core.roles import Role
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    with database.session() as session:  # type: ignore[attr-defined]
        session.add(UserCertificate(user_id=users["officer"].id, name="biometrics"))
    dpo = make_user("v-dpo", Role.DPO)  # type: ignore[operator]
    for kind in ASSESSMENT_KINDS:
        DpoService.from_governance(get_governance()).record_assessment(
            _caller(dpo), capability_id="vision.face-verify", kind=kind, outcome="approved",
            summary=f"test {kind}")
    return users


def _service() -> object:
    from accord.core.governance import get_governance
    from accord.vision.service import VisionService

    return VisionService(get_governance())


def _blobs() -> list[Path]:
    from accord.vision.capability import blob_store

    return [p for p in blob_store().root.rglob("*") if p.is_file()]


def test_refused_without_consent_and_ledgered(cleared: dict, face_png_full: bytes,
                                              document_png: bytes, tmp_path: Path,
                                              database: object) -> None:
    live, doc = tmp_path / "live.png", tmp_path / "doc.png"
    live.write_bytes(face_png_full)
    doc.write_bytes(document_png)
    result = runner.invoke(app, ["verify-face", str(live), str(doc), "--consent", "FC-NONE",
                                 "--user", "v-officer", "--json"])
    assert result.exit_code == 3, result.output
    assert "consent" in result.output and "同意" in result.output
    with database.session() as session:  # type: ignore[attr-defined]
        decision = session.scalar(select(Decision))
        assert decision.capability_id == "vision.face-verify" and decision.status == "denied"
        assert "face-verify-requires-consent" in decision.policy_reasons
    assert _blobs() == []  # the photos did not stay


def test_consented_check_gives_distance_threshold_and_error_status(
        cleared: dict, face_png_full: bytes, document_png: bytes, tmp_path: Path,
        database: object) -> None:
    service = _service()
    officer, supervisor = _caller(cleared["officer"]), _caller(cleared["supervisor"])
    consent = service.record_consent(  # type: ignore[attr-defined]
        officer, person_label="Traveller A", language="zh",
        explanation="比对现场照片与护照照片；照片核验后删除；可以拒绝。Compared once, "
                    "deleted after.")
    with pytest.raises(GatewayDenied) as unapproved:
        service.verify_face(officer, face_png_full, document_png,  # type: ignore[attr-defined]
                            consent=consent["reference"])
    assert "face-verify-requires-supervisor-approval" in [
        r.policy_id for r in unapproved.value.reasons]
    with pytest.raises(Exception, match="second person"):
        service.approve_consent(  # type: ignore[attr-defined]
            Caller(officer.user_id, officer.username, frozenset({"supervisor"})),
            consent["reference"])
    service.approve_consent(supervisor, consent["reference"])  # type: ignore[attr-defined]
    live, doc = tmp_path / "live.png", tmp_path / "doc.png"
    live.write_bytes(face_png_full)
    doc.write_bytes(document_png)
    result = runner.invoke(app, ["verify-face", str(live), str(doc), "--consent",
                                 consent["reference"], "--user", "v-officer", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["threshold"] == 0.6 and 0 <= data["distance"] < 0.6
    assert data["error_rates"]["measured"] is False and "NOT measured" in data["explanation"]
    assert "match" not in data  # never a bare verdict
    assert _blobs() == []  # both photos deleted right after
    with database.session() as session:  # type: ignore[attr-defined]
        decision = session.get(Decision, data["decision_id"])
        assert decision.review_status == "pending"  # adverse use needs a second person
        assert not any(isinstance(v, list) and len(v) >= 128 for v in decision.output.values())
    # One check per consent.
    again = runner.invoke(app, ["verify-face", str(live), str(doc), "--consent",
                                consent["reference"], "--user", "v-officer"])
    assert again.exit_code == 3


def test_descriptors_are_zeroed_after_the_comparison(face_png_full: bytes, document_png: bytes,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.vision import verify

    made: list[np.ndarray] = []
    real = verify._descriptor

    def keep(rgb: np.ndarray, which: str) -> np.ndarray:
        made.append(real(rgb, which))
        return made[-1]

    monkeypatch.setattr(verify, "_descriptor", keep)
    first = np.asarray(Image.open(io.BytesIO(face_png_full)).convert("RGB"))
    second = np.asarray(Image.open(io.BytesIO(document_png)).convert("RGB"))
    distance = verify.compare_two(first, second)
    assert 0 < distance < verify.THRESHOLD
    assert len(made) == 2 and all(not d.any() for d in made)
