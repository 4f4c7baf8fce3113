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
import copy
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from sim.analysis.plots import PALETTE
from sim.errors import ScenarioError, did_you_mean
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import parse_assignment, validate_scenario
from sim.scenario.schema import Programme, Scenario

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
        by_construction: Why the criterion holds in any model of this kind, where it does
            (then it checks bookkeeping, not the model's learning).
        shadowed: ``--set`` overrides that this pattern's own design replaced.
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
    by_construction: str = ""
    shadowed: list[str] = field(default_factory=list)


def ci95(values: Any) -> tuple[float, float, float]:
    """Mean and 95% t-interval."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), np.nan, np.nan
    if not np.isfinite(v).all():  # e.g. a half-life never reached: no interval
        return float(v.mean()), np.nan, np.nan
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


#: Top-level paths a ``--set`` for the patterns may not touch: each pattern builds its own
#: programmes and arms (``programmes.*.FIELD`` reaches every programme instead).
_PATTERN_OWNED = (
    "name",
    "programmes",
    "arms",
    "sweep",
    "departures",
    "skill_seeds",
    "skill_demand",
)


@dataclass
class Overrides:
    """``--set PATH=VALUE`` overrides applied to every scenario a pattern builds.

    Build it with :meth:`parse`, which checks every override before anything runs.
    ``programmes.*.FIELD=VALUE`` (accepted here only, not by ``wlsim run``) sets FIELD in
    every programme a pattern builds. A pattern's own design wins: where it sets a value
    itself (the hours it varies, its enrolment, its job usage), the override does not
    apply there and its text is added to :attr:`shadowed`.

    Attributes:
        general: ``(path, value, text)`` of each override of a scenario value.
        programme: ``(field, value, text)`` of each ``programmes.*.FIELD`` override.
        shadowed: Texts of the overrides a pattern's own settings replaced.
    """

    general: tuple[tuple[str, Any, str], ...] = ()
    programme: tuple[tuple[str, Any, str], ...] = ()
    shadowed: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, exprs: Sequence[str]) -> Overrides:
        """Read and check ``PATH=VALUE`` overrides for the patterns.

        Args:
            exprs: The overrides as typed, e.g. ``"learning.rate_session_per_hour=0"`` or
                ``"programmes.*.sponsorship_per_session=0"``.

        Returns:
            The overrides, each validated against the scenario schema.

        Raises:
            ScenarioError: If an override is malformed, names an unknown field, has an
                invalid value, or sets what the patterns build themselves.
        """
        general, programme = [], []
        for expr in exprs:
            path, value = parse_assignment(expr)
            parts = path.split(".")
            if parts[0] == "programmes":
                if len(parts) != 3 or parts[1] != "*":
                    raise ScenarioError(
                        f"--set {expr!r}: the patterns build their own programmes; use "
                        "programmes.*.FIELD=VALUE to set FIELD in every one of them, e.g. "
                        "programmes.*.sponsorship_per_session=0"
                    )
                name = parts[2]
                if name not in Programme.model_fields or name == "kind":
                    fields = [f for f in Programme.model_fields if f != "kind"]
                    raise ScenarioError(
                        f"--set {expr!r}: {name!r} is not a programme field the patterns "
                        f"let you set{did_you_mean(name, fields)}; see 'wlsim programmes "
                        "--parameters'"
                    )
                raw = _base_raw()
                raw["programmes"] = {"every": {"kind": "mentorship", name: value}}
                validate_scenario(raw, "wlsim patterns", {f"programmes.every.{name}": expr})
                programme.append((name, value, expr))
                continue
            if parts[0] in _PATTERN_OWNED:
                raise ScenarioError(
                    f"--set {expr!r}: each pattern sets {parts[0]} itself; set model "
                    "parameters (organisation, learning, people, engagement, turnover, "
                    "promotion, costs, informal) or programmes.*.FIELD"
                )
            raw = _base_raw()
            _set_path(raw, path, value)
            validate_scenario(raw, "wlsim patterns", {path: expr})
            general.append((path, value, expr))
        return cls(tuple(general), tuple(programme))

    @property
    def texts(self) -> list[str]:
        """Every override as typed."""
        return [t for *_, t in self.general] + [t for *_, t in self.programme]


def _base_raw() -> dict[str, Any]:
    """The scenario every pattern starts from, before overrides and its own design."""
    return {
        "name": "validation",
        "organisation": {"n_employees": N_EMPLOYEES},
        "programmes": {},
        "arms": {"control": {}},
    }


def _set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set the dotted ``path`` in nested dictionaries, creating tables on the way."""
    node = raw
    *head, last = path.split(".")
    for part in head:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value


def _leaves(table: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the values in nested dictionaries."""
    out = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            out += _leaves(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out


def _scenario(
    programmes: dict | None = None,
    arms: dict | None = None,
    overrides: Overrides | None = None,
    **extra: Any,
) -> Scenario:
    """A pattern's scenario: the defaults, then the overrides, then the pattern's own design."""
    raw = _base_raw()
    ov = overrides or Overrides()
    for path, value, _ in ov.general:
        _set_path(raw, path, copy.deepcopy(value))
    for path in _leaves(extra):
        _set_path(raw, path, copy.deepcopy(_get_path(extra, path)))
    for path, value, text in ov.general:
        if _get_path(raw, path) != value:  # the pattern set it otherwise
            ov.shadowed.add(text)
    progs = copy.deepcopy(programmes or {})
    for spec in progs.values():
        for name, value, text in ov.programme:
            if name not in spec:
                spec[name] = copy.deepcopy(value)
            elif spec[name] != value:
                ov.shadowed.add(text)
    raw["programmes"] = progs
    raw["arms"] = arms or {"control": {}}
    return validate_scenario(raw, "wlsim patterns", {p: t for p, _, t in ov.general})


def _get_path(table: dict[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` in nested dictionaries (None if absent)."""
    node: Any = table
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _quit_rate(overrides: Overrides | None) -> float:
    """The weekly quit probability the patterns start from (the default, or as overridden)."""
    return _scenario(overrides=overrides).turnover.p_quit_per_week


def _fmt(m: float, lo: float, hi: float, digits: int = 3) -> str:
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


# --- 1. baseline turnover ------------------------------------------------------------------


def baseline_turnover(
    replicates: int = REPLICATES, weeks: int = 104, overrides: Overrides | None = None
) -> Finding:
    """Monthly quit rate in the JOLTS range; new hires leave more often than tenured staff."""
    sc = _scenario(overrides=overrides)
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
    passed = lo >= 0.015 and hi <= 0.025
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
        criterion="95% CI of the monthly quit rate within 1.5-2.5% (the base hazard is an "
        "input; the rate emerges from it and from engagement, which every mechanism moves). "
        "The new-hire to tenured hazard ratio is reported, not judged: "
        "turnover.rel_hazard_new_hire sets it",
        measured=f"monthly quit rate {_fmt(m * 100, lo * 100, hi * 100, 2)}%; new-hire to "
        f"tenured hazard ratio {_fmt(rm, rlo, rhi, 2)}",
        passed=passed,
        values={"monthly": (m, lo, hi), "ratio": (rm, rlo, rhi)},
        figure=fig,
    )


# --- 2. forgetting -------------------------------------------------------------------------


def _gain_unused(c: WorkplaceModel, t: WorkplaceModel, ids: np.ndarray, d: int) -> float:
    """Mean skill of ``ids`` in domain ``d`` in ``t`` minus the same people's in ``c``.

    Only people employed in both runs and at a level whose job does not use ``d`` in
    either count (NaN when there are none).
    """
    sc_, st = c.workforce.slot_of_id[ids], t.workforce.slot_of_id[ids]
    keep = (sc_ >= 0) & (st >= 0)
    sc_, st = sc_[keep], st[keep]
    unused = (c.usage_by_level[c.workforce.level[sc_], d] == 0) & (
        t.usage_by_level[t.workforce.level[st], d] == 0
    )
    diff = t.workforce.skill[st[unused], d] - c.workforce.skill[sc_[unused], d]
    return float(diff.mean()) if diff.size else np.nan


def forgetting(
    replicates: int = REPLICATES, weeks: int = 78, overrides: Overrides | None = None
) -> Finding:
    """What a programme taught in a domain the learners' jobs do not use fades in 6.5-13 months."""
    # Only seniors use "digital": juniors learn it from mentors and then do not use it.
    usage = {k: list(v) for k, v in _scenario(overrides=overrides).organisation.job_usage.items()}
    usage["digital"] = [0.0, 0.0, 0.9, 0.9, 0.9]
    end = 26
    sc = _scenario(
        overrides=overrides,
        organisation={"job_usage": usage},
        programmes={
            "m": {
                "kind": "mentorship",
                "focus_domains": ["digital"],
                "p_enrol": 0.5,
                "dur_programme_weeks": end,
                "dur_relationship_weeks": end,
            }
        },
        arms={"control": {}, "trained": {"programmes": ["m"]}},
    )
    d = sc.organisation.domains.index("digital")
    half_lives, curves, gains, below_floor = [], [], [], []
    for r in range(replicates):
        c = WorkplaceModel(sc, arm="control", replicate=r)
        t = WorkplaceModel(sc, arm="trained", replicate=r)
        c.run(end)
        t.run(end)
        learners = np.flatnonzero(t.programmes[0].was_learner[: t.n_initial])
        st = t.workforce.slot_of_id[learners]
        below_floor.append(
            float((t.workforce.skill[st[st >= 0], d] < sc.learning.skill_floor).mean())
        )

        gain = _gain_unused(c, t, learners, d)
        curve = []
        for _ in range(weeks):
            c.step()
            t.step()
            # No gain to halve (a knockout can leave none): the pattern fails on it.
            curve.append(_gain_unused(c, t, learners, d) / gain if gain > 0 else np.nan)
        gains.append(gain)
        curves.append(curve)
        below = np.flatnonzero(np.array(curve) <= 0.5)
        half_lives.append(float(below[0] + 1) if len(below) else np.inf)
    m, lo, hi = ci95(half_lives)
    g = ci95(gains)
    passed = bool(g[1] > 0 and 28 <= m <= 56)
    with warnings.catch_warnings():  # weeks where no replicate has a gain to compare
        warnings.simplefilter("ignore", RuntimeWarning)
        left = np.nanmean(np.array(curves, dtype=float), axis=0)
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(1, weeks + 1), left, color=PALETTE[0], label="model")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.axvspan(28, 56, color=PALETTE[1], alpha=0.2, label="6.5-13 months (Tatel & Ackerman 2025)")
    ax.set_xlabel("weeks after the programme ended")
    ax.set_ylabel("share of the programme's gain left")
    ax.legend(frameon=False)
    half = "never within " + str(weeks) if not np.isfinite(m) else _fmt(m, lo, hi, 1)
    return Finding(
        key="forgetting",
        title="Forgetting of what a programme taught",
        source="Tatel & Ackerman 2025 (meta-analysis, 457 reports): half of the gain from "
        "training lost after about 6.5 (accuracy) to 13 (speed) months of non-use; Arthur et "
        "al. 1998: large decay after a year of non-use",
        criterion="a 26-week mentorship teaching a domain that only seniors use "
        "(juniors' jobs do not use it) gives its learners a gain over the same people "
        "without it (paired CI > 0); after the programme ends, the mean over replicates of "
        "the weeks until that gain has halved (learners still employed, at a level that "
        "does not use the domain) lies within 28-56 weeks. Measured through the whole "
        "model: forgetting, staleness, advice from the programme's ties and promotions "
        "all act on it",
        measured=f"gain at the programme's end {_fmt(*g, 4)}; half of it lost after {half} weeks",
        passed=passed,
        values={"half_life": (m, lo, hi), "gain": g, "below_floor": float(np.mean(below_floor))},
        figure=fig,
        note=""
        if passed
        else "Not reproduced: the programme gave no gain to lose."
        if not g[0] > 0
        else f"Not reproduced: the share of the gain left is "
        f"{left[min(51, weeks - 1)]:.2f} a year after the programme and "
        f"{left[-1]:.2f} after {weeks} weeks, while forgetting alone "
        f"(learning.dur_skill_half_life_weeks = {sc.learning.dur_skill_half_life_weeks:g}) "
        f"would halve it in {sc.learning.dur_skill_half_life_weeks:g} weeks. Forgetting acts "
        f"only on skill above learning.skill_floor, and {np.mean(below_floor):.0%} of the "
        "learners end the programme below the floor in this domain (starting skills spread "
        "with sd organisation.sd_skill_initial around a level's mean, which in a domain the "
        "job does not use lies near the floor): what they gain below the floor is never "
        "forgotten.",
    )


