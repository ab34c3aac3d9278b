"""Courses as versioned data: ``accord/training/courses/*.yaml``, in Chinese with English.

Why data and not code: course content changes with the law, the capabilities and what trainers
learn, and a certificate must say which version of a course it was earned on. :func:`load_courses`
validates every file (unknown keys, a question whose answer is not one of its choices, a pass
mark outside 0–1, a certificate required for a capability that is not registered) and raises
:class:`CourseError` naming the file and the place, so a broken course stops the application at
start instead of certifying someone on a wrong question.

Two kinds of lesson content are not written in the files but read where they live, so a course
cannot drift from the system it teaches: ``include: model-cards`` shows each capability's own
model card from the registry (its measured figures come from bench/results through
``accord.core.figures``), ``include: prohibited-uses`` the uses Accord refuses with their reasons,
and ``guidance: <case type>`` the case guidance checklist with the verification status of each
legal fact (read through the cases package).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accord.core.errors import NotFound
from accord.core.i18n import N_

COURSE_DIR = Path(__file__).resolve().parent / "courses"
INCLUDES = ("model-cards", "prohibited-uses")
_COURSE_KEYS = {"id", "version", "title", "summary", "certificate", "valid_days",
                "required_for", "lessons"}
_LESSON_KEYS = {"id", "title", "body", "sources", "pass_mark", "questions", "include",
                "guidance"}
_QUESTION_KEYS = {"text", "choices", "answer"}


class CourseError(ValueError):
    """A course file is wrong; the message names the file and the place."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def in_(self, language: str) -> str:
        return self.zh if language == "zh_Hans" else self.en


@dataclass(frozen=True)
class Question:
    text: Text
    choices: tuple[Text, ...]
    answer: int  # index into choices


@dataclass(frozen=True)
class Lesson:
    id: str
    title: Text
    body: Text
    sources: tuple[str, ...]
    pass_mark: float  # share of questions answered correctly
    questions: tuple[Question, ...]
    include: str = ""
    guidance: str = ""  # a case type: show its guidance checklist


@dataclass(frozen=True)
class Course:
    id: str
    version: int
    title: Text
    summary: Text
    certificate: str
    valid_days: int
    required_for: tuple[str, ...]
    lessons: tuple[Lesson, ...]
    digest: str  # sha256 of the file as loaded: what a pass was earned on

    @property
    def href(self) -> str:
        return f"/training/courses/{self.id}"

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise NotFound(N_("No lesson %(id)s in this course."), id=lesson_id)


def _text(where: str, value: Any) -> Text:
    if not isinstance(value, dict) or set(value) != {"en", "zh"}:
        raise CourseError(f"{where}: needs exactly 'en' and 'zh' texts")
    en, zh = value["en"], value["zh"]
    if not (isinstance(en, str) and en.strip() and isinstance(zh, str) and zh.strip()):
        raise CourseError(f"{where}: 'en' and 'zh' must be non-empty text")
    return Text(_unwrap(en, " "), _unwrap(zh, ""))


