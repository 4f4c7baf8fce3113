"""The statistics of planning a pilot's evaluation: power, bias, the size a target needs.

``wlsim pilot`` (:mod:`sim.experiments.pilotplan`, docs/pilots.md) simulates a pilot many
times; each simulated pilot is one evaluation as an HR team would run it and one row of
a per-replicate table (:data:`PER_REPLICATE`). This module turns those rows into what
the plan reports:

- **Power**: the share of simulated evaluations that *detect* the effect: Welch's
  two-sample t-test of participants against the comparison group, two-sided at
  ``alpha``, significant *and* in the direction of the programme's mean true effect
  (a significant result the wrong way round detects nothing). With a Wilson interval
  over replicates.
- **Bias**: the naive comparison's estimate (participants' mean minus the comparison
  group's) minus the programme's true effect on the same participants (their mean in
  the pilot's arm minus the same people's mean in the control arm, on the same seeds:
  common random numbers), with a t-interval over replicates.
- **The size a target power needs**: the analytic power of the two-sample t-test
  (:func:`analytic_power`, noncentral t) with one standardised effect fitted to the
  simulated detections at every size by maximum likelihood (:func:`fit_power_curve`),
  solved for the target; beside it the smallest simulated size that reached it.

It also draws the figure (power against participants, with the target line) and words
the plan in plain language (:func:`describe`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import optimize, stats

#: Columns of the per-replicate table: one simulated evaluation per row. Values are in
#: the outcome's points (``unit``): points of the rating or survey scale, or percentage
#: points of retention.
PER_REPLICATE = (
    "size",  # participants enrolled
    "weeks",  # weeks from the measurement before to the one after
    "replicate",
    "n_participants",  # participants measured (at both weeks, for a change)
    "n_comparison",  # comparison group measured
    "mean_participants",  # their mean outcome (change or after)
    "mean_comparison",
    "sd_participants",
    "sd_comparison",
    "estimate",  # the naive comparison: participants' mean minus the comparison group's
    "p_value",  # Welch's two-sided t-test
    "true_effect",  # participants in the pilot's arm minus the same people in the control
    "n_true",  # participants measured in both arms
    "bias",  # estimate - true_effect
    "selection_z",  # participants' mean selection variable, in sds of the eligible
)


def analytic_power(
    d: float, n1: float | np.ndarray, n2: float | np.ndarray, alpha: float
) -> np.ndarray:
    """Power of a two-sided two-sample t-test to detect a standardised effect, in its direction.

    The textbook formula (Cohen 1988, ch. 2): with equal variances the test statistic
    follows a noncentral t with ``n1 + n2 - 2`` degrees of freedom and noncentrality
    ``d * sqrt(n1 * n2 / (n1 + n2))``; power is the chance it passes the critical value
    on the side of the effect (the other side, a "detection" the wrong way round, is not
    counted, as :func:`power_table` does not count it).

    Args:
        d: Standardised effect (mean difference over the common sd); its sign does not
            matter.
        n1: Size of the first group (may be fractional: an expected size); at least 2.
        n2: Size of the second group.
        alpha: Two-sided significance level, in (0, 1).

    Returns:
        Power, in [0, 1], broadcast over ``n1`` and ``n2``.
    """
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    df = np.maximum(n1 + n2 - 2, 1.0)
    nc = abs(d) * np.sqrt(n1 * n2 / (n1 + n2))
    crit = stats.t.ppf(1 - alpha / 2, df)
    return np.asarray(stats.nct.sf(crit, df, nc))


def welch(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p-value of Welch's t-test of ``x`` against ``y`` (NaN if it cannot be run).

    A group with fewer than two measured (after attrition), or two groups with no
    spread at all (every participant and every other person stayed), give NaN: the
    evaluation could not test anything, counted as no detection by :func:`power_table`
    and :func:`fit_power_curve` alike, and counted in ``n_untested``.
    """
    if len(x) < 2 or len(y) < 2:
        return float("nan")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # Nearly identical groups (everyone stayed) make scipy warn; the p-value says so.
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.ttest_ind(x, y, equal_var=False).pvalue
    return float(p)


