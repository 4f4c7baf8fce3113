"""Scenario parameters: one frozen, validated object per scenario file.

Every parameter is declared once here, with its unit, its default and the source of
that default (or the word "assumption"). ``docs/parameters.md`` is generated from these
declarations (``python -m sim.app.docgen``), so the documentation cannot drift from the code.

Naming follows the unit: ``p_`` probabilities, ``n_`` counts, ``rate_..._per_week`` and
``rate_..._per_hour`` rates, ``dur_..._weeks`` durations, ``rel_`` multipliers,
``hours_`` hours.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.errors import did_you_mean

DEFAULT_DOMAINS = ("technical", "domain", "leadership", "digital", "collaboration")
DEFAULT_LEVELS = (
    "individual contributor",
    "senior contributor",
    "manager",
    "senior manager",
    "executive",
)

#: How the source of a default fitted by the evidence calibration begins
#: (docs/calibration.md, "The evidence calibration"); the 90% interval follows.
EVIDENCE = "calibrated: posterior median of the evidence calibration (calibration/evidence"


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    sa: tuple[float, float] | None = None,
    **constraints: Any,
) -> Any:
    """Declare a scenario parameter with its unit and the source of its default.

    Args:
        default: The default value.
        unit: Unit of the value (use "1" for dimensionless numbers).
        source: Study the default comes from (author, year), or "assumption".
        description: One sentence on what the parameter means in the model.
        sa: The range a sensitivity analysis should cover, where a source gives one;
            otherwise docs/calibration.md applies its stated rule.
        **constraints: Pydantic constraints such as ``ge``, ``le``, ``gt``.

    Returns:
        A pydantic ``FieldInfo`` carrying the metadata.
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if sa is not None:
        extra["sa"] = list(sa)
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def sa_bounds(field: Any) -> tuple[float, float, str] | None:
    """The sensitivity range of a numeric parameter, from its source or the stated rule.

    The rule (docs/calibration.md): from half to twice the default, within the
    parameter's allowed range, integers rounded.

    Args:
        field: The parameter's pydantic ``FieldInfo``.

    Returns:
        ``(low, high, "chosen")`` where the declaration gives ``sa``, ``(low, high,
        "rule")`` otherwise; None for choices (flags, names, lists) and zero defaults.
    """
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "sa" in extra:
        low, high = extra["sa"]
        return float(low), float(high), "chosen"
    default = field.get_default(call_default_factory=True)
    if isinstance(default, bool) or not isinstance(default, int | float) or default == 0:
        return None
    lo, hi = default / 2, default * 2
    for meta in field.metadata:
        bound = getattr(meta, "le", None) or getattr(meta, "lt", None)
        if bound is not None:
            hi = min(hi, bound)
    if isinstance(default, int):
        lo, hi = max(1, round(lo)), round(hi)
    return lo, hi, "rule"


#: The one rule for the names that become file and folder names: the scenario's name
#: (its results folder) and the names of its arms and programmes (run ids such as
#: ``p00000-r0000-<arm>``, and the files named after them).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
NAME_MAX_LENGTH = 64


def name_problem(name: str) -> str | None:
    """What makes a name unusable as part of a file name, or None when it is usable.

    Args:
        name: A scenario, arm or programme name.

    Returns:
        The problem, worded to follow the name (e.g. "may not contain '..'"), or None.
    """
    if len(name) > NAME_MAX_LENGTH:
        return f"is {len(name)} characters long; at most {NAME_MAX_LENGTH} are allowed"
    if not NAME_PATTERN.fullmatch(name):
        return (
            "must start with a letter or digit and contain only letters, digits, '_', '.' and '-'"
        )
    if ".." in name:
        return "may not contain '..'"
    return None


def safe_name(name: str) -> str:
    """A name close to ``name`` that :func:`name_problem` accepts ("" if none is close).

    Args:
        name: A name that may break the rule.

    Returns:
        The name with every run of other characters (and every '..') replaced by '_',
        without leading punctuation, cut to the longest name allowed.
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    safe = re.sub(r"\.{2,}", "_", safe).lstrip("_.-")
    return safe[:NAME_MAX_LENGTH]


def _check_name(name: str) -> str:
    problem = name_problem(name)
    if problem is not None:
        # A custom error type lets the loader word the message for a name or a table key.
        raise PydanticCustomError("unsafe_name", problem)
    return name


#: A name that is safe in file names (see :data:`NAME_PATTERN`).
Name = Annotated[str, AfterValidator(_check_name)]


def _slug(name: str) -> str:
    """A name as a snake_case column suffix (as used by the metrics)."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


