"""Certified translators verify content texts; only verified notices lose the draft warning."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from accord.core.roles import Role
from accord.interpret import library as content
from accord.interpret.interpreters import (
    Actor,
    InterpreterInput,
    InterpreterService,
    invalidate_overlay,
    parse_language_lines,
)
from tests.helpers import login

NOTICE = "interpreter"
DRAFT_EN = "Draft translation — not yet verified by a certified translator"
DRAFT_ES = "Traducción provisional"


def _digest(page: str) -> str:
    match = re.search(r'data-testid="digest">([0-9a-f]{64})<', page)
    assert match, page
    return match.group(1)


@pytest.fixture
def people(database, make_user):  # type: ignore[no-untyped-def]
    """A certified translator with an account, an uncertified interpreter, and an admin."""
    make_user("ana", Role.INTERPRETER)
    make_user("omar", Role.INTERPRETER)
    make_user("root", Role.ADMIN)
    service = InterpreterService(database)
    service.add_interpreter(
        InterpreterInput(
            name="Ana Ruiz",
            register_id="TAC-ES-0042",
            languages=parse_language_lines("es; ; 5"),
            modes=["in-person"],
            certified_translator=True,
            certificate_id="CATTI-2-ES-0042",
            username="ana",
        )
    )
    service.add_interpreter(
        InterpreterInput(
            name="Omar Saleh",
            register_id="VOL-AR-0007",
            languages=parse_language_lines("ar; Egyptian; 4"),
            modes=["phone"],
            volunteer=True,
            username="omar",
        )
    )
    invalidate_overlay()
    yield service
    invalidate_overlay()


def test_shipped_content_is_truthfully_unverified(client: TestClient, people) -> None:
    """Nothing shipped is verified, and the public notice page says so."""
    base = content.get_library(overlay=False)
    for notice in base.notices.values():
        assert not any(notice.verified(lang) for lang in content.LANGUAGES), notice.id
    page = client.get(f"/public/notices/{NOTICE}?lang=es")
    assert page.status_code == 200 and DRAFT_ES in page.text
    assert 'data-verified="no"' in page.text


def test_certified_translator_verifies_a_notice_and_the_public_page_changes(
    client: TestClient, people
) -> None:
    login(client, "ana")
    listing = client.get("/interpret/content-review?kind=notice&lang=es")
    assert listing.status_code == 200
    assert f'data-key="notice/{NOTICE}/es"' in listing.text
    assert "You review as Ana Ruiz, certificate CATTI-2-ES-0042." in listing.text
    item = client.get(f"/interpret/content-review/notice/{NOTICE}/es")
    assert item.status_code == 200 and 'data-testid="review-form"' in item.text
    digest = _digest(item.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', item.text).group(1)

    stale = client.post(
        f"/interpret/content-review/notice/{NOTICE}/es",
        data={"csrf_token": csrf, "digest": "0" * 64, "status": "verified"},
    )
    assert stale.status_code == 409 and "The text changed since you opened it" in stale.text
    no_note = client.post(
        f"/interpret/content-review/notice/{NOTICE}/es",
        data={"csrf_token": csrf, "digest": digest, "status": "rejected"},
    )
    assert no_note.status_code == 422 and "note" in no_note.text
    assert people.review_history("notice", NOTICE, "es") == []

    done = client.post(
        f"/interpret/content-review/notice/{NOTICE}/es",
        data={"csrf_token": csrf, "digest": digest, "status": "verified"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    record = people.review_history("notice", NOTICE, "es")[0]
    assert record.translator_name == "Ana Ruiz" and record.certificate_id == "CATTI-2-ES-0042"
    assert record.text_digest == digest

    lib = content.get_library()
    notice = lib.notice(NOTICE)
    assert notice.verified("es") and not notice.verified("ar")
    assert notice.title.get("es").translator == "Ana Ruiz (CATTI-2-ES-0042)"
    assert content.get_library(overlay=False).notice(NOTICE).verified("es") is False

    public = client.get(f"/public/notices/{NOTICE}?lang=es")
    assert 'data-verified="yes"' in public.text and DRAFT_ES not in public.text
    assert "Ana Ruiz (CATTI-2-ES-0042)" in public.text
    # Other languages keep the warning.
    other = client.get(f"/public/notices/{NOTICE}?lang=en")
    assert 'data-verified="no"' in other.text and DRAFT_EN in other.text
    assert client.get("/public/notices?lang=es").status_code == 200
    # Forms in the same language are unaffected.
    assert not any(f.verified("es") for f in lib.forms.values())


def test_a_verification_lapses_when_the_file_changes(
    client: TestClient, people, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = content.get_library(overlay=False)
    ana = Actor.of(_user(people, "ana"))
    people.review_content(
        base,
        ana,
        kind="notice",
        content_id=NOTICE,
        language="es",
        digest=content.content_digest(base.notice(NOTICE), "es"),
        status="verified",
    )
    assert content.get_library().notice(NOTICE).verified("es")

    changed_dir = tmp_path / "content"
    shutil.copytree(content.CONTENT_DIR, changed_dir)
    path = changed_dir / "notices" / f"{NOTICE}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"]["es"] = data["summary"]["es"] + " (texto modificado)"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(content, "_library", content.load_library(changed_dir))
    invalidate_overlay()

    assert not content.get_library().notice(NOTICE).verified("es")
    public = client.get(f"/public/notices/{NOTICE}?lang=es")
    assert DRAFT_ES in public.text and "texto modificado" in public.text
    login(client, "ana")
    page = client.get(f"/interpret/content-review/notice/{NOTICE}/es").text
    assert 'data-testid="lapsed"' in page and "no longer matches the text" in page


def test_only_certified_translators_verify_and_admins_only_view(client: TestClient, people) -> None:
    login(client, "omar")
    assert client.get("/interpret/content-review").status_code == 403
    client.cookies.clear()
    login(client, "root")
    page = client.get(f"/interpret/content-review/notice/{NOTICE}/ar")
    assert page.status_code == 200 and 'data-testid="view-only"' in page.text
    assert 'data-testid="review-form"' not in page.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    refused = client.post(
        f"/interpret/content-review/notice/{NOTICE}/ar",
        data={"csrf_token": csrf, "digest": _digest(page.text), "status": "verified"},
    )
    assert refused.status_code == 403
    assert people.review_history("notice", NOTICE, "ar") == []
    assert client.get("/interpret/content-review/notice/nope/ar").status_code == 404
    assert client.get(f"/interpret/content-review/notice/{NOTICE}/xx").status_code == 404


def _user(service: InterpreterService, username: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from accord.core.accounts.models import User

    with service.database.session() as session:
        return session.scalar(select(User).where(User.username == username))


def test_an_unreadable_database_shows_the_content_unverified_instead_of_failing(
        accord_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The app reads the content library at start (guidance checks its notice ids); with the
    database down then, it must still start (and /readyz say 503), showing nothing as
    verified, and read the verifications again once the database answers."""
    from accord.config import reset_settings_cache
    from accord.core.runtime import get_database, reset_runtime

    monkeypatch.setenv("ACCORD_DATABASE_URL", "sqlite:////nonexistent-dir/for/sure/x.sqlite3")
    reset_settings_cache()
    reset_runtime()
    invalidate_overlay()
    try:
        get_database()  # the process's database: configured, unreachable
        library = content.get_library()
        assert set(library.notices) == set(content.get_library(overlay=False).notices)
        assert not any(notice.verified(lang) for notice in library.notices.values()
                       for lang in content.LANGUAGES)
    finally:
        reset_runtime()
        invalidate_overlay()
