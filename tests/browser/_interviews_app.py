"""App factory for browser tests of guided interviews until create_app() includes them.

Run with ``python -m uvicorn --factory tests.browser._interviews_app:make``. Once the interview
routers are part of :func:`accord.web.app.create_app`, this adds nothing.
"""

from __future__ import annotations

from fastapi import FastAPI

from tests.interpret.support import interviews_app


def make() -> FastAPI:
    return interviews_app()
