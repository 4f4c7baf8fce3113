"""Scenario discovery (wlsim discover): PRIM and CART find planted regions; bad input is refused.

The synthetic sweeps here are real sweep folders (the plan of a real scenario, its
resolved file and marker) whose run table is written by the test, with the region where
one arm wins planted, so that the answer is known. One test runs the real simulator: a
small sweep, stopped, continued with the command the refusal gives, then discovered.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import Restriction, cart_rules, prim
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.discover import FILES, discover, resume_command
from sim.experiments.sweep import plan
from sim.scenario.loading import dump_scenario, validate_scenario

RATE = "learning.rate_session_per_hour"
FEEDBACK = "learning.feedback_per_hour"
CAPACITY = "programmes.m.n_learners_per_guide_max"


# --- PRIM and CART on planted boxes --------------------------------------------------------


def planted(seed: int, n: int = 400, noise: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """Uniform points in four dimensions; wins in 0.3 < a <= 0.7 and b > 0.5, labels flipped
    with probability ``noise``."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])
    inside = ((x["a"] > 0.3) & (x["a"] <= 0.7) & (x["b"] > 0.5)).to_numpy()
    return x, inside ^ (rng.random(n) < noise)


def limits(rule) -> dict[str, tuple[float | None, float | None]]:
    return {r.parameter: (r.low, r.high) for r in rule.restrictions}


@pytest.mark.parametrize("seed", range(5))
def test_prim_recovers_a_planted_box(seed):
    # Criterion, in each of five replicate data sets (5% of labels flipped): the box
    # restricts a and b, each limit within 0.06 of the planted one (points are 1/400
    # apart on average; peels remove 5% at a time), and its coverage and density are
    # within 0.1 of the planted box's on the same points (the flipped labels outside it
    # cannot be covered: its coverage is about 0.83, its density 0.95).
    x, y = planted(seed)
    truth = ((x["a"] > 0.3) & (x["a"] <= 0.7) & (x["b"] > 0.5)).to_numpy()
    coverage, density = y[truth].sum() / y.sum(), y[truth].mean()
    found = prim(x, y, min_density=0.9)
    box = limits(found.box)
    # a and b are restricted, far from chance; a restriction of c or d that peeling
    # picked up from the noise is flagged by its quasi-p-value.
    p_values = {r.parameter: r.p_value for r in found.box.restrictions}
    assert p_values["a"] < 1e-6
    assert p_values["b"] < 1e-6
    assert all(p > 0.05 for name, p in p_values.items() if name not in ("a", "b"))
    (a_low, a_high), (b_low, b_high) = box["a"], box["b"]
    assert a_low == pytest.approx(0.3, abs=0.06)
    assert a_high == pytest.approx(0.7, abs=0.06)
    assert b_low == pytest.approx(0.5, abs=0.06)
    assert b_high is None
    assert found.box.coverage >= coverage - 0.1
    assert found.box.density >= density - 0.1
    assert found.meets_min_density


def test_prim_trajectory_peels_down_and_keeps_the_widest_dense_box():
    x, y = planted(0)
    found = prim(x, y, min_density=0.9)
    t = found.trajectory
    assert t["n_points"].iloc[0] == len(x)
    assert t["coverage"].iloc[0] == 1.0
    assert (t["n_points"].diff().dropna() < 0).all()  # every peel removes points
    assert t["support"].iloc[-1] >= 0.05 - 1 / len(x)
    chosen = t[t["chosen"]].iloc[0]
    dense = t[t["density"] >= 0.9]
    assert chosen["density"] >= 0.9
    assert chosen["coverage"] == dense["coverage"].max()
    # Pasting and simplifying never lose density below the box they start from, nor
    # coverage.
    assert found.box.density >= 0.9
    assert found.box.coverage >= chosen["coverage"]


def test_prim_peels_categories_and_states_integers_in_whole_numbers():
    rng = np.random.default_rng(3)
    n = 300
    x = pd.DataFrame(
        {
            "matching": rng.choice(["random", "similar", "distant"], n),
            "capacity": rng.integers(1, 7, n),
            "rate": rng.random(n),
        }
    )
    y = ((x["matching"] == "similar") & (x["capacity"] >= 3)).to_numpy()
    found = prim(x, y, min_density=0.95)
    by = {r.parameter: r for r in found.box.restrictions}
    assert set(by) == {"matching", "capacity"}
    assert by["matching"].values == ("similar",)
    assert by["capacity"].low == pytest.approx(2.5)
    assert by["capacity"].describe() == "capacity is at least 3"
    assert found.box.density == 1.0
    assert found.box.coverage == 1.0