class Section(BaseModel):
    """Base of every scenario table: frozen, typed, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        # Pydantic would read `true` as 1 for a number; in a scenario that is a mistake.
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key)
                if (
                    isinstance(value, bool)
                    and field is not None
                    and field.annotation in (int, float)
                ):
                    raise ValueError(f"{key} = {str(value).lower()}: expected a number")
        return data


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class Organisation(Section):
    """The synthetic organisation: its size, levels, reporting tree and starting skills."""

    n_employees: int = param(
        1000,
        ge=2,
        le=1_000_000_000,
        unit="employees",
        source="assumption",
        description="Number of positions; hiring fills every position by the end of each week.",
    )
    domains: tuple[str, ...] = param(
        DEFAULT_DOMAINS,
        min_length=1,
        unit="names",
        source="assumption",
        description="Skill domains every employee carries a level in.",
    )
    levels: tuple[str, ...] = param(
        DEFAULT_LEVELS,
        min_length=2,
        unit="names",
        source="assumption",
        description="Hierarchy levels from the lowest (index 0) to the highest.",
    )
    level_shares: tuple[Unit, ...] = param(
        (0.55, 0.25, 0.13, 0.05, 0.02),
        unit="share of positions",
        source="assumption (a pyramid with first-line spans of about 5 to 7)",
        description="Share of positions at each level; must sum to 1.",
    )
    first_manager_level: int = param(
        2,
        ge=1,
        unit="level index",
        source="assumption",
        description="Lowest level that manages people; levels below report to it.",
    )
    job_usage: dict[str, tuple[Unit, ...]] = param(
        {
            "technical": (0.9, 0.9, 0.5, 0.3, 0.2),
            "domain": (0.6, 0.8, 0.8, 0.8, 0.7),
            "leadership": (0.1, 0.3, 0.9, 0.9, 1.0),
            "digital": (0.6, 0.6, 0.4, 0.3, 0.2),
            "collaboration": (0.6, 0.7, 0.8, 0.8, 0.8),
        },
        unit="share of working time, per domain and level",
        source="assumption",
        description=(
            "How much the job at each level uses each domain: practice builds used skill, "
            "unused skill is forgotten."
        ),
    )
    skill_expertise_by_level: tuple[Unit, ...] = param(
        (0.0, 0.06, 0.1, 0.13, 0.16),
        unit="skill (0-1)",
        source="assumption",
        description=(
            "Expertise of incumbents above the practice equilibrium in a fully used domain, "
            "per level (what seniors have to pass on)."
        ),
    )
    sd_skill_initial: float = param(
        0.08,
        ge=0.0,
        le=0.5,
        unit="skill (0-1)",
        source="assumption",
        description="Standard deviation of starting skill across employees.",
    )
    dur_tenure_initial_mean_weeks: float = param(
        200.0,
        gt=0.0,
        unit="weeks",
        source="assumption (mean tenure of about four years)",
        description="Mean tenure of the initial workforce (exponentially distributed).",
    )
    dur_burn_in_weeks: int = param(
        0,
        ge=0,
        le=5200,
        unit="weeks",
        source="assumption",
        description=(
            "Weeks the organisation runs without any programme before week 0, so that "
            "starting skills, tenures and engagement settle (0: start as initialised)."
        ),
    )
    source: str = param(
        "",
        unit="file path",
        source="assumption",
        description=(
            "An HR export (CSV or Parquet) of the starting workforce, relative to the "
            "scenario file; leave it out for the synthetic organisation. See docs/data.md."
        ),
    )
    network: str = param(
        "",
        unit="file path",
        source="assumption",
        description=(
            "An edge list (CSV or Parquet) of who seeks advice from whom, exported from "
            "an organisational network analysis survey, relative to the scenario file; its "
            "ids are the employee ids of organisation.source. It seeds the advice "
            "network's ties at week 0; leave it out if you have no such survey. See docs/data.md."
        ),
    )
    skill_scale: tuple[float, float] = param(
        (1.0, 5.0),
        unit="[lowest, highest] rating",
        source="assumption (a five-point rating scale)",
        description="Scale of the skill ratings in the data, mapped linearly onto 0-1.",
    )
    engagement_scale: tuple[float, float] = param(
        (1.0, 5.0),
        unit="[lowest, highest] score",
        source="assumption (a five-point survey scale)",
        description="Scale of the engagement survey scores in the data, mapped onto 0-1.",
    )

    @field_validator("source")
    @classmethod
    def _source_names_a_file(cls, value: str) -> str:
        # Only the default means "synthetic": an empty value written in a file or given
        # with --set is more likely a file name left out than a choice.
        if not value.strip():
            raise ValueError(
                "is empty; name the HR export (CSV or Parquet) here, or remove the key "
                "for the synthetic organisation"
            )
        return value

    @field_validator("network")
    @classmethod
    def _network_names_a_file(cls, value: str) -> str:
        # As for `source`: an empty value is more likely a file name left out than a choice.
        if not value.strip():
            raise ValueError(
                "is empty; name the edge list (CSV or Parquet) of the advice network here, "
                "or remove the key if you have no such survey"
            )
        return value

    @model_serializer(mode="wrap")
    def _leave_out_no_source(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A synthetic organisation is written without `source` (and a scenario without a
        # network without `network`), so that its dump (in a results folder, or
        # re-validated for an arm) reads back.
        data: dict[str, Any] = handler(self)
        for key in ("source", "network"):
            if not getattr(self, key):
                data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _network_needs_a_roster(self) -> Organisation:
        if self.network and not self.source:
            raise ValueError(
                "organisation.network needs organisation.source: the edge list names "
                "employees by the employee ids of an HR export; name that export in "
                "organisation.source, or remove organisation.network (docs/data.md)"
            )
        return self

    @model_validator(mode="after")
    def _check_shapes(self) -> Organisation:
        n_levels = len(self.levels)
        if len(set(self.domains)) != len(self.domains):
            raise ValueError(f"domains must be unique names, got {list(self.domains)}")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels must be unique names, got {list(self.levels)}")
        slugs = [_slug(n) for n in (*self.domains, *self.levels)]
        if len(set(slugs)) != len(slugs) or not all(slugs):
            raise ValueError(
                "domain and level names must differ from each other once written as "
                f"snake_case column names (mean_skill_<name>); got {slugs}"
            )
        if len(self.level_shares) != n_levels:
            raise ValueError(
                f"level_shares needs one share per level ({n_levels} levels), "
                f"got {len(self.level_shares)}"
            )
        if abs(sum(self.level_shares) - 1.0) > 1e-6:
            raise ValueError(f"level_shares must sum to 1, got {sum(self.level_shares):.6g}")
        if len(self.skill_expertise_by_level) != n_levels:
            raise ValueError(
                f"skill_expertise_by_level needs one value per level ({n_levels} levels), "
                f"got {len(self.skill_expertise_by_level)}"
            )
        for label, (low, high) in (
            ("skill_scale", self.skill_scale),
            ("engagement_scale", self.engagement_scale),
        ):
            if not low < high:
                raise ValueError(f"{label} must be [lowest, highest] with lowest < highest")
        if self.first_manager_level >= n_levels:
            raise ValueError(
                f"first_manager_level must be below the number of levels ({n_levels}), "
                f"got {self.first_manager_level}"
            )
        managing = n_levels - self.first_manager_level
        if not self.source and self.n_employees < managing:
            raise ValueError(
                f"n_employees = {self.n_employees}: the synthetic organisation has a position "
                f"at every managing level ({', '.join(self.levels[self.first_manager_level :])}),"
                f" so it needs at least {managing} employees; raise n_employees or lower "
                "first_manager_level"
            )
        if set(self.job_usage) != set(self.domains):
            missing = sorted(set(self.domains) - set(self.job_usage))
            extra = sorted(set(self.job_usage) - set(self.domains))
            raise ValueError(
                f"job_usage needs exactly one entry per domain; missing {missing}, unknown {extra}"
            )
        for name, usage in self.job_usage.items():
            if len(usage) != n_levels:
                raise ValueError(
                    f"job_usage.{name} needs one value per level ({n_levels} levels), "
                    f"got {len(usage)}"
                )
        return self


class Learning(Section):
    """Learning in sessions, on-the-job practice and forgetting."""

    rate_session_per_hour: float = param(
        0.033,
        sa=(0.02, 0.1),
        ge=0.0,
        le=1.0,
        unit="share of the skill gap per session hour",
        source=(
            f"{EVIDENCE}; 90% interval 0.021-0.055) to mentoring's small effects (Eby et al. "
            "2008, d 0.10-0.30)"
        ),
        description=(
            "Share of the gap to a partner that one hour of session closes, at full "
            "relationship quality, focus and absorption."
        ),
    )
    gap_absorption: float = param(
        0.3,
        sa=(0.15, 0.6),
        gt=0.0,
        le=1.0,
        unit="skill (0-1)",
        source="assumption (absorptive capacity: Cohen & Levinthal 1990)",
        description=(
            "Scale of the gap beyond which absorption falls off: absorption is "
            "exp(-gap / gap_absorption), so the gain gap * absorption peaks at this gap."
        ),
    )
    rel_nonfocus: Unit = param(
        0.25,
        unit="1",
        source="assumption",
        description="Learning weight of domains outside a programme's focus domains.",
    )
    rate_practice_per_week: float = param(
        0.24,
        sa=(0.12, 0.6),
        ge=0.0,
        le=1.0,
        unit="share of the distance to the plateau per week",
        source=(
            f"{EVIDENCE}; 90% interval 0.17-0.34) to Rollag, Parise & Cross 2005 "
            "(professionals proficient in ~20 weeks)"
        ),
        description="Speed at which fully used, fully transferred practice nears the plateau.",
    )
    transfer_base: Unit = param(
        0.4,
        sa=(0.2, 0.6),
        unit="1",
        source="assumption (direction: Joyce & Showers 2002, low transfer without coaching)",
        description="Share of practice that turns into skill without feedback.",
    )
    skill_plateau: Unit = param(
        0.7,
        sa=(0.6, 0.8),
        unit="skill (0-1)",
        source="assumption (experience plateau without feedback; cf. Ericsson et al. 1993)",
        description="Skill that routine practice alone approaches.",
    )
    rel_feedback_plateau: Unit = param(
        0.5,
        unit="1",
        source="assumption",
        description="Share of the distance from plateau to mastery that full feedback opens.",
    )
    dur_feedback_half_life_weeks: float = param(
        4.0,
        gt=0.0,
        unit="weeks",
        source="assumption",
        description="Half-life of the effect of feedback on practice.",
    )
    dur_skill_half_life_weeks: float = param(
        42.0,
        sa=(28.0, 56.0),
        gt=0.0,
        unit="weeks",
        source="Tatel & Ackerman 2025 (half of gains lost after 6.5-13 months of non-use)",
        description="Half-life of skill above the floor in a domain that is not used at all.",
    )
    skill_floor: Unit = param(
        0.1,
        unit="skill (0-1)",
        source="assumption",
        description="Skill that forgetting decays toward.",
    )
    proficiency_threshold: Unit = param(
        0.6,
        unit="skill (0-1)",
        source="assumption",
        description=(
            "Skill at or above which an employee counts as proficient (mean over the domains "
            "the job uses at least half of the time)."
        ),
    )
    hours_learning_max_per_week: float = param(
        4.0,
        gt=0.0,
        le=60.0,
        unit="hours per week",
        source="assumption",
        description=(
            "Most programme hours one employee spends in a week across all programmes; "
            "sessions beyond it are skipped, earlier programmes in the arm first served."
        ),
    )
    feedback_per_hour: Unit = param(
        0.079,
        sa=(0.02, 0.3),
        unit="feedback (0-1) per session hour",
        source=(
            f"{EVIDENCE}; 90% interval 0.022-0.22, not identified: still an assumption) to "
            "mentoring's effects (Eby et al. 2008); direction: Joyce & Showers 2002"
        ),
        description=(
            "Feedback stock one hour of a follow-up session gives a fully proactive learner "
            "from a partner of full skill, teaching skill and relationship quality, in a "
            "domain the session covers and the learner's job fully uses (the same for "
            "every design)."
        ),
    )
    rate_guide_practice_per_hour: Unit = param(
        0.02,
        sa=(0.0, 0.05),
        unit="share of the distance to mastery per hour",
        source="assumption (teaching as leadership practice: Murphy 2012)",
        description=(
            "Practice of a programme's guide_practice_domains that an hour of guiding gives "
            "a one-way guide, in every design."
        ),
    )
    rel_hire_skill: Unit = param(
        0.45,
        sa=(0.3, 0.7),
        unit="1",
        source=(
            f"{EVIDENCE}; 90% interval 0.32-0.63, barely narrowed) to Rollag, Parise & "
            "Cross 2005 (time to full productivity)"
        ),
        description="Starting skill of hires above the floor, as a share of an incumbent's.",
    )
    rate_skill_obsolescence_per_year: float = param(
        0.1,
        sa=(0.05, 0.15),
        ge=0.0,
        lt=1.0,
        unit="share of skill above the floor per year",
        source=(
            "BCG/Burning Glass 2022 and Lightcast 2025 (32-37% of a job's skills change in "
            "3-5 years, about 7-12% a year); Deming & Noray 2020 (applied-STEM premium "
            "halves in about 10 years, about 7% a year)"
        ),
        description=(
            "Share of what an employee knows in a domain that current practice leaves "
            "behind each year (staleness), beyond forgetting; practice on the job "
            "refreshes it, hires bring current knowledge. 0 switches staleness off."
        ),
    )
    rate_skill_obsolescence_per_year_by_domain: dict[str, float] = param(
        {},
        unit="share of skill above the floor per year, per domain",
        source="assumption (job-posting studies give rates by occupation, not by domain)",
        description=(
            "Obsolescence rates of named domains, replacing rate_skill_obsolescence_per_year "
            "for them (e.g. {digital = 0.3} for a fast-changing domain)."
        ),
    )

    @field_validator("rate_skill_obsolescence_per_year_by_domain")
    @classmethod
    def _rates_are_shares(cls, value: dict[str, float]) -> dict[str, float]:
        for name, rate in value.items():
            if not 0.0 <= rate < 1.0:
                raise ValueError(
                    f"{name} = {rate!r}: an obsolescence rate is the share of skill lost per "
                    "year, at least 0 and below 1"
                )
        return value


class People(Section):
    """Lasting differences between people, drawn once per person (docs/model.md section 7.15).

    Each trait is a multiplier with mean 1: ``exp(sd * z - sd**2 / 2)`` with ``z`` a
    standard normal draw per person. Setting every spread to 0 makes everyone alike.
    """

    sd_log_learning_ability: float = param(
        0.3,
        sa=(0.0, 0.5),
        ge=0.0,
        le=1.5,
        unit="sd of log multiplier",
        source=(
            "assumption (people differ lastingly in how fast they learn a job; the size "
            "of the spread is not taken from a study)"
        ),
        description=(
            "Spread of learning ability, which multiplies the rate of learning from "
            "sessions, advice and practice."
        ),
    )
    sd_skill_plateau: float = param(
        0.06,
        sa=(0.02, 0.12),
        ge=0.0,
        le=0.3,
        unit="skill (0-1)",
        source=(
            "assumption (the lasting part of organisation.sd_skill_initial: people of one "
            "level keep differing in skill; the transient part fades with practice)"
        ),
        description=(
            "Spread of the personal skill plateau: a person's plateau is skill_plateau + "
            "sd_skill_plateau * z, with the same z as their learning ability."
        ),
    )
    sd_log_proactivity: float = param(
        0.3,
        sa=(0.0, 0.6),
        ge=0.0,
        le=1.5,
        unit="sd of log multiplier",
        source=(
            "assumption (feedback seeking is an individual difference: Ashford 1986; the "
            "size of the spread is assumed)"
        ),
        description=(
            "Spread of proactivity, which multiplies the feedback a person takes from "
            "sessions and managers and their chance of asking colleagues for advice."
        ),
    )
    sd_log_teaching_skill: float = param(
        0.3,
        sa=(0.0, 0.6),
        ge=0.0,
        le=1.5,
        unit="sd of log multiplier",
        source="assumption (guides differ in how well they teach and give feedback)",
        description=(
            "Spread of teaching skill, which multiplies what others learn and the feedback "
            "they get from this person in sessions and advice."
        ),
    )


class Informal(Section):
    """Informal learning: the advice network, advice seeking and managers' feedback.

    Every employee keeps a list of advice ties (whom they would ask), each with a
    strength and a belief about what the other knows (docs/model.md section 7.13).
    """

    enabled: bool = param(
        True,
        unit="switch",
        source="assumption (most workplace learning is informal: BLS 1996, 70% of training time)",
        description=(
            "Whether employees learn from each other outside programmes (advice ties, advice "
            "seeking, managers' routine feedback); false reproduces a model without them."
        ),
    )
    n_ties_max: int = param(
        24,
        ge=1,
        le=64,
        unit="ties per employee",
        source="assumption (advisers named per employee: mean 9-13, range 0-30; Krackhardt "
        "1987, Lazega 2001)",
        description="Most advice ties one employee keeps; a new tie replaces the weakest.",
    )
    n_team_ties_initial: int = param(
        4,
        ge=0,
        le=64,
        sa=(2, 8),
        unit="ties",
        source="assumption",
        description=(
            "Ties to teammates each employee starts with (besides the tie to their manager), "
            "at week 0 and when hired."
        ),
    )
    p_tie_form_per_week: Probability = param(
        0.1,
        sa=(0.03, 0.3),
        unit="probability per week",
        source="assumption",
        description="Chance each week that an employee gets to know one more colleague.",
    )
    share_form_in_team: Unit = param(
        0.7,
        sa=(0.4, 0.9),
        unit="share of new ties",
        source="assumption (contact falls steeply with distance, a shared department adds; "
        "Allen, Tomlin & Hauptman 2008)",
        description="Share of new ties made in one's own team; the rest across the organisation.",
    )
    homophily_level_scale: float = param(
        1.0,
        gt=0.0,
        le=10.0,
        sa=(0.5, 3.0),
        unit="levels",
        source="assumption (homophily by status)",
        description=(
            "A tie across the organisation with someone d levels away forms with "
            "probability exp(-d / scale)."
        ),
    )
    tie_strength_initial: Unit = param(
        0.3,
        unit="strength (0-1)",
        source="assumption",
        description="Strength of a new tie.",
    )
    tie_strength_per_contact: Unit = param(
        0.2,
        sa=(0.1, 0.4),
        unit="share of the distance to 1 per contact",
        source="assumption (tie strength grows with interaction; Cross, Borgatti & Parker 2001)",
        description="Strength a tie gains from one advice episode or programme session.",
    )
    dur_tie_half_life_weeks: float = param(
        13.0,
        gt=0.0,
        sa=(6.0, 52.0),
        unit="weeks",
        source="assumption (bridge ties decay fast: 9 in 10 gone within a year; Burt 2002)",
        description="Half-life of the strength of a tie across teams without contact.",
    )
    rel_decay_embedded: float = param(
        0.5,
        ge=0.0,
        le=1.0,
        sa=(0.2, 1.0),
        unit="1",
        source="assumption (embedded ties decay more slowly than bridges; Burt 2000, "
        "direction only)",
        description="Decay rate of ties within a team, relative to ties across teams.",
    )
    tie_strength_min: Unit = param(
        0.05,
        unit="strength (0-1)",
        source="assumption",
        description="A tie weaker than this is forgotten.",
    )
    p_seek_per_week: Probability = param(
        0.5,
        sa=(0.2, 0.9),
        unit="probability per week",
        source="assumption (people, not documents, are the main source of information: "
        "Cross, Parker, Prusak & Borgatti 2001)",
        description=(
            "Chance each week that an employee in a fully safe team asks one of their ties "
            "for advice."
        ),
    )
    team_safety_mean: Unit = param(
        0.7,
        sa=(0.4, 0.9),
        unit="probability multiplier",
        source="assumption (psychological safety varies between teams and drives learning "
        "behaviour; Edmondson 1999)",
        description="Mean psychological safety of a team, which scales how often its members ask.",
    )
    team_safety_concentration: float = param(
        10.0,
        gt=0.0,
        unit="1",
        source="assumption",
        description=(
            "Concentration of the Beta distribution of team safety around its mean "
            "(larger: teams more alike)."
        ),
    )
    power_distance: Unit = param(
        0.1,
        sa=(0.0, 0.4),
        unit="1 per level above the seeker",
        source="assumption (power relations lower help seeking; Lee 1997)",
        description=(
            "Reluctance to ask someone higher up: a tie to someone d levels above is chosen "
            "with weight (1 - power_distance) ** d."
        ),
    )
    hours_per_advice: float = param(
        0.5,
        gt=0.0,
        le=8.0,
        sa=(0.25, 1.0),
        unit="hours per episode, for each of the two",
        source="assumption",
        description=(
            "Time one advice episode takes the seeker and the adviser; it counts towards "
            "overload and its learning follows the session rule for this many hours."
        ),
    )
    rate_belief_update: Unit = param(
        0.5,
        sa=(0.2, 0.8),
        unit="share of the error per contact",
        source="assumption (knowing who knows what is learned in interaction; Liang, "
        "Moreland & Argote 1995)",
        description=(
            "How far a seeker's belief about an adviser's skill moves toward the truth after "
            "one episode. A new tie's belief starts at the mean skill of the other's level."
        ),
    )
    programme_ties: bool = param(
        True,
        unit="switch",
        source="assumption",
        description=(
            "Whether programme sessions create and strengthen advice ties, which outlast "
            "the programme (its legacy)."
        ),
    )
    p_manager_feedback_per_week: Probability = param(
        0.25,
        sa=(0.2, 0.35),
        unit="probability per week",
        source="Gallup (21% strongly agree they got meaningful feedback in the last week); "
        "ENGAGE 2025 (34% weekly)",
        description="Mean chance each week that a manager gives a report meaningful feedback.",
    )
    manager_coaching_shape: float = param(
        2.0,
        gt=0.0,
        sa=(1.0, 8.0),
        unit="1",
        source="assumption (managers differ substantially in coaching; Heslin, Vandewalle "
        "& Latham 2006)",
        description=(
            "Shape of the Gamma distribution (mean 1) of managers' inclination to coach, "
            "which scales their feedback chance; smaller: managers differ more."
        ),
    )
    feedback_per_conversation: Unit = param(
        0.1,
        sa=(0.05, 0.2),
        unit="feedback (0-1) per conversation",
        source="assumption (as one hour of programme feedback)",
        description="Feedback stock a report gains from one feedback conversation.",
    )


class Engagement(Section):
    """Engagement: drift to a personal baseline, support, progress, overload, stagnation."""

    mean_baseline: Unit = param(
        0.65,
        unit="engagement (0-1)",
        source="assumption",
        description="Mean of the personal engagement baseline employees drift toward.",
    )
    sd_baseline: float = param(
        0.1,
        ge=0.0,
        le=0.5,
        unit="engagement (0-1)",
        source="assumption",
        description="Spread of personal baselines across employees.",
    )
    rate_drift_per_week: Unit = param(
        0.05,
        unit="share of the distance to baseline per week",
        source="assumption",
        description="Speed at which engagement returns to the personal baseline.",
    )
    support_per_session: float = param(
        0.0042,
        sa=(0.0, 0.01),
        ge=0.0,
        le=1.0,
        unit="engagement per session at full quality",
        source=(
            f"{EVIDENCE}; 90% interval 0.0018-0.0074) to mentoring's effect on engagement "
            "(Eby et al. 2008); direction: Eby et al. 2013"
        ),
        description="Engagement a learner gains from an attended, supportive session.",
    )
    support_guide_per_session: float = param(
        0.002,
        ge=0.0,
        le=1.0,
        unit="engagement per session at full quality",
        source="assumption (direction: Ghosh & Reio 2013, mentors' satisfaction)",
        description="Engagement a mentor gains from guiding (generativity).",
    )
    progress_per_skill: float = param(
        1.0,
        ge=0.0,
        unit="engagement per unit of mean skill gained",
        source="assumption",
        description="Engagement gained from a week's progress in mean skill.",
    )
    hours_tolerated_per_week: float = param(
        2.0,
        ge=0.0,
        unit="hours per week",
        source="assumption",
        description="Hours of programme work a week taken on without strain.",
    )
    overload_per_hour: float = param(
        0.01,
        ge=0.0,
        unit="engagement per hour above tolerance",
        source="assumption",
        description="Engagement lost per weekly hour of programme work above the tolerance.",
    )
    dur_stagnation_weeks: float = param(
        156.0,
        gt=0.0,
        unit="weeks",
        source="assumption",
        description="Time in one level after which an employee feels stuck.",
    )
    stagnation_per_week: float = param(
        0.003,
        ge=0.0,
        unit="engagement per week",
        source="assumption",
        description="Engagement lost each week while stuck.",
    )
    promotion_boost: Unit = param(
        0.1,
        unit="engagement",
        source="assumption",
        description="Engagement gained on promotion.",
    )


class Turnover(Section):
    """Voluntary quits and their dependence on engagement and tenure."""

    p_quit_per_week: Probability = param(
        0.0041,
        sa=(0.002, 0.006),
        unit="probability per week",
        source=(
            f"{EVIDENCE}; 90% interval 0.0028-0.0051) to BLS JOLTS, quits 2.2-2.3% of "
            "employment a month, with the new-hire hazard"
        ),
        description="Weekly quit probability of a tenured employee at the reference engagement.",
    )
    engagement_reference: Unit = param(
        0.65,
        unit="engagement (0-1)",
        source="assumption (equal to the mean baseline)",
        description="Engagement at which the quit hazard equals p_quit_per_week.",
    )
    rel_hazard_per_engagement: float = param(
        4.0,
        sa=(1.0, 6.0),
        ge=0.0,
        le=50.0,
        unit="log hazard ratio per unit of engagement",
        source="assumption (direction: Harter, Schmidt & Hayes 2002)",
        description="How steeply the quit hazard rises as engagement falls below the reference.",
    )
    rel_hazard_new_hire: float = param(
        2.0,
        sa=(1.0, 3.0),
        ge=0.0,
        unit="hazard ratio",
        source="assumption (practitioner surveys report a quarter of hires leaving within a year)",
        description="Quit hazard of new hires relative to tenured staff.",
    )
    dur_new_hire_weeks: float = param(
        52.0,
        ge=0.0,
        unit="weeks",
        source="assumption",
        description="Tenure below which an employee counts as a new hire.",
    )


class Promotion(Section):
    """Promotion into vacancies by assessed readiness: rater error, visibility, nomination."""

    readiness_threshold: Unit = param(
        0.6,
        unit="readiness (0-1)",
        source="assumption",
        description=(
            "Assessed readiness needed to be promoted (skill for the next level plus "
            "visibility plus rater error)."
        ),
    )
    weight_visibility: float = param(
        0.15,
        ge=0.0,
        le=1.0,
        unit="readiness per unit of visibility",
        source="assumption (career sponsorship: Allen et al. 2004)",
        description=(
            "Weight of visibility (sponsorship) in the assessment: people who are seen are "
            "assessed higher."
        ),
    )
    dur_visibility_half_life_weeks: float = param(
        26.0,
        gt=0.0,
        unit="weeks",
        source="assumption",
        description="Half-life of visibility gained through sponsorship.",
    )
    dur_min_in_level_weeks: float = param(
        52.0,
        ge=0.0,
        unit="weeks",
        source="assumption",
        description="Time in a level before promotion is possible (nominees excepted).",
    )
    sd_rater_error: float = param(
        0.04,
        sa=(0.02, 0.08),
        ge=0.0,
        le=1.0,
        unit="readiness (0-1)",
        source=(
            "assumption, sized by Viswesvaran, Ones & Schmidt 1996 (interrater reliability "
            "of supervisory ratings of overall job performance .52, i.e. error variance "
            "about equal to true variance) and the initial within-level sd of readiness "
            "(about 0.04)"
        ),
        description=(
            "Standard deviation of the rater error in an employee's assessed readiness; "
            "0 ranks by true readiness."
        ),
    )
    dur_rater_impression_half_life_weeks: float = param(
        52.0,
        sa=(13.0, 156.0),
        gt=0.0,
        unit="weeks",
        source="assumption (an impression formed at hire, renewed over about a yearly cycle)",
        description=(
            "Half-life of the correlation of an employee's rater error with itself: the "
            "error persists as an impression and is partly renewed each week."
        ),
    )
    nomination: bool = param(
        True,
        unit="flag",
        source=(
            "assumption (Kram 1985 names sponsorship, nominating the protege for "
            "promotion, among mentoring's career functions)"
        ),
        description=(
            "Guides of programmes with sponsorship_per_session > 0 nominate their current "
            "learners below the guide's level: nominees are considered for the level "
            "above before dur_min_in_level_weeks."
        ),
    )


class Observation(Section):
    """What HR would measure: skill ratings and engagement surveys (docs/model.md 7.16).

    The observation model sits beside the true states: it reads skill and engagement at
    the weeks the initial cohort is measured and never feeds back into the dynamics. Its
    parameters are fixed from the sources and assumptions below, never tuned to move
    effect sizes (docs/calibration.md).
    """

    enabled: bool = param(
        True,
        unit="switch",
        source="assumption",
        description=(
            "Measure the initial cohort as HR would (ratings, surveys) beside the true "
            "states; off: only latent effect sizes are reported."
        ),
    )
    sd_rater_leniency: float = param(
        0.04,
        sa=(0.0, 0.08),
        ge=0.0,
        le=1.0,
        unit="skill (0-1)",
        source=(
            "assumption, sized with sd_rating_error and rating_step so that one rating's "
            "reliability is about .52, the interrater reliability of supervisory ratings "
            "(Viswesvaran, Ones & Schmidt 1996), given the between-person sd of skill in a "
            "domain (about 0.095); the split between leniency and error is assumed"
        ),
        description=(
            "Standard deviation of a rater's leniency: a shift the manager adds to every "
            "rating of their reports, the same for every domain and week."
        ),
    )
    sd_rating_error: float = param(
        0.04,
        sa=(0.02, 0.08),
        ge=0.0,
        le=1.0,
        unit="skill (0-1)",
        source=(
            "assumption, sized with sd_rater_leniency (Viswesvaran, Ones & Schmidt 1996: "
            "interrater reliability .52)"
        ),
        description=(
            "Standard deviation of a rater's error in one rating (one employee, domain "
            "and measured week), independent across domains (no halo)."
        ),
    )
    rating_step: float = param(
        1.0,
        ge=0.0,
        unit="points of organisation.skill_scale",
        source="assumption (ratings given in whole points)",
        description="Resolution of a rating on the scale (0: continuous ratings).",
    )
    p_survey_response: Probability = param(
        0.7,
        sa=(0.4, 0.9),
        unit="probability",
        source="assumption",
        description=(
            "Chance that an employee answers the engagement survey in a measured week, "
            "independent of engagement (no response bias)."
        ),
    )
    sd_survey_error: float = param(
        0.05,
        sa=(0.025, 0.1),
        ge=0.0,
        le=1.0,
        unit="engagement (0-1)",
        source="assumption",
        description="Standard deviation of the error in one survey answer (Likert noise).",
    )
    survey_step: float = param(
        0.25,
        ge=0.0,
        unit="points of organisation.engagement_scale",
        source="assumption (a score averaged over about four items)",
        description="Resolution of a survey score on the scale (0: continuous scores).",
    )


class Costs(Section):
    """Costs of programme time and of replacing leavers."""

    salary_per_year_by_level: tuple[Annotated[float, Field(ge=0)], ...] = param(
        (60_000.0, 80_000.0, 105_000.0, 140_000.0, 220_000.0),
        unit="currency per year",
        source="assumption",
        description="Annual salary at each level.",
    )
    hours_per_year: float = param(
        1800.0,
        sa=(1600.0, 2000.0),
        gt=0.0,
        unit="hours per year",
        source="assumption",
        description="Working hours a year, to price session hours.",
    )
    rel_replacement_cost_by_level: tuple[Annotated[float, Field(ge=0)], ...] = param(
        (0.2, 0.2, 0.2, 0.5, 2.13),
        unit="share of annual salary",
        source="Boushey & Glynn 2012 (16-20% of salary for most jobs, up to 213% for executives)",
        description="Cost of replacing a leaver at each level.",
    )
    currency: str = param(
        "USD",
        min_length=1,
        max_length=12,
        pattern=r"^[^\s]+( [^\s]+)*$",
        unit="name",
        source="assumption (the default salaries are US-like)",
        description=(
            "Currency every amount of the scenario is in (salaries, budgets, fees): a name "
            "or code such as 'EUR', 'GBP' or 'USD', printed beside every amount."
        ),
    )
    hours_coordination_per_week: float = param(
        0.0,
        sa=(0.0, 8.0),
        ge=0.0,
        le=400.0,
        unit="hours per week per running programme",
        source="assumption (0: not counted; a part-time coordinator is a few hours a week)",
        description=(
            "Coordinator time each programme takes while it runs (matching, scheduling, "
            "follow-up), priced at the salary of level_coordinator."
        ),
    )
    level_coordinator: int = param(
        1,
        ge=0,
        le=20,
        unit="level index",
        source="assumption",
        description="Level whose salary prices the coordinator's hours.",
    )
    hours_training_per_guide: float = param(
        0.0,
        sa=(0.0, 16.0),
        ge=0.0,
        le=400.0,
        unit="hours per guide",
        source="assumption (0: not counted; mentor training is typically half a day to two days)",
        description=(
            "Training each guide takes once, when first matched, priced at the guide's own salary."
        ),
    )
    fee_platform_per_participant_per_year: float = param(
        0.0,
        sa=(0.0, 500.0),
        ge=0.0,
        unit="currency per participant per year",
        source="assumption (0: not counted)",
        description=(
            "Platform or licence fee per person in a programme relationship (either side), "
            "charged per week of taking part."
        ),
    )

    @property
    def wage_per_hour_by_level(self) -> tuple[float, ...]:
        """Hourly wage at each level: the yearly salary over ``hours_per_year``."""
        return tuple(s / self.hours_per_year for s in self.salary_per_year_by_level)


DesignName = Literal[
    "mentorship",
    "peer_coaching",
    "reverse_mentoring",
    "group_circles",
    "micro_mentoring",
    "flash_mentorship",
    "situational_coaching",
    "skill_pods",
    "accountability_clusters",
    "near_peer",
    "reciprocal_coaching",
    "mentor_shadowing",
]


class Programme(Section):
    """A programme: a design (``kind``) and the rule components it runs with.

    ``kind`` fills in the components that define the design (see :mod:`sim.scenario.designs`);
    any component can be overridden in the scenario. The defaults below apply where
    neither the design nor the scenario sets a value.
    """

    kind: DesignName = Field(description="The programme design (see `wlsim programmes`).")

    # Who takes part.
    learner_levels: tuple[int, ...] = param(
        (0, 1),
        min_length=1,
        unit="level indices",
        source="assumption",
        description="Levels whose employees may enrol as learners (mentees, coachees, members).",
    )
    guide_levels: tuple[int, ...] = param(
        (),
        unit="level indices",
        source="assumption",
        description="Levels whose employees may volunteer as guides (empty: any the gap allows).",
    )
    direction: Literal["down", "up", "both"] = param(
        "down",
        unit="policy",
        source="assumption",
        description=(
            "Who teaches whom: 'down' a guide above the learner teaches, 'up' a guide below "
            "teaches (reverse mentoring), 'both' partners teach each other."
        ),
    )
    level_gap_min: int = param(
        1,
        ge=0,
        le=20,
        unit="levels",
        source="assumption",
        description="Least level distance between partners (for 'down'/'up', the guide's side).",
    )
    level_gap_max: int = param(
        4,
        ge=0,
        le=20,
        unit="levels",
        source="assumption",
        description="Largest level distance between partners (in groups: spread of levels).",
    )
    dur_tenure_min_weeks: float = param(
        0.0,
        ge=0.0,
        unit="weeks",
        source="assumption",
        description="Least tenure to enrol as a learner.",
    )
    dur_tenure_max_weeks: float = param(
        1e6,
        ge=0.0,
        unit="weeks",
        source="assumption",
        description="Largest tenure to enrol as a learner (e.g. 26 for an onboarding programme).",
    )
    uptake: Literal["random", "engaged"] = param(
        "random",
        unit="policy",
        source="assumption",
        description=(
            "Who opts in: 'random' with probability p_enrol, or 'engaged' (self-selection) "
            "with probability p_enrol * engagement / mean baseline engagement."
        ),
    )
    p_enrol: Probability = param(
        0.3,
        unit="probability",
        source="assumption",
        description="Share of eligible employees who enrol as learners.",
    )
    p_volunteer: Probability = param(
        0.5,
        unit="probability",
        source="assumption",
        description="Share of eligible employees who volunteer as guides.",
    )

    # How they are brought together.
    topology: Literal["pair", "group"] = param(
        "pair",
        unit="policy",
        source="assumption",
        description="Pairs (a guide and a learner, or two peers) or groups (many-to-many).",
    )
    n_group_size: int = param(
        6,
        ge=2,
        le=50,
        unit="members",
        source="assumption (circles of about 4 to 8)",
        description="Members of a group (groups only).",
    )
    matching: Literal[
        "random",
        "manager",
        "similarity",
        "algorithmic",
        "strongest",
        "expert",
        "need",
        "complementary",
    ] = param(
        "random",
        unit="policy",
        source="assumption",
        description=(
            "How partners are chosen: 'random'; 'manager' (within the reporting line); "
            "'similarity' (most similar values); 'algorithmic' (maximise expected learning "
            "under capacity); 'strongest' (strongest guide in the focus domains); 'expert' "
            "(strongest in the learner's need); 'need' (largest expected gain in the need); "
            "'complementary' (groups whose members are strong in different domains)."
        ),
    )
    n_learners_per_guide_max: int = param(
        2,
        ge=0,
        le=1000,
        unit="learners per guide",
        source="assumption",
        description="Guide capacity: most learners one guide takes at once (pairs only).",
    )

    # When they meet.
    trigger: Literal["scheduled", "challenge"] = param(
        "scheduled",
        unit="policy",
        source="assumption",
        description=(
            "'scheduled' sessions at the cadence, or 'challenge': a session is set up when a "
            "work challenge hits a domain where the learner is not yet proficient."
        ),
    )
    p_challenge_per_week: Probability = param(
        0.15,
        unit="probability per week",
        source="assumption",
        description="Chance that a learner meets a work challenge in a week (challenge trigger).",
    )
    start_week: int = param(
        0, ge=0, unit="week", source="assumption", description="Week the programme starts."
    )
    dur_programme_weeks: int = param(
        0,
        ge=0,
        unit="weeks",
        source="assumption",
        description="How long the programme runs (0: to the end of the horizon).",
    )
    hours_budget: float = param(
        0.0,
        ge=0.0,
        unit="hours",
        source="assumption",
        description="Total session hours the programme may spend (0: unlimited).",
    )

    # The programme in HR terms (sim/scenario/hrterms.py, docs/programmes.md 1.4).
    n_learners: int = param(
        0,
        ge=0,
        le=10_000_000,
        unit="people",
        source="assumption",
        description=(
            "Learners (mentees, coachees, members) in the programme at once, picked among "
            "those who enrol, former learners first (0: everyone who enrols, no cap)."
        ),
    )
    n_guides: int = param(
        0,
        ge=0,
        le=10_000_000,
        unit="people",
        source="assumption",
        description=(
            "Guides (mentors) in the programme at once, picked among the volunteers, former "
            "guides first (0: every volunteer, no cap); with n_learners it sets "
            "n_learners_per_guide_max = ceil(n_learners / n_guides)."
        ),
    )
    dur_programme_months: float = param(
        0.0,
        ge=0.0,
        le=1200.0,
        unit="months",
        source="assumption",
        description=(
            "How long the programme runs, in months; sets dur_programme_weeks to the "
            "nearest week at 52/12 weeks a month (0: dur_programme_weeks applies)."
        ),
    )
    budget_hours_per_week: float = param(
        0.0,
        ge=0.0,
        unit="person-hours per week",
        source="assumption",
        description=(
            "Session hours a week the programme may take (learners and guides); a design "
            "that needs more at full attendance is refused (0: no budget)."
        ),
    )
    budget_per_year: float = param(
        0.0,
        ge=0.0,
        unit="currency per year",
        source="assumption",
        description=(
            "Money a year the programme may cost (session time at wages and overheads, in "
            "costs.currency); a design that costs more at full attendance is refused (0: "
            "no budget)."
        ),
    )
    cadence_weeks: int = param(
        2,
        ge=1,
        le=52,
        unit="weeks",
        source="assumption",
        description="Weeks between scheduled sessions of a relationship.",
    )
    hours_per_session: float = param(
        1.0,
        gt=0.0,
        le=40.0,
        unit="hours",
        source="assumption",
        description="Length of a session.",
    )
    dur_relationship_weeks: int = param(
        52,
        ge=1,
        unit="weeks",
        source="assumption (formal programmes typically run 6 to 12 months)",
        description="Length of a relationship; the learner is matched again after it (rotation).",
    )
    dur_between_weeks: int = param(
        0,
        ge=0,
        unit="weeks",
        source="assumption",
        description="Weeks a learner waits after a relationship ends before the next one.",
    )

    # What happens in a session.
    structure: Unit = param(
        0.5,
        unit="1",
        source="assumption",
        description=(
            "Structure and accountability (goals, milestones, facilitation): attendance "
            "probability is structure + (1 - structure) * engagement * fade."
        ),
    )
    dur_accountability_half_life_weeks: float = param(
        1e6,
        gt=0.0,
        unit="weeks",
        source="assumption",
        description=(
            "Half-life of the unstructured part of attendance over a relationship's life "
            "(fade); large means no fading."
        ),
    )
    focus: Literal["fixed", "need"] = param(
        "fixed",
        unit="policy",
        source="assumption",
        description=(
            "'fixed': sessions cover focus_domains; 'need': each relationship covers the "
            "learner's need (the used domain furthest below proficiency, or the challenge's)."
        ),
    )
    focus_domains: tuple[str, ...] = param(
        (),
        unit="names",
        source="assumption",
        description="Domains the sessions concentrate on (empty means all domains).",
    )
    mode: Literal["dialogue", "observation"] = param(
        "dialogue",
        unit="policy",
        source="assumption",
        description=(
            "'dialogue' sessions, or 'observation' (shadowing): the learner watches the "
            "guide's real work and learns what the guide's job uses."
        ),
    )
    rel_guide_time: Unit = param(
        1.0,
        unit="1",
        source="assumption",
        description="Share of session hours the guide spends (observation costs the guide little).",
    )
    rel_learning: float = param(
        1.0,
        ge=0.0,
        le=10.0,
        unit="1",
        source="assumption",
        description="Multiplier on learning from partners in this programme.",
    )
    new_partner_each_time: bool = param(
        False,
        unit="flag",
        source="assumption",
        description="Never match a learner with the guide of their previous relationship.",
    )
    sponsorship_per_session: Unit = param(
        0.0,
        unit="visibility (0-1) per session",
        source="assumption (career sponsorship: Allen et al. 2004)",
        description=(
            "Visibility for promotion a learner gains from a session (the guide sponsors); "
            "above 0, a guide senior to the learner also nominates them (promotion.nomination)."
        ),
    )
    guide_visibility_per_session: Unit = param(
        0.01,
        sa=(0.0, 0.03),
        unit="visibility (0-1) per session and level the learner is above the guide",
        source="assumption (exposure to senior people: Murphy 2012)",
        description=(
            "Visibility a guide gains from a session with a learner above them, per level "
            "between them (a junior who guides a senior is seen by senior people); zero "
            "when the learner is not above the guide."
        ),
    )
    guide_practice_domains: tuple[str, ...] = param(
        ("leadership",),
        unit="names",
        source="assumption",
        description="Domains that guiding exercises.",
    )
    power_distance: Unit = param(
        0.1,
        unit="1 per level of distance",
        source="assumption (psychological safety falls with hierarchy)",
        description=(
            "Loss of psychological safety per level between partners: quality is scaled by "
            "(1 - power_distance) ** level distance."
        ),
    )
    quality_initial_mean: Unit = param(
        0.5,
        unit="quality (0-1)",
        source="assumption",
        description="Mean relationship quality when a relationship forms, at average similarity.",
    )
    quality_initial_sd: float = param(
        0.15,
        ge=0.0,
        le=0.5,
        unit="quality (0-1)",
        source="assumption",
        description="Spread of relationship quality when relationships form.",
    )
    rel_similarity_quality: float = param(
        0.4,
        ge=0.0,
        le=2.0,
        unit="quality per unit of similarity",
        source="assumption (similarity drives relationship quality: Eby et al. 2013)",
        description=(
            "How much the partners' similarity (of values, 0-1) raises starting quality; "
            "dissimilar pairs (mismatched goals) start low."
        ),
    )
    rate_quality_per_session: Unit = param(
        0.05,
        unit="share of the distance to full quality per session",
        source="assumption (quality grows with interaction: Eby et al. 2013)",
        description="Growth of relationship quality with each shared session.",
    )

    # How relationships fail (docs/model.md section 7.2.5).
    relationship_failure: bool = param(
        True,
        unit="flag",
        source="assumption",
        description=(
            "Whether relationships can fail: quality moves toward a target set by goal "
            "alignment, power distance and engagement, missed sessions erode it, low "
            "quality and disengagement end relationships early, overloaded guides burn out. "
            "False: quality only grows and relationships end only at their term or when "
            "someone leaves."
        ),
    )
    rel_quality_goal_mismatch: float = param(
        0.5,
        sa=(0.0, 1.0),
        ge=0.0,
        le=2.0,
        unit="quality per unit of goal mismatch",
        source="assumption (direction: similarity and relationship quality, Eby et al. 2013)",
        description=(
            "How far the partners' goal mismatch (1 - similarity of their values) lowers the "
            "quality their relationship tends toward."
        ),
    )
    rel_quality_power_distance: float = param(
        0.5,
        sa=(0.0, 1.0),
        ge=0.0,
        le=2.0,
        unit="quality per unit of psychological safety lost",
        source="assumption (psychological safety falls with hierarchy)",
        description=(
            "How far the loss of psychological safety across the partners' levels "
            "(1 - (1 - power_distance) ** level distance) lowers the quality they tend toward."
        ),
    )
    rel_quality_disengagement: float = param(
        0.5,
        sa=(0.0, 1.0),
        ge=0.0,
        le=2.0,
        unit="quality per unit of engagement below the mean baseline",
        source="assumption",
        description=(
            "How far the less engaged member's engagement below the mean baseline lowers "
            "the quality the relationship tends toward (a burnt-out guide drags it down)."
        ),
    )
    rate_quality_loss_per_missed_session: Unit = param(
        0.05,
        sa=(0.0, 0.1),
        unit="share of quality lost per missed session",
        source="assumption (as much as a held session builds at rate_quality_per_session)",
        description=(
            "Share of its quality a relationship loses when a scheduled session does not "
            "take place because a member does not attend (fading accountability erodes it)."
        ),
    )
    p_end_early_per_week: Probability = param(
        0.1,
        sa=(0.02, 0.2),
        unit="probability per week",
        source="assumption",
        description=(
            "Weekly probability that a relationship ends early at zero quality (and, added, "
            "that a learner drops out at zero engagement); it falls linearly to 0 at the "
            "thresholds. 0: no early endings."
        ),
    )
    quality_end_threshold: float = param(
        0.3,
        sa=(0.2, 0.4),
        gt=0.0,
        le=1.0,
        unit="quality (0-1)",
        source="assumption",
        description="Relationship quality below which a relationship may end early.",
    )
    engagement_end_threshold: float = param(
        0.3,
        sa=(0.2, 0.4),
        gt=0.0,
        le=1.0,
        unit="engagement (0-1)",
        source="assumption",
        description="Learner engagement below which the learner may drop out.",
    )
    n_learners_tolerated_per_guide: int = param(
        2,
        sa=(1, 4),
        ge=0,
        le=1000,
        unit="learners per guide",
        source="assumption",
        description=(
            "Learners a guide carries at once without strain (one-way pairs); above it the "
            "guide burns out."
        ),
    )
    burnout_per_extra_learner: float = param(
        0.01,
        sa=(0.0, 0.02),
        ge=0.0,
        le=1.0,
        unit="engagement per week per learner above the tolerance",
        source="assumption (as overload_per_hour)",
        description=(
            "Engagement a guide loses each week for each learner carried above "
            "n_learners_tolerated_per_guide."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_design(cls, data: Any) -> Any:
        from sim.scenario.designs import DESIGNS
        from sim.scenario.hrterms import translate_fields

        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            design = DESIGNS.get(data["kind"])
            if design is not None:
                return translate_fields({**design.preset, **data})
        return data

    @model_validator(mode="after")
    def _check_components(self) -> Programme:
        if self.level_gap_min > self.level_gap_max:
            raise ValueError(
                f"level_gap_min ({self.level_gap_min}) must not exceed level_gap_max "
                f"({self.level_gap_max})"
            )
        if self.matching == "complementary" and self.topology != "group":
            raise ValueError("matching 'complementary' forms groups; set topology = 'group'")
        if self.topology == "group" and self.matching not in ("random", "complementary"):
            raise ValueError(
                f"groups are formed 'random' or 'complementary', not {self.matching!r}"
            )
        if (
            self.matching in ("expert", "need")
            and self.focus != "need"
            and self.trigger != "challenge"
        ):
            raise ValueError(
                f"matching {self.matching!r} matches to each learner's need: set focus = "
                "'need' or trigger = 'challenge'"
            )
        if self.dur_tenure_min_weeks > self.dur_tenure_max_weeks:
            raise ValueError("dur_tenure_min_weeks must not exceed dur_tenure_max_weeks")
        return self


def _overridden_kinds(overrides: dict[str, Any]) -> list[str]:
    """Programme kinds an arm's overrides would change (dotted or nested keys)."""
    found = []
    for key, value in overrides.items():
        parts = key.split(".")
        if parts[0] != "programmes":
            continue
        if len(parts) == 3 and parts[2] == "kind":
            found.append(f"programmes.{parts[1]}")
        elif len(parts) == 2 and isinstance(value, dict) and "kind" in value:
            found.append(key)
        elif len(parts) == 1 and isinstance(value, dict):
            found += [
                f"programmes.{n}" for n, v in value.items() if isinstance(v, dict) and "kind" in v
            ]
    return found


