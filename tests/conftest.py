"""Fixtures: a migrated database per backend with the demo loaded, and a rolled-back transaction per test.

Databases a test needs of its own are copies of templates migrated (and loaded) once per process: a file copy on
SQLite, `CREATE DATABASE ... TEMPLATE` on PostGIS. Under pytest-xdist every worker has its own PostGIS databases,
named after the one TRUCE_TEST_DATABASE_URL names with the worker's id (`truce_test_gw0`, `truce_test_gw0_verify`).
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from databases import (
    BACKENDS,
    PG_URL,
    copy_database,
    demo_database,
    fresh_database,
    remove_templates,
    reset_postgis,
    scratch_url,
)
from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, SCENES, Scene, load_example
from support import TEST_SECRET, Login, copy_data_dir, truce
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
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

# Tests import these from conftest; they live in databases.py, imported once whatever imports conftest.
__all__ = ["PG_URL", "demo_database", "fresh_database", "reset_postgis", "scratch_url"]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"backends: sqlite, postgis ({PG_URL.split('@')[-1]})"
    return "backends: sqlite only; set TRUCE_TEST_DATABASE_URL to also run every database test on PostGIS"


# The access matrices (every account against every kind of record and action) ask the policy, not the database:
# they run on SQLite only, and tests/test_policy_sql.py checks policy.readable()'s SQL on every backend.
ONE_BACKEND = re.compile(r"(^test_policy_matrix|_access)\.py$|^test_access\.py$")


# The mission-independent modules (issue 19, part 5): their tests run against the nk-2020 demo on every backend
# and against the illustrative example mission (valley-buffer) on SQLite, through the `mission_slug` parameter of
# the shared fixtures (`mission`, `member`, `scene`, `login`). docs/testing.md classifies every test module; a
# module joins by being here. In such a module a test marked `demo_content` reads what only the demo holds (its
# places' names, its returns, its provisions' days) and runs against nk-2020 alone.
BOTH_MISSIONS = (
    "agreement/test_provisions.py", "api/test_evidence_api.py", "api/test_evidence_database_store.py",
    "api/test_idempotency.py", "api/test_incidents_api.py", "api/test_log_api.py", "api/test_log_per_mission.py",
    "api/test_numbers.py", "api/test_places_api.py", "api/test_upload_limits.py", "claims/test_claims.py",
    "incidents/test_derive.py", "incidents/test_incident_view.py", "incidents/test_place_versions.py",
    "integrity/test_audit.py", "integrity/test_tiles.py", "integrity/test_verify.py",
    "integrity/test_verify_ranges.py", "integrity/test_witness_policy.py", "interop/test_acled.py",
    "interop/test_csv_export.py", "interop/test_export_names.py", "interop/test_geojson.py",
    "interop/test_hostile_files.py", "interop/test_hxl.py", "interop/test_ucdp.py", "ledger/test_append_batch.py",
    "ledger/test_append_transactions.py", "ledger/test_every_write_is_logged.py", "limits/test_hostile_requests.py",
    "movements/test_exchanges.py",
    "movements/test_movement_update.py", "movements/test_movements.py", "openrosa/test_answers_and_addresses.py",
    "openrosa/test_device_names.py", "openrosa/test_digest.py", "openrosa/test_early_edits.py",
    "openrosa/test_free_text_intake.py",
    "openrosa/test_hostile.py", "openrosa/test_numbers.py", "openrosa/test_patrol_reports.py",
    "openrosa/test_protocol.py", "openrosa/test_round_trips.py", "openrosa/test_silent_phones.py",
    "openrosa/test_submissions.py", "openrosa/test_xforms.py", "patrols/test_patrols_api.py",
    "patrols/test_report_section.py", "patrols/test_restriction_statistics.py", "patrols/test_restrictions_api.py",
    "reports/test_bulletin.py", "reports/test_daily.py", "reports/test_pdf.py", "reports/test_storage.py",
    "security/test_download_names.py", "security/test_login_limits.py", "test_free_text.py", "test_numbers.py",
    "test_placeflow.py", "test_policy_sql.py", "test_restricted_codes.py", "web/test_account.py",
    "web/test_admin_pages.py", "web/test_agreement_pages.py", "web/test_amend_pages.py", "web/test_auth.py",
    "web/test_basemap.py", "web/test_claim_forms.py", "web/test_claims_pages.py", "web/test_evidence_pages.py",
    "web/test_exchanges_pages.py", "web/test_failed_posts.py", "web/test_flash.py", "web/test_freedom_pages.py",
    "web/test_history_pages.py", "web/test_incident_form.py", "web/test_incident_list.py", "web/test_map_filters.py",
    "web/test_movement_map.py", "web/test_names.py", "web/test_overview_pages.py", "web/test_pages.py",
    "web/test_patrol_pages.py", "web/test_report_pages.py", "web/test_restriction_form.py", "web/test_returns_pages.py",
    "web/test_verify_pages.py", "web/test_webhook_pages.py",
)  # fmt: skip


# Of those, the modules that test the backends themselves (the SQL each renders, PostgreSQL's evidence store, which
# SQLite has not): the example on every backend too.
EVERY_BACKEND = ("test_evidence_database_store.py", "test_policy_sql.py", "test_restricted_codes.py")


def _both_missions(path: Path) -> bool:
    return any(path.as_posix().endswith("tests/" + name) for name in BOTH_MISSIONS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo_content: reads the nk-2020 demo's own content; runs against it alone")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A mark, before pytest's own hooks run: they parametrize `backend` by it instead of by the fixture's params.
    path = Path(metafunc.definition.path)
    one_backend = ONE_BACKEND.search(path.name)
    demo_only = metafunc.definition.get_closest_marker("demo_content") is not None
    if "mission_slug" in metafunc.fixturenames and _both_missions(path) and not demo_only:
        # The second mission on SQLite only (what it shows is the mission, not the backend), but for EVERY_BACKEND.
        backends = ["sqlite"] if one_backend else BACKENDS
        examples = backends if path.name in EVERY_BACKEND else ["sqlite"]
        pairs = [(b, DEMO_SLUG) for b in backends] + [(b, EXAMPLE_SLUG) for b in examples]
        metafunc.definition.add_marker(
            pytest.mark.parametrize(
                ("backend", "mission_slug"), pairs, indirect=True, ids=[f"{b}-{m}" for b, m in pairs]
            )
        )
    elif "backend" in metafunc.fixturenames and one_backend:
        metafunc.definition.add_marker(pytest.mark.parametrize("backend", ["sqlite"], indirect=True))


# Module-scoped fixtures that start something costly (a copy of the demo's data directory, a server, Chromium):
# a module that uses one runs on one worker under `--dist loadgroup`, so the setup happens once, not once per
# worker. xdist groups tests whose node id ends in `@group`; its worker renames the ids of `xdist_group`-marked
# tests by setting `item._nodeid`, which pytest 9.2 no longer reads (the id lives in `item._id`), so the marks
# had no effect: each worker started its own server and browser. This hook runs after xdist's and names the
# group itself. No test may still rely on another having run first: `-p no:xdist` and `pytest -k` run any subset.
MODULE_SETUPS = {"module_demo_dir", "browser"}
# Tests that start processes of their own (servers, replicas, browsers) and take tens of seconds each. xdist hands
# out the groups first, largest first, then every other test in collection order: these come first among those,
# so that neither worker is left running one at the end while the other idles (about a minute of CI's tail).
SLOW_FIRST = (
    "tests/integrity/test_replica",
    "tests/web/browser/",
    "tests/openrosa/test_phones_and_api_at_once.py",
    "tests/events/test_delivery_processes.py",
    "tests/test_many_api_writers.py",
    "tests/deploy/",
    "tests/backup/test_backup_while_serving.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    grouping = bool(getattr(config.option, "loadgroup", False))  # set in xdist's workers under --dist loadgroup
    for item in items:
        if not MODULE_SETUPS & set(getattr(item, "fixturenames", ())):
            continue
        group = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
        if grouping and "@" not in item.nodeid:
            _rename(item, f"{item.nodeid}@{group}")
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))  # stable: otherwise in collection order


def _rename(item: pytest.Item, nodeid: str) -> None:
    if hasattr(item, "_id"):  # pytest 9.2 and later
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(nodeid)
    else:
        item._nodeid = nodeid


def pytest_collection_finish(session: pytest.Session) -> None:
    # What exists once the tests are collected (modules, FastAPI's routes, SQLAlchemy's mappers) lives as long as
    # the process: out of the collector's sight, every full collection stops walking it. On tests/api (-n 2, with
    # coverage, both backends) the workers' CPU fell by about a seventh (BENCHMARKS.md, the suite's time).
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    remove_templates()


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
def mission_slug(request: pytest.FixtureRequest) -> str:
    """The mission the shared fixtures stand for: nk-2020, unless a mission-independent module asks for both."""
    return str(getattr(request, "param", DEMO_SLUG))


@pytest.fixture(scope="session")
def example_base_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The illustrative example mission (its file, accounts and incidents) in a migrated database of its own."""
    db = copy_database(backend, tmp_path_factory.mktemp(f"example-{backend}"), "example", None)
    with db.session() as session:
        load_example(session)
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
def db(request: pytest.FixtureRequest, backend: str, mission_slug: str) -> Iterator[Database]:
    """The mission's database (of `backend`) seen through one outer transaction that rolls back after the test."""
    base_db: Database = request.getfixturevalue("base_db" if mission_slug == DEMO_SLUG else "example_base_db")
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
def scene(mission_slug: str) -> Scene:
    """The mission as a mission-independent test sees it: its accounts, a place in it, a day with records."""
    return SCENES[mission_slug]


