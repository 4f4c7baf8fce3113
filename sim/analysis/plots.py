"""Figures of a run: skill diffusion, retention and engagement, with 95% CI bands.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot state, no GUI
backend), so they render the same in scripts, tests and notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sim.model.metrics import slug

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def band(timeseries: pd.DataFrame, metric: str, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of a metric over replicates, per arm and week.

    Args:
        timeseries: Tidy time series.
        metric: Column to summarise.
        confidence: Confidence level.

    Returns:
        Columns ``arm``, ``week``, ``mean``, ``low``, ``high`` (low = high = mean with one
        replicate).
    """
    g = timeseries.groupby(["arm", "week"], sort=False)[metric]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
    half = half.fillna(0.0)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    return out


def _legend(ax, fontsize: str = "small") -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=fontsize)


def _panel(
    ax, timeseries: pd.DataFrame, metric: str, ylabel: str, style: str = "-", label_suffix: str = ""
) -> None:
    arms = list(dict.fromkeys(timeseries["arm"]))
    b = band(timeseries, metric)
    for i, arm in enumerate(arms):
        d = b[b["arm"] == arm]
        if d["mean"].isna().all():
            continue
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(d["week"], d["mean"], style, color=colour, label=f"{arm}{label_suffix}", lw=1.6)
        ax.fill_between(d["week"], d["low"], d["high"], color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def skill_diffusion(timeseries: pd.DataFrame) -> Figure:
    """Mean skill and share proficient over time, per arm."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _panel(ax1, timeseries, "mean_skill", "mean skill (0-1)")
    ax1.set_title("Mean skill")
    _panel(ax2, timeseries, "share_proficient", "share of employees proficient")
    ax2.set_title("Share proficient")
    _legend(ax2)
    fig.suptitle("Skill diffusion (mean and 95% CI over replicates)")
    return fig


def retention(timeseries: pd.DataFrame) -> Figure:
    """Share of the initial workforce still employed, overall and by participation."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _panel(ax1, timeseries, "retention_initial", "share of initial workforce employed")
    ax1.set_title("Retention of the initial workforce")
    _legend(ax1)
    _panel(
        ax2,
        timeseries,
        "retention_participants",
        "share still employed",
        label_suffix=" participants",
    )
    _panel(
        ax2,
        timeseries,
        "retention_nonparticipants",
        "share still employed",
        style="--",
        label_suffix=" non-participants",
    )
    ax2.set_title("Participants (solid) vs non-participants (dashed)")
    _legend(ax2, "x-small")
    fig.suptitle("Retention (mean and 95% CI over replicates)")
    return fig


def engagement(timeseries: pd.DataFrame) -> Figure:
    """Mean engagement over time, per arm."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    _panel(ax, timeseries, "mean_engagement", "mean engagement (0-1)")
    ax.set_title("Engagement (mean and 95% CI over replicates)")
    _legend(ax)
    return fig


def _small_multiples(
    timeseries: pd.DataFrame, columns: list[str], titles: list[str], suptitle: str
) -> Figure:
    n = len(columns)
    ncols = min(n, 3)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(4 * ncols, 3 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    for ax, col, title in zip(axes, columns, titles, strict=False):
        _panel(ax, timeseries, col, "mean skill (0-1)")
        ax.set_title(title, fontsize="medium")
    for ax in axes[n:]:
        ax.set_visible(False)
    _legend(axes[0], "x-small")
    fig.suptitle(suptitle)
    return fig


def skill_by_domain(timeseries: pd.DataFrame, domains: list[str]) -> Figure:
    """Mean skill per domain over time, per arm."""
    cols = [f"mean_skill_{slug(d)}" for d in domains]
    return _small_multiples(timeseries, cols, domains, "Skill by domain (mean and 95% CI)")


def skill_by_level(timeseries: pd.DataFrame, levels: list[str]) -> Figure:
    """Mean skill per hierarchy level over time, per arm."""
    cols = [f"mean_skill_{slug(lv)}" for lv in levels]
    return _small_multiples(timeseries, cols, levels, "Skill by level (mean and 95% CI)")


def skill_distribution(timeseries: pd.DataFrame) -> Figure:
    """How the spread of skill changes: 10th, 50th and 90th percentiles, and the Gini."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    arms = list(dict.fromkeys(timeseries["arm"]))
    for i, arm in enumerate(arms):
        d = timeseries[timeseries["arm"] == arm].groupby("week")
        colour = PALETTE[i % len(PALETTE)]
        ax1.plot(d["skill_p50"].mean(), color=colour, lw=1.6, label=arm)
        ax1.fill_between(
            d["skill_p50"].mean().index,
            d["skill_p10"].mean(),
            d["skill_p90"].mean(),
            color=colour,
            alpha=0.12,
            lw=0,
        )
        ax1.plot(d["skill_p10"].mean(), color=colour, lw=0.8, ls=":")
    ax1.set_xlabel("week")
    ax1.set_ylabel("personal mean skill (0-1)")
    ax1.set_title("Median, with the 10th-90th percentile band")
    _legend(ax1, "x-small")
    _panel(ax2, timeseries, "skill_gini", "Gini coefficient of skill")
    ax2.set_title("Inequality of skill")
    fig.suptitle("Distribution of skill (dotted: the 10th percentile, who is left behind)")
    return fig


def kaplan_meier(durations: np.ndarray, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit estimate of the share still employed after each duration.

    Args:
        durations: Weeks from the start (hire, or week 0) to leaving or to the end.
        left: True where the person left (an event), False where still employed.

    Returns:
        ``(weeks, survival)``: a step function starting at week 0 with survival 1.
    """
    durations = np.asarray(durations)
    left = np.asarray(left, dtype=bool)
    times = np.unique(durations[left])
    at_risk = np.array([(durations >= t).sum() for t in times])
    events = np.array([(durations[left] == t).sum() for t in times])
    surv = np.cumprod(1.0 - events / np.maximum(at_risk, 1))
    return np.concatenate([[0], times]), np.concatenate([[1.0], surv])


def survival(table: pd.DataFrame) -> Figure:
    """Kaplan-Meier survival of new hires per arm, and of initial participants vs others."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    arms = list(dict.fromkeys(table["arm"]))
    for i, arm in enumerate(arms):
        colour = PALETTE[i % len(PALETTE)]
        hires = table[(table["arm"] == arm) & (table["cohort"] == "hired")]
        if len(hires):
            t, s = kaplan_meier(hires["duration_weeks"], hires["left"])
            ax1.step(t, s, where="post", color=colour, label=arm)
        initial = table[(table["arm"] == arm) & (table["cohort"] == "initial")]
        for flag, style, suffix in ((1.0, "-", "participants"), (0.0, "--", "non-participants")):
            group = initial[initial["participant"] == flag]
            if len(group):
                t, s = kaplan_meier(group["duration_weeks"], group["left"])
                ax2.step(t, s, where="post", color=colour, ls=style, label=f"{arm} {suffix}")
    ax1.set_title("New hires: share still employed by tenure")
    ax1.set_xlabel("weeks since hire")
    ax1.set_ylabel("share still employed")
    _legend(ax1, "x-small")
    ax2.set_title("Initial workforce: participants (solid) vs others (dashed)")
    ax2.set_xlabel("week")
    _legend(ax2, "x-small")
    fig.suptitle("Retention (Kaplan-Meier, replicates pooled)")
    return fig


def cost_benefit(differences: pd.DataFrame) -> Figure:
    """Is it worth it? Each arm's extra cost against its gains, from paired differences.

    Args:
        differences: :func:`sim.analysis.compare.paired_differences` output with the metrics
            ``total_cost``, ``mean_skill`` and ``retention_initial``.
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    cost = differences[differences["metric"] == "total_cost"].set_index("arm")
    for ax, metric, label in (
        (axes[0], "mean_skill", "mean skill gain (0-1)"),
        (axes[1], "retention_initial", "retention gain (share)"),
    ):
        gain = differences[differences["metric"] == metric].set_index("arm")
        for i, arm in enumerate(gain.index):
            if arm not in cost.index:
                continue
            c, g = cost.loc[arm], gain.loc[arm]
            ax.errorbar(
                c["mean_diff"],
                g["mean_diff"],
                xerr=[[c["mean_diff"] - c["ci_low"]], [c["ci_high"] - c["mean_diff"]]],
                yerr=[[g["mean_diff"] - g["ci_low"]], [g["ci_high"] - g["mean_diff"]]],
                fmt="o",
                color=PALETTE[(i + 1) % len(PALETTE)],
                label=arm,
                capsize=3,
            )
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel(f"extra total cost vs {differences['baseline'].iloc[0]}")
        ax.set_ylabel(label)
    _legend(axes[0], "x-small")
    fig.suptitle("Cost and benefit per arm (paired differences, 95% CI)")
    return fig


#: Advice ties in network figures: ordinary ties blue, ties a programme made or
#: strengthened reddish purple (no programme relationship colour uses either).
ADVICE_COLOUR = PALETTE[0]
PROGRAMME_ADVICE_COLOUR = PALETTE[3]
#: Most advice ties a network figure draws, the strongest first: about two per
#: employee drawn, so that 1,000 employees stay readable.
MAX_ADVICE_TIES = 2000


def advice_ties(model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Current advice ties as positions: (seeker, adviser, strength, made by a programme).

    Args:
        model: A :class:`sim.model.workplace.WorkplaceModel`.
    """
    net = model.network
    seeker, tie, adviser = net.ties(model.workforce.slot_of_id)
    strength = net.strength[seeker, tie].astype(np.float64)  # stored in 32 bits
    return seeker, adviser, strength, net.programme[seeker, tie]


@dataclass(frozen=True)
class ShownTies:
    """The advice ties a network figure draws, and how many there are in all.

    Attributes:
        seeker: Position (slot) of each drawn tie's seeker.
        adviser: Position (slot) of each drawn tie's adviser.
        strength: Each drawn tie's strength (0-1).
        programme: Whether a programme made or strengthened each drawn tie.
        total: Ties between drawn positions, before the cap on how many are drawn.
    """

    seeker: np.ndarray
    adviser: np.ndarray
    strength: np.ndarray
    programme: np.ndarray
    total: int

    def opacity(self) -> np.ndarray:
        """Each tie's opacity: fainter the weaker, a programme's ties a little bolder.

        A programme's ties mostly lie under the programme's own relationship lines while
        it runs, hence bolder.
        """
        return np.clip(0.06 + 0.5 * self.strength + 0.15 * self.programme, 0.0, 1.0)

    def widths(self) -> np.ndarray:
        """Each tie's line width in points (a programme's ties a little wider)."""
        return np.where(self.programme, 0.8, 0.45)

    def labels(self) -> tuple[str, str]:
        """The legend's entries: ordinary advice ties, and those a programme made."""
        n = len(self.seeker)
        shown = f"{n:,}" if n == self.total else f"strongest {n:,} of {self.total:,}"
        return (
            f"advice ties ({shown})",
            f"advice ties a programme made ({int(self.programme.sum()):,})",
        )


def shown_advice_ties(model, pos: np.ndarray, max_ties: int = MAX_ADVICE_TIES) -> ShownTies:
    """The advice ties a network figure draws: between drawn positions, the strongest.

    The report's figure (:func:`draw_advice_ties`) and the dashboard's network choose
    their ties with it.

    Args:
        model: A :class:`sim.model.workplace.WorkplaceModel`.
        pos: ``(k, 2)`` plot positions of the model's first ``k`` positions (slots);
            a position not drawn has NaN.
        max_ties: Most ties to draw.

    Returns:
        The ties to draw (at most ``max_ties``, in the network's order) and their total.
    """
    seeker, adviser, strength, programme = advice_ties(model)
    inside = (seeker < len(pos)) & (adviser < len(pos))
    inside[inside] = np.isfinite(pos[seeker[inside], 0]) & np.isfinite(pos[adviser[inside], 0])
    seeker, adviser = seeker[inside], adviser[inside]
    strength, programme = strength[inside], programme[inside]
    total = len(seeker)
    if total > max_ties:
        keep = np.sort(np.argsort(-strength, kind="stable")[:max_ties])
        seeker, adviser, strength, programme = (
            seeker[keep],
            adviser[keep],
            strength[keep],
            programme[keep],
        )
    return ShownTies(seeker, adviser, strength, programme, total)


def draw_advice_ties(ax, model, pos: np.ndarray, max_ties: int = MAX_ADVICE_TIES) -> list:
    """Draw a model's advice ties on a network plot, as one LineCollection.

    Each tie is a thin straight line between the two positions (its direction is not
    drawn), more opaque the stronger it is; ties a programme made or strengthened are
    drawn in :data:`PROGRAMME_ADVICE_COLOUR`, the others in :data:`ADVICE_COLOUR`. Which
    ties are drawn is :func:`shown_advice_ties`' choice: those between positions in
    ``pos``, at most ``max_ties`` of them, the strongest.

    Args:
        ax: Matplotlib axes.
        model: A :class:`sim.model.workplace.WorkplaceModel`.
        pos: ``(k, 2)`` plot positions of the model's first ``k`` positions (slots);
            a position not drawn has NaN.
        max_ties: Most ties to draw.

    Returns:
        Legend handles naming what was drawn (none when there is no tie).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D

    ties = shown_advice_ties(model, pos, max_ties)
    if ties.total == 0:
        return []
    programme = ties.programme
    colours = np.where(programme[:, None], to_rgba(PROGRAMME_ADVICE_COLOUR), to_rgba(ADVICE_COLOUR))
    colours[:, 3] = ties.opacity()
    segments = np.stack([pos[ties.seeker], pos[ties.adviser]], axis=1)
    ax.add_collection(
        LineCollection(list(segments), colors=colours, linewidths=ties.widths(), zorder=1.5)
    )
    ordinary, made = ties.labels()
    return [
        Line2D([], [], color=ADVICE_COLOUR, lw=1, label=ordinary),
        Line2D([], [], color=PROGRAMME_ADVICE_COLOUR, lw=1, label=made),
    ]


def shown_positions(model, most: int) -> np.ndarray:
    """The positions a network figure draws when there are too many: whole teams.

    Every manager is drawn, then the teams of first-line managers, whole, in the order
    of the tree, while they fit; with more managers than fit, the top of the tree.

    Args:
        model: A :class:`sim.model.workplace.WorkplaceModel`.
        most: Largest number of positions to draw.

    Returns:
        Positions (slots), sorted.
    """
    wf = model.workforce
    if wf.n_slots <= most:
        return np.arange(wf.n_slots)
    first = model.params.organisation.first_manager_level
    managers = np.flatnonzero(wf.level >= first)
    if len(managers) >= most:
        return np.arange(most)
    budget = most - len(managers)
    reports = np.flatnonzero(wf.level < first)
    reports = reports[np.argsort(wf.team[reports], kind="stable")]
    _, starts, sizes = np.unique(wf.team[reports], return_index=True, return_counts=True)
    chosen = []
    for start, size in zip(starts, sizes, strict=True):
        if size > budget:
            break
        chosen.append(reports[start : start + size])
        budget -= size
    return np.sort(np.concatenate([managers, *chosen]))


def network(model, max_nodes: int = 400) -> Figure:
    """The organisation as a network: reporting lines, programme and advice ties, skill.

    Positions are laid out by level (rows) and by their manager's position (columns), so
    the reporting tree reads top-down and every team sits together. Reporting lines are
    grey; mentoring ties (one-way) orange; peer and group ties green; advice ties thin
    lines, more opaque the stronger (:func:`draw_advice_ties`). Dots are employees,
    coloured by mean skill and larger higher up. At most ``max_nodes`` positions are
    drawn (:func:`shown_positions`: every manager and whole teams), and the title says
    how many of how many.

    Args:
        model: A :class:`sim.model.workplace.WorkplaceModel`.
        max_nodes: Largest number of positions to draw.
    """
    from matplotlib.collections import LineCollection

    wf = model.workforce
    shown = shown_positions(model, max_nodes)
    n = len(shown)
    index = np.full(wf.n_slots, -1)
    index[shown] = np.arange(n)
    manager = np.where(wf.manager[shown] >= 0, index[np.maximum(wf.manager[shown], 0)], -1)
    level = wf.level[shown].astype(float)
    x = np.zeros(n)
    for lv in np.unique(level):
        idx = np.flatnonzero(level == lv)
        boss = np.where(manager[idx] >= 0, manager[idx], idx)
        order = idx[np.lexsort((idx, boss))]
        x[order] = np.linspace(0, 1, len(order) + 2)[1:-1]
    y = level + 0.25 * np.sin(np.arange(n) * 1.7)  # a little vertical jitter within a level
    pos = np.full((wf.n_slots, 2), np.nan)
    pos[shown] = np.column_stack([x, y])
    fig = Figure(figsize=(10, 5.6), layout="constrained")
    ax = fig.subplots()
    segments = [((x[i], y[i]), (x[m], y[m])) for i, m in enumerate(manager) if m >= 0]
    ax.add_collection(LineCollection(segments, colors="0.8", linewidths=0.5, zorder=1))
    handles = draw_advice_ties(ax, model, pos)
    for prog in model.programmes:
        rel = prog.relationships
        a, b = wf.slot_of_id[rel.a], wf.slot_of_id[rel.b]
        keep = (a >= 0) & (b >= 0)
        a, b = a[keep], b[keep]
        drawn = (index[a] >= 0) & (index[b] >= 0)
        colour = PALETTE[2] if prog.params.direction == "both" else PALETTE[1]
        ties = [(tuple(pos[i]), tuple(pos[j])) for i, j in zip(a[drawn], b[drawn], strict=True)]
        ax.add_collection(
            LineCollection(
                ties, colors=colour, linewidths=0.9, alpha=0.7, zorder=2, label=prog.name
            )
        )
    skill = wf.skill[shown].mean(axis=1)
    points = ax.scatter(x, y, c=skill, cmap="viridis", vmin=0, vmax=1, s=8 + 8 * level, zorder=3)
    fig.colorbar(points, ax=ax, label="mean skill (0-1)")
    levels = model.params.organisation.levels
    ax.set_yticks(range(len(levels)), levels, fontsize="small")
    ax.set_xticks([])
    title = (
        f"Week {model.week}: reporting lines (grey), programme ties, advice ties, "
        "skill (colour), level (size)"
    )
    if n < wf.n_slots:
        title += (
            f"\n{n:,} of {wf.n_slots:,} positions drawn: every manager and whole teams "
            "(the others are left out to keep the figure legible)"
        )
    ax.set_title(title)
    programme_handles = ax.get_legend_handles_labels()[0]
    if handles or programme_handles:
        ax.legend(
            handles=[*programme_handles, *handles],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncols=4,
            frameon=False,
            fontsize="x-small",
        )
    return fig


def learning(timeseries: pd.DataFrame) -> Figure:
    """Skill gained from colleagues' advice and in programme sessions, per arm.

    Left: the cumulative gains (``skill_gained_informal`` solid,
    ``skill_gained_programmes`` dashed); right: ``informal_share_of_learning``.
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    unit = "skill gained so far\n(sum over employees, units of mean skill)"
    _panel(ax1, timeseries, "skill_gained_informal", unit, label_suffix=" from advice")
    _panel(
        ax1,
        timeseries,
        "skill_gained_programmes",
        unit,
        style="--",
        label_suffix=" in programmes",
    )
    ax1.set_title("From advice (solid) and in programmes (dashed)")
    _legend(ax1, "x-small")
    _panel(ax2, timeseries, "informal_share_of_learning", "share of skill gained from advice")
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_title("Share of learning from advice")
    _legend(ax2, "x-small")
    fig.suptitle("Learning from others: informal versus programmes (mean and 95% CI)")
    return fig


#: Columns :func:`learning` needs (results written before informal learning lack them).
LEARNING_COLUMNS = (
    "skill_gained_informal",
    "skill_gained_programmes",
    "informal_share_of_learning",
)


FIGURES = {"skill_diffusion": skill_diffusion, "retention": retention, "engagement": engagement}


def save_figures(
    timeseries: pd.DataFrame,
    folder: Path,
    survival_table: pd.DataFrame | None = None,
    domains: list[str] | None = None,
    levels: list[str] | None = None,
) -> list[Path]:
    """Write the standard figures as PNG into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {name: make(timeseries) for name, make in FIGURES.items()}
    if "skill_p50" in timeseries:
        figures["skill_distribution"] = skill_distribution(timeseries)
    if all(c in timeseries for c in LEARNING_COLUMNS):
        figures["learning"] = learning(timeseries)
    if domains:
        figures["skill_by_domain"] = skill_by_domain(timeseries, domains)
    if levels:
        figures["skill_by_level"] = skill_by_level(timeseries, levels)
    if survival_table is not None and len(survival_table):
        figures["survival"] = survival(survival_table)
    paths = []
    for name, fig in figures.items():
        path = folder / f"{name}.png"
        # No software or date metadata, so the PNG bytes are reproducible.
        fig.savefig(path, dpi=120, metadata={"Software": None})
        paths.append(path)
    return paths
