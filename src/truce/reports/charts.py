"""The report's static map and trend chart, drawn with matplotlib's Agg/SVG backends (no tiles, no network).

Every chart comes out as SVG text that is the same bytes for the same data: the SVG backend's id salt is
fixed and its date and creator metadata are left out.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from matplotlib import patheffects, rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from truce.incidents.taxonomy import TAXONOMY
from truce.reports.context import STATUS_LABELS, IncidentRow, MapLayers, TrendDay
from truce.reports.words import N_

# Colour-blind-safe (Okabe-Ito) colours for the parties, in the order of their codes.
PARTY_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
# One shape per status, so that the map reads in black and white too.
STATUS_MARKERS: dict[str, tuple[str, str, bool]] = {
    "confirmed": ("o", "#b2182b", True),
    "disputed": ("D", "#d95f02", True),
    "under_verification": ("s", "#1b7837", False),
    "reported": ("^", "#2166ac", False),
    "inconclusive": ("v", "#762a83", False),
    "not_confirmed": ("X", "#4d4d4d", True),
}
TYPE_COLOURS = dict(
    zip(
        TAXONOMY,
        ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB", "#000000", "#EE8866", "#44BB99"),
        strict=False,
    )
)
PNG_DPI = 150
SVG_RC: Any = {"svg.hashsalt": "truce-report", "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 8}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with rc_context(SVG_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # The XML prologue and DOCTYPE would be out of place inline in HTML.
    return text[text.index("<svg") :]


def _png_img(figure: Figure, alt: str) -> str:
    """The figure as an <img> with a PNG data URI: WeasyPrint lays out a raster far faster than a large SVG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _output(figure: Figure, raster: bool, alt: str) -> str:
    return _png_img(figure, alt) if raster else _svg(figure)


def party_colours(parties: Sequence[str]) -> dict[str, str]:
    return {code: PARTY_COLOURS[i % len(PARTY_COLOURS)] for i, code in enumerate(sorted(parties))}


def _same(text: str) -> str:
    return text


def day_map(
    layers: MapLayers,
    incidents: Sequence[IncidentRow],
    parties: dict[str, str],
    title: str,
    *,
    raster: bool = False,
    say: Callable[[str], str] = _same,
    status_word: Callable[[str], str] | None = None,
) -> str:
    """The static map of the day: zones by controller, the line of contact, corridor, posts, incidents by status."""
    with rc_context(SVG_RC):
        figure = Figure(figsize=(7.2, 5.0))
        axes = figure.add_axes((0.08, 0.19, 0.9, 0.75))
        colours = party_colours(list(parties))
        for shape in layers.areas:
            corridor = shape.kind == "corridor"
            colour = "#ffffff" if corridor else colours.get(shape.party, "#dddddd")
            for path in _polygon_paths(shape.geometry):
                axes.add_patch(
                    PathPatch(
                        path,
                        facecolor=colour,
                        alpha=0.9 if corridor else 0.35,
                        edgecolor="#555555",
                        linewidth=0.6,
                        hatch="////" if corridor else None,
                    )
                )
        for shape in layers.lines:
            contact = shape.kind == "line_of_contact"
            for xs, ys in _line_parts(shape.geometry):
                axes.plot(
                    xs,
                    ys,
                    color="#c00000" if contact else "#7f7f7f",
                    linewidth=2.0 if contact else 0.9,
                    linestyle="-" if contact else "--",
                    zorder=3,
                )
        if layers.posts:
            axes.scatter(
                [p[1] for p in layers.posts],
                [p[2] for p in layers.posts],
                marker="^",
                s=14,
                facecolors="white",
                edgecolors="#222222",
                linewidths=0.7,
                zorder=4,
            )
        for place in layers.settlements:
            axes.plot(place.lon, place.lat, marker="o", markersize=2.5, color="#000000", zorder=5)
            label = axes.annotate(
                place.name, (place.lon, place.lat), xytext=(3, 3), textcoords="offset points", fontsize=6, zorder=8
            )
            # A white halo keeps names legible over zone edges, lines and markers.
            label.set_path_effects([patheffects.withStroke(linewidth=2, foreground="white")])
        for status, (marker, colour, filled) in STATUS_MARKERS.items():
            points = [(i.lon, i.lat) for i in incidents if i.status == status]
            if points:
                axes.scatter(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    marker=marker,
                    s=26,
                    linewidths=1.0,
                    facecolors=colour if filled else "none",
                    edgecolors=colour,
                    zorder=7,
                )
        _frame(axes, layers, incidents)
        axes.set_title(title, fontsize=9, loc="left")
        _axis_labels(axes, say)
        figure.legend(
            handles=_legend(layers, parties, colours, say, status_word or STATUS_LABELS.__getitem__),
            loc="lower center",
            ncol=4,
            fontsize=6.5,
            frameon=False,
            bbox_to_anchor=(0.5, 0.0),
        )
        return _output(figure, raster, title)


