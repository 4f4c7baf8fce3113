"""Each programme design shows its characteristic signature against a matched control.

Method: a control arm and a treated arm of the same small organisation run with the
same replicate seeds (common random numbers). Because both arms start identical and
draw turnover from the same stream, the same initial employees can be followed in both
arms, so an effect on participants is measured as a paired, person-level difference:
the participant's value in the treated arm minus the same person's value in the control
arm. Each replicate gives one mean difference; a claim holds when the 95% t-interval of
the mean over replicates lies on the claimed side of zero. Seeds are the scenario's,
not chosen to pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model.workplace import WorkplaceModel
from sim.scenario.designs import DESIGNS
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import PROGRAMME_KINDS

REPLICATES = 6
N = 400


def ci95(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return v.mean() - half, v.mean() + half


def scenario(programmes: dict, arms: dict | None = None, weeks: int = 52, **extra):
    raw = {
        "name": "signature",
        "horizon_weeks": weeks,
        "organisation": {"n_employees": N},
        "programmes": programmes,
        "arms": arms or {"control": {}, "treated": {"programmes": list(programmes)}},
        **extra,
    }
    return validate_scenario(raw)


def design(kind: str, weeks: int = 52, **params):
    return scenario({"p": {"kind": kind, **params}}, weeks=weeks)


def runs(sc, replicate: int, arms=("control", "treated"), weeks: int | None = None):
    models = [WorkplaceModel(sc, arm=a, replicate=replicate) for a in arms]
    for m in models:
        m.run(weeks)
    return models


def follow(control: WorkplaceModel, treated: WorkplaceModel, ids: np.ndarray):
    """Slots of the given ids in both arms, for those employed in both."""
    ids = np.asarray(ids, dtype=np.int64)
    sc_, st = control.workforce.slot_of_id[ids], treated.workforce.slot_of_id[ids]
    both = (sc_ >= 0) & (st >= 0)
    return sc_[both], st[both]


def initial_roles(treated: WorkplaceModel):
    """Initial employees who were learners or guides in the treated arm's programme."""
    prog = treated.programmes[0]
    n = treated.n_initial
    learner = np.flatnonzero(prog.was_learner[:n])
    guide = np.flatnonzero(prog.was_guide[:n])
    return learner, guide


def domain(name: str) -> int:
    return ("technical", "domain", "leadership", "digital", "collaboration").index(name)


def paired_skill_gain(kind_sc, role: str, dom: str | None, replicate: int) -> float:
    control, treated = runs(kind_sc, replicate)
    learners, guides = initial_roles(treated)
    ids = learners if role == "learner" else guides
    c, t = follow(control, treated, ids)
    if dom is None:
        return float((treated.workforce.skill[t] - control.workforce.skill[c]).mean())
    d = domain(dom)
    return float((treated.workforce.skill[t, d] - control.workforce.skill[c, d]).mean())


def test_every_design_has_a_summary_and_a_valid_preset():
    assert set(DESIGNS) == set(PROGRAMME_KINDS)
    for kind in DESIGNS:
        prog = design(kind).programmes["p"]
        assert prog.kind == kind
        assert DESIGNS[kind].summary


# --- hierarchical mentorship -------------------------------------------------------------


def test_mentorship_mentees_gain_leadership_and_promotions():
    """Criterion: mentees' leadership and promotions exceed the same people's in the control."""
    sc = design("mentorship", weeks=104)
    lead, promo = [], []
    for r in range(REPLICATES):
        control, treated = runs(sc, r)
        learners, _ = initial_roles(treated)
        c, t = follow(control, treated, learners)
        lead.append((treated.workforce.skill[t, 2] - control.workforce.skill[c, 2]).mean())
        # Promotions count everyone who started as a mentee, including those who left.
        ids = learners
        cs, ts = control.workforce.slot_of_id[ids], treated.workforce.slot_of_id[ids]
        pc = np.where(cs >= 0, control.workforce.n_promotions[cs], 0)
        pt = np.where(ts >= 0, treated.workforce.n_promotions[ts], 0)
        promo.append((pt - pc).mean())
    assert ci95(lead)[0] > 0
    assert ci95(promo)[0] > 0


