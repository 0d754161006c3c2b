"""Append to the log inside the caller's transaction, and read the tree back."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, event, insert, or_, select, tuple_, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction

from truce import driver, policy
from truce.db import Base, detached, utcnow
from truce.errors import Conflict, Forbidden, Invalid, NotFound, TruceError
from truce.ledger import merkle, note, trust
from truce.ledger.canonical import canonical_json, entity_id, entity_type, snapshot
from truce.ledger.models import Checkpoint, Cosignature, LogEntry, Logged, LogHead, LogNode, Witness, WitnessPolicy
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
    return _stored(_append_bodies(session, [_body(session, actor, action, record, deleted, evidence)])[0])


def record(
    session: Session,
    actor: Actor,
    action: str,
    record: Base,
    *,
    deleted: bool = False,
    evidence: Sequence[str] = (),
) -> None:
    """Log one write of `record` by `actor`: the one verb services use; the entry commits with the change."""
    append(session, actor, action, record, deleted=deleted, evidence=evidence)


def append_many(session: Session, actor: Actor, action: str, records: Sequence[Base]) -> None:
    """Log one write of each of `records`, in order: `append` for each, with one INSERT per table for all."""
    session.flush()
    if records:
        _append_bodies(session, [_body(session, actor, action, record, False, ()) for record in records])


# A log entry still to be appended: (action, record, evidence hashes), as `append_all` takes them.
LogItem = tuple[str, Base, Sequence[str]]


def append_or_gather(
    session: Session,
    actor: Actor,
    action: str,
    record: Base,
    *,
    evidence: Sequence[str] = (),
    gather: list[LogItem] | None = None,
) -> None:
    """`append` now; or, for a caller logging a request's records together, add the entry to `gather`.

    That caller passes `gather` to `append_all` before the transaction commits.
    """
    if gather is None:
        append(session, actor, action, record, evidence=evidence)
    else:
        gather.append((action, record, evidence))


def append_all(session: Session, actor: Actor, items: Sequence[LogItem]) -> list[LogEntry]:
    """Log each `(action, record, evidence_hashes)` of `items`, in order: `append` for each, in one batch.

    One read and one update of the head and one INSERT per table for all of them. Inside `deferred`, the items
    wait for the end of its block, and nothing is returned.
    """
    waiting: _Deferred | None = session.info.get(DEFERRED)
    if waiting is not None:
        waiting.items.extend((actor, item) for item in items)
        return []
    session.flush()
    if not items:
        return []
    bodies = [_body(session, actor, action, record, False, evidence) for action, record, evidence in items]
    return [_stored(columns) for columns in _append_bodies(session, bodies)]


class _Deferred:
    """What `deferred` holds back: entries still to append, each with its actor, and work awaiting ids."""

    def __init__(self) -> None:
        self.items: list[tuple[Actor, LogItem]] = []
        self.callbacks: list[Callable[[], None]] = []


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Log the writes of several callers in one go: one flush and one append for all of them.

    Inside the block, `append_all` holds its entries back and `when_flushed` its work. At the end, the session
    is flushed once, the held-back work runs (it may change records: a second flush writes that), and every
    held-back entry is appended in one batch, in the order it was given. A block that raises appends nothing.
    Callers inside write no code that needs a new record's id before the end: they hand it to `when_flushed`.
    """
    if DEFERRED in session.info:
        raise RuntimeError("the log is already deferred in this session")
    waiting = session.info[DEFERRED] = _Deferred()
    try:
        yield
    finally:
        session.info.pop(DEFERRED, None)
    session.flush()
    for callback in waiting.callbacks:
        callback()
    session.flush()
    if waiting.items:
        bodies = [
            _body(session, actor, action, record, False, evidence)
            for actor, (action, record, evidence) in waiting.items
        ]
        _append_bodies(session, bodies)


def deferring(session: Session) -> bool:
    """Whether the session is inside `deferred`."""
    return DEFERRED in session.info


