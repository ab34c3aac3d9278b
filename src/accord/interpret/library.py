"""The content library: guided-interview forms, notices and public-page texts, as data.

Content lives in YAML files under ``accord/interpret/content/`` — one file per form
(``forms/*.yaml``) and per notice (``notices/*.yaml``), plus a question bank shared by forms
(``question-bank.yaml``) and the texts of the public pages (``ui.yaml``). Every text is given in
all :data:`LANGUAGES` side by side, and every text has a translation *status*:

* ``maintainer-draft`` — drafted by Accord's maintainers (not certified translators);
* ``machine-draft`` — produced by machine translation, not checked;
* ``verified`` — checked by a certified translator, whose name and the date are recorded.

A file declares the status of each language once (``translations:``); a single text may
override it (``{text: …, status: verified, translator: …, date: …}``), e.g. after a translator
verified one corrected sentence. Only a notice whose texts are all ``verified`` in a language is
presented as a notice in that language; everything else carries a visible draft warning.

:func:`load_library` reads and validates every file and raises :class:`ContentError` naming the
file and the field for the first problem (a missing language, a question without a Chinese
label, an unknown status, …), so broken content stops the application at start instead of
showing a half-translated form to a person who cannot tell.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"


@dataclass(frozen=True)
class Language:
    code: str  # the content key, e.g. "zh", "ar"
    native: str  # the language's name in itself, for pickers
    name_en: str
    name_zh: str
    bcp47: str  # for lang="" attributes
    rtl: bool = False


#: The languages every text must be given in, in picker order. Chinese first: it is the
#: officers' language and the one every label must have.
LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("zh", "中文", "Chinese", "中文", "zh-Hans"),
    Language("en", "English", "English", "英语", "en"),
    Language("ru", "Русский", "Russian", "俄语", "ru"),
    Language("ja", "日本語", "Japanese", "日语", "ja"),
    Language("ko", "한국어", "Korean", "韩语", "ko"),
    Language("fr", "Français", "French", "法语", "fr"),
    Language("es", "Español", "Spanish", "西班牙语", "es"),
    Language("de", "Deutsch", "German", "德语", "de"),
    Language("ar", "العربية", "Arabic", "阿拉伯语", "ar", rtl=True),
    Language("pt", "Português", "Portuguese", "葡萄牙语", "pt"),
    Language("vi", "Tiếng Việt", "Vietnamese", "越南语", "vi"),
    Language("th", "ไทย", "Thai", "泰语", "th"),
)}
FALLBACK_LANGUAGE = "en"
STATUSES = ("maintainer-draft", "machine-draft", "verified")
QUESTION_TYPES = ("choice", "country", "date", "time", "number", "location", "document",
                  "phone", "name", "text")
_ID = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class ContentError(ValueError):
    """A content file is invalid. The message names the file and the field."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


# -- model ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Translation:
    text: str
    status: str
    translator: str = ""
    date: str = ""  # ISO date the translator verified it

    @property
    def verified(self) -> bool:
        return self.status == "verified"


@dataclass(frozen=True)
class Text:
    """One text in every language."""

    values: Mapping[str, Translation]

    def get(self, lang: str) -> Translation:
        return self.values.get(lang) or self.values[FALLBACK_LANGUAGE]

    def __call__(self, lang: str) -> str:
        return self.get(lang).text

    @property
    def zh(self) -> str:
        return self.values["zh"].text

    def status(self, lang: str) -> str:
        return self.get(lang).status

    def verified(self, lang: str) -> bool:
        return lang in self.values and self.values[lang].verified


