"""Fetching a range of the log as C2SP tlog-tiles and checking every entry of it against its level-0 hash tile.

A range is fetched a tile at a time: the level-0 hash tile (`tile/0/<N>[.p/<W>]`) and the entry bundle
(`tile/entries/<N>[.p/<W>]`); when the caller may not read every entry of a bundle (the server answers 403), the
entries API gives the entries it may read and the leaf hashes of the others, each checked against the tile. A range
that starts inside a tile takes that tile's remaining entries from the entries API, so nothing verified before is
fetched again. Fetches run in a thread pool; checking is one joined comparison per tile, entry by entry only when
it fails, to name the entry.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from truce.integrity import audit as party
from truce.ledger import merkle, tiles

PREFIX = "/api/v1/log/tiles"
_LEAF = b"\x00"


class Unavailable(Exception):
    """The server failed to answer (5xx): nothing is proved either way, so no alarm; the next round tries again."""


@dataclass
class Piece:
    """Entries [start, end) as fetched: their leaf hashes joined, and each entry's bytes (None: not readable)."""

    start: int
    end: int
    leaves: bytes = b""
    data: list[bytes | None] = field(default_factory=list)


def tile_path(level: int | None, index: int, width: int) -> str:
    return f"{PREFIX}/{tiles.Tile(level, index, width).path()}"


def get_bytes(client: party.HttpClient, path: str) -> bytes | None:
    """The body of a tile; None when the server refuses it (403: entries the caller may not read)."""
    answer = client.get(path)
    if answer.status_code == 403:
        return None
    if answer.status_code >= 500:
        raise Unavailable(f"the server answered {answer.status_code} for {path}")
    if answer.status_code != 200:
        raise party.AuditError(f"the server answered {answer.status_code} for {path.removeprefix(PREFIX + '/')}")
    return bytes(answer.content)


def pieces(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at tile boundaries: one piece per level-0 tile."""
    cuts = []
    while start < end:
        stop = min(end, (start // tiles.WIDTH + 1) * tiles.WIDTH)
        cuts.append((start, stop))
        start = stop
    return cuts


def submit(pool: Executor, client: party.HttpClient, start: int, end: int) -> list[Future[Piece]]:
    """Start fetching [start, end), a tile per task."""
    return [pool.submit(fetch_piece, client, a, b) for a, b in pieces(start, end)]


def fetch_piece(client: party.HttpClient, start: int, end: int) -> Piece:
    """Entries [start, end) within one tile: the hash tile and the bundle, or the entries API."""
    index, offset = divmod(start, tiles.WIDTH)
    if offset:
        return _from_entries_api(client, start, end, None)
    width = end - start
    leaves = get_bytes(client, tile_path(0, index, width))
    if leaves is None or len(leaves) != 32 * width:
        raise party.AuditError(f"the level-0 tile {index} (width {width}) is not {width} hashes")
    bundle = get_bytes(client, tile_path(None, index, width))
    if bundle is None:
        return _from_entries_api(client, start, end, leaves)
    return Piece(start, end, leaves, list(_split_bundle(bundle, start, width)))


def _split_bundle(bundle: bytes, start: int, width: int) -> list[bytes | None]:
    entries: list[bytes | None] = []
    at = 0
    while at < len(bundle):
        length = int.from_bytes(bundle[at : at + 2], "big")
        entries.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    if len(entries) != width or at != len(bundle):
        raise party.AuditError(f"the entry bundle of entries {start}-{start + width - 1} does not hold {width} entries")
    return entries


def _from_entries_api(client: party.HttpClient, start: int, end: int, tile: bytes | None) -> Piece:
    """Entries [start, end) from the entries API; their leaf hashes must be the tile's when there is one."""
    answer = client.get("/api/v1/log/entries", params={"start": start, "end": end})
    if answer.status_code != 200:
        raise party.AuditError(f"the server answered {answer.status_code} for entries {start}-{end - 1}")
    served = {e["index"]: e for e in answer.json() if isinstance(e, dict)}
    leaves = bytearray()
    data: list[bytes | None] = []
    for index in range(start, end):
        leaf, shown = _served(index, served.get(index))
        leaves += leaf
        data.append(shown)
    if tile is not None and bytes(leaves) != tile:
        first = next(i for i in range(end - start) if leaves[32 * i : 32 * i + 32] != tile[32 * i : 32 * i + 32])
        raise party.AuditError(f"entry {start + first}: the entries API and the level-0 tile give other leaf hashes")
    return Piece(start, end, bytes(leaves), data)


def _served(index: int, entry: dict[str, Any] | None) -> tuple[bytes, bytes | None]:
    """One served entry's leaf hash and data (None when the caller may not read it), as `check` takes them."""
    if entry is None:
        raise party.AuditError(f"entry {index}: the server did not serve it (deleted from the log)")
    try:
        leaf = bytes.fromhex(entry["leaf_hash"])
    except (KeyError, TypeError, ValueError):
        raise party.AuditError(f"entry {index}: served without a readable leaf hash") from None
    if len(leaf) != merkle.HASH_SIZE:
        raise party.AuditError(f"entry {index}: its leaf hash is not 32 bytes")
    shown = entry.get("data")
    return leaf, None if shown is None else str(shown).encode("utf-8")


def check(piece: Piece) -> None:
    """Every readable entry hashes to its leaf hash and names its own index; the first that does not is named."""
    readable = [(piece.start + i, d) for i, d in enumerate(piece.data) if d is not None]
    if not readable:
        return
    sha256 = hashlib.sha256
    if len(readable) == len(piece.data):
        hashed = b"".join([sha256(_LEAF + d).digest() for _, d in readable])
        if hashed == piece.leaves and _claims_match(readable):
            return
    for index, data in readable:
        offset = 32 * (index - piece.start)
        if sha256(_LEAF + data).digest() != piece.leaves[offset : offset + 32]:
            raise party.AuditError(f"entry {index} ({_record(data)}): its data does not hash to its leaf hash (edited)")
        claimed = party._claimed_index(data.decode("utf-8", "replace"))
        if claimed != index:
            raise party.AuditError(f"entry {index} ({_record(data)}): its data says index {claimed} (moved or swapped)")


def _claims_match(readable: list[tuple[int, bytes]]) -> bool:
    # Only says yes when party._claimed_index would: keys are sorted, so the last "index" key is the entry's own.
    return all(data.startswith(b'"index":%d,' % idx, data.rfind(b'"index":')) for idx, data in readable)


def _record(data: bytes) -> str:
    return party._record(data.decode("utf-8", "replace"))


def subtree_root(hashes: list[bytes]) -> bytes:
    """The root of a complete subtree from its 2^k lowest hashes, pairwise up."""
    sha256 = hashlib.sha256
    while len(hashes) > 1:
        hashes = [sha256(b"\x01" + hashes[i] + hashes[i + 1]).digest() for i in range(0, len(hashes), 2)]
    return hashes[0]


def split(joined: bytes) -> list[bytes]:
    return [joined[at : at + 32] for at in range(0, len(joined), 32)]
