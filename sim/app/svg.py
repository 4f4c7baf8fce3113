"""Charts as inline SVG text: lines, bands and dots on axes with nice ticks, and legends.

The dashboard's charts are drawn by the browser from SVG that wlsim writes itself, with
no JavaScript library, so they work offline: Python only formats a few hundred
coordinates per chart (a few milliseconds), where rendering a Matplotlib PNG took tens.

Two levels:

* :func:`line_chart` draws a whole one-panel chart from a :class:`LineChart` (title,
  axis labels, nice ticks, a grid, lines, bands and points, a legend under the title
  that never covers the data);
* the pieces it is made of (:class:`Scale`, :func:`line_path`, :func:`band_path`,
  :func:`segments_path`, :func:`dots`, :func:`legend`, :func:`colour_bar`,
  :func:`text`) compose other figures, such as the dashboard's network.

Every text put into the SVG is escaped (:func:`escape`). Sizes are pixels of the
chart's own coordinate system (its ``viewBox``); the chart scales to the width of its
container and keeps its proportions. Lines and dots of one colour and width are one
``<path>`` each, so that a network of thousands of ties stays a few hundred elements.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

#: Font of every text (the browser picks the first it has).
FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"
#: Font sizes (px) of a chart's title, axis labels, tick labels and legend.
TITLE_SIZE = 14
LABEL_SIZE = 12
TICK_SIZE = 11
LEGEND_SIZE = 11
#: Colours of the axes' frame and text, and of the grid.
AXIS_COLOUR = "#444444"
GRID_COLOUR = "#dddddd"
#: Width of a character as a share of the font size, to lay out legends without a font
#: (a generous estimate for a sans-serif font, so that entries do not overlap).
CHAR_WIDTH = 0.6

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: object) -> str:
    """Text made safe for SVG: ``& < > " '`` escaped, characters XML forbids removed.

    Args:
        text: Anything; it is converted with ``str``.

    Returns:
        Text to put into an element or an attribute value.
    """
    return html.escape(_NOT_XML.sub("", str(text)), quote=True)


def nice_ticks(low: float, high: float, most: int = 6) -> tuple[float, ...]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) inside a range.

    Args:
        low: Lower end of the axis.
        high: Upper end of the axis.
        most: Most ticks (at least 2).

    Returns:
        The ticks from ``low`` to ``high`` inclusive, ascending; ``(low,)`` when the
        range is empty, ``()`` when it is not finite.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return ()
    if high <= low:
        return (low,)
    raw = (high - low) / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return tuple(round(k * step, 12) + 0.0 for k in range(first, last + 1))


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """A tick's label with as many decimals as its axis's step needs (``0.25``, ``150``)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    decimals = next(d for d in range(8) if abs(round(step, d) - step) < 1e-9 * max(step, 1))
    return f"{value + 0.0:,.{decimals}f}"


@dataclass(frozen=True)
class Box:
    """A rectangle of the chart, in pixels from its top-left corner.

    Attributes:
        left: x of the left edge.
        top: y of the top edge.
        width: Width.
        height: Height.
    """

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        """The x of the right edge."""
        return self.left + self.width

    @property
    def bottom(self) -> float:
        """The y of the bottom edge."""
        return self.top + self.height


