"""Translations: gettext catalogs (Babel ``.po`` files) for Simplified Chinese and English.

Catalogs are compiled in memory from the ``.po`` files at first use, so there is no build step
that could leave a stale ``.mo`` behind. The current language is a context variable set per
request (web) or per command (CLI).
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES: dict[str, str] = {"zh_Hans": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_Hans"

_current: ContextVar[str] = ContextVar("accord_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def normalise_language(value: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_Hans', 'en-GB' … to a supported language, else the default."""
    if not value:
        return DEFAULT_LANGUAGE
    value = value.replace("-", "_")
    if value in LANGUAGES:
        return value
    if value.lower().startswith("zh"):
        return "zh_Hans"
    if value.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    _current.set(normalise_language(language))


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context``: one English word, two meanings.

    "Witness" is a person in a case (证人) and the ledger's independent cosigner (见证方); "From"
    is a language, a custody holder or a start date. The context tells the catalog which.
    """
    return translations(_current.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (it is translated when shown)."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark ``message`` for extraction in ``context`` (keyword ``NC_:1c,2``); translate it with
    :func:`pgettext` and the same context when it is shown."""
    return message


# Words that reach templates as data (job states, role names); marked here for extraction.
STATUS_WORDS = (N_("queued"), N_("running"), N_("succeeded"), N_("failed"))
ROLE_WORDS = (N_("officer"), N_("supervisor"), N_("interpreter"), N_("analyst"), N_("dpo"),
              N_("auditor"), N_("legal"), N_("dispatcher"),
              N_("admin"))
