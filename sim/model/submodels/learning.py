"""Learning submodels: learning in sessions, on-the-job practice, forgetting.

Pure functions of arrays and parameters; none of them draws random numbers. The weekly
work runs in compiled kernels (numba) that loop once over the sessions or employees;
:func:`practice_and_forgetting` keeps the formula in array form, and a test checks that
the kernel :func:`practise` applies exactly it.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.scenario.schema import Learning


def absorption(gap: np.ndarray, gap_absorption: float) -> np.ndarray:
    """Share of a skill gap a learner can absorb: exp(-gap / gap_absorption).

    The gain ``gap * absorption(gap)`` is largest when the gap equals ``gap_absorption``
    and falls for larger gaps: a partner far ahead is harder to learn from than one a
    little ahead (absorptive capacity, Cohen & Levinthal 1990).

    Args:
        gap: Partner's skill minus the learner's, >= 0.
        gap_absorption: Scale of the fall-off, in skill units (> 0).

    Returns:
        Absorption in (0, 1], same shape as ``gap``.
    """
    return np.exp(-gap / gap_absorption)


def session_gains(
    skill: np.ndarray,
    learner: np.ndarray,
    partner: np.ndarray,
    hours: np.ndarray,
    quality: np.ndarray,
    focus: np.ndarray,
    params: Learning,
    out: np.ndarray | None = None,
    mirrored: bool = False,
) -> np.ndarray:
    """Skill gained by learners in one week's sessions, summed per employee.

    Each learner moves toward the partner in every domain where the partner is stronger:
    gain = min(1, rate * hours * quality * focus * absorption(gap)) * gap.
    All gains are computed from the skills at the start of the phase.

    Args:
        skill: Skill array (slots, domains).
        learner: Slot of the learner of each directed session.
        partner: Slot of the partner learned from.
        hours: Session hours of each directed session.
        quality: Relationship quality in [0, 1] of each session.
        focus: Weight of each domain, for all sessions (domains,) or per session
            (sessions, domains).
        params: Learning parameters.
        out: Array of gains to add to (slots, domains); a new zero array if omitted.
        mirrored: The second half of the sessions mirrors the first (see
            :class:`sim.model.programmes.sessions.Sessions`): in each domain only one of a session
            and its mirror has a positive gap, so the gap and its absorption are computed
            once for both.

    Returns:
        Gains of shape (slots, domains), zero for employees without sessions.
    """
    gains = np.zeros_like(skill) if out is None else out
    if len(learner):
        if focus.ndim == 1:
            focus = np.broadcast_to(focus, (len(learner), skill.shape[1]))
        if mirrored and len(learner) % 2:
            raise ValueError(f"a mirrored batch has an even number of sessions, not {len(learner)}")
        half = len(learner) // 2 if mirrored else len(learner)
        diff, exponent = _session_gaps(
            skill, learner[:half], partner[:half], -1.0 / params.gap_absorption
        )
        # numpy's vectorised exp is several times faster than a scalar exp in the loop.
        absorbed = np.exp(exponent, out=exponent)
        rate = params.rate_session_per_hour
        _add_session_gains(gains, learner, diff, absorbed, hours, quality, focus, rate, half)
    return gains


@kernel
def _session_gaps(skill, learner, partner, minus_inverse_absorption):
    """Partner's skill minus the learner's, and -|difference| / gap_absorption."""
    n_domains = skill.shape[1]
    diff = np.empty((len(learner), n_domains))
    exponent = np.empty((len(learner), n_domains))
    for k in range(len(learner)):
        i, j = learner[k], partner[k]
        for d in range(n_domains):
            x = skill[j, d] - skill[i, d]
            diff[k, d] = x
            exponent[k, d] = abs(x) * minus_inverse_absorption
    return diff, exponent


@kernel
def _add_session_gains(gains, learner, diff, absorbed, hours, quality, focus, rate, half):
    """Add each session's gain; sessions from ``half`` on mirror those before ``half``."""
    for k in range(half):
        i = learner[k]
        base = rate * (hours[k] * quality[k])
        for d in range(diff.shape[1]):  # no branch on gap > 0: a zero gap adds zero
            gap = max(diff[k, d], 0.0)
            gains[i, d] += min(base * focus[k, d] * absorbed[k, d], 1.0) * gap
    for k in range(half, len(learner)):
        i = learner[k]
        m = k - half
        base = rate * (hours[k] * quality[k])
        for d in range(diff.shape[1]):
            gap = max(-diff[m, d], 0.0)
            gains[i, d] += min(base * focus[k, d] * absorbed[m, d], 1.0) * gap


def add_guide_practice(
    gains: np.ndarray,
    skill: np.ndarray,
    guide: np.ndarray,
    guide_rate: np.ndarray,
    domains: np.ndarray,
) -> None:
    """Add the practice guides get from guiding: min(rate, 1) * (1 - skill) in ``domains``.

    Args:
        gains: Gains (slots, domains), added to in place.
        skill: Skill (slots, domains) at the start of the phase.
        guide: Slot of the guide of each session.
        guide_rate: Practice rate of each session (rate per hour times guide hours).
        domains: Weight of each domain guiding exercises (0 or 1), (domains,).
    """
    _add_guide_practice(gains, skill, guide, guide_rate, domains)


