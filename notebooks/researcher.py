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
# # Sweeps, paired comparisons and sensitivity (for researchers)
#
# This notebook uses wlsim as a research instrument:
#
# 1. **a sweep with replicates**: a grid over two parameters, every arm at every point,
#    streamed to a Parquet dataset on local worker processes;
# 2. **reading the dataset** with pandas: the run table, the time series, the manifest;
# 3. **paired comparisons with confidence intervals**, exploiting common random numbers,
#    and sequential stopping (replicate until the answer is precise enough);
# 4. **global sensitivity analysis**: Morris screening of eight uncertain parameters;
# 5. **scenario discovery**: in which region of those parameters does the programme's
#    gain exceed a bar? (rules from a decision tree, a box from PRIM).
#
# **The settings are small for speed**: 300 employees, two years, 3 replicates per
# point, a 2 x 2 grid and 3 Morris trajectories, on 2 worker processes, so the notebook
# runs in well under a minute. The estimates are correspondingly rough. To scale up,
# change the constants in the next cell (the scenario files' own values are 1,000
# employees, 156 weeks, 5-10 replicates, 3 x 3 grid, 10 trajectories), set `WORKERS`
# to your core count or run on a Dask cluster (`make_executor(scheduler="tcp://...")`),
# and set `OUT` to a folder you keep. The command line runs the same sweeps:
# `wlsim sweep scenarios/sweeps/capacity_grid.toml --workers 8`.

# %%
# %matplotlib inline
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Image, Markdown, display
from matplotlib.figure import Figure
from scipy import stats

import sim
from sim.analysis import sensitivity
from sim.analysis.compare import paired_differences
from sim.analysis.plots import PALETTE
from sim.experiments.discover import discover
from sim.experiments.precision import run_until_precise
from sim.experiments.sweep import make_executor, plan, run_sweep

N_EMPLOYEES = 300  # the scenario files use 1,000
WEEKS = 104  # and 156 weeks
REPLICATES = 3  # replicates per sweep point (capacity_grid.toml: 5)
MORRIS_TRAJECTORIES = 3  # sensitivity_morris.toml: 10
WORKERS = 2  # local worker processes (1: run in this process)
# Results go to a temporary folder; set a path of your own to keep them.
OUT = Path(tempfile.mkdtemp(prefix="wlsim-researcher-"))
SMALL = [f"organisation.n_employees={N_EMPLOYEES}", f"horizon_weeks={WEEKS}"]


def find_scenarios() -> Path:
    """The repository's scenarios/ folder, from here or from where `sim` is installed."""
    for base in [Path.cwd(), *Path.cwd().parents, Path(sim.__file__).resolve().parents[1]]:
        if (base / "scenarios" / "baseline.toml").is_file():
            return base / "scenarios"
    raise FileNotFoundError("scenarios/baseline.toml not found: open this notebook in the repo")


SCENARIOS = find_scenarios()
print("results in", OUT)

# %% [markdown]
# ## 1. A sweep with replicates
#
# `scenarios/sweeps/capacity_grid.toml` extends the flagship comparison (no programme,
# mentorship, peer coaching, both) with a `[sweep]` section: a grid over mentor
# capacity and the learning rate of sessions. We load it with the small settings and
# cut the grid to its corners. A grid's keys are dotted paths, which `--set`-style
# overrides cannot address, so we edit the scenario as a dictionary and validate it
# again.

# %%
grid_file = sim.load_scenario(
    SCENARIOS / "sweeps" / "capacity_grid.toml", overrides=[*SMALL, f"replicates={REPLICATES}"]
)
raw = grid_file.model_dump(mode="python")
raw["sweep"]["grid"] = {
    "programmes.mentorship.n_learners_per_guide_max": [1, 4],
    "learning.rate_session_per_hour": [0.02, 0.1],
}
grid = sim.validate_scenario(raw, source="researcher notebook (capacity grid)")
jobs, plan_table = plan(grid)
print(
    f"{len(jobs)} runs: {plan_table['point'].nunique()} points x {len(grid.arms)} arms x "
    f"{plan_table['replicate'].nunique()} replicates"
)
display(plan_table.head(8))

# %% [markdown]
# `run_sweep` streams each finished run to `timeseries/<run_id>.parquet` (atomically)
# and logs it; an interrupted sweep resumes with `resume=True`. `make_executor(workers=2)`
# is a process pool (forkserver, which works in notebooks); results are identical
# whatever the executor, since each run's numbers depend only on the scenario, the
# point and the replicate seed.

# %%
t0 = time.perf_counter()
with make_executor(workers=WORKERS) as executor:
    sweep = run_sweep(grid, OUT / "capacity_grid", executor=executor, progress=False)
