"""Published effect sizes that wlsim's effects are compared with: the one home of targets.

Each entry says what was measured, on which designs it is evidence, and its nature.
Meta-analytic delta values are corrected for the unreliability of the measures, so they
are compared with wlsim's latent d (true skill or engagement); the observed d (the
observation model's ratings and surveys, :mod:`sim.model.observation`) is compared with
``delta * sqrt(reliability)``, the effect a study with measures of that reliability would
see. A design with no evidence gets no target; where a study of a related but different
intervention exists it is shown as a *reference*, not a target. Tags follow the
literature notes: [C] checked against the source, [M] from memory, not checked.

These are targets for reading results, never inputs: no parameter is tuned to them
(docs/calibration.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd


@dataclass(frozen=True)
class Target:
    """A published effect size and what it may be compared with.

    Attributes:
        key: Short name.
        source: Citation.
        outcomes: Effect outcomes it applies to (see :mod:`sim.analysis.effects`).
        statistic: "d" (standardised mean difference) or "risk_ratio".
        low: Lower end of the published value (equal to ``high`` for a point); NaN for
            a qualitative statement.
        high: Upper end.
        designs: Designs it is evidence for (a target).
        references: Designs it is shown beside as a reference only (a different
            intervention).
        corrected: Corrected for measurement unreliability (compare with latent d).
        tag: Evidence tag of the number in the literature notes ([C] or [M]).
        nature: What kind of evidence it is, in a sentence.
    """

    key: str
    source: str
    outcomes: tuple[str, ...]
    statistic: Literal["d", "risk_ratio"]
    low: float
    high: float
    designs: tuple[str, ...]
    references: tuple[str, ...]
    corrected: bool
    tag: str
    nature: str


_PEER = ("peer_coaching", "reciprocal_coaching", "group_circles", "situational_coaching")
_MENTORING = ("mentorship", "near_peer")


def _d_from_r(r: float) -> float:
    """A correlation as a standardised mean difference (equal groups): 2r / sqrt(1 - r^2)."""
    return 2 * r / math.sqrt(1 - r * r)


TARGETS: tuple[Target, ...] = (
    Target(
        key="coaching_skill",
        source="Jones, Woods & Guillaume 2016 (JOOP 89:249-277), skill-based outcomes",
        outcomes=("skill_focus", "skill_job"),
        statistic="d",
        low=0.28,
        high=0.28,
        designs=(),
        references=_PEER,
        corrected=True,
        tag="[C]",
        nature=(
            "meta-analytic delta (k = 17) of workplace coaching by professional coaches, "
            "excluding peer and manager coaching (overall delta 0.36): a reference for "
            "wlsim's peer designs, not evidence on them"
        ),
    ),
    Target(
        key="coaching_affective",
        source="Jones, Woods & Guillaume 2016, affective outcomes",
        outcomes=("engagement",),
        statistic="d",
        low=0.51,
        high=0.51,
        designs=(),
        references=_PEER,
        corrected=True,
        tag="[C]",
        nature=(
            "meta-analytic delta of professional workplace coaching on affective outcomes: "
            "a reference for peer designs, not evidence on them"
        ),
    ),
    Target(
        key="mentoring",
        source="Eby, Allen, Evans, Ng & DuBois 2008 (JVB 72:254-267)",
        outcomes=("skill_focus", "skill_job", "engagement"),
        statistic="d",
        low=round(_d_from_r(0.05), 2),
        high=round(_d_from_r(0.15), 2),
        designs=_MENTORING,
        references=(),
        corrected=True,
        tag="[M]",
        nature=(
            "meta-analysis: mentoring's effects are 'generally small' [C]; the range is "
            "r = .05-.15 [M, unverified: Table 2 not checked] as d = 2r/sqrt(1-r^2); mostly "
            "mentored versus non-mentored comparisons, so an upper bound on a causal effect; "
            "whether the r are corrected for unreliability is not checked (compared as delta)"
        ),
    ),
    Target(
        key="mentoring_career",
        source="Allen, Eby, Poteet, Lentz & Lima 2004 (JAP 89:127-136)",
        outcomes=("promotion",),
        statistic="risk_ratio",
        low=float("nan"),
        high=float("nan"),
        designs=_MENTORING,
        references=(),
        corrected=False,
        tag="[C]",
        nature=(
            "meta-analysis: effects of mentoring on objective career outcomes (compensation, "
            "promotion) are small [C]; no number is used (the values are [M]); observational, "
            "an upper bound"
        ),
    ),
)


def targets_table() -> pd.DataFrame:
    """The targets as a table, one row per target (for reports and docs)."""
    rows = []
    for t in TARGETS:
        value = (
            "qualitative: small"
            if math.isnan(t.low)
            else (f"{t.low:g}" if t.low == t.high else f"{t.low:g} to {t.high:g}")
        )
        rows.append(
            {
                "target": t.key,
                "source": t.source,
                "statistic": t.statistic,
                "value": value,
                "outcomes": ", ".join(t.outcomes),
                "target for": ", ".join(t.designs) or "-",
                "reference for": ", ".join(t.references) or "-",
                "evidence": t.tag,
                "nature": t.nature,
            }
        )
    return pd.DataFrame(rows)


def find(design: str, outcome: str, statistic: str) -> tuple[Target, str] | None:
    """The target (or reference) for a design's outcome, and its role, or None.

    Returns:
        The entry and "target" (evidence on this design) or "reference" (a related
        intervention); a target is preferred to a reference.
    """
    for role, attr in (("target", "designs"), ("reference", "references")):
        for t in TARGETS:
            if t.statistic == statistic and outcome in t.outcomes and design in getattr(t, attr):
                return t, role
    return None
