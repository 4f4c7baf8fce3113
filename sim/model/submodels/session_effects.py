"""What one programme's sessions of a week do to the people in them (phases 3 and 5).

Learners move toward their partners' skill (:mod:`.learning`), guides practise their own
skills by guiding, learners get feedback on their practice (:mod:`.feedback`), and
sponsored learners, and guides who guide people above them, become more visible
(:mod:`.stocks`); then learners and guides draw support from the sessions and spend
hours in them (:func:`engagement_inputs`, read by :mod:`.engagement`). The rules of
phase 3 live in those modules; :func:`apply_sessions` applies all of them to one batch of
sessions in a single compiled pass, because at a few hundred employees the calls, not the
work, are what a week costs (docs/performance.md, "Replicates in batches"). None of these
functions draws random numbers.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from sim.jit import helper, kernel
from sim.model.submodels.feedback import feedback_into, session_amount
from sim.model.submodels.learning import gaps, guide_practice_into, session_gains_into
from sim.model.submodels.stocks import saturate_into
from sim.scenario.schema import Engagement, Learning


class People(NamedTuple):
    """What phase 3 reads and changes of each position (rows of the workforce's arrays).

    Attributes:
        skill: Skill (slots, domains) at the start of the phase; read only.
        level: Level of each slot.
        ability: Each occupant's ability to learn (multiplies what they learn).
        teaching: Each occupant's teaching skill (multiplies what others learn from them).
        proactivity: Each occupant's proactivity (multiplies the feedback they get).
        feedback: Feedback stock (slots, domains), raised in place.
        visibility: Visibility (sponsorship) stock per slot, raised in place.
    """

    skill: np.ndarray
    level: np.ndarray
    ability: np.ndarray
    teaching: np.ndarray
    proactivity: np.ndarray
    feedback: np.ndarray
    visibility: np.ndarray


class Batch(Protocol):
    """What phase 3 needs of a programme's session batch (a ``Sessions``)."""

    @property
    def learner(self) -> np.ndarray:
        """Position of each directed session's learner."""
        ...

    @property
    def partner(self) -> np.ndarray:
        """Position of the partner learned from."""
        ...

    @property
    def hours(self) -> np.ndarray:
        """Learning hours of each directed session."""
        ...

    @property
    def quality(self) -> np.ndarray:
        """Relationship quality times psychological safety, per directed session."""
        ...

    @property
    def share(self) -> np.ndarray:
        """Share of a session each directed session stands for."""
        ...

    @property
    def focus(self) -> np.ndarray:
        """Learning weight per directed session and domain (sessions, domains)."""
        ...

    @property
    def guide(self) -> np.ndarray:
        """Positions of one-way guides, once per session."""
        ...

    @property
    def guide_hours(self) -> np.ndarray:
        """Hours each guide spent in that session."""
        ...

    @property
    def feedback_hours(self) -> float:
        """Hours of each session spent on feedback on the learner's practice."""
        ...

    @property
    def sponsorship_per_session(self) -> float:
        """Visibility a learner gains per session."""
        ...

    @property
    def guide_visibility_per_session(self) -> float:
        """Visibility a guide gains per session."""
        ...

    @property
    def rate_guide_practice_per_hour(self) -> float:
        """Practice a guide gets per hour of guiding."""
        ...

    @property
    def guide_practice(self) -> np.ndarray:
        """Mask of the domains guiding exercises (domains,)."""
        ...

    @property
    def observation(self) -> bool:
        """Whether the learner watches the guide's work instead of a dialogue."""
        ...

    @property
    def mirrored(self) -> bool:
        """Whether the second half of the directed sessions mirrors the first."""
        ...


@helper
def quality_of_learning(quality, ability_of_learner, teaching_of_partner, dialogue):
    """Quality of learning from a partner: the session's quality scaled by traits.

    The learner's ability multiplies it and, in a dialogue (not observation), so does the
    partner's teaching skill (:mod:`.traits`).
    """
    out = quality * ability_of_learner
    if dialogue:
        out *= teaching_of_partner
    return out


def effective_quality(
    quality: np.ndarray,
    learner: np.ndarray,
    partner: np.ndarray,
    ability: np.ndarray,
    teaching: np.ndarray,
    dialogue: bool,
) -> np.ndarray:
    """:func:`quality_of_learning` of each directed session (arrays of positions)."""
    return _effective_quality(quality, learner, partner, ability, teaching, dialogue)


@kernel
def _effective_quality(quality, learner, partner, ability, teaching, dialogue):
    out = np.empty(len(quality))
    for k in range(len(quality)):
        out[k] = quality_of_learning(
            quality[k], ability[learner[k]], teaching[partner[k]], dialogue
        )
    return out


def apply_sessions(
    gains: np.ndarray,
    people: People,
    batch: Batch,
    params: Learning,
    usage_by_level: np.ndarray,
) -> None:
    """Apply one programme's sessions of the week to the people in them.

    In this order, all from the skills at the start of the phase: each learner's gain
    (:func:`.learning.session_gains`, with the quality of learning of
    :func:`quality_of_learning`) and each guide's practice
    (:func:`.learning.guide_practice_into`) are added to ``gains``; the learners' feedback
    (:func:`.feedback.session_amounts`, :func:`.feedback.add_feedback`) raises the
    feedback stock; sponsorship, then the visibility guides gain from guiding people above
    them, raise the visibility stock (:func:`.stocks.add_saturating`).

    Args:
        gains: Skill gains (slots, domains) of the phase, added to in place.
        people: The positions' arrays; ``feedback`` and ``visibility`` change in place.
        batch: The programme's sessions this week.
        params: Learning parameters.
        usage_by_level: Job usage (levels, domains), which weighs feedback.

    Raises:
        ValueError: If a mirrored batch has an odd number of directed sessions.
    """
    learner, guide = batch.learner, batch.guide
    n = len(learner)
    if n == 0 and len(guide) == 0:
        return
    mirrored = batch.mirrored
    half, diff, absorbed = gaps(people.skill, learner, batch.partner, params, mirrored)
    feedback_base = (
        params.feedback_per_hour * batch.feedback_hours
        if batch.feedback_hours and params.feedback_per_hour
        else 0.0
    )
    guide_visibility = batch.guide_visibility_per_session if not mirrored else 0.0
    _apply_sessions(
        gains,
        *people,
        usage_by_level,
        learner,
        batch.partner,
        batch.hours,
        batch.quality,
        batch.share,
        batch.focus,
        diff,
        absorbed,
        half,
        not batch.observation,
        params.rate_session_per_hour,
        guide,
        batch.guide_hours,
        batch.rate_guide_practice_per_hour,
        batch.guide_practice,
        feedback_base,
        batch.sponsorship_per_session,
        guide_visibility,
    )


@kernel
def _apply_sessions(
    gains,
    skill,
    level,
    ability,
    teaching,
    proactivity,
    feedback,
    visibility,
    usage_by_level,
    learner,
    partner,
    hours,
    quality,
    share,
    focus,
    diff,
    absorbed,
    half,
    dialogue,
    rate_session_per_hour,
    guide,
    guide_hours,
    rate_guide_practice_per_hour,
    guide_practice,
    feedback_base,
    sponsorship_per_session,
    guide_visibility_per_session,
):
    n = len(learner)
    if n:
        learned = np.empty(n)
        for k in range(n):
            learned[k] = quality_of_learning(
                quality[k], ability[learner[k]], teaching[partner[k]], dialogue
            )
        session_gains_into(
            gains, learner, diff, absorbed, hours, learned, focus, rate_session_per_hour, half
        )
    if len(guide) and rate_guide_practice_per_hour:
        guide_rate = np.empty(len(guide))
        for k in range(len(guide)):
            guide_rate[k] = rate_guide_practice_per_hour * guide_hours[k] * ability[guide[k]]
        guide_practice_into(gains, skill, guide, guide_rate, guide_practice)
    if n == 0:
        return
    if feedback_base:
        amount = np.empty(n)
        for k in range(n):
            amount[k] = session_amount(
                feedback_base, quality[k], share[k], proactivity[learner[k]], teaching[partner[k]]
            )
        feedback_into(feedback, learner, partner, amount, focus, usage_by_level, level, skill)
    if sponsorship_per_session:
        amount = np.empty(n)
        for k in range(n):
            amount[k] = sponsorship_per_session * quality[k] * share[k]
        saturate_into(visibility, learner, amount)
    if guide_visibility_per_session:
        # A guide is seen by the people above them whom they guide: one-way sessions,
        # learner above the guide, per level between them.
        amount = np.empty(n)
        for k in range(n):
            above = max(level[learner[k]] - level[partner[k]], 0)
            amount[k] = guide_visibility_per_session * above * quality[k] * share[k]
        saturate_into(visibility, partner, amount)


class Attendance(Protocol):
    """What phase 5 needs of a programme's session batch (a ``Sessions``)."""

    @property
    def learner(self) -> np.ndarray:
        """Position of each directed session's learner."""
        ...

    @property
    def quality(self) -> np.ndarray:
        """Relationship quality times psychological safety, per directed session."""
        ...

    @property
    def share(self) -> np.ndarray:
        """Share of a session each directed session stands for."""
        ...

    @property
    def guide(self) -> np.ndarray:
        """Positions of one-way guides, once per session."""
        ...

    @property
    def guide_quality(self) -> np.ndarray:
        """Quality of each guide's session."""
        ...

    @property
    def attendee(self) -> np.ndarray:
        """Position of everyone who spent time in a session."""
        ...

    @property
    def attendee_hours(self) -> np.ndarray:
        """Hours each attendee spent."""
        ...


def engagement_inputs(
    support: np.ndarray, hours: np.ndarray, batch: Attendance, params: Engagement
) -> None:
    """Add one programme's sessions to the week's support and hours per position (phase 5).

    A learner gains ``support_per_session`` times the session's quality and share, a guide
    ``support_guide_per_session`` times the guide's quality; every attendee's hours count
    (:mod:`.engagement` turns them into engagement and overload).

    Args:
        support: Engagement from sessions per position, added to in place.
        hours: Programme hours per position, added to in place.
        batch: The programme's sessions this week.
        params: Engagement parameters.
    """
    if len(batch.attendee) == 0 and len(batch.learner) == 0 and len(batch.guide) == 0:
        return
    _engagement_inputs(
        support,
        hours,
        batch.learner,
        batch.quality,
        batch.share,
        batch.guide,
        batch.guide_quality,
        batch.attendee,
        batch.attendee_hours,
        params.support_per_session,
        params.support_guide_per_session,
    )


@kernel
def _engagement_inputs(support, hours, learner, quality, share, guide, guide_quality, attendee,
                       attendee_hours, support_per_session, support_guide_per_session):  # fmt: skip
    for k in range(len(learner)):
        support[learner[k]] += support_per_session * quality[k] * share[k]
    for k in range(len(guide)):
        support[guide[k]] += support_guide_per_session * guide_quality[k]
    for k in range(len(attendee)):
        hours[attendee[k]] += attendee_hours[k]
