"""Interactive dashboard for workshops and classrooms, on Mesa's visualisation (SolaraViz).

Choose a scenario file and an arm, move the programme levers, step or play, and watch
skill, engagement and retention curves and the organisation network, with the
no-programme baseline beside them. The baseline is the same organisation with the same
seed and no programme (common random numbers), so every difference is the programme's.

* In a browser: ``wlsim dashboard`` (see :func:`serve`), or
  ``python -m solara run sim.app.dashboard:page``.
* In a notebook: ``from sim.app.dashboard import page; page`` (the last expression of a cell),
  or ``Dashboard(scenario="scenarios/programmes/levers.toml", arm="weekly")``.

Needs the ``viz`` extra (Mesa's visualisation, solara and its offline assets); see
docs/dashboard.md.
"""

from __future__ import annotations

import functools
import html
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import typing
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import markdown
import mesa
import numpy as np
import solara
import solara.lab

from sim.analysis.plots import (
    ADVICE_COLOUR,
    MAX_ADVICE_TIES,
    PALETTE,
    PROGRAMME_ADVICE_COLOUR,
    shown_advice_ties,
)
from sim.app import svg
from sim.errors import ScenarioError
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import (
    arm_scenario,
    load_scenario,
    parse_assignment,
    validate_scenario,
)
from sim.scenario.schema import Arm, Programme, Scenario

#: Environment variable naming the scenario file (or folder) the served dashboard opens.
ENV_SCENARIO = "WLSIM_DASHBOARD_SCENARIO"
#: Environment variables naming the arm and the story preset the served dashboard opens.
ENV_ARM = "WLSIM_DASHBOARD_ARM"
ENV_STORY = "WLSIM_DASHBOARD_STORY"
#: The scenario the dashboard opens by default (relative to the scenarios folder).
FLAGSHIP = "mentorship_vs_peer_coaching.toml"
#: Organisation size the dashboard starts with: small, so that stepping is instant.
DEFAULT_EMPLOYEES = 200
#: Name of the arm, added to the scenario, that runs no programme (the baseline).
CONTROL_ARM = "dashboard_no_programme"

#: Colour-blind-safe colours (Okabe-Ito): the programme arm, the baseline, the programme
#: relationships (not the advice ties' colours, :data:`sim.analysis.plots.ADVICE_COLOUR`
#: and ``PROGRAMME_ADVICE_COLOUR``).
ARM_COLOUR = "#0072B2"
BASELINE_COLOUR = "#7f7f7f"
TIE_COLOURS = ("#D55E00", "#009E73", "#E69F00", "#F0E442", "#56B4E9")
#: Colour of the skill learned in programme sessions in the learning curve.
PROGRAMME_COLOUR = "#D55E00"
#: The least span of a curve's y-axis (0-1 metrics).
MIN_SPAN = 0.1
#: Skill range of the network's colour scale (fixed so colours compare across weeks).
SKILL_RANGE = (0.3, 0.85)

#: The matching policies a programme can use (the Select's choices).
MATCHING_POLICIES: tuple[str, ...] = typing.get_args(Programme.model_fields["matching"].annotation)


@dataclass(frozen=True)
class Lever:
    """A programme component the dashboard exposes as a slider or selector.

    Attributes:
        field: Field of :class:`sim.scenario.schema.Programme` it sets.
        label: Label shown beside the control.
        kind: ``"int"``, ``"float"`` or ``"select"``.
        low: Lowest slider value.
        high: Highest slider value.
        step: Slider step.
        help: What it does, in a sentence (the information panel).
    """

    field: str
    label: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    help: str = ""


LEVERS: tuple[Lever, ...] = (
    Lever(
        "p_enrol",
        "Enrolment share",
        "float",
        0.0,
        1.0,
        0.05,
        "the share of eligible employees who sign up as learners.",
    ),
    Lever(
        "n_learners_per_guide_max",
        "Learners per guide",
        "int",
        1,
        8,
        1,
        "how many learners one mentor (guide) takes on, in pair programmes: fewer means "
        "more learners wait without one.",
    ),
    Lever(
        "cadence_weeks",
        "Weeks between sessions",
        "int",
        1,
        8,
        1,
        "how often a pair or group meets; more often teaches more but adds hours and "
        "can overload people.",
    ),
    Lever(
        "hours_per_session",
        "Hours per session",
        "float",
        0.5,
        4.0,
        0.5,
        "the length of a session: more learning hours, and more hours away from work "
        "(cost, and overload when weeks get full).",
    ),
    Lever(
        "structure",
        "Structure",
        "float",
        0.0,
        1.0,
        0.1,
        "goals and accountability: attendance is structure + (1 - structure) x "
        "engagement x fade, so a structured programme holds up when engagement drops.",
    ),
    Lever(
        "matching",
        "Matching policy",
        "select",
        help="how partners are chosen (only the policies every programme of the arm can use).",
    ),
)


# --- scenario files ---------------------------------------------------------------------


def scenarios_root() -> Path:
    """The folder of scenario files: ``./scenarios`` if present, else the repository's."""
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here.resolve()
    return (Path(__file__).resolve().parent.parent / "scenarios").resolve()


def _configured() -> Path | None:
    value = os.environ.get(ENV_SCENARIO, "").strip()
    return Path(value).resolve() if value else None


def default_scenario() -> Path:
    """The scenario file the dashboard opens.

    That is the file ``wlsim dashboard`` was given, else the flagship comparison.
    """
    chosen = _configured()
    if chosen is not None and chosen.is_file():
        return chosen
    root = chosen if chosen is not None and chosen.is_dir() else scenarios_root()
    flagship = root / FLAGSHIP
    if flagship.is_file():
        return flagship
    files = scenario_choices(root)
    if not files:
        raise ScenarioError(f"{root}: no scenario file with a programme arm")
    return root / files[0]


@functools.lru_cache(maxsize=256)
def _programme_arms(path: str, mtime: float) -> tuple[str, ...]:
    del mtime  # part of the cache key only: an edited file is read again
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return ()
    return tuple(name for name, arm in scenario.arms.items() if arm.programmes)


def programme_arms(path: str | Path) -> tuple[str, ...]:
    """Arms of a scenario file that run at least one programme (empty if it is invalid)."""
    p = Path(path).resolve()
    return _programme_arms(str(p), p.stat().st_mtime)


def scenario_choices(root: str | Path | None = None) -> list[str]:
    """Scenario files under ``root`` with at least one programme arm, as relative paths.

    The flagship comes first; files that do not validate or run no programme are left out.
    """
    root = Path(root) if root is not None else scenarios_root()
    files = sorted(p for p in root.rglob("*.toml") if p.is_file())
    out = [p.relative_to(root).as_posix() for p in files if programme_arms(p)]
    if FLAGSHIP in out:
        out.remove(FLAGSHIP)
        out.insert(0, FLAGSHIP)
    return out


def parse_seed(seed: str | int | None, default: int) -> int:
    """The seed typed in the seed box as an integer.

    Mesa's seed box passes a string. Digits are read as the number; an empty box gives
    ``default``; any other text (e.g. ``"class A"``) is hashed to a stable number, so
    every word is a valid, repeatable seed.
    """
    if seed is None:
        return default
    if isinstance(seed, bool):
        raise TypeError("seed must be a number or text, not a boolean")
    if isinstance(seed, int | np.integer):
        value = int(seed)
        return value if value >= 0 else zlib.crc32(str(seed).encode())
    text = str(seed).strip()
    if not text:
        return default
    if text.isdigit():
        return int(text)
    return zlib.crc32(text.encode())


