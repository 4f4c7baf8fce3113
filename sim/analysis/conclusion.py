"""A short conclusion in plain language, generated from a run's numbers.

What changed against the control arm, by how much, at what cost, how sure (the 95%
interval of paired differences over replicates) and what the result depends on. A
difference whose interval spans 0 is "no detectable difference". Results that surprise
readers are explained where they occur: fewer promotions when fewer people quit (fewer
vacancies), the baseline's own drift in skill, and the retention of participants
against non-participants, which compares different people and is not the programme's
effect where enrolment is not random.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.compare import end_of_horizon, paired_differences
from sim.scenario.hrterms import money

#: Metrics the conclusion reads from the paired differences.
METRICS = (
    "mean_skill",
    "share_proficient",
    "mean_engagement",
    "retention_initial",
    "promotions",
    "cumulative_quits",
    "programme_cost",
    "replacement_cost",
    "n_participants",
)


def _sure(row: pd.Series) -> str:
    """Whether a paired difference's interval excludes 0: "up", "down" or "none"."""
    if np.isnan(row["ci_low"]):
        return "none"
    if row["ci_low"] > 0:
        return "up"
    if row["ci_high"] < 0:
        return "down"
    return "none"


def _change(label: str, row: pd.Series, scale: float = 1.0, unit: str = "") -> str:
    """A change in words: "mean skill rose by 0.0120 (95% CI ...)", or no detectable difference."""
    low, mean, high = row["ci_low"] * scale, row["mean_diff"] * scale, row["ci_high"] * scale
    ci = f"95% CI {number(low, True)} to {number(high, True)}{unit}"
    sure = _sure(row)
    if sure == "none":
        return f"no detectable difference in {label} ({number(mean, True)}{unit}; {ci} spans 0)"
    verb = "rose" if sure == "up" else "fell"
    return f"{label} {verb} by {number(abs(mean))}{unit} ({ci})"


def number(x: float, sign: bool = False) -> str:
    """A number for people to read: fixed decimals by size, never scientific notation."""
    plus = "+" if sign else ""
    if abs(x) >= 100:
        return f"{x:{plus},.0f}"
    if abs(x) >= 1:
        return f"{x:{plus}.1f}"
    return f"{x:{plus}.4f}"


def conclude(
    timeseries: pd.DataFrame,
    effects: pd.DataFrame | None,
    currency: str,
    control: str | None = None,
    headcount: float | None = None,
) -> list[str]:
    """The conclusion of a run, one paragraph per arm compared with the control arm.

    Args:
        timeseries: The run's tidy time series (``Results.timeseries``).
        effects: The effects table (``Results.effects`` / ``effects.csv``), or None.
        currency: The scenario's currency (``costs.currency``).
        control: The arm compared against (default: the first arm).
        headcount: Employees, to turn shares into people (default: the control arm's
            mean headcount at the horizon).

    Returns:
        Paragraphs of plain text; one saying there is nothing to compare when the run
        has a single arm.
    """
    arms = list(dict.fromkeys(timeseries["arm"]))
    control = control or arms[0]
    others = [a for a in arms if a != control]
    if not others:
        return [f"One arm ({control}): nothing to compare it with."]
    runs = end_of_horizon(timeseries)
    metrics = [m for m in METRICS if m in runs.columns]
    diffs = paired_differences(runs, control, metrics).set_index(["arm", "metric"])
    n_rep = int(runs["replicate"].nunique())
    ctl = runs[runs["arm"] == control]
    if headcount is None:
        headcount = float(ctl["headcount"].mean()) if "headcount" in ctl else np.nan
    paragraphs = [_drift(timeseries, control)]
    for arm in others:
        paragraphs.append(_arm(arm, control, diffs, effects, currency, headcount, n_rep))
    paragraphs.append(
        f"How sure: 95% intervals of paired differences over {n_rep} replicates with the same "
        "seeds in every arm. What it depends on: the model's assumed parameters (the report's "
        "'What the ranking of arms rests on' re-ranks the arms at the ends of their ranges)."
    )
    return [p for p in paragraphs if p]


