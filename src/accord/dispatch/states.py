"""Unit and incident status machines: which change is possible from which status.

A change not listed here is refused with the list of what is possible, so a mistyped button or
command never leaves a unit in a status nobody meant.
"""

from __future__ import annotations

from accord.core.errors import Conflict
from accord.core.i18n import M_, N_, NC_, Message

UNIT_STATUSES = ("available", "dispatched", "en-route", "on-scene", "clear", "out-of-service")
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"dispatched", "out-of-service"}),
    "dispatched": frozenset({"en-route", "on-scene", "available"}),  # available = cancelled
    "en-route": frozenset({"on-scene", "available"}),
    "on-scene": frozenset({"clear"}),
    "clear": frozenset({"available", "dispatched", "out-of-service"}),
    "out-of-service": frozenset({"available"}),
}
#: Statuses from which a unit may be given an incident.
ASSIGNABLE = frozenset({"available", "clear"})
#: Statuses in which a unit is tied to its incident.
COMMITTED = frozenset({"dispatched", "en-route", "on-scene"})

INCIDENT_STATUSES = ("new", "dispatched", "on-scene", "advised", "closed")
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"dispatched", "advised", "closed"}),
    "dispatched": frozenset({"on-scene", "new", "closed"}),  # new: every unit cancelled
    "on-scene": frozenset({"closed"}),
    "advised": frozenset({"closed", "new"}),  # advised: recorded, no unit sent
    "closed": frozenset(),
}


class ImpossibleTransition(Conflict):
    """A status change the machine does not allow (409, with what is possible)."""


def check_transition(table: dict[str, frozenset[str]], what: str | Message, current: str,
                     target: str) -> None:
    if target not in table:
        raise ImpossibleTransition(detail=M_("unknown status %(target)r for %(what)s (known: "
                                             "%(table)s)",
                                             target=target, what=what, table=', '.join(table)))
    if target not in table[current]:
        possible = ", ".join(sorted(table[current])) or M_("none: it is final")
        raise ImpossibleTransition(detail=M_("%(what)s is %(current)s; it cannot become "
                                             "%(target)s (possible: %(possible)s)",
                                             what=what, current=current, target=target,
                                             possible=possible))


#: Each status in words, for pages (the stored codes never reach a reader; the live board
#: gets the same words, translated, in a data attribute). The message context keeps them apart
#: from the same English words elsewhere (a closed case is 已结案, a closed incident 已结束).
STATUS_WORDS: dict[str, str] = {
    "new": NC_("dispatch status", "new"),
    "dispatched": NC_("dispatch status", "dispatched"),
    "en-route": NC_("dispatch status", "en route"),
    "on-scene": NC_("dispatch status", "on scene"),
    "advised": NC_("dispatch status", "advised, no unit sent"),
    "closed": NC_("dispatch status", "closed"),
    "available": NC_("dispatch status", "available"),
    "clear": NC_("dispatch status", "clear"),
    "out-of-service": NC_("dispatch status", "out of service"),
}

#: Each timeline event in words (the stored kinds are codes; an unknown one is shown as code).
EVENT_WORDS: dict[str, str] = {
    "incident-created": NC_("dispatch event", "incident created"),
    "incident-status": NC_("dispatch event", "incident status changed"),
    "unit-created": NC_("dispatch event", "unit added"),
    "unit-dispatched": NC_("dispatch event", "unit dispatched"),
    "unit-status": NC_("dispatch event", "unit status changed"),
    "triage-accepted": NC_("dispatch event", "triage suggestion accepted"),
    "triage-overridden": NC_("dispatch event", "triage suggestion overridden"),
    "location-changed": NC_("dispatch event", "location changed"),
    "narrative-added": NC_("dispatch event", "narrative added"),
    "person-linked": NC_("dispatch event", "person linked"),
    "person-needs": NC_("dispatch event", "stated needs recorded"),
    "vehicle-linked": NC_("dispatch event", "vehicle linked"),
    "interpreter-requested": NC_("dispatch event", "interpreter requested"),
    "alert-published": NC_("dispatch event", "public alert published"),
    "safety-timer": NC_("dispatch event", "safety check overdue"),
    "safety-acknowledged": NC_("dispatch event", "safety check acknowledged"),
    "recording-attached": NC_("dispatch event", "recording attached"),
    "transcript-drafted": NC_("dispatch event", "transcript draft ready"),
    "transcript-failed": NC_("dispatch event", "transcription failed"),
    "transcript-confirmed": NC_("dispatch event", "transcript confirmed"),
    "transcript-discarded": NC_("dispatch event", "transcript discarded"),
    "patrol-data-prepared": NC_("dispatch event", "patrol data prepared"),
    "patrol-plan-accepted": NC_("dispatch event", "patrol plan accepted"),
}


#: A linked vehicle's role in words (``service.VEHICLE_ROLES``), for the incident page.
#: A linked person's part in the incident, translated with ``pgettext("incident person", …)``.
PERSON_ROLE_WORDS: dict[str, str] = {
    "caller": NC_("incident person", "caller"),
    "victim": NC_("incident person", "victim"),
    "suspect": NC_("incident person", "suspect"),
    "witness": NC_("incident person", "witness"),
}

VEHICLE_ROLE_WORDS: dict[str, str] = {
    "involved": N_("vehicle involved"),
    "suspect": N_("suspect's vehicle"),
    "victim": N_("victim's vehicle"),
    "witness": N_("witness's vehicle"),
}
