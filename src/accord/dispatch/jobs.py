"""Queue job: transcribe a caller's recording attached to an incident (import to register)."""

from __future__ import annotations

from typing import Any

from accord.core.jobs import JobContext, job_handler
from accord.dispatch.recordings import JOB_KIND


@job_handler(JOB_KIND)
def transcribe_recording_job(context: JobContext) -> dict[str, Any]:
    """params: recording (the id of the ``dispatch_recordings`` row)."""
    from accord.dispatch.recordings import run_transcription
    from accord.dispatch.service import DispatchService

    return run_transcription(DispatchService(context.database),
                             int(context.params["recording"]), context.progress)
