"""Informal learning (docs/model.md section 7.13): advice ties, advice seeking, feedback.

Each week ties decay (ties within a team more slowly than bridges across teams), ties
to people who left are dropped, and some employees get to know one more colleague,
mostly in their own team and otherwise among people of similar level. An employee asks
one tie for advice with a chance set by their team's psychological safety; they ask in a
domain their job uses, where their gap to mastery is large, and choose among their ties
by strength times what they *believe* the adviser knows there, less for people higher
up (power distance). The advice teaches by the session rule of section 7.3 (gap and
absorption, the tie's strength as quality); the episode teaches the seeker who knows
what (their belief moves toward the adviser's real skill) and strengthens the tie.
Managers give their reports routine feedback, some managers far more than others.

Every random number is drawn outside the kernels, a fixed number per position per week
(:func:`draw_week`), so the draws stay aligned across arms.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.jit import helper, kernel, prefetch, unsigned
from sim.model.network import AdviceNetwork
from sim.model.submodels.practice import decay_per_week
from sim.scenario.schema import Informal

#: Columns of the weekly uniform draws (one row per position).
FORM, IN_TEAM, PICK, ACCEPT, SEEK, DOMAIN, TIE, FEEDBACK = range(8)
N_DRAWS = 8
#: Rows (or episodes) ahead whose lines the passes over ties ask the processor to load
#: (:func:`sim.jit.prefetch`; docs/performance.md, prefetching).
AHEAD = 8


class Advice(NamedTuple):
    """This week's advice episodes, one entry per episode.

    Attributes:
        seeker: Position of the employee who asked.
        adviser: Position of the employee asked.
        domain: Domain asked about.
        tie: Index of the tie in the seeker's row.
        quality: Strength of the tie when the seeker chose it, the quality of the advice.
    """

    seeker: np.ndarray
    adviser: np.ndarray
    domain: np.ndarray
    tie: np.ndarray
    quality: np.ndarray


def add_advice_hours(hours: np.ndarray, advice: Advice, hours_per_advice: float) -> None:
    """Add each episode's time to both sides, seekers first, in place.

    Args:
        hours: Hours per position (what overload counts).
        advice: This week's episodes.
        hours_per_advice: Hours one episode takes each side.
    """
    if len(advice.seeker):
        _add_advice_hours(hours, advice.seeker, advice.adviser, hours_per_advice)


@kernel
def _add_advice_hours(hours, seeker, adviser, hours_per_advice):
    for k in range(len(seeker)):
        hours[seeker[k]] += hours_per_advice
    for k in range(len(adviser)):
        hours[adviser[k]] += hours_per_advice


def draw_week(rng: np.random.Generator, n_slots: int, out: np.ndarray | None = None) -> np.ndarray:
    """This week's uniforms for every position (positions, :data:`N_DRAWS`).

    Pass last week's array as ``out`` to draw into it (the same numbers as a new array,
    without allocating one every week).
    """
    if out is None or out.shape != (n_slots, N_DRAWS):  # the first week (or none)
        return rng.random((n_slots, N_DRAWS))
    return rng.random(out=out)


def draw_coaching(rng: np.random.Generator, n: int, params: Informal) -> np.ndarray:
    """Inclination to coach of ``n`` people: Gamma with mean 1 and the given shape."""
    shape = params.manager_coaching_shape
    return rng.gamma(shape, 1.0 / shape, size=n)


def draw_team_safety(rng: np.random.Generator, n_slots: int, params: Informal) -> np.ndarray:
    """Psychological safety per position, used where the position heads a team: Beta."""
    mean, conc = params.team_safety_mean, params.team_safety_concentration
    if mean <= 0.0 or mean >= 1.0:
        return np.full(n_slots, mean)
    return rng.beta(mean * conc, (1.0 - mean) * conc, size=n_slots)


def level_means(skill: np.ndarray, level: np.ndarray, occupied: np.ndarray, n_levels: int):
    """Mean skill per level and domain among current employees (levels, domains).

    What a newcomer to a tie believes the other knows: the typical skill of their level.
    """
    return _level_means(skill, level, occupied, n_levels)


@kernel
def _level_means(skill, level, occupied, n_levels):
    out = np.zeros((n_levels, skill.shape[1]))
    count = np.zeros(n_levels)
    for i in range(skill.shape[0]):
        if occupied[i]:
            li = unsigned(level[i])
            count[li] += 1.0
            for d in range(skill.shape[1]):
                out[li, d] += skill[i, d]
    for lv in range(n_levels):
        for d in range(skill.shape[1]):
            out[lv, d] /= max(count[lv], 1.0)
    return out


def team_members(team: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions by team (CSR: ``members[ptr[t]:ptr[t + 1]]`` are team ``t``'s positions)."""
    order = np.argsort(team, kind="stable")
    counts = np.bincount(team, minlength=len(team))
    ptr = np.zeros(len(team) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, order.astype(np.int64)


def initial_ties(
    net: AdviceNetwork,
    slots: np.ndarray,
    employee_id: np.ndarray,
    manager: np.ndarray,
    team: np.ndarray,
    level: np.ndarray,
    members: tuple[np.ndarray, np.ndarray],
    beliefs: np.ndarray,
    u: np.ndarray,
    params: Informal,
) -> None:
    """Give the occupants of ``slots`` a tie to their manager and to a few teammates.

    Args:
        net: The network (changed in place).
        slots: Positions whose occupants start (week 0, or hired this week).
        employee_id: Occupant of each position.
        manager: Manager position of each position.
        team: Team of each position.
        level: Level of each position.
        members: :func:`team_members` of ``team``.
        beliefs: :func:`level_means`, the starting belief about a tie by level.
        u: Uniforms (len(slots), n_team_ties_initial) choosing the teammates.
        params: Informal-learning parameters.
    """
    ptr, order = members
    _initial_ties(
        net.n,
        net.to,
        net.strength,
        net.belief,
        slots,
        employee_id,
        manager,
        team,
        level,
        ptr,
        order,
        beliefs,
        u,
        params.tie_strength_initial,
    )


@kernel
def _initial_ties(n, to, strength, belief, slots, employee_id, manager, team, level, ptr, order,
                  beliefs, u, strength0):  # fmt: skip
    for s in range(len(slots)):
        i = slots[s]
        m = manager[i]
        if m >= 0 and employee_id[m] >= 0:
            _add_tie(n, to, strength, belief, i, employee_id[m], beliefs, level[m], strength0)
        t = team[i]
        size = ptr[t + 1] - ptr[t]
        for c in range(u.shape[1]):
            if size <= 1:
                break
            j = order[ptr[t] + min(int(u[s, c] * size), size - 1)]
            if j != i and employee_id[j] >= 0:
                _add_tie(n, to, strength, belief, i, employee_id[j], beliefs, level[j], strength0)


@helper
def _add_tie(n, to, strength, belief, i, other, beliefs, level, strength0):
    """Add a tie from ``i`` to employee ``other`` unless there is one; return its index.

    A new tie's beliefs start at ``beliefs[level]`` (the mean skill of the other's
    level). A full row replaces its weakest tie if that is weaker than a new tie would
    be; otherwise nothing is added and -1 is returned.
    """
    for k in range(n[i]):
        if to[i, k] == other:
            return k
    if n[i] < to.shape[1]:
        k = n[i]
        n[i] += 1
    else:
        k = 0
        for b in range(1, n[i]):
            if strength[i, b] < strength[i, k]:
                k = b
        if float(strength[i, k]) >= strength0:
            return -1
    to[i, k] = other
    strength[i, k] = strength0
    for d in range(belief.shape[1]):
        belief[i, d, k] = beliefs[level, d]
    return k


@helper
def _prefetch_row(to, strength, belief, i):
    """Ask for the first line of row ``i``'s ties, strengths and each domain's beliefs."""
    prefetch(to, i)
    prefetch(strength, i)
    for d in range(belief.shape[1]):
        prefetch(belief, i, d)


@helper
def _drop_tie(n, to, strength, belief, programme, i, k):
    """Remove tie ``k`` of row ``i``, moving the row's last tie into its place."""
    last = n[i] - 1
    to[i, k] = to[i, last]
    strength[i, k] = strength[i, last]
    programme[i, k] = programme[i, last]
    for d in range(belief.shape[1]):
        belief[i, d, k] = belief[i, d, last]
    to[i, last] = -1
    strength[i, last] = 0.0
    programme[i, last] = False
    n[i] = last


def seed_ties(
    net: AdviceNetwork,
    seeker: np.ndarray,
    adviser: np.ndarray,
    strength: np.ndarray,
    employee_id: np.ndarray,
    level: np.ndarray,
    beliefs: np.ndarray,
) -> None:
    """Start from given ties (positions and strengths), e.g. an organisation's survey.

    Beliefs start, as for any new tie, at the mean skill of the adviser's level; a row
    with more ties than it can keep keeps the strongest.
    """
    order = np.argsort(-strength, kind="stable")
    _seed_ties(
        net.n,
        net.to,
        net.strength,
        net.belief,
        seeker[order],
        adviser[order],
        strength[order],
        employee_id,
        level,
        beliefs,
    )


@kernel
def _seed_ties(n, to, strength, belief, seeker, adviser, weight, employee_id, level, beliefs):
    for e in range(len(seeker)):
        i, j = seeker[e], adviser[e]
        if i != j and employee_id[i] >= 0 and employee_id[j] >= 0:
            _add_tie(n, to, strength, belief, i, employee_id[j], beliefs, level[j], weight[e])


class TieRules(NamedTuple):
    """The numbers of the weekly pass over every row of ties (:func:`tend`).

    Attributes:
        decay: Whether ties decay and ties to leavers or too weak are dropped.
        bridge: Strength kept in a week by a tie across teams.
        embedded: Strength kept in a week by a tie within a team.
        minimum: Ties weaker than this are dropped.
        form: Whether employees get to know new colleagues.
        p_form: Weekly chance of a new tie.
        share_in_team: Share of new ties made in one's own team.
        homophily: Chance of accepting a tie across the organisation, by level distance.
        strength0: Strength of a new tie.
        ask: Whether employees ask for advice.
        p_seek: Weekly chance of asking, before safety and proactivity.
        deference: Weight of an adviser by the levels they stand above the seeker.
        rate_belief: Share of the gap between belief and skill an episode closes.
        per_contact: Share of the gap to full strength a contact closes.
    """

    decay: bool
    bridge: float
    embedded: float
    minimum: float
    form: bool
    p_form: float
    share_in_team: float
    homophily: np.ndarray
    strength0: float
    ask: bool
    p_seek: float
    deference: np.ndarray
    rate_belief: float
    per_contact: float


def tie_rules(
    params: Informal, n_levels: int, *, decay: bool = True, form: bool = True, ask: bool = True
) -> TieRules:
    """The :class:`TieRules` of ``params`` for an organisation of ``n_levels`` levels.

    ``decay``, ``form`` and ``ask`` choose which of the three rules the pass applies.
    """
    loss = decay_per_week(params.dur_tie_half_life_weeks)  # share of strength lost a week
    return TieRules(
        decay=decay,
        bridge=1.0 - loss,
        embedded=1.0 - loss * params.rel_decay_embedded,
        minimum=params.tie_strength_min,
        form=form,
        p_form=params.p_tie_form_per_week,
        share_in_team=params.share_form_in_team,
        homophily=np.exp(-np.arange(n_levels) / params.homophily_level_scale),
        strength0=params.tie_strength_initial,
        ask=ask,
        p_seek=params.p_seek_per_week,
        deference=(1.0 - params.power_distance) ** np.arange(n_levels),
        rate_belief=params.rate_belief_update,
        per_contact=params.tie_strength_per_contact,
    )


def tend(
    net: AdviceNetwork,
    *,
    skill: np.ndarray,
    employee_id: np.ndarray,
    slot_of_id: np.ndarray,
    level: np.ndarray,
    team: np.ndarray,
    members: tuple[np.ndarray, np.ndarray],
    beliefs: np.ndarray,
    usage_by_level: np.ndarray,
    u: np.ndarray,
    proactivity: np.ndarray,
    rules: TieRules,
) -> Advice:
    """A week of the network in one pass over its rows: decay, new ties, who asks whom.

    Row by row, employee ``i``'s ties decay and lose those to leavers and those grown too
    weak (:func:`maintain`), ``i`` may get to know a colleague (:func:`form`), and ``i``
    may choose whom to ask (:func:`seek`). Each step of row ``i`` reads and changes only
    row ``i`` of the network, so one pass gives what the three passes in turn give, at
    the cost of loading each row once (docs/performance.md). The episodes are chosen
    from the skills and ties as they are when the pass runs, which are the ones the
    advice of phase 3 sees: nothing changes them between phase 1 and the advice.

    The seeker's side of each episode is taken here too, while the row is loaded: the
    episode's quality is the tie's strength as chosen, the seeker's belief about the
    adviser in the domain asked about moves toward the adviser's skill by
    ``rate_belief_update``, and the tie gains ``tie_strength_per_contact`` of its gap to
    1. The adviser's side (:func:`after_advice`) follows in phase 3. Taking the
    seeker's side in phase 1 rather than with the adviser's changes no number: the
    skills are those of the start of phase 3, a row's ties are read by nobody else
    before then, and a tie strengthened twice (as one episode's seeker's and another's
    adviser's tie back) gets the same update twice, in either order.

    Args:
        net: The network (changed in place).
        skill: Skill of each position (positions, domains).
        employee_id: Occupant of each position, -1 if vacant.
        slot_of_id: Position of each employee id, -1 once they left.
        level: Level of each position.
        team: Team of each position.
        members: :func:`team_members` of ``team``.
        beliefs: :func:`level_means`, the starting belief about a new tie by level.
        usage_by_level: Job usage of each domain by level (levels, domains).
        u: This week's draws (:func:`draw_week`).
        proactivity: Proactivity of each position's occupant.
        rules: :func:`tie_rules`.

    Returns:
        This week's episodes (:class:`Advice`; none unless ``rules.ask``).
    """
    ptr, order = members
    seeker, adviser, domain, tie, quality = _tend(
        net.n,
        net.to,
        net.strength,
        net.belief,
        net.programme,
        net.team_safety,
        skill,
        employee_id,
        slot_of_id,
        level,
        team,
        ptr,
        order,
        beliefs,
        usage_by_level,
        u,
        proactivity,
        rules,
    )
    return Advice(seeker, adviser, domain, tie, quality)


def maintain(
    net: AdviceNetwork, slot_of_id: np.ndarray, team: np.ndarray, params: Informal
) -> None:
    """Decay every tie for a week; drop ties to leavers and ties grown too weak.

    Within a team a tie keeps ``1 - loss * rel_decay_embedded`` of its strength, across
    teams ``1 - loss``, with ``loss`` the weekly share of ``dur_tie_half_life_weeks``.
    """
    _tend_only(net, slot_of_id, team, tie_rules(params, 1, form=False, ask=False))


def drop_leavers(net: AdviceNetwork, slot_of_id: np.ndarray, team: np.ndarray) -> None:
    """Drop the ties that name someone who has left, and change nothing else."""
    keep = TieRules(
        True, 1.0, 1.0, 0.0, False, 0.0, 0.0, np.ones(1), 0.0, False, 0.0, np.ones(1), 0.0, 0.0
    )
    _tend_only(net, slot_of_id, team, keep)


def _tend_only(net: AdviceNetwork, slot_of_id: np.ndarray, team: np.ndarray, rules: TieRules):
    """:func:`tend` with decay alone, which reads no more than the ties and the teams."""
    n = len(team)
    tend(
        net,
        skill=np.zeros((n, 1)),
        employee_id=np.zeros(0, dtype=np.int64),
        slot_of_id=slot_of_id,
        level=np.zeros(0, dtype=np.int64),
        team=team,
        members=(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)),
        beliefs=np.zeros((0, 1)),
        usage_by_level=np.zeros((0, 1)),
        u=np.zeros((0, N_DRAWS)),
        proactivity=np.zeros(0),
        rules=rules,
    )


