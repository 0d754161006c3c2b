"""`truce backup`: a consistent copy of a running Truce, the database, evidence files, keys and a fresh checkpoint.

The layout of a backup directory:

    manifest.json      what the backup holds, with the SHA-256 of every file but the evidence (named by theirs)
    truce.db           SQLite: a copy through SQLite's online backup API
    database.dump      PostgreSQL: `pg_dump --format=custom`
    checkpoint.txt     the log's checkpoint signed just before the copy: the copy's log extends it
    log_signing_key    the server's checkpoint key (the backup is as secret as the data directory)
    secret_key         the server's secret, when the data directory holds it
    evidence/sha256/ab/abcdef...   every evidence file, as in the data directory

The order is what makes it consistent while phones keep writing: the checkpoint first (the log only grows), then
one snapshot of the database, then the evidence files, which are written before the rows that name them and
never change: every file the snapshot names is in the store by the time it is copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from truce import __version__
from truce.backup import postgres
from truce.config import SECRET_FILE, Settings
from truce.db import Database, utcnow
from truce.errors import ConfigError
from truce.evidence import store, stores
from truce.ledger import keys
from truce.ledger import service as ledger

FORMAT = "truce-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "truce.db"
DUMP_FILE = "database.dump"
CHECKPOINT_FILE = "checkpoint.txt"
KEY_FILES = (keys.KEY_FILE, SECRET_FILE)
READ_SIZE = 1024 * 1024
Progress = Callable[[str, int], None]


@dataclass
class Written:
    """What a backup holds, and the evidence files it had to leave out because they no longer match their hash."""

    directory: Path
    backend: str
    database_bytes: int
    checkpoint_size: int
    evidence_files: int
    evidence_bytes: int
    damaged: list[str] = field(default_factory=list)


def write(settings: Settings, db: Database, out: Path, progress: Progress | None = None) -> Written:
    """Write a backup of the running Truce at `settings` into `out`, a new or empty directory."""
    _empty_directory(out)
    data_dir = settings.data_dir
    signer = keys.load(data_dir)
    with db.session() as session:
        stored = ledger.checkpoint(session, signer)
        checkpoint_note = ledger.checkpoint_with_cosignatures(session, stored)
        checkpoint_size = stored.size
    _write_private(out / CHECKPOINT_FILE, checkpoint_note.encode("utf-8"))
    backend = "sqlite" if db.is_sqlite else "postgresql"
    database_file = out / (SQLITE_FILE if db.is_sqlite else DUMP_FILE)
    if db.is_sqlite:
        copy_sqlite(Path(db.engine.url.database or ""), database_file)
    else:
        postgres.dump(db.engine.url.render_as_string(hide_password=False), database_file, settings.pg_bin_dir)
    written = Written(out, backend, database_file.stat().st_size, checkpoint_size, 0, 0)
    for sha256 in store.iter_hashes(data_dir):
        size = copy_evidence(data_dir, out, sha256)
        if size is None:
            written.damaged.append(sha256)
            continue
        written.evidence_files += 1
        written.evidence_bytes += size
        if progress is not None:
            progress("evidence files copied", written.evidence_files)
    files = {database_file.name: file_sha256(database_file), CHECKPOINT_FILE: file_sha256(out / CHECKPOINT_FILE)}
    for name in KEY_FILES:
        if (data_dir / name).is_file():
            _write_private(out / name, (data_dir / name).read_bytes())
            files[name] = file_sha256(out / name)
    manifest = {
        "format": FORMAT,
        "truce_version": __version__,
        "created": utcnow().isoformat(),
        "backend": backend,
        "database": database_file.name,
        "checkpoint_size": checkpoint_size,
        "evidence_files": written.evidence_files,
        "evidence_left_out": written.damaged,
        "files": files,
    }
    # The manifest last, and atomically: a directory without one is a backup that did not finish.
    _write_private(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    return written


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a backup, every file it lists checked against its hash; ConfigError when anything is off."""
    path = directory / MANIFEST
    try:
        manifest: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{directory} is not a Truce backup, or one that did not finish: no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a {FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, dict) or manifest.get("database") not in files or CHECKPOINT_FILE not in files:
        raise ConfigError(f"{path} does not list the database and the checkpoint")
    for name, expected in files.items():
        if name not in (SQLITE_FILE, DUMP_FILE, CHECKPOINT_FILE, *KEY_FILES):
            raise ConfigError(f"{path} lists an unexpected file {name!r}")
        try:
            actual = file_sha256(directory / name)
        except FileNotFoundError:
            raise ConfigError(f"the backup is damaged: {name} is missing") from None
        if actual != expected:
            raise ConfigError(f"the backup is damaged: {name} does not match the SHA-256 in {MANIFEST}")
    return manifest


def copy_sqlite(source: Path, target: Path) -> None:
    """A copy of a SQLite database in one read transaction (the online backup API), while others write to it."""
    if not source.is_file():
        raise ConfigError(f"no SQLite database at {source}")
    original = sqlite3.connect(source, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: every page in one step, so one snapshot; in WAL mode writers go on meanwhile.
            original.backup(copy, pages=-1)
        finally:
            copy.close()
        os.chmod(target, 0o600)
    finally:
        original.close()


def copy_evidence(source_root: Path, target_root: Path, sha256: str) -> int | None:
    """Copy one evidence file between data directories, checking its hash on arrival; None when it differs."""
    return stores.copy(stores.FileStore(source_root), stores.FileStore(target_root), sha256)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_SIZE):
            digest.update(block)
    return digest.hexdigest()


def _empty_directory(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"{path} exists and is not an empty directory; back up into a new one")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror or exc}") from exc


def _write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner reads, atomically (a temporary name, then a rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
