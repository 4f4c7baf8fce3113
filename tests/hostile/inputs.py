"""Names, nesting and results folders that wlsim refuses before anything runs.

Arm, programme and scenario names become file names (run ids ``p00000-r0000-<arm>``,
results folders), so a name with ``/`` or ``..``, or one too long for a file name, is
refused when the scenario is loaded, for ``run``, ``sweep`` and ``validate`` alike.
Arrays, tables and ``extends`` chains nested deeper than any scenario needs are refused
before Python runs out of stack. ``rerun`` refuses a damaged or incomplete results folder,
and an existing output folder, before it re-runs anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile import BASELINE, FLAGSHIP, SCENARIOS, SMALL, Case, scenario_file

GRID = SCENARIOS / "sweeps" / "capacity_grid.toml"

Body = Callable[[Path], Path]


def _every_command(make: Body, words: list[str], id: str) -> list[Case]:
    """The case for `wlsim run`, `wlsim sweep` and `wlsim validate` of the same bad file."""

    def path(tmp: Path) -> str:
        return str(make(tmp))

    return [
        Case(f"run-{id}", lambda tmp: ["run", path(tmp), "--no-progress"], tuple(words)),
        Case(f"sweep-{id}", lambda tmp: ["sweep", path(tmp), "--no-progress"], tuple(words)),
        Case(f"validate-{id}", lambda tmp: ["validate", path(tmp)], tuple(words)),
    ]


def _grid(body: str) -> Body:
    """A sweep scenario (the shipped grid) with ``body`` added."""
    return lambda tmp: scenario_file(
        tmp, f'extends = "{GRID.as_posix()}"\nname = "bad"\n{body}', extends=False
    )


def _file(body: str) -> Body:
    return lambda tmp: scenario_file(tmp, body)


def _chain(n: int) -> Body:
    """n files, each extending the next."""

    def make(tmp: Path) -> Path:
        for i in range(n):
            (tmp / f"e{i}.toml").write_text(f'extends = "e{i + 1}.toml"\nname = "e{i}"\n')
        (tmp / f"e{n}.toml").write_text(f'name = "e{n}"\n')
        return tmp / "e0.toml"

    return make


_LONG = "a" * 300

_NAME_CASES = [
    _every_command(
        _grid('[arms."team/a"]\n'),
        ["bad.toml", "arms: arm name 'team/a'", "only letters, digits", "e.g. 'team_a'"],
        id="arm-name-with-slash",
    ),
    _every_command(
        _grid('[arms."../escape"]\n'),
        ["bad.toml", "arm name '../escape'", "file names", "e.g. 'escape'"],
        id="arm-name-with-dot-dot",
    ),
    _every_command(
        _grid('[arms."v1..v2"]\n'),
        ["arm name 'v1..v2'", "may not contain '..'", "e.g. 'v1_v2'"],
        id="arm-name-with-inner-dot-dot",
    ),
    _every_command(
        _grid(f"[arms.{_LONG}]\n"),
        ["arm name 'aaaa", "300 characters long; at most 64 are allowed", "rename it"],
        id="arm-name-too-long",
    ),
    _every_command(
        _file('[programmes."m/1"]\nkind = "mentorship"\n[arms.t]\nprogrammes = ["m/1"]\n'),
        ["programmes: programme name 'm/1'", "e.g. 'm_1'", "every arm's programmes"],
        id="programme-name-with-slash",
    ),
    _every_command(
        lambda tmp: scenario_file(tmp, f'name = "{"n" * 65}"\n', extends=False),
        ["name = 'nnnn", "65 characters long", "results folder"],
        id="scenario-name-too-long",
    ),
    [
        Case(
            "option-set-arm-name-with-slash",
            lambda tmp: ["run", str(FLAGSHIP), *SMALL, "--set", "arms.x/y.description=z"],
            ("arm name 'x/y' (from --set arms.x/y.description=z)", "e.g. 'x_y'"),
        )
    ],
]


def _nested(n: int) -> str:
    return "[" * n + "]" * n


_DEPTH_CASES = [
    _every_command(
        _file(f"description = {_nested(3000)}\n"),
        ["bad.toml", "nested too deeply to read", "check the brackets"],
        id="array-nested-3000-deep",
    ),
    _every_command(
        _file(f"description = {_nested(40)}\n"),
        ["bad.toml: description[0][0]", "nested more than 32 levels", "check the brackets"],
        id="array-nested-40-deep",
    ),
    _every_command(
        _file("description = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"),
        ["bad.toml", "nested too deeply to read"],
        id="inline-table-nested-3000-deep",
    ),
    _every_command(
        _file("[" + ".".join(["t"] * 3000) + "]\nx = 1\n"),
        ["bad.toml: t.t.t", "nested more than 32 levels"],
        id="table-header-3000-deep",
    ),
    _every_command(
        _file('[arms.t]\noverrides = { "' + ".".join(["a"] * 3000) + '" = 1 }\n'),
        ["bad.toml: arms.t.overrides.a.a", "nested more than 32 levels"],
        id="dotted-override-3000-deep",
    ),
    _every_command(
        _chain(1200),
        ["e32.toml: extends = 'e33.toml'", "e0.toml", "longer than 32 files", "closer to the base"],
        id="extends-chain-1200-deep",
    ),
    [
        Case(
            "option-set-value-nested-3000-deep",
            lambda tmp: ["run", str(FLAGSHIP), *SMALL, "--set", f"description={_nested(3000)}"],
            ("--set 'description=[[[", "nested more than 32 levels", "check the brackets"),
        ),
        Case(
            "option-set-path-3000-parts",
            lambda tmp: ["run", str(FLAGSHIP), *SMALL, "--set", "a." * 3000 + "b=1"],
            ("--set 'a.a.a", "the path has 3001 parts; at most 32"),
        ),
    ],
]


def _results(tmp: Path, skip: tuple[str, ...] = (), **files: bytes | str) -> Path:
    """A results folder as `wlsim run` writes one, with small stand-ins for the tables."""
    folder = tmp / "res"
    folder.mkdir()
    contents: dict[str, bytes | str] = {
        "metadata.json": '{"arms": ["no_programme"]}',
        # A resolved scenario is a complete one; the baseline needs no parent.
        "scenario.resolved.toml": BASELINE.read_text(),
        "timeseries.parquet": b"PAR1",
        "summary.csv": "arm\n",
        **files,
    }
    for name, data in contents.items():
        if name in skip:
            continue
        target = folder / name
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data)
    return folder


def _rerun(
    id: str,
    words: list[str],
    skip: tuple[str, ...] = (),
    extra: Callable[[Path], list[str]] = lambda tmp: [],
    **files: bytes | str,
) -> list[Case]:
    def make(tmp: Path) -> list[str]:
        folder = _results(tmp, skip, **files)
        return ["rerun", str(folder), "--no-progress", *extra(tmp)]

    return [Case(f"rerun-{id}", make, tuple(words))]


def _existing(tmp: Path) -> list[str]:
    (tmp / "res-rerun").mkdir()
    return []


def _existing_out(tmp: Path) -> list[str]:
    (tmp / "elsewhere").mkdir()
    return ["--out", str(tmp / "elsewhere")]


_DAMAGED = ["res/metadata.json", "the results folder is damaged"]

_RERUN_CASES = [
    _rerun(
        "metadata-not-json",
        [*_DAMAGED, "not valid JSON", "line 1, column 25"],
        **{"metadata.json": '{"arms": ["no_programme"'},
    ),
    _rerun(
        "metadata-empty",
        [*_DAMAGED, "not valid JSON", "line 1, column 1"],
        **{"metadata.json": ""},
    ),
    _rerun(
        "metadata-not-an-object",
        [*_DAMAGED, "expected a JSON object", "found an array"],
        **{"metadata.json": '["no_programme"]'},
    ),
    _rerun(
        "metadata-not-utf8",
        [*_DAMAGED, "not UTF-8 text (byte 7)"],
        **{"metadata.json": b'{"x": "\xe9"}'},
    ),
    _rerun(
        "metadata-arms-not-a-list",
        [*_DAMAGED, 'arms = "no_programme"', "expected a list of arm names"],
        **{"metadata.json": '{"arms": "no_programme"}'},
    ),
    _rerun(
        "metadata-unknown-arm",
        [*_DAMAGED, "['gone'] not in the folder's scenario.resolved.toml"],
        **{"metadata.json": '{"arms": ["gone"]}'},
    ),
    _rerun(
        "resolved-scenario-not-toml",
        [
            "res/scenario.resolved.toml: TOML syntax error",
            "the results folder's scenario cannot be read",
            "wlsim run",
        ],
        **{"scenario.resolved.toml": "name = = 3\n"},
    ),
    _rerun(
        "resolved-scenario-not-utf8",
        ["res/scenario.resolved.toml: not UTF-8 text", "cannot be read"],
        **{"scenario.resolved.toml": b'name = "caf\xe9"\n'},
    ),
    _rerun(
        "no-timeseries-to-compare",
        ["res: not a complete results folder: no timeseries.parquet", "wlsim run"],
        skip=("timeseries.parquet",),
    ),
    _rerun(
        "no-summary-to-compare",
        ["res: not a complete results folder: no summary.csv", "wlsim run"],
        skip=("summary.csv",),
    ),
    _rerun(
        "nothing-to-compare",
        ["no timeseries.parquet, summary.csv"],
        skip=("timeseries.parquet", "summary.csv"),
    ),
    _rerun(
        "output-exists",
        ["--out", "res-rerun: the results folder already exists", "--overwrite"],
        extra=_existing,
    ),
    _rerun(
        "given-output-exists",
        ["--out", "elsewhere: the results folder already exists", "--overwrite"],
        extra=_existing_out,
    ),
]


CASES: list[Case] = [
    case for cases in (*_NAME_CASES, *_DEPTH_CASES, *_RERUN_CASES) for case in cases
]
