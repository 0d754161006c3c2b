"""The PostgreSQL evidence store: each file a list of 1 MiB chunks, each chunk kept once under its own SHA-256.

An upload is one transaction on a connection of its own: every full chunk is inserted as it arrives (memory holds
at most one chunk), and the file's row and its list of chunks are added at the end, when its hash is known. A
refused, failed or killed upload rolls back, so it leaves nothing behind; a file that is already kept adds no
chunk (its chunks conflict and are skipped). Reading fetches one chunk per query, so a download holds no
connection between chunks and no more than one chunk in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterable, Iterable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, delete, exists, select
from sqlalchemy.dialects.postgresql import insert

from truce.errors import Invalid, Message, NotFound, TooLarge
from truce.evidence import media, store
from truce.evidence.models import EvidenceBlob, EvidenceBlobChunk, EvidenceChunk
from truce.evidence.store import HEAD_SIZE, MB, StoredFile
from truce.evidence.stores import StoreKind

CHUNK_SIZE = MB
_HASHES_PER_QUERY = 1000


class DatabaseStore:
    """Evidence in the database that `engine` opens (PostgreSQL)."""

    kind: StoreKind = "postgres"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_stream(self, chunks: Iterable[bytes], *, limit: int) -> StoredFile:
        upload = _Upload(self, limit)
        try:
            for chunk in chunks:
                upload.write(chunk)
            return upload.finish()
        finally:
            upload.close()

    async def save_async(self, chunks: AsyncIterable[bytes], *, limit: int) -> StoredFile:
        upload = _Upload(self, limit)  # no connection yet: the first full chunk takes one, in a thread
        try:
            async for chunk in chunks:
                if upload.buffered + len(chunk) < CHUNK_SIZE and upload.size + len(chunk) <= limit:
                    upload.write(chunk)  # into memory only: no need for a thread
                else:
                    await asyncio.to_thread(upload.write, chunk)
            return await asyncio.to_thread(upload.finish)
        finally:
            await asyncio.to_thread(upload.close)

    def open(self, sha256: str) -> BinaryIO:
        size = self.size(sha256)
        return io.BufferedReader(_BlobReader(self, sha256, size), buffer_size=CHUNK_SIZE)

    def read_chunks(self, sha256: str) -> Iterator[bytes]:
        # Every chunk but the last is CHUNK_SIZE bytes (the upload cuts them so): the size gives their number.
        count = -(-self.size(sha256) // CHUNK_SIZE)
        return (self.chunk(sha256, seq) for seq in range(count))

    def has(self, sha256: str) -> bool:
        store.check_hash(sha256)
        with self.engine.connect() as connection:
            return bool(connection.scalar(select(exists().where(EvidenceBlob.sha256 == sha256))))

    def size(self, sha256: str) -> int:
        store.check_hash(sha256)
        with self.engine.connect() as connection:
            size = connection.scalar(select(EvidenceBlob.size).where(EvidenceBlob.sha256 == sha256))
        if size is None:
            raise NotFound(Message("no evidence file %(sha256)s", sha256=sha256))
        return int(size)

    def iter_hashes(self) -> Iterator[str]:
        after = ""
        while True:
            query = select(EvidenceBlob.sha256).where(EvidenceBlob.sha256 > after)
            with self.engine.connect() as connection:
                found = list(connection.scalars(query.order_by(EvidenceBlob.sha256).limit(_HASHES_PER_QUERY)))
            yield from found
            if len(found) < _HASHES_PER_QUERY:
                return
            after = found[-1]

    def local_path(self, sha256: str) -> None:
        return None

    def delete(self, sha256: str) -> None:
        """Remove a kept file and the chunks no other file uses (`truce evidence move --delete-source` only)."""
        store.check_hash(sha256)
        with self.engine.begin() as connection:
            used = select(EvidenceBlobChunk.chunk_sha256).where(EvidenceBlobChunk.blob_sha256 == sha256)
            chunks = set(connection.scalars(used))
            connection.execute(delete(EvidenceBlob).where(EvidenceBlob.sha256 == sha256))
            shared = select(EvidenceBlobChunk.chunk_sha256).where(EvidenceBlobChunk.chunk_sha256.in_(chunks))
            keep = set(connection.scalars(shared))
            if chunks - keep:
                connection.execute(delete(EvidenceChunk).where(EvidenceChunk.sha256.in_(chunks - keep)))

    def chunk(self, sha256: str, seq: int) -> bytes:
        """The file's chunk at position `seq`."""
        query = (
            select(EvidenceChunk.data)
            .join(EvidenceBlobChunk, EvidenceBlobChunk.chunk_sha256 == EvidenceChunk.sha256)
            .where(EvidenceBlobChunk.blob_sha256 == sha256, EvidenceBlobChunk.seq == seq)
        )
        with self.engine.connect() as connection:
            data = connection.scalar(query)
        if data is None:
            raise NotFound(Message("evidence file %(sha256)s has no chunk %(seq)s", sha256=sha256, seq=seq))
        return bytes(data)


