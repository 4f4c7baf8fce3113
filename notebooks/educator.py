# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The tradeoffs of mentoring and coaching, step by step (for educators)
#
# Five questions that come up whenever an organisation designs a learning programme.
# For each: the question, a simulation that answers it, a figure, and a sentence
# written from the numbers of that run.
#
# 1. Mentorship or peer coaching?
# 2. Near-peer or distant mentors?
# 3. How many mentees can a mentor take?
# 4. Does turnover take the knowledge away?
# 5. Is a hybrid better than its parts?
#
# Every comparison runs on the same synthetic organisation with the same random numbers
# in every arm (replicate *r* of each arm uses the same seeds), so differences come
# from the programmes and not from luck. Differences are given against the same
# organisation without a programme, as means over replicates with 95% confidence
# intervals in brackets.
#
# **The settings are small for speed**: 300 employees, two years, 4 replicates per
# arm, so the notebook runs in well under a minute. Small organisations and few
# replicates give noisy answers: to teach with firmer numbers, set `N_EMPLOYEES = 1000`,
# `WEEKS = 156` and `REPLICATES = 10` or more in the next cell (about a second per arm
# and replicate at full size).

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.figure import Figure

import sim
from sim.analysis import plots
from sim.analysis.compare import end_of_horizon, paired_differences
from sim.analysis.plots import PALETTE

N_EMPLOYEES = 300  # the baseline organisation has 1,000
WEEKS = 104  # the baseline horizon is 156 weeks
REPLICATES = 4  # 10 or more for firmer numbers

# The synthetic organisation of scenarios/baseline.toml, in a smaller version. Every
# step adds programmes and arms to it.
BASE = sim.validate_scenario(
    {
        "name": "educator",
        "horizon_weeks": WEEKS,
        "replicates": REPLICATES,
        "organisation": {"n_employees": N_EMPLOYEES},
        "arms": {"no_programme": {"programmes": []}},
    },
    source="educator notebook",
)


def scenario(name: str, programmes: dict, arms: dict) -> sim.Scenario:
    """The base organisation with these programmes and arms (validated)."""
    raw = BASE.model_dump(mode="python")
    raw.update(name=name, programmes=programmes, arms=arms)
    return sim.validate_scenario(raw, source=f"educator notebook, {name}")


def gains(results: sim.Results, metrics: list[str]) -> pd.DataFrame:
    """Each arm's paired difference from no_programme at the horizon, with 95% CIs."""
    return paired_differences(end_of_horizon(results.timeseries), "no_programme", metrics)


def ci(diff: pd.DataFrame, arm: str, metric: str, fmt: str = "+.3f") -> str:
    """A difference and its 95% CI as text."""
    r = diff.set_index(["arm", "metric"]).loc[(arm, metric)]
    return f"{r.mean_diff:{fmt}} [{r.ci_low:{fmt}}, {r.ci_high:{fmt}}]"


def gain_bars(diff: pd.DataFrame, metrics: list[str], title: str) -> Figure:
    """One panel per metric: each arm's difference from no_programme, with 95% CIs."""
    arms = list(dict.fromkeys(diff["arm"]))
    fig = Figure(figsize=(3.4 * len(metrics), 0.5 * len(arms) + 1.6), layout="constrained")
    for ax, metric in zip(np.atleast_1d(fig.subplots(1, len(metrics))), metrics, strict=True):
        d = diff[diff["metric"] == metric].set_index("arm").loc[arms]
        y = np.arange(len(arms))
        colours = [PALETTE[(i + 1) % len(PALETTE)] for i in range(len(arms))]
        ax.barh(y, d["mean_diff"], xerr=d["half_width"], color=colours, capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, arms if ax is fig.axes[0] else [""] * len(arms))
        ax.invert_yaxis()
        ax.set_title(metric, fontsize="medium")
        ax.grid(axis="x", alpha=0.3)
    fig.supxlabel("difference from no programme (95% CI)")
    fig.suptitle(title)
    return fig


def say(text: str) -> None:
    """Show a sentence written from the numbers as Markdown."""
    display(Markdown(text))


