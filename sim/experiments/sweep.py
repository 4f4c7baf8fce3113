"""Sweeps: many runs over parameter points, streamed to disk, resumable, on any executor.

A sweep folder holds:

* ``plan.parquet``: every run (deterministic ``run_id``, point, arm, replicate, seed, the
  posterior ``draw`` in a sweep over a posterior, and the point's parameter values),
  written once before any run starts;
* ``timeseries/<run_id>.parquet``: one part per finished run, written atomically
  (temporary file, then rename), together a Parquet dataset (``pd.read_parquet(folder)``);
* ``log.jsonl``: one line of strict JSON per finished or failed run (status, error,
  traceback, end-of-horizon metrics, with NaN and infinities as null), appended and
  flushed as runs finish;
* at the end: ``runs.parquet`` (one row per finished run: point parameters, arm,
  replicate, seed, end-of-horizon metrics), ``manifest.csv`` (every planned run and its
  status), ``scenario.resolved.toml`` and ``metadata.json``;
* in a sweep over a posterior (``run_sweep(..., posterior=...)``, ``wlsim sweep
  --posterior DIR``): ``posterior.parquet`` (the particles drawn from) and
  ``posterior_draws.parquet`` (per replicate: its draw, the particle and its values).

Interrupting a sweep (Ctrl-C, kill, crash) loses at most the runs in flight: a resumed
sweep skips every run whose part and log line exist, and the final files equal those of
an uninterrupted sweep. Results are identical whatever the executor and worker count:
each run's numbers depend only on the scenario, the point and the replicate seed (and,
over a posterior, the replicate's draw).

Over a posterior, replicate ``r`` of every point and arm runs under posterior draw
``r // M`` (``M`` replicates per draw), drawn exactly as ``wlsim run --posterior`` draws it
(:func:`sim.experiments.posterior.plan_draws`): the same draw in every arm and at every
point, so points are compared on common random numbers and common parameters too. The
draw's values are set on top of the point's values; a swept parameter may not be drawn.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import SAMPLING_KEY, control_arm, salib_problem
from sim.errors import ScenarioError
from sim.experiments.folders import MARKER, check_output, lock, marker, new_folder, publish
from sim.experiments.pool import WorkerPool, fault_point, worker_died
from sim.experiments.posterior import POSTERIOR_FILE, DrawPlan, Posterior, plan_draws
from sim.experiments.run import run_batch_tables
from sim.files import atomic_write
from sim.provenance import provenance, wlsim_version
from sim.scenario.loading import dump_scenario, validate_scenario
from sim.scenario.orgdata import data_provenance
from sim.scenario.paths import as_parameter, value_at, whole_number, with_value
from sim.scenario.resources import available_bytes, batch_size
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Job:
    """One run of a sweep: what a worker needs to compute it."""

    run_id: str
    point: int
    arm: str
    replicate: int
    scenario: Scenario
    draw: int = 0  # the posterior draw (0 in a sweep without a posterior)


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`.

    Attributes:
        folder: The sweep folder.
        n_runs: Runs planned.
        n_done: Runs finished (including those finished by earlier, interrupted calls).
        failed: Run ids that raised, with their error messages.
        runs: Run-level table (one row per finished run).
        notes: What was found and repaired in the folder when resuming (a run log cut
            short, runs recovered from their parts).
    """

    folder: Path
    n_runs: int
    n_done: int
    failed: dict[str, str] = field(default_factory=dict)
    runs: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


# --- the plan ------------------------------------------------------------------------------


def sample_points(scenario: Scenario) -> list[dict[str, Any]]:
    """The parameter points of a scenario's sweep, as ``{path: value}`` dicts.

    Args:
        scenario: A scenario with a ``[sweep]`` section.

    Returns:
        One dict per point, in a fixed order; a single empty dict when nothing is swept.

    Raises:
        ScenarioError: If a path does not name a scenario parameter.
    """
    sweep = scenario.sweep
    base = scenario.model_dump(mode="python")
    for path in sweep.paths:
        value_at(base, path)  # raises on unknown paths
    grid = [
        dict(zip(sweep.grid, combo, strict=True))
        for combo in itertools.product(*sweep.grid.values())
    ]
    if not sweep.ranges:
        return grid
    names = list(sweep.ranges)
    bounds = np.array([sweep.ranges[n] for n in names], dtype=float)
    unit = _unit_sample(sweep.method, len(names), sweep.n_samples, scenario.seed, bounds)
    values = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    integer = [whole_number(value_at(base, n)) for n in names]
    sampled = [
        {n: as_parameter(v, is_int) for n, v, is_int in zip(names, row, integer, strict=True)}
        for row in values
    ]
    return [{**g, **s} for g in grid for s in sampled]


