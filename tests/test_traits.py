"""People who differ (traits), feedback where it belongs, and shadowing spread over weeks.

docs/model.md sections 7.2.3, 7.4, 7.5 and 7.15. Statistical claims use paired
replicates with the criterion stated in each test.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.submodels import demand, feedback, practice, traits
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Learning, People

# --- traits ----------------------------------------------------------------------------------


def test_multipliers_have_mean_one_and_are_ones_without_spread() -> None:
    z = np.random.default_rng(1).standard_normal(200_000)
    assert traits.multiplier(0.4, z).mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(traits.multiplier(0.0, z[:5]), np.ones(5))
    # One spread per row: each row is what its own spread gives, bit for bit.
    rows = z.reshape(4, -1)
    spreads = [0.3, 0.0, 0.25, 0.1]
    every = traits.multiplier(np.array(spreads)[:, None], rows)
    for r, sd in enumerate(spreads):
        np.testing.assert_array_equal(every[r], traits.multiplier(sd, rows[r]))


def test_ability_and_plateau_come_from_the_same_draw() -> None:
    people = traits.draw_traits(500, People(), np.random.default_rng(2))
    order = np.argsort(people.ability)
    assert np.all(np.diff(people.plateau_offset[order]) >= 0)
    no_spread = People(**dict.fromkeys(People.model_fields, 0.0))
    alike = traits.draw_traits(5, no_spread, np.random.default_rng(2))
    for column in (alike.ability, alike.proactivity, alike.teaching):
        np.testing.assert_array_equal(column, 1.0)
    np.testing.assert_array_equal(alike.plateau_offset, 0.0)


def test_each_person_starts_at_their_own_practice_equilibrium() -> None:
    """Skill shifted by equilibrium_shift neither grows nor decays with practice alone."""
    p = Learning()
    usage = np.array([[0.1, 0.5, 0.9, 1.0]] * 4)
    people = traits.Traits(
        ability=np.array([0.5, 1.0, 1.5, 2.0]),
        plateau_offset=np.array([-0.1, 0.0, 0.05, 0.1]),
        proactivity=np.ones(4),
        teaching=np.ones(4),
    )
    skill = practice.equilibrium_skill(usage, p) + traits.equilibrium_shift(people, usage, p)
    change = practice.practice_and_forgetting(
        skill, usage, np.zeros_like(skill), p, people.ability, people.plateau_offset
    )
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    alike = traits.Traits(np.ones(4), np.zeros(4), np.ones(4), np.ones(4))
    np.testing.assert_array_equal(traits.equilibrium_shift(alike, usage, p), 0.0)
    # With knowledge going stale (section 7.14) the person's equilibrium includes it.
    share = np.array([0.002, 0.004, 0.0, 0.01])
    skill = demand.equilibrium_with_staleness(usage, p, share) + traits.equilibrium_shift(
        people, usage, p, stale_per_week=share
    )
    change = practice.practice_and_forgetting(
        skill, usage, np.zeros_like(skill), p, people.ability, people.plateau_offset
    ) + demand.staleness(skill, share, p.skill_floor)
    np.testing.assert_allclose(change, 0.0, atol=1e-12)


@pytest.mark.parametrize("stale", [False, True])
def test_the_compiled_shift_is_the_difference_of_the_two_equilibria(stale) -> None:
    """equilibrium_shift's kernel gives bit for bit rel * (own - mean) of equilibrium_skill."""
    p = Learning()
    rng = np.random.default_rng(3)
    usage = rng.random((300, 4))
    usage[:5] = [0.0, 1.0, 0.5, 0.0]  # unused and wholly used domains
    people = traits.draw_traits(300, People(sd_skill_plateau=0.2), rng)
    share = rng.random(4) * 0.01 if stale else None
    own = practice.equilibrium_skill(
        usage, p, people.ability, people.plateau_offset, stale_per_week=share
    )
    mean = practice.equilibrium_skill(usage, p, stale_per_week=share)
    got = traits.equilibrium_shift(people, usage, p, 0.7, stale_per_week=share)
    np.testing.assert_array_equal(got, 0.7 * (own - mean))


def _within_level_spread(model: WorkplaceModel) -> float:
    """Mean over levels and used domains of the standard deviation of skill."""
    wf = model.workforce
    out = []
    for lv in range(model.params.n_levels):
        sel = wf.occupied & (wf.level == lv)
        for d in np.flatnonzero(model.usage_by_level[lv] >= 0.5):
            if sel.sum() > 10:
                out.append(wf.skill[sel, d].std())
    return float(np.mean(out))


def test_people_keep_differing_within_a_level() -> None:
    """Criterion: over 3 replicates of two years, the within-level spread of skill in the
    domains each job uses stays above half its starting value with the default traits, and
    falls below half without lasting differences (everyone converging on one plateau)."""
    ratios = {}
    for label, extra in (
        ("traits", {}),
        ("alike", {"sd_skill_plateau": 0.0, "sd_log_learning_ability": 0.0}),
    ):
        sc = validate_scenario(
            {"name": "spread", "horizon_weeks": 104, "organisation": {"n_employees": 400},
             "people": extra}
        )  # fmt: skip
        values = []
        for r in range(3):
            model = WorkplaceModel(sc, replicate=r)
            start = _within_level_spread(model)
            model.run()
            values.append(_within_level_spread(model) / start)
        ratios[label] = max(values) if label == "alike" else min(values)
    assert ratios["traits"] > 0.5 > ratios["alike"], ratios


