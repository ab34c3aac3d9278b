"""The analyst's forecasting pages: data import, backtests, the hotspot map, fairness, staffing.

Two routers, one access rule each:

* ``router`` — analysts and supervisors. Analysts run things (import, backtest); supervisors
  view (datasets, backtest results, recorded forecasts on the map, exports, fairness, staffing).
* ``gateway_router`` — ``POST /forecast/map/run`` for any signed-in user: the forecast runs
  through the governed gateway, whose policies decide who may run it (analysts only, for a
  registered purpose and legal basis). Refusals — an officer, a supervisor, a wrong purpose —
  are ledgered and answered with 403 and the policy reasons.

The map draws no external tiles: flagged cells and district outlines come as GeoJSON from here.
District outlines are the union of the grid cells assigned to each district by the majority of
its recorded events (empty cells take the nearest cell with events) — the same assignment the
exposure audit uses, not official boundaries.

Explanations of a cell are computed by the capability's runner together with the forecast and
recorded in the gateway decision's output (covered by its ledger entry); the explain endpoint
reads them and fits nothing. The exposure audit on the fairness page is a run of the same
capability (input ``audit=exposure``), refused while forecasting is refused.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from accord.core.contract import assessment_status
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound, PermissionDenied
from accord.core.gateway.models import Decision, Review
from accord.core.gateway.service import GatewayDenied, GatewayRequest, ReviewRejected
from accord.core.governance import Governance, get_governance
from accord.core.i18n import M_, N_, gettext, set_language, translate
from accord.core.jobs import Job, JobService
from accord.core.roles import Role
from accord.forecast.backtest import FREQS, METHODS, data_end
from accord.forecast.data import ForecastInputError, day_to_iso, iso_to_day
from accord.forecast.fairness import cell_districts
from accord.forecast.grid import Grid
from accord.forecast.jobs import KIND as BACKTEST_KIND
from accord.forecast.metrics import COVERAGES
from accord.forecast.service import BUILTIN, ForecastService
from accord.web import uploads
from accord.web.deps import Principal, get_database, require_roles
from accord.web.routes.governance import (
    PURPOSE_LABELS,
    caller_of,
    common_context,
    language_of,
    reason_text,
)
from accord.web.templating import render

CAPABILITY = "forecast.hotspots"
#: Upload cap for one CSV: 20 MB is a normal export of a few years of incidents. The import route
#: declares its own request-body limit (accord.web.uploads), this plus room for the form's other
#: fields (see :func:`upload_limit`), so an oversized file gets a 422 with this message, not a
#: bare 413.
MAX_UPLOAD_BYTES = 20_000_000
MULTIPART_HEADROOM = 16_384
IMPORT_BODY_BYTES = MAX_UPLOAD_BYTES + MULTIPART_HEADROOM
CSV_SUFFIXES = (".csv", ".txt")
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
             "application/octet-stream", "")
MAX_WINDOWS = 60
SLIDER_POSITIONS = 8
TOP_EXPLAINED = 100  # the most the capability explains per forecast
INTENSITY_CLASSES = 5

access = require_roles(Role.ANALYST, Role.SUPERVISOR)
router = APIRouter(prefix="/forecast", include_in_schema=False, dependencies=[Depends(access)])
# Within ``router``: actions that change something are for analysts (supervisors view).
analyst = require_roles(Role.ANALYST)

gateway_access = require_roles()
gateway_router = APIRouter(prefix="/forecast", include_in_schema=False,
                           dependencies=[Depends(gateway_access)])

#: Labels for the capability's purposes (merged over the shared ones).
FORECAST_PURPOSE_LABELS = {
    "patrol-planning": N_("Patrol planning"),
    "resource-planning": N_("Resource planning"),
}
FREQ_LABELS = {"day": N_("day"), "week": N_("week"), "month": N_("month")}
METHOD_LABELS = {
    "naive": N_("Naive baseline (last period's counts)"),
    "kde": N_("Kernel density (multi-scale, likelihood-fitted)"),
    "kde-categories": N_("Kernel density with learned category weights"),
    "prospective": N_("Prospective hotspotting (Bowers, Johnson & Pease)"),
    "sepp": N_("Self-exciting point process (Mohler)"),
    "learned": N_("Learned cell ranking (Poisson regression)"),
    "blend": N_("Multi-scale blend (long-term and recent counts)"),
    "hit-stack": N_("Multi-scale stack fitted for the hit rate"),
}
STATUS_LABELS = {"over-exposed": N_("over-exposed"), "under-served": N_("under-served"),
                 "in line": N_("in line")}
REVIEW_LABELS = {"pending": N_("pending"), "confirmed": N_("confirmed"),
                 "rejected": N_("rejected"), "edited": N_("edited"),
                 "not-required": N_("not required")}
SHIFT_LABELS = {"early 06-14": N_("early 06–14"), "late 14-22": N_("late 14–22"),
                "night 22-06": N_("night 22–06")}
#: The importer's bad-row reasons, for translation (the codes stay in English in the data).
BAD_ROW_LABELS = {
    "wrong number of fields": N_("wrong number of fields"),
    "missing time": N_("missing time"),
    "unparsable time": N_("unparsable time"),
    "missing coordinate": N_("missing coordinate"),
    "unparsable coordinate": N_("unparsable coordinate"),
    "coordinate out of range": N_("coordinate out of range"),
    "cannot be projected": N_("cannot be projected"),
}
FAR_AWAY = re.compile(r"^more than ([\d.]+) km from the other events$")
LEDGER_ROLES = frozenset({Role.AUDITOR, Role.DPO, Role.SUPERVISOR, Role.ADMIN})


class ForecastFormError(AccordError):
    """A problem with what the analyst entered or uploaded (422, translated message)."""

    status = 422


def _service() -> ForecastService:
    return ForecastService()


def _governance() -> Governance:
    return get_governance()


def upload_limit(max_body_bytes: int) -> int:
    return max(1, min(MAX_UPLOAD_BYTES, max_body_bytes - MULTIPART_HEADROOM))


# -- small caches (district outlines, dataset ranges, staffing) ---------------------------
class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_outlines = _Lru(8)
_ranges = _Lru(16)
_staffing = _Lru(2)


def _dataset_range(service: ForecastService, dataset: str) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        events = service.events(dataset)
        first, _ = events.time_range
        return {"first": day_to_iso(first), "end": day_to_iso(data_end(events)),
                "events": len(events), "day_resolution": events.day_resolution}

    return dict(_ranges.get((str(service.root), dataset), make))


# -- parsing form values -------------------------------------------------------------------------
def _number(value: str, field: str, low: float, high: float, *, integer: bool = False) -> float:
    text = (value or "").strip()
    try:
        number = int(text) if integer else float(text)
    except ValueError:
        raise ForecastFormError(N_("%(field)s: enter a number between %(low)s and %(high)s."),
                                field=field, low=f"{low:g}", high=f"{high:g}") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ForecastFormError(N_("%(field)s: enter a number between %(low)s and %(high)s."),
                                field=field, low=f"{low:g}", high=f"{high:g}")
    return number


def _iso_date(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ForecastFormError(N_("%(field)s: enter a date as YYYY-MM-DD."),
                                field=field) from None


def _dataset_id(service: ForecastService, value: str) -> str:
    dataset = (value or "").strip()
    known = {d["id"] for d in service.datasets()}
    if dataset not in known:
        raise ForecastFormError(N_("Unknown dataset %(dataset)s: import it first."),
                                dataset=dataset or "—")
    return dataset


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices:
        raise ForecastFormError(N_("%(field)s: choose one of %(choices)s."), field=field,
                                choices=", ".join(choices))
    return value


def _speak(request: Request) -> None:
    """Translate in the user's language from here on (``render`` does it again itself)."""
    set_language(language_of(request))


