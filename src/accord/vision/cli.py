"""``accord redact``, ``redact-review``, ``redact-export``, ``redact-cancel``, ``crowd-count``
and ``identify`` (always refused): the vision commands, on the same service as the web.

``accord redact IMAGE --out redacted.png`` prints the boxes found (x, y, w, h, kind, score) and
writes the *draft* rendering for the requester to check; it is marked pending review, and
disclosure goes through ``redact-export``, which only an approved item passes. Files are
written to a temporary name and renamed, so a failure never leaves a half-written output.
"""

from __future__ import annotations

import json as jsonlib
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, caller_for, fail

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg"})
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PurposeOpt = Annotated[str, typer.Option("--purpose", help="Purpose of this use.")]
BasisOpt = Annotated[str, typer.Option("--legal-basis", help="Legal basis.")]


def _service() -> Any:
    from accord.core.governance import get_governance
    from accord.vision.service import VisionService

    return VisionService(get_governance())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror or error}") from None


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a temporary file beside the target, renamed into place."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise fail(f"cannot write {path}: no such directory")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".accord-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(call: Any) -> Any:
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied

    try:
        return call()
    except GatewayDenied as denied:
        raise fail(f"refused / 拒绝 (ledger entry {denied.ledger_seq}):\n"
                   f"  {denied.reasons_in('en')}\n  {denied.reasons_in('zh_Hans')}", 3) from None
    except AccordError as error:
        raise fail(str(error)) from None


def _print_item(view: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    data = {**view.to_dict(), **(extra or {})}
    if as_json:
        typer.echo(jsonlib.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"item {view.id}: {view.status} ({view.media_type}, {view.width}x{view.height})"
               f"; parent {view.parent_sha256[:16]}…; decision {view.decision_id}")
    for number, box in enumerate(view.boxes):
        score = "drawn" if box.get("score") is None else f"score {box['score']}"
        frame = f" frame {box['frame']}" if "frame" in box else ""
        typer.echo(f"  [{number}] {box['kind']:<6} x={box['x']} y={box['y']} w={box['w']} "
                   f"h={box['h']} ({score}){frame}")
    if not view.boxes:
        typer.echo("  no faces or plates found: check the image yourself and draw boxes")
    for key, value in (extra or {}).items():
        typer.echo(f"{key}: {value}")


def redact(
    source: Annotated[Path, typer.Argument(help="Image or video to redact.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the draft rendering.")],
    user: UserOption = "",
    as_json: JsonOpt = False,
    kinds: Annotated[str, typer.Option(help="faces-and-plates, faces or plates.")] =
        "faces-and-plates",
    mode: Annotated[str, typer.Option(help="solid (default) or pixelate.")] = "solid",
    purpose: PurposeOpt = "disclosure",
    legal_basis: BasisOpt = "police-law-art-2",
    case_ref: Annotated[str, typer.Option(help="Case the footage belongs to.")] = "",
) -> None:
    """Find faces and plates (vision.redact, ledgered), keep the original with its custody
    chain, record a draft redacted item for review, and write the draft to --out."""
    data = _read(source)
    _, caller = caller_for(user)
    service = _service()
    if source.suffix.lower() in VIDEO_SUFFIXES:
        view = _run(lambda: service.submit_video(
            caller, data, filename=source.name, purpose=purpose, legal_basis=legal_basis,
            kinds=kinds, mode=mode, case_ref=case_ref))
        view = _run(lambda: _finish_video(service, caller, view))
    else:
        view = _run(lambda: service.redact_image(
            caller, data, filename=source.name, purpose=purpose, legal_basis=legal_basis,
            kinds=kinds, mode=mode, case_ref=case_ref))
    if view.status != "pending-review":
        raise fail(f"item {view.id} is {view.status}; nothing written")
    _write(out, _run(lambda: service.draft(caller, view.id)))
    _print_item(view, as_json, {"written": str(out), "note": (
        "draft for checking only: a supervisor must review it (accord redact-review) before "
        "it can be exported (accord redact-export)")})


def _finish_video(service: Any, caller: Any, view: Any) -> Any:
    """Run the queued job here when no worker has taken it (the command waits for it)."""
    from accord.core.jobs import JobService

    if view.status == "queued" and view.job_id:
        JobService(service.database).run(view.job_id)
    view = service.item(caller, view.id)
    if view.status in ("failed", "cancelled"):
        job = JobService(service.database).get(view.job_id)
        raise fail(f"video redaction {view.status}: {job.message}")
    return view


def _parse_box(text: str) -> dict[str, Any]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 5) or not all(p.lstrip("-").isdigit() for p in parts[:4]):
        raise fail(f"box {text!r}: expected x,y,w,h[,kind]")
    x, y, w, h = (int(p) for p in parts[:4])
    return {"x": x, "y": y, "w": w, "h": h, "kind": parts[4] if len(parts) == 5 else "face",
            "score": None, "source": "reviewer"}


