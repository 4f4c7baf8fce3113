"""The screen of a calibration: what each target and each candidate measurement depends on.

After a calibration, :func:`run_screen` runs its scenario at points spread over the
priors (a Latin hypercube) and records every target's statistic and every candidate
measurement's (:func:`sim.experiments.calibrate.screen_point`): what an HR team or a
study could observe in the scenario's arms (quits, promotions, the engagement survey,
time to proficiency, participants' and non-participants' retention and promotions,
advice ties from a network survey) and each programme's effects as a study would
measure them (ratings and surveys; retention and promotion as risk ratios).
:mod:`sim.analysis.information` turns the table into "which targets inform which
parameter" and "what to measure next".

Points are seeded from ``SeedSequence(seed, spawn_key=(SCREEN_KEY, ...))`` alone, so the
screen is the same on every back-end.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.analysis.posterior import prior_sd
from sim.scenario.schema import Calibration

#: Spawn key of the screen's seeds (apart from particles' and replicates').
SCREEN_KEY = 0x5C2E

#: Metrics an organisation can observe (from HR records and surveys), as candidates.
OBSERVABLE_METRICS = (
    "cumulative_quits",
    "promotions",
    "mean_engagement",
    "time_to_proficiency_weeks",
    "retention_participants",
    "retention_nonparticipants",
    "promotions_per_learner",
    "promotions_per_nonparticipant",
    "advice_ties_per_employee",
)

#: Effect sizes a study can measure: (outcome, measure, statistic).
OBSERVABLE_EFFECTS = (
    ("skill_focus", "observed", "d"),
    ("skill_job", "observed", "d"),
    ("engagement", "observed", "d"),
    ("retention", "latent", "risk_ratio"),
    ("promotion", "latent", "risk_ratio"),
)


@dataclass(frozen=True)
class Screen:
    """Statistics at points over the priors.

    Attributes:
        values: One row per point: each parameter's value (its dotted path) and each
            statistic (a target's label or a candidate's name).
        design: The same points standardised: each parameter on its prior's flat scale,
            centred and divided by the prior's sd.
    """

    values: pd.DataFrame
    design: pd.DataFrame


def default_points(n_parameters: int) -> int:
    """Points of a screen: ten per parameter, at least 40."""
    return max(10 * n_parameters, 40)


def point_seed(seed: int, index: int) -> int:
    """The root seed of the runs at point ``index`` of a screen."""
    seq = np.random.SeedSequence(seed, spawn_key=(SCREEN_KEY, 1, index))
    return int(seq.generate_state(1, np.uint64)[0] % 2**62)


def _points(cal: Calibration, seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Latin hypercube over the priors: values, and values standardised."""
    paths = list(cal.parameters)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SCREEN_KEY, 0)))
    unit = qmc.LatinHypercube(d=len(paths), seed=rng).random(n)
    values, design = {}, {}
    for j, path in enumerate(paths):
        prior = cal.parameters[path]
        log = prior.distribution == "loguniform"
        low, high = (np.log10(prior.low), np.log10(prior.high)) if log else (prior.low, prior.high)
        flat = low + unit[:, j] * (high - low)
        values[path] = 10**flat if log else flat
        sd = prior_sd(prior.distribution, prior.low, prior.high)
        design[path] = (flat - (low + high) / 2) / sd
    return pd.DataFrame(values), pd.DataFrame(design)


#: One point of a screen: its parameter values and number in, statistics by name out.
Point = Callable[[dict[str, float], int], dict[str, float]]


def _run_points(args: tuple[Point, list[tuple[int, dict[str, float]]]]) -> list[dict]:
    point, chunk = args
    return [point(values, i) for i, values in chunk]


def run_screen(
    cal: Calibration,
    seed: int,
    point: Point,
    n: int | None = None,
    executor: futures.Executor | None = None,
) -> Screen:
    """Run a screen over the priors of a calibration.

    Args:
        cal: The ``[calibration]`` section (its priors).
        seed: The scenario's seed (the points and their runs are seeded from it).
        point: Simulates one point; picklable, for an executor (the calibration's
            :func:`sim.experiments.calibrate.screen_point` bound to its problem).
        n: Points (default :func:`default_points`).
        executor: Where points run (default: this process); the result is the same.

    Returns:
        The points and their statistics.
    """
    paths = list(cal.parameters)
    n = n or default_points(len(paths))
    values, design = _points(cal, seed, n)
    points = [(i, {p: float(values.at[i, p]) for p in paths}) for i in range(n)]
    chunks = [(point, points[i : i + 4]) for i in range(0, n, 4)]
    if executor is None:
        results = [_run_points(c) for c in chunks]
    else:
        results = list(executor.map(_run_points, chunks))
    stats = pd.DataFrame([r for chunk in results for r in chunk], index=range(n))
    return Screen(pd.concat([values, stats], axis=1), design)
