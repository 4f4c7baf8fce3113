"""`wlsim compare` and paired differences: a sweep's parameter values in the table, and
intervals that are NaN, without a warning, where too few replicates pair."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import paired_differences
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.sweep import run_sweep, swept_parameters
from sim.scenario.loading import validate_scenario

CAPACITY = "programmes.m.n_learners_per_guide_max"
RATE = "learning.rate_session_per_hour"

SWEEP = {
    "name": "compare_test",
    "horizon_weeks": 8,
    "replicates": 2,
    "organisation": {"n_employees": 60},
    "programmes": {"m": {"kind": "mentorship"}},
    "arms": {"none": {}, "m": {"programmes": ["m"]}},
    "sweep": {"grid": {CAPACITY: [1, 3], RATE: [0.02, 0.08]}, "keep_weeks": 4},
}


def test_compare_on_a_grid_sweep_gives_each_points_parameter_values(tmp_path, capsys):
    folder = tmp_path / "grid"
    run_sweep(validate_scenario(SWEEP), folder, progress=False)
    assert swept_parameters(folder) == [CAPACITY, RATE]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. numpy's RuntimeWarning on an empty mean
        assert main(["compare", str(folder), "--baseline", "none"]) == 0
    printed = capsys.readouterr().out

    table = pd.read_csv(folder / "comparison.csv")
    assert list(table.columns[:4]) == ["point", CAPACITY, RATE, "arm"]
    plan = pd.read_parquet(folder / "plan.parquet").drop_duplicates("point")
    expected = plan.set_index("point")[[CAPACITY, RATE]]
    got = table.drop_duplicates("point").set_index("point")[[CAPACITY, RATE]]
    pd.testing.assert_frame_equal(got, expected)  # integers stay integers
    assert got[RATE].tolist() == [0.02, 0.08, 0.02, 0.08]

    header, first = printed.splitlines()[:2]
    assert header.split()[:4] == ["point", CAPACITY, RATE, "arm"]
    assert first.split()[:4] == ["0", "1", "0.02", "m"]
    # Participants' retention has no value in the arm without programmes: n = 0, NaN.
    valueless = table[table["metric"] == "retention_participants"]
    assert (valueless["n"] == 0).all() and valueless["mean_diff"].isna().all()
    assert "NaN: fewer than 2 replicates paired" in printed


def test_the_time_series_dataset_joins_the_plan_for_parameter_values(tmp_path):
    """As docs/sweeps.md shows: the parts carry run_id, the plan the parameters."""
    folder = tmp_path / "grid"
    run_sweep(validate_scenario({**SWEEP, "replicates": 1}), folder, progress=False)
    timeseries = pd.read_parquet(folder / "timeseries")
    plan = pd.read_parquet(folder / "plan.parquet", columns=["run_id", *swept_parameters(folder)])
    joined = timeseries.merge(plan, on="run_id", how="left", validate="many_to_one")
    assert len(joined) == len(timeseries) and joined[[CAPACITY, RATE]].notna().all().all()
    runs = pd.read_parquet(folder / "runs.parquet")
    at_end = joined[joined["week"] == joined["week"].max()].set_index("run_id")
    by_run = runs.set_index("run_id")
    assert at_end.loc[by_run.index, [CAPACITY, RATE]].equals(by_run[[CAPACITY, RATE]])


def runs_table() -> pd.DataFrame:
    """Point 0: two replicates with equal differences (zero variance); point 1: one
    replicate; point 2: the arm's runs failed; ``retention_participants`` has no value in
    the baseline arm."""
    rows = []
    for point, rate, replicates in ((0, 0.02, 2), (1, 0.05, 1), (2, 0.1, 2)):
        for r in range(replicates):
            for arm, skill in (("none", 0.5 + r / 10), ("m", 0.6 + r / 10)):
                if point == 2 and arm == "m":
                    continue
                retention = np.nan if arm == "none" else 0.9
                rows.append(
                    {
                        RATE: rate,
                        "point": point,
                        "arm": arm,
                        "replicate": r,
                        "mean_skill": skill,
                        "retention_participants": retention,
                    }
                )
    frame = pd.DataFrame(rows)
    # A point whose baseline failed: the arm's row has nothing to pair with.
    extra = {RATE: 0.2, "point": 3, "arm": "m", "replicate": 0, "mean_skill": 0.7}
    return pd.concat([frame, pd.DataFrame([{**extra, "retention_participants": 0.9}])])


def test_too_few_replicates_give_nan_intervals_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = paired_differences(
            runs_table(), "none", ["mean_skill", "retention_participants"], parameters=[RATE]
        )
    skill = table[table["metric"] == "mean_skill"].set_index("point")
    assert skill["n"].tolist() == [2, 1, 0, 0]  # every point of the arm, even unpaired
    assert skill[RATE].tolist() == [0.02, 0.05, 0.1, 0.2]
    assert skill.loc[0, "mean_diff"] == pytest.approx(0.1)
    assert skill.loc[0, "half_width"] == pytest.approx(0.0)  # zero variance: no width
    assert np.isnan(skill.loc[1, "half_width"]) and skill.loc[1, "mean_diff"] == pytest.approx(0.1)
    assert skill.loc[2:, ["mean_diff", "ci_low", "ci_high"]].isna().all().all()
    assert np.isnan(skill.loc[3, "baseline_mean"])
    retention = table[table["metric"] == "retention_participants"]
    assert (retention["n"] == 0).all() and retention["baseline_mean"].isna().all()


def test_unknown_parameters_and_no_metric_are_refused():
    with pytest.raises(ScenarioError, match="not columns"):
        paired_differences(runs_table(), "none", ["mean_skill"], parameters=["learning.x"])
    with pytest.raises(ScenarioError, match="no headline metric"):
        paired_differences(runs_table().drop(columns=["mean_skill", "retention_participants"]))
