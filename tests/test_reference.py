"""wlsim's vectorised engine against the per-agent Mesa reference (benchmarks/reference_mesa.py).

Both implementations run the flagship scenario at 400 employees for 52 weeks, in the
no-programme arm and the arm with mentorship and peer coaching together, over
``REPLICATES`` independent replicates each (wlsim: replicates 0.. of the scenario's seed;
the reference: Mesa seeds 0..). The reference shares no code with ``sim/`` and draws
its own random numbers, so only the dynamics can make the two agree.

Criterion. For each headline metric at week 52 we compare three quantities: its level
in the no-programme arm, its level in the programme arm, and the programme effect (the
per-replicate difference between the two arms; each implementation draws the same
initial organisation in both arms of a replicate, so the effect is measured precisely).
For each comparison the Welch statistic ``t = (mean_ref - mean_wlsim) / se`` with
``se = sqrt(s_ref^2 / n_ref + s_wlsim^2 / n_wlsim)`` must satisfy ``|t| <= t_crit``,
where ``t_crit`` is the two-sided Student quantile at family-wise level ``ALPHA = 0.01``,
Bonferroni-corrected over all comparisons, with Welch-Satterthwaite degrees of freedom.
Equivalently, the ``1 - ALPHA / K`` confidence interval of the difference of means
contains 0. A correct pair of implementations fails with probability at most 1%; the
seeds are fixed, so the outcome is deterministic.

Power. A confidence interval can contain 0 because it is wide; ``test_the_test_has_power``
checks that the intervals are narrow enough to matter: for the programme effect on mean
skill and on engagement, the half-width is at most a third of wlsim's effect (measured:
about 0.1 and 0.2 of it), and for cumulative quits without programmes at most 10% of
the level (measured: about 8%). So a reference or an engine that got the learning or
engagement rules of the programmes wrong by a third of their effect, or the quit rate
by 10%, would fail. (Share proficient and retention are compared too, but their
programme effects are within the noise at this size: those comparisons catch only
gross errors.)

Runtime: about 17 s on one core (the reference is about 85% of it).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.model import WorkplaceModel
from sim.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parent.parent
REPLICATES = 40
N_EMPLOYEES = 400
WEEKS = 52
ALPHA = 0.01
ARMS = ("no_programme", "both")
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
        (arm, m)
        for arm in ARMS
        for m in METRICS
        if not (arm == "no_programme" and m == "session_hours")
    ]
    return out + [("effect", m) for m in METRICS if m != "session_hours"]


@pytest.fixture(scope="module")
def finals() -> dict[str, dict[str, np.ndarray]]:
    """Week-52 metrics: ``finals[impl][quantity]`` is an array (replicates, metrics)."""
    reference = _load_reference()
    scenario = load_scenario(
        ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml",
        [f"organisation.n_employees={N_EMPLOYEES}", f"horizon_weeks={WEEKS}"],
    )
    out: dict[str, dict[str, np.ndarray]] = {"reference": {}, "wlsim": {}}
    for arm in ARMS:
        ref, eng = [], []
        for r in range(REPLICATES):
            model = reference.ReferenceModel(scenario, arm, seed=r)
            model.run(WEEKS)
            ref.append([model.records[-1][m] for m in METRICS])
            wl = WorkplaceModel(scenario, arm=arm, replicate=r)
            wl.run(WEEKS)
            eng.append([wl.records[-1][m] for m in METRICS])
        out["reference"][arm] = np.array(ref, dtype=float)
        out["wlsim"][arm] = np.array(eng, dtype=float)
    for impl in out.values():
        impl["effect"] = impl["both"] - impl["no_programme"]
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
    assert (finals["reference"]["no_programme"][:, j] == 0).all()
    assert (finals["wlsim"]["no_programme"][:, j] == 0).all()


@pytest.mark.parametrize(
    ("quantity", "metric", "share"),
    [
        ("effect", "mean_skill", 1 / 3),
        ("effect", "mean_engagement", 1 / 3),
        ("no_programme", "cumulative_quits", 0.1),
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
