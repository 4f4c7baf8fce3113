"""A pilot row of an organisation's history, as a run measures it.

A pilot row (:mod:`sim.scenario.pilots`, docs/data.md "Pilot evaluations") gives a
group's mean change in performance ratings or engagement survey scores between a week
before the pilot and a week after it. In a run, the same statistic is taken from two
snapshots of the initial cohort (:class:`sim.model.cohort.CohortRecorder`), whose
ratings and survey scores come from the observation model (docs/model.md 7.16: rater
error and leniency, rounding, non-response), mapped onto 0-1 as effect sizes map them
(:func:`sim.analysis.effects.outcomes`). So a simulated value is what the
organisation's instrument would have recorded, on the same scale as the row's value.

- **Who is measured**: the initial employees employed at both weeks with a score at
  both (for a survey: who answered both times), at the row's level (at the week before)
  if it names one. Hires have no score before the pilot and are left out, as an
  evaluation of the same people would leave them out.
- **Who took part**: the people of the participants file (their roster rows are the
  model's employee ids at week 0), or without one the scenario's own enrolment: those
  on the learning side of the programme's relationships at any week up to the week
  after. Everyone else measured is a non-participant (guides of the pilot included:
  name a level to compare within the learners' level).
- **The statistic**: the mean of the person's score after minus before, over the
  group; for ``difference``, the participants' mean minus the non-participants'. NaN
  when a group has nobody measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.effects import outcomes
from sim.model.submodels.practice import usage_matrix
from sim.scenario.history import Observation
from sim.scenario.loading import arm_scenario
from sim.scenario.schema import Scenario


def pilot_change(
    before: pd.DataFrame, after: pd.DataFrame, obs: Observation, scenario: Scenario
) -> float:
    """The simulated value of a pilot row in one run, on wlsim's 0-1 scale.

    Args:
        before: The cohort's snapshot at the row's ``from_week``.
        after: The cohort's snapshot at its ``to_week`` (same people, same order).
        obs: The pilot row (``obs.pilot`` set).
        scenario: The scenario (the pilot's arm is taken from it).

    Returns:
        The group's mean change (or the difference of the two groups' mean changes);
        NaN when a group has nobody measured at both weeks.

    Raises:
        ValueError: If ``obs`` is not a pilot row.
    """
    pilot = obs.pilot
    if pilot is None:
        raise ValueError(f"{obs.text}: not a pilot row")
    sc = arm_scenario(scenario, pilot.arm)
    used = usage_matrix(sc) >= 0.5  # the domains each level's job uses at week 0
    focus: tuple[str, ...]
    if pilot.instrument == "survey":
        key, focus = ("engagement", "observed"), ()
    elif pilot.domain >= 0:
        key, focus = ("skill_focus", "observed"), (sc.organisation.domains[pilot.domain],)
    else:
        key, focus = ("skill_job", "observed"), ()
    if key not in outcomes(after, sc, focus, used):
        raise ValueError("the snapshots hold no scores: the observation model is off")
    y0 = outcomes(before, sc, focus, used)[key]
    y1 = outcomes(after, sc, focus, used)[key]
    measured = np.isfinite(y0) & np.isfinite(y1)
    if obs.level >= 0:
        measured &= before["level"].to_numpy() == obs.level
    took = participants(after, pilot.programme, pilot.participants)
    change = y1 - y0
    means = {}
    for group, who in (("participants", took), ("nonparticipants", ~took)):
        keep = measured & who
        means[group] = float(change[keep].mean()) if keep.any() else np.nan
    if pilot.group == "difference":
        return means["participants"] - means["nonparticipants"]
    return means[pilot.group]


def participants(snap: pd.DataFrame, programme: str, listed: tuple[int, ...] | None) -> np.ndarray:
    """Who took part, per initial employee: those listed, or the programme's learners.

    Args:
        snap: A snapshot of the initial cohort (``learner:<programme>`` columns).
        programme: The pilot programme.
        listed: Employee ids from a participants file; ``None``: the scenario's own
            enrolment, those ever on the programme's learning side up to ``snap``'s week.
    """
    if listed is None:
        return snap[f"learner:{programme}"].to_numpy(dtype=bool)
    took = np.zeros(len(snap), dtype=bool)
    took[np.asarray(listed, dtype=np.int64)] = True
    return took