# --- the dashboard model ----------------------------------------------------------------


def _other(arm: str, key: str) -> Any:
    def report(model: DashboardModel) -> float:
        return float(model.others[arm].records[-1].get(key, math.nan))

    return report


def _latest(which: str, key: str) -> Any:
    def report(model: DashboardModel) -> float:
        sub = model.treated if which == "treated" else model.control
        return float(sub.records[-1].get(key, math.nan))

    return report


#: Curves the dashboard records for both arms: metric -> (title, unit).
CURVES: dict[str, tuple[str, str]] = {
    "mean_skill": ("Mean skill", "skill (0-1)"),
    "share_proficient": ("Share proficient", "share of employees"),
    "mean_engagement": ("Mean engagement", "engagement (0-1)"),
    "retention_initial": ("Retention of the initial workforce", "share still employed"),
}
#: The metric of the all-arms chart, and how many other arms it runs at most.
ALL_ARMS_METRIC = "mean_skill"
MAX_OTHER_ARMS = 6
#: Metrics of the learning curve (:func:`learning_figure`), recorded for both arms too.
LEARNING = ("skill_gained_informal", "skill_gained_programmes", "informal_share_of_learning")
#: Replicates behind the curves' uncertainty bands, replicate 0 included. The chosen arm
#: and its baseline also run replicates 1 .. BAND_REPLICATES - 1 (the same scenario, arm,
#: levers, seed and events; each its own random organisation and history), stepped with
#: replicate 0; the four curve figures shade the range (min to max) over all of them
#: around replicate 0's line, so that a class does not over-read one noisy run. 1 turns
#: the bands off. Each extra replicate adds two model steps a week (about 1 ms each at
#: 1,000 employees).
BAND_REPLICATES = 3


class DashboardModel(mesa.Model):
    """A programme arm and its no-programme baseline, stepped together week by week.

    Both are :class:`sim.model.workplace.WorkplaceModel` runs of the same scenario with the same
    seed and replicate: ``treated`` runs the chosen arm with the levers applied,
    ``control`` the same organisation with no programme. Its ``datacollector`` records
    the latest weekly metrics of both (``mean_skill`` and ``mean_skill_baseline``, ...),
    which Mesa's plot components read.

    Every argument has a default and takes what Mesa's controls send (the seed as a
    string), so SolaraViz can rebuild the model on Reset.

    Args:
        scenario_file: Scenario file (default: the flagship comparison).
        arm: Arm to run (default: its first arm with a programme).
        seed: Root seed, as a number or text (see :func:`parse_seed`).
        n_employees: Organisation size (ignored when the organisation comes from data).
        p_enrol: Lever, see :data:`LEVERS`; None or the arm's own value changes nothing.
        n_learners_per_guide_max: Lever.
        cadence_weeks: Lever.
        hours_per_session: Lever.
        structure: Lever.
        matching: Lever.

    Attributes:
        params: The scenario both models run (arm overrides and levers applied).
        overrides: The levers in effect, as ``--set`` expressions.
        notice: A message for the user (a lever that could not be applied), or "".
        treated: The programme arm.
        control: The no-programme baseline.
        horizon: Weeks the scenario runs; the model stops there.
    """

    def __init__(
        self,
        scenario_file: str | None = None,
        arm: str | None = None,
        seed: str | int | None = None,
        n_employees: int = DEFAULT_EMPLOYEES,
        p_enrol: float | None = None,
        n_learners_per_guide_max: int | None = None,
        cadence_weeks: int | None = None,
        hours_per_session: float | None = None,
        structure: float | None = None,
        matching: str | None = None,
        departures: Sequence[Mapping[str, Any]] = (),
        all_arms: bool = True,
        band_replicates: int = BAND_REPLICATES,
    ) -> None:
        path = Path(scenario_file) if scenario_file else default_scenario()
        base = load_scenario(path)
        arms = [name for name, a in base.arms.items() if a.programmes]
        if not arms:
            raise ScenarioError(f"{path}: no arm runs a programme; nothing to compare")
        if arm is not None and arm not in arms:
            raise ScenarioError(
                f"{path}: arm {arm!r} is not an arm with a programme; choose one of: "
                + ", ".join(arms)
            )
        self.arm = arm if arm is not None else arms[0]
        self.scenario_file = str(path)
        self.seed_value = parse_seed(seed, base.seed)
        super().__init__(rng=self.seed_value)

        levers = {
            "p_enrol": p_enrol,
            "n_learners_per_guide_max": n_learners_per_guide_max,
            "cadence_weeks": cadence_weeks,
            "hours_per_session": hours_per_session,
            "structure": structure,
            "matching": matching,
        }
        self.notice = ""
        own = arm_scenario(base, self.arm, source=str(path))
        size = [] if own.organisation.source else [f"organisation.n_employees={int(n_employees)}"]
        if own.organisation.source and n_employees != DEFAULT_EMPLOYEES:
            self.notice = "The organisation comes from data; its size is the data's."
        self.overrides = lever_overrides(own, self.arm, levers)
        events = {"departures": [dict(d) for d in departures]} if departures else {}
        self.departures = tuple(dict(d) for d in departures)
        try:
            scenario = apply_overrides(own, [*size, *self.overrides], str(path), events)
        except ScenarioError as exc:
            self.notice = f"Levers not applied: {exc}"
            self.overrides = []
            scenario = apply_overrides(own, size, str(path), events)
        self.params = scenario
        self.horizon = scenario.horizon_weeks
        self.treated = WorkplaceModel(scenario, self.arm, seed=self.seed_value)
        self.control = WorkplaceModel(with_control_arm(scenario), CONTROL_ARM, seed=self.seed_value)
        #: Replicates 1, 2, ... of the arm and of its baseline, for the curves' bands.
        self.band_treated: list[WorkplaceModel] = []
        self.band_control: list[WorkplaceModel] = []
        for replicate in range(1, max(int(band_replicates), 1)):
            self.band_treated.append(
                WorkplaceModel(scenario, self.arm, replicate=replicate, seed=self.seed_value)
            )
            self.band_control.append(
                WorkplaceModel(
                    with_control_arm(scenario),
                    CONTROL_ARM,
                    replicate=replicate,
                    seed=self.seed_value,
                )
            )
        #: The scenario's other programme arms as designed (no levers), same size, seed
        #: and events: the all-arms chart's lines.
        self.others: dict[str, WorkplaceModel] = {}
        if all_arms:
            for name in arms:
                if name == self.arm or len(self.others) >= MAX_OTHER_ARMS:
                    continue
                theirs = apply_overrides(
                    arm_scenario(base, name, source=str(path)), size, str(path), events
                )
                self.others[name] = WorkplaceModel(theirs, name, seed=self.seed_value)

        reporters: dict[str, Any] = {}
        for key in (*CURVES, *LEARNING):
            reporters[key] = _latest("treated", key)
            reporters[f"{key}_baseline"] = _latest("control", key)
        for name in self.others:
            reporters[f"{ALL_ARMS_METRIC}@{name}"] = _other(name, ALL_ARMS_METRIC)
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)
        # Mesa advances `time` on every call of `step`, even when nothing happens; past the
        # horizon the dashboard's step does nothing, so the clock must not move either.
        self._mesa_step = self.step
        self.step = self._step_to_horizon  # type: ignore[method-assign]

    @property
    def finished(self) -> bool:
        """True once the model has run to its horizon."""
        return self.treated.week >= self.horizon

    def _step_to_horizon(self) -> None:
        if self.finished:
            self.running = False
            return
        self._mesa_step()

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.treated.week

    def step(self) -> None:
        """Advance every model one week and record their metrics.

        At the horizon it does nothing (and Mesa's clock, ``time``, stays at the horizon).
        """
        if self.finished:
            self.running = False
            return
        self.treated.step()
        self.control.step()
        for sub in (*self.band_treated, *self.band_control):
            sub.step()
        for other in self.others.values():
            other.step()
        self.datacollector.collect(self)
        if self.finished:
            self.running = False

    @property
    def n_replicates(self) -> int:
        """Replicates behind the curves' bands (replicate 0 included)."""
        return 1 + len(self.band_treated)

    def replicates(self, key: str, baseline: bool = False) -> np.ndarray:
        """A metric of every replicate of the arm (or its baseline), week by week.

        Returns:
            An ``(n_replicates, weeks + 1)`` array; row 0 is replicate 0 (the line drawn).
        """
        models = (
            [self.control, *self.band_control] if baseline else [self.treated, *self.band_treated]
        )
        return np.array([[r.get(key, math.nan) for r in m.records] for m in models], dtype=float)

    def advance(self, weeks: int) -> int:
        """Step ``weeks`` weeks, or up to the horizon; returns the weeks stepped."""
        done = 0
        while done < weeks and not self.finished:
            self.step()
            done += 1
        self.running = not self.finished
        return done


