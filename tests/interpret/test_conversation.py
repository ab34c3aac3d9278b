"""The two-screen conversation through the real app, without a browser: an officer starts it
from a case, a second client (the tablet) joins with the code, picks Arabic, writes; the officer
sees Chinese entries with similarity, the tablet the same entries in Arabic; only the tapped
entry becomes the interpretation (ledgered) and lands in the case's transcript. Then the
refusals: wrong, expired and guessed codes, a tablet reaching beyond its conversation, forged
forms, and the PIN that releases kiosk mode, rate-limited in the database."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from accord.core.db import Database, utcnow
from accord.core.roles import Role
from accord.interpret.conversation import JOIN_MAX_FAILURES, PIN_MAX_FAILURES
from accord.interpret.conversation_models import Conversation, ConversationTurn
from tests.helpers import add_case, login

PIN = "2468"


@pytest.fixture
def tablet(client: TestClient) -> Iterator[TestClient]:
    """A second browser, served by a second app instance on the same database (as a second
    app process would be): its own cookie jar, nobody signed in. Whatever one screen does must
    reach the other through the database."""
    from accord.assembly import create_app

    app = create_app()
    assert app is not client.app
    with TestClient(app, base_url="http://testserver") as second:
        second.headers["Accept-Language"] = "en"
        yield second


def _start(client: TestClient, csrf: str, case_ref: str, pin: str = PIN) -> tuple[str, str]:
    page = client.post("/interpret/conversations", data={
        "csrf_token": csrf, "case_ref": case_ref, "purpose": "victim-assistance",
        "legal_basis": "police-law-art-2", "pin": pin})
    assert page.status_code == 201, page.text
    code = re.search(r'data-testid="join-code"[^>]*>(\d{6})<', page.text).group(1)
    reference = re.search(r'data-testid="conversation-ref">(CV-[0-9A-F]+)<', page.text).group(1)
    return reference, code


def _join(tablet: TestClient, code: str) -> TestClient:
    page = tablet.get("/conversation")
    assert page.status_code == 200
    answer = tablet.post("/conversation/join", data={
        "code": code, "csrf_token": tablet.cookies.get("accord_conversation_csrf")},
        follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return tablet


def _tablet_csrf(tablet: TestClient) -> str:
    page = tablet.get("/conversation/tablet")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _events(client: TestClient, url: str) -> list[str]:
    stream = client.get(url + "?once=1")
    assert stream.status_code == 200 and stream.headers["content-type"].startswith(
        "text/event-stream")
    return re.findall(r'"kind": "([a-z-]+)"', stream.text)


def test_officer_and_tablet_talk_and_the_case_keeps_the_transcript(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    officer = make_user("cv.officer", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000901", officer.id)
    csrf = login(client, "cv.officer")
    reference, code = _start(client, csrf, case_ref)
    assert "PIN" not in client.get(f"/interpret/conversations/{reference}").text.split(
        'data-testid="join-code"')[0][-200:]

    _join(tablet, code)
    chooser = tablet.get("/conversation/tablet")
    assert 'data-testid="lang-ar"' in chooser.text and "العربية" in chooser.text
    assert "/logout" not in chooser.text and 'href="/cases' not in chooser.text  # kiosk
    token = _tablet_csrf(tablet)
    assert tablet.post("/conversation/tablet/language", data={
        "language": "ar", "csrf_token": token}, follow_redirects=False).status_code == 303
    page = tablet.get("/conversation/tablet")
    assert '<html lang="ar" dir="rtl"' in page.text

    said = "سرقوا جواز سفري"
    assert tablet.post("/conversation/tablet/say", data={"text": said, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    person_side = html.unescape(tablet.get("/conversation/tablet/panel").text)
    assert "هل هذا ما تقصده؟" in person_side and 'data-testid="pick-theft-passport-stolen"' \
        in person_side
    officer_side = html.unescape(client.get(f"/interpret/conversations/{reference}/panel").text)
    assert "我的护照被偷了。" in officer_side and "similarity" in officer_side
    assert "phrase confirmed by the person" not in officer_side  # not until the person taps
    turn = re.search(r'name="turn_id" value="(\d+)"', person_side).group(1)
    assert tablet.post("/conversation/tablet/confirm", data={
        "turn_id": turn, "entry_id": "theft-passport-stolen", "csrf_token": token},
        follow_redirects=False).status_code == 303
    officer_side = html.unescape(client.get(f"/interpret/conversations/{reference}/panel").text)
    assert 'data-testid="interpretation">我的护照被偷了。' in officer_side
    assert "phrase confirmed by the person" in officer_side

    # Officer → person: typed Chinese matched, the chosen entry shown in Arabic.
    assert client.post(f"/interpret/conversations/{reference}/say", data={
        "csrf_token": csrf, "text": "我需要看你的护照"}, follow_redirects=False).status_code == 303
    offers = html.unescape(client.get(f"/interpret/conversations/{reference}/panel").text)
    entry = re.search(r'data-testid="send-([a-z0-9-]+)"', offers).group(1)
    officer_turn = re.search(r'name="turn_id" value="(\d+)"', offers).group(1)
    assert client.post(f"/interpret/conversations/{reference}/send", data={
        "csrf_token": csrf, "turn_id": officer_turn, "entry_id": entry},
        follow_redirects=False).status_code == 303
    person_side = html.unescape(tablet.get("/conversation/tablet/panel").text)
    assert "يقول الشرطي:" in person_side and "أحتاج إلى رؤية جواز سفرك." in person_side
    assert "/conversation/tablet/audio?turn=" in person_side  # read aloud offered in Arabic

    # Both screens' streams come from the event table; the tablet sees only its conversation.
    kinds = _events(client, f"/interpret/conversations/{reference}/events")
    assert kinds == ["started", "joined", "language", "person-said", "person-confirmed",
                     "officer-matched", "officer-sent"]
    assert _events(tablet, "/conversation/tablet/events") == kinds
    resumed = tablet.get("/conversation/tablet/events?once=1",
                         headers={"Last-Event-ID": "999999"})
    assert "officer-sent" not in resumed.text

    # The case's bilingual transcript: the confirmed phrase and what the officer showed.
    from typer.testing import CliRunner

    from accord.cli import app as cli

    result = CliRunner().invoke(cli, ["phrases", "transcript", case_ref, "--user",
                                      "cv.officer"])
    assert result.exit_code == 0, result.output
    assert f"[ar] {said}" in result.output and "[zh] 我的护照被偷了。" in result.output
    assert "أحتاج إلى رؤية جواز سفرك." in result.output and "phrase chosen by the officer" \
        in result.output
    case_page = html.unescape(client.get(f"/cases/{case_ref}").text)
    transcript = case_page.split('data-testid="conversation-transcript"')[1].split("</section>")[0]
    assert said in transcript and "我的护照被偷了。" in transcript
    assert "أحتاج إلى رؤية جواز سفرك." in transcript

    # Speaking: a recording that is not audio is refused in the person's language; nothing
    # is matched or stored from it.
    spoken = tablet.post("/conversation/tablet/audio", data={"csrf_token": token},
                         files={"audio": ("x.wav", b"not a wav file", "audio/wav")})
    assert spoken.status_code == 422 and "لم يكن الكلام مسموعًا" in html.unescape(spoken.text)
    assert _events(client, f"/interpret/conversations/{reference}/events") == kinds


def test_wrong_expired_and_guessed_codes_are_refused(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    officer = make_user("cv.codes", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000902", officer.id)
    csrf = login(client, "cv.codes")
    reference, code = _start(client, csrf, case_ref)
    tablet.get("/conversation")
    form_csrf = tablet.cookies.get("accord_conversation_csrf")
    wrong = "000000" if code != "000000" else "111111"
    answer = tablet.post("/conversation/join", data={"code": wrong, "csrf_token": form_csrf})
    assert answer.status_code == 404 and "No conversation is waiting" in answer.text
    assert "accord_kiosk" not in tablet.cookies
    forged = tablet.post("/conversation/join", data={"code": code, "csrf_token": "x"})
    assert forged.status_code == 403 and "accord_kiosk" not in tablet.cookies
    with database.session() as session:
        session.execute(update(Conversation).values(code_expires_at=utcnow() - timedelta(
            seconds=1)))
    expired = tablet.post("/conversation/join", data={"code": code, "csrf_token": form_csrf})
    assert expired.status_code == 410 and "expired" in expired.text
    assert "accord_kiosk" not in tablet.cookies
    # A new code works once; the old one stays dead.
    fresh = client.post(f"/interpret/conversations/{reference}/code", data={"csrf_token": csrf})
    new_code = re.search(r'data-testid="join-code"[^>]*>(\d{6})<', fresh.text).group(1)
    _join(tablet, new_code)
    other = TestClient(client.app, base_url="http://testserver")
    other.get("/conversation")
    again = other.post("/conversation/join", data={
        "code": new_code, "csrf_token": other.cookies.get("accord_conversation_csrf")})
    assert again.status_code == 404  # single use
    # Guessing: after the limit, even a right code from that client waits.
    for _ in range(JOIN_MAX_FAILURES - 1):
        other.post("/conversation/join", data={
            "code": "999999", "csrf_token": other.cookies.get("accord_conversation_csrf")})
    limited = other.post("/conversation/join", data={
        "code": "999999", "csrf_token": other.cookies.get("accord_conversation_csrf")})
    assert limited.status_code == 429 and limited.headers["Retry-After"].isdigit()


def test_the_tablet_reaches_only_its_own_conversation(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    officer = make_user("cv.bound", Role.OFFICER)
    first = add_case(database, "FR-2026-000903", officer.id)
    second = add_case(database, "FR-2026-000904", officer.id)
    csrf = login(client, "cv.bound")
    mine, code = _start(client, csrf, first)
    theirs, _ = _start(client, csrf, second)
    # The other conversation has a person turn the tablet must not touch.
    _join(tablet, code)
    token = _tablet_csrf(tablet)
    tablet.post("/conversation/tablet/language", data={"language": "en", "csrf_token": token})

    for path in (f"/interpret/conversations/{theirs}", f"/interpret/conversations/{mine}",
                 f"/interpret/conversations/{theirs}/events?once=1", "/cases", "/"):
        refused = tablet.get(path, follow_redirects=False)
        assert refused.status_code == 403, path
    navigated = tablet.get("/cases", headers={"Accept": "text/html"}, follow_redirects=False)
    assert navigated.status_code == 303 and navigated.headers["location"] == \
        "/conversation/tablet"
    assert tablet.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 403
    # Joining another conversation does not swap this one out (only the PIN releases it).
    tablet.get("/conversation")
    other_code = _start(client, csrf, add_case(database, "FR-2026-000910", officer.id))[1]
    swapped = tablet.post("/conversation/join", data={
        "code": other_code, "csrf_token": tablet.cookies.get("accord_conversation_csrf")},
        follow_redirects=False)
    assert swapped.status_code == 303 and swapped.headers["location"] == "/conversation/tablet"
    with database.session() as session:
        assert session.scalar(select(func.count(Conversation.id)).where(
            Conversation.status == "joined")) == 1
    # Even with an officer's session cookie in the same browser, kiosk mode wins.
    tablet.cookies.set("accord_session", client.cookies.get("accord_session"))
    assert tablet.get(f"/interpret/conversations/{theirs}/panel").status_code == 403
    # A turn id from the other conversation is not found from this tablet.
    with database.session() as session:
        other_id = session.scalar(select(Conversation.id).where(
            Conversation.reference == theirs))
        foreign = ConversationTurn(conversation_id=other_id, direction="person", language="en",
                                   original_text="x", status="offered", candidates=[])
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id
    for action in ("confirm", "none"):
        answer = tablet.post(f"/conversation/tablet/{action}", data={
            "turn_id": str(foreign_id), "entry_id": "theft-passport-stolen",
            "csrf_token": token})
        assert answer.status_code == 404, action
    assert tablet.get(f"/conversation/tablet/audio?turn={foreign_id}").status_code == 404
    # Forged tablet forms are refused and change nothing.
    assert tablet.post("/conversation/tablet/language", data={
        "language": "fr", "csrf_token": "forged"}).status_code == 403
    with database.session() as session:
        assert session.scalar(select(Conversation.language).where(
            Conversation.reference == mine)) == "en"


def test_leaving_kiosk_mode_needs_the_pin_and_wrong_pins_are_rate_limited(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    officer = make_user("cv.pin", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000905", officer.id)
    csrf = login(client, "cv.pin")
    reference, code = _start(client, csrf, case_ref)
    _join(tablet, code)
    token = _tablet_csrf(tablet)
    for attempt in range(PIN_MAX_FAILURES):
        wrong = tablet.post("/conversation/tablet/leave", data={"pin": "0000",
                                                                "csrf_token": token})
        assert wrong.status_code == 403, attempt
        assert "Wrong PIN" in wrong.text and "accord_kiosk" in tablet.cookies
    blocked = tablet.post("/conversation/tablet/leave", data={"pin": PIN, "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "accord_kiosk" in tablet.cookies  # still locked, even with the right PIN
    with database.session() as session:  # the wait is over
        session.execute(update(Conversation).values(pin_blocked_until=utcnow()))
    released = tablet.post("/conversation/tablet/leave", data={"pin": PIN, "csrf_token": token},
                           follow_redirects=False)
    assert released.status_code == 303 and "accord_kiosk" not in tablet.cookies
    assert tablet.get("/conversation/tablet", follow_redirects=False).headers["location"] == \
        "/conversation"
    assert tablet.get("/conversation/tablet/events?once=1").status_code == 404
    panel = client.get(f"/interpret/conversations/{reference}/panel").text
    assert 'data-status="ended"' in panel
    with database.session() as session:
        row = session.scalar(select(Conversation))
        assert row.pin_hash.startswith("$argon2") and PIN not in row.pin_hash


def test_start_needs_access_to_the_case_and_a_pin(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("cv.owner", Role.OFFICER)
    make_user("cv.other", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000906", owner.id)
    csrf = login(client, "cv.other")
    base = {"csrf_token": csrf, "purpose": "victim-assistance",
            "legal_basis": "police-law-art-2", "pin": PIN}
    assert client.post("/interpret/conversations", data={**base, "case_ref": case_ref}
                       ).status_code == 403
    assert client.post("/interpret/conversations", data={**base, "case_ref": "FR-2000-999999"}
                       ).status_code == 404
    client.cookies.clear()
    csrf = login(client, "cv.owner")
    base["csrf_token"] = csrf
    weak = client.post("/interpret/conversations", data={**base, "case_ref": case_ref,
                                                         "pin": "12"})
    assert weak.status_code == 422 and "pin" in weak.text
    assert client.post("/interpret/conversations", data={
        **base, "case_ref": case_ref, "report_ref": "R-1"}).status_code == 422
    assert client.post("/interpret/conversations", data={
        "case_ref": case_ref, "pin": PIN, "purpose": "victim-assistance",
        "legal_basis": "police-law-art-2"}).status_code == 403  # no CSRF token
    with database.session() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_conversations_expire_with_their_turns_unless_the_case_is_held(
        make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    from accord.core.gateway.service import Caller
    from accord.core.governance import get_governance
    from accord.governance.retention import RetentionService
    from accord.interpret.conversation import ConversationService
    from accord.interpret.conversation_models import ConversationEvent

    officer = make_user("cv.keep", Role.OFFICER)
    free, held = (add_case(database, ref, officer.id)
                  for ref in ("FR-2026-000907", "FR-2026-000908"))
    governance = get_governance()
    service = ConversationService(database, "k", gateway=governance.gateway,
                                  ledger=governance.ledger)
    caller = Caller(user_id=officer.id, username="cv.keep", roles=frozenset({"officer"}))
    for case_ref in (free, held):
        started = service.start(caller, case_ref=case_ref, purpose="victim-assistance",
                                legal_basis="police-law-art-2", pin=PIN)
        with database.session() as session:
            row = session.scalar(select(Conversation).where(
                Conversation.reference == started.reference))
            session.add(ConversationTurn(conversation_id=row.id, direction="person",
                                         language="en", original_text="my words",
                                         status="no-match", candidates=[]))
    retention = RetentionService(database, governance.ledger)
    retention.hold(held, "investigation open", officer.id)
    assert "conversations" not in [c.category for c in retention.run(
        now=utcnow() + timedelta(days=179))]
    certificates = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=181))}
    assert certificates["conversations"].count == 1
    assert certificates["conversations"].held_back == 1
    with database.session() as session:
        assert session.scalars(select(Conversation.case_ref)).all() == [held]
        assert session.scalar(select(func.count(ConversationTurn.id))) == 1
        assert session.scalar(select(func.count(ConversationEvent.id))) == 1


def test_start_from_an_interview_report_follows_the_reports_access_rule(
        client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    from accord.interpret.library import get_library
    from accord.interpret.models import InterviewReport
    from accord.interpret.reports import ReportService

    owner = make_user("cv.rep.owner", Role.OFFICER)
    make_user("cv.rep.other", Role.OFFICER)
    reports = ReportService(database, get_library())
    form = get_library().form("lost-passport")
    draft = reports.submit(form, "ru", {}, channel="officer", created_by=owner.id)
    in_case = reports.submit(form, "ru", {}, channel="officer", created_by=owner.id)
    case_ref = add_case(database, "FR-2026-000909", owner.id)
    with database.session() as session:
        session.execute(update(InterviewReport).where(
            InterviewReport.reference == in_case.reference).values(case_reference=case_ref))
    csrf = login(client, "cv.rep.other")
    base = {"csrf_token": csrf, "purpose": "witness-interview",
            "legal_basis": "police-law-art-2", "pin": PIN}
    # A draft report is on the station's shared list: any officer may talk about it.
    started = client.post("/interpret/conversations", data={**base,
                                                            "report_ref": draft.reference})
    assert started.status_code == 201, started.text
    # A report that became another officer's case follows that case's rule.
    refused = client.post("/interpret/conversations", data={**base,
                                                            "report_ref": in_case.reference})
    assert refused.status_code == 403
    report_page = client.get(f"/interviews/reports/{draft.reference}")
    assert 'data-testid="conversation-transcript"' in report_page.text
    assert f"/interpret/conversations?report={draft.reference}" in report_page.text
    with database.session() as session:
        rows = session.execute(select(Conversation.report_ref, Conversation.case_ref)).all()
    assert rows == [(draft.reference, "")]


# -- language ID of what the person typed: a suggestion on the tablet, never a switch ------------
def _langid_output(language: str, score: float, *, short: bool = False,
                   close: list[str] | None = None) -> dict[str, object]:
    from accord.interpret.langid import CONFIDENCE_FLOOR, SHORT_CONFIDENCE_FLOOR

    return {"language": language, "candidates": [{"language": language, "score": score}],
            "short": short, "floor": SHORT_CONFIDENCE_FLOOR if short else CONFIDENCE_FLOOR,
            "close_languages": close or []}


def test_a_suggestion_needs_another_phrasebook_language_above_the_floor() -> None:
    from accord.interpret.conversation import LanguageSuggestion, language_suggestion

    assert language_suggestion(_langid_output("ru", 0.93), "vi") == LanguageSuggestion(
        "ru", 0.93, False)
    assert language_suggestion(_langid_output("vi", 0.99), "vi") is None  # what they chose
    assert language_suggestion(_langid_output("ru", 0.45), "vi") is None  # below 0.5
    # Short input: the stricter floor.
    assert language_suggestion(_langid_output("ru", 0.7, short=True), "vi") is None
    assert language_suggestion(_langid_output("ru", 0.85, short=True), "vi") is not None
    # No phrasebook in Uzbek: nothing to switch to.
    assert language_suggestion(_langid_output("uz", 0.9), "vi") is None
    # Cyrillic Uzbek read as Russian: the close language is named ("ask the person").
    found = language_suggestion(_langid_output("ru", 0.9, short=True, close=["ru", "uz"]), "vi")
    assert found is not None and found.language == "ru" and found.also == ("uz",)
    assert language_suggestion({"language": "", "candidates": [], "floor": 0.5}, "vi") is None


def test_text_in_another_language_is_answered_with_a_question_not_a_switch(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    officer = make_user("cv.langid", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000911", officer.id)
    csrf = login(client, "cv.langid")
    reference, code = _start(client, csrf, case_ref)
    _join(tablet, code)
    token = _tablet_csrf(tablet)
    tablet.post("/conversation/tablet/language", data={"language": "fr", "csrf_token": token})

    said = tablet.post("/conversation/tablet/say", data={
        "text": "Вчера вечером в метро у меня украли паспорт и телефон", "csrf_token": token},
        follow_redirects=False)
    assert said.status_code == 303, said.text[-600:]
    assert said.headers["location"] == \
        "/conversation/tablet?suggest=ru"
    page = html.unescape(tablet.get(said.headers["location"]).text)
    box = page.split('data-testid="language-suggestion"')[1].split("</section>")[0]
    assert "Ce texte semble être en Русский. Changer de langue ?" in box  # their choice
    assert "Похоже, это Русский. Переключить язык?" in box  # and the one suggested
    assert 'value="ru"' in box and "Français" in box
    with database.session() as session:  # nothing switched by itself
        assert session.scalar(select(Conversation.language).where(
            Conversation.reference == reference)) == "fr"

    # French text: no question; a crafted query naming no other phrasebook language: none.
    plain = tablet.post("/conversation/tablet/say", data={
        "text": "Hier soir, on m'a volé mon passeport et mon téléphone dans le métro",
        "csrf_token": token}, follow_redirects=False)
    assert plain.headers["location"] == "/conversation/tablet"
    for query in ("suggest=fr", "suggest=xx", "suggest=uz", "suggest=ru&also=<b>"):
        shown = tablet.get(f"/conversation/tablet?{query}").text
        assert ('data-testid="language-suggestion"' in shown) == query.startswith(
            "suggest=ru"), query
        assert "<b>" not in shown.split('data-testid="say-form"')[0].split("<main")[-1]

    # The person's tap is what switches.
    assert tablet.post("/conversation/tablet/language", data={
        "language": "ru", "csrf_token": token}, follow_redirects=False).status_code == 303
    with database.session() as session:
        assert session.scalar(select(Conversation.language).where(
            Conversation.reference == reference)) == "ru"


def test_a_refreshed_start_form_starts_one_conversation(
        client: TestClient, tablet: TestClient, make_user,  # type: ignore[no-untyped-def]
        database: Database) -> None:
    """Found in a walk: reloading the page the start form answered re-posted it and started a
    second conversation with a new code, while the tablet stayed on the first."""
    from accord.interpret.conversation_models import Conversation

    officer = make_user("cv.refresh", Role.OFFICER)
    case_ref = add_case(database, "FR-2026-000907", officer.id)
    csrf = login(client, "cv.refresh")
    key = re.search(r'name="start_key" value="([^"]+)"',
                    client.get("/interpret/conversations").text)
    assert key is not None
    form = {"csrf_token": csrf, "case_ref": case_ref, "purpose": "victim-assistance",
            "legal_basis": "police-law-art-2", "pin": PIN, "start_key": key.group(1)}

    def started() -> tuple[str, str]:
        page = client.post("/interpret/conversations", data=form)
        assert page.status_code == 201, page.text
        code = re.search(r'data-testid="join-code"[^>]*>(\d{6})<', page.text)
        reference = re.search(r'data-testid="conversation-ref">(CV-[0-9A-F]+)<', page.text)
        assert code is not None and reference is not None
        return reference.group(1), code.group(1)

    first_ref, first_code = started()
    again_ref, again_code = started()  # the refresh
    assert again_ref == first_ref
    with database.session() as session:
        assert session.query(Conversation).count() == 1
    # Only the latest code joins (the first is no longer stored).
    if first_code != again_code:
        page = tablet.get("/conversation")
        assert page.status_code == 200
        refused = tablet.post("/conversation/join", data={
            "code": first_code, "csrf_token": tablet.cookies.get("accord_conversation_csrf")},
            follow_redirects=False)
        assert refused.status_code != 303
    _join(tablet, again_code)
    # Sent again after the tablet joined: the officer is taken to that conversation.
    after = client.post("/interpret/conversations", data=form, follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] == f"/interpret/conversations/{first_ref}"
    with database.session() as session:
        assert session.query(Conversation).count() == 1
    # A new form gets a new key and starts a new conversation.
    fresh = re.search(r'name="start_key" value="([^"]+)"',
                      client.get("/interpret/conversations").text)
    assert fresh is not None and fresh.group(1) != key.group(1)
