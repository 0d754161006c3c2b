"""`truce log verify`: rebuild the tree from the entries and check everything against it.

The report names what is wrong precisely: which entry, which checkpoint, which record and field.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce.db import Base, InexactJSON
from truce.errors import NotFound
from truce.evidence import stores
from truce.evidence.models import Evidence
from truce.evidence.stores import EvidenceStore
from truce.integrity import hashing, ranges
from truce.ledger import merkle, note
from truce.ledger.canonical import snapshot
from truce.ledger.models import Checkpoint, Cosignature, LogEntry, LogHead
from truce.ledger.service import border_root, witnesses
from truce.ledger.store import HEAD_ID
from truce.patrols.models import Track

BATCH = 20_000
# Ids per lookup of their latest entries: well under every backend's limit on bound parameters.
ID_CHUNK = 500
# Batches hashed in a second process hold whole subtrees: 2^14 entries starting on a multiple of 2^14.
HASHED_BATCH = 1 << 14
# Below this a second process costs more to start and feed than it saves.
PARALLEL_FROM = 8 * HASHED_BATCH
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
    subtree_problems: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


class Levels:
    """The whole tree in memory as one bytearray of 32-byte hashes per level (64 MB at a million entries)."""

    def __init__(self, leaves: bytearray, lower: list[list[bytes]] | None = None) -> None:
        """`lower`: the levels above each aligned batch of leaves, already hashed (in a worker); joined per level."""
        self.levels = [leaves]
        for height in range(max((len(batch) for batch in lower or []), default=0)):
            level = b"".join(batch[height] for batch in lower or [] if height < len(batch))
            if not level:
                break
            self.levels.append(bytearray(level))
        top = hashing.levels_above(bytes(self.levels[-1]))
        self.levels += [bytearray(level) for level in top]

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
    evidence_root: Path | EvidenceStore | None = None,
    pinned: note.Verifier | None = None,
    saved: tuple[str, str] | None = None,
    readers: str | None = None,
) -> Report:
    """Check the entries, the stored tree, the checkpoints and every logged table.

    `server_key` is the key in the data directory; `pinned`, when given, is the key the party trusts, and the
    checkpoints are checked against it. `saved` is a checkpoint the party kept, as (where it came from, its text).
    `readers`: the URL of the session's database, when what it checks is committed: on a big log, worker
    processes then read and check ranges of it on connections of their own (`ranges`).
    """
    # Millions of short-lived rows would set off full collections over everything loaded (44% of the time
    # in benchmarks/ledger_costs.py); nothing here relies on cycles being collected meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        report = _verify(session, pinned or server_key, logged_models, progress, evidence_root, saved, readers)
        if pinned is not None and pinned != server_key:
            report.problems.insert(
                0,
                f"the key in the data directory, {_key(server_key)}, is not the pinned key, {_key(pinned)}: "
                "the server key was replaced",
            )
        return report
    finally:
        if collecting:
            gc.enable()


def _key(verifier: note.Verifier) -> str:
    return f"{verifier.name} id {verifier.key_id.hex()}"


def _verify(
    session: Session,
    server_key: note.Verifier,
    logged_models: tuple[type[Base], ...],
    progress: Progress | None,
    evidence_root: Path | EvidenceStore | None,
    saved: tuple[str, str] | None,
    readers: str | None,
) -> Report:
    report = Report()
    head = session.get(LogHead, HEAD_ID)
    size = head.size if head is not None else 0
    parallel = (os.cpu_count() or 1) >= 2 and size >= PARALLEL_FROM
    checked = ranges.check(session, readers, size, HASHED_BATCH, progress) if readers and parallel else None
    if checked is not None:
        report.entries = size
        tree = Levels(checked.leaves, checked.levels)
    elif parallel:
        leaves, lower = _check_entries_in_two(session, report, progress)
        tree = Levels(leaves, lower)
    else:
        tree = Levels(_check_entries(session, report, progress))
    broken = any("missing" in p or "out of order" in p for p in report.problems)
    rewritten = _check_checkpoints(session, tree, server_key, report)
    if broken:
        # With entries gone the positions shift, and every stored subtree after the gap would be listed.
        report.problems.append("stored subtree hashes and the log head not checked: the entries themselves are broken")
    else:
        _check_head(session, tree, report, quiet=rewritten)
        # The workers compared the lower levels; the rest is a few queries. Any doubt: compare all, naming what.
        if (
            checked is None
            or rewritten
            or not checked.nodes_clean
            or not ranges.rest_intact(session, tree.levels, checked.heights)
        ):
            _check_nodes(session, tree, report, rewritten)
    if saved is not None:
        report.problems.extend(_saved_problems(tree, report.entries, server_key, *saved))
    for model in logged_models:
        _check_records(session, model, report)
    if evidence_root is not None:
        _check_evidence_files(session, stores.as_store(evidence_root), report)
    return report


def _check_evidence_files(session: Session, evidence: EvidenceStore, report: Report) -> None:
    holders: dict[str, list[str]] = {}
    rows = session.execute(select(Evidence.sha256, Evidence.id, Evidence.incident_id).order_by(Evidence.id))
    for sha256, evidence_id, incident_id in rows:
        holders.setdefault(sha256, []).append(f"evidence {evidence_id} of incident {incident_id}")
    # The GPX files patrol tracks were read from are kept in the same store.
    tracks = session.execute(select(Track.file_sha256, Track.id).where(Track.file_sha256.is_not(None)))
    for sha256, track_id in tracks:
        holders.setdefault(sha256, []).append(f"track {track_id}")
    for sha256 in sorted(holders):
        report.files += 1
        named = f"evidence file {sha256} ({', '.join(holders[sha256])})"
        try:
            intact = stores.verify(evidence, sha256)
        except NotFound:
            report.problems.append(f"{named}: missing from the store")
            continue
        if not intact:
            report.problems.append(f"{named}: its content no longer matches its hash (swapped or edited)")


def _rows(session: Session, query: Any) -> Iterator[Any]:
    # Plain column reads through the connection: the ORM's result machinery costs half as much again.
    yield from session.connection().execute(query.execution_options(yield_per=BATCH))


def _raw_batches(
    session: Session, sql: str, parameters: tuple[Any, ...] = (), size: int = BATCH
) -> Iterator[list[Any]]:
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
        while batch := cursor.fetchmany(size):
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


def _check_entries_in_two(session: Session, report: Report, progress: Progress | None) -> tuple[bytearray, Any]:
    """As `_check_entries`, with leaves and subtrees hashed in a second process while this one reads the next batch.

    The levels come back per batch; when any batch is not clean (a gap, an edit) they are dropped, and the tree
    is rebuilt from the leaves as `_check_entries` would, with the same messages.
    """
    leaves = bytearray()
    lower: list[list[bytes]] | None = []
    expected = 0
    # fork: the worker only hashes what it is sent; it never touches the database connection it inherits.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: tuple[list[Any], Future[tuple[bytes, bool, list[bytes]]]] | None = None
        sql = _ENTRIES[session.get_bind().dialect.name]
        for batch in _raw_batches(session, sql, size=HASHED_BATCH):
            hashing_now = pool.submit(hashing.leaves_and_levels, batch[0][0], [row[1] for row in batch])
            if pending is not None:
                expected, lower = _take(*pending, expected, leaves, lower, report)
                if progress is not None:
                    progress("entries", expected)
            pending = (batch, hashing_now)
        if pending is not None:
            expected, lower = _take(*pending, expected, leaves, lower, report)
    report.entries = expected
    return leaves, lower


def _take(
    batch: list[Any],
    hashed: Future[tuple[bytes, bool, list[bytes]]],
    expected: int,
    leaves: bytearray,
    lower: list[list[bytes]] | None,
    report: Report,
) -> tuple[int, list[list[bytes]] | None]:
    joined, claims, levels = hashed.result()
    in_place = batch[0][0] == expected and batch[-1][0] == expected + len(batch) - 1
    if in_place and claims and joined == b"".join(row[2] for row in batch):
        leaves += joined
        if lower is not None:
            lower.append(levels)
        return expected + len(batch), lower
    return _check_batch(batch, expected, leaves, report), None


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


def _check_nodes(session: Session, tree: Levels, report: Report, rewritten: bool) -> None:
    """Compare the stored subtrees with the entries; name what changed, not every hash above it."""
    wrong: set[tuple[int, int]] = set()
    levels = len(tree.levels)
    for level in range(1, levels):
        rows = [row for batch in _raw_batches(session, _LEVEL, (level,)) for row in batch]
        count = tree.count(level)
        # One comparison for a whole level when it is intact; node by node only to find what is wrong.
        intact = len(rows) == count and (not rows or (rows[0][0] == 0 and rows[-1][0] == count - 1))
        if intact and b"".join(node for _, node in rows) == tree.levels[level]:
            continue
        for idx, stored in rows:
            if idx >= count:
                _limited(report, f"stored subtree ({level}, {idx}) lies beyond the entries (entries were deleted)")
            elif tree.node(level, idx) != bytes(stored):
                wrong.add((level, idx))
        if len(rows) < count:
            report.problems.append(f"{count - len(rows)} stored subtree hashes of level {level} are missing")
    for batch in _raw_batches(session, _BEYOND, (levels,)):
        for level, idx in batch:
            _limited(report, f"stored subtree ({level}, {idx}) lies beyond the entries (entries were deleted)")
    # A changed leaf makes every stored hash above it differ: only the lowest of each chain says something.
    lowest = sorted(c for c in wrong if c[0] == 1 or not {(c[0] - 1, 2 * c[1]), (c[0] - 1, 2 * c[1] + 1)} & wrong)
    pairs = [idx for level, idx in lowest if level == 1] if rewritten else []
    named = _records(session, [i for p in pairs[:20] for i in (2 * p, 2 * p + 1)])
    for pair in pairs[:20]:
        first, second = 2 * pair, 2 * pair + 1
        report.problems.append(
            f"entry {first} ({named.get(first, '?')}) or entry {second} ({named.get(second, '?')}) was rewritten "
            "with its leaf hash recomputed: together they no longer build their stored parent hash or the signed "
            "roots (which of the two changed cannot be told)"
        )
    if rewritten and not pairs and report.entries % 2:
        last = report.entries - 1
        report.problems.append(
            f"entry {last} ({_records(session, [last]).get(last, '?')}) was rewritten with its leaf hash "
            "recomputed: the entries no longer build the signed roots"
        )
    for level, idx in lowest:
        if level > 1 or not rewritten:
            _limited(report, f"stored subtree hash ({level}, {idx}) is wrong; proofs built on it would fail")


def _limited(report: Report, problem: str) -> None:
    report.subtree_problems += 1
    if report.subtree_problems <= 20:
        report.problems.append(problem)
    elif report.subtree_problems == 21:
        report.problems.append("stored subtree hashes: more problems follow; stopped listing them")


def _records(session: Session, indexes: list[int]) -> dict[int, str]:
    """`sites 3, site.create by admin` for each entry index: which record a person should look at."""
    if not indexes:
        return {}
    rows = session.execute(
        select(LogEntry.idx, LogEntry.entity_type, LogEntry.entity_id, LogEntry.action, LogEntry.actor).where(
            LogEntry.idx.in_(indexes)
        )
    )
    return {idx: f"{kind} {record_id}, {action} by {actor}" for idx, kind, record_id, action, actor in rows}


def _check_head(session: Session, tree: Levels, report: Report, *, quiet: bool) -> None:
    head = session.get(LogHead, HEAD_ID)
    size = head.size if head else 0
    if size != report.entries:
        report.problems.append(f"the log head says {size} entries but {report.entries} are stored")
        return
    if head is not None and not quiet:
        expected = merkle.CompactRange.load(size, tree)
        stored_root = border_root([bytes.fromhex(h) for h in head.border])
        if stored_root != expected.root():
            report.problems.append("the log head's right border does not match the entries")


def _ranges(numbers: list[int]) -> str:
    """`1-10, 12`: a sorted list of numbers, runs joined."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _checkpoints(found: list[Checkpoint]) -> str:
    ids, sizes = _ranges([c.id for c in found]), [c.size for c in found]
    if len(found) == 1:
        return f"checkpoint {ids} (size {sizes[0]})"
    return f"checkpoints {ids} (sizes {min(sizes)}-{max(sizes)})"


