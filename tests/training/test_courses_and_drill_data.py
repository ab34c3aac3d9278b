"""Course and drill data: the shipped files load, and broken files are refused with the place
named (no database)."""

from __future__ import annotations

import pytest

from accord.training.courses import CourseError, courses, parse_course
from accord.training.drills import Judgement, drills, parse_drill, score

COURSE = b"""
id: c
version: 1
title: {en: T, zh: T}
summary: {en: S, zh: S}
certificate: c
valid_days: 30
required_for: []
lessons:
  - id: l
    title: {en: L, zh: L}
    body: {en: B, zh: B}
    sources: [a source]
    pass_mark: 1.0
    questions:
      - text: {en: Q, zh: Q}
        choices: [{en: a, zh: a}, {en: b, zh: b}]
        answer: 1
"""


def test_shipped_courses_cover_the_four_subjects_with_assessments_and_sources() -> None:
    catalogue = courses()
    assert set(catalogue) == {"ai-literacy", "foreign-procedure", "communication",
                              "digital-ethics"}
    assert "cases.inconsistency" in catalogue["ai-literacy"].required_for
    for course in catalogue.values():
        for lesson in course.lessons:
            assert lesson.sources and lesson.questions and 0 < lesson.pass_mark <= 1
            assert lesson.title.en and lesson.title.zh and lesson.body.zh
            # wrapped YAML lines are joined: no stray spaces inside a Chinese paragraph
            assert "\n" not in lesson.body.zh.replace("\n\n", "") and "  " not in lesson.body.zh
    guided = [lesson.guidance for lesson in catalogue["foreign-procedure"].lessons]
    assert "detention" in guided and "lost-passport" in guided


def test_a_valid_course_parses() -> None:
    course = parse_course("c.yaml", COURSE)
    assert course.lessons[0].questions[0].answer == 1 and len(course.digest) == 64


@pytest.mark.parametrize(("old", "new", "message"), [
    (b"answer: 1", b"answer: 2", "answer must be the index"),
    (b"sources: [a source]", b"sources: []", "names its sources"),
    (b"pass_mark: 1.0", b"pass_mark: 0", "pass_mark"),
    (b"valid_days: 30", b"valid_days: 0", "valid_days"),
    (b"    pass_mark: 1.0", b"    pass_mark: 1.0\n    guidance: no-such-type", "not a case type"),
    (b"summary: {en: S, zh: S}", b"summary: {en: S}", "exactly 'en' and 'zh'"),
    (b"required_for: []", b"required_for: []\ncolour: red", "unknown keys colour"),
])
def test_broken_courses_are_refused_naming_the_place(old: bytes, new: bytes,
                                                     message: str) -> None:
    with pytest.raises(CourseError, match=message):
        parse_course("c.yaml", COURSE.replace(old, new), case_types={"detention"})


DRILL = b"""
id: d
version: 1
title: {en: D, zh: D}
summary: {en: S, zh: S}
course: ai-literacy
items:
  - id: i
    capability: cases.classify
    material: {en: M, zh: M}
    options: [{en: a, zh: a}, {en: b, zh: b}]
    answer: 0
    suggestion: 1
    seeded_error: true
    why: {en: W, zh: W}
"""


def test_seeded_errors_must_agree_with_the_answer_and_suggestion() -> None:
    assert parse_drill("d.yaml", DRILL).items[0].seeded_error
    with pytest.raises(CourseError, match="seeded_error is true but the suggestion equals"):
        parse_drill("d.yaml", DRILL.replace(b"suggestion: 1", b"suggestion: 0"))
    with pytest.raises(CourseError, match="at least one seeded error"):
        parse_drill("d.yaml", DRILL.replace(b"suggestion: 1", b"suggestion: 0")
                    .replace(b"seeded_error: true", b"seeded_error: false"))


def test_shipped_drill_has_seeded_errors_of_each_kind_of_suggestion() -> None:
    drill = drills()["automation-bias"]
    seeded = [item for item in drill.items if item.seeded_error]
    assert 0 < len(seeded) < len(drill.items)  # some suggestions are right, some wrong
    assert {item.capability for item in drill.items} >= {
        "interpret.translate", "cases.classify", "cases.inconsistency", "forecast.hotspots"}


def test_scoring_counts_caught_missed_and_over_reliance() -> None:
    judgements = [
        # seeded error, right alone, kept own answer: caught
        Judgement("a", answer=0, suggestion=1, before=0, after=0),
        # seeded error, right alone, switched to the wrong suggestion: missed, over-reliance
        Judgement("b", answer=0, suggestion=1, before=0, after=1),
        # seeded error, wrong alone, followed: missed but not a switch
        Judgement("c", answer=0, suggestion=1, before=1, after=1),
        # right suggestion, followed
        Judgement("d", answer=0, suggestion=0, before=1, after=0),
        # seeded error, wrong alone (a third option), not following the suggestion: caught
        # though still not the answer
        Judgement("e", answer=0, suggestion=1, before=2, after=2),
    ]
    result = score(judgements)
    assert (result.seeded, result.caught, result.missed) == (4, 2, 2)
    assert [j.item_id for j in judgements if j.caught] == ["a", "e"]
    assert result.catch_rate == pytest.approx(2 / 4)
    assert (result.right_alone, result.switched) == (2, 1)
    assert result.over_reliance == pytest.approx(0.5)
    assert (result.correct_before, result.correct_after) == (2, 2)


def test_rates_over_nothing_are_not_zero() -> None:
    result = score([Judgement("d", answer=0, suggestion=0, before=0, after=0)])
    assert result.catch_rate is None and result.over_reliance is None
