"""The people who use Accord and what each role is for."""

from __future__ import annotations

from enum import StrEnum

from accord.core.i18n import M_, N_, Message


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    INTERPRETER = "interpreter"
    ANALYST = "analyst"
    DPO = "dpo"
    AUDITOR = "auditor"
    LEGAL = "legal"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


ALL_ROLES: frozenset[Role] = frozenset(Role)

# Short descriptions shown in user admin; English msgids, translated by the catalog.
ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OFFICER: N_("Front-line officer: interviews, case files, interpretation."),
    Role.SUPERVISOR: N_("Approves high-risk uses and reviews AI output."),
    Role.INTERPRETER: N_("Human interpreter: joins sessions, corrects translations."),
    Role.ANALYST: N_("Runs place-based forecasts and staffing analyses."),
    Role.DPO: N_("Data-protection officer: rights requests, retention, witness key."),
    Role.AUDITOR: N_("Read-only external auditor: ledger and proofs."),
    Role.LEGAL: N_("Legal officer: confirms legal facts, deadlines and notice wording."),
    Role.DISPATCHER: N_("Dispatcher: call intake, dispatch queue, units, live board, alert "
                        "drafts and EIDO exchange; no case files or interviews."),
    Role.ADMIN: N_("Manages accounts and system settings."),
}


class UnknownRole(ValueError):
    """A role name that is not a :class:`Role`; ``message`` says which, in any language."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def parse_roles(values: list[str] | tuple[str, ...] | set[str]) -> frozenset[Role]:
    """Turn user input into roles, raising :class:`UnknownRole` naming the first unknown one."""
    roles: set[Role] = set()
    for value in values:
        value = value.strip().lower()
        if not value:
            continue
        try:
            roles.add(Role(value))
        except ValueError:
            known = ", ".join(sorted(r.value for r in Role))
            raise UnknownRole(M_("unknown role %(role)r (known: %(known)s)", role=value,
                                 known=known)) from None
    return frozenset(roles)
