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
import itertools
import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
from accord.core.i18n import M_, N_

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


class MrzReadTimeout(AccordError):
    """The time budget ran out before a consistent reading: the officer types the MRZ."""

    status = 422
    message = N_(
        "Could not read the MRZ within %(seconds)s seconds — type it in from the document "
        "(or take a sharper, straighter photo and try again)."
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


class _OutOfTime(Exception):
    """The deadline passed (inside or before a tesseract call)."""


def _cpu_seconds() -> float:
    """CPU time of this thread plus that of finished child processes (tesseract)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime


class Deadline:
    """The time budget of one image.

    Wall-clock is what the officer waits, so the reader gives up once ``budget`` seconds have
    passed — provided it has also had at least ``CPU_SHARE`` of them on a CPU. On a server
    whose cores are busy with other work (a niced model worker gets little) the reading gets
    more wall time, up to ``MAX_STRETCH`` × the budget, instead of failing every time; on an
    idle server the two coincide."""

    CPU_SHARE = 0.5
    MAX_STRETCH = 4.0

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.started = time.monotonic()
        self.cpu_started = _cpu_seconds()

    def expired(self) -> bool:
        wall = time.monotonic() - self.started
        if wall >= self.budget * self.MAX_STRETCH:
            return True
        return wall >= self.budget and (
            _cpu_seconds() - self.cpu_started >= self.budget * self.CPU_SHARE
        )

    def remaining_wall(self) -> float:
        """Seconds until the hard limit (a bound for one tesseract call)."""
        return self.budget * self.MAX_STRETCH - (time.monotonic() - self.started)


def _tesseract(image: Image.Image, config: str = TESSERACT_CONFIG,
               deadline: Deadline | None = None) -> str:
    import pytesseract

    tesseract_version()
    with _lock, _one_thread_for_tesseract():
        timeout = 0.0
        if deadline is not None:
            timeout = deadline.remaining_wall()
            if deadline.expired() or timeout <= 0.05:
                raise _OutOfTime()
        try:
            return str(pytesseract.image_to_string(image, lang="eng", config=config,
                                                   timeout=timeout))
        except RuntimeError as error:  # pytesseract's "Tesseract process timeout"
            if "timeout" in str(error).lower():
                raise _OutOfTime() from None
            raise


@contextmanager
def _one_thread_for_tesseract() -> Iterator[None]:
    """One OpenMP thread for the tesseract child only: its threads fight each other on 2
    shared cores. pytesseract hands the child this process's ``os.environ``, so the variable
    is set for the call and removed after it. Left set, it reached the OpenMP runtime of the
    next model loaded in this process (CTranslate2: Whisper and translation packs then
    produced garbage, ")))))…", in the same worker)."""
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = before


# -- image preparation ---------------------------------------------------------------------------
def load_image(data: bytes) -> Image.Image:
    if not data:
        raise ImageUnreadable(detail=M_("the file is empty"))
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ImageUnreadable(detail=M_("%(width)s×%(height)s pixels is too large",
                                            width=image.width, height=image.height))
        image.load()
    except ImageUnreadable:
        raise
    except UnidentifiedImageError:
        raise ImageUnreadable(
            detail=M_("not a recognised image format (use JPEG or PNG)")) from None
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


#: Characters tesseract reads twice for one OCR-B glyph ("O" as "O0", "I" as "I1").
TWINS = (frozenset("O0QD"), frozenset("I1L"), frozenset("B8"), frozenset("S5"), frozenset("Z2"))


def _twin(text: str, j: int) -> bool:
    """``text[j]`` repeats the look of the character before it, as a digit after a letter or a
    letter after a digit ("O0", "1I"): the usual spurious insertion ("LI" in a name is not)."""
    return j > 0 and text[j].isdigit() != text[j - 1].isdigit() and any(
        text[j] in group and text[j - 1] in group for group in TWINS
    )


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
        else 0.5
        if _twin(text, j)
        else 1.0
        for j in range(m)
    ]
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        cost[0][j], move[0][j] = cost[0][j - 1] + drop[j - 1], 2
    for i in range(1, n + 1):
        slot = pattern[i - 1]
        # tesseract shortens long runs of fillers: a chevron it skipped costs little to put
        # back; a skipped letter or digit is a "?" (the reading is then re-read or rejected)
        insert = 0.4 if slot == "<" else 1.5
        cost[i][0], move[i][0] = cost[i - 1][0] + insert, 1
        for j in range(1, m + 1):
            ch = text[j - 1]
            if slot == "<":
                sub = 0.0 if ch == "<" else 0.3 if ch in FILLER_LOOKALIKES else 2.5
            else:
                sub = 2.0 if ch == "<" else 0.0
            options = (cost[i - 1][j - 1] + sub, cost[i - 1][j] + insert,
                       cost[i][j - 1] + drop[j - 1])
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


# -- layout: the MRZ rows found as glyph rows -----------------------------------------------------
LINE_CONFIG = f"--oem 1 --psm 7 -c tessedit_char_whitelist={WHITELIST}"
#: Width the page is scaled to for finding the MRZ rows (glyphs ~30-50 px high).
LAYOUT_WIDTH = 1400
#: Seconds per image after which the answer is "could not read — type it".
TIME_BUDGET = 5.0


@dataclass(frozen=True)
class MrzRow:
    """One MRZ line on the deskewed page: its box (in page pixels) and its glyph pattern
    ("<" for a chevron, "*" for any other glyph)."""

    top: int
    bottom: int
    left: int
    right: int
    pattern: str
    glyphs: tuple[tuple[int, int], ...] = ()  # left/right of each glyph, in page pixels


def find_layout(page: Image.Image) -> tuple[str, list[MrzRow]] | None:
    """The format and rows of the MRZ: the lowest run of 2 or 3 neighbouring glyph rows whose
    glyph counts fit TD1 (3 × 30), TD2 (2 × 36) or TD3 (2 × 44). ``None`` when nothing fits."""
    scale = LAYOUT_WIDTH / page.width
    work = page.resize((LAYOUT_WIDTH, max(1, round(page.height * scale))),
                       Image.Resampling.BILINEAR)
    work = ImageOps.autocontrast(work.filter(ImageFilter.MedianFilter(3)), cutoff=1)
    rows = []
    for row in _glyph_rows(binarise(work)):
        heights = sorted(b[0].stop - b[0].start for b in row)
        median = heights[len(heights) // 2]
        # glyphs of one size: drops specks and stray marks of another height
        kept = [b for b in row if 0.45 * median <= b[0].stop - b[0].start <= 1.4 * median]
        if len(kept) < 20:
            continue
        rows.append((
            min(b[0].start for b in kept), max(b[0].stop for b in kept),
            min(b[1].start for b in kept), max(b[1].stop for b in kept),
            "".join("<" if is_chevron(mask) else "*" for _, _, mask in kept),
            tuple((b[1].start, b[1].stop) for b in kept),
        ))
    best: tuple[float, str, list[Any]] | None = None
    for name, (count, width) in FORMATS.items():
        for start in range(len(rows) - count, -1, -1):
            window = rows[start:start + count]
            height = max(r[1] - r[0] for r in window)
            gaps_ok = all(b[0] - a[1] < 2.5 * height for a, b in itertools.pairwise(window))
            off = sum(abs(len(r[4]) - width) for r in window)
            if not gaps_ok or any(abs(len(r[4]) - width) > 3 for r in window):
                continue
            # lowest fitting run first; a closer glyph count wins between formats
            score = off - start * 0.01
            if best is None or score < best[0]:
                best = (score, name, window)
            break
    if best is None:
        return None
    _, name, window = best
    return name, [
        MrzRow(round(top / scale), round(bottom / scale), round(left / scale),
               round(right / scale), pattern,
               tuple((round(a / scale), round(b / scale)) for a, b in glyphs))
        for top, bottom, left, right, pattern, glyphs in window
    ]


def _line_images(page: Image.Image, row: MrzRow, width: int) -> list[tuple[str, Image.Image]]:
    """The row cut out with a margin, scaled to ~48 px glyph height: binarised after a median
    filter (noise), and plain grey (tesseract's own binarisation), as two readings."""
    height = row.bottom - row.top
    pitch = (row.right - row.left) / max(1, width - 1)
    box = (max(0, round(row.left - pitch)), max(0, round(row.top - 0.45 * height)),
           min(page.width, round(row.right + pitch)), min(page.height,
                                                          round(row.bottom + 0.45 * height)))
    crop = page.crop(box)
    factor = 48 / max(1, height)
    crop = crop.resize((max(1, round(crop.width * factor)), max(1, round(crop.height * factor))),
                       Image.Resampling.LANCZOS)
    crop = ImageOps.autocontrast(crop, cutoff=1)
    clean = binarise(crop.filter(ImageFilter.MedianFilter(3)))
    return [("binary", ImageOps.expand(clean, 20, 255)),
            ("grey", ImageOps.expand(crop, 20, 255))]


GLYPH_CONFIG = f"--oem 1 --psm 10 -c tessedit_char_whitelist={WHITELIST}"


def _fit(text: str, pattern: str, width: int) -> list[str]:
    """An OCR line brought to the format's width: aligned to the glyph pattern when the row
    has exactly one glyph per character ("?" where the OCR gave nothing for a glyph), and the
    text as read when it has the right length (a spurious character and a dropped one can
    cancel out, which only the alignment notices)."""
    out = []
    if len(pattern) == width and text:
        out.append(align(pattern, text))
    if len(text) == width and text not in out:
        out.append(text)
    return out


def _context_run(fitted: str) -> tuple[int, int] | None:
    """The first run of four glyphs already read as letters or digits (not fillers)."""
    for start in range(len(fitted) - 3):
        if all(ch not in "<?" for ch in fitted[start:start + 4]):
            return start, start + 4
    return None


def _fill_gaps(page: Image.Image, row: MrzRow, fitted: str, deadline: Deadline) -> str | None:
    """Read each glyph the line OCR skipped ("?") again, set after four glyphs of the same
    line already read as letters or digits (tesseract's LSTM model reads a lone character, or
    a digit after a run of "<", poorly): the reading is accepted only when the four known
    glyphs come back as read before."""
    if "?" not in fitted:
        return fitted
    if fitted.count("?") > 3 or len(row.glyphs) != len(fitted):
        return None
    context = _context_run(fitted)
    if context is None:
        return None
    chars = list(fitted)
    height = row.bottom - row.top
    top, bottom = max(0, row.top - height // 3), min(page.height, row.bottom + height // 3)
    pad = height // 4
    first, last = context
    known = fitted[first:last]
    left_part = page.crop((max(0, row.glyphs[first][0] - pad), top,
                           min(page.width, row.glyphs[last - 1][1] + pad), bottom))
    for index, ch in enumerate(fitted):
        if ch != "?":
            continue
        glyph = page.crop((max(0, row.glyphs[index][0] - pad), top,
                           min(page.width, row.glyphs[index][1] + pad), bottom))
        sheet = Image.new("L", (left_part.width + glyph.width, bottom - top), 255)
        sheet.paste(left_part, (0, 0))
        sheet.paste(glyph, (left_part.width, 0))
        factor = 48 / max(1, height)
        sheet = sheet.resize((max(1, round(sheet.width * factor)),
                              max(1, round(sheet.height * factor))), Image.Resampling.LANCZOS)
        sheet = sheet.filter(ImageFilter.MedianFilter(3))
        sheet = ImageOps.expand(binarise(ImageOps.autocontrast(sheet, cutoff=1)), 30, 255)
        read = "".join(split_lines(_tesseract(sheet, LINE_CONFIG, deadline)))
        if len(read) != len(known) + 1 or read[:-1] != known:
            return None
        if read[-1] == "<" and row.pattern[index] != "<":
            return None
        chars[index] = read[-1]
    return "".join(chars)


def _stack(images: list[Image.Image]) -> Image.Image:
    """The line images one under the other with white gaps: one tesseract process reads all
    the lines (starting tesseract and loading its model costs more than reading a line)."""
    width = max(im.width for im in images)
    gap = 40
    sheet = Image.new("L", (width, sum(im.height for im in images) + gap * len(images)), 255)
    y = gap // 2
    for im in images:
        sheet.paste(im, (0, y))
        y += im.height + gap
    return sheet


def _read_lines(page: Image.Image, fmt: str, rows: list[MrzRow],
                deadline: Deadline) -> tuple[MrzResult | None, list[str], int]:
    """OCR of the rows, each cut out, straightened and scaled on its own; every combination
    of the lines' readings is parsed, and the first consistent one (or the best) is returned
    with the raw texts and the number of tesseract calls."""
    width = FORMATS[fmt][1]
    options: list[list[str]] = [[] for _ in rows]
    raw: list[str] = []
    calls = 0
    best: MrzResult | None = None
    images = [_line_images(page, row, width) for row in rows]
    for variant in range(2):
        calls += 1
        texts = split_lines(_tesseract(_stack([im[variant][1] for im in images]),
                                       TESSERACT_CONFIG, deadline))
        if len(texts) != len(rows):  # lines merged or split: read them one by one
            texts = []
            for im in images:
                calls += 1
                texts.append("".join(split_lines(_tesseract(im[variant][1], LINE_CONFIG,
                                                            deadline))))
        for index, (row, text) in enumerate(zip(rows, texts, strict=True)):
            raw.append(f"{images[index][variant][0]}: {text}")
            for fitted in _fit(text, row.pattern, width):
                if "?" in fitted:
                    calls += fitted.count("?")
                    filled = _fill_gaps(page, row, fitted, deadline)
                    if filled is None:
                        continue
                    fitted = filled
                if fitted not in options[index]:
                    options[index].append(fitted)
        if not all(options):
            continue
        for combo in itertools.product(*options):
            try:
                result = parse_mrz(list(combo))
            except MrzFormatError:
                continue
            if best is None or _score(result) > _score(best):
                best = result
            if result.valid:
                return result, raw, calls
    return best, raw, calls


def read_mrz(data: bytes, *, max_attempts: int = 5,
             budget_seconds: float = TIME_BUDGET) -> OcrReading:
    """OCR the MRZ of the document photographed in ``data`` within ``budget_seconds``.

    Deskew, find the MRZ rows (format from their glyph counts), OCR each line on its own;
    if that gives no consistent reading, the whole-page readings follow while time is left.
    Raises :class:`ImageUnreadable`, :class:`NoMrzFound`, or :class:`MrzReadTimeout` when the
    budget ran out before any reading; an inconsistent reading (also one cut short by the
    budget) is returned with ``result.valid`` false, and the caller names the failing fields
    for the officer to correct."""
    deadline = Deadline(budget_seconds)
    page = load_image(data)
    if page.width < 200 or page.height < 60:
        raise NoMrzFound()
    angle = estimate_skew(page)
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    best: tuple[MrzResult, str, list[str]] | None = None
    attempts = 0
    try:
        for flipped in (False, True):
            view = page.rotate(180, expand=True) if flipped else page
            layout = find_layout(view)
            if layout is None:
                continue
            fmt, rows = layout
            result, raw, _calls = _read_lines(view, fmt, rows, deadline)
            attempts += 1
            name = f"{fmt} lines{' upside-down' if flipped else ''}, deskew {angle:+.1f}°"
            if result is not None:
                if result.valid:
                    return OcrReading(list(result.lines), result, attempts, name, raw)
                if best is None or _score(result) > _score(best[0]):
                    best = (result, name, raw)
            break  # the layout was found: the page readings below are the fallback
        fallback = _read_page(page, angle, max_attempts, deadline)
        attempts += fallback[1]
        if fallback[0] is not None:
            result, name, raw = fallback[0]
            if result.valid:
                return OcrReading(list(result.lines), result, attempts, name, raw)
            if best is None or _score(result) > _score(best[0]):
                best = (result, name, raw)
    except _OutOfTime:
        if best is None:
            raise MrzReadTimeout(seconds=f"{budget_seconds:g}") from None
        # an inconsistent reading made in time: shown with its failing fields, to correct
        result, name, raw = best
        return OcrReading(list(result.lines), result, attempts,
                          f"{name}; time budget reached", raw)
    if best is None:
        raise NoMrzFound()
    result, name, raw = best
    return OcrReading(list(result.lines), result, attempts, name, raw)


def _read_page(
    page: Image.Image, angle: float, max_attempts: int, deadline: Deadline
) -> tuple[tuple[MrzResult, str, list[str]] | None, int]:
    """Whole-region readings (bottom of the page, whole page, upside down) in single-block
    mode, with fillers placed from the glyph shapes: the fallback when the rows were not
    found or their per-line reading was inconsistent."""
    variants: list[tuple[str, Any]] = [
        ("bottom", lambda: _prepare(page, "bottom")),
        ("page", lambda: _prepare(page, "page")),
        ("upside-down", lambda: _prepare(page.rotate(180, expand=True), "bottom")),
        ("upside-down page", lambda: _prepare(page.rotate(180, expand=True), "page")),
    ]
    best: tuple[MrzResult, str, list[str]] | None = None
    attempts = 0
    for name, build in variants[:max_attempts]:
        grey = build()
        attempts += 1
        raw = split_lines(_tesseract(binarise(grey), deadline=deadline))
        # glyph shapes are taken after a median filter, which removes sensor noise
        glyphs = binarise(grey.filter(ImageFilter.MedianFilter(3)))
        candidates = candidate_windows(raw) + refine_with_glyphs(glyphs, raw)
        label = f"{name}, deskew {angle:+.1f}°"
        for result in _parse_candidates(candidates):
            if best is None or _score(result) > _score(best[0]):
                best = (result, label, raw)
            if result.valid:
                return best, attempts
    return best, attempts
