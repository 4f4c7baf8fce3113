"""A self-contained HTML report of a results folder: figures, tables and the scenario.

``wlsim report RESULTS_DIR`` (and ``wlsim run``, by default) writes ``report.html`` next
to the results. Figures are embedded as PNG data, so the file can be mailed or opened
offline. The organisation networks are drawn by re-running replicate 0 of each arm,
which reproduces the run exactly (same scenario, same seeds).
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import network, plots, ranking
from sim.analysis.compare import end_of_horizon, paired_differences
from sim.analysis.conclusion import conclude
from sim.analysis.summary import format_table
from sim.analysis.targets import targets_table
from sim.analysis.uncertainty import format_beating
from sim.errors import ScenarioError
from sim.files import atomic_write
from sim.model.metrics import HEADLINE
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import load_resolved

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.note { color: #555; font-size: 0.9em; }
"""


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _spread_section(ts: pd.DataFrame, domain: str, week: int, k: int) -> list[str]:
    """How fast a seeded skill spread, per arm: weeks until half and a quarter were proficient."""
    rows = []
    for share in (0.25, 0.5):
        per_run = network.spread(ts, domain, week, share)
        for arm, runs in per_run.groupby("arm", sort=False):
            weeks = runs["weeks_to_share"]
            rows.append(
                {
                    "arm": arm,
                    "share of employees": f"{share:.0%}",
                    "weeks (mean over replicates that reached it)": weeks.mean(),
                    "replicates that reached it": f"{weeks.notna().sum()} of {len(weeks)}",
                    "share proficient at the end": runs["final_share"].mean(),
                }
            )
    table = pd.DataFrame(rows)
    return [
        f"<h2>Spread of the new skill: {html.escape(domain)}</h2>",
        f"<p class='note'>{k} employees were seeded at week {week}; weeks from then until "
        "the share of employees at or above the proficiency threshold in the domain "
        f"reached each level (column share_proficient_{network.slug(domain)} of the time "
        "series).</p>",
        table.to_html(index=False, float_format=lambda x: f"{x:.3g}"),
    ]


def _effects_section(effects: pd.DataFrame) -> list[str]:
    """Effect sizes on the learners against the published evidence (effects.csv)."""
    if effects.empty:
        return [
            "<h2>Effect sizes</h2><p class='note'>No effect sizes: the run has no arm "
            "without programmes to serve as control, or no programme.</p>"
        ]

    def cell(est: float, low: float, high: float) -> str:
        return "n/a" if pd.isna(est) else f"{est:.2f} [{low:.2f}, {high:.2f}]"

    def target(row: pd.Series) -> str:
        if not row["target_role"] or pd.isna(row["target_role"]):
            return "none (no evidence)"
        if pd.isna(row["target_low"]):
            return f"{row['target_role']}: small (qualitative)"
        lo, hi = row["target_low"], row["target_high"]
        value = f"{lo:.2f}" if lo == hi else f"{lo:.2f} to {hi:.2f}"
        return f"{row['target_role']}: {value}"

    shown = effects.assign(
        effect=[cell(*v) for v in effects[["estimate", "ci_low", "ci_high"]].to_numpy()],
        evidence=effects.apply(target, axis=1),
    )
    cols = ["arm", "programme", "timepoint", "week", "outcome", "measure", "statistic",
            "effect", "evidence", "n_analysed", "attrition_arm", "attrition_control",
            "reliability"]  # fmt: skip
    return [
        "<h2>Effect sizes on the learners, against the evidence</h2>",
        "<p class='note'>For each programme, its learners (initial employees assigned to "
        "its learning side by the programme's end) against the same people in the "
        "control arm, same seeds: d = difference of means over those still employed in "
        "both arms, divided by the control arm's sd of the same people, at the "
        "programme's end (or one year after its start) and at the horizon; risk ratios "
        "over all learners. Latent: true states; observed: what HR would measure (ratings "
        "with rater error and leniency, surveys with non-response and noise; docs/model.md "
        "7.16), compared with the published delta times sqrt(reliability). Mean [95% CI] "
        "over replicates. A <em>reference</em> comes from a different intervention "
        "(professional coaching), not from evidence on the design. The file effects.csv "
        "holds every column.</p>",
        shown[cols].to_html(index=False, float_format=lambda x: f"{x:.3g}"),
        "<h3>Published values</h3>",
        targets_table().to_html(index=False),
    ]