def test_cart_splits_categories_and_booleans_by_value():
    rng = np.random.default_rng(4)
    n = 200
    x = pd.DataFrame(
        {
            "matching": rng.choice(["random", "similar", "distant"], n),
            "shadowing": rng.random(n) < 0.5,
            "rate": rng.random(n),
        }
    )
    y = ((x["matching"] != "random") & x["shadowing"]).to_numpy()
    found = cart_rules(x, y)
    assert len(found.rules) >= 1
    covered = np.zeros(n, dtype=bool)
    for rule in found.rules:
        by = {r.parameter: r for r in rule.restrictions}
        assert by["shadowing"].values == (True,)
        assert "random" not in by["matching"].values
        assert rule.density == 1.0
        covered |= rule.contains(x)
    assert (covered == y).all()


def test_restrictions_read_plainly():
    assert Restriction("x", 0.1234, None).describe() == "x is above 0.123"
    assert Restriction("x", None, 0.5).describe() == "x is at most 0.5"
    assert Restriction("x", 0.1, 0.2).describe() == "x is between 0.1 and 0.2"
    assert Restriction("k", 1.5, 3.5, integer=True).describe() == "k is between 2 and 3"
    assert Restriction("k", 1.5, 2.5, integer=True).describe() == "k is 2"
    assert Restriction("k", None, 2.5, integer=True).describe() == "k is at most 2"
    assert Restriction("m", values=("a", "b")).describe() == "m is 'a' or 'b'"


def test_prim_refuses_data_without_a_win():
    x, _ = planted(0, n=20)
    with pytest.raises(ValueError, match="no case is a win"):
        prim(x, np.zeros(20, dtype=bool))


def test_cart_recovers_the_planted_box_as_its_first_rule():
    x, y = planted(1)
    found = cart_rules(x, y)
    first = found.rules[0]
    box = limits(first)
    assert set(box) == {"a", "b"}
    assert box["a"][0] == pytest.approx(0.3, abs=0.06)
    assert box["a"][1] == pytest.approx(0.7, abs=0.06)
    assert box["b"][0] == pytest.approx(0.5, abs=0.06)
    truth = ((x["a"] > 0.3) & (x["a"] <= 0.7) & (x["b"] > 0.5)).to_numpy()
    assert first.coverage >= y[truth].sum() / y.sum() - 0.1
    assert first.density >= y[truth].mean() - 0.1
    # The tree beats always guessing "no win", out of sample.
    assert found.cv_accuracy > found.majority + 0.1
    assert found.importance[["a", "b"]].sum() > 0.9


# --- discovery over a synthetic sweep folder ------------------------------------------------


def sweep_scenario(
    n_samples: int = 80, replicates: int = 3, ranges: dict | None = None, grid: dict | None = None
):
    sweep = (
        {"method": "grid", "grid": grid}
        if grid
        else {
            "method": "lhs",
            "n_samples": n_samples,
            "ranges": ranges or {RATE: [0.01, 0.1], FEEDBACK: [0.0, 0.3], CAPACITY: [1, 4]},
        }
    )
    return validate_scenario(
        {
            "name": "discovery_test",
            "horizon_weeks": 8,
            "replicates": replicates,
            "organisation": {"n_employees": 40},
            "programmes": {"m": {"kind": "mentorship"}},
            "arms": {"none": {}, "m": {"programmes": ["m"]}},
            "sweep": {**sweep, "keep_weeks": "last"},
        }
    )


def rule_wins(points: pd.DataFrame) -> np.ndarray:
    """The planted rule: the programme wins where the rate is above 0.055 and feedback at
    most 0.15 (capacity does not matter)."""
    return ((points[RATE] > 0.055) & (points[FEEDBACK] <= 0.15)).to_numpy()


def synthetic_sweep(folder: Path, wins=rule_wins, seed: int = 0, **kwargs) -> Path:
    """A sweep folder whose arm 'm' beats 'none' on mean_skill by 0.01 exactly where
    ``wins`` says, and loses by 0.01 elsewhere, with paired replicate noise."""
    scenario = sweep_scenario(**kwargs)
    _, table = plan(scenario)
    rng = np.random.default_rng(seed)
    runs = table.copy()
    organisation = rng.normal(0.5, 0.02, runs["replicate"].max() + 1)  # the same in both arms
    effect = np.where(wins(runs), 0.01, -0.01) * (runs["arm"] == "m")
    runs["week"] = scenario.horizon_weeks
    runs["mean_skill"] = organisation[runs["replicate"]] + effect + rng.normal(0, 0.002, len(runs))
    runs["total_cost"] = np.where(runs["arm"] == "m", 1000.0, 0.0)
    runs["retention_participants"] = np.where(runs["arm"] == "m", 0.9, np.nan)
    folder.mkdir()
    (folder / ".wlsim").write_text(json.dumps({"kind": "sweep", "posterior": None}) + "\n")
    (folder / "scenario.resolved.toml").write_text(dump_scenario(scenario))
    table.to_parquet(folder / "plan.parquet", index=False)
    runs.to_parquet(folder / "runs.parquet", index=False)
    manifest = table[["run_id", "point", "arm", "replicate", "seed"]].assign(status="ok", error="")
    manifest.to_csv(folder / "manifest.csv", index=False)
    return folder


