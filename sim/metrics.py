"""Weekly measurement: pure functions of the model's state that never draw random numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.promotion import readiness
from sim.scenario import _slug as slug

if TYPE_CHECKING:
    from sim.model import WorkplaceModel

#: Metrics shown in terminal tables and summaries first.
HEADLINE = (
    "mean_skill",
    "share_proficient",
    "mean_engagement",
    "retention_initial",
    "retention_participants",
    "retention_nonparticipants",
    "cumulative_quits",
    "promotions",
    "time_to_proficiency_weeks",
    "session_hours",
    "total_cost",
)


@dataclass
class Totals:
    """Running totals kept by the model's accounting phases (not random, not derived)."""

    quits_week: int = 0
    quits: int = 0
    knowledge_lost: float = 0.0
    replacement_cost: float = 0.0
    promotions: int = 0
    session_hours_week: float = 0.0
    session_hours: float = 0.0
    guide_hours: float = 0.0
    session_cost: float = 0.0
    proficiency_weeks: float = 0.0
    n_proficient_hires: int = 0


def gini(values: np.ndarray, presorted: bool = False) -> float:
    """Gini coefficient of non-negative values (0 = equal, toward 1 = concentrated)."""
    x = values if presorted else np.sort(values)
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2.0 * (ranks * x).sum() / (n * total) - (n + 1) / n)


def _share_still_employed(slot_of_id: np.ndarray, mask: np.ndarray | None) -> float:
    if mask is None or not mask.any():
        return float("nan")
    return float((slot_of_id[np.flatnonzero(mask)] >= 0).mean())


def measure(model: WorkplaceModel) -> dict[str, float]:
    """Measure the model's state at the end of a week.

    Args:
        model: The model.

    Returns:
        One value per metric; see docs/model.md (Observation) for definitions. Ratios
        with nothing to measure yet (e.g. time to proficiency before any hire is
        proficient, or participant retention in an arm without programmes) are NaN.
    """
    wf, sc, t = model.workforce, model.params, model.totals
    occ = wf.occupied
    # Hiring fills every position by the end of a week; copy only when some are vacant.
    full = bool(occ.all())
    skill = wf.skill if full else wf.skill[occ]
    level = wf.level if full else wf.level[occ]
    per_person = skill.mean(axis=1)
    headcount = int(occ.sum())
    org = sc.organisation
    rec: dict[str, float] = {
        "week": model.week,
        "headcount": headcount,
        "mean_skill": float(per_person.mean()),
    }
    for j, d in enumerate(org.domains):
        rec[f"mean_skill_{slug(d)}"] = float(skill[:, j].mean())
    sums = np.bincount(level, weights=per_person, minlength=sc.n_levels)
    counts = np.bincount(level, minlength=sc.n_levels)
    for lv, name in enumerate(org.levels):
        rec[f"mean_skill_{slug(name)}"] = float(sums[lv] / counts[lv]) if counts[lv] else np.nan
    ordered = np.sort(per_person)
    rec["skill_gini"] = gini(ordered, presorted=True)
    # Who is left behind: the 10th, 50th and 90th percentiles of personal mean skill.
    for q in (10, 50, 90):
        rec[f"skill_p{q}"] = float(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))])
    rec["share_proficient"] = float(
        (model.proficiency_score[occ] >= sc.learning.proficiency_threshold).mean()
    )
    rec["mean_engagement"] = float(wf.engagement[occ].mean())
    rec["quits"] = t.quits_week
    rec["cumulative_quits"] = t.quits
    initial = wf.slot_of_id[: model.n_initial]
    rec["retention_initial"] = float((initial >= 0).mean())
    # Participants: initial employees employed and in a relationship at the end of the
    # first week in which the arm's programmes had any; non-participants: the others
    # employed then. NaN before that week and in arms without programmes.
    part = model.initial_participant
    rec["retention_participants"] = _share_still_employed(initial, part)
    rec["retention_nonparticipants"] = _share_still_employed(
        initial, None if part is None else model.initial_present & ~part
    )
    rec["knowledge_lost"] = t.knowledge_lost
    rec["promotions"] = t.promotions
    eligible = occ & (wf.level < sc.n_levels - 1)
    eligible &= wf.weeks_in_level >= sc.promotion.dur_min_in_level_weeks
    slots = np.flatnonzero(eligible)
    weights = model.readiness_weights[wf.level[slots] + 1]
    score = readiness(wf.skill[slots], weights, wf.visibility[slots], sc.promotion)
    rec["n_ready_for_promotion"] = int((score >= sc.promotion.readiness_threshold).sum())
    rec["session_hours_week"] = t.session_hours_week
    rec["session_hours"] = t.session_hours
    rec["mentor_hours"] = t.guide_hours
    rec["session_cost"] = t.session_cost
    rec["replacement_cost"] = t.replacement_cost
    rec["total_cost"] = t.session_cost + t.replacement_cost
    rec["time_to_proficiency_weeks"] = (
        t.proficiency_weeks / t.n_proficient_hires if t.n_proficient_hires else np.nan
    )
    rec["n_learners_reached"] = int(model.reached.sum())
    for prog in model.programmes:
        rec[f"session_hours_{slug(prog.name)}"] = prog.hours_spent
    rec["n_relationships"] = sum(
        int(
            (
                (wf.slot_of_id[p.relationships.a] >= 0) & (wf.slot_of_id[p.relationships.b] >= 0)
            ).sum()
        )
        for p in model.programmes
    )
    return rec
