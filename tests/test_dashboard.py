"""The dashboard: its model, its components without a browser, and the page in Chromium.

The browser test serves the dashboard with ``serve()`` (as ``wlsim dashboard`` does) on a
free localhost port and drives Debian's /usr/bin/chromium headless with Playwright. It is
skipped, with the reason, when the browser or Playwright is missing, unless
``WLSIM_BROWSER_TEST=required`` (set by .ci/run once it has installed the browser), in
which case it fails instead.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard needs the viz extra: pip install -e '.[viz]'")

import ipyvuetify as v
import reacton.core
import solara
from mesa.visualization.solara_viz import _check_model_params

from sim.analysis import plots
from sim.app import dashboard
from sim.app.dashboard import (
    DashboardModel,
    learning_figure,
    lever_params,
    network_figure,
    offline_problems,
    parse_seed,
    radial_layout,
    scenario_choices,
)
from sim.errors import ScenarioError
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless and a fresh temporary profile itself.
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# --- the model wrapper -------------------------------------------------------------------


def test_model_steps_the_arm_and_its_baseline_together():
    m = DashboardModel(scenario_file=str(FLAGSHIP), seed="11")
    assert m.arm == "mentorship"  # the first arm that runs a programme
    assert m.seed_value == 11
    assert m.params.organisation.n_employees == dashboard.DEFAULT_EMPLOYEES
    assert m.overrides == [] and m.notice == ""
    assert [p.name for p in m.treated.programmes] == ["mentorship"]
    assert m.control.programmes == []
    for _ in range(3):
        m.step()
    assert (m.week, m.treated.week, m.control.week, m.time) == (3, 3, 3, 3.0)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 4
    assert df["mean_skill"].iloc[-1] == m.treated.records[-1]["mean_skill"]
    assert df["mean_skill_baseline"].iloc[-1] == m.control.records[-1]["mean_skill"]
    assert m.treated.records[-1]["n_relationships"] > 0
    assert m.control.records[-1]["n_relationships"] == 0


def test_baseline_is_the_scenarios_own_no_programme_arm_with_the_same_seed():
    m = DashboardModel(scenario_file=str(FLAGSHIP), arm="both", seed=5)
    ref = WorkplaceModel(
        load_scenario(FLAGSHIP, ["organisation.n_employees=200"]), "no_programme", seed=5
    )
    for _ in range(8):
        m.step()
        ref.step()
    for key, value in ref.records[-1].items():
        got = m.control.records[-1][key]
        assert got == value or (math.isnan(got) and math.isnan(value)), key
    # Week 0 is the same organisation in both arms (common random numbers).
    assert m.treated.records[0]["mean_skill"] == m.control.records[0]["mean_skill"]


def test_seed_box_strings_are_seeds():
    assert parse_seed("7", 1) == 7
    assert parse_seed(" 42 ", 1) == 42
    assert parse_seed("", 1) == 1
    assert parse_seed(None, 1) == 1
    assert parse_seed(9, 1) == 9
    word = parse_seed("class A", 1)
    assert word == parse_seed("class A", 2) and word >= 0
    assert parse_seed("-3", 1) >= 0
    a = DashboardModel(scenario_file=str(FLAGSHIP), seed="class A")
    b = DashboardModel(scenario_file=str(FLAGSHIP), seed="class A")
    for m in (a, b):
        m.step()
    assert a.treated.records[-1] == b.treated.records[-1]


def test_levers_left_alone_change_nothing_and_moved_levers_set_every_programme():
    params = lever_params(FLAGSHIP, "both")
    own = {k: (p["value"] if isinstance(p, dict) else p) for k, p in params.items()}
    assert DashboardModel(**own).overrides == []
    moved = {**own, "cadence_weeks": 4, "matching": "similarity", "p_enrol": 0.55}
    m = DashboardModel(**moved)
    assert m.overrides == [
        "programmes.mentorship.p_enrol=0.55",
        "programmes.peer_coaching.p_enrol=0.55",
        "programmes.mentorship.cadence_weeks=4",
        "programmes.peer_coaching.cadence_weeks=4",
        'programmes.mentorship.matching="similarity"',
        'programmes.peer_coaching.matching="similarity"',
    ]
    for prog in m.treated.programmes:
        assert prog.params.cadence_weeks == 4
        assert prog.params.matching == "similarity"
        assert prog.params.p_enrol == 0.55
    assert DashboardModel(**{**own, "n_employees": 100}).params.organisation.n_employees == 100


def test_an_invalid_lever_is_reported_not_raised():
    m = DashboardModel(scenario_file=str(FLAGSHIP), hours_per_session=100.0)
    assert m.overrides == []
    assert "Levers not applied" in m.notice and "hours_per_session" in m.notice
    m.step()


def test_lever_params_fit_the_model_as_mesa_checks_them():
    for label in ("mentorship_vs_peer_coaching.toml", "programmes/levers.toml"):
        path = ROOT / "scenarios" / label
        for arm in dashboard.programme_arms(path):
            params = lever_params(path, arm)
            _check_model_params(DashboardModel(scenario_file=str(path), arm=arm), params)
            for p in params.values():
                if isinstance(p, dict) and p.get("type", "").startswith("Slider"):
                    assert p["min"] <= p["value"] <= p["max"]


def test_model_stops_at_the_horizon(write_scenario):
    path = write_scenario(
        'horizon_weeks = 3\n[programmes.m]\nkind = "mentorship"\n'
        "[arms.none]\nprogrammes = []\n[arms.m]\nprogrammes = ['m']\n",
        name="short.toml",
    )
    m = DashboardModel(scenario_file=str(path))
    assert m.arm == "m"
    for _ in range(5):
        m.step()
    assert m.week == 3 and not m.running
    assert len(m.datacollector.get_model_vars_dataframe()) == 4


def test_scenario_choices_list_files_with_a_programme_flagship_first():
    choices = scenario_choices(ROOT / "scenarios")
    assert choices[0] == "mentorship_vs_peer_coaching.toml"
    assert "programmes/levers.toml" in choices
    assert "baseline.toml" not in choices  # no arm runs a programme


def test_radial_layout_puts_the_top_in_the_centre():
    m = DashboardModel(scenario_file=str(FLAGSHIP))
    wf = m.treated.workforce
    pos = radial_layout(wf.manager, wf.level)
    radius = np.hypot(pos[:, 0], pos[:, 1])
    top = wf.level == wf.level.max()
    assert np.allclose(radius[top], 0.0)
    assert np.allclose(radius[wf.level == 0], 1.0)
    assert (radius <= 1.0 + 1e-9).all()


@pytest.fixture(scope="module")
def small_both() -> DashboardModel:
    """Eight weeks of the flagship's `both` arm at 50 employees, and its baseline."""
    m = DashboardModel(scenario_file=str(FLAGSHIP), arm="both", n_employees=50)
    for _ in range(8):
        m.step()
    return m


