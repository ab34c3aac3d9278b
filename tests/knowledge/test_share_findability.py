"""A held export must be findable again by the people who act on it (found in a QA walk: the
supervisor's dashboard said nothing about exports waiting, the officer had no way back to the
held share once they left its page, and the page said "case-file" instead of what it was).
The share-log card tells a supervisor how many wait for them and the requester how many are
ready; an officer's share log lists only their own shares."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.cases.models import Case, Person
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import login


def _case(database: Database, reference: str, officer_id: int) -> None:
    with database.session() as session:
        case = Case(reference=reference, case_type="theft-victim", title="Wallet",
                    officer_id=officer_id)
        session.add(case)
        session.flush()
        session.add(Person(case_id=case.id, role="victim", full_name="Ana LOPEZ",
                           nationality="ESP"))
        session.commit()


def _hold(client: TestClient, reference: str) -> str:
    held = client.get(f"/cases/{reference}/file.pdf", params={"recipient": "Procuratorate"},
                      follow_redirects=False)
    assert held.status_code == 303
    return str(held.headers["location"])


def test_held_exports_are_announced_and_listed_for_whoever_acts_on_them(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.f", Role.OFFICER)
    other = make_user("officer.g", Role.OFFICER)
    make_user("super.f", Role.SUPERVISOR)
    make_user("dpo.f", Role.DPO)
    _case(database, "FR-2026-000881", officer.id)
    _case(database, "FR-2026-000882", other.id)

    login(client, "officer.g")
    other_page = _hold(client, "FR-2026-000882")
    client.cookies.clear()

    login(client, "officer.f")
    page = client.get(_hold(client, "FR-2026-000881"))
    # What was exported, in words, with a way back to the case; what happens next.
    assert "Case file exported (PDF)" in page.text and ">case-file<" not in page.text
    assert 'href="/cases/FR-2026-000881"' in page.text
    assert 'data-testid="awaiting-note"' in page.text
    # The officer's share log: their own share only, not another officer's.
    log = client.get("/knowledge/shares")
    assert log.status_code == 200 and 'data-testid="own-only"' in log.text
    assert "FR-2026-000881" in log.text and "FR-2026-000882" not in log.text
    assert 'href="/knowledge/shares"' in client.get("/").text
    client.cookies.clear()

    # The supervisor's dashboard counts both held exports and links to the log.
    csrf = login(client, "super.f")
    dashboard = client.get("/").text
    assert "Exports waiting for your approval: 2" in dashboard
    assert 'href="/knowledge/shares"' in dashboard
    full = client.get("/knowledge/shares").text
    assert "FR-2026-000881" in full and "FR-2026-000882" in full
    assert 'data-testid="own-only"' not in full
    share_id = page.url.path.rsplit("/", 1)[-1]
    assert client.post(f"/knowledge/shares/{share_id}/approve", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert "Exports waiting for your approval: 1" in client.get("/").text
    client.cookies.clear()

    # The officer is told the approved export is ready; the other officer is not.
    login(client, "officer.f")
    assert "Your approved exports ready to download: 1" in client.get("/").text
    client.cookies.clear()
    login(client, "officer.g")
    assert "ready to download" not in client.get("/").text
    assert client.get(other_page).status_code == 200
    client.cookies.clear()

    # The DPO finds the share log from the dashboard too.
    login(client, "dpo.f")
    assert 'href="/knowledge/shares"' in client.get("/").text
