"""The speech page through the real app: upload → gateway → transcript with its retention class,
save to a case (statement kept with its audio), refusals with the reason, and read-aloud."""

from __future__ import annotations

import html
import io
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.models import Statement
from accord.cases.service import CaseService
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role
from accord.interpret import speech
from accord.interpret.piper_voice import speak_neural_en
from tests.helpers import login

SENTENCE = "I lost my wallet on the bus this morning."


@pytest.fixture(scope="module")
def spoken() -> bytes:
    return speak_neural_en(SENTENCE, deterministic=True)


def _form(csrf: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "language": "en",
        "purpose": "victim-assistance",
        "legal_basis": "police-law-art-2",
        **extra,
    }


def _files(data: bytes, name: str = "recording.wav") -> dict[str, tuple[str, bytes, str]]:
    return {"audio": (name, data, "audio/wav")}


def _blob_files(state: Path) -> list[Path]:
    root = state / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_page_shows_recorder_upload_and_read_aloud(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("spp.officer", Role.OFFICER)
    login(client, "spp.officer")
    page = client.get("/interpret/speech")
    assert page.status_code == 200
    for marker in (
        'data-testid="record-start"',
        'name="audio"',
        'action="/interpret/speech/audio"',
        'enctype="multipart/form-data"',
        'name="csrf_token"',
        "/static/js/recorder.js",
        'action="/interpret/speech/speak"',
        'name="case_ref"',
    ):
        assert marker in page.text, marker
    assert client.get("/static/js/recorder.js").status_code == 200


def test_upload_shows_transcript_retention_and_deletes_the_audio(
    client: TestClient,
    make_user,
    spoken: bytes,  # type: ignore[no-untyped-def]
    accord_env: dict[str, str],
) -> None:
    make_user("spp.interp", Role.INTERPRETER)
    csrf = login(client, "spp.interp")
    done = client.post("/interpret/speech/audio", data=_form(csrf), files=_files(spoken))
    assert done.status_code == 200, done.text
    body = html.unescape(done.text)
    start = body.index('data-testid="transcript">') + len('data-testid="transcript">')
    transcript = body[start : body.index("</p>", start)]
    assert speech.word_error_rate(SENTENCE, transcript) <= 0.25, transcript
    assert "ai-decision-content" in body and "erased after 90 days" in body
    assert "Deleted after transcription" in body
    assert _blob_files(Path(accord_env["ACCORD_STATE_DIR"])) == []


def test_save_to_case_keeps_the_audio_with_a_transcribed_statement(
    client: TestClient,
    database: Database,
    make_user,  # type: ignore[no-untyped-def]
    spoken: bytes,
    accord_env: dict[str, str],
) -> None:
    state = Path(accord_env["ACCORD_STATE_DIR"])
    officer = make_user("spp.case", Role.OFFICER)
    other = make_user("spp.other", Role.OFFICER)
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(state))
        mine = service.create_case(
            case_type="theft-victim", title="Wallet", officer_id=officer.id
        ).reference
        theirs = service.create_case(
            case_type="theft-victim", title="Other", officer_id=other.id
        ).reference
        session.commit()
    csrf = login(client, "spp.case")
    hidden = client.post(
        "/interpret/speech/audio", data=_form(csrf, case_ref=theirs), files=_files(spoken)
    )
    assert hidden.status_code == 403 and "may save to this case" in html.unescape(hidden.text)
    unknown = client.post(
        "/interpret/speech/audio", data=_form(csrf, case_ref="FR-2026-999999"), files=_files(spoken)
    )
    assert unknown.status_code == 404 and "No case with reference" in unknown.text
    assert _blob_files(state) == []
    draft = client.post(
        "/interpret/speech/audio", data=_form(csrf, case_ref=mine.lower()), files=_files(spoken)
    )
    assert draft.status_code == 200, draft.text
    body = html.unescape(draft.text)
    # A draft: nothing is a statement until the person or an interpreter confirms it.
    assert 'data-testid="confirm-form"' in body and "Held until the transcript is confirmed" in body
    with database.session() as session:
        assert session.scalar(select(Statement).where(Statement.origin == "transcribed")) is None
    decision = re.search(r'name="decision_id" value="([0-9a-f]+)"', body).group(1)
    corrected = "I lost my wallet on the number 5 bus this morning."
    confirm = {"csrf_token": csrf, "decision_id": decision, "case_ref": mine, "text": corrected}
    unconfirmed = client.post("/interpret/speech/confirm", data=confirm)
    assert unconfirmed.status_code == 422 and "must confirm" in html.unescape(unconfirmed.text)
    saved = client.post("/interpret/speech/confirm", data={**confirm, "confirmed_by": "person"})
    assert saved.status_code == 200, saved.text
    body = html.unescape(saved.text)
    assert f"Saved to case {mine}" in body and "Kept with the case statement" in body
    again = client.post("/interpret/speech/confirm", data={**confirm, "confirmed_by": "person"})
    assert again.status_code == 409
    with database.session() as session:
        statement = session.scalar(select(Statement).where(Statement.origin == "transcribed"))
        assert statement is not None and statement.case.reference == mine
        assert statement.text == corrected  # the confirmed words, not the machine draft
        assert BlobStore.for_state_dir(state).verify(statement.audio_sha256)
    assert not any((state / "speech-unsaved").iterdir())


