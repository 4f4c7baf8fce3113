"""Informal learning (docs/model.md section 7.13): each rule of the advice network alone,
then the model with it: determinism, common random numbers, and the switch that turns it
off."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model.network import AdviceNetwork
from sim.model.submodels import advice
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Informal

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml"
PARAMS = Informal()
N_DOMAINS = 2


def network(n_slots: int = 4, n_ties: int = 3) -> AdviceNetwork:
    return AdviceNetwork.empty(n_slots, n_ties, N_DOMAINS)


def add(net: AdviceNetwork, i: int, other: int, strength: float, prior=(0.5, 0.5)) -> int:
    beliefs = np.asarray([prior], float)  # one level, whose beliefs are the prior
    return advice._add_tie(net.n, net.to, net.strength, net.belief, i, other, beliefs, 0, strength)


# --- ties ------------------------------------------------------------------------------------


def test_a_tie_is_added_once_and_a_full_row_replaces_only_a_weaker_tie() -> None:
    net = network(n_ties=2)
    assert add(net, 0, 7, 0.3) == 0
    assert add(net, 0, 7, 0.9) == 0 and net.n[0] == 1  # no duplicate
    assert net.strength[0, 0] == pytest.approx(0.3)
    assert add(net, 0, 8, 0.2) == 1 and net.n[0] == 2
    assert add(net, 0, 9, 0.1) == -1  # weaker than every tie: not added
    assert add(net, 0, 9, 0.25) == 1  # replaces the weakest (8, strength 0.2)
    assert net.to[0, :2].tolist() == [7, 9]
    np.testing.assert_allclose(net.belief[0, :, 1], [0.5, 0.5])


def test_maintenance_decays_bridges_faster_and_drops_leavers_and_weak_ties() -> None:
    net = network(n_slots=4, n_ties=3)
    team = np.array([0, 0, 2, 2])
    slot_of_id = np.array([0, 1, 2, -1])  # employee 3 has left
    add(net, 0, 1, 0.5)  # within the team
    add(net, 0, 2, 0.5)  # a bridge to another team
    add(net, 0, 3, 0.5)  # to a leaver
    add(net, 1, 2, PARAMS.tie_strength_min * 1.01)  # weak bridge: drops below the minimum
    advice.maintain(net, slot_of_id, team, PARAMS)
    loss = 1 - 2 ** (-1 / PARAMS.dur_tie_half_life_weeks)
    assert net.n.tolist() == [2, 0, 0, 0]
    ties = dict(zip(net.to[0, :2].tolist(), net.strength[0, :2].tolist(), strict=True))
    assert ties[1] == pytest.approx(0.5 * (1 - loss * PARAMS.rel_decay_embedded), rel=1e-6)
    assert ties[2] == pytest.approx(0.5 * (1 - loss), rel=1e-6)
    assert (net.to[0, 2:] == -1).all()  # ties stay packed at the front


def _maintain_by_the_rule(net: AdviceNetwork, slot_of_id, team, params: Informal) -> None:
    """Maintenance as docs/model.md 7.13 states it, tie by tie in plain Python.

    Each row's ties in order: a tie to a leaver or grown too weak is dropped, and the
    row's last tie takes its place (and is looked at next); the others decay.
    """
    loss = 1 - 2 ** (-1 / params.dur_tie_half_life_weeks)
    for i in range(len(net.n)):
        k = 0
        while k < net.n[i]:
            j = slot_of_id[net.to[i, k]]
            share = 1 - loss * params.rel_decay_embedded if team[j] == team[i] else 1 - loss
            s = np.float64(net.strength[i, k]) * share
            if j >= 0 and s >= params.tie_strength_min:
                net.strength[i, k] = s
                k += 1
                continue
            last = net.n[i] - 1
            for field in (net.to, net.strength, net.programme):
                field[i, k] = field[i, last]
            net.belief[i, :, k] = net.belief[i, :, last]
            net.to[i, last], net.strength[i, last], net.programme[i, last] = -1, 0.0, False
            net.n[i] = last  # (beliefs past the row's ties are left as they are)


@pytest.mark.parametrize("seed", range(4))
def test_maintenance_follows_the_rule_tie_by_tie_on_hard_rows(seed: int) -> None:
    """Runs of drops, a row's last tie dropped, full and empty rows, leavers at the end."""
    rng = np.random.default_rng(seed)
    n_slots, n_ties, n_ids = 60, 24, 90
    net = AdviceNetwork.empty(n_slots, n_ties, 3)
    for i in range(n_slots):
        n = [0, 1, 2, n_ties, n_ties, int(rng.integers(0, n_ties + 1))][i % 6]
        net.n[i] = n
        net.to[i, :n] = rng.choice(n_ids, n, replace=False)
        weak = PARAMS.tie_strength_min * rng.choice([0.5, 1.0, 1.01, 1.05, 3.0], n)
        net.strength[i, :n] = np.where(rng.random(n) < 0.5, weak, rng.random(n))
        net.belief[i, :, :n] = rng.random((3, n))
        net.programme[i, :n] = rng.random(n) < 0.3
    slot_of_id = rng.integers(0, n_slots, n_ids)
    slot_of_id[rng.random(n_ids) < 0.3] = -1  # leavers
    team = rng.integers(0, 4, n_slots)
    expected = AdviceNetwork(**{k: v.copy() for k, v in vars(net).items()})
    _maintain_by_the_rule(expected, slot_of_id, team, PARAMS)
    assert 0 < expected.n.sum() < net.n.sum() / 2  # many ties dropped, some kept
    advice.maintain(net, slot_of_id, team, PARAMS)
    for field in ("n", "to", "strength", "belief", "programme"):
        assert np.array_equal(getattr(net, field), getattr(expected, field)), field


