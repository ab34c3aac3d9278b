"""Triage suggestion by written rules (not a model): type and priority from the intake answers
and the narrative, with every cue that led to them.

The rules: a type's cue words found in the narrative suggest that type (most cues wins; the
intake's own type choice counts as two cues); the type's default priority from the vocabulary
is the start; a weapon or an injured person makes it priority 1; "happening now" raises it by
one step; "no one in danger and it is over" lowers it by one. The dispatcher accepts or
overrides the suggestion with a reason, and both are ledgered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.dispatch.vocabulary import incident_type, incident_types

ANSWERS = ("weapon", "injured", "in_progress", "over_no_danger")
YES = frozenset({"yes", "y", "true", "1", "on"})


def suggest(type_hint: str, narrative: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    text = narrative.lower()
    scores: dict[str, int] = {}
    cues: list[dict[str, str]] = []
    if type_hint:
        incident_type(type_hint)  # unknown codes are refused, not ignored
        scores[type_hint] = 2
        cues.append({"cue": f"intake type: {type_hint}", "effect": f"suggests {type_hint}"})
    for code, kind in incident_types().items():
        for word in kind.cues:
            if word in text:
                scores[code] = scores.get(code, 0) + 1
                cues.append({"cue": f"narrative mentions {word!r}", "effect": f"suggests {code}"})
    if not scores:
        code = "public-information"
        cues.append({"cue": "no type cue found", "effect": "default type public-information"})
    else:
        code = max(scores, key=lambda c: (scores[c], -incident_types()[c].priority))
    kind = incident_type(code)
    priority = kind.priority
    cues.append({"cue": f"type {code}", "effect": f"default priority {priority}"})
    said = {name: str(answers.get(name, "")).strip().lower() in YES for name in ANSWERS}
    if said["weapon"] or said["injured"]:
        priority = 1
        reason = "a weapon" if said["weapon"] else "an injured person"
        cues.append({"cue": f"caller reports {reason}", "effect": "priority 1"})
    elif said["in_progress"] and priority > 1:
        priority -= 1
        cues.append({"cue": "happening now", "effect": f"priority raised to {priority}"})
    elif said["over_no_danger"] and priority < 5:
        priority += 1
        cues.append({"cue": "over, no one in danger", "effect": f"priority lowered to {priority}"})
    return {"type": code, "priority": priority, "cues": cues, "method": "rules",
            "answers": {k: v for k, v in said.items() if v}}
