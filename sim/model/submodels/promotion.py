"""Promotion submodel: readiness, and filling vacancies from the level below."""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.scenario.schema import Promotion


def readiness_weights(usage_by_level: np.ndarray) -> np.ndarray:
    """Weight of each domain in readiness for each level: its job usage, normalised.

    Args:
        usage_by_level: Job usage, shape (levels, domains).

    Returns:
        Weights of shape (levels, domains), each row summing to 1.
    """
    return usage_by_level / np.maximum(usage_by_level.sum(axis=1, keepdims=True), 1e-12)


def readiness(
    skill: np.ndarray, weights: np.ndarray, visibility: np.ndarray, params: Promotion
) -> np.ndarray:
    """Readiness for a level: skill weighted by that level's job usage, plus visibility.

    Args:
        skill: Skill (employees, domains).
        weights: The target level's row of :func:`readiness_weights` (domains,), or one
            row per employee (employees, domains).
        visibility: Visibility from sponsorship in [0, 1], per employee.
        params: Promotion parameters.

    Returns:
        Readiness per employee.
    """
    return np.einsum("...d,...d->...", skill, weights) + params.weight_visibility * visibility


@kernel
def readiness_of(
    skill: np.ndarray, visibility: np.ndarray, i: int, weights: np.ndarray, weight_visibility: float
) -> float:
    """:func:`readiness` of the employee in position ``i``, inside compiled kernels."""
    s = 0.0
    for d in range(skill.shape[1]):
        s += skill[i, d] * weights[d]
    return s + weight_visibility * visibility[i]


def choose_promotions(
    vacancies: np.ndarray, candidates: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pair vacancies with the most ready candidates.

    Args:
        vacancies: Vacant slots at one level, in the order they are filled.
        candidates: Slots of eligible candidates at the level below.
        score: Readiness of each candidate (same order as ``candidates``).

    Returns:
        ``(src, dst)``: the promoted candidates' slots and the vacancies they fill.
    """
    k = min(len(vacancies), len(candidates))
    if k == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # Stable sort on -score: ties go to the lower slot, so the choice is deterministic.
    best = candidates[np.argsort(-score, kind="stable")[:k]]
    return best, vacancies[:k]


def slots_by_level(level: np.ndarray, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """The slots of each level in increasing order: ``slots[start[lv]:start[lv + 1]]``."""
    order = np.argsort(level, kind="stable").astype(np.int64)
    start = np.zeros(n_levels + 1, dtype=np.int64)
    start[1:] = np.cumsum(np.bincount(level, minlength=n_levels))
    return order, start


def promotions(
    level_slots: tuple[np.ndarray, np.ndarray],
    employee_id: np.ndarray,
    weeks_in_level: np.ndarray,
    skill: np.ndarray,
    visibility: np.ndarray,
    weights: np.ndarray,
    params: Promotion,
) -> tuple[np.ndarray, np.ndarray]:
    """This week's promotions: each level's vacancies filled from the level below, top down.

    The compiled equivalent of :func:`readiness` and :func:`choose_promotions` applied
    level by level from the top: at each level the vacancies (in slot order, including
    those left by promotions into the level above) go to the most ready employees of the
    level below with at least ``dur_min_in_level_weeks`` in their level and readiness at
    or above the threshold; ties go to the lower slot.

    Args:
        level_slots: The slots of each level, from :func:`slots_by_level`.
        employee_id: Occupant of each slot (-1 if vacant).
        weeks_in_level: Weeks in level of each slot's occupant.
        skill: Skill (slots, domains).
        visibility: Visibility per slot.
        weights: Readiness weights (levels, domains), see :func:`readiness_weights`.
        params: Promotion parameters.

    Returns:
        ``(src, dst)``: the promoted employees' slots and the vacancies they fill, top
        level first; apply them with :meth:`sim.model.workforce.Workforce.move`.
    """
    slots, start = level_slots
    return _promotions(
        slots,
        start,
        employee_id,
        weeks_in_level,
        skill,
        visibility,
        weights,
        float(params.dur_min_in_level_weeks),
        params.weight_visibility,
        params.readiness_threshold,
    )


@kernel
def _promotions(
    slots,
    start,
    employee_id,
    weeks_in_level,
    skill,
    visibility,
    weights,
    min_weeks,
    weight_visibility,
    threshold,
):
    n_levels = len(start) - 1
    vacant = employee_id < 0
    src = np.empty(len(slots), dtype=np.int64)
    dst = np.empty(len(slots), dtype=np.int64)
    n_moves = 0
    for lv in range(n_levels - 1, 0, -1):
        nv = 0
        for i in slots[start[lv] : start[lv + 1]]:
            if vacant[i]:
                nv += 1
        if nv == 0:
            continue
        vacancies = np.empty(nv, dtype=np.int64)
        v = 0
        for i in slots[start[lv] : start[lv + 1]]:
            if vacant[i]:
                vacancies[v] = i
                v += 1
        # The nv most ready candidates so far, best first; slots are scanned in order and
        # a candidate displaces another only with a strictly higher score, so ties go to
        # the lower slot, as in a stable sort.
        best = np.empty(nv, dtype=np.int64)
        best_score = np.empty(nv)
        nb = 0
        for i in slots[start[lv - 1] : start[lv]]:
            if vacant[i] or weeks_in_level[i] < min_weeks:
                continue
            s = readiness_of(skill, visibility, i, weights[lv], weight_visibility)
            if s < threshold or (nb == nv and s <= best_score[nb - 1]):
                continue
            pos = nb if nb < nv else nv - 1
            while pos > 0 and best_score[pos - 1] < s:
                best[pos] = best[pos - 1]
                best_score[pos] = best_score[pos - 1]
                pos -= 1
            best[pos] = i
            best_score[pos] = s
            if nb < nv:
                nb += 1
        for k in range(nb):
            src[n_moves] = best[k]
            dst[n_moves] = vacancies[k]
            vacant[best[k]] = True  # the promoted employee's slot is now vacant
            vacant[vacancies[k]] = False
            n_moves += 1
    return src[:n_moves].copy(), dst[:n_moves].copy()