def test_promotion_moves_ties_and_departure_clears_them() -> None:
    net = network()
    add(net, 0, 5, 0.4)
    net.move(np.array([0]), np.array([2]))
    assert net.n.tolist() == [0, 0, 1, 0] and net.to[2, 0] == 5
    net.clear(np.array([2]))
    assert net.n.sum() == 0 and (net.to == -1).all()


# --- seeking advice ---------------------------------------------------------------------------


def seek_setup():
    """Employee 0 (level 0) with ties to 1 (level 0) and 2 (level 2), every domain used."""
    net = network(n_slots=3, n_ties=3)
    net.team_safety[:] = 1.0
    add(net, 0, 1, 0.5, prior=(0.6, 0.2))
    add(net, 0, 2, 0.5, prior=(0.6, 0.8))
    skill = np.array([[0.2, 0.6], [0.5, 0.5], [0.9, 0.9]])
    ids = np.arange(3)
    level = np.array([0, 0, 2], dtype=np.int16)
    usage = np.ones((3, N_DOMAINS))
    return net, skill, ids, level, usage


def seek_one(
    u_domain: float,
    u_tie: float,
    params: Informal = PARAMS,
    safety: float = 1.0,
    u_seek: float = 0.0,
    proactivity: float = 1.0,
):
    net, skill, ids, level, usage = seek_setup()
    net.team_safety[:] = safety
    u = np.zeros((3, advice.N_DRAWS))
    u[:, advice.SEEK] = 1.0  # only employee 0 may ask
    u[0, advice.SEEK] = u_seek
    u[0, advice.DOMAIN], u[0, advice.TIE] = u_domain, u_tie
    team = np.zeros(3, dtype=np.int64)
    pro = np.array([proactivity, 1.0, 1.0])
    return advice.seek(net, skill, ids, ids, level, team, usage, u, pro, params)


def test_the_domain_is_drawn_by_usage_times_the_gap_to_mastery() -> None:
    # Gaps: domain 0: 0.8, domain 1: 0.4; so domain 0 has 2/3 of the weight.
    assert seek_one(0.66, 0.0).domain.tolist() == [0]
    assert seek_one(0.67, 0.0).domain.tolist() == [1]


def test_the_adviser_is_drawn_by_strength_belief_and_deference() -> None:
    params = PARAMS.model_copy(update={"power_distance": 0.5})
    # Domain 1: beliefs 0.2 (peer) and 0.8 (two levels up, deference 0.25): 0.1 vs 0.1.
    assert seek_one(0.99, 0.49, params).adviser.tolist() == [1]
    assert seek_one(0.99, 0.51, params).adviser.tolist() == [2]
    # Without power distance the senior adviser has 0.4 of 0.5.
    free = PARAMS.model_copy(update={"power_distance": 0.0})
    assert seek_one(0.99, 0.21, free).adviser.tolist() == [2]


def test_nobody_asks_in_a_team_without_safety() -> None:
    assert len(seek_one(0.5, 0.5, safety=0.0).seeker) == 0
    assert len(seek_one(0.5, 0.5, safety=1.0).seeker) == 1


