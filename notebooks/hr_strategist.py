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
# # Is a mentoring programme worth it? (for HR strategists)
#
# You are deciding whether to fund a learning programme. This notebook takes you
# through the decision with wlsim, top to bottom:
#
# 1. **the organisation**: the synthetic baseline, or your own from an HR export;
# 2. **the programme**: a design from the library, with the levers you control;
# 3. **the alternatives**: doing nothing, and other designs, on the same organisation
#    with the same random numbers;
# 4. **cost and benefit**: session hours and their salary cost, replacement costs,
#    skill, engagement and retention, as paired differences with 95% confidence
#    intervals;
# 5. **the choice**, stated from the numbers this notebook computed.
#
# **The settings are small for speed**: 400 employees, two years, 6 replicates per arm,
# so the whole notebook runs in well under a minute. The numbers are then noisy and
# the organisation is smaller than the baseline's. For a decision, scale up in the next
# cell: `N_EMPLOYEES = 1000`, `WEEKS = 156` (three years) and `REPLICATES = 20` or more
# (a full-size run takes about a second per arm and replicate). The command line does
# the same: `wlsim run FILE --replicates 20`.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

import sim
from sim.analysis import plots
from sim.analysis.compare import end_of_horizon, paired_differences
from sim.scenario.designs import DESIGNS

N_EMPLOYEES = 400  # the baseline organisation has 1,000
WEEKS = 104  # the baseline horizon is 156 weeks (three years)
REPLICATES = 6  # 20 or more for a decision (intervals shrink as 1 / sqrt(replicates))


def find_scenarios() -> Path:
    """The repository's scenarios/ folder, from here or from where `sim` is installed."""
    for base in [Path.cwd(), *Path.cwd().parents, Path(sim.__file__).resolve().parents[1]]:
        if (base / "scenarios" / "baseline.toml").is_file():
            return base / "scenarios"
    raise FileNotFoundError("scenarios/baseline.toml not found: open this notebook in the repo")


SCENARIOS = find_scenarios()
pd.set_option("display.width", 140)

# %% [markdown]
# ## 1. The organisation
#
# `scenarios/baseline.toml` describes a synthetic organisation: five levels from
# individual contributor to executive, five skill domains, engagement, turnover and
# hiring, and no programme. We load it with smaller settings (overrides are the same
# `PATH=VALUE` strings as `wlsim run --set`).

# %%
baseline = sim.load_scenario(
    SCENARIOS / "baseline.toml",
    overrides=[f"organisation.n_employees={N_EMPLOYEES}", f"horizon_weeks={WEEKS}"],
)
print(f"{baseline.organisation.n_employees} employees over {baseline.horizon_weeks} weeks")
print("levels:", ", ".join(baseline.organisation.levels))
print("skill domains:", ", ".join(baseline.organisation.domains))

# %% [markdown]
# What does the organisation look like on day one? A `WorkplaceModel` is a Mesa model
# whose agents are the employees; we tabulate them by level.

# %%
model = sim.WorkplaceModel(baseline, replicate=0)
people = pd.DataFrame(
    {
        "level": e.level_name,
        "skill": e.mean_skill,
        "engagement": e.engagement,
        "tenure": e.tenure_weeks,
    }
    for e in model.agents
)
day_one = people.groupby("level", sort=False).agg(
    headcount=("skill", "size"),
    mean_skill=("skill", "mean"),
    mean_engagement=("engagement", "mean"),
    mean_tenure_weeks=("tenure", "mean"),
)
display(day_one.round(3))

# %% [markdown]
# ### Or your own organisation
#
# To start from your own workforce, export one row per employee from your HR system
# (id, manager, level, team, tenure; optionally skill ratings, engagement scores and
# who takes part) and name the file in a scenario. The columns, scales and checks are
# in `docs/data.md`; `scenarios/from_data.toml` does it with a small anonymised example:

# %%
print((SCENARIOS / "from_data.toml").read_text(encoding="utf-8"))
display(pd.read_csv(SCENARIOS / "data" / "example_org.csv").head())

