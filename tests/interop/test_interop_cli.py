"""`truce export` and `truce import` as a person runs them: files written whole, reports by line, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from support import assert_clean_error, truce, truce_process

HEADER = "event_id_cnty,event_date,event_type,sub_event_type,latitude,longitude,notes,fatalities\n"


@pytest.fixture(scope="module")
def demo_dir(module_demo_dir: Path) -> Path:
    """This module's copy of the demo's data directory (`truce demo --no-serve` runs once per session)."""
    return module_demo_dir


def test_export_to_files(demo_dir: Path, tmp_path: Path) -> None:
    for file_format in ("acled", "hxl", "csv", "geojson"):
        out = tmp_path / f"incidents.{file_format}"
        result = truce("export", "nk-2020", "--format", file_format, "--out", str(out), "--data-dir", str(demo_dir))
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("exported ")
        assert "(public view)" in result.stderr
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left
    with (tmp_path / "incidents.acled").open(newline="", encoding="utf-8") as acled:
        rows = list(csv.reader(acled))
    assert len(rows[0]) == 31
    assert rows[0][0] == "event_id_cnty"
    assert len(json.loads((tmp_path / "incidents.geojson").read_text())["features"]) == len(rows) - 1


def test_a_progress_bar_when_standard_error_is_a_terminal(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "incidents.csv"
    terminal = {"TTY_COMPATIBLE": "1", "TERM": "xterm"}  # Rich then treats standard error as a terminal
    # In a process of its own: Rich decides about the terminal once, for the process that draws the bar.
    result = truce_process("export", "nk-2020", "--format", "acled", "--out", str(out), "--data-dir", str(demo_dir),
                   env=terminal)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "exporting acled" in result.stderr
    assert "100%" in result.stderr
    assert result.stderr.rstrip().endswith(f"(public view) to {out}")


def test_export_as_a_member_to_standard_output(demo_dir: Path) -> None:
    public = truce("export", "nk-2020", "--format", "csv", "--data-dir", str(demo_dir))
    analyst = truce("export", "nk-2020", "--format", "csv", "--as", "analyst-ru", "--data-dir", str(demo_dir))
    assert public.returncode == analyst.returncode == 0, public.stderr + analyst.stderr
    assert public.stderr == ""
    assert len(analyst.stdout.splitlines()) > len(public.stdout.splitlines()) > 1


def test_export_takes_the_lists_filters(demo_dir: Path) -> None:
    # The same query object as the list, the map and the API: here, the analysts' confirmed incidents of a week.
    whole = truce("export", "nk-2020", "--format", "csv", "--as", "analyst-ru", "--data-dir", str(demo_dir))
    week = truce("export", "nk-2020", "--format", "csv", "--as", "analyst-ru", "--since", "2020-11-10",
                 "--until", "2020-11-16", "--status", "confirmed", "--data-dir", str(demo_dir))  # fmt: skip
    assert week.returncode == 0, week.stderr
    rows = week.stdout.splitlines()
    assert 1 < len(rows) < len(whole.stdout.splitlines())
    assert all(",confirmed," in row for row in rows[1:])


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["nk-2020", "--format", "pdf"], ["unknown export format 'pdf'", "acled"]),
        (["nk-1994", "--format", "acled"], ["no mission with slug 'nk-1994'"]),
        (["nk-2020", "--format", "acled", "--out", "/no/such/dir/x.csv"], ["cannot write to /no/such/dir/x.csv"]),
        (["nk-2020", "--format", "acled", "--as", "nobody"], ["no user named 'nobody'"]),
        (["nk-2020", "--format", "hxl", "--out", "/tmp"], ["cannot write to /tmp: it is a directory"]),
        (["nk-2020", "--format", "csv", "--since", "1.11.2020"], ["--since: give a day as YYYY-MM-DD"]),
        (["nk-2020", "--format", "csv", "--source", "rumour"], ["source: must be one of"]),
    ],
)
def test_export_errors_are_one_line(demo_dir: Path, args: list[str], phrases: list[str]) -> None:
    result = truce("export", *args, "--data-dir", str(demo_dir))
    assert_clean_error(result, *phrases)
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_reports_bad_rows_and_takes_the_good(demo_dir: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        HEADER
        + "CLI1,16 November 2020,Battles,Armed clash,39.80,46.80,Shots heard.,0\n"
        + "CLI2,2020-11-16,Battles,Armed clash,139.80,46.80,Off the map.,0\n"
        + "CLI3,2020-13-16,Battles,Armed clash,39.80,46.80,No such month.,0\n"
        + "CLI4,2020-11-17,Riots,Mob violence,39.81,46.81,Crowd.,0\n",
        encoding="utf-8",
    )
    result = truce("import", "nk-2020", str(events), "--format", "acled", "--data-dir", str(demo_dir))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "imported 2 incidents into nk-2020; 0 already there; 2 refused:"
    assert lines[1] == "  line 3: latitude 139.80 is out of range [-90, 90]"
    assert lines[2].startswith("  line 4: event_date '2020-13-16' is not a day of the calendar")
    again = truce("import", "nk-2020", str(events), "--format", "acled", "--data-dir", str(demo_dir))
    assert again.stdout.splitlines()[0] == "imported 0 incidents into nk-2020; 2 already there; 2 refused:"
    exported = truce("export", "nk-2020", "--format", "acled", "--data-dir", str(demo_dir))
    assert "CLI1," in exported.stdout  # imported events are public
    assert "CLI4," in exported.stdout


def test_import_of_a_file_that_is_not_utf8(demo_dir: Path, tmp_path: Path) -> None:
    events = tmp_path / "latin1.csv"
    events.write_bytes(
        (HEADER + "LAT1,2020-11-16,Battles,Armed clash,39.80,46.80,Tir entendu,0\n").encode()
        + "LAT2,2020-11-16,Battles,Armed clash,39.80,46.80,Tir entendu près du poste,0\n".encode("latin-1")
    )
    result = truce("import", "nk-2020", str(events), "--format", "acled", "--data-dir", str(demo_dir))
    assert_clean_error(result, "line 3 is not UTF-8", "nothing was imported")
    exported = truce("export", "nk-2020", "--format", "acled", "--data-dir", str(demo_dir))
    assert "LAT1," not in exported.stdout


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["--format", "acled", "--as", "liaison-am"], ["liaison officer files allegations"]),
        (["--format", "acled", "--as", "analyst-ru"], ["analyst role may not"]),
        (["--format", "xlsx"], ["unknown import format 'xlsx'"]),
    ],
)
def test_import_errors_are_one_line(demo_dir: Path, tmp_path: Path, args: list[str], phrases: list[str]) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "AS1,2020-11-16,Battles,Armed clash,39.80,46.80,Shots.,0\n", encoding="utf-8")
    result = truce("import", "nk-2020", str(events), *args, "--data-dir", str(demo_dir))
    assert_clean_error(result, *phrases)


def test_import_of_a_missing_file(demo_dir: Path, tmp_path: Path) -> None:
    result = truce("import", "nk-2020", str(tmp_path / "nope.csv"), "--format", "ucdp", "--data-dir", str(demo_dir))
    assert_clean_error(result, "cannot read", "nope.csv")
