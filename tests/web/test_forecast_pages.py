"""The analyst's forecasting pages: import, backtest job, the map through the gateway, explain,
exports, fairness and staffing — as analysts, supervisors and officers meet them."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.core.gateway.models import Decision, LedgerEntry, Review
from accord.core.gateway.service import Caller
from accord.core.i18n import LOCALE_DIR
from accord.core.roles import Role
from accord.forecast.routes import forecast
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
RUN = {"dataset": "sf-2012h2", "method": "kde", "window": "week", "date": "2012-11-05",
       "coverage": "5", "cell_size": "300", "purpose": "patrol-planning",
       "legal_basis": "police-law-art-2"}
GEO = {"Accept": "application/geo+json, application/json"}


def approve_assessments(make_user, username: str = "dee.pio") -> list[int]:  # type: ignore[no-untyped-def]
    """The DPO approves the DPIA, FRIA and ethics review of forecast.hotspots (a high-risk
    capability stays switched off without them)."""
    from accord.governance.dpo import REQUIRED_FOR_HIGH_RISK, DpoService

    dpo = make_user(username, Role.DPO)
    caller = Caller(dpo.id, dpo.username, frozenset({"dpo"}))
    service = DpoService.from_governance()
    return [service.record_assessment(caller, capability_id="forecast.hotspots", kind=kind,
                                      outcome="approved", summary="Approved for the tests.").id
            for kind in REQUIRED_FOR_HIGH_RISK]


@pytest.fixture
def app_client(accord_env: dict[str, str], make_user) -> Iterator[TestClient]:
    """The app, with the forecast capability's impact assessments approved."""
    from accord.assembly import create_app

    approve_assessments(make_user)
    with TestClient(create_app(), base_url="http://testserver") as client:
        client.headers["Accept-Language"] = "en"
        yield client


@pytest.fixture
def analyst(app_client: TestClient, make_user) -> str:
    make_user("ana.lyst", Role.ANALYST)
    return login(app_client, "ana.lyst")


def _switch(client: TestClient, csrf: str, username: str) -> str:
    assert client.post("/logout", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    return login(client, username)


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)<', html, re.S)
    assert match, f"no {testid} in page"
    return match.group(1).strip()


def _events_csv() -> str:
    """30 events around San Francisco, a row with an unparsable time, an exact duplicate, a row
    missing its latitude and one 'latitude 90' placeholder."""
    lines = ["when,lon,lat,kind,district,victim"]
    for i in range(30):
        lines.append(f"2012-07-{1 + i % 28:02d},{-122.42 + 0.001 * i:.6f},{37.77 + 0.0007 * i:.6f},"
                     f"{'ROBBERY' if i % 2 else 'VANDALISM'},{'NORTH' if i < 15 else 'SOUTH'},"
                     f"Person {i}")
    lines.append("yesterday,-122.41,37.78,ROBBERY,NORTH,Someone")
    lines.append(lines[5])  # exact duplicate
    lines.append("2012-07-09,-122.40,,ROBBERY,NORTH,Nobody")
    lines.append("2012-07-10,-122.40,90,ROBBERY,NORTH,Placeholder")
    return "\n".join(lines) + "\n"


MAPPING = {"mode": "lonlat", "time": "when", "lon": "lon", "lat": "lat", "type_col": "kind",
           "district_col": "district"}


def _import(client: TestClient, csrf: str, content: bytes | None, *, name: str = "events.csv",
            mapping: dict[str, str] | None = None, content_type: str = "text/csv"):
    files = {"file": (name, content, content_type)} if content is not None else None
    data = {"csrf_token": csrf, **(mapping or MAPPING)}
    if files is None:
        return client.post("/forecast/import", data=data)
    return client.post("/forecast/import", data=data, files=files)


def _run(client: TestClient, csrf: str, **changes: str):
    return client.post("/forecast/map/run", data={"csrf_token": csrf, **RUN, **changes},
                       headers=GEO)


def _count(database, model, *where) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)))


