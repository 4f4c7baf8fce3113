"""The best programme design within a budget: ``wlsim optimise FILE`` and its ``[optimise]``.

A scenario's ``[optimise]`` section names *levers* (dotted parameter paths with ranges or
choices, and optionally ``arm`` to choose among arms), *objectives* (metrics or effect
sizes to maximise or minimise, each measured as the paired difference from the baseline
arm on the same replicate seeds) and *constraints* (a metric of the design <= or >= a
bound: planned hours or money, which are known before a design runs, or simulated ones).

Optuna proposes designs (a seeded multi-objective TPE sampler, with constraints set on
each trial by ``Trial.set_constraint``), through ask-and-tell, so that wlsim's own
executors run them: serially, on local processes or on Dask. The result does not depend
on the back-end: designs are asked in fixed-size rounds (``optimise.batch``), the
sampler is seeded afresh before each trial from ``(seed, trial number)``, and results
are told in trial order. The study lives in an Optuna journal in the output folder, so
an interrupted optimisation resumes (``--resume``) with the same result: a round asked
but not finished is completed with the designs already asked.

After the trial budget, the designs whose ranking is still open (the front and the best
few on the first objective, within noise of the best, or whose constraint interval
crosses its bound) get more replicates, doubling up to ``optimise.max_replicates``
(:func:`sim.analysis.front.to_decide`); then the front, the figure, a ready-to-run
scenario file per design on the front, and a recommendation are written.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.effects import control_arm, effect_values, per_replicate, snapshot_weeks
from sim.analysis.front import Decision, Quantity, decide, recommendation, summarise, to_decide
from sim.errors import MissingDependencyError, ScenarioError, did_you_mean
from sim.experiments.run import run_batch_tables
from sim.experiments.sweep import executor_workers
from sim.scenario import hrterms
from sim.scenario.loading import arm_scenario, level_sizes, validate_scenario
from sim.scenario.paths import value_at, whole_number, with_value
from sim.scenario.schema import Lever, Objective, Scenario

#: Spawn key of the sampler's seeds (apart from replicate, particle and posterior keys).
_SAMPLER_KEY = 0x0971
#: The Optuna journal in an optimisation folder (kept for --resume).
JOURNAL = "study.journal"
#: Metrics computed from the weekly series over the horizon (the arm's own values).
PER_HORIZON = {"hours_per_week": "session_hours", "cost_per_year": "programme_cost"}
#: Metrics known before a design runs: its plan at full attendance (hrterms.plan).
PLANNED = ("planned_hours_per_week", "planned_cost_per_year")
#: Parts of a scenario a lever may not change.
_NOT_LEVERS = ("name", "seed", "replicates", "arms", "sweep", "calibration", "optimise")
#: Designs checked for a planned constraint before the study starts.
_FEASIBILITY_SAMPLE = 64


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise MissingDependencyError(
            "wlsim optimise needs Optuna: pip install 'wlsim[decide]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


# --- the problem ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LeverSpace:
    """One lever as Optuna sees it.

    Attributes:
        path: The dotted path, or ``"arm"``.
        choices: The values to choose among (empty for a range).
        labels: The choices as Optuna's categorical values (JSON for lists).
        low: Lowest value of a range.
        high: Highest value of a range.
        step: Spacing (0: continuous).
        log: Log scale.
        integer: Whether the parameter takes whole numbers.
    """

    path: str
    choices: tuple[Any, ...] = ()
    labels: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0
    log: bool = False
    integer: bool = False

    def distribution(self) -> Any:
        """The Optuna distribution of this lever."""
        optuna = _optuna()
        if self.choices:
            return optuna.distributions.CategoricalDistribution(self.labels)
        if self.integer:
            return optuna.distributions.IntDistribution(
                int(self.low), int(self.high), log=self.log, step=max(1, int(self.step or 1))
            )
        return optuna.distributions.FloatDistribution(
            self.low, self.high, log=self.log, step=self.step or None
        )

    def value(self, label: Any) -> Any:
        """The parameter value of an Optuna value (a choice's label, or a number)."""
        if self.choices:
            return self.choices[self.labels.index(label)]
        return int(label) if self.integer else float(label)


@dataclass(frozen=True)
class Problem:
    """A checked ``[optimise]`` section, with everything a design's evaluation needs.

    Attributes:
        scenario: The scenario (with its ``[optimise]``).
        source: Where it came from, for messages.
        levers: The levers, in the file's order.
        arm: The optimised arm (when no lever chooses it).
        baseline: The baseline arm.
        objectives: The objectives.
        quantities: The objectives and constraints as :class:`Quantity` (constraints
            named ``c<i>:<metric>``).
        seed: The sampler's root seed.
        shared_baseline: Whether the baseline's runs are the same for every design (no
            lever reaches it and no objective is an effect), so they run once.
        draws: Over a posterior: each replicate's values, set on top of the design.
        overrides: The ``--set`` options the scenario was loaded with.
        posterior_source: The posterior's folder, if any.
    """

    scenario: Scenario
    source: str
    levers: tuple[LeverSpace, ...]
    arm: str
    baseline: str
    objectives: tuple[Objective, ...]
    quantities: tuple[Quantity, ...]
    seed: int
    shared_baseline: bool
    draws: tuple[dict[str, Any], ...] = ()
    overrides: tuple[str, ...] = ()
    posterior_source: str = ""

    @property
    def section(self) -> Any:
        """The scenario's ``[optimise]`` section."""
        return self.scenario.optimise

    @property
    def objective_quantities(self) -> tuple[Quantity, ...]:
        """The objectives as quantities."""
        return self.quantities[: len(self.objectives)]

    @property
    def constraint_quantities(self) -> tuple[Quantity, ...]:
        """The constraints as quantities."""
        return self.quantities[len(self.objectives) :]


def plan_optimisation(
    scenario: Scenario,
    source: str = "<scenario>",
    overrides: Sequence[str] = (),
    posterior: str | Path | pd.DataFrame | None = None,
) -> Problem:
    """Check a scenario's ``[optimise]`` section before anything runs.

    Args:
        scenario: The validated scenario.
        source: Where it came from, for messages.
        overrides: The ``--set`` options it was loaded with (written into the designs).
        posterior: A calibration folder (or table of particles): objectives become
            expectations over its draws, one draw per replicate.

    Returns:
        The checked problem.

    Raises:
        ScenarioError: Naming the field, the value and the fix, for an empty section, an
            unknown lever or arm, a lever value the parameter does not take, an objective
            or constraint that names no metric, or a planned budget no design meets.
    """
    opt = scenario.optimise
    where = f"{source}: [optimise]"
    if not opt.levers:
        raise ScenarioError(f"{where} has no levers; name at least one parameter to choose")
    if not opt.objectives:
        raise ScenarioError(
            f'{where} has no objectives; add e.g. [[optimise.objectives]] metric = "mean_skill", '
            'direction = "maximise"'
        )
    raw = scenario.model_dump(mode="python")
    arm_lever = opt.levers.get("arm")
    baseline = _baseline(scenario, where)
    arms = _arms(scenario, arm_lever, where, baseline)
    levers = tuple(
        _lever(raw, path, lever, scenario, arms, where) for path, lever in opt.levers.items()
    )
    quantities = [Quantity(o.label, direction=o.direction, kind=_kind(o)) for o in opt.objectives]
    for i, c in enumerate(opt.constraints):
        name = c.metric if c.week < 0 else f"{c.metric}@{c.week}"
        if any(q.name == name for q in quantities):  # two bounds on one metric
            name = f"{name} ({i})"
        quantities.append(Quantity(name, max=c.max, min=c.min))
    reaches_baseline = any(
        lv.path != "arm"
        and not (
            lv.path.startswith("programmes.")
            and lv.path.split(".")[1] not in scenario.arms[baseline].programmes
        )
        for lv in levers
    )
    shared = not reaches_baseline and not any(o.effect for o in opt.objectives)
    draws: tuple[dict[str, Any], ...] = ()
    if posterior is not None:
        from sim.experiments.posterior import plan_draws

        plan = plan_draws(
            scenario,
            posterior,
            None,
            source=source,
            replicates=opt.max_replicates,
            replicates_option="optimise.max_replicates = {}",
        )
        both = sorted(set(plan.posterior.paths) & {lv.path for lv in levers})
        if both:
            raise ScenarioError(
                f"{where}: the posterior also sets the levers {', '.join(both)}; a design "
                "cannot take both values: drop them from the levers or from the posterior"
            )
        draws = plan.values
        posterior_source = plan.posterior.source
    else:
        posterior_source = ""
    seed = scenario.seed if opt.seed < 0 else opt.seed
    problem = Problem(
        scenario, source, levers, arms[0], baseline, opt.objectives, tuple(quantities),
        seed, shared, draws, tuple(overrides), posterior_source,
    )  # fmt: skip
    _check_metrics(problem, arms, where)
    _check_planned_budget(problem, where)
    return problem


def _kind(objective: Objective) -> str:
    """What an objective's value is against the baseline (:data:`sim.analysis.front.KINDS`)."""
    if objective.effect:
        return "difference" if objective.statistic == "diff" else objective.statistic
    return "own" if objective.metric in PLANNED else "difference"


def _baseline(scenario: Scenario, where: str) -> str:
    name = scenario.optimise.baseline or control_arm(scenario) or ""
    if not name:
        raise ScenarioError(
            f"{where}: no baseline arm: add an arm without programmes (programmes = []) or "
            "name one in optimise.baseline"
        )
    if name not in scenario.arms:
        raise ScenarioError(
            f"{where}: baseline = {name!r} is not an arm{did_you_mean(name, scenario.arms)}; "
            f"arms: {', '.join(scenario.arms)}"
        )
    return name


def _arms(scenario: Scenario, arm_lever: Lever | None, where: str, baseline: str) -> list[str]:
    opt = scenario.optimise
    if arm_lever is not None:
        if opt.arm:
            raise ScenarioError(
                f"{where}: arm = {opt.arm!r} and a lever 'arm' both choose the arm; keep one"
            )
        if not arm_lever.choices:
            raise ScenarioError(f"{where}: levers.arm takes choices (arm names), not a range")
        names = list(arm_lever.choices)
    elif opt.arm:
        names = [opt.arm]
    else:
        names = [a for a, spec in scenario.arms.items() if spec.programmes][:1]
        if not names:
            raise ScenarioError(
                f"{where}: no arm has programmes to optimise; add one, or name it in optimise.arm"
            )
    for name in names:
        if not isinstance(name, str) or name not in scenario.arms:
            label = "levers.arm.choices" if arm_lever is not None else "arm"
            raise ScenarioError(
                f"{where}: {label}: {name!r} is not an arm"
                f"{did_you_mean(str(name), scenario.arms)}; arms: {', '.join(scenario.arms)}"
            )
        if name == baseline:
            raise ScenarioError(
                f"{where}: the optimised arm {name!r} is the baseline every design is compared "
                "with; choose an arm with the programme, or another optimise.baseline"
            )
    return names


def _lever(
    raw: dict[str, Any],
    path: str,
    lever: Lever,
    scenario: Scenario,
    arms: Sequence[str],
    where: str,
) -> LeverSpace:
    """Check one lever: an existing parameter, each value one the scenario accepts."""
    if path == "arm":
        return LeverSpace("arm", tuple(lever.choices), tuple(lever.choices))
    head = path.split(".")[0]
    if head in _NOT_LEVERS:
        raise ScenarioError(
            f"{where}: levers.{path!r}: {head!r} is not a design decision; levers are "
            "parameters of programmes or of the model (e.g. programmes.mentorship.n_learners)"
        )
    try:
        current = value_at(raw, path, section=f"{where}: levers")
    except ScenarioError as exc:
        raise ScenarioError(str(exc)) from None
    if isinstance(current, Mapping):
        raise ScenarioError(
            f"{where}: levers.{path!r} is a table, not a parameter; name one of its "
            f"parameters: {', '.join(list(current)[:8])}"
        )
    if path.endswith(".kind"):
        raise ScenarioError(
            f"{where}: levers.{path!r}: a programme's kind cannot be a lever (its preset sets "
            "other fields); define one programme and arm per design and use the lever 'arm'"
        )
    for arm in arms:
        if path in _dotted(scenario.arms[arm].overrides):
            raise ScenarioError(
                f"{where}: levers.{path!r}: arm {arm!r} sets it in its overrides, which win "
                "over the lever; remove it from the arm's overrides"
            )
    if lever.choices:
        labels = tuple(
            c if isinstance(c, str | int | float | bool) else json.dumps(c) for c in lever.choices
        )
        space = LeverSpace(path, tuple(lever.choices), labels)
        values: list[Any] = list(lever.choices)
    else:
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        if not numeric:
            raise ScenarioError(
                f"{where}: levers.{path!r} takes {current!r} (not a number); give choices "
                "instead of low and high"
            )
        integer = whole_number(current)
        assert lever.low is not None and lever.high is not None  # the schema checked
        if integer and (lever.low != int(lever.low) or lever.high != int(lever.high)):
            raise ScenarioError(
                f"{where}: levers.{path!r} takes whole numbers; give whole low and high, got "
                f"[{lever.low:g}, {lever.high:g}]"
            )
        space = LeverSpace(
            path, low=lever.low, high=lever.high, step=lever.step, log=lever.log, integer=integer
        )
        values = [space.value(lever.low), space.value(lever.high)]
        span = lever.high - lever.low
        if lever.step and abs(span / lever.step - round(span / lever.step)) > 1e-9:
            raise ScenarioError(
                f"{where}: levers.{path!r}: step = {lever.step:g} does not divide the range "
                f"[{lever.low:g}, {lever.high:g}]; choose a step that does"
            )
    for value in values:
        try:
            validate_scenario(with_value(raw, path, value), source="lever check")
        except ScenarioError as exc:
            detail = str(exc).split("\n", 1)[-1].strip()
            raise ScenarioError(
                f"{where}: levers.{path!r} = {value!r} makes an invalid scenario: {detail}"
            ) from None
    return space


def _dotted(overrides: Mapping[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _dotted(value, f"{path}.")
        else:
            out.add(path)
    return out


def _metric_names(scenario: Scenario, arm: str) -> list[str]:
    from sim.model.workplace import WorkplaceModel

    return list(WorkplaceModel(scenario, arm=arm).records[0])


def _check_metrics(problem: Problem, arms: Sequence[str], where: str) -> None:
    """Refuse an objective or constraint that names no metric, or an effect without a programme."""
    scenario = problem.scenario
    names: dict[str, None] = {}
    for arm in arms:
        names.update(dict.fromkeys(_metric_names(scenario, arm)))
    known = [*names, *PER_HORIZON, *PLANNED]
    items = [("objectives", i, o.metric, o.week) for i, o in enumerate(problem.objectives)]
    items += [
        ("constraints", i, c.metric, c.week) for i, c in enumerate(problem.section.constraints)
    ]
    for kind, i, metric, week in items:
        if not metric:
            continue
        if metric not in known:
            raise ScenarioError(
                f"{where}: {kind}[{i}].metric = {metric!r} names no metric"
                f"{did_you_mean(metric, known)}; metrics: the columns of the weekly series "
                f"(docs/model.md 7.12) and {', '.join([*PER_HORIZON, *PLANNED])}"
            )
        if week >= 0 and (metric in PER_HORIZON or metric in PLANNED):
            raise ScenarioError(
                f"{where}: {kind}[{i}]: {metric} is a rate over the horizon; drop week"
            )
        if week > scenario.horizon_weeks:
            raise ScenarioError(
                f"{where}: {kind}[{i}].week = {week}: the run ends at week "
                f"{scenario.horizon_weeks}; choose a week up to it"
            )
    first = problem.objectives[0]
    if first.metric in PLANNED:
        raise ScenarioError(
            f"{where}: objectives[0].metric = {first.metric!r} is the design's own plan, not "
            f"compared with the baseline {problem.baseline!r}; the first objective is the one "
            "wlsim recommends on against the baseline: put an outcome first (a metric of the "
            f"weekly series or an effect) and {first.metric} after it, or make it a constraint"
        )
    for i, o in enumerate(problem.objectives):
        if not o.effect:
            continue
        for arm in arms:
            progs = scenario.arms[arm].programmes
            if o.programme and o.programme not in progs:
                raise ScenarioError(
                    f"{where}: objectives[{i}].programme = {o.programme!r} is not a programme "
                    f"of arm {arm!r} ({', '.join(progs)})"
                )
            if not o.programme and len(progs) != 1:
                raise ScenarioError(
                    f"{where}: objectives[{i}]: arm {arm!r} runs {len(progs)} programmes; name "
                    "the effect's programme"
                )


def _check_planned_budget(problem: Problem, where: str) -> None:
    """Refuse planned bounds that no design within the levers meets (checked on a sample)."""
    planned = [
        (q, c)
        for q, c in zip(problem.constraint_quantities, problem.section.constraints, strict=True)
        if c.metric in PLANNED
    ]
    if not planned:
        return
    rng = np.random.default_rng(np.random.SeedSequence(problem.seed, spawn_key=(_SAMPLER_KEY,)))
    corners = [
        {lv.path: (lv.labels[0] if lv.choices else lv.low) for lv in problem.levers},
        {lv.path: (lv.labels[-1] if lv.choices else lv.high) for lv in problem.levers},
    ]
    sample = corners + [
        {lv.path: _random_value(lv, rng) for lv in problem.levers}
        for _ in range(_FEASIBILITY_SAMPLE)
    ]
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    errors = []
    for params in sample:
        try:
            scenario, arm = design_scenario(problem, params)
        except ScenarioError as exc:
            errors.append(str(exc))
            continue
        plan = planned_values(scenario, arm)
        violations = [q.violation(plan[c.metric]) for q, c in planned]
        if all(v <= 1e-9 for v in violations):
            return
        for q, c in planned:
            v = q.violation(plan[c.metric])
            if q.name not in best or v < best[q.name][0]:
                best[q.name] = (v, {"value": plan[c.metric], **params})
    if not best:
        raise ScenarioError(
            f"{where}: none of {len(sample)} designs across the levers makes a valid scenario; "
            f"the first problem: {errors[0]}"
        )
    parts = []
    for q, c in planned:
        v, at = best[q.name]
        if v > 1e-9:
            value = at.pop("value")
            levers = ", ".join(f"{k} = {_show(lv, at[k])}" for k, lv in _by_path(problem, at))
            parts.append(
                f"{c.label}: the best of {len(sample)} designs across the levers has "
                f"{c.metric} = {value:,.1f} ({levers})"
            )
    raise ScenarioError(
        f"{where}: the budget is infeasible: no design meets every planned constraint. "
        + "; ".join(parts)
        + ". Raise the bound or lower the levers' ranges (fewer people, shorter or rarer "
        "sessions)"
    )


def _by_path(problem: Problem, params: Mapping[str, Any]) -> list[tuple[str, LeverSpace]]:
    return [(lv.path, lv) for lv in problem.levers if lv.path in params]


def _show(lever: LeverSpace, label: Any) -> str:
    value = lever.value(label) if lever.choices else label
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _random_value(lever: LeverSpace, rng: np.random.Generator) -> Any:
    if lever.choices:
        return lever.labels[int(rng.integers(len(lever.labels)))]
    if lever.integer:
        step = max(1, int(lever.step or 1))
        return int(lever.low) + step * int(
            rng.integers((int(lever.high) - int(lever.low)) // step + 1)
        )
    if lever.log:
        return float(np.exp(rng.uniform(np.log(lever.low), np.log(lever.high))))
    if lever.step:
        n = round((lever.high - lever.low) / lever.step)
        return lever.low + lever.step * int(rng.integers(n + 1))
    return float(rng.uniform(lever.low, lever.high))


# --- one design -----------------------------------------------------------------------------


def design_values(problem: Problem, params: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's Optuna values (all levers or some) as parameter values, by lever path."""
    return {lv.path: lv.value(params[lv.path]) for lv in problem.levers if lv.path in params}


def design_scenario(problem: Problem, params: Mapping[str, Any]) -> tuple[Scenario, str]:
    """The scenario of one design (Optuna values by lever path) and the arm it runs.

    Raises:
        ScenarioError: If the values make an invalid scenario (a headcount over what
            enrols, a budget a programme states, ...).
    """
    values = design_values(problem, relevant(problem, params))
    arm = str(values.pop("arm", problem.arm))
    raw = problem.scenario.model_dump(mode="python")
    for path, value in values.items():
        raw = with_value(raw, path, value)
    label = ", ".join(f"{k} = {v!r}" for k, v in values.items())
    return validate_scenario(raw, source=f"design ({label})"), arm


def planned_values(scenario: Scenario, arm: str) -> dict[str, float]:
    """The planned hours a week and cost a year of an arm's programmes at full attendance."""
    own = arm_scenario(scenario, arm)
    counts = level_sizes(own)
    hours = cost = 0.0
    for name in own.arms[arm].programmes:
        plan = hrterms.plan(own.programmes[name], counts, own.costs)
        hours += plan.hours_per_week
        cost += plan.cost_per_year
    return {"planned_hours_per_week": hours, "planned_cost_per_year": cost}


@dataclass(frozen=True)
class Task:
    """Runs of one design (or of the baseline) that a worker computes.

    Attributes:
        scenarios: Distinct scenarios; ``which[k]`` is replicate ``replicates[k]``'s.
        which: The scenario of each replicate.
        replicates: Replicate numbers (seeds as in every wlsim run).
        arms: Arms to run (the design's arm, and the baseline when not shared).
        columns: ``(metric, week)`` pairs to keep (week -1: the horizon).
        effects: Effect keys (:data:`sim.analysis.effects.EFFECT_KEY`).
        control: The baseline arm, for effect sizes.
    """

    scenarios: tuple[Scenario, ...]
    which: tuple[int, ...]
    replicates: tuple[int, ...]
    arms: tuple[str, ...]
    columns: tuple[tuple[str, int], ...]
    effects: tuple[tuple[str, ...], ...] = ()
    control: str = ""


def evaluate(task: Task) -> list[dict[str, float]]:
    """Run a task's arms for its replicates; return each replicate's values.

    Returns:
        One dict per replicate, keys ``"<arm>|<metric>@<week>"`` and ``"effect|<key>"``;
        NaN where a metric or effect has no value.
    """
    out: list[dict[str, float]] = [{} for _ in task.replicates]
    groups: dict[int, list[int]] = {}
    for k, s in enumerate(task.which):
        groups.setdefault(s, []).append(k)
    for s, ks in groups.items():
        scenario = task.scenarios[s]
        reps = [task.replicates[k] for k in ks]
        weeks = snapshot_weeks(scenario, list(task.arms)) if task.effects else []
        cohorts = []
        for arm in task.arms:
            tables = run_batch_tables(scenario, arm, reps, weeks=weeks)
            for k, (frame, _, cohort) in zip(ks, tables, strict=True):
                horizon = int(frame["week"].max())
                for metric, week in task.columns:
                    row = frame.loc[frame["week"] == (horizon if week < 0 else week)]
                    value = row[metric].iloc[0] if metric in row and len(row) else math.nan
                    out[k][f"{arm}|{metric}@{week}"] = float(value)
                if task.effects:
                    cohorts.append(cohort)
        if task.effects:
            per = per_replicate(pd.concat(cohorts, ignore_index=True), scenario, task.control)
            values = effect_values(per, by_replicate=True)
            for k, r in zip(ks, reps, strict=True):
                for key in task.effects:
                    out[k]["effect|" + "|".join(key)] = values.get((*key, r), math.nan)
    return out


def _columns(problem: Problem, arm: str) -> list[tuple[str, int]]:
    cols: dict[tuple[str, int], None] = {}
    items = [(o.metric, o.week) for o in problem.objectives if o.metric]
    items += [(c.metric, c.week) for c in problem.section.constraints]
    for metric, week in items:
        if metric in PLANNED:
            continue
        cols[(PER_HORIZON.get(metric, metric), -1 if metric in PER_HORIZON else week)] = None
    return list(cols)


def _effect_key(problem: Problem, objective: Objective, scenario: Scenario, arm: str) -> tuple:
    programme = objective.programme or scenario.arms[arm].programmes[0]
    return (
        arm, programme, objective.timepoint, objective.effect, objective.measure,
        objective.statistic,
    )  # fmt: skip


def _scenarios(problem: Problem, scenario: Scenario, replicates: Sequence[int]) -> tuple:
    """Each replicate's scenario: the design's, with its posterior draw set on top."""
    if not problem.draws:
        return (scenario,), tuple(0 for _ in replicates)
    raw = scenario.model_dump(mode="python")
    made = []
    for r in replicates:
        changed = raw
        for path, value in problem.draws[r].items():
            changed = with_value(changed, path, value)
        made.append(validate_scenario(changed, source=f"{problem.source} under posterior draw {r}"))
    return tuple(made), tuple(range(len(made)))


def score(
    problem: Problem,
    scenario: Scenario,
    arm: str,
    runs: Sequence[Mapping[str, float]],
    baseline: Sequence[Mapping[str, float]],
) -> list[dict[str, float]]:
    """Each replicate's objectives (paired differences) and constraints (the arm's values).

    Args:
        problem: The problem.
        scenario: The design's scenario.
        arm: The design's arm.
        runs: Per replicate, what :func:`evaluate` returned for the design.
        baseline: Per replicate, the baseline's values (the same dicts as ``runs`` when the
            baseline ran in the design's task).

    Returns:
        One dict per replicate, keyed by quantity name.
    """
    planned = planned_values(scenario, arm)
    horizon = scenario.horizon_weeks
    out = []
    for mine, base in zip(runs, baseline, strict=True):
        row = {}
        for o, q in zip(problem.objectives, problem.objective_quantities, strict=True):
            if o.effect:
                row[q.name] = mine.get("effect|" + "|".join(_effect_key(problem, o, scenario, arm)))
            elif o.metric in PLANNED:
                row[q.name] = planned[o.metric]
            else:
                a = _level(mine, arm, o.metric, o.week, horizon)
                b = _level(base, problem.baseline, o.metric, o.week, horizon)
                row[q.name] = a - b
        for c, q in zip(problem.section.constraints, problem.constraint_quantities, strict=True):
            if c.metric in PLANNED:
                row[q.name] = planned[c.metric]
            else:
                row[q.name] = _level(mine, arm, c.metric, c.week, horizon)
        out.append({k: (float(v) if v is not None else math.nan) for k, v in row.items()})
    return out


def _level(values: Mapping[str, float], arm: str, metric: str, week: int, horizon: int) -> float:
    if metric in PER_HORIZON:
        total = values[f"{arm}|{PER_HORIZON[metric]}@-1"]
        per = 52.0 / horizon if metric == "cost_per_year" else 1.0 / horizon
        return total * per
    return values[f"{arm}|{metric}@{week}"]


# --- the study ------------------------------------------------------------------------------


@dataclass
class OptimiseResult:
    """What :func:`run_optimisation` produces.

    Attributes:
        trials: One row per trial: its levers, status, replicates, objective and
            constraint means.
        front: Tidy: per contender (the front and the best few on the first objective)
            and quantity, the mean, sd, 95% interval and replicates, with ``on_front``
            and ``recommended``.
        decision: The front, the leader and who is within noise of it.
        text: The recommendation in plain language.
        values: Per design and replicate, every quantity.
        seconds: Wall time of this call.
    """

    trials: pd.DataFrame
    front: pd.DataFrame
    decision: Decision
    text: str
    values: pd.DataFrame
    seconds: float
    designs: dict[int, dict[str, Any]] = field(default_factory=dict)


class _Study:
    """The Optuna study of one optimisation folder, with wlsim's ordering rules."""

    def __init__(self, problem: Problem, journal: Path) -> None:
        optuna = _optuna()
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        self.optuna = optuna
        self.problem = problem
        storage = JournalStorage(JournalFileBackend(str(journal)))
        self.study = optuna.create_study(
            storage=storage,
            study_name="wlsim-optimise",
            directions=["maximize" if o.direction == "maximise" else "minimize"
                        for o in problem.objectives],
            load_if_exists=True,
            sampler=self._sampler(0),
        )  # fmt: skip
        self.distributions = {lv.path: lv.distribution() for lv in problem.levers}

    def _sampler(self, number: int) -> Any:
        seq = np.random.SeedSequence(self.problem.seed, spawn_key=(_SAMPLER_KEY, number))
        seed = int(seq.generate_state(1)[0])
        return self.optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)

    def trials(self) -> list[Any]:
        return self.study.get_trials(deepcopy=False)

    def ask(self, number: int) -> Any:
        """Ask trial ``number``, the sampler seeded from it alone."""
        self.study.sampler = self._sampler(number)
        trial = self.study.ask(self.distributions)
        assert trial.number == number, (trial.number, number)
        return trial

    def asked(self, frozen: Any) -> Any:
        """A trial asked before an interruption, to be told now."""
        return self.optuna.trial.Trial(self.study, frozen._trial_id)

    def tell(self, trial: Any, outcome: Outcome) -> None:
        for name, value in outcome.constraints.items():
            trial.set_constraint(name, value)
        trial.set_user_attr("status", outcome.status)
        trial.set_user_attr("rows", _jsonable(outcome.rows))
        state = self.optuna.trial.TrialState
        if outcome.values is None:
            self.study.tell(trial, state=state.FAIL)
        else:
            self.study.tell(trial, outcome.values)


@dataclass
class Outcome:
    """A design's result as told to Optuna."""

    status: str
    rows: list[dict[str, float]]
    values: list[float] | None
    constraints: dict[str, float]


def _jsonable(rows: list[dict[str, float]]) -> list[dict[str, float | None]]:
    return [{k: (v if np.isfinite(v) else None) for k, v in r.items()} for r in rows]


def _rows(stored: Iterable[Mapping[str, Any]]) -> list[dict[str, float]]:
    return [{k: (math.nan if v is None else float(v)) for k, v in r.items()} for r in stored]


class _Runner:
    """Evaluates designs on an executor, with the baseline's runs shared where they can be."""

    def __init__(self, problem: Problem, executor: futures.Executor | None, progress: bool) -> None:
        from sim.experiments.sweep import _Serial

        self.problem = problem
        self.executor = executor if executor is not None else _Serial()
        self.workers = executor_workers(executor)
        self.progress = progress
        self.baseline: dict[int, dict[str, float]] = {}
        self.cache: dict[str, tuple[str, list[dict[str, float]]]] = {}

    def designs(
        self, items: Sequence[tuple[Mapping[str, Any], range]], desc: str
    ) -> list[tuple[str, list[dict[str, float]]]]:
        """Score designs (Optuna values) for the given replicates, in order.

        Returns:
            Per design, its status (``"ok"`` or why it did not run) and its rows.
        """
        p = self.problem
        prepared: list[Any] = []
        need_base: set[int] = set()
        for params, reps in items:
            try:
                scenario, arm = design_scenario(p, params)
            except ScenarioError as exc:
                prepared.append(("invalid: " + str(exc).split("\n")[-1].strip(), None))
                continue
            plan = planned_values(scenario, arm)
            over = [
                _bound_label(q)
                for q, c in zip(p.constraint_quantities, p.section.constraints, strict=True)
                if c.metric in PLANNED and q.violation(plan[c.metric]) > 1e-9
            ]
            if over:
                prepared.append(("over a planned bound: " + "; ".join(over), None))
                continue
            prepared.append(("ok", (scenario, arm, reps)))
            if p.shared_baseline:
                need_base |= {r for r in reps if r not in self.baseline}
        if need_base:
            self._run_baseline(sorted(need_base))
        pending: list[futures.Future | None] = []
        for _, what in prepared:
            if what is None:
                pending.append(None)
                continue
            scenario, arm, reps = what
            arms = (arm,) if p.shared_baseline else (p.baseline, arm)
            effects = tuple(_effect_key(p, o, scenario, arm) for o in p.objectives if o.effect)
            scenarios, which = _scenarios(p, scenario, reps)
            task = Task(
                scenarios, which, tuple(reps), arms, tuple(_columns(p, arm)), effects, p.baseline
            )
            pending.append(self.executor.submit(evaluate, task))
        out: list[tuple[str, list[dict[str, float]]]] = []
        bar = _bar(len(items), desc, self.progress)
        try:
            for (status, what), fut in zip(prepared, pending, strict=True):
                if fut is None:
                    out.append((status, []))
                else:
                    scenario, arm, reps = what
                    runs = fut.result()
                    base = [self.baseline[r] for r in reps] if p.shared_baseline else runs
                    out.append(("ok", score(p, scenario, arm, runs, base)))
                bar.update(1)
        finally:
            bar.close()
        return out

    def _run_baseline(self, reps: list[int]) -> None:
        p = self.problem
        scenarios, which = _scenarios(p, p.scenario, reps)
        columns = sorted({c for arm in [p.arm] for c in _columns(p, arm)})
        task = Task(scenarios, which, tuple(reps), (p.baseline,), tuple(columns))
        for r, values in zip(reps, self.executor.submit(evaluate, task).result(), strict=True):
            self.baseline[r] = values


def _bar(n: int, desc: str, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=n, desc=desc, unit="design", disable=not progress, leave=False)


def optimise(
    problem: Problem,
    journal: Path,
    executor: futures.Executor | None = None,
    progress: bool = False,
) -> OptimiseResult:
    """Run (or continue) the study in ``journal`` until the trial budget, then decide.

    Args:
        problem: The checked problem (:func:`plan_optimisation`).
        journal: Optuna's journal file; an existing one is continued.
        executor: Where designs run (default: this process); the result is the same on
            every executor.
        progress: Show progress bars.

    Returns:
        The trials, the front, the decision and the recommendation.
    """
    started = time.perf_counter()
    opt = problem.section
    study = _Study(problem, journal)
    runner = _Runner(problem, executor, progress)
    first = range(opt.replicates)
    for t in study.trials():  # a resumed study: designs scored before are not run again
        if t.state.name in ("COMPLETE", "FAIL"):
            status = str(t.user_attrs.get("status", "ok"))
            runner.cache.setdefault(
                _key(problem, t.params), (status, _rows(t.user_attrs.get("rows", [])))
            )
    while True:
        trials = study.trials()
        done = len(trials)
        running = {t.number: t for t in trials if t.state.name == "RUNNING"}
        if done >= opt.trials and not running:
            break
        # A round is the trials [k * batch, (k + 1) * batch), told only once all are asked;
        # an interrupted round is completed with the trials it had asked, so that a
        # resumed study asks what an uninterrupted one would have.
        start = min(running) if running else done
        end = max(min((start // opt.batch + 1) * opt.batch, opt.trials), done)
        round_ = [
            study.asked(running[n]) if n in running else study.ask(n) for n in range(start, end)
        ]
        keys = [_key(problem, t.params) for t in round_]
        todo = {k: t.params for k, t in zip(keys, round_, strict=True) if k not in runner.cache}
        scored = runner.designs([(p, first) for p in todo.values()], f"trials {start}-{end - 1}")
        runner.cache.update(zip(todo, scored, strict=True))
        for trial, k in zip(round_, keys, strict=True):
            study.tell(trial, _outcome(problem, *runner.cache[k]))
    return _conclude(problem, study, runner, time.perf_counter() - started)


def relevant(problem: Problem, params: Mapping[str, Any]) -> dict[str, Any]:
    """The levers that reach a design's arm (a programme's levers only where the arm runs it)."""
    arm = str(params.get("arm", problem.arm))
    runs = set(problem.scenario.arms[arm].programmes)
    return {
        k: v
        for k, v in params.items()
        if not (k.startswith("programmes.") and k.split(".")[1] not in runs)
    }


def _key(problem: Problem, params: Mapping[str, Any]) -> str:
    """A design's identity: the levers that reach its arm (others change nothing it runs)."""
    mine = relevant(problem, params)
    return json.dumps({k: mine[k] for k in sorted(mine)}, sort_keys=True)


def _outcome(problem: Problem, status: str, rows: list[dict[str, float]]) -> Outcome:
    """What Optuna is told: objective means and constraint violations (<= 0: met)."""
    quantities = problem.constraint_quantities
    if status != "ok":
        # Not run: infeasible by construction. Optuna ranks infeasible trials by their
        # violations, not their values; the values told are the baseline's (0).
        violations = {"valid": 1.0} | {q.name: 1.0 for q in quantities}
        return Outcome(status, [], [0.0] * len(problem.objectives), violations)
    frame = pd.DataFrame(rows)
    means = frame.mean()
    values = [float(means[q.name]) for q in problem.objective_quantities]
    if not all(np.isfinite(values)):
        return Outcome("no value: an objective has no value in any replicate", rows, None, {})
    constraints = {"valid": 0.0}
    for q in quantities:
        v = q.violation(float(means[q.name]))
        scale = abs(q.max if q.max is not None else q.min or 0.0) or 1.0
        constraints[q.name] = v / scale if np.isfinite(v) else 1.0
    return Outcome("ok", rows, values, constraints)


def _conclude(problem: Problem, study: _Study, runner: _Runner, seconds: float) -> OptimiseResult:
    """Add replicates where the decision is close, then build the tables and the text."""
    opt = problem.section
    trials = [t for t in study.trials() if t.state.name in ("COMPLETE", "FAIL")]
    designs: dict[int, dict[str, Any]] = {}
    first_of: dict[str, int] = {}
    invalid: dict[int, str] = {}
    rows: dict[int, list[dict[str, float]]] = {}
    for t in trials:
        k = _key(problem, t.params)
        if k in first_of:
            continue
        first_of[k] = t.number
        designs[t.number] = dict(t.params)
        status = str(t.user_attrs.get("status", "ok"))
        if status != "ok":
            invalid[t.number] = status
        extra = study.study.user_attrs.get(f"rows:{t.number}")
        rows[t.number] = _rows(extra if extra is not None else t.user_attrs.get("rows", []))
    quantities = problem.quantities
    objectives, constraints = problem.objective_quantities, problem.constraint_quantities
    while True:
        values = _values(rows, quantities)
        decision = decide(values, objectives, constraints, invalid)
        counts = {d: len(rows[d]) for d in rows}
        more = to_decide(decision, counts, opt.max_replicates)
        if not more:
            break
        items = []
        for d in more:
            n = min(2 * counts[d], opt.max_replicates)
            items.append((designs[d], range(counts[d], n)))
        scored = runner.designs(items, "replicates where the decision is close")
        for d, (_, new) in zip(more, scored, strict=True):
            rows[d] = rows[d] + new
            study.study.set_user_attr(f"rows:{d}", _jsonable(rows[d]))
    summary = summarise(values, [q.name for q in quantities])
    describe = {d: _describe(problem, designs[d]) for d in designs}
    text = recommendation(
        decision, summary, values, objectives, constraints, describe, problem.baseline,
        opt.max_replicates,
    )  # fmt: skip
    trials_table = _trials_table(problem, study.trials(), first_of, summary, rows)
    front = _front_table(problem, decision, summary, designs)
    return OptimiseResult(trials_table, front, decision, text, values, seconds, designs)


def _values(
    rows: Mapping[int, list[dict[str, float]]], quantities: Sequence[Quantity]
) -> pd.DataFrame:
    records = [
        {"design": d, "replicate": r, **row} for d, rs in rows.items() for r, row in enumerate(rs)
    ]
    columns = ["design", "replicate", *(q.name for q in quantities)]
    return pd.DataFrame.from_records(records, columns=columns)


def _describe(problem: Problem, params: Mapping[str, Any]) -> str:
    values = design_values(problem, params)
    mine = relevant(problem, params)
    parts = []
    for lv in problem.levers:
        if lv.path not in mine:
            continue
        v = values[lv.path]
        shown = f"{v:g}" if isinstance(v, float) else (v if isinstance(v, str) else json.dumps(v))
        parts.append(f"{lv.path} = {shown}")
    return ", ".join(parts)


def _lever_columns(problem: Problem, params: Mapping[str, Any]) -> dict[str, Any]:
    values = design_values(problem, params)
    return {
        p: (v if isinstance(v, str | int | float) else json.dumps(v)) for p, v in values.items()
    }


def _trials_table(
    problem: Problem,
    trials: Sequence[Any],
    first_of: Mapping[str, int],
    summary: pd.DataFrame,
    rows: Mapping[int, list[dict[str, float]]],
) -> pd.DataFrame:
    means = (
        summary.pivot(index="design", columns="quantity", values="mean") if len(summary) else None
    )
    out = []
    for t in trials:
        if t.state.name == "RUNNING":
            continue
        design = first_of[_key(problem, t.params)]
        status = str(t.user_attrs.get("status", "ok"))
        rec: dict[str, Any] = {"trial": t.number, "design": design, "status": status}
        rec |= _lever_columns(problem, t.params)
        rec["replicates"] = len(rows.get(design, []))
        for q in problem.quantities:
            has = means is not None and design in means.index and status == "ok"
            rec[q.name] = float(means.at[design, q.name]) if has and means is not None else math.nan
        out.append(rec)
    return pd.DataFrame(out)


def _front_table(
    problem: Problem, decision: Decision, summary: pd.DataFrame, designs: Mapping[int, Any]
) -> pd.DataFrame:
    if not decision.contenders:
        return pd.DataFrame(
            columns=["design", "on_front", "recommended", "within_noise", "kind", "quantity"]
        )
    recommended = decision.leader if decision.beats_baseline and not decision.close else None
    kinds = {q.name: ("objective" if q.direction else "constraint") for q in problem.quantities}
    bounds = {q.name: (q.direction or _bound(q)) for q in problem.quantities}
    out = []
    for d in decision.contenders:
        head = {"design": d, **_lever_columns(problem, designs[d])}
        head |= {
            "on_front": d in decision.front,
            "recommended": d == recommended,
            "within_noise": d in decision.close or (d == decision.leader and bool(decision.close)),
        }
        for row in summary[summary["design"] == d].itertuples(index=False):
            out.append(
                head
                | {"kind": kinds[row.quantity], "quantity": row.quantity,
                   "goal": bounds[row.quantity], "mean": row.mean, "sd": row.sd,
                   "ci_low": row.ci_low, "ci_high": row.ci_high, "n": row.n}
            )  # fmt: skip
    return pd.DataFrame(out)


def _bound_label(q: Quantity) -> str:
    return f"{q.name} {_bound(q)}"


def _bound(q: Quantity) -> str:
    return f"<= {q.max:g}" if q.max is not None else f">= {q.min:g}"


# --- the optimisation folder ----------------------------------------------------------------


def run_optimisation(
    scenario: Scenario,
    folder: str | Path,
    executor: futures.Executor | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    source: str = "<scenario>",
    overrides: Sequence[str] = (),
    posterior: str | Path | pd.DataFrame | None = None,
    scenario_file: str | Path | None = None,
) -> OptimiseResult:
    """Optimise a scenario's design into ``folder`` (or continue the study there).

    The folder holds the resolved scenario and Optuna's journal (``study.journal``, from
    which ``resume`` continues) and, at the end: ``trials.csv``, ``front.csv``,
    ``figures/front.png``, ``designs/design_<n>.toml`` (each design on the front as a
    scenario file that extends the source file and sets the levers),
    ``recommendation.txt`` and ``provenance.json``.

    Args:
        scenario: The scenario with its ``[optimise]`` section.
        folder: The optimisation folder.
        executor: Where designs run (default: this process).
        resume: Continue the optimisation in ``folder``.
        overwrite: Start afresh, replacing ``folder``.
        progress: Show progress bars (default: in terminals).
        source: Where the scenario came from, for messages.
        overrides: The ``--set`` options the scenario was loaded with.
        posterior: A calibration folder: objectives become expectations over its draws.
        scenario_file: The scenario file the designs extend (default: ``source``).

    Raises:
        ScenarioError: If the section is invalid (before anything runs), or the folder
            exists without ``resume``/``overwrite`` or holds another optimisation.
    """
    from sim.experiments.folders import lock

    folder = Path(folder)
    _optuna()  # a missing Optuna is reported before any folder is made
    problem = plan_optimisation(scenario, source, overrides, posterior)
    show = progress if progress is not None else sys.stderr.isatty()
    with lock(folder):
        _prepare(folder, problem, resume, overwrite)
        result = optimise(problem, folder / JOURNAL, executor, progress=show)
        _write_outputs(folder, problem, result, Path(scenario_file or source))
    return result


def _fingerprint(problem: Problem) -> str:
    from sim.scenario.loading import dump_scenario

    return dump_scenario(problem.scenario) + f"\n# posterior: {problem.posterior_source}\n"


def _prepare(folder: Path, problem: Problem, resume: bool, overwrite: bool) -> None:
    """Check the folder to resume, or create the optimisation folder whole."""
    from sim.experiments.folders import prepare_resumable

    changed = {
        "scenario.resolved.toml": (
            "the optimisation there was made from another scenario, [optimise] section or "
            "posterior; resume with the same file and options, or pass --overwrite to start "
            "afresh"
        )
    }
    files = {"scenario.resolved.toml": _fingerprint(problem)}
    prepare_resumable(folder, "optimisation", JOURNAL, files, changed, resume, overwrite)


def design_file(problem: Problem, params: Mapping[str, Any], folder: Path, source: Path) -> str:
    """A design as a scenario file that extends the source file and sets its levers.

    Args:
        problem: The problem.
        params: The design's Optuna values.
        folder: Where the file will be written (``extends`` is relative to it).
        source: The scenario file optimised.

    Returns:
        The TOML text.
    """
    import tomli_w

    from sim.scenario.loading import parse_assignment

    values = design_values(problem, params)
    arm = str(values.pop("arm", problem.arm))
    nested: dict[str, Any] = {}
    for expr in problem.overrides:
        key, value = parse_assignment(expr)
        _set_nested(nested, key, value)
    for path, value in values.items():
        if path in relevant(problem, params):
            _set_nested(nested, path, value)
    try:
        parent = os.path.relpath(source.resolve(), folder.resolve())
    except ValueError:  # another drive
        parent = str(source.resolve())
    name = f"{problem.scenario.name}_design"[:64]
    body = {"extends": parent, "name": name, **nested}
    head = [
        f"# A design found by wlsim optimise on {source.name}: {_describe(problem, params)}.",
        f"# Run it against the baseline: wlsim run THIS_FILE --arm {problem.baseline} --arm {arm}",
    ]
    return "\n".join(head) + "\n\n" + tomli_w.dumps(body)


def _set_nested(table: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = table
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _write_outputs(folder: Path, problem: Problem, result: OptimiseResult, source: Path) -> None:
    from sim.analysis.front import plot
    from sim.files import atomic_write
    from sim.provenance import provenance

    atomic_write(folder / "trials.csv", result.trials.to_csv(index=False).encode())
    atomic_write(folder / "front.csv", result.front.to_csv(index=False).encode())
    atomic_write(folder / "recommendation.txt", (result.text + "\n").encode())
    designs = folder / "designs"
    designs.mkdir(exist_ok=True)
    for d in result.decision.front:
        text = design_file(problem, result.designs[d], designs, source)
        atomic_write(designs / f"design_{d:04d}.toml", text.encode())
    numeric = [lv for lv in problem.levers if not lv.choices]
    lever = None
    if numeric:
        lever = pd.Series(
            {d: design_values(problem, p)[numeric[0].path] for d, p in result.designs.items()},
            name=numeric[0].path,
        )
    summary = summarise(result.values, [q.name for q in problem.quantities])
    if len(summary):
        fig = plot(summary, result.decision, problem.objective_quantities, lever)
        (folder / "figures").mkdir(exist_ok=True)
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
        atomic_write(folder / "figures" / "front.png", buf.getvalue())
    meta = provenance()
    optuna = _optuna()
    meta.update(
        scenario=problem.scenario.name,
        source=str(source),
        overrides=list(problem.overrides),
        seed=problem.scenario.seed,
        sampler=(
            f"optuna {optuna.__version__} TPESampler(n_startup_trials=10), reseeded before "
            f"trial n from numpy.random.SeedSequence({problem.seed}, spawn_key=({_SAMPLER_KEY}, "
            "n)); trials asked in rounds of optimise.batch and told in trial order"
        ),
        replicate_seeds=(
            "replicate r uses child r of SeedSequence(seed) in every design and the baseline"
        ),
        replicates_rule=(
            f"{problem.section.replicates} replicates per design; the leader and the contenders "
            "within noise of it on the first objective, or whose constraint interval crosses "
            f"its bound, doubled up to {problem.section.max_replicates}"
        ),
        posterior=problem.posterior_source or None,
        arm=problem.arm,
        baseline=problem.baseline,
        trials=len(result.trials),
        wall_time_seconds=round(result.seconds, 3),
    )
    atomic_write(folder / "provenance.json", (json.dumps(meta, indent=1) + "\n").encode())
