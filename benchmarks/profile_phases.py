"""Where a week goes: time per phase of ``WorkplaceModel.step`` (hybrid programme).

Usage::

    python benchmarks/profile_phases.py                     # 10,000 employees x 520 weeks
    python benchmarks/profile_phases.py -n 100000 -w 156
    python benchmarks/profile_phases.py --pyinstrument      # call tree (pip install pyinstrument)
    python benchmarks/profile_phases.py --cprofile 25       # top 25 functions by own time

The phase timer wraps the model's phase methods and each programme's ``match`` and
``sessions`` on the instance (sim/ is not modified) and reports milliseconds per week and
shares of the step; "other" is the rest of ``step`` (the two skill means around
learning) and Mesa's scheduling of the step. Timer overhead is about 1 us per call.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from common import HYBRID_ARM, describe, hybrid, machine


def instrument(model: Any) -> dict[str, float]:
    """Wrap the phases of ``model`` with timers; return the dict they accumulate into."""
    import sim.model.metrics

    spent: dict[str, float] = defaultdict(float)

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0

        return wrapper

    for prog in model.programmes:
        prog.match = timed(f"1 match: {prog.name}", prog.match)
        prog.sessions = timed(f"2 sessions: {prog.name}", prog.sessions)
    # Phases run per replicate are the model's methods; those run once over the
    # replicates laid end to end are the batch's (a model alone is a batch of one).
    phases = {
        "_within_hours": "2 hours cap",
        "_learn": "3 learning in sessions",
    }
    batch_phases = {
        "_practise": "4 practice and forgetting",
        "_engage": "5 engagement",
        "_quit": "6 turnover",
        "_promote": "7 promotion",
        "_hire": "8 hiring",
        "_account": "9 accounting and proficiency",
    }
    for method, label in phases.items():
        setattr(model, method, timed(label, getattr(model, method)))
    batch = model._batch
    for method, label in batch_phases.items():
        setattr(batch, method, timed(label, getattr(batch, method)))
    original = sim.model.metrics.measure
    sim.model.metrics.measure = timed("measurement (metrics.measure)", original)
    batch.step = timed("step", batch.step)
    return spent


def report(spent: dict[str, float], weeks: int, n: int) -> None:
    total = spent.pop("step")
    spent["other (step body, Mesa scheduling)"] = total - sum(spent.values())
    print(
        f"{n:,} employees x {weeks} weeks: {total:.2f} s, {total / weeks * 1e3:.2f} ms/week, "
        f"{total / weeks / n * 1e9:.0f} ns per employee-week"
    )
    print(f"  {'phase':<44} {'ms/week':>8} {'share':>6}")
    for label, t in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<44} {t / weeks * 1e3:8.3f} {t / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=10_000, help="employees")
    parser.add_argument("-w", type=int, default=520, help="weeks")
    parser.add_argument("--pyinstrument", action="store_true", help="print a call tree")
    parser.add_argument("--cprofile", type=int, metavar="K", help="print the top K functions")
    args = parser.parse_args()
    import sim.model.metrics
    from sim.model.workplace import WorkplaceModel

    print(f"machine: {describe(machine())}")
    model = WorkplaceModel(hybrid(args.n, args.w), arm=HYBRID_ARM)
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        model.run()
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        return
    if args.cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(model.run)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)
        return
    original = sim.model.metrics.measure
    try:
        spent = instrument(model)
        model.run()
    finally:
        sim.model.metrics.measure = original
    report(spent, args.w, args.n)


if __name__ == "__main__":
    main()
