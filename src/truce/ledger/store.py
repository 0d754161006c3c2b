"""Storing a batch of entries: the rows, the subtrees they complete and the head, in the caller's transaction.

The journal (`journal.py`) is the only caller: it hands over every entry of a transaction at once, just before
the commit, so a request's writes cost one read and one update of the head and one INSERT per table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from truce import driver
from truce.db import Base, utcnow
from truce.ledger import merkle
from truce.ledger.canonical import canonical_json, entity_id, entity_type, snapshot
from truce.ledger.models import LogEntry, LogHead, LogNode
from truce.policy import Actor

HEAD_ID = 1
# In the pooled connection's info: the head it wrote last, which outlives the transaction (it may be stale).
LAST_HEAD = "truce_log_last_head"

Head = tuple[int, list[bytes]]
"""The tree's size and the hashes of its right border, largest first."""

AppendListener = Callable[[Session, Sequence[dict[str, Any]]], None]
"""Told of every batch of entries as they are stored, in the same transaction: the place for events (issue 22).

Each entry is a dict of `LogEntry` columns (`idx`, `time`, `mission_id`, `actor`, `delegation`, `action`,
`entity_type`, `entity_id`, `data`, `leaf_hash`). A listener may add rows to the session (they commit or roll back
with the entries); it must not record log entries itself.
"""
_APPEND_LISTENERS: list[AppendListener] = []


def listen(listener: AppendListener) -> None:
    """Call `listener` with every batch of entries stored from now on (once per listener, however often given)."""
    if listener not in _APPEND_LISTENERS:
        _APPEND_LISTENERS.append(listener)


def body(actor: Actor, action: str, record: Base, deleted: bool, evidence: Sequence[str]) -> dict[str, Any]:
    """An entry's content before it has an index and a time: who did what to which record, and its state now."""
    kind = entity_type(record)
    record_id = entity_id(record)
    mission_id = record_id if kind == "missions" else getattr(record, "mission_id", None)
    return {
        "action": action,
        "actor": actor.username or "anonymous",
        "delegation": actor.delegation_code,
        "entity": None if deleted else snapshot(record),
        "entity_id": record_id,
        "entity_type": kind,
        "evidence": sorted(evidence),
        "mission_id": None if mission_id is None else int(mission_id),
    }


def append(session: Session, bodies: Sequence[dict[str, Any]], held: Head | None) -> tuple[list[dict[str, Any]], Head]:
    """Store the entries of `bodies` and the subtrees they complete; their columns, and the head after them.

    `held`: the head this transaction wrote last, if it wrote one (then it holds the head's lock already).
    """
    connection = session.connection()
    cursor = _STATEMENTS.on(connection)
    try:
        # The head this connection wrote last, if this transaction does not hold the head yet: most often it
        # is still the head, and the UPDATE that takes the lock checks that it is (then no SELECT is needed).
        guess: Head | None = None if held else connection.info.get(LAST_HEAD)
        head = held or guess or _lock_head(cursor)
        entries, nodes, tree = entry_rows(bodies, head)
        if guess is not None and not _swap_head(cursor, guess, tree):
            head = _lock_head(cursor)
            entries, nodes, tree = entry_rows(bodies, head)
            guess = None
        if guess is None:
            cursor.execute("write_head", [{"new_size": tree.size, "new_border": _hex(tree.border_hashes())}])
        # A batch goes in with one statement per table.
        cursor.execute("insert_entries", entries)
        cursor.execute("insert_nodes", nodes)
    finally:
        cursor.close()
    for listener in _APPEND_LISTENERS:
        listener(session, entries)
    written: Head = (tree.size, tree.border_hashes())
    connection.info[LAST_HEAD] = written
    # A head object the session loaded earlier is stale now.
    loaded = session.identity_map.get(_HEAD_KEY)
    if loaded is not None:
        session.expire(loaded)
    return entries, written


