"""JobService: create jobs, report progress, read state; and the handler registry."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from accord.core.db import Database, utcnow
from accord.core.errors import AccordError, NotFound, ValidationFailed
from accord.core.i18n import M_
from accord.core.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[["JobContext"], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler for jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def registered_handlers() -> dict[str, Handler]:
    return dict(_HANDLERS)


@dataclass
class JobContext:
    """What a handler gets: its parameters and a way to report progress."""

    database: Database
    job_id: str
    params: dict[str, Any]
    created_by: int | None

    def progress(self, percent: int, message: str = "") -> None:
        with self.database.write_session() as session:  # read-then-write: lock up front
            job = session.get(Job, self.job_id)
            if job is not None:
                job.progress = max(0, min(100, int(percent)))
                job.message = message
                job.updated_at = utcnow()


class JobService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def submit(self, kind: str, params: dict[str, Any], *, created_by: int | None) -> Job:
        """Record a job and put it on the queue."""
        if kind not in _HANDLERS:
            raise ValidationFailed(detail=M_("unknown job kind %(kind)r", kind=kind))
        job_id = secrets.token_hex(8)
        with self.database.session() as session:
            job = Job(id=job_id, kind=kind, params=params, created_by=created_by)
            session.add(job)
        from accord.core.jobs.queue import get_queue

        get_queue().enqueue_job(job_id)
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self.database.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound()
            return job

    def recent(self, *, created_by: int | None = None, limit: int = 20) -> list[Job]:
        with self.database.session() as session:
            query = select(Job).order_by(Job.created_at.desc()).limit(limit)
            if created_by is not None:
                query = query.where(Job.created_by == created_by)
            return list(session.scalars(query))

    def run(self, job_id: str) -> None:
        """Execute a job's handler (called by a queue worker)."""
        with self.database.write_session() as session:  # read-then-write: lock up front
            job = session.get(Job, job_id)
            if job is None:
                log.warning("job vanished before it ran", extra={"job_id": job_id})
                return
            job.status = JobStatus.RUNNING.value
            job.updated_at = utcnow()
            context = JobContext(self.database, job.id, dict(job.params), job.created_by)
            handler = _HANDLERS.get(job.kind)
        status, result, message = JobStatus.FAILED, None, ""
        try:
            if handler is None:
                raise ValidationFailed(detail=M_("no handler for job kind %(kind)r", kind=job.kind))
            result = handler(context)
            status, message = JobStatus.SUCCEEDED, "done"
        except AccordError as error:
            message = str(error)
        except Exception:
            log.exception("job failed", extra={"job_id": job_id})
            message = "internal error; see the server log"
        with self.database.write_session() as session:
            job = session.get(Job, job_id)
            if job is not None:
                job.status = status.value
                job.result = result
                job.message = message
                if status is JobStatus.SUCCEEDED:
                    job.progress = 100
                job.updated_at = job.finished_at = utcnow()