def test_proactive_people_ask_more() -> None:
    """The chance of asking is p_seek_per_week times safety times proactivity."""
    u = 0.75 * PARAMS.p_seek_per_week
    assert len(seek_one(0.5, 0.5, u_seek=u, proactivity=1.0).seeker) == 1
    assert len(seek_one(0.5, 0.5, u_seek=u, proactivity=0.5).seeker) == 0
    assert len(seek_one(0.5, 0.5, u_seek=1.2 * PARAMS.p_seek_per_week, proactivity=1.5).seeker)


def test_an_episode_teaches_who_knows_what_and_strengthens_both_ties() -> None:
    net, skill, ids, level, usage = seek_setup()
    add(net, 2, 0, 0.3)  # the adviser has a tie back
    u = np.zeros((3, advice.N_DRAWS))
    u[1:, advice.SEEK] = 1.0  # only employee 0 asks: domain 1, the last tie (employee 2)
    u[0, advice.DOMAIN], u[0, advice.TIE] = 0.99, 0.99
    free = PARAMS.model_copy(update={"power_distance": 0.0})
    team, pro = np.zeros(3, dtype=np.int64), np.ones(3)
    episode = advice.seek(net, skill, ids, ids, level, team, usage, u, pro, free)
    assert episode.adviser.tolist() == [2] and episode.domain.tolist() == [1]
    assert episode.quality.tolist() == [0.5]  # the strength as chosen
    # The seeker's side is taken as the episode is chosen ...
    rate, gain = PARAMS.rate_belief_update, PARAMS.tie_strength_per_contact
    assert net.belief[0, 1, 1] == pytest.approx(0.8 + rate * (0.9 - 0.8), rel=1e-6)
    assert net.belief[0, 0, 1] == pytest.approx(0.6)  # other domains: unchanged
    assert net.strength[0, 1] == pytest.approx(0.5 + gain * 0.5, rel=1e-6)
    assert net.strength[2, 0] == pytest.approx(0.3)
    # ... and the adviser's when it teaches.
    advice.after_advice(net, episode, ids, PARAMS)
    assert net.strength[2, 0] == pytest.approx(0.3 + gain * 0.7, rel=1e-6)
    assert net.given.tolist() == [0, 0, 1]
    assert net.strength[0, 1] == pytest.approx(0.5 + gain * 0.5, rel=1e-6)  # once only


def test_programme_sessions_make_ties_that_learn_what_the_partner_knows_once() -> None:
    net = network(n_slots=3)
    skill = np.array([[0.2, 0.2], [0.9, 0.7], [0.5, 0.5]])
    ids, level = np.arange(3), np.zeros(3, dtype=np.int16)
    priors = np.full((1, N_DOMAINS), 0.5)
    for _ in range(2):
        advice.programme_contacts(
            net, np.array([0]), np.array([1]), skill, ids, level, priors, PARAMS
        )
    assert net.n[0] == 1 and net.programme[0, 0]
    rate = PARAMS.rate_belief_update
    np.testing.assert_allclose(net.belief[0, :, 0], 0.5 + rate * (skill[1] - 0.5), rtol=1e-6)
    s0, g = PARAMS.tie_strength_initial, PARAMS.tie_strength_per_contact
    once = s0 + g * (1 - s0)
    assert net.strength[0, 0] == pytest.approx(once + g * (1 - once), rel=1e-6)


def test_managers_feedback_follows_their_inclination_and_saturates() -> None:
    """Feedback lands per domain: weighted by the report's usage and the manager's skill,
    times the report's proactivity and the manager's teaching skill."""
    net = network(n_slots=3)
    net.coaching[:] = [0.0, 4.0, 1.0]  # position 0 never coaches; position 1 always
    manager = np.array([-1, 0, 1])
    feedback = np.array([[0.0, 0.0], [0.0, 0.0], [0.5, 0.5]])
    skill = np.array([[0.5, 0.5], [0.8, 0.4], [0.3, 0.3]])
    usage = np.array([[1.0, 0.5]])
    proactivity = np.array([1.0, 1.0, 2.0])
    teaching = np.array([1.0, 1.5, 1.0])
    u = np.full((3, advice.N_DRAWS), 0.5)
    n = advice.manager_feedback(
        net,
        feedback=feedback,
        employee_id=np.arange(3),
        manager=manager,
        level=np.zeros(3, dtype=np.int64),
        skill=skill,
        proactivity=proactivity,
        teaching=teaching,
        usage_by_level=usage,
        u=u,
        params=PARAMS,
    )
    assert n == 1  # only position 2's manager (position 1) coaches
    a = PARAMS.feedback_per_conversation * 2.0 * 1.5 * usage[0] * skill[1]
    np.testing.assert_allclose(feedback[2], 0.5 + np.minimum(a, 1.0) * 0.5)
    np.testing.assert_array_equal(feedback[:2], 0.0)


