"""What a grid sweep shows: each metric against each swept parameter, and the best points.

A grid sweep runs every arm at every combination of its ``grid`` values, each with the
same replicate seeds. :func:`plot` draws each metric against each swept parameter, per
arm, with the mean and 95% t-interval over replicates; :func:`best_points` names, for
each metric and arm, the point with the best mean and says whether the runner-up is
within noise of it. "Best" is the highest mean, except for the metrics in
:data:`sim.model.metrics.LOWER_IS_BETTER` (costs, quits, time to proficiency).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.model.metrics import HEADLINE, better
from sim.scenario.schema import Scenario

#: Confidence level of every interval here.
CONFIDENCE = 0.95


def metrics_of(runs: pd.DataFrame, scenario: Scenario) -> list[str]:
    """The metrics analysed: ``sweep.outputs`` found in the runs, else the headline ones."""
    found = [m for m in scenario.sweep.outputs if m in runs.columns]
    return found or [m for m in HEADLINE if m in runs.columns]


def _mean_ci(values: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
    """Mean, t-interval and count per group (no interval with one value)."""
    out = values.agg(mean="mean", sd="std", n="count")
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out.drop(columns="sd")


def best_points(runs: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """For each metric and arm, the grid point with the best mean, and its runner-up.

    Args:
        runs: The sweep's run table (``runs.parquet``): one row per run with ``point``,
            ``arm``, ``replicate``, the swept parameters and the end-of-horizon metrics.
        scenario: The scenario the sweep ran.

    Returns:
        One row per metric and arm: ``metric``, ``better`` (``higher`` or ``lower``),
        ``arm``, ``point``, the swept parameters' values there, ``mean``, ``ci_low``,
        ``ci_high`` (95% t-interval over replicates), ``n`` (replicates), the same for
        the runner-up (``runner_up_point``, ``runner_up_values``, ``runner_up_mean``, ...),
        ``within_noise``
        (the two 95% intervals overlap) and ``verdict`` in words.
    """
    params = list(scenario.sweep.paths)
    rows = []
    for metric in metrics_of(runs, scenario):
        lower = better(metric) == "lower"
        for arm, sub in runs.groupby("arm", sort=False):
            table = _mean_ci(sub.groupby("point")[metric]).dropna(subset=["mean"])
            if table.empty:
                continue
            ranked = table.sort_values("mean", ascending=lower, kind="stable")
            best = ranked.iloc[0]
            point = int(ranked.index[0])
            row: dict[str, object] = {"metric": metric, "better": better(metric), "arm": arm}
            row["point"] = point
            first = sub[sub["point"] == point].iloc[0]
            row.update({p: first[p] for p in params})
            row.update({k: best[k] for k in ("mean", "ci_low", "ci_high")})
            row["n"] = int(best["n"])
            if len(ranked) > 1:
                second = ranked.iloc[1]
                row["runner_up_point"] = int(ranked.index[1])
                there = sub[sub["point"] == ranked.index[1]].iloc[0]
                row["runner_up_values"] = ", ".join(f"{p}={there[p]}" for p in params)
                row.update({f"runner_up_{k}": second[k] for k in ("mean", "ci_low", "ci_high")})
                overlap = bool(
                    second["ci_low"] <= best["ci_high"] and best["ci_low"] <= second["ci_high"]
                )
                row["within_noise"] = overlap if np.isfinite(best["ci_low"]) else pd.NA
            else:
                row["within_noise"] = pd.NA
            row["verdict"] = _verdict(row, len(ranked))
            rows.append(row)
    return pd.DataFrame(rows)


def _verdict(row: dict[str, object], n_points: int) -> str:
    if n_points == 1:
        return "the only point with a value"
    runner = f"point {row['runner_up_point']} ({row['runner_up_values']})"
    if row["runner_up_mean"] == row["mean"]:
        return f"tied: the runner-up, {runner}, has the same mean"
    if row["within_noise"] is pd.NA:
        return f"no interval (one replicate per point): cannot tell it from {runner}"
    if row["within_noise"]:
        return f"within noise: the runner-up, {runner}, has an overlapping 95% interval"
    return f"best beyond noise: the runner-up, {runner}, has a 95% interval that does not overlap"


def _key(value: object) -> object:
    """A value usable as a group key (lists and arrays read from Parquet become text)."""
    return value if isinstance(value, Hashable) else str(np.asarray(value).tolist())


def plot(runs: pd.DataFrame, scenario: Scenario, path: Path) -> Path:
    """Each metric (rows) against each swept parameter (columns), per arm, with 95% CIs.

    With several swept parameters, a panel averages over the others, replicate by
    replicate, before the interval over replicates is taken (a main-effect plot).
    """
    from matplotlib.figure import Figure

    from sim.analysis.plots import PALETTE

    metrics = metrics_of(runs, scenario)
    params = list(scenario.sweep.grid)
    arms = list(dict.fromkeys(runs["arm"]))
    fig = Figure(figsize=(1.0 + 3.8 * len(params), 1.2 + 2.8 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), len(params), squeeze=False)
    for c, param in enumerate(params):
        values = [_key(v) for v in scenario.sweep.grid[param]]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        where = {v: (float(v) if numeric else float(i)) for i, v in enumerate(values)}  # type: ignore[arg-type]
        span = (max(where.values()) - min(where.values())) or 1.0
        frame = runs.assign(_x=runs[param].map(_key))
        for r, metric in enumerate(metrics):
            ax = axes[r, c]
            per_replicate = frame.groupby(["arm", "_x", "replicate"], sort=False)[metric].mean()
            table = _mean_ci(per_replicate.groupby(level=["arm", "_x"], sort=False))
            for j, arm in enumerate(arms):
                if arm not in table.index.get_level_values("arm"):
                    continue
                d = table.loc[arm].reindex(values)
                shift = (j - (len(arms) - 1) / 2) * 0.015 * span  # keeps the bars apart
                x = np.array([where[v] for v in values]) + shift
                ax.errorbar(
                    x,
                    d["mean"],
                    yerr=[d["mean"] - d["ci_low"], d["ci_high"] - d["mean"]],
                    color=PALETTE[j % len(PALETTE)],
                    marker="o",
                    ms=4,
                    lw=1.4,
                    capsize=3,
                    label=arm,
                )
            ax.set_xticks(list(where.values()), [str(v) for v in values])
            ax.grid(alpha=0.3)
            ax.set_ylabel(f"{metric} ({better(metric)} is better)", fontsize="small")
            if r == len(metrics) - 1:
                ax.set_xlabel(param, fontsize="small")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(arms), 4), frameon=False)
    others = " (averaged over the other swept parameters)" if len(params) > 1 else ""
    fig.suptitle(
        f"End-of-horizon metrics against each swept parameter{others}, per arm: mean and "
        f"95% interval over replicates",
        wrap=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, metadata={"Software": None})
    return path
