"""Skills that change (docs/model.md section 7.14): job demand that moves, knowledge that ages.

Two rules, neither of which draws random numbers:

- **Skill demand.** ``[[skill_demand]]`` ramps make the job usage of each domain at each
  level a function of the week (:class:`DemandSchedule`). Everything the model derives
  from usage (practice and forgetting, promotion readiness, proficiency, the need that
  directs advice and need-focused programmes, hires' starting skill) follows it.
- **Staleness.** A domain's current practice moves on, so part of what an employee knows
  of it stops counting each week, at the domain's obsolescence rate and beyond ordinary
  forgetting (:func:`staleness`, applied by the kernel :func:`go_stale`). Practice on the
  job (section 7.5) pulls skill toward the plateau, which is current practice, so those
  who use a domain stay partly current; hires bring current knowledge (section 7.9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import kernel
from sim.model.submodels.practice import equilibrium_skill, practice_and_forgetting, usage_matrix
from sim.scenario.schema import Learning, Scenario

#: Weeks per year, for rates given per year (as in the HR data's tenure_years).
WEEKS_PER_YEAR = 52.0


# --- staleness ---------------------------------------------------------------------------


def weekly_share(rate_per_year: np.ndarray | float) -> np.ndarray:
    """The weekly share lost that compounds to ``rate_per_year`` over a year.

    Args:
        rate_per_year: Share lost per year, in [0, 1).

    Returns:
        ``1 - (1 - rate) ** (1 / 52)``, same shape.
    """
    return 1.0 - (1.0 - np.asarray(rate_per_year, dtype=np.float64)) ** (1.0 / WEEKS_PER_YEAR)


def obsolescence_per_week(scenario: Scenario) -> np.ndarray:
    """Weekly staleness share of each domain (domains,), from the yearly rates.

    A domain named in ``learning.rate_skill_obsolescence_per_year_by_domain`` takes its
    own rate; the others take ``learning.rate_skill_obsolescence_per_year``.
    """
    params = scenario.learning
    own = params.rate_skill_obsolescence_per_year_by_domain
    rates = [
        own.get(d, params.rate_skill_obsolescence_per_year) for d in scenario.organisation.domains
    ]
    return weekly_share(np.array(rates, dtype=np.float64))


def staleness(skill: np.ndarray, share: np.ndarray, floor: float) -> np.ndarray:
    """Weekly change of skill from staleness: ``-share_d * max(skill - floor, 0)``.

    What an employee knows above the floor loses currency at the domain's weekly share;
    the floor (what anyone in the organisation knows) does not age.

    Args:
        skill: Skill array (slots, domains).
        share: Weekly staleness share per domain (domains,), in [0, 1).
        floor: The skill floor, ``learning.skill_floor``.

    Returns:
        The change (slots, domains), <= 0; applying it keeps skill within [0, 1].
    """
    return -share[None, :] * np.maximum(skill - floor, 0.0)


@kernel
def go_stale(skill: np.ndarray, share: np.ndarray, floor: float) -> None:
    """Apply one week of :func:`staleness` to ``skill`` in place.

    Args:
        skill: Skill array (slots, domains), changed in place.
        share: Weekly staleness share per domain (domains,).
        floor: The skill floor.
    """
    for i in range(skill.shape[0]):
        for d in range(skill.shape[1]):
            s = skill[i, d]
            skill[i, d] = s - share[d] * max(s - floor, 0.0)


def equilibrium_with_staleness(
    usage: np.ndarray, params: Learning, share: np.ndarray
) -> np.ndarray:
    """Skill at which practice (without feedback), forgetting and staleness balance.

    Between the floor and the plateau the weekly change of practice and forgetting
    (:func:`~sim.model.submodels.practice.practice_and_forgetting`) is linear in skill,
    ``g(s) = g_floor + slope * (s - floor)``; evaluating that rule at the floor and the
    plateau gives both, so the balance ``g(s) = share * (s - floor)`` follows section
    7.5's rule from its one home: ``s = floor + g_floor / (share - slope)``.

    Args:
        usage: Job usage (levels, domains) in [0, 1].
        params: Learning parameters.
        share: Weekly staleness share per domain (domains,).

    Returns:
        The equilibrium skill (levels, domains); exactly
        :func:`~sim.model.submodels.practice.equilibrium_skill` when every share is 0.
    """
    if not np.any(share):
        return equilibrium_skill(usage, params)
    floor, plateau = params.skill_floor, params.skill_plateau
    no_feedback = np.zeros_like(usage)
    at_floor = practice_and_forgetting(np.full_like(usage, floor), usage, no_feedback, params)
    at_plateau = practice_and_forgetting(np.full_like(usage, plateau), usage, no_feedback, params)
    slope = (at_plateau - at_floor) / (plateau - floor) if plateau > floor else np.zeros_like(usage)
    return floor + at_floor / np.maximum(share[None, :] - slope, 1e-12)


# --- skill demand ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ramp:
    """One ``[[skill_demand]]`` entry, resolved against the usage it starts from.

    Attributes:
        levels: Level indices whose usage changes.
        domain: Domain index.
        start: Usage at ``from_week`` of each level in ``levels``.
        end: Usage from ``to_week`` on, same shape.
        from_week: Last week at the old usage.
        to_week: First week at the new usage (equal to ``from_week``: a step).
    """

    levels: np.ndarray
    domain: int
    start: np.ndarray
    end: np.ndarray
    from_week: int
    to_week: int

    def at(self, week: int) -> np.ndarray:
        """Usage of the ramp's levels in ``week`` (``week >= from_week``)."""
        if week >= self.to_week:
            return self.end
        frac = (week - self.from_week) / (self.to_week - self.from_week)
        return self.start + (self.end - self.start) * frac

    def moves_in(self, week: int) -> bool:
        """Whether the usage in ``week`` differs from the week before's."""
        return self.from_week < week <= self.to_week or week == self.to_week


