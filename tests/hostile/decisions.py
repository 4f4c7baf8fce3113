"""Decisions (``wlsim optimise``, ``wlsim pilot``, ``wlsim discover``) that wlsim refuses.

Each message names the section and field (or the folder), the value and the fix; nothing
is written: the optimisation's folder and the pilot's are made only once everything is
checked, and discover reads a sweep folder before it writes anything into it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import SCENARIOS, Case

KNOWN = SCENARIOS / "optimise" / "known_optimum.toml"
MENTORSHIP = SCENARIOS / "programmes" / "mentorship.toml"
PILOT_SMALL = ["--set", "organisation.n_employees=60", "--set", "horizon_weeks=30"]


def _optimise(body: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / "bad.toml"
        path.write_text(f'extends = "{KNOWN.as_posix()}"\nname = "bad"\n{body}', encoding="utf-8")
        return ["optimise", str(path), "--out", str(tmp / "opt"), "--no-progress"]

    return make


def _pilot(*options: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        return ["pilot", str(MENTORSHIP), *PILOT_SMALL, *options, "--out", str(tmp / "pilot")]

    return make


def _discover(folder: str, make_it: bool) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        if make_it:
            (tmp / folder).mkdir()
        return ["discover", str(tmp / folder)]

    return make


CASES: list[Case] = [
    Case(
        "optimise-misspelt-lever",
        _optimise('[optimise.levers."programmes.mentorship.n_lerners"]\nlow = 4\nhigh = 40\n'),
        ("[optimise]: levers", "'programmes.mentorship.n_lerners'", "did you mean 'n_learners'"),
    ),
    Case(
        "optimise-objective-names-no-metric",
        _optimise(
            '[[optimise.objectives]]\nmetric = "n_learners_reachd"\ndirection = "maximise"\n'
        ),
        ("objectives[0].metric = 'n_learners_reachd'", "did you mean 'n_learners_reached'"),
    ),
    Case(
        "optimise-infeasible-budget",
        _optimise('[[optimise.constraints]]\nmetric = "planned_cost_per_year"\nmax = 10\n'),
        ("the budget is infeasible", "planned_cost_per_year <= 10", "Raise the bound"),
    ),
    Case(
        "pilot-misspelt-domain",
        _pilot("--domain", "leadrship"),
        ("pilot.domain = 'leadrship'", "did you mean 'leadership'"),
    ),
    Case(
        "pilot-more-participants-than-eligible",
        _pilot("--participants", "500"),
        ("pilot.n_participants = 500", "are eligible for 'mentorship'", "enrol fewer"),
    ),
    Case(
        "pilot-volunteers-without-selection-model",
        _pilot("--enrolment", "volunteers"),
        ("enrolment = 'volunteers' needs its selection model", "selection_slope"),
    ),
    Case(
        "pilot-target-power-of-one",
        _pilot("--target-power", "1"),
        ("pilot.target_power", "less than 1"),
    ),
    Case(
        "discover-no-such-folder",
        _discover("nothere", make_it=False),
        ("SWEEP_DIR", "no such folder", "wlsim sweep wrote"),
    ),
    Case(
        "discover-not-a-sweep-folder",
        _discover("notsweep", make_it=True),
        ("not a sweep folder (no plan.parquet)", "[sweep] section"),
    ),
]