def lever_overrides(scenario: Scenario, arm: str, levers: dict[str, Any]) -> list[str]:
    """``--set`` expressions for the levers that differ from the arm's first programme.

    A lever left at the value the arm runs with (or None) changes nothing; a lever that
    was moved sets that component in every programme of the arm.

    Args:
        scenario: The scenario as the arm sees it.
        arm: The arm.
        levers: Lever field -> value (None: not set).

    Returns:
        ``programmes.NAME.FIELD=VALUE`` strings, in lever order.
    """
    names = list(scenario.arms[arm].programmes)
    if not names:
        return []
    first = scenario.programmes[names[0]]
    out: list[str] = []
    for lever in LEVERS:
        value = levers.get(lever.field)
        if value is None:
            continue
        current = getattr(first, lever.field)
        if lever.kind == "select":
            if str(value) == current:
                continue
            text = f'"{value}"'
        elif lever.kind == "int":
            value = round(float(value))
            if value == current:
                continue
            text = str(value)
        else:
            value = round(float(value), 6)
            if math.isclose(value, current, abs_tol=1e-9):
                continue
            text = repr(value)
        out.extend(f"programmes.{name}.{lever.field}={text}" for name in names)
    return out


def apply_overrides(
    scenario: Scenario,
    overrides: Sequence[str],
    source: str,
    sections: Mapping[str, Any] | None = None,
) -> Scenario:
    """The scenario with ``PATH=VALUE`` overrides applied on top, validated again.

    Args:
        scenario: The scenario.
        overrides: ``PATH=VALUE`` expressions.
        source: Where the scenario came from (for messages).
        sections: Top-level settings replaced whole (e.g. ``{"departures": [...]}``).

    Raises:
        ScenarioError: If a value is invalid (the message names it).
    """
    if not overrides and not sections:
        return scenario
    raw = scenario.model_dump(mode="python")
    raw.update(sections or {})
    set_paths = {}
    for expr in overrides:
        key, value = parse_assignment(expr)
        node = raw
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        set_paths[key] = expr
    return validate_scenario(raw, f"{source} (dashboard levers)", set_paths)


def with_control_arm(scenario: Scenario) -> Scenario:
    """The scenario with one more arm, :data:`CONTROL_ARM`, that runs no programme.

    ``scenario`` is the one an arm sees (its overrides already applied), so the control
    differs from the arm in its programmes only.
    """
    arms = {**scenario.arms, CONTROL_ARM: Arm(description="No programme.")}
    return scenario.model_copy(update={"arms": arms})


# --- the organisation network ----------------------------------------------------------


