"""``accord models …``: install translation model packs from files, list what is installed.

Mounted by the main CLI as ``app.add_typer(models_app, name="models")``. Installing is an
operator's act on the server (shell access); the pack is verified, loaded and measured on
FLORES-200 before any pair is offered (see :mod:`accord.interpret.packs`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.interpret.packs import DEFAULT_SENTENCES

models_app = typer.Typer(
    help="Translation model packs (CTranslate2), measured before use.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _line(row: dict) -> str:  # type: ignore[type-arg]
    return (
        f"{row['source_language']}→{row['target_language']}  {row['name']} "
        f"{row['version']}  {row['status']:<8}  chrF2 {row['chrf']:.1f}  "
        f"BLEU {row['bleu']:.1f}  ({row['sentences']} FLORES-200 sentences, "
        f"{row['measured_at'][:10]})  licence {row['licence']}"
    )


@models_app.command("install")
def install(
    path: Annotated[
        Path,
        typer.Argument(
            help="Pack directory, .tar.gz or .zip with manifest.json.", show_default=False
        ),
    ],
    sentences: Annotated[
        int, typer.Option("--sentences", help="FLORES-200 devtest sentences to measure on.")
    ] = DEFAULT_SENTENCES,
    user: Annotated[
        str, typer.Option("--user", envvar="ACCORD_USER", help="Recorded as the installer.")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Verify (SHA-256, licence), load, measure on FLORES-200 and record a model pack."""
    from accord.config import get_settings
    from accord.core.errors import AccordError
    from accord.core.runtime import get_database
    from accord.interpret.packs import install_pack

    settings = get_settings()
    try:
        row = install_pack(
            path,
            get_database(),
            settings.ensure_state_dir(),
            sentences=sentences,
            installed_by=user or "operator (shell)",
        )
    except AccordError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    typer.echo(f"installed {_line(row)}")
    if row["status"] != "offered":
        typer.echo(
            "note: below the quality bar — the pair stays advisory (shown with a "
            "warning and the interpreter path)."
        )


@models_app.command("list")
def list_cmd(as_json: JsonOpt = False) -> None:
    """Installed packs with their measured quality and status (offered or advisory)."""
    from accord.core.runtime import get_database
    from accord.interpret.packs import list_packs

    rows = list_packs(get_database())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no model packs installed (accord models install PATH)")
    for row in rows:
        typer.echo(_line(row))
