"""An error's detail speaks the reader's language: JSON API, HTML pages and the CLI.

The detail of a validation error is a Message (``accord.core.i18n.M_``): the web layer shows it
in the user's language, the CLI prints its English text.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.core.accounts import AccountService
from accord.core.roles import Role
from accord.core.runtime import get_database
from tests.dispatch.conftest import CENTRE
from tests.helpers import login
from tests.test_cli import run

PLATE_EN = ("Invalid input: a plate holds 1-16 letters, digits, hyphens (Chinese province "
            "characters allowed)")
PLATE_ZH = "输入无效：车牌由 1–16 个字母、数字或连字符组成（可含省份简称汉字）"


def _token(make_user, username: str, role: Role, language: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    user = make_user(username, role, language=language)
    with get_database().session() as session:
        accounts = AccountService(session)
        token = accounts.issue_token(accounts.find_user(user.username), "test").token
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def _latin_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{3,}", text)


def test_api_intake_with_a_bad_plate_answers_in_the_users_language(  # type: ignore[no-untyped-def]
        client: TestClient, make_user) -> None:
    body = {"type": "robbery", "lat": CENTRE[0], "lon": CENTRE[1],
            "vehicles": [{"role": "suspect", "plate": "ABC/123"}]}
    zh = client.post("/api/v1/dispatch/incidents", json=body,
                     headers=_token(make_user, "zh.dispatcher", Role.DISPATCHER, "zh_Hans"))
    assert zh.status_code == 422
    assert zh.json()["detail"] == PLATE_ZH
    assert _latin_words(zh.json()["detail"]) == []  # not half English
    en = client.post("/api/v1/dispatch/incidents", json=body,
                     headers=_token(make_user, "en.dispatcher", Role.DISPATCHER, "en"))
    assert en.status_code == 422
    assert en.json()["detail"] == PLATE_EN


def test_api_detail_with_params_is_translated_with_its_params(  # type: ignore[no-untyped-def]
        client: TestClient, make_user) -> None:
    from accord.dispatch.service import MAX_NARRATIVE

    body = {"type": "robbery", "lat": CENTRE[0], "lon": CENTRE[1],
            "narrative": "x" * (MAX_NARRATIVE + 1)}
    zh = client.post("/api/v1/dispatch/incidents", json=body,
                     headers=_token(make_user, "zh.dispatcher", Role.DISPATCHER, "zh_Hans"))
    assert zh.status_code == 422
    assert zh.json()["detail"] == (f"输入无效：一条警情叙述最多 {MAX_NARRATIVE} 个字符"
                                   f"（本条有 {MAX_NARRATIVE + 1} 个）")
    en = client.post("/api/v1/dispatch/incidents", json=body,
                     headers=_token(make_user, "en.dispatcher", Role.DISPATCHER, "en"))
    assert en.json()["detail"] == (f"Invalid input: a narrative entry may hold at most "
                                   f"{MAX_NARRATIVE} characters (this one has "
                                   f"{MAX_NARRATIVE + 1})")


def test_intake_form_shows_the_detail_in_chinese(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("zh.officer", Role.OFFICER, language="zh_Hans")
    csrf = login(client, "zh.officer")
    bad = client.post("/dispatch/incidents", data={
        "csrf_token": csrf, "type": "robbery", "lat": str(CENTRE[0]), "lon": str(CENTRE[1]),
        "source": "phone", "location_source": "caller", "vehicle_role": "suspect",
        "vehicle_plate": "ABC/123"})
    assert bad.status_code == 422
    assert PLATE_ZH in bad.text
    assert "a plate holds" not in bad.text


def test_cli_prints_the_english_detail(accord_env, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("zh.officer", Role.OFFICER, language="zh_Hans")
    created = run({**accord_env, "ACCORD_USER": "zh.officer"}, "dispatch", "incident", "create",
                  "--type", "robbery", "--lat", str(CENTRE[0]), "--lon", str(CENTRE[1]))
    assert created.returncode == 0, created.stderr
    reference = re.search(r"E-\d+", created.stdout).group(0)  # type: ignore[union-attr]
    refused = run({**accord_env, "ACCORD_USER": "zh.officer"}, "dispatch", "incident",
                  "vehicle", reference, "--role", "suspect", "--plate", "ABC/123")
    assert refused.returncode == 1
    assert PLATE_EN in refused.stderr


def test_api_case_list_with_an_unknown_station_answers_in_the_users_language(  # type: ignore[no-untyped-def]
        client: TestClient, make_user) -> None:
    """A case-file refusal names its field and the problem, both in the reader's language."""
    zh = client.get("/api/v1/cases", params={"station": "不存在"},
                    headers=_token(make_user, "zh.supervisor", Role.SUPERVISOR, "zh_Hans"))
    assert zh.status_code == 422
    assert zh.json()["detail"] == "输入无效：派出所：未知的派出所 '不存在'"
    en = client.get("/api/v1/cases", params={"station": "不存在"},
                    headers=_token(make_user, "en.supervisor", Role.SUPERVISOR, "en"))
    assert en.status_code == 422
    assert en.json()["detail"] == "Invalid input: station: unknown station '不存在'"


def test_html_error_page_shows_the_detail_in_chinese(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    """error.html renders ``_(message, **params)``: the Message parameter shows translated."""
    make_user("zh.supervisor", Role.SUPERVISOR, language="zh_Hans")
    login(client, "zh.supervisor")
    page = client.get("/cases/board", params={"within": "5"})
    assert page.status_code == 422
    assert 'data-testid="error-message">输入无效：期限：须为 2, 24, 168 小时之一<' in page.text
    assert "within" not in page.text.split('data-testid="error-message"')[1].split("<")[0]


def test_text_hygiene_refusal_is_in_the_users_language(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    """The middleware's refusal of a NUL, made before routing, is built from messages too."""
    make_user("zh.supervisor", Role.SUPERVISOR, language="zh_Hans")
    login(client, "zh.supervisor")
    page = client.get("/cases", params={"station": "a\x00b"})
    assert page.status_code == 422
    assert 'data-testid="error-message">输入无效：station：含有 NUL 字符<' in page.text
    en = TestClient(client.app, base_url="http://testserver")
    make_user("en.supervisor", Role.SUPERVISOR, language="en")
    login(en, "en.supervisor")
    refused = en.get("/cases", params={"station": "a\x00b"})
    assert ('data-testid="error-message">Invalid input: station: contains a NUL character<'
            in refused.text)