def _check_checkpoints(session: Session, tree: Levels, server_key: note.Verifier, report: Report) -> bool:
    """Check every stored checkpoint and its cosignatures; whether any signed root differs from the entries."""
    known = witnesses(session)
    unsigned: dict[str, list[Checkpoint]] = {}
    beyond: list[Checkpoint] = []
    rewritten: list[Checkpoint] = []
    for stored in session.execute(select(Checkpoint).order_by(Checkpoint.id)).scalars():
        report.checkpoints += 1
        where = f"checkpoint {stored.id} (size {stored.size})"
        try:
            body, _ = note.split_note(stored.note)
            parsed = note.Checkpoint.parse(body)
        except note.NoteError as exc:
            report.problems.append(f"{where}: not a signed checkpoint ({exc})")
            continue
        try:
            note.open_note(stored.note, [server_key])
        except note.NoteError:
            signers = ", ".join(f"{name} id {key_id}" for name, key_id in note.signers_of(stored.note))
            unsigned.setdefault(signers, []).append(stored)
        # Cosignatures are checked whatever the server's own signature says: they are the witnesses' word.
        _check_cosignatures(session, stored, body, known, report)
        if parsed.size != stored.size or parsed.root_hash != stored.root_hash:
            report.problems.append(f"{where}: the stored size or root differs from the signed note")
        if parsed.size > report.entries:
            beyond.append(stored)
        elif merkle.root(parsed.size, tree) != parsed.root_hash:
            rewritten.append(stored)
    for signers, found in unsigned.items():
        report.problems.append(
            f"the key {_key(server_key)} did not sign {_checkpoints(found)}: they are signed by {signers}"
            + (" (the server key was replaced)" if server_key.name in signers else "")
        )
    if beyond:
        report.problems.append(
            f"{_checkpoints(beyond)}: signed for more entries than the log holds ({report.entries}): entries were "
            "deleted, or an older database was restored"
        )
    if rewritten:
        report.problems.append(f"{_checkpoints(rewritten)}: the entries no longer hash to the signed root")
    return bool(rewritten)


