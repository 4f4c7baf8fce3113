"""``wlsim discover``: scenario discovery over a finished sweep folder.

Reads a sweep folder (``wlsim sweep``), checks that it can answer the question (a
finished sweep of both arms, with varied parameters and enough points), runs
:func:`sim.analysis.discovery.discover` and writes its files into the folder:

* ``discovery.csv``: the rules (PRIM's box, CART's rules), one row per rule and
  restricted parameter, with the plain-language statement, coverage and density;
* ``discovery_points.csv``: each point's parameters, the arm's mean paired advantage
  with its 95% interval, and whether it wins;
* ``discovery_trajectory.csv``: PRIM's peeling trajectory;
* ``discovery.md``: the findings and what they do not show;
* ``figures/discovery.png``: the trajectory, and the points with PRIM's box.

Everything is computed before anything is written; each file is written atomically and
the folder is locked meanwhile, so no sweep writes to it at the same time. A new
discovery replaces the files of the previous one.
"""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pandas as pd

from sim.analysis.discovery import Discovery, markdown, plot
from sim.analysis.discovery import discover as find
from sim.errors import ScenarioError, did_you_mean
from sim.experiments.folders import lock, marker
from sim.experiments.sweep import swept_parameters
from sim.files import atomic_write
from sim.model.metrics import HEADLINE
from sim.scenario.loading import load_scenario

#: The files a discovery writes into the sweep folder.
FILES = (
    "discovery.csv",
    "discovery_points.csv",
    "discovery_trajectory.csv",
    "discovery.md",
    "figures/discovery.png",
)


def discover(
    folder: str | Path,
    arm: str | None = None,
    versus: str | None = None,
    metric: str | None = None,
    threshold: float = 0.0,
    min_density: float = 0.8,
    write: bool = True,
) -> Discovery:
    """Where one arm beats another over a finished sweep, written into its folder.

    Args:
        folder: A sweep folder written by ``wlsim sweep`` (or :func:`run_sweep`).
        arm: Arm A, whose wins are described (default: the first arm with a programme
            other than the control arm).
        versus: Arm B (default: the control arm, ``sweep.baseline`` or the first arm).
        metric: End-of-horizon metric compared (default: the first of ``sweep.outputs``,
            else of the headline metrics, with values in both arms).
        threshold: A wins at a point where its mean paired advantage exceeds this
            (metric units; default 0).
        min_density: PRIM keeps the box of highest coverage with at least this share
            of wins (default 0.8).
        write: Write the files (:data:`FILES`) into the folder.

    Returns:
        The discovery (:class:`sim.analysis.discovery.Discovery`).

    Raises:
        ScenarioError: If the folder is not a sweep folder, the sweep has not finished
            the runs of both arms (the message gives the command that continues it), an
            arm or the metric is unknown, no parameter varies, there are too few
            points, or another wlsim is writing to the folder.
    """
    folder = Path(folder)
    _check_folder(folder)
    with lock(folder, option="SWEEP_DIR"):
        runs, arms, controls, outputs = _read(folder)
        versus = versus if versus is not None else controls[0]
        if arm is None:
            arm = next((a for a in controls[1:] if a != versus), None) or next(
                (a for a in arms if a != versus), versus
            )
        for option, name in (("--arm", arm), ("--versus", versus)):
            if name not in arms:
                raise ScenarioError(
                    f"{option} {name!r}: no such arm in the sweep {folder}"
                    f"{did_you_mean(name, arms)}; arms: {', '.join(arms)}"
                )
        _check_finished(folder, [arm, versus])
        if metric is None:
            metric = _default_metric(folder, runs, [arm, versus], outputs)
        found = find(
            runs,
            arm,
            versus,
            metric,
            swept_parameters(folder),
            threshold=threshold,
            min_density=min_density,
        )
        if write:
            _write(found, folder)
    return found


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ScenarioError(
            f"SWEEP_DIR {folder}: no such folder; give the folder wlsim sweep wrote "
            "(results/<scenario name> unless --out was given)"
        )
    if not (folder / "plan.parquet").is_file():
        what = (
            "a results folder of wlsim run, which has no sweep points"
            if (folder / "timeseries.parquet").is_file()
            else "no plan.parquet"
        )
        raise ScenarioError(
            f"SWEEP_DIR {folder}: not a sweep folder ({what}); wlsim discover reads the "
            "folder of a sweep over uncertain parameters (wlsim sweep FILE with a [sweep] "
            "section, e.g. method = 'lhs' and [sweep.ranges])"
        )


