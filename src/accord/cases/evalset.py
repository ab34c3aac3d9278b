"""A labelled synthetic evaluation set for the case-file language capabilities.

Why a separate generator: measuring extraction, classification and inconsistency hints on the
demo data would test the system on text shaped by the same hands that shaped the rules. This
set has its own seed space (``accord-evalset:*``), its own templates, names and places, and is
never loaded into the database. Every statement carries gold entities (kind, normalised value,
span), a gold case type, and every statement pair carries its gold inconsistencies (kind and
both values); pairs without gold differences are reworded, so wording alone must not produce a
hint.

It is still synthetic: templates are cleaner than real statements, so the figures it gives are
an upper bound for real text, and the model cards say so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from accord.cases.vocab import CASE_TYPES

SEED_PREFIX = "accord-evalset"


@dataclass
class Gold:
    kind: str
    value: str
    start: int
    end: int
    text: str


@dataclass
class EvalStatement:
    id: str
    language: str
    case_type: str
    text: str
    entities: list[Gold] = field(default_factory=list)


@dataclass
class EvalPair:
    id: str
    language: str
    a: EvalStatement
    b: EvalStatement
    hints: list[dict[str, str]]  # {"kind", "a", "b"} normalised values


class _Writer:
    """Builds a text piece by piece and records the spans of gold entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[Gold] = []

    def say(self, text: str) -> _Writer:
        self.parts.append(text)
        self.length += len(text)
        return self

    def ent(self, kind: str, text: str, value: str) -> _Writer:
        self.entities.append(Gold(kind, value, self.length, self.length + len(text), text))
        return self.say(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


# -- vocabulary (not shared with the demo generator) ---------------------------------------------
PLACES = [  # (English, Chinese)
    ("Gongti North Road", "工体北路"),
    ("Wudaokou Station", "五道口地铁站"),
    ("Xiushui Market", "秀水市场"),
    ("Chaoyang Park", "朝阳公园"),
    ("Liangmaqiao Road", "亮马桥路"),
    ("Dongzhimen Station", "东直门地铁站"),
    ("Guomao Bridge", "国贸桥"),
    ("Houhai Bar Street", "后海酒吧街"),
    ("Sanlitun Road", "三里屯路"),
    ("Jianguomen Avenue", "建国门大街"),
    ("Wangjing Street", "望京街"),
    ("Capital Airport", "首都机场"),
]
SPEAKERS_EN = [
    "Ivan Petrov",
    "Maria Garcia",
    "John Smith",
    "Aiko Tanaka",
    "Olga Ivanova",
    "Pierre Dubois",
    "Emma Wilson",
    "Carlos Silva",
    "Ahmed Hassan",
    "Anna Kowalski",
    "David Miller",
    "Sofia Rossi",
]
NAME_VARIANTS_EN = {
    "Ivan Petrov": "Ivan Petrow",
    "Maria Garcia": "Maria Garsia",
    "John Smith": "John Smyth",
    "Aiko Tanaka": "Aiko Tanaca",
    "Olga Ivanova": "Olga Ivanowa",
    "Pierre Dubois": "Pierre Duboix",
    "Emma Wilson": "Emma Willson",
    "Carlos Silva": "Carlos Sylva",
    "Ahmed Hassan": "Ahmed Hasan",
    "Anna Kowalski": "Anna Kovalski",
    "David Miller": "David Millar",
    "Sofia Rossi": "Sofia Rosi",
}
SPEAKERS_ZH = ["王伟", "李娜", "张强", "刘洋", "陈静", "赵磊", "杨帆", "黄敏", "周杰", "吴昊"]
NAME_VARIANTS_ZH = {
    "王伟": "王炜",
    "李娜": "李纳",
    "张强": "张蔷",
    "刘洋": "刘阳",
    "陈静": "陈晶",
    "赵磊": "赵雷",
    "杨帆": "杨凡",
    "黄敏": "黄明",
    "周杰": "周洁",
    "吴昊": "吴浩",
}
NATIONS = {  # alpha-3: (adjective, Chinese)
    "RUS": ("Russian", "俄罗斯"),
    "USA": ("American", "美国"),
    "GBR": ("British", "英国"),
    "FRA": ("French", "法国"),
    "DEU": ("German", "德国"),
    "KOR": ("Korean", "韩国"),
    "JPN": ("Japanese", "日本"),
    "NGA": ("Nigerian", "尼日利亚"),
    "UKR": ("Ukrainian", "乌克兰"),
    "KAZ": ("Kazakh", "哈萨克斯坦"),
    "ITA": ("Italian", "意大利"),
    "VNM": ("Vietnamese", "越南"),
}
COUNTRIES_EN = {
    "RUS": "Russia",
    "USA": "the United States",
    "GBR": "Britain",
    "FRA": "France",
    "DEU": "Germany",
    "KOR": "Korea",
    "JPN": "Japan",
    "NGA": "Nigeria",
    "UKR": "Ukraine",
    "KAZ": "Kazakhstan",
    "ITA": "Italy",
    "VNM": "Vietnam",
}
COLOURS = {
    "red": "红色",
    "black": "黑色",
    "white": "白色",
    "blue": "蓝色",
    "green": "绿色",
    "grey": "灰色",
    "yellow": "黄色",
    "brown": "棕色",
}
OBJECTS = {"jacket": "外套", "hat": "帽子", "bag": "背包"}
ITEMS = {"phone": ("phone", "phones", "部", "手机"), "bag": ("bag", "bags", "个", "包")}
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NUM_EN = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
NUM_ZH = ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
HOUR_ZH = ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]


