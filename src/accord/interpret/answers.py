"""Answers to guided interviews: validation per answer type, and the officer's Chinese summary.

A person answers in their own language, but almost every answer is *structured*: a choice
(shown to the officer by its Chinese label), a country (ISO 3166 code, named in Chinese by
CLDR), a date, a time, an amount, a map point, a document or phone number. Those need no
translation step. Free text is kept verbatim and flagged "needs interpretation": nothing here
translates it.

Form fields are named after the question id; a location has two fields, ``<id>__lat`` and
``<id>__lon``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale

from accord.interpret.library import LANGUAGES, Form, Library, Question

#: Longest raw value accepted in any single field, before per-type limits.
RAW_LIMIT = 2000
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$", re.ASCII)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DOCUMENT = re.compile(r"^[A-Z0-9-]{3,20}$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{5,24}$")
_NAME_PUNCTUATION = frozenset(" -'’.,·")
# Embedding and override controls can make displayed text differ from the stored text.
_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")
# Codes CLDR lists that are not ISO 3166-1 countries (regions, unions, test codes).
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                            "XA", "XB", "XK", "ZZ"})
_BABEL_LOCALES = {"zh": "zh_Hans", "pt": "pt", "es": "es", "ar": "ar"}


@dataclass(frozen=True)
class FieldError:
    question_id: str
    code: str  # the ui.yaml key is "error_" + code
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, library: Library, lang: str) -> str:
        """The error in the person's language (English when a text is missing in it)."""
        return library.text(f"error_{self.code}", lang, **self.params)


