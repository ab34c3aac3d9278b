"""Image redaction end to end: the must-show command, review (add/remove/resize, approve),
ledgered export, irreversibility of the cover, and bad input that leaves nothing behind."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.cli import app
from accord.core.gateway.models import Decision, LedgerEntry, Review
from accord.vision import detect
from accord.vision.models import VisionCustodyEvent, VisionItem

runner = CliRunner()


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _redact(tmp_path: Path, data: bytes, user: str = "v-officer",
            name: str = "in.png") -> tuple[object, Path]:
    source, out = tmp_path / name, tmp_path / "redacted.png"
    source.write_bytes(data)
    return runner.invoke(app, ["redact", str(source), "--out", str(out), "--user", user,
                               "--json"]), out


def _count(database: object, model: type) -> int:
    with database.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)))


def test_redact_prints_boxes_and_writes_a_solid_cover(users: dict, face_png: bytes,
                                                      tmp_path: Path, database: object) -> None:
    result, out = _redact(tmp_path, face_png)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    faces = [b for b in data["boxes"] if b["kind"] == "face"]
    assert len(faces) == 1
    box = faces[0]
    assert set(box) >= {"x", "y", "w", "h", "kind", "score"} and box["score"] > 0
    # The astronaut's face is around (80..145, 25..90) in the 256x256 picture.
    assert box["x"] < 90 and box["x"] + box["w"] > 140 and box["y"] < 35
    assert data["status"] == "pending-review" and data["exportable"] is False
    written = _pixels(out)
    region = written[box["y"]:box["y"] + box["h"], box["x"]:box["x"] + box["w"]]
    original = np.asarray(Image.open(io.BytesIO(face_png)).convert("RGB"))
    assert original[box["y"]:box["y"] + box["h"], box["x"]:box["x"] + box["w"]].std() > 20
    assert region.std() == 0  # no variance left: nothing to de-blur
    # Outside the boxes the picture is untouched.
    mask = np.ones(written.shape[:2], bool)
    for b in data["boxes"]:
        mask[b["y"]:b["y"] + b["h"], b["x"]:b["x"] + b["w"]] = False
    assert np.array_equal(written[mask], original[mask])
    # The original stays, with its custody chain; the draft records its parent's digest.
    with database.session() as session:  # type: ignore[attr-defined]
        item = session.get(VisionItem, data["id"])
        parent = session.get(VisionItem, item.parent_id)
        assert parent.status == "original" and parent.sha256 == item.parent_sha256
        assert item.detector_version.startswith("opencv 4.")
        actions = [e.action for e in session.scalars(select(VisionCustodyEvent).where(
            VisionCustodyEvent.item_id.in_([item.id, parent.id])))]
        assert {"collected", "redacted", "draft-copied"} <= set(actions)
        assert session.get(Decision, item.decision_id).capability_id == "vision.redact"


def test_cover_modes_leave_no_recoverable_detail() -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    box = detect.Box(40, 30, 120, 90, "face", 1.0)
    solid = detect.redact(image, [box], "solid")
    assert solid[30:120, 40:160].std() == 0
    pixelated = detect.redact(image, [box], "pixelate")
    tiles = {tuple(p) for p in pixelated[30:120, 40:160].reshape(-1, 3)}
    assert len(tiles) <= detect.PIXEL_BLOCKS ** 2
    assert np.array_equal(solid[:30], image[:30])


def test_review_edit_approve_and_ledgered_export(users: dict, face_png: bytes, tmp_path: Path,
                                                 database: object) -> None:
    result, _ = _redact(tmp_path, face_png)
    item_id = json.loads(result.stdout)["id"]
    export = tmp_path / "export.png"
    # Not approved yet: no export, for anyone.
    refused = runner.invoke(app, ["redact-export", str(item_id), "--out", str(export),
                                  "--user", "v-officer"])
    assert refused.exit_code == 1 and "only an approved" in refused.output
    assert not export.exists()
    # The requester cannot review their own request.
    own = runner.invoke(app, ["redact-review", str(item_id), "--user", "v-officer",
                              "--approve"])
    assert own.exit_code == 1
    # The supervisor adds a missed region, resizes the face box and approves.
    review = runner.invoke(app, [
        "redact-review", str(item_id), "--user", "v-supervisor", "--add", "200,200,30,20,plate",
        "--resize", "0=75,20,80,80,face", "--approve", "--reason", "plate missed", "--json"])
    assert review.exit_code == 0, review.output
    reviewed = json.loads(review.stdout)
    assert reviewed["status"] == "approved"
    assert {"x": 200, "y": 200, "w": 30, "h": 20}.items() <= reviewed["boxes"][-1].items()
    done = runner.invoke(app, ["redact-export", str(item_id), "--out", str(export),
                               "--user", "v-officer", "--recipient", "court registry"])
    assert done.exit_code == 0, done.output
    pixels = _pixels(export)
    assert pixels[200:220, 200:230].std() == 0 and pixels[20:100, 75:155].std() == 0
    with database.session() as session:  # type: ignore[attr-defined]
        item = session.get(VisionItem, item_id)
        review_row = session.scalar(select(Review).where(
            Review.decision_id == item.decision_id))
        assert review_row.status == "edited" and review_row.edited_output["boxes"]
        assert item.reviewed_by is not None
        entries = list(session.scalars(select(LedgerEntry).where(
            LedgerEntry.kind == "vision-export")))
        assert len(entries) == 1
        body = json.loads(entries[0].body)
        assert body["sha256"] == item.sha256 and body["parent_sha256"] == item.parent_sha256
        assert "court registry" not in entries[0].body  # only its digest


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "huge", "not-an-image"])
def test_bad_input_is_refused_and_nothing_is_written(kind: str, users: dict, face_png: bytes,
                                                      tmp_path: Path, database: object) -> None:
    if kind == "corrupt":
        data = b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50
    elif kind == "truncated":
        data = face_png[: len(face_png) // 2]
    elif kind == "huge":
        buffer = io.BytesIO()
        Image.new("L", (9000, 5000)).save(buffer, format="PNG")  # 45 MP, a few kB
        data = buffer.getvalue()
    else:
        data = "这不是图片".encode() * 20
    result, out = _redact(tmp_path, data)
    assert result.exit_code == 1
    expected = {"corrupt": "image", "truncated": "truncated", "huge": "megapixels",
                "not-an-image": "not a readable image"}[kind]
    assert expected in result.output
    assert not out.exists() and not list(tmp_path.glob(".accord-*"))
    assert _count(database, VisionItem) == 0 and _count(database, Decision) == 0


def test_image_without_faces_gives_an_empty_result(users: dict, no_face_png: bytes,
                                                   tmp_path: Path) -> None:
    result, out = _redact(tmp_path, no_face_png)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["boxes"] == []
    assert np.array_equal(_pixels(out), np.asarray(Image.open(io.BytesIO(no_face_png))
                                                   .convert("RGB")))


def test_roles_outside_redaction_are_refused_and_ledgered(users: dict, face_png: bytes,
                                                          tmp_path: Path,
                                                          database: object) -> None:
    result, out = _redact(tmp_path, face_png, user="v-analyst")
    assert result.exit_code == 3 and "ledger entry" in result.output
    assert not out.exists() and _count(database, VisionItem) == 0
