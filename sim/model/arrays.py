"""Small array operations the phases share: per-position sums and means.

Compiled loops that add repeated positions in order (as ``np.add.at`` does) without
numpy's slow path; no random numbers, no model state.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel


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
