"""A programme in HR terms: headcounts, months and budgets translated into the engine's parameters.

An HR strategist states a programme as "10 mentors, each with 2 mentees, an hour every
two weeks, for six months from week 4, within 30 hours a week (or 150,000 a year)". The
engine (:mod:`sim.model.programmes.engine`) reads shares and caps. This module is the
one place where the first becomes the second (docs/programmes.md section 1.4):

- ``n_learners`` and ``n_guides`` are the engine's headcount caps themselves: at most
  that many learners and guides take part at once, picked among those who enrol
  (``p_enrol``) and volunteer (``p_volunteer``), former participants first;
- both together set the guide capacity: ``n_learners_per_guide_max = ceil(n_learners /
  n_guides)`` (:func:`capacity`);
- groups form whole: ``n_learners`` members in groups of ``n_group_size`` make
  ``n_learners // n_group_size`` groups, peers pair in twos (:func:`places`);
- ``dur_programme_months`` sets ``dur_programme_weeks`` to the nearest whole week at
  52/12 weeks a month (:func:`weeks_of_months`);
- budgets (``budget_hours_per_week``, ``budget_per_year`` in ``costs.currency``) are
  checked against the programme's planned hours and cost at full attendance
  (:func:`plan`), and a programme that does not fit is refused.

The checks against the organisation (:func:`check`) need its size by level, so they run
when a scenario file is loaded (:func:`sim.scenario.loading.load_scenario`), for the
base scenario and every arm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Weeks in a month, for durations stated in months.
WEEKS_PER_MONTH = 52 / 12
WEEKS_PER_YEAR = 52


def level_counts(n: int, shares: tuple[float, ...], first_manager_level: int) -> np.ndarray:
    """Split ``n`` positions over levels by largest remainder, keeping every manager level.

    Args:
        n: Number of positions.
        shares: Share per level, summing to 1.
        first_manager_level: Lowest managing level.

    Returns:
        Count per level; the top level and every managing level hold at least one.
    """
    raw = np.asarray(shares) * n
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    for lv in range(len(shares) - 1, first_manager_level - 1, -1):
        if counts[lv] == 0:
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[lv] += 1
    return counts


def weeks_of_months(months: float) -> int:
    """A duration in months as whole weeks (nearest, at least 1): 6 months are 26 weeks."""
    return max(1, round(months * WEEKS_PER_MONTH))


def capacity(n_learners: int, n_guides: int) -> int:
    """Learners per guide that ``n_guides`` need to take ``n_learners``: ceil(learners / guides)."""
    return max(1, math.ceil(n_learners / n_guides))


def has_guides(prog: Any) -> bool:
    """Whether a programme has a guide side (one-way or cross-level pairs with guide levels)."""
    return prog.topology == "pair" and not (prog.direction == "both" and not prog.guide_levels)


def places(prog: Any, n_learners: int) -> int:
    """Learners who can take part at once out of ``n_learners``: whole groups, whole peer pairs."""
    if prog.topology == "group":
        return (n_learners // prog.n_group_size) * prog.n_group_size
    if not has_guides(prog):
        return (n_learners // 2) * 2
    return n_learners


def translate_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The engine fields a programme table's HR terms set (before validation).

    Args:
        data: A programme table after the design's preset was merged in.

    Returns:
        The table with ``dur_programme_weeks`` set from ``dur_programme_months`` and
        ``n_learners_per_guide_max`` from ``n_learners`` and ``n_guides`` where stated.
    """
    out = dict(data)
    months = out.get("dur_programme_months")
    if isinstance(months, int | float) and not isinstance(months, bool) and months > 0:
        out["dur_programme_weeks"] = weeks_of_months(float(months))
    learners, guides = out.get("n_learners"), out.get("n_guides")
    if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (learners, guides)):
        out["n_learners_per_guide_max"] = capacity(int(learners), int(guides))  # type: ignore[arg-type]
    return out


def states_hr_terms(prog: Any) -> bool:
    """Whether a programme states any HR term (headcount, months or budget)."""
    return bool(
        prog.n_learners
        or prog.n_guides
        or prog.dur_programme_months
        or prog.budget_hours_per_week
        or prog.budget_per_year
    )


@dataclass(frozen=True)
class Plan:
    """A programme's planned size, hours and cost at full attendance, against the organisation.

    Attributes:
        eligible_learners: Employees at the learner levels.
        eligible_guides: Employees at levels that could guide one of the learners (0 for
            designs without guides).
        expected_learners: Learners expected to enrol (``p_enrol`` x eligible).
        expected_guides: Guides expected to volunteer (``p_volunteer`` x eligible).
        learners: Learners taking part at once (the cap, rounded to whole groups or
            pairs, or the expected enrolment within the guides' places).
        guides: Guides taking part at once (0 for designs without guides).
        hours_per_week: Person-hours a week in sessions (learners and guides).
        session_cost_per_year: Those hours at the participants' wages, a year.
        overhead_per_year: Coordination and platform fees a year, and the guides'
            training in the first year.
    """

    eligible_learners: int
    eligible_guides: int
    expected_learners: float
    expected_guides: float
    learners: int
    guides: int
    hours_per_week: float
    session_cost_per_year: float
    overhead_per_year: float

    @property
    def cost_per_year(self) -> float:
        """Planned cost a year: session time at wages plus overheads."""
        return self.session_cost_per_year + self.overhead_per_year


