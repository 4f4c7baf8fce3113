"""The validation suite: every pattern the report marks as reproduced meets its criterion.

Each experiment runs replicates under the default calibration and states its criterion
in `sim/experiments/validation.py` (and in docs/validation.md); here the criterion is asserted.
"""

import pytest

from sim.experiments import validation

REPRODUCED = ["turnover", "forgetting", "proficiency", "diminishing", "knowledge"]


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


@pytest.mark.parametrize("key", ["network", "carley_structure", "transfer", "mentoring"])
def test_patterns_not_reproduced_are_reported_as_measured(key):
    """Patterns not reproduced under the defaults: the advice network's shape and Carley
    (1992) with structure as the cause (the assumed tie parameters); coaching's transfer
    magnitude (a criterion measured through the whole model since issue 16); mentoring's
    small retention effect, whose interval now reaches zero. docs/validation.md says so
    and why. This test keeps that statement honest: if they come to hold, update the
    report."""
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


# --- the mechanism x pattern matrix -------------------------------------------------------

#: Cells of the matrix (docs/validation.md) where a perturbation makes a pattern fail that
#: holds under the defaults, and moves the estimate itself, not only an interval's bound:
#: practice at its upper bound makes hires proficient in about 6 weeks (below 8); ten times
#: the hours of advice drives the quit rate to about 6% a month through overload; without
#: forgetting, what a programme taught is never lost. Run at the patterns' own size (each
#: takes seconds), with the same seeds as the matrix.
DECLARED_FAILS = [
    ("forgetting off", "forgetting"),
    ("practice x4 (its upper bound, 1)", "proficiency"),
    ("advice hours x10", "turnover"),
]


@pytest.fixture(scope="module")
def defaults() -> dict[str, validation.Finding]:
    """The declared cells' patterns under the defaults, run once."""
    keys = sorted({key for _, key in DECLARED_FAILS})
    return {f.key: f for f in validation.run_patterns(keys)}


@pytest.mark.parametrize(("mechanism", "key"), DECLARED_FAILS)
def test_knockout_breaks_the_pattern(mechanism, key, defaults):
    """The pattern holds under the defaults and fails with the mechanism switched off
    (same seeds), at the pattern's own size: the validation can tell them apart."""
    assert defaults[key].passed, defaults[key].measured
    broken = validation.run_patterns([key], validation.PERTURBATIONS[mechanism])[0]
    assert not broken.passed, f"{mechanism}: {broken.measured}"


def test_every_perturbation_is_a_valid_set_of_overrides():
    for name, sets in validation.PERTURBATIONS.items():
        ov = validation.Overrides.parse(sets)
        assert len(ov.general) + len(ov.programme) == len(sets), name


def test_matrix_table_marks_changed_verdicts_and_names_unconstrained_rows(tmp_path):
    rows = {
        "defaults": {"a": True, "b": False},
        "x off": {"a": False, "b": False},
        "y off": {"a": True, "b": False},
        "z x10": {"a": True, "b": True},
    }
    sets = {"x off": ("learning.x=0",), "y off": ("learning.y=0",), "z x10": ("z=1",)}
    matrix = validation.Matrix(["a", "b"], rows, sets, None, 60.0)
    # z x10 only makes a pattern the defaults fail hold: that catches nothing.
    assert matrix.unconstrained() == ["y off", "z x10"]
    table = matrix.table().splitlines()
    assert table[0] == "| perturbation (`--set`) | a | b |"
    assert table[2] == "| defaults (none) | holds | fails |"
    assert table[3] == "| x off (`learning.x=0`) | **fails** † | fails |"
    assert table[5] == "| z x10 (`z=1`) | holds | **holds** † |"
    finding = validation.Finding("a", "Pattern a", "s", "c", "m", True)
    text = validation.write_report([finding], tmp_path, matrix).read_text()
    assert "## Mechanism x pattern matrix" in text and "**Unconstrained**" in text
    assert "y off" in text.split("**Unconstrained**")[1]
