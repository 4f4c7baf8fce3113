"""Refusing up front a scenario that would need more memory than the machine has."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sim.errors import ScenarioError
from sim.scenario.schema import Scenario

#: Measured about 1 KB per employee for the model state, Mesa agents and the weekly
#: temporaries (docs/performance.md); twice that leaves room for peaks.
BYTES_PER_EMPLOYEE = 2048
BASE_BYTES = 300 * 2**20  # the interpreter, numpy, pandas, mesa


def estimate_bytes(scenario: Scenario, workers: int = 1) -> int:
    """Peak memory a run of the scenario needs, times the number of worker processes."""
    per_run = BASE_BYTES + BYTES_PER_EMPLOYEE * scenario.organisation.n_employees
    return per_run * max(workers, 1)


def available_bytes() -> int | None:
    """Memory this process may use: the cgroup limit or the physical memory."""
    limits = []
    with contextlib.suppress(ValueError, OSError):
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    return min(limits) if limits else None


def check_memory(scenario: Scenario, workers: int = 1, source: str = "<scenario>") -> None:
    """Raise if the scenario would need more memory than is available.

    Raises:
        ScenarioError: With the estimate, what is available and what to change.
    """
    need, have = estimate_bytes(scenario, workers), available_bytes()
    if have is not None and need > have:
        gib = 2**30
        raise ScenarioError(
            f"{source}: organisation.n_employees = {scenario.organisation.n_employees:,} "
            f"would need about {need / gib:.1f} GiB ({workers} worker(s) x "
            f"{BYTES_PER_EMPLOYEE} bytes per employee plus {BASE_BYTES // 2**20} MiB), "
            f"but this machine has {have / gib:.1f} GiB; use fewer employees or workers"
        )