def radial_layout(manager: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Positions of the organisation's positions (slots) as a radial tree.

    The top of the hierarchy sits in the centre, each level lower one ring further out,
    and every team next to its manager.

    Args:
        manager: Slot of each slot's manager, -1 for a root.
        level: Level of each slot.

    Returns:
        An ``(n, 2)`` array of x, y positions in [-1, 1].
    """
    n = len(manager)
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for slot, boss in enumerate(manager.tolist()):
        if boss < 0:
            roots.append(slot)
        else:
            children[boss].append(slot)
    angle = np.zeros(n)
    leaves = 0
    seen = np.zeros(n, dtype=bool)
    stack = [(s, False) for s in reversed(roots)]
    while stack:
        slot, done = stack.pop()
        if done:
            kids = children[slot]
            angle[slot] = np.mean(angle[kids]) if kids else leaves
            leaves += 0 if kids else 1
            continue
        if seen[slot]:
            continue
        seen[slot] = True
        stack.append((slot, True))
        for kid in sorted(children[slot], key=lambda s: (level[s], s)):
            stack.append((kid, False))
    theta = 2 * np.pi * angle / max(leaves, 1)
    top = max(int(level.max()), 1)
    radius = (top - level) / top
    return np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])


#: Size of the network figure (pixels of its coordinate system): two panels side by
#: side, their legends under them, the colour bar on the right.
NETWORK_SIZE = (720, 420)
#: Each panel's square (its side in pixels) and the data range it shows, both axes.
NETWORK_PANEL = 290
NETWORK_EXTENT = 1.08
#: Advice ties of one kind whose opacities round to the same multiple of this step are
#: drawn as one path (a few dozen elements instead of one per tie).
TIE_OPACITY_STEP = 0.05


def network_panel(model: WorkplaceModel, pos: np.ndarray, scale: svg.Scale, title: str) -> str:
    """One arm's organisation as SVG: reporting lines, ties and employees by skill.

    Grey reporting lines; advice ties chosen and faded as in the report
    (:func:`sim.analysis.plots.shown_advice_ties`), grouped by kind and opacity; each
    programme's relationships in their own colour; occupied positions as dots coloured
    by mean skill (:data:`SKILL_RANGE`, viridis) and sized by level; a legend under the
    panel naming the relationships and the advice ties with their numbers.

    Args:
        model: The arm's model.
        pos: Layout of its positions (:func:`radial_layout`).
        scale: Where the panel goes: the layout's coordinates to pixels.
        title: The panel's title.

    Returns:
        A ``<g class="panel">`` element.
    """
    wf = model.workforce
    x, y = scale.x(pos[:, 0]), scale.y(pos[:, 1])
    boss = wf.manager
    has_boss = np.flatnonzero(boss >= 0)
    out = [
        svg.path(
            svg.segments_path(x[has_boss], y[has_boss], x[boss[has_boss]], y[boss[has_boss]]),
            "#c8c8c8",
            0.6,
            cls="reporting",
        )
    ]
    entries = []
    ties = shown_advice_ties(model, pos)
    if ties.total:
        opacity = np.round(ties.opacity() / TIE_OPACITY_STEP) * TIE_OPACITY_STEP
        widths = ties.widths()
        for made, colour, cls in (
            (False, ADVICE_COLOUR, "advice"),
            (True, PROGRAMME_ADVICE_COLOUR, "advice-programme"),
        ):
            kind = ties.programme == made
            for level in np.unique(opacity[kind]).tolist():
                group = kind & (opacity == level)
                a, b = ties.seeker[group], ties.adviser[group]
                d = svg.segments_path(x[a], y[a], x[b], y[b])
                out.append(svg.path(d, colour, float(widths[group][0]), max(level, 0.01), cls=cls))
    for k, prog in enumerate(model.programmes):
        rel = prog.relationships
        a, b = wf.slot_of_id[rel.a], wf.slot_of_id[rel.b]
        keep = (a >= 0) & (b >= 0)
        colour = TIE_COLOURS[k % len(TIE_COLOURS)]
        a, b = a[keep], b[keep]
        d = svg.segments_path(x[a], y[a], x[b], y[b])
        out.append(svg.path(d, colour, 0.9, 0.7, cls="relationships"))
        entries.append(svg.LegendEntry(f"{prog.name} ({int(keep.sum())})", colour))
    if ties.total:
        ordinary, made_label = ties.labels()
        entries.append(svg.LegendEntry(ordinary, ADVICE_COLOUR))
        entries.append(svg.LegendEntry(made_label, PROGRAMME_ADVICE_COLOUR))
    occupied = np.flatnonzero(wf.occupied)
    skill = wf.skill[occupied].mean(axis=1)
    colours = svg.colour_of(skill, *SKILL_RANGE)
    diameters = np.sqrt(10 + 14 * wf.level[occupied])  # as the report's dots (points^2)
    out.append(f'<g class="employees">{svg.dots(x[occupied], y[occupied], colours, diameters)}</g>')
    box = scale.box
    head = svg.text(box.left + box.width / 2, box.top - 6, title, 13, "middle")
    below = svg.Box(box.left, box.bottom + 6, box.width, 80)
    return f'<g class="panel">{head}{"".join(out)}{svg.legend(entries, below)}</g>'


def network_figure(model: DashboardModel) -> str:
    """The organisation of both arms side by side, on one layout and colour scale, as SVG."""
    pos = _layout(model)
    width, height = NETWORK_SIZE
    side = NETWORK_PANEL
    extent = (-NETWORK_EXTENT, NETWORK_EXTENT)
    panels = []
    for k, (sub, name) in enumerate(((model.treated, model.arm), (model.control, "no programme"))):
        box = svg.Box(8 + k * (side + 24), 24, side, side)
        scale = svg.Scale(extent, extent, box)
        panels.append(network_panel(sub, pos, scale, f"{name}: week {model.week}"))
    bar = svg.colour_bar(
        svg.Box(width - 86, 60, 14, side - 70), *SKILL_RANGE, label="mean skill (0-1)"
    )
    title = f"The organisation under {model.arm} and with no programme, week {model.week}"
    return svg.svg(width, height, "".join(panels) + bar, title)


def _layout(model: DashboardModel) -> np.ndarray:
    pos = getattr(model, "_network_layout", None)
    if pos is None:
        wf = model.treated.workforce
        pos = radial_layout(wf.manager, wf.level)
        model._network_layout = pos
    return pos


def honest_limits(values: np.ndarray, span_min: float = MIN_SPAN) -> tuple[float, float]:
    """Y-axis limits that show at least ``span_min`` of a 0-1 metric, inside [0, 1].

    An axis fitted to the data turns a 0.005 difference into a gap across the whole plot;
    with a span of at least 0.1 (a tenth of the scale) a small gap looks small.

    Args:
        values: The plotted values (NaN ignored).
        span_min: The least span shown.

    Returns:
        ``(low, high)`` within [0, 1].
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = 0.05 * (high - low)
    low, high = low - pad, high + pad
    if high - low < span_min:
        middle = (low + high) / 2
        low, high = middle - span_min / 2, middle + span_min / 2
    if low < 0.0:
        low, high = 0.0, max(high - low, span_min)
    if high > 1.0:
        low, high = min(low - (high - 1.0), 1.0 - span_min), 1.0
    return max(low, 0.0), min(high, 1.0)


def _difference(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.3f}"


def _weeks_axis(model: DashboardModel) -> tuple[float, float]:
    return 0.0, float(max(model.horizon, 1))


def curve_figure(model: DashboardModel, key: str) -> str:
    """One metric over the weeks as SVG: the programme arm solid, the baseline dashed.

    Replicate 0's lines, each in a shaded band from the least to the greatest value over
    the model's :data:`BAND_REPLICATES` replicates (legend: "band: 3 replicates").

    The y-axis shows at least a tenth of the metric's 0-1 scale (:func:`honest_limits`),
    and the title gives this week's difference, so a small gap is not read as a large one.
    """
    title, unit = CURVES[key]
    df = model.datacollector.get_model_vars_dataframe()
    weeks = np.arange(len(df))
    arm, base = df[key].to_numpy(float), df[f"{key}_baseline"].to_numpy(float)
    shown = [arm, base]
    bands = []
    n = model.n_replicates
    if n > 1:
        for baseline, colour in ((False, ARM_COLOUR), (True, BASELINE_COLOUR)):
            runs = model.replicates(key, baseline)[:, : len(weeks)]
            low, high = np.nanmin(runs, axis=0), np.nanmax(runs, axis=0)
            bands.append(svg.Band(weeks, low, high, colour))
            shown += [low, high]
    chart = svg.LineChart(
        title=f"{title}: difference {_difference(arm[-1] - base[-1])}",
        x_label="week",
        y_label=unit,
        x_range=_weeks_axis(model),
        y_range=honest_limits(np.concatenate(shown)),
        lines=(
            svg.Line(model.arm, weeks, arm, ARM_COLOUR),
            svg.Line("no programme", weeks, base, BASELINE_COLOUR, dashed=True),
        ),
        bands=tuple(bands),
        legend_title=f"band: {n} replicates (min-max)" if n > 1 else "",
    )
    return svg.line_chart(chart)


def all_arms_figure(model: DashboardModel) -> str:
    """Mean skill of every programme arm of the scenario and of no programme, one axis, as SVG.

    The chosen arm runs with the levers in effect, the other arms as the scenario file
    designs them; all with the same organisation, seed and events (common random numbers).
    """
    df = model.datacollector.get_model_vars_dataframe()
    weeks = np.arange(len(df))
    key = ALL_ARMS_METRIC
    label = f"{model.arm} (levers)" if model.overrides else model.arm
    lines = [svg.Line(label, weeks, df[key].to_numpy(float), ARM_COLOUR, 2.4)]
    colours = iter(c for c in PALETTE if c not in (ARM_COLOUR, "#000000"))
    for name in model.others:
        lines.append(svg.Line(name, weeks, df[f"{key}@{name}"].to_numpy(float), next(colours), 1.5))
    base = df[f"{key}_baseline"].to_numpy(float)
    lines.append(svg.Line("no programme", weeks, base, BASELINE_COLOUR, dashed=True))
    chart = svg.LineChart(
        title=f"{CURVES[key][0]}: every arm, same seed",
        x_label="week",
        y_label=CURVES[key][1],
        x_range=_weeks_axis(model),
        y_range=honest_limits(np.concatenate([np.asarray(line.y) for line in lines])),
        lines=tuple(lines),
    )
    return svg.line_chart(chart)


def learning_figure(model: DashboardModel) -> str:
    """Skill gained from advice and in programmes over the weeks, with the baseline's, as SVG.

    The arm's skill gained from colleagues' advice is solid blue, in its programme
    sessions solid vermillion; the baseline's (advice only) dashed grey. The y-axis starts
    at 0.
    """
    df = model.datacollector.get_model_vars_dataframe()
    weeks = np.arange(len(df))
    lines = (
        svg.Line("from advice", weeks, df["skill_gained_informal"].to_numpy(float), ADVICE_COLOUR),
        svg.Line(
            "in programmes", weeks, df["skill_gained_programmes"].to_numpy(float), PROGRAMME_COLOUR
        ),
        svg.Line(
            "from advice, no programme",
            weeks,
            df["skill_gained_informal_baseline"].to_numpy(float),
            BASELINE_COLOUR,
            dashed=True,
        ),
    )
    values = np.concatenate([np.asarray(line.y) for line in lines])
    finite = values[np.isfinite(values)]
    top = max(1.05 * float(finite.max()) if finite.size else 0.0, 0.05)
    share = df["informal_share_of_learning"].iloc[-1]
    shown = "-" if math.isnan(share) else f"{share:.0%}"
    chart = svg.LineChart(
        title=f"Learning from others: {shown} of {model.arm}'s from advice",
        x_label="week",
        y_label="skill gained so far (sum over employees)",
        x_range=_weeks_axis(model),
        y_range=(0.0, top),
        lines=lines,
    )
    return svg.line_chart(chart)


#: What each curve figure's metric is, for its caption.
_CURVE_WHAT = {
    "mean_skill": "Mean skill (over employees and skill domains, 0-1)",
    "share_proficient": "The share of employees who are proficient",
    "mean_engagement": "Mean engagement (over employees, 0-1)",
    "retention_initial": "The share of the week-0 workforce still employed (hires not counted)",
}


def _curve_caption(key: str) -> str:
    return (
        f"{_CURVE_WHAT[key]}, week by week: replicate 0 of the chosen arm (solid blue) and "
        f"of no programme (dashed grey), each in a shaded band from the least to the "
        f"greatest value over {BAND_REPLICATES} replicates (the same scenario, arm and "
        "levers, each with its own random organisation and history); the title gives "
        "this week's difference in replicate 0, and the y-axis shows at least a tenth of "
        "the scale. Left out: the "
        f"other arms, replicates beyond {BAND_REPLICATES} (the band is a range, not a "
        "confidence interval), and the spread across employees."
    )


#: The caption under each figure on the page: what it shows and what it leaves out.
#: Keys: ``"all_arms"``, ``"network"``, the :data:`CURVES` and ``"learning"``.
CAPTIONS: dict[str, str] = {
    "all_arms": (
        f"Mean skill, week by week, in replicate 0 of every programme arm of the scenario "
        f"(the chosen arm and up to {MAX_OTHER_ARMS} others) and of no programme (dashed "
        "grey): the chosen arm with its levers (thick blue), the others as the scenario "
        "file designs them, all with the same organisation, seed and events. Left out: "
        "the other metrics, bands (one replicate only), and the arms beyond "
        f"{1 + MAX_OTHER_ARMS}."
    ),
    "network": (
        "Replicate 0 at this week, the chosen arm (left) and no programme (right) on one "
        "layout: every occupied position of the organisation, the top in the centre and "
        "each team beside its manager, larger the higher the level and coloured by mean "
        f"skill over the domains (fixed scale {SKILL_RANGE[0]}-{SKILL_RANGE[1]}); grey "
        "reporting lines, advice ties blue (reddish purple where a programme made them), fainter "
        "the weaker, and the programme's relationships in their own colours. Left out: "
        f"vacant positions, all but the strongest {MAX_ADVICE_TIES:,} advice ties (the "
        "legend says when), the ties' direction, each domain's skill, the other arms and "
        "replicates; while playing it is redrawn once a quarter."
    ),
    **{key: _curve_caption(key) for key in CURVES},
    "learning": (
        "Skill gained so far, summed over employees, in replicate 0: from colleagues' "
        "advice (blue) and in programme sessions (vermillion) under the chosen arm, and "
        "from advice with no programme (dashed grey). Left out: practice on the job, "
        "managers' feedback, forgetting and the skill leavers take with them (the model "
        "does not itemise them), the other arms, and bands (one replicate only)."
    ),
}


# --- the page's text ---------------------------------------------------------------------


def _fmt(value: float, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("mean_skill", "Mean skill (0-1)"),
    ("mean_engagement", "Mean engagement (0-1)"),
    ("retention_initial", "Initial staff still employed"),
    ("cumulative_quits", "Quits so far"),
    ("n_relationships", "Relationships now"),
    ("advice_episodes_week", "Advice episodes this week"),
    ("advice_ties_per_employee", "Advice ties per employee"),
    ("informal_share_of_learning", "Share of learning from advice"),
    ("session_hours", "Session hours so far"),
    ("total_cost", "Cost so far (sessions + replacements)"),
)


def status_text(model: DashboardModel) -> str:
    """Where the run is: ``Week N of H``, or that it has finished."""
    if model.finished:
        return f"Week {model.week} of {model.horizon}: the run has finished"
    return f"Week {model.week} of {model.horizon}"


def levers_in_effect(model: DashboardModel) -> str:
    """The levers the model runs with, as ``programme.field=value`` (or "as designed")."""
    if not model.overrides:
        return "none (the programme as designed)"
    return ", ".join(f"`{o.removeprefix('programmes.')}`" for o in model.overrides)


def events_text(model: DashboardModel) -> str:
    """The scenario's departures in words ("" if none)."""
    out = []
    for d in model.params.departures:
        if d.who == "top_experts":
            out.append(f"in week {d.week} the {d.k} most skilled in *{d.domain}* leave (both arms)")
        else:
            out.append(f"in week {d.week} {len(d.ids)} named employees leave (both arms)")
    return "; ".join(out)


def summary_markdown(model: DashboardModel) -> str:
    """This week's headline numbers for both arms, with the difference, as Markdown."""
    a, b = model.treated.records[-1], model.control.records[-1]
    arm = html.escape(model.arm)
    head = f"**{status_text(model)}.**"
    if model.finished:
        head += " Press Reset to run it again, or choose another arm or story."
    rows = [
        f"{head} Arm **{arm}**, {model.params.organisation.n_employees} employees, "
        f"seed {model.seed_value}. Levers in effect: {levers_in_effect(model)}.",
    ]
    events = events_text(model)
    if events:
        rows[0] += f" Event: {events}."
    rows += [
        "",
        f"| | {arm} | no programme | difference |",
        "|---|---:|---:|---:|",
    ]
    for key, label in SUMMARY_ROWS:
        x, y = a.get(key, math.nan), b.get(key, math.nan)
        rows.append(f"| {label} | {_fmt(x)} | {_fmt(y)} | {_fmt(x - y)} |")
    return "\n".join(rows)


def information_markdown(model: DashboardModel) -> str:
    """What each lever does, and where this run's skill came from, as Markdown."""
    a, b = model.treated.records[-1], model.control.records[-1]
    informal, programmes = (
        a.get("skill_gained_informal", 0.0),
        a.get("skill_gained_programmes", 0.0),
    )
    base = b.get("skill_gained_informal", 0.0)
    change = a.get("mean_skill", math.nan) - model.treated.records[0].get("mean_skill", math.nan)
    lines = [
        "**Where the skill came from** (summed over employees, so far): "
        f"{_fmt(informal)} from colleagues' advice and {_fmt(programmes)} in programme "
        f"sessions under **{html.escape(model.arm)}**; {_fmt(base)} from advice with no "
        f"programme. Mean skill moved {_difference(change)} since week 0. The rest of "
        "that change is practice on the job (and managers' feedback, which works through "
        "practice), minus forgetting and the skill leavers take with them; the model does "
        "not itemise it. Hires start lower, so turnover pulls the mean down.",
        "",
        "**The levers** (they apply to every programme of the arm, on Reset):",
        "",
    ]
    lines += [f"* *{lever.label}*: {lever.help}" for lever in LEVERS]
    lines += [
        "* *Seed*: the random history; the same seed replays the same run.",
        "* *Employees*: the organisation's size (not for organisations from HR data).",
    ]
    return "\n".join(lines)


def Markdown(text: str) -> Any:
    """Markdown rendered to HTML on the server.

    ``solara.Markdown`` loads KaTeX from the CDN path, which solara-assets 1.58.2 lacks,
    so offline every Markdown element raises a script error in the page.
    """
    body = markdown.markdown(text, extensions=["tables"])
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=body,
        classes=["solara-markdown", "rendered_html", "jp-RenderedHTMLCommon"],
    )


