"""The advice network of a model, as HR teams and researchers ask about it.

Who asks whom (structure: degree, reciprocity, clustering, ties across teams, brokers),
who carries the organisation's help, and which knowledge is at risk (few experts, teams
with no tie to any expert). Pure functions of a model's state; networkx is used here,
for analysis only, never in the weekly step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.metrics import slug

if TYPE_CHECKING:
    import networkx as nx

    from sim.model.workplace import WorkplaceModel

#: Skill from which an employee counts as an expert in a domain (0-1 scale): above the
#: plateau that practice alone reaches by default (learning.skill_plateau = 0.7).
EXPERT_SKILL = 0.75


def advice_graph(model: WorkplaceModel) -> nx.DiGraph:
    """The advice network as a directed graph of positions (seeker -> adviser).

    Nodes carry ``team``, ``level`` and ``employee_id``; edges ``strength`` and
    ``programme`` (made or strengthened in a programme).
    """
    import networkx as nx

    wf, net = model.workforce, model.network
    graph = nx.DiGraph()
    occupied = np.flatnonzero(wf.occupied)
    graph.add_nodes_from(
        (
            int(i),
            {
                "team": int(wf.team[i]),
                "level": int(wf.level[i]),
                "employee_id": int(wf.employee_id[i]),
            },
        )
        for i in occupied
    )
    seeker, tie, adviser = net.ties(wf.slot_of_id)
    graph.add_edges_from(
        (int(i), int(j), {"strength": float(s), "programme": bool(p)})
        for i, j, s, p in zip(
            seeker, adviser, net.strength[seeker, tie], net.programme[seeker, tie], strict=True
        )
    )
    return graph


def top_share(values: np.ndarray, share: float) -> float:
    """Share of the total held by the top ``share`` of the values (e.g. 0.05: top 5%)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    if total <= 0 or len(v) == 0:
        return float("nan")
    k = max(1, round(share * len(v)))
    return float(v[:k].sum() / total)


def summary(
    model: WorkplaceModel, top: float = 0.05, seed: int = 0, brokerage: bool = True
) -> dict[str, Any]:
    """Structure of the advice network and who carries the help.

    Args:
        model: A model (any week).
        top: The top share of people for the concentration measures.
        seed: Seed of the node sample for betweenness in networks of over 500 people.
        brokerage: Compute betweenness (the slowest measure; NaN when false).

    Returns:
        ``employees``, ``ties``, ``mean_out_degree``, ``density``, ``reciprocity`` (share
        of ties returned), ``clustering`` (mean, undirected), ``share_cross_team`` (ties
        to someone in another team), ``share_programme_ties``, ``help_top_share`` (share
        of advice given, since week 0, by the top ``top`` of employees),
        ``in_degree_top_share`` (share of ties pointing to the top ``top`` most asked),
        ``brokerage_top_share`` (share of betweenness held by the top ``top``).
    """
    import networkx as nx

    graph = advice_graph(model)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    wf, net = model.workforce, model.network
    teams = nx.get_node_attributes(graph, "team")
    cross = sum(teams[i] != teams[j] for i, j in graph.edges)
    programme = sum(1 for *_, p in graph.edges(data="programme") if p)
    sample = min(n, 500) if n > 500 else None
    betweenness = nx.betweenness_centrality(graph, k=sample, seed=seed) if m and brokerage else {}
    return {
        "week": model.week,
        "employees": n,
        "ties": m,
        "mean_out_degree": m / n if n else float("nan"),
        "density": nx.density(graph) if n > 1 else float("nan"),
        "reciprocity": nx.reciprocity(graph) if m else float("nan"),
        "clustering": nx.average_clustering(graph.to_undirected()) if n else float("nan"),
        "share_cross_team": cross / m if m else float("nan"),
        "share_programme_ties": programme / m if m else float("nan"),
        "help_top_share": top_share(net.given[wf.occupied], top),
        "in_degree_top_share": top_share(np.array([d for _, d in graph.in_degree()]), top),
        "brokerage_top_share": top_share(np.array(list(betweenness.values())), top)
        if betweenness
        else float("nan"),
    }