# --- feedback ----------------------------------------------------------------------------------


def test_feedback_lands_on_covered_and_used_domains_and_grows_with_the_givers_skill() -> None:
    fb = np.zeros((3, 3))
    skill = np.array([[0.5, 0.5, 0.5], [0.8, 0.4, 0.9], [0.4, 0.4, 0.4]])
    usage = np.array([[1.0, 1.0, 0.0]])  # the learner's job does not use domain 2
    focus = np.array([[1.0, 0.25, 1.0]])
    learner, giver = np.array([0]), np.array([1])
    feedback.add_feedback(
        fb, learner, giver, np.array([0.1]), focus, usage, np.zeros(3, int), skill
    )
    np.testing.assert_allclose(fb[0], [0.1 * 0.8, 0.1 * 0.25 * 0.4, 0.0])
    assert not fb[1:].any()
    # A second conversation in the same batch adds to the week's total before saturating.
    fb2 = np.zeros((3, 3))
    two = np.array([0, 0])
    feedback.add_feedback(
        fb2, two, np.array([1, 2]), np.array([0.1, 0.1]), np.vstack([focus, focus]), usage,
        np.zeros(3, int), skill,
    )  # fmt: skip
    np.testing.assert_allclose(fb2[0, 0], 0.1 * 0.8 + 0.1 * 0.4)


def test_feedback_amount_follows_the_people_and_the_session() -> None:
    a = feedback.session_amounts(
        0.1, 1.0, np.array([0.5, 0.5]), np.array([1.0, 0.25]), np.array([1.0, 2.0]),
        np.array([1.5, 1.0]),
    )  # fmt: skip
    np.testing.assert_allclose(a, [0.1 * 0.5 * 1.5, 0.1 * 0.5 * 0.25 * 2.0])


def _programme(kind: str, **params) -> WorkplaceModel:
    sc = validate_scenario(
        {"name": "fb", "horizon_weeks": 8, "organisation": {"n_employees": 200},
         "programmes": {"p": {"kind": kind, "p_enrol": 1.0, **params}},
         "arms": {"treated": {"programmes": ["p"]}}}
    )  # fmt: skip
    return WorkplaceModel(sc, arm="treated")


@pytest.mark.parametrize(
    ("kind", "follow_up"),
    [
        ("mentorship", 1 - 2 / 52),
        ("peer_coaching", 1 - 1 / 13),
        ("flash_mentorship", 0.0),  # one session: nothing to follow up
        ("micro_mentoring", 0.0),  # a new mentor every week
        ("mentor_shadowing", 0.0),  # observation: nobody watches the learner
    ],
)
def test_only_follow_up_sessions_give_feedback(kind, follow_up) -> None:
    model = _programme(kind)
    prog = model.programmes[0]
    assert prog.feedback_hours == pytest.approx(prog.params.hours_per_session * follow_up)


def test_shadowing_is_spread_over_the_weeks_it_occupies() -> None:
    """A shadow spends hours_per_session / cadence_weeks every week, never a month's
    hours in one week."""
    model = _programme("mentor_shadowing", structure=1.0)
    p = model.programmes[0].params
    weekly = p.hours_per_session / p.cadence_weeks
    per_week = []
    for week in range(8):
        model.programmes[0].match(model.org, week)
        batch = model.programmes[0].sessions(model.org, week)
        learners = batch.attendee_hours[: len(batch.learner)]  # a pair lists learners first
        per_week.append(len(learners))
        if len(learners):
            np.testing.assert_allclose(learners, weekly)
    assert min(per_week[1:]) > 0  # every week, not every fourth


def test_mentorship_feedback_lands_in_its_focus_domains() -> None:
    """Mentorship's feedback lands in its focus domains (leadership, domain): the feedback
    it adds to mentees' stocks after 12 weeks (against the same people without it, per
    unit of their job's use of the domain) is larger there than in any other domain."""
    sc = validate_scenario(
        {"name": "fb", "horizon_weeks": 12, "organisation": {"n_employees": 300},
         "programmes": {"p": {"kind": "mentorship", "p_enrol": 1.0}},
         "arms": {"control": {}, "treated": {"programmes": ["p"]}}}
    )  # fmt: skip
    control, treated = (WorkplaceModel(sc, arm=a) for a in ("control", "treated"))
    control.run()
    treated.run()
    ids = np.flatnonzero(treated.programmes[0].was_learner[: treated.n_initial])
    sc_, st = control.workforce.slot_of_id[ids], treated.workforce.slot_of_id[ids]
    keep = (sc_ >= 0) & (st >= 0)
    added = treated.workforce.feedback[st[keep]] - control.workforce.feedback[sc_[keep]]
    usage = treated.usage_by_level[treated.workforce.level[st[keep]]]
    per_use = added.sum(axis=0) / usage.sum(axis=0)
    domains = list(sc.organisation.domains)
    focus = [domains.index("leadership"), domains.index("domain")]
    other = [d for d in range(len(domains)) if d not in focus]
    assert per_use[focus].min() > per_use[other].max() > 0, per_use
