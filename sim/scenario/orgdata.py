"""Loading a real organisation from an HR export (CSV or Parquet), validated before any run.

The format is documented in ``docs/data.md``. Every problem in the file is reported in one
message, each with the column, the rows (file line numbers: the first few and how many in
all), the offending values of those rows and the fix; nothing runs on half-valid data.

Employee ids only link employees to their managers: the roster keeps row positions, not
ids, so no id from the file reaches the model or its results.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.datafile import (
    NETWORK,
    ROSTER,
    DataError,
    file_sha256,
    id_key,
    open_file,
    read_bytes,
    read_frame,
    report,
    row_problem,
    rows_text,
    unknown_columns,
)
from sim.scenario.schema import Organisation, Scenario

REQUIRED = ("employee_id", "manager_id", "level", "team")
TENURE = ("tenure_weeks", "tenure_years")
OPTIONAL = ("engagement", "participant")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
#: Ratings and scores also read these as "no value" (ids and teams do not: "NA" is an id).
_NO_SCORE = {"", "nan", "NaN", "NA"}


@dataclass(frozen=True)
class Roster:
    """A validated starting workforce, in file order.

    Attributes:
        path: The file.
        sha256: Hash of the file's bytes (recorded with results).
        level: Level index per employee.
        manager: Row of each employee's manager, -1 for the root.
        team: Team code per employee.
        tenure_weeks: Tenure per employee.
        skill: Skill per employee and domain on 0-1, NaN where the file has no rating.
        engagement: Engagement on 0-1, NaN where missing.
        participant: 1 (takes part), 0 (does not) or NaN (unknown) per employee.
    """

    path: Path
    sha256: str
    level: np.ndarray
    manager: np.ndarray
    team: np.ndarray
    tenure_weeks: np.ndarray
    skill: np.ndarray
    engagement: np.ndarray
    participant: np.ndarray

    @property
    def n(self) -> int:
        """Number of employees."""
        return len(self.level)


def data_provenance(scenario: Scenario) -> dict[str, str] | None:
    """The data files of a scenario and their SHA-256, or None for a synthetic organisation.

    Args:
        scenario: A validated scenario.

    Returns:
        ``source`` and ``sha256`` of the roster, and, when the scenario names an advice
        network, ``network`` and ``network_sha256`` of its edge list; None without a
        roster. Recorded with results, so that ``wlsim rerun`` and ``wlsim sweep
        --resume`` notice a changed file.

    Raises:
        DataError: If a file cannot be read, or the roster is invalid.
    """
    org = scenario.organisation
    if not org.source:
        return None
    data = {"source": org.source, "sha256": load_roster(scenario).sha256}
    if org.network:
        data |= {"network": org.network, "network_sha256": file_sha256(org.network, NETWORK)}
    return data


def load_roster(scenario: Scenario) -> Roster:
    """Load and validate the organisation data file of a scenario.

    Args:
        scenario: A scenario whose ``organisation.source`` names a file (made absolute
            when the scenario file was read).

    Returns:
        The validated roster.

    Raises:
        DataError: If the file cannot be read or any check fails; one message lists
            every problem found.
    """
    return _roster_and_ids(scenario)[0]


def roster_rows(scenario: Scenario, ids: pd.Series) -> np.ndarray:
    """The row of each employee id in the roster, as other HR files name employees.

    The roster's ids stay in this module: callers get row positions, as the model does.

    Args:
        scenario: A scenario whose ``organisation.source`` names a valid roster.
        ids: Employee ids as text (as the data files are read); ``2.0`` matches ``2``.

    Returns:
        For each id, its row in the roster (0-based, in file order, the order of
        :func:`load_roster`), or -1 for an id that is not in it (or is empty).

    Raises:
        DataError: If the roster cannot be read or is invalid.
    """
    index = _roster_and_ids(scenario)[1]
    return np.asarray(index.get_indexer(id_key(ids)), dtype=np.int64)


def _roster_and_ids(scenario: Scenario) -> tuple[Roster, pd.Index]:
    path, stat = open_file(scenario.organisation.source, ROSTER)
    org = scenario.organisation
    return _load(
        str(path),
        stat.st_mtime_ns,
        stat.st_size,
        org.levels,
        org.domains,
        org.skill_scale,
        org.engagement_scale,
    )


@functools.lru_cache(maxsize=4)
def _load(
    path_text: str,
    mtime: int,
    size: int,
    levels: tuple[str, ...],
    domains: tuple[str, ...],
    skill_scale: tuple[float, float],
    engagement_scale: tuple[float, float],
) -> tuple[Roster, pd.Index]:
    # Cached by path, modification time and size: a sweep reads each file once per process.
    path = Path(path_text)
    raw = read_bytes(path, ROSTER)
    frame, rows, problems = read_frame(path, raw, ROSTER)
    n = len(frame)
    problems += _size_problems(n) + _column_problems(list(frame.columns), domains)
    has = set(frame.columns)
    manager = np.full(n, -1, dtype=np.int64)
    if {"employee_id", "manager_id"} <= has:
        manager, found = _reporting_tree(frame["employee_id"], frame["manager_id"], rows)
        problems += found
    level = np.zeros(n, dtype=np.int16)
    if "level" in has:
        level, found = _levels(frame["level"], rows, levels)
        problems += found
    team = pd.Series([""] * n, dtype=object)
    if "team" in has:
        team = id_key(frame["team"])
        problems += row_problem("team", rows, team == "", "is empty", fix="name every team")
    tenure = np.zeros(n)
    given = [c for c in TENURE if c in has]
    if len(given) == 1:
        tenure, found = _tenure(frame[given[0]], rows, given[0])
        problems += found
    skill = np.full((n, len(domains)), np.nan)
    for j, d in enumerate(domains):
        col = f"skill_{d}"
        if col in has:
            skill[:, j], found = _scaled(frame[col], rows, col, skill_scale)
            problems += found
    engagement = np.full(n, np.nan)
    if "engagement" in has:
        engagement, found = _scaled(frame["engagement"], rows, "engagement", engagement_scale)
        problems += found
    participant = np.full(n, np.nan)
    if "participant" in has:
        participant, found = _flags(frame["participant"], rows)
        problems += found
    if problems:
        raise DataError(report(path, problems, ROSTER))
    roster = Roster(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        level=level,
        manager=manager,
        team=pd.factorize(team)[0].astype(np.int64),
        tenure_weeks=tenure,
        skill=skill,
        engagement=engagement,
        participant=participant,
    )
    # Valid, so unique and none empty: the row of each id (never written anywhere).
    return roster, pd.Index(id_key(frame["employee_id"]))


# --- checks: each returns the problems it found, one line each ---------------------------


def _min_employees() -> int:
    """The fewest employees a scenario allows (the bound on organisation.n_employees)."""
    for bound in Organisation.model_fields["n_employees"].metadata:
        if getattr(bound, "ge", None) is not None:
            return int(bound.ge)
    return 1


def _size_problems(n: int) -> list[str]:
    least = _min_employees()
    if n >= least:
        return []
    have = "no employees" if n == 0 else f"{n} employee{'s' * (n > 1)}"
    return [
        f"the file has {have}; the model needs at least {least} (organisation.n_employees "
        f">= {least}); export a header line and one row per employee"
    ]


def _column_problems(columns: list[str], domains: tuple[str, ...]) -> list[str]:
    valid = [*REQUIRED, *TENURE, *OPTIONAL, *(f"skill_{d}" for d in domains)]
    problems = unknown_columns(columns, valid)
    missing = [c for c in REQUIRED if c not in columns]
    if not any(t in columns for t in TENURE):
        missing.append("tenure_weeks or tenure_years")
    if missing:
        problems.append(f"missing columns {', '.join(missing)}; see docs/data.md")
    if all(t in columns for t in TENURE):
        problems.append("give tenure_weeks or tenure_years, not both")
    return problems


def _reporting_tree(
    employee: pd.Series, manager_text: pd.Series, rows: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """The row of each employee's manager (-1 for the top), and the problems of the ids."""
    ids, mgr = id_key(employee), id_key(manager_text)
    problems = row_problem(
        "employee_id", rows, ids == "", "is empty", fix="give every employee an id"
    )
    problems += row_problem(
        "employee_id",
        rows,
        ids.duplicated(keep=False) & (ids != ""),
        "is repeated",
        employee,
        "ids must be unique",
    )
    first = ~ids.duplicated() & (ids != "")
    position = pd.Series(np.flatnonzero(first), index=ids[first].to_numpy())
    top = (mgr == "").to_numpy()
    unknown = ~mgr.isin(position.index).to_numpy() & ~top
    problems += row_problem(
        "manager_id",
        rows,
        unknown,
        "names no employee_id in the file",
        manager_text,
        "fix the id or leave it empty for the top",
    )
    own = ((mgr == ids) & ~top).to_numpy()
    problems += row_problem(
        "manager_id",
        rows,
        own,
        "is the employee's own id",
        manager_text,
        "give the id of their manager, or leave it empty for the top",
    )
    manager = position.reindex(mgr.to_numpy()).fillna(-1).to_numpy().astype(np.int64)
    manager[own] = -1
    roots = np.flatnonzero(top)
    if len(roots) != 1:
        where = rows_text(rows[roots]) if len(roots) else "none"
        problems.append(
            f"column manager_id: the reporting tree needs exactly one top (an empty "
            f"manager_id), found {len(roots)} (rows {where}); give the others a manager"
        )
    problems += _cycle_problems(rows, manager, manager_text)
    return manager, problems