class _Upload:
    """One file being streamed into the database inside one transaction, refused past `limit` bytes."""

    def __init__(self, target: DatabaseStore, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be a positive number of bytes, not {limit}")
        self.target, self.limit = target, limit
        self.size, self.head, self.digest = 0, b"", hashlib.sha256()
        self.pending = bytearray()
        self.chunks: list[str] = []  # 64 bytes a MiB: a 200 MB file lists 200
        self.connection: Connection | None = None

    @property
    def buffered(self) -> int:
        return len(self.pending)

    def write(self, chunk: bytes) -> None:
        """Hash one chunk and insert every full chunk it completes, unless it takes the file past the limit."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(Message("the file is larger than the %(mb)s MB limit", mb=f"{self.limit / MB:g}"))
        if len(self.head) < HEAD_SIZE:
            self.head += chunk[: HEAD_SIZE - len(self.head)]
        self.digest.update(chunk)
        self.pending += chunk
        while len(self.pending) >= CHUNK_SIZE:
            self._insert(bytes(self.pending[:CHUNK_SIZE]))
            del self.pending[:CHUNK_SIZE]

    def finish(self) -> StoredFile:
        """Add the file's row and its list of chunks and commit; a file kept already adds nothing."""
        if self.size == 0:
            raise Invalid(Message("the file is empty"), field="file")
        if self.pending:
            self._insert(bytes(self.pending))
            self.pending.clear()
        sha256 = self.digest.hexdigest()
        connection = self._connection()
        added = connection.execute(
            insert(EvidenceBlob)
            .values(sha256=sha256, size=self.size)
            .on_conflict_do_nothing(index_elements=["sha256"])
            .returning(EvidenceBlob.sha256)
        ).first()
        if added is not None:
            rows: list[dict[str, Any]] = [
                {"blob_sha256": sha256, "seq": seq, "chunk_sha256": chunk} for seq, chunk in enumerate(self.chunks)
            ]
            connection.execute(insert(EvidenceBlobChunk), rows)
        connection.commit()
        target = self.target
        return StoredFile(
            sha256, self.size, media.sniff(self.head), None, added is not None, opener=lambda: target.open(sha256)
        )

    def close(self) -> None:
        """Roll back what was not committed and give the connection back."""
        if self.connection is not None:
            self.connection.close()  # closing rolls back an open transaction
            self.connection = None

    def _insert(self, data: bytes) -> None:
        chunk_sha256 = hashlib.sha256(data).hexdigest()
        statement = insert(EvidenceChunk).values(sha256=chunk_sha256, data=data)
        self._connection().execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))
        self.chunks.append(chunk_sha256)

    def _connection(self) -> Connection:
        if self.connection is None:
            self.connection = self.target.engine.connect()
        return self.connection


class _BlobReader(io.RawIOBase):
    """A stored file read chunk by chunk, seekable (Pillow seeks), holding one chunk at a time."""

    def __init__(self, source: DatabaseStore, sha256: str, size: int) -> None:
        super().__init__()
        self.source, self.sha256, self.length = source, sha256, size
        self.position = 0
        self.cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.length:
            return 0
        seq, start = divmod(self.position, CHUNK_SIZE)
        if self.cached is None or self.cached[0] != seq:
            self.cached = (seq, self.source.chunk(self.sha256, seq))
        piece = self.cached[1][start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)
