"""`truce mission create|export|apply|list` as a person runs them (DESIGN.md section 5 names them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mission_examples import EXAMPLE
from support import assert_clean_error, truce


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the example mission, created through the command line."""
    directory = tmp_path_factory.mktemp("missions")
    created = truce("mission", "create", str(EXAMPLE), "--data-dir", str(directory))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "mission valley-buffer created: 1 mission, 5 parties, 5 delegations, 3 lines, 4 areas, 8 sites" in (
        created.stdout
    )
    return directory


def test_a_bad_file_creates_nothing_and_names_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    bad.write_text(
        text.replace("  name: Eastern council\n  kind: side", "  name: Eastern council\n  kind: ally").replace(
            "time_zone: Etc/GMT-2", "time_zone: Europe/Atlantis"
        ),
        encoding="utf-8",
    )
    result = truce("mission", "create", str(bad), "--data-dir", str(tmp_path / "data"))
    assert_clean_error(
        result,
        "the mission file has 1 problem; nothing was changed:",
        "parties[2].kind: 'ally' is not one of side, guarantor, mediator, agency, observer",
    )
    bad.write_text(text.replace("time_zone: Etc/GMT-2", "time_zone: Europe/Atlantis"), encoding="utf-8")
    result = truce("mission", "create", str(bad), "--data-dir", str(tmp_path / "data"))
    assert_clean_error(result, "time_zone: 'Europe/Atlantis' is not a time zone")
    listed = truce("db", "upgrade", "--data-dir", str(tmp_path / "data"))
    assert listed.returncode == 0
    assert "no missions yet" in truce("mission", "list", "--data-dir", str(tmp_path / "data")).stdout


def test_a_missing_file(tmp_path: Path) -> None:
    result = truce("mission", "create", str(tmp_path / "nowhere.yaml"), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "nowhere.yaml" in result.stdout + result.stderr


def test_list_and_export_give_back_the_file(data_dir: Path, tmp_path: Path) -> None:
    listed = truce("mission", "list", "--data-dir", str(data_dir))
    assert listed.returncode == 0
    assert "valley-buffer" in listed.stdout
    assert "illustrative" in listed.stdout
    exported = truce("mission", "export", "valley-buffer", "--data-dir", str(data_dir))
    assert exported.returncode == 0

    def body(text: str) -> str:
        return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))

    assert body(exported.stdout) == body(EXAMPLE.read_text(encoding="utf-8"))
    out = tmp_path / "valley.json"
    written = truce("mission", "export", "valley-buffer", "--out", str(out), "--data-dir", str(data_dir))
    assert written.returncode == 0
    assert out.read_text(encoding="utf-8").startswith('{\n  "format": "truce-mission/1"')
    assert_clean_error(truce("mission", "export", "nowhere", "--data-dir", str(data_dir)), "no mission with slug")


def test_the_same_mission_twice_is_refused(data_dir: Path) -> None:
    again = truce("mission", "create", str(EXAMPLE), "--data-dir", str(data_dir))
    assert_clean_error(again, "a mission with slug 'valley-buffer' exists already")


def test_apply_shows_its_plan_then_applies(data_dir: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("personnel: 850", "personnel: 900"), encoding="utf-8"
    )
    dry = truce("mission", "apply", "valley-buffer", str(changed), "--dry-run", "--data-dir", str(data_dir))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "~ mission settings: ceiling_personnel" in dry.stdout
    assert "dry run: nothing changed" in dry.stdout
    applied = truce("mission", "apply", "valley-buffer", str(changed), "--data-dir", str(data_dir))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 changes applied" in applied.stdout
    again = truce("mission", "apply", "valley-buffer", str(changed), "--data-dir", str(data_dir))
    assert "nothing to change" in again.stdout
    verified = truce("log", "verify", "--data-dir", str(data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_first_administrator_and_an_operator(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = truce(
        "mission", "create", str(EXAMPLE), "--admin", "chief", "--admin-delegation", "force", "--data-dir", str(data),
        stdin="a-long-password\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    assert "1 user" in created.stdout
    operator = truce("user", "operator", "ops", "--data-dir", str(data), stdin="another-password\n")
    assert operator.returncode == 0, operator.stdout + operator.stderr
    assert "ops is an operator" in operator.stdout
    off = truce("user", "operator", "ops", "--off", "--data-dir", str(data))
    assert "ops is no longer an operator" in off.stdout
    lonely = truce("mission", "create", str(EXAMPLE), "--admin", "x", "--data-dir", str(data))
    assert_clean_error(lonely, "--admin and --admin-delegation go together")
