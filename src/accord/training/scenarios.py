"""Scenario drills: a simulated foreign visitor, and the steps, notices and deadlines the trainee
must choose, checked against the case guidance engine.

Why the guidance engine and not an answer key: the checklist of a case type (with its
citations, deadlines and the verification status of each legal fact) is what the case pages
hold officers to; a drill that kept its own answers would drift from it. A scenario file names
the case type, the visitor's words (in their language, with a gloss) and distractor steps from
other case types; the required steps and the deadlines are read from the checklist when the
drill is shown and when it is checked.

The visitor's words are shown as text. Reading them aloud through the speech capability
(``interpret.speak``) would record a training session under a purpose registered for real
casework; that needs a training purpose in the capability's registration first (a DPO's
decision), so the drill does not do it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from accord.core.errors import NotFound
from accord.core.i18n import N_
from accord.training.courses import CourseError, Text, _keys, _text

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
_KEYS = {"id", "version", "case_type", "language", "title", "visitor", "distractors",
         "pass_mark", "nationality", "speaks_chinese", "events"}


@dataclass(frozen=True)
class Line:
    text: str
    gloss: Text


@dataclass(frozen=True)
class Scenario:
    id: str
    version: int
    case_type: str
    language: str
    title: Text
    visitor: tuple[Line, ...]
    distractors: tuple[str, ...]  # "<case type>/<step id>"
    pass_mark: float
    nationality: str  # ISO 3166-1 alpha-3: decides whether a bilateral agreement applies
    speaks_chinese: bool
    events: tuple[str, ...]  # what has happened in the scripted case (guidance event kinds)


@dataclass(frozen=True)
class Option:
    """A step the trainee may choose: from this scenario's checklist or a distractor."""

    key: str  # "<case type>/<step id>"
    title: Text
    citation: Text
    required: bool  # a step of this case's checklist that applies to what happened
    applies_elsewhere: bool  # a step of this checklist that does not apply here
    fact_status: str
    period: timedelta | None  # the deadline to pick, where the step's checklist states one


def parse_scenario(name: str, raw: bytes, guidance: Any) -> Scenario:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise CourseError(f"{name}: not YAML ({error})") from None
    data = _keys(name, data, _KEYS, _KEYS)
    from accord.cases.vocab import EVENT_KINDS

    events = tuple(str(e) for e in data["events"])
    unknown = [e for e in events if e not in EVENT_KINDS]
    if unknown or not events:
        raise CourseError(f"{name}: events must be guidance event kinds (unknown: "
                          f"{', '.join(unknown) or 'none given'})")
    case_type = str(data["case_type"])
    if case_type not in guidance.checklists:
        raise CourseError(f"{name}: case_type {case_type!r} has no guidance checklist")
    own = {step.id for step in guidance.checklists[case_type].steps}
    distractors = tuple(str(d) for d in data["distractors"])
    for key in distractors:
        other, _, step_id = key.partition("/")
        steps = guidance.checklists.get(other)
        if steps is None or step_id not in {s.id for s in steps.steps}:
            raise CourseError(f"{name}: distractor {key!r} is not a guidance step")
        if step_id in own:
            raise CourseError(f"{name}: distractor {key!r} is also a step of {case_type}")
    visitor = data["visitor"]
    if not isinstance(visitor, list) or not visitor:
        raise CourseError(f"{name}: the visitor says something")
    lines = tuple(Line(str(_keys(f"{name}: visitor {i + 1}", line, {"text", "gloss"},
                                 {"text", "gloss"})["text"]),
                       _text(f"{name}: visitor {i + 1}.gloss", line["gloss"]))
                  for i, line in enumerate(visitor))
    pass_mark = data["pass_mark"]
    if not isinstance(pass_mark, (int, float)) or not 0 < pass_mark <= 1:
        raise CourseError(f"{name}: pass_mark must be a share in (0, 1]")
    return Scenario(str(data["id"]), int(data["version"]), case_type, str(data["language"]),
                    _text(f"{name}: title", data["title"]), lines, distractors,
                    float(pass_mark), str(data["nationality"]).upper(),
                    bool(data["speaks_chinese"]), events)


