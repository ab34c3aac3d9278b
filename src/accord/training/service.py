"""Training services: assessments, certificates, drills. Web pages and commands call these.

Certificates are rows of core's ``user_certificates`` (the table the gateway reads on every
call), issued here when every lesson of a course's current version is passed, or when a course
is recorded as completed at the console; each issue, lesson result and drill result is a ledger
entry of kind ``training-event`` that carries the user id and the course, never a name or an
answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.accounts.models import User
from accord.core.db import Database, utcnow
from accord.core.errors import AccordError, NotFound
from accord.core.gateway.models import UserCertificate
from accord.core.i18n import N_
from accord.core.ledger.store import LedgerService
from accord.training.courses import Course, courses
from accord.training.courses import course as get_course
from accord.training.drills import Drill, Judgement, Score, drill, score
from accord.training.models import DrillAnswer, DrillRun, TrainingPass

LEDGER_KIND = "training-event"
#: A certificate that expires within this many days is announced on the dashboard.
WARN_DAYS = 30
CHANNELS = ("web", "cli", "drill")


class TrainingError(AccordError):
    status = 422


@dataclass(frozen=True)
class CertificateStatus:
    course_id: str
    certificate: str
    required_for: tuple[str, ...]
    issued_at: datetime | None
    expires_at: datetime | None
    valid: bool
    expiring_soon: bool
    lessons_passed: tuple[str, ...]
    lessons_total: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "course": self.course_id, "certificate": self.certificate,
            "required_for": list(self.required_for),
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "valid": self.valid, "expiring_soon": self.expiring_soon,
            "lessons_passed": list(self.lessons_passed), "lessons_total": self.lessons_total,
        }


@dataclass(frozen=True)
class LessonResult:
    course_id: str
    lesson_id: str
    correct: int
    total: int
    passed: bool
    wrong: tuple[int, ...]  # indexes of the questions answered wrongly
    certificate: CertificateStatus | None  # issued by this pass (the course is complete)

    @property
    def score(self) -> float:
        return self.correct / self.total


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class TrainingService:
    def __init__(self, database: Database, ledger: LedgerService) -> None:
        self.database = database
        self.ledger = ledger

    @classmethod
    def from_governance(cls) -> TrainingService:
        from accord.core.governance import get_governance

        governance = get_governance()
        return cls(governance.gateway.database, governance.ledger)

    # -- certificates ---------------------------------------------------------------------------
    def status(self, user_id: int, now: datetime | None = None) -> list[CertificateStatus]:
        with self.database.session() as session:
            self._user(session, user_id)
            return certificate_statuses(session, user_id, now)

    def complete(self, user_id: int, course_id: str, *, channel: str = "cli") -> CertificateStatus:
        """Record a pass of the whole course (a classroom course signed off at the console)
        and issue its certificate."""
        course = get_course(course_id)
        if channel not in CHANNELS:
            raise TrainingError(N_("Unknown channel %(channel)s."), channel=channel)
        with self.database.write_session() as session:
            self._user(session, user_id)
            return self._issue(session, user_id, course, channel)

    def _issue(self, session: Session, user_id: int, course: Course,
               channel: str) -> CertificateStatus:
        now = utcnow()
        expires = now + timedelta(days=course.valid_days)
        seq = self.ledger.append(session, LEDGER_KIND, {
            "actor": f"user:{user_id}", "event": "certificate-issued",
            "course": {"id": course.id, "version": course.version, "digest": course.digest},
            "certificate": course.certificate, "expires_at": expires.isoformat(),
            "channel": channel,
        })
        session.add(TrainingPass(user_id=user_id, course_id=course.id,
                                 course_version=course.version, lesson_id="", score=1.0,
                                 passed=True, channel=channel, ledger_seq=seq, created_at=now))
        row = session.get(UserCertificate, (user_id, course.certificate))
        if row is None:
            row = UserCertificate(user_id=user_id, name=course.certificate)
            session.add(row)
        row.issued_at, row.expires_at = now, expires
        session.flush()
        return next(s for s in certificate_statuses(session, user_id, now)
                    if s.course_id == course.id)

    # -- lessons --------------------------------------------------------------------------------
    def answer_lesson(self, user_id: int, course_id: str, lesson_id: str,
                      answers: Sequence[int | None]) -> LessonResult:
        """Score a lesson's assessment; a pass of the last lesson outstanding issues the
        certificate. Every question must be answered (a missing answer is a 422, nothing
        recorded)."""
        course = get_course(course_id)
        lesson = course.lesson(lesson_id)
        if len(answers) != len(lesson.questions) or any(a is None for a in answers):
            raise TrainingError(N_("Answer every question of the assessment."))
        for answer, question in zip(answers, lesson.questions, strict=True):
            assert answer is not None
            if not 0 <= answer < len(question.choices):
                raise TrainingError(N_("An answer is not one of the question's choices."))
        wrong = tuple(i for i, (answer, question) in enumerate(zip(answers, lesson.questions,
                                                                  strict=True))
                      if answer != question.answer)
        total = len(lesson.questions)
        correct = total - len(wrong)
        passed = correct / total >= lesson.pass_mark
        with self.database.write_session() as session:
            self._user(session, user_id)
            certificate = self._record_lesson(session, user_id, course, lesson_id,
                                              correct / total, passed, "web")
        return LessonResult(course.id, lesson_id, correct, total, passed, wrong, certificate)

    def _record_lesson(self, session: Session, user_id: int, course: Course, lesson_id: str,
                       share: float, passed: bool, channel: str) -> CertificateStatus | None:
        seq = self.ledger.append(session, LEDGER_KIND, {
            "actor": f"user:{user_id}", "event": "lesson-passed" if passed else "lesson-failed",
            "course": {"id": course.id, "version": course.version, "digest": course.digest},
            "lesson": lesson_id, "score": round(share, 4), "channel": channel,
        })
        session.add(TrainingPass(user_id=user_id, course_id=course.id,
                                 course_version=course.version, lesson_id=lesson_id,
                                 score=share, passed=passed, channel=channel, ledger_seq=seq))
        session.flush()
        if passed and {lesson.id for lesson in course.lessons} <= set(
                _lessons_passed(session, user_id, course)):
            return self._issue(session, user_id, course, channel)
        return None

    # -- scenario drills ------------------------------------------------------------------------
    def answer_scenario(self, user_id: int, scenario_id: str, chosen: set[str],
                        deadlines: dict[str, str]) -> tuple[float, bool, list[Any]]:
        """Check the steps and deadlines chosen against the case guidance; record and ledger
        the result (a pass counts for nothing else: the course's lessons still have to be
        passed)."""
        from accord.training.scenarios import check, scenario

        found = scenario(scenario_id)
        share, feedback = check(found, chosen, deadlines)
        passed = share >= found.pass_mark
        course = get_course("foreign-procedure")
        with self.database.write_session() as session:
            self._user(session, user_id)
            seq = self.ledger.append(session, LEDGER_KIND, {
                "actor": f"user:{user_id}", "event": "scenario-checked",
                "scenario": {"id": found.id, "version": found.version},
                "score": round(share, 4), "passed": passed,
            })
            session.add(TrainingPass(user_id=user_id, course_id=course.id,
                                     course_version=course.version,
                                     lesson_id=f"scenario:{found.id}", score=share,
                                     passed=passed, channel="drill", ledger_seq=seq))
        return share, passed, feedback

    # -- drills ---------------------------------------------------------------------------------
    def start_drill(self, user_id: int, drill_id: str, cohort: str) -> int:
        found = drill(drill_id)
        cohort = " ".join(cohort.split())[:40] or utcnow().strftime("%Y-%m")
        with self.database.session() as session:
            self._user(session, user_id)
            run = DrillRun(user_id=user_id, drill_id=found.id, drill_version=found.version,
                           cohort=cohort)
            session.add(run)
            session.flush()
            return run.id

    def run(self, user_id: int, run_id: int) -> tuple[DrillRun, Drill, dict[str, DrillAnswer]]:
        """A trainee's own run (another's is not found), its drill and answers by item."""
        with self.database.session() as session:
            run = session.get(DrillRun, run_id)
            if run is None or run.user_id != user_id:
                raise NotFound(N_("No drill run %(id)s."), id=run_id)
            answers = {a.item_id: a for a in session.scalars(
                select(DrillAnswer).where(DrillAnswer.run_id == run_id))}
            session.expunge_all()
            return run, drill(run.drill_id), answers

    def judge_before(self, user_id: int, run_id: int, item_id: str, choice: int) -> None:
        """The trainee's judgement without the AI suggestion: recorded once, never changed
        (seeing the suggestion and then "correcting" the first judgement would hide the bias)."""
        run, found, answers = self.run(user_id, run_id)
        item = found.item(item_id)
        self._check_choice(choice, len(item.options))
        if run.finished_at is not None:
            raise TrainingError(N_("This drill run is finished."))
        if item_id in answers:
            raise TrainingError(N_("This item was already judged without the suggestion."))
        with self.database.session() as session:
            session.add(DrillAnswer(run_id=run_id, item_id=item_id,
                                    seeded_error=item.seeded_error, before_choice=choice))

    def judge_after(self, user_id: int, run_id: int, item_id: str, choice: int) -> None:
        _run, found, answers = self.run(user_id, run_id)
        item = found.item(item_id)
        self._check_choice(choice, len(item.options))
        answer = answers.get(item_id)
        if answer is None:
            raise TrainingError(N_("Judge the item without the suggestion first."))
        if answer.after_choice is not None:
            raise TrainingError(N_("This item was already judged with the suggestion."))
        with self.database.write_session() as session:
            row = session.get(DrillAnswer, answer.id)
            assert row is not None
            row.after_choice = choice
            session.flush()
            done = session.scalars(select(DrillAnswer).where(
                DrillAnswer.run_id == run_id, DrillAnswer.after_choice.is_not(None))).all()
            if len(done) == len(found.items):
                self._finish(session, run_id, found, done)

    def _finish(self, session: Session, run_id: int, found: Drill,
                done: Sequence[DrillAnswer]) -> None:
        run = session.get(DrillRun, run_id)
        assert run is not None
        run.finished_at = utcnow()
        result = score(_judgements(found, done))
        passed = result.catch_rate is not None and result.catch_rate >= found.pass_mark
        course = get_course(found.course)
        self.ledger.append(session, LEDGER_KIND, {
            "actor": f"user:{run.user_id}", "event": "drill-finished",
            "drill": {"id": found.id, "version": found.version}, "cohort": run.cohort,
            "caught": result.caught, "missed": result.missed, "seeded_errors": result.seeded,
            "switched_to_wrong_ai": result.switched, "passed": passed,
        })
        if passed and found.completes_lesson:
            self._record_lesson(session, run.user_id, course, found.completes_lesson,
                                1.0, True, "drill")

    @staticmethod
    def _check_choice(choice: int, options: int) -> None:
        if not 0 <= choice < options:
            raise TrainingError(N_("Choose one of the options."))

    def next_item(self, user_id: int, run_id: int) -> tuple[str, str] | None:
        """(item id, "before" | "after") of the next step, None when the run is done."""
        _run, found, answers = self.run(user_id, run_id)
        for item in found.items:
            answer = answers.get(item.id)
            if answer is None:
                return item.id, "before"
            if answer.after_choice is None:
                return item.id, "after"
        return None

    def run_score(self, user_id: int, run_id: int) -> Score:
        _run, found, answers = self.run(user_id, run_id)
        return score(_judgements(found, answers.values()))

    def trainer_report(self, drill_id: str) -> dict[str, Any]:
        """Catch rate and over-reliance per trainee and per cohort (finished judgements of every
        run of the drill), for the trainer."""
        found = drill(drill_id)
        per_user: dict[int, list[Judgement]] = defaultdict(list)
        per_cohort: dict[str, list[Judgement]] = defaultdict(list)
        names: dict[int, str] = {}
        cohorts_of: dict[int, set[str]] = defaultdict(set)
        with self.database.session() as session:
            rows = session.execute(
                select(DrillRun.user_id, DrillRun.cohort, DrillAnswer, User.username)
                .join(DrillAnswer, DrillAnswer.run_id == DrillRun.id)
                .join(User, User.id == DrillRun.user_id)
                .where(DrillRun.drill_id == found.id, DrillAnswer.after_choice.is_not(None))
                .order_by(DrillRun.id, DrillAnswer.id)).all()
            for user_id, cohort, answer, username in rows:
                judged = _judgements(found, [answer])
                per_user[user_id].extend(judged)
                per_cohort[cohort].extend(judged)
                names[user_id] = username
                cohorts_of[user_id].add(cohort)
        return {
            "drill": found.id, "version": found.version,
            "trainees": [{"user_id": uid, "username": names[uid],
                          "cohorts": sorted(cohorts_of[uid]), **score(js).as_dict()}
                         for uid, js in sorted(per_user.items(), key=lambda p: names[p[0]])],
            "cohorts": [{"cohort": c, "trainees": len({u for u, cs in cohorts_of.items()
                                                       if c in cs}),
                         **score(js).as_dict()} for c, js in sorted(per_cohort.items())],
        }

    @staticmethod
    def _user(session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(N_("No user %(id)s."), id=user_id)
        return user


def _judgements(found: Drill, answers: Any) -> list[Judgement]:
    """Judgements for the answers judged twice; items no longer in the drill are skipped."""
    items = {item.id: item for item in found.items}
    return [Judgement(a.item_id, items[a.item_id].answer, items[a.item_id].suggestion,
                      a.before_choice, a.after_choice)
            for a in answers if a.after_choice is not None and a.item_id in items]


def _passes(session: Session, user_id: int,
            course_id: str | None = None) -> list[tuple[str, int, str, datetime]]:
    """(course, version, lesson, when) of the user's passed lessons, of one course or all."""
    query = select(TrainingPass.course_id, TrainingPass.course_version, TrainingPass.lesson_id,
                   TrainingPass.created_at).where(
        TrainingPass.user_id == user_id, TrainingPass.passed, TrainingPass.lesson_id != "")
    if course_id is not None:
        query = query.where(TrainingPass.course_id == course_id)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _passed_since(passes: list[tuple[str, int, str, datetime]], course: Course,
                  issued: datetime | None) -> list[str]:
    """Lessons of the course's current version passed since the certificate (if any) was last
    issued: a renewal takes every lesson again."""
    return sorted({lesson for course_id, version, lesson, at in passes
                   if course_id == course.id and version == course.version
                   and (issued is None or (_aware(at) or issued) > issued)})


