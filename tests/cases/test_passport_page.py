"""Passport upload page: photo → MRZ → prefilled person form; nothing saved unconfirmed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.cases.models import IdentityDocument, Person
from accord.cases.mrz_specimen import SPECIMEN_PEOPLE, data_page, td3_lines, to_bytes
from accord.core.db import Database
from accord.core.gateway.models import Decision
from accord.core.roles import Role
from tests.helpers import login

PERSON = SPECIMEN_PEOPLE[4]  # MARQUEZ PEREIRA, JOAO (invented)


def _open_case(client: TestClient, csrf: str) -> str:
    response = client.post(
        "/cases/new",
        data={
            "csrf_token": csrf,
            "case_type": "lost-passport",
            "title": "Passport check",
            "summary": "Synthetic",
            "place": "Station",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _upload(client: TestClient, ref: str, csrf: str, data: bytes, name: str = "p.png"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{ref}/passport",
        data={"csrf_token": csrf, "purpose": "identity-check", "legal_basis": "police-law-art-2"},
        files={"image": (name, data, "image/png")},
    )


def test_upload_prefills_person_form_and_saves_nothing(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    database: Database,
) -> None:
    make_user("officer-m", Role.OFFICER)
    make_user("officer-n", Role.OFFICER)
    make_user("interp-m", Role.INTERPRETER)
    csrf = login(client, "officer-m")
    ref = _open_case(client, csrf)
    assert client.get(f"/cases/{ref}/passport").status_code == 200

    page = _upload(client, ref, csrf, to_bytes(data_page(td3_lines(PERSON))))
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="check-birth_date"' in html and "does not match" not in html
    form = html[html.index('data-testid="person-prefill"') :]
    assert f'action="/cases/{ref}/persons"' in html
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert values["full_name"] == "MARQUEZ PEREIRA, JOAO"
    assert values["nationality"] == "UTO" and values["sex"] == "M"
    assert values["date_of_birth"] == "1985-10-03" and values["doc_expiry"] == "2028-07-31"
    assert values["doc_number"] == "XK0415562" and values["doc_issuing_state"] == "UTO"
    assert values["doc_kind"] == "passport" and values["mrz_verified"] == "1"
    assert len(values["image_sha256"]) == 64 and values["mrz_decision_id"]
    # only the decision is stored; no person or document until the officer submits the form
    assert _count(database, Person) == 0 and _count(database, IdentityDocument) == 0
    assert _count(database, Decision) == 1

    # bad uploads: 4xx with a message, still nothing saved
    bad = _upload(client, ref, csrf, b"not an image at all", "x.txt")
    assert bad.status_code == 422 and "not an image" in bad.text
    empty = client.post(f"/cases/{ref}/passport", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "Choose a photo" in empty.text
    assert _count(database, Person) == 0

    # another officer cannot see the case; an interpreter may not use the page at all
    client.post("/logout", data={"csrf_token": csrf})
    other = login(client, "officer-n")
    assert _upload(client, ref, other, b"x").status_code == 403
    client.post("/logout", data={"csrf_token": other})
    login(client, "interp-m")
    assert client.get(f"/cases/{ref}/passport").status_code == 403


def test_inconsistent_mrz_names_field(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-q", Role.OFFICER)
    csrf = login(client, "officer-q")
    ref = _open_case(client, csrf)
    lines = td3_lines(PERSON)
    bad = lines[1][:27] + str((int(lines[1][27]) + 4) % 10) + lines[1][28:]
    page = _upload(client, ref, csrf, to_bytes(data_page([lines[0], bad])))
    assert page.status_code == 422
    assert "check digit for date of expiry does not match" in page.text
    assert 'name="mrz_verified" value="0"' in page.text
