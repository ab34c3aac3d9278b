"""Entity extraction: real spaCy and jieba models plus the normalising rules."""

from __future__ import annotations

from typing import Any

import pytest

from accord.cases.extract import extract, zh_number


def _by_kind(result: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for e in result["entities"]:
        out.setdefault(e["kind"], []).append((e["text"], e["value"]))
    return out


EN = (
    "On 20 November 2026 at 21:30 a Russian man named Ivan Petrov took my passport "
    "E12345678 and 500 yuan near Sanlitun Road. Two men in a red jacket ran away. "
    "He was about 30 years old."
)


def test_english_entities_are_found_and_normalised() -> None:
    result = extract(EN, "en")
    kinds = _by_kind(result)
    assert ("21:30", "21:30") in kinds["time"]
    assert ("20 November 2026", "2026-11-20") in kinds["date"]
    assert ("Ivan Petrov", "Ivan Petrov") in kinds["person"]
    assert ("Russian", "RUS") in kinds["nationality"]
    assert ("500 yuan", "500 CNY") in kinds["amount"]
    assert ("Sanlitun Road", "Sanlitun Road") in kinds["place"]
    assert ("Two men", "2") in kinds["quantity"]
    assert ("red", "red") in kinds["colour"]
    assert ("30 years old", "30") in kinds["age"]
    colour = next(e for e in result["entities"] if e["kind"] == "colour")
    assert colour["attrs"]["object"] == "jacket"
    for entity in result["entities"]:  # spans point at the text
        assert EN[entity["start"] : entity["end"]] == entity["text"]


def test_passport_number_is_a_document_not_a_date() -> None:
    """The small spaCy model tags passport numbers as DATE; the rule wins."""
    result = extract("My passport number is E12345678, issued in 2019.", "en")
    documents = [e for e in result["entities"] if e["kind"] == "document"]
    assert [(d["text"], d["value"], d["attrs"]["type"]) for d in documents] == [
        ("E12345678", "E12345678", "passport")
    ]
    assert not any(e["kind"] == "date" and "E123" in e["text"] for e in result["entities"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("at half past nine in the evening", "21:30"),
        ("at 9:30 pm", "21:30"),
        ("at twenty to nine in the morning", "08:40"),
        ("around midnight", "00:00"),
        ("at 12:15 am", "00:15"),
    ],
)
def test_english_times(text: str, value: str) -> None:
    times = [e["value"] for e in extract(text, "en")["entities"] if e["kind"] == "time"]
    assert times == [value]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("晚上9点半", "time", "21:30"),
        ("下午三点", "time", "15:00"),
        ("21:30", "time", "21:30"),
        ("凌晨两点十五分", "time", "02:15"),
        ("11月20日", "date", "--11-20"),
        ("2026年11月20日", "date", "2026-11-20"),
        ("500元", "amount", "500 CNY"),
        ("三千元", "amount", "3000 CNY"),
        ("人民币1200元", "amount", "1200 CNY"),
        ("红色", "colour", "red"),
        ("黑色", "colour", "black"),
        ("车牌京A·12345", "document", "京A12345"),
        ("他大约30岁", "age", "30"),
    ],
)
def test_chinese_rules(text: str, kind: str, value: str) -> None:
    found = [(e["kind"], e["value"]) for e in extract(text, "zh")["entities"]]
    assert (kind, value) in found


def test_chinese_people_places_nationalities_quantities() -> None:
    text = "张伟说，一名俄罗斯男子穿着红色外套，在工体北路抢走了他的手机。两个人跑了。"
    kinds = _by_kind(extract(text, "zh"))
    assert ("张伟", "张伟") in kinds["person"]
    assert ("俄罗斯", "RUS") in kinds["nationality"]
    assert any(v == "工体北路" for _, v in kinds["place"])
    assert ("两个人", "2") in kinds["quantity"]
    colour = next(e for e in extract(text, "zh")["entities"] if e["kind"] == "colour")
    assert colour["attrs"]["object"] == "jacket"


def test_other_languages_get_rules_only_and_say_so() -> None:
    result = extract(
        "Le 20/11/2026 vers 21h30, un homme en veste rouge a pris 500 euros et "
        "mon passeport 12AB34567. Il s'appelle Jean Dupont.",
        "fr",
    )
    assert result["coverage"]["engine"] == "rules only"
    assert "People" in result["coverage"]["note"]
    kinds = _by_kind(result)
    assert kinds["date"] == [("20/11/2026", "2026-11-20")]
    assert kinds["time"] == [("21h30", "21:30")]
    assert kinds["colour"] == [("rouge", "red")]
    assert kinds["amount"] == [("500 euros", "500 EUR")]
    assert kinds["document"][0][1] == "12AB34567"
    assert "person" not in kinds


def test_russian_colours_by_stem() -> None:
    result = extract("На нём была красная куртка, это было в 22:15.", "ru")
    kinds = _by_kind(result)
    assert kinds["colour"] == [("красная", "red")]
    assert kinds["time"] == [("22:15", "22:15")]


def test_chinese_numerals() -> None:
    assert zh_number("三千") == 3000
    assert zh_number("二十三") == 23
    assert zh_number("十五") == 15
    assert zh_number("两万五千") == 25000
    assert zh_number("abc") is None