# --- peer coaching ----------------------------------------------------------------------


def test_peer_coaching_reaches_more_people_per_session_hour_than_mentorship():
    """Criterion: per replicate, peer coaching reaches more employees per session hour
    than mentorship in the first 13 weeks (paired, 95% CI > 0): a reciprocal session
    teaches both partners. Which design raises skill more is not fixed by a per-design
    constant any more (feedback follows one rule for every design, docs/model.md 7.4)."""
    sc = scenario(
        {"m": {"kind": "mentorship"}, "pc": {"kind": "peer_coaching"}},
        arms={"mentorship": {"programmes": ["m"]}, "peer": {"programmes": ["pc"]}},
    )
    reach = []
    for r in range(REPLICATES):
        ment, peer = runs(sc, r, arms=("mentorship", "peer"), weeks=13)
        per_hour = [
            m.records[-1]["n_learners_reached"] / m.records[-1]["session_hours"]
            for m in (ment, peer)
        ]
        reach.append(per_hour[1] - per_hour[0])
    assert ci95(reach)[0] > 0


def test_peer_coaching_attendance_fades_without_structure():
    """Criterion: with low structure, attended sessions per pair fall from the first
    quarter to the third (fading accountability); with full structure they do not."""

    def sessions_per_week(structure: float) -> tuple[float, float]:
        sc = design(
            "peer_coaching",
            structure=structure,
            dur_relationship_weeks=52,
            dur_accountability_half_life_weeks=13.0,
        )
        model = WorkplaceModel(sc, arm="treated", replicate=0)
        counts = []
        for _ in range(39):
            model.step()
            counts.append(model.records[-1]["session_hours_week"])
        return float(np.mean(counts[:13])), float(np.mean(counts[26:39]))

    loose_early, loose_late = sessions_per_week(0.1)
    firm_early, firm_late = sessions_per_week(1.0)
    assert loose_late < 0.8 * loose_early
    assert firm_late > 0.9 * firm_early


# --- reverse mentoring ------------------------------------------------------------------


def test_reverse_mentoring_seniors_gain_digital_juniors_gain_leadership_and_engagement():
    sc = design("reverse_mentoring", weeks=52, p_enrol=0.6)
    digital, lead, eng = [], [], []
    for r in range(REPLICATES):
        control, treated = runs(sc, r)
        learners, guides = initial_roles(treated)
        c, t = follow(control, treated, learners)
        digital.append((treated.workforce.skill[t, 3] - control.workforce.skill[c, 3]).mean())
        c, t = follow(control, treated, guides)
        lead.append((treated.workforce.skill[t, 2] - control.workforce.skill[c, 2]).mean())
        eng.append((treated.workforce.engagement[t] - control.workforce.engagement[c]).mean())
    assert ci95(digital)[0] > 0
    assert ci95(lead)[0] > 0
    assert ci95(eng)[0] > 0


# --- groups --------------------------------------------------------------------------


def distinct_partners(model: WorkplaceModel) -> float:
    """Mean number of distinct partners of everyone who was in the programme."""
    partners: dict[int, set[int]] = {}
    for _, a, b, _ in model.programmes[0].formed:
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            partners.setdefault(x, set()).add(y)
            partners.setdefault(y, set()).add(x)
    return float(np.mean([len(v) for v in partners.values()]))


