"""Pilot evaluations in an organisation's history: ratings and surveys before and after.

A pilot row of the history file (``measure`` ``rating`` or ``survey``; docs/data.md,
"Pilot evaluations") says how much the mean performance rating (of one skill domain, or of
the domains each person's job uses) or engagement survey score changed between a week
before the pilot (``from_week``) and a week after it (``to_week``), for those who took
part, for those who did not, or the difference between the two, with how many people
each group had. The pilot is a programme of an arm of the scenario; who took part is
either a participants file (employee ids of the roster, ``organisation.source``) or the
scenario's own enrolment.

This module checks the pilot rows' own columns and turns them into :class:`Pilot`
records; :mod:`sim.scenario.history` checks the columns every row shares (weeks, value,
sd) and calls :func:`check_pilots`. What a pilot row's statistic is in a run
(the observation model's scores, docs/model.md 7.16) is :mod:`sim.analysis.pilots`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, did_you_mean
from sim.scenario.datafile import Kind, id_key, open_file, read_bytes, read_frame, row_problem
from sim.scenario.orgdata import load_roster, roster_rows, rounding_variance
from sim.scenario.schema import Scenario

#: The measures of a pilot row: the observation model's two instruments.
PILOT_MEASURES = ("rating", "survey")
#: Whose change a pilot row gives (``difference``: participants' minus non-participants').
GROUPS = ("participants", "nonparticipants", "difference")
#: The columns only pilot rows use.
COLUMNS = ("arm", "programme", "domain", "group", "n_participants", "n_nonparticipants",
           "participants")  # fmt: skip
#: ``domain`` of a rating row that means the domains each person's job uses.
JOB = "job"
PARTICIPANTS = Kind("participants", "pilot participants", "participants file", "participants")


@dataclass(frozen=True)
class Pilot:
    """What a pilot row measures, beyond the weeks, value and sd every row has.

    Attributes:
        arm: The arm the pilot ran in (the row's ``arm``, default the history arm).
        programme: The programme of that arm that is the pilot.
        instrument: ``rating`` (a manager's rating of skill) or ``survey`` (engagement).
        domain: Index of the rated domain; -1 for the domains each person's job uses (and
            for surveys).
        group: ``participants``, ``nonparticipants`` or ``difference``.
        n_participants: People who took part measured at both weeks (0: not given).
        n_nonparticipants: People who did not, measured at both weeks (0: not given).
        participants: Roster rows (the model's employee ids at week 0) of those who took
            part, from the participants file; ``None``: the scenario's own enrolment
            (the programme's learners in the run).
        source: The participants file ("" without one).
    """

    arm: str
    programme: str
    instrument: str
    domain: int
    group: str
    n_participants: int
    n_nonparticipants: int
    participants: tuple[int, ...] | None
    source: str

    @property
    def sizes(self) -> tuple[int, ...]:
        """The sizes of the groups the value is a mean over (two for a difference)."""
        if self.group == "participants":
            return (self.n_participants,)
        if self.group == "nonparticipants":
            return (self.n_nonparticipants,)
        return (self.n_participants, self.n_nonparticipants)


def check_pilots(
    scenario: Scenario,
    text: dict[str, pd.Series],
    pilot: np.ndarray,
    rows: np.ndarray,
    folder: Path,
) -> tuple[list[Pilot | None], list[str]]:
    """Check the pilot columns of a history and read the pilot rows' participants files.

    Args:
        scenario: The validated scenario.
        text: Every column of the history as text ("" where empty or absent).
        pilot: Which rows are pilot rows (measure ``rating`` or ``survey``).
        rows: Each row's line in the file.
        folder: The history file's folder (participants files are named relative to it).

    Returns:
        For each row its :class:`Pilot` (``None`` for other rows, and for all rows when
        there are problems), and the problems found, worded as the history's are.
    """
    problems: list[str] = []
    for column in COLUMNS:
        problems += row_problem(
            column, rows, ~pilot & (text[column] != "").to_numpy(),
            "is given for a measure other than rating or survey", text[column],
            fix="pilot columns apply to rating and survey rows only; leave it empty",
        )  # fmt: skip
    if not pilot.any():
        return [None] * len(pilot), problems
    arms = list(scenario.arms)
    default_arm = scenario.calibration.history_arm or arms[0]
    arm = text["arm"].where(text["arm"] != "", default_arm)
    known_arm = arm.isin(arms).to_numpy()
    problems += row_problem(
        "arm", rows, pilot & ~known_arm, "is not an arm of the scenario", arm,
        fix=f"use one of {', '.join(arms)}" + _hint(arm[pilot & ~known_arm], arms)
        + " (empty: calibration.history_arm)",
    )  # fmt: skip
    programme = text["programme"].copy()
    no_programmes = np.zeros(len(pilot), dtype=bool)
    ambiguous = np.zeros(len(pilot), dtype=bool)
    unknown = np.zeros(len(pilot), dtype=bool)
    allowed: list[str] = []
    for i in np.flatnonzero(pilot & known_arm).tolist():
        own = list(scenario.arms[arm.iloc[i]].programmes)
        if not own:
            no_programmes[i] = True
        elif not programme.iloc[i]:
            if len(own) == 1:
                programme.iloc[i] = own[0]
            else:
                ambiguous[i] = True
                allowed = own
        elif programme.iloc[i] not in own:
            unknown[i] = True
            allowed = own
    problems += row_problem(
        "arm", rows, no_programmes, "is an arm without programmes", arm,
        fix="a pilot is a programme: name an arm that runs it",
    )  # fmt: skip
    problems += row_problem(
        "programme", rows, ambiguous, "is empty, and the arm runs several programmes",
        fix=f"name the pilot, one of {', '.join(allowed)}", subject="the programme",
    )  # fmt: skip
    problems += row_problem(
        "programme", rows, unknown, "is not a programme of the row's arm", programme,
        fix=f"use one of {', '.join(allowed)}" + _hint(programme[unknown], allowed),
    )  # fmt: skip
    domains = list(scenario.organisation.domains)
    measure = text["measure"].str.lower()
    rating = pilot & (measure == "rating").to_numpy()
    survey = pilot & (measure == "survey").to_numpy()
    domain = text["domain"]
    bad_domain = rating & ~domain.isin([*domains, JOB]).to_numpy() & (domain != "").to_numpy()
    problems += row_problem(
        "domain", rows, bad_domain, "is not a domain of organisation.domains", domain,
        fix=f"use one of {', '.join(domains)}, or {JOB} for the domains each person's job uses"
        + _hint(domain[bad_domain], [*domains, JOB]),
    )  # fmt: skip
    problems += row_problem(
        "domain", rows, rating & (domain == "").to_numpy(), "is empty for a rating",
        fix=f"name the rated domain, one of {', '.join(domains)}, or {JOB} for the mean "
        "over the domains each person's job uses", subject="the domain",
    )  # fmt: skip
    problems += row_problem(
        "domain", rows, survey & (domain != "").to_numpy(), "is given for a survey", domain,
        fix="the engagement survey has no domain; leave it empty",
    )  # fmt: skip
    group = text["group"].str.lower()
    bad_group = pilot & ~group.isin(GROUPS).to_numpy()
    problems += row_problem(
        "group", rows, bad_group, f"is not one of {', '.join(GROUPS)}", text["group"],
        fix="say whose change the value is: participants, nonparticipants, or difference "
        "(participants' change minus non-participants')" + _hint(group[bad_group], GROUPS),
    )  # fmt: skip
    counts = {}
    for column, needed in (
        ("n_participants", group.isin(("participants", "difference")).to_numpy()),
        ("n_nonparticipants", group.isin(("nonparticipants", "difference")).to_numpy()),
    ):
        number = pd.to_numeric(text[column], errors="coerce").to_numpy(dtype=float)
        empty = (text[column] == "").to_numpy()
        whole = np.isfinite(number) & (np.round(number) == number)
        problems += row_problem(
            column, rows, pilot & ~empty & ~whole, "is not a whole number", text[column],
            fix="give the number of people in the group measured at both weeks",
        )  # fmt: skip
        problems += row_problem(
            column, rows, pilot & needed & empty, f"is empty for a {column[2:-1]} group",
            fix="give the number of people in the group measured at both weeks",
            subject=f"the {column}",
        )  # fmt: skip
        problems += row_problem(
            column, rows, pilot & whole & (number < 2), "is below 2", text[column],
            fix="a group's mean change needs at least 2 people measured at both weeks",
        )  # fmt: skip
        counts[column] = np.where(whole, number, 0).astype(int)
    if scenario.calibration.history and not scenario.observation.enabled:
        problems.append(
            "the history has rating or survey rows, but observation.enabled is false; a "
            "pilot's scores come from the observation model: set observation.enabled = true"
        )
    files, p = _participants(scenario, text["participants"], pilot, rows, folder, arm,
                             programme, counts["n_participants"])  # fmt: skip
    problems += p
    if problems:
        return [None] * len(pilot), problems
    out: list[Pilot | None] = []
    for i in range(len(pilot)):
        if not pilot[i]:
            out.append(None)
            continue
        name = text["participants"].iloc[i]
        d = domain.iloc[i]
        out.append(
            Pilot(
                arm=arm.iloc[i],
                programme=programme.iloc[i],
                instrument=measure.iloc[i],
                domain=domains.index(d) if d in domains else -1,
                group=group.iloc[i],
                n_participants=int(counts["n_participants"][i]),
                n_nonparticipants=int(counts["n_nonparticipants"][i]),
                participants=files[name][0] if name else None,
                source=str(files[name][1]) if name else "",
            )
        )
    return out, []


def default_sd(scenario: Scenario, instrument: str, n: tuple[int, ...]) -> float:
    """The uncertainty of a pilot row's value when the row gives none, in scale points.

    A person's change between two scores carries the observation model's error twice
    (docs/model.md 7.16): the rater's (or survey's) error and the rounding to whole steps
    of each score; a rater's leniency cancels, being the same at both weeks. The mean
    change of a group of ``n`` has ``sigma / sqrt(n)``, a difference of two groups
    ``sigma * sqrt(1/n1 + 1/n2)``, with ``sigma**2 = 2 * (sd_error**2 + rounding)``.
    This is the least the instrument allows: how much people's true change varies adds
    to it, so give the sd when the data have it (docs/data.md).

    Args:
        scenario: The scenario (its observation parameters and scales).
        instrument: ``rating`` or ``survey``.
        n: The group sizes the value is a mean over (one, or two for a difference).

    Returns:
        The sd of the value, in points of the instrument's scale.
    """
    obs, org = scenario.observation, scenario.organisation
    if instrument == "rating":
        scale, error, step = org.skill_scale, obs.sd_rating_error, obs.rating_step
    else:
        scale, error, step = org.engagement_scale, obs.sd_survey_error, obs.survey_step
    sigma = math.sqrt(2 * (error**2 + rounding_variance(step, scale)))
    return (scale[1] - scale[0]) * sigma * math.sqrt(sum(1 / k for k in n))


def describe(pilot: Pilot, start: int, end: int, level: str, domains: tuple[str, ...]) -> str:
    """How a pilot row reads, for messages and tables."""
    what = "survey score"
    if pilot.instrument == "rating":
        what = "rating of " + ("the job's domains" if pilot.domain < 0 else domains[pilot.domain])
    who = {
        "participants": "participants'",
        "nonparticipants": "non-participants'",
        "difference": "participants' minus non-participants'",
    }[pilot.group]
    where = f", {level}" if level else ""
    return f"pilot of {pilot.programme}: {who} change in {what}, weeks {start}-{end}{where}"


def _hint(values: pd.Series, choices: list[str] | tuple[str, ...]) -> str:
    first = next(iter(values), "")
    return did_you_mean(first, choices) if first else ""


def _participants(
    scenario: Scenario,
    names: pd.Series,
    pilot: np.ndarray,
    rows: np.ndarray,
    folder: Path,
    arm: pd.Series,
    programme: pd.Series,
    n_participants: np.ndarray,
) -> tuple[dict[str, tuple[tuple[int, ...], Path]], list[str]]:
    """Read every participants file the pilot rows name: roster rows, and problems."""
    problems: list[str] = []
    files: dict[str, tuple[tuple[int, ...], Path]] = {}
    named = pilot & (names != "").to_numpy()
    if not named.any():
        return files, problems
    org = scenario.organisation
    if not org.source:
        return files, row_problem(
            "participants", rows, named, "names employees, but the scenario has no roster",
            names, fix="name the HR export in organisation.source, or leave participants "
            "empty to use the scenario's own enrolment",
        )  # fmt: skip
    if org.dur_burn_in_weeks:
        return files, row_problem(
            "participants", rows, named, "names the roster's employees at week 0, but "
            f"organisation.dur_burn_in_weeks = {org.dur_burn_in_weeks} renumbers them", names,
            fix="set organisation.dur_burn_in_weeks = 0: the roster is the organisation "
            "when the history starts",
        )  # fmt: skip
    roster = load_roster(scenario)
    for name in dict.fromkeys(names[named]):
        here = named & (names == name).to_numpy()
        path = Path(name) if Path(name).is_absolute() else folder / name
        try:
            ids = _read_ids(path)
        except ScenarioError as exc:
            problems += row_problem(
                "participants", rows, here, f"cannot be used: {exc}", names,
                fix="name a CSV or Parquet file with an employee_id column, relative to "
                "the history file",
                subject="the participants file",
            )  # fmt: skip
            continue
        at = roster_rows(scenario, ids)
        missing = ids[at < 0]
        if len(missing):
            shown = ", ".join(repr(v) for v in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            problems += row_problem(
                "participants", rows, here,
                f"names {len(missing)} employee ids not in organisation.source "
                f"({shown}{more})", names,
                fix="list ids from the roster's employee_id column (the workforce when the "
                "history starts)", subject="the participants file",
            )  # fmt: skip
            continue
        repeated = ids[ids.duplicated()]
        if len(repeated):
            problems += row_problem(
                "participants", rows, here,
                f"names employees more than once ({', '.join(map(repr, repeated[:5]))})",
                names, fix="list each participant once", subject="the participants file",
            )  # fmt: skip
            continue
        people = np.sort(at)
        problems += _against_roster(roster, people, here, rows, names, arm, programme,
                                    scenario)  # fmt: skip
        problems += row_problem(
            "n_participants", rows, here & (n_participants > len(people)),
            f"is above the {len(people)} employees the participants file lists",
            pd.Series(n_participants.astype(str)),
            fix="the participants measured at both weeks are some of those listed",
        )  # fmt: skip
        files[name] = (tuple(int(r) for r in people), path)
    for a in dict.fromkeys(arm[named]):
        used = set(names[named & (arm == a).to_numpy()])
        if len(used) > 1:
            problems += row_problem(
                "participants", rows, named & (arm == a).to_numpy(),
                f"differ between rows of arm {a!r}", names,
                fix="an arm's programmes enrol one set of people (the participants file "
                "fixes who enrols, as the roster's participant column does): name one file "
                "for all of the arm's pilot rows", subject="the participants files",
            )  # fmt: skip
    return files, problems


def _read_ids(path: Path) -> pd.Series:
    """The employee ids a participants file lists, as text."""
    path, _ = open_file(str(path), PARTICIPANTS)
    frame, _, problems = read_frame(path, read_bytes(path, PARTICIPANTS), PARTICIPANTS)
    if "employee_id" not in frame.columns:
        raise ScenarioError(f"{path.name} has no employee_id column")
    if problems:
        raise ScenarioError(f"{path.name}: {problems[0]}")
    ids = id_key(frame["employee_id"])
    ids = ids[ids != ""]
    if len(ids) < 2:
        raise ScenarioError(f"{path.name} lists fewer than 2 employees")
    return ids.reset_index(drop=True)


def _against_roster(
    roster, people: np.ndarray, here: np.ndarray, rows: np.ndarray, names: pd.Series,
    arm: pd.Series, programme: pd.Series, scenario: Scenario,
) -> list[str]:  # fmt: skip
    """A roster that fixes enrolment too, or participants the pilot takes at no level."""
    from sim.scenario.loading import arm_scenario

    problems: list[str] = []
    if not np.isnan(roster.participant).all():
        problems += row_problem(
            "participants", rows, here,
            "fixes who enrols, and so does the roster's participant column", names,
            fix="give one: drop the column from the roster, or leave participants empty to "
            "take the roster's participants (the scenario's own enrolment)",
            subject="the participants file",
        )  # fmt: skip
    for i in np.flatnonzero(here):
        a, name = arm.iloc[i], programme.iloc[i]
        levels = arm_scenario(scenario, a).programmes[name].learner_levels
        outside = int((~np.isin(roster.level[people], levels)).sum())
        if outside:
            problems += row_problem(
                "participants", rows, np.arange(len(here)) == i,
                f"lists {outside} employees at levels programme {name!r} does not take as "
                f"learners (learner_levels = {list(levels)})", names,
                fix="list the pilot's learners only, or widen the programme's learner_levels",
                subject="the participants file",
            )  # fmt: skip
    return problems