def test_discover_recovers_a_rule_planted_in_a_synthetic_sweep(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "sweep")
    assert main(["discover", str(folder)]) == 0
    out = capsys.readouterr().out
    # The defaults: the programme arm against the control arm, on the first output.
    assert "m beats none on mean_skill at" in out
    for name in FILES:
        assert (folder / name).is_file(), name
    rules = pd.read_csv(folder / "discovery.csv")
    box = rules[rules["method"] == "prim"].set_index("parameter")
    # Criterion: PRIM restricts the two planted parameters, each cut within 10% of its
    # range of the planted one (80 points), not capacity; the box holds >= 90% of the wins
    # and is >= 90% wins.
    assert set(box.index) == {RATE, FEEDBACK}
    assert box.loc[RATE, "low"] == pytest.approx(0.055, abs=0.009)
    assert np.isnan(box.loc[RATE, "high"])
    assert box.loc[FEEDBACK, "high"] == pytest.approx(0.15, abs=0.03)
    assert np.isnan(box.loc[FEEDBACK, "low"])
    assert (box["coverage"] >= 0.9).all()
    assert (box["density"] >= 0.9).all()
    # CART's first rule names the same two parameters.
    cart = rules[(rules["method"] == "cart") & (rules["rule"] == 1)]
    assert set(cart["parameter"]) == {RATE, FEEDBACK}
    # Plain language, with coverage and density.
    statement = box["statement"].iloc[0]
    assert statement.startswith("m beats none on mean_skill when ")
    assert f"{RATE} is above" in statement
    assert f"{FEEDBACK} is at most" in statement
    assert "of the points where m wins" in statement
    assert "of the points in this region are wins" in statement
    points = pd.read_csv(folder / "discovery_points.csv")
    assert len(points) == 80
    assert (points["win"] == rule_wins(points)).all()  # the noise is far below the effect
    report = (folder / "discovery.md").read_text()
    assert "## What this does not show" in report
    assert (folder / "figures" / "discovery.png").read_bytes()[:4] == b"\x89PNG"


def test_lower_is_better_metrics_and_the_threshold_turn_the_question(tmp_path):
    folder = synthetic_sweep(tmp_path / "sweep")
    # On total cost (lower is better) the programme never wins.
    cost = discover(folder, metric="total_cost", write=False)
    assert cost.better == "lower"
    assert cost.n_wins == 0
    assert cost.prim is None
    assert "wins at no point" in " ".join(cost.summary())
    # Arms swapped: 'none' wins on cost everywhere, and on skill outside the planted box.
    swapped = discover(folder, arm="none", versus="m", write=False)
    assert swapped.n_wins == int((~rule_wins(swapped.points)).sum())
    # A threshold above the planted effect leaves no win.
    assert discover(folder, threshold=0.02, write=False).n_wins == 0


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("wlsim: error: ")
    assert "Traceback" not in err
    return err


def test_refuses_what_is_not_a_sweep_folder(tmp_path, capsys):
    assert "no such folder" in refused(capsys, ["discover", str(tmp_path / "nowhere")])
    run = tmp_path / "run"
    run.mkdir()
    (run / "timeseries.parquet").write_bytes(b"")
    err = refused(capsys, ["discover", str(run)])
    assert "not a sweep folder (a results folder of wlsim run" in err


def test_refuses_unknown_arms_and_metrics_with_the_closest_name(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "sweep")
    before = sorted(p.name for p in folder.iterdir())
    err = refused(capsys, ["discover", str(folder), "--arm", "mm"])
    assert "--arm 'mm': no such arm" in err
    assert "did you mean 'm'" in err
    err = refused(capsys, ["discover", str(folder), "--versus", "nne"])
    assert "did you mean 'none'" in err
    err = refused(capsys, ["discover", str(folder), "--metric", "mean_skil"])
    assert "did you mean 'mean_skill'" in err
    err = refused(capsys, ["discover", str(folder), "--metric", "retention_participants"])
    assert "has no value in arm 'none'" in err
    err = refused(capsys, ["discover", str(folder), "--arm", "m", "--versus", "m"])
    assert "two different arms" in err
    err = refused(capsys, ["discover", str(folder), "--min-density", "1.5"])
    assert "--min-density 1.5" in err
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written


