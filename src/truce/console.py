"""What every `truce` command shares: settings, the database, and errors as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from truce import schema
from truce.config import Settings, prepare_data_dir
from truce.db import Database, connect
from truce.errors import ConfigError, TruceError
from truce.ledger import keys

# soft_wrap: a report line stays one line when piped, so grep and diff see it whole.
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with --data-dir taking precedence."""
    settings = Settings()
    if data_dir is not None:
        settings.data_dir = data_dir
    return settings


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn a known failure into one line on standard error and exit status 2."""
    try:
        yield
    except TruceError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}", highlight=False)
        raise typer.Exit(2) from None


def open_database(settings: Settings, *, migrate: bool) -> Database:
    """Open the database, migrating it or insisting that it is current."""
    prepare_data_dir(settings)
    db = connect(settings.effective_database_url())
    if migrate:
        schema.upgrade(db.engine)
        keys.load_or_create(settings.data_dir, settings.log_origin)
    elif not schema.is_current(db.engine):
        db.dispose()
        raise ConfigError("the database schema is not up to date; run `truce db upgrade` first")
    return db