print(
    f"{sweep.n_done} of {sweep.n_runs} runs in {time.perf_counter() - t0:.1f} s; "
    f"failed: {sweep.failed or 'none'}"
)

t0 = time.perf_counter()
again = run_sweep(grid, OUT / "capacity_grid", resume=True, progress=False)
print(
    f"resumed: {again.n_done} of {again.n_runs} runs done, {time.perf_counter() - t0:.1f} s "
    "(nothing was left to run)"
)

# %% [markdown]
# ## 2. Reading the dataset with pandas
#
# The sweep folder is plain files: `plan.parquet` (every planned run),
# `timeseries/` (a Parquet dataset: one part per run, every fourth week and the last),
# `runs.parquet` (one row per finished run: parameters, arm, replicate, seed and
# end-of-horizon metrics), `manifest.csv` (every run's status and error),
# `log.jsonl`, `scenario.resolved.toml` and `metadata.json` (versions, seeds, timing).

# %%
folder = sweep.folder
print(sorted(p.name for p in folder.iterdir()))
manifest = pd.read_csv(folder / "manifest.csv")
display(manifest["status"].value_counts().to_frame())
runs = pd.read_parquet(folder / "runs.parquet")
display(runs.head())
timeseries = pd.read_parquet(folder / "timeseries")
print(
    f"time series: {len(timeseries)} rows, {timeseries['run_id'].nunique()} runs, "
    f"weeks {sorted(timeseries['week'].unique().tolist())[:4]} ... {timeseries['week'].max()}"
)
metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
print(
    {
        k: metadata[k]
        for k in ("wlsim_version", "n_points", "n_runs", "n_ok", "seed")
        if k in metadata
    }
)

# %% [markdown]
# End-of-horizon mean skill over the grid, per arm: mean and 95% CI over replicates.

# %%
CAPACITY, RATE = list(grid.sweep.grid)
cells = runs.groupby(["arm", CAPACITY, RATE], sort=False)["mean_skill"].agg(
    ["mean", "sem", "count"]
)
cells["half"] = cells["sem"] * stats.t.ppf(0.975, cells["count"] - 1)
arms = list(grid.arms)
fig = Figure(figsize=(3.2 * len(arms), 3.4), layout="constrained")
axes = fig.subplots(1, len(arms), sharey=True)
for ax, arm in zip(axes, arms, strict=True):
    for i, (cap, d) in enumerate(cells.loc[arm].groupby(level=CAPACITY)):
        ax.errorbar(
            d.index.get_level_values(RATE),
            d["mean"],
            yerr=d["half"],
            fmt="o-",
            color=PALETTE[i],
            capsize=3,
            label=f"capacity {cap}",
        )
    ax.set_title(arm)
    ax.set_xlabel("session learning rate (per hour)")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("mean skill at the horizon (0-1)")
axes[-1].legend(frameon=False, fontsize="small")
display(fig)

# %% [markdown]
# And a time series from the dataset: mean skill over time at each point, for the
# mentorship arm (mean over replicates).

# %%
mentoring = timeseries[timeseries["arm"] == "mentorship"]
points = plan_table.drop_duplicates("point").set_index("point")[[CAPACITY, RATE]]
fig = Figure(figsize=(6, 3.6), layout="constrained")
ax = fig.subplots()
for i, (point, d) in enumerate(mentoring.groupby("point")):
    line = d.groupby("week")["mean_skill"].mean()
    cap, rate = points.loc[point]
    ax.plot(line.index, line.values, color=PALETTE[i], label=f"capacity {cap:g}, rate {rate:g}")
ax.set_xlabel("week")
ax.set_ylabel("mean skill (0-1)")
ax.set_title("Mentorship arm at each grid point")
ax.legend(frameon=False, fontsize="small")
ax.grid(alpha=0.3)
display(fig)

# %% [markdown]
# ## 3. Paired comparisons with confidence intervals
#
# Replicate *r* of every arm, at every point, uses the same seeds (common random
# numbers), so an arm's effect is estimated replicate by replicate: `paired_differences`
# takes each arm's difference from the baseline arm per (point, replicate) and puts a
# t-interval on the mean. The same function reads a sweep's `runs.parquet` or the end
# of a `run_scenario` time series (`end_of_horizon`). `wlsim compare FOLDER` prints it.

# %%
METRICS = ["mean_skill", "retention_initial", "total_cost"]
comparison = paired_differences(runs, baseline="no_programme", metrics=METRICS)
comparison = comparison.merge(points, left_on="point", right_index=True)
display(
    comparison[comparison["metric"] == "mean_skill"][
        ["point", CAPACITY, RATE, "arm", "mean_diff", "ci_low", "ci_high", "n"]
    ].round(4)
)

