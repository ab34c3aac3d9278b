"""Bilingual UI: Simplified Chinese and English catalogs, switchable per user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from accord.core.i18n import LOCALE_DIR
from accord.core.roles import Role
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]


def test_user_switches_language_and_it_sticks(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="en")
    csrf = login(client, "li.wei")
    assert "Dashboard" in client.get("/").text
    response = client.post("/account/language", data={"csrf_token": csrf,
                                                       "language": "zh_Hans", "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/")
    assert "工作台" in page.text and 'lang="zh-Hans"' in page.text
    assert client.get("/api/v1/me").json()["language"] == "zh_Hans"


def test_unsupported_language_is_rejected_with_a_message(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER, language="en")
    csrf = login(client, "li.wei")
    response = client.post("/account/language", data={"csrf_token": csrf, "language": "tlh"})
    assert response.status_code == 422
    assert "language" in response.text


def test_anonymous_visitor_picks_language_on_login_page(client) -> None:
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert "登录" in client.get("/login", headers=chinese).text
    assert "登录" in client.get("/login", headers={"Accept-Language": ""}).text  # default
    client.get("/language?lang=en&next=/login")
    # The visitor's explicit choice beats the browser's Accept-Language.
    assert "Log in" in client.get("/login", headers=chinese).text


def _key(message) -> str:  # type: ignore[no-untyped-def]
    """A message's identity: its msgid, with its context (pgettext) when it has one."""
    return f"{message.context}\x04{message.id}" if message.context else str(message.id)


def test_every_ui_string_has_a_chinese_translation(tmp_path) -> None:
    """Extract messages from the code now and check the zh_Hans catalog covers all of them."""
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "N_", "-k", "M_", "-k", "_", "-k", "NC_:1c,2",
                    "--no-location", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as handle:
        wanted = {_key(m) for m in read_po(handle) if m.id}
    po_path = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = {_key(m): m.string for m in read_po(handle) if m.id}
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert not missing, f"untranslated in zh_Hans: {missing}"
    assert len(wanted) > 50
