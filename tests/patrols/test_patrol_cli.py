"""`truce patrol import-gpx` and `truce patrol deviations` as a person runs them, on the demo's data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol_support import gpx
from support import assert_clean_error, truce
from truce.demo import patrols as demo_patrols
from truce.evidence import store


@pytest.fixture(scope="module")
def demo_dir(module_demo_dir: Path) -> Path:
    return module_demo_dir


def test_the_demo_has_patrols_one_of_them_deviating(demo_dir: Path) -> None:
    corridor = truce("patrol", "deviations", "nk-2020", "1", "--data-dir", str(demo_dir))
    assert corridor.returncode == 0, corridor.stderr
    assert "0 outside" in corridor.stdout
    assert "not reached" not in corridor.stdout
    contact = truce("patrol", "deviations", "nk-2020", "2", "--data-dir", str(demo_dir))
    assert "2.00 km off the route" in contact.stdout
    assert "20 min" in contact.stdout


def test_import_a_gpx_file(demo_dir: Path, tmp_path: Path) -> None:
    points = demo_patrols._track(demo_patrols.CORRIDOR[:3], demo_patrols._at(2020, 11, 20, 8))
    path = tmp_path / "corridor.gpx"
    path.write_bytes(gpx([(float(x), float(y), None) for x, y in zip(points.lon, points.lat, strict=True)]))
    before = set(store.iter_hashes(demo_dir))
    result = truce("patrol", "import-gpx", "nk-2020", "1", str(path), "--as", "monitor-ru", "--data-dir", str(demo_dir))
    assert result.returncode == 0, result.stderr
    assert f"{len(points):,} points" in result.stdout
    assert "untimed" in result.stdout
    (added,) = set(store.iter_hashes(demo_dir)) - before
    verified = truce("log", "verify", "--data-dir", str(demo_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The GPX file is checked with the evidence: swapped on disk, it is reported.
    stored = store.path_for(demo_dir, added)
    original = stored.read_bytes()
    stored.chmod(0o644)
    stored.write_bytes(original.replace(b"<trkpt", b"<trkpt ", 1))
    try:
        tampered = truce("log", "verify", "--data-dir", str(demo_dir))
        assert tampered.returncode == 1
        assert f"evidence file {added}" in tampered.stdout + tampered.stderr
    finally:
        stored.write_bytes(original)


@pytest.mark.parametrize(
    ("content", "args", "phrases"),
    [
        (b"<gpx><trk><trkseg><trkpt lat='91' lon='1'/><trkpt lat='1' lon='1'/></trkseg></trk></gpx>", [],
         ["point 1: latitude 91.0 is off the globe"]),
        (b"<gpx><trk>", [], ["not well-formed XML at line 1"]),
        # The demo's patrol plans are the mission staff's: a liaison officer is not told they exist.
        (b"<gpx/>", ["--as", "liaison-am"], ["patrol not found"]),
        (b"<gpx/>", ["--as", "analyst-ru"], ["the analyst role may not do patrol.write"]),
        (b"<gpx/>", ["--as", "nobody"], ["no user named 'nobody'"]),
    ],
)  # fmt: skip
def test_bad_imports_are_one_line_and_store_nothing(
    demo_dir: Path, tmp_path: Path, content: bytes, args: list[str], phrases: list[str]
) -> None:
    path = tmp_path / "bad.gpx"
    path.write_bytes(content)
    before = set(store.iter_hashes(demo_dir))
    result = truce("patrol", "import-gpx", "nk-2020", "1", str(path), *args, "--data-dir", str(demo_dir))
    assert_clean_error(result, *phrases)
    assert set(store.iter_hashes(demo_dir)) == before


def test_an_unknown_patrol(demo_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.gpx"
    path.write_bytes(b"<gpx/>")
    assert_clean_error(truce("patrol", "import-gpx", "nk-2020", "9999", str(path), "--data-dir", str(demo_dir)),
                       "patrol not found")  # fmt: skip
