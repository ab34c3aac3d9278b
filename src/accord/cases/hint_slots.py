"""Slots for inconsistency hints that the entity extractor does not give, in several languages.

Why a second rule layer: ``cases.extract`` suggests fields for an officer to confirm (people,
places, times...), while a hint needs to *compare* two statements. Comparing needs values the
extractor has no field for — the weekday ("on Tuesday", 周二, во вторник), the spatial relation
to a place (inside / outside / in front of / floor / side of the street), the vehicle, the
role of a person (driver, guard), an identifier normalised so that "E 1234 5678" equals
"E12345678" — and it needs them in the interview languages that have no entity model.

Everything here is a word list or a pattern, per language; no model. Each function returns
entity-like dicts (``kind``, ``text``, ``value``, ``start``, ``end``, ``attrs``) with offsets in
the text it was given, so a hint can show the passage. :data:`SUPPORT` says which hint kinds
each language gets; the model card shows it.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from typing import Any

# -- which hint kinds each language gets -----------------------------------------------------------
#: Hint kinds, in the order a reviewer sees them.
ALL_KINDS: tuple[str, ...] = (
    "weekday", "date", "time", "place", "quantity", "amount", "colour", "vehicle",
    "transcription-check", "person", "role", "identity",
)
#: Kinds that need no word list: digits, separators and currency signs are shared by scripts.
LANGUAGE_INDEPENDENT: tuple[str, ...] = ("date", "time", "amount", "transcription-check")
_RULE_LANGS = ("ru", "fr", "es", "de", "it", "pt")
#: Per language: the hint kinds Accord can raise, and what they come from. Languages not listed
#: get :data:`LANGUAGE_INDEPENDENT` only (numeric dates, HH:MM times, amounts with a currency
#: sign or code, near-identical identifiers).
SUPPORT: dict[str, tuple[tuple[str, ...], str]] = {
    "en": (ALL_KINDS, "spaCy en_core_web_sm (people, places, quantities) + rules"),
    "zh": (ALL_KINDS, "jieba (people, places, quantities) + rules"),
    "ru": (
        ("weekday", "date", "time", "place", "quantity", "amount", "colour", "vehicle",
         "transcription-check", "person", "role"),
        "natasha (people, places) + rules",
    ),
    "fr": (
        ("weekday", "date", "time", "place", "quantity", "amount", "colour", "vehicle",
         "transcription-check", "role"),
        "rules",
    ),
    "es": (
        ("weekday", "date", "time", "place", "quantity", "amount", "colour", "vehicle",
         "transcription-check", "role"),
        "rules",
    ),
    "de": (("weekday", "date", "time", "amount", "transcription-check"), "rules"),
    "it": (("weekday", "date", "time", "amount", "transcription-check"), "rules"),
    "pt": (("weekday", "date", "time", "amount", "transcription-check"), "rules"),
}


def supported_kinds(lang: str) -> tuple[str, ...]:
    """The hint kinds raised for statements in ``lang`` (a base language code)."""
    return SUPPORT.get(lang, (LANGUAGE_INDEPENDENT, "rules"))[0]


def support_table() -> list[dict[str, Any]]:
    """One row per language with a word list, plus the row for every other language."""
    rows = [
        {"language": lang, "kinds": list(kinds), "engine": engine}
        for lang, (kinds, engine) in SUPPORT.items()
    ]
    rows.append(
        {"language": "other interview languages", "kinds": list(LANGUAGE_INDEPENDENT),
         "engine": "rules (digits, separators, currency signs)"}
    )
    return rows


def _ent(kind: str, m: re.Match[str] | tuple[int, int, str], value: str, base: int,
         **attrs: Any) -> dict[str, Any]:
    if isinstance(m, tuple):
        start, end, text = m
    else:
        start, end, text = m.start(), m.end(), m.group()
    return {"kind": kind, "text": text, "value": value, "start": base + start,
            "end": base + end, "attrs": attrs}


def _lexicon(table: dict[str, str], flags: int = re.I) -> re.Pattern[str]:
    words = sorted(table, key=len, reverse=True)
    return re.compile("|".join(f"(?:{w})" for w in words), flags)


def _lookup(table: dict[str, str], found: str) -> str:
    for pattern, value in sorted(table.items(), key=lambda kv: len(kv[0]), reverse=True):
        if re.fullmatch(pattern, found, re.I):
            return value
    return ""


# -- weekdays ------------------------------------------------------------------------------------
# ISO weekday numbers: 1 = Monday ... 7 = Sunday.
_WEEKDAYS: dict[str, dict[str, str]] = {
    "en": {r"\bmondays?\b": "1", r"\btuesdays?\b": "2", r"\bwednesdays?\b": "3",
           r"\bthursdays?\b": "4", r"\bfridays?\b": "5", r"\bsaturdays?\b": "6",
           r"\bsundays?\b": "7"},
    "zh": {r"(?:星期|礼拜|周)一": "1", r"(?:星期|礼拜|周)二": "2", r"(?:星期|礼拜|周)三": "3",
           r"(?:星期|礼拜|周)四": "4", r"(?:星期|礼拜|周)五": "5", r"(?:星期|礼拜|周)六": "6",
           r"(?:星期|礼拜|周)[日天]": "7"},
    "ru": {r"\bпонедельник\w*": "1", r"\bвторник\w*": "2", r"\bсред[ауеы]\b": "3",
           r"\bчетверг\w*": "4", r"\bпятниц\w*": "5", r"\bсуббот\w*": "6",
           r"\bвоскресень\w*": "7"},
    "fr": {r"\blundis?\b": "1", r"\bmardis?\b": "2", r"\bmercredis?\b": "3",
           r"\bjeudis?\b": "4", r"\bvendredis?\b": "5", r"\bsamedis?\b": "6",
           r"\bdimanches?\b": "7"},
    "es": {r"\blunes\b": "1", r"\bmartes\b": "2", r"\bmi[ée]rcoles\b": "3", r"\bjueves\b": "4",
           r"\bviernes\b": "5", r"\bs[áa]bados?\b": "6", r"\bdomingos?\b": "7"},
    "de": {r"\bmontags?\b": "1", r"\bdienstags?\b": "2", r"\bmittwochs?\b": "3",
           r"\bdonnerstags?\b": "4", r"\bfreitags?\b": "5", r"\b(?:samstags?|sonnabends?)\b": "6",
           r"\bsonntags?\b": "7"},
    "it": {r"\bluned[iì]\b": "1", r"\bmarted[iì]\b": "2", r"\bmercoled[iì]\b": "3",
           r"\bgioved[iì]\b": "4", r"\bvenerd[iì]\b": "5", r"\bsabato\b": "6",
           r"\bdomenica\b": "7"},
    "pt": {r"\bsegunda(?:-feira)?\b": "1", r"\bter[çc]a(?:-feira)?\b": "2",
           r"\bquarta(?:-feira)?\b": "3", r"\bquinta(?:-feira)?\b": "4",
           r"\bsexta(?:-feira)?\b": "5", r"\bs[áa]bado\b": "6", r"\bdomingo\b": "7"},
}
WEEKDAY_NAMES = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                 "Sunday")


def weekdays(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    """Weekday names, valued "1" (Monday) to "7" (Sunday)."""
    table = _WEEKDAYS.get(lang)
    if not table:
        return []
    return [_ent("weekday", m, _lookup(table, m.group()), base)
            for m in _lexicon(table).finditer(text)]


def weekday_of(iso_date: str) -> str | None:
    """The ISO weekday ("1".."7") of a full date, None for a date without a year."""
    try:
        return str(_dt.date.fromisoformat(iso_date).isoweekday())
    except ValueError:
        return None


# -- dates in the rule languages ------------------------------------------------------------------
_MONTHS: dict[str, tuple[str, ...]] = {
    "ru": ("январ", "феврал", "март", "апрел", "ма[яй]", "июн", "июл", "август", "сентябр",
           "октябр", "ноябр", "декабр"),
    "fr": ("janvier", "f[ée]vrier", "mars", "avril", "mai", "juin", "juillet", "ao[uû]t",
           "septembre", "octobre", "novembre", "d[ée]cembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "se?ptiembre", "octubre", "noviembre", "diciembre"),
    "de": ("januar", "februar", "m[äa]rz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "mar[çc]o", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
}
_NUMERIC_DATE = re.compile(
    r"(?<![\d.:/])(?:(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2}))(?![\d:])"
)


def _iso(year: str | None, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def dates(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    """Numeric dates (day first) in any language; day-month(-year) with month names in the
    rule languages. Values are ISO dates, or ``--MM-DD`` without a year."""
    out = []
    for m in _NUMERIC_DATE.finditer(text):
        if m.group("y"):
            value = _iso(m.group("y"), int(m.group("m")), int(m.group("d")))
        else:
            value = _iso(m.group("y2"), int(m.group("m2")), int(m.group("d2")))
        if value:
            out.append(_ent("date", m, value, base))
    months = _MONTHS.get(lang)
    if months:
        names = "|".join(f"(?P<m{i}>{name})" for i, name in enumerate(months, start=1))
        pattern = re.compile(
            r"(?<!\d)(?P<d>\d{1,2})(?:er|º|°)?\s+(?:de\s+)?(?:" + names + r")\w*"
            r"(?:\s+(?:de\s+|del\s+)?(?P<y>\d{4}))?", re.I,
        )
        for m in pattern.finditer(text):
            month = next(i for i in range(1, 13) if m.group(f"m{i}"))
            value = _iso(m.group("y"), month, int(m.group("d")))
            if value:
                out.append(_ent("date", m, value, base))
    return out


# -- times in the rule languages ------------------------------------------------------------------
_APPROX = {
    "ru": re.compile(r"(?:около|примерно|приблизительно|где-то)\s*(?:в\s*)?$", re.I),
    "fr": re.compile(r"(?:vers|environ|à peu près)\s*(?:à\s*)?$", re.I),
    "es": re.compile(r"(?:sobre|hacia|alrededor de|aproximadamente|más o menos)\s*"
                     r"(?:las?\s*)?$", re.I),
    "de": re.compile(r"(?:gegen|etwa|ungefähr|circa|ca\.)\s*(?:um\s*)?$", re.I),
}
_HHMM = re.compile(r"(?<![\d:.])(?P<h>[01]?\d|2[0-4])\s*(?::|h|ч\.?)\s*(?P<mi>[0-5]\d)(?![\d:])")
_HOUR_WORD = {
    "ru": re.compile(r"(?<!\d)(?P<h>\d{1,2})\s*час(?:а|ов)?(?:\s+(?P<p>утра|дня|вечера|ночи))?",
                     re.I),
    "fr": re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s*(?:h|heures?)(?![\w])"
                     r"(?:\s+(?P<p>du matin|de l'après-midi|du soir))?", re.I),
    "es": re.compile(r"\blas?\s+(?P<h>\d{1,2})(?![\d:.])"
                     r"(?:\s+de\s+la\s+(?P<p>mañana|madrugada|tarde|noche))?", re.I),
    "de": re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s*Uhr(?![\w])", re.I),
}
_LATER = ("дня", "вечера", "de l'après-midi", "du soir", "tarde", "noche")


def _hhmm(hour: int, minute: int) -> str | None:
    return f"{hour % 24:02d}:{minute:02d}" if 0 <= hour <= 24 and 0 <= minute < 60 else None


def times(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    """24-hour times (21:00, 21h00, 21.00 is not read: it is also a price) and, in the rule
    languages, an hour with a part of the day (в 2 часа ночи, 9 heures du soir)."""
    out = []
    approx_re = _APPROX.get(lang)

    def approx(start: int) -> bool:
        return bool(approx_re and approx_re.search(text[max(0, start - 24):start]))

    taken: list[tuple[int, int]] = []
    for m in _HHMM.finditer(text):
        value = _hhmm(int(m.group("h")), int(m.group("mi")))
        if value:
            out.append(_ent("time", m, value, base, approximate=approx(m.start())))
            taken.append((m.start(), m.end()))
    word = _HOUR_WORD.get(lang)
    if word:
        for m in word.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            hour = int(m.group("h"))
            period = (m.group("p") or "").lower()
            if period in _LATER and hour < 12:
                hour += 12
            value = _hhmm(hour, 0)
            if value:
                out.append(_ent("time", m, value, base, approximate=approx(m.start())))
    return out


# -- spatial relation to a place -----------------------------------------------------------------
_RELATIONS: dict[str, dict[str, str]] = {
    "en": {r"\binside\b": "in", r"\bindoors\b": "in", r"\boutside\b": "out",
           r"\boutdoors\b": "out", r"\bin front of\b": "front", r"\bbehind\b": "behind",
           r"\bat the back of\b": "behind", r"\bopposite\b": "opposite",
           r"\bacross (?:the (?:street|road) )?from\b": "opposite",
           r"\b(?:under|underneath|beneath)\b": "under",
           r"\bon the left\b": "left", r"\bleft(?:-hand)? side\b": "left",
           r"\bon the right\b": "right", r"\bright(?:-hand)? side\b": "right"},
    "zh": {r"(?<![这那哪心夜家])里(?:面|头|边)?": "in", r"屋内|室内|店内": "in",
           r"外面|外头|外边|门外|室外|门口": "out", r"前面|前边|门前": "front",
           r"后面|后边|背后": "behind", r"对面": "opposite", r"底下|下面|下边": "under",
           r"左边|左侧|左手边": "left", r"右边|右侧|右手边": "right"},
    "ru": {r"\bвнутри\b": "in", r"\bв помещении\b": "in", r"\bснаружи\b": "out",
           r"\bна улице\b": "out", r"\bперед\b": "front", r"\bпозади\b": "behind",
           r"\bсзади\b": "behind", r"\bнапротив\b": "opposite", r"\bпод\b": "under",
           r"\bслева\b": "left", r"\bна левой стороне\b": "left", r"\bсправа\b": "right",
           r"\bна правой стороне\b": "right"},
    "fr": {r"\bà l'intérieur\b": "in", r"\bdedans\b": "in", r"\bdehors\b": "out",
           r"\bà l'extérieur\b": "out", r"\bdevant\b": "front", r"\bderrière\b": "behind",
           r"\ben face\b": "opposite", r"\bsous\b": "under", r"\bà gauche\b": "left",
           r"\bcôté gauche\b": "left", r"\bà droite\b": "right", r"\bcôté droit\b": "right"},
    "es": {r"\bdentro\b": "in", r"\bfuera\b": "out", r"\bafuera\b": "out",
           r"\bdelante\b": "front", r"\benfrente\b": "opposite", r"\bdetr[áa]s\b": "behind",
           r"\bdebajo\b": "under", r"\ba la izquierda\b": "left", r"\blado izquierdo\b": "left",
           r"\ba la derecha\b": "right", r"\blado derecho\b": "right"},
}
#: Relations that cannot both hold for the same thing at the same place.
_CLASHES: dict[str, frozenset[str]] = {
    "in": frozenset({"out", "front", "behind", "opposite", "under"}),
    "out": frozenset({"in"}),
    "front": frozenset({"in", "behind"}),
    "behind": frozenset({"in", "front", "opposite"}),
    "opposite": frozenset({"in", "behind"}),
    "under": frozenset({"in"}),
    "left": frozenset({"right"}),
    "right": frozenset({"left"}),
}
_ORDINALS: dict[str, dict[str, int]] = {
    "en": {"ground": 0, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
           "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "top": 99},
    "ru": {"перв": 1, "втор": 2, "трет": 3, "четв": 4, "пят": 5, "шест": 6, "седьм": 7,
           "восьм": 8, "девят": 9, "десят": 10},
    "fr": {"rez": 0, "premier": 1, "deuxième": 2, "second": 2, "troisième": 3,
           "quatrième": 4, "cinquième": 5, "sixième": 6, "septième": 7, "huitième": 8,
           "neuvième": 9, "dixième": 10},
    "es": {"bajo": 0, "primer": 1, "segundo": 2, "tercer": 3, "cuarto": 4, "quinto": 5,
           "sexto": 6, "séptimo": 7, "octavo": 8, "noveno": 9, "décimo": 10},
}
_FLOOR: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(?P<n>\d{1,2})(?:st|nd|rd|th)?\s+floor\b|\b(?P<w>[a-z]+)\s+floor\b",
                     re.I),
    "zh": re.compile(r"(?P<n>\d{1,2}|[一二三四五六七八九十]{1,2})\s*(?:楼|层)(?![梯道房])"),
    "ru": re.compile(r"\bна\s+(?:(?P<n>\d{1,2})\s*-?\s*[а-я]{0,2}|(?P<w>[а-яё]+))\s+этаж\w*",
                     re.I),
    "fr": re.compile(r"\b(?:au\s+)?(?:(?P<n>\d{1,2})\s*(?:e|è|ème|er)|(?P<w>[a-zéè-]+))\s+"
                     r"(?:étage|chaussée)\b", re.I),
    "es": re.compile(r"\b(?:(?P<n>\d{1,2})\s*[ºª°o]?|(?P<w>[a-záéíóú]+))\s+(?:piso|planta)\b",
                     re.I),
}
_ZH_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10}
_NEGATION = re.compile(r"(?:\bnot|\bnever|不是|不在|没有|\bне|\bpas|\bno)\s*$", re.I)


def _zh_small(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _ZH_NUM.get(word[1:], 0)
    if len(word) == 1:
        return _ZH_NUM.get(word)
    return None


def relations(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    """Spatial relations (in, out, front, behind, opposite, under, left, right) and floors
    (``floor:2``); a relation right after a negation ("not under it") is left out."""
    out = []
    table = _RELATIONS.get(lang)
    if table:
        for m in _lexicon(table).finditer(text):
            if _NEGATION.search(text[max(0, m.start() - 8):m.start()]):
                continue
            out.append(_ent("place", m, _lookup(table, m.group()), base, relation=True))
    floor = _FLOOR.get(lang)
    if floor:
        for m in floor.finditer(text):
            number: int | None = None
            if m.group("n"):
                number = _zh_small(m.group("n")) if lang == "zh" else int(m.group("n"))
            elif m.groupdict().get("w"):
                word = m.group("w").lower()
                number = next((n for stem, n in _ORDINALS.get(lang, {}).items()
                               if word.startswith(stem)), None)
            if number is not None:
                out.append(_ent("place", m, f"floor:{number}", base, relation=True))
    return out


def relations_clash(a: Iterable[str], b: Iterable[str]) -> tuple[str, str] | None:
    """A pair of relations, one only in ``a`` and one only in ``b``, that cannot both hold."""
    set_a, set_b = set(a), set(b)
    for x in sorted(set_a - set_b):
        for y in sorted(set_b - set_a):
            if y in _CLASHES.get(x, frozenset()):
                return x, y
            if x.startswith("floor:") and y.startswith("floor:"):
                return x, y
    return None


# -- vehicles ------------------------------------------------------------------------------------
_VEHICLES: dict[str, dict[str, str]] = {
    "en": {r"\btaxis?\b": "taxi", r"\bcabs?\b": "taxi", r"\bbus(?:es)?\b": "bus",
           r"\bcoach\b": "bus", r"\bmotor(?:bike|cycle)s?\b": "motorbike",
           r"\bscooters?\b": "motorbike", r"\bmopeds?\b": "motorbike",
           r"\bbicycles?\b": "bicycle", r"\bbikes?\b": "bicycle", r"\bcars?\b": "car",
           r"\bvans?\b": "van", r"\bminivans?\b": "van", r"\btrucks?\b": "truck",
           r"\blorry\b": "truck", r"\btrains?\b": "train", r"\bmetro\b": "train",
           r"\bsubway\b": "train", r"\btrams?\b": "tram"},
    "zh": {r"出租车|的士|打车|网约车": "taxi", r"公交车?|巴士|大巴": "bus",
           r"摩托车?|电动车|电瓶车": "motorbike", r"自行车|单车": "bicycle",
           r"面包车": "van", r"卡车|货车": "truck", r"地铁|火车": "train",
           r"轿车|小汽车|私家车": "car"},
    "ru": {r"\bтакси\b": "taxi", r"\bавтобус\w*": "bus", r"\bмикроавтобус\w*": "van",
           r"\bфургон\w*": "van", r"\bмотоцикл\w*": "motorbike", r"\bскутер\w*": "motorbike",
           r"\bмопед\w*": "motorbike", r"\bвелосипед(?!ист)\w*": "bicycle",
           r"\bмашин\w*": "car", r"\bавтомобил\w*": "car", r"\bгрузовик\w*": "truck",
           r"\bпоезд\w*": "train", r"\bметро\b": "train", r"\bэлектричк\w*": "train",
           r"\bтрамва\w*": "tram"},
    "fr": {r"\btaxis?\b": "taxi", r"\b(?:auto)?bus\b": "bus", r"\bmotos?\b": "motorbike",
           r"\bscooters?\b": "motorbike", r"\bv[ée]los?\b": "bicycle",
           r"\bbicyclettes?\b": "bicycle", r"\bvoitures?\b": "car",
           r"\bcamionnettes?\b": "van", r"\bfourgon(?:nette)?s?\b": "van",
           r"\bcamions?\b": "truck", r"\btrains?\b": "train", r"\bm[ée]tro\b": "train",
           r"\btram(?:way)?s?\b": "tram"},
    "es": {r"\btaxis?\b": "taxi", r"\bautob[úu]s\b": "bus", r"\bbus\b": "bus",
           r"\bmotos?\b": "motorbike", r"\bmotocicletas?\b": "motorbike",
           r"\bbicis?\b": "bicycle", r"\bbicicletas?\b": "bicycle", r"\bcoches?\b": "car",
           r"\bcarros?\b": "car", r"\bfurgonetas?\b": "van", r"\bcami[óo]n(?:es)?\b": "truck",
           r"\btren(?:es)?\b": "train", r"\bmetro\b": "train", r"\btranv[íi]as?\b": "tram"},
}
#: A generic "car" may be a taxi or a van: only distinct kinds of vehicle clash.
_CAR_LIKE = frozenset({"car", "taxi", "van"})


def vehicles(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    table = _VEHICLES.get(lang)
    if not table:
        return []
    return [_ent("vehicle", m, _lookup(table, m.group()), base)
            for m in _lexicon(table).finditer(text)]


def vehicles_clash(a: Iterable[str], b: Iterable[str]) -> tuple[str, str] | None:
    set_a, set_b = set(a), set(b)
    for x in sorted(set_a - set_b):
        for y in sorted(set_b - set_a):
            if not (x in _CAR_LIKE and y in _CAR_LIKE and "car" in (x, y)):
                return x, y
    return None


# -- roles ---------------------------------------------------------------------------------------
_ROLES: dict[str, dict[str, str]] = {
    "en": {r"\bdriv(?:er|ers|ing)\b": "driver", r"\bpassengers?\b": "passenger",
           r"\bcyclists?\b": "cyclist", r"\bpedestrians?\b": "pedestrian",
           r"\b(?:security )?guards?\b": "guard", r"\bbouncers?\b": "guard",
           r"\b(?:shop |store )?managers?\b": "manager", r"\bowners?\b": "owner",
           r"\bshopkeepers?\b": "owner", r"\blandlord\b": "owner",
           r"\bcashiers?\b": "cashier", r"\bwait(?:er|ress)s?\b": "waiter",
           r"\bneighbou?rs?\b": "neighbour", r"\bpolice ?(?:officer|man|woman)s?\b": "police",
           r"\bpolicem[ae]n\b": "police"},
    "zh": {r"司机|开车的": "driver", r"乘客|坐车的": "passenger",
           r"骑(?:自行)?车的": "cyclist", r"行人|路人": "pedestrian", r"保安|门卫": "guard",
           r"店长|经理": "manager", r"老板|店主|房东": "owner", r"收银员": "cashier",
           r"服务员": "waiter", r"邻居": "neighbour", r"警察|民警": "police"},
    "ru": {r"\bводител\w*": "driver", r"\bпассажир\w*": "passenger",
           r"\bвелосипедист\w*": "cyclist", r"\bпешеход\w*": "pedestrian",
           r"\bохранник\w*": "guard", r"\bменеджер\w*": "manager",
           r"\bуправляющ\w*": "manager", r"\bвладел\w*": "owner", r"\bхозя\w*": "owner",
           r"\bкассир\w*": "cashier", r"\bофициант\w*": "waiter", r"\bсосед\w*": "neighbour",
           r"\bполицейск\w*": "police"},
    "fr": {r"\bchauffeur\w*": "driver", r"\bconduct(?:eur|rice)s?\b": "driver",
           r"\bpassag(?:er|ère)s?\b": "passenger", r"\bcyclistes?\b": "cyclist",
           r"\bpi[ée]tons?\b": "pedestrian", r"\bvigiles?\b": "guard",
           r"\bagents? de sécurité\b": "guard", r"\bgardiens?\b": "guard",
           r"\bg[ée]rant\w*": "manager", r"\bresponsable du magasin\b": "manager",
           r"\bpropriétaires?\b": "owner", r"\bpatron\w*": "owner",
           r"\bcaissi(?:er|ère)s?\b": "cashier", r"\bserv(?:eur|euse)s?\b": "waiter",
           r"\bvoisin\w*": "neighbour", r"\bpoliciers?\b": "police"},
    "es": {r"\bconductor\w*": "driver", r"\bch[óo]fer\w*": "driver",
           r"\bpasajer[oa]s?\b": "passenger", r"\bciclistas?\b": "cyclist",
           r"\bpeat[óo]n\w*": "pedestrian", r"\bguardias?\b": "guard",
           r"\bvigilantes?\b": "guard", r"\bgerentes?\b": "manager",
           r"\bencargad[oa]s?\b": "manager", r"\bdueñ[oa]s?\b": "owner",
           r"\bpropietari[oa]s?\b": "owner", r"\bcajer[oa]s?\b": "cashier",
           r"\bcamarer[oa]s?\b": "waiter", r"\bvecin[oa]s?\b": "neighbour",
           r"\bpolic[íi]as? (?:local|nacional)?\b(?= (?:me|le|lo|la|nos))": "police"},
}


def roles(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    table = _ROLES.get(lang)
    if not table:
        return []
    return [_ent("role", m, _lookup(table, m.group()), base)
            for m in _lexicon(table).finditer(text)]


# -- colours (inflected forms the extractor's exact-word table misses) -----------------------------
_RU_ADJ = r"(?:ый|ий|ой|ая|яя|ое|ее|ые|ие|ого|его|ому|ему|ым|им|ом|ем|ую|юю|ых|их|ыми|ими)"


def colours(text: str, lang: str, base: int = 0,
            table: dict[str, dict[str, tuple[str, ...]]] | None = None) -> list[dict[str, Any]]:
    """Colour words of the rule languages with their inflections (bleue, rojas, красной)."""
    if lang not in ("ru", "fr", "es", "de", "it", "pt") or not table:
        return []
    out = []
    for colour, forms in table.items():
        for form in forms.get(lang, ()):
            ending = _RU_ADJ if lang == "ru" else r"(?:e|s|es)?"
            pattern = rf"\b{form}{ending}\b"
            for m in re.finditer(pattern, text, re.I):
                out.append(_ent("colour", m, colour, base, object=""))
    return out


# -- quantities in the rule languages ----------------------------------------------------------
_NUMBER_WORDS: dict[str, dict[str, int]] = {
    "ru": {"два": 2, "две": 2, "двое": 2, "три": 3, "трое": 3, "четыре": 4, "четверо": 4,
           "пять": 5, "пятеро": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
           "десять": 10},
    "fr": {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10},
    "es": {"dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
           "nueve": 9, "diez": 10},
}
_NOT_ITEMS = re.compile(
    r"^(?:час|минут|секунд|год|лет|этаж|heure|minute|seconde|an|ans|étage|hora|minuto|segundo|"
    r"año|piso|de|du|des|la|le|les|el|los|las|и|в|на|euro|рубл|руб|доллар|dollar|dólar|peso)",
    re.I,
)


_ZH_COUNT = re.compile(
    r"(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,2})(?:个|名|位|台|辆|件|只|部|把|张|条|部)"
    r"(?P<item>[\u4e00-\u9fff])"
)


def quantities(text: str, lang: str, base: int = 0) -> list[dict[str, Any]]:
    """A small count followed by a noun (three men, 3 hommes, пять человек, 三个男的); the
    item is the noun's first five letters (its first character in Chinese) so that
    inflections (человека / человек) and 男的 / 男人 meet."""
    if lang == "zh":
        out = []
        for m in _ZH_COUNT.finditer(text):
            value = _zh_small(m.group("n"))
            if value is not None:
                out.append(_ent("quantity", m, str(value), base, item=m.group("item")))
        return out
    words = _NUMBER_WORDS.get(lang)
    if not words:
        return []
    number = "|".join(sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w:./-])(?P<n>\d{{1,3}}|{number})\s+(?P<item>[^\W\d_]{{3,}})",
                         re.I)
    out = []
    for m in pattern.finditer(text):
        item = m.group("item")
        if _NOT_ITEMS.match(item):
            continue
        n = m.group("n").lower()
        value = int(n) if n.isdigit() else words[n]
        out.append(_ent("quantity", m, str(value), base, item=item.lower()[:5]))
    return out


# -- identifiers ---------------------------------------------------------------------------------
_PROVINCE = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Chunks of upper-case letters or with a digit, joined by one separator; matched
# case-sensitively so that "2026 at 21" never becomes one number. Russian plates use the
# twelve Cyrillic capitals that look like Latin ones (А123ВС77); they are read as Latin.
_CYR_LATIN = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
_UP = "A-ZАВЕКМНОРСТУХ"
_ID_CHUNK = rf"(?:[{_UP}]{{1,4}}|[A-Za-z{_UP}]*\d[\dA-Za-z{_UP}]*)"
_ID_CANDIDATE = re.compile(
    rf"(?<![A-Za-zА-Яа-яЁё0-9+])\+?[{_PROVINCE}]?{_ID_CHUNK}(?:[ \-·•.]{_ID_CHUNK})*"
    r"(?![A-Za-zА-Яа-яЁё0-9])"
)
# Dates, times and sums of money are blanked out before identifiers are looked for.
_NOT_IDS = re.compile(
    r"\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d{1,2}-\d{1,2}|(?<!\d)\d{1,2}\s*[:h]\s*\d{2}(?!\d)"
    r"|\d[\d,.]*\s*(?:€|\$|¥|元|块|euros?|EUR|USD|RMB|yuan|dollars?|руб\w*|долл\w*)",
    re.I,
)


def identifiers(text: str, base: int = 0) -> list[dict[str, Any]]:
    """Document numbers, plates and phone numbers, normalised (separators dropped, upper case).

    A candidate needs at least 6 characters and either letters and digits mixed or 7+ digits,
    so that counts and years are not read as identifiers.
    """
    masked = _NOT_IDS.sub(lambda m: "#" * len(m.group()), text)
    out = []
    for m in _ID_CANDIDATE.finditer(masked):
        value = re.sub(r"[\s\-·•.+]", "", m.group().upper()).translate(_CYR_LATIN)
        if not value or not any(c.isdigit() for c in value):
            continue
        digits = sum(c.isdigit() for c in value)
        letters = len(value) - digits
        if len(value) < 6 or (letters == 0 and digits < 7):
            continue
        start, end = m.start(), m.end()
        out.append(_ent("identifier", (start, end, text[start:end]), value, base))
    return out


def near_identical(a: str, b: str) -> bool:
    """One substituted, inserted, dropped or two swapped neighbouring characters (not equal)."""
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 5:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


# -- who the sentence is about ---------------------------------------------------------------------
_SELF_INTRODUCTION = re.compile(
    r"\b(?:my name is|i am called|меня зовут|моя фамилия|je m'appelle|mon nom est|me llamo|"
    r"mi nombre es|ich heiße|mein name ist)\b|我叫|我的名字",
    re.I,
)


def introduces_speaker(sentence: str) -> bool:
    """The sentence gives the speaker's own name (two people's own names differ naturally)."""
    return bool(_SELF_INTRODUCTION.search(sentence))


# -- which event a time or date belongs to (rule languages; en/zh are in inconsistency.py) ---------
TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "ru": (("report", r"полици|заявлени"), ("arrival", r"приш[её]л|пришла|приехал|вернул"),
           ("departure", r"уш[её]л|ушла|ушли|уехал")),
    "fr": (("report", r"\bpolice\b|plainte"), ("arrival", r"\barriv|\brentr"),
           ("departure", r"\bquitt|\bparti")),
    "es": (("report", r"polic[íi]a|denuncia"), ("arrival", r"\bllegu|\bllegó|\bvolv"),
           ("departure", r"\bsal[íi]|\bme fui|\bse fue")),
    "de": (("report", r"polizei|anzeige"), ("arrival", r"\bangekommen|\bkam\b"),
           ("departure", r"\bverlassen|\bging\b")),
}