def _uncertainty_section(table: pd.DataFrame, meta: dict) -> list[str]:
    """The probability that each arm beats the control arm over the posterior's draws."""
    post = meta.get("posterior", {})
    if table.empty:
        return []
    baseline = str(table["baseline"].iloc[0])
    noisy = (
        " With one replicate per draw, replicate noise counts as parameter uncertainty."
        if post.get("replicates_per_draw") == 1
        else ""
    )
    return [
        f"<h2>Parameter uncertainty: probability of beating {html.escape(baseline)}</h2>",
        f"<p class='note'>Run over the posterior in {html.escape(str(post.get('source')))}: "
        f"{post.get('draws')} draws of its parameters ({', '.join(post.get('parameters', []))})"
        f", {post.get('replicates_per_draw')} replicates each, the same draw in every arm. "
        "For each draw, the mean paired difference from the baseline estimates the expected "
        "difference under those parameters; P is the share of draws where it favours the "
        "arm (higher is better, lower for costs, quits and time to proficiency), with the "
        "mean over draws and the 90% credible interval (5% and 95% of the draws' means)."
        f"{noisy} Every pair of arms, and the noise within draws, is in uncertainty.csv.</p>",
        format_beating(table, baseline).to_html(),
    ]


def _assumptions_section(scenario, arms: list[str], rerank: bool) -> list[str]:
    """Which assumed parameters the ranking of the arms rests on, and how much."""
    assumed = ranking.assumed_parameters(scenario, arms)
    parts = [
        "<h2>What the ranking of arms rests on</h2>",
        f"<p>The arms' programmes exercise {len(assumed)} parameters whose value is an "
        "assumption, not a measurement (listed below with their sensitivity ranges). "
        "Any ranking of the arms holds only as far as these assumptions hold.</p>",
    ]
    if rerank:
        table = ranking.ranking_sensitivity(scenario, arms)
        changed = int((~table["same_as_default"]).sum())
        parts += [
            f"<p>Re-ranked on mean_skill with each of {len(ranking.INFLUENTIAL)} "
            "assumptions that docs/calibration.md names as deciding how designs rank set "
            "to each end of its sensitivity range, one at a time, on a reduced run (at "
            "most 200 employees, 52 weeks, 2 replicates, the same seeds in every arm; "
            f"not the run above): the ranking changes in {changed} of {len(table) - 1} "
            "settings. A full sensitivity analysis: scenarios/sweeps/sensitivity_morris.toml."
            "</p>",
            table.to_html(index=False, float_format=lambda x: f"{x:.4g}"),
        ]
    else:
        parts.append(
            "<p class='note'>The re-ranking under these assumptions' ranges was skipped "
            "(report written without re-runs).</p>"
        )
    parts += [
        "<details><summary>Assumed parameters the programmes exercise</summary>",
        assumed.to_html(index=False),
        "</details>",
    ]
    return parts


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _conclusion_section(folder: Path, ts: pd.DataFrame, scenario) -> list[str]:
    """The report's opening: the plain-language conclusion (:mod:`.conclusion`)."""
    path = folder / "effects.csv"
    effects = pd.read_csv(path) if path.is_file() else None
    paragraphs = conclude(ts, effects, scenario.costs.currency)
    return ["<h2>In short</h2>", *(f"<p>{html.escape(p)}</p>" for p in paragraphs)]