@dataclass(frozen=True)
class Scale:
    """Maps data values to pixels of a plot area (y upwards, as on paper).

    Attributes:
        x_range: Data values at the left and right edges.
        y_range: Data values at the bottom and top edges.
        box: The plot area.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    box: Box

    def x(self, values: ArrayLike) -> np.ndarray:
        """Pixel x of data x values."""
        low, high = self.x_range
        span = (high - low) or 1.0
        return self.box.left + (np.asarray(values, dtype=float) - low) / span * self.box.width

    def y(self, values: ArrayLike) -> np.ndarray:
        """Pixel y of data y values."""
        low, high = self.y_range
        span = (high - low) or 1.0
        return self.box.bottom - (np.asarray(values, dtype=float) - low) / span * self.box.height


def _xy(x: np.ndarray, y: np.ndarray) -> list[str]:
    return [f"{a:.1f} {b:.1f}" for a, b in zip(x.tolist(), y.tolist(), strict=True)]


def line_path(x: np.ndarray, y: np.ndarray) -> str:
    """The ``d`` of a path through pixel points, broken where a value is NaN."""
    finite = np.isfinite(x) & np.isfinite(y)
    starts = finite & ~np.concatenate([[False], finite[:-1]])
    points = _xy(x, y)
    return "".join(
        ("M" if start else "L") + point
        for point, start, ok in zip(points, starts.tolist(), finite.tolist(), strict=True)
        if ok
    )


def band_path(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> str:
    """The ``d`` of the area between two pixel curves, one polygon per finite stretch."""
    finite = np.isfinite(x) & np.isfinite(low) & np.isfinite(high)
    out = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(int), [0]])))
    for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        upper = _xy(x[start:stop], high[start:stop])
        lower = _xy(x[start:stop][::-1], low[start:stop][::-1])
        out.append("M" + "L".join(upper + lower) + "Z")
    return "".join(out)


def segments_path(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> str:
    """The ``d`` of separate straight segments between pixel points (one path for all)."""
    return "".join(
        f"M{a:.1f} {b:.1f}L{c:.1f} {d:.1f}"
        for a, b, c, d in zip(x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(), strict=True)
    )


def path(
    d: str,
    colour: str,
    width: float = 1.0,
    opacity: float = 1.0,
    dashed: bool = False,
    cls: str = "",
) -> str:
    """A stroked ``<path>`` ("" when ``d`` is empty); ``cls`` is its class, if any."""
    if not d:
        return ""
    extra = f' class="{escape(cls)}"' if cls else ""
    extra += f' stroke-opacity="{opacity:.2f}"' if opacity < 1.0 else ""
    extra += ' stroke-dasharray="6 4"' if dashed else ""
    return (
        f'<path d="{d}" fill="none" stroke="{escape(colour)}" stroke-width="{width:g}"'
        f' stroke-linejoin="round"{extra}/>'
    )


def dots(x: np.ndarray, y: np.ndarray, colours: Sequence[str], diameters: ArrayLike) -> str:
    """Filled dots at pixel points: one ``<path>`` per colour and size.

    Each dot is a zero-length stroke with a round cap, which SVG draws as a disc; dots
    are drawn in the order given within a group, groups in the order they first occur.
    Points with a NaN coordinate are left out.

    Args:
        x: Pixel x of each dot.
        y: Pixel y of each dot.
        colours: Each dot's colour.
        diameters: Each dot's diameter (pixels), or one for all.
    """
    size = np.broadcast_to(np.asarray(diameters, dtype=float), x.shape)
    groups: dict[tuple[str, float], list[str]] = {}
    finite = (np.isfinite(x) & np.isfinite(y)).tolist()
    for point, colour, d, ok in zip(_xy(x, y), colours, size.tolist(), finite, strict=True):
        if ok:
            groups.setdefault((colour, round(d, 1)), []).append(f"M{point}h0")
    return "".join(
        f'<path d="{"".join(points)}" stroke="{escape(colour)}" stroke-width="{d:g}"'
        ' stroke-linecap="round" fill="none"/>'
        for (colour, d), points in groups.items()
    )


def text(
    x: float,
    y: float,
    content: object,
    size: float = LABEL_SIZE,
    anchor: str = "start",
    rotate: bool = False,
    colour: str = AXIS_COLOUR,
    weight: str = "normal",
) -> str:
    """A ``<text>`` element, escaped; ``rotate`` turns it to read upwards."""
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    bold = f' font-weight="{weight}"' if weight != "normal" else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"'
        f' fill="{colour}"{bold}{turn}>{escape(content)}</text>'
    )


def text_width(content: str, size: float) -> float:
    """Estimated width of a text in pixels (see :data:`CHAR_WIDTH`)."""
    return CHAR_WIDTH * size * len(content)


@dataclass(frozen=True)
class LegendEntry:
    """One entry of a legend.

    Attributes:
        label: Its text.
        colour: Its swatch's colour.
        kind: ``"line"``, ``"dashed"``, ``"band"`` (a shaded box) or ``"dot"``.
    """

    label: str
    colour: str
    kind: str = "line"


def legend_rows(entries: Sequence[LegendEntry], width: float, title: str = "") -> list[list[int]]:
    """How a legend wraps into rows of at most ``width`` pixels: entry indexes per row.

    The title, if any, takes the start of the first row.
    """
    rows: list[list[int]] = [[]]
    used = text_width(title, LEGEND_SIZE) + 10 if title else 0.0
    for i, entry in enumerate(entries):
        need = _entry_width(entry)
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += need
    return rows if entries or title else []


def _entry_width(entry: LegendEntry) -> float:
    return 26 + text_width(entry.label, LEGEND_SIZE) + 14


def legend(
    entries: Sequence[LegendEntry], box: Box, title: str = "", row_height: float = 15
) -> str:
    """A legend laid out in rows from the top-left of ``box`` (see :func:`legend_rows`)."""
    out = []
    y = box.top + row_height / 2
    for n, row in enumerate(legend_rows(entries, box.width, title)):
        x = box.left
        if n == 0 and title:
            out.append(text(x, y + 4, title, LEGEND_SIZE))
            x += text_width(title, LEGEND_SIZE) + 10
        for i in row:
            entry = entries[i]
            colour = escape(entry.colour)
            if entry.kind == "band":
                out.append(
                    f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="20" height="10"'
                    f' fill="{colour}" fill-opacity="0.25"/>'
                )
            elif entry.kind == "dot":
                out.append(f'<circle cx="{x + 10:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
            else:
                dash = ' stroke-dasharray="6 4"' if entry.kind == "dashed" else ""
                out.append(
                    f'<path d="M{x:.1f} {y:.1f}h20" stroke="{colour}" stroke-width="2.5"{dash}/>'
                )
            out.append(text(x + 26, y + 4, entry.label, LEGEND_SIZE))
            x += _entry_width(entry)
        y += row_height
    return "".join(out)


@functools.cache
def colour_table(name: str = "viridis", n: int = 64) -> tuple[str, ...]:
    """``n`` colours evenly spaced along a Matplotlib colour map, as ``#rrggbb``."""
    from matplotlib import colormaps  # the map's colours only; nothing is drawn

    rgba = colormaps[name](np.linspace(0.0, 1.0, n))
    return tuple(
        "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgb)) for rgb in rgba[:, :3]
    )


