"""Arithmetic of each submodel, checked against hand-computed values."""

import numpy as np
import pytest

from sim.model.metrics import gini
from sim.model.submodels import engagement, learning, practice, promotion, stocks, turnover
from sim.scenario.schema import Engagement, Learning, Promotion, Turnover


def test_absorption_peaks_gain_at_the_absorption_scale():
    gaps = np.linspace(0.01, 1.0, 1000)
    gain = gaps * learning.absorption(gaps, 0.3)
    assert gaps[np.argmax(gain)] == pytest.approx(0.3, abs=0.002)
    assert learning.absorption(np.array([0.0]), 0.3)[0] == 1.0


def test_session_gain_formula_one_way_and_summed_per_learner():
    p = Learning(rate_session_per_hour=0.1, gap_absorption=0.5)
    skill = np.array([[0.2, 0.8], [0.6, 0.4], [0.9, 0.9]])
    learner = np.array([0, 0])
    partner = np.array([1, 2])
    gains = learning.session_gains(
        skill, learner, partner, np.array([2.0, 1.0]), np.array([0.5, 1.0]), np.array([1.0, 0.5]), p
    )
    # Session 1: gap (0.4, 0); share = 0.1*2*0.5*focus*exp(-gap/0.5)
    g1 = 0.1 * 2 * 0.5 * 1.0 * np.exp(-0.4 / 0.5) * 0.4
    # Session 2: gap (0.7, 0.1)
    g2 = np.array(
        [0.1 * 1 * 1 * 1.0 * np.exp(-0.7 / 0.5) * 0.7, 0.1 * 1 * 1 * 0.5 * np.exp(-0.1 / 0.5) * 0.1]
    )
    np.testing.assert_allclose(gains[0], [g1 + g2[0], g2[1]])
    np.testing.assert_array_equal(gains[1:], 0.0)  # partners learn nothing from learners


def test_session_gain_never_overshoots_the_partner():
    p = Learning(rate_session_per_hour=1.0, gap_absorption=1.0)
    skill = np.array([[0.5], [0.6]])
    gains = learning.session_gains(
        skill, np.array([0]), np.array([1]), np.array([40.0]), np.array([1.0]), np.ones(1), p
    )
    assert skill[0, 0] + gains[0, 0] <= skill[1, 0] + 1e-12


def test_forgetting_halves_unused_skill_above_floor_in_one_half_life():
    p = Learning(dur_skill_half_life_weeks=40.0, skill_floor=0.1)
    skill = np.array([[0.9]])
    for _ in range(40):
        skill = skill + practice.practice_and_forgetting(skill, np.zeros((1, 1)), np.zeros(1), p)
    assert skill[0, 0] == pytest.approx(0.1 + 0.8 / 2, rel=1e-9)


def test_practice_approaches_plateau_and_feedback_raises_it():
    p = Learning()
    usage = np.ones((2, 1))
    skill = np.full((2, 1), 0.3)
    feedback = np.array([[0.0], [1.0]])
    for _ in range(500):
        skill = skill + practice.practice_and_forgetting(skill, usage, feedback, p)
    assert skill[0, 0] == pytest.approx(p.skill_plateau, abs=1e-6)
    expected = p.skill_plateau + (1 - p.skill_plateau) * p.rel_feedback_plateau
    assert skill[1, 0] == pytest.approx(expected, abs=1e-6)


def test_equilibrium_skill_is_a_fixed_point_of_practice_and_forgetting():
    p = Learning()
    usage = np.array([[0.1, 0.5, 0.9]])
    eq = practice.equilibrium_skill(usage, p)
    change = practice.practice_and_forgetting(eq, usage, np.zeros_like(usage), p)
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    assert np.all(np.diff(eq) > 0)  # more use, more skill


def test_saturating_stock_and_decay():
    stock = np.array([0.0, 0.5, 0.9])
    stocks.add_saturating(stock, np.array([0, 1, 1]), np.array([0.2, 0.2, 0.2]))
    np.testing.assert_allclose(stock, [0.2, 0.5 + 0.4 * 0.5, 0.9])
    stocks.decay_stock(stock, 1.0)
    np.testing.assert_allclose(stock, [0.1, 0.35, 0.45])


def test_engagement_change_terms():
    p = Engagement(
        rate_drift_per_week=0.1,
        progress_per_skill=2.0,
        hours_tolerated_per_week=2.0,
        overload_per_hour=0.01,
        dur_stagnation_weeks=10,
        stagnation_per_week=0.003,
    )
    change = engagement.engagement_change(
        engagement=np.array([0.5, 0.5, 0.5]),
        baseline=np.array([0.7, 0.5, 0.5]),
        support=np.array([0.0, 0.01, 0.0]),
        progress=np.array([0.0, 0.005, -0.1]),
        hours=np.array([0.0, 5.0, 0.0]),
        weeks_in_level=np.array([0.0, 0.0, 11.0]),
        params=p,
    )
    np.testing.assert_allclose(change, [0.02, 0.01 + 0.01 - 0.03, -0.003])


def test_quit_hazard_at_reference_and_its_modifiers():
    p = Turnover(
        p_quit_per_week=0.004,
        engagement_reference=0.6,
        rel_hazard_per_engagement=3.0,
        rel_hazard_new_hire=2.0,
        dur_new_hire_weeks=52,
    )
    h = turnover.quit_hazard(np.array([0.6, 0.6, 0.4, 0.8]), np.array([100, 10, 100, 100]), p)
    np.testing.assert_allclose(h, [0.004, 0.008, 0.004 * np.exp(0.6), 0.004 * np.exp(-0.6)])
    extreme = Turnover(p_quit_per_week=1.0, rel_hazard_per_engagement=50.0)
    assert turnover.quit_hazard(np.array([0.0]), np.array([0.0]), extreme)[0] == 1.0


def test_readiness_and_choice_of_promotions():
    w = promotion.readiness_weights(np.array([[1.0, 3.0], [0.0, 0.0]]))
    np.testing.assert_allclose(w[0], [0.25, 0.75])
    p = Promotion(weight_visibility=0.5)
    score = promotion.readiness(np.array([[0.4, 0.8], [0.8, 0.4]]), w[0], np.array([0.0, 0.2]), p)
    np.testing.assert_allclose(score, [0.7, 0.5 + 0.1])
    src, dst = promotion.choose_promotions(np.array([7]), np.array([3, 4]), score)
    assert src.tolist() == [3] and dst.tolist() == [7]


def test_gini():
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
