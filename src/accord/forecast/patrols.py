"""Record which cells were patrolled because of a forecast, and read them back as a PatrolLog.

Only completed ``forecast.hotspots`` decisions can be followed, and only their flagged cells: a
patrol record must point at the forecast that caused it, so the correction is traceable.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from accord.core.db import Database
from accord.core.errors import NotFound, ValidationFailed
from accord.core.gateway.models import Decision
from accord.core.i18n import M_, N_
from accord.forecast.data import iso_to_day
from accord.forecast.feedback import PatrolLog
from accord.forecast.grid import Grid
from accord.forecast.models import ForecastPatrol
from accord.forecast.service import ForecastService


class PatrolService:
    def __init__(self, database: Database, forecasts: ForecastService | None = None) -> None:
        self.database = database
        self.forecasts = forecasts or ForecastService()

    def record(self, decision_id: str, start: date, stop: date, cells: list[str], *,
               user_id: int | None, note: str = "") -> ForecastPatrol:
        if stop <= start:
            raise ValidationFailed(detail=M_("a patrol period must end after it starts"))
        if not cells:
            raise ValidationFailed(detail=M_("name at least one patrolled cell"))
        with self.database.session() as session:
            decision = session.get(Decision, decision_id)
            if decision is None or decision.capability_id != "forecast.hotspots" \
                    or decision.status != "completed":
                raise NotFound(N_("No forecast with decision id %(id)s."), id=decision_id)
            inputs = decision.inputs or {}
            output = decision.output or {}
            if not output:
                raise ValidationFailed(detail=M_("forecast %(decision_id)s was erased",
                                                 decision_id=decision_id))
            # Patrols may follow only the cells the forecast flagged and explained.
            flagged = {str(c["cell"]) for c in output.get("top_cells", []) if "cell" in c}
            chosen = {c.strip().lower() for c in cells if c.strip()}
            outside = sorted(chosen - flagged)
            if outside:
                raise ValidationFailed(detail=M_("cells %(outside)s were not flagged by forecast "
                                                 "%(decision_id)s",
                                                 outside=', '.join(outside[:10]),
                                                 decision_id=decision_id))
            record = ForecastPatrol(
                decision_id=decision_id, dataset=str(inputs.get("dataset", "")),
                cell_size=float(inputs.get("cell_size") or 150.0),
                method=str(output.get("method", inputs.get("method", ""))), start=start,
                stop=stop, cells=sorted(chosen), note=note.strip()[:500],
                recorded_by=user_id)
            session.add(record)
        return record

    def list(self, dataset: str | None = None) -> list[ForecastPatrol]:
        with self.database.session() as session:
            query = select(ForecastPatrol).order_by(ForecastPatrol.start)
            if dataset:
                query = query.where(ForecastPatrol.dataset == dataset)
            return list(session.scalars(query))

    def log(self, dataset: str, cell: float = 150.0) -> PatrolLog:
        """The recorded patrols on ``dataset``'s grid, ready for correction_weights()."""
        grid = Grid.covering(self.forecasts.events(dataset), cell)
        log = PatrolLog(grid)
        for row in self.list(dataset):
            if row.cell_size != cell:
                continue
            log.record(iso_to_day(row.start.isoformat()), iso_to_day(row.stop.isoformat()),
                       [grid.parse_cell_id(c) for c in row.cells],
                       forecast_id=row.decision_id, method=row.method, note=row.note)
        return log
