"""Retention of vision material: an upload and every version made from it expire together with
their custody records and files; consents expire on their own period; both are certified."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.cli import app
from accord.core.db import utcnow
from accord.core.gateway.models import LedgerEntry
from accord.core.governance import get_governance
from accord.governance.retention import RetentionService
from accord.vision.capability import blob_store
from accord.vision.models import VisionConsent, VisionCustodyEvent, VisionItem

runner = CliRunner()


def _count(database: object, model: type) -> int:
    with database.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)))


def test_an_upload_and_its_redacted_versions_expire_together(users: dict, face_png: bytes,
                                                            tmp_path: Path,
                                                            database: object) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(face_png)
    made = runner.invoke(app, ["redact", str(source), "--out", str(tmp_path / "out.png"),
                               "--user", "v-officer", "--json"])
    assert made.exit_code == 0, made.output
    consent = runner.invoke(app, ["face-consent", "--person", "A. Example", "--language", "en",
                                  "--explained", "One comparison, deleted after", "--user",
                                  "v-officer", "--json"])
    assert consent.exit_code == 0, consent.output
    with database.session() as session:  # type: ignore[attr-defined]
        items = list(session.scalars(select(VisionItem)))
        files = {i.sha256 for i in items if i.sha256}
    assert len(items) == 2 and len(files) == 2  # the upload and its redacted version
    assert all(blob_store().path_for(sha).exists() for sha in files)
    governance = get_governance()
    retention = RetentionService(governance.gateway.database, governance.ledger)
    early = [c.category for c in retention.run(now=utcnow() + timedelta(days=179))]
    assert "vision-items" not in early and _count(database, VisionItem) == 2
    certificates = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=181))}
    assert certificates["vision-items"].count == 1  # one upload, with what was made from it
    assert _count(database, VisionItem) == 0 and _count(database, VisionCustodyEvent) == 0
    assert not any(blob_store().path_for(sha).exists() for sha in files)
    assert _count(database, VisionConsent) == 1  # a consent is kept for a year
    with database.session() as session:  # type: ignore[attr-defined]
        body = json.loads(session.get(LedgerEntry,
                                      certificates["vision-items"].ledger_seq).body)
    assert body["kind"] == "deletion-certificate" and body["category"] == "vision-items"
    later = {c.category: c for c in retention.run(now=utcnow() + timedelta(days=366))}
    assert later["face-verification-consents"].count == 1
    assert _count(database, VisionConsent) == 0
    governance.ledger.checkpoint()
    assert governance.ledger.verify().ok