def _message(error: AccordError) -> str:
    return translate(error.message, error.params)


# -- page context --------------------------------------------------------------------------------
def _context(request: Request, principal: Principal) -> dict[str, Any]:
    roles = principal.user.roles
    labels = {**PURPOSE_LABELS, **FORECAST_PURPOSE_LABELS}
    return {
        **common_context(request),
        "purpose_labels": labels,
        "can_run": Role.ANALYST in roles,
        "can_see_ledger": bool(roles & LEDGER_ROLES),
        "is_supervisor": Role.SUPERVISOR in roles,
        "methods": list(METHODS), "method_labels": METHOD_LABELS,
        "freqs": FREQS, "freq_labels": FREQ_LABELS, "coverages": COVERAGES,
        "review_labels": REVIEW_LABELS,
    }


def _recent_forecasts(database: Database, limit: int = 10) -> list[dict[str, Any]]:
    with database.session() as session:
        rows = session.scalars(
            select(Decision).where(Decision.capability_id == CAPABILITY,
                                   Decision.status == "completed")
            .order_by(Decision.created_at.desc()).limit(limit))
        out = []
        for record in rows:
            output = record.output or {}
            out.append({"id": record.id, "ledger_seq": record.ledger_seq,
                        "created_at": record.created_at, "review_status": record.review_status,
                        "dataset": (record.inputs or {}).get("dataset", ""),
                        "method": output.get("method", ""),
                        "window": output.get("window", {}),
                        "flagged_cells": output.get("flagged_cells"),
                        "erased": record.output is None})
        return out


def _recent_backtests(database: Database, principal: Principal) -> list[Job]:
    service = JobService(database)
    created_by = None if Role.SUPERVISOR in principal.user.roles else principal.user.id
    return [job for job in service.recent(created_by=created_by, limit=50)
            if job.kind == BACKTEST_KIND][:10]


def _index_page(request: Request, principal: Principal, database: Database,
                service: ForecastService, *, imported: dict[str, Any] | None = None,
                error: AccordError | None = None, form: dict[str, Any] | None = None,
                backtest_error: AccordError | None = None,
                backtest_form: dict[str, Any] | None = None, status: int = 200) -> Response:
    datasets = service.datasets()
    for item in datasets:
        if item.get("builtin"):
            info = _dataset_range(service, item["id"])
            item.update(rows_kept=info["events"], first=info["first"],
                        last=day_to_iso(iso_to_day(info["end"]) - 1))
    return render(request, "forecast/index.html", {
        **_context(request, principal),
        "datasets": datasets, "imported": imported, "error": error,
        "form": form or {"mode": "lonlat", "crs": "EPSG:4326"},
        "backtest_error": backtest_error,
        "backtest_form": backtest_form or {"dataset": BUILTIN, "methods": list(METHODS),
                                           "freq": "week", "start": "", "windows": "4",
                                           "cell": "150"},
        "backtests": _recent_backtests(database, principal),
        "forecasts": _recent_forecasts(database, limit=5),
        "max_upload_mb": upload_limit(IMPORT_BODY_BYTES) / 1e6,
    }, status_code=status)


# -- datasets and import -------------------------------------------------------------------------
@router.get("")
def index(request: Request, principal: Principal = Depends(access),
          database: Database = Depends(get_database),
          service: ForecastService = Depends(_service)) -> Response:
    return _index_page(request, principal, database, service)


def _safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "upload.csv"
    return name[:80]


async def _read_upload(file: UploadFile | None, limit: int) -> tuple[str, bytes]:
    if file is None or not (file.filename or "").strip():
        raise ForecastFormError(N_("Choose a CSV file to upload."))
    name = _safe_name(file.filename or "")
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ForecastFormError(N_("The file is too large: at most %(limit)s MB can be imported "
                                   "here."), limit=f"{limit / 1e6:.1f}")
    if not content.strip():
        raise ForecastFormError(N_("The file is empty."))
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    looks_binary = b"\x00" in content[:65536]
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        looks_binary = True
    if looks_binary or (not name.lower().endswith(CSV_SUFFIXES)
                        and content_type not in CSV_TYPES):
        raise ForecastFormError(N_("%(name)s is not a CSV file: upload comma-separated text "
                                   "(UTF-8) with a header row."), name=name)
    return name, content


