"""What HR would measure: skill ratings and engagement surveys beside the true states.

The observation model (docs/model.md section 7.16) turns the latent states into the
numbers an organisation actually has: a manager's rating of each report's skill in each
domain, on the organisation's rating scale, and an engagement survey score, from those
who answer. It reads the workforce and never writes to it; its random numbers come from
their own stream (:attr:`sim.model.streams.Streams.observation`), drawn only in the weeks
the initial cohort is measured, a fixed number per measured week, so that every arm
draws the same numbers and no model result changes when it is switched on or off.

A rating is ``unit_to_scale(skill + leniency[rater] + error)`` rounded to
``rating_step`` points and kept within the scale; a survey score is
``unit_to_scale(engagement + error)`` rounded to ``survey_step`` points, or missing for
those who do not answer. :func:`reliability` gives the share of the observed variance
that is true variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.orgdata import rounding_variance, scale_to_unit, unit_to_scale
from sim.scenario.schema import Observation


def on_scale(value: np.ndarray, scale: tuple[float, float], step: float) -> np.ndarray:
    """0-1 values as scores on ``scale``, rounded to ``step`` points, within the scale.

    Args:
        value: Values on wlsim's 0-1 scale (may fall outside it before clipping).
        scale: Lowest and highest score.
        step: Resolution in points (0: no rounding).
    """
    low, high = scale
    score = unit_to_scale(value, scale)
    if step > 0:
        score = low + np.round((score - low) / step) * step
    return np.clip(score, low, high)


def rate_skill(
    skill: np.ndarray,
    rater: np.ndarray,
    leniency: np.ndarray,
    error: np.ndarray,
    params: Observation,
    scale: tuple[float, float],
) -> np.ndarray:
    """Managers' ratings of their reports' skills, on the organisation's scale.

    Args:
        skill: True skill, shape (n, domains), 0-1.
        rater: Index into ``leniency`` of each person's rater, shape (n,).
        leniency: Standard-normal leniency of every rater (scaled here).
        error: Standard-normal errors, shape (n, domains) (scaled here).
        params: The observation parameters.
        scale: ``organisation.skill_scale``.

    Returns:
        Ratings on ``scale``, shape (n, domains).
    """
    shift = params.sd_rater_leniency * leniency[rater]
    noisy = skill + shift[:, None] + params.sd_rating_error * error
    return on_scale(noisy, scale, params.rating_step)


def survey(
    engagement: np.ndarray,
    answers: np.ndarray,
    error: np.ndarray,
    params: Observation,
    scale: tuple[float, float],
) -> np.ndarray:
    """Engagement survey scores on the organisation's scale; NaN for those who do not answer.

    Args:
        engagement: True engagement, 0-1, shape (n,).
        answers: Uniform draws in [0, 1); a person answers when below ``p_survey_response``.
        error: Standard-normal errors, shape (n,) (scaled here).
        params: The observation parameters.
        scale: ``organisation.engagement_scale``.
    """
    score = on_scale(engagement + params.sd_survey_error * error, scale, params.survey_step)
    return np.where(answers < params.p_survey_response, score, np.nan)


def reliability(
    var_true: float,
    sd_error: float,
    step: float,
    scale: tuple[float, float],
    sd_leniency: float = 0.0,
    k: int = 1,
) -> float:
    """Share of the observed variance that is true variance, of a mean of ``k`` scores.

    The error of one score has three parts: a rater's leniency (shared by the ``k``
    scores a rater gives one person), the rater's error and the rounding to ``step``
    points (uniform, variance ``step**2 / 12`` in points), the last two independent
    across the ``k`` scores. Clipping at the scale's ends is ignored, so the formula
    slightly understates the reliability of scores near the ends.

    Args:
        var_true: Between-person variance of the true value (0-1 units).
        sd_error: Standard deviation of one score's error (0-1 units).
        step: Rounding step in points of ``scale``.
        scale: The scale.
        sd_leniency: Standard deviation of the rater's leniency (0-1 units).
        k: Number of scores averaged (e.g. domains).

    Returns:
        ``var_true / (var_true + sd_leniency**2 + (sd_error**2 + rounding) / k)``.
    """
    rounding = rounding_variance(step, scale)
    noise = sd_leniency**2 + (sd_error**2 + rounding) / k
    return var_true / (var_true + noise) if var_true > 0 else float("nan")


@dataclass
class Observer:
    """The observation model of one run: its draws, and the measures it gives.

    Args:
        rng: The observation stream.
        n_people: People measured each time (the initial cohort, by employee id).
        n_raters: Rater chairs: every position (a manager's leniency belongs to the chair,
            and so stays aligned across arms), plus one for the top's rater.
        n_domains: Skill domains.
        params: The observation parameters.
    """

    rng: np.random.Generator
    n_people: int
    n_raters: int
    n_domains: int
    params: Observation

    def __post_init__(self) -> None:
        # Leniency is a lasting trait of the rater: drawn once, before the first measure.
        self._leniency: np.ndarray | None = None

    def measure(
        self,
        skill: np.ndarray,
        engagement: np.ndarray,
        rater: np.ndarray,
        skill_scale: tuple[float, float],
        engagement_scale: tuple[float, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ratings and survey scores of the whole cohort in one measured week.

        Draws a fixed number of values (those of everyone in the cohort, employed or
        not), so every arm draws the same numbers for the same person and week.

        Args:
            skill: True skill by employee id, shape (n_people, n_domains) (any value
                where not employed).
            engagement: True engagement by employee id, shape (n_people,).
            rater: Each person's rater chair, shape (n_people,), in 0..n_raters-1.
            skill_scale: ``organisation.skill_scale``.
            engagement_scale: ``organisation.engagement_scale``.

        Returns:
            Ratings on the skill scale (n_people, n_domains) and survey scores on the
            engagement scale (n_people,), NaN for non-respondents.
        """
        rng = self.rng
        if self._leniency is None:
            self._leniency = rng.standard_normal(self.n_raters)
        error = rng.standard_normal((self.n_people, self.n_domains))
        answers = rng.random(self.n_people)
        survey_error = rng.standard_normal(self.n_people)
        ratings = rate_skill(skill, rater, self._leniency, error, self.params, skill_scale)
        scores = survey(engagement, answers, survey_error, self.params, engagement_scale)
        return ratings, scores


__all__ = ["Observer", "on_scale", "rate_skill", "reliability", "scale_to_unit", "survey"]
