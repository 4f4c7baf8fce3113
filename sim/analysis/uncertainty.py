"""Parameter uncertainty in a comparison: how likely each arm is to beat another.

A run over a posterior (:mod:`sim.experiments.posterior`) gives ``K`` posterior draws of
``M`` replicates each, with the same parameters and seeds in every arm. For each draw,
the mean of the ``M`` paired differences (arm minus the other arm, replicate by
replicate) estimates the *expected* difference under that draw's parameters; replicate
noise averages out within the draw instead of being read as parameter uncertainty. Over
the draws, the share whose mean favours the arm is the posterior probability that it
beats the other arm, and the 5% and 95% quantiles of the means are a 90% credible
interval of the expected difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.model.metrics import HEADLINE, better

#: Quantiles of the per-draw means reported as the credible interval.
CREDIBLE = (0.05, 0.95)


def probability_of_beating(
    runs: pd.DataFrame,
    draws: pd.DataFrame,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Posterior probability that each arm beats ``baseline``, with credible intervals.

    Args:
        runs: One row per (arm, replicate) with metric columns, e.g.
            :func:`sim.analysis.compare.end_of_horizon` of a time series.
        draws: One row per replicate with its ``draw`` (``posterior_draws`` of a run
            over a posterior); replicates of a draw share its parameters.
        baseline: The arm to beat (default: the first arm of ``runs``).
        metrics: Metrics to compare (default: the headline metrics present).

    Returns:
        Tidy table, one row per (arm, metric): ``arm``, ``baseline``, ``metric``,
        ``better`` (``"higher"`` or ``"lower"``, :func:`sim.model.metrics.better`),
        ``draws`` (with a value in both arms), ``replicates_per_draw``, ``mean_diff``
        (mean of the per-draw mean differences), ``q05`` and ``q95`` (their 5% and 95%
        quantiles: the 90% credible interval of the expected difference),
        ``p_better`` (share of draws whose mean difference favours the arm; ties count
        for neither side), ``sd_draws`` (sd of the per-draw means) and ``se_noise``
        (the replicate-noise standard error of one draw's mean, from the spread within
        draws; NaN with one replicate per draw, when the spread between draws includes
        replicate noise). Where ``se_noise`` is not well below ``sd_draws``, the spread
        is mostly noise: run more replicates per draw.

    Raises:
        ScenarioError: If the baseline or a metric is unknown, or a replicate of ``runs``
            has no draw.
    """
    arms = list(dict.fromkeys(runs["arm"]))
    baseline = baseline or arms[0]
    if baseline not in arms:
        raise ScenarioError(f"baseline {baseline!r}: no such arm; arms: {', '.join(arms)}")
    metrics = list(metrics) if metrics else [m for m in HEADLINE if m in runs.columns]
    unknown = [m for m in metrics if m not in runs.columns]
    if unknown:
        raise ScenarioError(f"unknown metrics {unknown}; the runs have: {', '.join(runs.columns)}")
    of = draws.set_index("replicate")["draw"]
    without = sorted(set(runs["replicate"]) - set(of.index))
    if without:
        raise ScenarioError(f"replicates {without[:5]} have no posterior draw")
    base = runs[runs["arm"] == baseline].set_index("replicate")[metrics]
    rows = []
    for arm in arms:
        if arm == baseline:
            continue
        diff = runs[runs["arm"] == arm].set_index("replicate")[metrics] - base
        diff = diff.assign(draw=of.reindex(diff.index).to_numpy())
        for m in metrics:
            d = diff[[m, "draw"]].dropna()
            grouped = d.groupby("draw")[m]
            means = grouped.mean().to_numpy()
            sizes = grouped.size().to_numpy()
            rows.append(
                {
                    "arm": arm,
                    "baseline": baseline,
                    "metric": m,
                    "better": better(m),
                    **_over_draws(means, sizes, grouped.var(ddof=1).to_numpy(), better(m)),
                }
            )
    return pd.DataFrame(rows)


