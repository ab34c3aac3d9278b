"""Demo data: one user per role, so a fresh install can be explored at once.

Passwords are generated on first load and kept in the state directory (never in the repo), so
a second ``accord demo load`` prints the same log-ins and changes nothing.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from accord.core.accounts import AccountService
from accord.core.db import Database
from accord.core.roles import Role

DEMO_USERS: dict[Role, tuple[str, str, str]] = {
    # role: (display name, UI language, default purpose)
    Role.OFFICER: ("Demo Officer 示范民警", "zh_Hans", "victim-assistance"),
    Role.SUPERVISOR: ("Demo Supervisor 示范督察", "zh_Hans", "supervision"),
    Role.INTERPRETER: ("Demo Interpreter 示范翻译", "en", "interpretation"),
    Role.ANALYST: ("Demo Analyst 示范分析员", "zh_Hans", "patrol-planning"),
    Role.DPO: ("Demo DPO 示范数据保护官", "en", "data-protection-oversight"),
    Role.AUDITOR: ("Demo Auditor 示范审计员", "en", "audit"),
    Role.ADMIN: ("Demo Admin 示范管理员", "zh_Hans", "administration"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    created: bool


def _credentials_file(state_dir: Path) -> Path:
    return state_dir / "demo-credentials.json"


def _load_or_create_passwords(state_dir: Path) -> dict[str, str]:
    path = _credentials_file(state_dir)
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    passwords = {f"demo-{role.value}": secrets.token_urlsafe(9) for role in DEMO_USERS}
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle, indent=2)
    return passwords


def load_demo(database: Database, state_dir: Path) -> list[DemoLogin]:
    """Create the demo users that do not exist yet; return every demo log-in."""
    passwords = _load_or_create_passwords(state_dir)
    logins: list[DemoLogin] = []
    with database.session() as session:
        accounts = AccountService(session)
        for role, (display, language, purpose) in DEMO_USERS.items():
            username = f"demo-{role.value}"
            password = passwords.setdefault(username, secrets.token_urlsafe(9))
            created = False
            if accounts.find_user(username) is None:
                accounts.create_user(username, password, {role}, display_name=display,
                                     language=language, default_purpose=purpose)
                created = True
            logins.append(DemoLogin(username, password, role, created))
    return logins
