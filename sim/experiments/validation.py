"""Validation against published patterns (pattern-oriented modelling).

Each pattern is an experiment with replicates and a stated criterion, run under the
default calibration. :func:`run_all` runs them; ``python -m sim.experiments.validation`` (``make
validation``) regenerates ``docs/validation.md`` and its figures. The tests in
``tests/validation/`` assert the criteria of the patterns the model reproduces; the
report states plainly the ones it does not.

Experiments follow employees person by person where that is sharper: arms share their
random numbers, so the same people can be compared across arms.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from sim.analysis.plots import PALETTE
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

N_EMPLOYEES = 500
REPLICATES = 8


@dataclass
class Finding:
    """The outcome of one validation experiment.

    Attributes:
        key: Short identifier (file names, tests).
        title: The pattern.
        source: Where the pattern comes from.
        criterion: The stated test, in words.
        measured: What was measured, in words, with numbers.
        passed: Whether the criterion holds.
        values: Numbers for the report and the tests.
        figure: A figure of the experiment.
        note: What it would take, where the pattern is not reproduced.
    """

    key: str
    title: str
    source: str
    criterion: str
    measured: str
    passed: bool
    values: dict[str, Any] = field(default_factory=dict)
    figure: Figure | None = None
    note: str = ""


def ci95(values: Any) -> tuple[float, float, float]:
    """Mean and 95% t-interval."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), np.nan, np.nan
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def _scenario(programmes: dict | None = None, arms: dict | None = None, **extra: Any) -> Scenario:
    raw: dict[str, Any] = {
        "name": "validation",
        "organisation": {"n_employees": N_EMPLOYEES},
        "programmes": programmes or {},
        "arms": arms or {"control": {}},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return validate_scenario(raw)


def _fmt(m: float, lo: float, hi: float, digits: int = 3) -> str:
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


# --- 1. baseline turnover ------------------------------------------------------------------


def baseline_turnover(replicates: int = REPLICATES, weeks: int = 104) -> Finding:
    """Monthly quit rate in the JOLTS range; new hires leave more often than tenured staff."""
    sc = _scenario()
    monthly, ratio = [], []
    curves = []
    for r in range(replicates):
        model = WorkplaceModel(sc, arm="control", replicate=r)
        wf = model.workforce
        exposure = {True: 0.0, False: 0.0}
        quits = {True: 0, False: 0}
        for _ in range(weeks):
            new = wf.tenure_weeks < 52
            ids = wf.employee_id.copy()
            exposure[True] += float(new.sum())
            exposure[False] += float((~new).sum())
            model.step()
            gone = wf.slot_of_id[ids] < 0
            quits[True] += int((gone & new).sum())
            quits[False] += int((gone & ~new).sum())
        weekly = (quits[True] + quits[False]) / (exposure[True] + exposure[False])
        monthly.append(1 - (1 - weekly) ** (52 / 12))
        ratio.append((quits[True] / exposure[True]) / (quits[False] / exposure[False]))
        curves.append([rec["retention_initial"] for rec in model.records])
    m, lo, hi = ci95(monthly)
    rm, rlo, rhi = ci95(ratio)
    passed = lo >= 0.015 and hi <= 0.025 and rlo > 1.0
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    arr = np.array(curves)
    ax.plot(arr.mean(axis=0), color=PALETTE[0], label="model (mean of replicates)")
    ax.plot(
        np.arange(weeks + 1),
        (1 - 0.02) ** (np.arange(weeks + 1) * 12 / 52),
        "--",
        color=PALETTE[1],
        label="2% quits a month (BLS JOLTS)",
    )
    ax.set_xlabel("week")
    ax.set_ylabel("share of initial workforce employed")
    ax.legend(frameon=False)
    return Finding(
        key="turnover",
        title="Baseline turnover",
        source="BLS JOLTS: quits about 2% of employment a month (2.2-2.3% in 2023-24); "
        "practitioner surveys: new hires leave more often",
        criterion="95% CI of the monthly quit rate within 1.5-2.5%, and the quit hazard of "
        "employees in their first year above that of tenured staff (CI of the ratio > 1)",
        measured=f"monthly quit rate {_fmt(m * 100, lo * 100, hi * 100, 2)}%; new-hire to "
        f"tenured hazard ratio {_fmt(rm, rlo, rhi, 2)}",
        passed=passed,
        values={"monthly": (m, lo, hi), "ratio": (rm, rlo, rhi)},
        figure=fig,
    )


# --- 2. forgetting -------------------------------------------------------------------------


def forgetting(replicates: int = 4, weeks: int = 104) -> Finding:
    """An unused skill loses half of a gain within 6.5-13 months (28-56 weeks)."""
    usage = {
        "technical": [0.9, 0.9, 0.5, 0.3, 0.2],
        "domain": [0.6, 0.8, 0.8, 0.8, 0.7],
        "leadership": [0.1, 0.3, 0.9, 0.9, 1.0],
        "digital": [0.0, 0.0, 0.0, 0.0, 0.0],
        "collaboration": [0.6, 0.7, 0.8, 0.8, 0.8],
    }
    sc = _scenario(organisation={"n_employees": N_EMPLOYEES, "job_usage": usage})
    gain = 0.2
    half_lives, curves = [], []
    for r in range(replicates):
        plain = WorkplaceModel(sc, arm="control", replicate=r)
        trained = WorkplaceModel(sc, arm="control", replicate=r)
        # Everyone starts at the floor of the unused domain; the trained twin a gain above.
        floor = sc.learning.skill_floor
        plain.workforce.skill[:, 3] = floor
        trained.workforce.skill[:, 3] = floor + gain
        ids = plain.workforce.employee_id.copy()
        boost = trained.workforce.skill[:, 3] - plain.workforce.skill[:, 3]
        curve = []
        for _ in range(weeks):
            plain.step()
            trained.step()
            sp, st = plain.workforce.slot_of_id[ids], trained.workforce.slot_of_id[ids]
            keep = (sp >= 0) & (st >= 0)
            left = trained.workforce.skill[st[keep], 3] - plain.workforce.skill[sp[keep], 3]
            curve.append(float(left.mean() / boost[keep].mean()))
        curves.append(curve)
        below = np.flatnonzero(np.array(curve) <= 0.5)
        half_lives.append(float(below[0] + 1) if len(below) else np.inf)
    m, lo, hi = ci95(half_lives)
    passed = lo >= 28 and hi <= 56
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(1, weeks + 1), np.mean(curves, axis=0), color=PALETTE[0], label="model")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.axvspan(28, 56, color=PALETTE[1], alpha=0.2, label="6.5-13 months (Tatel & Ackerman 2025)")
    ax.set_xlabel("weeks without use")
    ax.set_ylabel("share of the gain left")
    ax.legend(frameon=False)
    return Finding(
        key="forgetting",
        title="Forgetting of an unused skill",
        source="Tatel & Ackerman 2025: half of the gain lost after about 6.5 (accuracy) to 13 "
        "(speed) months of non-use; Arthur et al. 1998: large decay after a year of non-use",
        criterion="a 0.2 gain in a domain no job uses falls to half (against the same people "
        "without the gain) within 28-56 weeks (95% CI inside)",
        measured=f"half of the gain lost after {_fmt(m, lo, hi, 1)} weeks",
        passed=passed,
        values={"half_life": (m, lo, hi)},
        figure=fig,
    )


