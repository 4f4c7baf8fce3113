"""The best designs of an optimisation: the Pareto front, who is within noise, what to say.

``wlsim optimise`` (:mod:`sim.experiments.optimise`) scores every design it tries on
the same replicate seeds as the baseline arm and as every other design (common random
numbers), replicate by replicate. This module turns those per-replicate values into:

* per design and quantity, the mean over replicates with a 95% t-interval
  (:func:`summarise`);
* the designs that meet every constraint and the Pareto front among them, on the means
  (:func:`pareto`);
* the leader (the front's best on the first objective), the *contenders* (the front and
  the best few feasible designs on the first objective) and which contenders are within
  noise of the leader: their paired difference from it on the first objective, replicate
  by replicate, has a 95% t-interval that contains 0 (:func:`decide`);
* a recommendation in plain language that names one design only when it is ahead beyond
  noise, and says so when it is not (:func:`recommendation`), and a figure
  (:func:`plot`).

Each objective is judged against its own null, the value of a design no better than the
baseline (:data:`KINDS`): 0 for a paired difference or an effect size d, 1 for a risk
ratio; the first objective must be compared with the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

#: Confidence level of every interval here.
CONFIDENCE = 0.95
#: Besides the front, this many of the best feasible designs on the first objective are
#: contenders (with one objective the front is a single design).
RUNNERS_UP = 3


#: What an objective's value is, against the baseline: its null (the value of a design
#: no better than the baseline) and how to say it.
KINDS = {
    "difference": 0.0,  # a metric's paired difference from the baseline; an effect's diff
    "d": 0.0,  # an effect size d of the learners against the same people in the baseline
    "risk_ratio": 1.0,  # a risk ratio of the learners against the same people there
}


@dataclass(frozen=True)
class Quantity:
    """An objective or a constraint, as this module needs it.

    Attributes:
        name: Its column in the per-replicate table.
        direction: ``"maximise"`` or ``"minimise"`` (objectives), empty for constraints.
        max: Upper bound (constraints).
        min: Lower bound (constraints).
        kind: What an objective's value is against the baseline, a key of :data:`KINDS`
            (``"own"``: the design's own value, such as a planned cost, not compared
            with the baseline; never the first objective).
    """

    name: str
    direction: str = ""
    max: float | None = None
    min: float | None = None
    kind: str = "difference"

    @property
    def null(self) -> float:
        """The value of a design no better than the baseline (NaN: not compared with it)."""
        return KINDS.get(self.kind, math.nan)

    def violation(self, value: float) -> float:
        """How far ``value`` is outside the bound (0 or less: within it)."""
        if self.max is not None:
            return value - self.max
        if self.min is not None:
            return self.min - value
        return 0.0


def interval(values: np.ndarray) -> tuple[float, float, float, float, int]:
    """Mean, sd, 95% t-interval and count of finite values (NaN interval below two)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan, n
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half, n


