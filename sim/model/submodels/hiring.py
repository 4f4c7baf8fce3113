"""Hiring (docs/model.md section 7.9, phase 8): who fills a vacancy.

Every vacancy left after promotions is filled by a hire who starts less skilled than an
incumbent of the level, with a personal engagement baseline and the traits that shape
programme uptake and matching. Incumbents of the initial organisation are drawn the same
way with ``rel = 1``. Hires bring knowledge of current practice: staleness (section
7.14) lowers incumbents' starting skill, not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import kernel
from sim.model.submodels.demand import equilibrium_with_staleness, obsolescence_per_week
from sim.model.submodels.practice import decay_per_week, usage_matrix
from sim.model.submodels.traits import Traits, shift_of
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Hires:
    """The starting state of new hires, one row per hire.

    Attributes:
        skill: Starting skill (hires, domains) in [0, 1].
        baseline: Personal engagement baseline, which is also their starting engagement.
        propensity: Traits that shape programme uptake (hires, 2), uniform on [0, 1).
        values: Traits that shape matching by similarity (hires, 2), uniform on [0, 1).
    """

    skill: np.ndarray
    baseline: np.ndarray
    propensity: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class HireDraws:
    """The random numbers that make a group of hires (:func:`draw_hires`).

    Attributes:
        skill: Standard normals of the starting skill (hires, domains).
        baseline: Standard normals of the engagement baseline (hires,).
        uniforms: Uniforms on [0, 1): the propensities, then the values (2, hires, 2).
    """

    skill: np.ndarray
    baseline: np.ndarray
    uniforms: np.ndarray

    @staticmethod
    def concatenate(parts: list[HireDraws]) -> HireDraws:
        """The draws of several groups of hires, one after the other."""
        return HireDraws(
            np.concatenate([p.skill for p in parts]),
            np.concatenate([p.baseline for p in parts]),
            np.concatenate([p.uniforms for p in parts], axis=1),
        )


def draw_hires(
    level: np.ndarray,
    scenario: Scenario,
    rng: np.random.Generator,
    mean_by_level: np.ndarray | None = None,
) -> Hires:
    """Draw the starting state of hires into positions at the given levels.

    Args:
        level: Level of each position to fill.
        scenario: The scenario.
        rng: The hiring generator.
        mean_by_level: Hires' mean starting skill per level (:func:`mean_starting_skill`
            with ``learning.rel_hire_skill`` and ``current=True``, for this week's job
            usage), if known; otherwise computed for ``organisation.job_usage``.

    Returns:
        The hires, in the order of ``level``.
    """
    if mean_by_level is None:
        mean_by_level = mean_starting_skill(
            scenario, scenario.learning.rel_hire_skill, current=True
        )
    draws = hire_draws(len(level), mean_by_level.shape[1], rng)
    return hires_of(level, scenario, draws, mean_by_level)


def hire_draws(k: int, n_domains: int, rng: np.random.Generator) -> HireDraws:
    """Draw the random numbers of ``k`` hires from the hiring generator.

    Two calls: the normals of every hire's skill then of their baselines, then the
    uniforms, the same numbers in the same order as drawing each array on its own.

    Args:
        k: Number of hires.
        n_domains: Number of skill domains.
        rng: The hiring generator.

    Returns:
        The draws, for :func:`hires_of`.
    """
    z = rng.standard_normal(k * (n_domains + 1))
    return HireDraws(
        z[: k * n_domains].reshape(k, n_domains), z[k * n_domains :], rng.random((2, k, 2))
    )


def hires_of(
    level: np.ndarray, scenario: Scenario, draws: HireDraws, mean_by_level: np.ndarray
) -> Hires:
    """The hires that ``draws`` (:func:`hire_draws`) make at the given levels.

    Args:
        level: Level of each position to fill.
        scenario: The scenario.
        draws: The hires' random numbers, in the order of ``level``.
        mean_by_level: Hires' mean starting skill per level (see :func:`draw_hires`).

    Returns:
        The hires, in the order of ``level``.
    """
    skill = skill_of(scenario, mean_by_level[level], draws.skill)
    baseline = baseline_of(scenario, draws.baseline)
    return Hires(skill, baseline, draws.uniforms[0], draws.uniforms[1])


def starting_state(
    level: np.ndarray,
    scenario: Scenario,
    draws: HireDraws,
    mean_by_level: np.ndarray,
    people: Traits,
    usage_by_level: np.ndarray,
) -> Hires:
    """The hires that ``draws`` make, each one's skill shifted to their own equilibrium.

    :func:`hires_of`, then the skill shifted by the traits' equilibrium shift
    (:func:`~sim.model.submodels.traits.equilibrium_shift`, with ``rel_hire_skill``) and
    clipped to [floor, 1] again, in one compiled pass, operation for operation
    (``tests/test_kernels.py`` checks it against those functions).

    Args:
        level: Level of each position to fill.
        scenario: The scenario.
        draws: The hires' random numbers, in the order of ``level``.
        mean_by_level: Hires' mean starting skill per level (see :func:`draw_hires`).
        people: The hires' traits.
        usage_by_level: This week's job usage (levels, domains).

    Returns:
        The hires, in the order of ``level``.
    """
    learning, eng = scenario.learning, scenario.engagement
    skill, baseline = _starting_state(
        level, draws.skill, draws.baseline, mean_by_level, usage_by_level, people.ability,
        people.plateau_offset, scenario.organisation.sd_skill_initial, learning.skill_floor,
        eng.mean_baseline, eng.sd_baseline, learning.rate_practice_per_week,
        learning.transfer_base, learning.skill_plateau,
        decay_per_week(learning.dur_skill_half_life_weeks), learning.rel_hire_skill,
    )  # fmt: skip
    return Hires(skill, baseline, draws.uniforms[0], draws.uniforms[1])


@kernel
def _starting_state(level, z_skill, z_baseline, mean_by_level, usage_by_level, ability,
                    plateau_offset, sd_skill, floor, mean_baseline, sd_baseline, rate,
                    transfer_base, plateau, decay, rel):  # fmt: skip
    # np.clip(x, lo, hi) is min(max(x, lo), hi) for numbers that are not NaN.
    k, n_domains = z_skill.shape
    skill = np.empty((k, n_domains))
    baseline = np.empty(k)
    for i in range(k):
        lv = level[i]
        top = min(plateau + plateau_offset[i], 1.0)
        for d in range(n_domains):
            s = min(max(mean_by_level[lv, d] + sd_skill * z_skill[i, d], floor), 1.0)
            shift = shift_of(
                usage_by_level[lv, d], ability[i], top, 0.0, rate, transfer_base, plateau,
                decay, floor, rel,
            )  # fmt: skip
            skill[i, d] = min(max(s + shift, floor), 1.0)
        baseline[i] = min(max(mean_baseline + sd_baseline * z_baseline[i], 0.05), 0.95)
    return skill, baseline


def starting_skill(
    scenario: Scenario,
    level: np.ndarray,
    rel: float,
    rng: np.random.Generator,
    mean_by_level: np.ndarray | None = None,
) -> np.ndarray:
    """Draw starting skill for employees at the given levels.

    An incumbent's mean skill in a domain is the equilibrium of practice, forgetting and
    staleness for the job's use of it, plus the level's expertise in proportion to that
    use. A hire starts at ``floor + rel * (current incumbent mean - floor)``, where the
    current mean leaves staleness out (:func:`mean_starting_skill`).

    Args:
        scenario: The scenario.
        level: Level of each new employee.
        rel: 1 for incumbents, ``learning.rel_hire_skill`` for hires.
        rng: The generator to draw from.
        mean_by_level: :func:`mean_starting_skill` of ``scenario`` and ``rel``, if known
            (otherwise the incumbents' mean for ``organisation.job_usage``).

    Returns:
        Skill array of shape (len(level), domains), clipped to [floor, 1]: nobody starts
        below the floor that forgetting decays toward, which no rule would move them up
        to (skill below the floor is never forgotten).
    """
    if mean_by_level is None:
        mean_by_level = mean_starting_skill(scenario, rel)
    mean = mean_by_level[level]
    return skill_of(scenario, mean, rng.standard_normal(mean.shape))


def skill_of(scenario: Scenario, mean: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Starting skill from its mean and standard normals, clipped to [floor, 1].

    ``mean + sd_skill_initial * z``: the same numbers as drawing
    ``normal(0, sd_skill_initial)`` noise from the generator that drew ``z``.
    """
    noise = scenario.organisation.sd_skill_initial * z
    return np.clip(mean + noise, scenario.learning.skill_floor, 1.0)


def mean_starting_skill(
    scenario: Scenario,
    rel: float,
    usage: np.ndarray | None = None,
    *,
    current: bool = False,
) -> np.ndarray:
    """Mean starting skill at each level, (levels, domains); see :func:`starting_skill`.

    An incumbent's mean in a domain is the equilibrium of practice, forgetting and
    staleness for the job's use of it (:func:`~.demand.equilibrium_with_staleness`),
    plus the level's expertise in proportion to that use.

    Args:
        scenario: The scenario.
        rel: 1 for incumbents, ``learning.rel_hire_skill`` for hires.
        usage: Job usage (levels, domains); default ``organisation.job_usage``.
        current: Leave staleness out (hires): what they know is current practice, so only
            their lack of experience (``rel``) lowers their start.

    Returns:
        The mean starting skill (levels, domains).
    """
    org, floor = scenario.organisation, scenario.learning.skill_floor
    usage = usage_matrix(scenario) if usage is None else usage
    share = np.zeros(usage.shape[1]) if current else obsolescence_per_week(scenario)
    expertise = np.asarray(org.skill_expertise_by_level)[:, None] * usage
    incumbent = equilibrium_with_staleness(usage, scenario.learning, share) + expertise
    return floor + rel * (incumbent - floor)


def draw_baseline(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw personal engagement baselines, clipped to [0.05, 0.95]."""
    return baseline_of(scenario, rng.standard_normal(n))


def baseline_of(scenario: Scenario, z: np.ndarray) -> np.ndarray:
    """Engagement baselines from standard normals (:func:`draw_baseline`), clipped."""
    eng = scenario.engagement
    return np.clip(eng.mean_baseline + eng.sd_baseline * z, 0.05, 0.95)
