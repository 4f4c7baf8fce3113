"""Weekly measurement: pure functions of the model's state that never draw random numbers."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

import numpy as np

from sim.jit import helper, kernel
from sim.model.ledger import Careers, Ledger
from sim.model.network import AdviceNetwork
from sim.model.programmes import ProgrammeRule
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
    x = np.asarray(values, dtype=np.float64)
    return _gini_sorted(x if presorted else np.sort(x))


@kernel
def _pairwise_sum(x):
    """``x.sum()`` of a 1-d array, added in numpy's order so that kernels equal numpy.

    numpy adds up to 128 numbers in eight interleaved partial sums and splits longer runs
    in two (pairwise summation, recursively: here with a stack of the runs still to
    add); adding in the same order gives the same last bit.
    """
    # Runs to add, last first: (start, length), or (-1, -1) for "add the last two sums".
    todo = np.empty((192, 2), dtype=np.int64)
    sums = np.empty(64)
    todo[0, 0], todo[0, 1] = 0, len(x)
    n_todo, n_sums = 1, 0
    while n_todo:
        n_todo -= 1
        start, n = todo[n_todo, 0], todo[n_todo, 1]
        if n < 0:
            n_sums -= 1
            sums[n_sums - 1] += sums[n_sums]
        elif n > 128:
            half = n // 2
            half -= half % 8
            todo[n_todo, 0], todo[n_todo, 1] = -1, -1
            todo[n_todo + 1, 0], todo[n_todo + 1, 1] = start + half, n - half
            todo[n_todo + 2, 0], todo[n_todo + 2, 1] = start, half
            n_todo += 3
        else:
            sums[n_sums] = _run_sum(x, start, n)
            n_sums += 1
    return 0.0 + sums[0]


@helper
def _run_sum(x, start, n):
    """The sum of a run of at most 128 numbers, as numpy adds it (:func:`_pairwise_sum`)."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += x[i]
        return res
    r0, r1, r2, r3 = x[start], x[start + 1], x[start + 2], x[start + 3]
    r4, r5, r6, r7 = x[start + 4], x[start + 5], x[start + 6], x[start + 7]
    end = start + n - n % 8
    for i in range(start + 8, end, 8):
        r0 += x[i]
        r1 += x[i + 1]
        r2 += x[i + 2]
        r3 += x[i + 3]
        r4 += x[i + 4]
        r5 += x[i + 5]
        r6 += x[i + 6]
        r7 += x[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, start + n):
        res += x[i]
    return res


@helper
def _gini_sorted(x):
    """:func:`gini` of values in ascending order (summed as numpy sums)."""
    n = len(x)
    total = _pairwise_sum(x)
    if n == 0 or total <= 0:
        return 0.0
    weighted = np.empty(n)  # each value times its rank
    for k in range(n):
        weighted[k] = (k + 1) * x[k]
    return 2.0 * _pairwise_sum(weighted) / (n * total) - (n + 1) / n


@kernel
def _counts(slot_of_id, n_initial, participant, present, took_part, reached, ties):
    """The counts measurement takes from one replicate's arrays indexed by employee id.

    Returns:
        Initial employees still employed: all, participants and those of them still
        employed, non-participants and those of them still employed; everyone who ever
        took part in a programme; everyone ever reached by a session; and the advice
        ties of the current employees (``ties``: per position), summed.
    """
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
    n_took_part = 0
    for flag in took_part:
        n_took_part += flag
    n_reached = 0
    for flag in reached:
        n_reached += flag
    n_ties = 0
    for n in ties:
        n_ties += n
    return n_all, n_part, n_part_in, n_non, n_non_in, n_took_part, n_reached, n_ties


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


class Replicate(Protocol):
    """What measurement reads of one replicate (a :class:`~sim.model.workplace.WorkplaceModel`)."""

    @property
    def workforce(self) -> Workforce:
        """Its workforce: its rows of the arrays and its id registry."""
        ...

    @property
    def ledger(self) -> Ledger:
        """Its running totals and records."""
        ...

    @property
    def programmes(self) -> Sequence[ProgrammeRule]:
        """The arm's programmes (their hours, relationships, endings and formings)."""
        ...

    @property
    def network(self) -> AdviceNetwork:
        """Its advice ties."""
        ...