# --- in the model ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    return load_scenario(FLAGSHIP, ["organisation.n_employees=200", "horizon_weeks=30"])


def test_informal_draws_are_common_to_every_arm(small) -> None:
    """The weekly draws of informal learning are the same in every arm (aligned stream)."""
    a = WorkplaceModel(small, arm="no_programme", replicate=3)
    b = WorkplaceModel(small, arm="both", replicate=3)
    np.testing.assert_array_equal(a.network.to, b.network.to)
    for _ in range(5):
        a.step()
        b.step()
        np.testing.assert_array_equal(a._draws, b._draws)


def test_runs_are_deterministic_and_advice_happens(small) -> None:
    a = WorkplaceModel(small, arm="both", replicate=1)
    b = WorkplaceModel(small, arm="both", replicate=1)
    a.run()
    b.run()
    pd.testing.assert_frame_equal(pd.DataFrame(a.records), pd.DataFrame(b.records))
    last = a.records[-1]
    assert last["advice_episodes_week"] > 0 and last["manager_feedback_week"] > 0
    assert 0 < last["informal_share_of_learning"] < 1
    assert last["advice_ties_per_employee"] > 1
    net, wf = a.network, a.workforce
    occupied = wf.employee_id >= 0
    assert (net.n[~occupied] == 0).all()
    for i in np.flatnonzero(occupied):  # packed rows, no self-ties, no duplicates
        ties = net.to[i, : net.n[i]]
        assert (ties >= 0).all() and (net.to[i, net.n[i] :] == -1).all()
        assert wf.employee_id[i] not in ties and len(set(ties.tolist())) == len(ties)


