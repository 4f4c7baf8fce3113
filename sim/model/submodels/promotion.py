"""Promotion submodel (docs/model.md section 7.8): assessed readiness and the cascade.

The organisation does not see an employee's true readiness (skill weighted by the next
level's job usage): it sees an assessment, true readiness plus visibility plus a rater
error. The error is a persistent impression per person (:class:`Impressions`), drawn
when someone first appears in a position and partly renewed every week. Guides who
sponsor nominate their learners (:func:`nominees`), who are then considered for the
level above before the usual time in level. Vacancies are filled top down from the level
below by the highest assessments (:func:`promotions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.jit import helper, kernel
from sim.scenario.schema import Promotion


def readiness_weights(usage_by_level: np.ndarray) -> np.ndarray:
    """Weight of each domain in readiness for each level: its job usage, normalised.

    Args:
        usage_by_level: Job usage, shape (levels, domains).

    Returns:
        Weights of shape (levels, domains), each row summing to 1.
    """
    return usage_by_level / np.maximum(usage_by_level.sum(axis=1, keepdims=True), 1e-12)


def readiness(
    skill: np.ndarray, weights: np.ndarray, visibility: np.ndarray, params: Promotion
) -> np.ndarray:
    """Readiness for a level: skill weighted by that level's job usage, plus visibility.

    Args:
        skill: Skill (employees, domains).
        weights: The target level's row of :func:`readiness_weights` (domains,), or one
            row per employee (employees, domains).
        visibility: Visibility from sponsorship in [0, 1], per employee.
        params: Promotion parameters.

    Returns:
        Readiness per employee.
    """
    return np.einsum("...d,...d->...", skill, weights) + params.weight_visibility * visibility


@kernel
def readiness_of(
    skill: np.ndarray, visibility: np.ndarray, i: int, weights: np.ndarray, weight_visibility: float
) -> float:
    """:func:`readiness` of the employee in position ``i``, inside compiled kernels."""
    s = 0.0
    for d in range(skill.shape[1]):
        s += skill[i, d] * weights[d]
    return s + weight_visibility * visibility[i]


def choose_promotions(
    vacancies: np.ndarray, candidates: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pair vacancies with the most ready candidates.

    Args:
        vacancies: Vacant slots at one level, in the order they are filled.
        candidates: Slots of eligible candidates at the level below.
        score: Readiness of each candidate (same order as ``candidates``).

    Returns:
        ``(src, dst)``: the promoted candidates' slots and the vacancies they fill.
    """
    k = min(len(vacancies), len(candidates))
    if k == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # Stable sort on -score: ties go to the lower slot, so the choice is deterministic.
    best = candidates[np.argsort(-score, kind="stable")[:k]]
    return best, vacancies[:k]


def persistence(params: Promotion) -> float:
    """Weekly autocorrelation of a rater impression: ``2 ** (-1 / half-life)``."""
    return float(2.0 ** (-1.0 / params.dur_rater_impression_half_life_weeks))