# %% [markdown]
# ## 1. Mentorship or peer coaching?
#
# *Hierarchical mentorship* pairs a contributor with a senior for a year, an hour every
# other week, on leadership and domain knowledge. *Peer coaching* pairs colleagues at
# the same level every week; they coach each other and change partners each quarter.
# Seniors know more; peers meet more often, both partners learn, and feedback makes
# their everyday practice count for more. Which raises skill more, and where?
#
# The two programmes are those of the flagship scenario,
# `scenarios/mentorship_vs_peer_coaching.toml` (each design with 30% of the eligible
# employees signing up), written here as a dictionary.

# %%
DOMAINS = [f"mean_skill_{d}" for d in BASE.organisation.domains]
flagship_scenario = scenario(
    "mentorship_vs_peer_coaching",
    programmes={
        "mentorship": {"kind": "mentorship", "p_enrol": 0.3},
        "peer_coaching": {"kind": "peer_coaching", "p_enrol": 0.3},
    },
    arms={
        "no_programme": {"programmes": []},
        "mentorship": {"programmes": ["mentorship"]},
        "peer_coaching": {"programmes": ["peer_coaching"]},
    },
)
flagship = sim.run_scenario(flagship_scenario, progress=False)
flagship_gain = gains(flagship, ["mean_skill", "session_hours", *DOMAINS])
display(plots.skill_diffusion(flagship.timeseries))
display(gain_bars(flagship_gain, DOMAINS, "Skill gain by domain"))

# %%
d = flagship_gain.set_index(["arm", "metric"])["mean_diff"]
top_domain = {
    arm: max(DOMAINS, key=lambda m, arm=arm: d[(arm, m)]).removeprefix("mean_skill_")
    for arm in ("mentorship", "peer_coaching")
}
better = max(("mentorship", "peer_coaching"), key=lambda a: d[(a, "mean_skill")])
per_hour = {a: 1000 * d[(a, "mean_skill")] / d[(a, "session_hours")] for a in top_domain}
say(
    f"Mean skill: mentorship {ci(flagship_gain, 'mentorship', 'mean_skill')}, peer coaching "
    f"{ci(flagship_gain, 'peer_coaching', 'mean_skill')}; **{better}** gains more here. "
    f"Mentorship's largest gain is in *{top_domain['mentorship']}*, peer coaching's in "
    f"*{top_domain['peer_coaching']}*. Per 1,000 session hours: mentorship "
    f"{per_hour['mentorship']:+.4f}, peer coaching {per_hour['peer_coaching']:+.4f}."
)

# %% [markdown]
# ## 2. Near-peer or distant mentors?
#
# A mentor one level up remembers what the mentee is going through and feels safe to
# ask; a mentor several levels up knows much more, but a large gap is absorbed less
# well and the level difference costs psychological safety. We compare the
# **near-peer** design (a guide exactly one level above, six-month relationships) with
# **mentorship from at least two levels above** (`level_gap_min = 2`). Both are open to
# the same learners (individual and senior contributors). The two designs also differ
# in other components (length, structure, focus, sponsorship), so a third arm keeps the
# near-peer design and changes only the distance (guides two to four levels up).

# %%
distance_scenario = scenario(
    "near_peer_vs_distant",
    programmes={
        "near_peer": {"kind": "near_peer", "learner_levels": [0, 1]},
        "distant": {"kind": "mentorship", "level_gap_min": 2},
    },
    arms={
        "no_programme": {"programmes": []},
        "near_peer": {"programmes": ["near_peer"]},
        "distant_mentorship": {"programmes": ["distant"]},
        "near_peer_design_distant": {
            "programmes": ["near_peer"],
            "overrides": {
                "programmes.near_peer.level_gap_min": 2,
                "programmes.near_peer.level_gap_max": 4,
            },
        },
    },
)
distance = sim.run_scenario(distance_scenario, progress=False)
DISTANCE_METRICS = ["mean_skill", "mean_skill_leadership", "mean_engagement"]
distance_gain = gains(distance, [*DISTANCE_METRICS, "session_hours", "n_learners_reached"])
display(gain_bars(distance_gain, DISTANCE_METRICS, "Near-peer vs distant mentors"))

