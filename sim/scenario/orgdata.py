"""Loading a real organisation from an HR export (CSV or Parquet), validated before any run.

The format is documented in ``docs/data.md``. Every problem is reported with the file,
the column, the rows (the first few and how many in all) and the fix; nothing runs on
half-valid data.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, did_you_mean
from sim.files import read_text
from sim.scenario.schema import Scenario

REQUIRED = ("employee_id", "manager_id", "level", "team")
TENURE = ("tenure_weeks", "tenure_years")
OPTIONAL = ("engagement", "participant")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


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
        DataError: If the file cannot be read or any check fails.
    """
    path = Path(scenario.organisation.source)
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
    raw = path.read_bytes()
    frame = _read_frame(path, raw)
    if frame.empty:
        raise DataError(
            f"{path}: the file has no employees (a header and at least two rows needed)"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_columns(path, frame, domains)
    rows = np.arange(len(frame)) + 2  # file line numbers: header is line 1
    ids = frame["employee_id"].astype(str).str.strip()
    _fail_rows(path, "employee_id", rows, ids == "", "is empty; give every employee an id")
    _fail_rows(
        path,
        "employee_id",
        rows,
        ids.duplicated(keep=False).to_numpy(),
        "is repeated; ids must be unique",
    )
    mgr = frame["manager_id"].fillna("").astype(str).str.strip()
    mgr = mgr.mask(mgr.str.lower().isin(["nan", "none"]), "")
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    known = mgr.isin(position.index) | (mgr == "")
    _fail_rows(
        path,
        "manager_id",
        rows,
        ~known.to_numpy(),
        "names no employee_id in the file; fix the id or leave it empty for the top",
    )
    roots = np.flatnonzero((mgr == "").to_numpy())
    if len(roots) != 1:
        where = _rows_text(rows[roots]) if len(roots) else "none"
        raise DataError(
            f"{path}: column manager_id: the reporting tree needs exactly one top (an empty "
            f"manager_id), found {len(roots)} (rows {where}); give the others a manager"
        )
    manager = np.where(
        mgr == "", -1, position.reindex(mgr.to_numpy()).fillna(-1).to_numpy()
    ).astype(np.int64)
    _fail_rows(
        path, "manager_id", rows, manager == np.arange(len(manager)), "is the employee's own id"
    )
    _check_cycles(path, rows, manager)
    level = _levels(path, frame["level"], rows, levels)
    team = frame["team"].fillna("").astype(str).str.strip()
    _fail_rows(path, "team", rows, (team == "").to_numpy(), "is empty; name every team")
    tenure = _tenure(path, frame, rows)
    skill = np.full((len(frame), len(domains)), np.nan)
    for j, d in enumerate(domains):
        col = f"skill_{d}"
        if col in frame:
            skill[:, j] = _scaled(path, frame[col], rows, col, skill_scale, allow_missing=True)
    engagement = (
        _scaled(path, frame["engagement"], rows, "engagement", engagement_scale, allow_missing=True)
        if "engagement" in frame
        else np.full(len(frame), np.nan)
    )
    participant = (
        _flags(path, frame["participant"], rows)
        if "participant" in frame
        else np.full(len(frame), np.nan)
    )
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


def _read_frame(path: Path, raw: bytes) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if suffix not in (".csv", ".txt"):
        raise DataError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")
    text = read_text(path, "export the file as UTF-8 CSV", data=raw, error=DataError)
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a header line and employees")
    header = text.splitlines()[0]
    if "," not in header:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in header:
                raise DataError(
                    f"{path}: the columns are separated by {name}, not commas; export as "
                    "comma-separated CSV"
                )
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a valid CSV file ({exc})") from None


def _check_columns(path: Path, frame: pd.DataFrame, domains: tuple[str, ...]) -> None:
    valid = [*REQUIRED, *TENURE, *OPTIONAL, *(f"skill_{d}" for d in domains)]
    unknown = [c for c in frame.columns if c not in valid]
    if unknown:
        parts = [f"{c!r}{did_you_mean(c, valid)}" for c in unknown]
        raise DataError(
            f"{path}: unknown columns {', '.join(parts)}; valid columns: {', '.join(valid)}"
        )
    missing = [c for c in REQUIRED if c not in frame.columns]
    if not any(t in frame.columns for t in TENURE):
        missing.append("tenure_weeks or tenure_years")
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}; see docs/data.md")
    if all(t in frame.columns for t in TENURE):
        raise DataError(f"{path}: give tenure_weeks or tenure_years, not both")


