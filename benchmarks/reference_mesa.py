"""wlsim's core rules as a plain, per-agent Mesa 3.5 model: the speed baseline and an oracle.

This is how a typical Mesa user would write the model: an ``Employee`` agent with
plain Python attributes (skill as a list of floats, engagement, stocks, tenure),
partners stored as agent references, programmes as small helper objects with Python
loops, the organisation as a head count per level, ``self.random`` for every draw, and
a ``DataCollector`` for the weekly metrics. Each employee does its own work in
``Employee.step()`` (read the partners it met, compute this week's gains) and
``Employee.advance()`` (apply them, practise and forget, update engagement, decide
whether to quit), called with Mesa's simultaneous activation
(``agents.do("step")`` then ``agents.do("advance")``).

It reads every parameter from a wlsim :class:`~sim.scenario.schema.Scenario` (the arm's view,
overrides applied), so the two implementations cannot drift apart in their
parameters, but it shares no code with ``sim/``: every equation of docs/model.md
(sections 5 and 7) is written again here, so that ``tests/test_reference.py`` can
check wlsim against it statistically. It does not reproduce wlsim's random streams
(it draws from Mesa's ``model.random`` in its own order), only its dynamics.

Covered (the core rules):

* the organisation: level counts by largest remainder; incumbents' skill at the
  practice-forgetting equilibrium plus expertise; tenure, time in level, baselines,
  propensities and values (ODD section 5);
* programmes with ``matching = "random"`` and a fixed focus, in the three topologies of
  the hybrid: one-way pairs with a guide (``mentorship``: ``direction = "down"`` or
  ``"up"``), reciprocal peer pairs (``peer_coaching``) and groups of peers
  (``group_circles``), with enrolment, capacity, the level window, relationship terms,
  the running window and budget, attendance with structure and fading accountability,
  quality growth, power distance, and the weekly learning-hours cap (7.1-7.2);
* learning in sessions, guide practice, feedback, sponsorship and visibility (7.3-7.4);
* practice and forgetting (7.5); engagement (7.6); turnover (7.7);
* promotion (readiness, the top-down cascade; 7.8) and hiring (7.9);
* ageing and proficiency (7.11).

Not covered (the constructor raises ``NotImplementedError``): other matching policies,
need focus, the challenge trigger, observation mode, ``new_partner_each_time``,
reciprocal pairs with ``guide_levels`` and groups spanning several levels. Costs,
the reporting tree and the analysis-only records are left out; they do not feed back
into the dynamics.

Metrics (``model.records``, one dict per week, week 0 first, as in wlsim):
``mean_skill``, ``share_proficient``, ``mean_engagement``, ``retention_initial``,
``cumulative_quits``, ``session_hours``, ``promotions``, ``headcount`` and
``mean_skill_<domain>`` for each domain, defined as in wlsim (docs/model.md, 7.12).

Usage::

    from benchmarks.reference_mesa import ReferenceModel
    model = ReferenceModel(scenario, "both", seed=1)
    model.run(52)
    model.records[-1]["mean_skill"]
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Any

import mesa

from sim.scenario.loading import arm_scenario
from sim.scenario.schema import Programme, Scenario

#: The metrics the reference measures (all of them are also wlsim metrics).
METRICS = (
    "mean_skill",
    "share_proficient",
    "mean_engagement",
    "retention_initial",
    "cumulative_quits",
    "session_hours",
    "promotions",
    "headcount",
)

# Mean similarity of the values of two random employees (values uniform in the unit
# square): 1 - E|u - v| / sqrt(2), with E|u - v| = (2 + sqrt(2) + 5 ln(1 + sqrt(2))) / 15.
MEAN_SIMILARITY = 1.0 - (2 + math.sqrt(2) + 5 * math.log(1 + math.sqrt(2))) / 15 / math.sqrt(2)


def clip(x: float, low: float = 0.0, high: float = 1.0) -> float:
    """``x`` limited to [low, high]."""
    return low if x < low else high if x > high else x


class Relationship:
    """A programme relationship: ``a`` is the guide (or first peer), ``b`` the learner."""

    __slots__ = ("a", "b", "end", "group", "quality", "start")

    def __init__(self, a: Employee, b: Employee, quality: float, start: int, end: int, group: int):
        self.a, self.b = a, b
        self.quality = quality
        self.start, self.end = start, end
        self.group = group


class Employee(mesa.Agent):
    """An employee: all state as plain attributes; partners are agent references."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, level: int, hire_week: int | None = None) -> None:
        super().__init__(model)
        sc, rnd = model.sc, self.random
        org = sc.organisation
        self.level = level
        self.employed = True
        rel_skill = 1.0 if hire_week is None else sc.learning.rel_hire_skill
        if hire_week is None:  # an incumbent (ODD section 5)
            self.tenure = rnd.expovariate(1.0 / org.dur_tenure_initial_mean_weeks)
            self.weeks_in_level = self.tenure * rnd.random()
            self.hired_week = -math.ceil(self.tenure)
        else:  # a hire (section 7.9): starts next week at tenure 0
            self.tenure = 0.0
            self.weeks_in_level = 0.0
            self.hired_week = hire_week
        floor = sc.learning.skill_floor
        self.skill = [
            clip(floor + rel_skill * (m - floor) + rnd.gauss(0.0, org.sd_skill_initial))
            for m in model.incumbent_skill[level]
        ]
        self.baseline = clip(
            rnd.gauss(sc.engagement.mean_baseline, sc.engagement.sd_baseline), 0.05, 0.95
        )
        self.engagement = self.baseline
        self.feedback = 0.0
        self.visibility = 0.0
        self.p_learn, self.p_guide = rnd.random(), rnd.random()  # enrolment propensities
        self.values = (rnd.random(), rnd.random())
        self.initial = hire_week is None
        self.reached_proficiency = hire_week is None
        self.proficiency = self.proficiency_score()
        self.clear_week()

    # --- the week ---------------------------------------------------------------------------

    def clear_week(self) -> None:
        """Forget last week's sessions."""
        self.attend_draw: dict[str, float] = {}  # one uniform per programme per week
        self.learns_from: list[tuple[Employee, float, float, list[float], float, str]] = []
        self.guides: list[tuple[float, float, str]] = []  # (quality, hours, programme)
        self.hours = 0.0
        self.gains = [0.0] * len(self.skill)

    def attends(self, programme: ProgrammeRunner, rel: Relationship, week: int) -> bool:
        """Whether this employee comes to a scheduled session of ``rel`` (section 7.2.1)."""
        p = programme.params
        u = self.attend_draw.get(programme.name)
        if u is None:
            u = self.attend_draw[programme.name] = self.random.random()
        fade = 2.0 ** (-(week - rel.start) / p.dur_accountability_half_life_weeks)
        return u < p.structure + (1.0 - p.structure) * self.engagement * fade

    def step(self) -> None:
        """Phase 3, read-only: this week's gains from the partners met (start-of-phase skills)."""
        lp = self.model.sc.learning
        for partner, hours, quality, focus, _, _ in self.learns_from:
            for d, (mine, theirs) in enumerate(zip(self.skill, partner.skill, strict=True)):
                gap = theirs - mine
                if gap > 0.0:
                    absorb = math.exp(-gap / lp.gap_absorption)
                    share = min(1.0, lp.rate_session_per_hour * hours * quality * focus[d] * absorb)
                    self.gains[d] += share * gap
        for _, hours, name in self.guides:  # guiding exercises the guide's own skills
            prog = self.model.programme[name]
            rate = min(prog.params.rate_guide_practice_per_hour * hours, 1.0)
            if rate > 0.0:
                for d in prog.guide_practice_domains:
                    self.gains[d] += rate * max(1.0 - self.skill[d], 0.0)

    def advance(self) -> None:
        """Phases 3 (apply), 4, 5 and 6 for this employee: own state only."""
        model, sc = self.model, self.model.sc
        lp, ep, tp = sc.learning, sc.engagement, sc.turnover
        before = sum(self.skill) / len(self.skill)
        self.skill = [clip(s + g) for s, g in zip(self.skill, self.gains, strict=True)]
        self.add_stocks()
        # Practice and forgetting (7.5), with this week's feedback.
        transfer = lp.transfer_base + (1.0 - lp.transfer_base) * self.feedback
        plateau = (
            lp.skill_plateau + (1.0 - lp.skill_plateau) * lp.rel_feedback_plateau * self.feedback
        )
        usage = model.usage[self.level]
        for d, s in enumerate(self.skill):
            u = usage[d]
            practice = lp.rate_practice_per_week * u * transfer * max(plateau - s, 0.0)
            forgetting = (1.0 - u) * model.skill_decay * max(s - lp.skill_floor, 0.0)
            self.skill[d] = clip(s + practice - forgetting)
        self.feedback *= model.feedback_decay
        self.visibility *= model.visibility_decay
        # Engagement (7.6).
        progress = sum(self.skill) / len(self.skill) - before
        support = sum(
            ep.support_per_session * model.programme[name].params.rel_support * quality * share
            for _, _, quality, _, share, name in self.learns_from
        )
        support += sum(ep.support_guide_per_session * quality for quality, _, _ in self.guides)
        change = ep.rate_drift_per_week * (self.baseline - self.engagement)
        change += support + ep.progress_per_skill * max(progress, 0.0)
        change -= ep.overload_per_hour * max(self.hours - ep.hours_tolerated_per_week, 0.0)
        if self.weeks_in_level > ep.dur_stagnation_weeks:
            change -= ep.stagnation_per_week
        self.engagement = clip(self.engagement + change)
        # Turnover (7.7).
        rel = math.exp(tp.rel_hazard_per_engagement * (tp.engagement_reference - self.engagement))
        if self.tenure < tp.dur_new_hire_weeks:
            rel *= tp.rel_hazard_new_hire
        if self.random.random() < min(tp.p_quit_per_week * rel, 1.0):
            self.quit()

    def add_stocks(self) -> None:
        """Feedback and visibility from this week's sessions, programme by programme (7.4)."""
        for name, prog in self.model.programme.items():
            p = prog.params
            feedback = sponsorship = 0.0
            for _, _, quality, _, share, pname in self.learns_from:
                if pname == name:
                    feedback += p.feedback_per_hour * p.hours_per_session * quality * share
                    sponsorship += p.sponsorship_per_session * quality * share
            exposure = sum(
                p.guide_visibility_per_session * quality
                for quality, _, pname in self.guides
                if pname == name
            )
            self.feedback += min(feedback, 1.0) * (1.0 - self.feedback)
            self.visibility += min(sponsorship, 1.0) * (1.0 - self.visibility)
            self.visibility += min(exposure, 1.0) * (1.0 - self.visibility)

    def quit(self) -> None:
        """Leave: the position falls vacant; relationships end at the next matching."""
        self.employed = False
        self.model.quits += 1
        self.model.vacancies[self.level] += 1
        self.remove()

    def end_week(self, week: int) -> None:
        """Phase 9: ageing (not this week's hires) and time to proficiency (7.11)."""
        if self.hired_week <= week:
            self.tenure += 1.0
            self.weeks_in_level += 1.0
        self.proficiency = self.proficiency_score()
        threshold = self.model.sc.learning.proficiency_threshold
        if not self.reached_proficiency and self.proficiency >= threshold:
            self.reached_proficiency = True
        self.clear_week()

    # --- derived quantities -------------------------------------------------------------------

    def proficiency_score(self) -> float:
        """Mean skill over the domains the level uses at least half of the time."""
        used = self.model.used_domains[self.level]
        return sum(self.skill[d] for d in used) / len(used) if used else 0.0

    def readiness(self, level: int) -> float:
        """Readiness for ``level``: skill weighted by its job usage, plus visibility (7.8)."""
        weights = self.model.readiness_weights[level]
        skill = sum(w * s for w, s in zip(weights, self.skill, strict=True))
        return skill + self.model.sc.promotion.weight_visibility * self.visibility

    def similarity(self, other: Employee) -> float:
        """Similarity of personal values in [0, 1]."""
        return 1.0 - math.dist(self.values, other.values) / math.sqrt(len(self.values))


