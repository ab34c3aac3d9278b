"""Heavy model calls run in worker processes, not in the web process.

A transcription or a passport read can keep a CPU busy for a minute and, run on a thread of the
web process, holds the interpreter long enough that ``/healthz`` took 75 s to answer. Capabilities
that declare ``isolation="process"`` therefore run here: in a small, bounded pool of long-lived
worker processes (started on first use, niced so the web process keeps the CPU it needs), with

- a pool-wide bound (``ACCORD_MODEL_PROCESSES``) and a per-capability bound
  (``Capability.max_concurrent``): a burst of one capability cannot take every worker;
- a real time limit: time spent queueing counts against the capability's ``timeout_seconds``,
  and a worker that overruns it is killed (a thread cannot be), so a runaway model stops using
  the CPU; the next call starts a fresh worker.

Only the model call moves. Policy, the object-access check and the ledger write stay in the
calling process, in its transaction (see :meth:`GatewayService.invoke`). Runners must be
module-level functions (they are sent by reference); anything else runs on a thread as before.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Iterable, Mapping
from multiprocessing.connection import Connection
from typing import Any

from accord.core.errors import AccordError
from accord.core.registry import Capability, ModelOutput

#: Niceness of model workers: under load the web process answers first.
WORKER_NICENESS = 10
#: How long a new worker may take to import Accord and its packages.
WORKER_START_SECONDS = 120.0


class ModelTimeout(Exception):
    """The call did not finish (queueing included) within the capability's time limit."""


class ModelProcessError(Exception):
    """The runner raised in its worker, or the worker died; ``kind`` names what happened."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


def _serve(connection: Connection) -> None:
    """A worker's loop: run one (runner, inputs) at a time and send back the outcome."""
    with contextlib.suppress(OSError):  # not permitted: run at normal priority
        os.nice(WORKER_NICENESS)
    connection.send(("ready", os.getpid()))
    while True:
        try:
            runner, inputs, settings = connection.recv()
        except (EOFError, OSError):
            return
        _adopt(settings)
        try:
            reply: tuple[Any, ...] = ("ok", runner(inputs))
        except BaseException as error:  # every failure goes back to the caller
            reply = ("error", type(error).__name__, str(error), _portable(error))
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return
        except Exception as error:  # an output that cannot be sent back
            connection.send(("error", type(error).__name__, str(error), None))


def _settings() -> dict[str, str]:
    """The caller's Accord settings (``ACCORD_*`` variables): a worker runs with the settings
    of whoever calls it, not those its process happened to start with."""
    return {key: value for key, value in os.environ.items() if key.startswith("ACCORD_")}


def _adopt(settings: dict[str, str]) -> None:
    if settings == _settings():
        return
    for key in [key for key in os.environ if key.startswith("ACCORD_")]:
        del os.environ[key]
    os.environ.update(settings)
    from accord.config import reset_settings_cache
    from accord.core.runtime import reset_runtime

    reset_settings_cache()
    reset_runtime()


def _portable(error: BaseException) -> BaseException | None:
    """The error itself if it survives pickling (Accord's own errors carry the 4xx the
    caller should see), else None."""
    if not isinstance(error, AccordError):
        return None
    try:
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object, round trip)
    except Exception:
        return None
    return copy if isinstance(copy, AccordError) else None


class _Worker:
    def __init__(self, context: Any) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True,
                                       name="accord-model")
        self.process.start()
        child.close()
        # Starting a worker (imports, packages) is not the model's time: wait for it apart.
        if not self.connection.poll(WORKER_START_SECONDS):
            self.stop()
            raise ModelProcessError("ModelProcessStartTimeout")
        try:
            self.connection.recv()
        except (EOFError, OSError):
            self.stop()
            raise ModelProcessError("ModelProcessDied", "while starting") from None

    def call(self, runner: Any, inputs: Mapping[str, Any], timeout: float) -> ModelOutput:
        self.connection.send((runner, dict(inputs), _settings()))
        if not self.connection.poll(max(0.0, timeout)):
            raise ModelTimeout()
        try:
            reply = self.connection.recv()
        except (EOFError, OSError):
            raise ModelProcessError("ModelProcessDied",
                                    f"exit code {self.process.exitcode}") from None
        if reply[0] == "ok":
            result: ModelOutput = reply[1]
            return result
        _, kind, message, portable = reply
        if portable is not None:
            raise portable
        raise ModelProcessError(kind, message)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()