# -- access --------------------------------------------------------------------------------------
def test_pages_are_for_analysts_and_supervisors(app_client, make_user) -> None:
    make_user("ana.lyst", Role.ANALYST)
    make_user("sup.visor", Role.SUPERVISOR)
    make_user("off.icer", Role.OFFICER)
    pages = ("/forecast", "/forecast/map", "/forecast/fairness?coverage=5",
             "/forecast/staffing")
    csrf = login(app_client, "off.icer")
    for path in pages:
        assert app_client.get(path).status_code == 403, path
    csrf = _switch(app_client, csrf, "sup.visor")
    for path in pages:
        assert app_client.get(path).status_code == 200, path
    page = app_client.get("/forecast").text
    assert 'data-testid="view-only"' in page and 'data-testid="import-form"' not in page
    # Supervisors view; running things is for analysts.
    assert _import(app_client, csrf, _events_csv().encode()).status_code == 403
    assert app_client.post("/forecast/backtest", data={
        "csrf_token": csrf, "dataset": "sf-2012h2", "methods": "kde"}).status_code == 403
    csrf = _switch(app_client, csrf, "ana.lyst")
    page = app_client.get("/forecast").text
    assert 'data-testid="import-form"' in page and 'data-testid="backtest-form"' in page
    assert "sf-2012h2" in page


# -- import --------------------------------------------------------------------------------------
def test_analyst_imports_a_csv_and_sees_counts_with_bad_rows_by_reason(app_client,
                                                                       analyst) -> None:
    response = _import(app_client, analyst, _events_csv().encode())
    assert response.status_code == 200, response.text
    html = response.text
    assert _testid(html, "rows-read") == "34"
    # The form has no id column, so the repeated row counts as a second incident (kept).
    assert _testid(html, "duplicates-dropped") == "0"
    assert _testid(html, "bad-total") == "3"
    assert _testid(html, "rows-kept") == "31"
    table = html[html.index('data-testid="bad-rows"'):]
    table = table[:table.index("</table>")]
    assert "unparsable time" in table and "missing coordinate" in table
    assert "more than 100 km from the other events" in table
    # Each reason with its count and the first line numbers (line 32: the unparsable time).
    assert ('data-reason="unparsable time"><td>unparsable time</td><td class="num">1</td>'
            '<td>32</td>') in table
    dataset = _testid(html, "dataset-id")
    assert re.fullmatch(r"[0-9a-f]{16}", dataset)
    assert "Person 3" not in html  # no other column is kept or shown
    listing = app_client.get("/forecast").text
    assert f'data-dataset="{dataset}"' in listing
    # Importing the same file again gives the same dataset, not a second one.
    again = _import(app_client, analyst, _events_csv().encode())
    assert _testid(again.text, "dataset-id") == dataset
    assert app_client.get("/forecast").text.count(f'data-dataset="{dataset}"') == 1


def test_projected_coordinates_need_an_epsg_code(app_client, analyst) -> None:
    text = "Date,X,Y\n2012-07-01,6011311.7,2118677.5\n2012-07-02,6011411.7,2118777.5\n"
    mapping = {"mode": "xy", "time": "Date", "x": "X", "y": "Y", "crs": ""}
    response = _import(app_client, analyst, text.encode(), mapping=mapping)
    assert response.status_code == 422
    assert "EPSG code" in _testid(response.text, "form-error")
    response = _import(app_client, analyst, text.encode(), mapping={**mapping, "crs": "2227"})
    assert response.status_code == 200, response.text
    assert _testid(response.text, "rows-kept") == "2"


