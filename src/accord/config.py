"""Settings from the environment, with safe defaults.

Every setting is read from an ``ACCORD_*`` environment variable. Secrets never live in the repo:
the session secret is generated on first run and kept in the state directory (``var/`` by
default), readable only by its owner.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STATE_DIR = Path.cwd() / "var"


class Settings(BaseSettings):
    """Runtime configuration. Change with environment variables, e.g. ``ACCORD_PORT=9000``."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    state_dir: Path = Field(default=DEFAULT_STATE_DIR, description="Where the SQLite file, "
                            "keys and the queue live. Kept out of version control.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite "
                              "under state_dir.")
    db_pool_size: int = Field(default=10, ge=1, description="Database connections each "
                              "process keeps open.")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra connections a process "
                                 "may open at peaks, beyond db_pool_size.")
    db_pool_timeout: float = Field(default=30.0, gt=0, description="Seconds a request waits "
                                   "for a free connection before it fails with 503.")
    model_processes: int = Field(default=3, ge=1, description="Worker processes per app "
                                 "process for heavy model calls (transcription, passport "
                                 "reading), off the web process.")
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = Field(default="", description="Signs nothing secret by itself; empty "
                            "means generate once and keep under state_dir.")
    session_hours: int = 12
    secure_cookies: bool = Field(default=False, description="Set true behind HTTPS.")
    max_body_bytes: int = 1_000_000
    login_max_failures: int = Field(default=5, description="Failed log-ins from one client "
                                    "for one user name before each further attempt is delayed "
                                    "(4x this per client across all names).")
    login_window_seconds: int = Field(default=900, description="How long a failed log-in "
                                      "counts towards the delay.")
    login_max_delay_seconds: int = Field(default=900, description="Cap on the delay, which "
                                         "doubles with every failure past the threshold.")
    queue: str = Field(default="sqlite", description="'sqlite' (embedded Huey) or 'redis'.")
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_workers: int = 2
    embedded_worker: bool = Field(default=True, description="Run queue workers inside the web "
                                  "process; false when separate `accord worker` processes run.")
    default_language: str = "zh_Hans"
    ledger_origin: str = Field(default="accord.local/ledger", description="The log's name in "
                               "signed checkpoints; set it to the service's own domain.")
    ledger_checkpoint_every: int = Field(default=256, ge=1, description="Sign a ledger "
                                         "checkpoint as soon as this many entries are not "
                                         "covered by one (besides the minute job), so at most "
                                         "this many newest entries are ever unsigned.")
    witness_name: str = Field(default="accord.local/dpo-witness", description="The oversight "
                              "witness key's name (held for the data-protection officer).")
    station_timezone: str = Field(default="Asia/Shanghai", description="IANA time zone in "
                                  "which case times are entered and deadlines are shown.")
    operator_contact: str = Field(
        default="示例派出所，示例路1号 · +86 10 0000 0000 · transparency@police.example",
        description="How the public reaches the operator (the police service running this "
                    "installation); named on the transparency register.")
    dpo_contact: str = Field(
        default="数据保护官 · dpo@police.example",
        description="How the public reaches the data-protection officer; named on the "
                    "transparency register.")
    upload_max_bytes: int = Field(default=20_000_000, description="Request-body limit of the "
                                  "routes that accept files and declare it with "
                                  "accord.web.uploads.accepts_files() (evidence, passport images, "
                                  "audio).")
    password_hash_profile: Literal["standard", "test-only-fast"] = Field(
        default="standard",
        description="Argon2id cost of new password hashes. 'standard' is RFC 9106's second "
                    "recommended option (t=3, 64 MiB, p=4). 'test-only-fast' (t=1, 1 MiB) lets "
                    "a test suite that creates thousands of accounts run in minutes; never set "
                    "it on a server (the server logs a warning at start when it is set). A "
                    "hash made with one profile is rehashed with the current one at the next "
                    "log-in.")
    log_level: str = "INFO"
    log_file: str = Field(default="", description="Where the JSON log lines go; empty means "
                          "standard error (as a service manager expects). `make run` sets "
                          "<state_dir>/accord.log so the terminal shows only what a person needs.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'accord.sqlite3'}"

    def ensure_state_dir(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    def resolved_secret_key(self) -> str:
        """Return the configured secret, or one generated on first use and kept on disk."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_state_dir() / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests change the environment between apps)."""
    get_settings.cache_clear()