@kernel
def _add_guide_practice(gains, skill, guide, guide_rate, domains):
    for k in range(len(guide)):
        g = guide[k]
        rate = min(guide_rate[k], 1.0)
        for d in range(skill.shape[1]):
            gains[g, d] += rate * (max(1.0 - skill[g, d], 0.0) * domains[d])


def _per_entry(amount: np.ndarray | float, slots: np.ndarray) -> np.ndarray:
    """``amount`` as one float per entry of ``slots`` (a scalar is repeated)."""
    if isinstance(amount, np.ndarray) and amount.dtype == np.float64:
        if amount.shape != slots.shape:
            raise ValueError(f"{len(slots)} slots but amounts of shape {amount.shape}")
        return amount
    return np.broadcast_to(np.asarray(amount, dtype=np.float64), slots.shape)


def scatter_add(total: np.ndarray, slots: np.ndarray, amount: np.ndarray | float) -> None:
    """``total[slots] += amount``, with repeated slots summed in order (``np.add.at``)."""
    if len(slots):
        amount = _per_entry(amount, slots)
        _scatter_add(total, slots, amount)


@kernel
def _scatter_add(total, slots, amount):
    for k in range(len(slots)):
        total[slots[k]] += amount[k]


def mean_per_person(skill: np.ndarray) -> np.ndarray:
    """Mean skill over the domains of each row of ``skill`` (slots,)."""
    return _mean_per_person(skill)


@kernel
def _mean_per_person(skill):
    n, n_domains = skill.shape
    out = np.empty(n)
    for i in range(n):
        total = 0.0
        for d in range(n_domains):
            total += skill[i, d]
        out[i] = total / n_domains
    return out


def within_cap(
    used: np.ndarray, attendee: np.ndarray, attendee_hours: np.ndarray, cap: float
) -> np.ndarray | None:
    """Add a programme's session hours to ``used``, unless that takes someone over ``cap``.

    Args:
        used: Hours each slot has already spent in sessions this week; the programme's
            hours are added in place when nobody goes over the cap.
        attendee: Slot of each attendance.
        attendee_hours: Hours of each attendance.
        cap: Most hours a slot may spend in sessions per week.

    Returns:
        None when the hours were added; otherwise a mask of the slots that would go over
        the cap (``used`` is then unchanged).
    """
    over = _over_cap(used, attendee, attendee_hours, cap + 1e-9)
    return over if over.any() else None


@kernel
def _over_cap(used, attendee, attendee_hours, cap):
    n = len(used)
    mine = np.zeros(n)
    for k in range(len(attendee)):
        mine[attendee[k]] += attendee_hours[k]
    over = np.zeros(n, dtype=np.bool_)
    anyone = False
    for k in range(len(attendee)):
        i = attendee[k]
        if used[i] + mine[i] > cap:
            over[i] = True
            anyone = True
    if not anyone:
        for k in range(len(attendee)):
            i = attendee[k]
            used[i] += mine[i]
            mine[i] = 0.0
    return over


def update_proficiency(
    skill: np.ndarray,
    level: np.ndarray,
    weights_by_level: np.ndarray,
    employee_id: np.ndarray,
    tenure_weeks: np.ndarray,
    reached: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, int, float]:
    """Proficiency scores, and who became proficient for the first time since hire.

    Args:
        skill: Skill (slots, domains).
        level: Level of each slot.
        weights_by_level: Weight of each domain in the score at each level (levels, domains).
        employee_id: Occupant of each slot (-1 if vacant).
        tenure_weeks: Weeks since hire of each occupant.
        reached: Whether each occupant has been proficient since hire; set in place.
        threshold: Proficiency threshold.

    Returns:
        The score per slot, how many occupants reached the threshold for the first time,
        and the sum of their tenures (weeks).
    """
    return _update_proficiency(
        skill, level, weights_by_level, employee_id, tenure_weeks, reached, threshold
    )


@kernel
def _update_proficiency(skill, level, weights, employee_id, tenure_weeks, reached, threshold):
    n, n_domains = skill.shape
    score = np.empty(n)
    n_newly = 0
    weeks = 0.0
    for i in range(n):
        s = 0.0
        for d in range(n_domains):
            s += skill[i, d] * weights[level[i], d]
        score[i] = s
        if s >= threshold and not reached[i] and employee_id[i] >= 0:
            reached[i] = True
            n_newly += 1
            weeks += tenure_weeks[i]
    return score, n_newly, weeks


@kernel
def apply_gains(skill: np.ndarray, gains: np.ndarray) -> None:
    """``skill += gains``, clipped to [0, 1], in place."""
    for i in range(skill.shape[0]):
        for d in range(skill.shape[1]):
            skill[i, d] = min(max(skill[i, d] + gains[i, d], 0.0), 1.0)