def _unwrap(text: str, joiner: str) -> str:
    """Paragraphs kept, line breaks inside a paragraph joined: with a space in English, with
    nothing in Chinese (a wrapped YAML line would otherwise show as a stray space)."""
    paragraphs = text.strip().split("\n\n")
    return "\n\n".join(joiner.join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _keys(where: str, data: Any, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CourseError(f"{where}: not a mapping")
    unknown = set(data) - allowed
    if unknown:
        raise CourseError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    missing = required - set(data)
    if missing:
        raise CourseError(f"{where}: missing {', '.join(sorted(missing))}")
    return data


def _question(where: str, data: Any) -> Question:
    data = _keys(where, data, _QUESTION_KEYS, _QUESTION_KEYS)
    choices = data["choices"]
    if not isinstance(choices, list) or len(choices) < 2:
        raise CourseError(f"{where}: a question needs at least two choices")
    answer = data["answer"]
    if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
        raise CourseError(f"{where}: answer must be the index of one of its "
                          f"{len(choices)} choices")
    return Question(_text(f"{where}.text", data["text"]),
                    tuple(_text(f"{where}.choices[{i}]", c) for i, c in enumerate(choices)),
                    answer)


def _lesson(where: str, data: Any, case_types: set[str] | None) -> Lesson:
    data = _keys(where, data, _LESSON_KEYS, {"id", "title", "body", "sources", "pass_mark",
                                             "questions"})
    pass_mark = data["pass_mark"]
    if not isinstance(pass_mark, (int, float)) or not 0 < pass_mark <= 1:
        raise CourseError(f"{where}: pass_mark must be a share in (0, 1]")
    questions = data["questions"]
    if not isinstance(questions, list) or not questions:
        raise CourseError(f"{where}: every lesson has a short assessment (questions)")
    sources = data["sources"]
    if not isinstance(sources, list) or not sources or not all(
            isinstance(s, str) and s.strip() for s in sources):
        raise CourseError(f"{where}: every lesson names its sources")
    include = str(data.get("include", ""))
    if include and include not in INCLUDES:
        raise CourseError(f"{where}: include must be one of {', '.join(INCLUDES)}")
    guidance = str(data.get("guidance", ""))
    if guidance and case_types is not None and guidance not in case_types:
        raise CourseError(f"{where}: guidance {guidance!r} is not a case type")
    return Lesson(
        id=str(data["id"]), title=_text(f"{where}.title", data["title"]),
        body=_text(f"{where}.body", data["body"]), sources=tuple(sources),
        pass_mark=float(pass_mark),
        questions=tuple(_question(f"{where}.questions[{i}]", q) for i, q in enumerate(questions)),
        include=include, guidance=guidance,
    )


def parse_course(name: str, raw: bytes, *, case_types: set[str] | None = None) -> Course:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise CourseError(f"{name}: not YAML ({error})") from None
    data = _keys(name, data, _COURSE_KEYS, _COURSE_KEYS)
    version, valid_days = data["version"], data["valid_days"]
    if not isinstance(version, int) or version < 1:
        raise CourseError(f"{name}: version must be a positive integer")
    if not isinstance(valid_days, int) or valid_days < 1:
        raise CourseError(f"{name}: valid_days must be a positive number of days")
    lessons = data["lessons"]
    if not isinstance(lessons, list) or not lessons:
        raise CourseError(f"{name}: a course has lessons")
    parsed = tuple(_lesson(f"{name}: lesson {i + 1}", lesson, case_types)
                   for i, lesson in enumerate(lessons))
    ids = [lesson.id for lesson in parsed]
    if len(set(ids)) != len(ids):
        raise CourseError(f"{name}: lesson ids repeat")
    required_for = data["required_for"]
    if not isinstance(required_for, list):
        raise CourseError(f"{name}: required_for is a list of capability ids")
    return Course(
        id=str(data["id"]), version=version, title=_text(f"{name}: title", data["title"]),
        summary=_text(f"{name}: summary", data["summary"]),
        certificate=str(data["certificate"]), valid_days=valid_days,
        required_for=tuple(str(c) for c in required_for), lessons=parsed,
        digest=hashlib.sha256(raw).hexdigest(),
    )


def load_courses(directory: Path = COURSE_DIR) -> dict[str, Course]:
    """Every course in ``directory``, by id (sorted by file name)."""
    from accord.cases.vocab import CASE_TYPES

    courses: dict[str, Course] = {}
    certificates: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        course = parse_course(path.name, path.read_bytes(), case_types=set(CASE_TYPES))
        if course.id != path.stem:
            raise CourseError(f"{path.name}: id {course.id!r} differs from the file name")
        if course.certificate in certificates:
            raise CourseError(f"{path.name}: certificate {course.certificate!r} is issued by "
                              "another course too")
        certificates.add(course.certificate)
        courses[course.id] = course
    if not courses:
        raise CourseError(f"no courses in {directory}")
    return courses


_lock = threading.Lock()
_courses: dict[str, Course] | None = None


def courses() -> dict[str, Course]:
    """The courses shipped with Accord, loaded and validated once."""
    global _courses
    with _lock:
        if _courses is None:
            _courses = load_courses()
        return _courses


def course(course_id: str) -> Course:
    found = courses().get(course_id)
    if found is None:
        raise NotFound(N_("No course %(id)s."), id=course_id)
    return found