def test_bad_audio_and_wrong_language_are_4xx_with_the_problem_named(
    client: TestClient, make_user, spoken: bytes
) -> None:  # type: ignore[no-untyped-def]
    make_user("spp.bad", Role.OFFICER)
    csrf = login(client, "spp.bad")
    silent = io.BytesIO()
    with wave.open(silent, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros(16000, dtype="<i2").tobytes())
    cases = [
        (_files(b"OggS not a wav", "clip.ogg"), {}, "Not a WAV file"),
        (_files(silent.getvalue()), {}, "No speech detected"),
        ({}, {}, "audio: record or choose a WAV file"),
        (_files(spoken), {"language": "sw"}, "No speech-to-text model for language sw"),
    ]
    for files, extra, message in cases:
        answer = client.post("/interpret/speech/audio", data=_form(csrf, **extra), files=files)
        assert answer.status_code == 422, (message, answer.status_code)
        body = html.unescape(answer.text)
        assert message in body and "Request an interpreter" in body


def test_csrf_and_roles(client: TestClient, make_user, spoken: bytes) -> None:  # type: ignore[no-untyped-def]
    make_user("spp.analyst", Role.ANALYST)
    make_user("spp.nocsrf", Role.OFFICER)
    login(client, "spp.nocsrf")
    form = _form("")
    del form["csrf_token"]
    assert (
        client.post("/interpret/speech/audio", data=form, files=_files(spoken)).status_code == 403
    )
    client.cookies.clear()
    login(client, "spp.analyst")
    assert client.get("/interpret/speech").status_code == 403


def _ledger_size(database: Database) -> int:
    from sqlalchemy import func

    from accord.core.gateway.models import LedgerEntry

    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)))


def test_read_aloud_returns_wav_or_names_the_problem(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env: dict[str, str]
) -> None:
    from accord.core.gateway.models import Decision, LedgerEntry

    make_user("spp.tts", Role.OFFICER)
    csrf = login(client, "spp.tts")
    speak = {"csrf_token": csrf, "speak_purpose": "victim-assistance"}
    before = _ledger_size(database)
    english = client.post(
        "/interpret/speech/speak",
        data={**speak, "speak_text": "Please wait here.", "speak_lang": "en"},
    )
    assert english.status_code == 200 and english.headers["content-type"] == "audio/wav"
    assert english.headers["x-speech-engine"] == "piper" and english.content[:4] == b"RIFF"
    # Through the gateway: one ledger entry, a decision of interpret.speak holding the audio's
    # digest and length, never the audio; the audio itself is not kept in the blob store.
    assert _ledger_size(database) == before + 1
    seq = int(english.headers["x-ledger-seq"])
    with database.session() as session:
        entry = session.get(LedgerEntry, seq)
        assert entry.kind == "decision" and entry.capability_id == "interpret.speak"
        record = session.scalar(select(Decision).where(Decision.ledger_seq == seq))
        assert record.capability_id == "interpret.speak" and record.purpose == "victim-assistance"
        assert record.output["engine"] == "piper" and record.output["seconds"] > 0.3
        import hashlib

        assert record.output["audio_sha256"] == hashlib.sha256(english.content).hexdigest()
    assert _blob_files(Path(accord_env["ACCORD_STATE_DIR"])) == []
    chinese = client.post(
        "/interpret/speech/speak",
        data={**speak, "speak_text": "请在这里等候。", "speak_lang": "zh"},
    )
    assert chinese.status_code == 200 and chinese.headers["x-speech-engine"] == "espeak-ng"
    empty = client.post(
        "/interpret/speech/speak", data={**speak, "speak_text": " ", "speak_lang": "en"}
    )
    assert empty.status_code == 422 and "speak_text: type the text" in html.unescape(empty.text)
    unknown = client.post(
        "/interpret/speech/speak", data={**speak, "speak_text": "Hi", "speak_lang": "xx"}
    )
    assert unknown.status_code == 422 and "No voice for language xx" in unknown.text
    # A purpose not registered for reading aloud is refused by policy, and the refusal ledgered.
    wrong = client.post(
        "/interpret/speech/speak",
        data={**speak, "speak_text": "Hi", "speak_lang": "en", "speak_purpose": "patrol-planning"},
    )
    assert wrong.status_code == 403 and 'data-testid="denial"' in wrong.text
    assert _ledger_size(database) == before + 3


def test_read_aloud_refuses_while_suspended(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database
) -> None:
    from accord.core.gateway.service import Caller
    from accord.core.governance import get_governance

    admin = make_user("spp.admin", Role.ADMIN)
    gateway = get_governance().gateway
    gateway.set_suspended("interpret.speak", True,
                          Caller(admin.id, admin.username, frozenset({"admin"})), "voice fault")
    make_user("spp.susp", Role.OFFICER)
    csrf = login(client, "spp.susp")
    before = _ledger_size(database)
    refused = client.post("/interpret/speech/speak", data={
        "csrf_token": csrf, "speak_purpose": "victim-assistance", "speak_text": "Please wait.",
        "speak_lang": "en"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert "is suspended: voice fault" in html.unescape(refused.text)
    assert _ledger_size(database) == before + 1  # the refusal is ledgered
