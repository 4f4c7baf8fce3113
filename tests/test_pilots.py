"""Pilot evaluations in a history (rating and survey rows): read, checked, simulated, fitted."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.experiments import calibrate as cal_mod
from sim.scenario.history import load_history
from sim.scenario.loading import validate_scenario
from sim.scenario.pilots import default_sd

pytest.importorskip("pyabc")

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "measure,from_week,to_week,level,value,sd,arm,programme,domain,group,n_participants,"
    "n_nonparticipants,participants\n"
)
MENTORSHIP = {
    "kind": "mentorship",
    "learner_levels": [0, 1],
    "p_enrol": 0.4,
    "cadence_weeks": 1,
    "focus_domains": ["leadership"],
}


def scenario(tmp_path: Path, rows: str, roster: bool = False, **calibration):
    """A small organisation with a mentoring pilot arm and the history ``rows``."""
    (tmp_path / "history.csv").write_text(HEADER + rows)
    raw = sim.load_scenario(
        ROOT / "scenarios/baseline.toml",
        overrides=["organisation.n_employees=120", "horizon_weeks=26"],
    ).model_dump(mode="python")
    raw["programmes"] = {"mentoring": MENTORSHIP}
    raw["arms"] = {"no_programme": {"programmes": []}, "pilot": {"programmes": ["mentoring"]}}
    raw["organisation"]["skill_scale"] = (1, 5)
    raw["organisation"]["engagement_scale"] = (1, 5)
    if roster:  # the example roster without its participant column
        lines = (ROOT / "scenarios/data/example_org.csv").read_text().splitlines()
        (tmp_path / "roster.csv").write_text(
            "\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n"
        )
        raw["organisation"]["source"] = str(tmp_path / "roster.csv")
    raw["calibration"] = {
        "parameters": {"turnover.p_quit_per_week": {"low": 0.001, "high": 0.02}},
        "history": str(tmp_path / "history.csv"),
        "history_arm": "pilot",
        "population": 12,
        "generations": 2,
        **calibration,
    }
    return validate_scenario(raw)


def test_pilot_rows_are_read_onto_the_models_scale(tmp_path):
    rows = (
        "rating,0,26,,0.4,0.2,,,leadership,difference,20,60,\n"
        "survey,4,26,individual contributor,-0.2,,no_programme,,,nonparticipants,,50,\n"
    )
    with pytest.raises(ScenarioError, match="is an arm without programmes"):
        load_history(scenario(tmp_path, rows))
    sc = scenario(tmp_path, rows.replace("no_programme", "pilot"))
    first, second = load_history(sc)
    assert first.measure == "rating" and first.pilot.arm == "pilot"
    assert first.pilot.programme == "mentoring" and first.pilot.domain == 2
    assert first.pilot.group == "difference" and first.pilot.sizes == (20, 60)
    assert first.pilot.participants is None  # the scenario's own enrolment
    # A change of 0.4 points on a 1-5 scale is 0.1 on 0-1; so is its sd.
    assert first.value == pytest.approx(0.1) and first.sd == pytest.approx(0.05)
    assert (second.from_week, second.to_week, second.level) == (4, 26, 0)
    assert second.value == pytest.approx(-0.05)
    # Without an sd: the observation model's error of a change, over the group size.
    obs = sc.observation
    sigma = math.sqrt(2 * (obs.sd_survey_error**2 + (obs.survey_step / 4) ** 2 / 12))
    assert second.sd == pytest.approx(sigma / math.sqrt(50))
    assert default_sd(sc, "survey", (50,)) / 4 == pytest.approx(second.sd)
    assert "non-participants' change in survey score, weeks 4-26" in second.text


def test_a_participants_file_names_roster_employees(tmp_path):
    (tmp_path / "took_part.csv").write_text("employee_id\nE1013\nE1016\nE1019\n")
    rows = "rating,0,26,,0.4,,,,job,participants,3,,took_part.csv\n"
    (obs,) = load_history(scenario(tmp_path, rows, roster=True))
    assert obs.pilot.participants == (13, 16, 19)  # rows of the roster, the model's ids
    assert obs.pilot.source == str(tmp_path / "took_part.csv")


def test_every_problem_of_pilot_rows_is_named_in_one_message(tmp_path):
    (tmp_path / "took_part.csv").write_text("employee_id\nE1013\nE9999\n")
    rows = (
        "rating,0,26,,0.4,,pilt,,leadership,difference,20,60,\n"  # 2: unknown arm
        "rating,0,26,,0.4,,,mentorship,leadership,difference,20,60,\n"  # 3: unknown programme
        "rating,0,26,,0.4,,,,leadershp,difference,20,60,\n"  # 4: unknown domain
        "rating,0,26,,0.4,,,,,difference,20,60,\n"  # 5: no domain
        "survey,0,26,,0.1,,,,,particpants,20,,\n"  # 6: unknown group
        "survey,0,26,,0.1,,,,,participants,1,,\n"  # 7: n < 2
        "survey,26,10,,0.1,,,,,participants,20,,\n"  # 8: before after after
        "survey,0,26,,9,,,,,participants,20,,\n"  # 9: larger than the scale
        "survey,0,26,,0.1,,,,,difference,20,,\n"  # 10: no n_nonparticipants
        "survey,0,26,,0.1,,,,,participants,20,,took_part.csv\n"  # 11: ids not in the roster
        "quits,0,26,,3,,pilot,,,,,,\n"  # 12: a pilot column on a count
    )
    with pytest.raises(ScenarioError) as err:
        cal_mod.plan_calibration(scenario(tmp_path, rows, roster=True))
    text = str(err.value)
    for expected in (
        "history.csv: 11 problems",
        "column arm: 1 row (2): the value is not an arm of the scenario ('pilt')",
        "did you mean 'pilot'",
        "column programme: 1 row (3): the value is not a programme of the row's arm",
        "column domain: 1 row (4)",
        "did you mean 'leadership'",
        "column domain: 1 row (5): the domain is empty for a rating",
        "column group: 1 row (6)",
        "did you mean 'participants'",
        "column n_participants: 1 row (7): the value is below 2",
        "columns from_week, to_week: 1 row (8): the weeks are not before and after",
        "column value: 1 row (9): the value is a larger change than the scale allows",
        "column n_nonparticipants: 1 row (10): the n_nonparticipants is empty",
        "column participants: 1 row (11): the participants file names 1 employee ids not in "
        "organisation.source ('E9999')",
        "column arm: 1 row (12): the value is given for a measure other than rating or survey",
    ):
        assert expected in text, (expected, text)


def test_a_pilot_with_feedback_raises_participants_ratings_above_the_others(tmp_path):
    rows = (
        "rating,0,26,,0.4,,,,leadership,difference,20,60,\n"
        "rating,0,26,,0.4,,,,leadership,participants,20,,\n"
        "rating,0,26,,0.4,,,,leadership,nonparticipants,,60,\n"
    )
    sc = scenario(tmp_path, rows)
    pilots = list(load_history(sc))
    run = cal_mod.run_arm(sc, "pilot", list(range(6)), seed=3, surveyed=set(), pilots=pilots)
    diff, took, others = (run.observe(o) for o in pilots)
    assert diff == pytest.approx(took - others)  # the difference of the two groups' changes
    assert diff.mean() > 2 * diff.std(ddof=1) / math.sqrt(len(diff)) > 0
    # The participants are the programme's learners (the scenario's own enrolment).
    table = run.pilots.recorders[0].table()
    assert table["learner:mentoring"].any() and set(table["week"]) == {0, 26}


def test_a_participants_file_fixes_who_enrols(tmp_path):
    ids = ["E1013", "E1016", "E1019", "E1022"]
    (tmp_path / "took_part.csv").write_text("employee_id\n" + "\n".join(ids) + "\n")
    rows = "survey,0,26,,0.1,,,,,difference,4,20,took_part.csv\n"
    sc = scenario(tmp_path, rows, roster=True)
    pilots = list(load_history(sc))
    run = cal_mod.run_arm(sc, "pilot", [0, 1], seed=3, surveyed=set(), pilots=pilots)
    for recorder in run.pilots.recorders:
        learners = recorder.table().query("week == 26")["learner:mentoring"].to_numpy()
        assert set(np.flatnonzero(learners)) <= {13, 16, 19, 22}
        assert learners.sum() >= 2  # most of those listed found a mentor
    assert np.isfinite(run.observe(pilots[0])).all()


def test_a_calibration_fits_a_pilot(tmp_path):
    rows = "quits,0,26,,12,,,,,,,,\nrating,0,26,,0.3,,,,leadership,difference,20,60,\n"
    sc = scenario(tmp_path, rows)
    result = cal_mod.run_calibration(sc, tmp_path / "c", progress=False)
    labels = list(result.predictive["target"])
    assert labels[1] == (
        "history: pilot of mentoring: participants' minus non-participants' change in rating of "
        "leadership, weeks 0-26 [pilot]"
    )
    assert result.predictive["observed"].tolist() == pytest.approx([12, 0.075])
    assert np.isfinite(result.predictive["simulated_mean"]).all()
    assert len(result.posterior) == 12