def when_flushed(session: Session, work: Callable[[], None]) -> None:
    """Run `work`, which needs the ids of records just added, once they are flushed: now, or at `deferred`'s end."""
    waiting: _Deferred | None = session.info.get(DEFERRED)
    if waiting is not None:
        waiting.callbacks.append(work)
        return
    session.flush()
    work()


def _stored(columns: dict[str, Any]) -> LogEntry:
    """The stored entry, as a `detached` instance."""
    return detached(LogEntry, columns)


def _body(
    session: Session, actor: Actor, action: str, record: Base, deleted: bool, evidence: Sequence[str]
) -> dict[str, Any]:
    kind = entity_type(record)
    record_id = entity_id(record)
    session.info.setdefault(LOGGED_KEYS, set()).add((kind, record_id))
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


def _append_bodies(session: Session, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store the entries of `bodies` and the subtrees they complete; the stored entries' columns."""
    connection = session.connection()
    cursor = _STATEMENTS.on(connection)
    try:
        held: _Head | None = session.info.get(HEAD_STATE)
        # The head this connection wrote last, if this transaction does not hold the head yet: most often it
        # is still the head, and the UPDATE that takes the lock checks that it is (then no SELECT is needed).
        guess: _Head | None = None if held else connection.info.get(LAST_HEAD)
        head = held or guess or _lock_head(cursor)
        entries, nodes, tree = _entries(bodies, head)
        if guess is not None and not _swap_head(cursor, guess, tree):
            head = _lock_head(cursor)
            entries, nodes, tree = _entries(bodies, head)
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
    session.info[HEAD_STATE] = connection.info[LAST_HEAD] = (tree.size, tree.border_hashes())
    # A head object the session loaded earlier is stale now.
    loaded = session.identity_map.get(_HEAD_KEY)
    if loaded is not None:
        session.expire(loaded)
    return entries


AppendListener = Callable[[Session, Sequence[dict[str, Any]]], None]
"""Told of every batch of entries as they are stored, in the same transaction: the place for events (issue 22).

Each entry is a dict of `LogEntry` columns (`idx`, `time`, `mission_id`, `actor`, `delegation`, `action`,
`entity_type`, `entity_id`, `data`, `leaf_hash`). A listener may add rows to the session (they commit or roll back
with the entries); it must not append to the log itself.
"""
_APPEND_LISTENERS: list[AppendListener] = []


def listen(listener: AppendListener) -> None:
    """Call `listener` with every batch of entries stored from now on (once per listener, however often given)."""
    if listener not in _APPEND_LISTENERS:
        _APPEND_LISTENERS.append(listener)


_Head = tuple[int, list[bytes]]
"""The tree's size and the hashes of its right border, largest first."""


def _entries(bodies: Sequence[dict[str, Any]], head: _Head) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
    """The rows of the entries of `bodies` appended to the tree `head`, of the subtrees they complete, and the tree."""
    tree = merkle.CompactRange.from_border(*head)
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for body in bodies:
        time = utcnow()
        data = canonical_json({**body, "index": tree.size, "time": time.isoformat()})
        leaf = merkle.leaf_hash(data.encode("utf-8"))
        entries.append(
            {
                "idx": tree.size,
                "time": time,
                "mission_id": body.get("mission_id"),
                "actor": body["actor"],
                "delegation": body["delegation"],
                "action": body["action"],
                "entity_type": body["entity_type"],
                "entity_id": body["entity_id"],
                "data": data,
                "leaf_hash": leaf,
            }
        )
        nodes += [{"level": level, "idx": index, "hash": node} for level, index, node in tree.append(leaf)[1:]]
    return entries, nodes, tree


def _lock_head(cursor: driver.Cursor) -> _Head:
    """The head as stored, locked for this transaction; created empty when the log has none."""
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite writers already hold the write lock.
    row = cursor.fetchone("lock_head", {})
    if row is None:
        cursor.execute("create_head", [{}])
        return (0, [])
    return (row[0], [bytes.fromhex(h) for h in row[1]])


def _swap_head(cursor: driver.Cursor, expected: _Head, tree: merkle.CompactRange) -> bool:
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
_READ_HEAD = select(_HEADS.c.size, _HEADS.c.border).where(_HEADS.c.id == HEAD_ID)
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
        "lock_head": driver.Prepared(_READ_HEAD.with_for_update(), dialect),
        "create_head": driver.Prepared(insert(_HEADS).values(id=HEAD_ID, size=0, border=[]), dialect),
        "insert_entries": driver.Prepared(insert(cast(Table, LogEntry.__table__)), dialect, entry_columns),
        "insert_nodes": driver.Prepared(insert(cast(Table, LogNode.__table__)), dialect, ["level", "idx", "hash"]),
        "write_head": driver.Prepared(write_head, dialect),
        "swap_head": driver.Prepared(swap_head, dialect),
    }


