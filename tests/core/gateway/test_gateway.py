"""The governed gateway: policy, minimum-necessary inputs, prohibited uses, stop control,
time limits, atomic storage with a ledger entry, and review gating."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from accord.core.errors import ValidationFailed
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import (
    Caller,
    GatewayDenied,
    GatewayRequest,
    ModelFailed,
    ReviewPending,
    ReviewRejected,
)
from tests.helpers import add_case


def _langid(text: str, purpose: str = "victim-assistance", **extra) -> GatewayRequest:
    return GatewayRequest(capability_id="interpret.langid", purpose=purpose,
                          legal_basis="police-law-art-2", inputs={"text": text}, **extra)


def _entry(db, seq: int) -> dict:
    with db.session() as session:
        return json.loads(session.get(LedgerEntry, seq).body)


def test_officer_identifies_language_through_the_gateway(gateway, officer, db) -> None:
    text = "Me robaron el pasaporte en el metro esta mañana"
    add_case(db, "CASE:2026-0001", officer.user_id)
    result = gateway.invoke(officer, _langid(text, case_ref="CASE:2026-0001"))
    assert result.output["language"] == "es"
    assert result.confidence is not None and result.confidence > 0.9
    assert "es" in result.explanation
    entry = _entry(db, result.ledger_seq)
    assert entry["kind"] == "decision" and entry["decision"] == result.decision_id
    assert entry["capability"] == {"id": "interpret.langid", "version": "1.0.0"}
    assert entry["model"]["digest"].startswith("sha256:")
    assert entry["policy"]["decision"] == "allow" and entry["policy"]["version"]
    assert entry["actor"] == f"user:{officer.user_id}" and entry["case_ref"] == "CASE:2026-0001"
    # No personal data in the ledger: the text appears only as a salted digest.
    raw = json.dumps(entry, ensure_ascii=False)
    assert "pasaporte" not in raw and "li.wei" not in raw
    assert entry["input_digest"].startswith("hmac-sha256:")
    with db.session() as session:
        stored = session.get(Decision, result.decision_id)
        assert stored.inputs == {"text": text} and stored.ledger_seq == result.ledger_seq


def test_role_not_allowed_is_denied_and_the_denial_is_ledgered(gateway, make_user, db) -> None:
    from accord.core.roles import Role

    analyst = make_user("wang.fang", Role.ANALYST)
    caller = Caller(analyst.id, analyst.username, frozenset({"analyst"}))
    with pytest.raises(GatewayDenied) as denied:
        gateway.invoke(caller, _langid("Bonjour"))
    entry = _entry(db, denied.value.ledger_seq)
    assert entry["kind"] == "denial" and entry["policy"]["decision"] == "deny"
    assert "forbid-role-not-allowed" in entry["policy"]["reasons"]
    assert denied.value.reasons_in("zh_Hans")  # explained in Chinese too


def test_unlisted_purpose_is_denied_by_default(gateway, officer) -> None:
    with pytest.raises(GatewayDenied) as denied:
        gateway.invoke(officer, _langid("Bonjour", purpose="curiosity"))
    assert [r.policy_id for r in denied.value.reasons] == ["default-deny"]


def test_prohibited_use_is_refused_with_an_explanation_and_ledgered(gateway, officer,
                                                                    db) -> None:
    request = GatewayRequest(capability_id="vision.watchlist-identification",
                             purpose="victim-assistance", legal_basis="police-law-art-2",
                             inputs={})
    with pytest.raises(GatewayDenied) as denied:
        gateway.invoke(officer, request)
    assert "mass biometric surveillance" in denied.value.reasons_in("en")
    assert "大规模生物特征监控" in denied.value.reasons_in("zh_Hans")
    entry = _entry(db, denied.value.ledger_seq)
    assert entry["kind"] == "denial"
    assert any("prohibited" in reason for reason in entry["policy"]["reasons"])


def test_undeclared_input_is_rejected_and_recorded(gateway, officer, db) -> None:
    request = GatewayRequest(capability_id="interpret.langid", purpose="victim-assistance",
                             legal_basis="police-law-art-2",
                             inputs={"text": "hello", "passport_no": "E12345678"})
    with pytest.raises(ValidationFailed) as error:
        gateway.invoke(officer, request)
    assert "passport_no" in str(error.value) and "minimum necessary" in str(error.value)
    with db.session() as session:
        entry = json.loads(session.scalars(select(LedgerEntry.body)).one())
    assert entry["policy"]["reasons"] == ["undeclared-input"]
    assert "E12345678" not in json.dumps(entry)


@pytest.mark.parametrize("text, message", [("", "required"), ("   ", "required"),
                                           ("x" * 2001, "at most 2000 characters")])
def test_bad_text_gets_a_clear_error_and_nothing_is_stored(gateway, officer, db, text,
                                                           message) -> None:
    with pytest.raises(ValidationFailed) as error:
        gateway.invoke(officer, _langid(text))
    assert message in str(error.value)
    with db.session() as session:
        assert session.scalars(select(Decision)).all() == []


def test_stop_control_suspends_and_resumes_at_once(gateway, officer, supervisor, db) -> None:
    with pytest.raises(ValidationFailed):
        gateway.set_suspended("interpret.langid", True, supervisor, "")
    seq = gateway.set_suspended("interpret.langid", True, supervisor,
                                "misidentifies Uyghur as Turkish")
    assert _entry(db, seq)["kind"] == "capability-suspended"
    with pytest.raises(GatewayDenied) as denied:
        gateway.invoke(officer, _langid("Hello there, I need help"))
    assert "forbid-suspended-capability" in [r.policy_id for r in denied.value.reasons]
    assert "misidentifies Uyghur as Turkish" in denied.value.reasons_in("en")
    resumed = gateway.set_suspended("interpret.langid", False, supervisor, "model replaced")
    assert _entry(db, resumed)["kind"] == "capability-resumed"
    assert gateway.invoke(officer, _langid("Hello there, I need help")).output["language"] == "en"


def test_model_over_its_time_limit_fails_cleanly_and_is_ledgered(gateway, officer, db) -> None:
    request = GatewayRequest(capability_id="test.slow", purpose="victim-assistance",
                             legal_basis="consent", inputs={"text": "abc"})
    with pytest.raises(ModelFailed) as failed:
        gateway.invoke(officer, request)
    assert _entry(db, failed.value.params["seq"])["kind"] == "failure"
    with db.session() as session:
        assert session.scalars(select(Decision).where(Decision.status == "completed")).all() == []


def _reviewed(gateway, officer):
    return gateway.invoke(officer, GatewayRequest(
        capability_id="test.echo-reviewed", purpose="victim-assistance",
        legal_basis="consent", inputs={"text": "red jacket"}))


def test_review_required_output_cannot_be_used_until_confirmed(gateway, reviews, officer,
                                                               supervisor, db) -> None:
    result = _reviewed(gateway, officer)
    assert result.review_required
    with pytest.raises(ReviewPending):
        gateway.usable_output(result.decision_id)
    [(review, _)] = reviews.pending(frozenset({"supervisor"}))
    assert reviews.pending(frozenset({"officer"})) == []
    seq = reviews.decide(review.id, supervisor, "confirm")
    assert _entry(db, seq)["action"] == "confirm"
    assert gateway.usable_output(result.decision_id) == {"upper": "RED JACKET"}


def test_reviewer_edits_need_a_reason_and_the_edit_is_what_gets_used(
    gateway, reviews, officer, supervisor
) -> None:
    result = _reviewed(gateway, officer)
    [(review, _)] = reviews.pending(frozenset({"supervisor"}))
    with pytest.raises(ValidationFailed):
        reviews.decide(review.id, supervisor, "edit", "", {"upper": "RED COAT"})
    reviews.decide(review.id, supervisor, "edit", "the witness said coat",
                   {"upper": "RED COAT"})
    assert gateway.usable_output(result.decision_id) == {"upper": "RED COAT"}


def test_rejected_output_is_unusable_and_self_review_is_refused(
    gateway, reviews, officer, supervisor
) -> None:
    from accord.core.errors import Conflict, PermissionDenied

    result = _reviewed(gateway, officer)
    [(review, _)] = reviews.pending(frozenset({"supervisor"}))
    with pytest.raises(PermissionDenied):
        reviews.decide(review.id, officer, "confirm")  # not a supervisor
    both = Caller(officer.user_id, officer.username, frozenset({"officer", "supervisor"}))
    with pytest.raises(PermissionDenied):
        reviews.decide(review.id, both, "confirm")  # reviewing one's own request
    reviews.decide(review.id, supervisor, "reject", "wrong person")
    with pytest.raises(ReviewRejected):
        gateway.usable_output(result.decision_id)
    with pytest.raises(Conflict):
        reviews.decide(review.id, supervisor, "confirm")


def test_automation_bias_monitor_reports_override_rate(gateway, reviews, officer,
                                                       supervisor) -> None:
    for action in ("confirm", "confirm", "reject"):
        _reviewed(gateway, officer)
        [(review, _)] = reviews.pending(frozenset({"supervisor"}))
        reviews.decide(review.id, supervisor, action, "checked")
    _reviewed(gateway, officer)
    [row] = reviews.monitor()
    assert (row.capability_id, row.model_version) == ("test.echo-reviewed", "t1")
    assert row.decided == 3 and row.pending == 1 and row.overrides == 1
    assert row.override_rate == pytest.approx(1 / 3)
    assert row.median_latency_s is not None and row.median_latency_s >= 0


def test_inline_capabilities_run_on_the_callers_thread_the_others_on_a_model_thread(
        governance, gateway, officer, db) -> None:
    """A capability declared ``isolation="inline"`` (bounded microseconds, no I/O) is run on
    the calling thread: the hand-off to a model thread costs more than it does. A "thread"
    capability still runs on a model thread, within its time limit. Either way the decision
    is stored and ledgered the same; an isolation nobody knows is refused at registration."""
    import threading

    from tests.core.gateway.conftest import _echo, _test_capability

    seen: dict[str, str] = {}

    def capability(cid: str, **extra):
        def runner(inputs):
            seen[cid] = threading.current_thread().name
            return _echo(inputs)
        return _test_capability(cid, runner, **extra)

    governance.registry.register(capability("test.inline", isolation="inline"))
    governance.registry.register(capability("test.threaded"))
    results = {}
    for cid in ("test.inline", "test.threaded"):
        results[cid] = gateway.invoke(officer, GatewayRequest(
            capability_id=cid, purpose="victim-assistance", legal_basis="consent",
            inputs={"text": "abc"}))
    assert seen["test.inline"] == threading.current_thread().name
    assert seen["test.threaded"].startswith("accord-model")
    for cid, result in results.items():
        assert result.output == {"upper": "ABC"}
        with db.session() as session:
            assert session.get(LedgerEntry, result.ledger_seq).capability_id == cid
            assert session.get(Decision, result.decision_id).status == "completed"
    with pytest.raises(ValueError, match="isolation"):
        governance.registry.register(capability("test.bad", isolation="fibre"))


def test_language_identification_runs_inline() -> None:
    """interpret.langid is one fastText prediction on at most 2,000 characters."""
    from accord.interpret.langid import LANGID_CAPABILITY

    assert LANGID_CAPABILITY.isolation == "inline"
    assert LANGID_CAPABILITY.inputs["text"].max_length <= 2000
