"""Printable bilingual notices: Chinese first, then the person's language; status on each page."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.errors import NotFound, ValidationFailed
from accord.core.i18n import translations
from accord.core.roles import Role
from accord.interpret import library as content
from accord.interpret.interpreters import (
    Actor,
    InterpreterInput,
    InterpreterService,
    invalidate_overlay,
    parse_language_lines,
)
from accord.interpret.notice_pdf import DRAFT, STATUS_WORDS, notice_pdf
from tests.helpers import login

NOTICE = "rights-questioning"
WARNING_TAIL = "not verified by a certified translator; do not rely on it as the legal text."


def _squash(text: str) -> str:
    """Text without whitespace: lines wrap at different places in the footer and the body."""
    return re.sub(r"\s+", "", text)


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [_squash(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def _zh_draft(language_zh: str) -> str:
    """The Chinese footer sentence, as the catalog words it (English until it is translated)."""
    zh = translations("zh_Hans")
    status = zh.gettext(STATUS_WORDS["maintainer-draft"])
    return zh.gettext(DRAFT) % {"language": language_zh, "status": status}


def _long_library() -> content.Library:
    """The shipped library with one notice four times as long, so the PDF has several pages."""
    base = content.get_library(overlay=False)
    notice = base.notice(NOTICE)
    longer = replace(notice, paragraphs=notice.paragraphs * 4)
    return replace(base, notices={**base.notices, NOTICE: longer})


def test_arabic_pdf_has_both_texts_right_to_left_and_the_status_on_every_page() -> None:
    library = _long_library()
    notice = library.notice(NOTICE)
    data = notice_pdf(NOTICE, "ar", library=library)
    pages = _pages(data)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        # Both texts' statuses, in Chinese (catalog) and in English standing in for Arabic.
        assert _squash(_zh_draft("中文")) in page, number
        assert _squash(_zh_draft("阿拉伯语")) in page, number
        assert _squash(f"Chinese text: maintainer draft — {WARNING_TAIL}") in page, number
        assert _squash(f"Arabic text: maintainer draft — {WARNING_TAIL}") in page, number
        assert (
            _squash("No Arabic translation of this status note exists; it is shown in English.")
            in page
        ), number
    everything = "".join(pages)
    assert _squash(notice.title.zh) in pages[0]
    assert _squash(notice.paragraphs[-1].zh) in everything
    # Arabic is shaped and set right to left: extraction gives its words, and the section
    # heading (the language's own name) sits at the right margin, the Chinese one at the left.
    for word in notice.title("ar").split():
        assert word in everything, word
    starts: dict[str, float] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: object) -> None:
        if text.strip() in ("中文", "العربية"):
            starts.setdefault(text.strip(), tm[4])

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    width = float(reader.pages[0].mediabox.width)
    assert starts["中文"] < width / 4 and starts["العربية"] > width / 2, starts


def test_chinese_only_for_zh_and_english_footer_without_fallback_note() -> None:
    notice = content.get_library().notice("interpreter")
    pages = _pages(notice_pdf("interpreter", "zh"))
    text = "".join(pages)
    assert _squash(notice.title.zh) in text and notice.title("en") not in text
    assert _squash(f"Chinese text: maintainer draft — {WARNING_TAIL}") in text
    assert "Englishtext" not in text and "translationofthisstatusnote" not in text

    english = "".join(_pages(notice_pdf("interpreter", "EN")))  # language codes are normalised
    assert _squash(notice.title("en")) in english and _squash(notice.title.zh) in english
    assert _squash(f"English text: maintainer draft — {WARNING_TAIL}") in english
    assert "translationofthisstatusnote" not in english


def test_unknown_notice_and_unsupported_language_are_clear_errors() -> None:
    with pytest.raises(NotFound) as missing:
        notice_pdf("no-such-notice", "ar")
    assert "No notice with the id no-such-notice." in str(missing.value)
    with pytest.raises(ValidationFailed) as bad:
        notice_pdf(NOTICE, "xx")
    assert "not available in the language xx" in str(bad.value) and "ar" in str(bad.value)
    with pytest.raises(ValidationFailed):
        notice_pdf(NOTICE, "")


def test_public_route_serves_the_pdf_inline_and_refuses_bad_requests(web: TestClient) -> None:
    response = web.get(f"/public/notices/{NOTICE}.pdf?lang=ar")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (f'inline; filename="notice-{NOTICE}-ar.pdf"')
    assert response.content.startswith(b"%PDF-")

    missing = web.get("/public/notices/no-such-notice.pdf?lang=ar")
    assert missing.status_code == 404 and "No notice with the id no-such-notice." in missing.text
    bad = web.get(f"/public/notices/{NOTICE}.pdf?lang=xx")
    assert bad.status_code == 422 and "not available in the language xx" in bad.text
    assert web.get(f"/public/notices/{NOTICE}.pdf").status_code == 422

    # The HTML page still answers (the .pdf route does not shadow it) and links the PDF.
    page = web.get(f"/public/notices/{NOTICE}?lang=ar")
    assert page.status_code == 200
    assert f'href="/public/notices/{NOTICE}.pdf?lang=ar"' in page.text
    assert "PDF · 中文 + العربية" in page.text


def test_a_verified_text_shows_verified_by_instead_of_the_warning(
    database,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    make_user("ana", Role.INTERPRETER)
    service = InterpreterService(database)
    service.add_interpreter(
        InterpreterInput(
            name="Ana Ruiz",
            register_id="TAC-ES-0042",
            languages=parse_language_lines("es; ; 5"),
            modes=["in-person"],
            certified_translator=True,
            certificate_id="CATTI-2-ES-0042",
            username="ana",
        )
    )
    invalidate_overlay()
    try:
        before = "".join(_pages(notice_pdf(NOTICE, "es")))
        assert _squash(f"Spanish text: maintainer draft — {WARNING_TAIL}") in before

        from sqlalchemy import select

        from accord.core.accounts.models import User

        with database.session() as session:
            ana = Actor.of(session.scalar(select(User).where(User.username == "ana")))
        base = content.get_library(overlay=False)
        record = service.review_content(
            base,
            ana,
            kind="notice",
            content_id=NOTICE,
            language="es",
            digest=content.content_digest(base.notice(NOTICE), "es"),
            status="verified",
        )
        when = record.verified_at.date().isoformat()

        pages = _pages(notice_pdf(NOTICE, "es"))
        for page in pages:
            assert (
                _squash(f"Spanish text: verified by Ana Ruiz (CATTI-2-ES-0042) on {when}.") in page
            )
            assert "Spanishtext:maintainerdraft" not in page
            # The Chinese text is still a draft, and says so.
            assert _squash(f"Chinese text: maintainer draft — {WARNING_TAIL}") in page
    finally:
        invalidate_overlay()


def test_case_notices_page_links_the_pdf_in_the_persons_first_content_language(
    client: TestClient,
    make_user,
    database,  # type: ignore[no-untyped-def]
) -> None:
    officer = make_user("officer-pdf", Role.OFFICER)
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir), "Asia/Shanghai")
        case = service.create_case(
            case_type="detention", title="Overstay", officer_id=officer.id, place="Sanlitun"
        )
        # "ber" has no notices; Arabic (as ar-EG) is the first language notices exist in.
        person = service.add_person(
            case,
            role="detainee",
            full_name="Samir Haddad",
            nationality="EGY",
            languages=["ber", "ar-EG", "en"],
            speaks_chinese=False,
        )
        service.add_event(
            case,
            kind="detention",
            occurred_at=datetime.now(UTC) - timedelta(hours=2),
            person_id=person.id,
        )
        reference = case.reference
    csrf = login(client, "officer-pdf")
    recorded = client.post(
        f"/cases/{reference}/notices",
        data={
            "csrf_token": csrf,
            "notice_id": "consular-notification",
            "language": "en",
            "given_at": (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "mode": "read-aloud",
            "person_id": str(person.id),
        },
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    page = client.get(f"/cases/{reference}/notices")
    assert page.status_code == 200
    assert (
        'href="/public/notices/consular-notification.pdf?lang=ar" data-testid="notice-pdf"'
        in page.text
    )
    for notice_id in content.get_library().notices:
        assert f'href="/public/notices/{notice_id}.pdf?lang=ar"' in page.text
    pdf = client.get("/public/notices/consular-notification.pdf?lang=ar")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_a_partly_verified_text_still_carries_the_warning() -> None:
    """One verified sentence does not make the notice a legal text in that language."""
    base = content.get_library(overlay=False)
    notice = base.notice("fines")
    title = dict(notice.title.values)
    title["fr"] = replace(
        title["fr"], status="verified", translator="Luc Martin", date="2026-03-01"
    )
    partly = replace(notice, title=content.Text(title))
    library = replace(base, notices={**base.notices, "fines": partly})
    text = "".join(_pages(notice_pdf("fines", "fr", library=library)))
    total = len(list(partly.texts()))
    assert (
        _squash(
            f"French text: 1 of {total} passages verified by Luc Martin on 2026-03-01; the rest is "
            f"maintainer draft — {WARNING_TAIL}"
        )
        in text
    )
