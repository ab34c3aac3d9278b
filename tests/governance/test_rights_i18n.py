"""Every UI string of the rights portal and DPO console has a Chinese translation — in the
catalog, or pending in docs/i18n-pending/rights.zh.json until the lead merges it — with the same
placeholders, and the pages really render through gettext."""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from accord.core import i18n
from accord.governance import rights as rights_module
from tests.governance.test_rights_support import client_for, create_tables, rights_app

ROOT = Path(__file__).resolve().parents[2]
PENDING = ROOT / "docs" / "i18n-pending"
SOURCES = [ROOT / "src/accord/governance/rights.py", ROOT / "src/accord/governance/dpo.py",
           ROOT / "src/accord/governance/routes/rights.py",
           ROOT / "src/accord/governance/routes/dpo.py",
           *sorted((ROOT / "src/accord/governance/templates/rights").glob("*.html")),
           *sorted((ROOT / "src/accord/governance/templates/dpo").glob("*.html"))]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _msgids() -> list[str]:
    found: list[str] = []
    for path in SOURCES:
        method = "python" if path.suffix == ".py" else "jinja2"
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        for _, message, _, _ in extract_from_file(method, str(path),
                                                  keywords={"_": None, "N_": None},
                                                  options=options):
            text = message if isinstance(message, str) else message[0]
            if text and text not in found:
                found.append(text)
    return found


def _translations() -> dict[str, str]:
    po = ROOT / "src/accord/locale/zh_Hans/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        known = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    for path in sorted(PENDING.glob("*.zh.json")):
        known.update(json.loads(path.read_text(encoding="utf-8")))
    return known


def test_every_string_has_a_chinese_translation_with_the_same_placeholders() -> None:
    ids = _msgids()
    assert len(ids) > 250  # the extraction itself works
    known = _translations()
    missing = [m for m in ids if not known.get(m)]
    assert missing == []
    for msgid in ids:
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(known[msgid])), \
            msgid
    pending = json.loads((PENDING / "rights.zh.json").read_text(encoding="utf-8"))
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in pending.values())


class _Catalog(gettext.NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)


@pytest.fixture
def chinese_client(accord_env, database, monkeypatch) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    create_tables(database)
    catalog = _Catalog(_translations())
    original = i18n.translations

    def translations(language: str) -> gettext.NullTranslations:
        return catalog if language == "zh_Hans" else original(language)

    monkeypatch.setattr(i18n, "translations", translations)
    monkeypatch.setattr(rights_module, "translations", translations)
    for client in client_for(rights_app()):
        client.headers["Accept-Language"] = "zh-CN"
        yield client


def test_the_portal_renders_in_chinese_once_translations_are_merged(chinese_client) -> None:
    page = chinese_client.get("/rights")
    assert "您的权利与申诉" in page.text and "提交请求" in page.text
    assert "Your rights and appeals" not in page.text
    assert "Send the request" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = chinese_client.post("/rights", data={
        "kind": "access", "document_number": "E12345678", "contact_kind": "email",
        "contact": "li@example.cn", "preferred_language": "zh", "csrf_token": token})
    assert response.status_code == 200  # followed the redirect to the status page
    assert "已收到" in response.text and "确认是您本人" in response.text
    message = json.loads(next((Path(chinese_client.app.state.settings.state_dir) / "outbox")
                              .glob("*.json")).read_text())
    assert message["subject"].endswith("验证码") and "分钟内有效" in message["body"]
