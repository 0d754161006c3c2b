"""The content-addressed evidence store: streaming saves, limits, hashes as paths, and safe names.

Covers: round trip; one copy per content; the upload limit enforced while streaming, in small memory
and leaving nothing behind; empty uploads; media type from bytes, never from names; path tricks in
client names and in hashes; tamper detection; arbitrary chunkings hash like hashlib.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import stat
import tempfile
import tracemalloc
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from truce.errors import Invalid, NotFound, TooLarge
from truce.evidence import store
from truce.evidence.store import MB, StoredFile, open_file, path_for, safe_filename, save_async, save_stream

CHUNK = 64 * 1024


def leftovers(root: Path) -> list[Path]:
    """Files in the store's temporary directory."""
    temp_dir = root / "evidence" / "tmp"
    return list(temp_dir.iterdir()) if temp_dir.exists() else []


def stored(root: Path) -> list[str]:
    return list(store.iter_hashes(root))


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_round_trip(tmp_path: Path) -> None:
    data = b"Observation post 7 reports small-arms fire at 02:10.\n"

    saved = save_stream([data[:10], data[10:]], tmp_path, limit=MB)

    assert saved == StoredFile(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        media_type="text/plain",
        path=tmp_path / "evidence" / "sha256" / saved.sha256[:2] / saved.sha256,
        created=True,
    )
    assert saved.path == path_for(tmp_path, saved.sha256)
    with open_file(tmp_path, saved.sha256) as reader:
        assert reader.read() == data
    assert store.verify_file(tmp_path, saved.sha256)
    assert stored(tmp_path) == [saved.sha256]
    assert stat.S_IMODE(saved.path.stat().st_mode) == store.FILE_MODE
    assert stat.S_IMODE(saved.path.parent.stat().st_mode) & 0o007 == 0
    assert leftovers(tmp_path) == []


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    first = save_stream([b"the same photo"], tmp_path, limit=MB)
    second = save_stream([b"the same ", b"photo"], tmp_path, limit=MB)

    assert first.created
    assert not second.created
    assert (second.sha256, second.path, second.size) == (first.sha256, first.path, first.size)
    assert stored(tmp_path) == [first.sha256]
    assert leftovers(tmp_path) == []


