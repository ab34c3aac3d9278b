"""The deadline board: every open step of the open cases a user may see, with its due time.

One service for the page, its CSV export and its print view. A step is on the board while its
clock runs and it is not done: overdue, at risk (due within its warning window) or pending
(due later, or a duty the verified facts give no deadline). "Without delay" duties are due the
moment their clock starts; the board sorts and filters them by the service's own target
(``accord_target`` in the checklist data, labelled as not law), after which they are overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from accord.cases.guidance import DeadlineStatus, deadlines_for_cases
from accord.cases.models import Case
from accord.cases.service import CaseService
from accord.cases.stations import stations
from accord.cases.vocab import CASE_TYPES
from accord.core.accounts import User
from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

BOARD_STATES = ("overdue", "at-risk", "pending")
#: The due-window filter's choices, in hours ("" = every open step).
WITHIN_HOURS = ("2", "24", "168")
MAX_BOARD_CASES = 2000


@dataclass(frozen=True)
class BoardRow:
    case: Case
    officer: User | None
    step: DeadlineStatus

    @property
    def due(self) -> datetime | None:
        """When the step is late: the service's target for a "without delay" duty, else the
        legal due time (``None``: the verified facts state no deadline)."""
        if self.step.without_delay:
            return self.step.accord_target_at or self.step.due_at
        return self.step.due_at


@dataclass(frozen=True)
class BoardFilter:
    case_type: str = ""
    officer_id: int | None = None
    within_hours: int | None = None  # only steps due within this many hours (overdue included)
    station: str = ""  # a station id (accord.cases.stations)

    @classmethod
    def parse(cls, case_type: str = "", officer: str = "", within: str = "",
              station: str = "") -> BoardFilter:
        """From query parameters; an unknown value is a 422, not a silently empty board."""
        case_type = case_type.strip()
        if case_type and case_type not in CASE_TYPES:
            raise ValidationFailed(detail=M_("unknown case type %(case_type)r",
                                             case_type=case_type))
        officer_id = None
        if officer.strip():
            if not officer.strip().isdigit():
                raise ValidationFailed(detail=M_("officer: expected a user id"))
            officer_id = int(officer)
        within = within.strip()
        if within and within not in WITHIN_HOURS:
            raise ValidationFailed(detail=M_("within: one of %(within_hours)s hours",
                                             within_hours=', '.join(WITHIN_HOURS)))
        station = station.strip()
        if station and station not in stations():
            raise ValidationFailed(detail=M_("unknown station %(station)r", station=station))
        return cls(case_type, officer_id, int(within) if within else None, station)

    def as_query(self) -> dict[str, str]:
        return {"case_type": self.case_type, "station": self.station,
                "officer": "" if self.officer_id is None else str(self.officer_id),
                "within": "" if self.within_hours is None else str(self.within_hours)}


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    cases: list[Case]  # every open case the user may see (the filters' choices come from it)
    officers: dict[int, User]

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.step.state == state)


def deadline_board(service: CaseService, user: User, *, now: datetime, tz: str,
                   filters: BoardFilter | None = None) -> Board:
    """The board for ``user`` (officers: their own cases; supervisors: all), overdue first,
    then at risk, then pending, each by due time."""
    filters = filters or BoardFilter()
    cases = service.open_cases_for(user, limit=MAX_BOARD_CASES)
    officers = service.users_by_id(c.officer_id for c in cases)
    horizon = now + timedelta(hours=filters.within_hours) if filters.within_hours else None
    rows: list[BoardRow] = []
    shown = list(_filtered(cases, filters))
    deadlines = deadlines_for_cases(shown, now=now, tz=tz)
    for case in shown:
        for status in deadlines[case.id]:
            if status.state not in BOARD_STATES:
                continue
            row = BoardRow(case, officers.get(case.officer_id or -1), status)
            if horizon is not None and (row.due is None or row.due > horizon):
                continue
            rows.append(row)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (BOARD_STATES.index(r.step.state), r.due or far, r.case.reference))
    return Board(rows, cases, officers)


def _filtered(cases: Iterable[Case], filters: BoardFilter) -> Iterable[Case]:
    for case in cases:
        if filters.case_type and case.case_type != filters.case_type:
            continue
        if filters.officer_id is not None and case.officer_id != filters.officer_id:
            continue
        if filters.station and case.station != filters.station:
            continue
        yield case


CSV_COLUMNS = ("case", "case_type", "station", "officer", "step", "state", "due", "without_delay",
               "service_target_not_law", "legal_due", "citation", "fact_status")


def csv_rows(board: Board) -> Iterable[list[str]]:
    """The board as CSV rows (times ISO 8601 with the station's offset)."""
    def iso(value: datetime | None) -> str:
        return value.isoformat(timespec="minutes") if value is not None else ""

    yield list(CSV_COLUMNS)
    for r in board.rows:
        s = r.step
        yield [r.case.reference, r.case.case_type, r.case.station,
               r.officer.username if r.officer else "",
               s.step_id, s.state, iso(r.due), "yes" if s.without_delay else "no",
               iso(s.accord_target_at), iso(s.due_at), s.citation, s.fact_status]