def _drift(timeseries: pd.DataFrame, control: str) -> str:
    """The control arm's own change in mean skill over the horizon (the baseline's drift)."""
    if "mean_skill" not in timeseries.columns:
        return ""
    ctl = timeseries[timeseries["arm"] == control]
    by_week = ctl.groupby("week")["mean_skill"].mean()
    start, end = float(by_week.iloc[0]), float(by_week.iloc[-1])
    if abs(end - start) < 0.005:
        return ""
    way = "falls" if end < start else "rises"
    return (
        f"Without a programme ({control}) mean skill {way} from {start:.3f} to {end:.3f} over "
        f"{int(by_week.index[-1])} weeks (the baseline's drift: leavers are replaced by less "
        "experienced hires, unused skill is forgotten, job demands change); every difference "
        "below is measured against this drift, not against week 0."
    )


def _arm(
    arm: str,
    control: str,
    diffs: pd.DataFrame,
    effects: pd.DataFrame | None,
    currency: str,
    headcount: float,
    n_rep: int,
) -> str:
    def get(metric: str) -> pd.Series | None:
        return diffs.loc[(arm, metric)] if (arm, metric) in diffs.index else None

    s = [f"{arm} against {control}, at the horizon, company-wide:"]
    parts = []
    for metric, label, scale, unit in (
        ("mean_skill", "mean skill (0-1)", 1.0, ""),
        ("share_proficient", "proficient employees", headcount, " people"),
        ("mean_engagement", "mean engagement (0-1)", 1.0, ""),
        ("retention_initial", "retention of the initial staff", 100.0, " points"),
    ):
        row = get(metric)
        if row is not None:
            parts.append(_change(label, row, scale, unit))
    s.append("; ".join(parts) + ".")
    s.append(_participants(arm, effects))
    cost, saved, gain = get("programme_cost"), get("replacement_cost"), get("share_proficient")
    if cost is not None:
        text = (
            f"The programme costs {money(cost['mean_diff'], currency)} (session time and overheads)"
        )
        n = get("n_participants")
        if n is not None and n["mean_diff"] > 0:
            per = cost["mean_diff"] / n["mean_diff"]
            text += (
                f"; about {n['mean_diff']:,.0f} people took part (learners and guides, "
                f"replacements included), {money(per, currency)} each"
            )
        if saved is not None and _sure(saved) != "none":
            word = "saves" if saved["mean_diff"] < 0 else "adds"
            text += f"; replacing leavers {word} {money(abs(saved['mean_diff']), currency)}"
        if gain is not None and _sure(gain) == "up":
            extra = gain["mean_diff"] * headcount
            net = cost["mean_diff"] + (saved["mean_diff"] if saved is not None else 0.0)
            text += (
                f"; net {money(net, currency)}, {money(net / extra, currency)} per extra "
                "proficient employee"
            )
        s.append(text + ".")
    promo, quits = get("promotions"), get("cumulative_quits")
    if (
        promo is not None
        and quits is not None
        and _sure(promo) == "down"
        and quits["mean_diff"] < 0
    ):
        s.append(
            f"Fewer promotions ({number(promo['mean_diff'], True)}) follow from fewer "
            f"quits ({number(quits['mean_diff'], True)}): promotions fill vacancies, and "
            "fewer people leaving leaves fewer vacancies above them."
        )
    return " ".join(x for x in s if x)


def _participants(arm: str, effects: pd.DataFrame | None) -> str:
    """The participants' own outcomes against the same people in the control arm."""
    if effects is None or effects.empty or "statistic" not in effects:
        return ""
    e = effects[
        (effects["arm"] == arm)
        & (effects["statistic"] == "diff")
        & (effects["timepoint"] == "horizon")
        & (effects["measure"] == "latent")
    ]
    out = []
    for prog, g in e.groupby("programme", sort=False):
        rows = g.set_index("outcome")
        n = float(rows["n_learners"].iloc[0])
        parts = []
        for outcome, label, scale, unit in (
            ("skill_focus", "skill in the programme's focus", 1.0, ""),
            ("engagement", "engagement", 1.0, ""),
            ("retention", "still employed", 100.0, " points"),
            ("promotion", "promoted", 100.0, " points"),
        ):
            if outcome in rows.index:
                r = rows.loc[outcome]
                row = pd.Series(
                    {"mean_diff": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
                )
                parts.append(_change(label, row, scale, unit))
        out.append(
            f"Its {n:,.0f} participants ({prog}; initial employees who were learners by the "
            "programme's end, later joiners included) against the same people without it: "
            + "; ".join(parts)
            + "."
        )
    if out:  # said once per arm, however many programmes it runs
        out.append(
            "(Participants' retention against non-participants' compares different people "
            "who chose to enrol: it is not the programme's effect; this is.)"
        )
    return " ".join(out)