class ModelProcesses:
    """The bounded pool of model worker processes of this process (one per process)."""

    def __init__(self, processes: int, preload: Iterable[str] = ()) -> None:
        self.size = max(1, processes)
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._limits: dict[str, threading.BoundedSemaphore] = {}
        self._context = multiprocessing.get_context("forkserver")
        # The fork server imports the runners' modules (and so their libraries) once; each
        # worker forks from it ready-made instead of paying the imports again (and after every
        # kill).
        self._context.set_forkserver_preload(
            ["accord.core.gateway.isolation", *sorted(set(preload))])

    def _limit(self, capability: Capability) -> threading.BoundedSemaphore:
        with self._lock:
            limit = self._limits.get(capability.id)
            if limit is None:
                wanted = capability.max_concurrent or self.size
                limit = self._limits[capability.id] = threading.BoundedSemaphore(wanted)
            return limit

    def run(self, capability: Capability, inputs: Mapping[str, Any]) -> ModelOutput:
        """Run ``capability``'s runner on ``inputs`` in a worker; raise :class:`ModelTimeout`
        when it does not finish within ``capability.timeout_seconds`` (queueing included)."""
        deadline = time.monotonic() + capability.timeout_seconds
        limit = self._limit(capability)
        if not limit.acquire(timeout=capability.timeout_seconds):
            raise ModelTimeout()
        try:
            if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise ModelTimeout()
            try:
                return self._call(capability, inputs, deadline)
            finally:
                self._slots.release()
        finally:
            limit.release()

    def _call(self, capability: Capability, inputs: Mapping[str, Any],
              deadline: float) -> ModelOutput:
        remaining = deadline - time.monotonic()  # a worker's start-up is not counted
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None or not worker.process.is_alive():
            worker = _Worker(self._context)
        healthy = False
        try:
            result = worker.call(capability.runner, inputs, remaining)
            healthy = True
            return result
        except (AccordError, ModelProcessError) as error:
            # The runner raised, and the worker is still serving unless it died.
            healthy = not (isinstance(error, ModelProcessError)
                           and error.kind == "ModelProcessDied")
            raise
        finally:
            if healthy:
                with self._lock:
                    self._idle.append(worker)
            else:  # overran its time, died, or the pipe broke: never reuse it
                worker.stop()

    def workers(self) -> list[int]:
        """Process ids of the idle workers (for tests and the ops page)."""
        with self._lock:
            return [w.process.pid for w in self._idle if w.process.pid is not None]

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_pool: ModelProcesses | None = None
_pool_lock = threading.Lock()


def model_processes(capabilities: Iterable[Capability] = ()) -> ModelProcesses:
    """This process's pool, sized by ``ACCORD_MODEL_PROCESSES``; made on first use, with the
    runner modules of ``capabilities`` that run in it preloaded."""
    global _pool
    with _pool_lock:
        if _pool is None:
            from accord.config import get_settings

            modules = [c.runner.__module__ for c in capabilities
                       if runs_in_process(c) and c.runner is not None]
            _pool = ModelProcesses(get_settings().model_processes, modules)
        return _pool


def reset_model_processes() -> None:
    """Stop the workers (tests; the web app's shutdown)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def runs_in_process(capability: Capability) -> bool:
    """Whether ``capability`` runs in the worker pool: it asks for it, and its runner can be
    sent by reference (a module-level function)."""
    if capability.isolation != "process" or capability.runner is None:
        return False
    runner = capability.runner
    qualname = getattr(runner, "__qualname__", "")
    return bool(getattr(runner, "__module__", None)) and "<" not in qualname


class _ThreadCall:
    """One call handed to a model thread: the runner, its inputs, and what came back."""

    __slots__ = ("done", "error", "given_up", "inputs", "result", "runner")

    def __init__(self, runner: Any, inputs: Mapping[str, Any]) -> None:
        self.runner = runner
        self.inputs = inputs
        self.result: Any = None
        self.error: BaseException | None = None
        self.given_up = False  # the caller timed out: if not started yet, it never starts
        # Held until the call is settled; the caller waits on it, within its time limit.
        self.done = threading.Lock()
        self.done.acquire()


class ModelThreads:
    """A bounded set of long-lived threads for ``isolation="thread"`` capabilities.

    The caller puts its call on a queue and waits on a lock of its own that the thread
    releases when the call is settled: one queue operation and one lock each way. It replaced
    a ``ThreadPoolExecutor``, whose future, condition and work item cost ~20 us more per call
    on the gateway's path (~35 us of CPU), the same hand-off otherwise. A call that is not
    settled within its time limit (queueing included) raises :class:`ModelTimeout`; one still
    queued then is dropped, one already running cannot be stopped and finishes unobserved.
    """

    def __init__(self, size: int = 4, name: str = "accord-model") -> None:
        self.size = size
        self.name = name
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue[_ThreadCall] = queue.SimpleQueue()
        self._threads = 0
        self._idle = 0
        self._pid = os.getpid()

    def run(self, runner: Any, inputs: Mapping[str, Any], timeout: float) -> Any:
        """``runner(inputs)`` on a model thread; its result, or what it raised."""
        call = _ThreadCall(runner, inputs)
        with self._lock:
            if self._pid != os.getpid():  # a forked child has none of its parent's threads
                self._pid, self._threads, self._idle = os.getpid(), 0, 0
                self._calls = queue.SimpleQueue()
            if self._idle:
                self._idle -= 1  # an idle thread takes it
            elif self._threads < self.size:
                self._threads += 1
                threading.Thread(target=self._serve, args=(self._calls,), daemon=True,
                                 name=f"{self.name}_{self._threads - 1}").start()
            self._calls.put(call)
        if not call.done.acquire(timeout=max(0.0, timeout)):
            call.given_up = True
            raise ModelTimeout(f"no answer within {timeout:g} s")
        if call.error is not None:
            raise call.error
        return call.result

    def _serve(self, calls: queue.SimpleQueue[_ThreadCall]) -> None:
        while True:
            call = calls.get()
            if not call.given_up:
                try:
                    call.result = call.runner(call.inputs)
                except BaseException as error:  # every failure goes back to the caller
                    call.error = error
            with self._lock:  # idle before the caller wakes: its next call finds this thread
                self._idle += 1
            call.done.release()
            del call  # not kept alive while idle
