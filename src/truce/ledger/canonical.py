"""Canonical JSON of entries and the snapshot of a stored record that goes into them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import inspect

from truce.db import Base


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no insignificant whitespace, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


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


def snapshot(record: Base) -> dict[str, Any]:
    """Every column of `record`, with redacted columns replaced by a digest of their value."""
    redact: frozenset[str] = getattr(record, "__log_redact__", frozenset())
    state = inspect(record)
    result: dict[str, Any] = {}
    for attribute in state.mapper.column_attrs:
        value = plain(getattr(record, attribute.key))
        if attribute.key in redact and value is not None:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
        result[attribute.key] = value
    return result


def entity_type(record: Base) -> str:
    """The name an entry gives a record's kind: its table's name."""
    return str(record.__table__.name)  # type: ignore[attr-defined]


def entity_id(record: Base) -> str:
    """A record's primary key as text; composite keys are joined with '/'."""
    identity = inspect(record).mapper.primary_key_from_instance(record)
    if any(part is None for part in identity):
        raise ValueError("the record has no primary key yet; flush before logging it")
    return "/".join(str(part) for part in identity)
