"""Where background-job handlers are registered: import this before running a queue worker.

Each capability package that runs long work defines its handlers in a ``jobs`` module; listing
them here keeps the web app and the ``accord worker`` command in step.
"""

from __future__ import annotations

import importlib

JOB_MODULES = ("accord.core.accounts.jobs", "accord.forecast.jobs", "accord.governance.dpo")


def load_job_handlers() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)
