"""Paired comparisons between arms, replicate by replicate.

Arms are compared on common random numbers: replicate ``r`` of every arm (at every sweep
point) uses the same seeds, so the difference between an arm and the baseline arm is
taken replicate by replicate, and its confidence interval is much narrower than that of
two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import ScenarioError
from sim.model.metrics import HEADLINE

ID_COLUMNS = ("run_id", "point", "arm", "replicate", "seed", "draw", "week")


def end_of_horizon(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The last week of each run (one row per arm and replicate, and point if any)."""
    keys = [c for c in ("point", "arm", "replicate") if c in timeseries.columns]
    last = timeseries.groupby(keys, sort=False)["week"].transform("max")
    return timeseries[timeseries["week"] == last].reset_index(drop=True)


def paired_differences(
    runs: pd.DataFrame,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    parameters: Sequence[str] = (),
) -> pd.DataFrame:
    """Mean paired difference of each arm from the baseline arm, with a t-interval.

    Args:
        runs: One row per run: ``arm``, ``replicate`` (and ``point`` for sweeps) and
            metric columns (e.g. :func:`end_of_horizon` of a time series, or a sweep's
            ``runs.parquet``).
        baseline: The arm to compare against (default: the first arm).
        metrics: Metrics to compare (default: the headline metrics present).
        confidence: Confidence level.
        parameters: Columns of ``runs`` that describe each sweep point (the swept
            parameters' dotted paths, as in ``runs.parquet``), copied into the table
            after ``point`` with their values as in the scenario.

    Returns:
        Tidy table: ``point`` and the ``parameters`` (if any), ``arm``, ``metric``,
        ``baseline``, ``mean_diff``, ``sd``, ``n``, ``ci_low``, ``ci_high``,
        ``half_width``, ``baseline_mean``. Every arm has a row per metric at every
        point with a finished run; ``n`` counts the replicates paired there, and where
        fewer than two are (or the metric has no value, as participants' retention in
        an arm without programmes) the interval is NaN.

    Raises:
        ScenarioError: If the baseline arm, a metric or a parameter is unknown, or no
            metric is left to compare.
    """
    arms = list(dict.fromkeys(runs["arm"]))
    baseline = baseline or arms[0]
    if baseline not in arms:
        raise ScenarioError(f"--baseline {baseline!r}: no such arm; arms: {', '.join(arms)}")
    parameters = list(parameters)
    valid = [c for c in runs.columns if c not in ID_COLUMNS and c not in parameters]
    metrics = list(metrics) if metrics else [m for m in HEADLINE if m in runs.columns]
    unknown = [m for m in metrics if m not in runs.columns]
    if unknown:
        raise ScenarioError(f"unknown metrics {unknown}; available: {', '.join(valid)}")
    if not metrics:
        raise ScenarioError(f"no headline metric to compare; name one of: {', '.join(valid)}")
    missing = [p for p in parameters if p not in runs.columns]
    if missing or (parameters and "point" not in runs.columns):
        raise ScenarioError(
            f"parameters {missing or parameters} are not columns of a sweep's run table"
        )
    sweep = "point" in runs.columns
    keys = ["point", "replicate"] if sweep else ["replicate"]
    # The values of each point's parameters, each with its column's type (a row of a
    # table with integer and float columns would make the integers floats).
    first = runs.groupby("point")[parameters].first() if parameters else None
    base = runs[runs["arm"] == baseline].set_index(keys)[metrics]
    base_points = base.index.get_level_values("point") if sweep else None
    # Every point with a finished run, even where no replicate pairs (n = 0: the arm's
    # or the baseline's runs failed there), so that no point drops out of the table.
    points = sorted(set(runs["point"])) if sweep else [None]
    rows = []
    for arm in arms:
        if arm == baseline:
            continue
        diff = runs[runs["arm"] == arm].set_index(keys)[metrics] - base
        diff_points = diff.index.get_level_values("point") if sweep else None
        for point in points:
            g = diff[diff_points == point] if sweep else diff
            b = base[base_points == point] if sweep else base
            where = {"point": point} if sweep else {}
            if first is not None:
                where.update({p: first.at[point, p] for p in parameters})
            for m in metrics:
                rows.append(
                    {
                        **where,
                        "arm": arm,
                        "metric": m,
                        "baseline": baseline,
                        **_interval(g[m].dropna().to_numpy(), confidence),
                        # NaN, without a warning, when the baseline has no value (e.g.
                        # participants' retention in an arm without programmes).
                        "baseline_mean": float(b[m].mean()) if b[m].notna().any() else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def _interval(v: np.ndarray, confidence: float) -> dict[str, float]:
    n = len(v)
    mean = float(v.mean()) if n else np.nan
    sd = float(v.std(ddof=1)) if n > 1 else np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else np.nan
    return {
        "mean_diff": mean,
        "sd": sd,
        "n": n,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "half_width": half,
    }
