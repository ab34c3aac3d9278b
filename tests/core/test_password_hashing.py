"""Password hashes: the standard Argon2id profile by default, the cheap one only when asked."""

from __future__ import annotations

import pytest

from accord.config import reset_settings_cache
from accord.core.accounts import AccountService
from accord.core.errors import InvalidCredentials
from accord.core.roles import Role


def test_the_default_profile_is_rfc_9106_second_option(database, monkeypatch) -> None:
    monkeypatch.delenv("ACCORD_PASSWORD_HASH_PROFILE", raising=False)
    reset_settings_cache()
    with database.session() as session:
        user = AccountService(session).create_user("li.wei", "a-long-password", {Role.OFFICER})
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_from_the_other_profile_is_upgraded_at_the_next_log_in(database,
                                                                       monkeypatch) -> None:
    with database.session() as session:  # the suite's cheap profile
        cheap = AccountService(session).create_user("li.wei", "a-long-password", {Role.OFFICER})
        assert cheap.password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    monkeypatch.setenv("ACCORD_PASSWORD_HASH_PROFILE", "standard")
    reset_settings_cache()
    with database.session() as session:
        accounts = AccountService(session)
        with pytest.raises(InvalidCredentials):
            accounts.authenticate("li.wei", "wrong-password", client="test")
        user = accounts.authenticate("li.wei", "a-long-password", client="test")
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
