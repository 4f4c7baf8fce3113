"""The observation model: ratings and surveys as HR would measure them (docs/model.md 7.16)."""

import numpy as np
import pytest

from sim.model.observation import Observer, on_scale, rate_skill, reliability, survey
from sim.scenario.orgdata import scale_to_unit, unit_to_scale
from sim.scenario.schema import Observation

SCALE = (1.0, 5.0)


def test_scale_mapping_is_the_hr_import_mapping_reversed():
    x = np.array([0.0, 0.25, 0.6, 1.0])
    assert np.allclose(scale_to_unit(unit_to_scale(x, SCALE), SCALE), x)
    assert unit_to_scale(np.array([0.5]), SCALE)[0] == 3.0


def test_ratings_are_whole_points_within_the_scale():
    scores = on_scale(np.array([-0.3, 0.1, 0.49, 1.4]), SCALE, 1.0)
    assert list(scores) == [1.0, 1.0, 3.0, 5.0]


@pytest.mark.parametrize(("step", "tolerance"), [(0.0, 0.005), (1.0, 0.02)])
def test_reliability_matches_its_formula_on_simulated_ratings(step, tolerance):
    """Criterion: the share of observed variance that is true variance, measured on 200,000
    simulated single ratings by 40,000 raters, is within 0.005 of the formula for
    continuous ratings, and within 0.02 for whole points (the rounding term is Sheppard's
    approximation, which is rough when the step is twice the spread)."""
    rng = np.random.default_rng(1)
    params = Observation(rating_step=step)
    n, raters = 200_000, 40_000
    true = 0.55 + 0.095 * rng.standard_normal((n, 1))
    rater = rng.integers(0, raters, n)
    ratings = rate_skill(
        true, rater, rng.standard_normal(raters), rng.standard_normal((n, 1)), params, SCALE
    )
    observed = scale_to_unit(ratings[:, 0], SCALE)
    measured = true.var() / observed.var()
    formula = reliability(0.095**2, params.sd_rating_error, step, SCALE, params.sd_rater_leniency)
    assert abs(measured - formula) < tolerance, (measured, formula)


def test_default_rating_reliability_is_about_the_published_interrater_reliability():
    """Sized to Viswesvaran, Ones & Schmidt 1996 (.52) at a between-person sd of 0.095."""
    params = Observation()
    rel = reliability(
        0.095**2, params.sd_rating_error, params.rating_step, SCALE, params.sd_rater_leniency
    )
    assert 0.5 < rel < 0.54


def test_leniency_shifts_every_rating_a_rater_gives():
    params = Observation(sd_rating_error=0.0, rating_step=0.0, sd_rater_leniency=0.05)
    skill = np.full((4, 2), 0.5)
    leniency = np.array([2.0, -1.0])
    rated = rate_skill(skill, np.array([0, 0, 1, 1]), leniency, np.zeros((4, 2)), params, SCALE)
    assert np.allclose(scale_to_unit(rated, SCALE)[:2], 0.6)
    assert np.allclose(scale_to_unit(rated, SCALE)[2:], 0.45)


def test_response_rate_is_the_share_answering():
    rng = np.random.default_rng(2)
    params = Observation(p_survey_response=0.6)
    n = 50_000
    scores = survey(np.full(n, 0.6), rng.random(n), rng.standard_normal(n), params, SCALE)
    assert np.isnan(scores).mean() == pytest.approx(0.4, abs=0.01)


def test_observer_draws_a_fixed_number_per_measure():
    """Two observers on the same stream give the same errors whatever the states."""
    a = Observer(np.random.default_rng(3), 5, 3, 2, Observation(rating_step=0.0))
    b = Observer(np.random.default_rng(3), 5, 3, 2, Observation(rating_step=0.0))
    rater = np.zeros(5, dtype=int)
    ra, _ = a.measure(np.full((5, 2), 0.5), np.full(5, 0.5), rater, SCALE, SCALE)
    rb, _ = b.measure(np.full((5, 2), 0.6), np.full(5, 0.9), rater, SCALE, SCALE)
    assert np.allclose(scale_to_unit(rb, SCALE) - scale_to_unit(ra, SCALE), 0.1)