def _zh_int(n: int) -> str:
    """Chinese numeral for 0..99999 (三千, 二十五, 一百二十)."""
    if n < 10:
        return ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"][n]
    digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
    out, zero = "", False
    for unit, name in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10
        if d:
            if zero:
                out += "零"
            out += ("" if (unit == 10 and d == 1 and not out) else digits[d]) + name
            zero = False
        elif out:
            zero = True
    return out


@dataclass
class Facts:
    case_type: str
    hour: int
    minute: int
    day: int
    month: int
    place: int
    nation: str
    age: int
    colour: str
    obj: str
    count: int
    item: str
    speaker: int
    speaker_nation: str
    speaker_age: int
    amount: int
    currency: str
    passport: str
    report_hour: int
    report_minute: int


def _facts(rng: random.Random, case_type: str, zh: bool) -> Facts:
    hour = rng.randrange(24)
    return Facts(
        case_type=case_type,
        hour=hour,
        minute=rng.choice([0, 10, 15, 20, 30, 40, 45, 50]),
        day=rng.randint(1, 28),
        month=rng.randint(1, 12),
        place=rng.randrange(len(PLACES)),
        nation=rng.choice(list(NATIONS)),
        age=rng.randint(20, 60),
        colour=rng.choice(list(COLOURS)),
        obj=rng.choice(list(OBJECTS)),
        count=rng.randint(2, 5),
        item=rng.choice(list(ITEMS)),
        speaker=rng.randrange(len(SPEAKERS_ZH if zh else SPEAKERS_EN)),
        speaker_nation=rng.choice(list(NATIONS)),
        speaker_age=rng.randint(18, 70),
        amount=rng.choice([200, 500, 800, 1000, 1500, 3000, 5000]),
        currency=rng.choice(["CNY", "CNY", "CNY", "USD", "EUR"]),
        passport=rng.choice("EGKPNX") + "".join(rng.choice("0123456789") for _ in range(8)),
        report_hour=(hour + 1) % 24,
        report_minute=rng.choice([5, 25, 35, 55]),
    )


