"""Case report drafting and safeguards: citations, placeholders, kept versions, spans,
attested submission, and the PDF's disclosure on every page."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cases.models import Case
from accord.cases.report_models import CaseReportVersion, VersionImmutable
from accord.cases.report_pdf import case_report_pdf
from accord.cases.reports import (
    ATTESTATION,
    CITATION_RE,
    AttestationMismatch,
    PlaceholdersRemain,
    ReportSubmitted,
    StaleVersion,
    draft_report,
    find_placeholders,
    recompute_spans,
    service_from_governance,
)
from accord.core.db import Database
from accord.core.gateway.service import Caller
from accord.core.governance import get_governance
from accord.core.ledger.store import LedgerService
from tests.cases.report_fixtures import STATEMENT_EN, STATEMENT_ES, TRANSLATION_ZH, make_case

ZONE = "Asia/Shanghai"
ASSESSMENT_ZH = "〔待补充：办案民警对案情的分析与处理意见〕"


_SESSIONS: list[Session] = []  # kept open so the returned case can load its relations


def _case(database: Database) -> Case:
    session = database.sessions()
    _SESSIONS.append(session)
    case = session.scalar(select(Case))
    assert case is not None
    return case


def _caller(user_id: int) -> Caller:
    return Caller(user_id=user_id, username="officer", roles=frozenset({"officer"}))


# The statements' sentences, written out by hand (not split by the code under test), and the
# reviewed Chinese translation sentence by sentence.
ES_SENTENCES = (
    "Estaba cenando en un restaurante de Sanlitun.",
    "Un hombre se llevó mi bolso de la silla.",
    "Dentro estaban mi pasaporte y mi teléfono.",
)
ZH_SENTENCES = ("我在三里屯的一家餐馆吃饭。", "一名男子从椅子上拿走了我的包。",
                "包里有我的护照和手机。")
EN_SENTENCES = ("I saw a man in a red jacket running towards the metro.", "He had a brown bag.")


def _expected_citations(text: str, sentences: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of each sentence in the statement, found by plain search."""
    spans = [(text.index(s), text.index(s) + len(s)) for s in sentences]
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")
    return spans


def test_every_statement_citation_points_to_the_quoted_passage(database, make_user) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id, reviewed_by=officer.id)
    case = _case(database)
    s_es, s_en = (s.id for s in case.statements)
    assert "".join(ZH_SENTENCES) == TRANSLATION_ZH
    es_spans = _expected_citations(STATEMENT_ES, ES_SENTENCES)
    en_spans = _expected_citations(STATEMENT_EN, EN_SENTENCES)
    for language in ("zh", "en"):
        draft = draft_report(case, language, zone=ZONE)
        cited = []
        for match in CITATION_RE.finditer(draft.text):
            if match.group(2):
                quoted = draft.text[: match.start()].rsplit("“", 1)[1].rstrip().rstrip("”")
                cited.append((int(match.group(2)), int(match.group(3)), int(match.group(4)),
                              quoted))
        # The Chinese report quotes the reviewed translation; the citation names the original.
        es_quotes = ZH_SENTENCES if language == "zh" else ES_SENTENCES
        expected = [(s_es, a, b, q) for (a, b), q in zip(es_spans, es_quotes, strict=True)]
        expected += [(s_en, a, b, q) for (a, b), q in zip(en_spans, EN_SENTENCES, strict=True)]
        assert cited == expected
    zh = draft_report(case, "zh", zone=ZONE)
    assert "“一名男子从椅子上拿走了我的包。”" in zh.text
    assert "机器翻译（人工智能），经人工审核" in zh.text
    assert "2026-11-20 21:30" in zh.text  # UTC 13:30 shown in station time


