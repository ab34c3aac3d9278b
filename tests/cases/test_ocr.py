"""OCR of synthetic passport data pages drawn in the test (OCR-B MRZ, invented people)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accord.cases.mrz_specimen import (
    LINES_OF,
    SPECIMEN_PEOPLE,
    data_page,
    degrade,
    document,
    low_contrast,
    td3_lines,
    to_bytes,
)
from accord.cases.ocr import (
    ImageUnreadable,
    MrzReadTimeout,
    NoMrzFound,
    find_layout,
    load_image,
    read_mrz,
)

PERSON = SPECIMEN_PEOPLE[2]  # OKONKWO DALE, SAMUEL TUNDE (invented)


#: Unit tests never time the reader: a generous budget keeps them independent of machine load
#: (bench/mrz.py measures time against the real 5 s budget).
BUDGET = 120.0


@pytest.mark.parametrize(
    ("fmt", "condition"),
    [("TD1", "clean"), ("TD1", "skewed"), ("TD2", "noisy"), ("TD3", "low-contrast")],
)
def test_reads_each_document_type_exactly(fmt: str, condition: str) -> None:
    lines = LINES_OF[fmt](PERSON)
    page = document(fmt, lines)
    image = {
        "clean": page,
        "skewed": degrade(page, angle=3.0),
        "noisy": degrade(page, noise=25, seed=3),
        "low-contrast": low_contrast(page),
    }[condition]
    reading = read_mrz(to_bytes(image, "JPEG"), budget_seconds=BUDGET)
    assert reading.result.valid, (reading.result.errors(), reading.raw_text)
    assert reading.lines == lines
    assert reading.result.format == fmt
    assert reading.result.surname == "OKONKWO DALE"
    assert reading.result.given_names == "SAMUEL TUNDE"
    assert reading.variant.startswith(f"{fmt} lines")  # the per-line reader, not the fallback


def test_layout_finds_three_lines_of_thirty_on_an_identity_card() -> None:
    lines = LINES_OF["TD1"](PERSON)
    page = load_image(to_bytes(degrade(document("TD1", lines), noise=25, seed=1)))
    layout = find_layout(page)
    assert layout is not None
    fmt, rows = layout
    assert fmt == "TD1" and len(rows) == 3
    assert [len(r.pattern) for r in rows] == [30, 30, 30]
    # the chevrons are where the printed fillers are
    assert [i for i, ch in enumerate(rows[2].pattern) if ch == "<"] == [
        i for i, ch in enumerate(lines[2]) if ch == "<"
    ]
    assert rows[0].top < rows[1].top < rows[2].top


def test_out_of_time_is_a_clear_type_it_answer() -> None:
    data = to_bytes(document("TD1", LINES_OF["TD1"](PERSON)))
    with pytest.raises(MrzReadTimeout, match="type it in") as caught:
        read_mrz(data, budget_seconds=0.01)
    assert caught.value.status == 422


def test_blank_image_has_no_mrz() -> None:
    with pytest.raises(NoMrzFound):
        read_mrz(to_bytes(Image.new("RGB", (1250, 880), "white")), budget_seconds=BUDGET)


def test_non_image_bytes_are_a_clear_error() -> None:
    with pytest.raises(ImageUnreadable, match="not an image that can be read"):
        read_mrz(b"%PDF-1.4 this is not a picture")
    with pytest.raises(ImageUnreadable, match="empty"):
        read_mrz(b"")


def test_wrong_check_digit_names_the_field() -> None:
    lines = td3_lines(PERSON)
    bad = lines[1][:19] + str((int(lines[1][19]) + 3) % 10) + lines[1][20:]
    reading = read_mrz(to_bytes(data_page([lines[0], bad])), max_attempts=2,
                       budget_seconds=BUDGET)
    assert not reading.result.valid
    assert "check digit for date of birth does not match" in " ".join(reading.result.errors())


def test_png_and_exif_free_bytes_round_trip() -> None:
    image = Image.open(io.BytesIO(to_bytes(data_page(td3_lines(PERSON)))))
    assert image.size == (1250, 880)


def test_alignment_drops_spurious_fillers_and_twins_but_keeps_name_letters() -> None:
    from accord.cases.ocr import align

    # tesseract's readings of synthetic lines (kept from the benchmark runs)
    pattern = "*<************<<***" + "<" * 25
    assert align(pattern, "P<UTOHALVORSENK<<KLIV<<<<<<<<KK<EKKEKKKKKK") == (
        "P<UTOHALVORSEN<<LIV" + "<" * 25
    )
    # "UTO0": a 0 read twice for one O; the dropped final digit becomes "?" (to re-read)
    assert align("*" * 18 + "<" * 11 + "*", "7408122F3204153UTO0" + "<" * 11) == (
        "7408122F3204153UTO" + "<" * 11 + "?"
    )
