"""The log's side of one transaction: what services recorded, appended in one batch just before the commit.

Services log with one verb, `record(session, actor, action, record)`. The record is flushed and snapshotted then
(with autoflush suspended, when the journal settles: at a `savepoint`'s end or the commit), and just before the
commit every entry of the transaction goes into the log with one read and one update of the head and one INSERT per
table (`store.append`). Just before the commit it also runs the guard: a logged record written in this
transaction without an entry refuses the commit (`UnloggedWriteError`).

The journal follows the session's transactions through SQLAlchemy's session events, so a service never asks
for it: a savepoint that rolls back drops the entries recorded inside it (and the changes it saw), a transaction
that ends drops the journal. `savepoint(session)` is a savepoint that settles its entries before it is released,
so that a failure of the flush (a duplicate, say) belongs to the work inside it; the phones' group writer runs
each job of a failed batch in one.

Two more things live here because their lifetime is exactly the transaction's:
- `after_ids(session, work)`: work that needs the ids of records added in this transaction, run after a flush
  (with autoflush suspended, when the journal settles, before the entries are snapshotted). The phones' group
  writer stores a batch with one flush this way: a submission's row is added once the records it names have
  ids, so it goes in with one INSERT.
- `cached(session, key, make, depends_on=...)`: a value read once per transaction (what a filing is checked
  against, for instance), dropped as soon as the transaction writes a record of a kind it depends on.

Events (issue 22) hook in where the entries are stored: `store.listen`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from truce.db import Base
from truce.ledger import store
from truce.ledger.canonical import entity_id, entity_type
from truce.ledger.models import Logged
from truce.policy import Actor

T = TypeVar("T")
_KEY = "truce_journal"


class UnloggedWriteError(RuntimeError):
    """A service changed a logged record without recording a log entry: a bug, refused at commit."""


@dataclass(slots=True)
class _Entry:
    """One recorded write: its content is snapshotted when it is recorded, or when the journal settles."""

    actor: Actor
    action: str
    record: Base | None  # until the snapshot: a large import keeps no record alive longer than its flush
    deleted: bool
    evidence: Sequence[str]
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class _Mark:
    """The journal as it was when a savepoint began: a rollback to the savepoint puts it back."""

    entries: int
    stored: int
    works: int
    changed: frozenset[tuple[str, str]]
    logged: frozenset[tuple[str, str]]


@dataclass
class Journal:
    entries: list[_Entry] = field(default_factory=list)
    stored: int = 0  # entries[:stored] are in the log already
    works: list[Callable[[], None]] = field(default_factory=list)
    changed: set[tuple[str, str]] = field(default_factory=set)
    logged: set[tuple[str, str]] = field(default_factory=set)
    head: store.Head | None = None  # the head this transaction wrote, whose row it holds locked
    caches: dict[Hashable, tuple[tuple[type[Base], ...], Any]] = field(default_factory=dict)
    marks: dict[SessionTransaction, _Mark] = field(default_factory=dict)

    def settle(self, session: Session) -> None:
        """Flush, run the work waiting for ids, and snapshot every entry not snapshotted yet."""
        session.flush()
        while self.works:
            works, self.works = self.works, []
            for work in works:
                work()
            session.flush()
        for entry in self.entries[self.stored :]:
            if entry.body is None:
                self.snapshot(entry)

    def snapshot(self, entry: _Entry) -> None:
        """Take the entry's content from its record as it stands now (once: the record is let go)."""
        assert entry.record is not None
        entry.body = store.body(entry.actor, entry.action, entry.record, entry.deleted, entry.evidence)
        entry.record = None
        self.logged.add((entry.body["entity_type"], entry.body["entity_id"]))

    def write(self, session: Session) -> None:
        """Settle, and store every entry not stored yet, in one batch."""
        self.settle(session)
        bodies = [entry.body for entry in self.entries[self.stored :] if entry.body is not None]
        if bodies:
            _, self.head = store.append(session, bodies, self.head)
        self.stored = len(self.entries)

    def mark(self) -> _Mark:
        return _Mark(len(self.entries), self.stored, len(self.works), frozenset(self.changed), frozenset(self.logged))

    def restore(self, mark: _Mark) -> None:
        del self.entries[mark.entries :]
        del self.works[mark.works :]
        self.stored = min(self.stored, mark.stored)
        self.changed, self.logged = set(mark.changed), set(mark.logged)
        self.caches.clear()


