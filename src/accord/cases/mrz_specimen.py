"""Synthetic passport data pages for tests, the benchmark and demonstrations.

Accord never needs a real person's passport to be tested: this builds a valid MRZ for an invented
person (check digits computed by :mod:`accord.cases.mrz`) and draws an ID-3 data page with
Pillow, the MRZ set in OCR-B (Debian ``fonts-ocr-b``; DejaVu Sans Mono if it is missing).
Degradations — rotation, noise, low resolution, JPEG — imitate photos taken at a counter.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from accord.cases.mrz import check_digit

OCRB_FONT = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
MONO_FALLBACK = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
SANS_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass(frozen=True)
class SpecimenPerson:
    surname: str
    given_names: str
    number: str
    nationality: str
    birth: date
    sex: str
    expiry: date
    personal_number: str = ""
    issuing_state: str = ""


def _pad(value: str, width: int) -> str:
    text = value.upper().replace(" ", "<").replace("-", "<")
    return (text + "<" * width)[:width]


def _yymmdd(value: date) -> str:
    return value.strftime("%y%m%d")


def td3_lines(person: SpecimenPerson) -> list[str]:
    """The two 44-character lines of a passport for ``person`` with correct check digits."""
    state = person.issuing_state or person.nationality
    names = _pad(f"{person.surname}<<{person.given_names}", 39)
    line1 = _pad(f"P<{_pad(state, 3)}", 5) + names
    number = _pad(person.number, 9)
    personal = _pad(person.personal_number, 14)
    personal_digit = check_digit(personal) if person.personal_number else "<"
    birth, expiry = _yymmdd(person.birth), _yymmdd(person.expiry)
    line2 = (
        number
        + check_digit(number)
        + _pad(person.nationality, 3)
        + birth
        + check_digit(birth)
        + person.sex
        + expiry
        + check_digit(expiry)
        + personal
        + personal_digit
    )
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return [line1, line2 + check_digit(composite)]


def td1_lines(person: SpecimenPerson) -> list[str]:
    """The three 30-character lines of an identity card for ``person``."""
    state = person.issuing_state or person.nationality
    number = _pad(person.number, 9)
    line1 = "I<" + _pad(state, 3) + number + check_digit(number) + _pad(person.personal_number, 15)
    birth, expiry = _yymmdd(person.birth), _yymmdd(person.expiry)
    body = (
        birth
        + check_digit(birth)
        + person.sex
        + expiry
        + check_digit(expiry)
        + _pad(person.nationality, 3)
        + "<" * 11
    )
    composite = line1[5:30] + body[0:7] + body[8:15] + body[18:29]
    line3 = _pad(f"{person.surname}<<{person.given_names}", 30)
    return [line1, body + check_digit(composite), line3]


def td2_lines(person: SpecimenPerson) -> list[str]:
    """The two 36-character lines of a TD2 card for ``person``."""
    state = person.issuing_state or person.nationality
    names = _pad(f"{person.surname}<<{person.given_names}", 31)
    line1 = "I<" + _pad(state, 3) + names
    number = _pad(person.number, 9)
    birth, expiry = _yymmdd(person.birth), _yymmdd(person.expiry)
    line2 = (
        number
        + check_digit(number)
        + _pad(person.nationality, 3)
        + birth
        + check_digit(birth)
        + person.sex
        + expiry
        + check_digit(expiry)
        + _pad(person.personal_number, 7)
    )
    composite = line2[0:10] + line2[13:20] + line2[21:35]
    return [line1, line2 + check_digit(composite)]


LINES_OF = {"TD1": td1_lines, "TD2": td2_lines, "TD3": td3_lines}


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path if path.exists() else MONO_FALLBACK), size)


def data_page(lines: list[str], *, header: tuple[str, ...] = ()) -> Image.Image:
    """An ID-3 data page (125 × 88 mm at 10 px/mm) with printed fields and the MRZ at the
    bottom, as on a real passport; ``lines`` are the MRZ lines."""
    page = Image.new("RGB", (1250, 880), (246, 244, 236))
    draw = ImageDraw.Draw(page)
    sans, small = _font(SANS_FONT, 30), _font(SANS_FONT, 22)
    draw.text((60, 40), "PASSPORT  /  PASSEPORT", font=sans, fill=(40, 40, 90))
    draw.rectangle((60, 110, 360, 480), fill=(200, 200, 205), outline=(120, 120, 130))
    y = 110
    for text in header or (
        "Type P",
        "Surname / Nom",
        "Given names / Prénoms",
        "Nationality",
        "Date of birth",
        "Sex",
        "Date of expiry",
    ):
        draw.text((400, y), text, font=small, fill=(70, 70, 90))
        y += 52
    mrz_font = _font(OCRB_FONT, 41)
    width = max(len(line) for line in lines)
    pitch = 25.4 if width == 44 else 25.4 * 44 / 36 if width == 36 else 25.4 * 1.4
    top = 880 - 70 - 60 * len(lines)
    for row, line in enumerate(lines):
        for col, ch in enumerate(line):
            draw.text((60 + col * pitch, top + row * 60), ch, font=mrz_font, fill=(15, 15, 15))
    return page


#: Card sizes (ICAO 9303: ID-1 85.6 × 54 mm, ID-2 105 × 74 mm, ID-3 125 × 88 mm) at 10 px/mm.
CARD_SIZES = {"TD1": (856, 540), "TD2": (1050, 740), "TD3": (1250, 880)}


def document(fmt: str, lines: list[str]) -> Image.Image:
    """A TD1/TD2 card or TD3 data page at 10 px/mm with the MRZ set in OCR-B at the ICAO
    pitch (2.54 mm per character, about 3.5 mm between lines), printed fields above it."""
    if fmt == "TD3":
        return data_page(lines)
    width, height = CARD_SIZES[fmt]
    page = Image.new("RGB", (width, height), (236, 242, 246))
    draw = ImageDraw.Draw(page)
    sans, small = _font(SANS_FONT, 26), _font(SANS_FONT, 19)
    draw.text((40, 24), "IDENTITY CARD  /  CARTE D'IDENTITÉ", font=sans, fill=(30, 60, 90))
    draw.rectangle((40, 80, 240, 300 if fmt == "TD2" else 240), fill=(200, 205, 210))
    y = 80
    for text in ("Surname / Nom", "Given names / Prénoms", "Nationality", "Date of birth"):
        draw.text((270, y), text, font=small, fill=(70, 70, 90))
        y += 40
    mrz_font = _font(OCRB_FONT, 41)
    pitch, spacing = 25.4, 48
    left = (width - pitch * len(lines[0])) / 2
    top = height - 30 - spacing * len(lines)
    for row, line in enumerate(lines):
        for col, ch in enumerate(line):
            draw.text((left + col * pitch, top + row * spacing), ch, font=mrz_font,
                      fill=(15, 15, 15))
    return page


def low_contrast(image: Image.Image, *, factor: float = 0.3, level: float = 150.0) -> Image.Image:
    """Ink and paper squeezed towards one grey (a faded card under poor light)."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    pixels = level + (pixels - pixels.mean()) * factor
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def degrade(
    image: Image.Image,
    *,
    angle: float = 0.0,
    noise: float = 0.0,
    scale: float = 1.0,
    blur: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """Rotate (degrees), add Gaussian noise (standard deviation in grey levels), rescale and
    blur, like a hand-held photo of the page."""
    out = image
    if angle:
        out = out.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(90, 90, 90)
        )
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if scale != 1.0:
        out = out.resize(
            (max(1, round(out.width * scale)), max(1, round(out.height * scale))),
            Image.Resampling.LANCZOS,
        )
    if noise:
        rng = np.random.default_rng(seed)
        pixels = np.asarray(out.convert("RGB"), dtype=np.float32)
        pixels += rng.normal(0.0, noise, size=pixels.shape[:2])[..., None]
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return out


