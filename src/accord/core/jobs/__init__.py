"""Background jobs: long work (model batches, forecasts, exports) runs on a real task queue.

A job is a row users can watch (status, progress, message, result) plus a Huey task that runs
its handler. Capabilities register handlers with :func:`job_handler`.
"""

from accord.core.jobs.models import Job, JobStatus
from accord.core.jobs.queue import (
    build_queue,
    get_queue,
    load_job_modules,
    reset_queue,
    start_embedded_consumer,
)
from accord.core.jobs.service import JobContext, JobService, job_handler, registered_handlers

__all__ = [
    "Job",
    "JobContext",
    "JobService",
    "JobStatus",
    "build_queue",
    "get_queue",
    "job_handler",
    "load_job_modules",
    "registered_handlers",
    "reset_queue",
    "start_embedded_consumer",
]
