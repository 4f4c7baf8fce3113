"""Loading a real organisation from an HR export (CSV or Parquet), validated before any run.

The format is documented in ``docs/data.md``. Every problem in the file is reported in one
message, each with the column, the rows (file line numbers: the first few and how many in
all), the offending values of those rows and the fix; nothing runs on half-valid data.

Employee ids only link employees to their managers: the roster keeps row positions, not
ids, so no id from the file reaches the model or its results.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, did_you_mean
from sim.files import read_text
from sim.scenario.schema import Organisation, Scenario

REQUIRED = ("employee_id", "manager_id", "level", "team")
TENURE = ("tenure_weeks", "tenure_years")
OPTIONAL = ("engagement", "participant")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
#: Ratings and scores also read these as "no value" (ids and teams do not: "NA" is an id).
_NO_SCORE = {"", "nan", "NaN", "NA"}
#: Rows (and their values) named per problem; the message says how many more there are.
_SHOWN = 5
#: Longest value quoted in a message, in characters.
_QUOTED = 40


class DataError(ScenarioError):
    """An organisation data file is invalid; the message names file, column, rows and fix."""


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
    """The data file of a scenario and its SHA-256, or None for a synthetic organisation."""
    if not scenario.organisation.source:
        return None
    return {"source": scenario.organisation.source, "sha256": load_roster(scenario).sha256}


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
    path = Path(scenario.organisation.source)
    if path.is_dir():
        raise DataError(
            f"{path}: is a folder, not a file; set organisation.source to the CSV or "
            "Parquet export itself (a Parquet dataset written as a folder must be written "
            "as one file)"
        )
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the organisation data ({exc.strerror})") from None
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
) -> Roster:
    # Cached by path, modification time and size: a sweep reads each file once per process.
    path = Path(path_text)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the organisation data ({exc.strerror})") from None
    frame, rows, problems = _read_frame(path, raw)
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
        team = _id_key(frame["team"])
        problems += _row_problem("team", rows, team == "", "is empty", fix="name every team")
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
        raise DataError(_report(path, problems))
    return Roster(
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


def _report(path: Path, problems: list[str]) -> str:
    """One message for every problem: on one line if there is one, else one line each."""
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    head = f"{path}: {len(problems)} problems in the organisation data"
    return "\n  ".join([head, *problems])


# --- reading ---------------------------------------------------------------------------


def _read_frame(path: Path, raw: bytes) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The file as text columns, where each row is in the file, and problems of its layout.

    Returns:
        Every column as stripped text ("" where empty, whole numbers stored as floats
        written as integers); for each row its line in a CSV file (the line where the
        record starts) or its position in a Parquet file (1 for the first employee); and
        the problems found while reading (repeated columns, rows with extra fields).

    Raises:
        DataError: If the file cannot be read as a table at all.
    """
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
        rows = np.arange(len(frame)) + 1
        problems: list[str] = []
    elif suffix in (".csv", ".txt"):
        frame, rows, problems = _read_csv(path, raw)
    else:
        raise DataError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")
    names = [str(c).strip() for c in frame.columns]
    first = {name: names.index(name) for name in names}
    repeated = [name for name in first if names.count(name) > 1]
    if repeated:
        problems.append(
            f"the header names {', '.join(repr(c) for c in repeated)} more than once; "
            "keep one column of each name"
        )
    columns = {name: _text(frame.iloc[:, i]) for name, i in first.items()}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame))), rows, problems


