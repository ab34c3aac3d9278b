"""Demo data: one user per role, so a fresh install can be explored at once.

Passwords are generated on first load and kept in the state directory (never in the repo), so
a second ``accord demo load`` prints the same log-ins and changes nothing.
"""

from __future__ import annotations

import contextlib
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
    Role.SUPERVISOR: ("Demo Supervisor 示范主管", "zh_Hans", "supervision"),
    Role.INTERPRETER: ("Demo Interpreter 示范翻译", "en", "interpretation"),
    Role.ANALYST: ("Demo Analyst 示范分析员", "zh_Hans", "patrol-planning"),
    Role.DPO: ("Demo DPO 示范数据保护官", "en", "data-protection-oversight"),
    Role.AUDITOR: ("Demo Auditor 示范审计员", "en", "audit"),
    Role.LEGAL: ("Demo Legal Officer 示范法制员", "zh_Hans", "legal-review"),
    Role.DISPATCHER: ("Demo Dispatcher 示范调度员", "zh_Hans", "emergency-response"),
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
    """The demo passwords: those already kept, plus a new one for each demo role added since
    (a role added in a later version, e.g. the dispatcher), kept in the same file."""
    path = _credentials_file(state_dir)
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        missing = {f"demo-{role.value}" for role in DEMO_USERS} - set(stored)
        if missing:
            stored.update({name: secrets.token_urlsafe(9) for name in sorted(missing)})
            replacement = path.with_name(path.name + ".new")
            fd = os.open(replacement, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle, indent=2)
            os.replace(replacement, path)
        return stored
    passwords = {f"demo-{role.value}": secrets.token_urlsafe(9) for role in DEMO_USERS}
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle, indent=2)
    return passwords


DEMO_TEXTS = (
    # Short statements a foreign visitor might write at a counter (invented, no real persons).
    "Me robaron la cartera en el metro, línea 1, esta mañana.",
    "J'ai perdu mon passeport près de la gare, je dois prévenir mon consulat.",
    "Я потерял паспорт в такси, водитель уехал.",
    "地下鉄でカバンを盗まれました。",
    "호텔에서 여권을 잃어버렸어요.",
    "سُرقت حقيبتي في السوق، وفيها جواز سفري.",
    "My bicycle was stolen outside the university library.",
)


def send_demo_calls(logins: list[DemoLogin]) -> int:
    """Send demo calls through the governed gateway so a fresh install has a ledger to explore:
    allowed calls, a role denial and a prohibited use, then a signed and witnessed checkpoint.
    Does nothing if the ledger already has entries. Returns the number of entries written.
    """
    from accord.core.gateway.service import Caller, GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance

    governance = get_governance()
    if governance.ledger.size() > 0:
        return 0
    users = {login.role: login for login in logins}
    with governance.gateway.database.session() as session:
        accounts = AccountService(session)
        callers = {}
        for role, login in users.items():
            user = accounts.find_user(login.username)
            assert user is not None
            callers[role] = Caller(user.id, user.username, frozenset({role.value}))
    for text in DEMO_TEXTS:  # no case_ref: the demo has no cases, and the gateway checks it
        governance.gateway.invoke(callers[Role.OFFICER], GatewayRequest(
            capability_id="interpret.langid", purpose="victim-assistance",
            legal_basis="police-law-art-2", inputs={"text": text}))
    refusals = (
        (Role.ANALYST, "interpret.langid", {"text": "Hello"}),
        (Role.OFFICER, "vision.watchlist-identification", {}),
    )
    for role, capability_id, inputs in refusals:
        with contextlib.suppress(GatewayDenied):  # refused and ledgered, as intended
            governance.gateway.invoke(callers[role], GatewayRequest(
                capability_id=capability_id, purpose="victim-assistance",
                legal_basis="police-law-art-2", inputs=inputs))
    governance.ledger.checkpoint()
    governance.ledger.witness(governance.witness_signer(), callers[Role.DPO].user_id)
    return governance.ledger.size()


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
    load_demo_interpreters(database)
    load_demo_cases(database)
    load_demo_certificates(database)
    load_demo_dispatch(database)
    return logins


