"""Point-event import: any CSV of dated, located events through a column mapping.

Rows are never guessed or silently dropped. Every row that cannot be used is counted under a
reason (and the first few line numbers are kept so an analyst can look at them); exact duplicate
rows are dropped and counted separately. Longitude/latitude (or projected x/y in a declared CRS)
are projected to metres in the UTM zone of the data, which is what the grid methods need.

Times are kept as float days since 1970-01-01 (local time as written in the file; a timezone
offset, where present, is converted to UTC). Dates without a time of day are day-resolution data
and are reported as such: the methods then never let an event "cause" another on the same day.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_, N_, Message
from accord.shared_data import shared_dir

EPOCH = datetime(1970, 1, 1)
EXAMPLES_PER_REASON = 5
# A row further than this from the median location is almost always a geocoding failure
# (e.g. the SFPD's "lat 90" placeholder). Counted as a bad row, never moved.
DEFAULT_MAX_DISTANCE_KM = 100.0
# A file is "monthly" when at least this share of its events sit at midnight on the 1st of a
# month, "daily" when at least this share sit at midnight (a few real timestamps in a file of
# dates do not make it sub-daily data).
RESOLUTION_SHARE = 0.95
RESOLUTIONS = ("sub-daily", "daily", "monthly")  # finest first
# The resolutions' names as the pages show them (translated there).
_RESOLUTION_LABELS = (N_("sub-daily"), N_("daily"), N_("monthly"))
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ForecastInputError(ValidationFailed):
    """Bad input to the forecasting tools (missing file, unknown column, bad option)."""

    def __init__(self, detail: Message) -> None:
        super().__init__(detail=detail)
        self.detail = detail


@dataclass
class EventSet:
    """Events, one entry per array position. ``t`` in days since 1970-01-01; ``x``/``y`` in
    metres in ``crs``. ``category``/``district`` are empty strings when not imported."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray
    district: np.ndarray
    crs: str
    day_resolution: bool = True
    source: str = ""
    # "monthly", "daily" or "sub-daily" (see :func:`detect_time_resolution`); empty: derived
    # from ``day_resolution``.
    time_resolution: str = ""

    @property
    def resolution(self) -> str:
        if self.time_resolution:
            return self.time_resolution
        return "daily" if self.day_resolution else "sub-daily"

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def subset(self, mask: np.ndarray) -> EventSet:
        return EventSet(self.t[mask], self.x[mask], self.y[mask], self.lon[mask], self.lat[mask],
                        self.category[mask], self.district[mask], self.crs,
                        self.day_resolution, self.source, self.time_resolution)

    def before(self, t: float) -> EventSet:
        return self.subset(self.t < t)

    def between(self, start: float, stop: float) -> EventSet:
        return self.subset((self.t >= start) & (self.t < stop))

    @property
    def time_range(self) -> tuple[float, float]:
        return (float(self.t.min()), float(self.t.max())) if len(self) else (0.0, 0.0)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, t=self.t, x=self.x, y=self.y, lon=self.lon, lat=self.lat,
                            category=self.category.astype(str), district=self.district.astype(str),
                            meta=np.array([self.crs, "1" if self.day_resolution else "0",
                                           self.source, self.resolution]))

    @classmethod
    def load(cls, path: Path) -> EventSet:
        with np.load(path, allow_pickle=False) as data:
            meta = [str(v) for v in data["meta"]]
            crs, day, source = meta[:3]
            resolution = meta[3] if len(meta) > 3 else ""
            return cls(data["t"], data["x"], data["y"], data["lon"], data["lat"],
                       data["category"], data["district"], crs, day == "1", source,
                       resolution)

    @classmethod
    def from_arrays(cls, t: Sequence[float], x: Sequence[float], y: Sequence[float], *,
                    category: Sequence[str] | None = None,
                    district: Sequence[str] | None = None,
                    day_resolution: bool = False, time_resolution: str = "") -> EventSet:
        """Events already in metres (tests, simulations); lon/lat are left as NaN."""
        tt = np.asarray(t, dtype=float)
        n = tt.shape[0]
        order = np.argsort(tt, kind="stable")
        cat = np.asarray(category if category is not None else [""] * n, dtype=str)
        dis = np.asarray(district if district is not None else [""] * n, dtype=str)
        return cls(tt[order], np.asarray(x, dtype=float)[order],
                   np.asarray(y, dtype=float)[order], np.full(n, np.nan), np.full(n, np.nan),
                   cat[order], dis[order], "local-metres", day_resolution, "arrays",
                   time_resolution)


