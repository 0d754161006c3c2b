"""Where evidence files are kept: one interface, chosen by the setting TRUCE_EVIDENCE_STORE.

- `files` (the default): the data directory, `<data dir>/evidence/sha256/ab/abcdef...` (store.py). One machine, or
  several that share that directory.
- `postgres`: content-addressed chunks in the PostgreSQL database itself (database.py), so that any number of
  servers on one database need nothing more, and `pg_dump` backs evidence up with the records.
- An S3-compatible store has room behind the same interface (docs/deployment.md says what it must do); it is not
  built.

Every store takes a file as a stream of chunks, refuses it past the same limit while it streams, keeps it once by
its SHA-256, and hands it back as a stream: the memory used does not grow with the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from truce.errors import ConfigError, Message, NotFound
from truce.evidence import store
from truce.evidence.store import StoredFile

if TYPE_CHECKING:
    from truce.config import Settings
    from truce.db import Database

StoreKind = Literal["files", "postgres"]
KINDS: tuple[StoreKind, ...] = ("files", "postgres")
_READ_SIZE = 1024 * 1024


class EvidenceStore(Protocol):
    """What every evidence store does; hashes are 64 lowercase hex digits, checked by each method."""

    kind: StoreKind

    def save_stream(self, chunks: Iterable[bytes], *, limit: int) -> StoredFile:
        """Keep the file the chunks spell out, hashing while streaming; TooLarge past `limit` bytes, nothing kept."""
        ...

    async def save_async(self, chunks: AsyncIterable[bytes], *, limit: int) -> StoredFile:
        """As `save_stream`, from an async stream."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The file, open for reading and seeking; NotFound when it is not kept here."""
        ...

    def read_chunks(self, sha256: str) -> Iterator[bytes]:
        """The file's bytes as a stream of chunks; NotFound (before any chunk) when it is not kept here."""
        ...

    def has(self, sha256: str) -> bool:
        """Whether this store keeps a file under this hash (whatever its content now is)."""
        ...

    def size(self, sha256: str) -> int:
        """The file's size in bytes; NotFound when it is not kept here."""
        ...

    def iter_hashes(self) -> Iterator[str]:
        """The hash of every kept file, in order."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """Where the file lies on this machine's disk, when it does (a server can then send it with sendfile)."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a kept file: only for a copy that failed its check, and `truce evidence move --delete-source`."""
        ...


class FileStore:
    """The data directory's store (store.py) behind the common interface."""

    kind: StoreKind = "files"

    def __init__(self, root: Path) -> None:
        self.root = root

    def save_stream(self, chunks: Iterable[bytes], *, limit: int) -> StoredFile:
        return store.save_stream(chunks, self.root, limit=limit)

    async def save_async(self, chunks: AsyncIterable[bytes], *, limit: int) -> StoredFile:
        return await store.save_async(chunks, self.root, limit=limit)

    def open(self, sha256: str) -> BinaryIO:
        return store.open_file(self.root, sha256)

    def read_chunks(self, sha256: str) -> Iterator[bytes]:
        handle = self.open(sha256)  # here, so that a missing file is NotFound before the first chunk is asked for
        return _chunks_of(handle)

    def has(self, sha256: str) -> bool:
        return store.path_for(self.root, sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return store.path_for(self.root, sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(Message("no evidence file %(sha256)s", sha256=sha256)) from None

    def iter_hashes(self) -> Iterator[str]:
        return store.iter_hashes(self.root)

    def local_path(self, sha256: str) -> Path | None:
        path = store.path_for(self.root, sha256)
        return path if path.is_file() else None

    def delete(self, sha256: str) -> None:
        """Remove a kept file (used by `truce evidence move --delete-source` only)."""
        store.path_for(self.root, sha256).unlink(missing_ok=True)


def _chunks_of(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while block := handle.read(_READ_SIZE):
            yield block


def verify(evidence: EvidenceStore, sha256: str) -> bool:
    """Whether the kept file still hashes to its name; NotFound when it is missing."""
    digest = hashlib.sha256()
    for block in evidence.read_chunks(sha256):
        digest.update(block)
    return digest.hexdigest() == sha256


def copy(source: EvidenceStore, target: EvidenceStore, sha256: str) -> int | None:
    """Copy one file between stores, checking its hash on arrival; None (nothing kept) when it differs."""
    size = source.size(sha256)
    copied = target.save_stream(source.read_chunks(sha256), limit=max(size, 1))
    if copied.sha256 != sha256:
        if copied.created:
            target.delete(copied.sha256)
        return None
    # Read back from where it now lies: the check is of what arrived, not of what was sent.
    if not verify(target, sha256):
        return None
    return copied.size


def for_settings(settings: Settings, db: Database, kind: StoreKind | None = None) -> EvidenceStore:
    """The store the settings choose (or `kind`), over this data directory and database."""
    chosen = kind or settings.evidence_store
    if chosen == "files":
        return FileStore(settings.data_dir)
    if db.is_sqlite:
        raise ConfigError(
            "TRUCE_EVIDENCE_STORE=postgres keeps evidence in the PostgreSQL database, but TRUCE_DATABASE_URL is "
            "SQLite: set a postgresql+psycopg:// URL, or keep evidence in the data directory (files)"
        )
    from truce.evidence.database import DatabaseStore

    return DatabaseStore(db.engine)


def as_store(root_or_store: Path | EvidenceStore) -> EvidenceStore:
    """A store from either a data directory (the files store in it) or a store: callers that only knew the
    data directory keep working."""
    if isinstance(root_or_store, Path):
        return FileStore(root_or_store)
    return root_or_store