# -- English rendering ---------------------------------------------------------------------------
def _en_time(w: _Writer, rng: random.Random, hour: int, minute: int) -> None:
    value = f"{hour:02d}:{minute:02d}"
    h12 = hour % 12 or 12
    options = [
        (f"{hour:02d}:{minute:02d}", "at "),
        (f"{h12}:{minute:02d} pm" if hour >= 12 else f"{h12}:{minute:02d} am", "at "),
    ]
    if minute == 30 and 18 <= hour <= 23:
        options.append((f"half past {NUM_EN[h12]} in the evening", "at "))
    if minute == 0 and 13 <= hour <= 17:
        options.append((f"{NUM_EN[h12]} in the afternoon", "at "))
    if minute in (10, 20) and hour >= 18:  # a phrasing the rules do not cover
        options.append(
            (f"{ {10: 'ten', 20: 'twenty'}[minute] } past {NUM_EN[h12]} in the evening", "at ")
        )
    text, prep = rng.choice(options)
    if rng.random() < 0.25:
        prep = "around "
    w.say(prep).ent("time", text, value)


def _en_date(w: _Writer, rng: random.Random, day: int, month: int) -> None:
    value = f"2026-{month:02d}-{day:02d}"
    options = [
        f"{day} {MONTHS_EN[month - 1]} 2026",
        f"{MONTHS_EN[month - 1]} {day}, 2026",
        f"2026-{month:02d}-{day:02d}",
    ]
    text = rng.choice(options)
    if rng.random() < 0.15:
        suffix = "th" if 10 <= day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        text, value = f"the {day}{suffix} of {MONTHS_EN[month - 1]}", f"--{month:02d}-{day:02d}"
    w.say("on ").ent("date", text, value)


def _en_amount(rng: random.Random, amount: int, currency: str) -> tuple[str, str]:
    value = f"{amount} {currency}"
    shown = f"{amount:,}"
    if currency == "CNY":
        return rng.choice([f"{shown} yuan", f"RMB {shown}", f"¥{shown}"]), value
    if currency == "USD":
        return rng.choice([f"{shown} dollars", f"${shown}"]), value
    return rng.choice([f"{shown} euros", f"€{shown}"]), value


CORE_EN: dict[str, tuple[str, ...]] = {
    "theft-victim": (
        "a pickpocket stole my {item} on the bus.",
        "my {item} was stolen while I was shopping.",
        "someone snatched my {item} and ran.",
        "a man cheated me with a fake ticket and took my money.",
    ),
    "lost-passport": (
        "I lost my passport somewhere in the city.",
        "I cannot find my passport anywhere and I need a replacement travel document.",
        "my passport was lost when I changed hotels.",
    ),
    "illegal-stay": (
        "my visa expired and I stayed on because my flight was cancelled.",
        "I overstayed my visa by some weeks.",
        "officers found that I had no valid visa at a routine check.",
    ),
    "illegal-employment": (
        "I was working in a restaurant kitchen without a work permit.",
        "my employer told me I did not need a work permit.",
        "I came on a tourist visa and was hired at a factory.",
    ),
    "traffic-accident": (
        "a taxi hit my scooter at the intersection.",
        "there was a collision between my car and a bus.",
        "a car ran a red light and knocked down my friend.",
    ),
    "dispute": (
        "an argument in a bar turned into a fight.",
        "a man punched me after we quarrelled.",
        "my neighbour pushed me and threatened me.",
    ),
    "death": (
        "we found my colleague not breathing in his room.",
        "the hospital told us my friend had died.",
        "my travel companion passed away during the night.",
    ),
    "accommodation-registration": (
        "I stayed in a friend's apartment and did not register with the police.",
        "the landlord never filled in the registration form for my accommodation.",
        "I moved to a new hostel and nobody did the temporary residence registration.",
    ),
    "detention": (
        "I was detained at the station after a check.",
        "the officers arrested me and I was taken into custody.",
        "my brother was held at the station and I want to know why.",
    ),
}
# A few descriptions with no cue words at all, to measure "no confident suggestion".
VAGUE_EN = ("something happened that I want to tell you about.", "I need help with a problem.")


