"""A big log fast: entries with correct leaf hashes, their subtree hashes and the head, inserted in bulk.

What `ledger.record` would have written for `count` notes of the demo mission (classified `mission`, so every
member may read them), without the records themselves: enough for anything that reads only the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from truce.db import connect
from truce.ledger import merkle
from truce.ledger.canonical import canonical_json
from truce.ledger.models import LogEntry, LogHead, LogNode
from truce.ledger.store import HEAD_ID

BATCH = 20_000


def extend(url: str, count: int, mission_id: int = 1) -> int:
    """Append `count` entries to the log of the database at `url`; the log's size after."""
    db = connect(url)
    try:
        with db.engine.begin() as connection:
            size, border = connection.execute(select(LogHead.size, LogHead.border).where(LogHead.id == HEAD_ID)).one()
            tree = merkle.CompactRange.from_border(size, [bytes.fromhex(h) for h in border])
            end = size + count
            while tree.size < end:
                entries, nodes = _batch(tree, min(end, tree.size + BATCH), mission_id)
                connection.execute(insert(LogEntry), entries)
                connection.execute(insert(LogNode), nodes)
            border_hex = [h.hex() for h in tree.border_hashes()]
            connection.execute(update(LogHead).where(LogHead.id == HEAD_ID).values(size=tree.size, border=border_hex))
    finally:
        db.dispose()
    return end


def _batch(tree: merkle.CompactRange, end: int, mission_id: int) -> tuple[list[dict[str, object]], list[object]]:
    start_time = datetime(2021, 1, 1, tzinfo=UTC)
    entries: list[dict[str, object]] = []
    nodes: list[object] = []
    for index in range(tree.size, end):
        when = start_time + timedelta(microseconds=index * 7919)
        entity = {"classification": "mission", "id": index, "mission_id": mission_id, "note": f"round {index}"}
        data = canonical_json({"action": "bench.note", "actor": "admin", "delegation": "ru", "entity": entity,
                               "entity_id": str(index), "entity_type": "bench", "evidence": [], "index": index,
                               "mission_id": mission_id, "time": when.isoformat()})  # fmt: skip
        leaf = merkle.leaf_hash(data.encode("utf-8"))
        nodes += [{"level": level, "idx": at, "hash": h} for level, at, h in tree.append(leaf)[1:]]
        entries.append({"idx": index, "time": when, "mission_id": mission_id, "actor": "admin",
                        "delegation": "ru", "action": "bench.note", "entity_type": "bench",
                        "entity_id": str(index), "data": data, "leaf_hash": leaf})  # fmt: skip
    return entries, nodes
