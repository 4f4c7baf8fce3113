"""Feedback and sponsorship stocks (docs/model.md section 7.4, phases 3 and 4).

Feedback and visibility are [0, 1] stocks per employee: sessions raise them toward 1,
and each decays week by week with its half-life.
"""

from __future__ import annotations

import numpy as np

from sim.jit import helper, kernel
from sim.model.arrays import _per_entry


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
    saturate_into(stock, slots, amount)


@helper
def saturate_into(stock, slots, amount):
    """The rule of :func:`add_saturating`, for kernels that raise a stock themselves."""
    total = np.zeros(len(stock))
    for k in range(len(slots)):
        total[slots[k]] += amount[k]
    for k in range(len(slots)):
        i = slots[k]
        if total[i] != 0.0:
            stock[i] += min(total[i], 1.0) * (1.0 - stock[i])
            total[i] = 0.0
