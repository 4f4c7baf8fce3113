"""Re-running a results folder exactly, and checking that the same code ran it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.experiments.folders import check_output, lock
from sim.experiments.output import write_results
from sim.experiments.run import run_scenario
from sim.files import read_text
from sim.provenance import git_commit, wlsim_version
from sim.scenario.loading import load_resolved
from sim.scenario.orgdata import DataError, data_provenance
from sim.scenario.schema import Scenario

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

    Every input, and the output folder, is checked before anything runs.

    Args:
        results: A folder written by ``wlsim run``.
        out: Where to write the new results (default: ``<results>-rerun``).
        overwrite: Replace ``out`` if it exists.
        progress: Show a progress bar.

    Returns:
        The report: version warnings and any result file that differs.

    Raises:
        ScenarioError: If the folder is not a complete results folder (a file missing,
            unreadable or damaged), or ``out`` exists and ``overwrite`` is false.
    """
    results = Path(results)
    missing = [name for name in (*COMPARED, "metadata.json") if not (results / name).is_file()]
    if missing:
        raise ScenarioError(
            f"{results}: not a complete results folder: no {', '.join(missing)} (a rerun "
            f"needs metadata.json and {', '.join(COMPARED)}, as wlsim run writes them, to "
            "run the same scenario and compare the results); rerun a folder that wlsim run "
            "wrote, or run the scenario again with wlsim run"
        )
    meta_path = results / "metadata.json"
    meta = read_metadata(meta_path)
    scenario = _read_scenario(results / "scenario.resolved.toml")
    arms = _recorded_arms(meta, scenario, meta_path)
    out = Path(out) if out is not None else _default_out(results)
    check_output(out, overwrite)
    warnings = version_warnings(meta)
    then_data, now_data = meta.get("data"), data_provenance(scenario)
    if isinstance(then_data, dict) and now_data:
        for key, name in (("sha256", "source"), ("network_sha256", "network")):
            if then_data.get(key) != now_data.get(key):
                changed = now_data.get(name) or then_data.get(name)
                warnings.append(f"organisation data changed since the run: {changed}")
    posterior, draws = _recorded_posterior(meta, results, meta_path)
    with lock(out):  # from before the runs until the folder is in place
        fresh = run_scenario(
            scenario, arms=arms, progress=progress, posterior=posterior, posterior_draws=draws
        )
        write_results(fresh, out, overwrite=overwrite, figures=(results / "figures").is_dir())
    compared = (*COMPARED, "posterior_draws.parquet") if posterior is not None else COMPARED
    differing = [
        name for name in compared if (results / name).read_bytes() != (out / name).read_bytes()
    ]
    return RerunReport(out, warnings, differing)


def read_metadata(path: Path) -> dict[str, Any]:
    """Read a results folder's ``metadata.json``.

    Args:
        path: The file.

    Returns:
        The metadata (a JSON object).

    Raises:
        ScenarioError: If the file cannot be read, is not JSON, or is not a JSON object;
            the message names the file, what is wrong and where.
    """
    fix = "the results folder is damaged; rerun a complete copy of it, or run the scenario again"
    try:
        text = read_text(path, fix)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the file ({exc.strerror}); {fix}") from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); {fix}"
        ) from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid metadata (nested too deeply); {fix}") from None
    if not isinstance(meta, dict):
        raise ScenarioError(
            f"{path}: expected a JSON object ({{...}}) of run metadata, found "
            f"{_json_kind(meta)}; {fix}"
        )
    return meta


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


def _read_scenario(path: Path) -> Scenario:
    """The scenario a results folder recorded, or an error that says it is damaged."""
    try:
        return load_resolved(path)
    except DataError:
        raise  # the organisation data it names, not the folder, is what to fix
    except ScenarioError as exc:
        raise ScenarioError(
            f"{exc}\n  {path.parent}: the results folder's scenario cannot be read, so it "
            "cannot be rerun; run the original scenario file again with wlsim run"
        ) from None


def _recorded_arms(meta: dict[str, Any], scenario: Scenario, path: Path) -> list[str] | None:
    """The arms the original run ran (None: all), checked against its scenario."""
    arms = meta.get("arms")
    if arms is None:
        return None
    if not isinstance(arms, list) or not all(isinstance(a, str) for a in arms):
        raise ScenarioError(
            f"{path}: arms = {_short(arms)}: expected a list of arm names; the results "
            "folder is damaged; run the scenario again with wlsim run"
        )
    unknown = [a for a in arms if a not in scenario.arms]
    if unknown:
        raise ScenarioError(
            f"{path}: arms = {_short(arms)}: {unknown} not in the folder's "
            f"scenario.resolved.toml (arms: {', '.join(scenario.arms)}); the results folder "
            "is damaged; run the scenario again with wlsim run"
        )
    return arms


def _recorded_posterior(meta: dict[str, Any], results: Path, path: Path) -> tuple[Any, int | None]:
    """The posterior a run was made over (the copy in its folder) and its draws, if any."""
    post = meta.get("posterior")
    if post is None:
        return None, None
    draws = post.get("draws") if isinstance(post, dict) else None
    if not isinstance(draws, int) or not (results / "posterior.parquet").is_file():
        raise ScenarioError(
            f"{path}: the run was made over a posterior, but the folder's posterior.parquet "
            "or the number of draws is missing; the results folder is damaged; run the "
            "scenario again with wlsim run --posterior"
        )
    from sim.experiments.posterior import load_posterior

    return load_posterior(results), draws  # the copy of the particles in the folder


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _default_out(results: Path) -> Path:
    """``<results>-rerun`` beside the folder (also for ``.`` or ``..``, which have no name)."""
    folder = results if results.name not in ("", ".", "..") else results.resolve()
    return folder.with_name(f"{folder.name}-rerun")
