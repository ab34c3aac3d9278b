"""The supervisor's map of cases: open cases per district, only those the user may open,
counts only, on the shipped (synthetic) district outlines."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from accord.cases.casemap import case_map
from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.accounts import User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import login


def _cases(database: Database, officer: User, other: User) -> None:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              settings.station_timezone)
        for station, place, owner in (("sanlitun", "", officer), ("wangjing", "", officer),
                                      ("", "海淀区中关村", other), ("", "somewhere", other)):
            service.create_case(case_type="theft-victim", title="Secret title 王", place=place,
                                officer_id=owner.id, station=station)
        closed = service.create_case(case_type="theft-victim", title="Closed", place="",
                                     officer_id=officer.id, station="xidan")
        closed.status = "closed"
        session.commit()


def test_counts_follow_the_case_access_rule(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("li.wei", Role.OFFICER)
    other = make_user("zhang.min", Role.OFFICER)
    supervisor = make_user("super", Role.SUPERVISOR)
    _cases(database, officer, other)
    with database.session() as session:
        everything = case_map(session, supervisor)
        own = case_map(session, officer)
    assert everything.districts["朝阳区"] == 2 and everything.districts["海淀区"] == 1
    assert everything.districts["西城区"] == 0  # the closed case is not counted
    assert everything.unrecorded == 1 and everything.total == 4
    assert everything.stations == {"sanlitun": 1, "wangjing": 1}
    assert own.districts["朝阳区"] == 2 and own.districts["海淀区"] == 0 and own.total == 2
    counts = {f["properties"]["name"]: f["properties"]["cases"]
              for f in everything.geojson()["features"]}
    assert counts["朝阳区"] == 2 and counts["东城区"] == 0


def test_map_page_for_supervisors_only(client: TestClient, database: Database,  # type: ignore[no-untyped-def]
                                       make_user) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    other = make_user("zhang.min", Role.OFFICER)
    make_user("super", Role.SUPERVISOR)
    _cases(database, officer, other)
    login(client, "li.wei")
    assert client.get("/cases/map").status_code == 403
    client.cookies.clear()
    login(client, "super")
    page = client.get("/cases/map")
    assert page.status_code == 200
    assert 'data-testid="synthetic-outlines"' in page.text  # the page says the outlines are made up
    rows = dict(re.findall(r'<tr data-district="([^"]*)"><td>[^<]*</td><td class="num" '
                           r'data-testid="count">(\d+)</td>', page.text))
    assert rows["朝阳区"] == "2" and rows["海淀区"] == "1" and rows[""] == "1"
    config = re.search(r'<script type="application/json" id="case-map-config">(.*?)</script>',
                       page.text, re.S)
    assert config is not None
    data = json.loads(config.group(1))
    assert {f["properties"]["name"]: f["properties"]["cases"]
            for f in data["geojson"]["features"]}["朝阳区"] == 2
    assert "Secret title" not in page.text  # counts only: no case leaves the page
    assert 'href="/cases/map"' in page.text  # in the supervisor's navigation
