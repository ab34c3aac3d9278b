"""Queue job: redact a video, with progress and cancel (import this module to register it)."""

from __future__ import annotations

from typing import Any

from accord.core.jobs import JobContext, job_handler

KIND = "vision.redact-video"


@job_handler(KIND)
def redact_video_job(context: JobContext) -> dict[str, Any]:
    """params: item_id (the queued redacted item), purpose, legal_basis, kinds, mode."""
    from accord.core.governance import get_governance
    from accord.vision.service import VisionService

    return VisionService(get_governance()).run_video(
        int(context.params["item_id"]), context.params, context.created_by, context.progress)
