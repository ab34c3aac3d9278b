"""A notice as a printable A4 PDF: the Chinese text first, then the person's language.

The officer hands over (or a visitor prints) one sheet that both sides can read: the Chinese text
the officer works from and the same notice in the person's language, each section headed by the
language's own name; Arabic is set right to left (shaping comes from :func:`prepare_fonts`).

Issue #5 says only verified texts may be presented as a legal notice. A printed page travels
without the web page around it, so EVERY page's footer states the status of each text: "verified
by <translator> on <date>", or that it is a draft not verified by a certified translator and must
not be relied on as the legal text. The footer is written in Chinese and in the person's
language. Its wording comes from the gettext catalog, which only has Chinese and English; for
any other language the English wording is used and the footer says so, rather than printing a
warning nobody has translated.

Statuses come from the content library with the certified translators' verifications overlaid
(:func:`accord.interpret.library.get_library`), so a verification recorded in the UI changes the
next PDF. PDFs are cached per notice, language and exact texts and statuses: the route is public
and drawing a PDF costs a few hundred milliseconds of CPU.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from accord.core.errors import NotFound, ValidationFailed
from accord.core.i18n import N_, translations
from accord.core.pdf import main_font, prepare_fonts
from accord.interpret.library import LANGUAGES, Library, Notice, Text, get_library, pick_language

#: The catalog languages a footer line can be written in (gettext locale per content language).
CATALOG_LOCALES = {"zh": "zh_Hans", "en": "en"}

VERIFIED = N_("%(language)s text: verified by %(translators)s.")
VERIFIED_ONE = N_("%(translator)s on %(date)s")
DRAFT = N_(
    "%(language)s text: %(status)s — not verified by a certified translator; "
    "do not rely on it as the legal text."
)
PARTLY = N_(
    "%(language)s text: %(verified)d of %(total)d passages verified by %(translators)s; "
    "the rest is %(status)s — not verified by a certified translator; do not rely on it as "
    "the legal text."
)
STATUS_WORDS = {"maintainer-draft": N_("maintainer draft"), "machine-draft": N_("machine draft")}
NO_TRANSLATION = N_(
    "No %(language)s translation of this status note exists; it is shown in English."
)
PAGE = N_("Page %(page)s of %(pages)s")

_CACHE_SIZE = 128
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class UnknownNotice(NotFound):
    message = N_("No notice with the id %(notice_id)s.")


class UnsupportedNoticeLanguage(ValidationFailed):
    message = N_(
        "Notices are not available in the language %(language)s. Choose one of: %(supported)s."
    )


def notice_language(lang: str) -> str:
    """The content language code for ``lang`` ("ar", "AR", "zh-CN" …), or a clear error."""
    code = pick_language(lang) if lang and lang.strip() else None
    if code is None:
        raise UnsupportedNoticeLanguage(
            language=(lang or "").strip()[:16] or "—", supported=", ".join(LANGUAGES)
        )
    return code


def _catalog(locale: str, message: str, **params: Any) -> str:
    return translations(locale).gettext(message) % params


def _language_name(code: str, locale: str) -> str:
    language = LANGUAGES[code]
    return language.name_zh if locale == "zh_Hans" else language.name_en


def status_sentence(notice: Notice, code: str, locale: str) -> str:
    """One sentence stating the status of ``notice``'s texts in ``code``, in ``locale``."""
    texts = [text.get(code) for text in notice.texts()]
    name = _language_name(code, locale)
    verified = [t for t in texts if t.verified]
    pairs = sorted({(t.translator, t.date) for t in verified})
    who = ", ".join(_catalog(locale, VERIFIED_ONE, translator=n, date=d) for n, d in pairs)
    if len(verified) == len(texts):
        return _catalog(locale, VERIFIED, language=name, translators=who)
    drafts = sorted({t.status for t in texts if not t.verified})
    status = ", ".join(_catalog(locale, STATUS_WORDS.get(s, s)) for s in drafts)
    if verified:
        return _catalog(
            locale,
            PARTLY,
            language=name,
            verified=len(verified),
            total=len(texts),
            translators=who,
            status=status,
        )
    return _catalog(locale, DRAFT, language=name, status=status)


