"""The fixed list of needs a person can state (issue #18), shared by every page about a person
(a case's persons, a dispatch incident's linked persons) so that the codes agree without one
capability importing another.

Chosen from this list, never free text, and only what the person says they need — never
inferred from nationality or religion. Each code keys the cross-cultural guidance shown next
to the person (through :func:`accord.core.contract.need_guidance`).
"""

from __future__ import annotations

from accord.core.i18n import N_

STATED_NEEDS: dict[str, str] = {
    "language": N_("Language and interpretation"),
    "dietary": N_("Dietary requirements in custody"),
    "prayer": N_("Prayer or religious observance"),
    "search-gender": N_("Gender of the officer for a search"),
    "minor": N_("A minor (guardian present)"),
    "notice": N_("Explaining a notice"),
    "consular": N_("Contact with the consulate"),
    "disability": N_("Hearing or speech disability"),
}
