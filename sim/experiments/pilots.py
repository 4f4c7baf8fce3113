"""Running the arm of a pilot for a calibration: who enrols, and the cohort's snapshots.

A calibration's particle runs each arm that a pilot row of its history names
(:mod:`sim.scenario.pilots`) with a :class:`PilotWatch`: before the first week the
watch fixes who enrols when the rows name a participants file (those listed enrol in
every programme of the arm for which they are eligible, nobody else of the starting
workforce does, as the roster's ``participant`` column would fix it), and it snapshots
the initial cohort, with the observation model's ratings and survey scores, at every
week a pilot row measures. :func:`sim.analysis.pilots.pilot_change` turns two
snapshots into the row's statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.pilots import pilot_change
from sim.model.cohort import CohortRecorder
from sim.model.workforce import enrol_only
from sim.model.workplace import WorkplaceModel
from sim.scenario.history import Observation
from sim.scenario.schema import Scenario


class PilotWatch:
    """The pilot rows of one arm of a particle, measured in each of its replicates.

    Args:
        scenario: The particle's scenario.
        rows: The history's pilot rows measured in this arm (none: the watch does
            nothing).
    """

    def __init__(self, scenario: Scenario, rows: Sequence[Observation]) -> None:
        self.scenario = scenario
        self.rows = tuple(rows)
        self.weeks = sorted({w for o in self.rows for w in (o.from_week, o.to_week)})
        listed = {o.pilot.participants for o in self.rows if o.pilot and o.pilot.participants}
        # One participants file per arm (checked when the history is read).
        self.listed = next(iter(listed), None)
        self.recorders: list[CohortRecorder] = []
        self._snapshots: list[dict[int, pd.DataFrame]] = []

    def start(self, models: Sequence[WorkplaceModel]) -> None:
        """Before the first week: fix who enrols, and start recording (week 0's snapshot)."""
        if not self.rows:
            return
        for m in models:
            if self.listed is not None:  # roster row i is employee id i
                enrol_only(m.workforce, np.asarray(self.listed, dtype=np.int64))
            self.recorders.append(CohortRecorder(m, self.weeks))

    def after_week(self, first: int, models: Sequence[WorkplaceModel]) -> None:
        """After a week's step of the replicates ``first ..``: record their snapshots."""
        for recorder, m in zip(self.recorders[first:], models, strict=False):
            recorder.after_week(m)

    def values(self, obs: Observation) -> np.ndarray:
        """The simulated value of a pilot row, per replicate (0-1 scale)."""
        if len(self._snapshots) != len(self.recorders):
            self._snapshots = [
                dict(iter(r.table().groupby("week", sort=False))) for r in self.recorders
            ]
        return np.asarray(
            [
                pilot_change(snap[obs.from_week], snap[obs.to_week], obs, self.scenario)
                for snap in self._snapshots
            ],
            dtype=float,
        )
