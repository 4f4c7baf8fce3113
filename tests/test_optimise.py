"""wlsim optimise: finds a known optimum, respects its constraints, refuses bad input.

`scenarios/optimise/known_optimum.toml` is built so that the answer is known: one lever
(how many mentees a mentorship takes, 4 to 40 in steps of 4) whose effect on the
objective (people reached, against no programme) rises with it, and a planned budget
of 60,000 a year that 24 mentees meet (57,515) and 28 do not (67,101). A small
organisation and a one-year horizon keep a study to a few seconds.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.front import Quantity, decide, pareto, plot, recommendation, summarise
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments import optimise as opt_mod
from sim.experiments.optimise import plan_optimisation, planned_values, run_optimisation

pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ROOT / "scenarios" / "optimise" / "known_optimum.toml"
LEVER = "programmes.mentorship.n_learners"
BUDGET = 60_000


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The known-optimum study, run once serially."""
    folder = tmp_path_factory.mktemp("opt") / "whole"
    result = run_optimisation(sim.load_scenario(KNOWN), folder, progress=False, source=str(KNOWN))
    return folder, result


def test_finds_the_known_optimum_and_recommends_it(whole):
    folder, result = whole
    front = result.front
    leader = front[front["recommended"]]
    assert set(leader[LEVER]) == {24}, result.text
    assert "Recommended: programmes.mentorship.n_learners = 24" in result.text
    # Designs over the budget were not run and are recorded as such.
    over = result.trials[result.trials[LEVER] > 24]
    assert len(over) and over["status"].str.startswith("over a planned bound").all()
    for name in ("trials.csv", "front.csv", "recommendation.txt", "provenance.json"):
        assert (folder / name).exists()
    assert (folder / "figures" / "front.png").stat().st_size > 1000


def test_returned_designs_never_violate_a_constraint(whole):
    folder, result = whole
    rows = result.front[result.front["kind"] == "constraint"]
    assert len(rows) and (rows["mean"] <= BUDGET).all()
    files = sorted((folder / "designs").glob("design_*.toml"))
    assert len(files) == len(result.decision.front) >= 1
    for path in files:
        design = sim.load_scenario(path)  # a ready-to-run scenario extending the source
        assert planned_values(design, "mentorship")["planned_cost_per_year"] <= BUDGET
        assert tomllib.loads(path.read_text())["programmes"]["mentorship"][LEVER.split(".")[-1]]


