"""Careers (docs/model.md section 7.8): rater error, nomination by sponsors, the metric.

Unit tests of each rule, then the directional claims on paired replicates (common random
numbers) with a stated criterion: the 95% t-interval of the mean paired difference
excludes zero in the claimed direction. The seeds are the scenario's, not chosen to pass.
"""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.model.ledger import Ledger
from sim.model.metrics import promotions_per_person
from sim.model.streams import Streams
from sim.model.submodels import promotion
from sim.model.workforce import initial_workforce
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Promotion

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "mentorship_vs_peer_coaching.toml"
#: Off: the noise-free ranking without nominations, as before careers were modelled.
OFF = ["promotion.sd_rater_error=0.0", "promotion.nomination=false"]
NO_SPONSORSHIP = ["programmes.mentorship.sponsorship_per_session=0.0"]
REPLICATES = 8


def ci95(values):
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def _state(seed: int, n: int = 60, n_levels: int = 4, n_domains: int = 3):
    """A random cascade: levels, skills with ties, vacancies, times in level, visibility."""
    rng = np.random.default_rng(seed)
    level = np.sort(rng.integers(0, n_levels, n))[::-1].copy()  # slots numbered from the top
    skill = np.round(rng.random((n, n_domains)), 1)
    employee_id = np.where(rng.random(n) < 0.2, -1, np.arange(n))
    weeks = rng.choice([0.0, 26.0, 100.0], n)
    visibility = np.round(rng.random(n), 1)
    weights = rng.random((n_levels, n_domains))
    weights /= weights.sum(axis=1, keepdims=True)
    return rng, level, skill, employee_id, weeks, visibility, weights


def _documented_cascade(level, skill, employee_id, weeks, visibility, weights, p, error, nominated):
    """Section 7.8 one level at a time from the top, with numpy: the rule the kernel compiles."""
    occupant = employee_id.copy()
    out_src, out_dst = [], []
    for lv in range(weights.shape[0] - 1, 0, -1):
        vacancies = np.flatnonzero((level == lv) & (occupant < 0))
        below = np.flatnonzero(
            (occupant >= 0) & (level == lv - 1) & ((weeks >= p.dur_min_in_level_weeks) | nominated)
        )
        score = promotion.readiness(skill[below], weights[lv], visibility[below], p) + error[below]
        ready = score >= p.readiness_threshold
        src, dst = promotion.choose_promotions(vacancies, below[ready], score[ready])
        occupant[dst], occupant[src] = occupant[src], -1
        out_src.append(src)
        out_dst.append(dst)
    return np.concatenate(out_src), np.concatenate(out_dst)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_cascade_equals_the_documented_rule_with_error_and_nominees(seed):
    rng, level, skill, employee_id, weeks, visibility, weights = _state(seed)
    p = Promotion(readiness_threshold=0.4)
    error = 0.1 * rng.standard_normal(len(level))
    nominated = rng.random(len(level)) < 0.3
    args = (level, skill, employee_id, weeks, visibility, weights, p)
    expected = _documented_cascade(*args, error, nominated)
    got = promotion.promotions(
        promotion.slots_by_level(level, 4),
        employee_id,
        weeks,
        skill,
        visibility,
        weights,
        p,
        error,
        nominated,
    )
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert len(got[0]) > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_error_and_no_nominees_give_the_noise_free_ranking(seed):
    _, level, skill, employee_id, weeks, visibility, weights = _state(seed)
    p = Promotion(readiness_threshold=0.4)
    slots = promotion.slots_by_level(level, 4)
    args = (employee_id, weeks, skill, visibility, weights, p)
    n = len(level)
    old = promotion.promotions(slots, *args)
    new = promotion.promotions(slots, *args, np.zeros(n), np.zeros(n, dtype=bool))
    np.testing.assert_array_equal(old[0], new[0])
    np.testing.assert_array_equal(old[1], new[1])


