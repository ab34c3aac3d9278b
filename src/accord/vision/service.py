"""VisionService: the typed functions the web routes and the command line share.

Redaction: the original is stored (blob store) and recorded as an item with a custody chain;
``vision.redact`` proposes boxes through the gateway; a draft redacted item is rendered from
them; a supervisor (never the requester) sees every box, edits and approves, which closes the
gateway review; only an approved item is exported, and each export is ledgered. Nothing is
recorded when the file is unreadable or the gateway refuses: items are written in one
transaction after the model answered.

Refusals: identification (1:N), emotion and "suspicion" analysis are sent to the gateway as the
prohibited uses they are, so the refusal is ledgered like any other decision and counted on
the public transparency register; the image is never read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from accord.core.contract import blob_in_use
from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.models import Review
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import Governance
from accord.core.i18n import M_, N_
from accord.vision.capability import COUNT_ID, KIND_SETS, REDACT_ID, VERIFY_ID, blob_store
from accord.vision.models import VisionConsent, VisionCustodyEvent, VisionItem

REVIEWER_ROLES = frozenset({"supervisor"})
SEES_ALL = frozenset({"supervisor", "dpo", "auditor"})
#: What a refused request asks for → the prohibited use registered in accord.core.registry.
REFUSED = {
    "identify": "vision.watchlist-identification",
    "emotion": "affect.emotion-detection",
    "suspicion": "risk.person-score",
}
VIDEO_JOB = "vision.redact-video"
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "BMP": "image/bmp",
               "WEBP": "image/webp", "TIFF": "image/tiff", "GIF": "image/gif"}


@dataclass(frozen=True)
class ItemView:
    """An item as the reviewer and the CLI see it."""

    id: int
    sha256: str
    status: str
    media_type: str
    filename: str
    width: int
    height: int
    frames: int
    parent_id: int | None
    parent_sha256: str
    detector_version: str
    decision_id: str
    mode: str
    boxes: list[dict[str, Any]]
    created_by: int | None
    reviewed_by: int | None
    approved_at: str | None
    job_id: str
    custody: list[dict[str, Any]]

    @property
    def exportable(self) -> bool:
        return self.status == "approved"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "exportable": self.exportable}


def _view(session: Any, item: VisionItem) -> ItemView:
    events = session.scalars(select(VisionCustodyEvent).where(
        VisionCustodyEvent.item_id == item.id).order_by(VisionCustodyEvent.id))
    return ItemView(
        id=item.id, sha256=item.sha256, status=item.status, media_type=item.media_type,
        filename=item.filename, width=item.width, height=item.height, frames=item.frames,
        parent_id=item.parent_id, parent_sha256=item.parent_sha256,
        detector_version=item.detector_version, decision_id=item.decision_id, mode=item.mode,
        boxes=list(item.boxes or []), created_by=item.created_by, reviewed_by=item.reviewed_by,
        approved_at=item.approved_at.isoformat() if item.approved_at else None,
        job_id=item.job_id,
        custody=[{"action": e.action, "at": e.at.isoformat(), "by_user": e.by_user,
                  "note": e.note, "hash_verified": e.hash_verified, "ledger_seq": e.ledger_seq}
                 for e in events])


def may_access(caller: Caller, item: VisionItem) -> bool:
    """The one object-access rule for vision items: the person who collected it, or someone
    who oversees every item (supervisors review them; the DPO and auditors check them)."""
    return item.created_by == caller.user_id or bool(SEES_ALL & caller.roles)


def _custody(session: Any, item: VisionItem, action: str, user: int | None, note: str = "",
             ledger_seq: int | None = None) -> None:
    verified = blob_store().verify(item.sha256) if item.sha256 else None
    session.add(VisionCustodyEvent(item_id=item.id, action=action, note=note,
                                   hash_verified=verified, ledger_seq=ledger_seq,
                                   by_user=user))


class VisionService:
    def __init__(self, governance: Governance) -> None:
        self.governance = governance
        self.database = governance.gateway.database

    # -- reading -------------------------------------------------------------------------------
    def _item(self, session: Any, caller: Caller, item_id: int) -> VisionItem:
        item = session.get(VisionItem, item_id)
        if item is None or not may_access(caller, item):
            # To someone without access, a missing item and another's look the same.
            raise NotFound(N_("No vision item %(id)s, or no access to it."), id=item_id)
        return item

    def item(self, caller: Caller, item_id: int) -> ItemView:
        with self.database.session() as session:
            return _view(session, self._item(session, caller, item_id))

    def items(self, caller: Caller, *, status: str = "", limit: int = 50) -> list[ItemView]:
        with self.database.session() as session:
            query = select(VisionItem).order_by(VisionItem.id.desc()).limit(limit)
            if status:
                query = query.where(VisionItem.status == status)
            if not SEES_ALL & caller.roles:
                query = query.where(VisionItem.created_by == caller.user_id)
            return [_view(session, item) for item in session.scalars(query)]

    # -- redaction of images -------------------------------------------------------------------
    def redact_image(self, caller: Caller, data: bytes, *, filename: str = "",
                     purpose: str, legal_basis: str, kinds: str = "faces-and-plates",
                     mode: str = "solid", case_ref: str = "") -> ItemView:
        """Store the original, ask ``vision.redact`` for boxes and record a draft redacted
        item pending review. Raises ValidationFailed for an unreadable or oversized image (and
        stores nothing), and the gateway's refusals."""
        from accord.vision import detect

        if kinds not in KIND_SETS:
            raise ValidationFailed(detail=M_("kinds: one of %(kind_sets)s",
                                             kind_sets=', '.join(KIND_SETS)))
        if mode not in ("solid", "pixelate"):
            raise ValidationFailed(detail=M_("mode: solid or pixelate"))
        image = detect.load_image(data)  # refuse non-images before anything is stored
        media_type = _image_type(data)
        store = blob_store()
        original_sha = store.put(data)
        try:
            result = self.governance.gateway.invoke(caller, GatewayRequest(
                capability_id=REDACT_ID, purpose=purpose, legal_basis=legal_basis,
                inputs={"item_sha256": original_sha, "media": "image", "kinds": kinds,
                        "mode": mode}, case_ref=case_ref))
        except BaseException:
            self._forget_blob(original_sha)
            raise
        boxes = [detect.Box.from_dict(b) for b in result.output["boxes"]]
        redacted = detect.encode_png(detect.redact(image, boxes, mode))
        redacted_sha = store.put(redacted)
        height, width = image.shape[:2]
        with self.database.session() as session:
            original = self._original(session, caller, original_sha, media_type, filename,
                                      len(data), width, height, case_ref)
            item = VisionItem(
                sha256=redacted_sha, media_type="image/png", filename=_redacted_name(filename),
                size_bytes=len(redacted), width=width, height=height, status="pending-review",
                parent_id=original.id, parent_sha256=original_sha,
                detector_version=str(result.output["detector_version"]),
                decision_id=result.decision_id, mode=mode,
                boxes=[b.to_dict() for b in boxes], case_ref=case_ref,
                created_by=caller.user_id)
            session.add(item)
            session.flush()
            _custody(session, item, "redacted", caller.user_id,
                     f"from {original_sha} by decision {result.decision_id}",
                     result.ledger_seq)
            return _view(session, item)

    def _original(self, session: Any, caller: Caller, sha: str, media_type: str,
                  filename: str, size: int, width: int, height: int, case_ref: str,
                  frames: int = 0) -> VisionItem:
        """The original item for these bytes (the same upload again reuses it)."""
        found = session.scalars(select(VisionItem).where(
            VisionItem.sha256 == sha, VisionItem.status == "original",
            VisionItem.created_by == caller.user_id)).first()
        if found is not None:
            _custody(session, found, "resubmitted", caller.user_id)
            return found  # type: ignore[no-any-return]
        item = VisionItem(sha256=sha, media_type=media_type, filename=filename[:255],
                          size_bytes=size, width=width, height=height, frames=frames,
                          status="original", case_ref=case_ref, created_by=caller.user_id)
        session.add(item)
        session.flush()
        _custody(session, item, "collected", caller.user_id, f"sha256 {sha}")
        return item

    def _forget_blob(self, sha: str) -> None:
        """Delete a blob stored for a call that then failed, unless something points at it."""
        with self.database.session() as session:
            if blob_in_use(session, sha):
                return
        blob_store().delete(sha)

    # -- review --------------------------------------------------------------------------------
    def _reviewable(self, session: Any, caller: Caller, item_id: int) -> VisionItem:
        item = self._item(session, caller, item_id)
        if not REVIEWER_ROLES & caller.roles:
            raise PermissionDenied(N_("Only a supervisor may review a redaction."))
        if item.created_by == caller.user_id:
            raise PermissionDenied(N_("You cannot review your own redaction request."))
        if item.status != "pending-review":
            raise Conflict(detail=M_("item %(item_id)s is %(status)s, not pending review",
                                     item_id=item_id, status=item.status))
        return item  # type: ignore[no-any-return]

    def edit_boxes(self, caller: Caller, item_id: int, boxes: list[dict[str, Any]],
                   note: str = "") -> ItemView:
        """Replace the boxes of a pending image redaction (the reviewer added, removed or
        resized some) and re-render it from the original."""
        from accord.vision import detect

        with self.database.session() as session:
            item = self._reviewable(session, caller, item_id)
            if item.media_type.startswith("video/"):
                raise ValidationFailed(detail=M_("boxes: a video's boxes are reviewed frame by "
                                                 "frame; approve or reject it"))
            parsed = [_checked_box(b, item.width, item.height) for b in boxes]
            image = detect.load_image(blob_store().get(item.parent_sha256))
            rendered = detect.encode_png(detect.redact(image, parsed, item.mode or "solid"))
            previous = item.sha256
            item.sha256 = blob_store().put(rendered)
            item.size_bytes = len(rendered)
            item.boxes = [b.to_dict() for b in parsed]
            _custody(session, item, "boxes-edited", caller.user_id,
                     f"{len(parsed)} boxes; {previous} -> {item.sha256}. {note}".strip())
            return _view(session, item)

    def decide(self, caller: Caller, item_id: int, *, approve: bool,
               reason: str = "") -> ItemView:
        """Approve or reject a pending redaction; the gateway review of the decision that
        proposed its boxes is closed (confirm, edit or reject) and ledgered."""
        with self.database.session() as session:
            item = self._reviewable(session, caller, item_id)
            review_id = session.scalar(select(Review.id).where(
                Review.decision_id == item.decision_id))
            decision_id, boxes = item.decision_id, list(item.boxes or [])
        if review_id is None:
            raise Conflict(detail=M_("item %(item_id)s has no review to decide", item_id=item_id))
        with self.database.session() as session:
            from accord.core.gateway.models import Decision

            decision = session.get(Decision, decision_id)
            original_boxes = list((decision.output or {}).get("boxes", [])) if decision else []
        if not approve:
            action, edited = "reject", None
            if not reason.strip():
                raise ValidationFailed(detail=M_("reason: required when rejecting"))
        elif item.media_type.startswith("video/") or _same_boxes(boxes, original_boxes):
            action, edited = "confirm", None
        else:
            action, edited = "edit", {"boxes": boxes}
            reason = reason.strip() or "boxes added, removed or resized by the reviewer"
        seq = self.governance.reviews.decide(review_id, caller, action, reason, edited)
        with self.database.session() as session:
            item = session.get(VisionItem, item_id)
            item.status = "approved" if approve else "rejected"
            item.reviewed_by = caller.user_id
            item.approved_at = utcnow() if approve else None
            _custody(session, item, "approved" if approve else "rejected", caller.user_id,
                     reason, seq)
            return _view(session, item)

    # -- export --------------------------------------------------------------------------------
    def export(self, caller: Caller, item_id: int, *, purpose: str = "disclosure",
               recipient: str = "") -> tuple[ItemView, bytes]:
        """The bytes of an approved redacted item, re-hashed, with a ledger entry."""
        with self.database.session() as session:
            item = self._item(session, caller, item_id)
            if item.status != "approved":
                raise Conflict(detail=M_("item %(item_id)s is %(status)s: only an approved "
                                         "redaction can be exported",
                                         item_id=item_id, status=item.status))
            sha = item.sha256
        data = blob_store().get(sha)
        if hashlib.sha256(data).hexdigest() != sha:
            raise Conflict(detail=M_("item %(item_id)s: the stored file no longer matches its "
                                     "digest; export refused", item_id=item_id))
        with self.database.write_session() as session:
            item = session.get(VisionItem, item_id)
            seq = self.governance.ledger.append(session, "vision-export", {
                "actor": f"user:{caller.user_id}", "roles": sorted(caller.roles),
                "item": item_id, "sha256": sha, "parent_sha256": item.parent_sha256,
                "decision": item.decision_id, "reviewed_by": f"user:{item.reviewed_by}",
                "purpose": purpose[:64], "recipient_digest": hashlib.sha256(
                    recipient.encode()).hexdigest() if recipient else "",
                "case_ref": item.case_ref})
            _custody(session, item, "exported", caller.user_id,
                     f"purpose {purpose}" + (f"; to {recipient}" if recipient else ""), seq)
            view = _view(session, item)
        self.governance.ledger.checkpoint_if_due(seq)
        return view, data

    def draft(self, caller: Caller, item_id: int) -> bytes:
        """The requester's own unapproved rendering, to check before review (never for
        disclosure: export needs approval). Recorded in the custody chain."""
        with self.database.session() as session:
            item = self._item(session, caller, item_id)
            if item.status not in ("pending-review", "approved"):
                raise Conflict(detail=M_("item %(item_id)s is %(status)s",
                                         item_id=item_id, status=item.status))
            _custody(session, item, "draft-copied", caller.user_id)
            sha = item.sha256
        return blob_store().get(sha)

    def preview(self, caller: Caller, item_id: int) -> bytes | None:
        """The redacted image for the review page (images only; recorded as viewed)."""
        with self.database.session() as session:
            item = self._item(session, caller, item_id)
            if not item.sha256 or not item.media_type.startswith("image/") \
                    or item.status == "original":
                return None
            _custody(session, item, "viewed", caller.user_id)
            sha = item.sha256
        return blob_store().get(sha)

    def original(self, caller: Caller, item_id: int) -> bytes:
        """The unredacted original (for the reviewer, to compare); verified by its digest."""
        with self.database.session() as session:
            item = self._item(session, caller, item_id)
            if not (REVIEWER_ROLES | {"dpo", "auditor"}) & caller.roles \
                    and item.created_by != caller.user_id:
                raise PermissionDenied(N_("Only a reviewer may open the original."))
            sha = item.parent_sha256 if item.parent_id else item.sha256
        data = blob_store().get(sha)
        if hashlib.sha256(data).hexdigest() != sha:
            raise Conflict(detail=M_("the stored original no longer matches its digest"))
        return data

    # -- video ---------------------------------------------------------------------------------
    def submit_video(self, caller: Caller, data: bytes, *, filename: str = "",
                     purpose: str, legal_basis: str, kinds: str = "faces-and-plates",
                     mode: str = "solid", case_ref: str = "") -> ItemView:
        """Store a video and queue its redaction (a job with progress and cancel). Unreadable,
        zero-length or unsupported videos are refused before anything is stored. The policy
        check is made now, so a refused caller gets no job."""
        import accord.vision.jobs  # noqa: F401  (registers the handler in this process too)
        from accord.core.jobs import JobService
        from accord.vision.video import check_video

        if kinds not in KIND_SETS:
            raise ValidationFailed(detail=M_("kinds: one of %(kind_sets)s",
                                             kind_sets=', '.join(KIND_SETS)))
        if mode not in ("solid", "pixelate"):
            raise ValidationFailed(detail=M_("mode: solid or pixelate"))
        info = check_video(data)
        request = GatewayRequest(capability_id=REDACT_ID, purpose=purpose,
                                 legal_basis=legal_basis, case_ref=case_ref,
                                 inputs={"item_sha256": "0" * 64, "media": "video"})
        decision = self.governance.gateway.authorize(caller, request)
        if not decision.allowed:  # the real call is ledgered; this one refuses it the same way
            self.governance.gateway.invoke(caller, request)
        sha = blob_store().put(data)
        with self.database.session() as session:
            original = self._original(session, caller, sha, "video/" + info["codec"], filename,
                                      len(data), info["width"], info["height"], case_ref,
                                      info["frames"])
            item = VisionItem(sha256="", media_type="video/mp4",
                              filename=_redacted_name(filename, ".mp4"), width=info["width"],
                              height=info["height"], frames=info["frames"], status="queued",
                              parent_id=original.id, parent_sha256=sha, mode=mode,
                              case_ref=case_ref, created_by=caller.user_id)
            session.add(item)
            session.flush()
            item_id = item.id
        params = {"item_id": item_id, "purpose": purpose, "legal_basis": legal_basis,
                  "kinds": kinds, "mode": mode, "case_ref": case_ref}
        job = JobService(self.database).submit(VIDEO_JOB, params, created_by=caller.user_id)
        with self.database.session() as session:
            stored = session.get(VisionItem, item_id)
            if not stored.job_id:
                stored.job_id = job.id
            return _view(session, stored)

    def cancel(self, caller: Caller, item_id: int) -> ItemView:
        with self.database.session() as session:
            item = self._item(session, caller, item_id)
            if item.status not in ("queued", "processing"):
                raise Conflict(detail=M_("item %(item_id)s is %(status)s; nothing to cancel",
                                         item_id=item_id, status=item.status))
            item.cancel_requested = True
            if item.status == "queued":
                item.status = "cancelled"
                _custody(session, item, "cancelled", caller.user_id)
            return _view(session, item)

    def run_video(self, item_id: int, params: dict[str, Any], created_by: int | None,
                  progress: Any) -> dict[str, Any]:
        """The queue job: claim the item, redact through the gateway, record the result."""
        from accord.core.accounts import AccountService
        from accord.vision.video import Cancelled, watch

        with self.database.session() as session:
            claimed = session.execute(update(VisionItem).where(
                VisionItem.id == item_id, VisionItem.status == "queued").values(
                status="processing")).rowcount
            if not claimed:
                item = session.get(VisionItem, item_id)
                return {"item_id": item_id, "status": item.status if item else "missing"}
            user = AccountService(session).get_user(created_by) if created_by else None
            if user is None:
                raise ValidationFailed(detail=M_("the job's user no longer exists"))
            caller = Caller(user.id, user.username, frozenset(str(r) for r in user.roles))
            sha = session.get(VisionItem, item_id).parent_sha256

        def keep_going(percent: int, message: str) -> bool:
            progress(percent, message)
            with self.database.session() as session:
                return not session.get(VisionItem, item_id).cancel_requested

        job_key = f"item-{item_id}"
        watch(job_key, keep_going)
        try:
            result = self.governance.gateway.invoke(caller, GatewayRequest(
                capability_id=REDACT_ID, purpose=params["purpose"],
                legal_basis=params["legal_basis"], case_ref=params.get("case_ref", ""),
                inputs={"item_sha256": sha, "media": "video", "kinds": params["kinds"],
                        "mode": params["mode"], "job_id": job_key}))
        except Cancelled:
            self._finish_failed(item_id, "cancelled", created_by)
            raise
        except BaseException:
            self._finish_failed(item_id, "failed", created_by)
            raise
        finally:
            watch(job_key, None)
        output = result.output
        with self.database.session() as session:
            item = session.get(VisionItem, item_id)
            item.sha256 = output["output_sha256"]
            item.size_bytes = len(blob_store().get(item.sha256))
            item.frames = int(output["frames"])
            item.status = "pending-review"
            item.decision_id = result.decision_id
            item.detector_version = str(output["detector_version"])
            item.boxes = [b for s in output["samples"] for b in
                          ({**box, "frame": s["frame"]} for box in s["boxes"])][:5000]
            _custody(session, item, "redacted", created_by,
                     f"from {sha} by decision {result.decision_id}", result.ledger_seq)
        return {"item_id": item_id, "status": "pending-review", "frames": output["frames"],
                "detections": output["detections"], "decision_id": result.decision_id}

    def _finish_failed(self, item_id: int, status: str, user: int | None) -> None:
        with self.database.session() as session:
            item = session.get(VisionItem, item_id)
            item.status = status
            _custody(session, item, status, user)

    # -- counts --------------------------------------------------------------------------------
    def count(self, caller: Caller, data: bytes, *, purpose: str, legal_basis: str,
              method: str = "faces") -> dict[str, Any]:
        """Count people in an image; the image is deleted afterwards and only the number (in
        the gateway decision) is kept."""
        from accord.vision import detect

        detect.load_image(data)
        sha = blob_store().put(data)
        try:
            result = self.governance.gateway.invoke(caller, GatewayRequest(
                capability_id=COUNT_ID, purpose=purpose, legal_basis=legal_basis,
                inputs={"image_sha256": sha, "method": method}))
        finally:
            self._forget_blob(sha)
        return {**result.output, "decision_id": result.decision_id,
                "ledger_seq": result.ledger_seq, "explanation": result.explanation}

    # -- consented 1:1 verification ------------------------------------------------------------
    def record_consent(self, caller: Caller, *, person_label: str, language: str,
                       explanation: str, case_ref: str = "") -> dict[str, Any]:
        """Record that a person consented to one face verification: who, when, what was
        explained and in which language. A supervisor approves it before it can be used."""
        import secrets

        person_label, explanation = person_label.strip(), explanation.strip()
        if not person_label:
            raise ValidationFailed(detail=M_("person: who consented"))
        if len(explanation) < 20:
            raise ValidationFailed(detail=M_("explained: write what the person was told (what is "
                                             "compared, why, that photos are deleted, that they "
                                             "may refuse)"))
        if not language.strip() or len(language) > 16:
            raise ValidationFailed(detail=M_("language: the language it was explained in"))
        reference = "FC-" + secrets.token_hex(4).upper()
        with self.database.write_session() as session:
            seq = self.governance.ledger.append(session, "vision-consent", {
                "actor": f"user:{caller.user_id}", "consent": reference,
                "language": language, "explanation_sha256": hashlib.sha256(
                    explanation.encode()).hexdigest(), "case_ref": case_ref})
            session.add(VisionConsent(
                reference=reference, person_label=person_label[:200], language=language,
                explanation=explanation, purpose="consented-identity-check",
                case_ref=case_ref, recorded_by=caller.user_id))
        return {"reference": reference, "ledger_seq": seq, "approved": False}

    def approve_consent(self, caller: Caller, reference: str) -> dict[str, Any]:
        if "supervisor" not in caller.roles:
            raise PermissionDenied(N_("Only a supervisor may approve a face verification."))
        with self.database.session() as session:
            consent = session.scalar(select(VisionConsent).where(
                VisionConsent.reference == reference))
            if consent is None:
                raise NotFound(N_("No consent record %(id)s."), id=reference)
            if consent.recorded_by == caller.user_id:
                raise PermissionDenied(N_("A second person must approve: not the officer "
                                          "who recorded the consent."))
            consent.approved_by, consent.approved_at = caller.user_id, utcnow()
            return {"reference": reference, "approved": True}

    def verify_face(self, caller: Caller, live: bytes, document: bytes, *, consent: str,
                    legal_basis: str = "consent") -> dict[str, Any]:
        """Compare one live photo with one document photo through ``vision.face-verify``.
        Without a recorded, approved, unused consent the gateway refuses (ledgered). Both
        photos are deleted from the blob store right after the call, whatever its outcome."""
        from accord.vision import detect

        detect.load_image(live)
        detect.load_image(document)
        with self.database.session() as session:
            record = session.scalar(select(VisionConsent).where(
                VisionConsent.reference == consent.strip()))
            usable = (record is not None and record.withdrawn_at is None
                      and not record.used_decision_id)
            approved = bool(usable and record.approved_by)
            case_ref = record.case_ref if record is not None else ""
        store = blob_store()
        shas = [store.put(live), store.put(document)]
        try:
            result = self.governance.gateway.invoke(caller, GatewayRequest(
                capability_id=VERIFY_ID, purpose="consented-identity-check",
                legal_basis=legal_basis, case_ref=case_ref,
                inputs={"live_sha256": shas[0], "document_sha256": shas[1],
                        "consent": consent.strip()[:24]},
                consent_recorded=usable, supervisor_approved=approved))
        finally:
            for sha in shas:
                self._forget_blob(sha)
        with self.database.session() as session:
            record = session.scalar(select(VisionConsent).where(
                VisionConsent.reference == consent.strip()))
            record.used_decision_id = result.decision_id  # one check per consent
        return {**result.output, "decision_id": result.decision_id,
                "ledger_seq": result.ledger_seq, "explanation": result.explanation,
                "review": "a second person (supervisor) must confirm any adverse use"}

    # -- refused by design ---------------------------------------------------------------------
    def refuse(self, caller: Caller, what: str, *, purpose: str = "",
               legal_basis: str = "") -> None:
        """Send a request for a prohibited use to the gateway, which refuses and ledgers it
        (raises :class:`~accord.core.gateway.service.GatewayDenied` with the zh/en reason).
        Nothing about the image is read or stored."""
        capability = REFUSED.get(what)
        if capability is None:
            raise ValidationFailed(detail=M_("what: one of %(refused)s",
                                             refused=', '.join(REFUSED)))
        self.governance.gateway.invoke(caller, GatewayRequest(
            capability_id=capability, purpose=purpose or "identification-request",
            legal_basis=legal_basis or "none-stated", inputs={}))
        raise AssertionError("a prohibited use was not refused")  # pragma: no cover


