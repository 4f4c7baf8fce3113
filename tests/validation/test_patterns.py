"""The validation suite: every pattern the report marks as reproduced meets its criterion.

Each experiment runs replicates under the default calibration and states its criterion
in `sim/experiments/validation.py` (and in docs/validation.md); here the criterion is asserted.
"""

import pytest

from sim.experiments import validation

REPRODUCED = ["turnover", "proficiency", "mentoring", "diminishing", "knowledge"]


@pytest.mark.parametrize("key", REPRODUCED)
def test_pattern_is_reproduced(key):
    finding = validation.PATTERNS[key]()
    assert finding.passed, f"{finding.title}: {finding.criterion} -- measured {finding.measured}"


def test_carley_with_programmes_is_reported_as_measured():
    """Carley (1992) with mentorship and peer coaching as the structures: neither part is
    reproduced since feedback follows one rule for every design ((a) held only through
    per-design feedback rates); docs/validation.md says so and why. This test keeps that
    statement honest: if a part comes to hold, update the report."""
    finding = validation.carley()
    assert not finding.values["faster"], "part (a) now holds: update docs/validation.md"
    assert not finding.values["holds_ci"], "part (b) now holds: update docs/validation.md"
    assert "Part (a) is not reproduced" in finding.note


@pytest.mark.parametrize("key", ["network", "carley_structure", "forgetting", "transfer"])
def test_patterns_not_reproduced_are_reported_as_measured(key):
    """Patterns not reproduced under the defaults: the advice network's shape and Carley
    (1992) with structure as the cause (the assumed tie parameters); forgetting of what a
    programme taught and coaching's transfer magnitude (criteria measured through the whole
    model since issue 16). docs/validation.md says so and why. This test keeps that
    statement honest: if they come to hold, update the report."""
    finding = validation.PATTERNS[key]()
    assert not finding.passed, f"{finding.title} now holds: update docs/validation.md"
    assert finding.note


def test_report_is_written_with_every_pattern(tmp_path):
    findings = [validation.forgetting(replicates=2), validation.coaching_transfer(replicates=2)]
    path = validation.write_report(findings, tmp_path)
    text = path.read_text()
    assert "Forgetting of what a programme taught" in text and "Coaching raises transfer" in text
    assert (tmp_path / "figures" / "validation_forgetting.png").stat().st_size > 1000


def test_committed_report_lists_every_pattern():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "validation.md").read_text()
    for fn in validation.PATTERNS.values():
        assert fn.__doc__
    for key in validation.PATTERNS:
        assert f"validation_{key}.png" in text
