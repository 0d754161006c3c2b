"""Engines, sessions and the declarative base; the one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import orjson
from sqlalchemy import JSON, Column, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

from truce.errors import ConfigError

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
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def _json_loads(document: str | bytes) -> Any:
    """A JSON column's value, read exactly or not at all.

    orjson reads the common case several times faster than `json`, and exactly; a document with a run of 19
    digits is read by `json` with every integer checked, because orjson would turn one beyond 64 bits into a
    different number (10**30 into 1e+30) and the record would no longer match its log entry.
    """
    text = document.decode() if isinstance(document, bytes) else document
    if _LONG_DIGITS.search(text) is None:
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
    if _LONG_DIGITS.search(text) is not None:
        _json_loads(text)
    return text


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


Model = TypeVar("Model", bound=Base)


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
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit once at the end, roll back on any error."""
        factory = self.writer if write else self.reader
        with factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader_engine is not None:
            self.reader_engine.dispose()


def connect(url: str) -> Database:
    """Open the database at `url`, failing with a message a person can act on."""
    try:
        engine = _create_engine(url)
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
    readers = _create_engine(url) if separate else engine
    return Database(
        engine=engine,
        writer=sessionmaker(engine, expire_on_commit=False),
        reader=sessionmaker(readers.execution_options(truce_read_only=True), expire_on_commit=False),
        reader_engine=readers if separate else None,
    )


def _in_memory(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:" or "mode=memory" in str(engine.url)


def _create_engine(url: str) -> Engine:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            json_deserializer=_json_loads,
            json_serializer=_json_dumps,
        )
        _tune_sqlite(engine)
        return engine
    # psycopg prepares a statement on the server after five runs, and PostgreSQL then tries a generic plan
    # that ignores the values: for a map box over the whole mission that plan reads every row through the
    # spatial index (5-7 s at a million incidents) where the plan for the actual box walks the time index
    # (80 ms). Planning each query with its values costs well under a millisecond.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_deserializer=_json_loads,
        json_serializer=_json_dumps,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the lock up front: a deferred transaction that reads and then writes
        # can fail with SQLITE_BUSY_SNAPSHOT in WAL mode, which no timeout cures.
        if connection.get_execution_options().get("truce_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_reachable(engine: Engine) -> None:
    """Run one query so that a missing server or a corrupt file shows now, not mid-request."""
    where = _describe(engine)
    try:
        with engine.connect() as connection:
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
