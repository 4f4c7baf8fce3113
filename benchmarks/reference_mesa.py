"""wlsim's core rules as a plain, per-agent Mesa 3.5 model: the speed baseline and an oracle.

This is how a typical Mesa user would write the model: an ``Employee`` agent with
plain Python attributes (skill as a list of floats, engagement, stocks, tenure),
partners and advisers stored as agent references, programmes as small helper objects
with Python loops, the organisation as a list of positions in a reporting tree,
``self.random`` for every draw, and a ``DataCollector`` for the weekly metrics. Each
employee does its own work in ``Employee.step()`` (read the partners it met and the
adviser it asks, compute this week's gains) and ``Employee.advance()`` (apply them,
practise and forget, update engagement, decide whether to quit), called with Mesa's
simultaneous activation (``agents.do("step")`` then ``agents.do("advance")``); in
between, ``learn_from_advice`` and ``make_programme_ties`` update the advice ties from
this week's contacts, while every skill is still the one at the start of the phase.

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
* people who differ (7.15): each employee and each hire draws a learning ability (which
  also sets their own skill plateau), a proactivity and a teaching skill, and starts at
  skill moved to their own practice equilibrium (a hire by ``rel_hire_skill`` of the
  move); ability scales practice and what sessions and advice teach, the partner's
  teaching skill what a dialogue or advice teaches, proactivity the feedback taken and
  the chance of asking for advice;
* programmes with ``matching = "random"`` and a fixed focus, in the three topologies of
  the hybrid: one-way pairs with a guide (``mentorship``: ``direction = "down"`` or
  ``"up"``), reciprocal peer pairs (``peer_coaching``) and groups of peers
  (``group_circles``), with enrolment, capacity, the level window, relationship terms,
  the running window and budget, attendance with structure and fading accountability,
  quality growth, power distance, and the weekly learning-hours cap (7.1-7.2);
  dialogue sessions, and shadowing (``mode = "observation"``) in one-way pairs, spread
  over the weeks it occupies, the learner learning what the guide's job uses;
* learning in sessions, guide practice, feedback per domain (from follow-up sessions and
  managers' conversations), sponsorship and guides' visibility (7.3-7.4);
* practice and forgetting, at each person's rate toward their own plateau, with the
  feedback in each domain (7.5); engagement (7.6); turnover (7.7);
* promotion (readiness, the top-down cascade; 7.8) and hiring (7.9);
* ageing and proficiency (7.11);
* informal learning (7.13): each employee's advice ties (``Employee.ties``: adviser ->
  strength, beliefs per domain, programme flag; at most ``n_ties_max``, a full row
  replacing its weakest tie only with a stronger one), inclination to coach and the
  team's psychological safety; the first ties at week 0 and for hires (the manager and
  teammates); in phase 1 decay (bridges faster), dropping and formation (in the team,
  or across the organisation by level homophily); in phase 3 advice seeking (domain by
  usage times gap, adviser by strength times belief times deference), learning by the
  session rule with the tie's strength as quality, belief updates, tie strengthening
  (and the adviser's tie back), programme ties from every session kept under the hours
  cap, and managers' feedback; in phase 5 the advice hours of seeker and adviser count
  toward overload. Positions, their managers and teams are built as in section 5.

Not covered (the constructor raises ``NotImplementedError``): other matching policies,
need focus, the challenge trigger, observation outside one-way pairs,
``new_partner_each_time``, reciprocal pairs with ``guide_levels``, groups spanning
several levels and an organisation's own advice network (``organisation.network``). Costs and the
analysis-only records are left out; they do not feed back into the dynamics.

Where section 7.13 leaves a detail open, the reference reads it as follows: a programme
session with someone the learner has no tie to makes a tie at ``tie_strength_initial``
and, being a contact, strengthens it at once; the first programme session of a tie (its
programme flag not yet set) updates the beliefs in every domain; the beliefs of a new
tie start at the mean skill of the other's level as measured in phase 1 of the week
(also for the week's hires); a teammate is drawn from all positions of the team,
oneself included (drawing oneself, or someone one already has a tie to, adds nothing);
all advice episodes update the ties before any programme session does.

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


class Position:
    """A position in the reporting tree (section 5): fixed level, manager and team."""

    __slots__ = ("holder", "index", "level", "manager", "members", "safety", "team")

    def __init__(self, index: int, level: int) -> None:
        self.index, self.level = index, level
        self.manager: Position | None = None  # None for the root
        self.team: Position = self  # the first-line manager's position heading the team
        self.members: list[Position] = []  # of the team this position heads (itself first)
        self.safety = 1.0  # psychological safety of the team this position heads
        self.holder: Employee | None = None


class Tie:
    """An advice tie of an employee to an adviser (section 7.13)."""

    __slots__ = ("belief", "programme", "strength")

    def __init__(self, strength: float, belief: list[float]) -> None:
        self.strength = strength
        self.belief = belief  # what the employee believes the adviser's skill is, per domain
        self.programme = False  # whether a programme session made or strengthened it


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

    def __init__(
        self, model: ReferenceModel, position: Position, hire_week: int | None = None
    ) -> None:
        super().__init__(model)
        sc, rnd = model.sc, self.random
        org = sc.organisation
        self.position = position
        position.holder = self
        self.level = level = position.level
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
        self.feedback = [0.0] * len(self.skill)  # a stock per domain (7.4)
        self.visibility = 0.0
        self.p_learn, self.p_guide = rnd.random(), rnd.random()  # enrolment propensities
        self.values = (rnd.random(), rnd.random())
        self.draw_traits(rel_skill)
        self.initial = hire_week is None
        self.reached_proficiency = hire_week is None
        # Informal learning (7.13): whom they would ask, and how readily they coach.
        self.ties: dict[Employee, Tie] = {}
        informal = sc.informal
        self.coaching = rnd.gammavariate(
            informal.manager_coaching_shape, 1.0 / informal.manager_coaching_shape
        )
        self.proficiency = self.proficiency_score()
        self.clear_week()

    def draw_traits(self, rel_skill: float) -> None:
        """Lasting traits (7.15), and starting skill moved to the person's own equilibrium.

        Three standard normal draws: the first sets learning ability and the personal
        plateau, the second proactivity, the third teaching skill; each multiplier is
        ``exp(sd * z - sd**2 / 2)``. Practice at the person's rate toward their plateau
        balances forgetting at another skill than an average person's; starting skill
        moves by the difference (times ``rel_hire_skill`` for a hire).
        """
        people, lp, rnd = self.model.sc.people, self.model.sc.learning, self.random
        z_ability, z_proactivity, z_teaching = (rnd.gauss(0.0, 1.0) for _ in range(3))

        def multiplier(sd: float, z: float) -> float:
            return math.exp(sd * z - sd * sd / 2.0)

        self.ability = multiplier(people.sd_log_learning_ability, z_ability)
        self.plateau = min(lp.skill_plateau + people.sd_skill_plateau * z_ability, 1.0)
        self.proactivity = multiplier(people.sd_log_proactivity, z_proactivity)
        self.teaching = multiplier(people.sd_log_teaching_skill, z_teaching)
        decay = self.model.skill_decay

        def equilibrium(rate: float, plateau: float, forget: float) -> float:
            return (rate * plateau + forget * lp.skill_floor) / max(rate + forget, 1e-12)

        for d, u in enumerate(self.model.usage[self.level]):
            rate = lp.rate_practice_per_week * u * lp.transfer_base
            forget = (1.0 - u) * decay
            mine = equilibrium(rate * self.ability, self.plateau, forget)
            average = equilibrium(rate, lp.skill_plateau, forget)
            self.skill[d] = clip(self.skill[d] + rel_skill * (mine - average))

    # --- the week ---------------------------------------------------------------------------

    def clear_week(self) -> None:
        """Forget last week's sessions."""
        self.attend_draw: dict[str, float] = {}  # one uniform per programme per week
        self.learns_from: list[tuple[Employee, float, float, list[float], float, str]] = []
        # (quality, hours, programme, levels the learner is above the guide)
        self.guides: list[tuple[float, float, str, int]] = []
        self.hours = 0.0
        self.gains = [0.0] * len(self.skill)
        # Feedback from this week's sessions, per programme and domain, before saturating;
        # and from the manager's conversation, per domain (7.4, 7.13).
        self.session_feedback: dict[str, list[float]] = {}
        self.manager_feedback: list[float] | None = None
        # This week's advice: (adviser, domain, the adviser's skill at the phase start).
        self.advice: tuple[Employee, int, list[float]] | None = None
        self.advice_hours = 0.0  # as seeker and as adviser
        self.conversation = False  # a feedback conversation with the manager

    def attends(self, programme: ProgrammeRunner, rel: Relationship, week: int) -> bool:
        """Whether this employee comes to a scheduled session of ``rel`` (section 7.2.1)."""
        p = programme.params
        u = self.attend_draw.get(programme.name)
        if u is None:
            u = self.attend_draw[programme.name] = self.random.random()
        fade = 2.0 ** (-(week - rel.start) / p.dur_accountability_half_life_weeks)
        return u < p.structure + (1.0 - p.structure) * self.engagement * fade

    def step(self) -> None:
        """Phase 3: this week's gains from the partners met and the adviser asked.

        Reads start-of-phase skills and ties and writes only this week's gains, the
        manager's conversation and the advice hours (of both sides), which ``advance`` reads.
        """
        model, lp = self.model, self.model.sc.learning
        usage = model.usage[self.level]
        for partner, hours, quality, focus, share, name in self.learns_from:
            prog = model.programme[name]
            # Able learners take more from a session; in a dialogue, so do the learners
            # of a good teacher (watching someone's work owes nothing to their teaching).
            q = quality * self.ability * (1.0 if prog.observation else partner.teaching)
            for d, (mine, theirs) in enumerate(zip(self.skill, partner.skill, strict=True)):
                gap = theirs - mine
                if gap > 0.0:
                    absorb = math.exp(-gap / lp.gap_absorption)
                    taken = min(1.0, lp.rate_session_per_hour * hours * q * focus[d] * absorb)
                    self.gains[d] += taken * gap
            # Feedback on the learner's practice: only in follow-up sessions, on the
            # domains the session covers and the learner's job uses, worth more from a
            # partner skilled in them.
            amount = lp.feedback_per_hour * prog.feedback_hours * quality * share
            if amount > 0.0:
                amount *= self.proactivity * partner.teaching
                total = self.session_feedback.setdefault(name, [0.0] * len(self.skill))
                for d, theirs in enumerate(partner.skill):
                    total[d] += amount * focus[d] * usage[d] * theirs
        for _, hours, name, _ in self.guides:  # guiding exercises the guide's own skills
            prog = model.programme[name]
            rate = min(lp.rate_guide_practice_per_hour * hours * self.ability, 1.0)
            if rate > 0.0:
                for d in prog.guide_practice_domains:
                    self.gains[d] += rate * max(1.0 - self.skill[d], 0.0)
        if self.model.sc.informal.enabled:
            self.seek_advice()
            self.draw_conversation()

    def advance(self) -> None:
        """Phases 3 (apply), 4, 5 and 6 for this employee: own state only."""
        model, sc = self.model, self.model.sc
        lp, ep, tp = sc.learning, sc.engagement, sc.turnover
        before = sum(self.skill) / len(self.skill)
        self.skill = [clip(s + g) for s, g in zip(self.skill, self.gains, strict=True)]
        self.add_stocks()
        if self.manager_feedback is not None:  # the manager's routine feedback (7.13)
            for d, x in enumerate(self.manager_feedback):
                self.feedback[d] += x * (1.0 - self.feedback[d])
        # Practice and forgetting (7.5), with this week's feedback in each domain, at the
        # person's own rate toward their own plateau.
        usage = model.usage[self.level]
        rate = lp.rate_practice_per_week * self.ability
        for d, s in enumerate(self.skill):
            u, f = usage[d], self.feedback[d]
            transfer = lp.transfer_base + (1.0 - lp.transfer_base) * f
            plateau = self.plateau + (1.0 - self.plateau) * lp.rel_feedback_plateau * f
            practice = rate * u * transfer * max(plateau - s, 0.0)
            forgetting = (1.0 - u) * model.skill_decay * max(s - lp.skill_floor, 0.0)
            self.skill[d] = clip(s + practice - forgetting)
        self.feedback = [f * model.feedback_decay for f in self.feedback]
        self.visibility *= model.visibility_decay
        # Engagement (7.6).
        progress = sum(self.skill) / len(self.skill) - before
        support = sum(
            ep.support_per_session * quality * share
            for _, _, quality, _, share, _ in self.learns_from
        )
        support += sum(ep.support_guide_per_session * quality for quality, *_ in self.guides)
        change = ep.rate_drift_per_week * (self.baseline - self.engagement)
        change += support + ep.progress_per_skill * max(progress, 0.0)
        hours = self.hours + self.advice_hours  # helping takes time too (7.13)
        change -= ep.overload_per_hour * max(hours - ep.hours_tolerated_per_week, 0.0)
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
        """Feedback and visibility from this week's sessions, programme by programme (7.4).

        A guide is seen by the people above them whom they guide: visibility per level
        the learner is above the guide.
        """
        for name, prog in self.model.programme.items():
            p = prog.params
            sponsorship = 0.0
            for _, _, quality, _, share, pname in self.learns_from:
                if pname == name:
                    sponsorship += p.sponsorship_per_session * quality * share
            exposure = sum(
                p.guide_visibility_per_session * above * quality
                for quality, _, pname, above in self.guides
                if pname == name
            )
            feedback = self.session_feedback.get(name)
            if feedback is not None:
                for d, x in enumerate(feedback):
                    self.feedback[d] += min(x, 1.0) * (1.0 - self.feedback[d])
            self.visibility += min(sponsorship, 1.0) * (1.0 - self.visibility)
            self.visibility += min(exposure, 1.0) * (1.0 - self.visibility)

    def quit(self) -> None:
        """Leave: the position falls vacant; relationships end at the next matching."""
        self.employed = False
        self.model.quits += 1
        self.position.holder = None
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

    # --- informal learning (7.13) ---------------------------------------------------------------

    def add_tie(self, other: Employee, strength: float) -> Tie | None:
        """A new tie to ``other``, believed as skilled as the mean of their level.

        A full row replaces its weakest tie, and only with a stronger one.
        """
        if len(self.ties) >= self.model.sc.informal.n_ties_max:
            weakest = min(self.ties, key=lambda j: self.ties[j].strength)
            if self.ties[weakest].strength >= strength:
                return None
            del self.ties[weakest]
        tie = self.ties[other] = Tie(strength, list(self.model.level_means[other.level]))
        return tie

    def initial_ties(self) -> None:
        """At week 0 or on arrival: the manager and a few teammates drawn at random."""
        ip = self.model.sc.informal
        boss = self.position.manager
        if boss is not None and boss.holder is not None:
            self.add_tie(boss.holder, ip.tie_strength_initial)
        members = self.position.team.members
        for _ in range(ip.n_team_ties_initial):
            other = self.random.choice(members).holder
            if other is not None and other is not self and other not in self.ties:
                self.add_tie(other, ip.tie_strength_initial)

    def update_ties(self) -> None:
        """Phase 1: ties decay, weak ones and those to leavers go; perhaps one new tie.

        A tie to someone in another team (a bridge) decays faster than one within the team.
        """
        model, ip, rnd = self.model, self.model.sc.informal, self.random
        for other, tie in list(self.ties.items()):
            if not other.employed:
                del self.ties[other]
                continue
            embedded = other.position.team is self.position.team
            tie.strength *= 1.0 - model.tie_decay * (ip.rel_decay_embedded if embedded else 1.0)
            if tie.strength < ip.tie_strength_min:
                del self.ties[other]
        if rnd.random() >= ip.p_tie_form_per_week:
            return
        if rnd.random() < ip.share_form_in_team:
            other = rnd.choice(self.position.team.members).holder
        else:
            other = rnd.choice(model.staff)
            accept = math.exp(-abs(other.level - self.level) / ip.homophily_level_scale)
            if rnd.random() >= accept:
                return
        if other is not None and other is not self and other not in self.ties:
            self.add_tie(other, ip.tie_strength_initial)

    def seek_advice(self) -> None:
        """Phase 3 (read-only): perhaps ask one tie about one domain; gain by the session rule."""
        model, ip, lp, rnd = self.model, self.model.sc.informal, self.model.sc.learning, self.random
        p_seek = ip.p_seek_per_week * self.position.team.safety * self.proactivity
        if not self.ties or rnd.random() >= p_seek:
            return
        # The domain: what the job uses, where the gap to mastery is large.
        usage = model.usage[self.level]
        weights = [u * (1.0 - s) for u, s in zip(usage, self.skill, strict=True)]
        if sum(weights) <= 0.0:
            return
        d = rnd.choices(range(len(weights)), weights)[0]
        # The adviser: believed expert, less readily someone higher up.
        advisers = list(self.ties)
        weights = [
            self.ties[j].strength
            * self.ties[j].belief[d]
            * (1.0 - ip.power_distance) ** max(j.level - self.level, 0)
            for j in advisers
        ]
        if sum(weights) <= 0.0:
            return
        adviser = rnd.choices(advisers, weights)[0]
        gap = adviser.skill[d] - self.skill[d]
        if gap > 0.0:
            # The tie's strength, times the seeker's ability and the adviser's teaching.
            quality = self.ties[adviser].strength * self.ability * adviser.teaching
            absorb = math.exp(-gap / lp.gap_absorption)
            share = min(1.0, lp.rate_session_per_hour * ip.hours_per_advice * quality * absorb)
            self.gains[d] += share * gap
        self.advice = (adviser, d)
        self.advice_hours += ip.hours_per_advice
        adviser.advice_hours += ip.hours_per_advice

    def draw_conversation(self) -> None:
        """Phase 3: whether the manager (if in post) gives feedback this week, and how much.

        The feedback lands on the domains the report's job uses, weighted by the manager's
        skill at the start of the phase, the report's proactivity and the manager's
        teaching skill; each domain's amount is at most 1.
        """
        boss = self.position.manager
        if boss is None or boss.holder is None:
            return
        manager, ip = boss.holder, self.model.sc.informal
        p = ip.p_manager_feedback_per_week * manager.coaching
        self.conversation = self.random.random() < min(1.0, p)
        if self.conversation:
            a = ip.feedback_per_conversation * self.proactivity * manager.teaching
            self.manager_feedback = [
                min(a * u * s, 1.0)
                for u, s in zip(self.model.usage[self.level], manager.skill, strict=True)
            ]

    def learn_from_advice(self) -> None:
        """Phase 3, after every ``step``: what the advice taught about who knows what.

        The belief moves toward the adviser's skill at the start of the phase (gains are
        applied in ``advance``); the tie, and the adviser's tie back, grow stronger.
        """
        if self.advice is None:
            return
        ip = self.model.sc.informal
        adviser, d = self.advice
        tie = self.ties[adviser]
        tie.belief[d] += ip.rate_belief_update * (adviser.skill[d] - tie.belief[d])
        self.strengthen(tie)
        back = adviser.ties.get(self)
        if back is not None:
            adviser.strengthen(back)

    def make_programme_ties(self) -> None:
        """Phase 3, after advice: every session kept under the hours cap is a contact.

        It makes a tie to the partner if there is none (a full row keeps its weakest tie
        unless that is weaker than a new tie), and strengthens it.
        """
        ip = self.model.sc.informal
        for partner, *_ in self.learns_from:
            tie = self.ties.get(partner)
            if tie is None:
                tie = self.add_tie(partner, ip.tie_strength_initial)
                if tie is None:
                    continue
            self.strengthen(tie)
            if not tie.programme:  # the first programme session: learn what they know
                tie.programme = True
                tie.belief = [
                    b + ip.rate_belief_update * (s - b)
                    for b, s in zip(tie.belief, partner.skill, strict=True)
                ]

    def strengthen(self, tie: Tie) -> None:
        """One contact: ``s <- s + tie_strength_per_contact * (1 - s)``."""
        tie.strength += self.model.sc.informal.tie_strength_per_contact * (1.0 - tie.strength)

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
            "observation outside one-way pairs": params.mode == "observation"
            and (params.topology == "group" or params.direction == "both"),
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
        # Shadowing (observation) is spread over the weeks it occupies: every week the
        # learner watches hours_per_session / cadence_weeks of the guide's work, and the
        # relationship's quality grows per week as it would per session.
        self.observation = params.mode == "observation"
        spread = params.cadence_weeks if self.observation else 1
        self.cadence = params.cadence_weeks // spread
        self.hours = params.hours_per_session / spread
        self.rate_quality = 1.0 - (1.0 - params.rate_quality_per_session) ** (1.0 / spread)
        # Feedback on the learner's practice needs someone who saw it before: the share
        # of sessions that follow up an earlier one; none in observation (7.4).
        follow_up = max(0.0, 1.0 - params.cadence_weeks / params.dur_relationship_weeks)
        self.feedback_hours = 0.0 if self.observation else params.hours_per_session * follow_up
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
            if (week - rel.start) % self.cadence:
                continue
            # Both members draw (or reuse) their weekly uniform before deciding.
            a_comes, b_comes = rel.a.attends(self, rel, week), rel.b.attends(self, rel, week)
            if a_comes and b_comes:
                rel.quality += self.rate_quality * (1.0 - rel.quality)
                distance = abs(rel.a.level - rel.b.level)
                met.append((rel, rel.quality * (1.0 - p.power_distance) ** distance))
        return met

    def attendee_hours(self, met: list[tuple[Relationship, float]]) -> dict[Employee, float]:
        """Hours each person spends in this programme's sessions this week (7.2.3)."""
        p = self.params
        hours: dict[Employee, float] = {}
        if p.topology == "group":
            for rel, _ in met:  # each member of a pair that met, once
                hours[rel.a] = hours[rel.b] = self.hours
            return hours
        guide_side = self.hours if p.direction == "both" else self.hours * p.rel_guide_time
        for rel, _ in met:
            hours[rel.b] = hours.get(rel.b, 0.0) + self.hours
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
        learn_hours = self.hours * p.rel_learning
        if p.topology == "group":
            learn_hours, share = learn_hours / (k - 1), 1.0 / (k - 1)
        else:
            share = 1.0
        for rel, q in kept:
            # An observer learns what the guide's job uses; a dialogue covers the focus.
            focus = self.model.usage[rel.a.level] if self.observation else self.focus
            rel.b.learns_from.append((rel.a, learn_hours, q, focus, share, self.name))
            if p.direction == "both":
                rel.a.learns_from.append((rel.b, learn_hours, q, focus, share, self.name))
            else:
                above = max(rel.b.level - rel.a.level, 0)
                rel.a.guides.append((q, self.hours * p.rel_guide_time, self.name, above))
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
        self.positions, self.by_level = self.reporting_tree()
        for position in self.positions:
            Employee(self, position)
        self.n_initial = len(self.agents)
        # Informal learning (7.13): team safety, then everyone's first ties.
        ip = sc.informal
        if ip.enabled and org.network:
            raise NotImplementedError("reference model: organisation.network")
        self.tie_decay = 1.0 - 2.0 ** (-1.0 / ip.dur_tie_half_life_weeks)
        self.level_means = self.mean_skill_by_level()
        self.staff: list[Employee] = []
        if ip.enabled:
            a = ip.team_safety_mean * ip.team_safety_concentration
            b = (1.0 - ip.team_safety_mean) * ip.team_safety_concentration
            for position in self.positions:
                if position.team is position:
                    position.safety = self.random.betavariate(a, b)
            self.agents.do("initial_ties")
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

    def reporting_tree(self) -> tuple[list[Position], list[list[Position]]]:
        """Positions numbered from the top, managers by round robin, teams (section 5)."""
        counts, first_manager = self.level_counts(), self.sc.organisation.first_manager_level
        positions: list[Position] = []
        by_level: list[list[Position]] = [[] for _ in counts]
        for level in range(len(counts) - 1, -1, -1):
            for _ in range(counts[level]):
                by_level[level].append(Position(len(positions), level))
                positions.append(by_level[level][-1])
        root, *others = by_level[-1]
        for position in others:
            position.manager = root
        for level in range(len(counts) - 2, -1, -1):
            bosses = by_level[max(level + 1, first_manager)]
            for k, position in enumerate(by_level[level]):
                position.manager = bosses[k % len(bosses)]
        for position in positions:
            if position.level < first_manager:
                position.team = position.manager
            position.team.members.append(position)
        return positions, by_level

    def mean_skill_by_level(self) -> list[list[float]]:
        """Mean skill per domain of each level's employees (what a stranger is believed to know)."""
        n_domains = len(self.sc.organisation.domains)
        sums = [[0.0] * n_domains for _ in self.by_level]
        counts = [0] * len(self.by_level)
        for e in self.agents:
            counts[e.level] += 1
            for d, s in enumerate(e.skill):
                sums[e.level][d] += s
        return [[x / max(n, 1) for x in row] for row, n in zip(sums, counts, strict=True)]

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
        informal = self.sc.informal.enabled
        for prog in self.programme.values():  # 1. matching
            prog.match(week)
        if informal:  # advice ties decay, drop and form
            self.level_means = self.mean_skill_by_level()
            self.staff = list(self.agents)
            self.agents.do("update_ties")
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
        self.agents.do("step")  # 3. gains from the partners met and the advisers asked
        if informal:  # what this week's contacts teach about whom to ask
            self.agents.do("learn_from_advice")
            if self.sc.informal.programme_ties:
                self.agents.do("make_programme_ties")
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
            vacant = [p for p in self.by_level[level] if p.holder is None]  # in position order
            if not vacant:
                continue
            scored = [
                (e.readiness(level), e)
                for e in self.agents
                if e.level == level - 1 and e.weeks_in_level >= pp.dur_min_in_level_weeks
            ]
            ready = sorted(
                (x for x in scored if x[0] >= pp.readiness_threshold),
                key=lambda x: (-x[0], x[1].position.index),
            )
            for (_, e), position in zip(ready, vacant, strict=False):
                e.position.holder = None  # a vacancy one level down
                e.position, position.holder = position, e
                e.level = level
                e.weeks_in_level = 0.0
                e.engagement = min(e.engagement + self.sc.engagement.promotion_boost, 1.0)
                self.promotions += 1

    def hire(self, week: int) -> None:
        """Fill every remaining vacancy with a hire who starts next week (7.9).

        Once all are in post, each hire gets a tie to their manager and a few teammates.
        """
        hires = [
            Employee(self, position, hire_week=week + 1)
            for position in self.positions
            if position.holder is None
        ]
        if self.sc.informal.enabled:
            for e in hires:
                e.initial_ties()

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
