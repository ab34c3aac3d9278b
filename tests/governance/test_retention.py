"""Retention: expired data erased on schedule, deletion certificates in the ledger, legal holds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.governance.retention import RetentionService, load_rules
from tests.helpers import add_case


@pytest.fixture
def setup(accord_env, make_user):  # type: ignore[no-untyped-def]
    governance = get_governance()
    officer = make_user("li.wei", Role.OFFICER)
    caller = Caller(officer.id, officer.username, frozenset({"officer"}))
    for reference in ("CASE-1", "CASE-2"):
        add_case(governance.gateway.database, reference, officer.id)
    for case in ("CASE-1", "CASE-2", "CASE-2"):
        governance.gateway.invoke(caller, GatewayRequest(
            "interpret.langid", "victim-assistance", "police-law-art-2",
            {"text": "Mi chiamo Mario Rossi, ho perso il passaporto"}, case_ref=case))
    dpo = make_user("zhou.min", Role.DPO)
    return governance, RetentionService(governance.gateway.database, governance.ledger), dpo


def test_nothing_is_erased_before_its_time(setup) -> None:
    governance, retention, _ = setup
    assert retention.run(now=utcnow() + timedelta(days=89)) == []
    with governance.gateway.database.session() as session:
        assert all(d.inputs for d in session.scalars(select(Decision)))


def test_expired_content_is_erased_certified_and_the_ledger_still_verifies(setup) -> None:
    governance, retention, _ = setup
    [certificate] = retention.run(now=utcnow() + timedelta(days=91))
    assert (certificate.category, certificate.count, certificate.held_back) == \
        ("ai-decision-content", 3, 0)
    with governance.gateway.database.session() as session:
        for decision in session.scalars(select(Decision)):
            assert decision.inputs is None and decision.output is None and decision.salt is None
            assert decision.erased_at is not None
        entry = json.loads(session.get(LedgerEntry, certificate.ledger_seq).body)
    assert entry["kind"] == "deletion-certificate" and entry["count"] == 3
    assert entry["references_digest"].startswith("sha256:")
    assert "Mario" not in json.dumps(entry)
    governance.ledger.checkpoint()
    assert governance.ledger.verify().ok
    # A second run finds nothing more to do and writes no certificate.
    assert retention.run(now=utcnow() + timedelta(days=92)) == []


def test_legal_hold_blocks_deletion_until_released(setup) -> None:
    governance, retention, dpo = setup
    retention.hold("CASE-2", "appeal pending", dpo.id)
    with pytest.raises(Conflict):
        retention.hold("CASE-2", "again", dpo.id)
    [certificate] = retention.run(now=utcnow() + timedelta(days=91))
    assert (certificate.count, certificate.held_back) == (1, 2)
    with governance.gateway.database.session() as session:
        kept = [d.case_ref for d in session.scalars(select(Decision)) if d.inputs]
    assert kept == ["CASE-2", "CASE-2"]
    [expiry] = [e for e in retention.upcoming(now=utcnow() + timedelta(days=91))
                if e.rule.category == "ai-decision-content"]
    assert expiry.held_back == 2 and expiry.due_now == 0
    retention.release("CASE-2", dpo.id)
    with pytest.raises(NotFound):
        retention.release("CASE-2", dpo.id)
    [certificate] = retention.run(now=utcnow() + timedelta(days=91))
    assert certificate.count == 2


def test_upcoming_shows_when_data_expires_next(setup) -> None:
    _, retention, _ = setup
    [expiry] = [e for e in retention.upcoming() if e.rule.category == "ai-decision-content"]
    assert expiry.due_now == 0 and expiry.next_expiry is not None
    delta = expiry.next_expiry - utcnow()
    assert timedelta(days=89) < delta <= timedelta(days=90)


def test_hold_needs_a_reason(setup) -> None:
    _, retention, dpo = setup
    with pytest.raises(ValidationFailed):
        retention.hold("CASE-1", "  ", dpo.id)


@pytest.mark.parametrize("text, message", [
    ("rules:\n  - category: job-results\n    days: 0\n    action: erase\n"
     "    description: d\n    rule: r\n", "days must be"),
    ("rules:\n  - category: job-results\n    days: 3\n    action: shred\n"
     "    description: d\n    rule: r\n", "action one of"),
    ("rules:\n  - category: photos\n    days: 3\n    action: erase\n"
     "    description: d\n    rule: r\n", "unknown categories"),
    ("rules:\n  - category: job-results\n    days: 3\n", "missing or bad field"),
])
def test_malformed_retention_rules_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_rules(text)


def test_shipped_rules_load() -> None:
    categories = {rule.category for rule in load_rules()}
    assert "ai-decision-content" in categories


def test_public_reports_expire_after_their_period(setup) -> None:
    from accord.interpret.models import InterviewReport

    governance, retention, _ = setup
    database = governance.gateway.database
    with database.session() as session:
        columns = {c.name for c in InterviewReport.__table__.columns}
        values = {"reference": "RPT-TESTONE123", "form_id": "lost-passport", "form_version": 1,
                  "language": "es", "channel": "public", "status": "draft",
                  "answers": {"name": "Ana"}, "content_statuses": {}, "client_digest": "x"}
        session.add(InterviewReport(**{k: v for k, v in values.items() if k in columns}))
    certificates = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=181))}
    assert certificates["public-reports"].count == 1
    with database.session() as session:
        assert session.scalars(select(InterviewReport)).all() == []


def test_closed_case_files_expire_unless_held(accord_env, make_user) -> None:  # type: ignore[no-untyped-def]
    from accord.cases.models import Case, Person, Statement
    from accord.cases.search import search_cases
    from accord.cases.service import CaseService
    from accord.config import get_settings
    from accord.core.blobs import BlobStore

    governance = get_governance()
    database = governance.gateway.database
    officer = make_user("case.keeper", Role.OFFICER)
    dpo = make_user("case.dpo", Role.DPO)
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(get_settings().state_dir))
        refs = []
        for name in ("Lucia Ferrante", "Pavel Orlov", "Mina Park"):
            case = service.create_case(case_type="theft-victim", title=f"Theft from {name}",
                                       officer_id=officer.id)
            person = service.add_person(case, role="victim", full_name=name, nationality="ITA")
            service.add_statement(case, person_id=person.id, language="en",
                                  text=f"{name}: my wallet was taken on the metro.")
            refs.append(case.reference)
        session.commit()
        for ref in refs[:2]:
            service.set_status(service.get(ref), "closed", by_user=officer.id)
        session.commit()
    retention = RetentionService(database, governance.ledger)
    retention.hold(refs[1], "appeal pending", dpo.id)

    early = retention.run(now=utcnow() + timedelta(days=1824))
    assert all(c.category != "closed-cases" for c in early)  # not yet five years closed
    certificates = retention.run(now=utcnow() + timedelta(days=1826))
    [closed] = [c for c in certificates if c.category == "closed-cases"]
    assert (closed.count, closed.held_back) == (1, 1)
    with database.session() as session:
        left = set(session.scalars(select(Case.reference)))
        assert left == {refs[1], refs[2]}  # the held case and the open one stay
        assert not session.scalars(select(Person).where(Person.full_name == "Lucia Ferrante")).all()
        assert not session.scalars(select(Statement).where(
            Statement.text.like("Lucia Ferrante%"))).all()
        assert search_cases(session, "Ferrante") == []  # gone from the search index too
        entry = json.loads(session.get(LedgerEntry, closed.ledger_seq).body)
    assert entry["kind"] == "deletion-certificate" and "Ferrante" not in json.dumps(entry)
    governance.ledger.checkpoint()
    assert governance.ledger.verify().ok


def test_a_reviewers_corrected_output_expires_with_its_decision(setup) -> None:
    from accord.core.gateway.models import Review

    governance, retention, _ = setup
    with governance.gateway.database.session() as session:
        decision = session.scalars(select(Decision)).first()
        session.add(Review(decision_id=decision.id, capability_id=decision.capability_id,
                           required_role="supervisor", status="edited",
                           reason="language corrected after asking the person",
                           edited_output={"language": "it", "note": "Mario Rossi"}))
        session.commit()
    retention.run(now=utcnow() + timedelta(days=91))
    with governance.gateway.database.session() as session:
        review = session.scalars(select(Review)).one()
        assert review.edited_output is None  # content gone
        assert review.reason == "language corrected after asking the person"  # oversight kept
