"""The DPO's tools at the service level: the breach register's 72-hour clock, the assessment
gate for high-risk capabilities, ledger verification as a background job, and the audit
export that an outsider verifies with only the ZIP."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from accord.core.db import utcnow
from accord.core.errors import Conflict, PermissionDenied
from accord.core.gateway.models import LedgerEntry
from accord.core.governance import get_governance
from accord.core.ledger.export import verify_export
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.roles import Role
from accord.governance import dpo as dpo_module
from accord.governance.dpo import DpoService
from accord.governance.models import Assessment
from accord.governance.rights import InvalidField, RightsService, Submission
from tests.governance.test_rights_support import caller_of, create_tables, langid

HIGH = "test.high-risk"


def _echo(inputs) -> ModelOutput:  # type: ignore[no-untyped-def]
    return ModelOutput(output={"echo": str(inputs["text"])}, explanation="echo")


def register_high_risk(version: str = "2") -> str:
    get_governance().registry.register(Capability(
        id=HIGH, version=version, title_en="High-risk test", title_zh="高风险测试",
        description_en="test", description_zh="测试", risk_tier=RiskTier.HIGH,
        purposes=frozenset({"victim-assistance"}), legal_bases=frozenset({"consent"}),
        inputs={"text": InputSpec(kind="text", max_length=100)},
        model=ModelCard(name="rule", version="r1", digest="", licence="Apache-2.0",
                        source="tests", training_data="none", measured_accuracy="n/a",
                        known_limitations=("test only",)),
        runner=_echo))
    return HIGH


@pytest.fixture
def env(accord_env, database, make_user):  # type: ignore[no-untyped-def]
    create_tables(database)
    dpo = make_user("zhou.min", Role.DPO)
    officer = make_user("li.wei", Role.OFFICER)
    governance = get_governance()
    return SimpleNamespace(dpo=caller_of(dpo), officer=officer, database=database,
                           governance=governance, service=DpoService.from_governance(),
                           rights=RightsService.from_governance())


def _ledger_kinds(database) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return list(session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)))


# -- breaches -----------------------------------------------------------------------------------
def test_the_72_hour_clock_flags_late_and_overdue_breaches(env) -> None:
    now = utcnow()
    fresh = env.service.record_breach(env.dpo, title="Laptop lost", detected_at=now
                                      - timedelta(hours=10), severity="high", now=now)
    status = env.service.breach_status(fresh, now)
    assert (status.state, status.late) == ("open", False)
    assert status.hours_left == pytest.approx(62, abs=0.01)
    old = env.service.record_breach(env.dpo, title="Mis-sent e-mail",
                                    detected_at=now - timedelta(hours=80), now=now)
    assert env.service.breach_status(old, now).state == "overdue"
    assert env.service.breach_status(old, now).late
    # In time: 71 hours after detection.
    in_time = env.service.mark_notified(fresh.id, env.dpo, authority="Regulator",
                                        notified_at=fresh.detected_at + timedelta(hours=71),
                                        now=now)
    assert (in_time.state, in_time.late) == ("notified", False)
    with pytest.raises(Conflict):
        env.service.mark_notified(fresh.id, env.dpo, authority="Regulator", now=now)
    # Late: the reasons for the delay are required (GDPR art. 33(1)).
    with pytest.raises(InvalidField) as caught:
        env.service.mark_notified(old.id, env.dpo, authority="Regulator", now=now)
    assert caught.value.field == "late_reason"
    late = env.service.mark_notified(old.id, env.dpo, authority="Regulator",
                                     late_reason="found during the weekend", now=now)
    assert (late.state, late.late) == ("notified-late", True)
    assert _ledger_kinds(env.database).count("breach") == 4
    assert [b.late for b in env.service.breaches(now)] == [False, True]


def test_breach_input_is_checked(env) -> None:
    now = utcnow()
    with pytest.raises(InvalidField):
        env.service.record_breach(env.dpo, title="x", detected_at=now + timedelta(hours=2))
    with pytest.raises(InvalidField):
        env.service.record_breach(env.dpo, title=" ", detected_at=now)
    with pytest.raises(InvalidField):
        env.service.record_breach(env.dpo, title="x", detected_at="yesterday")
    breach = env.service.record_breach(env.dpo, title="x", detected_at="2020-01-01T10:00")
    assert breach.detected_at.tzinfo is not None  # read as UTC
    with pytest.raises(InvalidField):
        env.service.mark_notified(breach.id, env.dpo, authority="R",
                                  notified_at="2019-12-31T10:00", late_reason="x")
    with pytest.raises(PermissionDenied):
        env.service.record_breach(caller_of(env.officer), title="x", detected_at=now)


# -- the assessment gate ------------------------------------------------------------------------
def test_a_high_risk_capability_needs_all_three_approvals_for_its_version(env) -> None:
    capability_id = register_high_risk()
    ok, reason = env.service.assessment_gate(capability_id)
    assert not ok and "dpia, fria, ethics-review" in reason
    assert capability_id in [g.capability_id for g in env.service.missing_assessments()]
    assert not dpo_module.capability_cleared(capability_id)
    for kind in ("dpia", "fria"):
        env.service.record_assessment(env.dpo, capability_id=capability_id, kind=kind,
                                      outcome="approved", summary=f"{kind} done")
    env.service.record_assessment(env.dpo, capability_id=capability_id, kind="ethics-review",
                                  outcome="rejected", summary="bias tests missing")
    ok, reason = dpo_module.assessment_gate(capability_id)
    assert not ok and reason.endswith("lacks an approved ethics-review")
    ethics = env.service.record_assessment(env.dpo, capability_id=capability_id,
                                           kind="ethics-review", outcome="approved",
                                           summary="bias tests passed")
    assert dpo_module.capability_cleared(capability_id)
    assert capability_id not in [g.capability_id for g in env.service.missing_assessments()]
    env.service.revoke_assessment(ethics.id, env.dpo)
    assert not env.service.capability_cleared(capability_id)  # back to the rejection
    with pytest.raises(Conflict):
        env.service.revoke_assessment(ethics.id, env.dpo)
    assert _ledger_kinds(env.database).count("assessment") == 5


def test_approvals_expire_and_do_not_carry_over_to_another_version(env) -> None:
    capability_id = register_high_risk()
    now = utcnow()
    for kind in ("dpia", "fria", "ethics-review"):
        env.service.record_assessment(env.dpo, capability_id=capability_id, kind=kind,
                                      outcome="approved", summary="ok",
                                      valid_until=now + timedelta(days=365))
    assert env.service.gate_status(capability_id, now).ok
    assert not env.service.gate_status(capability_id, now + timedelta(days=366)).ok
    with env.database.session() as session:  # approvals of an older version do not count
        for row in session.scalars(select(Assessment)):
            row.capability_version = "1"
    status = env.service.gate_status(capability_id, now)
    assert not status.ok and status.missing == ("dpia", "fria", "ethics-review")


def test_other_tiers_pass_and_refused_uses_never_do(env) -> None:
    assert env.service.assessment_gate("interpret.langid") == \
        (True, "risk tier limited: no assessment required")
    assert not env.service.assessment_gate("risk.person-score")[0]
    assert not env.service.assessment_gate("no.such-capability")[0]
    with pytest.raises(InvalidField):
        env.service.record_assessment(env.dpo, capability_id="risk.person-score", kind="dpia",
                                      outcome="approved", summary="no")
    with pytest.raises(InvalidField):
        env.service.record_assessment(env.dpo, capability_id="interpret.langid", kind="dpia",
                                      outcome="approved", summary="   ")
    with pytest.raises(PermissionDenied):
        env.service.record_assessment(caller_of(env.officer), capability_id="interpret.langid",
                                      kind="dpia", outcome="approved", summary="x")


# -- ledger verification as a job ---------------------------------------------------------------
def test_ledger_verification_runs_as_a_job_and_notices_tampering(env) -> None:
    langid(env.officer, "Bonjour, j'ai perdu mon passeport", document="E12345678")
    langid(env.officer, "Me robaron el pasaporte")
    env.governance.ledger.checkpoint()
    job = env.service.start_verification(env.dpo.user_id)
    latest = env.service.latest_verification()
    assert latest is not None and latest.id == job.id
    assert latest.status == "succeeded" and latest.result["ok"] and latest.result["size"] == 2
    with env.database.session() as session:
        entry = session.get(LedgerEntry, 0)
        entry.body = entry.body.replace("victim-assistance", "victim-assistanze")
    env.service.start_verification(env.dpo.user_id)
    failed = env.service.latest_verification()
    assert failed is not None and failed.result["ok"] is False
    assert failed.result["first_bad_seq"] == 0 and "altered" in failed.result["reason"]


def test_dashboard_figures(env) -> None:
    now = utcnow()
    env.rights.submit(Submission("access", "E12345678", "email", "a@example.org", "en"),
                      now=now - timedelta(days=31))
    env.service.record_breach(env.dpo, title="x", detected_at=now - timedelta(hours=73),
                              now=now)
    register_high_risk()
    data = env.service.dashboard(env.rights, now)
    assert (data["requests"]["open"], data["requests"]["overdue"]) == (1, 1)
    assert (data["breaches"]["late"], data["breaches"]["open"]) == (1, 1)
    missing = [g.capability_id for g in data["missing_assessments"]]
    assert HIGH in missing
    assert all(env.governance.registry.get(c).risk_tier is RiskTier.HIGH for c in missing)
    assert data["verification"] is None


# -- the audit export ---------------------------------------------------------------------------
def test_the_audit_export_verifies_offline_and_holds_no_personal_data(env, tmp_path: Path,
                                                                      make_user) -> None:
    tmp_path = tmp_path / "unzipped"  # (tmp_path itself holds this test's state directory)
    langid(env.officer, "Bonjour, j'ai perdu mon passeport", document="E12345678")
    request = env.rights.submit(Submission("deletion", "E12345678", "email",
                                           "mario@example.it", "fr"))
    env.rights.verify_at_counter(request.reference, "E12345678", env.dpo)
    env.rights.carry_out_deletion(request.reference, env.dpo)
    env.service.record_breach(env.dpo, title="Printer left unlocked",
                              detected_at=utcnow() - timedelta(hours=1))
    auditor = caller_of(make_user("audit.one", Role.AUDITOR))
    with pytest.raises(PermissionDenied):
        env.service.audit_export(env.governance, env.rights, caller_of(env.officer))
    name, data = env.service.audit_export(env.governance, env.rights, auditor)
    assert name.startswith("accord-audit-") and name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert names == {"ledger/entries.jsonl", "ledger/checkpoints.txt", "ledger/public.key",
                         "transparency-register.json", "rights-statistics.json",
                         "breach-register.json", "impact-assessments.json", "README.txt",
                         "manifest.json"}
        archive.extractall(tmp_path)
    report = verify_export(tmp_path / "ledger")
    assert report.ok, report.reason
    assert report.entries == 3  # decision, deletion certificate, breach
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for file_name, expected in manifest["files"].items():
        assert expected == "sha256:" + hashlib.sha256((tmp_path / file_name).read_bytes()
                                                      ).hexdigest()
    everything = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    for secret in ("mario", "Bonjour", "12345678", request.reference):
        assert secret not in everything
    statistics = json.loads((tmp_path / "rights-statistics.json").read_text())
    assert statistics["by_kind"]["deletion"] == 1
    breaches = json.loads((tmp_path / "breach-register.json").read_text())
    assert breaches[0]["title"] == "Printer left unlocked" and breaches[0]["late"] is False
    # The export is itself on the record.
    assert _ledger_kinds(env.database)[-1] == "audit-export"


def test_the_appealed_decision_says_whether_it_concerns_the_requester(env) -> None:
    """Before the DPO reads an appealed decision, the service says whose it is."""
    with_key = langid(env.officer, "Salam, saya kehilangan paspor saya", document="K1234567")
    without_key = langid(env.officer, "Salam, saya kehilangan paspor saya")
    decision, match = env.service.appealed_decision(
        SimpleNamespace(decision_ref=with_key, subject_key=""))
    assert decision is not None and decision.id == with_key and decision.subject_key
    mine = SimpleNamespace(decision_ref=with_key, subject_key=decision.subject_key)
    assert env.service.appealed_decision(mine)[1] == "yes"
    assert match == "no"
    assert env.service.appealed_decision(
        SimpleNamespace(decision_ref=without_key, subject_key="x"))[1] == "unknown"
    assert env.service.appealed_decision(
        SimpleNamespace(decision_ref="", subject_key="x")) == (None, "")
    assert env.service.appealed_decision(
        SimpleNamespace(decision_ref="no-such-decision", subject_key="x")) == (None, "")
