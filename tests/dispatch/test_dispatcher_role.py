"""The dispatcher role: dispatch work (queue, board, units, alerts, EIDO, intake's language ID,
recordings, interpreter requests from an incident), never case files or interviews.

Every route's access is in tests/web/test_route_table.py and walked for this role by
tests/web/test_role_matrix.py; here the reasons behind a few of them are shown end to end.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.core.errors import PermissionDenied
from accord.core.gateway.service import Caller
from accord.core.roles import ROLE_DESCRIPTIONS, Role
from accord.dispatch import governed
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import CENTRE, approve_assessments
from tests.helpers import add_case, login


@pytest.fixture
def dispatcher(make_user) -> Actor:  # type: ignore[no-untyped-def]
    user = make_user("dispatcher.one", Role.DISPATCHER)
    return Actor(user.id, user.username, frozenset({"dispatcher"}))


def test_the_role_is_described() -> None:
    assert "dispatch" in ROLE_DESCRIPTIONS[Role.DISPATCHER].lower()
    assert "no case files" in ROLE_DESCRIPTIONS[Role.DISPATCHER]


def test_dispatcher_sees_the_board_but_not_a_case(client: TestClient, database, make_user,  # type: ignore[no-untyped-def]
                                                  dispatcher: Actor, service: DispatchService
                                                  ) -> None:
    officer = make_user("officer.case", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000777", officer.id)
    service.create_unit(dispatcher, "21", 60.1672, 24.9450, [], ["fi", "ar"])
    csrf = login(client, dispatcher.username)
    board = client.get("/dispatch/board")
    assert board.status_code == 200 and 'data-unit="21"' in board.text
    assert client.get(f"/cases/{case_ref}").status_code == 403
    assert client.get("/cases").status_code == 403
    assert client.get("/interviews").status_code == 403
    # The dashboard offers dispatch, not case files.
    home = client.get("/").text
    assert 'href="/dispatch"' in home and 'href="/cases"' not in home
    # Intake through the form works for the dispatcher.
    created = client.post("/dispatch/incidents", data={
        "csrf_token": csrf, "type": "theft", "lat": str(CENTRE[0]), "lon": str(CENTRE[1]),
        "language": "ar", "source": "phone", "location_source": "caller"},
        follow_redirects=False)
    assert created.status_code == 303, created.text


def test_dispatch_capabilities_admit_the_dispatcher(make_user, dispatcher: Actor,  # type: ignore[no-untyped-def]
                                                    service: DispatchService) -> None:
    approve_assessments(make_user)
    service.create_unit(dispatcher, "21", 60.1672, 24.9450, [], ["fi", "ar"])
    incident = service.create_incident(dispatcher, type_code="theft", lat=CENTRE[0],
                                       lon=CENTRE[1], language="ar")
    caller = Caller(dispatcher.user_id, dispatcher.username, dispatcher.roles)
    ranked = governed.recommend(caller, incident["reference"])
    assert "refused" not in ranked, ranked
    assert "speaks the caller's language (ar)" in ranked["units"][0]["reasons"]
    triage = governed.triage(caller, incident["reference"], "theft", "knife", {})
    assert "refused" not in triage and triage["cues"] and triage["decision_id"]
    language = governed.suggest_language(caller, "Меня ограбили возле вокзала")
    assert "refused" not in language, language


def test_dispatcher_requests_an_interpreter_from_an_incident_only(  # type: ignore[no-untyped-def]
        database, dispatcher: Actor, service: DispatchService) -> None:
    from accord.config import get_settings
    from accord.interpret.interpreters import Actor as DeskActor
    from accord.interpret.interpreters import InterpreterService, RequestInput

    incident = service.create_incident(dispatcher, type_code="theft", lat=CENTRE[0],
                                       lon=CENTRE[1], language="ru")
    done = service.request_interpreter(dispatcher, incident["reference"])
    assert done["request"].startswith("IR-")
    desk = InterpreterService(database, get_settings().station_timezone)
    with pytest.raises(PermissionDenied):  # not for a case file
        desk.create_request(RequestInput(language="ru", mode="phone", source_kind="case",
                                         case_ref="FR-2026-000001"),
                            DeskActor(dispatcher.user_id, dispatcher.roles,
                                      dispatcher.username))