SVG = "{http://www.w3.org/2000/svg}"


def _svg(text: str) -> ET.Element:
    """A chart's SVG, parsed: well-formed XML or an error."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg" and "wlsim-chart" in root.get("class", "")
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _segments(paths: list[ET.Element]) -> int:
    return sum(p.get("d", "").count("M") for p in paths)


def _paths(root: ET.Element, cls: str) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if p.get("class") == cls]


def _plotted(chart: ET.Element, cls: str) -> list[np.ndarray]:
    """The data y values of a chart's paths of a class (pixels mapped back to data)."""
    (plot,) = [e for e in chart.iter(f"{SVG}svg") if e.get("class") == "plot"]
    low, high = (float(v) for v in plot.get("data-y-range", "").split())
    height = float(plot.get("height", ""))
    out = []
    for p in _paths(plot, cls):
        ys = np.array([float(y) for y in re.findall(r"[ML][-\d.]+ ([-\d.]+)", p.get("d", ""))])
        out.append(low + (height - ys) / height * (high - low))
    return out


def _y_range(chart: ET.Element) -> tuple[float, float]:
    (plot,) = [e for e in chart.iter(f"{SVG}svg") if e.get("class") == "plot"]
    low, high = (float(v) for v in plot.get("data-y-range", "").split())
    return low, high


