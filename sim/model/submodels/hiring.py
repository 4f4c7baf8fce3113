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

from sim.model.submodels.demand import equilibrium_with_staleness, obsolescence_per_week
from sim.model.submodels.practice import usage_matrix
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


#: The fields of :class:`Hires`, in order.
HIRE_FIELDS = ("skill", "baseline", "propensity", "values")


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
    k = len(level)
    rel = scenario.learning.rel_hire_skill
    if mean_by_level is None:
        mean_by_level = mean_starting_skill(scenario, rel, current=True)
    skill = starting_skill(scenario, level, rel, rng, mean_by_level)
    baseline = draw_baseline(scenario, k, rng)
    return Hires(skill, baseline, rng.random((k, 2)), rng.random((k, 2)))


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
    noise = rng.normal(0.0, scenario.organisation.sd_skill_initial, size=mean.shape)
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
    eng = scenario.engagement
    return np.clip(rng.normal(eng.mean_baseline, eng.sd_baseline, size=n), 0.05, 0.95)