def _two_candidates(weeks_of_second: float = 100.0):
    """One vacancy at level 1 (slot 0); candidates in slots 1 (readier) and 2."""
    level = np.array([1, 0, 0])
    skill = np.array([[0.9], [0.70], [0.68]])
    employee_id = np.array([-1, 1, 2])
    weeks = np.array([100.0, 100.0, weeks_of_second])
    return (
        promotion.slots_by_level(level, 2),
        employee_id,
        weeks,
        skill,
        np.zeros(3),
        np.ones((2, 1)),
    )


def test_rater_error_enters_the_ranking():
    slots, ids, weeks, skill, vis, w = _two_candidates()
    p = Promotion(readiness_threshold=0.5)
    src, dst = promotion.promotions(slots, ids, weeks, skill, vis, w, p)
    assert src.tolist() == [1] and dst.tolist() == [0]
    # The organisation sees the second candidate as readier: they are promoted.
    src, _ = promotion.promotions(slots, ids, weeks, skill, vis, w, p, np.array([0, -0.02, 0.01]))
    assert src.tolist() == [2]
    # The threshold applies to the assessment: an error can keep the only candidate out.
    src, _ = promotion.promotions(slots, ids, weeks, skill, vis, w, p, np.array([0, -0.3, -0.3]))
    assert src.tolist() == []


def test_nominees_are_considered_before_the_minimum_time_in_level():
    slots, ids, weeks, skill, vis, w = _two_candidates(weeks_of_second=4.0)
    p = Promotion(readiness_threshold=0.5)
    error = np.array([0.0, -0.05, 0.0])  # the second candidate is assessed higher
    src, _ = promotion.promotions(slots, ids, weeks, skill, vis, w, p, error)
    assert src.tolist() == [1]  # too new to be considered
    nominated = np.array([False, False, True])
    src, _ = promotion.promotions(slots, ids, weeks, skill, vis, w, p, error, nominated)
    assert src.tolist() == [2]


def test_guides_nominate_learners_below_them_who_are_still_employed():
    level = np.array([2, 1, 1, 0, 0, 0])
    slot_of_id = np.array([0, 1, 2, 3, 4, -1])  # id 5 has left
    # Directed: 0 -> 3 (above: nominates), 3 -> 1 (below: does not), 1 -> 5 (left).
    directed = (np.array([0, 3, 1]), np.array([3, 1, 5]), False)
    got = promotion.nominees(6, level, slot_of_id, [directed])
    assert np.flatnonzero(got).tolist() == [3]
    # Reciprocal: whoever is below is nominated; peers at one level are not.
    reciprocal = (np.array([4, 1]), np.array([2, 2]), True)
    got = promotion.nominees(6, level, slot_of_id, [reciprocal])
    assert np.flatnonzero(got).tolist() == [4]


def test_impressions_persist_move_with_people_and_start_fresh_for_newcomers():
    imp = promotion.Impressions.empty(3)
    ids = np.array([10, 11, -1])
    imp.renew(ids, np.array([1.0, 2.0, 3.0]), rho=0.5)
    np.testing.assert_allclose(imp.value, [1.0, 2.0, 3.0])  # first sight: the draw itself
    imp.renew(ids, np.array([0.0, 0.0, 0.0]), rho=0.5)
    np.testing.assert_allclose(imp.value, [0.5, 1.0, 0.0])  # renewed; vacant: the draw
    imp.move(np.array([1]), np.array([2]))  # 11 promoted into slot 2
    imp.renew(np.array([12, -1, 11]), np.array([4.0, 0.0, 0.0]), rho=0.5)
    np.testing.assert_allclose(imp.value, [4.0, 0.0, 0.5])  # 12 is new; 11 kept theirs


def test_impressions_keep_unit_variance_and_the_stated_persistence():
    """Criterion: stationary variance 1 and lag-52 correlation 1/2 at a 52-week half-life."""
    p = Promotion(dur_rater_impression_half_life_weeks=52.0)
    rho = promotion.persistence(p)
    rng = np.random.default_rng(5)
    ids = np.arange(4000)
    imp = promotion.Impressions.empty(len(ids))
    imp.renew(ids, rng.standard_normal(len(ids)), rho)
    start = imp.value.copy()
    for _ in range(52):
        imp.renew(ids, rng.standard_normal(len(ids)), rho)
    assert imp.value.var() == pytest.approx(1.0, abs=0.06)
    assert np.corrcoef(start, imp.value)[0, 1] == pytest.approx(0.5, abs=0.04)


