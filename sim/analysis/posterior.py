"""What a calibration learned: posterior summaries, identifiability and their figures.

Pure functions of the tables a calibration folder holds (``posterior.parquet``: one row
per particle, one column per parameter and ``weight``; ``generations.csv``;
``predictive.csv``) and of the priors, given as a table with columns ``parameter``,
``distribution`` (``"uniform"`` or ``"loguniform"``), ``low`` and ``high``
(:func:`priors_frame` makes it from the ``[calibration]`` section or provenance).

Spreads and correlations are measured on the scale on which the prior is flat: the
parameter itself for a uniform prior, its logarithm for a loguniform one. There the prior
spreads evenly over its range, so "the posterior sd is a third of the prior sd" means
"the data narrowed the plausible range to about a third", whatever the parameter's unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from sim.analysis.plots import PALETTE
from sim.errors import ScenarioError

#: Posterior sd over prior sd below which the targets pin a parameter down.
PINNED = 0.5
#: Posterior sd over prior sd above which the targets leave a parameter where it was.
NOT_IDENTIFIED = 0.9
#: Weighted posterior correlation (absolute) from which two parameters trade off.
TRADE_OFF = 0.6

PRIOR_COLUMNS = ("parameter", "distribution", "low", "high")
DISTRIBUTIONS = ("uniform", "loguniform")


# --- inputs ---------------------------------------------------------------------------------


def priors_frame(parameters: Mapping[str, Any]) -> pd.DataFrame:
    """The priors as a table, from ``[calibration].parameters`` or provenance's ``parameters``.

    Args:
        parameters: Parameter path to prior: a ``Prior`` of the scenario schema or a
            mapping with ``distribution`` (default ``"uniform"``), ``low`` and ``high``.

    Returns:
        Columns ``parameter``, ``distribution``, ``low``, ``high``, in the given order.

    Raises:
        ScenarioError: If a prior has an unknown distribution, reversed bounds, or a
            loguniform prior a bound at or below 0.
    """
    rows = []
    for path, prior in parameters.items():
        spec = prior if isinstance(prior, Mapping) else prior.model_dump()
        row = {
            "parameter": str(path),
            "distribution": spec.get("distribution", "uniform"),
            "low": float(spec["low"]),
            "high": float(spec["high"]),
        }
        if row["distribution"] not in DISTRIBUTIONS:
            raise ScenarioError(
                f"prior of {path!r}: distribution {row['distribution']!r} is not one of "
                f"{', '.join(DISTRIBUTIONS)}"
            )
        if not row["low"] < row["high"]:
            raise ScenarioError(f"prior of {path!r}: low = {row['low']} must be below high")
        if row["distribution"] == "loguniform" and row["low"] <= 0:
            raise ScenarioError(f"prior of {path!r}: a loguniform prior needs low > 0")
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PRIOR_COLUMNS))


def _checked(posterior: pd.DataFrame, priors: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The parameters (in the priors' order) and the normalised weights, or a clear error."""
    if "weight" not in posterior.columns:
        raise ScenarioError("posterior: no 'weight' column (expected posterior.parquet)")
    names = list(priors["parameter"])
    missing = [n for n in names if n not in posterior.columns]
    if missing:
        raise ScenarioError(
            f"posterior: no column for the prior's parameter(s) {', '.join(missing)}; columns: "
            f"{', '.join(map(str, posterior.columns))}"
        )
    w = posterior["weight"].to_numpy(dtype=float)
    if not len(w) or not np.all(w >= 0) or w.sum() <= 0:
        raise ScenarioError("posterior: weights must be non-negative with a positive sum")
    return names, w / w.sum()


def _flat(values: np.ndarray | float, distribution: str) -> Any:
    """Values on the scale where the prior is flat: log10 for a loguniform prior."""
    return np.log10(values) if distribution == "loguniform" else np.asarray(values, dtype=float)


def _prior_row(priors: pd.DataFrame, name: str) -> pd.Series:
    return priors.set_index("parameter").loc[name]


