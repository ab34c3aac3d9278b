"""Face and licence-plate detection, crowd counting and irreversible redaction (OpenCV).

The runner module of ``vision.redact`` and ``vision.count``: the only vision module that imports
OpenCV. Detection uses the Haar cascades that ship inside ``opencv-python-headless<5``
(``cv2.data``): frontal-face alt2 and the profile cascade (run on the image and its mirror, since
it only knows faces looking one way) for faces; the two Russian-plate cascades for plates.

Redaction paints each box with a solid colour (or a pixelation so coarse that the box holds at
most ``PIXEL_BLOCKS``² flat tiles): no blur, whose inverse can partly restore a face. Images are
decoded by Pillow first, which reads the declared size from the header before any pixels, so a
"decompression bomb" is refused before it fills memory; truncated files fail to load instead of
being half-redacted.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

MAX_PIXELS = 40_000_000  # 40 megapixels: larger frames are refused, never downscaled silently
MIN_SIDE = 16
FORMATS = frozenset({"PNG", "JPEG", "BMP", "WEBP", "TIFF", "GIF"})
FACE_PAD = 0.20  # faces are grown by this share on each side (hair, ears, chin)
PLATE_PAD = 0.10
PIXEL_BLOCKS = 4  # a pixelated box holds at most 4 x 4 flat tiles
CASCADES = {
    "face-frontal": "haarcascade_frontalface_alt2.xml",
    "face-profile": "haarcascade_profileface.xml",
    "plate-russian": "haarcascade_russian_plate_number.xml",
    "plate-rus-16": "haarcascade_license_plate_rus_16stages.xml",
}
KINDS = ("face", "plate")
DETECTOR_NAME = "OpenCV Haar cascades (frontalface_alt2, profileface, russian_plate_number, " \
                "license_plate_rus_16stages)"


@dataclass(frozen=True)
class Box:
    """One region to cover: pixels (x, y, w, h), what it is, the detector's score (None for a box
    a person drew) and its source ("detector" or "reviewer")."""

    x: int
    y: int
    w: int
    h: int
    kind: str
    score: float | None = None
    source: str = "detector"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Box:
        return cls(int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]),
                   str(data.get("kind") or "face"),
                   None if data.get("score") is None else float(data["score"]),
                   str(data.get("source") or "detector"))

    def clipped(self, width: int, height: int) -> Box | None:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.w), min(height, self.y + self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1 - x0, y1 - y0, self.kind, self.score, self.source)


def opencv_version() -> str:
    return str(cv2.__version__)


@lru_cache(maxsize=1)
def cascade_digest() -> str:
    """sha256 over the four cascade files, in a fixed order (the model card's digest)."""
    sha = hashlib.sha256()
    for name in sorted(CASCADES.values()):
        sha.update((Path(cv2.data.haarcascades) / name).read_bytes())
    return "sha256:" + sha.hexdigest()


def detector_version() -> str:
    return f"opencv {opencv_version()} haar; {cascade_digest()[:19]}"


@cache
def _cascade(key: str) -> Any:
    path = Path(cv2.data.haarcascades) / CASCADES[key]
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise RuntimeError(f"cannot load {path}")
    return cascade


def load_image(data: bytes) -> np.ndarray:
    """Decode an image to a BGR array, refusing corrupt, truncated, unsupported or huge files
    (:class:`ValidationFailed` with a clear message)."""
    if not data:
        raise ValidationFailed(detail=M_("image: the file is empty"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if image.format not in FORMATS:
                    raise ValidationFailed(detail=M_("image: unsupported format %(format)s",
                                                     format=image.format))
                if width * height > MAX_PIXELS:
                    raise ValidationFailed(
                        detail=M_("image: %(width)sx%(height)s is %(megapixels).0f megapixels; "
                                  "the limit is %(limit).0f",
                                  width=width, height=height, megapixels=width * height / 1e6,
                                  limit=MAX_PIXELS / 1e6))
                if min(width, height) < MIN_SIDE:
                    raise ValidationFailed(detail=M_("image: %(width)sx%(height)s is too small",
                                                     width=width, height=height))
                image.load()
                rgb = image.convert("RGB")
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise ValidationFailed(detail=M_("image: not a readable image file")) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise ValidationFailed(detail=M_("image: corrupt or truncated (%(error)s)",
                                         error=error)) from None
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes without any metadata (EXIF, GPS and the like are not carried over)."""
    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return bytes(buffer.tobytes())


def _grow(box: Box, share: float, width: int, height: int) -> Box:
    dx, dy = round(box.w * share), round(box.h * share)
    grown = Box(box.x - dx, box.y - dy, box.w + 2 * dx, box.h + 2 * dy, box.kind, box.score,
                box.source)
    return grown.clipped(width, height) or box


def _run(key: str, gray: np.ndarray, min_size: tuple[int, int], neighbours: int,
         mirrored: bool = False) -> list[tuple[int, int, int, int, float]]:
    source = cv2.flip(gray, 1) if mirrored else gray
    rects, _levels, weights = _cascade(key).detectMultiScale3(
        source, scaleFactor=1.1, minNeighbors=neighbours, minSize=min_size,
        outputRejectLevels=True)
    found = []
    width = gray.shape[1]
    for (x, y, w, h), weight in zip(np.asarray(rects).reshape(-1, 4),
                                    np.asarray(weights).reshape(-1), strict=True):
        if mirrored:
            x = width - x - w
        found.append((int(x), int(y), int(w), int(h), round(float(weight), 3)))
    return found


def _iou(a: Box, b: Box) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0


def merge(boxes: list[Box], threshold: float = 0.3) -> list[Box]:
    """Overlapping boxes of one kind become their union (covering more, never less), scored by
    the best of them."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: -(b.score or 0.0)):
        for i, kept in enumerate(merged):
            if kept.kind == box.kind and _iou(kept, box) > threshold:
                x0, y0 = min(kept.x, box.x), min(kept.y, box.y)
                x1 = max(kept.x + kept.w, box.x + box.w)
                y1 = max(kept.y + kept.h, box.y + box.h)
                merged[i] = Box(x0, y0, x1 - x0, y1 - y0, kept.kind, kept.score, kept.source)
                break
        else:
            merged.append(box)
    return sorted(merged, key=lambda b: (b.y, b.x))


def detect(image: np.ndarray, kinds: tuple[str, ...] = KINDS) -> list[Box]:
    """Faces and/or plates in a BGR image, grown by a margin and merged."""
    plain = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray = cv2.equalizeHist(plain)  # faces: evens out lighting
    height, width = gray.shape
    side = max(20, min(width, height) // 40)
    boxes: list[Box] = []
    if "face" in kinds:
        raw = _run("face-frontal", gray, (side, side), 4)
        raw += _run("face-profile", gray, (side, side), 5)
        raw += _run("face-profile", gray, (side, side), 5, mirrored=True)
        boxes += [_grow(Box(x, y, w, h, "face", s), FACE_PAD, width, height)
                  for x, y, w, h, s in raw]
    if "plate" in kinds:
        size = (max(30, side * 2), max(10, side // 2))
        # Plates on the unequalised image, 3 neighbours: measured best on rendered plates
        # (bench/vision.py); equalising washed out the plate's border.
        raw = _run("plate-russian", plain, size, 3) + _run("plate-rus-16", plain, size, 3)
        boxes += [_grow(Box(x, y, w, h, "plate", s), PLATE_PAD, width, height)
                  for x, y, w, h, s in raw]
    return merge(boxes)


def redact(image: np.ndarray, boxes: list[Box], mode: str = "solid") -> np.ndarray:
    """A copy of ``image`` with every box covered: ``solid`` (black) or ``pixelate`` (at most
    ``PIXEL_BLOCKS`` x ``PIXEL_BLOCKS`` flat tiles per box)."""
    if mode not in ("solid", "pixelate"):
        raise ValidationFailed(detail=M_("mode: solid or pixelate"))
    out = image.copy()
    height, width = out.shape[:2]
    for box in boxes:
        clipped = box.clipped(width, height)
        if clipped is None:
            continue
        x, y, w, h = clipped.x, clipped.y, clipped.w, clipped.h
        if mode == "solid":
            out[y:y + h, x:x + w] = 0
        else:
            region = out[y:y + h, x:x + w]
            small = cv2.resize(region, (min(PIXEL_BLOCKS, w), min(PIXEL_BLOCKS, h)),
                               interpolation=cv2.INTER_AREA)
            out[y:y + h, x:x + w] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


@lru_cache(maxsize=1)
def _hog() -> Any:
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return hog


def count_people(image: np.ndarray, method: str = "faces") -> int:
    """How many people: ``hog`` (OpenCV's pedestrian detector, whole upright bodies) or
    ``faces`` (face detections). Only the number leaves this function."""
    if method == "faces":
        return sum(1 for b in detect(image, ("face",)))
    if method != "hog":
        raise ValidationFailed(detail=M_("method: hog or faces"))
    height, width = image.shape[:2]
    scale = min(1.0, 1280 / max(width, height))
    small = cv2.resize(image, (int(width * scale), int(height * scale))) if scale < 1 else image
    rects, weights = _hog().detectMultiScale(small, winStride=(8, 8), padding=(8, 8),
                                             scale=1.05)
    boxes = [Box(int(x), int(y), int(w), int(h), "person", float(s))
             for (x, y, w, h), s in zip(np.asarray(rects).reshape(-1, 4),
                                        np.asarray(weights).reshape(-1), strict=True)
             if float(s) > 0.5]
    return len(merge(boxes, 0.4))