def colour_of(values: ArrayLike, low: float, high: float, name: str = "viridis") -> list[str]:
    """Each value's colour on a colour map from ``low`` to ``high`` (clipped at both ends).

    The map is cut into :func:`colour_table`'s 64 steps, so that values differing by less
    than a 64th of the range may share a colour. NaN gets ``"none"``.
    """
    table = colour_table(name)
    v = np.asarray(values, dtype=float)
    share = np.clip((v - low) / ((high - low) or 1.0), 0.0, 1.0)
    index = np.round(np.nan_to_num(share) * (len(table) - 1)).astype(int)
    return [
        table[i] if ok else "none"
        for i, ok in zip(index.tolist(), np.isfinite(v).tolist(), strict=True)
    ]


def colour_bar(box: Box, low: float, high: float, label: str, name: str = "viridis") -> str:
    """A vertical colour bar in ``box`` with nice ticks on its right and a label beside."""
    table = colour_table(name)
    step = box.height / len(table)
    out = [
        f'<rect x="{box.left:.1f}" y="{box.bottom - (i + 1) * step:.2f}" width="{box.width:.1f}"'
        f' height="{step + 0.3:.2f}" fill="{colour}"/>'
        for i, colour in enumerate(table)
    ]
    out.append(
        f'<rect x="{box.left:.1f}" y="{box.top:.1f}" width="{box.width:.1f}"'
        f' height="{box.height:.1f}" fill="none" stroke="{AXIS_COLOUR}" stroke-width="0.8"/>'
    )
    scale = Scale((0.0, 1.0), (low, high), box)
    ticks = nice_ticks(low, high, 6)
    for tick in ticks:
        y = float(scale.y(tick))
        out.append(path(f"M{box.right:.1f} {y:.1f}h4", AXIS_COLOUR, 0.8))
        out.append(text(box.right + 6, y + 4, tick_label(tick, ticks), TICK_SIZE))
    middle = box.top + box.height / 2
    out.append(text(box.right + 44, middle, label, LABEL_SIZE, "middle", rotate=True))
    return "".join(out)


