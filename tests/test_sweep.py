"""Sweeps: plans, identical results on every backend, resume after a kill, fault isolation,
paired comparisons, sequential stopping and sensitivity analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import end_of_horizon, paired_differences
from sim.analysis.sensitivity import analyse
from sim.errors import ScenarioError
from sim.experiments import sweep as sweep_mod
from sim.experiments.precision import run_until_precise
from sim.experiments.run import run_scenario
from sim.experiments.sweep import make_executor, plan, run_sweep, sample_points
from sim.scenario.loading import validate_scenario

BASE = {
    "name": "sweep_test",
    "horizon_weeks": 12,
    "replicates": 2,
    "organisation": {"n_employees": 80},
    "programmes": {"m": {"kind": "mentorship"}},
    "arms": {"none": {}, "m": {"programmes": ["m"]}},
}


def scenario(**sweep):
    return validate_scenario({**BASE, "sweep": sweep})


GRID = {
    "grid": {
        "programmes.m.n_learners_per_guide_max": [1, 3],
        "learning.rate_session_per_hour": [0.02, 0.08],
    },
    "keep_weeks": 4,
}


def dataset_bytes(folder: Path) -> dict[str, bytes]:
    files = {"runs.parquet": (folder / "runs.parquet").read_bytes()}
    for part in sorted((folder / "timeseries").glob("*.parquet")):
        files[part.name] = part.read_bytes()
    return files


def test_grid_plan_is_the_full_factorial_times_arms_and_replicates():
    sc = scenario(**GRID)
    points = sample_points(sc)
    assert len(points) == 4
    assert {p["programmes.m.n_learners_per_guide_max"] for p in points} == {1, 3}
    jobs, table = plan(sc)
    assert len(jobs) == 4 * 2 * 2
    assert table["run_id"].is_unique
    # Common random numbers: one seed column, replicate number the only difference.
    assert table["seed"].nunique() == 1


def test_lhs_points_lie_in_their_ranges_and_integers_are_rounded():
    sc = scenario(
        method="lhs",
        n_samples=10,
        ranges={
            "programmes.m.n_learners_per_guide_max": [1, 5],
            "learning.skill_floor": [0.05, 0.2],
        },
    )
    points = sample_points(sc)
    assert len(points) == 10
    caps = [p["programmes.m.n_learners_per_guide_max"] for p in points]
    assert all(isinstance(c, int) and 1 <= c <= 5 for c in caps)
    floors = np.array([p["learning.skill_floor"] for p in points])
    assert ((floors >= 0.05) & (floors <= 0.2)).all()
    # Latin hypercube: one point in each tenth of the range.
    assert sorted(np.floor((floors - 0.05) / 0.015).astype(int).tolist()) == list(range(10))
    assert sample_points(sc) == points  # deterministic


@pytest.mark.parametrize(
    ("sweep", "needle"),
    [
        (
            {"grid": {"programmes.m.n_learners_per_guid": [1]}},
            "did you mean 'n_learners_per_guide_max'",
        ),
        ({"grid": {"programmes.m.p_enrol": [0.5, 1.5]}}, "sweep point 1"),
        ({"method": "lhs"}, "needs ranges"),
        (
            {"method": "lhs", "ranges": {"learning.skill_floor": [0.3, 0.1]}},
            "low must be below high",
        ),
    ],
)
def test_bad_sweeps_are_refused_before_running(sweep, needle, tmp_path):
    with pytest.raises(ScenarioError, match=needle):
        run_sweep(scenario(**sweep), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_results_are_identical_serial_process_pool_and_dask(tmp_path):
    sc = scenario(**GRID)
    run_sweep(sc, tmp_path / "serial", progress=False)
    with make_executor(workers=2) as pool:
        run_sweep(sc, tmp_path / "pool", executor=pool, progress=False)
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
        ) as cluster,
        make_executor(scheduler=cluster.scheduler_address) as dask_executor,
    ):
        run_sweep(sc, tmp_path / "dask", executor=dask_executor, progress=False)
    serial = dataset_bytes(tmp_path / "serial")
    assert len(serial) == 1 + 16
    assert dataset_bytes(tmp_path / "pool") == serial
    assert dataset_bytes(tmp_path / "dask") == serial


def test_sweep_output_is_a_parquet_dataset_with_run_table_and_manifest(tmp_path):
    sc = scenario(**GRID)
    result = run_sweep(sc, tmp_path / "s", progress=False)
    ts = pd.read_parquet(tmp_path / "s" / "timeseries")
    assert set(ts["week"]) == {0, 4, 8, 12}
    assert ts.groupby("run_id").size().eq(4).all()
    runs = pd.read_parquet(tmp_path / "s" / "runs.parquet")
    assert len(runs) == result.n_runs == 16
    assert {"programmes.m.n_learners_per_guide_max", "arm", "replicate", "mean_skill"} <= set(
        runs.columns
    )
    manifest = pd.read_csv(tmp_path / "s" / "manifest.csv")
    assert (manifest["status"] == "ok").all()
    with pytest.raises(ScenarioError, match="already exists"):
        run_sweep(sc, tmp_path / "s", progress=False)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sweep_mod.run_batch_tables

    def flaky(scenario, arm, replicates):
        # A batch holding the failing run fails whole; its other runs are then run alone.
        if arm == "m" and 1 in replicates:
            raise RuntimeError("simulated model failure")
        return real(scenario, arm, replicates)

    monkeypatch.setattr(sweep_mod, "run_batch_tables", flaky)
    result = run_sweep(scenario(**GRID), tmp_path / "s", progress=False)
    assert len(result.failed) == 4
    assert all("simulated model failure" in e for e in result.failed.values())
    manifest = pd.read_csv(tmp_path / "s" / "manifest.csv")
    assert (manifest["status"] == "failed").sum() == 4
    assert (manifest["status"] == "ok").sum() == 12
    log = (tmp_path / "s" / "log.jsonl").read_text()
    assert "Traceback" in log and "RuntimeError" in log
    # Resuming reruns only the failed runs; once they succeed the sweep is complete.
    monkeypatch.setattr(sweep_mod, "run_batch_tables", real)
    again = run_sweep(scenario(**GRID), tmp_path / "s", resume=True, progress=False)
    assert not again.failed and again.n_done == 16


def refuse_constant(name: str) -> float:
    raise ValueError(f"not strict JSON: bare {name}")


def test_run_log_is_strict_json_and_the_run_table_keeps_its_nan(tmp_path):
    """Metrics without a value (participants' retention in the arm without programmes)
    are null in log.jsonl, which strict parsers accept, and NaN again in runs.parquet:
    the run table is the last week of each part, with the point's parameters."""
    folder = tmp_path / "s"
    run_sweep(scenario(**GRID), folder, progress=False)
    lines = (folder / "log.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line, parse_constant=refuse_constant) for line in lines]
    assert len(entries) == 16
    assert all(
        e["summary"]["retention_participants"] is None for e in entries if "-none" in e["run_id"]
    )

    plan_table = pd.read_parquet(folder / "plan.parquet")
    order = {run_id: i for i, run_id in enumerate(plan_table["run_id"])}
    ends = end_of_horizon(pd.read_parquet(folder / "timeseries"))
    expected = plan_table.drop(columns=["point", "arm", "replicate", "seed"]).merge(
        ends, on="run_id"
    )
    expected = expected.sort_values("run_id", key=lambda c: c.map(order)).reset_index(drop=True)
    runs = pd.read_parquet(folder / "runs.parquet")
    assert runs["retention_participants"].isna().sum() == 8
    pd.testing.assert_frame_equal(runs, expected, check_like=True)

    # A log written by an earlier wlsim, with bare NaN, still resumes to the same table.
    before = (folder / "runs.parquet").read_bytes()
    (folder / "log.jsonl").write_text(
        "".join(line.replace("null", "NaN") + "\n" for line in lines), encoding="utf-8"
    )
    run_sweep(scenario(**GRID), folder, resume=True, progress=False)
    assert (folder / "runs.parquet").read_bytes() == before


def test_resume_after_sigkill_equals_an_uninterrupted_sweep(tmp_path):
    toml = tmp_path / "sweep.toml"
    toml.write_text(
        f'extends = "{Path(__file__).parent.parent / "scenarios" / "baseline.toml"}"\n'
        'name = "killed"\nhorizon_weeks = 60\nreplicates = 6\n'
        "[organisation]\nn_employees = 300\n"
        '[programmes.m]\nkind = "mentorship"\n'
        '[arms.m]\nprogrammes = ["m"]\n'
        '[sweep]\nmethod = "grid"\n'
        '[sweep.grid]\n"programmes.m.n_learners_per_guide_max" = [1, 2, 3]\n'
    )
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(toml), "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = out / "timeseries"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(parts.glob("*.parquet"))) < 5:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(list(parts.glob("*.parquet")))
    assert 5 <= n_before < 36, "the kill should land mid-sweep"
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    fresh = subprocess.run(
        [*cmd[:-3], "--out", str(tmp_path / "fresh"), "--no-progress"],
        capture_output=True,
        text=True,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert dataset_bytes(out) == dataset_bytes(tmp_path / "fresh")


def test_paired_differences_match_a_hand_computation():
    runs = pd.DataFrame(
        {
            "arm": ["a", "b"] * 3,
            "replicate": [0, 0, 1, 1, 2, 2],
            "mean_skill": [0.5, 0.6, 0.4, 0.45, 0.7, 0.8],
        }
    )
    table = paired_differences(runs, "a", ["mean_skill"])
    row = table.iloc[0]
    diffs = np.array([0.1, 0.05, 0.1])
    assert row["mean_diff"] == pytest.approx(diffs.mean())
    half = 4.302652729911275 * diffs.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert row["half_width"] == pytest.approx(half)
    with pytest.raises(ScenarioError, match="no such arm"):
        paired_differences(runs, "c", ["mean_skill"])


def test_paired_intervals_are_narrower_than_unpaired_ones():
    """Common random numbers pay off: the paired CI of a programme effect is narrower than
    the CI of the difference of two independent means over the same replicates."""
    sc = validate_scenario({**BASE, "horizon_weeks": 26, "replicates": 8})
    ends = end_of_horizon(run_scenario(sc, progress=False).timeseries)
    paired = paired_differences(ends, "none", ["mean_skill"]).iloc[0]["half_width"]
    a = ends[ends["arm"] == "none"]["mean_skill"].to_numpy()
    b = ends[ends["arm"] == "m"]["mean_skill"].to_numpy()
    unpaired = 2.145 * np.sqrt(a.var(ddof=1) / 8 + b.var(ddof=1) / 8)  # t(0.975, 14)
    assert paired < unpaired


def test_sequential_stopping_stops_at_the_target_and_equals_a_plain_run():
    sc = validate_scenario({**BASE, "horizon_weeks": 20, "replicates": 3})
    results, table = run_until_precise(sc, {"mean_skill": 0.004}, max_replicates=30)
    n = results.scenario.replicates
    assert 3 <= n <= 30
    assert n == 30 or table["half_width"].max() <= 0.004
    plain = run_scenario(sc, replicates=n, progress=False)
    pd.testing.assert_frame_equal(results.timeseries, plain.timeseries)
    capped, _ = run_until_precise(sc, {"mean_skill": 1e-9}, max_replicates=6)
    assert capped.scenario.replicates == 6


def test_morris_screening_ranks_the_quit_rate_first_for_retention(tmp_path):
    """Criterion: retention of the initial workforce depends mostly on the quit hazard,
    so its Morris mu* is the largest, with a CI that excludes the next parameter's mu*."""
    sc = validate_scenario(
        {
            **BASE,
            "horizon_weeks": 26,
            "sweep": {
                "method": "morris",
                "n_samples": 6,
                "keep_weeks": "last",
                "ranges": {
                    "programmes.m.p_enrol": [0.1, 0.6],
                    "turnover.p_quit_per_week": [0.002, 0.008],
                },
                "outputs": ["retention_initial"],
            },
        }
    )
    result = run_sweep(sc, tmp_path / "sa", progress=False)
    ind = analyse(result.runs, sc)
    level = (ind["index"] == "mu_star") & (ind["arm"] == "m") & (ind["target"] == "level")
    mu = ind[level].set_index("parameter")
    quit_, enrol = mu.loc["turnover.p_quit_per_week"], mu.loc["programmes.m.p_enrol"]
    assert quit_["value"] - quit_["conf"] > enrol["value"] + enrol["conf"]


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).parent.parent / "scenarios" / "sweeps").glob("*.toml")),
    ids=lambda p: p.name,
)
def test_example_sweeps_plan(path):
    from sim.scenario.loading import load_scenario

    jobs, table = plan(load_scenario(path))
    assert len(jobs) == len(table) > 0
    assert table["point"].nunique() > 1


