"""`truce restore`: a backup back into an empty data directory or database, then the whole record verified."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from truce import schema
from truce.backup import archive, postgres
from truce.config import Settings, prepare_data_dir
from truce.db import Database, connect
from truce.errors import ConfigError
from truce.evidence import store, stores
from truce.evidence.stores import EvidenceStore
from truce.integrity import audit
from truce.integrity.verify import Report, verify
from truce.ledger import keys, merkle
from truce.ledger import service as ledger
from truce.models import LOGGED


@dataclass
class Restored:
    """The whole-record verification of the restored copy, and what else was found wrong with it."""

    report: Report
    evidence_files: int
    checkpoint_size: int
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.report.intact and not self.problems


def restore(settings: Settings, source: Path, progress: archive.Progress | None = None) -> Restored:
    """Bring the backup in `source` back into the empty data directory and database of `settings`, and verify it."""
    manifest = archive.read_manifest(source)
    url = settings.effective_database_url()
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest["backend"] != backend:
        raise ConfigError(
            f"the backup is of a {manifest['backend']} database and TRUCE_DATABASE_URL names a {backend} one; "
            "restore into the same kind of database"
        )
    data_dir = prepare_data_dir(settings)
    _refuse_unless_empty(data_dir, url, backend)
    for name in archive.KEY_FILES:
        if name in manifest["files"]:
            _copy_private(source / name, data_dir / name)
    copied = _copy_evidence(source, data_dir, progress)
    if backend == "sqlite":
        archive.copy_sqlite(source / archive.SQLITE_FILE, data_dir / archive.SQLITE_FILE)
    else:
        postgres.restore(url, source / archive.DUMP_FILE, settings.pg_bin_dir)
    db = connect(url)
    try:
        # A backup of an older Truce is brought up to this version's schema before it is checked.
        schema.upgrade(db.engine)
        return _verified(db, stores.for_settings(settings, db), data_dir, source, manifest, copied)
    finally:
        db.dispose()


def _verified(
    db: Database, evidence: EvidenceStore, data_dir: Path, source: Path, manifest: dict[str, Any], copied: int
) -> Restored:
    """The whole record checked, evidence in the store the settings choose (the database's came with its dump)."""
    server = keys.load(data_dir).verifier()
    with db.session(write=False) as session:
        report = verify(session, server, LOGGED, evidence_root=evidence)
        restored = Restored(report, copied, int(manifest["checkpoint_size"]))
        if copied != manifest["evidence_files"]:
            restored.problems.append(
                f"the backup lists {manifest['evidence_files']} evidence files but {copied} were found in it"
            )
        restored.problems.extend(_checkpoint_problems(session, server, source / archive.CHECKPOINT_FILE))
    return restored


def _checkpoint_problems(session: Any, server: Any, path: Path) -> list[str]:
    """Whether the restored log extends the checkpoint signed when the backup was taken."""
    try:
        saved = audit.open_checkpoint(path.read_text(), server).checkpoint
    except (OSError, audit.AuditError) as exc:
        return [f"the backup's checkpoint: {exc}"]
    size, root = ledger.current_root(session)
    if saved.size > size:
        return [f"the backup's checkpoint covers {saved.size} entries but the restored log holds {size}"]
    proof = [bytes.fromhex(h) for h in ledger.consistency(session, saved.size, size)["hashes"]]
    if not merkle.verify_consistency(saved.size, size, saved.root_hash, root, proof):
        return ["the restored log does not extend the backup's checkpoint"]
    return []


def _refuse_unless_empty(data_dir: Path, url: str, backend: str) -> None:
    held = [name for name in (archive.SQLITE_FILE, *archive.KEY_FILES) if (data_dir / name).exists()]
    if backend == "postgresql":
        held = [name for name in held if name != archive.SQLITE_FILE]  # a file left from an earlier SQLite life
    if next(store.iter_hashes(data_dir), None) is not None:
        held.append("evidence files")
    if held:
        raise ConfigError(
            f"the data directory {data_dir} is not empty (it holds {', '.join(held)}); restore into an empty one"
        )
    if backend == "postgresql":
        db = connect(url)
        try:
            found = postgres.tables(db.engine)
        finally:
            db.dispose()
        if found:
            raise ConfigError(
                f"the database holds {len(found)} tables ({', '.join(found[:3])}, ...); restore into an empty database"
            )


def _copy_evidence(source: Path, data_dir: Path, progress: archive.Progress | None) -> int:
    copied = 0
    for sha256 in store.iter_hashes(source):
        if archive.copy_evidence(source, data_dir, sha256) is None:
            raise ConfigError(f"the backup is damaged: evidence file {sha256} does not match its hash")
        copied += 1
        if progress is not None:
            progress("evidence files restored", copied)
    return copied


def _copy_private(source: Path, target: Path) -> None:
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source.read_bytes())
