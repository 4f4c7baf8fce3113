"""Effect sizes of every programme on its learners, with a defined estimand.

The estimand (docs/model.md section 7.12, "Effect sizes"). For programme ``p`` in arm
``a``, at timepoint ``t`` (the programme's end, or the horizon) and replicate ``r``:

- the *learners* are the initial employees on the learning side of a relationship of
  ``p`` in arm ``a`` at any week up to the programme's end (assigned, whether or not
  they attended: intention to treat of the assignment);
- the *analysed* learners are those still employed at ``t`` in arm ``a`` *and* in the
  control arm (leavers drop out; attrition is reported beside, per arm);
- ``d = (mean over the analysed of y in arm a - mean over the same people of y in the
  control arm) / sd of y over the same people in the control arm`` (the control arm's
  between-person sd of the analysed learners, the sd a study of these people would
  divide by);
- outcomes ``y``: ``skill_focus`` (mean skill over the programme's focus domains; all
  domains if it names none), ``skill_job`` (mean over the domains the person's job used
  at least half the time at week 0, at their level then) and ``engagement``; each as
  *latent* (true state) and *observed* (the observation model's ratings and survey
  scores, mapped onto 0-1; for the survey, among those who answered in both arms);
- risk ratios over all learners, leavers included: ``retention`` (share still employed
  in arm ``a`` / share in the control arm) and ``promotion`` (share promoted at least
  once since week 0);
- plain differences (statistic ``diff``) beside every d and risk ratio: the mean of the
  analysed learners minus the same people's mean in the control arm, in the outcome's
  own units (skill and engagement 0-1; retention and promotion as shares, so 0.05 is 5
  percentage points): a pilot of 20 people shows here even when company-wide means do
  not move.

Who counts as a participant: the *initial* employees (those employed at week 0) who were
on the learning side of a relationship at any week up to the programme's end, whether
they joined at its start or later in a place someone left (hires are not counted: they
have no counterpart in the control arm); those who leave stay counted in the risk ratios
and differences of retention and promotion, and drop out of the skill and engagement
outcomes (attrition is reported beside).

Each is computed per replicate (the same seeds in both arms) and summarised by its mean
over replicates with a t-interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis import targets
from sim.model.observation import reliability
from sim.model.submodels.practice import usage_matrix
from sim.scenario.loading import arm_scenario
from sim.scenario.orgdata import scale_to_unit
from sim.scenario.schema import Programme, Scenario

#: A programme that runs to the horizon is measured one year after its start.
WEEKS_TO_POST_TEST = 52

#: Columns of the effects table, in order (docs/model.md section 7.12).
COLUMNS = (
    "arm",
    "programme",
    "design",
    "control",
    "timepoint",
    "week",
    "outcome",
    "measure",
    "statistic",
    "estimate",
    "sd",
    "ci_low",
    "ci_high",
    "n_replicates",
    "n_learners",
    "n_analysed",
    "attrition_arm",
    "attrition_control",
    "reliability",
    "target_low",
    "target_high",
    "target_role",
    "target_source",
)


def control_arm(scenario: Scenario, arms: Sequence[str] | None = None) -> str | None:
    """The control arm: the first arm (of ``arms``, default all) without programmes."""
    for name in arms or list(scenario.arms):
        if not scenario.arms[name].programmes:
            return name
    return None


def end_week(prog: Programme, horizon: int) -> int:
    """A programme's end: start + its duration, or one year after its start when it runs on."""
    length = prog.dur_programme_weeks or WEEKS_TO_POST_TEST
    return max(1, min(prog.start_week + length, horizon))


def snapshot_weeks(scenario: Scenario, arms: Sequence[str]) -> list[int]:
    """Weeks at which every arm's initial cohort is measured: every programme's end, the horizon.

    Returns an empty list when there is no control arm or no programme to compare.
    """
    control = control_arm(scenario, arms)
    weeks = set()
    for arm in arms:
        sc = arm_scenario(scenario, arm)
        for name in sc.arms[arm].programmes:
            weeks.add(end_week(sc.programmes[name], sc.horizon_weeks))
    if control is None or not weeks:
        return []
    return sorted(weeks | {scenario.horizon_weeks})


