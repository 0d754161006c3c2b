"""The log as C2SP tlog-tiles: hash tiles of 256 hashes and entry bundles, read from the stored tree.

A tile at level L holds the hashes of tree level 8L: level 0 the leaf hashes (from the entries), level 1 the
subtrees of 256 leaves, and so on (log_nodes keeps every complete subtree, so each tile is one range read). Tile
N is the 256 hashes from N * 256; a partial tile `.p/W` is its first W hashes while the tree grows. An entry
bundle holds the entries of level-0 tile N, each its 2-byte big-endian length then its bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.errors import NotFound
from truce.ledger.models import LogEntry, LogNode

WIDTH = 256
HEIGHT = 8
MAX_LEVEL = 63
_GROUP = re.compile(r"[0-9]{3}")
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")


@dataclass(frozen=True)
class Tile:
    """One resource under `tile/`: a hash tile of level `level`, or an entry bundle (`level` None)."""

    level: int | None
    index: int
    width: int = WIDTH

    @property
    def partial(self) -> bool:
        return self.width < WIDTH

    def path(self) -> str:
        """`tile/0/x001/x234/067.p/8` or `tile/entries/000`, as the spec writes it."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{format_index(self.index)}{suffix}"


def format_index(index: int) -> str:
    """N in groups of three digits, `x` before every group but the last: 1234067 -> x001/x234/067."""
    digits = f"{index:03d}"
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[at : at + 3] for at in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse(path: str) -> Tile:
    """The tile a path under `tile/` names (without the `tile/`); NotFound for anything the spec does not name."""
    level_text, _, rest = path.partition("/")
    if level_text == "entries":
        level = None
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise NotFound(f"no tile {path!r}: the level is 0-{MAX_LEVEL} or 'entries'")
    width = WIDTH
    index_text, dot, width_text = rest.partition(".p/")
    if dot:
        if not _WIDTH.fullmatch(width_text) or not 1 <= int(width_text) < WIDTH:
            raise NotFound(f"no tile {path!r}: a partial tile's width is 1-255")
        width = int(width_text)
    groups = index_text.split("/")
    if not groups or not all(_GROUP.fullmatch(g.removeprefix("x")) for g in groups):
        raise NotFound(f"no tile {path!r}: the index is groups of three digits, x001/x234/067")
    if any(not g.startswith("x") for g in groups[:-1]) or groups[-1].startswith("x"):
        raise NotFound(f"no tile {path!r}: every group but the last starts with x")
    index = int("".join(g.removeprefix("x") for g in groups))
    if format_index(index) != index_text:
        raise NotFound(f"no tile {path!r}: the index has leading zero groups")
    return Tile(level, index, width)


def hashes_at(size: int, tile_level: int) -> int:
    """How many complete hashes tile level `tile_level` has in a tree of `size` leaves."""
    return size >> (HEIGHT * tile_level)


def _check_available(tile: Tile, size: int) -> None:
    level = 0 if tile.level is None else tile.level
    available = hashes_at(size, level) - tile.index * WIDTH
    if available < tile.width:
        raise NotFound(f"{tile.path()} is not in the tree of {size} entries (yet)")


def hash_tile(session: Session, tile: Tile, size: int) -> bytes:
    """The concatenated hashes of a hash tile of the tree of `size` entries."""
    assert tile.level is not None
    _check_available(tile, size)
    first = tile.index * WIDTH
    if tile.level == 0:
        query = select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx >= first, LogEntry.idx < first + tile.width)
    else:
        query = select(LogNode.idx, LogNode.hash).where(
            LogNode.level == HEIGHT * tile.level, LogNode.idx >= first, LogNode.idx < first + tile.width
        )
    rows = session.execute(query.order_by(query.selected_columns[0])).all()
    if len(rows) != tile.width or (rows and rows[0][0] != first):
        raise NotFound(f"{tile.path()}: the stored tree lacks some of its hashes; run `truce log verify`")
    return b"".join(bytes(h) for _, h in rows)


class BundleEntry(NamedTuple):
    """What an entry bundle needs of an entry, and what deciding who may read it needs."""

    idx: int
    mission_id: int | None
    entity_type: str
    entity_id: str
    data: str


def bundle_entries(session: Session, tile: Tile, size: int) -> list[BundleEntry]:
    """The entries of an entry bundle, in order."""
    _check_available(tile, size)
    first = tile.index * WIDTH
    # Plain rows, not LogEntry objects: a replica's catch-up reads every bundle, and the ORM cost half of each.
    query = (
        select(LogEntry.idx, LogEntry.mission_id, LogEntry.entity_type, LogEntry.entity_id, LogEntry.data)
        .where(LogEntry.idx >= first, LogEntry.idx < first + tile.width)
        .order_by(LogEntry.idx)
    )
    found = [BundleEntry(*row) for row in session.execute(query)]
    if len(found) != tile.width:
        raise NotFound(f"{tile.path()}: entries are missing from the log; run `truce log verify`")
    return found


def bundle(entries: list[BundleEntry]) -> bytes:
    """The entry bundle's bytes: each entry's 2-byte big-endian length, then the entry."""
    out = bytearray()
    for entry in entries:
        data = entry.data.encode("utf-8")
        if len(data) > 0xFFFF:
            raise NotFound(f"entry {entry.idx} is longer than an entry bundle can carry; read it from the entries API")
        out += len(data).to_bytes(2, "big") + data
    return bytes(out)
