"""People who differ, lastingly (docs/model.md section 7.15).

Each person gets, once at hire (or at the start), a learning ability, a proactivity in
seeking feedback and advice, and a teaching skill. Each is a multiplier with mean 1,
``exp(sd * z - sd**2 / 2)`` for a standard normal ``z``. The same ``z`` as the learning
ability sets the person's own skill plateau, ``skill_plateau + sd_skill_plateau * z``,
so that people of one level keep differing in skill instead of converging on one
plateau. Starting skill is shifted to the person's own practice equilibrium, so the
starting organisation is consistent with its people's traits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import helper, kernel
from sim.model.submodels.practice import decay_per_week
from sim.scenario.schema import Learning, People


@dataclass(frozen=True)
class Traits:
    """The lasting traits of a group of people, one entry per person.

    Attributes:
        ability: Learning ability (multiplier, mean 1).
        plateau_offset: The person's skill plateau minus ``learning.skill_plateau``.
        proactivity: Feedback and advice seeking (multiplier, mean 1).
        teaching: Teaching skill (multiplier, mean 1).
    """

    ability: np.ndarray
    plateau_offset: np.ndarray
    proactivity: np.ndarray
    teaching: np.ndarray


def multiplier(sd: float | np.ndarray, z: np.ndarray) -> np.ndarray:
    """A log-normal multiplier with mean 1: ``exp(sd * z - sd**2 / 2)``; ones when sd is 0.

    ``sd`` may also hold one spread per row of ``z`` (shape (rows, 1)): every row in one
    pass, each the numbers its own spread gives (a spread of 0 gives ``exp(0) = 1``
    exactly).
    """
    if np.ndim(sd) == 0 and sd == 0.0:
        return np.ones(len(z))
    return np.exp(sd * z - 0.5 * sd * sd)


def draw_traits(n: int, params: People, rng: np.random.Generator) -> Traits:
    """Draw the traits of ``n`` people: three standard normals each, always drawn.

    Args:
        n: Number of people.
        params: The spreads.
        rng: The traits generator (its draws do not depend on the spreads).

    Returns:
        The traits.
    """
    return traits_of(rng.standard_normal((n, 3)), params)


def traits_of(z: np.ndarray, params: People) -> Traits:
    """The traits that standard normals ``z`` (people, 3) give (:func:`draw_traits`).

    Args:
        z: Three standard normals per person: ability and plateau, proactivity, teaching.
        params: The spreads.

    Returns:
        The traits.
    """
    # One row per trait, so that each trait is a contiguous array (the kernels that read
    # the workforce's traits are compiled for contiguous arrays).
    rows = np.ascontiguousarray(z.T)
    sd = [
        [params.sd_log_learning_ability],
        [params.sd_log_proactivity],
        [params.sd_log_teaching_skill],
    ]
    m = multiplier(np.array(sd), rows)
    return Traits(
        ability=m[0],
        plateau_offset=params.sd_skill_plateau * rows[0],
        proactivity=m[1],
        teaching=m[2],
    )


def equilibrium_shift(
    traits: Traits,
    usage: np.ndarray,
    params: Learning,
    rel: float = 1.0,
    stale_per_week: np.ndarray | None = None,
) -> np.ndarray:
    """How far each person's practice equilibrium lies from that of an average person.

    The person's :func:`~sim.model.submodels.practice.equilibrium_skill` (with their
    ability and plateau) minus an average person's, scaled by ``rel`` as hires' starting
    skill is. Computed in one compiled pass (:func:`_shift`, which the tests check against
    the difference of the two ``equilibrium_skill`` arrays).

    Args:
        traits: The people's traits.
        usage: Job usage of each person's level (people, domains).
        params: Learning parameters.
        rel: 1 for incumbents, ``learning.rel_hire_skill`` for hires.
        stale_per_week: Weekly staleness share per domain (section 7.14); none if omitted
            (hires, whose knowledge is current).

    Returns:
        The shift (people, domains); zero when the traits do not differ.
    """
    stale = np.zeros(usage.shape[1]) if stale_per_week is None else stale_per_week
    return _shift(
        usage,
        traits.ability,
        traits.plateau_offset,
        stale,
        params.rate_practice_per_week,
        params.transfer_base,
        params.skill_plateau,
        decay_per_week(params.dur_skill_half_life_weeks),
        params.skill_floor,
        rel,
    )


@kernel
def _shift(usage, ability, plateau_offset, stale, rate, transfer_base, plateau, decay, floor, rel):
    out = np.empty(usage.shape)
    for i in range(usage.shape[0]):
        top = min(plateau + plateau_offset[i], 1.0)
        for d in range(usage.shape[1]):
            out[i, d] = shift_of(
                usage[i, d], ability[i], top, stale[d], rate, transfer_base, plateau, decay,
                floor, rel,
            )  # fmt: skip
    return out


@helper
def shift_of(usage, ability, top, stale, rate, transfer_base, plateau, decay, floor, rel):
    """One person's :func:`equilibrium_shift` in one domain, inside compiled kernels.

    ``top`` is the person's plateau (``min(skill_plateau + plateau_offset, 1)``). This is
    :func:`~sim.model.submodels.practice.equilibrium_skill`'s formula for the person and
    for an average person (ability 1, the common plateau), operation for operation;
    a staleness of 0.0 adds nothing.
    """
    a = rate * usage * transfer_base
    b = (1.0 - usage) * decay + stale
    mine = a * ability
    own = (mine * top + b * floor) / max(mine + b, 1e-12)
    mean = (a * plateau + b * floor) / max(a + b, 1e-12)
    return rel * (own - mean)