def form(
    net: AdviceNetwork,
    employee_id: np.ndarray,
    level: np.ndarray,
    team: np.ndarray,
    members: tuple[np.ndarray, np.ndarray],
    beliefs: np.ndarray,
    u: np.ndarray,
    params: Informal,
) -> None:
    """Each employee gets to know one more colleague with the weekly chance of a new tie.

    Within the team the colleague is any teammate (the manager included); across the
    organisation it is anyone, accepted with probability exp(-level distance / scale).
    """
    n_levels = int(level.max()) + 1 if len(level) else 1
    tend(
        net,
        skill=np.zeros((len(level), 1)),
        employee_id=employee_id,
        slot_of_id=np.zeros(0, dtype=np.int64),
        level=level,
        team=team,
        members=members,
        beliefs=beliefs,
        usage_by_level=np.zeros((0, 1)),
        u=u,
        proactivity=np.zeros(0),
        rules=tie_rules(params, n_levels, decay=False, ask=False),
    )


def seek(
    net: AdviceNetwork,
    skill: np.ndarray,
    employee_id: np.ndarray,
    slot_of_id: np.ndarray,
    level: np.ndarray,
    team: np.ndarray,
    usage_by_level: np.ndarray,
    u: np.ndarray,
    proactivity: np.ndarray,
    params: Informal,
) -> Advice:
    """Who asks whom this week, about what.

    An employee asks with chance ``p_seek_per_week`` times their team's safety times
    their proactivity (:mod:`.traits`); the
    domain is drawn in proportion to usage by their job times their gap to mastery; the
    tie in proportion to strength times belief in that domain times
    ``(1 - power_distance) ** levels above``. The seeker's side of each episode (belief
    and tie) is taken at once, as in :func:`tend`.

    Returns:
        The episodes (:class:`Advice`).
    """
    return tend(
        net,
        skill=skill,
        employee_id=employee_id,
        slot_of_id=slot_of_id,
        level=level,
        team=team,
        members=(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)),
        beliefs=np.zeros((0, 1)),
        usage_by_level=usage_by_level,
        u=u,
        proactivity=proactivity,
        rules=tie_rules(params, usage_by_level.shape[0], decay=False, form=False),
    )