def _unit_sample(method: str, d: int, n: int, seed: int, bounds: np.ndarray) -> np.ndarray:
    """Points in the unit cube (or, for SALib designs, already scaled back to it)."""
    rng_seed = np.random.SeedSequence(seed, spawn_key=(SAMPLING_KEY,)).generate_state(1)[0]
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(rng_seed)).random(n)
    problem = salib_problem([f"x{i}" for i in range(d)], np.tile([0.0, 1.0], (d, 1)))
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, seed=int(rng_seed))
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=4, seed=int(rng_seed))


#: The most runs one sweep may plan (each run is a row of the plan, kept in memory).
MAX_RUNS = 2_000_000

#: Memory the plan takes per point (its validated scenario) and per run (job and row).
PLAN_BYTES_PER_POINT = 60_000
PLAN_BYTES_PER_RUN = 1_500


def _grid_size(scenario: Scenario) -> int:
    """Number of combinations of the sweep's grid values (1 without a grid)."""
    return int(np.prod([len(v) for v in scenario.sweep.grid.values()], dtype=np.int64))


def count_points(scenario: Scenario) -> int:
    """How many points a scenario's sweep has, computed without drawing them."""
    sweep = scenario.sweep
    n = _grid_size(scenario)
    d = len(sweep.ranges)
    if d:
        per_sample = {"lhs": 1, "sobol": d + 2, "morris": d + 1}.get(sweep.method, 1)
        n *= sweep.n_samples * per_sample
    return n


def check_plan_size(scenario: Scenario, source: str = "<scenario>", n_draws: int = 1) -> None:
    """Refuse a sweep whose plan alone exceeds :data:`MAX_RUNS` or the memory available.

    Args:
        scenario: The scenario with its ``[sweep]`` section.
        source: Where it came from, for messages.
        n_draws: Posterior draws (each point keeps one validated scenario per draw).

    Raises:
        ScenarioError: With the count, how it arises, and what to change.
    """
    from sim.scenario.resources import available_bytes

    points = count_points(scenario)
    replicates = scenario.sweep.replicates or scenario.replicates
    runs = points * replicates * len(scenario.arms)
    how = (
        f"{points:,} points (method {scenario.sweep.method!r}, n_samples = "
        f"{scenario.sweep.n_samples:,}, {len(scenario.sweep.ranges)} ranges, grid of "
        f"{_grid_size(scenario):,}) x {replicates} "
        f"replicates x {len(scenario.arms)} arms = {runs:,} runs"
    )
    if runs > MAX_RUNS:
        raise ScenarioError(
            f"{source}: sweep: {how}, more than the {MAX_RUNS:,} one sweep may plan; lower "
            "sweep.n_samples, the grid, the replicates or the arms, or split the sweep"
        )
    need = points * n_draws * PLAN_BYTES_PER_POINT + runs * PLAN_BYTES_PER_RUN
    have = available_bytes()
    if have is not None and need > have:
        raise ScenarioError(
            f"{source}: sweep: {how}; planning them would need about {need / 2**30:.1f} GiB "
            f"and {have / 2**30:.1f} GiB are available; lower sweep.n_samples or the grid"
        )


