"""Speech intake: a caller's recording on an incident, transcribed off the web process.

The dispatcher uploads a WAV (at most :data:`MAX_RECORDING_BYTES`, two minutes). It is held in
``dispatch_recordings`` only until a queue job (``dispatch.transcribe``) has run: the job sends
it to ``interpret.transcribe`` through the governed gateway by way of the core hook
``contract.transcribe_speech`` (dispatch does not import interpret), passing the caller's
language when it is known, and then empties the audio whatever the outcome. The job reports its
progress on the recording's row and on the job page, so the incident page shows it.

The transcript is a **draft**, shown with each segment's confidence; it is never the record.
It reaches the narrative only when a dispatcher confirms it (corrected if need be); a discarded
draft's words are erased. The event log, which every board reads, records that a recording was
attached, transcribed, confirmed or discarded, never its words.
"""

from __future__ import annotations

import hashlib
import io
import wave
from typing import Any

from sqlalchemy import select, update

from accord.core.errors import AccordError, Conflict, NotFound, ValidationFailed
from accord.core.i18n import M_, N_
from accord.dispatch.models import DispatchIncident, DispatchNarrative, DispatchRecording
from accord.dispatch.service import Actor, DispatchService

JOB_KIND = "dispatch.transcribe"
#: Two minutes of 16 kHz 16-bit mono is 3.8 MB; 8 MB leaves room for 44.1 kHz mono.
MAX_RECORDING_BYTES = 8 * 1024 * 1024
MAX_RECORDING_SECONDS = 120.0
MAX_PENDING = 3  # recordings waiting or running per incident
#: Purpose of the gateway call: the caller's words, for the dispatcher and any interpreter.
TRANSCRIBE_PURPOSE = "interpretation"
#: Opens a confirmed transcript in the narrative, so it is never mistaken for typed notes.
CONFIRMED_PREFIX = "Caller's words, machine transcript confirmed by the dispatcher ({language}): "


def check_wav(data: bytes) -> float:
    """Refuse anything that is not a short PCM WAV before it is stored: its length in
    seconds. (The transcriber checks level and format again in full.)"""
    if not data:
        raise ValidationFailed(detail=M_("audio: choose a WAV recording"))
    if len(data) > MAX_RECORDING_BYTES:
        raise ValidationFailed(detail=M_("audio: %(size)s bytes is larger than the %(limit)s "
                                         "bytes allowed", size=f"{len(data):,}",
                                         limit=f"{MAX_RECORDING_BYTES:,}"))
    try:
        with wave.open(io.BytesIO(data)) as reader:
            rate, frames = reader.getframerate(), reader.getnframes()
            if reader.getcomptype() != "NONE" or rate <= 0:
                raise ValidationFailed(detail=M_("audio: only uncompressed PCM WAV is accepted"))
    except (wave.Error, EOFError, RuntimeError, ValueError) as error:
        raise ValidationFailed(detail=M_("audio: not a PCM WAV file (%(value)s)",
                                         value=error or type(error).__name__)) from None
    seconds = frames / rate
    if seconds > MAX_RECORDING_SECONDS:
        raise ValidationFailed(detail=M_("audio: %(seconds).0f s is longer than the "
                                         "%(max_recording_seconds).0f s allowed",
                                         seconds=seconds,
                                         max_recording_seconds=MAX_RECORDING_SECONDS))
    if seconds <= 0:
        raise ValidationFailed(detail=M_("audio: the recording is empty"))
    return seconds


def attach(service: DispatchService, actor: Actor, reference: str | int,
           data: bytes) -> dict[str, Any]:
    """Store the recording with the incident and queue its transcription; nothing is queued
    when the recording or the incident is refused."""
    from accord.core.jobs import JobService
    from accord.dispatch import jobs  # noqa: F401  (registers the handler in a CLI process)

    check_wav(data)
    with service.database.session() as session:
        incident = service._open_incident(session, actor, reference)
        pending = session.scalars(select(DispatchRecording.id).where(
            DispatchRecording.incident_id == incident.id,
            DispatchRecording.status.in_(("queued", "running")))).all()
        if len(pending) >= MAX_PENDING:
            raise Conflict(detail=M_("%(reference)s already has %(count)s recordings waiting to "
                                     "be transcribed",
                                     reference=incident.reference, count=len(pending)))
        row = DispatchRecording(incident_id=incident.id, status="queued", audio=data,
                                audio_sha256=hashlib.sha256(data).hexdigest(),
                                audio_bytes=len(data), language=incident.caller_language,
                                created_by=actor.user_id, segments=[])
        session.add(row)
        session.flush()
        recording_id = row.id
        service._event(session, "recording-attached", actor, incident=incident,
                       recording=recording_id)
    job = JobService(service.database).submit(JOB_KIND, {"recording": recording_id},
                                              created_by=actor.user_id)
    with service.database.session() as session:
        session.execute(update(DispatchRecording).where(DispatchRecording.id == recording_id)
                        .values(job_id=job.id))
    return recording(service, actor, reference, recording_id)