def _image_type(data: bytes) -> str:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        return IMAGE_TYPES.get(str(image.format), "application/octet-stream")


def _redacted_name(filename: str, suffix: str = ".png") -> str:
    stem = (filename.rsplit(".", 1)[0] if filename else "image")[:200]
    return f"{stem}-redacted{suffix}"


def _checked_box(data: Any, width: int, height: int) -> Any:
    from accord.vision.detect import Box

    try:
        box = Box(int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]),
                  str(data.get("kind") or "face"),
                  None if data.get("score") in (None, "") else float(data["score"]),
                  str(data.get("source") or "reviewer"))
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(detail=M_("boxes: each needs integer x, y, w, h")) from None
    if box.kind not in ("face", "plate", "other"):
        raise ValidationFailed(detail=M_("boxes: kind is face, plate or other"))
    clipped = box.clipped(width, height)
    if box.w <= 0 or box.h <= 0 or clipped is None:
        raise ValidationFailed(detail=M_("boxes: %(x)s,%(y)s,%(w)s,%(h)s is outside the "
                                         "%(width)sx%(height)s image",
                                         x=box.x, y=box.y, w=box.w, h=box.h, width=width,
                                         height=height))
    return clipped


def _same_boxes(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def key(box: dict[str, Any]) -> tuple[int, int, int, int, str]:
        return (int(box["x"]), int(box["y"]), int(box["w"]), int(box["h"]), str(box["kind"]))

    return sorted(map(key, a)) == sorted(map(key, b))
