"""Schemathesis against the JSON API, in-process, with a real API token.

Every operation of the published document (``/api/v1/openapi.json``) gets a bounded number of
generated requests — valid ones and ones that break the schema — sent through the ASGI app
with a real bearer token of a user holding every staff role. Each answer must be no 5xx, a
documented status, a documented content type and headers, and a body that matches the schema.
Failures are collected over all operations and reported together, so one run shows every
defect. The example count is small on purpose (the suite's time budget): the test is a net
for drift between the document and the answers, not an exhaustive fuzzer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")  # the `test` extra pins it

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accord.core.accounts import AccountService  # noqa: E402
from accord.core.db import Database  # noqa: E402
from accord.core.roles import Role  # noqa: E402

EXAMPLES_PER_OPERATION = 5
# Schemathesis gives up on an answer after 10 s by default; on a loaded shared machine the
# first request (which builds the document) took longer. A hang would still fail.
TIMEOUT_SECONDS = 120
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
STAFF = (Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN)


def _token(database: Database, make_user: Any) -> str:
    user = make_user("api.fuzzer", *STAFF)
    with database.session() as session:
        accounts = AccountService(session)
        return accounts.issue_token(accounts.get_user(user.id), "schemathesis").token


def _run_operation(operation: Any, strategy: Any, label: str, headers: dict[str, str],
                   failures: list[str], statuses: Counter[str]) -> None:
    """Send cases drawn from ``strategy`` for one operation, collecting failures."""

    # derandomize: the same cases on every run, so CI cannot flake on a lucky draw.
    @given(case=strategy)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS,
                                              timeout=TIMEOUT_SECONDS)
            statuses[f"{response.status_code // 100}xx"] += 1
        except (Exception, FailureGroup) as error:  # collected: every operation still runs
            failures.append(f"{operation.label} [{label}]: {str(error)[:1500]}")

    run()


def test_every_api_operation_matches_its_document(client: TestClient, database: Database,
                                                 make_user: Any) -> None:
    token = _token(database, make_user)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app, headers=headers,
                                            timeout=TIMEOUT_SECONDS)
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # The documented examples first (they reach the success paths), then generated
        # valid and invalid requests.
        examples = operation.get_strategies_from_examples()
        if examples:
            _run_operation(operation, st.one_of(examples), "examples", headers, failures,
                           statuses)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_operation(operation, operation.as_strategy(generation_mode=mode), mode.value,
                           headers, failures, statuses)
    assert not failures, f"{len(failures)} failing case(s):\n\n" + "\n\n".join(failures)
    assert operations >= 15, "the document lost operations"
    # Not only refusals: some calls succeeded, so the success schemas were checked too.
    assert statuses["2xx"] >= operations // 2, statuses
    assert statuses["4xx"] > 0, statuses
