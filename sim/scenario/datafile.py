"""Reading an HR data file (CSV or Parquet) as text columns, and wording its problems.

Shared by the loaders of this package (:mod:`~sim.scenario.orgdata` for the roster,
:mod:`~sim.scenario.networkdata` for the advice network), so that both files are read by
one rule and their problems are reported in one style: the file, the column, the rows
(file line numbers: the first few and how many in all), the offending values of those
rows and the fix, every problem of a file in one message.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, did_you_mean
from sim.files import read_text

#: Rows (and their values) named per problem; the message says how many more there are.
SHOWN = 5
#: Longest value quoted in a message, in characters.
QUOTED = 40


class DataError(ScenarioError):
    """An organisation data file is invalid; the message names file, column, rows and fix."""


@dataclass(frozen=True)
class Kind:
    """What a data file holds, as its messages name it.

    Attributes:
        key: The scenario key that names the file, e.g. ``"organisation.source"``.
        what: What the file holds, e.g. ``"organisation data"``.
        export: What the user exports, e.g. ``"export"`` or ``"edge list"``.
        rows: What one row is, in the plural, e.g. ``"employees"``.
    """

    key: str
    what: str
    export: str
    rows: str


#: The roster: one row per employee (sim/scenario/orgdata.py).
ROSTER = Kind("organisation.source", "organisation data", "export", "employees")
#: The advice network: one row per tie (sim/scenario/networkdata.py).
NETWORK = Kind("organisation.network", "advice network", "edge list", "ties")


def open_file(value: str, kind: Kind) -> tuple[Path, os.stat_result]:
    """The data file a scenario names, and its status (for caching by modification time).

    Args:
        value: The path, as the scenario holds it (made absolute when the file was read).
        kind: What the file holds.

    Returns:
        The path and the result of ``stat`` on it.

    Raises:
        DataError: If the path is a folder or cannot be read.
    """
    path = Path(value)
    if path.is_dir():
        raise DataError(
            f"{path}: is a folder, not a file; set {kind.key} to the CSV or Parquet "
            f"{kind.export} itself (a Parquet dataset written as a folder must be written "
            "as one file)"
        )
    try:
        return path, path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {kind.what} ({exc.strerror})") from None


def read_bytes(path: Path, kind: Kind) -> bytes:
    """The bytes of a data file (hashed for provenance, then parsed).

    Raises:
        DataError: If the file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {kind.what} ({exc.strerror})") from None


def file_sha256(value: str, kind: Kind) -> str:
    """The SHA-256 of a data file's bytes (for provenance), read once per version of it.

    Raises:
        DataError: If the path is a folder or cannot be read.
    """
    path, stat = open_file(value, kind)
    return _sha256(str(path), stat.st_mtime_ns, stat.st_size, kind)


@functools.lru_cache(maxsize=8)
def _sha256(path_text: str, mtime: int, size: int, kind: Kind) -> str:
    # Cached by path, modification time and size, as the loaders are.
    return hashlib.sha256(read_bytes(Path(path_text), kind)).hexdigest()


def report(path: Path, problems: list[str], kind: Kind) -> str:
    """One message for every problem: on one line if there is one, else one line each."""
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    head = f"{path}: {len(problems)} problems in the {kind.what}"
    return "\n  ".join([head, *problems])


# --- reading ---------------------------------------------------------------------------


def read_frame(path: Path, raw: bytes, kind: Kind) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The file as text columns, where each row is in the file, and problems of its layout.

    Args:
        path: The file (for messages and its type, by suffix).
        raw: Its bytes.
        kind: What the file holds.

    Returns:
        Every column as stripped text ("" where empty, whole numbers stored as floats
        written as integers); for each row its line in a CSV file (the line where the
        record starts) or its position in a Parquet file (1 for the first row); and
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
        frame, rows, problems = _read_csv(path, raw, kind)
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


def _read_csv(path: Path, raw: bytes, kind: Kind) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Parse a CSV export, keeping the line on which each record starts.

    Blank lines are skipped; a quoted value may span lines. A row with fewer fields than
    the header is read with empty values for the missing ones.
    """
    text = read_text(path, "export the file as UTF-8 CSV", data=raw, error=DataError)
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a header line and {kind.rows}")
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
            f"{len(extra)} row{'s' * (len(extra) > 1)} ({rows_text(extra)}) "
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


def id_key(text: pd.Series) -> pd.Series:
    """Ids as matched: an integer written with a zero fraction (``2.0``) counts as ``2``.

    Only an empty cell is missing: ``NA``, ``None`` or ``nan`` are ids like any other.
    """
    return text.str.replace(r"^([+-]?\d+)\.0*$", r"\1", regex=True)


# --- wording problems: one line each -----------------------------------------------------


def unknown_columns(columns: list[str], valid: list[str]) -> list[str]:
    """The problem of the columns not in ``valid``, each with the closest valid name."""
    unknown = [c for c in columns if c not in valid]
    if not unknown:
        return []
    parts = [f"{c!r}{did_you_mean(c, valid)}" for c in unknown]
    return [f"unknown columns {', '.join(parts)}; valid columns: {', '.join(valid)}"]


def rows_text(rows: np.ndarray) -> str:
    """The first few rows, and how many more there are."""
    shown = ", ".join(str(r) for r in rows[:SHOWN])
    return shown + (f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")


def _quote(values: np.ndarray) -> str:
    """The first few values, quoted; long ones cut short."""
    cut = [v if len(v) <= QUOTED else v[: QUOTED - 3] + "..." for v in values[:SHOWN]]
    return ", ".join(repr(v) for v in cut)


def row_problem(
    column: str,
    rows: np.ndarray,
    bad: np.ndarray | pd.Series,
    what: str,
    values: pd.Series | None = None,
    fix: str = "",
    subject: str = "the value",
) -> list[str]:
    """The problem of the rows where ``bad`` holds, quoting their ``values`` if given.

    Args:
        column: The column named, e.g. ``"manager_id"`` (or ``"from_id, to_id"`` with
            ``subject`` naming what spans them).
        rows: Each row's line in the file.
        bad: Which rows have the problem.
        what: The problem, worded to follow ``subject``, e.g. ``"is empty"``.
        values: The values quoted (those of the first few bad rows).
        fix: What to do.
        subject: What ``what`` is said of.

    Returns:
        The problem as one line, or no line when no row has it.
    """
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return []
    where = rows[bad]
    quoted = "" if values is None else f" ({_quote(values.to_numpy(dtype=object)[bad])})"
    label = "columns" if ", " in column else "column"
    return [
        f"{label} {column}: {len(where)} row{'s' * (len(where) > 1)} ({rows_text(where)}): "
        f"{subject} {what}{quoted}" + (f"; {fix}" if fix else "")
    ]
