"""The bounds that keep any one request cheap; docs/limits.md lists them with their reasons.

Each bound is refused with a clear 4xx naming the field, before the expensive work it guards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AwareDatetime, Field

from truce.errors import Invalid

KB = 1024
MB = 1024 * KB

# Request bodies (the gate, gate.py). Uploads have their own setting, TRUCE_MAX_UPLOAD_MB.
DEFAULT_JSON_MB = 1  # TRUCE_MAX_JSON_MB: any JSON or form body; 20,000 vertices are about 0.4 MB of JSON
BATCH_JSON_MB = 20  # POST .../incidents/batch: up to 10,000 features of about 2 KB each
LOGIN_FORM_BYTES = 8 * KB  # /login, /logout, /language, /api/v1/auth/token: a name, a password, a token
COSIGNATURE_BYTES = 8 * KB  # POST /api/v1/log/cosignatures: one signature line

# Validation errors reported in one answer; the rest are counted, not listed.
MAX_REPORTED_ERRORS = 20
MAX_MESSAGE_CHARS = 300

# Geometries (geo.parse_geometry): the same bounds for the API, imports, pages and phones.
MAX_VERTICES = 20_000  # positions in one geometry, over all its rings and parts
MAX_PARTS = 1_000  # parts of a MultiPoint/MultiLineString/MultiPolygon
MAX_RINGS = 1_000  # rings of one polygon (the shell and its holes)

# Tracks (patrols/points.py): a day of one point a second is 86,400; a file past this is refused while read.
MAX_TRACK_POINTS = 500_000

# Dates: any day a request names lies in this span, and a range or a day-by-day series spans at most this.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_RANGE_DAYS = 3_660  # about ten years

# Collections: the largest page a list route answers, and its default when `limit` is not given.
MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000

Day = Annotated[
    date,
    Field(ge=FIRST_DAY, le=LAST_DAY, description=f"a day, YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}"),
]
# The same for a query parameter, where FastAPI shows Query's description in the OpenAPI document.
DayParam = Annotated[
    date | None,
    Query(
        ge=FIRST_DAY,
        le=LAST_DAY,
        description=f"a day, YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}; a range spans at most {MAX_RANGE_DAYS:,} days",
    ),
]

Moment = Annotated[
    AwareDatetime,
    Field(
        ge=datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC),
        le=datetime(LAST_DAY.year, 12, 31, tzinfo=UTC),
        description=f"a time with its UTC offset, ISO 8601, in the years {FIRST_DAY.year} to {LAST_DAY.year}",
    ),
]


def check_day(day: date, field: str) -> date:
    """`day`, if it lies between FIRST_DAY and LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(f"{day} is outside {FIRST_DAY} to {LAST_DAY}", field)
    return day


def check_range(first: date | None, last: date | None, *, since: str = "since", until: str = "until") -> None:
    """Refuse a range that ends before it starts or spans more than MAX_RANGE_DAYS days."""
    if first is not None:
        check_day(first, since)
    if last is not None:
        check_day(last, until)
    if first is None or last is None:
        return
    if last < first:
        raise Invalid(f"{last} is before {since} {first}", until)
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise Invalid(f"the range from {first} to {last} is longer than {MAX_RANGE_DAYS} days; ask for less", until)


def unknown_keys(data: Any, accepted: frozenset[str]) -> list[str]:
    """The keys of `data` (when a dict) that are not in `accepted`."""
    if not isinstance(data, dict):
        return []
    return [key for key in data if key not in accepted]


def shortened(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text`, cut to `limit` characters with an ellipsis: an error message never echoes a huge input."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