def test_group_circles_spread_learning_across_more_partners_than_pairs():
    """Criterion: over 26 weeks, circle members learn from more distinct colleagues than
    peer-coaching pairs, and participants' skill rises against the same people in control."""
    sc = scenario(
        {"c": {"kind": "group_circles"}, "pc": {"kind": "peer_coaching"}},
        arms={"control": {}, "treated": {"programmes": ["c"]}, "pairs": {"programmes": ["pc"]}},
        weeks=26,
    )
    breadth, gain = [], []
    for r in range(REPLICATES):
        control, circles, pairs = runs(sc, r, arms=("control", "treated", "pairs"))
        breadth.append(distinct_partners(circles) - distinct_partners(pairs))
        learners, _ = initial_roles(circles)
        c, t = follow(control, circles, learners)
        gain.append((circles.workforce.skill[t] - control.workforce.skill[c]).mean())
    assert ci95(breadth)[0] > 0
    assert ci95(gain)[0] > 0


def test_skill_pods_spread_skill_across_domains():
    """Criterion: pod members gain in the domains that are not their own strongest, against
    the same people in control (95% CI > 0)."""
    sc = design("skill_pods", weeks=26)
    gains = []
    for r in range(REPLICATES):
        control, treated = runs(sc, r)
        learners, _ = initial_roles(treated)
        c, t = follow(control, treated, learners)
        start = WorkplaceModel(sc, arm="control", replicate=r).workforce
        strongest = start.skill[start.slot_of_id[treated.workforce.employee_id[t]]].argmax(axis=1)
        other = np.ones((len(t), 5), dtype=bool)
        other[np.arange(len(t)), strongest] = False
        diff = treated.workforce.skill[t] - control.workforce.skill[c]
        gains.append(diff[other].mean())
    assert ci95(gains)[0] > 0


def test_accountability_clusters_raise_transfer_and_engagement_with_little_direct_transfer():
    """Criterion: members' feedback (practice transfer) and engagement exceed the same
    people's in control; the skill gain that sessions transfer directly (treated minus
    the same arm with session learning switched off) is under a third of the total gain."""
    sc = design("accountability_clusters", weeks=26)
    no_transfer = scenario(
        {"p": {"kind": "accountability_clusters"}},
        weeks=26,
        learning={"rate_session_per_hour": 0.0},
    )
    transfer, eng, direct_share = [], [], []
    for r in range(REPLICATES):
        control, treated = runs(sc, r)
        (blocked,) = runs(no_transfer, r, arms=("treated",))
        learners, _ = initial_roles(treated)
        c, t = follow(control, treated, learners)
        transfer.append((treated.workforce.feedback[t] - control.workforce.feedback[c]).mean())
        eng.append((treated.workforce.engagement[t] - control.workforce.engagement[c]).mean())
        total = treated.records[-1]["mean_skill"] - control.records[-1]["mean_skill"]
        direct = treated.records[-1]["mean_skill"] - blocked.records[-1]["mean_skill"]
        direct_share.append(direct / total)
    assert ci95(transfer)[0] > 0
    assert ci95(eng)[0] > 0
    assert ci95(direct_share)[1] < 1 / 3


# --- need-driven designs -------------------------------------------------------------


def need_gain(kind: str, weeks_after: int, replicates: int = REPLICATES, **params) -> list[float]:
    """Per replicate: mean gain in the matched need domain of each learner, measured
    ``weeks_after`` the relationship formed, treated minus the same person in control."""
    sc = design(kind, weeks=30, **params)
    out = []
    for r in range(replicates):
        control = WorkplaceModel(sc, arm="control", replicate=r)
        treated = WorkplaceModel(sc, arm="treated", replicate=r)
        diffs = []
        for week in range(30):
            control.step()
            treated.step()
            for formed_week, _, ids, need in treated.programmes[0].formed:
                if formed_week != week - weeks_after or formed_week >= 26:
                    continue
                c, t = follow(control, treated, ids)
                keep = (control.workforce.slot_of_id[ids] >= 0) & (
                    treated.workforce.slot_of_id[ids] >= 0
                )
                d = need[keep]
                diffs.extend(
                    (treated.workforce.skill[t, d] - control.workforce.skill[c, d]).tolist()
                )
        out.append(float(np.mean(diffs)))
    return out


