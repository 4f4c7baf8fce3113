"""Practice and forgetting (docs/model.md section 7.5, phase 4).

Used skills grow toward each person's plateau on the job, unused skill decays toward a
floor; feedback in a domain raises both transfer and the plateau there.
:func:`practice_and_forgetting` keeps the formula in array form, and a test checks that
the kernel :func:`practise` applies exactly it.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.scenario.schema import Learning, Scenario


def decay_per_week(half_life_weeks: float) -> float:
    """Weekly share of skill above the floor lost in a wholly unused domain."""
    return 1.0 - 2.0 ** (-1.0 / half_life_weeks)


def practice_and_forgetting(
    skill: np.ndarray,
    usage: np.ndarray,
    feedback: np.ndarray,
    params: Learning,
    ability: np.ndarray | None = None,
    plateau_offset: np.ndarray | None = None,
) -> np.ndarray:
    """Weekly change of skill from on-the-job practice and forgetting.

    Practice moves skill toward the person's plateau at a rate scaled by their learning
    ability, by how much the job uses the domain and by transfer (the share of practice
    that turns into skill). Feedback in a domain raises both transfer and the plateau
    there, so coached peers of equal skill still gain. The unused share of the week lets
    skill above the floor decay with the half-life of ``dur_skill_half_life_weeks``
    (Tatel & Ackerman 2025).

    Args:
        skill: Skill array (slots, domains).
        usage: Job usage of each domain for each employee's level (slots, domains).
        feedback: Feedback stock per employee and domain in [0, 1] (slots, domains).
        params: Learning parameters.
        ability: Learning ability per employee (default 1).
        plateau_offset: Each employee's plateau minus ``skill_plateau`` (default 0).

    Returns:
        The change in skill (slots, domains); applying it keeps skill within [0, 1].
    """
    n = len(skill)
    ability = np.ones(n) if ability is None else ability
    offset = np.zeros(n) if plateau_offset is None else plateau_offset
    transfer = params.transfer_base + (1.0 - params.transfer_base) * feedback
    own = np.minimum(params.skill_plateau + offset, 1.0)[:, None]
    plateau = own + (1.0 - own) * params.rel_feedback_plateau * feedback
    rate = params.rate_practice_per_week * ability[:, None]
    practice = rate * usage * transfer * np.maximum(plateau - skill, 0.0)
    lam = decay_per_week(params.dur_skill_half_life_weeks)
    forgetting = (1.0 - usage) * lam * np.maximum(skill - params.skill_floor, 0.0)
    return practice - forgetting


def practise(
    skill: np.ndarray,
    usage_by_level: np.ndarray,
    level: np.ndarray,
    feedback: np.ndarray,
    ability: np.ndarray,
    plateau_offset: np.ndarray,
    params: Learning,
) -> None:
    """Apply one week of :func:`practice_and_forgetting` to ``skill`` in place, clipped.

    Args:
        skill: Skill array (slots, domains), changed in place.
        usage_by_level: Job usage of each domain at each level (levels, domains).
        level: Level of each slot.
        feedback: Feedback stock per slot and domain in [0, 1].
        ability: Learning ability per slot.
        plateau_offset: Each slot's plateau minus ``skill_plateau``.
        params: Learning parameters.
    """
    _practise(
        skill,
        usage_by_level,
        level,
        feedback,
        ability,
        plateau_offset,
        params.rate_practice_per_week,
        params.transfer_base,
        params.skill_plateau,
        params.rel_feedback_plateau,
        decay_per_week(params.dur_skill_half_life_weeks),
        params.skill_floor,
    )


@kernel
def _practise(
    skill,
    usage_by_level,
    level,
    feedback,
    ability,
    plateau_offset,
    rate,
    transfer_base,
    plateau,
    rel_fb,
    lam,
    floor,
):
    for i in range(skill.shape[0]):
        own = min(plateau + plateau_offset[i], 1.0)
        rate_i = rate * ability[i]
        lv = level[i]
        for d in range(skill.shape[1]):
            fb = feedback[i, d]
            transfer = transfer_base + (1.0 - transfer_base) * fb
            top = own + (1.0 - own) * rel_fb * fb
            usage = usage_by_level[lv, d]
            s = skill[i, d]
            change = rate_i * usage * transfer * max(top - s, 0.0)
            change -= (1.0 - usage) * lam * max(s - floor, 0.0)
            skill[i, d] = min(max(s + change, 0.0), 1.0)


def equilibrium_skill(
    usage: np.ndarray,
    params: Learning,
    ability: np.ndarray | None = None,
    plateau_offset: np.ndarray | None = None,
    stale_per_week: np.ndarray | None = None,
) -> np.ndarray:
    """Skill at which practice (without feedback) and forgetting balance.

    Solves rate * ability * usage * transfer_base * (plateau - s)
    = ((1 - usage) * decay + stale) * (s - floor) for s: used domains settle near the
    plateau, unused ones near the floor.

    Args:
        usage: Job usage in [0, 1] (any shape; one row per person with the options below).
        params: Learning parameters.
        ability: Each person's learning ability (default 1; section 7.15).
        plateau_offset: Each person's plateau minus ``skill_plateau`` (default 0); the
            plateau is capped at 1, as in practice.
        stale_per_week: Weekly staleness share per domain (section 7.14; default none).

    Returns:
        The equilibrium skill, same shape as ``usage``.
    """
    a = params.rate_practice_per_week * usage * params.transfer_base
    if ability is not None:
        a = a * ability[:, None]
    top: float | np.ndarray = params.skill_plateau
    if plateau_offset is not None:
        top = np.minimum(params.skill_plateau + plateau_offset[:, None], 1.0)
    b = (1.0 - usage) * decay_per_week(params.dur_skill_half_life_weeks)
    if stale_per_week is not None:
        b = b + stale_per_week
    return (a * top + b * params.skill_floor) / np.maximum(a + b, 1e-12)


def usage_matrix(scenario: Scenario) -> np.ndarray:
    """Return job usage as an array of shape (levels, domains)."""
    org = scenario.organisation
    return np.array([org.job_usage[d] for d in org.domains], dtype=np.float64).T