# --- 3. time to proficiency ------------------------------------------------------------------


def time_to_proficiency(
    replicates: int = REPLICATES, weeks: int = 104, overrides: Overrides | None = None
) -> Finding:
    """New hires take about 8-26 weeks to proficiency, less with onboarding peer coaching."""
    sc = _scenario(
        overrides=overrides,
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


def carley(
    replicates: int = REPLICATES, weeks: int = 78, overrides: Overrides | None = None
) -> Finding:
    """Flat peer structures learn faster; hierarchies hold knowledge better under turnover."""
    progs = {
        "m": {"kind": "mentorship", "p_enrol": 0.5},
        "p": {"kind": "peer_coaching", "p_enrol": 0.5},
    }
    arms = {"control": {}, "mentorship": {"programmes": ["m"]}, "peer": {"programmes": ["p"]}}
    results = {}
    q = _quit_rate(overrides)
    for label, quit_ in (("normal", q), ("high", q * 3)):
        sc = _scenario(
            programmes=progs, arms=arms, overrides=overrides, turnover={"p_quit_per_week": quit_}
        )
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


def mentoring_effects(
    replicates: int = 2 * REPLICATES, weeks: int = 156, overrides: Overrides | None = None
) -> Finding:
    """Mentees' retention and promotion gains are positive, small, and below the Sun figures."""
    sc = _scenario(
        overrides=overrides,
        programmes={"m": {"kind": "mentorship"}},
        arms={"control": {}, "mentorship": {"programmes": ["m"]}},
    )
    # Twice the organisation of the other patterns (1,000 by default): the effects are small.
    org = sc.organisation.model_copy(update={"n_employees": 2 * sc.organisation.n_employees})
    sc = sc.model_copy(update={"organisation": org})
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
        criterion="with twice the organisation (1,000 employees) and 16 replicates: "
        "retention gap of participants over non-participants > 0 and below the Sun "
        "gap of 23 points; correlation of mentee status with staying between 0 and 0.3 "
        "(small); mentees' promotions against the same people without the programme more "
        "than 1 and less than 5 times (all by 95% CI)",
        measured=f"retention gap {_fmt(g, glo, ghi)}; correlation {_fmt(p, plo, phi_)}; "
        f"promotion ratio {_fmt(pr, prlo, prhi, 2)}",
        passed=passed,
        values={"gap": (g, glo, ghi), "phi": (p, plo, phi_), "promotion_ratio": (pr, prlo, prhi)},
        figure=fig,
        note=""
        if passed
        else "Not reproduced: "
        + "; ".join(
            why
            for why, failed in (
                (
                    "the participants' retention gap is positive but its interval reaches "
                    "zero: mentoring's effect on staying is smaller than these runs "
                    "resolve",
                    not glo > 0 and g > 0,
                ),
                ("the participants' retention gap is not positive", not g > 0),
                ("the retention gap reaches the Sun figure", not ghi < sun_gap),
                ("the correlation of mentee status with staying reaches zero", not plo > 0),
                ("the correlation of mentee status with staying is not small", not phi_ < 0.3),
                ("the promotion ratio is not clearly above 1", not prlo > 1),
                ("the promotion ratio reaches 5", not prhi < 5),
            )
            if failed
        )
        + ".",
    )


