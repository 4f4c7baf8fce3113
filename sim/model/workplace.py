"""The workplace-learning model: a Mesa model whose weekly step runs the documented schedule."""

from __future__ import annotations

from functools import cached_property

import mesa
import numpy as np
import pandas as pd

from sim.model import arrays, metrics
from sim.model.agents import Employee
from sim.model.ledger import Ledger
from sim.model.network import AdviceNetwork
from sim.model.programmes import ProgrammeRule, Sessions
from sim.model.streams import Streams
from sim.model.submodels import (
    advice,
    ageing,
    demand,
    hiring,
    hours_cap,
    learning,
    practice,
    promotion,
    session_effects,
    stocks,
    traits,
    turnover,
)
from sim.model.submodels import engagement as engagement_rules
from sim.model.workforce import (
    Organisation,
    ancestors,
    initial_workforce,
    stack,
    start_hires,
)
from sim.scenario.loading import arm_scenario
from sim.scenario.schema import Scenario

#: No advice this week (informal learning off, or before the first week).
_NONE = np.zeros(0, dtype=np.int64)
_NO_ADVICE = advice.Advice(_NONE, _NONE, _NONE, _NONE, np.zeros(0))


def _proficiency_weights(usage: np.ndarray) -> np.ndarray:
    """Weights of the proficiency score: the domains each level uses at least half of the time."""
    used = usage >= 0.5
    return used / np.maximum(used.sum(axis=1, keepdims=True), 1)


