"""Engagement submodel: drift to a personal baseline, support, progress, overload, stagnation.

A pure function of arrays and parameters; it draws no random numbers.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Engagement


def engagement_change(
    engagement: np.ndarray,
    baseline: np.ndarray,
    support: np.ndarray,
    progress: np.ndarray,
    hours: np.ndarray,
    weeks_in_level: np.ndarray,
    params: Engagement,
) -> np.ndarray:
    """Weekly change of engagement.

    change = drift * (baseline - e) + support + progress_per_skill * max(progress, 0)
             - overload_per_hour * max(hours - tolerated, 0)
             - stagnation_per_week * [weeks_in_level > dur_stagnation_weeks]

    Args:
        engagement: Current engagement in [0, 1].
        baseline: Personal baseline in [0, 1].
        support: Engagement from this week's sessions (already scaled by quality).
        progress: This week's change in mean skill per employee.
        hours: Programme hours spent this week.
        weeks_in_level: Weeks since the last promotion or hire.
        params: Engagement parameters.

    Returns:
        The change; the caller clips the result to [0, 1].
    """
    change = params.rate_drift_per_week * (baseline - engagement)
    change += support + params.progress_per_skill * np.maximum(progress, 0.0)
    change -= params.overload_per_hour * np.maximum(hours - params.hours_tolerated_per_week, 0.0)
    change -= params.stagnation_per_week * (weeks_in_level > params.dur_stagnation_weeks)
    return change
