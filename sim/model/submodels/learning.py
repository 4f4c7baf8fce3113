"""Learning in sessions (docs/model.md section 7.3, phase 3).

Learners move toward their partners' skill, by how much of the gap they can absorb;
guiding exercises the guide's own skills. Pure functions of arrays and parameters; none
of them draws random numbers. The weekly work runs in compiled kernels that loop once
over the sessions.
"""

from __future__ import annotations

import numpy as np

from sim.jit import helper, kernel
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
        half, diff, absorbed = gaps(skill, learner, partner, params, mirrored)
        rate = params.rate_session_per_hour
        _add_session_gains(gains, learner, diff, absorbed, hours, quality, focus, rate, half)
    return gains


def gaps(
    skill: np.ndarray, learner: np.ndarray, partner: np.ndarray, params: Learning, mirrored: bool
) -> tuple[int, np.ndarray, np.ndarray]:
    """The gaps of directed sessions and how much of them can be absorbed.

    Args:
        skill: Skill array (slots, domains).
        learner: Slot of the learner of each directed session.
        partner: Slot of the partner learned from.
        params: Learning parameters.
        mirrored: The second half of the sessions mirrors the first (computed once).

    Returns:
        The number of sessions computed (half of them when mirrored), the partner's skill
        minus the learner's (sessions, domains) and :func:`absorption` of its size.

    Raises:
        ValueError: If a mirrored batch has an odd number of sessions.
    """
    if mirrored and len(learner) % 2:
        raise ValueError(f"a mirrored batch has an even number of sessions, not {len(learner)}")
    half = len(learner) // 2 if mirrored else len(learner)
    diff, exponent = session_gaps(
        skill, learner[:half], partner[:half], -1.0 / params.gap_absorption
    )
    # numpy's vectorised exp is several times faster than a scalar exp in the loop.
    return half, diff, np.exp(exponent, out=exponent)


@kernel
def session_gaps(skill, learner, partner, minus_inverse_absorption):
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


@helper
def _gain(base, focus, absorbed, gap):
    """A session's gain in one domain: min(1, base * focus * absorption) * gap.

    ``base`` is rate per hour times hours times quality; every kernel adds gains by it.
    """
    return min(base * focus * absorbed, 1.0) * gap


@kernel
def _add_session_gains(gains, learner, diff, absorbed, hours, quality, focus, rate, half):
    session_gains_into(gains, learner, diff, absorbed, hours, quality, focus, rate, half)


@helper
def session_gains_into(gains, learner, diff, absorbed, hours, quality, focus, rate, half):
    """Add each session's gain; sessions from ``half`` on mirror those before ``half``."""
    for k in range(half):
        i = learner[k]
        base = rate * (hours[k] * quality[k])
        for d in range(diff.shape[1]):  # no branch on gap > 0: a zero gap adds zero
            gains[i, d] += _gain(base, focus[k, d], absorbed[k, d], max(diff[k, d], 0.0))
    for k in range(half, len(learner)):
        i = learner[k]
        m = k - half
        base = rate * (hours[k] * quality[k])
        for d in range(diff.shape[1]):
            gains[i, d] += _gain(base, focus[k, d], absorbed[m, d], max(-diff[m, d], 0.0))


def focused_gains(
    skill: np.ndarray,
    learner: np.ndarray,
    partner: np.ndarray,
    domain: np.ndarray,
    hours: np.ndarray,
    quality: np.ndarray,
    params: Learning,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Skill gained in sessions that are each about one domain, summed per employee.

    The rule of :func:`session_gains` with focus 1 in each session's ``domain`` and 0 in
    the others, where it adds exactly nothing; so only that domain is computed. Advice
    episodes (section 7.13) are such sessions.

    Args:
        skill: Skill array (slots, domains).
        learner: Slot of the learner of each session.
        partner: Slot of the partner learned from.
        domain: The domain of each session.
        hours: Hours of each session.
        quality: Quality in [0, 1] of each session.
        params: Learning parameters.
        out: Array of gains to add to (slots, domains); a new zero array if omitted.

    Returns:
        Gains of shape (slots, domains), zero for employees without sessions.
    """
    gains = np.zeros_like(skill) if out is None else out
    if len(learner):
        diff, exponent = _focused_gaps(
            skill, learner, partner, domain, -1.0 / params.gap_absorption
        )
        absorbed = np.exp(exponent, out=exponent)
        rate = params.rate_session_per_hour
        _add_focused_gains(gains, learner, domain, diff, absorbed, hours, quality, rate)
    return gains


@kernel
def _focused_gaps(skill, learner, partner, domain, minus_inverse_absorption):
    """:func:`session_gaps` in each session's one domain."""
    diff = np.empty(len(learner))
    exponent = np.empty(len(learner))
    for k in range(len(learner)):
        d = domain[k]
        x = skill[partner[k], d] - skill[learner[k], d]
        diff[k] = x
        exponent[k] = abs(x) * minus_inverse_absorption
    return diff, exponent


@kernel
def _add_focused_gains(gains, learner, domain, diff, absorbed, hours, quality, rate):
    for k in range(len(learner)):
        base = rate * (hours[k] * quality[k])
        gains[learner[k], domain[k]] += _gain(base, 1.0, absorbed[k], max(diff[k], 0.0))


@helper
def guide_practice_into(gains, skill, guide, guide_rate, domains):
    """Add the practice guides get from guiding: min(rate, 1) * (1 - skill) in ``domains``.

    ``gains`` (slots, domains) is added to in place; ``skill`` is at the start of the
    phase; ``guide_rate`` is each session's practice rate (rate per hour times guide hours
    times the guide's ability); ``domains`` weighs each domain (0 or 1).
    """
    for k in range(len(guide)):
        g = guide[k]
        rate = min(guide_rate[k], 1.0)
        for d in range(skill.shape[1]):
            gains[g, d] += rate * (max(1.0 - skill[g, d], 0.0) * domains[d])


@kernel
def apply_gains(skill: np.ndarray, gains: np.ndarray) -> None:
    """``skill += gains``, clipped to [0, 1], in place."""
    for i in range(skill.shape[0]):
        for d in range(skill.shape[1]):
            skill[i, d] = min(max(skill[i, d] + gains[i, d], 0.0), 1.0)
