"""The fixed vocabulary of case files: case types, person roles, event kinds, custody actions.

These ids are stable: guidance YAML, the deadline engine, the generator, search and the UI all
refer to them. Labels are English msgids (translated by the catalog).
"""

from __future__ import annotations

from accord.core.i18n import N_, NC_

# Needs a person states (issue #18): the fixed list lives in core (dispatch uses it too).
from accord.core.needs import STATED_NEEDS  # noqa: F401

# Case types (issue #6). Order is the order shown in pickers.
CASE_TYPES: dict[str, str] = {
    "illegal-stay": N_("Illegal stay (visa overstay)"),
    "illegal-employment": N_("Illegal employment"),
    "theft-victim": N_("Foreign national as victim of theft or fraud"),
    "traffic-accident": N_("Traffic accident"),
    "dispute": N_("Dispute or assault"),
    "lost-passport": N_("Lost or stolen passport"),
    "death": N_("Death of a foreign national"),
    "accommodation-registration": N_("Accommodation registration violation"),
    "detention": N_("Detention of a foreign national"),
}

CASE_STATUSES: dict[str, str] = {
    "open": N_("Open"),
    "handed-over": N_("Handed over"),
    "closed": N_("Closed"),
}

#: Message context of the person-role labels: a case's "Witness" is 证人, not the ledger's
#: independent cosigner (见证方). Show a label with ``pgettext(PERSON_ROLE_CONTEXT, label)``;
#: the msgids below repeat the context as a literal so that extraction (``NC_:1c,2``) sees it.
PERSON_ROLE_CONTEXT = "case role"

PERSON_ROLES: dict[str, str] = {
    "reporter": NC_("case role", "Reporting person"),
    "victim": NC_("case role", "Victim"),
    "witness": NC_("case role", "Witness"),
    "suspect": NC_("case role", "Suspect"),
    "detainee": NC_("case role", "Detained person"),
    "deceased": NC_("case role", "Deceased person"),
    "next-of-kin": NC_("case role", "Next of kin"),
    "host": NC_("case role", "Host or employer"),
    "other": NC_("case role", "Other party"),
}

DOCUMENT_KINDS: dict[str, str] = {
    "passport": N_("Passport"),
    "residence-permit": N_("Residence permit"),
    "visa": N_("Visa"),
    "id-card": N_("Identity card"),
    "travel-document": N_("Other travel document"),
}

# Event kinds. Deadlines in the guidance engine are computed from the times of these events.
EVENT_KINDS: dict[str, str] = {
    "incident": N_("Incident occurred"),
    "reported": N_("Reported to police"),
    "first-contact": N_("First police contact with the person"),
    "arrival": N_("Arrival at accommodation"),
    "questioning-started": N_("On-the-spot questioning started"),
    "detention": N_("Detained (coercive measure started)"),
    "identity-established": N_("Identity established"),
    "interview": N_("Interview held"),
    "rights-notified": N_("Informed of rights"),
    "consular-rights-notified": N_("Informed of the right to consular notification"),
    "consular-notification-requested": N_("Person asked for the consulate to be notified"),
    "consulate-notified": N_("Consulate notified"),
    "provincial-report": N_("Reported to the provincial bureau"),
    "registration": N_("Accommodation registered"),
    "death": N_("Death"),
    "release": N_("Released"),
    "transfer": N_("Transferred to another facility"),
    "hand-over": N_("Case handed over"),
}

CUSTODY_ACTIONS: dict[str, str] = {
    "collected": N_("Collected"),
    "transferred": N_("Transferred"),
    "examined": N_("Examined"),
    "returned": N_("Returned to owner"),
    "destroyed": N_("Destroyed"),
}

TASK_STATUSES: dict[str, str] = {"open": N_("Open"), "done": N_("Done")}

# Where a statement's translation came from; machine translations stay labelled until reviewed.
TRANSLATION_SOURCES: dict[str, str] = {
    "": N_("No translation"),
    "officer": N_("Typed by the officer"),
    "interpreter": N_("Human interpreter"),
    "machine": N_("Machine translation (AI)"),
}