def guide_levels(prog: Any, n_levels: int) -> list[int]:
    """Levels whose employees could guide at least one of the programme's learner levels."""
    if not has_guides(prog):
        return []
    levels = prog.guide_levels or range(n_levels)
    out = []
    for g in levels:
        for lv in prog.learner_levels:
            gap = {"down": g - lv, "up": lv - g}.get(prog.direction, abs(g - lv))
            if prog.level_gap_min <= gap <= prog.level_gap_max:
                out.append(g)
                break
    return out


def plan(prog: Any, counts: Sequence[int] | np.ndarray, costs: Any) -> Plan:
    """The planned size, hours and cost of a programme in an organisation.

    Args:
        prog: The programme (a validated :class:`sim.scenario.schema.Programme`).
        counts: Employees per level.
        costs: The scenario's ``[costs]`` table.

    Returns:
        The plan (see :class:`Plan`); hours and costs assume every session is held.
    """
    n_at = np.asarray(counts, dtype=np.int64)
    wage = np.asarray(costs.wage_per_hour_by_level)
    lv_l = list(prog.learner_levels)
    lv_g = guide_levels(prog, len(n_at))
    e_l = int(n_at[lv_l].sum())
    e_g = int(n_at[lv_g].sum()) if lv_g else 0
    exp_l, exp_g = prog.p_enrol * e_l, prog.p_volunteer * e_g
    guided = has_guides(prog)
    learners = places(prog, prog.n_learners) if prog.n_learners else int(exp_l)
    guides = 0
    if guided:
        per_guide = max(prog.n_learners_per_guide_max, 1)
        available = prog.n_guides or int(exp_g)
        learners = min(learners, available * per_guide)
        guides = prog.n_guides or math.ceil(learners / per_guide)
    if prog.trigger == "challenge":
        per_week = prog.p_challenge_per_week
    else:
        per_week = 1.0 / prog.cadence_weeks
    # Learners each attend one session per cadence; a guide spends rel_guide_time of it.
    guide_share = prog.rel_guide_time if guided else 0.0
    hours = learners * per_week * prog.hours_per_session * (1.0 + guide_share)
    w_l = _mean_wage(wage, n_at, lv_l)
    w_g = _mean_wage(wage, n_at, lv_g) if lv_g else 0.0
    session_cost = (
        learners * per_week * prog.hours_per_session * (w_l + guide_share * w_g) * WEEKS_PER_YEAR
    )
    overhead = overhead_per_year(costs, learners + guides, guides, w_g)
    return Plan(e_l, e_g, exp_l, exp_g, learners, guides, hours, session_cost, overhead)


def overhead_per_year(costs: Any, participants: int, new_guides: int, guide_wage: float) -> float:
    """A programme's overheads in a year: coordination, platform fees, training new guides.

    Args:
        costs: The scenario's ``[costs]`` table.
        participants: People taking part (learners and guides).
        new_guides: Guides trained this year.
        guide_wage: Their mean wage, currency per hour.

    Returns:
        Currency a year.
    """
    coordinator_wage = costs.wage_per_hour_by_level[costs.level_coordinator]
    return (
        costs.hours_coordination_per_week * WEEKS_PER_YEAR * coordinator_wage
        + costs.fee_platform_per_participant_per_year * participants
        + costs.hours_training_per_guide * new_guides * guide_wage
    )


def _mean_wage(wage: np.ndarray, counts: np.ndarray, levels: Sequence[int]) -> float:
    n = counts[list(levels)]
    return float((wage[list(levels)] * n).sum() / n.sum()) if n.sum() else 0.0


def money(value: float, currency: str) -> str:
    """An amount with thousands separators and the currency, never in scientific notation."""
    return f"{value:,.0f} {currency}"