def test_refuses_a_sweep_without_a_varied_parameter_or_with_too_few_points(tmp_path, capsys):
    flat = synthetic_sweep(
        tmp_path / "flat", wins=lambda r: r["replicate"] > 0, grid={RATE: [0.05]}, replicates=12
    )
    err = refused(capsys, ["discover", str(flat)])
    assert "varies no parameter" in err
    assert RATE in err
    few = synthetic_sweep(tmp_path / "few", n_samples=6)
    err = refused(capsys, ["discover", str(few)])
    assert "6 points" in err
    assert "sweep.n_samples" in err


def test_refuses_an_unfinished_sweep_and_gives_the_command_that_continues_it(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "sweep")
    command = shlex.join(
        [
            "wlsim",
            "sweep",
            str(folder / "scenario.resolved.toml"),
            "--out",
            str(folder),
            "--resume",
        ]
    )
    runs = pd.read_parquet(folder / "runs.parquet")
    runs[~runs["run_id"].str.startswith("p00003-")].to_parquet(folder / "runs.parquet")
    manifest = pd.read_csv(folder / "manifest.csv")
    manifest.loc[manifest["run_id"].str.startswith("p00003-"), "status"] = "failed"
    manifest.to_csv(folder / "manifest.csv", index=False)
    err = refused(capsys, ["discover", str(folder)])
    assert "has not finished: 6 of the 480 runs of m and none have no result" in err
    assert "6 of them failed" in err
    assert command in err
    (folder / "runs.parquet").unlink()  # stopped before its end
    err = refused(capsys, ["discover", str(folder)])
    assert "no runs.parquet" in err
    assert command in err


def test_refuses_a_damaged_run_table(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "sweep")
    (folder / "runs.parquet").write_bytes(b"not parquet")
    err = refused(capsys, ["discover", str(folder)])
    assert "runs.parquet cannot be read" in err
    assert "--resume" in err


def test_a_damaged_plan_suggests_resuming_only_from_a_scenario_the_folder_holds(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "sweep")
    (folder / "plan.parquet").write_bytes(b"not parquet")
    err = refused(capsys, ["discover", str(folder)])
    assert "plan.parquet cannot be read" in err
    assert f"Continue it with: wlsim sweep {folder / 'scenario.resolved.toml'}" in err
    (folder / "scenario.resolved.toml").unlink()  # a command naming it would fail
    err = refused(capsys, ["discover", str(folder)])
    assert "plan.parquet cannot be read" in err
    assert "scenario.resolved.toml --out" not in err
    assert "no scenario.resolved.toml to continue from" in err
    assert f"wlsim sweep FILE --out {folder} --resume" in err


def test_the_resume_command_names_the_posterior(tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / ".wlsim").write_text(
        json.dumps({"kind": "sweep", "posterior": {"source": "cal dir", "draws": 4}})
    )
    assert resume_command(folder).endswith("--posterior 'cal dir' --posterior-draws 4 --resume")


def test_discovery_on_a_real_sweep_after_continuing_it(tmp_path, capsys):
    """The real simulator end to end: a sweep missing runs is refused, the command given
    completes it, and discovery then writes its files."""
    from sim.experiments.sweep import run_sweep

    scenario = sweep_scenario(n_samples=10, replicates=1)
    folder = tmp_path / "real"
    run_sweep(scenario, folder, progress=False)
    gone = sorted((folder / "timeseries").glob("p00004-*.parquet"))
    for part in gone:
        part.unlink()
    log = folder / "log.jsonl"
    log.write_text(
        "".join(line + "\n" for line in log.read_text().splitlines() if "p00004-" not in line)
    )
    (folder / "runs.parquet").unlink()
    err = refused(capsys, ["discover", str(folder)])
    command = err.split("Continue it with: ")[1].strip()
    assert main([*shlex.split(command)[1:], "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["discover", str(folder), "--metric", "mean_skill"]) == 0
    out = capsys.readouterr().out
    assert "m beats none on mean_skill at" in out
    assert "At 10 of 10 points only one replicate pairs: there is no interval" in out
    assert "What this does not show" in out
    for name in FILES:
        assert (folder / name).is_file(), name


def test_discovery_is_refused_while_a_sweep_writes_to_the_folder(tmp_path):
    from sim.experiments.folders import lock

    folder = synthetic_sweep(tmp_path / "sweep")
    with lock(folder), pytest.raises(ScenarioError, match="another wlsim"):
        # The lock is re-entrant within one thread: take it from another.
        import threading

        errors: list[BaseException] = []

        def other() -> None:
            try:
                discover(folder, write=False)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        raise errors[0]
