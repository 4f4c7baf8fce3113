"""Shared fixture: a writer for scenario files that extend the real baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario file into ``tmp_path``; by default it extends the real baseline.

    Call it as ``write_scenario(body, name="bad.toml", extends=True)``; ``body`` is TOML
    text placed after ``extends = ".../baseline.toml"`` and ``name = "bad"``.
    """

    def write(body: str = "", name: str = "bad.toml", extends: bool = True) -> Path:
        head = f'extends = "{BASELINE.as_posix()}"\nname = "bad"\n' if extends else ""
        path = tmp_path / name
        path.write_text(head + body, encoding="utf-8")
        return path

    return write