def lever_params(scenario_file: str | Path, arm: str) -> dict[str, Any]:
    """The controls of the seed, the size and the levers: type, value, range, label.

    Each lever starts at the value the arm's first programme runs with (after the arm's
    own overrides). Fixed values (``scenario_file``, ``arm``) are plain values, as in
    Mesa's ``model_params``, so ``DashboardModel(**values_of(lever_params(...)))`` runs.
    """
    own = arm_scenario(load_scenario(scenario_file), arm)
    first = own.programmes[own.arms[arm].programmes[0]]
    params: dict[str, Any] = {
        "scenario_file": str(scenario_file),
        "arm": arm,
        "seed": {"type": "InputText", "value": str(own.seed), "label": "Seed (a number or a word)"},
        "n_employees": {
            "type": "SliderInt",
            "value": DEFAULT_EMPLOYEES,
            "min": 50,
            "max": 1000,
            "step": 50,
            "label": "Employees",
        },
    }
    for lever in LEVERS:
        value = getattr(first, lever.field)
        if lever.kind == "select":
            params[lever.field] = {
                "type": "Select",
                "value": value,
                "values": matching_choices(own, arm),
                "label": lever.label,
            }
        else:
            low, high = lever.low, lever.high
            params[lever.field] = {
                "type": "SliderInt" if lever.kind == "int" else "SliderFloat",
                "value": int(value) if lever.kind == "int" else float(value),
                "min": min(low, value),
                "max": max(high, value),
                "step": lever.step,
                "label": lever.label,
            }
    return params