def decay_per_week(half_life_weeks: float) -> float:
    """Weekly share of skill above the floor lost in a wholly unused domain."""
    return 1.0 - 2.0 ** (-1.0 / half_life_weeks)


def practice_and_forgetting(
    skill: np.ndarray, usage: np.ndarray, feedback: np.ndarray, params: Learning
) -> np.ndarray:
    """Weekly change of skill from on-the-job practice and forgetting.

    Practice moves skill toward a plateau at a rate scaled by how much the job uses the
    domain and by transfer (the share of practice that turns into skill). Feedback
    raises both transfer and the plateau, so coached peers of equal skill still gain.
    The unused share of the week lets skill above the floor decay with the half-life of
    ``dur_skill_half_life_weeks`` (Tatel & Ackerman 2025).

    Args:
        skill: Skill array (slots, domains).
        usage: Job usage of each domain for each employee's level (slots, domains).
        feedback: Feedback stock per employee in [0, 1] (slots,).
        params: Learning parameters.

    Returns:
        The change in skill (slots, domains); applying it keeps skill within [0, 1].
    """
    fb = feedback[:, None]
    transfer = params.transfer_base + (1.0 - params.transfer_base) * fb
    plateau = params.skill_plateau + (1.0 - params.skill_plateau) * params.rel_feedback_plateau * fb
    practice = params.rate_practice_per_week * usage * transfer * np.maximum(plateau - skill, 0.0)
    lam = decay_per_week(params.dur_skill_half_life_weeks)
    forgetting = (1.0 - usage) * lam * np.maximum(skill - params.skill_floor, 0.0)
    return practice - forgetting


def practise(
    skill: np.ndarray,
    usage_by_level: np.ndarray,
    level: np.ndarray,
    feedback: np.ndarray,
    params: Learning,
) -> None:
    """Apply one week of :func:`practice_and_forgetting` to ``skill`` in place, clipped.

    Args:
        skill: Skill array (slots, domains), changed in place.
        usage_by_level: Job usage of each domain at each level (levels, domains).
        level: Level of each slot.
        feedback: Feedback stock per slot in [0, 1].
        params: Learning parameters.
    """
    _practise(
        skill,
        usage_by_level,
        level,
        feedback,
        params.rate_practice_per_week,
        params.transfer_base,
        params.skill_plateau,
        params.rel_feedback_plateau,
        decay_per_week(params.dur_skill_half_life_weeks),
        params.skill_floor,
    )


@kernel
def _practise(
    skill, usage_by_level, level, feedback, rate, transfer_base, plateau, rel_fb, lam, floor
):
    for i in range(skill.shape[0]):
        fb = feedback[i]
        transfer = transfer_base + (1.0 - transfer_base) * fb
        top = plateau + (1.0 - plateau) * rel_fb * fb
        lv = level[i]
        for d in range(skill.shape[1]):
            usage = usage_by_level[lv, d]
            s = skill[i, d]
            change = rate * usage * transfer * max(top - s, 0.0)
            change -= (1.0 - usage) * lam * max(s - floor, 0.0)
            skill[i, d] = min(max(s + change, 0.0), 1.0)


def equilibrium_skill(usage: np.ndarray, params: Learning) -> np.ndarray:
    """Skill at which practice (without feedback) and forgetting balance.

    Solves rate * usage * transfer_base * (plateau - s) = (1 - usage) * decay * (s - floor)
    for s: used domains settle near the plateau, unused ones near the floor.

    Args:
        usage: Job usage in [0, 1] (any shape).
        params: Learning parameters.

    Returns:
        The equilibrium skill, same shape as ``usage``.
    """
    a = params.rate_practice_per_week * usage * params.transfer_base
    b = (1.0 - usage) * decay_per_week(params.dur_skill_half_life_weeks)
    return (a * params.skill_plateau + b * params.skill_floor) / np.maximum(a + b, 1e-12)


def decay_stock(stock: np.ndarray, half_life_weeks: float) -> None:
    """Let a stock (feedback, visibility) decay by one week of its half-life, in place."""
    stock *= 2.0 ** (-1.0 / half_life_weeks)


def add_saturating(stock: np.ndarray, slots: np.ndarray, amount: np.ndarray | float) -> None:
    """Raise a [0, 1] stock toward 1: stock += min(sum of amounts, 1) * (1 - stock), per slot.

    Args:
        stock: The stock per slot, changed in place.
        slots: Slot of each amount (repeats are summed first).
        amount: Amount per entry, or one amount for all.
    """
    if len(slots) == 0:
        return
    _add_saturating(stock, slots, _per_entry(amount, slots))


@kernel
def _add_saturating(stock, slots, amount):
    total = np.zeros(len(stock))
    for k in range(len(slots)):
        total[slots[k]] += amount[k]
    for k in range(len(slots)):
        i = slots[k]
        if total[i] != 0.0:
            stock[i] += min(total[i], 1.0) * (1.0 - stock[i])
            total[i] = 0.0
