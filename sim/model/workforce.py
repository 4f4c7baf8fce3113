"""Employee state as arrays (one row per position), the synthetic organisation, hiring.

The organisation is a fixed set of positions ("slots") in a reporting tree. Each slot
holds at most one employee; an employee's state lives in the slot's row of each array.
A promotion moves the employee's row to a slot one level up; a quit empties the slot
until a promotion or a hire fills it. Employee ids are never reused, and
``slot_of_id[id]`` is the employee's slot, or -1 once they have left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.jit import kernel
from sim.model.submodels.demand import obsolescence_per_week
from sim.model.submodels.hiring import Hires, draw_baseline, starting_skill
from sim.model.submodels.practice import usage_matrix
from sim.model.submodels.traits import Traits, draw_traits, equilibrium_shift
from sim.scenario.hrterms import level_counts
from sim.scenario.schema import Scenario

# Arrays that belong to the person, not the position: they move with a promotion.
PERSON_FIELDS = (
    "employee_id",
    "skill",
    "engagement",
    "baseline",
    "feedback",
    "visibility",
    "tenure_weeks",
    "weeks_in_level",
    "hired_week",
    "propensity",
    "values",
    "n_promotions",
    "reached_proficiency",
    "ability",
    "plateau_offset",
    "proactivity",
    "teaching",
)


@dataclass
class Workforce:
    """Struct of arrays holding the organisation and its employees.

    Attributes:
        level: Level index of each slot (fixed).
        manager: Slot of each slot's manager, -1 for the root (fixed).
        team: Slot of the team's first-line manager (fixed).
        employee_id: Id of the occupant, -1 when the slot is vacant.
        skill: Skill per slot and domain, in [0, 1].
        engagement: Engagement in [0, 1].
        baseline: Personal engagement baseline in [0, 1].
        feedback: Feedback stock per slot and domain in [0, 1] (raises practice
            transfer and the plateau in that domain).
        visibility: Visibility for promotion in [0, 1] (from sponsorship).
        tenure_weeks: Weeks since hire.
        weeks_in_level: Weeks since the last promotion or hire.
        hired_week: Week of hire (negative for the initial workforce).
        propensity: Uniform draws deciding enrolment: column 0 as learner, 1 as guide.
        values: Personal values (two dimensions in [0, 1]); partners' similarity of
            values drives relationship quality.
        n_promotions: Promotions since hire.
        reached_proficiency: Whether the occupant has been proficient since hire.
        ability: Learning ability (multiplier, mean 1; :mod:`.traits`).
        plateau_offset: The occupant's skill plateau minus ``learning.skill_plateau``.
        proactivity: Feedback and advice seeking (multiplier, mean 1).
        teaching: Teaching skill (multiplier, mean 1).
        slot_of_id: Slot of each employee id ever hired, -1 once they left.
    """

    level: np.ndarray
    manager: np.ndarray
    team: np.ndarray
    employee_id: np.ndarray
    skill: np.ndarray
    engagement: np.ndarray
    baseline: np.ndarray
    feedback: np.ndarray
    visibility: np.ndarray
    tenure_weeks: np.ndarray
    weeks_in_level: np.ndarray
    hired_week: np.ndarray
    propensity: np.ndarray
    values: np.ndarray
    n_promotions: np.ndarray
    reached_proficiency: np.ndarray
    ability: np.ndarray
    plateau_offset: np.ndarray
    proactivity: np.ndarray
    teaching: np.ndarray
    slot_of_id: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_ids: int = 0

    @property
    def n_slots(self) -> int:
        """Number of positions."""
        return len(self.level)

    @property
    def occupied(self) -> np.ndarray:
        """Boolean mask of filled positions."""
        return self.employee_id >= 0

    def new_ids(self, n: int) -> np.ndarray:
        """Reserve ``n`` new employee ids, growing the id registry as needed."""
        ids = np.arange(self.n_ids, self.n_ids + n, dtype=np.int64)
        self.n_ids += n
        if self.n_ids > len(self.slot_of_id):
            grown = np.full(max(2 * len(self.slot_of_id), self.n_ids, 1024), -1, dtype=np.int64)
            grown[: len(self.slot_of_id)] = self.slot_of_id
            self.slot_of_id = grown
        return ids

    def fill(self, slots: np.ndarray) -> np.ndarray:
        """Give the given vacant slots new employee ids; return the ids."""
        ids = self.new_ids(len(slots))
        self.employee_id[slots] = ids
        self.slot_of_id[ids] = slots
        return ids

    def renumber(self) -> np.ndarray:
        """Forget every id and number the current employees 0 .. n-1 in slot order."""
        self.slot_of_id = np.full(max(2 * self.n_slots, 1024), -1, dtype=np.int64)
        self.n_ids = 0
        return self.fill(np.arange(self.n_slots))

    def vacate(self, slots: np.ndarray) -> np.ndarray:
        """Empty the given slots; return the ids of the employees who left."""
        ids = self.employee_id[slots].copy()
        self.slot_of_id[ids] = -1
        self.employee_id[slots] = -1
        return ids

    def move_rows(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Move employees from slots ``src`` to vacant slots ``dst`` (promotion).

        All moves happen at once, so a slot may be vacated by one move and filled by
        another (a promotion into the level above, then one from the level below). The id
        registry is left as it is: then :meth:`register` ``dst``. Replicates laid end to
        end (:func:`stack`) keep a registry each, so the rows of all replicates move in
        one pass and each replicate registers its own moves.
        """
        # One compiled pass over the person arrays, given in PERSON_FIELDS order (a field
        # added there and not to the kernel fails the call, instead of staying behind).
        _move_rows(src, dst, *[getattr(self, name) for name in PERSON_FIELDS])

    def register(self, slots: np.ndarray) -> None:
        """Point the id registry at the occupants of ``slots`` (after they moved there)."""
        self.slot_of_id[self.employee_id[slots]] = slots


