"""Replicates advanced together give exactly the numbers they give alone.

:class:`sim.model.workplace.ReplicateBatch` lays the replicates of an arm end to end and
runs the per-position rules once over all of them. Every table a run produces (weekly
metrics, survival, cohort snapshots) must be identical, value for value, to the same
replicate run alone, for every scenario file shipped in ``scenarios/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import ScenarioError
from sim.experiments.run import run_arm_tables, run_batch_tables
from sim.model.workforce import stack
from sim.model.workplace import ReplicateBatch, WorkplaceModel
from sim.scenario.loading import validate_scenario
from sim.scenario.resources import MAX_BATCH, batch_size

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))
SMALL = ["organisation.n_employees=120", "horizon_weeks=16"]
REPLICATES = [0, 2, 5]  # not consecutive: a batch keeps each replicate's own streams


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_every_replicate_of_a_batch_equals_its_run_alone(path):
    scenario = sim.load_scenario(path, overrides=SMALL)
    weeks = (8, 16)  # the cohort snapshots run with the batch too
    for arm in scenario.arms:
        together = run_batch_tables(scenario, arm, REPLICATES, weeks=weeks)
        for r, tables in zip(REPLICATES, together, strict=True):
            alone = run_arm_tables(scenario, arm, r, weeks=weeks)
            for mine, theirs in zip(tables, alone, strict=True):
                pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


def test_events_and_burn_in_run_alike_in_a_batch():
    # No shipped scenario has a burn-in or departures: add them to one with a skill seeded
    # at week 0 and a peer-coaching arm (digital_shift.toml's demand ramp runs above).
    path = ROOT / "scenarios/new_skill.toml"
    raw = sim.load_scenario(path, overrides=SMALL).model_dump(mode="python")
    raw["organisation"]["dur_burn_in_weeks"] = 6
    domain = raw["organisation"]["domains"][0]
    raw["departures"] = [{"week": 5, "who": "top_experts", "domain": domain, "k": 4}]
    scenario = validate_scenario(raw)
    for arm in scenario.arms:
        together = run_batch_tables(scenario, arm, REPLICATES, weeks=(16,))
        for r, tables in zip(REPLICATES, together, strict=True):
            alone = run_arm_tables(scenario, arm, r, weeks=(16,))
            for mine, theirs in zip(tables, alone, strict=True):
                pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


def test_batched_replicates_differ_from_each_other():
    # The identity above would also hold if every replicate were the same run.
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.toml", overrides=SMALL)
    frames = [t[0] for t in run_batch_tables(scenario, "no_programme", [0, 1])]
    assert not np.array_equal(frames[0]["mean_skill"], frames[1]["mean_skill"])


def test_replicates_share_arrays_with_the_batch():
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.toml", overrides=SMALL)
    models = [WorkplaceModel(scenario, replicate=r) for r in (0, 1)]
    batch = ReplicateBatch(models)
    n = models[0].workforce.n_slots
    assert np.shares_memory(models[1].workforce.skill, batch.workforce.skill)
    np.testing.assert_array_equal(batch.workforce.skill[n:], models[1].workforce.skill)
    np.testing.assert_array_equal(
        batch.workforce.manager[n:][1:], models[1].workforce.manager[1:] + n
    )
    with pytest.raises(RuntimeError, match="advanced with its batch of 2"):
        models[0].step()


def test_a_batch_refuses_models_of_different_arms_or_positions():
    path = ROOT / "scenarios/mentorship_vs_peer_coaching.toml"
    scenario = sim.load_scenario(path, overrides=SMALL)
    models = [WorkplaceModel(scenario, arm=a) for a in ("no_programme", "mentorship")]
    with pytest.raises(ValueError, match="one arm of one scenario"):
        ReplicateBatch(models)
    other = sim.load_scenario(path, overrides=["organisation.n_employees=90"])
    wfs = [WorkplaceModel(s).workforce for s in (scenario, other)]
    with pytest.raises(ValueError, match="same positions"):
        stack(wfs)


def test_batch_size_shares_runs_among_workers_within_bounds(monkeypatch):
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.toml", ["organisation.n_employees=200"])
    monkeypatch.setattr("sim.scenario.resources.available_bytes", lambda: 2**40)
    assert batch_size(scenario, 6) == 6
    assert batch_size(scenario, 10, workers=4) == 3
    assert batch_size(scenario, 1000) == MAX_BATCH
    # Large organisations: fewer replicates per batch, so that a batch stays in cache.
    big = sim.load_scenario(ROOT / "scenarios/baseline.toml", ["organisation.n_employees=1000"])
    assert batch_size(big, 1000) == 2
    monkeypatch.setenv("WLSIM_MAX_BATCH", "1")
    assert batch_size(scenario, 1000) == 1
    monkeypatch.setenv("WLSIM_MAX_BATCH", "0")
    with pytest.raises(ScenarioError, match="WLSIM_MAX_BATCH='0'"):
        batch_size(scenario, 1000)
    monkeypatch.delenv("WLSIM_MAX_BATCH")
    assert batch_size(scenario, 0) == 1
    # Little memory left: smaller batches, never none.
    monkeypatch.setattr("sim.scenario.resources.available_bytes", lambda: 2 * 2**20)
    assert batch_size(scenario, 32) == 1


def test_sweep_jobs_are_batched_by_point_and_arm(monkeypatch):
    from sim.experiments.sweep import Job, batches

    monkeypatch.setattr("sim.scenario.resources.available_bytes", lambda: 2**40)
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.toml", ["organisation.n_employees=200"])
    jobs = [
        Job(f"p{p}-r{r}-{arm}", p, arm, r, scenario)
        for p in range(2)
        for r in range(5)
        for arm in ("a", "b")
    ]
    grouped = batches(jobs, workers=2)
    assert sorted(j.run_id for b in grouped for j in b) == sorted(j.run_id for j in jobs)
    for b in grouped:
        assert len({(j.point, j.arm) for j in b}) == 1  # one point and arm per batch
    assert [len(b) for b in grouped] == [3, 2] * 4  # 5 replicates over 2 workers


def test_sweep_jobs_over_a_posterior_are_batched_by_point_arm_and_draw(monkeypatch):
    from sim.experiments.sweep import Job, batches

    monkeypatch.setattr("sim.scenario.resources.available_bytes", lambda: 2**40)
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.toml", ["organisation.n_employees=200"])
    jobs = [
        Job(f"p{p}-r{r}-{arm}", p, arm, r, scenario, r // 3)
        for p in range(2)
        for r in range(6)
        for arm in ("a", "b")
    ]
    grouped = batches(jobs, workers=1)
    assert sorted(j.run_id for b in grouped for j in b) == sorted(j.run_id for j in jobs)
    assert [len(b) for b in grouped] == [3] * 8  # two draws of 3 replicates, not one of 6
    for b in grouped:
        assert len({(j.point, j.arm, j.draw) for j in b}) == 1