# %% [markdown]
# Set `USE_OWN_DATA = True` to run the rest of the notebook on that organisation (or
# point `from_data.toml` at your own export first). The data then decide the number of
# employees. Any problem in the file stops here with a message naming the column, the
# rows and the fix.

# %%
USE_OWN_DATA = False
own = sim.load_scenario(SCENARIOS / "from_data.toml", overrides=[f"horizon_weeks={WEEKS}"])
print(f"{own.organisation.source}: {own.organisation.n_employees} employees")
organisation = own if USE_OWN_DATA else baseline

# %% [markdown]
# ### Fit the model to your organisation's history
#
# The synthetic organisation's quit rates and engagement are typical values from the
# literature, not yours. If you know how many people left per quarter, how many were
# promoted and what your engagement survey said, wlsim can find the parameter values
# that reproduce them (approximate Bayesian computation, `wlsim calibrate`). Write one
# observation per row (format in `docs/data.md`, "Your organisation's history"):

# %%
print((SCENARIOS / "data" / "example_history.csv").read_text(encoding="utf-8"))

# %% [markdown]
# `scenarios/calibration/from_history.toml` names that file and the two parameters to
# fit, with what is plausible before seeing the data (the priors). Here with small
# settings (30 parameter sets per generation, 3 generations: about ten seconds; the
# file's 60 and 5 take about half a minute and narrow the answer further).

# %%
fit_scenario = sim.load_scenario(
    SCENARIOS / "calibration" / "from_history.toml",
    overrides=["calibration.population=30", "calibration.generations=3"],
)
fitted = sim.run_calibration(fit_scenario, Path(tempfile.mkdtemp()) / "fit", progress=False)
weights = fitted.posterior["weight"]
for path in fitted.posterior.columns.drop("weight"):
    values = fitted.posterior[path]
    print(f"{path}: {float((values * weights).sum()):.4g} (weighted mean of the posterior)")
display(
    fitted.predictive[["target", "observed", "simulated_mean", "simulated_q05", "simulated_q95"]]
)

# %% [markdown]
# The table compares each observation with what the fitted model simulates (its 5-95%
# range). The example history was simulated with a weekly quit hazard of 0.004 and an
# engagement baseline of 0.6, so the fit should land near them. To carry what is still
# uncertain into every answer, run the scenarios below over the posterior:
# `sim.run_scenario(scenario, posterior=FOLDER)` or `wlsim run FILE --posterior FOLDER`
# (docs/calibration.md).

# %% [markdown]
# ## 2. Design the programme
#
# Twelve designs ship with wlsim (`wlsim programmes` lists them, `docs/programmes.md`
# explains them). Each is a preset of the same components, and any component is a lever
# you can set. Our proposal is a **mentoring pilot**, stated as HR would plan it:
#
# - **10 mentors, each with 2 mentees** (`n_guides = 10`, `n_learners = 20`): seniors
#   mentor contributors;
# - **an hour every two weeks** (`cadence_weeks = 2`, `hours_per_session = 1`);
# - **for six months** (`dur_programme_months = 6`), starting in week 4;
# - **within a budget of 80,000 EUR a year** (`budget_per_year`, in `costs.currency`),
#   counting session time at wage plus the overheads: a coordinator 4 hours a week,
#   8 hours of training per mentor and a platform fee of 100 EUR per participant a year.
#
# wlsim translates this into the engine's parameters and checks it before anything runs:
# more mentors than eligible seniors, or a plan the budget cannot pay for, is refused
# with both numbers (`docs/programmes.md`, section 1.3). (With 60,000 EUR it is refused:
# the plan costs about 65,000 EUR a year at full attendance, 48,000 of it session time.)
# The design's other values (who is eligible, focus on leadership and domain knowledge,
# sponsorship) stay as they are:

# %%
print(DESIGNS["mentorship"].summary)
display(pd.Series(DESIGNS["mentorship"].preset, name="mentorship preset").to_frame())