def journal(session: Session) -> Journal:
    """The journal of the session's transaction (made on first use)."""
    found: Journal | None = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Journal()
    return found


def record(
    session: Session,
    actor: Actor,
    action: str,
    record: Base,
    *,
    deleted: bool = False,
    evidence: Sequence[str] = (),
) -> None:
    """Log one write of `record` by `actor`: the entry is stored with the transaction and commits with it.

    The record is flushed and snapshotted here, as it stands now (a new one with its id), as a query would flush
    it; so two writes of one record in one transaction keep both versions. A caller that suspends autoflush
    (`session.no_autoflush`) gets neither until the journal settles, at a `savepoint`'s end or the commit.
    """
    noted = journal(session)
    entry = _Entry(actor, action, record, deleted, tuple(evidence))
    if session.autoflush:
        session.flush()
        noted.snapshot(entry)
    noted.entries.append(entry)


def after_ids(session: Session, work: Callable[[], None]) -> None:
    """Run `work`, which needs the ids of records added in this transaction: now, after a flush, or, with
    autoflush suspended, when the journal settles (before it snapshots the records)."""
    if session.autoflush:
        session.flush()
        work()
    else:
        journal(session).works.append(work)


def cached(session: Session, key: Hashable, make: Callable[[], T], *, depends_on: Iterable[type[Base]]) -> T:
    """`make()`, read once per transaction, until the transaction writes a record of a kind in `depends_on`."""
    kinds = tuple(depends_on)
    caches = journal(session).caches
    found = caches.get(key)
    if found is not None and not _touches(session, kinds):
        value: T = found[1]
        return value
    value = make()
    caches[key] = (kinds, value)
    return value


def _touches(session: Session, kinds: tuple[type[Base], ...]) -> bool:
    """Whether the session holds unflushed writes of `kinds` (flushed ones drop the caches already)."""
    return any(isinstance(r, kinds) for group in (session.new, session.dirty, session.deleted) for r in group)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A savepoint whose entries are settled before it is released: what fails inside it, fails inside it."""
    with session.begin_nested():
        yield
        journal(session).settle(session)


def write_pending(session: Session) -> None:
    """Store what this transaction recorded so far, for a reader of the log inside the same transaction."""
    found: Journal | None = session.info.get(_KEY)
    if found is not None and (found.works or found.stored < len(found.entries)):
        found.write(session)


# --- following the session's transactions --------------------------------------------------------------------


def _key(record: object) -> tuple[str, str] | None:
    if not isinstance(record, Logged) or not isinstance(record, Base):
        return None
    return (entity_type(record), entity_id(record))


@event.listens_for(Session, "after_flush")
def _remember_changes(session: Session, _context: Any) -> None:
    noted = journal(session)
    written = [*session.new, *session.deleted, *(r for r in session.dirty if session.is_modified(r))]
    for record in written:
        key = _key(record)
        if key is not None:
            noted.changed.add(key)
    if noted.caches:
        for cache_key, (kinds, _) in list(noted.caches.items()):
            if any(isinstance(record, kinds) for record in written):
                del noted.caches[cache_key]


@event.listens_for(Session, "before_commit")
def _store(session: Session) -> None:
    noted = journal(session)
    if session.in_nested_transaction():
        # A savepoint being released: its entries are settled now (and checked next), stored with the transaction.
        noted.settle(session)
    else:
        noted.write(session)
        session.flush()  # rows the append listeners added


@event.listens_for(Session, "before_commit")
def _guard(session: Session) -> None:
    # Registered after `_store`, so it runs after it: every recorded entry has been snapshotted by now.
    noted = journal(session)
    unlogged = noted.changed - noted.logged
    if unlogged:
        raise UnloggedWriteError(f"writes without a log entry: {sorted(unlogged)[:5]}")


@event.listens_for(Session, "after_transaction_create")
def _remember_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        noted = journal(session)
        noted.marks[transaction] = noted.mark()


@event.listens_for(Session, "after_soft_rollback")
def _roll_back(session: Session, previous: SessionTransaction) -> None:
    noted: Journal | None = session.info.get(_KEY)
    if noted is None:
        return
    # Rolling back to a savepoint undoes a head written inside it and releases a row lock taken there.
    noted.head = None
    if previous.nested:
        mark = noted.marks.pop(previous, None)
        if mark is not None:
            noted.restore(mark)
    else:
        session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_KEY, None)