def _saved_problems(tree: Levels, entries: int, key: note.Verifier, where: str, text: str) -> list[str]:
    """What is wrong between the log and a checkpoint a party kept."""
    try:
        body, _ = note.open_note(text, [key])
        saved = note.Checkpoint.parse(body)
    except note.NoteError as exc:
        try:
            signers = ", ".join(f"{name} id {key_id}" for name, key_id in note.signers_of(text))
        except note.NoteError:
            signers = "nobody (it is not a signed note)"
        return [f"saved checkpoint {where}: not signed by the key {_key(key)} ({exc}); it is signed by {signers}"]
    if saved.size > entries:
        return [f"saved checkpoint {where}: it covers {saved.size} entries but the log holds {entries} (rolled back)"]
    if merkle.root(saved.size, tree) != saved.root_hash:
        return [f"saved checkpoint {where}: the log does not extend it (the record was rewritten)"]
    return []


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
    """Each row against the latest entry of its record, and each record an entry says exists against the table.

    In memory bounded by a batch, whatever the table's size: a batch of rows is compared with the latest entries of
    its own ids; then the records the entries say exist are counted, and only when that count differs from the rows
    found is the table's set of ids held to name the missing ones (a restored million-incident mission once needed
    6.7 GB for a dictionary of every record's latest entry).
    """
    kind = model.__tablename__
    found = 0
    try:
        rows = session.execute(select(model).execution_options(yield_per=BATCH)).scalars()
        for batch in rows.partitions():
            seen = [(_record_id(record, now), now) for record in batch for now in (snapshot(record),)]
            logged = _latest_entries(session, kind, [record_id for record_id, _ in seen])
            for record_id, now in seen:
                report.records += 1
                found += _compare(kind, record_id, now, logged, report)
    except InexactJSON as exc:
        # A value no entry point lets in (an integer beyond 64 bits) was written into the table directly.
        report.problems.append(f"{kind}: {exc} (changed outside Truce)")
        return
    if sum(1 for _, _, entity in _newest(session, kind) if entity is not None) != found:
        _name_missing_rows(session, model, report)


