"""Case report pages: draft, edit, versions, refused and accepted submission, PDF, access."""

from __future__ import annotations

from accord.cases.reports import ATTESTATION, find_placeholders, service_from_governance
from accord.core.roles import Role
from tests.cases.report_fixtures import make_case
from tests.helpers import login

REF = "FR-2026-000123"


def test_officer_drafts_edits_and_submits(client, database, make_user) -> None:
    officer = make_user("officer1", Role.OFFICER)
    make_user("officer2", Role.OFFICER)
    make_case(database, officer.id)
    csrf = login(client, "officer1")

    page = client.get(f"/cases/{REF}/report")
    assert page.status_code == 200 and 'data-testid="draft-form"' in page.text

    refused = client.post(
        f"/cases/{REF}/report/draft",
        data={"csrf_token": csrf, "purpose": "case-handling", "legal_basis": "consent"},
    )
    assert refused.status_code == 403  # consent is not a legal basis of this capability

    drafted = client.post(
        f"/cases/{REF}/report/draft",
        data={"csrf_token": csrf, "purpose": "case-handling", "legal_basis": "police-law-art-2"},
    )
    assert drafted.status_code == 200  # followed the redirect
    assert '<mark class="ai"' in drafted.text
    assert 'class="cite" href="#cite-S' in drafted.text
    assert 'class="passage" id="cite-S' in drafted.text
    assert "[[TO COMPLETE: the officer&#39;s own assessment and action taken]]" in drafted.text

    blocked = client.post(
        f"/cases/{REF}/report/submit",
        data={"csrf_token": csrf, "attestation": ATTESTATION["en"], "version": "1"},
    )
    assert blocked.status_code == 422
    assert "cannot be submitted while placeholders remain" in blocked.text

    text = service_from_governance().get(REF).current.text
    for item in find_placeholders(text):
        text = text.replace(item, "Checked with the victim through an interpreter.")
    edited = client.post(
        f"/cases/{REF}/report/edit", data={"csrf_token": csrf, "text": text, "version": "1"}
    )
    assert edited.status_code == 200 and "Current version 2" in edited.text
    report = service_from_governance().get(REF)
    assert [v.number for v in report.versions] == [1, 2]

    mistyped = client.post(
        f"/cases/{REF}/report/submit",
        data={"csrf_token": csrf, "attestation": "I agree", "version": "2"},
    )
    assert mistyped.status_code == 422 and "must be typed exactly" in mistyped.text

    versions = client.get(f"/cases/{REF}/report/versions")
    assert versions.status_code == 200
    assert 'data-testid="version-1"' in versions.text and 'data-testid="diff-2"' in versions.text

    done = client.post(
        f"/cases/{REF}/report/submit",
        data={"csrf_token": csrf, "attestation": ATTESTATION["en"], "version": "2"},
    )
    assert done.status_code == 200 and 'data-testid="attested"' in done.text

    pdf = client.get(f"/cases/{REF}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    login(client, "officer2")
    assert client.get(f"/cases/{REF}/report").status_code == 403
    assert client.get(f"/cases/{REF}/report.pdf").status_code == 403


def test_unknown_case_and_missing_report(client, database, make_user) -> None:
    officer = make_user("officer1", Role.OFFICER)
    make_case(database, officer.id)
    csrf = login(client, "officer1")
    assert client.get("/cases/FR-2026-999999/report").status_code == 404
    assert client.get(f"/cases/{REF}/report/versions").status_code == 404
    edit = client.post(
        f"/cases/{REF}/report/edit", data={"csrf_token": csrf, "text": "x", "version": "0"}
    )
    assert edit.status_code == 404 and "draft one first" in edit.text
