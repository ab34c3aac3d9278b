"""Legal citations in the reader's language: every fact, step and treaty carries its Chinese
citation (《…》第…条), whose article numbers are the ones the English citation states, and the
Chinese UI shows it (deadlines, board, cautions, legal facts page, knowledge guidance) instead
of the English one, with no fact id shown raw."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.cases.guidance import GUIDANCE_DIR, GuidanceError, get_guidance, load_guidance
from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role
from accord.knowledge.sources import load_cultural
from tests.helpers import login

DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
          "九": 9}


def chinese_number(text: str) -> int:
    """一百二十一 → 121, 三十六 → 36, 十七 → 17 (the numerals of article numbers)."""
    total, current = 0, 0
    for char in text:
        if char in DIGITS:
            current = DIGITS[char]
        elif char in "十百千":
            total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            current = 0
        else:
            raise ValueError(char)
    return total + current


def article_numbers_zh(citation: str) -> list[int]:
    """The numbers of 第…条 and of Arabic 第N条/第N段/规则N in a Chinese citation, in order."""
    numbers = []
    for match in re.finditer(r"第([零一二三四五六七八九十百千]+)条|第(\d+)[条段、.]|规则(\d+)",
                             citation):
        numbers.append(chinese_number(match.group(1)) if match.group(1)
                       else int(match.group(2) or match.group(3)))
    return numbers


def article_numbers_en(citation: str) -> list[int]:
    """The article numbers an English citation states (Art. 36(1)(b) → 36; Arts. 29–33)."""
    return [int(n) for n in re.findall(r"(?:Arts?\.|Rule|paras?\.)\s*(\d+)", citation)]


def test_chinese_numerals_are_read_correctly() -> None:
    assert [chinese_number(t) for t in ("九", "十七", "三十六", "一百二十一", "二百八十一")] == [
        9, 17, 36, 121, 281]


def test_every_fact_has_a_chinese_citation_with_the_same_article_numbers() -> None:
    facts = get_guidance().facts
    checked = 0
    for fact in facts.values():
        zh = fact.citation("zh")
        assert fact.source_zh and fact.article_zh, fact.id
        assert not re.search(r"\bArts?\.|\bRule\b", zh), zh  # no English article words
        english = article_numbers_en(fact.article)
        if english:
            assert article_numbers_zh(fact.article_zh)[0] == english[0], (fact.id, zh)
            checked += 1
    assert checked >= 18
    assert facts["vccr-36-1-b"].article_zh == "第三十六条第一款(b)项"
    assert facts["eeal-39"].citation("zh").startswith("《中华人民共和国出境入境管理法》")
    assert facts["cpl-9"].citation("zh").startswith("《中华人民共和国刑事诉讼法》")
    assert facts["cpl-9"].citation("zh").endswith("第九条")
    assert facts["eeal-regs-29-33"].article_zh == "第二十九条至第三十三条"


def test_every_step_and_treaty_cites_in_chinese_with_the_same_numbers() -> None:
    guidance = get_guidance()
    citations = [(s.citation, s.citation_zh) for c in guidance.checklists.values()
                 for s in c.steps] + [(t.citation, t.citation_zh)
                                      for t in guidance.treaties.values()]
    assert len(citations) > 30
    for english, chinese in citations:
        assert chinese and not re.search(r"[A-Za-z]{3,}", chinese), chinese
        assert article_numbers_zh(chinese) == article_numbers_en(english), (english, chinese)
    assert guidance.treaties["USA"].citation_zh == "《中美领事条约》（1980年）第三十五条"
    for entry in load_cultural():
        assert entry.citation_zh and not re.search(r"\bArt\.|\bRule\b", entry.citation_zh)
        assert article_numbers_zh(entry.citation_zh)[:1] == article_numbers_en(entry.citation)[:1]


def test_a_changed_chinese_citation_makes_a_confirmation_stale(tmp_path: Path) -> None:
    """The legal officer confirms the fact as written, the Chinese citation included."""
    directory = tmp_path / "guidance"
    shutil.copytree(GUIDANCE_DIR, directory)
    path = directory / "legal_facts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("article_zh: 第三十九条", "article_zh: 第三十八条", 1),
                    encoding="utf-8")
    changed = load_guidance(directory)
    assert changed.facts["eeal-39"].digest != get_guidance().facts["eeal-39"].digest


@pytest.mark.parametrize(("file", "old"), [
    ("legal_facts.yaml", "    article_zh: 第三十九条\n"),
    ("legal_facts.yaml", "    source_zh: 《维也纳领事关系公约》（1963年）\n"),
    ("detention.yaml", "    citation_zh: 《中华人民共和国出境入境管理法》第六十条\n"),
    ("treaties.yaml", "    citation_zh: 《中美领事条约》（1980年）第三十五条\n"),
])
def test_a_missing_chinese_citation_is_refused(tmp_path: Path, file: str, old: str) -> None:
    directory = tmp_path / "guidance"
    shutil.copytree(GUIDANCE_DIR, directory)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, "", 1), encoding="utf-8")
    with pytest.raises(GuidanceError, match=r"_zh: expected a non-empty text") as caught:
        load_guidance(directory)
    assert caught.value.file == file


def _detention_case(database: Database, officer_id: int) -> str:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              "Asia/Shanghai")
        case = service.create_case(case_type="detention", title="逾期居留",
                                   officer_id=officer_id, place="三里屯")
        person = service.add_person(case, role="detainee", full_name="Alex Example",
                                    nationality="USA", languages=["en"], speaks_chinese=False)
        service.add_event(case, kind="detention", occurred_at=datetime.now(UTC)
                          - timedelta(hours=3), person_id=person.id)
        return case.reference


VCCR_ZH = "《维也纳领事关系公约》第三十六条第一款(b)项"


def test_case_page_and_board_cite_in_the_readers_language(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer-zh", Role.OFFICER, language="zh_Hans")
    reference = _detention_case(database, officer.id)
    login(client, "officer-zh")
    page = client.get(f"/cases/{reference}").text
    assert VCCR_ZH in page and "《中美领事条约》（1980年）第三十五条" in page
    assert "Vienna Convention" not in page and "Exit and Entry" not in page
    # A caution cites its fact's source and article, never the fact's id.
    cautions = page[page.index('data-testid="cautions"'):]
    cautions = cautions[:cautions.index("</ul>")]
    assert "《中华人民共和国刑事诉讼法》（按2018年修正文本的条文序号）第三十二条" in cautions
    assert "cpl-32" not in cautions and "<code>" not in cautions
    board = client.get("/cases/board").text
    assert VCCR_ZH in board and "Vienna Convention" not in board
    client.cookies.clear()
    make_user("officer-en", Role.SUPERVISOR, language="en")  # a supervisor sees every case
    login(client, "officer-en")
    english = client.get(f"/cases/{reference}").text
    assert "Vienna Convention on Consular Relations Art. 36(1)(b)" in english
    assert VCCR_ZH not in english


def test_legal_facts_page_cites_in_chinese_without_ids(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("legal-zh", Role.LEGAL, language="zh_Hans")
    login(client, "legal-zh")
    page = client.get("/legal/facts").text
    assert "《维也纳领事关系公约》（1963年）第三十六条第一款(b)项" in page
    assert "《中华人民共和国出境入境管理法》（2013年施行）第三十九条" in page
    assert "Vienna Convention" not in page and "Exit and Entry" not in page
    assert "<code>eeal-39</code>" not in page and "detention: consular-rights-notice" not in page
    assert "拘留审查后24小时内进行询问" in page  # "used by" names the step by its title


def test_knowledge_guidance_cites_in_chinese(client: TestClient,
                                             make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-zh", Role.OFFICER, language="zh_Hans")
    login(client, "officer-zh")
    page = client.get("/knowledge/guidance").text
    assert "《联合国囚犯待遇最低限度标准规则》" in page
    assert "United Nations Standard Minimum Rules" not in page and "cultural.yaml" not in page