def plan(
    scenario: Scenario,
    source: str = "<scenario>",
    progress: bool | None = False,
    draws: DrawPlan | None = None,
) -> tuple[list[Job], pd.DataFrame]:
    """Every run of a sweep, each point validated before anything runs.

    Args:
        scenario: The scenario with its ``[sweep]`` section.
        source: Where it came from, for messages.
        progress: Show a progress bar while the points are validated (by default
            none; None: in terminals and notebooks, for plans of many points).
        draws: The posterior draws of a sweep over a posterior (:func:`plan_posterior`):
            replicate ``r`` of every point and arm runs under draw ``r // M``, its
            values set on top of the point's.

    Returns:
        The jobs and the plan table (run_id, point, arm, replicate, seed, ``draw`` over
        a posterior, parameters).

    Raises:
        ScenarioError: If a point gives an invalid scenario (the message names the
            point, and the draw), ``sweep.baseline`` names no arm, or the plan is too
            large (:func:`check_plan_size`).
    """
    check_plan_size(scenario, source, draws.n_draws if draws is not None else 1)
    try:
        control_arm(scenario)  # a misspelt sweep.baseline is refused before anything runs
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    points = sample_points(scenario)
    replicates = scenario.sweep.replicates or scenario.replicates
    base = scenario.model_dump(mode="python")
    jobs: list[Job] = []
    rows = []
    from tqdm.auto import tqdm

    quiet = progress is False or (progress is None and len(points) < 1000)
    disable = True if quiet else (None if progress is None else False)  # None: terminals
    for i, point in enumerate(tqdm(points, desc="planning", unit="point", disable=disable)):
        raw = dict(base)
        for path, value in point.items():
            raw = with_value(raw, path, value)
        label = ", ".join(f"{k}={v!r}" for k, v in point.items()) or "base"
        where = f"{source} (sweep point {i}: {label})"
        point_scenario = validate_scenario(raw, source=where)
        of_draw = _draw_scenarios(raw, draws, where) if draws is not None else None
        for r in range(replicates):
            d = r // draws.per_draw if draws is not None else 0
            chosen = of_draw[d] if of_draw is not None else point_scenario
            for arm in scenario.arms:
                run_id = f"p{i:05d}-r{r:04d}-{arm}"
                jobs.append(Job(run_id, i, arm, r, chosen, d))
                row: dict[str, Any] = {
                    "run_id": run_id,
                    "point": i,
                    "arm": arm,
                    "replicate": r,
                    "seed": scenario.seed,
                }
                if draws is not None:
                    row["draw"] = d
                rows.append(row | point)
    return jobs, pd.DataFrame(rows)


def _draw_scenarios(raw: dict[str, Any], draws: DrawPlan, where: str) -> list[Scenario]:
    """A point's scenario under each posterior draw (one per particle drawn, shared)."""
    by_particle: dict[int, Scenario] = {}
    out = []
    particles = draws.table.groupby("draw", sort=True)["particle"].first()
    for d, values in enumerate(draws.values):
        p = int(particles.loc[d])
        if p not in by_particle:
            changed = raw
            for path, value in values.items():
                changed = with_value(changed, path, value)
            label = ", ".join(f"{k}={v!r}" for k, v in values.items())
            by_particle[p] = validate_scenario(
                changed,
                source=f"{where} under posterior draw {d}, particle {p} of "
                f"{draws.posterior.source} ({label})",
            )
        out.append(by_particle[p])
    return out


def plan_posterior(
    scenario: Scenario,
    posterior: str | Path | pd.DataFrame | Posterior | None,
    n_draws: int | None = None,
    source: str = "<scenario>",
) -> DrawPlan | None:
    """The posterior draws of a sweep, drawn and seeded as ``wlsim run --posterior`` does.

    Args:
        scenario: The scenario with its ``[sweep]`` section.
        posterior: A calibration folder, a table of particles, a
            :class:`~sim.experiments.posterior.Posterior`, or None (no posterior).
        n_draws: Posterior draws ``K`` (default: one per replicate); each point's
            replicates (``sweep.replicates``, else ``replicates``) must be a multiple.
        source: Where the scenario came from, for messages.

    Returns:
        The draws (:func:`sim.experiments.posterior.plan_draws` over the points'
        replicates), or None without a posterior.

    Raises:
        ScenarioError: If ``n_draws`` is given without a posterior, the posterior is
            refused (:func:`~sim.experiments.posterior.plan_draws`), or it sets a swept
            parameter (each is named).
    """
    if posterior is None:
        if n_draws is not None:
            raise ScenarioError("--posterior-draws needs --posterior DIR (a calibration folder)")
        return None
    option = "--set sweep.replicates={}" if scenario.sweep.replicates else "--set replicates={}"
    draws = plan_draws(
        scenario,
        posterior,
        n_draws,
        source=source,
        replicates=scenario.sweep.replicates or scenario.replicates,
        replicates_option=option,
    )
    both = [
        f"{swept} (drawn as {drawn})" if swept != drawn else swept
        for swept in scenario.sweep.paths
        for drawn in draws.posterior.paths
        if swept == drawn or swept.startswith(f"{drawn}.") or drawn.startswith(f"{swept}.")
    ]
    if both:
        raise ScenarioError(
            f"--posterior {draws.posterior.source}: the sweep of {source} sweeps parameters "
            f"that the posterior also sets: {', '.join(both)}; a run cannot take both values. "
            "Remove them from [sweep], or drop their columns from the posterior"
        )
    return draws


def _fingerprint(draws: DrawPlan | None) -> dict[str, Any] | None:
    """What the sweep folder records of its posterior, checked on ``--resume``."""
    if draws is None:
        return None
    return {
        "source": draws.posterior.source,
        "sha256": draws.posterior.sha256,
        "draws": draws.n_draws,
        "replicates_per_draw": draws.per_draw,
    }


