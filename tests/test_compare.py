"""`wlsim compare` and paired differences: a sweep's parameter values in the table, and
intervals that are NaN, without a warning, where too few replicates pair."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import paired_differences
from sim.errors import ScenarioError

RATE = "learning.rate_session_per_hour"


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