# %% [markdown]
# ## 3. The alternatives
#
# A decision needs something to compare with. The arms below share the organisation and
# the random numbers (replicate *r* of every arm uses the same seeds), so differences
# between arms come from the programmes, not from luck:
#
# - `no_programme`: doing nothing (business as usual);
# - `our_mentorship`: the proposal (the 20-person pilot);
# - `onboarding_mentorship`: the same pilot for new joiners only (tenure up to
#   six months);
# - `peer_coaching`: colleagues at the same level coach each other weekly;
# - `group_circles`: facilitated groups of six peers.
#
# We write the scenario as a dictionary and validate it: a typo or a value out of
# range is refused here with a message naming the field. (The same scenario could be a
# TOML file: see `scenarios/programmes/levers.toml`.)

# %%
raw = organisation.model_dump(mode="python")
raw.update(name="hr_decision", replicates=REPLICATES)
raw["costs"].update(
    currency="EUR",
    hours_coordination_per_week=4,
    hours_training_per_guide=8,
    fee_platform_per_participant_per_year=100,
)
raw["programmes"] = {
    "our_mentorship": {
        "kind": "mentorship",
        "n_guides": 10,
        "n_learners": 20,
        "cadence_weeks": 2,
        "hours_per_session": 1.0,
        "dur_programme_months": 6,
        "start_week": 4,
        "budget_per_year": 80_000,
    },
    "peer_coaching": {"kind": "peer_coaching", "p_enrol": 0.4},
    "group_circles": {"kind": "group_circles", "p_enrol": 0.4},
}
raw["arms"] = {
    "no_programme": {"description": "Business as usual.", "programmes": []},
    "our_mentorship": {"description": "The proposal.", "programmes": ["our_mentorship"]},
    "onboarding_mentorship": {
        "description": "The proposal, for employees in their first six months only.",
        "programmes": ["our_mentorship"],
        "overrides": {"programmes.our_mentorship.dur_tenure_max_weeks": 26},
    },
    "peer_coaching": {"description": "Weekly peer coaching.", "programmes": ["peer_coaching"]},
    "group_circles": {"description": "Peer learning circles.", "programmes": ["group_circles"]},
}
scenario = sim.validate_scenario(raw, source="hr_strategist notebook")
ARMS = list(scenario.arms)
print(f"{len(ARMS)} arms x {scenario.replicates} replicates, {scenario.horizon_weeks} weeks")
pilot = scenario.programmes["our_mentorship"]
print(
    f"the pilot in the engine's terms: {pilot.dur_programme_weeks} weeks from week "
    f"{pilot.start_week}, at most {pilot.n_learners_per_guide_max} mentees per mentor"
)

# %% [markdown]
# Run every arm for every replicate. `results.table()` gives the end-of-horizon means
# with 95% confidence intervals over replicates (the table `wlsim run` prints).

# %%
results = sim.run_scenario(scenario, progress=False)
display(results.table())

# %% [markdown]
# How the arms develop over time (mean and 95% band over replicates): skill, retention
# and engagement.

# %%
display(plots.skill_diffusion(results.timeseries))
display(plots.retention(results.timeseries))
display(plots.engagement(results.timeseries))

# %% [markdown]
# ### The participants themselves
#
# A 20-person pilot hardly moves company-wide averages. What matters is what it does for
# the people in it: each participant against **the same person** in the no-programme
# arm (same seeds), in the outcome's own units, with 95% intervals over replicates.
# Participants are the employees present at week 0 who were mentees at any point up
# to the programme's end; leavers count in retention and promotion and drop out of the
# skill and engagement means (`docs/model.md`, section 7.12). `d` is the same
# difference in standard deviations, the unit the research literature reports.

# %%
fx = results.effects
own = fx[
    (fx["arm"] == "our_mentorship")
    & (fx["timepoint"] == "horizon")
    & (fx["measure"] == "latent")
    & (fx["statistic"].isin(["diff", "d"]))
]
display(
    own.pivot_table(
        index="outcome", columns="statistic", values=["estimate", "ci_low", "ci_high"]
    ).round(3)
)