def values_of(params: Mapping[str, Any]) -> dict[str, Any]:
    """The values of :func:`lever_params`' controls (fixed values as they are)."""
    return {k: (p["value"] if isinstance(p, dict) else p) for k, p in params.items()}


def matching_choices(scenario: Scenario, arm: str) -> list[str]:
    """The matching policies every programme of the arm can run with.

    A policy that a programme's other components rule out (e.g. ``complementary``
    outside groups, ``expert`` without a need focus) is left out of the menu, so that
    no choice fails when the levers are applied.
    """
    programmes = [scenario.programmes[name] for name in scenario.arms[arm].programmes]
    out = []
    for policy in MATCHING_POLICIES:
        try:
            for prog in programmes:
                Programme.model_validate({**prog.model_dump(mode="python"), "matching": policy})
        except ValueError:
            continue
        out.append(policy)
    return out


def lever_text(kind: str, value: Any) -> str:
    """A lever's value as the slider shows it beside its label."""
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return f"{float(value):g}"
    return str(value)


# --- story presets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """A one-click set-up that tells a story in class.

    Attributes:
        name: The name in the *Story* menu.
        text: The story and what to watch, shown in the sidebar.
        scenario: Scenario file, relative to the scenarios folder.
        arm: Arm to run.
        levers: Lever field -> value, on top of the arm.
        n_employees: Organisation size.
        experts_leave: ``(week, domain, share of employees)``: that share of the staff,
            the most skilled in the domain, leave in that week (``[[departures]]``), in
            every arm; None: nobody.
    """

    name: str
    text: str
    scenario: str
    arm: str
    levers: tuple[tuple[str, Any], ...] = ()
    n_employees: int = DEFAULT_EMPLOYEES
    experts_leave: tuple[int, str, float] | None = None

    def departures(self, n_employees: int) -> tuple[dict[str, Any], ...]:
        """The story's ``[[departures]]`` for an organisation of ``n_employees``."""
        if self.experts_leave is None:
            return ()
        week, domain, share = self.experts_leave
        k = max(1, round(share * n_employees))
        return ({"week": week, "who": "top_experts", "domain": domain, "k": k},)


STORIES: tuple[Story, ...] = (
    Story(
        "The mentor bottleneck",
        "Eight in ten eligible employees ask for a mentor, and each mentor takes one "
        "learner. Watch the mentorship relationships in the network's legend, the session "
        "hours and the skill gap: how many learners are left without a mentor?",
        FLAGSHIP,
        "mentorship",
        (("p_enrol", 0.8), ("n_learners_per_guide_max", 1)),
    ),
    Story(
        "Peer coaching at scale",
        "Peer coaching needs no seniors. 1,000 employees, six in ten enrolled, a session "
        "every week: does the gain hold at scale, and what do the weekly hours do to "
        "engagement? Compare with the other arms on the all-arms chart.",
        FLAGSHIP,
        "peer_coaching",
        (("p_enrol", 0.6),),
        n_employees=1000,
    ),
    Story(
        "When experts leave",
        "In week 26 the most skilled twentieth of the staff in the *domain* skill leave, "
        "in every arm. Watch mean skill drop in week 26: does mentoring, which focuses "
        "on that skill, close the gap sooner than doing nothing?",
        FLAGSHIP,
        "mentorship",
        experts_leave=(26, "domain", 0.05),
    ),
)


def story(name: str) -> Story:
    """The story preset of that name.

    Raises:
        ScenarioError: If there is none (the message lists them).
    """
    for s in STORIES:
        if s.name.lower() == name.strip().lower():
            return s
    raise ScenarioError(
        f"no story called {name!r}; choose one of: " + ", ".join(s.name for s in STORIES)
    )


