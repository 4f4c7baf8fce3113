"""Replicating until a comparison is precise enough: sequential stopping on CI width."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from sim.analysis.compare import end_of_horizon, paired_differences
from sim.errors import ScenarioError
from sim.experiments.run import Results, collect, package, resolve_run
from sim.scenario.schema import Scenario


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
    cohorts: list[pd.DataFrame] = []
    n = 0
    while True:
        upto = min(n + batch, max_replicates)
        frame, survival, cohort = collect(scenario, arms, range(n, upto), progress)
        frames.append(frame)
        survivals.append(survival)
        cohorts.append(cohort)
        n = upto
        timeseries = pd.concat(frames, ignore_index=True)
        comparison = paired_differences(end_of_horizon(timeseries), baseline, list(targets))
        worst = comparison.groupby("metric")["half_width"].max()
        if n >= max_replicates or all(worst.get(m, np.inf) <= t for m, t in targets.items()):
            survival = pd.concat(survivals, ignore_index=True)
            seconds = time.perf_counter() - t0
            cohort = pd.concat(cohorts, ignore_index=True)
            results = package(scenario, arms, timeseries, started, seconds, survival, cohort)
            return results, comparison
