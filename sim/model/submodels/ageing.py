"""Ageing and time to proficiency (docs/model.md section 7.11, phase 9).

Tenure and time in level grow by a week; proficiency scores are refreshed, and hires
who reach the threshold for the first time are counted with their tenure.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel


def update_proficiency(
    skill: np.ndarray,
    level: np.ndarray,
    weights_by_level: np.ndarray,
    employee_id: np.ndarray,
    tenure_weeks: np.ndarray,
    reached: np.ndarray,
    threshold: float,
    n_replicates: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proficiency scores, and who became proficient for the first time since hire.

    Args:
        skill: Skill (slots, domains).
        level: Level of each slot.
        weights_by_level: Weight of each domain in the score at each level (levels, domains).
        employee_id: Occupant of each slot (-1 if vacant).
        tenure_weeks: Weeks since hire of each occupant.
        reached: Whether each occupant has been proficient since hire; set in place.
        threshold: Proficiency threshold.
        n_replicates: Number of replicates laid end to end in the arrays (equal blocks
            of positions, :func:`sim.model.workforce.stack`).

    Returns:
        The score per slot and, per replicate, how many occupants reached the threshold
        for the first time and the sum of their tenures (weeks).
    """
    return _update_proficiency(
        skill, level, weights_by_level, employee_id, tenure_weeks, reached, threshold,
        n_replicates,
    )  # fmt: skip


@kernel
def _update_proficiency(skill, level, weights, employee_id, tenure_weeks, reached, threshold,
                        n_replicates):  # fmt: skip
    n, n_domains = skill.shape
    size = n // n_replicates
    score = np.empty(n)
    n_newly = np.zeros(n_replicates, dtype=np.int64)
    weeks = np.zeros(n_replicates)
    for i in range(n):
        s = 0.0
        for d in range(n_domains):
            s += skill[i, d] * weights[level[i], d]
        score[i] = s
        if s >= threshold and not reached[i] and employee_id[i] >= 0:
            reached[i] = True
            r = i // size
            n_newly[r] += 1
            weeks[r] += tenure_weeks[i]
    return score, n_newly, weeks


@kernel
def age_one_week(
    hired_week: np.ndarray, week: int, tenure_weeks: np.ndarray, weeks_in_level: np.ndarray
) -> None:
    """Add a week of tenure and of time in level to everyone hired by ``week``, in place."""
    for i in range(len(hired_week)):
        if hired_week[i] <= week:
            tenure_weeks[i] += 1.0
            weeks_in_level[i] += 1.0