# --- 3. time to proficiency ------------------------------------------------------------------


def time_to_proficiency(replicates: int = REPLICATES, weeks: int = 104) -> Finding:
    """New hires take about 8-26 weeks to proficiency, less with onboarding peer coaching."""
    sc = _scenario(
        programmes={
            "onboarding": {
                "kind": "peer_coaching",
                "dur_tenure_max_weeks": 26,
                "p_enrol": 1.0,
                "learner_levels": [0, 1],
            }
        },
        arms={"control": {}, "onboarding": {"programmes": ["onboarding"]}},
    )
    base, diffs = [], []
    for r in range(replicates):
        c = WorkplaceModel(sc, arm="control", replicate=r)
        t = WorkplaceModel(sc, arm="onboarding", replicate=r)
        c.run(weeks)
        t.run(weeks)
        base.append(c.records[-1]["time_to_proficiency_weeks"])
        diffs.append(t.records[-1]["time_to_proficiency_weeks"] - base[-1])
    m, lo, hi = ci95(base)
    dm, dlo, dhi = ci95(diffs)
    passed = lo >= 8 and hi <= 26 and dhi < 0
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(
        ["no programme", "onboarding peer coaching"],
        [m, m + dm],
        yerr=[[m - lo, dm - dlo], [hi - m, dhi - dm]],
        color=PALETTE[:2],
    )
    ax.axhspan(8, 26, color="grey", alpha=0.15, label="8-26 weeks (Rollag et al. 2005)")
    ax.set_ylabel("mean weeks to proficiency of hires")
    ax.legend(frameon=False)
    return Finding(
        key="proficiency",
        title="Time to proficiency of new hires",
        source="Rollag, Parise & Cross 2005: full productivity after about 8 weeks (clerical), "
        "20 (professional), over 26 (executive)",
        criterion="95% CI of hires' mean time to proficiency within 8-26 weeks, and shorter "
        "when new hires (first 26 weeks) get peer coaching (paired CI < 0)",
        measured=f"{_fmt(m, lo, hi, 1)} weeks; with onboarding peer coaching "
        f"{_fmt(dm, dlo, dhi, 1)} weeks",
        passed=passed,
        values={"weeks": (m, lo, hi), "diff": (dm, dlo, dhi)},
        figure=fig,
    )