@router.post("/import", openapi_extra=uploads.accepts_files(IMPORT_BODY_BYTES))
async def import_dataset(request: Request, file: UploadFile | None = File(None),
                         mode: str = Form("lonlat"), time: str = Form(""), lon: str = Form(""),
                         lat: str = Form(""), x: str = Form(""), y: str = Form(""),
                         crs: str = Form(""), type_col: str = Form(""),
                         district_col: str = Form(""), time_format: str = Form(""),
                         principal: Principal = Depends(analyst),
                         database: Database = Depends(get_database),
                         service: ForecastService = Depends(_service)) -> Response:
    form = {"mode": mode, "time": time, "lon": lon, "lat": lat, "x": x, "y": y, "crs": crs,
            "type_col": type_col, "district_col": district_col, "time_format": time_format}
    try:
        if not time.strip():
            raise ForecastFormError(N_("Name the column that holds the time of each event."))
        if mode == "xy":
            if not (x.strip() and y.strip() and crs.strip()):
                raise ForecastFormError(N_("Projected coordinates need the x and y columns and "
                                           "their EPSG code (for example EPSG:2227)."))
            coords: dict[str, str | None] = {"x": x.strip(), "y": y.strip(),
                                              "crs": _epsg(crs)}
        else:
            if not (lon.strip() and lat.strip()):
                raise ForecastFormError(N_("Name the longitude and latitude columns."))
            coords = {"lon": lon.strip(), "lat": lat.strip()}
        name, content = await _read_upload(file, upload_limit(IMPORT_BODY_BYTES))
        with tempfile.TemporaryDirectory(prefix="accord-import-") as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            summary = service.import_csv(
                path, time=time.strip(), type_col=type_col.strip() or None,
                district_col=district_col.strip() or None,
                time_format=time_format.strip() or None, **coords)
    except AccordError as error:
        return _index_page(request, principal, database, service, error=error, form=form,
                           status=error.status)
    summary["file"] = name
    summary["bad_reasons"] = [_bad_reason(reason, count, summary)
                              for reason, count in summary["bad_rows"].items()]
    if summary["dataset_id"] is None:
        failure = ForecastFormError(N_("No usable row in %(name)s: nothing was stored. The "
                                       "counts below say why."), name=name)
        return _index_page(request, principal, database, service, imported=summary,
                           error=failure, form=form, status=422)
    return _index_page(request, principal, database, service, imported=summary, form=form)


def _bad_reason(reason: str, count: int, summary: dict[str, Any]) -> dict[str, Any]:
    """A bad-row reason as a translatable message (msgid and parameters)."""
    far = FAR_AWAY.match(reason)
    if far:
        msgid, params = N_("more than %(km)s km from the other events"), {"km": far.group(1)}
    else:
        msgid, params = BAD_ROW_LABELS.get(reason, reason), {}
    return {"reason": reason, "msgid": msgid, "params": params, "count": count,
            "lines": summary["bad_examples_line_numbers"].get(reason, [])}


def _epsg(value: str) -> str:
    text = value.strip().upper()
    if re.fullmatch(r"\d{4,6}", text):
        text = f"EPSG:{text}"
    if not re.fullmatch(r"EPSG:\d{4,6}", text):
        raise ForecastFormError(N_("Give the coordinate system as an EPSG code, for example "
                                   "EPSG:2227."))
    return text


# -- backtests -----------------------------------------------------------------------------------
@router.post("/backtest")
def submit_backtest(request: Request, dataset: str = Form(""), methods: list[str] = Form([]),
                    freq: str = Form("week"), start: str = Form(""), windows: str = Form("4"),
                    cell: str = Form("150"), principal: Principal = Depends(analyst),
                    database: Database = Depends(get_database),
                    service: ForecastService = Depends(_service)) -> Response:
    form = {"dataset": dataset, "methods": methods, "freq": freq, "start": start,
            "windows": windows, "cell": cell}
    _speak(request)
    try:
        chosen = [m for m in methods if m in METHODS]
        if not chosen or len(chosen) != len(methods):
            raise ForecastFormError(N_("Choose at least one of the methods offered."))
        params = {
            "dataset": _dataset_id(service, dataset),
            "methods": chosen,
            "freq": _choice(freq, FREQS, gettext("Window")),
            "start": _iso_date(start, gettext("First window")) or None,
            "windows": int(_number(windows, gettext("Windows"), 1, MAX_WINDOWS, integer=True)),
            "cell": _number(cell, gettext("Cell size (m)"), 50, 1000),
        }
    except AccordError as error:
        return _index_page(request, principal, database, service, backtest_error=error,
                           backtest_form=form, status=error.status)
    job = JobService(database).submit(BACKTEST_KIND, params, created_by=principal.user.id)
    return RedirectResponse(f"/forecast/backtest/{job.id}", status_code=303)


def _backtest_job(database: Database, principal: Principal, job_id: str) -> Job:
    job = JobService(database).get(job_id)
    if job.kind != BACKTEST_KIND:
        raise NotFound()
    if job.created_by != principal.user.id and Role.SUPERVISOR not in principal.user.roles:
        raise PermissionDenied()
    return job


def _ci(stat: dict[str, float] | None, scale: float = 1.0) -> dict[str, float] | None:
    if not stat:
        return None
    return {k: stat[k] * scale for k in ("mean", "low", "high")}


def backtest_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per method and coverage: hit rate (%), PAI and PEI with their intervals, the
    naive baseline's from the same run, and the paired PAI difference from naive."""
    rows = []
    for name, method in result.get("methods", {}).items():
        for cov in result["protocol"]["coverages"]:
            s = method["summary"][f"{cov:g}%"]
            rows.append({
                "method": name, "coverage": cov,
                "hit_rate": _ci(s["hit_rate"], 100),
                "naive_hit_rate": _ci(s["naive_hit_rate"], 100),
                "pai": _ci(s["pai"]), "naive_pai": _ci(s["naive_pai"]),
                "pei": _ci(s["pei"]), "naive_pei": _ci(s["naive_pei"]),
                "vs_naive": _ci(s.get("vs_naive")),
            })
    return rows


PALETTE = ("#5b6573", "#2f6fb3", "#c2571a", "#1f6f43", "#7b3fa0", "#a3262a")


