"""DOCX and PDF procedures: small documents generated here (python-docx, fpdf2) keep their
structure — headings, chapters, numbered articles, title, version, language — and unreadable
files are refused with a clear message, storing nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.pdf import main_font, prepare_fonts
from accord.knowledge.documents import lines_to_markdown, read
from accord.knowledge.models import Passage
from accord.knowledge.service import KnowledgeService


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Night duty manual"
    document.core_properties.version = "2026-2"
    document.core_properties.language = "en-GB"
    document.add_heading("Night duty", level=1)
    document.add_heading("Foreign callers", level=2)
    document.add_paragraph("Call the interpreter on duty within ten minutes and note the "
                           "caller's language in the register.")
    document.add_heading("Lost property", level=2)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Register"
    table.rows[0].cells[1].text = "Form LP-1"
    document.add_paragraph("Article 7 Found items are logged by the officer on shift before "
                           "the end of the shift.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf() -> bytes:
    from fpdf import FPDF

    try:
        font = main_font()
    except Exception:  # the suite's machines have the Debian CJK font
        pytest.fail("no CJK font installed (fonts-wqy-microhei): the PDF test needs it")
    pdf = FPDF()
    prepare_fonts(pdf, font)
    pdf.set_title("派出所值班规定")
    pdf.add_page()
    pdf.set_font("main", size=11)
    for line in ("派出所值班规定", "第一章 总则", "第一条 为规范值班工作，制定本规定。",
                 "第二章 外籍人员报警",
                 "第二条 外籍人员来所报警的，值班民警应当在十分钟内联系翻译，",
                 "并在接报登记簿上注明当事人使用的语言。", "第三条 拾得物品应当当班登记。"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_docx_keeps_headings_articles_and_properties(database: Database) -> None:
    read_back = read(_docx(), "manual.docx")
    assert read_back.title == "Night duty manual" and read_back.version == "2026-2"
    assert read_back.language == "en"
    assert "## Foreign callers" in read_back.markdown
    assert "### Article 7" in read_back.markdown and "Register | Form LP-1" in read_back.markdown
    with database.session() as session:
        counts = KnowledgeService(session).import_document(_docx(), "manual.docx", user_id=None)
        rows = session.scalars(select(Passage).where(Passage.origin == "imported")
                               .order_by(Passage.id)).all()
    assert counts["added"] == counts["sections"] == len(rows) == 3
    sections = {r.section: r for r in rows}
    callers = sections["Night duty › Foreign callers"]
    assert callers.document == "Night duty manual" and callers.version == "2026-2"
    assert callers.language == "en" and callers.status == "unverified"
    assert callers.text.startswith("Call the interpreter on duty within ten minutes")
    assert sections["Night duty › Lost property"].text == "Register | Form LP-1"
    article = sections["Night duty › Lost property › Article 7"]
    assert article.text.startswith("Found items are logged")
    assert article.citation == "Night duty manual (2026-2) — Night duty › Lost property › Article 7"


def test_pdf_articles_become_sections(database: Database) -> None:
    data = _pdf()
    read_back = read(data, "rules.pdf")
    assert read_back.title == "派出所值班规定"
    assert "# 第二章 外籍人员报警" in read_back.markdown
    assert "### 第二条" in read_back.markdown
    with database.session() as session:
        KnowledgeService(session).import_document(data, "rules.pdf", version="2026-1",
                                                  user_id=None)
        rows = {r.section: r for r in session.scalars(select(Passage).where(
            Passage.origin == "imported"))}
    article = rows["第二章 外籍人员报警 › 第二条"]
    assert article.document == "派出所值班规定" and article.language == "zh"
    assert article.text.replace("\n", "").startswith(
        "外籍人员来所报警的，值班民警应当在十分钟内联系翻译")
    assert "注明当事人使用的语言" in article.text
    assert rows["第二章 外籍人员报警 › 第三条"].text == "拾得物品应当当班登记。"


def test_unreadable_documents_are_refused_and_nothing_is_stored(database: Database) -> None:
    with database.session() as session:
        service = KnowledgeService(session)
        for data, name, message in (
                (b"PK\x03\x04 broken", "m.docx", "not a readable DOCX"),
                (b"%PDF-1.4 broken", "m.pdf", "PDF"),
                (b"plain", "m.txt", "(.docx) or PDF")):
            with pytest.raises(ValidationFailed) as caught:
                service.import_document(data, name, document="M", version="1", user_id=None)
            assert message in str(caught.value)
        # No title in the file and none typed: the importer asks for it.
        with pytest.raises(ValidationFailed) as caught:
            service.import_document(_untitled_docx(), "m.docx", version="1", user_id=None)
        assert "document" in str(caught.value)
        assert session.scalar(select(func.count()).select_from(Passage).where(
            Passage.origin == "imported")) == 0


def _untitled_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Only a heading", level=1)
    document.add_paragraph("Body.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_numbered_lines_in_body_text_become_headings() -> None:
    markdown = lines_to_markdown([(0, "Chapter 2 Custody"),
                                  (0, "Section 4.2 Meals are recorded."),
                                  (0, "第十二条 外国人住宿应当登记。"), (0, "第二节 附则")])
    assert "# Chapter 2 Custody" in markdown
    assert "### Section 4.2\n\nMeals are recorded." in markdown
    assert "### 第十二条\n\n外国人住宿应当登记。" in markdown
    assert "## 第二节 附则" in markdown
