"""The ``wlsim`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

    #: A signal's handler, as signal.signal takes and returns it.
    Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wlsim",
        description=(
            "wlsim simulates how skills, engagement and retention evolve in an organisation, "
            "week by week, under mentoring and coaching programmes."
        ),
        epilog="Run 'wlsim COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"wlsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run a scenario and write its results folder",
        description=(
            "Run every arm of a scenario for every replicate (the same seeds in every arm), "
            "print end-of-horizon means with 95% confidence intervals, and write "
            "results/<scenario name>/ with timeseries.parquet, summary.csv, figures/, "
            "scenario.resolved.toml and metadata.json."
        ),
    )
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_set(run)
    run.add_argument(
        "--arm",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this arm (repeat for several; default: all arms)",
    )
    run.add_argument("--replicates", type=int, metavar="N", help="replicates per arm")
    run.add_argument("--seed", type=int, metavar="S", help="root seed")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results folder (default: results/<scenario name>)",
    )
    run.add_argument(
        "--overwrite", action="store_true", help="replace the results folder if it exists"
    )
    run.add_argument("--no-figures", action="store_true", help="do not draw figures")
    run.add_argument(
        "--no-report",
        action="store_true",
        help="do not write report.html (implied by --no-figures)",
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--precision",
        action="append",
        default=[],
        metavar="METRIC=HALFWIDTH",
        help=(
            "replicate in batches until the 95%% CI half-width of every arm's paired "
            "difference from the first arm in METRIC is at most HALFWIDTH (repeatable)"
        ),
    )
    run.add_argument(
        "--posterior",
        type=Path,
        metavar="DIR",
        help=(
            "run over a calibration's posterior (DIR/posterior.parquet, from wlsim "
            "calibrate): each replicate runs under one drawn parameter set, the same in "
            "every arm; prints the probability that each arm beats the control arm"
        ),
    )
    run.add_argument(
        "--posterior-draws",
        type=int,
        metavar="K",
        help=(
            "posterior draws, the replicates split evenly among them (replicates / K per "
            "draw, averaged so that replicate noise is not read as parameter uncertainty; "
            "default: one draw per replicate)"
        ),
    )
    run.add_argument(
        "--max-replicates",
        type=int,
        default=200,
        metavar="N",
        help="cap on replicates with --precision (default 200)",
    )

    sweep = sub.add_parser(
        "sweep",
        help="run the [sweep] of a scenario: grids, samples, sensitivity",
        description=(
            "Run every arm of a scenario at every point of its [sweep] section (grid, "
            "Latin hypercube, Sobol or Morris), with replicates and the same seeds at every "
            "point. Runs stream to a Parquet dataset in the output folder; --resume "
            "continues an interrupted sweep; failed runs are recorded and the sweep goes "
            "on. See docs/sweeps.md."
        ),
    )
    sweep.add_argument("scenario", type=Path, help="scenario file (TOML) with a [sweep] section")
    _add_set(sweep)
    sweep.add_argument(
        "--out", type=Path, metavar="DIR", help="sweep folder (default: results/<scenario name>)"
    )
    sweep.add_argument(
        "--workers", type=int, default=1, metavar="N", help="local worker processes (default 1)"
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786 (needs wlsim[cluster])",
    )
    sweep.add_argument(
        "--resume", action="store_true", help="continue the interrupted sweep in the folder"
    )
    sweep.add_argument(
        "--overwrite", action="store_true", help="replace the sweep folder if it exists"
    )
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sweep.add_argument(
        "--posterior",
        type=Path,
        metavar="DIR",
        help=(
            "sweep over a calibration's posterior (DIR/posterior.parquet, from wlsim "
            "calibrate): replicate r of every point and arm runs under the same drawn "
            "parameter set; a swept parameter may not be in the posterior"
        ),
    )
    sweep.add_argument(
        "--posterior-draws",
        type=int,
        metavar="K",
        help=(
            "posterior draws, each point's replicates split evenly among them "
            "(replicates / K per draw; default: one draw per replicate)"
        ),
    )

    cal = sub.add_parser(
        "calibrate",
        help="fit parameters to observed targets ([calibration], ABC-SMC with pyabc)",
        description=(
            "Fit the parameters named in the scenario's [calibration] section to its "
            "targets by approximate Bayesian computation (ABC-SMC, pyabc). Writes the "
            "posterior, diagnostics per generation and the posterior predictive check to "
            "the output folder; --resume continues an interrupted calibration, with the "
            "same result. See docs/calibration.md."
        ),
    )
    cal.add_argument("scenario", type=Path, help="scenario file (TOML) with [calibration]")
    _add_set(cal)
    cal.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="calibration folder (default: results/<scenario name>-calibration)",
    )
    cal.add_argument(
        "--workers", type=int, default=1, metavar="N", help="local worker processes (default 1)"
    )
    cal.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786 (needs wlsim[cluster])",
    )
    cal.add_argument(
        "--resume", action="store_true", help="continue the interrupted calibration in the folder"
    )
    cal.add_argument("--overwrite", action="store_true", help="replace the folder if it exists")
    cal.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    _add_optimise(sub)

    dashboard = sub.add_parser(
        "dashboard",
        help="serve the interactive dashboard on localhost",
        description=(
            "Serve the interactive dashboard (Solara, around a Mesa model): choose a story, or a "
            "scenario and an arm, "
            "move the programme levers, step or play, and compare with the same organisation "
            "without a programme. Needs the viz extra; see docs/dashboard.md."
        ),
    )
    dashboard.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        default=None,
        help="scenario file to open first, or a folder of scenario files "
        "(default: scenarios/mentorship_vs_peer_coaching.toml)",
    )
    dashboard.add_argument(
        "--scenario",
        dest="scenario_option",
        type=Path,
        metavar="FILE",
        default=None,
        help="the same as the positional SCENARIO",
    )
    dashboard.add_argument(
        "--arm", default=None, help="arm to open (default: the first arm with a programme)"
    )
    dashboard.add_argument(
        "--story",
        default=None,
        metavar="NAME",
        help='story preset to open, e.g. "the mentor bottleneck", "peer coaching at scale", '
        '"when experts leave" (see docs/dashboard.md)',
    )
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default: 127.0.0.1; 0.0.0.0 serves a room)",
    )
    dashboard.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    dashboard.add_argument(
        "--no-open", dest="open_browser", action="store_false", help="do not open a browser"
    )

    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a results or calibration folder",
        description=(
            "Write RESULTS_DIR/report.html: end-of-horizon tables, paired differences, cost "
            "and benefit, skill diffusion by domain and level, the distribution of skill, "
            "retention and survival curves, engagement, the organisation network at the start "
            "and end (re-running replicate 0 of each arm), the scenario and its provenance. "
            "For a folder written by wlsim calibrate: the priors, targets, diagnostics per "
            "generation, posterior, identifiability (what the targets pin down, what trades "
            "off) and the posterior predictive check, with figures in DIR/figures/."
        ),
    )
    report.add_argument("results", type=Path, metavar="RESULTS_DIR")
    report.add_argument("--no-network", action="store_true", help="skip the network figures")

    rerun = sub.add_parser(
        "rerun",
        help="run a results folder again exactly and check the results are identical",
        description=(
            "Run the scenario saved in a results folder (scenario.resolved.toml) again with "
            "its arms, replicates and seed; warn if the code or the organisation data "
            "changed since; compare the new files with the old byte for byte."
        ),
    )
    rerun.add_argument("results", type=Path, metavar="RESULTS_DIR")
    rerun.add_argument("--out", type=Path, metavar="DIR", help="default: RESULTS_DIR-rerun")
    rerun.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    rerun.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    compare = sub.add_parser(
        "compare",
        help="paired differences between arms, with 95%% confidence intervals",
        description=(
            "Compare every arm with a baseline arm in a results folder (of wlsim run or "
            "wlsim sweep): the mean paired difference per metric (and sweep point) over "
            "replicates with the same seeds, with its 95% t-interval. Prints the table and "
            "writes comparison.csv into the folder."
        ),
    )
    compare.add_argument("results", type=Path, metavar="RESULTS_DIR")
    compare.add_argument(
        "--baseline", metavar="ARM", help="the arm to compare against (default: the first)"
    )
    compare.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="metric to compare (repeatable; default: the headline metrics)",
    )

    _add_discover(sub)

    validate = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Check scenario files (syntax, keys, types, ranges, every arm) and exit.",
    )
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="FILE")
    _add_set(validate)

    programmes = sub.add_parser(
        "programmes",
        help="list the programme designs, or show the components of one",
        description=(
            "List the programme designs a scenario can use as [programmes.X] kind = NAME. "
            "With NAME or --parameters, print each component with its value for that "
            "design, its unit, and whether the design sets it or it is the general default "
            "(any of them can be overridden in a scenario file)."
        ),
    )
    programmes.add_argument(
        "name", nargs="?", metavar="NAME", help="a design: print its components"
    )
    programmes.add_argument(
        "--parameters",
        action="store_true",
        help="print the components of every design (or of NAME)",
    )
    patterns = sub.add_parser(
        "patterns",
        help="run the validation patterns, under --set overrides if given",
        description=(
            "Run the validation patterns (docs/validation.md), all of them or the named ones, "
            "with every --set override applied to every scenario the patterns build; "
            "programmes.*.FIELD=VALUE sets FIELD in every programme they build (a pattern's "
            "own design, e.g. the hours it varies, wins and is reported). Prints each "
            "pattern's criterion, what was measured, and ok or NO. Exit status 0 when every "
            "pattern holds, 1 when any does not, 2 for bad input."
        ),
    )
    patterns.add_argument("names", nargs="*", metavar="NAME", help="patterns to run (default: all)")
    _add_set(patterns)
    patterns.add_argument(
        "--replicates", type=int, metavar="N", help="replicates of every pattern (at least 2)"
    )
    patterns.add_argument(
        "--posterior",
        metavar="DIR",
        help=(
            "run under a calibration's posterior medians (DIR from wlsim calibrate) and mark "
            "each pattern as in its calibration set or held out"
        ),
    )
    patterns.add_argument(
        "--matrix",
        action="store_true",
        help=(
            "also run every pattern under each mechanism's knockout and each learning rate "
            "x10 (the mechanism x pattern matrix; minutes)"
        ),
    )
    patterns.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write DIR/validation.md and DIR/figures/ (make validation: --report docs --matrix)",
    )
    _add_pilot_parser(sub)
    return parser


def _add_pilot_parser(sub: Any) -> None:
    """``wlsim pilot FILE``: plan a pilot's evaluation (docs/pilots.md)."""
    pilot = sub.add_parser(
        "pilot",
        help="plan a pilot's evaluation: power, the naive comparison's bias, the size needed",
        description=(
            "Simulate a pilot many times as the scenario's [pilot] section describes it (or "
            "the options below): who enrols, for how long, what HR measures. Prints, in "
            "plain language, the chance an evaluation detects the programme's effect, how "
            "far the naive participant-versus-others comparison is from the true effect on "
            "the same people, and how many participants (or weeks) a target power needs; "
            "writes results/<scenario name>-pilot/ with pilot.txt, power.csv, "
            "pilot_runs.csv and figures/power.png."
        ),
    )
    pilot.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_set(pilot)
    options = (
        ("--participants", "n_participants", int, "N", "participants enrolled"),
        ("--weeks", "dur_weeks", int, "W", "weeks from the measurement before to after"),
        ("--outcome", "outcome", str, "WHAT", "rating, survey or retention"),
        ("--domain", "domain", str, "NAME", "rated domain, or job (the job's domains)"),
        ("--enrolment", "enrolment", str, "HOW", "randomised or volunteers"),
        ("--selection-on", "selection_on", str, "WHAT", "engagement or skill_gap (volunteers)"),
        ("--selection-slope", "selection_slope", float, "B", "log odds of enrolling per sd"),
        ("--alpha", "alpha", float, "A", "significance level of the two-sided test"),
        ("--target-power", "target_power", float, "P", "power the size search aims for"),
    )
    for flag, dest, kind, metavar, text in options:
        pilot.add_argument(flag, dest=f"pilot_{dest}", type=kind, metavar=metavar,
                           help=f"{text} (pilot.{dest})")  # fmt: skip
    pilot.add_argument("--replicates", type=int, metavar="N", help="simulated pilots per size")
    pilot.add_argument("--seed", type=int, metavar="S", help="root seed")
    pilot.add_argument(
        "--out", type=Path, metavar="DIR", help="folder (default results/<scenario name>-pilot)"
    )
    pilot.add_argument("--overwrite", action="store_true", help="replace a folder wlsim wrote")
    pilot.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _pilot(args: argparse.Namespace) -> int:
    """Plan a pilot's evaluation: check everything, simulate, print and write the folder."""
    from sim.analysis.summary import wrap_text
    from sim.errors import ScenarioError
    from sim.experiments.folders import check_output
    from sim.experiments.pilotplan import check_plan, run_plan, write_pilot
    from sim.scenario.loading import load_scenario

    # The options are [pilot] values: validated like the file, before anything runs.
    given = {k[len("pilot_") :]: v for k, v in vars(args).items() if k.startswith("pilot_")}
    sets = [f"pilot.{k}={v}" for k, v in given.items() if v is not None]
    scenario = load_scenario(args.scenario, [*args.overrides, *sets])
    if args.replicates is not None and args.replicates < 2:
        raise ScenarioError(f"--replicates {args.replicates}: a power needs at least 2")
    # Every replicate to be run is checked, on the seed to be used, before anything runs.
    plan = check_plan(scenario, str(args.scenario), args.replicates, args.seed)
    out = args.out if args.out is not None else Path("results") / f"{scenario.name}-pilot"
    check_output(out, args.overwrite)
    results = run_plan(plan, progress=False if args.no_progress else None)
    try:
        write_pilot(results, out, overwrite=args.overwrite)
    except OSError as exc:
        print(f"wlsim: error: cannot write the results to {out}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print()
    for paragraph in results.text:
        print(wrap_text(paragraph, 100) + "\n")
    print(f"Power and bias by size and duration: {out}/power.csv; figure: {out}/figures/power.png")
    return 0


def _add_discover(sub: Any) -> None:
    """The ``discover`` subcommand: where one arm beats another over a sweep."""
    discover = sub.add_parser(
        "discover",
        help="where does one arm beat another over a sweep? (rules: CART, PRIM)",
        description=(
            "Scenario discovery over a finished sweep of uncertain parameters: at each "
            "point, the mean paired difference (same seeds) between two arms on a metric; "
            "then, in which regions of the swept parameters the first arm wins, as rules "
            "from a decision tree (CART) and a box from PRIM, each with its coverage (share "
            "of the wins it includes) and density (share of its points that are wins). "
            "Writes discovery.csv, discovery_points.csv, discovery_trajectory.csv, "
            "discovery.md and figures/discovery.png into the folder. See docs/sweeps.md."
        ),
    )
    discover.add_argument("sweep", type=Path, metavar="SWEEP_DIR", help="a wlsim sweep folder")
    discover.add_argument(
        "--arm",
        metavar="A",
        help="the arm whose wins are described (default: the first arm with a programme)",
    )
    discover.add_argument(
        "--versus",
        metavar="B",
        help="the arm it is compared with (default: the control arm, sweep.baseline or the first)",
    )
    discover.add_argument(
        "--metric",
        metavar="M",
        help="end-of-horizon metric (default: the first of sweep.outputs, e.g. mean_skill)",
    )
    discover.add_argument(
        "--threshold",
        type=float,
        default=0.0,
        metavar="T",
        help="A wins where its mean advantage exceeds T, in the metric's units (default 0)",
    )
    discover.add_argument(
        "--min-density",
        type=float,
        default=0.8,
        metavar="D",
        help="PRIM keeps the widest box in which at least this share of points are wins "
        "(default 0.8)",
    )
    discover.add_argument(
        "--no-write", action="store_true", help="print the findings only; write no files"
    )


def _discover(args: argparse.Namespace) -> int:
    from sim.analysis.summary import wrap_text
    from sim.experiments.discover import FILES, discover

    found = discover(
        args.sweep,
        arm=args.arm,
        versus=args.versus,
        metric=args.metric,
        threshold=args.threshold,
        min_density=args.min_density,
        write=not args.no_write,
    )
    for paragraph in found.summary():
        print(wrap_text(paragraph) + "\n")
    print("What this does not show:")
    for caveat in found.caveats():
        print(wrap_text(f"- {caveat}"))
    if not args.no_write:
        print(f"\nWritten to {args.sweep}/: {', '.join(FILES)}")
    return 0


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        dest="overrides",
        help=(
            "override a scenario value by its dotted path, e.g. "
            "--set programmes.mentorship.p_enrol=0.5 (repeatable; validated like the file)"
        ),
    )