@dataclass(frozen=True)
class DemandSchedule:
    """Job usage by level and domain as a function of the week.

    Attributes:
        base: Usage before any ramp, ``organisation.job_usage`` (levels, domains).
        ramps: The ramps in order of ``from_week``; ramps of one domain and level do not
            overlap (the scenario's validation sees to it), so each starts from the
            usage the ramps before it left.
    """

    base: np.ndarray
    ramps: tuple[Ramp, ...]

    def usage_at(self, week: int) -> np.ndarray:
        """Job usage (levels, domains) in ``week`` (0 = the first simulated week)."""
        usage = self.base.copy()
        for ramp in self.ramps:
            if week >= ramp.from_week:
                usage[ramp.levels, ramp.domain] = ramp.at(week)
        return usage

    def moves_in(self, week: int) -> bool:
        """Whether usage in ``week`` differs from usage in the week before (or the base)."""
        return any(ramp.moves_in(week) for ramp in self.ramps)


def demand_schedule(scenario: Scenario) -> DemandSchedule:
    """Resolve the scenario's ``[[skill_demand]]`` ramps against ``organisation.job_usage``.

    Args:
        scenario: The validated scenario.

    Returns:
        The schedule; without ramps, usage is the base in every week.
    """
    base = usage_matrix(scenario)
    n_levels = base.shape[0]
    domains = scenario.organisation.domains
    final = base.copy()
    ramps = []
    order = sorted(
        range(len(scenario.skill_demand)), key=lambda i: scenario.skill_demand[i].from_week
    )
    for i in order:
        entry = scenario.skill_demand[i]
        levels = np.array(entry.levels or range(n_levels), dtype=np.int64)
        d = domains.index(entry.domain)
        start = final[levels, d].copy()
        if entry.usage is not None:
            end = np.full(len(levels), entry.usage)
        else:
            end = np.clip(start + (entry.change or 0.0), 0.0, 1.0)
        final[levels, d] = end
        ramps.append(Ramp(levels, d, start, end, entry.from_week, entry.to_week))
    return DemandSchedule(base, tuple(ramps))