def redact_review(
    item: Annotated[int, typer.Argument(help="The redacted item's id.")],
    user: UserOption = "",
    add: Annotated[list[str] | None, typer.Option(help="Add a box x,y,w,h[,kind].")] = None,
    remove: Annotated[list[int] | None, typer.Option(help="Remove box number N.")] = None,
    resize: Annotated[list[str] | None, typer.Option(
        help="Replace box N: N=x,y,w,h[,kind].")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve for export.")] = False,
    reject: Annotated[str, typer.Option("--reject", help="Reject, with this reason.")] = "",
    reason: Annotated[str, typer.Option(help="Why the boxes were changed.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Show every box of a pending redaction; as a supervisor, add, remove or resize boxes and
    approve or reject (closes the gateway review, ledgered)."""
    _, caller = caller_for(user)
    service = _service()
    view = _run(lambda: service.item(caller, item))
    boxes = [dict(b) for b in view.boxes]
    changed = False
    for text in resize or []:
        number, _, spec = text.partition("=")
        if not number.strip().isdigit() or int(number) >= len(boxes):
            raise fail(f"resize {text!r}: no box {number}")
        boxes[int(number)] = _parse_box(spec)
        changed = True
    for number in sorted(set(remove or []), reverse=True):
        if not 0 <= number < len(boxes):
            raise fail(f"remove {number}: no such box")
        del boxes[number]
        changed = True
    for text in add or []:
        boxes.append(_parse_box(text))
        changed = True
    if changed:
        view = _run(lambda: service.edit_boxes(caller, item, boxes, reason))
    if approve and reject:
        raise fail("--approve or --reject, not both")
    if approve or reject:
        view = _run(lambda: service.decide(caller, item, approve=approve,
                                           reason=reject or reason))
    _print_item(view, as_json)


def redact_export(
    item: Annotated[int, typer.Argument(help="The approved redacted item's id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write it.")],
    user: UserOption = "",
    purpose: PurposeOpt = "disclosure",
    recipient: Annotated[str, typer.Option(help="Who receives it (kept as a digest in the "
                                                "ledger, in clear in the custody chain).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Export an approved redaction (re-hashed; ledgered; custody recorded)."""
    _, caller = caller_for(user)
    view, data = _run(lambda: _service().export(caller, item, purpose=purpose,
                                                recipient=recipient))
    _write(out, data)
    _print_item(view, as_json, {"written": str(out)})


def redact_cancel(item: Annotated[int, typer.Argument(help="A queued or running video.")],
                  user: UserOption = "") -> None:
    """Cancel a video redaction; nothing is written."""
    _, caller = caller_for(user)
    view = _run(lambda: _service().cancel(caller, item))
    typer.echo(f"item {view.id}: cancel requested ({view.status})")


def crowd_count(
    image: Annotated[Path, typer.Argument(help="Image of a crowd.")],
    user: UserOption = "",
    method: Annotated[str, typer.Option(help="faces (default) or hog.")] = "faces",
    purpose: PurposeOpt = "crowd-safety",
    legal_basis: BasisOpt = "police-law-art-2",
    as_json: JsonOpt = False,
) -> None:
    """Count people (vision.count, ledgered); only the number is kept."""
    data = _read(image)
    _, caller = caller_for(user)
    result = _run(lambda: _service().count(caller, data, purpose=purpose,
                                           legal_basis=legal_basis, method=method))
    if as_json:
        typer.echo(jsonlib.dumps(result, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{result['count']} person(s) ({result['method']}); decision "
                   f"{result['decision_id']}")


def identify(
    face: Annotated[Path, typer.Argument(help="Not read: identification is refused.")],
    user: UserOption = "",
    what: Annotated[str, typer.Option(help="identify (1:N search), emotion or suspicion.")] =
        "identify",
    purpose: PurposeOpt = "",
    legal_basis: BasisOpt = "",
) -> None:
    """Refused by design: searching a face against a gallery or watchlist, and emotion or
    suspicion analysis. The refusal is ledgered and counted on the transparency register."""
    _, caller = caller_for(user)
    _run(lambda: _service().refuse(caller, what, purpose=purpose, legal_basis=legal_basis))


def face_consent(
    person: Annotated[str, typer.Option(help="Who consented (as named on file).")],
    language: Annotated[str, typer.Option(help="Language the check was explained in.")],
    explained: Annotated[str, typer.Option(help="What the person was told.")],
    user: UserOption = "",
    case_ref: Annotated[str, typer.Option(help="The case it belongs to.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record a person's consent to one 1:1 face verification (ledgered)."""
    _, caller = caller_for(user)
    result = _run(lambda: _service().record_consent(
        caller, person_label=person, language=language, explanation=explained,
        case_ref=case_ref))
    typer.echo(jsonlib.dumps(result) if as_json else
               f"consent {result['reference']} recorded; a supervisor must approve it "
               f"(accord face-consent-approve {result['reference']})")


def face_consent_approve(reference: Annotated[str, typer.Argument(help="FC-…")],
                         user: UserOption = "") -> None:
    """Approve a recorded consent (a supervisor other than the one who recorded it)."""
    _, caller = caller_for(user)
    _run(lambda: _service().approve_consent(caller, reference))
    typer.echo(f"consent {reference} approved for one verification")


def verify_face(
    live: Annotated[Path, typer.Argument(help="Live photo of the person.")],
    document: Annotated[Path, typer.Argument(help="Photo from their document.")],
    consent: Annotated[str, typer.Option("--consent", help="The consent record (FC-…).")] = "",
    user: UserOption = "",
    legal_basis: BasisOpt = "consent",
    as_json: JsonOpt = False,
) -> None:
    """Compare ONE live photo with ONE document photo (vision.face-verify, ledgered): a
    distance with its threshold and error-rate status, never a bare match. Refused without a
    recorded and approved consent."""
    first, second = _read(live), _read(document)
    _, caller = caller_for(user)
    result = _run(lambda: _service().verify_face(caller, first, second, consent=consent,
                                                 legal_basis=legal_basis))
    if as_json:
        typer.echo(jsonlib.dumps(result, ensure_ascii=False, indent=2))
        return
    typer.echo(f"distance {result['distance']} (similarity {result['similarity']}), "
               f"threshold {result['threshold']}: "
               f"{'below' if result['below_threshold'] else 'not below'} the threshold")
    typer.echo(result["error_rates"]["statement"])
    typer.echo(f"decision {result['decision_id']}; {result['review']}")


def attach(app: typer.Typer) -> None:
    app.command("face-consent")(face_consent)
    app.command("face-consent-approve")(face_consent_approve)
    app.command("verify-face")(verify_face)
    app.command("redact")(redact)
    app.command("redact-review")(redact_review)
    app.command("redact-export")(redact_export)
    app.command("redact-cancel")(redact_cancel)
    app.command("crowd-count")(crowd_count)
    app.command("identify")(identify)