def _version() -> str:
    from sim.provenance import wlsim_version

    return wlsim_version()


#: Seconds after which a stop signal that landed in a finalizer is sent again.
RESEND_AFTER_S = 0.05


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``wlsim`` and ``python -m sim``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status: 0 on success (also after ``--help`` and ``--version``), 1 when the
        results cannot be written or a package wlsim needs is missing (numba), 2 on bad
        input (arguments or scenario), 130 when interrupted.
    """
    # Output piped into `head` and closed early ends quietly, as other commands do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage or the help
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    from sim.errors import MissingDependencyError

    previous: dict[int, Handler] = {}
    try:
        if args.command in ("run", "sweep", "rerun", "calibrate", "optimise", "pilot"):
            _prepare(args, previous)
        return _dispatch(args)
    except KeyboardInterrupt:
        print("\nwlsim: interrupted; no results were written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MissingDependencyError as exc:
        print(f"wlsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:  # main() may be called from Python (tests, notebooks): leave nothing behind
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


#: Signals that stop a run: Ctrl-C, and SIGTERM (e.g. from a batch system).
_STOP = (signal.SIGINT, signal.SIGTERM)


def _prepare(args: argparse.Namespace, previous: dict[int, Handler]) -> None:
    """Import what a run needs and load every kernel, then handle Ctrl-C and SIGTERM.

    Until the kernels are loaded a stop signal is only noted, so that no interrupt can
    land inside numba or llvmlite, nor in code that libraries ``exec`` while they are
    imported (see docs/performance.md); one that came meanwhile stops the command as soon
    as they are loaded, here. From then on both raise KeyboardInterrupt: nothing
    half-written is left, and a sweep keeps its finished runs. A signal the process was
    started with ignored (SIGINT of a background job) stays ignored.

    Args:
        args: The parsed command line.
        previous: Filled with the handlers replaced, by signal, for :func:`main` to
            restore (also when this raises).

    Raises:
        KeyboardInterrupt: If a stop signal came while the kernels were loading.
        MissingDependencyError: If numba cannot be imported.
    """
    noted: list[int] = []
    for sig in _STOP:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, lambda signum, frame: noted.append(signum))
    try:
        import pandas  # noqa: F401  (and with it numpy, both used by every run)

        from sim.experiments import output, run  # noqa: F401
        from sim.model.warmup import load_kernels

        if args.command == "sweep":
            from sim.analysis import sensitivity  # noqa: F401
            from sim.experiments import sweep  # noqa: F401
        if not getattr(args, "no_figures", False):
            from sim.analysis import plots, report  # noqa: F401
        if getattr(args, "precision", None):
            from sim.experiments import precision  # noqa: F401
        if not args.no_progress:
            import tqdm.auto  # noqa: F401
        load_kernels()
    finally:
        for stop in previous:
            signal.signal(stop, _raise_interrupt)
    if noted:
        raise KeyboardInterrupt


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """Stop with KeyboardInterrupt (the handler of SIGINT and SIGTERM during a run).

    Python ignores an exception raised inside a finalizer (``__del__``, e.g. pyarrow's
    ParquetWriter closing after a sweep wrote a run's part), so a signal that lands in one
    would be lost and the run would go on: the same signal is sent again a moment later
    instead, when the finalizer is over.
    """
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            threading.Timer(RESEND_AFTER_S, os.kill, (os.getpid(), signum)).start()
            return
        frame = frame.f_back
    raise KeyboardInterrupt


def _dispatch(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError

    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "programmes":
            return _programmes(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "optimise":
            return _optimise(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "discover":
            return _discover(args)
        if args.command == "rerun":
            return _rerun(args)
        if args.command == "dashboard":
            return _dashboard(args)
        if args.command == "patterns":
            return _patterns(args)
        if args.command == "pilot":
            return _pilot(args)
        if args.command == "report":
            from sim.analysis import calibration_report

            if calibration_report.is_calibration_folder(args.results):
                print(f"Report written to {calibration_report.write_report(args.results)}")
                return 0
            from sim.analysis.report import write_report

            print(f"Report written to {write_report(args.results, not args.no_network)}")
            return 0
        return _run(args)
    except ScenarioError as exc:
        print(f"wlsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _validate(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.scenario.loading import load_scenario

    failed = 0
    for path in args.scenarios:
        try:
            sc = load_scenario(path, args.overrides)
        except ScenarioError as exc:
            print(f"wlsim: error: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: ok ({sc.name}: {len(sc.arms)} arms, {sc.replicates} replicates)")
    return EXIT_BAD_INPUT if failed else 0


def _run(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.experiments.folders import check_output, lock
    from sim.experiments.output import write_results
    from sim.experiments.run import resolve_run, run_scenario
    from sim.scenario.loading import load_scenario

    # Check every input, then the output folder, before spending time on the runs.
    scenario = load_scenario(args.scenario, args.overrides)
    scenario, arms = resolve_run(
        scenario, args.arm, args.replicates, args.seed, source=str(args.scenario)
    )
    targets = _targets(args.precision)
    plan = None
    if args.posterior is not None:
        from sim.experiments.posterior import plan_draws

        if args.precision:
            raise ScenarioError(
                "--precision cannot be combined with --posterior: replicates come in "
                "posterior draws; choose --replicates and --posterior-draws instead"
            )
        plan = plan_draws(scenario, args.posterior, args.posterior_draws, str(args.scenario))
    elif args.posterior_draws is not None:
        raise ScenarioError("--posterior-draws needs --posterior DIR (a calibration folder)")
    out = args.out if args.out is not None else Path("results") / scenario.name
    check_output(out, args.overwrite)
    progress = False if args.no_progress else None
    try:
        with lock(out):  # held from before the runs until the folder is in place
            if args.precision:
                from sim.experiments.precision import run_until_precise

                results, comparison = run_until_precise(
                    scenario, targets, args.max_replicates, arms=arms, progress=progress
                )
                print(f"Stopped at {results.scenario.replicates} replicates; worst CI half-widths:")
                print(comparison.groupby("metric")["half_width"].max().to_string())
            else:
                posterior = plan.posterior if plan is not None else None
                draws = plan.n_draws if plan is not None else None
                results = run_scenario(
                    scenario,
                    arms=arms,
                    progress=progress,
                    posterior=posterior,
                    posterior_draws=draws,
                    source=str(args.scenario),
                )
            write_results(
                results,
                out,
                overwrite=args.overwrite,
                figures=not args.no_figures,
                report=not (args.no_figures or args.no_report),
            )
    except OSError as exc:
        print(f"wlsim: error: cannot write the results to {out}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sc = results.scenario
    print(
        f"\n{sc.name}: {len(results.metadata['arms'])} arms x {sc.replicates} replicates, "
        f"{sc.horizon_weeks} weeks, {sc.organisation.n_employees} employees, seed {sc.seed}"
    )
    print(f"Wall time {results.metadata['wall_time_seconds']} s.")
    print(_run_report(results))
    if results.uncertainty is not None:
        print(_uncertainty_report(results))
    print(f"\nResults written to {out}/")
    return 0


def _run_report(results: Any) -> str:
    """What ``wlsim run`` prints: the conclusion, then the table, within 120 columns."""
    from sim.analysis.conclusion import conclude
    from sim.analysis.summary import wrap_by_arm, wrap_text
    from sim.model.metrics import HEADLINE

    sc = results.scenario
    paragraphs = conclude(results.timeseries, results.effects, sc.costs.currency)
    text = ["", "In short:", *(wrap_text(p) + "\n" for p in paragraphs)]
    text.append(
        wrap_text(
            f"End of horizon, mean [95% CI] over replicates; money in {sc.costs.currency}. "
            "retention_participants against retention_nonparticipants compares different "
            "people, not the programme's effect:"
        )
    )
    metrics = (*HEADLINE, "programme_cost", "cost_per_participant")
    text.append(wrap_by_arm(results.table(metrics).T))
    return "\n".join(text)


def _uncertainty_report(results: Any) -> str:
    """What ``wlsim run --posterior`` adds: the probability of beating the control arm."""
    from sim.analysis.summary import wrap_by_arm, wrap_text
    from sim.analysis.uncertainty import format_beating

    table = results.uncertainty
    if table.empty:
        return "\nOne arm only: no arm to compare with under parameter uncertainty."
    post = results.metadata["posterior"]
    baseline = str(table["baseline"].iloc[0])
    lines = [
        "",
        wrap_text(
            f"Parameter uncertainty ({post['draws']} posterior draws x "
            f"{post['replicates_per_draw']} replicates, from {post['source']}): P = share of "
            f"draws whose mean paired difference from {baseline} favours the arm (higher is "
            "better, lower for costs, quits and time to proficiency), then that mean "
            "difference averaged over draws [90% credible interval]. Every pair of arms is "
            "in uncertainty.csv."
        ),
    ]
    if post["replicates_per_draw"] == 1:
        lines.append(
            wrap_text(
                "With one replicate per draw, replicate noise counts as parameter "
                "uncertainty; use --posterior-draws K with fewer draws than replicates."
            )
        )
    lines.append(wrap_by_arm(format_beating(table, baseline)))
    return "\n".join(lines)


def _programmes(args: argparse.Namespace) -> int:
    """List the designs, or print the components of one (or all) of them; runs no model."""
    from sim.errors import did_you_mean
    from sim.scenario.designs import DESIGNS

    if args.name is not None and args.name not in DESIGNS:
        hint = did_you_mean(args.name, DESIGNS, n=3)
        print(
            f"wlsim: error: unknown programme design {args.name!r}{hint}; "
            f"designs: {', '.join(DESIGNS)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.name is None and not args.parameters:
        width = max(map(len, DESIGNS))
        for name, design in DESIGNS.items():
            print(f"{name:<{width}}  {design.summary}")
        print("\nRun 'wlsim programmes NAME' for the components of a design and their values.")
        return 0
    names = [args.name] if args.name is not None else list(DESIGNS)
    for i, name in enumerate(names):
        if i:
            print()
        _print_design(name)
    return 0


def _print_design(name: str) -> None:
    """Print a design's components: its value, who sets it (design or default), unit."""
    from sim.scenario.designs import DESIGNS
    from sim.scenario.schema import Programme

    design = DESIGNS[name]
    resolved = Programme.model_validate({"kind": name})
    header = ("component", "value", "set by", "unit")
    rows = [
        (
            field,
            _show(getattr(resolved, field)),
            "design" if field in design.preset else "default",
            str(info.json_schema_extra.get("unit", ""))
            if isinstance(info.json_schema_extra, dict)
            else "",
        )
        for field, info in Programme.model_fields.items()
        if field != "kind"
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]
    print(f"{name}: {design.summary}\n")
    for row in (header, *rows):
        cells = [f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)]
        print("  " + "  ".join([*cells, row[3]]))
    n_set = sum(row[2] == "design" for row in rows)
    print(
        f"\n  The design sets {n_set} of {len(rows)} components; the others are the general "
        "defaults (docs/parameters.md).\n  A scenario may override any of them under "
        f'[programmes.X] with kind = "{name}".'
    )