# %% [markdown]
# Two checks of common random numbers in this table: `peer_coaching` does not involve
# mentor capacity, so its rows repeat exactly at points that differ only in capacity;
# and each difference is taken on the same organisation, replicate by replicate.
#
# How much does pairing buy? Below, the median 95% half-width of the paired difference
# against an interval for two *independent* samples (Welch), which includes the
# variation between organisations that pairing cancels. Pairing gains most where an
# arm's outcome moves with the organisation it runs on; with very few replicates the
# paired interval's t quantile (n - 1 degrees of freedom) is large, and for a metric
# that the organisation hardly predicts the paired interval can even be wider.


# %%
def welch_half_width(a: np.ndarray, b: np.ndarray) -> float:
    """95% half-width of the difference of two independent means (Welch)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))


rows = []
for (point, arm, metric), g in comparison.groupby(["point", "arm", "metric"]):
    at = runs[runs["point"] == point]
    a = at.loc[at["arm"] == arm, metric].to_numpy()
    b = at.loc[at["arm"] == "no_programme", metric].to_numpy()
    rows.append(
        {"metric": metric, "paired": g["half_width"].iloc[0], "unpaired": welch_half_width(a, b)}
    )
widths = pd.DataFrame(rows).groupby("metric").median()
widths["unpaired / paired"] = widths["unpaired"] / widths["paired"]
display(widths.round(4))
gain = widths["unpaired / paired"]
display(
    Markdown(
        f"With {REPLICATES} replicates, the unpaired interval is {gain.max():.1f} times as "
        f"wide as the paired one for `{gain.idxmax()}`, and {gain.min():.1f} times as wide "
        f"for `{gain.idxmin()}`."
    )
)

# %% [markdown]
# **How many replicates are enough?** `run_until_precise` adds replicates in batches
# until the 95% half-width of each target difference is at most its target, or a cap
# is reached. Because replicate seeds do not depend on how many replicates run, the
# result equals a plain run with the final number. (`wlsim run FILE --precision
# mean_skill=0.002 --max-replicates 200` does the same.)

# %%
flagship = sim.load_scenario(SCENARIOS / "mentorship_vs_peer_coaching.toml", overrides=SMALL)
precise, precise_comparison = run_until_precise(
    flagship,
    targets={"mean_skill": 0.002},
    max_replicates=12,
    batch=3,
    arms=["no_programme", "mentorship"],
    progress=False,
)
print(f"stopped after {precise.scenario.replicates} replicates")
display(precise_comparison[["arm", "metric", "mean_diff", "ci_low", "ci_high", "half_width", "n"]])

# %% [markdown]
# ## 4. Sensitivity analysis: Morris screening
#
# `scenarios/sweeps/sensitivity_morris.toml` screens eight learning, engagement and
# turnover parameters over plausible ranges (see `docs/parameters.md`) with SALib's
# Morris design: each trajectory changes one parameter at a time, so `n_samples`
# trajectories make `n_samples x (8 + 1)` points, each run in both of the file's arms
# (no programme and mentorship). Replicates are averaged per point;
# `mu_star` (mean absolute elementary effect) ranks the parameters, `sigma` flags
# interactions and non-linearity, and `mu_star`'s 95% interval is bootstrapped.
# Each output is analysed twice (the column `target`): as each arm's `level`, and as
# the programme's `effect vs no_programme` (mentorship minus no programme, replicate by
# replicate): which parameters change what the programme brings.

# %%
morris_scenario = sim.load_scenario(
    SCENARIOS / "sweeps" / "sensitivity_morris.toml",
    overrides=[*SMALL, "replicates=2", f"sweep.n_samples={MORRIS_TRAJECTORIES}"],
)
print(f"{len(plan(morris_scenario)[0])} runs")
with make_executor(workers=WORKERS) as executor:
    morris = run_sweep(morris_scenario, OUT / "morris", executor=executor, progress=False)
indices = sensitivity.analyse(morris.runs, morris_scenario)
mu_star = indices[(indices["output"] == "mean_skill") & (indices["index"] == "mu_star")]
ranking = (
    mu_star.assign(column=mu_star["arm"] + ": " + mu_star["target"])
    .pivot(index="parameter", columns="column", values="value")
    .sort_values("mentorship: effect vs no_programme", ascending=False)
)
display(Markdown("**mu_star of mean skill: each arm's level, and the programme's effect**"))
display(ranking.round(4))

# %% [markdown]
# `sensitivity.plot` draws the main index per parameter and arm with its interval, one
# panel per output and target (the figure `wlsim sweep` writes); here for two of the
# four outputs. The
# classic Morris plot, `sigma` against `mu_star`, separates parameters with large but
# steady effects (right, low) from those whose effect depends on the others (high);
# the four largest are labelled.

# %%
two_outputs = indices[indices["output"].isin(["mean_skill", "retention_initial"])]
# Short parameter names (the last part of the dotted path) keep the labels readable.
two_outputs = two_outputs.assign(parameter=two_outputs["parameter"].str.split(".").str[-1])
figure_path = sensitivity.plot(two_outputs, OUT / "morris" / "figures" / "sensitivity.png")
display(Image(filename=str(figure_path)))

fig = Figure(figsize=(10, 4), layout="constrained")
for ax, output in zip(fig.subplots(1, 2), ["mean_skill", "retention_initial"], strict=True):
    mentorship = (indices["arm"] == "mentorship") & (indices["target"] == "level")
    d = indices[mentorship & (indices["output"] == output)]
    d = d.pivot(index="parameter", columns="index", values="value")
    ax.scatter(d["mu_star"], d["sigma"], color=PALETTE[1])
    for name, row in d.nlargest(4, "mu_star").iterrows():  # label the four largest
        ax.annotate(name.split(".")[-1], (row["mu_star"], row["sigma"]), fontsize="x-small")
    ax.set_xlabel("mu_star (mean |elementary effect|)")
    ax.set_ylabel("sigma (spread of elementary effects)")
    ax.set_title(f"{output}, mentorship arm")
    ax.grid(alpha=0.3)
display(fig)

# %% [markdown]
# A built-in check: mentor capacity cannot matter where there is no programme, so its
# `mu_star` in the `no_programme` arm is zero.
#
# With three trajectories the ranking is a first look only: the bootstrap intervals are
# wide and may overlap. Screening with 10-20 trajectories (the scenario file's 10 is a
# start) and then Sobol indices (`method = "sobol"`) on the few parameters that matter
# is the usual sequence; see `docs/sweeps.md`. The folder `OUT` holds both sweeps; it is
# temporary unless you set it.

# %% [markdown]
# ## 5. Scenario discovery: where does the programme's gain clear a bar?
#
# Sensitivity indices say which parameters move the programme's effect; scenario
# discovery says *where*: in which region of the uncertain parameters does one arm beat
# another? `discover` (the command `wlsim discover SWEEP_DIR`) takes each point's mean
# paired difference between two arms (replicate by replicate, the same seeds), calls
# the points where arm A's advantage exceeds a threshold *wins*, and describes where
# they lie in two ways: the rules of a shallow decision tree (CART, scikit-learn) and a
# box found by PRIM (peeling and pasting, Friedman & Fisher 1999). Each comes in plain
# language with its **coverage** (the share of all wins the region includes) and
# **density** (the share of the region's points that are wins); PRIM's restrictions
# carry a quasi-p-value. It writes `discovery.csv`, `discovery_points.csv`,
# `discovery_trajectory.csv`, `discovery.md` and `figures/discovery.png` into the folder.
#
# Here we reuse the Morris sweep above, with a question of our own: mentorship beats
# no programme on mean skill at almost every point, so ask where its gain is above the
# sweep's median gain (`threshold`, in the metric's units), that is, where it is
# largest. A Morris design spreads its 27 points along a few trajectories; for
# discovery proper, sweep with `method = "lhs"` and 50 points or more
# (`scenarios/sweeps/where_mentorship_wins.toml`, then
# `wlsim discover results/where_mentorship_wins`).

# %%
first_look = discover(morris.folder, arm="mentorship", versus="no_programme", write=False)
bar = float(first_look.points["advantage"].median())
found = discover(morris.folder, arm="mentorship", versus="no_programme", threshold=bar)
for paragraph in found.summary():
    display(Markdown(paragraph))
display(found.table()[["method", "rule", "parameter", "low", "high", "coverage", "density"]])
display(Image(filename=str(morris.folder / "figures" / "discovery.png")))

# %% [markdown]
# Read the left panel from the right: PRIM peels the whole sweep (coverage 1) down to
# ever denser boxes, and keeps the widest whose density reaches 0.8 (`min_density`),
# before widening it again where that costs no density (pasting). The right panel shows
# each point over the two leading parameters, filled where the arm wins and pale where
# the win or loss is within the noise of the replicates.
#
# **What it does not show** (`found.caveats()`, also in `discovery.md`): the rules hold
# in this sweep only (its ranges, every other parameter at its scenario value); coverage
# and density are measured on the points the rules were found from, so they flatter; a
# win says nothing of the gain's size; and with 2 replicates per point most wins and
# losses are within noise, so the region's edge is rough. More replicates sharpen the
# labels, more points the edge.