def pai_chart(result: dict[str, Any], coverage: float = 5.0, width: int = 760,
              height: int = 280) -> dict[str, Any]:
    """Coordinates for a hand-drawn SVG line chart of PAI per window, one line per method."""
    key = f"{coverage:g}%"
    windows = [w[0] for w in result["protocol"]["windows"]]
    series = {name: [float(row["coverage"][key]["pai"]) for row in m["windows"]]
              for name, m in result.get("methods", {}).items()}
    left, right, top, bottom = 48, 44, 14, 40
    values = [v for vs in series.values() for v in vs] or [0.0]
    high = max(values) * 1.1 or 1.0
    step = _nice_step(high)
    high = math.ceil(high / step) * step
    n = len(windows)

    def px(i: int) -> float:
        return left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5)

    def py(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / high)

    lines = []
    for index, (name, values_) in enumerate(series.items()):
        points = [(round(px(i), 1), round(py(v), 1)) for i, v in enumerate(values_)]
        lines.append({"method": name, "colour": PALETTE[index % len(PALETTE)],
                      "points": points, "path": " ".join(f"{x},{y}" for x, y in points),
                      "values": values_})
    ticks = [{"value": t, "y": round(py(t), 1)}
             for t in np.arange(0, high + step / 2, step).tolist()]
    labels = [{"text": w, "x": round(px(i), 1)} for i, w in enumerate(windows)]
    every = max(1, math.ceil(n / 8))
    return {"width": width, "height": height, "left": left, "right": width - right,
            "top": top, "bottom": height - bottom, "lines": lines, "ticks": ticks,
            "labels": labels[::every], "coverage": coverage, "dates": windows}


def _nice_step(high: float) -> float:
    raw = high / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def _backtest_context(job: Job) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job, "rows": [], "chart": None, "protocol": None}
    if job.status == "succeeded" and job.result:
        context.update(rows=backtest_rows(job.result), chart=pai_chart(job.result),
                       protocol=job.result["protocol"],
                       method_results=job.result["methods"],
                       best=job.result.get("best_method"))
    return context


@router.get("/backtest/{job_id}")
def backtest_page(request: Request, job_id: str, principal: Principal = Depends(access),
                  database: Database = Depends(get_database)) -> Response:
    job = _backtest_job(database, principal, job_id)
    return render(request, "forecast/backtest.html",
                  {**_context(request, principal), **_backtest_context(job)})


@router.get("/backtest/{job_id}/status")
def backtest_status(request: Request, job_id: str, principal: Principal = Depends(access),
                    database: Database = Depends(get_database)) -> Response:
    """The progress fragment htmx polls until the job is done (then it shows the results)."""
    job = _backtest_job(database, principal, job_id)
    return render(request, "forecast/_backtest_status.html",
                  {**_context(request, principal), **_backtest_context(job)})


BACKTEST_CSV_COLUMNS = ("method", "coverage_percent", "window", "hit_rate", "hit_rate_low95",
                        "hit_rate_high95", "pai", "pai_low95", "pai_high95", "pei", "pei_low95",
                        "pei_high95", "pai_minus_naive", "pai_minus_naive_low95",
                        "pai_minus_naive_high95")


@router.get("/backtest/{job_id}/results.csv")
def backtest_csv(job_id: str, principal: Principal = Depends(access),
                 database: Database = Depends(get_database)) -> Response:
    """Per method and coverage: the mean over windows with its 95 % interval (window "mean"),
    then each window's figures."""
    job = _backtest_job(database, principal, job_id)
    if job.status != "succeeded" or not job.result:
        raise NotFound()
    result = job.result
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BACKTEST_CSV_COLUMNS)
    for name, method in result["methods"].items():
        for cov in result["protocol"]["coverages"]:
            key = f"{cov:g}%"
            s = method["summary"][key]
            d = s.get("vs_naive") or {}
            writer.writerow([name, f"{cov:g}", "mean",
                             *_triple(s["hit_rate"]), *_triple(s["pai"]), *_triple(s["pei"]),
                             *(_triple(d) if d else ("", "", ""))])
            for row in method["windows"]:
                c = row["coverage"][key]
                writer.writerow([name, f"{cov:g}", row["start"], _fmt(c["hit_rate"]), "", "",
                                 _fmt(c["pai"]), "", "", _fmt(c["pei"]), "", "", "", "", ""])
    filename = f"backtest-{job.id}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{float(value):.6g}"


def _triple(stat: dict[str, float]) -> tuple[str, str, str]:
    return (_fmt(stat["mean"]), _fmt(stat["low"]), _fmt(stat["high"]))


# -- the map: GeoJSON helpers --------------------------------------------------------------------
def _grid_of(output: dict[str, Any]) -> Grid:
    g = output["grid"]
    return Grid(float(g["origin"][0]), float(g["origin"][1]), float(g["cell_size_m"]),
                int(g["nx"]), int(g["ny"]), str(g["crs"]))


