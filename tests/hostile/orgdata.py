"""HR data files (``organisation.source``) that wlsim refuses before anything runs."""

from __future__ import annotations

from pathlib import Path

from hostile import Case, scenario_file


def _empty_source(tmp: Path) -> list[str]:
    return ["run", str(scenario_file(tmp, '[organisation]\nsource = ""\n')), "--no-progress"]


def _empty_source_set(tmp: Path) -> list[str]:
    toml = scenario_file(tmp, "")
    return ["run", str(toml), "--set", "organisation.source=", "--no-progress"]


CASES: list[Case] = [
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