# %%
d = distance_gain.set_index(["arm", "metric"])["mean_diff"]
reach = {a: d[(a, "n_learners_reached")] for a in ("near_peer", "distant_mentorship")}
hours = {a: d[(a, "session_hours")] for a in ("near_peer", "near_peer_design_distant")}
say(
    f"Mean skill: near-peer {ci(distance_gain, 'near_peer', 'mean_skill')}, distant "
    f"mentorship {ci(distance_gain, 'distant_mentorship', 'mean_skill')}; engagement: "
    f"near-peer {ci(distance_gain, 'near_peer', 'mean_engagement')}, distant mentorship "
    f"{ci(distance_gain, 'distant_mentorship', 'mean_engagement')}. Near-peer reached "
    f"{reach['near_peer']:.0f} learners and distant mentorship {reach['distant_mentorship']:.0f}. "
    f"With only the distance changed, the near-peer design spends {hours['near_peer']:,.0f} "
    f"session hours with near guides and {hours['near_peer_design_distant']:,.0f} with "
    "distant ones"
    + (
        ": fewer people sit two or more levels up, so part of the difference is how many "
        "pairs can be formed, not what happens in a session."
        if hours["near_peer_design_distant"] < hours["near_peer"]
        else "."
    )
)

# %% [markdown]
# ## 3. How many mentees can a mentor take?
#
# Mentor capacity is a lever HR controls. More mentees per mentor match more learners
# with the same volunteers, but a busier mentor has less time, and sessions on top of
# a full week wear engagement down. Here enrolment is high (half of the eligible
# contributors sign up), so at low capacity there are not enough mentors.
#
# The summary metrics do not include the mentors' own engagement, so this step runs
# the model week by week (`WorkplaceModel.step()`) and looks at the agents: each week,
# who is mentoring (the guide of a current relationship), how engaged they are, and how
# many mentees are matched.

# %%
CAPACITIES = [1, 2, 3, 4, 6]
capacity_scenario = scenario(
    "mentor_capacity",
    programmes={"mentorship": {"kind": "mentorship", "p_enrol": 0.5}},
    arms={
        f"capacity_{k}": {
            "programmes": ["mentorship"],
            "overrides": {"programmes.mentorship.n_learners_per_guide_max": k},
        }
        for k in CAPACITIES
    },
)


def mentor_weeks(model: sim.WorkplaceModel) -> pd.DataFrame:
    """Run a model to its horizon; each week, its mentors, their mentees and engagement."""
    rows = []
    for _ in range(model.params.horizon_weeks):
        model.step()
        pairs = model.programmes[0].relationships  # a: the mentor, b: the mentee (ids)
        mentors = {int(i) for i in pairs.a} & {e.employee_id for e in model.agents}
        mentees = {int(i) for i in pairs.b} & {e.employee_id for e in model.agents}
        rows.append(
            {
                "week": model.week,
                "mentors": len(mentors),
                "matched_mentees": len(mentees),
                "mentor_engagement": np.mean([model.employee(i).engagement for i in mentors])
                if mentors
                else np.nan,
                "everyone_engagement": model.records[-1]["mean_engagement"],
            }
        )
    return pd.DataFrame(rows)


frames = []
for k in CAPACITIES:
    for r in range(REPLICATES):
        model = sim.WorkplaceModel(capacity_scenario, arm=f"capacity_{k}", replicate=r)
        frames.append(mentor_weeks(model).assign(capacity=k, replicate=r))
