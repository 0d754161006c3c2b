"""Every status colour of the pages reads on white at WCAG AA (4.5:1), "Retracted" included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "src/truce/web/static/css/truce.css"
STATUS_COLOUR = re.compile(r"--s-(\w+):\s*(#[0-9a-fA-F]{6})")


def luminance(colour: str) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(colour: str, background: str = "#ffffff") -> float:
    lighter, darker = sorted((luminance(colour), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_ratio_is_computed_as_wcag_does() -> None:
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#9ca3af") < 4.5  # the grey "Retracted" had before


def test_every_status_colour_reads_on_white() -> None:
    colours = dict(STATUS_COLOUR.findall(CSS.read_text()))
    assert "retracted" in colours
    assert len(colours) == 7
    weak = {status: round(contrast(colour), 2) for status, colour in colours.items() if contrast(colour) < 4.5}
    assert not weak, weak
