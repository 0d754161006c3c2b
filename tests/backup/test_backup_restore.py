"""`truce backup --out DIR` and `truce restore DIR` (issue 23, part 4) on both backends, as an operator runs them."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import fresh_database, reset_postgis, scratch_url
from support import assert_clean_error, truce
from truce.backup.archive import file_sha256
from truce.db import connect
from truce.evidence import store
from truce.evidence.models import Evidence
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry


@dataclass
class Site:
    """A data directory, and the database it names (SQLite inside it, or a PostGIS database of the test's)."""

    data_dir: Path
    env: dict[str, str]

    def truce(self, *args: str) -> tuple[int, str]:
        result = truce(*args, "--data-dir", str(self.data_dir), env=self.env)
        return result.returncode, result.stdout + result.stderr

    @property
    def database_url(self) -> str:
        return self.env.get("TRUCE_DATABASE_URL") or f"sqlite:///{self.data_dir / 'truce.db'}"

    def distinct_files(self) -> int:
        """How many distinct evidence files the database names (the demo's photos and documents)."""
        db = connect(self.database_url)
        try:
            with db.session(write=False) as session:
                return session.scalar(select(func.count(func.distinct(Evidence.sha256)))) or 0
        finally:
            db.dispose()

    def counts(self) -> dict[str, int]:
        db = connect(self.database_url)
        try:
            with db.session(write=False) as session:
                return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                        for model in (Incident, Evidence, LogEntry)}  # fmt: skip
        finally:
            db.dispose()


def demo_site(backend: str, directory: Path, name: str) -> Site:
    """The demo loaded into a data directory of its own (and a PostGIS database of its own)."""
    env: dict[str, str] = {}
    if backend == "postgis":
        scratch = fresh_database(backend, directory, name)
        env["TRUCE_DATABASE_URL"] = scratch.engine.url.render_as_string(hide_password=False)
        scratch.dispose()
    site = Site(directory / name, env)
    status, output = site.truce("demo", "--no-serve")
    assert status == 0, output
    return site


def empty_site(backend: str, directory: Path, name: str) -> Site:
    """An empty data directory, and on PostGIS an empty database with the extension (what an operator creates)."""
    env: dict[str, str] = {}
    if backend == "postgis":
        url = scratch_url(name)
        reset_postgis(url).dispose()
        env["TRUCE_DATABASE_URL"] = url
    return Site(directory / name, env)


