"""District profiles from the case files, and the automation-bias drill through its pages and
the trainer's view."""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.models import Case, Person, Statement
from accord.cases.profiles import district_of
from accord.cli import app
from accord.core.db import Database
from accord.core.gateway.models import LedgerEntry
from accord.core.roles import Role
from accord.interpret.interpreter_models import InterpreterRequest
from accord.training.drills import drills
from accord.training.models import DrillAnswer, TrainingPass
from tests.helpers import login

CHAOYANG = "朝阳区"


@pytest.mark.parametrize(("place", "district"), [
    ("朝阳区三里屯", "朝阳区"), ("海淀区", "海淀区"), ("首都机场", ""), ("", ""),
    ("区", ""),
])
def test_district_is_the_place_up_to_its_district_suffix(place: str, district: str) -> None:
    assert district_of(place) == district


def _files(database: Database) -> None:
    """Four cases in 朝阳区 (three lost passports: 75 %), one in 海淀区, one without a district;
    Russian and Korean requested from interpreters."""
    rows = [("FR-2026-000001", "lost-passport", "朝阳区三里屯", "RUS", "ru"),
            ("FR-2026-000002", "lost-passport", "朝阳区望京", "KOR", "ko"),
            ("FR-2026-000003", "lost-passport", "朝阳区国贸", "KOR", "ko"),
            ("FR-2026-000004", "traffic-accident", "朝阳区秀水街", "USA", "en"),
            ("FR-2026-000005", "detention", "海淀区五道口", "FRA", "fr"),
            ("FR-2026-000006", "dispute", "首都机场", "DEU", "de")]
    with database.session() as session:
        for number, (ref, case_type, place, nationality, language) in enumerate(rows):
            case = Case(reference=ref, case_type=case_type, title="t", place=place)
            session.add(case)
            session.flush()
            person = Person(case_id=case.id, role="reporter", full_name=f"P{number}",
                            nationality=nationality)
            session.add(person)
            session.add(Statement(case_id=case.id, language=language, text="s"))
            session.add(InterpreterRequest(reference=f"IR-2026-{number:04d}", language=language,
                                           mode="phone", case_ref=ref, source_kind="case"))


def test_profile_explains_the_recommended_courses_from_the_districts_data(
        database: Database) -> None:
    _files(database)
    runner = CliRunner()
    listed = runner.invoke(app, ["training", "districts", "--json"])
    assert listed.exit_code == 0, listed.output
    districts = json.loads(listed.output)
    assert [(d["district"], d["cases"]) for d in districts] == [
        (CHAOYANG, 4), ("", 1), ("海淀区", 1)]
    assert districts[0]["top_case_type"] == "lost-passport"

    shown = runner.invoke(app, ["training", "profile", CHAOYANG, "--json"])
    assert shown.exit_code == 0, shown.output
    profile = json.loads(shown.output)
    assert profile["case_types"][0] == {"code": "lost-passport", "count": 3, "share": 0.75}
    assert {row["code"] for row in profile["nationalities"]} == {"RUS", "KOR", "USA"}
    assert profile["interpreter_languages"][0]["code"] == "ko"
    assert profile["interview_languages"][0]["name"]["en"] == "Korean"
    plan = {(r["course"], r["lesson"]): r for r in profile["recommended"]}
    lost = plan[("foreign-procedure", "lost-passport")]
    assert "75 %" in lost["why"]["en"] and "3 of 4" in lost["why"]["en"]
    assert lost["href"] == "/training/courses/foreign-procedure/lessons/lost-passport"
    # traffic accidents are 25 % here: above the 15 % threshold, so recommended too
    assert ("foreign-procedure", "traffic-accident") in plan
    talk = plan[("communication", None)]
    assert "Korean" in talk["why"]["en"] and "Russian" in talk["why"]["en"]
    assert "韩语" in talk["why"]["zh"] or "朝鲜语" in talk["why"]["zh"]

    unknown = runner.invoke(app, ["training", "profile", "不存在区", "--json"])
    assert unknown.exit_code == 1 and "不存在区" in unknown.output


