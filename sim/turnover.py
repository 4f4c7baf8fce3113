"""Turnover submodel: the weekly quit hazard.

Pure functions; the caller draws the uniform numbers from the turnover stream.
:func:`quit_hazard` is the formula in array form; :func:`leavers` applies it in one
compiled pass (a test checks the two agree).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.scenario import Turnover


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
    # numpy's vectorised exp, then one compiled pass for the rest.
    rel = np.exp(params.rel_hazard_per_engagement * (params.engagement_reference - engagement))
    return _leavers(
        rel,
        tenure_weeks,
        employee_id,
        draws,
        params.p_quit_per_week,
        float(params.dur_new_hire_weeks),
        params.rel_hazard_new_hire,
    )


@numba.njit(cache=True)
def _leavers(rel, tenure_weeks, employee_id, draws, p_quit, dur_new, rel_new):
    out = np.empty(len(rel), dtype=np.int64)
    n = 0
    for i in range(len(rel)):
        if employee_id[i] < 0:
            continue
        r = rel[i] * rel_new if tenure_weeks[i] < dur_new else rel[i]
        if draws[i] < min(p_quit * r, 1.0):
            out[n] = i
            n += 1
    return out[:n].copy()
