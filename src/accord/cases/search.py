"""Full-text search over case files, the same on SQLite (FTS5) and PostgreSQL (tsvector).

Why pre-tokenise in Python: neither FTS5's ``unicode61`` tokenizer nor PostgreSQL's parser
splits Chinese into words, so "护照" would never match "我的护照在地铁站被偷了". We cut CJK text
with jieba (search mode: a word and its dictionary sub-words) and everything else on Unicode
word boundaries, fold case (and Latin accents: "jose" finds "José"), and store the tokens
space-separated. The database only has to match whole tokens, which both do identically, so
results do not depend on the dialect. Queries go through the same tokenizer and are rebuilt as
quoted tokens, so user query syntax never reaches FTS5 or ``tsquery``.

Index rows (one per case, per person, per statement) carry the original text too, so the
snippet is cut in Python from the real text, not from the token soup.

This module is the only place with search DDL/SQL; ``ensure_search_schema`` is called by
migration 0008.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

MAX_QUERY_CHARS = 200
# Index rows of case N have FTS5 rowids N * ROWS_PER_CASE + k, so re-indexing one case deletes
# a rowid range (an index seek) rather than scanning an UNINDEXED column.
ROWS_PER_CASE = 1_000_000
KINDS = ("case", "person", "statement")
SNIPPET_CHARS = 60

# Han ideographs (with extensions and compatibility forms) go to jieba; kana is cut by jieba too
# (one token per kana, which still finds Japanese phrases token by token).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
_WORD = re.compile(r"\w+")
_jieba_lock = threading.Lock()
_jieba: Any = None


# --------------------------------------------------------------------------- tokenising


def _cache_dir() -> Path:
    """Where jieba keeps its 1 s prefix-dictionary cache: the state dir if writable, else tmp."""
    try:
        from accord.config import get_settings

        path = Path(get_settings().state_dir) / "cache"
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".probe"
        probe.write_text("")
        probe.unlink()
        return path
    except Exception:  # any failure means "use tmp"
        return Path(tempfile.gettempdir())


def _tokenizer() -> Any:
    """jieba's default tokenizer, loaded once per process (about 1 s) under a lock."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.dt.tmp_dir = str(_cache_dir())
            jieba.dt.initialize()
            _jieba = jieba.dt
        return _jieba


def _fold_char(char: str) -> str:
    """Lower-case one character, dropping accents from Latin letters only (é→e, not が→か)."""
    base = unicodedata.normalize("NFD", char)[0]
    if base.isascii() and base.isalpha():
        return base.lower()
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def fold(value: str) -> str:
    """Length-preserving case and accent folding (used for tokens and for placing snippets)."""
    return "".join(_fold_char(c) for c in value)


def tokenize(value: str) -> list[str]:
    """Tokens of ``value``: jieba search-mode words for CJK runs, Unicode words otherwise."""
    value = unicodedata.normalize("NFKC", value)
    tokens: list[str] = []
    position = 0
    for match in _CJK.finditer(value):
        tokens.extend(_words(value[position : match.start()]))
        cut = _tokenizer().cut_for_search(match.group(), HMM=False)
        tokens.extend(t for t in cut if t.strip())
        position = match.end()
    tokens.extend(_words(value[position:]))
    return tokens


def _words(value: str) -> Iterator[str]:
    for word in _WORD.findall(value):
        for part in word.split("_"):
            if part:
                yield fold(part)


def _body(*parts: str) -> str:
    return " ".join(token for part in parts if part for token in tokenize(part))


# --------------------------------------------------------------------------- schema


def ensure_search_schema(connection: Connection) -> None:
    """Create the search index (idempotent). Called from migration 0008."""
    if connection.dialect.name == "sqlite":
        # remove_diacritics 0: folding is ours, so both databases see the same tokens.
        connection.execute(
            text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5("
                "case_id UNINDEXED, kind UNINDEXED, ref UNINDEXED, content UNINDEXED, body, "
                "tokenize = 'unicode61 remove_diacritics 0')"
            )
        )
        # Deleting a case removes its index rows, as the foreign key does on PostgreSQL.
        connection.execute(
            text(
                "CREATE TRIGGER IF NOT EXISTS case_search_on_case_delete AFTER DELETE ON cases "  # noqa: S608
                f"BEGIN DELETE FROM case_search WHERE rowid >= old.id * {ROWS_PER_CASE} "
                f"AND rowid < (old.id + 1) * {ROWS_PER_CASE}; END"
            )
        )
    else:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS case_search ("
                "id BIGSERIAL PRIMARY KEY, "
                "case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE, "
                "kind VARCHAR(16) NOT NULL, ref VARCHAR(24) NOT NULL DEFAULT '', "
                "content TEXT NOT NULL, tsv TSVECTOR NOT NULL)"
            )
        )
        connection.execute(
            text("CREATE INDEX IF NOT EXISTS ix_case_search_tsv ON case_search USING GIN (tsv)")
        )
        connection.execute(
            text("CREATE INDEX IF NOT EXISTS ix_case_search_case_id ON case_search (case_id)")
        )