# --- statistics -----------------------------------------------------------------------------


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, qs: Sequence[float]
) -> tuple[float, ...]:
    """Quantiles of weighted values (the inverse of their weighted distribution function).

    Args:
        values: The values.
        weights: Their non-negative weights (need not sum to 1).
        qs: Probabilities in [0, 1].

    Returns:
        One quantile per probability (NaN for no values).
    """
    values = np.asarray(values, dtype=float)
    if not len(values):
        return tuple(math.nan for _ in qs)
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    if not cum[-1] > 0:  # no weight anywhere: no distribution to take quantiles of
        return tuple(math.nan for _ in qs)
    cum /= cum[-1]
    at = np.minimum(np.searchsorted(cum, np.asarray(qs, dtype=float)), len(cum) - 1)
    return tuple(float(v) for v in values[order][at])


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    mean = float(np.sum(w * x))
    return float(np.sqrt(max(np.sum(w * (x - mean) ** 2), 0.0)))


def prior_sd(distribution: str, low: float, high: float) -> float:
    """The prior's sd on its flat scale: (high - low) / sqrt(12), in log10 for loguniform."""
    a, b = _flat(np.array([low, high]), distribution)
    return float((b - a) / math.sqrt(12))


def summary(posterior: pd.DataFrame, priors: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the prior, and the posterior's weighted mean, median and 90% interval.

    Args:
        posterior: Particles: one column per parameter and ``weight``.
        priors: The priors (:func:`priors_frame`).

    Returns:
        Columns ``parameter``, ``distribution``, ``prior_low``, ``prior_high``, ``mean``,
        ``median``, ``q05``, ``q95``, and ``near_bound`` (``"low"``/``"high"`` when the
        median lies in the outer 5% of the prior's range on its flat scale, where the data
        may favour values the prior excludes; else ``""``).

    Raises:
        ScenarioError: If a prior's parameter has no column, or the weights are unusable.
    """
    names, w = _checked(posterior, priors)
    rows = []
    for name in names:
        p = _prior_row(priors, name)
        x = posterior[name].to_numpy(dtype=float)
        q05, median, q95 = weighted_quantiles(x, w, (0.05, 0.5, 0.95))
        lo, hi = _flat(np.array([p["low"], p["high"]]), p["distribution"])
        where = (_flat(median, p["distribution"]) - lo) / (hi - lo)
        rows.append(
            {
                "parameter": name,
                "distribution": p["distribution"],
                "prior_low": float(p["low"]),
                "prior_high": float(p["high"]),
                "mean": float(np.sum(w * x)),
                "median": median,
                "q05": q05,
                "q95": q95,
                "near_bound": "low" if where < 0.05 else "high" if where > 0.95 else "",
            }
        )
    return pd.DataFrame(rows)


def narrowing(posterior: pd.DataFrame, priors: pd.DataFrame) -> pd.DataFrame:
    """How much the targets narrowed each parameter: posterior sd over prior sd.

    Both sds are taken on the prior's flat scale (log10 for a loguniform prior). Below
    :data:`PINNED` the targets pin the parameter down; above :data:`NOT_IDENTIFIED` they
    leave it about where the prior had it; in between they narrow it partly.

    Args:
        posterior: Particles: one column per parameter and ``weight``.
        priors: The priors (:func:`priors_frame`).

    Returns:
        Columns ``parameter``, ``scale`` (``"value"`` or ``"log10"``), ``prior_sd``,
        ``posterior_sd``, ``sd_ratio``, ``verdict`` (``"pinned down"``, ``"partly"``, ``"not
        identified by these targets"``) and ``meaning`` (a sentence for readers).

    Raises:
        ScenarioError: If a prior's parameter has no column, or the weights are unusable.
    """
    names, w = _checked(posterior, priors)
    rows = []
    for name in names:
        p = _prior_row(priors, name)
        x = _flat(posterior[name].to_numpy(dtype=float), p["distribution"])
        before = prior_sd(p["distribution"], p["low"], p["high"])
        after = _weighted_sd(x, w)
        ratio = after / before
        if ratio < PINNED:
            verdict = "pinned down"
            meaning = (
                f"The targets narrowed {name} to about {ratio:.0%} of the prior's spread: "
                "the data determine it (within this model and these priors)."
            )
        elif ratio <= NOT_IDENTIFIED:
            verdict = "partly"
            meaning = (
                f"The targets narrowed {name} to about {ratio:.0%} of the prior's spread: "
                "they say something about it, but a wide range remains plausible."
            )
        else:
            verdict = "not identified by these targets"
            meaning = (
                f"The posterior of {name} is about as wide as its prior ({ratio:.0%}): "
                "these targets say little about it. Its value in any answer is still the "
                "assumption of the prior; a target that depends on it would inform it."
            )
        rows.append(
            {
                "parameter": name,
                "scale": "log10" if p["distribution"] == "loguniform" else "value",
                "prior_sd": before,
                "posterior_sd": after,
                "sd_ratio": ratio,
                "verdict": verdict,
                "meaning": meaning,
            }
        )
    return pd.DataFrame(rows)


def _weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    mx, my = np.sum(w * x), np.sum(w * y)
    cov = np.sum(w * (x - mx) * (y - my))
    sx, sy = np.sqrt(np.sum(w * (x - mx) ** 2)), np.sqrt(np.sum(w * (y - my) ** 2))
    if sx == 0 or sy == 0:
        return math.nan
    return float(np.clip(cov / (sx * sy), -1.0, 1.0))


def tradeoffs(posterior: pd.DataFrame, priors: pd.DataFrame) -> pd.DataFrame:
    """For each pair of parameters, their weighted posterior correlation and what it means.

    A correlation of at least :data:`TRADE_OFF` in absolute value means the targets are
    met about as well by moving one parameter and compensating with the other: they are
    confounded, and the targets pin down a combination of the two better than either.
    Correlations are taken on the priors' flat scales (log10 for loguniform priors).

    Args:
        posterior: Particles: one column per parameter and ``weight``.
        priors: The priors (:func:`priors_frame`).

    Returns:
        One row per pair, in the priors' order: ``parameter_a``, ``parameter_b``,
        ``correlation`` (NaN when one of them does not vary in the posterior),
        ``verdict`` (``"trade off (confounded)"`` or ``"separate"``) and ``meaning``. No
        rows for fewer than two parameters.

    Raises:
        ScenarioError: If a prior's parameter has no column, or the weights are unusable.
    """
    names, w = _checked(posterior, priors)
    dist = dict(zip(priors["parameter"], priors["distribution"], strict=True))
    flat = {n: _flat(posterior[n].to_numpy(dtype=float), dist[n]) for n in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = _weighted_correlation(flat[a], flat[b], w)
            if np.isfinite(r) and abs(r) >= TRADE_OFF:
                how = "raising one and lowering the other" if r < 0 else "raising both together"
                verdict = "trade off (confounded)"
                meaning = (
                    f"The targets are met about as well by {how} (r = {r:+.2f}): they pin "
                    f"down a combination of {a} and {b} better than either alone. To "
                    "separate them, measure a target that depends on one of them and not on "
                    "the other; wlsim does not work out which measurement that is, so look "
                    "at which metrics each parameter acts on (docs/model.md)."
                )
            else:
                verdict = "separate"
                meaning = (
                    "No strong trade-off between them in the posterior."
                    if np.isfinite(r)
                    else "One of them does not vary in the posterior: no correlation."
                )
            rows.append(
                {
                    "parameter_a": a,
                    "parameter_b": b,
                    "correlation": r,
                    "verdict": verdict,
                    "meaning": meaning,
                }
            )
    return pd.DataFrame(
        rows, columns=["parameter_a", "parameter_b", "correlation", "verdict", "meaning"]
    )


# --- figures --------------------------------------------------------------------------------


def _edges(p: pd.Series, bins: int) -> np.ndarray:
    if p["distribution"] == "loguniform":
        return np.geomspace(p["low"], p["high"], bins + 1)
    return np.linspace(p["low"], p["high"], bins + 1)


def _plain_log(axis: Any) -> None:
    """Log ticks at 1, 2 and 5 times powers of ten, labelled as plain numbers."""
    axis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _axis_scale(ax: Any, p: pd.Series, axis: str = "x") -> None:
    if p["distribution"] == "loguniform":
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        _plain_log(ax.xaxis if axis == "x" else ax.yaxis)
    (ax.set_xlim if axis == "x" else ax.set_ylim)(p["low"], p["high"])


def prior_posterior(posterior: pd.DataFrame, priors: pd.DataFrame, bins: int = 20) -> Figure:
    """Prior against posterior, one panel per parameter, over the prior's range.

    The posterior is a weighted histogram of the particles, as a density on the prior's
    flat scale (per unit of the parameter, or per unit of log10 of it on a log axis for a
    loguniform prior), so the prior is the flat grey line. The weighted median and 90%
    interval are marked.

    Args:
        posterior: Particles: one column per parameter and ``weight``.
        priors: The priors (:func:`priors_frame`).
        bins: Histogram bins over the prior's range.

    Raises:
        ScenarioError: If a prior's parameter has no column, or the weights are unusable.
    """
    names, w = _checked(posterior, priors)
    n = len(names)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, name in zip(axes, names, strict=False):
        p = _prior_row(priors, name)
        x = posterior[name].to_numpy(dtype=float)
        edges = _edges(p, bins)
        counts, _ = np.histogram(np.clip(x, p["low"], p["high"]), bins=edges, weights=w)
        flat_edges = _flat(edges, p["distribution"])
        density = counts / np.diff(flat_edges)
        ax.stairs(density, edges, fill=True, color=PALETTE[0], alpha=0.55, label="posterior")
        width = flat_edges[-1] - flat_edges[0]
        ax.hlines(1 / width, p["low"], p["high"], color="grey", lw=2, label="prior")
        q05, med, q95 = weighted_quantiles(x, w, (0.05, 0.5, 0.95))
        ax.axvline(med, color=PALETTE[5], lw=1.5, label="median")
        for q, label in ((q05, "90% interval"), (q95, None)):
            ax.axvline(q, color=PALETTE[5], lw=1, ls="--", label=label)
        _axis_scale(ax, p)
        ax.set_ylim(bottom=0)
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel(f"value ({'log axis' if p['distribution'] == 'loguniform' else 'linear'})")
        ax.set_ylabel(
            "density (per log10 unit)" if p["distribution"] == "loguniform" else "density"
        )
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(frameon=False, fontsize="x-small")
    fig.suptitle("Prior (grey) and posterior (blue; median and 90% interval in red)")
    return fig


def pairs(posterior: pd.DataFrame, priors: pd.DataFrame) -> Figure:
    """The posterior of each pair of parameters: what the data pin down, what trades off.

    Below the diagonal, a weighted scatter of the particles (marker area in proportion to
    the weight) over the priors' ranges; on the diagonal, each parameter's weighted
    histogram; above it, the weighted correlation on the priors' flat scales (bold where
    the pair trades off, :data:`TRADE_OFF`). A cloud stretched along a diagonal means the
    targets fix a combination of the two parameters, not each.

    Args:
        posterior: Particles: one column per parameter and ``weight``.
        priors: The priors (:func:`priors_frame`); at least two parameters.

    Raises:
        ScenarioError: With fewer than two parameters, if a prior's parameter has no
            column, or the weights are unusable.
    """
    names, w = _checked(posterior, priors)
    k = len(names)
    if k < 2:
        raise ScenarioError("pairs: a pairwise plot needs at least two calibrated parameters")
    corr = tradeoffs(posterior, priors).set_index(["parameter_a", "parameter_b"])["correlation"]
    fig = Figure(figsize=(2.6 * k + 0.6, 2.6 * k), layout="constrained")
    axes = fig.subplots(k, k, squeeze=False)
    size = 12 * w * len(w)  # the mean particle gets area 12
    alpha = float(np.clip(30 / np.sqrt(len(w)), 0.15, 0.8))
    for i, yname in enumerate(names):
        py = _prior_row(priors, yname)
        for j, xname in enumerate(names):
            ax = axes[i, j]
            px = _prior_row(priors, xname)
            if i == j:
                x = np.clip(posterior[xname].to_numpy(dtype=float), px["low"], px["high"])
                counts, edges = np.histogram(x, bins=_edges(px, 15), weights=w)
                ax.stairs(counts, edges, fill=True, color=PALETTE[0], alpha=0.55)
                _axis_scale(ax, px)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(
                    posterior[xname],
                    posterior[yname],
                    s=size,
                    color=PALETTE[0],
                    alpha=alpha,
                    lw=0,
                )
                _axis_scale(ax, px, "x")
                _axis_scale(ax, py, "y")
                ax.grid(alpha=0.3)
            else:
                r = corr.get((yname, xname), math.nan)
                strong = bool(np.isfinite(r) and abs(r) >= TRADE_OFF)
                ax.text(
                    0.5,
                    0.5,
                    f"r = {r:+.2f}" if np.isfinite(r) else "r: n/a",
                    ha="center",
                    va="center",
                    fontsize="large",
                    fontweight="bold" if strong else "normal",
                    color=PALETTE[5] if strong else "black",
                    transform=ax.transAxes,
                )
                ax.set_axis_off()
            if i == k - 1:
                ax.set_xlabel(xname, fontsize="small")
            elif i >= j:
                ax.tick_params(which="both", labelbottom=False)
            if j == 0 and i > 0:
                ax.set_ylabel(yname, fontsize="small")
            elif i > j:
                ax.tick_params(which="both", labelleft=False)
    fig.suptitle("Pairwise posterior (marker area: weight; r: weighted correlation)")
    return fig


def predictive_check(predictive: pd.DataFrame) -> Figure:
    """Observed against simulated, one panel per target, each in the target's own unit.

    The observed value is drawn with its sd as an interval (and twice the sd, fainter);
    the posterior particles' simulated mean with their 5-95% range. A simulated range that
    misses the observed interval is a target the model did not reproduce.

    Args:
        predictive: ``predictive.csv``: columns ``target``, ``observed``, ``sd``,
            ``simulated_mean``, ``simulated_q05``, ``simulated_q95``.

    Raises:
        ScenarioError: If a column is missing or there are no targets.
    """
    cols = ["target", "observed", "sd", "simulated_mean", "simulated_q05", "simulated_q95"]
    missing = [c for c in cols if c not in predictive.columns]
    if missing:
        raise ScenarioError(f"predictive check: missing column(s) {', '.join(missing)}")
    if predictive.empty:
        raise ScenarioError("predictive check: no targets")
    n = len(predictive)
    fig = Figure(figsize=(8, 0.4 + 1.1 * n), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n, 1)).ravel()
    for ax, (_, row) in zip(axes, predictive.iterrows(), strict=True):
        obs, sd = row["observed"], row["sd"]
        ax.plot([obs - 2 * sd, obs + 2 * sd], [1, 1], color="black", lw=1.2, alpha=0.35)
        ax.plot([obs - sd, obs + sd], [1, 1], color="black", lw=4, label="observed +/- sd")
        ax.plot([obs], [1], "o", color="black", ms=6)
        ax.plot(
            [row["simulated_q05"], row["simulated_q95"]],
            [0, 0],
            color=PALETTE[0],
            lw=4,
            label="simulated 5-95%",
        )
        ax.plot([row["simulated_mean"]], [0], "D", color=PALETTE[5], ms=6, label="simulated mean")
        ax.set_ylim(-0.7, 1.7)
        ax.set_yticks([0, 1], ["simulated", "observed"], fontsize="small")
        ax.set_title(str(row["target"]), fontsize="small", loc="left")
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, frameon=False, fontsize="small", ncols=3, loc="outside lower center"
    )
    fig.suptitle("Posterior predictive check (thin black: observed +/- 2 sd)")
    return fig


def generation_diagnostics(generations: pd.DataFrame) -> Figure:
    """Tolerance, acceptance rate and effective sample size, generation by generation.

    Args:
        generations: ``generations.csv``: columns ``generation``, ``tolerance``,
            ``acceptance_rate``, ``effective_sample_size``.

    Raises:
        ScenarioError: If a column is missing or there are no generations.
    """
    cols = ["generation", "tolerance", "acceptance_rate", "effective_sample_size"]
    missing = [c for c in cols if c not in generations.columns]
    if missing:
        raise ScenarioError(f"generations: missing column(s) {', '.join(missing)}")
    if generations.empty:
        raise ScenarioError("generations: no finished generation")
    fig = Figure(figsize=(11, 3.2), layout="constrained")
    axes = fig.subplots(1, 3)
    panels = (
        ("tolerance", "tolerance (distance, target sds)", True),
        ("acceptance_rate", "acceptance rate", True),
        ("effective_sample_size", "effective sample size", False),
    )
    for ax, (col, label, log) in zip(axes, panels, strict=True):
        y = generations[col].to_numpy(dtype=float)
        ax.plot(generations["generation"], y, "o-", color=PALETTE[0])
        if log and np.all(y[np.isfinite(y)] > 0):
            ax.set_yscale("log")
            _plain_log(ax.yaxis)
        ax.set_xlabel("generation")
        ax.set_ylabel(label)
        ax.set_xticks(generations["generation"])
        ax.grid(alpha=0.3)
    axes[2].set_ylim(bottom=0)
    fig.suptitle("ABC-SMC by generation")
    return fig
