"""Global sensitivity analysis of a sweep: Morris screening and Sobol indices (SALib).

The sweep samples the ``ranges`` of its ``[sweep]`` section with SALib's Morris or Sobol
design; every point runs every arm for every replicate. Replicates are averaged per
point (the indices describe the expected output), then SALib's analysers give the
indices with bootstrap confidence intervals, per arm and per output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.scenario.schema import Scenario

#: Spawn key of the stream that samples a sweep's points (apart from every run's
#: streams); the analysis seeds SALib's bootstrap from it too, so indices reproduce.
SAMPLING_KEY = 2**31 - 1


def salib_problem(names: list[str], bounds: np.ndarray) -> dict[str, Any]:
    """A SALib problem definition."""
    return {"num_vars": len(names), "names": names, "bounds": np.asarray(bounds).tolist()}


def analyse(runs: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Sensitivity indices of the sweep's outputs to its ranged parameters.

    Args:
        runs: The sweep's run table (``runs.parquet``).
        scenario: The scenario the sweep ran (its ``[sweep]`` section).

    Returns:
        Tidy table: ``arm``, ``output``, ``parameter``, ``index`` (``mu_star``, ``sigma``
        for Morris; ``S1``, ``ST`` for Sobol), ``value``, ``conf`` (95% half-width).

    Raises:
        ScenarioError: If the sweep's method is not 'morris' or 'sobol', or runs are
            missing (the indices need every point).
    """
    sweep = scenario.sweep
    if sweep.method not in ("morris", "sobol"):
        raise ScenarioError(
            f"sensitivity analysis needs method 'morris' or 'sobol', not {sweep.method!r}"
        )
    names = list(sweep.ranges)
    bounds = np.array([sweep.ranges[n] for n in names], dtype=float)
    problem = salib_problem(names, bounds)
    seed = int(
        np.random.SeedSequence(scenario.seed, spawn_key=(SAMPLING_KEY,)).generate_state(1)[0]
    )
    rows = []
    for arm, sub in runs.groupby("arm", sort=False):
        means = sub.groupby("point")[list(sweep.outputs)].mean().sort_index()
        n_points = int(runs["point"].max()) + 1
        if len(means) != n_points:
            raise ScenarioError(
                f"sensitivity: arm {arm!r} has {len(means)} of {n_points} points finished; "
                "resume the sweep first"
            )
        x = sub.groupby("point")[names].first().sort_index().to_numpy(dtype=float)
        for output in sweep.outputs:
            y = means[output].to_numpy(dtype=float)
            if sweep.method == "morris":
                from SALib.analyze import morris

                res = morris.analyze(problem, x, y, num_levels=4, seed=seed)
                pairs: tuple[tuple[str, str | None], ...] = (
                    ("mu_star", "mu_star_conf"),
                    ("sigma", None),
                )
            else:
                from SALib.analyze import sobol

                res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
                pairs = (("S1", "S1_conf"), ("ST", "ST_conf"))
            for i, name in enumerate(names):
                for key, conf in pairs:
                    rows.append(
                        {
                            "arm": arm,
                            "output": output,
                            "parameter": name,
                            "index": key,
                            "value": float(res[key][i]),
                            "conf": float(res[conf][i]) if conf else np.nan,
                        }
                    )
    return pd.DataFrame(rows)


def plot(indices: pd.DataFrame, path: Path) -> Path:
    """Bar chart of the main index (mu_star or ST) per parameter, output and arm, with CIs."""
    from matplotlib.figure import Figure

    from sim.analysis.plots import PALETTE

    main = indices[indices["index"].isin(["mu_star", "ST"])]
    outputs = list(dict.fromkeys(main["output"]))
    arms = list(dict.fromkeys(main["arm"]))
    fig = Figure(figsize=(4 * len(outputs), 3.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(outputs)))
    for ax, output in zip(axes, outputs, strict=True):
        d = main[main["output"] == output]
        params = list(dict.fromkeys(d["parameter"]))
        width = 0.8 / max(len(arms), 1)
        for j, arm in enumerate(arms):
            a = d[d["arm"] == arm].set_index("parameter").loc[params]
            pos = np.arange(len(params)) + j * width
            ax.barh(
                pos,
                a["value"],
                height=width,
                xerr=a["conf"].fillna(0),
                color=PALETTE[j % len(PALETTE)],
                label=arm,
            )
        ax.set_yticks(
            np.arange(len(params)) + width * (len(arms) - 1) / 2, params, fontsize="small"
        )
        ax.set_title(output)
        ax.set_xlabel(d["index"].iloc[0] if len(d) else "")
    axes[0].legend(frameon=False, fontsize="small")
    fig.suptitle("Sensitivity (95% CI)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, metadata={"Software": None})
    return path
