"""An organisation's own history, validated: what ``wlsim calibrate`` fits to.

HR teams keep counts and survey results by period, not person-level histories. The
history file (CSV or Parquet, named by ``calibration.history``) holds one observation per
row, in a long format documented in ``docs/data.md`` ("Your organisation's history"):

========== ===========================================================================
column     meaning
========== ===========================================================================
measure    ``quits`` (people who left in the period), ``promotions`` (people promoted
           in the period, counted at the level they left), ``engagement`` (mean
           engagement survey score at the end of ``to_week``, on
           ``organisation.engagement_scale``), or a pilot's ``rating`` or ``survey``
           (the mean change of a group's scores between two weeks,
           :mod:`sim.scenario.pilots`)
from_week  first week of the period (weeks from the start of the simulated history);
           a pilot's week before
to_week    the week after the period's last (quits and promotions); the week measured
           (engagement: ``from_week`` may be left empty); a pilot's week after
value      the observed count, mean, or mean change
level      optional: a level name of ``organisation.levels`` (empty: every level)
tenure     optional, quits only: tenure band in weeks at leaving, ``LOW-HIGH`` (low
           included, high excluded; ``52-`` for 52 weeks and more)
sd         optional: the uncertainty of the value; counts default to the Poisson
           ``sqrt(max(value, 1))``, pilots to the instrument's error over the group
           sizes (:func:`~sim.scenario.pilots.default_sd`), survey means need one
arm ...    pilot rows only: ``arm``, ``programme``, ``domain``, ``group``,
           ``n_participants``, ``n_nonparticipants``, ``participants``
           (:mod:`sim.scenario.pilots`)
========== ===========================================================================

The file is read and checked as the roster is (:mod:`~sim.scenario.datafile`): every
problem in one message, naming the column, the file's lines, the values and the fix.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import did_you_mean
from sim.scenario import pilots
from sim.scenario.datafile import (
    DataError,
    Kind,
    open_file,
    read_bytes,
    read_frame,
    report,
    row_problem,
    unknown_columns,
)
from sim.scenario.pilots import PILOT_MEASURES, Pilot, check_pilots, default_sd, describe
from sim.scenario.schema import Scenario

HISTORY = Kind("calibration.history", "organisation history", "history", "observations")
MEASURES = ("quits", "promotions", "engagement", *PILOT_MEASURES)
REQUIRED = ("measure", "from_week", "to_week", "value")
OPTIONAL = ("level", "tenure", "sd", *pilots.COLUMNS)


@dataclass(frozen=True)
class Observation:
    """One validated row of the history.

    Attributes:
        measure: ``quits``, ``promotions``, ``engagement``, ``rating`` or ``survey``.
        from_week: First week of the period (engagement: the week measured; a pilot:
            the week before).
        to_week: The week after the period (engagement: the week measured; a pilot: the
            week after).
        level: Level index, or -1 for every level.
        tenure: Tenure band in weeks at leaving ``(low, high)``; ``(0, inf)`` for all.
        value: The observed value (engagement, ratings and surveys: on the 0-1 scale of
            the model).
        sd: Its uncertainty, on the same scale.
        text: How the row reads, for messages and tables.
        pilot: What a pilot row (``rating``, ``survey``) measures; ``None`` otherwise.
    """

    measure: str
    from_week: int
    to_week: int
    level: int
    tenure: tuple[float, float]
    value: float
    sd: float
    text: str
    pilot: Pilot | None = None


def load_history(scenario: Scenario) -> tuple[Observation, ...]:
    """Load and check the history file that ``calibration.history`` names.

    Raises:
        DataError: Naming every problem of the file: columns, rows, values and fixes.
    """
    value = scenario.calibration.history
    path, stat = open_file(value, HISTORY)
    frame, rows, problems = _read(str(path), stat.st_mtime_ns, stat.st_size)
    observations, found = _check(scenario, frame, rows, path.parent)
    problems = [*problems, *found]
    if problems:
        raise DataError(report(path, problems, HISTORY))
    return observations


@functools.lru_cache(maxsize=4)
def _read(path_text: str, mtime: int, size: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    path = Path(path_text)
    frame, rows, problems = read_frame(path, read_bytes(path, HISTORY), HISTORY)
    return frame, rows, problems


def _check(
    scenario: Scenario, frame: pd.DataFrame, rows: np.ndarray, folder: Path
) -> tuple[tuple[Observation, ...], list[str]]:
    columns = list(frame.columns)
    problems = unknown_columns(columns, [*REQUIRED, *OPTIONAL])
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            f"missing columns {', '.join(missing)}; the history needs "
            f'{", ".join(REQUIRED)} (docs/data.md, "Your organisation\'s history")'
        )
        return (), problems
    if not len(frame):
        return (), ["no observations: add one row per count or survey mean"]
    text = {
        c: frame[c] if c in columns else pd.Series([""] * len(frame))
        for c in (*REQUIRED, *OPTIONAL)
    }
    measure = text["measure"].str.lower()
    bad = ~measure.isin(MEASURES)
    problems += row_problem(
        "measure", rows, bad, f"is not one of {', '.join(MEASURES)}", text["measure"],
        fix=_hint(text["measure"][bad]),
    )  # fmt: skip
    horizon = scenario.horizon_weeks
    engagement = (measure == "engagement").to_numpy()
    pilot = measure.isin(PILOT_MEASURES).to_numpy()
    to_week, p = _weeks(text["to_week"], rows, "to_week", horizon, allow_empty=False)
    problems += p
    from_week, p = _weeks(text["from_week"], rows, "from_week", horizon, allow_empty=True)
    problems += p
    problems += row_problem(
        "from_week", rows, engagement & ~np.isnan(from_week) & (from_week != to_week),
        "differs from to_week for a survey", text["from_week"],
        fix="a survey mean is measured in one week, to_week: leave from_week empty",
    )  # fmt: skip
    from_week = np.where(np.isnan(from_week) & engagement, to_week, from_week)
    problems += row_problem(
        "from_week", rows, np.isnan(from_week) & ~engagement & ~pilot & ~np.isnan(to_week),
        "is empty", fix="give the first week of the period counted",
    )  # fmt: skip
    problems += row_problem(
        "from_week", rows, (text["from_week"] == "").to_numpy() & pilot, "is empty",
        fix="give the week of the measurement before the pilot",
    )  # fmt: skip
    both = ~np.isnan(from_week) & ~np.isnan(to_week)
    problems += row_problem(
        "from_week, to_week", rows, pilot & both & (from_week >= to_week),
        "are not before and after", text["from_week"] + "-" + text["to_week"],
        fix="from_week is the measurement before the pilot, to_week the one after: "
        "from_week must be the earlier", subject="the weeks",
    )  # fmt: skip
    flows = ~engagement & ~pilot & both
    problems += row_problem(
        "from_week, to_week", rows, flows & (from_week >= to_week), "are not a period",
        text["from_week"] + "-" + text["to_week"],
        fix="to_week is the week after the period's last, so it must be above from_week",
        subject="the weeks",
    )  # fmt: skip
    value = pd.to_numeric(text["value"], errors="coerce").to_numpy(dtype=float)
    problems += row_problem(
        "value", rows, ~np.isfinite(value), "is not a number", text["value"],
        fix="give the observed count or mean",
    )  # fmt: skip
    problems += row_problem(
        "value", rows, np.isfinite(value) & ~engagement & ~pilot & (value < 0), "is negative",
        text["value"], fix="counts are 0 or more",
    )  # fmt: skip
    scale = scenario.organisation.engagement_scale
    off_scale = engagement & np.isfinite(value) & ((value < scale[0]) | (value > scale[1]))
    problems += row_problem(
        "value", rows, off_scale, f"is outside organisation.engagement_scale {list(scale)}",
        text["value"], fix="give the survey mean on the scale the scenario states",
    )  # fmt: skip
    org = scenario.organisation
    width = {
        "rating": org.skill_scale[1] - org.skill_scale[0],
        "survey": scale[1] - scale[0],
    }
    span = measure.map(width).to_numpy(dtype=float) * np.where(
        text["group"].str.lower() == "difference", 2, 1
    )
    problems += row_problem(
        "value", rows, pilot & np.isfinite(value) & (np.abs(value) > span),
        "is a larger change than the scale allows", text["value"],
        fix="give the mean change after minus before in points of organisation.skill_scale "
        "(ratings) or engagement_scale (surveys)",
    )  # fmt: skip
    levels = list(scenario.organisation.levels)
    level_text = text["level"]
    known = level_text.isin(levels) | (level_text == "")
    problems += row_problem(
        "level", rows, ~known, "is not a level of organisation.levels", level_text,
        fix=f"use one of {', '.join(levels)} or leave it empty for every level",
    )  # fmt: skip
    tenure, p = _tenure(text["tenure"], measure, rows)
    problems += p
    sd_given = pd.to_numeric(text["sd"], errors="coerce").to_numpy(dtype=float)
    empty_sd = (text["sd"] == "").to_numpy()
    problems += row_problem(
        "sd", rows, ~empty_sd & ~(sd_given > 0), "is not a number above 0", text["sd"],
        fix="give the uncertainty of the value, or leave it empty for a count or a pilot",
    )  # fmt: skip
    problems += row_problem(
        "sd", rows, empty_sd & engagement, "is empty for a survey mean",
        fix="give its standard error (the survey's sd over the square root of the responses)",
        subject="the sd",
    )  # fmt: skip
    found, p = check_pilots(scenario, text, pilot, rows, folder)
    problems += p
    if problems:
        return (), problems
    out = []
    for i in range(len(frame)):
        m = measure.iloc[i]
        sd = sd_given[i] if not empty_sd[i] else math.sqrt(max(value[i], 1.0))
        v = value[i]
        spec = found[i]
        if m == "engagement":  # the model's engagement is on 0-1
            v, sd = (v - scale[0]) / width["survey"], sd / width["survey"]
        elif spec is not None:  # a change on the instrument's scale, as one on 0-1
            if empty_sd[i]:
                sd = default_sd(scenario, m, spec.sizes)
            v, sd = v / width[m], sd / width[m]
        level = levels.index(level_text.iloc[i]) if level_text.iloc[i] else -1
        start, end = int(from_week[i]), int(to_week[i])
        out.append(
            Observation(
                measure=m,
                from_week=int(from_week[i]),
                to_week=int(to_week[i]),
                level=level,
                tenure=tenure[i],
                value=float(v),
                sd=float(sd),
                text=(
                    describe(spec, start, end, level_text.iloc[i], org.domains)
                    if spec is not None
                    else _describe(m, start, end, level_text.iloc[i], tenure[i])
                ),
                pilot=spec,
            )
        )
    return tuple(out), []


def _hint(values: pd.Series) -> str:
    first = next(iter(values), "")
    return f"use one of {', '.join(MEASURES)}" + (did_you_mean(first, MEASURES) if first else "")


def _weeks(
    text: pd.Series, rows: np.ndarray, column: str, horizon: int, allow_empty: bool
) -> tuple[np.ndarray, list[str]]:
    """Week numbers as floats (NaN where empty or invalid) and their problems."""
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    empty = (text == "").to_numpy()
    whole = np.isfinite(number) & (np.round(number) == number)
    problems = row_problem(
        column, rows, ~empty & ~whole, "is not a whole number of weeks", text,
        fix="weeks count from 0, the start of the simulated history",
    )  # fmt: skip
    if not allow_empty:
        problems += row_problem(column, rows, empty, "is empty", fix="give the week")
    outside = whole & ((number < 0) | (number > horizon))
    problems += row_problem(
        column, rows, outside, f"is outside the run's weeks 0-{horizon}", text,
        fix="raise horizon_weeks to cover the history, or drop the rows after it",
    )  # fmt: skip
    return np.where(whole & ~outside, number, np.nan), problems


def _tenure(
    text: pd.Series, measure: pd.Series, rows: np.ndarray
) -> tuple[list[tuple[float, float]], list[str]]:
    """Tenure bands ``(low, high)`` in weeks, and their problems."""
    bands: list[tuple[float, float]] = []
    bad = np.zeros(len(text), dtype=bool)
    for i, t in enumerate(text):
        if not t:
            bands.append((0.0, math.inf))
            continue
        low, sep, high = t.partition("-")
        try:
            band = (float(low), float(high) if high.strip() else math.inf)
        except ValueError:
            band = (math.nan, math.nan)
        if not sep or not (0 <= band[0] < band[1]):
            bad[i] = True
        bands.append(band)
    problems = row_problem(
        "tenure", rows, bad, "is not a band of weeks LOW-HIGH", text,
        fix="write e.g. 0-52 (the first year) or 52- (52 weeks and more)",
    )  # fmt: skip
    problems += row_problem(
        "tenure", rows, (text != "").to_numpy() & (measure != "quits").to_numpy(),
        "is given for a measure other than quits", text,
        fix="tenure bands apply to quits only; leave it empty",
    )  # fmt: skip
    return bands, problems


def _describe(measure: str, start: int, end: int, level: str, tenure: tuple[float, float]) -> str:
    where = f", {level}" if level else ""
    if measure == "engagement":
        return f"engagement at week {end}{where}"
    band = ""
    if tenure != (0.0, math.inf):
        high = "" if math.isinf(tenure[1]) else f"{tenure[1]:g}"
        band = f", tenure {tenure[0]:g}-{high} weeks"
    return f"{measure} in weeks {start}-{end}{where}{band}"
