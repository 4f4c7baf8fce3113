"""wlsim calibrate: ABC-SMC fits, refuses bad input up front, and is reproducible.

A small organisation and short horizon keep each calibration to a few seconds; the full
recovery study (20 repetitions, coverage of the 90% intervals) is a benchmark whose
results are in docs/calibration.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.posterior import weighted_quantiles
from sim.errors import ScenarioError
from sim.experiments import calibrate as cal_mod
from sim.experiments.calibrate import plan_calibration, run_calibration
from sim.scenario.loading import validate_scenario

pytest.importorskip("pyabc")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["organisation.n_employees=100", "horizon_weeks=26"]


def scenario(**calibration):
    raw = sim.load_scenario(ROOT / "scenarios/baseline.toml", overrides=SMALL).model_dump(
        mode="python"
    )
    raw["calibration"] = {
        "parameters": {"turnover.p_quit_per_week": {"low": 0.001, "high": 0.02}},
        "targets": [{"metric": "cumulative_quits", "observed": 10.0, "sd": 2.0}],
        "population": 16,
        "generations": 3,
        **calibration,
    }
    return validate_scenario(raw)


def test_a_calibration_narrows_the_prior_toward_the_data(tmp_path):
    result = run_calibration(scenario(), tmp_path / "c", progress=False)
    post = result.posterior
    assert np.isclose(post["weight"].sum(), 1.0)
    assert len(post) == 16 and len(result.generations) == 3
    # The tolerance shrinks generation by generation, and the simulated quits approach 10.
    assert result.generations["tolerance"].is_monotonic_decreasing
    row = result.predictive.iloc[0]
    assert row["simulated_q05"] <= 10.0 <= row["simulated_q95"]
    # 100 people x 26 weeks x p = 10 quits: p near 0.004, far inside the prior [0.001, 0.02].
    low, high = weighted_quantiles(
        post["turnover.p_quit_per_week"].to_numpy(), post["weight"].to_numpy(), (0.05, 0.95)
    )
    assert 0.001 < low < 0.0045 < high < 0.01
    for name in ("posterior.parquet", "generations.csv", "predictive.csv", "provenance.json"):
        assert (tmp_path / "c" / name).exists()
    # One parameter: the report and its figures, without a pairwise plot.
    assert (
        "<h2>Identifiability: what to measure next</h2>" in (tmp_path / "c/report.html").read_text()
    )
    assert sorted(p.name for p in (tmp_path / "c/figures").iterdir()) == [
        "generations.png",
        "predictive_check.png",
        "prior_posterior.png",
    ]


@pytest.mark.slow
def test_same_posterior_serially_on_worker_processes_and_on_dask(tmp_path):
    from sim.app.cli import main

    path = tmp_path / "cal.toml"
    path.write_text(
        f'extends = "{ROOT / "scenarios/baseline.toml"}"\nname = "c"\nhorizon_weeks = 26\n'
        "[organisation]\nn_employees = 100\n"
        "[calibration]\npopulation = 12\ngenerations = 2\n"
        '[calibration.parameters."turnover.p_quit_per_week"]\nlow = 0.001\nhigh = 0.02\n'
        '[[calibration.targets]]\nmetric = "cumulative_quits"\nobserved = 10.0\nsd = 2.0\n'
    )
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert (
            main(["calibrate", str(path), "--out", str(out), "--workers", workers, "--no-progress"])
            == 0
        )
    a, b = (pd.read_parquet(tmp_path / f"w{w}" / "posterior.parquet") for w in "12")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    distributed = pytest.importorskip("distributed")
    from sim.experiments.sweep import make_executor

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        make_executor(scheduler=cluster.scheduler_address) as dask_executor,
    ):
        sc = sim.load_scenario(path)
        on_dask = run_calibration(sc, tmp_path / "dask", executor=dask_executor, progress=False)
    pd.testing.assert_frame_equal(on_dask.posterior, a, check_exact=True)


def test_resume_after_an_interruption_gives_the_same_posterior(tmp_path, monkeypatch):
    whole = run_calibration(scenario(), tmp_path / "whole", progress=False)
    real = cal_mod.simulate
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 60:  # in the second generation
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(cal_mod, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_calibration(scenario(), tmp_path / "cut", progress=False)
    assert not (tmp_path / "cut" / "posterior.parquet").exists()
    monkeypatch.setattr(cal_mod, "simulate", real)
    with pytest.raises(ScenarioError, match="already exists; pass --resume"):
        run_calibration(scenario(), tmp_path / "cut", progress=False)
    resumed = run_calibration(scenario(), tmp_path / "cut", resume=True, progress=False)
    pd.testing.assert_frame_equal(resumed.posterior, whole.posterior, check_exact=True)
    pd.testing.assert_frame_equal(resumed.generations, whole.generations, check_exact=True)
    with pytest.raises(ScenarioError, match="another scenario"):
        run_calibration(scenario(population=17), tmp_path / "cut", resume=True, progress=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"targets": [{"metric": "cumulative_quit", "observed": 1.0, "sd": 1.0}]},
            "did you mean 'cumulative_quits'",
        ),
        (
            {"targets": [{"metric": "quits", "arm": "mentor", "observed": 1.0, "sd": 1.0}]},
            "no such arm",
        ),
        (
            {"targets": [{"metric": "quits", "week": 99, "observed": 1.0, "sd": 1.0}]},
            "the run ends at week 26",
        ),
        (
            {"parameters": {"turnover.p_quit_per_wek": {"low": 0.001, "high": 0.02}}},
            "did you mean 'p_quit_per_week'",
        ),
        (
            {"parameters": {"turnover.p_quit_per_week": {"low": 0.001, "high": 3.0}}},
            "prior's high = 3.0 is not a value",
        ),
        ({"parameters": {"organisation.levels": {"low": 1, "high": 3}}}, "only numeric parameters"),
        ({"parameters": {}}, "name at least one parameter"),
        ({"targets": []}, "give at least one target"),
    ],
)
def test_bad_calibrations_are_refused_before_anything_runs(change, message, tmp_path):
    with pytest.raises(ScenarioError, match=message):
        run_calibration(scenario(**change), tmp_path / "c", progress=False)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        ({"low": 0.02, "high": 0.001}, "low must be below high"),
        (
            {"distribution": "loguniform", "low": 0.0, "high": 0.01},
            "loguniform prior needs low > 0",
        ),
        ({"low": 0.001, "high": 0.02, "distributon": "uniform"}, "distributon"),
    ],
)
def test_bad_priors_are_refused_when_the_file_is_read(prior, message):
    with pytest.raises(ScenarioError, match=message):
        scenario(parameters={"turnover.p_quit_per_week": prior})


@pytest.mark.slow
def test_a_two_parameter_calibration_recovers_known_values(tmp_path):
    """Smoke version of the recovery study: data simulated from known values, refitted.

    Criterion: each true value lies inside its 90% posterior interval, and the posterior
    of each parameter is at most half as wide (sd) as its prior.
    """
    truth = {"turnover.p_quit_per_week": 0.004, "engagement.mean_baseline": 0.6}
    base = scenario()
    raw = base.model_dump(mode="python")
    raw["organisation"]["n_employees"] = 300
    raw["horizon_weeks"] = 52  # about 60 quits: a count that pins the rate down
    raw["calibration"].update(
        parameters={
            "turnover.p_quit_per_week": {"low": 0.001, "high": 0.012},
            "engagement.mean_baseline": {"low": 0.3, "high": 0.9},
        },
        targets=[
            {"metric": "cumulative_quits", "observed": 0.0, "sd": 8.0},  # sd: Poisson noise
            {"metric": "mean_engagement", "observed": 0.0, "sd": 0.01},
        ],
    )
    problem = plan_calibration(validate_scenario(raw))
    observed = cal_mod.simulate(problem, truth, seed=base.seed + 1)
    raw = problem.scenario.model_dump(mode="python")
    for target, key in zip(raw["calibration"]["targets"], problem.keys, strict=True):
        target["observed"] = observed[key]
    raw["calibration"].update(population=40, generations=5)
    fitted = run_calibration(validate_scenario(raw), tmp_path / "c", progress=False)
    post = fitted.posterior
    for path, value in truth.items():
        low, high = weighted_quantiles(
            post[path].to_numpy(), post["weight"].to_numpy(), (0.05, 0.95)
        )
        assert low <= value <= high, (path, low, value, high)
        prior = raw["calibration"]["parameters"][path]
        prior_sd = (prior["high"] - prior["low"]) / np.sqrt(12)
        mean = np.average(post[path], weights=post["weight"])
        sd = np.sqrt(np.average((post[path] - mean) ** 2, weights=post["weight"]))
        assert sd <= prior_sd / 2, (path, sd, prior_sd)


def test_resuming_a_calibration_that_met_its_tolerance_changes_nothing(tmp_path):
    first = run_calibration(scenario(tolerance=50.0), tmp_path / "c", progress=False)
    assert len(first.generations) == 1  # the first tolerance is already below 50
    again = run_calibration(scenario(tolerance=50.0), tmp_path / "c", resume=True, progress=False)
    pd.testing.assert_frame_equal(again.posterior, first.posterior, check_exact=True)
    pd.testing.assert_frame_equal(again.generations, first.generations, check_exact=True)


def test_a_target_without_a_value_is_refused_before_the_calibration(tmp_path):
    target = {"metric": "retention_participants", "observed": 0.9, "sd": 0.05}
    with pytest.raises(ScenarioError, match=r"no value for retention_participants \[no_prog"):
        run_calibration(scenario(targets=[target]), tmp_path / "c", progress=False)
    assert not (tmp_path / "c").exists()


def test_particles_breaking_a_rule_between_parameters_are_rejected(tmp_path):
    raw = sim.load_scenario(
        ROOT / "scenarios/mentorship_vs_peer_coaching.toml", overrides=SMALL
    ).model_dump(mode="python")
    raw["calibration"] = {
        "parameters": {
            "programmes.mentorship.level_gap_min": {"low": 1, "high": 2},
            "programmes.mentorship.level_gap_max": {"low": 1, "high": 2},
        },
        "targets": [{"metric": "mean_skill", "arm": "mentorship", "observed": 0.5, "sd": 0.05}],
        "population": 12,
        "generations": 2,
    }
    problem = plan_calibration(validate_scenario(raw))
    bad = cal_mod.simulate(problem, dict(zip(problem.paths, (2, 1), strict=True)), seed=1)
    assert bad == {"target_0": np.inf}  # min above max: no match possible
    result = run_calibration(validate_scenario(raw), tmp_path / "c", progress=False)
    post = result.posterior
    assert (
        post["programmes.mentorship.level_gap_min"] <= post["programmes.mentorship.level_gap_max"]
    ).all()
    assert post["programmes.mentorship.level_gap_min"].dtype == np.int64  # the values that ran


def test_a_resume_is_refused_when_the_history_changed(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("measure,from_week,to_week,value\nquits,0,26,8\n")
    sc = scenario(targets=[], history=str(history), generations=2)
    run_calibration(sc, tmp_path / "c", progress=False)
    history.write_text("measure,from_week,to_week,value\nquits,0,26,30\n")
    with pytest.raises(ScenarioError, match="a data file changed"):
        run_calibration(sc, tmp_path / "c", resume=True, progress=False)


def test_whole_number_priors_give_every_value_the_same_chance():
    pyabc = pytest.importorskip("pyabc")
    rv = pyabc.RV("uniform", 1 - 0.5, 3.0)  # as calibrate draws [1, 3]
    draws = np.round([rv.rvs() for _ in range(3000)])
    shares = np.bincount(draws.astype(int), minlength=4)[1:] / len(draws)
    assert np.allclose(shares, 1 / 3, atol=0.04)  # about 4.7 standard errors


def test_the_simulation_budget_is_a_cap(tmp_path):
    # 16 for the prior sample, then generations of 16 accepted: the budget of 60 runs out
    # during a generation, which stops unfinished; the one before is the posterior.
    result = run_calibration(
        scenario(budget_simulations=60, generations=5), tmp_path / "c", progress=False
    )
    assert result.simulations <= 60
    assert 1 <= len(result.generations) < 5
    assert len(result.posterior) == 16
    with pytest.raises(ScenarioError, match="budget_simulations = 20: too small"):
        plan_calibration(scenario(budget_simulations=20))
