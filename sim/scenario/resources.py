"""Refusing up front a scenario that would need more memory than the machine has."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal

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


#: Replicates advanced together at most (docs/performance.md, "Replicates in batches"):
#: larger batches lose more to the cache than they save. ``WLSIM_MAX_BATCH`` overrides it
#: (1 runs every replicate on its own).
MAX_BATCH = 8
#: Positions of all replicates of a batch together at most: a batch whose arrays outgrow
#: the processor's cache loses what it saves (measured: batches help at 200 employees,
#: not at 1,000; docs/performance.md).
MAX_BATCH_POSITIONS = 2000


def max_batch() -> int:
    """:data:`MAX_BATCH`, or the ``WLSIM_MAX_BATCH`` environment variable if set.

    Raises:
        ScenarioError: If the variable is not a whole number of at least 1.
    """
    value = os.environ.get("WLSIM_MAX_BATCH", "").strip()
    if not value:
        return MAX_BATCH
    if not value.isdigit() or int(value) < 1:
        raise ScenarioError(
            f"WLSIM_MAX_BATCH={value!r}: must be a whole number of replicates, at least 1"
        )
    return int(value)


def batch_size(
    scenario: Scenario,
    n_runs: int,
    workers: int = 1,
    available: int | Literal["now"] | None = "now",
) -> int:
    """How many replicates of an arm to advance together (:class:`ReplicateBatch`).

    As many as share the work evenly among the workers, at most :func:`max_batch` and
    :data:`MAX_BATCH_POSITIONS` positions in all, and no more than a quarter of the
    memory available now holds (per worker).

    Args:
        scenario: The scenario (its organisation's size).
        n_runs: Replicates of the arm still to run.
        workers: Worker processes running batches at once.
        available: Memory available in bytes (None: unknown); by default read now (a
            caller sizing many batches reads it once).
    """
    workers = max(workers, 1)
    by_cache = MAX_BATCH_POSITIONS // max(scenario.organisation.n_employees, 1)
    size = min(max_batch(), by_cache, -(-n_runs // workers))
    have = available_bytes() if available == "now" else available
    if have is not None:
        per_run = BYTES_PER_EMPLOYEE * max(scenario.organisation.n_employees, 1)
        size = min(size, have // 4 // workers // per_run)
    return max(int(size), 1)


def available_bytes() -> int | None:
    """Memory a new run can still use: what the system and this cgroup have free.

    The system's share is ``MemAvailable`` (free memory plus what the kernel can reclaim),
    not the physical total, so a machine already half in use counts as half as large;
    under a cgroup limit, the limit less the cgroup's current use counts too.
    """
    limits = []
    meminfo = _meminfo()
    if "MemAvailable" in meminfo:
        limits.append(meminfo["MemAvailable"])
    else:  # no /proc/meminfo (not Linux): the physical memory
        with contextlib.suppress(ValueError, OSError, AttributeError):
            limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    for limit_path, usage_path in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        limit, usage = _read_int(limit_path), _read_int(usage_path)
        if limit is not None:
            limits.append(max(limit - (usage or 0), 0))
    return min(limits) if limits else None


def _meminfo() -> dict[str, int]:
    """``/proc/meminfo`` in bytes, by field; empty where it does not exist."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, rest = line.partition(":")
            fields = rest.split()
            if fields and fields[0].isdigit():
                out[name] = int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
    return out


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


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
            f"but only {have / gib:.1f} GiB are available on this machine now; use fewer "
            "employees or workers, or free memory"
        )