# %% [markdown]
# ## 4. Cost and benefit
#
# The table above compares arm means, and its intervals are wide because organisations
# differ from replicate to replicate. The question is what each programme *changes*,
# so we take each arm's difference from `no_programme` replicate by replicate (paired on
# the same seeds) and put a 95% confidence interval on the mean difference.
#
# - **benefits**: mean skill (0-1), share of employees proficient, share of the
#   initial workforce still employed, mean engagement (0-1);
# - **costs**: session hours (all participants' time), mentor hours, the salary cost of
#   session hours, the programme's overheads (coordination, mentor training, platform
#   fees), replacement costs of leavers, and their sum `total_cost` (all in euros,
#   cumulative over the horizon). A negative difference in
#   replacement cost is money saved because fewer people left.

# %%
BENEFITS = ["mean_skill", "share_proficient", "retention_initial", "mean_engagement"]
COSTS = [
    "session_hours",
    "mentor_hours",
    "session_cost",
    "overhead_cost",
    "replacement_cost",
    "total_cost",
]
end = end_of_horizon(results.timeseries)
differences = paired_differences(end, baseline="no_programme", metrics=BENEFITS + COSTS)


def interval(row: pd.Series) -> str:
    """A difference and its 95% CI as text, in units that suit the metric."""
    big = row["metric"] in COSTS
    fmt = "{:+,.0f}" if big else "{:+.3f}"
    return f"{fmt.format(row.mean_diff)} [{fmt.format(row.ci_low)}, {fmt.format(row.ci_high)}]"


table = differences.assign(difference=differences.apply(interval, axis=1)).pivot(
    index="arm", columns="metric", values="difference"
)
display(Markdown("**Difference from no programme (mean and 95% CI over paired replicates)**"))
display(table.loc[ARMS[1:], BENEFITS])
display(table.loc[ARMS[1:], COSTS])

# %% [markdown]
# Is it worth it? Each programme as a point: what it costs in total (session time plus
# the change in replacement costs) against what it buys in proficient employees. Points
# to the left of the vertical line save money overall; points above the horizontal line
# raise proficiency. The bars are 95% confidence intervals.

# %%
d = differences.set_index(["arm", "metric"])
headcount = float(end["headcount"].mean())
fig = Figure(figsize=(7, 4.5), layout="constrained")
ax = fig.subplots()
for i, arm in enumerate(ARMS[1:]):
    cost, gain = d.loc[(arm, "total_cost")], d.loc[(arm, "share_proficient")]
    ax.errorbar(
        cost.mean_diff,
        gain.mean_diff * headcount,
        xerr=cost.half_width,
        yerr=gain.half_width * headcount,
        fmt="o",
        color=plots.PALETTE[i + 1],
        capsize=3,
        label=arm,
    )
ax.axhline(0, color="grey", lw=0.8)
ax.axvline(0, color="grey", lw=0.8)
ax.set_xlabel("change in total cost over the horizon (currency)")
ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
ax.set_ylabel("extra proficient employees")
ax.set_title("Cost and benefit of each programme against doing nothing")
ax.legend(frameon=False, fontsize="small")
ax.grid(alpha=0.3)
display(fig)

# %% [markdown]
# The same as a table: each arm's extra proficient employees, its session hours and
# their cost, the replacement costs it saves (positive: saved), and the net cost of
# one extra proficient employee (session cost minus replacement savings, divided by
# the extra proficient employees; only meaningful when the gain is clearly positive).

# %%
mean_diff = d["mean_diff"].unstack("metric").loc[ARMS[1:]]
value = pd.DataFrame(
    {
        "extra_proficient": mean_diff["share_proficient"] * headcount,
        "gain_clear": d["ci_low"].unstack("metric").loc[ARMS[1:], "share_proficient"] > 0,
        "session_hours": mean_diff["session_hours"],
        "session_cost": mean_diff["session_cost"],
        "replacement_saved": -mean_diff["replacement_cost"],
        "net_cost": mean_diff["total_cost"],
    }
)
value["net_cost_per_extra_proficient"] = (value["net_cost"] / value["extra_proficient"]).where(
    value["gain_clear"]
)
display(value.round(1))