def summarise(values: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Per design and quantity: mean, sd, 95% interval and replicates.

    Args:
        values: One row per (design, replicate), one column per quantity.
        names: The quantities to summarise.

    Returns:
        Tidy: ``design, quantity, mean, sd, ci_low, ci_high, n``.
    """
    rows = []
    for design, group in values.groupby("design", sort=True):
        for name in names:
            mean, sd, low, high, n = interval(group[name].to_numpy(dtype=float))
            rows.append(
                {"design": design, "quantity": name, "mean": mean, "sd": sd}
                | {"ci_low": low, "ci_high": high, "n": n}
            )
    return pd.DataFrame(rows)


def paired(values: pd.DataFrame, a: int, b: int, name: str) -> tuple[float, float, float, int]:
    """The paired difference ``a - b`` on one quantity over the replicates both have.

    Returns:
        Mean, 95% t-interval (low, high) and the number of pairs.
    """
    va = values.loc[values["design"] == a].set_index("replicate")[name]
    vb = values.loc[values["design"] == b].set_index("replicate")[name]
    common = va.index.intersection(vb.index)
    mean, _, low, high, n = interval((va[common] - vb[common]).to_numpy(dtype=float))
    return mean, low, high, n


def pareto(means: pd.DataFrame, objectives: Sequence[Quantity]) -> list[int]:
    """The designs no other design dominates (at least as good on all, better on one).

    Args:
        means: One row per design (index), one column per objective.
        objectives: The objectives, with their directions.

    Returns:
        The non-dominated designs, in index order.
    """
    if means.empty:
        return []
    sign = np.array([1.0 if o.direction == "maximise" else -1.0 for o in objectives])
    x = means[[o.name for o in objectives]].to_numpy(dtype=float) * sign
    keep = []
    for i in range(len(x)):
        dominated = np.all(x >= x[i], axis=1) & np.any(x > x[i], axis=1)
        if not dominated.any():
            keep.append(means.index[i])
    return [int(d) for d in keep]


@dataclass
class Decision:
    """What the scores say.

    Attributes:
        feasible: Designs that meet every constraint (on the mean over replicates).
        front: The Pareto front among them.
        leader: The front's best design on the first objective (None: no feasible design).
        contenders: The front and the best feasible designs on the first objective.
        close: Contenders within noise of the leader on the first objective (the 95%
            interval of their paired difference contains 0), with that difference.
        unsure_constraints: Contenders whose constraint interval straddles a bound.
        beats_baseline: Whether the leader's first objective is beyond noise on the
            better side of its null (0 for differences and d, 1 for risk ratios).
    """

    feasible: list[int]
    front: list[int]
    leader: int | None
    contenders: list[int]
    close: dict[int, tuple[float, float, float, int]] = field(default_factory=dict)
    unsure_constraints: list[int] = field(default_factory=list)
    beats_baseline: bool = False


def decide(
    values: pd.DataFrame,
    objectives: Sequence[Quantity],
    constraints: Sequence[Quantity],
    invalid: Mapping[int, str] | None = None,
) -> Decision:
    """The front, the leader and which contenders are within noise of it.

    Args:
        values: One row per (design, replicate); a column per objective and constraint.
        objectives: The objectives, the first being the one a recommendation is made on
            (compared with the baseline: not of kind ``"own"``).
        constraints: The constraints (their columns hold the design's own values).
        invalid: Designs refused before running (invalid or over a planned bound).

    Returns:
        The decision (see :class:`Decision`).

    Raises:
        ValueError: If the first objective is not compared with the baseline.
    """
    if objectives[0].kind not in KINDS:
        raise ValueError(
            f"the first objective {objectives[0].name!r} is the design's own value, not "
            f"compared with the baseline; put one of kind {', '.join(KINDS)} first"
        )
    invalid = invalid or {}
    names = [q.name for q in (*objectives, *constraints)]
    summary = summarise(values[~values["design"].isin(list(invalid))], names)
    if summary.empty:
        return Decision([], [], None, [])
    means = summary.pivot(index="design", columns="quantity", values="mean")
    highs = summary.pivot(index="design", columns="quantity", values="ci_high")
    lows = summary.pivot(index="design", columns="quantity", values="ci_low")
    ok = means[[o.name for o in objectives]].notna().all(axis=1)
    for c in constraints:
        ok &= means[c.name].map(lambda v, c=c: np.isfinite(v) and c.violation(v) <= 1e-12)
    feasible = [int(d) for d in means.index[ok]]
    front = pareto(means.loc[feasible], objectives)
    if not front:
        return Decision(feasible, [], None, [])
    first = objectives[0]
    sign = 1.0 if first.direction == "maximise" else -1.0
    ranked = sorted(feasible, key=lambda d: (-sign * means.at[d, first.name], d))
    leader = min(front, key=lambda d: (-sign * means.at[d, first.name], d))
    contenders = sorted(set(front) | set(ranked[: RUNNERS_UP + 1]))
    close = {}
    for d in contenders:
        if d == leader:
            continue
        mean, low, high, n = paired(values, leader, d, first.name)
        if not (np.isfinite(low) and (low > 0 or high < 0)):
            close[d] = (mean, low, high, n)
    unsure = []
    for d in contenders:
        for c in constraints:
            lo, hi = lows.at[d, c.name], highs.at[d, c.name]
            if np.isfinite(lo) and c.violation(hi if c.max is not None else lo) > 0:
                unsure.append(d)
                break
    lead_low, lead_high = lows.at[leader, first.name], highs.at[leader, first.name]
    beats = bool(lead_low > first.null) if sign > 0 else bool(lead_high < first.null)
    return Decision(feasible, front, leader, contenders, close, unsure, beats)


def to_decide(decision: Decision, counts: Mapping[int, int], most: int) -> list[int]:
    """The designs that need more replicates: the leader and those close to it or a bound.

    Args:
        decision: The current decision.
        counts: Replicates each design has.
        most: The most replicates a design may get.

    Returns:
        The designs below ``most`` replicates whose scores leave the decision open; empty
        when the decision is clear or every open design has ``most``.
    """
    if decision.leader is None:
        return []
    open_ = set(decision.close) | set(decision.unsure_constraints)
    if not open_:
        return []
    want = sorted(open_ | {decision.leader})
    return [d for d in want if counts[d] < most]


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def recommendation(
    decision: Decision,
    summary: pd.DataFrame,
    values: pd.DataFrame,
    objectives: Sequence[Quantity],
    constraints: Sequence[Quantity],
    describe: Mapping[int, str],
    baseline: str,
    max_replicates: int,
) -> str:
    """The recommendation in plain language, with how sure it is and what it does not show.

    Args:
        decision: From :func:`decide`.
        summary: From :func:`summarise` over every design.
        values: The per-replicate values.
        objectives: The objectives (the first decides).
        constraints: The constraints.
        describe: Each design's levers in words.
        baseline: The baseline arm's name.
        max_replicates: The most replicates a design could get.

    Returns:
        Paragraphs of text.
    """
    first = objectives[0]
    means = summary.set_index(["design", "quantity"])
    budget = "; ".join(_bound_text(c) for c in constraints) or "no constraints"

    def on(d: int, q: Quantity) -> str:
        row = means.loc[(d, q.name)]
        return f"{_fmt(row['mean'])} (95% CI {_fmt(row['ci_low'])} to {_fmt(row['ci_high'])})"

    out = []
    if decision.leader is None:
        out.append(
            f"No design tried meets every constraint ({budget}). wlsim recommends none: "
            "raise a bound, widen the levers or try more designs."
        )
        return "\n\n".join([*out, _caveats(baseline)])
    lead = decision.leader
    n = int(means.loc[(lead, first.name), "n"])
    head = (
        f"Under the stated budget ({budget}), {len(decision.feasible)} of the designs tried "
        f"meet every constraint; the Pareto front among them holds {_count(len(decision.front))}."
    )
    out.append(head)
    better = "higher" if first.direction == "maximise" else "lower"
    if not decision.beats_baseline:
        out.append(
            f"The best design on {first.name} ({describe[lead]}) has "
            f"{_against(first, on(lead, first), baseline)}, over {n} replicates: not {better} "
            f"than {_fmt(first.null)} (no effect) beyond noise. wlsim does not recommend a "
            f"design for {first.name}: within this budget no design tried does measurably "
            f"better than {baseline}."
        )
    elif decision.close:
        names = [describe[lead]] + [describe[d] for d in decision.close]
        lines = [f"  - {describe[d]}: {first.name} {on(d, first)}" for d in [lead, *decision.close]]
        out.append(
            f"{len(names)} designs are within noise of each other on {first.name} (the 95% "
            "intervals of their paired differences from the best contain 0, after up to "
            f"{max_replicates} replicates each), so wlsim does not recommend one of them:\n"
            + "\n".join(lines)
            + "\nChoose among them on the other objectives (front.csv), on what the model "
            "leaves out, or run more replicates (optimise.max_replicates)."
        )
    else:
        runner = _runner_up(decision, summary, first)
        text = (
            f"Recommended: {describe[lead]}. It has {_against(first, on(lead, first), baseline)}"
            f", over {n} replicates"
        )
        if runner is not None:
            mean, low, high, pairs = paired(values, lead, runner, first.name)
            text += (
                f", and it is {better} than the next best contender ({describe[runner]}) by "
                f"{_fmt(abs(mean))} (95% CI of the paired difference {_fmt(low)} to "
                f"{_fmt(high)}, {pairs} replicates on the same seeds)"
            )
        out.append(text + ".")
    if decision.leader is not None and len(objectives) > 1:
        others = "; ".join(_against(q, on(lead, q), baseline) for q in objectives[1:])
        out.append(f"The best design on {first.name} also has: {others}.")
    if decision.unsure_constraints:
        shown = ", ".join(describe[d] for d in decision.unsure_constraints)
        out.append(
            f"Close to a bound (its 95% interval crosses it): {shown}. On average it meets "
            "the constraint, but some replicates do not."
        )
    out.append(_caveats(baseline))
    return "\n\n".join(out)


def _runner_up(decision: Decision, summary: pd.DataFrame, first: Quantity) -> int | None:
    means = summary[summary["quantity"] == first.name].set_index("design")["mean"]
    sign = 1.0 if first.direction == "maximise" else -1.0
    others = [d for d in decision.contenders if d != decision.leader]
    return min(others, key=lambda d: (-sign * means[d], d)) if others else None


def _count(n: int) -> str:
    return "1 design" if n == 1 else f"{n} designs"


def _bound_text(c: Quantity) -> str:
    if c.max is not None:
        return f"{c.name} <= {_fmt(c.max)}"
    return f"{c.name} >= {_fmt(c.min if c.min is not None else math.nan)}"


def _against(q: Quantity, value: str, baseline: str) -> str:
    """A design's value of ``q`` in words, with what it is measured against."""
    if q.kind == "d":
        return (
            f"{q.name} {value}, an effect size d of its learners against the same people in "
            f"{baseline} (0: no effect)"
        )
    if q.kind == "risk_ratio":
        return (
            f"{q.name} {value}, a risk ratio of its learners against the same people in "
            f"{baseline} (1: no effect)"
        )
    if q.kind == "difference":
        return f"{q.name} {value} as a paired difference from {baseline} (0: no effect)"
    return f"{q.name} {value}, its own value (not compared with {baseline})"


def axis_label(q: Quantity) -> str:
    """An objective's axis label: its name, direction and what it is measured against."""
    against = {
        "difference": "difference from the baseline",
        "d": "effect size d against the baseline (0: none)",
        "risk_ratio": "risk ratio against the baseline (1: none)",
    }.get(q.kind, "the design's own value")
    return f"{q.name} ({q.direction}), {against}"


def _caveats(baseline: str) -> str:
    return (
        "What this does not show: only the designs tried were compared (the optimiser "
        "samples the levers; it does not prove there is no better design); every outcome "
        f"is compared with {baseline} on the same seeds, on the model's assumptions and "
        "parameters (docs/model.md), not a forecast; constraints hold on the mean over "
        "replicates; and a design's levers may matter for outcomes the objectives leave out."
    )


def plot(
    summary: pd.DataFrame,
    decision: Decision,
    objectives: Sequence[Quantity],
    first_lever: pd.Series | None = None,
) -> Figure:
    """The designs tried with 95% intervals, the front highlighted, the leader marked.

    With two or more objectives, the first against the second; with one, the objective
    against the first numeric lever (or the design number).

    Args:
        summary: From :func:`summarise`.
        decision: From :func:`decide`.
        objectives: The objectives.
        first_lever: The first numeric lever's value per design (index), for one objective.

    Returns:
        The figure.
    """
    from sim.analysis.plots import PALETTE

    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    wide = {
        k: summary.pivot(index="design", columns="quantity", values=k)
        for k in ("mean", "ci_low", "ci_high")
    }
    y_q = objectives[0].name
    if len(objectives) > 1:
        x_q = objectives[1].name
        xs = {k: v[x_q] for k, v in wide.items()}
        x_label = axis_label(objectives[1])
    else:
        base = (
            first_lever
            if first_lever is not None
            else pd.Series(wide["mean"].index, index=wide["mean"].index)
        )
        xs = {k: base.reindex(wide["mean"].index).astype(float) for k in wide}
        x_label = str(base.name) if first_lever is not None else "design"
    ys = {k: v[y_q] for k, v in wide.items()}
    groups = [
        (
            "other designs meeting the constraints",
            [d for d in decision.feasible if d not in decision.front],
            "#999999",
        ),
        ("Pareto front", decision.front, PALETTE[0]),
    ]
    others = [d for d in wide["mean"].index if d not in decision.feasible]
    if others:
        ax.scatter(
            xs["mean"][others], ys["mean"][others], marker="x", color="#cccccc", s=18,
            label="over a bound or without a value",
        )  # fmt: skip
    for label, designs, colour in groups:
        if not designs:
            continue
        x, y = xs["mean"][designs], ys["mean"][designs]
        yerr = np.vstack([y - ys["ci_low"][designs], ys["ci_high"][designs] - y])
        xerr = None
        if len(objectives) > 1:
            xerr = np.vstack([x - xs["ci_low"][designs], xs["ci_high"][designs] - x])
        ax.errorbar(
            x, y, yerr=np.nan_to_num(yerr), xerr=None if xerr is None else np.nan_to_num(xerr),
            fmt="o", color=colour, ms=4, capsize=2, lw=0.8, label=label,
        )  # fmt: skip
    if decision.leader is not None:
        d = decision.leader
        ax.scatter(
            [xs["mean"][d]], [ys["mean"][d]], marker="*", s=160, color=PALETTE[5], zorder=5,
            label="best on the first objective",
        )  # fmt: skip
    ax.axhline(objectives[0].null, color="black", lw=0.6, ls=":", label="no effect")
    ax.set_xlabel(x_label)
    ax.set_ylabel(axis_label(objectives[0]))
    ax.set_title("Designs tried: mean and 95% interval over replicates", fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return fig
