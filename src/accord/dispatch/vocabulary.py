"""The incident-type vocabulary, read from ``incident_types.yaml``.

Types are data so that a service can change a default priority or add a type without a code
change; intake refuses any code that is not in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

VOCABULARY_FILE = Path(__file__).resolve().parent / "incident_types.yaml"


@dataclass(frozen=True)
class Question:
    """A guided intake question, in Chinese and English; ``phrase`` names the phrasebook entry
    that gives it in the caller's language (read through ``core.contract.phrase_text``)."""

    zh: str
    en: str
    phrase: str = ""


@dataclass(frozen=True)
class IncidentType:
    code: str
    priority: int  # 1 = most urgent … 5 = least
    en: str
    zh: str
    cap_category: str
    skills: tuple[str, ...]
    cues: tuple[str, ...]
    #: Officer-safety timer: minutes a unit may stay on scene without a status update or a
    #: dispatcher's check before the board flags it.
    safety_minutes: int
    questions: tuple[Question, ...] = ()

    def name(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


@lru_cache(maxsize=1)
def incident_types() -> dict[str, IncidentType]:
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    types: dict[str, IncidentType] = {}
    default_minutes = int(raw["safety_timer_minutes"])
    for entry in raw["types"]:
        priority = int(entry["priority"])
        if not 1 <= priority <= 5:
            raise ValueError(f"{entry['code']}: priority must be 1-5")
        types[entry["code"]] = IncidentType(
            code=entry["code"], priority=priority, en=entry["en"], zh=entry["zh"],
            cap_category=entry.get("cap_category", "Other"),
            skills=tuple(entry.get("skills") or ()),
            cues=tuple(str(c).lower() for c in entry.get("cues") or ()),
            safety_minutes=int(entry.get("safety_minutes") or default_minutes),
            questions=tuple(_question(entry["code"], q) for q in entry.get("questions") or ()))
        if not 1 <= types[entry["code"]].safety_minutes <= 240:
            raise ValueError(f"{entry['code']}: safety_minutes must be 1-240")
    return types


def _question(code: str, raw: dict[str, str]) -> Question:
    if not raw.get("zh") or not raw.get("en"):
        raise ValueError(f"{code}: every intake question needs zh and en")
    return Question(zh=str(raw["zh"]), en=str(raw["en"]), phrase=str(raw.get("phrase") or ""))


def incident_type(code: str) -> IncidentType:
    """The type named ``code``; unknown codes are a 422 naming the known ones."""
    types = incident_types()
    try:
        return types[code]
    except KeyError:
        raise ValidationFailed(
            detail=M_("unknown incident type %(code)r (known: %(types)s)",
                      code=code, types=', '.join(sorted(types)))
        ) from None


def safety_minutes(code: str) -> int:
    """The officer-safety timer for a type; the file's default for a code no longer in it
    (an incident recorded before a type was removed still gets a timer)."""
    kind = incident_types().get(code)
    if kind is not None:
        return kind.safety_minutes
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return int(raw["safety_timer_minutes"])
