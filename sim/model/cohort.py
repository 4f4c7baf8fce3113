"""Person-level snapshots of the initial cohort, for effect sizes (docs/model.md 7.12).

Effect sizes compare the same people across arms, so they need person-level data: for
every employee of the initial cohort (ids ``0 .. n_initial - 1``, the same people in
every arm) at a few chosen weeks, whether they are still employed, their skills,
engagement, level and promotions, which programmes they were assigned to as learners,
and what HR would measure of them (:mod:`sim.model.observation`). A
:class:`CohortRecorder` is told after every week which learners each programme has, a
handful of array operations, and takes snapshots only at the chosen weeks, so the
weekly loop is not slowed. Like measurement, it never changes the model's state; only
the observation model draws, from its own stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sim.jit import kernel
from sim.model.observation import Observer
from sim.model.workplace import WorkplaceModel


@kernel
def _mark(flags, ids):
    """Set the flags of these employee ids, where the flags reach (the initial cohort)."""
    for i in ids:
        if i < len(flags):
            flags[i] = True


class CohortRecorder:
    """Snapshots of one run's initial cohort at chosen weeks.

    Args:
        model: The run, just built (at week 0).
        weeks: Weeks after which to take a snapshot (1..horizon); 0 takes one at once,
            before the first step (a pilot's measurement before it starts).
    """

    def __init__(self, model: WorkplaceModel, weeks: Iterable[int]) -> None:
        self.weeks = sorted(set(int(w) for w in weeks))
        n = model.n_initial
        wf = model.workforce
        self.n = n
        self.level_start = wf.level[wf.slot_of_id[:n]].copy()
        # Learners: the learning side of each programme's relationships (learners of
        # one-way designs; both members of reciprocal and group ones), ever, by id.
        self.learner = {p.name: np.zeros(n, dtype=bool) for p in model.programmes}
        # Relationships each programme had formed when its learners were last marked.
        self._formed = [-1] * len(model.programmes)
        sc = model.params
        self.observer = (
            Observer(
                model.streams.observation,
                n_people=n,
                n_raters=wf.n_slots + 1,
                n_domains=sc.n_domains,
                params=sc.observation,
            )
            if sc.observation.enabled
            else None
        )
        # Each snapshot's columns; :meth:`table` makes one table of them all.
        self._snapshots: list[dict[str, np.ndarray]] = []
        self.mark(model)
        if 0 in self.weeks and model.week == 0:
            self._snapshots.append(self._columns(model))

    def mark(self, model: WorkplaceModel) -> None:
        """Record who is on the learning side of each programme's relationships now.

        A programme's relationships are only added by forming them, which counts them
        (``n_formed``); in a week in which it formed none, everyone in them has been
        marked before, and it is skipped.
        """
        for k, prog in enumerate(model.programmes):
            if prog.n_formed == self._formed[k]:
                continue
            self._formed[k] = prog.n_formed
            r = prog.relationships
            flags = self.learner[prog.name]
            _mark(flags, r.b)
            if prog.reciprocal:
                _mark(flags, r.a)

    def after_week(self, model: WorkplaceModel) -> None:
        """Call after every step: marks learners; snapshots if this is a chosen week."""
        self.mark(model)
        if model.week in self.weeks:
            self._snapshots.append(self._columns(model))

    def snapshot(self, model: WorkplaceModel) -> pd.DataFrame:
        """The cohort now: one row per initial employee (leavers with ``employed`` false).

        Columns: ``week``, ``employee_id``, ``employed``, ``level_start``, ``level``
        (-1 once left), ``promotions`` (since week 0, leavers keep theirs),
        ``engagement``, ``skill_<domain>``, one ``learner:<programme>`` flag per
        programme of the arm (ever on its learning side up to this week) and, with the
        observation model on, ``survey`` (engagement score on the engagement scale, NaN
        for non-respondents and leavers) and ``rating_<domain>`` (on the skill scale).
        True values of leavers are NaN.
        """
        return pd.DataFrame(self._columns(model))

    def _columns(self, model: WorkplaceModel) -> dict[str, np.ndarray]:
        """The columns of :meth:`snapshot`."""
        wf, sc = model.workforce, model.params
        n = self.n
        slot = wf.slot_of_id[:n]
        employed = slot >= 0
        at = np.maximum(slot, 0)
        skill = np.where(employed[:, None], wf.skill[at], np.nan)
        engagement = np.where(employed, wf.engagement[at], np.nan)
        columns: dict[str, np.ndarray] = {
            "week": np.full(n, model.week, dtype=np.int64),
            "employee_id": np.arange(n, dtype=np.int64),
            "employed": employed,
            "level_start": self.level_start,
            "level": np.where(employed, wf.level[at], -1),
            "promotions": model.ledger.initial_promotions.copy(),
            "engagement": engagement,
        }
        domains = sc.organisation.domains
        for j, d in enumerate(domains):
            columns[f"skill_{d}"] = skill[:, j]
        for name, flags in self.learner.items():
            columns[f"learner:{name}"] = flags.copy()
        if self.observer is not None:
            boss = wf.manager[at]
            rater = np.where(boss >= 0, boss, wf.n_slots)
            org = sc.organisation
            ratings, scores = self.observer.measure(
                np.nan_to_num(skill), np.nan_to_num(engagement), rater, org.skill_scale,
                org.engagement_scale,
            )  # fmt: skip
            columns["survey"] = np.where(employed, scores, np.nan)
            for j, d in enumerate(domains):
                columns[f"rating_{d}"] = np.where(employed, ratings[:, j], np.nan)
        return columns

    def table(self, leading: Mapping[str, object] | None = None) -> pd.DataFrame:
        """Every snapshot taken, one row per (week, employee).

        Args:
            leading: Columns to put first, one value each for every row (a run's arm
                and replicate).
        """
        if not self._snapshots:
            return (
                pd.DataFrame(dict(leading), index=pd.RangeIndex(0)) if leading else pd.DataFrame()
            )
        columns: dict[str, object] = dict(leading or {})
        for name in self._snapshots[0]:
            columns[name] = np.concatenate([s[name] for s in self._snapshots])
        return pd.DataFrame(columns)