def _check_guides(name: str, prog: Programme, n_levels: int) -> None:
    """Refuse a pair programme in which no learner could ever find a guide."""
    peers = prog.direction == "both" and not prog.guide_levels
    if prog.topology == "group" or peers:
        return
    if prog.n_learners_per_guide_max == 0:
        raise ValueError(
            f"programmes.{name}.n_learners_per_guide_max = 0: no learner could be matched; "
            "give each guide a capacity of at least 1"
        )
    guides = prog.guide_levels or tuple(range(n_levels))
    for lv in prog.learner_levels:
        for g in guides:
            gap = g - lv if prog.direction == "down" else lv - g
            if prog.direction == "both":
                gap = abs(g - lv)
            if prog.level_gap_min <= gap <= prog.level_gap_max:
                return
    where = {"down": "above", "up": "below", "both": "above or below"}[prog.direction]
    raise ValueError(
        f"programmes.{name}: no employee is eligible as a guide: learners at levels "
        f"{list(prog.learner_levels)} need guides {prog.level_gap_min}-{prog.level_gap_max} "
        f"levels {where} them (direction {prog.direction!r})"
        + (f" among guide_levels {list(prog.guide_levels)}" if prog.guide_levels else "")
        + f", and the organisation has levels 0..{n_levels - 1}"
    )


