"""Re-running a results folder exactly, and checking that the same code ran it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import ScenarioError
from sim.experiments.output import write_results
from sim.experiments.run import run_scenario
from sim.provenance import git_commit, wlsim_version
from sim.scenario.loading import load_scenario
from sim.scenario.orgdata import data_provenance

#: Files whose bytes must be equal for a rerun to count as identical (metadata.json
#: holds times and is left out).
COMPARED = ("timeseries.parquet", "summary.csv", "scenario.resolved.toml")


@dataclass
class RerunReport:
    """What a rerun found.

    Attributes:
        folder: The new results folder.
        warnings: Differences of code or data version from the original run.
        differing: Result files whose bytes differ from the original's.
    """

    folder: Path
    warnings: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Whether every compared file is byte-identical."""
        return not self.differing


def version_warnings(meta: dict) -> list[str]:
    """Differences between the code and data that made a results folder and today's."""
    warnings = []
    if meta.get("wlsim_version") != wlsim_version():
        warnings.append(
            f"wlsim version differs: results made with {meta.get('wlsim_version')}, "
            f"this is {wlsim_version()}"
        )
    then, now = meta.get("git_commit"), git_commit()
    if then and now and then != now:
        warnings.append(f"code differs: results made at commit {then}, this is {now}")
    return warnings


def rerun(
    results: str | Path,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> RerunReport:
    """Run a results folder's scenario again, with its arms, replicates and seed.

    Args:
        results: A folder written by ``wlsim run``.
        out: Where to write the new results (default: ``<results>-rerun``).
        overwrite: Replace ``out`` if it exists.
        progress: Show a progress bar.

    Returns:
        The report: version warnings and any result file that differs.

    Raises:
        ScenarioError: If the folder is not a complete results folder.
    """
    results = Path(results)
    meta_path = results / "metadata.json"
    scenario_path = results / "scenario.resolved.toml"
    if not meta_path.is_file() or not scenario_path.is_file():
        raise ScenarioError(
            f"{results}: not a complete results folder (needs metadata.json and "
            "scenario.resolved.toml, written by wlsim run)"
        )
    meta = json.loads(meta_path.read_text())
    scenario = load_scenario(scenario_path)
    warnings = version_warnings(meta)
    then_data, now_data = meta.get("data"), data_provenance(scenario)
    if then_data and now_data and then_data.get("sha256") != now_data.get("sha256"):
        warnings.append(f"organisation data changed since the run: {now_data['source']}")
    out = Path(out) if out is not None else results.with_name(f"{results.name}-rerun")
    fresh = run_scenario(scenario, arms=meta.get("arms"), progress=progress)
    write_results(fresh, out, overwrite=overwrite, figures=(results / "figures").is_dir())
    differing = [
        name
        for name in COMPARED
        if (results / name).is_file() and (results / name).read_bytes() != (out / name).read_bytes()
    ]
    return RerunReport(out, warnings, differing)