def _brief(row: DispatchRecording, job: Any = None) -> dict[str, Any]:
    progress = 100 if row.status not in ("queued", "running") else (
        int(job.progress) if job is not None else 0)
    return {"id": row.id, "status": row.status, "job_id": row.job_id, "progress": progress,
            "progress_message": (job.message if job is not None and row.status in
                                 ("queued", "running") else ""),
            "language": row.language, "transcript_language": row.transcript_language,
            "language_source": row.language_source, "decision_id": row.decision_id,
            "draft": row.draft, "segments": list(row.segments or ()),
            "seconds": row.seconds, "engine": row.engine, "error": row.error,
            "confirmed_text": row.confirmed_text, "audio_bytes": row.audio_bytes,
            "audio_held": row.audio is not None, "decided_by": row.decided_by,
            "created_at": row.created_at.isoformat(),
            "decided_at": row.decided_at.isoformat() if row.decided_at else None}


def recordings_of(session: Any, incident_id: int) -> list[dict[str, Any]]:
    from accord.core.jobs.models import Job

    rows = list(session.scalars(select(DispatchRecording).where(
        DispatchRecording.incident_id == incident_id).order_by(DispatchRecording.id)))
    jobs = {j.id: j for j in session.scalars(select(Job).where(
        Job.id.in_([r.job_id for r in rows if r.job_id])))} if rows else {}
    return [_brief(r, jobs.get(r.job_id)) for r in rows]


def _row(session: Any, incident: DispatchIncident, recording_id: int) -> DispatchRecording:
    row = session.get(DispatchRecording, int(recording_id))
    if row is None or row.incident_id != incident.id:
        raise NotFound(N_("No recording %(recording)s on %(reference)s."),
                       recording=str(recording_id), reference=incident.reference)
    return row


def recording(service: DispatchService, actor: Actor, reference: str | int,
              recording_id: int) -> dict[str, Any]:
    from accord.core.jobs.models import Job

    with service.database.session() as session:
        incident = service._get_incident(session, reference)
        service._check_access(session, actor, incident)
        row = _row(session, incident, recording_id)
        job = session.get(Job, row.job_id) if row.job_id else None
        return {**_brief(row, job), "incident": incident.reference}


def confirm(service: DispatchService, actor: Actor, reference: str | int, recording_id: int,
            text: str) -> dict[str, Any]:
    """The dispatcher read the draft back (and corrected it): it goes into the narrative,
    once. Two dispatchers confirming at once: one wins, the other gets 409."""
    text = service.check_narrative(text)
    if not text:
        raise ValidationFailed(detail=M_("the confirmed transcript is empty"))
    with service.database.session() as session:
        incident = service._open_incident(session, actor, reference)
        row = _row(session, incident, recording_id)
        if row.status != "draft":
            raise Conflict(detail=M_("recording %(id)s is %(status)s: only a draft transcript "
                                     "can be confirmed", id=row.id, status=row.status))
        now = service.clock()
        changed = session.execute(update(DispatchRecording).where(
            DispatchRecording.id == row.id, DispatchRecording.status == "draft").values(
            status="confirmed", confirmed_text=text, decided_by=actor.username,
            decided_at=now)).rowcount
        if changed != 1:
            raise Conflict(detail=M_("recording %(id)s was decided by someone else meanwhile",
                                     id=row.id))
        language = row.transcript_language or row.language or "?"
        body = service.check_narrative(CONFIRMED_PREFIX.format(language=language) + text)
        session.add(DispatchNarrative(incident_id=incident.id, author_id=actor.user_id,
                                      author=actor.username, text=body))
        incident.updated_at = now
        service._event(session, "transcript-confirmed", actor, incident=incident,
                       recording=row.id, decision_id=row.decision_id)
    return service.incident(reference)