#: The columns of ``plan.parquet`` that identify a run; the others are the swept parameters.
#: ``draw`` (the posterior draw) is there only in a sweep over a posterior.
RUN_COLUMNS = ("run_id", "point", "arm", "replicate", "seed", "draw")


def swept_parameters(folder: str | Path) -> list[str]:
    """The swept parameters' dotted paths, in the plan's order, read from a sweep folder.

    They are columns of ``plan.parquet`` and ``runs.parquet``; join them to the time
    series dataset on ``run_id``.

    Raises:
        ScenarioError: If the folder holds no sweep (no ``plan.parquet``).
    """
    import pyarrow.parquet as pq

    path = Path(folder) / "plan.parquet"
    if not path.is_file():
        raise ScenarioError(f"{folder}: not a sweep folder (no plan.parquet)")
    return [c for c in pq.read_schema(path).names if c not in RUN_COLUMNS]


# --- running -------------------------------------------------------------------------------


Outcome = tuple[str, pd.DataFrame | None, str | None, str | None]


def execute(jobs: tuple[Job, ...]) -> list[Outcome]:
    """Run jobs of one point and arm together; never raises for a model error.

    The replicates advance as one batch (:func:`sim.experiments.run.run_batch_tables`),
    each giving exactly what it gives alone. If the batch raises, each job is run alone,
    so that only the runs that fail are recorded as failed.

    Returns:
        One ``(run_id, timeseries, error, traceback)`` per job, in order; the time series
        is None on error.
    """
    for job in jobs:
        fault_point(job.run_id)
    return _run(jobs)


def _run(jobs: tuple[Job, ...]) -> list[Outcome]:
    first = jobs[0]
    try:
        tables = run_batch_tables(first.scenario, first.arm, [j.replicate for j in jobs])
    except Exception:
        if len(jobs) == 1:
            return [_failed(first)]
        return [outcome for job in jobs for outcome in _run((job,))]
    return [_finished_run(job, t[0]) for job, t in zip(jobs, tables, strict=True)]


def _finished_run(job: Job, frame: pd.DataFrame) -> Outcome:
    frame.insert(0, "run_id", job.run_id)
    frame.insert(1, "point", job.point)
    return job.run_id, _keep(frame, job.scenario), None, None


def _failed(job: Job) -> Outcome:
    """The outcome of a run that raised: the error and traceback being handled."""
    exc = sys.exc_info()[1]
    return job.run_id, None, f"{type(exc).__name__}: {exc}", traceback.format_exc()


def batches(jobs: list[Job], workers: int) -> list[tuple[Job, ...]]:
    """Group jobs of the same point, arm and posterior draw into batches (:func:`batch_size`).

    A batch runs under one scenario: over a posterior, each draw has its own.

    Args:
        jobs: Jobs to run, in plan order.
        workers: Worker processes sharing them.

    Returns:
        The batches, in the order each point, arm and draw first appears.
    """
    groups: dict[tuple[int, str, int], list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.point, job.arm, job.draw), []).append(job)
    out: list[tuple[Job, ...]] = []
    have = available_bytes()  # once: a sweep may have hundreds of thousands of groups
    for group in groups.values():
        size = batch_size(group[0].scenario, len(group), workers, available=have)
        out.extend(tuple(group[i : i + size]) for i in range(0, len(group), size))
    return out