def _to_lonlat(crs: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    if not crs.startswith("EPSG:"):
        raise ForecastInputError(M_("this dataset has no map projection (EPSG code)"))
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _cell_polygons(grid: Grid, cell_ids: list[str]) -> tuple[list[list[list[float]]],
                                                             np.ndarray, np.ndarray]:
    """Each cell's outline (closed ring, lon/lat) and centre."""
    index = np.array([grid.parse_cell_id(c) for c in cell_ids], dtype=np.int64)
    ix, iy = index % grid.nx, index // grid.nx
    x0 = grid.x0 + ix * grid.cell
    y0 = grid.y0 + iy * grid.cell
    x1, y1 = x0 + grid.cell, y0 + grid.cell
    xs = np.concatenate([x0, x1, x1, x0, x0 + grid.cell / 2])
    ys = np.concatenate([y0, y0, y1, y1, y0 + grid.cell / 2])
    lon, lat = _to_lonlat(grid.crs, xs, ys)
    n = len(index)
    lon, lat = lon.reshape(5, n), lat.reshape(5, n)
    rings = []
    for k in range(n):
        ring = [[round(float(lon[j, k]), 6), round(float(lat[j, k]), 6)] for j in (0, 1, 2, 3)]
        rings.append([*ring, ring[0]])
    return rings, lon[4], lat[4]


def _intensity_breaks(values: list[float]) -> list[float]:
    """Upper bounds of the intensity classes: quantiles of the explained cells' forecasts."""
    if not values:
        return []
    qs = np.quantile(np.asarray(values), np.linspace(0, 1, INTENSITY_CLASSES + 1)[1:])
    return [round(float(q), 3) for q in qs]


def _class_of(value: float | None, breaks: list[float]) -> int:
    if value is None or not breaks:
        return 0
    for index, upper in enumerate(breaks, start=1):
        if value <= upper + 1e-12:
            return index
    return len(breaks)


def _review_info(session: Any, record: Decision) -> tuple[str, dict[str, Any] | None]:
    review = session.scalar(select(Review).where(Review.decision_id == record.id))
    edited = dict(review.edited_output) if review is not None and review.edited_output else None
    return record.review_status, edited


def forecast_geojson(output: dict[str, Any], *, decision_id: str, ledger_seq: int | None,
                     review_status: str, review_role: str, dataset: str,
                     explanation: str = "") -> dict[str, Any]:
    """The flagged cells of a recorded forecast as a GeoJSON FeatureCollection (lon/lat), with
    the decision, its ledger entry and its review state as foreign members."""
    grid = _grid_of(output)
    cell_ids = list(output.get("flagged_cell_ids", []))
    known = {c["cell"]: c for c in output.get("top_cells", [])}
    values = [float(c["expected_events"]) for c in known.values()]
    breaks = _intensity_breaks(values)
    features = []
    bbox: list[float] = []
    if cell_ids:
        rings, clon, clat = _cell_polygons(grid, cell_ids)
        for rank, (cell_id, ring) in enumerate(zip(cell_ids, rings, strict=True), start=1):
            top = known.get(cell_id)
            expected = top["expected_events"] if top else None
            features.append({
                "type": "Feature", "id": cell_id,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "cell": cell_id, "rank": rank, "expected_events": expected,
                    "intensity_class": _class_of(expected, breaks),
                    "centre": [round(float(clon[rank - 1]), 6), round(float(clat[rank - 1]), 6)],
                },
            })
        lons = [p[0] for r in rings for p in r]
        lats = [p[1] for r in rings for p in r]
        bbox = [min(lons), min(lats), max(lons), max(lats)]
    return {
        "type": "FeatureCollection",
        "bbox": bbox or None,
        "features": features,
        "decision": {"id": decision_id, "ledger_seq": ledger_seq,
                     "review_required": review_status != "not-required",
                     "review_status": review_status, "review_role": review_role,
                     "explanation": explanation},
        "dataset": dataset,
        "method": output.get("method"),
        "window": output.get("window"),
        "coverage_percent": output.get("coverage_percent"),
        "flagged_cells": output.get("flagged_cells", len(cell_ids)),
        "explained_cells": len(known),
        "expected_events_total": output.get("expected_events_total"),
        "expected_share_in_flagged": output.get("expected_share_in_flagged"),
        "grid": output.get("grid"),
        "intensity_breaks": breaks,
        "intensity_min": round(min(values), 3) if values else None,
    }


def _load_decision(database: Database, decision_id: str) -> dict[str, Any]:
    """A recorded forecast (the reviewed version when a reviewer edited it)."""
    if not re.fullmatch(r"[0-9a-f]{1,32}", decision_id):
        raise NotFound()
    with database.session() as session:
        record = session.get(Decision, decision_id)
        if (record is None or record.capability_id != CAPABILITY
                or record.status != "completed" or record.output is None):
            raise NotFound()
        status, edited = _review_info(session, record)
        return {"id": record.id, "ledger_seq": record.ledger_seq, "review_status": status,
                "output": edited or dict(record.output), "inputs": dict(record.inputs or {}),
                "explanation": record.explanation}


def _exportable(database: Database, decision_id: str) -> dict[str, Any]:
    """A recorded forecast that may leave Accord: not one a reviewer rejected. A pending one is
    exported marked as pending (``review_status`` in every row/feature collection)."""
    decision = _load_decision(database, decision_id)
    if decision["review_status"] == "rejected":
        raise ReviewRejected()
    return decision


def _decision_geojson(governance: Governance, decision: dict[str, Any]) -> dict[str, Any]:
    capability = governance.registry.get(CAPABILITY)
    return forecast_geojson(decision["output"], decision_id=decision["id"],
                            ledger_seq=decision["ledger_seq"],
                            review_status=decision["review_status"],
                            review_role=capability.review_role,
                            dataset=str(decision["inputs"].get("dataset", "")),
                            explanation=decision["explanation"])


GEOJSON = "application/geo+json"


# -- the map page --------------------------------------------------------------------------------
def _map_page(request: Request, principal: Principal, database: Database,
              service: ForecastService, governance: Governance, *,
              form: dict[str, Any] | None = None, initial: dict[str, Any] | None = None,
              denial: dict[str, Any] | None = None, error: AccordError | None = None,
              status: int = 200) -> Response:
    capability = governance.registry.get(CAPABILITY)
    _speak(request)
    datasets = service.datasets()
    ranges = {}
    for item in datasets:
        try:
            ranges[item["id"]] = _dataset_range(service, item["id"])
        except AccordError:
            continue
    default_purpose = principal.user.default_purpose
    form = form or {
        "dataset": BUILTIN, "method": "kde", "window": "week",
        "date": ranges.get(BUILTIN, {}).get("end", ""), "coverage": "5", "cell_size": "150",
        "purpose": default_purpose if default_purpose in capability.purposes else "",
        "legal_basis": "",
    }
    suspended, why = governance.gateway.suspension(CAPABILITY)
    gate_ok, gate_reason = _assessment_gate()
    strings: dict[str, Any] = {key: gettext(text) for key, text in MAP_STRINGS.items()}
    strings["review_labels"] = {key: gettext(text) for key, text in REVIEW_LABELS.items()}
    strings["roles"] = {role.value: gettext(role.value) for role in Role}
    return render(request, "forecast/map.html", {
        **_context(request, principal),
        "capability": capability, "purposes": sorted(capability.purposes),
        "legal_bases": sorted(capability.legal_bases), "datasets": datasets,
        "ranges": ranges, "form": form, "initial": initial, "denial": denial, "error": error,
        "suspended": suspended, "suspend_reason": why, "strings": strings,
        "gate_ok": gate_ok, "gate_reason": gate_reason,
        "slider_positions": SLIDER_POSITIONS,
        "forecasts": _recent_forecasts(database),
    }, status_code=status)


def _assessment_gate() -> tuple[bool, str]:
    """Whether the DPO has approved the capability's impact assessments (the gateway refuses
    a high-risk capability until then)."""
    return assessment_status(CAPABILITY)


