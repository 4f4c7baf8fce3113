"""The ledger: what happened, as the schedule's phases report it.

Bookkeeping is kept apart from the dynamics: the phases change the workforce and report
events here (sessions held, leavers, promotions, hours and costs, hires reaching
proficiency, who took part), and measurement (:mod:`sim.model.metrics`) reads the
ledger and the workforce. Nothing here draws random numbers or feeds back into the
dynamics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.jit import kernel
from sim.model.workforce import Workforce


@dataclass
class Totals:
    """Running totals since week 0 (``..._week``: this week only)."""

    quits_week: int = 0
    quits: int = 0
    knowledge_lost: float = 0.0
    replacement_cost: float = 0.0
    promotions: int = 0
    session_hours_week: float = 0.0
    session_hours: float = 0.0
    guide_hours: float = 0.0
    session_cost: float = 0.0
    overhead_cost: float = 0.0
    proficiency_weeks: float = 0.0
    n_proficient_hires: int = 0
    advice_week: int = 0
    advice: int = 0
    advice_hours: float = 0.0
    feedback_conversations_week: int = 0
    skill_gained_informal: float = 0.0
    skill_gained_programmes: float = 0.0


@dataclass
class Exit:
    """The employees who left in one week (arrays in the same order).

    Attributes:
        hired_week: Week of hire (negative for the initial workforce: minus the tenure
            it started with).
        employee_id: Their ids.
        week: The week at whose end they left (one after the week they quit in).
        level: Level of the position each left.
    """

    hired_week: np.ndarray
    employee_id: np.ndarray
    week: int
    level: np.ndarray


@dataclass(frozen=True)
class Careers:
    """Initial employees whose promotions are compared, fixed in one week.

    Attributes:
        learner: On the learning side of a programme relationship that week.
        other: Employed that week and in no relationship, in any role.
        level: Their level that week (-1 if not employed).
        promotions_before: Each initial employee's promotions up to that week, not counted.
        promoted_learners: Promotions of the learners since that week, by their level
            that week (counted as they happen, so measuring reads only these totals).
        promoted_others: The same for the others.
        n_learners: Number of learners at each level that week.
        n_others: Number of others at each level that week.
    """

    learner: np.ndarray
    other: np.ndarray
    level: np.ndarray
    promotions_before: np.ndarray
    promoted_learners: np.ndarray
    promoted_others: np.ndarray
    n_learners: np.ndarray
    n_others: np.ndarray


#: Stand-ins for the careers' arrays before the cohorts are fixed (:func:`_count_promotions`).
_NO_FLAGS = np.zeros(0, dtype=bool)
_NO_LEVELS = np.zeros(0, dtype=np.int64)
_NO_COUNTS = np.zeros(0)


@kernel
def _count_promotions(employee_ids, initial_promotions, learner, other, level,
                      promoted_learners, promoted_others):  # fmt: skip
    # Each promotion of an initial employee counts for them and, once the careers'
    # cohorts are fixed (non-empty flags), for their cohort at their level then.
    n_initial = len(initial_promotions)
    for e in employee_ids:
        if e >= n_initial:
            continue
        initial_promotions[e] += 1
        if len(learner) and learner[e]:
            promoted_learners[level[e]] += 1.0
        if len(other) and other[e]:
            promoted_others[level[e]] += 1.0


@dataclass
class Ledger:
    """Running totals and records of one model run, from week 0.

    Attributes:
        n_initial: Size of the initial cohort (employee ids 0 .. n_initial - 1).
        totals: Running totals.
        reached: By employee id: has learned in at least one session.
        initial_participant: Initial employees in a programme relationship at the end of
            the first week in which the arm's programmes had any (programmes may start
            late); None until then.
        initial_present: Initial employees still employed in that week.
        exits: Leavers of each week in which anyone left, for survival curves.
        initial_promotions: Promotions of each initial employee since week 0.
        careers: The cohorts whose promotions are compared (see :class:`Careers`); None
            until the first week in which the arm's programmes have relationships.
    """

    n_initial: int
    totals: Totals = field(default_factory=Totals)
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    initial_participant: np.ndarray | None = None
    initial_present: np.ndarray | None = None
    exits: list[Exit] = field(default_factory=list)
    #: Each week's promotions: (week, the level each was promoted from).
    promotion_log: list[tuple[int, np.ndarray]] = field(default_factory=list)
    initial_promotions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    careers: Careers | None = None
    took_part: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.initial_promotions) != self.n_initial:
            self.initial_promotions = np.zeros(self.n_initial, dtype=np.int64)

    def learned(self, employee_ids: np.ndarray) -> None:
        """Record that these employees learned in a session this week."""
        if not len(employee_ids):
            return
        top = int(employee_ids.max()) + 1
        if len(self.reached) < top:
            self.reached = np.pad(self.reached, (0, 2 * top - len(self.reached)))
        self.reached[employee_ids] = True

    def left(self, wf: Workforce, leaving: np.ndarray, week: int, replacement_cost: float) -> None:
        """Record this week's leavers, before their positions are vacated.

        Args:
            wf: The workforce.
            leaving: Positions of the leavers.
            week: The week at whose end they leave (their duration ends there).
            replacement_cost: Replacement cost of these leavers, summed.
        """
        t = self.totals
        t.quits_week = len(leaving)
        if not len(leaving):
            return  # a week without leavers adds nothing (most weeks of a small organisation)
        t.quits += len(leaving)
        t.knowledge_lost += float(wf.skill[leaving].sum())
        t.replacement_cost += replacement_cost
        self.exits.append(
            # Indexing by an array of positions copies.
            Exit(wf.hired_week[leaving], wf.employee_id[leaving], week, wf.level[leaving])
        )

    def promoted(self, employee_ids: np.ndarray, levels: np.ndarray, week: int) -> None:
        """Record the promotions of these employees (one entry per promotion).

        Args:
            employee_ids: Who was promoted.
            levels: The level each was promoted from.
            week: The week of the promotions.
        """
        self.promotion_log.append((week, levels.copy()))
        self.totals.promotions += len(employee_ids)
        c = self.careers
        if c is None:
            _count_promotions(employee_ids, self.initial_promotions, _NO_FLAGS, _NO_FLAGS,
                              _NO_LEVELS, _NO_COUNTS, _NO_COUNTS)  # fmt: skip
        else:
            _count_promotions(employee_ids, self.initial_promotions, c.learner, c.other, c.level,
                              c.promoted_learners, c.promoted_others)  # fmt: skip

    def learner_cohort(
        self, wf: Workforce, learners: Sequence[np.ndarray], members: Sequence[np.ndarray]
    ) -> None:
        """Fix the cohorts whose promotions are compared, the first week there are any.

        Args:
            wf: The workforce.
            learners: Employee ids on the learning side of each programme's relationships
                (learners of one-way designs; both members of reciprocal and group ones).
            members: Employee ids of every relationship member, any role.
        """
        if self.careers is not None or not any(len(m) for m in members):
            return
        slot = wf.slot_of_id[: self.n_initial]
        present = slot >= 0
        learner = np.zeros(self.n_initial, dtype=bool)
        member = np.zeros(self.n_initial, dtype=bool)
        for ids, flags in [(ids, learner) for ids in learners] + [(i, member) for i in members]:
            flags[ids[ids < self.n_initial]] = True
        n_levels = int(wf.level.max()) + 1
        level = np.where(present, wf.level[np.maximum(slot, 0)], -1)
        learner &= present
        other = present & ~member & ~learner
        self.careers = Careers(
            learner=learner,
            other=other,
            level=level,
            promotions_before=self.initial_promotions.copy(),
            promoted_learners=np.zeros(n_levels),
            promoted_others=np.zeros(n_levels),
            n_learners=np.bincount(level[learner], minlength=n_levels),
            n_others=np.bincount(level[other], minlength=n_levels),
        )

    def hours(self, session_hours: float, guide_hours: float, session_cost: float) -> None:
        """Record this week's person-hours in sessions, guides' hours and their cost."""
        t = self.totals
        t.session_hours_week = session_hours
        t.session_hours += session_hours
        t.guide_hours += guide_hours
        t.session_cost += session_cost

    def learning(
        self,
        advice: int,
        advice_hours: float,
        conversations: int,
        gained_informal: float,
        gained_programmes: float,
    ) -> None:
        """Record this week's advice and feedback conversations, and the skill gained.

        Advice hours count both sides; skill gained is summed over people, in units of
        mean skill, from advice and from programme sessions.
        """
        t = self.totals
        t.advice_week = advice
        t.advice += advice
        t.advice_hours += advice_hours
        t.feedback_conversations_week = conversations
        t.skill_gained_informal += gained_informal
        t.skill_gained_programmes += gained_programmes

    def proficient(self, n_newly: int, weeks: float) -> None:
        """Record hires who reached proficiency, and their summed weeks to get there."""
        self.totals.proficiency_weeks += weeks
        self.totals.n_proficient_hires += n_newly

    def overheads(self, cost: float) -> None:
        """Record this week's programme overheads (coordination, platform fees, training)."""
        self.totals.overhead_cost += cost

    def participation(self, wf: Workforce, members: Sequence[np.ndarray]) -> None:
        """Fix the participants the first week any programme has relationships.

        Args:
            wf: The workforce.
            members: Employee ids of relationship members (one array per side and
                programme); participation is fixed once, in the first week any is
                non-empty; everyone ever a member is counted in ``took_part``.
        """
        if not members:
            return
        everyone = np.concatenate(members) if len(members) > 1 else members[0]
        if not len(everyone):
            return
        top = int(everyone.max()) + 1  # anyone, on either side, in any week
        if len(self.took_part) < top:
            self.took_part = np.pad(self.took_part, (0, 2 * top - len(self.took_part)))
        self.took_part[everyone] = True
        if self.initial_participant is not None:
            return
        self.initial_present = wf.slot_of_id[: self.n_initial] >= 0
        part = np.zeros(self.n_initial, dtype=bool)
        for ids in members:
            part[ids[ids < self.n_initial]] = True
        self.initial_participant = part & self.initial_present

    def survival_table(self, wf: Workforce, week: int) -> pd.DataFrame:
        """Time to leaving of everyone who worked here, for survival (Kaplan-Meier) curves.

        Args:
            wf: The workforce now.
            week: The current week (durations of those still employed end here).

        Returns:
            One row per employee: ``cohort`` ("initial" or "hired"), ``participant``
            (initial employees: in a programme relationship when participants were
            defined; NaN for hires and arms without programmes), ``duration_weeks``
            (from week 0 for the initial cohort, from hire for hires) and ``left``
            (False: still employed at the end, a censored duration).
        """
        n_now = int(wf.occupied.sum())
        hired = np.concatenate([e.hired_week for e in self.exits] + [wf.hired_week[wf.occupied]])
        ids = np.concatenate([e.employee_id for e in self.exits] + [wf.employee_id[wf.occupied]])
        end = np.concatenate(
            [np.full(len(e.employee_id), e.week) for e in self.exits] + [np.full(n_now, week)]
        )
        left = np.concatenate(
            [np.ones(len(e.employee_id), bool) for e in self.exits] + [np.zeros(n_now, bool)]
        )
        initial = ids < self.n_initial
        start = np.where(initial, 0, hired)
        participant = np.full(len(ids), np.nan)
        if self.initial_participant is not None and self.initial_present is not None:
            known = initial & (self.initial_present[np.minimum(ids, self.n_initial - 1)])
            participant[known] = self.initial_participant[ids[known]]
        return pd.DataFrame(
            {
                "cohort": np.where(initial, "initial", "hired"),
                "participant": participant,
                "duration_weeks": (end - start).astype(np.int64),
                "left": left,
            }
        )
