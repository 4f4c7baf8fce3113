# ruff: noqa: D102, D103, RUF001, B023
"""Regenerate the measured numbers of docs/programmes.md.

Every number in the guide that is not quoted from a test comes from this script. It
runs each programme design alone against a matched control (common random numbers:
replicate r of both arms starts from the same organisation and draws the same
turnover), follows the learners present at week 0 in both arms, and prints markdown
tables with the mean and the 95% t-interval over replicates.

Sections (pass one or more names; default ``table channels``):

- ``table``: the side-by-side design table of section 1.5 (400 employees, 52 weeks,
  6 replicates, the default seed), with the new mechanisms' numbers per design (share of
  relationships ended early, promotions per learner and per non-participant);
- ``channels``: the same runs with ``learning.rate_session_per_hour = 0`` and with
  ``learning.feedback_per_hour = 0`` (section 1.5, "where the gains come from");
- ``variants``: the component changes the design sections and section 16 quote;
- ``failure``: relationship failure by design, and what switching each part off or
  raising goal mismatch does (section 17.4 to 17.6);
- ``careers``: promotions per learner with and without sponsorship, over 104 weeks
  (sections 2, 11 and 17.1);
- ``long``: three-year comparisons (section 17.1 and 17.3);
- ``scenarios``: every scenario file with its own settings (5 replicates), each arm
  against the first, for the "What to look at" claims of the files' descriptions;
- ``all``: everything.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python docs/programmes_numbers.py table channels

``table channels`` takes about 5 minutes on one core (the first minute compiles the
kernels); ``all`` about 25 minutes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from sim.model.workplace import WorkplaceModel
from sim.scenario.designs import DESIGNS as DESIGN_PRESETS
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Organisation

N = 400
WEEKS = 52
REPLICATES = 6
DESIGNS = tuple(DESIGN_PRESETS)  # every design, in the library's order
DOMAINS = Organisation().domains


# --- running a comparison -----------------------------------------------------------------


def scenario(
    programmes: dict,
    weeks: int = WEEKS,
    n: int = N,
    settings: dict | None = None,
    arm_programmes: Iterable[str] | None = None,
):
    """A scenario with a control arm and one treated arm running ``arm_programmes``."""
    raw = {
        "name": "programmes_numbers",
        "horizon_weeks": weeks,
        "organisation": {"n_employees": n},
        "programmes": programmes,
        "arms": {
            "control": {},
            "treated": {"programmes": list(arm_programmes or programmes)},
        },
    }
    for key, value in (settings or {}).items():
        section, name = key.split(".", 1)
        raw.setdefault(section, {})[name] = value
    return validate_scenario(raw)


@dataclass
class Pair:
    """One replicate's control and treated models, and the initial learners and guides."""

    control: WorkplaceModel
    treated: WorkplaceModel
    learners: np.ndarray = field(init=False)
    guides: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.treated.n_initial
        learner = np.zeros(n, dtype=bool)
        guide = np.zeros(n, dtype=bool)
        for p in self.treated.programmes:
            learner |= p.was_learner[:n]
            guide |= p.was_guide[:n]
        self.learners = np.flatnonzero(learner)
        self.guides = np.flatnonzero(guide & ~learner)

    def last(self, metric: str, arm: str = "treated") -> float:
        return float(getattr(self, arm).records[-1][metric])

    def diff(self, metric: str) -> float:
        return self.last(metric) - self.last(metric, "control")

    def slots(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slots of the given ids in both arms, for those employed in both."""
        ids = np.asarray(ids, dtype=np.int64)
        c = self.control.workforce.slot_of_id[ids]
        t = self.treated.workforce.slot_of_id[ids]
        both = (c >= 0) & (t >= 0)
        return c[both], t[both]

    def skill(self, ids: np.ndarray, domain: str | None = None) -> float:
        """Mean skill (or skill in one domain) of these people, treated minus control."""
        c, t = self.slots(ids)
        if len(c) == 0:
            return float("nan")
        sc, st = self.control.workforce.skill[c], self.treated.workforce.skill[t]
        if domain is None:
            return float((st.mean(axis=1) - sc.mean(axis=1)).mean())
        d = DOMAINS.index(domain)
        return float((st[:, d] - sc[:, d]).mean())

    def engagement(self, ids: np.ndarray) -> float:
        c, t = self.slots(ids)
        if len(c) == 0:
            return float("nan")
        return float(
            (self.treated.workforce.engagement[t] - self.control.workforce.engagement[c]).mean()
        )

    def promotions(self, ids: np.ndarray) -> float:
        """Promotions per person, treated minus control; leavers count with what they had."""
        ids = np.asarray(ids, dtype=np.int64)
        out = []
        for m in (self.treated, self.control):
            s = m.workforce.slot_of_id[ids]
            out.append(np.where(s >= 0, m.workforce.n_promotions[np.maximum(s, 0)], 0))
        return float((out[0] - out[1]).mean()) if len(ids) else float("nan")


_CONTROLS: dict[tuple, WorkplaceModel] = {}


def pairs(
    programmes: dict,
    weeks: int = WEEKS,
    n: int = N,
    settings: dict | None = None,
    replicates: int = REPLICATES,
    arm_programmes: Iterable[str] | None = None,
) -> list[Pair]:
    """Run the control and treated arms for each replicate.

    The control arm runs no programme, so it is the same whatever programmes the scenario
    defines: it is run once per (weeks, size, settings, replicate) and reused.
    """
    sc = scenario(programmes, weeks, n, settings, arm_programmes)
    out = []
    for r in range(replicates):
        key = (weeks, n, tuple(sorted((settings or {}).items())), r)
        if key not in _CONTROLS:
            control = WorkplaceModel(sc, arm="control", replicate=r)
            control.run()
            _CONTROLS[key] = control
        treated = WorkplaceModel(sc, arm="treated", replicate=r)
        treated.run()
        out.append(Pair(_CONTROLS[key], treated))
    return out


def design(kind: str, **params) -> dict:
    return {"p": {"kind": kind, **params}}


# --- summarising --------------------------------------------------------------------------


def ci(values: Iterable[float]) -> tuple[float, float, float]:
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if len(v) < 2:
        return (float(v.mean()) if len(v) else float("nan"), float("nan"), float("nan"))
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def fmt(x: float, digits: int = 4) -> str:
    s = f"{x:+.{digits}f}"
    return s.replace("-", "−")


def show(values: Iterable[float], digits: int = 4, interval: bool = True, sign: bool = True):
    m, lo, hi = ci(values)
    f = (lambda x: fmt(x, digits)) if sign else (lambda x: f"{x:.{digits}f}")
    text = f(m)
    if interval and np.isfinite(lo):
        text += f" [{f(lo)}, {f(hi)}]"
    return text


def sig(values: Iterable[float], digits: int = 4) -> str:
    """Mean with "(ns)" when the 95% interval includes zero."""
    m, lo, hi = ci(values)
    text = fmt(m, digits)
    return text + (" (ns)" if np.isfinite(lo) and lo <= 0 <= hi else "")


def per_1000h(p: Pair) -> float:
    hours = p.last("session_hours")
    return p.diff("mean_skill") * p.treated.params.organisation.n_employees / hours * 1000


def table(rows: list[list[str]], header: list[str]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- section 1.5 --------------------------------------------------------------------------

_RUNS: dict[tuple, list[Pair]] = {}


def design_runs(kind: str, settings: dict | None = None) -> list[Pair]:
    key = (kind, tuple(sorted((settings or {}).items())))
    if key not in _RUNS:
        _RUNS[key] = pairs(design(kind), settings=settings)
    return _RUNS[key]


def section_table() -> None:
    print(
        f"## Section 1.5: the designs side by side ({N} employees, {WEEKS} weeks, "
        f"{REPLICATES} replicates, commit {commit()})\n"
    )
    rows, new = [], []
    for kind in DESIGNS:
        ps = design_runs(kind)
        rows.append(
            [
                f"`{kind}`",
                f"{np.mean([p.last('n_learners_reached') for p in ps]):.0f}",
                f"{np.mean([p.last('session_hours') for p in ps]):,.0f}",
                f"{np.mean([p.last('mentor_hours') for p in ps]):,.0f}",
                sig([p.diff("mean_skill") for p in ps]),
                sig([per_1000h(p) for p in ps], 2),
                sig([p.skill(p.learners) for p in ps], 4),
                sig([p.engagement(p.learners) for p in ps], 3),
                sig([p.diff("cumulative_quits") for p in ps], 1),
            ]
        )
        new.append(
            [
                f"`{kind}`",
                show([p.last("share_relationships_ended_early") for p in ps], 3, sign=False),
                f"{np.mean([p.last('relationships_ended_early') for p in ps]):.1f}",
                show([p.last("promotions_per_learner") for p in ps], 3, sign=False),
                show([p.last("promotions_per_nonparticipant") for p in ps], 3, sign=False),
                sig([p.promotions(p.learners) for p in ps], 3),
                sig([p.diff("promotions") for p in ps], 1),
            ]
        )
    table(
        rows,
        [
            "design",
            "learners reached",
            "person-hours",
            "of which guides",
            "organisation mean skill",
            "per 1,000 h",
            "learners' mean skill",
            "learners' engagement",
            "quits (per 400 a year)",
        ],
    )
    ps = design_runs(DESIGNS[0])
    print(
        "Control arm at week 52: mean skill "
        f"{np.mean([p.last('mean_skill', 'control') for p in ps]):.3f}, quits "
        f"{np.mean([p.last('cumulative_quits', 'control') for p in ps]):.1f}, promotions "
        f"{np.mean([p.last('promotions', 'control') for p in ps]):.1f}\n"
    )
    table(
        new,
        [
            "design",
            "share of relationships ended early",
            "ended early (count)",
            "promotions per learner",
            "promotions per non-participant",
            "learners' promotions vs control",
            "organisation's promotions vs control",
        ],
    )


def section_channels() -> None:
    print("## Section 1.5: where the gains come from\n")
    rows = []
    for kind in DESIGNS:
        full = design_runs(kind)
        no_learn = design_runs(kind, {"learning.rate_session_per_hour": 0.0})
        no_fb = design_runs(kind, {"learning.feedback_per_hour": 0.0})
        no_gp = design_runs(kind, {"learning.rate_guide_practice_per_hour": 0.0})
        g = [p.diff("mean_skill") for p in full]
        gl = [p.diff("mean_skill") for p in no_learn]
        gf = [p.diff("mean_skill") for p in no_fb]
        gg = [p.diff("mean_skill") for p in no_gp]

        def share(without: list[float]) -> list[float]:
            return [
                (a - b) / a if abs(a) > 1e-12 else np.nan for a, b in zip(g, without, strict=True)
            ]

        rows.append(
            [
                f"`{kind}`",
                sig(g),
                sig(gl),
                sig(gf),
                sig(gg),
                show(share(gl), 2, sign=False),
                show(share(gf), 2, sign=False),
                show(share(gg), 2, sign=False),
            ]
        )
    table(
        rows,
        [
            "design",
            "organisation gain",
            "without learning from partners",
            "without feedback",
            "without guides' practice",
            "share due to learning from partners",
            "share due to feedback",
            "share due to guides' practice",
        ],
    )


# --- variants: one component changed ------------------------------------------------------


def variant_rows(
    kind: str,
    variants: dict[str, dict],
    settings: dict | None = None,
    weeks: int = WEEKS,
    domain: str | None = None,
) -> None:
    print(f"### `{kind}`: component changes ({weeks} weeks)\n")
    rows = []
    for label, params in variants.items():
        ps = pairs(design(kind, **params), weeks=weeks, settings=settings)
        row = [
            label,
            f"{np.mean([p.last('session_hours') for p in ps]):,.0f}",
            sig([p.diff("mean_skill") for p in ps]),
            sig([per_1000h(p) for p in ps], 2),
            show([p.skill(p.learners) for p in ps], 4),
            sig([p.engagement(p.learners) for p in ps], 3),
            show([p.last("share_relationships_ended_early") for p in ps], 3, sign=False),
        ]
        if domain:
            row.append(show([p.skill(p.learners, domain) for p in ps], 4))
        rows.append(row)
    header = [
        "variant",
        "person-hours",
        "organisation mean skill",
        "per 1,000 h",
        "learners' mean skill",
        "learners' engagement",
        "ended early",
    ]
    if domain:
        header.append(f"learners' {domain}")
    table(rows, header)


def section_variants() -> None:
    print("## Component changes quoted in the design sections and section 16\n")
    variant_rows(
        "mentorship",
        {
            "preset": {},
            "power_distance 0": {"power_distance": 0.0},
            "power_distance 0.3": {"power_distance": 0.3},
            "power_distance 0.5": {"power_distance": 0.5},
            "cadence_weeks 1": {"cadence_weeks": 1},
            "hours_per_session 2": {"hours_per_session": 2.0},
            "matching algorithmic": {"matching": "algorithmic"},
            "focus_domains all": {"focus_domains": []},
            "dur_relationship_weeks 13": {"dur_relationship_weeks": 13},
        },
        domain="leadership",
    )
    variant_rows(
        "peer_coaching",
        {
            "preset": {},
            "structure 0.9": {"structure": 0.9},
            "half-life 4 weeks": {"dur_accountability_half_life_weeks": 4.0},
            "52-week pairs, half-life 4": {
                "dur_relationship_weeks": 52,
                "dur_accountability_half_life_weeks": 4.0,
            },
            "52-week pairs, half-life 4, structure 0.9": {
                "dur_relationship_weeks": 52,
                "dur_accountability_half_life_weeks": 4.0,
                "structure": 0.9,
            },
            "1-week pairs": {"dur_relationship_weeks": 1},
            "matching similarity": {"matching": "similarity"},
        },
    )
    variant_rows(
        "group_circles",
        {
            "preset": {},
            "cadence_weeks 1": {"cadence_weeks": 1},
            "n_group_size 4": {"n_group_size": 4},
            "n_group_size 8": {"n_group_size": 8},
            "level_gap_max 2": {"level_gap_max": 2},
        },
    )
    variant_rows(
        "micro_mentoring",
        {
            "preset": {},
            "hours_per_session 1": {"hours_per_session": 1.0},
            "matching random": {"matching": "random"},
            "matching random, focus fixed (all)": {"matching": "random", "focus": "fixed"},
            "new_partner_each_time false, 4-week relationships": {
                "new_partner_each_time": False,
                "dur_relationship_weeks": 4,
            },
        },
    )
    variant_rows(
        "flash_mentorship",
        {
            "preset": {},
            "dur_between_weeks 4": {"dur_between_weeks": 4},
            "matching random": {"matching": "random"},
        },
    )
    variant_rows(
        "situational_coaching",
        {
            "preset": {},
            "p_challenge_per_week 0.3": {"p_challenge_per_week": 0.3},
            "dur_relationship_weeks 4": {"dur_relationship_weeks": 4},
        },
    )
    variant_rows(
        "skill_pods",
        {
            "preset": {},
            "matching random": {"matching": "random"},
            "cadence_weeks 1": {"cadence_weeks": 1},
        },
    )
    variant_rows(
        "accountability_clusters",
        {
            "preset": {},
            "rel_learning 1": {"rel_learning": 1.0},
            "structure 0.4": {"structure": 0.4},
            "structure 0.4, half-life 13": {
                "structure": 0.4,
                "dur_accountability_half_life_weeks": 13.0,
            },
            "hours_per_session 1": {"hours_per_session": 1.0},
        },
    )
    variant_rows(
        "near_peer",
        {
            "preset": {},
            "level_gap_max 4": {"level_gap_max": 4},
            "power_distance 0": {"power_distance": 0.0},
            "sponsorship 0": {"sponsorship_per_session": 0.0},
        },
    )
    variant_rows(
        "reciprocal_coaching",
        {
            "preset": {},
            "level_gap_max 1": {"level_gap_max": 1},
            "cadence_weeks 1": {"cadence_weeks": 1},
        },
    )
    variant_rows(
        "mentor_shadowing",
        {
            "preset": {},
            "mode dialogue": {"mode": "dialogue", "rel_guide_time": 1.0},
            "dur_relationship_weeks 52": {"dur_relationship_weeks": 52},
            "cadence 1, 1 h": {"cadence_weeks": 1, "hours_per_session": 1.0},
        },
    )
    variant_rows(
        "reverse_mentoring",
        {
            "preset": {},
            "p_enrol 0.6": {"p_enrol": 0.6},
            "focus digital+technical": {"focus_domains": ["digital", "technical"]},
        },
        domain="digital",
    )


# --- relationship failure -----------------------------------------------------------------


def section_failure() -> None:
    print("## Relationship failure by design (sections 17.4 to 17.6)\n")
    cases: dict[str, dict] = {
        "defaults": {},
        "relationship_failure false": {"relationship_failure": False},
        "rel_quality_power_distance 0": {"rel_quality_power_distance": 0.0},
        "rate_quality_loss_per_missed_session 0": {"rate_quality_loss_per_missed_session": 0.0},
        "rel_quality_goal_mismatch 1": {"rel_quality_goal_mismatch": 1.0},
        "rel_quality_goal_mismatch 0": {"rel_quality_goal_mismatch": 0.0},
        "power_distance 0.3": {"power_distance": 0.3},
        "matching similarity": {"matching": "similarity"},
    }
    for kind in (
        "mentorship",
        "peer_coaching",
        "near_peer",
        "reverse_mentoring",
        "reciprocal_coaching",
        "group_circles",
        "accountability_clusters",
    ):
        rows = []
        for label, params in cases.items():
            if (
                kind in ("group_circles", "accountability_clusters")
                and label == "matching similarity"
            ):
                continue
            ps = pairs(design(kind, **params), weeks=104)
            rows.append(
                [
                    label,
                    f"{np.mean([p.last('relationships_ended_early') for p in ps]):.1f}",
                    show([p.last("share_relationships_ended_early") for p in ps], 3, sign=False),
                    f"{np.mean([p.last('session_hours') for p in ps]):,.0f}",
                    show([p.skill(p.learners) for p in ps], 4),
                    show([p.engagement(p.learners) for p in ps], 3),
                ]
            )
        print(f"### `{kind}` ({N} employees, 104 weeks, {REPLICATES} replicates)\n")
        table(
            rows,
            [
                "case",
                "ended early",
                "share ended early",
                "person-hours",
                "learners' mean skill",
                "learners' engagement",
            ],
        )
    print("### Accountability: peer coaching's weekly person-hours by quarter of a 52-week pair\n")
    rows = []
    for label, params in {
        "preset structure 0.4, half-life 26": {"dur_relationship_weeks": 52},
        "structure 0.4, no fading": {
            "dur_relationship_weeks": 52,
            "dur_accountability_half_life_weeks": 1e6,
        },
        "structure 0.9": {"dur_relationship_weeks": 52, "structure": 0.9},
    }.items():
        ps = pairs(design("peer_coaching", **params))
        h = np.array([[r["session_hours_week"] for r in p.treated.records[1:]] for p in ps])
        q = [h[:, i * 13 : (i + 1) * 13].mean() for i in range(4)]
        rows.append(
            [label]
            + [f"{x:.1f}" for x in q]
            + [
                show([p.last("share_relationships_ended_early") for p in ps], 3, sign=False),
                show([p.skill(p.learners) for p in ps], 4),
            ]
        )
    table(
        rows,
        [
            "case",
            "weeks 1–13",
            "14–26",
            "27–39",
            "40–52",
            "share ended early",
            "learners' mean skill",
        ],
    )
    print("### Guide burnout: mentorship with 4 mentees per mentor (52 weeks)\n")
    rows = []
    for label, params in {
        "capacity 2 (preset)": {},
        "capacity 4": {"n_learners_per_guide_max": 4, "p_volunteer": 0.2},
        "capacity 4, no burnout": {
            "n_learners_per_guide_max": 4,
            "p_volunteer": 0.2,
            "burnout_per_extra_learner": 0.0,
        },
    }.items():
        ps = pairs(design("mentorship", **params))
        rows.append(
            [
                label,
                sig([p.engagement(p.guides) for p in ps], 3),
                sig([p.skill(p.learners) for p in ps], 4),
                show([p.last("share_relationships_ended_early") for p in ps], 3, sign=False),
                sig([p.diff("cumulative_quits") for p in ps], 1),
            ]
        )
    table(
        rows, ["case", "guides' engagement", "learners' mean skill", "share ended early", "quits"]
    )


# --- careers ------------------------------------------------------------------------------


def section_careers() -> None:
    print(f"## Careers: promotions over 104 weeks ({N} employees, {REPLICATES} replicates)\n")
    rows = []
    for label, kind, params, settings in (
        ("mentorship", "mentorship", {}, None),
        ("mentorship, sponsorship 0", "mentorship", {"sponsorship_per_session": 0.0}, None),
        ("mentorship, no nomination", "mentorship", {}, {"promotion.nomination": False}),
        ("mentorship, rater error 0", "mentorship", {}, {"promotion.sd_rater_error": 0.0}),
        ("near_peer", "near_peer", {}, None),
        ("near_peer, sponsorship 0", "near_peer", {"sponsorship_per_session": 0.0}, None),
        ("peer_coaching", "peer_coaching", {}, None),
        ("accountability_clusters", "accountability_clusters", {}, None),
        ("reverse_mentoring (guides)", "reverse_mentoring", {}, None),
    ):
        ps = pairs(design(kind, **params), weeks=104, settings=settings)
        who = (lambda p: p.guides) if "guides" in label else (lambda p: p.learners)
        rows.append(
            [
                label,
                show([p.last("promotions_per_learner") for p in ps], 3, sign=False),
                show([p.last("promotions_per_nonparticipant") for p in ps], 3, sign=False),
                show([p.promotions(who(p)) for p in ps], 3),
                show([p.skill(who(p), "leadership") for p in ps], 4),
                sig([p.diff("promotions") for p in ps], 1),
            ]
        )
    table(
        rows,
        [
            "case",
            "promotions per learner",
            "per non-participant",
            "learners' promotions vs control (same people)",
            "learners' leadership vs control",
            "organisation's promotions vs control",
        ],
    )


# --- three years --------------------------------------------------------------------------


def section_long() -> None:
    print(f"## Three years ({N} employees, 156 weeks, {REPLICATES} replicates)\n")
    rows = []
    for label, progs, arm in (
        ("mentorship", design("mentorship"), None),
        ("peer_coaching", design("peer_coaching"), None),
        ("peer_coaching levels 0–1", design("peer_coaching", learner_levels=[0, 1]), None),
        (
            "hybrid: mentorship + peer coaching",
            {"m": {"kind": "mentorship"}, "c": {"kind": "peer_coaching"}},
            None,
        ),
    ):
        ps = pairs(progs, weeks=156, arm_programmes=arm)
        rows.append(
            [
                label,
                f"{np.mean([p.last('session_hours') for p in ps]):,.0f}",
                show([p.diff("mean_skill") for p in ps]),
                show([p.skill(p.learners) for p in ps], 4),
                show([p.skill(p.learners, "leadership") for p in ps], 4),
                show([p.promotions(p.learners) for p in ps], 3),
                show([p.diff("retention_initial") for p in ps], 3),
            ]
        )
    table(
        rows,
        [
            "arm",
            "person-hours",
            "organisation mean skill",
            "learners' mean skill",
            "learners' leadership",
            "learners' promotions vs control",
            "retention of initial employees",
        ],
    )


# --- the scenario files ------------------------------------------------------------------

SCENARIO_FILES = (
    "scenarios/mentorship_vs_peer_coaching.toml",
    "scenarios/mentor_capacity.toml",
    "scenarios/digital_shift.toml",
    "scenarios/programmes/mentorship.toml",
    "scenarios/programmes/peer_coaching.toml",
    "scenarios/programmes/reverse_mentoring.toml",
    "scenarios/programmes/group_circles.toml",
    "scenarios/programmes/micro_mentoring.toml",
    "scenarios/programmes/flash_mentorship.toml",
    "scenarios/programmes/situational_coaching.toml",
    "scenarios/programmes/skill_pods.toml",
    "scenarios/programmes/accountability_clusters.toml",
    "scenarios/programmes/near_peer.toml",
    "scenarios/programmes/reciprocal_coaching.toml",
    "scenarios/programmes/mentor_shadowing.toml",
    "scenarios/programmes/hybrid.toml",
    "scenarios/programmes/algorithmic_matching.toml",
    "scenarios/programmes/levers.toml",
)
SCENARIO_REPLICATES = 5


def section_scenarios(files: Iterable[str] = SCENARIO_FILES) -> None:
    """Each scenario file with its own settings (5 replicates): every arm against the first.

    This is what the "What to look at" paragraphs of the files' descriptions are checked
    against.
    """
    import sim
    from sim.analysis.compare import end_of_horizon, paired_differences

    for path in files:
        sc = sim.load_scenario(path)
        res = sim.run_scenario(sc, replicates=SCENARIO_REPLICATES, progress=False)
        last = end_of_horizon(res.timeseries)
        metrics = [
            c
            for c in last.columns
            if c not in ("arm", "replicate", "seed", "week") and last[c].dtype.kind in "fi"
        ]
        diffs = paired_differences(last, metrics=metrics)
        print(
            f"### `{path}` ({sc.organisation.n_employees} employees, {sc.horizon_weeks} "
            f"weeks, {SCENARIO_REPLICATES} replicates)\n"
        )
        arms = list(dict.fromkeys(last["arm"]))
        means = last.groupby("arm", sort=False)[metrics].mean()
        rows = []
        for m in metrics:
            row = [m] + [f"{means.loc[a, m]:.4g}" for a in arms]
            for a in arms[1:]:
                d = diffs[(diffs["arm"] == a) & (diffs["metric"] == m)]
                if len(d) and np.isfinite(d["mean_diff"].iloc[0]):
                    r = d.iloc[0]
                    row.append(f"{r['mean_diff']:+.4g} [{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]")
                else:
                    row.append("")
            rows.append(row)
        table(rows, ["metric"] + arms + [f"{a} − {arms[0]}" for a in arms[1:]])
        sys.stdout.flush()


SECTIONS: dict[str, Callable[[], None]] = {
    "scenarios": section_scenarios,
    "table": section_table,
    "channels": section_channels,
    "variants": section_variants,
    "failure": section_failure,
    "careers": section_careers,
    "long": section_long,
}


def main(argv: list[str]) -> None:
    names = argv or ["table", "channels"]
    if names == ["all"]:
        names = list(SECTIONS)
    for name in names:
        if name.endswith(".toml"):
            section_scenarios([name])
        else:
            SECTIONS[name]()
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
