"""Reciprocal peer coaching: colleagues at the same level coach each other.

Representation: pairs of enrolled peers at the same level, formed anew every
``dur_rotation_weeks``; frequent informal sessions (``cadence_weeks``) whose attendance
depends more on engagement than in a structured programme; learning flows both ways
(each learns where the other is stronger); and each session gives immediate feedback
that raises how much on-the-job practice turns into skill, so equal peers still gain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.programmes.base import Programme, Sessions
from sim.scenario import PeerCoaching

if TYPE_CHECKING:
    from sim.model import WorkplaceModel


class PeerCoachingProgramme(Programme):
    """Peer-coaching rules (see the module docstring)."""

    kind = "peer_coaching"
    params: PeerCoaching

    def match(self, model: WorkplaceModel, week: int) -> None:
        """Rotate partners on schedule, and pair waiting peers of the same level at random."""
        wf, p, rel = model.workforce, self.params, self.relationships
        if week % p.dur_rotation_weeks == 0:
            rel.keep(np.zeros(len(rel), dtype=bool))
        rel.prune(wf.slot_of_id, week)
        waiting = self.enrolled(model, p.levels)
        waiting[wf.slot_of_id[rel.a]] = False
        waiting[wf.slot_of_id[rel.b]] = False
        for lv in p.levels:
            peers = np.flatnonzero(waiting & (wf.level == lv))
            if len(peers) < 2:
                continue
            peers = self.rng.permutation(peers)
            k = len(peers) // 2
            rel.add(
                wf.employee_id[peers[:k]],
                wf.employee_id[peers[k : 2 * k]],
                self.new_quality(k),
                week,
                np.iinfo(np.int64).max,
            )

    def sessions(self, model: WorkplaceModel, week: int) -> Sessions:
        """Scheduled sessions of active pairs, each one learning from the other."""
        wf, p, rel = model.workforce, self.params, self.relationships
        a = wf.slot_of_id[rel.a]
        b = wf.slot_of_id[rel.b]
        met = self.due(week) & self.attend(model, a, b)
        self.grow_quality(met)
        a, b, q = a[met], b[met], rel.quality[met]
        both = np.concatenate([a, b])
        hours = np.full(len(both), p.hours_per_session)
        return Sessions(
            learner=both,
            partner=np.concatenate([b, a]),
            hours=hours,
            quality=np.concatenate([q, q]),
            guide=np.empty(0, dtype=np.int64),
            guide_quality=np.empty(0),
            attendee=both,
            attendee_hours=hours,
            focus=self.focus,
            feedback_per_session=p.feedback_per_session,
            sponsorship_per_session=0.0,
        )
