"""The mission files the tests start from: the package's illustrative example, and the nk-2020 demo."""

from __future__ import annotations

import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

from truce.missionfile.reading import parse

EXAMPLE = Path(str(files("truce.missionfile") / "examples" / "buffer_zone.yaml"))
DEMO = Path(str(files("truce.demo") / "nk_2020.yaml"))


def example() -> dict[str, Any]:
    """A fresh copy of the example mission's content, to change."""
    return copy.deepcopy(_parsed())


_cache: list[Any] = []


def _parsed() -> Any:
    if not _cache:
        _cache.append(parse(EXAMPLE.read_text(encoding="utf-8")))
    return _cache[0]