# --- the page's state --------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """What the sidebar shows: the model Reset builds.

    Attributes:
        file: Scenario file, relative to the scenarios folder (or absolute).
        arm: Arm to run.
        levers: Lever field -> value, in :data:`LEVERS` order.
        seed: The seed box's text.
        n_employees: Organisation size.
        story: Name of the story preset it came from ("" if none).
        departures: The story's ``[[departures]]``.
    """

    file: str
    arm: str
    levers: tuple[tuple[str, Any], ...]
    seed: str
    n_employees: int = DEFAULT_EMPLOYEES
    story: str = ""
    departures: tuple[tuple[tuple[str, Any], ...], ...] = ()

    def model(self, root: Path) -> DashboardModel:
        """The model this set-up describes."""
        return DashboardModel(
            scenario_file=str(_resolve(root, self.file)),
            arm=self.arm,
            seed=self.seed,
            n_employees=self.n_employees,
            departures=[dict(d) for d in self.departures],
            **dict(self.levers),
        )


def default_setup(root: Path, file: str, arm: str | None = None) -> Setup:
    """The set-up of an arm as the scenario file designs it (its first programme arm)."""
    path = _resolve(root, file)
    arms = programme_arms(path)
    if not arms:
        load_scenario(path)  # raises with the file's problem, if it has one
        raise ScenarioError(f"{path}: no arm runs a programme; nothing to compare")
    if arm is not None and arm not in arms:
        raise ScenarioError(
            f"{path}: arm {arm!r} is not an arm with a programme; choose one of: " + ", ".join(arms)
        )
    chosen = arm if arm is not None else arms[0]
    params = lever_params(path, chosen)
    levers = tuple((lever.field, params[lever.field]["value"]) for lever in LEVERS)
    return Setup(file, chosen, levers, params["seed"]["value"])


def story_setup(root: Path, chosen: Story) -> Setup:
    """The set-up of a story preset."""
    setup = default_setup(root, chosen.scenario, chosen.arm)
    levers = {**dict(setup.levers), **dict(chosen.levers)}
    departures = tuple(tuple(d.items()) for d in chosen.departures(chosen.n_employees))
    return Setup(
        setup.file,
        setup.arm,
        tuple(levers.items()),
        setup.seed,
        chosen.n_employees,
        chosen.name,
        departures,
    )


# --- solara components ------------------------------------------------------------------

#: Pause between played redraws (seconds), so the page can take clicks.
PLAY_PAUSE_S = 0.05

#: The page's own CSS: a compact sidebar, so that the levers fit a 1280x720 projector.
CSS = """
.wlsim-sidebar .v-input { margin-top: 0 !important; padding-top: 2px !important; }
.wlsim-sidebar .v-text-field { padding-top: 14px !important; }
.wlsim-sidebar .v-input__slot { margin-bottom: 0 !important; }
.wlsim-sidebar .v-text-field__details, .wlsim-sidebar .v-messages { display: none; }
.wlsim-sidebar .v-label { font-size: 14px !important; }
.wlsim-sidebar .v-card { padding-top: 4px !important; padding-bottom: 4px !important; }
.wlsim-sidebar .v-card__title { padding: 4px 12px !important; font-size: 16px !important; }
.wlsim-sidebar p { margin-bottom: 4px; }
.wlsim-figure { width: 100%; line-height: 0; }
.wlsim-main table td, .wlsim-main table th { padding: 1px 6px !important; }
.wlsim-caption { font-size: 12px; line-height: 1.3; color: #444; display: block; }
"""


@solara.component
def Plot(make: Any, model: DashboardModel, version: Any) -> None:
    """A figure of the model as inline SVG, drawn again when ``version`` changes."""
    picture = solara.use_memo(lambda: make(model), [id(model), version])
    solara.HTML(tag="div", unsafe_innerHTML=picture, classes=["wlsim-figure"])


def captioned(make: Any, model: DashboardModel, version: Any, caption: str) -> None:
    """A :func:`Plot` with its caption (:data:`CAPTIONS`) under it."""
    with solara.Column(gap="2px"):
        Plot(make, model, version)
        solara.Text(CAPTIONS[caption], classes=["wlsim-caption"])


@solara.component
def Controls(
    model: DashboardModel,
    playing: solara.Reactive[bool],
    on_step: Any,
    on_reset: Any,
    version: int,
) -> None:
    """Reset, play/pause and Step, with where the run is.

    Drawn again when ``version`` changes: the model is the same object from week to week.
    """
    del version
    finished = model.finished
    with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
        _buttons(model, playing, on_step, on_reset, finished)


def _buttons(
    model: DashboardModel,
    playing: solara.Reactive[bool],
    on_step: Any,
    on_reset: Any,
    finished: bool,
) -> None:
    solara.Button("Reset", color="primary", on_click=on_reset, text=True, outlined=True)
    solara.Button(
        "❚❚" if playing.value and not finished else "▶",
        color="primary",
        on_click=lambda: playing.set(not playing.value),
        disabled=finished,
        text=True,
        outlined=True,
    )
    solara.Button(
        "Step",
        color="primary",
        on_click=on_step,
        disabled=finished or playing.value,
        text=True,
        outlined=True,
    )
    solara.Text(status_text(model), classes=["wlsim-status"], style={"margin-left": "12px"})


@solara.component
def Dashboard(
    scenario: str | None = None, arm: str | None = None, story_name: str | None = None
) -> None:
    """The dashboard: story, scenario and arm, the levers, the controls and the figures.

    Reset builds the model from what the sidebar shows (scenario, arm, levers, seed,
    size). Choosing a story, a scenario file or an arm builds it at once.

    Args:
        scenario: Scenario file to open (default: the configured one or the flagship).
        arm: Arm to open (default: the configured one, else the first arm with a programme).
        story_name: Story preset to open (default: the configured one, else none).
    """
    start = Path(scenario).resolve() if scenario else default_scenario()
    configured = _configured()
    root = configured if configured is not None and configured.is_dir() else scenarios_root()
    arm = arm if arm is not None else (os.environ.get(ENV_ARM) or None)
    story_name = story_name if story_name is not None else (os.environ.get(ENV_STORY) or None)
    choices = solara.use_memo(lambda: _choices(root, start), [str(root), str(start)])

    def first_setup() -> tuple[Setup, DashboardModel]:
        if story_name:
            first = story_setup(root, story(story_name))
        else:
            first = default_setup(root, _label(root, start), arm)
        return first, first.model(root)

    first, first_model = solara.use_memo(first_setup, [])
    setup: solara.Reactive[Setup] = solara.use_reactive(first)
    model: solara.Reactive[DashboardModel] = solara.use_reactive(first_model)
    applied: solara.Reactive[Setup] = solara.use_reactive(first)
    playing = solara.use_reactive(False)
    per_redraw = solara.use_reactive(1)
    version = solara.use_reactive(0)
    error = solara.use_reactive("")

    # The play thread and the page's events both change the model and redraw; one at a
    # time, or a choice made while the last week is drawn is lost.
    lock = solara.use_memo(threading.RLock, [])

    def rebuild(new: Setup) -> None:
        with lock:
            playing.set(False)
            setup.set(new)
            try:
                built = new.model(root)
            except ScenarioError as exc:
                error.set(str(exc))
                return
            error.set("")
            model.set(built)
            applied.set(new)
            version.set(version.value + 1)

    def step() -> None:
        with lock:
            model.value.advance(1)
            version.set(version.value + 1)

    def play() -> None:
        while True:
            with lock:
                current = model.value
                if not playing.value or current.finished:
                    break
                current.advance(per_redraw.value)
                if current.finished:
                    playing.set(False)  # before the redraw, which then shows the end
                version.set(version.value + 1)
            time.sleep(PLAY_PAUSE_S)
        if playing.value:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    m, s = model.value, setup.value
    path = _resolve(root, s.file)
    arms = list(programme_arms(path))
    params = lever_params(path, s.arm)
    solara.Style(CSS)
    solara.Title("wlsim: workplace learning")
    with solara.AppBar():
        solara.AppBarTitle("wlsim: workplace learning")

    with solara.Sidebar(), solara.Column(classes=["wlsim-sidebar"], gap="4px"):
        with solara.Card(margin=0):
            Controls(m, playing, step, lambda: rebuild(setup.value), version.value)
            solara.Select(
                "Story",
                value=s.story or "(none)",
                values=["(none)", *(t.name for t in STORIES)],
                on_value=lambda name: rebuild(
                    story_setup(root, story(name))
                    if name != "(none)"
                    else default_setup(root, s.file, s.arm)
                ),
            )
            solara.Select(
                "Scenario file",
                value=s.file,
                values=choices if s.file in choices else [s.file, *choices],
                on_value=lambda file: rebuild(default_setup(root, file)),
            )
            solara.Select(
                "Arm",
                value=s.arm,
                values=arms,
                on_value=lambda name: rebuild(default_setup(root, s.file, name)),
            )
            for lever in LEVERS:
                value = dict(s.levers)[lever.field]
                spec = params[lever.field]

                def set_lever(new: Any, field: str = lever.field) -> None:
                    levers = {**dict(setup.value.levers), field: new}
                    setup.set(replace(setup.value, levers=tuple(levers.items()), story=""))

                label = f"{lever.label}: {lever_text(lever.kind, value)}"
                if lever.kind == "select":
                    solara.Select(label, value=value, values=spec["values"], on_value=set_lever)
                else:
                    slider = solara.SliderInt if lever.kind == "int" else solara.SliderFloat
                    slider(
                        label,
                        value=value,
                        min=spec["min"],
                        max=spec["max"],
                        step=spec["step"],
                        on_value=set_lever,
                        thumb_label=False,
                    )
            solara.SliderInt(
                f"Employees: {s.n_employees}",
                value=s.n_employees,
                min=50,
                max=1000,
                step=50,
                on_value=lambda n: setup.set(replace(setup.value, n_employees=int(n))),
                thumb_label=False,
            )
            solara.InputText(
                "Seed (a number or a word)",
                value=s.seed,
                on_value=lambda text: setup.set(replace(setup.value, seed=text)),
                continuous_update=True,
            )
            if s != applied.value:
                Markdown("*Changed: press **Reset** to apply.*")
            Markdown(f"In effect: {levers_in_effect(m)}")
            if error.value:
                solara.Error(error.value)
        with solara.Card(margin=0):
            solara.SliderInt(
                f"Weeks per redraw when playing: {per_redraw.value}",
                value=per_redraw,
                min=1,
                max=52,
                thumb_label=False,
            )
            description = load_scenario(path).arms[s.arm].description
            if s.story:
                Markdown(story(s.story).text)
            elif description:
                Markdown(f"*{html.escape(description.strip())}*")

    v = version.value
    # The network is the largest chart (about 200 KB of SVG at 1,000 employees, sent to
    # every browser at each redraw): while playing it is redrawn once a quarter of
    # simulated time, and at every step or pause.
    net_v: Any = ("playing", m.week // 13) if playing.value and not m.finished else v
    with solara.Column(classes=["wlsim-main"], gap="8px"):
        with solara.Columns([1, 1]):
            with solara.Column(style={"font-size": "90%"}):
                if m.notice:
                    solara.Warning(m.notice)
                Markdown(summary_markdown(m))
            captioned(all_arms_figure, m, v, "all_arms")
        captioned(network_figure, m, net_v, "network")
        for pair in (("mean_skill", "mean_engagement"), ("retention_initial", "share_proficient")):
            with solara.Columns([1, 1]):
                for key in pair:
                    captioned(functools.partial(curve_figure, key=key), m, v, key)
        with solara.Columns([1, 1]):
            captioned(learning_figure, m, v, "learning")
            with solara.Column(style={"font-size": "90%"}):
                Markdown(information_markdown(m))


def _label(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _resolve(root: Path, label: str) -> Path:
    p = Path(label)
    return p if p.is_absolute() else root / p


def _choices(root: Path, start: Path) -> list[str]:
    out = scenario_choices(root)
    label = _label(root, start)
    if label not in out:
        out.insert(0, label)
    return out


#: The dashboard as an element: ``solara run sim.app.dashboard:page``, or ``page`` in a notebook.
page = Dashboard()


# --- serving ----------------------------------------------------------------------------


def offline_problems() -> list[str]:
    """Why the served page might stay blank without internet access (empty if none).

    Solara loads its JavaScript from a CDN unless ``solara-assets`` of exactly the same
    version is installed; ipyvue/ipyvuetify 3 leave Mesa's main area empty (Mesa #3806).
    """
    problems = []

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    solara_version, assets = version("solara"), version("solara-assets")
    if assets is None:
        problems.append(
            "solara-assets is not installed: without internet access the page stays blank "
            "(install wlsim's viz extra)"
        )
    elif assets != solara_version:
        problems.append(
            f"solara {solara_version} with solara-assets {assets}: the versions must match "
            "or the page stays blank offline"
        )
    for name in ("ipyvue", "ipyvuetify"):
        v = version(name)
        if v is not None and int(v.split(".")[0]) >= 2:
            problems.append(f"{name} {v}: Mesa's main area stays empty; install {name}<2")
    return problems


def solara_command(
    host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False
) -> list[str]:
    """The command that serves the dashboard (``solara run`` in this interpreter)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.app.dashboard:page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]


