"""Two hybrid models in one process, stepped in turn: the advice kernels' time in each.

Usage::

    python benchmarks/paired_kernels.py                                  # A and B alike
    python benchmarks/paired_kernels.py --b-set informal.enabled=false   # the ratio
    python benchmarks/paired_kernels.py --b-set informal.n_ties_max=12 -w 150
    python benchmarks/paired_kernels.py --b-float64                      # ties in 64 bits

On a machine shared with other work, two runs of the same code in fresh processes can
differ by a third, which hides changes of 10%. Two models in one process, stepped in
turn, share whatever the machine does. Model B differs from A only as the options say:
scenario overrides, or its network's strengths and beliefs converted to 64 bits.
Reported per model: CPU time (``time.process_time``) per week of each advice function
and of the whole step, the first week left out. Two identical models differ by less
than 0.1 ms a week in the step (docs/performance.md, informal learning, third round).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from common import HYBRID_ARM, hybrid

#: The advice functions timed (:mod:`sim.model.submodels.advice`).
TIMED = (
    "tend",
    "after_advice",
    "programme_contacts",
    "manager_feedback",
    "level_means",
    "initial_ties",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="employees (default 10,000)")
    parser.add_argument("-w", "--weeks", type=int, default=150, help="weeks (default 150)")
    parser.add_argument("--b-set", action="append", default=[], help="override for model B")
    parser.add_argument("--b-float64", action="store_true", help="B's ties in 64 bits")
    args = parser.parse_args()

    from sim.model import workplace
    from sim.model.submodels import advice

    spent: dict[str, dict[str, float]] = {"A": defaultdict(float), "B": defaultdict(float)}
    current = ["A"]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[current[0]][name] += time.process_time() - t0

        return wrapper

    for name in TIMED:
        setattr(advice, name, timed(name, getattr(advice, name)))
    models = {
        "A": workplace.WorkplaceModel(hybrid(args.n, args.weeks + 1), arm=HYBRID_ARM),
        "B": workplace.WorkplaceModel(
            hybrid(args.n, args.weeks + 1, tuple(args.b_set)), arm=HYBRID_ARM
        ),
    }
    if args.b_float64:
        net = models["B"].network
        models["B"].network = dataclasses.replace(
            net,
            to=net.to.astype(np.int64),
            strength=net.strength.astype(np.float64),
            belief=net.belief.astype(np.float64),
        )
    step = {"A": 0.0, "B": 0.0}
    for week in range(args.weeks):
        for key in ("A", "B") if week % 2 else ("B", "A"):
            current[0] = key
            t0 = time.process_time()
            models[key].step()
            step[key] += time.process_time() - t0
        if week == 0:  # the first week compiles and forms every relationship
            step = {"A": 0.0, "B": 0.0}
            for d in spent.values():
                d.clear()
    per_week = 1e3 / (args.weeks - 1)
    for key in ("A", "B"):
        row = {name: round(spent[key][name] * per_week, 3) for name in TIMED}
        row["advice"] = round(sum(spent[key].values()) * per_week, 3)
        row["step"] = round(step[key] * per_week, 3)
        print(key, json.dumps(row))
    print(f"step A / B: {step['A'] / step['B']:.3f}")  # with informal learning / without


if __name__ == "__main__":
    main()