@kernel
def _tend(n_ties, to, strength, belief, programme, team_safety, skill, employee_id, slot_of_id,
          level, team, ptr, order, beliefs, usage, u, proactivity, rules):  # fmt: skip
    n, n_domains = skill.shape
    seeker = np.empty(n if rules.ask else 0, dtype=np.int64)
    adviser = np.empty_like(seeker)
    domain = np.empty_like(seeker)
    tie = np.empty_like(seeker)
    quality = np.empty(len(seeker))
    need = np.empty(n_domains)
    score = np.empty(to.shape[1])
    embedded, bridge, minimum = rules.embedded, rules.bridge, rules.minimum
    m = 0
    for i in range(n):
        ti = team[i]
        if i + AHEAD < n:  # the lines of a row to come: its ties, its draws, its beliefs
            _prefetch_row(to, strength, belief, i + AHEAD)
            if len(u):
                prefetch(u, i + AHEAD)
        if rules.decay:  # maintain
            k = 0
            last = n_ties[i]
            while k < last:
                while k < last:  # ties kept (a tight loop: most are)
                    ku = unsigned(k)
                    j = slot_of_id[unsigned(to[i, ku])]
                    if j < 0:
                        break
                    s = float(strength[i, ku]) * (embedded if team[j] == ti else bridge)
                    if not s >= minimum:  # (a NaN strength is dropped, as before)
                        break
                    strength[i, ku] = s
                    k += 1
                if k < last:  # to a leaver, or too weak: the row's last tie takes its place
                    _drop_tie(n_ties, to, strength, belief, programme, i, k)
                    last -= 1
        if not (rules.form or rules.ask) or employee_id[i] < 0:
            continue
        if rules.form and u[i, FORM] < rules.p_form:  # form
            if u[i, IN_TEAM] < rules.share_in_team:
                size = ptr[ti + 1] - ptr[ti]
                j = order[ptr[ti] + min(int(u[i, PICK] * size), size - 1)]
                accepted = True
            else:
                j = min(int(u[i, PICK] * n), n - 1)
                accepted = u[i, ACCEPT] < rules.homophily[abs(level[j] - level[i])]
            if accepted and j != i and employee_id[j] >= 0:
                _add_tie(n_ties, to, strength, belief, i, employee_id[j], beliefs, level[j],
                         rules.strength0)  # fmt: skip
        if not rules.ask or u[i, SEEK] >= rules.p_seek * team_safety[ti] * proactivity[i]:
            continue
        # seek: the domain by usage times the gap to mastery
        total = 0.0
        lv = unsigned(level[i])
        for d in range(n_domains):
            need[d] = usage[lv, d] * max(1.0 - skill[i, d], 0.0)
            total += need[d]
        if total <= 0.0:
            continue
        target = u[i, DOMAIN] * total
        d_pick = n_domains - 1
        acc = 0.0
        for d in range(n_domains):
            acc += need[d]
            if target < acc:
                d_pick = d
                break
        # ... and the tie by strength times belief times deference
        total = 0.0
        to_i, strength_i, belief_i = to[i], strength[i], belief[i, d_pick]
        level_i = level[i]
        for k in range(n_ties[i]):
            score[k] = 0.0
            j = slot_of_id[unsigned(to_i[k])]
            if j < 0:
                continue
            up = unsigned(max(level[j] - level_i, 0))
            # In 64 bits, as everywhere: in a kernel float() keeps a 32-bit number in 32
            # bits, and a product of two would be rounded to 32 (unlike plain Python).
            score[k] = np.float64(strength_i[k]) * np.float64(belief_i[k]) * rules.deference[up]
            total += score[k]
        if total <= 0.0:
            continue
        target = u[i, TIE] * total
        k_pick = -1
        acc = 0.0
        for k in range(n_ties[i]):
            if score[k] > 0.0:
                k_pick = k
                acc += score[k]
                if target < acc:
                    break
        if k_pick < 0:  # no score above 0 though the total is not 0: a NaN strength or belief
            continue
        e, kp = unsigned(m), unsigned(k_pick)
        j = slot_of_id[unsigned(to[i, kp])]
        seeker[e] = i
        adviser[e] = j
        domain[e] = d_pick
        tie[e] = k_pick
        # The seeker's side of the episode, while the row is in the cache: the advice's
        # quality is the tie's strength as chosen, then the seeker learns who knows what
        # and the tie strengthens (docs/model.md 7.13; the adviser's side is after_advice).
        q = float(strength[i, kp])
        quality[e] = q
        old = float(belief[i, d_pick, kp])
        belief[i, d_pick, kp] = old + rules.rate_belief * (skill[j, d_pick] - old)
        strength[i, kp] = q + rules.per_contact * (1.0 - q)
        m += 1
    return seeker[:m], adviser[:m], domain[:m], tie[:m], quality[:m]


