"""The hostile-input catalogue: every input wlsim refuses, refused clearly.

Each case (``tests/hostile/``) is run through ``main`` in-process: it must exit with its
status, print one message that contains its words, print no traceback, and leave the
folder exactly as it was (no results folder, nothing half-written).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import (
    Case,
    calibration,
    decisions,
    events,
    folders,
    inputs,
    network,
    orgdata,
    patterns,
    scenario,
)

from sim.app.cli import main

CASES: list[Case] = [
    *scenario.CASES,
    *inputs.CASES,
    *orgdata.CASES,
    *network.CASES,
    *folders.CASES,
    *events.CASES,
    *patterns.CASES,
    *calibration.CASES,
    *decisions.CASES,
]


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input_is_refused_clearly(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = case.make(tmp_path)
    capsys.readouterr()  # what setting the case up printed
    before = _snapshot(tmp_path)
    code = main(argv)
    captured = capsys.readouterr()
    assert code == case.exit, captured.err
    assert "error: " in captured.err, captured.err
    assert captured.out == ""
    for word in case.words:
        assert word in captured.err
    assert "Traceback" not in captured.err
    assert _snapshot(tmp_path) == before, "a refused input must leave the folder as it was"


def test_catalogue_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_the_documented_counts_are_the_catalogue() -> None:
    page = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text()
    assert f"run by `tests/test_hostile_inputs.py`) | {len(CASES)} |" in page
    assert f"nothing written | {sum(case.exit == 2 for case in CASES)} |" in page
