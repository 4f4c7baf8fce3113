"""The dashboard's SVG charts: well-formed, escaped, nice ticks, every series drawn."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from sim.app import svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text)  # raises on anything that is not well-formed XML


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{{{NS['s']}}}text")]


def _points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+) ([-\d.]+)", d)]


def test_escape_makes_any_text_safe_for_xml():
    assert (
        svg.escape("a < b & c > \"d\" 'e'") == "a &lt; b &amp; c &gt; &quot;d&quot; &#x27;e&#x27;"
    )
    assert svg.escape("bell\x07 and nul\x00") == "bell and nul"
    assert svg.escape(3.5) == "3.5"


@pytest.mark.parametrize(
    ("low", "high", "most", "expected"),
    [
        (0.0, 1.0, 6, (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)),
        (0.0, 156.0, 8, (0.0, 25.0, 50.0, 75.0, 100.0, 125.0, 150.0)),
        (0.55, 0.65, 6, (0.56, 0.58, 0.6, 0.62, 0.64)),
        (0.3, 0.85, 6, (0.4, 0.6, 0.8)),
        (-3.0, 7.0, 6, (-2.0, 0.0, 2.0, 4.0, 6.0)),
    ],
)
def test_nice_ticks_are_round_steps_inside_the_range(low, high, most, expected):
    ticks = svg.nice_ticks(low, high, most)
    assert ticks == pytest.approx(expected)
    assert len(ticks) <= most and all(low - 1e-12 <= t <= high + 1e-12 for t in ticks)


def test_nice_ticks_of_odd_ranges():
    assert svg.nice_ticks(2.0, 2.0) == (2.0,)
    assert svg.nice_ticks(0.0, math.nan) == ()
    assert len(svg.nice_ticks(0.0, 1e-7)) >= 2


def test_tick_labels_have_the_decimals_their_step_needs():
    assert [svg.tick_label(t, (0.0, 0.25)) for t in (0.0, 0.25, 0.5)] == ["0.00", "0.25", "0.50"]
    assert svg.tick_label(150.0, (0.0, 50.0)) == "150"
    assert svg.tick_label(1500.0, (0.0, 500.0)) == "1,500"
    assert svg.tick_label(-0.0, (0.0, 0.1)) == "0.0"


def _chart(**changes) -> svg.LineChart:
    x = np.arange(11)
    fields = dict(
        title="Skill <& co>",
        x_label="week",
        y_label="skill (0-1)",
        x_range=(0.0, 10.0),
        y_range=(0.4, 0.6),
        lines=(
            svg.Line("arm 'A'", x, 0.5 + 0.005 * x, "#0072B2"),
            svg.Line("baseline", x, np.full(11, 0.5), "#7f7f7f", dashed=True),
        ),
        bands=(svg.Band(x, 0.48 + 0.0 * x, 0.52 + 0.01 * x, "#0072B2"),),
        points=(svg.Points("marks", [2, 4], [0.45, 0.55], "#E69F00"),),
        legend_title="band: 3 replicates",
    )
    fields.update(changes)
    return svg.LineChart(**fields)


def test_a_line_chart_is_well_formed_svg_with_every_series_label_and_tick():
    text = svg.line_chart(_chart())
    root = _parse(text)
    assert root.tag == f"{{{NS['s']}}}svg" and root.get("viewBox") == "0 0 560 340"
    plot = root.find("s:svg[@class='plot']", NS)
    assert plot is not None
    assert plot.get("data-y-range") == "0.4 0.6" and plot.get("data-x-range") == "0.0 10.0"
    lines = plot.findall("s:path[@class='line']", NS)
    assert len(lines) == 2
    assert [len(_points(p.get("d", ""))) for p in lines] == [11, 11]
    assert lines[1].get("stroke-dasharray") and not lines[0].get("stroke-dasharray")
    assert len(plot.findall("s:path[@class='band']", NS)) == 1
    texts = _texts(root)
    # Escaped in the file, the same text once parsed.
    assert "Skill &lt;&amp; co&gt;" in text and "Skill <& co>" in texts
    for label in ("week", "skill (0-1)", "arm 'A'", "baseline", "marks", "band: 3 replicates"):
        assert label in texts, label
    assert {"0.40", "0.50", "0.60"} <= set(texts) and {"0", "10"} <= set(texts)
    assert root.find("s:title", NS).text == "Skill <& co>"


def test_points_map_to_the_plot_area_and_nan_breaks_a_line():
    y = np.array([0.4, 0.5, np.nan, 0.5, 0.6])
    chart = _chart(lines=(svg.Line("gap", np.arange(5), y, "#000000"),), bands=(), points=())
    plot = _parse(svg.line_chart(chart)).find("s:svg[@class='plot']", NS)
    d = plot.find("s:path[@class='line']", NS).get("d")
    assert d.count("M") == 2 and len(_points(d)) == 4
    height, width = float(plot.get("height")), float(plot.get("width"))
    (x0, y0), *_, (x4, y4) = _points(d)
    assert (x0, y0) == (0.0, pytest.approx(height, abs=0.05))  # (0, 0.4): bottom left
    assert x4 == pytest.approx(width * 4 / 10, abs=0.05) and y4 == 0.0  # (4, 0.6): top


def test_a_long_legend_wraps_above_the_plot_instead_of_covering_it():
    x = np.arange(3)
    many = tuple(svg.Line(f"a rather long arm name {i}", x, x / 10, "#000000") for i in range(8))
    one = _parse(svg.line_chart(_chart(lines=many[:1])))
    eight = _parse(svg.line_chart(_chart(lines=many)))
    top = [float(r.find("s:svg[@class='plot']", NS).get("y")) for r in (one, eight)]
    assert top[1] > top[0] + 30  # the plot area moved down to make room
    assert len(svg.legend_rows([svg.LegendEntry(m.label, m.colour) for m in many], 480)) >= 3


def test_dots_are_one_path_per_colour_and_size():
    x = np.array([1.0, 2.0, 3.0, np.nan])
    out = svg.dots(x, x, ["#111111", "#222222", "#111111", "#111111"], [4, 4, 4, 6])
    paths = _parse(f'<g xmlns="{NS["s"]}">{out}</g>').findall("s:path", NS)
    assert [(p.get("stroke"), p.get("stroke-width"), p.get("d").count("M")) for p in paths] == [
        ("#111111", "4", 2),
        ("#222222", "4", 1),
    ]
    assert all(p.get("stroke-linecap") == "round" for p in paths)


def test_colours_are_clipped_to_the_scale_and_nan_has_none():
    table = svg.colour_table("viridis")
    assert len(table) == 64 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in table)
    got = svg.colour_of([0.0, 0.3, 0.85, 2.0, np.nan], 0.3, 0.85)
    assert got == [table[0], table[0], table[-1], table[-1], "none"]


def test_a_colour_bar_has_its_ticks_and_label():
    out = svg.colour_bar(svg.Box(10, 10, 14, 200), 0.3, 0.85, "mean skill (0-1)")
    root = _parse(f'<g xmlns="{NS["s"]}">{out}</g>')
    assert _texts(root) == ["0.4", "0.6", "0.8", "mean skill (0-1)"]
