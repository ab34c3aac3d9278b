"""The lexical index of passages: SQLite FTS5 or PostgreSQL tsvector over pre-tokenised text.

Built the way the case search is (``accord.cases.search``): Chinese is cut with jieba in
search mode, everything else on Unicode word boundaries, folded, stored space-separated, so both
databases match the same whole tokens. Unlike the case search, a question is matched with OR
(any word) and ranked by BM25 on both databases: questions are sentences, and requiring every
word of a sentence would find nothing. SQLite's FTS5 computes BM25 itself; PostgreSQL's
``ts_rank`` has no inverse document frequency (a word in every passage counts as much as a rare
one), so there the tsvector only finds the candidates (every passage holding any of the words),
and :func:`bm25` ranks them in Python from the stored token string, with FTS5's formula and
constants — the two databases rank alike.

This module is the only place with knowledge-search DDL/SQL; migration 0017 calls
``ensure_schema`` and migration 0026 ``ensure_bm25_body``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from accord.cases.search import tokenize

#: Words that carry no subject in a question (both languages). Kept short on purpose: BM25's
#: inverse document frequency already discounts common words; these are the ones that would
#: still match almost every passage.
STOPWORDS = frozenset((  # noqa: SIM905 - two languages, easier to read as text
    "a an the of to in on at for by with and or is are be been was were it its this that "
    "what when where which who whom how why do does did must should shall can could may "
    "might will would i we you he she they my our your their me us him her them if not no "
    "as from after before about than then there here any some soon long much many "
    "的 了 在 是 要 吗 呢 吧 啊 和 与 或 及 对 把 被 给 我 你 他 她 我们 他们 这 那 "
    "什么 怎么 怎样 如何 多久 多少 几 哪 哪些 为什么 是否 有 没有 可以 应该 需要 应当 一个 "
    "之 其 以 于 就 都 也 还 又 而 但 请问 问"
).split())


#: "US" would fold into the pronoun "us" (a stop word); the country is spelt out first.
_USA = re.compile(r"\b(?:U\.S\.A?\.?|USA?|United States(?: of America)?)(?=\W|$)")


def terms(value: str) -> list[str]:
    """Distinct search terms of ``value`` (tokens minus question words), in order."""
    value = _USA.sub(" USA ", value)
    return [t for t in dict.fromkeys(tokenize(value)) if t not in STOPWORDS and t.strip()]


def ensure_schema(connection: Connection) -> None:
    """Create the passage index (idempotent). Called from migration 0017."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 0')"))
        connection.execute(text(
            "CREATE TRIGGER IF NOT EXISTS knowledge_search_on_delete AFTER DELETE ON "
            "knowledge_passages BEGIN DELETE FROM knowledge_search WHERE rowid = old.id; END"))
    else:
        connection.execute(text(
            "CREATE TABLE IF NOT EXISTS knowledge_search ("
            "passage_id INTEGER PRIMARY KEY REFERENCES knowledge_passages (id) "
            "ON DELETE CASCADE, tsv TSVECTOR NOT NULL)"))
        connection.execute(text(
            "CREATE INDEX IF NOT EXISTS ix_knowledge_search_tsv ON knowledge_search "
            "USING GIN (tsv)"))


def ensure_bm25_body(connection: Connection) -> None:
    """PostgreSQL: keep each passage's token string beside its tsvector (BM25 needs term
    frequencies and lengths, which ``array_to_tsvector`` drops). Called from migration 0026,
    which then fills it for passages indexed before."""
    if connection.dialect.name != "sqlite":
        connection.execute(text(
            "ALTER TABLE knowledge_search ADD COLUMN IF NOT EXISTS body TEXT NOT NULL DEFAULT ''"))


def drop_schema(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER IF EXISTS knowledge_search_on_delete"))
    connection.execute(text("DROP TABLE IF EXISTS knowledge_search"))


def _dialect(session: Session | Connection) -> str:
    if isinstance(session, Session):
        return session.get_bind().dialect.name
    return session.dialect.name


def body_of(*parts: str) -> str:
    """The indexed token string of a passage's parts (text, citation, document, section)."""
    return " ".join(t for part in parts if part for t in tokenize(part))


def index_passage(session: Session, passage_id: int, *parts: str) -> None:
    """(Re-)index one passage from its text parts (text, citation, document)."""
    body = body_of(*parts)
    remove(session, [passage_id])
    if _dialect(session) == "sqlite":
        session.execute(text("INSERT INTO knowledge_search (rowid, body) VALUES (:id, :body)"),
                        {"id": passage_id, "body": body})
    else:
        session.execute(text(
            "INSERT INTO knowledge_search (passage_id, tsv, body) VALUES "
            "(:id, array_to_tsvector(string_to_array(:body, ' ')), :body)"),
            {"id": passage_id, "body": body or "-"})


def remove(session: Session, passage_ids: Iterable[int]) -> None:
    ids = list(passage_ids)
    if not ids:
        return
    column = "rowid" if _dialect(session) == "sqlite" else "passage_id"
    for pid in ids:
        session.execute(text(f"DELETE FROM knowledge_search WHERE {column} = :id"),  # noqa: S608
                        {"id": pid})


#: BM25 constants, FTS5's defaults.
K1 = 1.2
B = 0.75


def bm25(bodies: Mapping[int, str], words: Sequence[str], *, documents: int,
         average_length: float) -> dict[int, float]:
    """BM25 of each candidate body (space-separated tokens) for ``words``, as FTS5 computes it:
    idf = ln((N − n + 0.5) / (n + 0.5)), floored at 1e-6, n counted over the candidates —
    which are all passages holding any of the words, so n is exact."""
    counts = {pid: Counter(body.split()) for pid, body in bodies.items()}
    scores: dict[int, float] = {pid: 0.0 for pid in bodies}
    average_length = average_length or 1.0
    for word in dict.fromkeys(words):
        holding = [pid for pid, c in counts.items() if c.get(word)]
        if not holding:
            continue
        idf = max(math.log((documents - len(holding) + 0.5) / (len(holding) + 0.5)), 1e-6)
        for pid in holding:
            frequency = counts[pid][word]
            length = sum(counts[pid].values())
            scores[pid] += idf * frequency * (K1 + 1) / (
                frequency + K1 * (1 - B + B * length / average_length))
    return scores


def search(session: Session, words: Sequence[str], *, limit: int = 50) -> list[int]:
    """Passage ids matching any of ``words``, best first (BM25; ties by passage id)."""
    words = [w for w in dict.fromkeys(words) if w]
    if not words:
        return []
    if _dialect(session) == "sqlite":
        query = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = session.execute(text(
            "SELECT rowid FROM knowledge_search WHERE body MATCH :q "
            "ORDER BY rank, rowid LIMIT :n"), {"q": query, "n": limit})
        return [int(r[0]) for r in rows]
    query = " | ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "'"
                       for w in words)
    candidates = {int(pid): body for pid, body in session.execute(text(
        "SELECT s.passage_id, s.body FROM knowledge_search AS s "
        "WHERE s.tsv @@ CAST(:q AS tsquery)"), {"q": query})}
    if not candidates:
        return []
    documents, tokens = session.execute(text(
        "SELECT count(*), coalesce(sum(cardinality(string_to_array(body, ' '))), 0) "
        "FROM knowledge_search")).one()
    scores = bm25(candidates, words, documents=int(documents),
                  average_length=float(tokens) / max(int(documents), 1))
    return sorted(scores, key=lambda pid: (-scores[pid], pid))[:limit]