# %% [markdown]
# ## 5. Choose
#
# A decision rule, stated before reading the result: **among the programmes whose gain
# in proficient employees is clearly positive (its 95% interval lies above zero), take
# the one with the lowest net cost per extra proficient employee.** Retention and
# engagement are reported alongside: a programme that costs a little more but clearly
# keeps people may still be preferred. The cell below applies the rule and writes the
# conclusion from the numbers above.


# %%
def clearly(metric: str, arm: str) -> str:
    """Whether a difference's 95% CI excludes zero, in words."""
    row = d.loc[(arm, metric)]
    if row.ci_low > 0:
        return "a clear increase"
    if row.ci_high < 0:
        return "a clear decrease"
    return "not distinguishable from zero at these settings"


clear = value[value["gain_clear"]]
choice = clear["net_cost_per_extra_proficient"].idxmin() if len(clear) else None
horizon = f"{scenario.horizon_weeks} weeks"
if choice is None:
    conclusion = (
        f"**No choice yet.** After {horizon} and {scenario.replicates} paired replicates, no "
        "programme's gain in proficient employees is distinguishable from zero. Run more "
        "replicates (or `sim.experiments.precision.run_until_precise`) before deciding."
    )
else:
    row, sp = value.loc[choice], d.loc[(choice, "share_proficient")]
    ret = d.loc[(choice, "retention_initial")]
    net = row["net_cost"]
    pays = "pays for itself through lower replacement costs" if net < 0 else "has a net cost"
    others = [a for a in clear.sort_values("net_cost_per_extra_proficient").index if a != choice]
    conclusion = (
        f"**Choice: `{choice}`.** After {horizon} it adds {row.extra_proficient:.1f} "
        f"proficient employees (share proficient {sp.mean_diff:+.3f}, 95% CI "
        f"[{sp.ci_low:+.3f}, {sp.ci_high:+.3f}]) for {row.session_hours:,.0f} session "
        f"hours costing {row.session_cost:,.0f}; replacement costs change by "
        f"{-row.replacement_saved:+,.0f}, so it {pays} ({net:+,.0f} in total, "
        f"{row.net_cost_per_extra_proficient:+,.0f} per extra proficient employee). "
        f"Retention of the initial workforce changes by {ret.mean_diff:+.3f} "
        f"({clearly('retention_initial', choice)}); mean engagement: "
        f"{clearly('mean_engagement', choice)}. "
        + (
            f"Also clearly positive, at a higher cost per proficient employee: "
            f"{', '.join(f'`{a}`' for a in others)}."
            if others
            else "No other programme's gain is clearly positive."
        )
    )
display(Markdown(conclusion))

# %% [markdown]
# ### In short
#
# The same plain-language conclusion `wlsim run` prints and `report.html` opens with,
# generated from the numbers: what changed, by how much, at what cost, how sure, and
# what it depends on.

# %%
from sim.analysis.conclusion import conclude  # noqa: E402

display(
    Markdown("\n\n".join(conclude(results.timeseries, results.effects, scenario.costs.currency)))
)

# %% [markdown]
# ### Before you decide
#
# - These are small settings (see the top of the notebook). Scale them up and check
#   that the choice and the signs of the differences hold; with more replicates the
#   intervals narrow, and a gain "not distinguishable from zero" may become clear or
#   may stay at zero.
# - The model's parameters are documented assumptions or cited sources
#   (`docs/parameters.md`); `docs/programmes.md` says which claims about mentoring and
#   coaching the model reproduces. Costs count salary time, the overheads stated in
#   `[costs]` and replacement; anything else your programme pays for is not in them.
# - To try another lever, change a value in section 3 (for example weekly sessions:
#   `"cadence_weeks": 1`) and run the notebook again; every arm keeps the same seeds, so
#   the comparison stays paired.

