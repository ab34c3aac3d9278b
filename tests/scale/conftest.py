"""The gateway fixtures (test capabilities, an officer) for the scale tests."""

from tests.core.gateway.conftest import governance, officer  # noqa: F401