def _axis_labels(axes: Any, say: Callable[[str], str]) -> None:
    axes.set_xlabel(say(N_("longitude (°E)")), fontsize=6)
    axes.set_ylabel(say(N_("latitude (°N)")), fontsize=6)


def _legend(
    layers: MapLayers,
    parties: dict[str, str],
    colours: dict[str, str],
    say: Callable[[str], str],
    status_word: Callable[[str], str],
) -> list[Any]:
    """The map's legend; `say` translates its words (the English msgids are the English report's words)."""
    handles: list[Any] = []
    controllers = sorted({s.party for s in layers.areas if s.kind != "corridor" and s.party})
    handles += [
        Patch(
            facecolor=colours[c],
            alpha=0.35,
            edgecolor="#555555",
            label=say(N_("zone: %(party)s")) % {"party": parties.get(c, c)},
        )
        for c in controllers
    ]
    if any(s.kind == "corridor" for s in layers.areas):
        handles.append(Patch(facecolor="white", hatch="////", edgecolor="#555555", label=say(N_("corridor"))))
    handles.append(Line2D([], [], color="#c00000", linewidth=2, label=say(N_("line of contact"))))
    handles.append(
        Line2D(
            [],
            [],
            marker="^",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="#222222",
            label=say(N_("observation post")),
        )
    )
    for status, (marker, colour, filled) in STATUS_MARKERS.items():
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                markeredgecolor=colour,
                markerfacecolor=colour if filled else "none",
                label=status_word(status),
            )
        )
    return handles


def _frame(axes: Any, layers: MapLayers, incidents: Sequence[IncidentRow]) -> None:
    """Fit the view to the zones and the day's incidents, with true proportions at that latitude."""
    xs: list[float] = [i.lon for i in incidents] + [p[1] for p in layers.posts]
    ys: list[float] = [i.lat for i in incidents] + [p[2] for p in layers.posts]
    for shape in layers.areas:
        for x, y in _polygon_points(shape.geometry):
            xs.append(x)
            ys.append(y)
    if not xs:
        xs, ys = [s.lon for s in layers.settlements] or [0.0], [s.lat for s in layers.settlements] or [0.0]
    pad = 0.05 * max(max(xs) - min(xs), max(ys) - min(ys), 0.2)
    axes.set_xlim(min(xs) - pad, max(xs) + pad)
    axes.set_ylim(min(ys) - pad, max(ys) + pad)
    axes.set_aspect(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)))
    axes.tick_params(labelsize=6)
    axes.set_xlabel("longitude (°E)", fontsize=6)
    axes.set_ylabel("latitude (°N)", fontsize=6)


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"]) if kind == "MultiPolygon" else []


def _polygon_points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    return [(float(p[0]), float(p[1])) for rings in _polygons(geometry) for ring in rings for p in ring]


def _polygon_paths(geometry: dict[str, Any]) -> list[Path]:
    paths = []
    for rings in _polygons(geometry):
        vertices: list[tuple[float, float]] = []
        codes: list[Any] = []
        for ring in rings:
            vertices += [(float(x), float(y)) for x, y, *_ in ring]
            codes += [Path.MOVETO] + [Path.LINETO] * (len(ring) - 1)
        paths.append(Path(vertices, codes))
    return paths


def _line_parts(geometry: dict[str, Any]) -> list[tuple[list[float], list[float]]]:
    kind = geometry.get("type")
    lines = [geometry["coordinates"]] if kind == "LineString" else []
    lines = list(geometry["coordinates"]) if kind == "MultiLineString" else lines
    return [([float(p[0]) for p in line], [float(p[1]) for p in line]) for line in lines]


def trend_chart(
    trend: Sequence[TrendDay],
    *,
    raster: bool = False,
    say: Callable[[str], str] = _same,
    type_word: Callable[[str], str] | None = None,
    day_month: Callable[[date], str] | None = None,
) -> str:
    """Incidents per day over the seven days up to the report's, stacked by type (named by `type_word`)."""
    with rc_context(SVG_RC):
        figure = Figure(figsize=(7.2, 2.5))
        axes = figure.add_axes((0.07, 0.2, 0.68, 0.7))
        labels = [day_month(d.on) if day_month else f"{d.on.day} {d.on.strftime('%b')}" for d in trend]
        bottoms = [0] * len(trend)
        kinds = [k for k in TAXONOMY if any(d.by_type.get(k) for d in trend)]
        for kind in kinds:
            values = [d.by_type.get(kind, 0) for d in trend]
            axes.bar(
                labels,
                values,
                bottom=bottoms,
                color=TYPE_COLOURS.get(kind, "#999999"),
                width=0.65,
                label=type_word(kind) if type_word else kind.replace("_", " "),
            )
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        for x, total in enumerate(bottoms):
            axes.annotate(str(total), (x, total), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
        axes.set_ylim(0, max([*bottoms, 1]) * 1.18)
        axes.set_ylabel(say(N_("incidents")), fontsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=7)
        if kinds:
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6.5, frameon=False)
        return _output(figure, raster, say(N_("incidents per day over seven days, by type")))
