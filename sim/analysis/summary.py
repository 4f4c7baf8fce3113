"""End-of-horizon summaries of a run's time series: means, CIs, and tables of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.model.metrics import HEADLINE


def summarise(timeseries: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """End-of-horizon metrics per arm: mean, standard deviation and CI over replicates.

    Args:
        timeseries: Tidy time series as returned by :func:`sim.experiments.run.run_scenario`.
        confidence: Confidence level of the t-interval.

    Returns:
        One row per (arm, metric) with ``mean``, ``sd``, ``n``, ``ci_low``, ``ci_high``.
        With a single replicate the interval is NaN.
    """
    last = timeseries[timeseries["week"] == timeseries["week"].max()]
    value_cols = [c for c in last.columns if c not in ("arm", "replicate", "seed", "week")]
    long = last.melt(id_vars=["arm", "replicate"], value_vars=value_cols, var_name="metric")
    grouped = long.groupby(["arm", "metric"], sort=False)["value"]
    out = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out


def format_table(summary: pd.DataFrame, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """Render a summary as arms x metrics, each cell ``mean [low, high]``."""
    sub = summary[summary["metric"].isin(metrics)]

    def cell(row: pd.Series) -> str:
        if np.isnan(row["mean"]):
            return "n/a"
        if np.isnan(row["ci_low"]):
            return _fmt(row["mean"])
        return f"{_fmt(row['mean'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"

    cells = sub.assign(cell=sub.apply(cell, axis=1))
    wide = cells.pivot(index="arm", columns="metric", values="cell")
    arms = list(dict.fromkeys(summary["arm"]))
    return wide.loc[arms, [m for m in metrics if m in wide.columns]]


def wrap_by_arm(table: pd.DataFrame, width: int = 120) -> str:
    """A metrics x arms table as text no wider than ``width``, in blocks of whole arms.

    Args:
        table: Metrics as rows, arms as columns, cells as strings (``format_table(...).T``).
        width: Most characters per line.

    Returns:
        The blocks, separated by a blank line; each repeats the metric names.
    """
    label = max((len(str(m)) for m in table.index), default=0)
    blocks: list[list[str]] = []
    block: list[str] = []
    used = label
    for arm in table.columns:
        cell = max(len(str(arm)), *(len(str(v)) for v in table[arm])) + 2
        if block and used + cell > width:
            blocks.append(block)
            block = []
            used = label
        block.append(arm)
        used += cell
    if block:
        blocks.append(block)
    return "\n\n".join(table[b].to_string() for b in blocks)


def wrap_text(text: str, width: int = 120) -> str:
    """A paragraph wrapped to ``width`` columns."""
    import textwrap

    return textwrap.fill(text, width=width)


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"
