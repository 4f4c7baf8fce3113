"""What every programme hands to the model each week, and how relationships are stored.

A programme does two things each week, in the schedule's phases 1 and 2: it forms and
dissolves relationships (matching), and it reports the sessions that took place as a
:class:`Sessions` batch. Learning, engagement and costs are then applied to all batches
alike by the model, so a programme never changes skill or engagement itself: every
effect comes through the shared mechanisms.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim.model.programmes import kernels

_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class Sessions:
    """One week's attended sessions of one programme.

    Directed sessions (``learner`` learns from ``partner``) carry the learning; a
    reciprocal session appears once in each direction. ``attendee`` and
    ``attendee_hours`` count the time each person spent, once per session.

    Attributes:
        learner: Slot of each directed session's learner.
        partner: Slot of the partner learned from.
        hours: Effective learning hours of each directed session.
        quality: Relationship quality times psychological safety, per directed session.
        focus: Learning weight per directed session and domain (sessions, domains).
        share: Share of a session each directed session stands for: 1 in pairs,
            1 / (size - 1) in groups, so per-session effects (feedback, support,
            sponsorship) count once per session, not once per group member.
        edge_session: Session number of each directed session (-1: members of a group
            attend on their own).
        guide_session: Session number of each guide entry.
        attendee_session: Session number of each attendee entry.
        guide: Slots of one-way guides (mentors), once per session.
        guide_quality: Quality of each guide's session.
        guide_hours: Hours each guide spent in that session.
        attendee: Slot of everyone who spent time in a session.
        attendee_hours: Hours each attendee spent.
        feedback_per_session: Feedback stock a learner gains per session.
        sponsorship_per_session: Visibility a learner gains per session.
        guide_visibility_per_session: Visibility a guide gains per session.
        rate_guide_practice_per_hour: Practice a guide gets per hour of guiding.
        guide_practice: Mask of the domains guiding exercises (domains,).
        rel_support: Multiplier on learners' engagement support.
        mirrored: Whether the second half of the directed sessions mirrors the first
            (learner and partner swapped; the same hours, quality, focus and share), as in
            reciprocal sessions. Restricting a batch keeps it mirrored, since a directed
            session and its mirror have the same two people and session number.
    """

    learner: np.ndarray
    partner: np.ndarray
    hours: np.ndarray
    quality: np.ndarray
    focus: np.ndarray
    share: np.ndarray
    edge_session: np.ndarray
    guide_session: np.ndarray
    attendee_session: np.ndarray
    guide: np.ndarray
    guide_quality: np.ndarray
    guide_hours: np.ndarray
    attendee: np.ndarray
    attendee_hours: np.ndarray
    feedback_per_session: float = 0.0
    sponsorship_per_session: float = 0.0
    guide_visibility_per_session: float = 0.0
    rate_guide_practice_per_hour: float = 0.0
    guide_practice: np.ndarray = field(default_factory=lambda: _EMPTY_FLOAT)
    rel_support: float = 1.0
    mirrored: bool = False

    @classmethod
    def none(cls, n_domains: int) -> Sessions:
        """An empty batch."""
        return cls(
            *(_EMPTY_INT, _EMPTY_INT, _EMPTY_FLOAT, _EMPTY_FLOAT),
            np.empty((0, n_domains)),
            _EMPTY_FLOAT,
            _EMPTY_INT,
            _EMPTY_INT,
            _EMPTY_INT,
            *(_EMPTY_INT, _EMPTY_FLOAT, _EMPTY_FLOAT, _EMPTY_INT, _EMPTY_FLOAT),
            guide_practice=np.zeros(n_domains),
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
        (
            edge,
            learner,
            partner,
            hours,
            quality,
            share,
            edge_session,
            guide,
            guide_quality,
            guide_hours,
            guide_session,
            attendee,
            attendee_hours,
            attendee_session,
        ) = kernels.canonical(
            kernels.restriction(
                allowed,
                self.learner,
                self.partner,
                self.hours,
                self.quality,
                self.share,
                self.edge_session,
                self.guide,
                self.guide_quality,
                self.guide_hours,
                self.guide_session,
                self.attendee,
                self.attendee_hours,
                self.attendee_session,
            )
        )
        focus = self.focus
        if len(focus) and focus.strides[0] == 0:  # one row for every session: stays a view
            focus = np.broadcast_to(focus[0], (len(learner), focus.shape[1]))
        else:
            focus = focus[edge]
        return replace(
            self,
            learner=learner,
            partner=partner,
            hours=hours,
            quality=quality,
            focus=focus,
            share=share,
            edge_session=edge_session,
            guide_session=guide_session,
            attendee_session=attendee_session,
            guide=guide,
            guide_quality=guide_quality,
            guide_hours=guide_hours,
            attendee=attendee,
            attendee_hours=attendee_hours,
        )


class Relationships:
    """Growable table of pairwise relationships, stored by employee id.

    ``a`` is the guide (or the first peer) and ``b`` the learner (or the second peer).
    Storing ids rather than positions means a promotion does not break a relationship,
    and a leaver's relationships end because their id no longer maps to a position. A
    group is stored as the relationships between every two of its members, sharing a
    ``group`` number; ``need`` is the domain a need-focused relationship covers (-1 if
    none).

    The columns are views of length ``len(self)`` into storage that grows by doubling, so
    adding relationships does not copy the table; a view read from the table reflects
    later changes to the table (copy it to keep it). ``pos_a`` and ``pos_b`` hold the
    members' positions as of the last :meth:`prune` or :meth:`locate` (or as given to
    :meth:`add`), so the week's matching and sessions need not look them up again.
    """

    _COLUMNS = ("a", "b", "quality", "start", "end", "group", "need")
    _STORED = (*_COLUMNS, "pos_a", "pos_b")

    a: np.ndarray
    b: np.ndarray
    quality: np.ndarray
    start: np.ndarray
    end: np.ndarray
    group: np.ndarray
    need: np.ndarray
    pos_a: np.ndarray
    pos_b: np.ndarray

    def __init__(self) -> None:
        self._n = 0
        self._store = {
            name: np.empty(0, dtype=np.float64 if name == "quality" else np.int64)
            for name in self._STORED
        }
        self._expose()

    def __len__(self) -> int:
        return self._n

    def _expose(self) -> None:
        """Point the public columns at the first ``len(self)`` rows of the storage."""
        n = self._n
        for name, column in self._store.items():
            setattr(self, name, column[:n])

    def columns(self) -> tuple[np.ndarray, ...]:
        """The columns and positions in the order of ``_STORED`` (views, for kernels)."""
        return tuple(getattr(self, name) for name in self._STORED)

    def truncate(self, n: int) -> None:
        """Keep only the first ``n`` relationships."""
        self._n = min(n, self._n)
        self._expose()

    def add(
        self,
        a: np.ndarray,
        b: np.ndarray,
        quality: np.ndarray,
        start: int,
        end: int,
        group: np.ndarray | None = None,
        need: np.ndarray | None = None,
        pos_a: np.ndarray | None = None,
        pos_b: np.ndarray | None = None,
    ) -> None:
        """Append relationships between ids ``a`` and ``b`` (at ``pos_a`` and ``pos_b``)."""
        k = len(a)
        n = self._n
        if n + k > len(self._store["a"]):
            size = max(n + k, 2 * len(self._store["a"]), 64)
            for name, column in self._store.items():
                grown = np.empty(size, dtype=column.dtype)
                grown[:n] = column[:n]
                self._store[name] = grown
        unset = _EMPTY_INT  # group, need and positions default to -1
        kernels.append_rows(
            *self._store.values(),
            n,
            a,
            b,
            quality,
            start,
            end,
            unset if group is None else group,
            unset if need is None else need,
            unset if pos_a is None else pos_a,
            unset if pos_b is None else pos_b,
        )
        self._n = n + k
        self._expose()

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the relationships where ``mask`` is true."""
        rows = np.flatnonzero(mask)
        for name in self._STORED:
            column = self._store[name]
            column[: len(rows)] = column[rows]
        self._n = len(rows)
        self._expose()

    def prune(self, slot_of_id: np.ndarray, week: int) -> None:
        """End relationships whose term is over or one of whose members has left."""
        if len(self):
            kept = kernels.end_relationships(
                *self.columns(), slot_of_id, week, _EMPTY_INT, 0, False
            )
            self.truncate(kept)

    def locate(self, slot_of_id: np.ndarray) -> None:
        """Look up the members' positions (``pos_a``, ``pos_b``) afresh."""
        self.pos_a[:] = slot_of_id[self.a]
        self.pos_b[:] = slot_of_id[self.b]

    def members(self) -> np.ndarray:
        """Ids of everyone in a relationship (with repeats)."""
        return np.concatenate([self.a, self.b])
