"""What the dashboard offers each role.

Capabilities register here as they land; until then the dashboard says plainly what is not yet
available instead of showing dead links.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.i18n import N_
from accord.core.roles import Role


@dataclass(frozen=True)
class Card:
    title: str  # gettext msgid
    description: str  # gettext msgid
    href: str | None  # None: not available yet
    roles: frozenset[Role]


CARDS: list[Card] = [
    Card(N_("Interpretation"), N_("Guided interviews, notices and translation in many languages."),
         "/interviews", frozenset({Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR})),
    Card(N_("Case files"), N_("Foreign-related cases with legal deadlines and guidance."),
         None, frozenset({Role.OFFICER, Role.SUPERVISOR})),
    Card(N_("Prevention"), N_("Place-based forecasts with honest backtests and fairness audits."),
         "/forecast", frozenset({Role.ANALYST, Role.SUPERVISOR})),
    Card(N_("Language identification"),
         N_("Suggests which language a text is in; the person confirms it."),
         "/interpret/langid", frozenset({Role.OFFICER, Role.INTERPRETER, Role.SUPERVISOR})),
    Card(N_("Review queue"), N_("AI outputs waiting for a human decision."),
         "/reviews", frozenset({Role.SUPERVISOR})),
    Card(N_("Review monitor"),
         N_("How often reviewers correct the AI, and how long they take."),
         "/reviews/monitor", frozenset({Role.SUPERVISOR, Role.DPO, Role.AUDITOR, Role.ADMIN})),
    Card(N_("Decision ledger"), N_("Tamper-evident log of every AI decision, with proofs."),
         "/ledger", frozenset({Role.AUDITOR, Role.DPO, Role.SUPERVISOR, Role.ADMIN})),
    Card(N_("Capability registry"),
         N_("Every AI capability, its model card, and the stop control."),
         "/governance/capabilities", frozenset(Role)),
    Card(N_("Policies"), N_("The rules every AI call is checked against, with a what-if tester."),
         "/governance/policies",
         frozenset({Role.ADMIN, Role.DPO, Role.AUDITOR, Role.SUPERVISOR})),
    Card(N_("User administration"), N_("Accounts, roles and the user directory export."),
         "/admin/users", frozenset({Role.ADMIN})),
    Card(N_("API documentation"), N_("OpenAPI description of the JSON API."),
         "/docs", frozenset(Role)),
]


def dashboard_cards(roles: frozenset[Role]) -> list[Card]:
    return [card for card in CARDS if card.roles & roles]
