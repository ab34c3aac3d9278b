"""Automation-bias drills: data (``drills/*.yaml``) and scoring.

Why two judgements per item: automation bias is the drop from what a person would have decided
alone to what they decide once a machine has spoken. The trainee judges each item first without
the AI suggestion, then with it. Some suggestions are deliberately wrong (``seeded_error``), so
the drill can count:

* **caught** — a seeded error the trainee did not follow (final answer differs from the wrong
  suggestion); **missed** — one the trainee followed;
* **catch rate** — caught / seeded errors judged;
* **over-reliance** — among seeded errors that the trainee had judged correctly alone, the share
  where they switched to the wrong suggestion once they saw it. ``None`` when there is no such
  item: a rate over nothing is not zero.

The scoring is pure (no database) so that it can be tested on its own and used for a trainee, a
cohort or a whole drill alike.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accord.core.errors import NotFound
from accord.core.i18n import N_
from accord.training.courses import CourseError, Text, _keys, _text

DRILL_DIR = Path(__file__).resolve().parent / "drills"
_DRILL_KEYS = {"id", "version", "title", "summary", "course", "items", "pass_mark",
               "completes_lesson"}
_ITEM_KEYS = {"id", "capability", "material", "options", "answer", "suggestion", "seeded_error",
              "why"}


@dataclass(frozen=True)
class DrillItem:
    id: str
    capability: str
    material: Text
    options: tuple[Text, ...]
    answer: int
    suggestion: int
    seeded_error: bool
    why: Text


@dataclass(frozen=True)
class Drill:
    id: str
    version: int
    title: Text
    summary: Text
    course: str
    items: tuple[DrillItem, ...]
    pass_mark: float  # the catch rate that passes the drill
    completes_lesson: str  # the lesson of ``course`` that a pass counts for ("" none)

    def item(self, item_id: str) -> DrillItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(N_("No drill item %(id)s."), id=item_id)


def _index(where: str, value: Any, size: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < size:
        raise CourseError(f"{where}: must be the index of one of the {size} options")
    return value


def _item(where: str, data: Any) -> DrillItem:
    data = _keys(where, data, _ITEM_KEYS, _ITEM_KEYS)
    options = data["options"]
    if not isinstance(options, list) or len(options) < 2:
        raise CourseError(f"{where}: an item needs at least two options")
    answer = _index(f"{where}.answer", data["answer"], len(options))
    suggestion = _index(f"{where}.suggestion", data["suggestion"], len(options))
    seeded = data["seeded_error"]
    if not isinstance(seeded, bool):
        raise CourseError(f"{where}: seeded_error must be true or false")
    if seeded != (answer != suggestion):
        raise CourseError(f"{where}: seeded_error is {str(seeded).lower()} but the suggestion "
                          f"{'equals' if answer == suggestion else 'differs from'} the answer")
    return DrillItem(str(data["id"]), str(data["capability"]),
                     _text(f"{where}.material", data["material"]),
                     tuple(_text(f"{where}.options[{i}]", o) for i, o in enumerate(options)),
                     answer, suggestion, seeded, _text(f"{where}.why", data["why"]))


def parse_drill(name: str, raw: bytes) -> Drill:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise CourseError(f"{name}: not YAML ({error})") from None
    data = _keys(name, data, _DRILL_KEYS, _DRILL_KEYS - {"pass_mark", "completes_lesson"})
    items = data["items"]
    if not isinstance(items, list) or not items:
        raise CourseError(f"{name}: a drill has items")
    parsed = tuple(_item(f"{name}: item {i + 1}", item) for i, item in enumerate(items))
    if not any(item.seeded_error for item in parsed):
        raise CourseError(f"{name}: a drill needs at least one seeded error")
    if len({item.id for item in parsed}) != len(parsed):
        raise CourseError(f"{name}: item ids repeat")
    pass_mark = data.get("pass_mark", 1.0)
    if not isinstance(pass_mark, (int, float)) or not 0 < pass_mark <= 1:
        raise CourseError(f"{name}: pass_mark must be a share in (0, 1]")
    return Drill(str(data["id"]), int(data["version"]), _text(f"{name}: title", data["title"]),
                 _text(f"{name}: summary", data["summary"]), str(data["course"]), parsed,
                 float(pass_mark), str(data.get("completes_lesson", "")))


_lock = threading.Lock()
_drills: dict[str, Drill] | None = None


def drills() -> dict[str, Drill]:
    global _drills
    with _lock:
        if _drills is None:
            _drills = {}
            for path in sorted(DRILL_DIR.glob("*.yaml")):
                drill = parse_drill(path.name, path.read_bytes())
                _drills[drill.id] = drill
        return _drills


def drill(drill_id: str) -> Drill:
    found = drills().get(drill_id)
    if found is None:
        raise NotFound(N_("No drill %(id)s."), id=drill_id)
    return found


# -- scoring -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    """One item as judged: the data's answer and suggestion, and the trainee's two choices."""

    item_id: str
    answer: int
    suggestion: int
    before: int
    after: int

    @property
    def seeded_error(self) -> bool:
        return self.answer != self.suggestion

    @property
    def caught(self) -> bool:
        return self.seeded_error and self.after != self.suggestion

    @property
    def missed(self) -> bool:
        return self.seeded_error and self.after == self.suggestion


@dataclass(frozen=True)
class Score:
    judged: int
    seeded: int
    caught: int
    missed: int
    right_alone: int  # seeded errors the trainee judged correctly before seeing the suggestion
    switched: int  # of those, switched to the wrong suggestion after seeing it
    correct_before: int
    correct_after: int

    @property
    def catch_rate(self) -> float | None:
        return self.caught / self.seeded if self.seeded else None

    @property
    def over_reliance(self) -> float | None:
        return self.switched / self.right_alone if self.right_alone else None

    def as_dict(self) -> dict[str, Any]:
        return {"judged": self.judged, "seeded_errors": self.seeded, "caught": self.caught,
                "missed": self.missed, "catch_rate": self.catch_rate,
                "right_alone_on_seeded": self.right_alone, "switched_to_wrong_ai": self.switched,
                "over_reliance": self.over_reliance, "correct_before": self.correct_before,
                "correct_after": self.correct_after}


def score(judgements: Iterable[Judgement]) -> Score:
    items = list(judgements)
    seeded = [j for j in items if j.seeded_error]
    right_alone = [j for j in seeded if j.before == j.answer]
    return Score(
        judged=len(items), seeded=len(seeded),
        caught=sum(1 for j in seeded if j.caught), missed=sum(1 for j in seeded if j.missed),
        right_alone=len(right_alone),
        switched=sum(1 for j in right_alone if j.after == j.suggestion),
        correct_before=sum(1 for j in items if j.before == j.answer),
        correct_after=sum(1 for j in items if j.after == j.answer),
    )
