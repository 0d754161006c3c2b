"""A patrol's track from a phone: the form's geotrace (untimed) and Collect's background location audit (timed).

ODK's geotrace is "lat lon altitude accuracy" per point, without times: it proves where, not when. When the form
asks for a location audit (`odk:location-priority` on `meta/audit`), Collect writes `audit.csv`: one row per
event of the form, with its start in milliseconds since 1970 and the phone's latest position (`latitude`,
`longitude`, `accuracy`); those positions, in order, are the timed track (client audit log specification).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Iterator

from truce.errors import Invalid
from truce.patrols.points import Points, PointsBuilder

# A day of events, every column filled, is a few MB; beyond this the file is not an audit log Collect wrote.
MAX_AUDIT_BYTES = 20 * 1024 * 1024
AUDIT_COLUMNS = ("start", "latitude", "longitude", "accuracy")


def from_geotrace(text: str, field: str) -> Points:
    """The points of an ODK geotrace ("lat lon [altitude [accuracy]]; ..."), untimed, accuracy kept."""
    builder = PointsBuilder(field)
    for number, part in enumerate((p for p in text.split(";") if p.strip()), start=1):
        values = part.split()
        if not 2 <= len(values) <= 4:
            raise Invalid(f"point {number}: {part.strip()[:60]!r} is not 'lat lon altitude accuracy'", field)
        where = f"point {number}"
        lat, lon = _number(values[0], where, field), _number(values[1], where, field)
        accuracy = _number(values[3], where, field) if len(values) == 4 else None
        # Collect writes 0.0 when the position came without an accuracy.
        builder.add(lon, lat, None, accuracy or None)
    return builder.finish()


def from_audit(content: bytes, field: str) -> Points | None:
    """The timed points of an audit.csv; None when it holds fewer than two positions (location not recorded).

    Rows without a position are skipped; a position repeated by the next events (the phone's latest fix, unchanged)
    is kept once, at its first event. Refused with the row's number: a file that is not UTF-8 CSV with the audit's
    columns, a start that is not a whole number of milliseconds, a position off the globe, a time going backwards.
    """
    if len(content) > MAX_AUDIT_BYTES:
        raise Invalid(f"the audit log is larger than {MAX_AUDIT_BYTES // (1024 * 1024)} MB", field)
    rows = csv.DictReader(_lines(content, field), strict=True)
    missing = [c for c in AUDIT_COLUMNS if c not in (rows.fieldnames or ())]
    if missing:
        raise Invalid(f"the audit log has no column {', '.join(missing)} (was location tracking on?)", field)
    builder = PointsBuilder(field)
    last: tuple[str, str] | None = None
    try:
        for row in rows:
            position = (row["latitude"] or "", row["longitude"] or "")
            if not position[0].strip() or not position[1].strip() or position == last:
                continue
            last = position
            where = f"line {rows.line_num}"
            start = row["start"] or ""
            if not start.strip().isdigit() or len(start.strip()) > 16:
                raise Invalid(f"{where}: start {start.strip()[:40]!r} is not a whole number of milliseconds", field)
            accuracy = row["accuracy"] or ""
            builder.add(
                _number(position[1], where, field),
                _number(position[0], where, field),
                int(start) / 1000,
                _number(accuracy, where, field) if accuracy.strip() else None,
            )
    except csv.Error as exc:
        raise Invalid(f"line {rows.line_num}: the audit log is not valid CSV ({exc})", field) from None
    if builder.count < 2:
        return None
    return builder.finish()


def _lines(content: bytes, field: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(content, final=True)
    except UnicodeDecodeError:
        raise Invalid("the audit log is not UTF-8 text", field) from None
    return iter(io.StringIO(text, newline=""))


def _number(text: str, where: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Invalid(f"{where}: {text.strip()[:40]!r} is not a number", field) from None
    if not math.isfinite(value):
        raise Invalid(f"{where}: {text.strip()[:40]!r} is not a finite number", field)
    return value
