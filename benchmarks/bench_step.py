"""wlsim's speed and memory, measured (never asserted): the benchmark suite behind ``make bench``.

Usage::

    python benchmarks/bench_step.py                 # everything (about 5 minutes)
    python benchmarks/bench_step.py --quick         # fewer repeats, no 100,000 (about 1 minute)
    python benchmarks/bench_step.py --only scaling,reference --json out.json

Sections (``--only`` takes a comma-separated subset), all with the hybrid programme
(mentorship, peer coaching and group circles in one arm, scenarios/programmes/hybrid.toml)
unless said otherwise, and medians over repeated runs:

* ``startup``: interpreter start, ``import sim`` and ``import sim.model.workplace`` (fresh
  processes), building the organisation's arrays, and creating the Mesa agents (on first look);
* ``scaling``: 1,000 x 520, 10,000 x 520 and 100,000 x 156 employee-weeks, each in a
  fresh process on one core: run time, cost per week and per employee-week, a fitted
  line (fixed cost per week + slope per employee-week) and peak resident memory;
* ``informal``: 10,000 x 520 with and without informal learning (the advice network),
  alternating in fresh processes: the ratio of run times;
* ``reference``: the engine against the per-agent Mesa reference
  (benchmarks/reference_mesa.py) at 1,000, 10,000 and 100,000 employees, per week after
  a first week (in which every programme forms all its relationships), as a ratio;
* ``dashboard``: single steps of a 1,000-employee model in a fresh process, as a dashboard
  server would take them (the first week, then the median,
  95th percentile and maximum of the following 155);
* ``sweep``: runs per second of ``sim.experiments.sweep.run_sweep`` on 1 and 2 worker processes
  (the capacity grid: 9 points x 4 arms x 2 replicates of 1,000 employees x 156 weeks);
* ``batch``: runs per second of the flagship's ``both`` arm at 200, 1,000 and 10,000
  employees x 156 weeks in batches of 1, 8, 32 and 128 replicates, each in a fresh
  process, with peak memory (issue 17); with ``--before DIR`` (a checkout of an earlier
  wlsim, e.g. ``git worktree add --detach ../before d89fcb6``, the last commit before
  batching), that checkout's runs one replicate at a time are measured alongside, in the
  same benchmark run, and each size is given against them in runs per CPU second;
  medians of 3 rounds (2 with ``--quick``), each round measuring every configuration;
* ``calibration``: simulations per second and wall time to the stopping rule of
  ``scenarios/calibration/turnover.toml`` on 1 and 2 worker processes (issue 18);
* ``goals``: the goals of issue 7, each met or not.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    BENCH,
    HYBRID_ARM,
    ROOT,
    child,
    describe,
    fit_line,
    hybrid,
    machine,
    median_time,
)

SECTIONS = (
    "startup",
    "scaling",
    "informal",
    "reference",
    "dashboard",
    "sweep",
    "batch",
    "calibration",
    "goals",
)


def _load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def _print_table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for k, row in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


# --- sections ---------------------------------------------------------------------------------


def bench_startup(quick: bool) -> dict[str, Any]:
    print("\n## Start-up")
    repeats = 3 if quick else 7
    interp = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        interp.append(time.perf_counter() - t0)
    probes = [child("probe.py", "import") for _ in range(repeats)]
    out: dict[str, Any] = {
        "interpreter_s": statistics.median(interp),
        "import_sim_s": statistics.median(p["import_sim_s"] for p in probes),
        "import_sim_model_s": statistics.median(p["import_sim_model_s"] for p in probes),
        "rss_after_import_mb": statistics.median(p["rss_mb"] for p in probes),
    }
    print(f"  interpreter start (python -c pass): {out['interpreter_s'] * 1e3:7.1f} ms")
    print(f"  import sim:                         {out['import_sim_s'] * 1e3:7.1f} ms")
    print(
        f"  then import sim.model.workplace (Mesa, numpy, scipy, pydantic): "
        f"{out['import_sim_model_s'] * 1e3:.0f} ms; resident memory then "
        f"{out['rss_after_import_mb']:.0f} MB"
    )
    from sim.model.streams import Streams
    from sim.model.workforce import initial_workforce
    from sim.model.workplace import WorkplaceModel
    from sim.scenario.loading import arm_scenario

    rows = []
    out["build"] = {}
    for n in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        scenario = hybrid(n, 1)
        params = arm_scenario(scenario, HYBRID_ARM)
        org, _ = median_time(lambda p=params: initial_workforce(p, Streams(1, 0).init), repeats)
        total, _ = median_time(
            lambda s=scenario: WorkplaceModel(s, arm=HYBRID_ARM, replicate=1), repeats
        )
        # Mesa agents are created when first looked at, not while building.
        agent_times = []
        for _ in range(repeats):
            model = WorkplaceModel(scenario, arm=HYBRID_ARM, replicate=1)
            t0 = time.perf_counter()
            assert len(model.agents) == n
            agent_times.append(time.perf_counter() - t0)
        agents = statistics.median(agent_times)
        out["build"][n] = {"model_s": total, "organisation_s": org, "agents_s": agents}
        rows.append(
            [
                f"{n:,}",
                f"{total * 1e3:.1f}",
                f"{org * 1e3:.1f}",
                f"{agents * 1e3:.1f}",
                f"{agents / n * 1e6:.2f}",
            ]
        )
    print("\n  building a model (median of repeats):")
    _print_table(
        [
            "employees",
            "model ms",
            "organisation ms",
            "Mesa agents on first look ms",
            "us per agent",
        ],
        rows,
    )
    return out


def bench_scaling(quick: bool) -> dict[str, Any]:
    print("\n## Weekly step against headcount (hybrid, one core, fresh process per run)")
    plan = [(1_000, 520, 3 if quick else 5), (10_000, 520, 2 if quick else 5)]
    if not quick:
        plan.append((100_000, 156, 3))
    rows, out = [], {}
    for n, weeks, repeats in plan:
        probes = [child("probe.py", "run", str(n), str(weeks), str(r)) for r in range(repeats)]
        run = statistics.median(p["run_s"] for p in probes)
        cpu = statistics.median(p["cpu_s"] for p in probes)
        build = statistics.median(p["build_s"] for p in probes)
        before = statistics.median(p["rss_before_mb"] for p in probes)
        peak = statistics.median(p["rss_peak_mb"] for p in probes)
        per_week = run / weeks
        out[n] = {
            "weeks": weeks,
            "repeats": repeats,
            "run_s": run,
            "runs_s": [p["run_s"] for p in probes],
            "cpu_s": cpu,
            "cpu_ms_per_week": cpu / weeks * 1e3,
            "build_s": build,
            "ms_per_week": per_week * 1e3,
            "ns_per_employee_week": per_week / n * 1e9,
            "rss_before_mb": before,
            "rss_peak_mb": peak,
        }
        rows.append(
            [
                f"{n:,}",
                weeks,
                repeats,
                f"{run:.2f}",
                f"{cpu:.2f}",
                f"{per_week * 1e3:.2f}",
                f"{per_week / n * 1e9:.0f}",
                f"{build:.3f}",
                f"{before:.0f}",
                f"{peak:.0f}",
                f"{peak - before:.0f}",
            ]
        )
    _print_table(
        [
            "employees",
            "weeks",
            "runs",
            "run s",
            "CPU s",
            "ms/week",
            "ns/employee-week",
            "build s",
            "RSS before MB",
            "peak RSS MB",
            "model MB",
        ],
        rows,
    )
    sizes = sorted(out)
    a, b, r2 = fit_line([float(n) for n in sizes], [out[n]["ms_per_week"] for n in sizes])
    out["fit"] = {"fixed_ms_per_week": a, "ns_per_employee_week": b * 1e6, "r2": r2}
    print(
        f"\n  fitted over all sizes: ms/week = {a:.3f} + {b * 1e6:.0f} ns x employees "
        f"(R^2 = {r2:.4f})"
    )
    out["marginal"] = {}
    for lo, hi in itertools.pairwise(sizes):
        slope = (out[hi]["ms_per_week"] - out[lo]["ms_per_week"]) / (hi - lo) * 1e6
        fixed = out[lo]["ms_per_week"] - slope * lo / 1e6
        out["marginal"][f"{lo}-{hi}"] = {"ns_per_employee_week": slope, "fixed_ms_per_week": fixed}
        print(
            f"  from {lo:,} to {hi:,}: {slope:.0f} ns per added employee-week "
            f"(line through both: {fixed:.2f} ms/week fixed)"
        )
    print(
        "  (linear means the same marginal cost at every size and a fixed cost >= 0; "
        "the fixed cost is\n   numpy and Python overhead per week)"
    )
    return out


def bench_informal(quick: bool) -> dict[str, Any]:
    print("\n## Informal learning's cost (hybrid, 10,000 x 520, fresh processes, alternating)")
    runs: dict[str, list[float]] = {"with": [], "without": []}
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    for r in range(3 if quick else 5):
        for label in ("without", "with"):
            extra = ["--no-informal"] if label == "without" else []
            probe = child("probe.py", "run", "10000", "520", str(r), *extra)
            runs[label].append(probe["run_s"])
            cpu[label].append(probe["cpu_s"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["with"] / med["without"]
    ratio_cpu = med_cpu["with"] / med_cpu["without"]
    _print_table(
        ["informal learning", "runs", "median run s", "runs s", "median CPU s"],
        [
            [k, len(v), f"{med[k]:.2f}", " ".join(f"{x:.2f}" for x in v), f"{med_cpu[k]:.2f}"]
            for k, v in runs.items()
        ],
    )
    # CPU time leaves out the time the machine gave to other work (a shared machine's
    # steal); on an idle machine the two ratios agree.
    print(f"\n  ratio with / without: {ratio:.2f} (CPU time: {ratio_cpu:.2f})")
    return {"runs_s": runs, "cpu_s": cpu, "median_s": med, "ratio": ratio, "ratio_cpu": ratio_cpu}


def bench_reference(quick: bool) -> dict[str, Any]:
    print("\n## Engine against the per-agent Mesa reference (hybrid, per week after week 0)")
    sys.path.insert(0, str(BENCH))
    from reference_mesa import ReferenceModel

    from sim.model.workplace import WorkplaceModel

    plan = [  # n, engine weeks x repeats, reference weeks x repeats
        (1_000, (52, 5), (26, 3)),
        (10_000, (52, 5), (6, 3) if not quick else (3, 1)),
    ]
    if not quick:
        plan.append((100_000, (26, 3), (2, 1)))
    rows, out = [], {}
    for n, (ew, er), (rw, rr) in plan:
        scenario = hybrid(n, 520)
        eng, ref, ref_build = [], [], []
        for r in range(er):
            model = WorkplaceModel(scenario, arm=HYBRID_ARM, replicate=r)
            model.step()  # week 0: every programme forms all its relationships
            t0 = time.perf_counter()
            model.run(ew)
            eng.append((time.perf_counter() - t0) / ew)
        for r in range(rr):
            t0 = time.perf_counter()
            model = ReferenceModel(scenario, HYBRID_ARM, seed=r)
            ref_build.append(time.perf_counter() - t0)
            model.step()
            t0 = time.perf_counter()
            model.run(rw)
            ref.append((time.perf_counter() - t0) / rw)
        e, f = statistics.median(eng), statistics.median(ref)
        out[n] = {
            "engine_ms_per_week": e * 1e3,
            "reference_ms_per_week": f * 1e3,
            "ratio": f / e,
            "engine_weeks_x_runs": [ew, er],
            "reference_weeks_x_runs": [rw, rr],
            "reference_build_s": statistics.median(ref_build),
        }
        rows.append(
            [
                f"{n:,}",
                f"{e * 1e3:.2f}",
                f"{ew} x {er}",
                f"{f * 1e3:.1f}",
                f"{rw} x {rr}",
                f"{f / e:.1f}x",
                f"{statistics.median(ref_build):.2f}",
            ]
        )
    _print_table(
        [
            "employees",
            "engine ms/week",
            "weeks x runs",
            "reference ms/week",
            "weeks x runs",
            "ratio",
            "reference build s",
        ],
        rows,
    )
    print(
        "  (the reference's per-week cost is extrapolated from the few weeks shown; both\n"
        "   run the same scenario and arm; week 0 is excluded from both)"
    )
    return out


def bench_dashboard(quick: bool) -> dict[str, Any]:
    print("\n## Dashboard step: 1,000 employees, hybrid, single steps (a fresh process)")
    probe = child("probe.py", "steps", "1000", "156", "2" if quick else "5")
    first, later = probe["first_ms"], probe["later_ms"]
    out = {
        "first_ms": statistics.median(first),
        "first_in_process_ms": first[0],
        "median_ms": float(np.median(later)),
        "p95_ms": float(np.percentile(later, 95)),
        "max_ms": max(later),
        "steps": len(later),
    }
    print(
        f"  week 0 (all relationships form): median {out['first_ms']:.2f} ms, "
        f"{out['first_in_process_ms']:.1f} ms the first time in the process (loads the "
        f"compiled kernels)\n  later weeks: median {out['median_ms']:.2f} ms, 95th "
        f"percentile {out['p95_ms']:.2f} ms, max {out['max_ms']:.2f} ms ({out['steps']} steps)"
    )
    return out


def bench_sweep(quick: bool) -> dict[str, Any]:
    weeks = 52 if quick else 156
    print(
        f"\n## Sweep throughput: capacity grid, 9 points x 4 arms x 2 replicates, 1,000 x {weeks}"
    )
    from sim.experiments.sweep import make_executor, run_sweep
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(
        ROOT / "scenarios" / "sweeps" / "capacity_grid.toml",
        ["sweep.replicates=2", f"horizon_weeks={weeks}"],
    )
    import os

    out: dict[Any, Any] = {}
    # "alone": every replicate run on its own (WLSIM_MAX_BATCH=1), the path before batching.
    for label, workers, batch in (("alone", 1, "1"), (1, 1, ""), (2, 2, "")):
        os.environ["WLSIM_MAX_BATCH"] = batch
        try:
            with (
                tempfile.TemporaryDirectory() as tmp,
                make_executor(workers=workers) as executor,
            ):
                t0 = time.perf_counter()
                result = run_sweep(scenario, Path(tmp) / "sweep", executor=executor, progress=False)
                elapsed = time.perf_counter() - t0
        finally:
            os.environ.pop("WLSIM_MAX_BATCH", None)
        out[label] = {
            "runs": result.n_done,
            "seconds": elapsed,
            "runs_per_s": result.n_done / elapsed,
        }
        what = "1 worker, no batches" if label == "alone" else f"{workers} worker(s), batches"
        print(
            f"  {what}: {result.n_done} runs in {elapsed:.1f} s = "
            f"{result.n_done / elapsed:.2f} runs/s"
        )
    out["batching"] = out[1]["runs_per_s"] / out["alone"]["runs_per_s"]
    out["speedup"] = out[2]["runs_per_s"] / out[1]["runs_per_s"]
    print(f"  batches against runs alone, 1 worker: {out['batching']:.2f}x")
    print(f"  speed-up on 2 workers: {out['speedup']:.2f}x (includes starting the processes)")
    return out


def bench_batch(quick: bool, before: Path | None = None) -> dict[str, Any]:
    """Runs per second in batches of replicates (issue 17), each size in a fresh process.

    Each configuration is measured in several rounds, one after the other (2 with
    ``quick``, else 3), and the table gives medians: single runs of a few hundred
    employees last under a second, and one measurement of them can be off by half on a
    shared machine. With ``before`` (a checkout of an earlier wlsim), its runs, one
    replicate at a time (``probe.py batch ... --alone``), are measured in each round
    just before the batches of the same size, and the table gives each round's ratio
    of runs per CPU second (batches over before) and their median.
    """
    sizes = (1, 8, 32) if quick else (1, 8, 32, 128)
    employees = (200, 1000) if quick else (200, 1000, 10_000)
    rounds = 2 if quick else 3
    print("\n## Replicates in batches: the flagship's both arm, x 156 weeks, one core")
    print(f"  (batch size 1 runs one model at a time; medians of {rounds} rounds)")
    if before:
        print(f"  before: {before}, each replicate alone (run_arm_tables), in the same rounds")
    rows, out = [], {}
    for n in employees:
        now: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
        then: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(rounds):
            for size in sizes:
                runs = max(size, 16 if n <= 1000 else 2)
                if before:
                    args = ("batch", str(n), "156", "1", str(runs), "--alone")
                    then[size].append(child("probe.py", *args, tree=before)["runs_per_cpu_s"])
                now[size].append(child("probe.py", "batch", str(n), "156", str(size), str(runs)))
        base = statistics.median(r["runs_per_s"] for r in now[sizes[0]])
        for size in sizes:
            med = {k: statistics.median(r[k] for r in now[size]) for k in now[size][0]}
            ratios = [r["runs_per_cpu_s"] / b for r, b in zip(now[size], then[size], strict=False)]
            out[f"{n}:{size}"] = {**med, "rounds": now[size], "before_runs_per_cpu_s": then[size]}
            rows.append(
                [
                    f"{n:,}",
                    size,
                    int(med["runs"]),
                    f"{med['runs_per_s']:.2f}",
                    f"{med['runs_per_cpu_s']:.2f}",
                    f"{med['runs_per_s'] / base:.2f}",
                    f"{min(then[size]):.2f}-{max(then[size]):.2f}" if then[size] else "",
                    (
                        f"{statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})"
                        if ratios
                        else ""
                    ),
                    f"{med['rss_peak_mb']:.0f}",
                ]
            )
    header = ["employees", "batch", "runs", "runs/s", "runs/cpu-s", "vs batch 1"]
    header += ["before runs/cpu-s", "vs before: median (rounds)", "peak MB"]
    _print_table(header, rows)
    return out


def bench_calibration(quick: bool) -> dict[str, Any]:
    """Simulations per second and wall time of a calibration, serially and on 2 workers."""
    from sim.experiments.calibrate import run_calibration
    from sim.experiments.sweep import make_executor
    from sim.scenario.loading import load_scenario

    path = ROOT / "scenarios" / "calibration" / "turnover.toml"
    extra = ["calibration.generations=2"] if quick else []
    scenario = load_scenario(path, extra)
    cal = scenario.calibration
    print(
        f"\n## Calibration: {path.relative_to(ROOT)}, {len(cal.parameters)} parameters, "
        f"population {cal.population}, {cal.generations} generations, "
        f"{scenario.organisation.n_employees} employees x {scenario.horizon_weeks} weeks"
    )
    out = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, make_executor(workers=workers) as executor:
            t0 = time.perf_counter()
            result = run_calibration(scenario, Path(tmp) / "c", executor=executor, progress=False)
            elapsed = time.perf_counter() - t0
        sims = int(result.generations["simulated"].sum())
        out[workers] = {"simulations": sims, "seconds": elapsed, "per_s": sims / elapsed}
        print(
            f"  {workers} worker{'s' if workers > 1 else ''}: {sims} simulations in "
            f"{elapsed:.1f} s = {sims / elapsed:.1f} simulations/s (wall time to the stopping rule)"
        )
    return out


def goals(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue 7 against the measurements (skipped where not measured)."""
    out = []

    def goal(name: str, value: float | None, target: float, unit: str, higher: bool = False):
        if value is None:
            return
        met = value >= target if higher else value <= target
        out.append({"goal": name, "value": value, "target": target, "unit": unit, "met": met})

    ref, scal = res.get("reference", {}), res.get("scaling", {})
    if "informal" in res:
        goal(
            "10,000 x 520, hybrid: with informal learning / without",
            res["informal"]["ratio"],
            1.5,
            "x",
        )
    goal(
        ">= 50x faster than the reference at 10,000",
        ref.get(10_000, {}).get("ratio"),
        50,
        "x",
        higher=True,
    )
    if 10_000 in scal and scal[10_000]["weeks"] == 520:
        goal("10,000 x 520 weeks, hybrid: wall", scal[10_000]["run_s"], 1.0, "s")
        goal("10,000 x 520 weeks, hybrid: CPU", scal[10_000]["cpu_s"], 1.0, "s")
    if 100_000 in scal:
        goal("100,000 x 156 weeks: wall", scal[100_000]["run_s"], 20.0, "s")
        goal("100,000 x 156 weeks: CPU", scal[100_000]["cpu_s"], 20.0, "s")
        goal("100,000 x 156 weeks: peak memory", scal[100_000]["rss_peak_mb"], 1024, "MB")
    if "dashboard" in res:
        goal("1,000-employee step (median)", res["dashboard"]["median_ms"], 50, "ms")
        goal("1,000-employee step (worst)", res["dashboard"]["max_ms"], 50, "ms")
        goal(
            "1,000-employee first step in a process",
            res["dashboard"]["first_in_process_ms"],
            50,
            "ms",
        )
    if "startup" in res:
        goal("import sim", res["startup"]["import_sim_s"], 1.0, "s")
        goal(
            "import sim + sim.model.workplace",
            res["startup"]["import_sim_s"] + res["startup"]["import_sim_model_s"],
            1.0,
            "s",
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100,000")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--before",
        type=Path,
        help="batch: a checkout of an earlier wlsim to measure alongside (one replicate at a time)",
    )
    args = parser.parse_args()
    only = args.only.split(",")
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    m = machine()
    print(f"# wlsim benchmarks{' (quick)' if args.quick else ''}")
    print(f"machine: {describe(m)}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}; load average at start: {_load()}")
    res: dict[str, Any] = {"machine": m, "quick": args.quick, "load_start": _load()}
    runners = {
        "startup": bench_startup,
        "scaling": bench_scaling,
        "informal": bench_informal,
        "reference": bench_reference,
        "dashboard": bench_dashboard,
        "sweep": bench_sweep,
        "batch": functools.partial(bench_batch, before=args.before),
        "calibration": bench_calibration,
    }
    for name, fn in runners.items():
        if name in only:
            res[name] = fn(args.quick)
    if "goals" in only:
        res["goals"] = goals(res)
        print("\n## Goals (issue 7)")
        _print_table(
            ["goal", "measured", "target", "met"],
            [
                [
                    g["goal"],
                    f"{g['value']:.3g} {g['unit']}",
                    f"{'>=' if g['unit'] == 'x' else '<='} {g['target']:g} {g['unit']}",
                    "yes" if g["met"] else "NO",
                ]
                for g in res["goals"]
            ],
        )
    res["load_start_end"] = [res.get("load_start"), _load()]
    print(f"\nload average at the end: {_load()} (other processes on the machine slow wall times)")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