# --- 4. Carley 1992 -------------------------------------------------------------------------


def carley(replicates: int = REPLICATES, weeks: int = 78) -> Finding:
    """Flat peer structures learn faster; hierarchies hold knowledge better under turnover."""
    progs = {
        "m": {"kind": "mentorship", "p_enrol": 0.5},
        "p": {"kind": "peer_coaching", "p_enrol": 0.5},
    }
    arms = {"control": {}, "mentorship": {"programmes": ["m"]}, "peer": {"programmes": ["p"]}}
    results = {}
    for label, quit_ in (("normal", 0.0034), ("high", 0.0034 * 3)):
        sc = _scenario(programmes=progs, arms=arms, turnover={"p_quit_per_week": quit_})
        early, late_m, late_p = [], [], []
        for r in range(replicates):
            ms = {a: WorkplaceModel(sc, arm=a, replicate=r) for a in arms}
            for m in ms.values():
                m.run(weeks)
            base = {k: [rec["mean_skill"] for rec in m.records] for k, m in ms.items()}
            early.append(
                (base["peer"][13] - base["control"][13])
                - (base["mentorship"][13] - base["control"][13])
            )
            late_m.append(base["mentorship"][-1] - base["control"][-1])
            late_p.append(base["peer"][-1] - base["control"][-1])
        results[label] = {
            "early": ci95(early),
            "mentor": ci95(late_m),
            "peer": ci95(late_p),
            "share": ci95(np.array(late_m) / np.array(late_p)),
        }
    faster = results["normal"]["early"][1] > 0
    # Hierarchy holds knowledge better under high turnover: mentorship's gain relative to
    # peer coaching's is larger when turnover is high.
    holds = results["high"]["share"][0] > results["normal"]["share"][0]
    holds_ci = results["high"]["share"][1] > results["normal"]["share"][2]
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    for i, label in enumerate(("normal", "high")):
        vals = [results[label]["mentor"][0], results[label]["peer"][0]]
        ax.bar(np.arange(2) + 0.4 * i, vals, width=0.4, color=PALETTE[i], label=f"{label} turnover")
    ax.set_xticks([0.2, 1.2], ["mentorship (hierarchical)", "peer coaching (flat)"])
    ax.set_ylabel(f"mean skill gain over control, week {weeks}")
    ax.legend(frameon=False)
    n, h = results["normal"], results["high"]
    return Finding(
        key="carley",
        title="Carley (1992): structure and turnover",
        source="Carley 1992: teams learn faster than hierarchies; hierarchies suffer less from "
        "high turnover",
        criterion="(a) peer coaching's skill gain over control after 13 weeks exceeds "
        "mentorship's (paired CI > 0); (b) under three times the quit rate, mentorship keeps a "
        "larger share of peer coaching's gain than under normal turnover (CIs separate)",
        measured=f"(a) peer minus mentorship at week 13: {_fmt(*n['early'], 4)}; (b) "
        f"mentorship's gain as a share of peer coaching's: {_fmt(*n['share'], 2)} at normal "
        f"turnover, {_fmt(*h['share'], 2)} at high turnover",
        passed=bool(faster and holds_ci),
        values={"faster": faster, "holds": holds, "holds_ci": holds_ci, **results},
        figure=fig,
        note=" ".join(
            part
            for part in (
                ""
                if faster
                else "Part (a) is not reproduced: feedback follows one rule in every design "
                "(docs/model.md 7.4), and weekly peer pairs get no more of it in their first "
                "quarter than fortnightly mentees get from skilled mentors; before that rule, "
                "(a) held only because peer coaching's feedback rate per hour was set five "
                "times mentorship's.",
                ""
                if holds_ci
                else "Part (b) is not reproduced with separated intervals. In these arms "
                "hierarchy enters only through mentors' expertise and sponsorship; Carley's "
                "hierarchies route information through managers (the carley_structure "
                "pattern tries that with the advice network). Reproducing (b) would need "
                "knowledge that is held in the structure (e.g. managers passing on what "
                "leavers knew).",
            )
            if part
        ),
    )


# --- 5. mentoring effects ---------------------------------------------------------------------


