"""An organisation's history (calibration.history): read, checked, simulated, fitted."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.experiments import calibrate as cal_mod
from sim.scenario.history import Observation, load_history
from sim.scenario.loading import validate_scenario

pytest.importorskip("pyabc")

ROOT = Path(__file__).resolve().parents[1]
HEADER = "measure,from_week,to_week,level,tenure,value,sd\n"


def scenario(tmp_path: Path, rows: str, **calibration):
    path = tmp_path / "history.csv"
    path.write_text(HEADER + rows)
    raw = sim.load_scenario(
        ROOT / "scenarios/baseline.toml",
        overrides=["organisation.n_employees=120", "horizon_weeks=26"],
    ).model_dump(mode="python")
    raw["calibration"] = {
        "parameters": {"turnover.p_quit_per_week": {"low": 0.001, "high": 0.02}},
        "history": str(path),
        "population": 12,
        "generations": 2,
        **calibration,
    }
    return validate_scenario(raw)


def test_a_history_is_read_into_observations(tmp_path):
    rows = (
        "quits,0,13,,,12,\n"
        "Quits,13,26,individual contributor,0-52,5,\n"
        "promotions,0,26,senior contributor,,3,1.5\n"
        "engagement,,26,,,3.6,0.1\n"
    )
    obs = load_history(scenario(tmp_path, rows))
    assert [o.measure for o in obs] == ["quits", "quits", "promotions", "engagement"]
    assert obs[0].sd == pytest.approx(math.sqrt(12))  # Poisson by default
    assert obs[1].level == 0 and obs[1].tenure == (0.0, 52.0)
    assert obs[2].level == 1 and obs[2].sd == 1.5
    # Engagement on the 1-5 survey scale becomes the model's 0-1 scale.
    assert obs[3].from_week == obs[3].to_week == 26
    assert obs[3].value == pytest.approx(0.65) and obs[3].sd == pytest.approx(0.025)


def test_every_problem_of_a_history_is_named_in_one_message(tmp_path):
    rows = (
        "quitz,0,13,,,12,\n"  # line 2
        "quits,13,13,,,5,\n"  # 3: not a period
        "quits,0,40,,,5,\n"  # 4: past the horizon
        "promotions,0,26,boss,,3,\n"  # 5: no such level
        "quits,0,26,,a-b,3,\n"  # 6: bad band
        "engagement,,26,,,3.6,\n"  # 7: no sd for a mean
        "quits,0,26,,,-2,\n"  # 8: negative count
        "engagement,,26,,,7,0.1\n"  # 9: off the 1-5 scale
    )
    with pytest.raises(ScenarioError) as err:
        cal_mod.plan_calibration(scenario(tmp_path, rows))
    text = str(err.value)
    for expected in (
        "history.csv: 8 problems",
        "column measure: 1 row (2)",
        "did you mean 'quits'",
        "(3): the weeks are not a period",
        "column to_week: 1 row (4): the value is outside the run's weeks 0-26",
        "column level: 1 row (5)",
        "column tenure: 1 row (6)",
        "column sd: 1 row (7): the sd is empty for a survey mean",
        "column value: 1 row (8): the value is negative",
        "column value: 1 row (9): the value is outside organisation.engagement_scale",
    ):
        assert expected in text, (expected, text)


def test_unknown_and_missing_columns_are_named(tmp_path):
    sc = scenario(tmp_path, "quits,0,13,,,12,\n")
    (tmp_path / "history.csv").write_text("measure,from_week,to_week,vaule\nquits,0,13,12\n")
    with pytest.raises(ScenarioError) as err:
        cal_mod.plan_calibration(sc)
    assert "unknown columns 'vaule' (did you mean 'value'?)" in str(err.value)
    assert "missing columns value" in str(err.value)


def test_simulated_history_agrees_with_the_time_series(tmp_path):
    sc = scenario(tmp_path, "quits,0,26,,,12,\n")
    run = cal_mod.run_arm(sc, "no_programme", [0, 1], seed=5, surveyed={26})
    inf = math.inf
    for m, engagement in zip(run.models, run.engagement[26], strict=True):
        last = m.records[-1]
        every = Observation("quits", 0, 26, -1, (0.0, inf), 0, 1, "")
        assert cal_mod.quits_in(m.ledger.exits, every) == last["cumulative_quits"] > 0
        by_level = [
            cal_mod.quits_in(m.ledger.exits, Observation("quits", 0, 26, lv, (0.0, inf), 0, 1, ""))
            for lv in range(sc.n_levels)
        ]
        assert sum(by_level) == last["cumulative_quits"]
        halves = [
            cal_mod.quits_in(m.ledger.exits, Observation("quits", a, b, -1, (0.0, inf), 0, 1, ""))
            for a, b in ((0, 13), (13, 26))
        ]
        assert sum(halves) == last["cumulative_quits"]
        bands = [
            cal_mod.quits_in(m.ledger.exits, Observation("quits", 0, 26, -1, band, 0, 1, ""))
            for band in ((0.0, 52.0), (52.0, inf))
        ]
        assert sum(bands) == last["cumulative_quits"]
        promoted = Observation("promotions", 0, 26, -1, (0.0, inf), 0, 1, "")
        assert cal_mod.promotions_in(m.ledger.promotion_log, promoted) == last["promotions"]
        assert engagement[-1] == pytest.approx(last["mean_engagement"], rel=1e-12)
        assert np.isfinite(engagement[:-1]).all()


def test_a_calibration_fits_a_history(tmp_path):
    sc = scenario(tmp_path, "quits,0,13,,,8,\nquits,13,26,,,8,\nengagement,,26,,,3.5,0.1\n")
    result = cal_mod.run_calibration(sc, tmp_path / "c", progress=False)
    labels = list(result.predictive["target"])
    assert labels[0] == "history: quits in weeks 0-13 [no_programme]"
    assert labels[2] == "history: engagement at week 26 [no_programme]"
    assert result.predictive["observed"].tolist() == pytest.approx([8, 8, 0.625])
    assert len(result.posterior) == 12
