"""Answer validation per type, error messages in the person's language, the Chinese summary."""

from __future__ import annotations

from datetime import date

import pytest

from accord.interpret.answers import (
    NEEDS_INTERPRETATION,
    FieldError,
    chinese_summary,
    countries,
    validate_answers,
)
from accord.interpret.library import Question, get_library

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def library():  # type: ignore[no-untyped-def]
    return get_library()


def _lost_passport(**overrides: str) -> dict[str, str]:
    answers = {
        "what_happened": "stolen", "full_name": "María José O'Neill-García",
        "nationality": "es", "date_of_birth": "1990-02-28", "passport_number": "paa 123456",
        "incident_date": "2026-11-20", "incident_time": "21:15",
        "incident_location__lat": "39.9087", "incident_location__lon": "116,3975",
        "location_description": "En la estación de metro, salida B",
        "other_items": "yes", "stay_permission": "visa", "departure_date": "2026-12-01",
        "contact_phone": "+34 600 123 456",
        "anything_else": "Me robaron la mochila con el pasaporte y la cartera.",
    }
    answers.update(overrides)
    return answers


def _errors(library, form_id: str, answers: dict[str, str]) -> dict[str, FieldError]:  # type: ignore[no-untyped-def]
    return validate_answers(library.form(form_id), answers, today=TODAY).errors


def test_a_complete_answer_set_is_normalised(library) -> None:  # type: ignore[no-untyped-def]
    result = validate_answers(library.form("lost-passport"), _lost_passport(), today=TODAY)
    assert result.ok, result.errors
    values = result.values
    assert values["nationality"] == "ES"
    assert values["passport_number"] == "PAA123456"
    assert values["incident_location"] == {"lat": 39.9087, "lon": 116.3975}
    assert values["incident_time"] == "21:15"
    assert values["full_name"] == "María José O'Neill-García"


def test_required_missing_and_optional_empty(library) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(library, "lost-passport", _lost_passport(full_name="  ", incident_time="",
                                                              passport_number=""))
    assert errors["full_name"].code == "required"
    assert "incident_time" not in errors and "passport_number" not in errors


@pytest.mark.parametrize(("field", "value", "code"), [
    ("what_happened", "kidnapped", "choice"),
    ("nationality", "XX", "choice"),
    ("nationality", "EU", "choice"),  # a CLDR region, not a country
    ("date_of_birth", "28/02/1990", "date"),
    ("date_of_birth", "1990-02-30", "date"),
    ("date_of_birth", "1890-01-01", "date"),
    ("date_of_birth", "2027-01-01", "date_future"),
    ("incident_date", "1999-12-31", "date_early"),
    ("departure_date", "2026-11-01", "date_past"),
    ("incident_time", "25:00", "time"),
    ("incident_time", "9h30", "time"),
    ("passport_number", "ÄB12345", "document"),
    ("passport_number", "AB", "document"),
    ("contact_phone", "call me", "phone"),
    ("contact_phone", "+1 2", "phone"),
    ("full_name", "R2-D2", "name"),
    ("full_name", "<script>", "name"),
    ("full_name", "x" * 101, "too_long"),
    ("anything_else", "y" * 501, "too_long"),
    ("anything_else", "z" * 5000, "too_long"),
    ("anything_else", "bell\x07", "control"),
    ("anything_else", "evil\u202etxt.exe", "control"),
])
def test_bad_input_per_type(library, field: str, value: str, code: str) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(library, "lost-passport", _lost_passport(**{field: value}))
    assert field in errors, f"{field}={value!r} was accepted"
    assert errors[field].code == code


@pytest.mark.parametrize(("lat", "lon", "code"), [
    ("39.9", "", "location_incomplete"),
    ("", "116.4", "location_incomplete"),
    ("91", "116.4", "latitude"),
    ("north", "116.4", "latitude"),
    ("39.9", "-180.5", "longitude"),
])
def test_bad_map_points(library, lat: str, lon: str, code: str) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(library, "lost-passport", _lost_passport(
        incident_location__lat=lat, incident_location__lon=lon))
    assert errors["incident_location"].code == code


@pytest.mark.parametrize(("value", "code", "stored"), [
    ("1200.50", None, "1200.50"),
    ("1 200,5", None, "1200.5"),
    ("٢٥٠", None, "250"),  # Arabic-Indic digits are digits
    ("12.345", "decimals", None),
    ("-1", "number_min", None),
    ("100000000.01", "number_max", None),
    ("1e5", "number", None),
    ("ten", "number", None),
])
def test_amounts(library, value: str, code: str | None, stored: str | None) -> None:  # type: ignore[no-untyped-def]
    form = library.form("theft-fraud")
    answers = {"offence": "pickpocket", "incident_date": "2026-11-20", "items": "wallet",
               "injured": "no", "full_name": "Ana Ruiz", "nationality": "ES",
               "contact_phone": "+34 600 123 456", "amount": value}
    result = validate_answers(form, answers, today=TODAY)
    if code is None:
        assert result.ok, result.errors
        assert result.values["amount"] == stored
    else:
        assert result.errors["amount"].code == code


