"""Heavy models run in bounded worker processes, not in the web process.

The web process only checks policy, waits and writes the decision and its ledger entry; the
runner runs in a model worker, which is killed when it overruns the capability's time limit and
replaced on the next call; a per-capability bound keeps calls of one capability from running at
once beyond it; a runner's own refusal (a 4xx) comes back as itself.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accord.core.errors import ValidationFailed
from accord.core.gateway.isolation import reset_model_processes
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest, GatewayService, ModelFailed
from accord.core.governance import Governance
from tests.core.gateway.conftest import _test_capability
from tests.scale import model_runners


@pytest.fixture
def gov(governance: Governance) -> Iterator[Governance]:
    registry = governance.registry
    registry.register(_test_capability("test.where", model_runners.where,
                                       isolation="process"))
    registry.register(_test_capability("test.spin", model_runners.spin, isolation="process",
                                       timeout_seconds=6.0))
    registry.register(_test_capability("test.refuse", model_runners.refuse,
                                       isolation="process"))
    registry.register(_test_capability("test.crash", model_runners.crash,
                                       isolation="process"))
    registry.register(_test_capability("test.exclusive", model_runners.exclusive,
                                       isolation="process", max_concurrent=1,
                                       timeout_seconds=30.0))
    yield governance
    reset_model_processes()


def _call(gateway: GatewayService, caller: Caller, capability_id: str, text: str) -> Any:
    return gateway.invoke(caller, GatewayRequest(
        capability_id=capability_id, purpose="victim-assistance", legal_basis="consent",
        inputs={"text": text}))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child may linger as a zombie until reaped; that is not running.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_the_model_runs_in_a_worker_and_the_decision_is_ledgered_here(
        gov: Governance, officer: Caller) -> None:
    result = _call(gov.gateway, officer, "test.where", "hello")
    assert result.output["pid"] != os.getpid()
    again = _call(gov.gateway, officer, "test.where", "again")
    assert again.output["pid"] == result.output["pid"]  # a long-lived worker, reused
    with gov.ledger.database.session() as session:
        decision = session.get(Decision, result.decision_id)
        assert decision is not None and decision.ledger_seq == result.ledger_seq
        assert session.get(LedgerEntry, result.ledger_seq) is not None


def test_an_overrunning_model_is_killed_ledgered_and_replaced(
        gov: Governance, officer: Caller, tmp_path: Path) -> None:
    marker = tmp_path / "spinning.pid"
    with pytest.raises(ModelFailed) as failed:
        _call(gov.gateway, officer, "test.spin", str(marker))
    pid = int(marker.read_text())
    assert pid != os.getpid()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)  # killed, not left burning a CPU
    with gov.ledger.database.session() as session:
        entry = session.get(LedgerEntry, failed.value.params["seq"])
        assert entry is not None and entry.kind == "failure" and "timeout" in entry.body
    assert _call(gov.gateway, officer, "test.where", "after").output["pid"] != pid


def test_a_runner_refusal_comes_back_as_itself_and_a_crash_is_a_failure(
        gov: Governance, officer: Caller) -> None:
    with pytest.raises(ValidationFailed, match="not a recording"):
        _call(gov.gateway, officer, "test.refuse", "x")
    with pytest.raises(ModelFailed) as failed:
        _call(gov.gateway, officer, "test.crash", "x")
    with gov.ledger.database.session() as session:
        entry = session.get(LedgerEntry, failed.value.params["seq"])
        assert entry is not None and "ModelProcessDied" in entry.body
        assert session.scalars(select(Decision).where(
            Decision.capability_id == "test.crash")).all() == []


def test_the_per_capability_bound_holds(gov: Governance, officer: Caller,
                                        tmp_path: Path) -> None:
    marker = str(tmp_path / "running")
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: _call(gov.gateway, officer, "test.exclusive",
                                                marker), range(3)))
    assert len({r.decision_id for r in results}) == 3