def _record_id(record: Base, now: dict[str, Any]) -> str:
    """A record's id as its entries name it: its primary key's logged values joined by '/'."""
    return "/".join(str(now[c.name]) for c in record.__table__.primary_key.columns)  # type: ignore[attr-defined]


def _latest_entries(session: Session, kind: str, ids: list[str]) -> dict[str, tuple[int, dict[str, Any] | None]]:
    """The latest entry of each of `ids` (index and entity), looked up by the entries' (type, id, index) index."""
    latest: dict[str, tuple[int, dict[str, Any] | None]] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chosen = LogEntry.entity_id.in_(ids[start : start + ID_CHUNK])
        for entity_id, idx, entity in _newest(session, kind, chosen):
            latest[entity_id] = (idx, entity)
    return latest


def _newest(session: Session, kind: str, *where: Any) -> Iterator[tuple[str, int, dict[str, Any] | None]]:
    """The latest entry of each record of `kind` (that `where` chooses), streamed: id, index, entity or None."""
    newest = (
        select(LogEntry.entity_id, func.max(LogEntry.idx).label("idx"))
        .where(LogEntry.entity_type == kind, *where)
        .group_by(LogEntry.entity_id)
        .subquery()
    )
    query = select(LogEntry.entity_id, LogEntry.idx, LogEntry.data).join(newest, LogEntry.idx == newest.c.idx)
    for entity_id, idx, data in _rows(session, query):
        yield entity_id, idx, json.loads(data)["entity"]