@pytest.mark.parametrize(("case", "expected"), [
    ("no file", "Choose a CSV file to upload."),
    ("unknown column", "unknown column &#39;when_ever&#39; for time"),
    ("not a csv", "is not a CSV file"),
    ("too large", "The file is too large"),
    ("no usable row", "No usable row in events.csv"),
])
def test_bad_uploads_are_refused_with_a_clear_message(app_client, analyst, monkeypatch,
                                                      case, expected) -> None:
    content: bytes | None = _events_csv().encode()
    mapping, name, content_type = dict(MAPPING), "events.csv", "text/csv"
    if case == "no file":
        content = None
    elif case == "unknown column":
        mapping["time"] = "when_ever"
    elif case == "not a csv":
        content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
        name, content_type = "photo.png", "image/png"
    elif case == "too large":
        monkeypatch.setattr(forecast, "MAX_UPLOAD_BYTES", 500)
    elif case == "no usable row":
        content = b"when,lon,lat,kind,district\nnot a date,-122.4,37.7,A,B\n"
    response = _import(app_client, analyst, content, name=name, mapping=mapping,
                       content_type=content_type)
    assert response.status_code == 422, response.text
    assert expected in _testid(response.text, "form-error")
    stored = list((Path(app_client.app.state.settings.state_dir) / "forecast").glob("*.npz"))
    assert stored == []