def test_district_pages(client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    _files(database)
    make_user("trainee.d", Role.OFFICER)
    login(client, "trainee.d")
    index = client.get("/training/districts")
    assert index.status_code == 200 and CHAOYANG in index.text
    page = client.get(f"/training/districts/{urllib.parse.quote(CHAOYANG)}")
    assert page.status_code == 200 and 'data-testid="recommended"' in page.text
    assert "75 %" in page.text
    assert client.get(f"/training/districts/{urllib.parse.quote('无区')}").status_code == 404


def _run(client: TestClient, csrf: str, cohort: str) -> str:
    started = client.post("/training/drills/automation-bias/runs",
                          data={"csrf_token": csrf, "cohort": cohort}, follow_redirects=False)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def _judge(client: TestClient, csrf: str, run: str, strategy: str) -> None:
    """Judge every item: "perfect" answers right alone and keeps it; "follow" answers right
    alone and then follows every suggestion."""
    for item in drills()["automation-bias"].items:
        page = client.get(run).text
        assert f'data-item="{item.id}"' in page and 'data-phase="before"' in page
        assert 'data-testid="ai-suggestion"' not in page  # nothing shown before the judgement
        before = client.post(f"{run}/items/{item.id}/before",
                             data={"csrf_token": csrf, "choice": item.answer},
                             follow_redirects=False)
        assert before.status_code == 303
        page = client.get(run).text
        assert 'data-phase="after"' in page and 'data-testid="ai-suggestion"' in page
        after = item.answer if strategy == "perfect" else item.suggestion
        assert client.post(f"{run}/items/{item.id}/after",
                           data={"csrf_token": csrf, "choice": after},
                           follow_redirects=False).status_code == 303


def test_drill_scores_trainees_and_cohorts_for_the_trainer(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    drill = drills()["automation-bias"]
    seeded = sum(item.seeded_error for item in drill.items)
    make_user("careful", Role.OFFICER)
    make_user("trusting", Role.OFFICER)
    make_user("trainer", Role.SUPERVISOR)

    csrf = login(client, "careful")
    careful_run = _run(client, csrf, "2026-12 intake")
    item = drill.items[0]
    # The "after" judgement cannot come first; a choice outside the options is refused.
    assert client.post(f"{careful_run}/items/{item.id}/after",
                       data={"csrf_token": csrf, "choice": 0}).status_code == 422
    assert client.post(f"{careful_run}/items/{item.id}/before",
                       data={"csrf_token": csrf, "choice": 9}).status_code == 422
    _judge(client, csrf, careful_run, "perfect")
    summary = client.get(careful_run).text
    assert f"caught: {seeded} of {seeded}" in summary
    # Passing the drill counts for the AI-literacy lesson on automation bias.
    with database.session() as session:
        lesson = session.scalars(select(TrainingPass).where(
            TrainingPass.lesson_id == "automation-bias")).one()
        assert lesson.passed and lesson.channel == "drill"
    # A finished run takes no further judgements.
    assert client.post(f"{careful_run}/items/{item.id}/before",
                       data={"csrf_token": csrf, "choice": 0}).status_code == 422

    client.cookies.clear()
    csrf = login(client, "trusting")
    # Another trainee's run is not found.
    assert client.get(careful_run).status_code == 404
    trusting_run = _run(client, csrf, "2026-12 intake")
    _judge(client, csrf, trusting_run, "follow")
    assert f"missed: {seeded}" in client.get(trusting_run).text.replace("Seeded errors m", "m")

    # The trainer page is for supervisors and admins.
    assert client.get("/training/trainer").status_code == 403
    client.cookies.clear()
    login(client, "trainer")
    page = client.get("/training/trainer").text

    def cells(row_id: str) -> list[str]:
        row = page.split(f'data-testid="{row_id}"')[1].split("</tr>")[0]
        return re.findall(r"<td[^>]*>([^<]*)</td>", row)

    assert cells("trainee-careful")[2:] == [str(seeded), "0", "100 %", "0 %"]
    assert cells("trainee-trusting")[2:] == ["0", str(seeded), "0 %", "100 %"]
    assert cells("cohort-2026-12 intake")[1:] == ["2", str(seeded), str(seeded), "50 %", "50 %"]

    with database.session() as session:
        events = [json.loads(e.body) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "training-event"))]
        answers = session.scalars(select(DrillAnswer)).all()
    finished = [e for e in events if e["event"] == "drill-finished"]
    assert [(e["caught"], e["missed"], e["passed"]) for e in finished] == [
        (seeded, 0, True), (0, seeded, False)]
    assert all("careful" not in json.dumps(e) and "trusting" not in json.dumps(e)
               for e in events)
    assert sum(a.seeded_error for a in answers) == 2 * seeded

    # The same report at the console, for trainers only.
    report = CliRunner().invoke(app, ["training", "drill-report", "--user", "trainer", "--json"])
    assert report.exit_code == 0, report.output
    rows = {r["username"]: r for r in json.loads(report.output)["trainees"]}
    assert (rows["careful"]["catch_rate"], rows["trusting"]["over_reliance"]) == (1.0, 1.0)
    refused = CliRunner().invoke(app, ["training", "drill-report", "--user", "careful"])
    assert refused.exit_code == 1 and "supervisor" in refused.output

    # Drill answers are personal data about staff: they expire after two years (certified);
    # the lesson pass the drill earned stays as the certificate's record.
    from accord.core.db import utcnow
    from accord.core.governance import get_governance
    from accord.governance.retention import RetentionService
    from accord.training.models import DrillRun

    governance = get_governance()
    retention = RetentionService(governance.gateway.database, governance.ledger)
    expired = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=731))}
    assert expired["training-drill-runs"].count == 2
    with database.session() as session:
        assert session.scalars(select(DrillRun)).all() == []
        assert session.scalars(select(DrillAnswer)).all() == []
        assert session.scalars(select(TrainingPass)).all() != []


