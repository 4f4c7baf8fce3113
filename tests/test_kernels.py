"""The compiled weekly kernels apply exactly the formulas of the array-form submodels.

Each kernel is checked against the readable numpy function it replaces in the step (or
a direct numpy computation), on random states that include vacancies, ties, repeated
slots and values at the edges of [0, 1].
"""

import inspect

import numba
import numpy as np
import pytest

from sim.jit import kernel, prefetch, unsigned
from sim.model import metrics
from sim.model.network import PERSON_FIELDS as TIE_FIELDS
from sim.model.network import AdviceNetwork
from sim.model.programmes import kernels, rules
from sim.model.programmes.relationships import Relationships
from sim.model.programmes.sessions import SessionArrays, Sessions, restriction
from sim.model.submodels import (
    ageing,
    engagement,
    hiring,
    hours_cap,
    learning,
    practice,
    promotion,
    stocks,
    traits,
    turnover,
)
from sim.model.workforce import PERSON_FIELDS, initial_workforce
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Engagement, Learning, Promotion, Turnover

SEEDS = range(5)


def _state(seed: int, n: int = 400, n_domains: int = 4, n_levels: int = 4):
    rng = np.random.default_rng(seed)
    skill = rng.random((n, n_domains))
    skill[rng.random((n, n_domains)) < 0.05] = 0.0
    skill[rng.random((n, n_domains)) < 0.05] = 1.0
    level = rng.integers(0, n_levels, n).astype(np.int16)
    employee_id = np.where(rng.random(n) < 0.1, -1, np.arange(n)).astype(np.int64)
    return rng, skill, level, employee_id


