"""Sweeps: many runs over parameter points, streamed to disk, resumable, on any executor.

A sweep folder holds:

* ``plan.parquet``: every run (deterministic ``run_id``, point, arm, replicate, seed and
  the point's parameter values), written once before any run starts;
* ``timeseries/<run_id>.parquet``: one part per finished run, written atomically
  (temporary file, then rename), together a Parquet dataset (``pd.read_parquet(folder)``);
* ``log.jsonl``: one line per finished or failed run (status, error, traceback,
  end-of-horizon metrics), appended and flushed as runs finish;
* at the end: ``runs.parquet`` (one row per finished run: point parameters, arm,
  replicate, seed, end-of-horizon metrics), ``manifest.csv`` (every planned run and its
  status), ``scenario.resolved.toml`` and ``metadata.json``.

Interrupting a sweep (Ctrl-C, kill, crash) loses at most the runs in flight: a resumed
sweep skips every run whose part and log line exist, and the final files equal those of
an uninterrupted sweep. Results are identical whatever the executor and worker count:
each run's numbers depend only on the scenario, the point and the replicate seed.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
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

from sim.analysis.sensitivity import SAMPLING_KEY, salib_problem
from sim.errors import ScenarioError, did_you_mean
from sim.experiments.run import run_arm
from sim.files import atomic_write
from sim.provenance import provenance
from sim.scenario.loading import dump_scenario, validate_scenario
from sim.scenario.orgdata import data_provenance
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Job:
    """One run of a sweep: what a worker needs to compute it."""

    run_id: str
    point: int
    arm: str
    replicate: int
    scenario: Scenario


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`.

    Attributes:
        folder: The sweep folder.
        n_runs: Runs planned.
        n_done: Runs finished (including those finished by earlier, interrupted calls).
        failed: Run ids that raised, with their error messages.
        runs: Run-level table (one row per finished run).
    """

    folder: Path
    n_runs: int
    n_done: int
    failed: dict[str, str] = field(default_factory=dict)
    runs: pd.DataFrame | None = None


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
        _value_at(base, path)  # raises on unknown paths
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
    integer = [
        isinstance(_value_at(base, n), int) and not isinstance(_value_at(base, n), bool)
        for n in names
    ]
    sampled = [
        {
            n: (round(float(v)) if is_int else float(v))
            for n, v, is_int in zip(names, row, integer, strict=True)
        }
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


def _value_at(raw: Mapping[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            options = list(node) if isinstance(node, Mapping) else []
            raise ScenarioError(
                f"sweep: {path!r} is not a scenario parameter: no {part!r}"
                f"{did_you_mean(part, options)}; "
                f"valid here: {', '.join(map(str, options))}"
            )
        node = node[part]
    return node


def plan(scenario: Scenario, source: str = "<scenario>") -> tuple[list[Job], pd.DataFrame]:
    """Every run of a sweep, each point validated before anything runs.

    Args:
        scenario: The scenario with its ``[sweep]`` section.
        source: Where it came from, for messages.

    Returns:
        The jobs and the plan table (run_id, point, arm, replicate, seed, parameters).

    Raises:
        ScenarioError: If a point gives an invalid scenario; the message names the point.
    """
    points = sample_points(scenario)
    replicates = scenario.sweep.replicates or scenario.replicates
    base = scenario.model_dump(mode="python")
    jobs: list[Job] = []
    rows = []
    for i, point in enumerate(points):
        raw = dict(base)
        for path, value in point.items():
            raw = _with_value(raw, path, value)
        label = ", ".join(f"{k}={v!r}" for k, v in point.items()) or "base"
        point_scenario = validate_scenario(raw, source=f"{source} (sweep point {i}: {label})")
        for r in range(replicates):
            for arm in scenario.arms:
                run_id = f"p{i:05d}-r{r:04d}-{arm}"
                jobs.append(Job(run_id, i, arm, r, point_scenario))
                rows.append(
                    {
                        "run_id": run_id,
                        "point": i,
                        "arm": arm,
                        "replicate": r,
                        "seed": scenario.seed,
                        **point,
                    }
                )
    return jobs, pd.DataFrame(rows)


def _with_value(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    parts = path.split(".")
    out = dict(raw)
    node = out
    for part in parts[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    node[parts[-1]] = value
    return out


# --- running -------------------------------------------------------------------------------


def execute(job: Job) -> tuple[str, pd.DataFrame | None, str | None, str | None]:
    """Run one job; never raises for a model error (it is returned instead).

    Returns:
        ``(run_id, timeseries, error, traceback)``; the time series is None on error.
    """
    try:
        frame = run_arm(job.scenario, job.arm, job.replicate)
    except Exception as exc:  # isolate the failure: the sweep goes on
        return job.run_id, None, f"{type(exc).__name__}: {exc}", traceback.format_exc()
    frame.insert(0, "run_id", job.run_id)
    frame.insert(1, "point", job.point)
    return job.run_id, _keep(frame, job.scenario), None, None


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


@contextlib.contextmanager
def make_executor(workers: int = 1, scheduler: str | None = None) -> Iterator[futures.Executor]:
    """An executor: serial, a local process pool, or a Dask cluster.

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
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        with futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
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

    Returns:
        What was done; ``failed`` lists runs that raised (recorded in the manifest).

    Raises:
        ScenarioError: If the folder exists without ``resume``/``overwrite``, or holds a
            different sweep.
    """
    folder = Path(folder)
    jobs, table = plan(scenario, source)
    _prepare(folder, scenario, table, resume, overwrite)
    log_path = folder / "log.jsonl"
    done = _finished(folder, log_path)
    todo = [j for j in jobs if j.run_id not in done]
    executor = executor or _Serial()
    window = window or max(8, 4 * (getattr(executor, "_max_workers", 1) or 1))
    failed: dict[str, str] = {}
    started = time.perf_counter()
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc=scenario.name,
        unit="run",
        disable=None if progress is None else not progress,
    )
    pending: dict[futures.Future, Job] = {}
    queue = iter(todo)
    try:
        with log_path.open("a", encoding="utf-8") as log:
            while True:
                while len(pending) < window:
                    job = next(queue, None)
                    if job is None:
                        break
                    pending[executor.submit(execute, job)] = job
                if not pending:
                    break
                finished, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
                for fut in finished:
                    run_id, frame, error, tb = _outcome(fut, pending.pop(fut))
                    if error is None:
                        _write_part(folder, run_id, frame)
                        summary = frame[frame["week"] == frame["week"].max()].iloc[0]
                        entry: dict[str, object] = {
                            "run_id": run_id,
                            "status": "ok",
                            "summary": {k: _jsonable(v) for k, v in summary.items()},
                        }
                    else:
                        failed[run_id] = error
                        entry = {
                            "run_id": run_id,
                            "status": "failed",
                            "error": error,
                            "traceback": tb,
                        }
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                    os.fsync(log.fileno())
                    bar.update(1)
    except BaseException:
        for fut in pending:
            fut.cancel()
        bar.close()
        raise
    bar.close()
    runs = _finish(folder, scenario, table, started)
    return SweepResult(folder, len(jobs), len(runs), failed, runs)


def _outcome(fut: futures.Future, job: Job) -> tuple[str, Any, str | None, str | None]:
    try:
        return fut.result()
    except Exception as exc:  # a worker died (e.g. killed): record, do not stop
        return job.run_id, None, f"{type(exc).__name__}: {exc}", traceback.format_exc()


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _prepare(
    folder: Path, scenario: Scenario, table: pd.DataFrame, resume: bool, overwrite: bool
) -> None:
    plan_path = folder / "plan.parquet"
    if folder.exists() and resume:
        if not plan_path.exists():
            raise ScenarioError(f"--resume {folder}: no sweep there (no plan.parquet)")
        old = pd.read_parquet(plan_path)
        new = pd.read_parquet(io.BytesIO(table.to_parquet(index=False)))
        if not old.equals(new):
            raise ScenarioError(
                f"--resume {folder}: the sweep there was planned from a different scenario; "
                "run with --overwrite to start afresh, or choose another --out"
            )
        for tmp in (folder / "timeseries").glob(".*"):
            tmp.unlink(missing_ok=True)  # parts a killed run left half-written
        return
    if folder.exists() and any(folder.iterdir()):
        if not overwrite:
            raise ScenarioError(
                f"--out {folder}: the folder already exists; pass --resume to continue the "
                "sweep there, --overwrite to replace it, or choose another folder"
            )
        import shutil

        shutil.rmtree(folder)
    (folder / "timeseries").mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "scenario.resolved.toml", dump_scenario(scenario).encode())
    buf = table.to_parquet(index=False)
    atomic_write(plan_path, buf)


def _finished(folder: Path, log_path: Path) -> set[str]:
    """Runs with a part on disk and an 'ok' line in the log (a torn last line is ignored)."""
    ok = set()
    if log_path.exists():
        for line in log_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("status") == "ok":
                ok.add(entry["run_id"])
    parts = {
        p.stem for p in (folder / "timeseries").glob("*.parquet") if not p.name.startswith(".")
    }
    return ok & parts


def _write_part(folder: Path, run_id: str, frame: pd.DataFrame) -> None:
    atomic_write(folder / "timeseries" / f"{run_id}.parquet", frame.to_parquet(index=False))


def _finish(folder: Path, scenario: Scenario, table: pd.DataFrame, started: float) -> pd.DataFrame:
    """Write runs.parquet, manifest.csv and metadata.json from the log and the plan."""
    latest: dict[str, dict[str, Any]] = {}
    for line in (folder / "log.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        latest[entry["run_id"]] = entry
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
    manifest = table[["run_id", "point", "arm", "replicate", "seed"]].copy()
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
    atomic_write(folder / "metadata.json", (json.dumps(meta, indent=2) + "\n").encode())
    return runs
