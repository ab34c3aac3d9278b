"""Case-type suggestion: cue words with reasons, and no suggestion below the margin."""

from __future__ import annotations

from accord.cases.classify import classify, cue_book
from accord.cases.vocab import CASE_TYPES


def test_every_case_type_has_english_and_chinese_cues() -> None:
    book = cue_book()
    assert set(book.cues) == set(CASE_TYPES)
    for case_type, by_language in book.cues.items():
        assert by_language.get("en") and by_language.get("zh"), case_type


def test_suggestion_carries_the_matched_cues() -> None:
    text = "A pickpocket stole my wallet on the bus."
    result = classify(text, "en")
    assert result["suggestion"] == "theft-victim" and result["confident"]
    top = result["ranking"][0]
    cues = {r["cue"] for r in top["reasons"]}
    assert {"pickpocket", "stole"} <= cues
    for reason in top["reasons"]:
        assert text[reason["start"] : reason["end"]] == reason["text"]


def test_chinese_suggestion() -> None:
    result = classify("他的签证已过期三个月，一直逾期居留。", "zh")
    assert result["suggestion"] == "illegal-stay"


def test_longer_cue_counts_once() -> None:
    result = classify("I lost my passport yesterday.", "en")
    top = result["ranking"][0]
    assert top["case_type"] == "lost-passport"
    assert [r["cue"] for r in top["reasons"]] == ["lost my passport"]


def test_no_confident_suggestion_when_nothing_or_a_tie() -> None:
    assert classify("I need some help please.", "en")["suggestion"] is None
    tie = classify("He was detained after the traffic accident.", "en")
    assert tie["suggestion"] is None and not tie["confident"]
    assert "no confident suggestion" in tie["reason"]


def test_other_languages_are_declined() -> None:
    result = classify("Me robaron el pasaporte", "es")
    assert result["suggestion"] is None and "English and Chinese only" in result["reason"]


def test_the_three_capabilities_are_registered_with_their_rules() -> None:
    from accord.core.registry import RiskTier, build_registry

    registry = build_registry()
    extract_cap = registry.get("cases.extract")
    hints_cap = registry.get("cases.inconsistency")
    classify_cap = registry.get("cases.classify")
    assert extract_cap.risk_tier is classify_cap.risk_tier is RiskTier.LIMITED
    assert hints_cap.risk_tier is RiskTier.HIGH  # weighs testimony: DPO assessments first
    for capability in (extract_cap, hints_cap, classify_cap):
        assert capability.roles == {"officer", "supervisor"}
        assert "case-handling" in capability.purposes
        assert (
            capability.model is not None and "TO-MEASURE" not in capability.model.measured_accuracy
        )
    assert not extract_cap.review_required and not classify_cap.review_required
    assert hints_cap.review_required and hints_cap.review_role == "supervisor"
    assert extract_cap.model is not None and extract_cap.model.digest.count("sha256:") == 2
    assert "spaCy" in extract_cap.model.version and "jieba" in extract_cap.model.version
