"""The HTML report of a calibration folder, and its figures.

``wlsim calibrate`` (and ``wlsim report CALIBRATION_DIR``) writes ``report.html`` and
``figures/*.png`` into the calibration folder: the question, the parameters and their
priors, the targets, the diagnostics per generation, the posterior, what the targets
identify and what trades off (:mod:`sim.analysis.posterior`), the posterior predictive
check, and what the calibration does not show. The figures are embedded in the report
as PNG data too, so the file can be mailed or opened offline.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import information
from sim.analysis import posterior as post
from sim.analysis.report import _CSS
from sim.errors import ScenarioError
from sim.files import atomic_write
from sim.scenario.loading import load_resolved

#: Files a finished calibration folder holds (provenance.json is optional for the report).
NEEDED = ("posterior.parquet", "generations.csv", "predictive.csv", "scenario.resolved.toml")

_NOT_SHOWN = (
    "ABC accepts a parameter set when its simulation comes within a finite tolerance of "
    "the data, so the posterior is an approximation, usually wider than the exact one, "
    "more so the larger the last generation's tolerance (above); the targets' sds enter "
    "only as the units of that distance, not as a likelihood. "
    "The targets listed are all the evidence it has: a parameter the targets do not "
    "depend on keeps the spread of its prior, and a model that reproduces these numbers "
    "may still be wrong about others (judge that against evidence that was not a "
    "target). The priors are part of the answer: a posterior piled against a bound says "
    "the data may favour values the prior excludes. Every parameter outside [calibration] "
    "stays at its value in the scenario, as if it were known exactly; the uncertainty "
    "shown here is conditional on those values. Correlations summarise straight-line "
    "trade-offs only, and with a small effective sample size they are noisy."
)


def is_calibration_folder(folder: str | Path) -> bool:
    """Whether ``folder`` was written by ``wlsim calibrate``, finished or not.

    It holds pyabc's database or the diagnostics per generation; a results folder of a
    run over a posterior holds a copy of ``posterior.parquet`` but neither of those.
    """
    folder = Path(folder)
    return (folder / "calibration.db").is_file() or (folder / "generations.csv").is_file()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # No software or date metadata, so the PNG bytes are reproducible.
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _img(data: bytes, alt: str) -> str:
    return (
        f'<img alt="{html.escape(alt)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}">'
    )


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="n/a")


def _read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    missing = [n for n in NEEDED if not (folder / n).is_file()]
    if missing:
        resume = (
            " The calibration did not finish: continue it with wlsim calibrate FILE --out "
            f"{folder} --resume."
            if (folder / "calibration.db").is_file()
            else ""
        )
        raise ScenarioError(
            f"{folder}: not a finished calibration folder (missing {', '.join(missing)}).{resume}"
        )
    meta_path = folder / "provenance.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    return (
        pd.read_parquet(folder / "posterior.parquet"),
        pd.read_csv(folder / "generations.csv"),
        # An empty baseline is no baseline, not a missing value.
        pd.read_csv(folder / "predictive.csv", dtype={"baseline": str}).fillna({"baseline": ""}),
        meta,
    )


def _predictive_table(predictive: pd.DataFrame) -> pd.DataFrame:
    inside = (predictive["simulated_q05"] <= predictive["observed"] + predictive["sd"]) & (
        predictive["simulated_q95"] >= predictive["observed"] - predictive["sd"]
    )
    z = (predictive["simulated_mean"] - predictive["observed"]) / predictive["sd"]
    return pd.DataFrame(
        {
            "target": predictive["target"],
            "observed": predictive["observed"],
            "sd": predictive["sd"],
            "simulated mean": predictive["simulated_mean"],
            "simulated 5%": predictive["simulated_q05"],
            "simulated 95%": predictive["simulated_q95"],
            "mean - observed (sds)": z,
            "reproduced": ["yes" if ok else "no" for ok in inside],
        }
    )


def build(folder: str | Path) -> tuple[str, dict[str, bytes]]:
    """The report of a calibration folder, and its figures.

    Args:
        folder: A folder written by ``wlsim calibrate`` that finished.

    Returns:
        The HTML text (figures embedded) and the figures' PNG bytes by file stem.

    Raises:
        ScenarioError: If the folder is not a finished calibration folder, or its tables
            do not match its scenario's ``[calibration]`` section.
    """
    folder = Path(folder)
    posterior, generations, predictive, meta = _read(folder)
    scenario = load_resolved(folder / "scenario.resolved.toml")
    cal = scenario.calibration
    priors = post.priors_frame(cal.parameters)
    figures = {
        "generations": post.generation_diagnostics(generations),
        "prior_posterior": post.prior_posterior(posterior, priors),
        "predictive_check": post.predictive_check(predictive),
    }
    if len(priors) > 1:
        figures["pairs"] = post.pairs(posterior, priors)
    pngs = {name: _png(fig) for name, fig in figures.items()}
    summary = post.summary(posterior, priors)
    narrowed = post.narrowing(posterior, priors)
    pairs = post.tradeoffs(posterior, priors)
    last = generations.iloc[-1]
    ess = float(last["effective_sample_size"])
    noise = 2 / math.sqrt(ess) if ess > 0 else math.nan
    simulated = int(generations["simulated"].sum())
    shown = summary.rename(
        columns={"q05": "5%", "q95": "95%", "near_bound": "median near prior bound"}
    )
    parts = [
        f"<h1>{html.escape(scenario.name)}: calibration</h1>",
        "<h2>The question</h2>",
        f"<p>{html.escape(scenario.description.strip() or '(no description)')}</p>",
        f"<p class='note'>ABC-SMC (pyabc) with {cal.population} particles per generation, "
        f"{cal.replicates} replicate(s) per particle, {len(generations)} generation(s) run "
        f"(stopping rule: at most {cal.generations} generations, {cal.budget_simulations:,} "
        f"simulations, tolerance {cal.tolerance:g}), {simulated:,} parameter sets simulated; "
        f"{scenario.organisation.n_employees} employees, {scenario.horizon_weeks} weeks, "
        f"seed {scenario.seed}; wlsim {meta.get('wlsim_version', '?')}, commit "
        f"{meta.get('git_commit', '?')}, wall time {meta.get('wall_time_seconds', '?')} s."
        "</p>",
        "<h2>Parameters and priors</h2>",
        "<p class='note'>A loguniform prior is uniform in the logarithm of the parameter. "
        "Every other parameter stays at its value in the scenario (below).</p>",
        _table(priors),
        "<h2>Targets</h2>",
        "<p class='note'>Each target is a metric at a week, averaged over a particle's "
        "replicates, in an arm or as its paired difference from a baseline arm; a "
        "programme's effect size on its learners against the control arm (metric "
        "effect:OUTCOME, as effects.csv reports it); or a row of the organisation's history "
        "file (counts over a period ending at the week shown, or a survey mean at it); sd "
        "is the uncertainty of the observed value, the unit in which a simulation's "
        "distance from the data is measured.</p>",
        _table(predictive[[c for c in TARGET_COLUMNS if c in predictive]]),
        "<h2>Diagnostics per generation</h2>",
        "<p class='note'>The tolerance should shrink from generation to generation; a "
        "falling acceptance rate is the price of a smaller tolerance. The effective sample "
        "size says how many equally weighted particles the weighted ones are worth.</p>",
        _table(generations),
        f"<p>{html.escape(_tolerance_sentence(float(last['tolerance']), len(predictive)))}</p>",
        _img(pngs["generations"], "diagnostics per generation"),
        "<h2>Posterior</h2>",
        "<p class='note'>Weighted over the last generation's particles. The 90% interval "
        "runs from the 5% to the 95% weighted quantile.</p>",
        _table(shown),
        _img(pngs["prior_posterior"], "prior and posterior per parameter"),
    ]
    if "pairs" in pngs:
        parts += [
            "<h3>Pairs of parameters</h3>",
            "<p class='note'>Each dot is a particle, its area its weight, over the priors' "
            "ranges. A cloud stretched along a diagonal means the targets fix a combination "
            "of the two parameters, not each.</p>",
            _img(pngs["pairs"], "pairwise posterior"),
        ]
    parts += _identifiability_section(narrowed, pairs, noise)
    if (folder / information.SCREEN_FILE).is_file():
        parts += _screen_section(
            pd.read_parquet(folder / information.SCREEN_FILE), predictive, narrowed
        )
    parts += [
        "<h2>Posterior predictive check</h2>",
        "<p class='note'>What the posterior particles simulated for each target, against "
        "the observed value. Reproduced: the simulated 5-95% range overlaps the observed "
        "value +/- its sd. A target not reproduced is one the model, with parameters within "
        "the priors, does not match together with the other targets, or one the "
        "calibration stopped too early to reach (its last tolerance is too large).</p>",
        _table(_predictive_table(predictive)),
        _img(pngs["predictive_check"], "posterior predictive check"),
        "<h2>What this does not show</h2>",
        f"<p>{html.escape(_NOT_SHOWN)}</p>",
        "<h2>Scenario</h2><p class='note'>As calibrated, after inheritance, overrides and "
        "defaults (scenario.resolved.toml).</p>",
        f"<pre>{html.escape((folder / 'scenario.resolved.toml').read_text(encoding='utf-8'))}"
        "</pre>",
        "<h2>Provenance</h2>",
        f"<pre>{html.escape(json.dumps(meta, indent=2))}</pre>",
    ]
    body = "\n".join(parts)
    text = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        f"{html.escape(scenario.name)}: wlsim calibration report</title><style>{_CSS}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )
    return text, pngs


def _tolerance_sentence(tolerance: float, n_targets: int) -> str:
    """The last tolerance against what matching every target within its sd would give."""
    within = math.sqrt(n_targets)
    text = (
        f"The last generation accepted particles within a distance of {tolerance:.3g} of the "
        f"data (in target sds); a simulation matching every target to within its sd lies "
        f"within {within:.3g}."
    )
    if tolerance > 2 * within:
        text += (
            " The tolerance is still large against the targets' uncertainty: more "
            "generations (or a larger budget) would narrow the posterior further, or show "
            "that the model cannot match the targets together."
        )
    return text


def _identifiability_section(narrowed: pd.DataFrame, pairs: pd.DataFrame, noise: float) -> list:
    """What the targets pin down, what they leave open, and which parameters trade off."""
    counts = narrowed["verdict"].value_counts()
    pinned = int(counts.get("pinned down", 0))
    open_ = int(counts.get("not identified by these targets", 0))
    confounded = pairs[pairs["verdict"] == "trade off (confounded)"]
    lead = (
        f"Of {len(narrowed)} parameter(s), these targets pin down {pinned}, narrow "
        f"{int(counts.get('partly', 0))} partly and leave {open_} about where the prior had "
        f"them; {len(confounded)} pair(s) trade off."
    )
    parts = [
        "<h2>Identifiability: what to measure next</h2>",
        f"<p>{html.escape(lead)}</p>",
        "<p class='note'>sd ratio: the posterior sd over the prior sd, both on the scale on "
        f"which the prior is flat (log10 for a loguniform prior). Below {post.PINNED}: pinned "
        f"down; {post.PINNED}-{post.NOT_IDENTIFIED}: partly; above {post.NOT_IDENTIFIED}: "
        "not identified by these targets.</p>",
        _table(narrowed.drop(columns="meaning")),
        "<ul>",
        *(f"<li>{html.escape(m)}</li>" for m in narrowed["meaning"]),
        "</ul>",
    ]
    if len(pairs):
        parts += [
            "<h3>Trade-offs between parameters</h3>",
            "<p class='note'>Weighted posterior correlation on the priors' flat scales; "
            f"|r| &ge; {post.TRADE_OFF}: the pair trades off (is confounded). With the last "
            f"generation's effective sample size, correlations within about "
            f"&plusmn;{noise:.2f} of 0 cannot be told from none.</p>",
            _table(pairs.drop(columns="meaning")),
        ]
        if len(confounded):
            parts += [
                "<ul>",
                *(
                    f"<li><b>{html.escape(a)}</b> and <b>{html.escape(b)}</b>: "
                    f"{html.escape(m)}</li>"
                    for a, b, m in confounded[["parameter_a", "parameter_b", "meaning"]].to_numpy()
                ),
                "</ul>",
            ]
        else:
            parts.append("<p>No pair of parameters trades off strongly in the posterior.</p>")
    return parts


#: Columns of the targets table (``source`` only in folders that record it).
TARGET_COLUMNS = ("target", "metric", "arm", "baseline", "week", "observed", "sd", "source")


def _screen_section(
    screen: pd.DataFrame, predictive: pd.DataFrame, narrowed: pd.DataFrame
) -> list[str]:
    """Which targets inform which parameter, and what to measure next (linearised)."""
    names = list(narrowed["parameter"])
    design = screen[[f"z:{n}" for n in names]].set_axis(names, axis=1)
    stats = screen.drop(columns=[*names, *(f"z:{n}" for n in names)])
    sens = information.sensitivities(design, stats)
    sds = dict(zip(predictive["target"], predictive["sd"], strict=True))
    sds = {k: v for k, v in sds.items() if k in set(sens["statistic"])}
    table = information.by_target(sens, names, sds)
    table.insert(2, "abc_sd_ratio", narrowed["sd_ratio"].to_numpy())
    value = information.measurement_value(sens, names, sds)
    open_ = list(narrowed.loc[narrowed["verdict"] != "pinned down", "parameter"])
    best = value.sort_values("gain", ascending=False).groupby("parameter", sort=False).head(3)
    best = best[best["gain"] >= information.MIN_GAIN]
    parts = [
        "<h3>Which targets inform which parameter</h3>",
        f"<p class='note'>From a screen of {len(screen)} parameter sets spread over the "
        "priors (a Latin hypercube), each target regressed on the parameters (on the priors' "
        "flat scales): a linear, Gaussian approximation. all_targets is the linearised "
        "posterior sd over the prior sd; abc_sd_ratio the one the calibration measured on "
        "its particles (where they differ much, the relation is not linear and the "
        "approximation is rough); each 'without' column repeats all_targets without that "
        "target: where it rises, the target informs the parameter.</p>",
        _table(table),
        "<h3>What to measure next</h3>",
    ]
    if not open_:
        parts.append("<p>The targets pin down every parameter; nothing more is needed.</p>")
    else:
        parts += [
            "<p class='note'>For each parameter the targets leave open, the candidate "
            "measurements that would narrow it most if added to the targets, each measured "
            "once with the simulations' own noise (as an organisation of the simulated size "
            "would measure it), in the same linear approximation.</p>",
            "<ul>",
            *(f"<li>{html.escape(a)}</li>" for a in information.advice(value, open_)),
            "</ul>",
            _table(best[best["parameter"].isin(open_)]),
        ]
    return parts


def write_report(folder: str | Path) -> Path:
    """Write ``report.html`` and ``figures/*.png`` into a calibration folder; return the report.

    Raises:
        ScenarioError: If the folder is not a finished calibration folder.
    """
    folder = Path(folder)
    text, pngs = build(folder)
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    for name, data in pngs.items():
        atomic_write(figures / f"{name}.png", data)
    path = folder / "report.html"
    atomic_write(path, text.encode())
    return path
