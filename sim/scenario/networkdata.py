"""Loading an advice network from an organisational network analysis survey, validated.

The edge list (CSV or Parquet, one row per tie: ``from_id`` seeks advice from ``to_id``)
names employees by the employee ids of the roster (``organisation.source``). It is read
and checked as the roster is (:mod:`~sim.scenario.datafile`): every problem of the file in
one message, with the column, the file's line numbers, the offending values and the fix.
The format is documented in ``docs/data.md`` ("Your advice network").

Ties keep the roster's row positions, not the ids, so no id from either file reaches the
model or its results.
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
    DataError,
    id_key,
    open_file,
    read_bytes,
    read_frame,
    report,
    row_problem,
    unknown_columns,
)
from sim.scenario.orgdata import load_roster, roster_rows
from sim.scenario.schema import Scenario

REQUIRED = ("from_id", "to_id")
OPTIONAL = ("weight",)
#: The weight of a tie when the file has no weight column.
DEFAULT_WEIGHT = 1.0


@dataclass(frozen=True)
class NetworkData:
    """A validated advice network: directed ties between employees of the roster.

    Attributes:
        path: The file.
        sha256: Hash of the file's bytes (recorded with results).
        src: Per tie, the roster row (0-based, in the roster's file order, as
            :func:`~sim.scenario.orgdata.load_roster` returns employees) of the employee
            who seeks advice (``from_id``); int64.
        dst: Per tie, the roster row of the adviser (``to_id``); int64.
        weight: Per tie, its strength in (0, 1] (1 where the file has no weight column);
            float64.
    """

    path: Path
    sha256: str
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    @property
    def n_ties(self) -> int:
        """Number of ties."""
        return len(self.src)


@dataclass(frozen=True)
class _Table:
    """The edge list as read, before its ids are matched with the roster's."""

    sha256: str
    rows: np.ndarray
    columns: tuple[str, ...]
    frame: pd.DataFrame
    problems: tuple[str, ...]


def load_network(scenario: Scenario) -> NetworkData:
    """Load and validate the advice network of a scenario.

    Args:
        scenario: A scenario whose ``organisation.network`` names an edge list and whose
            ``organisation.source`` names the roster (both made absolute when the
            scenario file was read).

    Returns:
        The ties, in file order.

    Raises:
        DataError: If the scenario names no network, a file cannot be read, the roster
            is invalid or any check of the edge list fails; one message lists every
            problem of the edge list.
    """
    org = scenario.organisation
    if not org.network or not org.source:
        raise DataError(
            "no advice network to load: set organisation.network to the edge list and "
            "organisation.source to the roster whose employee ids it uses"
        )
    path, stat = open_file(org.network, NETWORK)
    load_roster(scenario)  # its own problems first: the ties are checked against it
    table = _read(str(path), stat.st_mtime_ns, stat.st_size)
    src, dst, weight, problems = _check(scenario, table)
    if problems:
        raise DataError(report(path, problems, NETWORK))
    return NetworkData(path=path, sha256=table.sha256, src=src, dst=dst, weight=weight)


@functools.lru_cache(maxsize=4)
def _read(path_text: str, mtime: int, size: int) -> _Table:
    # Cached by path, modification time and size, as the roster is: a sweep reads the
    # file once per process. Matching its ids with the roster is done per call.
    path = Path(path_text)
    raw = read_bytes(path, NETWORK)
    frame, rows, problems = read_frame(path, raw, NETWORK)
    columns = tuple(frame.columns)
    return _Table(
        sha256=hashlib.sha256(raw).hexdigest(),
        rows=rows,
        columns=columns,
        frame=frame,
        problems=(*problems, *_size_problems(len(frame)), *_column_problems(columns)),
    )


def _check(
    scenario: Scenario, table: _Table
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The ties' roster rows and weights, and every problem of the table."""
    frame, rows = table.frame, table.rows
    n = len(frame)
    problems = list(table.problems)
    src = np.full(n, -1, dtype=np.int64)
    dst = np.full(n, -1, dtype=np.int64)
    for column, out in (("from_id", src), ("to_id", dst)):
        if column in table.columns:
            out[:], found = _rows(scenario, frame[column], rows, column)
            problems += found
    if set(REQUIRED) <= set(table.columns):
        problems += _pair_problems(frame["from_id"], frame["to_id"], rows)
    weight = np.full(n, DEFAULT_WEIGHT)
    if "weight" in table.columns:
        weight, found = _weights(frame["weight"], rows)
        problems += found
    return src, dst, weight, problems


# --- checks: each returns the problems it found, one line each ---------------------------


def _size_problems(n: int) -> list[str]:
    if n > 0:
        return []
    return [
        "the file has no ties; export a header line (from_id,to_id) and one row per tie: "
        "the employee who seeks advice, then the adviser"
    ]


def _column_problems(columns: tuple[str, ...]) -> list[str]:
    valid = [*REQUIRED, *OPTIONAL]
    problems = unknown_columns(list(columns), valid)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(
            f"missing columns {', '.join(missing)}; an edge list needs from_id (who seeks "
            "advice) and to_id (the adviser); see docs/data.md"
        )
    return problems


def _rows(
    scenario: Scenario, text: pd.Series, rows: np.ndarray, column: str
) -> tuple[np.ndarray, list[str]]:
    """Each id's roster row (-1 where empty or unknown), and the problems of the ids."""
    position = roster_rows(scenario, text)
    empty = (text == "").to_numpy()
    problems = row_problem(column, rows, empty, "is empty", fix="give both employees of every tie")
    problems += row_problem(
        column,
        rows,
        (position < 0) & ~empty,
        "names no employee_id in the organisation data",
        text,
        "use the employee ids of organisation.source, or remove the ties of people not in it",
    )
    return position, problems


def _pair_problems(sender: pd.Series, adviser: pd.Series, rows: np.ndarray) -> list[str]:
    """Self-ties and ties given twice (ids matched as the roster matches them)."""
    a, b = id_key(sender), id_key(adviser)
    both = ((a != "") & (b != "")).to_numpy()
    problems = row_problem(
        "to_id",
        rows,
        ((a == b).to_numpy() & both),
        "is the from_id of the same row (a tie to oneself)",
        adviser,
        "remove the row: a tie joins two employees",
    )
    pair = pd.Series(list(zip(a, b, strict=True)), dtype=object)
    repeated = pair.duplicated(keep=False).to_numpy() & both
    shown = sender.str.cat(adviser, sep=" -> ")
    problems += row_problem(
        "from_id, to_id",
        rows,
        repeated,
        "is given more than once",
        shown,
        "keep one row per pair (from_id, to_id), with one weight",
        subject="the tie",
    )
    return problems


def _weights(text: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Tie strengths in (0, 1]; every cell of a weight column must hold one."""
    value = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    number = np.isfinite(value)
    problems = row_problem(
        "weight",
        rows,
        ~number,
        "is not a number",
        text,
        "give every tie a weight in (0, 1], or leave the column out for weight 1",
    )
    problems += row_problem(
        "weight",
        rows,
        number & ~((value > 0) & (value <= 1)),
        "is outside (0, 1]",
        text,
        "scale the weights onto (0, 1] (a 1-5 frequency: divide by 5); a pair with no "
        "tie is left out of the file",
    )
    return np.where(number, value, DEFAULT_WEIGHT), problems
