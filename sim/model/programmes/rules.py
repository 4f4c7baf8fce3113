"""The rules programmes share, one function each, for compiled and numpy code alike.

Matching and sessions apply the same few formulas on several paths: the random matching
kernels, the score-based matching in numpy, the kernel that records new relationships and
the kernel of the week's sessions. Each formula lives here once, as a compiled function
that the kernels call on single values and the numpy paths call on arrays (numba compiles
one version per argument type), so every path applies the same rule bit for bit.
``tests/test_kernels.py`` checks each against its formula written in numpy.

The direction of a programme is named here once: a code per direction for the kernels,
and :func:`reciprocal` for what ``"both"`` means everywhere else.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sim.jit import kernel

#: Direction codes: the guide is above the learner (``"down"``), below (``"up"``), or
#: either way, each member learning from the other (``"both"``).
DOWN, UP, BOTH = 0, 1, 2
DIRECTIONS = {"down": DOWN, "up": UP, "both": BOTH}

#: Lowest starting quality of a relationship (the highest is 1).
QUALITY_MIN = 0.05

#: Mean similarity of two random employees' values, uniform in the unit square (two
#: dimensions, as the workforce draws them): 1 - E|u - v| / sqrt(2), where
#: E|u - v| = (2 + sqrt(2) + 5 ln(1 + sqrt(2))) / 15.
MEAN_SIMILARITY = 1.0 - (2 + np.sqrt(2) + 5 * np.log(1 + np.sqrt(2))) / 15 / np.sqrt(2)


def reciprocal(direction: Literal["down", "up", "both"]) -> bool:
    """Whether both members learn from each other (direction ``"both"``).

    Then both members are busy while the relationship runs and free again when it ends,
    and each meeting is a directed session each way (a mirrored batch); otherwise ``a``
    guides ``b``.
    """
    return direction == "both"


@kernel
def in_level_window(guide_level, learner_level, direction: int, gap_min: int, gap_max: int):
    """Whether a guide at ``guide_level`` may guide a learner at ``learner_level``.

    The gap (guide level minus learner level; its negative for ``UP``, its absolute value
    for ``BOTH``) must lie within [``gap_min``, ``gap_max``]. Takes two int64 scalars or
    int64 arrays that broadcast against each other (a row of guides' levels and a
    column of learners' give every combination).

    Returns:
        A bool, or a bool array.
    """
    gap = guide_level - learner_level
    if direction == UP:
        gap = -gap
    elif direction == BOTH:
        gap = np.abs(gap)
    return (gap >= gap_min) & (gap <= gap_max)


@kernel
def similarity(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Similarity in [0, 1] of the personal values of positions ``a`` and ``b`` (1 = same).

    One minus the Euclidean distance of the two rows of ``values`` over its largest value,
    the square root of the number of dimensions (any number).

    Args:
        values: Personal values per position (positions, dimensions), each in [0, 1].
        a: Positions of the first members.
        b: Positions of the second members, one per first member.

    Returns:
        Similarity of each pair.
    """
    n_dims = values.shape[1]
    root_dims = np.sqrt(np.float64(n_dims))
    out = np.empty(len(a))
    for i in range(len(a)):
        x, y = a[i], b[i]
        square = 0.0
        for d in range(n_dims):
            diff = values[x, d] - values[y, d]
            square += diff * diff
        out[i] = 1.0 - np.sqrt(square) / root_dims
    return out


@kernel
def starting_quality(
    similarity_: np.ndarray,
    noise,
    quality_mean: float,
    rel_similarity: float,
    mean_similarity: float,
) -> np.ndarray:
    """Starting quality of relationships: the mean, raised by similarity, plus noise.

    ``quality_mean + rel_similarity * (similarity - mean_similarity) + noise``, within
    [``QUALITY_MIN``, 1].

    Args:
        similarity_: Similarity of the members' values, per relationship.
        noise: Noise per relationship (an array), or one number for all (0 for the
            expected quality).
        quality_mean: Mean starting quality at average similarity.
        rel_similarity: Quality gained per unit of similarity above the mean.
        mean_similarity: Mean similarity of two random employees.

    Returns:
        Starting quality per relationship.
    """
    quality = quality_mean + rel_similarity * (similarity_ - mean_similarity) + noise
    return np.minimum(np.maximum(quality, QUALITY_MIN), 1.0)


def safety_table(power_distance: float, n_levels: int) -> np.ndarray:
    """Psychological safety per level of distance between partners: ``(1 - pd) ** d``.

    Computed with numpy once per programme; the kernels compute no powers.
    """
    return (1.0 - power_distance) ** np.arange(n_levels)


@kernel
def psychological_safety(level_a, level_b, table: np.ndarray):
    """Psychological safety of partners at ``level_a`` and ``level_b`` (power distance).

    Looked up in :func:`safety_table` by the number of levels between them. Takes int64
    scalars or arrays, like :func:`in_level_window`.
    """
    return table[np.abs(level_a - level_b)]


@kernel
def quality_target(
    alignment,
    safety,
    engagement_low,
    rel_goal_mismatch: float,
    rel_power_distance: float,
    rel_disengagement: float,
    engagement_reference: float,
):
    """The quality a relationship tends toward (section 7.2.5 of docs/model.md).

    ``1 - rel_goal_mismatch * (1 - alignment) - rel_power_distance * (1 - safety)
    - rel_disengagement * max(engagement_reference - engagement_low, 0)``, within
    [``QUALITY_MIN``, 1]. With the three weights 0 the target is 1: quality only grows.
    Takes scalars or arrays of the same shape.

    Args:
        alignment: Goal alignment of the partners in [0, 1] (1 = the same goals).
        safety: Psychological safety across their level distance
            (:func:`psychological_safety`).
        engagement_low: Engagement of the less engaged member.
        rel_goal_mismatch: Quality lost per unit of goal mismatch (1 - alignment).
        rel_power_distance: Quality lost per unit of psychological safety lost.
        rel_disengagement: Quality lost per unit of engagement below the reference.
        engagement_reference: Engagement below which disengagement lowers the target.

    Returns:
        The target quality.
    """
    target = (
        1.0
        - rel_goal_mismatch * (1.0 - alignment)
        - rel_power_distance * (1.0 - safety)
        - rel_disengagement * np.maximum(engagement_reference - engagement_low, 0.0)
    )
    return np.minimum(np.maximum(target, QUALITY_MIN), 1.0)


@kernel
def end_hazard(
    quality,
    engagement,
    p_end_early_per_week: float,
    quality_end_threshold: float,
    engagement_end_threshold: float,
):
    """Weekly probability that a relationship ends early (a learner drops out).

    ``p_end_early_per_week * (max(1 - quality / quality_end_threshold, 0)
    + max(1 - engagement / engagement_end_threshold, 0))``, at most 1: zero while both
    are above their thresholds, rising linearly as either falls toward 0. Takes scalars
    or arrays of the same shape.

    Args:
        quality: Relationship quality (for a group member, the mean over their partners).
        engagement: Engagement of the learner (of the less engaged peer in a reciprocal
            pair).
        p_end_early_per_week: Hazard at zero quality (and, again, at zero engagement).
        quality_end_threshold: Quality below which the relationship may end (> 0).
        engagement_end_threshold: Engagement below which the learner may drop out (> 0).

    Returns:
        The weekly hazard.
    """
    low_quality = np.maximum(1.0 - quality / quality_end_threshold, 0.0)
    low_engagement = np.maximum(1.0 - engagement / engagement_end_threshold, 0.0)
    return np.minimum(p_end_early_per_week * (low_quality + low_engagement), 1.0)