def check(scenario: Any, counts: Sequence[int] | np.ndarray) -> None:
    """Refuse programmes whose HR terms the organisation or the budget cannot meet.

    Args:
        scenario: The validated scenario.
        counts: Employees per level.

    Raises:
        ValueError: Naming the programme, the stated number and what the organisation
            or the design allows.
    """
    for name, prog in scenario.programmes.items():
        if not states_hr_terms(prog):
            continue
        where = f"programmes.{name}"
        p = plan(prog, counts, scenario.costs)
        levels = ", ".join(scenario.organisation.levels[lv] for lv in prog.learner_levels)
        if prog.n_learners > p.eligible_learners:
            raise ValueError(
                f"{where}.n_learners = {prog.n_learners}: more learners than the "
                f"{p.eligible_learners} employees eligible (learner_levels: {levels}); "
                "lower n_learners or widen learner_levels"
            )
        if prog.n_learners > p.expected_learners:
            need = prog.n_learners / p.eligible_learners
            raise ValueError(
                f"{where}.n_learners = {prog.n_learners}: only about {p.expected_learners:.0f} "
                f"of the {p.eligible_learners} eligible employees enrol (p_enrol = "
                f"{prog.p_enrol:g}); raise p_enrol to at least {min(need, 1.0):.2f} or lower "
                "n_learners"
            )
        if prog.n_learners and p.learners == 0:
            unit = f"groups of {prog.n_group_size}" if prog.topology == "group" else "pairs"
            raise ValueError(
                f"{where}.n_learners = {prog.n_learners}: too few to form {unit}; state at "
                f"least {prog.n_group_size if prog.topology == 'group' else 2}"
            )
        if prog.n_guides and not has_guides(prog):
            raise ValueError(
                f"{where}.n_guides = {prog.n_guides}: {prog.kind} has no guides (partners "
                "teach each other); state n_learners, the people taking part"
            )
        if prog.n_guides > p.eligible_guides:
            raise ValueError(
                f"{where}.n_guides = {prog.n_guides}: more guides than the "
                f"{p.eligible_guides} employees eligible to guide these learners; lower "
                "n_guides or widen guide_levels or the level window"
            )
        if prog.n_guides > p.expected_guides:
            need = prog.n_guides / p.eligible_guides
            raise ValueError(
                f"{where}.n_guides = {prog.n_guides}: only about {p.expected_guides:.0f} of "
                f"the {p.eligible_guides} eligible guides volunteer (p_volunteer = "
                f"{prog.p_volunteer:g}); raise p_volunteer to at least {min(need, 1.0):.2f} "
                "or lower n_guides"
            )
        if prog.budget_hours_per_week and p.hours_per_week > prog.budget_hours_per_week + 1e-9:
            raise ValueError(
                f"{where}.budget_hours_per_week = {prog.budget_hours_per_week:g}: the programme "
                f"needs {p.hours_per_week:,.1f} person-hours a week at full attendance "
                f"({p.learners} learners"
                + (f" and {p.guides} guides" if p.guides else "")
                + f", {prog.hours_per_session:g} h every {prog.cadence_weeks} weeks); raise the "
                "budget or plan fewer people, shorter or rarer sessions"
            )
        currency = scenario.costs.currency
        if prog.budget_per_year and p.cost_per_year > prog.budget_per_year + 1e-6:
            raise ValueError(
                f"{where}.budget_per_year = {money(prog.budget_per_year, currency)}: the "
                f"programme costs {money(p.cost_per_year, currency)} a year at full attendance "
                f"(session time {money(p.session_cost_per_year, currency)}, overheads "
                f"{money(p.overhead_per_year, currency)}); raise the budget or plan fewer "
                "people, shorter or rarer sessions"
            )


def describe(scenario: Any, counts: Sequence[int] | np.ndarray) -> list[str]:
    """The translation of every programme stated in HR terms, one line each, for the record.

    Args:
        scenario: The validated scenario.
        counts: Employees per level.

    Returns:
        Lines such as ``"programmes.pilot: 20 learners of 612 eligible, ..."``; empty when
        no programme states HR terms.
    """
    lines = []
    currency = scenario.costs.currency
    for name, prog in scenario.programmes.items():
        if not states_hr_terms(prog):
            continue
        p = plan(prog, counts, scenario.costs)
        parts = []
        if prog.n_learners:
            parts.append(
                f"n_learners = {prog.n_learners} (cap on learners at once; {p.learners} can "
                f"take part in whole {'groups' if prog.topology == 'group' else 'pairs'}; "
                f"{p.eligible_learners} eligible, about {p.expected_learners:.0f} enrol)"
            )
        if prog.n_guides:
            parts.append(
                f"n_guides = {prog.n_guides} (cap on guides at once; {p.eligible_guides} "
                f"eligible, about {p.expected_guides:.0f} volunteer)"
            )
        if prog.n_learners and prog.n_guides:
            parts.append(f"n_learners_per_guide_max = {prog.n_learners_per_guide_max}")
        if prog.dur_programme_months:
            parts.append(
                f"dur_programme_months = {prog.dur_programme_months:g} -> dur_programme_weeks "
                f"= {prog.dur_programme_weeks}"
            )
        parts.append(
            f"planned at full attendance: {p.hours_per_week:,.1f} person-hours a week, "
            f"{money(p.cost_per_year, currency)} a year"
        )
        if prog.budget_hours_per_week:
            parts.append(f"budget {prog.budget_hours_per_week:g} hours a week")
        if prog.budget_per_year:
            parts.append(f"budget {money(prog.budget_per_year, currency)} a year")
        lines.append(f"programmes.{name}: " + "; ".join(parts))
    return lines
