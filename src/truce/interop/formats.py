"""The export formats by name: each one's writer, and whether it holds events only."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from sqlalchemy.orm import Session

from truce.interop import acled, csv_export, geojson, hxl
from truce.interop.export import View

Writer = Callable[[Session, View, TextIO, Callable[[int], None]], int]
# Each export format: its writer, and whether it holds events only (no retracted or merged incidents).
EXPORTS: dict[str, tuple[Writer, bool]] = {
    "geojson": (geojson.write, False),
    "csv": (csv_export.write, False),
    "acled": (acled.write, True),
    "hxl": (hxl.write, True),
}
