"""Fixed statements, compiled once per dialect and run on the DB-API cursor: the log's writes and other hot paths.

Every logged write runs the same few statements (read the head, insert the entry and its subtree nodes, update
the head). Through Core's `execute` each one cost more than the hashing and the canonical JSON together:
compiling from the cache, building an execution context, processing the result (benchmarks/ledger_costs.py).
Here each statement is compiled once per dialect, and its values go through the same bind processors SQLAlchemy
would apply (the SQLite DATETIME text, psycopg's Jsonb and Binary wrappers), so the stored rows are the same.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, Connection, Insert, Select, bindparam, func, insert, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Row = Mapping[str, Any]


class Prepared:
    """One statement compiled for one dialect, with the bind processor of each parameter."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        column_keys: Sequence[str] | None = None,
        *,
        raw_results: bool = False,
    ) -> None:
        """With `raw_results`, a query's values come back as the driver gives them (plain numbers, say)."""
        keys = list(column_keys) if column_keys else None
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=keys))
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = compiled.positiontup if compiled.positional else list(compiled.bind_names.values())
        self.binds: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
        for name in names or ():
            bind = compiled.binds[name]
            self.binds.append((name, bind.value, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        selected = [] if raw_results else getattr(statement, "selected_columns", ())
        self.dialect = dialect
        self._types = [column.type.dialect_impl(dialect) for column in selected]
        self._results: list[Callable[[Any], Any] | None] | None = None if self._types else []
        # An INSERT of named columns on PostgreSQL: several rows go as one statement, each column an array.
        self.rows_at_once = _from_arrays(statement, dialect, keys) if keys else None

    def results(self, cursor: Any) -> list[Callable[[Any], Any] | None]:
        """Each column's result processor, made on first use from the driver's type codes, as Core makes them.

        The cursor's description is read only then: psycopg builds an object per column for it, every time.
        """
        if self._results is None:
            self._results = [
                kind.result_processor(self.dialect, column[1])
                for kind, column in zip(self._types, cursor.description, strict=True)
            ]
        return self._results

    def parameters(self, row: Row) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for `row`; a name `row` lacks takes the value bound in the statement."""
        values = []
        for name, default, process in self.binds:
            value = row.get(name, default)
            values.append(value if process is None else process(value))
        if self.positional:
            return tuple(values)
        return dict(zip([name for name, _, _ in self.binds], values, strict=True))


def _from_arrays(statement: ClauseElement, dialect: Dialect, keys: list[str]) -> Prepared | None:
    """`statement`'s rows from one array per column (`INSERT ... SELECT * FROM unnest(...)`), on PostgreSQL.

    psycopg sends an executemany as a pipeline of one statement per row, waiting on the socket before each: a
    batch of the log's entries and nodes cost dozens of polls, each of which hands the interpreter lock to the
    event loop and waits to get it back (BENCHMARKS.md, session 18). This is one statement whatever the number
    of rows, with the same text every time, so that psycopg parses it once and the server prepares it.
    """
    # Each array must be sent with its type (`%(idx)s::BIGINT[]`) for unnest to know its columns: psycopg's
    # dialect renders the casts.
    if dialect.name != "postgresql" or dialect.bind_typing is not BindTyping.RENDER_CASTS:
        return None
    if not isinstance(statement, Insert):
        return None
    table = statement.table
    columns = [table.c[key] for key in keys]
    arrays = [bindparam(column.key, type_=ARRAY(column.type)) for column in columns]
    rows: Select[Any] = select(literal_column("*")).select_from(func.unnest(*arrays))
    prepared = Prepared(insert(table).from_select(columns, rows), dialect)
    # Sent in binary: psycopg's text form of an array searches every element for characters to quote and escapes
    # them (the entries' JSON is full of quotes); the binary form only packs each element's length before it.
    for name, _, _ in prepared.binds:
        prepared.sql = prepared.sql.replace(f"%({name})s", f"%({name})b")
    return prepared


class Statements:
    """The statements one module runs, prepared for one dialect on first use."""

    def __init__(self, build: Callable[[Dialect], dict[str, Prepared]]) -> None:
        self._build = build
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, dict[str, Prepared]] = weakref.WeakKeyDictionary()

    def on(self, connection: Connection) -> Cursor:
        """A cursor of `connection`'s driver connection that runs these statements."""
        dialect = connection.dialect
        prepared = self._by_dialect.get(dialect)
        if prepared is None:
            prepared = self._by_dialect[dialect] = self._build(dialect)
        return Cursor(connection, prepared)

    def fetchone(self, connection: Connection, name: str, row: Row) -> tuple[Any, ...] | None:
        """Run query `name` once on a cursor of its own: its first row, as `Cursor.fetchone` gives it."""
        cursor = self.on(connection)
        try:
            return cursor.fetchone(name, row)
        finally:
            cursor.close()

    def fetchall(self, connection: Connection, name: str, row: Row) -> list[tuple[Any, ...]]:
        """Run query `name` once on a cursor of its own: all its rows, as `Cursor.fetchall` gives them."""
        cursor = self.on(connection)
        try:
            return cursor.fetchall(name, row)
        finally:
            cursor.close()


class Cursor:
    """Runs prepared statements on the driver's own cursor, inside the Connection's transaction."""

    def __init__(self, connection: Connection, prepared: dict[str, Prepared]) -> None:
        self.prepared = prepared
        # The Connection has begun its transaction (BEGIN IMMEDIATE on SQLite) by now; the driver cursor joins it.
        self.cursor = connection.connection.cursor()
        self.driver_error: type[Exception] = connection.dialect.loaded_dbapi.Error

    def fetchone(self, name: str, row: Row) -> tuple[Any, ...] | None:
        """Run query `name` with the values of `row`; its first row, values as Core would return them."""
        statement = self.prepared[name]
        self._run(self.cursor.execute, statement.sql, statement.parameters(row))
        found = self.cursor.fetchone()
        return None if found is None else _processed(statement.results(self.cursor), found)

    def fetchall(self, name: str, row: Row) -> list[tuple[Any, ...]]:
        """Run query `name` with the values of `row`; all its rows, values as Core would return them."""
        statement = self.prepared[name]
        self._run(self.cursor.execute, statement.sql, statement.parameters(row))
        rows = self.cursor.fetchall()
        if not rows:
            return []
        processors = statement.results(self.cursor)
        return [_processed(processors, found) for found in rows]

    def execute(self, name: str, rows: Sequence[Row]) -> int:
        """Run statement `name` for each of `rows`; the rows it changed.

        Several rows of an INSERT go as one statement on PostgreSQL (`_from_arrays`), as one executemany elsewhere.
        """
        statement = self.prepared[name]
        at_once = statement.rows_at_once
        if len(rows) == 1:
            self._run(self.cursor.execute, statement.sql, statement.parameters(rows[0]))
        elif rows and at_once is not None:
            columns = {name: [row.get(name) for row in rows] for name, _, _ in at_once.binds}
            self._run(self.cursor.execute, at_once.sql, at_once.parameters(columns))
        elif rows:
            self._run(self.cursor.executemany, statement.sql, [statement.parameters(row) for row in rows])
        else:
            return 0
        return int(self.cursor.rowcount)

    def _run(self, method: Callable[[str, Any], Any], sql: str, parameters: Any) -> None:
        try:
            method(sql, parameters)
        except self.driver_error as exc:
            # Callers see the errors Core would raise (IntegrityError and the like), not the driver's own.
            raise DBAPIError.instance(sql, parameters, exc, self.driver_error) from exc

    def close(self) -> None:
        self.cursor.close()


def _processed(processors: list[Callable[[Any], Any] | None], found: Sequence[Any]) -> tuple[Any, ...]:
    if not processors:
        return tuple(found)
    return tuple(v if p is None else p(v) for v, p in zip(found, processors, strict=True))
