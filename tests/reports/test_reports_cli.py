"""`truce report` as a person runs it: files written whole, one-line errors, and `check` exiting 0 or 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import assert_clean_error, truce


@pytest.fixture(scope="module")
def demo_dir(module_demo_dir: Path) -> Path:
    """This module's copy of the demo's data directory (`truce demo --no-serve` runs once per session)."""
    return module_demo_dir


def report(demo_dir: Path, *args: str) -> tuple[int, str, str]:
    result = truce("report", *args, "--data-dir", str(demo_dir))
    return result.returncode, result.stdout, result.stderr


def test_daily_html_and_pdf(demo_dir: Path, tmp_path: Path) -> None:
    html, pdf = tmp_path / "day.html", tmp_path / "day.pdf"
    code, _, err = report(demo_dir, "daily", "nk-2020", "--date", "2020-11-21", "--format", "html", "--out", str(html))
    assert code == 0, err
    assert "daily report of nk-2020 for 2020-11-21 (html" in err
    assert str(html) in err
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    again = tmp_path / "again.html"
    code, _, _ = report(demo_dir, "daily", "nk-2020", "--date", "2020-11-21", "--format", "html", "--out", str(again))
    assert code == 0
    assert again.read_bytes() == html.read_bytes()
    code, _, err = report(demo_dir, "daily", "nk-2020", "--date", "2020-11-21", "--format", "pdf", "--out", str(pdf))
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    russian = tmp_path / "day.ru.html"
    args = ["daily", "nk-2020", "--date", "2020-11-21", "--format", "html", "--language", "ru", "--out", str(russian)]
    code, _, err = report(demo_dir, *args)
    assert code == 0, err
    assert '<html lang="ru">' in russian.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["nk-2020", "--date", "2020-13-01"], ["--date must be a day written YYYY-MM-DD", "'2020-13-01'"]),
        (["nk-2020", "--date", "21/11/2020"], ["--date must be a day written YYYY-MM-DD"]),
        (["nk-1994", "--date", "2020-11-21"], ["no mission with slug 'nk-1994'"]),
        (["nk-2020", "--date", "2020-11-01"], ["2020-11-01 is before mission nk-2020 began on 2020-11-10"]),
        (["nk-2020", "--date", "2150-01-01"], ["2150-01-01 is in the future"]),
        (["nk-2020", "--date", "2020-11-21", "--format", "docx"], ["unknown report format 'docx'; use html or pdf"]),
        (["nk-2020", "--date", "2020-11-21", "--language", "fr"], ["unknown language 'fr'; use en or ru"]),
        (["nk-2020", "--date", "2020-11-21", "--as", "nobody"], ["no user named 'nobody'"]),
        (["nk-2020", "--date", "2020-11-21", "--as", "liaison-am"], ["the liaison role may not do report.create"]),
    ],
)
def test_daily_errors_are_one_line(demo_dir: Path, tmp_path: Path, args: list[str], phrases: list[str]) -> None:
    out = tmp_path / "x.html"
    result = truce("report", "daily", *args, "--out", str(out), "--data-dir", str(demo_dir))
    assert_clean_error(result, *phrases)
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_daily_to_a_directory_is_refused(demo_dir: Path, tmp_path: Path) -> None:
    result = truce("report", "daily", "nk-2020", "--date", "2020-11-21", "--out", str(tmp_path),
                   "--data-dir", str(demo_dir))  # fmt: skip
    assert_clean_error(result, f"cannot write to {tmp_path}: it is a directory")


def test_bulletin_then_check(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulletin.html"
    code, _, err = report(
        demo_dir, "bulletin", "nk-2020", "--date", "2020-11-21", "--as", "verifier-ru", "--out", str(out)
    )
    assert code == 0, err
    assert "bulletin of nk-2020 for 2020-11-21 published at log size" in err
    code, stdout, err = report(demo_dir, "check", str(out))
    assert code == 0, err
    assert stdout.startswith(f"OK: {out}: bulletin of nk-2020 for 2020-11-21 matches, byte for byte")
    # A report published since does not change what the bulletin was built from.
    report(demo_dir, "daily", "nk-2020", "--date", "2020-11-22", "--format", "html", "--out", str(tmp_path / "d.html"))
    assert report(demo_dir, "check", str(out))[0] == 0
    changed = tmp_path / "changed.html"
    content = bytearray(out.read_bytes())
    at = content.index(b"Public bulletin, 21")
    content[at + 1] = ord("U")
    changed.write_bytes(bytes(content))
    code, stdout, err = report(demo_dir, "check", str(changed))
    assert code == 1
    assert stdout == ""
    assert err.startswith(f"FAILED: {changed}: the bulletin differs from its rebuild from the log at byte {at + 1:,}")


def test_the_russian_bulletin_is_written_beside_and_checks_too(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulletin.html"
    code, _, err = report(
        demo_dir, "bulletin", "nk-2020", "--date", "2020-11-22", "--as", "verifier-tr", "--out", str(out)
    )
    assert code == 0, err
    russian = tmp_path / "bulletin.ru.html"
    assert "the same bulletin in ru (sha256 " in err
    assert str(russian) in err
    assert russian.read_bytes().startswith(b'<!DOCTYPE html>\n<html lang="ru">')
    assert russian.read_bytes() != out.read_bytes()
    for document in (out, russian):
        code, stdout, err = report(demo_dir, "check", str(document))
        assert code == 0, err
        assert stdout.startswith(f"OK: {document}: bulletin of nk-2020 for 2020-11-22")
    assert "2020-11-22 in ru matches, byte for byte" in report(demo_dir, "check", str(russian))[1]
    content = bytearray(russian.read_bytes())
    at = content.index("Открытый бюллетень".encode())
    content[at] ^= 0x01
    flipped = tmp_path / "flipped.ru.html"
    flipped.write_bytes(bytes(content))
    code, _, err = report(demo_dir, "check", str(flipped))
    assert code == 1
    assert f"differs from its rebuild from the log at byte {at:,}" in err


def test_check_of_something_else_fails(demo_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.html"
    other.write_text("<html><body>not a bulletin</body></html>")
    code, _, err = report(demo_dir, "check", str(other))
    assert code == 1
    assert "not a Truce bulletin" in err
    result = truce("report", "check", str(tmp_path / "missing.html"), "--data-dir", str(demo_dir))
    assert_clean_error(result, "cannot read")


def test_bulletin_needs_a_verifier(demo_dir: Path, tmp_path: Path) -> None:
    result = truce("report", "bulletin", "nk-2020", "--date", "2020-11-21", "--as", "analyst-ru",
                   "--out", str(tmp_path / "b.html"), "--data-dir", str(demo_dir))  # fmt: skip
    assert_clean_error(result, "the analyst role may not do bulletin.publish here")
