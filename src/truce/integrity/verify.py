"""`truce log verify`: rebuild the tree from the entries and check everything against it.

The report names what is wrong precisely: which entry, which checkpoint, which record and field.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce.db import Base, InexactJSON
from truce.errors import NotFound
from truce.evidence import store
from truce.incidents.models import Evidence
from truce.ledger import merkle, note
from truce.ledger.canonical import snapshot
from truce.ledger.models import Checkpoint, Cosignature, LogEntry, LogHead
from truce.ledger.service import HEAD_ID, border_root, witnesses
from truce.patrols.models import Track

BATCH = 20_000
Progress = Callable[[str, int], None]


@dataclass
class Report:
    """What was checked and every problem found."""

    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    records: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


class Levels:
    """The whole tree in memory as one bytearray of 32-byte hashes per level (64 MB at a million entries)."""

    def __init__(self, leaves: bytearray) -> None:
        self.levels = [leaves]
        sha256 = hashlib.sha256
        while len(self.levels[-1]) >= 64:
            # Slices of bytes in one comprehension, joined once: 40% faster than growing a bytearray.
            below = bytes(self.levels[-1])
            hashes = [sha256(b"\x01" + below[at : at + 64]).digest() for at in range(0, len(below) - 63, 64)]
            self.levels.append(bytearray(b"".join(hashes)))

    def node(self, level: int, index: int) -> bytes:
        return bytes(self.levels[level][index * 32 : index * 32 + 32])

    def nodes(self, coords: Any) -> list[bytes]:
        return [self.node(level, index) for level, index in coords]

    def count(self, level: int) -> int:
        return len(self.levels[level]) // 32 if level < len(self.levels) else 0


def verify(
    session: Session,
    server_key: note.Verifier,
    logged_models: tuple[type[Base], ...],
    *,
    progress: Progress | None = None,
    evidence_root: Path | None = None,
) -> Report:
    """Check the entries, the stored tree, the checkpoints and every logged table."""
    # Millions of short-lived rows would set off full collections over everything loaded (44% of the time
    # in benchmarks/ledger_costs.py); nothing here relies on cycles being collected meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify(session, server_key, logged_models, progress, evidence_root)
    finally:
        if collecting:
            gc.enable()


def _verify(
    session: Session,
    server_key: note.Verifier,
    logged_models: tuple[type[Base], ...],
    progress: Progress | None,
    evidence_root: Path | None,
) -> Report:
    report = Report()
    leaves = _check_entries(session, report, progress)
    tree = Levels(leaves)
    if any("missing" in p or "out of order" in p for p in report.problems):
        # With entries gone the positions shift, and every stored subtree after the gap would be listed.
        report.problems.append("stored subtree hashes and the log head not checked: the entries themselves are broken")
    else:
        _check_nodes(session, tree, report)
        _check_head(session, tree, report)
    _check_checkpoints(session, tree, server_key, report)
    for model in logged_models:
        _check_records(session, model, report)
    if evidence_root is not None:
        _check_evidence_files(session, evidence_root, report)
    return report


def _check_evidence_files(session: Session, root: Path, report: Report) -> None:
    # Evidence files, and the GPX files patrol tracks were read from (kept in the same store).
    files = select(Evidence.sha256).union(select(Track.file_sha256).where(Track.file_sha256.is_not(None)))
    hashes = sorted(session.execute(files).scalars())
    for sha256 in hashes:
        report.files += 1
        try:
            intact = store.verify_file(root, sha256)
        except NotFound:
            report.problems.append(f"evidence file {sha256}: missing from the store")
            continue
        if not intact:
            report.problems.append(
                f"evidence file {sha256}: its content no longer matches its hash (swapped or edited)"
            )


def _rows(session: Session, query: Any) -> Iterator[Any]:
    # Plain column reads through the connection: the ORM's result machinery costs half as much again.
    yield from session.connection().execute(query.execution_options(yield_per=BATCH))


def _raw_batches(session: Session, sql: str, parameters: tuple[Any, ...] = ()) -> Iterator[list[Any]]:
    """Rows of `sql` in batches, through the session's own DB-API connection (so inside its transaction).

    The phases below read a million rows or more; the driver's bare tuples cost a fraction of Core rows.
    On PostgreSQL a named (server-side) cursor streams them instead of loading all at once.
    """
    connection = session.connection()
    raw: Any = connection.connection.dbapi_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = raw.cursor(name="truce_verify") if postgres else raw.cursor()
    try:
        cursor.execute(sql.replace("?", "%s") if postgres else sql, parameters)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


# The entries' UTF-8 bytes straight from the database: no decoding to text and encoding back.
_ENTRIES = {
    "sqlite": "SELECT idx, CAST(data AS BLOB), leaf_hash FROM log_entries ORDER BY idx",
    "postgresql": "SELECT idx, convert_to(data, 'UTF8'), leaf_hash FROM log_entries ORDER BY idx",
}
_LEVEL = "SELECT idx, hash FROM log_nodes WHERE level = ? ORDER BY idx"
_BEYOND = "SELECT level, idx FROM log_nodes WHERE level >= ? ORDER BY level, idx"


def _check_entries(session: Session, report: Report, progress: Progress | None) -> bytearray:
    leaves = bytearray()
    expected = 0
    for batch in _raw_batches(session, _ENTRIES[session.get_bind().dialect.name]):
        expected = _check_batch(batch, expected, leaves, report)
        if progress is not None:
            progress("entries", expected)
    report.entries = expected
    return leaves


def _check_batch(batch: list[Any], expected: int, leaves: bytearray, report: Report) -> int:
    """Check one batch of entries and add their leaf hashes; the index expected after them."""
    idxs, datas, stored = zip(*batch, strict=True)
    sha256 = hashlib.sha256
    hashed = [sha256(b"\x00" + data).digest() for data in datas]
    joined = b"".join(hashed)
    # Primary keys come in order, so the first and last index tell whether any is missing between.
    in_place = idxs[0] == expected and idxs[-1] == expected + len(batch) - 1
    if in_place and joined == b"".join(stored) and _claims_match(idxs, datas):
        leaves += joined
        return expected + len(batch)
    # Something is wrong in this batch: go entry by entry to name it.
    for (idx, data, stored_hash), leaf in zip(batch, hashed, strict=True):
        if idx != expected:
            report.problems.append(_gap(expected, idx))
            expected = idx
        if leaf != stored_hash:
            report.problems.append(
                f"entry {idx}: its data no longer matches its leaf hash (the entry was edited after it was written)"
            )
        claimed = _claimed_index(data.decode("utf-8", "replace"))
        if claimed != idx:
            report.problems.append(f"entry {idx}: its data says index {claimed} (entries were moved or reordered)")
        leaves += leaf
        expected += 1
    return expected


def _claims_match(idxs: tuple[int, ...], datas: tuple[bytes, ...]) -> bool:
    # The exact test is _claimed_index; this one only says yes when that one would, at a third of the cost.
    return all(
        data.startswith(b'"index":%d,' % idx, data.rfind(b'"index":')) for idx, data in zip(idxs, datas, strict=True)
    )


def _gap(expected: int, found: int) -> str:
    if found > expected:
        missing = f"entry {expected}" if found == expected + 1 else f"entries {expected}-{found - 1}"
        return f"{missing} missing (deleted from the log)"
    return f"entry {found} appears out of order after entry {expected - 1}"


def _claimed_index(data: str) -> int | None:
    # Keys are sorted, so "index" follows the variable-length entity; find it from the end, cheaply.
    at = data.rfind('"index":')
    if at < 0:
        return None
    digits = data[at + 8 : data.find(",", at)]
    return int(digits) if digits.isdigit() else None


def _check_nodes(session: Session, tree: Levels, report: Report) -> None:
    problems = 0
    levels = len(tree.levels)
    for level in range(1, levels):
        rows = [row for batch in _raw_batches(session, _LEVEL, (level,)) for row in batch]
        count = tree.count(level)
        # One comparison for a whole level when it is intact; node by node only to name what is wrong.
        intact = len(rows) == count and (not rows or (rows[0][0] == 0 and rows[-1][0] == count - 1))
        if intact and b"".join(node for _, node in rows) == tree.levels[level]:
            continue
        for idx, stored in rows:
            problems += _check_node(tree, level, idx, stored, report)
            if problems >= 20:
                report.problems.append("more subtree problems follow; stopped listing them")
                return
        if len(rows) < count:
            report.problems.append(f"{count - len(rows)} stored subtree hashes of level {level} are missing")
    for batch in _raw_batches(session, _BEYOND, (levels,)):
        for level, idx in batch:
            report.problems.append(f"stored subtree ({level}, {idx}) lies beyond the entries (entries were deleted)")
            problems += 1
            if problems >= 20:
                report.problems.append("more subtree problems follow; stopped listing them")
                return


def _check_node(tree: Levels, level: int, idx: int, stored: bytes, report: Report) -> int:
    """Check one stored subtree hash; how many problems it adds (0 or 1)."""
    if idx >= tree.count(level):
        report.problems.append(f"stored subtree ({level}, {idx}) lies beyond the entries (entries were deleted)")
        return 1
    if tree.node(level, idx) != bytes(stored):
        report.problems.append(f"stored subtree hash ({level}, {idx}) is wrong; proofs built on it would fail")
        return 1
    return 0


def _check_head(session: Session, tree: Levels, report: Report) -> None:
    head = session.get(LogHead, HEAD_ID)
    size = head.size if head else 0
    if size != report.entries:
        report.problems.append(f"the log head says {size} entries but {report.entries} are stored")
        return
    if head is not None:
        expected = merkle.CompactRange.load(size, tree)
        stored_root = border_root([bytes.fromhex(h) for h in head.border])
        if stored_root != expected.root():
            report.problems.append("the log head's right border does not match the entries")


def _check_checkpoints(session: Session, tree: Levels, server_key: note.Verifier, report: Report) -> None:
    known = witnesses(session)
    for stored in session.execute(select(Checkpoint).order_by(Checkpoint.id)).scalars():
        report.checkpoints += 1
        where = f"checkpoint {stored.id} (size {stored.size})"
        try:
            body, _ = note.open_note(stored.note, [server_key])
            parsed = note.Checkpoint.parse(body)
        except note.NoteError as exc:
            report.problems.append(f"{where}: not signed by the server key {server_key.name} ({exc})")
            continue
        if parsed.size != stored.size or parsed.root_hash != stored.root_hash:
            report.problems.append(f"{where}: the stored size or root differs from the signed note")
        if parsed.size > report.entries:
            report.problems.append(
                f"{where}: signed for {parsed.size} entries but the log holds {report.entries} "
                "(entries were deleted, or an older database was restored)"
            )
        elif merkle.root(parsed.size, tree) != parsed.root_hash:
            report.problems.append(f"{where}: the entries no longer hash to the signed root (the log was rewritten)")
        _check_cosignatures(session, stored, body, known, report)


def _check_cosignatures(
    session: Session, stored: Checkpoint, body: str, known: list[note.Verifier], report: Report
) -> None:
    by_name = {v.name: v for v in known}
    rows = session.execute(select(Cosignature).where(Cosignature.checkpoint_id == stored.id)).scalars()
    for cosignature in rows:
        report.cosignatures += 1
        verifier = by_name.get(cosignature.key_name)
        where = f"cosignature by {cosignature.key_name} on checkpoint {stored.id}"
        if verifier is None:
            report.problems.append(f"{where}: the witness key is no longer registered")
            continue
        try:
            note.verify_cosignature(body, cosignature.signature_line, verifier)
        except note.NoteError as exc:
            report.problems.append(f"{where}: {exc}")


def _check_records(session: Session, model: type[Base], report: Report) -> None:
    kind = model.__tablename__
    latest = (
        select(LogEntry.entity_id, func.max(LogEntry.idx).label("idx"))
        .where(LogEntry.entity_type == kind)
        .group_by(LogEntry.entity_id)
        .subquery()
    )
    logged: dict[str, tuple[int, dict[str, Any] | None]] = {}
    query = select(LogEntry.entity_id, LogEntry.idx, LogEntry.data).join(latest, LogEntry.idx == latest.c.idx)
    for entity_id, idx, data in _rows(session, query):
        logged[entity_id] = (idx, json.loads(data)["entity"])
    try:
        for record in session.execute(select(model).execution_options(yield_per=BATCH)).scalars():
            report.records += 1
            _compare(kind, record, logged, report)
    except InexactJSON as exc:
        # A value no entry point lets in (an integer beyond 64 bits) was written into the table directly.
        report.problems.append(f"{kind}: {exc} (changed outside Truce)")
        return
    for entity_id, (idx, entity) in logged.items():
        if entity is not None:
            report.problems.append(
                f"{kind} {entity_id}: the row is missing but entry {idx} records it (deleted outside Truce)"
            )


def _compare(kind: str, record: Base, logged: dict[str, tuple[int, dict[str, Any] | None]], report: Report) -> None:
    now = snapshot(record)
    record_id = "/".join(str(now[c.name]) for c in record.__table__.primary_key.columns)  # type: ignore[attr-defined]
    found = logged.pop(record_id, None)
    if found is None:
        report.problems.append(f"{kind} {record_id}: no log entry accounts for this row (written outside Truce)")
        return
    idx, entity = found
    if entity is None:
        report.problems.append(f"{kind} {record_id}: entry {idx} records its deletion, yet the row exists")
        return
    for name in sorted(set(now) | set(entity)):
        if now.get(name) != entity.get(name):
            report.problems.append(
                f"{kind} {record_id}: field {name!r} is {now.get(name)!r} in the table "
                f"but {entity.get(name)!r} in entry {idx} (changed outside Truce)"
            )
