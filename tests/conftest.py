"""Fixtures: a migrated database per backend with the demo loaded, and a rolled-back transaction per test.

Databases a test needs of its own are copies of templates migrated (and loaded) once per process: a file copy on
SQLite, `CREATE DATABASE ... TEMPLATE` on PostGIS. Under pytest-xdist every worker has its own PostGIS databases,
named after the one TRUCE_TEST_DATABASE_URL names with the worker's id (`truce_test_gw0`, `truce_test_gw0_verify`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from support import TEST_SECRET, Login, copy_data_dir, copy_sqlite, truce
from truce import schema
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, connect
from truce.demo import incidents as demo_incidents
from truce.demo import loader
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service

# Tests never fail on timing: Hypothesis's per-example deadline and its too-slow health check are timing checks,
# and a shared CI machine under load trips them on correct code.
hypothesis_settings.register_profile("truce", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("truce")

# Read when Truce first hashes a password, which no import does: argon2 at its minimum cost (see support.TEST_ENV).
os.environ.setdefault("TRUCE_PASSWORD_HASHING", "fast")

PG_URL = os.environ.get("TRUCE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgis"] if PG_URL else ["sqlite"]
# This process's share of the databases: pytest-xdist's worker id, or "main" without xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


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


def _database_name(name: str) -> str:
    """This worker's database called `name`, beside the one TRUCE_TEST_DATABASE_URL names."""
    return f"{make_url(PG_URL).database}_{WORKER}_{name}" if name else f"{make_url(PG_URL).database}_{WORKER}"


def _administer(*statements: str) -> None:
    """Run statements that may not run in a transaction (CREATE, DROP DATABASE) on the shared database."""
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def scratch_url(name: str) -> str:
    """A PostGIS database of this worker's beside the shared one, created (empty) on first use."""
    scratch = make_url(PG_URL).set(database=_database_name(name))
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": scratch.database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


# (backend, incidents or None for no demo) -> the template: a SQLite file, or a PostGIS database's name.
_templates: dict[tuple[str, int | None], str] = {}
_template_dir: list[Path] = []


def _template(backend: str, incidents: int | None) -> str:
    """A migrated database, with the demo of `incidents` incidents unless None, built on first use."""
    key = (backend, incidents)
    if key not in _templates:
        label = "empty" if incidents is None else f"demo{incidents}"
        if backend == "postgis":
            name = _database_name(f"template_{label}")
            db = reset_postgis(scratch_url(f"template_{label}"))
        else:
            if not _template_dir:
                _template_dir.append(Path(tempfile.mkdtemp(prefix=f"truce-templates-{WORKER}-")))
            name = str(_template_dir[0] / f"{label}.db")
            db = connect(f"sqlite:///{name}")
        schema.upgrade(db.engine)
        if incidents is not None:
            with db.session() as session:
                loader.load(session, incidents=incidents)
        # A PostGIS template must have no connections left when it is copied.
        db.dispose()
        _templates[key] = name
    return _templates[key]


def copy_database(backend: str, directory: Path, name: str, incidents: int | None) -> Database:
    """A database of the test's own, copied from the template of `incidents` (None: migrated, empty)."""
    template = _template(backend, incidents)
    if backend == "postgis":
        copy = _database_name(name)
        _administer(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)', f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
        return connect(make_url(PG_URL).set(database=copy).render_as_string(hide_password=False))
    path = directory / "truce.db"
    path.unlink(missing_ok=True)
    copy_sqlite(Path(template), path)
    return connect(f"sqlite:///{path}")


def fresh_database(backend: str, directory: Path, name: str = "scratch") -> Database:
    """A newly migrated, empty database of the given backend, apart from the shared one."""
    return copy_database(backend, directory, name, incidents=None)


def demo_database(
    backend: str, directory: Path, name: str = "scratch", incidents: int = demo_incidents.COUNT
) -> Database:
    """A migrated database of the test's own with the demo loaded (`loader.load(session, incidents=...)`)."""
    return copy_database(backend, directory, name, incidents=incidents)


# The access matrices (every account against every kind of record and action) ask the policy, not the database:
# they run on SQLite only, and tests/test_policy_sql.py checks policy.readable()'s SQL on every backend.
ONE_BACKEND = re.compile(r"(^test_policy_matrix|_access)\.py$|^test_access\.py$")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A mark, before pytest's own hooks run: they parametrize `backend` by it instead of by the fixture's params.
    if "backend" in metafunc.fixturenames and ONE_BACKEND.search(Path(metafunc.definition.path).name):
        metafunc.definition.add_marker(pytest.mark.parametrize("backend", ["sqlite"], indirect=True))


# Module-scoped fixtures that start something costly (a copy of the demo's data directory, a server, Chromium):
# under `--dist loadgroup` a module that uses one runs on one worker, which starts it once.
MODULE_SETUPS = {"module_demo_dir", "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODULE_SETUPS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    for directory in _template_dir:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def base_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo mission in a migrated database, shared by the tests of one backend."""
    db = copy_database(backend, tmp_path_factory.mktemp(f"db-{backend}"), "", demo_incidents.COUNT)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after `truce demo --no-serve` (SQLite, evidence photos, log key): copy it, never change it."""
    directory = tmp_path_factory.mktemp("demo-data")
    loaded = truce("demo", "--no-serve", "--data-dir", str(directory))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return directory


@pytest.fixture(scope="module")
def module_demo_dir(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo's data directory for one test module to change."""
    return copy_data_dir(demo_data_dir, tmp_path_factory.mktemp("demo"))


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
