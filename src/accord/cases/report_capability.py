"""The ``cases.draft-report`` capability: the rule-based extractive drafter behind the gateway.

The gateway's inputs are JSON and small, so the call names the case by reference (and, if the
officer chose, the statements to use); the runner opens its own database session to read the
case. That keeps the ledgered input minimal while the drafter still sees the whole file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from accord.cases.models import Case
from accord.cases.reports import (
    CAPABILITY_ID,
    FRAMING_LANGUAGES,
    check_citations,
    draft_report,
    parse_statement_ids,
)
from accord.core.errors import NotFound
from accord.core.i18n import N_
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.runtime import get_database

DRAFTER_VERSION = "1.0.0"


def run_draft_report(inputs: Mapping[str, Any]) -> ModelOutput:
    reference = str(inputs["case_ref"]).strip()
    language = str(inputs.get("language") or "zh")
    statement_ids = parse_statement_ids(str(inputs.get("statement_ids") or ""))
    with get_database().session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        if case is None:
            raise NotFound(N_("No case with reference %(reference)s."), reference=reference)
        draft = draft_report(case, language, statement_ids or None)
        problems = check_citations(draft.text, case)
    if problems:  # the drafter's own check: a wrong citation is a bug, never shown as valid
        raise RuntimeError("draft cites passages that do not exist: " + "; ".join(problems))
    explanation = (
        f"Rule-based extractive draft: {len(draft.citations)} cited sources; every sentence "
        f"quotes one statement passage or case record. {len(draft.placeholders)} placeholder(s) "
        "for missing information and the officer's own assessment must be completed before "
        "submission."
    )
    return ModelOutput(
        output={
            "text": draft.text,
            "spans": draft.spans,
            "placeholders": draft.placeholders,
            "citations": draft.citations,
            "language": language,
            "drafter": f"accord rule-based extractive drafter {DRAFTER_VERSION}",
        },
        explanation=explanation,
        confidence=None,
    )


DRAFT_REPORT_CAPABILITY = Capability(
    id=CAPABILITY_ID,
    version=DRAFTER_VERSION,
    title_en="Case report drafting (rule-based, extractive)",
    title_zh="案件报告起草（基于规则的抽取式）",
    description_en=(
        "Arranges the case's records and statements into a chronological narrative in which "
        "every sentence quotes and cites one source passage. It writes no conclusions: missing "
        "facts and the officer's assessment are placeholders, and the officer edits, attests "
        "and submits the report. Every version, including the first draft, is kept."
    ),
    description_zh=(
        "将案件记录和陈述整理为按时间顺序的叙述，每句均引用并注明一处来源段落。"
        "系统不作任何结论：缺少的事实和办案民警意见以待补充标记留空，由民警修改、确认并提交。"
        "所有版本（包括初稿）均予保留。"
    ),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset(
        {"case-handling", "victim-assistance", "witness-interview", "suspect-interview"}
    ),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law"}),
    roles=frozenset({"officer", "supervisor"}),
    data_categories=(
        "case records: incident time and place, persons' names, nationalities and languages",
        "statements in the person's own language and their translations",
    ),
    review_required=False,  # the officer's attestation before submission is the human check
    inputs={
        "case_ref": InputSpec(
            kind="text", max_length=24, object_kind="case",
            description="Reference of the case to draft a report for.",
        ),
        "statement_ids": InputSpec(
            kind="text",
            required=False,
            max_length=500,
            object_kind="statement",
            many=True,
            description="Comma-separated statement ids to use; empty: all statements of the case.",
        ),
        "language": InputSpec(
            kind="choice",
            choices=FRAMING_LANGUAGES,
            description="Language of the framing sentences (zh or en).",
        ),
    },
    model=ModelCard(
        name="Accord rule-based extractive report drafter",
        version=DRAFTER_VERSION,
        digest="",  # rule-based: no weights
        licence="Apache-2.0 (Accord source code)",
        source="accord.cases.reports.draft_report — fixed sentence templates and a sentence "
        "splitter; no machine-learning model, no generative language model",
        training_data="None. It is not trained and does not generate text: it copies passages "
        "from the case's statements and records into fixed framing sentences.",
        measured_accuracy=(
            "Not a statistical model. Tested property: every statement citation points to the "
            "exact characters of the original statement that the sentence quotes (or whose "
            "translation it quotes), and every sentence carries a citation or a placeholder "
            "(tests/cases/test_reports.py)."
        ),
        known_limitations=(
            "It does not summarise, paraphrase or weigh evidence; the narrative is as long as "
            "the statements and reads as a compilation, not as a finished report.",
            "Sentences are split at . ! ? 。！？ and line breaks: abbreviations such as 'Mr.' "
            "split a sentence, which only shortens the quoted passages.",
            "Where a translation does not have the same number of sentences as the original, "
            "the whole translation is quoted and cited to the whole original statement.",
            "Unreviewed machine translations are quoted with that label; they are gist quality.",
            "It cannot tell true from false statements, and does not try to.",
        ),
        intended_use="A first draft that the officer in charge completes, checks and attests; "
        "never submitted as is (placeholders block submission).",
        training_data_zh="无。它未经训练，也不生成文字：它把案件陈述和记录中的段落复制到固定的"
        "框架句中。",
        measured_accuracy_zh=(
            "不是统计模型。经测试的性质：每条陈述引用都指向该句所引用的原始陈述（或其所引用译文的"
            "原始陈述）中的确切字符，每个句子都带有引用或占位符（由自动化测试检验）。"
        ),
        known_limitations_zh=(
            "它不作概括、不改写、不衡量证据；叙述部分与陈述一样长，读起来是汇编，而不是完成的"
            "报告。",
            "句子在 . ! ? 。！？ 和换行处切分：英文缩写（如“Mr.”）会把句子切开，这只会使引用的"
            "段落变短。",
            "译文与原文句数不同时，引用整篇译文，并以整份原始陈述作为出处。",
            "未经审核的机器译文在引用时带有该标注；其质量仅达大意级。",
            "它无法分辨陈述的真假，也不尝试分辨。",
        ),
        intended_use_zh="供主办民警补充、核对并签署确认的初稿；绝不原样提交（占位符会阻止提交）。",
    ),
    runner=run_draft_report,
    timeout_seconds=20.0,
)