@pytest.mark.parametrize("kind", ["micro_mentoring", "flash_mentorship", "situational_coaching"])
def test_need_driven_designs_close_the_gap_they_target(kind):
    """Criterion: two weeks after a need-matched session, the learner's skill in the
    targeted domain exceeds the same person's in control (95% CI > 0)."""
    assert ci95(need_gain(kind, weeks_after=2))[0] > 0


def test_flash_mentorship_has_little_relationship_effect():
    """Criterion: a one-off session moves learners' engagement (against the same people in
    control) less than year-long mentorship moves mentees' (paired, 95% CI > 0)."""
    sc = scenario(
        {"f": {"kind": "flash_mentorship"}, "m": {"kind": "mentorship"}},
        arms={"control": {}, "flash": {"programmes": ["f"]}, "mentor": {"programmes": ["m"]}},
    )
    eng = []
    for r in range(REPLICATES):
        control, flash, mentor = runs(sc, r, arms=("control", "flash", "mentor"))
        flash_learners, _ = initial_roles(flash)
        mentor_learners, _ = initial_roles(mentor)
        c, t = follow(control, flash, flash_learners)
        d_flash = (flash.workforce.engagement[t] - control.workforce.engagement[c]).mean()
        c, t = follow(control, mentor, mentor_learners)
        d_mentor = (mentor.workforce.engagement[t] - control.workforce.engagement[c]).mean()
        eng.append(d_mentor - d_flash)
    assert ci95(eng)[0] > 0


def test_micro_mentoring_gains_per_session_hour_from_many_mentors():
    """Criterion: micro-mentoring's skill gain per session hour against control is
    positive (95% CI > 0), and over 26 weeks each learner meets more distinct mentors
    than in year-long mentorship (paired, 95% CI > 0). Need matching does not beat random
    matching, nor mentorship, per hour under the default calibration: see
    docs/programmes.md."""
    sc = scenario(
        {"mm": {"kind": "micro_mentoring"}, "m": {"kind": "mentorship"}},
        arms={"control": {}, "micro": {"programmes": ["mm"]}, "mentor": {"programmes": ["m"]}},
        weeks=26,
    )
    per_hour, mentors = [], []
    for r in range(REPLICATES):
        control, micro, mentor = runs(sc, r, arms=("control", "micro", "mentor"))
        gain = micro.records[-1]["mean_skill"] - control.records[-1]["mean_skill"]
        per_hour.append(gain * N / micro.records[-1]["session_hours"])
        mentors.append(distinct_guides(micro) - distinct_guides(mentor))
    assert ci95(per_hour)[0] > 0
    assert ci95(mentors)[0] > 0


def distinct_guides(model: WorkplaceModel) -> float:
    """Mean number of distinct guides per learner."""
    guides: dict[int, set[int]] = {}
    for _, a, b, _ in model.programmes[0].formed:
        for g, learner in zip(a.tolist(), b.tolist(), strict=True):
            guides.setdefault(learner, set()).add(g)
    return float(np.mean([len(v) for v in guides.values()]))


# --- near-peer, reciprocal, shadowing -----------------------------------------------------


