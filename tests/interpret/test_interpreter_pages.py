"""The roster and request pages through the real app: roles, forms, messages, transitions."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.cases.models import Case, Person
from accord.core.roles import Role
from tests.helpers import login

REFERENCE = re.compile(r"/interpreters/requests/(IR-\d{4}-\d{4})")


def _switch(client: TestClient, username: str) -> str:
    client.cookies.clear()
    return login(client, username)


def _add_entry(client: TestClient, csrf: str, **fields: object) -> object:
    data = {
        "csrf_token": csrf,
        "name": "",
        "register_id": "",
        "languages": "",
        "modes": ["in-person"],
        "clearance": "none",
        "availability": "",
        "contact": "",
        "certificate_id": "",
        "username": "",
    }
    data.update(fields)
    return client.post("/interpreters", data=data, follow_redirects=False)


def test_roster_management_and_minimised_view(client: TestClient, make_user) -> None:
    make_user("sup", Role.SUPERVISOR)
    make_user("off", Role.OFFICER)
    make_user("terp", Role.INTERPRETER)
    csrf = login(client, "sup")
    assert client.get("/interpreters/new").status_code == 200
    bad = _add_entry(
        client, csrf, name="Amal Haddad", register_id="BJ-TR-001", languages="ar; Levantine; 9"
    )
    assert bad.status_code == 422 and "1 to 5" in bad.text
    assert 'value="Amal Haddad"' in bad.text  # the form keeps what was typed
    ok = _add_entry(
        client,
        csrf,
        name="Amal Haddad",
        register_id="BJ-TR-001",
        languages="ar; Levantine; 5",
        modes=["video", "phone"],
        contact="+86 10 0000 0000",
        availability="weekdays 08-18",
    )
    assert ok.status_code == 303
    dup = _add_entry(client, csrf, name="Other", register_id="BJ-TR-001", languages="fr; ; 3")
    assert dup.status_code == 409 and "already on the roster" in dup.text
    page = client.get("/interpreters")
    assert "+86 10 0000 0000" in page.text and "BJ-TR-001" in page.text

    csrf = _switch(client, "off")
    officer_view = client.get("/interpreters?language=ar&mode=video")
    assert officer_view.status_code == 200 and "Amal Haddad" in officer_view.text
    assert "+86 10 0000 0000" not in officer_view.text  # contact data minimised
    assert "Amal Haddad" not in client.get("/interpreters?language=ru").text
    assert client.get("/interpreters?language=%3Cscript%3E").status_code == 422
    refused = _add_entry(client, csrf, name="X", register_id="X-1", languages="fr; ; 3")
    assert refused.status_code == 403
    _switch(client, "terp")
    assert client.get("/interpreters", follow_redirects=False).status_code == 303
    assert client.get("/interpreters/new").status_code == 403


def test_request_to_close_through_the_pages(client: TestClient, database, make_user) -> None:
    officer = make_user("off", Role.OFFICER)
    make_user("sup", Role.SUPERVISOR)
    make_user("amal", Role.INTERPRETER)
    make_user("dina", Role.INTERPRETER)
    with database.session() as session:
        case = Case(
            reference="FR-2026-000123", case_type="theft", title="Bag", officer_id=officer.id
        )
        case.persons = [Person(role="witness", full_name="Dina Nasser")]
        session.add(case)
    csrf = login(client, "sup")
    assert (
        _add_entry(
            client,
            csrf,
            name="Amal Haddad",
            register_id="R-1",
            languages="ar; Levantine; 5",
            username="amal",
        ).status_code
        == 303
    )
    assert (
        _add_entry(
            client,
            csrf,
            name="DINA NASSER",
            register_id="R-2",
            languages="ar; ; 5",
            username="dina",
        ).status_code
        == 303
    )

    csrf = _switch(client, "off")
    form = client.get("/interpreters/requests/new?language=ar&case_ref=FR-2026-000123&source=case")
    assert form.status_code == 200 and 'value="FR-2026-000123"' in form.text
    bad = client.post(
        "/interpreters/requests",
        data={
            "csrf_token": csrf,
            "language": "ar",
            "mode": "in-person",
            "source": "case",
            "case_ref": "FR-2026-000123",
            "scheduled_start": "tomorrow",
        },
    )
    assert bad.status_code == 422 and "scheduled_start" in bad.text
    created = client.post(
        "/interpreters/requests",
        data={
            "csrf_token": csrf,
            "language": "ar",
            "dialect": "Levantine",
            "mode": "in-person",
            "source": "case",
            "case_ref": "FR-2026-000123",
            "scheduled_start": "2026-11-24T09:00",
            "scheduled_end": "2026-11-24T10:30",
            "parties": "",
            "notes": "",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    reference = REFERENCE.search(created.headers["location"]).group(1)
    detail = client.get(f"/interpreters/requests/{reference}")
    assert detail.text.count('data-testid="candidate"') == 2
    assert "2026-11-24 09:00" in detail.text  # shown in station time

    ids = dict(
        re.findall(r'value="(\d+)" id="c\d+"[^>]*>\s*</td>\s*<td><label[^>]*>([^<]+)<', detail.text)
    )
    by_name = {name: value for value, name in ids.items()}
    conflict = client.post(
        f"/interpreters/requests/{reference}/assign",
        data={"csrf_token": csrf, "interpreter_id": by_name["DINA NASSER"]},
    )
    assert conflict.status_code == 409
    assert "Independence check failed" in conflict.text and "as witness" in conflict.text
    early_close = client.post(
        f"/interpreters/requests/{reference}/close", data={"csrf_token": csrf, "note": "x"}
    )
    assert early_close.status_code == 409 and "Cannot close request" in early_close.text
    assigned = client.post(
        f"/interpreters/requests/{reference}/assign",
        data={"csrf_token": csrf, "interpreter_id": by_name["Amal Haddad"]},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    page = client.get(f"/interpreters/requests/{reference}").text
    assert 'data-testid="independence"' in page and "not-a-case-person" in page

    csrf = _switch(client, "dina")
    # Not hers: answered like a request that does not exist (no probing of references).
    assert client.get(f"/interpreters/requests/{reference}").status_code == 404
    assert (
        client.post(
            f"/interpreters/requests/{reference}/join", data={"csrf_token": csrf}
        ).status_code
        == 404
    )
    csrf = _switch(client, "amal")
    mine = client.get("/interpreters/requests")
    assert reference in mine.text
    joined = client.post(
        f"/interpreters/requests/{reference}/join",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    again = client.post(f"/interpreters/requests/{reference}/join", data={"csrf_token": csrf})
    assert again.status_code == 409
    pasted = client.post(
        f"/interpreters/requests/{reference}/corrections",
        data={
            "csrf_token": csrf,
            "source_text": "أين المحطة؟",
            "machine_text": "Where station?",
            "corrected_text": "Where is the station?",
            "action": "corrected",
        },
        follow_redirects=False,
    )
    assert pasted.status_code == 303
    page = client.get(f"/interpreters/requests/{reference}").text
    assert "Where station?" in page and "Where is the station?" in page
    closed = client.post(
        f"/interpreters/requests/{reference}/close",
        data={"csrf_token": csrf, "note": "Statement read back in Arabic."},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    csrf = _switch(client, "off")
    final = client.get(f"/interpreters/requests/{reference}").text
    assert 'data-testid="status">closed<' in final
    cancel = client.post(
        f"/interpreters/requests/{reference}/cancel", data={"csrf_token": csrf, "note": "late"}
    )
    assert cancel.status_code == 409
    assert client.get("/interpreters/requests/IR-2026-9999").status_code == 404
    assert (
        client.post(
            f"/interpreters/requests/{reference}/explode", data={"csrf_token": csrf}
        ).status_code
        == 404
    )


def test_sign_language_request_cites_cpl_121(client: TestClient, make_user) -> None:
    make_user("off", Role.OFFICER)
    csrf = login(client, "off")
    created = client.post(
        "/interpreters/requests",
        data={
            "csrf_token": csrf,
            "language": "csl",
            "mode": "sign-language",
            "source": "conversation",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert 'data-testid="sign-note"' in page and "CPL Art. 121" in page
    no_csrf = client.post(
        "/interpreters/requests", data={"language": "ar", "mode": "phone", "source": "conversation"}
    )
    assert no_csrf.status_code == 403


def test_edit_and_deactivate_an_entry(client: TestClient, make_user) -> None:
    make_user("sup", Role.SUPERVISOR)
    make_user("amal", Role.INTERPRETER)
    make_user("plain", Role.OFFICER)
    csrf = login(client, "sup")
    assert (
        _add_entry(client, csrf, name="Amal", register_id="R-1", languages="ar; ; 4").status_code
        == 303
    )
    page = client.get("/interpreters")
    entry_id = re.search(r'href="/interpreters/(\d+)/edit"', page.text).group(1)
    edit = client.get(f"/interpreters/{entry_id}/edit")
    assert edit.status_code == 200 and "ar; ; 4" in edit.text
    not_interpreter = _edit(client, csrf, entry_id, username="plain")
    assert not_interpreter.status_code == 422 and "interpreter role" in not_interpreter.text
    saved = _edit(client, csrf, entry_id, username="amal", languages="ar; Maghrebi; 5")
    assert saved.status_code == 303
    assert "Maghrebi" in client.get("/interpreters").text
    off = client.post(f"/interpreters/{entry_id}/active", data={"csrf_token": csrf, "active": "no"})
    assert off.status_code == 200  # redirected to the full roster
    assert "Amal" not in client.get("/interpreters").text
    assert "inactive" in client.get("/interpreters?show=all").text
    bad = client.post(f"/interpreters/{entry_id}/active", data={"csrf_token": csrf, "active": "?"})
    assert bad.status_code == 422
    assert client.get("/interpreters/999/edit").status_code == 404
    assert client.get("/interpreters/requests?status=lost").status_code == 422


def _edit(client: TestClient, csrf: str, entry_id: str, **fields: object):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf,
        "name": "Amal",
        "register_id": "R-1",
        "languages": "ar; ; 4",
        "modes": ["phone"],
        "clearance": "basic",
    }
    data.update(fields)
    return client.post(f"/interpreters/{entry_id}", data=data, follow_redirects=False)


def test_pages_render_for_a_chinese_speaking_officer(client: TestClient, make_user) -> None:
    make_user("zhou", Role.OFFICER, Role.SUPERVISOR, language="zh_Hans")
    csrf = login(client, "zhou")
    assert (
        _add_entry(client, csrf, name="Amal", register_id="R-1", languages="ar; ; 4").status_code
        == 303
    )
    created = client.post(
        "/interpreters/requests",
        data={"csrf_token": csrf, "language": "ar", "mode": "sign-language", "source": "interview"},
        follow_redirects=False,
    )
    for path in (
        "/interpreters",
        "/interpreters/requests",
        "/interpreters/requests/new",
        created.headers["location"],
        "/interpreters/new",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="zh-Hans">' in page.text, path