#: Demo accounts that use certificate-gated capabilities (inconsistency hints) hold valid
#: certificates, as trained staff would; the other demo accounts hold none, so the refusal that
#: names the course can be tried with them.
DEMO_CERTIFIED = (Role.OFFICER, Role.SUPERVISOR)


def load_demo_certificates(database: Database) -> int:
    """Valid certificates (a year) for the certified demo accounts that lack them. Written as
    demo data, not as training events: the demo's ledger starts with its demo calls."""
    from datetime import timedelta

    from accord.core.contract import certificate_requirements
    from accord.core.db import utcnow
    from accord.core.gateway.models import UserCertificate

    names = sorted({r.certificate for r in certificate_requirements()})
    added = 0
    with database.session() as session:
        accounts = AccountService(session)
        for role in DEMO_CERTIFIED:
            user = accounts.find_user(f"demo-{role.value}")
            if user is None:
                continue
            for name in names:
                if session.get(UserCertificate, (user.id, name)) is None:
                    session.add(UserCertificate(user_id=user.id, name=name,
                                                expires_at=utcnow() + timedelta(days=365)))
                    added += 1
        session.commit()
    return added


#: The demo account that took the demo dispatch calls.
DEMO_DISPATCH_ACCOUNT = f"demo-{Role.DISPATCHER.value}"


def load_demo_dispatch(database: Database) -> dict[str, int]:
    """Demo units on the Helsinki road graph and a few incidents in different states, once
    (``accord.dispatch.demo``); returns what was written."""
    from accord.dispatch.demo import load_demo_dispatch as load

    return load(database, DEMO_DISPATCH_ACCOUNT)


DEMO_CASES = 27  # three of each case type


def load_demo_cases(database: Database) -> int:
    """Synthetic case files (no real persons) for demo-officer, once; returns how many were made."""
    from sqlalchemy import func, select

    from accord.cases.generator import generate
    from accord.cases.models import Case

    with database.session() as session:
        if session.scalar(select(func.count()).select_from(Case).where(Case.synthetic)):
            return 0
    return int(generate(database, DEMO_CASES, seed=2026, officer="demo-officer")["cases"])


#: Invented roster entries (no real people or register numbers); the first is the
#: demo-interpreter account's own entry, a certified translator so the content review can be tried.
DEMO_INTERPRETERS = (
    ("Demo Interpreter 示范翻译 (fictional)", "DEMO-REG-0001", "en; ; 5\nes; ; 5\nfr; ; 4",
     ["in-person", "video", "phone"], "security-vetted", False, True, "DEMO-CERT-NOT-REAL-0001",
     "demo-interpreter"),
    ("Fictional Volunteer A (demo)", "DEMO-REG-0002", "ar; Egyptian; 4\nen; ; 3",
     ["phone", "video"], "basic", True, False, "", ""),
    ("Fictional Interpreter B (demo)", "DEMO-REG-0003", "ru; ; 5\nja; ; 3",
     ["in-person", "phone"], "basic", False, False, "", ""),
    ("Fictional Sign-language Interpreter C (demo)", "DEMO-REG-0004", "csl; ; 5",
     ["sign-language", "in-person", "video"], "none", False, False, "", ""),
)


def load_demo_interpreters(database: Database) -> int:
    """Add the invented roster entries that are missing; returns how many were added."""
    from accord.interpret.interpreters import (
        InterpreterInput,
        InterpreterService,
        parse_language_lines,
    )

    service = InterpreterService(database)
    existing = {row.register_id for row in service.roster(include_inactive=True)}
    added = 0
    for (name, register_id, languages, modes, clearance, volunteer, certified, certificate,
         username) in DEMO_INTERPRETERS:
        if register_id in existing:
            continue
        service.add_interpreter(InterpreterInput(
            name=name, register_id=register_id, languages=parse_language_lines(languages),
            modes=modes, clearance=clearance, availability="demo entry — fictional person",
            volunteer=volunteer, certified_translator=certified, certificate_id=certificate,
            username=username))
        added += 1
    return added
