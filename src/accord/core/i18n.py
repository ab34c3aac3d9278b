"""Translations: gettext catalogs (Babel ``.po`` files) for Simplified Chinese and English.

Catalogs are compiled in memory from the ``.po`` files at first use, so there is no build step
that could leave a stale ``.mo`` behind. The current language is a context variable set per
request (web) or per command (CLI).

A message that is itself a parameter of another (the ``detail`` of ``ValidationFailed``) is a
:class:`Message`, made with :func:`M_` so the extractor finds its msgid::

    raise ValidationFailed(detail=M_("at most %(limit)d persons per incident", limit=MAX_LINKED))

``str()`` of a Message is its English text (what the CLI and the logs print);
:func:`translate` renders a msgid with its parameters in the current language, translating
Message parameters too, and a template shows a Message in the current language by itself.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

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


@dataclass(frozen=True)
class Message:
    """A translatable message with its own parameters, kept untranslated until it is shown.

    Parameters may be Messages themselves. ``str()`` gives the English text, ``translated()``
    the text in the current language; in a template (Jinja's ``__html__`` protocol) it shows
    in the current language, HTML-escaped, so ``_(error.message, **error.params)`` needs no
    change. ``context`` is the :func:`pgettext` context of a msgid marked with ``NC_``.
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)
    context: str | None = None

    def __str__(self) -> str:
        return _interpolate(self.msgid, self.params, english=True)

    def translated(self) -> str:
        text = pgettext(self.context, self.msgid) if self.context else gettext(self.msgid)
        return _interpolate(text, self.params, english=False)

    def __html__(self) -> str:
        return str(escape(self.translated()))


def M_(message: str, /, **params: object) -> Message:
    """Mark ``message`` for extraction (keyword ``M_``) and keep it with its parameters, to be
    translated when it is shown (``"%(limit)d"``-style named parameters, never an f-string)."""
    return Message(message, params)


def form_field(name: str) -> Message:
    """A form field's id as an error names it (``date_of_birth: is in the future``): the id in
    English, which the API and the forms use, its label in the reader's language. Each id is
    marked once as ``NC_("form field", "date_of_birth")`` next to the code that names it."""
    return Message(name, context="form field")


def _interpolate(text: str, params: Mapping[str, object], *, english: bool) -> str:
    """``text`` (already translated unless ``english``) with ``params`` filled in."""
    if not params:
        return text
    values = {key: (str(value) if english else value.translated())
              if isinstance(value, Message) else value for key, value in params.items()}
    return text % values


def translate(message: str | Message, params: Mapping[str, object] | None = None) -> str:
    """``message`` in the current language with ``params`` filled in; parameters that are
    :class:`Message` are translated too, plain values are kept as they are."""
    if isinstance(message, Message):
        return message.translated()
    return _interpolate(gettext(message), params or {}, english=False)


# Words that reach templates as data (job states, role names); marked here for extraction.
STATUS_WORDS = (N_("queued"), N_("running"), N_("succeeded"), N_("failed"))
ROLE_WORDS = (N_("officer"), N_("supervisor"), N_("interpreter"), N_("analyst"), N_("dpo"),
              N_("auditor"), N_("legal"), N_("dispatcher"),
              N_("admin"))