def footer_lines(notice: Notice, code: str) -> list[str]:
    """The status footer: the statuses of all texts, once in Chinese, once in the person's
    language (English, said so, where the catalog has no such language)."""
    shown = ["zh"] if code == "zh" else ["zh", code]
    other = code if code in CATALOG_LOCALES and code != "zh" else "en"
    lines = [" ".join(status_sentence(notice, c, "zh_Hans") for c in shown)]
    english = " ".join(status_sentence(notice, c, CATALOG_LOCALES[other]) for c in shown)
    if code not in CATALOG_LOCALES:
        english += " " + _catalog("en", NO_TRANSLATION, language=LANGUAGES[code].name_en)
    lines.append(english)
    return lines


def _key(notice: Notice, code: str) -> str:
    def entry(text: Text, lang: str) -> list[str]:
        value = text.get(lang)
        return [value.text, value.status, value.translator, value.date]

    langs = ["zh"] if code == "zh" else ["zh", code]
    payload = [notice.id, notice.version, code] + [
        entry(text, lang) for lang in langs for text in notice.texts()
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def notice_pdf(notice_id: str, lang: str, *, library: Library | None = None) -> bytes:
    """The notice ``notice_id`` as A4 PDF bytes: Chinese, then ``lang`` (Chinese only for zh)."""
    library = library or get_library()
    notice = library.notice(notice_id)
    if notice is None:
        raise UnknownNotice(notice_id=str(notice_id)[:64])
    code = notice_language(lang)
    key = _key(notice, code)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    data = _render(notice, code)
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def _render(notice: Notice, code: str) -> bytes:
    from fpdf import FPDF

    lines = footer_lines(notice, code)
    page_words = (translations("zh_Hans").gettext(PAGE), translations("en").gettext(PAGE))

    class Document(FPDF):  # type: ignore[misc]
        def footer(self) -> None:
            self.set_y(-36)
            self.set_draw_color(150, 150, 150)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)
            self.set_font("main", size=7.5)
            self.set_text_color(120, 0, 0)
            for line in lines:
                self.multi_cell(0, 3.6, line, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(60, 60, 60)
            numbers = {"page": self.page_no(), "pages": "{nb}"}
            pages = " · ".join(word % numbers for word in page_words)
            self.cell(0, 3.6, f"{notice.id} v{notice.version} · {pages}", align="R")
            self.set_text_color(0, 0, 0)

    pdf = Document(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=40)
    prepare_fonts(pdf, main_font())
    pdf.set_title(f"{notice.title.zh} / {notice.title(code)}")
    pdf.set_lang(LANGUAGES[code].bcp47)
    pdf.add_page()
    for index, lang in enumerate(["zh"] if code == "zh" else ["zh", code]):
        if index:
            pdf.ln(6)
        _section(pdf, notice, lang)
    return bytes(pdf.output())


def _section(pdf: Any, notice: Notice, lang: str) -> None:
    """One language's text, headed by the language's own name; right-aligned if RTL."""
    language = LANGUAGES[lang]
    align = "R" if language.rtl else "L"

    def block(
        text: str, size: float, height: float, colour: tuple[int, int, int] = (0, 0, 0)
    ) -> None:
        pdf.set_font("main", size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)

    block(language.native, 10, 6, (90, 90, 90))
    y = pdf.get_y()
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.ln(2)
    block(notice.title(lang), 15, 8)
    pdf.ln(1)
    block(notice.summary(lang), 11, 6)
    for paragraph in notice.paragraphs:
        pdf.ln(2)
        block(paragraph(lang), 10.5, 5.8)