# --- 6. coaching and transfer ---------------------------------------------------------------


def _used_feedback(model: WorkplaceModel, slots: np.ndarray) -> np.ndarray:
    """Each employee's feedback stock averaged over domains, weighted by their job's usage."""
    usage = model.usage_by_level[model.workforce.level[slots]]
    fb = model.workforce.feedback[slots]
    return (fb * usage).sum(axis=1) / np.maximum(usage.sum(axis=1), 1e-12)


def coaching_transfer(
    replicates: int = REPLICATES, weeks: int = 26, overrides: Overrides | None = None
) -> Finding:
    """Peer coaching raises how much of practice transfers into skill on the job."""
    sc = _scenario(
        overrides=overrides,
        programmes={"p": {"kind": "peer_coaching"}},
        arms={"control": {}, "coached": {"programmes": ["p"]}},
    )
    tb = sc.learning.transfer_base
    diffs, levels, closed = [], [], []
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
        # The share of the way from uncoached transfer to full transfer that coaching closes.
        closed.append(float((tt.mean() - tc.mean()) / (1 - tc.mean())))
    m, lo, hi = ci95(diffs)
    share = ci95(closed)
    lv = np.mean(levels, axis=0)
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(["without coaching", "with peer coaching"], lv, color=PALETTE[:2])
    ax.set_ylabel("share of practice turned into skill")
    return Finding(
        key="transfer",
        title="Coaching raises transfer to the job",
        source="Joyce & Showers 1982, 2002 (via secondary sources; teacher development, not "
        "an RCT): use of trained skills on the job rises from about 5% to 75-95% when "
        "coaching on the job is added, i.e. coaching closes 74-95% of the distance to full "
        "transfer",
        criterion="after 26 weeks of peer coaching, coached employees' transfer (the share of "
        "practice that turns into skill, over the domains their job uses) closes at least "
        "half of the distance from the same people's transfer without coaching to full "
        "transfer (mean over replicates >= 0.5; a lenient bound on the source's 0.74-0.95)",
        measured=f"transfer {lv[0]:.2f} without, {lv[1]:.2f} with coaching (difference "
        f"{_fmt(m, lo, hi)}); share of the distance to full transfer closed {_fmt(*share)}",
        passed=share[0] >= 0.5,
        values={"diff": (m, lo, hi), "levels": tuple(lv), "closed": share},
        figure=fig,
        note="The direction alone (coaching raises transfer) held for any positive feedback "
        "rate, so the criterion is the source's magnitude. wlsim's transfer rises from "
        "learning.transfer_base toward 1 with the feedback stock (averaged here over the "
        "domains each job uses), an assumption.",
    )