def mentoring_effects(replicates: int = 2 * REPLICATES, weeks: int = 156) -> Finding:
    """Mentees' retention and promotion gains are positive, small, and below the Sun figures."""
    sc = _scenario(
        programmes={"m": {"kind": "mentorship"}},
        arms={"control": {}, "mentorship": {"programmes": ["m"]}},
        organisation={"n_employees": 1000},
    )
    ret_gap, promo, phi = [], [], []
    for r in range(replicates):
        c = WorkplaceModel(sc, arm="control", replicate=r)
        t = WorkplaceModel(sc, arm="mentorship", replicate=r)
        c.run(weeks)
        t.run(weeks)
        rec = t.records[-1]
        ret_gap.append(rec["retention_participants"] - rec["retention_nonparticipants"])
        n0 = t.n_initial
        part = t.ledger.initial_participant & t.programmes[0].was_learner[:n0]
        present = t.ledger.initial_present
        stayed = t.workforce.slot_of_id[:n0] >= 0
        x, y = part[present].astype(float), stayed[present].astype(float)
        phi.append(float(np.corrcoef(x, y)[0, 1]))
        mentees = np.flatnonzero(part)
        sc_, st = c.workforce.slot_of_id[mentees], t.workforce.slot_of_id[mentees]
        pc = np.where(sc_ >= 0, c.workforce.n_promotions[sc_], 0).mean()
        pt = np.where(st >= 0, t.workforce.n_promotions[st], 0).mean()
        promo.append((pt + 1e-9) / (pc + 1e-9))
    g, glo, ghi = ci95(ret_gap)
    p, plo, phi_ = ci95(phi)
    pr, prlo, prhi = ci95(promo)
    sun_gap = 0.72 - 0.49
    passed = glo > 0 and ghi < sun_gap and plo > 0 and phi_ < 0.3 and prlo > 1 and prhi < 5
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(
        ["model: participants minus\nnon-participants", "Sun Microsystems\n(self-selected)"],
        [g, sun_gap],
        yerr=[[g - glo, 0], [ghi - g, 0]],
        color=PALETTE[:2],
    )
    ax.set_ylabel(f"retention gap after {weeks // 52} years")
    return Finding(
        key="mentoring",
        title="Mentoring effects on retention and promotion",
        source="Eby et al. 2008 and Allen et al. 2004 (meta-analyses: positive but small "
        "effects); Sun Microsystems: 72% of mentees vs 49% of non-participants retained "
        "(self-selected, an upper bound)",
        criterion="with 1,000 employees and 16 replicates: retention gap of participants over "
        "non-participants > 0 and below the Sun "
        "gap of 23 points; correlation of mentee status with staying between 0 and 0.3 "
        "(small); mentees' promotions against the same people without the programme more "
        "than 1 and less than 5 times (all by 95% CI)",
        measured=f"retention gap {_fmt(g, glo, ghi)}; correlation {_fmt(p, plo, phi_)}; "
        f"promotion ratio {_fmt(pr, prlo, prhi, 2)}",
        passed=passed,
        values={"gap": (g, glo, ghi), "phi": (p, plo, phi_), "promotion_ratio": (pr, prlo, prhi)},
        figure=fig,
    )


# --- 6. coaching and transfer ---------------------------------------------------------------


def _used_feedback(model: WorkplaceModel, slots: np.ndarray) -> np.ndarray:
    """Each employee's feedback stock averaged over domains, weighted by their job's usage."""
    usage = model.usage_by_level[model.workforce.level[slots]]
    fb = model.workforce.feedback[slots]
    return (fb * usage).sum(axis=1) / np.maximum(usage.sum(axis=1), 1e-12)


def coaching_transfer(replicates: int = REPLICATES, weeks: int = 26) -> Finding:
    """Peer coaching raises how much of practice transfers into skill on the job."""
    sc = _scenario(
        programmes={"p": {"kind": "peer_coaching"}},
        arms={"control": {}, "coached": {"programmes": ["p"]}},
    )
    tb = sc.learning.transfer_base
    diffs, levels = [], []
    for r in range(replicates):
        c = WorkplaceModel(sc, arm="control", replicate=r)
        t = WorkplaceModel(sc, arm="coached", replicate=r)
        c.run(weeks)
        t.run(weeks)
        coached = np.flatnonzero(t.programmes[0].was_learner[: t.n_initial])
        sc_, st = c.workforce.slot_of_id[coached], t.workforce.slot_of_id[coached]
        keep = (sc_ >= 0) & (st >= 0)
        tc = tb + (1 - tb) * _used_feedback(c, sc_[keep])
        tt = tb + (1 - tb) * _used_feedback(t, st[keep])
        diffs.append(float((tt - tc).mean()))
        levels.append((float(tc.mean()), float(tt.mean())))
    m, lo, hi = ci95(diffs)
    lv = np.mean(levels, axis=0)
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(["without coaching", "with peer coaching"], lv, color=PALETTE[:2])
    ax.set_ylabel("share of practice turned into skill")
    return Finding(
        key="transfer",
        title="Coaching raises transfer to the job",
        source="Joyce & Showers 2002 (via secondary sources): use of trained skills on the job "
        "rises sharply when peer coaching is added; the direction, not the percentages",
        criterion="coached employees' practice transfer exceeds the same people's without "
        "coaching (paired 95% CI > 0)",
        measured=f"transfer {lv[0]:.2f} without, {lv[1]:.2f} with coaching "
        f"(difference {_fmt(m, lo, hi)})",
        passed=lo > 0,
        values={"diff": (m, lo, hi), "levels": tuple(lv)},
        figure=fig,
        note="The model does not reproduce Joyce & Showers' percentages (about 5% to 95%): "
        "its transfer rises from 0.4 toward 1 with the feedback stock (averaged here over "
        "the domains each job uses), an assumption.",
    )


