"""Calibrations (``wlsim calibrate``, ``[calibration]``) that wlsim refuses before running.

Each message names the calibration entry (parameter path or target), the value and the
fix; a history file's problems name the file, column, lines and values, as the roster's
do. Nothing is written: the calibration folder is made only once everything is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import FLAGSHIP, REPO, Case, scenario_file

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


PILOT_HEADER = (
    "measure,from_week,to_week,value,arm,programme,domain,group,n_participants,"
    "n_nonparticipants,participants\n"
)
PILOT_ARMS = (
    '[programmes.mentoring]\nkind = "mentorship"\n[arms.pilot]\nprogrammes = ["mentoring"]\n'
)
#: The example roster without its participant column (a participants file fixes enrolment).
ROSTER = "\n".join(
    line.rsplit(",", 1)[0]
    for line in (REPO / "scenarios/data/example_org.csv").read_text().splitlines()
)


def _pilot(rows: str, roster: bool = False, extra: str = "") -> Callable[[Path], list[str]]:
    """A calibration to a history with pilot rows, in a scenario with a mentoring arm."""
    body = PILOT_ARMS + extra + PRIOR + '[calibration]\nhistory = "history.csv"\n'
    if roster:  # SIZE ends in the [organisation] table
        body = 'source = "roster.csv"\n' + body

    def make(tmp: Path) -> list[str]:
        (tmp / "roster.csv").write_text(ROSTER + "\n", encoding="utf-8")
        (tmp / "took_part.csv").write_text("employee_id\nE1013\nE1016\nE9999\n")
        return _calibrate(body, history=PILOT_HEADER + rows)(tmp)

    return make


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
        "pilot-unknown-arm",
        _pilot("rating,0,8,0.3,pilt,,leadership,difference,20,40,\n"),
        ("history.csv", "column arm: 1 row (2)", "('pilt')", "did you mean 'pilot'"),
    ),
    Case(
        "pilot-arm-without-programmes",
        _pilot("rating,0,8,0.3,no_programme,,leadership,difference,20,40,\n"),
        (
            "history.csv",
            "column arm: 1 row (2): the value is an arm without programmes",
            "name an arm that runs it",
        ),
    ),
    Case(
        "pilot-unknown-programme",
        _pilot("rating,0,8,0.3,pilot,mentorship,leadership,difference,20,40,\n"),
        ("column programme: 1 row (2)", "('mentorship')", "use one of mentoring"),
    ),
    Case(
        "pilot-unknown-domain",
        _pilot("rating,0,8,0.3,pilot,,leadershp,difference,20,40,\n"),
        ("column domain: 1 row (2)", "did you mean 'leadership'", "or job"),
    ),
    Case(
        "pilot-unknown-group",
        _pilot("survey,0,8,0.1,pilot,,,mentees,20,40,\n"),
        ("column group: 1 row (2)", "('mentees')", "participants, nonparticipants"),
    ),
    Case(
        "pilot-before-week-after-after-week",
        _pilot("survey,8,2,0.1,pilot,,,participants,20,,\n"),
        (
            "columns from_week, to_week: 1 row (2): the weeks are not before and after",
            "from_week must be the earlier",
        ),
    ),
    Case(
        "pilot-group-of-one",
        _pilot("survey,0,8,0.1,pilot,,,difference,1,40,\n"),
        ("column n_participants: 1 row (2): the value is below 2 ('1')", "at least 2 people"),
    ),
    Case(
        "pilot-group-size-missing",
        _pilot("survey,0,8,0.1,pilot,,,nonparticipants,,,\n"),
        ("column n_nonparticipants: 1 row (2): the n_nonparticipants is empty",),
    ),
    Case(
        "pilot-change-beyond-the-scale",
        _pilot("survey,0,8,5,pilot,,,participants,20,,\n"),
        ("column value: 1 row (2): the value is a larger change than the scale allows ('5')",),
    ),
    Case(
        "pilot-participant-not-in-the-roster",
        _pilot("survey,0,8,0.1,pilot,,,participants,2,,took_part.csv\n", roster=True),
        (
            "column participants: 1 row (2)",
            "1 employee ids not in organisation.source ('E9999')",
            "roster's employee_id column",
        ),
    ),
    Case(
        "pilot-participants-without-a-roster",
        _pilot("survey,0,8,0.1,pilot,,,participants,2,,took_part.csv\n"),
        ("column participants: 1 row (2)", "the scenario has no roster", "organisation.source"),
    ),
    Case(
        "pilot-participants-file-missing",
        _pilot("survey,0,8,0.1,pilot,,,participants,2,,nobody.csv\n", roster=True),
        (
            "column participants: 1 row (2): the participants file cannot be used",
            "nobody.csv",
            "employee_id column",
        ),
    ),
    Case(
        "pilot-without-the-observation-model",
        _pilot(
            "survey,0,8,0.1,pilot,,,participants,20,,\n", extra="[observation]\nenabled = false\n"
        ),
        ("observation.enabled is false", "set observation.enabled = true"),
    ),
    Case(
        "pilot-column-on-a-count",
        _pilot("quits,0,8,3,pilot,,,,,,\n"),
        ("column arm: 1 row (2): the value is given for a measure other than rating or survey",),
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