# --- 7. diminishing returns -------------------------------------------------------------------


def diminishing_returns(
    replicates: int = REPLICATES, weeks: int = 52, overrides: Overrides | None = None
) -> Finding:
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
    sc = _scenario(programmes=progs, arms=arms, overrides=overrides)
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


def knowledge_loss(
    replicates: int = REPLICATES, weeks: int = 52, overrides: Overrides | None = None
) -> Finding:
    """Turnover takes knowledge away, more so when knowledge sits in few people."""
    sc = _scenario(overrides=overrides)
    high = _scenario(overrides=overrides, turnover={"p_quit_per_week": 2 * _quit_rate(overrides)})
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
        by_construction="Both parts hold in any model in which leavers take their skill "
        "with them: knowledge lost grows with the number of leavers (bookkeeping), and a sum "
        "over fewer holders varies more (sampling). No source gives a magnitude to replace "
        "them with, so the pattern is kept as a check of the bookkeeping; it cannot tell a "
        "broken learning model from a working one.",
    )


# --- 9. the advice network -------------------------------------------------------------------


def advice_network(
    replicates: int = REPLICATES, weeks: int = 104, overrides: Overrides | None = None
) -> Finding:
    """The advice network's shape: degree, reciprocity, concentration of help, bridge decay."""
    from sim.analysis.network import summary

    sc = _scenario(overrides=overrides)
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


