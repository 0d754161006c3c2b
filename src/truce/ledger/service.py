"""Append to the log inside the caller's transaction, and read the tree back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from truce.db import Base, utcnow
from truce.ledger import merkle
from truce.ledger.canonical import canonical_json, entity_id, entity_type, snapshot
from truce.ledger.models import LogEntry, LogHead, LogNode
from truce.policy import Actor

HEAD_ID = 1


def append(
    session: Session,
    actor: Actor,
    action: str,
    record: Base,
    *,
    deleted: bool = False,
    evidence: Sequence[str] = (),
) -> LogEntry:
    """Log one write of `record`; the entry commits or rolls back with the change itself."""
    session.flush()
    kind = entity_type(record)
    mission_id = entity_id(record) if kind == "missions" else getattr(record, "mission_id", None)
    body: dict[str, Any] = {
        "action": action,
        "actor": actor.username or "anonymous",
        "delegation": actor.delegation_code,
        "entity": None if deleted else snapshot(record),
        "entity_id": entity_id(record),
        "entity_type": kind,
        "evidence": sorted(evidence),
        "mission_id": None if mission_id is None else int(mission_id),
    }
    return append_body(session, body)


def append_body(session: Session, body: dict[str, Any]) -> LogEntry:
    """Give `body` the next index and time, hash it into the tree and store it."""
    head = _locked_head(session)
    time = utcnow()
    body = {**body, "index": head.size, "time": time.isoformat()}
    data = canonical_json(body)
    leaf = merkle.leaf_hash(data.encode("utf-8"))
    border = [bytes.fromhex(h) for h in head.border]
    for level, index, node in _merge(border, leaf, head.size):
        session.add(LogNode(level=level, idx=index, hash=node))
    entry = LogEntry(
        idx=head.size,
        time=time,
        mission_id=body.get("mission_id"),
        actor=body["actor"],
        delegation=body["delegation"],
        action=body["action"],
        entity_type=body["entity_type"],
        entity_id=body["entity_id"],
        data=data,
        leaf_hash=leaf,
    )
    session.add(entry)
    head.size += 1
    head.border = [h.hex() for h in border]
    session.flush()
    return entry


def _locked_head(session: Session) -> LogHead:
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite writers already hold the write lock.
    head = session.execute(select(LogHead).where(LogHead.id == HEAD_ID).with_for_update()).scalar_one_or_none()
    if head is None:
        head = LogHead(id=HEAD_ID, size=0, border=[])
        session.add(head)
        session.flush()
    return head


def _merge(border: list[bytes], leaf: bytes, index: int) -> list[tuple[int, int, bytes]]:
    """Fold a new leaf into the right border; return the complete subtrees it finishes."""
    node, level, finished = leaf, 0, []
    while index & 1:
        node = merkle.node_hash(border.pop(), node)
        level += 1
        index >>= 1
        finished.append((level, index, node))
    border.append(node)
    return finished


def border_root(border: Sequence[bytes]) -> bytes:
    """The tree head from the right border's subtree hashes."""
    if not border:
        return merkle.EMPTY_ROOT
    root = border[-1]
    for node in reversed(border[:-1]):
        root = merkle.node_hash(node, root)
    return root


def size(session: Session) -> int:
    """How many entries the log holds."""
    head = session.get(LogHead, HEAD_ID)
    return head.size if head else 0


def current_root(session: Session) -> tuple[int, bytes]:
    """The log's size and root hash now."""
    head = session.get(LogHead, HEAD_ID)
    if head is None:
        return 0, merkle.EMPTY_ROOT
    return head.size, border_root([bytes.fromhex(h) for h in head.border])


class StoredNodes:
    """Reads complete subtree hashes: leaves from the entries, higher levels from log_nodes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def node(self, level: int, index: int) -> bytes:
        return self.nodes([(level, index)])[0]

    def nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        found: dict[tuple[int, int], bytes] = {}
        leaves = [index for level, index in coords if level == 0]
        inner = [(level, index) for level, index in coords if level > 0]
        if leaves:
            rows = self.session.execute(select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx.in_(leaves)))
            found.update({(0, idx): leaf for idx, leaf in rows})
        if inner:
            rows = self.session.execute(
                select(LogNode.level, LogNode.idx, LogNode.hash).where(tuple_(LogNode.level, LogNode.idx).in_(inner))
            )
            found.update({(level, idx): node for level, idx, node in rows})
        missing = [c for c in coords if c not in found]
        if missing:
            raise LookupError(f"the log lacks subtree hashes {missing[:5]}")
        return [found[c] for c in coords]
