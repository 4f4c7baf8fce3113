"""Runs over a posterior: draws shared by arms, reproducible, refused when bad; P(beat).

A tiny organisation (60 people, 8 weeks) keeps every run well under a second; the
posteriors are built by hand, so no calibration runs here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.uncertainty import probability_of_beating
from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments.posterior import draw_particles, load_posterior, plan_draws
from sim.experiments.run import run_arm, run_scenario

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "scenarios/mentorship_vs_peer_coaching.toml"
TINY = ["organisation.n_employees=60", "horizon_weeks=8"]
ARMS = ["no_programme", "mentorship"]


def tiny():
    return sim.load_scenario(FILE, overrides=TINY)


def particles(n: int = 20) -> pd.DataFrame:
    """A posterior of engagement baselines 0.40, 0.42, ...: week 0 shows which was drawn."""
    baseline = 0.40 + 0.02 * np.arange(n)
    return pd.DataFrame(
        {
            "engagement.mean_baseline": baseline,
            "turnover.p_quit_per_week": 0.002 + 0.0001 * np.arange(n),
            "weight": np.full(n, 1.0 / n),
        }
    )


@pytest.fixture(scope="module")
def over_posterior():
    return run_scenario(
        tiny(), arms=ARMS, replicates=6, posterior=particles(), posterior_draws=3, progress=False
    )


def test_each_draw_runs_in_every_arm_and_replicates_differ(over_posterior):
    res = over_posterior
    draws = res.posterior_draws
    assert list(draws["replicate"]) == list(range(6))
    assert list(draws["draw"]) == [0, 0, 1, 1, 2, 2]
    # The M replicates of a draw share its particle; the three draws are not all one.
    assert draws.groupby("draw")["particle"].nunique().eq(1).all()
    assert draws["particle"].nunique() > 1
    # Week 0's engagement follows the drawn baseline, and is the same in both arms.
    week0 = res.timeseries[res.timeseries["week"] == 0].pivot(
        index="replicate", columns="arm", values="mean_engagement"
    )
    np.testing.assert_array_equal(week0["no_programme"], week0["mentorship"])
    assert week0["no_programme"].nunique() > 1
    # Each arm of replicate r is exactly a plain run with r's drawn values set.
    for r in (0, 5):
        row = draws.iloc[r]
        sets = [
            f"{p}={float(row[p])!r}"
            for p in ("engagement.mean_baseline", "turnover.p_quit_per_week")
        ]
        plain = sim.load_scenario(FILE, overrides=[*TINY, *sets])
        for arm in ARMS:
            alone = run_arm(plain, arm, r)
            mine = res.timeseries[
                (res.timeseries["arm"] == arm) & (res.timeseries["replicate"] == r)
            ]
            pd.testing.assert_frame_equal(
                mine[alone.columns].reset_index(drop=True),
                alone,
                check_exact=True,
                check_dtype=False,
            )


def test_a_draw_depends_only_on_the_seed_and_its_number():
    w = np.array([0.7, 0.2, 0.1, 0.0])
    many = draw_particles(w, 7, 4000)
    np.testing.assert_array_equal(draw_particles(w, 7, 10), many[:10])
    assert not np.array_equal(draw_particles(w, 8, 50), many[:50])
    # Weighted: shares within 4 standard errors of the weights; weight 0 is never drawn.
    share = np.bincount(many, minlength=4) / len(many)
    assert np.all(np.abs(share - w) <= 4 * np.sqrt(w * (1 - w) / len(many)) + 1e-12)
    assert share[3] == 0


def test_same_seed_same_results_and_the_arms_do_not_change_the_draws(over_posterior):
    again = run_scenario(
        tiny(), arms=ARMS, replicates=6, posterior=particles(), posterior_draws=3, progress=False
    )
    pd.testing.assert_frame_equal(again.timeseries, over_posterior.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(again.uncertainty, over_posterior.uncertainty, check_exact=True)
    alone = run_scenario(
        tiny(), arms=["mentorship"], replicates=6, posterior=particles(), posterior_draws=3,
        progress=False,
    )  # fmt: skip
    pd.testing.assert_frame_equal(alone.posterior_draws, over_posterior.posterior_draws)
    other = run_scenario(
        tiny(), arms=ARMS, replicates=6, seed=99, posterior=particles(), posterior_draws=3,
        progress=False,
    )  # fmt: skip
    assert not other.posterior_draws["particle"].equals(over_posterior.posterior_draws["particle"])


def test_probability_of_beating_over_draws_of_the_expected_difference():
    # 4 draws x 3 replicates. Within each draw the paired differences are the draw's
    # expected difference (1, 2, -1, 3) plus noise (+5, -5, 0) that averages out.
    expected = np.repeat([1.0, 2.0, -1.0, 3.0], 3)
    noise = np.tile([5.0, -5.0, 0.0], 4)
    base = np.linspace(10, 20, 12)
    runs = pd.DataFrame(
        {
            "arm": ["a"] * 12 + ["b"] * 12,
            "replicate": list(range(12)) * 2,
            "mean_skill": np.r_[base, base + expected + noise],
            "cumulative_quits": np.r_[base, base + expected + noise],
            "retention_participants": np.r_[np.full(12, np.nan), base],
        }
    )
    draws = pd.DataFrame({"replicate": range(12), "draw": np.repeat(range(4), 3)})
    table = probability_of_beating(runs, draws, "a").set_index("metric")
    skill = table.loc["mean_skill"]
    assert skill["p_better"] == 0.75  # 3 of the 4 expected differences are positive
    assert np.isclose(skill["mean_diff"], 1.25)
    q05, q95 = np.quantile([1.0, 2.0, -1.0, 3.0], (0.05, 0.95))
    assert np.isclose(skill["q05"], q05) and np.isclose(skill["q95"], q95)
    assert skill["draws"] == 4 and skill["replicates_per_draw"] == 3
    assert np.isclose(skill["se_noise"], np.sqrt(25.0 / 3))
    # Per replicate, 7 of 12 differences are positive: noise would have read as 0.58.
    assert (expected + noise > 0).mean() == pytest.approx(7 / 12)
    # Fewer quits is better: the same differences beat the baseline in 1 draw of 4.
    assert table.loc["cumulative_quits", "better"] == "lower"
    assert table.loc["cumulative_quits", "p_better"] == 0.25
    # No value in the baseline: no draw to compare.
    assert table.loc["retention_participants", "draws"] == 0
    with pytest.raises(ScenarioError, match="no such arm"):
        probability_of_beating(runs, draws, "c")


def write_posterior(folder: Path, table: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table.to_parquet(folder / "posterior.parquet", index=False)
    return folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "nowhere", "no such folder"),
        (lambda d: (d / "file").write_text("x") and d / "file", "not a folder"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "not a calibration folder"),
        (
            lambda d: (d / "c").mkdir() or (d / "c" / "calibration.db").write_text("") or d / "c",
            "--resume",
        ),
        (lambda d: write_posterior(d / "w", particles().drop(columns="weight")), "no 'weight'"),
        (
            lambda d: write_posterior(d / "n", particles().assign(weight=-1.0)),
            "non-negative",
        ),
        (
            lambda d: write_posterior(
                d / "m", particles().assign(**{"engagement.mean_baseline": np.nan})
            ),
            "missing or infinite",
        ),
    ],
)
def test_bad_posterior_folders_are_refused(tmp_path, make, message):
    with pytest.raises(ScenarioError, match=message):
        load_posterior(make(tmp_path))


def test_a_posterior_the_scenario_cannot_take_is_refused():
    unknown = (
        particles()
        .rename(columns={"turnover.p_quit_per_week": "turnover.p_quitt", "weight": "weight"})
        .assign(**{"learning.nope": 1.0})
    )
    with pytest.raises(ScenarioError, match=r"does not have: turnover\.p_quitt, learning\.nope"):
        plan_draws(tiny(), unknown)
    listy = pd.DataFrame({"organisation.domains": [1.0], "weight": [1.0]})
    with pytest.raises(ScenarioError, match="not a numeric parameter"):
        plan_draws(tiny(), listy)
    out_of_range = particles().assign(**{"turnover.p_quit_per_week": 2.0})
    with pytest.raises(ScenarioError, match="under particle"):
        plan_draws(tiny(), out_of_range)
    with pytest.raises(ScenarioError, match="must divide them"):
        run_scenario(tiny(), replicates=5, posterior=particles(), posterior_draws=2)


def test_integer_parameters_are_rounded():
    table = pd.DataFrame({"informal.n_ties_max": [11.6, 30.2], "weight": [1.0, 0.0]})
    plan = plan_draws(tiny(), table)
    assert set(plan.table["informal.n_ties_max"]) == {12}
    assert plan.scenarios[0].informal.n_ties_max == 12


def test_cli_run_over_a_posterior_writes_and_reruns_it(tmp_path, capsys):
    cal = write_posterior(tmp_path / "cal", particles())
    (cal / "provenance.json").write_text(json.dumps({"scenario": "x", "seed": 3}))
    out = tmp_path / "out"
    sets = [a for s in TINY for a in ("--set", s)]
    args = ["run", str(FILE), *sets, "--arm", "no_programme", "--arm", "mentorship",
            "--replicates", "4", "--posterior", str(cal), "--posterior-draws", "2",
            "--out", str(out), "--no-figures", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "2 posterior draws x 2 replicates" in printed and "P=" in printed
    for name in ("posterior_draws.parquet", "posterior.parquet", "uncertainty.csv"):
        assert (out / name).is_file()
    meta = json.loads((out / "metadata.json").read_text())["posterior"]
    assert meta["source"] == str(cal.resolve()) and meta["calibration"] == {
        "scenario": "x",
        "seed": 3,
    }
    unc = pd.read_csv(out / "uncertainty.csv")
    assert set(unc["baseline"]) == {"no_programme", "mentorship"}  # every pair of arms
    assert main(["rerun", str(out), "--out", str(tmp_path / "again"), "--no-progress"]) == 0
    assert "identical" in capsys.readouterr().out


def test_cli_refuses_posterior_options_that_do_not_fit(tmp_path, capsys):
    base = ["run", str(FILE), "--set", "organisation.n_employees=60", "--out", str(tmp_path / "o")]
    assert main([*base, "--posterior-draws", "2"]) == 2
    assert "needs --posterior" in capsys.readouterr().err
    cal = write_posterior(tmp_path / "cal", particles())
    assert main([*base, "--posterior", str(cal), "--precision", "mean_skill=0.01"]) == 2
    assert "--precision cannot be combined" in capsys.readouterr().err
    assert main([*base, "--posterior", str(tmp_path / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