# -- backtest ------------------------------------------------------------------------------------
def test_backtest_job_runs_and_shows_pai_per_method_with_csv_export(app_client, analyst) -> None:
    response = app_client.post("/forecast/backtest", data={
        "csrf_token": analyst, "dataset": "sf-2012h2", "methods": ["kde", "prospective"],
        "freq": "week", "start": "2012-10-29", "windows": "2", "cell": "300"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    job_id = location.rsplit("/", 1)[1]
    page = app_client.get(location)
    assert page.status_code == 200
    html = page.text
    assert 'data-status="succeeded"' in html, html
    for method in ("naive", "kde", "prospective"):
        for cov in ("1", "2", "5", "10"):
            row = re.search(rf'<tr data-method="{method}" data-coverage="{cov}">(.*?)</tr>',
                            html, re.S)
            assert row, (method, cov)
            pai = re.search(r'data-testid="pai">([\d.]+) <span class="ci">\[([\d.]+), ([\d.]+)\]',
                            row.group(1))
            assert pai and float(pai.group(2)) <= float(pai.group(1)) <= float(pai.group(3))
            assert float(pai.group(1)) > 1.0  # better than flagging cells at random
    assert 'data-testid="sepp"' not in html and 'data-method="sepp"' not in html
    # One line per method in the PAI chart, the all-history baseline included.
    assert html.count('<g data-method="') == 4
    assert "2012-10-29" in html and "2012-11-05" in html
    # The progress fragment (what htmx polls) stops polling once done.
    fragment = app_client.get(f"/forecast/backtest/{job_id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "hx-get" not in fragment.text
    export = app_client.get(f"/forecast/backtest/{job_id}/results.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    means = [r for r in rows if r["window"] == "mean"]
    assert {(r["method"], r["coverage_percent"]) for r in means} == {
        (m, c) for m in ("naive", "history", "kde", "prospective") for c in ("1", "2", "5", "10")}
    kde5 = next(r for r in means if r["method"] == "kde" and r["coverage_percent"] == "5")
    assert float(kde5["pai_low95"]) <= float(kde5["pai"]) <= float(kde5["pai_high95"])
    assert kde5["pai_minus_naive"] != ""
    assert {r["window"] for r in rows} == {"mean", "2012-10-29", "2012-11-05"}
    # Listed on the index page.
    assert f"/forecast/backtest/{job_id}" in app_client.get("/forecast").text
    # Two windows are too few to choose a method on earlier ones: said so, not a figure.
    assert "too few windows" in _testid(html, "nested")


def test_backtest_page_states_resolution_empty_forecasts_and_the_nested_figure(
        app_client, analyst) -> None:
    response = app_client.post("/forecast/backtest", data={
        "csrf_token": analyst, "dataset": "sf-2012h2", "methods": ["kde"],
        "freq": "week", "start": "2012-10-29", "windows": "4", "cell": "300"})
    html = response.text
    assert 'data-status="succeeded"' in html, html
    honesty = re.search(r'data-testid="backtest-honesty">(.*?)</dl>', html, re.S).group(1)
    assert "<dd>daily;" in honesty and "2012-11-25" in honesty  # the fourth week's last day
    nested = _testid(html, "nested")
    match = re.search(r"PAI ([\d.]+) \[([\d.]+), ([\d.]+)\] over 1 windows", nested)
    assert match, nested
    assert float(match.group(2)) <= float(match.group(1)) <= float(match.group(3))
    assert re.search(r"Against (naive|history) over the same windows", nested)


def test_backtest_form_errors_are_422(app_client, analyst) -> None:
    base = {"csrf_token": analyst, "dataset": "sf-2012h2", "methods": ["kde"], "freq": "week",
            "windows": "2", "cell": "300"}
    for change, message in (({"windows": "0"}, "Windows: enter a number between 1 and 60"),
                            ({"dataset": "nope"}, "Unknown dataset nope"),
                            ({"methods": ["magic"]}, "Choose at least one of the methods"),
                            ({"start": "29/10/2012"}, "enter a date as YYYY-MM-DD")):
        response = app_client.post("/forecast/backtest", data={**base, **change},
                                   follow_redirects=False)
        assert response.status_code == 422, change
        assert message in _testid(response.text, "backtest-error")


def test_another_analysts_backtest_is_not_shown(app_client, analyst, make_user) -> None:
    response = app_client.post("/forecast/backtest", data={
        "csrf_token": analyst, "dataset": "sf-2012h2", "methods": ["naive"], "freq": "week",
        "windows": "1", "cell": "500"}, follow_redirects=False)
    location = response.headers["location"]
    make_user("other.analyst", Role.ANALYST)
    make_user("sup.visor", Role.SUPERVISOR)
    csrf = _switch(app_client, analyst, "other.analyst")
    assert app_client.get(location).status_code == 403
    _switch(app_client, csrf, "sup.visor")
    assert app_client.get(location).status_code == 200


# -- the map, through the gateway ----------------------------------------------------------------
def test_map_forecast_goes_through_the_gateway_and_awaits_review(app_client, analyst,
                                                                 database) -> None:
    ledger_before = _count(database, LedgerEntry)
    response = _run(app_client, analyst)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    decision = body["decision"]
    assert isinstance(decision["ledger_seq"], int)
    assert decision["review_required"] is True and decision["review_status"] == "pending"
    assert decision["review_role"] == "supervisor"
    assert body["window"] == {"start": "2012-11-05", "end": "2012-11-11", "freq": "week"}
    # 5 % of a 300 m grid over San Francisco, every flagged cell drawn, hottest first.
    assert body["flagged_cells"] == len(body["features"]) == body["grid"]["cells"] * 5 // 100
    assert body["flagged_cells"] > 50
    first = body["features"][0]
    assert first["properties"]["rank"] == 1
    assert first["properties"]["intensity_class"] == 5
    ring = first["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    for lon, lat in ring:
        assert -122.55 < lon < -122.35 and 37.70 < lat < 37.84
    expected = [f["properties"]["expected_events"] for f in body["features"]
                if f["properties"]["expected_events"] is not None]
    assert expected == sorted(expected, reverse=True) and len(expected) == min(
        100, body["flagged_cells"])
    # Ledgered as a decision and queued for a supervisor's review.
    assert _count(database, LedgerEntry) == ledger_before + 1
    with database.session() as session:
        entry = session.get(LedgerEntry, decision["ledger_seq"])
        assert entry.kind == "decision" and entry.capability_id == "forecast.hotspots"
        record = session.get(Decision, decision["id"])
        assert record.review_status == "pending" and record.inputs["dataset"] == "sf-2012h2"
        review = session.scalar(select(Review).where(Review.decision_id == decision["id"]))
        assert review.required_role == "supervisor" and review.status == "pending"
    # At 10 % more cells are flagged than the capability explains (100): all are drawn, the
    # rest without a forecast figure, in the "not explained" class.
    wide = _run(app_client, analyst, coverage="10").json()
    assert wide["flagged_cells"] == len(wide["features"]) == 172
    tail = wide["features"][100:]
    assert {f["properties"]["expected_events"] for f in tail} == {None}
    assert {f["properties"]["intensity_class"] for f in tail} == {0}
    assert [f["properties"]["rank"] for f in wide["features"]] == list(range(1, 173))
    # The map page without JavaScript: the same run answers with the page.
    page = app_client.post("/forecast/map/run", data={"csrf_token": analyst, **RUN})
    assert page.status_code == 200
    assert _testid(page.text, "ledger-seq") == str(wide["decision"]["ledger_seq"] + 1)
    assert "Awaiting review by a supervisor" in page.text


def test_explain_returns_the_contributing_events_with_weights(app_client, analyst) -> None:
    body = _run(app_client, analyst).json()
    decision = body["decision"]["id"]
    hottest = body["features"][0]["properties"]
    answer = app_client.get(f"/forecast/decisions/{decision}/explain",
                            params={"cell": hottest["cell"]})
    assert answer.status_code == 200, answer.text
    why = answer.json()
    assert why["cell"] == hottest["cell"] and why["rank"] == 1
    assert why["recorded"] is True
    assert why["expected_events"] == pytest.approx(hottest["expected_events"], abs=1e-3)
    assert why["ledger_seq"] == body["decision"]["ledger_seq"]
    contributors = why["contributors"]
    assert 1 <= len(contributors) <= 10
    weights = [c["weight"] for c in contributors]
    assert all(0 < w <= 1 for w in weights) and sum(weights) <= 1 + 1e-6
    assert weights == sorted(weights, reverse=True)
    for c in contributors:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", c["day"]) and c["day"] < "2012-11-05"
        assert re.fullmatch(r"r\d{3}c\d{3}", c["cell"])
        assert set(c) == {"event", "day", "weight", "expected", "cell", "centre"}
    assert why["why"]["events"] > 0
    # Only the flagged cells of this forecast are explained; unknown decisions are 404.
    unflagged = app_client.get(f"/forecast/decisions/{decision}/explain",
                               params={"cell": "r000c000"}, headers={"Accept": "application/json"})
    assert unflagged.status_code == 422
    assert app_client.get("/forecast/decisions/0123abcd/explain",
                          params={"cell": hottest["cell"]}).status_code == 404


def test_exports_have_the_right_content_types(app_client, analyst) -> None:
    body = _run(app_client, analyst).json()
    decision = body["decision"]["id"]
    geo = app_client.get(f"/forecast/decisions/{decision}/cells.geojson")
    assert geo.status_code == 200
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert "attachment" in geo.headers["content-disposition"]
    exported = geo.json()
    assert exported["features"] == body["features"]
    assert exported["decision"]["ledger_seq"] == body["decision"]["ledger_seq"]
    table = app_client.get(f"/forecast/decisions/{decision}/cells.csv")
    assert table.status_code == 200
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == body["flagged_cells"]
    assert rows[0]["cell"] == body["features"][0]["properties"]["cell"]
    assert {r["review_status"] for r in rows} == {"pending"}
    assert {r["ledger_seq"] for r in rows} == {str(body["decision"]["ledger_seq"])}
    # 86 flagged cells: all among the 100 the capability explains, so all have a forecast.
    assert body["flagged_cells"] == 86 and all(float(r["expected_events"]) > 0 for r in rows)
    assert float(rows[0]["expected_events"]) >= float(rows[-1]["expected_events"])
    districts = app_client.get("/forecast/districts.geojson",
                               params={"dataset": "sf-2012h2", "cell": "300"})
    assert districts.headers["content-type"].startswith("application/geo+json")
    outlines = districts.json()
    assert outlines["method"] == "cell-union"
    names = {f["properties"]["district"] for f in outlines["features"]}
    assert names == {"BAYVIEW", "CENTRAL", "INGLESIDE", "MISSION", "NORTHERN", "PARK",
                     "RICHMOND", "SOUTHERN", "TARAVAL", "TENDERLOIN"}
    assert all(f["geometry"]["type"] == "MultiLineString" for f in outlines["features"])


def test_reviewed_forecasts_export_with_their_review_and_rejected_ones_do_not(
        app_client, analyst, make_user, database) -> None:
    from accord.core.governance import get_governance

    approved = _run(app_client, analyst).json()["decision"]
    rejected = _run(app_client, analyst, date="2012-11-12").json()["decision"]
    supervisor = make_user("sup.visor", Role.SUPERVISOR)
    reviewer = Caller(supervisor.id, supervisor.username, frozenset({"supervisor"}))
    with database.session() as session:
        reviews = {r.decision_id: r.id for r in session.scalars(select(Review))}
    reviews_service = get_governance().reviews
    reviews_service.decide(reviews[approved["id"]], reviewer, "confirm")
    reviews_service.decide(reviews[rejected["id"]], reviewer, "reject", "wrong week")
    rows = list(csv.DictReader(io.StringIO(
        app_client.get(f"/forecast/decisions/{approved['id']}/cells.csv").text)))
    assert {r["review_status"] for r in rows} == {"confirmed"}
    geo = app_client.get(f"/forecast/decisions/{approved['id']}/cells.geojson").json()
    assert geo["decision"]["review_status"] == "confirmed"
    for suffix in ("cells.csv", "cells.geojson"):
        refused = app_client.get(f"/forecast/decisions/{rejected['id']}/{suffix}")
        assert refused.status_code == 409
        assert "A reviewer rejected this AI output" in refused.text
    # Still viewable on the map, marked as rejected.
    view = app_client.get("/forecast/map", params={"decision": rejected["id"]})
    assert view.status_code == 200 and _testid(view.text, "review-status") == "rejected"


def test_officer_is_refused_by_policy_with_the_reasons(app_client, make_user,
                                                      database) -> None:
    make_user("off.icer", Role.OFFICER)
    csrf = login(app_client, "off.icer")
    before = _count(database, LedgerEntry)
    response = _run(app_client, csrf)
    assert response.status_code == 403
    body = response.json()
    assert "forecasting capabilities may only be used by analysts" in body["detail"]
    assert {r["policy_id"] for r in body["reasons"]} >= {"forecast-requires-analyst"}
    with database.session() as session:
        entry = session.get(LedgerEntry, body["ledger_seq"])
        assert entry.kind == "denial" and entry.capability_id == "forecast.hotspots"
    assert _count(database, LedgerEntry) == before + 1
    assert _count(database, Decision, Decision.status == "completed") == 0
    # Without JavaScript: a refusal page with the same reasons, in the user's language.
    page = app_client.post("/forecast/map/run", data={"csrf_token": csrf, **RUN},
                           headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 403
    assert "forecast-requires-analyst" in page.text


def test_wrong_purpose_and_supervisor_runs_are_refused(app_client, analyst, make_user) -> None:
    response = _run(app_client, analyst, purpose="case-handling")
    assert response.status_code == 403
    assert response.json()["reasons"]
    page = app_client.post("/forecast/map/run",
                           data={"csrf_token": analyst, **RUN, "purpose": "case-handling"})
    assert page.status_code == 403
    assert 'data-testid="denial-summary"' in page.text
    # A supervisor views recorded forecasts but may not run one.
    decision = _run(app_client, analyst).json()["decision"]
    make_user("sup.visor", Role.SUPERVISOR)
    csrf = _switch(app_client, analyst, "sup.visor")
    refused = _run(app_client, csrf)
    assert refused.status_code == 403
    assert "forecast-requires-analyst" in {r["policy_id"] for r in refused.json()["reasons"]}
    view = app_client.get("/forecast/map", params={"decision": decision["id"]})
    assert view.status_code == 200
    assert _testid(view.text, "ledger-seq").endswith(f">{decision['ledger_seq']}") or \
        f'/ledger/entries/{decision["ledger_seq"]}' in view.text
    assert 'data-testid="view-only"' in view.text and 'id="forecast-form"' not in view.text
    assert app_client.get(f"/forecast/decisions/{decision['id']}/cells.csv").status_code == 200


def test_bad_forecast_inputs_are_422_not_ledgered(app_client, analyst, database) -> None:
    before = _count(database, LedgerEntry)
    for change, message in (({"coverage": "90"}, "Coverage"), ({"date": "next week"}, "Date"),
                            ({"method": "magic"}, "Method")):
        response = _run(app_client, analyst, **change)
        assert response.status_code == 422, change
        assert message in response.json()["detail"]
    assert _count(database, LedgerEntry) == before


def test_forecasts_are_refused_until_the_dpo_approves_the_assessments(app_client, analyst,
                                                                     make_user) -> None:
    from accord.governance.dpo import DpoService

    service = DpoService.from_governance()
    for assessment in service.assessments("forecast.hotspots"):
        service.revoke_assessment(assessment.id, Caller(assessment.decided_by, "dee.pio",
                                                        frozenset({"dpo"})))
    response = _run(app_client, analyst)
    assert response.status_code == 403
    assert "forbid-high-risk-without-assessment" in {
        r["policy_id"] for r in response.json()["reasons"]}
    page = app_client.get("/forecast/map").text
    assert 'data-testid="assessment-gate"' in page
    approve_assessments(make_user, "dee.pio2")
    assert _run(app_client, analyst).status_code == 200
    assert 'data-testid="assessment-gate"' not in app_client.get("/forecast/map").text


# -- fairness and staffing -----------------------------------------------------------------------
AUDIT = {"dataset": "sf-2012h2", "method": "kde", "date": "2013-01-01", "coverage": "5",
         "purpose": "patrol-planning", "legal_basis": "police-law-art-2"}


def test_fairness_page_shows_exposure_audit_and_feedback_simulation(app_client, analyst,
                                                                    database) -> None:
    # Showing the page runs nothing: the audit runs when the form is submitted.
    before = _count(database, LedgerEntry)
    form = app_client.get("/forecast/fairness")
    assert form.status_code == 200 and 'data-testid="exposure-table"' not in form.text
    assert _count(database, LedgerEntry) == before
    page = app_client.post("/forecast/fairness", data={"csrf_token": analyst, **AUDIT})
    assert page.status_code == 200, page.text
    html = page.text
    assert '<tr data-district="SOUTHERN" data-status="over-exposed">' in html
    assert '<tr data-district="TENDERLOIN" data-status="over-exposed">' in html
    assert '<tr data-district="RICHMOND" data-status="under-served">' in html
    assert 'data-testid="concentration-flag"' in html
    # A run of the forecast capability: ledgered, its audit in the decision's output.
    assert _count(database, LedgerEntry) == before + 1
    seq = int(_testid(html, "ledger-seq"))
    with database.session() as session:
        entry = session.get(LedgerEntry, seq)
        assert entry.kind == "decision" and entry.capability_id == "forecast.hotspots"
        record = session.scalar(select(Decision).where(Decision.ledger_seq == seq))
        assert record.inputs["audit"] == "exposure" and record.purpose == "patrol-planning"
        assert {r["district"] for r in record.output["exposure_audit"]["districts"]} >= {
            "SOUTHERN", "TENDERLOIN", "RICHMOND"}
    scenarios = re.findall(r'<tr data-scenario="([^"]+)">(.*?)</tr>', html, re.S)
    assert [s for s, _ in scenarios] == ["none", "citizen-reported only",
                                         "cap 2 periods in a row", "both"]
    runaway = {s: "badge runaway" in row for s, row in scenarios}
    assert runaway == {"none": True, "citizen-reported only": False,
                       "cap 2 periods in a row": False, "both": False}
    assert "it learns its own patrols, not crime" in _testid(html, "feedback-explanation")
    assert html.count("<polyline") == 4
    bad = app_client.post("/forecast/fairness",
                          data={"csrf_token": analyst, **AUDIT, "coverage": "90"})
    assert bad.status_code == 422 and "Coverage" in _testid(bad.text, "form-error")
    assert _count(database, LedgerEntry) == before + 1


def test_fairness_and_explanations_are_refused_while_forecasting_is_refused(
        app_client, analyst, make_user, database) -> None:
    from accord.governance.dpo import DpoService

    recorded = _run(app_client, analyst).json()
    hottest = recorded["features"][0]["properties"]["cell"]
    service = DpoService.from_governance()
    for assessment in service.assessments("forecast.hotspots"):
        service.revoke_assessment(assessment.id, Caller(assessment.decided_by, "dee.pio",
                                                        frozenset({"dpo"})))
    before = _count(database, LedgerEntry)
    page = app_client.post("/forecast/fairness", data={"csrf_token": analyst, **AUDIT})
    assert page.status_code == 403
    assert 'data-testid="exposure-table"' not in page.text
    assert "forbid-high-risk-without-assessment" in page.text
    assert 'data-testid="assessment-gate"' in page.text and 'data-testid="denial"' in page.text
    assert _count(database, LedgerEntry) == before + 1  # the refusal is ledgered
    assert 'data-testid="assessment-gate"' in app_client.get("/forecast/fairness").text
    # No new forecast can be made, so no new explanation; a recorded forecast's explanation
    # is read from its decision (made while approved) and refits nothing.
    refused = _run(app_client, analyst)
    assert refused.status_code == 403
    why = app_client.get(f"/forecast/decisions/{recorded['decision']['id']}/explain",
                         params={"cell": hottest})
    assert why.status_code == 200 and why.json()["recorded"] is True
    assert _count(database, LedgerEntry) == before + 2
    approve_assessments(make_user, "dee.pio2")
    approved = _count(database, LedgerEntry)  # the approvals are ledgered too
    assert app_client.post("/forecast/fairness",
                           data={"csrf_token": analyst, **AUDIT}).status_code == 200
    assert _count(database, LedgerEntry) == approved + 1


def test_staffing_page_is_labelled_synthetic(app_client, analyst) -> None:
    page = app_client.get("/forecast/staffing")
    assert page.status_code == 200
    assert "SYNTHETIC DEMO DATA" in _testid(page.text, "synthetic-banner")
    assert "SYNTHETIC demo data" in _testid(page.text, "synthetic-label")
    rows = re.findall(r"<tr><td>([^<]+)</td><td>", page.text)
    assert "Airport" in rows and "Nightlife" in rows


# -- translations --------------------------------------------------------------------------------
def test_every_new_string_has_a_pending_chinese_translation(tmp_path) -> None:
    """Messages in the forecast router and templates are translated in the catalog or in
    docs/i18n-pending/forecast*.zh.json (until the lead merges them into the catalog)."""
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "N_", "-k", "M_", "-k", "_", "-o", str(pot),
                    "."],
                   check=True, capture_output=True, cwd=ROOT)
    mine = ("src/accord/forecast/routes/forecast.py", "src/accord/forecast/templates/forecast/")
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle)
                  if m.id and any(str(where).startswith(mine) for where, _ in m.locations)}
    assert len(wanted) > 100
    with (LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    # Each forecast helper's pending file (forecast.zh.json, forecast3.zh.json, ...).
    pending: dict[str, Any] = {}
    for path in sorted((ROOT / "docs" / "i18n-pending").glob("forecast*.zh.json")):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    missing = sorted(m for m in wanted if not (catalog.get(m) or pending.get(m)))
    assert not missing, f"untranslated: {missing}"
    for msgid, text in pending.items():
        assert re.search(r"[\u4e00-\u9fff]", text), msgid
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", text))
        assert msgid.count("%%") == text.count("%%"), msgid


def test_review_queue_shows_a_forecast_as_a_table_of_top_cells(app_client, analyst, make_user,
                                                               database) -> None:
    """The forecast package renders its own outputs for review (declared in its plugin): the
    window, the flagged cells and the top cells, with the stored JSON folded away."""
    body = _run(app_client, analyst).json()
    make_user("sup.review", Role.SUPERVISOR)
    _switch(app_client, analyst, "sup.review")
    queue = app_client.get("/reviews")
    assert queue.status_code == 200
    table = queue.text.index('data-testid="review-top-cells"')
    with database.session() as session:
        output = session.get(Decision, body["decision"]["id"]).output
    hottest = output["top_cells"][0]["cell"]
    assert queue.text.index(f"<code>{hottest}</code>", table) < queue.text.index(
        'data-testid="review-confirm"')
    assert f"{body['window']['start']} – {body['window']['end']}" in queue.text
    # The raw JSON is still there for the record, inside a closed <details>.
    raw = queue.text.index('data-testid="ai-output"')
    assert queue.text.rindex("<details>", 0, raw) > table