def knowledge_at_risk(model: WorkplaceModel, expert_skill: float = EXPERT_SKILL) -> pd.DataFrame:
    """Per domain: how many experts there are and whether teams can reach one.

    Args:
        model: A model (any week).
        expert_skill: Skill from which an employee counts as an expert.

    Returns:
        One row per domain: ``n_experts``; ``single_point_of_failure`` (at most one
        expert); ``top2_share_of_expertise`` (share of the skill above ``expert_skill``
        held by the two most skilled); ``share_ties_to_experts`` (of all advice ties,
        those to an expert in the domain); ``teams_without_expert_tie`` (teams none of
        whose members has a tie to an expert of the domain, experts' own teams
        excepted) and ``n_teams``.
    """
    wf, net = model.workforce, model.network
    occupied = wf.occupied
    teams = np.unique(wf.team[occupied])
    seeker, _, adviser = net.ties(wf.slot_of_id)
    rows = []
    for d, domain in enumerate(model.params.organisation.domains):
        skill = np.where(occupied, wf.skill[:, d], 0.0)
        expert = occupied & (skill >= expert_skill)
        above = np.sort(np.maximum(skill[occupied] - expert_skill, 0.0))[::-1]
        to_expert = expert[adviser]
        reached = np.zeros(len(wf.team), dtype=bool)
        reached[wf.team[seeker[to_expert]]] = True
        reached[wf.team[expert]] = True  # a team with its own expert is not cut off
        rows.append(
            {
                "domain": domain,
                "n_experts": int(expert.sum()),
                "single_point_of_failure": bool(expert.sum() <= 1),
                "top2_share_of_expertise": float(above[:2].sum() / above.sum())
                if above.sum() > 0
                else float("nan"),
                "share_ties_to_experts": float(to_expert.mean()) if len(adviser) else float("nan"),
                "teams_without_expert_tie": int((~reached[teams]).sum()),
                "n_teams": len(teams),
            }
        )
    return pd.DataFrame(rows)


def recovery(
    timeseries: pd.DataFrame,
    arm: str,
    baseline: str,
    metric: str,
    week: int,
    share: float = 0.5,
) -> dict[str, float]:
    """How much an event (e.g. experts leaving) cost, and how long the recovery took.

    Compares ``arm`` with ``baseline`` replicate by replicate (they share their random
    numbers), from the event's ``week`` on.

    Args:
        timeseries: A run's tidy time series (``Results.timeseries``).
        arm: The arm with the event.
        baseline: The same organisation without it.
        metric: The metric to follow, e.g. ``mean_skill_technical``.
        week: The week of the event.
        share: Recovered once the mean gap is back within this share of its largest value.

    Returns:
        ``largest_gap`` (baseline minus arm, mean over replicates, at its largest),
        ``week_of_largest_gap``, ``weeks_to_recover`` (from the event until the gap is
        at most ``share`` of the largest; NaN if it never is within the run) and
        ``final_gap``.
    """
    ts = timeseries[timeseries["week"] >= week]
    wide = ts.pivot_table(index="week", columns=["arm", "replicate"], values=metric)
    gap = (wide[baseline] - wide[arm]).mean(axis=1)
    largest_week = int(gap.idxmax())
    largest = float(gap.max())
    after = gap[gap.index >= largest_week]
    back = after[after <= share * largest]
    return {
        "largest_gap": largest,
        "week_of_largest_gap": largest_week,
        "weeks_to_recover": float(back.index[0] - week) if len(back) else float("nan"),
        "final_gap": float(gap.iloc[-1]),
    }


def spread(
    timeseries: pd.DataFrame, domain: str, week: int = 0, share: float = 0.5
) -> pd.DataFrame:
    """How fast a skill spread: weeks until a share of the organisation was proficient in it.

    Reads ``share_proficient_<domain>`` (the share of employees at or above the
    proficiency threshold in the domain), for example after a ``[[skill_seeds]]`` event.

    Args:
        timeseries: A run's tidy time series (``Results.timeseries``).
        domain: The domain, as named in the scenario.
        week: Week from which to count (the seeding week).
        share: The share of the organisation to reach.

    Returns:
        One row per arm and replicate: ``weeks_to_share`` (NaN if the share is not
        reached within the run) and ``final_share``.
    """
    column = f"share_proficient_{slug(domain)}"
    ts = timeseries[timeseries["week"] >= week]
    rows = []
    for (arm, replicate), run in ts.groupby(["arm", "replicate"], sort=False):
        reached = run.loc[run[column] >= share, "week"]
        rows.append(
            {
                "arm": arm,
                "replicate": replicate,
                "weeks_to_share": float(reached.iloc[0] - week) if len(reached) else np.nan,
                "final_share": float(run[column].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)
