"""Output folders, sweeps and results folders that wlsim refuses before anything runs."""

from __future__ import annotations

from pathlib import Path

from hostile import BASELINE, SMALL, Case, scenario_file
from sim.app.cli import main

#: A small grid sweep of the baseline (2 points x 1 replicate x 1 arm).
SWEEP = (
    "horizon_weeks = 4\nreplicates = 1\n[organisation]\nn_employees = 40\n"
    '[sweep]\nmethod = "grid"\n[sweep.grid]\n"turnover.p_quit_per_week" = [0.001, 0.002]\n'
)


def _user_folder(tmp: Path, name: str = "mine") -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / "thesis.docx").write_text("months of work")
    return folder


def _run(*extra: str) -> list[str]:
    return ["run", str(BASELINE), *SMALL, *extra]


def _sweep(tmp: Path, body: str = SWEEP, *extra: str) -> list[str]:
    path = scenario_file(tmp, body, name="sweep.toml")
    return ["sweep", str(path), "--no-progress", *extra]


def _finished_sweep(tmp: Path) -> Path:
    """A finished sweep folder (made with ``wlsim sweep`` itself)."""
    out = tmp / "done"
    assert main([*_sweep(tmp), "--out", str(out)]) == 0
    return out


def _changed_resume(tmp: Path) -> list[str]:
    out = _finished_sweep(tmp)
    return [*_sweep(tmp), "--out", str(out), "--resume", "--set", "horizon_weeks=6"]


def _cwd_inside(tmp: Path) -> list[str]:
    out = tmp / "results"
    assert main([*_run(), "--out", str(out)]) == 0
    inside = out / "figures"
    inside.mkdir(exist_ok=True)
    import os

    os.chdir(inside)
    return _run("--out", str(out), "--overwrite")


SOBOL_HUGE = (
    '[sweep]\nmethod = "sobol"\nn_samples = 1000000\n[sweep.ranges]\n'
    '"turnover.p_quit_per_week" = [0.001, 0.002]\n"learning.skill_floor" = [0.05, 0.2]\n'
    '"engagement.overload_per_hour" = [0.0, 0.1]\n'
)

CASES: list[Case] = [
    Case(
        "out-dot-overwrite",
        lambda tmp: _run("--out", ".", "--overwrite"),
        ("--out .", "folder you are working in"),
    ),
    Case(
        "out-parent-of-cwd-overwrite",
        _cwd_inside,
        ("folder you are working in", "choose a new folder"),
    ),
    Case(
        "out-user-folder-overwrite",
        lambda tmp: _run("--out", str(_user_folder(tmp)), "--overwrite"),
        ("mine", "replaces only a folder wlsim wrote", "is not one"),
    ),
    Case(
        "out-user-folder",
        lambda tmp: _run("--out", str(_user_folder(tmp))),
        ("mine", "already exists", "--overwrite"),
    ),
    Case(
        "sweep-overwrite-user-folder",
        lambda tmp: _sweep(tmp, SWEEP, "--out", str(_user_folder(tmp)), "--overwrite"),
        ("mine", "replaces only a folder wlsim wrote"),
    ),
    Case(
        "sweep-resume-user-folder",
        lambda tmp: _sweep(tmp, SWEEP, "--out", str(_user_folder(tmp)), "--resume"),
        ("--resume", "mine", "no sweep there", "--overwrite"),
    ),
    Case(
        "sweep-existing-folder",
        lambda tmp: _sweep(tmp, SWEEP, "--out", str(_finished_sweep(tmp))),
        ("already exists", "--resume", "--overwrite"),
    ),
    Case(
        "sweep-resume-changed-scenario",
        _changed_resume,
        ("cannot be continued", "horizon_weeks: 4 -> 6", "--overwrite"),
    ),
    Case(
        "sweep-sobol-million-samples",
        lambda tmp: _sweep(tmp, SOBOL_HUGE, "--out", str(tmp / "s")),
        ("5,000,000 points", "n_samples = 1,000,000", "more than the 2,000,000", "lower"),
    ),
    Case(
        "sweep-unknown-path",
        lambda tmp: _sweep(
            tmp, SWEEP.replace("turnover.p_quit_per_week", "turnover.p_quit_per_wek")
        ),
        ("turnover.p_quit_per_wek", "did you mean 'p_quit_per_week'"),
    ),
    Case(
        "sweep-value-out-of-range",
        lambda tmp: _sweep(tmp, SWEEP.replace("[0.001, 0.002]", "[0.001, 2.0]")),
        ("sweep point 1", "turnover.p_quit_per_week = 2.0"),
    ),
    Case(
        "sweep-workers-0",
        lambda tmp: _sweep(tmp, SWEEP, "--workers", "0"),
        ("--workers 0", "at least 1"),
    ),
    Case(
        "run-huge-organisation",
        lambda tmp: _run("--set", "organisation.n_employees=900000000"),
        ("n_employees = 900,000,000", "GiB", "available"),
    ),
    Case(
        "compare-not-a-results-folder",
        lambda tmp: ["compare", str(_user_folder(tmp))],
        ("mine", "not a results folder"),
    ),
    Case(
        "report-not-a-results-folder",
        lambda tmp: ["report", str(_user_folder(tmp))],
        ("mine",),
    ),
    Case(
        "rerun-a-sweep-folder",
        lambda tmp: ["rerun", str(_finished_sweep(tmp))],
        ("done", "timeseries.parquet"),
    ),
]
