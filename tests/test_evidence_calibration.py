"""The shipped defaults are the evidence calibration's posterior medians (make calibrate).

``calibration/evidence/`` is the folder ``make calibrate`` writes and the repository ships.
If it is refitted (a model change moves the posterior), the defaults it calibrates must
move with it in the same commit: this test names the parameter and both values.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.experiments import validation
from sim.experiments.posterior import load_posterior
from sim.scenario.loading import validate_scenario
from sim.scenario.paths import value_at

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "calibration/evidence"


def significant(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant figures (how defaults are written)."""
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def test_the_defaults_are_the_posterior_medians_of_the_evidence_calibration():
    posterior = load_posterior(FOLDER)
    assert posterior.provenance["scenario"] == "calibration_evidence"
    defaults = validate_scenario({"name": "defaults"}).model_dump(mode="python")
    medians = posterior.medians()
    assert len(medians) == 6
    wrong = {
        path: (value_at(defaults, path), significant(median))
        for path, median in medians.items()
        if not math.isclose(value_at(defaults, path), significant(median), rel_tol=1e-9)
    }
    assert not wrong, f"defaults (now, posterior median): {wrong}"


def test_the_calibration_set_and_the_held_out_patterns_are_as_documented():
    fitted = validation.fitted_patterns(pd.read_csv(FOLDER / "predictive.csv")["metric"])
    assert fitted == ["turnover", "proficiency"]
    docs = (ROOT / "docs/calibration.md").read_text(encoding="utf-8")
    held_out = [k for k in validation.PATTERNS if k not in fitted]
    section = docs.split("## The evidence calibration", 1)[1].split("\n## ", 1)[0]
    for key in held_out:
        assert f"`{key}`" in section, f"held-out pattern {key} not listed"
