"""Cases belong to a police station: the list, the new-case form, the board's filter, the
district profiles and the demo generator all use the same stations (accord.cases.stations)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from accord.cases.generator import PLACES, generate
from accord.cases.models import Case
from accord.cases.profiles import district_facts
from accord.cases.service import CaseService
from accord.cases.stations import (
    district_names,
    outlines_are_synthetic,
    station_district,
    station_for_place,
    stations,
)
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role
from tests.cases.test_notices import _case
from tests.helpers import login


def _service(session) -> CaseService:  # type: ignore[no-untyped-def]
    settings = get_settings()
    return CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                       settings.station_timezone)


def test_every_station_lies_in_a_district_with_an_outline() -> None:
    assert len(stations()) >= 5
    names = set(district_names())
    for station in stations().values():
        assert station.district in names, station.id
        assert station.name_zh.endswith(("派出所", "所")) and station.name_en
    # The shipped outlines are synthetic, and the file says so (the map shows it).
    assert outlines_are_synthetic()


def test_every_generator_place_belongs_to_a_station() -> None:
    for district, place_zh, _latin, _korean in PLACES:
        station = station_for_place(f"{district}{place_zh}")
        assert station, place_zh
        assert station_district(station) == district, place_zh
    assert station_for_place("火星") == ""
    assert station_district("no-such-station") == ""


def test_new_case_form_stores_the_station_and_refuses_an_unknown_one(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    form = {"csrf_token": csrf, "case_type": "theft-victim", "title": "Wallet",
            "place": "Sanlitun", "station": "sanlitun"}
    created = client.post("/cases/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    page = client.get(created.headers["location"])
    assert "Sanlitun station" in page.text
    refused = client.post("/cases/new", data={**form, "station": "atlantis"})
    assert refused.status_code == 422 and "unknown station" in refused.text
    with database.session() as session:
        assert session.scalars(select(Case.station)).all() == ["sanlitun"]


def test_board_filters_by_station(client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                  database: Database) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    make_user("super", Role.SUPERVISOR)
    refs = {station: _case(database, officer.id) for station in ("sanlitun", "xidan")}
    with database.session() as session:
        for station, ref in refs.items():
            session.execute(update(Case).where(Case.reference == ref).values(station=station))
        session.commit()
    login(client, "super")
    page = client.get("/cases/board?station=xidan")
    assert page.status_code == 200
    assert refs["xidan"] in page.text and refs["sanlitun"] not in page.text
    export = list(csv.DictReader(io.StringIO(client.get("/cases/board.csv?station=sanlitun").text)))
    assert export and {row["case"] for row in export} == {refs["sanlitun"]}
    assert {row["station"] for row in export} == {"sanlitun"}
    assert client.get("/cases/board?station=atlantis").status_code == 422


def test_district_profile_reads_the_station_before_the_place(database: Database,  # type: ignore[no-untyped-def]
                                                             make_user) -> None:
    officer = make_user("li.wei", Role.OFFICER)
    with database.session() as session:
        service = _service(session)
        # The place names another district: the station decides.
        service.create_case(case_type="theft-victim", title="A", place="海淀区中关村",
                            officer_id=officer.id, station="wangfujing")
        service.create_case(case_type="theft-victim", title="B", place="海淀区中关村",
                            officer_id=officer.id)
        service.create_case(case_type="theft-victim", title="C", place="",
                            officer_id=officer.id)
        session.commit()
        facts = district_facts(session)
    assert facts["东城区"].cases == 1
    assert facts["海淀区"].cases == 1
    assert facts[""].cases == 1


def test_create_case_refuses_an_unknown_station(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("li.wei", Role.OFFICER)
    with database.session() as session:
        with pytest.raises(ValidationFailed, match="unknown station"):
            _service(session).create_case(case_type="theft-victim", title="A",
                                          officer_id=officer.id, station="atlantis")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_generated_cases_carry_their_station(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("demo-officer", Role.OFFICER)
    generate(database, 12, seed=3, officer="demo-officer")
    with database.session() as session:
        rows = session.execute(select(Case.place, Case.station)).all()
    assert len(rows) == 12
    assert all(station and station_district(station) and place.startswith(
        station_district(station)) for place, station in rows)