def test_scenario_drill_checks_steps_and_deadlines_against_the_guidance(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    from accord.cases.guidance import get_guidance
    from accord.training.scenarios import label, scenarios

    make_user("scenario.officer", Role.OFFICER)
    csrf = login(client, "scenario.officer")
    found = scenarios()["detention-ru"]
    page = client.get("/training/scenarios/detention-ru")
    assert page.status_code == 200 and "консульство" in page.text
    steps = get_guidance().checklists["detention"].steps
    # A Russian national: no mandatory bilateral notification (treaties.yaml has none), so the
    # treaty step does not apply; every other detention step does.
    due = [s for s in steps if not s.treaty]
    assert len(due) == len(steps) - 1
    right: dict[str, object] = {"csrf_token": csrf, "step": [f"detention/{s.id}" for s in due]}
    for step in due:
        if step.period:
            right[f"deadline:detention/{step.id}"] = label(step.period)
    passed = client.post("/training/scenarios/detention-ru", data=right)
    assert passed.status_code == 200 and "All required elements met" in passed.text

    # Leave out one step, give one wrong deadline, add a step of another procedure and the
    # treaty step that does not apply.
    timed = next(s for s in due if s.period)
    treaty = next(s for s in steps if s.treaty)
    wrong = {**right, "step": [f"detention/{s.id}" for s in due[1:]] + list(found.distractors)
             + [f"detention/{treaty.id}"],
             f"deadline:detention/{timed.id}": label(timed.period * 2)}
    failed = client.post("/training/scenarios/detention-ru", data=wrong).text
    verdicts = re.findall(r'data-verdict="([a-z-]+)"', failed)
    assert verdicts.count("missed") == 1 and verdicts.count("not-this-procedure") == 1
    assert verdicts.count("does-not-apply") == 1
    assert verdicts.count("wrong-deadline") == (0 if timed == due[0] else 1)
    assert "Not all required elements met" in failed
    with database.session() as session:
        rows = session.scalars(select(TrainingPass).where(
            TrainingPass.lesson_id == "scenario:detention-ru").order_by(TrainingPass.id)).all()
    assert [r.passed for r in rows] == [True, False]
    assert client.get("/training/scenarios/nope").status_code == 404


def test_traffic_scenario_without_detention_needs_only_the_interpreter() -> None:
    from accord.training.scenarios import options, scenarios

    offered = options(scenarios()["traffic-accident-ko"])
    assert [o.key for o in offered if o.required] == ["traffic-accident/interpreter"]
    # the consular steps start with a detention, which did not happen here
    assert "traffic-accident/consular-rights-notice" in [o.key for o in offered
                                                        if o.applies_elsewhere]
