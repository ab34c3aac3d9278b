"""OCR of synthetic passport data pages drawn in the test (OCR-B MRZ, invented people)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accord.cases.mrz_specimen import SPECIMEN_PEOPLE, data_page, degrade, td3_lines, to_bytes
from accord.cases.ocr import ImageUnreadable, NoMrzFound, read_mrz

PERSON = SPECIMEN_PEOPLE[2]  # OKONKWO DALE, SAMUEL TUNDE (invented)


@pytest.mark.parametrize("variant", ["clean", "rotated", "noisy", "low-resolution"])
def test_reads_passport_mrz_exactly(variant: str) -> None:
    lines = td3_lines(PERSON)
    page = data_page(lines)
    image = {
        "clean": page,
        "rotated": degrade(page, angle=2.5),
        "noisy": degrade(page, noise=25, seed=3),
        "low-resolution": degrade(page, scale=0.45, blur=0.8),
    }[variant]
    reading = read_mrz(to_bytes(image, "JPEG"))
    assert reading.result.valid, reading.result.errors()
    assert reading.lines == lines
    assert reading.result.surname == "OKONKWO DALE"
    assert reading.result.given_names == "SAMUEL TUNDE"


def test_blank_image_has_no_mrz() -> None:
    with pytest.raises(NoMrzFound):
        read_mrz(to_bytes(Image.new("RGB", (1250, 880), "white")))


def test_non_image_bytes_are_a_clear_error() -> None:
    with pytest.raises(ImageUnreadable, match="not an image that can be read"):
        read_mrz(b"%PDF-1.4 this is not a picture")
    with pytest.raises(ImageUnreadable, match="empty"):
        read_mrz(b"")


def test_wrong_check_digit_names_the_field() -> None:
    lines = td3_lines(PERSON)
    bad = lines[1][:19] + str((int(lines[1][19]) + 3) % 10) + lines[1][20:]
    reading = read_mrz(to_bytes(data_page([lines[0], bad])), max_attempts=2)
    assert not reading.result.valid
    assert "check digit for date of birth does not match" in " ".join(reading.result.errors())


def test_png_and_exif_free_bytes_round_trip() -> None:
    image = Image.open(io.BytesIO(to_bytes(data_page(td3_lines(PERSON)))))
    assert image.size == (1250, 880)
