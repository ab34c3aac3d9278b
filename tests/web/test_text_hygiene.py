"""NUL, lone surrogates, control and bidi characters in forms, JSON and query strings.

NUL and unpaired surrogates are refused everywhere with the app's usual 422 (they used to give
503 "database not reachable" on PostgreSQL and 500 on encoding); in titles and names bidi
controls and the BOM are stripped and other control characters refused
(``accord.core.text``). Runs on SQLite and, with ACCORD_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.cases.models import Case, Person
from accord.core.accounts import User
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role
from accord.core.text import clean_line, clean_text
from tests.helpers import login

FORM = "application/x-www-form-urlencoded"


def count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def case_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "case_type": "theft-victim", "title": "Wallet stolen",
            "summary": "Taken on line 1", "place": "Wangfujing", **fields}


# -- the helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "clean"), [
    ("  Wallet stolen ", "Wallet stolen"),
    ("\u202eevil.exe", "evil.exe"),                       # RIGHT-TO-LEFT OVERRIDE stripped
    ("a\u202a\u202b\u202c\u202d b", "a b"),               # embeddings and overrides
    ("\u2066x\u2067y\u2068z\u2069", "xyz"),               # isolates
    ("\ufeffMohammed", "Mohammed"),                        # BOM / zero-width no-break space
    ("line\none\ttwo\r\u2028", "line one two"),           # a title is one line
    ("محمد علي", "محمد علي"),                              # RTL letters are text, kept
    ("李伟 \u200d👨‍👩‍👧", "李伟 \u200d👨‍👩‍👧"),             # joiners inside emoji are kept
])
def test_clean_line_strips_invisible_formatting(raw: str, clean: str) -> None:
    assert clean_line(raw, "title") == clean


@pytest.mark.parametrize("raw", ["a\x00b", "a\ud800b", "a\udfffb", "\x1b[31mred", "a\x07",
                                 "a\x7f", "a\x85b", "a\x9bc"])
def test_clean_line_refuses_nul_surrogates_and_controls(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_line(raw, "title")
    assert str(refused.value).startswith("Invalid input: title: ")


def test_clean_text_keeps_line_breaks_but_refuses_nul_and_surrogates() -> None:
    text = "First line\n\tindented\r\nRTL \u202ekept in free text"
    assert clean_text(text, "text") == text
    for raw in ("a\x00", "\ud83d alone"):
        with pytest.raises(ValidationFailed):
            clean_text(raw, "text")


# -- form fields ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("title", "expected"), [
    ("Wallet\x00stolen", "title: contains a NUL character"),
    ("\x1b[2JWallet", "title: contains the control character U+001B"),
])
def test_bad_title_in_a_form_is_refused_with_422_and_nothing_stored(
    client: TestClient, make_user, database: Database, title: str, expected: str
) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    response = client.post("/cases/new", data=case_form(csrf, title=title),
                           follow_redirects=False)
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert expected in response.text
    assert count(database, Case) == 0


def test_lone_surrogate_in_a_form_is_refused(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    # A surrogate can only travel as its (invalid) UTF-8 bytes ED A0 80.
    body = f"csrf_token={csrf}&case_type=theft-victim&title=a%ED%A0%80b&summary=s".encode()
    response = client.post("/cases/new", content=body, headers={"content-type": FORM})
    assert response.status_code == 422
    assert "title: not valid UTF-8" in response.text
    assert count(database, Case) == 0


@pytest.mark.parametrize("title", ["\u202eWallet stolen", "\ufeffWallet stolen",
                                   "Wallet\u2066 stolen\u2069"])
def test_bidi_controls_and_bom_are_stripped_from_a_case_title(
    client, make_user, database, title: str
) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    response = client.post("/cases/new", data=case_form(csrf, title=title),
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    with database.session() as session:
        assert session.scalars(select(Case.title)).all() == ["Wallet stolen"]


def test_free_text_keeps_line_breaks_and_tabs(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    summary = "Line one\n\tLine two\r\nقال \u202bthe witness\u202c"
    assert client.post("/cases/new", data=case_form(csrf, summary=summary),
                       follow_redirects=False).status_code == 303
    with database.session() as session:
        stored = session.scalar(select(Case.summary)) or ""
    assert stored.replace("\r\n", "\n") == summary.replace("\r\n", "\n")
    refused = client.post("/cases/new", data=case_form(csrf, summary="a\x00b"))
    assert refused.status_code == 422
    assert count(database, Case) == 1


def test_person_names_are_cleaned(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    case_url = client.post("/cases/new", data=case_form(csrf),
                           follow_redirects=False).headers["location"]
    person = {"csrf_token": csrf, "role": "victim", "sex": "F"}
    refused = client.post(f"{case_url}/persons", data={**person, "full_name": "Anna\x1b"})
    assert refused.status_code == 422
    assert "full_name: contains the control character U+001B" in refused.text
    assert count(database, Person) == 0
    added = client.post(f"{case_url}/persons",
                        data={**person, "full_name": "\u202eAnna \ufeffSmith"},
                        follow_redirects=False)
    assert added.status_code == 303, added.text
    with database.session() as session:
        assert session.scalars(select(Person.full_name)).all() == ["Anna Smith"]


def test_multipart_fields_are_checked_but_file_contents_are_not(
    client, make_user, database
) -> None:
    make_user("li.wei", Role.OFFICER)
    csrf = login(client, "li.wei")
    binary = ("scan.bin", b"\x00\xed\xa0\x80\x1b binary", "application/octet-stream")
    refused = client.post("/cases/new", data=case_form(csrf, title="a\x00b"),
                          files={"attachment": binary})
    assert refused.status_code == 422
    assert "title: contains a NUL character" in refused.text
    assert count(database, Case) == 0
    accepted = client.post("/cases/new", data=case_form(csrf), files={"attachment": binary},
                           follow_redirects=False)
    assert accepted.status_code == 303, accepted.text
    assert count(database, Case) == 1


def test_error_page_is_in_the_users_language(client, make_user, database) -> None:
    make_user("li.wei", Role.OFFICER, language="zh_Hans")
    csrf = login(client, "li.wei")
    response = client.post("/cases/new", data=case_form(csrf, title="a\x00b"))
    assert response.status_code == 422
    assert "输入无效" in response.text
    assert 'lang="zh-Hans"' in response.text


# -- JSON ----------------------------------------------------------------------------------------
@pytest.fixture
def admin(client: TestClient, make_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("boss", Role.ADMIN)
    csrf = login(client, "boss")
    return {"x-csrf-token": csrf, "content-type": "application/json"}


def new_user_json(display_name_json: str, username: str = "li.wei") -> bytes:
    return (f'{{"username": "{username}", "password": "a-long-password", '
            f'"roles": ["officer"], "display_name": "{display_name_json}"}}').encode()


@pytest.mark.parametrize(("escaped", "expected"), [
    ("Li\\u0000Wei", "display_name: contains a NUL character"),
    ("Li\\ud800Wei", "display_name: contains an unpaired surrogate"),
    ("Li\\udc00", "display_name: contains an unpaired surrogate"),
    ("Li\\u001bWei", "display name: contains the control character U+001B"),
])
def test_bad_json_strings_are_refused_with_json_422(
    client, admin, database, escaped: str, expected: str
) -> None:
    response = client.post("/api/v1/users", content=new_user_json(escaped), headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert expected in response.json()["detail"]
    assert count(database, User) == 1  # only the admin


def test_json_key_and_raw_invalid_utf8_are_refused(client, admin, database) -> None:
    key = client.post("/api/v1/users", headers=admin,
                      content=b'{"user\\u0000name": "x"}')
    assert key.status_code == 422 and "NUL" in key.json()["detail"]
    raw = client.post("/api/v1/users", headers=admin,
                      content=new_user_json("Li").replace(b"Li", b"Li\xed\xa0\x80"))
    assert raw.status_code == 422 and "not valid UTF-8" in raw.json()["detail"]
    assert count(database, User) == 1


def test_paired_surrogate_escape_is_an_ordinary_character(client, admin, database) -> None:
    response = client.post("/api/v1/users", headers=admin,
                           content=new_user_json("Li \\ud83d\\ude00"))
    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == "Li \U0001f600"


@pytest.mark.parametrize("escaped", ["\\u202eLi Wei", "Li Wei\\ufeff", "\\u2067Li Wei\\u2069"])
def test_bidi_and_bom_are_stripped_from_display_names(client, admin, escaped: str) -> None:
    response = client.post("/api/v1/users", headers=admin,
                           content=new_user_json(escaped))
    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == "Li Wei"


def test_user_name_with_bidi_override_cannot_impersonate(client, admin) -> None:
    client.post("/api/v1/users", headers=admin, content=new_user_json("Li"))
    twin = client.post("/api/v1/users", headers=admin,
                       content=new_user_json("Li", username="li.wei\\u202e"))
    assert twin.status_code == 409  # the same name once the invisible override is gone


# -- query strings and paths ---------------------------------------------------------------------
@pytest.mark.parametrize("query", ["q=%00", "q=a%ED%A0%80", "status=open&x%00=1"])
def test_bad_query_strings_get_422_html_for_browsers(client, make_user, query: str) -> None:
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    response = client.get(f"/cases?{query}")
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "Invalid input" in response.text


def test_bad_query_strings_and_paths_get_json_422_on_the_api(client, make_user) -> None:
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    for url in ("/api/v1/me?x=%00", "/api/v1/jobs/a%00b", "/api/v1/me?x=%ED%A0%80"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert isinstance(response.json()["detail"], str)


def test_search_with_bidi_or_escape_in_the_query_is_answered(client, make_user) -> None:
    """Search text is not stored: only NUL and surrogates are refused, nothing fails."""
    make_user("li.wei", Role.OFFICER)
    login(client, "li.wei")
    for query in ("q=%E2%80%AEwallet", "q=%1B%5B31m", "q=%EF%BB%BFwallet"):
        assert client.get(f"/cases?{query}").status_code == 200
