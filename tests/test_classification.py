"""docs/testing.md classifies every test module once (against both missions, not yet, nk-2020 only, no mission),
and its list of modules run against both missions is the one tests/conftest.py acts on."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from conftest import BOTH_MISSIONS, EVERY_BACKEND

TESTS = Path(__file__).parent
PAGE = TESTS.parent / "docs" / "testing.md"


def sections() -> dict[str, list[str]]:
    """The modules each `###` section of the page's classification lists, in order."""
    found: dict[str, list[str]] = {}
    text = PAGE.read_text(encoding="utf-8").split("## Every module, classified", 1)[1]
    for title, body in re.findall(r"^### (.+?)\n(.*?)(?=^### |\Z)", text, flags=re.MULTILINE | re.DOTALL):
        found[title] = re.findall(r"^- `([^`]+\.py)`", body, flags=re.MULTILINE)
    return found


def test_every_module_is_classified_once() -> None:
    modules = sorted(path.relative_to(TESTS).as_posix() for path in TESTS.rglob("test_*.py"))
    named = Counter(module for listed in sections().values() for module in listed)
    assert sorted(named) == modules
    assert [module for module, count in named.items() if count > 1] == []


def test_the_first_list_is_the_one_conftest_runs() -> None:
    assert sections()["Both missions"] == list(BOTH_MISSIONS)
    assert set(EVERY_BACKEND) <= {Path(module).name for module in BOTH_MISSIONS}
