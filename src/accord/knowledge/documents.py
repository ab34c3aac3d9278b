"""Read an operator's procedure from DOCX or PDF into the Markdown the importer cuts.

The structure the importer keeps — document, chapter / article or section, version, effective
date, language — comes from:

* DOCX (python-docx): paragraphs styled "Heading 1…6" become headings of that level; the core
  properties give the title, version and language when the officer does not type them.
* PDF (pypdf): a PDF has no headings, only text; lines that open a chapter, section or article
  in the way statutes and service regulations number them ("第三章 …", "第十二条 …",
  "Chapter 3", "Article 12", "Section 4.2") become headings. The document information gives
  the title.

In both, article lines found in body text ("第十二条 外国人…") also become headings, with the
article's text as its body — so a passage cites "… — 第二章 › 第十二条". Only text is read: no
macros, no embedded objects, no images. The byte limit is checked by the caller first.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

_CN_NUMBER = "[一二三四五六七八九十百千零〇两\\d]+"
#: (pattern, heading level) for numbered divisions, checked in order on each line.
_DIVISIONS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"^(第{_CN_NUMBER}编)\s*(.*)$"), 1),
    (re.compile(rf"^(第{_CN_NUMBER}章)\s*(.*)$"), 1),
    (re.compile(rf"^(第{_CN_NUMBER}节)\s*(.*)$"), 2),
    (re.compile(rf"^(第{_CN_NUMBER}条)\s*(.*)$"), 3),
    (re.compile(r"^((?:Part|Chapter)\s+[\dIVXLC]+)\.?\s*(.*)$", re.IGNORECASE), 1),
    (re.compile(r"^((?:Article|Art\.|Section|§)\s*\d+(?:\.\d+)*[a-z]?)\.?\s*(.*)$",
                re.IGNORECASE), 3),
)
#: A title line of a chapter carries a short name; longer text is the article's body.
_MAX_TITLE_CHARS = 40


@dataclass(frozen=True)
class ReadDocument:
    markdown: str
    title: str  # from the file's properties ("" when it has none)
    version: str
    language: str
    effective_date: date | None


def _division(line: str) -> tuple[int, str, str] | None:
    """(level, heading, body) when ``line`` opens a numbered division."""
    for pattern, level in _DIVISIONS:
        match = pattern.match(line.strip())
        if match:
            label, rest = match.group(1), match.group(2).strip()
            if level == 3 or len(rest) > _MAX_TITLE_CHARS:
                return level, label, rest
            return level, f"{label} {rest}".strip(), ""
    return None


def lines_to_markdown(lines: list[tuple[int, str]]) -> str:
    """Markdown from (heading level or 0, text) lines; numbered divisions in body lines
    become headings too."""
    out: list[str] = []
    for level, text in lines:
        text = " ".join(text.split())
        if not text:
            out.append("")
            continue
        if level:
            out += ["", "#" * min(level, 6) + " " + text, ""]
            continue
        division = _division(text)
        if division is None:
            out.append(text)
            continue
        depth, heading, body = division
        out += ["", "#" * depth + " " + heading, ""]
        if body:
            out.append(body)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def read_docx(data: bytes) -> ReadDocument:
    """Headings by paragraph style; tables are read where they stand, row by row (cells
    joined by " | ")."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ValidationFailed(detail=M_("the file is not a readable DOCX document (%(error)s)",
                                         error=error)
                               ) from None
    from docx.table import Table

    lines: list[tuple[int, str]] = []
    for block in document.iter_inner_content():  # paragraphs and tables, in document order
        if isinstance(block, Table):
            lines += [(0, " | ".join(cell.text.strip() for cell in row.cells))
                      for row in block.rows]
            continue
        style = (block.style.name if block.style is not None else "") or ""
        match = _HEADING_STYLE.match(style.strip())
        level = int(match.group(1)) if match else (1 if style.strip() == "Title" else 0)
        lines.append((level, block.text))
    props = document.core_properties
    return ReadDocument(markdown=lines_to_markdown(lines), title=(props.title or "").strip(),
                        version=(props.version or "").strip(),
                        language=(props.language or "").strip().lower()[:2],
                        effective_date=None)


def read_pdf(data: bytes) -> ReadDocument:
    """Text of every page (pypdf); numbered divisions become headings."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationFailed(detail=M_("the PDF is encrypted: export an unprotected copy"))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except ValidationFailed:
        raise
    except (PyPdfError, ValueError, KeyError, OSError) as error:
        raise ValidationFailed(detail=M_("the file is not a readable PDF (%(error)s)",
                                         error=error)) from None
    text = "\n".join(pages)
    if not text.strip():
        raise ValidationFailed(detail=M_("the PDF has no text layer (a scan?): OCR it first"))
    return ReadDocument(markdown=lines_to_markdown([(0, line) for line in text.splitlines()]),
                        title=title, version="", language="", effective_date=None)


def read(data: bytes, filename: str) -> ReadDocument:
    """Markdown and properties of a .md, .docx or .pdf procedure, by its file name."""
    name = filename.lower()
    if name.endswith(".docx"):
        return read_docx(data)
    if name.endswith(".pdf"):
        return read_pdf(data)
    if name.endswith((".md", ".markdown")):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(detail=M_("the file is not UTF-8 text")) from None
        return ReadDocument(markdown=text, title="", version="", language="",
                            effective_date=None)
    raise ValidationFailed(detail=M_("import a Markdown (.md), Word (.docx) or PDF (.pdf) file"))