def _cycle_problems(rows: np.ndarray, manager: np.ndarray, values: pd.Series) -> list[str]:
    """Everyone must reach the top by following managers; pointer jumping finds cycles."""
    jump = manager.copy()
    for _ in range(int(np.ceil(np.log2(len(manager) + 1))) + 1):
        jump = np.where(jump >= 0, jump[np.maximum(jump, 0)], -1)
    # jump is now the 2^k-th manager up, 2^k >= n: every chain that reaches the top has
    # ended (-1); the others go round a cycle.
    return row_problem(
        "manager_id",
        rows,
        jump >= 0,
        "is part of a cycle in the reporting tree (A reports to B ... reports to A)",
        values,
        "give one of them a manager outside the cycle",
    )


def _levels(
    text: pd.Series, rows: np.ndarray, levels: tuple[str, ...]
) -> tuple[np.ndarray, list[str]]:
    by_name = {name.lower(): i for i, name in enumerate(levels)}
    numeric = pd.to_numeric(text, errors="coerce")
    named = text.str.lower().map(by_name)
    value = numeric.where(numeric.notna(), named)
    bad = value.isna() | (value % 1 != 0) | (value < 0) | (value >= len(levels))
    allowed = f"0..{len(levels) - 1} or a level name ({', '.join(levels)})"
    problems = row_problem("level", rows, bad, "is not a level", text, f"allowed: {allowed}")
    return value.where(~bad, 0).to_numpy().astype(np.int16), problems