def carley_structure(
    replicates: int = REPLICATES, weeks: int = 78, overrides: Overrides | None = None
) -> Finding:
    """Team-based advice learns faster; hierarchical advice loses less to turnover."""
    structures = {
        # Advice only up the reporting line: each employee's one tie is their manager.
        "hierarchy": {"n_team_ties_initial": 0, "p_tie_form_per_week": 0.0},
        # Advice among teammates, with no reluctance to ask across levels.
        "teams": {"share_form_in_team": 1.0, "power_distance": 0.0, "n_team_ties_initial": 6},
    }
    early: dict[str, list[float]] = {k: [] for k in structures}
    drop: dict[str, list[float]] = {k: [] for k in structures}
    q = _quit_rate(overrides)
    for name, informal in structures.items():
        for r in range(replicates):
            finals = {}
            for label, quit_ in (("normal", q), ("high", q * 3)):
                sc = _scenario(
                    overrides=overrides, informal=informal, turnover={"p_quit_per_week": quit_}
                )
                m = WorkplaceModel(sc, arm="control", replicate=r)
                m.run(weeks)
                if label == "normal":
                    early[name].append(m.records[13]["skill_gained_informal"] / m.n_initial)
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


#: The quantities whose evidence each pattern tests: a calibration that fits any of them
#: (a target's metric, ``effect:OUTCOME`` for an effect size, a history row's measure)
#: has that pattern in its calibration set; every other pattern is held out, a test of
#: the calibrated model on evidence it was not fitted to (docs/calibration.md).
EVIDENCE_OF: dict[str, frozenset[str]] = {
    "turnover": frozenset({"cumulative_quits", "quits"}),
    "forgetting": frozenset(),
    "proficiency": frozenset({"time_to_proficiency_weeks"}),
    "carley": frozenset(),
    "mentoring": frozenset(
        {
            "effect:retention",
            "effect:promotion",
            "retention_participants",
            "retention_nonparticipants",
            "promotions_per_learner",
            "promotions_per_nonparticipant",
        }
    ),
    "transfer": frozenset(),
    "diminishing": frozenset(),
    "knowledge": frozenset({"knowledge_lost"}),
    "network": frozenset({"advice_ties_per_employee"}),
    "carley_structure": frozenset(),
}


def fitted_patterns(fitted: Iterable[str]) -> list[str]:
    """The patterns whose evidence a calibration fitted (its calibration set).

    Args:
        fitted: What the calibration's targets measure: metric names, ``effect:OUTCOME``
            and history measures (the ``metric`` column of its ``predictive.csv``).

    Returns:
        Pattern keys, in the order of :data:`PATTERNS`; the others are held out.
    """
    chosen = set(fitted)
    return [key for key in PATTERNS if EVIDENCE_OF[key] & chosen]


@dataclass(frozen=True)
class Calibrated:
    """A calibration the patterns run under: its posterior medians, and what it fitted.

    Attributes:
        folder: The calibration folder.
        overrides: ``PATH=VALUE`` of each fitted parameter's weighted posterior median.
        fitted: The patterns in its calibration set (:func:`fitted_patterns`); the
            other patterns are held out.
    """

    folder: str
    overrides: tuple[str, ...]
    fitted: tuple[str, ...]

    def role(self, key: str) -> str:
        """``"calibration set"`` or ``"held out"`` for pattern ``key``."""
        return "calibration set" if key in self.fitted else "held out"


