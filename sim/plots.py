"""Figures of a run: skill diffusion, retention and engagement, with 95% CI bands.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot state, no GUI
backend), so they render the same in scripts, tests and notebooks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

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


FIGURES = {"skill_diffusion": skill_diffusion, "retention": retention, "engagement": engagement}


def save_figures(timeseries: pd.DataFrame, folder: Path) -> list[Path]:
    """Write every standard figure as PNG into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        path = folder / f"{name}.png"
        # A fixed creation date keeps the PNG bytes reproducible.
        make(timeseries).savefig(path, dpi=120, metadata={"Software": None})
        paths.append(path)
    return paths