@dataclass
class ImportResult:
    events: EventSet
    rows_read: int
    duplicates_dropped: int
    bad_rows: dict[str, int]
    bad_examples: dict[str, list[int]]
    crs: str
    day_resolution: bool
    columns: dict[str, str | None] = field(default_factory=dict)
    time_report: dict[str, Any] = field(default_factory=dict)
    location_report: dict[str, Any] = field(default_factory=dict)
    duplicate_rule: str = ""
    duplicates_without_id_kept: int = 0
    unparsable_time_examples: list[str] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        return len(self.events)

    @property
    def bad_total(self) -> int:
        return sum(self.bad_rows.values())

    def no_events_reason(self) -> str | None:
        """Why nothing was kept (``None`` when something was): the reasons that removed the
        rows, largest first, with a hint for the commonest mistake (a time layout)."""
        if self.rows_kept:
            return None
        if self.rows_read == 0:
            return "no events: the file has a header but no data rows"
        reasons = sorted(self.bad_rows.items(), key=lambda kv: -kv[1])
        if self.duplicates_dropped:
            reasons.append((f"exact duplicate ({self.duplicate_rule})", self.duplicates_dropped))
        parts = []
        for reason, count in reasons:
            lines = ", ".join(str(n) for n in self.bad_examples.get(reason, []))
            parts.append(f"{reason}: {count}" + (f" (e.g. lines {lines})" if lines else ""))
        text = f"no events: all {self.rows_read} rows were removed — " + "; ".join(parts)
        if self.bad_rows.get("unparsable time"):
            seen = ", ".join(repr(v) for v in self.unparsable_time_examples)
            text += (f". Times such as {seen} are not ISO 8601 (2016-01, 2016-01-31, "
                     "2016-01-31T22:30+01:00): give their layout with --time-format, "
                     "e.g. %d/%m/%Y")
        return text

    def summary(self) -> dict[str, Any]:
        """Counts only: no rows, so it is safe to log and show."""
        ev = self.events
        first, last = ev.time_range
        return {
            "rows_read": self.rows_read,
            "duplicates_dropped": self.duplicates_dropped,
            "duplicate_rule": self.duplicate_rule,
            "duplicates_without_id_kept": self.duplicates_without_id_kept,
            "bad_rows": dict(sorted(self.bad_rows.items())),
            "bad_total": self.bad_total,
            "bad_examples_line_numbers": {k: v for k, v in sorted(self.bad_examples.items())},
            "rows_kept": self.rows_kept,
            "crs": self.crs,
            "time_resolution": ev.resolution,
            "time_resolution_detail": self.time_report,
            "location_resolution": self.location_report,
            "no_events_reason": self.no_events_reason(),
            "first": day_to_iso(first) if len(ev) else None,
            "last": day_to_iso(last) if len(ev) else None,
            "categories": dict(Counter(ev.category.tolist()).most_common()) if len(ev) else {},
            "districts": dict(Counter(ev.district.tolist()).most_common()) if len(ev) else {},
            "columns": self.columns,
        }


def month_index(t: float) -> int:
    """Months since year 0 of the day ``t`` falls on (year * 12 + month - 1)."""
    d = date.fromordinal(EPOCH.toordinal() + math.floor(t))
    return d.year * 12 + d.month - 1


