"""Every route, called with every method, by every role and by an anonymous visitor.

The expected access comes from the literal table in test_route_table.py (which is checked against
the app there), so this test shows that what the table says is what the app does:

- anonymous: public routes let the request through; others answer 401 under /api, else 303 to
  the log-in page;
- a signed-in role the table does not allow gets 403 from the role check (its message, not a
  handler's), whatever the method;
- a role the table allows is never refused (no 401, 403 or log-in redirect), except where a
  handler refuses on purpose; those refusals are listed literally in HANDLER_REFUSALS and must
  happen exactly as listed.

Each role runs in its own database: one officer owns a case with a person, statement, evidence
item and task; the role under test owns a finished job. Path values are real where the object
exists and well-formed placeholders elsewhere (the role check runs before any lookup, and for an
allowed role a 404 is not a refusal). GETs run first, then the other methods, /logout last, so
that what a POST changes cannot change the outcome of a GET.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.accounts import User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.errors import PermissionDenied
from accord.core.jobs.service import JobService
from accord.core.roles import Role
from tests.helpers import login
from tests.route_access import ENDLESS_STREAMS
from tests.web.test_route_table import ROUTES

ANONYMOUS = "anonymous"
#: What require_roles answers (English: the test client asks for English).
ROLE_CHECK_REFUSAL = PermissionDenied.message

#: Refusals made inside handlers (not by the route's role dependency), as
#: (method, path) -> roles that the table admits but the handler refuses with 403. Each must
#: happen; a refusal that goes away (or a new one) fails the test.
HANDLER_REFUSALS: dict[tuple[str, str], set[str]] = {
    # Declared for any signed-in user (the gateway decides); the handler refuses everyone
    # but analysts and supervisors.
    ("POST", "/forecast/map/run"): {"officer", "interpreter", "dpo", "auditor", "legal",
                                    "dispatcher", "admin"},
    # The governed gateway refuses the draft this empty form asks for (GatewayDenied: 403 with
    # the gateway's reasons), not a role check.
    ("POST", "/cases/{ref}/report/draft"): {"officer", "supervisor"},
    # "Only officers and supervisors request interpreters", though the router admits
    # interpreters and admins.
    ("GET", "/interpreters/requests/new"): {"interpreter", "admin"},
    ("POST", "/interpreters/requests"): {"interpreter", "admin"},
    # Content review is for interpreters with a certified-translator roster entry (this one has
    # none) and for admins.
    ("GET", "/interpret/content-review"): {"interpreter"},
    ("GET", "/interpret/content-review/{kind}/{content_id}/{lang}"): {"interpreter"},
    ("POST", "/interpret/content-review/{kind}/{content_id}/{lang}"): {"interpreter"},
    # Identification is refused by design, for every role (ledgered; issue 20).
    ("POST", "/api/v1/vision/identify"): {"officer", "supervisor", "interpreter", "analyst",
                                          "dpo", "auditor", "legal", "dispatcher", "admin"},
    ("POST", "/vision/identify"): {"officer", "supervisor", "interpreter", "analyst", "dpo",
                                   "auditor", "legal", "dispatcher", "admin"},
}


@dataclass
class World:
    """Real objects for path parameters, in this test's database."""

    officer: User
    case_ref: str
    person_id: int
    statement_id: int
    item_id: int
    task_id: int
    job_id: str


def _build_world(database: Database, officer: User, caller: User) -> World:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              settings.station_timezone)
        case = service.create_case(case_type="lost-passport", title="Role matrix",
                                   officer_id=officer.id, place="Station")
        person = service.add_person(case, role="reporter", full_name="Test Person",
                                    nationality="PRT")
        session.flush()
        statement = service.add_statement(case, person_id=person.id, language="en",
                                          text="I lost my passport.", taken_by=officer.id)
        item = service.add_evidence(case, description="A receipt", data=b"receipt",
                                    filename="receipt.txt", media_type="text/plain",
                                    collected_by=officer.id)
        task = service.add_task(case, title="Call the embassy")
        session.flush()
        world = World(officer=officer, case_ref=case.reference, person_id=person.id,
                      statement_id=statement.id, item_id=item.id, task_id=task.id, job_id="")
        session.commit()
    world.job_id = JobService(database).submit("accounts.export", {}, created_by=caller.id).id
    return world