def _keep(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    sweep = scenario.sweep
    last = frame["week"].max()
    if sweep.keep_weeks == "last":
        frame = frame[frame["week"] == last]
    elif isinstance(sweep.keep_weeks, int):
        frame = frame[(frame["week"] % sweep.keep_weeks == 0) | (frame["week"] == last)]
    if sweep.metrics:
        ids = ["run_id", "point", "arm", "replicate", "seed", "week"]
        frame = frame[ids + [m for m in sweep.metrics if m not in ids]]
    return frame.reset_index(drop=True)


class _Serial(futures.Executor):
    """Runs each job when submitted, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        fut: futures.Future = futures.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def executor_workers(executor: futures.Executor | None) -> int:
    """Workers an executor runs jobs on; 0: it runs them in this process.

    A Dask executor is asked its cluster's workers; a local pool says how many processes
    it has (one process is no gain over this one). The number sets only how much work
    is in flight and how it is batched, never a result.
    """
    if executor is None:
        return 0
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if client is not None:
        return max(len(client.scheduler_info().get("workers", {})), 1)
    workers = int(getattr(executor, "_max_workers", 0) or 0)
    return workers if workers > 1 else 0


@contextlib.contextmanager
def make_executor(workers: int = 1, scheduler: str | None = None) -> Iterator[futures.Executor]:
    """An executor: serial, a local process pool, or a Dask cluster.

    Local workers are a :class:`~sim.experiments.pool.WorkerPool`: replaced when a worker
    dies, and ended when this process ends, however it ends.

    Args:
        workers: Local worker processes (1: run in this process).
        scheduler: Address of a Dask scheduler (``tcp://HOST:PORT``); needs the
            ``cluster`` extra (``pip install wlsim[cluster]``).

    Yields:
        A ``concurrent.futures.Executor``.

    Raises:
        ScenarioError: If Dask is not installed or the scheduler cannot be reached.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ScenarioError(
                "--scheduler needs Dask: pip install 'wlsim[cluster]' (dask[distributed])"
            ) from None
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ScenarioError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif workers > 1:
        with WorkerPool(workers) as pool:
            yield pool
    else:
        yield _Serial()


def run_sweep(
    scenario: Scenario,
    folder: str | Path,
    executor: futures.Executor | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    source: str = "<scenario>",
    window: int | None = None,
    posterior: str | Path | pd.DataFrame | Posterior | None = None,
    posterior_draws: int | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into ``folder``.

    Args:
        scenario: The scenario with its ``[sweep]`` section.
        folder: The sweep folder.
        executor: Any ``concurrent.futures.Executor`` (default: run serially here).
        resume: Continue an interrupted sweep in ``folder``, running only unfinished runs.
        overwrite: Start afresh, replacing ``folder``.
        progress: Show a progress bar with ETA (default: in terminals and notebooks).
        source: Where the scenario came from, for messages.
        window: Most runs in flight at once (default: 4 per worker, at least 8), which
            bounds memory however many runs there are.
        posterior: Sweep over a posterior: a calibration folder (with
            ``posterior.parquet``) or a DataFrame of parameter paths and ``weight``.
            Replicate ``r`` of every point and arm runs under draw ``r // M``
            (:func:`plan_posterior`).
        posterior_draws: Posterior draws ``K`` (default: one per replicate); each
            point's replicates are split evenly, ``replicates / K`` per draw.

    Returns:
        What was done; ``failed`` lists runs that raised (recorded in the manifest).

    Raises:
        ScenarioError: If the folder exists without ``resume``/``overwrite``, or holds a
            different sweep (or one over another posterior), or the posterior is refused
            (:func:`plan_posterior`).
    """
    folder = Path(folder)
    draws = plan_posterior(scenario, posterior, posterior_draws, source)
    jobs, table = plan(scenario, source, progress, draws)
    with lock(folder):
        notes = _prepare(folder, scenario, table, resume, overwrite, draws)
        return _run_jobs(folder, scenario, jobs, table, executor, progress, window, notes, draws)


def _run_jobs(
    folder: Path,
    scenario: Scenario,
    jobs: list[Job],
    table: pd.DataFrame,
    executor: futures.Executor | None,
    progress: bool | None,
    window: int | None,
    notes: list[str],
    draws: DrawPlan | None = None,
) -> SweepResult:
    """Run the unfinished jobs of a prepared sweep folder, logging each as it finishes."""
    log_path = folder / "log.jsonl"
    done = _finished(folder, log_path, table, notes)
    todo = [j for j in jobs if j.run_id not in done]
    executor = executor or _Serial()
    workers = max(executor_workers(executor), 1)
    window = window or max(8, 4 * workers)
    failed: dict[str, str] = {}
    deaths: dict[str, int] = {}
    started = time.perf_counter()
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc=scenario.name,
        unit="run",
        disable=None if progress is None else not progress,
    )
    # The window counts batches of runs (each at most MAX_BATCH runs of one point and arm).
    pending: dict[futures.Future, tuple[Job, ...]] = {}
    queue: Iterator[tuple[Job, ...]] = iter(batches(todo, workers))
    retry: list[Job] = []
    try:
        with log_path.open("a", encoding="utf-8") as log:
            while True:
                if retry and not pending:  # after a worker died: its runs one at a time
                    suspect = (retry.pop(0),)
                    pending[executor.submit(execute, suspect)] = suspect
                while not retry and len(pending) < window:
                    following = next(queue, None)
                    if following is None:
                        break
                    pending[executor.submit(execute, following)] = following
                if not pending:
                    break
                finished, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
                for fut in finished:
                    batch = pending.pop(fut)
                    died = worker_died(fut.exception())
                    if not died and fut.exception() is not None and len(batch) > 1:
                        # The batch failed outside the model (on Dask, a worker lost):
                        # its runs are tried again one at a time, as after a death.
                        retry.extend(batch)
                        continue
                    if died:
                        for job in batch:
                            deaths[job.run_id] = deaths.get(job.run_id, 0) + 1
                        retry.extend(
                            j for j in batch if deaths[j.run_id] <= RETRIES_AFTER_WORKER_DEATH
                        )
                        batch = tuple(
                            j for j in batch if deaths[j.run_id] > RETRIES_AFTER_WORKER_DEATH
                        )
                    for run_id, frame, error, tb in _outcomes(fut, batch):
                        if error is None:
                            _write_part(folder, run_id, frame)
                            entry = _ok_entry(run_id, frame)
                        else:
                            if died:
                                error = (
                                    f"the worker process running it died {deaths[run_id]} "
                                    f"times (killed, e.g. by the system for lack of memory): "
                                    f"{error}"
                                )
                            failed[run_id] = error
                            entry = {
                                "run_id": run_id,
                                "status": "failed",
                                "error": error,
                                "traceback": tb,
                            }
                        _append(log, entry)
                        bar.update(1)
    except BaseException:
        for fut in pending:
            fut.cancel()
        bar.close()
        raise
    bar.close()
    runs = _finish(folder, scenario, table, started, draws)
    return SweepResult(folder, len(jobs), len(runs), failed, runs, notes)


#: How often a run is retried after the worker process running it died. Retries run one
#: at a time, so a run that kills its worker is told apart from those that shared the
#: pool with it: only the former dies again.
RETRIES_AFTER_WORKER_DEATH = 1


def _ok_entry(run_id: str, frame: pd.DataFrame) -> dict[str, object]:
    """The log entry of a finished run: its end-of-horizon row."""
    summary = frame[frame["week"] == frame["week"].max()].iloc[0]
    return {
        "run_id": run_id,
        "status": "ok",
        "summary": {k: _jsonable(v) for k, v in summary.items()},
    }


def _append(log: io.TextIOBase, entry: dict[str, object]) -> None:
    """Append one line to the run log and make it durable before going on.

    The line is strict JSON: :func:`_jsonable` has made NaN and infinities null, which
    ``allow_nan=False`` checks (bare ``NaN`` is refused by most JSON parsers).
    """
    log.write(json.dumps(entry, allow_nan=False) + "\n")
    log.flush()
    os.fsync(log.fileno())


def _outcomes(fut: futures.Future, batch: tuple[Job, ...]) -> list[Outcome]:
    try:
        return fut.result()
    except Exception:  # a worker died (e.g. killed): record, do not stop
        return [_failed(job) for job in batch]


def _jsonable(v: Any) -> Any:
    """A summary value for the run log: a Python scalar, with NaN and infinities as null.

    :func:`_read_log` turns null back into NaN (a metric with no value, such as the time
    to proficiency before any hire is proficient), so ``runs.parquet`` keeps its NaN.
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _read_log(log_path: Path) -> list[dict[str, Any]]:
    """The run log's entries, in order; a line that cannot be parsed is skipped.

    Summaries' nulls become NaN again. Logs written by earlier wlsim versions, with bare
    ``NaN``, are read too (Python's parser accepts it), so their sweeps still resume.
    """
    entries = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        summary = entry.get("summary")
        if isinstance(summary, dict):
            entry["summary"] = {k: np.nan if v is None else v for k, v in summary.items()}
        entries.append(entry)
    return entries


def _prepare(
    folder: Path,
    scenario: Scenario,
    table: pd.DataFrame,
    resume: bool,
    overwrite: bool,
    draws: DrawPlan | None = None,
) -> list[str]:
    """Check a folder to resume, or create the sweep folder whole; return repair notes."""
    if folder.exists() and resume:
        _check_same_sweep(folder, scenario, table, draws)
        for tmp in (folder / "timeseries").glob(".*.tmp"):
            tmp.unlink(missing_ok=True)  # parts a killed run left half-written
        return _repair_log(folder / "log.jsonl")
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # an empty folder made for the sweep: nothing in it to lose
    if folder.exists():
        if not overwrite:
            raise ScenarioError(
                f"--out {folder}: the folder already exists; pass --resume to continue the "
                "sweep there, --overwrite to replace it, or choose another folder"
            )
        check_output(folder, overwrite)
    tmp = new_folder(folder, "sweep")
    try:
        info = {**marker(tmp), "data": data_provenance(scenario), "posterior": _fingerprint(draws)}
        (tmp / MARKER).write_text(json.dumps(info) + "\n", encoding="utf-8")
        (tmp / "timeseries").mkdir()
        (tmp / "log.jsonl").touch()
        atomic_write(tmp / "scenario.resolved.toml", dump_scenario(scenario).encode())
        atomic_write(tmp / "plan.parquet", table.to_parquet(index=False))
        if draws is not None:
            atomic_write(tmp / POSTERIOR_FILE, draws.posterior.table.to_parquet(index=False))
            atomic_write(tmp / "posterior_draws.parquet", draws.table.to_parquet(index=False))
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(tmp, folder, overwrite)
    return []


def _check_same_sweep(
    folder: Path, scenario: Scenario, table: pd.DataFrame, draws: DrawPlan | None = None
) -> None:
    """Refuse to resume a sweep made from another scenario, data, posterior or wlsim."""
    fresh = (
        "; to start afresh, pass --overwrite instead of --resume (the finished runs there "
        "are deleted), or choose another --out"
    )
    plan_path = folder / "plan.parquet"
    if not plan_path.exists():
        raise ScenarioError(f"--resume {folder}: no sweep there (no plan.parquet){fresh}")
    problems = []
    resolved = folder / "scenario.resolved.toml"
    then = resolved.read_text(encoding="utf-8") if resolved.exists() else ""
    now = dump_scenario(scenario)
    if then != now:
        problems.append(f"the scenario differs ({_differences(then, now)})")
    info = marker(folder)
    if info.get("wlsim_version", wlsim_version()) != wlsim_version():
        problems.append(
            f"it was started by wlsim {info['wlsim_version']} and this is {wlsim_version()}"
        )
    then_data, now_data = info.get("data"), data_provenance(scenario)
    if "data" in info and then_data != now_data:
        problems.append(
            f"the organisation data differ (then {_data_name(then_data)}, "
            f"now {_data_name(now_data)})"
        )
    then_post, now_post = info.get("posterior"), _fingerprint(draws)
    if info and _same_posterior(then_post) != _same_posterior(now_post):
        problems.append(
            f"the posterior differs (then {_posterior_name(then_post)}, "
            f"now {_posterior_name(now_post)})"
        )
    old = pd.read_parquet(plan_path)
    new = pd.read_parquet(io.BytesIO(table.to_parquet(index=False)))
    if not problems and not old.equals(new):
        problems.append("its plan differs (the points, arms or replicates)")
    if problems:
        raise ScenarioError(
            f"--resume {folder}: the sweep there cannot be continued with this set-up: "
            f"{'; '.join(problems)}. Resume with the same scenario file, --set options, "
            f"data, --posterior and --posterior-draws, and wlsim version{fresh}"
        )


def _differences(then: str, now: str, most: int = 5) -> str:
    """The values that differ between two resolved scenarios, as ``path: old -> new``."""
    import tomllib

    try:
        old, new = _leaves(tomllib.loads(then)), _leaves(tomllib.loads(now))
    except tomllib.TOMLDecodeError:
        return "scenario.resolved.toml there cannot be read"
    changed = [
        f"{key}: {old.get(key, '(absent)')!r} -> {new.get(key, '(absent)')!r}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key, "(absent)") != new.get(key, "(absent)")
    ]
    more = f", and {len(changed) - most} more" if len(changed) > most else ""
    return ", ".join(changed[:most]) + more


def _leaves(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _same_posterior(fingerprint: Any) -> tuple[Any, ...] | None:
    """What must match to resume: the particles and weights, and the draws (not the path)."""
    if not isinstance(fingerprint, Mapping):
        return None
    return fingerprint.get("sha256"), fingerprint.get("draws")


def _posterior_name(fingerprint: Any) -> str:
    if not isinstance(fingerprint, Mapping):
        return "no posterior"
    return (
        f"{fingerprint.get('source')} with SHA-256 {str(fingerprint.get('sha256'))[:12]}…, "
        f"{fingerprint.get('draws')} draws"
    )


def _data_name(data: Any) -> str:
    if not isinstance(data, Mapping):
        return "a synthetic organisation"
    name = f"{data.get('source')} with SHA-256 {str(data.get('sha256'))[:12]}…"
    if data.get("network"):
        name += f" and {data['network']} with SHA-256 {str(data.get('network_sha256'))[:12]}…"
    return name


def _repair_log(log_path: Path) -> list[str]:
    """Cut a run log's torn last line (a crash or full disk mid-append); say what was cut."""
    if not log_path.exists():
        return []
    data = log_path.read_bytes()
    if not data or data.endswith(b"\n"):
        return []
    keep = data.rfind(b"\n") + 1
    with log_path.open("r+b") as f:
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())
    return [
        f"{log_path}: its last line was cut short (the sweep stopped while writing it); "
        f"the {len(data) - keep} bytes were removed, and a run they recorded is recovered "
        "from its part on disk or run again"
    ]


def _finished(folder: Path, log_path: Path, table: pd.DataFrame, notes: list[str]) -> set[str]:
    """Runs finished on disk: a readable part, and its 'ok' line in the log.

    A part without its log line (the line was lost with a torn tail) is read, and the
    line written again from it; a part that cannot be read is removed, to be run again.
    """
    ok = set()
    if log_path.exists():
        for entry in _read_log(log_path):
            if entry.get("status") == "ok":
                ok.add(str(entry.get("run_id")))
    parts = {
        p.stem for p in (folder / "timeseries").glob("*.parquet") if not p.name.startswith(".")
    }
    planned = set(table["run_id"])
    unlogged = sorted((parts - ok) & planned)
    recovered, unreadable = [], []
    with log_path.open("a", encoding="utf-8") as log:
        for run_id in unlogged:
            part = folder / "timeseries" / f"{run_id}.parquet"
            try:
                frame = pd.read_parquet(part)
                entry = _ok_entry(run_id, frame)
            except Exception:  # a part we wrote that cannot be read: run it again
                part.unlink(missing_ok=True)
                unreadable.append(run_id)
                continue
            _append(log, entry)
            ok.add(run_id)
            recovered.append(run_id)
    if recovered:
        notes.append(
            f"{len(recovered)} finished run(s) had no line in {log_path.name} and were "
            f"recovered from their parts: {', '.join(recovered[:5])}"
        )
    if unreadable:
        notes.append(
            f"{len(unreadable)} part(s) could not be read and will run again: "
            f"{', '.join(unreadable[:5])}"
        )
    return ok & (parts - set(unreadable))


def _write_part(folder: Path, run_id: str, frame: pd.DataFrame) -> None:
    atomic_write(folder / "timeseries" / f"{run_id}.parquet", frame.to_parquet(index=False))


def _finish(
    folder: Path,
    scenario: Scenario,
    table: pd.DataFrame,
    started: float,
    draws: DrawPlan | None = None,
) -> pd.DataFrame:
    """Write runs.parquet, manifest.csv and metadata.json from the log and the plan."""
    latest = {entry["run_id"]: entry for entry in _read_log(folder / "log.jsonl")}
    order = {rid: i for i, rid in enumerate(table["run_id"])}
    summaries = [
        e["summary"]
        for rid, e in latest.items()
        if e["status"] == "ok" and (folder / "timeseries" / f"{rid}.parquet").exists()
    ]
    summaries.sort(key=lambda s: order[s["run_id"]])
    params = table.drop(columns=["point", "arm", "replicate", "seed"])
    runs = pd.DataFrame(summaries)
    if len(runs):
        runs = params.merge(runs, on="run_id", how="inner")
        runs = runs.sort_values("run_id", key=lambda c: c.map(order)).reset_index(drop=True)
    atomic_write(folder / "runs.parquet", runs.to_parquet(index=False))
    manifest = table[[c for c in RUN_COLUMNS if c in table.columns]].copy()
    manifest["status"] = [latest.get(r, {}).get("status", "pending") for r in manifest["run_id"]]
    manifest.loc[manifest["run_id"].isin(set(runs.get("run_id", []))), "status"] = "ok"
    manifest["error"] = [latest.get(r, {}).get("error", "") for r in manifest["run_id"]]
    manifest.loc[manifest["status"] == "ok", "error"] = ""
    atomic_write(folder / "manifest.csv", manifest.to_csv(index=False).encode())
    meta = provenance()
    meta.update(
        scenario=scenario.name,
        data=data_provenance(scenario),
        method=scenario.sweep.method,
        n_points=int(table["point"].nunique()),
        n_runs=len(table),
        n_ok=int((manifest["status"] == "ok").sum()),
        n_failed=int((manifest["status"] == "failed").sum()),
        seed=scenario.seed,
        replicate_seeds="replicate r uses numpy.random.SeedSequence(seed, spawn_key=(r,)) "
        "in every arm and at every point",
        finished_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_time_seconds_this_call=round(time.perf_counter() - started, 3),
    )
    if draws is not None:
        meta["posterior"] = draws.metadata()
    atomic_write(folder / "metadata.json", (json.dumps(meta, indent=2) + "\n").encode())
    return runs
