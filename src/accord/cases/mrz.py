"""A parser for the machine-readable zone (MRZ) of travel documents, after ICAO Doc 9303.

Pure Python and rule-based, written here rather than imported: the one maintained PyPI parser
(``mrz``) is GPL-3. It reads the three formats police meet at a counter — TD3 passports (2×44),
TD1 identity cards (3×30) and TD2 cards (2×36), plus the MRV-A/MRV-B visas that share the TD3/TD2
line lengths — and checks every check digit (weights 7-3-1, ``<`` = 0, A = 10 … Z = 35).

OCR confuses letters and digits. A confusion is repaired only in a field that must be numeric
(dates and check digits), and only when the repair makes that field's check digit pass; each
repair is reported so the officer can see what the machine changed. Nothing else is guessed:
an inconsistent MRZ raises :class:`MrzInconsistent` naming every failing field, a malformed one
raises :class:`MrzFormatError` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from accord.core.errors import AccordError
from accord.core.i18n import M_, N_, Message

CHARSET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
WEIGHTS = (7, 3, 1)
# Letters OCR reads in place of digits, in fields that can only hold digits.
DIGIT_LOOKALIKES: dict[str, str] = {
    "O": "0",
    "Q": "0",
    "D": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "T": "1",
    "Z": "2",
    "B": "8",
    "S": "5",
    "G": "6",
    "A": "4",
}
# Digits OCR reads in place of letters, in fields that can only hold letters (codes, names).
LETTER_LOOKALIKES: dict[str, str] = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}
# Pairs OCR confuses in fields that may hold letters and digits (document numbers, optional
# data): a swap is applied only when it is the one swap that makes the check digit pass.
ALNUM_CONFUSIONS: dict[str, str] = {
    "O": "0", "0": "O", "Q": "0", "D": "0", "I": "1", "1": "I", "B": "8", "8": "B",
    "S": "5", "5": "S", "Z": "2", "2": "Z", "G": "6", "6": "G",
}
#: At most this many confusable characters in a field are tried (one swap at a time).
MAX_ALNUM_POSITIONS = 10
# Lengths of each format, by number of lines.
FORMATS: dict[str, tuple[int, int]] = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}

# Human names of the checked fields (English msgids; used in error messages and the UI).
FIELD_LABELS: dict[str, str] = {
    "document_number": N_("document number"),
    "birth_date": N_("date of birth"),
    "expiry_date": N_("date of expiry"),
    "optional_data": N_("personal number (optional data)"),
    "composite": N_("composite (whole line)"),
    "document_code": N_("document code"),
    "issuing_state": N_("issuing state"),
    "nationality": N_("nationality"),
    "names": N_("names"),
}


class MrzFormatError(AccordError):
    """The text is not an MRZ: wrong line count, length or characters (names the line)."""

    status = 422
    message = N_("The MRZ could not be read: %(detail)s")


class MrzInconsistent(AccordError):
    """Check digits or dates do not match: the MRZ was misread or the document is not genuine."""

    status = 422
    message = N_("The MRZ is inconsistent: %(detail)s")

    def __init__(self, detail: Message, result: MrzResult | None = None) -> None:
        self.result = result
        super().__init__(detail=detail)


def char_value(ch: str) -> int:
    if ch == "<":
        return 0
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(data: str) -> str:
    """The ICAO 9303 check digit of ``data`` (weights 7, 3, 1 repeating; sum modulo 10)."""
    return str(sum(char_value(ch) * WEIGHTS[i % 3] for i, ch in enumerate(data)) % 10)


@dataclass(frozen=True)
class CheckResult:
    field: str  # key of FIELD_LABELS
    data: str  # the characters the digit covers
    digit: str  # the check digit as printed (after any repair)
    expected: str  # the digit computed from ``data``
    ok: bool

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class Repair:
    field: str
    line: int  # 1-based
    position: int  # 1-based column
    read: str
    corrected: str


@dataclass
class MrzResult:
    format: str  # TD1 | TD2 | TD3 | MRVA | MRVB
    lines: tuple[str, ...]
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date | None
    sex: str  # "F" | "M" | "X" ("<" in the MRZ means unspecified)
    expiry_date: date | None
    optional_data: str
    optional_data_2: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)  # failures other than check digits

    @property
    def valid(self) -> bool:
        return not self.problems and all(c.ok for c in self.checks)

    @property
    def full_name(self) -> str:
        """``SURNAME, GIVEN NAMES`` — the comma keeps which part is the surname unambiguous."""
        return f"{self.surname}, {self.given_names}" if self.given_names else self.surname

    def error_messages(self) -> list[Message]:
        messages = [
            M_("check digit for %(label)s does not match (read %(digit)s, expected "
               "%(expected)s)", label=Message(c.label), digit=c.digit, expected=c.expected)
            for c in self.checks
            if not c.ok
        ]
        return messages + list(self.problems)

    def errors(self) -> list[str]:
        """The problems in English (the capability's output, the CLI)."""
        return [str(message) for message in self.error_messages()]

    def raise_for_errors(self) -> MrzResult:
        if not self.valid:
            messages = self.error_messages()
            detail = messages[0]
            for message in messages[1:]:
                detail = M_("%(first)s; %(then)s", first=detail, then=message)
            raise MrzInconsistent(detail, self)
        return self

    def expired(self, today: date | None = None) -> bool:
        return self.expiry_date is not None and self.expiry_date < (today or date.today())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (dates as ISO strings) with the per-field check results."""
        return {
            "format": self.format,
            "lines": list(self.lines),
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "surname": self.surname,
            "given_names": self.given_names,
            "full_name": self.full_name,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "expired": self.expired(),
            "optional_data": self.optional_data,
            "optional_data_2": self.optional_data_2,
            "checks": [{**asdict(c), "label": c.label} for c in self.checks],
            "repairs": [{**asdict(r), "label": FIELD_LABELS[r.field]} for r in self.repairs],
            "valid": self.valid,
            "errors": self.errors(),
        }


# -- reading ---------------------------------------------------------------------------------
def split_lines(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """Non-empty lines, upper-cased, with spaces removed (OCR often inserts them)."""
    raw = text.splitlines() if isinstance(text, str) else list(text)
    return [re.sub(r"\s+", "", line).upper() for line in raw if line.strip()]


def detect_format(lines: list[str]) -> str:
    if not lines:
        raise MrzFormatError(detail=M_("no MRZ lines"))
    count = len(lines)
    candidates = [name for name, (n, _) in FORMATS.items() if n == count]
    if not candidates:
        raise MrzFormatError(detail=M_("expected 2 or 3 lines, found %(count)s", count=count))
    for name in candidates:
        width = FORMATS[name][1]
        if all(len(line) == width for line in lines):
            return name
    widths = " and ".join(str(FORMATS[n][1]) for n in candidates)
    for number, line in enumerate(lines, 1):
        if not any(len(line) == FORMATS[n][1] for n in candidates):
            raise MrzFormatError(detail=M_("line %(number)s: %(count)s characters, expected "
                                           "%(widths)s",
                                           number=number, count=len(line), widths=widths))
    raise MrzFormatError(detail=M_("lines of different lengths"))


def _check_charset(lines: list[str]) -> None:
    for number, line in enumerate(lines, 1):
        bad = sorted({ch for ch in line if ch not in CHARSET})
        if bad:
            raise MrzFormatError(
                detail=M_("line %(number)s: characters not allowed in an MRZ: %(bad)s",
                          number=number, bad=''.join(bad))
            )


class _Reader:
    """Holds mutable lines so repairs are visible to later checks (e.g. the composite)."""

    def __init__(self, lines: list[str], repair: bool) -> None:
        self.lines = [list(line) for line in lines]
        self.repair = repair
        self.checks: list[CheckResult] = []
        self.repairs: list[Repair] = []

    def get(self, line: int, start: int, stop: int) -> str:
        return "".join(self.lines[line][start:stop])

    def check(
        self,
        name: str,
        spans: list[tuple[int, int, int]],
        digit_at: tuple[int, int],
        numeric: list[tuple[int, int, int]] | None = None,
        empty_digit_ok: bool = False,
        alnum: list[tuple[int, int, int]] | None = None,
    ) -> CheckResult:
        """Check the digit at ``digit_at`` over ``spans`` (line, start, stop), repairing
        letter/digit confusions in ``numeric`` spans and the digit itself when that helps,
        then (in ``alnum`` spans, which may hold both) the one confusion swap that makes the
        digit pass."""
        result = self._evaluate(name, spans, digit_at, empty_digit_ok)
        if not result.ok and self.repair:
            result = (
                self._try_repair(name, spans, digit_at, numeric or [], empty_digit_ok)
                or self._try_swaps(name, spans, digit_at, alnum or [], empty_digit_ok)
                or result
            )
        self.checks.append(result)
        return result

    def _try_swaps(
        self,
        name: str,
        spans: list[tuple[int, int, int]],
        digit_at: tuple[int, int],
        alnum: list[tuple[int, int, int]],
        empty_digit_ok: bool,
    ) -> CheckResult | None:
        """A field that may hold letters and digits (a document number) cannot tell O from 0
        by its type; the check digit can. Each single swap from :data:`ALNUM_CONFUSIONS` is
        tried; one is applied only when it is the only swap that makes the digit pass.
        Anything else would be a guess — and the composite digit cannot break a tie: it
        weighs the document number's characters exactly as the number's own digit does."""
        positions = [
            (ln, col)
            for ln, start, stop in alnum
            for col in range(start, stop)
            if self.lines[ln][col] in ALNUM_CONFUSIONS
        ]
        if not positions or len(positions) > MAX_ALNUM_POSITIONS:
            return None

        def passes(pos: tuple[int, int]) -> bool:
            ln, col = pos
            read = self.lines[ln][col]
            self.lines[ln][col] = ALNUM_CONFUSIONS[read]
            ok = self._evaluate(name, spans, digit_at, empty_digit_ok).ok
            self.lines[ln][col] = read
            return ok

        passing = [pos for pos in positions if passes(pos)]
        if len(passing) != 1:
            return None
        ln, col = passing[0]
        read = self.lines[ln][col]
        self.lines[ln][col] = ALNUM_CONFUSIONS[read]
        self.repairs.append(Repair(field=name, line=ln + 1, position=col + 1, read=read,
                                   corrected=self.lines[ln][col]))
        return self._evaluate(name, spans, digit_at, empty_digit_ok)

    def letters_only(self, name: str, line: int, start: int, stop: int) -> None:
        """Codes and names can never hold digits (ICAO 9303), so a digit there is an OCR
        confusion with no other reading; it is replaced by its lookalike letter and reported.
        Not check-digit-verified — the officer confirms names against the printed page."""
        if not self.repair:
            return
        for col in range(start, stop):
            ch = self.lines[line][col]
            if ch in LETTER_LOOKALIKES:
                self.lines[line][col] = LETTER_LOOKALIKES[ch]
                self.repairs.append(
                    Repair(
                        field=name,
                        line=line + 1,
                        position=col + 1,
                        read=ch,
                        corrected=LETTER_LOOKALIKES[ch],
                    )
                )

    def _evaluate(
        self,
        name: str,
        spans: list[tuple[int, int, int]],
        digit_at: tuple[int, int],
        empty_digit_ok: bool,
    ) -> CheckResult:
        data = "".join(self.get(*span) for span in spans)
        digit = self.lines[digit_at[0]][digit_at[1]]
        expected = check_digit(data)
        ok = digit == expected or (empty_digit_ok and digit == "<" and set(data) <= {"<"})
        return CheckResult(field=name, data=data, digit=digit, expected=expected, ok=ok)

    def _try_repair(
        self,
        name: str,
        spans: list[tuple[int, int, int]],
        digit_at: tuple[int, int],
        numeric: list[tuple[int, int, int]],
        empty_digit_ok: bool,
    ) -> CheckResult | None:
        positions = [(ln, col) for ln, start, stop in numeric for col in range(start, stop)]
        positions.append(digit_at)
        fixable = [(ln, col) for ln, col in positions if self.lines[ln][col] in DIGIT_LOOKALIKES]
        if not fixable:
            return None
        # Every letter in a numeric field must become a digit; try the lookalike for each.
        before = {pos: self.lines[pos[0]][pos[1]] for pos in fixable}
        for pos in fixable:
            self.lines[pos[0]][pos[1]] = DIGIT_LOOKALIKES[before[pos]]
        result = self._evaluate(name, spans, digit_at, empty_digit_ok)
        if not result.ok:
            for pos, ch in before.items():
                self.lines[pos[0]][pos[1]] = ch
            return None
        for (ln, col), ch in before.items():
            self.repairs.append(
                Repair(
                    field=name,
                    line=ln + 1,
                    position=col + 1,
                    read=ch,
                    corrected=self.lines[ln][col],
                )
            )
        return result


def _names(text: str) -> tuple[str, str]:
    surname, _, given = text.partition("<<")
    return (surname.replace("<", " ").strip(), re.sub(r"\s+", " ", given.replace("<", " ")).strip())


def _date(text: str, kind: str, today: date, problems: list[Message]) -> date | None:
    label = Message(FIELD_LABELS[kind])
    if not text.isdigit():
        problems.append(M_("%(label)s is not a date: %(text)s", label=label, text=text))
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    try:
        if kind == "expiry_date":
            return date(2000 + yy, mm, dd)
        # Birth dates are never in the future: the latest century that keeps it in the past.
        born = date(2000 + yy, mm, dd)
        return born if born <= today else date(1900 + yy, mm, dd)
    except ValueError:
        problems.append(M_("%(label)s is not a valid date: %(text)s", label=label, text=text))
        return None


def _text(value: str) -> str:
    return value.replace("<", " ").strip()


def _long_number(
    reader: _Reader,
    number_span: tuple[int, int, int],
    digit_at: tuple[int, int],
    optional_span: tuple[int, int, int],
) -> tuple[str, str] | None:
    """ICAO 9303 long document numbers: the check-digit position holds ``<`` and the number
    continues in the optional data, ending with its check digit."""
    if reader.lines[digit_at[0]][digit_at[1]] != "<":
        return None
    line, start, stop = optional_span
    extra = reader.get(line, start, stop).split("<", 1)[0]
    if len(extra) < 2:
        return None
    head = reader.get(*number_span)
    number, digit = head + extra[:-1], extra[-1]  # the digit covers the full number
    expected = check_digit(number)
    reader.checks.append(
        CheckResult(
            field="document_number",
            data=number,
            digit=digit,
            expected=expected,
            ok=digit == expected,
        )
    )
    rest = reader.get(line, start + len(extra), stop)
    return number, rest


def parse_mrz(
    text: str | list[str] | tuple[str, ...], *, today: date | None = None, repair: bool = True
) -> MrzResult:
    """Parse MRZ text (2 or 3 lines). Format errors raise; check failures are reported in the
    result (``valid``/``errors()``) — call ``raise_for_errors()`` to make them an error."""
    today = today or date.today()
    lines = split_lines(text)
    fmt = detect_format(lines)
    _check_charset(lines)
    if fmt == "TD1":
        return _parse_td1(lines, today, repair)
    return _parse_two_line(lines, fmt, today, repair)


def _parse_two_line(lines: list[str], fmt: str, today: date, repair: bool) -> MrzResult:
    width = FORMATS[fmt][1]
    visa = lines[0][0] == "V"
    r = _Reader(lines, repair)
    problems: list[Message] = []
    # Line 2: number 0-8, check 9, nationality 10-12, birth 13-18, check 19, sex 20,
    # expiry 21-26, check 27, optional 28.. (TD3: 28-41 + check 42; TD2: 28-34), composite last.
    optional_stop = 42 if fmt == "TD3" else 35
    if visa:
        optional_stop = width
    r.letters_only("document_code", 0, 0, 1)
    r.letters_only("issuing_state", 0, 2, 5)
    r.letters_only("names", 0, 5, width)
    r.letters_only("nationality", 1, 10, 13)
    long = None
    if fmt == "TD2" and not visa:
        long = _long_number(r, (1, 0, 9), (1, 9), (1, 28, optional_stop))
    if long is None:
        r.check("document_number", [(1, 0, 9)], (1, 9), alnum=[(1, 0, 9)])
        number = _text(r.get(1, 0, 9))
    else:
        number = long[0]
    r.check("birth_date", [(1, 13, 19)], (1, 19), numeric=[(1, 13, 19)])
    r.check("expiry_date", [(1, 21, 27)], (1, 27), numeric=[(1, 21, 27)])
    if fmt == "TD3" and not visa:
        r.check("optional_data", [(1, 28, 42)], (1, 42), empty_digit_ok=True,
                alnum=[(1, 28, 42)])
    if not visa:
        spans = [(1, 0, 10), (1, 13, 20), (1, 21, width - 1)]
        # TD2's optional data has no digit of its own: the composite covers it (a swap there
        # only when every other check passed)
        others_ok = all(c.ok for c in r.checks)
        r.check("composite", spans, (1, width - 1),
                alnum=[(1, 28, optional_stop)]
                if fmt == "TD2" and long is None and others_ok else None)
    surname, given = _names(r.get(0, 5, width))
    sex = r.get(1, 20, 21)
    if sex not in ("M", "F", "X", "<"):
        problems.append(M_("sex must be M, F, X or <, found %(sex)s", sex=sex))
    result = MrzResult(
        format=("MRVA" if fmt == "TD3" else "MRVB") if visa else fmt,
        lines=tuple("".join(line) for line in r.lines),
        document_code=_text(r.get(0, 0, 2)),
        issuing_state=_text(r.get(0, 2, 5)),
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=_text(r.get(1, 10, 13)),
        birth_date=_date(r.get(1, 13, 19), "birth_date", today, problems),
        sex="X" if sex == "<" else sex,
        expiry_date=_date(r.get(1, 21, 27), "expiry_date", today, problems),
        optional_data=_text(long[1] if long else r.get(1, 28, optional_stop)),
        checks=r.checks,
        repairs=r.repairs,
        problems=problems,
    )
    _check_codes(result)
    return result


TD1_COMPOSITE = [(0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)]


def _parse_td1(lines: list[str], today: date, repair: bool) -> MrzResult:
    r = _Reader(lines, repair)
    problems: list[Message] = []
    # Line 1: code 0-1, state 2-4, number 5-13, check 14, optional 15-29.
    # Line 2: birth 0-5, check 6, sex 7, expiry 8-13, check 14, nationality 15-17,
    # optional 18-28, composite 29. Line 3: names.
    r.letters_only("document_code", 0, 0, 1)
    r.letters_only("issuing_state", 0, 2, 5)
    r.letters_only("nationality", 1, 15, 18)
    r.letters_only("names", 2, 0, 30)
    long = _long_number(r, (0, 5, 14), (0, 14), (0, 15, 30))
    if long is None:
        r.check("document_number", [(0, 5, 14)], (0, 14), alnum=[(0, 5, 14)])
        number = _text(r.get(0, 5, 14))
    else:
        number = long[0]
    r.check("birth_date", [(1, 0, 6)], (1, 6), numeric=[(1, 0, 6)])
    r.check("expiry_date", [(1, 8, 14)], (1, 14), numeric=[(1, 8, 14)])
    # The optional data fields have no digit of their own: the composite covers them, and a
    # swap there is tried only when every other check passed (else the composite's failure
    # may come from a field already known to be wrong).
    others_ok = all(c.ok for c in r.checks)
    r.check("composite", TD1_COMPOSITE, (1, 29),
            alnum=[(0, 15, 30), (1, 18, 29)] if long is None and others_ok else None)
    surname, given = _names(r.get(2, 0, 30))
    sex = r.get(1, 7, 8)
    if sex not in ("M", "F", "X", "<"):
        problems.append(M_("sex must be M, F, X or <, found %(sex)s", sex=sex))
    result = MrzResult(
        format="TD1",
        lines=tuple("".join(line) for line in r.lines),
        document_code=_text(r.get(0, 0, 2)),
        issuing_state=_text(r.get(0, 2, 5)),
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=_text(r.get(1, 15, 18)),
        birth_date=_date(r.get(1, 0, 6), "birth_date", today, problems),
        sex="X" if sex == "<" else sex,
        expiry_date=_date(r.get(1, 8, 14), "expiry_date", today, problems),
        optional_data=_text(long[1] if long else r.get(0, 15, 30)),
        optional_data_2=_text(r.get(1, 18, 29)),
        checks=r.checks,
        repairs=r.repairs,
        problems=problems,
    )
    _check_codes(result)
    return result


def _check_codes(result: MrzResult) -> None:
    """Document code, state codes and names cannot hold digits; a digit there is a misread
    that no check digit covers, so it is reported rather than guessed."""
    if not result.document_code or not result.document_code[0].isalpha():
        result.problems.append(M_("document code must start with a letter: %(code)s",
                                  code=result.document_code))
    for label, value in (
        (FIELD_LABELS["issuing_state"], result.issuing_state),
        (FIELD_LABELS["nationality"], result.nationality),
    ):
        if not re.fullmatch(r"[A-Z]{1,3}", value):
            result.problems.append(M_("%(label)s must be a 1-3 letter code: %(value)s",
                                      label=Message(label), value=value or M_("(empty)")))
    if any(ch.isdigit() for ch in result.surname + result.given_names):
        result.problems.append(M_("name contains digits"))
    if not result.surname:
        result.problems.append(M_("surname is empty"))


def candidate_windows(lines: list[str]) -> list[list[str]]:
    """Consecutive runs of 2 or 3 lines whose lengths fit one MRZ format (for OCR output)."""
    found: list[list[str]] = []
    for count, width in sorted(set(FORMATS.values()), key=lambda f: -f[1]):
        for start in range(0, len(lines) - count + 1):
            window = lines[start : start + count]
            if all(len(line) == width for line in window):
                found.append(window)
    return found


__all__ = [
    "CHARSET",
    "CheckResult",
    "MrzFormatError",
    "MrzInconsistent",
    "MrzResult",
    "Repair",
    "candidate_windows",
    "check_digit",
    "parse_mrz",
]
