"""Video redaction through Debian's ``ffmpeg``: decode, cover faces and plates, encode.

Faces and plates are searched in every ``SAMPLE_EVERY``-th frame. A frame between two samples
is covered with the boxes of both samples around it (grown by a margin), so a face that is
found in either sample stays covered in the frames between; a face missed in both is not. Audio
is dropped (voices identify people too). ffmpeg runs as a separate program on a temporary copy;
the output goes to the blob store only once complete, so a cancelled or failed run leaves
nothing behind.

Progress and cancellation reach the runner through :func:`watch`: the queue job registers a
callback for its job id before it calls the gateway.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.errors import AccordError, ValidationFailed
from accord.core.i18n import M_, N_

SAMPLE_EVERY = 5
CARRY_PAD = 0.15
MAX_FRAME_PIXELS = 3840 * 2160
MAX_SECONDS = 20 * 60
DECODERS_OK = frozenset({"h264", "hevc", "mpeg4", "vp8", "vp9", "av1", "mjpeg", "mpeg2video",
                         "mpeg1video", "theora", "h263", "rawvideo", "png"})
Progress = Callable[[int, str], bool]  # (percent, message) → keep going?
_watchers: dict[str, Progress] = {}
_lock = threading.Lock()


class Cancelled(AccordError):
    status = 409
    message = N_("The video redaction was cancelled; nothing was written.")


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def watch(job_id: str, callback: Progress | None) -> None:
    with _lock:
        if callback is None:
            _watchers.pop(job_id, None)
        else:
            _watchers[job_id] = callback


def _program(name: str) -> str:
    """The absolute path of ffmpeg or ffprobe (never a name resolved by a shell)."""
    path = shutil.which(name)
    if path is None:
        raise ValidationFailed(detail=M_("video: %(name)s is not installed on this server "
                                         "(scripts/system-deps.sh installs it)", name=name))
    return path


def probe(path: Path) -> dict[str, Any]:
    """Width, height, frame rate, duration and codec of the first video stream; a clear
    :class:`ValidationFailed` for anything that is not a usable video."""
    done = subprocess.run(  # noqa: S603 (fixed arguments, absolute program path)
        [_program("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,r_frame_rate,nb_frames,duration:format=duration",
         "-of", "json", str(path)], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise ValidationFailed(detail=M_("video: not a readable video file"))
    info = json.loads(done.stdout or "{}")
    streams = info.get("streams") or []
    if not streams:
        raise ValidationFailed(detail=M_("video: the file has no video stream"))
    stream = streams[0]
    codec = str(stream.get("codec_name") or "")
    if codec not in DECODERS_OK:
        raise ValidationFailed(detail=M_("video: unsupported codec %(codec)s",
                                         codec=codec or M_("unknown")))
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if width * height > MAX_FRAME_PIXELS:
        raise ValidationFailed(detail=M_("video: %(width)sx%(height)s frames exceed the limit "
                                         "(3840x2160)", width=width, height=height))
    if min(width, height) < 16:
        raise ValidationFailed(detail=M_("video: frames too small"))
    num, _, den = str(stream.get("r_frame_rate") or "0/1").partition("/")
    fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    duration = float(stream.get("duration") or info.get("format", {}).get("duration") or 0.0)
    frames = int(stream.get("nb_frames") or round(duration * fps))
    if duration <= 0 or frames <= 0 or fps <= 0:
        raise ValidationFailed(detail=M_("video: zero-length video"))
    if duration > MAX_SECONDS:
        raise ValidationFailed(detail=M_("video: longer than %(minutes)s minutes",
                                         minutes=MAX_SECONDS // 60))
    return {"width": width, "height": height, "fps": round(fps, 3), "duration": duration,
            "frames": frames, "codec": codec}


def check_video(data: bytes) -> dict[str, Any]:
    """Probe video bytes before anything is stored."""
    if not data:
        raise ValidationFailed(detail=M_("video: the file is empty"))
    with tempfile.TemporaryDirectory(prefix="accord-video-") as tmp:
        path = Path(tmp) / "in"
        path.write_bytes(data)
        return probe(path)


def redact_video(sha256: str, *, kinds: tuple[str, ...], mode: str = "solid",
                 job_id: str = "") -> dict[str, Any]:
    """Redact the stored video ``sha256``; store the result and return a summary (with the
    boxes of every sampled frame, for the reviewer)."""
    from accord.vision import detect
    from accord.vision.capability import blob_store

    store = blob_store()
    with tempfile.TemporaryDirectory(prefix="accord-video-") as tmp:
        source, target = Path(tmp) / "in", Path(tmp) / "out.mp4"
        source.write_bytes(store.get(sha256))
        info = probe(source)
        width, height, fps = info["width"], info["height"], info["fps"]
        expected = max(1, info["frames"])
        decoder = subprocess.Popen(  # noqa: S603 (fixed arguments, absolute program path)
            [_program("ffmpeg"), "-v", "error", "-i", str(source), "-map", "0:v:0", "-f",
             "rawvideo", "-pix_fmt", "bgr24", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        encoder = subprocess.Popen(  # noqa: S603 (fixed arguments, absolute program path)
            [_program("ffmpeg"), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s",
             f"{width}x{height}", "-r", str(fps), "-i", "-", "-an", "-vf",
             "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-preset", "veryfast",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert decoder.stdout is not None and encoder.stdin is not None
        size = width * height * 3
        samples: list[dict[str, Any]] = []
        pending: list[np.ndarray] = []
        previous: list[detect.Box] = []
        index = detections = 0
        watcher = _watchers.get(job_id) if job_id else None

        def grow(boxes: list[detect.Box]) -> list[detect.Box]:
            return [detect._grow(b, CARRY_PAD, width, height) for b in boxes]

        def flush(boxes: list[detect.Box]) -> None:
            for frame in pending:
                encoder.stdin.write(detect.redact(frame, boxes, mode).tobytes())  # type: ignore[union-attr]
            pending.clear()

        try:
            while True:
                raw = decoder.stdout.read(size)
                if len(raw) < size:
                    break
                frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
                if index % SAMPLE_EVERY == 0:
                    found = detect.detect(frame, kinds)
                    detections += len(found)
                    samples.append({"frame": index, "boxes": [b.to_dict() for b in found]})
                    flush(grow(previous + found))  # frames since the last sample
                    previous = found
                pending.append(frame)
                index += 1
                if watcher is not None and index % SAMPLE_EVERY == 0:
                    percent = min(99, int(100 * index / expected))
                    if not watcher(percent, f"{index}/{expected} frames"):
                        raise Cancelled()
            flush(grow(previous))
            encoder.stdin.close()
            error = encoder.stderr.read().decode("utf-8", "replace") if encoder.stderr else ""
            if encoder.wait(timeout=600) != 0:
                raise ValidationFailed(detail=M_("video: encoding failed (%(error)s)",
                                                 error=error.strip()[:200]))
        finally:
            for process in (decoder, encoder):
                if process.poll() is None:
                    process.kill()
                    process.wait()
        if index == 0:
            raise ValidationFailed(detail=M_("video: no frame could be decoded"))
        output = store.put(target.read_bytes())
    return {"output_sha256": output, "frames": index, "fps": fps, "width": width,
            "height": height, "sample_every": SAMPLE_EVERY, "sampled_frames": len(samples),
            "detections": detections, "mode": mode, "samples": samples[:2000],
            "detector_version": detect.detector_version()}