PROGRAMME_KINDS: dict[str, type[Programme]] = dict.fromkeys(typing.get_args(DesignName), Programme)


class Arm(Section):
    """One arm of a comparison: which programmes run, and what differs from the base."""

    description: str = ""
    programmes: tuple[str, ...] = ()
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Partial scenario merged over the base for this arm (not 'arms').",
    )


class Sweep(Section):
    """An experiment over parameter values: grids and samples, replicated, every arm at every point.

    Parameters are addressed by their dotted path in the scenario (e.g.
    ``"programmes.mentorship.n_learners_per_guide_max"``). Every point runs every arm
    with the same replicate seeds (common random numbers).
    """

    method: Literal["grid", "lhs", "sobol", "morris"] = param(
        "grid",
        unit="policy",
        source="assumption",
        description=(
            "'grid': full factorial of `grid`; 'lhs': Latin hypercube of `ranges` (crossed "
            "with `grid`); 'sobol' and 'morris': SALib designs over `ranges` for "
            "sensitivity analysis."
        ),
    )
    grid: dict[str, list[Any]] = param(
        {},
        unit="values per parameter path",
        source="assumption",
        description="Values of each parameter; every combination is a point.",
    )
    ranges: dict[str, tuple[float, float]] = param(
        {},
        unit="[low, high] per parameter path",
        source="assumption",
        description="Ranges sampled by 'lhs', 'sobol' and 'morris' (integers are rounded).",
    )
    n_samples: int = param(
        16,
        ge=1,
        le=1_000_000,
        unit="points (lhs), base samples (sobol), trajectories (morris)",
        source="assumption",
        description="Size of the sample: Sobol makes n * (d + 2) points, Morris n * (d + 1).",
    )
    replicates: int = param(
        0,
        ge=0,
        le=100_000,
        unit="runs per arm and point",
        source="assumption",
        description="Replicates at every point (0: the scenario's `replicates`).",
    )
    metrics: tuple[str, ...] = param(
        (),
        unit="metric names",
        source="assumption",
        description="Metrics kept in the time series (empty: all).",
    )
    keep_weeks: Literal["all", "last"] | int = param(
        "all",
        unit="'all', 'last' or every n weeks",
        source="assumption",
        description="Weeks kept in the time series (the last week is always kept).",
    )
    outputs: tuple[str, ...] = param(
        ("mean_skill", "mean_engagement", "retention_initial"),
        min_length=1,
        unit="metric names",
        source="assumption",
        description=(
            "End-of-horizon metrics analysed: sensitivity indices (sobol, morris); the "
            "figure and best points of a grid."
        ),
    )
    baseline: str = param(
        "",
        unit="arm name",
        source="assumption",
        description=(
            "Control arm: sensitivity indices are also computed on every other arm's "
            "effect against it, paired by point and replicate (empty: the first arm)."
        ),
    )

    @model_validator(mode="after")
    def _check_design(self) -> Sweep:
        for path, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"ranges.{path}: low must be below high, got [{low}, {high}]")
        for path, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{path}: give at least one value")
        both = sorted(set(self.grid) & set(self.ranges))
        if both:
            raise ValueError(f"parameters both in grid and ranges: {both}")
        if self.method == "grid" and self.ranges:
            raise ValueError("method 'grid' takes no ranges; use 'lhs', 'sobol' or 'morris'")
        if self.method != "grid" and not self.ranges:
            raise ValueError(f"method {self.method!r} needs ranges to sample")
        if self.method in ("sobol", "morris") and self.grid:
            raise ValueError(
                f"method {self.method!r} analyses the sample alone; put grid values in arms "
                "or in separate sweeps"
            )
        if isinstance(self.keep_weeks, int) and self.keep_weeks < 1:
            raise ValueError(f"keep_weeks must be 'all', 'last' or >= 1, got {self.keep_weeks}")
        return self

    @property
    def paths(self) -> list[str]:
        """Every swept parameter path, grid first."""
        return [*self.grid, *self.ranges]