def after_advice(
    net: AdviceNetwork,
    advice: Advice,
    employee_id: np.ndarray,
    params: Informal,
) -> None:
    """The adviser's side of this week's episodes: the tie back, and advice given.

    If the adviser has a tie back to the seeker, it gains ``tie_strength_per_contact``
    of its gap to 1; the adviser's count of advice given goes up. The seeker's side
    (what the seeker learns of who knows what, and their stronger tie) was taken when the
    episode was chosen (:func:`tend`).
    """
    _after_advice(
        net.n,
        net.given,
        net.to,
        net.strength,
        advice.seeker,
        advice.adviser,
        employee_id,
        params.tie_strength_per_contact,
    )


@kernel
def _after_advice(n, given, to, strength, seeker, adviser, employee_id, gain):
    for e in range(len(seeker)):
        if e + AHEAD < len(seeker):  # the adviser's row of an episode to come
            prefetch(to, adviser[e + AHEAD])
            prefetch(strength, adviser[e + AHEAD])
        j = unsigned(adviser[e])
        given[j] += 1
        me = employee_id[seeker[e]]
        for b in range(n[j]):
            if to[j, b] == me:
                s = float(strength[j, b])
                strength[j, b] = s + gain * (1.0 - s)
                break


def programme_contacts(
    net: AdviceNetwork,
    learner: np.ndarray,
    partner: np.ndarray,
    skill: np.ndarray,
    employee_id: np.ndarray,
    level: np.ndarray,
    beliefs: np.ndarray,
    params: Informal,
) -> None:
    """Programme sessions make and strengthen advice ties, marked as the programme's.

    Each session's learner gets (or strengthens) a tie to the partner; at the first
    session the learner also learns what the partner knows, in every domain (belief
    update). Such ties then decay like any other, so they outlast the programme for a
    while (its legacy).
    """
    _programme_contacts(
        net.n,
        net.to,
        net.strength,
        net.belief,
        net.programme,
        learner,
        partner,
        skill,
        employee_id,
        level,
        beliefs,
        params.tie_strength_initial,
        params.tie_strength_per_contact,
        params.rate_belief_update,
    )