def month_start(index: int) -> float:
    """Day number of the 1st of the month ``index`` (see :func:`month_index`)."""
    return float((date(index // 12, index % 12 + 1, 1) - EPOCH.date()).days)


def months_before(until: float) -> int:
    """Index of the first month that starts at or after ``until``: the months before it are
    the whole months of data before ``until``."""
    index = month_index(until)
    return index if month_start(index) >= until - 1e-9 else index + 1


def lookback_start(until: float, days: float, resolution: str) -> float:
    """Start of a look-back of about ``days`` ending at ``until``, in whole units of the data's
    time resolution: whole calendar months (at least one) on monthly data, where every event
    sits on the 1st and a 28-day look-back would usually hold nothing; ``days`` otherwise."""
    if resolution == "monthly":
        months = max(1, round(days / 30.4375))
        return month_start(months_before(until) - months)
    return until - days


def day_to_iso(t: float) -> str:
    return date.fromordinal(EPOCH.toordinal() + math.floor(t)).isoformat()


def iso_to_day(text: str) -> float:
    """'2012-10-29' (or a full ISO timestamp) -> days since 1970-01-01."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ForecastInputError(M_("not an ISO date: %(text)r", text=text)) from None
    return _to_days(parsed)


def _to_days(value: datetime) -> float:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - EPOCH).total_seconds() / 86400.0


def parse_time(text: str, time_format: str | None) -> datetime:
    """ISO 8601 by default, at any precision from year-month (``2016-01``, read as the 1st
    of the month) through date (``2016-01-31``, ``20160131``) to date-time with or without an
    offset (``2016-01-31T22:30:00+01:00``, ``…Z``); anything else only with an explicit
    strptime ``time_format`` (so 03/04/2012 is never guessed to be March or April)."""
    text = text.strip()
    if time_format:
        return datetime.strptime(text, time_format)
    month = _YEAR_MONTH.match(text)
    if month:
        return datetime(int(month[1]), int(month[2]), 1)
    return datetime.fromisoformat(text)


def classify_time_resolution(n: int, at_midnight: int, first_of_month: int) -> dict[str, Any]:
    """``first_of_month``: events at midnight on the 1st of a month."""
    share_midnight = at_midnight / n if n else 0.0
    share_first = first_of_month / n if n else 0.0
    if n and share_first >= RESOLUTION_SHARE:
        label = "monthly"
    elif n and share_midnight >= RESOLUTION_SHARE:
        label = "daily"
    else:
        label = "sub-daily"
    return {"resolution": label, "share_at_midnight": round(share_midnight, 4),
            "share_on_first_of_month": round(share_first, 4), "events": n,
            "rule": f"monthly if >= {RESOLUTION_SHARE:.0%} of events are at midnight on the "
                    f"1st of a month, daily if >= {RESOLUTION_SHARE:.0%} are at midnight"}


def location_resolution(lon: np.ndarray, lat: np.ndarray) -> dict[str, Any]:
    """How many distinct points the events sit on, and the share on a point shared with
    another event. ``snapped`` when the events sit on at most half as many points as there are
    events (data geocoded to street points, block centroids or a fixed set of locations)."""
    n = int(lon.shape[0])
    if n == 0:
        return {"events": 0, "distinct_points": 0, "share_on_repeated_points": 0.0,
                "largest_point_events": 0, "snapped": False}
    pairs = np.round(np.column_stack([lon, lat]), 7)
    _, counts = np.unique(pairs, axis=0, return_counts=True)
    repeated = int(counts[counts > 1].sum())
    return {"events": n, "distinct_points": int(counts.size),
            "share_on_repeated_points": round(repeated / n, 4),
            "largest_point_events": int(counts.max()),
            "snapped": bool(counts.size <= 0.5 * n)}


def utm_crs_for(lon: float, lat: float) -> str:
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def import_events(path: str | Path, time: str, lon: str | None = None, lat: str | None = None,
                  x: str | None = None, y: str | None = None, crs: str | None = None,
                  type_col: str | None = None, *, district_col: str | None = None,
                  time_format: str | None = None,
                  max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
                  target_crs: str | None = None, id_col: str | None = None,
                  dedupe_without_id: bool = False) -> ImportResult:
    """Read point events from a CSV through a column mapping.

    Give ``lon``/``lat`` (WGS84 degrees), or ``x``/``y`` with their ``crs`` (e.g. EPSG:2227).
    Coordinates are projected to ``target_crs`` (default: the UTM zone of the data's median).

    Duplicates: a row is dropped only when it repeats an earlier row field for field *and*
    has a record id (``id_col``, non-empty). Identical rows without an id are separate
    incidents as far as anyone can tell (anonymised data: same month, same street point, same
    category) and are kept and counted, unless ``dedupe_without_id`` is set.
    """
    from pyproj import CRS, Transformer

    path = Path(path)
    if not path.is_file():
        raise ForecastInputError(M_("no such file: %(path)s", path=path))
    use_xy = x is not None or y is not None
    if use_xy:
        if x is None or y is None:
            raise ForecastInputError(M_("give both --x and --y"))
        if not crs:
            raise ForecastInputError(M_("--x/--y need --crs (e.g. EPSG:2227)"))
        try:
            source_crs = CRS.from_user_input(crs)
        except Exception:
            raise ForecastInputError(M_("unknown CRS %(crs)r", crs=crs)) from None
    elif lon is None or lat is None:
        raise ForecastInputError(M_("give --lon and --lat, or --x, --y and --crs"))
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ForecastInputError(M_("%(path)s is empty", path=path)) from None
        except (UnicodeDecodeError, csv.Error) as error:
            raise ForecastInputError(M_("%(path)s is not a readable CSV file: %(error)s",
                                        path=path, error=error)) from None
        index = {name: i for i, name in enumerate(header)}
        wanted = {"time": time, "lon": None if use_xy else lon, "lat": None if use_xy else lat,
                  "x": x if use_xy else None, "y": y if use_xy else None, "type": type_col,
                  "district": district_col, "id": id_col}
        for role, column in wanted.items():
            if column is not None and column not in index:
                raise ForecastInputError(
                    M_("unknown column %(column)r for %(role)s; the file has: %(header)s",
                       column=column, role=role, header=', '.join(header)))
        seen: set[tuple[str, ...]] = set()
        duplicates = 0
        bad: Counter[str] = Counter()
        examples: dict[str, list[int]] = {}
        times: list[float] = []
        xs: list[float] = []
        ys: list[float] = []
        cats: list[str] = []
        dists: list[str] = []
        lines: list[int] = []
        rows_read = 0
        stamps: list[int] = []  # 0: has a time of day, 1: midnight, 2: midnight on the 1st
        without_id_kept = 0
        bad_time_values: list[str] = []

        def reject(reason: str, line: int) -> None:
            bad[reason] += 1
            examples.setdefault(reason, [])
            if len(examples[reason]) < EXAMPLES_PER_REASON:
                examples[reason].append(line)

        try:
            for line_no, row in enumerate(reader, start=2):
                rows_read += 1
                key = tuple(row)
                has_id = (id_col is not None and index[id_col] < len(row)
                          and bool(row[index[id_col]].strip()))
                if key in seen:
                    if has_id or dedupe_without_id:
                        duplicates += 1
                        continue
                    without_id_kept += 1
                seen.add(key)
                if len(row) != len(header):
                    reject("wrong number of fields", line_no)
                    continue
                raw_time = row[index[time]].strip()
                if not raw_time:
                    reject("missing time", line_no)
                    continue
                try:
                    when = parse_time(raw_time, time_format)
                except ValueError:
                    reject("unparsable time", line_no)
                    if len(bad_time_values) < 3:
                        bad_time_values.append(raw_time[:40])
                    continue
                midnight = not (when.hour or when.minute or when.second or when.microsecond)
                cx = row[index[x if use_xy else lon]].strip()  # type: ignore[index]
                cy = row[index[y if use_xy else lat]].strip()  # type: ignore[index]
                if not cx or not cy:
                    reject("missing coordinate", line_no)
                    continue
                try:
                    fx, fy = float(cx), float(cy)
                except ValueError:
                    reject("unparsable coordinate", line_no)
                    continue
                if not (math.isfinite(fx) and math.isfinite(fy)):
                    reject("unparsable coordinate", line_no)
                    continue
                if not use_xy and not (-180.0 <= fx <= 180.0 and -90.0 <= fy <= 90.0):
                    reject("coordinate out of range", line_no)
                    continue
                # Judged on the time as written (before any offset is applied).
                stamps.append(int(midnight) + int(midnight and when.day == 1))
                times.append(_to_days(when))
                xs.append(fx)
                ys.append(fy)
                cats.append(row[index[type_col]].strip() if type_col else "")
                dists.append(row[index[district_col]].strip() if district_col else "")
                lines.append(line_no)
        except (UnicodeDecodeError, csv.Error) as error:
            raise ForecastInputError(M_("%(path)s is not a readable CSV file: %(error)s",
                                        path=path, error=error)) from None

    fx_arr, fy_arr = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if use_xy and len(fx_arr):
        to_geo = Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
        lon_arr, lat_arr = to_geo.transform(fx_arr, fy_arr)
        lon_arr, lat_arr = np.asarray(lon_arr, dtype=float), np.asarray(lat_arr, dtype=float)
    else:
        lon_arr, lat_arr = fx_arr, fy_arr
    keep = np.isfinite(lon_arr) & np.isfinite(lat_arr)
    if use_xy:
        keep &= (np.abs(lon_arr) <= 180) & (np.abs(lat_arr) <= 90)
    for i in np.flatnonzero(~keep):
        reject("coordinate out of range", lines[i])
    if keep.any():
        centre_lon = float(np.median(lon_arr[keep]))
        centre_lat = float(np.median(lat_arr[keep]))
        if max_distance_km is not None:
            distance = _haversine_km(lon_arr, lat_arr, centre_lon, centre_lat)
            far = keep & ~(distance <= max_distance_km)
            for i in np.flatnonzero(far):
                reject(f"more than {max_distance_km:g} km from the other events", lines[i])
            keep &= ~far
    crs_out = target_crs or (utm_crs_for(centre_lon, centre_lat) if keep.any() else "")
    if keep.any():
        to_metres = Transformer.from_crs("EPSG:4326", crs_out, always_xy=True)
        px, py = to_metres.transform(lon_arr[keep], lat_arr[keep])
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    else:
        px, py = np.zeros(0), np.zeros(0)
    finite = np.isfinite(px) & np.isfinite(py)
    kept_lines = np.asarray(lines, dtype=int)[keep]
    for line in kept_lines[~finite]:
        reject("cannot be projected", int(line))
    t_arr = np.asarray(times, dtype=float)[keep][finite]
    order = np.argsort(t_arr, kind="stable")
    kept_stamps = np.asarray(stamps, dtype=int)[keep][finite]
    time_report = classify_time_resolution(int(kept_stamps.shape[0]),
                                           int((kept_stamps >= 1).sum()),
                                           int((kept_stamps == 2).sum()))
    resolution = time_report["resolution"]
    day_resolution = resolution != "sub-daily"
    events = EventSet(
        t=t_arr[order], x=px[finite][order], y=py[finite][order],
        lon=lon_arr[keep][finite][order], lat=lat_arr[keep][finite][order],
        category=np.asarray(cats, dtype=str)[keep][finite][order] if cats else np.array([], str),
        district=np.asarray(dists, dtype=str)[keep][finite][order] if dists else np.array([], str),
        crs=crs_out, day_resolution=day_resolution, source=path.name,
        time_resolution=resolution,
    )
    for reason in examples:
        examples[reason].sort()
    columns = {"time": time, "lon": lon, "lat": lat, "x": x, "y": y, "crs": crs,
               "type": type_col, "district": district_col, "id": id_col}
    if dedupe_without_id:
        rule = "identical rows dropped, with or without an id (asked for)"
    elif id_col:
        rule = f"identical rows with a non-empty {id_col!r} dropped; rows without one kept"
    else:
        rule = "no id column: identical rows kept as separate incidents"
    return ImportResult(events=events, rows_read=rows_read, duplicates_dropped=duplicates,
                        bad_rows=dict(bad), bad_examples=examples, crs=crs_out,
                        day_resolution=day_resolution,
                        columns={k: v for k, v in columns.items() if v is not None},
                        time_report=time_report,
                        location_report=location_resolution(events.lon, events.lat),
                        duplicate_rule=rule, duplicates_without_id_kept=without_id_kept,
                        unparsable_time_examples=bad_time_values)


def _haversine_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), math.radians(lat0)
    dphi = p1 - p2
    dlmb = np.radians(lon) - math.radians(lon0)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


SF_DATA = shared_dir() / "data" / "crime" / "sf-2012h2" / "sfpd_incidents_2012-07_2012-12.csv"


def load_sf(path: Path | None = None) -> ImportResult:
    """The bundled San Francisco 2012 H2 incidents with their documented column mapping."""
    return import_events(path or SF_DATA, time="Date", lon="lon", lat="lat",
                         type_col="Category", district_col="PdDistrict", id_col="IncidntNum")