@kernel
def _move_rows(src, dst, employee_id, skill, engagement, baseline, feedback, visibility,
               tenure_weeks, weeks_in_level, hired_week, propensity, values, n_promotions,
               reached_proficiency, ability, plateau_offset, proactivity, teaching):  # fmt: skip
    # Every moving row is read before any is written: a slot may be vacated by one move
    # and filled by another.
    employee_id_src, skill_src, engagement_src = employee_id[src], skill[src], engagement[src]
    baseline_src, feedback_src, visibility_src = baseline[src], feedback[src], visibility[src]
    tenure_src, hired_src, propensity_src = tenure_weeks[src], hired_week[src], propensity[src]
    values_src, n_promotions_src = values[src], n_promotions[src]
    reached_src, ability_src = reached_proficiency[src], ability[src]
    plateau_src = plateau_offset[src]
    proactivity_src, teaching_src = proactivity[src], teaching[src]
    filled = np.zeros(len(employee_id), dtype=np.bool_)
    for k in range(len(dst)):
        j = dst[k]
        employee_id[j] = employee_id_src[k]
        skill[j] = skill_src[k]
        engagement[j] = engagement_src[k]
        baseline[j] = baseline_src[k]
        feedback[j] = feedback_src[k]
        visibility[j] = visibility_src[k]
        tenure_weeks[j] = tenure_src[k]
        weeks_in_level[j] = 0.0  # a promotion starts the time in level afresh
        hired_week[j] = hired_src[k]
        propensity[j] = propensity_src[k]
        values[j] = values_src[k]
        n_promotions[j] = n_promotions_src[k] + 1
        reached_proficiency[j] = reached_src[k]
        ability[j] = ability_src[k]
        plateau_offset[j] = plateau_src[k]
        proactivity[j] = proactivity_src[k]
        teaching[j] = teaching_src[k]
        filled[j] = True
    for i in src:
        if not filled[i]:
            employee_id[i] = -1


def fix_enrolment(propensity: np.ndarray, participant: np.ndarray) -> None:
    """Fix who enrols as a learner, in place: the roster's or a pilot's participants.

    A participant's enrolment draw is set to 0, below every programme's ``p_enrol``, so
    they enrol in every programme of the arm for which they are eligible; a
    non-participant's to 1, so they enrol in none; the others keep their draw.

    Args:
        propensity: The enrolment draws of the positions, shape (n, 2); column 0 is
            enrolment as a learner.
        participant: Per position 1 (takes part), 0 (does not) or NaN (drawn), shape (n,).
    """
    known = ~np.isnan(participant)
    propensity[known, 0] = np.where(participant[known] > 0, 0.0, 1.0)


def enrol_only(wf: Workforce, ids: np.ndarray) -> None:
    """Fix enrolment by employee id, in place: these enrol, nobody else present does.

    What a participants file (a history's pilot rows) and a simulated pilot's draw both
    mean: the listed employees enrol as learners in every programme of the arm for which
    they are eligible, every other position now occupied enrols in none
    (:func:`fix_enrolment`). Ids no longer employed are skipped.

    Args:
        wf: The workforce (before the first week: the starting workforce).
        ids: Employee ids of the participants.
    """
    slots = wf.slot_of_id[np.asarray(ids, dtype=np.int64)]
    took = np.zeros(wf.n_slots)
    took[slots[slots >= 0]] = 1.0
    fix_enrolment(wf.propensity, took)


