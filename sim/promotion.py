"""Promotion submodel: readiness, and filling vacancies from the level below."""

from __future__ import annotations

import numpy as np

from sim.scenario import Promotion


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
