"""Hostile and broken input files: wrong encodings, missing columns, endless lines, huge files, junk;
and property tests that the date parser and the CSV escaping never crash."""

from __future__ import annotations

import contextlib
import csv
import io
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, SCENES, Scene
from truce.errors import Invalid
from truce.incidents.models import Incident
from truce.interop import acled
from truce.interop.export import safe, unescape
from truce.interop.importer import ImportReport, import_file
from truce.interop.reading import MAX_LINE_BYTES, records
from truce.missions.models import Mission
from truce.policy import Actor

HEADER = "event_id_cnty,event_date,event_type,sub_event_type,latitude,longitude,notes\n"


def good_row(event_id: str, notes: str = "Shots heard.", scene: Scene = SCENES[DEMO_SLUG]) -> str:
    """A row of an event in the scene's mission (nk-2020 unless told), five days before its day."""
    lon, lat = scene.at(46.80, 39.80)
    return f"{event_id},{scene.day - timedelta(days=5)},Battles,Armed clash,{lat},{lon},{notes}\n"


def run_import(session: Session, mission: Mission, data: bytes) -> ImportReport:
    return import_file(session, mission, io.BytesIO(data), "events.csv", "acled", actor=Actor.system(mission.id))


def incident_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Incident)) or 0)


def test_not_utf8_names_the_line_and_imports_nothing(session: Session, mission: Mission, scene: Scene) -> None:
    before = incident_count(session)
    data = (HEADER + good_row("E1", scene=scene)).encode()
    data += good_row("E2", "Tir entendu près de Hadrut", scene).encode("latin-1")
    with pytest.raises(Invalid, match=r"events\.csv line 3 is not UTF-8 text \(byte 0xe8") as raised:
        run_import(session, mission, data)
    assert "nothing was imported" in raised.value.detail
    assert incident_count(session) == before  # the good row on line 2 was taken back with the rest


def test_utf16_is_refused_on_line_1(session: Session, mission: Mission) -> None:
    with pytest.raises(Invalid, match="line 1 is not UTF-8"):
        run_import(session, mission, (HEADER + good_row("E1")).encode("utf-16"))


def test_a_byte_order_mark_is_fine(session: Session, mission: Mission, scene: Scene) -> None:
    report = run_import(session, mission, ("\ufeff" + HEADER + good_row("B1", scene=scene)).encode())
    assert report.created == 1


def test_missing_columns_are_named(session: Session, mission: Mission) -> None:
    with pytest.raises(Invalid, match="has no column event_date, latitude") as raised:
        run_import(session, mission, b"event_id_cnty,event_type,sub_event_type,longitude\nA,Battles,Armed clash,46\n")
    assert "line 1 is the header" in raised.value.detail


def test_an_empty_file(session: Session, mission: Mission) -> None:
    with pytest.raises(Invalid, match="is empty"):
        run_import(session, mission, b"")


def test_an_endless_line_is_refused_without_reading_it_all(session: Session, mission: Mission) -> None:
    data = (HEADER + good_row("L1")).encode() + b"x" * (MAX_LINE_BYTES * 3)
    with pytest.raises(Invalid, match=r"line 3 is longer than 1,000,000 bytes"):
        run_import(session, mission, data)


def test_junk_rows_are_reported_and_the_rest_go_in(session: Session, mission: Mission, scene: Scene) -> None:
    runaway = good_row("J4", '"a quote never closed' + "x" * 200_000, scene)
    data = (
        HEADER + good_row("J1", scene=scene) + "\n" + "J3,2020-11-16\n" + runaway + good_row("J6", scene=scene)
    ).encode()
    report = run_import(session, mission, data)
    problems = [str(p) for p in report.problems]
    assert problems[0] == "line 4: has 2 cells where the header has 7 columns"
    assert problems[1].startswith("line 5: is not readable as CSV: field larger than field limit")
    assert report.created == 2  # J1, and J6 after the runaway line


class CountingReader(io.RawIOBase):
    """A file of `rows` generated rows that counts the bytes taken from it; never held in memory whole."""

    def __init__(self, rows: int) -> None:
        self.lines: Iterator[bytes] = iter(
            [HEADER.encode()] + [good_row(f"S{n}", "x" * 100).encode() for n in range(rows)]
        )
        self.taken = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer):
            line = next(self.lines, b"")
            if not line:
                break
            self.pending += line
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.taken += size
        return size


def test_records_are_read_as_they_are_needed() -> None:
    raw = CountingReader(100_000)  # about 15 MB
    stream: BinaryIO = io.BufferedReader(raw)
    rows = records(stream, "big.csv", acled.REQUIRED[:2])
    first = next(rows)
    assert first.line == 2
    assert raw.taken < 64 * 1024


def test_a_large_file_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(60_000):
            out.write(good_row(f"M{n}", "Long narrative " * 8))
    assert path.stat().st_size > 8_000_000
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            seen = sum(1 for _ in records(stream, path.name, acled.REQUIRED))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 60_000
    assert peak < 2_000_000


# --- properties --------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_parse_date_never_crashes(text: str) -> None:
    try:
        parsed = acled.parse_date(text)
    except ValueError:
        return
    assert isinstance(parsed, date)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_parse_date_reads_both_formats(day: date) -> None:
    month = acled.MONTH_NAMES[day.month - 1].capitalize()
    assert acled.parse_date(day.isoformat()) == day
    assert acled.parse_date(f"{day.day} {month} {day.year}") == day


@given(st.text())
def test_escaped_cells_never_start_a_formula_and_come_back_intact(text: str) -> None:
    cell = safe(text)
    assert not cell or cell[0] not in "=+-@\t\r"
    assert unescape(cell) == text
    out = io.StringIO(newline="")
    csv.writer(out).writerow([cell, "next"])
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [cell, "next"]


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30), min_size=1, max_size=8))
def test_reading_arbitrary_csv_never_crashes(cells: list[str]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["event_id_cnty", "event_date", "event_type"])
    writer.writerow(cells)
    for record in records(io.BytesIO(out.getvalue().encode()), "any.csv", ("event_id_cnty",)):
        if record.error:
            continue
        with contextlib.suppress(ValueError):
            acled.parse_date(record.text("event_date"))
