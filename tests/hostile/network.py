"""Advice networks (``organisation.network``) that wlsim refuses before anything runs.

As for the roster (``orgdata.py``): each message must start at the edge list, name the
column, give the file's line numbers, quote the few values needed to find the row and say
the fix; every problem of a file is reported in one message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import Case, scenario_file
from hostile.orgdata import GOOD
from hostile.orgdata import HEADER as ROSTER_HEADER

HEADER = "from_id,to_id,weight"
#: The roster every edge list here names: A (the top), B reporting to A, C and D to B.
ROSTER = [ROSTER_HEADER, *GOOD]


def _bad(lines: list[str] | bytes, needles: list[str], id: str) -> tuple:
    return (id, lines, needles)


#: Bad edge lists, also checked through the Python API by tests/test_networkdata.py:
#: (name, the file's lines or bytes, words the message must contain).
BAD_NETWORK: list[tuple[str, list[str] | bytes, list[str]]] = [
    _bad(
        ["from_id,to-id,weight", "B,A,1"],
        ["unknown columns 'to-id'", "did you mean 'to_id'", "missing columns to_id"],
        id="misspelt-column",
    ),
    _bad(
        ["from_id,to_id,strength", "B,A,1"],
        ["unknown columns 'strength'", "valid columns: from_id, to_id, weight"],
        id="unknown-column",
    ),
    _bad(["to_id,weight", "A,1"], ["missing columns from_id", "who seeks advice"], id="no-from"),
    _bad(
        [HEADER, "B,A,1", "C,ZZ,1", "Q7,B,1"],
        [
            "column to_id: 1 row (3): the value names no employee_id",
            "('ZZ')",
            "column from_id: 1 row (4)",
            "('Q7')",
            "use the employee ids of organisation.source",
        ],
        id="unknown-ids",
    ),
    _bad(
        [HEADER, "B,A,1", ",A,1", "C,,1"],
        ["column from_id: 1 row (3): the value is empty", "column to_id: 1 row (4)"],
        id="empty-ids",
    ),
    _bad(
        [HEADER, "B,A,1", "C,C,1"],
        ["column to_id: 1 row (3)", "a tie to oneself", "('C')", "remove the row"],
        id="self-tie",
    ),
    _bad(
        [HEADER, "B,A,1", "C,B,0.5", "D,B,1", "C,B,0.2"],
        ["columns from_id, to_id: 2 rows (3, 5)", "('C -> B', 'C -> B')", "one row per pair"],
        id="repeated-tie",
    ),
    _bad(
        [HEADER, "B,A,1", "C,B,0", "D,B,3", "A,B,-0.5"],
        ["column weight: 3 rows (3, 4, 5)", "outside (0, 1]", "('0', '3', '-0.5')", "divide"],
        id="weight-out-of-range",
    ),
    _bad(
        [HEADER, "B,A,1", "C,B,often", "D,B,"],
        ["column weight: 2 rows (3, 4)", "not a number", "('often', '')"],
        id="weight-not-a-number",
    ),
    _bad([HEADER], ["the file has no ties", "one row per tie"], id="header-only"),
    _bad(b"", ["the file is empty", "expected a header line and ties"], id="empty-file"),
    _bad(b"from_id;to_id\nB;A\n", ["separated by semicolons"], id="wrong-delimiter"),
    _bad(b"from_id\tto_id\nB\tA\n", ["separated by tabs"], id="tab-delimiter"),
    _bad("from_id,to_id\nB,A\nC,É\n".encode("latin-1"), ["not UTF-8"], id="wrong-encoding"),
    _bad(
        [HEADER, "B,A,1", "C,B,1,extra"],
        ["1 row (3) has more fields than the header's 3"],
        id="extra-fields",
    ),
]


def _files(lines: list[str] | bytes, name: str = "advice.csv") -> Callable[[Path], str]:
    """Write the roster and an edge list; return the edge list's name."""

    def write(tmp: Path) -> str:
        (tmp / "org.csv").write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
        path = tmp / name
        if isinstance(lines, bytes):
            path.write_bytes(lines)
        else:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return name

    return write


def _folder(name: str) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        (tmp / "org.csv").write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
        (tmp / name).mkdir()
        return name

    return make


def _nowhere(tmp: Path) -> str:
    """Write the roster only; name an edge list that does not exist."""
    (tmp / "org.csv").write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
    return "nowhere.csv"


def _run(make_data: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    """`wlsim run` of a scenario with the roster and the edge list ``make_data`` writes."""

    def make(tmp: Path) -> list[str]:
        network = make_data(tmp)
        body = f'[organisation]\nsource = "org.csv"\nnetwork = "{network}"\n'
        return ["run", str(scenario_file(tmp, body)), "--replicates", "1", "--no-progress"]

    return make


def _without_source(tmp: Path) -> list[str]:
    _files([HEADER, "B,A,1"])(tmp)
    toml = scenario_file(tmp, '[organisation]\nnetwork = "advice.csv"\n')
    return ["run", str(toml), "--no-progress"]


def _empty_network(tmp: Path) -> list[str]:
    body = '[organisation]\nsource = "org.csv"\nnetwork = ""\n'
    _files([HEADER, "B,A,1"])(tmp)
    return ["run", str(scenario_file(tmp, body)), "--no-progress"]


def _empty_network_set(tmp: Path) -> list[str]:
    _files([HEADER, "B,A,1"])(tmp)
    toml = scenario_file(tmp, '[organisation]\nsource = "org.csv"\n')
    return ["run", str(toml), "--set", "organisation.network=", "--no-progress"]


CASES: list[Case] = [
    Case(
        "network-folder-named-csv",
        _run(_folder("advice.csv")),
        ("advice.csv", "is a folder, not a file", "organisation.network", "edge list itself"),
    ),
    Case(
        "network-folder-named-parquet",
        _run(_folder("advice.parquet")),
        ("advice.parquet", "is a folder, not a file", "written as one file"),
    ),
    Case(
        "network-missing-file",
        _run(_nowhere),
        ("nowhere.csv", "cannot read the advice network"),
    ),
    Case(
        "network-without-source",
        _without_source,
        ("bad.toml", "organisation.network needs organisation.source", "employee ids"),
    ),
    Case(
        "network-empty",
        _empty_network,
        ("bad.toml", "organisation.network", "is empty", "remove the key"),
    ),
    Case(
        "network-empty-set",
        _empty_network_set,
        ("organisation.network", "is empty", "remove the key"),
    ),
    Case(
        "network-every-problem-at-once",
        _run(
            _files(
                [
                    "from_id,to_id,weight,note",
                    "B,A,1,x",
                    "",
                    "C,ZZ,1,x",
                    "D,D,2,x",
                    "B,A,0.5,x",
                ]
            )
        ),
        (
            "advice.csv: 5 problems in the advice network",
            "unknown columns 'note'",
            "column to_id: 1 row (4)",
            "'ZZ'",
            "column to_id: 1 row (5)",
            "a tie to oneself",
            "columns from_id, to_id: 2 rows (2, 6)",
            "column weight: 1 row (5)",
        ),
    ),
]
CASES += [
    Case(f"network-{name}", _run(_files(lines)), ("advice.csv", *needles))
    for name, lines, needles in BAD_NETWORK
]