@kernel
def _programme_contacts(n, to, strength, belief, programme, learner, partner, skill, employee_id,
                        level, beliefs, strength0, gain, rate):  # fmt: skip
    for e in range(len(learner)):
        if e + AHEAD < len(learner):  # the learner's row of a session to come
            prefetch(to, learner[e + AHEAD])
            prefetch(strength, learner[e + AHEAD])
            prefetch(programme, learner[e + AHEAD])
        if learner[e] == partner[e]:
            continue
        i, j = unsigned(learner[e]), unsigned(partner[e])
        if employee_id[i] < 0 or employee_id[j] < 0:
            continue
        k = _add_tie(n, to, strength, belief, i, employee_id[j], beliefs, level[j], strength0)
        if k < 0:
            continue
        s = float(strength[i, k])
        strength[i, k] = s + gain * (1.0 - s)
        if not programme[i, k]:  # the first session: learning what the partner knows
            programme[i, k] = True
            for d in range(skill.shape[1]):
                old = float(belief[i, d, k])
                belief[i, d, k] = old + rate * (skill[j, d] - old)


def manager_feedback(
    net: AdviceNetwork,
    *,
    feedback: np.ndarray,
    employee_id: np.ndarray,
    manager: np.ndarray,
    level: np.ndarray,
    skill: np.ndarray,
    proactivity: np.ndarray,
    teaching: np.ndarray,
    usage_by_level: np.ndarray,
    u: np.ndarray,
    params: Informal,
) -> int:
    """Managers give reports routine feedback; return the number of conversations.

    A report gets a conversation with chance ``p_manager_feedback_per_week`` times the
    manager's inclination to coach (capped at 1). A conversation adds
    ``feedback_per_conversation`` to the report's feedback stock by the rule of
    :mod:`.feedback`: weighted per domain by the report's proactivity, the manager's
    teaching skill, the report's job usage and the manager's skill.
    """
    return _manager_feedback(
        feedback,
        net.coaching,
        employee_id,
        manager,
        level,
        skill,
        proactivity,
        teaching,
        usage_by_level,
        u,
        params.p_manager_feedback_per_week,
        params.feedback_per_conversation,
    )


@kernel
def _manager_feedback(feedback, coaching, employee_id, manager, level, skill, proactivity,
                      teaching, usage, u, p, amount):  # fmt: skip
    n = 0
    for i in range(len(employee_id)):
        m = manager[i]
        if employee_id[i] < 0 or m < 0 or employee_id[m] < 0:
            continue
        if u[i, FEEDBACK] < min(p * coaching[m], 1.0):
            a = amount * proactivity[i] * teaching[m]
            lv = unsigned(level[i])
            for d in range(feedback.shape[1]):
                total = min(a * usage[lv, d] * skill[m, d], 1.0)
                feedback[i, d] += total * (1.0 - feedback[i, d])
            n += 1
    return n