# --- 7. diminishing returns -------------------------------------------------------------------


def diminishing_returns(replicates: int = REPLICATES, weeks: int = 52) -> Finding:
    """More mentoring hours help less and less; mentors past capacity lose engagement."""
    hours = [0.5, 1.0, 2.0, 4.0]
    progs = {f"h{h}": {"kind": "mentorship", "hours_per_session": h} for h in hours}
    caps = [1, 2, 4, 6]
    progs |= {
        f"c{c}": {"kind": "mentorship", "n_learners_per_guide_max": c, "p_enrol": 0.6} for c in caps
    }
    arms: dict[str, dict[str, list[str]]] = {"control": {}} | {
        k: {"programmes": [k]} for k in progs
    }
    sc = _scenario(programmes=progs, arms=arms)
    gains: dict[float, list[float]] = {h: [] for h in hours}
    mentor_eng: dict[int, list[float]] = {c: [] for c in caps}
    for r in range(replicates):
        control = WorkplaceModel(sc, arm="control", replicate=r)
        control.run(weeks)
        base = control.records[-1]["mean_skill"]
        for h in hours:
            m = WorkplaceModel(sc, arm=f"h{h}", replicate=r)
            m.run(weeks)
            gains[h].append(m.records[-1]["mean_skill"] - base)
        for c in caps:
            m = WorkplaceModel(sc, arm=f"c{c}", replicate=r)
            m.run(weeks)
            guides = np.flatnonzero(m.programmes[0].was_guide[: m.n_initial])
            sc_, st = control.workforce.slot_of_id[guides], m.workforce.slot_of_id[guides]
            keep = (sc_ >= 0) & (st >= 0)
            mentor_eng[c].append(
                float(
                    (
                        m.workforce.engagement[st[keep]] - control.workforce.engagement[sc_[keep]]
                    ).mean()
                )
            )
    g = np.array([gains[h] for h in hours])  # hours x replicates
    slopes = np.diff(g, axis=0) / np.diff(hours)[:, None]
    first, last = ci95(slopes[0]), ci95(slopes[-1])
    concave = first[0] > last[0] and ci95(slopes[0] - slopes[-1])[1] > 0
    e = {c: ci95(mentor_eng[c]) for c in caps}
    overload = ci95(np.array(mentor_eng[caps[-1]]) - np.array(mentor_eng[caps[0]]))
    passed = concave and overload[2] < 0
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.errorbar(hours, g.mean(axis=1), yerr=g.std(axis=1, ddof=1), marker="o", color=PALETTE[0])
    ax1.set_xlabel("hours per fortnightly session")
    ax1.set_ylabel("mean skill gain over control")
    ax2.errorbar(
        caps,
        [e[c][0] for c in caps],
        yerr=[[e[c][0] - e[c][1] for c in caps], [e[c][2] - e[c][0] for c in caps]],
        marker="o",
        color=PALETTE[1],
    )
    ax2.axhline(0, color="grey", lw=0.8)
    ax2.set_xlabel("mentor capacity (mentees)")
    ax2.set_ylabel("mentors' engagement vs control")
    return Finding(
        key="diminishing",
        title="Diminishing returns and mentor overload",
        source="assumption-level pattern expected by practitioners and by Levine & Prietula "
        "2012 (the time cost of knowledge exchange)",
        criterion="the skill gain per extra session hour falls from the first step (0.5 to 1 "
        "h) to the last (2 to 4 h) (paired CI of the difference > 0); mentors with capacity 6 "
        "end less engaged than with capacity 1 (paired CI < 0)",
        measured=f"gain per extra hour {_fmt(*first, 4)} first, {_fmt(*last, 4)} last; "
        f"mentors' engagement at capacity 6 minus capacity 1 {_fmt(*overload, 4)}",
        passed=passed,
        values={"first": first, "last": last, "overload": overload},
        figure=fig,
    )


# --- 8. knowledge loss -----------------------------------------------------------------------