def test_report_states_the_case_facts_from_the_case_data(database, make_user) -> None:
    """People, time and place come from the case's records, in the report's language."""
    officer = make_user("officer1")
    make_case(database, officer.id, reviewed_by=officer.id)
    case = _case(database)
    station = ZoneInfo(ZONE)
    incident = datetime(2026, 11, 20, 13, 30, tzinfo=UTC).astimezone(station)
    reported = datetime(2026, 11, 20, 13, 50, tzinfo=UTC).astimezone(station)
    s_es, s_en = (s.id for s in case.statements)
    en = draft_report(case, "en", zone=ZONE).text
    for expected in (
        f"the incident occurred at {incident:%Y-%m-%d %H:%M} ({ZONE})",
        "The place of the incident is 三里屯太古里南区",
        "The victim: Maria GARCÍA, nationality ESP, speaks Spanish",
        "The witness: John SMITH, nationality GBR, speaks English",
        f"At {reported:%Y-%m-%d %H:%M}, the case was reported to police",
        f"[[TO COMPLETE: translation of statement S{s_es} into English]]",
    ):
        assert expected in en, expected
    zh = draft_report(case, "zh", zone=ZONE).text
    for expected in (
        f"案发时间为{incident:%Y-%m-%d %H:%M}（{ZONE}）",
        "案发地点为三里屯太古里南区",
        "被害人：Maria GARCÍA，国籍ESP，使用西班牙语",
        "证人：John SMITH，国籍GBR，使用英语",
        f"〔待补充：陈述 S{s_en} 的中文译文〕",
    ):
        assert expected in zh, expected
    assert f"〔待补充：陈述 S{s_es} 的中文译文〕" not in zh  # reviewed translation exists


def test_every_sentence_is_cited_or_a_placeholder(database, make_user) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id)
    draft = draft_report(_case(database), "zh", zone=ZONE)
    for span in draft.spans:
        piece = draft.text[span["start"] : span["end"]].strip()
        if piece:
            assert span["origin"] == "ai"
            assert span["source"] or find_placeholders(piece), piece
    # Unreviewed machine translation is labelled; the witness's English has no Chinese yet.
    assert "未经人工审核" in draft.text
    s_en = _case(database).statements[1].id
    assert f"〔待补充：陈述 S{s_en} 的中文译文〕" in draft.placeholders
    assert draft.placeholders[-1] == ASSESSMENT_ZH


def test_missing_time_and_place_become_placeholders(database, make_user) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id, with_incident=False)
    case = _case(database)
    zh = draft_report(case, "zh", zone=ZONE)
    assert "〔待补充：案发时间〕" in zh.placeholders
    assert "〔待补充：案发地点〕" in zh.placeholders
    en = draft_report(case, "en", zone=ZONE)
    assert "[[TO COMPLETE: place of incident]]" in en.placeholders
    assert "[[TO COMPLETE: time of incident]]" in en.placeholders


def test_unknown_statement_ids_are_refused(database, make_user) -> None:
    from accord.core.errors import ValidationFailed

    officer = make_user("officer1")
    make_case(database, officer.id)
    with pytest.raises(ValidationFailed, match="999"):
        draft_report(_case(database), "zh", [999], zone=ZONE)


def test_spans_after_an_edit() -> None:
    old = "据记录〔E1〕。办案民警意见：〔待补充：办案民警对案情的分析与处理意见〕"
    spans = [
        {"start": 0, "end": 10, "origin": "ai", "source": "E1"},
        {"start": 10, "end": len(old), "origin": "ai", "source": ""},
    ]
    new = "据记录〔E1〕。办案民警意见：经调查，建议立案侦查。"
    result = recompute_spans(old, spans, new)
    assert result[0] == {"start": 0, "end": 10, "origin": "ai", "source": "E1"}
    officer = [new[s["start"] : s["end"]] for s in result if s["origin"] == "officer"]
    assert "".join(officer) == "经调查，建议立案侦查。"
    assert result[-1]["end"] == len(new)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(result))


