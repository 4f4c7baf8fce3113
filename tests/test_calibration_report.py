"""What a calibration learned: identifiability on posteriors whose answer is known, figures, report.

The posteriors here are constructed, not fitted, so the right verdicts are known and no
simulation runs: a calibration folder is written by hand (scenario.resolved.toml with a
[calibration] section, posterior.parquet, generations.csv, predictive.csv).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import calibration_report
from sim.analysis import posterior as post
from sim.errors import ScenarioError
from sim.scenario.loading import dump_scenario, validate_scenario
from tests.conftest import BASELINE

PRIORS = post.priors_frame(
    {
        "a": {"low": 0.0, "high": 1.0},
        "b": {"low": 0.0, "high": 1.0},
        "c": {"distribution": "loguniform", "low": 0.001, "high": 0.1},
    }
)
PNG = b"\x89PNG\r\n\x1a\n"


def constructed(seed: int, n: int = 4000) -> pd.DataFrame:
    """a narrow (sd 0.05 of a prior sd 0.29), b as wide as its prior, log10(c) over 70%.

    c is drawn from a, so that on the log scale c and a are strongly correlated; b is
    independent of both.
    """
    rng = np.random.default_rng(seed)
    a = np.clip(rng.normal(0.5, 0.05, n), 0, 1)
    b = rng.uniform(0, 1, n)
    # log10(c) spans 1.4 of the prior's 2 decades (ratio 0.7), set mostly by a.
    u = np.clip((a - 0.5) / 0.05 / 4 + 0.5 + rng.normal(0, 0.05, n), 0, 1)
    c = 10 ** (-2.7 + 1.4 * u)
    return pd.DataFrame({"a": a, "b": b, "c": c, "weight": np.full(n, 1 / n)})


@pytest.mark.parametrize("seed", range(5))
def test_narrow_partly_and_wide_parameters_get_their_verdicts(seed):
    table = post.narrowing(constructed(seed), PRIORS).set_index("parameter")
    assert table.loc["a", "sd_ratio"] == pytest.approx(0.05 / (1 / np.sqrt(12)), rel=0.1)
    assert table.loc["a", "verdict"] == "pinned down"
    assert table.loc["b", "verdict"] == "not identified by these targets"
    assert 0.5 < table.loc["c", "sd_ratio"] < 0.9 and table.loc["c", "verdict"] == "partly"
    assert table.loc["c", "scale"] == "log10" and table.loc["a", "scale"] == "value"


@pytest.mark.parametrize("seed", range(5))
def test_correlated_parameters_trade_off_and_independent_ones_do_not(seed):
    pairs = post.tradeoffs(constructed(seed), PRIORS).set_index(["parameter_a", "parameter_b"])
    assert list(pairs.index) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs.loc[("a", "c"), "correlation"] > 0.9
    assert pairs.loc[("a", "c"), "verdict"] == "trade off (confounded)"
    assert "raising both together" in pairs.loc[("a", "c"), "meaning"]
    assert "depends on one of them and not on the other" in pairs.loc[("a", "c"), "meaning"]
    for pair in (("a", "b"), ("b", "c")):
        assert abs(pairs.loc[pair, "correlation"]) < 0.1
        assert pairs.loc[pair, "verdict"] == "separate"


def test_a_negative_trade_off_is_described_as_one_up_one_down():
    frame = constructed(0)
    frame["b"] = 1 - frame["a"] + np.random.default_rng(1).normal(0, 0.01, len(frame))
    row = post.tradeoffs(frame, PRIORS).iloc[0]
    assert row["correlation"] < -0.9 and "raising one and lowering the other" in row["meaning"]


def test_weights_count_particles_spread_evenly_but_weighted_narrowly_are_pinned():
    x = np.linspace(0, 1, 2001)
    w = np.exp(-0.5 * ((x - 0.3) / 0.03) ** 2)
    frame = pd.DataFrame({"a": x, "weight": w / w.sum()})
    priors = PRIORS.iloc[:1]
    assert post.narrowing(frame, priors)["sd_ratio"].iloc[0] == pytest.approx(0.03 * 12**0.5, 0.01)
    row = post.summary(frame, priors).iloc[0]
    assert row["median"] == pytest.approx(0.3, abs=0.001)
    # The 90% interval of a normal: 1.645 sds either side.
    assert row["q05"] == pytest.approx(0.3 - 1.645 * 0.03, abs=0.002)
    assert row["q95"] == pytest.approx(0.3 + 1.645 * 0.03, abs=0.002)
    assert row["near_bound"] == ""
    # Equal weights on the same particles: the prior's spread, not identified.
    frame["weight"] = 1.0
    assert post.narrowing(frame, priors)["verdict"].iloc[0] == "not identified by these targets"


def test_a_posterior_against_a_prior_bound_is_flagged():
    frame = pd.DataFrame({"a": [0.01, 0.02, 0.03], "c": [0.09, 0.095, 0.099], "weight": 1.0})
    table = post.summary(frame, PRIORS.iloc[[0, 2]]).set_index("parameter")
    assert table.loc["a", "near_bound"] == "low" and table.loc["c", "near_bound"] == "high"


def test_the_prior_sd_is_that_of_a_uniform_on_the_flat_scale():
    assert post.prior_sd("uniform", 2.0, 5.0) == pytest.approx(3 / np.sqrt(12))
    assert post.prior_sd("loguniform", 0.001, 0.1) == pytest.approx(2 / np.sqrt(12))


def test_bad_inputs_are_refused_with_what_is_wrong():
    with pytest.raises(ScenarioError, match="no column for the prior's parameter"):
        post.narrowing(pd.DataFrame({"a": [0.5], "weight": [1.0]}), PRIORS)
    with pytest.raises(ScenarioError, match="no 'weight' column"):
        post.summary(pd.DataFrame({"a": [0.5]}), PRIORS.iloc[:1])
    with pytest.raises(ScenarioError, match="at least two"):
        post.pairs(constructed(0), PRIORS.iloc[:1])
    with pytest.raises(ScenarioError, match="loguniform prior needs low > 0"):
        post.priors_frame({"x": {"distribution": "loguniform", "low": 0, "high": 1}})


# --- the calibration folder's figures and report ------------------------------------------


QUIT, ENGAGEMENT = "turnover.p_quit_per_week", "engagement.mean_baseline"


def calibration_folder(path, parameters=(QUIT, ENGAGEMENT)):
    """A finished calibration folder, written by hand from a constructed posterior.

    The quit hazard takes c's values (loguniform prior) and the engagement baseline a's.
    """
    priors = {
        QUIT: {"distribution": "loguniform", "low": 0.001, "high": 0.1},
        ENGAGEMENT: {"low": 0.0, "high": 1.0},
    }
    raw = sim.load_scenario(BASELINE).model_dump(mode="python")
    raw["calibration"] = {
        "parameters": {p: priors[p] for p in parameters},
        "targets": [
            {"metric": "cumulative_quits", "observed": 55.0, "sd": 7.5},
            {"metric": "mean_engagement", "observed": 0.62, "sd": 0.02},
        ],
        "population": 300,
    }
    path.mkdir()
    (path / "scenario.resolved.toml").write_text(dump_scenario(validate_scenario(raw)))
    made = constructed(0, n=300)
    frame = pd.DataFrame({QUIT: made["c"], ENGAGEMENT: made["a"]})[list(parameters)]
    frame["weight"] = 1 / 300
    frame.to_parquet(path / "posterior.parquet", index=False)
    pd.DataFrame(
        {
            "generation": [0, 1, 2],
            "tolerance": [12.0, 6.0, 3.0],
            "accepted": 300,
            "simulated": [400, 700, 1200],
            "acceptance_rate": [0.75, 0.43, 0.25],
            "effective_sample_size": [300.0, 250.0, 240.0],
        }
    ).to_csv(path / "generations.csv", index=False)
    pd.DataFrame(
        {
            "target": ["cumulative_quits [no_programme, week 104]", "mean_engagement [...]"],
            "metric": ["cumulative_quits", "mean_engagement"],
            "arm": "no_programme",
            "baseline": "",
            "week": 104,
            "observed": [55.0, 0.62],
            "sd": [7.5, 0.02],
            "simulated_mean": [53.0, 0.70],
            "simulated_q05": [41.0, 0.68],
            "simulated_q95": [67.0, 0.72],
        }
    ).to_csv(path / "predictive.csv", index=False)
    (path / "provenance.json").write_text(json.dumps({"wlsim_version": "test"}))
    return path


SECTIONS = (
    "<h2>The question</h2>",
    "<h2>Parameters and priors</h2>",
    "<h2>Targets</h2>",
    "<h2>Diagnostics per generation</h2>",
    "<h2>Posterior</h2>",
    "<h2>Identifiability: what to measure next</h2>",
    "<h2>Posterior predictive check</h2>",
    "<h2>What this does not show</h2>",
    "<h2>Scenario</h2>",
)


def test_the_report_has_every_section_and_writes_its_figures(tmp_path):
    folder = calibration_folder(tmp_path / "cal")
    path = calibration_report.write_report(folder)
    text = path.read_text()
    for section in SECTIONS:
        assert section in text, section
    assert text.count("data:image/png;base64,") == 4
    for name in ("generations", "prior_posterior", "pairs", "predictive_check"):
        data = (folder / "figures" / f"{name}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name
    # The constructed pair trades off; the engagement target is not reproduced (0.70
    # simulated, 0.68-0.72, against 0.62 +/- 0.02), the quits target is.
    assert "trade off (confounded)" in text and "raising both together" in text
    assert "<td>no</td>" in text and "<td>yes</td>" in text
    assert "stays at its value in the scenario" in text
    # A last tolerance of 3 target sds over two targets (within 1.41 means each within its
    # sd) is called still large.
    assert "The tolerance is still large against the targets" in text


def test_a_one_parameter_calibration_has_no_pairwise_plot(tmp_path):
    folder = calibration_folder(tmp_path / "cal", parameters=(QUIT,))
    text, pngs = calibration_report.build(folder)
    assert set(pngs) == {"generations", "prior_posterior", "predictive_check"}
    assert "Trade-offs between parameters" not in text and "pinned down" in text


def test_wlsim_report_writes_a_calibration_report_and_explains_an_unfinished_one(tmp_path, capsys):
    from sim.app.cli import main

    folder = calibration_folder(tmp_path / "cal", parameters=(QUIT,))
    assert main(["report", str(folder)]) == 0
    assert (folder / "report.html").is_file()
    (folder / "posterior.parquet").unlink()
    (folder / "calibration.db").write_bytes(b"")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "missing posterior.parquet" in err and "--resume" in err


def test_a_results_folder_with_a_posterior_copy_is_not_taken_for_a_calibration(tmp_path):
    folder = calibration_folder(tmp_path / "cal")
    assert calibration_report.is_calibration_folder(folder)
    # wlsim run --posterior copies posterior.parquet into its results folder.
    results = tmp_path / "results"
    results.mkdir()
    (results / "posterior.parquet").write_bytes((folder / "posterior.parquet").read_bytes())
    assert not calibration_report.is_calibration_folder(results)