#: Strings the map script shows, translated on the server and handed over as JSON.
MAP_STRINGS = {
    "running": N_("Running the forecast through the gateway…"),
    "loading": N_("Loading…"),
    "failed": N_("The request failed: %(detail)s"),
    "refused": N_("Refused by policy"),
    "ledger_entry": N_("Ledger entry"),
    "decision": N_("Decision"),
    "review_pending": N_("Awaiting review by a %(role)s: do not plan patrols on this forecast "
                         "until it has been reviewed."),
    "review_status": N_("Review"),
    "window": N_("Window"),
    "flagged": N_("%(cells)s flagged cells (%(coverage)s%% of the area) expected to hold "
                  "%(share)s%% of the %(total)s events forecast."),
    "expected_events": N_("Expected events"),
    "rank": N_("Rank"),
    "cell": N_("Cell"),
    "not_explained": N_("below the %(count)s hottest cells"),
    "explain_title": N_("Why cell %(cell)s is flagged"),
    "explain_summary": N_("%(expected)s expected events, built from %(events)s past events "
                          "between %(first)s and %(last)s: %(own)s%% from events recorded in "
                          "this cell, %(recent)s%% from the last 8 weeks."),
    "explain_contributors": N_("Past events that contribute most"),
    "day": N_("Date"),
    "share": N_("Share of the cell's forecast"),
    "contributor_cell": N_("Recorded in cell"),
    "explain_recomputed": N_("Computed with the forecast and recorded with ledger entry "
                             "%(seq)s."),
    "no_contributors": N_("No single past event contributes to this cell."),
    "slider_label": N_("Window starting %(date)s"),
    "legend_title": N_("Expected events per cell"),
    "legend_unexplained": N_("flagged, not among the explained cells"),
    "district_outline": N_("District outline (from the data)"),
    "contributors_legend": N_("Cells of contributing events"),
    "explain_button": N_("Explain"),
    "export": N_("Export"),
    "forecast": N_("Forecast"),
}


@router.get("/map")
def map_page(request: Request, decision: str = "", principal: Principal = Depends(access),
             database: Database = Depends(get_database),
             service: ForecastService = Depends(_service),
             governance: Governance = Depends(_governance)) -> Response:
    initial = _decision_geojson(governance, _load_decision(database, decision)) if decision \
        else None
    return _map_page(request, principal, database, service, governance, initial=initial)


def _wants_geojson(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def _denial(error: GatewayDenied, language: str) -> dict[str, Any]:
    return {"summary": error.reasons_in(language),
            "reasons": [{"policy_id": r.policy_id, "reason": reason_text(r, language)}
                        for r in error.reasons],
            "ledger_seq": error.ledger_seq}


@gateway_router.post("/map/run")
def run_forecast(request: Request, dataset: str = Form(""), method: str = Form("kde"),
                 window: str = Form("week"), date_: str = Form("", alias="date"),
                 coverage: str = Form("5"), cell_size: str = Form("150"),
                 purpose: str = Form(""), legal_basis: str = Form(""),
                 principal: Principal = Depends(gateway_access),
                 database: Database = Depends(get_database),
                 governance: Governance = Depends(_governance)) -> Response:
    """Run ``forecast.hotspots`` through the gateway (ledgered, sent to supervisor review).

    Answers GeoJSON to a script asking for JSON, else the map page. A policy refusal is a 403
    with the reasons, in the user's language; the refusal is in the ledger too."""
    form = {"dataset": dataset, "method": method, "window": window, "date": date_,
            "coverage": coverage, "cell_size": cell_size, "purpose": purpose,
            "legal_basis": legal_basis}
    as_json = _wants_geojson(request)
    _speak(request)
    language = language_of(request)
    try:
        inputs = {
            "dataset": dataset.strip(),
            "method": _choice(method, tuple(METHODS), gettext("Method")),
            "window": _choice(window, FREQS, gettext("Window")),
            "date": _iso_date(date_, gettext("Date")),
            "coverage": _number(coverage, gettext("Coverage (percent of area)"), 0.5, 20),
            "cell_size": _number(cell_size, gettext("Cell size (m)"), 50, 1000),
            "top": TOP_EXPLAINED,
        }
        result = governance.gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id=CAPABILITY, purpose=purpose, legal_basis=legal_basis,
            inputs=inputs))
    except GatewayDenied as denied:
        denial = _denial(denied, language)
        if as_json:
            return JSONResponse({"detail": denial["summary"], "reasons": denial["reasons"],
                                 "ledger_seq": denial["ledger_seq"]}, status_code=403)
        return _page_for(request, principal, database, governance, form=form, denial=denial,
                         status=403)
    except AccordError as error:
        if as_json:
            return JSONResponse({"detail": _message(error)}, status_code=error.status)
        return _page_for(request, principal, database, governance, form=form, error=error,
                         status=error.status)
    geojson = forecast_geojson(result.output, decision_id=result.decision_id,
                               ledger_seq=result.ledger_seq,
                               review_status="pending" if result.review_required
                               else "not-required",
                               review_role=result.review_role, dataset=inputs["dataset"],
                               explanation=result.explanation)
    if as_json:
        return JSONResponse(geojson, media_type=GEOJSON)
    return _page_for(request, principal, database, governance, form=form, initial=geojson)


def _page_for(request: Request, principal: Principal, database: Database,
              governance: Governance, **kwargs: Any) -> Response:
    # The map page is for analysts and supervisors; anyone else who posts here (the gateway
    # decides, and refuses them) gets the refusal on the error page instead.
    if not principal.user.roles & {Role.ANALYST, Role.SUPERVISOR}:
        denial = kwargs.get("denial")
        if denial is not None:
            return render(request, "forecast/refused.html", {"denial": denial},
                          status_code=kwargs.get("status", 403))
        raise PermissionDenied()
    return _map_page(request, principal, database, _service(), governance, **kwargs)


@router.get("/decisions/{decision_id}/cells.geojson")
def decision_geojson(decision_id: str, database: Database = Depends(get_database),
                     governance: Governance = Depends(_governance)) -> Response:
    decision = _exportable(database, decision_id)
    body = _decision_geojson(governance, decision)
    return JSONResponse(body, media_type=GEOJSON, headers={
        "Content-Disposition": f'attachment; filename="forecast-{decision_id}.geojson"',
        "Cache-Control": "no-store"})


