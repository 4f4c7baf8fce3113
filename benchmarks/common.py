"""Shared helpers of the benchmarks: the machine, the scenarios, timing and child processes."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
#: The hybrid programme: mentorship, peer coaching and group circles in one arm.
HYBRID = ROOT / "scenarios" / "programmes" / "hybrid.toml"
HYBRID_ARM = "hybrid"
FLAGSHIP = ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        memory = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "?"
    try:
        import mesa

        mesa_version = mesa.__version__
    except ImportError:
        mesa_version = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": metadata.version("numba"),
        "mesa": mesa_version,
        "os": platform.platform(terse=True),
    }


def describe(m: dict[str, Any]) -> str:
    """One line naming the machine."""
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}, Python {m['python']}, "
        f"numpy {m['numpy']}, numba {m['numba']}, Mesa {m['mesa']}"
    )


def hybrid(n: int, weeks: int, extra: tuple[str, ...] = ()) -> Any:
    """The hybrid scenario at ``n`` employees and ``weeks`` weeks."""
    from sim.scenario.loading import load_scenario

    return load_scenario(
        HYBRID, [f"organisation.n_employees={n}", f"horizon_weeks={weeks}", *extra]
    )


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` over ``repeats`` calls, and all the times."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def child(script: str, *args: str, tree: Path | None = None) -> dict[str, Any]:
    """Run ``benchmarks/<script> args`` in a fresh interpreter; it prints one JSON line.

    With ``tree``, the script imports wlsim from that checkout instead of this one.
    """
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit_line(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Least-squares ``y = a + b x``: intercept, slope and R^2."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    sxy = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True))
    b = sxy / sxx
    a = my - b * mx
    ss_res = sum((yi - a - b * xi) ** 2 for xi, yi in zip(x, y, strict=True))
    ss_tot = sum((yi - my) ** 2 for yi in y)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot else 1.0
