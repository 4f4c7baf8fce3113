"""Scenario events (``[[departures]]``) that wlsim refuses before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import SCENARIOS, Case, scenario_file

FROM_DATA = SCENARIOS / "from_data.toml"


def _run(body: str, extends: Path | None = None) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        if extends is None:
            path = scenario_file(tmp, body)
        else:
            path = tmp / "bad.toml"
            path.write_text(f'extends = "{extends.as_posix()}"\nname = "bad"\n{body}')
        return ["run", str(path), "--replicates", "1", "--no-progress"]

    return make


CASES: list[Case] = [
    Case(
        "departure-unknown-domain",
        _run('[[departures]]\nweek = 3\ndomain = "tecnical"\nk = 2\n'),
        ("departures[0].domain = 'tecnical'", "not a domain", "technical"),
    ),
    Case(
        "departure-without-domain",
        _run("[[departures]]\nweek = 3\nk = 2\n"),
        ("needs a domain",),
    ),
    Case(
        "departure-after-the-horizon",
        _run('horizon_weeks = 10\n[[departures]]\nweek = 10\ndomain = "technical"\n'),
        ("departures[0].week = 10", "ends at week 10"),
    ),
    Case(
        "departure-ids-without-data",
        _run('[[departures]]\nweek = 3\nwho = "ids"\nids = ["E1"]\n'),
        ("who = 'ids'", "organisation.source"),
    ),
    Case(
        "departure-unknown-ids",
        _run('[[departures]]\nweek = 3\nwho = "ids"\nids = ["E1000", "E9999"]\n', FROM_DATA),
        ("departures[0].ids", "'E9999'", "example_org.csv", "employee_id"),
    ),
    Case(
        "departure-ids-missing",
        _run('[[departures]]\nweek = 3\nwho = "ids"\n', FROM_DATA),
        ("who = 'ids' needs ids",),
    ),
    Case(
        "departure-unknown-ids-in-an-arm",
        _run(
            "[arms.leave]\n"
            'overrides = { departures = [{ week = 3, who = "ids", ids = ["X1"] }] }\n',
            FROM_DATA,
        ),
        ("arm 'leave'", "departures[0].ids", "'X1'"),
    ),
]