class Prior(Section):
    """What is believed about a calibrated parameter before the data: a distribution and bounds.

    Bounds are in the parameter's own unit; a parameter taking whole numbers is rounded.
    """

    distribution: Literal["uniform", "loguniform"] = param(
        "uniform",
        unit="distribution",
        source="assumption",
        description=(
            "'uniform' between low and high; 'loguniform': uniform in the logarithm (for "
            "rates spanning orders of magnitude; low > 0)."
        ),
    )
    low: float = param(
        ..., unit="the parameter's unit", source="assumption", description="Lower bound."
    )
    high: float = param(
        ..., unit="the parameter's unit", source="assumption", description="Upper bound."
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got low = {self.low}, high = {self.high}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform prior needs low > 0, got low = {self.low}")
        return self


def _check_metric_or_effect(metric: str, effect: str, statistic: str, measure: str) -> None:
    """One rule for a calibration target and an optimisation objective: a metric or an effect.

    An effect's statistic must fit its outcome (d or diff for skill and engagement,
    risk_ratio or diff for retention and promotion, which have only the latent measure).

    Raises:
        ValueError: If both or neither of ``metric`` and ``effect`` are given, or the
            statistic or measure does not apply to the effect.
    """
    if bool(metric) == bool(effect):
        raise ValueError("give either metric (a weekly metric) or effect (an effect size)")
    if not effect:
        return
    ratio = effect in ("retention", "promotion")
    if (statistic == "risk_ratio") != ratio and statistic != "diff":
        want = "risk_ratio or diff" if ratio else "d or diff"
        raise ValueError(
            f"statistic = {statistic!r} does not apply to effect = {effect!r}; use {want}"
        )
    if ratio and measure == "observed":
        raise ValueError(f"effect = {effect!r} has only the latent measure")


class Target(Section):
    """A summary statistic the model computes, with its observed value and uncertainty.

    Either a *metric*: a column of the weekly time series at a week, averaged over the
    particle's replicates, in one arm or as that arm's paired difference from a baseline
    arm (the same replicate seeds in both). Or an *effect*: a programme's effect size on
    its learners (docs/model.md 7.12, ``effects.csv``) in ``arm`` against the control arm
    ``baseline``, averaged over the particle's replicates.
    """

    metric: str = param(
        "", unit="metric name", source="assumption", description="The metric (or give `effect`)."
    )
    effect: Literal["", "skill_focus", "skill_job", "engagement", "retention", "promotion"] = param(
        "",
        unit="outcome",
        source="assumption",
        description=(
            "An effect size's outcome (docs/model.md 7.12) instead of a metric: the "
            "learners of `programme` in `arm` against the same people in `baseline`."
        ),
    )
    programme: str = param(
        "",
        unit="programme name",
        source="assumption",
        description="The effect's programme (empty: the arm's only programme).",
    )
    statistic: Literal["d", "diff", "risk_ratio"] = param(
        "d",
        unit="statistic",
        source="assumption",
        description=(
            "The effect's statistic: d (skill, engagement), risk_ratio (retention, "
            "promotion) or diff (any)."
        ),
    )
    measure: Literal["latent", "observed"] = param(
        "latent",
        unit="measure",
        source="assumption",
        description="The effect on true states, or on the observation model's ratings and surveys.",
    )
    timepoint: Literal["end", "horizon"] = param(
        "end",
        unit="timepoint",
        source="assumption",
        description="The effect at the programme's end (one year after its start) or the horizon.",
    )
    arm: str = param(
        "", unit="arm name", source="assumption", description="Arm measured (empty: the first)."
    )
    baseline: str = param(
        "",
        unit="arm name",
        source="assumption",
        description=(
            "If given, the target is the arm's difference from this arm (paired); for an "
            "effect, the control arm (empty: the first arm without programmes)."
        ),
    )
    week: int = param(
        -1,
        ge=-1,
        unit="week",
        source="assumption",
        description="Week measured (-1: the horizon); not used by an effect.",
    )
    observed: float = param(
        ..., unit="the metric's unit", source="assumption", description="Observed value."
    )
    sd: float = param(
        ...,
        gt=0,
        unit="the metric's unit",
        source="assumption",
        description=(
            "Uncertainty of the observed value (its standard error); the distance of a "
            "simulation from the data is measured in these units."
        ),
    )
    source: str = param(
        "",
        unit="citation",
        source="assumption",
        description="Where the observed value comes from (shown in the report).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        _check_metric_or_effect(self.metric, self.effect, self.statistic, self.measure)
        return self


class Calibration(Section):
    """Parameters fitted to observed targets by ABC-SMC (``wlsim calibrate``)."""

    parameters: dict[str, Prior] = param(
        {},
        unit="prior per parameter path",
        source="assumption",
        description="The parameters fitted, by dotted path, each with its prior.",
    )
    targets: tuple[Target, ...] = param(
        (), unit="targets", source="assumption", description="What the model must reproduce."
    )
    population: int = param(
        100,
        ge=2,
        le=100_000,
        unit="particles",
        source="assumption",
        description="Parameter sets accepted per generation.",
    )
    generations: int = param(
        8,
        ge=1,
        le=1000,
        unit="generations",
        source=(
            "benchmarks/recovery.py (with each target's sd its observed value's own "
            "uncertainty: 8 generations covered the truth in 85% of 20 repetitions for both "
            "parameters; 5 in 100%, conservative)"
        ),
        description="Most generations (each with a smaller tolerance; docs/calibration.md).",
    )
    tolerance: float = param(
        0.0,
        ge=0,
        unit="distance (target sds)",
        source="assumption",
        description="Stop once the tolerance reaches this distance (0: never stop on it).",
    )
    budget_simulations: int = param(
        20_000,
        ge=1,
        unit="particles simulated",
        source="assumption",
        description=(
            "Most parameter sets simulated in all; a generation that would pass it stops "
            "unfinished and the one before is the posterior."
        ),
    )
    history: str = param(
        "",
        unit="file path (CSV or Parquet)",
        source="assumption",
        description=(
            "An organisation's history to fit to: counts of quits and promotions by period "
            "(and level, tenure band), engagement survey means and pilot evaluations "
            "(ratings and survey scores before and after, docs/data.md); each row is a "
            "target, measured in `history_arm` (a pilot row: in its own arm)."
        ),
    )
    history_arm: str = param(
        "",
        unit="arm name",
        source="assumption",
        description="The arm the history was lived under (empty: the first arm).",
    )
    screen_points: int = param(
        -1,
        ge=-1,
        le=10_000,
        unit="parameter sets",
        source="assumption",
        description=(
            "Points over the priors at which, after the fit, every target and candidate "
            "measurement is simulated, for 'which targets inform which parameter' and 'what "
            "to measure next' (-1: ten per parameter, at least 40; 0: no screen)."
        ),
    )
    replicates: int = param(
        1,
        ge=1,
        le=1000,
        unit="runs per arm and particle",
        source="assumption",
        description="Replicates each particle runs, averaged (arms share their seeds).",
    )

    @property
    def enabled(self) -> bool:
        """Whether the scenario has something to calibrate."""
        return bool(self.parameters or self.targets or self.history)


class Lever(Section):
    """A decision lever of ``[optimise]``: the values one parameter may take.

    Either a range (``low``, ``high``, optionally ``step`` and ``log``) for a numeric
    parameter, or ``choices`` (numbers, names, lists such as learner levels).
    """

    low: float | None = param(
        None, unit="the parameter's unit", source="assumption", description="Lowest value."
    )
    high: float | None = param(
        None, unit="the parameter's unit", source="assumption", description="Highest value."
    )
    step: float = param(
        0.0,
        ge=0.0,
        unit="the parameter's unit",
        source="assumption",
        description=(
            "Spacing of the values tried (0: any value in the range; whole-number "
            "parameters take steps of at least 1)."
        ),
    )
    log: bool = param(
        False,
        unit="flag",
        source="assumption",
        description="Search the range on a log scale (low > 0; not with step).",
    )
    choices: tuple[Any, ...] = param(
        (),
        unit="values",
        source="assumption",
        description="The values to choose among, instead of a range (arms, policies, levels).",
    )

    @model_serializer(mode="wrap")
    def _leave_out_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # TOML has no null: a bound not given is left out of the dump.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}

    @model_validator(mode="after")
    def _one_kind(self) -> Lever:
        ranged = self.low is not None or self.high is not None
        if bool(self.choices) == ranged:
            raise ValueError("give either low and high (a range) or choices (a list of values)")
        if ranged:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high")
            if not self.low < self.high:
                raise ValueError(f"low must be below high, got [{self.low}, {self.high}]")
            if self.log and self.low <= 0:
                raise ValueError(f"log = true needs low > 0, got low = {self.low}")
            if self.log and self.step:
                raise ValueError("log = true and step cannot go together; drop one")
        elif self.step or self.log:
            raise ValueError("step and log apply to ranges, not to choices")
        elif len({repr(c) for c in self.choices}) != len(self.choices):
            raise ValueError(f"choices {list(self.choices)} name a value twice")
        return self


class Objective(Section):
    """What ``[optimise]`` maximises or minimises: a metric or an effect size.

    A *metric* is measured as the optimised arm's paired difference from the baseline
    arm (the same replicate seeds), averaged over replicates (no effect: 0); an *effect*
    is a programme's effect size on its learners against the baseline (docs/model.md
    7.12; no effect: 0 for d and diff, 1 for a risk ratio). The planned metrics are the
    design's own plan, not compared with the baseline: never the first objective.
    """

    metric: str = param(
        "",
        unit="metric name",
        source="assumption",
        description=(
            "A metric of the weekly series, or cost_per_year, hours_per_week (the arm's "
            "programme_cost and session_hours a year and a week over the horizon), or "
            "planned_cost_per_year, planned_hours_per_week (at full attendance)."
        ),
    )
    effect: Literal["", "skill_focus", "skill_job", "engagement", "retention", "promotion"] = param(
        "",
        unit="outcome",
        source="assumption",
        description="An effect size's outcome (docs/model.md 7.12) instead of a metric.",
    )
    programme: str = param(
        "",
        unit="programme name",
        source="assumption",
        description="The effect's programme (empty: the arm's only programme).",
    )
    statistic: Literal["d", "diff", "risk_ratio"] = param(
        "d", unit="statistic", source="assumption", description="The effect's statistic."
    )
    measure: Literal["latent", "observed"] = param(
        "latent",
        unit="measure",
        source="assumption",
        description="The effect on true states or as HR would measure it (ratings, surveys).",
    )
    timepoint: Literal["end", "horizon"] = param(
        "end", unit="timepoint", source="assumption", description="The effect's timepoint."
    )
    week: int = param(
        -1,
        ge=-1,
        unit="week",
        source="assumption",
        description="Week measured (-1: the horizon); not used by an effect.",
    )
    direction: Literal["maximise", "minimise"] = param(
        ..., unit="direction", source="assumption", description="Whether more or less is better."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Objective:
        _check_metric_or_effect(self.metric, self.effect, self.statistic, self.measure)
        return self

    @property
    def label(self) -> str:
        """The objective's name in tables: the metric, or ``effect:<outcome>``."""
        if self.metric:
            return self.metric if self.week < 0 else f"{self.metric}@{self.week}"
        return f"{self.statistic}_{self.effect}_{self.measure}_{self.timepoint}"


class Constraint(Section):
    """A bound that every design returned by ``[optimise]`` respects: a metric of the arm.

    The metric is the optimised arm's own value (not a difference), averaged over
    replicates; the planned metrics are known before a design runs.
    """

    metric: str = param(
        ...,
        unit="metric name",
        source="assumption",
        description=(
            "A metric of the weekly series, or hours_per_week, cost_per_year, "
            "planned_hours_per_week, planned_cost_per_year (see objectives)."
        ),
    )
    max: float | None = param(
        None, unit="the metric's unit", source="assumption", description="Upper bound (<=)."
    )
    min: float | None = param(
        None, unit="the metric's unit", source="assumption", description="Lower bound (>=)."
    )
    week: int = param(
        -1, ge=-1, unit="week", source="assumption", description="Week measured (-1: the horizon)."
    )

    @model_serializer(mode="wrap")
    def _leave_out_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # TOML has no null: a bound not given is left out of the dump.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.max is None) == (self.min is None):
            raise ValueError("give one bound: max (metric <= max) or min (metric >= min)")
        return self

    @property
    def label(self) -> str:
        """The constraint in words, e.g. ``planned_cost_per_year <= 150000``."""
        bound = f"<= {self.max:g}" if self.max is not None else f">= {self.min:g}"
        week = f"@{self.week}" if self.week >= 0 else ""
        return f"{self.metric}{week} {bound}"


class Optimise(Section):
    """The best programme design within a budget (``wlsim optimise``, docs/optimise.md)."""

    arm: str = param(
        "",
        unit="arm name",
        source="assumption",
        description=(
            "The arm whose programmes the levers change (empty: the first arm with "
            "programmes); a lever 'arm' chooses among arms instead."
        ),
    )
    baseline: str = param(
        "",
        unit="arm name",
        source="assumption",
        description="The arm every design is compared with (empty: the first without programmes).",
    )
    levers: dict[str, Lever] = param(
        {},
        unit="values per parameter path",
        source="assumption",
        description=(
            "The decisions: each parameter's dotted path (as with --set) with a range or "
            "choices; the key 'arm' chooses among arms."
        ),
    )
    objectives: tuple[Objective, ...] = param(
        (), unit="objectives", source="assumption", description="What is maximised or minimised."
    )
    constraints: tuple[Constraint, ...] = param(
        (), unit="constraints", source="assumption", description="Bounds every design must meet."
    )
    trials: int = param(
        40,
        ge=1,
        le=100_000,
        unit="designs",
        source="assumption",
        description="Designs tried in all (the trial budget).",
    )
    batch: int = param(
        8,
        ge=1,
        le=1000,
        unit="designs",
        source="assumption",
        description=(
            "Designs proposed together before any of them is scored (a round); fixed, so "
            "results do not depend on the back-end."
        ),
    )
    replicates: int = param(
        4,
        ge=2,
        le=10_000,
        unit="runs per design",
        source="assumption",
        description="Replicates every design starts with (paired with the baseline's).",
    )
    max_replicates: int = param(
        16,
        ge=2,
        le=100_000,
        unit="runs per design",
        source="assumption",
        description=(
            "Most replicates a design on the front gets where the decision is close "
            "(docs/optimise.md, 'Replicates where the decision is close')."
        ),
    )
    seed: int = param(
        -1,
        ge=-1,
        lt=2**63,
        unit="integer",
        source="assumption",
        description="Seed of the optimiser's proposals (-1: the scenario's seed).",
    )

    @model_validator(mode="after")
    def _check(self) -> Optimise:
        if self.max_replicates < self.replicates:
            raise ValueError(
                f"max_replicates = {self.max_replicates} is below replicates = "
                f"{self.replicates}; raise max_replicates"
            )
        labels = [o.label for o in self.objectives]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(f"objectives name {twice} twice")
        return self

    @property
    def enabled(self) -> bool:
        """Whether the scenario has something to optimise."""
        return bool(self.levers or self.objectives)


class PilotPlan(Section):
    """Planning a pilot's evaluation (``wlsim pilot``; docs/pilots.md).

    Who enrols in the pilot (a programme of an arm), for how long, what HR measures
    before and after (through the observation model, docs/model.md 7.16) and how the
    evaluation compares participants with the others. ``wlsim pilot`` simulates the
    pilot's arm and the control arm on the same seeds and reports the evaluation's
    power, the bias of its naive comparison and the size or duration a target power
    needs.
    """

    arm: str = param(
        "",
        unit="arm name",
        source="assumption",
        description="The arm that runs the pilot (empty: the first arm with programmes).",
    )
    programme: str = param(
        "",
        unit="programme name",
        source="assumption",
        description="The pilot, a programme of that arm (empty: the arm's only programme).",
    )
    control: str = param(
        "",
        unit="arm name",
        source="assumption",
        description=(
            "The arm without the pilot that gives each participant's true effect on the "
            "same people (empty: the first arm without programmes)."
        ),
    )
    n_participants: int = param(
        40,
        ge=2,
        le=1_000_000,
        unit="employees",
        source="assumption",
        description=(
            "Employees enrolled in the pilot, chosen among the eligible (the programme's "
            "learner levels and tenure window at week 0)."
        ),
    )
    dur_weeks: int = param(
        26,
        ge=1,
        le=5200,
        unit="weeks",
        source="assumption",
        description=(
            "Weeks from the programme's start (the measurement before) to the measurement after."
        ),
    )
    outcome: Literal["rating", "survey", "retention"] = param(
        "rating",
        unit="policy",
        source="assumption",
        description=(
            "What the evaluation measures: managers' ratings (of `domain`), the engagement "
            "survey score, or whether people are still employed."
        ),
    )
    domain: str = param(
        "job",
        unit="domain name or 'job'",
        source="assumption",
        description=(
            "The rated domain of a rating outcome ('job': the mean over the domains each "
            "person's job uses)."
        ),
    )
    measure: Literal["observed", "latent"] = param(
        "observed",
        unit="policy",
        source="assumption",
        description=(
            "'observed': the scores HR would record (rater error, leniency, rounding, survey "
            "non-response); 'latent': the true states, what a perfect instrument would show."
        ),
    )
    comparison: Literal["change", "after"] = param(
        "change",
        unit="policy",
        source="assumption",
        description=(
            "'change': participants' mean before-after change against the comparison "
            "group's; 'after': their means after the pilot only (retention is always after)."
        ),
    )
    enrolment: Literal["randomised", "volunteers"] = param(
        "randomised",
        unit="policy",
        source="assumption",
        description=(
            "'randomised': participants drawn at random from the eligible; 'volunteers': "
            "drawn with odds that rise with `selection_on` by `selection_slope`."
        ),
    )
    selection_on: Literal["", "engagement", "skill_gap"] = param(
        "",
        unit="policy",
        source="assumption",
        description=(
            "What makes volunteers enrol: engagement, or the skill gap (one minus mean skill "
            "in the programme's focus domains, all if it has none), at week 0."
        ),
    )
    selection_slope: float | None = param(
        None,
        ge=-10.0,
        le=10.0,
        unit="log odds per sd",
        source="assumption",
        description=(
            "How strongly volunteers self-select: the log of the odds ratio of enrolling per "
            "standard deviation of `selection_on` among the eligible (0: at random)."
        ),
    )
    n_comparison: int = param(
        0,
        ge=0,
        le=1_000_000,
        unit="employees",
        source="assumption",
        description=(
            "Comparison group: this many eligible non-participants drawn at random (0: all "
            "of them)."
        ),
    )
    alpha: float = param(
        0.05,
        gt=0.0,
        lt=1.0,
        unit="probability",
        source="convention",
        description="Significance level of the evaluation's two-sided test (Welch's t-test).",
    )
    target_power: float = param(
        0.8,
        gt=0.0,
        lt=1.0,
        unit="probability",
        source="convention (Cohen 1988)",
        description="The power the size and duration search aims for.",
    )
    sizes: tuple[int, ...] = param(
        (),
        unit="employees",
        source="assumption",
        description=(
            "Numbers of participants simulated for the size search (empty: half, once, "
            "twice and four times n_participants, within the eligible)."
        ),
    )
    durations: tuple[int, ...] = param(
        (),
        unit="weeks",
        source="assumption",
        description=(
            "Durations measured for the duration search, at n_participants (empty: a half, "
            "once, one and a half and twice dur_weeks, within the horizon)."
        ),
    )
    replicates: int = param(
        100,
        ge=2,
        le=100_000,
        unit="runs per size",
        source="assumption (a power of 0.5 is then known to about +-0.05)",
        description="Replicates of the pilot and control arms at every size.",
    )

    @model_serializer(mode="wrap")
    def _leave_out_no_slope(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # TOML has no null: without a selection model the slope is not written.
        data: dict[str, Any] = handler(self)
        if data.get("selection_slope") is None:
            data.pop("selection_slope", None)
        return data

    @model_validator(mode="after")
    def _check_selection(self) -> PilotPlan:
        if self.enrolment == "volunteers" and (
            not self.selection_on or self.selection_slope is None
        ):
            raise ValueError(
                "enrolment = 'volunteers' needs its selection model: set selection_on "
                "('engagement' or 'skill_gap') and selection_slope (log odds per sd; 0 for "
                "volunteers who do not self-select)"
            )
        if self.enrolment == "randomised" and (
            self.selection_on or self.selection_slope is not None
        ):
            raise ValueError(
                "enrolment = 'randomised' takes no selection model (selection_on, "
                "selection_slope); set enrolment = 'volunteers' to use one"
            )
        for label, values in (("sizes", self.sizes), ("durations", self.durations)):
            low = 2 if label == "sizes" else 1
            if any(v < low for v in values):
                raise ValueError(f"{label} = {list(values)}: every value must be at least {low}")
        return self


class Departure(Section):
    """People who leave at a given week: a scenario event ("what if our experts leave?").

    Either the ``k`` most skilled employees in ``domain`` at that week, or employees
    named by their ids in the organisation's HR data (``organisation.source``).
    """

    week: int = param(
        ...,
        ge=0,
        unit="week",
        source="scenario event",
        description="Week in which they leave (in the turnover phase of that week).",
    )
    who: Literal["top_experts", "ids"] = param(
        "top_experts",
        unit="choice",
        source="scenario event",
        description=(
            "top_experts: the k most skilled in domain at that week; ids: the employees "
            "listed in ids (from the HR data)."
        ),
    )
    domain: str = param(
        "",
        unit="name",
        source="scenario event",
        description="Domain whose experts leave (who = top_experts).",
    )
    k: int = param(
        1,
        ge=1,
        unit="employees",
        source="scenario event",
        description="How many of the most skilled leave (who = top_experts).",
    )
    ids: tuple[str, ...] = param(
        (),
        unit="employee ids",
        source="scenario event",
        description="Employee ids from organisation.source who leave (who = ids).",
    )

    @model_validator(mode="after")
    def _check_who(self) -> Departure:
        if self.who == "top_experts" and not self.domain:
            raise ValueError("who = 'top_experts' needs a domain (e.g. domain = \"technical\")")
        if self.who == "ids" and not self.ids:
            raise ValueError("who = 'ids' needs ids, the employee ids from organisation.source")
        return self


class SkillSeed(Section):
    """A new skill seeded in a few people: a scenario event ("how fast does it spread?").

    At the start of ``week``, ``k`` employees drawn at random (the same positions in
    every arm) get skill ``skill`` in ``domain``; everyone else's skill in the domain is
    set to the floor when ``others = "floor"`` (a skill nobody else has yet), or kept.
    Pair it with a ``[[skill_demand]]`` ramp of the domain to say how much jobs come to
    use it, and read the spread in ``share_proficient_<domain>``.
    """

    week: int = param(
        ...,
        ge=0,
        unit="week",
        source="scenario event",
        description="Week at whose start the skill is seeded.",
    )
    domain: str = param(
        ...,
        unit="name",
        source="scenario event",
        description="Domain of the new skill.",
    )
    k: int = param(
        1,
        ge=1,
        unit="employees",
        source="scenario event",
        description="How many employees, drawn at random, are seeded.",
    )
    skill: Unit = param(
        0.9,
        unit="skill (0-1)",
        source="scenario event",
        description="Skill the seeded employees get in the domain.",
    )
    others: Literal["floor", "keep"] = param(
        "floor",
        unit="choice",
        source="scenario event",
        description=(
            "floor: everyone else's skill in the domain drops to learning.skill_floor (a "
            "new skill); keep: it stays as it is."
        ),
    )


class SkillDemand(Section):
    """A change in how much jobs use a skill domain: a linear ramp between two weeks.

    From ``from_week`` to ``to_week`` the job usage of ``domain`` at ``levels`` moves in
    equal weekly steps from its value at ``from_week`` to ``usage`` (or by ``change``),
    and stays there. Ramps of one domain and level follow each other in time; they may
    run past the horizon (the run then sees part of the ramp).
    """

    domain: str = param(
        ...,
        unit="name",
        source="scenario event",
        description="Domain whose use by the job changes.",
    )
    levels: tuple[int, ...] = param(
        (),
        unit="level indices",
        source="scenario event",
        description="Levels whose jobs change (leave out for every level).",
    )
    from_week: int = param(
        0,
        ge=0,
        le=5200,
        unit="week",
        source="scenario event",
        description="Week the change starts (usage is still the old value in this week).",
    )
    to_week: int = param(
        ...,
        ge=0,
        le=5200,
        unit="week",
        source="scenario event",
        description="Week from which the new usage holds (equal to from_week: a step).",
    )
    usage: Unit | None = param(
        None,
        unit="share of working time",
        source="scenario event",
        description="Usage reached at to_week (give this or change).",
    )
    change: float | None = param(
        None,
        ge=-1.0,
        le=1.0,
        unit="share of working time",
        source="scenario event",
        description="Change in usage reached at to_week (give this or usage).",
    )

    @model_serializer(mode="wrap")
    def _leave_out_the_other_target(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # TOML has no null: a ramp is written with the one of usage and change it has.
        data: dict[str, Any] = handler(self)
        for key in ("usage", "change"):
            if data.get(key) is None:
                data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _check_ramp(self) -> SkillDemand:
        if (self.usage is None) == (self.change is None):
            raise ValueError(
                "give either usage (the usage reached at to_week) or change (the change in "
                "usage by to_week), not both or neither"
            )
        if self.to_week < self.from_week:
            raise ValueError(
                f"to_week = {self.to_week} is before from_week = {self.from_week}; the ramp "
                "runs from from_week to to_week (equal weeks make a step)"
            )
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels = {list(self.levels)} names a level twice")
        return self


class Scenario(Section):
    """A complete, validated scenario: organisation, dynamics, programmes and arms."""

    name: Name
    description: str = ""
    horizon_weeks: int = param(
        156, ge=1, le=5200, unit="weeks", source="assumption", description="Simulated time."
    )
    replicates: int = param(
        10, ge=1, le=100_000, unit="runs", source="assumption", description="Replicates per arm."
    )
    seed: int = param(
        20261127,
        ge=0,
        lt=2**63,
        unit="integer",
        source="assumption",
        description="Root seed; replicate r uses child r of SeedSequence(seed) in every arm.",
    )
    organisation: Organisation = Organisation()
    learning: Learning = Learning()
    people: People = People()
    engagement: Engagement = Engagement()
    turnover: Turnover = Turnover()
    promotion: Promotion = Promotion()
    costs: Costs = Costs()
    informal: Informal = Informal()
    observation: Observation = Observation()
    departures: tuple[Departure, ...] = Field(
        default=(),
        description="Scenario events: people who leave at a given week ([[departures]]).",
    )
    skill_seeds: tuple[SkillSeed, ...] = Field(
        default=(),
        description="Scenario events: a new skill seeded in a few people ([[skill_seeds]]).",
    )
    skill_demand: tuple[SkillDemand, ...] = Field(
        default=(),
        description="Changes in how much jobs use each domain over time ([[skill_demand]]).",
    )
    programmes: dict[Name, Programme] = Field(default_factory=dict)
    arms: dict[Name, Arm] = Field(default_factory=lambda: {"baseline": Arm()})
    sweep: Sweep = Sweep()
    calibration: Calibration = Calibration()
    optimise: Optimise = Optimise()
    pilot: PilotPlan = PilotPlan()

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        n_levels = len(self.organisation.levels)
        for label, values in (
            ("costs.salary_per_year_by_level", self.costs.salary_per_year_by_level),
            ("costs.rel_replacement_cost_by_level", self.costs.rel_replacement_cost_by_level),
        ):
            if len(values) != n_levels:
                raise ValueError(
                    f"{label} needs one value per level ({n_levels} levels), got {len(values)}"
                )
        domains = set(self.organisation.domains)
        for i, event in enumerate(self.departures):
            if event.who == "top_experts" and event.domain not in domains:
                raise ValueError(
                    f"departures[{i}].domain = {event.domain!r}: not a domain; domains: "
                    f"{', '.join(self.organisation.domains)}"
                )
            if event.who == "ids" and not self.organisation.source:
                raise ValueError(
                    f"departures[{i}]: who = 'ids' names employees of the HR data, and "
                    "organisation.source names none; use who = 'top_experts' or add the data"
                )
            if event.week >= self.horizon_weeks:
                raise ValueError(
                    f"departures[{i}].week = {event.week}: the run ends at week "
                    f"{self.horizon_weeks}; choose a week before it"
                )
        if not 0 <= self.costs.level_coordinator < n_levels:
            raise ValueError(
                f"costs.level_coordinator = {self.costs.level_coordinator}: not a level; "
                f"levels 0..{n_levels - 1} ({', '.join(self.organisation.levels)})"
            )
        for pname, prog in self.programmes.items():
            for label, names in (
                ("focus_domains", prog.focus_domains),
                ("guide_practice_domains", prog.guide_practice_domains),
            ):
                unknown = [d for d in names if d not in domains]
                if unknown:
                    raise ValueError(
                        f"programmes.{pname}.{label}: unknown domains {unknown}; "
                        f"allowed: {sorted(domains)}"
                    )
            for label, levels in (
                ("learner_levels", prog.learner_levels),
                ("guide_levels", prog.guide_levels),
            ):
                bad = [lv for lv in levels if not 0 <= lv < n_levels]
                if bad:
                    raise ValueError(
                        f"programmes.{pname}.{label}: level indices {bad} out of range "
                        f"0..{n_levels - 1}"
                    )
            _check_guides(pname, prog, n_levels)
            if prog.uptake == "engaged" and self.engagement.mean_baseline <= 0.0:
                raise ValueError(
                    f"programmes.{pname}.uptake = 'engaged' enrols with probability p_enrol "
                    "* engagement / engagement.mean_baseline, and engagement.mean_baseline "
                    "is 0; set engagement.mean_baseline above 0 or uptake = 'random'"
                )
        if not self.arms:
            raise ValueError("arms: at least one arm is needed")
        for aname, arm in self.arms.items():
            unknown = [p for p in arm.programmes if p not in self.programmes]
            if unknown:
                raise ValueError(
                    f"arms.{aname}.programmes: unknown programmes {unknown}; "
                    f"defined: {sorted(self.programmes)}"
                )
            if "arms" in arm.overrides:
                raise ValueError(f"arms.{aname}.overrides may not change 'arms'")
            changed = _overridden_kinds(arm.overrides)
            if changed:
                raise ValueError(
                    f"arms.{aname}.overrides may not change a programme's kind ({changed}); "
                    "define another programme with that kind and list it in the arm"
                )
        return self

    @model_validator(mode="after")
    def _check_skill_change(self) -> Scenario:
        domains = self.organisation.domains
        for i, seed in enumerate(self.skill_seeds):
            if seed.domain not in domains:
                raise ValueError(
                    f"skill_seeds[{i}].domain = {seed.domain!r}: not a domain"
                    f"{did_you_mean(seed.domain, domains)}; domains: {', '.join(domains)}"
                )
            if seed.week >= self.horizon_weeks:
                raise ValueError(
                    f"skill_seeds[{i}].week = {seed.week}: the run ends at week "
                    f"{self.horizon_weeks}; choose a week before it"
                )
        for name in self.learning.rate_skill_obsolescence_per_year_by_domain:
            if name not in domains:
                raise ValueError(
                    f"learning.rate_skill_obsolescence_per_year_by_domain: {name!r} is not a "
                    f"domain{did_you_mean(name, domains)}; domains: {', '.join(domains)}"
                )
        n_levels = len(self.organisation.levels)
        # Each (domain, level): the ramps in order of start, with the usage they start from.
        usage = {d: list(u) for d, u in self.organisation.job_usage.items()}
        busy: dict[tuple[str, int], tuple[int, int, int]] = {}
        order = sorted(range(len(self.skill_demand)), key=lambda i: self.skill_demand[i].from_week)
        for i in order:
            ramp = self.skill_demand[i]
            where = f"skill_demand[{i}]"
            if ramp.domain not in domains:
                raise ValueError(
                    f"{where}.domain = {ramp.domain!r}: not a domain"
                    f"{did_you_mean(ramp.domain, domains)}; domains: {', '.join(domains)}"
                )
            bad = [lv for lv in ramp.levels if not 0 <= lv < n_levels]
            if bad:
                raise ValueError(
                    f"{where}.levels: level indices {bad} out of range 0..{n_levels - 1} "
                    f"({', '.join(self.organisation.levels)})"
                )
            for lv in ramp.levels or range(n_levels):
                other = busy.get((ramp.domain, lv))
                # Two ramps of a cell may meet at a week, unless the second is a step there.
                if other is not None and (
                    other[2] > ramp.from_week or other[2] == ramp.from_week == ramp.to_week
                ):
                    j, start, end = other
                    raise ValueError(
                        f"{where} and skill_demand[{j}] both change {ramp.domain} at level {lv} "
                        f"({self.organisation.levels[lv]}), in weeks {start}-{end} and "
                        f"{ramp.from_week}-{ramp.to_week}; ramps of one domain and level may "
                        "not overlap: start one at or after the other's to_week (a step, "
                        "from_week = to_week, after it)"
                    )
                busy[(ramp.domain, lv)] = (i, ramp.from_week, ramp.to_week)
                start_usage = usage[ramp.domain][lv]
                target = ramp.usage if ramp.usage is not None else start_usage + (ramp.change or 0)
                if not -1e-12 <= target <= 1.0 + 1e-12:
                    raise ValueError(
                        f"{where}.change = {ramp.change!r} takes the usage of {ramp.domain} at "
                        f"level {lv} ({self.organisation.levels[lv]}) from {start_usage:g} to "
                        f"{target:g}; usage is a share of working time, within [0, 1]"
                    )
                usage[ramp.domain][lv] = min(max(target, 0.0), 1.0)
        return self

    @model_validator(mode="after")
    def _check_pilot(self) -> Scenario:
        # Names given in [pilot]; `wlsim pilot` chooses empty ones (sim.experiments.pilotplan).
        pilot, arms = self.pilot, list(self.arms)
        for label, name in (("arm", pilot.arm), ("control", pilot.control)):
            if name and name not in self.arms:
                raise ValueError(
                    f"pilot.{label} = {name!r}: not an arm{did_you_mean(name, arms)}; arms: "
                    f"{', '.join(arms)}"
                )
        if pilot.programme and pilot.programme not in self.programmes:
            raise ValueError(
                f"pilot.programme = {pilot.programme!r}: not a programme"
                f"{did_you_mean(pilot.programme, self.programmes)}; programmes: "
                f"{', '.join(self.programmes) or 'none'}"
            )
        domains = self.organisation.domains
        if pilot.domain != "job" and pilot.domain not in domains:
            raise ValueError(
                f"pilot.domain = {pilot.domain!r}: not a domain"
                f"{did_you_mean(pilot.domain, domains)}; domains: {', '.join(domains)}, or "
                "'job' for the domains each person's job uses"
            )
        return self

    @property
    def n_levels(self) -> int:
        """Number of hierarchy levels."""
        return len(self.organisation.levels)

    @property
    def n_domains(self) -> int:
        """Number of skill domains."""
        return len(self.organisation.domains)
