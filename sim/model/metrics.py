"""Weekly measurement: pure functions of the model's state that never draw random numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np

from sim.jit import kernel
from sim.model.ledger import Ledger
from sim.model.submodels.promotion import readiness_of
from sim.model.workforce import Workforce
from sim.scenario.schema import Scenario, _slug

#: Column suffix of a name (cached: measurement runs every week).
slug = cache(_slug)
_NO_GROUP = np.zeros(0, dtype=bool)


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

#: Metrics for which less is better: costs, quits, time to proficiency, knowledge lost
#: with leavers. Every other metric is taken as better when higher (where "best" is
#: asked for: the best points of a grid sweep). Hours spent in sessions, mentoring and
#: advice are not here: they are effort, which a reader may want more or less of.
LOWER_IS_BETTER = frozenset(
    {
        "session_cost",
        "overhead_cost",
        "programme_cost",
        "cost_per_participant",
        "replacement_cost",
        "total_cost",
        "quits",
        "cumulative_quits",
        "time_to_proficiency_weeks",
        "knowledge_lost",
        "relationships_ended_early",
        "share_relationships_ended_early",
    }
)


def better(metric: str) -> str:
    """``"lower"`` if less of ``metric`` is better (:data:`LOWER_IS_BETTER`), else ``"higher"``."""
    return "lower" if metric in LOWER_IS_BETTER else "higher"


def gini(values: np.ndarray, presorted: bool = False) -> float:
    """Gini coefficient of non-negative values (0 = equal, toward 1 = concentrated)."""
    x = values if presorted else np.sort(values)
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2.0 * (ranks * x).sum() / (n * total) - (n + 1) / n)


@kernel
def _retention(slot_of_id, n_initial, participant, present):
    """Initial employees still employed: all, participants, non-participants (counts)."""
    n_all = n_part = n_part_in = n_non = n_non_in = 0
    with_groups = len(participant) > 0
    for i in range(n_initial):
        employed = slot_of_id[i] >= 0
        n_all += employed
        if with_groups and present[i]:
            if participant[i]:
                n_part += 1
                n_part_in += employed
            else:
                n_non += 1
                n_non_in += employed
    return n_all, n_part, n_part_in, n_non, n_non_in


@kernel
def _n_current(slot_of_id, a, b):
    """Relationships whose two members are both still employed."""
    n = 0
    for k in range(len(a)):
        n += (slot_of_id[a[k]] >= 0) & (slot_of_id[b[k]] >= 0)
    return n


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def promotions_per_person(ledger: Ledger) -> tuple[float, float]:
    """Promotions per learner and per level-matched non-participant since the cohort week.

    Learners and non-participants are the initial employees of :class:`Careers`. The
    non-participants' rate is taken level by level (their level in the cohort week) and
    weighted by the learners' numbers at each level, so a difference between the two is
    not one of levels; levels without non-participants are left out of both.

    Args:
        ledger: The ledger (its :class:`Careers` counts promotions as they happen).

    Returns:
        ``(per_learner, per_nonlearner)``; NaN before the cohort is fixed or if either
        group is empty at every level.
    """
    careers = ledger.careers
    if careers is None:
        return np.nan, np.nan
    n_learners, n_others = careers.n_learners, careers.n_others
    learner_rate = careers.promoted_learners / np.maximum(n_learners, 1)
    other_rate = careers.promoted_others / np.maximum(n_others, 1)
    weight = np.where(n_others > 0, n_learners, 0)
    if weight.sum() == 0:
        return np.nan, np.nan
    weight = weight / weight.sum()
    return float(weight @ learner_rate), float(weight @ other_rate)


def measure(
    wf: Workforce,
    ledger: Ledger,
    params: Scenario,
    *,
    week: int,
    proficiency_score: np.ndarray,
    readiness_weights: np.ndarray,
    programme_hours: Mapping[str, float],
    relationships: Sequence[tuple[np.ndarray, np.ndarray]],
    advice_ties: np.ndarray | None = None,
    endings: tuple[int, int] = (0, 0),
) -> dict[str, float]:
    """Measure the state at the end of a week; reads, never changes or draws.

    Args:
        wf: The workforce.
        ledger: The running totals and records.
        params: The scenario as the arm sees it.
        week: Weeks simulated so far.
        proficiency_score: Each position's proficiency score.
        readiness_weights: Promotion readiness weights by level and domain.
        programme_hours: Person-hours in sessions since week 0, by programme name.
        relationships: Employee ids of the two sides of each programme's relationships.
        advice_ties: Number of advice ties of each position's occupant
            (:attr:`sim.model.network.AdviceNetwork.n`).
        endings: Since week 0, over the arm's programmes: relationships that ended early
            (pairs, and members who left a group early) and relationships formed (pairs,
            and members of the groups formed).

    Returns:
        One value per metric; see docs/model.md (Observation) for definitions. Ratios
        with nothing to measure yet (e.g. time to proficiency before any hire is
        proficient, or participant retention in an arm without programmes) are NaN.
    """
    sc, t = params, ledger.totals
    org = sc.organisation
    stats = _state_stats(
        wf.skill,
        wf.level,
        wf.employee_id,
        wf.engagement,
        proficiency_score,
        wf.weeks_in_level,
        wf.visibility,
        readiness_weights,
        sc.learning.proficiency_threshold,
        float(sc.promotion.dur_min_in_level_weeks),
        sc.promotion.weight_visibility,
        sc.promotion.readiness_threshold,
    )
    per_person, domain_sum, level_sum, level_count, n_proficient, engagement_sum, n_ready = stats[
        :7
    ]
    domain_proficient = stats[7]
    headcount = len(per_person)
    rec: dict[str, float] = {
        "week": week,
        "headcount": headcount,
        "mean_skill": float(domain_sum.sum() / (headcount * len(domain_sum))),
    }
    for j, d in enumerate(org.domains):
        rec[f"mean_skill_{slug(d)}"] = float(domain_sum[j] / headcount)
    for lv, name in enumerate(org.levels):
        count = level_count[lv]
        rec[f"mean_skill_{slug(name)}"] = float(level_sum[lv] / count) if count else np.nan
    ordered = np.sort(per_person)
    rec["skill_gini"] = gini(ordered, presorted=True)
    # Who is left behind: the 10th, 50th and 90th percentiles of personal mean skill.
    for q in (10, 50, 90):
        rec[f"skill_p{q}"] = float(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))])
    rec["share_proficient"] = n_proficient / headcount
    # How far a skill has spread: the share at or above the threshold in each domain.
    for j, d in enumerate(org.domains):
        rec[f"share_proficient_{slug(d)}"] = float(domain_proficient[j] / headcount)
    rec["mean_engagement"] = engagement_sum / headcount
    rec["quits"] = t.quits_week
    rec["cumulative_quits"] = t.quits
    # Participants: initial employees employed and in a relationship at the end of the
    # first week in which the arm's programmes had any; non-participants: the others
    # employed then. NaN before that week and in arms without programmes.
    part = ledger.initial_participant
    groups = (part, ledger.initial_present) if part is not None else (_NO_GROUP, _NO_GROUP)
    n_in, n_part, n_part_in, n_non, n_non_in = _retention(wf.slot_of_id, ledger.n_initial, *groups)
    rec["retention_initial"] = n_in / ledger.n_initial
    rec["retention_participants"] = _share(n_part_in, n_part)
    rec["retention_nonparticipants"] = _share(n_non_in, n_non)
    rec["knowledge_lost"] = t.knowledge_lost
    rec["promotions"] = t.promotions
    rec["n_ready_for_promotion"] = n_ready
    per_learner, per_other = promotions_per_person(ledger)
    rec["promotions_per_learner"] = per_learner
    rec["promotions_per_nonparticipant"] = per_other
    rec["session_hours_week"] = t.session_hours_week
    rec["session_hours"] = t.session_hours
    rec["mentor_hours"] = t.guide_hours
    rec["session_cost"] = t.session_cost
    rec["replacement_cost"] = t.replacement_cost
    rec["overhead_cost"] = t.overhead_cost
    rec["programme_cost"] = t.session_cost + t.overhead_cost
    rec["total_cost"] = t.session_cost + t.overhead_cost + t.replacement_cost
    rec["n_participants"] = int(ledger.took_part.sum())
    rec["cost_per_participant"] = _share(rec["programme_cost"], rec["n_participants"])
    rec["time_to_proficiency_weeks"] = (
        t.proficiency_weeks / t.n_proficient_hires if t.n_proficient_hires else np.nan
    )
    rec["n_learners_reached"] = int(ledger.reached.sum())
    for name, hours in programme_hours.items():
        rec[f"session_hours_{slug(name)}"] = hours
    rec["n_relationships"] = sum(int(_n_current(wf.slot_of_id, a, b)) for a, b in relationships)
    ended_early, formed = endings
    rec["relationships_ended_early"] = ended_early
    rec["share_relationships_ended_early"] = _share(ended_early, formed)
    rec["advice_episodes_week"] = t.advice_week
    rec["advice_hours"] = t.advice_hours
    rec["manager_feedback_week"] = t.feedback_conversations_week
    rec["advice_ties_per_employee"] = (
        float(advice_ties.sum() / headcount) if advice_ties is not None else 0.0
    )
    rec["skill_gained_informal"] = t.skill_gained_informal
    rec["skill_gained_programmes"] = t.skill_gained_programmes
    rec["informal_share_of_learning"] = _share(
        t.skill_gained_informal, t.skill_gained_informal + t.skill_gained_programmes
    )
    return rec


@kernel
def _state_stats(
    skill,
    level,
    employee_id,
    engagement,
    proficiency_score,
    weeks_in_level,
    visibility,
    readiness_weights,
    proficiency_threshold,
    min_weeks_in_level,
    weight_visibility,
    readiness_threshold,
):
    """One pass over the positions: sums and counts of the occupied ones.

    Returns the mean skill of each occupant (in slot order), skill summed per domain and
    (personal means) per level, the headcount per level, the number proficient, summed
    engagement, the number ready for promotion to the next level, and the number at or
    above the proficiency threshold in each domain.
    """
    n, n_domains = skill.shape
    n_levels = readiness_weights.shape[0]
    per_person = np.empty(n)
    domain_sum = np.zeros(n_domains)
    domain_proficient = np.zeros(n_domains, dtype=np.int64)
    level_sum = np.zeros(n_levels)
    level_count = np.zeros(n_levels, dtype=np.int64)
    n_proficient = 0
    engagement_sum = 0.0
    n_ready = 0
    m = 0
    for i in range(n):
        if employee_id[i] < 0:
            continue
        total = 0.0
        for d in range(n_domains):
            total += skill[i, d]
            domain_sum[d] += skill[i, d]
            if skill[i, d] >= proficiency_threshold:
                domain_proficient[d] += 1
        mean = total / n_domains
        per_person[m] = mean
        m += 1
        lv = level[i]
        level_sum[lv] += mean
        level_count[lv] += 1
        if proficiency_score[i] >= proficiency_threshold:
            n_proficient += 1
        engagement_sum += engagement[i]
        if lv < n_levels - 1 and weeks_in_level[i] >= min_weeks_in_level:
            score = readiness_of(skill, visibility, i, readiness_weights[lv + 1], weight_visibility)
            if score >= readiness_threshold:
                n_ready += 1
    return (
        per_person[:m],
        domain_sum,
        level_sum,
        level_count,
        n_proficient,
        engagement_sum,
        n_ready,
        domain_proficient,
    )