def entry_rows(
    bodies: Sequence[dict[str, Any]], head: Head
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], merkle.CompactRange]:
    """The rows of the entries of `bodies` appended to the tree `head`, of the subtrees they complete, and the tree.

    What `append` stores; a bulk loader that sends the rows itself (benchmarks/backup_restore.py, with COPY)
    builds them here, so that its log is the one the journal would have written.
    """
    tree = merkle.CompactRange.from_border(*head)
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for content in bodies:
        time = utcnow()
        data = canonical_json({**content, "index": tree.size, "time": time.isoformat()})
        leaf = merkle.leaf_hash(data.encode("utf-8"))
        entries.append(
            {
                "idx": tree.size,
                "time": time,
                "mission_id": content.get("mission_id"),
                "actor": content["actor"],
                "delegation": content["delegation"],
                "action": content["action"],
                "entity_type": content["entity_type"],
                "entity_id": content["entity_id"],
                "data": data,
                "leaf_hash": leaf,
            }
        )
        nodes += [{"level": level, "idx": index, "hash": node} for level, index, node in tree.append(leaf)[1:]]
    return entries, nodes, tree


def _lock_head(cursor: driver.Cursor) -> Head:
    """The head as stored, locked for this transaction; created empty when the log has none."""
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite writers already hold the write lock.
    row = cursor.fetchone("lock_head", {})
    if row is None:
        cursor.execute("create_head", [{}])
        return (0, [])
    return (row[0], [bytes.fromhex(h) for h in row[1]])


def _swap_head(cursor: driver.Cursor, expected: Head, tree: merkle.CompactRange) -> bool:
    """Write the head of `tree` if the stored head is `expected`; whether it was (the row is locked then)."""
    # Equal size and border mean the same tree. On PostgreSQL the UPDATE waits for a concurrent appender and
    # then checks the head it committed.
    changed = {
        "new_size": tree.size,
        "new_border": _hex(tree.border_hashes()),
        "old_size": expected[0],
        "old_border": _hex(expected[1]),
    }
    return cursor.execute("swap_head", [changed]) == 1


def _hex(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


_HEADS = cast(Table, LogHead.__table__)
READ_HEAD = select(_HEADS.c.size, _HEADS.c.border).where(_HEADS.c.id == HEAD_ID)
_HEAD_KEY = LogHead.__mapper__.identity_key_from_primary_key((HEAD_ID,))


def _prepare(dialect: Dialect) -> dict[str, driver.Prepared]:
    entry_columns = [column.key for column in cast(Table, LogEntry.__table__).columns]
    size_type, border_type = _HEADS.c.size.type, _HEADS.c.border.type
    write_head = (
        update(_HEADS)
        .where(_HEADS.c.id == HEAD_ID)
        .values(size=bindparam("new_size", type_=size_type), border=bindparam("new_border", type_=border_type))
    )
    swap_head = write_head.where(
        _HEADS.c.size == bindparam("old_size", type_=size_type),
        # The stored text is what the same bind processor wrote; JSONB compares values on PostgreSQL.
        _HEADS.c.border == bindparam("old_border", type_=border_type),
    )
    return {
        "lock_head": driver.Prepared(READ_HEAD.with_for_update(), dialect),
        "create_head": driver.Prepared(insert(_HEADS).values(id=HEAD_ID, size=0, border=[]), dialect),
        "insert_entries": driver.Prepared(insert(cast(Table, LogEntry.__table__)), dialect, entry_columns),
        "insert_nodes": driver.Prepared(insert(cast(Table, LogNode.__table__)), dialect, ["level", "idx", "hash"]),
        "write_head": driver.Prepared(write_head, dialect),
        "swap_head": driver.Prepared(swap_head, dialect),
    }


# Core's execute cost more per statement than hashing and storing the entry (benchmarks/ledger_costs.py).
_STATEMENTS = driver.Statements(_prepare)