def _tenure(text: pd.Series, rows: np.ndarray, col: str) -> tuple[np.ndarray, list[str]]:
    value = pd.to_numeric(text, errors="coerce")
    bad = (value.isna() | ~np.isfinite(value) | (value < 0)).to_numpy()
    problems = row_problem(col, rows, bad, "is not a number >= 0", text)
    weeks = value.to_numpy(dtype=float)
    return (weeks * 52.0 if col == "tenure_years" else weeks), problems


def _scaled(
    text: pd.Series, rows: np.ndarray, name: str, scale: tuple[float, float]
) -> tuple[np.ndarray, list[str]]:
    """Ratings on ``scale`` mapped onto 0-1; NaN where there is no rating."""
    empty = text.isin(_NO_SCORE)
    value = pd.to_numeric(text.mask(empty), errors="coerce")
    problems = row_problem(name, rows, value.isna() & ~empty, "is not a number", text)
    low, high = scale
    out = ((value < low) | (value > high) | ~np.isfinite(value.fillna(low))) & ~empty
    problems += row_problem(
        name,
        rows,
        out,
        f"is outside the scale {low:g}-{high:g}",
        text,
        "set the scale in the scenario (skill_scale, engagement_scale)",
    )
    return scale_to_unit(value.to_numpy(dtype=float), scale), problems


def scale_to_unit(value: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """Ratings on ``scale`` as wlsim's 0-1 skill or engagement: the one mapping of HR data.

    Args:
        value: Ratings on the scale.
        scale: The scale's lowest and highest rating (``organisation.skill_scale`` or
            ``engagement_scale``).
    """
    low, high = scale
    return (value - low) / (high - low)


def unit_to_scale(value: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """The inverse of :func:`scale_to_unit`: 0-1 values as ratings on ``scale``."""
    low, high = scale
    return low + value * (high - low)


def rounding_variance(step: float, scale: tuple[float, float]) -> float:
    """Variance, on wlsim's 0-1 scale, of rounding a score to ``step`` points of ``scale``.

    Sheppard's approximation: a uniform error of one step, ``(step / width)**2 / 12``.
    """
    low, high = scale
    return (step / (high - low)) ** 2 / 12.0


def _flags(text: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    lower = text.str.lower()
    problems = row_problem(
        "participant",
        rows,
        ~lower.isin(_TRUE | _FALSE),
        "is not yes/no",
        text,
        "use 1/0, true/false or yes/no; empty means no",
    )
    return lower.isin(_TRUE).to_numpy(dtype=float), problems