class WorkplaceModel(mesa.Model):
    """An organisation learning week by week under the programmes of one arm.

    State lives in :attr:`workforce` (numpy arrays); :class:`Employee` agents are views
    onto it, so ``model.agents`` works as in any Mesa model.

    Args:
        scenario: The validated scenario.
        arm: Which arm to run (its programmes and overrides); defaults to the first arm.
        replicate: Replicate number; with the scenario's seed it fixes every random draw.
        seed: Overrides the scenario's root seed.

    Attributes:
        params: The scenario as this arm sees it (overrides applied).
        arm: Name of the arm.
        week: Number of weeks simulated so far.
        workforce: The employee arrays.
        programmes: The programme rules active in this arm.
        records: One dict of metrics per week, starting with week 0.
    """

    def __init__(
        self,
        scenario: Scenario,
        arm: str | None = None,
        replicate: int = 0,
        seed: int | None = None,
    ) -> None:
        arm = arm if arm is not None else next(iter(scenario.arms))
        self.arm = arm
        self.params = arm_scenario(scenario, arm)
        self.replicate = replicate
        self.seed = scenario.seed if seed is None else seed
        self.streams = Streams(self.seed, replicate)
        super().__init__(rng=self.streams.mesa())

        sc = self.params
        self.week = 0
        # Job usage and what derives from it; [[skill_demand]] ramps change them in place
        # (the Organisation and the programmes hold the same arrays).
        self.usage_by_level = practice.usage_matrix(sc)
        self.readiness_weights = promotion.readiness_weights(self.usage_by_level)
        self._proficiency_weights = _proficiency_weights(self.usage_by_level)
        self._demand = demand.demand_schedule(sc)
        # Scenario events (demand ramps, seeded skills, departures) wait for the clock to
        # start at week 0, after any burn-in.
        self._events_on = False
        self._stale_per_week = demand.obsolescence_per_week(sc)
        self.workforce = initial_workforce(sc, self.streams.init, self.streams.traits)
        self._level_slots = promotion.slots_by_level(self.workforce.level, sc.n_levels)
        self._impressions = promotion.Impressions.empty(self.workforce.n_slots)
        costs = sc.costs  # positions never change level: their hourly wage is fixed
        self._wage_by_level = np.asarray(costs.wage_per_hour_by_level)
        self._wage_of_slot = self._wage_by_level[self.workforce.level]
        self._replacement_cost_by_level = np.asarray(costs.salary_per_year_by_level) * np.asarray(
            costs.rel_replacement_cost_by_level
        )
        self._hire_skill = hiring.mean_starting_skill(sc, sc.learning.rel_hire_skill, current=True)
        self.ancestors = ancestors(self.workforce.manager, sc.n_levels)
        self.org = Organisation(self.workforce, sc, self.usage_by_level, self.ancestors)
        self.network = self._initial_network()
        self._departure_ids = self._named_departures()
        # The positions a seeded skill goes to, in order of preference (the same in every
        # arm): the first k occupied ones at the event's week.
        self._seed_order = [
            self.streams.seeds.permutation(self.workforce.n_slots) for _ in sc.skill_seeds
        ]
        self._advice = _NO_ADVICE
        self._tie_rules = advice.tie_rules(sc.informal, sc.n_levels)
        # This week's informal draws: one array, drawn into again each week.
        self._draws = np.empty((0, advice.N_DRAWS))
        self.programmes: list[ProgrammeRule] = []
        # Mesa agents are created when someone looks at them (``agents``, ``employee``):
        # the weekly rules never need them, and hiring and quitting stay array operations.
        self._employees: dict[int, Employee] = {}
        self._hired: list[np.ndarray] = []
        self._left: list[np.ndarray] = []
        self._add_agents(self.workforce.employee_id.copy())
        self._reset_records()
        # The schedule advances replicates together (:class:`ReplicateBatch`); alone, a
        # model is a batch of one, whose arrays are its own.
        self._batch = ReplicateBatch([self])
        burn_in = sc.organisation.dur_burn_in_weeks
        if burn_in:
            # Let the organisation settle (turnover, hiring, promotion, practice and
            # forgetting) without any programme, then start the clock at week 0. The same
            # streams are used in every arm, so every arm starts from the same state.
            self.run(burn_in)
            self._restart_after_burn_in(burn_in)
        self._events_on = True
        self._follow_demand()  # a step at week 0 shows in the week-0 measurement
        self._seed_skills()
        # Programmes keep their index in the scenario's table, which names their stream,
        # so a programme draws the same numbers in every arm that runs it.
        order = list(scenario.programmes)
        self.programmes = [
            ProgrammeRule(name, sc.programmes[name], order.index(name), self.org, self.streams)
            for name in sc.arms[arm].programmes
        ]
        self.records: list[dict[str, float]] = [self.measure()]

    def _reset_records(self) -> None:
        """Start the ledger and the records afresh; the current employees are the cohort."""
        # The initial employees hold ids 0 .. n_initial - 1.
        self.ledger = Ledger(n_initial=self.workforce.n_slots)
        self._update_proficiency()
        # Week 0 is measured once the arm's programmes are set up (end of __init__).
        self.records = []

    @property
    def n_initial(self) -> int:
        """Size of the initial cohort (employee ids 0 .. n_initial - 1)."""
        return self.ledger.n_initial

    def _restart_after_burn_in(self, weeks: int) -> None:
        """Renumber the settled workforce as the initial cohort and reset the clock."""
        wf = self.workforce
        for agent in list(self._employees.values()):
            agent.remove()
        self._employees, self._hired, self._left = {}, [], []
        net = self.network
        advice.drop_leavers(net, wf.slot_of_id, wf.team)  # ties name current employees
        net.given[:] = 0  # advice given counts from week 0
        advisers = np.where(net.to >= 0, wf.slot_of_id[np.maximum(net.to, 0)], -1)
        named = [wf.slot_of_id[ids] for ids in self._departure_ids]
        ids = wf.renumber()
        net.to[:] = np.where(advisers >= 0, wf.employee_id[np.maximum(advisers, 0)], -1)
        self._departure_ids = [wf.employee_id[slots[slots >= 0]] for slots in named]
        wf.hired_week -= weeks  # hire weeks count from the new week 0
        self.week = 0
        self._add_agents(ids)
        self._reset_records()

    # --- the schedule -------------------------------------------------------------------

    def step(self) -> None:
        """Advance one week through the documented schedule (:meth:`ReplicateBatch.step`).

        Raises:
            RuntimeError: If the model is one replicate of a larger batch, which advances
                all its replicates together.
        """
        if self._batch.models[0] is not self or len(self._batch.models) > 1:
            raise RuntimeError(
                f"replicate {self.replicate} is advanced with its batch of "
                f"{len(self._batch.models)} replicates: call the batch's step()"
            )
        self._batch.step()

    def run(self, weeks: int | None = None) -> None:
        """Run for ``weeks`` (default: the scenario's horizon)."""
        for _ in range(self.params.horizon_weeks if weeks is None else weeks):
            self.step()

    # --- phases ---------------------------------------------------------------------------

    def _within_hours(self, batches: list[Sessions]) -> list[Sessions]:
        """Keep each employee within their weekly learning hours (:mod:`.hours_cap`).

        Each programme then counts the hours its sessions took (against its budget), and
        the ledger records who learned.
        """
        wf = self.workforce
        cap = self.params.learning.hours_learning_max_per_week
        batches = hours_cap.within_hours(batches, wf.n_slots, cap)
        for prog, b in zip(self.programmes, batches, strict=True):
            prog.hours_spent += float(b.attendee_hours.sum())  # checked against its budget
            self.ledger.learned(wf.employee_id[b.learner])
        return batches

    def _learn(self, batches: list[Sessions]) -> None:
        """Learning from others (phase 3): sessions (:mod:`.session_effects`), then advice."""
        wf = self.workforce
        gains = np.zeros_like(wf.skill)
        people = session_effects.People(
            wf.skill, wf.level, wf.ability, wf.teaching, wf.proactivity, wf.feedback, wf.visibility
        )
        for b in batches:
            session_effects.apply_sessions(
                gains, people, b, self.params.learning, self.usage_by_level
            )
        informal = self._learn_informally(batches)
        n_domains = wf.skill.shape[1]
        self.ledger.learning(
            len(self._advice.seeker),
            2 * len(self._advice.seeker) * self.params.informal.hours_per_advice,
            self._conversations,
            float(informal.sum()) / n_domains,
            float(gains.sum()) / n_domains,
        )
        gains += informal
        learning.apply_gains(wf.skill, gains)

    def _learn_informally(self, batches: list[Sessions]) -> np.ndarray:
        """Advice, managers' feedback and programme ties (:mod:`.advice`); return the gains.

        Gains are computed from the skills at the start of the phase, like the sessions'.
        """
        wf, params = self.workforce, self.params.informal
        gains = np.zeros_like(wf.skill)
        self._conversations = 0
        if not params.enabled:
            return gains
        net, u = self.network, self._draws
        episodes = self._advice  # chosen in phase 1's pass over the ties (advice.tend)
        if len(episodes.seeker):
            learning.focused_gains(  # the session rule, in the one domain asked about
                wf.skill,
                episodes.seeker,
                episodes.adviser,
                episodes.domain,
                np.full(len(episodes.seeker), params.hours_per_advice),
                session_effects.effective_quality(
                    episodes.quality,
                    episodes.seeker,
                    episodes.adviser,
                    wf.ability,
                    wf.teaching,
                    dialogue=True,
                ),
                self.params.learning,
                out=gains,
            )
            advice.after_advice(net, episodes, wf.employee_id, params)
        if params.programme_ties:
            for b in batches:
                advice.programme_contacts(
                    net,
                    b.learner,
                    b.partner,
                    wf.skill,
                    wf.employee_id,
                    wf.level,
                    self._beliefs,
                    params,
                )
        self._conversations = advice.manager_feedback(
            net,
            feedback=wf.feedback,
            employee_id=wf.employee_id,
            manager=wf.manager,
            level=wf.level,
            skill=wf.skill,
            proactivity=wf.proactivity,
            teaching=wf.teaching,
            usage_by_level=self.usage_by_level,
            u=u,
            params=params,
        )
        return gains

    def _update_ties(self) -> None:
        """Decay ties, drop those to leavers, form new ones (phase 1, :mod:`.advice`).

        The same pass chooses this week's advice episodes, which phase 3 then teaches.
        """
        wf, params = self.workforce, self.params.informal
        # Drawn even when informal learning is off, so that switching it does not change
        # how many numbers its stream gives (it changes nothing else).
        self._draws = advice.draw_week(self.streams.informal, wf.n_slots, self._draws)
        self._advice = _NO_ADVICE
        if not params.enabled:
            return
        self._beliefs = advice.level_means(wf.skill, wf.level, wf.occupied, self.params.n_levels)
        # Decay, new ties and who asks whom in one pass over the ties: choosing whom to
        # ask reads only what stays as it is until the advice of phase 3.
        self._advice = advice.tend(
            self.network,
            skill=wf.skill,
            employee_id=wf.employee_id,
            slot_of_id=wf.slot_of_id,
            level=wf.level,
            team=wf.team,
            members=self._members,
            beliefs=self._beliefs,
            usage_by_level=self.usage_by_level,
            u=self._draws,
            proactivity=wf.proactivity,
            rules=self._tie_rules,
        )

    def _initial_network(self) -> AdviceNetwork:
        """Everyone's ties at the start: to their manager and a few teammates."""
        wf, params = self.workforce, self.params.informal
        net = AdviceNetwork.empty(wf.n_slots, params.n_ties_max, wf.skill.shape[1])
        self._members = advice.team_members(wf.team)
        self._beliefs = advice.level_means(wf.skill, wf.level, wf.occupied, self.params.n_levels)
        if params.enabled:
            rng = self.streams.informal_init
            net.team_safety[:] = advice.draw_team_safety(rng, wf.n_slots, params)
            net.coaching[:] = advice.draw_coaching(rng, wf.n_slots, params)
            slots = np.arange(wf.n_slots)
            u = rng.random((wf.n_slots, params.n_team_ties_initial))
            if self.params.organisation.network:
                # The organisation's own advice network replaces the drawn first ties
                # (the roster's rows are the initial positions).
                from sim.scenario.networkdata import load_network

                survey = load_network(self.params)
                advice.seed_ties(
                    net, survey.src, survey.dst, survey.weight, wf.employee_id, wf.level,
                    self._beliefs,
                )  # fmt: skip
                return net
            advice.initial_ties(
                net,
                slots,
                wf.employee_id,
                wf.manager,
                wf.team,
                wf.level,
                self._members,
                self._beliefs,
                u,
                params,
            )
        return net

    def _follow_demand(self) -> None:
        """Set this week's job usage from the skill-demand ramps (:mod:`.demand`).

        Only in weeks where a ramp moves usage: the usage matrix (which the programmes
        and the advice rule read) and the promotion-readiness and proficiency weights
        change in place; hires' mean starting skill is recomputed.
        """
        if not (self._events_on and self._demand.moves_in(self.week)):
            return
        sc = self.params
        usage = self._demand.usage_at(self.week)
        self.usage_by_level[:] = usage
        self.readiness_weights[:] = promotion.readiness_weights(usage)
        self._proficiency_weights[:] = _proficiency_weights(usage)
        self._hire_skill = hiring.mean_starting_skill(
            sc, sc.learning.rel_hire_skill, usage, current=True
        )

    def _engagement_inputs(
        self,
        batches: list[Sessions],
        support: np.ndarray,
        hours: np.ndarray,
        strain: np.ndarray,
        burnout: np.ndarray,
    ) -> None:
        """Add this week's support, hours, strain and burnout per position (phase 5).

        Args:
            batches: This week's sessions.
            support: Engagement from sessions, added to in place.
            hours: Programme hours, added to in place.
            strain: Hours that count toward overload (programme and advice), in place.
            burnout: Engagement guides lose to overload, in place.
        """
        params = self.params.engagement
        for b in batches:
            session_effects.engagement_inputs(support, hours, b, params)
        # Advice takes the time of both sides: overload counts it, the session cost not.
        strain += hours
        advice.add_advice_hours(strain, self._advice, self.params.informal.hours_per_advice)
        # Guides carrying more learners than they tolerate burn out (docs/model.md 7.2.5).
        for prog in self.programmes:
            prog.add_burnout(self.org, burnout)

    def _leave(self, leaving: np.ndarray) -> None:
        """Let the quitters at ``leaving`` and this week's named departures go (phase 6)."""
        wf = self.workforce
        if self.params.departures:
            departing = self._departing()
            if len(departing):
                leaving = np.union1d(leaving, departing).astype(np.int64)
        if not len(leaving):
            self.ledger.left(wf, leaving, self.week + 1, 0.0)
            return
        cost = float(self._replacement_cost_by_level[wf.level[leaving]].sum())
        self.ledger.left(wf, leaving, self.week + 1, cost)
        self._left.append(wf.vacate(leaving))
        self.network.clear(leaving)

    def _seed_skills(self) -> None:
        """Seed this week's new skills (``[[skill_seeds]]``, section 7.14), at the week's start.

        The seeded employees are the first ``k`` occupied positions of a random order
        drawn once per event, so every arm seeds the same positions; the rest of the
        organisation drops to the floor in the domain (``others = "floor"``) or keeps
        what it knows.
        """
        if not self._events_on:
            return
        wf, sc = self.workforce, self.params
        if self.week == 0 and self.records:
            return  # week 0's events ran when the clock started
        for event, order in zip(sc.skill_seeds, self._seed_order, strict=True):
            if event.week != self.week:
                continue
            d = sc.organisation.domains.index(event.domain)
            if event.others == "floor":
                wf.skill[wf.occupied, d] = sc.learning.skill_floor
            seeded = order[wf.occupied[order]][: event.k]
            wf.skill[seeded, d] = event.skill

    def _named_departures(self) -> list[np.ndarray]:
        """Employee ids of the initial workforce that ``who = "ids"`` departures name."""
        from sim.scenario.loading import departure_rows

        out = []
        for i, event in enumerate(self.params.departures):
            if event.who == "ids":  # roster rows are the initial positions and ids
                rows = departure_rows(self.params, i)
                out.append(self.workforce.employee_id[rows])
            else:
                out.append(np.zeros(0, dtype=np.int64))
        return out

    def _departing(self) -> np.ndarray:
        """Positions of the people this week's departures (scenario events) take away."""
        wf = self.workforce
        out = [_NONE]
        for event, ids in zip(self.params.departures, self._departure_ids, strict=True):
            if event.week != self.week or not self._events_on:
                continue
            if event.who == "ids":
                slots = wf.slot_of_id[ids]
                out.append(slots[slots >= 0])
            else:
                d = self.params.organisation.domains.index(event.domain)
                occupied = np.flatnonzero(wf.occupied)
                order = np.argsort(-wf.skill[occupied, d], kind="stable")
                out.append(occupied[order[: event.k]])
        return np.concatenate(out) if len(out) > 1 else _NONE

    def _promote(self, nominated: np.ndarray | None) -> None:
        """This replicate's part of promotion (section 7.8) before the batch ranks everyone.

        Fixes the learner cohort the first week the programmes have relationships, and
        marks whom sponsoring guides nominate (:meth:`ReplicateBatch._promote` ranks and
        moves).

        Args:
            nominated: This replicate's rows of the nominees (all False), marked in place;
                None when there is nobody to nominate for (no vacancy above the entry
                level) or nomination is off.
        """
        wf = self.workforce
        rels = [(p.relationships, p.reciprocal) for p in self.programmes]
        if self.ledger.careers is None:
            self.ledger.learner_cohort(
                wf,
                [ids for r, both in rels for ids in ((r.b, r.a) if both else (r.b,))],
                [ids for r, _ in rels for ids in (r.a, r.b)],
            )
        if nominated is not None:
            promotion.nominees(
                wf.n_slots,
                wf.level,
                wf.slot_of_id,
                [
                    (r.a, r.b, both)
                    for (r, both), p in zip(rels, self.programmes, strict=True)
                    if p.params.sponsorship_per_session
                ],
                out=nominated,
            )

    def _hire(self, slots: np.ndarray) -> tuple[hiring.HireDraws, np.ndarray]:
        """This replicate's hires into the vacant ``slots`` (phase 8), from its own streams.

        Draws the hires' random numbers and their traits' normals, gives them ids and
        their first advice ties; :meth:`ReplicateBatch._hire` makes and starts the hires.

        Returns:
            The hires' draws (:func:`.hiring.hire_draws`) and their traits' standard
            normals (hires, 3).
        """
        wf = self.workforce
        draws = hiring.hire_draws(len(slots), wf.skill.shape[1], self.streams.hiring)
        z = self.streams.traits_hires.standard_normal((len(slots), 3))
        self._add_agents(wf.fill(slots))
        self._network_for_hires(slots)
        return draws, z

    def _network_for_hires(self, slots: np.ndarray) -> None:
        """New hires start with a tie to their manager and a few teammates."""
        params, wf, net = self.params.informal, self.workforce, self.network
        net.clear(slots)
        if not params.enabled:
            return
        rng = self.streams.informal_hires
        net.coaching[slots] = advice.draw_coaching(rng, len(slots), params)
        u = rng.random((len(slots), params.n_team_ties_initial))
        advice.initial_ties(
            net, slots, wf.employee_id, wf.manager, wf.team, wf.level, self._members,
            self._beliefs, u, params,
        )  # fmt: skip

    def _book(self, hours: np.ndarray, batches: list[Sessions]) -> None:
        """Record this week's hours, costs and participants (phase 9, before ageing)."""
        wf = self.workforce
        self.ledger.hours(
            float(hours.sum()),
            float(sum(b.guide_hours.sum() for b in batches)),
            # einsum, not np.dot: BLAS would thread large products and stall when the
            # other core is busy (docs/performance.md).
            float(np.einsum("i,i->", hours, self._wage_of_slot)),
        )
        self.ledger.participation(
            wf, [ids for p in self.programmes for ids in (p.relationships.a, p.relationships.b)]
        )
        self._overheads()

    def _overheads(self) -> None:
        """Record this week's programme overheads (docs/model.md 7.10, costs).

        Coordination and platform fees of the programmes running this week, and the
        training of guides matched for the first time.
        """
        costs, wage = self.params.costs, self._wage_by_level
        cost = 0.0
        for prog in self.programmes:
            levels = prog.new_guide_levels
            if levels:
                trained = np.concatenate(levels)
                cost += costs.hours_training_per_guide * float(wage[trained].sum())
                levels.clear()
            if not prog.running(self.week):
                continue
            cost += costs.hours_coordination_per_week * float(wage[costs.level_coordinator])
            if costs.fee_platform_per_participant_per_year:
                rel = prog.relationships
                n = len(np.unique(np.concatenate([rel.a, rel.b])))
                cost += costs.fee_platform_per_participant_per_year / 52 * n
        if cost:
            self.ledger.overheads(cost)

    def _update_proficiency(self) -> None:
        """Refresh proficiency scores and record hires' time to proficiency."""
        wf, params = self.workforce, self.params.learning
        # Mean skill over the domains each level uses at least half of the time.
        self.proficiency_score, n_newly, weeks = ageing.update_proficiency(
            wf.skill,
            wf.level,
            self._proficiency_weights,
            wf.employee_id,
            wf.tenure_weeks,
            wf.reached_proficiency,
            params.proficiency_threshold,
        )
        self.ledger.proficient(int(n_newly[0]), float(weeks[0]))

    def measure(self) -> dict[str, float]:
        """This week's metrics (:func:`sim.model.metrics.measure` of this replicate alone)."""
        return metrics.measure(
            [self],
            self.workforce,
            self.params,
            week=self.week,
            proficiency_score=self.proficiency_score,
            readiness_weights=self.readiness_weights,
            memo=self._batch.memo,
        )[0]

    def survival_table(self) -> pd.DataFrame:
        """Time to leaving of everyone who worked here (:meth:`Ledger.survival_table`)."""
        return self.ledger.survival_table(self.workforce, self.week)

    # --- agents ---------------------------------------------------------------------------

    def _add_agents(self, ids: np.ndarray) -> None:
        self._hired.append(ids)

    def _sync_agents(self) -> None:
        """Bring the Mesa agents up to date: remove leavers' agents, create hires'."""
        if not (self._hired or self._left):
            return
        for ids in self._left:
            for i in ids.tolist():
                agent = self._employees.pop(i, None)
                if agent is not None:
                    agent.remove()
        slot_of_id = self.workforce.slot_of_id
        for ids in self._hired:
            for i in ids[slot_of_id[ids] >= 0].tolist():
                self._employees[i] = Employee(self, i)
        self._hired, self._left = [], []

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """The current employees as Mesa agents (created on first look, kept up to date)."""
        self._sync_agents()
        return super().agents

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types (here only :class:`Employee`, once there are employees)."""
        self._sync_agents()
        return super().agent_types

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        """Mesa's agents by type (here only :class:`Employee`)."""
        self._sync_agents()
        return super().agents_by_type

    def employee(self, employee_id: int) -> Employee:
        """The agent of a current employee.

        Raises:
            KeyError: If no current employee has this id.
        """
        self._sync_agents()
        return self._employees[employee_id]

    def current_participants(self) -> set[int]:
        """Ids of employees in any programme relationship now."""
        out: set[int] = set()
        for prog in self.programmes:
            out.update(prog.relationships.a.tolist())
            out.update(prog.relationships.b.tolist())
        return out