def stack(workforces: list[Workforce]) -> Workforce:
    """Lay the workforces of replicates end to end, and make theirs views into it.

    Replicates of one scenario have the same positions, so replicate ``r``'s rows are
    ``r * n .. (r + 1) * n - 1`` of every array of the stacked workforce (``n``
    positions each). Each replicate's person arrays are rebound to their rows of the
    stacked ones: a rule applied to the stacked arrays changes every replicate, and
    each replicate's own rules keep working on their rows. Managers and teams are
    offset into the stacked rows; the id registry stays with each replicate (ids are
    numbered per replicate), so the stacked one is empty.

    Args:
        workforces: The replicates' workforces, all with the same positions.

    Returns:
        The stacked workforce (the only copy of the person arrays from now on).

    Raises:
        ValueError: If the workforces' positions differ.
    """
    first = workforces[0]
    n = first.n_slots
    for wf in workforces[1:]:
        if not np.array_equal(wf.level, first.level) or not np.array_equal(
            wf.manager, first.manager
        ):
            raise ValueError("only replicates with the same positions can be stacked")
    offsets = np.repeat(np.arange(len(workforces), dtype=np.int64) * n, n)
    # Any: mypy cannot tell the fields' names from a dict comprehension.
    fields: dict[str, Any] = {
        name: np.concatenate([getattr(wf, name) for wf in workforces]) for name in PERSON_FIELDS
    }
    manager = np.tile(first.manager, len(workforces))
    stacked = Workforce(
        level=np.tile(first.level, len(workforces)),
        manager=np.where(manager >= 0, manager + offsets, -1),
        team=np.tile(first.team, len(workforces)) + offsets,
        **fields,
    )
    for r, wf in enumerate(workforces):
        for name in PERSON_FIELDS:
            setattr(wf, name, fields[name][r * n : (r + 1) * n])
    return stacked


@dataclass(frozen=True)
class Organisation:
    """What the programmes read of the organisation they run in.

    The references are fixed for a run; the workforce's arrays change in place week by
    week. Programmes get this instead of the whole model.

    Attributes:
        workforce: The employee arrays.
        params: The scenario as the arm sees it.
        usage_by_level: Job usage of each domain at each level (levels, domains).
        ancestors: The chain of managers above each position (positions, levels); -1
            past the top.
    """

    workforce: Workforce
    params: Scenario
    usage_by_level: np.ndarray
    ancestors: np.ndarray


