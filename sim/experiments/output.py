"""Writing a results folder atomically: all files appear together, or none do.

The folder protocol (marker, lock, rename into place) is :mod:`sim.experiments.folders`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sim.experiments.folders import check_output, lock, new_folder, publish
from sim.experiments.run import Results
from sim.scenario.loading import dump_scenario


def write_results(
    results: Results,
    out: str | Path,
    overwrite: bool = False,
    figures: bool = True,
    report: bool = False,
) -> Path:
    """Write a results folder: time series, summary, effects, figures, scenario, metadata.

    A run over a posterior also writes ``posterior_draws.parquet`` (each replicate's
    draw and parameter values), ``posterior.parquet`` (the particles drawn from) and
    ``uncertainty.csv`` (the probability that each arm beats each other arm).

    Files are written into a hidden sibling folder that is renamed into place at the end,
    so an interrupted write never leaves a half-written results folder; the target is
    locked meanwhile, and ``overwrite`` replaces only a folder wlsim wrote.

    Args:
        results: What :func:`sim.run_scenario` returned.
        out: The results folder to create.
        overwrite: Replace an existing folder instead of refusing.
        figures: Also draw the PNG figures.
        report: Also write ``report.html`` (see :mod:`sim.analysis.report`).

    Returns:
        The results folder.

    Raises:
        ScenarioError: If the folder exists and ``overwrite`` is false, is not wlsim's,
            is being written by another process, or cannot be written.
    """
    out = Path(out)
    check_output(out, overwrite)  # before the lock touches the disk: the clearest message
    with lock(out):
        check_output(out, overwrite)  # again: another process may have written it meanwhile
        tmp = new_folder(out, "results")
        try:
            _write_files(results, tmp, figures, report)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        publish(tmp, out, overwrite)
    return out


def _write_files(results: Results, tmp: Path, figures: bool, report: bool) -> None:
    results.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
    results.summary.to_csv(tmp / "summary.csv", index=False)
    if results.survival is not None:
        results.survival.to_parquet(tmp / "survival.parquet", index=False)
    if results.effects is not None:
        # Written even when empty (no control arm), so its columns are always documented.
        results.effects.to_csv(tmp / "effects.csv", index=False)
    if results.cohort is not None and not results.cohort.empty:
        results.cohort.to_parquet(tmp / "cohort.parquet", index=False)
    if results.posterior_draws is not None:
        # A run over a posterior: what each replicate ran under, the particles drawn
        # from (so that wlsim rerun needs no calibration folder) and the probabilities.
        results.posterior_draws.to_parquet(tmp / "posterior_draws.parquet", index=False)
    if results.posterior is not None:
        results.posterior.to_parquet(tmp / "posterior.parquet", index=False)
    if results.uncertainty is not None:
        results.uncertainty.to_csv(tmp / "uncertainty.csv", index=False)
    (tmp / "scenario.resolved.toml").write_text(dump_scenario(results.scenario))
    (tmp / "metadata.json").write_text(json.dumps(results.metadata, indent=2) + "\n")
    if figures:
        from sim.analysis.plots import save_figures

        org = results.scenario.organisation
        save_figures(
            results.timeseries,
            tmp / "figures",
            results.survival,
            list(org.domains),
            list(org.levels),
        )
    if report:
        from sim.analysis.report import build

        (tmp / "report.html").write_text(build(tmp), encoding="utf-8")