# %% [markdown]
# ## 6. Find the best design within your budget
#
# Sections 2 to 5 compared the designs you wrote down. `wlsim optimise` searches for
# one: you state the levers you control (which design, how many participants, how often
# and how long sessions are, who is eligible), what you want more or less of, and the
# budget, and it tries designs, each compared with no programme on the same random
# numbers. `scenarios/optimise/mentoring_budget.toml` asks for the most skill at the
# least cost within 150,000 a year and 60 person-hours a week (docs/optimise.md).
#
# Here it tries only 8 designs with 3 to 6 replicates each, on the small organisation
# above: enough to see what it returns, not to decide. For a decision, run it at full
# size from the command line (`wlsim optimise scenarios/optimise/mentoring_budget.toml
# --workers 2`, which resumes with `--resume` if interrupted).

# %%
budget_scenario = sim.load_scenario(
    SCENARIOS / "optimise" / "mentoring_budget.toml",
    overrides=[
        f"organisation.n_employees={N_EMPLOYEES}",
        f"horizon_weeks={WEEKS}",
        "optimise.trials=8",
        "optimise.batch=4",
        "optimise.replicates=3",
        "optimise.max_replicates=6",
    ],
)
optimised = sim.run_optimisation(
    budget_scenario,
    Path(tempfile.mkdtemp()) / "optimise",
    progress=False,
    source=str(SCENARIOS / "optimise" / "mentoring_budget.toml"),
)
# One row per design tried: its levers, whether it ran (or why not), its means.
optimised.trials.drop(columns=["design"]).round(4)

# %% [markdown]
# The designs that meet the budget, with 95% intervals over replicates: the Pareto front
# (no design is better on both skill and cost) in colour, the best on skill starred.

# %%
from sim.analysis.front import plot as plot_front  # noqa: E402
from sim.analysis.front import summarise  # noqa: E402
from sim.experiments.optimise import plan_optimisation  # noqa: E402

problem = plan_optimisation(budget_scenario)
summary = summarise(optimised.values, [q.name for q in problem.quantities])
display(plot_front(summary, optimised.decision, problem.objective_quantities))

# %% [markdown]
# What wlsim concludes, in words. When the best designs are within noise of each other,
# it says so and recommends none of them: then choose on cost, on what the model leaves
# out, or run more replicates.

# %%
display(Markdown(optimised.text.replace("\n  - ", "\n- ")))

# %% [markdown]
# ## 7. Plan your pilot
#
# Before rolling a programme out, most organisations pilot it with a few dozen people and
# compare them with everyone else on ratings or the engagement survey. Will that
# evaluation be able to show anything? `sim.plan_pilot` (the command line:
# `wlsim pilot FILE`, docs/pilots.md) simulates the pilot many times as you plan it: who
# enrols (at random, or volunteers who self-select), for how long, what HR measures (with
# the observation model's rater error and survey non-response), and reports the chance of
# detecting the effect, how far the naive participants-versus-others comparison is from
# the true effect on the same people, and how many participants reach 80% power.
#
# Here: 40 volunteers for mentoring, more engaged people more likely to sign up (odds x e
# per sd of engagement), evaluated on the change in managers' ratings of leadership over
# 26 weeks. Small settings again (20 simulated pilots per size, so the powers are rough); use 100
# or more to plan.

# %%
from sim.analysis.pilotplan import figure as pilot_figure  # noqa: E402

pilot_scenario = sim.load_scenario(
    SCENARIOS / "programmes" / "mentorship.toml",
    overrides=[
        f"organisation.n_employees={N_EMPLOYEES}",
        "horizon_weeks=26",
        "pilot.domain=leadership",
        "pilot.n_participants=40",
        "pilot.dur_weeks=26",
        "pilot.sizes=[20, 40, 80]",
        "pilot.durations=[13, 26]",
        "pilot.enrolment=volunteers",
        "pilot.selection_on=engagement",
        "pilot.selection_slope=1.0",
    ],
)
pilot = sim.plan_pilot(pilot_scenario, replicates=20, progress=False)
display(Markdown("\n\n".join(pilot.text)))
display(pilot_figure(pilot.power, pilot.curve, 26, 0.8))
pilot.power[["size", "weeks", "power", "power_low", "power_high", "true_effect", "bias"]]