def knowledge_loss(replicates: int = REPLICATES, weeks: int = 52) -> Finding:
    """Turnover takes knowledge away, more so when knowledge sits in few people."""
    sc = _scenario()
    high = _scenario(turnover={"p_quit_per_week": 0.0034 * 2})
    lost: dict[str, list[float]] = {"normal": [], "high": []}
    spread_loss: list[float] = []
    conc_loss: list[float] = []
    d = 3  # digital: give one domain's expertise either to few or to many
    for r in range(replicates):
        for label, s in (("normal", sc), ("high", high)):
            m = WorkplaceModel(s, arm="control", replicate=r)
            m.run(weeks)
            lost[label].append(m.records[-1]["knowledge_lost"])
        for mode, out in (("spread", spread_loss), ("concentrated", conc_loss)):
            m = WorkplaceModel(sc, arm="control", replicate=r)
            wf = m.workforce
            n = wf.n_slots
            experts = np.arange(n) % 10 == 0
            # The same total either way: 0.08 each, or 0.8 each for one in ten.
            wf.skill[:, d] = 0.08 if mode == "spread" else np.where(experts, 0.8, 0.0)
            ids = wf.employee_id.copy()
            held = wf.skill[:, d].copy()
            m.run(weeks)
            gone = wf.slot_of_id[ids] < 0
            # Share of the domain's initial knowledge that left with leavers.
            out.append(float(held[gone].sum() / held.sum()))
    ln, lh = ci95(lost["normal"]), ci95(lost["high"])
    sp, co = np.array(spread_loss), np.array(conc_loss)
    var_ratio = float(co.var(ddof=1) / max(sp.var(ddof=1), 1e-12))
    p95 = (float(np.quantile(sp, 0.9)), float(np.quantile(co, 0.9)))
    passed = ln[1] > 0 and lh[1] > ln[2] and var_ratio > 1
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.boxplot([sp, co], tick_labels=["spread over everyone", "held by 10%"])
    ax.set_ylabel("share of a domain's knowledge lost in a year")
    return Finding(
        key="knowledge",
        title="Turnover takes knowledge away",
        source="March 1991, Carley 1992 (knowledge held by individuals leaves with them)",
        criterion="knowledge lost with leavers is positive and larger at twice the quit rate "
        "(CIs separate); when a domain's knowledge is held by 10% of employees, the share lost "
        "in a year varies more between replicates than when everyone holds an equal part "
        "(variance ratio > 1)",
        measured=f"knowledge lost in a year {_fmt(*ln, 1)} at the normal quit rate, "
        f"{_fmt(*lh, 1)} at twice the rate; share of a domain lost: mean "
        f"{sp.mean():.3f} spread vs {co.mean():.3f} concentrated, 90th percentile "
        f"{p95[0]:.3f} vs {p95[1]:.3f}, variance ratio {var_ratio:.1f}",
        passed=passed,
        values={"normal": ln, "high": lh, "var_ratio": var_ratio},
        figure=fig,
        note="The expected share lost is the same whether knowledge is spread or concentrated, "
        "since quitting in wlsim does not depend on skill; concentration raises the risk (the "
        "spread of outcomes), not the mean.",
    )


# --- 9. the advice network -------------------------------------------------------------------