@pytest.mark.slow  # a pool of two workers and a two-worker Dask cluster (about 16 s loaded)
def test_same_front_on_processes_on_dask_and_after_an_interruption(whole, tmp_path, monkeypatch):
    _, result = whole
    from sim.experiments.sweep import make_executor

    with make_executor(workers=2) as pool:
        on_pool = run_optimisation(
            sim.load_scenario(KNOWN), tmp_path / "pool", executor=pool, progress=False
        )
    pd.testing.assert_frame_equal(on_pool.trials, result.trials, check_exact=True)
    pd.testing.assert_frame_equal(on_pool.front, result.front, check_exact=True)
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        make_executor(scheduler=cluster.scheduler_address) as on_cluster,
    ):
        on_dask = run_optimisation(
            sim.load_scenario(KNOWN), tmp_path / "dask", executor=on_cluster, progress=False
        )
    pd.testing.assert_frame_equal(on_dask.trials, result.trials, check_exact=True)
    pd.testing.assert_frame_equal(on_dask.front, result.front, check_exact=True)

    real = opt_mod._Study.tell
    calls = {"n": 0}

    def interrupted(self, trial, outcome):
        calls["n"] += 1
        if calls["n"] == 6:  # in the middle of the second round of four
            raise KeyboardInterrupt
        return real(self, trial, outcome)

    monkeypatch.setattr(opt_mod._Study, "tell", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_optimisation(sim.load_scenario(KNOWN), tmp_path / "cut", progress=False)
    assert not (tmp_path / "cut" / "front.csv").exists()
    monkeypatch.setattr(opt_mod._Study, "tell", real)
    with pytest.raises(ScenarioError, match="already exists; pass --resume"):
        run_optimisation(sim.load_scenario(KNOWN), tmp_path / "cut", progress=False)
    resumed = run_optimisation(
        sim.load_scenario(KNOWN), tmp_path / "cut", resume=True, progress=False
    )
    pd.testing.assert_frame_equal(resumed.trials, result.trials, check_exact=True)
    pd.testing.assert_frame_equal(resumed.front, result.front, check_exact=True)
    other = sim.load_scenario(KNOWN, overrides=["optimise.trials=13"])
    with pytest.raises(ScenarioError, match="another scenario"):
        run_optimisation(other, tmp_path / "cut", resume=True, progress=False)


def test_levers_without_effect_are_reported_within_noise(tmp_path):
    # p_challenge_per_week acts only with trigger = "challenge": every design runs the same.
    sc = sim.load_scenario(
        KNOWN, overrides=["optimise.trials=3", "optimise.batch=3", "optimise.max_replicates=4"]
    )
    raw = sc.model_dump(mode="python")
    raw["optimise"]["levers"] = {
        "programmes.mentorship.p_challenge_per_week": {"choices": [0.1, 0.2, 0.3]}
    }
    raw["optimise"]["constraints"] = []
    result = run_optimisation(
        sim.validate_scenario(raw), tmp_path / "noise", progress=False, source=str(KNOWN)
    )
    assert "within noise of each other" in result.text
    assert "Recommended" not in result.text
    assert not result.front["recommended"].any()
    # The open decision earned the contenders more replicates, up to the most allowed.
    assert set(result.front["n"]) == {4}


def test_the_cli_prints_the_recommendation_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["optimise", str(KNOWN), "--out", str(out), "--no-progress"]
    assert main([*args, "--set", "optimise.trials=4"]) == 0
    assert "Recommended" in capsys.readouterr().out
    assert main([*args, "--set", "optimise.objectives=[]"]) == 2
    assert "has no objectives" in capsys.readouterr().err


def _with(**changes):
    raw = sim.load_scenario(KNOWN).model_dump(mode="python")
    raw["optimise"] = {**raw["optimise"], **changes}
    return sim.validate_scenario(raw)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"levers": {"programmes.mentorship.n_learner": {"low": 4, "high": 8}}},
            r"not a scenario parameter: no 'n_learner' \(did you mean 'n_learners'\?\)",
        ),
        (
            {"levers": {"programmes.mentorship.n_learners": {"low": 4, "high": 400}}},
            r"n_learners' = 400 makes an invalid scenario: .*more learners than",
        ),
        (
            {"levers": {"programmes.mentorship.kind": {"choices": ["mentorship"]}}},
            "kind cannot be a lever",
        ),
        ({"levers": {"arm": {"choices": ["mentorhip"]}}}, "did you mean 'mentorship'"),
        (
            {"objectives": [{"metric": "mean_skil", "direction": "maximise"}]},
            r"objectives\[0\].metric = 'mean_skil' names no metric \(did you mean 'mean_skill'\?\)",
        ),
        (
            {"constraints": [{"metric": "planned_cost_per_year", "max": 5000}]},
            "budget is infeasible: no design meets every planned constraint. "
            "planned_cost_per_year <= 5000: the best of 66 designs",
        ),
        ({"baseline": "mentorship"}, "is the baseline every design is compared with"),
        (
            {"objectives": [{"metric": "planned_cost_per_year", "direction": "minimise"}]},
            "objectives\\[0\\].metric = 'planned_cost_per_year' is the design's own plan, not "
            "compared with the baseline 'no_programme'",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_runs(changes, message):
    with pytest.raises(ScenarioError, match=message):
        plan_optimisation(_with(**changes), str(KNOWN))


def test_the_schema_refuses_a_lever_with_neither_range_nor_choices(write_scenario):
    path = write_scenario('[optimise.levers."programmes.x.p_enrol"]\nstep = 1\n')
    with pytest.raises(ScenarioError, match="give either low and high"):
        sim.load_scenario(path)


def test_pareto_and_noise_rules_on_known_values():
    # Three designs, ten replicates: 0 and 1 tie on the first objective (the same values
    # plus noise that cancels), 2 is worse on it but cheaper; 3 breaks the budget.
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.1, 10)
    rows = []
    for d, (gain, cost) in enumerate([(1.0, 10.0), (1.0, 12.0), (0.2, 5.0), (3.0, 99.0)]):
        for r in range(10):
            shift = noise[r] * (1 if d != 1 else -1)
            rows.append({"design": d, "replicate": r, "gain": gain + shift, "cost": cost})
    values = pd.DataFrame(rows)
    objectives = [Quantity("gain", "maximise"), Quantity("cost", "minimise")]
    budget = [Quantity("cost_", max=50.0)]
    means = values.groupby("design")[["gain", "cost"]].mean()
    assert pareto(means, objectives) == [0, 2, 3]
    decision = decide(values.assign(cost_=values["cost"]), objectives, budget)
    assert decision.feasible == [0, 1, 2]
    assert decision.front == [0, 2]
    assert decision.beats_baseline
    assert decision.leader in (0, 1) and set(decision.close) >= ({0, 1} - {decision.leader})
    assert 2 not in decision.close  # far below the leader on the first objective


