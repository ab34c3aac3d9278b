"""Where passages come from: the bundled sources load with a citation and status for every
passage; cross-cultural guidance refuses statements about groups and statements without a
source; Markdown procedures are cut at their headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.core.errors import ValidationFailed
from accord.knowledge.sources import (
    bundled_passages,
    load_cultural,
    markdown_sections,
    procedure_passages,
)


def test_every_bundled_passage_has_citation_status_and_both_languages() -> None:
    specs = bundled_passages()
    keys = {s.key for s in specs}
    assert {"fact:eeal-39", "fact:cn-us-consular-35", "cultural:dietary-needs-custody"} <= keys
    for spec in specs:
        assert spec.citation.strip() and spec.text.strip(), spec.key
        assert spec.status in ("verified", "unverified"), spec.key
    for key in keys:  # each passage exists in Chinese and English
        assert {s.language for s in specs if s.key == key} == {"zh", "en"}, key
    # partly verified facts are shown as unverified
    mps = next(s for s in specs if s.key == "fact:mps-foreign-48h")
    assert mps.status == "unverified" and "article numbers" in mps.status_note


def _cultural(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "cultural.yaml"
    path.write_text("version: 1\nentries:\n" + entry, encoding="utf-8")
    return path


def test_cultural_guidance_refuses_a_statement_about_a_group(tmp_path: Path) -> None:
    path = _cultural(tmp_path, """  - id: bad
    needs: [dietary]
    source: Somewhere
    section: §1
    text: {en: "Muslims do not eat pork.", zh: "不吃猪肉。"}
""")
    with pytest.raises(ValueError, match="group"):
        load_cultural(path)


def test_cultural_guidance_needs_a_source_and_an_honest_status(tmp_path: Path) -> None:
    no_source = _cultural(tmp_path, """  - id: nosource
    needs: [prayer]
    text: {en: "Allow prayer.", zh: "允许祷告。"}
""")
    with pytest.raises(ValueError, match="names no source"):
        load_cultural(no_source)
    claimed = _cultural(tmp_path, """  - id: claimed
    needs: [prayer]
    status: verified
    source: A leaflet
    text: {en: "Allow prayer.", zh: "允许祷告。"}
""")
    with pytest.raises(ValueError, match="unverified"):
        load_cultural(claimed)


def test_bundled_cultural_guidance_is_about_stated_needs() -> None:
    entries = load_cultural()
    needs = {n for e in entries for n in e.needs}
    assert {"dietary", "prayer", "search-gender", "minor", "notice"} <= needs
    assert all(e.citation for e in entries)


MARKDOWN = """Intro line before any heading.

# Night duty
## Foreign guests
Check the hotel's registration list at 22:00.

```
# not a heading inside a fence
```

## Lost property
Log every item.
"""


def test_markdown_headings_become_sections() -> None:
    sections = dict(markdown_sections(MARKDOWN))
    assert sections["preamble"] == "Intro line before any heading."
    assert "Check the hotel's registration list" in sections["Night duty › Foreign guests"]
    assert "# not a heading inside a fence" in sections["Night duty › Foreign guests"]
    assert sections["Night duty › Lost property"] == "Log every item."
    specs = procedure_passages(MARKDOWN, document="Station manual", version="3",
                               language="en", effective_date=None)
    assert [s.section for s in specs] == ["preamble", "Night duty › Foreign guests",
                                          "Night duty › Lost property"]
    assert all(s.status == "unverified" for s in specs)


def test_a_document_without_headings_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        procedure_passages("just text", document="X", version="1", language="en",
                           effective_date=None)
    with pytest.raises(ValidationFailed):
        procedure_passages("# T\ntext", document="X", version="1", language="fr",
                           effective_date=None)
