"""``isolation="thread"`` capabilities run on a bounded set of long-lived model threads: the
caller gets the runner's result or its exception, a call over its time limit (queueing
included) raises ModelTimeout at the limit, a queued call whose caller gave up never runs, and
no more than ``size`` threads ever exist however many callers there are."""

from __future__ import annotations

import threading
import time

import pytest

from accord.core.gateway.isolation import ModelThreads, ModelTimeout


def test_the_caller_gets_the_result_or_the_exception_from_a_reused_thread() -> None:
    threads = ModelThreads(2, "test-model")
    ran_on = set()

    def upper(inputs: dict[str, str]) -> str:
        ran_on.add(threading.current_thread().name)
        return inputs["text"].upper()

    assert [threads.run(upper, {"text": t}, 5) for t in ("a", "b", "c")] == ["A", "B", "C"]
    assert len(ran_on) == 1 and next(iter(ran_on)).startswith("test-model")
    assert threading.current_thread().name not in ran_on

    def broken(_inputs: object) -> None:
        raise KeyError("no such model")

    with pytest.raises(KeyError, match="no such model"):
        threads.run(broken, {}, 5)
    assert threads.run(upper, {"text": "still serving"}, 5) == "STILL SERVING"


def test_over_its_time_limit_a_call_raises_at_the_limit_and_a_queued_one_never_runs() -> None:
    threads = ModelThreads(1, "test-model")
    release, started, late = threading.Event(), threading.Event(), []

    def hang(_inputs: object) -> str:
        started.set()
        release.wait(30)
        return "too late"

    def queued(_inputs: object) -> None:
        late.append("ran")

    began = time.monotonic()
    with pytest.raises(ModelTimeout):
        threads.run(hang, {}, 0.2)
    assert started.is_set()
    assert 0.15 < time.monotonic() - began < 5
    # The only thread is still busy: this call waits in the queue, past its limit.
    with pytest.raises(ModelTimeout):
        threads.run(queued, {}, 0.1)
    release.set()
    assert threads.run(lambda inputs: inputs, "next", 5) == "next"
    assert late == []  # its caller had given up: it was dropped, not run


def test_no_more_than_size_threads_however_many_callers() -> None:
    threads = ModelThreads(3, "test-model")
    running, most, lock = [0], [0], threading.Lock()
    names: set[str] = set()

    def busy(_inputs: object) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            names.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    callers = [threading.Thread(target=lambda: threads.run(busy, {}, 30)) for _ in range(12)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(60)
    assert most[0] == 3
    assert len(names) == 3
