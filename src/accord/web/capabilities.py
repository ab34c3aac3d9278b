"""What the dashboard offers each role: the spine's cards here, each capability package's own
cards from its declaration (``CapabilityPackage.dashboard``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.core.contract import installed
from accord.core.i18n import N_
from accord.core.roles import Role


@dataclass(frozen=True)
class Card:
    title: str  # gettext msgid
    description: str  # gettext msgid
    href: str | None  # None: not available yet
    roles: frozenset[Role]
    notice: Any = None  # (session, user_id) → (msgid, params) | None, from the package


def _reviews_waiting(session: Any, user_id: int) -> tuple[str, dict[str, int]] | None:
    """"Outputs waiting for your review: 3" on the review-queue card (a count query)."""
    from accord.core.accounts import AccountService
    from accord.core.governance import get_governance

    roles = frozenset(str(role) for role in AccountService(session).get_user(user_id).roles)
    waiting = get_governance().reviews.pending_count(roles, session)
    if not waiting:
        return None
    return N_("Outputs waiting for your review: %(n)d"), {"n": waiting}


CARDS: list[Card] = [
    Card(N_("Review queue"), N_("AI outputs waiting for a human decision."),
         "/reviews", frozenset({Role.SUPERVISOR}), notice=_reviews_waiting),
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
    """Each assembled package's cards first (its own work), then the spine's."""
    cards = [Card(c.title, c.description, c.href, frozenset(Role(r) for r in c.roles),
                  c.notice)
             for package in installed() for c in package.dashboard]
    return [card for card in cards + CARDS if card.roles & roles]


def card_notices(cards: list[Card], session: Any, user_id: int) -> dict[str, Any]:
    """The per-user line of each card that has one (title → (msgid, params))."""
    notices = {}
    for card in cards:
        if card.notice is not None:
            line = card.notice(session, user_id)
            if line is not None:
                notices[card.title] = line
    return notices
