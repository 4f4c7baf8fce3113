"""The figures of sim.analysis.plots on small organisations: what they draw, not pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.analysis import plots
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_scenario

FLAGSHIP = Path(__file__).resolve().parent.parent / "scenarios" / "mentorship_vs_peer_coaching.toml"
SMALL = ["organisation.n_employees=60", "horizon_weeks=12"]


@pytest.fixture(scope="module")
def both() -> WorkplaceModel:
    """A small organisation running both programmes for 12 weeks: advice and programme ties."""
    model = WorkplaceModel(load_scenario(FLAGSHIP, SMALL), "both", replicate=0)
    model.run()
    return model


def _labels(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def test_advice_ties_are_the_networks_edges_with_their_programme_flag(both) -> None:
    seeker, adviser, strength, programme = plots.advice_ties(both)
    edges = both.network.edges(both.workforce.slot_of_id)
    for got, want in zip((seeker, adviser, strength), edges, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(seeker) > 0 and programme.dtype == bool
    assert 0 < programme.sum() < len(programme)  # sessions made some of the ties
    # Each flag is the one stored with that tie.
    net = both.network
    for s, a, flag in zip(seeker[:50], adviser[:50], programme[:50], strict=True):
        k = np.flatnonzero(net.to[s] == both.workforce.employee_id[a])
        assert net.programme[s, k[0]] == flag


def test_draw_advice_ties_draws_every_tie_in_one_collection(both) -> None:
    fig = Figure()
    ax = fig.subplots()
    pos = np.random.default_rng(0).random((both.workforce.n_slots, 2))
    handles = plots.draw_advice_ties(ax, both, pos)
    (lines,) = ax.collections
    assert isinstance(lines, LineCollection)
    seeker, adviser, strength, programme = plots.advice_ties(both)
    assert len(lines.get_segments()) == len(seeker)
    np.testing.assert_allclose(lines.get_segments()[0], pos[[seeker[0], adviser[0]]])
    colours = lines.get_colors()
    assert (colours[programme, :3] == colours[programme][0, :3]).all()
    assert (colours[~programme, :3] != colours[programme][0, :3]).any(axis=1).all()
    weak, strong = np.argmin(strength), np.argmax(strength)
    if programme[weak] == programme[strong]:
        assert colours[weak, 3] < colours[strong, 3]  # fainter the weaker
    assert [h.get_label() for h in handles] == [
        f"advice ties ({len(seeker):,})",
        f"advice ties a programme made ({int(programme.sum()):,})",
    ]


def test_only_the_strongest_ties_are_drawn_above_the_limit(both) -> None:
    ax = Figure().subplots()
    pos = np.zeros((both.workforce.n_slots, 2))
    handles = plots.draw_advice_ties(ax, both, pos, max_ties=10)
    (lines,) = ax.collections
    assert len(lines.get_segments()) == 10
    strength = plots.advice_ties(both)[2]
    alphas = lines.get_colors()[:, 3]
    assert alphas.min() >= 0.06 + 0.5 * np.sort(strength)[-10] - 1e-9
    assert f"strongest 10 of {len(strength):,}" in handles[0].get_label()


def test_without_informal_learning_no_advice_tie_is_drawn() -> None:
    scenario = load_scenario(FLAGSHIP, [*SMALL, "informal.enabled=false"])
    model = WorkplaceModel(scenario, "both", replicate=0)
    ax = Figure().subplots()
    assert plots.draw_advice_ties(ax, model, np.zeros((model.workforce.n_slots, 2))) == []
    assert not ax.collections
    assert not any("advice" in label for label in _labels(plots.network(model)))


def test_the_network_figure_draws_and_names_the_advice_ties(both) -> None:
    fig = plots.network(both, max_nodes=40)
    (ax, _colourbar) = fig.axes
    seeker, adviser, _, programme = plots.advice_ties(both)
    drawn = plots.shown_positions(both, 40)
    inside = np.isin(seeker, drawn) & np.isin(adviser, drawn)
    advice = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_zorder() == 1.5]
    assert len(advice) == 1 and len(advice[0].get_segments()) == inside.sum()
    labels = _labels(fig)
    assert f"advice ties ({int(inside.sum()):,})" in labels
    assert f"advice ties a programme made ({int(programme[inside].sum()):,})" in labels
    assert {"mentorship", "peer_coaching"} <= set(labels)
    sizes = ax.collections[-1].get_sizes()
    assert len(set(sizes)) > 1  # dots are sized by level


def _timeseries() -> pd.DataFrame:
    rows = []
    for arm in ("no_programme", "both"):
        for replicate in (0, 1):
            model = WorkplaceModel(load_scenario(FLAGSHIP, SMALL), arm, replicate=replicate)
            model.run()
            rows += [{"arm": arm, "replicate": replicate, **r} for r in model.records]
    return pd.DataFrame(rows)


def test_learning_figure_shows_informal_and_programme_gains_with_bands(tmp_path) -> None:
    ts = _timeseries()
    fig = plots.learning(ts)
    gains, share = fig.axes
    labels = [line.get_label() for line in gains.lines]
    assert labels == [
        "no_programme from advice",
        "both from advice",
        "no_programme in programmes",
        "both in programmes",
    ]
    mean = ts[ts["arm"] == "both"].groupby("week")["skill_gained_programmes"].mean()
    np.testing.assert_allclose(gains.lines[3].get_ydata(), mean.to_numpy())
    assert len(gains.collections) == 4  # a 95% band under every line
    assert [line.get_label() for line in share.lines] == ["no_programme", "both"]
    # Without a programme, all learning from others is advice.
    assert np.nanmin(share.lines[0].get_ydata()) == 1.0
    assert "Learning from others" in fig.get_suptitle()
    names = {p.name for p in plots.save_figures(ts, tmp_path)}
    assert "learning.png" in names
    older = ts.drop(columns=list(plots.LEARNING_COLUMNS))
    assert "learning.png" not in {p.name for p in plots.save_figures(older, tmp_path / "old")}


def test_a_large_organisation_is_drawn_as_every_manager_and_whole_teams() -> None:
    """Issue: with 1,000 employees the figure drew the top 400 positions only, so the
    individual contributors' row was empty without saying why."""
    model = WorkplaceModel(load_scenario(FLAGSHIP, ["organisation.n_employees=1000"]), "both")
    wf = model.workforce
    shown = plots.shown_positions(model, 400)
    assert len(shown) <= 400
    first = model.params.organisation.first_manager_level
    assert set(np.flatnonzero(wf.level >= first)) <= set(shown.tolist())  # every manager
    reports = shown[wf.level[shown] < first]
    assert len(reports) > 0
    for team in np.unique(wf.team[reports]):  # whole teams
        members = np.flatnonzero((wf.team == team) & (wf.level < first))
        assert set(members) <= set(shown.tolist())
    fig = plots.network(model)
    title = fig.axes[0].get_title()
    assert f"{len(shown):,} of 1,000 positions drawn" in title
    offsets = fig.axes[0].collections[-1].get_offsets()
    assert len(offsets) == len(shown) and (np.asarray(offsets)[:, 1] < 0.5).any()
