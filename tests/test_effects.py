"""Effect sizes: the estimand on hand-made data with a known answer, and end to end."""

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import sim
from sim.analysis.effects import COLUMNS, effect_sizes, snapshot_weeks
from sim.analysis.targets import TARGETS, find
from sim.experiments.output import write_results

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "mentorship_vs_peer_coaching.toml"
SMALL = ["organisation.n_employees=100", "horizon_weeks=10"]


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(FLAGSHIP, SMALL)


def _snapshot(arm, replicate, skill, employed, promotions, learner):
    n = len(skill)
    frame = {
        "arm": arm,
        "replicate": replicate,
        "week": 10,
        "employee_id": np.arange(n),
        "employed": employed,
        "level_start": np.zeros(n, dtype=int),
        "level": np.zeros(n, dtype=int),
        "promotions": promotions,
        "engagement": np.full(n, 0.6),
        "survey": np.full(n, 3.4),
        "learner:mentorship": learner,
    }
    for d in ("technical", "domain", "leadership", "digital", "collaboration"):
        frame[f"skill_{d}"] = skill
        frame[f"rating_{d}"] = 1 + 4 * np.asarray(skill)  # a perfect rater
    return pd.DataFrame(frame)


def test_estimand_on_a_known_case(scenario):
    """Four learners, one leaves in the programme arm: d over the three left in both arms.

    Control skills .4 .5 .6 (sd .1); the arm adds .1 (replicate 0) and .2 (replicate 1):
    d = 1 and 2, mean 1.5. Retention ratio 3/4; promotion ratio 2/1.
    """
    learner = np.array([True, True, True, True, False, False])
    base = np.array([0.4, 0.5, 0.6, 0.7, 0.3, 0.9])
    frames = []
    for r, shift in ((0, 0.1), (1, 0.2)):
        frames.append(
            _snapshot("no_programme", r, base, np.ones(6, bool), np.array([1, 0, 0, 0, 0, 0]), 0)
        )
        frames.append(
            _snapshot(
                "mentorship",
                r,
                base + shift * learner,
                np.array([True, True, True, False, True, True]),
                np.array([1, 1, 0, 0, 0, 0]),
                learner,
            )
        )
    cohort = pd.concat(frames, ignore_index=True)
    cohort["learner:mentorship"] = cohort["learner:mentorship"].astype(bool)
    table = effect_sizes(cohort, scenario)
    assert list(table.columns) == list(COLUMNS)
    # Plain differences beside d: skill +.15 on average, retention 3/4 - 1, promotion 2/4 - 1/4.
    diff = table[table["statistic"] == "diff"].set_index(["timepoint", "outcome", "measure"])
    assert diff.loc[("horizon", "skill_focus", "latent"), "estimate"] == pytest.approx(0.15)
    assert diff.loc[("horizon", "retention", "latent"), "estimate"] == pytest.approx(-0.25)
    assert diff.loc[("horizon", "promotion", "latent"), "estimate"] == pytest.approx(0.25)
    e = table[table["statistic"] != "diff"].set_index(["timepoint", "outcome", "measure"])
    for outcome in ("skill_focus", "skill_job"):
        for measure in ("latent", "observed"):
            row = e.loc[("horizon", outcome, measure)]
            assert row["estimate"] == pytest.approx(1.5)
            assert row["n_analysed"] == 3 and row["n_learners"] == 4
            assert row["attrition_arm"] == pytest.approx(0.25)
            assert row["attrition_control"] == 0
    assert e.loc[("horizon", "retention", "latent"), "estimate"] == pytest.approx(0.75)
    assert e.loc[("horizon", "promotion", "latent"), "estimate"] == pytest.approx(2.0)
    # Equal engagement in both arms: no effect, and d is undefined where the sd is 0.
    assert np.isnan(e.loc[("horizon", "engagement", "latent"), "estimate"])
    # Mentorship's target is Eby et al. 2008's range; observed targets are attenuated.
    row = e.loc[("horizon", "skill_focus", "latent")]
    assert row["target_role"] == "target" and row["target_low"] == pytest.approx(0.1)


def test_targets_apply_only_where_there_is_evidence():
    assert find("mentorship", "skill_focus", "d")[1] == "target"
    assert find("peer_coaching", "skill_focus", "d")[1] == "reference"  # professional coaching
    assert find("flash_mentorship", "skill_focus", "d") is None
    assert all(t.tag in ("[C]", "[M]") for t in TARGETS)


def test_run_writes_effects_and_the_observation_moves_no_result(scenario, tmp_path):
    """effects.csv has the documented columns; switching observation off changes no metric."""
    arms = ["no_programme", "mentorship"]
    assert snapshot_weeks(scenario, arms) == [10]
    res = sim.run_scenario(scenario, arms=arms, replicates=2, progress=False)
    out = write_results(res, tmp_path / "out", figures=False)
    effects = pd.read_csv(out / "effects.csv")
    assert list(effects.columns) == list(COLUMNS)
    assert set(effects["measure"]) == {"latent", "observed"}
    summary = pd.read_csv(out / "summary.csv")
    assert "d_skill_focus_latent_horizon_mentorship" in set(summary["metric"])
    off = scenario.model_copy(
        update={"observation": scenario.observation.model_copy(update={"enabled": False})}
    )
    quiet = sim.run_scenario(off, arms=arms, replicates=2, progress=False)
    pdt.assert_frame_equal(quiet.timeseries, res.timeseries)
    assert set(quiet.effects["measure"]) == {"latent"}


def test_effect_values_by_key_averaged_or_per_replicate():
    # One lookup of effect sizes by (arm, programme, timepoint, outcome, measure,
    # statistic) for the calibration (mean over replicates) and the optimiser (per
    # replicate); a replicate without a value is left out, a key without any is missing.
    from sim.analysis.effects import EFFECT_KEY, effect_values

    key = ("m", "mentorship", "end", "skill_focus", "latent", "d")
    other = (*key[:-1], "diff")
    values = [(key, 0, 0.2), (key, 1, 0.4), (key, 2, np.nan), (other, 0, np.nan)]
    per = pd.DataFrame(
        [dict(zip(EFFECT_KEY, k, strict=True)) | {"replicate": r, "value": v} for k, r, v in values]
    )
    assert effect_values(per) == {key: pytest.approx(0.3)}
    assert effect_values(per, by_replicate=True) == {(*key, 0): 0.2, (*key, 1): 0.4}
    assert effect_values(pd.DataFrame()) == {}


def test_cohort_learners_are_everyone_ever_on_a_learning_side(scenario):
    # The recorder marks learners only in weeks a programme formed relationships; its
    # flags must still be everyone any relationship formed put on the learning side.
    from sim.model.cohort import CohortRecorder
    from sim.model.workplace import WorkplaceModel

    model = WorkplaceModel(scenario, arm="both", replicate=1)
    recorder = CohortRecorder(model, [scenario.horizon_weeks])
    for _ in range(scenario.horizon_weeks):
        model.step()
        recorder.after_week(model)
    table = recorder.table()
    for prog in model.programmes:
        ever = np.zeros(model.n_initial, dtype=bool)
        for _, a, b, _ in prog.formed:
            for ids in (b, a) if prog.reciprocal else (b,):
                ever[ids[ids < model.n_initial]] = True
        assert ever.any()
        np.testing.assert_array_equal(table[f"learner:{prog.name}"], ever)
