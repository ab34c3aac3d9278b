"""The public self-service pages and the officers' interview pages, through the real app."""

from __future__ import annotations

import io
import re
import shutil
import wave
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from accord.core.roles import Role
from accord.interpret import reports
from accord.interpret.library import CONTENT_DIR, load_library
from accord.interpret.models import InterviewReport
from accord.interpret.routes import interviews
from tests.helpers import login

REFERENCE = re.compile(r'data-testid="reference">(RPT-[A-Z0-9]{10})<')
XSS = "<script>alert(1)</script>"
SQLI = "'; DROP TABLE x; --"


def _lost_passport(**overrides: str) -> dict[str, str]:
    answers = {
        "what_happened": "stolen", "full_name": "Ahmed Ali", "nationality": "EG",
        "date_of_birth": "1990-02-28", "incident_date": "2026-01-20", "other_items": "no",
        "stay_permission": "visa", "contact_phone": "+20 100 000 0000",
        "location_description": "محطة المترو، المخرج ب",
    }
    answers.update(overrides)
    return answers


def _open_form(web: TestClient, lang: str = "ar", form_id: str = "lost-passport") -> str:
    page = web.get(f"/public/report/{form_id}?lang={lang}")
    assert page.status_code == 200
    token = web.cookies.get(interviews.PUBLIC_CSRF_COOKIE)
    assert token
    return token


def _submit(web: TestClient, answers: dict[str, str], lang: str = "ar",
            form_id: str = "lost-passport") -> object:
    token = _open_form(web, lang, form_id)
    return web.post(f"/public/report/{form_id}",
                    data={"csrf_token": token, "lang": lang, **answers})


# -- public pages --------------------------------------------------------------------------------
def test_language_picker_names_every_language_in_itself(web: TestClient) -> None:
    page = web.get("/public/report")
    assert page.status_code == 200
    for native in ("中文", "English", "Русский", "日本語", "한국어", "Français", "Español",
                   "Deutsch", "العربية", "Português", "Tiếng Việt", "ไทย"):
        assert native in page.text
    assert "اختر لغتك" in page.text and "เลือกภาษาของคุณ" in page.text


def test_arabic_page_is_right_to_left_and_entirely_arabic(web: TestClient) -> None:
    page = web.get("/public/report/lost-passport?lang=ar")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "فقدان جواز السفر أو سرقته" in page.text  # the form title
    assert "إرسال البلاغ" in page.text  # the submit button
    assert "مسودة ترجمة" in page.text  # the draft warning, in Arabic
    for english in ("Send the report", "Lost or stolen passport", "Draft translation",
                    "Log in", "Dashboard"):
        assert english not in page.text
    french = web.get("/public/report/lost-passport?lang=fr")
    assert '<html lang="fr" dir="ltr">' in french.text and "Passeport perdu ou volé" in french.text


def test_public_report_gets_an_unguessable_reference(web: TestClient, report_table) -> None:  # type: ignore[no-untyped-def]
    response = _submit(web, _lost_passport())
    assert response.status_code == 200, response.text
    assert "تم استلام بلاغك" in response.text
    first = REFERENCE.search(response.text).group(1)
    second = REFERENCE.search(_submit(web, _lost_passport()).text).group(1)
    assert first != second
    with report_table.session() as session:
        rows = session.scalars(select(InterviewReport)).all()
        assert {r.reference for r in rows} == {first, second}
        row = next(r for r in rows if r.reference == first)
        assert row.channel == "public" and row.language == "ar" and row.status == "draft"
        assert row.answers["what_happened"] == "stolen" and row.answers["nationality"] == "EG"
        assert row.content_statuses == ["maintainer-draft"]
        assert row.client_digest and "testclient" not in row.client_digest  # no raw address


def test_bad_answers_come_back_with_errors_in_the_persons_language(web: TestClient,
                                                                  report_table) -> None:  # type: ignore[no-untyped-def]
    response = _submit(web, _lost_passport(date_of_birth="1990-02-30", full_name="",
                                           contact_phone="call me"), lang="es")
    assert response.status_code == 422
    assert 'data-testid="error-date_of_birth">Introduzca una fecha válida' in response.text
    assert 'data-testid="error-full_name">Responda a esta pregunta' in response.text
    assert 'data-testid="error-contact_phone">Introduzca un número de teléfono' in response.text
    assert 'value="call me"' in response.text  # the person's input is kept
    with report_table.session() as session:
        assert session.scalars(select(InterviewReport)).all() == []