def _read_csv(path: Path, raw: bytes) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Parse a CSV export, keeping the line on which each record starts.

    Blank lines are skipped; a quoted value may span lines. A row with fewer fields than
    the header is read with empty values for the missing ones.
    """
    text = read_text(path, "export the file as UTF-8 CSV", data=raw, error=DataError)
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a header line and employees")
    header_line = text.lstrip("\r\n").splitlines()[0]
    if "," not in header_line:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in header_line:
                raise DataError(
                    f"{path}: the columns are separated by {name}, not commas; export as "
                    "comma-separated CSV"
                )
    records, lines = _records(path, text)
    header, body, starts = records[0], records[1:], np.asarray(lines[1:], dtype=np.int64)
    width = len(header)
    extra = starts[[len(r) > width for r in body]] if body else starts
    problems = []
    if len(extra):
        problems.append(
            f"{len(extra)} row{'s' * (len(extra) > 1)} ({_rows_text(extra)}) "
            f"{'have' if len(extra) > 1 else 'has'} more fields than the header's {width}; "
            'quote values that contain commas ("Smith, J.") or remove the extra fields'
        )
    padded = [r[:width] + [""] * (width - len(r)) for r in body]
    frame = pd.DataFrame(padded, columns=range(width), dtype=object)
    frame.columns = pd.Index(header)
    return frame, starts, problems


def _records(path: Path, text: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank CSV records and the line on which each starts."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if len(fields) <= 1 and not "".join(fields).strip():
                continue  # a blank line
            records.append(fields)
            lines.append(start)
    except csv.Error as exc:
        raise DataError(
            f"{path}: line {end + 1}: not valid CSV ({exc}); check the quotes of the record "
            'that starts there: a quoted value needs its closing " and a " inside one is '
            'written ""'
        ) from None
    return records, lines


def _text(col: pd.Series) -> pd.Series:
    """Every cell as stripped text: "" where empty or null, whole floats as integers.

    A Parquet export stores an id column with a gap (the top's manager) as floats or as
    nullable integers; written as ``"2"`` rather than ``"2.0"``, its ids match.
    """
    missing = col.isna().to_numpy()
    text = col.astype(str).str.strip().to_numpy(dtype=object)
    if pd.api.types.is_float_dtype(col.dtype):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(values) & (np.round(values) == values) & (np.abs(values) < 2.0**53)
        ints = np.where(whole, values, 0).astype(np.int64).astype(str)
        text = np.where(whole, ints, text)
    return pd.Series(np.where(missing, "", text), index=col.index, dtype=object)


def _id_key(text: pd.Series) -> pd.Series:
    """Ids as matched: an integer written with a zero fraction (``2.0``) counts as ``2``."""
    return text.str.replace(r"^([+-]?\d+)\.0*$", r"\1", regex=True)


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
    problems = []
    unknown = [c for c in columns if c not in valid]
    if unknown:
        parts = [f"{c!r}{did_you_mean(c, valid)}" for c in unknown]
        problems.append(f"unknown columns {', '.join(parts)}; valid columns: {', '.join(valid)}")
    missing = [c for c in REQUIRED if c not in columns]
    if not any(t in columns for t in TENURE):
        missing.append("tenure_weeks or tenure_years")
    if missing:
        problems.append(f"missing columns {', '.join(missing)}; see docs/data.md")
    if all(t in columns for t in TENURE):
        problems.append("give tenure_weeks or tenure_years, not both")
    return problems


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(r) for r in rows[:_SHOWN])
    return shown + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def _quote(values: np.ndarray) -> str:
    """The first few values, quoted; long ones cut short."""
    cut = [v if len(v) <= _QUOTED else v[: _QUOTED - 3] + "..." for v in values[:_SHOWN]]
    return ", ".join(repr(v) for v in cut)


def _row_problem(
    column: str,
    rows: np.ndarray,
    bad: np.ndarray | pd.Series,
    what: str,
    values: pd.Series | None = None,
    fix: str = "",
) -> list[str]:
    """The problem of the rows where ``bad`` holds, quoting their ``values`` if given."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return []
    where = rows[bad]
    quoted = "" if values is None else f" ({_quote(values.to_numpy(dtype=object)[bad])})"
    return [
        f"column {column}: {len(where)} row{'s' * (len(where) > 1)} ({_rows_text(where)}): "
        f"the value {what}{quoted}" + (f"; {fix}" if fix else "")
    ]


def _reporting_tree(
    employee: pd.Series, manager_text: pd.Series, rows: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """The row of each employee's manager (-1 for the top), and the problems of the ids."""
    ids, mgr = _id_key(employee), _id_key(manager_text)
    problems = _row_problem(
        "employee_id", rows, ids == "", "is empty", fix="give every employee an id"
    )
    problems += _row_problem(
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
    problems += _row_problem(
        "manager_id",
        rows,
        unknown,
        "names no employee_id in the file",
        manager_text,
        "fix the id or leave it empty for the top",
    )
    own = ((mgr == ids) & ~top).to_numpy()
    problems += _row_problem(
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
        where = _rows_text(rows[roots]) if len(roots) else "none"
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
    return _row_problem(
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
    problems = _row_problem("level", rows, bad, "is not a level", text, f"allowed: {allowed}")
    return value.where(~bad, 0).to_numpy().astype(np.int16), problems


def _tenure(text: pd.Series, rows: np.ndarray, col: str) -> tuple[np.ndarray, list[str]]:
    value = pd.to_numeric(text, errors="coerce")
    bad = (value.isna() | ~np.isfinite(value) | (value < 0)).to_numpy()
    problems = _row_problem(col, rows, bad, "is not a number >= 0", text)
    weeks = value.to_numpy(dtype=float)
    return (weeks * 52.0 if col == "tenure_years" else weeks), problems


def _scaled(
    text: pd.Series, rows: np.ndarray, name: str, scale: tuple[float, float]
) -> tuple[np.ndarray, list[str]]:
    """Ratings on ``scale`` mapped onto 0-1; NaN where there is no rating."""
    empty = text.isin(_NO_SCORE)
    value = pd.to_numeric(text.mask(empty), errors="coerce")
    problems = _row_problem(name, rows, value.isna() & ~empty, "is not a number", text)
    low, high = scale
    out = ((value < low) | (value > high) | ~np.isfinite(value.fillna(low))) & ~empty
    problems += _row_problem(
        name,
        rows,
        out,
        f"is outside the scale {low:g}-{high:g}",
        text,
        "set the scale in the scenario (skill_scale, engagement_scale)",
    )
    return ((value - low) / (high - low)).to_numpy(dtype=float), problems


def _flags(text: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    lower = text.str.lower()
    problems = _row_problem(
        "participant",
        rows,
        ~lower.isin(_TRUE | _FALSE),
        "is not yes/no",
        text,
        "use 1/0, true/false or yes/no; empty means no",
    )
    return lower.isin(_TRUE).to_numpy(dtype=float), problems