def svg(width: float, height: float, body: str, title: str) -> str:
    """A complete ``<svg>`` element of that size, scaling to its container's width.

    Args:
        width: Width of its coordinate system (and its largest width on the page).
        height: Height of its coordinate system.
        body: Its elements.
        title: What it shows, for screen readers and as the browser's tooltip.
    """
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wlsim-chart" role="img"'
        f' viewBox="0 0 {width:g} {height:g}" preserveAspectRatio="xMidYMid meet"'
        f' style="width:100%;height:auto;max-width:{width:g}px"'
        f' font-family="{FONT_FAMILY}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width:g}" height="{height:g}" fill="#ffffff"/>{body}</svg>'
    )


# --- a whole line chart ---------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A line of a chart (NaN values break it).

    Attributes:
        label: Its legend entry ("" for none).
        x: Data x values.
        y: Data y values.
        colour: Its colour.
        width: Its width (pixels).
        dashed: Drawn dashed.
    """

    label: str
    x: ArrayLike
    y: ArrayLike
    colour: str
    width: float = 2.0
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded area between two curves of a chart (e.g. a range over replicates).

    Attributes:
        x: Data x values.
        low: Its lower edge at each x.
        high: Its upper edge at each x.
        colour: Its colour.
        opacity: Its fill opacity.
    """

    x: ArrayLike
    low: ArrayLike
    high: ArrayLike
    colour: str
    opacity: float = 0.2


@dataclass(frozen=True)
class Points:
    """Dots of a chart (a scatter).

    Attributes:
        label: Its legend entry ("" for none).
        x: Data x values.
        y: Data y values.
        colour: Their colour.
        diameter: Their diameter (pixels).
    """

    label: str
    x: ArrayLike
    y: ArrayLike
    colour: str
    diameter: float = 6.0


@dataclass(frozen=True)
class LineChart:
    """A one-panel chart: what :func:`line_chart` draws.

    Attributes:
        title: Its title, above the legend.
        x_label: Label of the x-axis.
        y_label: Label of the y-axis.
        x_range: x-axis limits (data values).
        y_range: y-axis limits (data values); the caller chooses them, the chart never
            widens them to round numbers.
        lines: Lines, drawn in order over the bands.
        bands: Shaded areas, drawn first.
        points: Dots, drawn last.
        legend_title: Text before the legend's first entry ("" for none).
        width: Width (pixels).
        height: Height (pixels).
    """

    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    lines: tuple[Line, ...] = ()
    bands: tuple[Band, ...] = ()
    points: tuple[Points, ...] = ()
    legend_title: str = ""
    width: int = 560
    height: int = 340


def _legend_entries(chart: LineChart) -> list[LegendEntry]:
    out = [
        LegendEntry(line.label, line.colour, "dashed" if line.dashed else "line")
        for line in chart.lines
        if line.label
    ]
    out += [LegendEntry(p.label, p.colour, "dot") for p in chart.points if p.label]
    return out