def _en_statement(
    rng: random.Random,
    facts: Facts,
    *,
    full: bool,
    as_witness: bool = False,
    name_variant: bool = False,
) -> _Writer:
    w = _Writer()
    name = SPEAKERS_EN[facts.speaker]
    if not as_witness:
        w.say(rng.choice(["My name is ", "I am "])).ent("person", name, name).say(". ")
        if full and rng.random() < 0.7:
            w.say("I am ").ent(
                "nationality", NATIONS[facts.speaker_nation][0], facts.speaker_nation
            )
            w.say(" and ").ent("age", f"{facts.speaker_age} years old", str(facts.speaker_age))
            w.say(". ")
    else:
        victim = NAME_VARIANTS_EN[name] if name_variant else name
        w.say("I saw what happened to ").ent("person", victim, victim).say(". ")
    # Incident sentence: date, time, place.
    w.say("It happened ")
    _en_date(w, rng, facts.day, facts.month)
    w.say(" ")
    _en_time(w, rng, facts.hour, facts.minute)
    w.say(rng.choice([" near ", " on ", " at "]))
    place = PLACES[facts.place][0]
    w.ent("place", place, place).say(". ")
    if not as_witness:
        core = rng.choice(CORE_EN[facts.case_type]).format(item=ITEMS[facts.item][0])
        w.say(core[0].upper() + core[1:] + " ")
    if full:
        # The other person.
        adjective = NATIONS[facts.nation][0]
        colour, obj = facts.colour, facts.obj
        roll = rng.random()
        if roll < 0.1:  # a phrasing the rules do not cover: the country, not the adjective
            w.say("The man was from ").ent("nationality", COUNTRIES_EN[facts.nation], facts.nation)
            w.say(" and wore a ").ent("colour", colour, colour).say(f" {obj}. ")
        elif roll < 0.55:
            w.say("The man was ").ent("nationality", adjective, facts.nation)
            w.say(" and wore a ").ent("colour", colour, colour).say(f" {obj}. ")
        else:
            w.say("An " if adjective[0] in "AEIOU" else "A ")
            w.ent("nationality", adjective, facts.nation).say(" man with a ")
            w.ent("colour", colour, colour).say(f" {obj} was involved. ")
        age_text = rng.choice([f"{facts.age} years old", f"aged {facts.age}"])
        w.say("He was about " if age_text[0].isdigit() else "He was ")
        w.ent("age", age_text, str(facts.age)).say(". ")
        count_text = rng.choice([NUM_EN[facts.count], str(facts.count)])
        w.say("I saw ").ent("quantity", f"{count_text} men", str(facts.count))
        w.say(" running away. ")
        if not as_witness and rng.random() < 0.6:
            text, value = _en_amount(rng, facts.amount, facts.currency)
            w.say("I lost ").ent("amount", text, value).say(" in cash. ")
        if not as_witness and rng.random() < 0.5:
            w.say("My passport number is ").ent("document", facts.passport, facts.passport)
            w.say(". ")
        if rng.random() < 0.4:
            w.say("I called the police ")
            _en_time(w, rng, facts.report_hour, facts.report_minute)
            w.say(".")
    return w


# -- Chinese rendering ---------------------------------------------------------------------------
def _zh_time(w: _Writer, rng: random.Random, hour: int, minute: int) -> None:
    value = f"{hour:02d}:{minute:02d}"
    period = (
        "凌晨"
        if hour < 5
        else "早上"
        if hour < 9
        else "上午"
        if hour < 12
        else "中午"
        if hour < 13
        else "下午"
        if hour < 18
        else "晚上"
    )
    h12 = hour if hour <= 12 else hour - 12
    minute_zh = "" if minute == 0 else "半" if minute == 30 else f"{_zh_int(minute)}分"
    options = [
        f"{hour:02d}:{minute:02d}",
        f"{period}{h12}点{'' if minute == 0 else minute}" + ("" if minute == 0 else "分"),
        f"{period}{HOUR_ZH[h12]}点{minute_zh}",
    ]
    text = rng.choice(options)
    if rng.random() < 0.25:
        w.say("大约")
    w.ent("time", text, value)


