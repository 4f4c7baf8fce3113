"""Instructions per run, counted by valgrind: a measure of speed that load does not move.

Wall and CPU times of small runs wander by 10-30% on a shared 2-core machine, which hides
changes of a few percent. The number of instructions the processor executes does not
depend on what else runs: ``valgrind --tool=callgrind`` counts them (about 50 times
slower than running natively). This benchmark runs ``probe.py batch N WEEKS SIZE RUNS``
under callgrind with the instrumentation on for the measured runs only (not for Python's
start, the imports or the warm-up), in each source tree given, and prints millions of
instructions per run of the flagship's ``both`` arm.

Instructions are not time: a cache miss costs no instruction, so the count suits
changes to the fixed cost of a week (calls, small arrays), where runs of a few hundred
employees spend their time, and not changes of memory layout at 10,000 employees.

Usage:
  ``python benchmarks/instructions.py [--employees 200] [--weeks 156] [--size 1]
  [--runs 2] [TREE ...]``: each TREE is a checkout of wlsim (default: this one), e.g. a
  ``git worktree`` of the commit to compare with; its ``sim`` package runs this
  checkout's probe and scenario. Needs valgrind (Debian: ``apt-get
  install valgrind``). Takes about 3 minutes per tree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT


def count(tree: Path, employees: int, weeks: int, size: int, runs: int, alone: bool) -> float:
    """Instructions per run (millions) of ``probe.py batch`` in ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(ROOT / "benchmarks" / "probe.py"),  # this checkout's probe, the tree's wlsim
            "batch",
            str(employees),
            str(weeks),
            str(size),
            str(runs),
            "--callgrind",
            *(["--alone"] if alone else []),
        ]
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            raise SystemExit(f"callgrind failed in {tree}:\n{done.stderr[-2000:]}")
        return int(found.group(1)) / runs / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, default=[ROOT])
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--size", type=int, default=1, help="replicates per batch")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--alone",
        action="store_true",
        help="each replicate through run_arm_tables (checkouts from before batching)",
    )
    args = parser.parse_args()
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("needs valgrind and callgrind_control (Debian: apt-get install valgrind)")
    print(
        f"flagship's both arm, {args.employees} employees x {args.weeks} weeks, "
        f"{args.runs} runs in batches of {args.size}: millions of instructions per run"
    )
    first = None
    for tree in args.trees:
        m = count(tree.resolve(), args.employees, args.weeks, args.size, args.runs, args.alone)
        first = first or m
        print(f"  {tree}: {m:,.1f} ({m / first:.3f} of the first)", flush=True)


if __name__ == "__main__":
    main()
