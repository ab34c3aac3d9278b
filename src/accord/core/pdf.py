"""Fonts for Accord's PDFs (fpdf2): one CJK font for Chinese, fallbacks for other scripts.

Access reports, consular letters and case reports mix Chinese with Latin, Cyrillic, Arabic and
Thai text. fpdf2 embeds a subset of each font it uses; it reads TrueType collections (.ttc, e.g.
Debian's fonts-wqy-microhei) through fontTools, taking the first face. With ``uharfbuzz``
installed, text is shaped, so Arabic is joined and set right to left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.core.errors import AccordError
from accord.core.i18n import N_

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
#: Used for characters the CJK font lacks, when installed: DejaVu Sans (Latin, Cyrillic,
#: Arabic …; Debian fonts-dejavu-core) and a Thai font (Debian fonts-thai-tlwg-ttf).
FALLBACK_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                  "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
                  "/usr/share/fonts/truetype/tlwg/Loma.ttf")


class PdfUnavailable(AccordError):
    status = 503
    message = N_("The PDF version is not available on this server (no font with Chinese "
                 "characters is installed). Download the JSON version instead.")


def main_font(font_path: str = "") -> str:
    """The CJK font to embed: ``font_path`` if given, else the first installed candidate."""
    candidates = [font_path] if font_path else list(FONT_CANDIDATES)
    found = next((p for p in candidates if p and Path(p).exists()), "")
    if not found:
        raise PdfUnavailable()
    return found


def prepare_fonts(pdf: Any, font: str) -> None:
    """Register ``font`` as "main", the installed fallbacks, and text shaping on ``pdf``."""
    pdf.set_creator("Accord")
    pdf.add_font("main", "", font)
    fallbacks = []
    for number, path in enumerate(FALLBACK_FONTS):
        if Path(path).exists():
            pdf.add_font(f"fallback{number}", "", path)
            fallbacks.append(f"fallback{number}")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    try:  # right-to-left and joined scripts (Arabic) need shaping; optional dependency
        import uharfbuzz  # noqa: F401

        pdf.set_text_shaping(True)
    except ImportError:  # pragma: no cover - then Arabic shows as unjoined letters
        pass
