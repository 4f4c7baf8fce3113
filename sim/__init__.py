"""wlsim: an agent-based simulator of workplace learning.

Typical use from Python or a notebook::

    import sim
    scenario = sim.load_scenario("scenarios/mentorship_vs_peer_coaching.toml")
    results = sim.run_scenario(scenario, replicates=5)
    results.timeseries   # tidy DataFrame: one row per (arm, replicate, week)
    results.summary      # end-of-horizon mean and 95% CI per arm and metric

Heavy modules (the model, pandas, plotting) are imported on first use, so that
``import sim`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_scenario": "sim.scenario.loading",
    "validate_scenario": "sim.scenario.loading",
    "ScenarioError": "sim.errors",
    "Scenario": "sim.scenario.schema",
    "WorkplaceModel": "sim.model.workplace",
    "Employee": "sim.model.agents",
    "run_scenario": "sim.experiments.run",
    "run_arm": "sim.experiments.run",
    "Results": "sim.experiments.run",
    "write_results": "sim.experiments.output",
    "run_calibration": "sim.experiments.calibrate",
    "run_optimisation": "sim.experiments.optimise",
    "plan_pilot": "sim.experiments.pilotplan",
    "discover": "sim.experiments.discover",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