class Memo:
    """What measurement keeps from one week to the next for the replicates of one arm.

    Neither is a result of its own: the record's names depend only on the scenario and
    the arm's programmes, and promotions per person (:func:`promotions_per_person`)
    change only in a week in which someone is promoted, so the week's values are last
    week's otherwise.
    """

    def __init__(self) -> None:
        self.names: dict[tuple[str, ...], tuple[str, ...]] = {}
        #: By ``id`` of a :class:`Careers`: it (kept alive), the promotions counted, the rates.
        self.rates: dict[int, tuple[Careers, int, tuple[float, float]]] = {}

    def names_of(self, params: Scenario, programmes: Sequence[ProgrammeRule]) -> tuple[str, ...]:
        """The record's names for these programmes (:func:`record_names`)."""
        key = tuple([p.name for p in programmes])
        names = self.names.get(key)
        if names is None:
            names = self.names[key] = record_names(params, key)
        return names

    def promotions_per_person(self, ledger: Ledger) -> tuple[float, float]:
        """:func:`promotions_per_person`, worked out again only after promotions."""
        careers = ledger.careers
        if careers is None:
            return np.nan, np.nan
        promotions = ledger.totals.promotions
        kept = self.rates.get(id(careers))
        if kept is None or kept[1] != promotions:
            kept = self.rates[id(careers)] = (careers, promotions, promotions_per_person(ledger))
        return kept[2]


def record_names(params: Scenario, programmes: Sequence[str]) -> tuple[str, ...]:
    """The names of a week's metrics, in the order of :func:`measure`'s records.

    Args:
        params: The scenario as the arm sees it (its domains and levels).
        programmes: Names of the arm's programmes, in order.
    """
    org = params.organisation
    domains = [slug(d) for d in org.domains]
    return (
        "week",
        "headcount",
        "mean_skill",
        *(f"mean_skill_{d}" for d in domains),
        *(f"mean_skill_{slug(name)}" for name in org.levels),
        "skill_gini",
        # Who is left behind: the 10th, 50th and 90th percentiles of personal mean skill.
        *(f"skill_p{q}" for q in _PERCENTILES),
        "share_proficient",
        # How far a skill has spread: the share at or above the threshold in each domain.
        *(f"share_proficient_{d}" for d in domains),
        "mean_engagement",
        "quits",
        "cumulative_quits",
        "retention_initial",
        "retention_participants",
        "retention_nonparticipants",
        "knowledge_lost",
        "promotions",
        "n_ready_for_promotion",
        "promotions_per_learner",
        "promotions_per_nonparticipant",
        "session_hours_week",
        "session_hours",
        "mentor_hours",
        "session_cost",
        "replacement_cost",
        "overhead_cost",
        "programme_cost",
        "total_cost",
        "n_participants",
        "cost_per_participant",
        "time_to_proficiency_weeks",
        "n_learners_reached",
        *(f"session_hours_{slug(name)}" for name in programmes),
        "n_relationships",
        "relationships_ended_early",
        "share_relationships_ended_early",
        "advice_episodes_week",
        "advice_hours",
        "manager_feedback_week",
        "advice_ties_per_employee",
        "skill_gained_informal",
        "skill_gained_programmes",
        "informal_share_of_learning",
    )


#: Percentiles of personal mean skill in the records (``skill_p10`` ...).
_PERCENTILES = (10, 50, 90)