def detected(table: pd.DataFrame, alpha: float, direction: float) -> np.ndarray:
    """Which simulated evaluations detect the effect: significant, in its direction.

    Args:
        table: Per-replicate rows (``p_value`` and ``estimate``).
        alpha: Two-sided significance level.
        direction: The sign of the true effect (0: either direction counts).
    """
    p = table["p_value"].to_numpy(dtype=float)
    est = table["estimate"].to_numpy(dtype=float)
    significant = np.nan_to_num(p, nan=1.0) < alpha
    if direction == 0:
        return significant
    return significant & (np.sign(est) == np.sign(direction))


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _t_interval(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if len(v) < 2:
        mean = float(v.mean()) if len(v) else float("nan")
        return mean, float("nan"), float("nan")
    mean, se = float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))
    half = float(stats.t.ppf(0.975, len(v) - 1)) * se
    return mean, mean - half, mean + half


def direction_of(per: pd.DataFrame) -> float:
    """The sign of the programme's mean true effect over every simulated evaluation."""
    true = per["true_effect"].to_numpy(dtype=float)
    true = true[np.isfinite(true)]
    return float(np.sign(true.mean())) if len(true) else 0.0


def power_table(per: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Power and bias per (size, weeks), over the simulated evaluations.

    Args:
        per: Per-replicate rows (:data:`PER_REPLICATE`).
        alpha: Two-sided significance level.

    Returns:
        One row per (size, weeks): ``n_replicates``, ``n_untested`` (evaluations whose
        test could not be run, NaN p-value: counted as not detecting), ``power`` with its
        95% Wilson interval (``power_low``, ``power_high``), the mean ``estimate``,
        ``true_effect`` and ``bias`` (with a 95% t-interval ``bias_low``, ``bias_high``),
        the mean group sizes measured (``n_participants``, ``n_comparison``), the pooled
        sd of the outcome (``sd``) and the standardised effect the test faces (``d``:
        mean estimate over ``sd``, with the estimate's 95% t-interval over ``sd``:
        ``d_low``, ``d_high``).
    """
    direction = direction_of(per)
    rows = []
    for (size, weeks), g in per.groupby(["size", "weeks"], sort=True):
        hits = detected(g, alpha, direction)
        untested = int((~np.isfinite(g["p_value"].to_numpy(dtype=float))).sum())
        low, high = _wilson(int(hits.sum()), len(g))
        bias, bias_low, bias_high = _t_interval(g["bias"].to_numpy(dtype=float))
        _, est_low, est_high = _t_interval(g["estimate"].to_numpy(dtype=float))
        n1, n2 = g["n_participants"].to_numpy(float), g["n_comparison"].to_numpy(float)
        s1, s2 = g["sd_participants"].to_numpy(float), g["sd_comparison"].to_numpy(float)
        with np.errstate(all="ignore"):
            pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
        sd = float(np.nanmean(pooled)) if np.isfinite(pooled).any() else float("nan")
        estimate = float(g["estimate"].mean())
        rows.append(
            {
                "size": int(size),
                "weeks": int(weeks),
                "n_replicates": len(g),
                "n_untested": untested,
                "power": float(hits.mean()),
                "power_low": low,
                "power_high": high,
                "estimate": estimate,
                "true_effect": float(g["true_effect"].mean()),
                "bias": bias,
                "bias_low": bias_low,
                "bias_high": bias_high,
                "n_participants": float(g["n_participants"].mean()),
                "n_comparison": float(g["n_comparison"].mean()),
                "sd": sd,
                "d": estimate / sd if sd > 0 else float("nan"),
                "d_low": est_low / sd if sd > 0 else float("nan"),
                "d_high": est_high / sd if sd > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PowerCurve:
    """The analytic power of the two-sample t-test, fitted to simulated detections.

    Attributes:
        d: The standardised effect fitted (maximum likelihood over every simulated size).
        alpha: The significance level.
        share_participants: Share of participants measured (at both weeks).
        comparison: Expected comparison group measured, given the participants enrolled.
        max_size: The most participants the eligible allow.
    """

    d: float
    alpha: float
    share_participants: float
    comparison: Callable[[np.ndarray], np.ndarray]
    max_size: int

    def power(self, size: float | np.ndarray) -> np.ndarray:
        """Power with ``size`` participants enrolled."""
        size = np.asarray(size, dtype=float)
        n1 = np.maximum(size * self.share_participants, 2.0)
        return analytic_power(self.d, n1, np.maximum(self.comparison(size), 2.0), self.alpha)

    def best(self) -> tuple[float, float]:
        """The size with the most power within the eligible, and that power.

        When the comparison group is everyone else eligible, enrolling more leaves fewer
        to compare with, so power peaks before ``max_size``.
        """
        sizes = np.linspace(2.0, float(self.max_size), 400)
        power = self.power(sizes)
        i = int(np.argmax(power))
        return float(sizes[i]), float(power[i])

    def size_for(self, target: float) -> float | None:
        """The fewest participants that give ``target`` power (None: not within the eligible)."""
        sizes = np.linspace(2.0, float(self.max_size), 400)
        above = np.flatnonzero(self.power(sizes) >= target)
        if not len(above):
            return None
        i = int(above[0])
        if i == 0:
            return 2.0
        low, high = float(sizes[i - 1]), float(sizes[i])
        return float(optimize.brentq(lambda s: float(self.power(s)) - target, low, high))


def fit_power_curve(
    per: pd.DataFrame,
    alpha: float,
    comparison: Callable[[np.ndarray], np.ndarray],
    max_size: int,
) -> PowerCurve | None:
    """Fit the analytic power curve's standardised effect to the simulated detections.

    The detections at every simulated size (at one duration) are binomial with the
    analytic power of :func:`analytic_power` at that size's measured group sizes; ``d``
    maximises their joint likelihood (:func:`scipy.optimize.minimize_scalar`, within
    0-5, after a coarse grid). An evaluation whose test could not be run (NaN p-value)
    counts as not detecting, as in :func:`power_table`: dropping it would fit the curve
    to the evaluations that could be tested and overstate the power. One ``d``
    for all sizes assumes the programme's effect per participant does not change with
    their number; the simulated points beside the curve show where it does (a
    programme whose guides run out of capacity).

    Args:
        per: Per-replicate rows of one duration, several sizes.
        alpha: Two-sided significance level.
        comparison: Comparison group measured, as a function of participants enrolled.
        max_size: The most participants the eligible allow.

    Returns:
        The curve, or None when no evaluation could be tested.
    """
    if per.empty or not np.isfinite(per["p_value"].to_numpy(dtype=float)).any():
        return None
    direction = direction_of(per)
    share = float((per["n_participants"] / per["size"]).mean())
    sizes, hits, totals, n1s, n2s = [], [], [], [], []
    for size, g in per.groupby("size", sort=True):
        sizes.append(float(size))
        hits.append(int(detected(g, alpha, direction).sum()))
        totals.append(len(g))
        n1s.append(max(float(g["n_participants"].mean()), 2.0))
        n2s.append(max(float(g["n_comparison"].mean()), 2.0))
    k, n = np.asarray(hits), np.asarray(totals)
    n1, n2 = np.asarray(n1s), np.asarray(n2s)

    def nll(d: float) -> float:
        p = np.clip(analytic_power(d, n1, n2, alpha), 1e-9, 1 - 1e-9)
        return float(-(k * np.log(p) + (n - k) * np.log1p(-p)).sum())

    # The likelihood is flat where every power is 0 or 1: a coarse grid finds the bowl,
    # then the bounded search refines within the grid's neighbouring points.
    grid = np.linspace(0.0, 5.0, 251)
    best = int(np.argmin([nll(d) for d in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fit = optimize.minimize_scalar(nll, bounds=(low, high), method="bounded")
    return PowerCurve(float(fit.x), alpha, share, comparison, max_size)


@dataclass(frozen=True)
class Wording:
    """What the plain-language text needs to know about the plan, beyond the tables.

    Attributes:
        programme: The pilot programme's name.
        size: Participants enrolled (the stated number).
        weeks: The stated duration.
        outcome: What is measured, in words ("managers' ratings of leadership").
        unit: The outcome's unit ("points on the 1-5 scale").
        comparison: "change" (before-after) or "after".
        enrolment: "randomised" or "volunteers".
        selection_on: What volunteers select on ("engagement", "skill gap"), or "".
        selection_slope: The selection model's slope (log odds per sd).
        eligible: Eligible employees at week 0.
        comparison_group: Who the participants are compared with, in words.
        alpha: The significance level.
        target: The target power.
        replicates: Simulated pilots per size.
    """

    programme: str
    size: int
    weeks: int
    outcome: str
    unit: str
    comparison: str
    enrolment: str
    selection_on: str
    selection_slope: float
    eligible: int
    comparison_group: str
    alpha: float
    target: float
    replicates: int


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _num(x: float) -> str:
    return f"{x:+.2f}" if abs(x) >= 0.005 else f"{x:+.3f}"


def describe(
    table: pd.DataFrame,
    curve: PowerCurve | None,
    per: pd.DataFrame,
    w: Wording,
) -> list[str]:
    """The plan in plain language: power, bias, the size and duration needed, the limits.

    Args:
        table: :func:`power_table` of every simulated (size, weeks).
        curve: The fitted curve over sizes at the stated duration (None if none).
        per: The per-replicate rows (for the selection on participants).
        w: The plan's wording.

    Returns:
        Paragraphs, each one sentence or a few.
    """
    here = table[(table["size"] == w.size) & (table["weeks"] == w.weeks)].iloc[0]
    who = (
        f"{w.size} randomly chosen participants"
        if w.enrolment == "randomised"
        else f"{w.size} volunteers"
    )
    on = (
        f"the change in {w.outcome} from before to after"
        if w.comparison == "change"
        else f"{w.outcome} after the pilot"
    )
    if w.outcome == "retention":
        on = "the share still employed after the pilot"
    out = [
        f"With {who} in {w.programme} over {w.weeks} weeks, compared with {w.comparison_group} "
        f"on {on}, an evaluation has about a {_pct(here['power'])} "
        f"chance of detecting the programme's effect [95% CI {_pct(here['power_low'])}-"
        f"{_pct(here['power_high'])}] (Welch's t-test, two-sided at {w.alpha:g}, significant "
        f"in the effect's direction; {int(here['n_replicates'])} simulated pilots; on average "
        f"{here['n_participants']:.0f} participants and {here['n_comparison']:.0f} others "
        "measured)."
    ]
    untested = int(here.get("n_untested", 0))
    if untested:
        out[0] += (
            f" In {untested} of the {int(here['n_replicates'])} the test could not be run "
            "(fewer than two measured in a group, or no spread at all): counted as not "
            "detecting, as such an evaluation would show nothing."
        )
    bias, low, high = here["bias"], here["bias_low"], here["bias_high"]
    true = here["true_effect"]
    lead = (
        f"The naive comparison shows {_num(here['estimate'])} {w.unit} on average; the "
        f"programme's true effect on the same participants (the same people, on the same "
        f"seeds, without the programme) is {_num(true)}."
    )
    sel = per.loc[(per["size"] == w.size) & (per["weeks"] == w.weeks), "selection_z"].mean()
    if np.isfinite(low) and low <= 0 <= high:
        out.append(
            f"{lead} The difference, {_num(bias)} [95% CI {_num(low)} to {_num(high)}], is "
            "within simulation noise: the naive comparison is not measurably biased here."
        )
    else:
        verb = "overstates" if bias * np.sign(true or 1) > 0 else "understates"
        why = ""
        if w.enrolment == "volunteers" and w.selection_on:
            more = "higher" if sel > 0 else "lower"
            why = (
                f", because volunteers start with {more} {w.selection_on} than the eligible "
                f"on average ({abs(sel):.2f} sd)"
            )
        elif w.enrolment == "randomised":
            why = (
                ": with random enrolment this is what the programme does to the comparison "
                "group (spill-overs, shared mentors, competition for promotion), not selection"
            )
        out.append(
            f"{lead} So the naive comparison {verb} it by about {abs(bias):.2f} {w.unit} "
            f"[95% CI {_num(low)} to {_num(high)}]{why}."
        )
    at = table[table["weeks"] == w.weeks].sort_values("size")
    reached = at[at["power"] >= w.target]
    grid = ", ".join(str(int(s)) for s in at["size"])
    if curve is not None and curve.d > 0:
        need = curve.size_for(w.target)
        if need is None:
            text = (
                f"No number of participants up to the {curve.max_size} the eligible allow "
                f"would give {_pct(w.target)} power over {w.weeks} weeks (the fitted curve "
                f"reaches at most {_pct(curve.best()[1])}, with {curve.best()[0]:.0f})"
            )
        else:
            n = int(np.ceil(need))
            beyond = (
                " (beyond the sizes simulated: an extrapolation)" if n > at["size"].max() else ""
            )
            text = f"About {n} participants would give {_pct(w.target)} power{beyond}"
        text += (
            f", from the two-sample t-test's power curve fitted to the simulated sizes ({grid}; "
            f"standardised effect {curve.d:.2f})"
        )
        if not reached.empty:
            text += (
                f"; the smallest simulated size that reached it is {int(reached['size'].iloc[0])} "
                f"({_pct(reached['power'].iloc[0])})"
            )
        if _shrinks(at, direction_of(per)):
            d_by_size = at["d"].to_numpy(float)
            text += (
                f"; but the effect per participant shrinks as more enrol (standardised "
                f"{d_by_size[0]:.2f} at {int(at['size'].iloc[0])}, {d_by_size[-1]:.2f} at "
                f"{int(at['size'].iloc[-1])}, beyond simulation noise: guides' capacity, "
                "say), which the curve ignores: trust the simulated sizes"
            )
        if w.enrolment == "volunteers":
            text += (
                "; with volunteers, what such a test detects includes the naive comparison's bias"
            )
        out.append(text + ".")
    else:
        out.append(
            f"The simulated evaluations show no effect in a consistent direction at the sizes "
            f"simulated ({grid}); no sample size can be recommended."
        )
    by_weeks = table[table["size"] == w.size].sort_values("weeks")
    if len(by_weeks) > 1:
        ok = by_weeks[by_weeks["power"] >= w.target]
        spans = ", ".join(
            f"{int(r.weeks)} weeks {_pct(r.power)}" for r in by_weeks.itertuples(index=False)
        )
        if ok.empty:
            verdict = f"none of the durations simulated reaches {_pct(w.target)}"
        else:
            verdict = (
                f"{int(ok['weeks'].iloc[0])} weeks is the shortest that reaches {_pct(w.target)}"
            )
        out.append(f"With {w.size} participants, power by duration: {spans}; {verdict}.")
    out.append(
        "What this does not show: the effect and its spread come from wlsim's mechanisms and "
        "parameters (docs/model.md), not from your organisation's data; the observation "
        "model's survey non-response is independent of engagement and its rater errors are "
        "independent of the programme; volunteers select only on what the selection model "
        "names; an evaluation that adjusts for the baseline or matches volunteers would "
        "have other power and bias."
    )
    return out


def _shrinks(at: pd.DataFrame, direction: float) -> bool:
    """Whether the standardised effect at the largest size is below that at the smallest.

    Below beyond noise (the 95% intervals of the two exclude each other) and by at least
    a fifth, in the effect's direction.

    Args:
        at: :func:`power_table` rows of one duration, by size.
        direction: The sign of the programme's true effect.
    """
    if len(at) < 2 or direction == 0:
        return False
    first, last = at.iloc[0], at.iloc[-1]
    d0, d1 = direction * first["d"], direction * last["d"]
    low0 = min(direction * first["d_low"], direction * first["d_high"])
    high1 = max(direction * last["d_low"], direction * last["d_high"])
    if not all(np.isfinite([d0, d1, low0, high1])):
        return False
    return bool(d1 < 0.8 * d0 and high1 < low0)


def figure(table: pd.DataFrame, curve: PowerCurve | None, weeks: int, target: float) -> Figure:
    """Power against participants at the stated duration, with the target line.

    Args:
        table: :func:`power_table`.
        curve: The fitted analytic curve (drawn when given).
        weeks: The duration whose sizes are drawn.
        target: The target power (a dashed line).
    """
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    at = table[table["weeks"] == weeks].sort_values("size")
    x = at["size"].to_numpy(float)
    y = at["power"].to_numpy(float)
    err = np.vstack([y - at["power_low"].to_numpy(float), at["power_high"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=err, fmt="o", color="C0", capsize=3, label="simulated (95% CI)")
    if curve is not None and curve.d > 0:
        top = max(float(x.max()) * 1.5, float(curve.size_for(target) or 0) * 1.1)
        grid = np.linspace(2, min(top, curve.max_size), 200)
        ax.plot(grid, curve.power(grid), color="C0", alpha=0.6, label="fitted t-test power")
    ax.axhline(target, color="C3", linestyle="--", label=f"target {target:.0%}")
    ax.set_xlabel("participants enrolled")
    ax.set_ylabel("power (share of evaluations detecting the effect)")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Power of the pilot's evaluation after {weeks} weeks")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def selection_keys(rng: np.random.Generator, z: np.ndarray, slope: float | None) -> np.ndarray:
    """An order of the eligible in which the first ``n`` are the ``n`` who enrol.

    Randomised (``slope`` None): a random permutation. Volunteers: weighted sampling
    without replacement with weights ``exp(slope * z)`` (the odds of enrolling rise by
    ``exp(slope)`` per sd), by Efraimidis and Spirakis's keys ``log(u) / w`` (2006),
    whose first ``n`` in descending order are a draw of ``n`` one by one with
    probability proportional to the weight among those left; so the participants of a
    smaller size are among those of a larger one, on the same draws.

    Args:
        rng: The pilot's own stream.
        z: The selection variable of each eligible person, standardised.
        slope: Log odds ratio per sd, or None for random enrolment.

    Returns:
        Indices into ``z``, those who enrol first.
    """
    u = rng.random(len(z))
    if slope is None:
        return np.argsort(u, kind="stable")
    w = np.exp(slope * (z - z.max()))  # scaled so the largest weight is 1: no overflow
    keys = np.log(np.maximum(u, np.finfo(float).tiny)) / w
    return np.argsort(-keys, kind="stable")


def standardise(x: np.ndarray) -> np.ndarray:
    """``x`` in sds from its mean (zeros when it does not vary)."""
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


__all__: Sequence[str] = (
    "PER_REPLICATE",
    "PowerCurve",
    "Wording",
    "analytic_power",
    "describe",
    "detected",
    "figure",
    "fit_power_curve",
    "power_table",
    "selection_keys",
    "standardise",
    "welch",
)
