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
