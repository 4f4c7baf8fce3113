"""Sweeps over a posterior: the same draw in every arm and at every point, seeded as
``wlsim run --posterior``; refused when a swept parameter is drawn; resume checks the
posterior; identical results serially and with 2 workers.

A tiny organisation (60 people, 6 weeks, 2 points x 2 arms x 4 replicates) keeps the
sweeps to about a second each; the posteriors are built by hand.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import paired_differences
from sim.analysis.uncertainty import by_point, probability_of_beating
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.posterior import plan_draws
from sim.experiments.run import run_arm
from sim.experiments.sweep import make_executor, run_sweep, swept_parameters
from sim.scenario.loading import validate_scenario

BASE = {
    "name": "sweep_posterior_test",
    "horizon_weeks": 6,
    "replicates": 4,
    "organisation": {"n_employees": 60},
    "programmes": {"m": {"kind": "mentorship"}},
    "arms": {"none": {}, "m": {"programmes": ["m"]}},
}
SWEEP = {"grid": {"learning.rate_session_per_hour": [0.02, 0.08]}, "keep_weeks": 1}
DRAWN = ("engagement.mean_baseline", "turnover.p_quit_per_week")


def scenario(**changes):
    return validate_scenario({**BASE, "sweep": SWEEP, **changes})


def particles(n: int = 20, shift: float = 0.0) -> pd.DataFrame:
    """Engagement baselines 0.40, 0.42, ...: week 0's engagement shows which was drawn."""
    return pd.DataFrame(
        {
            DRAWN[0]: 0.40 + shift + 0.02 * np.arange(n),
            DRAWN[1]: 0.002 + 0.0001 * np.arange(n),
            "weight": np.full(n, 1.0 / n),
        }
    )


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The same sweep over a posterior, serially and with 2 worker processes."""
    root = tmp_path_factory.mktemp("sweeps")
    sc = scenario()
    serial = run_sweep(sc, root / "serial", posterior=particles(), posterior_draws=2)
    with make_executor(workers=2) as pool:
        run_sweep(
            sc,
            root / "pool",
            executor=pool,
            progress=False,
            posterior=particles(),
            posterior_draws=2,
        )
    return serial, root


def test_every_point_and_arm_runs_replicate_r_under_the_same_draw(swept):
    result, root = swept
    folder = root / "serial"
    plan = pd.read_parquet(folder / "plan.parquet")
    assert len(plan) == 2 * 4 * 2 and result.n_done == 16
    assert (plan["draw"] == plan["replicate"] // 2).all()
    # Drawn as wlsim run --posterior draws them: one home for the seeding.
    alone = plan_draws(scenario(), particles(), 2).table
    draws = pd.read_parquet(folder / "posterior_draws.parquet")
    pd.testing.assert_frame_equal(draws, alone)
    assert draws["particle"].nunique() == 2
    # Week 0 follows the drawn engagement baseline: equal in every arm and at every point
    # for a replicate, different between the two draws.
    ts = pd.read_parquet(folder / "timeseries").merge(plan[["run_id", "replicate"]], "left")
    week0 = ts[ts["week"] == 0].pivot_table(
        index="replicate", columns=["point", "arm"], values="mean_engagement"
    )
    assert week0.nunique(axis=1).eq(1).all()
    baseline = draws.set_index("replicate")[DRAWN[0]]
    assert baseline.max() - baseline.min() > 0.1
    assert (week0.iloc[:, 0] - baseline).abs().max() < 0.05
    # A run is exactly a plain run with the point's and the draw's values set.
    run = plan.iloc[-1]
    values = draws.iloc[int(run["replicate"])]
    raw = {**BASE, "sweep": SWEEP}
    raw["learning"] = {"rate_session_per_hour": float(run["learning.rate_session_per_hour"])}
    raw["engagement"] = {"mean_baseline": float(values[DRAWN[0]])}
    raw["turnover"] = {"p_quit_per_week": float(values[DRAWN[1]])}
    plain = run_arm(validate_scenario(raw), str(run["arm"]), int(run["replicate"]))
    mine = ts[ts["run_id"] == run["run_id"]]
    pd.testing.assert_frame_equal(
        mine[plain.columns].reset_index(drop=True), plain.reset_index(drop=True)
    )


def test_the_draw_is_not_a_swept_parameter_and_the_folder_records_the_posterior(swept):
    _, root = swept
    folder = root / "serial"
    assert swept_parameters(folder) == ["learning.rate_session_per_hour"]
    runs = pd.read_parquet(folder / "runs.parquet")
    assert "draw" in runs.columns
    table = paired_differences(runs, "none", ["mean_skill"], parameters=swept_parameters(folder))
    assert list(table["n"]) == [4, 4] and "draw" not in table.columns
    # The probability of beating the control, point by point, over the 2 draws of 2.
    beating = by_point(runs, "none", ["mean_skill"], swept_parameters(folder))
    assert list(beating["point"]) == [0, 1] and list(beating["draws"]) == [2, 2]
    assert list(beating["learning.rate_session_per_hour"]) == [0.02, 0.08]
    at1 = runs[runs["point"] == 1]
    alone = probability_of_beating(
        at1, at1[["replicate", "draw"]].drop_duplicates(), "none", ["mean_skill"]
    )
    pd.testing.assert_frame_equal(
        beating.iloc[[1], 2:].reset_index(drop=True), alone, check_dtype=False
    )
    meta = json.loads((folder / "metadata.json").read_text())["posterior"]
    assert meta["draws"] == 2 and meta["replicates_per_draw"] == 2
    assert set(pd.read_csv(folder / "manifest.csv")["draw"]) == {0, 1}
    assert (folder / "posterior.parquet").is_file()


def test_serial_and_two_workers_give_identical_files(swept):
    _, root = swept
    for name in ("plan.parquet", "runs.parquet", "posterior_draws.parquet"):
        assert (root / "pool" / name).read_bytes() == (root / "serial" / name).read_bytes()
    parts = sorted((root / "serial" / "timeseries").glob("*.parquet"))
    assert len(parts) == 16
    for part in parts:
        assert (root / "pool" / "timeseries" / part.name).read_bytes() == part.read_bytes()


def test_resume_refuses_another_posterior_or_none(swept, tmp_path):
    _, root = swept
    folder = tmp_path / "copy"
    shutil.copytree(root / "serial", folder)
    sc = scenario()
    with pytest.raises(ScenarioError, match="the posterior differs"):
        run_sweep(sc, folder, resume=True, posterior=particles(shift=0.01), posterior_draws=2)
    with pytest.raises(ScenarioError, match=r"then .*, now no posterior"):
        run_sweep(sc, folder, resume=True)
    with pytest.raises(ScenarioError, match="the posterior differs"):
        run_sweep(sc, folder, resume=True, posterior=particles(), posterior_draws=4)
    again = run_sweep(sc, folder, resume=True, posterior=particles(), posterior_draws=2)
    assert again.n_done == 16
    assert (folder / "runs.parquet").read_bytes() == (root / "serial" / "runs.parquet").read_bytes()


def test_a_swept_parameter_in_the_posterior_and_bad_draws_are_refused(tmp_path):
    drawn = particles().assign(**{"learning.rate_session_per_hour": 0.05})
    with pytest.raises(ScenarioError, match=r"also sets: learning\.rate_session_per_hour"):
        run_sweep(scenario(), tmp_path / "a", posterior=drawn)
    with pytest.raises(ScenarioError, match=r"--set replicates=6"):
        run_sweep(scenario(), tmp_path / "b", posterior=particles(), posterior_draws=3)
    with pytest.raises(ScenarioError, match="needs --posterior"):
        run_sweep(scenario(), tmp_path / "c", posterior_draws=2)
    assert not any(tmp_path.iterdir())


def test_cli_sweep_over_a_posterior_names_it_in_the_resume_command(tmp_path, capsys):
    cal = tmp_path / "cal"
    cal.mkdir()
    particles().to_parquet(cal / "posterior.parquet", index=False)
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "cli_post"\nhorizon_weeks = 4\nreplicates = 2\n'
        "[organisation]\nn_employees = 60\n"
        '[programmes.m]\nkind = "mentorship"\n[arms.none]\n[arms.m]\nprogrammes = ["m"]\n'
        '[sweep]\nmethod = "grid"\n[sweep.grid]\n"learning.rate_session_per_hour" = [0.02]\n'
    )
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--no-progress", "--posterior", str(cal)]
    assert main(args) == 0
    assert "4 of 4 runs finished" in capsys.readouterr().out
    beating = pd.read_csv(out / "uncertainty.csv")
    assert list(
        beating[["point", "arm", "baseline"]].drop_duplicates().itertuples(index=False)
    ) == [(0, "m", "none")]
    assert json.loads((out / ".wlsim").read_text())["posterior"]["draws"] == 2
    assert main([*args[:-2], "--resume"]) == 2
    assert "the posterior differs" in capsys.readouterr().err
    from argparse import Namespace

    from sim.app.cli import _resume_command

    words = Namespace(
        command="sweep",
        scenario=path,
        overrides=[],
        workers=1,
        scheduler=None,
        posterior=cal,
        posterior_draws=2,
    )
    assert f"--posterior {cal} --posterior-draws 2 --out" in _resume_command(words, out)