def test_one_pass_over_the_ties_equals_decay_formation_and_seeking_in_turn(small) -> None:
    # The model decays, forms and chooses advice in one pass (advice.tend); each rule
    # touches only its own row, so the pass must give what the three passes give.
    model = WorkplaceModel(small, arm="both", replicate=2)
    model.run(12)  # ties to leavers, full rows and programme ties to decay
    wf, params = model.workforce, small.informal
    u = advice.draw_week(np.random.default_rng(5), wf.n_slots)
    one, three = copy.deepcopy(model.network), copy.deepcopy(model.network)
    episodes = advice.tend(
        one, skill=wf.skill, employee_id=wf.employee_id, slot_of_id=wf.slot_of_id,
        level=wf.level, team=wf.team, members=model._members, beliefs=model._beliefs,
        usage_by_level=model.usage_by_level, u=u, proactivity=wf.proactivity,
        rules=advice.tie_rules(params, small.n_levels),
    )  # fmt: skip
    advice.maintain(three, wf.slot_of_id, wf.team, params)
    advice.form(three, wf.employee_id, wf.level, wf.team, model._members, model._beliefs, u, params)
    expected = advice.seek(
        three, wf.skill, wf.employee_id, wf.slot_of_id, wf.level, wf.team, model.usage_by_level,
        u, wf.proactivity, params,
    )  # fmt: skip
    assert len(episodes.seeker) > 0
    for got, want in zip(episodes, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    for name in ("n", "to", "strength", "belief", "programme"):
        np.testing.assert_array_equal(getattr(one, name), getattr(three, name))


def test_switching_informal_learning_off_removes_it_and_nothing_else(small) -> None:
    off = small.model_copy(
        update={"informal": small.informal.model_copy(update={"enabled": False})}
    )
    model = WorkplaceModel(off, arm="both")
    model.run()
    last = model.records[-1]
    assert last["advice_episodes_week"] == 0 and last["manager_feedback_week"] == 0
    assert last["advice_ties_per_employee"] == 0 and last["skill_gained_informal"] == 0
    assert last["skill_gained_programmes"] > 0


def test_ties_of_the_initial_workforce_survive_burn_in_renumbering(small) -> None:
    burned = load_scenario(
        FLAGSHIP, ["organisation.n_employees=200", "organisation.dur_burn_in_weeks=20"]
    )
    model = WorkplaceModel(burned, arm="no_programme")
    wf, net = model.workforce, model.network
    seeker = np.repeat(np.arange(wf.n_slots), net.n)
    advisers = np.concatenate([net.to[i, : net.n[i]] for i in range(wf.n_slots)])
    assert len(advisers) > wf.n_slots
    # After renumbering, every tie names a current employee, and most ties are to
    # teammates or the manager, as they were formed.
    assert (wf.slot_of_id[advisers] >= 0).all()
    same_team = wf.team[wf.slot_of_id[advisers]] == wf.team[seeker]
    assert same_team.mean() > 0.5


def test_the_adviser_is_chosen_in_64_bits_compiled_or_not(monkeypatch) -> None:
    """Strength times belief is a 64-bit product in the kernel as in plain Python.

    In a numba kernel ``float()`` keeps a 32-bit number in 32 bits, so a product of two
    stored numbers was rounded to 32 bits and a draw between the two products could
    choose another adviser compiled than with ``NUMBA_DISABLE_JIT=1``.
    """
    free = PARAMS.model_copy(update={"power_distance": 0.0})
    net, skill, ids, level, usage = seek_setup()
    # Tie 0's 32-bit product rounds down: its share of the total is smaller in 32 bits.
    a, b = np.float32(0.1), np.float32(0.3)
    assert np.float32(a * b) < np.float64(a) * np.float64(b)
    d = 1  # the domain asked about (u_domain 0.99)
    net.strength[0, 0], net.belief[0, d, 0] = a, b
    exact = np.float64(a) * np.float64(b)
    other = np.float64(net.strength[0, 1]) * np.float64(net.belief[0, d, 1])
    rounded = np.float64(np.float32(a * b))
    u_tie = (exact / (exact + other) + rounded / (rounded + other)) / 2  # between the two
    u = np.zeros((3, advice.N_DRAWS))
    u[:, advice.SEEK] = 1.0
    u[0, advice.SEEK], u[0, advice.DOMAIN], u[0, advice.TIE] = 0.0, 0.99, u_tie
    team, pro = np.zeros(3, dtype=np.int64), np.ones(3)

    def choose() -> list[int]:
        fresh = AdviceNetwork(**{k: v.copy() for k, v in vars(net).items()})
        return advice.seek(
            fresh, skill, ids, ids, level, team, usage, u, pro, free
        ).adviser.tolist()

    compiled = choose()
    monkeypatch.setattr(advice, "_tend", getattr(advice._tend, "py_func", advice._tend))
    assert compiled == choose() == [1]  # tie 0 (adviser 1) has the larger exact share


def test_a_seeker_whose_ties_have_no_valid_score_asks_nobody(monkeypatch) -> None:
    """NaN strengths give a NaN total and no positive score: no episode, no row changed.

    Validated inputs never hold a NaN, but ``seek`` and ``tend`` are public. Without the
    check the picked tie stayed -1, and as an unsigned index it wrote into the row
    before the seeker's (compiled) or raised (with ``NUMBA_DISABLE_JIT=1``).
    """
    net = network(n_slots=3, n_ties=2)
    for i, others in ((0, (1, 2)), (1, (0, 2)), (2, (0, 1))):
        for other in others:
            add(net, i, other, 0.5)
    net.strength[1, :] = np.nan  # the seeker's ties
    skill, ids = np.full((3, N_DOMAINS), 0.3), np.arange(3)
    level, team = np.zeros(3, dtype=np.int16), np.zeros(3, dtype=np.int64)
    u = np.ones((3, advice.N_DRAWS))
    u[1, advice.SEEK], u[1, advice.DOMAIN], u[1, advice.TIE] = 0.0, 0.5, 0.5

    def ask() -> tuple[advice.Advice, AdviceNetwork]:
        fresh = AdviceNetwork(**{k: v.copy() for k, v in vars(net).items()})
        usage = np.ones((1, N_DOMAINS))
        return advice.seek(fresh, skill, ids, ids, level, team, usage, u, np.ones(3), PARAMS), fresh

    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(advice, "_tend", getattr(advice._tend, "py_func", advice._tend))
        episodes, after = ask()
        assert len(episodes.seeker) == 0
        for name, before in vars(net).items():
            np.testing.assert_array_equal(getattr(after, name), before, err_msg=name)


def _random_state(seed: int):
    """A small organisation's state with vacant positions, leavers, full rows and self-pairs."""
    rng = np.random.default_rng(seed)
    n, width, n_domains, n_levels, n_ids = 50, 6, 3, 4, 120
    net = AdviceNetwork.empty(n, width, n_domains)
    employee_id = rng.choice(n_ids, n, replace=False).astype(np.int64)
    employee_id[rng.random(n) < 0.2] = -1  # vacant positions
    slot_of_id = np.full(n_ids, -1, dtype=np.int64)  # every other id has left
    occupied = employee_id >= 0
    slot_of_id[employee_id[occupied]] = np.flatnonzero(occupied)
    for i in np.flatnonzero(occupied):
        k = width if seed % 3 == 0 else int(rng.integers(0, width + 1))  # full rows, or any
        net.n[i] = k
        net.to[i, :k] = rng.choice(n_ids, k, replace=False)
        net.strength[i, :k] = rng.random(k)
        net.belief[i, :, :k] = rng.random((n_domains, k))
        net.programme[i, :k] = rng.random(k) < 0.3
    learner, partner = rng.integers(0, n, 200), rng.integers(0, n, 200)
    partner[::7] = learner[::7]  # a session with oneself is skipped
    return {
        "rng": rng,
        "net": net,
        "employee_id": employee_id,
        "slot_of_id": slot_of_id,
        "occupied": occupied,
        "level": rng.integers(0, n_levels, n).astype(np.int16),
        "team": rng.integers(0, 5, n).astype(np.int64),
        "skill": rng.random((n, n_domains)),
        "usage": rng.random((n_levels, n_domains)),
        "learner": learner,
        "partner": partner,
    }


def _a_week_of_advice_kernels(seed: int) -> dict[str, np.ndarray]:
    """Every advice rule once on :func:`_random_state`; every array they return or change."""
    s = _random_state(seed)
    rng, net, level, skill, usage = s["rng"], s["net"], s["level"], s["skill"], s["usage"]
    params = PARAMS.model_copy(
        update={"p_seek_per_week": 0.9, "p_tie_form_per_week": 0.8, "power_distance": 0.3}
    )
    n, n_levels = len(level), usage.shape[0]
    beliefs = advice.level_means(skill, level, s["occupied"], n_levels)
    u = rng.random((n, advice.N_DRAWS))
    episodes = advice.tend(
        net,
        skill=skill,
        employee_id=s["employee_id"],
        slot_of_id=s["slot_of_id"],
        level=level,
        team=s["team"],
        members=advice.team_members(s["team"]),
        beliefs=beliefs,
        usage_by_level=usage,
        u=u,
        proactivity=rng.random(n) * 2,
        rules=advice.tie_rules(params, n_levels),
    )
    advice.after_advice(net, episodes, s["employee_id"], params)
    advice.programme_contacts(
        net, s["learner"], s["partner"], skill, s["employee_id"], level, beliefs, params
    )
    feedback = rng.random((n, skill.shape[1]))
    conversations = advice.manager_feedback(
        net,
        feedback=feedback,
        employee_id=s["employee_id"],
        manager=rng.integers(-1, n, n),
        level=level,
        skill=skill,
        proactivity=rng.random(n),
        teaching=rng.random(n),
        usage_by_level=usage,
        u=u,
        params=params,
    )
    advice.maintain(net, s["slot_of_id"], s["team"], params)
    return {
        **{f"episode {k}": v for k, v in episodes._asdict().items()},
        **{f"network {k}": v for k, v in vars(net).items()},
        "beliefs": beliefs,
        "feedback": feedback,
        "conversations": np.array([conversations]),
    }


def test_the_advice_kernels_give_the_same_numbers_compiled_and_in_python(monkeypatch) -> None:
    """Each kernel's compiled code against its Python function, on hard random states.

    Vacant positions, ties to leavers, full rows (where a new tie replaces the weakest
    or is refused) and sessions with oneself; the golden baseline's run with numba off
    covers only two scenarios.
    """
    seeds = range(9)
    compiled = [_a_week_of_advice_kernels(seed) for seed in seeds]
    for name in ("_tend", "_after_advice", "_programme_contacts", "_manager_feedback",
                 "_level_means"):  # fmt: skip
        fn = getattr(advice, name)
        monkeypatch.setattr(advice, name, getattr(fn, "py_func", fn))
    assert sum(len(c["episode seeker"]) for c in compiled) > 100  # advice happened
    for seed, got in zip(seeds, compiled, strict=True):
        for key, value in _a_week_of_advice_kernels(seed).items():
            np.testing.assert_array_equal(got[key], value, err_msg=f"seed {seed}: {key}")