def test_network_view_draws_the_advice_ties_of_both_arms(small_both):
    root = _svg(network_figure(small_both))
    panels = [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]
    assert len(panels) == 2
    for panel, sub in zip(panels, (small_both.treated, small_both.control), strict=True):
        seeker, _, _, programme = plots.advice_ties(sub)
        # The report's choice of ties: every tie here (fewer than the cap), one segment each.
        ordinary, made = _paths(panel, "advice"), _paths(panel, "advice-programme")
        assert _segments(ordinary) + _segments(made) == len(seeker) > 0
        assert _segments(made) == int(programme.sum())
        labels = _texts(panel)
        assert f"advice ties ({len(seeker):,})" in labels
        assert f"advice ties a programme made ({int(programme.sum()):,})" in labels
        # Every occupied position is a dot; every reporting line a segment.
        (dots,) = [g for g in panel.iter(f"{SVG}g") if g.get("class") == "employees"]
        assert _segments(list(dots.iter(f"{SVG}path"))) == int(sub.workforce.occupied.sum())
        assert _segments(_paths(panel, "reporting")) == int((sub.workforce.manager >= 0).sum())
    assert _segments(_paths(panels[0], "relationships")) > 0
    assert not _paths(panels[1], "relationships")  # no programme on the right
    assert "both: week 8" in _texts(panels[0]) and "no programme: week 8" in _texts(panels[1])
    assert "mean skill (0-1)" in _texts(root)  # the colour bar
    # Programme sessions made ties on the programme's side only.
    assert plots.advice_ties(small_both.treated)[3].any()
    assert not plots.advice_ties(small_both.control)[3].any()
    # No programme relationship shares a colour with the advice ties.
    assert not {plots.ADVICE_COLOUR, plots.PROGRAMME_ADVICE_COLOUR} & set(dashboard.TIE_COLOURS)


def test_a_large_network_stays_a_few_hundred_svg_elements():
    m = DashboardModel(scenario_file=str(FLAGSHIP), n_employees=1000, band_replicates=1)
    m.advance(20)
    root = _svg(network_figure(m))
    assert sum(1 for _ in root.iter()) < 2000  # the browser draws it quickly
    ties = [p for p in root.iter(f"{SVG}path") if p.get("class", "").startswith("advice")]
    assert _segments(ties) == 2 * plots.MAX_ADVICE_TIES  # the cap, on both sides
    assert any("strongest 2,000 of" in t for t in _texts(root))


def test_learning_curve_shows_advice_and_programme_learning_with_the_baseline(small_both):
    df = small_both.datacollector.get_model_vars_dataframe()
    treated, control = small_both.treated.records, small_both.control.records
    for key in dashboard.LEARNING:
        assert df[key].iloc[-1] == treated[-1][key] or math.isnan(treated[-1][key])
        assert f"{key}_baseline" in df
    root = _svg(learning_figure(small_both))
    texts = _texts(root)
    assert [t for t in texts if t.startswith(("from", "in prog"))] == [
        "from advice",
        "in programmes",
        "from advice, no programme",
    ]
    advice, programmes, baseline = _plotted(root, "line")
    low, high = _y_range(root)
    tolerance = (high - low) / 200  # pixels are written to a tenth
    for drawn, records, key in (
        (advice, treated, "skill_gained_informal"),
        (programmes, treated, "skill_gained_programmes"),
        (baseline, control, "skill_gained_informal"),
    ):
        np.testing.assert_allclose(drawn, [r[key] for r in records], atol=tolerance)
    assert low == 0.0 and high >= max(advice.max(), programmes.max())
    share = treated[-1]["informal_share_of_learning"]
    assert f"Learning from others: {share:.0%} of both's from advice" in texts
    assert "Share of learning from advice" in dashboard.summary_markdown(small_both)