def outcomes(
    snap: pd.DataFrame, sc: Scenario, focus: Sequence[str], used: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """Person-level outcomes of one snapshot, keyed by (outcome, measure).

    Args:
        snap: One snapshot of the initial cohort (:class:`sim.model.cohort.CohortRecorder`).
        sc: The scenario as the snapshot's arm sees it (its scales and domains).
        focus: Domains of ``skill_focus`` (empty: every domain).
        used: Whether each level's job uses each domain at least half the time at week 0
            (levels x domains), the domains of ``skill_job``.

    Returns:
        Per person, NaN where not measured: ``skill_focus``, ``skill_job`` and
        ``engagement``, each ``latent`` (true state) and ``observed`` (ratings and survey
        scores mapped onto 0-1 by :func:`~sim.scenario.orgdata.scale_to_unit`).
    """
    domains = list(sc.organisation.domains)
    focus_idx = [domains.index(d) for d in focus] if focus else list(range(len(domains)))
    out: dict[tuple[str, str], np.ndarray] = {}
    level = snap["level_start"].to_numpy()
    weights = used[level]  # domains each person's job used at week 0
    for measure, prefix in (("latent", "skill_"), ("observed", "rating_")):
        cols = [f"{prefix}{d}" for d in domains]
        if cols[0] not in snap.columns:
            continue
        x = snap[cols].to_numpy(dtype=float)
        if measure == "observed":
            x = scale_to_unit(x, sc.organisation.skill_scale)
        out[("skill_focus", measure)] = x[:, focus_idx].mean(axis=1)
        out[("skill_job", measure)] = (x * weights).sum(axis=1) / np.maximum(weights.sum(1), 1)
    out[("engagement", "latent")] = snap["engagement"].to_numpy(dtype=float)
    if "survey" in snap.columns:
        out[("engagement", "observed")] = scale_to_unit(
            snap["survey"].to_numpy(dtype=float), sc.organisation.engagement_scale
        )
    return out


def _n_domains(outcome: str, focus: Sequence[str], used: np.ndarray, n: int) -> int:
    """Domains averaged in an outcome (for skill_job, the analysed people's mean number)."""
    if outcome == "skill_focus":
        return len(focus) or n
    return max(round(float(used.sum(axis=1).mean())) if len(used) else 1, 1)


def per_replicate(
    cohort: pd.DataFrame, scenario: Scenario, control: str | None = None
) -> pd.DataFrame:
    """Effect sizes per replicate (see the module docstring for the estimand).

    Args:
        cohort: Person-level snapshots with ``arm`` and ``replicate`` columns
            (:class:`sim.model.cohort.CohortRecorder` tables).
        scenario: The scenario run.
        control: The control arm (default: the first arm without programmes).

    Returns:
        One row per (arm, programme, timepoint, outcome, measure, replicate) with
        ``value`` and the counts; empty when there is nothing to compare.
    """
    if cohort.empty:
        return pd.DataFrame()
    arms = list(dict.fromkeys(cohort["arm"]))
    control = control or control_arm(scenario, arms)
    if control is None or control not in arms:
        return pd.DataFrame()
    groups = {key: g for key, g in cohort.groupby(["arm", "replicate", "week"], sort=False)}
    csc = arm_scenario(scenario, control)
    used = usage_matrix(csc) >= 0.5  # job usage at week 0 (levels x domains)
    obs = csc.observation
    org = csc.organisation
    rows = []
    for arm in arms:
        if arm == control:
            continue
        sc = arm_scenario(scenario, arm)
        for name in sc.arms[arm].programmes:
            prog = sc.programmes[name]
            w_end = end_week(prog, sc.horizon_weeks)
            timepoints = {"end": w_end, "horizon": sc.horizon_weeks}
            for r in sorted(set(cohort.loc[cohort["arm"] == arm, "replicate"])):
                assigned = groups.get((arm, r, w_end))
                if assigned is None:
                    continue
                learner = assigned[f"learner:{name}"].fillna(False).to_numpy(dtype=bool)
                n_learners = int(learner.sum())
                for tp, week in timepoints.items():
                    a, c = groups.get((arm, r, week)), groups.get((control, r, week))
                    if a is None or c is None:
                        continue
                    base = dict(
                        arm=arm, programme=name, design=prog.kind, control=control,
                        timepoint=tp, week=week, replicate=r, n_learners=n_learners,
                    )  # fmt: skip
                    ea, ec = a["employed"].to_numpy(), c["employed"].to_numpy()
                    both = learner & ea & ec
                    stay_a = ea[learner].mean() if n_learners else np.nan
                    stay_c = ec[learner].mean() if n_learners else np.nan
                    attrition = dict(attrition_arm=1 - stay_a, attrition_control=1 - stay_c)
                    ya = outcomes(a, sc, prog.focus_domains, used)
                    yc = outcomes(c, csc, prog.focus_domains, used)
                    for (outcome, measure), va in ya.items():
                        vc = yc[(outcome, measure)]
                        keep = both & ~np.isnan(va) & ~np.isnan(vc)
                        sd = vc[keep].std(ddof=1) if keep.sum() > 1 else np.nan
                        diff = (va[keep] - vc[keep]).mean() if keep.any() else np.nan
                        rel = np.nan
                        if measure == "observed":
                            true = yc[(outcome, "latent")][keep]
                            var_true = float(true.var(ddof=1)) if keep.sum() > 1 else np.nan
                            if outcome == "engagement":
                                rel = reliability(
                                    var_true, obs.sd_survey_error, obs.survey_step,
                                    org.engagement_scale,
                                )  # fmt: skip
                            else:
                                lv = c["level_start"].to_numpy()[keep]
                                k = _n_domains(outcome, prog.focus_domains, used[lv], len(used[0]))
                                rel = _skill_reliability(var_true, obs, org.skill_scale, k)
                        for statistic, value in (
                            ("d", diff / sd if sd and sd > 0 else np.nan),
                            ("diff", diff),
                        ):
                            rows.append(
                                {
                                    **base, "outcome": outcome, "measure": measure,
                                    "statistic": statistic, "value": value,
                                    "n_analysed": int(keep.sum()), **attrition,
                                    "reliability": rel,
                                }
                            )  # fmt: skip
                    promoted_a = a["promotions"].to_numpy()[learner] > 0
                    promoted_c = c["promotions"].to_numpy()[learner] > 0
                    share_a = promoted_a.mean() if n_learners else np.nan
                    share_c = promoted_c.mean() if n_learners else np.nan
                    for outcome, num, den in (
                        ("retention", stay_a, stay_c),
                        ("promotion", share_a, share_c),
                    ):
                        for statistic, value in (
                            ("risk_ratio", num / den if n_learners and den > 0 else np.nan),
                            ("diff", num - den if n_learners else np.nan),
                        ):
                            rows.append(
                                {
                                    **base, "outcome": outcome, "measure": "latent",
                                    "statistic": statistic, "value": value,
                                    "n_analysed": n_learners, **attrition,
                                    "reliability": np.nan,
                                }
                            )  # fmt: skip
    return pd.DataFrame(rows)


#: What names one effect size: the columns of :func:`per_replicate` that a calibration
#: target or an optimisation objective picks one value by.
EFFECT_KEY = ("arm", "programme", "timepoint", "outcome", "measure", "statistic")


def effect_values(per: pd.DataFrame, by_replicate: bool = False) -> dict[tuple, float]:
    """Effect sizes by :data:`EFFECT_KEY`, averaged over replicates or one per replicate.

    Args:
        per: :func:`per_replicate` rows (may be empty).
        by_replicate: Key by ``(*EFFECT_KEY, replicate)`` instead of averaging.

    Returns:
        Values by key; a key is missing where no replicate has a value (no learners
        employed in both arms, say).
    """
    if per.empty:
        return {}
    keys = [*EFFECT_KEY, "replicate"] if by_replicate else list(EFFECT_KEY)
    means = per.groupby(keys, sort=False)["value"].mean()
    return {tuple(k): float(v) for k, v in means.items() if np.isfinite(v)}


def _skill_reliability(var_true: float, obs, scale: tuple[float, float], k: int) -> float:
    return reliability(
        var_true, obs.sd_rating_error, obs.rating_step, scale, obs.sd_rater_leniency, k
    )


def effect_sizes(
    cohort: pd.DataFrame,
    scenario: Scenario,
    control: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Effect sizes of every programme on its learners, with CIs over replicates.

    Args:
        cohort: Person-level snapshots (``Results.cohort``).
        scenario: The scenario run.
        control: The control arm (default: the first arm without programmes).
        confidence: Confidence level of the t-intervals.

    Returns:
        Tidy table with the columns of :data:`COLUMNS`: one row per (arm, programme,
        timepoint, outcome, measure). ``estimate`` is the mean over replicates, ``sd``
        its spread, ``n_learners``, ``n_analysed`` and the attrition shares are means
        over replicates, ``reliability`` (observed rows) is the observation model's
        reliability of the outcome (mean over replicates). ``target_low`` and
        ``target_high`` are the published value (:mod:`sim.analysis.targets`), for
        observed d multiplied by sqrt(reliability); ``target_role`` says whether it is
        a target or only a reference. Empty (with these columns) when the scenario has
        no control arm or no programme.
    """
    per = per_replicate(cohort, scenario, control)
    if per.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    keys = ["arm", "programme", "design", "control", "timepoint", "week", "outcome",
            "measure", "statistic"]  # fmt: skip
    rows = []
    for key, g in per.groupby(keys, sort=False):
        v = g["value"].dropna().to_numpy()
        n = len(v)
        mean = float(v.mean()) if n else np.nan
        sd = float(v.std(ddof=1)) if n > 1 else np.nan
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        row = dict(zip(keys, key, strict=True))
        rel = float(g["reliability"].mean())
        row.update(
            estimate=mean, sd=sd, ci_low=mean - half, ci_high=mean + half, n_replicates=n,
            n_learners=float(g["n_learners"].mean()), n_analysed=float(g["n_analysed"].mean()),
            attrition_arm=float(g["attrition_arm"].mean()),
            attrition_control=float(g["attrition_control"].mean()), reliability=rel,
        )  # fmt: skip
        row.update(_target(row["design"], row["outcome"], row["statistic"], row["measure"], rel))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _target(design: str, outcome: str, statistic: str, measure: str, rel: float) -> dict:
    found = targets.find(design, outcome, statistic)
    if found is None:
        return dict(target_low=np.nan, target_high=np.nan, target_role="", target_source="")
    t, role = found
    scale = np.sqrt(rel) if (measure == "observed" and t.corrected) else 1.0
    return dict(
        target_low=t.low * scale,
        target_high=t.high * scale,
        target_role=role,
        target_source=f"{t.source} {t.tag}",
    )


def summary_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """Effect sizes as rows of ``summary.csv``.

    The metric is named ``<statistic>_<outcome>_<measure>_<timepoint>_<programme>``,
    e.g. ``d_skill_focus_latent_horizon_mentorship``.

    Returns:
        Columns ``arm``, ``metric``, ``mean``, ``sd``, ``n``, ``ci_low``, ``ci_high``.
    """
    if effects.empty:
        return pd.DataFrame(columns=["arm", "metric", "mean", "sd", "n", "ci_low", "ci_high"])
    metric = (
        effects["statistic"] + "_" + effects["outcome"] + "_" + effects["measure"] + "_"
        + effects["timepoint"] + "_" + effects["programme"]
    )  # fmt: skip
    return pd.DataFrame(
        {
            "arm": effects["arm"],
            "metric": metric,
            "mean": effects["estimate"],
            "sd": effects["sd"],
            "n": effects["n_replicates"],
            "ci_low": effects["ci_low"],
            "ci_high": effects["ci_high"],
        }
    )
