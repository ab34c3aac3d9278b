"""Inconsistency hints: same-topic value differences only, both passages, no scores."""

from __future__ import annotations

from accord.cases.evalset import pairs
from accord.cases.inconsistency import compare

A = (
    "On 20 November 2026 at 21:30 a Russian man in a red jacket took my phone near "
    "Sanlitun Road. Two men ran away. I called the police at 22:00."
)
B = (
    "It was 22:15 on 20 November 2026. The man was Ukrainian and wore a blue jacket. "
    "Three men ran away from Gongti Road. I called the police at 22:00."
)


def _run(a: str, b: str, lang: str = "en", **extra: object) -> dict:
    return compare({"text_a": a, "language_a": lang, "text_b": b, "language_b": lang, **extra})


def test_each_kind_of_difference_gives_one_hint_with_both_passages() -> None:
    result = _run(A, B)
    assert result["comparable"]
    by_kind = {(h["kind"], h["a"]["value"], h["b"]["value"]) for h in result["hints"]}
    assert by_kind == {
        ("time", "21:30", "22:15"),
        ("colour", "red", "blue"),
        ("quantity", "2", "3"),
        ("identity", "RUS", "UKR"),
        ("place", "Sanlitun Road", "Gongti Road"),
    }
    time_hint = next(h for h in result["hints"] if h["kind"] == "time")
    assert time_hint["explanation"] == (
        "Statement A says 21:30, statement B says 22:15 for the time of the incident."
    )
    assert time_hint["a"]["sentence"].startswith("On 20 November 2026 at 21:30")
    assert A[time_hint["a"]["start"] : time_hint["a"]["end"]] == "21:30"
    assert (
        B[time_hint["b"]["sentence_start"] : time_hint["b"]["sentence_end"]]
        == time_hint["b"]["sentence"]
    )


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_no_score_of_any_kind_in_the_output() -> None:
    result = _run(A, B)
    for key in _keys(result):
        assert not any(word in key for word in ("score", "credib", "truth", "confidence")), key
    # The only numbers are character offsets.
    for hint in result["hints"]:
        for side in ("a", "b"):
            numbers = {k for k, v in hint[side].items() if isinstance(v, int | float)}
            assert numbers == {"start", "end", "sentence_start", "sentence_end"}
    assert "not credibility or truthfulness judgements" in result["note"]


def test_rewording_with_the_same_values_gives_no_hint() -> None:
    reworded = (
        "At half past nine in the evening on 20 November 2026, near Sanlitun Road, "
        "a Russian man wearing a red jacket grabbed my phone. Two men ran off."
    )
    assert _run(A, reworded)["hints"] == []


def test_approximate_times_within_tolerance_are_not_hints() -> None:
    assert _run("It happened at 21:30.", "It happened around 21:50.")["hints"] == []
    assert len(_run("It happened at 21:30.", "It happened at 21:50.")["hints"]) == 1


def test_times_of_different_events_are_not_compared() -> None:
    result = _run("The fight started at 21:30.", "I called the police at 22:30.")
    assert result["hints"] == []


def test_self_descriptions_of_different_people_are_not_hints() -> None:
    a, b = "I am Russian and 30 years old.", "I am French and 52 years old."
    assert _run(a, b)["hints"] == []
    same = _run(a, b, same_speaker=True)["hints"]
    assert {h["kind"] for h in same} == {"identity"} and len(same) == 2


def test_name_spelling_variant() -> None:
    result = _run("My name is Ivan Petrov.", "I saw what happened to Ivan Petrow.")
    assert [(h["kind"], h["a"]["value"], h["b"]["value"]) for h in result["hints"]] == [
        ("identity", "Ivan Petrov", "Ivan Petrow")
    ]


def test_chinese_hints() -> None:
    result = _run(
        "晚上9点半，一个穿红色外套的男子在三里屯路抢走了我的手机。两个人跑了。",
        "大约晚上十点一刻，那个男子穿着黑色外套，在工体北路抢了我的手机。三个人跑了。",
        "zh",
    )
    kinds = {(h["kind"], h["a"]["value"], h["b"]["value"]) for h in result["hints"]}
    assert ("time", "21:30", "22:15") in kinds
    assert ("colour", "red", "black") in kinds
    assert ("quantity", "2", "3") in kinds
    assert ("place", "三里屯路", "工体北路") in kinds


def test_different_languages_need_a_common_translation() -> None:
    no = compare(
        {
            "text_a": "At 21:30 he left.",
            "language_a": "en",
            "text_b": "晚上十点他走了。",
            "language_b": "zh",
        }
    )
    assert not no["comparable"]
    assert no["reason"] == "not comparable: different languages without a common translation"
    via = compare(
        {
            "text_a": "At 21:30 a man in a red jacket took my phone.",
            "language_a": "en",
            "text_b": "晚上十点，一个穿蓝色外套的男子拿走了我的手机。",
            "language_b": "zh",
            "translation_b": "At 22:00 a man in a blue jacket took my phone.",
            "translation_language_b": "en",
        }
    )
    assert via["comparable"] and via["language"] == "en"
    assert via["hints"] and all(h["a"]["source"] == "translation" for h in via["hints"])
    assert {h["kind"] for h in via["hints"]} == {"time", "colour"}


def test_labelled_pairs_sample() -> None:
    """A small slice of the evaluation set, as a guard against regressions."""
    found = expected = false_hints = 0
    for pair in pairs(20, seed=7):
        result = _run(pair.a.text, pair.b.text, pair.language)
        expected += len(pair.hints)
        found += min(len(result["hints"]), len(pair.hints))
        if not pair.hints:
            false_hints += len(result["hints"])
    assert expected and found >= 0.8 * expected
    assert false_hints <= 1