def test_curves_have_bands_from_three_replicates(small_both):
    m = small_both
    assert dashboard.BAND_REPLICATES == m.n_replicates == 3
    assert [s.replicate for s in m.band_treated] == [1, 2]
    assert [s.replicate for s in m.band_control] == [1, 2]
    assert all(s.week == m.week for s in (*m.band_treated, *m.band_control))
    df = m.datacollector.get_model_vars_dataframe()
    for key in dashboard.CURVES:
        for baseline in (False, True):
            runs = m.replicates(key, baseline)
            assert runs.shape == (3, m.week + 1)
            # Row 0 is the line drawn, as before; the others are other random histories.
            np.testing.assert_array_equal(runs[0], df[f"{key}_baseline" if baseline else key])
            if key == "mean_skill":
                assert not np.array_equal(runs[0], runs[1])
        root = _svg(dashboard.curve_figure(m, key))
        low, high = _y_range(root)
        tolerance = (high - low) / 200
        bands = _plotted(root, "band")
        assert len(bands) == 2  # one around the arm's line, one around the baseline's
        shown = [df[key].to_numpy(), df[f"{key}_baseline"].to_numpy()]
        for band, baseline in zip(bands, (False, True), strict=True):
            runs = m.replicates(key, baseline)
            assert math.isclose(band.min(), runs.min(), abs_tol=tolerance)
            assert math.isclose(band.max(), runs.max(), abs_tol=tolerance)
            shown += [runs.min(axis=0), runs.max(axis=0)]
        lines = _plotted(root, "line")
        assert [len(line) for line in lines] == [m.week + 1, m.week + 1]
        np.testing.assert_allclose(lines[0], df[key], atol=tolerance)
        # Honest limits: at least a tenth of the 0-1 scale, from every value drawn.
        assert (low, high) == pytest.approx(dashboard.honest_limits(np.concatenate(shown)))
        assert high - low >= dashboard.MIN_SPAN - 1e-9 and 0.0 <= low < high <= 1.0
        texts = _texts(root)
        assert "band: 3 replicates (min-max)" in texts
        assert {"both", "no programme", "week", dashboard.CURVES[key][1]} <= set(texts)
        assert any(t.startswith(f"{dashboard.CURVES[key][0]}: difference") for t in texts)
    # Without extra replicates there is no band.
    one = DashboardModel(scenario_file=str(FLAGSHIP), band_replicates=1)
    one.step()
    root = _svg(dashboard.curve_figure(one, "mean_skill"))
    assert one.band_treated == [] and _plotted(root, "band") == []
    assert not any(t.startswith("band:") for t in _texts(root))


def test_text_in_the_charts_is_escaped(small_both):
    # Scenario files allow only letters, digits, '_', '.' and '-' in arm names; the charts
    # escape whatever they are given all the same.
    m = copy.copy(small_both)
    m.arm = "a<b & 'c'"
    for make in (
        dashboard.all_arms_figure,
        dashboard.learning_figure,
        network_figure,
        lambda model: dashboard.curve_figure(model, "mean_skill"),
    ):
        text = make(m)
        assert "a<b" not in text and "a&lt;b &amp; &#x27;c&#x27;" in text
        assert any("a<b & 'c'" in t for t in _texts(_svg(text)))


def test_unknown_or_programme_less_arms_are_refused():
    with pytest.raises(ScenarioError, match="choose one of: mentorship, peer_coaching, both"):
        DashboardModel(scenario_file=str(FLAGSHIP), arm="no_programme")
    with pytest.raises(ScenarioError, match="no arm runs a programme"):
        DashboardModel(scenario_file=str(ROOT / "scenarios" / "baseline.toml"))


def test_serve_refuses_a_missing_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file or folder"):
        dashboard.serve(tmp_path / "nope.toml", open_browser=False)