def write_sweep_file(tmp_path: Path, sweep: str, horizon: int = 12, replicates: int = 2) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(
        f'extends = "{Path(__file__).parent.parent / "scenarios" / "baseline.toml"}"\n'
        f'name = "cli_sweep"\nhorizon_weeks = {horizon}\nreplicates = {replicates}\n'
        "[organisation]\nn_employees = 80\n"
        '[programmes.m]\nkind = "mentorship"\n'
        '[arms.m]\nprogrammes = ["m"]\n' + sweep
    )
    return path


GRID_TOML = '[sweep]\nmethod = "grid"\n[sweep.grid]\n"programmes.m.p_enrol" = [0.2, 0.5]\n'


def test_cli_sweep_then_compare(tmp_path, capsys):
    from sim.app.cli import main

    path = write_sweep_file(tmp_path, GRID_TOML)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    assert "8 of 8 runs finished" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["compare", str(out), "--baseline", "no_programme", "--metric", "mean_skill"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["point"]) == {0, 1}
    assert (table["arm"] == "m").all() and (table["n"] == 2).all()


def test_cli_sweep_reports_failed_runs_with_exit_1(tmp_path, capsys, monkeypatch):
    from sim.app.cli import main

    def broken(scenario, arm, replicates):
        raise ValueError("boom")

    monkeypatch.setattr(sweep_mod, "run_batch_tables", broken)
    path = write_sweep_file(tmp_path, GRID_TOML)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "8 of 8 runs failed" in capsys.readouterr().err