def build_structure(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the reporting tree: levels, managers and teams of every position.

    Positions are ordered from the top (slot 0, the root) down. Each level below the top
    reports round-robin to the level above it, except levels below the first managing
    level, which report to first-line managers. A team is a first-line manager and the
    people who report to them.

    Args:
        scenario: The scenario (only ``organisation`` is read).

    Returns:
        ``(level, manager, team)`` arrays, one entry per position.
    """
    org = scenario.organisation
    n_levels = len(org.levels)
    counts = level_counts(org.n_employees, org.level_shares, org.first_manager_level)
    level = np.repeat(np.arange(n_levels - 1, -1, -1, dtype=np.int16), counts[::-1])
    manager = np.full(len(level), -1, dtype=np.int64)
    slots_at = {lv: np.flatnonzero(level == lv) for lv in range(n_levels)}
    top = slots_at[n_levels - 1]
    manager[top[1:]] = top[0]
    for lv in range(n_levels - 2, -1, -1):
        boss_level = max(lv + 1, org.first_manager_level)
        bosses = slots_at[boss_level]
        mine = slots_at[lv]
        manager[mine] = bosses[np.arange(len(mine)) % len(bosses)]
    # Managers head their own team; everyone below them belongs to their manager's.
    team = np.where(level >= org.first_manager_level, np.arange(len(level)), manager)
    return level, manager, team


def ancestors(manager: np.ndarray, depth: int) -> np.ndarray:
    """Each position's chain of managers, nearest first, padded with -1.

    Args:
        manager: Manager slot of each slot (-1 for the root).
        depth: Number of levels to follow.

    Returns:
        Array of shape (positions, depth).
    """
    out = np.full((len(manager), depth), -1, dtype=np.int64)
    node = manager.copy()
    for k in range(depth):
        out[:, k] = node
        node = np.where(node >= 0, manager[np.maximum(node, 0)], -1)
    return out


def initial_workforce(
    scenario: Scenario, rng: np.random.Generator, traits_rng: np.random.Generator | None = None
) -> Workforce:
    """Create the organisation with every position filled by an incumbent.

    Args:
        scenario: The scenario.
        rng: The generator for initial conditions.
        traits_rng: The generator for the incumbents' traits (default: ``rng``, after
            every other draw).

    Returns:
        A fully staffed workforce.
    """
    if scenario.organisation.source:
        from sim.scenario.orgdata import load_roster

        roster = load_roster(scenario)
        level, manager, team = roster.level, roster.manager, roster.team
    else:
        roster = None
        level, manager, team = build_structure(scenario)
    n = len(level)
    tenure = rng.exponential(scenario.organisation.dur_tenure_initial_mean_weeks, size=n)
    baseline = draw_baseline(scenario, n, rng)
    skill = starting_skill(scenario, level, 1.0, rng)
    weeks_in_level = rng.random(n)
    propensity = rng.random((n, 2))
    values = rng.random((n, 2))
    traits = draw_traits(n, scenario.people, rng if traits_rng is None else traits_rng)
    usage = usage_matrix(scenario)[level]
    stale = obsolescence_per_week(scenario)
    shift = equilibrium_shift(traits, usage, scenario.learning, stale_per_week=stale)
    skill = np.clip(skill + shift, scenario.learning.skill_floor, 1.0)
    if roster is not None:
        # What the data give replaces the draws; what they leave out is drawn as usual.
        tenure = roster.tenure_weeks.copy()
        skill = np.where(np.isnan(roster.skill), skill, roster.skill)
        baseline = np.where(np.isnan(roster.engagement), baseline, roster.engagement)
        fix_enrolment(propensity, roster.participant)
    wf = Workforce(
        level=level,
        manager=manager,
        team=team,
        employee_id=np.full(n, -1, dtype=np.int64),
        skill=skill,
        engagement=baseline.copy(),
        baseline=baseline,
        feedback=np.zeros((n, scenario.n_domains)),
        visibility=np.zeros(n),
        tenure_weeks=tenure,
        weeks_in_level=tenure * weeks_in_level,
        hired_week=-np.ceil(tenure).astype(np.int64),
        propensity=propensity,
        values=values,
        n_promotions=np.zeros(n, dtype=np.int64),
        reached_proficiency=np.ones(n, dtype=bool),
        ability=traits.ability,
        plateau_offset=traits.plateau_offset,
        proactivity=traits.proactivity,
        teaching=traits.teaching,
    )
    wf.fill(np.arange(n))
    return wf


def start_hires(wf: Workforce, slots: np.ndarray, week: int, hires: Hires, traits: Traits) -> None:
    """Start new hires in vacant slots: their rows take the state they were drawn with.

    The hires already hold their ids (:meth:`Workforce.fill`): for replicates laid end to
    end (:func:`stack`), each replicate numbers its hires in its own registry, then the
    rows of every replicate's hires are set in one pass.

    Args:
        wf: The workforce (modified in place).
        slots: The hires' slots.
        week: Current week (recorded as the hire week).
        hires: The hires' starting state, one row per slot
            (:func:`sim.model.submodels.hiring.draw_hires`).
        traits: The hires' traits (:func:`sim.model.submodels.traits.draw_traits`); their
            starting skill already includes the traits' shift.
    """
    _start_hires(
        slots, week, hires.skill, hires.baseline, hires.propensity, hires.values, traits.ability,
        traits.plateau_offset, traits.proactivity, traits.teaching, wf.skill, wf.engagement,
        wf.baseline, wf.feedback, wf.visibility, wf.tenure_weeks, wf.weeks_in_level,
        wf.hired_week, wf.propensity, wf.values, wf.n_promotions, wf.reached_proficiency,
        wf.ability, wf.plateau_offset, wf.proactivity, wf.teaching,
    )  # fmt: skip


@kernel
def _start_hires(slots, week, hire_skill, hire_baseline, hire_propensity, hire_values,
                 hire_ability, hire_plateau, hire_proactivity, hire_teaching, skill, engagement,
                 baseline, feedback, visibility, tenure_weeks, weeks_in_level, hired_week,
                 propensity, values, n_promotions, reached_proficiency, ability,
                 plateau_offset, proactivity, teaching):  # fmt: skip
    for k in range(len(slots)):
        i = slots[k]
        skill[i] = hire_skill[k]
        baseline[i] = hire_baseline[k]
        engagement[i] = hire_baseline[k]  # a hire starts at their baseline
        feedback[i] = 0.0
        visibility[i] = 0.0
        tenure_weeks[i] = 0.0
        weeks_in_level[i] = 0.0
        hired_week[i] = week
        propensity[i] = hire_propensity[k]
        values[i] = hire_values[k]
        n_promotions[i] = 0
        reached_proficiency[i] = False
        ability[i] = hire_ability[k]
        plateau_offset[i] = hire_plateau[k]
        proactivity[i] = hire_proactivity[k]
        teaching[i] = hire_teaching[k]