def _show(value: object) -> str:
    """A component value as it would be written in a scenario file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1e5 else repr(value)
    return str(value)


def _targets(exprs: Sequence[str]) -> dict[str, float]:
    from sim.errors import ScenarioError

    targets = {}
    for expr in exprs:
        name, _, value = expr.partition("=")
        try:
            targets[name.strip()] = float(value)
        except ValueError:
            raise ScenarioError(
                f"--precision {expr!r}: expected METRIC=HALFWIDTH, e.g. mean_skill=0.002"
            ) from None
        if not targets[name.strip()] > 0:
            raise ScenarioError(f"--precision {expr!r}: the half-width must be positive")
    return targets


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments.sweep import make_executor, run_sweep
    from sim.files import atomic_write

    scenario, out, again = _long_job(args, "")
    try:
        with make_executor(args.workers, args.scheduler) as executor:
            result = run_sweep(
                scenario,
                out,
                executor=executor,
                resume=args.resume,
                overwrite=args.overwrite,
                progress=False if args.no_progress else None,
                source=str(args.scenario),
                posterior=args.posterior,
                posterior_draws=args.posterior_draws,
            )
    except KeyboardInterrupt:
        if (out / "plan.parquet").exists():
            print(
                f"\nwlsim: interrupted; finished runs are kept in {out}/. Continue with: {again}",
                file=sys.stderr,
            )
        else:
            print(
                "\nwlsim: interrupted before the sweep started; nothing was written",
                file=sys.stderr,
            )
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(
            f"wlsim: error: cannot write the sweep to {out}: {exc}. Finished runs are kept; "
            f"once the problem is fixed (free disk space, say), continue with: {again}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    for note in result.notes:
        print(f"wlsim: warning: {note}", file=sys.stderr)
    print(f"{scenario.name}: {result.n_done} of {result.n_runs} runs finished in {out}/")
    if scenario.sweep.method in ("morris", "sobol") and result.n_done == result.n_runs:
        from sim.analysis import sensitivity

        indices = sensitivity.analyse(result.runs, scenario)
        atomic_write(out / "sensitivity.csv", indices.to_csv(index=False).encode())
        sensitivity.plot(indices, out / "figures" / "sensitivity.png")
        print(
            f"Sensitivity indices (levels, and effects vs {sensitivity.control_arm(scenario)}): "
            f"{out / 'sensitivity.csv'}, figure {out / 'figures' / 'sensitivity.png'}"
        )
    if scenario.sweep.method == "grid" and result.n_done == result.n_runs and result.n_runs:
        from sim.analysis import grid

        best = grid.best_points(result.runs, scenario)
        atomic_write(out / "best_points.csv", best.to_csv(index=False).encode())
        grid.plot(result.runs, scenario, out / "figures" / "sweep.png")
        print(
            f"Metrics against each swept parameter: {out / 'figures' / 'sweep.png'}; "
            f"best point per metric and arm, and whether it is within noise: "
            f"{out / 'best_points.csv'}"
        )
    if args.posterior is not None and result.n_done == result.n_runs and result.n_runs:
        from sim.analysis.sensitivity import control_arm
        from sim.analysis.uncertainty import by_point
        from sim.experiments.sweep import swept_parameters

        baseline = control_arm(scenario)
        table = by_point(result.runs, baseline, parameters=swept_parameters(out))
        atomic_write(out / "uncertainty.csv", table.to_csv(index=False).encode())
        print(
            f"Probability that each arm beats {baseline} at each point, over the posterior "
            f"draws, with 90% credible intervals: {out / 'uncertainty.csv'}"
        )
    if result.failed:
        print(
            f"wlsim: {len(result.failed)} of {result.n_runs} runs failed (see {out}/manifest.csv "
            f"and log.jsonl); rerun them with --resume",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibrate import run_calibration
    from sim.experiments.sweep import make_executor

    scenario, out, again = _long_job(args, "-calibration")
    try:
        with make_executor(args.workers, args.scheduler) as executor:
            result = run_calibration(
                scenario,
                out,
                executor=executor,
                resume=args.resume,
                overwrite=args.overwrite,
                progress=False if args.no_progress else None,
                source=str(args.scenario),
            )
    except KeyboardInterrupt:
        if (out / "calibration.db").exists():
            print(
                f"\nwlsim: interrupted; finished generations are kept in {out}/. Continue "
                f"with: {again}",
                file=sys.stderr,
            )
        else:
            print("\nwlsim: interrupted before the calibration started", file=sys.stderr)
        return EXIT_INTERRUPTED
    gens = result.generations
    print(
        f"{scenario.name}: {len(gens)} generations, {result.simulations:,} simulations "
        "(with the sample from the prior that sets the first tolerance)"
    )
    print(gens.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    post = result.posterior
    from sim.analysis.posterior import priors_frame, summary

    print("\nPosterior (weighted mean, median and 90% interval):")
    for row in summary(post, priors_frame(scenario.calibration.parameters)).itertuples():
        print(
            f"  {row.parameter}: mean {row.mean:.4g}, median {row.median:.4g}, "
            f"90% interval [{row.q05:.4g}, {row.q95:.4g}]"
        )
    print(f"\nPosterior, diagnostics, predictive check and report.html in {out}/")
    return 0


def _add_optimise(sub: Any) -> None:
    """The ``wlsim optimise`` subcommand (issue 20): the best design within a budget."""
    opt = sub.add_parser(
        "optimise",
        help="find the best programme design within a budget ([optimise], Optuna)",
        description=(
            "Search the levers of the scenario's [optimise] section for the designs that do "
            "best on its objectives (paired differences from the baseline arm, on the same "
            "seeds) within its constraints. Writes trials.csv, the Pareto front (front.csv, "
            "figures/front.png), each design on the front as a scenario file, and a "
            "recommendation; --resume continues an interrupted study with the same result. "
            "See docs/optimise.md."
        ),
    )
    opt.add_argument("scenario", type=Path, help="scenario file (TOML) with [optimise]")
    _add_set(opt)
    opt.add_argument(
        "--out", type=Path, metavar="DIR", help="folder (default: results/<scenario name>-optimise)"
    )
    opt.add_argument(
        "--workers", type=int, default=1, metavar="N", help="local worker processes (default 1)"
    )
    opt.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786 (needs wlsim[cluster])",
    )
    opt.add_argument(
        "--posterior",
        type=Path,
        metavar="DIR",
        help="a calibration folder: objectives are expectations over its posterior draws",
    )
    opt.add_argument(
        "--resume", action="store_true", help="continue the interrupted optimisation in the folder"
    )
    opt.add_argument("--overwrite", action="store_true", help="replace the folder if it exists")
    opt.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def _optimise(args: argparse.Namespace) -> int:
    from sim.experiments.optimise import JOURNAL, run_optimisation
    from sim.experiments.sweep import make_executor

    scenario, out, again = _long_job(args, "-optimise")
    try:
        with make_executor(args.workers, args.scheduler) as executor:
            result = run_optimisation(
                scenario,
                out,
                executor=executor,
                resume=args.resume,
                overwrite=args.overwrite,
                progress=False if args.no_progress else None,
                source=str(args.scenario),
                overrides=args.overrides,
                posterior=args.posterior,
            )
    except KeyboardInterrupt:
        if (out / JOURNAL).exists():
            print(
                f"\nwlsim: interrupted; the designs scored so far are kept in {out}/. "
                f"Continue with: {again}",
                file=sys.stderr,
            )
        else:
            print("\nwlsim: interrupted before the optimisation started", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{scenario.name}: {len(result.trials)} designs tried in {result.seconds:.0f} s\n")
    print(result.text)
    print(
        f"\nTrials, the front (front.csv, figures/front.png), the designs on it as scenario "
        f"files (designs/) and the recommendation are in {out}/"
    )
    return 0


def _long_job(args: argparse.Namespace, suffix: str) -> tuple[Any, Path, str]:
    """Load the scenario of a sweep or calibration and check its workers and memory.

    Returns:
        The scenario, the output folder (``--out``, or ``results/<name><suffix>``) and
        the command that resumes the job.

    Raises:
        ScenarioError: If the scenario is invalid, ``--workers`` is below 1 or the
            workers would need more memory than is available.
    """
    from sim.errors import ScenarioError
    from sim.scenario.loading import load_scenario
    from sim.scenario.resources import check_memory

    scenario = load_scenario(args.scenario, args.overrides)
    if args.workers < 1:
        raise ScenarioError(f"--workers {args.workers}: must be at least 1")
    check_memory(scenario, args.workers, source=str(args.scenario))
    out = args.out if args.out is not None else Path("results") / f"{scenario.name}{suffix}"
    return scenario, out, _resume_command(args, out)


def _resume_command(args: argparse.Namespace, out: Path) -> str:
    """The command that continues this sweep or calibration: same file, options and folder."""
    import shlex

    words = ["wlsim", args.command, str(args.scenario)]
    for override in args.overrides:
        words += ["--set", override]
    if getattr(args, "posterior", None) is not None:
        words += ["--posterior", str(args.posterior)]
    if getattr(args, "posterior_draws", None) is not None:
        words += ["--posterior-draws", str(args.posterior_draws)]
    words += ["--out", str(out), "--resume"]
    if args.workers > 1:
        words += ["--workers", str(args.workers)]
    if args.scheduler:
        words += ["--scheduler", args.scheduler]
    return shlex.join(words)


def _compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.analysis.compare import end_of_horizon, paired_differences
    from sim.errors import ScenarioError
    from sim.experiments.sweep import swept_parameters
    from sim.files import atomic_write

    folder = args.results
    parameters: list[str] = []
    if (folder / "runs.parquet").exists():
        runs = pd.read_parquet(folder / "runs.parquet")
        if (folder / "plan.parquet").exists():
            parameters = swept_parameters(folder)
    elif (folder / "timeseries.parquet").exists():
        runs = end_of_horizon(pd.read_parquet(folder / "timeseries.parquet"))
    else:
        raise ScenarioError(
            f"{folder}: not a results folder (no runs.parquet or timeseries.parquet)"
        )
    if runs.empty:
        raise ScenarioError(f"{folder}: no finished runs to compare (see manifest.csv)")
    table = paired_differences(runs, args.baseline, args.metric or None, parameters=parameters)
    atomic_write(folder / "comparison.csv", table.to_csv(index=False).encode())
    cols = ["point", *parameters, "arm", "metric", "mean_diff", "ci_low", "ci_high", "n"]
    shown = table[[c for c in cols if c in table]]
    # Parameter values as in the scenario (integers stay integers; floats to 6 digits).
    formats = {p: "{:.6g}".format for p in parameters if shown[p].dtype.kind == "f"}
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(shown.to_string(index=False, formatters=formats, float_format=lambda x: f"{x:.4g}"))
    if (table["n"] < 2).any():
        print(
            "\nNaN: fewer than 2 replicates paired (n), or the metric has no value in an "
            "arm (e.g. participants' retention without a programme)"
        )
    print(f"\nWritten to {folder / 'comparison.csv'}")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    from sim.experiments.rerun import rerun

    report = rerun(
        args.results, args.out, args.overwrite, progress=False if args.no_progress else None
    )
    for warning in report.warnings:
        print(f"wlsim: warning: {warning}", file=sys.stderr)
    if report.identical:
        print(f"Rerun written to {report.folder}/: results identical to {args.results}/")
        return 0
    print(
        f"wlsim: rerun written to {report.folder}/, but these files differ from "
        f"{args.results}/: {', '.join(report.differing)}",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _dashboard(args: argparse.Namespace) -> int:
    from sim.errors import MissingDependencyError

    try:
        from sim.app.dashboard import serve
    except MissingDependencyError:
        raise
    except ImportError as exc:
        print(
            f"wlsim: error: the dashboard needs the optional viz dependencies ({exc.name} "
            "is not installed); install them with: pip install -e '.[viz]'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.scenario is not None and args.scenario_option is not None:
        print(
            "wlsim: error: give the scenario once, as SCENARIO or as --scenario",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return serve(
        args.scenario if args.scenario is not None else args.scenario_option,
        host=args.host,
        port=args.port,
        open_browser=args.open_browser,
        arm=args.arm,
        story_name=args.story,
    )


def _patterns(args: argparse.Namespace) -> int:
    """Run the validation patterns (and the mechanism matrix) under the overrides."""
    import textwrap

    from sim.errors import ScenarioError
    from sim.experiments import validation

    # Every input is checked before anything runs.
    names = validation.pattern_names(args.names)
    validation.Overrides.parse(args.overrides)
    if args.replicates is not None and args.replicates < 2:
        raise ScenarioError(
            f"--replicates {args.replicates}: the patterns need at least 2 (their criteria "
            "are confidence intervals over replicates)"
        )
    if args.matrix and args.names:
        raise ScenarioError("--matrix runs every pattern; give no pattern names with it")
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise ScenarioError(f"--report {args.report}: not a folder")
    cal = None
    if args.posterior is not None:
        cal = validation.calibrated(args.posterior, args.overrides)
        validation.Overrides.parse(cal.overrides)
        print(f"Under the posterior medians of {args.posterior}: {' '.join(cal.overrides)}")
        print(
            "Calibration set (its evidence was fitted): "
            f"{', '.join(cal.fitted) or 'none of the patterns'}; the others are held out.\n"
        )
    overrides = [*args.overrides, *(cal.overrides if cal else ())]

    def wrap(label: str, text: str) -> str:
        return textwrap.fill(
            text, width=100, initial_indent=f"  {label:<10}", subsequent_indent=" " * 12
        )

    findings = validation.run_patterns(names, overrides, args.replicates)
    for f in findings:
        role = f" [{cal.role(f.key)}]" if cal else ""
        print(f"{'ok' if f.passed else 'NO'}  {f.key}: {f.title}{role}")
        print(wrap("criterion", f.criterion))
        print(wrap("measured", f.measured))
        if f.shadowed:
            print(wrap("note", f"this pattern sets itself what {', '.join(f.shadowed)} sets"))
    held = [f.key for f in findings if f.passed]
    failed = [f.key for f in findings if not f.passed]
    under = f" under {' '.join(overrides)}" if overrides else ""
    print(
        f"\n{len(held)} of {len(findings)} patterns hold{under}"
        + (f"; not holding: {', '.join(failed)}" if failed else "")
    )
    if cal:
        out = [f for f in findings if f.key not in cal.fitted]
        missed = [f.key for f in out if not f.passed]
        print(
            f"Held out (never fitted): {len(out) - len(missed)} of {len(out)} hold"
            + (f"; not holding: {', '.join(missed)}" if missed else "")
        )
    matrix = None
    if args.matrix:
        print("\nMechanism x pattern matrix (every pattern under each perturbation):")

        def row(name: str, fs: list[validation.Finding]) -> None:
            bad = [f.key for f in fs if not f.passed]
            print(f"  {name}: {'fails ' + ', '.join(bad) if bad else 'all hold'}", flush=True)

        matrix = validation.mechanism_matrix(args.replicates, overrides, progress=row)
        free = ", ".join(matrix.unconstrained()) or "none"
        print(f"\nUnconstrained (breaks no pattern the defaults reproduce): {free}")
    if args.report is not None:
        try:
            path = validation.write_report(findings, args.report, matrix, overrides)
        except OSError as exc:
            # Not "a pattern failed" (exit 1): make validation must stop on it.
            print(f"wlsim: error: cannot write the report to {args.report}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"Report written to {path}")
    return 0 if not failed else EXIT_FAILED
