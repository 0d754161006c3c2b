"""Engines, sessions and the declarative base; the one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError, DatabaseError, DisconnectionError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, make_transient_to_detached, mapped_column, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from truce.errors import ConfigError, Unavailable
from truce.writelock import Turn, WriterLock, for_file

if TYPE_CHECKING:
    from truce.standby import Standby

# How long a writer in a worker thread waits for its turn: for SQLite's lock held by another process (the busy
# timeout), and for the process's writer lock. The event loop never waits (see `_begin_writing`).
BUSY_TIMEOUT_S = 30
BUSY = "the database is busy with other writes; nothing was stored: try again in a few seconds"
# PostgreSQL: the connections the pool keeps open, and how many API or page writers run at once (deps.py).
POOL_SIZE = 10
PARALLEL_WRITERS = POOL_SIZE
# A pooled PostgreSQL connection idle for longer than this is checked with a ping before it is handed out.
IDLE_PING_S = 1.0

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Truce stores only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; they were written as UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite keeps the text SQLAlchemy wrote ("2020-11-10 06:30:00.000000"); the C parser reads it several
        # times faster than the dialect's regular expression, which showed on every page of a thousand incidents.
        return _sqlite_utc


def _sqlite_utc(value: str | None) -> datetime | None:
    # Naive text, written as UTC; parsing the offset costs a seventh of `replace(tzinfo=UTC)`.
    return None if value is None else datetime.fromisoformat(value + "+00:00")


class InexactJSON(ValueError):
    """A JSON column holds a number Truce cannot read back exactly (an integer beyond 64 bits, NaN, infinity)."""


# Integers within [-2**63, 2**63 - 1] have at most 19 digits; orjson reads anything wider as a float, silently.
# Python writes floats with at most 17 significant digits, so only integers (or digits in text) match.
# Found as a run of 19 zeros once every ASCII digit is a zero: `re.search("[0-9]{19}")` tried the class at
# every position, about 15 times the cost, and a phone's log-in reads six JSON columns (issue 15, part 3).
_LONG_RUN = b"0" * 19
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")


def _long_digits(text: str | bytes) -> bool:
    """Whether `text` holds a run of 19 ASCII digits (UTF-8's other bytes are never digits)."""
    encoded = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return _LONG_RUN in encoded.translate(_DIGITS_AS_ZEROS)


def _json_loads(document: str | bytes) -> Any:
    """A JSON column's value, read exactly or not at all.

    orjson reads the common case several times faster than `json`, and exactly; a document with a run of 19
    digits is read by `json` with every integer checked, because orjson would turn one beyond 64 bits into a
    different number (10**30 into 1e+30) and the record would no longer match its log entry.
    """
    text = document.decode() if isinstance(document, bytes) else document
    if not _long_digits(document):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InexactJSON(f"a JSON column holds what Truce does not read ({exc}): {text[:80]!r}") from None
    return json.loads(text, parse_int=_int64, parse_constant=_no_constant)


def _int64(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise InexactJSON(f"a JSON column holds the integer {text[:40]}, beyond the 64 bits Truce reads exactly")
    return value


def _no_constant(name: str) -> Any:
    raise InexactJSON(f"a JSON column holds {name}, which JSON and the log cannot hold")


def _json_dumps(value: Any) -> str:
    """A JSON column's text, refused (InexactJSON) when `_json_loads` could not give back the same value.

    The log's canonical JSON refuses NaN too; what entry points let through is bounded long before this.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise InexactJSON(f"cannot store {exc}") from None
    if _long_digits(text):
        _json_loads(text)
    return text


JSONType = JSON().with_variant(JSONB(), "postgresql")


class JSONListHolds(ColumnElement[bool]):
    """True where the JSON list in `column` has `item` as one of its items, compared exactly.

    Not `LIKE` on the JSON text: `_` and `%` in the item would be wildcards there.
    """

    __visit_name__ = "json_list_holds"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - the base class declares it, without ClassVar
        ("column", InternalTraversal.dp_clauseelement),
        ("item", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], item: str) -> None:
        self.column = column
        self.item = literal(item, String())


@compiles(JSONListHolds, "sqlite")
def _sqlite_list_holds(element: JSONListHolds, compiler: SQLCompiler, **kw: Any) -> str:
    column, item = compiler.process(element.column, **kw), compiler.process(element.item, **kw)
    # Both parts are compiled SQL (a column and a bound parameter), never a value.
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {item})"  # noqa: S608


@compiles(JSONListHolds, "postgresql")
def _postgresql_list_holds(element: JSONListHolds, compiler: SQLCompiler, **kw: Any) -> str:
    # JSONB containment: what a GIN index on the column would serve, should one be added.
    column, item = compiler.process(element.column, **kw), compiler.process(element.item, **kw)
    return f"({column} @> jsonb_build_array(CAST({item} AS TEXT)))"


class JSONListHasKey(ColumnElement[bool]):
    """True where the JSON list of objects in `column` has one whose `key` is `item`, compared exactly.

    `key` is a plain word written into the SQL (checked here); `item` is a bound parameter.
    """

    __visit_name__ = "json_list_has_key"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - the base class declares it, without ClassVar
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
        ("item", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], key: str, item: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a plain key: {key!r}")
        self.column = column
        self.key = key
        self.item = literal(item, String())


@compiles(JSONListHasKey, "sqlite")
def _sqlite_list_has_key(element: JSONListHasKey, compiler: SQLCompiler, **kw: Any) -> str:
    column, item = compiler.process(element.column, **kw), compiler.process(element.item, **kw)
    # The key is a checked identifier; the rest is compiled SQL, never a value.
    path = f"'$.{element.key}'"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_extract(json_each.value, {path}) = {item})"  # noqa: S608


@compiles(JSONListHasKey, "postgresql")
def _postgresql_list_has_key(element: JSONListHasKey, compiler: SQLCompiler, **kw: Any) -> str:
    column, item = compiler.process(element.column, **kw), compiler.process(element.item, **kw)
    return f"({column} @> jsonb_build_array(jsonb_build_object('{element.key}', CAST({item} AS TEXT))))"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


Model = TypeVar("Model", bound=Base)

# session.info key: the delivering device's times, for the records the session adds (`DeviceTimes`).
DELIVERY = "truce_delivery"
# A device clock further than this from the server's is flagged on the record's page.
CLOCK_SKEW_S = 5 * 60


@dataclass(frozen=True)
class Delivery:
    """What the device that sent a request said of time: when it made the record, and its clock's offset."""

    device_time: datetime | None
    # The device's clock when it sent, minus the server's when it received, in seconds.
    clock_offset_s: int | None


class DeviceTimes:
    """A record filed from a device keeps the device's own time for it beside the server's receipt time.

    Set when the record is first flushed, from the session's `Delivery` (an API request with `X-Device-Time`
    and `X-Device-Clock`, as the outbox sends): the services never see HTTP, and the values are in the record
    before the log snapshots it.
    """

    device_time: Mapped[datetime | None] = mapped_column(default=None)
    device_clock_offset_s: Mapped[int | None] = mapped_column(default=None)

    @property
    def clock_skewed(self) -> bool:
        """True when the device's clock was more than CLOCK_SKEW_S off the server's."""
        return self.device_clock_offset_s is not None and abs(self.device_clock_offset_s) > CLOCK_SKEW_S


@event.listens_for(Session, "before_flush")
def _stamp_delivery(session: Session, _context: Any, _instances: Any) -> None:
    delivery: Delivery | None = session.info.get(DELIVERY)
    if delivery is None:
        return
    for record in session.new:
        if isinstance(record, DeviceTimes) and record.device_time is None:
            record.device_time = delivery.device_time
            record.device_clock_offset_s = delivery.clock_offset_s


def detached(model: type[Model], values: Mapping[str, Any]) -> Model:
    """An instance of `model` holding `values`, outside any session, built the way the ORM loads a row.

    `model(**values)` runs an attribute event per column; for a log entry that cost as much as hashing and
    storing it.
    """
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return cast(Model, instance)


def loaded(model: type[Model], row: Sequence[Any]) -> Model:
    """A detached record of `model` from a row of its mapped columns in mapper order (`mapped_columns`).

    As the ORM would load it, but without a session: it can be merged into one (`load=False`) as it stands.
    """
    keys = _column_keys(model)
    instance = detached(model, dict(zip(keys, row, strict=True)))
    make_transient_to_detached(instance)
    return instance


def mapped_columns(model: type[Base]) -> list[Column[Any]]:
    """The table columns of `model`'s attributes, in the order `loaded` takes their values."""
    return [model.__mapper__.columns[key] for key in _column_keys(model)]


@functools.cache
def _column_keys(model: type[Base]) -> tuple[str, ...]:
    return tuple(prop.key for prop in model.__mapper__.column_attrs)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class Database:
    """An engine with two session factories: writers serialise, readers do not."""

    engine: Engine
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    # On SQLite, readers have connections of their own (see `connect`).
    reader_engine: Engine | None = None
    # On SQLite, the process's one writer at a time (writelock.py); its holder may lend it to the loop's batch.
    writer_lock: WriterLock | None = None
    # On PostgreSQL, a streaming replica for reports, exports, statistics and proofs (standby.py), when set.
    standby: Standby | None = None

    @property
    def engines(self) -> list[Engine]:
        """Every engine of the database: the writers', and on SQLite the readers' own."""
        return [self.engine] if self.reader_engine is None else [self.engine, self.reader_engine]

    @contextmanager
    def listening(self, name: str, handler: Callable[..., Any]) -> Iterator[None]:
        """`handler` listens to the engine event `name` on every engine of the database while the block runs."""
        for engine in self.engines:
            event.listen(engine, name, handler)
        try:
            yield
        finally:
            for engine in self.engines:
                event.remove(engine, name, handler)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = True, turn: Turn | None = None) -> Iterator[Session]:
        """One unit of work: commit once at the end, roll back on any error.

        `turn`: the writer lock, already taken for this session (on SQLite, by an API or page request on the event
        loop): its first write transaction begins under it instead of taking the lock again.
        """
        factory: Callable[[], Session] = self.writer if write else self.reader
        if turn is not None and write:
            factory = functools.partial(self.writer, bind=self.engine.execution_options(truce_turn=turn))
        with factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def report_session(self) -> Iterator[Session]:
        """A read-only session for reports, exports, statistics and proofs: on the replica while it keeps up.

        Never for the reads of a unit of work that writes: those see their own writes only on the primary.
        """
        factory = self.reader
        if self.standby is not None and self.standby.usable():
            factory = self.standby.sessions
        with factory() as session:
            try:
                yield session
            finally:
                session.rollback()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        # A command run inside another process (the tests, a script) closes its connections when it ends: a
        # PostgreSQL connection left to the garbage collector warns, and holds a server slot meanwhile.
        self.dispose()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader_engine is not None:
            self.reader_engine.dispose()
        if self.standby is not None:
            self.standby.engine.dispose()


def connect(url: str) -> Database:
    """Open the database at `url`, failing with a message a person can act on."""
    try:
        engine, writer_lock = _create_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"TRUCE_DATABASE_URL is not a usable database URL ({exc}); "
            "use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        ) from exc
    check_reachable(engine)
    # A SQLite file gets a second pool for readers. A connection that has just written reads slowly: on the
    # writer's connection the phones' log-in query took 130-160 us after each batch of submissions, under 17 us on
    # a connection that only reads. (An in-memory database is one per connection: it keeps one pool.)
    separate = engine.dialect.name == "sqlite" and not _in_memory(engine)
    readers = _create_engine(url)[0] if separate else engine
    return Database(
        engine=engine,
        writer=sessionmaker(engine, expire_on_commit=False),
        reader=sessionmaker(readers.execution_options(truce_read_only=True), expire_on_commit=False),
        reader_engine=readers if separate else None,
        writer_lock=writer_lock,
    )


def engine_for(url: str) -> Engine:
    """An engine for `url` set up as the primary's is, without checking that it answers (a replica may be down)."""
    try:
        return _create_engine(url)[0]
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"not a usable database URL ({exc}): use postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        ) from exc


def _in_memory(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:" or "mode=memory" in str(engine.url)


def _create_engine(url: str) -> tuple[Engine, WriterLock | None]:
    """The engine of `url`, and on SQLite the writer lock its writers take (shared by every engine on a file)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        connect_args = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False, "factory": SQLiteConnection}
        engine = create_engine(
            url, connect_args=connect_args, json_deserializer=_json_loads, json_serializer=_json_dumps
        )
        writer_lock = WriterLock() if _in_memory(engine) else for_file(engine.url.database or "")
        _tune_sqlite(engine, writer_lock)
        return engine, writer_lock
    # psycopg prepares a statement on the server after five runs, and PostgreSQL then tries a generic plan
    # that ignores the values: for a map box over the whole mission that plan reads every row through the
    # spatial index (5-7 s at a million incidents) where the plan for the actual box walks the time index
    # (80 ms). Planning each query with its values costs well under a millisecond.
    engine = create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=20,
        json_deserializer=_json_loads,
        json_serializer=_json_dumps,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )
    _ping_when_idle(engine)
    _cache_long_statements()
    return engine, None


def plan_generically(session: Session) -> None:
    """Let PostgreSQL keep a generic plan for the statements of the rest of this transaction (`auto`).

    Connections plan every statement with its values (`force_custom_plan`, above, for the map's box queries). A
    phones' batch runs the same few look-ups and INSERTs by key, prepared by psycopg, again and again: planning
    the device's log-in read again took PostgreSQL 0.15-0.3 ms and running it 0.04-0.1 ms. With `auto` the
    server plans a prepared statement afresh only while that plan is cheaper than its generic one.
    """
    session.connection().exec_driver_sql("SET LOCAL plan_cache_mode = auto")


# psycopg's cache of converted queries takes those of up to 50 parameters and 4,096 bytes.
CACHED_STATEMENT_PARAMETERS, CACHED_STATEMENT_BYTES = 4096, 65536


def _cache_long_statements() -> None:
    """Let psycopg keep the conversion of long statements too (to its `$1` placeholders, in Python).

    psycopg leaves statements over 50 parameters or 4 KB out of its cache, expecting an ORM's INSERT of many rows
    to differ every time; it then converts each anew, scanning it for placeholders. Ours repeat: a phones' batch
    inserts each table's rows in one statement whose text depends only on the batch's size (1 to 64). Converting
    them was 7% of a submission's instructions on PostgreSQL (benchmarks/phone_instructions.py, session 18). The
    cache stays psycopg's own, least recently used, 128 entries; these bounds keep a batch of 64 incidents in it
    and keep it under a few megabytes. A psycopg without these settings is left as it is.
    """
    import psycopg._queries as queries  # what it names is internal to psycopg, hence looked up with care

    if hasattr(queries, "MAX_CACHED_STATEMENT_PARAMS") and hasattr(queries, "MAX_CACHED_STATEMENT_LENGTH"):
        queries.MAX_CACHED_STATEMENT_PARAMS = max(queries.MAX_CACHED_STATEMENT_PARAMS, CACHED_STATEMENT_PARAMETERS)
        queries.MAX_CACHED_STATEMENT_LENGTH = max(queries.MAX_CACHED_STATEMENT_LENGTH, CACHED_STATEMENT_BYTES)


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out if it has sat idle for over IDLE_PING_S seconds.

    `pool_pre_ping` checks every checkout with a round trip: with 16 phones, half of PostgreSQL's transactions
    were those pings (issue 24). A connection given back a moment ago is as good as a ping; one idle for a while
    may have been cut (a restarted server, a firewall's idle timeout), and is replaced before anyone uses it. A
    connection cut while in steady use fails the statement it runs (a 500 or a phone's retry), and SQLAlchemy
    then replaces it and every older one.
    """

    @event.listens_for(engine, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool replaces a connection whose checkout raises this, and tries again.
            raise DisconnectionError(f"a pooled connection no longer answers: {exc}") from exc


class SQLiteConnection(sqlite3.Connection):
    """A SQLite connection that gives the process's writer lock back as soon as its transaction has ended."""

    # The lock this connection took for its write transaction (None when it holds none, or writes under a lent one).
    holding: WriterLock | None = None
    busy_ms = BUSY_TIMEOUT_S * 1000

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_when_ended()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_when_ended()

    def close(self) -> None:
        try:
            super().close()
        finally:
            # A closed connection's transaction is over, rolled back by SQLite.
            lock, self.holding = self.holding, None
            if lock is not None:
                lock.release()

    def wait_when_busy(self, milliseconds: int) -> None:
        """SQLite's busy timeout on this connection, set only when it changes (a pooled connection serves both)."""
        if self.busy_ms != milliseconds:
            self.execute(f"PRAGMA busy_timeout={int(milliseconds)}")
            self.busy_ms = milliseconds

    def _release_when_ended(self) -> None:
        if self.holding is None:
            return
        try:
            ended = not self.in_transaction
        except sqlite3.ProgrammingError:  # closed: its transaction went with it
            ended = True
        if ended:
            lock, self.holding = self.holding, None
            lock.release()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _begin_writing(connection: Any, lock: WriterLock) -> None:
    """`BEGIN IMMEDIATE` under the process's writer lock; waiting for either happens only off the event loop.

    A worker thread waits for the lock, then for SQLite's (another process's writer) up to the busy timeout; a
    request that awaited its turn on the loop (`Turn`, deps.py) begins its first transaction under that turn,
    without waiting for the lock again. The loop writes only under a lock it was lent (the phones' batch, which
    awaited it) or one free right now, and does not wait for SQLite's at all: a busy file fails at once and the
    batch tries again later (writer.py).
    """
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, SQLiteConnection):  # a connection made elsewhere; SQLite's busy timeout is all it has
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    owned = None
    turn: Turn | None = connection.get_execution_options().get("truce_turn")
    if lock.lent_here:
        raw.wait_when_busy(0)
    elif turn is not None and turn.lock is lock and turn.hand_over():
        owned = lock  # taken on the loop for this request; released when this transaction ends
        raw.wait_when_busy(BUSY_TIMEOUT_S * 1000)
    elif _on_event_loop():
        if not lock.try_acquire():
            raise Unavailable(BUSY)
        owned = lock
        raw.wait_when_busy(0)
    else:
        if not lock.acquire(BUSY_TIMEOUT_S):
            raise Unavailable(BUSY)
        owned = lock
        raw.wait_when_busy(BUSY_TIMEOUT_S * 1000)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if owned is not None:
            owned.release()
        if isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig):
            raise Unavailable(BUSY) from exc
        raise
    raw.holding = owned


def _tune_sqlite(engine: Engine, lock: WriterLock) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the lock up front: a deferred transaction that reads and then writes
        # can fail with SQLITE_BUSY_SNAPSHOT in WAL mode, which no timeout cures.
        if connection.get_execution_options().get("truce_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_writing(connection, lock)


def check_reachable(engine: Engine) -> None:
    """Run one query so that a missing server or a corrupt file shows now, not mid-request.

    Read-only: on SQLite it neither takes the writer lock nor waits for another process writing the file.
    """
    where = _describe(engine)
    try:
        with engine.connect() as connection:
            connection.execution_options(truce_read_only=True)
            if engine.dialect.name == "sqlite":
                connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            else:
                connection.execute(text("SELECT 1")).scalar_one()
    except DatabaseError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if engine.dialect.name == "sqlite" and "not a database" in message:
            raise ConfigError(
                f"{where} is not a valid SQLite database (it may be corrupt); "
                "restore it from a backup or move it away to start afresh"
            ) from exc
        if isinstance(exc, OperationalError):
            raise ConfigError(
                f"cannot open the database at {where}: {message.strip().splitlines()[0]}; "
                "check TRUCE_DATABASE_URL and that the server is running"
            ) from exc
        raise ConfigError(f"the database at {where} failed a basic query: {message}") from exc


def _describe(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return str(Path(engine.url.database or ":memory:"))
    return engine.url.render_as_string(hide_password=True)