def calibrated(folder: str | Path, user: Sequence[str] = ()) -> Calibrated:
    """Read a calibration folder for ``wlsim patterns --posterior``.

    Args:
        folder: The folder ``wlsim calibrate`` wrote (``posterior.parquet``, and
            ``predictive.csv`` for what it fitted).
        user: The user's own ``--set`` overrides, which may not set a fitted parameter.

    Returns:
        The posterior medians as overrides and the calibration set.

    Raises:
        ScenarioError: If the folder holds no posterior, a fitted parameter is one the
            patterns set themselves (a programme's), or the user sets one too.
    """
    import pandas as pd

    from sim.experiments.posterior import load_posterior
    from sim.scenario.paths import as_parameter, value_at, whole_number

    posterior = load_posterior(folder)
    raw = validate_scenario(_base_raw(), "wlsim patterns").model_dump(mode="python")
    mine = {parse_assignment(o)[0] for o in user}
    texts = []
    for path, value in posterior.medians().items():
        if path.split(".")[0] in _PATTERN_OWNED:
            raise ScenarioError(
                f"--posterior {folder}: the calibration fitted {path!r}, which the patterns "
                "set themselves (each builds its own programmes and arms); they can run under "
                "a calibration of model parameters only"
            )
        if path in mine:
            raise ScenarioError(
                f"--posterior {folder} and --set {path}=...: the calibration sets {path!r} "
                "(to its posterior median); drop the --set"
            )
        default = value_at(raw, path, section="--posterior")
        texts.append(f"{path}={as_parameter(value, whole_number(default))!r}")
    predictive = Path(folder) / "predictive.csv"
    fitted: list[str] = []
    if predictive.is_file():
        fitted = fitted_patterns(pd.read_csv(predictive)["metric"].astype(str))
    return Calibrated(str(folder), tuple(texts), tuple(fitted))


def pattern_names(names: Sequence[str]) -> list[str]:
    """Check pattern names; all of them when none are given.

    Raises:
        ScenarioError: If a name is not a pattern, with the closest one and the list.
    """
    for name in names:
        if name not in PATTERNS:
            raise ScenarioError(
                f"unknown pattern {name!r}{did_you_mean(name, PATTERNS)}; patterns: "
                f"{', '.join(PATTERNS)}"
            )
    return list(dict.fromkeys(names)) or list(PATTERNS)


def run_patterns(
    names: Sequence[str] = (), overrides: Sequence[str] = (), replicates: int | None = None
) -> list[Finding]:
    """Run validation patterns under ``--set`` overrides.

    Args:
        names: Patterns to run (keys of :data:`PATTERNS`); all when empty.
        overrides: ``PATH=VALUE`` strings applied to every scenario the patterns build
            (``programmes.*.FIELD=VALUE`` sets FIELD in every programme they build).
        replicates: Replicates of every pattern (at least 2); each pattern's own default
            when None.

    Returns:
        The findings, in the order of :data:`PATTERNS`' keys as given.

    Raises:
        ScenarioError: If a name, an override or the replicates are invalid (checked
            before anything runs).
    """
    keys = pattern_names(names)
    Overrides.parse(overrides)
    if replicates is not None and replicates < 2:
        raise ScenarioError(
            f"--replicates {replicates}: the patterns need at least 2 (their criteria are "
            "confidence intervals over replicates)"
        )
    kwargs = {} if replicates is None else {"replicates": replicates}
    findings = []
    for key in keys:
        ov = Overrides.parse(overrides)  # a fresh record of what this pattern shadows
        finding = PATTERNS[key](overrides=ov, **kwargs)
        finding.shadowed = sorted(ov.shadowed)
        findings.append(finding)
    return findings


#: The mechanism x pattern matrix: each mechanism switched off, and each learning rate
#: scaled by 10 (or raised to its upper bound where 10 times is out of range), as
#: ``--set`` overrides applied to every scenario every pattern builds.
PERTURBATIONS: dict[str, tuple[str, ...]] = {
    "learning from partners off": ("learning.rate_session_per_hour=0",),
    "feedback off": ("learning.feedback_per_hour=0", "informal.feedback_per_conversation=0"),
    "sponsorship off": ("programmes.*.sponsorship_per_session=0", "promotion.nomination=false"),
    "overload off": ("engagement.overload_per_hour=0",),
    "forgetting off": ("learning.dur_skill_half_life_weeks=1e9",),
    "informal learning off": ("informal.enabled=false",),
    "relationship breakdown off": ("programmes.*.relationship_failure=false",),
    "people alike": (
        "people.sd_log_learning_ability=0",
        "people.sd_skill_plateau=0",
        "people.sd_log_proactivity=0",
        "people.sd_log_teaching_skill=0",
    ),
    "staleness off": ("learning.rate_skill_obsolescence_per_year=0",),
    "rater error off": ("promotion.sd_rater_error=0",),
    "guides' practice off": ("learning.rate_guide_practice_per_hour=0",),
    "session support off": (
        "engagement.support_per_session=0",
        "engagement.support_guide_per_session=0",
    ),
    "stagnation off": ("engagement.stagnation_per_week=0",),
    "programme ties off": ("informal.programme_ties=false",),
    "session learning x10 (partners and advice)": ("learning.rate_session_per_hour=0.33",),
    "practice x4 (its upper bound, 1)": ("learning.rate_practice_per_week=1",),
    "session feedback x10": ("learning.feedback_per_hour=0.79",),
    "managers' feedback x10": ("informal.feedback_per_conversation=1",),
    "guides' practice x10": ("learning.rate_guide_practice_per_hour=0.2",),
    "advice hours x10": ("informal.hours_per_advice=5",),
}


