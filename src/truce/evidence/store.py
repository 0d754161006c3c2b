"""Evidence files in a content-addressed store, `<root>/evidence/sha256/ab/abcdef...`, written atomically."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from truce.errors import Invalid, Message, NotFound, TooLarge, TruceError
from truce.evidence import media

MB = 1024 * 1024
HEAD_SIZE = 4096
MAX_NAME_LENGTH = 200
FALLBACK_NAME = "upload"
# Read-only: a stored file never changes. Who may read is decided by the directories, closed to
# others because evidence can be restricted.
FILE_MODE = 0o444
DIR_MODE = 0o750

_SHA256 = re.compile(r"[0-9a-f]{64}")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Control, format (bidi overrides that disguise "gpj.exe"), surrogate, private-use, unassigned and
# line-separator characters: nothing a name needs, and each can fool a reader or a log.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_READ_SIZE = MB


class Damaged(TruceError):
    """A stored file whose bytes no longer match the hash it is stored under: it is not served."""

    status_code = 500


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: its hash, size and sniffed media type, where it lies, and whether this save added it.

    `path` is None in a store that keeps files elsewhere than this machine's disk (the database): `opener` reads it.
    """

    sha256: str
    size: int
    media_type: str
    path: Path | None
    created: bool
    opener: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)

    def open(self) -> BinaryIO:
        """The stored bytes, open for reading and seeking."""
        if self.path is not None:
            return self.path.open("rb")
        if self.opener is None:
            raise NotFound(Message("no evidence file %(sha256)s", sha256=self.sha256))
        return self.opener()


def save_stream(chunks: Iterable[bytes], root: Path, *, limit: int) -> StoredFile:
    """Store the file the chunks spell out, hashing while streaming; refuse it past `limit` bytes."""
    upload = _Upload(root, limit)
    try:
        for chunk in chunks:
            upload.write(chunk)
    except BaseException:
        upload.discard()
        raise
    return upload.finish()


async def save_async(chunks: AsyncIterable[bytes], root: Path, *, limit: int) -> StoredFile:
    """Store the file an async stream spells out, as `save_stream` does."""
    upload = _Upload(root, limit)
    try:
        async for chunk in chunks:
            upload.write(chunk)  # one chunk into the page cache is quick; the fsync below is not
    except BaseException:
        upload.discard()
        raise
    # In a thread, finish() also cleans up after itself if this task is cancelled meanwhile.
    return await asyncio.to_thread(upload.finish)


def path_for(root: Path, sha256: str) -> Path:
    """Where the file with this hash lies; the hash must be 64 lowercase hex digits."""
    check_hash(sha256)
    return _objects(root) / sha256[:2] / sha256


def check_hash(sha256: str) -> None:
    """Invalid unless `sha256` is 64 lowercase hex digits: the only names any store keeps files under."""
    if not _SHA256.fullmatch(sha256):
        raise Invalid(Message("not a SHA-256 digest: expected 64 lowercase hexadecimal digits"), field="sha256")


def open_file(root: Path, sha256: str) -> BinaryIO:
    """The stored file with this hash, open for reading."""
    try:
        return path_for(root, sha256).open("rb")
    except FileNotFoundError:
        raise NotFound(Message("no evidence file %(sha256)s", sha256=sha256)) from None


def verify_file(root: Path, sha256: str) -> bool:
    """Whether the stored file still hashes to its name; NotFound when it is missing."""
    digest = hashlib.sha256()
    with open_file(root, sha256) as stored:
        while block := stored.read(_READ_SIZE):
            digest.update(block)
    return digest.hexdigest() == sha256


def iter_hashes(root: Path) -> Iterator[str]:
    """The hash of every stored file, in order; stray files that are not named by a hash are skipped."""
    objects = _objects(root)
    if not objects.is_dir():
        return
    for prefix in sorted(objects.iterdir()):
        if not prefix.is_dir():
            continue
        for entry in sorted(prefix.iterdir()):
            if _SHA256.fullmatch(entry.name) and entry.name[:2] == prefix.name and entry.is_file():
                yield entry.name


def safe_filename(name: str | None) -> str:
    """The client's file name made fit for display and metadata; it is never used as a path."""
    cleaned = "".join(
        character
        for character in unicodedata.normalize("NFC", name or "")
        if unicodedata.category(character) not in _UNSAFE_CATEGORIES
    )
    base = _DRIVE.sub("", re.split(r"[/\\]", cleaned)[-1]).strip(" .")
    return _shorten(base) if base else FALLBACK_NAME


def _shorten(name: str) -> str:
    """At most MAX_NAME_LENGTH characters, keeping a short extension."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        return name[:MAX_NAME_LENGTH]
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"


def _objects(root: Path) -> Path:
    return root / "evidence" / "sha256"


class _Upload:
    """A temporary file being filled and hashed, which refuses to grow past `limit` bytes."""

    def __init__(self, root: Path, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be a positive number of bytes, not {limit}")
        self.root, self.limit = root, limit
        self.size, self.head, self.digest = 0, b"", hashlib.sha256()
        self.temp = root / "evidence" / "tmp" / f"upload-{secrets.token_hex(12)}"
        try:
            descriptor = _create(self.temp)
        except FileNotFoundError:  # the first upload, or the store was moved: make the directories once
            _make_directories(root, "evidence", "tmp")
            descriptor = _create(self.temp)
        self.moved = False
        self.file = os.fdopen(descriptor, "wb")

    def write(self, chunk: bytes) -> None:
        """Hash and write one chunk, unless it takes the file past the limit."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(Message("the file is larger than the %(mb)s MB limit", mb=f"{self.limit / MB:g}"))
        if len(self.head) < HEAD_SIZE:
            self.head += chunk[: HEAD_SIZE - len(self.head)]
        self.digest.update(chunk)
        self.file.write(chunk)

    def finish(self) -> StoredFile:
        """Move the complete file into place, or drop it when the store has it already."""
        try:
            return self._commit()
        finally:
            self.discard()

    def discard(self) -> None:
        """Close and delete the temporary file, unless it was moved into place."""
        self.file.close()
        if not self.moved:
            self.temp.unlink(missing_ok=True)

    def _commit(self) -> StoredFile:
        if self.size == 0:
            raise Invalid(Message("the file is empty"), field="file")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        sha256 = self.digest.hexdigest()
        path = path_for(self.root, sha256)
        created = not path.exists()
        if created:
            try:
                os.replace(self.temp, path)
            except FileNotFoundError:  # the first file under this prefix
                _make_directories(self.root, "evidence", "sha256", sha256[:2])
                os.replace(self.temp, path)
            self.moved = True
            _fsync_directory(path.parent)
        return StoredFile(sha256, self.size, media.sniff(self.head), path, created)


def _create(path: Path) -> int:
    # Read-only from the start (a descriptor opened for writing still writes): no chmod before the rename.
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def _make_directories(root: Path, *names: str) -> Path:
    """Create root (the data directory) if needed, then each named level below it closed to others."""
    root.mkdir(parents=True, exist_ok=True)
    directory = root
    for name in names:
        directory = directory / name
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
    return directory


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable: without this a crash can lose the directory entry of a file already synced."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
