"""What every programme hands to the model each week: the :class:`Sessions` batch.

A programme does two things each week, in the schedule's phases 1 and 2: it forms and
dissolves relationships (matching, :mod:`sim.model.programmes.relationships`), and it
reports the sessions that took place as a :class:`Sessions` batch. Learning, engagement
and costs are then applied to all batches alike by the model, so a programme never
changes skill or engagement itself: every effect comes through the shared mechanisms.

The batch's entries are one :class:`SessionArrays`, a named tuple of arrays that the
kernels take and return as it is and read by field name, so no column can be passed in
the place of another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from sim.jit import kernel

_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float64)
_FLOAT_FIELDS = {"hours", "quality", "share", "guide_quality", "guide_hours", "attendee_hours"}


class SessionArrays(NamedTuple):
    """The entries of a session batch, in three tables of aligned arrays.

    Directed sessions (``learner`` learns from ``partner``) carry the learning; a
    reciprocal session appears once in each direction. Guide entries list one-way guides
    (mentors), once per session. Attendee entries count the time each person spent, once
    per session. The session numbers tie a table's entries to the sessions they belong to
    (-1: members of a group attend on their own), so that a session can be dropped whole.

    Attributes:
        learner: Position of each directed session's learner.
        partner: Position of the partner learned from.
        hours: Effective learning hours of each directed session.
        quality: Relationship quality times psychological safety, per directed session.
        share: Share of a session each directed session stands for: 1 in pairs,
            1 / (size - 1) in groups, so per-session effects (feedback, support,
            sponsorship) count once per session, not once per group member.
        edge_session: Session number of each directed session.
        guide: Positions of one-way guides, once per session.
        guide_quality: Quality of each guide's session.
        guide_hours: Hours each guide spent in that session.
        guide_session: Session number of each guide entry.
        attendee: Position of everyone who spent time in a session.
        attendee_hours: Hours each attendee spent.
        attendee_session: Session number of each attendee entry.
    """

    learner: np.ndarray
    partner: np.ndarray
    hours: np.ndarray
    quality: np.ndarray
    share: np.ndarray
    edge_session: np.ndarray
    guide: np.ndarray
    guide_quality: np.ndarray
    guide_hours: np.ndarray
    guide_session: np.ndarray
    attendee: np.ndarray
    attendee_hours: np.ndarray
    attendee_session: np.ndarray

    @classmethod
    def empty(cls) -> SessionArrays:
        """No entries."""
        columns = {
            name: _EMPTY_FLOAT if name in _FLOAT_FIELDS else _EMPTY_INT for name in cls._fields
        }
        return cls(**columns)


@dataclass(frozen=True)
class Sessions:
    """One week's attended sessions of one programme.

    The entries (:class:`SessionArrays`) are read as attributes of the batch
    (``batch.learner``, ``batch.attendee_hours``, ...), read-only like the batch;
    ``focus`` goes with the directed sessions, and the rest is the programme's
    per-session constants.

    Attributes:
        arrays: The entries.
        focus: Learning weight per directed session and domain (sessions, domains).
        feedback_hours: Hours of each session spent on feedback on the learner's
            practice: the session's length times the share of the relationship's sessions
            that follow up an earlier one (0 in observation, where nobody watches the
            learner's work).
        sponsorship_per_session: Visibility a learner gains per session.
        guide_visibility_per_session: Visibility a guide gains per session.
        rate_guide_practice_per_hour: Practice a guide gets per hour of guiding.
        guide_practice: Mask of the domains guiding exercises (domains,).
        observation: Whether the learner watches the guide's work (shadowing) instead of
            a dialogue; the guide's teaching skill then plays no part.
        mirrored: Whether the second half of the directed sessions mirrors the first
            (learner and partner swapped; the same hours, quality, focus and share), as in
            reciprocal sessions. Restricting a batch keeps it mirrored, since a directed
            session and its mirror have the same two people and session number.
    """

    arrays: SessionArrays
    focus: np.ndarray
    feedback_hours: float = 0.0
    sponsorship_per_session: float = 0.0
    guide_visibility_per_session: float = 0.0
    rate_guide_practice_per_hour: float = 0.0
    guide_practice: np.ndarray = field(default_factory=lambda: _EMPTY_FLOAT)
    observation: bool = False
    mirrored: bool = False
    # The entries' columns, set from ``arrays`` in __post_init__ (not arguments).
    learner: np.ndarray = field(init=False, repr=False, compare=False)
    partner: np.ndarray = field(init=False, repr=False, compare=False)
    hours: np.ndarray = field(init=False, repr=False, compare=False)
    quality: np.ndarray = field(init=False, repr=False, compare=False)
    share: np.ndarray = field(init=False, repr=False, compare=False)
    edge_session: np.ndarray = field(init=False, repr=False, compare=False)
    guide: np.ndarray = field(init=False, repr=False, compare=False)
    guide_quality: np.ndarray = field(init=False, repr=False, compare=False)
    guide_hours: np.ndarray = field(init=False, repr=False, compare=False)
    guide_session: np.ndarray = field(init=False, repr=False, compare=False)
    attendee: np.ndarray = field(init=False, repr=False, compare=False)
    attendee_hours: np.ndarray = field(init=False, repr=False, compare=False)
    attendee_session: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.arrays, SessionArrays):
            raise TypeError(
                f"Sessions.arrays must be a SessionArrays, not {type(self.arrays).__name__}"
            )
        # The columns also as attributes of the batch itself: the learning phase reads
        # them dozens of times a week, and an instance attribute is the fastest read.
        vars(self).update(zip(SessionArrays._fields, self.arrays, strict=True))

    @classmethod
    def none(cls, n_domains: int) -> Sessions:
        """An empty batch."""
        return cls(
            SessionArrays.empty(), np.empty((0, n_domains)), guide_practice=np.zeros(n_domains)
        )

    def restricted(self, allowed: np.ndarray) -> Sessions:
        """The batch without the sessions of employees who may not attend.

        A pair's session is dropped as a whole when either member may not attend; in a
        group, only the absent member's part is dropped.

        Args:
            allowed: Boolean mask over positions.

        Returns:
            The remaining sessions.
        """
        edge, arrays = restriction(allowed, self.arrays)
        focus = self.focus
        if len(focus) and focus.strides[0] == 0:  # one row for every session: stays a view
            focus = np.broadcast_to(focus[0], (len(arrays.learner), focus.shape[1]))
        else:
            focus = focus[edge]
        return self.with_entries(arrays, focus)

    def with_entries(self, arrays: SessionArrays, focus: np.ndarray) -> Sessions:
        """A batch with this one's per-session constants and other entries and focus.

        The same as ``dataclasses.replace(self, arrays=arrays, focus=focus)``, without
        running ``__init__`` again: every programme makes a batch every week from the
        constants it set once, and a frozen dataclass's ``__init__`` costs microseconds.

        Args:
            arrays: The entries.
            focus: Learning weight per directed session and domain (sessions, domains).

        Returns:
            The new batch.

        Raises:
            TypeError: If ``arrays`` is not a :class:`SessionArrays`.
        """
        if not isinstance(arrays, SessionArrays):
            raise TypeError(f"Sessions.arrays must be a SessionArrays, not {type(arrays).__name__}")
        batch = object.__new__(Sessions)
        state = vars(batch)
        state.update(vars(self))
        state["arrays"] = arrays
        state["focus"] = focus
        state.update(zip(SessionArrays._fields, arrays, strict=True))
        return batch


@kernel
def restriction(allowed: np.ndarray, batch: SessionArrays) -> tuple[np.ndarray, SessionArrays]:
    """The entries of a session batch that remain when only ``allowed`` may attend.

    A session number (>= 0) is dropped when any of its attendees or guides may not attend;
    an entry remains when its people may attend and its session is not dropped.

    Returns:
        The mask over the directed sessions, and the entries that remain.
    """
    learner, partner, edge_session = batch.learner, batch.partner, batch.edge_session
    guide, guide_session = batch.guide, batch.guide_session
    attendee, attendee_session = batch.attendee, batch.attendee_session
    hours, quality, share = batch.hours, batch.quality, batch.share
    top = -1
    for sessions in (edge_session, guide_session, attendee_session):
        for sid in sessions:
            top = max(top, sid)
    dropped = np.zeros(top + 1, dtype=np.bool_)
    for i in range(len(attendee)):
        if not allowed[attendee[i]] and attendee_session[i] >= 0:
            dropped[attendee_session[i]] = True
    for i in range(len(guide)):
        if not allowed[guide[i]] and guide_session[i] >= 0:
            dropped[guide_session[i]] = True
    edge = np.empty(len(learner), dtype=np.bool_)
    n_edge = 0
    for i in range(len(learner)):
        sid = edge_session[i]
        edge[i] = allowed[learner[i]] and allowed[partner[i]] and not (sid >= 0 and dropped[sid])
        n_edge += edge[i]
    guides = np.empty(len(guide), dtype=np.bool_)
    n_guide = 0
    for i in range(len(guide)):
        sid = guide_session[i]
        guides[i] = allowed[guide[i]] and not (sid >= 0 and dropped[sid])
        n_guide += guides[i]
    att = np.empty(len(attendee), dtype=np.bool_)
    n_att = 0
    for i in range(len(attendee)):
        sid = attendee_session[i]
        att[i] = allowed[attendee[i]] and not (sid >= 0 and dropped[sid])
        n_att += att[i]
    # Compact the kept entries, in their order, in one loop per table.
    e_int = np.empty((3, n_edge), dtype=learner.dtype)
    e_float = np.empty((3, n_edge))
    k = 0
    for i in range(len(learner)):
        if edge[i]:
            e_int[0, k], e_int[1, k], e_int[2, k] = learner[i], partner[i], edge_session[i]
            e_float[0, k], e_float[1, k], e_float[2, k] = hours[i], quality[i], share[i]
            k += 1
    g_int = np.empty((2, n_guide), dtype=guide.dtype)
    g_float = np.empty((2, n_guide))
    k = 0
    for i in range(len(guide)):
        if guides[i]:
            g_int[0, k], g_int[1, k] = guide[i], guide_session[i]
            g_float[0, k], g_float[1, k] = batch.guide_quality[i], batch.guide_hours[i]
            k += 1
    a_int = np.empty((2, n_att), dtype=attendee.dtype)
    a_hours = np.empty(n_att)
    k = 0
    for i in range(len(attendee)):
        if att[i]:
            a_int[0, k], a_int[1, k] = attendee[i], attendee_session[i]
            a_hours[k] = batch.attendee_hours[i]
            k += 1
    kept = SessionArrays(
        learner=e_int[0],
        partner=e_int[1],
        hours=e_float[0],
        quality=e_float[1],
        share=e_float[2],
        edge_session=e_int[2],
        guide=g_int[0],
        guide_quality=g_float[0],
        guide_hours=g_float[1],
        guide_session=g_int[1],
        attendee=a_int[0],
        attendee_hours=a_hours,
        attendee_session=a_int[1],
    )
    return edge, kept
