"""The assembly: the one list of capability packages, and the app, CLI and schema built from it.

Adding a capability package is one new folder with a ``plugin`` module that declares a
:class:`~accord.core.contract.CapabilityPackage`, plus one line in :data:`PACKAGES`. Nothing in
``accord.core`` or in the web kit (``accord.web``) names a capability package; this module is
the only place that knows them all (``docs/architecture.md``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from accord.core import contract

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import MetaData

    from accord.config import Settings

#: The capability packages, in dependency order (a package after those it depends on).
PACKAGES: tuple[str, ...] = (
    "accord.interpret",
    "accord.cases",
    "accord.forecast",
    "accord.governance",
    "accord.training",
    "accord.vision",
    "accord.knowledge",
    "accord.dispatch",
)


def packages() -> tuple[contract.CapabilityPackage, ...]:
    return tuple(importlib.import_module(f"{name}.plugin").PACKAGE for name in PACKAGES)


def install() -> tuple[contract.CapabilityPackage, ...]:
    """Tell core which packages are assembled (idempotent); every entry point calls this."""
    assembled = packages()
    if contract.installed() != assembled:
        contract.install(assembled)
    return assembled


def metadata() -> MetaData:
    """The complete schema: core's tables and every package's (for Alembic and tests)."""
    from accord.core.db import Base

    for module in CORE_TABLE_MODULES:
        importlib.import_module(module)
    for package in install():
        for module in package.table_modules:
            importlib.import_module(module)
    return Base.metadata


CORE_TABLE_MODULES = ("accord.core.accounts.models", "accord.core.gateway.models",
                      "accord.core.jobs.models")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application with every assembled package (``uvicorn --factory`` target)."""
    from accord.web.app import create_app as create_web_app

    assembled = install()
    metadata()
    return create_web_app(assembled, settings)


def attach_cli(app: Any) -> None:
    """Add each package's commands to the root ``accord`` command."""
    for package in install():
        if package.cli is not None:
            package.cli(app)


install()
