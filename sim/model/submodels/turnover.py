"""Turnover submodel: the weekly quit hazard.

Pure functions; the caller draws the uniform numbers from the turnover stream.
"""

from __future__ import annotations

import numpy as np

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
    hazard = quit_hazard(engagement, tenure_weeks, params)
    return np.flatnonzero((employee_id >= 0) & (draws < hazard))
