"""Consular letters in the consulate's language (issue #6): templates, fallback, right-to-left.

The letters are rendered by the real renderer with the real fonts and read back with pypdf.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from accord.cases.guidance_models import ConsularLetter
from accord.cases.notices import LetterTexts, generate_letter, letter_texts
from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role

TZ = "Asia/Shanghai"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: A distinctive phrase of each template (its title) and the country name in that language.
EXPECTED = {
    "RUS": ("ru", "Консульское уведомление", "Российская Федерация", "на английском языке"),
    "KOR": ("ko", "영사 통보", "대한민국", "영어로 기재"),
    "EGY": ("ar", "قنصلي", "مصر", "الإنجليزية"),
    "THA": ("th", "หนังสือแจ้งทางกงสุล", "ไทย", "ภาษาอังกฤษ"),
}
FALLBACK_WORDS = "no template in the consulate's language"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def placeholder_problems(texts: LetterTexts) -> list[str]:
    """Every way a template's placeholders differ from the English template's."""
    english = texts.templates["en"]
    problems = []

    def compare(lang: str, where: str, text: str, reference: str) -> None:
        got, want = sorted(_PLACEHOLDER.findall(text)), sorted(_PLACEHOLDER.findall(reference))
        if got != want:
            problems.append(f"{lang} {where}: {got} != {want}")

    for lang, template in texts.templates.items():
        for field in ("title", "draft", "salutation", "visits"):
            compare(lang, field, getattr(template, field), getattr(english, field))
        if len(template.body) != len(english.body):
            problems.append(f"{lang} body: {len(template.body)} paragraphs")
        for index, (text, reference) in enumerate(zip(template.body, english.body, strict=False)):
            compare(lang, f"body[{index}]", text, reference)
        if template.fallback:
            compare(lang, "fallback", template.fallback, english.fallback)
        if not template.title.strip() or not template.draft.strip():
            problems.append(f"{lang}: empty title or draft line")
    return problems


def test_every_template_has_the_english_placeholders() -> None:
    texts = letter_texts()
    assert placeholder_problems(texts) == []
    assert set(texts.languages.values()) <= set(texts.templates)  # no mapped language left out
    assert {"ru", "fr", "es", "de", "pt", "ja", "ko", "ar", "vi", "th"} <= set(texts.templates)
    assert texts.status == "maintainer-draft"
    # The check itself catches a missing and an extra placeholder.
    russian = texts.templates["ru"]
    broken = replace(
        russian,
        body=(russian.body[0].replace("{reference}", ""), *russian.body[1:]),
        visits=russian.visits + " {name}",
    )
    problems = placeholder_problems(replace(texts, templates={**texts.templates, "ru": broken}))
    assert len(problems) == 2 and all(p.startswith("ru ") for p in problems), problems


@pytest.fixture
def officer_id(make_user) -> int:  # type: ignore[no-untyped-def]
    return int(make_user("officer-letters", Role.OFFICER).id)


def _letter(
    database: Database, officer_id: int, nationality: str
) -> tuple[bytes, ConsularLetter, str]:
    """A detention case of a person of ``nationality``; its generated letter and reference."""
    blobs = BlobStore.for_state_dir(get_settings().state_dir)
    with database.session() as session:
        service = CaseService(session, blobs, TZ)
        case = service.create_case(
            case_type="detention", title="Overstay", officer_id=officer_id, place="Sanlitun"
        )
        person = service.add_person(
            case,
            role="detainee",
            full_name="Alex Example",
            nationality=nationality,
            languages=["en"],
            speaks_chinese=False,
        )
        when = datetime.now(UTC) - timedelta(hours=3)
        service.add_event(case, kind="detention", occurred_at=when, person_id=person.id)
        letter, data = generate_letter(
            session,
            case,
            person_id=person.id,
            user_id=officer_id,
            officer="Li Wei",
            station="",
            tz=TZ,
            blobs=blobs,
        )
        session.commit()
        session.expunge(letter)
        return data, letter, case.reference


@pytest.mark.parametrize("nationality", sorted(EXPECTED))
def test_letter_is_in_chinese_and_the_consulates_language(
    database: Database, officer_id: int, nationality: str
) -> None:
    lang, title, country, english_basis = EXPECTED[nationality]
    data, letter, reference = _letter(database, officer_id, nationality)
    assert letter.languages == ["zh", lang]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == 2
    assert "领事通知" in pages[0] and "维护者草稿" in pages[0]
    other = _squash(pages[1])
    for expected in (title, country, english_basis, "AlexExample", reference):
        assert _squash(expected) in other, expected
    everything = "".join(pages)
    assert FALLBACK_WORDS not in everything and "Consular notification" not in everything
    # The detention time carries its UTC offset, never "CST" (read abroad as US Central).
    assert "UTC+08:00" in everything and "CST" not in everything


def test_arabic_letter_is_right_aligned(database: Database, officer_id: int) -> None:
    data, _letter_row, reference = _letter(database, officer_id, "EGY")
    reader = PdfReader(io.BytesIO(data))
    width = float(reader.pages[0].mediabox.width)
    starts: dict[str, float] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: object) -> None:
        for word in ("领事通知", "قنصلي", "Консульское"):
            if word in text:
                starts.setdefault(word, tm[4])

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    # The Chinese title starts at the left margin; the short Arabic title sits at the right.
    assert starts["领事通知"] < width / 4 and starts["قنصلي"] > width / 2, starts
    # Latin runs inside Arabic lines are not lost (fpdf2 dropped them with a fallback font).
    assert reference in reader.pages[1].extract_text()


def test_russian_letter_is_left_aligned(database: Database, officer_id: int) -> None:
    data, _letter_row, _reference = _letter(database, officer_id, "RUS")
    reader = PdfReader(io.BytesIO(data))
    starts: list[float] = []

    def visit(text: str, cm: object, tm: list[float], font: object, size: object) -> None:
        if "Консульское" in text:
            starts.append(tm[4])

    reader.pages[1].extract_text(visitor_text=visit)
    assert starts and starts[0] < float(reader.pages[1].mediabox.width) / 4, starts


def test_unmapped_nationality_falls_back_to_english_and_says_so(
    database: Database, officer_id: int
) -> None:
    data, letter, _reference = _letter(database, officer_id, "CHL")
    assert letter.languages == ["zh", "en"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Consular notification" in text
    assert _squash(f"{FALLBACK_WORDS} (not recorded for CHL) is available") in _squash(text)
    # A nationality written to in English gets English without the fallback sentence.
    english, letter_us, _ = _letter(database, officer_id, "USA")
    assert letter_us.languages == ["zh", "en"]
    text_us = "".join(page.extract_text() for page in PdfReader(io.BytesIO(english)).pages)
    assert FALLBACK_WORDS not in text_us
