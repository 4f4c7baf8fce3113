"""The hostile-input catalogue: one table of inputs wlsim must refuse clearly.

Each topic keeps its cases in a module here (``scenario.py``, ``orgdata.py``, ...), as a
list ``CASES`` of :class:`Case`; ``tests/test_hostile_inputs.py`` runs every one through
``wlsim``'s ``main`` in-process and checks the exit status, the words of the message, that
no traceback is printed and that nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
FLAGSHIP = SCENARIOS / "mentorship_vs_peer_coaching.toml"

#: Options that make any shipped scenario run in well under a second.
SMALL = [
    "--set",
    "organisation.n_employees=60",
    "--set",
    "horizon_weeks=8",
    "--replicates",
    "2",
    "--no-progress",
]


@dataclass(frozen=True)
class Case:
    """One hostile input.

    Attributes:
        id: Short name, shown by pytest.
        make: Writes the input files into the given (empty, current) folder and returns
            the arguments of ``wlsim`` that use them.
        words: Words the error message must contain (file, field, value, fix...).
        exit: The expected exit status (2: bad input; 1: cannot write or run).
    """

    id: str
    make: Callable[[Path], list[str]]
    words: tuple[str, ...]
    exit: int = 2


def scenario_file(tmp: Path, body: str, name: str = "bad.toml", extends: bool = True) -> Path:
    """Write a scenario file that (by default) extends the shipped baseline."""
    head = f'extends = "{BASELINE.as_posix()}"\nname = "bad"\n' if extends else ""
    path = tmp / name
    path.write_text(head + body, encoding="utf-8")
    return path