def test_public_post_without_the_csrf_cookie_is_refused(web: TestClient, report_table) -> None:  # type: ignore[no-untyped-def]
    token = _open_form(web, "de")
    web.cookies.clear()
    response = web.post("/public/report/lost-passport",
                        data={"csrf_token": token, "lang": "de", **_lost_passport()})
    assert response.status_code == 403
    assert "Das Formular ist abgelaufen" in response.text
    _open_form(web, "de")
    forged = web.post("/public/report/lost-passport",
                      data={"csrf_token": "forged", "lang": "de", **_lost_passport()})
    assert forged.status_code == 403
    with report_table.session() as session:
        assert session.scalars(select(InterviewReport)).all() == []


def test_officer_only_forms_are_not_public(web: TestClient) -> None:
    assert web.get("/public/report/detention?lang=en").status_code == 404
    token = _open_form(web, "en")
    response = web.post("/public/report/detention",
                        data={"csrf_token": token, "lang": "en", "full_name": "X"})
    assert response.status_code == 404 and "This page does not exist." in response.text


def test_rate_limit_per_client_address(web: TestClient, report_table) -> None:  # type: ignore[no-untyped-def]
    for _ in range(reports.PUBLIC_LIMIT):
        assert _submit(web, _lost_passport(), lang="en").status_code == 200
    limited = _submit(web, _lost_passport(), lang="ru")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "С этого подключения отправлено слишком много заявлений" in limited.text
    with report_table.session() as session:
        assert len(session.scalars(select(InterviewReport)).all()) == reports.PUBLIC_LIMIT


def test_oversized_fields_are_refused(web: TestClient, report_table) -> None:  # type: ignore[no-untyped-def]
    response = _submit(web, _lost_passport(location_description="x" * 20_000), lang="en")
    assert response.status_code == 422
    assert 'data-testid="error-location_description">Too long: at most 300 characters.' \
        in response.text
    token = _open_form(web, "en")
    many = {f"extra{i}": "1" for i in range(500)}
    flooded = web.post("/public/report/lost-passport",
                       data={"csrf_token": token, "lang": "en", **_lost_passport(), **many})
    assert flooded.status_code == 400


def test_injection_strings_are_stored_verbatim_and_shown_escaped(web: TestClient,
                                                                report_table,
                                                                make_user) -> None:  # type: ignore[no-untyped-def]
    response = _submit(web, _lost_passport(location_description=XSS, anything_else=SQLI),
                       lang="en")
    assert response.status_code == 200
    reference = REFERENCE.search(response.text).group(1)
    with report_table.session() as session:
        row = session.scalar(select(InterviewReport).where(InterviewReport.reference == reference))
        assert row.answers["location_description"] == XSS
        assert row.answers["anything_else"] == SQLI
    assert "interpret_reports" in inspect(report_table.engine).get_table_names()
    # A bad answer elsewhere re-renders the form with the strings escaped.
    again = _submit(web, _lost_passport(location_description=XSS, full_name=""), lang="en")
    assert again.status_code == 422
    assert XSS not in again.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in again.text
    # The officer sees them as text.
    make_user("li.wei", Role.OFFICER)
    login(web, "li.wei")
    page = web.get(f"/interviews/reports/{reference}")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&#39;; DROP TABLE x; --" in page.text


