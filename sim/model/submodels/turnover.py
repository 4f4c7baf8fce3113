"""Turnover submodel: the weekly quit hazard.

Pure functions; the caller draws the uniform numbers from the turnover stream.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.scenario.schema import Turnover


def quit_hazard(engagement: np.ndarray, tenure_weeks: np.ndarray, params: Turnover) -> np.ndarray:
    """Weekly probability of quitting.

    hazard = p_quit_per_week * exp(k * (e_ref - e)) * (rel_new_hire if tenure < new-hire
    period), capped at 1. It rises as engagement falls below the reference.

    Args:
        engagement: Engagement in [0, 1].
        tenure_weeks: Weeks since hire.
        params: Turnover parameters.

    Returns:
        Probability in [0, 1] per employee.
    """
    rel = np.exp(params.rel_hazard_per_engagement * (params.engagement_reference - engagement))
    rel = np.where(tenure_weeks < params.dur_new_hire_weeks, rel * params.rel_hazard_new_hire, rel)
    return np.minimum(params.p_quit_per_week * rel, 1.0)


def leavers(
    engagement: np.ndarray,
    tenure_weeks: np.ndarray,
    employee_id: np.ndarray,
    draws: np.ndarray,
    params: Turnover,
) -> np.ndarray:
    """Slots whose occupant quits this week: ``draw < quit_hazard``.

    Args:
        engagement: Engagement per slot.
        tenure_weeks: Weeks since hire per slot.
        employee_id: Occupant per slot (-1: vacant, nobody to quit).
        draws: One uniform draw in [0, 1) per slot.
        params: Turnover parameters.

    Returns:
        The quitting occupants' slots, in increasing order.
    """
    # The exponential in numpy, as quit_hazard computes it; the rest of the hazard and the
    # comparison in one compiled pass, operation for operation (tests/test_kernels.py).
    rel = np.exp(params.rel_hazard_per_engagement * (params.engagement_reference - engagement))
    return _leavers(
        rel,
        tenure_weeks,
        employee_id,
        draws,
        float(params.dur_new_hire_weeks),
        float(params.rel_hazard_new_hire),
        float(params.p_quit_per_week),
    )


@kernel
def _leavers(rel, tenure_weeks, employee_id, draws, dur_new_hire, rel_new_hire, p_quit):
    out = np.empty(len(rel), dtype=np.int64)
    n = 0
    for i in range(len(rel)):
        r = rel[i] * rel_new_hire if tenure_weeks[i] < dur_new_hire else rel[i]
        if employee_id[i] >= 0 and draws[i] < min(p_quit * r, 1.0):
            out[n] = i
            n += 1
    return out[:n].copy()