def advice_network(replicates: int = REPLICATES, weeks: int = 104) -> Finding:
    """The advice network's shape: degree, reciprocity, concentration of help, bridge decay."""
    from sim.analysis.network import summary

    sc = _scenario()
    degree, reciprocity, help_top, bridges_gone = [], [], [], []
    for r in range(replicates):
        m = WorkplaceModel(sc, arm="control", replicate=r)
        m.run(weeks // 2)
        bridges = _bridges(m)
        m.run(weeks - weeks // 2)
        s = summary(m, brokerage=False)
        degree.append(s["mean_out_degree"])
        reciprocity.append(s["reciprocity"])
        help_top.append(s["help_top_share"])  # advice given since week 0, by those employed
        wf = m.workforce
        both = [(a, b) for a, b in bridges if wf.slot_of_id[a] >= 0 and wf.slot_of_id[b] >= 0]
        now = _ties(m)
        bridges_gone.append(float(np.mean([pair not in now for pair in both])) if both else np.nan)
    deg, rec = ci95(degree), ci95(reciprocity)
    top, gone = ci95(help_top), ci95(bridges_gone)
    checks = {
        "degree": 8.0 <= deg[0] <= 13.0,
        "reciprocity": 0.2 <= rec[0] <= 0.35,
        "help": 0.2 <= top[0] <= 0.35,
        "bridges": gone[0] >= 0.8,
    }
    fig = Figure(figsize=(6.5, 3.5), layout="constrained")
    ax = fig.subplots()
    names = [
        "advisers per\nemployee / 10",
        "reciprocity",
        "help by\ntop 5%",
        "bridges gone\nin a year",
    ]
    measured_vals = [deg[0] / 10, rec[0], top[0], gone[0]]
    ranges = [(0.8, 1.3), (0.2, 0.35), (0.2, 0.35), (0.8, 1.0)]
    for i, (v, (lo, hi)) in enumerate(zip(measured_vals, ranges, strict=True)):
        ax.add_patch(
            __import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
                (i - 0.3, lo), 0.6, hi - lo, color=PALETTE[1], alpha=0.25, lw=0
            )
        )
        ax.plot([i], [v], "o", color=PALETTE[0])
    ax.set_xticks(range(4), names)
    ax.set_ylim(0, 1.35)
    ax.set_ylabel("model (dot) and published range (band)")
    return Finding(
        key="network",
        title="The advice network's shape",
        source="Krackhardt 1987 and Lazega 2001 (advisers named 9-12.6 in roster surveys, "
        "reciprocity 0.24-0.31); Cross, Rebele & Grant 2016 (3-5% of employees supply 20-35% "
        "of collaborations); Burt 2002 (nine in ten bridges gone within a year)",
        criterion="with no programme, after two years: mean advisers per employee 8-13; "
        "reciprocity 0.20-0.35; the top 5% of employees give 20-35% of the advice of the "
        "two years; of the ties across teams at the end of year one between people still "
        "employed a year later, at least 80% are gone (means over replicates)",
        measured=f"advisers per employee {_fmt(*deg, 1)}; reciprocity {_fmt(*rec, 2)}; "
        f"advice given by the top 5% {_fmt(*top, 2)}; bridges gone in a year "
        f"{_fmt(*gone, 2)}",
        passed=all(checks.values()),
        values={"degree": deg, "reciprocity": rec, "help": top, "bridges": gone, **checks},
        figure=fig,
        note="None of the four emerges with the default (assumed) tie parameters. wlsim's ties are "
        "whom an employee would ask, closer to free recall than to the roster surveys that "
        "give 9-13 advisers; ties among teammates form independently in both directions, "
        "which makes reciprocity high; help is spread because everyone asks by strength "
        "times belief and skill is similar (docs/model.md, known limitations). These are "
        "emergent checks, not inputs: the tie parameters are left for calibration.",
    )


def _ties(model: WorkplaceModel) -> set[tuple[int, int]]:
    """Every current advice tie as a pair of employee ids (seeker, adviser)."""
    wf = model.workforce
    seeker, _, adviser = model.network.ties(wf.slot_of_id)
    return set(zip(wf.employee_id[seeker].tolist(), wf.employee_id[adviser].tolist(), strict=True))


def _bridges(model: WorkplaceModel) -> list[tuple[int, int]]:
    """The advice ties across teams, as pairs of employee ids."""
    wf = model.workforce
    seeker, _, adviser = model.network.ties(wf.slot_of_id)
    cross = wf.team[seeker] != wf.team[adviser]
    ids = wf.employee_id
    return list(zip(ids[seeker[cross]].tolist(), ids[adviser[cross]].tolist(), strict=True))


# --- 10. Carley (1992) with structure as the cause ---------------------------------------------


def carley_structure(replicates: int = REPLICATES, weeks: int = 78) -> Finding:
    """Team-based advice learns faster; hierarchical advice loses less to turnover."""
    structures = {
        # Advice only up the reporting line: each employee's one tie is their manager.
        "hierarchy": {"n_team_ties_initial": 0, "p_tie_form_per_week": 0.0},
        # Advice among teammates, with no reluctance to ask across levels.
        "teams": {"share_form_in_team": 1.0, "power_distance": 0.0, "n_team_ties_initial": 6},
    }
    early: dict[str, list[float]] = {k: [] for k in structures}
    drop: dict[str, list[float]] = {k: [] for k in structures}
    for name, informal in structures.items():
        for r in range(replicates):
            finals = {}
            for label, quit_ in (("normal", 0.0034), ("high", 0.0034 * 3)):
                sc = _scenario(informal=informal, turnover={"p_quit_per_week": quit_})
                m = WorkplaceModel(sc, arm="control", replicate=r)
                m.run(weeks)
                if label == "normal":
                    early[name].append(m.records[13]["skill_gained_informal"] / N_EMPLOYEES)
                finals[label] = m.records[-1]["mean_skill"]
            drop[name].append(finals["normal"] - finals["high"])
    faster = ci95(np.array(early["teams"]) - np.array(early["hierarchy"]))
    holds = ci95(np.array(drop["teams"]) - np.array(drop["hierarchy"]))
    part_a, part_b = faster[1] > 0, holds[1] > 0
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots(1, 2)
    for i, name in enumerate(structures):
        ax[0].bar(i, np.mean(early[name]), color=PALETTE[i])
        ax[1].bar(i, np.mean(drop[name]), color=PALETTE[i])
    for a, title in zip(
        ax, ("learned from advice, 13 weeks", "skill lost to 3x turnover"), strict=True
    ):
        a.set_xticks(range(2), list(structures))
        a.set_title(title, fontsize=9)
    return Finding(
        key="carley_structure",
        title="Carley (1992), structure as the cause",
        source="Carley 1992: teams learn faster than hierarchies; hierarchies suffer less from "
        "high turnover",
        criterion="no programme, 500 employees, paired replicates: (a) in 13 weeks employees "
        "learn more from advice when they ask teammates than when they ask only their "
        "manager (paired CI > 0); (b) tripling the quit rate lowers mean skill at week 78 more "
        "in the team structure than in the hierarchy (paired CI > 0)",
        measured=f"(a) teams minus hierarchy, skill learned from advice per employee in 13 "
        f"weeks: {_fmt(*faster, 4)}; (b) teams minus hierarchy, fall of mean skill under "
        f"three times the quit rate: {_fmt(*holds, 4)}",
        passed=bool(part_a and part_b),
        values={"faster": part_a, "holds": part_b, "early": faster, "drop": holds},
        figure=fig,
        note=""
        if part_a and part_b
        else "Neither part emerges. (a) Asking only one's manager teaches slightly more per "
        "employee than asking teammates: managers are more skilled than teammates in most "
        "domains, and the gain of an episode grows with the gap (up to the absorption "
        "limit), while teammates' skills are close to one's own. In Carley's model team "
        "members pool what each knows; in wlsim skill differences between people are small "
        "(all employees converge on one plateau, the mechanisms issue), so there is little "
        "to pool. (b) Tripling turnover costs both structures alike: a hierarchy holds "
        "knowledge only in the people asked, and its procedures and roles, which store "
        "knowledge in Carley's hierarchies, are not modelled.",
    )


PATTERNS: dict[str, Callable[..., Finding]] = {
    "turnover": baseline_turnover,
    "forgetting": forgetting,
    "proficiency": time_to_proficiency,
    "carley": carley,
    "mentoring": mentoring_effects,
    "transfer": coaching_transfer,
    "diminishing": diminishing_returns,
    "knowledge": knowledge_loss,
    "network": advice_network,
    "carley_structure": carley_structure,
}


def run_all(replicates: int | None = None) -> list[Finding]:
    """Run every validation experiment."""
    kwargs = {} if replicates is None else {"replicates": replicates}
    return [fn(**kwargs) for fn in PATTERNS.values()]


def write_report(findings: list[Finding], folder: Path) -> Path:
    """Write docs/validation.md and its figures."""
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Validation against published patterns",
        "",
        "Generated by `make validation` (`python -m sim.experiments.validation`) under the default "
        f"calibration: {N_EMPLOYEES} employees unless stated, replicates as stated, common "
        "random numbers between arms. Each pattern states its criterion before the result. "
        "The tests in `tests/validation/` check the criteria of the patterns reported as "
        "reproduced.",
        "",
        "| # | pattern | reproduced |",
        "|---|---|---|",
    ]
    for i, f in enumerate(findings, 1):
        lines.append(f"| {i} | [{f.title}](#{i}-{f.key}) | {'yes' if f.passed else '**no**'} |")
    for i, f in enumerate(findings, 1):
        lines += [
            "",
            f'<a id="{i}-{f.key}"></a>',
            f"## {i}. {f.title}",
            "",
            f"**Source.** {f.source}",
            "",
            f"**Criterion.** {f.criterion}",
            "",
            f"**Measured.** {f.measured}",
            "",
            f"**Reproduced:** {'yes' if f.passed else 'no'}.",
            "",
        ]
        if f.note:
            lines += [f"**Note.** {f.note}", ""]
        if f.figure is not None:
            path = figures / f"validation_{f.key}.png"
            f.figure.savefig(path, dpi=110, metadata={"Software": None})
            lines += [f"![{f.title}](figures/{path.name})", ""]
    out = folder / "validation.md"
    out.write_text("\n".join(lines))
    return out


def main(argv: list[str] | None = None) -> int:
    """Regenerate the validation report."""
    parser = argparse.ArgumentParser(description="Regenerate docs/validation.md")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--replicates", type=int, default=None)
    args = parser.parse_args(argv)
    findings = run_all(args.replicates)
    path = write_report(findings, args.out)
    for f in findings:
        print(f"{'ok ' if f.passed else 'NO '} {f.title}: {f.measured}")
    print(f"Report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