def line_chart(chart: LineChart) -> str:
    """A one-panel chart as an ``<svg>`` element.

    Title on top, then the legend (wrapped into rows, so that it never covers the data),
    then the plot area with a frame, a light grid at the nice ticks of both axes
    (:func:`nice_ticks`) and the axis labels; bands, lines and points are clipped to the
    plot area, an ``<svg class="plot">`` whose ``data-x-range`` and ``data-y-range``
    give the axes' limits (for tests and for anyone reading the page's source). Its
    paths have the class ``band`` or ``line``, in the order of the chart's fields.

    Args:
        chart: What to draw.

    Returns:
        The SVG text.
    """
    left, right = 64.0, 12.0
    entries = _legend_entries(chart)
    rows = len(legend_rows(entries, chart.width - left - right, chart.legend_title))
    top = 26.0 + 15.0 * rows + 6.0
    area = Box(left, top, chart.width - left - right, chart.height - top - 44.0)
    scale = Scale(chart.x_range, chart.y_range, area)
    out = [text(chart.width / 2, 18, chart.title, TITLE_SIZE, "middle", weight="bold")]
    out.append(legend(entries, Box(left, 26.0, area.width, 15.0 * rows), chart.legend_title))
    x_ticks = nice_ticks(*chart.x_range, most=8)
    y_ticks = nice_ticks(*chart.y_range, most=6)
    grid = []
    for tick in x_ticks:
        x = float(scale.x(tick))
        grid.append(f"M{x:.1f} {area.top:.1f}V{area.bottom:.1f}")
        out.append(path(f"M{x:.1f} {area.bottom:.1f}v4", AXIS_COLOUR, 0.8))
        out.append(text(x, area.bottom + 16, tick_label(tick, x_ticks), TICK_SIZE, "middle"))
    for tick in y_ticks:
        y = float(scale.y(tick))
        grid.append(f"M{area.left:.1f} {y:.1f}H{area.right:.1f}")
        out.append(path(f"M{area.left:.1f} {y:.1f}h-4", AXIS_COLOUR, 0.8))
        out.append(text(area.left - 7, y + 4, tick_label(tick, y_ticks), TICK_SIZE, "end"))
    out.insert(0, path("".join(grid), GRID_COLOUR, 0.8))
    out.append(
        text(area.left + area.width / 2, chart.height - 8, chart.x_label, LABEL_SIZE, "middle")
    )
    out.append(
        text(16, area.top + area.height / 2, chart.y_label, LABEL_SIZE, "middle", rotate=True)
    )
    # The data, in a nested <svg>: it clips to the plot area without an id, which would
    # clash between the charts of one page.
    inner = Scale(chart.x_range, chart.y_range, Box(0.0, 0.0, area.width, area.height))
    data = []
    for b in chart.bands:
        d = band_path(inner.x(b.x), inner.y(b.low), inner.y(b.high))
        if d:
            data.append(
                f'<path class="band" d="{d}" fill="{escape(b.colour)}"'
                f' fill-opacity="{b.opacity:.2f}" stroke="none"/>'
            )
    for line in chart.lines:
        d = line_path(inner.x(line.x), inner.y(line.y))
        data.append(path(d, line.colour, line.width, dashed=line.dashed, cls="line"))
    for p in chart.points:
        px, py = inner.x(p.x), inner.y(p.y)
        data.append(dots(px, py, [p.colour] * len(px), p.diameter))
    x0, x1, y0, y1 = (float(v) for v in (*chart.x_range, *chart.y_range))
    out.append(
        f'<svg class="plot" x="{area.left:.1f}" y="{area.top:.1f}" width="{area.width:.1f}"'
        f' height="{area.height:.1f}" overflow="hidden" data-x-range="{x0!r} {x1!r}"'
        f' data-y-range="{y0!r} {y1!r}">{"".join(data)}</svg>'
    )
    out.append(
        f'<rect x="{area.left:.1f}" y="{area.top:.1f}" width="{area.width:.1f}"'
        f' height="{area.height:.1f}" fill="none" stroke="{AXIS_COLOUR}" stroke-width="0.8"/>'
    )
    return svg(chart.width, chart.height, "".join(out), chart.title)
