"""The use cases of the case pages, called on the services directly (no web layer).

Each use case checks that the user may change the case, commits what it did, or leaves the
stored rows as they were: what a second session (another page, another officer) then reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.cases.models import Case, Person, Task
from accord.cases.notices import NoticeService
from accord.cases.service import CaseService
from accord.core.accounts.models import User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.core.roles import Role

ANNA: dict[str, object] = {
    "role": "victim", "full_name": "Anna Muller", "nationality": "DEU", "sex": "F",
    "date_of_birth": None, "languages": "de", "speaks_chinese": False, "contact": "",
}


@pytest.fixture
def env(database: Database, make_user, tmp_path: Path) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    made = [
        make_user("off1", Role.OFFICER),
        make_user("off2", Role.OFFICER),
        make_user("sup", Role.SUPERVISOR),
    ]
    session = database.sessions()
    service = CaseService(session, BlobStore(tmp_path / "blobs"), "Asia/Shanghai")
    users = {u.username: session.get(User, u.id) for u in made}
    yield {"service": service, "database": database, "users": users}
    session.close()


def _stored(database: Database, reference: str) -> Case:
    """The case as another session reads it: only what was committed."""
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        session.expunge(case)
        return case


def test_open_case_is_committed_with_the_filing_officer(env: dict) -> None:
    service, officer = env["service"], env["users"]["off1"]
    case = service.open_case(officer, case_type="theft-victim", title="Phone stolen")
    stored = _stored(env["database"], case.reference)
    assert stored.officer_id == officer.id
    assert stored.status == "open"


def test_status_change_refused_for_an_officer_without_access_leaves_the_case(env: dict) -> None:
    service, users = env["service"], env["users"]
    case = service.open_case(users["off1"], case_type="theft-victim", title="Phone stolen")
    with pytest.raises(PermissionDenied):
        service.change_status(case, "closed", users["off2"])
    assert _stored(env["database"], case.reference).status == "open"
    # The supervisor may; the change is committed and the closing time stamped.
    service.change_status(case, "closed", users["sup"])
    stored = _stored(env["database"], case.reference)
    assert stored.status == "closed" and stored.closed_at is not None


def test_refused_person_with_a_bad_document_stores_neither(env: dict) -> None:
    service, officer, database = env["service"], env["users"]["off1"], env["database"]
    case = service.open_case(officer, case_type="theft-victim", title="Phone stolen")
    with pytest.raises(ValidationFailed, match="doc_number"):
        service.record_person(
            case,
            officer,
            person=ANNA,
            document={"kind": "passport", "number": "C01X/00T4!", "issuing_state": "DEU",
                      "expiry": None, "mrz_verified": False, "mrz_decision_id": "",
                      "image_sha256": ""},
        )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    # The same session goes on to the next use case: nothing of the refused one is left in it.
    person = service.record_person(
        case, officer,
        person=ANNA,
    )
    with database.session() as session:
        assert [p.full_name for p in session.scalars(select(Person))] == ["Anna Muller"]
    assert person.case_id == case.id


def test_a_task_is_finished_once_and_the_first_finisher_is_kept(env: dict) -> None:
    service, users, database = env["service"], env["users"], env["database"]
    case = service.open_case(users["off1"], case_type="theft-victim", title="Phone stolen")
    task = service.plan_task(case, users["off1"], title="Call the victim back")
    service.finish_task(task, users["off1"])
    with pytest.raises(Conflict):
        service.finish_task(task, users["sup"])
    with database.session() as session:
        stored = session.get(Task, task.id)
        assert stored is not None
        assert stored.status == "done" and stored.done_by == users["off1"].id


def test_refused_event_in_the_future_stores_nothing_and_keeps_updated_at(env: dict) -> None:
    service, officer = env["service"], env["users"]["off1"]
    case = service.open_case(officer, case_type="theft-victim", title="Phone stolen")
    before = _stored(env["database"], case.reference).updated_at
    with pytest.raises(ValidationFailed, match="occurred_at"):
        service.record_event(case, officer, kind="incident",
                             occurred_at=datetime.now(UTC) + timedelta(days=2))
    stored = _stored(env["database"], case.reference)
    assert stored.updated_at == before
    assert service.reload(case.reference).events == []


def test_deadline_board_cases_follow_the_access_rule(env: dict) -> None:
    service, users = env["service"], env["users"]
    mine = service.open_case(users["off1"], case_type="theft-victim", title="Mine")
    theirs = service.open_case(users["off2"], case_type="theft-victim", title="Theirs")
    closed = service.open_case(users["off1"], case_type="theft-victim", title="Closed")
    service.change_status(closed, "closed", users["off1"])
    assert [c.reference for c in service.open_cases_for(users["off1"])] == [mine.reference]
    assert {c.reference for c in service.open_cases_for(users["sup"])} == {
        mine.reference, theirs.reference}
    assert set(service.users_by_id([users["off1"].id, None])) == {users["off1"].id}
    assert service.users_by_id([None]) == {}


def test_a_notice_is_refused_for_another_officers_case(env: dict) -> None:
    service, users = env["service"], env["users"]
    case = service.open_case(users["off1"], case_type="theft-victim", title="Phone stolen")
    notices = NoticeService(service)
    with pytest.raises(PermissionDenied):
        notices.give_notice(case, users["off2"], notice_id="rights-questioning", language="en",
                            given_at=datetime.now(UTC), mode="written")
    with pytest.raises(ValidationFailed, match="mode"):
        notices.give_notice(case, users["off1"], notice_id="consular-notification", language="en",
                            given_at=datetime.now(UTC), mode="shouted")
    assert notices.notices(service.reload(case.reference)) == []


def test_deadline_board_reads_the_same_deadlines_in_a_fixed_number_of_queries(
        env: dict) -> None:
    """The board (and the dashboard card built on it) evaluates every open case's checklist:
    its queries must not grow with the number of cases, and each case's steps must be what the
    case page shows (deadlines_for_case)."""
    from sqlalchemy import event

    from accord.cases.board import BOARD_STATES, deadline_board
    from accord.cases.guidance import deadlines_for_case

    service, users, database = env["service"], env["users"], env["database"]
    notices = NoticeService(service)
    now = datetime.now(UTC)

    def open_cases(n: int) -> None:
        for i in range(n):
            case = service.open_case(users["off1"], case_type="detention", title=f"Case {i}")
            service.record_person(case, users["off1"], person={**ANNA, "role": "suspect"})
            service.record_event(case, users["off1"], kind="detention",
                                 occurred_at=now - timedelta(hours=2))
            if i % 2:
                notices.give_notice(case, users["off1"], notice_id="interpreter",
                                    language="de", given_at=now - timedelta(hours=1),
                                    mode="written", interpreter_name="Test Interpreter",
                                    interpreter_register_id="T-1")

    def board_queries() -> tuple[int, list]:
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(database.engine, "before_cursor_execute", record)
        try:
            board = deadline_board(service, users["sup"], now=now, tz="Asia/Shanghai")
        finally:
            event.remove(database.engine, "before_cursor_execute", record)
        return len(statements), board.rows

    open_cases(2)
    few, _ = board_queries()
    open_cases(6)
    many, rows = board_queries()
    assert many == few
    assert rows, "the detention checklist has open steps"
    for case in service.open_cases_for(users["sup"]):
        expected = [s for s in deadlines_for_case(case, now=now, tz="Asia/Shanghai")
                    if s.state in BOARD_STATES]
        shown = [r.step for r in rows if r.case.reference == case.reference]
        assert sorted(shown, key=lambda s: s.step_id) == sorted(expected, key=lambda s: s.step_id)