# Core's execute cost more per statement than hashing and storing the entry (benchmarks/ledger_costs.py).
_STATEMENTS = driver.Statements(_prepare)


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
    head = session.execute(_READ_HEAD).one_or_none()
    return int(head.size) if head else 0


def current_root(session: Session) -> tuple[int, bytes]:
    """The log's size and root hash now."""
    head = session.execute(_READ_HEAD).one_or_none()
    if head is None:
        return 0, merkle.EMPTY_ROOT
    return head.size, border_root([bytes.fromhex(h) for h in head.border])


class StoredNodes:
    """Reads complete subtree hashes: leaves from the entries, higher levels from log_nodes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _where(self, coords: Sequence[tuple[int, int]]) -> Any:
        if self.session.get_bind().dialect.name != "sqlite":
            return tuple_(LogNode.level, LogNode.idx).in_(coords)
        # SQLite cannot use the primary key for a row-value IN list and scans the whole table
        # (138 ms a proof at a million entries); one IN list per level uses it (about 3 ms).
        by_level: dict[int, list[int]] = {}
        for level, index in coords:
            by_level.setdefault(level, []).append(index)
        return or_(*(and_(LogNode.level == level, LogNode.idx.in_(ixs)) for level, ixs in by_level.items()))

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
            rows = self.session.execute(select(LogNode.level, LogNode.idx, LogNode.hash).where(self._where(inner)))
            found.update({(level, idx): node for level, idx, node in rows})
        missing = [c for c in coords if c not in found]
        if missing:
            raise LookupError(f"the log lacks subtree hashes {missing[:5]}")
        return [found[c] for c in coords]


# --- checkpoints, proofs and entries -------------------------------------------------------------


def checkpoint(session: Session, signer: note.Signer) -> Checkpoint:
    """A signed checkpoint of the log as it is now; stored once per tree size."""
    tree_size, root_hash = current_root(session)
    latest = latest_checkpoint(session)
    if latest is not None and latest.size == tree_size:
        return latest
    _refuse_broken_border(session, latest, tree_size, root_hash)
    body = note.Checkpoint(origin=signer.name, size=tree_size, root_hash=root_hash).to_body()
    stored = Checkpoint(size=tree_size, root_hash=root_hash, note=note.sign_note(body, [signer]))
    session.add(stored)
    session.flush()
    return stored


class LogDamaged(TruceError):
    """The stored log does not hold together: the server signs nothing until an operator has looked."""

    status_code = 500


def _refuse_broken_border(session: Session, latest: Checkpoint | None, tree_size: int, root_hash: bytes) -> None:
    """Check, before signing `root_hash`, that it is what the entries since the last checkpoint build.

    The head's border is what appends wrote; an attacker with the database can change entries under it. The
    entries after the last signed size are rehashed here (the ones before it are fixed by that signature: the
    border at that size is read back and must build its signed root), so the cost is the new entries only.
    """
    start, tree = 0, merkle.CompactRange()
    if latest is not None:
        if latest.size > tree_size:
            raise LogDamaged(
                f"the log holds {tree_size} entries but checkpoint {latest.id} signed {latest.size}: "
                "it was rolled back; run `truce log verify`"
            )
        try:
            tree = merkle.CompactRange.load(latest.size, StoredNodes(session))
        except LookupError:
            leaf = f"entry {latest.size - 1} or " if latest.size % 2 else ""
            raise LogDamaged(
                f"{leaf}a stored subtree of checkpoint {latest.id} (size {latest.size}) is missing: "
                "it was deleted; run `truce log verify`"
            ) from None
        if tree.root() != latest.root_hash:
            raise LogDamaged(
                f"the stored tree no longer builds the root checkpoint {latest.id} signed: run `truce log verify`"
            )
        start = latest.size
    rows = session.execute(
        select(LogEntry.idx, LogEntry.data, LogEntry.leaf_hash)
        .where(LogEntry.idx >= start, LogEntry.idx < tree_size)
        .order_by(LogEntry.idx)
        .execution_options(yield_per=20_000)
    )
    for idx, data, stored_leaf in rows:
        if idx != tree.size:
            raise LogDamaged(f"entry {tree.size} is missing from the log: run `truce log verify`")
        if merkle.leaf_hash(data.encode("utf-8")) != stored_leaf:
            raise LogDamaged(f"entry {idx} no longer matches its leaf hash: run `truce log verify`")
        tree.append(stored_leaf)
    if tree.size != tree_size:
        raise LogDamaged(f"entry {tree.size} is missing from the log: run `truce log verify`")
    if tree.root() != root_hash:
        raise LogDamaged("the log head's border does not match the entries: run `truce log verify`")


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """The most recent stored checkpoint."""
    query = select(Checkpoint).order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def checkpoint_with_cosignatures(session: Session, stored: Checkpoint) -> str:
    """The checkpoint's signed note with every stored cosignature appended."""
    lines = session.execute(
        select(Cosignature.signature_line).where(Cosignature.checkpoint_id == stored.id).order_by(Cosignature.id)
    ).scalars()
    extra = list(lines)
    return note.add_signatures(stored.note, extra) if extra else stored.note


