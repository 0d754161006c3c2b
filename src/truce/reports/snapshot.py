"""A mission's public records as the log recorded them up to a given size: what a bulletin is built from.

The tables hold only the latest state and may have changed since a bulletin was published; the log's
entries keep every state, each as canonical JSON under a leaf hash. Replaying them up to a tree size
gives the same records, byte for byte, on every machine that holds the same log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.errors import Conflict
from truce.ledger import merkle
from truce.ledger.canonical import canonical_json
from truce.ledger.models import LogEntry

# The kinds of record a bulletin may draw on (delegations: the publisher's name, in a bulletin not in English).
KINDS = ("missions", "areas", "lines", "sites", "incidents", "provisions", "delegations")
BATCH = 5_000


@dataclass(frozen=True)
class Version:
    """A record as one log entry recorded it."""

    kind: str
    id: str
    index: int
    entity: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.entity).encode("utf-8")).hexdigest()


@dataclass
class Snapshot:
    """The latest logged version of each record of the mission, as of `size` entries."""

    mission_id: int
    size: int
    records: dict[str, dict[str, Version]] = field(default_factory=dict)

    def public(self, kind: str) -> list[Version]:
        """The public records of one kind, by id."""
        found = [v for v in self.records.get(kind, {}).values() if v.entity.get("classification") == "public"]
        return sorted(found, key=lambda v: int(v.id))

    def mission(self) -> dict[str, Any]:
        version = self.records.get("missions", {}).get(str(self.mission_id))
        if version is None:
            raise Conflict(f"the log holds no record of mission {self.mission_id} within its first {self.size} entries")
        return version.entity


def at(session: Session, mission_id: int, size: int) -> Snapshot:
    """Replay the mission's entries with index below `size`; refuses an entry whose data no longer matches its hash."""
    snapshot = Snapshot(mission_id=mission_id, size=size)
    for index, kind, entity_id, data, leaf in _entries(session, mission_id, size):
        if merkle.leaf_hash(data.encode("utf-8")) != leaf:
            raise Conflict(f"log entry {index} no longer matches its leaf hash; run `truce log verify`")
        entity = json.loads(data)["entity"]
        versions = snapshot.records.setdefault(kind, {})
        if entity is None:
            versions.pop(entity_id, None)
        else:
            versions[entity_id] = Version(kind, entity_id, index, entity)
    return snapshot


def _entries(session: Session, mission_id: int, size: int) -> Iterator[tuple[int, str, str, str, bytes]]:
    # Paged by index so that a long log is read in constant memory.
    start = 0
    while start < size:
        stmt = (
            select(LogEntry.idx, LogEntry.entity_type, LogEntry.entity_id, LogEntry.data, LogEntry.leaf_hash)
            .where(
                LogEntry.mission_id == mission_id,
                LogEntry.entity_type.in_(KINDS),
                LogEntry.idx >= start,
                LogEntry.idx < size,
            )
            .order_by(LogEntry.idx)
            .limit(BATCH)
        )
        rows = list(session.execute(stmt))
        if not rows:
            return
        for row in rows:
            yield int(row[0]), str(row[1]), str(row[2]), str(row[3]), bytes(row[4])
        start = int(rows[-1][0]) + 1
