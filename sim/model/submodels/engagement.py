"""Engagement submodel: drift to a personal baseline, support, progress, overload, stagnation.

Pure functions of arrays and parameters; they draw no random numbers.
:func:`engagement_change` is the formula in array form; :func:`engage` applies it in one
compiled pass (a test checks the two agree).
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.scenario.schema import Engagement

_NONE = np.empty(0)


def engagement_change(
    engagement: np.ndarray,
    baseline: np.ndarray,
    support: np.ndarray,
    progress: np.ndarray,
    hours: np.ndarray,
    weeks_in_level: np.ndarray,
    params: Engagement,
    burnout: np.ndarray | None = None,
) -> np.ndarray:
    """Weekly change of engagement.

    change = drift * (baseline - e) + support + progress_per_skill * max(progress, 0)
             - overload_per_hour * max(hours - tolerated, 0)
             - stagnation_per_week * [weeks_in_level > dur_stagnation_weeks]
             - burnout

    Args:
        engagement: Current engagement in [0, 1].
        baseline: Personal baseline in [0, 1].
        support: Engagement from this week's sessions (already scaled by quality).
        progress: This week's change in mean skill per employee.
        hours: Programme hours spent this week.
        weeks_in_level: Weeks since the last promotion or hire.
        params: Engagement parameters.
        burnout: Engagement guides lose this week to carrying more learners than they
            tolerate (:meth:`ProgrammeRule.add_burnout
            <sim.model.programmes.engine.ProgrammeRule.add_burnout>`); None for none.

    Returns:
        The change; the caller clips the result to [0, 1].
    """
    change = params.rate_drift_per_week * (baseline - engagement)
    change += support + params.progress_per_skill * np.maximum(progress, 0.0)
    change -= params.overload_per_hour * np.maximum(hours - params.hours_tolerated_per_week, 0.0)
    change -= params.stagnation_per_week * (weeks_in_level > params.dur_stagnation_weeks)
    if burnout is not None:
        change -= burnout
    return change


def engage(
    engagement: np.ndarray,
    baseline: np.ndarray,
    support: np.ndarray,
    progress: np.ndarray,
    hours: np.ndarray,
    weeks_in_level: np.ndarray,
    params: Engagement,
    burnout: np.ndarray | None = None,
) -> None:
    """Apply one week of :func:`engagement_change` to ``engagement`` in place, clipped to [0, 1].

    Args:
        engagement: Engagement per slot, changed in place.
        baseline: Personal baseline in [0, 1].
        support: Engagement from this week's sessions (already scaled by quality).
        progress: This week's change in mean skill per employee.
        hours: Programme hours spent this week.
        weeks_in_level: Weeks since the last promotion or hire.
        params: Engagement parameters.
        burnout: Engagement guides lose this week to overload (see
            :func:`engagement_change`); None for none.
    """
    _engage(
        engagement,
        baseline,
        support,
        progress,
        hours,
        weeks_in_level,
        params.rate_drift_per_week,
        params.progress_per_skill,
        params.overload_per_hour,
        params.hours_tolerated_per_week,
        params.stagnation_per_week,
        float(params.dur_stagnation_weeks),
        _NONE if burnout is None else burnout,
    )


@kernel
def _engage(
    e,
    baseline,
    support,
    progress,
    hours,
    weeks_in_level,
    drift,
    per_skill,
    per_hour,
    tolerated,
    stagnation,
    dur_stagnation,
    burnout,
):
    burnt = len(burnout) > 0  # an empty array: no burnout
    for i in range(len(e)):
        change = drift * (baseline[i] - e[i])
        change += support[i] + per_skill * max(progress[i], 0.0)
        change -= per_hour * max(hours[i] - tolerated, 0.0)
        if weeks_in_level[i] > dur_stagnation:
            change -= stagnation
        if burnt:
            change -= burnout[i]
        e[i] = min(max(e[i] + change, 0.0), 1.0)
