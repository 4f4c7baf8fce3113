"""Calibrations (``wlsim calibrate``, ``[calibration]``) that wlsim refuses before running.

Each message names the calibration entry (parameter path or target), the value and the
fix; a history file's problems name the file, column, lines and values, as the roster's
do. Nothing is written: the calibration folder is made only once everything is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import FLAGSHIP, Case, scenario_file

SIZE = "horizon_weeks = 8\n[organisation]\nn_employees = 60\n"
PRIOR = '[calibration.parameters."turnover.p_quit_per_week"]\nlow = 0.001\nhigh = 0.02\n'
TARGET = '[[calibration.targets]]\nmetric = "cumulative_quits"\nobserved = 3\nsd = 1\n'


def _calibrate(body: str, *extra: str, history: str | None = None) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        if history is not None:
            (tmp / "history.csv").write_text(history, encoding="utf-8")
        path = scenario_file(tmp, SIZE + body)
        return ["calibrate", str(path), "--out", str(tmp / "cal"), "--no-progress", *extra]

    return make


def _history(rows: str) -> Callable[[Path], list[str]]:
    body = PRIOR + '[calibration]\nhistory = "history.csv"\n'
    return _calibrate(body, history="measure,from_week,to_week,value,sd\n" + rows)


CASES: list[Case] = [
    Case(
        "calibration-without-parameters",
        _calibrate("[calibration]\npopulation = 10\n" + TARGET),
        ("calibration.parameters", "name at least one parameter"),
    ),
    Case(
        "calibration-without-targets",
        _calibrate(PRIOR),
        ("calibration.targets", "give at least one target"),
    ),
    Case(
        "calibration-misspelt-parameter",
        _calibrate(
            '[calibration.parameters."turnover.p_quit_per_wek"]\nlow = 0.001\nhigh = 0.02\n'
            + TARGET
        ),
        ("'turnover.p_quit_per_wek' is not a scenario parameter", "did you mean 'p_quit_per_week'"),
    ),
    Case(
        "calibration-reversed-prior",
        _calibrate(
            '[calibration.parameters."turnover.p_quit_per_week"]\nlow = 0.02\nhigh = 0.001\n'
            + TARGET
        ),
        ("low must be below high",),
    ),
    Case(
        "calibration-prior-outside-the-allowed-range",
        _calibrate(
            '[calibration.parameters."turnover.p_quit_per_week"]\nlow = 0.001\nhigh = 3\n' + TARGET
        ),
        ("'turnover.p_quit_per_week'", "high = 3.0 is not a value", "choose bounds"),
    ),
    Case(
        "calibration-prior-on-a-word",
        _calibrate('[calibration.parameters."organisation.levels"]\nlow = 1\nhigh = 3\n' + TARGET),
        ("only numeric parameters can be fitted",),
    ),
    Case(
        "calibration-misspelt-metric",
        _calibrate(PRIOR + TARGET.replace("cumulative_quits", "cumulative_quit")),
        ("targets[0].metric = 'cumulative_quit'", "did you mean 'cumulative_quits'"),
    ),
    Case(
        "calibration-unknown-arm",
        _calibrate(PRIOR + TARGET + 'arm = "mentor"\n'),
        ("targets[0].arm = 'mentor'", "no such arm"),
    ),
    Case(
        "calibration-week-after-the-horizon",
        _calibrate(PRIOR + TARGET + "week = 20\n"),
        ("targets[0].week = 20", "the run ends at week 8"),
    ),
    Case(
        "calibration-target-without-a-value",
        _calibrate(
            PRIOR + '[[calibration.targets]]\nmetric = "retention_participants"\nobserved = 0.9\n'
            "sd = 0.1\n"
        ),
        ("no value for retention_participants", "an arm with a programme"),
    ),
    Case(
        "calibration-resume-without-a-folder",
        _calibrate(PRIOR + TARGET, "--resume"),
        ("--resume", "the folder does not exist; run without --resume"),
    ),
    Case(
        "calibration-no-workers",
        _calibrate(PRIOR + TARGET, "--workers", "0"),
        ("--workers 0: must be at least 1",),
    ),
    Case(
        "history-unknown-measure",
        _history("quitz,0,8,3,\n"),
        ("history.csv", "column measure: 1 row (2)", "('quitz')", "did you mean 'quits'"),
    ),
    Case(
        "history-period-backwards",
        _history("quits,6,2,3,\n"),
        ("history.csv", "(2): the weeks are not a period", "to_week is the week after"),
    ),
    Case(
        "history-survey-without-sd",
        _history("engagement,,8,3.5,\n"),
        ("history.csv", "column sd: 1 row (2): the sd is empty for a survey mean"),
    ),
    Case(
        "history-missing-column",
        lambda tmp: _calibrate(
            PRIOR + '[calibration]\nhistory = "history.csv"\n',
            history="measure,from_week,value\nquits,0,3\n",
        )(tmp),
        ("history.csv", "missing columns to_week"),
    ),
    Case(
        "posterior-that-is-not-a-calibration",
        lambda tmp: [
            "run",
            str(FLAGSHIP),
            "--posterior",
            str(tmp),
            "--out",
            str(tmp / "out"),
            "--no-progress",
        ],
        ("--posterior", "posterior.parquet"),
    ),
]
