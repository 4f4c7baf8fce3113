"""wlsim's vectorised engine against the per-agent Mesa reference (benchmarks/reference_mesa.py).

Both implementations run the flagship scenario (scenarios/mentorship_vs_peer_coaching.toml),
informal learning included (the default ``informal.enabled = true``: advice ties, advice
seeking, programme ties and managers' feedback, docs/model.md 7.13), at 400 employees
for 52 weeks, over ``REPLICATES`` independent replicates each (wlsim:
replicates 0.. of the scenario's seed; the reference: Mesa seeds 0..), in three runs:

* ``none``: the no-programme arm;
* ``both``: the arm with mentorship and peer coaching together;
* ``sessions``: the same arm with ``learning.feedback_per_hour = 0``, so that sessions
  give no feedback (managers' feedback stays). Much of the programmes' effect on skill
  comes through feedback raising practice; without it, what is left is learning from
  partners in sessions (and mentors' practice from guiding), which this run isolates.

The reference shares no code with ``sim/`` and draws its own random numbers (in its own
order), so only the dynamics can make the two agree.

Criterion. For each metric in ``METRICS`` at week 52 we compare its level in each run
and the programme effects ``both - none`` and ``sessions - none`` (per replicate; each
implementation draws the same initial organisation in every run of a replicate, so
effects are measured precisely). For each comparison the Welch statistic
``t = (mean_ref - mean_wlsim) / se``, ``se = sqrt(s_ref^2 / n_ref + s_wlsim^2 / n_wlsim)``,
must satisfy ``|t| <= t_crit``, the two-sided Student quantile at family-wise level
``ALPHA = 0.01``, Bonferroni-corrected over all ``K`` comparisons (K = 32), with
Welch-Satterthwaite degrees of freedom. Equivalently: the ``1 - ALPHA / K`` confidence
interval of each difference of means contains 0. Two correct implementations fail with
probability at most 1%; the seeds are fixed, so the outcome is deterministic. Measured
when written (``t_crit`` about 3.8): the largest ``|t|`` was 3.0 for replicates 0-39 (the
effect of sessions on retention, a noisy quantity), and 1.6, 1.3 and 1.5 for the blocks
of 40 replicates starting at 1000, 2000 and 3000 (``FIRST_REPLICATE``). Those figures
were measured without informal learning. With it, and 60 replicates (``t_crit`` about
3.7), the largest ``|t|`` was 2.3 for replicates 0-59 (the effect of sessions on share
proficient; by group: levels 1.1 (none), 0.87 (both), 1.75 (sessions), effects 1.24
(both) and 2.3 (sessions)), and 1.34 for the block of 60 starting at 1000. With
people who differ and feedback per domain (docs/model.md 7.4 and 7.15) and 80 replicates
(``t_crit`` about 3.7), the largest ``|t|`` was 2.7 for replicates 0-79 (the effect of
both programmes on share proficient; by group: levels 2.1 (none, engagement), 1.6
(both), 1.2 (sessions), effects 2.7 (both) and 1.2 (sessions)), and 1.4 for the
block of 60 starting at 1000 (runs none and both only).
Session hours are exactly 0 without programmes in both (checked separately).

Power. An interval can contain 0 because it is wide; ``test_the_test_has_power`` checks
that the intervals are narrow enough to matter. Half-widths, as a share of the quantity
(measured when written, and the bound asserted):

* effect of both programmes on mean skill: 0.18 (bound 1/3); on engagement: 0.28 (1/3);
* effect of session learning alone on leadership skill: 0.11 (1/2);
* cumulative quits without programmes: 0.06 (0.10).

(With informal learning and 40 replicates the half-width for engagement was 0.37 of the
effect, hence 60 replicates; with people who differ and feedback per domain the
programmes' effect on engagement is smaller, and with 60 replicates the half-width was
0.34 of it, hence 80; at the calibrated defaults (support per session 0.0042) it was
0.41 of it with 80, hence ``FOR_POWER``. The reference's programme effects are about
twice as noisy as wlsim's: it draws everything from one stream, so the runs of a replicate draw
different numbers once they diverge, its many informal draws included, while wlsim
keeps a stream per purpose aligned across runs.)

Checked by mutation when written: the reference with the quit hazard 10% too high, or
with the session learning rate 50% too high, or without managers' feedback (|t| up to
49), fails this test. The skill that advice itself teaches is too small to be seen at
week 52 (about 0.001 of mean skill per employee in a year): the reference without
advice gains, or without programme ties, still passes (largest |t| 1.2 and 2.7 with 40
replicates). Those rules are checked by tests/test_advice.py, and were checked against
the reference by comparing intermediate quantities (advice episodes and feedback
conversations a week, ties per employee, tie strength, share of programme ties, skill
gained from advice: all within |t| < 1 over 12 replicates when written), not by this
test. Share proficient and retention are compared too, but the programmes' effects on
them are within the noise at this size: for those the comparisons catch only gross
errors.

Runtime: about 150 s (80 replicates, on a machine with two cores shared with other work)
when the reference runs; about 30 s when its results are taken from
``tests/reference/mesa_finals.json``, which holds them with a fingerprint of everything
they depend on (the reference's code, each run's resolved parameters, replicates, weeks,
and the versions of Python, numpy and Mesa). When any of those changes the reference runs
again and rewrites the file, to be committed with the change; wlsim's side always runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import arm_scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
#: The reference's results with the fingerprint of their inputs (:func:`_reference_finals`).
REFERENCE_CACHE = ROOT / "tests" / "reference" / "mesa_finals.json"
REPLICATES = 80
N_EMPLOYEES = 400
WEEKS = 52
ALPHA = 0.01
#: Replicates are numbered from here (the reference's seeds and wlsim's replicate numbers).
FIRST_REPLICATE = 0
#: Run name -> (arm, extra overrides).
RUNS = {
    "none": ("no_programme", []),
    "both": ("both", []),
    "sessions": ("both", ["learning.feedback_per_hour=0.0"]),
}
#: Mechanisms the reference model does not have, switched off in every run: rater error
#: and sponsors' nominations in promotion (docs/model.md section 7.8), and relationships
#: that can fail (section 7.2.5), and knowledge going stale (section 7.14).
MECHANISMS_OFF = [
    "promotion.sd_rater_error=0.0",
    "promotion.nomination=false",
    "programmes.mentorship.relationship_failure=false",
    "programmes.peer_coaching.relationship_failure=false",
    "learning.rate_skill_obsolescence_per_year=0",
]
#: Set for power, not for realism: the calibrated support per session (0.0042) makes the
#: programmes' effect on engagement too small for 80 replicates to compare it within a
#: third of its size; the top of its sensitivity range doubles the effect. Both
#: implementations read the value, so the comparison of dynamics is unchanged.
FOR_POWER = ["engagement.support_per_session=0.01"]
EFFECTS = {"effect_both": "both", "effect_sessions": "sessions"}
METRICS = (
    "mean_skill",
    "mean_skill_leadership",
    "share_proficient",
    "mean_engagement",
    "retention_initial",
    "cumulative_quits",
    "session_hours",
)


def _load_reference():
    spec = importlib.util.spec_from_file_location(
        "reference_mesa", ROOT / "benchmarks" / "reference_mesa.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reference_mesa", module)
    spec.loader.exec_module(module)
    return module


def _comparisons() -> list[tuple[str, str]]:
    """(quantity, metric) pairs compared; session hours are 0 without a programme."""
    out = [
        (run, m) for run in RUNS for m in METRICS if not (run == "none" and m == "session_hours")
    ]
    return out + [(eff, m) for eff in EFFECTS for m in METRICS if m != "session_hours"]


def _scenario(run: str) -> Any:
    """The scenario of a run (its overrides on the flagship)."""
    overrides = RUNS[run][1]
    return load_scenario(
        ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml",
        [
            f"organisation.n_employees={N_EMPLOYEES}",
            f"horizon_weeks={WEEKS}",
            *MECHANISMS_OFF,
            *FOR_POWER,
            *overrides,
        ],
    )


def _fingerprint(scenarios: dict[str, Any]) -> str:
    """Everything the reference's results depend on, hashed.

    Its code, each run's resolved parameters (the reference reads the scenario wlsim
    validates, defaults included), arm, replicates and weeks, the metrics kept, and the
    versions of Python, numpy and Mesa it runs on.
    """
    digest = hashlib.sha256((ROOT / "benchmarks" / "reference_mesa.py").read_bytes())
    for run, scenario in scenarios.items():
        digest.update(f"{run}:{RUNS[run][0]}:".encode())
        # what the reference reads: the arm's scenario, its overrides merged and validated
        digest.update(arm_scenario(scenario, RUNS[run][0]).model_dump_json().encode())
    versions = [sys.version.split()[0], metadata.version("numpy"), metadata.version("mesa")]
    what = [REPLICATES, FIRST_REPLICATE, WEEKS, list(METRICS), versions]
    digest.update(json.dumps(what).encode())
    return digest.hexdigest()


def _reference_finals(scenarios: dict[str, Any]) -> dict[str, np.ndarray]:
    """The reference's week-52 metrics per run, from ``REFERENCE_CACHE`` when it is current.

    The reference is an oracle that changes only with its inputs, so its results are kept
    in the repository with the fingerprint of those inputs (:func:`_fingerprint`). When
    the fingerprint differs (the reference, a default parameter or a version changed),
    the reference runs again (about two minutes) and the file is rewritten: commit it.
    """
    key = _fingerprint(scenarios)
    if REFERENCE_CACHE.exists():
        kept = json.loads(REFERENCE_CACHE.read_text())
        if kept["fingerprint"] == key:
            return {run: np.array(kept["finals"][run], dtype=float) for run in RUNS}
    reference = _load_reference()
    out = {}
    for run, scenario in scenarios.items():
        rows = []
        for r in range(FIRST_REPLICATE, FIRST_REPLICATE + REPLICATES):
            model = reference.ReferenceModel(scenario, RUNS[run][0], seed=r)
            model.run(WEEKS)
            rows.append([model.records[-1][m] for m in METRICS])
        out[run] = np.array(rows, dtype=float)
    finals = {run: rows.tolist() for run, rows in out.items()}
    text = json.dumps({"fingerprint": key, "metrics": list(METRICS), "finals": finals})
    REFERENCE_CACHE.write_text(text + "\n")
    return out


@pytest.fixture(scope="module")
def finals() -> dict[str, dict[str, np.ndarray]]:
    """Week-52 metrics: ``finals[impl][quantity]`` is an array (replicates, metrics)."""
    scenarios = {run: _scenario(run) for run in RUNS}
    out: dict[str, dict[str, np.ndarray]] = {"reference": _reference_finals(scenarios)}
    out["wlsim"] = {}
    for run, scenario in scenarios.items():
        rows = []
        for r in range(FIRST_REPLICATE, FIRST_REPLICATE + REPLICATES):
            wl = WorkplaceModel(scenario, arm=RUNS[run][0], replicate=r)
            wl.run(WEEKS)
            rows.append([wl.records[-1][m] for m in METRICS])
        out["wlsim"][run] = np.array(rows, dtype=float)
    for impl in out.values():
        for effect, run in EFFECTS.items():
            impl[effect] = impl[run] - impl["none"]
    return out


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Difference of means, its standard error and Welch-Satterthwaite degrees of freedom."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else np.inf
    return float(a.mean() - b.mean()), se, float(df)


def _t_crit(df: float) -> float:
    k = len(_comparisons())
    return float(stats.t.ppf(1 - ALPHA / k / 2, df))


@pytest.mark.parametrize(("quantity", "metric"), _comparisons())
def test_reference_and_engine_agree(finals, quantity: str, metric: str) -> None:
    j = METRICS.index(metric)
    ref, eng = finals["reference"][quantity][:, j], finals["wlsim"][quantity][:, j]
    diff, se, df = _welch(ref, eng)
    limit = _t_crit(df) * se
    assert abs(diff) <= limit, (
        f"{quantity} {metric}: reference {ref.mean():.5g} vs wlsim {eng.mean():.5g}, "
        f"difference {diff:.4g} outside +/-{limit:.4g} (t = {diff / se:.2f})"
    )


def test_session_hours_zero_without_programmes(finals) -> None:
    j = METRICS.index("session_hours")
    assert (finals["reference"]["none"][:, j] == 0).all()
    assert (finals["wlsim"]["none"][:, j] == 0).all()


@pytest.mark.parametrize(
    ("quantity", "metric", "share"),
    [
        ("effect_both", "mean_skill", 1 / 3),
        ("effect_both", "mean_engagement", 1 / 3),
        ("effect_sessions", "mean_skill_leadership", 1 / 2),
        ("none", "cumulative_quits", 0.1),
    ],
)
def test_the_test_has_power(finals, quantity: str, metric: str, share: float) -> None:
    j = METRICS.index(metric)
    ref, eng = finals["reference"][quantity][:, j], finals["wlsim"][quantity][:, j]
    _, se, df = _welch(ref, eng)
    scale = eng.mean()
    assert scale > 0, f"{quantity} of {metric} should be positive"
    half_width = _t_crit(df) * se
    assert half_width <= share * scale, (
        f"{quantity} {metric}: interval half-width {half_width:.4g} is more than "
        f"{share:.2f} of {scale:.4g}"
    )
