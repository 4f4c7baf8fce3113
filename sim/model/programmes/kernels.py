"""Compiled kernels of the programme engine's weekly matching and sessions.

Each kernel replaces a sequence of numpy expressions of :mod:`sim.model.programmes.engine` by one
pass over the arrays, with the same result bit for bit:

* the kernels draw no random numbers: the engine draws them from its numpy streams, in the
  same order and amounts as ever, and hands them in;
* they take no transcendental functions: powers (the fading of accountability, the loss
  of psychological safety per level) come from tables the engine computes with numpy;
* they add and multiply in the order of the numpy expressions they replace, and produce
  their results in the same order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.jit import kernel
from sim.model.programmes.relationships import RelationshipColumns, append_rows
from sim.model.programmes.rules import (
    BOTH,
    QUALITY_MIN,
    UP,
    end_hazard,
    in_level_window,
    psychological_safety,
    quality_target,
    similarity,
    starting_quality,
)
from sim.model.programmes.sessions import SessionArrays

#: Codes of :func:`_attendance`: a relationship's session took place, or was due and missed.
MET, MISSED = 1, 2

# A programme's settings are named tuples made once, by name, when it is set up. The
# kernels that read them take their fields as their last parameters, in the same order
# and with the same names (tests/test_kernels.py checks), and are called with the tuple
# unpacked: numba takes a few scalars faster than a named tuple of them, and these calls
# come every week.


class Uptake(NamedTuple):
    """Who waits to be matched and who may guide: a programme's settings, made once.

    The last parameters of :func:`waiting_and_places`.

    Attributes:
        engaged: Whether enrolment rises with engagement (``"engaged"`` uptake).
        p_enrol: Probability of enrolling (at mean baseline engagement, when engaged).
        mean_baseline: Mean baseline engagement.
        tenure_min: Shortest tenure of a learner, weeks.
        tenure_max: Longest tenure of a learner, weeks.
        reciprocal: Whether both members learn, so ``a`` is busy too
            (:func:`rules.reciprocal`).
        p_volunteer: Probability of volunteering as a guide.
        capacity: Most learners per guide at a time.
    """

    engaged: bool
    p_enrol: float
    mean_baseline: float
    tenure_min: float
    tenure_max: float
    reciprocal: bool
    p_volunteer: float
    capacity: int


class Meetings(NamedTuple):
    """How a programme's relationships meet: its settings, made once.

    The last parameters of :func:`meet`.

    Attributes:
        cadence: Weeks between sessions.
        structure: Attendance regardless of engagement.
        rate_quality: Share of the distance to 1 that quality gains per meeting.
        pair: Whether the relationships are pairs (else groups).
        reciprocal: Whether both members learn (else ``a`` guides ``b``).
        hours: Length of a session.
        learn_hours: Learning hours of a directed session.
        share: Share of a session each directed session stands for.
        guide_hours: Hours a guide spends in a session.
    """

    cadence: int
    structure: float
    rate_quality: float
    pair: bool
    reciprocal: bool
    hours: float
    learn_hours: float
    share: float
    guide_hours: float


class Drift(NamedTuple):
    """How a programme's relationship quality moves and erodes: its settings, made once.

    The parameters of :func:`meet` just before those of :class:`Meetings`. All zero:
    quality only grows toward 1 (no failure).

    Attributes:
        rel_goal_mismatch: Quality lost from the target per unit of goal mismatch.
        rel_power_distance: Quality lost from the target per unit of psychological
            safety lost across the partners' levels.
        rel_disengagement: Quality lost from the target per unit of engagement of the
            less engaged member below ``engagement_reference``.
        engagement_reference: Engagement below which disengagement lowers the target.
        miss: Share of quality lost when a scheduled session does not take place.
    """

    rel_goal_mismatch: float
    rel_power_distance: float
    rel_disengagement: float
    engagement_reference: float
    miss: float


class Endings(NamedTuple):
    """When a programme's relationships end early: its settings, made once.

    The last parameters of :func:`early_endings`.

    Attributes:
        groups: Whether the relationships are groups (a member leaves on their own).
        reciprocal: Whether both members learn (either may drop out).
        p_end: Weekly hazard at zero quality (and again at zero engagement).
        quality_threshold: Quality below which a relationship may end early.
        engagement_threshold: Engagement below which a learner may drop out.
    """

    groups: bool
    reciprocal: bool
    p_end: float
    quality_threshold: float
    engagement_threshold: float


class Start(NamedTuple):
    """The start of a programme's week: its :class:`Endings`, then its :class:`Uptake`.

    The last parameters of :func:`start_week`. ``reciprocal`` is in both and appears
    once, in its place among the endings; make it with :meth:`of`.

    Attributes:
        groups: Whether the relationships are groups.
        reciprocal: Whether both members learn.
        p_end: Weekly hazard of an early ending at zero quality.
        quality_threshold: Quality below which a relationship may end early.
        engagement_threshold: Engagement below which a learner may drop out.
        engaged: Whether enrolment rises with engagement.
        p_enrol: Probability of enrolling.
        mean_baseline: Mean baseline engagement.
        tenure_min: Shortest tenure of a learner, weeks.
        tenure_max: Longest tenure of a learner, weeks.
        p_volunteer: Probability of volunteering as a guide.
        capacity: Most learners per guide at a time.
    """

    groups: bool
    reciprocal: bool
    p_end: float
    quality_threshold: float
    engagement_threshold: float
    engaged: bool
    p_enrol: float
    mean_baseline: float
    tenure_min: float
    tenure_max: float
    p_volunteer: float
    capacity: int

    @classmethod
    def of(cls, endings: Endings, uptake: Uptake) -> Start:
        """The settings of both, ``reciprocal`` once.

        Raises:
            ValueError: If the two disagree on ``reciprocal``.
        """
        if endings.reciprocal != uptake.reciprocal:
            raise ValueError(
                f"endings and uptake disagree on reciprocal: {endings.reciprocal} and "
                f"{uptake.reciprocal}"
            )
        rest = {k: v for k, v in uptake._asdict().items() if k != "reciprocal"}
        return cls(*endings, **rest)


@kernel
def early_endings(
    rel: RelationshipColumns,
    slot_of_id: np.ndarray,
    v: np.ndarray,
    engagement: np.ndarray,
    week: int,
    groups: bool,
    reciprocal: bool,
    p_end: float,
    quality_threshold: float,
    engagement_threshold: float,
) -> tuple[np.ndarray, int]:
    """Which relationships end early this week, before their term (section 7.2.5).

    Only relationships whose term runs and whose members are both employed can end
    early. A pair ends when ``v`` at its learner's position (``b``) falls below
    :func:`rules.end_hazard` of its quality and the learner's engagement (the lower of
    the two members' when ``reciprocal``). In groups each member decides alone: a member
    at position ``s`` leaves when ``v[s]`` falls below the hazard of the mean quality of
    their relationships in the group and their own engagement, which ends every
    relationship of theirs; the rest of the group goes on.

    Args:
        rel: The relationships.
        slot_of_id: Position of each employee id (-1 for leavers).
        v: This week's uniform draw per position.
        engagement: Engagement per position.
        week: This week.
        groups: Whether the relationships are groups (this and the rest: the
            programme's :class:`Endings`).
        reciprocal: Whether both members learn.
        p_end: Weekly hazard at zero quality.
        quality_threshold: Quality below which a relationship may end early.
        engagement_threshold: Engagement below which a learner may drop out.

    Returns:
        1 for each relationship that ends early (else 0), and how many pairs ended
        early or, in groups, how many members left.
    """
    n = len(rel.a)
    early = np.zeros(n, dtype=np.uint8)
    n_ended = 0
    if groups:
        total = np.zeros(len(v))
        count = np.zeros(len(v), dtype=np.int64)
        for i in range(n):
            x, y = slot_of_id[rel.a[i]], slot_of_id[rel.b[i]]
            if x >= 0 and y >= 0 and rel.end[i] > week:
                total[x] += rel.quality[i]
                total[y] += rel.quality[i]
                count[x] += 1
                count[y] += 1
        leaves = np.zeros(len(v), dtype=np.uint8)
        for s in range(len(v)):
            if count[s] > 0:
                h = end_hazard(
                    total[s] / count[s],
                    engagement[s],
                    p_end,
                    quality_threshold,
                    engagement_threshold,
                )
                if v[s] < h:
                    leaves[s] = 1
                    n_ended += 1
        for i in range(n):
            x, y = slot_of_id[rel.a[i]], slot_of_id[rel.b[i]]
            if x >= 0 and y >= 0 and rel.end[i] > week and (leaves[x] or leaves[y]):
                early[i] = 1
        return early, n_ended
    for i in range(n):
        x, y = slot_of_id[rel.a[i]], slot_of_id[rel.b[i]]
        if x >= 0 and y >= 0 and rel.end[i] > week:
            e = min(engagement[x], engagement[y]) if reciprocal else engagement[y]
            h = end_hazard(rel.quality[i], e, p_end, quality_threshold, engagement_threshold)
            if v[y] < h:
                early[i] = 1
                n_ended += 1
    return early, n_ended


@kernel
def end_relationships(
    rel: RelationshipColumns,
    slot_of_id: np.ndarray,
    week: int,
    free_from: np.ndarray,
    free_again: int,
    reciprocal: bool,
    early: np.ndarray,
) -> int:
    """Release the members of ended relationships; drop ended and broken ones in place.

    The learner (``b``) of a relationship whose term is over or that ends early
    (``early[i]`` is 1; :func:`early_endings`) (and its ``a`` too when ``reciprocal``)
    may be matched again from week ``free_again``; pass an empty ``free_from`` to
    release nobody, an empty ``early`` to end none early. A relationship is kept while
    its term runs, it does not end early and both members are employed; the kept rows
    move to the front of the columns of ``rel`` in their order, with the members'
    positions in ``pos_a`` and ``pos_b``.

    Returns:
        The number of relationships kept.
    """
    a, b, end = rel.a, rel.b, rel.end
    kept = 0
    release = len(free_from) > 0
    any_early = len(early) > 0
    for i in range(len(a)):
        over = end[i] <= week or (any_early and early[i] == 1)
        if release and over:
            free_from[b[i]] = free_again
            if reciprocal:
                free_from[a[i]] = free_again
        x, y = slot_of_id[a[i]], slot_of_id[b[i]]
        if x >= 0 and y >= 0 and not over:
            if kept != i:
                a[kept] = a[i]
                b[kept] = b[i]
                rel.quality[kept] = rel.quality[i]
                rel.alignment[kept] = rel.alignment[i]
                rel.start[kept] = rel.start[i]
                end[kept] = end[i]
                rel.group[kept] = rel.group[i]
                rel.need[kept] = rel.need[i]
            rel.pos_a[kept] = x
            rel.pos_b[kept] = y
            kept += 1
    return kept


@kernel
def start_week(
    rel: RelationshipColumns,
    slot_of_id: np.ndarray,
    v: np.ndarray,
    engagement: np.ndarray,
    week: int,
    free_from: np.ndarray,
    free_again: int,
    employee_id: np.ndarray,
    learner_slot: np.ndarray,
    guide_slot: np.ndarray,
    propensity: np.ndarray,
    tenure_weeks: np.ndarray,
    challenge: np.ndarray,
    waiting: bool,
    want_places: bool,
    groups: bool,
    reciprocal: bool,
    p_end: float,
    quality_threshold: float,
    engagement_threshold: float,
    engaged: bool,
    p_enrol: float,
    mean_baseline: float,
    tenure_min: float,
    tenure_max: float,
    p_volunteer: float,
    capacity: int,
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """The start of a programme's week in one call: endings, then who waits.

    :func:`early_endings` (only when ``p_end`` is above 0; ``v`` then holds this week's
    draw per position), then :func:`end_relationships`: every ended relationship
    releases its members (from week ``free_again``; pass an empty ``free_from`` to
    release nobody) and the kept rows move to the front of ``rel`` with their members'
    positions. Then, when ``waiting``, :func:`waiting_and_places` over the kept
    relationships (``challenge``, ``want_places`` and the rest as it takes them). One
    call instead of three every week, and the early endings never leave compiled code.

    The parameters from ``groups`` on are the programme's :class:`Start`.

    Returns:
        The number of relationships kept; how many pairs ended early or, in groups, how
        many members left; and the waiting learners and free places (both empty unless
        ``waiting``).
    """
    early = np.empty(0, dtype=np.uint8)
    n_early = 0
    if p_end > 0.0:
        early, n_early = early_endings(
            rel,
            slot_of_id,
            v,
            engagement,
            week,
            groups,
            reciprocal,
            p_end,
            quality_threshold,
            engagement_threshold,
        )
    kept = end_relationships(rel, slot_of_id, week, free_from, free_again, reciprocal, early)
    none = np.empty(0, dtype=np.int64)
    if not waiting:
        return kept, n_early, none, none
    learners, places = waiting_and_places(
        employee_id,
        learner_slot,
        guide_slot,
        propensity,
        engagement,
        tenure_weeks,
        free_from,
        rel.pos_a[:kept],
        rel.pos_b[:kept],
        challenge,
        week,
        want_places,
        engaged,
        p_enrol,
        mean_baseline,
        tenure_min,
        tenure_max,
        reciprocal,
        p_volunteer,
        capacity,
    )
    return kept, n_early, learners, places


@kernel
def add_burnout(pos_a: np.ndarray, tolerated: int, per_learner: float, out: np.ndarray) -> None:
    """Add the week's burnout of overloaded guides to ``out`` (per position), in place.

    A guide at position ``s`` who is ``a`` in ``load`` relationships (``pos_a``) loses
    ``per_learner`` times ``max(load - tolerated, 0)``; every position gets its term
    added, zero or not, as ``out += per_learner * extra`` would.
    """
    load = np.zeros(len(out), dtype=np.int64)
    for s in pos_a:
        load[s] += 1
    for s in range(len(out)):
        out[s] += per_learner * np.float64(max(load[s] - tolerated, 0))


@kernel
def waiting_and_places(
    employee_id: np.ndarray,
    learner_slot: np.ndarray,
    guide_slot: np.ndarray,
    propensity: np.ndarray,
    engagement: np.ndarray,
    tenure_weeks: np.ndarray,
    free_from: np.ndarray,
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    challenge: np.ndarray,
    week: int,
    want_places: bool,
    engaged: bool,
    p_enrol: float,
    mean_baseline: float,
    tenure_min: float,
    tenure_max: float,
    reciprocal: bool,
    p_volunteer: float,
    capacity: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Waiting learners and, if any and ``want_places``, the free guide places.

    A learner waits when employed at a learner position (``learner_slot``, 1 or 0),
    enrolled (``propensity[:, 0]`` below ``p_enrol``, or below ``p_enrol`` times
    engagement over ``mean_baseline`` for ``engaged`` uptake), within the tenure window,
    free again by ``week``, not the learner of a current relationship (position in
    ``pos_b``; nor its ``a``, in ``pos_a``, when ``reciprocal``) and, when ``challenge``
    is not empty, hit by a challenge (``challenge >= 0``).

    A place is a volunteer (``propensity[:, 1]`` below ``p_volunteer``) at a guide
    position (``guide_slot``, 1 or 0), repeated by the capacity the volunteer has left:
    ``capacity`` minus the relationships in which they are ``a``.

    The relationships come as their two columns of positions, so that
    :func:`start_week` can pass those of the relationships it kept.

    The parameters from ``engaged`` on are the programme's :class:`Uptake`.

    Returns:
        The positions of the waiting learners and the places, both ascending.
    """
    draws = propensity.ravel()  # column 0 at 2 s, column 1 at 2 s + 1
    learners = _waiting(
        employee_id,
        learner_slot,
        draws,
        engagement,
        tenure_weeks,
        free_from,
        pos_a,
        pos_b,
        challenge,
        week,
        engaged,
        p_enrol,
        mean_baseline,
        tenure_min,
        tenure_max,
        reciprocal,
    )
    if len(learners) == 0 or not want_places:
        return learners, np.empty(0, dtype=np.int64)
    places = _places(employee_id, guide_slot, draws, pos_a, p_volunteer, capacity)
    return learners, places


# The helpers below are compiled apart: in one function the compiler stops vectorising the
# first pass over the positions.


@kernel
def _waiting(
    employee_id: np.ndarray,
    learner_slot: np.ndarray,
    draws: np.ndarray,
    engagement: np.ndarray,
    tenure_weeks: np.ndarray,
    free_from: np.ndarray,
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    challenge: np.ndarray,
    week: int,
    engaged: bool,
    p_enrol: float,
    mean_baseline: float,
    tenure_min: float,
    tenure_max: float,
    reciprocal: bool,
) -> np.ndarray:
    """The waiting learners of :func:`waiting_and_places` (settings of :class:`Uptake`)."""
    # Enrolment first, in a vectorised pass over the positions (the draws are random, so
    # a pass that branched on them would mispredict half the time); then the members of
    # relationships drop out, and the few left are checked one by one.
    n = len(employee_id)
    ok = np.zeros(8 * (n // 8 + 1), dtype=np.uint8)  # whole words for the scan below
    for s in range(n):
        share = p_enrol * engagement[s] / mean_baseline if engaged else p_enrol
        ok[s] = learner_slot[s] & np.uint8(draws[2 * s] < share)
    for i in range(len(pos_b)):
        ok[pos_b[i]] = 0
    if reciprocal:
        for i in range(len(pos_a)):
            ok[pos_a[i]] = 0
    learners = np.empty(64, dtype=np.int64)
    count = 0
    words = ok.view(np.uint64)
    for w in range(len(words)):
        if words[w] == 0:
            continue
        for s in range(8 * w, min(8 * w + 8, n)):
            ident = employee_id[s]
            t = tenure_weeks[s]
            if (
                ok[s]
                and ident >= 0
                and tenure_min <= t <= tenure_max
                and free_from[ident] <= week
                and (len(challenge) == 0 or challenge[s] >= 0)
            ):
                if count == len(learners):
                    learners = _doubled(learners)
                learners[count] = s
                count += 1
    return learners[:count].copy()


@kernel
def _places(
    employee_id: np.ndarray,
    guide_slot: np.ndarray,
    draws: np.ndarray,
    pos_a: np.ndarray,
    p_volunteer: float,
    capacity: int,
) -> np.ndarray:
    """The free guide places of :func:`waiting_and_places`."""
    n = len(employee_id)
    free = np.empty(n, dtype=np.int64)
    cap = np.int64(capacity)
    for s in range(n):
        volunteer = guide_slot[s] & np.uint8(employee_id[s] >= 0)
        volunteer &= np.uint8(draws[2 * s + 1] < p_volunteer)
        free[s] = cap * volunteer
    for i in range(len(pos_a)):
        free[pos_a[i]] -= 1
    total = 0
    for s in range(n):
        total += max(free[s], 0)
    # Each volunteer's places in a row; with a small capacity, writing all of them and
    # keeping as many as are free avoids a mispredicted branch per position.
    small = capacity <= 8
    places = np.empty(total + (capacity if small else 0), dtype=np.int64)
    k = 0
    for s in range(n):
        f = max(free[s], 0)
        if small:
            for j in range(capacity):
                places[k + j] = s
        else:
            for j in range(f):
                places[k + j] = s
        k += f
    return places[:total]


@kernel
def _doubled(arr: np.ndarray) -> np.ndarray:
    """``arr`` copied into an array twice as long."""
    out = np.empty(2 * len(arr), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


@kernel
def _flatnonzero(mask: np.ndarray) -> np.ndarray:
    """Indices where ``mask`` is true, ascending (branch-free)."""
    out = np.empty(len(mask), dtype=np.int64)
    k = 0
    for i in range(len(mask)):
        out[k] = i
        k += mask[i]
    return out[:k].copy()


@kernel
def pair_guides(
    learners: np.ndarray,
    places: np.ndarray,
    level: np.ndarray,
    employee_id: np.ndarray,
    last_guide: np.ndarray,
    direction: int,
    gap_min: int,
    gap_max: int,
    new_partner: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Random matching: learners take free places in order, one level at a time.

    Levels go from the top down (from the bottom up for ``direction`` ``UP``). At each
    level the learners, in their (shuffled) order, are lined up with the free places
    within the level distance, in theirs; a learner lined up with themselves (or, with
    ``new_partner``, with their last guide) and that place both stay unmatched.

    Returns:
        Guide and learner positions of the pairs formed.
    """
    top = 0
    for s in learners:
        top = max(top, level[s])
    free = np.ones(len(places), dtype=np.bool_)
    guide = np.empty(len(learners), dtype=np.int64)
    chosen = np.empty(len(learners), dtype=np.int64)
    mine = np.empty(len(learners), dtype=np.int64)
    n_pairs = 0
    for step in range(top + 1):
        lv = step if direction == UP else top - step
        n_mine = 0
        for s in learners:
            if level[s] == lv:
                mine[n_mine] = s
                n_mine += 1
        j = 0
        for i in range(len(places)):
            if j == n_mine:
                break
            place = places[i]
            window = in_level_window(np.int64(level[place]), lv, direction, gap_min, gap_max)
            if not (free[i] and window):
                continue
            learner = mine[j]
            j += 1
            if place == learner:
                continue
            if new_partner and employee_id[place] == last_guide[employee_id[learner]]:
                continue
            free[i] = False
            guide[n_pairs] = place
            chosen[n_pairs] = learner
            n_pairs += 1
    return guide[:n_pairs], chosen[:n_pairs]


@kernel
def greedy_pairs(
    score: np.ndarray, ok: np.ndarray, free: np.ndarray, peers: bool, first: int
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching: each row in turn takes its best-scoring free column.

    Row ``i`` (a learner, in random order) may take column ``j`` (a guide's place, or a
    peer) where ``ok[i, j]`` and ``free[j]``; it takes the one with the highest
    ``score[i, j]``, the first of equals (a NaN counts as highest, as in ``np.argmax``),
    unless that score is not finite, and the column is then no longer free (``free``
    is updated in place, so a long list of rows can be matched block by block). With
    ``peers``, rows and columns are the same people, row ``i`` being column
    ``first + i``: a row no longer free is skipped, and a row cannot take itself.

    Returns:
        The rows and the columns of the pairs formed, in order of formation.
    """
    n_rows, n_cols = ok.shape
    rows = np.empty(n_rows, dtype=np.int64)
    cols = np.empty(n_rows, dtype=np.int64)
    n_pairs = 0
    for i in range(n_rows):
        me = first + i
        if peers:
            if not free[me]:
                continue
            free[me] = False
        best = -1
        for j in range(n_cols):
            if free[j] and ok[i, j]:
                if best < 0 or np.isnan(score[i, j]):
                    best = j
                    if np.isnan(score[i, j]):
                        break
                elif score[i, j] > score[i, best]:
                    best = j
        if best < 0 or not np.isfinite(score[i, best]):
            if peers:
                free[me] = True
            continue
        free[best] = False
        rows[n_pairs] = i
        cols[n_pairs] = best
        n_pairs += 1
    return rows[:n_pairs], cols[:n_pairs]


@kernel
def _stable_order(key: np.ndarray) -> np.ndarray:
    """Stable ascending order of small non-negative integer keys (a counting sort)."""
    top = 0
    for v in key:
        top = max(top, v)
    first = np.zeros(top + 2, dtype=np.int64)
    for v in key:
        first[v + 1] += 1
    for v in range(top + 1):
        first[v + 1] += first[v]
    order = np.empty(len(key), dtype=np.int64)
    for i in range(len(key)):
        order[first[key[i]]] = i
        first[key[i]] += 1
    return order


@kernel
def pair_peers(
    learners: np.ndarray, level: np.ndarray, by_level: bool, gap_min: int, gap_max: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random peer pairs: consecutive learners in level order, within the level distance.

    The (shuffled) learners are ordered by level, stably; with ``by_level`` a pool per
    level, else one pool. In each pool the first pairs with the second, the third with the
    fourth, and so on; a pair outside the level distance is dropped, and an odd one out
    waits.

    Returns:
        The two members of each pair.
    """
    key = np.empty(len(learners), dtype=np.int64)
    for i in range(len(learners)):
        key[i] = level[learners[i]]
    pool = learners[_stable_order(key)]
    a = np.empty(len(pool) // 2, dtype=np.int64)
    b = np.empty(len(pool) // 2, dtype=np.int64)
    n_pairs = 0
    i = 0
    while i < len(pool):
        j = i + 1  # the pool is pool[i:j]
        if by_level:
            while j < len(pool) and level[pool[j]] == level[pool[i]]:
                j += 1
        else:
            j = len(pool)
        for k in range(i, j - 1, 2):
            x, y = pool[k], pool[k + 1]
            if in_level_window(np.int64(level[x]), np.int64(level[y]), BOTH, gap_min, gap_max):
                a[n_pairs] = x
                b[n_pairs] = y
                n_pairs += 1
        i = j
    return a[:n_pairs], b[:n_pairs]


@kernel
def form_groups(
    learners: np.ndarray,
    level: np.ndarray,
    skill: np.ndarray,
    size: int,
    by_level: bool,
    gap_max: int,
    complementary: bool,
    first_group: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups of ``size`` from the (shuffled) learners, as relationships of every two.

    With ``by_level`` a pool per level (lowest first), else one pool of all. Each pool
    forms as many whole groups as it can from its first members (the rest wait). Members
    are ordered stably by level and cut into consecutive groups; with ``complementary``
    they are ordered stably by their strongest domain and dealt round-robin, so each group
    mixes strengths. A group spanning more than ``gap_max`` levels waits. Groups are
    numbered from ``first_group``; each group's pairs (i, j), i < j, are listed row by row.

    Returns:
        The ``a`` and ``b`` members and group number of each relationship.
    """
    n = len(learners)
    key = np.zeros(n, dtype=np.int64)
    if by_level:
        for i in range(n):
            key[i] = level[learners[i]]
    pooled = learners[_stable_order(key)]
    cap = (n // size) * (size * (size - 1) // 2)
    a = np.empty(cap, dtype=np.int64)
    b = np.empty(cap, dtype=np.int64)
    g = np.empty(cap, dtype=np.int64)
    members = np.empty(size, dtype=np.int64)
    n_rel = 0
    group = first_group
    i = 0
    while i < n:
        j = i + 1  # the pool is pooled[i:j]
        while j < n and (not by_level or level[pooled[j]] == level[pooled[i]]):
            j += 1
        n_groups = (j - i) // size
        pool = pooled[i : i + n_groups * size]
        i = j
        if n_groups == 0:
            continue
        sort_key = np.empty(len(pool), dtype=np.int64)
        for m in range(len(pool)):
            if complementary:
                row = skill[pool[m]]
                best = 0
                for d in range(1, len(row)):
                    if row[d] > row[best]:
                        best = d
                sort_key[m] = best
            else:
                sort_key[m] = level[pool[m]]
        pool = pool[_stable_order(sort_key)]
        for grp in range(n_groups):
            for m in range(size):
                members[m] = pool[m * n_groups + grp] if complementary else pool[grp * size + m]
            lo = hi = level[members[0]]
            for m in range(1, size):
                lo = min(lo, level[members[m]])
                hi = max(hi, level[members[m]])
            if hi - lo > gap_max:
                continue
            for x in range(size):
                for y in range(x + 1, size):
                    a[n_rel] = members[x]
                    b[n_rel] = members[y]
                    g[n_rel] = group
                    n_rel += 1
            group += 1
    return a[:n_rel], b[:n_rel], g[:n_rel]


@kernel
def meet(
    rel: RelationshipColumns,
    u: np.ndarray,
    engagement: np.ndarray,
    level: np.ndarray,
    week: int,
    fade: np.ndarray,
    safety: np.ndarray,
    rel_goal_mismatch: float,
    rel_power_distance: float,
    rel_disengagement: float,
    engagement_reference: float,
    miss: float,
    cadence: int,
    structure: float,
    rate_quality: float,
    pair: bool,
    reciprocal: bool,
    hours: float,
    learn_hours: float,
    share: float,
    guide_hours: float,
) -> tuple[np.ndarray, SessionArrays]:
    """This week's sessions: which relationships meet, and the batch of their sessions.

    A relationship of age ``week - start`` meets when the age is a multiple of
    ``cadence`` and both members attend: a member at position ``s`` attends when
    ``u[s] < structure + (1 - structure) * engagement[s] * fade[age]``. A meeting moves
    the relationship's quality by ``rate_quality`` of its distance to the target
    (:func:`rules.quality_target` of its goal alignment, the psychological safety of the
    members' level distance and the lower of their engagements; 1 when the
    :class:`Drift` settings are all zero), in place; a scheduled session that does not
    take place takes the share ``miss`` of its quality (not below ``QUALITY_MIN``). The
    session's quality is the new quality times the psychological safety of the members'
    level distance.

    Each meeting is a directed session in which ``b`` learns from ``a`` and, when
    ``reciprocal``, one in which ``a`` learns from ``b`` (listed after all the first
    ones: a mirrored batch); otherwise ``a`` is a guide. A pair's meeting is session
    number i; group members attend on their own (-1), each once however many of their
    pairs meet, in order of position. Guides spend ``guide_hours``, everyone else
    ``hours``.

    Args:
        rel: The relationships, with their members' positions (``quality`` is raised in
            place; rows are in order of formation).
        u: This week's uniform draw per position.
        engagement: Engagement per position.
        level: Level per position.
        week: This week.
        fade: Fade of accountability per week of age (covering every age).
        safety: Psychological safety per level of distance (:func:`rules.safety_table`).
        rel_goal_mismatch: Quality lost from the target per unit of goal mismatch (this
            and the next four: the programme's :class:`Drift`, how quality moves and
            erodes).
        rel_power_distance: Quality lost from the target per unit of safety lost.
        rel_disengagement: Quality lost from the target per unit of engagement below
            ``engagement_reference``.
        engagement_reference: Engagement below which disengagement lowers the target.
        miss: Share of quality lost when a scheduled session does not take place.
        cadence: Weeks between sessions (this and the rest: the programme's
            :class:`Meetings`).
        structure: Attendance regardless of engagement.
        rate_quality: Share of the distance to 1 that quality gains per meeting.
        pair: Whether the relationships are pairs (else groups).
        reciprocal: Whether both members learn (else ``a`` guides ``b``).
        hours: Length of a session.
        learn_hours: Learning hours of a directed session.
        share: Share of a session each directed session stands for.
        guide_hours: Hours a guide spends in a session.

    Returns:
        The need of each meeting, and the batch's entries.
    """
    pos_a, pos_b, quality = rel.pos_a, rel.pos_b, rel.quality
    met = _attendance(pos_a, pos_b, rel.start, u, engagement, week, cadence, structure, fade)
    m = 0
    for i in range(len(met)):
        m += met[i] == MET
    erode = miss > 0.0
    n_edges = 2 * m if reciprocal else m
    learner = np.empty(n_edges, dtype=np.int64)
    partner = np.empty(n_edges, dtype=np.int64)
    edge_quality = np.empty(n_edges, dtype=np.float64)
    need_met = np.empty(m, dtype=np.int64)
    k = 0
    for i in range(len(met)):
        if erode and met[i] == MISSED:
            quality[i] = max(quality[i] * (1.0 - miss), QUALITY_MIN)
        if met[i] == MET:
            x, y = pos_a[i], pos_b[i]
            psafe = psychological_safety(np.int64(level[x]), np.int64(level[y]), safety)
            target = quality_target(
                rel.alignment[i],
                psafe,
                min(engagement[x], engagement[y]),
                rel_goal_mismatch,
                rel_power_distance,
                rel_disengagement,
                engagement_reference,
            )
            old = quality[i]
            new = old + rate_quality * (target - old)
            quality[i] = new
            q = new * psafe
            learner[k] = y
            partner[k] = x
            edge_quality[k] = q
            if reciprocal:
                learner[m + k] = x
                partner[m + k] = y
                edge_quality[m + k] = q
            need_met[k] = rel.need[i]
            k += 1
    sid = np.arange(m) if pair else np.full(m, -1, dtype=np.int64)
    edge_session = np.concatenate((sid, sid)) if reciprocal else sid
    if reciprocal:
        guide = np.empty(0, dtype=np.int64)
        guide_quality = np.empty(0, dtype=np.float64)
        guide_time = np.empty(0, dtype=np.float64)
        guide_session = np.empty(0, dtype=np.int64)
    else:
        guide, guide_quality = partner, edge_quality
        guide_time = np.full(m, guide_hours)
        guide_session = sid
    if pair:
        attendee = np.empty(2 * m, dtype=np.int64)
        attendee[:m] = learner[:m]
        attendee[m:] = partner[:m]
        attendee_hours = np.full(2 * m, hours)
        if not reciprocal:
            attendee_hours[m:] = guide_hours
        attendee_session = np.concatenate((sid, sid))
    else:
        attendee = attendees(learner[:m], partner[:m], len(u))
        attendee_hours = np.full(len(attendee), hours)
        attendee_session = np.full(len(attendee), -1, dtype=np.int64)
    batch = SessionArrays(
        learner=learner,
        partner=partner,
        hours=np.full(n_edges, learn_hours),
        quality=edge_quality,
        share=np.full(n_edges, share),
        edge_session=edge_session,
        guide=guide,
        guide_quality=guide_quality,
        guide_hours=guide_time,
        guide_session=guide_session,
        attendee=attendee,
        attendee_hours=attendee_hours,
        attendee_session=attendee_session,
    )
    return need_met, batch


@kernel
def _attendance(
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    start: np.ndarray,
    u: np.ndarray,
    engagement: np.ndarray,
    week: int,
    cadence: int,
    structure: float,
    fade: np.ndarray,
) -> np.ndarray:
    """Whether each relationship of :func:`meet` meets this week.

    ``MET`` (1) when its session is due and both members attend, ``MISSED`` (2) when it
    is due and one of them does not, 0 when no session is due.
    """
    met = np.zeros(len(pos_a), dtype=np.uint8)
    keep = 1.0 - structure
    last_start = -1
    due = False
    f = 1.0
    for i in range(len(pos_a)):
        # Rows are in order of formation, so whether a row's session is due changes
        # rarely from row to row; attendance draws are random, so that part does not
        # branch.
        if start[i] != last_start:
            last_start = start[i]
            age = week - last_start
            due = age % cadence == 0
            f = fade[age]
        if due:
            x, y = pos_a[i], pos_b[i]
            both = np.uint8(u[x] < structure + keep * engagement[x] * f) & np.uint8(
                u[y] < structure + keep * engagement[y] * f
            )
            met[i] = MISSED - both  # 1 (MET) if both attend, else 2 (MISSED)
    return met


@kernel
def attendees(sa: np.ndarray, sb: np.ndarray, n_slots: int) -> np.ndarray:
    """Positions of everyone in ``sa`` or ``sb``, once each, ascending."""
    seen = np.zeros(n_slots, dtype=np.bool_)
    for s in sa:
        seen[s] = True
    for s in sb:
        seen[s] = True
    return _flatnonzero(seen)


@kernel
def new_relationships(
    a: np.ndarray,
    b: np.ndarray,
    noise: np.ndarray,
    values: np.ndarray,
    employee_id: np.ndarray,
    quality_mean: float,
    rel_similarity: float,
    mean_similarity: float,
    was_learner: np.ndarray,
    was_guide: np.ndarray,
    last_guide: np.ndarray,
    reciprocal: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ids, starting quality and goal alignment of new relationships between ``a`` and ``b``.

    Quality is :func:`rules.starting_quality` of the members' :func:`rules.similarity`
    plus ``noise``; the similarity of their values is also their goal alignment. The
    members' roles are recorded: ``b`` (and ``a`` when ``reciprocal``) was a learner,
    otherwise ``a`` was a guide, and ``a`` is ``b``'s last guide.

    Returns:
        The ids of ``a`` and ``b``, and the quality and goal alignment (the similarity)
        of each relationship.
    """
    k = len(a)
    alignment = similarity(values, a, b)
    quality = starting_quality(alignment, noise, quality_mean, rel_similarity, mean_similarity)
    ida = np.empty(k, dtype=np.int64)
    idb = np.empty(k, dtype=np.int64)
    for i in range(k):
        ida[i] = employee_id[a[i]]
        idb[i] = employee_id[b[i]]
    for i in range(k):
        if reciprocal:
            was_learner[ida[i]] = True
        else:
            was_guide[ida[i]] = True
        was_learner[idb[i]] = True
        last_guide[idb[i]] = ida[i]
    return ida, idb, quality, alignment


@kernel
def form_relationships(
    store: RelationshipColumns,
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    noise: np.ndarray,
    values: np.ndarray,
    employee_id: np.ndarray,
    quality_mean: float,
    rel_similarity: float,
    mean_similarity: float,
    was_learner: np.ndarray,
    was_guide: np.ndarray,
    last_guide: np.ndarray,
    reciprocal: bool,
    start: int,
    end: int,
    group: np.ndarray,
    need: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Form relationships between positions ``a`` and ``b`` and write them into a table.

    :func:`new_relationships` (ids, starting quality and goal alignment; the members'
    roles recorded), then :func:`~sim.model.programmes.relationships.append_rows` into
    rows ``n`` onwards of ``store`` (from :meth:`Relationships.room`), starting at
    ``start`` and ending at ``end``, with the members' positions; an empty ``group``
    stands for -1 throughout. One call instead of two, every week relationships form.

    Returns:
        The ids of ``a`` and ``b``.
    """
    ida, idb, quality, alignment = new_relationships(
        a,
        b,
        noise,
        values,
        employee_id,
        quality_mean,
        rel_similarity,
        mean_similarity,
        was_learner,
        was_guide,
        last_guide,
        reciprocal,
    )
    unset = np.empty(0, dtype=np.int64)  # start and end: the arguments
    new = RelationshipColumns(ida, idb, quality, alignment, unset, unset, group, need, a, b)
    append_rows(store, n, new, start, end)
    return ida, idb
