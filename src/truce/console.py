"""What every `truce` command shares: settings, the database, and errors as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from truce.errors import ConfigError, Forbidden, NotFound, TruceError

# Imported when a command opens the database: `truce --help` loads neither the tables nor pyxform.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from truce.config import Settings
    from truce.db import Database
    from truce.missions.models import Mission
    from truce.policy import Actor

# soft_wrap: a report line stays one line when piped, so grep and diff see it whole.
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with --data-dir taking precedence."""
    from truce.config import Settings

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
    from truce import schema, standby
    from truce.config import prepare_data_dir
    from truce.db import connect
    from truce.ledger import keys

    prepare_data_dir(settings)
    db = connect(settings.effective_database_url())
    if migrate:
        schema.upgrade(db.engine)
        keys.load_or_create(settings.data_dir, settings.log_origin)
    elif not schema.is_current(db.engine):
        db.dispose()
        raise ConfigError("the database schema is not up to date; run `truce db upgrade` first")
    standby.from_settings(db, settings)
    return db


def mission_by_slug(session: Session, slug: str) -> Mission:
    """The mission a command names, or a NotFound that reads well on a terminal."""
    from truce.missions import service as missions_service

    mission = missions_service.get_by_slug(session, slug)
    if mission is None:
        raise NotFound(f"no mission with slug {slug!r}")
    return mission


def member(session: Session, mission: Mission, username: str) -> Actor:
    """The actor a command runs as (`--as USER`): an active account holding a role in the mission."""
    from truce.users import service as users_service

    user = users_service.get_by_name(session, username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    if not user.active:
        raise Forbidden(f"the account {username!r} is disabled")
    actor = users_service.actor_for(session, user, mission)
    if actor.is_public:
        raise Forbidden(f"{username} holds no role in mission {mission.slug}")
    return actor
