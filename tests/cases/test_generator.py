"""The synthetic case generator and ``accord cases demo`` / ``accord cases search``."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.cases.generator import NATIONALITIES, TEMPLATES, generate, synthesize
from accord.cases.models import Case, CaseEvent, Person, Statement
from accord.cases.search import search_cases
from accord.cases.vocab import CASE_TYPES, EVENT_KINDS, PERSON_ROLES
from accord.cli import app
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role

UNTIL = datetime(2026, 6, 1, tzinfo=UTC)
SCRIPTS = {
    "zh": r"[\u4e00-\u9fff]",
    "ja": r"[\u3040-\u30ff]",
    "ko": r"[\uac00-\ud7af]",
    "ru": r"[\u0400-\u04ff]",
    "en": r"^[\x00-\x7f]+$",
    "es": r"[a-z]",
    "fr": r"[a-z]",
}


def test_same_seed_same_cases_and_other_seed_differs() -> None:
    first = [asdict(c) for c in synthesize(60, seed=7, until=UNTIL)]
    again = [asdict(c) for c in synthesize(60, seed=7, until=UNTIL)]
    other = [asdict(c) for c in synthesize(60, seed=8, until=UNTIL)]
    assert first == again
    assert first != other


def test_every_type_with_fitting_people_events_and_statements() -> None:
    cases = list(synthesize(270, seed=1, until=UNTIL))
    assert set(Counter(c.case_type for c in cases)) == set(CASE_TYPES)
    nationalities = Counter(c.persons[0].nationality for c in cases)
    assert len(nationalities) >= 10 and nationalities.most_common(1)[0][0] == "KOR"
    for case in cases:
        assert case.title and case.place and case.summary
        assert case.opened_at <= UNTIL and all(at <= UNTIL for _, at, _, _ in case.events)
        for person in case.persons:
            assert person.full_name.strip() and person.role in PERSON_ROLES
            assert person.languages and person.nationality
        for kind, *_ in case.events:
            assert kind in EVENT_KINDS
        kinds = {kind for kind, *_ in case.events}
        if case.case_type == "detention":
            assert {
                "detention",
                "identity-established",
                "consular-rights-notified",
                "consulate-notified",
            } <= kinds
        if case.case_type == "accommodation-registration":
            assert {"arrival", "registration"} <= kinds
        if case.case_type == "death":
            assert "death" in kinds and case.persons[0].role == "deceased"
        assert case.statements
        for statement in case.statements:
            person = case.persons[statement.person]
            assert statement.language in person.languages
            assert re.search(SCRIPTS[statement.language], statement.text), statement.text
            assert "{" not in statement.text
            if statement.translation:
                assert statement.language != "zh"
                assert statement.translation_source == "officer"
                assert re.search(SCRIPTS["zh"], statement.translation)
        passports = [d for p in case.persons for d in p.documents if d["kind"] == "passport"]
        assert passports and all(d["number"] for d in passports)
    languages = Counter(s.language for c in cases for s in c.statements)
    assert {"en", "ko", "ja", "ru", "zh", "es", "fr"} <= set(languages)
    assert any(s.translation for c in cases for s in c.statements)


def test_templates_cover_every_type_and_language() -> None:
    assert set(TEMPLATES) == set(CASE_TYPES)
    for by_language in TEMPLATES.values():
        assert set(by_language) == {"en", "es", "fr", "ru", "zh", "ko", "ja"}
    assert len({n.code for n in NATIONALITIES}) == len(NATIONALITIES)


@pytest.mark.parametrize("count", [0, -1, 1_000_001])
def test_bad_count_rejected(count: int) -> None:
    with pytest.raises(ValidationFailed):
        list(synthesize(count))


def test_generate_writes_indexed_synthetic_cases(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    first = make_user("officer-1", Role.OFFICER)
    second = make_user("officer-2", Role.OFFICER)
    summary = generate(database, 30, seed=3, until=UNTIL)
    assert summary["cases"] == 30 and summary["statements"] >= 30
    again = generate(database, 5, seed=3, until=UNTIL)  # references continue, never collide
    assert again["cases"] == 5
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 35
        assert session.scalar(select(func.count()).where(Case.synthetic.is_(False))) == 0
        owners = Counter(session.scalars(select(Case.officer_id)))
        assert set(owners) == {first.id, second.id}
        assert (
            session.scalar(select(func.count()).select_from(Person))
            == summary["persons"] + again["persons"]
        )
        assert session.scalar(select(func.count()).select_from(CaseEvent)) > 35
        statement = session.scalars(select(Statement).order_by(Statement.id)).first()
        # The statement's own words find its case through the search index.
        word = (
            statement.text.split()[0]
            if statement.language not in ("zh", "ja")
            else statement.text[:2]
        )
        hits = search_cases(session, word, limit=200)
        assert statement.case_id in {h.case_id for h in hits}
        assert all(re.fullmatch(r"FR-20\d\d-\d{6}", h.case_reference) for h in hits)
        assert len(set(session.scalars(select(Case.reference)))) == 35


def test_cli_demo_and_search(accord_env, make_user) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    none = runner.invoke(app, ["cases", "demo", "--count", "5"])
    assert none.exit_code == 1 and "create users first" in none.output
    make_user("demo-officer", Role.OFFICER)
    for bad in ("0", "-3", "1000001", "many"):
        result = runner.invoke(app, ["cases", "demo", "--count", bad])
        assert result.exit_code != 0, bad
    unknown = runner.invoke(app, ["cases", "demo", "--count", "3", "--officer", "nobody"])
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    done = runner.invoke(app, ["cases", "demo", "--count", "20", "--seed", "5", "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["cases"] == 20 and summary["persons"] >= 20 and summary["seconds"] >= 0
    text = runner.invoke(app, ["cases", "demo", "--count", "9"])
    assert text.exit_code == 0 and "created 9 synthetic cases" in text.output
    found = runner.invoke(app, ["cases", "search", "FR", "--json", "--limit", "50"])
    assert found.exit_code == 0, found.output
    assert len(json.loads(found.stdout)) == 29
    bad = runner.invoke(app, ["cases", "search", "?!"])
    assert bad.exit_code == 1 and "error: " in bad.output and "at least one word" in bad.output
    assert runner.invoke(app, ["cases", "search", "x", "--limit", "0"]).exit_code == 1