CELL_CSV_COLUMNS = ("rank", "cell", "centre_lon", "centre_lat", "expected_events",
                    "window_start", "window_end", "method", "coverage_percent", "dataset",
                    "decision", "ledger_seq", "review_status")


@router.get("/decisions/{decision_id}/cells.csv")
def decision_csv(decision_id: str, database: Database = Depends(get_database),
                 governance: Governance = Depends(_governance)) -> Response:
    decision = _exportable(database, decision_id)
    body = _decision_geojson(governance, decision)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CELL_CSV_COLUMNS)
    window = body["window"] or {}
    for feature in body["features"]:
        p = feature["properties"]
        writer.writerow([p["rank"], p["cell"], p["centre"][0], p["centre"][1],
                         "" if p["expected_events"] is None else p["expected_events"],
                         window.get("start", ""), window.get("end", ""), body["method"],
                         body["coverage_percent"], body["dataset"], decision_id,
                         decision["ledger_seq"], decision["review_status"]])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="forecast-{decision_id}.csv"',
        "Cache-Control": "no-store"})


@router.get("/decisions/{decision_id}/explain")
def explain_cell(decision_id: str, cell: str = "", top: int = 10,
                 database: Database = Depends(get_database)) -> Response:
    """Which past events make a flagged cell hot, with their weights (shares of the cell's
    forecast), as the capability's runner computed them with the forecast: recorded in the
    decision's output and covered by its ledger entry. Nothing is refitted here, so nothing
    runs outside the gateway (the hottest ``TOP_EXPLAINED`` cells are explained)."""
    decision = _load_decision(database, decision_id)
    output = decision["output"]
    if cell not in output.get("flagged_cell_ids", []):
        raise ForecastInputError(M_("cell %(cell)r is not flagged in this forecast", cell=cell))
    explained = {c["cell"]: c for c in output.get("top_cells", [])}
    if cell not in explained:
        raise ForecastInputError(M_("cell %(cell)r is below the %(count)s hottest cells this "
                                    "forecast explains", cell=cell, count=len(explained)))
    top = max(1, min(int(top), 50))
    recorded = explained[cell]
    contributors = [dict(c) for c in recorded.get("top_contributors", [])[:top]]
    if contributors:
        grid = _grid_of(output)
        _, clon, clat = _cell_polygons(grid, [c["cell"] for c in contributors])
        for c, a, b in zip(contributors, clon, clat, strict=True):
            c["centre"] = [round(float(a), 6), round(float(b), 6)]
    return JSONResponse({
        "decision": decision_id, "ledger_seq": decision["ledger_seq"], "cell": cell,
        "rank": output["flagged_cell_ids"].index(cell) + 1,
        "expected_events": recorded["expected_events"],
        "why": recorded.get("why", {}),
        "contributors": contributors,
        "recorded": True,
        "window": output["window"], "method": output["method"],
    })


# -- district outlines ---------------------------------------------------------------------------
def district_outlines(service: ForecastService, dataset: str, cell: float) -> dict[str, Any]:
    """Cell-union outlines per district: boundary edges of the cells assigned to each district
    (majority of its events; empty cells by the nearest cell with events), merged into runs."""
    events = service.events(dataset)
    grid = Grid.covering(events, cell)
    try:
        labels, _ = cell_districts(grid, events)
    except ForecastInputError:
        return {"type": "FeatureCollection", "features": [], "method": "none",
                "note": "no district column"}
    board = labels.reshape(grid.ny, grid.nx)
    features = []
    for district in sorted(set(labels.tolist())):
        mask = np.pad(board == district, 1, constant_values=False)
        segments: list[tuple[float, float, float, float]] = []
        # Horizontal edges on grid line k (between rows k-1 and k).
        horizontal = mask[:-1, 1:-1] != mask[1:, 1:-1]  # (ny+1, nx)
        for k, row in enumerate(horizontal):
            for a, b in _runs(row):
                segments.append((a, k, b, k))
        vertical = mask[1:-1, :-1] != mask[1:-1, 1:]  # (ny, nx+1)
        for k, column in enumerate(vertical.T):
            for a, b in _runs(column):
                segments.append((k, a, k, b))
        if not segments:
            continue
        seg = np.asarray(segments, dtype=float)
        xs = grid.x0 + np.concatenate([seg[:, 0], seg[:, 2]]) * grid.cell
        ys = grid.y0 + np.concatenate([seg[:, 1], seg[:, 3]]) * grid.cell
        lon, lat = _to_lonlat(grid.crs, xs, ys)
        n = len(seg)
        lines = [[[round(float(lon[i]), 6), round(float(lat[i]), 6)],
                  [round(float(lon[n + i]), 6), round(float(lat[n + i]), 6)]] for i in range(n)]
        cells = np.flatnonzero(labels == district)
        cx, cy = grid.centres()
        llon, llat = _to_lonlat(grid.crs, np.array([float(np.median(cx[cells]))]),
                                np.array([float(np.median(cy[cells]))]))
        features.append({"type": "Feature", "id": district,
                         "geometry": {"type": "MultiLineString", "coordinates": lines},
                         "properties": {"district": district, "cells": int(cells.size),
                                        "label": [round(float(llon[0]), 6),
                                                  round(float(llat[0]), 6)]}})
    return {"type": "FeatureCollection", "features": features, "method": "cell-union",
            "cell_size_m": grid.cell}


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where ``flags`` is true."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return list(zip(change[0::2].tolist(), change[1::2].tolist(), strict=True))


@router.get("/districts.geojson")
def districts_geojson(dataset: str = BUILTIN, cell: float = 150.0,
                      service: ForecastService = Depends(_service)) -> Response:
    if not 50 <= cell <= 1000:
        raise ForecastInputError(M_("cell size must be between 50 and 1000 metres"))
    body = _outlines.get((str(service.root), dataset, float(cell)),
                         lambda: district_outlines(service, dataset, float(cell)))
    return JSONResponse(body, media_type=GEOJSON, headers={"Cache-Control": "private, max-age=600"})


# -- fairness ------------------------------------------------------------------------------------
SCENARIO_LABELS = {
    "none": N_("No mitigation"),
    "citizen-reported only": N_("Train on citizen-reported events only"),
    "both": N_("Both mitigations"),
}


