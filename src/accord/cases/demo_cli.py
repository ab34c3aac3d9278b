"""``accord cases demo`` and ``accord cases search``: synthetic case files and full-text search.

Registered in ``accord.cases.cli``. Both call the same functions the web pages use.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from accord.core.errors import AccordError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def demo(
    count: Annotated[int, typer.Option("--count", help="How many cases (1 to 1,000,000).")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same cases.")] = 0,
    officer: Annotated[
        str | None,
        typer.Option(
            "--officer", help="Give every case to this user (default: all officers in turn)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create synthetic foreign-related cases (stored with synthetic=True) for demos and tests."""
    from accord.cases.generator import MAX_COUNT, generate
    from accord.core.runtime import get_database

    if not 1 <= count <= MAX_COUNT:
        raise _fail(f"--count must be between 1 and {MAX_COUNT:,}, not {count}")
    try:
        summary = generate(get_database(), count, seed=seed, officer=officer)
    except AccordError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(
        f"created {summary['cases']} synthetic cases, {summary['persons']} persons, "
        f"{summary['documents']} documents, {summary['events']} events, "
        f"{summary['statements']} statements in {summary['seconds']} s "
        f"(seed {seed}, {summary['officers']} officer(s))"
    )


def search(
    query: Annotated[str, typer.Argument(help="Words to find (any language).")],
    limit: Annotated[int, typer.Option("--limit", help="At most this many cases (1-200).")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search over all case files (titles, places, names, documents, statements)."""
    from accord.cases.search import search_cases
    from accord.core.runtime import get_database

    if not 1 <= limit <= 200:
        raise _fail(f"--limit must be between 1 and 200, not {limit}")
    try:
        with get_database().session() as session:
            hits = search_cases(session, query, limit=limit)
    except AccordError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps([asdict(hit) for hit in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        typer.echo("no matching cases")
    for hit in hits:
        typer.echo(f"{hit.case_reference}  {hit.case_title}  [{hit.kind}]  {hit.snippet}")
