"""Feedback on practice (docs/model.md section 7.4, phase 3).

Feedback is a stock per person and domain in [0, 1]; practice reads it (transfer and the
plateau, :mod:`.practice`) and it fades with ``learning.dur_feedback_half_life_weeks``.
Sessions and managers add to it. What a conversation adds in a domain follows from who
takes part:

    amount * proactivity(learner) * teaching(giver) * focus(d) * usage(learner, d) * skill(giver, d)

so feedback lands on the domains the conversation covers and the learner's job uses, and
is worth more from someone skilled in the domain. The stock rises toward 1 by
``min(total, 1) * (1 - stock)`` for the week's total in each domain, as the sponsorship
stock does. None of these functions draws random numbers.
"""

from __future__ import annotations

import numpy as np

from sim.jit import helper, kernel


def session_amounts(
    rate_per_hour: float,
    feedback_hours: float,
    quality: np.ndarray,
    share: np.ndarray,
    proactivity_of_learner: np.ndarray,
    teaching_of_partner: np.ndarray,
) -> np.ndarray:
    """Feedback each directed session gives before the domain weights.

    Args:
        rate_per_hour: ``learning.feedback_per_hour``.
        feedback_hours: Hours of each session spent on feedback on the learner's practice
            (session length times the share of sessions that follow up an earlier one;
            0 for observation).
        quality: Relationship quality times psychological safety, per directed session.
        share: Share of a session each directed session stands for.
        proactivity_of_learner: The learner's proactivity, per directed session.
        teaching_of_partner: The partner's teaching skill, per directed session.

    Returns:
        The amount per directed session.
    """
    base = rate_per_hour * feedback_hours
    return _session_amounts(base, quality, share, proactivity_of_learner, teaching_of_partner)


@kernel
def _session_amounts(base, quality, share, proactivity, teaching):
    out = np.empty(len(quality))
    for k in range(len(quality)):
        out[k] = session_amount(base, quality[k], share[k], proactivity[k], teaching[k])
    return out


@helper
def session_amount(base, quality, share, proactivity, teaching):
    """One directed session's feedback before the domain weights (:func:`session_amounts`).

    ``base`` is ``feedback_per_hour`` times the session's feedback hours.
    """
    return base * quality * share * proactivity * teaching


def add_feedback(
    feedback: np.ndarray,
    learner: np.ndarray,
    giver: np.ndarray,
    amount: np.ndarray,
    focus: np.ndarray,
    usage_by_level: np.ndarray,
    level: np.ndarray,
    skill: np.ndarray,
) -> None:
    """Add the feedback of a batch of conversations to the stock, per domain, in place.

    Args:
        feedback: Feedback stock (slots, domains), raised in place.
        learner: Slot of the person receiving each conversation's feedback.
        giver: Slot of the person giving it.
        amount: Amount of each conversation before the domain weights.
        focus: Weight of each domain per conversation (conversations, domains), or one
            row for all (domains,).
        usage_by_level: Job usage (levels, domains); the learner's level's row weighs the
            domains.
        level: Level of each slot.
        skill: Skill (slots, domains) at the start of the phase; the giver's weighs the
            domains.
    """
    if len(learner) == 0:
        return
    if focus.ndim == 1:
        focus = np.broadcast_to(focus, (len(learner), len(focus)))
    _add_feedback(feedback, learner, giver, amount, focus, usage_by_level, level, skill)


@kernel
def _add_feedback(feedback, learner, giver, amount, focus, usage_by_level, level, skill):
    feedback_into(feedback, learner, giver, amount, focus, usage_by_level, level, skill)


@helper
def feedback_into(feedback, learner, giver, amount, focus, usage_by_level, level, skill):
    """The rule of :func:`add_feedback`, for kernels that add a batch's feedback themselves."""
    n_domains = feedback.shape[1]
    total = np.zeros((len(learner), n_domains))
    first = np.full(feedback.shape[0], -1, dtype=np.int64)
    for k in range(len(learner)):
        i, j = learner[k], giver[k]
        row = first[i]
        if row < 0:
            row = k
            first[i] = k
        lv = level[i]
        for d in range(n_domains):
            total[row, d] += amount[k] * focus[k, d] * usage_by_level[lv, d] * skill[j, d]
    for k in range(len(learner)):
        i = learner[k]
        if first[i] == k:
            for d in range(n_domains):
                if total[k, d] != 0.0:
                    feedback[i, d] += min(total[k, d], 1.0) * (1.0 - feedback[i, d])