def test_serve_refuses_a_taken_port(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert dashboard.serve(FLAGSHIP, port=port, open_browser=False) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_offline_pins_hold():
    # Without these the served page is blank offline, or its main area stays empty.
    assert offline_problems() == []


# --- the components, without a browser -------------------------------------------------


def _charts(rc) -> list[str]:
    """The SVG of every chart on the page."""
    return [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if "wlsim-figure" in w.attributes.get("class", "")
    ]


def _markdown(rc) -> str:
    return "\n".join(
        w.unsafe_innerHTML or ""
        for w in rc.find(solara.widgets.HTML).widgets
        if "wlsim-figure" not in w.attributes.get("class", "")
    )


def _status(rc) -> str:
    (text,) = [w.children[0] for w in rc.find(v.Html, class_="wlsim-status").widgets]
    return text


def test_page_renders_and_steps_without_a_browser():
    assert isinstance(dashboard.page, reacton.core.Element)  # `page` shows in a notebook
    _box, rc = solara.render(solara.AppLayout(children=[dashboard.page]), handle_error=False)
    try:
        assert _status(rc) == "Week 0 of 156"
        before = _charts(rc)
        assert len(before) == 7  # all arms, network, four curves and the learning curve
        for chart in before:
            _svg(chart)  # well-formed SVG
        # Each figure has its caption under it: what it shows and what it leaves out.
        captions = [w.children[0] for w in rc.find(v.Html, class_="wlsim-caption").widgets]
        assert sorted(captions) == sorted(dashboard.CAPTIONS.values())
        assert len(captions) == len(before)
        assert all("Left out:" in c for c in captions)
        step = rc.find(v.Btn, children=["Step"])
        step.assert_single()
        for _ in range(2):
            step.widget.click()
        assert _status(rc) == "Week 2 of 156"
        after = _charts(rc)
        assert all(a != b for a, b in zip(before, after, strict=True))

        # A lever moved shows its value and waits for Reset; Reset builds it.
        slider = rc.find(v.Slider, label="Weeks between sessions: 2")
        slider.assert_single()
        slider.widget.v_model = 5
        rc.find(v.Slider, label="Weeks between sessions: 5").assert_single()
        assert "press <strong>Reset</strong> to apply" in _markdown(rc)
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert _status(rc) == "Week 0 of 156"
        assert "mentorship.cadence_weeks=5" in _markdown(rc)
        assert "to apply" not in _markdown(rc)

        # Another arm: built at once, with its own levers (issue 21, item 1).
        rc.find(v.Select, label="Arm").widget.v_model = "both"
        assert "Arm <strong>both</strong>" in _markdown(rc)
        rc.find(v.Slider, label="Weeks between sessions: 2").assert_single()

        # A story sets scenario, arm, levers and events in one click.
        rc.find(v.Select, label="Story").widget.v_model = "When experts leave"
        text = _markdown(rc)
        assert "Arm <strong>mentorship</strong>" in text
        assert "in week 26 the 10 most skilled in <em>domain</em> leave" in text
    finally:
        rc.close()


def test_play_stops_at_the_horizon_and_another_arm_plays_again(write_scenario):
    path = write_scenario(
        'horizon_weeks = 5\n[programmes.m]\nkind = "mentorship"\n'
        "[arms.none]\nprogrammes = []\n[arms.a]\nprogrammes = ['m']\n"
        "[arms.b]\nprogrammes = ['m']\n",
        name="short.toml",
    )
    element = dashboard.Dashboard(scenario=str(path))
    _box, rc = solara.render(solara.AppLayout(children=[element]), handle_error=False)
    try:
        rc.find(v.Slider, label="Weeks per redraw when playing: 1").widget.v_model = 2
        rc.find(v.Btn, children=["▶"]).widget.click()

        def buttons() -> dict[str, bool]:
            return {w.children[0]: w.disabled for w in rc.find(v.Btn).widgets}

        def settled() -> bool:  # the play thread has drawn the end
            done = "the run has finished" in _markdown(rc)
            return done and buttons() == {"Reset": False, "▶": True, "Step": True}

        deadline = time.monotonic() + 60
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _status(rc) == "Week 5 of 5: the run has finished"
        assert settled()
        time.sleep(0.5)  # nothing runs past the horizon
        assert _status(rc) == "Week 5 of 5: the run has finished"
        rc.find(v.Select, label="Arm").widget.v_model = "b"
        assert buttons() == {"Reset": False, "▶": False, "Step": False}
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert _status(rc) == "Week 1 of 5"
    finally:
        rc.close()


# --- the page in a real browser ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("WLSIM_BROWSER_TEST") == "required":
        pytest.fail(f"browser test required (WLSIM_BROWSER_TEST=required) but {reason}")
    pytest.skip(reason)


def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the dashboard server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"the dashboard did not answer at {url} within {timeout} s:\n{log.read_text()}")


@pytest.fixture
def served(tmp_path):
    """Serve the dashboard with ``serve()`` on a free port; stop it with SIGTERM."""
    port = _free_port()
    log = tmp_path / "server.log"
    code = (
        "import sys; from sim.app.dashboard import serve; "
        f"sys.exit(serve(port={port}, open_browser=False))"
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url, proc, log, timeout=45)
        yield url
    finally:
        # serve() stops the solara server it started when it gets SIGTERM.
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):  # anything left in the group
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == 0, log.read_text()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(url, timeout=2)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar's Vuetify select labelled ``label``."""
    page.locator(".v-select", has_text=label).first.click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