def _read(folder: Path) -> tuple[pd.DataFrame, list[str], list[str], tuple[str, ...]]:
    """The run table, the arms, the arms ordered for the defaults, and ``sweep.outputs``.

    The defaults' order: the control arm (``sweep.baseline``, else the first), then the
    arms with a programme, then the rest.
    """
    plan = _table(folder / "plan.parquet", ["arm"])
    arms = list(dict.fromkeys(plan["arm"]))
    runs_path = folder / "runs.parquet"
    if not runs_path.is_file():
        raise ScenarioError(
            f"SWEEP_DIR {folder}: the sweep has not finished (no runs.parquet: it was "
            f"stopped, or is still running). {how_to_continue(folder)}"
        )
    runs = _table(runs_path)
    controls = list(arms)
    outputs: tuple[str, ...] = ()
    resolved = folder / "scenario.resolved.toml"
    if resolved.is_file():
        try:
            scenario = load_scenario(resolved)
        except ScenarioError:
            scenario = None  # written by another wlsim version: plain arm order
        if scenario is not None:
            control = scenario.sweep.baseline or arms[0]
            with_programmes = [
                a for a in arms if a in scenario.arms and scenario.arms[a].programmes
            ]
            controls = list(dict.fromkeys([control, *with_programmes, *arms]))
            outputs = scenario.sweep.outputs
    return runs, arms, controls, outputs


def _table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A table of the sweep folder; one that cannot be read is refused by name."""
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow's errors for damaged or foreign files vary
        raise ScenarioError(
            f"SWEEP_DIR {path.parent}: {path.name} cannot be read ({type(exc).__name__}: "
            f"{exc}); was the folder written by wlsim sweep? A sweep's final tables are "
            f"written again by continuing it. {how_to_continue(path.parent)}"
        ) from None


def _check_finished(folder: Path, arms: list[str]) -> None:
    """Refuse a sweep where runs of these arms are pending or failed; say how to finish."""
    plan = _table(folder / "plan.parquet", ["run_id", "arm"])
    done = set(_table(folder / "runs.parquet", ["run_id"])["run_id"])
    wanted = plan[plan["arm"].isin(arms)]
    missing = wanted[~wanted["run_id"].isin(done)]
    if missing.empty:
        return
    manifest = folder / "manifest.csv"
    try:
        status = pd.read_csv(manifest, usecols=["run_id", "status"])
    except (OSError, ValueError):  # no manifest yet, or a damaged one: count none as failed
        status = pd.DataFrame({"run_id": [], "status": []})
    failed = int(status[status["run_id"].isin(missing["run_id"])]["status"].eq("failed").sum())
    why = f", {failed} of them failed (see manifest.csv)" if failed else ""
    raise ScenarioError(
        f"SWEEP_DIR {folder}: the sweep has not finished: {len(missing)} of the "
        f"{len(wanted)} runs of {' and '.join(arms)} have no result{why}. "
        f"{how_to_continue(folder)}"
    )


def how_to_continue(folder: Path) -> str:
    """How to continue a sweep: the command, when its folder holds the scenario to run.

    ``wlsim sweep DIR/scenario.resolved.toml --resume`` needs that file; without it the
    user must give the scenario file the sweep was started from.
    """
    if (folder / "scenario.resolved.toml").is_file():
        return f"Continue it with: {resume_command(folder)}"
    return (
        f"The folder has no scenario.resolved.toml to continue from: continue it with the "
        f"scenario file the sweep was started from, wlsim sweep FILE --out "
        f"{shlex.quote(str(folder))} --resume (with the same --set and --posterior options)"
    )


def resume_command(folder: Path) -> str:
    """The command that continues a sweep from its folder alone (its resolved scenario)."""
    words = ["wlsim", "sweep", str(folder / "scenario.resolved.toml"), "--out", str(folder)]
    posterior = marker(folder).get("posterior")
    if isinstance(posterior, dict) and posterior.get("source"):
        words += ["--posterior", str(posterior["source"])]
        if posterior.get("draws"):
            words += ["--posterior-draws", str(posterior["draws"])]
    return shlex.join([*words, "--resume"])


def _default_metric(
    folder: Path, runs: pd.DataFrame, arms: list[str], outputs: tuple[str, ...]
) -> str:
    """The first of ``sweep.outputs``, else of the headline metrics, with values in both arms."""
    for metric in (*outputs, *HEADLINE):
        if metric in runs.columns and all(
            runs.loc[runs["arm"] == a, metric].notna().any() for a in arms
        ):
            return metric
    raise ScenarioError(
        f"SWEEP_DIR {folder}: no headline metric with values in both {' and '.join(arms)}; "
        "name one with --metric"
    )


def _write(found: Discovery, folder: Path) -> None:
    """Compute every file's bytes, then write each one atomically."""
    figure = io.BytesIO()
    plot(found).savefig(figure, format="png", dpi=120, metadata={"Software": None})
    trajectory = found.prim.trajectory if found.prim is not None else pd.DataFrame()
    contents = {
        "discovery.csv": found.table().to_csv(index=False).encode(),
        "discovery_points.csv": found.points.to_csv(index=False).encode(),
        "discovery_trajectory.csv": trajectory.to_csv(index=False).encode(),
        "discovery.md": markdown(found, str(folder)).encode(),
        "figures/discovery.png": figure.getvalue(),
    }
    (folder / "figures").mkdir(exist_ok=True)
    for name, data in contents.items():
        atomic_write(folder / name, data)
