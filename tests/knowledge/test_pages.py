"""The /knowledge pages: ask, results verbatim with citation and status, "no passage found"
with the ask-the-legal-officer button, the legal officers' queue, verification, guidance."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from accord.core.db import Database
from accord.core.roles import Role
from accord.knowledge.retrieval import reset_sync_cache
from accord.knowledge.service import KnowledgeService
from tests.helpers import login


@pytest.fixture
def kb(database: Database) -> Database:
    reset_sync_cache()
    with database.session() as session:
        KnowledgeService(session).sync()
    return database


def test_ask_then_queue_then_answer_then_verify(client: TestClient, kb: Database,  # type: ignore[no-untyped-def]
                                                make_user) -> None:
    make_user("officer.p", Role.OFFICER)
    make_user("legal.p", Role.LEGAL)
    make_user("legal.p2", Role.LEGAL)
    csrf = login(client, "officer.p")
    assert client.get("/knowledge").status_code == 200
    page = client.post("/knowledge/ask", data={"question": "美国公民被拘留后几天内要通知领馆？",
                                               "csrf_token": csrf})
    assert page.status_code == 200
    assert 'data-found="yes"' in page.text
    assert "Consular Convention between the PRC and the USA (1980) Art. 35" in page.text
    assert "逮捕或拘留对方国民的，必须在4日内通知其领馆" in page.text  # the passage, verbatim
    assert 'data-testid="passage-status">verified<' in page.text
    # without the CSRF token nothing is asked
    assert client.post("/knowledge/ask", data={"question": "x"}).status_code == 403

    page = client.post("/knowledge/ask", data={"question": "出租车拒载怎么处罚？",
                                               "csrf_token": csrf})
    assert 'data-found="no"' in page.text and "No passage found" in page.text
    decision = re.search(r'name="decision_id" value="([^"]+)"', page.text)
    assert decision is not None
    asked = client.post("/knowledge/questions", data={
        "question": "出租车拒载怎么处罚？", "decision_id": decision.group(1), "csrf_token": csrf},
        follow_redirects=False)
    assert asked.status_code == 303
    mine = client.get(asked.headers["location"])
    assert "出租车拒载怎么处罚？" in mine.text and 'data-status="open"' in mine.text
    assert "Citation (law and article" not in mine.text  # officers cannot answer
    question_id = re.search(r"/knowledge/questions/(\d+)/answer|#(\d+)", mine.text)
    assert question_id is not None
    number = question_id.group(1) or question_id.group(2)
    refused = client.post(f"/knowledge/questions/{number}/answer",
                          data={"text": "x", "citation": "y", "csrf_token": csrf})
    assert refused.status_code == 403

    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "legal.p")
    queue = client.get("/knowledge/questions")
    assert f"/knowledge/questions/{number}/answer" in queue.text
    empty = client.post(f"/knowledge/questions/{number}/answer",
                        data={"text": "答复", "citation": "", "language": "zh",
                              "csrf_token": csrf})
    assert empty.status_code == 422 and 'data-testid="form-error"' in empty.text
    answered = client.post(f"/knowledge/questions/{number}/answer",
                           data={"text": "由道路运输管理机构处理。",
                                 "citation": "出租汽车经营服务管理规定", "language": "zh",
                                 "csrf_token": csrf}, follow_redirects=False)
    assert answered.status_code == 303
    passage_url = answered.headers["location"]
    page = client.get(passage_url)
    assert "由道路运输管理机构处理。" in page.text and 'data-status="unverified"' in page.text
    own = client.post(f"{passage_url}/verify", data={"csrf_token": csrf})
    assert own.status_code == 403  # not by its author

    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "legal.p2")
    verified = client.post(f"{passage_url}/verify", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert verified.status_code == 303
    assert 'data-status="verified"' in client.get(passage_url).text
    assert client.get("/knowledge/passages/999999").status_code == 404


def test_guidance_page_filters_by_stated_need(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("officer.g", Role.OFFICER)
    login(client, "officer.g")
    page = client.get("/knowledge/guidance?need=dietary")
    assert page.status_code == 200
    assert 'data-id="dietary-needs-custody"' in page.text
    assert 'data-id="prayer-custody"' not in page.text
    assert "Nelson Mandela Rules" in page.text  # every statement names its source
    everything = client.get("/knowledge/guidance")
    assert everything.text.count('data-testid="guidance"') >= 10


def test_roles_outside_the_lookup_are_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("analyst.k", Role.ANALYST)
    login(client, "analyst.k")
    assert client.get("/knowledge").status_code == 403
