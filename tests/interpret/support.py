"""Helpers for interview tests (also used by the browser test)."""

from __future__ import annotations

from fastapi import FastAPI

from accord.core.db import Base, Database
from accord.interpret.models import InterviewReport


def create_report_table(database: Database) -> None:
    """Create ``interpret_reports`` until an Alembic migration does (then this is a no-op)."""
    Base.metadata.create_all(database.engine, tables=[InterviewReport.__table__])


def interviews_app() -> FastAPI:
    """The app with the interview routers, whether or not create_app() includes them yet."""
    from accord.assembly import create_app
    from accord.interpret.routes import interviews

    app = create_app()
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/public/report" not in paths:
        app.include_router(interviews.public_router)
    if "/interviews/reports" not in paths:
        app.include_router(interviews.router)
    return app