def build(folder: str | Path, network_weeks: bool = True) -> str:
    """The HTML text of the report of a results folder.

    Args:
        folder: A folder written by ``wlsim run``.
        network_weeks: Draw the organisation network at the start and the end (re-runs
            replicate 0 of each arm), and re-rank the arms under the ends of the most
            influential assumptions' ranges (small re-runs; see :mod:`.ranking`).

    Raises:
        ScenarioError: If the folder is not a complete results folder.
    """
    folder = Path(folder)
    needed = ["timeseries.parquet", "summary.csv", "scenario.resolved.toml", "metadata.json"]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise ScenarioError(
            f"{folder}: not a complete results folder (missing {', '.join(missing)})"
        )
    ts = pd.read_parquet(folder / "timeseries.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    meta = json.loads((folder / "metadata.json").read_text())
    scenario = load_resolved(folder / "scenario.resolved.toml")
    survival = (
        pd.read_parquet(folder / "survival.parquet")
        if (folder / "survival.parquet").is_file()
        else None
    )
    arms = list(dict.fromkeys(ts["arm"]))
    org = scenario.organisation
    parts = [
        f"<h1>{html.escape(scenario.name)}</h1>",
        f"<p>{html.escape(scenario.description.strip())}</p>",
        f"<p class='note'>{len(arms)} arms x {meta.get('replicates')} replicates, "
        f"{scenario.horizon_weeks} weeks, {org.n_employees} employees, seed {scenario.seed}; "
        f"wlsim {meta.get('wlsim_version')}, commit {meta.get('git_commit')}, "
        f"run {meta.get('started_utc')}.</p>",
        *_conclusion_section(folder, ts, scenario),
        "<h2>End of horizon</h2><p class='note'>Mean [95% CI] over replicates.</p>",
        format_table(summary).T.to_html(),
    ]
    if len(arms) > 1:
        diffs = paired_differences(
            end_of_horizon(ts),
            arms[0],
            # The headline metrics, with the total cost broken down into its two parts.
            [m for m in (*HEADLINE, "session_cost", "replacement_cost") if m in ts.columns],
        )
        shown = diffs[["arm", "metric", "mean_diff", "ci_low", "ci_high", "n"]]
        parts += [
            f"<h2>Paired differences from {html.escape(arms[0])}</h2>",
            "<p class='note'>Replicate by replicate (the same seeds in every arm), with "
            "95% t-intervals.</p>",
            # Money runs to millions: thousands separators, never scientific notation.
            shown.to_html(index=False, float_format=_number),
            "<h2>Is it worth it?</h2>",
            _png(plots.cost_benefit(diffs)),
        ]
    if (folder / "uncertainty.csv").is_file():
        parts += _uncertainty_section(pd.read_csv(folder / "uncertainty.csv"), meta)
    if (folder / "effects.csv").is_file():
        parts += _effects_section(pd.read_csv(folder / "effects.csv"))
    if len(arms) > 1:
        parts += _assumptions_section(scenario, arms, rerank=network_weeks)
    parts += [
        "<h2>Skill diffusion</h2>",
        _png(plots.skill_diffusion(ts)),
        _png(plots.skill_by_domain(ts, list(org.domains))),
        _png(plots.skill_by_level(ts, list(org.levels))),
    ]
    for seed in scenario.skill_seeds:
        parts += _spread_section(ts, seed.domain, seed.week, seed.k)
    if all(c in ts.columns for c in plots.LEARNING_COLUMNS):
        parts += [
            "<h2>Learning from others: informal versus programmes</h2>",
            _png(plots.learning(ts)),
            "<p class='note'>The skill employees gained by asking colleagues for advice "
            "(solid) and in programme sessions (dashed), added up since week 0, and the "
            "share that came from advice; how much one advice episode teaches is an "
            "assumption of the model awaiting calibration against data, so read the advice "
            "curves as what follows from that assumption, not as a measurement.</p>",
        ]
    parts += [
        "<h2>Who is left behind</h2>",
        _png(plots.skill_distribution(ts)),
        "<h2>Retention</h2>",
        _png(plots.retention(ts)),
    ]
    if survival is not None:
        parts.append(_png(plots.survival(survival)))
    parts += ["<h2>Engagement</h2>", _png(plots.engagement(ts))]
    if network_weeks:
        parts.append(
            "<h2>The organisation</h2><p class='note'>Replicate 0 of each arm, at the "
            "start and at the end. Grey lines are reporting lines, coloured lines the "
            "programme relationships running that week; thin blue lines are advice ties "
            "(whom people ask), fainter the weaker, and reddish-purple ones were made or "
            "strengthened by a programme. Dots are employees: colour is mean skill, size "
            "is level.</p>"
        )
        for arm in arms:
            model = WorkplaceModel(scenario, arm=arm, replicate=0)
            parts += [f"<h3>{html.escape(arm)}</h3>", _png(plots.network(model))]
            model.run()
            parts.append(_png(plots.network(model)))
    parts += [
        "<h2>Scenario</h2><p class='note'>As run, after inheritance, overrides and defaults "
        "(scenario.resolved.toml).</p>",
        f"<pre>{html.escape((folder / 'scenario.resolved.toml').read_text())}</pre>",
        "<h2>Provenance</h2>",
        f"<pre>{html.escape(json.dumps(meta, indent=2))}</pre>",
    ]
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        f"{html.escape(scenario.name)}: wlsim report</title><style>{_CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def write_report(folder: str | Path, network_weeks: bool = True) -> Path:
    """Write ``report.html`` into a results folder (atomically) and return its path."""
    folder = Path(folder)
    path = folder / "report.html"
    atomic_write(path, build(folder, network_weeks).encode())
    return path
