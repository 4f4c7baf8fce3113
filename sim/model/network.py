"""The advice network: whom each employee would ask, how strongly, and what they believe.

Each employee's ties live in the row of their position, like the rest of their state
(:mod:`sim.model.workforce`): a fixed number of tie slots per row, each naming the
adviser by employee id, with the tie's strength, the employee's belief about the
adviser's skill in every domain, and whether a programme made or strengthened it. A
promotion moves the row; a departure clears the leaver's row at once, and ties that
name a leaver are dropped the next time the ties are maintained. The rules that change
the network are in :mod:`sim.model.submodels.advice`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import helper, kernel

#: Type of the stored per-tie numbers (strengths and beliefs). 32 bits, not 64: the
#: passes over the ties wait on memory more than they compute, and half the bytes are
#: half the cache lines (docs/performance.md, informal learning). The rules compute in
#: 64 bits and round when they store; seven significant digits are more than a
#: strength or a belief means.
TIE_FLOAT = np.float32
#: Type of the adviser ids of ties (employee ids stay far below 2**31).
TIE_ID = np.int32

#: Arrays that belong to the person (their ties and their inclination to coach).
PERSON_FIELDS = ("n", "to", "strength", "belief", "programme", "coaching", "given")


@dataclass
class AdviceNetwork:
    """Struct of arrays holding every employee's advice ties.

    Each row keeps its ties packed at the front: ``to[i, :n[i]]`` are position ``i``'s
    ties, so the weekly rules look at the ties there are, not at every tie slot.

    Attributes:
        n: Number of ties of each position's occupant.
        to: Employee id of the adviser of each tie, -1 past ``n`` (positions, ties;
            :data:`TIE_ID`).
        strength: Strength of each tie in (0, 1] (positions, ties; :data:`TIE_FLOAT`).
        belief: What the employee believes each adviser's skill is, per domain
            (positions, domains, ties; :data:`TIE_FLOAT`): one domain's beliefs lie
            together, as advice seeking reads them.
        programme: Whether a programme session made or strengthened the tie.
        coaching: The person's inclination to coach their reports (mean 1), read
            when they manage.
        given: Advice episodes the person has given since they were hired (or week 0).
        team_safety: Psychological safety of each team, by the team's position (fixed).
    """

    n: np.ndarray
    to: np.ndarray
    strength: np.ndarray
    belief: np.ndarray
    programme: np.ndarray
    coaching: np.ndarray
    given: np.ndarray
    team_safety: np.ndarray

    @classmethod
    def empty(cls, n_slots: int, n_ties: int, n_domains: int) -> AdviceNetwork:
        """A network without ties, everyone's coaching inclination 1, safety 1."""
        return cls(
            n=np.zeros(n_slots, dtype=np.int64),
            to=np.full((n_slots, n_ties), -1, dtype=TIE_ID),
            strength=np.zeros((n_slots, n_ties), dtype=TIE_FLOAT),
            belief=np.zeros((n_slots, n_domains, n_ties), dtype=TIE_FLOAT),
            programme=np.zeros((n_slots, n_ties), dtype=np.bool_),
            coaching=np.ones(n_slots),
            given=np.zeros(n_slots, dtype=np.int64),
            team_safety=np.ones(n_slots),
        )

    @property
    def n_ties(self) -> int:
        """Tie slots per employee."""
        return self.to.shape[1]

    def degree(self) -> np.ndarray:
        """Number of ties of each position's occupant (out-degree)."""
        return self.n.copy()

    def clear(self, slots: np.ndarray) -> None:
        """Forget the ties of the occupants of ``slots`` (they left, or a hire arrives)."""
        _clear(self.n, self.to, self.strength, self.belief, self.programme, self.given, slots)

    def move(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Move people's ties with them from ``src`` to ``dst`` (promotion), all at once."""
        # The arrays in PERSON_FIELDS order (tests/test_kernels.py checks the two agree).
        _move(self.n, self.to, self.strength, self.belief, self.programme, self.coaching,
              self.given, src, dst)  # fmt: skip

    def ties(self, slot_of_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every current tie as (seeker position, tie index in its row, adviser position).

        Ties that name someone who has left (not yet maintained away) are left out; the
        order is row by row. ``strength[seeker, tie]`` and ``programme[seeker, tie]`` are
        the ties' strengths and flags.
        """
        seeker, tie = np.nonzero(self.to >= 0)
        adviser = slot_of_id[self.to[seeker, tie]]
        keep = adviser >= 0
        return seeker[keep], tie[keep], adviser[keep]

    def edges(self, slot_of_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current ties as an edge list of positions: (seeker, adviser, strength).

        Strengths are returned as 64-bit floats (they are stored in 32).
        """
        seeker, tie, adviser = self.ties(slot_of_id)
        return seeker, adviser, self.strength[seeker, tie].astype(np.float64)


@helper
def _clear_row(n, to, strength, belief, programme, given, i):
    n[i] = 0
    to[i] = -1
    strength[i] = 0.0
    belief[i] = 0.0
    programme[i] = False
    given[i] = 0


@kernel
def _clear(n, to, strength, belief, programme, given, slots):
    for i in slots:
        _clear_row(n, to, strength, belief, programme, given, i)


@kernel
def _move(n, to, strength, belief, programme, coaching, given, src, dst):
    # Every moving row is read before any is written: a slot may be vacated by one move
    # and filled by another.
    n_src, to_src, strength_src = n[src], to[src], strength[src]
    belief_src, programme_src = belief[src], programme[src]
    coaching_src, given_src = coaching[src], given[src]
    filled = np.zeros(len(n), dtype=np.bool_)
    for k in range(len(dst)):
        j = dst[k]
        n[j] = n_src[k]
        to[j] = to_src[k]
        strength[j] = strength_src[k]
        belief[j] = belief_src[k]
        programme[j] = programme_src[k]
        coaching[j] = coaching_src[k]
        given[j] = given_src[k]
        filled[j] = True
    for i in src:
        if not filled[i]:
            _clear_row(n, to, strength, belief, programme, given, i)
