"""Every evidence store behaves alike: the data directory's and the PostgreSQL database's (issue 23, part 2).

Covers, on each store: round trip through chunks and a seekable reader; one copy per content; the upload limit
enforced while streaming, leaving nothing behind; empty files; async uploads; memory that does not grow with the
file, in and out; tampering detected; copies between stores checked on arrival. The PostgreSQL store needs
TRUCE_TEST_DATABASE_URL; it is refused on SQLite with a clear message.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from conftest import PG_URL, fresh_database
from truce.config import Settings
from truce.db import Database
from truce.errors import ConfigError, Invalid, NotFound, TooLarge
from truce.evidence import stores
from truce.evidence.database import CHUNK_SIZE, DatabaseStore
from truce.evidence.models import EvidenceBlob, EvidenceBlobChunk, EvidenceChunk
from truce.evidence.store import MB
from truce.evidence.stores import EvidenceStore, FileStore

KINDS = ["files", pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL"))]


@pytest.fixture(scope="module")
def pg_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = fresh_database("postgis", tmp_path_factory.mktemp("stores"), "evidence_stores")
    yield db
    db.dispose()


def _empty_tables(db: Database) -> None:
    with db.engine.begin() as connection:
        for model in (EvidenceBlobChunk, EvidenceBlob, EvidenceChunk):
            connection.execute(model.__table__.delete())


@pytest.fixture(params=KINDS)
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "files":
        return FileStore(tmp_path / "data")
    db: Database = request.getfixturevalue("pg_db")
    _empty_tables(db)
    return DatabaseStore(db.engine)


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def leftovers(kept: EvidenceStore) -> int:
    """What a store holds that no kept file accounts for: temporary files, or chunks in no file."""
    if isinstance(kept, FileStore):
        temp = kept.root / "evidence" / "tmp"
        return len(list(temp.iterdir())) if temp.exists() else 0
    assert isinstance(kept, DatabaseStore)
    with kept.engine.connect() as connection:
        used = select(EvidenceBlobChunk.chunk_sha256)
        return int(connection.scalar(select(func.count()).where(EvidenceChunk.sha256.not_in(used))) or 0)


def test_a_file_comes_back_whole_through_chunks_and_a_seekable_reader(kept: EvidenceStore) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 12_345)

    saved = kept.save_stream(pieces(data, 100_000), limit=10 * MB)

    assert saved.sha256 == hashlib.sha256(data).hexdigest()
    assert (saved.size, saved.created) == (len(data), True)
    assert kept.has(saved.sha256)
    assert kept.size(saved.sha256) == len(data)
    assert b"".join(kept.read_chunks(saved.sha256)) == data
    with kept.open(saved.sha256) as reader:
        reader.seek(CHUNK_SIZE - 3)
        assert reader.read(6) == data[CHUNK_SIZE - 3 : CHUNK_SIZE + 3]
        reader.seek(-5, os.SEEK_END)
        assert reader.read() == data[-5:]
        reader.seek(0)
        assert reader.read() == data
    with saved.open() as reader:
        assert reader.read(10) == data[:10]
    assert list(kept.iter_hashes()) == [saved.sha256]
    assert stores.verify(kept, saved.sha256)


def test_the_same_content_is_kept_once(kept: EvidenceStore) -> None:
    data = os.urandom(CHUNK_SIZE + 1)
    first = kept.save_stream(pieces(data, 7_000), limit=MB * 2)
    second = kept.save_stream([data], limit=MB * 2)
    assert (first.created, second.created) == (True, False)
    assert first.sha256 == second.sha256
    assert list(kept.iter_hashes()) == [first.sha256]
    if isinstance(kept, DatabaseStore):
        with kept.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(EvidenceChunk)) == 2


def test_the_limit_stops_the_stream_and_leaves_nothing(kept: EvidenceStore) -> None:
    offered = 0

    def endless() -> Iterator[bytes]:
        nonlocal offered
        while True:
            offered += 256 * 1024
            yield b"\x00" * (256 * 1024)

    with pytest.raises(TooLarge, match="3 MB"):
        kept.save_stream(endless(), limit=3 * MB)
    assert offered <= 3 * MB + 256 * 1024
    assert list(kept.iter_hashes()) == []
    assert leftovers(kept) == 0


def test_a_file_at_the_limit_is_kept_and_one_byte_more_is_not(kept: EvidenceStore) -> None:
    assert kept.save_stream([b"a" * 1000, b"b" * 24], limit=1024).size == 1024
    with pytest.raises(TooLarge):
        kept.save_stream([b"c" * 1025], limit=1024)
    assert len(list(kept.iter_hashes())) == 1


def test_an_empty_file_is_refused(kept: EvidenceStore) -> None:
    with pytest.raises(Invalid, match="empty"):
        kept.save_stream([b""], limit=MB)
    assert list(kept.iter_hashes()) == []
    assert leftovers(kept) == 0


def test_an_async_upload_is_kept_as_a_synchronous_one_is(kept: EvidenceStore) -> None:
    data = os.urandom(CHUNK_SIZE + 99)

    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces(data, 64 * 1024):
            yield piece

    saved = asyncio.run(kept.save_async(chunks(), limit=2 * MB))
    assert saved.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(kept.read_chunks(saved.sha256)) == data

    async def too_much() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * (64 * 1024)

    with pytest.raises(TooLarge):
        asyncio.run(kept.save_async(too_much(), limit=MB))
    assert leftovers(kept) == 0


def test_memory_does_not_grow_with_the_file(kept: EvidenceStore) -> None:
    size = 24 * MB

    def generated() -> Iterator[bytes]:
        for index in range(size // (64 * 1024)):
            yield index.to_bytes(8, "big") * (8 * 1024)

    tracemalloc.start()
    try:
        saved = kept.save_stream(generated(), limit=size)
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for block in kept.read_chunks(saved.sha256):
            digest.update(block)
        _, peak_out = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == saved.sha256
    assert peak_in < 6 * MB, peak_in
    assert peak_out < 6 * MB, peak_out


def test_tampering_is_detected(kept: EvidenceStore) -> None:
    saved = kept.save_stream([b"a report of shelling at 02:10\n"], limit=MB)
    if isinstance(kept, FileStore):
        path = kept.local_path(saved.sha256)
        assert path is not None
        path.chmod(0o644)
        path.write_bytes(b"a report of nothing at all\n")
    else:
        assert isinstance(kept, DatabaseStore)
        with kept.engine.begin() as connection:
            connection.execute(update(EvidenceChunk).values(data=b"a report of nothing at all\n"))
    assert not stores.verify(kept, saved.sha256)


def test_unknown_and_malformed_hashes(kept: EvidenceStore) -> None:
    missing = "0" * 64
    assert not kept.has(missing)
    with pytest.raises(NotFound):
        kept.size(missing)
    with pytest.raises(NotFound):
        kept.read_chunks(missing)
    with pytest.raises(NotFound):
        kept.open(missing)
    with pytest.raises(Invalid, match="SHA-256"):
        kept.has("../../etc/passwd")


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL")
def test_copies_between_stores_are_checked_on_arrival(tmp_path: Path, pg_db: Database) -> None:
    _empty_tables(pg_db)
    files, database = FileStore(tmp_path / "data"), DatabaseStore(pg_db.engine)
    good = files.save_stream([os.urandom(3 * MB)], limit=4 * MB)
    bad = files.save_stream([b"the original bytes"], limit=MB)
    path = files.local_path(bad.sha256)
    assert path is not None
    path.chmod(0o644)
    path.write_bytes(b"other bytes, same name")

    assert stores.copy(files, database, good.sha256) == good.size
    assert stores.copy(files, database, bad.sha256) is None
    assert list(database.iter_hashes()) == [good.sha256]
    assert leftovers(database) == 0
    assert stores.copy(database, FileStore(tmp_path / "back"), good.sha256) == good.size


def test_the_postgres_store_is_refused_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, evidence_store="postgres")
    db = fresh_database("sqlite", tmp_path)
    try:
        with pytest.raises(ConfigError, match=r"TRUCE_EVIDENCE_STORE=postgres .* SQLite"):
            stores.for_settings(settings, db)
        assert isinstance(stores.for_settings(settings, db, "files"), FileStore)
    finally:
        db.dispose()
