"""Rights notices, consular letters and the deadline board through the real app."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select, update

from accord.cases.guidance import deadlines_for_case
from accord.cases.guidance_models import CaseNotice, ConsularLetter
from accord.cases.models import Case, CaseEvent
from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import login

TZ = "Asia/Shanghai"


def _case(
    database: Database,
    officer_id: int,
    *,
    nationality: str = "USA",
    detained_hours_ago: float = 30,
    case_type: str = "detention",
) -> str:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir), TZ)
        case = service.create_case(
            case_type=case_type,
            title="Overstay at a hostel",
            officer_id=officer_id,
            place="Sanlitun",
        )
        person = service.add_person(
            case,
            role="detainee",
            full_name="Alex Example",
            nationality=nationality,
            languages=["en"],
            speaks_chinese=False,
        )
        when = datetime.now(UTC) - timedelta(hours=detained_hours_ago)
        service.add_event(case, kind="detention", occurred_at=when, person_id=person.id)
        return case.reference


def _states(database: Database, reference: str) -> dict[str, str]:
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        return {d.step_id: d.state for d in deadlines_for_case(case, now=datetime.now(UTC), tz=TZ)}


def _local(delta_hours: float = 0) -> str:
    from zoneinfo import ZoneInfo

    value = datetime.now(ZoneInfo(TZ)) - timedelta(hours=delta_hours)
    return value.strftime("%Y-%m-%dT%H:%M")


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_recording_notices_creates_events_and_updates_deadlines(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-a", Role.OFFICER)
    make_user("officer-b", Role.OFFICER)
    ref = _case(database, officer.id)
    states = _states(database, ref)
    assert states["consular-rights-notice"] == "overdue"  # past Accord's 2 h target
    assert states["interpreter"] == "overdue"  # past the 4 h service target, not "due now" forever
    assert states["questioning-24h"] == "overdue"

    csrf = login(client, "officer-b")
    assert client.get(f"/cases/{ref}/notices").status_code == 403  # not their case
    client.cookies.clear()
    csrf = login(client, "officer-a")
    page = client.get(f"/cases/{ref}/notices")
    assert page.status_code == 200 and 'data-step="consular-rights-notice"' in page.text

    # The interpreter notice needs the interpreter's name and register id; nothing stored.
    bad = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "interpreter",
            "language": "en",
            "given_at": _local(1),
            "mode": "interpreted",
            "interpreter_name": "Li Wei",
        },
    )
    assert bad.status_code == 422 and "register id" in bad.text
    future = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "consular-notification",
            "language": "en",
            "given_at": _local(-3),
            "mode": "read-aloud",
        },
    )
    assert future.status_code == 422 and "future" in future.text
    unknown = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "nope",
            "language": "en",
            "given_at": _local(1),
            "mode": "read-aloud",
        },
    )
    assert unknown.status_code == 404
    bad_lang = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "consular-notification",
            "language": "xx",
            "given_at": _local(1),
            "mode": "read-aloud",
        },
    )
    assert bad_lang.status_code == 422
    assert _count(database, CaseNotice) == 0 and _count(database, CaseEvent) == 1

    ok = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "consular-notification",
            "language": "en",
            "given_at": _local(1),
            "mode": "interpreted",
            "interpreter_name": "Li Wei",
            "interpreter_register_id": "BJ-INT-0042",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    interp = client.post(
        f"/cases/{ref}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "interpreter",
            "language": "en",
            "given_at": _local(1),
            "mode": "interpreted",
            "interpreter_name": "Li Wei",
            "interpreter_register_id": "BJ-INT-0042",
        },
        follow_redirects=False,
    )
    assert interp.status_code == 303
    with database.session() as session:
        notice = session.scalars(select(CaseNotice).order_by(CaseNotice.id)).first()
        assert notice.language == "en" and notice.interpreter_register_id == "BJ-INT-0042"
        assert notice.mode == "interpreted" and notice.given_by == officer.id
        event = session.get(CaseEvent, notice.event_id)
        assert event.kind == "consular-rights-notified" and event.occurred_at == notice.given_at
    states = _states(database, ref)
    assert states["consular-rights-notice"] == "done"
    assert states["interpreter"] == "done"
    page = client.get(f"/cases/{ref}/notices")
    assert "BJ-INT-0042" in page.text


def test_consular_letter_pdf_in_both_languages_and_sending(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-a", Role.OFFICER)
    ref = _case(database, officer.id, nationality="USA", detained_hours_ago=5)
    assert _states(database, ref)["consulate-treaty"] == "pending"
    csrf = login(client, "officer-a")
    response = client.post(f"/cases/{ref}/consular-letter", data={"csrf_token": csrf})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "领事通知" in text and "维护者草稿" in text  # Chinese page, draft label
    assert "Consular notification" in text and "needs legal check" in text.lower()
    assert "Alex Example" in text and "China–US Consular Convention" in text
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}  # type: ignore[index]
    assert fonts  # embedded (subset) fonts
    with database.session() as session:
        letter = session.scalars(select(ConsularLetter)).one()
        assert letter.languages == ["zh", "en"] and letter.nationality == "USA"
        letter_id = letter.id
    again = client.get(f"/cases/{ref}/consular-letter/{letter_id}.pdf")
    assert again.status_code == 200 and again.content == response.content

    bad = client.post(
        f"/cases/{ref}/consular-letter/{letter_id}/sent",
        data={"csrf_token": csrf, "sent_at": _local(0), "sent_via": "pigeon"},
    )
    assert bad.status_code == 422
    sent = client.post(
        f"/cases/{ref}/consular-letter/{letter_id}/sent",
        data={
            "csrf_token": csrf,
            "sent_at": _local(0),
            "sent_via": "fax",
            "reference": "FAX-2026-17",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    twice = client.post(
        f"/cases/{ref}/consular-letter/{letter_id}/sent",
        data={"csrf_token": csrf, "sent_at": _local(0), "sent_via": "fax"},
    )
    assert twice.status_code == 409
    with database.session() as session:
        letter = session.get(ConsularLetter, letter_id)
        assert letter.sent_via == "fax" and letter.reference == "FAX-2026-17"
        assert session.get(CaseEvent, letter.event_id).kind == "consulate-notified"
    assert _states(database, ref)["consulate-treaty"] == "done"
    assert client.get(f"/cases/{ref}/consular-letter/999.pdf").status_code == 404


def test_letter_falls_back_to_english_and_says_so(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-a", Role.OFFICER)
    ref = _case(database, officer.id, nationality="CHL")  # no language recorded for Chile
    csrf = login(client, "officer-a")
    response = client.post(f"/cases/{ref}/consular-letter", data={"csrf_token": csrf})
    assert response.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "no template in the consulate's language (not recorded for CHL)" in text
    stateless = _case(database, officer.id, nationality="")
    refused = client.post(f"/cases/{stateless}/consular-letter", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "nationality" in refused.text


def test_deadline_board_per_officer_and_supervisor(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    a = make_user("officer-a", Role.OFFICER)
    b = make_user("officer-b", Role.OFFICER)
    make_user("super", Role.SUPERVISOR)
    make_user("analyst", Role.ANALYST)
    ref_a = _case(database, a.id, detained_hours_ago=30)  # questioning overdue
    ref_b = _case(database, b.id, detained_hours_ago=1, nationality="FRA")  # rights at risk
    login(client, "officer-a")
    board = client.get("/cases/board")
    assert board.status_code == 200
    assert 'href="/cases/board"' in board.text
    assert ref_a in board.text and ref_b not in board.text
    assert f'data-state="overdue" data-step="questioning-24h" data-case="{ref_a}"' in board.text
    client.cookies.clear()
    login(client, "super")
    board = client.get("/cases/board").text
    assert ref_a in board and ref_b in board
    first_at_risk = board.index('data-state="at-risk"')
    assert board.rindex('data-state="overdue"') < first_at_risk  # overdue first
    client.cookies.clear()
    login(client, "analyst")
    assert client.get("/cases/board").status_code == 403


def _board_rows(html: str) -> dict[tuple[str, str], str]:
    """(case, step) -> state of every row on a board page."""
    return {(case, step): state for state, step, case in re.findall(
        r'data-state="([^"]+)" data-step="([^"]+)" data-case="([^"]+)"', html)}


def test_the_board_shows_every_open_step_with_its_due_time(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    """A questioning deadline 14 h away is on the board (pending, with its time), and a
    "without delay" duty on a case detained 30 h ago is overdue after the service's target,
    not "due now" forever."""
    officer = make_user("officer-a", Role.OFFICER)
    old = _case(database, officer.id, detained_hours_ago=30)
    fresh = _case(database, officer.id, detained_hours_ago=10, nationality="FRA")
    login(client, "officer-a")
    html = client.get("/cases/board").text
    rows = _board_rows(html)
    assert rows[(fresh, "questioning-24h")] == "pending"
    assert rows[(old, "questioning-24h")] == "overdue"
    assert rows[(old, "interpreter")] == "overdue"  # 4 h service target, 30 h ago
    assert rows[(fresh, "interpreter")] == "overdue"
    assert "Service target (not law):" in html
    states = [state for state, _, _ in re.findall(
        r'data-state="([^"]+)" data-step="([^"]+)" data-case="([^"]+)"', html)]
    assert states == sorted(states, key=("overdue", "at-risk", "pending").index)
    # Due within 2 h: the overdue steps, not the one 14 h away; within 24 h: that one too.
    soon = _board_rows(client.get("/cases/board?within=2").text)
    assert (fresh, "questioning-24h") not in soon and (old, "questioning-24h") in soon
    assert (fresh, "questioning-24h") in _board_rows(client.get("/cases/board?within=24").text)
    # The dashboard says what is late on the board, in numbers that match it.
    overdue = sum(1 for state in states if state == "overdue")
    at_risk = sum(1 for state in states if state == "at-risk")
    dashboard = client.get("/").text
    assert f"Overdue steps: {overdue} · at risk: {at_risk}" in dashboard


def test_board_filters_csv_and_bad_filters(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    a = make_user("officer-a", Role.OFFICER)
    b = make_user("officer-b", Role.OFFICER)
    make_user("super", Role.SUPERVISOR)
    detention = _case(database, a.id, detained_hours_ago=30)
    stay = _case(database, b.id, detained_hours_ago=30, case_type="illegal-stay")
    login(client, "super")
    by_type = _board_rows(client.get("/cases/board?case_type=illegal-stay").text)
    assert {case for case, _ in by_type} == {stay}
    by_officer = _board_rows(client.get(f"/cases/board?officer={a.id}").text)
    assert {case for case, _ in by_officer} == {detention}
    export = client.get(f"/cases/board.csv?officer={a.id}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert {r["case"] for r in table} == {detention}
    questioning = next(r for r in table if r["step"] == "questioning-24h")
    assert questioning["state"] == "overdue" and questioning["officer"] == "officer-a"
    assert questioning["due"].endswith("+08:00")
    rights = next(r for r in table if r["step"] == "consular-rights-notice")
    assert rights["without_delay"] == "yes" and rights["service_target_not_law"]
    for bad in ("case_type=heist", "within=5", "officer=someone"):
        response = client.get(f"/cases/board?{bad}")
        assert response.status_code == 422, bad
    # An officer's board lists their own cases only, whatever the filter asks.
    client.cookies.clear()
    login(client, "officer-b")
    assert _board_rows(client.get(f"/cases/board?officer={a.id}").text) == {}
    with database.session() as session:
        session.execute(update(Case).where(Case.officer_id == b.id).values(status="closed"))
    assert "Overdue steps:" not in client.get("/").text  # nothing late: no line on the card
    assert detention not in client.get("/cases/board.csv").text


def test_case_page_shows_deadlines_and_cautions(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-a", Role.OFFICER)
    ref = _case(database, officer.id, nationality="USA")
    login(client, "officer-a")
    page = client.get(f"/cases/{ref}")
    assert page.status_code == 200
    assert 'data-step="consulate-treaty"' in page.text
    assert "unverified — awaiting legal officer" in page.text  # the 48 h report rule
    assert 'data-testid="cautions"' in page.text and "CN-US" not in page.text
    assert "Consular visits may not be refused after 2 days" in page.text


def test_a_handed_over_case_runs_no_clocks(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-h", Role.OFFICER)
    reference = _case(database, officer.id, detained_hours_ago=30)
    assert _states(database, reference)["questioning-24h"] == "overdue"
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(get_settings().state_dir), TZ)
        service.set_status(service.get(reference), "handed-over", by_user=officer.id)
        session.commit()
    states = _states(database, reference)
    assert states["questioning-24h"] == "case-closed"
    assert not {"overdue", "at-risk", "pending"} & set(states.values())
    login(client, "officer-h")
    assert reference not in client.get("/cases/board").text