def test_creates_the_data_directory(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet"

    saved = save_stream([b"x"], root, limit=MB)

    assert saved.path.read_bytes() == b"x"


def test_a_huge_stream_is_refused_early_in_small_memory(tmp_path: Path) -> None:
    """1 GB offered against a 5 MB limit: reading stops just past 5 MB, nothing stays on disk."""
    limit = 5 * MB
    offered = 0

    def one_gigabyte_of_zeros() -> Iterator[bytes]:
        nonlocal offered
        for _ in range(1024 * MB // CHUNK):
            offered += CHUNK
            yield bytes(CHUNK)

    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match="5 MB"):
            save_stream(one_gigabyte_of_zeros(), tmp_path, limit=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert limit < offered <= limit + CHUNK
    assert peak < 20 * MB
    assert leftovers(tmp_path) == []
    assert stored(tmp_path) == []


def test_a_file_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    saved = save_stream([b"a" * 1000, b"b" * 24], tmp_path, limit=1024)

    assert saved.size == 1024


def test_the_limit_message_names_megabytes(tmp_path: Path) -> None:
    with pytest.raises(TooLarge, match=r"larger than the 0\.5 MB limit"):
        save_stream([bytes(MB)], tmp_path, limit=MB // 2)


def test_a_broken_stream_leaves_nothing(tmp_path: Path) -> None:
    def dropped_connection() -> Iterator[bytes]:
        yield b"first part"
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        save_stream(dropped_connection(), tmp_path, limit=MB)

    assert leftovers(tmp_path) == []
    assert stored(tmp_path) == []


@pytest.mark.parametrize("chunks", [[], [b""], [b"", b"", b""]])
def test_an_empty_upload_is_refused(tmp_path: Path, chunks: list[bytes]) -> None:
    with pytest.raises(Invalid, match="empty"):
        save_stream(chunks, tmp_path, limit=MB)

    assert leftovers(tmp_path) == []
    assert stored(tmp_path) == []


def test_a_limit_below_one_byte_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        save_stream([b"x"], tmp_path, limit=0)


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[start : start + size]


def test_async_round_trip(tmp_path: Path) -> None:
    data = png_bytes() * 50

    saved = asyncio.run(save_async(chunks_of(data, 1000), tmp_path, limit=MB))

    assert saved.sha256 == hashlib.sha256(data).hexdigest()
    assert saved.media_type == "image/png"
    assert saved.path.read_bytes() == data
    assert leftovers(tmp_path) == []


def test_async_refuses_past_the_limit(tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        asyncio.run(save_async(chunks_of(bytes(3 * MB), CHUNK), tmp_path, limit=2 * MB))

    assert leftovers(tmp_path) == []
    assert stored(tmp_path) == []


def test_async_refuses_an_empty_upload(tmp_path: Path) -> None:
    with pytest.raises(Invalid):
        asyncio.run(save_async(chunks_of(b"", 10), tmp_path, limit=MB))

    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("client_name", "payload", "media_type"),
    [
        ("photo.jpg", png_bytes(), "image/png"),
        ("photo.jpg", b"<!doctype html><script>alert(document.cookie)</script>", "text/plain"),
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "application/octet-stream"),
        ("report.pdf", b"\x7fELF\x02\x01\x01\x00", "application/octet-stream"),
    ],
)
def test_media_type_comes_from_the_bytes_not_the_name(
    tmp_path: Path, client_name: str, payload: bytes, media_type: str
) -> None:
    saved = save_stream([payload], tmp_path, limit=MB)

    assert saved.media_type == media_type
    assert safe_filename(client_name) == client_name  # kept for display only


@pytest.mark.parametrize(
    ("client_name", "safe"),
    [
        ("IMG_0042.JPG", "IMG_0042.JPG"),
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\..\\y", "y"),
        ("C:evil.exe", "evil.exe"),
        ("/absolute/path/photo.jpg", "photo.jpg"),
        ("..", "upload"),
        ("../..", "upload"),
        ("dir/", "upload"),
        ("evil.php\x00.jpg", "evil.php.jpg"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("  .hidden  ", "hidden"),
        ("Ստեփանակերտ.jpg", "Ստեփանակերտ.jpg"),
        ("", "upload"),
        (None, "upload"),
        ("\x00\x01\x02", "upload"),
    ],
)
def test_safe_filename(client_name: str | None, safe: str) -> None:
    assert safe_filename(client_name) == safe


def test_safe_filename_shortens_long_names_and_keeps_the_extension() -> None:
    name = safe_filename("a" * 1000 + ".jpeg")

    assert len(name) == store.MAX_NAME_LENGTH
    assert name.endswith("a.jpeg")
    assert len(safe_filename("b" * 1000)) == store.MAX_NAME_LENGTH


@given(st.one_of(st.none(), st.text(), st.text(alphabet="./\\:\x00 aé\u202e", max_size=30)))
def test_safe_filename_is_never_a_path(name: str | None) -> None:
    safe = safe_filename(name)

    assert 1 <= len(safe) <= store.MAX_NAME_LENGTH
    assert not set(safe) & {"/", "\\", "\x00", "\n", "\r"}
    assert safe not in {".", ".."}
    assert not safe.startswith(".")
    assert not {unicodedata.category(character) for character in safe} & {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


GOOD_HASH = hashlib.sha256(b"x").hexdigest()


@pytest.mark.parametrize(
    "sha256",
    [
        "",
        "abc",
        GOOD_HASH[:63],
        GOOD_HASH + "0",
        GOOD_HASH.upper(),
        GOOD_HASH + "\n",
        "g" * 64,
        "../" + GOOD_HASH[3:],
        "../../../../etc/passwd",
        "ab/" + GOOD_HASH[3:],
        GOOD_HASH[:62] + "/.",
    ],
)
def test_path_for_refuses_anything_but_a_lowercase_hex_digest(tmp_path: Path, sha256: str) -> None:
    with pytest.raises(Invalid, match="sha256"):
        path_for(tmp_path, sha256)
    with pytest.raises(Invalid):
        open_file(tmp_path, sha256)


def test_path_for_lies_under_the_store(tmp_path: Path) -> None:
    assert path_for(tmp_path, GOOD_HASH) == tmp_path / "evidence" / "sha256" / GOOD_HASH[:2] / GOOD_HASH


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        open_file(tmp_path, GOOD_HASH)
    with pytest.raises(NotFound):
        store.verify_file(tmp_path, GOOD_HASH)


def test_verify_detects_a_changed_file(tmp_path: Path) -> None:
    saved = save_stream([b"original footage"], tmp_path, limit=MB)
    saved.path.chmod(0o644)
    saved.path.write_bytes(b"doctored footage")

    assert not store.verify_file(tmp_path, saved.sha256)


def test_iter_hashes_lists_stored_files_only(tmp_path: Path) -> None:
    assert stored(tmp_path) == []
    hashes = sorted(save_stream([bytes([n])], tmp_path, limit=MB).sha256 for n in range(5))
    objects = tmp_path / "evidence" / "sha256"
    (objects / "README").write_text("not evidence")
    (objects / "zz").mkdir()
    (objects / "zz" / "zz").write_text("not evidence")
    misplaced = objects / hashes[0][:2] / GOOD_HASH
    misplaced.write_text("under the wrong prefix")
    save_stream([b"in flight"], tmp_path, limit=MB)
    hashes = sorted([*hashes, hashlib.sha256(b"in flight").hexdigest()])

    assert stored(tmp_path) == hashes


@given(st.lists(st.binary(max_size=5000), max_size=20).filter(lambda chunks: any(chunks)))
def test_any_chunking_hashes_like_hashlib(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)

        saved = save_stream(chunks, root, limit=len(data))

        assert saved.sha256 == hashlib.sha256(data).hexdigest()
        assert saved.size == len(data)
        assert saved.path.read_bytes() == data
        assert leftovers(root) == []


def test_a_cancelled_async_upload_leaves_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        first_chunk_sent = asyncio.Event()

        async def stalled_client() -> AsyncIterator[bytes]:
            yield b"first part"
            first_chunk_sent.set()
            await asyncio.Event().wait()  # the client never sends the rest
            yield b"never"

        upload = asyncio.create_task(save_async(stalled_client(), tmp_path, limit=MB))
        await first_chunk_sent.wait()
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload

    asyncio.run(scenario())

    assert leftovers(tmp_path) == []
    assert stored(tmp_path) == []
