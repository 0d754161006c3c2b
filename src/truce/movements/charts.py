"""Charts of returns as SVG text (matplotlib Agg/SVG, no network): the same bytes for the same data and labels.

Pages inline the SVG and PDF reports embed it; the caller passes the labels already translated. Dates on
the axis are written as day.month so that they read the same in every language.
"""

from __future__ import annotations

import functools
import html
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

# matplotlib (with numpy, fontTools, its font cache) is loaded on the first chart drawn, not with the pages that
# import this module: every server process imported it at start-up and only the returns and claims pages use it
# (issue 24: a phone's server paid tens of MB for it).
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe-Ito colours (colour-blind safe); every series also differs by marker or fill, never by colour alone.
COUNTED = "#0072B2"
DAILY = "#BBBBBB"
CLAIMED_TOTAL = "#D55E00"
CLAIMED_DAY = "#CC79A7"
RC: Any = {"svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "truce-returns"}
# Charts kept drawn, per process: a chart costs tens of milliseconds of CPU, and the returns and claims pages are
# read far more often than their figures change.
DRAWN = 64


@dataclass(frozen=True)
class Labels:
    """The chart's words, in the reader's language."""

    title: str
    cumulative: str
    daily: str
    claimed_total: str = ""
    claimed_day: str = ""


def _svg(figure: Figure, title: str, salt: str) -> str:
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({**RC, "svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    svg = _presentation(text[text.index("<svg") :])
    # Scale with the page (the viewBox keeps the proportions), and name the image for screen readers.
    svg = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", svg, count=1)
    label = html.escape(title, quote=True)
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}" class="chart"', 1)


# matplotlib writes each shape's colours as a `style` attribute and a `<style>` element, which the pages' CSP
# (style-src 'self', no 'unsafe-inline') makes the browser ignore: every fill fell back to black, the plot's
# background and its text with it. The same properties as SVG presentation attributes are not styles to the CSP.
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>|\s*<style[^>]*>.*?</style>", re.DOTALL)


def _presentation(svg: str) -> str:
    """The SVG with its styles written as presentation attributes, which a strict CSP lets through."""
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    # What the dropped `<style>` said for every element, inherited from the root instead.
    svg = svg.replace("<svg", '<svg stroke-linejoin="round" stroke-linecap="butt"', 1)
    return _STYLE_ATTRIBUTE.sub(_attributes, svg)


def _attributes(match: re.Match[str]) -> str:
    pairs = (declaration.split(":", 1) for declaration in match[1].split(";") if ":" in declaration)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _axes(figure: Figure) -> Axes:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axes = figure.add_axes((0.1, 0.2, 0.87, 0.68))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: date.fromordinal(int(value)).strftime("%d.%m")))
    axes.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{int(value):,}".replace(",", "\u2009")))
    return axes


def _days(days: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[int], list[int]]:
    xs = [float(date.fromisoformat(d["date"]).toordinal()) for d in days]
    return xs, [int(d["returned"]) for d in days], [int(d["cumulative"]) for d in days]


def _counted(axes: Axes, days: Sequence[Mapping[str, Any]], labels: Labels) -> None:
    xs, daily, cumulative = _days(days)
    axes.bar(xs, daily, width=0.7, color=DAILY, edgecolor="#888888", linewidth=0.4, label=labels.daily)
    axes.plot(xs, cumulative, color=COUNTED, marker="o", markersize=3, linewidth=1.6, label=labels.cumulative)
    if xs:
        axes.annotate(
            f"{cumulative[-1]:,}".replace(",", "\u2009"),
            (xs[-1], cumulative[-1]),
            xytext=(-4, 6),
            textcoords="offset points",
            ha="right",
            color=COUNTED,
        )


Chart = Callable[[Sequence[Mapping[str, Any]], Labels], str]


def _kept(draw: Chart) -> Chart:
    """`draw`, drawing each (data, labels) once: the same data and labels give the same bytes (the module's
    promise), so a chart drawn before is returned as it was. The data is keyed by its JSON text."""

    @functools.lru_cache(maxsize=DRAWN)
    def drawn(data: str, labels: Labels) -> str:
        return draw(json.loads(data), labels)

    @functools.wraps(draw)
    def chart(days: Sequence[Mapping[str, Any]], labels: Labels) -> str:
        return drawn(json.dumps(days, sort_keys=True, default=str), labels)

    return chart


@_kept
def cumulative_returns(days: Sequence[Mapping[str, Any]], labels: Labels) -> str:
    """Counted returns per day (bars) and their running total (line), from `summaries.returns()["days"]`."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(RC):
        figure = Figure(figsize=(7.2, 3.0))
        axes = _axes(figure)
        _counted(axes, days, labels)
        # After the data: fixing a limit earlier would stop matplotlib from fitting the axis to it.
        axes.set_ylim(bottom=0)
        axes.set_title(labels.title, loc="left", fontsize=9)
        axes.legend(loc="upper left", frameon=False)
        return _svg(figure, labels.title, "truce-returns")


@_kept
def claimed_and_counted(days: Sequence[Mapping[str, Any]], labels: Labels) -> str:
    """Counted returns with a party's claimed figures as markers, from `comparison.compare_returns()["days"]`."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(RC):
        figure = Figure(figsize=(7.2, 3.0))
        axes = _axes(figure)
        _counted(axes, days, labels)
        totals: list[tuple[float, int]] = []
        singles: list[tuple[float, int]] = []
        for day in days:
            x = float(date.fromisoformat(day["date"]).toordinal())
            for claim in day.get("claimed", []):
                (totals if claim["cumulative"] else singles).append((x, int(claim["value"])))
        for points, marker, colour, label in (
            (totals, "^", CLAIMED_TOTAL, labels.claimed_total),
            (singles, "D", CLAIMED_DAY, labels.claimed_day),
        ):
            if points:
                axes.scatter([p[0] for p in points], [p[1] for p in points], marker=marker, color=colour, label=label)
        # After the data: fixing a limit earlier would stop matplotlib from fitting the axis to it.
        axes.set_ylim(bottom=0)
        axes.set_title(labels.title, loc="left", fontsize=9)
        axes.legend(loc="upper left", frameon=False)
        return _svg(figure, labels.title, "truce-claims")
