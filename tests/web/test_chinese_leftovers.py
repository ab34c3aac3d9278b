"""Every GET page, in the Chinese UI, as each role that may open it: no English words left.

One app, one database, one TestClient: the route table (tests/web/test_route_table.py) gives
each GET route and who may call it; path values are real objects (a case with a person,
statement, evidence item and task, a finished job) built with Chinese data, so a word found is
the interface's, not the data's. Endless streams answer once (tests/route_access.py). Words kept
in English are listed with their reasons in tests/english_leftovers.py; pages that are not
Chinese-UI pages by design (machine-readable documents, the API's explorer, the twelve-language
public pages in another language) are listed below, each with its reason.

Translations pending in docs/i18n-pending are laid over the catalog (as after the lead's merge).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.accounts import User
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.jobs.service import JobService
from accord.core.roles import Role
from tests.english_leftovers import (
    ALLOWED,
    chinese_with_pending,
    developer_commands,
    english_words,
    leftovers_in_context,
)
from tests.helpers import login
from tests.web.test_role_matrix import World, _concrete
from tests.web.test_route_table import ROUTES

ANONYMOUS = "anonymous"
#: The order in which roles are tried for a page (the first one allowed opens it).
ROLES = [ANONYMOUS, "officer", "supervisor", "dpo", "analyst", "interpreter", "legal", "auditor",
         "admin"]

#: GET routes whose body is not a page of the Chinese UI, with the reason.
NOT_UI_PAGES: dict[str, str] = {
    "/static/{path:path}": "static files (scripts, styles, images)",
    "/healthz": "machine probe",
    "/readyz": "machine probe",
    "/openapi.json": "the API's machine-readable description (English by convention)",
    "/docs": "the API explorer for developers (Swagger UI's own interface)",
    "/language": "redirect that sets the language",
}


#: What one page may show beyond the common allow-list, with the reason:
#: (extra allowed words, whether a shell command may appear, reason).
PAGE_EXCEPTIONS: dict[str, tuple[frozenset[str], bool, str]] = {
    "/transparency": (frozenset({"witness"}), True,
                      "the register tells an outside verifier how to check the ledger: the "
                      "published verifier's command and the signature line's literal name "
                      "('witness', C2SP note format)"),
}


def _build_world(database: Database, officer: User, caller: User) -> World:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              settings.station_timezone)
        case = service.create_case(case_type="lost-passport", title="护照遗失",
                                   officer_id=officer.id, place="王府井")
        person = service.add_person(case, role="reporter", full_name="王芳",
                                    nationality="PRT")
        session.flush()
        statement = service.add_statement(case, person_id=person.id, language="zh",
                                          text="我的护照丢了。", taken_by=officer.id)
        item = service.add_evidence(case, description="收据", data=b"receipt",
                                    filename="收据", media_type="text/plain",
                                    collected_by=officer.id)
        task = service.add_task(case, title="联系大使馆")
        session.flush()
        world = World(officer=officer, case_ref=case.reference, person_id=person.id,
                      statement_id=statement.id, item_id=item.id, task_id=task.id, job_id="")
        session.commit()
    world.job_id = JobService(database).submit("accounts.export", {}, created_by=caller.id).id
    return world


#: Pages whose content differs by role (cards, navigation): every role opens them.
PER_ROLE = {"/", "/account"}


def _visits() -> list[tuple[str, str]]:
    """(role, path): every UI page once, as the first role that may open it (anonymous for
    public pages), and the per-role pages as every role."""
    visits = []
    for path, methods, access in ROUTES:
        if "GET" not in methods.split() or path in NOT_UI_PAGES or path.startswith("/api/"):
            continue
        if access == "public":
            visits.append((ANONYMOUS, path))
            continue
        allowed = [role for role in ROLES[1:] if access == "signed-in" or role in access]
        for role in (allowed if path in PER_ROLE else allowed[:1]):
            visits.append((role, path))
    return sorted(visits, key=lambda visit: ROLES.index(visit[0]))


def test_english_words_are_found_and_allowed_words_are_not() -> None:
    page = ('<html><body><h1>案卷</h1><p>Due soon</p><script>var x = "Hidden"</script>'
            '<input type="submit" value="Save"><span title="Open case">打开</span>'
            '<p>Accord · PDF · CSV · PRT · dpo@police.example · 3f9a0c1d2b4e5f60</p>'
            '<p lang="en" translate="no">The model card, kept in English</p>'
            '<p lang="ar">بلاغ</p><p lang="en">Merely labelled English</p>'
            '<code>cases.classify</code>'
            '<p>请运行 <code>python -m accord.core.ledger.export ledger</code></p>'
            "</body></html>")
    assert english_words(page) == ["Due", "soon", "Save", "Open", "case", "Merely",
                                   "labelled", "English"]
    assert developer_commands(page) == ["python -m accord.core.ledger.export ledger"]
    assert developer_commands("<p>accord demo load</p>") == ["accord demo load"]


def test_every_allowed_word_has_a_reason() -> None:
    assert all(reason.strip() for reason in ALLOWED.values())




@pytest.fixture
def chinese_client(client: TestClient) -> TestClient:
    client.headers["Accept-Language"] = "zh-CN"
    return client


def test_every_page_in_chinese_has_no_english_left(chinese_client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                   database: Database) -> None:
    client = chinese_client
    # User names are data the page shows: digits only, so a word found is the interface's.
    users = {role.value: make_user(f"u{index}", role, language="zh_Hans")
             for index, role in enumerate(Role, start=101)}
    world = _build_world(database, users["officer"], users["admin"])
    problems: list[str] = []
    pages = 0
    signed_in = None
    with chinese_with_pending():
        for role, path in _visits():
            if role != signed_in:
                client.cookies.clear()
                if role != ANONYMOUS:
                    login(client, users[role].username)
                signed_in = role
            url = _concrete(path, world)
            response = client.get(url)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            pages += 1
            extra, commands_ok, _reason = PAGE_EXCEPTIONS.get(path, (frozenset(), False, ""))
            words = english_words(response.text, extra)
            commands = [] if commands_ok else developer_commands(response.text)
            if words or commands:
                context = leftovers_in_context(response.text, extra) + [
                    f"command: {command}" for command in commands]
                problems.append(f"{role} GET {url} ({response.status_code}):\n    "
                                + "\n    ".join(context))
    assert pages > 100
    assert not problems, f"{len(problems)} pages with English:\n" + "\n".join(problems)