@router.get("/fairness")
def fairness_page(request: Request, principal: Principal = Depends(access),
                  service: ForecastService = Depends(_service),
                  governance: Governance = Depends(_governance)) -> Response:
    """The exposure audit form (nothing runs until it is submitted) and the feedback-loop
    simulation (synthetic places, no recorded data)."""
    return _fairness_page(request, principal, service, governance, form=None)


@router.post("/fairness")
def fairness_audit(request: Request, dataset: str = Form(BUILTIN), method: str = Form("kde"),
                   date_: str = Form("", alias="date"), coverage: str = Form("5"),
                   cap: str = Form("2"), seed: str = Form("0"), purpose: str = Form(""),
                   legal_basis: str = Form(""), principal: Principal = Depends(access),
                   service: ForecastService = Depends(_service),
                   governance: Governance = Depends(_governance)) -> Response:
    """The exposure audit of a forecast: a run of ``forecast.hotspots`` through the gateway
    (input ``audit=exposure``), so it is refused — with the reasons — while forecasting is
    refused (assessments not approved, suspended, not an analyst), and ledgered and sent to
    review like any forecast when it runs."""
    form = {"dataset": dataset, "method": method, "date": date_, "coverage": coverage,
            "cap": cap, "seed": seed, "purpose": purpose, "legal_basis": legal_basis}
    _speak(request)
    try:
        chosen = _dataset_id(service, dataset)
        on = _iso_date(date_, gettext("Date")) or _dataset_range(service, chosen)["end"]
        form["date"] = on
        inputs = {"dataset": chosen, "method": _choice(method, tuple(METHODS), gettext("Method")),
                  "window": "week", "date": on, "audit": "exposure",
                  "coverage": _number(coverage, gettext("Coverage (percent of area)"), 0.5, 20),
                  "top": 1}
        result = governance.gateway.invoke(caller_of(principal), GatewayRequest(
            capability_id=CAPABILITY, purpose=purpose, legal_basis=legal_basis, inputs=inputs))
    except GatewayDenied as denied:
        return _fairness_page(request, principal, service, governance, form=form,
                              denial=_denial(denied, language_of(request)), status=403)
    except AccordError as failure:
        return _fairness_page(request, principal, service, governance, form=form,
                              error=failure, status=failure.status)
    audit = {**result.output["exposure_audit"], "method": result.output["method"],
             "window": result.output["window"]}
    return _fairness_page(request, principal, service, governance, form=form, audit=audit,
                          decision={"id": result.decision_id, "ledger_seq": result.ledger_seq,
                                    "review_role": result.review_role})


def _fairness_page(request: Request, principal: Principal, service: ForecastService,
                   governance: Governance, *, form: dict[str, str] | None,
                   audit: dict[str, Any] | None = None, decision: dict[str, Any] | None = None,
                   denial: dict[str, Any] | None = None, error: AccordError | None = None,
                   status: int = 200) -> Response:
    _speak(request)
    capability = governance.registry.get(CAPABILITY)
    if form is None:
        default = principal.user.default_purpose
        form = {"dataset": BUILTIN, "method": "kde", "date": "", "coverage": "5", "cap": "2",
                "seed": "0", "purpose": default if default in capability.purposes else "",
                "legal_basis": ""}
    try:
        cap_n = int(_number(form["cap"], gettext("Cap"), 1, 10, integer=True))
        seed_n = int(_number(form["seed"], gettext("Seed"), 0, 10_000, integer=True))
    except AccordError as failure:
        error, status = error or failure, status if error else failure.status
        cap_n, seed_n = 2, 0
    feedback = service.feedback_simulation(cap=cap_n, seed=seed_n)
    suspended, why = governance.gateway.suspension(CAPABILITY)
    gate_ok, gate_reason = _assessment_gate()
    return render(request, "forecast/fairness.html", {
        **_context(request, principal), "datasets": service.datasets(), "form": form,
        "audit": audit, "decision": decision, "denial": denial, "error": error,
        "feedback": feedback, "scenarios": _scenarios(feedback, cap_n),
        "feedback_chart": feedback_chart(feedback), "status_labels": STATUS_LABELS,
        "purposes": sorted(capability.purposes), "legal_bases": sorted(capability.legal_bases),
        "suspended": suspended, "suspend_reason": why, "gate_ok": gate_ok,
        "gate_reason": gate_reason,
    }, status_code=status)


def _scenarios(feedback: dict[str, Any], cap: int) -> list[dict[str, Any]]:
    out = []
    for key, summary in feedback["scenarios"].items():
        label = gettext(SCENARIO_LABELS[key]) if key in SCENARIO_LABELS else \
            gettext(N_("Cap: no place patrolled more than %(n)s periods in a row")) % {"n": cap}
        out.append({"key": key, "label": label, **summary})
    return out


def feedback_chart(feedback: dict[str, Any], width: int = 760,
                   height: int = 240) -> dict[str, Any]:
    """Patrol share to group A per period, one line per scenario (fair share: 0.5)."""
    left, right, top, bottom = 44, 16, 12, 32
    series = feedback["series"]
    n = max((len(v) for v in series.values()), default=1)

    def px(i: int) -> float:
        return left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5)

    def py(v: float) -> float:
        return top + (height - top - bottom) * (1 - v)

    lines = []
    for index, (key, values) in enumerate(series.items()):
        path = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values))
        lines.append({"key": key, "colour": PALETTE[(index + 1) % len(PALETTE)],
                      "path": path, "label": gettext(SCENARIO_LABELS.get(key, key))
                      if key in SCENARIO_LABELS else key})
    return {"width": width, "height": height, "left": left, "right": width - right,
            "top": top, "bottom": height - bottom, "lines": lines, "fair_y": py(0.5),
            "ticks": [{"value": v, "y": py(v)} for v in (0.0, 0.25, 0.5, 0.75, 1.0)],
            "periods": n, "xlabels": [{"text": str(i + 1), "x": px(i)}
                                      for i in range(0, n, max(1, n // 6))]}


# -- staffing (synthetic) ------------------------------------------------------------------------
@router.get("/staffing")
def staffing_page(request: Request, principal: Principal = Depends(access),
                  service: ForecastService = Depends(_service)) -> Response:
    plan = _staffing.get(("plan",), service.staffing)
    return render(request, "forecast/staffing.html", {
        **_context(request, principal), "plan": plan, "shift_labels": SHIFT_LABELS,
    })

