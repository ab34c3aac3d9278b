"""Full-text search over case files: Chinese by word, Latin without case, access by officer."""

from __future__ import annotations

import pytest

from accord.cases.models import Case, IdentityDocument, Person, Statement
from accord.cases.search import (
    SearchHit,
    index_case,
    remove_case,
    search_cases,
    snippet,
    tokenize,
)
from accord.core.db import Database
from accord.core.errors import ValidationFailed
from accord.core.roles import Role


def _case(
    session,
    reference: str,
    officer_id: int | None,
    *,
    title: str,
    statement: str,
    language: str = "zh",
    translation: str = "",
    name: str = "Kim Minjun",
    number: str = "M12345678",
) -> Case:
    case = Case(
        reference=reference,
        case_type="lost-passport",
        title=title,
        summary="",
        place="朝阳区三里屯",
        officer_id=officer_id,
    )
    person = Person(role="reporter", full_name=name, nationality="KOR", languages=["ko"])
    person.documents.append(IdentityDocument(kind="passport", number=number, issuing_state="KOR"))
    case.persons.append(person)
    case.statements.append(
        Statement(
            language=language,
            text=statement,
            translation=translation,
            translation_language="zh" if translation else "",
        )
    )
    session.add(case)
    session.flush()
    index_case(session, case)
    return case


@pytest.fixture
def cases(database: Database, make_user) -> dict[str, int]:  # type: ignore[no-untyped-def]
    alice = make_user("alice", Role.OFFICER)
    bob = make_user("bob", Role.OFFICER)
    with database.session() as session:
        one = _case(
            session,
            "FR-2026-000001",
            alice.id,
            title="护照被盗",
            statement="我的护照在地铁站被偷了",
        )
        two = _case(
            session,
            "FR-2026-000002",
            bob.id,
            title="Lost wallet",
            statement="My black Passport was in a WALLET at Sanlitun.",
            language="en",
            translation="我的黑色护照放在三里屯的钱包里。",
            name="José García",
            number="PAB123456",
        )
        return {"alice": alice.id, "bob": bob.id, "one": one.id, "two": two.id}


def test_chinese_found_by_word(database: Database, cases: dict[str, int]) -> None:
    with database.session() as session:
        hits = search_cases(session, "地铁站")
    assert [h.case_reference for h in hits] == ["FR-2026-000001"]
    assert hits[0].kind == "statement"
    assert "地铁站" in hits[0].snippet
    # A word inside a longer statement, and in the officer's Chinese translation.
    with database.session() as session:
        refs = {h.case_reference for h in search_cases(session, "护照")}
    assert refs == {"FR-2026-000001", "FR-2026-000002"}


def test_latin_case_and_accent_insensitive(database: Database, cases: dict[str, int]) -> None:
    with database.session() as session:
        for query in ("passport", "PASSPORT", "wallet black", "jose garcia", "pab123456"):
            hits = search_cases(session, query)
            assert [h.case_reference for h in hits] == ["FR-2026-000002"], query
            assert isinstance(hits[0], SearchHit)
        assert search_cases(session, "FR-2026-000002")[0].kind == "case"
        assert search_cases(session, "nothing-like-this") == []


def test_words_spread_over_parts_of_a_case(database: Database, cases: dict[str, int]) -> None:
    # A name (person row) and a word of a statement: still the case, after same-part hits.
    with database.session() as session:
        hits = search_cases(session, "García 三里屯")
    assert [h.case_reference for h in hits] == ["FR-2026-000002"]


def test_officer_sees_only_own_cases(database: Database, cases: dict[str, int]) -> None:
    with database.session() as session:
        assert [
            h.case_reference for h in search_cases(session, "护照", officer_id=cases["alice"])
        ] == ["FR-2026-000001"]
        assert [
            h.case_reference for h in search_cases(session, "护照", officer_id=cases["bob"])
        ] == ["FR-2026-000002"]
        assert search_cases(session, "地铁", officer_id=cases["bob"]) == []


def test_reindex_after_statement_edit(database: Database, cases: dict[str, int]) -> None:
    with database.session() as session:
        case = session.get(Case, cases["one"])
        case.statements[0].text = "我的钱包在公交车上丢了"
        index_case(session, case)
        index_case(session, case)  # idempotent: no duplicate rows
    with database.session() as session:
        assert search_cases(session, "地铁站") == []
        hits = search_cases(session, "公交车")
        assert [h.case_reference for h in hits] == ["FR-2026-000001"]
        remove_case(session, cases["one"])
        assert search_cases(session, "公交车") == []


def test_deleting_a_case_drops_its_index_rows(database: Database, cases: dict[str, int]) -> None:
    with database.session() as session:
        session.delete(session.get(Case, cases["two"]))
    with database.session() as session:
        assert search_cases(session, "passport") == []


@pytest.mark.parametrize("query", ["", "   ", "x" * 201, "!!! ??? ……", '"', "*"])
def test_bad_queries_rejected(database: Database, query: str) -> None:
    with database.session() as session, pytest.raises(ValidationFailed):
        search_cases(session, query)


def test_query_syntax_is_not_passed_through(database: Database, cases: dict[str, int]) -> None:
    # FTS5 / tsquery operators in user text are plain words or dropped, never syntax errors.
    with database.session() as session:
        for query in (
            "passport OR NEAR(x",
            "passport & !wallet",
            "passport:*",
            "'passport'",
            'body:passport"',
            "passport -wallet",
        ):
            hits = search_cases(session, query)
            assert all(h.case_reference == "FR-2026-000002" for h in hits), query


def test_tokenize_and_snippet() -> None:
    tokens = tokenize("我的护照在地铁站被偷了 Passport José")
    assert "护照" in tokens and "地铁站" in tokens
    assert "passport" in tokens and "jose" in tokens
    long = "前面的文字。" * 20 + "我的护照在地铁站被偷了" + "。后面的文字" * 20
    piece = snippet(long, ["护照"])
    assert "护照" in piece and piece.startswith("…") and len(piece) < 80