def _over_draws(means: np.ndarray, sizes: np.ndarray, within: np.ndarray, side: str) -> dict:
    n = len(means)
    if not n:
        nan = float("nan")
        keys = ("mean_diff", "q05", "q95", "p_better", "sd_draws", "se_noise")
        return {"draws": 0, "replicates_per_draw": 0, **dict.fromkeys(keys, nan)}
    favours = means > 0 if side == "higher" else means < 0
    q05, q95 = np.quantile(means, CREDIBLE)
    per_draw = int(np.median(sizes))
    noise = float(np.sqrt(np.nanmean(within) / per_draw)) if per_draw > 1 else float("nan")
    return {
        "draws": n,
        "replicates_per_draw": per_draw,
        "mean_diff": float(means.mean()),
        "q05": float(q05),
        "q95": float(q95),
        "p_better": float(favours.mean()),
        "sd_draws": float(means.std(ddof=1)) if n > 1 else float("nan"),
        "se_noise": noise,
    }


def all_pairs(
    runs: pd.DataFrame,
    draws: pd.DataFrame,
    first: str | None = None,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """:func:`probability_of_beating` against every arm in turn, ``first`` first.

    Args:
        runs: As for :func:`probability_of_beating`.
        draws: As for :func:`probability_of_beating`.
        first: The baseline whose rows come first (default: the first arm).
        metrics: Metrics to compare (default: the headline metrics present).

    Returns:
        The tables of every baseline, concatenated; empty with a single arm.
    """
    arms = list(dict.fromkeys(runs["arm"]))
    if first in arms:
        arms.remove(first)
        arms.insert(0, first)
    tables = [probability_of_beating(runs, draws, b, metrics) for b in arms]
    tables = [t for t in tables if not t.empty]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def by_point(
    runs: pd.DataFrame,
    baseline: str,
    metrics: Sequence[str] | None = None,
    parameters: Sequence[str] = (),
) -> pd.DataFrame:
    """:func:`probability_of_beating` at every point of a sweep over a posterior.

    Args:
        runs: A sweep's run table (``runs.parquet``): one row per run with ``point``,
            ``arm``, ``replicate``, ``draw`` (replicate ``r`` is in the same draw at every
            point), the swept parameters and metric columns.
        baseline: The arm to beat.
        metrics: Metrics to compare (default: the headline metrics present).
        parameters: The swept parameters' columns, copied after ``point``.

    Returns:
        The table of :func:`probability_of_beating` with ``point`` and the
        ``parameters`` first, point by point.

    Raises:
        ScenarioError: If the runs have no ``draw`` (the sweep was not over a posterior),
            or as :func:`probability_of_beating`.
    """
    if "draw" not in runs.columns or "point" not in runs.columns:
        raise ScenarioError(
            "no 'point' and 'draw' columns: not the run table of a sweep over a posterior "
            "(wlsim sweep FILE --posterior DIR)"
        )
    draws = runs[["replicate", "draw"]].drop_duplicates("replicate")
    tables = []
    for point, sub in runs.groupby("point", sort=True):
        table = probability_of_beating(sub, draws, baseline, metrics)
        where = {"point": point} | {p: sub[p].iloc[0] for p in parameters}
        tables.append(table.assign(**where)[[*where, *table.columns]])
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def format_beating(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Metrics x arms, each cell ``P=0.93, +0.012 [0.004, 0.020]`` against ``baseline``."""
    sub = table[table["baseline"] == baseline]

    def cell(row: pd.Series) -> str:
        if not row["draws"]:
            return "n/a"
        return (
            f"P={row['p_better']:.2f}, {_fmt(row['mean_diff'], sign=True)} "
            f"[{_fmt(row['q05'])}, {_fmt(row['q95'])}]"
        )

    cells = sub.assign(cell=sub.apply(cell, axis=1))
    wide = cells.pivot(index="metric", columns="arm", values="cell")
    metrics = list(dict.fromkeys(sub["metric"]))
    arms = list(dict.fromkeys(sub["arm"]))
    return wide.loc[metrics, arms]


def _fmt(x: float, sign: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    plus = "+" if sign and x > 0 else ""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{plus}{x:,.0f}"
    if abs(x) >= 10:
        return f"{plus}{x:.1f}"
    return f"{plus}{x:.3g}"
