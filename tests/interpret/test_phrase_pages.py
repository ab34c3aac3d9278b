"""The phrasebook page through the real app: the officer sees Chinese entries with similarity,
the person sees the same entries in Arabic (right to left) and confirms one; the confirmation
shows the person's words beside the interpretation. Roles and CSRF are enforced."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from accord.core.roles import Role
from tests.helpers import login


def _form(csrf: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": csrf, "purpose": "victim-assistance",
            "legal_basis": "police-law-art-2", **extra}


def test_match_then_the_person_confirms_in_arabic(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("php.officer", Role.OFFICER)
    csrf = login(client, "php.officer")
    page = client.get("/interpret/phrases")
    assert page.status_code == 200 and 'lang="ar"' in page.text and "العربية" in page.text
    said = "سرقوا جواز سفري"
    answer = client.post("/interpret/phrases/match",
                         data=_form(csrf, text=said, language="ar"))
    assert answer.status_code == 200, answer.text
    body = html.unescape(answer.text)
    assert "我的护照被偷了。" in body  # the officer's side, in Chinese
    assert 'dir="rtl"' in body and "هل هذا ما تقصده؟" in body  # the person's side
    decision = re.search(r'name="decision_id" value="([0-9a-f]+)"', body).group(1)
    done = client.post("/interpret/phrases/confirm", data={
        "csrf_token": csrf, "decision_id": decision, "entry_id": "theft-passport-stolen",
        "language": "ar"})
    assert done.status_code == 200, done.text
    shown = html.unescape(done.text)
    assert 'data-testid="confirmed"' in shown and said in shown and "我的护照被偷了。" in shown
    again = client.post("/interpret/phrases/confirm", data={
        "csrf_token": csrf, "decision_id": decision, "entry_id": "theft-passport-stolen"})
    assert again.status_code == 409


def test_no_match_bad_input_roles_and_csrf(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("php.officer2", Role.OFFICER)
    make_user("php.analyst", Role.ANALYST)
    csrf = login(client, "php.officer2")
    weather = client.post("/interpret/phrases/match",
                          data=_form(csrf, text="أحب هذه المدينة كثيرًا", language="ar"))
    assert weather.status_code == 200 and 'data-testid="no-match"' in weather.text
    officer = client.post("/interpret/phrases/match",
                          data=_form(csrf, text="我需要看你的护照", language="zh", to="ar"))
    shown = html.unescape(officer.text)
    assert officer.status_code == 200 and "أحتاج إلى رؤية جواز سفرك." in shown
    assert 'name="speak_lang" value="ar"' in shown  # read aloud to the person
    japanese = client.post("/interpret/phrases/match",
                           data=_form(csrf, text="我需要看你的护照", language="zh", to="ja"))
    assert "パスポートを見せてください。" in html.unescape(japanese.text)
    assert 'name="speak_lang" value="ja"' not in japanese.text  # no kanji-as-letters audio
    empty = client.post("/interpret/phrases/match", data=_form(csrf, text=" ", language="ar"))
    assert empty.status_code == 422 and "type or say" in empty.text
    forged = client.post("/interpret/phrases/match", data={"text": "x", "language": "en"})
    assert forged.status_code == 403
    client.cookies.clear()
    login(client, "php.analyst")
    assert client.get("/interpret/phrases").status_code == 403