@dataclass
class Validated:
    values: dict[str, Any]
    errors: dict[str, FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


# -- countries ------------------------------------------------------------------------------------
@cache
def _territories(lang: str) -> dict[str, str]:
    locale = Locale.parse(_BABEL_LOCALES.get(lang, lang))
    return {code: name for code, name in locale.territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


def countries(lang: str) -> list[tuple[str, str]]:
    """(ISO code, name in ``lang``) pairs, sorted by name."""
    return sorted(_territories(lang).items(), key=lambda item: item[1])


def country_name(code: str, lang: str) -> str:
    return _territories(lang).get(code, code)


# -- validation -----------------------------------------------------------------------------------
def _has_control(value: str, allow_newlines: bool) -> bool:
    for char in value:
        if char in _BIDI_OVERRIDES:
            return True
        if unicodedata.category(char) == "Cc" and not (allow_newlines and char in "\n\t"):
            return True
    return False


def _decimal(raw: str) -> Decimal | None:
    text = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _check(question: Question, raw: str, today: date) -> tuple[Any, FieldError | None]:
    """Validate one non-empty raw value; return (normalised value, error)."""
    qid = question.id

    def fail(code: str, **params: Any) -> tuple[Any, FieldError]:
        return None, FieldError(qid, code, params)

    kind = question.type
    if _has_control(raw, allow_newlines=kind == "text"):
        return fail("control")
    if kind in ("text", "name", "document") and len(raw) > question.max_length:
        return fail("too_long", max=question.max_length, length=len(raw))
    if kind == "choice":
        return (raw, None) if question.choice(raw) else fail("choice")
    if kind == "country":
        code = raw.upper()
        return (code, None) if code in _territories("en") else fail("choice")
    if kind == "date":
        try:
            value = date.fromisoformat(raw) if _DATE.match(raw) else None
        except ValueError:
            value = None
        if value is None or not EARLIEST_DATE <= value <= LATEST_DATE:
            return fail("date")
        if question.not_future and value > today:
            return fail("date_future")
        if question.not_past and value < today:
            return fail("date_past")
        if question.earliest and value < date.fromisoformat(question.earliest):
            return fail("date_early", earliest=question.earliest)
        return value.isoformat(), None
    if kind == "time":
        match = _TIME.match(raw)
        return (f"{match.group(1)}:{match.group(2)}", None) if match else fail("time")
    if kind == "number":
        number = _decimal(raw)
        if number is None:
            return fail("number")
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > question.decimals:
            if question.decimals == 0:
                return fail("whole_number")
            return fail("decimals", decimals=question.decimals)
        assert question.minimum is not None and question.maximum is not None
        if number < Decimal(str(question.minimum)):
            return fail("number_min", min=_plain(question.minimum))
        if number > Decimal(str(question.maximum)):
            return fail("number_max", max=_plain(question.maximum))
        return _fmt(number), None
    if kind == "document":
        value = re.sub(r"\s+", "", raw).upper()
        pattern = re.compile(question.pattern) if question.pattern else _DOCUMENT
        return (value, None) if pattern.fullmatch(value) else fail("document")
    if kind == "phone":
        digits = sum(c.isdigit() for c in raw)
        if not _PHONE.match(raw) or not 5 <= digits <= 15:
            return fail("phone")
        return " ".join(raw.split()), None
    if kind == "name":
        ok = all(unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCTUATION for c in raw)
        if not ok or not any(unicodedata.category(c)[0] == "L" for c in raw):
            return fail("name")
        return " ".join(raw.split()), None
    if kind == "text":
        return raw.replace("\r\n", "\n").replace("\r", "\n"), None
    raise AssertionError(f"unhandled question type {kind}")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _location(question: Question, raw: Mapping[str, str]) -> tuple[Any, FieldError | None]:
    lat_raw = str(raw.get(f"{question.id}__lat", "") or "").strip()
    lon_raw = str(raw.get(f"{question.id}__lon", "") or "").strip()
    if not lat_raw and not lon_raw:
        return None, FieldError(question.id, "required") if question.required else None
    if not lat_raw or not lon_raw:
        return None, FieldError(question.id, "location_incomplete")
    if len(lat_raw) > 32 or len(lon_raw) > 32:
        return None, FieldError(question.id, "too_long", {"max": 32, "length": 0})
    lat, lon = _decimal(lat_raw), _decimal(lon_raw)
    if lat is None or not Decimal(-90) <= lat <= Decimal(90):
        return None, FieldError(question.id, "latitude")
    if lon is None or not Decimal(-180) <= lon <= Decimal(180):
        return None, FieldError(question.id, "longitude")
    return {"lat": float(round(lat, 6)), "lon": float(round(lon, 6))}, None


def validate_answers(form: Form, raw: Mapping[str, Any], *, today: date | None = None
                     ) -> Validated:
    """Check every answer of ``form`` in ``raw`` (form data); unknown fields are ignored."""
    today = today or date.today()
    values: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for question in form.questions:
        if question.type == "location":
            value, error = _location(question, raw)
        else:
            item = raw.get(question.id, "")
            text = item.strip() if isinstance(item, str) else ""
            if len(text) > RAW_LIMIT:
                value, error = None, FieldError(question.id, "too_long",
                                                {"max": question.max_length or RAW_LIMIT,
                                                 "length": len(text)})
            elif not text:
                value = None
                error = FieldError(question.id, "required") if question.required else None
            else:
                value, error = _check(question, text, today)
        if error is not None:
            errors[question.id] = error
        elif value is not None:
            values[question.id] = value
    return Validated(values, errors)


def error_messages(validated: Validated, library: Library, lang: str) -> dict[str, str]:
    return {qid: error.message(library, lang) for qid, error in validated.errors.items()}


# -- the officer's Chinese summary ----------------------------------------------------------------
NOT_ANSWERED = "未回答"
NEEDS_INTERPRETATION = "需翻译"


@dataclass(frozen=True)
class SummaryRow:
    question_id: str
    label_zh: str
    answered: bool
    value_zh: str  # what the officer reads; free text verbatim
    value: Any  # the stored, language-neutral value
    needs_interpretation: bool = False
    original_language: str = ""  # for free text: the language the person wrote in


@dataclass(frozen=True)
class ChineseSummary:
    form_id: str
    form_version: int
    title_zh: str
    language: str
    language_zh: str
    rows: tuple[SummaryRow, ...]

    @property
    def needs_interpretation(self) -> int:
        return sum(1 for row in self.rows if row.needs_interpretation)

    def as_text(self) -> str:
        """Plain text for a case file: one line per question, Chinese labels."""
        lines = [f"{self.title_zh}（表单第 {self.form_version} 版；"
                 f"当事人使用{self.language_zh}作答）"]
        for row in self.rows:
            if row.needs_interpretation:
                lines.append(f"{row.label_zh}：【{NEEDS_INTERPRETATION}·原文为"
                             f"{self.language_zh}】«{row.value_zh}»")
            else:
                lines.append(f"{row.label_zh}：{row.value_zh}")
        return "\n".join(lines)


def _value_zh(question: Question, value: Any) -> str:
    if question.type == "choice":
        choice = question.choice(str(value))
        return choice.label.zh if choice else str(value)
    if question.type == "country":
        return f"{country_name(str(value), 'zh')}（{value}）"
    if question.type == "number":
        return f"{value} {question.unit.zh}" if question.unit else str(value)
    if question.type == "location":
        return f"纬度 {value['lat']}，经度 {value['lon']}"
    return str(value)


def chinese_summary(form: Form, answers: Mapping[str, Any], language: str) -> ChineseSummary:
    """What the officer reads: each question's Chinese label and the answer, no translation."""
    rows = []
    for question in form.questions:
        if question.id not in answers:
            rows.append(SummaryRow(question.id, question.label.zh, False, NOT_ANSWERED, None))
            continue
        value = answers[question.id]
        rows.append(SummaryRow(
            question.id, question.label.zh, True, _value_zh(question, value), value,
            needs_interpretation=question.needs_interpretation and language != "zh",
            original_language=language if question.needs_interpretation else "",
        ))
    lang = LANGUAGES.get(language)
    return ChineseSummary(form.id, form.version, form.title.zh, language,
                          lang.name_zh if lang else language, tuple(rows))
