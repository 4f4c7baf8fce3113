"""Writing a results folder atomically: all files appear together, or none do."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sim.errors import ScenarioError
from sim.experiments.run import Results
from sim.scenario.loading import dump_scenario


def write_results(
    results: Results,
    out: str | Path,
    overwrite: bool = False,
    figures: bool = True,
    report: bool = False,
) -> Path:
    """Write a results folder: time series, summary, figures, resolved scenario, metadata.

    Files are written into a temporary sibling folder that is renamed into place at the
    end, so an interrupted write never leaves a half-written results folder.

    Args:
        results: What :func:`sim.run_scenario` returned.
        out: The results folder to create.
        overwrite: Replace an existing folder instead of refusing.
        figures: Also draw the PNG figures.
        report: Also write ``report.html`` (see :mod:`sim.analysis.report`).

    Returns:
        The results folder.

    Raises:
        ScenarioError: If the folder exists and ``overwrite`` is false, or cannot be
            written.
    """
    out = Path(out)
    check_output(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    try:
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are for sharing
        results.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        results.summary.to_csv(tmp / "summary.csv", index=False)
        if results.survival is not None:
            results.survival.to_parquet(tmp / "survival.parquet", index=False)
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
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _remove_stale_partials(out: Path) -> None:
    """Remove temporary folders that killed runs left behind (their process is gone)."""
    for tmp in out.parent.glob(f".{out.name}.partial-*"):
        pid_text = tmp.name.removeprefix(f".{out.name}.partial-").split("-", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse an output folder that exists (unless overwriting) or cannot be created.

    Raises:
        ScenarioError: With what to do instead.
    """
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a folder")
    if out.exists() and not overwrite:
        raise ScenarioError(
            f"--out {out}: the results folder already exists; pass --overwrite to replace "
            "it, or choose another folder with --out"
        )
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioError(f"--out {out}: cannot write in {parent} (permission denied)")