def witnesses(session: Session) -> list[note.Verifier]:
    """The cosigner keys of every registered witness."""
    return [note.Verifier.from_text(w.vkey) for w in session.execute(select(Witness)).scalars()]


def add_witness(session: Session, vkey: str, delegation: str, *, actor: Actor, url: str | None = None) -> Witness:
    """Register a delegation's cosigning key (its public half, type 0x04), and where its witness listens if it does."""
    if not policy.registers_witnesses(actor):
        raise Forbidden("witness keys are registered from the command line by the operator")
    try:
        verifier = note.Verifier.from_text(vkey.strip())
    except note.NoteError as exc:
        raise Invalid(str(exc), "vkey") from None
    if verifier.algorithm != note.ALG_COSIGNATURE_V1:
        raise Invalid("a witness key must be a cosignature (type 0x04) verifier key", "vkey")
    if url is not None and not (url.startswith(("http://", "https://")) and len(url) <= 500):
        raise Invalid("an http:// or https:// address of at most 500 characters", "url")
    if session.execute(select(Witness).where(Witness.key_name == verifier.name)).scalar_one_or_none():
        raise Conflict(f"a witness key named {verifier.name!r} is registered already")
    witness = Witness(key_name=verifier.name, vkey=verifier.to_text(), delegation=delegation, url=url)
    session.add(witness)
    record(session, actor, "witness.add", witness)
    return witness


def cosigners(session: Session, checkpoint_id: int) -> list[str]:
    """The key names of the witnesses whose cosignatures over a stored checkpoint are kept."""
    query = select(Cosignature.key_name).where(Cosignature.checkpoint_id == checkpoint_id).order_by(Cosignature.id)
    return list(session.execute(query).scalars())


