"""Fixtures of the security tests: a clock the tests move on, and a migrated database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from databases import fresh_database
from truce.db import Database, utcnow
from web.conftest import WebClient


@dataclass
class Clock:
    """The app's clock, standing still until a test moves it on: waits are tested without sleeping."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    """The test app's clock, from now on under the test's control."""
    fixed = Clock(utcnow())
    app.state.clock = fixed
    return fixed


@pytest.fixture
def own_database_url(backend: str, tmp_path: Path) -> str:
    """A freshly migrated, empty database apart from the shared demo one (per xdist worker), for tests that commit."""
    db = fresh_database(backend, tmp_path, "security")
    url = db.engine.url.render_as_string(hide_password=False)
    db.dispose()
    return url


@pytest.fixture
def web(app: FastAPI, db: Database) -> Iterator[WebClient]:
    """A browser stand-in on the test app (as in the page tests)."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield WebClient(client, db)
