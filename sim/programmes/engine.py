"""The programme rule engine: one implementation of matching and sessions for every design.

A design (see :mod:`sim.designs`) is a setting of the components this engine reads:

* **eligibility and uptake**: learner and guide levels, tenure window, opt-in
  (``p_enrol``, ``p_volunteer``; random or engagement-dependent);
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

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from sim.learning import absorption
from sim.programmes.base import Relationships, Sessions
from sim.scenario import Programme

if TYPE_CHECKING:
    from sim.model import WorkplaceModel

#: Largest learners x places problem solved exactly; larger ones use a greedy matching.
ASSIGNMENT_LIMIT = 250_000
#: Mean similarity of two random employees: 1 - E|u - v| / sqrt(2) for u, v uniform in the
#: unit square, where E|u - v| = (2 + sqrt(2) + 5 ln(1 + sqrt(2))) / 15.
MEAN_SIMILARITY = 1.0 - (2 + np.sqrt(2) + 5 * np.log(1 + np.sqrt(2))) / 15 / np.sqrt(2)
_NEVER = np.iinfo(np.int64).max


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


def similarity(values_a: np.ndarray, values_b: np.ndarray) -> np.ndarray:
    """Similarity in [0, 1] of personal values (1 = identical)."""
    dim = values_a.shape[-1]
    return 1.0 - np.linalg.norm(values_a - values_b, axis=-1) / np.sqrt(dim)


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
        model: The model it runs in.
    """

    def __init__(self, name: str, params: Programme, index: int, model: WorkplaceModel) -> None:
        self.name = name
        self.params = params
        self.kind = params.kind
        # Weekly per-position draws (attendance, challenges) and matching draws come from
        # separate streams, so the former stay aligned across arms whatever matching does.
        self.rng_weekly = model.streams.programme(index, 0)
        self.rng = model.streams.programme(index, 1)
        self.relationships = Relationships()
        sc = model.params
        domains = sc.organisation.domains
        nonfocus = sc.learning.rel_nonfocus
        self.nonfocus = nonfocus
        chosen = params.focus_domains
        self.focus_fixed = np.array(
            [1.0 if (not chosen or d in chosen) else nonfocus for d in domains]
        )
        self.guide_practice = np.array([d in params.guide_practice_domains for d in domains], float)
        self.hours_spent = 0.0
        self.next_group = 0
        # Per employee id: when they may be matched again, and their roles so far.
        self.free_from = np.zeros(0, dtype=np.int64)
        self.was_learner = np.zeros(0, dtype=bool)
        self.was_guide = np.zeros(0, dtype=bool)
        self.last_guide = np.zeros(0, dtype=np.int64)  # per learner id, -1 if none
        # Every relationship formed: (week, ids of a, ids of b, need domain or -1).
        self.formed: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

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

    def match(self, model: WorkplaceModel, week: int) -> None:
        """End finished relationships and form new ones (phase 1)."""
        wf, p, rel = model.workforce, self.params, self.relationships
        n_ids = wf.n_ids
        self.free_from = _grow(self.free_from, n_ids, 0)
        self.was_learner = _grow(self.was_learner, n_ids, False)
        self.was_guide = _grow(self.was_guide, n_ids, False)
        self.last_guide = _grow(self.last_guide, n_ids, -1)
        ended = rel.end <= week
        if ended.any():
            done = np.concatenate([rel.b[ended], rel.a[ended] if p.direction == "both" else []])
            self.free_from[done.astype(np.int64)] = week + p.dur_between_weeks
        rel.prune(wf.slot_of_id, week)
        challenge = self._challenges(model) if p.trigger == "challenge" else None
        if not self.running(week):
            rel.keep(np.zeros(len(rel), dtype=bool))
            return
        waiting = self._waiting_learners(model, week)
        need = None
        if challenge is not None:
            waiting &= challenge >= 0
            need = challenge
        elif p.focus == "need":
            usage = model.usage_by_level[wf.level]
            need = need_domain(wf.skill, usage, model.params.learning.proficiency_threshold)
        if not waiting.any():
            return
        if p.topology == "group":
            self._form_groups(model, week, np.flatnonzero(waiting))
        elif p.direction == "both" and not p.guide_levels:
            self._pair_peers(model, week, np.flatnonzero(waiting))
        else:
            self._pair_with_guides(model, week, np.flatnonzero(waiting), need)

    def _challenges(self, model: WorkplaceModel) -> np.ndarray:
        """This week's work challenges that bite: the domain per position, or -1."""
        wf, p = model.workforce, self.params
        n = wf.n_slots
        hit = self.rng_weekly.random(n) < p.p_challenge_per_week
        pick = self.rng_weekly.random(n)
        usage = model.usage_by_level[wf.level]
        cum = np.cumsum(usage, axis=1)
        domain = (pick[:, None] * cum[:, -1:] > cum).sum(axis=1)
        domain = np.minimum(domain, usage.shape[1] - 1)
        bites = wf.skill[np.arange(n), domain] < model.params.learning.proficiency_threshold
        return np.where(hit & bites & wf.occupied, domain, -1)

    def _waiting_learners(self, model: WorkplaceModel, week: int) -> np.ndarray:
        """Mask of eligible, enrolled learners who are not in a relationship now."""
        wf, p, rel = model.workforce, self.params, self.relationships
        share = np.full(wf.n_slots, p.p_enrol)
        if p.uptake == "engaged":
            share = p.p_enrol * wf.engagement / model.params.engagement.mean_baseline
        ok = wf.occupied & np.isin(wf.level, p.learner_levels) & (wf.propensity[:, 0] < share)
        ok &= (wf.tenure_weeks >= p.dur_tenure_min_weeks) & (
            wf.tenure_weeks <= p.dur_tenure_max_weeks
        )
        ids = np.maximum(wf.employee_id, 0)
        ok &= self.free_from[ids] <= week
        busy = rel.b if p.direction != "both" else rel.members()
        ok[wf.slot_of_id[busy]] = False
        return ok

    def _guides(self, model: WorkplaceModel) -> np.ndarray:
        """Free mentoring places: guide positions repeated by their remaining capacity."""
        wf, p, rel = model.workforce, self.params, self.relationships
        load = np.zeros(wf.n_slots, dtype=np.int64)
        np.add.at(load, wf.slot_of_id[rel.a], 1)
        ok = wf.occupied & (wf.propensity[:, 1] < p.p_volunteer)
        if p.guide_levels:
            ok &= np.isin(wf.level, p.guide_levels)
        free = np.maximum(p.n_learners_per_guide_max - load, 0) * ok
        return np.repeat(np.arange(wf.n_slots), free)

    def _level_ok(
        self, model: WorkplaceModel, learners: np.ndarray, guides: np.ndarray
    ) -> np.ndarray:
        """Whether each learner-guide combination respects direction and level distance."""
        p, level = self.params, model.workforce.level
        gap = level[guides][None, :].astype(np.int64) - level[learners][:, None]
        if p.direction == "up":
            gap = -gap
        elif p.direction == "both":
            gap = np.abs(gap)
        return (gap >= p.level_gap_min) & (gap <= p.level_gap_max)

    def _pair_allowed(self, model: WorkplaceModel, learner: Any, guide: np.ndarray) -> np.ndarray:
        """Nobody guides themselves; with ``new_partner_each_time``, nor the last guide.

        ``learner`` and ``guide`` are positions and broadcast against each other.
        """
        ok = np.asarray(guide != learner)
        if self.params.new_partner_each_time:
            ids = model.workforce.employee_id
            ok &= ids[guide] != self.last_guide[ids[learner]]
        return ok

    def _focus_rows(self, model: WorkplaceModel, guide: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Learning weights per relationship: fixed focus, the need, or the guide's job."""
        p = self.params
        if p.mode == "observation":
            return model.usage_by_level[model.workforce.level[guide]]
        if p.focus == "need" or p.trigger == "challenge":
            rows = np.tile(self.focus_fixed, (len(need), 1))
            has = need >= 0  # relationships without a recorded need keep the fixed focus
            rows[has] = self.nonfocus
            rows[np.flatnonzero(has), need[has]] = 1.0
            return rows
        return np.broadcast_to(self.focus_fixed, (len(guide), len(self.focus_fixed)))

    def _expected_gain(
        self, model: WorkplaceModel, learner: int, places: np.ndarray, need: np.ndarray | None
    ) -> np.ndarray:
        """Expected learning of one learner from each candidate guide (algorithmic score)."""
        wf, sc, p = model.workforce, model.params, self.params
        gap = np.maximum(wf.skill[places] - wf.skill[learner], 0.0)
        nd = np.full(len(places), -1 if need is None else need[learner])
        focus = self._focus_rows(model, places, nd)
        gain = (focus * gap * absorption(gap, sc.learning.gap_absorption)).sum(axis=1)
        sim = similarity(wf.values[learner], wf.values[places])
        quality = p.quality_initial_mean + p.rel_similarity_quality * (sim - MEAN_SIMILARITY)
        distance = np.abs(wf.level[places].astype(np.int64) - wf.level[learner])
        return gain * np.clip(quality, 0.05, 1.0) * (1.0 - p.power_distance) ** distance

    def _score(
        self, model: WorkplaceModel, learner: int, places: np.ndarray, need: np.ndarray | None
    ) -> np.ndarray:
        """Score of each candidate for one learner under the matching policy (higher wins)."""
        wf, p = model.workforce, self.params
        policy = p.matching
        if policy == "manager":
            # The nearest manager first (direct manager 1, theirs 1/2, ...), then a
            # colleague in the same team (1/(depth + 2)); nobody outside the line.
            chain = model.ancestors[learner]
            hit = chain[:, None] == places[None, :]
            depth = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
            score = np.full(len(places), -np.inf)
            score[depth >= 0] = 1.0 / (depth[depth >= 0] + 1.0)
            team = (wf.team[places] == wf.team[learner]) & (depth < 0)
            return np.where(team, 1.0 / (len(chain) + 2.0), score)
        if policy == "similarity":
            return similarity(wf.values[learner], wf.values[places])
        if policy == "strongest":
            return wf.skill[places] @ self.focus_fixed
        if policy in ("expert", "need") and need is not None:
            d = need[learner]
            if policy == "expert":
                return wf.skill[places, d]
            gap = np.maximum(wf.skill[places, d] - wf.skill[learner, d], 0.0)
            return gap * absorption(gap, model.params.learning.gap_absorption)
        return self._expected_gain(model, learner, places, need)

    def _pair_with_guides(
        self, model: WorkplaceModel, week: int, learners: np.ndarray, need: np.ndarray | None
    ) -> None:
        p = self.params
        places = self._guides(model)
        if len(places) == 0 or len(learners) == 0:
            return
        learners = self.rng.permutation(learners)
        if p.matching == "random":
            guide, learner = self._match_random(model, learners, places)
        elif p.matching == "algorithmic" and len(learners) * len(places) <= ASSIGNMENT_LIMIT:
            guide, learner = self._match_assignment(model, learners, places, need)
        else:
            guide, learner = self._match_greedy(model, learners, places, need)
        if len(learner) == 0:
            return
        need_of = np.full(len(learner), -1) if need is None else need[learner]
        self._add(model, week, guide, learner, need=need_of)

    def _match_random(
        self, model: WorkplaceModel, learners: np.ndarray, places: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random free place for each learner, levels with the fewest options first."""
        level = model.workforce.level
        places = self.rng.permutation(places)
        free = np.ones(len(places), dtype=bool)
        guides, chosen = [], []
        for lv in sorted(set(level[learners].tolist()), reverse=self.params.direction != "up"):
            mine = learners[level[learners] == lv]
            valid = free & self._level_ok(model, mine[:1], places)[0]
            idx = np.flatnonzero(valid)[: len(mine)]
            pair_ok = self._pair_allowed(model, mine[: len(idx)], places[idx])
            idx = idx[pair_ok]
            free[idx] = False
            guides.append(places[idx])
            chosen.append(mine[: len(pair_ok)][pair_ok])
        return np.concatenate(guides), np.concatenate(chosen)

    def _match_greedy(
        self,
        model: WorkplaceModel,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each learner in random order takes the best-scoring free place."""
        ok = self._level_ok(model, learners, places)
        free = np.ones(len(places), dtype=bool)
        guides, chosen = [], []
        for i, learner in enumerate(learners):
            cand = np.flatnonzero(free & ok[i])
            cand = cand[self._pair_allowed(model, learner, places[cand])]
            if len(cand) == 0:
                continue
            score = self._score(model, int(learner), places[cand], need)
            best = int(np.argmax(score))
            if not np.isfinite(score[best]):
                continue
            free[cand[best]] = False
            guides.append(places[cand[best]])
            chosen.append(learner)
        return np.array(guides, dtype=np.int64), np.array(chosen, dtype=np.int64)

    def _match_assignment(
        self,
        model: WorkplaceModel,
        learners: np.ndarray,
        places: np.ndarray,
        need: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Assignment that maximises total expected learning under guide capacity."""
        ok = self._level_ok(model, learners, places)
        ok &= self._pair_allowed(model, learners[:, None], places[None, :])
        gain = np.zeros(ok.shape)
        for i, learner in enumerate(learners):
            gain[i] = self._expected_gain(model, int(learner), places, need)
        cost = np.where(ok, -gain, 1.0)  # an invalid pair costs more than leaving one free
        rows, cols = linear_sum_assignment(cost)
        keep = ok[rows, cols]
        return places[cols[keep]], learners[rows[keep]]

    def _pair_peers(self, model: WorkplaceModel, week: int, learners: np.ndarray) -> None:
        """Pair waiting peers with each other (reciprocal, no guide side)."""
        wf, p = model.workforce, self.params
        learners = self.rng.permutation(learners)
        if p.matching == "random":
            pools = (
                [learners[wf.level[learners] == lv] for lv in np.unique(wf.level[learners])]
                if p.level_gap_max == 0
                else [learners[np.argsort(wf.level[learners], kind="stable")]]
            )
            pa, pb = [], []
            for pool in pools:
                a, b = pool[0:-1:2], pool[1::2]
                gap = np.abs(wf.level[a].astype(np.int64) - wf.level[b])
                good = (gap >= p.level_gap_min) & (gap <= p.level_gap_max)
                pa.append(a[good])
                pb.append(b[good])
            a, b = np.concatenate(pa), np.concatenate(pb)
        else:
            ok = self._level_ok(model, learners, learners)
            free = np.ones(len(learners), dtype=bool)
            pa, pb = [], []
            for i, learner in enumerate(learners):
                if not free[i]:
                    continue
                free[i] = False
                cand = np.flatnonzero(free & ok[i])
                if len(cand) == 0:
                    free[i] = True
                    continue
                score = self._score(model, int(learner), learners[cand], None)
                best = int(np.argmax(score))
                if not np.isfinite(score[best]):
                    free[i] = True
                    continue
                free[cand[best]] = False
                pa.append(learner)
                pb.append(learners[cand[best]])
            a, b = np.array(pa, dtype=np.int64), np.array(pb, dtype=np.int64)
        if len(a):
            self._add(model, week, a, b)

    def _form_groups(self, model: WorkplaceModel, week: int, learners: np.ndarray) -> None:
        """Form groups of ``n_group_size`` from waiting learners."""
        wf, p = model.workforce, self.params
        k = p.n_group_size
        learners = self.rng.permutation(learners)
        pools = (
            [learners[wf.level[learners] == lv] for lv in np.unique(wf.level[learners])]
            if p.level_gap_max == 0
            else [learners]
        )
        ia, ib = np.triu_indices(k, k=1)
        a_parts, b_parts, g_parts = [], [], []
        for pool in pools:
            n_groups = len(pool) // k
            if n_groups == 0:
                continue
            pool = pool[: n_groups * k]  # a random remainder waits (the pool is shuffled)
            if p.matching == "complementary":
                # Deal members sorted by their strongest domain round-robin, so each group
                # mixes different strengths.
                pool = pool[np.argsort(wf.skill[pool].argmax(axis=1), kind="stable")]
                groups = pool.reshape(k, n_groups).T
            else:
                pool = pool[np.argsort(wf.level[pool], kind="stable")]
                groups = pool.reshape(n_groups, k)
            levels = wf.level[groups]
            # Too wide a span of levels: those members wait.
            groups = groups[(levels.max(axis=1) - levels.min(axis=1)) <= p.level_gap_max]
            ids = self.next_group + np.arange(len(groups))
            self.next_group += len(groups)
            a_parts.append(groups[:, ia].ravel())
            b_parts.append(groups[:, ib].ravel())
            g_parts.append(np.repeat(ids, len(ia)))
        if a_parts:
            a, b = np.concatenate(a_parts), np.concatenate(b_parts)
            self._add(model, week, a, b, group=np.concatenate(g_parts))

    def _add(
        self,
        model: WorkplaceModel,
        week: int,
        a: np.ndarray,
        b: np.ndarray,
        group: np.ndarray | None = None,
        need: np.ndarray | None = None,
    ) -> None:
        """Record new relationships between positions ``a`` (guide) and ``b`` (learner)."""
        wf, p = model.workforce, self.params
        sim = similarity(wf.values[a], wf.values[b])
        noise = self.rng.normal(0.0, p.quality_initial_sd, len(a))
        fit = p.rel_similarity_quality * (sim - MEAN_SIMILARITY)
        quality = p.quality_initial_mean + fit + noise
        ida, idb = wf.employee_id[a], wf.employee_id[b]
        need = np.full(len(a), -1, dtype=np.int64) if need is None else need.astype(np.int64)
        end = week + p.dur_relationship_weeks
        self.relationships.add(ida, idb, np.clip(quality, 0.05, 1.0), week, end, group, need)
        self.formed.append((week, ida, idb, need))
        if p.direction == "both":
            self.was_learner[ida] = True
        else:
            self.was_guide[ida] = True
        self.was_learner[idb] = True
        self.last_guide[idb] = ida

    # --- phase 2: sessions ----------------------------------------------------------------

    def sessions(self, model: WorkplaceModel, week: int) -> Sessions:
        """The sessions that take place this week (phase 2).

        A scheduled relationship meets every ``cadence_weeks`` from its start. Each member
        attends with probability structure + (1 - structure) * engagement * fade, where
        fade halves the unstructured part every ``dur_accountability_half_life_weeks``
        of the relationship; a session takes place when both members (or, in a group,
        the pair of members) attend. One uniform draw per position per week.
        """
        wf, p, rel = model.workforce, self.params, self.relationships
        u = self.rng_weekly.random(wf.n_slots)
        if not len(rel) or not self.running(week):
            return Sessions.none(len(self.focus_fixed))
        a, b = wf.slot_of_id[rel.a], wf.slot_of_id[rel.b]
        age = week - rel.start
        fade = 2.0 ** (-age / p.dur_accountability_half_life_weeks)
        s = p.structure
        attend_a = u[a] < s + (1.0 - s) * wf.engagement[a] * fade
        attend_b = u[b] < s + (1.0 - s) * wf.engagement[b] * fade
        met = (age % p.cadence_weeks == 0) & attend_a & attend_b
        q = rel.quality
        q[met] += p.rate_quality_per_session * (1.0 - q[met])
        a, b, need = a[met], b[met], rel.need[met]
        distance = np.abs(wf.level[a].astype(np.int64) - wf.level[b])
        quality = q[met] * (1.0 - p.power_distance) ** distance
        hours = np.full(len(a), p.hours_per_session)
        learn_hours = hours * p.rel_learning
        if p.topology == "group":
            learn_hours = learn_hours / (p.n_group_size - 1)
        focus = self._focus_rows(model, a, need)
        share = np.full(len(a), 1.0 / (p.n_group_size - 1) if p.topology == "group" else 1.0)
        # A pair's session is one event: if one member cannot attend (weekly hours cap),
        # neither does the other. Group members attend on their own (-1).
        sid = np.arange(len(a)) if p.topology == "pair" else np.full(len(a), -1)
        if p.direction == "both":
            learner, partner = np.concatenate([b, a]), np.concatenate([a, b])
            learn_hours = np.concatenate([learn_hours, learn_hours])
            quality = np.concatenate([quality, quality])
            focus = np.concatenate([focus, focus])
            share = np.concatenate([share, share])
            edge_sid = np.concatenate([sid, sid])
            empty = np.empty(0, dtype=np.int64)
            guide, guide_quality, guide_hours = empty, np.empty(0), np.empty(0)
        else:
            learner, partner = b, a
            guide, guide_quality, guide_hours = a, quality, hours * p.rel_guide_time
            edge_sid = sid
        if p.topology == "group":
            attendee = np.unique(np.concatenate([a, b]))
            attendee_hours = np.full(len(attendee), p.hours_per_session)
            attendee_sid = np.full(len(attendee), -1)
        else:
            attendee = np.concatenate([b, a])
            attendee_sid = np.concatenate([sid, sid])
            guide_side = hours if p.direction == "both" else hours * p.rel_guide_time
            attendee_hours = np.concatenate([hours, guide_side])
        return Sessions(
            learner=learner,
            partner=partner,
            hours=learn_hours,
            quality=quality,
            focus=np.asarray(focus, dtype=float),
            share=share,
            edge_session=edge_sid,
            guide_session=sid if len(guide) else np.empty(0, dtype=np.int64),
            attendee_session=attendee_sid,
            guide=guide,
            guide_quality=guide_quality,
            guide_hours=guide_hours,
            attendee=attendee,
            attendee_hours=attendee_hours,
            feedback_per_session=p.feedback_per_hour * p.hours_per_session,
            sponsorship_per_session=p.sponsorship_per_session,
            guide_visibility_per_session=p.guide_visibility_per_session,
            rate_guide_practice_per_hour=p.rate_guide_practice_per_hour,
            guide_practice=self.guide_practice,
            rel_support=p.rel_support,
        )
