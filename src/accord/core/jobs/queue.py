"""The task queue: Huey, embedded with SQLite storage by default, Redis in production.

Huey gives us persistence, retries and a consumer we can run either inside the web process
(``ACCORD_EMBEDDED_WORKER=true``, the default, for a one-command install) or as separate
``accord worker`` processes. Jobs are recorded in our own table so that pages can show progress
whatever the queue backend.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from accord.config import Settings, get_settings
from accord.core.contract import CapabilityPackage, installed

log = logging.getLogger(__name__)


class AccordQueue:
    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._run = huey.task(name="accord.run_job")(_run_job)
        # Sign a ledger checkpoint every minute when the ledger grew, so new decisions are
        # covered by a signed tree head soon after they are written.
        huey.periodic_task(crontab(minute="*"), name="accord.checkpoint")(_checkpoint)
        # Periodic work the capability packages declare (e.g. governance's nightly retention).
        for package in installed():
            for name, schedule, function in package.periodic:
                huey.periodic_task(crontab(**schedule), name=name)(function)

    def enqueue_job(self, job_id: str) -> None:
        self._run(job_id)


def _run_job(job_id: str) -> None:
    from accord.core.jobs.service import JobService
    from accord.core.runtime import get_database

    JobService(get_database()).run(job_id)


def _checkpoint() -> None:
    from accord.core.governance import get_governance

    get_governance().ledger.checkpoint()


def load_job_modules(packages: Iterable[CapabilityPackage] | None = None) -> None:
    """Import the modules that register job handlers: core's and each package's. Web app and
    ``accord worker`` both call this, so they run the same handlers."""
    modules = ["accord.core.accounts.jobs"]
    for package in installed() if packages is None else packages:
        modules.extend(package.job_modules)
    for module in modules:
        importlib.import_module(module)


def build_queue(settings: Settings) -> AccordQueue:
    if settings.queue == "redis":
        huey: Huey = RedisHuey("accord", url=settings.redis_url)
    elif settings.queue == "sqlite":
        path = settings.ensure_state_dir() / "queue.sqlite3"
        huey = SqliteHuey("accord", filename=str(path))
    elif settings.queue == "immediate":
        # Runs each task synchronously in the caller, through Huey's real task machinery.
        huey = SqliteHuey("accord", filename=":memory:", immediate=True)
    else:
        raise ValueError(
            f"ACCORD_QUEUE must be 'sqlite', 'redis' or 'immediate', not {settings.queue!r}"
        )
    return AccordQueue(huey)


_lock = threading.Lock()
_queue: AccordQueue | None = None


def get_queue() -> AccordQueue:
    global _queue
    with _lock:
        if _queue is None:
            _queue = build_queue(get_settings())
        return _queue


def reset_queue() -> None:
    global _queue
    with _lock:
        _queue = None


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A Huey consumer that runs in threads of the web process.

    The stock consumer installs signal handlers, which belong to the server (uvicorn) here.
    """

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(workers: int = 2) -> Any:
    """Start worker threads; returns the consumer so the caller can stop it."""
    queue = get_queue()
    if queue.huey.immediate:
        return None
    consumer = _EmbeddedConsumer(queue.huey, workers=workers, worker_type="thread",
                                 periodic=True, check_worker_health=False)
    consumer.start()
    log.info("embedded queue consumer started", extra={"workers": workers})
    return consumer
