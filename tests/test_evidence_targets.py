"""Effect-size targets in a calibration, and the patterns run under a calibration.

The evidence calibration (scenarios/calibration/evidence.toml, ``make calibrate``) fits
programme effect sizes as ``wlsim run`` reports them; these tests check that a particle's
effect statistic is exactly that number, that bad effect targets are refused before
anything runs, and that ``wlsim patterns --posterior`` runs under the posterior medians
and tells the calibration set from the held-out patterns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import ScenarioError
from sim.experiments import validation
from sim.experiments.calibrate import plan_calibration, statistics
from sim.scenario.loading import validate_scenario

pytest.importorskip("pyabc")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["organisation.n_employees=150", "horizon_weeks=60"]
EFFECT = {"effect": "skill_focus", "arm": "mentorship", "observed": 0.2, "sd": 0.1}


def scenario(targets=None, file="scenarios/programmes/mentorship.toml"):
    raw = sim.load_scenario(ROOT / file, overrides=SMALL).model_dump(mode="python")
    raw["calibration"] = {
        "parameters": {"learning.rate_session_per_hour": {"low": 0.02, "high": 0.1}},
        "targets": targets if targets is not None else [EFFECT],
        "population": 4,
    }
    return validate_scenario(raw)


def test_an_effect_target_is_the_effect_size_wlsim_run_reports():
    targets = [
        EFFECT,
        {**EFFECT, "effect": "engagement", "measure": "observed"},
        {**EFFECT, "effect": "retention", "statistic": "risk_ratio", "timepoint": "horizon"},
    ]
    sc = scenario(targets)
    problem = plan_calibration(sc)
    assert [t.baseline for t in problem.targets] == ["no_programme"] * 3
    assert problem.targets[0].programme == "mentorship"
    values = {"learning.rate_session_per_hour": 0.07}
    seed = 4242
    got = statistics(problem, values, seed)
    # The same parameters and seed through wlsim run: replicate 0 of each arm.
    plain = sim.load_scenario(
        ROOT / "scenarios/programmes/mentorship.toml",
        overrides=[*SMALL, "learning.rate_session_per_hour=0.07"],
    )
    run = sim.run_scenario(plain, replicates=1, seed=seed)
    eff = run.effects.set_index(["outcome", "measure", "statistic", "timepoint"])["estimate"]
    want = [
        eff[("skill_focus", "latent", "d", "end")],
        eff[("engagement", "observed", "d", "end")],
        eff[("retention", "latent", "risk_ratio", "horizon")],
    ]
    assert np.allclose([got[f"target_{i}"] for i in range(3)], want, rtol=0, atol=1e-12)
    assert 0 < got["target_0"] < 2  # a real, positive effect on the focus domains


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"arm": "no_programme"}, "an effect needs an arm with a programme"),
        ({"arm": "mentorshp"}, "did you mean 'mentorship'"),
        ({"baseline": "mentorship"}, "against a control arm without programmes"),
        ({"programme": "coaching"}, "name one of the programmes of arm 'mentorship'"),
    ],
)
def test_bad_effect_targets_are_refused_before_anything_runs(change, message):
    with pytest.raises(ScenarioError, match=message):
        plan_calibration(scenario([{**EFFECT, **change}]))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"metric": "mean_skill", **EFFECT}, "either metric"),
        ({"observed": 1.0, "sd": 1.0}, "either metric"),
        ({**EFFECT, "statistic": "risk_ratio"}, "does not apply to effect = 'skill_focus'"),
        ({**EFFECT, "effect": "promotion"}, "does not apply to effect = 'promotion'"),
        (
            {**EFFECT, "effect": "retention", "statistic": "diff", "measure": "observed"},
            "only the latent measure",
        ),
    ],
)
def test_malformed_effect_targets_are_refused_when_the_file_is_read(target, message):
    with pytest.raises(ScenarioError, match=message):
        scenario([target])


def _folder(tmp_path: Path, metrics: list[str]) -> Path:
    folder = tmp_path / "cal"
    folder.mkdir()
    pd.DataFrame(
        {
            "turnover.p_quit_per_week": [0.002, 0.003, 0.009],
            "organisation.n_employees": [400.0, 401.0, 399.0],
            "weight": [0.2, 0.6, 0.2],
        }
    ).to_parquet(folder / "posterior.parquet")
    pd.DataFrame({"metric": metrics}).to_csv(folder / "predictive.csv", index=False)
    return folder


def test_the_patterns_run_under_the_posterior_medians_and_name_what_is_held_out(tmp_path):
    folder = _folder(tmp_path, ["cumulative_quits", "effect:skill_focus"])
    cal = validation.calibrated(folder)
    # Weighted medians; a whole-number parameter stays whole.
    assert cal.overrides == ("turnover.p_quit_per_week=0.003", "organisation.n_employees=401")
    assert cal.fitted == ("turnover",)
    assert cal.role("turnover") == "calibration set" and cal.role("carley") == "held out"
    assert validation.fitted_patterns(["time_to_proficiency_weeks", "quits"]) == [
        "turnover",
        "proficiency",
    ]
    assert validation.fitted_patterns(["effect:retention"]) == ["mentoring"]
    with pytest.raises(ScenarioError, match="drop the --set"):
        validation.calibrated(folder, ["turnover.p_quit_per_week=0.004"])


def test_wlsim_patterns_with_a_posterior(tmp_path, capsys):
    from sim.app.cli import main

    folder = _folder(tmp_path, ["cumulative_quits"])
    code = main(["patterns", "turnover", "--replicates", "2", "--posterior", str(folder)])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "turnover.p_quit_per_week=0.003" in out
    assert "[calibration set]" in out
    assert "Held out (never fitted): 0 of 0 hold" in out
    bad = tmp_path / "nothing"
    assert main(["patterns", "--posterior", str(bad)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_the_effect_tables_of_the_docs_are_generated_from_runs(tmp_path):
    from sim.experiments import evidence

    root = tmp_path / "programmes"
    root.mkdir()
    for design in ("mentorship", "peer_coaching"):
        text = (ROOT / "scenarios/programmes" / f"{design}.toml").read_text()
        text = text.replace(
            'extends = "../baseline.toml"', f'extends = "{ROOT}/scenarios/baseline.toml"'
        )
        text += "\n[organisation]\nn_employees = 150\n" if "[organisation]" not in text else ""
        (root / f"{design}.toml").write_text(text)
    effects = evidence.design_effects(root, 2, ("mentorship", "peer_coaching"), progress=False)
    table = evidence.tables(effects)
    rows = [r for r in table.splitlines() if r.startswith("| mentorship |")]
    assert len(rows) == 4  # three outcomes, and the risk ratios
    assert "target: 0.10-0.30" in rows[0] and "reference: 0.28" in table
    page = f"before\n{evidence.START}\nold\n{evidence.END}\nafter"
    assert (
        evidence.update(page, table) == f"before\n{evidence.START}\n{table}\n{evidence.END}\nafter"
    )
    docs = (ROOT / "docs/calibration.md").read_text()
    assert evidence.START in docs and evidence.END in docs
