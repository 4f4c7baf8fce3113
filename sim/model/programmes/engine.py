"""The programme rule engine: one implementation of matching and sessions for every design.

A design (see :mod:`sim.scenario.designs`) is a setting of the components this engine reads:

* **eligibility and uptake**: learner and guide levels, tenure window, opt-in
  (``p_enrol``, ``p_volunteer``; random or engagement-dependent) and the headcount caps
  (``n_learners``, ``n_guides``: at most that many at once, former participants first,
  see :meth:`ProgrammeRule._cap`);
* **topology and direction**: pairs or groups; a guide above (``down``), below (``up``)
  or partners teaching each other (``both``), within a level distance window;
* **matching policy**: random, manager (reporting line), similarity, algorithmic,
  strongest, expert, need, complementary; guide capacity;
* **trigger and time**: scheduled sessions at a cadence, or sessions set up by work
  challenges; session length; relationship length and the wait before the next;
  programme start, duration and hours budget;
* **content**: structure (attendance), fading accountability, fixed or need focus,
  dialogue or observation, feedback, sponsorship, guide practice and visibility,
  power distance, similarity and relationship quality.

Every random decision draws from the programme's own streams. The weekly stream draws a
fixed amount every week (attendance: one number per position; challenges: two), so it
stays aligned across arms; the matching stream's draws depend on who is waiting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from sim.model.programmes import kernels, rules
from sim.model.programmes.relationships import Relationships
from sim.model.programmes.sessions import SessionArrays, Sessions
from sim.model.streams import Streams
from sim.model.submodels.learning import absorption
from sim.model.workforce import Organisation
from sim.scenario import hrterms
from sim.scenario.schema import Programme

#: Largest learners x places problem solved exactly; larger ones use a greedy matching.
ASSIGNMENT_LIMIT = 250_000
_NEVER = np.iinfo(np.int64).max
_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float64)


def need_domain(skill: np.ndarray, usage: np.ndarray, threshold: float) -> np.ndarray:
    """The domain each employee most needs: the most used one furthest below proficiency.

    Where an employee is proficient in every used domain, the need is the used domain
    with most room to grow.

    Args:
        skill: Skill (employees, domains).
        usage: Job usage (employees, domains).
        threshold: Proficiency threshold.

    Returns:
        Domain index per employee.
    """
    shortfall = usage * np.maximum(threshold - skill, 0.0)
    room = usage * (1.0 - skill)
    return np.where(shortfall.max(axis=1) > 0, shortfall.argmax(axis=1), room.argmax(axis=1))


def _grow(arr: np.ndarray, n: int, fill: float | bool | int) -> np.ndarray:
    if len(arr) >= n:
        return arr
    out = np.full(max(n, 2 * len(arr)), fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class ProgrammeRule:
    """A running programme: its relationships and its weekly matching and sessions.

    Args:
        name: Name of the programme in the scenario.
        params: Its validated parameters.
        index: Position of the programme in the scenario's table, which names its random
            stream, so the same programme draws the same numbers in every arm.
        org: The organisation it runs in (its workforce, parameters and fixed structures).
        streams: The run's random streams.
    """

    def __init__(
        self, name: str, params: Programme, index: int, org: Organisation, streams: Streams
    ) -> None:
        self.name = name
        self.params = params
        self.kind = params.kind
        self.direction = rules.DIRECTIONS[params.direction]
        self.reciprocal = rules.reciprocal(params.direction)
        # Weekly per-position draws (attendance, challenges) and matching draws come from
        # separate streams, so the former stay aligned across arms whatever matching does.
        self.rng_weekly = streams.programme(index, 0)
        self.rng = streams.programme(index, 1)
        # Early endings draw one number per position per week from a third stream, so
        # they neither shift the other two nor drift out of line across arms.
        self.rng_endings = streams.programme(index, 2)
        self.relationships = Relationships()
        sc = org.params
        domains = sc.organisation.domains
        nonfocus = sc.learning.rel_nonfocus
        self.nonfocus = nonfocus
        chosen = params.focus_domains
        self.focus_fixed = np.array(
            [1.0 if (not chosen or d in chosen) else nonfocus for d in domains]
        )
        self.guide_practice = np.array([d in params.guide_practice_domains for d in domains], float)
        # Positions keep their level, so who may learn or guide is fixed per position.
        level = org.workforce.level
        self.learner_slot = np.isin(level, params.learner_levels).astype(np.uint8)
        guides = np.isin(level, params.guide_levels) if params.guide_levels else level >= 0
        self.guide_slot = guides.astype(np.uint8)
        # Powers come from tables computed with numpy (the kernels compute no powers):
        # psychological safety per level of distance, fading accountability per week of age.
        self.safety = rules.safety_table(params.power_distance, sc.n_levels)
        self.fade = np.empty(0)
        uptake = kernels.Uptake(
            engaged=params.uptake == "engaged",
            p_enrol=float(params.p_enrol),
            mean_baseline=float(sc.engagement.mean_baseline),
            tenure_min=float(params.dur_tenure_min_weeks),
            tenure_max=float(params.dur_tenure_max_weeks),
            reciprocal=self.reciprocal,
            p_volunteer=float(params.p_volunteer),
            capacity=int(params.n_learners_per_guide_max),
        )
        group = params.topology == "group"
        observation = params.mode == "observation"
        # Shadowing is spread over the weeks it occupies: the learner watches the guide's
        # work for hours_per_session / cadence_weeks every week (quality grows per week as
        # it would per session), rather than in one long session every cadence_weeks.
        spread = params.cadence_weeks if observation else 1
        hours = params.hours_per_session / spread
        rate_quality = 1.0 - (1.0 - params.rate_quality_per_session) ** (1.0 / spread)
        learn_hours = hours * params.rel_learning
        if group:  # a group session's learning is shared among the other members
            learn_hours = learn_hours / (params.n_group_size - 1)
        # Feedback on practice needs someone who has seen the learner before: only the
        # sessions that follow up an earlier one in the same relationship give it, a
        # share 1 - cadence / length of the relationship's sessions (none in one-off
        # relationships, none in observation, where nobody watches the learner's work).
        follow_up = max(0.0, 1.0 - params.cadence_weeks / params.dur_relationship_weeks)
        self.feedback_hours = 0.0 if observation else params.hours_per_session * follow_up
        self.rate_guide_practice_per_hour = sc.learning.rate_guide_practice_per_hour
        self.meetings = kernels.Meetings(
            cadence=int(params.cadence_weeks // spread),
            structure=float(params.structure),
            rate_quality=float(rate_quality),
            pair=not group,
            reciprocal=self.reciprocal,
            hours=float(hours),
            learn_hours=float(learn_hours),
            share=1.0 / (params.n_group_size - 1) if group else 1.0,
            guide_hours=float(hours * params.rel_guide_time),
        )
        fails = params.relationship_failure
        self.drift = kernels.Drift(
            rel_goal_mismatch=float(params.rel_quality_goal_mismatch) if fails else 0.0,
            rel_power_distance=float(params.rel_quality_power_distance) if fails else 0.0,
            rel_disengagement=float(params.rel_quality_disengagement) if fails else 0.0,
            engagement_reference=float(sc.engagement.mean_baseline),
            miss=float(params.rate_quality_loss_per_missed_session) if fails else 0.0,
        )
        endings = kernels.Endings(
            groups=group,
            reciprocal=self.reciprocal,
            p_end=float(params.p_end_early_per_week) if fails else 0.0,
            quality_threshold=float(params.quality_end_threshold),
            engagement_threshold=float(params.engagement_end_threshold),
        )
        self.start = kernels.Start.of(endings, uptake)
        # Burnout: guides of one-way pairs carrying more learners than they tolerate.
        guides_burn = fails and not group and not self.reciprocal
        self.burnout_per_learner = float(params.burnout_per_extra_learner) if guides_burn else 0.0
        self.v = np.empty(0)  # this week's early-ending draws
        self.n_ended_early = 0  # pairs ended early and group members who left early
        self.n_formed = 0  # pairs formed and members of groups formed
        self.located_week = -1  # week in which the relationships' positions were looked up
        self.u = np.empty(0)  # this week's attendance draws
        self._fixed_rows = np.broadcast_to(self.focus_fixed, (0, len(self.focus_fixed)))
        self.hours_spent = 0.0
        self.has_guides = hrterms.has_guides(params)  # pairs with a guide side
        self.fits_as_guide = np.isin(
            np.arange(sc.n_levels), hrterms.guide_levels(params, sc.n_levels)
        )
        self.new_guide_levels: list[np.ndarray] = []  # levels of first-time guides, to price
        self.next_group = 0
        # Per employee id: when they may be matched again, and their roles so far.
        self.free_from = np.zeros(0, dtype=np.int64)
        self.was_learner = np.zeros(0, dtype=bool)
        self.was_guide = np.zeros(0, dtype=bool)
        self.last_guide = np.zeros(0, dtype=np.int64)  # per learner id, -1 if none
        # Every relationship formed: (week, ids of a, ids of b, need domain or -1).
        self.formed: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        # The week's batches: none, or the sessions with the programme's constants.
        self._no_sessions = Sessions.none(len(domains))
        self._batch = Sessions(
            SessionArrays.empty(),
            np.empty((0, len(domains))),
            feedback_hours=self.feedback_hours,
            sponsorship_per_session=params.sponsorship_per_session,
            guide_visibility_per_session=params.guide_visibility_per_session,
            rate_guide_practice_per_hour=self.rate_guide_practice_per_hour,
            guide_practice=self.guide_practice,
            observation=observation,
            mirrored=self.reciprocal,
        )
        self._load_kernels(org)

    def _load_kernels(self, org: Organisation) -> None:
        """Load (or compile) the kernels now, so the first week does not pay for it.

        Runs each weekly step that calls a kernel with nothing to do (no relationships,
        nobody waiting, no random numbers drawn), so every kernel is loaded for the
        argument types of its weekly call, which only the weekly steps spell out.
        """
        none = _EMPTY_INT
        self._grow_id_arrays(org.workforce.n_ids)
        self._start_week(org, -1, None, True, True, draw=False)  # nobody is free before 0
        self._random_guides(org, none, none)
        self._level_ok(org, none, none)  # the score-based matching's rules
        kernels.greedy_pairs(np.zeros((0, 0)), np.zeros((0, 0), bool), np.ones(0, bool), False, 0)
        self._expected_gain(org, 0, none, None)
        self._random_peers(org, none)
        self._groups(org, none)
        self._form(org, 0, none, none, _EMPTY_FLOAT, none, none)
        self._meet(org, 0)
        Sessions.none(len(self.focus_fixed)).restricted(np.ones(org.workforce.n_slots, bool))

    # --- schedule -------------------------------------------------------------------------

    def running(self, week: int) -> bool:
        """Whether the programme runs this week (start, duration and budget)."""
        p = self.params
        if week < p.start_week:
            return False
        if p.dur_programme_weeks and week >= p.start_week + p.dur_programme_weeks:
            return False
        return not (p.hours_budget and self.hours_spent >= p.hours_budget)

    # --- phase 1: matching ------------------------------------------------------------------

    def match(self, org: Organisation, week: int) -> None:
        """End finished relationships and form new ones (phase 1)."""
        wf, p, rel = org.workforce, self.params, self.relationships
        self._grow_id_arrays(wf.n_ids)
        # Challenges draw from the weekly stream, endings from their own: the order of
        # the two does not matter, and the endings read nothing the challenges change.
        challenge = self._challenges(org) if p.trigger == "challenge" else None
        running = self.running(week)
        with_guides = self.has_guides
        learners, places = self._start_week(org, week, challenge, running, with_guides)
        self.located_week = week
        if not running:
            rel.truncate(0)
            return
        if p.n_learners and len(learners):
            rel_ids = rel.b if with_guides else np.concatenate([rel.a, rel.b])
            learners = self._cap(org, learners, rel_ids, p.n_learners, self.was_learner)
        if len(learners) == 0:
            return
        if p.n_guides and with_guides and len(places):
            # Only volunteers who could guide one of the learner levels are recruited.
            places = places[self.fits_as_guide[wf.level[places]]]
            places = self._cap(org, places, rel.a, p.n_guides, self.was_guide)
        need = None
        if challenge is not None:
            need = challenge
        elif p.focus == "need":
            usage = org.usage_by_level[wf.level]
            need = need_domain(wf.skill, usage, org.params.learning.proficiency_threshold)
        if p.topology == "group":
            self._form_groups(org, week, learners)
        elif not with_guides:
            self._pair_peers(org, week, learners)
        else:
            self._pair_with_guides(org, week, learners, places, need)

    def _cap(
        self,
        org: Organisation,
        candidates: np.ndarray,
        taking_part: np.ndarray,
        cap: int,
        before: np.ndarray,
    ) -> np.ndarray:
        """The candidates a headcount cap lets in (the headcount rule; no draws below the cap).

        At most ``cap`` people take part at once on one side (learners, or guides). When
        more candidates wait than there are free places, those who took part before on
        that side come first (a cohort stays together through rotations and re-matching),
        then the others in random order (the matching stream). Places of a guide repeat
        their position: a guide is one person however many places they offer.

        Args:
            org: The organisation.
            candidates: Positions of the waiting learners, or the guides' places, ascending.
            taking_part: Employee ids on that side of the current relationships.
            cap: Most people on that side at once.
            before: Per employee id, whether they took part on that side before.

        Returns:
            The positions let in, ascending (places of a guide let in all kept).
        """
        ids = org.workforce.employee_id[candidates]
        current = np.unique(taking_part)
        inside = np.isin(ids, current)
        new = np.unique(ids[~inside])
        room = cap - len(current)
        if len(new) <= room:
            return candidates
        order = self.rng.permutation(len(new))
        order = order[np.argsort(~before[new[order]], kind="stable")]
        admitted = new[order[: max(room, 0)]]
        return candidates[inside | np.isin(ids, admitted)]

    def _grow_id_arrays(self, n_ids: int) -> None:
        """Make room in the per-id arrays for ``n_ids`` employee ids."""
        if len(self.free_from) < n_ids:
            self.free_from = _grow(self.free_from, n_ids, 0)
            self.was_learner = _grow(self.was_learner, n_ids, False)
            self.was_guide = _grow(self.was_guide, n_ids, False)
            self.last_guide = _grow(self.last_guide, n_ids, -1)

    def _start_week(
        self,
        org: Organisation,
        week: int,
        challenge: np.ndarray | None,
        waiting: bool,
        with_guides: bool,
        draw: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """End relationships, look up positions, and find who waits (:func:`kernels.start_week`).

        Relationships end when their term is over, when they fail or when a member left.
        When they can end early (``p_end_early_per_week`` above 0), one uniform per
        position is drawn every week from the endings stream (whether or not the
        programme runs) and :func:`kernels.early_endings` decides which end. Learners of
        ended relationships, early or at their term (both members, when reciprocal), may
        be matched again after the wait.

        Then, when ``waiting``, the eligible, enrolled learners who are not in a
        relationship now; with a challenge trigger, only those a challenge hit this
        week. When ``with_guides`` and anyone waits, the free mentoring places are the
        volunteers' positions repeated by their remaining capacity. Without ``draw``
        nothing is drawn (for :meth:`_load_kernels`).

        Returns:
            Positions of the waiting learners and the places, both ascending (empty
            unless ``waiting``).
        """
        wf, rel = org.workforce, self.relationships
        if self.start.p_end > 0.0:
            if len(self.v) != wf.n_slots:
                self.v = np.zeros(wf.n_slots)
            if draw:
                self.rng_endings.random(out=self.v)  # the same draws as random(n_slots)
        kept, n_early, learners, places = kernels.start_week(
            rel.columns(),
            wf.slot_of_id,
            self.v,
            wf.engagement,
            week,
            self.free_from,
            week + self.params.dur_between_weeks,
            wf.employee_id,
            self.learner_slot,
            self.guide_slot,
            wf.propensity,
            wf.tenure_weeks,
            _EMPTY_INT if challenge is None else challenge,
            waiting,
            with_guides,
            *self.start,
        )
        self.n_ended_early += n_early
        rel.truncate(kept)
        return learners, places

    def add_burnout(self, org: Organisation, out: np.ndarray) -> None:
        """Add this week's burnout of overloaded guides to ``out`` (engagement per position).

        A guide of a one-way pair programme who carries more learners than
        ``n_learners_tolerated_per_guide`` loses ``burnout_per_extra_learner`` of
        engagement a week for each learner above it (section 7.2.5 of docs/model.md).
        """
        rel = self.relationships
        if not self.burnout_per_learner or not len(rel):
            return
        # Positions were looked up in this week's matching (phase 1); nobody has moved.
        tolerated = self.params.n_learners_tolerated_per_guide
        kernels.add_burnout(rel.pos_a, tolerated, self.burnout_per_learner, out)

    def _challenges(self, org: Organisation) -> np.ndarray:
        """This week's work challenges that bite: the domain per position, or -1."""
        wf, p = org.workforce, self.params
        n = wf.n_slots
        hit = self.rng_weekly.random(n) < p.p_challenge_per_week
        pick = self.rng_weekly.random(n)
        usage = org.usage_by_level[wf.level]
        cum = np.cumsum(usage, axis=1)
        domain = (pick[:, None] * cum[:, -1:] > cum).sum(axis=1)
        domain = np.minimum(domain, usage.shape[1] - 1)
        bites = wf.skill[np.arange(n), domain] < org.params.learning.proficiency_threshold
        return np.where(hit & bites & wf.occupied, domain, -1)

    def _level_ok(self, org: Organisation, learners: np.ndarray, guides: np.ndarray) -> np.ndarray:
        """Whether each learner-guide combination respects direction and level distance."""
        p, level = self.params, org.workforce.level
        guide_level = level[guides].astype(np.int64)[None, :]  # broadcast to (learners, guides)
        learner_level = level[learners].astype(np.int64)[:, None]
        return rules.in_level_window(
            guide_level, learner_level, self.direction, p.level_gap_min, p.level_gap_max
        )

    def _pair_allowed(self, org: Organisation, learner: Any, guide: np.ndarray) -> np.ndarray:
        """Nobody guides themselves; with ``new_partner_each_time``, nor the last guide.

        ``learner`` and ``guide`` are positions and broadcast against each other.
        """
        ok = np.asarray(guide != learner)
        if self.params.new_partner_each_time:
            ids = org.workforce.employee_id
            ok &= ids[guide] != self.last_guide[ids[learner]]
        return ok

    def _focus_rows(
        self, org: Organisation, guide: np.ndarray, need: np.ndarray, copies: int = 1
    ) -> np.ndarray:
        """Learning weights per relationship: fixed focus, the need, or the guide's job.

        With ``copies``, all the rows are repeated that many times (for the directed
        sessions of reciprocal pairs). The fixed focus is a read-only view of one row.
        """
        p = self.params
        if p.mode == "observation" or p.focus == "need" or p.trigger == "challenge":
            if p.mode == "observation":
                rows = org.usage_by_level[org.workforce.level[guide]]
            else:
                rows = np.tile(self.focus_fixed, (len(need), 1))
                has = need >= 0  # relationships without a recorded need keep the fixed focus
                rows[has] = self.nonfocus
                rows[np.flatnonzero(has), need[has]] = 1.0
            return np.concatenate([rows] * copies) if copies > 1 else rows
        n = copies * len(guide)
        if len(self._fixed_rows) < n:
            size = max(n, 2 * len(self._fixed_rows))
            self._fixed_rows = np.broadcast_to(self.focus_fixed, (size, len(self.focus_fixed)))
        return self._fixed_rows[:n]

    def _expected_gain(
        self, org: Organisation, learner: int, places: np.ndarray, need: np.ndarray | None
    ) -> np.ndarray:
        """Expected learning of one learner from each candidate guide (algorithmic score)."""
        wf, sc, p = org.workforce, org.params, self.params
        gap = np.maximum(wf.skill[places] - wf.skill[learner], 0.0)
        nd = np.full(len(places), -1 if need is None else need[learner])
        focus = self._focus_rows(org, places, nd)
        gain = (focus * gap * absorption(gap, sc.learning.gap_absorption)).sum(axis=1)
        sim = rules.similarity(wf.values, np.full(len(places), learner), places)
        quality = rules.starting_quality(
            sim, 0.0, p.quality_initial_mean, p.rel_similarity_quality, rules.MEAN_SIMILARITY
        )
        level = wf.level[places].astype(np.int64)
        safety = rules.psychological_safety(level, np.int64(wf.level[learner]), self.safety)
        return gain * quality * safety

    def _scored_by_gain(self, need: np.ndarray | None) -> bool:
        """Whether the matching policy scores by expected learning (:meth:`_expected_gain`).

        The algorithmic policy does, and so do ``expert`` and ``need`` when no need is
        known; the other policies' scores are one number per combination.
        """
        policy = self.params.matching
        if policy in ("expert", "need"):
            return need is None
        return policy not in ("manager", "similarity", "strongest")

    def _scores(
        self,
        org: Organisation,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
        ok: np.ndarray | None = None,
    ) -> np.ndarray:
        """Score of each candidate for each learner under the matching policy (higher wins).

        Each score depends only on its learner and candidate, so a table of every
        combination holds the same numbers as any of its parts computed alone. One table
        a week costs a few numpy calls where scoring learner by learner cost a few for
        each learner.

        Args:
            org: The organisation.
            learners: Positions of the learners.
            places: Positions of the candidates (guides' places, or peers).
            need: Domain each position most needs, if the programme knows it.
            ok: The combinations that may pair (learners, candidates), if known: expected
                learning and similarity are computed only for those (the others are
                left 0 or -inf).

        Returns:
            Scores (learners, candidates); -inf for a candidate the policy rules out.
        """
        wf, p = org.workforce, self.params
        policy = p.matching
        shape = (len(learners), len(places))
        if self._scored_by_gain(need):
            gain = np.zeros(shape)
            for i, learner in enumerate(learners):
                if ok is None:
                    gain[i] = self._expected_gain(org, int(learner), places, need)
                else:
                    gain[i, ok[i]] = self._expected_gain(org, int(learner), places[ok[i]], need)
            return gain
        if policy == "manager":
            # The nearest manager first (direct manager 1, theirs 1/2, ...), then a
            # colleague in the same team (1/(depth + 2)); nobody outside the line.
            chain = org.ancestors[learners]  # (learners, depth)
            depth = np.full(shape, -1)
            for k in reversed(range(chain.shape[1])):  # the nearest manager last, so kept
                depth[chain[:, k, None] == places[None, :]] = k
            score = np.full(shape, -np.inf)
            score[depth >= 0] = 1.0 / (depth[depth >= 0] + 1.0)
            team = (wf.team[places][None, :] == wf.team[learners][:, None]) & (depth < 0)
            return np.where(team, 1.0 / (chain.shape[1] + 2.0), score)
        if policy == "similarity":
            if ok is None:
                a, b = np.repeat(learners, len(places)), np.tile(places, len(learners))
                return rules.similarity(wf.values, a, b).reshape(shape)
            rows, cols = np.nonzero(ok)
            score = np.full(shape, -np.inf)
            score[rows, cols] = rules.similarity(wf.values, learners[rows], places[cols])
            return score
        if policy == "strongest":
            strength = np.einsum("nd,d->n", wf.skill[places], self.focus_fixed)  # no BLAS threads
            return np.tile(strength, (len(learners), 1))
        assert need is not None  # expert or need with a need (else scored by gain)
        d = need[learners][:, None]
        if policy == "expert":
            return wf.skill[places[None, :], d]
        gap = np.maximum(wf.skill[places[None, :], d] - wf.skill[learners[:, None], d], 0.0)
        return gap * absorption(gap, org.params.learning.gap_absorption)

    def _pair_with_guides(
        self,
        org: Organisation,
        week: int,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
    ) -> None:
        """Match waiting learners to free guide places under the matching policy."""
        p = self.params
        if len(places) == 0 or len(learners) == 0:
            return
        self.rng.shuffle(learners)  # the same draws as permutation, no copy
        if p.matching == "random":
            guide, learner = self._match_random(org, learners, places)
        elif p.matching == "algorithmic" and len(learners) * len(places) <= ASSIGNMENT_LIMIT:
            guide, learner = self._match_assignment(org, learners, places, need)
        else:
            guide, learner = self._match_greedy(org, learners, places, need)
        if len(learner) == 0:
            return
        self._add(org, week, guide, learner, need=None if need is None else need[learner])

    def _match_random(
        self, org: Organisation, learners: np.ndarray, places: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random free place for each learner, levels with the fewest options first.

        ``places`` is shuffled in place (the same draws as ``rng.permutation``, no copy).
        """
        self.rng.shuffle(places)
        return self._random_guides(org, learners, places)

    def _random_guides(
        self, org: Organisation, learners: np.ndarray, places: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of :meth:`_match_random` for shuffled learners and places."""
        wf, p = org.workforce, self.params
        return kernels.pair_guides(
            learners,
            places,
            wf.level,
            wf.employee_id,
            self.last_guide,
            self.direction,
            p.level_gap_min,
            p.level_gap_max,
            p.new_partner_each_time,
        )

    def _match_greedy(
        self,
        org: Organisation,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each learner in random order takes the best-scoring free place.

        Greedy matching (:func:`kernels.greedy_pairs`) over the scores of every learner
        and place (:meth:`_scores`), among the places in the learner's level window
        that the learner may take (:meth:`_pair_allowed`).
        """
        ok = self._level_ok(org, learners, places)
        ok &= self._pair_allowed(org, learners[:, None], places[None, :])
        rows, cols = self._greedy(org, learners, places, ok, need, peers=False)
        return places[cols], learners[rows]

    def _greedy(
        self,
        org: Organisation,
        learners: np.ndarray,
        candidates: np.ndarray,
        ok: np.ndarray,
        need: np.ndarray | None,
        peers: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Greedy matching (:func:`kernels.greedy_pairs`) on :meth:`_scores`, block by block.

        The learners are scored and matched in blocks of rows, so that the table of
        scores stays within ``ASSIGNMENT_LIMIT`` entries however large the organisation;
        the free candidates carry over from block to block, so the pairs are those of
        one pass. A learner with no candidate to take (guides' places only) changes
        nothing and is not scored.

        Args:
            org: The organisation.
            learners: Positions of the learners, in the order they choose.
            candidates: Positions of the guides' places or, with ``peers``, the learners.
            ok: Which learner may take which candidate (learners, candidates).
            need: Domain each position most needs, if the programme knows it.
            peers: Whether the candidates are the learners themselves.

        Returns:
            The indices into ``learners`` and into ``candidates`` of the pairs formed.
        """
        free = np.ones(len(candidates), dtype=bool)
        rows = np.arange(len(learners)) if peers else np.flatnonzero(ok.any(axis=1))
        step = max(1, ASSIGNMENT_LIMIT // max(len(candidates), 1))
        got_rows, got_cols = [_EMPTY_INT], [_EMPTY_INT]
        for start in range(0, len(rows), step):
            block = rows[start : start + step]  # with peers, learners start, start + 1, ...
            ok_block = ok[block]
            score = self._scores(org, learners[block], candidates, need, ok_block)
            r, c = kernels.greedy_pairs(score, ok_block, free, peers, start)
            got_rows.append(block[r])
            got_cols.append(c)
        return np.concatenate(got_rows), np.concatenate(got_cols)

    def _match_assignment(
        self,
        org: Organisation,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Assignment that maximises total expected learning under guide capacity."""
        ok = self._level_ok(org, learners, places)
        ok &= self._pair_allowed(org, learners[:, None], places[None, :])
        gain = self._scores(org, learners, places, need, ok)  # the algorithmic policy's
        cost = np.where(ok, -gain, 1.0)  # an invalid pair costs more than leaving one free
        rows, cols = linear_sum_assignment(cost)
        keep = ok[rows, cols]
        return places[cols[keep]], learners[rows[keep]]

    def _pair_peers(self, org: Organisation, week: int, learners: np.ndarray) -> None:
        """Pair waiting peers with each other (reciprocal, no guide side)."""
        p = self.params
        if len(learners) < 2:  # nobody to pair with (and shuffling one draws nothing)
            return
        self.rng.shuffle(learners)  # the same draws as permutation, no copy
        if p.matching == "random":
            a, b = self._random_peers(org, learners)
        else:
            ok = self._level_ok(org, learners, learners)
            rows, cols = self._greedy(org, learners, learners, ok, None, peers=True)
            a, b = learners[rows], learners[cols]
        if len(a):
            self._add(org, week, a, b)

    def _random_peers(
        self, org: Organisation, learners: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random peer pairs of shuffled learners (:func:`kernels.pair_peers`).

        A pool per level when partners share a level, else all ordered by level.
        """
        p = self.params
        by_level = p.level_gap_max == 0
        return kernels.pair_peers(
            learners, org.workforce.level, by_level, p.level_gap_min, p.level_gap_max
        )

    def _form_groups(self, org: Organisation, week: int, learners: np.ndarray) -> None:
        """Form groups of ``n_group_size`` from waiting learners."""
        k = self.params.n_group_size
        self.rng.shuffle(learners)  # the same draws as permutation, no copy
        a, b, group = self._groups(org, learners)
        self.next_group += len(group) // (k * (k - 1) // 2)  # every two members of a group
        if len(a):  # no groups (all spanning too many levels): nothing to record
            self._add(org, week, a, b, group=group)

    def _groups(
        self, org: Organisation, learners: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The groups of :meth:`_form_groups` from shuffled learners, as relationships."""
        wf, p = org.workforce, self.params
        return kernels.form_groups(
            learners,
            wf.level,
            wf.skill,
            p.n_group_size,
            p.level_gap_max == 0,
            p.level_gap_max,
            p.matching == "complementary",
            self.next_group,
        )

    def _add(
        self,
        org: Organisation,
        week: int,
        a: np.ndarray,
        b: np.ndarray,
        group: np.ndarray | None = None,
        need: np.ndarray | None = None,
    ) -> None:
        """Record new relationships between positions ``a`` (guide) and ``b`` (learner)."""
        p = self.params
        if self.has_guides:  # guides matched for the first time (their training is priced)
            fresh = a[~self.was_guide[org.workforce.employee_id[a]]]
            if len(fresh) > 1:  # none or one: already unique (and np.unique costs a call)
                fresh = np.unique(fresh)
            self.new_guide_levels.append(org.workforce.level[fresh])
        noise = self.rng.normal(0.0, p.quality_initial_sd, len(a))
        need = np.full(len(a), -1, dtype=np.int64) if need is None else need.astype(np.int64)
        ida, idb = self._form(org, week, a, b, noise, _EMPTY_INT if group is None else group, need)
        # Pairs count one each; a group counts its members, who leave it one by one.
        self.n_formed += len(a) if group is None else len(np.unique(group)) * p.n_group_size
        self.formed.append((week, ida, idb, need))

    def _form(
        self,
        org: Organisation,
        week: int,
        a: np.ndarray,
        b: np.ndarray,
        noise: np.ndarray,
        group: np.ndarray,
        need: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add relationships formed this week to the table and record roles; their ids.

        Starting quality and goal alignment come from :func:`kernels.new_relationships`
        (with ``noise``), written into the table by :func:`kernels.form_relationships`;
        an empty ``group`` means pairs.
        """
        wf, p, rel = org.workforce, self.params, self.relationships
        store, n = rel.room(len(a))
        ida, idb = kernels.form_relationships(
            store,
            n,
            a,
            b,
            noise,
            wf.values,
            wf.employee_id,
            p.quality_initial_mean,
            p.rel_similarity_quality,
            rules.MEAN_SIMILARITY,
            self.was_learner,
            self.was_guide,
            self.last_guide,
            self.reciprocal,
            week,
            week + p.dur_relationship_weeks,
            group,
            need,
        )
        rel.grew(len(a))
        return ida, idb

    # --- phase 2: sessions ----------------------------------------------------------------

    def sessions(self, org: Organisation, week: int) -> Sessions:
        """The sessions that take place this week (phase 2).

        A scheduled relationship meets every ``cadence_weeks`` from its start. Each member
        attends with probability structure + (1 - structure) * engagement * fade, where
        fade halves the unstructured part every ``dur_accountability_half_life_weeks``
        of the relationship; a session takes place when both members (or, in a group,
        the pair of members) attend. One uniform draw per position per week.
        """
        wf, rel = org.workforce, self.relationships
        if len(self.u) != wf.n_slots:
            self.u = np.empty(wf.n_slots)
        self.rng_weekly.random(out=self.u)  # the same draws as random(n_slots)
        if not len(rel) or not self.running(week):
            return self._no_sessions
        if self.located_week != week:  # no matching this week: positions may have changed
            rel.locate(wf.slot_of_id)
            self.located_week = week
        need, arrays = self._meet(org, week)
        guides = arrays.partner[: len(need)]  # each meeting's a
        focus = self._focus_rows(org, guides, need, 2 if self.reciprocal else 1)
        return self._batch.with_entries(arrays, focus)

    def _meet(self, org: Organisation, week: int) -> tuple[np.ndarray, SessionArrays]:
        """Which relationships meet this week (with ``self.u``), and their batch's entries.

        A pair's session is one event: if one member cannot attend (weekly hours cap),
        neither does the other. Group members attend on their own (session -1).
        """
        wf = org.workforce
        return kernels.meet(
            self.relationships.columns(),
            self.u,
            wf.engagement,
            wf.level,
            week,
            self._fade(week),
            self.safety,
            *(self.drift + self.meetings),  # one tuple: the settings in order
        )

    def _fade(self, week: int) -> np.ndarray:
        """Fade of accountability per week of a relationship's age, for ages 0 .. week."""
        if len(self.fade) <= week:
            ages = np.arange(max(week + 1, 2 * len(self.fade), 64))
            self.fade = 2.0 ** (-ages / self.params.dur_accountability_half_life_weeks)
        return self.fade