def to_bytes(image: Image.Image, fmt: str = "PNG", quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=fmt, quality=quality)
    return buffer.getvalue()


# Invented people (no real person): used by the tests, the benchmark and the demo data.
SPECIMEN_PEOPLE: tuple[SpecimenPerson, ...] = (
    SpecimenPerson(
        "ERIKSSON",
        "ANNA MARIA",
        "L898902C3",
        "UTO",
        date(1974, 8, 12),
        "F",
        date(2032, 4, 15),
        "ZE184226B",
    ),
    SpecimenPerson(
        "VOLKOVA", "IRINA", "7512349N0", "UTO", date(1991, 2, 28), "F", date(2031, 11, 30)
    ),
    SpecimenPerson(
        "OKONKWO DALE",
        "SAMUEL TUNDE",
        "A07Q55128",
        "UTO",
        date(1968, 12, 1),
        "M",
        date(2029, 6, 9),
        "4410982",
    ),
    SpecimenPerson(
        "NGUYEN", "THI HOA", "C5B180073", "UTO", date(2003, 5, 17), "F", date(2030, 1, 22)
    ),
    SpecimenPerson(
        "MARQUEZ PEREIRA",
        "JOAO",
        "XK0415562",
        "UTO",
        date(1985, 10, 3),
        "M",
        date(2028, 7, 31),
        "PT1985103",
    ),
    SpecimenPerson("HALVORSEN", "LIV", "N81S07294", "UTO", date(1999, 9, 9), "X", date(2034, 3, 3)),
)
