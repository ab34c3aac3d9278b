"""``accord cases …``: the case workspace from the shell.

Each command is a plain function in the module that owns it, registered here, so the CLI and
the web pages call the same services. Mounted by the main CLI as ``accord cases``.
"""

from __future__ import annotations

import typer

cases_app = typer.Typer(help="Foreign-related case files: guidance, deadlines, demo data.",
                        no_args_is_help=True)

# Commands are registered below, one line each: cases_app.command("name")(function)
from accord.cases.guidance_cli import deadlines  # noqa: E402

cases_app.command("deadlines")(deadlines)
from accord.cases.demo_cli import demo, search  # noqa: E402

cases_app.command("demo")(demo)
cases_app.command("search")(search)


def attach(app: typer.Typer) -> None:
    """Add ``accord cases …``, ``accord mrz`` and ``accord statements …`` to the root command."""
    from accord.cases.mrz_cli import mrz
    from accord.cases.statements_cli import statements_app

    app.add_typer(cases_app, name="cases", help="Foreign-related case files.")
    app.command("mrz")(mrz)
    app.add_typer(statements_app, name="statements")