def test_the_optuna_requirement_admits_only_versions_with_what_optimise_uses():
    # wlsim optimise sets constraints with Trial.set_constraint, new in Optuna 5.0 (whose
    # TPE defaults also changed): the extra must refuse 4.x, and the installed one meet it.
    import optuna
    from packaging.requirements import Requirement

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in extras["optional-dependencies"]["decide"]]
    spec = next(r.specifier for r in wanted if r.name == "optuna")
    assert not spec.contains("4.9") and not spec.contains("6.0"), spec
    assert spec.contains(optuna.__version__)
    assert hasattr(optuna.trial.Trial, "set_constraint")


def test_each_objective_is_judged_against_its_own_null():
    # A risk ratio's "no effect" is 1, not 0: a design whose learners stay less than the
    # same people without it (risk ratio 0.95, interval well below 1) does not beat the
    # baseline, though its interval lies above 0; one at 1.05 does. The text and the
    # figure say what the number is and where "no effect" lies.
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, 8)
    rows = [
        {"design": d, "replicate": r, "rr": ratio + noise[r]}
        for d, ratio in enumerate([0.95, 0.9])
        for r in range(8)
    ]
    values = pd.DataFrame(rows)
    rr = Quantity("rr", "maximise", kind="risk_ratio")
    decision = decide(values, [rr], [])
    assert decision.leader == 0 and not decision.beats_baseline
    text = recommendation(decision, summarise(values, ["rr"]), values, [rr], [], {0: "a", 1: "b"},
                          "no_programme", 8)  # fmt: skip
    assert "a risk ratio of its learners against the same people in no_programme" in text
    assert "not higher than 1 (no effect) beyond noise" in text
    ax = plot(summarise(values, ["rr"]), decision, [rr]).axes[0]
    assert "risk ratio against the baseline (1: none)" in ax.get_ylabel()
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in ax.get_lines())
    above = values.assign(rr=values["rr"] + 0.1)  # 1.05 and 1.0
    assert decide(above, [rr], []).beats_baseline


def test_objectives_carry_the_null_of_what_they_measure():
    objectives = [
        {"effect": "retention", "statistic": "risk_ratio", "direction": "maximise"},
        {"effect": "skill_focus", "statistic": "d", "direction": "maximise"},
        {"metric": "planned_cost_per_year", "direction": "minimise"},
    ]
    problem = plan_optimisation(_with(objectives=objectives, constraints=[]), str(KNOWN))
    nulls = [q.null for q in problem.objective_quantities]
    assert nulls[:2] == [1.0, 0.0] and np.isnan(nulls[2])


@pytest.mark.parametrize(
    "fields",
    [
        {"metric": "mean_skill", "effect": "skill_focus"},
        {},
        {"effect": "retention", "statistic": "d"},
        {"effect": "skill_job", "statistic": "risk_ratio"},
        {"effect": "promotion", "statistic": "risk_ratio", "measure": "observed"},
    ],
)
def test_targets_and_objectives_refuse_a_bad_metric_or_effect_by_one_rule(fields):
    # A calibration target and an optimisation objective name a metric or an effect
    # the same way; one rule checks both, with the same message.
    from pydantic import ValidationError

    from sim.scenario.schema import Objective, Target, _check_metric_or_effect

    args = {"metric": "", "effect": "", "statistic": "d", "measure": "latent"} | fields
    with pytest.raises(ValueError) as rule:
        _check_metric_or_effect(**args)
    with pytest.raises(ValidationError) as target:
        Target(**fields, observed=1.0, sd=0.1)
    with pytest.raises(ValidationError) as objective:
        Objective(**fields, direction="maximise")
    assert str(rule.value) in str(target.value)
    assert str(rule.value) in str(objective.value)


def test_over_a_posterior_every_replicate_runs_its_own_draw(tmp_path):
    particles = pd.DataFrame(
        {"turnover.p_quit_per_week": [0.002, 0.004, 0.008], "weight": [1.0, 1.0, 1.0]}
    )
    scenario = sim.load_scenario(KNOWN, overrides=["optimise.trials=4"])
    problem = plan_optimisation(scenario, str(KNOWN), posterior=particles)
    assert len(problem.draws) == scenario.optimise.max_replicates
    drawn = {d["turnover.p_quit_per_week"] for d in problem.draws}
    assert drawn <= {0.002, 0.004, 0.008} and len(drawn) > 1  # draws from the particles
    with_post = run_optimisation(
        scenario, tmp_path / "post", progress=False, source=str(KNOWN), posterior=particles
    )
    plain = run_optimisation(scenario, tmp_path / "plain", progress=False, source=str(KNOWN))
    assert len(with_post.trials) == len(plain.trials) == 4
    # Quits change who stays to be reached: other parameters give other values.
    reached = "n_learners_reached"
    assert not np.array_equal(with_post.values[reached], plain.values[reached])
    lever_too = particles.rename(columns={"turnover.p_quit_per_week": LEVER})
    with pytest.raises(ScenarioError, match="the posterior also sets the levers"):
        plan_optimisation(scenario, str(KNOWN), posterior=lever_too)