def test_cli_morris_sweep_writes_sensitivity(tmp_path):
    from sim.app.cli import main

    sweep = (
        '[sweep]\nmethod = "morris"\nn_samples = 3\nkeep_weeks = "last"\n'
        '[sweep.ranges]\n"programmes.m.p_enrol" = [0.1, 0.6]\n'
        '"turnover.p_quit_per_week" = [0.002, 0.006]\n'
    )
    path = write_sweep_file(tmp_path, sweep, replicates=1)
    out = tmp_path / "sa"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    indices = pd.read_csv(out / "sensitivity.csv")
    assert set(indices["parameter"]) == {"programmes.m.p_enrol", "turnover.p_quit_per_week"}
    assert (out / "figures" / "sensitivity.png").stat().st_size > 1000


def test_cli_run_with_precision_target(tmp_path, capsys):
    from sim.app.cli import main

    flagship = Path(__file__).parent.parent / "scenarios" / "mentorship_vs_peer_coaching.toml"
    args = [
        "run",
        str(flagship),
        "--set",
        "organisation.n_employees=80",
        "--set",
        "horizon_weeks=8",
        "--out",
        str(tmp_path / "p"),
        "--no-figures",
        "--no-progress",
        "--max-replicates",
        "6",
    ]
    assert main([*args, "--precision", "mean_skill=1e-9"]) == 0
    assert "Stopped at 6 replicates" in capsys.readouterr().out
    assert main([*args, "--precision", "mean_skill=abc"]) == 2
    assert "METRIC=HALFWIDTH" in capsys.readouterr().err


