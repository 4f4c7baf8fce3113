"""Running scenarios: arms x replicates with common random numbers, tidy results out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.effects import effect_sizes, snapshot_weeks, summary_rows
from sim.analysis.summary import format_table, summarise
from sim.errors import ScenarioError, did_you_mean
from sim.model.cohort import CohortRecorder
from sim.model.collector import settle
from sim.model.metrics import HEADLINE
from sim.model.workplace import ReplicateBatch, WorkplaceModel
from sim.provenance import provenance
from sim.scenario.loading import validate_scenario
from sim.scenario.orgdata import data_provenance
from sim.scenario.resources import batch_size, check_memory
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.experiments.posterior import DrawPlan


@dataclass(frozen=True)
class Results:
    """What a scenario run produces.

    Attributes:
        scenario: The scenario as run (after inheritance, overrides and defaults).
        timeseries: Tidy table, one row per (arm, replicate, week), one column per metric.
        summary: Tidy table, one row per (arm, metric): end-of-horizon mean and 95% CI.
        metadata: Provenance: versions, git commit, seeds, start and wall time.
        survival: Time to leaving per employee, arm and replicate (see
            :meth:`sim.model.workplace.WorkplaceModel.survival_table`).
        cohort: Person-level snapshots of the initial cohort at every programme's end
            and the horizon, per arm and replicate (:mod:`sim.model.cohort`); None or
            empty without a control arm and a programme.
        effects: Effect sizes of every programme on its learners against the control
            arm, latent and observed, with CIs (:func:`sim.analysis.effects.effect_sizes`).
        posterior_draws: In a run over a posterior, one row per replicate: its
            ``draw``, the posterior ``particle`` drawn and the parameter values it ran
            under (:mod:`sim.experiments.posterior`); None otherwise.
        uncertainty: In a run over a posterior, the probability that each arm beats
            each other arm on each headline metric, with credible intervals
            (:func:`sim.analysis.uncertainty.all_pairs`; the control arm's rows first).
        posterior: In a run over a posterior, the weighted particles drawn from.
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    summary: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    survival: pd.DataFrame | None = None
    cohort: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    posterior_draws: pd.DataFrame | None = None
    uncertainty: pd.DataFrame | None = None
    posterior: pd.DataFrame | None = None

    def table(self, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
        """End-of-horizon means with 95% CIs as a wide table (arms x metrics) of strings."""
        return format_table(self.summary, metrics)


def run_arm(scenario: Scenario, arm: str, replicate: int, seed: int | None = None) -> pd.DataFrame:
    """Run one replicate of one arm and return its weekly metrics.

    Args:
        scenario: The validated scenario.
        arm: Name of the arm.
        replicate: Replicate number; the same number draws the same seeds in every arm.
        seed: Overrides the scenario's root seed.

    Returns:
        One row per week (0 to the horizon) with ``arm``, ``replicate`` and ``seed`` columns.
    """
    return run_arm_tables(scenario, arm, replicate, seed)[0]


def run_arm_tables(
    scenario: Scenario,
    arm: str,
    replicate: int,
    seed: int | None = None,
    weeks: Sequence[int] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run one replicate of one arm; return its weekly metrics, survival and cohort tables.

    Args:
        scenario: The validated scenario.
        arm: Name of the arm.
        replicate: Replicate number.
        seed: Overrides the scenario's root seed.
        weeks: Weeks after which to snapshot the initial cohort (none: no snapshots,
            and the run is exactly :meth:`WorkplaceModel.run`).

    Returns:
        The time series (as :func:`run_arm`), the survival table
        (:meth:`WorkplaceModel.survival_table` with ``arm`` and ``replicate`` columns)
        and the cohort's snapshots (:class:`CohortRecorder`, with the same columns;
        empty without ``weeks``).
    """
    return run_batch_tables(scenario, arm, [replicate], seed, weeks)[0]


def run_batch_tables(
    scenario: Scenario,
    arm: str,
    replicates: Sequence[int],
    seed: int | None = None,
    weeks: Sequence[int] = (),
) -> list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Run several replicates of one arm together (:class:`ReplicateBatch`).

    Each replicate gives exactly the tables :func:`run_arm_tables` gives for it alone;
    together they share the weekly passes over positions.

    Args:
        scenario: The validated scenario.
        arm: Name of the arm.
        replicates: Replicate numbers.
        seed: Overrides the scenario's root seed.
        weeks: Weeks after which to snapshot the initial cohort.

    Returns:
        One ``(timeseries, survival, cohort)`` per replicate, in the given order.
    """
    settle()  # the process's long-lived objects out of the cycle collector's work, once
    models = [WorkplaceModel(scenario, arm=arm, replicate=r, seed=seed) for r in replicates]
    batch = ReplicateBatch(models)
    horizon = models[0].params.horizon_weeks
    if weeks:
        recorders = [CohortRecorder(m, weeks) for m in models]
        for _ in range(horizon):
            batch.step()
            for m, recorder in zip(models, recorders, strict=True):
                recorder.after_week(m)
    else:
        batch.run(horizon)
    out = []
    for i, (r, model) in enumerate(zip(replicates, models, strict=True)):
        frame = _timeseries(arm, r, model)
        survival = model.survival_table()
        survival.insert(0, "arm", arm)
        survival.insert(1, "replicate", r)
        cohort = recorders[i].table({"arm": arm, "replicate": r}) if weeks else pd.DataFrame()
        out.append((frame, survival, cohort))
    return out


def _timeseries(arm: str, replicate: int, model: WorkplaceModel) -> pd.DataFrame:
    """One run's weekly records as a table: ``arm``, ``replicate``, ``seed``, then the metrics.

    Built column by column, as ``pd.DataFrame.from_records`` would build it (every
    record names the same metrics in the same order, :func:`sim.model.metrics.measure`):
    each metric's values become one array, whose type numpy infers from the values
    (integers stay integers, a column with any float is float).
    """
    records = model.records
    columns: dict[str, Any] = {"arm": arm, "replicate": replicate, "seed": model.seed}
    values = zip(*[record.values() for record in records], strict=True)
    columns.update(zip(records[0], map(np.array, values), strict=True))
    return pd.DataFrame(columns)


def resolve_run(
    scenario: Scenario,
    arms: Sequence[str] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    source: str = "<scenario>",
) -> tuple[Scenario, list[str]]:
    """Check the arms, replicates and seed of a run and apply them to the scenario.

    Args:
        scenario: The validated scenario.
        arms: Arms to run, each once, in this order (default: all).
        replicates: Replicates per arm (default: the scenario's).
        seed: Root seed (default: the scenario's).
        source: Where the scenario came from, for messages.

    Returns:
        The scenario with ``replicates`` and ``seed`` applied, and the list of arms.

    Raises:
        ScenarioError: If an arm is unknown or a value is out of range, naming the
            option and what is allowed.
    """
    chosen = list(dict.fromkeys(arms or scenario.arms))
    for name in chosen:
        if name not in scenario.arms:
            raise ScenarioError(
                f"--arm {name!r}: no such arm in {source}{did_you_mean(name, scenario.arms)}; "
                f"arms in this scenario: {', '.join(scenario.arms)}"
            )
    check_memory(scenario, source=source)
    updates = {k: v for k, v in {"replicates": replicates, "seed": seed}.items() if v is not None}
    if updates:
        raw = {**scenario.model_dump(mode="python"), **updates}
        options = {key: f"--{key} {value}" for key, value in updates.items()}
        scenario = validate_scenario(raw, source=source, set_paths=options)
    return scenario, chosen


def run_scenario(
    scenario: Scenario,
    arms: Sequence[str] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    posterior: str | Path | pd.DataFrame | None = None,
    posterior_draws: int | None = None,
    source: str = "<scenario>",
) -> Results:
    """Run every arm of a scenario for every replicate.

    Replicate ``r`` uses child ``r`` of ``SeedSequence(seed)`` in every arm, so arms are
    compared on common random numbers.

    Args:
        scenario: The validated scenario (see :func:`sim.load_scenario`).
        arms: Arms to run (default: all, in the scenario's order).
        replicates: Number of replicates (default: the scenario's).
        seed: Root seed (default: the scenario's).
        progress: Show a progress bar; by default only when writing to a terminal or
            notebook.
        posterior: Run over a posterior: a calibration folder (with
            ``posterior.parquet``) or a DataFrame of parameter paths and ``weight``.
            Each posterior draw's parameters are set in every arm of its replicates
            (:mod:`sim.experiments.posterior`), and the results gain
            ``posterior_draws`` and ``uncertainty``.
        posterior_draws: Posterior draws ``K`` (default: one per replicate); the
            replicates are split evenly, ``replicates / K`` per draw.
        source: Where the scenario came from, for messages.

    Returns:
        The results, with tidy time series and summary tables.

    Raises:
        ScenarioError: If an arm is unknown, ``replicates`` or ``seed`` is out of range,
            or the posterior is refused (:func:`sim.experiments.posterior.plan_draws`).
    """
    scenario, arms = resolve_run(scenario, arms, replicates, seed, source=source)
    plan = None
    if posterior is not None:
        from sim.experiments.posterior import plan_draws

        plan = plan_draws(scenario, posterior, posterior_draws, source=source)
    elif posterior_draws is not None:
        raise ScenarioError("--posterior-draws needs --posterior (a calibration folder)")
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    scenarios = plan.scenario_of if plan is not None else None
    timeseries, survival, cohort = collect(
        scenario, arms, range(scenario.replicates), progress, scenarios
    )
    seconds = time.perf_counter() - t0
    return package(scenario, arms, timeseries, started, seconds, survival, cohort, plan)


def collect(
    scenario: Scenario,
    arms: Sequence[str],
    replicates: range,
    progress: bool | None = None,
    scenarios: Callable[[int], Scenario] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the given replicates of the given arms; return time series, survival and cohort.

    The replicates of each arm run in batches (:func:`run_batch_tables`, sized by
    :func:`sim.scenario.resources.batch_size`); the results are those of separate runs.
    The initial cohort is measured at every programme's end and the horizon
    (:func:`sim.analysis.effects.snapshot_weeks`) when the arms include a control arm
    and a programme.

    Args:
        scenario: The validated scenario.
        arms: Arms to run.
        replicates: Replicate numbers.
        progress: Show a progress bar.
        scenarios: The scenario of each replicate, when they differ (a run over a
            posterior); a batch holds consecutive replicates of one scenario.
    """
    weeks = snapshot_weeks(scenario, arms)
    size = batch_size(scenario, len(replicates))
    chunks = _chunks(replicates, size, scenarios)
    frames, survivals, cohorts = [], [], []
    with _progress(len(replicates) * len(arms), progress, scenario.name) as bar:
        for chunk in chunks:
            chosen = scenarios(chunk[0]) if scenarios is not None else scenario
            for arm in arms:
                for frame, survival, cohort in run_batch_tables(chosen, arm, chunk, weeks=weeks):
                    frames.append(frame)
                    survivals.append(survival)
                    cohorts.append(cohort)
                bar.update(len(chunk))
    return (
        pd.concat(frames, ignore_index=True),
        pd.concat(survivals, ignore_index=True),
        pd.concat(cohorts, ignore_index=True),
    )


def _chunks(
    replicates: range, size: int, scenarios: Callable[[int], Scenario] | None
) -> list[list[int]]:
    """Consecutive replicates of one scenario, at most ``size`` to a batch."""
    chunks: list[list[int]] = []
    for r in replicates:
        if (
            not chunks
            or len(chunks[-1]) == size
            or (scenarios is not None and scenarios(r) is not scenarios(chunks[-1][0]))
        ):
            chunks.append([])
        chunks[-1].append(r)
    return chunks


def package(
    scenario: Scenario,
    arms: Sequence[str],
    timeseries: pd.DataFrame,
    started: datetime,
    seconds: float,
    survival: pd.DataFrame | None = None,
    cohort: pd.DataFrame | None = None,
    plan: DrawPlan | None = None,
) -> Results:
    """Sort a time series into the canonical order; attach summary, effects and provenance.

    With a posterior's ``plan``, also the draws of every replicate and the probability
    that each arm beats each other arm (:mod:`sim.analysis.uncertainty`).
    """
    arms = list(arms)
    timeseries = timeseries.sort_values(["arm", "replicate", "week"], key=_arm_order(arms))
    timeseries = timeseries.reset_index(drop=True)
    n_replicates = int(timeseries["replicate"].nunique())
    scenario = scenario.model_copy(update={"replicates": n_replicates})
    meta = provenance()
    meta.update(
        scenario=scenario.name,
        data=data_provenance(scenario),
        arms=arms,
        replicates=n_replicates,
        horizon_weeks=scenario.horizon_weeks,
        seed=scenario.seed,
        replicate_seeds=(
            "replicate r of every arm uses numpy.random.SeedSequence(seed, spawn_key=(r,))"
        ),
        started_utc=started.isoformat(timespec="seconds"),
        wall_time_seconds=round(seconds, 3),
    )
    if survival is not None:
        survival = survival.sort_values(
            ["arm", "replicate"],
            key=_arm_order(arms),
            kind="stable",
        ).reset_index(drop=True)
    effects = None
    if cohort is not None and not cohort.empty:
        cohort = cohort.sort_values(
            ["arm", "replicate", "week", "employee_id"], key=_arm_order(arms)
        ).reset_index(drop=True)
        # Arms without a programme have no flag for it: they assigned nobody to it.
        flags = [c for c in cohort.columns if c.startswith("learner:")]
        cohort[flags] = cohort[flags].fillna(False).astype(bool)
        effects = effect_sizes(cohort, scenario)
    summary = summarise(timeseries)
    if effects is not None and not effects.empty:
        summary = pd.concat([summary, summary_rows(effects)], ignore_index=True)
    draws = uncertainty = particles = None
    if plan is not None:
        from sim.analysis.compare import end_of_horizon
        from sim.analysis.effects import control_arm
        from sim.analysis.uncertainty import all_pairs

        meta["posterior"] = plan.metadata()
        draws = plan.table
        particles = plan.posterior.table
        first = control_arm(scenario, arms) or arms[0]
        uncertainty = all_pairs(end_of_horizon(timeseries), draws, first)
    return Results(
        scenario,
        timeseries,
        summary,
        meta,
        survival,
        cohort,
        effects,
        posterior_draws=draws,
        uncertainty=uncertainty,
        posterior=particles,
    )


def _arm_order(arms: list[str]):
    rank = {a: i for i, a in enumerate(arms)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(rank) if col.name == "arm" else col

    return key


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _progress(total: int, show: bool | None, name: str):
    if show is False:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=name, unit="run", disable=None if show is None else not show)
