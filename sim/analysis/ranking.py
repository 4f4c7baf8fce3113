"""Which assumed parameters a ranking of arms depends on, and how much.

For ``report.html`` (docs/model.md section 7.12): :func:`assumed_parameters` lists the
parameters whose source is "assumption" that the arms' programmes exercise (every
component of their programme tables, and the learning, engagement, turnover and
promotion parameters through which sessions act); :func:`ranking_sensitivity` re-ranks
the arms on the headline metric with each of a few influential assumptions moved to the
ends of its sensitivity range, on a reduced run (stated in the table), so a reader sees
whether the ranking survives the assumptions it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.model.workplace import WorkplaceModel
from sim.scenario.schema import Scenario, sa_bounds

#: Parameters outside the programme tables through which sessions act on the outcomes.
LEVERS = (
    "learning.rate_session_per_hour",
    "learning.feedback_per_hour",
    "learning.rel_feedback_plateau",
    "learning.transfer_base",
    "learning.gap_absorption",
    "learning.rel_nonfocus",
    "engagement.support_per_session",
    "engagement.progress_per_skill",
    "engagement.overload_per_hour",
    "turnover.rel_hazard_per_engagement",
    "promotion.weight_visibility",
)

#: The assumptions docs/calibration.md names as deciding how designs rank (feedback-rich
#: designs rank high): the ones re-ranked at report time.
INFLUENTIAL = (
    "learning.rate_session_per_hour",
    "learning.feedback_per_hour",
    "learning.rel_feedback_plateau",
    "learning.transfer_base",
)


def _field(scenario: Scenario, path: str):
    section, name = path.split(".")
    model = getattr(scenario, section)
    return type(model).model_fields[name], getattr(model, name)


def assumed_parameters(scenario: Scenario, arms: Sequence[str]) -> pd.DataFrame:
    """Parameters sourced "assumption" that the arms' programmes exercise.

    Returns:
        One row per parameter: ``parameter`` (dotted path; programme components as
        ``programmes.NAME.x``), ``value``, ``range`` (sensitivity range and whether
        chosen or by rule) and ``source``.
    """
    rows = []
    paths: list[tuple[str, Any, Any]] = []
    for path in LEVERS:
        field, value = _field(scenario, path)
        paths.append((path, field, value))
    names = dict.fromkeys(p for a in arms for p in scenario.arms[a].programmes)
    for name in names:
        prog = scenario.programmes[name]
        for key, field in type(prog).model_fields.items():
            if key == "kind":
                continue
            paths.append((f"programmes.{name}.{key}", field, getattr(prog, key)))
    for path, field, value in paths:
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        source = str(extra.get("source", ""))
        if not source.startswith("assumption"):
            continue
        bounds = sa_bounds(field)
        rows.append(
            {
                "parameter": path,
                "value": value,
                "range": "-" if bounds is None else f"{bounds[0]:g} - {bounds[1]:g} ({bounds[2]})",
                "source": source,
            }
        )
    return pd.DataFrame(rows)


def _ranking(scenario: Scenario, arms: Sequence[str], metric: str, replicates: int) -> pd.Series:
    values = {}
    for arm in arms:
        runs = []
        for r in range(replicates):
            model = WorkplaceModel(scenario, arm=arm, replicate=r)
            model.run()
            runs.append(model.records[-1][metric])
        values[arm] = float(np.mean(runs))
    return pd.Series(values).sort_values(ascending=False, kind="stable")


def ranking_sensitivity(
    scenario: Scenario,
    arms: Sequence[str],
    metric: str = "mean_skill",
    parameters: Sequence[str] = INFLUENTIAL,
    n_employees: int = 200,
    horizon_weeks: int = 52,
    replicates: int = 2,
) -> pd.DataFrame:
    """The arms' ranking on ``metric`` with each parameter at the ends of its range.

    Runs a reduced version of the scenario (at most ``n_employees`` employees,
    ``horizon_weeks`` weeks, ``replicates`` replicates, the same seeds in every arm) at
    the defaults and with each parameter moved, one at a time, to the low and high end
    of its sensitivity range.

    Returns:
        One row per setting: ``parameter``, ``value``, ``ranking`` (arms from highest to
        lowest mean ``metric`` at the horizon), ``same_as_default`` and ``spread`` (best
        minus worst arm).
    """
    org = scenario.organisation
    size = org.n_employees if org.source else min(n_employees, org.n_employees)  # HR data: as is
    small = scenario.model_copy(
        update={
            "organisation": org.model_copy(update={"n_employees": size}),
            "horizon_weeks": min(horizon_weeks, scenario.horizon_weeks),
        }
    )
    settings: list[tuple[str, Any, Scenario]] = [("(defaults)", "", small)]
    for path in parameters:
        section, name = path.split(".")
        field, _ = _field(small, path)
        bounds = sa_bounds(field)
        if bounds is None:
            continue
        for value in bounds[:2]:
            part = getattr(small, section).model_copy(update={name: value})
            settings.append((path, value, small.model_copy(update={section: part})))
    rows = []
    default_order: list[str] = []
    for path, value, sc in settings:
        ranked = _ranking(sc, arms, metric, replicates)
        order = list(ranked.index)
        default_order = default_order or order
        rows.append(
            {
                "parameter": path,
                "value": value,
                "ranking": " > ".join(order),
                "same_as_default": order == default_order,
                "spread": float(ranked.iloc[0] - ranked.iloc[-1]),
            }
        )
    return pd.DataFrame(rows)