weekly = pd.concat(frames, ignore_index=True)
# Averages over the second half of the horizon, when the programme is in its stride.
capacity = (
    weekly[weekly["week"] > WEEKS // 2]
    .groupby(["capacity", "replicate"])[
        ["mentors", "matched_mentees", "mentor_engagement", "everyone_engagement"]
    ]
    .mean()
    .reset_index()
)
capacity["mentees_per_mentor"] = capacity["matched_mentees"] / capacity["mentors"]
by_capacity = capacity.groupby("capacity").mean().drop(columns="replicate")
display(by_capacity.round(3))

# %%
fig = Figure(figsize=(10, 3.8), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
for col, colour, label in [
    ("matched_mentees", PALETTE[0], "matched mentees"),
    ("mentors", PALETTE[1], "active mentors"),
]:
    ax1.plot(CAPACITIES, by_capacity[col], "o-", color=colour, label=label)
    ax1.scatter(capacity["capacity"], capacity[col], color=colour, alpha=0.3, s=12)
ax1.set_xlabel("mentor capacity (mentees per mentor)")
ax1.set_ylabel("people (mean over the second year)")
ax1.set_title("Who is matched")
ax1.legend(frameon=False)
for col, colour, label in [
    ("mentor_engagement", PALETTE[5], "mentors"),
    ("everyone_engagement", PALETTE[4], "whole organisation"),
]:
    ax2.plot(CAPACITIES, by_capacity[col], "o-", color=colour, label=label)
    ax2.scatter(capacity["capacity"], capacity[col], color=colour, alpha=0.3, s=12)
ax2.set_xlabel("mentor capacity (mentees per mentor)")
ax2.set_ylabel("mean engagement (0-1)")
ax2.set_title("Mentor engagement")
ax2.legend(frameon=False)
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
fig.suptitle("Mentor capacity (lines: mean; dots: replicates)")
display(fig)

# %%
lo, hi = CAPACITIES[0], CAPACITIES[-1]
m = by_capacity["matched_mentees"]
enough = int(m.index[m >= 0.95 * m.max()][0])
say(
    f"From capacity {lo} to {hi}, matched mentees go from {m[lo]:.0f} to {m[hi]:.0f} "
    f"(95% of the most matched is reached at capacity {enough}), active mentors from "
    f"{by_capacity['mentors'][lo]:.0f} to {by_capacity['mentors'][hi]:.0f}, and mentors' "
    f"mean engagement from {by_capacity['mentor_engagement'][lo]:.3f} to "
    f"{by_capacity['mentor_engagement'][hi]:.3f} (whole organisation: "
    f"{by_capacity['everyone_engagement'][lo]:.3f} to "
    f"{by_capacity['everyone_engagement'][hi]:.3f}). Mentors have "
    f"{by_capacity['mentees_per_mentor'][lo]:.2f} mentees on average at capacity {lo}, "
    f"{by_capacity['mentees_per_mentor'][enough]:.2f} at capacity {enough} and "
    f"{by_capacity['mentees_per_mentor'][hi]:.2f} at capacity {hi}: places a mentor "
    "offers stay empty once there are no mentees left to fill them."
)

# %% [markdown]
# ## 4. Does turnover take the knowledge away?
#
# Whatever a programme teaches walks out of the door with everyone who quits, and the
# hires who replace them start lower. `knowledge_lost` adds up the skill of every
# leaver. We run no programme and mentorship at the baseline quit rate and at twice
# that rate (`turnover.p_quit_per_week` doubled in an arm's `overrides`).

# %%
p_quit = BASE.turnover.p_quit_per_week
doubled = {"turnover.p_quit_per_week": 2 * p_quit}
turnover_scenario = scenario(
    "turnover",
    programmes={"mentorship": {"kind": "mentorship"}},
    arms={
        "no_programme": {"programmes": []},
        "mentorship": {"programmes": ["mentorship"]},
        "no_programme_doubled_quits": {"programmes": [], "overrides": doubled},
        "mentorship_doubled_quits": {"programmes": ["mentorship"], "overrides": doubled},
    },
)
turnover_results = sim.run_scenario(turnover_scenario, progress=False)
ts = turnover_results.timeseries

fig = Figure(figsize=(10, 3.8), layout="constrained")
axes = fig.subplots(1, 2)
for ax, metric, label in [
    (axes[0], "knowledge_lost", "skill of all leavers, summed (cumulative)"),
    (axes[1], "mean_skill", "mean skill (0-1)"),
]:
    b = plots.band(ts, metric)
    for arm in turnover_scenario.arms:
        line = b[b["arm"] == arm]
        style = "--" if "doubled" in arm else "-"
        colour = PALETTE[1] if arm.startswith("mentorship") else PALETTE[0]
        ax.plot(line["week"], line["mean"], style, color=colour, label=arm)
        ax.fill_between(line["week"], line["low"], line["high"], color=colour, alpha=0.15, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
axes[0].set_title("Knowledge lost to turnover")
axes[1].set_title("Mean skill")
axes[1].legend(frameon=False, fontsize="small")
fig.suptitle(f"Quit rate {p_quit} per week (solid) and {2 * p_quit} (dashed); 95% bands")
display(fig)

# %%
end = end_of_horizon(ts)
turnover = end.groupby("arm", sort=False)[
    ["mean_skill", "share_proficient", "knowledge_lost", "cumulative_quits", "retention_initial"]
].mean()
display(turnover.round(3))
# The programme's gain at each quit rate: mentorship minus no programme, replicate by
# replicate (the doubled-quits arms compared with each other).
normal = paired_differences(end, "no_programme", ["mean_skill"])
normal = normal[normal["arm"] == "mentorship"]
high_arms = end[end["arm"].str.endswith("doubled_quits")]
high = paired_differences(high_arms, "no_programme_doubled_quits", ["mean_skill"])
say(
    f"Doubling the quit rate raises the knowledge lost without a programme from "
    f"{turnover.loc['no_programme', 'knowledge_lost']:.0f} to "
    f"{turnover.loc['no_programme_doubled_quits', 'knowledge_lost']:.0f} and moves mean "
    f"skill from {turnover.loc['no_programme', 'mean_skill']:.3f} to "
    f"{turnover.loc['no_programme_doubled_quits', 'mean_skill']:.3f}. Mentorship's gain in "
    f"mean skill is {ci(normal, 'mentorship', 'mean_skill')} at the normal rate and "
    f"{ci(high, 'mentorship_doubled_quits', 'mean_skill')} at the doubled rate."
)

# %% [markdown]
# ## 5. Is a hybrid better than its parts?
#
# Run mentorship and peer coaching together and contributors who sign up get both
# (with the same `p_enrol`, the same people enrol in both programmes). But learning
# time is shared: at most `learning.hours_learning_max_per_week` hours of sessions a
# week (4 by default), and more hours on top of the job wear engagement down. Is the
# hybrid's gain the sum of its parts, more, or less?

# %%
hybrid_scenario = scenario(
    "hybrid",
    programmes=flagship_scenario.model_dump(mode="python")["programmes"],
    arms={
        "no_programme": {"programmes": []},
        "mentorship": {"programmes": ["mentorship"]},
        "peer_coaching": {"programmes": ["peer_coaching"]},
        "hybrid": {"programmes": ["mentorship", "peer_coaching"]},
    },
)
hybrid = sim.run_scenario(hybrid_scenario, progress=False)
HYBRID_METRICS = ["mean_skill", "mean_engagement", "retention_initial", "session_hours"]
hybrid_gain = gains(hybrid, HYBRID_METRICS)
display(plots.engagement(hybrid.timeseries))
display(gain_bars(hybrid_gain, HYBRID_METRICS, "The hybrid and its parts"))

# %%
d = hybrid_gain.set_index(["arm", "metric"])["mean_diff"]
parts = {a: d[(a, "mean_skill")] for a in ("mentorship", "peer_coaching")}
best = max(parts, key=parts.get)
hybrid_gain_skill = d[("hybrid", "mean_skill")]
verdict = (
    "more than the sum of its parts"
    if hybrid_gain_skill > sum(parts.values())
    else "more than its best part but less than the sum of its parts"
    if hybrid_gain_skill > parts[best]
    else "no more than its best part"
)
say(
    f"Mean skill: hybrid {ci(hybrid_gain, 'hybrid', 'mean_skill')}, against "
    f"{parts['mentorship']:+.3f} for mentorship and {parts['peer_coaching']:+.3f} for peer "
    f"coaching alone (sum {sum(parts.values()):+.3f}): the hybrid gains **{verdict}** in "
    f"these runs. It uses {d[('hybrid', 'session_hours')]:,.0f} session hours against "
    f"{d[('mentorship', 'session_hours')]:,.0f} and {d[('peer_coaching', 'session_hours')]:,.0f}."
)

# %% [markdown]
# ## Where next
#
# - Each design, its components and what to look for: `docs/programmes.md`; every
#   parameter with its unit and source: `docs/parameters.md`.
# - The scenario files behind these steps, at full size:
#   `scenarios/mentorship_vs_peer_coaching.toml`, `scenarios/programmes/near_peer.toml`,
#   `scenarios/mentor_capacity.toml` and `scenarios/programmes/hybrid.toml`
#   (`wlsim run FILE`).
# - To explore: change a value in a step's `programmes` or `overrides` and run the
#   step again. The sentences under the figures are written from the new numbers.