def test_dashboard_in_headless_chromium(tmp_path, request):
    """Issue 21, items 1-4: Reset builds what the sidebar shows, play stops at the horizon
    and says so, another arm can be played after that, levers show their values, and the
    framework's leftovers are gone; on a 1280x720 projector the levers are on screen."""
    if not CHROMIUM.exists():
        _skip_or_fail(
            f"{CHROMIUM} not found; install Debian's browser: "
            "apt-get install -y chromium chromium-driver"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed (pip install -e '.[dev]')")
    url = request.getfixturevalue("served")
    flags = list(CHROMIUM_FLAGS)
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to sandbox as root
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            status = page.locator(".wlsim-status")
            expect(status).to_have_text("Week 0 of 156", timeout=40_000)
            charts = page.locator(".wlsim-main svg.wlsim-chart")
            page.wait_for_function(
                "document.querySelectorAll('.wlsim-main svg.wlsim-chart').length >= 7"
            )

            # Framework leftovers are gone, and the levers fit a 1280x720 projector.
            for leftover in ("Page 0", "Use Threads", "This website runs on"):
                assert page.get_by_text(leftover).count() == 0, leftover
            structure = page.locator(".v-input", has_text="Structure:").first
            box = structure.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 720, box
            page.screenshot(path=str(tmp_path / "dashboard-1280x720.png"))

            def drawn() -> list[str]:
                return charts.evaluate_all("els => els.map(e => e.outerHTML)")

            before = drawn()

            # Another scenario and arm, a lever moved, Reset: the model, the summary and
            # the figures are the chosen ones.
            _choose(page, "Scenario file", "programmes/levers.toml")
            expect(page.locator(".v-select", has_text="Arm")).to_contain_text("mentorship")
            _choose(page, "Arm", "two_hour_sessions")
            summary = page.locator(".wlsim-main .solara-markdown").first
            expect(summary).to_contain_text("Arm two_hour_sessions", timeout=15_000)
            hours = page.locator(".v-input", has_text="Hours per session:").first
            expect(hours).to_contain_text("Hours per session: 2")
            cadence = page.locator(".v-input", has_text="Weeks between sessions:").first
            expect(cadence).to_contain_text("Weeks between sessions: 2")
            cadence.get_by_role("slider").focus()
            page.keyboard.press("ArrowRight")
            expect(cadence).to_contain_text("Weeks between sessions: 3")
            expect(page.get_by_text("press Reset to apply")).to_be_visible()
            page.get_by_role("button", name="Reset").click()
            expect(summary).to_contain_text("mentorship.cadence_weeks=3", timeout=15_000)
            expect(summary).to_contain_text("Arm two_hour_sessions")
            expect(page.get_by_text("press Reset to apply")).to_have_count(0)
            expect(status).to_have_text("Week 0 of 156")
            page.wait_for_function(
                "old => { const now = [...document.querySelectorAll('.wlsim-main svg.wlsim-chart')]"
                ".map(e => e.outerHTML); return now.length === old.length && "
                "now.every((s, i) => s !== old[i]); }",
                arg=before,
                timeout=15_000,
            )
            after = drawn()

            # Play to the end, 52 weeks a redraw: it stops at the horizon and says so.
            redraw = page.locator(".v-input", has_text="Weeks per redraw").first
            redraw.get_by_role("slider").focus()
            page.keyboard.press("End")
            expect(redraw).to_contain_text("Weeks per redraw when playing: 52")
            page.get_by_role("button", name="▶").click()
            expect(status).to_have_text("Week 156 of 156: the run has finished", timeout=30_000)
            expect(summary).to_contain_text("the run has finished")
            expect(page.get_by_role("button", name="Step")).to_be_disabled()
            expect(page.get_by_role("button", name="▶")).to_be_disabled()
            page.wait_for_timeout(500)  # nothing runs past the horizon
            expect(status).to_have_text("Week 156 of 156: the run has finished")
            assert all(a != b for a, b in zip(after, drawn(), strict=True))

            # Another arm afterwards: the controls work again, for that arm.
            _choose(page, "Arm", "weekly")
            expect(summary).to_contain_text("Arm weekly", timeout=15_000)
            step = page.get_by_role("button", name="Step")
            expect(step).to_be_enabled()
            step.click()
            expect(status).to_have_text("Week 1 of 156", timeout=15_000)
            expect(page.get_by_role("button", name="▶")).to_be_enabled()

            # The charts are drawn at a readable size, with their lines and dots.
            sizes = charts.evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect(); "
                "return [r.width, r.height, e.querySelectorAll('path').length]; })"
            )
            assert len(sizes) >= 7 and all(w > 200 and h > 150 and n > 5 for w, h, n in sizes)
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            assert not errors, errors
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("path", "arm", "allowed", "refused"),
    [
        (FLAGSHIP, "mentorship", {"random", "similarity"}, {"complementary", "expert"}),
        (
            ROOT / "scenarios" / "programmes" / "group_circles.toml",
            "group_circles",
            {"random", "complementary"},
            {"similarity", "expert"},
        ),
    ],
)
def test_the_matching_menu_offers_only_policies_the_arm_can_run(
    path, arm, allowed, refused
) -> None:
    """Issue: the menu offered all eight policies, and a policy the design rules out
    failed with an error about topology, which is not on screen."""
    values = set(lever_params(path, arm)["matching"]["values"])
    assert allowed <= values and not refused & values
    for policy in values:  # every choice applies without an error
        model = DashboardModel(scenario_file=str(path), arm=arm, n_employees=50, matching=policy)
        assert not model.notice, model.notice


