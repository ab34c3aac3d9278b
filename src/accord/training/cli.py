"""``accord training …``: record a course pass, show certificates, district profiles, drill
results. The same service functions as the web pages."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, caller_for, fail
from accord.core.errors import AccordError

training_app = typer.Typer(help="Training: courses, certificates, district profiles, drills.",
                           no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _service() -> Any:
    from accord.training.service import TrainingService

    return TrainingService.from_governance()


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@training_app.command("courses")
def courses_cmd(as_json: JsonOpt = False) -> None:
    """List the courses, their certificates and what each certificate opens."""
    from accord.training.courses import courses

    rows = [{"course": c.id, "version": c.version, "title": c.title.en,
             "certificate": c.certificate, "valid_days": c.valid_days,
             "required_for": list(c.required_for), "lessons": [x.id for x in c.lessons]}
            for c in courses().values()]
    if as_json:
        _echo(rows)
        return
    for row in rows:
        needed = ", ".join(row["required_for"]) or "no capability"
        typer.echo(f"{row['course']} v{row['version']}: {row['title']} — certificate "
                   f"{row['certificate']} ({row['valid_days']} days), needed for {needed}")


@training_app.command("complete")
def complete_cmd(course: Annotated[str, typer.Argument(help="Course id, e.g. ai-literacy.")],
                 user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Record that USER passed COURSE (e.g. a classroom session signed off) and issue its
    certificate; ledgered as a training event with the user id only."""
    account, _caller = caller_for(user)
    try:
        status = _service().complete(account.id, course, channel="cli")
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _echo(status.as_dict())
    else:
        typer.echo(f"{account.username}: certificate {status.certificate} valid until "
                   f"{status.expires_at:%Y-%m-%d}")


@training_app.command("status")
def status_cmd(user: UserOption = "", as_json: JsonOpt = False) -> None:
    """USER's certificates: issued, expiry, valid, and the lessons passed towards each."""
    account, _caller = caller_for(user)
    statuses = _service().status(account.id)
    if as_json:
        _echo({"user": account.username, "certificates": [s.as_dict() for s in statuses]})
        return
    for s in statuses:
        state = ("valid until " + f"{s.expires_at:%Y-%m-%d}" if s.valid and s.expires_at
                 else "expired" if s.expires_at else "not held")
        typer.echo(f"{s.certificate}: {state}" + (" (expires soon)" if s.expiring_soon else "")
                   + f"; lessons passed {len(s.lessons_passed)}/{s.lessons_total}")


@training_app.command("districts")
def districts_cmd(as_json: JsonOpt = False) -> None:
    """The districts named by the case files, with their case counts."""
    from accord.core.runtime import get_database
    from accord.training.service import district_list

    rows = district_list(get_database())
    if as_json:
        _echo(rows)
        return
    if not rows:
        typer.echo("no case files yet")
    for row in rows:
        typer.echo(f"{row['district'] or '(no district recorded)'}: {row['cases']} cases, "
                   f"most often {row['top_case_type']}")


@training_app.command("profile")
def profile_cmd(district: Annotated[str, typer.Argument(help="District, e.g. 朝阳区.")],
                as_json: JsonOpt = False) -> None:
    """A district's profile (case types, nationalities, languages) and its recommended courses,
    each with the figure that explains it."""
    from accord.core.runtime import get_database
    from accord.training.service import district_profile

    try:
        found = district_profile(get_database(), district)
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _echo(found)
        return
    typer.echo(f"{found['district']}: {found['cases']} cases "
               f"({found['synthetic_cases']} synthetic)")
    for key in ("case_types", "nationalities", "interpreter_languages", "interview_languages"):
        shown = ", ".join(f"{r.get('name', {}).get('en', r['code'])} {r['share']:.0%}"
                          for r in found[key]) or "none"
        typer.echo(f"  {key.replace('_', ' ')}: {shown}")
    typer.echo("recommended:")
    for item in found["recommended"]:
        typer.echo(f"  {item['title']['en']} — {item['why']['en']}")


@training_app.command("drill-report")
def drill_report_cmd(drill: Annotated[str, typer.Argument(help="Drill id.")] = "automation-bias",
                     user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Catch rate and over-reliance per trainee and per cohort (trainers: supervisors, admins)."""
    _account, caller = caller_for(user)
    if not ({"supervisor", "admin"} & caller.roles):
        raise fail("only a supervisor or an admin sees the trainees' drill results")
    try:
        report = _service().trainer_report(drill)
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _echo(report)
        return
    for row in report["trainees"] + report["cohorts"]:
        name = row.get("username") or f"cohort {row['cohort']}"
        rate = "n/a" if row["catch_rate"] is None else f"{row['catch_rate']:.0%}"
        over = "n/a" if row["over_reliance"] is None else f"{row['over_reliance']:.0%}"
        typer.echo(f"{name}: caught {row['caught']}/{row['seeded_errors']} ({rate}), "
                   f"over-reliance {over}")


def attach(app: typer.Typer) -> None:
    app.add_typer(training_app, name="training")
