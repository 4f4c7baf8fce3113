"""HR data files (``organisation.source``) that wlsim refuses before anything runs.

Each message must start at the data file, name the column, give the file's line numbers,
quote the few values needed to find the row and say the fix; every problem of a file is
reported in one message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import Case, scenario_file

HEADER = "employee_id,manager_id,level,team,tenure_years"


def _bad(lines: list[str] | bytes, needles: list[str], id: str) -> tuple:
    return (id, lines, needles)


GOOD = [
    "A,,4,board,10",
    "B,A,2,sales,3",
    "C,B,0,sales,1.5",
    "D,B,1,sales,0.5",
]

#: Bad data files, also checked through the Python API by tests/test_orgdata.py:
#: (name, the file's lines or bytes, words the message must contain).
BAD_DATA: list[tuple[str, list[str] | bytes, list[str]]] = [
    _bad(
        ["employee_id,manager,level,team,tenure_years", "A,,1,t,1"],
        ["unknown columns 'manager'", "did you mean 'manager_id'"],
        id="misspelt-column",
    ),
    _bad(
        ["employee_id,manager_id,level,tenure_years", "A,,1,1"],
        ["missing columns team"],
        id="missing-column",
    ),
    _bad(
        [HEADER, *GOOD, "C,A,0,x,1", "C,A,0,x,1"],
        ["column employee_id", "3 rows (4, 6, 7)", "repeated"],
        id="duplicate-ids",
    ),
    _bad(
        [HEADER, *GOOD, "E,ZZ,0,x,1"],
        ["column manager_id", "row (6)", "names no employee_id"],
        id="unknown-manager",
    ),
    _bad([HEADER, "A,,4,b,1", "B,C,2,b,1", "C,B,2,b,1"], ["cycle", "rows (3, 4)"], id="cycle"),
    _bad(
        [HEADER, "A,,4,b,1", "B,,4,b,1", "C,A,0,b,1"],
        ["exactly one top", "found 2", "rows 2, 3"],
        id="several-roots",
    ),
    _bad(
        [HEADER, *GOOD, "E,A,7,x,1", "F,A,boss,x,1"],
        ["column level", "2 rows (6, 7)", "allowed: 0..4"],
        id="level-out-of-range",
    ),
    _bad(
        [HEADER + ",skill_digital", "A,,4,b,1,5", "B,A,2,b,1,9", "C,B,0,b,1,high"],
        ["column skill_digital", "row (4)", "not a number"],
        id="non-numeric-rating",
    ),
    _bad(
        [HEADER + ",skill_digital", "A,,4,b,1,5", "B,A,2,b,1,9", "C,B,0,b,1,3"],
        ["column skill_digital", "row (3)", "outside the scale 1-5"],
        id="out-of-scale",
    ),
    _bad(
        [HEADER, "A,,4,b,-2", "B,A,2,b,x"],
        ["column tenure_years", "2 rows (2, 3)"],
        id="bad-tenure",
    ),
    _bad(
        [HEADER + ",participant", "A,,4,b,1,maybe", "B,A,2,b,1,yes"],
        ["column participant", "row (2)"],
        id="bad-participant",
    ),
    _bad([HEADER], ["no employees"], id="header-only"),
    _bad(b"", ["the file is empty"], id="empty-file"),
    _bad(
        b"employee_id;manager_id;level;team;tenure_years\nA;;4;b;1\n",
        ["separated by semicolons"],
        id="wrong-delimiter",
    ),
    _bad(
        "employee_id,manager_id,level,team,tenure_years\nA,,4,Équipe,1\n".encode("latin-1"),
        ["not UTF-8"],
        id="wrong-encoding",
    ),
]


def _data(lines: list[str] | bytes) -> Callable[[Path], str]:
    def write(tmp: Path) -> str:
        path = tmp / "org.csv"
        if isinstance(lines, bytes):
            path.write_bytes(lines)
        else:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return "org.csv"

    return write


def _run(make_data: Callable[[Path], str], body: str = "") -> Callable[[Path], list[str]]:
    """`wlsim run` of a scenario whose organisation comes from the data ``make_data`` writes."""

    def make(tmp: Path) -> list[str]:
        source = make_data(tmp)
        toml = scenario_file(tmp, f'[organisation]\nsource = "{source}"\n{body}')
        return ["run", str(toml), "--replicates", "1", "--no-progress"]

    return make


def _csv(*lines: str, name: str = "org.csv") -> Callable[[Path], str]:
    def write(tmp: Path) -> str:
        (tmp / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return name

    return write


def _folder(name: str) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        (tmp / name).mkdir()
        return name

    return make


def _empty_source(tmp: Path) -> list[str]:
    return ["run", str(scenario_file(tmp, '[organisation]\nsource = ""\n')), "--no-progress"]


def _empty_source_set(tmp: Path) -> list[str]:
    toml = scenario_file(tmp, "")
    return ["run", str(toml), "--set", "organisation.source=", "--no-progress"]


CASES: list[Case] = [
    Case(
        "data-folder-named-csv",
        _run(_folder("org.csv")),
        ("org.csv", "is a folder, not a file", "CSV or Parquet export itself"),
    ),
    Case(
        "data-folder-named-parquet",
        _run(_folder("org.parquet")),
        ("org.parquet", "is a folder, not a file", "written as one file"),
    ),
    Case(
        "data-one-employee",
        _run(_csv(HEADER, "A,,4,board,10")),
        ("org.csv", "the file has 1 employee", "at least 2", "organisation.n_employees >= 2"),
    ),
    Case(
        "data-unknown-manager-quoted",
        _run(_csv(HEADER, "A,,4,b,1", "B,A,0,b,1", "C,ZZ-17,0,b,1")),
        ("org.csv", "column manager_id", "row (4)", "'ZZ-17'", "leave it empty for the top"),
    ),
    Case(
        "data-every-problem-at-once",
        _run(
            _csv(
                HEADER,
                'A,,4,"board',
                'of directors",10',
                "",
                "B,A,9,b,1",
                "C,ZZ,0,b,x",
            )
        ),
        (
            "org.csv: 3 problems",
            "column level: 1 row (5)",
            "'9'",
            "column manager_id: 1 row (6)",
            "'ZZ'",
            "column tenure_years: 1 row (6)",
            "'x'",
        ),
    ),
    Case(
        "data-extra-fields",
        _run(_csv(HEADER, "A,,4,b,1", "B,A,0,Smith, J.,1")),
        ("org.csv", "row (3)", "more fields than the header's 5", "quote values"),
    ),
    Case(
        "data-unclosed-quote",
        _run(_csv(HEADER, "A,,4,b,1", 'B,A,0,"sales,1', "C,A,0,b,1")),
        ("org.csv", "line 3", "not valid CSV", 'closing "'),
    ),
    Case(
        "data-source-empty",
        _empty_source,
        ("bad.toml", "organisation.source", "is empty", "remove the key"),
    ),
    Case(
        "data-source-empty-set",
        _empty_source_set,
        ("organisation.source", "is empty", "remove the key"),
    ),
]
CASES += [
    Case(f"data-{name}", _run(_data(lines)), ("org.csv", *needles))
    for name, lines, needles in BAD_DATA
]
