"""Learning submodels: learning in sessions, on-the-job practice, forgetting.

Pure functions of arrays and parameters; none of them draws random numbers.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Learning


def absorption(gap: np.ndarray, gap_absorption: float) -> np.ndarray:
    """Share of a skill gap a learner can absorb: exp(-gap / gap_absorption).

    The gain ``gap * absorption(gap)`` is largest when the gap equals ``gap_absorption``
    and falls for larger gaps: a partner far ahead is harder to learn from than one a
    little ahead (absorptive capacity, Cohen & Levinthal 1990).

    Args:
        gap: Partner's skill minus the learner's, >= 0.
        gap_absorption: Scale of the fall-off, in skill units (> 0).

    Returns:
        Absorption in (0, 1], same shape as ``gap``.
    """
    return np.exp(-gap / gap_absorption)


def session_gains(
    skill: np.ndarray,
    learner: np.ndarray,
    partner: np.ndarray,
    hours: np.ndarray,
    quality: np.ndarray,
    focus: np.ndarray,
    params: Learning,
) -> np.ndarray:
    """Skill gained by learners in one week's sessions, summed per employee.

    Each learner moves toward the partner in every domain where the partner is stronger:
    gain = min(1, rate * hours * quality * focus * absorption(gap)) * gap.
    All gains are computed from the skills at the start of the phase.

    Args:
        skill: Skill array (slots, domains).
        learner: Slot of the learner of each directed session.
        partner: Slot of the partner learned from.
        hours: Session hours of each directed session.
        quality: Relationship quality in [0, 1] of each session.
        focus: Weight of each domain, for all sessions (domains,) or per session
            (sessions, domains).
        params: Learning parameters.

    Returns:
        Gains of shape (slots, domains), zero for employees without sessions.
    """
    gains = np.zeros_like(skill)
    if len(learner) == 0:
        return gains
    gap = np.maximum(skill[partner] - skill[learner], 0.0)
    share = params.rate_session_per_hour * (hours * quality)[:, None] * focus
    share = np.minimum(share * absorption(gap, params.gap_absorption), 1.0)
    np.add.at(gains, learner, share * gap)
    return gains


def decay_per_week(half_life_weeks: float) -> float:
    """Weekly share of skill above the floor lost in a wholly unused domain."""
    return 1.0 - 2.0 ** (-1.0 / half_life_weeks)


def practice_and_forgetting(
    skill: np.ndarray, usage: np.ndarray, feedback: np.ndarray, params: Learning
) -> np.ndarray:
    """Weekly change of skill from on-the-job practice and forgetting.

    Practice moves skill toward a plateau at a rate scaled by how much the job uses the
    domain and by transfer (the share of practice that turns into skill). Feedback
    raises both transfer and the plateau, so coached peers of equal skill still gain.
    The unused share of the week lets skill above the floor decay with the half-life of
    ``dur_skill_half_life_weeks`` (Tatel & Ackerman 2025).

    Args:
        skill: Skill array (slots, domains).
        usage: Job usage of each domain for each employee's level (slots, domains).
        feedback: Feedback stock per employee in [0, 1] (slots,).
        params: Learning parameters.

    Returns:
        The change in skill (slots, domains); applying it keeps skill within [0, 1].
    """
    fb = feedback[:, None]
    transfer = params.transfer_base + (1.0 - params.transfer_base) * fb
    plateau = params.skill_plateau + (1.0 - params.skill_plateau) * params.rel_feedback_plateau * fb
    practice = params.rate_practice_per_week * usage * transfer * np.maximum(plateau - skill, 0.0)
    lam = decay_per_week(params.dur_skill_half_life_weeks)
    forgetting = (1.0 - usage) * lam * np.maximum(skill - params.skill_floor, 0.0)
    return practice - forgetting


def equilibrium_skill(usage: np.ndarray, params: Learning) -> np.ndarray:
    """Skill at which practice (without feedback) and forgetting balance.

    Solves rate * usage * transfer_base * (plateau - s) = (1 - usage) * decay * (s - floor)
    for s: used domains settle near the plateau, unused ones near the floor.

    Args:
        usage: Job usage in [0, 1] (any shape).
        params: Learning parameters.

    Returns:
        The equilibrium skill, same shape as ``usage``.
    """
    a = params.rate_practice_per_week * usage * params.transfer_base
    b = (1.0 - usage) * decay_per_week(params.dur_skill_half_life_weeks)
    return (a * params.skill_plateau + b * params.skill_floor) / np.maximum(a + b, 1e-12)


def decay_stock(stock: np.ndarray, half_life_weeks: float) -> None:
    """Let a stock (feedback, visibility) decay by one week of its half-life, in place."""
    stock *= 2.0 ** (-1.0 / half_life_weeks)


def add_saturating(stock: np.ndarray, slots: np.ndarray, amount: np.ndarray) -> None:
    """Raise a [0, 1] stock toward 1: stock += amount * (1 - stock), summed per slot."""
    if len(slots) == 0:
        return
    total = np.zeros_like(stock)
    np.add.at(total, slots, amount)
    stock += np.minimum(total, 1.0) * (1.0 - stock)