def test_serve_refuses_an_unknown_arm_or_story_before_starting(capsys):
    with pytest.raises(ScenarioError, match="choose one of: mentorship, peer_coaching, both"):
        dashboard.serve(FLAGSHIP, arm="no_programme", open_browser=False)
    with pytest.raises(ScenarioError, match="choose one of: The mentor bottleneck"):
        dashboard.serve(story_name="experts", open_browser=False)
    with pytest.raises(ScenarioError, match="not both"):
        dashboard.serve(arm="both", story_name="when experts leave", open_browser=False)


def test_the_server_gets_arm_story_and_no_banner_or_cookie_warning():
    env = dashboard.server_env(FLAGSHIP, "both", None)
    assert env[dashboard.ENV_ARM] == "both" and dashboard.ENV_STORY not in env
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    assert "ignore:Cookies with samesite=none" in env["PYTHONWARNINGS"]
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"]  # closed pages are freed, not kept 24 hours


def test_axes_show_at_least_a_tenth_of_the_scale():
    low, high = dashboard.honest_limits(np.array([0.600, 0.605]))
    assert high - low == pytest.approx(0.1) and low < 0.6 and high > 0.605
    assert dashboard.honest_limits(np.array([0.99, 1.0])) == (pytest.approx(0.9), 1.0)
    assert dashboard.honest_limits(np.array([0.0, 0.01])) == (0.0, pytest.approx(0.1))
    low, high = dashboard.honest_limits(np.array([0.2, 0.8]))
    assert low < 0.2 and high > 0.8


def test_all_arms_run_with_the_same_seed_and_the_chosen_arm_with_its_levers():
    m = DashboardModel(scenario_file=str(FLAGSHIP), arm="mentorship", n_employees=50, p_enrol=0.6)
    assert list(m.others) == ["peer_coaching", "both"]
    for _ in range(3):
        m.step()
    ref = WorkplaceModel(
        load_scenario(FLAGSHIP, ["organisation.n_employees=50"]), "peer_coaching", seed=m.seed_value
    )
    for _ in range(3):
        ref.step()
    assert m.others["peer_coaching"].records[-1]["mean_skill"] == ref.records[-1]["mean_skill"]
    assert m.others["both"].programmes[0].params.p_enrol == 0.3  # as designed
    root = _svg(dashboard.all_arms_figure(m))
    labels = ["mentorship (levers)", "peer_coaching", "both", "no programme"]
    assert [t for t in _texts(root) if t in labels] == labels
    lines = _plotted(root, "line")
    assert [len(line) for line in lines] == [4, 4, 4, 4]
    low, high = _y_range(root)
    assert high - low >= dashboard.MIN_SPAN - 1e-9
    assert all(low <= line.min() and line.max() <= high for line in lines)


def test_a_story_sets_scenario_arm_levers_and_departures():
    setup = dashboard.story_setup(ROOT / "scenarios", dashboard.story("when experts leave"))
    m = setup.model(ROOT / "scenarios")
    (event,) = m.params.departures
    assert (event.week, event.domain, event.k) == (26, "domain", 10)
    assert m.control.params.departures == m.params.departures  # the baseline loses them too
    bottleneck = dashboard.story_setup(ROOT / "scenarios", dashboard.story("The mentor bottleneck"))
    assert dict(bottleneck.levers)["n_learners_per_guide_max"] == 1
    assert bottleneck.arm == "mentorship"
