"""Child process of the benchmarks: one measurement in a fresh interpreter, printed as JSON.

Usage:
  ``python benchmarks/probe.py run N WEEKS [REPLICATE] [--no-informal]``: build the
  hybrid model at N employees (with informal learning unless told) and run it for WEEKS
  weeks on one core; report import, build and run times
  and the peak resident memory (``VmHWM``) before building and at the end.
  ``python benchmarks/probe.py memory N WEEKS``: the same run under ``tracemalloc``
  (numpy reports its array buffers to it): peak and retained traced memory of building
  and running the model, i.e. the model's own memory without the interpreter and
  libraries (slower; not timed).
  ``python benchmarks/probe.py batch N WEEKS SIZE RUNS``: RUNS replicates of the
  flagship's ``both`` arm at N employees in batches of SIZE (:func:`batch`); runs per
  second (wall and CPU) and peak resident memory.
  ``python benchmarks/probe.py batch N WEEKS 1 RUNS --alone``: each replicate through
  ``run_arm_tables``, which wlsim had before batching too (d89fcb6, the last commit
  before it, has it), so that the same probe measures an older checkout (on
  ``PYTHONPATH``) side by side.
  ``python benchmarks/probe.py batch N WEEKS SIZE RUNS --callgrind``: the same, with
  callgrind's instrumentation switched on for the timed runs only (run under
  ``valgrind --tool=callgrind --instr-atstart=no``, as ``benchmarks/instructions.py`` does).
  ``python benchmarks/probe.py import``: time ``import sim`` and ``import sim.model.workplace``.
  ``python benchmarks/probe.py steps N WEEKS RUNS``: time single steps of RUNS models of
  N employees for WEEKS weeks (replicates 0 .. RUNS - 1), as the dashboard takes them;
  report each run's first step (it loads the compiled kernels in the first run) and
  every later step in milliseconds.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    Read from ``VmHWM`` in /proc/self/status: ``ru_maxrss`` is kept across ``execve``
    on Linux, so in a child it would report the parent's peak if that was higher.
    """
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, weeks: int, replicate: int, informal: bool = True) -> dict[str, float]:
    t0 = time.perf_counter()
    from common import HYBRID_ARM, hybrid

    from sim.model.workplace import WorkplaceModel

    t1 = time.perf_counter()
    scenario = hybrid(n, weeks)
    if not informal:
        off = scenario.informal.model_copy(update={"enabled": False})
        scenario = scenario.model_copy(update={"informal": off})
    rss_before = _rss_mb()
    t2 = time.perf_counter()
    model = WorkplaceModel(scenario, arm=HYBRID_ARM, replicate=replicate)
    t3 = time.perf_counter()
    c3 = time.process_time()
    model.run()
    t4 = time.perf_counter()
    c4 = time.process_time()
    return {
        "n": n,
        "weeks": weeks,
        "import_s": t1 - t0,
        "build_s": t3 - t2,
        "run_s": t4 - t3,
        "cpu_s": c4 - c3,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _rss_mb(),
    }


def memory(n: int, weeks: int) -> dict[str, float]:
    import tracemalloc

    from common import HYBRID_ARM, hybrid

    from sim.model.workplace import WorkplaceModel

    scenario = hybrid(n, weeks)
    tracemalloc.start()
    model = WorkplaceModel(scenario, arm=HYBRID_ARM)
    built, _ = tracemalloc.get_traced_memory()
    model.run()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "weeks": weeks,
        "built_mb": built / 2**20,
        "retained_mb": current / 2**20,
        "peak_mb": peak / 2**20,
    }


def steps(n: int, weeks: int, runs: int) -> dict[str, list[float]]:
    from common import HYBRID_ARM, hybrid

    from sim.model.workplace import WorkplaceModel

    first, later = [], []
    for r in range(runs):
        model = WorkplaceModel(hybrid(n, weeks), arm=HYBRID_ARM, replicate=r)
        for week in range(weeks):
            t0 = time.perf_counter()
            model.step()
            (first if week == 0 else later).append((time.perf_counter() - t0) * 1e3)
    return {"first_ms": first, "later_ms": later}


def batch(
    n: int, weeks: int, size: int, runs: int, callgrind: bool = False, alone: bool = False
) -> dict[str, float]:
    """Runs per second of the flagship's ``both`` arm in batches of ``size`` replicates.

    A warm-up batch of two replicates loads the compiled kernels first; then ``runs``
    replicates run in batches of ``size`` (``size`` 1: one model at a time, the path
    runs took before batching), with the cohort snapshots ``run_scenario`` takes. With
    ``callgrind``, valgrind counts instructions in those runs only. With ``alone``, each
    replicate runs through ``run_arm_tables`` (``size`` is then 1).
    """
    from common import FLAGSHIP

    from sim.experiments import run as runs_of
    from sim.scenario.loading import load_scenario

    def run_batch_tables(scenario: Any, arm: str, replicates: list[int], weeks: tuple) -> None:
        if alone:
            for r in replicates:
                runs_of.run_arm_tables(scenario, arm, r, weeks=weeks)
        else:
            runs_of.run_batch_tables(scenario, arm, replicates, weeks=weeks)

    scenario = load_scenario(FLAGSHIP, [f"organisation.n_employees={n}", f"horizon_weeks={weeks}"])
    run_batch_tables(scenario, "both", [0, 1], weeks=(weeks,))
    rss_before = _rss_mb()
    if callgrind:
        _instrument("on")
    t0 = time.perf_counter()
    c0 = time.process_time()
    for start in range(0, runs, size):
        replicates = list(range(start, min(start + size, runs)))
        run_batch_tables(scenario, "both", replicates, weeks=(52, weeks))
    seconds = time.perf_counter() - t0
    if callgrind:
        _instrument("off")
    return {
        "n": n,
        "weeks": weeks,
        "size": size,
        "runs": runs,
        "seconds": seconds,
        "runs_per_s": runs / seconds,
        "runs_per_cpu_s": runs / (time.process_time() - c0),
        "rss_before_mb": rss_before,
        "rss_peak_mb": _rss_mb(),
    }


def _instrument(state: str) -> None:
    """Switch callgrind's instrumentation of this process ``on`` or ``off``."""
    import os
    import subprocess

    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


def imports() -> dict[str, float]:
    t0 = time.perf_counter()
    import sim

    t1 = time.perf_counter()
    import sim.model.workplace  # noqa: F401

    t2 = time.perf_counter()
    return {"import_sim_s": t1 - t0, "import_sim_model_s": t2 - t1, "rss_mb": _rss_mb()}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "run":
        args = [a for a in sys.argv[2:] if a != "--no-informal"]
        replicate = int(args[2]) if len(args) > 2 else 0
        result = run(int(args[0]), int(args[1]), replicate, "--no-informal" not in sys.argv)
    elif what == "memory":
        result = memory(int(sys.argv[2]), int(sys.argv[3]))
    elif what == "import":
        result = imports()
    elif what == "batch":
        result = batch(
            *(int(a) for a in sys.argv[2:6]),
            callgrind="--callgrind" in sys.argv,
            alone="--alone" in sys.argv,
        )
    elif what == "steps":
        result = steps(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))
