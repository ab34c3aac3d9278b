"""The ICAO 9303 parser: specimens, every check digit, failures named, OCR repairs."""

from __future__ import annotations

from datetime import date

import pytest

from accord.cases.mrz import (
    MrzFormatError,
    MrzInconsistent,
    check_digit,
    parse_mrz,
)
from accord.cases.mrz_specimen import SPECIMEN_PEOPLE, td1_lines, td3_lines

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
TODAY = date(2026, 11, 23)


def test_check_digit_weights_and_values() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"
    assert check_digit("<<<") == "0"


def test_td3_specimen_every_field_and_check() -> None:
    r = parse_mrz(TD3, today=TODAY)
    assert r.valid and r.format == "TD3" and r.errors() == []
    assert (r.document_code, r.issuing_state, r.surname, r.given_names) == (
        "P",
        "UTO",
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert (r.document_number, r.nationality, r.sex) == ("L898902C3", "UTO", "F")
    assert r.birth_date == date(1974, 8, 12) and r.expiry_date == date(2012, 4, 15)
    assert r.optional_data == "ZE184226B" and r.expired(TODAY)
    assert [(c.field, c.digit, c.ok) for c in r.checks] == [
        ("document_number", "6", True),
        ("birth_date", "2", True),
        ("expiry_date", "9", True),
        ("optional_data", "1", True),
        ("composite", "0", True),
    ]
    assert r.full_name == "ERIKSSON, ANNA MARIA"


def test_td1_and_td2_specimens() -> None:
    td1 = parse_mrz("\n".join(TD1), today=TODAY)
    assert td1.valid and td1.format == "TD1" and td1.document_number == "D23145890"
    assert [c.field for c in td1.checks] == [
        "document_number",
        "birth_date",
        "expiry_date",
        "composite",
    ]
    td2 = parse_mrz(TD2, today=TODAY)
    assert td2.valid and td2.format == "TD2" and td2.birth_date == date(1974, 8, 12)


def test_century_rule_birth_never_in_future() -> None:
    person = SPECIMEN_PEOPLE[3]  # born 2003
    assert parse_mrz(td3_lines(person), today=TODAY).birth_date == date(2003, 5, 17)
    assert parse_mrz(td3_lines(person), today=date(2002, 1, 1)).birth_date == date(1903, 5, 17)


@pytest.mark.parametrize(
    "position, field, label",
    [
        (9, "document_number", "document number"),
        (19, "birth_date", "date of birth"),
        (27, "expiry_date", "date of expiry"),
        (42, "optional_data", "personal number"),
        (43, "composite", "composite"),
    ],
)
def test_each_failing_check_digit_is_named(position: int, field: str, label: str) -> None:
    line = list(TD3[1])
    line[position] = str((int(line[position]) + 1) % 10)
    r = parse_mrz([TD3[0], "".join(line)], today=TODAY)
    assert not r.valid
    failing = [c.field for c in r.checks if not c.ok]
    assert field in failing
    with pytest.raises(MrzInconsistent) as raised:
        r.raise_for_errors()
    assert f"check digit for {label}" in str(raised.value)


def test_wrong_birth_date_names_date_of_birth() -> None:
    r = parse_mrz([TD3[0], TD3[1][:13] + "740813" + TD3[1][19:]], today=TODAY)
    assert "check digit for date of birth does not match" in " ".join(r.errors())


def test_invalid_date_named() -> None:
    line = TD3[1][:13] + "741312" + TD3[1][19:]
    r = parse_mrz([TD3[0], line], today=TODAY)
    assert any("date of birth is not a valid date" in e for e in r.errors())


def test_ocr_repair_only_when_check_digit_passes() -> None:
    misread = TD3[1][:13] + "74O8I2" + "Z" + TD3[1][20:]
    r = parse_mrz([TD3[0], misread], today=TODAY)
    assert r.valid and r.birth_date == date(1974, 8, 12)
    assert {(x.field, x.read, x.corrected) for x in r.repairs} == {
        ("birth_date", "O", "0"),
        ("birth_date", "I", "1"),
        ("birth_date", "Z", "2"),
    }
    # a repair that does not make the digit pass is not applied
    wrong = TD3[1][:13] + "75O8I2" + TD3[1][19:]
    r = parse_mrz([TD3[0], wrong], today=TODAY)
    assert not r.valid and not [x for x in r.repairs if x.field == "birth_date"]
    assert parse_mrz([TD3[0], misread], today=TODAY, repair=False).valid is False


def test_document_number_confusion_repaired_only_when_the_check_digit_confirms() -> None:
    """S/5 and friends inside a document number (letters and digits both allowed): the one
    swap that makes the number's check digit pass is applied and reported; the composite then
    passes too. Without repair the same reading fails both checks."""
    lines = td1_lines(SPECIMEN_PEOPLE[2])  # number A07Q55128 (invented)
    misread = [lines[0].replace("A07Q55128", "A07Q5S128"), lines[1], lines[2]]
    r = parse_mrz(misread, today=TODAY)
    assert r.valid and r.document_number == "A07Q55128", r.errors()
    assert [(x.field, x.line, x.position, x.read, x.corrected) for x in r.repairs] == [
        ("document_number", 1, 11, "S", "5")
    ]
    unrepaired = parse_mrz(misread, today=TODAY, repair=False)
    assert not unrepaired.valid
    assert {c.field for c in unrepaired.checks if not c.ok} == {"document_number", "composite"}
    # TD3: a 0 read as O in the passport number
    td3 = td3_lines(SPECIMEN_PEOPLE[0])  # L898902C3
    r3 = parse_mrz([td3[0], td3[1].replace("L898902C3", "L8989O2C3")], today=TODAY)
    assert r3.valid and r3.document_number == "L898902C3"
    assert [(x.read, x.corrected) for x in r3.repairs] == [("O", "0")]


def test_ambiguous_swaps_are_reported_not_guessed() -> None:
    # A07Q55128 read as AO7Q55128: both O→0 and Q→0 make the check digit pass (and the
    # composite weighs the number exactly as its own digit does), so neither is applied.
    number = "AO7Q55128"
    digit = check_digit("A07Q55128")
    assert check_digit("A07Q55128") == check_digit("AO7055128") == digit
    lines = td1_lines(SPECIMEN_PEOPLE[2])
    misread = [lines[0].replace("A07Q55128", number), lines[1], lines[2]]
    r = parse_mrz(misread, today=TODAY)
    assert not r.repairs and r.document_number == number
    assert any("check digit for document number" in e for e in r.errors())


def test_letters_only_fields_repair_digits() -> None:
    r = parse_mrz([TD3[0], TD3[1][:10] + "UT0" + TD3[1][13:]], today=TODAY)
    assert r.valid and r.nationality == "UTO"
    assert [(x.field, x.read) for x in r.repairs] == [("nationality", "0")]


def test_format_errors_name_the_line() -> None:
    with pytest.raises(MrzFormatError, match="line 2: 43 characters"):
        parse_mrz([TD3[0], TD3[1][:-1]])
    with pytest.raises(MrzFormatError, match="line 1: characters not allowed"):
        parse_mrz([TD3[0].replace("<", "#", 1), TD3[1]])
    with pytest.raises(MrzFormatError, match="expected 2 or 3 lines"):
        parse_mrz([TD3[0]])


def test_generated_people_round_trip() -> None:
    for person in SPECIMEN_PEOPLE:
        for lines in (td3_lines(person), td1_lines(person)):
            r = parse_mrz(lines, today=TODAY)
            assert r.valid, (lines, r.errors())
            assert r.document_number == person.number and r.birth_date == person.birth