class ProgrammeRunner:
    """One programme of the arm: its relationships, matching (phase 1) and sessions (phase 2)."""

    def __init__(self, name: str, params: Programme, model: ReferenceModel) -> None:
        unsupported = {
            "matching": params.matching != "random",
            "focus": params.focus != "fixed",
            "trigger": params.trigger != "scheduled",
            "mode": params.mode != "dialogue",
            "new_partner_each_time": params.new_partner_each_time,
            "guide_levels with direction both": params.direction == "both"
            and bool(params.guide_levels),
            "groups across levels": params.topology == "group" and params.level_gap_max > 0,
            "peer pairs across levels": params.topology == "pair"
            and params.direction == "both"
            and params.level_gap_max > 0,
        }
        bad = [k for k, v in unsupported.items() if v]
        if bad:
            raise NotImplementedError(f"reference model: programme {name!r} uses {bad}")
        self.name, self.params, self.model = name, params, model
        domains = model.sc.organisation.domains
        nonfocus = model.sc.learning.rel_nonfocus
        chosen = params.focus_domains
        self.focus = [1.0 if (not chosen or d in chosen) else nonfocus for d in domains]
        self.guide_practice_domains = [
            i for i, d in enumerate(domains) if d in params.guide_practice_domains
        ]
        self.relationships: list[Relationship] = []
        self.free_from: dict[Employee, int] = {}
        self.hours_spent = 0.0
        self.next_group = 0

    def running(self, week: int) -> bool:
        """Start week, duration and hours budget (7.1.1)."""
        p = self.params
        if week < p.start_week:
            return False
        if p.dur_programme_weeks and week >= p.start_week + p.dur_programme_weeks:
            return False
        return not (p.hours_budget and self.hours_spent >= p.hours_budget)

    # --- phase 1 --------------------------------------------------------------------------------

    def match(self, week: int) -> None:
        """End relationships, then match waiting learners (7.1.2-7.1.10)."""
        p = self.params
        for rel in self.relationships:
            if rel.end <= week:  # term over: the learner (both peers) may wait
                self.free_from[rel.b] = week + p.dur_between_weeks
                if p.direction == "both":
                    self.free_from[rel.a] = week + p.dur_between_weeks
        self.relationships = [
            r for r in self.relationships if r.a.employed and r.b.employed and r.end > week
        ]
        if not self.running(week):
            self.relationships = []
            return
        waiting = self.waiting_learners(week)
        if not waiting:
            return
        if p.topology == "group":
            self.form_groups(week, waiting)
        elif p.direction == "both":
            self.pair_peers(week, waiting)
        else:
            self.pair_with_guides(week, waiting)

    def waiting_learners(self, week: int) -> list[Employee]:
        """Eligible, enrolled employees not in a relationship as a learner now (7.1.3)."""
        p, mean_baseline = self.params, self.model.sc.engagement.mean_baseline
        busy = {r.b for r in self.relationships}
        if p.direction == "both":
            busy |= {r.a for r in self.relationships}
        out = []
        for e in self.model.agents:
            share = p.p_enrol * e.engagement / mean_baseline if p.uptake == "engaged" else p.p_enrol
            if (
                e.level in p.learner_levels
                and e.p_learn < share
                and p.dur_tenure_min_weeks <= e.tenure <= p.dur_tenure_max_weeks
                and self.free_from.get(e, 0) <= week
                and e not in busy
            ):
                out.append(e)
        return out

    def pair_with_guides(self, week: int, learners: list[Employee]) -> None:
        """Random matching with guides, learner levels with the fewest options first (7.1.7)."""
        p, rnd = self.params, self.model.random
        load: dict[Employee, int] = {}
        for r in self.relationships:
            load[r.a] = load.get(r.a, 0) + 1
        places = [
            g
            for g in self.model.agents
            if g.p_guide < p.p_volunteer and (not p.guide_levels or g.level in p.guide_levels)
            for _ in range(max(p.n_learners_per_guide_max - load.get(g, 0), 0))
        ]
        if not places:
            return
        rnd.shuffle(learners)
        rnd.shuffle(places)
        taken = [False] * len(places)
        sign = -1 if p.direction == "up" else 1
        for level in sorted({e.level for e in learners}, reverse=p.direction != "up"):
            mine = [e for e in learners if e.level == level]
            valid = [
                i
                for i, g in enumerate(places)
                if not taken[i] and p.level_gap_min <= sign * (g.level - level) <= p.level_gap_max
            ]
            for learner, i in zip(mine, valid, strict=False):
                if places[i] is not learner:  # nobody guides themselves
                    taken[i] = True
                    self.add(week, places[i], learner)

    def pair_peers(self, week: int, peers: list[Employee]) -> None:
        """Same-level peers in random order, paired 1st with 2nd, 3rd with 4th (7.1.8)."""
        self.model.random.shuffle(peers)
        for level in sorted({e.level for e in peers}):
            pool = [e for e in peers if e.level == level]
            for a, b in zip(pool[0::2], pool[1::2], strict=False):
                self.add(week, a, b)

    def form_groups(self, week: int, members: list[Employee]) -> None:
        """Same-level groups of ``n_group_size``; the random remainder waits (7.1.9)."""
        k = self.params.n_group_size
        self.model.random.shuffle(members)
        for level in sorted({e.level for e in members}):
            pool = [e for e in members if e.level == level]
            for g in range(len(pool) // k):
                group = pool[g * k : (g + 1) * k]
                for i in range(k):
                    for j in range(i + 1, k):
                        self.add(week, group[i], group[j], self.next_group)
                self.next_group += 1

    def add(self, week: int, a: Employee, b: Employee, group: int = -1) -> None:
        """A new relationship with its starting quality (7.1.10)."""
        p = self.params
        fit = p.rel_similarity_quality * (a.similarity(b) - MEAN_SIMILARITY)
        quality = clip(
            p.quality_initial_mean + fit + self.model.random.gauss(0.0, p.quality_initial_sd),
            0.05,
            1.0,
        )
        self.relationships.append(
            Relationship(a, b, quality, week, week + p.dur_relationship_weeks, group)
        )

    # --- phase 2 --------------------------------------------------------------------------------

    def sessions(self, week: int) -> list[tuple[Relationship, float]]:
        """The scheduled sessions that take place, with their quality (7.2.1-7.2.2)."""
        p = self.params
        if not self.relationships or not self.running(week):
            return []
        met = []
        for rel in self.relationships:
            if (week - rel.start) % p.cadence_weeks:
                continue
            # Both members draw (or reuse) their weekly uniform before deciding.
            a_comes, b_comes = rel.a.attends(self, rel, week), rel.b.attends(self, rel, week)
            if a_comes and b_comes:
                rel.quality += p.rate_quality_per_session * (1.0 - rel.quality)
                distance = abs(rel.a.level - rel.b.level)
                met.append((rel, rel.quality * (1.0 - p.power_distance) ** distance))
        return met

    def attendee_hours(self, met: list[tuple[Relationship, float]]) -> dict[Employee, float]:
        """Hours each person spends in this programme's sessions this week (7.2.3)."""
        p = self.params
        hours: dict[Employee, float] = {}
        if p.topology == "group":
            for rel, _ in met:  # each member of a pair that met, once
                hours[rel.a] = hours[rel.b] = p.hours_per_session
            return hours
        guide_side = (
            p.hours_per_session if p.direction == "both" else p.hours_per_session * p.rel_guide_time
        )
        for rel, _ in met:
            hours[rel.b] = hours.get(rel.b, 0.0) + p.hours_per_session
            hours[rel.a] = hours.get(rel.a, 0.0) + guide_side
        return hours

    def hand_out(
        self, met: list[tuple[Relationship, float]], over: set[Employee]
    ) -> dict[Employee, float]:
        """Hand out the sessions kept under the hours cap; return the hours kept (7.2.3-7.2.4)."""
        p = self.params
        hours = self.attendee_hours(met)
        # Employees over the cap skip all of this programme's sessions; a pair's session
        # is cancelled for both members, a group member keeps the hours of the others.
        kept = [(rel, q) for rel, q in met if rel.a not in over and rel.b not in over]
        if p.topology == "group":
            hours = {e: h for e, h in hours.items() if e not in over}
        else:
            hours = self.attendee_hours(kept)
        k = p.n_group_size
        learn_hours = p.hours_per_session * p.rel_learning
        if p.topology == "group":
            learn_hours, share = learn_hours / (k - 1), 1.0 / (k - 1)
        else:
            share = 1.0
        for rel, q in kept:
            rel.b.learns_from.append((rel.a, learn_hours, q, self.focus, share, self.name))
            if p.direction == "both":
                rel.a.learns_from.append((rel.b, learn_hours, q, self.focus, share, self.name))
            else:
                rel.a.guides.append((q, p.hours_per_session * p.rel_guide_time, self.name))
        for e, h in hours.items():
            e.hours += h
        self.hours_spent += sum(hours.values())
        return hours


class ReferenceModel(mesa.Model):
    """The organisation, stepped week by week by per-agent rules.

    Args:
        scenario: A validated wlsim scenario (parameters are read from it).
        arm: The arm to run (its programmes and overrides); default the first.
        seed: Seed of Mesa's random generator.
    """

    def __init__(self, scenario: Scenario, arm: str | None = None, seed: int = 0) -> None:
        super().__init__(rng=seed)
        arm = arm if arm is not None else next(iter(scenario.arms))
        self.sc = sc = arm_scenario(scenario, arm)
        org, lp = sc.organisation, sc.learning
        self.week = 0
        self.usage = [[org.job_usage[d][lv] for d in org.domains] for lv in range(sc.n_levels)]
        self.used_domains = [[d for d, u in enumerate(row) if u >= 0.5] for row in self.usage]
        self.readiness_weights = [[u / max(sum(row), 1e-12) for u in row] for row in self.usage]
        self.skill_decay = 1.0 - 2.0 ** (-1.0 / lp.dur_skill_half_life_weeks)
        self.feedback_decay = 2.0 ** (-1.0 / lp.dur_feedback_half_life_weeks)
        self.visibility_decay = 2.0 ** (-1.0 / sc.promotion.dur_visibility_half_life_weeks)
        self.incumbent_skill = [self.incumbent_mean(lv) for lv in range(sc.n_levels)]
        self.quits = self.promotions = 0
        self.session_hours = 0.0
        self.vacancies = [0] * sc.n_levels
        for level, count in enumerate(self.level_counts()):
            for _ in range(count):
                Employee(self, level)
        self.n_initial = len(self.agents)
        self.programme = {
            name: ProgrammeRunner(name, sc.programmes[name], self)
            for name in sc.arms[arm].programmes
        }
        # Mean skill per domain, named as wlsim names it (mean_skill_<domain in snake case>).
        by_domain = {
            "mean_skill_" + re.sub(r"[^0-9a-z]+", "_", d.lower()).strip("_"): partial(
                ReferenceModel.mean_skill_in, domain=i
            )
            for i, d in enumerate(org.domains)
        }
        self.datacollector = mesa.DataCollector(
            model_reporters={"week": "week", **{m: m for m in METRICS}, **by_domain}
        )
        self.datacollector.collect(self)

    # --- set-up -----------------------------------------------------------------------------

    def level_counts(self) -> list[int]:
        """Positions per level: largest remainder, every managing level kept (section 5)."""
        org = self.sc.organisation
        n = org.n_employees
        raw = [s * n for s in org.level_shares]
        counts = [math.floor(r) for r in raw]
        by_remainder = sorted(range(len(raw)), key=lambda i: -(raw[i] - counts[i]))
        for i in by_remainder[: n - sum(counts)]:
            counts[i] += 1
        for lv in range(len(counts) - 1, org.first_manager_level - 1, -1):
            if counts[lv] == 0:
                donor = counts.index(max(counts))
                counts[donor] -= 1
                counts[lv] += 1
        return counts

    def incumbent_mean(self, level: int) -> list[float]:
        """Incumbents' mean skill: the practice-forgetting equilibrium plus expertise."""
        lp, org = self.sc.learning, self.sc.organisation
        out = []
        for u in self.usage[level]:
            a = lp.rate_practice_per_week * u * lp.transfer_base
            b = (1.0 - u) * self.skill_decay
            equilibrium = (a * lp.skill_plateau + b * lp.skill_floor) / max(a + b, 1e-12)
            out.append(equilibrium + org.skill_expertise_by_level[level] * u)
        return out

    # --- the week ---------------------------------------------------------------------------

    def step(self) -> None:
        """One week: the nine phases of docs/model.md, section 3."""
        week = self.week
        for prog in self.programme.values():  # 1. matching
            prog.match(week)
        met = {name: prog.sessions(week) for name, prog in self.programme.items()}  # 2
        used: dict[Employee, float] = {}
        cap = self.sc.learning.hours_learning_max_per_week
        for name, prog in self.programme.items():  # the hours cap, in the arm's order
            wanted = prog.attendee_hours(met[name])
            over = {e for e, h in wanted.items() if used.get(e, 0.0) + h > cap + 1e-9}
            kept = prog.hand_out(met[name], over)
            self.session_hours += sum(kept.values())
            for e, h in kept.items():
                used[e] = used.get(e, 0.0) + h
        self.agents.do("step")  # 3. gains from the partners met
        self.agents.do("advance")  # 3-6. apply, practise, engage, quit
        self.promote()  # 7
        self.hire(week)  # 8
        self.agents.do("end_week", week)  # 9
        self.week += 1
        self.datacollector.collect(self)

    def run(self, weeks: int | None = None) -> None:
        """Run ``weeks`` weeks (default: the scenario's horizon)."""
        for _ in range(self.sc.horizon_weeks if weeks is None else weeks):
            self.step()

    def promote(self) -> None:
        """Fill vacancies from the level below by readiness, top level first (7.8)."""
        pp = self.sc.promotion
        for level in range(self.sc.n_levels - 1, 0, -1):
            if self.vacancies[level] == 0:
                continue
            scored = [
                (e.readiness(level), e)
                for e in self.agents
                if e.level == level - 1 and e.weeks_in_level >= pp.dur_min_in_level_weeks
            ]
            ready = sorted(
                (x for x in scored if x[0] >= pp.readiness_threshold), key=lambda x: -x[0]
            )
            for _, e in ready[: self.vacancies[level]]:
                e.level = level
                e.weeks_in_level = 0.0
                e.engagement = min(e.engagement + self.sc.engagement.promotion_boost, 1.0)
                self.vacancies[level] -= 1
                self.vacancies[level - 1] += 1
                self.promotions += 1

    def hire(self, week: int) -> None:
        """Fill every remaining vacancy with a hire who starts next week (7.9)."""
        for level, n in enumerate(self.vacancies):
            for _ in range(n):
                Employee(self, level, hire_week=week + 1)
            self.vacancies[level] = 0

    # --- measurement ----------------------------------------------------------------------------

    @property
    def headcount(self) -> int:
        """Employees now."""
        return len(self.agents)

    @property
    def mean_skill(self) -> float:
        """Mean over employees of their mean skill."""
        return sum(sum(e.skill) / len(e.skill) for e in self.agents) / len(self.agents)

    def mean_skill_in(self, domain: int) -> float:
        """Mean skill in one domain."""
        return sum(e.skill[domain] for e in self.agents) / len(self.agents)

    @property
    def share_proficient(self) -> float:
        """Share of employees whose proficiency score reaches the threshold."""
        threshold = self.sc.learning.proficiency_threshold
        return sum(e.proficiency >= threshold for e in self.agents) / len(self.agents)

    @property
    def mean_engagement(self) -> float:
        """Mean engagement."""
        return sum(e.engagement for e in self.agents) / len(self.agents)

    @property
    def retention_initial(self) -> float:
        """Share of the initial workforce still employed."""
        return sum(e.initial for e in self.agents) / self.n_initial

    @property
    def cumulative_quits(self) -> int:
        """Quits since week 0."""
        return self.quits

    @property
    def records(self) -> list[dict[str, Any]]:
        """One dict of metrics per week, week 0 first (like ``WorkplaceModel.records``)."""
        columns = self.datacollector.model_vars
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
