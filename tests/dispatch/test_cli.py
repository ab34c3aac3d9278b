"""``accord dispatch …``: the must-show commands, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from accord.cli import app
from accord.core.roles import Role
from accord.dispatch import cap
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import approve_assessments

runner = CliRunner()


@pytest.fixture
def ready(accord_env, make_user, service: DispatchService, officer: Actor, units):  # type: ignore[no-untyped-def]
    approve_assessments(make_user)
    return {**accord_env, "ACCORD_USER": officer.username}


def test_incident_create_json_returns_recommendation_with_reasons(ready) -> None:  # type: ignore[no-untyped-def]
    """The root ``accord`` command, as an operator types it (in-process: a subprocess costs
    15 s of imports on this machine)."""
    done = runner.invoke(app, ["dispatch", "incident", "create", "--type", "theft", "--lat",
                               "60.17", "--lon", "24.94", "--language", "ru", "--json"],
                         env={"ACCORD_USER": ready["ACCORD_USER"]})
    assert done.exit_code == 0, done.output
    incident = json.loads(done.stdout)
    assert incident["reference"].startswith("E-") and incident["language"] == "ru"
    recommendation = incident["recommendation"]
    assert recommendation["decision_id"] and recommendation["ledger_seq"] >= 0
    ranked = recommendation["units"]
    assert {u["call_sign"] for u in ranked} == {"12", "7", "30"}
    speaker = next(u for u in ranked if u["call_sign"] == "12")
    assert speaker["speaks_caller_language"]
    assert speaker["summary"].startswith("Unit 12: ")
    assert " by road" in speaker["summary"] and "speaks the caller's language (ru)" in \
        speaker["summary"]
    assert "does not speak ru" in next(u for u in ranked if u["call_sign"] == "7")["summary"]
    assert "OpenStreetMap contributors" in recommendation["attribution"]


def test_without_approved_assessments_the_incident_stands_and_the_refusal_is_shown(
        accord_env, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["dispatch", "incident", "create", "--type", "theft", "--lat",
                                 "60.17", "--lon", "24.94", "--user", officer.username,
                                 "--json"])
    assert result.exit_code == 0, result.output
    incident = json.loads(result.stdout)
    assert "approved impact assessments" in incident["recommendation"]["refused"]
    assert incident["recommendation"]["ledger_seq"] is not None


@pytest.mark.parametrize(("args", "message"), [
    (["--type", "alien", "--lat", "60.17", "--lon", "24.94"], "unknown incident type 'alien'"),
    (["--type", "theft", "--lat", "60.40", "--lon", "24.94"], "outside the service area"),
])
def test_bad_intake_is_a_cli_error(accord_env, officer: Actor, args, message) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["dispatch", "incident", "create", *args, "--user",
                                 officer.username])
    assert result.exit_code == 1
    assert message in result.stderr


def test_analyst_may_not_dispatch(accord_env, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("analyst.one", Role.ANALYST)
    result = runner.invoke(app, ["dispatch", "incident", "create", "--type", "theft", "--lat",
                                 "60.17", "--lon", "24.94", "--user", "analyst.one"])
    assert result.exit_code == 1 and "only dispatchers, officers and supervisors" in result.stderr


def test_alert_writes_cap_that_validates(accord_env, officer: Actor, service: DispatchService,
                                         tmp_path: Path) -> None:
    incident = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    out = tmp_path / "alert.xml"
    result = runner.invoke(app, ["dispatch", "alert", "--incident", incident["reference"],
                                 "--lang", "zh", "--lang", "en", "--out", str(out), "--user",
                                 officer.username])
    assert result.exit_code == 0, result.output
    xml = out.read_bytes()
    assert cap.validate(xml) == []
    languages = etree.fromstring(xml).findall(f"{{{cap.NS}}}info/{{{cap.NS}}}language")
    assert [e.text for e in languages] == ["zh", "en"]
    bad = runner.invoke(app, ["dispatch", "alert", "--incident", incident["reference"],
                              "--lang", "ru", "--out", str(tmp_path / "ru.xml"), "--user",
                              officer.username])
    assert bad.exit_code == 1 and "does not machine-translate" in bad.stderr
    assert not (tmp_path / "ru.xml").exists()
    wrong = runner.invoke(app, ["dispatch", "alert", "--incident", incident["reference"],
                                "--lang", "en", "--urgency", "Soon", "--out",
                                str(tmp_path / "u.xml"), "--user", officer.username])
    assert wrong.exit_code == 1 and "urgency 'Soon'" in wrong.stderr


def test_export_eido_and_import_round_trip(accord_env, officer: Actor, service: DispatchService,
                                           tmp_path: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    incident = service.create_incident(officer, type_code="burglary", lat=60.172, lon=24.945,
                                       language="ar", narrative="window broken")
    # The narrative is high sensitivity: the export waits for a supervisor (issue #18).
    held = runner.invoke(app, ["dispatch", "export", incident["reference"], "--format",
                               "eido", "--user", officer.username])
    assert held.exit_code == 3 and "awaits a supervisor's approval" in held.stderr
    share = held.stderr.split("share ", 1)[1].split()[0]
    make_user("super.cli", Role.SUPERVISOR)
    approved = runner.invoke(app, ["knowledge", "share-approve", share, "--user", "super.cli"])
    assert approved.exit_code == 0, approved.output
    exported = runner.invoke(app, ["dispatch", "export", incident["reference"], "--share",
                                   share, "--user", officer.username])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert document["incidentComponent"]["internalIncidentId"] == incident["reference"]
    path = tmp_path / "eido.json"
    path.write_text(exported.stdout, encoding="utf-8")
    imported = runner.invoke(app, ["dispatch", "import", str(path), "--json", "--user",
                                   officer.username])
    assert imported.exit_code == 0, imported.output
    copy = json.loads(imported.stdout)
    assert (copy["type"], copy["language"], copy["lat"], copy["lon"]) == \
        ("burglary", "ar", 60.172, 24.945)
    assert [n["text"] for n in copy["narrative"]] == ["window broken"]
    path.write_text("{not json", encoding="utf-8")
    broken = runner.invoke(app, ["dispatch", "import", str(path), "--user", officer.username])
    assert broken.exit_code == 1 and "not JSON" in broken.stderr


def test_send_twice_is_a_conflict_with_exit_code_2(accord_env, officer: Actor,
                                                   service: DispatchService, units) -> None:  # type: ignore[no-untyped-def]
    a = service.create_incident(officer, type_code="theft", lat=60.17, lon=24.94)
    b = service.create_incident(officer, type_code="theft", lat=60.171, lon=24.941)
    first = runner.invoke(app, ["dispatch", "send", "12", a["reference"], "--user",
                                officer.username])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["dispatch", "send", "12", b["reference"], "--user",
                                 officer.username])
    assert second.exit_code == 2
    assert f"unit 12 changed since you looked: it is now dispatched to {a['reference']}" in \
        second.stderr