def test_rater_error_draws_one_normal_per_position_and_none_when_off():
    ids = np.array([3, -1, 7, 8])
    p = Promotion(sd_rater_error=0.05)
    rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    imp = promotion.Impressions.empty(4)
    error = promotion.rater_error(imp, ids, rng, p)
    np.testing.assert_allclose(error, 0.05 * twin.standard_normal(4))
    assert rng.random() == twin.random()  # exactly four draws were taken
    off = Promotion(sd_rater_error=0.0)
    assert promotion.rater_error(imp, ids, rng, off) is None
    assert rng.random() == twin.random()  # and none when off


def test_the_promotion_stream_is_its_own_and_fixed():
    a, b = Streams(42, 3), Streams(42, 3)
    assert a.promotion.random() == b.promotion.random()
    assert Streams(42, 3).promotion.random() != Streams(42, 3).turnover.random()


def test_promotions_per_learner_match_non_participants_by_level():
    sc = _flagship()
    wf = initial_workforce(sc, np.random.default_rng(0))
    ledger = Ledger(n_initial=wf.n_slots)
    assert np.isnan(promotions_per_person(ledger)).all()
    ids = wf.employee_id
    level0 = ids[wf.level == 0]
    level1 = ids[wf.level == 1]
    ledger.promoted(level0[:1], np.zeros(1, dtype=np.int16), 0)  # before the cohort: not counted
    learners = np.concatenate([level0[:2], level1[:2]])
    ledger.learner_cohort(wf, [learners], [learners, ids[wf.level == 4][:1]])
    promoted = np.concatenate([level0[:2], level0[5:7], level1[3:4]])
    ledger.promoted(promoted, wf.level[wf.slot_of_id[promoted]], 1)
    per_learner, per_other = promotions_per_person(ledger)
    # Learners: half at level 0 (both promoted), half at level 1 (none).
    assert per_learner == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    n0, n1 = len(level0) - 2, len(level1) - 2  # the others at each level
    assert per_other == pytest.approx(0.5 * 2 / n0 + 0.5 * 1 / n1)


def _advantage(scenario, replicate):
    model = WorkplaceModel(scenario, arm="mentorship", replicate=replicate)
    model.run()
    end = model.records[-1]
    return end["promotions_per_learner"] - end["promotions_per_nonparticipant"]


def _flagship(*overrides):
    return load_scenario(
        FLAGSHIP, ["organisation.n_employees=300", "horizon_weeks=104", *overrides]
    )


def test_without_sponsorship_mentees_promotion_advantage_shrinks():
    """Mentorship's career effect comes mostly through sponsorship (nomination, visibility).

    Criterion: mentees' promotions per person minus level-matched non-participants',
    paired on replicates, is larger with sponsorship than without (95% CI above zero).
    """
    on, off = _flagship(), _flagship(*NO_SPONSORSHIP)
    diffs = [_advantage(on, r) - _advantage(off, r) for r in range(REPLICATES)]
    assert ci95(diffs)[0] > 0, diffs


def test_switched_off_the_kernel_gets_no_error_and_no_nominees(monkeypatch):
    """Off (sd 0, nomination off): no draws and nothing passed, so the old ranking holds."""
    seen = []
    original = promotion.promotions

    def spy(*args):
        seen.append(args[-2:])
        return original(*args)

    monkeypatch.setattr(promotion, "promotions", spy)
    model = WorkplaceModel(_flagship(*OFF), arm="mentorship")
    state = model.streams.promotion.bit_generator.state
    model.run(8)
    assert seen and all(error is None and nominated is None for error, nominated in seen)
    assert model.streams.promotion.bit_generator.state == state


def test_same_seed_same_careers():
    sc = _flagship("horizon_weeks=40")
    runs = []
    for _ in range(2):
        model = WorkplaceModel(sc, arm="mentorship", replicate=1)
        model.run()
        runs.append((model.records[-1], model.workforce.n_promotions.copy()))
    assert runs[0][0] == pytest.approx(runs[1][0], nan_ok=True)
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