@dataclass(frozen=True)
class Choice:
    id: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    required: bool = True
    help: Text | None = None
    choices: tuple[Choice, ...] = ()
    # number
    minimum: float | None = None
    maximum: float | None = None
    decimals: int = 0
    unit: Text | None = None
    # text, name, document
    max_length: int = 0
    pattern: str = ""
    # date
    not_future: bool = False
    not_past: bool = False
    earliest: str = ""  # ISO date

    @property
    def needs_interpretation(self) -> bool:
        """Free text is kept verbatim; an interpreter must render it in Chinese."""
        return self.type == "text"

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: Text
    intro: Text
    questions: tuple[Question, ...]
    public: bool
    file: str
    languages: Mapping[str, Translation]  # file-level status per language (text unused)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def texts(self) -> Iterable[Text]:
        yield self.title
        yield self.intro
        for question in self.questions:
            yield question.label
            if question.help is not None:
                yield question.help
            if question.unit is not None:
                yield question.unit
            for choice in question.choices:
                yield choice.label

    def verified(self, lang: str) -> bool:
        return all(text.verified(lang) for text in self.texts())

    def statuses(self, lang: str) -> list[str]:
        return sorted({text.status(lang) for text in self.texts()})


@dataclass(frozen=True)
class Notice:
    id: str
    version: int
    title: Text
    summary: Text
    paragraphs: tuple[Text, ...]
    file: str
    languages: Mapping[str, Translation]

    def texts(self) -> Iterable[Text]:
        yield self.title
        yield self.summary
        yield from self.paragraphs

    def verified(self, lang: str) -> bool:
        """Only a notice verified in ``lang`` may be presented as a legal notice in it."""
        return all(text.verified(lang) for text in self.texts())

    def statuses(self, lang: str) -> list[str]:
        return sorted({text.status(lang) for text in self.texts()})

    def speech(self, lang: str) -> str:
        """The notice as one text to read aloud."""
        return "\n\n".join([self.title(lang), self.summary(lang)]
                           + [p(lang) for p in self.paragraphs])


@dataclass(frozen=True)
class Library:
    forms: Mapping[str, Form]
    notices: Mapping[str, Notice]
    ui: Mapping[str, Text]
    directory: Path = field(default=CONTENT_DIR)

    def form(self, form_id: str) -> Form | None:
        return self.forms.get(form_id)

    def notice(self, notice_id: str) -> Notice | None:
        return self.notices.get(notice_id)

    def public_forms(self) -> list[Form]:
        return [f for f in self.forms.values() if f.public]

    def text(self, key: str, lang: str, **params: Any) -> str:
        """A public-page text in ``lang`` with ``{name}`` placeholders filled in."""
        value = self.ui[key](lang)
        if params:
            value = _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), value)
        return value


# -- loading and validation -----------------------------------------------------------------------
#: Texts the public pages and the answer validation need; ui.yaml must define every one.
REQUIRED_UI_KEYS = (
    "site_title", "choose_language", "language_label", "emergency", "report_title",
    "report_intro", "choose_report", "privacy", "required", "optional", "choose_option",
    "submit", "errors_heading", "received_title", "your_reference", "received_next",
    "draft_warning", "rate_limited", "form_expired", "notices_title", "notices_intro",
    "listen", "print", "audio_note", "back", "latitude", "longitude", "location_hint",
    "use_my_location", "date_hint", "time_hint", "not_found",
    "verified_by", "draft_label",
    "error_required", "error_choice", "error_date", "error_date_future", "error_date_past",
    "error_date_early", "error_time", "error_number", "error_whole_number", "error_number_min",
    "error_number_max",
    "error_decimals", "error_latitude", "error_longitude", "error_location_incomplete",
    "error_document", "error_phone", "error_name", "error_too_long", "error_control",
)
_TOP_KEYS = {
    "form": {"id", "kind", "version", "public", "translations", "title", "intro", "questions"},
    "notice": {"id", "kind", "version", "translations", "title", "summary", "paragraphs"},
    "bank": {"kind", "translations", "questions", "choice_sets"},
    "ui": {"kind", "translations", "texts"},
}
_QUESTION_KEYS = {"id", "type", "label", "required", "help", "choices", "min", "max",
                  "decimals", "unit", "max_length", "pattern", "not_future", "not_past",
                  "earliest", "use"}