def discard(service: DispatchService, actor: Actor, reference: str | int,
            recording_id: int) -> dict[str, Any]:
    """The draft is wrong or not needed: its words are erased, the fact stays in the log."""
    with service.database.session() as session:
        incident = service._open_incident(session, actor, reference)
        row = _row(session, incident, recording_id)
        if row.status not in ("draft", "failed"):
            raise Conflict(detail=M_("recording %(id)s is %(status)s; only a draft or a failed "
                                     "transcription can be discarded",
                                     id=row.id, status=row.status))
        changed = session.execute(update(DispatchRecording).where(
            DispatchRecording.id == row.id, DispatchRecording.status == row.status).values(
            status="discarded", draft="", segments=[], audio=None, decided_by=actor.username,
            decided_at=service.clock())).rowcount
        if changed != 1:
            raise Conflict(detail=M_("recording %(id)s was decided by someone else meanwhile",
                                     id=row.id))
        service._event(session, "transcript-discarded", actor, incident=incident,
                       recording=row.id)
    return service.incident(reference)


def run_transcription(service: DispatchService, recording_id: int,
                      progress: Any = None) -> dict[str, Any]:
    """The queue job's work: transcribe through the core hook, store the draft, empty the
    audio. A refusal (the gateway's or the transcriber's) is stored as the recording's error
    and raised again, so the job shows it as failed."""
    from accord.core.accounts.models import User
    from accord.core.contract import HookMissing, transcribe_speech
    from accord.core.gateway.service import Caller
    from accord.dispatch.capability import LEGAL_BASIS

    def report(percent: int, message: str) -> None:
        if progress is not None:
            progress(percent, message)

    report(5, "recording received")
    with service.database.session() as session:
        row = session.get(DispatchRecording, int(recording_id))
        if row is None or row.status != "queued" or row.audio is None:
            raise ValidationFailed(detail=M_("recording %(recording_id)s is not waiting",
                                             recording_id=recording_id))
        user = session.get(User, row.created_by) if row.created_by else None
        if user is None:
            raise ValidationFailed(detail=M_("the dispatcher who attached the recording is gone"))
        caller = Caller(user.id, user.username, frozenset(str(r) for r in user.roles))
        audio, language, incident_id = bytes(row.audio), row.language, row.incident_id
        row.status = "running"
    report(20, f"transcribing ({language or 'language to be suggested'})")
    try:
        draft = transcribe_speech(caller, audio, language, TRANSCRIBE_PURPOSE, LEGAL_BASIS)
    except (AccordError, HookMissing) as failed:
        reason = (str(failed) if isinstance(failed, AccordError)
                  else "no speech transcription is installed")
        with service.database.session() as session:
            row = session.get(DispatchRecording, int(recording_id))
            assert row is not None
            row.status, row.error, row.audio = "failed", reason[:2000], None
            incident = session.get(DispatchIncident, incident_id)
            service._event(session, "transcript-failed", Actor(caller.user_id, caller.username),
                           incident=incident, recording=row.id)
        if isinstance(failed, AccordError):
            raise
        raise ValidationFailed(detail=M_("no speech transcription is installed")) from None
    except BaseException:
        # Anything unexpected: the audio is not kept either (the job shows the failure).
        with service.database.session() as session:
            session.execute(update(DispatchRecording).where(
                DispatchRecording.id == int(recording_id)).values(
                status="failed", error="internal error; see the server log", audio=None))
        raise
    report(90, "storing the draft")
    with service.database.session() as session:
        row = session.get(DispatchRecording, int(recording_id))
        assert row is not None
        row.status, row.audio = "draft", None
        row.draft, row.segments = draft.text, [dict(s) for s in draft.segments]
        row.transcript_language, row.language_source = draft.language, draft.language_source
        row.decision_id, row.seconds, row.engine = draft.decision_id, draft.seconds, draft.engine
        incident = session.get(DispatchIncident, incident_id)
        service._event(session, "transcript-drafted", Actor(caller.user_id, caller.username),
                       incident=incident, recording=row.id, decision_id=draft.decision_id)
    return {"recording": int(recording_id), "incident": f"E-{incident_id}",
            "status": "draft", "decision_id": draft.decision_id, "note": draft.note}