def test_versions_are_kept_and_submission_is_guarded(database, make_user) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id)
    service = service_from_governance()
    caller = _caller(officer.id)
    first = service.draft(
        "FR-2026-000123", caller, "zh", purpose="case-handling", legal_basis="police-law-art-2"
    )
    assert first.current.number == 1 and first.current.author_kind == "ai"
    assert first.current.decision_id
    draft_text = first.current.text

    with pytest.raises(PlaceholdersRemain) as caught:
        service.submit("FR-2026-000123", caller, ATTESTATION["zh"], 1, "zh")
    assert ASSESSMENT_ZH in str(caught.value)

    edited = draft_text.replace(ASSESSMENT_ZH, "经调查，建议立案侦查。")
    for item in find_placeholders(edited):
        edited = edited.replace(item, "（译文：我看见一名穿红色夹克的男子跑向地铁。）")
    second = service.edit("FR-2026-000123", caller, edited, base_version=1)
    assert [v.number for v in second.versions] == [1, 2]
    assert second.first.text == draft_text  # the first draft stays, word for word
    assert second.current.author_kind == "officer"
    officer_text = "".join(s["text"] for s in second.current.segments if s["origin"] == "officer")
    assert "经调查，建议立案侦查。" in officer_text
    assert "一名男子从椅子上拿走了我的包" not in officer_text  # unchanged AI text stays AI
    assert 0 < second.current.ai_share < 1

    with pytest.raises(StaleVersion):
        service.edit("FR-2026-000123", caller, edited + "补充。", base_version=1)
    with pytest.raises(AttestationMismatch):
        service.submit("FR-2026-000123", caller, "我确认", 2, "zh")
    done = service.submit("FR-2026-000123", caller, "  " + ATTESTATION["zh"] + " ", 2, "zh")
    assert done.status == "submitted" and done.submitted_version == 2
    with pytest.raises(ReportSubmitted):
        service.edit("FR-2026-000123", caller, edited + "再改。", base_version=2)
    with pytest.raises(ReportSubmitted):
        service.draft(
            "FR-2026-000123", caller, "zh", purpose="case-handling", legal_basis="police-law-art-2"
        )

    # Versions cannot be updated, and every step is in the ledger.
    session = database.sessions()
    version = session.scalar(select(CaseReportVersion).where(CaseReportVersion.number == 1))
    assert version is not None
    version.text = "rewritten"
    with pytest.raises(VersionImmutable):
        session.flush()
    session.rollback()
    session.close()
    ledger: LedgerService = get_governance().ledger
    with database.session() as session:
        from accord.core.gateway.models import LedgerEntry

        kinds = [e.kind for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))]
    assert kinds.count("case-report-version") == 2
    assert "case-report-submitted" in kinds and "decision" in kinds
    assert ledger.size() == len(kinds)


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_pdf_has_the_disclosure_on_every_page_in_both_languages(database, make_user) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id)
    service = service_from_governance()
    caller = _caller(officer.id)
    report = service.draft(
        "FR-2026-000123", caller, "zh", purpose="case-handling", legal_basis="police-law-art-2"
    )
    # A long officer addition makes the report run over several pages.
    text = report.current.text + "\n" + "民警补充的调查经过。" * 600
    report = service.edit("FR-2026-000123", caller, text, base_version=1)
    case = _case(database)
    pages = _pdf_pages(case_report_pdf(case, report, report.current, officer="officer1", zone=ZONE))
    assert len(pages) >= 3
    for page in pages:
        flat = page.replace("\n", "")
        assert "本报告含有由人工智能系统（基于规则的抽取式起草程序）起草的文字" in flat
        # The victim speaks Spanish: the disclosure is in Spanish too.
        assert "Este informe contiene texto redactado por un sistema de IA" in flat
        assert "BORRADOR" in flat  # not yet attested
    assert "[AI]" in pages[0]
    assert any(STATEMENT_ES[:30] in p.replace("\n", " ") for p in pages)


def test_pdf_after_submission_names_the_officer_and_falls_back_to_english(
    database, make_user
) -> None:
    officer = make_user("officer1")
    make_case(database, officer.id)
    with database.session() as session:
        case = session.scalar(select(Case))
        assert case is not None
        for person in case.persons:
            person.languages = ["ko"] if person.role == "victim" else person.languages
    service = service_from_governance()
    caller = _caller(officer.id)
    report = service.draft(
        "FR-2026-000123", caller, "en", purpose="case-handling", legal_basis="police-law-art-2"
    )
    text = report.current.text
    for item in find_placeholders(text):
        text = text.replace(item, "Checked with the victim.")
    service.edit("FR-2026-000123", caller, text, base_version=1)
    report = service.submit("FR-2026-000123", caller, ATTESTATION["en"], 2, "en")
    pages = _pdf_pages(
        case_report_pdf(_case(database), report, report.current, officer="Officer One", zone=ZONE)
    )
    flat = pages[-1].replace("\n", " ")
    assert "attested by Officer One on" in flat
    assert "No disclosure text in Korean; shown in English." in flat
    assert "由Officer One于" in flat