def test_officer_sees_the_public_report_in_chinese(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    reference = REFERENCE.search(_submit(web, _lost_passport()).text).group(1)
    make_user("li.wei", Role.OFFICER)
    login(web, "li.wei")
    listing = web.get("/interviews/reports")
    assert listing.status_code == 200
    assert reference in listing.text and "护照遗失或被盗" in listing.text
    assert "阿拉伯语" in listing.text
    page = web.get(f"/interviews/reports/{reference}")
    assert page.status_code == 200
    assert 'data-testid="summary-title">护照遗失或被盗<' in page.text
    assert "发生了什么？" in page.text
    assert 'data-testid="answer-what_happened">被盗或被抢<' in page.text
    assert 'data-testid="answer-nationality">埃及（EG）<' in page.text
    assert 'data-testid="answer-date_of_birth">1990-02-28<' in page.text
    assert 'data-testid="needs-interpretation"' in page.text
    assert 'data-testid="verbatim-location_description">محطة المترو، المخرج ب<' in page.text
    assert "The person saw the questions in a draft translation" in page.text
    assert "【需翻译·原文为阿拉伯语】«محطة المترو، المخرج ب»" in page.text


@pytest.mark.parametrize("path", ["/interviews", "/interviews/reports",
                                  "/interviews/reports/RPT-AAAAAAAAAA",
                                  "/interviews/lost-passport?lang=es"])
def test_anonymous_cannot_open_officer_pages(web: TestClient, path: str) -> None:
    browser = web.get(path, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"].startswith("/login")
    api = web.get(path, headers={"Accept": "application/json"}, follow_redirects=False)
    assert api.status_code == 401


def test_other_roles_cannot_read_reports(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ana.lyst", Role.ANALYST)
    login(web, "ana.lyst")
    assert web.get("/interviews/reports").status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.INTERPRETER])
def test_officer_roles_may_read_reports(web: TestClient, make_user, role: Role) -> None:  # type: ignore[no-untyped-def]
    make_user("someone", role)
    login(web, "someone")
    assert web.get("/interviews/reports").status_code == 200


def test_tablet_interview_in_spanish_ends_with_the_chinese_summary(web: TestClient,
                                                                   make_user,
                                                                   report_table) -> None:  # type: ignore[no-untyped-def]
    make_user("li.wei", Role.OFFICER)
    csrf = login(web, "li.wei")
    form_page = web.get("/interviews/theft-fraud?lang=es")
    assert form_page.status_code == 200
    assert '<section lang="es" translate="no" dir="ltr"' in form_page.text
    assert "Robo o estafa (víctima)" in form_page.text
    assert "发生了哪类事件？" in form_page.text  # the officer's small Chinese labels
    assert "Traducción provisional" in form_page.text
    story = "Un hombre con chaqueta roja me quitó el bolso en el mercado."
    answers = {"offence": "robbery", "incident_date": "2026-01-20", "items": story,
               "amount": "1500,50", "payment": "cash", "injured": "no",
               "full_name": "Ana Ruiz", "nationality": "ES", "contact_phone": "+34 600 123 456"}
    missing = web.post("/interviews/theft-fraud", data={"csrf_token": csrf, "lang": "es",
                                                        **answers, "injured": ""})
    assert missing.status_code == 422
    assert 'data-testid="error-injured">Responda a esta pregunta' in missing.text
    done = web.post("/interviews/theft-fraud", data={"csrf_token": csrf, "lang": "es", **answers},
                    follow_redirects=False)
    assert done.status_code == 303
    summary = web.get(done.headers["location"])
    assert "抢劫或抢夺（使用暴力或威胁）" in summary.text
    assert 'data-testid="answer-amount">1500.50 元（人民币）<' in summary.text
    assert f'data-testid="verbatim-items">{story}<' in summary.text
    assert "西班牙语" in summary.text
    with report_table.session() as session:
        row = session.scalar(select(InterviewReport))
        assert row.channel == "officer" and row.created_by is not None
        assert row.client_digest == ""


def test_tablet_post_needs_the_session_csrf_token(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("li.wei", Role.OFFICER)
    login(web, "li.wei")
    response = web.post("/interviews/dispute", data={"lang": "en", "dispute_kind": "shop"})
    assert response.status_code == 403


def test_tablet_without_language_lets_the_person_choose(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("li.wei", Role.OFFICER)
    login(web, "li.wei")
    page = web.get("/interviews/detention")
    assert page.status_code == 200 and 'href="/interviews/detention?lang=ar"' in page.text
    assert web.get("/interviews/no-such-form?lang=en").status_code == 404
    index = web.get("/interviews")
    titles = ("护照遗失或被盗", "盗窃或诈骗受害", "交通事故", "纠纷", "住宿登记",
              "羁押时基本情况询问")
    positions = [index.text.index(title) for title in titles]
    assert positions == sorted(positions)  # case types in the agreed order


# -- notices -------------------------------------------------------------------------------------
def test_notices_list_and_printable_page(web: TestClient) -> None:
    listing = web.get("/public/notices?lang=ko")
    assert listing.status_code == 200 and '<html lang="ko" dir="ltr">' in listing.text
    for notice_id in ("rights-questioning", "consular-notification", "interpreter",
                      "registration-duty", "fines", "complaints"):
        assert f'href="/public/notices/{notice_id}?lang=ko"' in listing.text
    page = web.get("/public/notices/consular-notification?lang=ar")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "الحق في الإبلاغ القنصلي" in page.text
    assert 'data-testid="draft-warning">مسودة ترجمة' in page.text
    assert 'data-verified="no"' in page.text
    assert "领事通知权" in page.text  # the Chinese text beside it for the officer
    assert "@media print" in page.text
    assert web.get("/public/notices/no-such-notice?lang=en").status_code == 404


def test_a_verified_notice_is_presented_without_the_warning(
        web: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "notices" / "interpreter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["translations"]["es"] = {"status": "verified", "translator": "Ana Ruiz",
                                  "date": "2026-11-20"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    library = load_library(content)
    monkeypatch.setattr(interviews, "get_library", lambda: library)
    spanish = web.get("/public/notices/interpreter?lang=es")
    assert 'data-verified="yes"' in spanish.text
    assert 'data-testid="draft-warning"' not in spanish.text.split('data-testid="notice-zh"')[0]
    assert "Traducción verificada por Ana Ruiz el 2026-11-20." in spanish.text
    french = web.get("/public/notices/interpreter?lang=fr")
    assert 'data-verified="no"' in french.text and "Traduction provisoire" in french.text


def test_notice_audio_is_prepared_through_the_gateway_then_served(  # type: ignore[no-untyped-def]
        web: TestClient, make_user, database, accord_env) -> None:
    from sqlalchemy import func

    from accord.core.gateway.models import Decision, LedgerEntry
    from accord.core.gateway.service import Caller
    from accord.core.governance import get_governance
    from accord.interpret.library import get_library
    from accord.interpret.speak_capability import NOTICE_CACHE_DIR, prepare_notice_audio

    # Not prepared yet: no player on the page and no audio; nothing runs for the visitor.
    assert 'data-testid="audio"' not in web.get("/public/notices/interpreter?lang=zh").text
    assert web.get("/public/notices/interpreter/audio?lang=zh").status_code == 404

    def ledger() -> int:
        with database.session() as session:
            return int(session.scalar(select(func.count()).select_from(LedgerEntry)))

    officer = make_user("notice.officer", Role.OFFICER)
    caller = Caller(officer.id, officer.username, frozenset({"officer"}))
    directory = Path(accord_env["ACCORD_STATE_DIR"]) / NOTICE_CACHE_DIR
    texts = [(get_library().notice("interpreter").speech("zh"), "zh")]
    before = ledger()
    made = prepare_notice_audio(get_governance().gateway, caller, texts, directory)
    assert [language for language, _ in made] == ["zh"] and ledger() == before + 1
    with database.session() as session:
        record = session.scalar(select(Decision).where(Decision.ledger_seq == made[0][1]))
        assert record.capability_id == "interpret.speak" and record.purpose == "public-service"
        assert record.actor_id == officer.id and record.output["engine"] == "espeak-ng"
    # Prepared once: a second run makes nothing and ledgers nothing.
    assert prepare_notice_audio(get_governance().gateway, caller, texts, directory) == []
    assert ledger() == before + 1
    page = web.get("/public/notices/interpreter?lang=zh")
    assert 'src="/public/notices/interpreter/audio?lang=zh"' in page.text
    response = web.get("/public/notices/interpreter/audio?lang=zh")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as wav:
        assert wav.getnframes() / wav.getframerate() > 5
    assert ledger() == before + 1  # serving the prepared audio is not a model call
    assert web.get("/public/notices/interpreter/audio?lang=fr").status_code == 404
    assert web.get("/public/notices/interpreter/audio?lang=tlh").status_code == 422
    assert web.get("/public/notices/interpreter/audio").status_code == 422
    assert web.get("/public/notices/nothing/audio?lang=en").status_code == 404
