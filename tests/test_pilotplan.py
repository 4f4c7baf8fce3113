"""Planning a pilot's evaluation (wlsim pilot): power, bias, the size needed, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import pilotplan as stats
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.pilotplan import check_plan, eligible_ids, simulate
from sim.model.workplace import WorkplaceModel

ROOT = Path(__file__).resolve().parents[1]
MENTORSHIP = ROOT / "scenarios/programmes/mentorship.toml"


def scenario(*overrides: str, n: int = 300, horizon: int = 26):
    """The mentorship scenario, small: ``n`` employees, ``horizon`` weeks."""
    return sim.load_scenario(
        MENTORSHIP,
        overrides=[f"organisation.n_employees={n}", f"horizon_weeks={horizon}", *overrides],
    )


def test_analytic_power_matches_simulated_normal_samples():
    # The formula and the test agree where the formula applies: normal outcomes, two
    # independent groups. Criterion: within 3 Monte Carlo standard errors (+0.01).
    rng = np.random.default_rng(5)
    d, n1, n2, alpha, reps = 0.5, 30, 60, 0.05, 2000
    rows = []
    for _ in range(reps):
        x, y = rng.normal(d, 1, n1), rng.normal(0, 1, n2)
        rows.append({"p_value": stats.welch(x, y), "estimate": x.mean() - y.mean()})
    simulated = stats.detected(pd.DataFrame(rows), alpha, 1.0).mean()
    analytic = float(stats.analytic_power(d, n1, n2, alpha))
    assert 0.5 < analytic < 0.8  # a case where the test has something to show
    assert abs(simulated - analytic) < 3 * np.sqrt(analytic * (1 - analytic) / reps) + 0.01


def test_fitted_curve_recovers_the_effect_and_the_size_needed():
    # Detections drawn from the analytic power at a known d: the fit finds d, and the
    # size it says reaches 80% power does reach it, one fewer does not.
    rng = np.random.default_rng(2)
    rows = []
    for size in (20, 40, 80, 160):
        p = float(stats.analytic_power(0.3, size, 400, 0.05))
        for r in range(200):
            hit = rng.random() < p
            rows.append({"size": size, "weeks": 26, "replicate": r, "n_participants": size,
                         "n_comparison": 400, "estimate": 0.1, "true_effect": 0.1,
                         "p_value": 0.001 if hit else 0.5})  # fmt: skip
    curve = stats.fit_power_curve(pd.DataFrame(rows), 0.05, lambda s: np.full_like(s, 400.0), 800)
    assert curve is not None and curve.d == pytest.approx(0.3, abs=0.03)
    need = curve.size_for(0.8)
    assert need is not None
    assert float(curve.power(np.ceil(need))) >= 0.8 > float(curve.power(np.ceil(need) - 1))


def test_volunteers_are_nested_and_lean_the_way_the_selection_model_says():
    rng = np.random.default_rng(0)
    z = stats.standardise(rng.normal(size=500))
    order = stats.selection_keys(np.random.default_rng(1), z, 1.5)
    assert sorted(order) == list(range(500))  # an order of everyone: sizes are nested
    assert z[order[:50]].mean() > 0.8  # the first volunteers are the most engaged
    assert abs(z[stats.selection_keys(np.random.default_rng(1), z, None)[:50]].mean()) < 0.4


def test_pilot_power_agrees_with_the_analytic_two_sample_power():
    # Randomised enrolment, equal groups: each simulated evaluation is a two-sample t-test
    # on independent people, so the simulated power should be the formula's at the
    # simulated standardised effect and group sizes. Criterion: within 3 Monte Carlo
    # standard errors plus 0.05 (the effect varies a little between replicates).
    sc = scenario(
        "pilot.domain=leadership", "pilot.n_participants=25", "pilot.n_comparison=25",
        "pilot.dur_weeks=20", "pilot.sizes=[25]", "pilot.durations=[20]",
        "pilot.measure=latent",
    )  # fmt: skip
    reps = 120
    per = simulate(check_plan(sc, replicates=reps), progress=False)
    table = stats.power_table(per, 0.05)
    row = table.iloc[0]
    assert 0.2 < row["power"] < 0.9, row  # the case is informative
    analytic = float(
        stats.analytic_power(row["d"], row["n_participants"], row["n_comparison"], 0.05)
    )
    assert abs(row["power"] - analytic) < 3 * np.sqrt(analytic * (1 - analytic) / reps) + 0.05
    # Randomised: the naive comparison is unbiased for the true effect (CI covers 0).
    assert row["bias_low"] <= 0 <= row["bias_high"], row


@pytest.mark.parametrize("slope, sign", [(2.0, 1), (-2.0, -1)])
def test_bias_of_the_naive_comparison_has_the_sign_of_the_selection(slope, sign):
    # Volunteers who enrol with odds rising with engagement start more engaged: compared
    # after the pilot, their survey scores exceed the others' by more than the programme
    # did, so the naive comparison overstates the effect; the reverse selection
    # understates it. Criterion: the 95% CI of the bias over replicates excludes 0 on that side.
    sc = scenario(
        "pilot.outcome=survey", "pilot.comparison=after", "pilot.enrolment=volunteers",
        "pilot.selection_on=engagement", f"pilot.selection_slope={slope}",
        "pilot.sizes=[40]", "pilot.n_participants=40", "pilot.dur_weeks=13",
        "pilot.durations=[13]",
    )  # fmt: skip
    per = simulate(check_plan(sc, replicates=12), progress=False)
    row = stats.power_table(per, 0.05).iloc[0]
    assert np.sign(per["selection_z"].mean()) == sign
    assert (row["bias_low"] > 0) if sign > 0 else (row["bias_high"] < 0), row


def test_cli_writes_the_plan_and_prints_it_in_plain_language(tmp_path, capsys):
    out = tmp_path / "pilot"
    status = main(
        ["pilot", str(MENTORSHIP), "--set", "organisation.n_employees=120", "--set",
         "horizon_weeks=8", "--participants", "10", "--weeks", "6", "--replicates", "4",
         "--out", str(out), "--no-progress"]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0
    assert "chance of detecting the programme's effect" in text
    assert "What this does not show" in text
    for name in ("pilot.txt", "power.csv", "pilot_runs.csv", "figures/power.png",
                 "scenario.resolved.toml", "metadata.json"):  # fmt: skip
        assert (out / name).is_file(), name
    power = pd.read_csv(out / "power.csv")
    assert {"size", "weeks", "power", "power_low", "power_high", "bias"} <= set(power.columns)
    assert (power["power_low"] <= power["power"]).all()
    assert (power["power"] <= power["power_high"]).all()
    runs = pd.read_csv(out / "pilot_runs.csv")
    assert list(runs.columns) == list(stats.PER_REPLICATE)
    assert len(runs) == 4 * len(power)


def test_same_seed_same_plan():
    sc = scenario("pilot.n_participants=10", "pilot.sizes=[10]", "pilot.dur_weeks=4",
                  "pilot.durations=[4]", n=120, horizon=6)  # fmt: skip
    a = simulate(check_plan(sc, replicates=3), progress=False)
    b = simulate(check_plan(sc, replicates=3), progress=False)
    pd.testing.assert_frame_equal(a, b)


BAD = [
    (
        ["--set", "pilot.arm=mentorshp"],
        "pilot.arm = 'mentorshp': not an arm (did you mean 'mentorship'?)",
    ),
    (["--outcome", "ratings"], "pilot.outcome"),
    (
        ["--domain", "leadershp"],
        "pilot.domain = 'leadershp': not a domain (did you mean 'leadership'?)",
    ),
    (["--participants", "500"], "at most"),
    (["--enrolment", "volunteers"], "needs its selection model"),
    (["--enrolment", "volunteers", "--selection-on", "engagement"], "needs its selection model"),
    (["--selection-slope", "1"], "takes no selection model"),
    (["--target-power", "1"], "pilot.target_power"),
    (["--target-power", "0"], "pilot.target_power"),
    (["--weeks", "40"], "at most 26 weeks can be measured"),
    (["--set", "pilot.programme=coaching"], "pilot.programme = 'coaching': not a programme"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_refused_before_anything_runs(tmp_path, capsys, args, message):
    out = tmp_path / "pilot"
    status = main(["pilot", str(MENTORSHIP), "--set", "organisation.n_employees=300",
                   "--set", "horizon_weeks=26", *args, "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert str(MENTORSHIP) in err
    assert not out.exists()


def test_more_participants_than_eligible_names_the_eligible():
    sc = scenario("pilot.n_participants=400")
    with pytest.raises(ScenarioError, match=r"employees are eligible for 'mentorship'"):
        check_plan(sc, "mentorship.toml")


def test_a_scenario_without_a_control_arm_is_refused():
    sc = scenario('arms.no_programme.programmes=["mentorship"]')
    with pytest.raises(ScenarioError, match="no arm without programmes"):
        check_plan(sc, "mentorship.toml")


def test_every_replicate_is_checked_on_the_seed_actually_used():
    # Eligibility depends on tenure, which differs between replicates: in this small
    # organisation replicate 0 has room for 22 participants and 2 to compare with, but
    # replicate 3 of 8 does not. Checking replicate 0 only let the other replicates
    # enrol fewer and run with no comparison group, recorded as non-detections.
    sc = scenario("programmes.mentorship.dur_tenure_max_weeks=150", "pilot.n_participants=22",
                  "pilot.sizes=[22]", "pilot.dur_weeks=10", "pilot.durations=[10]",
                  n=60, horizon=40)  # fmt: skip
    assert check_plan(sc, replicates=1).eligible_by_replicate == (24,)
    with pytest.raises(ScenarioError, match=r"only 20 employees .* in replicate 3 of 8"):
        check_plan(sc, "mentorship.toml", replicates=8)
    # --seed is the seed checked (and run): another seed, other organisations.
    other = check_plan(sc, replicates=3, seed=11)
    assert other.seed == 11 and other.replicates == 3

    def counts(seed: int) -> tuple[int, ...]:
        prog = sc.programmes["mentorship"]
        models = (WorkplaceModel(sc, arm="mentorship", replicate=r, seed=seed) for r in range(3))
        return tuple(len(eligible_ids(m, prog)) for m in models)

    assert other.eligible_by_replicate == counts(11) != counts(sc.seed)


def _evaluations(size: int, estimates, p_values, n2: int = 200) -> list[dict]:
    """Per-replicate rows of simulated evaluations at one size, outcome sd 1."""
    rows = []
    for r, (e, p) in enumerate(zip(estimates, p_values, strict=True)):
        rows.append({"size": size, "weeks": 26, "replicate": r, "n_participants": size,
                     "n_comparison": n2, "mean_participants": e, "mean_comparison": 0.0,
                     "sd_participants": 1.0, "sd_comparison": 1.0, "estimate": e,
                     "p_value": p, "true_effect": 0.3, "n_true": size, "bias": e - 0.3,
                     "selection_z": 0.0})  # fmt: skip
    return rows


def test_untested_evaluations_are_misses_in_the_table_and_the_fitted_curve_alike():
    # 100 evaluations at one size: 40 detect, 40 do not, 20 could not be tested (NaN
    # p-value: too few measured). The table counts the 20 as misses (power 40%); the
    # fitted curve used to drop them and put the power at 40/80 = 50%, so the size it
    # said a target needs was optimistic. With one size the fit reproduces the share.
    per = pd.DataFrame(_evaluations(40, [0.3] * 100, [0.001] * 40 + [0.5] * 40 + [np.nan] * 20))
    row = stats.power_table(per, 0.05).iloc[0]
    assert row["power"] == pytest.approx(0.4) and row["n_untested"] == 20
    curve = stats.fit_power_curve(per, 0.05, lambda s: np.full_like(s, 200.0), 400)
    assert curve is not None
    assert float(curve.power(40)) == pytest.approx(0.4, abs=0.01)


@pytest.mark.parametrize("spread, shrinks", [(1.0, False), (0.02, True)])
def test_the_effect_shrinking_with_size_is_said_only_beyond_noise(spread, shrinks):
    # The mean estimate falls from 0.5 to 0.35 sd between 20 and 80 participants. With
    # estimates spread by 1 sd over 10 replicates that is noise (intervals of about
    # +-0.7 overlap); spread by 0.02 it is not.
    noise = np.resize([-1.0, 1.0], 10) * spread
    per = pd.DataFrame(
        _evaluations(20, 0.5 + noise, [0.01] * 5 + [0.5] * 5)
        + _evaluations(80, 0.35 + noise, [0.01] * 8 + [0.5] * 2)
    )
    table = stats.power_table(per, 0.05)
    curve = stats.fit_power_curve(per, 0.05, lambda s: np.full_like(s, 200.0), 400)
    words = stats.Wording(
        programme="mentorship", size=20, weeks=26, outcome="ratings", unit="points",
        comparison="change", enrolment="randomised", selection_on="", selection_slope=0.0,
        eligible=600, comparison_group="200 others", alpha=0.05, target=0.8, replicates=10,
    )  # fmt: skip
    text = " ".join(stats.describe(table, curve, per, words))
    assert ("shrinks as more enrol" in text) is shrinks, text


def test_enrolment_by_employee_id_fixes_who_enrols_and_skips_who_left():
    # One rule for a participants file and a simulated pilot's draw: the ids listed
    # enrol (draw 0), every other position enrols in none (draw 1). An id no longer
    # employed is skipped (its slot is -1, which used to enrol the last position).
    from sim.model.workforce import enrol_only

    wf = WorkplaceModel(scenario(n=60, horizon=6), arm="mentorship").workforce
    gone = int(wf.employee_id[5])
    wf.slot_of_id[gone] = -1
    enrol_only(wf, np.array([wf.employee_id[0], wf.employee_id[3], gone]))
    draw = wf.propensity[:, 0]
    assert list(np.flatnonzero(draw == 0.0)) == [0, 3]
    assert (np.delete(draw, [0, 3]) == 1.0).all()