@dataclass
class Matrix:
    """Which patterns hold under each perturbation.

    Attributes:
        patterns: Pattern keys (columns).
        rows: Perturbation name (``"defaults"`` first) -> pattern key -> holds.
        overrides: Perturbation name -> its ``--set`` overrides.
        replicates: Replicates per pattern (None: each pattern's default).
        seconds: Wall time of the whole matrix.
        measured: Perturbation name -> pattern key -> what was measured.
    """

    patterns: list[str]
    rows: dict[str, dict[str, bool]]
    overrides: dict[str, tuple[str, ...]]
    replicates: int | None
    seconds: float
    measured: dict[str, dict[str, str]] = field(default_factory=dict)

    def changed(self) -> list[tuple[str, str]]:
        """The (perturbation, pattern) cells whose verdict differs from the defaults'."""
        base = self.rows["defaults"]
        return [(n, k) for n, row in self.rows.items() for k in self.patterns if row[k] != base[k]]

    def insensitive(self) -> list[str]:
        """Patterns whose verdict no perturbation changes."""
        moved = {k for _, k in self.changed()}
        return [k for k in self.patterns if k not in moved]

    def unconstrained(self) -> list[str]:
        """Perturbations that break no pattern holding under the defaults.

        Only a pattern the defaults reproduce can catch a broken model: a pattern that
        fails under the defaults and holds under a perturbation has not caught anything
        (an interval near its criterion can cross it either way), so such a change does
        not count.
        """
        base = self.rows["defaults"]
        return [
            name
            for name, row in self.rows.items()
            if name != "defaults" and not any(base[k] and not row[k] for k in self.patterns)
        ]

    def table(self) -> str:
        """The matrix as a Markdown table: "holds" or "fails" per cell.

        A cell whose verdict differs from the defaults' row is in bold, with a dagger.
        """
        head = "| perturbation (`--set`) | " + " | ".join(self.patterns) + " |"
        lines = [head, "|---" * (len(self.patterns) + 1) + "|"]
        base = self.rows["defaults"]
        for name, row in self.rows.items():
            sets = "; ".join(f"`{o}`" for o in self.overrides.get(name, ())) or "none"
            cells = [
                ("holds" if row[k] else "fails")
                if row[k] == base[k]
                else ("**holds** †" if row[k] else "**fails** †")
                for k in self.patterns
            ]
            lines.append(f"| {name} ({sets}) | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def mechanism_matrix(
    replicates: int | None = None,
    base: Sequence[str] = (),
    perturbations: dict[str, tuple[str, ...]] | None = None,
    progress: Callable[[str, list[Finding]], None] | None = None,
) -> Matrix:
    """Run every pattern under the defaults and under every perturbation.

    Args:
        replicates: Replicates per pattern (None: each pattern's default).
        base: ``--set`` overrides under every row, the defaults' row included.
        perturbations: Name -> overrides (default :data:`PERTURBATIONS`).
        progress: Called with each row's name and findings as it finishes.

    Returns:
        The matrix.
    """
    import time

    start = time.perf_counter()
    perturbations = PERTURBATIONS if perturbations is None else perturbations
    rows: dict[str, dict[str, bool]] = {}
    measured: dict[str, dict[str, str]] = {}
    for name, sets in {"defaults": (), **perturbations}.items():
        findings = run_patterns(overrides=[*base, *sets], replicates=replicates)
        rows[name] = {f.key: f.passed for f in findings}
        measured[name] = {f.key: f.measured for f in findings}
        if progress is not None:
            progress(name, findings)
    seconds = time.perf_counter() - start
    return Matrix(list(PATTERNS), rows, dict(perturbations), replicates, seconds, measured)


def run_all(replicates: int | None = None) -> list[Finding]:
    """Run every validation experiment under the default calibration."""
    return run_patterns(replicates=replicates)