@pytest.mark.parametrize("seed", SEEDS)
def test_practise_applies_practice_and_forgetting_then_clips(seed):
    rng, skill, level, _ = _state(seed)
    p = Learning()
    usage_by_level = rng.random((4, skill.shape[1]))
    usage_by_level[0, 0] = 0.0
    usage_by_level[1, 1] = 1.0
    feedback = rng.random(skill.shape)
    ability = rng.lognormal(0.0, 0.3, len(skill))
    offset = rng.normal(0.0, 0.2, len(skill))  # some plateaus above 1: capped at 1
    change = practice.practice_and_forgetting(
        skill, usage_by_level[level], feedback, p, ability, offset
    )
    expected = np.clip(skill + change, 0.0, 1.0)
    practice.practise(skill, usage_by_level, level, feedback, ability, offset, p)
    np.testing.assert_allclose(skill, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_session_gains_equal_the_array_formula(seed):
    rng, skill, _, _ = _state(seed)
    p = Learning(rate_session_per_hour=0.3, gap_absorption=0.3)
    k = 600
    learner = rng.integers(0, len(skill), k)  # repeated learners are summed
    partner = rng.integers(0, len(skill), k)
    hours = rng.choice([0.5, 1.0, 40.0], k)  # 40 h saturates the share at 1
    quality = rng.random(k)
    focus = rng.random((k, skill.shape[1]))
    gap = np.maximum(skill[partner] - skill[learner], 0.0)
    share = p.rate_session_per_hour * (hours * quality)[:, None] * focus
    share = np.minimum(share * learning.absorption(gap, p.gap_absorption), 1.0)
    expected = np.zeros_like(skill)
    np.add.at(expected, learner, share * gap)
    got = learning.session_gains(skill, learner, partner, hours, quality, focus, p)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16)
    out = np.ones_like(skill)
    learning.session_gains(skill, learner, partner, hours, quality, focus, p, out=out)
    np.testing.assert_allclose(out, 1.0 + expected, rtol=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_domain_gains_are_session_gains_with_that_focus_exactly(seed):
    # Advice episodes take the session rule in one domain (learning.focused_gains).
    rng, skill, _, _ = _state(seed)
    p = Learning(rate_session_per_hour=0.3, gap_absorption=0.3)
    k = 600
    learner = rng.integers(0, len(skill), k)  # repeated learners are summed
    partner = rng.integers(0, len(skill), k)
    domain = rng.integers(0, skill.shape[1], k)
    hours = rng.choice([0.5, 1.0, 40.0], k)  # 40 h saturates the share at 1
    quality = rng.random(k)
    focus = np.zeros((k, skill.shape[1]))
    focus[np.arange(k), domain] = 1.0
    expected = learning.session_gains(skill, learner, partner, hours, quality, focus, p)
    got = learning.focused_gains(skill, learner, partner, domain, hours, quality, p)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_engage_applies_engagement_change_then_clips(seed):
    rng, _, _, _ = _state(seed)
    n = 500
    p = Engagement(overload_per_hour=0.02, stagnation_per_week=0.01)
    e = rng.random(n)
    e[:3] = [0.0, 1.0, 0.999]
    args = dict(
        baseline=rng.random(n),
        support=rng.random(n) * 0.05,
        progress=rng.normal(0, 0.01, n),
        hours=rng.choice([0.0, 2.0, 9.0], n),
        weeks_in_level=rng.choice([0.0, float(p.dur_stagnation_weeks), 500.0], n),
    )
    expected = np.clip(e + engagement.engagement_change(engagement=e, params=p, **args), 0, 1)
    engagement.engage(e, params=p, **args)
    np.testing.assert_allclose(e, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_leavers_are_the_occupants_drawing_below_the_hazard(seed):
    rng, _, _, employee_id = _state(seed)
    n = len(employee_id)
    p = Turnover(p_quit_per_week=0.2, rel_hazard_per_engagement=4.0)
    e = rng.random(n)
    tenure = rng.choice([0.0, 51.0, 52.0, 300.0], n)
    draws = rng.random(n)
    hazard = turnover.quit_hazard(e, tenure, p)
    expected = np.flatnonzero((employee_id >= 0) & (draws < hazard))
    got = turnover.leavers(e, tenure, employee_id, draws, p)
    assert 0 < len(got) < n
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("share_vacant", [0.0, 0.02, 0.3])
def test_promotions_equal_readiness_then_choice_level_by_level(seed, share_vacant):
    rng, skill, level, _ = _state(seed)
    n = len(level)
    skill = np.round(skill, 1)  # many ties: they must go to the lower slot
    employee_id = np.where(rng.random(n) < share_vacant, -1, np.arange(n))
    weeks = rng.choice([0.0, 26.0, 100.0], n)
    visibility = np.round(rng.random(n), 1)
    weights = rng.random((4, skill.shape[1]))
    weights /= weights.sum(axis=1, keepdims=True)
    p = Promotion(readiness_threshold=0.4)
    # The documented rule, one level at a time from the top, moving people as it goes.
    occupant = employee_id.copy()
    exp_src, exp_dst = [], []
    for lv in range(3, 0, -1):
        vacancies = np.flatnonzero((level == lv) & (occupant < 0))
        below = np.flatnonzero(
            (occupant >= 0) & (level == lv - 1) & (weeks >= p.dur_min_in_level_weeks)
        )
        score = promotion.readiness(skill[below], weights[lv], visibility[below], p)
        ready = score >= p.readiness_threshold
        src, dst = promotion.choose_promotions(vacancies, below[ready], score[ready])
        occupant[dst], occupant[src] = occupant[src], -1
        exp_src.append(src)
        exp_dst.append(dst)
    level_slots = promotion.slots_by_level(level, 4)
    src, dst = promotion.promotions(level_slots, employee_id, weeks, skill, visibility, weights, p)
    np.testing.assert_array_equal(src, np.concatenate(exp_src))
    np.testing.assert_array_equal(dst, np.concatenate(exp_dst))
    if share_vacant:
        assert len(src) > 0
    if share_vacant == 0.3:  # chains: a slot left by a promotion is filled from below
        assert np.isin(dst, src).any()


def test_saturating_stock_sums_repeated_slots_before_saturating():
    stock = np.array([0.0, 0.5, 0.9, 0.3])
    stocks.add_saturating(stock, np.array([1, 0, 1, 1]), np.array([0.4, 0.2, 0.4, 0.4]))
    np.testing.assert_allclose(stock, [0.2, 0.5 + 1.0 * 0.5, 0.9, 0.3])
    stocks.add_saturating(stock, np.array([3]), 0.5)  # one amount for all
    np.testing.assert_allclose(stock[3], 0.3 + 0.5 * 0.7)


def test_within_cap_adds_hours_only_when_nobody_goes_over():
    used = np.array([0.0, 3.0, 1.0])
    assert hours_cap.within_cap(used, np.array([0, 2, 2]), np.array([1.0, 1.5, 1.5]), 4.0) is None
    np.testing.assert_array_equal(used, [1.0, 3.0, 4.0])  # exactly at the cap is allowed
    over = hours_cap.within_cap(used, np.array([0, 1, 1]), np.array([1.0, 0.5, 0.6]), 4.0)
    np.testing.assert_array_equal(over, [False, True, False])
    np.testing.assert_array_equal(used, [1.0, 3.0, 4.0])  # unchanged when someone is over


@pytest.mark.parametrize("seed", SEEDS)
def test_proficiency_scores_and_first_time_proficient(seed):
    rng, skill, level, employee_id = _state(seed)
    weights = rng.random((4, skill.shape[1]))
    reached = rng.random(len(skill)) < 0.5
    tenure = rng.integers(0, 100, len(skill)).astype(float)
    expected_score = np.einsum("nd,nd->n", skill, weights[level])
    newly = ~reached & (expected_score >= 0.5) & (employee_id >= 0)
    before = reached.copy()
    score, n_newly, weeks = ageing.update_proficiency(
        skill, level, weights, employee_id, tenure, reached, 0.5
    )
    np.testing.assert_allclose(score, expected_score, rtol=1e-14)
    assert n_newly[0] == newly.sum() > 0
    assert weeks[0] == pytest.approx(tenure[newly].sum())
    np.testing.assert_array_equal(reached, before | newly)


@pytest.mark.parametrize("seed", SEEDS)
def test_proficiency_counts_per_replicate_laid_end_to_end(seed):
    rng, skill, level, employee_id = _state(seed)
    n = len(skill) // 2 * 2
    skill, level, employee_id = skill[:n], level[:n], employee_id[:n]
    weights = rng.random((4, skill.shape[1]))
    reached = rng.random(n) < 0.5
    tenure = rng.integers(0, 100, n).astype(float)
    halves = [
        ageing.update_proficiency(
            skill[s], level[s], weights, employee_id[s], tenure[s], reached[s].copy(), 0.5
        )
        for s in (slice(0, n // 2), slice(n // 2, n))
    ]
    score, n_newly, weeks = ageing.update_proficiency(
        skill, level, weights, employee_id, tenure, reached, 0.5, n_replicates=2
    )
    np.testing.assert_array_equal(score, np.concatenate([h[0] for h in halves]))
    np.testing.assert_array_equal(n_newly, [h[1][0] for h in halves])
    np.testing.assert_array_equal(weeks, [h[2][0] for h in halves])


def test_age_one_week_skips_next_weeks_hires():
    hired = np.array([-10, 3, 4, 5])
    tenure = np.zeros(4)
    in_level = np.ones(4)
    ageing.age_one_week(hired, 4, tenure, in_level)
    np.testing.assert_array_equal(tenure, [1, 1, 1, 0])
    np.testing.assert_array_equal(in_level, [2, 2, 2, 1])


@pytest.mark.parametrize("seed", SEEDS)
def test_state_stats_equal_direct_numpy(seed):
    # Two replicates of 200 positions laid end to end, measured in one pass.
    rng, skill, level, employee_id = _state(seed)
    n_levels, n_domains = 4, skill.shape[1]
    engagement_ = rng.random(len(skill))
    prof = rng.random(len(skill))
    weeks = rng.choice([0.0, 26.0, 100.0], len(skill))
    visibility = rng.random(len(skill))
    weights = rng.random((n_levels, n_domains))
    values, counts, per_person = metrics._state_stats(
        skill, level, employee_id, engagement_, prof, weeks, visibility, weights, 2,
        0.5, 26.0, 0.2, 0.6,
    )  # fmt: skip
    per_person.sort()  # as metrics.measure does, then the Gini and percentiles
    metrics._spread(per_person, counts, values, 1 + n_domains + n_levels)
    up = np.minimum(level + 1, n_levels - 1)
    score = np.einsum("nd,nd->n", skill, weights[up]) + 0.2 * visibility
    for r in range(2):
        rows = slice(200 * r, 200 * (r + 1))
        occ = employee_id[rows] >= 0
        s, lv, m = skill[rows][occ], level[rows][occ], occ.sum()
        per_person = np.sort(s.mean(axis=1))
        n_per_level = np.bincount(lv, minlength=n_levels)
        with np.errstate(invalid="ignore"):
            by_level = np.bincount(lv, s.mean(axis=1), n_levels) / n_per_level
        n = len(per_person)
        expected = [
            s.sum() / s.size,
            *(s.sum(axis=0) / m),
            *by_level,
            2 * (np.arange(1, n + 1) * per_person).sum() / (n * per_person.sum()) - (n + 1) / n,
            *(per_person[int(q / 100 * n)] for q in (10, 50, 90)),
            (prof[rows][occ] >= 0.5).sum() / m,
            *((s >= 0.5).sum(axis=0) / m),
            engagement_[rows][occ].sum() / m,
        ]
        np.testing.assert_allclose(values[r], expected, rtol=1e-12)
        eligible = occ & (level[rows] < n_levels - 1) & (weeks[rows] >= 26.0)
        assert counts[r].tolist() == [m, (eligible & (score[rows] >= 0.6)).sum()]
        assert counts[r, 1] > 0


def test_compiled_sums_add_in_numpys_order():
    # Measurement sums in kernels as numpy sums, so that its numbers equal numpy's to
    # the last bit: runs of up to 128 in eight partial sums, longer ones split in two.
    rng = np.random.default_rng(0)
    for n in [*range(300), 1000, 1025, 4099, 100_003]:
        x = rng.random(n) * 10.0 ** rng.integers(-3, 4, n)
        assert metrics._pairwise_sum(x) == x.sum(), n
        ordered = np.sort(x)
        if n:
            ranks = np.arange(1, n + 1)
            expected = float(2.0 * (ranks * ordered).sum() / (n * ordered.sum()) - (n + 1) / n)
            assert metrics.gini(x) == expected, n
    assert metrics.gini(np.zeros(0)) == metrics.gini(np.zeros(3)) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_replicate_counts_equal_direct_numpy(seed):
    rng = np.random.default_rng(seed)
    n_initial = 300
    slot_of_id = np.where(rng.random(500) < 0.3, -1, rng.integers(0, 400, 500))
    present = rng.random(n_initial) < 0.9
    participant = present & (rng.random(n_initial) < 0.4)
    took_part, reached = rng.random(600) < 0.3, rng.random(550) < 0.2
    ties = rng.integers(0, 8, 400)
    counts = metrics._counts(slot_of_id, n_initial, participant, present, took_part, reached, ties)
    still = slot_of_id[:n_initial] >= 0
    non = present & ~participant
    expected = (still.sum(), participant.sum(), (still & participant).sum(), non.sum())
    extra = (took_part.sum(), reached.sum(), ties.sum())
    assert counts == (*expected, (still & non).sum(), *extra)
    none = metrics._NO_GROUP
    assert metrics._counts(slot_of_id, n_initial, none, none, took_part, reached, ties) == (
        still.sum(), 0, 0, 0, 0, *extra
    )  # fmt: skip
    a, b = rng.integers(0, 500, 50), rng.integers(0, 500, 50)
    both = (slot_of_id[a] >= 0) & (slot_of_id[b] >= 0)
    assert metrics._n_current(slot_of_id, a, b) == both.sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_mirrored_sessions_give_the_gains_of_both_directions(seed):
    rng, skill, _, _ = _state(seed)
    p = Learning(rate_session_per_hour=0.3, gap_absorption=0.3)
    a, b = rng.integers(0, len(skill), 300), rng.integers(0, len(skill), 300)
    hours, quality = np.tile(rng.random(300) * 3, 2), np.tile(rng.random(300), 2)
    focus = np.tile(rng.random((300, skill.shape[1])), (2, 1))
    args = (skill, np.concatenate([b, a]), np.concatenate([a, b]), hours, quality, focus, p)
    np.testing.assert_array_equal(
        learning.session_gains(*args, mirrored=True), learning.session_gains(*args)
    )


def test_reciprocal_programmes_hand_over_mirrored_batches():
    from sim.model.workplace import WorkplaceModel
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(
        "scenarios/programmes/hybrid.toml", ["organisation.n_employees=400", "horizon_weeks=12"]
    )
    model = WorkplaceModel(scenario, arm="hybrid")
    seen = []
    within_hours = model._within_hours

    def record(batches):  # the batches as the learning phase gets them (after the cap)
        out = within_hours(batches)
        seen.extend(zip(model.programmes, out, strict=True))
        return out

    model._within_hours = record
    model.run()
    mirrored = set()
    for prog, batch in seen:
        if not len(batch.learner):
            continue
        assert batch.mirrored == (prog.params.direction == "both")
        if batch.mirrored:
            mirrored.add(prog.name)
            half = len(batch.learner) // 2
            for first, second in [("learner", "partner"), ("partner", "learner")]:
                np.testing.assert_array_equal(
                    getattr(batch, first)[:half], getattr(batch, second)[half:]
                )
            for name in ("hours", "quality", "share", "focus"):
                col = getattr(batch, name)
                np.testing.assert_array_equal(col[:half], col[half:])
    assert len(mirrored) == 2  # peer coaching and circles


def test_a_mirrored_batch_of_odd_length_is_refused():
    skill = np.zeros((3, 2))
    one = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="even number"):
        learning.session_gains(
            skill, one, one, np.ones(3), np.ones(3), np.ones(2), Learning(), mirrored=True
        )


# --- the programme engine's shared rules and named batches ---------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("direction", ["down", "up", "both"])
def test_level_window_equals_the_documented_gap_rule(seed, direction):
    rng = np.random.default_rng(seed)
    guide = rng.integers(0, 6, (30, 40)).astype(np.int64)
    learner = rng.integers(0, 6, (30, 40)).astype(np.int64)
    lo, hi = int(rng.integers(0, 2)), int(rng.integers(1, 4))
    gap = {"down": guide - learner, "up": learner - guide, "both": np.abs(guide - learner)}
    expected = (gap[direction] >= lo) & (gap[direction] <= hi)
    code = rules.DIRECTIONS[direction]
    got = rules.in_level_window(guide, learner, code, lo, hi)
    np.testing.assert_array_equal(got, expected)
    row, column = guide[0][None, :], learner[:, 0][:, None]  # every combination
    np.testing.assert_array_equal(
        rules.in_level_window(row, column, code, lo, hi),
        rules.in_level_window(
            np.broadcast_to(row, guide.shape), np.broadcast_to(column, guide.shape), code, lo, hi
        ),
    )
    one = rules.in_level_window(np.int64(guide[0, 0]), np.int64(learner[0, 0]), code, lo, hi)
    assert one == expected[0, 0]  # the form the matching kernels call


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_dims", [1, 2, 5])
def test_similarity_equals_the_norm_formula_in_any_dimension(seed, n_dims):
    rng = np.random.default_rng(seed)
    values = rng.random((50, n_dims))
    a, b = rng.integers(0, 50, 80), rng.integers(0, 50, 80)
    a[:3] = b[:3]  # identical values: similarity 1
    expected = 1.0 - np.linalg.norm(values[a] - values[b], axis=-1) / np.sqrt(n_dims)
    got = rules.similarity(values, a, b)
    np.testing.assert_array_equal(got[:3], 1.0)
    if n_dims <= 2:  # the numpy reduction adds two squares in the same order: bit for bit
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_starting_quality_and_safety_equal_their_formulas(seed):
    rng = np.random.default_rng(seed)
    sim = rng.random(200)
    noise = rng.normal(0.0, 0.5, 200)  # wide, so the clip binds at both ends
    got = rules.starting_quality(sim, noise, 0.5, 0.4, rules.MEAN_SIMILARITY)
    expected = np.clip(0.5 + 0.4 * (sim - rules.MEAN_SIMILARITY) + noise, 0.05, 1.0)
    np.testing.assert_array_equal(got, expected)
    assert got.min() == rules.QUALITY_MIN and got.max() == 1.0
    expected_mean = np.clip(0.5 + 0.4 * (sim - rules.MEAN_SIMILARITY), 0.05, 1.0)
    np.testing.assert_array_equal(
        rules.starting_quality(sim, 0.0, 0.5, 0.4, rules.MEAN_SIMILARITY), expected_mean
    )
    level_a, level_b = rng.integers(0, 6, 100), rng.integers(0, 6, 100)
    table = rules.safety_table(0.1, 6)
    np.testing.assert_array_equal(
        rules.psychological_safety(level_a, level_b, table), 0.9 ** np.abs(level_a - level_b)
    )
    assert rules.psychological_safety(np.int64(1), np.int64(4), table) == 0.9**3


def _batch(rng, n_pairs: int = 40) -> SessionArrays:
    """A batch of reciprocal pair sessions, every column with values of its own."""
    a, b = rng.permutation(100)[:n_pairs], rng.permutation(100)[:n_pairs]
    sid = np.arange(n_pairs)
    return SessionArrays(
        learner=np.concatenate([b, a]),
        partner=np.concatenate([a, b]),
        hours=np.full(2 * n_pairs, 1.5),
        quality=np.tile(rng.random(n_pairs), 2),
        share=np.full(2 * n_pairs, 0.5),
        edge_session=np.concatenate([sid, sid]),
        guide=a.copy(),
        guide_quality=rng.random(n_pairs) + 2.0,
        guide_hours=np.full(n_pairs, 3.0),
        guide_session=sid.copy(),
        attendee=np.concatenate([b, a]),
        attendee_hours=np.full(2 * n_pairs, 4.0),
        attendee_session=np.concatenate([sid, sid]),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_restriction_keeps_every_column_in_its_place(seed):
    rng = np.random.default_rng(seed)
    batch = _batch(rng)
    edge, same = restriction(np.ones(100, dtype=bool), batch)
    assert edge.all()
    for name in SessionArrays._fields:  # a column written into another's place shows here
        np.testing.assert_array_equal(getattr(same, name), getattr(batch, name), err_msg=name)
    allowed = rng.random(100) < 0.7
    edge, kept = restriction(allowed, batch)
    n = len(batch.guide)
    whole = allowed[batch.learner[:n]] & allowed[batch.partner[:n]]  # a pair goes whole
    np.testing.assert_array_equal(edge, np.concatenate([whole, whole]))
    for name in ("learner", "partner", "hours", "quality", "share", "edge_session"):
        np.testing.assert_array_equal(getattr(kept, name), getattr(batch, name)[edge])
    for name in ("guide", "guide_quality", "guide_hours", "guide_session"):
        np.testing.assert_array_equal(getattr(kept, name), getattr(batch, name)[whole])


def test_a_batch_is_made_only_from_named_entries():
    rng = np.random.default_rng(0)
    arrays = _batch(rng)
    with pytest.raises(TypeError, match="SessionArrays"):
        Sessions(tuple(arrays), np.ones((len(arrays.learner), 2)))
    batch = Sessions(arrays, np.ones((len(arrays.learner), 2)), mirrored=True)
    for name in SessionArrays._fields:
        assert getattr(batch, name) is getattr(arrays, name)
    half = batch.restricted(np.ones(100, dtype=bool))
    assert half.mirrored and len(half.learner) == len(arrays.learner)
    with pytest.raises(AttributeError):
        _ = batch.no_such_column


def test_relationship_columns_round_trip_through_the_kernels():
    rel = Relationships()
    a, b = np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7])
    rel.add(a, b, np.array([0.1, 0.2, 0.3, 0.4]), 3, 10, need=np.array([1, -1, 0, 2]))
    rel.add(np.array([8]), np.array([9]), np.array([0.9]), 5, 6, pos_a=np.array([8]))
    np.testing.assert_array_equal(rel.start, [3, 3, 3, 3, 5])
    np.testing.assert_array_equal(rel.end, [10, 10, 10, 10, 6])
    np.testing.assert_array_equal(rel.group, -1)
    np.testing.assert_array_equal(rel.pos_a, [-1, -1, -1, -1, 8])
    slot_of_id = np.arange(10)
    slot_of_id[5] = -1  # the learner of the second relationship left
    free_from = np.zeros(10, dtype=np.int64)
    none = np.empty(0, dtype=np.uint8)  # no early endings
    kept = kernels.end_relationships(rel.columns(), slot_of_id, 6, free_from, 9, True, none)
    rel.truncate(kept)
    np.testing.assert_array_equal(rel.a, [0, 2, 3])  # the last one's term is over
    np.testing.assert_array_equal(rel.quality, [0.1, 0.3, 0.4])
    np.testing.assert_array_equal(rel.need, [1, 0, 2])
    np.testing.assert_array_equal(rel.pos_b, [4, 6, 7])
    np.testing.assert_array_equal(np.flatnonzero(free_from), [8, 9])  # reciprocal: both


def _greedy_in_numpy(score, ok, peers):
    # The greedy matching as the engine wrote it in numpy, learner by learner.
    free = np.ones(ok.shape[1], dtype=bool)
    rows, cols = [], []
    for i in range(ok.shape[0]):
        if peers:
            if not free[i]:
                continue
            free[i] = False
        cand = np.flatnonzero(free & ok[i])
        if len(cand) == 0 or not np.isfinite(score[i, cand][np.argmax(score[i, cand])]):
            if peers:
                free[i] = True
            continue
        best = cand[np.argmax(score[i, cand])]
        free[best] = False
        rows.append(i)
        cols.append(best)
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("peers", [False, True])
def test_greedy_pairs_equal_the_learner_by_learner_matching(seed, peers):
    rng = np.random.default_rng(seed)
    n_rows = 30
    n_cols = n_rows if peers else 45
    score = rng.integers(0, 4, (n_rows, n_cols)) / 4.0  # ties
    score[rng.random(score.shape) < 0.2] = -np.inf
    score[rng.random(score.shape) < 0.02] = np.nan
    ok = rng.random(score.shape) < 0.6
    want = _greedy_in_numpy(score, ok, peers)
    got = kernels.greedy_pairs(score, ok, np.ones(n_cols, dtype=bool), peers, 0)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # Block by block, the free columns carried over, it is the same matching.
    free, rows, cols = np.ones(n_cols, dtype=bool), [], []
    for start in range(0, n_rows, 7):
        r, c = kernels.greedy_pairs(
            score[start : start + 7], ok[start : start + 7], free, peers, start
        )
        rows.append(start + r)
        cols.append(c)
    np.testing.assert_array_equal(np.concatenate(rows), want[0])
    np.testing.assert_array_equal(np.concatenate(cols), want[1])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("groups", [False, True])
def test_start_week_is_endings_then_the_waiting(seed, groups):
    rng = np.random.default_rng(seed)
    n, k = 40, 15

    def table():
        rel = Relationships()
        a, b = rng.integers(0, n, k), rng.integers(0, n, k)
        rel.add(a, b, rng.random(k), 0, 8, group=a // 4 if groups else None, pos_a=a, pos_b=b)
        rel.add(b[:9], a[:9], rng.random(9), 2, 3)  # their term is over in week 5
        return rel

    state = rng.bit_generator.state
    one = table()
    rng.bit_generator.state = state
    two = table()  # the same table again
    slot_of_id = np.where(rng.random(n) < 0.1, -1, np.arange(n))
    v, engagement_ = rng.random(n), rng.random(n)
    workforce = (
        np.where(slot_of_id >= 0, np.arange(n), -1),  # employee id per position
        (rng.random(n) < 0.7).astype(np.uint8),  # learner positions
        (rng.random(n) < 0.5).astype(np.uint8),  # guide positions
        rng.random((n, 2)),  # propensity
    )
    tenure = rng.integers(0, 300, n).astype(float)
    endings = kernels.Endings(groups, True, 0.3, 0.5, 0.5)
    uptake = kernels.Uptake(True, 0.8, 0.6, 10.0, 250.0, True, 0.6, 2)
    free_one, free_two = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    kept, n_early, learners, places = kernels.start_week(
        one.columns(), slot_of_id, v, engagement_, 5, free_one, 9,
        *workforce, tenure, none, True, True, *kernels.Start.of(endings, uptake),
    )  # fmt: skip
    early, n_want = kernels.early_endings(two.columns(), slot_of_id, v, engagement_, 5, *endings)
    want = kernels.end_relationships(two.columns(), slot_of_id, 5, free_two, 9, True, early)
    two.truncate(want)
    assert (kept, n_early) == (want, n_want)
    np.testing.assert_array_equal(free_one, free_two)
    for got_column, want_column in zip(one.columns(), two.columns(), strict=True):
        np.testing.assert_array_equal(got_column[:kept], want_column)
    want_learners, want_places = kernels.waiting_and_places(
        *workforce[:3], workforce[3], engagement_, tenure, free_two, two.pos_a, two.pos_b,
        none, 5, True, *uptake,
    )  # fmt: skip
    np.testing.assert_array_equal(learners, want_learners)
    np.testing.assert_array_equal(places, want_places)
    assert len(learners)  # the case is not empty


def test_start_settings_are_the_endings_then_the_uptake():
    endings = kernels.Endings(True, False, 0.1, 0.2, 0.3)
    uptake = kernels.Uptake(False, 0.5, 0.6, 1.0, 2.0, False, 0.7, 3)
    start = kernels.Start.of(endings, uptake)
    assert start._asdict() == {**uptake._asdict(), **endings._asdict()}
    with pytest.raises(ValueError, match="reciprocal"):
        kernels.Start.of(endings, uptake._replace(reciprocal=True))


def test_burnout_adds_the_load_above_the_tolerated():
    pos_a = np.array([0, 0, 0, 2, 3, 3])
    out = np.array([0.5, -0.0, 0.25, 0.0])
    want = out + 0.1 * np.maximum(np.bincount(pos_a, minlength=4) - 1, 0)
    kernels.add_burnout(pos_a, 1, 0.1, out)
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize(
    ("fn", "settings"),
    [
        (kernels.waiting_and_places, kernels.Uptake),
        (kernels.meet, kernels.Meetings),
        (kernels.start_week, kernels.Start),
    ],
)
def test_kernels_take_a_programmes_settings_last_in_their_order(fn, settings):
    # The engine calls these kernels with the settings unpacked, so their last parameters
    # must be the settings' fields, with the same names, in the same order.
    py_func = getattr(fn, "py_func", fn)  # the Python function, compiled or not
    names = list(inspect.signature(py_func).parameters)
    assert names[-len(settings._fields) :] == list(settings._fields)


def test_meet_takes_the_drift_settings_just_before_the_meetings():
    # The engine calls meet with *drift, *meetings: Drift's fields come right before.
    py_func = getattr(kernels.meet, "py_func", kernels.meet)  # compiled or not
    names = list(inspect.signature(py_func).parameters)
    fields = kernels.Drift._fields + kernels.Meetings._fields
    assert names[-len(fields) :] == list(fields)


def test_load_kernels_loads_every_kernel_a_run_calls() -> None:
    # wlsim handles Ctrl-C only once every kernel is loaded, so that no interrupt lands
    # inside numba (sim/app/cli.py): a run must then call no kernel with new types.
    from pathlib import Path

    from sim.experiments.run import run_batch_tables
    from sim.model.warmup import kernels, load_kernels
    from sim.model.workplace import WorkplaceModel
    from sim.scenario.loading import load_scenario

    load_kernels()
    found = kernels()
    before = {k: set(d.signatures) for k, d in found.items()}
    root = Path(__file__).parent.parent / "scenarios"
    for name, extra in [
        ("mentorship_vs_peer_coaching.toml", ["organisation.n_employees=80"]),
        ("from_data.toml", []),
        ("programmes/hybrid.toml", ["organisation.n_employees=80"]),
    ]:
        scenario = load_scenario(root / name, ["horizon_weeks=3", *extra])
        for arm in scenario.arms:
            model = WorkplaceModel(scenario, arm=arm)
            for _ in range(scenario.horizon_weeks):
                model.step()
            # and as runs take them: replicates in a batch, with cohort snapshots
            run_batch_tables(scenario, arm, [0, 1], weeks=(2, 3))
    assert {
        k: set(d.signatures) - before[k] for k, d in found.items() if set(d.signatures) - before[k]
    } == {}


def test_promotion_moves_rows_and_ties_as_the_array_form_does():
    """Workforce.move_rows and AdviceNetwork.move (compiled) against fancy indexing.

    A cascade: slot 3 is vacated by one move and filled by another, slot 7 is vacated.
    """
    sc = validate_scenario({"name": "moves", "organisation": {"n_employees": 40}})
    rng = np.random.default_rng(0)
    wf = initial_workforce(sc, rng)
    net = AdviceNetwork.empty(wf.n_slots, 4, sc.n_domains)
    net.n[:] = rng.integers(0, 5, wf.n_slots)
    net.to[:] = rng.integers(-1, 40, net.to.shape)
    net.strength[:] = rng.random(net.strength.shape)
    net.belief[:] = rng.random(net.belief.shape)
    net.programme[:] = rng.random(net.programme.shape) < 0.5
    net.coaching[:] = rng.random(wf.n_slots)
    net.given[:] = rng.integers(0, 9, wf.n_slots)
    wf.employee_id[1] = -1
    src, dst = np.array([3, 7]), np.array([1, 3])
    expected = {name: getattr(wf, name).copy() for name in PERSON_FIELDS}
    for arr in expected.values():
        arr[dst] = arr[src]
    expected["employee_id"][7] = -1
    expected["weeks_in_level"][dst] = 0.0
    expected["n_promotions"][dst] += 1
    ties = {name: getattr(net, name).copy() for name in TIE_FIELDS}
    for arr in ties.values():
        arr[dst] = arr[src]
    wf.move_rows(src, dst)
    net.move(src, dst)
    for name in PERSON_FIELDS:
        np.testing.assert_array_equal(getattr(wf, name), expected[name], err_msg=name)
    for name in TIE_FIELDS:
        if name != "coaching":
            ties[name][7] = -1 if name == "to" else 0  # the vacated row is cleared
        np.testing.assert_array_equal(getattr(net, name), ties[name], err_msg=name)


@pytest.mark.parametrize("seed", SEEDS)
def test_hires_starting_state_is_hires_of_shifted_to_equilibrium(seed):
    """hiring.starting_state (compiled) against hires_of, equilibrium_shift and np.clip."""
    sc = validate_scenario(
        {"name": "hires", "learning": {"rel_hire_skill": 0.6}, "people": {"sd_skill_plateau": 0.3}}
    )
    rng = np.random.default_rng(seed)
    level = rng.integers(0, sc.n_levels, 50).astype(np.int16)
    draws = hiring.hire_draws(len(level), sc.n_domains, rng)
    people = traits.draw_traits(len(level), sc.people, rng)
    usage = rng.random((sc.n_levels, sc.n_domains))
    usage[0] = 0.0  # unused domains: the floor; and a wholly used one
    usage[-1, 0] = 1.0
    rel = sc.learning.rel_hire_skill
    mean = hiring.mean_starting_skill(sc, rel, usage, current=True)
    expected = hiring.hires_of(level, sc, draws, mean)
    shift = traits.equilibrium_shift(people, usage[level], sc.learning, rel)
    skill = np.clip(expected.skill + shift, sc.learning.skill_floor, 1.0)
    got = hiring.starting_state(level, sc, draws, mean, people, usage)
    np.testing.assert_array_equal(got.skill, skill)
    np.testing.assert_array_equal(got.baseline, expected.baseline)
    assert (got.skill == sc.learning.skill_floor).any() and (got.skill < 1.0).all()


def test_a_promotion_moves_every_per_person_array_of_the_advice_network():
    # AdviceNetwork.move passes its arrays to the kernel by hand: they must be exactly
    # PERSON_FIELDS, in order, so that a field added there cannot stay behind.
    from sim.model import network

    py_func = getattr(network._move, "py_func", network._move)  # compiled or not
    assert list(inspect.signature(py_func).parameters)[:-2] == list(TIE_FIELDS)


def _gather_rows(table: np.ndarray, rows: np.ndarray, ahead: int) -> float:
    """Sum ``table[rows[e], 1]``, asking ``ahead`` rows early for each (a kernel below)."""
    total = 0.0
    for e in range(len(rows)):
        if e + ahead < len(rows):
            prefetch(table, rows[e + ahead])
            prefetch(table[rows[e + ahead]], 0)
        total += table[rows[e], 1]
    return total


def _llvm(fn, *args) -> str:
    """LLVM IR of ``fn`` compiled afresh for ``args`` (a cached kernel keeps none)."""
    compiled = numba.njit(fn)
    compiled(*args)
    return "".join(compiled.inspect_llvm().values())


def test_prefetch_is_a_hint_that_changes_no_number():
    """``sim.jit.prefetch`` compiles to LLVM's prefetch and leaves results as they are."""
    compiled = kernel(_gather_rows)
    rng = np.random.default_rng(0)
    table = rng.random((500, 3))
    rows = rng.integers(0, 500, 2_000)
    expected = float(np.add.accumulate(table[rows, 1])[-1])
    for ahead in (0, 1, 8, 5_000):
        assert compiled(table, rows, ahead) == expected
        assert _gather_rows(table, rows, ahead) == expected  # from Python: does nothing
    if not numba.config.DISABLE_JIT:  # compiled, it is LLVM's prefetch
        assert "llvm.prefetch" in _llvm(_gather_rows, table, rows, 8)


def _sum_at(values: np.ndarray, at: np.ndarray) -> float:
    """Sum ``values[at[e]]`` (a kernel below), the index as read."""
    total = 0.0
    for e in range(len(at)):
        total += values[at[e]]
    return total


def _sum_at_unsigned(values: np.ndarray, at: np.ndarray) -> float:
    """Sum ``values[at[e]]`` (a kernel below), the index as an unsigned number."""
    total = 0.0
    for e in range(len(at)):
        total += values[unsigned(at[e])]
    return total


def test_an_unsigned_index_reads_the_same_element_without_the_negative_check():
    """``sim.jit.unsigned`` changes no number, and drops numba's handling of ``a[-k]``."""
    rng = np.random.default_rng(0)
    values = rng.random(300)
    at = rng.integers(0, 300, 1_000).astype(np.int32)  # as adviser ids are stored
    expected = _sum_at(values, at)
    assert kernel(_sum_at_unsigned)(values, at) == expected
    assert _sum_at_unsigned(values, at) == expected  # and from Python
    if not numba.config.DISABLE_JIT:  # a negative index is compared with 0 only if signed
        signed_ir, unsigned_ir = _llvm(_sum_at, values, at), _llvm(_sum_at_unsigned, values, at)
        assert unsigned_ir.count("icmp slt") < signed_ir.count("icmp slt")


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="the hint is in compiled kernels")
def test_the_passes_over_ties_ask_for_rows_ahead(monkeypatch):
    """The advice kernels that read rows far apart carry the hint (sim.jit.prefetch)."""
    from sim.model.submodels import advice
    from sim.scenario.schema import Informal

    net = AdviceNetwork.empty(30, 4, 2)
    ids = np.arange(30)
    episodes = np.arange(10, dtype=np.int64)
    for fn, args in (
        (advice._after_advice, (net.n, net.given, net.to, net.strength, episodes,
                                episodes[::-1].copy(), ids, 0.2)),
        (advice._programme_contacts, (net.n, net.to, net.strength, net.belief, net.programme,
                                      episodes, episodes[::-1].copy(), np.zeros((30, 2)), ids,
                                      np.zeros(30, dtype=np.int64), np.zeros((1, 2)), 0.3,
                                      0.2, 0.5)),
    ):  # fmt: skip
        assert "llvm.prefetch" in _llvm(fn.py_func, *args), fn
    # The weekly pass over every row, with the arguments the maintenance of a network gives it
    weekly_pass, passed = advice._tend.py_func, []
    none = np.zeros(0, dtype=np.int64)

    def record(*args):
        passed.append(args)
        return none, none, none, none, np.zeros(0)

    monkeypatch.setattr(advice, "_tend", record)
    advice.maintain(net, ids, np.zeros(30, dtype=np.int64), Informal())
    assert "llvm.prefetch" in _llvm(weekly_pass, *passed[0])
