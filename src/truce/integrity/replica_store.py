"""A replica's own copy of the log in one SQLite file: entries, the hash tiles' upper levels, and its alarms.

`entries` holds every leaf hash, and the entry's bytes when the delegation may read it. `nodes` holds the roots of
complete subtrees of 256^L leaves (tree level 8L), the hashes of the level-L tiles, computed from the verified leaves
as they are kept; so every tile the replica serves comes from one range read, as on the server.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from truce.errors import NotFound
from truce.integrity.mirror import Piece, subtree_root
from truce.ledger import merkle, tiles

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                                  PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL,
                                   reason TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL);
"""
_SPAN = tiles.WIDTH  # hashes under one node of the next tile level


class Store:
    """The SQLite file of one replica."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self.transaction() as connection:
            connection.executescript(_SCHEMA)

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        # A kill -9 loses at most the last transaction, which the state file does not count yet.
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection whose work commits as one transaction (rolled back on an error), closed after."""
        connection = self.connect()
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def keep(self, pieces: list[Piece], start: int, end: int) -> None:
        """Keep verified entries [start, end) and the tile hashes they complete, in one transaction."""
        rows = [
            (piece.start + i, piece.leaves[32 * i : 32 * i + 32], None if d is None else d.decode("utf-8"))
            for piece in pieces
            for i, d in enumerate(piece.data)
        ]
        leaves = b"".join(piece.leaves for piece in pieces)
        with self.transaction() as connection:
            connection.executemany("INSERT OR REPLACE INTO entries (idx, leaf, data) VALUES (?, ?, ?)", rows)
            self._add_nodes(connection, leaves, start, end)

    def _add_nodes(self, connection: sqlite3.Connection, leaves: bytes, start: int, end: int) -> None:
        """The roots of the subtrees of 256^L leaves that [start, end) completes, level by level."""
        level, width = 1, _SPAN
        while width <= end:
            found = []
            for index in range(start // width, end // width):
                first = index * _SPAN  # the first hash of the level below
                if level == 1 and first >= start:
                    lower = leaves[32 * (first - start) : 32 * (first - start + _SPAN)]
                else:
                    lower = self.hashes(connection, level - 1, first, _SPAN)
                found.append((tiles.HEIGHT * level, index, subtree_root(_split(lower))))
            connection.executemany("INSERT OR REPLACE INTO nodes (level, idx, hash) VALUES (?, ?, ?)", found)
            level, width = level + 1, width * _SPAN

    @staticmethod
    def hashes(connection: sqlite3.Connection, tile_level: int, first: int, count: int) -> bytes:
        """The hashes `first` to `first + count - 1` of tile level `tile_level`, joined."""
        if tile_level == 0:
            query = "SELECT leaf FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"
            rows = connection.execute(query, (first, first + count)).fetchall()
        else:
            query = "SELECT hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"
            rows = connection.execute(query, (tiles.HEIGHT * tile_level, first, first + count)).fetchall()
        if len(rows) != count:
            raise NotFound(f"the replica lacks hashes {first}-{first + count - 1} of tile level {tile_level}")
        return b"".join(bytes(row[0]) for row in rows)

    def tile(self, tile: tiles.Tile, size: int) -> bytes | None:
        """A tile of the verified tree of `size` entries; None for a bundle with entries the replica cannot read."""
        level = 0 if tile.level is None else tile.level
        if tiles.hashes_at(size, level) - tile.index * tiles.WIDTH < tile.width:
            raise NotFound(f"{tile.path()} is not in the {size} entries this replica verified (yet)")
        connection = self.connect()
        try:
            if tile.level is not None:
                return self.hashes(connection, tile.level, tile.index * tiles.WIDTH, tile.width)
            first = tile.index * tiles.WIDTH
            query = "SELECT data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"
            found = [row[0] for row in connection.execute(query, (first, first + tile.width))]
        finally:
            connection.close()
        if len(found) != tile.width or any(d is None for d in found):
            return None
        encoded = [d.encode("utf-8") for d in found]
        return b"".join(len(d).to_bytes(2, "big") + d for d in encoded)

    def root_at(self, size: int) -> bytes:
        """The root of the first `size` verified entries: whole tiles from their level-1 hashes, then leaves."""
        whole = size // _SPAN
        connection = self.connect()
        try:
            upper = merkle.CompactRange()  # the level-1 hashes combine as leaves do, one level of 256 up
            upper.extend(_split(self.hashes(connection, 1, 0, whole)))
            tree = merkle.CompactRange.from_border(whole * _SPAN, upper.border_hashes())
            tree.extend(_split(self.hashes(connection, 0, whole * _SPAN, size - whole * _SPAN)))
        finally:
            connection.close()
        return tree.root()

    def alarm(self, kind: str, reason: str, first: str, second: str) -> None:
        with self.transaction() as connection:
            known = connection.execute("SELECT 1 FROM alarms WHERE first = ? AND second = ?", (first, second))
            if known.fetchone() is None:
                connection.execute(
                    "INSERT INTO alarms (at, kind, reason, first, second) VALUES (?, ?, ?, ?, ?)",
                    (time.time(), kind, reason, first, second),
                )

    def alarms(self) -> list[dict[str, Any]]:
        connection = self.connect()
        try:
            rows = connection.execute("SELECT at, kind, reason, first, second FROM alarms ORDER BY id").fetchall()
        finally:
            connection.close()
        return [{"at": at, "kind": kind, "reason": reason, "first": a, "second": b} for at, kind, reason, a, b in rows]


def _split(joined: bytes) -> list[bytes]:
    return [joined[at : at + 32] for at in range(0, len(joined), 32)]