@dataclass
class Impressions:
    """Each position's rater impression (standard normal) and whose impression it is.

    The impression belongs to a person: it moves with them on promotion (:meth:`move`) and
    a new occupant of a position (a hire, or anyone after the ids are renumbered) gets a
    fresh one. Kept per position, not per id, so that renumbering ids cannot mix people up.

    Attributes:
        value: Impression of each position's occupant, in rater-error sds.
        owner: Employee id the impression belongs to (-1: none yet).
    """

    value: np.ndarray
    owner: np.ndarray = field(repr=False)

    @classmethod
    def empty(cls, n_slots: int) -> Impressions:
        """No impressions yet, for ``n_slots`` positions."""
        return cls(np.zeros(n_slots), np.full(n_slots, -1, dtype=np.int64))

    def renew(self, employee_id: np.ndarray, z: np.ndarray, rho: float) -> None:
        """One week of renewal, in place: ``x ← rho·x + sqrt(1 - rho²)·z``; new occupants get ``z``.

        In place, so that the impressions of replicates laid end to end can be views of
        one array (:class:`sim.model.workplace.ReplicateBatch`).

        Args:
            employee_id: Occupant of each position (-1 if vacant).
            z: One standard normal per position, drawn whether or not it is occupied
                (so that draws stay aligned across arms).
            rho: Weekly autocorrelation, see :func:`persistence`.
        """
        _renew(self.value, self.owner, employee_id, z, rho)

    def move(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Promoted employees take their impressions from ``src`` to ``dst``."""
        self.value[dst] = self.value[src]  # the right side is read before anything is written
        self.owner[dst] = self.owner[src]


@kernel
def _renew(value, owner, employee_id, z, rho):
    c = np.sqrt(1.0 - rho * rho)
    for i in range(len(value)):
        e = employee_id[i]
        value[i] = rho * value[i] + c * z[i] if e >= 0 and owner[i] == e else z[i]
        owner[i] = e


def rater_error(
    impressions: Impressions,
    employee_id: np.ndarray,
    rng: np.random.Generator | Sequence[np.random.Generator],
    params: Promotion,
) -> np.ndarray | None:
    """Renew the impressions by one week and return each position's rater error.

    Draws one standard normal per position (occupied or not) from ``rng``, so position
    ``x`` gets the same draw in week ``t`` in every arm. With ``sd_rater_error`` 0 nothing
    is drawn and there is no error.

    Args:
        impressions: The impressions, renewed in place.
        employee_id: Occupant of each position (-1 if vacant).
        rng: The promotion stream; or, for replicates laid end to end (equal numbers of
            positions each), each replicate's stream, which draws for its own rows.
        params: Promotion parameters.

    Returns:
        ``sd_rater_error`` times each position's impression (readiness units), or None.
    """
    if params.sd_rater_error == 0.0:
        return None
    if isinstance(rng, np.random.Generator):
        z = rng.standard_normal(len(employee_id))
    else:
        z = np.empty(len(employee_id))
        n = len(z) // len(rng)
        for r, stream in enumerate(rng):
            stream.standard_normal(out=z[r * n : (r + 1) * n])
    impressions.renew(employee_id, z, persistence(params))
    return params.sd_rater_error * impressions.value


def nominees(
    n_slots: int,
    level: np.ndarray,
    slot_of_id: np.ndarray,
    relationships: Sequence[tuple[np.ndarray, np.ndarray, bool]],
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Positions whose occupant a guide nominates for promotion this week.

    In each current relationship of a sponsoring programme whose members are both
    employed, the guide ``a`` nominates the learner ``b`` if the guide's level is above
    the learner's (a sponsor speaks for someone below them). In reciprocal designs either
    member may be the one below.

    Args:
        n_slots: Number of positions.
        level: Level of each position.
        slot_of_id: Position of each employee id (-1 if gone).
        relationships: ``(a, b, reciprocal)`` per sponsoring programme: ids of the
            guide (or first peer) and learner (or second peer) sides.
        out: Where to mark the nominees (booleans, all False; default: a new array).

    Returns:
        Boolean per position: nominated (``out`` if given).
    """
    nominated = np.zeros(n_slots, dtype=np.bool_) if out is None else out
    for a, b, reciprocal in relationships:
        _nominate(nominated, level, slot_of_id, a, b, reciprocal)
    return nominated


@kernel
def _nominate(nominated, level, slot_of_id, a, b, reciprocal):
    for k in range(len(a)):
        x, y = slot_of_id[a[k]], slot_of_id[b[k]]
        if x < 0 or y < 0:
            continue
        if level[x] > level[y]:
            nominated[y] = True
        elif reciprocal and level[y] > level[x]:
            nominated[x] = True


def slots_by_level(level: np.ndarray, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """The slots of each level in increasing order: ``slots[start[lv]:start[lv + 1]]``."""
    order = np.argsort(level, kind="stable").astype(np.int64)
    start = np.zeros(n_levels + 1, dtype=np.int64)
    start[1:] = np.cumsum(np.bincount(level, minlength=n_levels))
    return order, start


def promotions(
    level_slots: tuple[np.ndarray, np.ndarray],
    employee_id: np.ndarray,
    weeks_in_level: np.ndarray,
    skill: np.ndarray,
    visibility: np.ndarray,
    weights: np.ndarray,
    params: Promotion,
    error: np.ndarray | None = None,
    nominated: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """This week's promotions: each level's vacancies filled from the level below, top down.

    The compiled equivalent of :func:`readiness` (plus ``error``) and
    :func:`choose_promotions` applied level by level from the top: at each level the
    vacancies (in slot order, including those left by promotions into the level above)
    go to the employees of the level below with the highest assessed readiness
    (readiness plus rater error) among those with at least ``dur_min_in_level_weeks`` in
    their level, or nominated, and assessed readiness at or above the threshold; ties go
    to the lower slot.

    The arrays may hold several replicates of one organisation laid end to end
    (:func:`sim.model.workforce.stack`): each replicate is then ranked on its own rows, in
    one call.

    Args:
        level_slots: The slots of each level of one replicate, from :func:`slots_by_level`.
        employee_id: Occupant of each slot (-1 if vacant), replicates end to end.
        weeks_in_level: Weeks in level of each slot's occupant.
        skill: Skill (slots, domains).
        visibility: Visibility per slot.
        weights: Readiness weights (levels, domains), see :func:`readiness_weights`.
        params: Promotion parameters.
        error: Rater error per slot, in readiness units (default: none).
        nominated: Whether each slot's occupant is nominated (default: nobody).

    Returns:
        ``(src, dst)``: the promoted employees' slots and the vacancies they fill (rows
        of the arrays), replicate by replicate and top level first; apply them with
        :meth:`sim.model.workforce.Workforce.move_rows`.
    """
    slots, start = level_slots
    n = len(employee_id)
    return _promotions(
        slots,
        start,
        employee_id,
        weeks_in_level,
        skill,
        visibility,
        weights,
        np.zeros(n) if error is None else error,
        np.zeros(n, dtype=np.bool_) if nominated is None else nominated,
        float(params.dur_min_in_level_weeks),
        params.weight_visibility,
        params.readiness_threshold,
    )


@kernel
def _promotions(
    slots,
    start,
    employee_id,
    weeks_in_level,
    skill,
    visibility,
    weights,
    error,
    nominated,
    min_weeks,
    weight_visibility,
    threshold,
):
    n_levels = len(start) - 1
    n_slots = len(slots)
    vacant = employee_id < 0
    src = np.empty(len(employee_id), dtype=np.int64)
    dst = np.empty(len(employee_id), dtype=np.int64)
    n_moves = 0
    for offset in range(0, len(employee_id), n_slots):
        n_moves = _cascade(
            slots, start, offset, vacant, weeks_in_level, skill, visibility, weights, error,
            nominated, min_weeks, weight_visibility, threshold, n_levels, src, dst, n_moves,
        )  # fmt: skip
    return src[:n_moves].copy(), dst[:n_moves].copy()


@helper
def _cascade(slots, start, offset, vacant, weeks_in_level, skill, visibility, weights, error,
             nominated, min_weeks, weight_visibility, threshold, n_levels, src, dst,
             n_moves):  # fmt: skip
    """One replicate's cascade (rows ``offset + slots``); return the number of moves so far."""
    for lv in range(n_levels - 1, 0, -1):
        nv = 0
        for k in range(start[lv], start[lv + 1]):
            if vacant[offset + slots[k]]:
                nv += 1
        if nv == 0:
            continue
        vacancies = np.empty(nv, dtype=np.int64)
        v = 0
        for k in range(start[lv], start[lv + 1]):
            i = offset + slots[k]
            if vacant[i]:
                vacancies[v] = i
                v += 1
        # The nv most ready candidates so far, best first; slots are scanned in order and
        # a candidate displaces another only with a strictly higher score, so ties go to
        # the lower slot, as in a stable sort.
        best = np.empty(nv, dtype=np.int64)
        best_score = np.empty(nv)
        nb = 0
        for k in range(start[lv - 1], start[lv]):
            i = offset + slots[k]
            if vacant[i] or (weeks_in_level[i] < min_weeks and not nominated[i]):
                continue
            # Adding an error of 0.0 leaves the readiness bit for bit unchanged.
            s = readiness_of(skill, visibility, i, weights[lv], weight_visibility) + error[i]
            if s < threshold or (nb == nv and s <= best_score[nb - 1]):
                continue
            pos = nb if nb < nv else nv - 1
            while pos > 0 and best_score[pos - 1] < s:
                best[pos] = best[pos - 1]
                best_score[pos] = best_score[pos - 1]
                pos -= 1
            best[pos] = i
            best_score[pos] = s
            if nb < nv:
                nb += 1
        for k in range(nb):
            src[n_moves] = best[k]
            dst[n_moves] = vacancies[k]
            vacant[best[k]] = True  # the promoted employee's slot is now vacant
            vacant[vacancies[k]] = False
            n_moves += 1
    return n_moves
