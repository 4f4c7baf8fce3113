"""Paired comparisons between arms, and replicating until the answer is precise enough.

Arms are compared on common random numbers: replicate ``r`` of every arm (at every sweep
point) uses the same seeds, so the difference between an arm and the baseline arm is
taken replicate by replicate, and its confidence interval is much narrower than that of
two independent means.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import ScenarioError
from sim.experiments.run import Results, collect, package, resolve_run
from sim.model.metrics import HEADLINE
from sim.scenario.schema import Scenario

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
                        "baseline_mean": float(np.nanmean(b)) if len(b) else np.nan,
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


def run_until_precise(
    scenario: Scenario,
    targets: Mapping[str, float],
    max_replicates: int,
    batch: int | None = None,
    arms: Sequence[str] | None = None,
    baseline: str | None = None,
    progress: bool | None = None,
) -> tuple[Results, pd.DataFrame]:
    """Add replicates until every paired difference is known to the target precision.

    Sequential stopping: run ``batch`` replicates at a time; after each batch compute the
    paired differences of every arm from the baseline; stop when the 95% CI half-width
    of each target metric is at most its target, or at ``max_replicates``. Because
    replicate seeds do not depend on how many replicates run, the result equals a plain
    run with the final number of replicates.

    Args:
        scenario: The validated scenario.
        targets: Half-width targets per metric, e.g. ``{"mean_skill": 0.002}``.
        max_replicates: The cap.
        batch: Replicates per batch (default: the scenario's ``replicates``, at least 2).
        arms: Arms to run (default: all).
        baseline: Baseline arm (default: the first arm run).
        progress: Show progress bars.

    Returns:
        The results of the final run and the final comparison table.

    Raises:
        ScenarioError: If a target metric is unknown or the cap is below 2.
    """
    if max_replicates < 2:
        raise ScenarioError(f"--max-replicates {max_replicates}: at least 2 are needed for a CI")
    scenario, arms = resolve_run(scenario, arms)
    batch = max(batch or scenario.replicates, 2)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    frames: list[pd.DataFrame] = []
    survivals: list[pd.DataFrame] = []
    n = 0
    while True:
        upto = min(n + batch, max_replicates)
        frame, survival = collect(scenario, arms, range(n, upto), progress)
        frames.append(frame)
        survivals.append(survival)
        n = upto
        timeseries = pd.concat(frames, ignore_index=True)
        comparison = paired_differences(end_of_horizon(timeseries), baseline, list(targets))
        worst = comparison.groupby("metric")["half_width"].max()
        if n >= max_replicates or all(worst.get(m, np.inf) <= t for m, t in targets.items()):
            survival = pd.concat(survivals, ignore_index=True)
            seconds = time.perf_counter() - t0
            results = package(scenario, arms, timeseries, started, seconds, survival)
            return results, comparison
