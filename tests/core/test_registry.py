"""The registry refuses a capability the decision log could not record on every database."""

from __future__ import annotations

import dataclasses

import pytest

from accord.core.registry import MODEL_VERSION_CHARS, CapabilityRegistry, build_registry
from tests.core.gateway.conftest import CARD, _echo, _test_capability


def test_a_model_version_longer_than_the_decision_column_is_refused() -> None:
    # SQLite would store a longer version and PostgreSQL refuse every decision: refused at
    # start instead, on both.
    too_long = dataclasses.replace(CARD, version="v" * (MODEL_VERSION_CHARS + 1))
    with pytest.raises(ValueError, match="model version longer than 128"):
        CapabilityRegistry().register(
            dataclasses.replace(_test_capability("test.long", _echo), model=too_long))
    fits = dataclasses.replace(CARD, version="v" * MODEL_VERSION_CHARS)
    CapabilityRegistry().register(
        dataclasses.replace(_test_capability("test.fits", _echo), model=fits))


def test_the_shipped_registry_builds() -> None:
    # Every capability the assembly installs passes the registry's checks (the phrase
    # matcher's version once did not: 147 characters).
    assert len(build_registry().all()) > 20