def _values(world: World, path: str) -> dict[str, str]:
    """A value for each path parameter; references differ by the kind of object."""
    values = {
        "path": "favicon.svg", "token_id": "999999", "job_id": world.job_id,
        "user_id": str(world.officer.id), "capability_id": "cases.inconsistency",
        "review_id": "999999", "seq": "1", "form_id": "lost-passport", "notice_id": "none",
        "interpreter_id": "999999", "action": "accept", "kind": "form", "content_id": "none",
        "lang": "en", "breach_id": "999999", "assessment_id": "999999",
        "decision_id": "none", "ref": world.case_ref, "person_id": str(world.person_id),
        "statement_id": str(world.statement_id), "item_id": str(world.item_id),
        "task_id": str(world.task_id), "letter_id": "999999", "reference": "NONE-0000",
        "course_id": "ai-literacy", "lesson_id": "capabilities", "district": "朝阳区",
        "drill_id": "automation-bias", "run_id": "999999", "drill_item": "hint-time",
        "scenario_id": "detention-ru",
        "question_id": "999999", "passage_id": "999999", "share_id": "999999",
        "call_sign": "NONE", "alert_id": "999999", "recording_id": "999999",
    }
    if path.startswith("/forecast/backtest/"):
        values["job_id"] = "0" * 16  # not a backtest job
    # Kept off real objects only because the real work takes seconds per call (entity
    # extraction loads a language model; the letter renders a PDF): a nonexistent statement,
    # a nonexistent case.
    if path.endswith("/entities"):
        values["statement_id"] = "999999"
    if path.endswith("/consular-letter"):
        values["ref"] = "FR-2000-999999"
    return values


def _concrete(path: str, world: World) -> str:
    values = _values(world, path)
    url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda match: values[match.group(1)], path)
    # The live board is an endless event stream; ``once`` answers the catch-up and ends.
    return url + ENDLESS_STREAMS.get(path, "")


def _requests() -> list[tuple[str, str, str | set[str]]]:
    """(method, path, access) for every route and method: GETs first, /logout last."""
    calls = [(method, path, access) for path, methods, access in ROUTES
             for method in methods.split()]
    return sorted(calls, key=lambda call: (call[1] == "/logout", call[0] not in ("GET", "HEAD")))


def _allowed(role: str, access: str | set[str]) -> bool:
    return access in ("public", "signed-in") or role in access


def _to_login(response: Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def _check(role: str, method: str, path: str, access: str | set[str],
           response: Response) -> str | None:
    """What is wrong with ``response``, or None."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if access == "public":
        if path.startswith("/static/") and status != 200:
            return f"static file not served ({status})"
        if status == 401 or _to_login(response):
            return f"public route asked for log-in ({status})"
        return None
    if role == ANONYMOUS:
        if path.startswith("/api/"):
            return None if status == 401 else f"anonymous got {status}, expected 401"
        return None if _to_login(response) else f"anonymous got {status}, expected 303 to /login"
    if not _allowed(role, access):
        if status != 403:
            return f"role not allowed got {status}, expected 403"
        if ROLE_CHECK_REFUSAL not in response.text:
            # A later check (say, case visibility) refused; the route's role check let it in.
            return "role not allowed passed the role check (refused later, by the handler)"
        return None
    if role in HANDLER_REFUSALS.get((method, path), set()):
        return None if status == 403 else f"handler refusal expected, got {status}"
    if status in (401, 403) or (_to_login(response) and path != "/logout"):
        return f"allowed role refused ({status})"
    return None


def test_handler_refusals_name_routes_and_roles_the_table_allows() -> None:
    table = {(method, path): access for path, methods, access in ROUTES
             for method in methods.split()}
    for key, roles in HANDLER_REFUSALS.items():
        assert key in table, key
        assert all(_allowed(role, table[key]) for role in roles), key


@pytest.mark.parametrize("role", [ANONYMOUS, *(role.value for role in Role)])
def test_every_role_on_every_route(role: str, client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                   database: Database) -> None:
    officer = make_user("matrix.officer", Role.OFFICER)
    caller = officer if role in (ANONYMOUS, "officer") else make_user(f"matrix.{role}", Role(role))
    world = _build_world(database, officer, caller)
    csrf = "" if role == ANONYMOUS else login(client, caller.username)

    problems = []
    calls = _requests()
    for method, path, access in calls:
        url = _concrete(path, world)
        headers = {"X-CSRF-Token": csrf} if csrf and method != "GET" else {}
        response = client.request(method, url, headers=headers, follow_redirects=False)
        problem = _check(role, method, path, access, response)
        if problem:
            problems.append(f"{role}: {method} {path} ({url}): {problem}")
    assert len(calls) > 100
    assert not problems, "\n".join(problems)

