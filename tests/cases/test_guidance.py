"""The guidance engine: every rule with concrete times, YAML validation and the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cases.guidance import (
    GUIDANCE_DIR,
    GuidanceError,
    UnknownCaseType,
    UnknownNationality,
    get_guidance,
    load_guidance,
    plan,
)
from accord.cases.vocab import CASE_TYPES
from accord.cli import app

SHANGHAI = datetime.fromisoformat("2026-11-20T09:00:00+08:00")  # China has no DST


def steps(**kwargs: object) -> dict[str, object]:
    return {s.step_id: s for s in plan(**kwargs)}  # type: ignore[arg-type]


# -- data ----------------------------------------------------------------------------------------
def test_every_case_type_has_a_valid_versioned_checklist() -> None:
    guidance = get_guidance()
    assert set(guidance.checklists) == set(CASE_TYPES)
    for checklist in guidance.checklists.values():
        assert checklist.version >= 1
        for step in checklist.steps:
            assert step.citation and step.fact in guidance.facts


def test_every_fact_of_legal_facts_md_is_in_the_data_with_its_status() -> None:
    facts = get_guidance().facts
    assert facts["eeal-39"].status == "verified"
    assert facts["eeal-30"].status == "unverified"
    assert facts["eeal-81"].status == "unverified"
    assert facts["cpl-17"].status == "partly-verified"
    assert facts["mps-foreign-48h"].status == "partly-verified"
    assert facts["cn-us-consular-35"].status == "verified"
    assert facts["bilateral-consular-other"].status == "unverified"
    for fact in (
        "eeal-76",
        "eeal-34",
        "eeal-59",
        "eeal-60",
        "eeal-61",
        "eeal-62",
        "eeal-regs-29-33",
        "cpl-9",
        "cpl-32",
        "cpl-121",
        "vccr-36-1-b",
        "vccr-36-1-c",
    ):
        assert facts[fact].status == "verified", fact
        assert facts[fact].rule_zh and facts[fact].rule_en


def test_treaties_hold_only_the_usa_fact() -> None:
    treaties = get_guidance().treaties
    assert set(treaties) == {"USA"}
    assert treaties["USA"].period == timedelta(days=4) and treaties["USA"].mandatory


def test_every_caution_has_a_source() -> None:
    for caution in get_guidance().cautions:
        assert caution.fact or caution.source, caution.id
    assert [c.id for c in get_guidance().cautions_for("detention", "USA") if c.nationalities] == [
        "us-consular-visits"
    ]
    assert not [c for c in get_guidance().cautions_for("detention", "FRA") if c.nationalities]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "guidance"
    shutil.copytree(GUIDANCE_DIR, target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "detention.yaml",
            "done_when: interview",
            "done_when: interveiw",
            "unknown event kind 'interveiw'",
        ),
        (
            "detention.yaml",
            "fact: eeal-60\n    anchor: detention\n    period: {hours: 24}",
            "fact: eeal-600\n    anchor: detention\n    period: {hours: 24}",
            "unknown fact id 'eeal-600'",
        ),
        ("detention.yaml", '"notice:interpreter"', '"notice:nope"', "unknown notice id 'nope'"),
        (
            "detention.yaml",
            "    citation: Exit and Entry Administration Law Art. 60\n",
            "    citation: ''\n",
            "citation: expected a non-empty text",
        ),
        ("detention.yaml", "version: 2", "version: zero", "version"),
        ("detention.yaml", "    accord_target: {hours: 4}\n", "",
         "a without-delay step needs the service's own target"),
        ("treaties.yaml", "fact: cn-us-consular-35", "fact: cn-us-nope", "unknown fact id"),
        ("treaties.yaml", "  USA:", "  QQQ:", "not an ISO 3166-1 alpha-3 code"),
        ("cautions.yaml", "    fact: cpl-32\n", "", "every caution needs a fact id or a source"),
    ],
)
def test_broken_yaml_is_refused_naming_file_and_place(
    tmp_path: Path, file: str, old: str, new: str, problem: str
) -> None:
    directory = _copy(tmp_path)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(GuidanceError) as caught:
        load_guidance(directory)
    assert caught.value.file == file
    assert problem in str(caught.value)


def test_missing_checklist_file_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "death.yaml").unlink()
    with pytest.raises(GuidanceError, match=r"death\.yaml: file is missing"):
        load_guidance(directory)


# -- rules ---------------------------------------------------------------------------------------
def test_detention_rules_with_concrete_times_in_shanghai() -> None:
    s = steps(case_type="detention", at=SHANGHAI, nationality="USA")
    q = s["questioning-24h"]
    assert q.due_at.isoformat() == "2026-11-21T09:00:00+08:00"
    assert q.citation == "Exit and Entry Administration Law Art. 60"
    assert q.fact_id == "eeal-60" and q.fact_status == "verified"
    limit = s["detention-limit"]
    assert limit.due_at.isoformat() == "2026-12-20T09:00:00+08:00"  # 30 days
    assert limit.extended_due_at.isoformat() == "2027-01-19T09:00:00+08:00"  # 60 days
    report = s["provincial-report-48h"]
    assert report.due_at.isoformat() == "2026-11-22T09:00:00+08:00"
    assert report.fact_status == "unverified"  # article numbers unverified
    rights = s["consular-rights-notice"]
    assert rights.without_delay and rights.due_at == SHANGHAI  # due = anchor, no invented hours
    assert rights.accord_target_at.isoformat() == "2026-11-20T11:00:00+08:00"
    assert rights.citation.startswith("Vienna Convention on Consular Relations Art. 36(1)(b)")


def test_due_times_are_in_the_offset_of_at() -> None:
    at = datetime.fromisoformat("2026-11-20T02:00:00+01:00")  # = 09:00 in Beijing
    s = steps(case_type="detention", at=at, nationality="FRA")
    assert s["questioning-24h"].due_at.isoformat() == "2026-11-21T02:00:00+01:00"
    assert s["questioning-24h"].due_at == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_usa_mandatory_notification_within_four_days_regardless_of_request() -> None:
    usa = steps(case_type="detention", at=SHANGHAI, nationality="USA")
    treaty = usa["consulate-treaty"]
    assert treaty.state == "pending"
    assert treaty.due_at.isoformat() == "2026-11-24T09:00:00+08:00"
    assert treaty.citation == "China–US Consular Convention (1980) Art. 35"
    assert treaty.fact_id == "cn-us-consular-35" and treaty.fact_status == "verified"
    # No request recorded: the Vienna Convention step waits; the treaty step does not.
    assert usa["consulate-on-request"].state == "waiting-for-event"


def test_non_treaty_nationality_notifies_only_on_request() -> None:
    other = steps(case_type="detention", at=SHANGHAI, nationality="FRA")
    assert other["consulate-treaty"].state == "not-applicable"
    assert other["consulate-on-request"].state == "waiting-for-event"
    requested = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    asked = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="FRA",
        events={"consular-notification-requested": requested},
        now=requested,
    )
    step = asked["consulate-on-request"]
    assert step.without_delay and step.due_at == requested and step.state == "at-risk"
    later = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="FRA",
        events={"consular-notification-requested": requested},
        now=requested + timedelta(hours=25),
    )
    assert later["consulate-on-request"].state == "overdue"  # past Accord's 24 h target


def test_speaks_chinese_toggles_the_interpreter_step() -> None:
    without = steps(case_type="detention", at=SHANGHAI, nationality="USA")
    assert without["interpreter"].state == "at-risk"
    assert without["interpreter"].citation.startswith("Criminal Procedure Law Art. 9")
    fluent = steps(case_type="detention", at=SHANGHAI, nationality="USA", speaks_chinese=True)
    assert fluent["interpreter"].state == "not-applicable"


def test_identity_established_restarts_the_detention_clock() -> None:
    known = datetime.fromisoformat("2026-11-25T15:00:00+08:00")
    s = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="XXX",
        events={"identity-established": known},
        now=known,
    )
    limit = s["detention-limit"]
    assert limit.anchor == "identity-established"
    assert limit.due_at.isoformat() == "2026-12-25T15:00:00+08:00"
    # Questioning still runs from the detention itself.
    assert s["questioning-24h"].due_at.isoformat() == "2026-11-21T09:00:00+08:00"


def test_done_overdue_at_risk_and_pending_states() -> None:
    interview = datetime.fromisoformat("2026-11-20T20:00:00+08:00")
    done = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        events={"interview": interview},
        now=interview + timedelta(days=1),
    )
    assert done["questioning-24h"].state == "done"
    assert done["questioning-24h"].done_at == interview and not done["questioning-24h"].late
    # 24 h period: the at-risk window is min(6 h, 2 h) = 2 h before the due time.
    at_risk = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        now=SHANGHAI + timedelta(hours=22, minutes=30),
    )
    assert at_risk["questioning-24h"].state == "at-risk"
    pending = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        now=SHANGHAI + timedelta(hours=21, minutes=59),
    )
    assert pending["questioning-24h"].state == "pending"
    overdue = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        now=SHANGHAI + timedelta(hours=24, minutes=1),
    )
    assert overdue["questioning-24h"].state == "overdue"
    late = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        events={"interview": SHANGHAI + timedelta(hours=30)},
    )
    assert late["questioning-24h"].state == "done" and late["questioning-24h"].late


def test_interview_before_detention_does_not_count_as_questioning() -> None:
    before = SHANGHAI - timedelta(hours=1)
    s = steps(
        case_type="detention",
        at=SHANGHAI,
        nationality="USA",
        events={"interview": before},
        now=SHANGHAI + timedelta(hours=25),
    )
    assert s["questioning-24h"].state == "overdue"


def test_at_risk_uses_a_quarter_of_short_periods() -> None:
    # A 24 h registration step: window min(6 h, 2 h) = 2 h.
    arrival = datetime.fromisoformat("2026-11-20T09:00:00+08:00")
    s = steps(
        case_type="accommodation-registration",
        at=arrival,
        nationality="DEU",
        now=arrival + timedelta(hours=22, minutes=1),
    )
    assert s["registration-24h"].state == "at-risk"
    assert s["registration-24h"].due_at.isoformat() == "2026-11-21T09:00:00+08:00"
    assert s["registration-24h"].citation == "Exit and Entry Administration Law Art. 39"


def test_death_case_states_no_deadline_in_the_verified_facts() -> None:
    died = datetime.fromisoformat("2026-11-20T03:00:00+08:00")
    s = steps(case_type="death", at=died, nationality="GBR")
    step = s["consulate-death"]
    assert step.no_deadline and step.due_at is None and step.state == "pending"
    assert step.fact_status == "unverified"


def test_detention_steps_wait_for_detention_in_an_illegal_stay_case() -> None:
    s = steps(case_type="illegal-stay", at=SHANGHAI, nationality="VNM")
    assert s["questioning-24h"].state == "waiting-for-event"
    assert s["interpreter"].state == "at-risk"


def test_bad_inputs_to_the_engine() -> None:
    with pytest.raises(UnknownCaseType):
        plan("burglary", at=SHANGHAI)
    with pytest.raises(UnknownNationality):
        plan("detention", at=SHANGHAI, nationality="QQQ")
    with pytest.raises(Exception, match="no UTC offset"):
        plan("detention", at=datetime(2026, 11, 20, 9, 0))


# -- CLI -----------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_json() -> None:
    result = runner.invoke(
        app,
        [
            "cases",
            "deadlines",
            "detention",
            "--at",
            "2026-11-20T09:00:00+08:00",
            "--nationality",
            "USA",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {s["step"]: s for s in data["steps"]}
    assert by_id["questioning-24h"]["due_at"] == "2026-11-21T09:00:00+08:00"
    assert by_id["consulate-treaty"]["due_at"] == "2026-11-24T09:00:00+08:00"
    assert by_id["consulate-treaty"]["citation"] == "China–US Consular Convention (1980) Art. 35"
    assert by_id["provincial-report-48h"]["fact_status"] == "unverified"
    assert by_id["consular-rights-notice"]["without_delay"] is True


def test_cli_other_offset_speaks_chinese_and_events() -> None:
    result = runner.invoke(
        app,
        [
            "cases",
            "deadlines",
            "detention",
            "--at",
            "2026-11-20T01:00:00Z",
            "--nationality",
            "fra",
            "--speaks-chinese",
            "--event",
            "interview=2026-11-20T05:00:00Z",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    by_id = {s["step"]: s for s in json.loads(result.stdout)["steps"]}
    assert "interpreter" not in by_id and "consulate-treaty" not in by_id  # do not apply
    assert by_id["questioning-24h"]["state"] == "done"
    assert by_id["detention-limit"]["due_at"] == "2026-12-20T01:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["burglary", "--at", "2026-11-20T09:00:00+08:00"], "unknown case type"),
        (["detention", "--at", "2026-11-20T09:00:00"], "has no UTC offset"),
        (["detention", "--at", "yesterday"], "not an ISO 8601 time"),
        (
            ["detention", "--at", "2026-11-20T09:00:00+08:00", "--nationality", "QQQ"],
            "Unknown nationality code: QQQ",
        ),
        (
            [
                "detention",
                "--at",
                "2026-11-20T09:00:00+08:00",
                "--event",
                "lunch=2026-11-20T12:00Z",
            ],
            "unknown event kind",
        ),
    ],
)
def test_cli_bad_input(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["cases", "deadlines", *args, "--json"])
    assert result.exit_code == 1
    assert "error: " in result.stderr and message in result.stderr
