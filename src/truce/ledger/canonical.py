"""Canonical JSON of entries and the snapshot of a stored record that goes into them."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import inspect

from truce.db import Base

# One encoder for every entry: json.dumps with these settings would build a new one per call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no insignificant whitespace, no NaN."""
    return _ENCODER.encode(value)


def plain(value: Any) -> Any:
    """A stored column value as JSON can hold it, the same way on every backend."""
    if isinstance(value, datetime):
        # Stored times come back in UTC, so they are logged in UTC too.
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value.is_integer():
        # PostgreSQL and SQLite may hand back 5 or 5.0 for the same stored float.
        return float(value)
    return value


# Values that `plain` would hand back unchanged (a JSON column's value among them); it is called for the others.
_AS_IS = frozenset({str, int, bool, float, type(None), dict, list})


def snapshot(record: Base) -> dict[str, Any]:
    """Every column of `record`, with redacted columns replaced by a digest of their value."""
    loaded = record.__dict__
    result: dict[str, Any] = {}
    for key, redacted in _columns(type(record)):
        # Loaded values straight from the instance; an expired or deferred one is loaded by the attribute.
        value = loaded[key] if key in loaded else getattr(record, key)
        if type(value) not in _AS_IS:
            value = plain(value)
        if redacted and value is not None:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
        result[key] = value
    return result


@functools.cache
def _columns(model: type[Base]) -> tuple[tuple[str, bool], ...]:
    """The column attributes of `model`, each with whether the log keeps only its digest.

    `__log_skip__` names columns the log leaves out: operational hints about a record that are not its content
    (a mission's `events_out`), written with a Core UPDATE so that the record does not count as changed.
    """
    redact: frozenset[str] = getattr(model, "__log_redact__", frozenset())
    skip: frozenset[str] = getattr(model, "__log_skip__", frozenset())
    columns = (attribute for attribute in inspect(model).column_attrs if attribute.key not in skip)
    return tuple((attribute.key, attribute.key in redact) for attribute in columns)


def entity_type(record: Base) -> str:
    """The name an entry gives a record's kind: its table's name."""
    return str(record.__table__.name)  # type: ignore[attr-defined]


def entity_id(record: Base) -> str:
    """A record's primary key as text; composite keys are joined with '/'."""
    loaded = record.__dict__
    identity = [loaded[key] if key in loaded else getattr(record, key) for key in _key_attributes(type(record))]
    if any(part is None for part in identity):
        raise ValueError("the record has no primary key yet; flush before logging it")
    return "/".join(str(part) for part in identity)


@functools.cache
def _key_attributes(model: type[Base]) -> tuple[str, ...]:
    """The attributes that hold `model`'s primary key, in the key's order."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