@pytest.fixture
def mission(session: Session, mission_slug: str) -> Mission:
    """The demo mission, nk-2020 (or, in a mission-independent module, also the example mission)."""
    found = missions_service.get_by_slug(session, mission_slug)
    assert found is not None
    return found


@pytest.fixture
def member(session: Session, mission: Mission, scene: Scene) -> Callable[[str], Actor]:
    """The actor a demo account acts as in nk-2020, or its counterpart in the example mission (Scene.account)."""

    def actor(username: str) -> Actor:
        name = username if mission.slug == DEMO_SLUG else scene.account(username)
        return users_service.actor_for(session, users_service.get_by_name(session, name), mission)

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
def login(client: TestClient, mission_slug: str) -> Login:
    """Headers carrying a bearer token for a demo account (or, in the example mission, its counterpart)."""
    cache: dict[str, dict[str, str]] = {}
    scene = SCENES[mission_slug]

    def headers(username: str) -> dict[str, str]:
        if username == "public":
            return {}
        if username not in cache:
            name, password = (username, loader.DEMO_PASSWORD) if scene.slug == DEMO_SLUG else scene.login(username)
            answer = client.post("/api/v1/auth/token", data={"username": name, "password": password})
            assert answer.status_code == 200, answer.text
            cache[username] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return cache[username]

    return headers


# TRUCE_FIND_LEAKS=1: a full collection after every test, so that an unclosed file or database warns (an error
# here) in the test that left it, not in whichever test the collector next runs in. It doubles the suite's time.
if os.environ.get("TRUCE_FIND_LEAKS"):

    @pytest.fixture(autouse=True)
    def _collect_after() -> Iterator[None]:
        yield
        gc.collect()
