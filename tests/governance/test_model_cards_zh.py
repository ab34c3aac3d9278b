"""Model cards and hint topics in the Chinese UI: a translated card is shown in Chinese (same
figures as the English record); a card not yet translated is listed here and shows its English
record marked lang="en"; a hint's topic is worded in Chinese from the same grammar that builds
the English label."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from accord.cases import inconsistency
from accord.core.governance import get_governance
from tests.english_leftovers import english_words

#: Cards whose Chinese text is still to be written (their English record is shown, marked as
#: English). All 17 cards are translated; a new card added without its Chinese texts must be
#: listed here, and a card translated must leave it: the test below fails otherwise.
UNTRANSLATED: set[str] = set()


def _cards() -> dict[str, object]:
    return {c.id: c.model for c in get_governance().registry.all()
            if c.model is not None and not c.prohibited}


def test_translated_cards_are_complete_and_chinese(client: TestClient) -> None:
    cards = _cards()
    assert len(cards) >= 17
    translated = {cid for cid, card in cards.items() if card.in_chinese()}  # type: ignore[attr-defined]
    assert set(cards) - translated == UNTRANSLATED
    for cid in translated:
        card = cards[cid]
        texts = [card.measured_accuracy_zh, card.training_data_zh,  # type: ignore[attr-defined]
                 card.intended_use_zh, *card.known_limitations_zh]  # type: ignore[attr-defined]
        html = "".join(f"<p>{t}</p>" for t in texts)
        assert english_words(html) == [], (cid, english_words(html))
        # The same figures as the English record: every number of the English measured
        # accuracy (bar the run's date and commit) appears in the Chinese one.
        english = card.measured_accuracy.split(" (measured ")[0]  # type: ignore[attr-defined]
        for number in re.findall(r"\d+(?:[.,]\d+)*", english):
            assert number in card.measured_accuracy_zh, (cid, number)  # type: ignore[attr-defined]


def test_transparency_page_shows_translated_cards_in_chinese(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    page = client.get("/transparency", headers={"Accept-Language": "zh-CN"}).text
    recommend = get_governance().registry.get("dispatch.recommend").model
    assert recommend is not None and recommend.measured_accuracy_zh in page
    assert "路网覆盖范围以外只有标明为直线距离的估算。" in page
    assert str(escape(recommend.known_limitations[-2])) not in page
    # Every card is translated now; a card added without its Chinese texts (simulated here by
    # stripping them from one) keeps its English record, marked as English.
    registry = get_governance().registry
    entry = registry.get("knowledge.lookup")
    assert entry.model is not None and entry.model.in_chinese()
    assert entry.model.training_data_zh in page
    english_only = replace(entry.model, measured_accuracy_zh="", training_data_zh="",
                           intended_use_zh="", known_limitations_zh=())
    monkeypatch.setitem(registry._capabilities, entry.id, replace(entry, model=english_only))
    page = client.get("/transparency", headers={"Accept-Language": "zh-CN"}).text
    assert f'<dd lang="en" translate="no">{escape(english_only.training_data)}</dd>' in page
    assert entry.model.training_data_zh not in page
    english = client.get("/transparency", headers={"Accept-Language": "en"}).text
    assert str(escape(recommend.known_limitations[-2])) in english
    assert recommend.measured_accuracy_zh not in english


def test_every_hint_topic_has_a_chinese_wording() -> None:
    labels = [f"{what} of {topic}" for what in ("time", "date", "place", "day")
              for topic in inconsistency._TOPIC_LABEL.values()]
    referents = {name for table in inconsistency._REFERENTS.values() for name, _ in table}
    for who in referents | {"other"}:
        label = "the person giving the statement" if who == "speaker" else f"the {who}"
        labels += [f"nationality of {label}", f"age of {label}"]
    labels += [label for _, label in inconsistency._PAIRED_LABELS.values()]
    labels += ["spelling of a name", "amount of money", "identifier", "number of phones",
               "colour of the jacket", "number of “手机”"]
    for label in labels:
        wording = inconsistency.about_zh(label)
        assert wording and not re.search(r"[A-Za-z]{3,}", wording), (label, wording)
    assert inconsistency.about_zh("number of “手机”") == "手机的数量"
    assert inconsistency.about_zh("time of the report to the police") == "报警时间"
    assert inconsistency.about_zh("something new") == ""  # never the English label instead


def test_real_hints_have_chinese_topics() -> None:
    hints = inconsistency.compare_texts(
        "The theft happened at 9:15 on Tuesday. I had 2 phones in a red bag.",
        "The theft happened at 10:45 on Tuesday. I had 3 phones in a blue bag.", "en")
    assert len(hints) >= 2
    for hint in hints:
        assert inconsistency.about_zh(hint["about"]), hint["about"]
