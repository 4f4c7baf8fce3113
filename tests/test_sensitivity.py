"""What a sweep tells a researcher: sensitivity of levels and of programme effects (Morris,
Sobol), and for a grid, each metric against each parameter and the best points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis import grid, sensitivity
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.sweep import plan, sample_points
from sim.model.metrics import LOWER_IS_BETTER, better
from sim.scenario.loading import validate_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"

BASE = {
    "name": "sens_test",
    "horizon_weeks": 12,
    "replicates": 2,
    "organisation": {"n_employees": 80},
    "programmes": {"m": {"kind": "mentorship"}},
    "arms": {"none": {}, "m": {"programmes": ["m"]}},
}

ENROL = "programmes.m.p_enrol"
RATE = "learning.rate_practice_per_week"


def morris_scenario(**sweep):
    return validate_scenario(
        {
            **BASE,
            "sweep": {
                "method": "morris",
                "n_samples": 4,
                "ranges": {ENROL: [0.0, 1.0], RATE: [0.0, 1.0]},
                "outputs": ["mean_skill"],
                **sweep,
            },
        }
    )


def synthetic_runs(points, replicates=3):
    """Runs whose outcome is known: the control depends on RATE only, the programme adds
    5 x ENROL; both share a replicate's noise, as arms sharing a seed do."""
    rows = []
    noise = np.random.default_rng(0).normal(0, 1.0, size=(len(points), replicates))
    for i, point in enumerate(points):
        for r in range(replicates):
            base = 2 * point[RATE] + noise[i, r]
            rows.append({"point": i, "replicate": r, "arm": "none", **point, "mean_skill": base})
            mean_skill = base + 5 * point[ENROL]
            rows.append({"point": i, "replicate": r, "arm": "m", **point, "mean_skill": mean_skill})
    return pd.DataFrame(rows)


def mu_star(indices, arm, target):
    d = indices[(indices["arm"] == arm) & (indices["target"] == target)]
    return d[d["index"] == "mu_star"].set_index("parameter")


def test_effect_indices_are_paired_differences_against_the_control():
    sc = morris_scenario()
    indices = sensitivity.analyse(synthetic_runs(sample_points(sc)), sc)
    targets = indices.groupby("arm")["target"].unique().map(set).to_dict()
    assert targets == {"none": {"level"}, "m": {"level", "effect vs none"}}
    effect = mu_star(indices, "m", "effect vs none")
    # Paired by replicate, the shared noise and the control's dependence on RATE cancel:
    # the effect depends on ENROL alone, by exactly 5 per unit.
    assert effect.loc[RATE, "value"] == pytest.approx(0.0, abs=1e-12)
    assert effect.loc[ENROL, "value"] == pytest.approx(5.0)
    assert effect.loc[ENROL, "conf"] >= 0
    # Each arm's level carries the noise of its points: the programme's level alone would
    # not show ENROL's 5 per unit.
    assert mu_star(indices, "m", "level").loc[ENROL, "value"] != pytest.approx(5.0, abs=0.1)


def test_the_baseline_option_chooses_the_control_arm():
    sc = morris_scenario(baseline="m")
    indices = sensitivity.analyse(synthetic_runs(sample_points(sc)), sc)
    assert set(indices["target"]) == {"level", "effect vs m"}
    assert set(indices[indices["target"] == "effect vs m"]["arm"]) == {"none"}
    with pytest.raises(ScenarioError, match=r"not an arm \(did you mean 'none'\?\)"):
        plan(morris_scenario(baseline="nome"))


def test_effects_need_every_replicate_of_the_control():
    sc = morris_scenario()
    runs = synthetic_runs(sample_points(sc))
    runs = runs.drop(runs[(runs["arm"] == "none") & (runs["replicate"] == 2)].index[:1])
    with pytest.raises(ScenarioError, match="no run at point 0, replicate 2"):
        sensitivity.analyse(runs, sc)


def write_sweep_file(tmp_path: Path, sweep: str, replicates: int = 2) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(
        f'extends = "{BASELINE.as_posix()}"\n'
        f'name = "sens_cli"\nhorizon_weeks = 12\nreplicates = {replicates}\n'
        "[organisation]\nn_employees = 80\n"
        '[programmes.m]\nkind = "mentorship"\n'
        '[arms.m]\nprogrammes = ["m"]\n' + sweep
    )
    return path