def _name_missing_rows(session: Session, model: type[Base], report: Report) -> None:
    # Only on the failure path: the table's ids are held here, never the entries.
    kind = model.__tablename__
    rows = session.execute(select(model).execution_options(yield_per=BATCH)).scalars()
    present = {_record_id(record, snapshot(record)) for record in rows}
    for entity_id, idx, entity in _newest(session, kind):
        if entity is not None and entity_id not in present:
            report.problems.append(
                f"{kind} {entity_id}: the row is missing but entry {idx} records it (deleted outside Truce)"
            )


def _compare(
    kind: str,
    record_id: str,
    now: dict[str, Any],
    logged: dict[str, tuple[int, dict[str, Any] | None]],
    report: Report,
) -> bool:
    """Whether an entry records the row as it is now; each difference goes into `report`."""
    found = logged.pop(record_id, None)
    if found is None:
        report.problems.append(f"{kind} {record_id}: no log entry accounts for this row (written outside Truce)")
        return False
    idx, entity = found
    if entity is None:
        report.problems.append(f"{kind} {record_id}: entry {idx} records its deletion, yet the row exists")
        return False
    for name in sorted(set(now) | set(entity)):
        if now.get(name) != entity.get(name):
            report.problems.append(
                f"{kind} {record_id}: field {name!r} is {now.get(name)!r} in the table "
                f"but {entity.get(name)!r} in entry {idx} (changed outside Truce)"
            )
    return True
