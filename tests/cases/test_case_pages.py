"""Case pages through the real app: forms with CSRF, access rule, station time, evidence, MT."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.cases.models import Case, CaseEvent, Person, Statement
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.roles import Role
from tests.helpers import login


def _open_case(client: TestClient, csrf: str, **fields: str) -> str:
    data = {
        "csrf_token": csrf,
        "case_type": "theft-victim",
        "title": "Wallet stolen",
        "summary": "Tourist says wallet taken on line 1",
        "place": "Wangfujing",
    }
    data.update(fields)
    response = client.post("/cases/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_new_case_list_and_access_rule(client: TestClient, make_user, database: Database) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    make_user("officer-b", Role.OFFICER)
    make_user("super", Role.SUPERVISOR)
    make_user("interp", Role.INTERPRETER)
    csrf = login(client, "officer-a")
    form = client.get("/cases/new")
    assert form.status_code == 200
    assert (
        'hx-post="/cases/suggest-type"' in form.text and 'hx-target="#type-suggestion"' in form.text
    )
    assert form.text.count('name="case_type"') == 9
    bad = client.post(
        "/cases/new", data={"csrf_token": csrf, "case_type": "burglary", "title": "x"}
    )
    assert bad.status_code == 422 and "case_type" in bad.text
    assert _count(database, Case) == 0
    no_csrf = client.post("/cases/new", data={"case_type": "dispute", "title": "x"})
    assert no_csrf.status_code == 403
    ref = _open_case(client, csrf)
    assert re.fullmatch(r"FR-\d{4}-\d{6}", ref)
    page = client.get(f"/cases/{ref}")
    assert page.status_code == 200
    for link in ("/passport", "/notices", "/hints", "/report"):
        assert f"/cases/{ref}{link}" in page.text
    assert f"/interpreters/requests/new?case_ref={ref}" in page.text
    assert "Guidance and deadlines" in page.text
    listing = client.get("/cases")
    assert ref in listing.text and 'href="/cases"' in listing.text
    found = client.get("/cases", params={"q": "wallet"})
    assert 'data-testid="search-hit"' in found.text and ref in found.text
    assert client.get("/cases", params={"status": "bogus"}).status_code == 422

    client.post("/logout", data={"csrf_token": csrf})
    csrf_b = login(client, "officer-b")
    assert client.get(f"/cases/{ref}").status_code == 403
    assert (
        client.post(f"/cases/{ref}/tasks", data={"csrf_token": csrf_b, "title": "x"}).status_code
        == 403
    )
    assert ref not in client.get("/cases").text
    assert ref not in client.get("/cases", params={"q": "wallet"}).text
    client.post("/logout", data={"csrf_token": csrf_b})
    login(client, "super")
    assert client.get(f"/cases/{ref}").status_code == 200
    assert ref in client.get("/cases").text
    client.cookies.clear()
    login(client, "interp")
    assert client.get(f"/cases/{ref}").status_code == 403
    assert client.get("/cases").status_code == 403
    assert client.get("/cases/FR-2026-999999").status_code == 403  # role rule comes first


def test_person_event_task_and_status_forms(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    csrf = login(client, "officer-a")
    ref = _open_case(client, csrf, case_type="detention", title="Overstay check")
    person = {
        "csrf_token": csrf,
        "role": "detainee",
        "full_name": "John SMITH",
        "nationality": "GBR",
        "sex": "M",
        "date_of_birth": "1985-02-03",
        "languages": "en, fr",
        "speaks_chinese": "",
        "contact": "",
        "doc_kind": "passport",
        "doc_number": "123456789",
        "doc_issuing_state": "GBR",
        "doc_expiry": "2031-01-01",
    }
    bad = client.post(f"/cases/{ref}/persons", data={**person, "nationality": "ENG"})
    assert bad.status_code == 422
    assert "nationality" in bad.text and 'value="John SMITH"' in bad.text
    bad_doc = client.post(f"/cases/{ref}/persons", data={**person, "doc_expiry": "2031-02-30"})
    assert bad_doc.status_code == 422 and "doc_expiry" in bad_doc.text
    assert _count(database, Person) == 0
    ok = client.post(f"/cases/{ref}/persons", data=person, follow_redirects=False)
    assert ok.status_code == 303
    page = client.get(f"/cases/{ref}")
    assert "John SMITH" in page.text and "123456789" in page.text
    assert "typed, not verified" in page.text
    with database.session() as session:
        person_id = session.scalar(select(Person.id))
    doc = client.post(
        f"/cases/{ref}/persons/{person_id}/documents",
        data={"csrf_token": csrf, "kind": "visa", "number": "V-1", "issuing_state": "CHN"},
        follow_redirects=False,
    )
    assert doc.status_code == 303

    # 21:30 in Beijing is 13:30 UTC; the page shows station time.
    event = client.post(
        f"/cases/{ref}/events",
        data={
            "csrf_token": csrf,
            "kind": "detention",
            "occurred_at": "2026-03-01T21:30",
            "place": "Station",
            "note": "",
            "person_id": str(person_id),
        },
        follow_redirects=False,
    )
    assert event.status_code == 303
    with database.session() as session:
        stored = session.scalar(select(CaseEvent.occurred_at))
    assert stored == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    detained = client.get(f"/cases/{ref}").text
    assert "2026-03-01 21:30" in detained
    assert 'data-testid="deadlines"' in detained  # the guidance engine's checklist is shown
    for value, field in (("2099-01-01T10:00", "occurred_at"), ("yesterday", "occurred_at")):
        refused = client.post(
            f"/cases/{ref}/events",
            data={"csrf_token": csrf, "kind": "detention", "occurred_at": value},
        )
        assert refused.status_code == 422 and field in refused.text
    assert _count(database, CaseEvent) == 1

    task = client.post(
        f"/cases/{ref}/tasks",
        data={"csrf_token": csrf, "title": "Notify consulate", "due_at": "2026-03-05T09:00"},
        follow_redirects=False,
    )
    assert task.status_code == 303
    assert (
        client.post(f"/cases/{ref}/tasks", data={"csrf_token": csrf, "title": ""}).status_code
        == 422
    )
    with database.session() as session:
        case = session.scalar(select(Case))
        task_id = case.tasks[0].id
    done = client.post(
        f"/cases/{ref}/tasks/{task_id}/done", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert (
        client.post(f"/cases/{ref}/tasks/{task_id}/done", data={"csrf_token": csrf}).status_code
        == 409
    )
    assert (
        client.post(
            f"/cases/{ref}/status",
            data={"csrf_token": csrf, "status": "closed"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        client.post(f"/cases/{ref}/status", data={"csrf_token": csrf, "status": "lost"}).status_code
        == 422
    )
    assert 'data-testid="case-status">Closed' in client.get(f"/cases/{ref}").text


def test_evidence_upload_download_and_tampering(
    client: TestClient, make_user, accord_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    csrf = login(client, "officer-a")
    ref = _open_case(client, csrf)
    upload = client.post(
        f"/cases/{ref}/evidence",
        data={"csrf_token": csrf, "description": "Photo of the receipt"},
        files={"file": ("receipt.jpg", b"JPEG-bytes-1", "image/jpeg")},
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text
    assert (
        client.post(
            f"/cases/{ref}/evidence",
            data={"csrf_token": csrf, "description": ""},
        ).status_code
        == 422
    )
    page = client.get(f"/cases/{ref}")
    assert 'data-testid="evidence-intact"' in page.text and "E-1" in page.text
    item_id = re.search(rf"/cases/{ref}/evidence/(\d+)/file", page.text).group(1)
    download = client.get(f"/cases/{ref}/evidence/{item_id}/file")
    assert download.status_code == 200 and download.content == b"JPEG-bytes-1"
    assert "receipt.jpg" in download.headers["content-disposition"]

    blobs = BlobStore.for_state_dir(Path(accord_env["ACCORD_STATE_DIR"]))
    sha = download.headers["x-content-sha256"]
    blobs.path_for(sha).write_bytes(b"something else")
    refused = client.get(f"/cases/{ref}/evidence/{item_id}/file")
    assert refused.status_code == 409 and "no longer matches" in refused.text
    step = client.post(
        f"/cases/{ref}/evidence/{item_id}/custody",
        data={
            "csrf_token": csrf,
            "action": "transferred",
            "from_holder": "officer-a",
            "to_holder": "Forensics",
        },
        follow_redirects=False,
    )
    assert step.status_code == 303
    page = client.get(f"/cases/{ref}")
    assert 'data-testid="evidence-tampered"' in page.text
    assert 'data-testid="custody-hash-mismatch"' in page.text
    assert (
        client.post(
            f"/cases/{ref}/evidence/{item_id}/custody",
            data={"csrf_token": csrf, "action": "transferred", "to_holder": ""},
        ).status_code
        == 422
    )
    client.post(
        f"/cases/{ref}/evidence/{item_id}/custody", data={"csrf_token": csrf, "action": "destroyed"}
    )
    after = client.post(
        f"/cases/{ref}/evidence/{item_id}/custody", data={"csrf_token": csrf, "action": "examined"}
    )
    assert after.status_code == 409 and "destroyed" in after.text


def test_statements_with_machine_translation_and_review(
    client: TestClient, make_user, database: Database
) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    csrf = login(client, "officer-a")
    ref = _open_case(client, csrf)
    base = {
        "csrf_token": csrf,
        "person_id": "",
        "translation": "",
        "translation_source": "",
        "interpreter": "",
        "legal_basis": "criminal-procedure-law",
    }
    # Spanish: no pair into Chinese, a pair into English.
    made = client.post(
        f"/cases/{ref}/statements",
        data={
            **base,
            "language": "es",
            "text": "Me robaron la cartera en el metro.",
            "machine_translate": "1",
        },
    )
    assert made.status_code == 200
    assert 'data-kind="done"' in made.text, made.text
    assert "AI translation — not reviewed" in made.text
    with database.session() as session:
        statement = session.scalar(select(Statement))
        assert statement.translation_source == "machine"
        assert statement.translation_language == "en" and statement.translation
        assert len(statement.translation_decision_id) > 0
        statement_id = statement.id
    reviewed = client.post(
        f"/cases/{ref}/statements/{statement_id}/review",
        data={"csrf_token": csrf, "corrected": "They stole my wallet."},
        follow_redirects=False,
    )
    assert reviewed.status_code == 303
    page = client.get(f"/cases/{ref}")
    assert "They stole my wallet." in page.text and 'data-testid="mt-reviewed"' in page.text
    assert "AI translation — not reviewed" not in page.text
    assert "Me robaron la cartera en el metro." in page.text

    # Arabic: no pair at all; the statement is kept and the human path is offered.
    none = client.post(
        f"/cases/{ref}/statements",
        data={**base, "language": "ar", "text": "سرقت محفظتي", "machine_translate": "1"},
    )
    assert none.status_code == 200 and 'data-kind="no-pair"' in none.text
    assert f"/interpreters/requests/new?case_ref={ref}" in none.text
    # Officer-typed translation; bad input stores nothing.
    typed = client.post(
        f"/cases/{ref}/statements",
        data={
            **base,
            "language": "fr",
            "text": "On m'a volé",
            "translation": "我被偷了",
            "translation_language": "zh",
            "translation_source": "officer",
        },
        follow_redirects=False,
    )
    assert typed.status_code == 303
    for bad, field in (
        ({"language": "", "text": "x"}, "language"),
        ({"language": "fr", "text": ""}, "text"),
        (
            {"language": "fr", "text": "x", "translation": "y", "translation_source": "machine"},
            "translation_source",
        ),
    ):
        refused = client.post(f"/cases/{ref}/statements", data={**base, **bad})
        assert refused.status_code == 422 and field in refused.text
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Statement)) == 3
    # The printable case file holds the original words, the confirmed interpretation and the
    # AI decision that made the first draft of it.
    text = _pdf_text(client.get(f"/cases/{ref}/file.pdf"))
    assert ref in text and "Me robaron la cartera en el metro." in text
    assert "They stole my wallet." in text and "confirmed" in text
    assert "On m'a volé" in text and "我被偷了" in text
    assert "interpret.translate" in text and "printed by officer-a" in text


def _pdf_text(response) -> str:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_case_file_prints_for_those_who_may_open_the_case(
    client: TestClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-a", Role.OFFICER)
    make_user("officer-b", Role.OFFICER)
    csrf = login(client, "officer-a")
    ref = _open_case(client, csrf)
    client.post(f"/cases/{ref}/persons", data={
        "csrf_token": csrf, "role": "victim", "full_name": "Maria Example",
        "nationality": "ESP", "languages": "es", "date_of_birth": ""})
    assert 'data-testid="case-file"' in client.get(f"/cases/{ref}").text
    text = _pdf_text(client.get(f"/cases/{ref}/file.pdf"))
    assert "Wallet stolen" in text and "Maria Example" in text
    assert "No AI decision was recorded in this case." in text
    assert "Case file" in text and "AI outputs are listed in section 7" in text
    assert client.get("/cases/FR-2026-999999/file.pdf").status_code == 404
    client.cookies.clear()
    login(client, "officer-b")
    assert client.get(f"/cases/{ref}/file.pdf").status_code in (403, 404)


def test_case_page_in_chinese(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-zh", Role.OFFICER, language="zh_Hans")
    csrf = login(client, "officer-zh")
    ref = _open_case(client, csrf)
    page = client.get(f"/cases/{ref}")
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.text
    assert client.get("/cases").status_code == 200