_DEFAULT_MAX_LENGTH = {"text": 500, "name": 100, "document": 20}


class _Reader:
    """Validates one file; every error names the file and the dotted path to the field."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.file = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
        self.defaults: dict[str, Translation] = {}

    def fail(self, where: str, problem: str) -> ContentError:
        return ContentError(self.file, where, problem)

    def load(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise self.fail("", f"not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise self.fail("", "must be a mapping at the top level")
        kind = data.get("kind")
        if kind not in _TOP_KEYS:
            raise self.fail("kind", f"must be one of {', '.join(sorted(_TOP_KEYS))} "
                                    f"(got {kind!r})")
        unknown = sorted(set(data) - _TOP_KEYS[kind])
        if unknown:
            raise self.fail(unknown[0], "unknown field")
        self.defaults = self.translations(data.get("translations"))
        return data

    # statuses
    def status_entry(self, where: str, value: Any, text: str = "") -> Translation:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping with 'status'")
        unknown = sorted(set(value) - {"status", "translator", "date", "text"})
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", "unknown field")
        status = value.get("status")
        if status not in STATUSES:
            raise self.fail(f"{where}.status",
                            f"unknown status {status!r} (allowed: {', '.join(STATUSES)})")
        translator = str(value.get("translator") or "").strip()
        when = value.get("date")
        when_text = when.isoformat() if isinstance(when, date) else str(when or "").strip()
        if status == "verified":
            if not translator:
                raise self.fail(f"{where}.translator",
                                "a verified text needs the translator's name")
            try:
                date.fromisoformat(when_text)
            except ValueError:
                raise self.fail(f"{where}.date", "a verified text needs the date it was "
                                                 "verified (YYYY-MM-DD)") from None
        return Translation(text=text, status=status, translator=translator, date=when_text)

    def translations(self, value: Any) -> dict[str, Translation]:
        if not isinstance(value, dict):
            raise self.fail("translations", "must give the status of every language")
        result: dict[str, Translation] = {}
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail("translations", f"missing language {lang!r}")
            result[lang] = self.status_entry(f"translations.{lang}", value[lang])
        extra = sorted(set(value) - set(LANGUAGES))
        if extra:
            raise self.fail(f"translations.{extra[0]}", "unsupported language")
        return result

    # texts
    def text(self, where: str, value: Any, *, placeholders: bool = False) -> Text:
        if not isinstance(value, dict):
            raise self.fail(where, "must give the text in every language")
        values: dict[str, Translation] = {}
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail(where, f"missing language {lang!r}"
                                + (" (the Chinese label officers read)" if lang == "zh" else ""))
            item = value[lang]
            if isinstance(item, dict):
                entry = self.status_entry(f"{where}.{lang}", item)
                raw = item.get("text")
            else:
                entry, raw = self.defaults[lang], item
            if not isinstance(raw, str) or not raw.strip():
                raise self.fail(f"{where}.{lang}", "empty text")
            values[lang] = Translation(text=raw.strip(), status=entry.status,
                                       translator=entry.translator, date=entry.date)
        extra = sorted(set(value) - set(LANGUAGES))
        if extra:
            raise self.fail(f"{where}.{extra[0]}", "unsupported language")
        names = {lang: set(_PLACEHOLDER.findall(t.text)) for lang, t in values.items()}
        if placeholders and len({frozenset(n) for n in names.values()}) > 1:
            raise self.fail(where, "placeholders differ between languages: "
                            + ", ".join(f"{k}={sorted(v)}" for k, v in names.items()))
        return Text(values)

    def optional_text(self, where: str, value: Any) -> Text | None:
        return None if value is None else self.text(where, value)

    # questions
    def choices(self, where: str, value: Any) -> tuple[Choice, ...]:
        if not isinstance(value, list) or len(value) < 2:
            raise self.fail(where, "a choice question needs at least two choices")
        result: list[Choice] = []
        for index, item in enumerate(value):
            at = f"{where}[{index}]"
            if not isinstance(item, dict) or set(item) != {"id", "label"}:
                raise self.fail(at, "a choice has exactly 'id' and 'label'")
            if not isinstance(item["id"], str) or not _ID.match(item["id"]):
                raise self.fail(f"{at}.id", "must be lower-case letters, digits, - or _")
            if any(c.id == item["id"] for c in result):
                raise self.fail(f"{at}.id", f"duplicate choice {item['id']!r}")
            result.append(Choice(item["id"], self.text(f"{at}.label", item["label"])))
        return tuple(result)

    def number(self, where: str, value: Any, default: float | None) -> float | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, "must be a number")
        return float(value)

    def flag(self, where: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, "must be true or false")
        return value

    def question(self, where: str, value: Any,
                 choice_sets: Mapping[str, tuple[Choice, ...]]) -> Question:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        unknown = sorted(set(value) - _QUESTION_KEYS)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", "unknown field")
        qid = value.get("id")
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            raise self.fail(f"{where}.id", "must be lower-case letters, digits or _ "
                                           "(at most 40)")
        where = f"{where} ({qid})"
        qtype = value.get("type")
        if qtype not in QUESTION_TYPES:
            raise self.fail(f"{where}.type", f"unknown type {qtype!r} "
                                             f"(allowed: {', '.join(QUESTION_TYPES)})")
        if "label" not in value:
            raise self.fail(f"{where}.label", "missing (every question needs a Chinese label "
                                              "and one in every language)")
        label = self.text(f"{where}.label", value["label"])
        choices: tuple[Choice, ...] = ()
        if qtype == "choice":
            raw = value.get("choices")
            if isinstance(raw, str):
                if raw not in choice_sets:
                    raise self.fail(f"{where}.choices", f"unknown choice set {raw!r}")
                choices = choice_sets[raw]
            else:
                choices = self.choices(f"{where}.choices", raw)
        elif "choices" in value:
            raise self.fail(f"{where}.choices", "only choice questions have choices")
        minimum = self.number(f"{where}.min", value.get("min"), None)
        maximum = self.number(f"{where}.max", value.get("max"), None)
        if qtype == "number" and (minimum is None or maximum is None or minimum > maximum):
            raise self.fail(where, "a number question needs min <= max")
        decimals = value.get("decimals", 0)
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 4:
            raise self.fail(f"{where}.decimals", "must be a whole number from 0 to 4")
        max_length = value.get("max_length", _DEFAULT_MAX_LENGTH.get(qtype, 0))
        if not isinstance(max_length, int) or isinstance(max_length, bool) or not (
                0 <= max_length <= 2000):
            raise self.fail(f"{where}.max_length", "must be a whole number up to 2000")
        pattern = value.get("pattern", "")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as error:
                raise self.fail(f"{where}.pattern", f"invalid regular expression: {error}") \
                    from None
        earliest = value.get("earliest", "")
        earliest = earliest.isoformat() if isinstance(earliest, date) else str(earliest)
        if earliest:
            try:
                date.fromisoformat(earliest)
            except ValueError:
                raise self.fail(f"{where}.earliest", "must be a date YYYY-MM-DD") from None
        return Question(
            id=qid, type=qtype, label=label,
            required=self.flag(f"{where}.required", value.get("required"), True),
            help=self.optional_text(f"{where}.help", value.get("help")),
            choices=choices, minimum=minimum, maximum=maximum, decimals=decimals,
            unit=self.optional_text(f"{where}.unit", value.get("unit")),
            max_length=max_length, pattern=str(pattern or ""),
            not_future=self.flag(f"{where}.not_future", value.get("not_future"), False),
            not_past=self.flag(f"{where}.not_past", value.get("not_past"), False),
            earliest=earliest,
        )

    def version(self, data: Mapping[str, Any]) -> int:
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("version", "must be a whole number >= 1")
        return version

    def ident(self, data: Mapping[str, Any]) -> str:
        ident = data.get("id")
        if not isinstance(ident, str) or not _ID.match(ident):
            raise self.fail("id", "must be lower-case letters, digits, - or _")
        if ident != self.path.stem:
            raise self.fail("id", f"must match the file name ({self.path.stem!r})")
        return ident


@dataclass
class _Bank:
    questions: dict[str, Question]
    choice_sets: dict[str, tuple[Choice, ...]]


def _load_bank(path: Path, root: Path) -> _Bank:
    reader = _Reader(path, root)
    data = reader.load()
    if data["kind"] != "bank":
        raise reader.fail("kind", "must be 'bank'")
    sets: dict[str, tuple[Choice, ...]] = {}
    for name, value in (data.get("choice_sets") or {}).items():
        sets[str(name)] = reader.choices(f"choice_sets.{name}", value)
    questions: dict[str, Question] = {}
    for index, value in enumerate(data.get("questions") or []):
        question = reader.question(f"questions[{index}]", value, sets)
        if question.id in questions:
            raise reader.fail(f"questions[{index}].id", f"duplicate question {question.id!r}")
        questions[question.id] = question
    return _Bank(questions, sets)


def _load_form(path: Path, root: Path, bank: _Bank) -> Form:
    reader = _Reader(path, root)
    data = reader.load()
    if data["kind"] != "form":
        raise reader.fail("kind", "must be 'form' in forms/")
    ident = reader.ident(data)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise reader.fail("questions", "a form needs at least one question")
    questions: list[Question] = []
    for index, value in enumerate(raw_questions):
        where = f"questions[{index}]"
        if isinstance(value, dict) and "use" in value:
            name = value["use"]
            if name not in bank.questions:
                raise reader.fail(f"{where}.use", f"no question {name!r} in the question bank")
            extra = sorted(set(value) - {"use", "required"})
            if extra:
                raise reader.fail(f"{where}.{extra[0]}", "only 'required' may be changed when "
                                                         "using a bank question")
            question = bank.questions[name]
            if "required" in value:
                question = replace(question, required=reader.flag(
                    f"{where}.required", value["required"], True))
        else:
            question = reader.question(where, value, bank.choice_sets)
        if any(q.id == question.id for q in questions):
            raise reader.fail(f"{where}.id", f"duplicate question {question.id!r}")
        questions.append(question)
    return Form(
        id=ident, version=reader.version(data),
        title=reader.text("title", data.get("title")),
        intro=reader.text("intro", data.get("intro")),
        questions=tuple(questions),
        public=reader.flag("public", data.get("public"), False),
        file=reader.file, languages=reader.defaults,
    )


def _load_notice(path: Path, root: Path) -> Notice:
    reader = _Reader(path, root)
    data = reader.load()
    if data["kind"] != "notice":
        raise reader.fail("kind", "must be 'notice' in notices/")
    ident = reader.ident(data)
    paragraphs = data.get("paragraphs")
    if not isinstance(paragraphs, list) or not paragraphs:
        raise reader.fail("paragraphs", "a notice needs at least one paragraph")
    return Notice(
        id=ident, version=reader.version(data),
        title=reader.text("title", data.get("title")),
        summary=reader.text("summary", data.get("summary")),
        paragraphs=tuple(reader.text(f"paragraphs[{i}]", p) for i, p in enumerate(paragraphs)),
        file=reader.file, languages=reader.defaults,
    )


def _load_ui(path: Path, root: Path) -> dict[str, Text]:
    reader = _Reader(path, root)
    data = reader.load()
    if data["kind"] != "ui":
        raise reader.fail("kind", "must be 'ui'")
    texts = data.get("texts")
    if not isinstance(texts, dict):
        raise reader.fail("texts", "must be a mapping of keys to texts")
    result = {str(k): reader.text(f"texts.{k}", v, placeholders=True) for k, v in texts.items()}
    for key in REQUIRED_UI_KEYS:
        if key not in result:
            raise reader.fail(f"texts.{key}", "missing")
    return result


def load_library(directory: Path = CONTENT_DIR) -> Library:
    """Read and validate every content file under ``directory``."""
    directory = Path(directory)
    for required in ("question-bank.yaml", "ui.yaml", "forms", "notices"):
        if not (directory / required).exists():
            raise ContentError(str(directory), required, "missing")
    bank = _load_bank(directory / "question-bank.yaml", directory)
    ui = _load_ui(directory / "ui.yaml", directory)
    forms = {}
    for path in sorted((directory / "forms").glob("*.yaml")):
        form = _load_form(path, directory, bank)
        forms[form.id] = form
    notices = {}
    for path in sorted((directory / "notices").glob("*.yaml")):
        notice = _load_notice(path, directory)
        notices[notice.id] = notice
    if not forms:
        raise ContentError(str(directory), "forms", "no form files")
    return Library(forms=forms, notices=notices, ui=ui, directory=directory)


_lock = threading.Lock()
_library: Library | None = None
#: Set by accord.interpret.interpreters: overlays translators' verifications kept in the database.
_overlay: Callable[[Library], Library] | None = None


def get_library(*, overlay: bool = True) -> Library:
    """The shipped content, loaded and validated once per process; with ``overlay``, the
    statuses include verifications recorded in the UI (see :func:`set_status_overlay`)."""
    global _library
    with _lock:
        if _library is None:
            _library = load_library()
        library = _library
    return _overlay(library) if overlay and _overlay is not None else library


def set_status_overlay(overlay: Callable[[Library], Library] | None) -> None:
    """Let verifications recorded outside the files (in the UI) change what get_library shows."""
    global _overlay
    _overlay = overlay


def content_digest(item: Form | Notice, lang: str) -> str:
    """SHA-256 of exactly the texts of ``item`` in ``lang`` that a translator reviews."""
    texts = [text.values[lang].text for text in item.texts()]
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode("utf-8")).hexdigest()


def with_verifications(library: Library,
                       verified: Mapping[tuple[str, str, str], Translation]) -> Library:
    """A copy of ``library`` where every text of each ``(kind, id, lang)`` key is marked
    verified by the given translator and date. The caller has already compared digests."""
    if not verified:
        return library

    def mark_all(kind: str, item_id: str, text: Text | None) -> Text | None:
        if text is None:
            return None
        values = dict(text.values)
        for (k, i, lang), entry in verified.items():
            if k == kind and i == item_id and lang in values:
                values[lang] = replace(entry, text=values[lang].text)
        return Text(values)

    forms = {}
    for form_id, form in library.forms.items():
        def m(text: Text | None, fid: str = form_id) -> Any:
            return mark_all("form", fid, text)
        forms[form_id] = replace(form, title=m(form.title), intro=m(form.intro), questions=tuple(
            replace(q, label=m(q.label), help=m(q.help), unit=m(q.unit),
                    choices=tuple(replace(c, label=m(c.label)) for c in q.choices))
            for q in form.questions))
    notices = {}
    for notice_id, notice in library.notices.items():
        def n(text: Text, nid: str = notice_id) -> Any:
            return mark_all("notice", nid, text)
        notices[notice_id] = replace(notice, title=n(notice.title), summary=n(notice.summary),
                                     paragraphs=tuple(n(p) for p in notice.paragraphs))
    return replace(library, forms=forms, notices=notices)


def reset_library() -> None:
    global _library
    with _lock:
        _library = None


def language(code: str) -> Language | None:
    return LANGUAGES.get(code)


def pick_language(value: str | None, accept_language: str = "") -> str | None:
    """A content language from a ``lang`` parameter or, failing that, Accept-Language."""
    if value:
        value = value.strip().lower().replace("_", "-")
        if value in LANGUAGES:
            return value
        base = value.split("-")[0]
        return base if base in LANGUAGES else None
    for part in accept_language.split(","):
        base = part.split(";")[0].strip().lower().split("-")[0]
        if base in LANGUAGES:
            return base
    return None