@pytest.fixture(scope="module")
def source(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The demo, backed up by the tests but never changed by them."""
    return demo_site(backend, tmp_path_factory.mktemp("source"), "backup_source")


def test_a_restored_backup_holds_the_same_record_and_verifies(source: Site, backend: str, tmp_path: Path) -> None:
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    assert "backup written to" in output
    assert f"{source.distinct_files()} evidence files" in output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["backend"] == ("sqlite" if backend == "sqlite" else "postgresql")
    # The backup holds the server's keys: only its owner reads it.
    assert os.stat(tmp_path / "backup").st_mode & 0o077 == 0
    assert os.stat(tmp_path / "backup" / "log_signing_key").st_mode & 0o077 == 0

    target = empty_site(backend, tmp_path, "restored")
    status, output = target.truce("restore", str(tmp_path / "backup"))
    assert status == 0, output
    assert "verified intact" in output
    assert target.counts() == source.counts()
    assert sorted(store.iter_hashes(target.data_dir)) == sorted(store.iter_hashes(source.data_dir))
    assert (target.data_dir / "log_signing_key").read_bytes() == (source.data_dir / "log_signing_key").read_bytes()
    status, output = target.truce("log", "verify")
    assert status == 0, output


def test_restore_refuses_a_data_directory_or_database_that_is_not_empty(
    source: Site, backend: str, tmp_path: Path
) -> None:
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    before = source.counts()
    refused = truce("restore", str(tmp_path / "backup"), "--data-dir", str(source.data_dir), env=source.env)
    assert_clean_error(refused, f"the data directory {source.data_dir} is not empty")
    assert source.counts() == before
    if backend == "postgis":
        # An empty data directory, but the database still holds the mission: refused before anything is copied.
        refused = truce("restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "new"), env=source.env)
        assert_clean_error(refused, "restore into an empty database")
        assert not (tmp_path / "new" / "log_signing_key").exists()
        assert source.counts() == before


def test_restore_refuses_a_database_of_the_other_kind(source: Site, tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the SQLite run covers the mismatch; the PostGIS run covers PostgreSQL backups")
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["backend"] = "postgresql"
    manifest_path.write_text(json.dumps(manifest))
    refused = truce("restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "empty"))
    assert_clean_error(refused, "same kind of database")


def test_backup_refuses_a_directory_that_is_not_empty(source: Site, tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("mine")
    refused = truce("backup", "--out", str(tmp_path / "backup"), "--data-dir", str(source.data_dir), env=source.env)
    assert_clean_error(refused, "not an empty directory")
    assert (tmp_path / "backup" / "notes.txt").read_text() == "mine"


def test_a_damaged_database_copy_is_refused_before_anything_is_restored(
    source: Site, backend: str, tmp_path: Path
) -> None:
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    database = tmp_path / "backup" / manifest["database"]
    database.chmod(0o600)
    content = bytearray(database.read_bytes())
    content[len(content) // 2] ^= 0x01
    database.write_bytes(bytes(content))
    target = empty_site(backend, tmp_path, "restored")
    refused = truce("restore", str(tmp_path / "backup"), "--data-dir", str(target.data_dir), env=target.env)
    assert_clean_error(refused, "the backup is damaged", manifest["database"])
    assert not (target.data_dir / "log_signing_key").exists()


def test_a_swapped_evidence_file_is_refused_on_arrival(source: Site, backend: str, tmp_path: Path) -> None:
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    sha256 = next(store.iter_hashes(tmp_path / "backup"))
    path = store.path_for(tmp_path / "backup", sha256)
    path.chmod(0o600)
    path.write_bytes(b"another photo altogether")
    target = empty_site(backend, tmp_path, "restored")
    refused = truce("restore", str(tmp_path / "backup"), "--data-dir", str(target.data_dir), env=target.env)
    assert_clean_error(refused, f"evidence file {sha256} does not match its hash")


def test_a_backup_whose_record_was_rewritten_restores_but_is_reported_not_intact(source: Site, tmp_path: Path) -> None:
    if source.env:
        pytest.skip("rewriting a row inside a pg_dump file is not an operator's mistake; SQLite shows the check")
    status, output = source.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    database = tmp_path / "backup" / "truce.db"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE incidents SET narrative = 'nothing happened' WHERE id = (SELECT min(id) FROM incidents)"
        )
    connection.close()
    # Someone who rewrites the copy can rewrite its manifest too: the hashes there are against accidents only.
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["truce.db"] = file_sha256(database)
    manifest_path.write_text(json.dumps(manifest))
    restored = truce("restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "restored"))
    assert restored.returncode == 1, restored.stdout + restored.stderr
    assert "NOT INTACT" in restored.stdout
    assert "do not serve this copy" in restored.stdout
    assert "narrative" in restored.stdout


def test_an_older_backup_restored_is_caught_by_a_partys_saved_checkpoint(backend: str, tmp_path: Path) -> None:
    """The rollback case: a party that kept a later checkpoint sees that the restored log is behind it."""
    site = demo_site(backend, tmp_path, "rollback_source")
    status, output = site.truce("backup", "--out", str(tmp_path / "backup"))
    assert status == 0, output
    status, output = site.truce("device", "add", "later-phone", "--mission", "nk-2020", "--delegation", "ru")
    assert status == 0, output
    status, later = site.truce("log", "checkpoint")
    assert status == 0, later
    saved = tmp_path / "party-saved-checkpoint.txt"
    saved.write_text(later)

    target = empty_site(backend, tmp_path, "rolled_back")
    status, output = target.truce("restore", str(tmp_path / "backup"))
    assert status == 0, output
    status, output = target.truce("log", "verify", "--checkpoint", str(saved))
    assert status == 1, output
    assert "rolled back" in output
