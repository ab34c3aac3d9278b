"""Text hygiene: which characters Accord accepts in what it stores, and why.

Two rules, one per kind of field:

* **Everywhere** (free text, identifiers, query strings, form fields, JSON): NUL and unpaired
  surrogates are refused. Neither is text: PostgreSQL cannot store NUL in a text column (the
  request used to fail as "database not reachable"), and a lone surrogate cannot be encoded
  as UTF-8 at all (it used to fail with a 500). The web layer refuses them centrally
  (:class:`accord.web.middleware.TextHygieneMiddleware`); :func:`clean_text` is the same rule
  for callers outside HTTP.

* **Single-line identifiers and titles** (user names, display names, case titles, person
  names, references) — :func:`clean_line`:

  - *stripped*: bidirectional embeddings, overrides and isolates (U+202A–U+202E,
    U+2066–U+2069) and the byte-order mark / zero-width no-break space (U+FEFF). They are
    invisible, copy-and-paste from documents and web pages carries them in without the user
    knowing, and they never change what a name says — only how it is drawn, which is exactly
    what an attacker abuses to make one name look like another (U+202E reverses the text
    after it). Removing them keeps honest pastes working and makes stored names display as
    their characters read; Arabic or Hebrew names still display right to left by the
    ordinary bidirectional algorithm.
  - *folded to one space*: tab, newline, carriage return and the Unicode line and paragraph
    separators (U+2028, U+2029) — a title is one line.
  - *refused*: every other C0 control (U+0001–U+001F), DEL (U+007F) and the C1 controls
    (U+0080–U+009F), e.g. ESC. Keyboards and pasted text do not produce them; in a name they
    are either corruption or an attempt to drive a terminal or log viewer, and guessing a
    repair would store something nobody typed.
  - leading and trailing white space is removed.

Refusals raise :class:`accord.core.errors.ValidationFailed` naming the field, so forms show
them like every other invalid input.
"""

from __future__ import annotations

import re

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_, Message

#: Invisible formatting characters removed from single-line values.
STRIPPED = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff"]
)
#: Line breaks folded into one space in single-line values.
LINE_BREAKS = frozenset("\t\n\r\u2028\u2029")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_STRIP_OR_FOLD = re.compile("[" + "".join(sorted(STRIPPED | LINE_BREAKS)) + "]")


def text_problem(value: str) -> Message | None:
    """Why ``value`` cannot be stored anywhere (NUL, unpaired surrogate), or None."""
    if "\x00" in value:
        return M_("contains a NUL character")
    if _SURROGATE.search(value):
        return M_("contains an unpaired surrogate (not valid Unicode)")
    return None


def clean_text(value: str | None, field: str) -> str:
    """Free text (statements, narratives): kept as sent, line breaks and tabs included.

    Only what can never be stored is refused (see the module docstring).
    """
    value = value or ""
    problem = text_problem(value)
    if problem:
        raise ValidationFailed(detail=M_("%(field)s: %(problem)s", field=field, problem=problem))
    return value


def clean_line(value: str | None, field: str) -> str:
    """A single-line identifier or title, cleaned or refused by the rule in the module docstring.

    Returns the cleaned value (possibly empty); raises ``ValidationFailed`` naming ``field``.
    """
    value = clean_text(value, field)
    control = _CONTROL.search(value)
    if control:
        raise ValidationFailed(
            detail=M_("%(field)s: contains the control character U+%(code)04X", field=field,
                      code=ord(control.group()))
        )
    folded = _STRIP_OR_FOLD.sub(lambda m: " " if m.group() in LINE_BREAKS else "", value)
    return folded.strip()