def measure(
    replicates: Sequence[Replicate],
    wf: Workforce,
    params: Scenario,
    *,
    week: int,
    proficiency_score: np.ndarray,
    readiness_weights: np.ndarray,
    memo: Memo,
) -> list[dict[str, float]]:
    """Measure the state of replicates at the end of a week; reads, never changes or draws.

    The state's metrics of every replicate come from one compiled pass over ``wf``, one
    sort and one more pass; the rest from each replicate's ledger and programmes.

    Args:
        replicates: The replicates of one arm, at the same week.
        wf: Their workforces laid end to end (a batch's stacked workforce, or the
            replicate's own when there is one).
        params: The scenario as the arm sees it.
        week: Weeks simulated so far.
        proficiency_score: Each position's proficiency score (rows as ``wf``).
        readiness_weights: Promotion readiness weights by level and domain.
        memo: What measurement keeps from week to week for these replicates.

    Returns:
        One record per replicate: one value per metric, named as :func:`record_names`
        orders them; see docs/model.md (Observation) for definitions. Ratios with
        nothing to measure yet (e.g. time to proficiency before any hire is proficient,
        or participant retention in an arm without programmes) are NaN.
    """
    sc = params
    names = memo.names_of(sc, replicates[0].programmes)
    values, counts, per_person = _state_stats(
        wf.skill,
        wf.level,
        wf.employee_id,
        wf.engagement,
        proficiency_score,
        wf.weeks_in_level,
        wf.visibility,
        readiness_weights,
        len(replicates),
        sc.learning.proficiency_threshold,
        float(sc.promotion.dur_min_in_level_weeks),
        sc.promotion.weight_visibility,
        sc.promotion.readiness_threshold,
    )
    # numpy sorts each replicate's personal means (its sort is faster inside a running
    # model than a compiled one); then one pass adds their Gini and percentiles.
    per_person.sort()
    gini_at = 1 + wf.skill.shape[1] + len(readiness_weights)  # after mean skill by domain, level
    _spread(per_person, counts, values, gini_at)
    records = []
    for rep, state, (headcount, n_ready) in zip(
        replicates, values.tolist(), counts.tolist(), strict=True
    ):
        ledger = rep.ledger
        t = ledger.totals
        slot_of_id = rep.workforce.slot_of_id
        # Participants: initial employees employed and in a relationship at the end of
        # the first week in which the arm's programmes had any; non-participants: the
        # others employed then. NaN before that week and in arms without programmes.
        part = ledger.initial_participant
        groups = (part, ledger.initial_present) if part is not None else (_NO_GROUP, _NO_GROUP)
        n_in, n_part, n_part_in, n_non, n_non_in, n_participants, n_reached, n_ties = _counts(
            slot_of_id, ledger.n_initial, *groups, ledger.took_part, ledger.reached, rep.network.n
        )
        per_learner, per_other = memo.promotions_per_person(ledger)
        programme_cost = t.session_cost + t.overhead_cost
        hours = []
        n_relationships = ended_early = formed = 0
        for prog in rep.programmes:
            hours.append(prog.hours_spent)
            rel = prog.relationships
            n_relationships += _n_current(slot_of_id, rel.a, rel.b)
            # Since week 0: relationships that ended early (pairs, and members who left a
            # group early) and relationships formed (pairs, and members of groups formed).
            ended_early += prog.n_ended_early
            formed += prog.n_formed
        record = [week, headcount, *state]
        record += (
            t.quits_week,
            t.quits,
            n_in / ledger.n_initial,
            _share(n_part_in, n_part),
            _share(n_non_in, n_non),
            t.knowledge_lost,
            t.promotions,
            n_ready,
            per_learner,
            per_other,
            t.session_hours_week,
            t.session_hours,
            t.guide_hours,
            t.session_cost,
            t.replacement_cost,
            t.overhead_cost,
            programme_cost,
            t.session_cost + t.overhead_cost + t.replacement_cost,
            n_participants,
            _share(programme_cost, n_participants),
            t.proficiency_weeks / t.n_proficient_hires if t.n_proficient_hires else np.nan,
            n_reached,
            *hours,
            n_relationships,
            ended_early,
            _share(ended_early, formed),
            t.advice_week,
            t.advice_hours,
            t.feedback_conversations_week,
            n_ties / headcount,
            t.skill_gained_informal,
            t.skill_gained_programmes,
            _share(t.skill_gained_informal, t.skill_gained_informal + t.skill_gained_programmes),
        )
        records.append(dict(zip(names, record, strict=True)))
    return records


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
    n_replicates,
    proficiency_threshold,
    min_weeks_in_level,
    weight_visibility,
    readiness_threshold,
):
    """One pass over each replicate's positions: the metrics of the occupied ones.

    Replicate ``r`` holds rows ``r * n .. (r + 1) * n - 1`` of the arrays (``n`` rows
    each). Sums are added in the order numpy adds them (:func:`_pairwise_sum`).

    Returns:
        ``values`` (replicates x metrics), in the order of the records
        (:func:`record_names`): mean skill, by domain and by level (NaN for an empty
        level), room for the Gini coefficient and percentiles of personal mean skill
        (:func:`_spread`), the share proficient, by domain, and mean engagement;
        ``counts`` (replicates x 2): headcount and the number ready for promotion to the
        next level; and ``per_person`` (replicates x positions): the personal mean skill
        of each occupant in slot order, then infinity.
    """
    n_rows, n_domains = skill.shape
    n = n_rows // n_replicates
    n_levels = readiness_weights.shape[0]
    values = np.empty((n_replicates, 2 * n_domains + n_levels + 4 + len(_PERCENTILES)))
    counts = np.zeros((n_replicates, 2), dtype=np.int64)
    per_person = np.full((n_replicates, n), np.inf)
    domain_sum = np.empty(n_domains)
    domain_proficient = np.empty(n_domains, dtype=np.int64)
    level_sum = np.empty(n_levels)
    level_count = np.empty(n_levels, dtype=np.int64)
    for r in range(n_replicates):
        domain_sum[:] = 0.0
        domain_proficient[:] = 0
        level_sum[:] = 0.0
        level_count[:] = 0
        n_proficient = 0
        engagement_sum = 0.0
        n_ready = 0
        m = 0
        for i in range(r * n, (r + 1) * n):
            if employee_id[i] < 0:
                continue
            total = 0.0
            for d in range(n_domains):
                total += skill[i, d]
                domain_sum[d] += skill[i, d]
                if skill[i, d] >= proficiency_threshold:
                    domain_proficient[d] += 1
            mean = total / n_domains
            per_person[r, m] = mean
            m += 1
            lv = level[i]
            level_sum[lv] += mean
            level_count[lv] += 1
            if proficiency_score[i] >= proficiency_threshold:
                n_proficient += 1
            engagement_sum += engagement[i]
            if lv < n_levels - 1 and weeks_in_level[i] >= min_weeks_in_level:
                score = readiness_of(
                    skill, visibility, i, readiness_weights[lv + 1], weight_visibility
                )
                if score >= readiness_threshold:
                    n_ready += 1
        out = values[r]
        out[0] = _pairwise_sum(domain_sum) / (m * n_domains)
        k = 1
        for d in range(n_domains):
            out[k] = domain_sum[d] / m
            k += 1
        for lv in range(n_levels):
            out[k] = level_sum[lv] / level_count[lv] if level_count[lv] else np.nan
            k += 1
        k += 1 + len(_PERCENTILES)  # Gini and percentiles: _spread
        out[k] = n_proficient / m
        k += 1
        for d in range(n_domains):
            out[k] = domain_proficient[d] / m
            k += 1
        out[k] = engagement_sum / m
        counts[r, 0] = m
        counts[r, 1] = n_ready
    return values, counts, per_person


@kernel
def _spread(ordered, counts, values, at):
    """Each replicate's Gini coefficient and percentiles of personal mean skill.

    Args:
        ordered: Personal means of each replicate (rows), ascending, then infinity.
        counts: Headcount of each replicate (first column).
        values: The metrics of :func:`_state_stats`; written from column ``at`` on.
        at: Column of the Gini coefficient.
    """
    for r in range(len(ordered)):
        m = counts[r, 0]
        x = ordered[r, :m]
        values[r, at] = _gini_sorted(x)
        for j, q in enumerate(_PERCENTILES):
            values[r, at + 1 + j] = x[min(m - 1, int(q / 100 * m))]
