"""The model as a whole: invariants, determinism, common random numbers, Mesa views."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.run import run_arm
from sim.model.agents import Employee
from sim.model.workforce import build_structure, level_counts
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_scenario

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "mentorship_vs_peer_coaching.toml"


@pytest.fixture(scope="module")
def small():
    return load_scenario(FLAGSHIP, ["organisation.n_employees=300", "horizon_weeks=60"])


def test_level_counts_sum_and_keep_every_manager_level():
    counts = level_counts(37, (0.55, 0.25, 0.13, 0.05, 0.02), 2)
    assert counts.sum() == 37
    assert (counts[2:] >= 1).all()


def test_reporting_tree_is_a_tree_with_one_root(small):
    level, manager, team = build_structure(small)
    assert (manager == -1).sum() == 1
    has_boss = manager >= 0
    top = len(small.organisation.levels) - 1
    boss_level = level[manager[has_boss]]
    # Bosses sit higher, except that the other top-level positions report to the root.
    assert ((boss_level > level[has_boss]) | (boss_level == top)).all()
    # Following managers from anywhere reaches the root within n_levels steps.
    node = np.arange(len(level))
    for _ in range(len(small.organisation.levels)):
        node = np.where(manager[node] >= 0, manager[node], node)
    assert (node == 0).all()
    assert (level[team] >= small.organisation.first_manager_level).all()


@pytest.mark.parametrize("arm", ["no_programme", "mentorship", "peer_coaching", "both"])
def test_invariants_hold_every_week(small, arm):
    model = WorkplaceModel(small, arm=arm)
    wf = model.workforce
    for _ in range(60):
        model.step()
        assert wf.occupied.all()  # hiring keeps headcount
        assert np.isfinite(wf.skill).all() and (wf.skill >= 0).all() and (wf.skill <= 1).all()
        assert ((wf.engagement >= 0) & (wf.engagement <= 1)).all()
        assert ((wf.feedback >= 0) & (wf.feedback <= 1)).all()
        ids = wf.employee_id
        assert len(np.unique(ids)) == len(ids)
        np.testing.assert_array_equal(wf.slot_of_id[ids], np.arange(wf.n_slots))
        assert len(model.agents) == wf.n_slots
    frame = pd.DataFrame(model.records)
    assert frame["week"].tolist() == list(range(61))
    skip = [
        "time_to_proficiency_weeks",
        "retention_participants",
        "retention_nonparticipants",
        "informal_share_of_learning",  # nothing learned from others yet at week 0
        "promotions_per_learner",  # NaN, like participant retention, without programmes
        "promotions_per_nonparticipant",
        "share_relationships_ended_early",  # no relationship formed yet (or no programme)
        "cost_per_participant",  # nobody has taken part yet (or no programme)
    ]
    assert not frame.drop(columns=skip).isna().any().any()
    assert (frame["cumulative_quits"].diff().dropna() >= 0).all()


def test_same_seed_same_results_different_seed_different(small):
    a = run_arm(small, "both", replicate=0)
    b = run_arm(small, "both", replicate=0)
    pd.testing.assert_frame_equal(a, b)
    c = run_arm(small, "both", replicate=1)
    assert not a["mean_skill"].equals(c["mean_skill"])


def test_arms_share_initial_state_and_turnover_draws(small):
    """Common random numbers: arms start identical and draw the same turnover numbers."""
    control = WorkplaceModel(small, arm="no_programme", replicate=3)
    treated = WorkplaceModel(small, arm="both", replicate=3)
    np.testing.assert_array_equal(control.workforce.skill, treated.workforce.skill)
    assert control.records[0]["mean_skill"] == treated.records[0]["mean_skill"]
    control.run(10)
    treated.run(10)
    # The turnover stream has drawn the same numbers in both arms, whatever the programmes did.
    assert control.streams.turnover.random() == treated.streams.turnover.random()


def test_adding_a_programme_does_not_change_another_programmes_draws(small):
    alone = WorkplaceModel(small, arm="mentorship", replicate=2)
    combined = WorkplaceModel(small, arm="both", replicate=2)
    alone.programmes[0].match(alone.org, 0)
    combined.programmes[0].match(combined.org, 0)
    np.testing.assert_array_equal(
        alone.programmes[0].relationships.b, combined.programmes[0].relationships.b
    )


def test_measurement_draws_no_random_numbers(small):

    model = WorkplaceModel(small, arm="both")
    model.run(5)
    states = [g.bit_generator.state for g in (model.streams.turnover, model.streams.hiring)]
    states += [p.rng.bit_generator.state for p in model.programmes]
    for _ in range(3):
        model.measure()
    after = [g.bit_generator.state for g in (model.streams.turnover, model.streams.hiring)]
    after += [p.rng.bit_generator.state for p in model.programmes]
    assert states == after


def test_employees_are_mesa_agents_viewing_the_arrays(small):
    model = WorkplaceModel(small, arm="mentorship")
    model.run(3)
    agents = model.agents
    assert len(agents) == small.organisation.n_employees
    assert all(isinstance(a, Employee) for a in agents)
    seniors = agents.select(lambda a: a.level >= 2)
    assert len(seniors) == int((model.workforce.level >= 2).sum())
    mean_eng = agents.agg("engagement", np.mean)
    assert mean_eng == pytest.approx(model.workforce.engagement.mean())
    by_level = agents.groupby("level").count()
    assert sum(by_level.values()) == len(agents)
    someone = agents.to_list()[5]
    someone.engagement = 0.123
    assert model.workforce.engagement[someone.slot] == pytest.approx(0.123)
    someone.skill[0] = 0.5  # a writable view
    assert model.workforce.skill[someone.slot, 0] == 0.5
    assert set(someone.skills) == set(small.organisation.domains)
    boss = someone.manager
    assert boss is None or boss.level >= someone.level


def test_leavers_are_removed_from_mesa_and_hires_added(small):
    model = WorkplaceModel(small, arm="no_programme")
    model.run(30)
    assert model.agent_types == [Employee]
    now = {a.employee_id for a in model.agents}
    assert model.ledger.totals.quits > 0
    # Every id ever hired is either a current agent or one of the leavers.
    assert model.workforce.n_ids - len(now) == model.ledger.totals.quits
    assert now == set(model.workforce.employee_id.tolist())
    # Agents are kept up to date each time they are looked at, also after further weeks.
    before = dict(model._employees)
    model.run(30)
    later = {a.employee_id for a in model.agents_by_type[Employee]}
    assert later == set(model.workforce.employee_id.tolist())
    gone = set(before) - later
    assert gone and all(before[i] not in model.agents for i in gone)
    stayed = next(iter(set(before) & later))
    assert model.employee(stayed) is before[stayed]  # the same agent object, not a new one
    with pytest.raises(KeyError):
        model.employee(next(iter(gone)))


def test_run_scenario_runs_each_arm_once_and_validates_options(small):
    from sim.errors import ScenarioError
    from sim.experiments.run import run_scenario

    short = small.model_copy(update={"horizon_weeks": 3})
    results = run_scenario(
        short, arms=["both", "both", "no_programme"], replicates=2, progress=False
    )
    assert list(dict.fromkeys(results.timeseries["arm"])) == ["both", "no_programme"]
    assert len(results.timeseries) == 2 * 2 * 4
    with pytest.raises(ScenarioError, match="replicates"):
        run_scenario(short, replicates=0, progress=False)


def test_burn_in_settles_the_baseline_and_arms_start_identical():
    """Criterion: over 6 replicates, with a three-year burn-in the no-programme arm's mean
    skill changes by less than 0.005 on average over the next year, while without burn-in
    it falls by more than 0.005 on average (initial expertise erodes, slowed by informal
    learning); and every arm starts from the same week-0 state."""
    sc = load_scenario(
        FLAGSHIP,
        ["organisation.n_employees=300", "horizon_weeks=52", "organisation.dur_burn_in_weeks=156"],
    )
    plain = load_scenario(FLAGSHIP, ["organisation.n_employees=300", "horizon_weeks=52"])
    settled, drifting = [], []
    for r in range(6):
        s_ = run_arm(sc, "no_programme", r)["mean_skill"]
        settled.append(s_.iloc[-1] - s_.iloc[0])
        d_ = run_arm(plain, "no_programme", r)["mean_skill"]
        drifting.append(d_.iloc[0] - d_.iloc[-1])
    assert abs(np.mean(settled)) < 0.005
    assert np.mean(drifting) > 0.005
    a = WorkplaceModel(sc, arm="no_programme", replicate=1)
    b = WorkplaceModel(sc, arm="both", replicate=1)
    np.testing.assert_array_equal(a.workforce.skill, b.workforce.skill)
    assert a.week == 0 and a.n_initial == a.workforce.n_slots
    assert sorted(a.workforce.employee_id.tolist()) == list(range(a.n_initial))
    assert len(a.agents) == a.n_initial
    b.run(5)
    assert b.records[-1]["retention_initial"] <= 1.0


def test_settling_sets_live_objects_aside_once_and_runs_garbage_is_still_freed():
    import gc
    import weakref

    from sim.model import collector

    collector.release()
    assert gc.get_freeze_count() == 0
    scenario = load_scenario(FLAGSHIP, ["organisation.n_employees=30", "horizon_weeks=3"])
    gone = []
    for _ in range(2):
        collector.settle()  # as every run does before building its models
        frozen = gc.get_freeze_count()
        assert frozen > 0  # what was alive is out of the collector's work
        model = WorkplaceModel(scenario, arm=next(iter(scenario.arms)))
        model.run()
        gone.append(weakref.ref(model))
        del model
    assert gc.get_freeze_count() == frozen  # set aside once, not again at each run
    gc.collect()
    # A model holds reference cycles (its batch, Mesa's own): a later run must not have
    # set an earlier one aside, or it could never be freed.
    assert [ref() for ref in gone] == [None, None]
    collector.release()
    assert gc.get_freeze_count() == 0
