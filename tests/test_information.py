"""Which targets inform which parameter, and what to measure next (linearised screen).

The pure functions are checked on synthetic statistics whose answer is known in closed
form; the screen of a real calibration is checked for determinism across executors and
for what it measures.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import information as inf
from sim.experiments.calibrate import plan_calibration, screen_point
from sim.experiments.screen import run_screen
from sim.scenario.loading import validate_scenario

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two parameters; 'a_only' depends on a, 'both' on a and b, 'noise' on neither."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.uniform(-1.7, 1.7, n), "b": rng.uniform(-1.7, 1.7, n)})
    y = pd.DataFrame(
        {
            "a_only": 2.0 * x["a"] + rng.normal(0, 0.5, n),
            "b_only": 3.0 * x["b"] + rng.normal(0, 1.0, n),
            "noise": rng.normal(0, 1.0, n),
        }
    )
    return x, y


def test_slopes_and_residual_noise_are_recovered():
    x, y = synthetic()
    sens = inf.sensitivities(x, y).set_index("statistic")
    assert sens.loc["a_only", "a"] == pytest.approx(2.0, abs=0.1)
    assert abs(sens.loc["a_only", "b"]) < 0.1
    assert sens.loc["a_only", "residual_sd"] == pytest.approx(0.5, rel=0.1)
    assert sens.loc["b_only", "b"] == pytest.approx(3.0, abs=0.15)


def test_linearised_sd_ratio_matches_the_gaussian_formula():
    x, y = synthetic()
    sens = inf.sensitivities(x, y)
    row = sens.set_index("statistic").loc["a_only"]
    sd = 1.0  # the target's stated uncertainty adds to the residual noise
    v = row["residual_sd"] ** 2 + sd**2
    # Sherman-Morrison: the diagonal of (I + b b^T / v)^-1 is 1 - b_j^2 / (v + |b|^2).
    expected = np.sqrt(1 - row["a"] ** 2 / (v + row["a"] ** 2 + row["b"] ** 2))
    ratios = inf.sd_ratios(sens[sens["statistic"] == "a_only"], ["a", "b"], {"a_only": sd})
    assert ratios[0] == pytest.approx(expected)
    assert ratios[1] == pytest.approx(1.0, abs=0.01)  # nothing informs b


def test_each_target_informs_its_own_parameter_and_the_rest_is_advised():
    x, y = synthetic()
    sens = inf.sensitivities(x, y)
    table = inf.by_target(sens, ["a", "b"], {"a_only": 0.5}).set_index("parameter")
    assert table.loc["a", "all_targets"] == pytest.approx(1 / 3, abs=0.03)  # 1/sqrt(1 + 4/0.5)
    assert table.loc["a", "without: a_only"] == pytest.approx(1.0)
    assert table.loc["b", "all_targets"] > 0.95
    value = inf.measurement_value(sens, ["a", "b"], {"a_only": 0.5})
    best = value[value["parameter"] == "b"].sort_values("gain").iloc[-1]
    assert best["candidate"] == "b_only" and best["sd_ratio_with"] < 0.4
    assert value.loc[value["candidate"] == "noise", "gain"].abs().max() < inf.MIN_GAIN
    advice = inf.advice(value, ["b"])
    assert len(advice) == 1 and "measure b_only" in advice[0] and "noise" not in advice[0]
    none = inf.advice(value[value["candidate"] == "noise"], ["b"])
    assert "none of the candidate measurements" in none[0]


def test_the_screen_is_the_same_on_any_executor_and_measures_targets_and_candidates():
    raw = sim.load_scenario(
        ROOT / "scenarios/programmes/mentorship.toml",
        overrides=["organisation.n_employees=120", "horizon_weeks=60"],
    ).model_dump(mode="python")
    raw["calibration"] = {
        "parameters": {
            "learning.rate_session_per_hour": {"low": 0.02, "high": 0.1},
            "turnover.p_quit_per_week": {"low": 0.002, "high": 0.006},
        },
        "targets": [
            {"metric": "cumulative_quits", "arm": "no_programme", "observed": 20, "sd": 5},
            {"effect": "skill_focus", "arm": "mentorship", "observed": 0.2, "sd": 0.1},
        ],
        "population": 4,
    }
    problem = plan_calibration(validate_scenario(raw))
    cal, seed = problem.scenario.calibration, problem.scenario.seed
    point = partial(screen_point, problem)
    serial = run_screen(cal, seed, point, n=6)
    with ThreadPoolExecutor(2) as pool:
        pooled = run_screen(cal, seed, point, n=6, executor=pool)
    pd.testing.assert_frame_equal(serial.values, pooled.values)
    columns = set(serial.values.columns)
    assert {problem.label(0), problem.label(1)} <= columns
    assert "cumulative_quits [mentorship, week 60]" in columns
    assert "d of skill_job (observed) [mentorship in mentorship against no_programme, end]" in (
        columns
    )
    # The Latin hypercube: one point in each sixth of every prior's (flat) range.
    z = serial.design.to_numpy()
    bins = np.floor((z / np.sqrt(12) + 0.5) * 6).astype(int)
    assert all(sorted(bins[:, j]) == list(range(6)) for j in range(2))
    # More quits where the quit hazard is higher (the target's own statistic).
    quits = serial.values[problem.label(0)]
    assert np.corrcoef(serial.values["turnover.p_quit_per_week"], quits)[0, 1] > 0.5
