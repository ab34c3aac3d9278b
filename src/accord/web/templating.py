"""Jinja2 rendering with per-request language.

The gettext callables installed in the environment read the current language from a context
variable, which :func:`render` sets right before rendering in the same thread.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from accord import __version__
from accord.config import get_settings
from accord.core.i18n import LANGUAGES, gettext, ngettext, pgettext, set_language

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# The web kit's own templates come first; each capability package adds its folder
# (:func:`add_template_dirs`), keeping template names such as "cases/case.html" unchanged.
_loader = ChoiceLoader([FileSystemLoader(TEMPLATE_DIR)])
environment = Environment(
    loader=_loader,
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(gettext, ngettext, newstyle=True,  # type: ignore[attr-defined]
                                      pgettext=pgettext)
environment.globals.update(version=__version__, languages=LANGUAGES)


def station_zone(name: str | None = None) -> ZoneInfo:
    """The station's time zone (``ACCORD_STATION_TIMEZONE``); UTC if the name is unknown."""
    try:
        return ZoneInfo(name or get_settings().station_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def station_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M", *,
                 zone: str | None = None) -> str:
    """A stored UTC time as the station reads it, with the offset: ``2026-11-24 07:32 +08:00``.

    Times are stored in UTC; every page shows them in one zone, so the same moment never reads
    as two different times on two pages. A naive value is taken as UTC (as it is stored); an
    ISO 8601 string (as reports built from JSON carry) is read first.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(station_zone(zone))
    offset = local.strftime("%z")  # +0800
    return f"{local.strftime(fmt)} {offset[:3]}:{offset[3:]}"


def station_date(value: date | datetime | None) -> str:
    """The station's calendar date of a stored UTC time (a plain date stays as it is)."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(station_zone()).strftime("%Y-%m-%d")


environment.filters["station_time"] = station_time
environment.filters["station_date"] = station_date


def add_template_dirs(folders: list[Path]) -> None:
    """Search these folders after the kit's own (once each; app factories may run repeatedly)."""
    known = {tuple(loader.searchpath) for loader in _loader.loaders  # type: ignore[attr-defined]
             }
    for folder in folders:
        if (str(folder),) not in known:
            _loader.loaders.append(FileSystemLoader(folder))
            known.add((str(folder),))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    language = getattr(request.state, "language", None) or "zh_Hans"
    set_language(language)
    principal = getattr(request.state, "principal", None)
    values: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "user": principal.user if principal else None,
        "csrf_token": principal.csrf_token if principal else "",
        "language": language,
        "html_lang": "zh-Hans" if language == "zh_Hans" else "en",
        "request_id": getattr(request.state, "request_id", ""),
    }
    values.update(context or {})
    html = environment.get_template(name).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
