"""Helpers shared by tests (not fixtures)."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form; return the session's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("accord_csrf")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    dashboard = client.get("/")
    marker = 'name="csrf-token" content="'
    start = dashboard.text.index(marker) + len(marker)
    return dashboard.text[start:dashboard.text.index('"', start)]


def add_case(database, reference: str, officer_id: int) -> str:  # type: ignore[no-untyped-def]
    """A bare case file owned by ``officer_id``: the gateway checks that a call's ``case_ref``
    names a case the caller may open, so tests that file calls under a case need a real one."""
    from accord.cases.models import Case

    with database.session() as session:
        session.add(Case(reference=reference, case_type="lost-passport", title="Test case",
                         officer_id=officer_id))
        session.commit()
    return reference


def certify(database, *users) -> None:  # type: ignore[no-untyped-def]
    """Valid training certificates for ``users``: every certificate a capability requires
    (the training package's requirements), valid for a year. Tests of other packages that call
    certificate-gated capabilities (inconsistency hints) use this, as a trained officer would
    hold them; tests/training checks the gate itself."""
    from datetime import timedelta

    from accord.core.contract import certificate_requirements
    from accord.core.db import utcnow
    from accord.core.gateway.models import UserCertificate

    names = {requirement.certificate for requirement in certificate_requirements()}
    with database.session() as session:
        for user in users:
            for name in names:
                if session.get(UserCertificate, (user.id, name)) is None:
                    session.add(UserCertificate(user_id=user.id, name=name,
                                                expires_at=utcnow() + timedelta(days=365)))
        session.commit()


def run_coroutine(coroutine):  # type: ignore[no-untyped-def]
    """``asyncio.run(coroutine)`` on a thread of its own: once a browser test has run, the
    Playwright fixtures keep an event loop running on the test thread for the rest of the
    session, and ``asyncio.run`` refuses to start there."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
