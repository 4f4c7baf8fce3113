"""A programme in HR terms: translation, headcount caps, overhead costs, the conclusion."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.conclusion import conclude, number
from sim.errors import ScenarioError
from sim.model.workplace import WorkplaceModel
from sim.scenario import hrterms
from sim.scenario.loading import dump_scenario, load_scenario
from sim.scenario.schema import Costs, Programme

BASE = """
extends = "{base}"
name = "hr"
horizon_weeks = 20
replicates = 1
[organisation]
n_employees = 300
[programmes.pilot]
{prog}
[arms.none]
programmes = []
[arms.pilot]
programmes = ["pilot"]
"""


def _load(tmp_path, prog: str, extra: str = "", sets=()):
    from pathlib import Path

    base = Path(__file__).parent.parent / "scenarios" / "baseline.toml"
    path = tmp_path / "hr.toml"
    path.write_text(BASE.format(base=base.as_posix(), prog=prog) + extra)
    return load_scenario(path, sets)


MENTORS = 'kind = "mentorship"'
PILOT = MENTORS + "\nn_guides = 10\nn_learners = 20"


# --- translation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stated", "weeks", "per_guide"),
    [
        ({"kind": "mentorship"}, 0, 2),  # the share form: nothing translated
        ({"kind": "mentorship", "dur_programme_months": 6}, 26, 2),
        ({"kind": "mentorship", "dur_programme_months": 12}, 52, 2),
        ({"kind": "mentorship", "dur_programme_months": 1}, 4, 2),  # 4.33 rounds to 4
        ({"kind": "mentorship", "dur_programme_months": 0.1}, 1, 2),  # at least a week
        ({"kind": "mentorship", "n_guides": 10, "n_learners": 20}, 0, 2),
        ({"kind": "mentorship", "n_guides": 10, "n_learners": 25}, 0, 3),  # ceil(2.5)
        ({"kind": "mentorship", "n_guides": 10, "n_learners": 5}, 0, 1),
        ({"kind": "mentorship", "n_learners": 20}, 0, 2),  # the design's capacity stays
    ],
)
def test_hr_terms_translate_as_documented(stated, weeks, per_guide):
    prog = Programme.model_validate(stated)
    assert prog.dur_programme_weeks == weeks
    assert prog.n_learners_per_guide_max == per_guide


@pytest.mark.parametrize(
    ("kind", "stated", "taking_part"),
    [("group_circles", 20, 18), ("group_circles", 6, 6), ("peer_coaching", 21, 20)],
)
def test_groups_and_peer_pairs_round_down_to_whole_ones(kind, stated, taking_part):
    assert hrterms.places(Programme(kind=kind), stated) == taking_part


def test_translation_is_recorded_and_reloads_identically(tmp_path):
    sc = _load(tmp_path, PILOT + "\ndur_programme_months = 6")
    text = dump_scenario(sc)
    assert text.startswith("# Programmes in HR terms")
    assert "n_learners_per_guide_max = 2" in text and "dur_programme_weeks = 26" in text
    again = tmp_path / "resolved.toml"
    again.write_text(text)
    assert sim.scenario.loading.load_resolved(again) == sc


@pytest.mark.parametrize(
    ("prog", "words"),
    [
        (MENTORS + "\nn_learners = 400", ["n_learners = 400", "more learners than the 240"]),
        (MENTORS + "\nn_learners = 100", ["about 72 of the 240", "p_enrol to at least 0.42"]),
        ('kind = "mentorship"\nn_guides = 200', ["n_guides = 200", "more guides than the 135"]),
        ('kind = "group_circles"\nn_learners = 4', ["too few to form groups of 6"]),
        ('kind = "peer_coaching"\nn_guides = 2', ["peer_coaching has no guides"]),
        (
            'kind = "mentorship"\nn_learners = 20\nbudget_hours_per_week = 10',
            ["budget_hours_per_week = 10", "needs 20.0 person-hours a week", "20 learners"],
        ),
        (
            'kind = "mentorship"\nn_learners = 20\nbudget_per_year = 1000',
            ["budget_per_year = 1,000 USD", "costs 48,060 USD a year"],
        ),
    ],
)
def test_infeasible_programmes_are_refused_naming_both_numbers(tmp_path, prog, words):
    with pytest.raises(ScenarioError) as err:
        _load(tmp_path, prog)
    for w in words:
        assert w in str(err.value)


def test_an_arm_may_change_the_headcount(tmp_path):
    sc = _load(
        tmp_path,
        'kind = "mentorship"\nn_guides = 10\nn_learners = 20',
        '\n[arms.bigger]\nprogrammes = ["pilot"]\n'
        'overrides = { "programmes.pilot.n_learners" = 40 }\n',
    )
    own = sim.scenario.loading.arm_scenario(sc, "bigger")
    assert own.programmes["pilot"].n_learners_per_guide_max == 4


# --- the engine's headcount caps and the overheads -----------------------------------------


def test_caps_hold_exactly_the_headcounts_and_overheads_add_up(tmp_path):
    sc = _load(
        tmp_path,
        PILOT + "\ndur_programme_months = 3\nstart_week = 2",
        "\n[costs]\nhours_coordination_per_week = 4\nhours_training_per_guide = 8\n"
        "fee_platform_per_participant_per_year = 52\n",
    )
    model = WorkplaceModel(sc, arm="pilot", replicate=0)
    prog = model.programmes[0]
    costs, wage = sc.costs, np.asarray(sc.costs.salary_per_year_by_level) / sc.costs.hours_per_year
    expected, trained = 0.0, set()
    for week in range(18):
        before = model.ledger.totals.overhead_cost
        model.step()
        rel = prog.relationships
        running = 2 <= week < 2 + 13
        assert len(rel) == (20 if running else 0)
        assert len(np.unique(rel.a)) == (10 if running else 0)
        if running:  # coordination at level 1's wage, 1 a week per person taking part
            new = [g for g in np.unique(rel.a) if g not in trained]
            trained |= set(new)
            levels = model.workforce.level[model.workforce.slot_of_id[new]]
            week_cost = 4 * wage[costs.level_coordinator] + 30 + 8 * wage[levels].sum()
            assert model.ledger.totals.overhead_cost - before == pytest.approx(week_cost)
            expected += week_cost
    rec = model.records[-1]
    assert rec["overhead_cost"] == pytest.approx(expected)
    assert rec["programme_cost"] == pytest.approx(rec["session_cost"] + expected)
    assert rec["total_cost"] == pytest.approx(rec["programme_cost"] + rec["replacement_cost"])


def test_plan_prices_hours_by_hand():
    prog = Programme(kind="mentorship", n_learners=20, n_guides=10)
    counts = [100, 50, 20, 5, 1]

    costs = Costs(
        salary_per_year_by_level=(36_000.0, 54_000.0, 72_000.0, 90_000.0, 180_000.0),
        hours_per_year=1800.0,
        level_coordinator=1,
        hours_coordination_per_week=2.0,
        fee_platform_per_participant_per_year=10.0,
        hours_training_per_guide=1.0,
    )
    p = hrterms.plan(prog, counts, costs)
    assert p.eligible_learners == 150 and p.eligible_guides == 76
    assert p.hours_per_week == pytest.approx(20 * 0.5 * 1.0 * 2)
    learner_wage = (100 * 20 + 50 * 30) / 150
    guide_wage = (50 * 30 + 20 * 40 + 5 * 50 + 1 * 100) / 76
    assert p.session_cost_per_year == pytest.approx(10 * (learner_wage + guide_wage) * 52)
    assert p.overhead_per_year == pytest.approx(2 * 52 * 30 + 10 * 30 + 10 * guide_wage)


# --- the conclusion ------------------------------------------------------------------------


def _series(gain: float, noise: float, n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for arm, shift in (("none", 0.0), ("pilot", gain)):
        for r in range(n):
            for week in (0, 10):
                rows.append(
                    dict(
                        arm=arm, replicate=r, week=week, headcount=100,
                        mean_skill=0.6 + (shift + noise * rng.standard_normal()) * (week > 0),
                        promotions=10.0 - 2 * (arm == "pilot") + 0.1 * r,
                        cumulative_quits=20.0 - 3 * (arm == "pilot") + 0.1 * r,
                        programme_cost=(12_345_678.0 + r) * (arm == "pilot"),
                    )
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_conclusion_states_direction_magnitude_and_explains_fewer_promotions():
    text = " ".join(conclude(_series(0.05, 0.001), None, "EUR"))
    assert re.search(r"mean skill \(0-1\) rose by 0\.0(49|50)", text)
    assert "12,345,680 EUR" in text and "e+" not in text
    assert "Fewer promotions" in text and "fewer vacancies" in text
    down = " ".join(conclude(_series(-0.05, 0.001), None, "EUR"))
    assert re.search(r"mean skill \(0-1\) fell by 0\.0(49|50)", down)


def test_conclusion_says_no_detectable_difference_when_the_interval_spans_zero():
    text = " ".join(conclude(_series(0.0, 0.05), None, "EUR"))
    assert "no detectable difference in mean skill" in text and "spans 0" in text


def test_numbers_never_use_scientific_notation():
    assert number(-9.87e-06, True) == "-0.0000"
    assert number(1.264e06) == "1,264,000"
