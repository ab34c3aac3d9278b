"""Triage rules: the type and priority suggested, and the cues that led there."""

from __future__ import annotations

import pytest

from accord.core.errors import ValidationFailed
from accord.dispatch.triage import suggest


def test_cues_in_the_narrative_suggest_the_type_and_are_listed() -> None:
    result = suggest("", "Мне украли паспорт в метро", {})
    assert (result["type"], result["priority"], result["method"]) == ("theft", 3, "rules")
    cues = [c["cue"] for c in result["cues"]]
    assert "narrative mentions 'украли'" in cues and "narrative mentions 'паспорт'" in cues


def test_weapon_makes_priority_one_and_says_so() -> None:
    result = suggest("theft", "he took my phone", {"weapon": "yes"})
    assert result["type"] == "theft" and result["priority"] == 1
    assert {"cue": "caller reports a weapon", "effect": "priority 1"} in result["cues"]


def test_in_progress_raises_and_over_lowers() -> None:
    assert suggest("noise", "", {"in_progress": "yes"})["priority"] == 4
    assert suggest("theft", "", {"over_no_danger": "yes"})["priority"] == 4


def test_chinese_narrative_and_no_cue_default() -> None:
    assert suggest("", "有人持刀打人", {})["type"] == "violence-in-progress"
    empty = suggest("", "hello", {})
    assert empty["type"] == "public-information"
    assert empty["cues"][0]["cue"] == "no type cue found"


def test_unknown_type_hint_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        suggest("alien-landing", "", {})