def drop_search_schema(connection: Connection) -> None:
    """Undo ``ensure_search_schema`` (migration downgrade)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER IF EXISTS case_search_on_case_delete"))
    connection.execute(text("DROP TABLE IF EXISTS case_search"))


# --------------------------------------------------------------------------- indexing


@dataclass(frozen=True)
class IndexRow:
    """One searchable unit: the case itself, one person, or one statement."""

    case_id: int
    kind: str
    ref: str
    content: str  # original text, for snippets
    body: str  # space-separated tokens


def case_rows(
    case_id: int,
    *,
    reference: str,
    title: str,
    summary: str,
    place: str,
    persons: Iterable[tuple[int, str, Sequence[str]]],
    statements: Iterable[tuple[int, str, str]],
) -> list[IndexRow]:
    """Index rows for one case from plain values (the generator calls this without ORM objects).

    ``persons``: (person id, full name, document numbers); ``statements``: (statement id,
    original text, translation).
    """
    rows = [
        IndexRow(
            case_id,
            "case",
            "",
            " · ".join(p for p in (title, place, summary) if p),
            _body(reference, title, place, summary),
        )
    ]
    for person_id, name, numbers in persons:
        content = " · ".join([name, *numbers])
        rows.append(IndexRow(case_id, "person", str(person_id), content, _body(content)))
    for statement_id, original, translation in statements:
        content = original if not translation else f"{original}\n{translation}"
        rows.append(
            IndexRow(case_id, "statement", str(statement_id), content, _body(original, translation))
        )
    return rows


def write_rows(connection: Connection | Session, rows: Sequence[IndexRow]) -> None:
    """Insert index rows (executemany). Rows of one case must be written in one call."""
    if not rows:
        return
    if _dialect(connection) == "sqlite":
        counters: dict[int, int] = {}
        params = []
        for row in rows:
            k = counters.get(row.case_id, 0)
            counters[row.case_id] = k + 1
            if k >= ROWS_PER_CASE:
                continue  # a million index rows for one case: the rest stay unsearchable
            params.append(
                {
                    "rowid": row.case_id * ROWS_PER_CASE + k,
                    "case_id": row.case_id,
                    "kind": row.kind,
                    "ref": row.ref,
                    "content": row.content,
                    "body": row.body,
                }
            )
        connection.execute(
            text(
                "INSERT INTO case_search (rowid, case_id, kind, ref, content, body) "
                "VALUES (:rowid, :case_id, :kind, :ref, :content, :body)"
            ),
            params,
        )
    else:
        connection.execute(
            text(
                "INSERT INTO case_search (case_id, kind, ref, content, tsv) VALUES "
                "(:case_id, :kind, :ref, :content, "
                "array_to_tsvector(string_to_array(:body, ' ')))"
            ),
            [
                {
                    "case_id": r.case_id,
                    "kind": r.kind,
                    "ref": r.ref,
                    "content": r.content,
                    "body": r.body,
                }
                for r in rows
            ],
        )


def _dialect(connection: Connection | Session) -> str:
    return (
        connection.get_bind().dialect.name
        if isinstance(connection, Session)
        else connection.dialect.name
    )


def remove_case(session: Session | Connection, case_id: int) -> None:
    """Drop a case's index rows (deleting the case row does this too)."""
    if _dialect(session) == "sqlite":
        session.execute(
            text("DELETE FROM case_search WHERE rowid >= :lo AND rowid < :hi"),
            {"lo": case_id * ROWS_PER_CASE, "hi": (case_id + 1) * ROWS_PER_CASE},
        )
    else:
        session.execute(text("DELETE FROM case_search WHERE case_id = :id"), {"id": case_id})


def index_case(session: Session, case: Any) -> None:
    """(Re-)index one case: title, summary, place, person names, document numbers, statements.

    Idempotent; call it after every write to the case, in the same transaction.
    """
    session.flush()
    persons = [(p.id, p.full_name, [d.number for d in p.documents]) for p in case.persons]
    statements = [(s.id, s.text, s.translation) for s in case.statements]
    rows = case_rows(
        case.id,
        reference=case.reference,
        title=case.title,
        summary=case.summary or "",
        place=case.place or "",
        persons=persons,
        statements=statements,
    )
    remove_case(session, case.id)
    write_rows(session, rows)


# --------------------------------------------------------------------------- searching


@dataclass(frozen=True)
class SearchHit:
    case_id: int
    case_reference: str
    case_title: str
    kind: str  # "case" | "person" | "statement"
    snippet: str
    score: float


