"""`truce evidence move`: a mission's files from the data directory into the database and back, each checked
where it arrives; a file that no longer matches its hash is not moved (issue 23, part 2). PostGIS only."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PG_URL, fresh_database
from support import assert_clean_error, truce
from truce.evidence import store


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if not PG_URL:
        pytest.skip("the PostgreSQL evidence store needs TRUCE_TEST_DATABASE_URL")
    directory = tmp_path_factory.mktemp("move")
    scratch = fresh_database("postgis", directory, "evidence_move")
    env = {"TRUCE_DATABASE_URL": scratch.engine.url.render_as_string(hide_password=False)}
    scratch.dispose()
    loaded = truce("demo", "--no-serve", "--data-dir", str(directory / "data"), env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return directory / "data", env


def run(site: tuple[Path, dict[str, str]], *args: str, store_kind: str = "files") -> tuple[int, str]:
    data_dir, env = site
    done = truce(*args, "--data-dir", str(data_dir), env={**env, "TRUCE_EVIDENCE_STORE": store_kind})
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout + done.stderr


def test_a_mission_moves_into_the_database_and_back_checked_on_arrival(site: tuple[Path, dict[str, str]]) -> None:
    data_dir = site[0]
    files = list(store.iter_hashes(data_dir))
    assert files, "the demo keeps photos in the data directory"
    # One file changed on disk: it must not travel, and the command must say so.
    damaged = store.path_for(data_dir, files[0])
    original = damaged.read_bytes()
    damaged.chmod(0o644)
    damaged.write_bytes(original + b"tampered")

    status, output = run(site, "evidence", "move", "--mission", "nk-2020", "--to", "postgres", "--delete-source")
    assert status == 1, output
    assert f"{len(files) - 1} evidence files moved to postgres" in output
    assert f"evidence file {files[0]}: its bytes in the files store no longer match its hash; not moved" in output
    assert list(store.iter_hashes(data_dir)) == [files[0]]  # the others removed, the damaged one left to look at

    damaged.write_bytes(original)
    status, output = run(site, "evidence", "move", "--mission", "nk-2020", "--to", "postgres", "--delete-source")
    assert status == 0, output
    assert "1 evidence files moved to postgres" in output
    assert f"{len(files) - 1} were there already and intact" in output
    assert "set TRUCE_EVIDENCE_STORE=postgres and restart" in output.replace("\n", " ")
    assert list(store.iter_hashes(data_dir)) == []

    status, output = run(site, "log", "verify", store_kind="postgres")
    assert status == 0, output
    assert f"{len(files)} evidence files checked" in output
    status, output = run(site, "log", "verify")
    assert status == 1, output
    assert "missing from the store" in output

    status, output = run(site, "evidence", "move", "--mission", "nk-2020", "--to", "files", store_kind="postgres")
    assert status == 0, output
    assert sorted(store.iter_hashes(data_dir)) == sorted(files)
    status, output = run(site, "log", "verify")
    assert status == 0, output


def test_unknown_missions_and_stores_are_refused(site: tuple[Path, dict[str, str]]) -> None:
    status, output = run(site, "evidence", "move", "--mission", "no-such", "--to", "postgres")
    assert status == 2
    assert "no-such" in output
    status, output = run(site, "evidence", "move", "--mission", "nk-2020", "--to", "s3")
    assert status == 2
    assert "'s3' is not one of" in output


def test_the_database_store_is_refused_on_sqlite(tmp_path: Path) -> None:
    assert truce("db", "upgrade", "--data-dir", str(tmp_path / "data")).returncode == 0
    refused = truce("evidence", "move", "--mission", "nk-2020", "--to", "postgres",
                    "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert_clean_error(refused, "TRUCE_EVIDENCE_STORE=postgres", "SQLite")
