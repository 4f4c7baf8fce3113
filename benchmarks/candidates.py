"""Candidate speed-ups for sim/, measured by monkeypatching (sim/ itself is not changed).

Usage::

    python benchmarks/candidates.py N WEEKS [PATCH,...]     # e.g. 100000 52 groups,proficiency
    OPENBLAS_NUM_THREADS=1 python benchmarks/candidates.py 100000 52

Prints one JSON line: wall and CPU time of the run and a few end-of-run metrics, so an
A/B comparison also shows that a patch leaves the results unchanged. Patches:

* ``groups``: ``ProgrammeRule._form_groups`` builds every group of the week in one
  vectorised call to ``_add`` instead of one call per group;
* ``proficiency``: ``WorkplaceModel._update_proficiency`` takes each employee's own row
  (``einsum``) instead of a BLAS matrix product of all rows with all levels;
* ``gains``: ``learning.session_gains`` scatter-adds with ``np.bincount`` instead of
  ``np.add.at``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from common import HYBRID_ARM, hybrid


def form_groups_vectorised(self, model, week, learners):
    wf, p = model.workforce, self.params
    k = p.n_group_size
    learners = self.rng.permutation(learners)
    pools = (
        [learners[wf.level[learners] == lv] for lv in np.unique(wf.level[learners])]
        if p.level_gap_max == 0
        else [learners]
    )
    ia, ib = np.triu_indices(k, k=1)
    a, b, gid = [], [], []
    for pool in pools:
        n_groups = len(pool) // k
        if n_groups == 0:
            continue
        pool = pool[: n_groups * k]
        if p.matching == "complementary":
            pool = pool[np.argsort(wf.skill[pool].argmax(axis=1), kind="stable")]
            groups = pool.reshape(k, n_groups).T  # group g is pool[g::n_groups]
        else:
            pool = pool[np.argsort(wf.level[pool], kind="stable")]
            groups = pool.reshape(n_groups, k)
        level = wf.level[groups].astype(np.int64)
        groups = groups[level.max(axis=1) - level.min(axis=1) <= p.level_gap_max]
        a.append(groups[:, ia].ravel())
        b.append(groups[:, ib].ravel())
        gid.append(np.repeat(np.arange(self.next_group, self.next_group + len(groups)), len(ia)))
        self.next_group += len(groups)
    if a and sum(len(x) for x in a):
        self._add(model, week, np.concatenate(a), np.concatenate(b), group=np.concatenate(gid))


def update_proficiency_rowdot(self):
    wf, params = self.workforce, self.params.learning
    self.proficiency_score = np.einsum("nd,nd->n", wf.skill, self._proficiency_weights[wf.level])
    newly = ~wf.reached_proficiency & (self.proficiency_score >= params.proficiency_threshold)
    newly &= wf.occupied
    if newly.any():
        wf.reached_proficiency[newly] = True
        self.totals.proficiency_weeks += float(wf.tenure_weeks[newly].sum())
        self.totals.n_proficient_hires += int(newly.sum())


def session_gains_bincount(skill, learner, partner, hours, quality, focus, params):
    from sim.learning import absorption

    gains = np.zeros_like(skill)
    if len(learner) == 0:
        return gains
    gap = np.maximum(skill[partner] - skill[learner], 0.0)
    share = params.rate_session_per_hour * (hours * quality)[:, None] * focus
    share = np.minimum(share * absorption(gap, params.gap_absorption), 1.0)
    n, d = skill.shape
    flat = (learner[:, None] * d + np.arange(d)).ravel()
    gains.ravel()[:] = np.bincount(flat, weights=(share * gap).ravel(), minlength=n * d)
    return gains


def apply(name: str) -> None:
    """Monkeypatch one candidate into sim/."""
    from sim import learning
    from sim.model import WorkplaceModel
    from sim.programmes.engine import ProgrammeRule

    if name == "groups":
        ProgrammeRule._form_groups = form_groups_vectorised
    elif name == "proficiency":
        WorkplaceModel._update_proficiency = update_proficiency_rowdot
    elif name == "gains":
        learning.session_gains = session_gains_bincount
    else:
        raise SystemExit(f"unknown patch {name!r}")


def main() -> None:
    n, weeks = int(sys.argv[1]), int(sys.argv[2])
    names = [x for x in sys.argv[3].split(",") if x] if len(sys.argv) > 3 else []
    for name in names:
        apply(name)
    from sim.model import WorkplaceModel

    model = WorkplaceModel(hybrid(n, weeks), arm=HYBRID_ARM, replicate=0)
    t0, c0 = time.perf_counter(), time.process_time()
    model.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rec = model.records[-1]
    keep = ("mean_skill", "mean_engagement", "cumulative_quits", "session_hours")
    print(
        json.dumps(
            {"n": n, "weeks": weeks, "patches": names, "wall_s": round(wall, 3)}
            | {"cpu_s": round(cpu, 3)}
            | {k: rec[k] for k in keep}
        )
    )


if __name__ == "__main__":
    main()
