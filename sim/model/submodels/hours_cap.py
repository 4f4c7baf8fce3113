"""The weekly learning-hours cap (docs/model.md section 7.2.4, phase 2).

Programmes are served in the arm's order; a programme whose sessions would take anyone
over the cap loses that person's sessions this week: in pairs the partner loses that
session too, in groups only the absent member's part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self

import numpy as np

from sim.jit import kernel
from sim.model.arrays import scatter_add


class Batch(Protocol):
    """What the cap needs of a programme's session batch (a ``Sessions``)."""

    @property
    def attendee(self) -> np.ndarray:
        """Position of each attendance."""
        ...

    @property
    def attendee_hours(self) -> np.ndarray:
        """Hours of each attendance."""
        ...

    def restricted(self, allowed: np.ndarray) -> Self:
        """The batch without the sessions of positions not ``allowed``."""
        ...


def within_hours[B: Batch](batches: Sequence[B], n_slots: int, cap: float) -> list[B]:
    """Keep each position within ``cap`` hours of sessions this week, batches in order.

    Args:
        batches: Each programme's sessions, in the arm's order (earlier ones first).
        n_slots: Number of positions.
        cap: Most hours a position may spend in sessions per week
            (``learning.hours_learning_max_per_week``).

    Returns:
        The batches, each without the sessions of anyone it would take over the cap.
    """
    used = np.zeros(n_slots)
    out = []
    for b in batches:
        over = within_cap(used, b.attendee, b.attendee_hours, cap)
        if over is not None:
            b = b.restricted(~over)
            scatter_add(used, b.attendee, b.attendee_hours)
        out.append(b)
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