def test_near_peer_guides_are_absorbed_better_and_trusted_more_than_distant_mentors():
    """Criterion: per attended session, near-peer learners get more safety-weighted quality
    and absorb a larger share of the gap than mentees of mentors 2-4 levels up."""
    from sim.model.submodels.learning import absorption

    sc = scenario(
        {
            "near": {"kind": "near_peer", "learner_levels": [0, 1]},
            "far": {"kind": "mentorship", "level_gap_min": 2, "focus_domains": []},
        },
        arms={"near": {"programmes": ["near"]}, "far": {"programmes": ["far"]}},
    )
    trust, absorbed = [], []
    for r in range(REPLICATES):
        stats_by_arm = []
        for arm in ("near", "far"):
            model = WorkplaceModel(sc, arm=arm, replicate=r)
            q, ab = [], []
            for week in range(26):
                prog = model.programmes[0]
                prog.match(model.org, week)
                b = prog.sessions(model.org, week)
                gap = np.maximum(
                    model.workforce.skill[b.partner] - model.workforce.skill[b.learner], 0
                )
                q.extend(b.quality.tolist())
                ab.extend(
                    absorption(gap, model.params.learning.gap_absorption).mean(axis=1).tolist()
                )
                model.week += 1
            stats_by_arm.append((np.mean(q), np.mean(ab)))
        trust.append(stats_by_arm[0][0] - stats_by_arm[1][0])
        absorbed.append(stats_by_arm[0][1] - stats_by_arm[1][1])
    assert ci95(trust)[0] > 0
    assert ci95(absorbed)[0] > 0


def test_reciprocal_coaching_both_members_gain():
    """Criterion: both the junior and the senior member end with higher mean skill than the
    same people in control (95% CI > 0 for each side)."""
    sc = design("reciprocal_coaching", weeks=26, p_enrol=0.5, p_volunteer=0.8)
    junior, senior = [], []
    for r in range(REPLICATES):
        control, treated = runs(sc, r)
        prog = treated.programmes[0]
        n = treated.n_initial
        a = np.unique(np.concatenate([f[1] for f in prog.formed]))
        b = np.unique(np.concatenate([f[2] for f in prog.formed]))
        for ids, out in ((b[b < n], junior), (a[a < n], senior)):
            c, t = follow(control, treated, ids)
            out.append((treated.workforce.skill[t] - control.workforce.skill[c]).mean())
    assert ci95(junior)[0] > 0
    assert ci95(senior)[0] > 0


def test_mentor_shadowing_gives_job_skills_at_low_mentor_cost():
    """Criterion: shadowers gain in the domains their mentors' jobs use (technical and
    domain) against the same people in control, and mentors spend fewer hours per learner
    reached than in year-long mentorship (paired, 95% CI). Per mentor hour, shadowers'
    total gain is not higher than mentees' under the default calibration (see
    docs/programmes.md)."""
    sc = scenario(
        {"s": {"kind": "mentor_shadowing"}, "m": {"kind": "mentorship"}},
        arms={"control": {}, "shadow": {"programmes": ["s"]}, "mentor": {"programmes": ["m"]}},
    )
    gain, cost = [], []
    for r in range(REPLICATES):
        control, shadow, mentor = runs(sc, r, arms=("control", "shadow", "mentor"))
        learners, _ = initial_roles(shadow)
        c, t = follow(control, shadow, learners)
        diff = shadow.workforce.skill[t][:, :2] - control.workforce.skill[c][:, :2]
        gain.append(diff.mean())
        per_learner = [
            m.records[-1]["mentor_hours"] / m.records[-1]["n_learners_reached"]
            for m in (shadow, mentor)
        ]
        cost.append(per_learner[0] - per_learner[1])
    assert ci95(gain)[0] > 0
    assert ci95(cost)[1] < 0


# --- hybrid and matching ----------------------------------------------------------------


