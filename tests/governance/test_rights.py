"""Rights requests and appeals at the service level: identity by one-time code (read from the
outbox spool) or at a counter, lockout, deadlines, the access report, deletion through the
retention erasure with a certificate in a still-verifiable ledger, correction, appeals."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from accord.config import get_settings
from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied
from accord.core.gateway.models import Decision, LedgerEntry, Review
from accord.core.gateway.service import ReviewRejected
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.governance.models import RightsRequest
from accord.governance.retention import RetentionService
from accord.governance.rights import (
    CodeExpired,
    InvalidField,
    RateLimited,
    RateLimiter,
    RequestLocked,
    RightsService,
    RightsSettings,
    Submission,
    WrongCode,
    normalise_reference,
    report_pdf,
)
from tests.governance.test_rights_support import (
    caller_of,
    create_tables,
    langid,
    latest_code,
    messages,
)
from tests.helpers import add_case

DOC = "E1234 5678"
OTHER = "G7654321"


@pytest.fixture
def env(accord_env, database, make_user):  # type: ignore[no-untyped-def]
    create_tables(database)
    officer = make_user("li.wei", Role.OFFICER)
    dpo = make_user("zhou.min", Role.DPO)
    return SimpleNamespace(officer=officer, dpo=caller_of(dpo), database=database,
                           rights=RightsService.from_governance(),
                           governance=get_governance())


def _submit(rights: RightsService, kind: str = "access", document: str = DOC,
            decision_ref: str = "", details: str = "", contact: str = "mario@example.it",
            now=None) -> RightsRequest:  # type: ignore[no-untyped-def]
    return rights.submit(Submission(
        kind=kind, document_number=document, contact_kind="email", contact=contact,
        preferred_language="fr", details=details or "please",
        decision_ref=decision_ref, ui_language="en"), now=now)


def _verified(rights: RightsService, **kwargs) -> RightsRequest:  # type: ignore[no-untyped-def]
    request = _submit(rights, **kwargs)
    rights.verify_code(request.reference, latest_code(request.reference), now=kwargs.get("now"))
    return request


def _entry(database, seq: int) -> dict:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return json.loads(session.get(LedgerEntry, seq).body)


# -- submitting and verifying -------------------------------------------------------------------
def test_submit_then_verify_with_the_code_from_the_outbox(env) -> None:
    request = _submit(env.rights)
    assert re.fullmatch(r"RR-[A-Z2-7]{12}", request.reference)
    assert request.state == "received"
    assert (request.deadline_at - request.received_at) == timedelta(days=30)
    [message] = messages(request.reference)
    assert message["to"] == "mario@example.it" and message["channel"] == "email"
    assert request.reference in message["body"]
    # The spool file holds a live code: only its owner may read it.
    [path] = list((Path(get_settings().state_dir) / "outbox").glob("*.json"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with env.database.session() as session:
        row = session.scalar(select(RightsRequest))
        stored = " ".join(str(v) for v in row.__dict__.values())
    code = message["params"]["code"]
    assert "12345678" not in stored and code not in stored  # number and code only as digests
    assert row.subject_key == env.governance.gateway.subject_key("e12345678")
    assert row.document_masked == "E••••••78" and row.contact_masked == "m•••@e•••.it"

    env.rights.verify_code(request.reference, code)
    status = env.rights.public_status(request.reference)
    assert status.state == "verified"
    assert [e.action for e in status.events] == ["received", "code-sent", "verified"]
    with pytest.raises(Conflict):  # the code is spent and the identity already verified
        env.rights.verify_code(request.reference, code)


def test_a_wrong_code_is_refused_and_five_lock_the_request(env) -> None:
    request = _submit(env.rights)
    code = latest_code(request.reference)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as caught:
            env.rights.verify_code(request.reference, wrong)
        assert caught.value.params["remaining"] == remaining
    with pytest.raises(RequestLocked):
        env.rights.verify_code(request.reference, wrong)
    # Locked: even the right code and a fresh code are refused now.
    with pytest.raises(RequestLocked):
        env.rights.verify_code(request.reference, code)
    with pytest.raises(RequestLocked):
        env.rights.resend_code(request.reference)
    status = env.rights.public_status(request.reference)
    assert status.locked and status.state == "received"
    assert "locked" in [e.action for e in status.events]
    # A counter verification (document seen) unlocks and verifies it.
    officer = caller_of(env.officer)
    env.rights.verify_at_counter(request.reference, "e1234-5678", officer)
    record = env.rights.get(request.reference)
    assert (record.state, record.verified_via, record.verified_by) == \
        ("verified", "counter", env.officer.id)
    assert record.locked_at is None


def test_an_expired_code_is_refused_and_a_new_one_works(env) -> None:
    request = _submit(env.rights)
    code = latest_code(request.reference)
    with pytest.raises(CodeExpired):
        env.rights.verify_code(request.reference, code, now=utcnow() + timedelta(minutes=16))
    assert env.rights.get(request.reference).code_failures == 0  # expiry is not a failure
    env.rights.resend_code(request.reference)
    fresh = latest_code(request.reference)
    if fresh != code:  # the old code stopped working
        with pytest.raises(WrongCode):
            env.rights.verify_code(request.reference, code)
    env.rights.verify_code(request.reference, fresh, now=utcnow() + timedelta(minutes=14))
    assert env.rights.get(request.reference).state == "verified"


def test_counter_verification_checks_the_document_and_the_role(env, make_user) -> None:
    request = _submit(env.rights)
    with pytest.raises(InvalidField) as caught:
        env.rights.verify_at_counter(request.reference, OTHER, caller_of(env.officer))
    assert caught.value.field == "document_number"
    analyst = make_user("wang.fang", Role.ANALYST)
    with pytest.raises(PermissionDenied):
        env.rights.verify_at_counter(request.reference, DOC, caller_of(analyst))
    env.rights.verify_at_counter(request.reference, DOC, env.dpo, note="passport seen")
    assert env.rights.events(request.reference)[-1].note == "passport seen"


@pytest.mark.parametrize("changes, field", [
    ({"kind": "complaint"}, "kind"),
    ({"document_number": "E1"}, "document_number"),
    ({"document_number": "E" * 41}, "document_number"),
    ({"contact": "not-an-address"}, "contact"),
    ({"contact": "<script>@x.com"}, "contact"),
    ({"contact_kind": "phone", "contact": "call me"}, "contact"),
    ({"preferred_language": "xx"}, "preferred_language"),
    ({"details": "x" * 4001}, "details"),
    ({"kind": "appeal", "details": "wrong"}, "decision_ref"),
    ({"kind": "appeal", "details": "wrong", "decision_ref": "nothex!"}, "decision_ref"),
    ({"kind": "appeal", "details": "wrong", "decision_ref": "0123456789abcdef"},
     "decision_ref"),
    ({"kind": "objection", "details": "  "}, "details"),
])
def test_invalid_submissions_name_the_field(env, changes, field) -> None:
    values = {"kind": "access", "document_number": DOC, "contact_kind": "email",
              "contact": "a@example.org", "preferred_language": "en", "details": "",
              **changes}
    with pytest.raises(InvalidField) as caught:
        env.rights.submit(Submission(**values))
    assert caught.value.field == field
    with env.database.session() as session:
        assert session.scalar(select(RightsRequest)) is None


def test_phone_contacts_are_normalised_and_masked(env) -> None:
    request = env.rights.submit(Submission(
        kind="access", document_number=DOC, contact_kind="phone",
        contact="+86 (10) 1234-5678", preferred_language="ko"))
    assert request.contact == "+861012345678" and request.contact_masked.endswith("678")
    assert messages(request.reference)[0]["channel"] == "sms"


def test_references_are_unguessable_and_lookups_normalised(env) -> None:
    request = _submit(env.rights)
    other = _submit(env.rights)
    assert request.reference != other.reference
    lower = request.reference.lower().replace("-", " ")
    assert normalise_reference(lower) == request.reference
    assert env.rights.public_status(lower).reference == request.reference
    for unknown in ("RR-AAAAAAAAAAAA", "nonsense", ""):
        with pytest.raises(NotFound):
            env.rights.public_status(unknown)


# -- the access report --------------------------------------------------------------------------
def test_the_access_report_lists_exactly_the_subjects_decisions(env) -> None:
    mine = [langid(env.officer, "Bonjour, j'ai perdu mon passeport", document="E1234 5678"),
            langid(env.officer, "Me robaron el pasaporte", document="e12345678")]
    langid(env.officer, "Ich habe meinen Pass verloren", document=OTHER)
    langid(env.officer, "I lost my passport")  # no subject recorded
    old = langid(env.officer, "Mi hanno rubato il portafoglio", document=DOC)
    mine.append(old)
    with env.database.session() as session:  # make one old enough for the retention rule
        session.execute(update(Decision).where(Decision.id == old).values(
            created_at=utcnow() - timedelta(days=100)))
    RetentionService(env.database, env.governance.ledger).run()

    request = _verified(env.rights)
    report = env.rights.build_access_report(request.reference)
    rows = {row["decision"]: row for row in report["decisions"]}
    assert set(rows) == set(mine)
    fresh = rows[mine[0]]
    with env.database.session() as session:
        decision = session.get(Decision, mine[0])
        assert fresh["ledger_entry"] == decision.ledger_seq is not None
    assert fresh["capability"]["id"] == "interpret.langid"
    assert fresh["capability"]["title"]["en"] == "Text language identification"
    assert (fresh["purpose"], fresh["legal_basis"]) == ("victim-assistance", "police-law-art-2")
    assert fresh["output"]["language"] == "fr" and fresh["review_status"] == "not-required"
    assert fresh["inputs"]["text"].startswith("Bonjour")
    erased = rows[old]
    assert erased["erased"] and erased["content"] == "erased under retention rule"
    assert "output" not in erased and "inputs" not in erased
    assert "Ich habe" not in json.dumps(report, ensure_ascii=False)


def test_released_report_downloads_with_a_code_and_a_short_lived_token(env) -> None:
    langid(env.officer, "Bonjour, j'ai perdu mon passeport", document=DOC)
    request = _verified(env.rights)
    with pytest.raises(Conflict):  # nothing released yet
        env.rights.resend_code(request.reference, "download")
    env.rights.release_access_report(request.reference, env.dpo)
    status = env.rights.public_status(request.reference)
    assert status.state == "answered" and status.report_available
    assert messages(request.reference, "status-update")
    with pytest.raises(PermissionDenied):
        env.rights.download(request.reference, "")
    env.rights.resend_code(request.reference, "download")
    code = latest_code(request.reference, "download-code")
    with pytest.raises(WrongCode):
        env.rights.open_download(request.reference, "000000" if code != "000000" else "111111")
    token = env.rights.open_download(request.reference, code)
    report = env.rights.download(request.reference, token)
    assert len(report["decisions"]) == 1 and report["released_at"]
    with pytest.raises(PermissionDenied):
        env.rights.download(request.reference, token + "x")
    with pytest.raises(PermissionDenied):
        env.rights.download(request.reference, token, now=utcnow() + timedelta(minutes=31))
    with pytest.raises(CodeExpired):  # the download code is spent
        env.rights.open_download(request.reference, code)


def test_wrong_download_codes_lock_until_a_counter_check(env) -> None:
    request = _verified(env.rights)
    env.rights.release_access_report(request.reference, env.dpo)
    env.rights.resend_code(request.reference, "download")
    code = latest_code(request.reference, "download-code")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(WrongCode):
            env.rights.open_download(request.reference, wrong)
    with pytest.raises(RequestLocked):
        env.rights.open_download(request.reference, wrong)
    with pytest.raises(RequestLocked):
        env.rights.resend_code(request.reference, "download")
    with pytest.raises(InvalidField):
        env.rights.verify_at_counter(request.reference, OTHER, caller_of(env.officer))
    env.rights.verify_at_counter(request.reference, DOC, caller_of(env.officer))
    status = env.rights.public_status(request.reference)
    assert not status.locked and status.state == "answered"
    assert [e.action for e in status.events][-2:] == ["locked", "unlocked"]
    env.rights.resend_code(request.reference, "download")
    token = env.rights.open_download(request.reference,
                                     latest_code(request.reference, "download-code"))
    assert env.rights.download(request.reference, token)["reference"] == request.reference
    with pytest.raises(Conflict):  # not locked any more: nothing to do at the counter
        env.rights.verify_at_counter(request.reference, DOC, caller_of(env.officer))


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_report_renders_as_pdf_with_a_cjk_font(env, language) -> None:
    langid(env.officer, "我的护照丢了，请帮帮我", document=DOC)
    request = _verified(env.rights)
    report = env.rights.release_access_report(request.reference, env.dpo)
    data = report_pdf(report, language)
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    assert b"WenQuanYi" in data  # the CJK font is embedded (subset)
    assert b"/Type /Page" in data


def test_only_the_dpo_releases_and_only_after_verification(env) -> None:
    request = _submit(env.rights)
    with pytest.raises(Conflict):
        env.rights.release_access_report(request.reference, env.dpo)
    with pytest.raises(PermissionDenied):
        env.rights.release_access_report(request.reference, caller_of(env.officer))


# -- deletion -----------------------------------------------------------------------------------
def test_deletion_erases_certifies_and_the_ledger_still_verifies(env, make_user) -> None:
    mine = [langid(env.officer, "Bonjour, j'ai perdu mon passeport", document=DOC),
            langid(env.officer, "Me robaron el pasaporte", document="e1234-5678")]
    add_case(env.database, "CASE-9", env.officer.id)
    held = langid(env.officer, "Mi hanno rubato la borsa", document=DOC, case_ref="CASE-9")
    theirs = langid(env.officer, "Ich habe meinen Pass verloren", document=OTHER)
    RetentionService(env.database, env.governance.ledger).hold("CASE-9", "investigation",
                                                               env.dpo.user_id)
    access = _verified(env.rights)
    env.rights.release_access_report(access.reference, env.dpo)
    request = _verified(env.rights, kind="deletion")
    with pytest.raises(Conflict):  # an access request does not erase anything
        env.rights.carry_out_deletion(access.reference, env.dpo)

    result = env.rights.carry_out_deletion(request.reference, env.dpo)
    assert (result.count, result.held_back) == (2, 1)
    with env.database.session() as session:
        for decision_id in mine:
            decision = session.get(Decision, decision_id)
            assert decision.inputs is None and decision.output is None and decision.salt is None
            assert decision.erased_at is not None and decision.subject_key == ""
        kept = session.get(Decision, held)
        assert kept.inputs and kept.salt and kept.subject_key
        other = session.get(Decision, theirs)
        assert other.inputs["text"].startswith("Ich") and other.salt and other.erased_at is None
        earlier = session.scalar(select(RightsRequest).where(
            RightsRequest.reference == access.reference))
        assert earlier.report is None and earlier.report_erased_at is not None
    entry = _entry(env.database, result.ledger_seq)
    assert entry["kind"] == "rights-erasure"
    assert (entry["count"], entry["held_back"]) == (2, 1)
    assert entry["request"].startswith("sha256:") and entry["references_digest"].startswith(
        "sha256:")
    text = json.dumps(entry, ensure_ascii=False)
    for secret in ("Bonjour", "12345678", "E1234", "mario", request.reference):
        assert secret not in text
    env.governance.ledger.checkpoint()
    report = env.governance.ledger.verify()
    assert report.ok, report.reason
    status = env.rights.public_status(request.reference)
    assert status.state == "answered"
    assert "2 AI decision records erased; 1 kept" in status.events[-1].note
    assert env.rights.public_status(access.reference).report_erased
    # Nothing left to find about the person except the case under legal hold.
    assert [d.id for d in env.rights.subject_decisions(request.reference)] == [held]


def test_deletion_before_verification_is_refused(env) -> None:
    request = _submit(env.rights, kind="deletion")
    with pytest.raises(Conflict):
        env.rights.carry_out_deletion(request.reference, env.dpo)


# -- correction ---------------------------------------------------------------------------------
def test_correction_is_used_from_then_on_and_the_original_kept_for_audit(env) -> None:
    decision_id = langid(env.officer, "Bom dia, perdi o meu passaporte", document=DOC)
    theirs = langid(env.officer, "Ich habe meinen Pass verloren", document=OTHER)
    request = _verified(env.rights, kind="correction", decision_ref=decision_id,
                        details="I speak Portuguese from Brazil, not Galician")
    gateway = env.governance.gateway
    original = gateway.usable_output(decision_id)
    corrected = {**original, "language": "pt", "uncertain": False}
    with pytest.raises(InvalidField):  # not a decision about the requester
        env.rights.apply_correction(request.reference, env.dpo, theirs, corrected)
    with pytest.raises(InvalidField):
        env.rights.apply_correction(request.reference, env.dpo, decision_id, {})
    seq = env.rights.apply_correction(request.reference, env.dpo, decision_id, corrected,
                                      "confirmed with the person")
    assert gateway.usable_output(decision_id) == corrected
    with env.database.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision.output == original  # kept: the ledger digest was computed over it
        assert decision.review_status == "edited"
        review = session.scalar(select(Review).where(Review.decision_id == decision_id))
        assert (review.reviewer_id, review.status) == (env.dpo.user_id, "edited")
        assert review.decided_at is not None
    entry = _entry(env.database, seq)
    assert entry["kind"] == "rights-correction" and entry["decision"] == decision_id
    assert entry["edited_output_digest"].startswith("hmac-sha256:")
    assert "Brazil" not in json.dumps(entry) and "confirmed with" not in json.dumps(entry)
    assert env.rights.get(request.reference).state == "in-progress"
    env.rights.answer(request.reference, env.dpo, "Corrected: Portuguese.")
    report_row = env.rights.build_access_report(request.reference)["decisions"][0]
    assert report_row["corrected_output"]["language"] == "pt"
    env.governance.ledger.checkpoint()
    assert env.governance.ledger.verify().ok


# -- appeals ------------------------------------------------------------------------------------
def test_an_overturned_appeal_sets_the_output_aside_and_is_ledgered(env) -> None:
    decision_id = langid(env.officer, "Salam, saya kehilangan paspor saya", document=DOC)
    request = _verified(env.rights, kind="appeal", decision_ref=decision_id,
                        details="I speak Malay, not Indonesian")
    with pytest.raises(InvalidField):
        env.rights.decide_appeal(request.reference, env.dpo, "overturned", "  ")
    with pytest.raises(InvalidField):
        env.rights.decide_appeal(request.reference, env.dpo, "maybe", "why")
    seq = env.rights.decide_appeal(request.reference, env.dpo, "overturned",
                                   "Malay and Indonesian are confused by the model.")
    entry = _entry(env.database, seq)
    assert entry["kind"] == "appeal"
    assert (entry["outcome"], entry["decision"]) == ("overturned", decision_id)
    assert entry["reason_digest"].startswith("hmac-sha256:")
    assert "confused" not in json.dumps(entry) and "Malay" not in json.dumps(entry)
    with pytest.raises(ReviewRejected):
        env.governance.gateway.usable_output(decision_id)
    status = env.rights.public_status(request.reference)
    assert (status.state, status.appeal_outcome) == ("answered", "overturned")
    assert status.appeal_reason == "Malay and Indonesian are confused by the model."
    assert messages(request.reference, "status-update")
    with pytest.raises(Conflict):
        env.rights.decide_appeal(request.reference, env.dpo, "upheld", "again")
    env.governance.ledger.checkpoint()
    assert env.governance.ledger.verify().ok


def test_an_upheld_appeal_leaves_the_output_usable(env) -> None:
    decision_id = langid(env.officer, "Hola, me robaron la cartera en el metro", document=DOC)
    request = _verified(env.rights, kind="appeal", decision_ref=decision_id, details="wrong")
    env.rights.start(request.reference, env.dpo, "looking into it")
    env.rights.decide_appeal(request.reference, env.dpo, "upheld", "The text is Spanish.")
    assert env.governance.gateway.usable_output(decision_id)["language"] == "es"
    actions = [e.action for e in env.rights.public_status(request.reference).events]
    assert actions[-2:] == ["in-progress", "appeal-decided"]


# -- deadlines, closing, statistics -------------------------------------------------------------
def test_deadlines_flag_overdue_and_due_soon_requests(env) -> None:
    now = utcnow()
    overdue = _submit(env.rights, now=now - timedelta(days=31))
    soon = _submit(env.rights, now=now - timedelta(days=28))
    fresh = _submit(env.rights, now=now)
    answered = _verified(env.rights, now=now - timedelta(days=40))
    env.rights.close(answered.reference, env.dpo, "withdrawn by the requester")
    flags = {item.request.reference: item.flag for item in env.rights.queue(now=now)}
    assert flags == {overdue.reference: "overdue", soon.reference: "due-soon",
                     fresh.reference: ""}  # closed ones leave the default queue
    everything = {i.request.reference: i.flag for i in env.rights.queue(True, now=now)}
    assert everything[answered.reference] == ""  # closed: no longer counts as late
    stats = env.rights.statistics(now)
    assert (stats["open"], stats["overdue"], stats["due_soon"]) == (3, 1, 1)
    assert stats["by_state"]["closed"] == 1


def test_deadline_days_are_the_operators_setting(env) -> None:
    rights = RightsService.from_governance(settings=RightsSettings(deadline_days_appeal=15))
    decision_id = langid(env.officer, "Bonjour, j'ai perdu mon passeport", document=DOC)
    request = _submit(rights, kind="appeal", decision_ref=decision_id, details="wrong")
    assert request.deadline_at - request.received_at == timedelta(days=15)


def test_answer_time_statistics(env) -> None:
    now = utcnow()
    first = _verified(env.rights, now=now - timedelta(days=10))
    second = _verified(env.rights, now=now - timedelta(days=4))
    env.rights.answer(first.reference, env.dpo, "no data held", now=now - timedelta(days=2))
    env.rights.answer(second.reference, env.dpo, "no data held", now=now)
    stats = env.rights.statistics(now)
    assert stats["answered"] == 2 and stats["answered_within_deadline"] == 2
    assert stats["median_days_to_answer"] == pytest.approx(6.0, abs=0.01)
    assert "mario" not in json.dumps(stats)


def test_a_closed_request_never_vanishes(env) -> None:
    request = _submit(env.rights)
    env.rights.close(request.reference, env.dpo, "identity never confirmed")
    status = env.rights.public_status(request.reference)
    assert status.state == "closed"
    assert status.events[-1].note == "identity never confirmed"
    with pytest.raises(Conflict):
        env.rights.close(request.reference, env.dpo, "again")
    with pytest.raises(Conflict):  # no verification once closed
        env.rights.verify_code(request.reference, latest_code(request.reference))


def test_internal_notes_are_not_shown_to_the_requester(env) -> None:
    request = _verified(env.rights)
    env.rights.add_note(request.reference, env.dpo, "internal: check with unit 3")
    env.rights.add_note(request.reference, env.dpo, "We are collecting your data.",
                        public=True)
    notes = [e.note for e in env.rights.public_status(request.reference).events]
    assert "We are collecting your data." in notes
    assert "internal: check with unit 3" not in notes
    assert "internal: check with unit 3" in [e.note for e in env.rights.events(
        request.reference)]


def test_rate_limiter_counts_per_action_and_key() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for _ in range(3):
        limiter.hit("submit", "10.0.0.1", 3, 60)
    with pytest.raises(RateLimited) as caught:
        limiter.hit("submit", "10.0.0.1", 3, 60)
    assert 1 <= caught.value.retry_after <= 61
    limiter.hit("submit", "10.0.0.2", 3, 60)  # another address
    limiter.hit("code", "10.0.0.1", 3, 60)  # another action
    now[0] += 61
    limiter.hit("submit", "10.0.0.1", 3, 60)  # the window moved on
