"""The lookup through the gateway and the CLI: the must-show citations, "no passage found",
the legal officers' queue turning an answer into a passage, and the Markdown importer.

One database per test (copied from the migrated template); passage vectors are computed once
per process (the encoder caches passage vectors), so each sync after the first is quick.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role
from accord.knowledge.retrieval import lookup, reset_sync_cache
from accord.knowledge.service import KnowledgeService, NotTheAuthor

runner = CliRunner()
UNANSWERABLE = "出租车拒载怎么处罚？"


@pytest.fixture
def kb(database: Database) -> Database:
    reset_sync_cache()
    with database.session() as session:
        KnowledgeService(session).sync()
    return database


def _ask(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def test_cli_must_show_chinese_registration_question(kb: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("demo-officer", Role.OFFICER)
    code, out = _ask("外国人在宾馆以外住宿多久内要登记？", "--user", "demo-officer")
    assert code == 0 and out["found"]
    top = out["passages"][0]
    assert {"citation", "text", "status", "score"} <= set(top)
    # The Chinese passage cites its source as a Chinese reader does; the English one is kept
    # beside it for an English reader.
    assert top["citation"] == "《中华人民共和国出境入境管理法》（2013年施行）第三十九条"
    assert top["citations"]["en"] == "Exit and Entry Administration Law of the PRC (2013) Art. 39"
    assert top["text"].startswith("外国人在旅馆以外的处所住宿的")  # verbatim, Chinese version
    assert top["status"] == "verified"
    assert out["ledger_seq"] >= 0 and out["decision_id"]  # ledgered through the gateway


def test_cli_must_show_us_consulate_question(kb: Database, make_user,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("demo-officer", Role.OFFICER)
    monkeypatch.setenv("ACCORD_USER", "demo-officer")
    code, out = _ask("How soon must the consulate of a US national be notified after detention?")
    assert code == 0 and out["found"]
    top = out["passages"][0]
    assert top["citation"] == "Consular Convention between the PRC and the USA (1980) Art. 35"
    assert "within 4 days" in top["text"]


def test_cli_no_passage_found(kb: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("demo-officer", Role.OFFICER)
    code, out = _ask(UNANSWERABLE, "--user", "demo-officer")
    assert code == 4
    assert out["found"] is False and out["message"] == "no passage found"
    assert out["passages"] == []


def test_only_registered_roles_may_ask(kb: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("dpo.k", Role.DPO)
    result = runner.invoke(app, ["ask", "签证", "--user", "dpo.k"])
    assert result.exit_code == 3 and "refused" in result.output


def test_answered_question_becomes_a_passage_verified_by_a_second_legal_officer(
        kb: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("officer.k", Role.OFFICER)
    legal = make_user("legal.k", Role.LEGAL)
    second = make_user("legal.k2", Role.LEGAL)
    answer = ("出租汽车驾驶员拒载的，由道路运输管理机构依照出租汽车经营服务管理规定处理，"
              "不属于公安机关出入境管理事项。")
    with kb.session() as session:
        assert lookup(session, UNANSWERABLE)["found"] is False
        service = KnowledgeService(session)
        question = service.ask_legal(UNANSWERABLE, user_id=officer.id)
        with pytest.raises(ValidationFailed):
            service.answer(question.id, text=answer, citation="", language="zh",
                           user_id=legal.id)
        passage = service.answer(question.id, text=answer, citation="出租汽车经营服务管理规定",
                                 language="zh", user_id=legal.id)
        assert passage.status == "unverified"
        found = lookup(session, UNANSWERABLE)
        assert found["found"], found
        top = found["passages"][0]
        assert top["key"] == f"answer:{question.id}" and top["text"] == answer
        assert top["status"] == "unverified"
        with pytest.raises(NotTheAuthor):
            service.verify(passage.id, user_id=legal.id)
        assert service.verify(passage.id, user_id=second.id).status == "verified"
        assert lookup(session, UNANSWERABLE)["passages"][0]["status"] == "verified"


def test_imported_procedure_is_found_and_reimport_retires_removed_sections(
        kb: Database, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin.k", Role.ADMIN)
    path = tmp_path / "manual.md"
    path.write_text("# 值班\n## 外籍人员报警\n外籍人员来所报警的，值班民警应在十分钟内联系翻译，"
                    "并在接报登记簿上注明当事人使用的语言。\n## 失物招领\n拾得物品应当当班登记。\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["knowledge", "import", str(path), "--document", "派出所值班手册",
                                 "--version", "2026-1", "--effective", "2026-01-01",
                                 "--user", "admin.k"])
    assert result.exit_code == 0, result.output
    with kb.session() as session:
        out = lookup(session, "外籍人员来所报警，值班民警多久内联系翻译？")
        assert out["found"], out
        top = out["passages"][0]
        assert top["document"] == "派出所值班手册" and top["version"] == "2026-1"
        assert top["effective_date"] == "2026-01-01" and top["status"] == "unverified"
    path.write_text("# 值班\n## 失物招领\n拾得物品应当当班登记。\n", encoding="utf-8")
    result = runner.invoke(app, ["knowledge", "import", str(path), "--document", "派出所值班手册",
                                 "--version", "2026-2", "--user", "admin.k", "--json"])
    assert json.loads(result.stdout)["retired"] >= 1
    with kb.session() as session:
        out = lookup(session, "外籍人员来所报警，值班民警多久内联系翻译？")
        assert all(p["document"] != "派出所值班手册" for p in out["passages"])
    assert admin.id


def test_import_refuses_what_it_cannot_read(kb: Database, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_user("legal.i", Role.LEGAL)
    make_user("officer.i", Role.OFFICER)
    docx = tmp_path / "manual.docx"
    docx.write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["knowledge", "import", str(docx), "--document", "M",
                                 "--version", "1", "--user", "legal.i"])
    assert result.exit_code == 1 and "not a readable DOCX" in result.output
    odt = tmp_path / "manual.odt"
    odt.write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["knowledge", "import", str(odt), "--document", "M",
                                 "--version", "1", "--user", "legal.i"])
    assert result.exit_code == 1 and "(.docx) or PDF" in result.output
    md = tmp_path / "m.md"
    md.write_text("no headings here", encoding="utf-8")
    result = runner.invoke(app, ["knowledge", "import", str(md), "--document", "M",
                                 "--version", "1", "--user", "legal.i"])
    assert result.exit_code == 1 and "headings" in result.output
    result = runner.invoke(app, ["knowledge", "import", str(md), "--document", "M",
                                 "--version", "1", "--user", "officer.i"])
    assert result.exit_code == 1 and "legal officer" in result.output


def test_a_changed_legal_fact_verdict_changes_the_passage_status(kb: Database,  # type: ignore[no-untyped-def]
                                                                 make_user) -> None:
    from accord.cases.guidance import LegalFactService, get_guidance

    legal = make_user("legal.v", Role.LEGAL)
    fact = get_guidance().facts["eeal-30"]  # unverified in the data
    with kb.session() as session:
        LegalFactService(session).confirm("eeal-30", "confirmed", digest=fact.digest, note="",
                                          user_id=legal.id)
        counts = KnowledgeService(session).sync()
        assert counts["changed"] == 2  # both language versions
        out = lookup(session, "入境后多少天内要申请居留证件？")
        top = out["passages"][0]
        assert top["key"] == "fact:eeal-30" and top["status"] == "verified"
        assert "confirmed by legal officer" in top["status_note"]
