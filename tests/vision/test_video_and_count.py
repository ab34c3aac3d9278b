"""Video redaction through ffmpeg as a queue job (progress, cancel, bad files) and crowd counts
that keep only a number."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli import app
from accord.core.gateway.models import Decision
from accord.core.jobs.models import Job
from accord.vision.models import VisionItem

runner = CliRunner()
FPS, SECONDS, SIDE, PAN = 8, 1.5, 192, 50
# The astronaut's face in the 256x256 picture (centre); the clip pans right by PAN px/s.
FACE_CENTRE = (114, 56)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                reason="Debian ffmpeg missing: bash scripts/system-deps.sh")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, face_png: bytes) -> Path:
    """A 1.5 s clip panning across the astronaut, so the face moves between frames."""
    folder = tmp_path_factory.mktemp("clip")
    (folder / "face.png").write_bytes(face_png)
    out = folder / "pan.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-loop", "1", "-i", str(folder / "face.png"),
                    "-t", str(SECONDS), "-r", str(FPS), "-vf",
                    f"crop={SIDE}:{SIDE}:'min(t*{PAN},64)':0", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def _frames(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIDE, SIDE)


def test_video_redaction_covers_the_moving_face_in_every_frame(users: dict, clip: Path,
                                                               tmp_path: Path,
                                                               database: object) -> None:
    out = tmp_path / "out.mp4"
    result = runner.invoke(app, ["redact", str(clip), "--out", str(out), "--user", "v-officer",
                                 "--kinds", "faces", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "pending-review" and data["media_type"] == "video/mp4"
    frames = _frames(out)
    originals = _frames(clip)
    assert len(frames) == len(originals) == int(FPS * SECONDS)
    for index, frame in enumerate(frames):
        shift = min(index / FPS * PAN, 64)
        x, y = int(FACE_CENTRE[0] - shift), FACE_CENTRE[1]
        patch = frame[y - 10:y + 10, x - 10:x + 10]
        assert patch.max() < 40, f"frame {index}: face not covered (max {patch.max()})"
        assert originals[index][y - 10:y + 10, x - 10:x + 10].std() > 10
    # Detections only on sampled frames, carried to the others.
    assert {b["frame"] for b in data["boxes"]} <= set(range(0, len(frames), 5))
    with database.session() as session:  # type: ignore[attr-defined]
        job = session.get(Job, data["job_id"])
        assert job.status == "succeeded" and job.progress == 100
        decision = session.get(Decision, data["decision_id"])
        assert decision.capability_id == "vision.redact" and decision.review_status == "pending"


@pytest.mark.parametrize("kind", ["zero-length", "not-a-video", "audio-only"])
def test_bad_videos_are_refused_before_anything_is_stored(kind: str, users: dict,
                                                          tmp_path: Path,
                                                          database: object) -> None:
    source = tmp_path / "bad.mp4"
    if kind == "zero-length":
        source.write_bytes(b"")
    elif kind == "not-a-video":
        source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    else:
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=0.3", str(tmp_path / "a.m4a")], check=True)
        shutil.move(tmp_path / "a.m4a", source)
    out = tmp_path / "out.mp4"
    result = runner.invoke(app, ["redact", str(source), "--out", str(out), "--user", "v-officer"])
    assert result.exit_code == 1
    expected = {"zero-length": "empty", "not-a-video": "not a readable video",
                "audio-only": "no video stream"}[kind]
    assert expected in result.output
    assert not out.exists()
    with database.session() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(VisionItem.id)) is None


def test_cancel_stops_the_job_and_writes_nothing(users: dict, clip: Path, database: object,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.core.governance import get_governance
    from accord.core.jobs import JobService
    from accord.vision.capability import blob_store
    from accord.vision.service import VisionService

    service = VisionService(get_governance())
    submitted: list[str] = []
    monkeypatch.setattr(JobService, "submit", lambda self, kind, params, created_by: (
        submitted.append(kind), type("J", (), {"id": "job-under-test"})())[1])
    caller = _caller(users["officer"])
    view = service.submit_video(caller, clip.read_bytes(), filename="pan.mp4",
                                purpose="disclosure", legal_basis="police-law-art-2")
    assert submitted == ["vision.redact-video"] and view.status == "queued"
    before = set(blob_store().root.rglob("*"))
    seen: list[int] = []

    def progress(percent: int, message: str) -> None:
        seen.append(percent)
        service.cancel(caller, view.id)  # someone presses cancel while it runs

    from accord.vision.video import Cancelled

    with pytest.raises(Cancelled):
        service.run_video(view.id, {"purpose": "disclosure", "legal_basis": "police-law-art-2",
                                    "kinds": "faces", "mode": "solid"},
                          caller.user_id, progress)
    assert seen and seen[0] < 100
    assert service.item(caller, view.id).status == "cancelled"
    assert set(blob_store().root.rglob("*")) == before  # no output stored


def _caller(user: object) -> object:
    from accord.core.gateway.service import Caller

    return Caller(user.id, user.username, frozenset(str(r) for r in user.roles))  # type: ignore[attr-defined]


def test_count_keeps_only_a_number(users: dict, face_png: bytes, tmp_path: Path,
                                   database: object) -> None:
    image = tmp_path / "crowd.png"
    image.write_bytes(face_png)
    result = runner.invoke(app, ["crowd-count", str(image), "--user", "v-analyst",
                                 "--method", "faces", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == 1
    from accord.vision.capability import blob_store

    assert not any(p.is_file() for p in blob_store().root.rglob("*"))  # the image is gone
    with database.session() as session:  # type: ignore[attr-defined]
        decision = session.get(Decision, data["decision_id"])
        assert set(decision.output) == {"count", "method", "width", "height"}
        assert all(isinstance(v, int | str) for v in decision.output.values())
