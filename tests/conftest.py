"""Fixtures: a migrated database per backend with the demo loaded, and a rolled-back transaction per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from support import TEST_SECRET, Login
from truce import schema
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, connect
from truce.demo import loader
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service

# Tests never fail on timing: Hypothesis's per-example deadline and its too-slow health check are timing checks,
# and a shared CI machine under load trips them on correct code.
hypothesis_settings.register_profile("truce", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("truce")

PG_URL = os.environ.get("TRUCE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgis"] if PG_URL else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"backends: sqlite, postgis ({PG_URL.split('@')[-1]})"
    return "backends: sqlite only; set TRUCE_TEST_DATABASE_URL to also run every database test on PostGIS"


def reset_postgis(url: str) -> Database:
    """An empty PostGIS database at `url`: every table of an earlier run dropped."""
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return db


def scratch_url(name: str) -> str:
    """A second PostGIS database beside the shared one, created on first use."""
    url = make_url(PG_URL)
    scratch = url.set(database=f"{url.database}_{name}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": scratch.database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


def fresh_database(backend: str, directory: Path, name: str = "scratch") -> Database:
    """A newly migrated, empty database of the given backend, apart from the shared one."""
    if backend == "postgis":
        db = reset_postgis(scratch_url(name))
    else:
        db = connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    return db


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def base_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo mission in a migrated database, shared by the tests of one backend."""
    directory = tmp_path_factory.mktemp(f"db-{backend}")
    db = reset_postgis(PG_URL) if backend == "postgis" else connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    with db.session() as session:
        loader.load(session)
    yield db
    db.dispose()


@pytest.fixture
def db(base_db: Database) -> Iterator[Database]:
    """The demo database seen through one outer transaction that rolls back after the test."""
    connection = base_db.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield Database(engine=base_db.engine, writer=factory, reader=factory)
    outer.rollback()
    connection.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.writer() as session:
        yield session


@pytest.fixture
def mission(session: Session) -> Mission:
    """The demo mission, nk-2020."""
    found = missions_service.get_by_slug(session, "nk-2020")
    assert found is not None
    return found


@pytest.fixture
def member(session: Session, mission: Mission) -> Callable[[str], Actor]:
    """The actor a demo account acts as in nk-2020."""

    def actor(username: str) -> Actor:
        return users_service.actor_for(session, users_service.get_by_name(session, username), mission)

    return actor


@pytest.fixture
def engine(db: Database) -> Engine:
    return db.engine


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Login:
    """Headers carrying a bearer token for a demo account."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username == "public":
            return {}
        if username not in cache:
            answer = client.post("/api/v1/auth/token", data={"username": username, "password": loader.DEMO_PASSWORD})
            assert answer.status_code == 200, answer.text
            cache[username] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return cache[username]

    return headers
