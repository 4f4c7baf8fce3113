"""Shared fixture, and the mark that sorts the suite for `make check`.

`make check` runs ``pytest -m "not slow"``; `make test` runs everything, on every core
with pytest-xdist. SLOW below names the slow tests; tests/test_suite.py checks that every
name in it is a test that exists, so a renamed test cannot silently lose its mark.

Under xdist (``--dist loadfile``) each test file runs on one worker, in order: the tests
of a file that cannot share the machine with each other (signals sent to a run at a
moment, a port found free and bound a moment later, a module fixture that costs seconds)
are kept in one file. (``--dist loadgroup`` with ``xdist_group`` marks would balance
better, but with pytest 9.2 and pytest-xdist 3.8 it ignores the marks: pytest-xdist#1386.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"

#: Tests (``file::function``, every parametrisation) that take seconds each on an idle
#: 2-core machine, or share a module fixture that does; `make check` leaves them out.
SLOW = frozenset(
    {
        # A full `wlsim run` with figures and report, shared through a module fixture.
        "test_cli.py::test_run_succeeds_and_prints_a_table",
        "test_cli.py::test_run_writes_every_result_file",
        "test_cli.py::test_timeseries_is_tidy",
        "test_cli.py::test_summary_has_mean_sd_n_and_ci_per_arm_and_metric",
        "test_cli.py::test_metadata_records_provenance",
        "test_cli.py::test_report_is_self_contained_html",
        "test_cli.py::test_report_command_rewrites_the_report",
        "test_dashboard.py::test_page_renders_and_steps_without_a_browser",
        "test_dashboard.py::test_dashboard_in_headless_chromium",
        "test_dashboard.py::test_play_stops_at_the_horizon_and_another_arm_plays_again",
        "test_golden.py::test_kernels_without_compilation_give_identical_results",
        # Real worker pools started, killed and replaced.
        "test_faults.py::test_a_killed_worker_is_replaced_and_its_runs_retried",
        "test_faults.py::test_workers_exit_when_the_sweep_is_killed",
        "test_mechanisms.py::test_programmes_raise_mean_skill",
        # A full run with figures and report, searched for the HR file's ids.
        "test_orgdata.py::test_no_employee_id_or_team_name_reaches_the_results",
        "test_networkdata.py::test_no_id_of_the_advice_network_reaches_the_results",
        "test_notebooks.py::test_notebook_runs",
        # The plain-Mesa reference model, replicated (one module fixture for all three).
        "test_reference.py::test_reference_and_engine_agree",
        "test_reference.py::test_session_hours_zero_without_programmes",
        "test_reference.py::test_the_test_has_power",
        "test_reproducibility.py::test_rerun_reproduces_the_results_byte_for_byte",
        "test_reproducibility.py::test_rerun_warns_when_the_code_version_differs",
        "test_reproducibility.py::test_rerun_reports_results_that_differ",
        "test_reproducibility.py::test_same_seed_gives_byte_identical_files_in_separate_processes",
        "test_reproducibility.py::test_a_killed_run_leaves_nothing_a_reader_would_accept",
        "test_sweep.py::test_results_are_identical_serial_process_pool_and_dask",
        "test_sweep.py::test_resume_after_sigkill_equals_an_uninterrupted_sweep",
        "test_sweep.py::test_ctrl_c_stops_a_sweep_and_says_how_to_resume",
        # Validation patterns: replicated experiments (docs/validation.md).
        "validation/test_patterns.py::test_pattern_is_reproduced",
        "validation/test_patterns.py::test_carley_with_programmes_is_reported_as_measured",
        "validation/test_patterns.py::test_patterns_not_reproduced_are_reported_as_measured",
        "validation/test_patterns.py::test_knockout_breaks_the_pattern",
    }
)

TESTS = Path(__file__).resolve().parent


def _name(item: pytest.Item) -> str:
    """``file::function`` relative to tests/, without the parametrisation."""
    return f"{item.path.relative_to(TESTS).as_posix()}::{item.originalname}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests named in SLOW."""
    for item in items:
        if isinstance(item, pytest.Function) and _name(item) in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario file into ``tmp_path``; by default it extends the real baseline.

    Call it as ``write_scenario(body, name="bad.toml", extends=True)``; ``body`` is TOML
    text placed after ``extends = ".../baseline.toml"`` and ``name = "bad"``.
    """

    def write(body: str = "", name: str = "bad.toml", extends: bool = True) -> Path:
        head = f'extends = "{BASELINE.as_posix()}"\nname = "bad"\n' if extends else ""
        path = tmp_path / name
        path.write_text(head + body, encoding="utf-8")
        return path

    return write
