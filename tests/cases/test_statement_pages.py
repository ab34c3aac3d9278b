"""Statement language tools through the real app and the CLI: case-type suggestion, hints
side by side with their review entry, entity confirmation, access rules and bad input."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.cases.models import Case, Statement
from accord.cases.service import CaseService
from accord.core.blobs import BlobStore
from accord.core.db import Database
from accord.core.gateway.models import Decision, Review
from accord.core.roles import Role
from accord.core.runtime import get_database
from tests.helpers import certify, login

A = (
    "On 20 November 2026 at 21:30 a man in a red jacket took my phone near Sanlitun Road. "
    "Two men ran away."
)
B = (
    "It was 22:15 on 20 November 2026. The man wore a blue jacket. Two men ran away from "
    "Sanlitun Road."
)


def _case_with_statements(
    database: Database, state_dir: Path, officer_id: int, texts: list[tuple[str, str]]
) -> tuple[str, list[int]]:
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(state_dir))
        case = service.create_case(
            case_type="theft-victim", title="Phone taken", officer_id=officer_id
        )
        ids = [
            service.add_statement(case, person_id=None, language=lang, text=text).id
            for lang, text in texts
        ]
        session.commit()
        return case.reference, ids


def _count(database: Database, model: type, **where: object) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(session.scalar(query) or 0)


def test_suggest_type_partial(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("officer-s", Role.OFFICER)
    csrf = login(client, "officer-s")
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    page = client.post(
        "/cases/suggest-type",
        headers=headers,
        data={"description": "A pickpocket stole my wallet on the bus."},
    )
    assert page.status_code == 200
    assert 'data-testid="suggested-type" data-type="theft-victim"' in page.text
    assert "pickpocket" in page.text and "You choose the case type" in page.text
    # The new-case form sends its summary field; Chinese is recognised.
    zh = client.post(
        "/cases/suggest-type", headers=headers, data={"summary": "他的签证已过期，逾期居留"}
    )
    assert zh.status_code == 200
    assert 'data-testid="suggested-type" data-type="illegal-stay"' in zh.text
    vague = client.post(
        "/cases/suggest-type", headers=headers, data={"description": "I need help."}
    )
    assert vague.status_code == 200 and 'data-testid="no-suggestion"' in vague.text
    empty = client.post("/cases/suggest-type", headers=headers, data={"description": "  "})
    assert empty.status_code == 422 and "description" in empty.text
    no_csrf = client.post("/cases/suggest-type", data={"description": "stolen"})
    assert no_csrf.status_code == 403


def test_hints_page_side_by_side_with_review_entry(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env, hints_cleared
) -> None:
    officer = make_user("officer-h", Role.OFFICER)
    other = make_user("other-officer", Role.OFFICER)
    boss = make_user("boss", Role.SUPERVISOR)
    certify(database, officer, other, boss)  # trained: the hints need the AI-literacy certificate
    ref, _ids = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id, [("en", A), ("en", B)]
    )
    login(client, "officer-h")
    page = client.get(f"/cases/{ref}/hints")
    assert page.status_code == 200, page.text
    assert "not credibility or truthfulness judgements" in page.text
    assert page.text.count('data-testid="hint"') == 2
    assert 'data-kind="time"' in page.text and 'data-kind="colour"' in page.text
    assert "Statement A says 21:30, statement B says 22:15" in page.text
    assert "<mark>21:30</mark>" in page.text and "<mark>22:15</mark>" in page.text
    assert 'data-testid="review-link"' in page.text and "waiting for review" in page.text
    assert _count(database, Review, capability_id="cases.inconsistency") == 1
    # Seeing the page again reuses the decision instead of filling the review queue.
    again = client.get(f"/cases/{ref}/hints")
    assert again.status_code == 200
    assert _count(database, Decision, capability_id="cases.inconsistency") == 1
    # The supervisor finds it in the review queue.
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    login(client, "boss")
    assert client.get(f"/cases/{ref}/hints").status_code == 200
    queue = client.get("/reviews")
    assert "cases.inconsistency" in queue.text or "Inconsistency hints" in queue.text
    # The cases package's own review view: both passages side by side, before the buttons.
    assert 'data-testid="review-hints"' in queue.text
    view = queue.text.index('data-testid="review-hints"')
    assert view < queue.text.index("<mark>21:30</mark>") < queue.text.index(
        "<mark>22:15</mark>") < queue.text.index('data-testid="review-confirm"')
    # Another officer may not open the case.
    client.cookies.clear()
    login(client, "other-officer")
    assert client.get(f"/cases/{ref}/hints").status_code == 403


def test_hints_are_refused_until_the_dpo_approves_the_assessments(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env
) -> None:
    officer = make_user("officer-r", Role.OFFICER)
    certify(database, officer)  # trained: the refusal is the assessments' alone
    ref, _ids = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id, [("en", A), ("en", B)]
    )
    login(client, "officer-r")
    page = client.get(f"/cases/{ref}/hints")
    assert page.status_code == 200 and 'data-testid="hint"' not in page.text
    assert "assessment" in page.text.lower()  # the policy's reason, shown to the officer
    assert _count(database, Review, capability_id="cases.inconsistency") == 0
    assert _count(database, Decision, capability_id="cases.inconsistency") >= 1  # refusal ledgered


def test_hints_need_a_common_language(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env, hints_cleared
) -> None:
    officer = make_user("officer-l", Role.OFFICER)
    certify(database, officer)
    zh = "晚上十点，一个穿蓝色外套的男子拿走了我的手机。"
    ref, _ = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id, [("en", A), ("zh", zh)]
    )
    login(client, "officer-l")
    page = client.get(f"/cases/{ref}/hints")
    assert page.status_code == 200
    assert "different languages without a common translation" in page.text


def test_entities_are_saved_only_on_confirmation(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env
) -> None:
    officer = make_user("officer-e", Role.OFFICER)
    ref, ids = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id, [("en", A)]
    )
    csrf = login(client, "officer-e")
    url = f"/cases/{ref}/statements/{ids[0]}/entities"
    page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('data-testid="entity-row"') >= 5
    with database.session() as session:
        statement = session.get(Statement, ids[0])
        assert statement is not None
        assert statement.entities == [] and statement.entities_confirmed_by is None
    # Officer keeps the time (corrected) and the place, drops the rest, adds a name.
    rows = {
        "csrf_token": csrf,
        "count": "2",
        "keep_0": "1",
        "kind_0": "time",
        "text_0": "21:30",
        "value_0": "21:35",
        "start_0": str(A.index("21:30")),
        "kind_1": "colour",
        "text_1": "red",
        "value_1": "red",
        "kind_new": "person",
        "text_new": "Ivan Petrov",
        "value_new": "",
    }
    done = client.post(url, data=rows, follow_redirects=False)
    assert done.status_code == 303
    with database.session() as session:
        statement = session.get(Statement, ids[0])
        assert statement is not None
        assert statement.entities == [
            {
                "kind": "time",
                "text": "21:30",
                "value": "21:35",
                "start": A.index("21:30"),
                "end": A.index("21:30") + 5,
            },
            {"kind": "person", "text": "Ivan Petrov", "value": "Ivan Petrov"},
        ]
        assert statement.entities_confirmed_by == officer.id
    shown = client.get(url + "?saved=1")
    assert 'data-testid="saved"' in shown.text and 'data-testid="confirmed"' in shown.text
    assert _count(database, Decision, capability_id="cases.extract") == 1
    # Bad input is refused and changes nothing.
    bad = client.post(
        url,
        data={
            "csrf_token": csrf,
            "count": "1",
            "keep_0": "1",
            "kind_0": "shoe-size",
            "text_0": "42",
        },
    )
    assert bad.status_code == 422 and "kind_0" in bad.text
    with database.session() as session:
        statement = session.get(Statement, ids[0])
        assert statement is not None and len(statement.entities) == 2
    assert client.get(f"/cases/{ref}/statements/999999/entities").status_code == 404


def test_interpreter_gets_no_statement_tools(  # type: ignore[no-untyped-def]
    client: TestClient, make_user, database: Database, accord_env
) -> None:
    officer = make_user("officer-i", Role.OFFICER)
    make_user("interp", Role.INTERPRETER)
    ref, ids = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id, [("en", A)]
    )
    login(client, "interp")
    assert client.get(f"/cases/{ref}/hints").status_code == 403
    assert client.get(f"/cases/{ref}/statements/{ids[0]}/entities").status_code == 403
    assert _count(database, Case) == 1


# -- CLI --------------------------------------------------------------------------------------
def test_cli_compare(tmp_path: Path, make_user, hints_cleared) -> None:  # type: ignore[no-untyped-def]
    from accord.cli import app

    certify(get_database(), make_user("cli-officer", Role.OFFICER))
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "statements",
            "compare",
            str(a),
            str(b),
            "--lang",
            "en",
            "--user",
            "cli-officer",
            "--json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    import json

    payload = json.loads(ok.stdout)
    assert {h["kind"] for h in payload["hints"]} == {"time", "colour"}
    assert payload["review_required"] and payload["ledger_seq"] >= 0
    hint = next(h for h in payload["hints"] if h["kind"] == "time")
    assert hint["a"]["sentence"] and hint["b"]["sentence"] and hint["explanation"]
    text = runner.invoke(
        app, ["statements", "compare", str(a), str(b), "--lang", "en", "--user", "cli-officer"]
    )
    assert text.exit_code == 0 and "[time] Statement A says 21:30" in text.stdout


def test_cli_bad_input(tmp_path: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    from accord.cli import app

    make_user("cli-officer2", Role.OFFICER)
    good = tmp_path / "a.txt"
    good.write_text(A, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 at 21:30".encode("latin-1"))
    runner = CliRunner()
    cases = [
        ([str(good), str(tmp_path / "missing.txt"), "--lang", "en"], "no such file"),
        ([str(good), str(empty), "--lang", "en"], "the file is empty"),
        ([str(good), str(latin), "--lang", "en"], "not UTF-8"),
        ([str(good), str(good), "--lang", "klingon"], "not known"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["statements", "compare", *args, "--user", "cli-officer2"])
        assert result.exit_code == 1, (args, result.output)
        assert "error: " in result.stderr and message in result.stderr, result.stderr


def test_cli_suggest_type_and_extract(tmp_path: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    from accord.cli import app

    make_user("cli-officer3", Role.OFFICER)
    runner = CliRunner()
    suggested = runner.invoke(
        app,
        [
            "statements",
            "suggest-type",
            "我的护照丢了，需要补办",
            "--lang",
            "zh",
            "--user",
            "cli-officer3",
        ],
    )
    assert suggested.exit_code == 0 and suggested.stdout.startswith("lost-passport")
    statement = tmp_path / "s.txt"
    statement.write_text("我叫李明，今年34岁。晚上9点半在三里屯路丢了500元。", encoding="utf-8")
    extracted = runner.invoke(
        app, ["statements", "extract", str(statement), "--lang", "zh", "--user", "cli-officer3"]
    )
    assert extracted.exit_code == 0, extracted.output
    assert "21:30" in extracted.stdout and "500 CNY" in extracted.stdout