def test_a_morris_sweep_shows_a_programme_parameter_in_the_effect(tmp_path, capsys):
    """The enrolment probability matters only where the programme runs: its mu* is zero for
    the control's level and clearly positive for the programme's effect on session hours."""
    sweep = (
        '[sweep]\nmethod = "morris"\nn_samples = 3\nkeep_weeks = "last"\n'
        'outputs = ["session_hours", "mean_skill"]\n'
        f'[sweep.ranges]\n"{ENROL}" = [0.1, 0.8]\n"turnover.p_quit_per_week" = [0.002, 0.006]\n'
    )
    out = tmp_path / "sa"
    path = write_sweep_file(tmp_path, sweep, replicates=1)
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    assert "effects vs no_programme" in capsys.readouterr().out
    indices = pd.read_csv(out / "sensitivity.csv")
    assert set(indices["target"]) == {"level", "effect vs no_programme"}
    assert set(indices[indices["target"] != "level"]["arm"]) == {"m"}
    hours = indices[indices["output"] == "session_hours"]
    control = mu_star(hours, "no_programme", "level")
    assert control.loc[ENROL, "value"] == 0.0
    effect = mu_star(hours, "m", "effect vs no_programme")
    assert effect.loc[ENROL, "value"] - effect.loc[ENROL, "conf"] > 0
    assert (out / "figures" / "sensitivity.png").stat().st_size > 10_000
    assert not (out / "best_points.csv").exists()


def test_a_grid_sweep_writes_its_figure_and_best_points(tmp_path, capsys):
    sweep = (
        '[sweep]\nmethod = "grid"\nkeep_weeks = "last"\n'
        'outputs = ["session_hours", "mean_skill"]\n'
        f'[sweep.grid]\n"{ENROL}" = [0.05, 0.9]\n'
    )
    out = tmp_path / "g"
    path = write_sweep_file(tmp_path, sweep, replicates=5)
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "figures/sweep.png" in printed and "best_points.csv" in printed
    assert (out / "figures" / "sweep.png").stat().st_size > 10_000
    best = pd.read_csv(out / "best_points.csv").set_index(["metric", "arm"])
    # More people enrolled spend more hours in sessions, well beyond noise.
    row = best.loc[("session_hours", "m")]
    assert row[ENROL] == 0.9 and row["better"] == "higher"
    assert not row["within_noise"] and row["verdict"].startswith("best beyond noise")
    # Without the programme, enrolment changes nothing: the two points tie.
    assert best.loc[("mean_skill", "no_programme"), "verdict"].startswith("tied")
    assert not (out / "sensitivity.csv").exists()


def grid_scenario():
    return validate_scenario(
        {
            **BASE,
            "sweep": {
                "grid": {ENROL: [0.1, 0.2, 0.3]},
                "outputs": ["mean_skill", "total_cost"],
            },
        }
    )


def test_best_points_of_a_grid_with_a_known_answer():
    """mean_skill rises with the point (clearly); total_cost falls with it, but its last
    two points are within noise of each other; lower cost is better."""
    rows = []
    spread = [-0.01, 0.0, 0.01]
    for point, enrol in enumerate([0.1, 0.2, 0.3]):
        for r, e in enumerate(spread):
            skill = 0.5 + 0.1 * point + e
            cost = {0: 300.0, 1: 100.0, 2: 101.0}[point] + 10 * e * 100
            rows.append(
                {"point": point, "replicate": r, "arm": "m", ENROL: enrol}
                | {"mean_skill": skill, "total_cost": cost}
            )
    best = grid.best_points(pd.DataFrame(rows), grid_scenario()).set_index("metric")
    skill = best.loc["mean_skill"]
    assert skill["point"] == 2 and skill[ENROL] == 0.3 and skill["better"] == "higher"
    assert skill["mean"] == pytest.approx(0.7)
    half = 4.302652729911275 * 0.01  # t(0.975, 2) x the sd of the three replicates
    assert skill["ci_high"] - skill["mean"] == pytest.approx(half / np.sqrt(3))
    assert skill["runner_up_point"] == 1 and not skill["within_noise"]
    cost = best.loc["total_cost"]
    assert cost["better"] == "lower" and cost["point"] == 1 and cost["runner_up_point"] == 2
    assert cost["within_noise"] and cost["verdict"].startswith("within noise")
    assert f"{ENROL}=0.3" in cost["verdict"]


def test_lower_is_better_only_for_costs_losses_and_failures():
    assert better("total_cost") == better("cumulative_quits") == "lower"
    assert better("time_to_proficiency_weeks") == "lower"
    assert better("mean_skill") == better("retention_initial") == "higher"
    assert all(
        any(word in m for word in ("cost", "quit", "proficiency", "lost", "ended_early"))
        for m in LOWER_IS_BETTER
    )
