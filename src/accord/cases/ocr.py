"""Image bytes → MRZ lines, with Debian's tesseract (LSTM ``eng`` model) through ``pytesseract``.

Why not ``passporteye``: it pulls in scikit-image, imageio and pdfminer for a region finder
that a crop of the page's lower part does as well here, and its own MRZ checker would duplicate
:mod:`accord.cases.mrz`. What is done instead:

1. Pillow opens the bytes (EXIF orientation honoured), greyscale, and estimates the skew with a
   projection profile (angles −6° … 6°); the page is turned upright.
2. The lower part of the page (where ICAO 9303 puts the MRZ), then the whole page, then the page
   upside down, are upscaled, binarised (Otsu) and read with tesseract in single-block mode
   (``--psm 6``) restricted to ``A-Z 0-9 <``.
3. tesseract's English model reads long runs of the filler ``<`` as ``K``/``X``. The glyphs are
   therefore also segmented (connected components); an OCR-B ``<`` is recognised by its shape
   (a chevron has no stroke down its left side), and the OCR text is aligned to the glyph row,
   so each filler is placed where the glyph is and each character where the OCR put it.
4. The first reading whose check digits all pass wins; otherwise the best reading is returned
   with its failures, and the caller names the failing fields.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from accord.cases.mrz import (
    FORMATS,
    MrzFormatError,
    MrzResult,
    candidate_windows,
    parse_mrz,
    split_lines,
)
from accord.core.errors import AccordError
from accord.core.i18n import N_

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
TESSERACT_CONFIG = f"--oem 1 --psm 6 -c tessedit_char_whitelist={WHITELIST}"
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
WORK_WIDTH = 1800  # the MRZ crop is scaled to this width (≈ 40 px per character)
# Letters tesseract reads in place of an OCR-B "<" when the fillers run long.
FILLER_LOOKALIKES = frozenset("KXCEZSL")

_lock = threading.Lock()  # one tesseract at a time per process: the machine has 2 cores


class ImageUnreadable(AccordError):
    status = 422
    message = N_("The file is not an image that can be read: %(detail)s")


class NoMrzFound(AccordError):
    status = 422
    message = N_(
        "No machine-readable zone (MRZ) found in the image. Photograph the whole data "
        "page, flat, well lit and in focus, with the two or three lines of characters "
        "at the bottom fully visible."
    )


class OcrUnavailable(AccordError):
    status = 503
    message = N_("The OCR engine (tesseract) is not installed on this server.")


@dataclass
class OcrReading:
    lines: list[str]
    result: MrzResult
    attempts: int
    variant: str
    raw_text: list[str] = field(default_factory=list)


# -- tesseract -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def tesseract_version() -> str:
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError):
        raise OcrUnavailable() from None


def _tesseract(image: Image.Image) -> str:
    import pytesseract

    tesseract_version()
    with _lock:
        return str(pytesseract.image_to_string(image, lang="eng", config=TESSERACT_CONFIG))


# -- image preparation ---------------------------------------------------------------------------
def load_image(data: bytes) -> Image.Image:
    if not data:
        raise ImageUnreadable(detail="the file is empty")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ImageUnreadable(detail=f"{image.width}×{image.height} pixels is too large")
        image.load()
    except ImageUnreadable:
        raise
    except UnidentifiedImageError:
        raise ImageUnreadable(detail="not a recognised image format (use JPEG or PNG)") from None
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageUnreadable(detail=str(error) or type(error).__name__) from None
    image = ImageOps.exif_transpose(image) or image
    return image.convert("L")


def otsu(grey: np.ndarray) -> int:
    histogram = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (means[-1] * weights / total - means) ** 2 / (weights * (total - weights))
    if np.all(np.isnan(between)):
        return 127  # a uniform image: any threshold will do
    return int(np.nanargmax(between))


def binarise(image: Image.Image) -> Image.Image:
    pixels = np.asarray(image, dtype=np.uint8)
    return Image.fromarray(np.where(pixels > otsu(pixels), 255, 0).astype(np.uint8))


def estimate_skew(image: Image.Image) -> float:
    """The rotation (degrees) that makes text rows sharpest in the horizontal projection."""
    small = image.copy()
    small.thumbnail((700, 700))
    ink = Image.fromarray((np.asarray(binarise(small)) == 0).astype(np.uint8) * 255)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-6.0, 6.01, 0.5):
        rows = np.asarray(
            ink.rotate(float(angle), resample=Image.Resampling.BILINEAR), dtype=np.float64
        ).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def _prepare(image: Image.Image, region: str) -> Image.Image:
    """The region, scaled to the working width (grey)."""
    if region == "bottom":
        image = image.crop((0, int(image.height * 0.55), image.width, image.height))
    scale = WORK_WIDTH / image.width
    image = image.resize(
        (WORK_WIDTH, max(1, round(image.height * scale))), Image.Resampling.LANCZOS
    )
    return image


# -- filler repair by glyph shape ----------------------------------------------------------------
def _glyph_rows(binary: Image.Image) -> list[list[tuple[slice, slice, np.ndarray]]]:
    """Connected ink components grouped into text rows, each row sorted left to right."""
    from scipy import ndimage

    ink = np.asarray(binary) == 0
    labels, _ = ndimage.label(ink)
    boxes = []
    for index, found in enumerate(ndimage.find_objects(labels), 1):
        if found is None:
            continue
        ys, xs = found
        height, width = ys.stop - ys.start, xs.stop - xs.start
        if height < 12 or width < 3 or height > 200 or width > 200:
            continue  # specks, rules and photos
        boxes.append((ys, xs, labels[found] == index))
    boxes.sort(key=lambda b: (b[0].start + b[0].stop) / 2)
    rows: list[list[tuple[slice, slice, np.ndarray]]] = []
    for box in boxes:
        centre = (box[0].start + box[0].stop) / 2
        if rows:
            last = rows[-1]
            mean_centre = sum((b[0].start + b[0].stop) / 2 for b in last) / len(last)
            mean_height = sum(b[0].stop - b[0].start for b in last) / len(last)
            if abs(centre - mean_centre) < mean_height * 0.5:
                last.append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b[1].start) for row in rows]


def is_chevron(mask: np.ndarray) -> bool:
    """An OCR-B "<": ink in the leftmost fifth only around mid-height (K, E, C, X, L, Z all
    have ink near the top or bottom there), and both ends of the chevron on the right."""
    height, width = mask.shape
    if width < 4 or height < 8:
        return False
    left = mask[:, : max(1, width // 5)].any(axis=1)
    rows = np.flatnonzero(left)
    if rows.size == 0:
        return False
    span_ok = (rows.max() - rows.min()) < height * 0.45
    centred = abs((rows.max() + rows.min()) / 2 - height / 2) < height * 0.2
    right = mask[:, width - max(1, width // 5) :].any(axis=1)
    right_rows = np.flatnonzero(right)
    ends = (
        right_rows.size > 0
        and right_rows.min() < height * 0.25
        and right_rows.max() > height * 0.75
    )
    return bool(span_ok and centred and ends)


def align(pattern: str, text: str) -> str:
    """Place OCR ``text`` on a glyph ``pattern`` ("<" = chevron, "*" = other glyph) by weighted
    edit distance: fillers come from the pattern, characters from the text; "?" where the text
    has nothing for a glyph (the reading is then rejected). Dropping a ``<``-lookalike next to a
    ``<`` is cheaper than dropping a letter in a word: that is where tesseract adds spurious ones.
    """
    n, m = len(pattern), len(text)
    spurious = FILLER_LOOKALIKES | {"<", "0", "O"}
    drop = [
        0.6
        if text[j] in spurious
        and ((j > 0 and text[j - 1] == "<") or (j + 1 < m and text[j + 1] == "<"))
        else 1.0
        for j in range(m)
    ]
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        cost[0][j], move[0][j] = cost[0][j - 1] + drop[j - 1], 2
    for i in range(1, n + 1):
        cost[i][0], move[i][0] = cost[i - 1][0] + 1.5, 1
        slot = pattern[i - 1]
        for j in range(1, m + 1):
            ch = text[j - 1]
            if slot == "<":
                sub = 0.0 if ch == "<" else 0.3 if ch in FILLER_LOOKALIKES else 2.5
            else:
                sub = 2.0 if ch == "<" else 0.0
            options = (cost[i - 1][j - 1] + sub, cost[i - 1][j] + 1.5, cost[i][j - 1] + drop[j - 1])
            best = min(range(3), key=options.__getitem__)
            cost[i][j], move[i][j] = options[best], best
    out: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        step = move[i][j]
        if step == 0:
            slot, ch = pattern[i - 1], text[j - 1]
            out.append("<" if slot == "<" else (ch if ch != "<" else "?"))
            i, j = i - 1, j - 1
        elif step == 1:
            out.append("<" if pattern[i - 1] == "<" else "?")
            i -= 1
        else:
            j -= 1
    return "".join(reversed(out))


def refine_with_glyphs(binary: Image.Image, ocr_lines: list[str]) -> list[list[str]]:
    """Candidate MRZs rebuilt from glyph rows whose length fits a format."""
    rows = _glyph_rows(binary)
    widths = {w for _, w in FORMATS.values()}
    patterns = [
        "".join("<" if is_chevron(mask) else "*" for _, _, mask in row)
        for row in rows
        if len(row) in widths
    ]
    texts = [line for line in ocr_lines if len(line) >= 20]
    found: list[list[str]] = []
    for count, width in FORMATS.values():
        fitting = [p for p in patterns if len(p) == width]
        if len(fitting) < count or len(texts) < count:
            continue
        glyph_lines, text_lines = fitting[-count:], texts[-count:]
        found.append([align(p, t) for p, t in zip(glyph_lines, text_lines, strict=True)])
    return found


# -- the reading loop ----------------------------------------------------------------------------
def _score(result: MrzResult) -> tuple[int, int]:
    return (sum(c.ok for c in result.checks) - len(result.problems), -len(result.repairs))


def _parse_candidates(candidates: list[list[str]]) -> list[MrzResult]:
    results = []
    for lines in candidates:
        try:
            results.append(parse_mrz(lines))
        except MrzFormatError:
            continue
    return results


def read_mrz(data: bytes, *, max_attempts: int = 5) -> OcrReading:
    """OCR the MRZ of the document photographed in ``data``. Raises :class:`ImageUnreadable`,
    :class:`NoMrzFound`; an inconsistent MRZ is returned with ``result.valid`` false."""
    page = load_image(data)
    if page.width < 200 or page.height < 60:
        raise NoMrzFound()
    angle = estimate_skew(page)
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    variants: list[tuple[str, Any]] = [
        ("bottom", lambda: _prepare(page, "bottom")),
        ("page", lambda: _prepare(page, "page")),
        ("upside-down", lambda: _prepare(page.rotate(180, expand=True), "bottom")),
        ("upside-down page", lambda: _prepare(page.rotate(180, expand=True), "page")),
    ]
    best: tuple[MrzResult, list[str], str, list[str]] | None = None
    attempts = 0
    for name, build in variants[:max_attempts]:
        grey = build()
        attempts += 1
        raw = split_lines(_tesseract(binarise(grey)))
        # glyph shapes are taken after a median filter, which removes sensor noise
        glyphs = binarise(grey.filter(ImageFilter.MedianFilter(3)))
        candidates = candidate_windows(raw) + refine_with_glyphs(glyphs, raw)
        for result in _parse_candidates(candidates):
            if best is None or _score(result) > _score(best[0]):
                best = (result, list(result.lines), name, raw)
            if result.valid:
                return OcrReading(
                    lines=list(result.lines),
                    result=result,
                    attempts=attempts,
                    variant=f"{name}, deskew {angle:+.1f}°",
                    raw_text=raw,
                )
    if best is None:
        raise NoMrzFound()
    result, lines, name, raw = best
    return OcrReading(
        lines=lines,
        result=result,
        attempts=attempts,
        variant=f"{name}, deskew {angle:+.1f}°",
        raw_text=raw,
    )
