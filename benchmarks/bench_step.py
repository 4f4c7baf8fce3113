"""Speed of the weekly step: wlsim's performance targets, measured (not asserted).

Usage: ``python benchmarks/bench_step.py [--quick]`` (``make bench``).

Reports, with the machine named and medians over repeats:
  * 10,000 employees for 520 weeks with mentorship and peer coaching together
    (target: at most 3 s on one core);
  * the cost of one week against headcount (1,000 / 10,000 / 100,000 employees) and
    the cost per employee-week, which should stay flat if the step is linear.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from sim.model import WorkplaceModel
from sim.scenario_files import load_scenario

FLAGSHIP = os.path.join(
    os.path.dirname(__file__), "..", "scenarios", "mentorship_vs_peer_coaching.toml"
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def time_run(n: int, weeks: int, arm: str, repeats: int) -> tuple[float, float]:
    """Median seconds to build the model and to run it, over ``repeats``."""
    scenario = load_scenario(FLAGSHIP, [f"organisation.n_employees={n}", f"horizon_weeks={weeks}"])
    builds, runs = [], []
    for r in range(repeats):
        t0 = time.perf_counter()
        model = WorkplaceModel(scenario, arm=arm, replicate=r)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        runs.append(t2 - t1)
    return statistics.median(builds), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip 100,000")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    print(f"machine: {machine()}")
    print()
    build, run = time_run(10_000, 520, "both", repeats)
    print(
        f"10,000 employees x 520 weeks, mentorship + peer coaching: run {run:.2f} s "
        f"(build {build:.2f} s), median of {repeats}; target <= 3 s"
    )
    print()
    print(f"{'employees':>10} {'arm':>14} {'ms/week':>9} {'ns/employee-week':>17}")
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    for n in sizes:
        weeks = 104 if n <= 10_000 else 26
        for arm in ("no_programme", "both"):
            _, run = time_run(n, weeks, arm, repeats if n <= 10_000 else 2)
            per_week = run / weeks
            print(f"{n:>10,} {arm:>14} {per_week * 1e3:>9.2f} {per_week / n * 1e9:>17.0f}")


if __name__ == "__main__":
    main()
