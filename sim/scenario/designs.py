"""The programme designs: each a preset of the shared rule components.

A design is not a class of its own. Every programme runs the same rule engine
(:mod:`sim.model.programmes.engine`), configured by components: topology (pair or group),
direction (down, up or both), eligibility, matching policy, trigger, cadence and session
length, relationship length, structure, focus and mode. A design fills in the
components that make it what it is; a scenario can override any of them. Values not
set by a design keep the defaults of :class:`sim.scenario.schema.Programme`.

Preset values are assumptions unless the note says otherwise; ``docs/programmes.md``
explains each design and what to look for in the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Design:
    """A programme design: a one-line summary and the component values it sets.

    Attributes:
        summary: One line for ``wlsim programmes``.
        preset: Component values (field names of :class:`sim.scenario.schema.Programme`).
    """

    summary: str
    preset: dict[str, Any] = field(default_factory=dict)


DESIGNS: dict[str, Design] = {
    "mentorship": Design(
        "Hierarchical mentorship: a senior guides a junior one way for a year, with "
        "sponsorship, in scheduled sessions.",
        dict(
            learner_levels=(0, 1),
            direction="down",
            level_gap_min=1,
            level_gap_max=4,
            n_learners_per_guide_max=2,
            dur_relationship_weeks=52,
            cadence_weeks=2,
            hours_per_session=1.0,
            structure=0.8,
            focus_domains=("leadership", "domain"),
            sponsorship_per_session=0.05,
        ),
    ),
    "peer_coaching": Design(
        "Reciprocal peer coaching: same-level pairs coach each other weekly, partners "
        "rotate each quarter; feedback on each other's practice.",
        dict(
            learner_levels=(0, 1, 2),
            direction="both",
            level_gap_min=0,
            level_gap_max=0,
            n_learners_per_guide_max=1,
            dur_relationship_weeks=13,
            cadence_weeks=1,
            hours_per_session=1.0,
            structure=0.4,
            dur_accountability_half_life_weeks=26.0,
            focus_domains=(),
            sponsorship_per_session=0.0,
        ),
    ),
    "reverse_mentoring": Design(
        "Reverse mentoring: a junior mentors a senior in a designated domain (digital), "
        "gaining leadership practice and visibility.",
        dict(
            learner_levels=(2, 3, 4),
            guide_levels=(0, 1),
            direction="up",
            level_gap_min=1,
            level_gap_max=4,
            n_learners_per_guide_max=1,
            dur_relationship_weeks=26,
            cadence_weeks=2,
            hours_per_session=1.0,
            structure=0.7,
            focus_domains=("digital",),
            sponsorship_per_session=0.0,
        ),
    ),
    "group_circles": Design(
        "Group peer-coaching circles: facilitated groups of six peers meet fortnightly, "
        "everyone learning from everyone.",
        dict(
            learner_levels=(0, 1, 2),
            topology="group",
            direction="both",
            n_group_size=6,
            level_gap_min=0,
            level_gap_max=0,
            dur_relationship_weeks=26,
            cadence_weeks=2,
            hours_per_session=1.5,
            structure=0.8,
            focus_domains=(),
        ),
    ),
    "micro_mentoring": Design(
        "Micro-mentoring: short weekly sessions, each with a new mentor (never the last "
        "one) matched to the learner's current need.",
        dict(
            learner_levels=(0, 1),
            direction="down",
            level_gap_min=1,
            level_gap_max=4,
            n_learners_per_guide_max=2,
            matching="need",
            focus="need",
            new_partner_each_time=True,
            dur_relationship_weeks=1,
            cadence_weeks=1,
            hours_per_session=0.5,
            structure=0.6,
        ),
    ),
    "flash_mentorship": Design(
        "Flash mentorship: a one-off hour with the strongest expert in the learner's "
        "biggest gap, once a quarter.",
        dict(
            learner_levels=(0, 1, 2),
            direction="down",
            level_gap_min=1,
            level_gap_max=4,
            n_learners_per_guide_max=2,
            matching="expert",
            focus="need",
            dur_relationship_weeks=1,
            dur_between_weeks=12,
            cadence_weeks=1,
            hours_per_session=1.0,
            structure=0.9,
        ),
    ),
    "situational_coaching": Design(
        "Situational coaching: when a work challenge hits a skill gap, the learner is "
        "coached just in time by a colleague strong in that domain.",
        dict(
            learner_levels=(0, 1, 2, 3),
            direction="down",
            level_gap_min=0,
            level_gap_max=4,
            n_learners_per_guide_max=2,
            trigger="challenge",
            matching="expert",
            focus="need",
            dur_relationship_weeks=1,
            cadence_weeks=1,
            hours_per_session=1.0,
            structure=1.0,
        ),
    ),
    "skill_pods": Design(
        "Skill-sharing pods: small cross-functional groups whose members are strong in "
        "different domains exchange across domains.",
        dict(
            learner_levels=(0, 1, 2),
            topology="group",
            direction="both",
            n_group_size=4,
            level_gap_min=0,
            level_gap_max=2,
            matching="complementary",
            dur_relationship_weeks=26,
            cadence_weeks=2,
            hours_per_session=1.0,
            structure=0.6,
            focus_domains=(),
        ),
    ),
    "accountability_clusters": Design(
        "Peer accountability clusters: small groups that commit to practise and follow "
        "through; frequent short meetings, little direct transfer.",
        dict(
            learner_levels=(0, 1, 2),
            topology="group",
            direction="both",
            n_group_size=5,
            level_gap_min=0,
            level_gap_max=0,
            dur_relationship_weeks=26,
            cadence_weeks=1,
            hours_per_session=0.5,
            structure=0.9,
            rel_learning=0.2,
            focus_domains=(),
        ),
    ),
    "near_peer": Design(
        "Near-peer guidance: a mentor exactly one level above, for absorption and "
        "psychological safety; a lower ceiling than distant mentors.",
        dict(
            learner_levels=(0, 1, 2),
            direction="down",
            level_gap_min=1,
            level_gap_max=1,
            n_learners_per_guide_max=2,
            dur_relationship_weeks=26,
            cadence_weeks=2,
            hours_per_session=1.0,
            structure=0.6,
            focus_domains=(),
            sponsorship_per_session=0.02,
        ),
    ),
    "reciprocal_coaching": Design(
        "Reciprocal coaching: cross-level pairs in which both teach: experience down, "
        "fresh skills up.",
        dict(
            learner_levels=(0, 1),
            guide_levels=(1, 2, 3),
            direction="both",
            level_gap_min=1,
            level_gap_max=2,
            n_learners_per_guide_max=1,
            dur_relationship_weeks=26,
            cadence_weeks=2,
            hours_per_session=1.0,
            structure=0.6,
            focus_domains=(),
        ),
    ),
    "mentor_shadowing": Design(
        "Mentor shadowing: the mentee observes the mentor's real work for three hours a "
        "month; tacit learning of what the mentor does, little mentor time.",
        dict(
            learner_levels=(0, 1),
            direction="down",
            level_gap_min=1,
            level_gap_max=3,
            n_learners_per_guide_max=1,
            mode="observation",
            rel_guide_time=0.2,
            dur_relationship_weeks=12,
            cadence_weeks=4,
            hours_per_session=3.0,
            structure=0.8,
        ),
    ),
}