def applies(found: Scenario, step: Any, treaties: Any) -> bool:
    """Whether a checklist step applies to what happened, by the guidance engine's own rules:
    its clock starts on one of the events, a treaty step only for a nationality with a mandatory
    agreement, an interpreter step only for someone who does not speak Chinese."""
    if not set(step.anchor) & set(found.events):
        return False
    if step.treaty:
        treaty = treaties.get(found.nationality)
        if treaty is None or not treaty.mandatory:
            return False
    return not (step.requires_interpreter and found.speaks_chinese)


_lock = threading.Lock()
_scenarios: dict[str, Scenario] | None = None


def scenarios() -> dict[str, Scenario]:
    from accord.cases.guidance import get_guidance

    global _scenarios
    with _lock:
        if _scenarios is None:
            guidance = get_guidance()
            _scenarios = {}
            for path in sorted(SCENARIO_DIR.glob("*.yaml")):
                scenario = parse_scenario(path.name, path.read_bytes(), guidance)
                _scenarios[scenario.id] = scenario
        return _scenarios


def scenario(scenario_id: str) -> Scenario:
    found = scenarios().get(scenario_id)
    if found is None:
        raise NotFound(N_("No scenario %(id)s."), id=scenario_id)
    return found


def options(found: Scenario, confirmations: Any = None) -> list[Option]:
    """The steps offered, in a fixed order (the checklist's steps and the distractors, sorted by
    key, so the required ones are not simply the first)."""
    from accord.cases.guidance import get_guidance, shown_status

    guidance = get_guidance()
    keys = [f"{found.case_type}/{s.id}" for s in guidance.checklists[found.case_type].steps]
    result = []
    for key in sorted([*keys, *found.distractors]):
        case_type, _, step_id = key.partition("/")
        step = next(s for s in guidance.checklists[case_type].steps if s.id == step_id)
        fact = guidance.facts[step.fact]
        own = case_type == found.case_type
        required = own and applies(found, step, guidance.treaties)
        result.append(Option(key, Text(step.title_en, step.title_zh),
                             Text(step.citation, step.citation_zh),
                             required, own and not required,
                             shown_status(fact, confirmations or {}),
                             # every step with a stated period gets a deadline to choose, a
                             # distractor too, so the form does not tell which steps belong
                             step.period))
    return result


def deadline_choices(period: timedelta) -> list[timedelta]:
    """The stated period and two wrong ones (half and double), in increasing order."""
    return sorted({period / 2, period, period * 2})


def label(period: timedelta) -> str:
    hours = int(period.total_seconds() // 3600)
    return f"{hours // 24} d" if hours % 24 == 0 and hours >= 48 else f"{hours} h"


@dataclass(frozen=True)
class Feedback:
    key: str
    title: Text
    citation: Text
    verdict: str  # "met" | "missed" | "not-this-procedure" | "does-not-apply" | "wrong-deadline"
    expected_deadline: str = ""


def check(found: Scenario, chosen: set[str],
          deadlines: dict[str, str]) -> tuple[float, list[Feedback]]:
    """(share of required elements met, feedback per element): every required step chosen,
    with the right deadline where the law states one, and no step of another procedure."""
    offered = options(found)
    feedback: list[Feedback] = []
    elements = met = 0
    for option in offered:
        if option.required:
            elements += 1
            if option.key not in chosen:
                feedback.append(Feedback(option.key, option.title, option.citation, "missed"))
                continue
            if option.period is not None:
                elements += 1
                if deadlines.get(option.key) != label(option.period):
                    feedback.append(Feedback(option.key, option.title, option.citation,
                                             "wrong-deadline", label(option.period)))
                    met += 1  # the step itself was chosen
                    continue
                met += 1
            met += 1
            feedback.append(Feedback(option.key, option.title, option.citation, "met"))
        elif option.key in chosen:
            elements += 1  # choosing a step that does not belong costs an element
            feedback.append(Feedback(option.key, option.title, option.citation,
                                     "does-not-apply" if option.applies_elsewhere
                                     else "not-this-procedure"))
    return (met / elements if elements else 0.0), feedback