def _zh_amount(rng: random.Random, amount: int, currency: str) -> tuple[str, str]:
    value = f"{amount} {currency}"
    if currency == "CNY":
        return rng.choice([f"{amount}元", f"{_zh_int(amount)}元", f"人民币{amount}元"]), value
    return f"{amount}{'美元' if currency == 'USD' else '欧元'}", value


CORE_ZH: dict[str, tuple[str, ...]] = {
    "theft-victim": (
        "我的{item}在公交车上被偷了。",
        "有人抢走了我的{item}。",
        "一个男子诈骗了我的钱。",
    ),
    "lost-passport": ("我的护照丢了，需要补办。", "我找不到护照了。", "换酒店的时候护照丢失了。"),
    "illegal-stay": (
        "我的签证已过期，我还留在这里。",
        "我逾期居留了几个星期。",
        "检查时发现我没有有效签证。",
    ),
    "illegal-employment": (
        "我没有工作许可，在餐馆打工。",
        "雇主说我不需要工作许可。",
        "我持旅游签证来，在工厂打工。",
    ),
    "traffic-accident": (
        "一辆出租车在路口撞了我的电动车。",
        "我的车和公交车相撞了。",
        "一辆车闯红灯撞了我的朋友。",
    ),
    "dispute": ("在酒吧里争吵后打架了。", "一个男子吵架后打了我。", "邻居推了我，还威胁我。"),
    "death": ("我们发现同事在房间里没有呼吸。", "医院告诉我们朋友已经去世。", "我的同伴夜里死亡。"),
    "accommodation-registration": (
        "我住在朋友的公寓，没有登记。",
        "房东一直没有办住宿登记。",
        "我搬到新的宾馆，没人办临时住宿登记。",
    ),
    "detention": ("我检查后在派出所被拘留了。", "民警把我刑事拘留了。", "我哥哥被扣留在派出所。"),
}
VAGUE_ZH = ("发生了一件事，我想说一下。", "我遇到了麻烦，需要帮助。")


def _zh_statement(
    rng: random.Random,
    facts: Facts,
    *,
    full: bool,
    as_witness: bool = False,
    name_variant: bool = False,
) -> _Writer:
    w = _Writer()
    name = SPEAKERS_ZH[facts.speaker]
    if not as_witness:
        w.say("我叫").ent("person", name, name).say("。")
        if full and rng.random() < 0.7:
            w.say("我是").ent(
                "nationality", NATIONS[facts.speaker_nation][1] + "籍", facts.speaker_nation
            )
            w.say("，今年").ent("age", f"{facts.speaker_age}岁", str(facts.speaker_age))
            w.say("。")
    else:
        victim = NAME_VARIANTS_ZH[name] if name_variant else name
        w.say("我看到了").ent("person", victim, victim).say("遇到的事。")
    w.say("事情发生在")
    if rng.random() < 0.5:
        w.ent(
            "date", f"2026年{facts.month}月{facts.day}日", f"2026-{facts.month:02d}-{facts.day:02d}"
        )
    else:
        w.ent("date", f"{facts.month}月{facts.day}日", f"--{facts.month:02d}-{facts.day:02d}")
    _zh_time(w, rng, facts.hour, facts.minute)
    place = PLACES[facts.place][1]
    if rng.random() < 0.2:  # no locative before the place
        w.say("，").ent("place", place, place).say("附近。")
    else:
        w.say("，地点在").ent("place", place, place).say("。")
    if not as_witness:
        w.say(rng.choice(CORE_ZH[facts.case_type]).format(item=ITEMS[facts.item][3]))
    if full:
        nation = NATIONS[facts.nation][1]
        colour = COLOURS[facts.colour]
        obj = OBJECTS[facts.obj]
        if rng.random() < 0.5:
            w.say("那名男子是").ent("nationality", nation + "人", facts.nation)
            w.say("，穿戴").ent("colour", colour, facts.colour).say(f"{obj}。")
        else:
            w.say("一名").ent("nationality", nation, facts.nation).say("男子带着")
            w.ent("colour", colour, facts.colour).say(f"的{obj}。")
        w.say("他大约").ent("age", f"{facts.age}岁", str(facts.age)).say("。")
        count = rng.choice([NUM_ZH[facts.count], str(facts.count)])
        w.say("我看到").ent("quantity", f"{count}名男子", str(facts.count)).say("跑了。")
        if not as_witness and rng.random() < 0.6:
            text, value = _zh_amount(rng, facts.amount, facts.currency)
            w.say("我丢了").ent("amount", text, value).say("现金。")
        if not as_witness and rng.random() < 0.5:
            w.say("我的护照号码是").ent("document", facts.passport, facts.passport).say("。")
        if rng.random() < 0.4:
            w.say("我")
            _zh_time(w, rng, facts.report_hour, facts.report_minute)
            w.say("报警。")
    return w