def query_tokens(query: str) -> list[str]:
    """Validate a user query and return its distinct tokens (in order)."""
    query = (query or "").strip()
    if not query:
        raise ValidationFailed(detail=M_("query: enter a search term"))
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationFailed(detail=M_("query: at most 200 characters"))
    tokens = list(dict.fromkeys(tokenize(query)))
    if not tokens:
        raise ValidationFailed(detail=M_("query: enter at least one word"))
    return tokens


def search_cases(
    session: Session, query: str, *, limit: int = 20, officer_id: int | None = None
) -> list[SearchHit]:
    """Cases matching every word of ``query``, best first, one hit (the best row) per case.

    ``officer_id``: only that officer's cases (officers see their own; supervisors pass None).
    """
    tokens = query_tokens(query)
    limit = max(1, min(int(limit), 200))
    officer_clause = " AND c.officer_id = :officer_id" if officer_id is not None else ""
    params: dict[str, Any] = {"officer_id": officer_id, "n": limit * 4}
    if _dialect(session) == "sqlite":
        params["q"] = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        sql = (
            "SELECT s.case_id, s.kind, s.content, s.rank AS score, c.reference, c.title "  # noqa: S608
            "FROM case_search AS s JOIN cases AS c ON c.id = s.case_id "
            f"WHERE s.body MATCH :q{officer_clause} ORDER BY s.rank LIMIT :n"
        )
        sign = -1.0  # bm25: lower is better
    else:
        params["q"] = " & ".join(
            "'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens
        )
        sql = (
            "SELECT s.case_id, s.kind, s.content, ts_rank(s.tsv, q) AS score, c.reference, "  # noqa: S608
            "c.title FROM case_search AS s CROSS JOIN CAST(:q AS tsquery) AS q "
            "JOIN cases AS c ON c.id = s.case_id "
            f"WHERE s.tsv @@ q{officer_clause} "
            "ORDER BY score DESC, s.case_id DESC LIMIT :n"
        )
        sign = 1.0
    hits: dict[int, SearchHit] = {}
    for case_id, kind, content, score, reference, title in session.execute(text(sql), params):
        if case_id in hits:
            continue
        hits[case_id] = SearchHit(
            case_id=case_id,
            case_reference=reference,
            case_title=title,
            kind=kind,
            snippet=snippet(content, tokens),
            score=round(sign * float(score), 6),
        )
        if len(hits) >= limit:
            break
    if len(tokens) > 1 and len(hits) < limit:
        _add_spread_hits(session, tokens, hits, limit, officer_clause, officer_id)
    return list(hits.values())


def _add_spread_hits(
    session: Session,
    tokens: list[str],
    hits: dict[int, SearchHit],
    limit: int,
    officer_clause: str,
    officer_id: int | None,
) -> None:
    """Cases whose words are spread over several parts ("KIM 护照": a name and a statement).

    Ranked after the hits whose words all sit in one part, newest case first, with score 0.
    """
    params: dict[str, Any] = {"officer_id": officer_id, "n": limit * 2}
    if _dialect(session) == "sqlite":
        parts = [
            f"SELECT case_id FROM case_search WHERE body MATCH :t{i}"  # noqa: S608
            for i in range(len(tokens))
        ]
        params.update({f"t{i}": '"' + t.replace('"', '""') + '"' for i, t in enumerate(tokens)})
    else:
        parts = [
            f"SELECT case_id FROM case_search WHERE tsv @@ CAST(:t{i} AS tsquery)"  # noqa: S608
            for i in range(len(tokens))
        ]
        params.update(
            {
                f"t{i}": "'" + t.replace("\\", "\\\\").replace("'", "''") + "'"
                for i, t in enumerate(tokens)
            }
        )
    sql = (
        "SELECT c.id, c.reference, c.title, c.place, c.summary FROM cases AS c "  # noqa: S608
        f"WHERE c.id IN ({' INTERSECT '.join(parts)}){officer_clause} "
        "ORDER BY c.id DESC LIMIT :n"
    )
    for case_id, reference, title, place, summary in session.execute(text(sql), params):
        if case_id in hits:
            continue
        content = " · ".join(p for p in (title, place, summary) if p)
        hits[case_id] = SearchHit(
            case_id=case_id,
            case_reference=reference,
            case_title=title,
            kind="case",
            snippet=snippet(content, tokens),
            score=0.0,
        )
        if len(hits) >= limit:
            break


def snippet(content: str, tokens: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """A short piece of ``content`` around the first query token found in it."""
    flat = " ".join(content.split())
    folded = fold(unicodedata.normalize("NFKC", flat))
    if len(folded) != len(flat):
        folded = flat.lower()
    at = min((i for i in (folded.find(t) for t in tokens) if i >= 0), default=0)
    start = max(0, at - width // 3)
    end = min(len(flat), start + width)
    start = max(0, min(start, end - width))
    piece = flat[start:end]
    return ("…" if start > 0 else "") + piece + ("…" if end < len(flat) else "")
