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
import typing
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import markdown
import mesa
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter
from numpy.typing import ArrayLike

from sim.analysis.plots import ADVICE_COLOUR, draw_advice_ties
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
    """

    field: str
    label: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0


LEVERS: tuple[Lever, ...] = (
    Lever("p_enrol", "Enrolment share", "float", 0.0, 1.0, 0.05),
    Lever("n_learners_per_guide_max", "Learners per guide", "int", 1, 8, 1),
    Lever("cadence_weeks", "Weeks between sessions", "int", 1, 8, 1),
    Lever("hours_per_session", "Hours per session", "float", 0.5, 4.0, 0.5),
    Lever("structure", "Structure", "float", 0.0, 1.0, 0.1),
    Lever("matching", "Matching policy", "select"),
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
#: Metrics of the learning curve (:func:`learning_figure`), recorded for both arms too.
LEARNING = ("skill_gained_informal", "skill_gained_programmes", "informal_share_of_learning")


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
        try:
            scenario = apply_overrides(own, [*size, *self.overrides], str(path))
        except ScenarioError as exc:
            self.notice = f"Levers not applied: {exc}"
            self.overrides = []
            scenario = apply_overrides(own, size, str(path))
        self.params = scenario
        self.horizon = scenario.horizon_weeks
        self.treated = WorkplaceModel(scenario, self.arm, seed=self.seed_value)
        self.control = WorkplaceModel(with_control_arm(scenario), CONTROL_ARM, seed=self.seed_value)

        reporters = {}
        for key in (*CURVES, *LEARNING):
            reporters[key] = _latest("treated", key)
            reporters[f"{key}_baseline"] = _latest("control", key)
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.treated.week

    def step(self) -> None:
        """Advance both models one week and record their metrics."""
        if self.treated.week >= self.horizon:
            self.running = False
            return
        self.treated.step()
        self.control.step()
        self.datacollector.collect(self)
        if self.treated.week >= self.horizon:
            self.running = False


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


def apply_overrides(scenario: Scenario, overrides: Sequence[str], source: str) -> Scenario:
    """The scenario with ``PATH=VALUE`` overrides applied on top, validated again.

    Raises:
        ScenarioError: If a value is invalid (the message names it).
    """
    if not overrides:
        return scenario
    raw = scenario.model_dump(mode="python")
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


def draw_network(ax: Any, model: WorkplaceModel, pos: np.ndarray, title: str) -> Any:
    """Draw reporting lines, advice ties, programme ties and employees coloured by skill.

    Advice ties are drawn as in the report (:func:`sim.analysis.plots.draw_advice_ties`),
    in one LineCollection.

    Returns:
        The scatter of employees (for a colour bar).
    """
    wf = model.workforce
    boss = wf.manager
    has_boss = np.flatnonzero(boss >= 0)
    lines = np.stack([pos[has_boss], pos[boss[has_boss]]], axis=1)
    # An (n, 2, 2) array is a valid sequence of segments; matplotlib's stubs ask for a Sequence.
    segments = typing.cast("Sequence[ArrayLike]", lines)
    ax.add_collection(LineCollection(segments, colors="#c8c8c8", linewidths=0.6, zorder=1))
    advice = draw_advice_ties(ax, model, pos)
    handles = []
    for k, prog in enumerate(model.programmes):
        rel = prog.relationships
        a, b = wf.slot_of_id[rel.a], wf.slot_of_id[rel.b]
        keep = (a >= 0) & (b >= 0)
        colour = TIE_COLOURS[k % len(TIE_COLOURS)]
        if keep.any():
            ties = typing.cast(
                "Sequence[ArrayLike]", np.stack([pos[a[keep]], pos[b[keep]]], axis=1)
            )
            ax.add_collection(
                LineCollection(ties, colors=colour, linewidths=0.9, alpha=0.7, zorder=2)
            )
        handles.append(ax.plot([], [], color=colour, label=f"{prog.name} ({int(keep.sum())})")[0])
    occupied = wf.occupied
    skill = np.where(occupied, wf.skill.mean(axis=1), np.nan)
    sizes = 10 + 14 * wf.level
    dots = ax.scatter(
        pos[:, 0],
        pos[:, 1],
        c=skill,
        s=sizes,
        cmap="viridis",
        vmin=SKILL_RANGE[0],
        vmax=SKILL_RANGE[1],
        edgecolors="none",
        plotnonfinite=True,
        zorder=3,
    )
    handles += advice
    if handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            fontsize=7,
            frameon=False,
        )
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-1.08, 1.08)
    ax.set_ylim(-1.08, 1.08)
    ax.set_aspect("equal")
    ax.axis("off")
    return dots


def network_figure(model: DashboardModel) -> Figure:
    """The organisation of both arms side by side, on the same layout and colour scale."""
    pos = _layout(model)
    fig = Figure(figsize=(9.0, 4.8), dpi=80)
    axes = fig.subplots(1, 2)
    draw_network(axes[0], model.treated, pos, f"{model.arm}: week {model.week}")
    dots = draw_network(axes[1], model.control, pos, f"no programme: week {model.week}")
    bar = fig.colorbar(dots, ax=axes, shrink=0.7, extend="both", pad=0.02)
    bar.set_label("mean skill (0-1)")
    return fig


def _layout(model: DashboardModel) -> np.ndarray:
    pos = getattr(model, "_network_layout", None)
    if pos is None:
        wf = model.treated.workforce
        pos = radial_layout(wf.manager, wf.level)
        model._network_layout = pos
    return pos


def curve_figure(model: DashboardModel, key: str) -> Figure:
    """One metric over the weeks: the programme arm solid, the baseline dashed."""
    title, unit = CURVES[key]
    df = model.datacollector.get_model_vars_dataframe()
    fig = Figure(figsize=(5.6, 3.4), dpi=80)
    ax = fig.subplots()
    weeks = np.arange(len(df))
    ax.plot(weeks, df[key], color=ARM_COLOUR, lw=2, label=model.arm)
    ax.plot(
        weeks, df[f"{key}_baseline"], color=BASELINE_COLOUR, lw=2, ls="--", label="no programme"
    )
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("week")
    ax.set_ylabel(unit)
    ax.set_xlim(0, max(model.horizon, 1))
    if "share" in unit:
        ax.set_ylim(0.0, 1.02)
    else:  # at least 0.05 high, so that the first weeks' noise does not fill the plot
        low, high = ax.get_ylim()
        middle, half = (low + high) / 2, max(high - low, 0.05) / 2
        ax.set_ylim(middle - half, middle + half)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def learning_figure(model: DashboardModel) -> Figure:
    """Skill gained from advice and in programmes over the weeks, with the baseline's.

    The arm's skill gained from colleagues' advice is solid blue, in its programme
    sessions solid vermillion; the baseline's (advice only) dashed grey.
    """
    df = model.datacollector.get_model_vars_dataframe()
    fig = Figure(figsize=(5.6, 3.4), dpi=80)
    ax = fig.subplots()
    weeks = np.arange(len(df))
    ax.plot(weeks, df["skill_gained_informal"], color=ADVICE_COLOUR, lw=2, label="from advice")
    ax.plot(
        weeks,
        df["skill_gained_programmes"],
        color=PROGRAMME_COLOUR,
        lw=2,
        label="in programmes",
    )
    ax.plot(
        weeks,
        df["skill_gained_informal_baseline"],
        color=BASELINE_COLOUR,
        lw=2,
        ls="--",
        label="from advice, no programme",
    )
    share = df["informal_share_of_learning"].iloc[-1]
    shown = "-" if math.isnan(share) else f"{share:.0%}"
    ax.set_title(f"Learning from others: {shown} of {model.arm}'s from advice", fontsize=11)
    ax.set_xlabel("week")
    ax.set_ylabel("skill gained so far (sum over employees)", fontsize=9)
    ax.set_xlim(0, max(model.horizon, 1))
    ax.set_ylim(bottom=0.0, top=max(ax.get_ylim()[1], 0.05))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


# --- solara components ------------------------------------------------------------------


@solara.component
def NetworkView(model: DashboardModel) -> None:
    """The organisation network of both arms (re-drawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(network_figure(model), format="png", bbox_inches="tight")


@solara.component
def LearningView(model: DashboardModel) -> None:
    """Skill gained from advice and in programmes (re-drawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(learning_figure(model), format="png", bbox_inches="tight")


@solara.component
def CurveView(model: DashboardModel, key: str) -> None:
    """One metric of both arms over the weeks (re-drawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(curve_figure(model, key), format="png", bbox_inches="tight")


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


def summary_markdown(model: DashboardModel) -> str:
    """This week's headline numbers for both arms, with the difference, as Markdown."""
    a, b = model.treated.records[-1], model.control.records[-1]
    arm = html.escape(model.arm)
    if model.overrides:
        levers = ", ".join(f"`{o.removeprefix('programmes.')}`" for o in model.overrides)
    else:
        levers = "none (the programme as designed)"
    rows = [
        f"**Week {model.week} of {model.horizon}**, arm **{arm}**, "
        f"{model.params.organisation.n_employees} employees, seed {model.seed_value}. "
        f"Levers in effect: {levers}",
        "",
        f"| | {arm} | no programme | difference |",
        "|---|---:|---:|---:|",
    ]
    for key, label in SUMMARY_ROWS:
        x, y = a.get(key, math.nan), b.get(key, math.nan)
        rows.append(f"| {label} | {_fmt(x)} | {_fmt(y)} | {_fmt(x - y)} |")
    return "\n".join(rows)


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


@solara.component
def SummaryView(model: DashboardModel) -> None:
    """The headline numbers of both arms this week."""
    update_counter.get()
    with solara.Column(style={"height": "100%", "overflow-y": "auto", "font-size": "90%"}):
        if model.notice:
            solara.Warning(model.notice)
        Markdown(summary_markdown(model))


def lever_params(scenario_file: str | Path, arm: str) -> dict[str, Any]:
    """SolaraViz ``model_params``: fixed scenario and arm, seed, size and the levers.

    Each lever starts at the value the arm's first programme runs with.
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


def components() -> list[Any]:
    """The SolaraViz components (all on the first page)."""
    return [
        (NetworkView, 0),
        (functools.partial(CurveView, key="mean_skill"), 0),
        (SummaryView, 0),
        (functools.partial(CurveView, key="mean_engagement"), 0),
        (functools.partial(CurveView, key="retention_initial"), 0),
        (functools.partial(CurveView, key="share_proficient"), 0),
        (LearningView, 0),
    ]


@solara.component
def Dashboard(scenario: str | None = None, arm: str | None = None) -> None:
    """The dashboard: scenario and arm choice, then Mesa's SolaraViz over a DashboardModel.

    Args:
        scenario: Scenario file to open (default: the configured one or the flagship).
        arm: Arm to open (default: the first arm with a programme).
    """
    start = Path(scenario).resolve() if scenario else default_scenario()
    configured = _configured()
    root = configured if configured is not None and configured.is_dir() else scenarios_root()
    choices = solara.use_memo(lambda: _choices(root, start), [str(root), str(start)])
    file, set_file = solara.use_state(_label(root, start))
    path = _resolve(root, file)
    arms = programme_arms(path)
    if not arms:
        load_scenario(path)  # raises with the file's problem, if it has one
        raise ScenarioError(f"{path}: no arm runs a programme; nothing to compare")
    if arm is not None and path == start and arm not in arms:
        raise ScenarioError(
            f"{path}: arm {arm!r} is not an arm with a programme; choose one of: " + ", ".join(arms)
        )
    chosen, set_chosen = solara.use_state(arm)
    current = chosen if chosen in arms else arms[0]

    def choose_file(value: str) -> None:
        set_file(value)
        set_chosen(None)

    with solara.Sidebar(), solara.Card("Scenario"):
        solara.Select("Scenario file", value=file, values=choices, on_value=choose_file)
        solara.Select("Arm", value=current, values=list(arms), on_value=set_chosen)
        spec = load_scenario(path).arms[current]
        if spec.description:
            Markdown(f"*{html.escape(spec.description.strip())}*")
        Markdown(
            "Move the levers under *Model Parameters*, then press **Reset** to apply "
            "them; **Step** advances one week, **▶** plays. The dashed lines and the "
            "right-hand network are the same organisation with no programme."
        )
    model = solara.use_memo(
        lambda: DashboardModel(scenario_file=str(path), arm=current), [str(path), current]
    )
    SolaraViz(
        model,
        components=components(),
        model_params=lever_params(path, current),
        name="wlsim: workplace learning",
        play_interval=150,
    ).key(f"{path}::{current}")


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


def server_env(scenario_path: str | Path | None = None) -> dict[str, str]:
    """Environment for the server: the scenario to open, and no telemetry."""
    env = dict(os.environ)
    if scenario_path is not None:
        env[ENV_SCENARIO] = str(Path(scenario_path).resolve())
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    return env


def serve(
    scenario_path: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
) -> int:
    """Serve the dashboard until interrupted (what ``wlsim dashboard`` runs).

    Args:
        scenario_path: Scenario file to open first, or a folder of scenario files to
            choose from (default: the flagship in ./scenarios or the repository's).
        host: Interface to listen on (localhost by default; use 0.0.0.0 for a room).
        port: Port to listen on.
        open_browser: Open the page in the default browser once the server is up.

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
    proc = subprocess.Popen(solara_command(host, port, open_browser), env=server_env(scenario_path))

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