def test_whole_numbers_and_document_patterns(library) -> None:  # type: ignore[no-untyped-def]
    form = library.form("traffic-accident")
    base = {"role": "driver", "incident_date": "2026-11-20", "vehicle": "car",
            "vehicles_involved": "2", "injuries": "nobody", "accident_description": "Choque",
            "full_name": "Ana Ruiz", "nationality": "ES", "contact_phone": "+34 600 123 456"}
    assert validate_answers(form, {**base, "plate": "京A·12345"}, today=TODAY).ok
    assert validate_answers(form, {**base, "vehicles_involved": "2.5"}, today=TODAY) \
        .errors["vehicles_involved"].code == "whole_number"
    assert validate_answers(form, {**base, "vehicles_involved": "0"}, today=TODAY) \
        .errors["vehicles_involved"].code == "number_min"
    assert validate_answers(form, {**base, "plate": "<b>"}, today=TODAY) \
        .errors["plate"].code == "document"


def test_errors_are_in_the_persons_language(library) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(library, "lost-passport", _lost_passport(date_of_birth="1990-13-01",
                                                              anything_else="x" * 600))
    assert errors["date_of_birth"].message(library, "es").startswith("Introduzca una fecha")
    assert errors["date_of_birth"].message(library, "ar").startswith("يرجى إدخال تاريخ")
    assert errors["date_of_birth"].message(library, "zh").startswith("请输入有效日期")
    assert errors["anything_else"].message(library, "de") == "Zu lang: höchstens 500 Zeichen."
    # A language without texts falls back to English.
    assert errors["date_of_birth"].message(library, "sw").startswith("Please enter a valid date")


def test_countries_are_named_in_each_language() -> None:
    names = dict(countries("zh"))
    assert names["FR"] == "法国" and "EU" not in names and "ZZ" not in names
    assert dict(countries("ar"))["ES"] == "إسبانيا"
    assert len(names) > 240


# -- the officer's Chinese summary ---------------------------------------------------------------
def test_chinese_summary_of_a_spanish_submission(library) -> None:  # type: ignore[no-untyped-def]
    form = library.form("lost-passport")
    result = validate_answers(form, _lost_passport(), today=TODAY)
    summary = chinese_summary(form, result.values, "es")
    rows = {row.question_id: row for row in summary.rows}
    assert summary.title_zh == "护照遗失或被盗"
    assert summary.language_zh == "西班牙语"
    assert rows["what_happened"].label_zh == "发生了什么？"
    assert rows["what_happened"].value_zh == "被盗或被抢"  # the choice's Chinese label
    assert rows["other_items"].value_zh == "是"
    assert rows["nationality"].value_zh == "西班牙（ES）"
    assert rows["incident_date"].value_zh == "2026-11-20"  # dates are language-neutral
    assert rows["incident_location"].value_zh == "纬度 39.9087，经度 116.3975"
    # Free text is verbatim Spanish, flagged for an interpreter, never translated.
    free = rows["anything_else"]
    assert free.needs_interpretation and free.original_language == "es"
    assert free.value_zh == "Me robaron la mochila con el pasaporte y la cartera."
    assert not rows["what_happened"].needs_interpretation
    assert summary.needs_interpretation == 2  # location description and anything else
    text = summary.as_text()
    assert "发生了什么？：被盗或被抢" in text
    assert (f"还有其他需要民警了解的情况吗？：【{NEEDS_INTERPRETATION}·原文为西班牙语】"
            "«Me robaron la mochila con el pasaporte y la cartera.»") in text
    assert "robaron" not in text.split("«")[0]


def test_unanswered_optional_questions_are_shown_as_such(library) -> None:  # type: ignore[no-untyped-def]
    form = library.form("lost-passport")
    answers = _lost_passport(anything_else="", incident_time="", passport_number="")
    result = validate_answers(form, answers, today=TODAY)
    summary = chinese_summary(form, result.values, "es")
    rows = {row.question_id: row for row in summary.rows}
    assert not rows["anything_else"].answered and rows["anything_else"].value_zh == "未回答"
    assert not rows["anything_else"].needs_interpretation


def test_chinese_free_text_needs_no_interpreter(library) -> None:  # type: ignore[no-untyped-def]
    form = library.form("lost-passport")
    result = validate_answers(form, _lost_passport(anything_else="背包被偷了"), today=TODAY)
    rows = {r.question_id: r for r in chinese_summary(form, result.values, "zh").rows}
    assert not rows["anything_else"].needs_interpretation


def test_question_types_flag_only_free_text() -> None:
    label = get_library().form("dispute").question("dispute_kind").label
    assert Question("q", "text", label).needs_interpretation
    assert not Question("q", "name", label).needs_interpretation
