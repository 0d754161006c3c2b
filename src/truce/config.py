"""Settings from the environment, and the data directory they point at."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from truce import limits
from truce.errors import ConfigError

SECRET_FILE = "secret_key"  # noqa: S105 - a file name
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "changethis", "secret", "placeholder", "xxx", "todo"}
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Everything Truce reads from `TRUCE_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TRUCE_", extra="ignore")

    data_dir: Path = Field(default=Path("truce-data"))
    database_url: str | None = None
    secret_key: str | None = None
    max_upload_mb: int = Field(default=200, ge=1)
    # Where evidence files are kept (evidence/stores.py): the data directory, or the PostgreSQL database itself
    # so that several servers share them with nothing more. `truce evidence move` moves a mission's files.
    evidence_store: Literal["files", "postgres"] = "files"
    # Any JSON or form body that is not an upload (docs/limits.md); an incident batch may be larger.
    max_json_mb: int = Field(default=limits.DEFAULT_JSON_MB, ge=1)
    tile_url: str | None = None
    # A local PMTiles file (raster tiles) the map pages show as their basemap, served by Truce with HTTP range
    # requests and kept by the service worker for offline use (web/basemap.py).
    basemap_pmtiles: Path | None = None
    token_hours: int = Field(default=12, ge=1)
    # How long a page's outbox may keep queueing and sending records after its last online visit (issue 21).
    offline_days: int = Field(default=7, ge=0, le=90)
    # Changing it makes every browser install a new service worker (and refresh its cached pages) at its next visit.
    shell_revision: str = Field(default="", max_length=40)
    # The log's origin line and the name of its signing key, fixed when the key is first created.
    log_origin: str | None = None
    # Where phones reach this server (`https://truce.example.org`): the form, manifest and media URLs the
    # OpenRosa endpoints hand out start with it. Never the request's Host header, which the client chooses.
    public_url: str | None = None
    # "fast" is for the test suite only: argon2id at its minimum cost, so thousands of test log-ins take
    # milliseconds. Such hashes fall to any guessing; never set it where real accounts are made.
    password_hashing: Literal["argon2id", "fast"] = "argon2id"  # noqa: S105 - a hashing profile
    # A PostgreSQL streaming replica of TRUCE_DATABASE_URL: reports, exports, statistics and proofs read from it
    # while it is at most `replica_max_lag_s` behind the primary (docs/deployment.md).
    replica_url: str | None = None
    replica_max_lag_s: float = Field(default=30.0, ge=0)
    # Where `truce backup` and `truce restore` find pg_dump and pg_restore (default: PATH, then Debian's newest).
    pg_bin_dir: Path | None = None

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("TRUCE_PUBLIC_URL must be an http(s) address like https://truce.example.org[/path]")
        return value.strip().rstrip("/")

    def effective_database_url(self) -> str:
        """The configured database, or SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'truce.db').resolve()}"


def prepare_data_dir(settings: Settings) -> Path:
    """Create the data directory if needed and prove it is writable."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A probe of this process's own: with one shared name, two processes starting together on one directory
        # (a server and its worker) could each remove the other's, and one of them refused to start.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write to data directory {path}: {exc.strerror or exc}; "
            "choose another with --data-dir or TRUCE_DATA_DIR"
        ) from exc
    return path


def resolve_secret(settings: Settings) -> str:
    """Return the secret key: from the environment, else generated once into the data directory."""
    if settings.secret_key is not None:
        return _checked_secret(settings.secret_key, "TRUCE_SECRET_KEY")
    secret_path = settings.data_dir / SECRET_FILE
    if secret_path.exists():
        return _checked_secret(secret_path.read_text().strip(), str(secret_path))
    secret = secrets.token_urlsafe(48)
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def _checked_secret(value: str, source: str) -> str:
    if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"the secret key from {source} is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
            "unset TRUCE_SECRET_KEY to have one generated, or set a long random value"
        )
    return value
