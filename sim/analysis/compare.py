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

ID_COLUMNS = ("run_id", "point", "arm", "replicate", "seed", "week")


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
) -> pd.DataFrame:
    """Mean paired difference of each arm from the baseline arm, with a t-interval.

    Args:
        runs: One row per run: ``arm``, ``replicate`` (and ``point`` for sweeps) and
            metric columns (e.g. :func:`end_of_horizon` of a time series, or a sweep's
            ``runs.parquet``).
        baseline: The arm to compare against (default: the first arm).
        metrics: Metrics to compare (default: the headline metrics present).
        confidence: Confidence level.

    Returns:
        Tidy table: ``point`` (if any), ``arm``, ``metric``, ``baseline``, ``mean_diff``,
        ``sd``, ``n``, ``ci_low``, ``ci_high``, ``half_width``, ``baseline_mean``.

    Raises:
        ScenarioError: If the baseline arm or a metric is unknown.
    """
    arms = list(dict.fromkeys(runs["arm"]))
    baseline = baseline or arms[0]
    if baseline not in arms:
        raise ScenarioError(f"--baseline {baseline!r}: no such arm; arms: {', '.join(arms)}")
    metrics = list(metrics) if metrics else [m for m in HEADLINE if m in runs.columns]
    unknown = [m for m in metrics if m not in runs.columns]
    if unknown:
        valid = [c for c in runs.columns if c not in ID_COLUMNS]
        raise ScenarioError(f"unknown metrics {unknown}; available: {', '.join(valid)}")
    keys = ["point", "replicate"] if "point" in runs.columns else ["replicate"]
    base = runs[runs["arm"] == baseline].set_index(keys)[metrics]
    rows = []
    for arm in arms:
        if arm == baseline:
            continue
        other = runs[runs["arm"] == arm].set_index(keys)[metrics]
        diff = (other - base).dropna(how="all").reset_index()
        groups = diff.groupby("point") if "point" in keys else [(None, diff)]
        for point, g in groups:
            for m in metrics:
                v = g[m].dropna().to_numpy()
                b = base[m].xs(point, level="point") if point is not None else base[m]
                rows.append(
                    {
                        **({"point": point} if point is not None else {}),
                        "arm": arm,
                        "metric": m,
                        "baseline": baseline,
                        **_interval(v, confidence),
                        # NaN, without a warning, when the baseline has no value (e.g.
                        # participants' retention in an arm without programmes).
                        "baseline_mean": float(b.mean()) if b.notna().any() else np.nan,
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