class ReplicateBatch:
    """Replicates of one arm of one scenario, advanced together through the schedule.

    Replicates of a scenario have the same positions, so their person arrays are laid end
    to end (:func:`sim.model.workforce.stack`): the phases whose rules are applied per
    position (practice and forgetting, engagement, the quit hazard, ageing, proficiency;
    promotion's ranking and moves, hires' traits and rows; the state's metrics) run once
    over all replicates, and the phases that still hold per-replicate state (matching,
    sessions, learning, the advice network; leavers', nominees' and hires' bookkeeping;
    the ledger's part of measurement) run replicate by replicate on their rows. Each
    replicate draws from its own streams in the order it would alone, so every replicate
    gives exactly the numbers it gives as a model of its own (``tests/test_batch.py``); a
    model alone is a batch of one.

    Args:
        models: The replicates, built for the same arm of the same scenario and not yet
            stepped; from now on they advance only through this batch.

    Raises:
        ValueError: If the models differ in arm, parameters, week or positions.
    """

    def __init__(self, models: list[WorkplaceModel]) -> None:
        if not models:
            raise ValueError("a batch needs at least one replicate")
        first = models[0]
        for m in models[1:]:
            if m.arm != first.arm or m.week != first.week or m.params != first.params:
                raise ValueError(
                    "a batch holds replicates of one arm of one scenario at the same week"
                )
        self.models = list(models)
        self.n_slots = first.workforce.n_slots
        if len(models) == 1:
            self.workforce = first.workforce
            self._impressions = first._impressions
        else:
            self.workforce = stack([m.workforce for m in models])
            for m in models:
                m._batch = self
            # Rater impressions are laid end to end like the person arrays.
            self._impressions = promotion.Impressions(
                np.concatenate([m._impressions.value for m in models]),
                np.concatenate([m._impressions.owner for m in models]),
            )
            for r, m in enumerate(models):
                rows = self._rows(r)
                m._impressions = promotion.Impressions(
                    self._impressions.value[rows], self._impressions.owner[rows]
                )
        # Each week's quit draws, one uniform per position of every replicate.
        self._uniforms = np.empty(len(self.workforce.employee_id))
        # Every replicate's proficiency scores, stacked: set by each week's accounting.
        self._proficiency_score = np.empty(0)
        self._starts = np.arange(len(models) + 1) * self.n_slots  # each replicate's first row
        # Positions above the entry level, the only ones promotions fill.
        self._above_entry = self.workforce.level.reshape(len(models), -1) >= 1

    def _rows(self, r: int) -> slice:
        """The rows of replicate ``r`` in the stacked arrays."""
        return slice(r * self.n_slots, (r + 1) * self.n_slots)

    def _parts(self, rows: np.ndarray) -> list[tuple[int, slice]]:
        """The replicates that stacked ``rows`` (grouped by replicate, in order) fall in.

        Returns:
            ``(r, part)`` for each replicate ``r`` with rows in ``rows[part]``.
        """
        if len(self.models) == 1:
            return [(0, slice(0, len(rows)))] if len(rows) else []
        bounds = np.searchsorted(rows // self.n_slots, np.arange(len(self.models) + 1))
        return [
            (r, slice(bounds[r], bounds[r + 1]))
            for r in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist()
        ]

    def step(self) -> None:
        """Advance every replicate one week, in the order documented in docs/model.md.

        First, where a ``[[skill_demand]]`` ramp moves, this week's job usage is set.

        1. Matching: each programme forms and dissolves relationships; advice ties decay,
           ties to leavers are dropped, new ties form.
        2. Sessions: scheduled sessions take place, more often when engagement is high.
        3. Learning from others: learners move toward partners in sessions and toward
           advisers they ask; feedback (programmes and managers), sponsorship; sessions
           make advice ties.
        4. Practice and forgetting: used skills grow toward the plateau, unused decay;
           then what people know goes stale as current practice moves on.
        5. Engagement: drift, support, progress, overload, stagnation.
        6. Turnover: employees quit with a hazard that rises as engagement falls.
        7. Promotion: vacancies are filled from the level below by readiness.
        8. Hiring: the remaining vacancies are filled by less skilled hires.
        9. Accounting: hours, costs, ageing, time to proficiency; then measurement.
        """
        models, wf = self.models, self.workforce
        for m in models:
            m._follow_demand()  # job usage of this week (section 7.14)
            m._seed_skills()
            for prog in m.programmes:  # 1
                prog.match(m.org, m.week)
            m._update_ties()
        batches = [  # 2
            m._within_hours([prog.sessions(m.org, m.week) for prog in m.programmes]) for m in models
        ]
        before = arrays.mean_per_person(wf.skill)
        for m, sessions in zip(models, batches, strict=True):
            m._learn(sessions)  # 3
        self._practise()  # 4
        hours = self._engage(batches, arrays.mean_per_person(wf.skill) - before)  # 5
        self._quit()  # 6
        self._promote()  # 7
        self._hire()  # 8
        self._account(hours, batches)  # 9
        for m in models:
            m.week += 1
        self._measure()

    def run(self, weeks: int) -> None:
        """Advance every replicate ``weeks`` weeks."""
        for _ in range(weeks):
            self.step()

    @cached_property
    def memo(self) -> metrics.Memo:
        """What measurement keeps from week to week for these replicates."""
        return metrics.Memo()

    def _measure(self) -> None:
        """Measurement (end of phase 9): append each replicate's metrics to its records.

        One pass over the stacked workforce measures every replicate
        (:func:`sim.model.metrics.measure`).
        """
        models = self.models
        first = models[0]
        records = metrics.measure(
            models,
            self.workforce,
            first.params,
            week=first.week,
            proficiency_score=self._proficiency_score,  # set by this week's accounting
            readiness_weights=first.readiness_weights,
            memo=self.memo,
        )
        for m, record in zip(models, records, strict=True):
            m.records.append(record)

    def _practise(self) -> None:
        wf, sc = self.workforce, self.models[0].params
        params = sc.learning
        first = self.models[0]  # job usage is the same in every replicate of an arm
        practice.practise(
            wf.skill, first.usage_by_level, wf.level, wf.feedback, wf.ability, wf.plateau_offset,
            params,
        )  # fmt: skip
        if first._stale_per_week.any():
            # Then what people know ages as current practice moves on (section 7.14).
            demand.go_stale(wf.skill, first._stale_per_week, params.skill_floor)
        stocks.decay_stock(wf.feedback, params.dur_feedback_half_life_weeks)
        stocks.decay_stock(wf.visibility, sc.promotion.dur_visibility_half_life_weeks)

    def _engage(self, batches: list[list[Sessions]], progress: np.ndarray) -> np.ndarray:
        """Engagement (phase 5); return the programme hours per position."""
        wf = self.workforce
        support, hours, strain, burnout = (np.zeros(len(wf.engagement)) for _ in range(4))
        for r, (m, sessions) in enumerate(zip(self.models, batches, strict=True)):
            rows = self._rows(r)
            m._engagement_inputs(sessions, support[rows], hours[rows], strain[rows], burnout[rows])
        engagement_rules.engage(
            wf.engagement,
            wf.baseline,
            support,
            progress,
            strain,
            wf.weeks_in_level,
            self.models[0].params.engagement,
            burnout=burnout if burnout.any() else None,
        )
        return hours

    def _quit(self) -> None:
        """Turnover (phase 6): each replicate draws one uniform per position from its stream."""
        wf, n = self.workforce, self.n_slots
        draws = self._uniforms
        for r, m in enumerate(self.models):
            m.streams.turnover.random(out=draws[self._rows(r)])
        leaving = turnover.leavers(
            wf.engagement, wf.tenure_weeks, wf.employee_id, draws, self.models[0].params.turnover
        )
        if len(self.models) == 1:
            self.models[0]._leave(leaving)
            return
        bounds = np.searchsorted(leaving, self._starts)
        for r, m in enumerate(self.models):
            m._leave(leaving[bounds[r] : bounds[r + 1]] - r * n)

    def _promote(self) -> None:
        """Promotion (phase 7): vacancies filled by assessed readiness (section 7.8).

        Each replicate draws its rater impressions' renewal from its own stream and
        names its nominees (:meth:`WorkplaceModel._promote`); the impressions, the
        ranking and the moves run once over the replicates' stacked rows. Only
        replicates with a vacancy above the entry level can promote anyone.
        """
        models, wf, first = self.models, self.workforce, self.models[0]
        params = first.params.promotion
        error = promotion.rater_error(
            self._impressions, wf.employee_id, [m.streams.promotion for m in models], params
        )
        open_above = ((wf.employee_id < 0).reshape(len(models), -1) & self._above_entry).any(1)
        nominated = None
        if params.nomination and any(p.params.sponsorship_per_session for p in first.programmes):
            nominated = np.zeros(len(wf.employee_id), dtype=np.bool_)
        for r, m in enumerate(models):
            rows = None if nominated is None or not open_above[r] else nominated[self._rows(r)]
            m._promote(rows)
        if not open_above.any():
            return
        src, dst = promotion.promotions(
            first._level_slots,
            wf.employee_id,
            wf.weeks_in_level,
            wf.skill,
            wf.visibility,
            first.readiness_weights,
            params,
            error,
            nominated,
        )
        if len(src):
            self._move(src, dst)

    def _move(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Move the promoted from rows ``src`` to rows ``dst`` of the stacked arrays."""
        models, wf, n = self.models, self.workforce, self.n_slots
        moved = []
        for r, part in self._parts(src):
            m = models[r]
            s, d = src[part] - r * n, dst[part] - r * n
            m.ledger.promoted(m.workforce.employee_id[s], m.workforce.level[s], m.week)
            m.network.move(s, d)  # each replicate's ties are its own
            moved.append((m, d))
        wf.move_rows(src, dst)
        for m, d in moved:
            m.workforce.register(d)
        self._impressions.move(src, dst)
        boost = models[0].params.engagement.promotion_boost
        wf.engagement[dst] = np.minimum(wf.engagement[dst] + boost, 1.0)

    def _hire(self) -> None:
        """Hiring (phase 8): every vacancy left is filled by a hire (section 7.9).

        Each replicate draws its hires from its own streams (:meth:`WorkplaceModel._hire`);
        their traits, the shift of their starting skill and their rows are set once for
        all replicates.
        """
        models, wf, n = self.models, self.workforce, self.n_slots
        vacancies = np.flatnonzero(wf.employee_id < 0)
        if not len(vacancies):
            return
        drawn = [models[r]._hire(vacancies[part] - r * n) for r, part in self._parts(vacancies)]
        first = models[0]
        sc = first.params
        if len(drawn) == 1:
            draws, z = drawn[0]
        else:
            draws = hiring.HireDraws.concatenate([d for d, _ in drawn])
            z = np.concatenate([z for _, z in drawn])
        people = traits.traits_of(z, sc.people)
        hires = hiring.starting_state(
            wf.level[vacancies], sc, draws, first._hire_skill, people, first.usage_by_level
        )
        start_hires(wf, vacancies, first.week + 1, hires, people)

    def _account(self, hours: np.ndarray, batches: list[list[Sessions]]) -> None:
        """Accounting (phase 9): hours and costs, ageing, time to proficiency."""
        wf, models = self.workforce, self.models
        for r, (m, sessions) in enumerate(zip(models, batches, strict=True)):
            m._book(hours[self._rows(r)], sessions)
        # This week's hires (hired_week = next week) start the next week at tenure 0.
        week = models[0].week
        ageing.age_one_week(wf.hired_week, week, wf.tenure_weeks, wf.weeks_in_level)
        score, n_newly, weeks = ageing.update_proficiency(
            wf.skill,
            wf.level,
            models[0]._proficiency_weights,
            wf.employee_id,
            wf.tenure_weeks,
            wf.reached_proficiency,
            models[0].params.learning.proficiency_threshold,
            n_replicates=len(models),
        )
        for r, m in enumerate(models):
            m.proficiency_score = score[self._rows(r)]
            m.ledger.proficient(int(n_newly[r]), float(weeks[r]))
        self._proficiency_score = score  # every replicate's, for this week's measurement