def _lessons_passed(session: Session, user_id: int, course: Course) -> list[str]:
    issued = session.scalar(select(UserCertificate.issued_at).where(
        UserCertificate.user_id == user_id, UserCertificate.name == course.certificate))
    return _passed_since(_passes(session, user_id, course.id), course, _aware(issued))


def certificate_statuses(session: Session, user_id: int,
                         now: datetime | None = None) -> list[CertificateStatus]:
    """Every course's certificate for the user. Two queries in all (certificates, passes),
    whatever the number of courses: the dashboard asks on every page view."""
    now = now or utcnow()
    held = {c.name: c for c in session.scalars(
        select(UserCertificate).where(UserCertificate.user_id == user_id))}
    passes = _passes(session, user_id)
    statuses = []
    for course in courses().values():
        row = held.get(course.certificate)
        issued = _aware(row.issued_at) if row else None
        expires = _aware(row.expires_at) if row else None
        valid = row is not None and (expires is None or expires > now)
        passed = _passed_since(passes, course, issued)
        statuses.append(CertificateStatus(
            course.id, course.certificate, course.required_for, issued, expires, valid,
            valid and expires is not None and expires - now <= timedelta(days=WARN_DAYS),
            tuple(passed), len(course.lessons)))
    return statuses


def expiry_notice(session: Session, user_id: int) -> tuple[str, dict[str, Any]] | None:
    """The dashboard line: a certificate that expires soon, or one that has expired and gates a
    capability. None when there is nothing to say."""
    statuses = certificate_statuses(session, user_id)
    soon = [s for s in statuses if s.expiring_soon]
    if soon:
        first = min(soon, key=lambda s: s.expires_at or utcnow())
        assert first.expires_at is not None
        return (N_("Your certificate %(name)s expires on %(date)s: renew it by taking the "
                   "course again."), {"name": first.certificate,
                                      "date": first.expires_at.date().isoformat()})
    lapsed = [s for s in statuses if not s.valid and s.expires_at is not None]
    if lapsed:
        return (N_("Your certificate %(name)s has expired: take the course again."),
                {"name": lapsed[0].certificate})
    return None


def district_list(database: Database) -> list[dict[str, Any]]:
    from accord.training.profiles import districts

    with database.session() as session:
        return districts(session)


def district_profile(database: Database, district: str) -> dict[str, Any]:
    from accord.training.profiles import profile

    with database.session() as session:
        found = profile(session, district)
    if found is None:
        raise NotFound(N_("No case names the district %(name)s."), name=district)
    return found