def _rows_text(rows: np.ndarray, first: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:first])
    return shown + (f" and {len(rows) - first} more" if len(rows) > first else "")


def _fail_rows(path: Path, column: str, rows: np.ndarray, bad: np.ndarray, what: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        where = rows[bad]
        raise DataError(
            f"{path}: column {column}: {len(where)} row{'s' * (len(where) > 1)} "
            f"({_rows_text(where)}): the value {what}"
        )


def _check_cycles(path: Path, rows: np.ndarray, manager: np.ndarray) -> None:
    """Everyone must reach the top by following managers; pointer jumping finds cycles."""
    jump = manager.copy()
    for _ in range(int(np.ceil(np.log2(len(manager) + 1))) + 1):
        jump = np.where(jump >= 0, jump[np.maximum(jump, 0)], -1)
    # jump is now the 2^k-th manager up, 2^k >= n: every chain that reaches the top has
    # ended (-1); the others go round a cycle.
    _fail_rows(
        path,
        "manager_id",
        rows,
        jump >= 0,
        "is part of a cycle in the reporting tree (A reports to B ... reports to A)",
    )


def _levels(path: Path, col: pd.Series, rows: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
    text = col.astype(str).str.strip()
    by_name = {name.lower(): i for i, name in enumerate(levels)}
    numeric = pd.to_numeric(text, errors="coerce")
    named = text.str.lower().map(by_name)
    value = numeric.where(numeric.notna(), named)
    bad = value.isna() | (value % 1 != 0) | (value < 0) | (value >= len(levels))
    allowed = f"0..{len(levels) - 1} or a level name ({', '.join(levels)})"
    _fail_rows(path, "level", rows, bad.to_numpy(), f"is not a level; allowed: {allowed}")
    return value.to_numpy().astype(np.int16)


def _tenure(path: Path, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    col = "tenure_weeks" if "tenure_weeks" in frame else "tenure_years"
    value = pd.to_numeric(frame[col].astype(str).str.strip(), errors="coerce")
    _fail_rows(
        path,
        col,
        rows,
        (value.isna() | ~np.isfinite(value) | (value < 0)).to_numpy(),
        "is not a number >= 0",
    )
    weeks = value.to_numpy(dtype=float)
    return weeks * 52.0 if col == "tenure_years" else weeks


def _scaled(
    path: Path,
    col: pd.Series,
    rows: np.ndarray,
    name: str,
    scale: tuple[float, float],
    allow_missing: bool,
) -> np.ndarray:
    text = col.astype(str).str.strip()
    empty = text.isin(["", "nan", "NaN", "NA"])
    value = pd.to_numeric(text.mask(empty), errors="coerce")
    _fail_rows(path, name, rows, (value.isna() & ~empty).to_numpy(), "is not a number")
    low, high = scale
    out = (value < low) | (value > high) | ~np.isfinite(value.fillna(low))
    _fail_rows(
        path,
        name,
        rows,
        out.to_numpy() & ~empty.to_numpy(),
        f"is outside the scale {low:g}-{high:g} (set the scale in the scenario)",
    )
    return ((value - low) / (high - low)).to_numpy(dtype=float)


def _flags(path: Path, col: pd.Series, rows: np.ndarray) -> np.ndarray:
    text = col.astype(str).str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    _fail_rows(
        path,
        "participant",
        rows,
        bad.to_numpy(),
        "is not yes/no (use 1/0, true/false or yes/no; empty means no)",
    )
    return text.isin(_TRUE).to_numpy(dtype=float)
