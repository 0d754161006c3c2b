"""Reading untrusted CSV files a line at a time: strict UTF-8, named missing columns, numbered rows."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from truce.errors import Invalid
from truce.interop.export import unescape

# A longer line is not a CSV record but an attack or a wrong file; refusing it keeps memory bounded.
MAX_LINE_BYTES = 1_000_000
NOTHING_IMPORTED = "nothing was imported"


class RowError(ValueError):
    """One row that cannot be imported; the message says why, in the file's own terms."""


@dataclass(frozen=True)
class Record:
    """One CSV record: the line it starts on and its cells by (lower-case) column name, or why it has none."""

    line: int
    cells: dict[str, str]
    error: str = ""

    def text(self, column: str) -> str:
        """The cell, stripped, with a leading quote added against formula injection taken off."""
        return unescape(self.cells.get(column, "").strip())


def decoded_lines(stream: BinaryIO, name: str) -> Iterator[str]:
    """The file's lines as text, one at a time; the first non-UTF-8 line stops the import with its number."""
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise Invalid(f"{name} line {number} is longer than {MAX_LINE_BYTES:,} bytes; {NOTHING_IMPORTED}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(
                f"{name} line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} "
                f"of the line); save the file as UTF-8 and import it again; {NOTHING_IMPORTED}"
            ) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def records(stream: BinaryIO, name: str, required: Sequence[str]) -> Iterator[Record]:
    """The file's records after its header; fails at once, naming them, if required columns are missing.

    A record that csv cannot parse, or whose number of cells differs from the header's, is yielded with
    its `error` set, so that the caller reports it with its line number and carries on.
    """
    reader = csv.reader(decoded_lines(stream, name), strict=False)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Invalid(f"{name} line 1: {exc}; {NOTHING_IMPORTED}") from None
    if header is None:
        raise Invalid(f"{name} is empty; {NOTHING_IMPORTED}")
    columns = [column.strip().lower() for column in header]
    missing = [column for column in required if column not in columns]
    if missing:
        raise Invalid(f"{name} has no column {', '.join(missing)} (line 1 is the header); {NOTHING_IMPORTED}")
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(start, {}, f"is not readable as CSV: {exc}")
            continue
        if not cells or cells == [""]:
            continue  # a blank line
        if len(cells) != len(columns):
            error = f"has {len(cells)} cells where the header has {len(columns)} columns"
            yield Record(start, {}, error)
            continue
        yield Record(start, dict(zip(columns, cells, strict=True)))


def integer(record: Record, column: str, *, default: int | None = None, low: int = 0, high: int = 10**9) -> int:
    """A whole number from a cell (`12` or `12.0`), within [low, high]."""
    text = record.text(column)
    if not text:
        if default is None:
            raise RowError(f"{column} is empty")
        return default
    try:
        number = float(text)
    except ValueError:
        raise RowError(f"{column} {text[:40]!r} is not a number") from None
    if not math.isfinite(number) or number != int(number):
        raise RowError(f"{column} {text[:40]!r} is not a whole number")
    if not low <= number <= high:
        raise RowError(f"{column} {int(number)} is out of range [{low}, {high}]")
    return int(number)


def coordinate(record: Record, column: str, limit: float) -> float:
    """A latitude (limit 90) or longitude (limit 180) in decimal degrees."""
    text = record.text(column)
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{column} {text[:40]!r} is not a number") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise RowError(f"{column} {text[:40]} is out of range [-{limit:g}, {limit:g}]")
    return value
