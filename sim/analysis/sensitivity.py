"""Global sensitivity analysis of a sweep: Morris screening and Sobol indices (SALib).

The sweep samples the ``ranges`` of its ``[sweep]`` section with SALib's Morris or Sobol
design; every point runs every arm for every replicate. Indices are computed on two
targets per output:

* ``level``: each arm's outcome, averaged over replicates per point;
* ``effect vs <control>``: each other arm's outcome minus the control arm's
  (``sweep.baseline``, by default the first arm), replicate by replicate (the arms share
  replicate seeds at every point), averaged per point. This is the programme's effect,
  the question a researcher usually asks: which parameters change what the programme
  brings, rather than what the organisation would do anyway.

SALib's analysers then give the indices with bootstrap confidence intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, did_you_mean
from sim.scenario.schema import Scenario

#: Spawn key of the stream that samples a sweep's points (apart from every run's
#: streams); the analysis seeds SALib's bootstrap from it too, so indices reproduce.
SAMPLING_KEY = 2**31 - 1

#: The ``target`` of indices computed on each arm's own outcome.
LEVEL = "level"


def effect_target(control: str) -> str:
    """The ``target`` of indices computed on an arm's paired effect against ``control``."""
    return f"effect vs {control}"


def control_arm(scenario: Scenario) -> str:
    """The arm effects are measured against: ``sweep.baseline``, or the first arm.

    Raises:
        ScenarioError: If ``sweep.baseline`` names no arm of the scenario.
    """
    baseline = scenario.sweep.baseline
    if baseline and baseline not in scenario.arms:
        raise ScenarioError(
            f"sweep.baseline = {baseline!r}: not an arm{did_you_mean(baseline, scenario.arms)}; "
            f"arms: {', '.join(scenario.arms)}"
        )
    return baseline or next(iter(scenario.arms))


def salib_problem(names: list[str], bounds: np.ndarray) -> dict[str, Any]:
    """A SALib problem definition."""
    return {"num_vars": len(names), "names": names, "bounds": np.asarray(bounds).tolist()}


def analyse(runs: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Sensitivity indices of the sweep's outputs, and of each arm's effect, to its ranges.

    Args:
        runs: The sweep's run table (``runs.parquet``).
        scenario: The scenario the sweep ran (its ``[sweep]`` section and arms).

    Returns:
        Tidy table: ``arm``, ``target`` (``level``, or ``effect vs <control arm>`` for
        every arm but the control), ``output``, ``parameter``, ``index`` (``mu_star``,
        ``sigma`` for Morris; ``S1``, ``ST`` for Sobol), ``value``, ``conf`` (95%
        half-width; none for ``sigma``).

    Raises:
        ScenarioError: If the sweep's method is not 'morris' or 'sobol', or runs are
            missing (the indices need every point, and effects every replicate of the
            control arm).
    """
    sweep = scenario.sweep
    if sweep.method not in ("morris", "sobol"):
        raise ScenarioError(
            f"sensitivity analysis needs method 'morris' or 'sobol', not {sweep.method!r}"
        )
    names = list(sweep.ranges)
    outputs = list(sweep.outputs)
    n_points = int(runs["point"].max()) + 1
    x = runs.groupby("point")[names].first().sort_index().to_numpy(dtype=float)
    rows = []
    for arm, target, y in _targets(runs, outputs, control_arm(scenario), n_points):
        for output in outputs:
            res, pairs = _salib(scenario, names, x, y[output].to_numpy(dtype=float))
            for i, name in enumerate(names):
                for key, conf in pairs:
                    rows.append(
                        {
                            "arm": arm,
                            "target": target,
                            "output": output,
                            "parameter": name,
                            "index": key,
                            "value": float(res[key][i]),
                            "conf": float(res[conf][i]) if conf else np.nan,
                        }
                    )
    return pd.DataFrame(rows)


def _targets(
    runs: pd.DataFrame, outputs: list[str], control: str, n_points: int
) -> list[tuple[str, str, pd.DataFrame]]:
    """``(arm, target, per-point means of the outputs)``: levels, then paired effects."""
    keys = ["point", "replicate"]
    out = []
    by_arm = {arm: sub.set_index(keys)[outputs] for arm, sub in runs.groupby("arm", sort=False)}
    for arm, values in by_arm.items():
        means = values.groupby("point").mean().sort_index()
        if len(means) != n_points:
            raise ScenarioError(
                f"sensitivity: arm {arm!r} has {len(means)} of {n_points} points finished; "
                "resume the sweep first"
            )
        out.append((arm, LEVEL, means))
    if control not in by_arm:
        return out
    base = by_arm[control]
    for arm, values in by_arm.items():
        if arm == control:
            continue
        missing = values.index.difference(base.index)
        if len(missing):
            point, replicate = missing[0]
            raise ScenarioError(
                f"sensitivity: arm {control!r} (the control) has no run at point {point}, "
                f"replicate {replicate}, which arm {arm!r} has; resume the sweep first"
            )
        # The same point and replicate seed in both arms: the difference is paired.
        diff = values - base.loc[values.index]
        out.append((arm, effect_target(control), diff.groupby("point").mean().sort_index()))
    return out


def _salib(
    scenario: Scenario, names: list[str], x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, Any], tuple[tuple[str, str | None], ...]]:
    """SALib's indices of one output, and the (index, CI column) pairs to report."""
    sweep = scenario.sweep
    bounds = np.array([sweep.ranges[n] for n in names], dtype=float)
    problem = salib_problem(names, bounds)
    seed = int(
        np.random.SeedSequence(scenario.seed, spawn_key=(SAMPLING_KEY,)).generate_state(1)[0]
    )
    if sweep.method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_levels=4, seed=seed)
        return res, (("mu_star", "mu_star_conf"), ("sigma", None))
    from SALib.analyze import sobol

    res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    return res, (("S1", "S1_conf"), ("ST", "ST_conf"))