def add_cosignature(session: Session, size: int, signature_line: str) -> Cosignature:
    """Store a witness's cosignature over the stored checkpoint of `size`, once it verifies."""
    stored = session.execute(
        select(Checkpoint).where(Checkpoint.size == size).order_by(Checkpoint.id.desc()).limit(1)
    ).scalar_one_or_none()
    if stored is None:
        raise NotFound(f"no checkpoint of size {size}")
    body, _ = note.split_note(stored.note)
    line = signature_line if signature_line.endswith("\n") else signature_line + "\n"
    known = {v.name: v for v in witnesses(session)}
    name = line.removeprefix("— ").split(" ", 1)[0]
    if name not in known:
        raise Forbidden(f"{name!r} is not a registered witness key")
    try:
        timestamp = note.verify_cosignature(body, line, known[name])
    except note.NoteError as exc:
        raise Invalid(str(exc), "signature") from None
    existing = session.execute(
        select(Cosignature).where(Cosignature.checkpoint_id == stored.id, Cosignature.key_name == name)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    cosignature = Cosignature(
        checkpoint_id=stored.id,
        key_name=name,
        signature_line=line,
        cosigned_at=datetime.fromtimestamp(timestamp, UTC),
    )
    session.add(cosignature)
    session.flush()
    return cosignature


def set_witness_policy(session: Session, mission_id: int, text: str, server: note.Verifier, *, actor: Actor) -> None:
    """Store (and log) a mission's witness policy; it must be valid and trust this server's key."""
    if not policy.registers_witnesses(actor):
        raise Forbidden("a mission's witness policy is set from the command line by the operator")
    try:
        parsed = trust.parse(text)
    except trust.PolicyError as exc:
        raise Invalid(str(exc), "policy") from None
    if server not in parsed.logs:
        raise Invalid(f"the policy does not list this log's key ({server.to_text()})", "policy")
    stored = session.execute(select(WitnessPolicy).where(WitnessPolicy.mission_id == mission_id)).scalar_one_or_none()
    if stored is None:
        stored = WitnessPolicy(mission_id=mission_id, text=text)
        session.add(stored)
    else:
        stored.text, stored.set_at = text, utcnow()
    session.flush()
    record(session, actor, "witness_policy.set", stored)


def witness_policy(session: Session, mission_id: int) -> trust.Policy | None:
    """A mission's witness policy, if one is set."""
    text = session.execute(select(WitnessPolicy.text).where(WitnessPolicy.mission_id == mission_id)).scalar()
    return None if text is None else trust.parse(text)


def witnessed_checkpoint(
    session: Session, rule: trust.Policy, *, look_back: int = 100
) -> tuple[Checkpoint, list[str]] | None:
    """The latest stored checkpoint whose cosignatures meet the policy's quorum, with its cosigners."""
    query = select(Checkpoint).order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(look_back)
    for stored in session.execute(query).scalars().all():
        cosigners = rule.cosigners(checkpoint_with_cosignatures(session, stored))
        if rule.witnessed_by(set(cosigners)):
            return stored, cosigners
    return None


def inclusion(session: Session, index: int, tree_size: int) -> dict[str, Any]:
    """An RFC 9162 inclusion proof of entry `index` in the tree of `tree_size` entries."""
    _check_size(session, tree_size)
    if not 0 <= index < tree_size:
        raise Invalid(f"index must be within 0..{tree_size - 1}", "index")
    reader = StoredNodes(session)
    proof = merkle.inclusion_proof(index, tree_size, reader)
    return {
        "index": index,
        "size": tree_size,
        "leaf_hash": reader.node(0, index).hex(),
        "hashes": [h.hex() for h in proof],
        "root": merkle.root(tree_size, reader).hex(),
    }


def consistency(session: Session, first: int, second: int) -> dict[str, Any]:
    """An RFC 9162 consistency proof between the trees of `first` and `second` entries."""
    _check_size(session, second)
    if not 0 <= first <= second:
        raise Invalid(f"first must be within 0..{second}", "first")
    reader = StoredNodes(session)
    return {
        "first": first,
        "second": second,
        "hashes": [h.hex() for h in merkle.consistency_proof(first, second, reader)],
        "first_root": merkle.root(first, reader).hex(),
        "second_root": merkle.root(second, reader).hex(),
    }


def _check_size(session: Session, tree_size: int) -> None:
    have = size(session)
    if not 0 <= tree_size <= have:
        raise Invalid(f"the log holds {have} entries; size must be within 0..{have}", "size")


def entries(session: Session, start: int, end: int) -> list[LogEntry]:
    """Entries with index in [start, end)."""
    query = select(LogEntry).where(LogEntry.idx >= start, LogEntry.idx < end).order_by(LogEntry.idx)
    return list(session.execute(query).scalars())


def history(session: Session, kind: str, record_id: str) -> list[LogEntry]:
    """Every entry about one record, oldest first."""
    query = select(LogEntry).where(LogEntry.entity_type == kind, LogEntry.entity_id == record_id).order_by(LogEntry.idx)
    return list(session.execute(query).scalars())


# --- the guard: no write of a logged record commits without its entry --------------------------

CHANGED = "truce_changed"
LOGGED_KEYS = "truce_logged"
HEAD_STATE = "truce_log_head"
DEFERRED = "truce_log_deferred"
SAVEPOINTS = "truce_log_savepoints"
# In the pooled connection's info: the head it wrote last, which outlives the transaction (it may be stale).
LAST_HEAD = "truce_log_last_head"


def _key(record: Base) -> tuple[str, str] | None:
    kind = _logged_kind(type(record))
    return None if kind is None else (kind, entity_id(record))


@functools.cache
def _logged_kind(model: type[Base]) -> str | None:
    """The entity type of `model`'s records when the log must account for them; None when it need not."""
    # The model declares it (`Logged`): the log knows no domain and no registry of tables.
    return model.__table__.name if issubclass(model, Logged) else None  # type: ignore[attr-defined]


@event.listens_for(Session, "after_flush")
def _remember_changes(session: Session, _context: Any) -> None:
    changed: set[tuple[str, str]] = session.info.setdefault(CHANGED, set())
    for record in [*session.new, *session.deleted, *(r for r in session.dirty if session.is_modified(r))]:
        key = _key(record) if isinstance(record, Base) else None
        if key is not None:
            changed.add(key)


@event.listens_for(Session, "before_commit")
def _refuse_unlogged(session: Session) -> None:
    session.flush()
    unlogged = session.info.get(CHANGED, set()) - session.info.get(LOGGED_KEYS, set())
    if unlogged:
        raise UnloggedWriteError(f"writes without a log entry: {sorted(unlogged)[:5]}")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop(LOGGED_KEYS, None)
    session.info.pop(HEAD_STATE, None)
    if not session.in_nested_transaction():
        session.info.pop(SAVEPOINTS, None)


@event.listens_for(Session, "after_transaction_create")
def _remember_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        saved = (set(session.info.get(CHANGED, ())), set(session.info.get(LOGGED_KEYS, ())))
        session.info.setdefault(SAVEPOINTS, {})[transaction] = saved


@event.listens_for(Session, "after_soft_rollback")
def _release_head(session: Session, previous: SessionTransaction) -> None:
    # Rolling back to a savepoint undoes the head written inside it and releases a row lock taken there.
    session.info.pop(HEAD_STATE, None)
    if previous.nested:
        # after_rollback forgot every change, those made before the savepoint too: they still need entries.
        changed, logged = session.info.get(SAVEPOINTS, {}).pop(previous, (set(), set()))
        session.info[CHANGED], session.info[LOGGED_KEYS] = changed, logged


class UnloggedWriteError(RuntimeError):
    """A service changed a logged record without appending to the log: a bug, refused at commit."""