def write_report(
    findings: list[Finding],
    folder: Path,
    matrix: Matrix | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """Write validation.md and its figures into ``folder``.

    Args:
        findings: The patterns' findings.
        folder: Where to write (``docs`` for the project's report).
        matrix: The mechanism x pattern matrix, if it was run.
        overrides: The ``--set`` overrides the findings ran under.

    Returns:
        The path of validation.md.
    """
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    under = (
        "under the default calibration"
        if not overrides
        else "under the overrides " + ", ".join(f"`{o}`" for o in overrides)
    )
    lines = [
        "# Validation against published patterns",
        "",
        "Generated by `make validation` (`wlsim patterns --report docs --matrix`) "
        f"{under}: {N_EMPLOYEES} employees unless stated, replicates as stated, common "
        "random numbers between arms. Each pattern states its criterion before the result; "
        "the criteria were fixed (commit e653eb7) before any knockout of the matrix below "
        "was run. The tests in `tests/validation/` check the criteria of the patterns "
        "reported as reproduced, and a few cells of the matrix. `wlsim patterns [NAME ...] "
        "[--set PATH=VALUE ...]` runs them under other parameters.",
        "",
        "| # | pattern | reproduced |",
        "|---|---|---|",
    ]
    for i, f in enumerate(findings, 1):
        lines.append(f"| {i} | [{f.title}](#{i}-{f.key}) | {'yes' if f.passed else '**no**'} |")
    if matrix is not None:
        lines += ["", *_matrix_section(matrix)]
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
        if f.by_construction:
            lines += [f"**Holds by construction.** {f.by_construction}", ""]
        if f.figure is not None:
            path = figures / f"validation_{f.key}.png"
            f.figure.savefig(path, dpi=110, metadata={"Software": None})
            lines += [f"![{f.title}](figures/{path.name})", ""]
    out = folder / "validation.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def _matrix_section(matrix: Matrix) -> list[str]:
    """The report's section on the mechanism x pattern matrix."""
    free = matrix.unconstrained()
    reps = (
        "each pattern's own replicates"
        if matrix.replicates is None
        else (f"{matrix.replicates} replicates per pattern")
    )
    return [
        '<a id="matrix"></a>',
        "## Mechanism x pattern matrix",
        "",
        "Every pattern run again with one mechanism switched off, or one learning rate "
        "scaled by 10 (practice raised to its upper bound, 1, four times the default), "
        "as `--set` overrides applied to every scenario the pattern builds "
        "(`programmes.*.FIELD` reaches every programme it builds; `wlsim patterns` accepts "
        "that form only). A cell says whether the pattern's criterion holds; **bold** with "
        "a dagger where the verdict differs from the defaults' row. A pattern that fails "
        "under the defaults cannot catch a knockout (when it holds under a perturbation, "
        "its interval has crossed the criterion the other way, which catches nothing); a "
        "perturbation that breaks no pattern holding under the defaults is "
        f"**unconstrained** by this validation. Run with {reps}, "
        f"{N_EMPLOYEES} employees as in the patterns; {len(matrix.rows)} rows took "
        f"{matrix.seconds / 60:.1f} minutes.",
        "",
        matrix.table(),
        "",
        "**Unconstrained** (no pattern that holds under the defaults fails): "
        + (", ".join(free) if free else "none")
        + ". These mechanisms and rates could be removed, or scaled tenfold, without any "
        "pattern here noticing; what they do in wlsim rests on their stated sources and "
        "assumptions alone (docs/model.md, known limitations). No pattern was added to "
        "catch them.",
        "",
        "**Patterns no perturbation moves:** "
        + (", ".join(matrix.insensitive()) or "none")
        + " (those that fail under the defaults cannot catch a knockout).",
        "",
        "**The changed verdicts, with what was measured** (a verdict can change because "
        "an interval's bound crossed the criterion while the estimate barely moved: "
        "compare the estimates, not only the verdicts):",
        "",
        *[
            f"- *{name}*, {key}: {matrix.measured[name][key]} (defaults: "
            f"{matrix.measured['defaults'][key]})"
            for name, key in matrix.changed()
            if matrix.measured
        ],
    ]


def main(argv: list[str] | None = None) -> int:
    """Regenerate the validation report (``wlsim patterns --report`` does the same)."""
    parser = argparse.ArgumentParser(description="Regenerate docs/validation.md")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--replicates", type=int, default=None)
    parser.add_argument("--matrix", action="store_true", help="also run the mechanism matrix")
    args = parser.parse_args(argv)
    findings = run_all(args.replicates)
    matrix = mechanism_matrix(args.replicates) if args.matrix else None
    path = write_report(findings, args.out, matrix)
    for f in findings:
        print(f"{'ok ' if f.passed else 'NO '} {f.title}: {f.measured}")
    print(f"Report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