def test_ctrl_c_stops_a_sweep_and_says_how_to_resume(tmp_path):
    # 40 points x 8 replicates x 2 arms: far more runs than can finish between the third
    # part file appearing and the signal arriving, even on a loaded machine (with 60 runs,
    # a loaded machine once finished them all before the signal came).
    values = ", ".join(f"{0.02 * k:.2f}" for k in range(1, 41))
    path = write_sweep_file(
        tmp_path, GRID_TOML.replace("[0.2, 0.5]", f"[{values}]"), horizon=80, replicates=8
    )
    out = tmp_path / "int"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--no-progress"]
    cmd += ["--set", "seed=3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "timeseries").glob("*.parquet"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=60)
    done = len(list((out / "timeseries").glob("*.parquet")))
    assert proc.returncode == 130, f"exit {proc.returncode}, {done} of 640 runs; {stdout}{err}"
    assert "--resume" in err and "Traceback" not in err
    assert "--set seed=3" in err  # the command that continues repeats the options given
    assert not list((out / "timeseries").glob(".*"))  # no half-written part left visible


def test_a_batch_lost_outside_the_model_is_retried_run_by_run(tmp_path):
    """A batch whose future fails (a Dask worker lost, say) loses none of its runs."""
    from concurrent import futures

    class LosesBatches(futures.Executor):
        def __init__(self):
            self.lost = 0

        def submit(self, fn, /, *args, **kwargs):
            fut: futures.Future = futures.Future()
            if len(args[0]) > 1:  # every batch of two or more runs is lost
                self.lost += 1
                fut.set_exception(RuntimeError("worker lost"))
            else:
                fut.set_result(fn(*args, **kwargs))
            return fut

    executor = LosesBatches()
    result = run_sweep(scenario(**GRID), tmp_path / "s", executor=executor, progress=False)
    assert executor.lost > 0  # the grid's replicates were batched, and lost
    assert not result.failed and result.n_done == result.n_runs == 16