#: How each figure's main index is described on its axis.
INDEX_LABELS = {
    "mu_star": "mu* (mean |elementary effect|, output units)",
    "ST": "ST (total-order index, share of variance)",
}


def plot(indices: pd.DataFrame, path: Path) -> Path:
    """Bar chart of the main index (mu_star or ST) with 95% CIs: one panel per output and target.

    Rows are outputs; columns are targets (``level``, then each ``effect vs ...``); within
    a panel, one bar per arm and parameter, coloured by arm the same way in every panel.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from sim.analysis.plots import PALETTE

    main = indices[indices["index"].isin(list(INDEX_LABELS))]
    if "target" not in main:  # a table written before targets existed
        main = main.assign(target=LEVEL)
    outputs = list(dict.fromkeys(main["output"]))
    targets = list(dict.fromkeys(main["target"]))
    arms = list(dict.fromkeys(main["arm"]))
    params = list(dict.fromkeys(main["parameter"]))
    colour = {arm: PALETTE[j % len(PALETTE)] for j, arm in enumerate(arms)}
    index = str(main["index"].iloc[0]) if len(main) else "mu_star"
    most_bars = max((main[main["target"] == t]["arm"].nunique() for t in targets), default=1)
    row_height = max(2.0, 0.6 + 0.16 * len(params) * most_bars)
    fig = Figure(
        figsize=(3.0 + 4.0 * len(targets), 0.9 + row_height * len(outputs)), layout="constrained"
    )
    axes = np.atleast_2d(fig.subplots(len(outputs), len(targets), sharey=True, squeeze=False))
    pos = np.arange(len(params))
    for r, output in enumerate(outputs):
        for c, target in enumerate(targets):
            ax = axes[r, c]
            d = main[(main["output"] == output) & (main["target"] == target)]
            panel_arms = list(dict.fromkeys(d["arm"]))
            height = 0.8 / max(len(panel_arms), 1)
            for j, arm in enumerate(panel_arms):
                a = d[d["arm"] == arm].set_index("parameter").reindex(params)
                ax.barh(
                    pos - 0.4 + height * (j + 0.5),
                    a["value"],
                    height=height,
                    xerr=a["conf"].fillna(0),
                    color=colour[arm],
                    error_kw={"lw": 0.8, "capsize": 2},
                )
            ax.set_title(f"{output}: {target}", fontsize="medium")
            ax.axvline(0, color="black", lw=0.6)
            ax.grid(axis="x", alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.tick_params(labelsize="small")
            if r == len(outputs) - 1:
                ax.set_xlabel(INDEX_LABELS[index], fontsize="small")
    axes[0, 0].set_yticks(pos, params, fontsize="small")
    axes[0, 0].invert_yaxis()  # parameters top to bottom in the order of the sweep's ranges
    fig.legend(
        [Patch(color=colour[a]) for a in arms],
        arms,
        loc="outside lower center",
        ncols=min(len(arms), 4),
        frameon=False,
        title="arm",
    )
    what = "Morris screening" if index == "mu_star" else "Sobol total-order indices"
    fig.suptitle(
        f"{what} per parameter, with 95% CIs (SALib bootstrap); rows: outputs; "
        "columns: each arm's level, and each arm's effect against the control arm "
        "(paired by replicate)",
        wrap=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, metadata={"Software": None})
    return path
