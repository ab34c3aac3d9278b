"""Training pages: courses and lessons with their assessments, the signed-in user's
certificates, district profiles, the automation-bias drill, and the trainer's view.

Two routers:

* ``router`` — every signed-in user: courses, lessons, own certificates, district profiles
  (aggregates only), own drill runs. A drill run is the trainee's own: another user's run is
  not found.
* ``trainer_router`` — supervisors and admins: catch rate and over-reliance per trainee and per
  cohort.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.core.errors import AccordError
from accord.core.governance import get_governance
from accord.core.registry import RISK_TIER_LABELS
from accord.core.roles import Role
from accord.training.content import lesson_content
from accord.training.courses import course, courses
from accord.training.drills import drills
from accord.training.service import (
    TrainingError,
    TrainingService,
    district_list,
    district_profile,
)
from accord.web.deps import Principal, require_roles
from accord.web.routes.governance import language_of
from accord.web.templating import render

access = require_roles()
router = APIRouter(prefix="/training", include_in_schema=False, dependencies=[Depends(access)])
trainer = require_roles(Role.SUPERVISOR, Role.ADMIN)
trainer_router = APIRouter(prefix="/training", include_in_schema=False,
                           dependencies=[Depends(trainer)])


def _service() -> TrainingService:
    return TrainingService.from_governance()


def _context(request: Request) -> dict[str, Any]:
    language = language_of(request)
    return {"lang": "zh" if language == "zh_Hans" else "en",
            "t": lambda text: text.in_(language)}


@router.get("")
def index(request: Request, principal: Principal = Depends(access),
          service: TrainingService = Depends(_service)) -> Response:
    statuses = {s.course_id: s for s in service.status(principal.user.id)}
    return render(request, "training/index.html", {
        **_context(request), "courses": list(courses().values()), "statuses": statuses,
        "drills": list(drills().values()),
        "is_trainer": bool({Role.SUPERVISOR, Role.ADMIN} & set(principal.user.roles))})


@router.get("/certificates")
def certificates_page(request: Request, principal: Principal = Depends(access),
                      service: TrainingService = Depends(_service)) -> Response:
    return render(request, "training/certificates.html", {
        **_context(request), "statuses": service.status(principal.user.id),
        "courses": courses()})


@router.get("/courses/{course_id}")
def course_page(request: Request, course_id: str, principal: Principal = Depends(access),
                service: TrainingService = Depends(_service)) -> Response:
    found = course(course_id)
    status = next(s for s in service.status(principal.user.id) if s.course_id == found.id)
    return render(request, "training/course.html",
                  {**_context(request), "course": found, "status": status})


def _lesson_page(request: Request, principal: Principal, service: TrainingService,
                 course_id: str, lesson_id: str, *, result: Any = None,
                 answers: list[int | None] | None = None, error: AccordError | None = None,
                 status_code: int = 200) -> Response:
    found = course(course_id)
    lesson = found.lesson(lesson_id)
    database = get_governance().gateway.database
    return render(request, "training/lesson.html", {
        **_context(request), "course": found, "lesson": lesson,
        "content": lesson_content(database, lesson), "result": result,
        "answers": answers or [], "error": error, "risk_tiers": RISK_TIER_LABELS,
        "status": next(s for s in service.status(principal.user.id)
                       if s.course_id == found.id)}, status_code=status_code)


@router.get("/courses/{course_id}/lessons/{lesson_id}")
def lesson_page(request: Request, course_id: str, lesson_id: str,
                principal: Principal = Depends(access),
                service: TrainingService = Depends(_service)) -> Response:
    return _lesson_page(request, principal, service, course_id, lesson_id)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@router.post("/courses/{course_id}/lessons/{lesson_id}")
async def lesson_answer(request: Request, course_id: str, lesson_id: str,
                        principal: Principal = Depends(access),
                        service: TrainingService = Depends(_service)) -> Response:
    lesson = course(course_id).lesson(lesson_id)
    form = await request.form()
    answers = [_int(form.get(f"q{i}")) for i in range(len(lesson.questions))]
    try:
        result = service.answer_lesson(principal.user.id, course_id, lesson_id, answers)
    except TrainingError as error:
        return _lesson_page(request, principal, service, course_id, lesson_id,
                            answers=answers, error=error, status_code=error.status)
    return _lesson_page(request, principal, service, course_id, lesson_id, result=result,
                        answers=answers)


@router.get("/districts")
def districts_page(request: Request) -> Response:
    return render(request, "training/districts.html", {
        **_context(request), "districts": district_list(get_governance().gateway.database)})


@router.get("/districts/{district}")
def district_page(request: Request, district: str) -> Response:
    found = district_profile(get_governance().gateway.database, district)
    return render(request, "training/district.html", {**_context(request), "profile": found})


# -- drills ----------------------------------------------------------------------------------------
@router.get("/drills")
def drills_page(request: Request) -> Response:
    from accord.training.scenarios import scenarios

    return render(request, "training/drills.html",
                  {**_context(request), "drills": list(drills().values()),
                   "scenarios": list(scenarios().values())})


@router.post("/drills/{drill_id}/runs")
def start_drill(drill_id: str, cohort: str = Form(""), principal: Principal = Depends(access),
                service: TrainingService = Depends(_service)) -> Response:
    run_id = service.start_drill(principal.user.id, drill_id, cohort)
    return RedirectResponse(f"/training/drills/runs/{run_id}", status_code=303)


@router.get("/drills/runs/{run_id}")
def run_page(request: Request, run_id: int, principal: Principal = Depends(access),
             service: TrainingService = Depends(_service)) -> Response:
    run, found, answers = service.run(principal.user.id, run_id)
    step = service.next_item(principal.user.id, run_id)
    item = found.item(step[0]) if step else None
    done = [(i, answers[i.id]) for i in found.items
            if i.id in answers and answers[i.id].after_choice is not None]
    return render(request, "training/run.html", {
        **_context(request), "run": run, "drill": found, "item": item,
        "phase": step[1] if step else None, "answer": answers.get(item.id) if item else None,
        "done": done, "score": service.run_score(principal.user.id, run_id),
        "position": len(done) + 1})


@router.post("/drills/runs/{run_id}/items/{drill_item}/before")
def judge_before(run_id: int, drill_item: str, choice: int = Form(...),
                 principal: Principal = Depends(access),
                 service: TrainingService = Depends(_service)) -> Response:
    """The judgement without the AI suggestion; the suggestion is shown only after it."""
    service.judge_before(principal.user.id, run_id, drill_item, choice)
    return RedirectResponse(f"/training/drills/runs/{run_id}", status_code=303)


@router.post("/drills/runs/{run_id}/items/{drill_item}/after")
def judge_after(run_id: int, drill_item: str, choice: int = Form(...),
                principal: Principal = Depends(access),
                service: TrainingService = Depends(_service)) -> Response:
    service.judge_after(principal.user.id, run_id, drill_item, choice)
    return RedirectResponse(f"/training/drills/runs/{run_id}", status_code=303)


# -- scenario drills -----------------------------------------------------------------------------
def _scenario_page(request: Request, scenario_id: str, *, result: Any = None,
                   chosen: set[str] | None = None, status_code: int = 200) -> Response:
    from accord.training.scenarios import deadline_choices, label, options, scenario

    found = scenario(scenario_id)
    offered = [{"option": o, "deadlines": [label(p) for p in deadline_choices(o.period)]
                if o.period else []} for o in options(found)]
    return render(request, "training/scenario.html", {
        **_context(request), "scenario": found, "offered": offered, "result": result,
        "chosen": chosen or set()}, status_code=status_code)


@router.get("/scenarios/{scenario_id}")
def scenario_page(request: Request, scenario_id: str) -> Response:
    return _scenario_page(request, scenario_id)


@router.post("/scenarios/{scenario_id}")
async def scenario_answer(request: Request, scenario_id: str,
                          principal: Principal = Depends(access),
                          service: TrainingService = Depends(_service)) -> Response:
    form = await request.form()
    chosen = {str(v) for v in form.getlist("step")}
    deadlines = {key[len("deadline:"):]: str(value) for key, value in form.items()
                 if key.startswith("deadline:")}
    share, passed, feedback = service.answer_scenario(principal.user.id, scenario_id, chosen,
                                                      deadlines)
    return _scenario_page(request, scenario_id, chosen=chosen,
                          result={"share": share, "passed": passed, "feedback": feedback})


# -- the trainer's view ------------------------------------------------------------------------
@trainer_router.get("/trainer")
def trainer_page(request: Request, service: TrainingService = Depends(_service)) -> Response:
    reports = [(d, service.trainer_report(d.id)) for d in drills().values()]
    return render(request, "training/trainer.html", {**_context(request), "reports": reports})

