"""Fixtures for the training package's tests."""

from __future__ import annotations

import pytest

from accord.core.gateway.service import Caller
from accord.core.governance import get_governance
from accord.core.roles import Role


@pytest.fixture
def hints_cleared(make_user) -> None:  # type: ignore[no-untyped-def]
    """The DPO approves the assessments of the inconsistency hints, so that only the
    certificate stands between an officer and the capability."""
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    dpo = make_user("dpo.training", Role.DPO)
    service = DpoService.from_governance(get_governance())
    for kind in ASSESSMENT_KINDS:
        service.record_assessment(Caller(dpo.id, dpo.username, frozenset({"dpo"})),
                                  capability_id="cases.inconsistency", kind=kind,
                                  outcome="approved", summary=f"test {kind}")
