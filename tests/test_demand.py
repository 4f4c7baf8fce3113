"""Skills that change (docs/model.md section 7.14): skill demand ramps and staleness.

Unit tests of the rules (ramps, staleness, the equilibrium with staleness, hires' skill,
the model following demand), and two directional tests on paired replicates (common
random numbers; the 95% t-interval of the mean paired difference must lie on the
claimed side of zero; the seeds are the scenario's, not chosen to pass).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.errors import ScenarioError
from sim.model.submodels import demand, hiring, practice, promotion
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import validate_scenario

DIGITAL = 3
SENIOR = (2, 3, 4)  # reverse mentoring's learners: managers and above
REPLICATES = 6


def ci95(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return v.mean() - half, v.mean() + half


def scenario(n: int = 60, weeks: int = 8, **extra):
    raw = {"name": "demand", "horizon_weeks": weeks, "organisation": {"n_employees": n}, **extra}
    return validate_scenario(raw)


def rising_digital(**ramp) -> list[dict]:
    """Digital demand of managers and above rising by 0.3 over three years."""
    return [{"domain": "digital", "levels": list(SENIOR), "to_week": 156, "change": 0.3, **ramp}]


# --- ramps --------------------------------------------------------------------------------


def test_a_ramp_moves_usage_linearly_and_then_holds():
    sc = scenario(
        skill_demand=[{"domain": "digital", "from_week": 10, "to_week": 20, "usage": 0.9}]
    )
    sched = demand.demand_schedule(sc)
    base = practice.usage_matrix(sc)
    assert np.array_equal(sched.usage_at(0), base)
    assert np.array_equal(sched.usage_at(10), base)  # from_week still has the old usage
    mid = sched.usage_at(15)
    assert mid[:, DIGITAL] == pytest.approx((base[:, DIGITAL] + 0.9) / 2)
    assert np.all(sched.usage_at(20)[:, DIGITAL] == 0.9)
    assert np.all(sched.usage_at(500)[:, DIGITAL] == 0.9)
    others = [d for d in range(base.shape[1]) if d != DIGITAL]
    assert np.array_equal(mid[:, others], base[:, others])  # every level, one domain
    assert [w for w in range(30) if sched.moves_in(w)] == list(range(11, 21))


def test_change_ramps_named_levels_and_later_ramps_start_where_earlier_ones_ended():
    sc = scenario(
        skill_demand=[
            {"domain": "digital", "levels": [3], "from_week": 40, "to_week": 40, "usage": 0.1},
            {"domain": "digital", "levels": [2, 3], "to_week": 30, "change": 0.3},
        ]
    )
    sched = demand.demand_schedule(sc)
    base = practice.usage_matrix(sc)
    at30 = sched.usage_at(30)
    assert at30[2:4, DIGITAL] == pytest.approx(base[2:4, DIGITAL] + 0.3)
    assert at30[[0, 1, 4], DIGITAL] == pytest.approx(base[[0, 1, 4], DIGITAL])
    assert sched.usage_at(39)[3, DIGITAL] == pytest.approx(base[3, DIGITAL] + 0.3)
    assert sched.usage_at(40)[3, DIGITAL] == 0.1  # a step at week 40
    assert sched.moves_in(40) and not sched.moves_in(35)


def test_no_ramps_no_moves():
    sched = demand.demand_schedule(scenario())
    assert not any(sched.moves_in(w) for w in range(100))


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (
            {"skill_demand": [{"domain": "digitl", "to_week": 5, "usage": 0.5}]},
            ["skill_demand[0].domain = 'digitl'", "did you mean 'digital'"],
        ),
        (
            {"skill_demand": [{"domain": "digital", "levels": [5], "to_week": 5, "usage": 0.5}]},
            ["skill_demand[0].levels", "[5] out of range 0..4"],
        ),
        (
            {"skill_demand": [{"domain": "digital", "from_week": 9, "to_week": 5, "usage": 0.5}]},
            ["to_week = 5 is before from_week = 9"],
        ),
        (
            {"skill_demand": [{"domain": "digital", "to_week": 5, "usage": -0.1}]},
            ["skill_demand.0.usage = -0.1", "greater than or equal to 0"],
        ),
        (
            {"skill_demand": [{"domain": "digital", "levels": [4], "to_week": 5, "change": -0.3}]},
            ["change = -0.3", "from 0.2 to -0.1", "within [0, 1]"],
        ),
        (
            {"skill_demand": [{"domain": "digital", "to_week": 5, "usage": 0.5, "change": 0.1}]},
            ["give either usage", "not both or neither"],
        ),
        (
            {"learning": {"rate_skill_obsolescence_per_year_by_domain": {"digitl": 0.2}}},
            ["'digitl' is not a domain", "did you mean 'digital'"],
        ),
        (
            {"learning": {"rate_skill_obsolescence_per_year": 1.0}},
            ["rate_skill_obsolescence_per_year = 1.0", "less than 1"],
        ),
    ],
)
def test_bad_skill_change_inputs_are_refused(extra, words):
    with pytest.raises(ScenarioError) as err:
        scenario(**extra)
    for word in words:
        assert word in str(err.value)


def test_a_ramp_may_run_past_the_horizon():
    sc = scenario(weeks=4, skill_demand=rising_digital())
    assert sc.skill_demand[0].to_week == 156


# --- staleness ----------------------------------------------------------------------------


def test_yearly_rate_compounds_from_the_weekly_share():
    share = demand.weekly_share(np.array([0.0, 0.1, 0.3]))
    assert (1 - share) ** 52 == pytest.approx([1.0, 0.9, 0.7])


def test_obsolescence_per_domain_overrides_the_general_rate():
    sc = scenario(
        learning={
            "rate_skill_obsolescence_per_year": 0.1,
            "rate_skill_obsolescence_per_year_by_domain": {"digital": 0.3},
        }
    )
    share = demand.obsolescence_per_week(sc)
    assert share[DIGITAL] == pytest.approx(demand.weekly_share(0.3))
    assert np.delete(share, DIGITAL) == pytest.approx(demand.weekly_share(0.1))


def test_staleness_ages_skill_above_the_floor_and_the_kernel_applies_exactly_it():
    rng = np.random.default_rng(3)
    skill = rng.random((50, 5))
    skill[0] = 0.05  # below the floor: nothing to age
    share = demand.weekly_share(np.array([0.0, 0.05, 0.1, 0.3, 0.9]))
    expected = skill + demand.staleness(skill, share, 0.1)
    out = skill.copy()
    demand.go_stale(out, share, 0.1)
    assert np.allclose(out, expected, rtol=0, atol=1e-15)
    assert np.array_equal(out[0], skill[0])
    assert np.array_equal(out[:, 0], skill[:, 0])
    above = skill[:, 1:] > 0.1
    assert np.all(out[:, 1:][above] < skill[:, 1:][above])
    assert np.array_equal(out[:, 1:][~above], skill[:, 1:][~above])
    assert np.all(out >= np.minimum(skill, 0.1))


def test_the_equilibrium_with_staleness_balances_practice_forgetting_and_staleness():
    params = scenario().learning
    usage = np.array([[0.1, 0.2, 0.6, 0.9, 1.0]])
    zero = np.zeros(5)
    assert np.array_equal(
        demand.equilibrium_with_staleness(usage, params, zero),
        practice.equilibrium_skill(usage, params),
    )
    share = demand.weekly_share(np.full(5, 0.3))
    s = demand.equilibrium_with_staleness(usage, params, share)
    change = practice.practice_and_forgetting(s, usage, np.zeros(1), params)
    change += demand.staleness(s, share, params.skill_floor)
    assert np.allclose(change, 0.0, atol=1e-12)
    assert np.all(s < practice.equilibrium_skill(usage, params))
    # Those who use a domain stay more current: staleness costs the least used the most.
    loss = practice.equilibrium_skill(usage, params) - s
    rel = loss / (practice.equilibrium_skill(usage, params) - params.skill_floor)
    assert np.all(np.diff(rel) < 0)


# --- what hires bring ---------------------------------------------------------------------


def test_hires_bring_current_knowledge_incumbents_start_aged():
    stale = scenario(learning={"rate_skill_obsolescence_per_year": 0.3})
    fresh = scenario(learning={"rate_skill_obsolescence_per_year": 0.0})
    rel = stale.learning.rel_hire_skill
    # Hires: the same share of a current incumbent's skill, whatever the obsolescence.
    assert np.array_equal(
        hiring.mean_starting_skill(stale, rel, current=True),
        hiring.mean_starting_skill(fresh, rel),
    )
    # Incumbents of the initial organisation start aged.
    assert np.all(hiring.mean_starting_skill(stale, 1.0) < hiring.mean_starting_skill(fresh, 1.0))
    # draw_hires without a precomputed mean draws current knowledge too.
    level = np.zeros(4000, dtype=np.int64)
    drawn = hiring.draw_hires(level, stale, np.random.default_rng(0)).skill.mean(axis=0)
    expected = hiring.mean_starting_skill(stale, rel, current=True)[0]
    assert drawn == pytest.approx(expected, abs=0.01)


# --- the model follows demand -------------------------------------------------------------


def test_the_model_follows_demand_in_place_and_everything_derived_with_it():
    ramp = [{"domain": "digital", "levels": [4], "from_week": 2, "to_week": 4, "usage": 0.8}]
    model = WorkplaceModel(scenario(skill_demand=ramp))
    usage = model.usage_by_level
    assert model.org.usage_by_level is usage  # programmes read the same array
    base = usage.copy()
    model.run(3)  # weeks 0, 1, 2: the usage of week 2 is still the old one
    assert np.array_equal(usage, base)
    model.run(2)  # weeks 3 and 4
    assert model.usage_by_level is usage
    assert usage[4, DIGITAL] == 0.8
    assert np.array_equal(np.delete(usage, 4, axis=0), np.delete(base, 4, axis=0))
    assert np.array_equal(model.readiness_weights, promotion.readiness_weights(usage))
    assert model._proficiency_weights[4, DIGITAL] > 0  # used at least half the time now
    sc = model.params
    expected = hiring.mean_starting_skill(sc, sc.learning.rel_hire_skill, usage, current=True)
    assert np.array_equal(model._hire_skill, expected)


def test_demand_holds_still_during_the_burn_in():
    ramp = [{"domain": "digital", "levels": [4], "to_week": 2, "usage": 0.8}]
    sc = scenario(organisation={"n_employees": 60, "dur_burn_in_weeks": 6}, skill_demand=ramp)
    model = WorkplaceModel(sc)
    assert model.usage_by_level[4, DIGITAL] == practice.usage_matrix(sc)[4, DIGITAL]
    model.run(3)  # weeks 0, 1 and 2, the week the new usage holds from
    assert model.usage_by_level[4, DIGITAL] == 0.8


def test_a_step_at_week_0_shows_in_the_week_0_measurement():
    ramp = [{"domain": "digital", "from_week": 0, "to_week": 0, "usage": 0.95}]
    model = WorkplaceModel(scenario(skill_demand=ramp))
    assert np.all(model.usage_by_level[:, DIGITAL] == 0.95)


def test_staleness_lowers_the_initial_workforces_skill():
    off = WorkplaceModel(scenario(learning={"rate_skill_obsolescence_per_year": 0.0}))
    on = WorkplaceModel(scenario(learning={"rate_skill_obsolescence_per_year": 0.2}))
    assert not off._stale_per_week.any()
    assert on.records[0]["mean_skill"] < off.records[0]["mean_skill"]


# --- directional: reverse mentoring gets something to teach --------------------------------


def paired(sc, replicate: int, arms=("control", "treated")) -> list[WorkplaceModel]:
    models = [WorkplaceModel(sc, arm=a, replicate=replicate) for a in arms]
    for m in models:
        m.run()
    return models


def digital_by_group(model: WorkplaceModel) -> tuple[float, float]:
    """Mean digital skill of juniors (levels 0-1) and of seniors (levels 2-4)."""
    wf = model.workforce
    senior = wf.level >= SENIOR[0]
    return float(wf.skill[~senior, DIGITAL].mean()), float(wf.skill[senior, DIGITAL].mean())


def test_with_digital_demand_rising_reverse_mentorings_seniors_gain_in_digital():
    """Criterion: with digital demand of managers and above rising (and digital know-how
    ageing at 30% a year, as in scenarios/digital_shift.toml), the seniors who were
    reverse-mentored end two years with more digital skill than the same people without
    the programme (paired over replicates, 95% CI above zero). 300 employees, 104 weeks."""
    sc = scenario(
        n=300,
        weeks=104,
        learning={"rate_skill_obsolescence_per_year_by_domain": {"digital": 0.3}},
        skill_demand=rising_digital(),
        programmes={"rm": {"kind": "reverse_mentoring"}},
        arms={"control": {}, "treated": {"programmes": ["rm"]}},
    )
    gains = []
    for r in range(REPLICATES):
        control, treated = paired(sc, r)
        ids = np.flatnonzero(treated.programmes[0].was_learner[: treated.n_initial])
        c, t = control.workforce.slot_of_id[ids], treated.workforce.slot_of_id[ids]
        both = (c >= 0) & (t >= 0)
        diff = treated.workforce.skill[t[both], DIGITAL] - control.workforce.skill[c[both], DIGITAL]
        gains.append(diff.mean())
    assert ci95(gains)[0] > 0, gains


def test_obsolescence_puts_juniors_further_ahead_of_seniors_in_digital():
    """Criterion: with digital know-how ageing at 30% a year, juniors (levels 0-1) end two
    years with more digital skill than seniors (levels 2-4), and their lead is larger
    than without obsolescence (same seeds; both 95% CIs above zero). 300 employees, 104
    weeks, no programme."""
    sc = scenario(
        n=300,
        weeks=104,
        arms={
            "control": {
                "overrides": {"learning": {"rate_skill_obsolescence_per_year": 0.0}},
            },
            "treated": {
                "overrides": {
                    "learning": {"rate_skill_obsolescence_per_year_by_domain": {"digital": 0.3}}
                }
            },
        },
    )
    lead, widening = [], []
    for r in range(REPLICATES):
        fresh, stale = paired(sc, r)
        juniors, seniors = digital_by_group(stale)
        lead.append(juniors - seniors)
        widening.append(lead[-1] - np.subtract(*digital_by_group(fresh)))
    assert ci95(lead)[0] > 0, lead
    assert ci95(widening)[0] > 0, widening