#: How long the server keeps a closed page's model (Solara's default is 24 hours, so a
#: room of 30 browsers opened and closed kept every model in memory).
CULL_TIMEOUT = "2m"


def server_env(
    scenario_path: str | Path | None = None,
    arm: str | None = None,
    story_name: str | None = None,
) -> dict[str, str]:
    """Environment for the server.

    The scenario, arm and story to open; no telemetry; no "runs on Solara" banner over the
    figures; no cookie warning for every connection over plain http (the page keeps its
    session with a samesite=lax cookie, which is what that warning announces); closed
    pages freed after :data:`CULL_TIMEOUT`.
    """
    env = dict(os.environ)
    if scenario_path is not None:
        env[ENV_SCENARIO] = str(Path(scenario_path).resolve())
    for key, value in ((ENV_ARM, arm), (ENV_STORY, story_name)):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env


def serve(
    scenario_path: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    arm: str | None = None,
    story_name: str | None = None,
) -> int:
    """Serve the dashboard until interrupted (what ``wlsim dashboard`` runs).

    Args:
        scenario_path: Scenario file to open first, or a folder of scenario files to
            choose from (default: the flagship in ./scenarios or the repository's).
        host: Interface to listen on (localhost by default; use 0.0.0.0 for a room).
        port: Port to listen on.
        open_browser: Open the page in the default browser once the server is up.
        arm: Arm to open (default: the scenario's first arm with a programme).
        story_name: Story preset to open (:data:`STORIES`; it chooses its own scenario
            and arm).

    Returns:
        The server's exit status: 0 when stopped with Ctrl-C or SIGTERM, 2 when the port
        is taken.

    Raises:
        ScenarioError: If the scenario file does not exist or is invalid.
    """
    if scenario_path is not None:
        p = Path(scenario_path)
        if p.is_file():
            if not programme_arms(p):
                load_scenario(p)  # raises with the file's problem, if it has one
                raise ScenarioError(f"{p}: no arm runs a programme; nothing to compare")
        elif not p.is_dir():
            raise ScenarioError(f"{p}: no such scenario file or folder")
        elif not scenario_choices(p):
            raise ScenarioError(f"{p}: no scenario file with a programme arm in this folder")
    if story_name is not None:
        story(story_name)  # raises, listing the stories, if there is none of that name
        if arm is not None:
            raise ScenarioError("a story chooses its own arm; give --story or --arm, not both")
    elif arm is not None:
        p = Path(scenario_path) if scenario_path is not None else default_scenario()
        if p.is_dir():
            raise ScenarioError(f"{p}: --arm needs a scenario file, not a folder")
        default_setup(p.parent, p.name, arm)  # raises, listing the arms, if it has none
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            print(
                f"wlsim: error: cannot listen on {host}:{port} ({exc.strerror}); "
                "choose another port with --port",
                file=sys.stderr,
            )
            return 2
    for problem in offline_problems():
        print(f"wlsim: warning: {problem}", file=sys.stderr)
    print(f"wlsim: dashboard at http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    proc = subprocess.Popen(
        solara_command(host, port, open_browser), env=server_env(scenario_path, arm, story_name)
    )

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
