"""`truce log verify` on every core: worker processes read and check ranges of the log on their own connections.

For committed data only (the command line): each worker opens its own read-only connection to the same database
and, for a range of whole subtrees of entries, reads the entries, checks each against its leaf hash and its own
index, builds the subtrees above them and compares them with the stored ones, one joined comparison per level.
Only hashes come back, so the entries' bytes cross no pipe and both cores read and hash. Anything that does not
match is only flagged: `verify` then checks the log in its own transaction as before, which names what is wrong.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from truce.integrity import hashing

# Ranges of this many batches are handed out in turn, so that a worker slowed down by other work takes fewer.
BATCHES_PER_RANGE = 4
MAX_WORKERS = 8

# A batch of entries comes as one row: how many, their UTF-8 bytes joined by newlines (canonical JSON escapes
# every control character, so a newline parts entries) and their leaf hashes joined, both aggregated in index
# order: a row per entry cost 1.0-1.5 s of CPU a million, the aggregates 0.65-0.7 s (BENCHMARKS.md). SQLite before
# 3.44 has no ORDER BY in an aggregate: it aggregates in the order of a subquery that has one (it does not flatten
# a subquery with ORDER BY into an aggregate query). An entry out of place would still show: each must name its
# own index, at its place in the batch.
_ORDERED_AGGREGATES = sqlite3.sqlite_version_info >= (3, 44, 0)
_ENTRIES = {
    "sqlite": (
        "SELECT count(*), CAST(group_concat(CAST(data AS BLOB), X'0a' ORDER BY idx) AS BLOB), "
        "CAST(group_concat(leaf_hash, '' ORDER BY idx) AS BLOB) FROM log_entries WHERE idx >= ? AND idx < ?"
        if _ORDERED_AGGREGATES
        else "SELECT count(*), CAST(group_concat(data, X'0a') AS BLOB), CAST(group_concat(leaf_hash, '') AS BLOB) "
        "FROM (SELECT CAST(data AS BLOB) AS data, leaf_hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx)"
    ),
    "postgresql": (
        "SELECT count(*), string_agg(convert_to(data, 'UTF8'), '\\x0a'::bytea ORDER BY idx), "
        "string_agg(leaf_hash, ''::bytea ORDER BY idx) FROM log_entries WHERE idx >= %s AND idx < %s"
    ),
}
# The stored subtrees of one level over a range, joined in index order.
_NODES = {
    "sqlite": (
        "SELECT CAST(group_concat(hash, '' ORDER BY idx) AS BLOB) FROM log_nodes WHERE level = ? AND idx >= ? AND "
        "idx < ?"
        if _ORDERED_AGGREGATES
        else "SELECT CAST(group_concat(hash, '') AS BLOB) FROM "
        "(SELECT hash FROM log_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx)"
    ),
    "postgresql": (
        "SELECT string_agg(hash, ''::bytea ORDER BY idx) FROM log_nodes WHERE level = %s AND idx >= %s AND idx < %s"
    ),
}


@dataclass(frozen=True)
class Range:
    """What a worker found in entries [start, end): their leaf hashes and the levels of complete subtrees above."""

    start: int
    end: int
    entries_clean: bool
    nodes_clean: bool = False
    leaves: bytes = b""
    levels: list[bytes] = field(default_factory=list)


@dataclass
class Checked:
    """The whole log as the workers found it: every entry clean; whether the stored subtrees they compared were."""

    leaves: bytearray
    levels: list[list[bytes]]
    nodes_clean: bool
    heights: int
    """Levels 1 to `heights` of stored subtrees were compared over the whole tree."""


def check(
    session: Session, url: str, size: int, batch: int, progress: Callable[[str, int], None] | None = None
) -> Checked | None:
    """Entries [0, size) checked by worker processes reading `url`; None unless every entry is there and clean.

    `size` is the log head's, read in `session`: an entry below it is never rewritten by Truce, so the workers
    may read the ranges on connections of their own while the server appends beyond it.
    """
    failures: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, BrokenProcessPool)
    if session.get_bind().dialect.name == "postgresql":
        import psycopg  # only then: importing it costs a quarter of a second

        failures += (psycopg.Error,)
    outside = session.execute(text("SELECT count(*) FROM log_entries WHERE idx < 0 OR idx >= :size"), {"size": size})
    if outside.scalar_one():
        return None  # entries beyond the head: the check in the session names them
    step = batch * BATCHES_PER_RANGE
    cuts = [(start, min(size, start + step)) for start in range(0, size, step)]
    workers = max(1, min(os.cpu_count() or 1, MAX_WORKERS, len(cuts)))
    # fork: the workers start at once with everything imported; they never touch the connections they inherit.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        futures: list[Future[Range]] = [pool.submit(check_range, url, a, b, batch) for a, b in cuts]
        found = Checked(bytearray(), [], nodes_clean=True, heights=0)
        for future in futures:
            done = future.result()
            if not done.entries_clean:
                return None
            found.leaves += done.leaves
            found.levels.append(done.levels)
            found.nodes_clean = found.nodes_clean and done.nodes_clean
            found.heights = max(found.heights, len(done.levels))
            if progress is not None:
                progress("entries", done.end)
        return found
    except failures:
        # A worker that cannot read (a file it may not open, a refused login) costs time, not a verdict.
        return None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def rest_intact(session: Session, levels: list[bytearray], heights: int) -> bool:
    """Whether the stored subtrees the workers did not compare are the tree's: none beyond the tree at the levels
    they compared, and every one of the levels above (a few hundred hashes at most)."""
    for level in range(1, len(levels)):
        count = len(levels[level]) // 32
        if level <= heights:
            query = "SELECT count(*) FROM log_nodes WHERE level = :level AND (idx < 0 OR idx >= :count)"
            if session.execute(text(query), {"level": level, "count": count}).scalar_one():
                return False
            continue
        rows = session.execute(
            text("SELECT idx, hash FROM log_nodes WHERE level = :level ORDER BY idx"), {"level": level}
        )
        stored = rows.all()
        if [idx for idx, _ in stored] != list(range(count)) or b"".join(bytes(h) for _, h in stored) != levels[level]:
            return False
    beyond = session.execute(text("SELECT count(*) FROM log_nodes WHERE level >= :level"), {"level": len(levels)})
    return not beyond.scalar_one()


# --- in a worker ---------------------------------------------------------------------------------------------

_opened: dict[str, tuple[str, Any]] = {}


def check_range(url: str, start: int, end: int, batch: int) -> Range:
    """Entries [start, end) (`start` a multiple of every subtree it builds) and the stored subtrees above them."""
    dialect, connection = _connection(url)
    leaves = bytearray()
    for first in range(start, end, batch):
        last = min(end, first + batch)
        count, joined_data, stored = _fetch(dialect, connection, _ENTRIES[dialect], (first, last))
        datas = joined_data.split(b"\n") if joined_data else []
        if count != last - first or len(datas) != count:
            return Range(start, end, entries_clean=False)
        joined, claims = hashing.leaves(first, datas)
        if not claims or joined != stored:
            return Range(start, end, entries_clean=False)
        leaves += joined
    levels = hashing.levels_above(bytes(leaves))
    nodes_clean = True
    for height, level in enumerate(levels, 1):
        first = start >> height
        (nodes,) = _fetch(dialect, connection, _NODES[dialect], (height, first, first + len(level) // 32))
        if (nodes or b"") != level:
            nodes_clean = False
            break
    return Range(start, end, entries_clean=True, nodes_clean=nodes_clean, leaves=bytes(leaves), levels=levels)


def _connection(url: str) -> tuple[str, Any]:
    """This worker's own read-only connection to the database at `url`, opened on its first range."""
    if url in _opened:
        return _opened[url]
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    connection: Any
    if dialect == "sqlite":
        path = Path(parsed.database or "").resolve()
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    else:
        import psycopg

        connection = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
        connection.read_only = True
    # Closed as the worker exits (the pool's workers end through multiprocessing's exit function).
    multiprocessing.util.Finalize(None, connection.close, exitpriority=0)
    _opened[url] = (dialect, connection)
    return _opened[url]


def _fetch(dialect: str, connection: Any, sql: str, parameters: tuple[int, ...]) -> tuple[Any, ...]:
    """The one row of an aggregate query."""
    if dialect == "sqlite":
        return tuple(connection.execute(sql, parameters).fetchone())
    # Binary results: the bytes as they are stored, no hex to decode.
    with connection.cursor(binary=True) as cursor:
        cursor.execute(sql, parameters)
        return tuple(cursor.fetchone())