# -- the set -------------------------------------------------------------------------------------
def _statement(sid: str, lang: str, w: _Writer, case_type: str) -> EvalStatement:
    return EvalStatement(sid, lang, case_type, w.text, list(w.entities))


def statements(n: int = 300, seed: int = 0) -> list[EvalStatement]:
    """``n`` statements, half English, half Chinese, case types in turn; a few vague ones."""
    out = []
    types = list(CASE_TYPES)
    for i in range(n):
        lang = "en" if i % 2 == 0 else "zh"
        rng = random.Random(f"{SEED_PREFIX}:statement:{seed}:{i}")  # noqa: S311 (test data)
        case_type = types[(i // 2) % len(types)]
        facts = _facts(rng, case_type, lang == "zh")
        render = _en_statement if lang == "en" else _zh_statement
        w = render(rng, facts, full=rng.random() < 0.8)
        if i % 25 == 24:  # a vague description: gold type is still set, but no cues exist
            vague = rng.choice(VAGUE_EN if lang == "en" else VAGUE_ZH)
            out.append(EvalStatement(f"s{i}", lang, "", vague, []))
            continue
        out.append(_statement(f"s{i}", lang, w, case_type))
    return out


PERTURBATIONS = ("time", "date", "place", "quantity", "colour", "nationality", "age", "name")


def _perturb(rng: random.Random, facts: Facts, what: str) -> tuple[Facts, dict[str, str]]:
    """A copy of the facts with one detail changed, and the gold hint it should produce."""
    changed = Facts(**facts.__dict__)
    if what == "time":
        shift = rng.choice([40, 45, 60, 75, 90, 120])
        total = (facts.hour * 60 + facts.minute + shift) % 1440
        changed.hour, changed.minute = divmod(total, 60)
        return changed, {
            "kind": "time",
            "a": f"{facts.hour:02d}:{facts.minute:02d}",
            "b": f"{changed.hour:02d}:{changed.minute:02d}",
        }
    if what == "date":
        changed.day = facts.day + 1 if facts.day < 28 else facts.day - 1
        return changed, {
            "kind": "date",
            "a": f"{facts.month:02d}-{facts.day:02d}",
            "b": f"{facts.month:02d}-{changed.day:02d}",
        }
    if what == "place":
        changed.place = (facts.place + rng.randint(1, len(PLACES) - 1)) % len(PLACES)
        return changed, {"kind": "place", "a": str(facts.place), "b": str(changed.place)}
    if what == "quantity":
        changed.count = facts.count + 1 if facts.count < 5 else facts.count - 1
        return changed, {"kind": "quantity", "a": str(facts.count), "b": str(changed.count)}
    if what == "colour":
        changed.colour = rng.choice([c for c in COLOURS if c != facts.colour])
        return changed, {"kind": "colour", "a": facts.colour, "b": changed.colour}
    if what == "nationality":
        changed.nation = rng.choice([n for n in NATIONS if n != facts.nation])
        return changed, {"kind": "identity", "a": facts.nation, "b": changed.nation}
    if what == "age":
        changed.age = facts.age + rng.choice([-15, -10, 10, 15])
        return changed, {"kind": "identity", "a": str(facts.age), "b": str(changed.age)}
    return changed, {"kind": "identity", "a": "name", "b": "name"}


def pairs(n: int = 200, seed: int = 0) -> list[EvalPair]:
    """``n`` pairs of a victim's and a witness's statement about the same incident.

    About 40% differ only in wording (no gold hint); the rest have one or two changed details.
    """
    out = []
    types = list(CASE_TYPES)
    for i in range(n):
        lang = "en" if i % 2 == 0 else "zh"
        rng = random.Random(f"{SEED_PREFIX}:pair:{seed}:{i}")  # noqa: S311 (test data)
        facts = _facts(rng, types[i % len(types)], lang == "zh")
        changes = [] if rng.random() < 0.4 else rng.sample(PERTURBATIONS, rng.choice([1, 1, 2]))
        b_facts, hints, name_variant = facts, [], False
        for what in changes:
            if what == "name":
                name_variant = True
                name = (SPEAKERS_EN if lang == "en" else SPEAKERS_ZH)[facts.speaker]
                variant = (NAME_VARIANTS_EN if lang == "en" else NAME_VARIANTS_ZH)[name]
                hints.append({"kind": "identity", "a": name, "b": variant})
                continue
            b_facts, hint = _perturb(rng, b_facts, what)
            if what == "place":
                index = 0 if lang == "en" else 1
                hint = {
                    "kind": "place",
                    "a": PLACES[int(hint["a"])][index],
                    "b": PLACES[int(hint["b"])][index],
                }
            hints.append(hint)
        render = _en_statement if lang == "en" else _zh_statement
        a = render(rng, facts, full=True)
        b = render(rng, b_facts, full=True, as_witness=True, name_variant=name_variant)
        out.append(
            EvalPair(
                f"p{i}",
                lang,
                _statement(f"p{i}a", lang, a, facts.case_type),
                _statement(f"p{i}b", lang, b, facts.case_type),
                hints,
            )
        )
    return out


def as_json(items: list[Any]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(item) for item in items]


# Hand-written descriptions in plain words, many without the obvious cue words, to measure the
# case-type suggestion on text less shaped by its cue list (written before measuring it; the cue
# list was not changed after seeing the result).
HARD_DESCRIPTIONS: tuple[tuple[str, str, str], ...] = (
    ("en", "theft-victim", "When I got off the subway my phone was no longer in my pocket."),
    ("en", "theft-victim", "A man offered to change money for me and gave me fake notes."),
    ("en", "theft-victim", "Someone took my laptop from the café table while I ordered."),
    ("en", "lost-passport", "I think I left my passport in a taxi last night."),
    ("en", "lost-passport", "My travel document is gone and I fly home on Friday."),
    ("en", "lost-passport", "The hotel says they gave my passport back but I do not have it."),
    ("en", "illegal-stay", "My permission to stay ended in March but I am still here."),
    ("en", "illegal-stay", "At the check the officer saw my visa expired two months ago."),
    ("en", "illegal-stay", "I did not leave the country when my student status ended."),
    ("en", "illegal-employment", "She teaches English at a school but only has a tourist visa."),
    ("en", "illegal-employment", "Six foreigners were doing construction work with no permits."),
    ("en", "illegal-employment", "The bar pays him cash every week to sing, he is a student."),
    ("en", "traffic-accident", "A delivery scooter came out of nowhere and I fell off my bike."),
    ("en", "traffic-accident", "The bus braked hard and the car behind us hit it."),
    ("en", "traffic-accident", "My car was damaged by a truck while parked at the corner."),
    ("en", "dispute", "Two groups started shouting outside the club and someone got hurt."),
    ("en", "dispute", "My landlord and I disagree about the deposit and he hit me."),
    ("en", "dispute", "A taxi driver and a tourist argued about the fare and pushed each other."),
    ("en", "death", "My husband collapsed in the hotel and the doctors could not save him."),
    ("en", "death", "A foreign guest was found lifeless in room 512 this morning."),
    ("en", "death", "We need to repatriate the remains of our colleague."),
    (
        "en",
        "accommodation-registration",
        "Ten foreigners live in the flat and nobody reported them.",
    ),
    (
        "en",
        "accommodation-registration",
        "I rent a room on a short-term app, the owner did nothing.",
    ),
    ("en", "accommodation-registration", "The guesthouse did not record the foreign guests."),
    ("en", "detention", "Police took my son away last night and we cannot reach him."),
    ("en", "detention", "He is being held and wants his embassy to be told."),
    ("en", "detention", "The suspect was kept at the station for questioning overnight."),
    ("zh", "theft-victim", "下地铁后发现手机不在口袋里了。"),
    ("zh", "theft-victim", "有人帮我换钱，给了我假钞。"),
    ("zh", "theft-victim", "我点餐的时候有人拿走了桌上的电脑。"),
    ("zh", "lost-passport", "我可能把护照落在出租车上了。"),
    ("zh", "lost-passport", "我的旅行证件没了，周五就要回国。"),
    ("zh", "lost-passport", "酒店说已经把护照还给我，可是我没有。"),
    ("zh", "illegal-stay", "我的停留期三月份就到了，现在还在这里。"),
    ("zh", "illegal-stay", "检查时民警发现他的签证两个月前就过期了。"),
    ("zh", "illegal-stay", "学籍结束后我没有离境。"),
    ("zh", "illegal-employment", "她持旅游签证在学校教英语。"),
    ("zh", "illegal-employment", "六名外国人没有许可在工地干活。"),
    ("zh", "illegal-employment", "酒吧每周给这个留学生现金让他唱歌。"),
    ("zh", "traffic-accident", "一辆外卖电动车突然冲出来，我从自行车上摔了下来。"),
    ("zh", "traffic-accident", "公交车急刹车，后面的小汽车撞了上去。"),
    ("zh", "traffic-accident", "我的车停在路边被一辆卡车刮坏了。"),
    ("zh", "dispute", "两伙人在夜店门口大喊大叫，有人受了伤。"),
    ("zh", "dispute", "房东和我因为押金起了冲突，他打了我。"),
    ("zh", "dispute", "出租车司机和游客因为车费互相推搡。"),
    ("zh", "death", "我丈夫在酒店晕倒，医生没能救回来。"),
    ("zh", "death", "今天早上在512房间发现一名外国客人已无生命体征。"),
    ("zh", "death", "我们需要把同事的遗体运回国。"),
    ("zh", "accommodation-registration", "十个外国人住在这套房子里，没有人申报。"),
    ("zh", "accommodation-registration", "我在短租软件上租了房间，房主什么也没办。"),
    ("zh", "accommodation-registration", "这家民宿没有登记外国客人的信息。"),
    ("zh", "detention", "昨晚警察把我儿子带走了，我们联系不上他。"),
    ("zh", "detention", "他被关押了，希望通知他的使馆。"),
    ("zh", "detention", "嫌疑人在派出所被留置盘问了一夜。"),
)


def hard_descriptions() -> list[EvalStatement]:
    return [
        EvalStatement(f"h{i}", lang, case_type, text, [])
        for i, (lang, case_type, text) in enumerate(HARD_DESCRIPTIONS)
    ]