def test_hybrid_beats_each_part_and_shares_limited_hours():
    """Criterion: mentorship plus peer coaching raises mean skill more than either alone
    (paired, 95% CI > 0, over twice the usual replicates: with relationships that can fail,
    mentorship adds little to peer coaching within a year); with a one-hour weekly cap,
    the hybrid spends fewer hours than its parts spend alone (the cap binds)."""
    progs = {"m": {"kind": "mentorship"}, "pc": {"kind": "peer_coaching"}}
    arms = {
        "mentorship": {"programmes": ["m"]},
        "peer": {"programmes": ["pc"]},
        "hybrid": {"programmes": ["m", "pc"]},
    }
    sc = scenario(progs, arms=arms)
    capped = scenario(progs, arms=arms, learning={"hours_learning_max_per_week": 1.0})
    over_m, over_p, squeezed = [], [], []
    for r in range(2 * REPLICATES):
        ment, peer, hybrid = runs(sc, r, arms=("mentorship", "peer", "hybrid"))
        h = hybrid.records[-1]["mean_skill"]
        over_m.append(h - ment.records[-1]["mean_skill"])
        over_p.append(h - peer.records[-1]["mean_skill"])
        if r >= REPLICATES:
            continue
        cm, cp, ch = runs(capped, r, arms=("mentorship", "peer", "hybrid"))
        parts = cm.records[-1]["session_hours"] + cp.records[-1]["session_hours"]
        squeezed.append(parts - ch.records[-1]["session_hours"])
    assert ci95(over_m)[0] > 0
    assert ci95(over_p)[0] > 0
    assert ci95(squeezed)[0] > 0


def test_algorithmic_matching_beats_random_matching():
    """Criterion: with the same mentors and mentees, maximising expected learning gives
    mentees more skill than random matching (paired person-level, 95% CI > 0)."""
    sc = scenario(
        {
            "rand": {"kind": "mentorship", "matching": "random"},
            "algo": {"kind": "mentorship", "matching": "algorithmic"},
        },
        arms={"random": {"programmes": ["rand"]}, "algorithmic": {"programmes": ["algo"]}},
        weeks=26,
    )
    diffs = []
    for r in range(REPLICATES):
        rand, algo = runs(sc, r, arms=("random", "algorithmic"))
        learners, _ = initial_roles(algo)
        c, t = follow(rand, algo, learners)
        diffs.append((algo.workforce.skill[t] - rand.workforce.skill[c]).mean())
    assert ci95(diffs)[0] > 0


@pytest.mark.parametrize("policy", ["manager", "similarity", "strongest", "need", "expert"])
def test_every_matching_policy_forms_valid_relationships(policy):
    focus = "need" if policy in ("need", "expert") else "fixed"
    sc = design("mentorship", weeks=4, matching=policy, focus=focus)
    model = WorkplaceModel(sc, arm="treated", replicate=0)
    model.run(3)
    prog = model.programmes[0]
    assert sum(len(f[1]) for f in prog.formed) > 0
    prog.match(model.org, model.week)  # check the relationships formed now, at current levels
    fresh = [f for f in prog.formed if f[0] == model.week]
    wf = model.workforce
    mentor = wf.slot_of_id[np.concatenate([f[1] for f in fresh] + [np.empty(0, int)])]
    mentee = wf.slot_of_id[np.concatenate([f[2] for f in fresh] + [np.empty(0, int)])]
    gap = wf.level[mentor].astype(int) - wf.level[mentee]
    assert ((gap >= 1) & (gap <= 4)).all()
    if policy == "manager":
        in_line = (model.ancestors[mentee] == mentor[:, None]).any(axis=1)
        assert (in_line | (wf.team[mentee] == wf.team[mentor])).all()


@pytest.mark.parametrize("kind", ["mentorship", "peer_coaching", "group_circles"])
def test_loading_the_kernels_draws_nothing_and_forms_nothing(kind):
    # Setting a programme up runs its weekly steps with nothing to do, so that the first
    # week does not pay for loading the kernels: doing it again must change nothing.
    model = WorkplaceModel(design(kind, weeks=4), arm="treated")
    prog = model.programmes[0]
    before = (prog.rng.bit_generator.state, prog.rng_weekly.bit_generator.state)
    prog._load_kernels(model)
    assert (prog.rng.bit_generator.state, prog.rng_weekly.bit_generator.state) == before
    assert len(prog.relationships) == 0 and prog.formed == []
    assert not prog.was_learner.any() and not prog.was_guide.any()
    assert (prog.free_from == 0).all() and (prog.last_guide == -1).all()
