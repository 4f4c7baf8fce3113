"""Calibration: fit a scenario's uncertain parameters to observed targets with ABC-SMC.

``wlsim calibrate FILE`` reads the scenario's ``[calibration]`` section (priors of the
parameters, targets with observed values and uncertainties, the stopping rule) and runs
approximate Bayesian computation by sequential Monte Carlo with pyabc. Each particle
(one parameter set) runs the arms the targets need, with the same replicate seeds in
every arm (common random numbers within the particle) and fresh seeds across particles.

pyabc's own parallel samplers accept particles in the order they finish, so a posterior
would depend on the back-end and the load. :class:`OrderedSampler` instead evaluates
particles in fixed-size rounds, seeds particle ``i`` of generation ``t`` from
``(seed, t, i)`` alone, and accepts in index order: the same seed gives the same
posterior serially, on local processes and on Dask, and after a resume (pyabc keeps
every finished generation in its database; an interrupted one is run again whole).
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.effects import control_arm, effect_values, per_replicate, snapshot_weeks
from sim.analysis.information import SCREEN_FILE
from sim.analysis.posterior import weighted_quantiles
from sim.errors import MissingDependencyError, ScenarioError, did_you_mean
from sim.experiments.sweep import executor_workers
from sim.scenario.history import Observation, load_history
from sim.scenario.loading import validate_scenario
from sim.scenario.paths import as_parameter, value_at, whole_number, with_value
from sim.scenario.schema import Scenario, Target

if TYPE_CHECKING:
    from sim.experiments.pilots import PilotWatch

#: Spawn key of the particles' seeds (apart from the replicate keys of runs).
_PARTICLE_KEY = 0xCA1B
#: Particles a worker evaluates per task: fewer tasks to send, results in one message.
PARTICLES_PER_TASK = 4


def _pyabc() -> Any:
    try:
        import pyabc
    except ImportError:
        raise MissingDependencyError(
            "wlsim calibrate needs pyabc: pip install 'wlsim[calibrate]'"
        ) from None
    logging.getLogger("ABC").setLevel(logging.WARNING)  # wlsim shows its own progress
    return pyabc


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A checked calibration: what is fitted, to what, and how each target is computed.

    Attributes:
        scenario: The scenario (with its ``[calibration]`` section).
        paths: Parameter paths fitted, in order.
        integer: Whether each parameter takes whole numbers (sampled values are rounded).
        targets: The targets, with arm and week resolved.
        arms: Every arm a particle runs (targets' arms and baselines), in scenario order.
    """

    scenario: Scenario
    paths: tuple[str, ...]
    integer: tuple[bool, ...]
    targets: tuple[Target, ...]
    arms: tuple[str, ...]
    history: tuple[Observation, ...] = ()
    history_arm: str = ""

    @property
    def keys(self) -> list[str]:
        """The summary statistics' names: ``target_0``, ... then ``history_0``, ..."""
        return [f"target_{i}" for i in range(len(self.targets))] + [
            f"history_{j}" for j in range(len(self.history))
        ]

    @property
    def observed(self) -> dict[str, float]:
        """The observed value of every target, by key."""
        values = [t.observed for t in self.targets] + [o.value for o in self.history]
        return dict(zip(self.keys, values, strict=True))

    @property
    def sds(self) -> dict[str, float]:
        """The uncertainty of every target's observed value, by key."""
        values = [t.sd for t in self.targets] + [o.sd for o in self.history]
        return dict(zip(self.keys, values, strict=True))

    def arm_of(self, obs: Observation) -> str:
        """The arm a history row is measured in: its pilot's, or the history arm."""
        return obs.pilot.arm if obs.pilot else self.history_arm

    def label(self, i: int) -> str:
        """A readable name of target ``i`` (history rows follow the targets)."""
        if i >= len(self.targets):
            obs = self.history[i - len(self.targets)]
            return f"history: {obs.text} [{self.arm_of(obs)}]"
        t = self.targets[i]
        if t.effect:
            return effect_label(
                t.statistic, t.effect, t.measure, t.programme, t.arm, t.baseline, t.timepoint
            )
        return metric_label(t.metric, t.arm, t.week, t.baseline)

    @property
    def effect_arms(self) -> frozenset[str]:
        """Arms whose initial cohort an effect target measures (its arm and control)."""
        return frozenset(a for t in self.targets if t.effect for a in (t.arm, t.baseline))


def metric_label(metric: str, arm: str, week: int, baseline: str = "") -> str:
    """The name of a metric at a week in an arm (or its difference from ``baseline``).

    Targets and the screen's candidate measurements are named alike, so a candidate that
    is a target is the target.
    """
    where = f"{arm} - {baseline}" if baseline else arm
    return f"{metric} [{where}, week {week}]"


def effect_label(
    statistic: str,
    outcome: str,
    measure: str,
    programme: str,
    arm: str,
    baseline: str,
    timepoint: str,
) -> str:
    """The name of a programme's effect size (as :func:`metric_label` names metrics)."""
    shown = "" if measure == "latent" else f" ({measure})"
    return f"{statistic} of {outcome}{shown} [{programme} in {arm} against {baseline}, {timepoint}]"


def plan_calibration(scenario: Scenario, source: str = "<scenario>") -> Problem:
    """Check the ``[calibration]`` section against the scenario, before anything runs.

    Args:
        scenario: The validated scenario.
        source: Where it came from, for messages.

    Returns:
        The checked problem.

    Raises:
        ScenarioError: Naming the calibration entry and the fix: no parameters or
            targets, a path that names no parameter ("did you mean"), a prior bound the
            parameter does not allow, a target naming no arm, week or metric.
    """
    cal = scenario.calibration
    where = f"{source}: calibration"
    if not cal.parameters:
        raise ScenarioError(f"{where}.parameters: name at least one parameter to fit")
    if cal.budget_simulations < 2 * cal.population:
        raise ScenarioError(
            f"{where}.budget_simulations = {cal.budget_simulations}: too small for even the "
            f"sample from the prior and one generation of population = {cal.population} "
            f"(each needs at least {cal.population} simulations); raise the budget to "
            "several times the population"
        )
    if not cal.targets and not cal.history:
        raise ScenarioError(
            f"{where}.targets: give at least one target ([[calibration.targets]]) or a "
            "history file (calibration.history)"
        )
    raw = scenario.model_dump(mode="python")
    integer = []
    for path, prior in cal.parameters.items():
        current = value_at(raw, path, section=f"{where}.parameters")
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(
                f"{where}.parameters.{path!r}: only numeric parameters can be fitted; its "
                f"value is {current!r}"
            )
        is_int = whole_number(current)
        integer.append(is_int)
        for bound in ("low", "high"):
            value = getattr(prior, bound)
            try:
                validate_scenario(with_value(raw, path, as_parameter(value, is_int)))
            except ScenarioError as exc:
                reason = str(exc).split(": ", 1)[-1]
                raise ScenarioError(
                    f"{where}.parameters.{path!r}: the prior's {bound} = {value} is not a value "
                    f"the parameter takes ({reason}); choose bounds within its allowed range"
                ) from None
    arms = list(scenario.arms)
    targets = []
    metrics = None
    for i, target in enumerate(cal.targets):
        label = f"{where}.targets[{i}]"
        if target.effect:
            targets.append(_plan_effect(scenario, target, label))
            continue
        arm = target.arm or arms[0]
        for field, name in (("arm", arm), ("baseline", target.baseline)):
            if name and name not in scenario.arms:
                raise ScenarioError(
                    f"{label}.{field} = {name!r}: no such arm{did_you_mean(name, arms)}; arms: "
                    f"{', '.join(arms)}"
                )
        week = scenario.horizon_weeks if target.week < 0 else target.week
        if week > scenario.horizon_weeks:
            raise ScenarioError(
                f"{label}.week = {target.week}: the run ends at week {scenario.horizon_weeks}"
            )
        if metrics is None:
            metrics = _metric_names(scenario)
        if target.metric not in metrics:
            raise ScenarioError(
                f"{label}.metric = {target.metric!r}: the model computes no such metric"
                f"{did_you_mean(target.metric, metrics)}; see docs/model.md (Observation)"
            )
        targets.append(target.model_copy(update={"arm": arm, "week": week}))
    used = {t.arm for t in targets} | {t.baseline for t in targets if t.baseline}
    history: tuple[Observation, ...] = ()
    history_arm = cal.history_arm or arms[0]
    if cal.history:
        if history_arm not in scenario.arms:
            raise ScenarioError(
                f"{where}.history_arm = {history_arm!r}: no such arm"
                f"{did_you_mean(history_arm, arms)}; arms: {', '.join(arms)}"
            )
        history = load_history(scenario)
        used.add(history_arm)
        used |= {o.pilot.arm for o in history if o.pilot}
    problem = Problem(
        scenario=scenario,
        paths=tuple(cal.parameters),
        integer=tuple(integer),
        targets=tuple(targets),
        arms=tuple(a for a in arms if a in used),
        history=history,
        history_arm=history_arm,
    )
    _check_middle(problem, where)
    return problem


def _plan_effect(scenario: Scenario, target: Target, label: str) -> Target:
    """Resolve an effect target's arm, control arm and programme, or refuse it.

    Raises:
        ScenarioError: Naming the field: an arm that does not exist or has no programme,
            a control arm with programmes or none at all, a programme not in the arm (or
            none named where the arm has several).
    """
    arms = list(scenario.arms)
    with_programmes = [a for a in arms if scenario.arms[a].programmes]
    arm = target.arm or (with_programmes[0] if with_programmes else "")
    if arm not in scenario.arms:
        raise ScenarioError(
            f"{label}.arm = {target.arm!r}: no such arm{did_you_mean(target.arm, arms)}; arms: "
            f"{', '.join(arms)}"
        )
    programmes = list(scenario.arms[arm].programmes)
    if not programmes:
        raise ScenarioError(
            f"{label}.arm = {arm!r}: an effect needs an arm with a programme; arms with one: "
            f"{', '.join(with_programmes) or 'none'}"
        )
    control = target.baseline or control_arm(scenario) or ""
    if control not in scenario.arms or scenario.arms[control].programmes:
        raise ScenarioError(
            f"{label}.baseline = {target.baseline!r}: an effect is measured against a control "
            "arm without programmes; add one (e.g. [arms.no_programme]) or name it"
        )
    programme = target.programme or (programmes[0] if len(programmes) == 1 else "")
    if programme not in programmes:
        raise ScenarioError(
            f"{label}.programme = {target.programme!r}: name one of the programmes of arm "
            f"{arm!r}{did_you_mean(target.programme, programmes)}: {', '.join(programmes)}"
        )
    return target.model_copy(update={"arm": arm, "baseline": control, "programme": programme})


def _check_middle(problem: Problem, where: str) -> None:
    """Run one particle at the middle of the priors; refuse targets it cannot measure.

    Raises:
        ScenarioError: If the middle values make an invalid scenario (a rule linking two
            fitted parameters), or a target's metric has no value in its arm and week
            (participants' retention in an arm without programmes, say).
    """
    cal = problem.scenario.calibration
    middle = {p: (cal.parameters[p].low + cal.parameters[p].high) / 2 for p in problem.paths}
    try:
        values = statistics(problem, middle, problem.scenario.seed)
    except ScenarioError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise ScenarioError(
            f"{where}.parameters: at the middle of the priors the scenario is invalid "
            f"({reason}); choose priors whose values fit together"
        ) from None
    empty = [i for i, k in enumerate(problem.keys) if np.isnan(values[k])]
    if empty:
        named = "; ".join(problem.label(i) for i in empty)
        raise ScenarioError(
            f"{where}: the model gives no value for {named} (at the middle of the priors), "
            "so no particle can match it; measure the metric in an arm and week where it "
            "has one (participants' retention needs an arm with a programme, time to "
            "proficiency a hire who became proficient)"
        )


def _metric_names(scenario: Scenario) -> list[str]:
    """Every metric of the weekly time series (those of week 0 of each arm)."""
    from sim.model.workplace import WorkplaceModel

    names: dict[str, None] = {}
    for arm in scenario.arms:
        names.update(dict.fromkeys(WorkplaceModel(scenario, arm=arm).records[0]))
    return list(names)


# --- one particle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticleModel:
    """The model pyabc calls: parameter values in, the targets' statistics out.

    The particle's seed is drawn from numpy's global generator, which
    :class:`OrderedSampler` seeds from ``(seed, generation, index)`` before each particle.
    """

    problem: Problem

    def __call__(self, values: Mapping[str, float]) -> dict[str, float]:
        """Simulate the particle with ``values``; its seed comes from the global generator."""
        seed = int(np.random.randint(0, 2**62))  # noqa: NPY002 (pyabc's generator)
        return simulate(self.problem, values, seed)


def simulate(problem: Problem, values: Mapping[str, float], seed: int) -> dict[str, float]:
    """Run the arms of one particle and compute every target's statistic.

    A particle that cannot match the data gets infinite statistics, so that pyabc
    rejects it: values that break a rule linking parameters (a minimum above a maximum,
    say; the prior is then cut to the valid region), or a statistic without a value.

    Args:
        problem: The checked calibration.
        values: The particle's value of every fitted parameter, by path.
        seed: Root seed of the particle's runs (the same in every arm).

    Returns:
        The statistic of each target, by key.
    """
    try:
        out = statistics(problem, values, seed)
    except ScenarioError:
        return dict.fromkeys(problem.keys, math.inf)
    return {k: (v if np.isfinite(v) else math.inf) for k, v in out.items()}


def statistics(problem: Problem, values: Mapping[str, float], seed: int) -> dict[str, float]:
    """Every target's statistic for one particle, NaN where the metric has no value.

    Raises:
        ScenarioError: If the values make an invalid scenario.
    """
    scenario = particle_scenario(problem, values)
    pairs: dict[str, list[str]] = {}
    for t in problem.targets:
        if t.effect:
            pairs.setdefault(t.baseline, []).append(t.arm)
    runs = particle_runs(problem, scenario, seed, problem.arms, pairs)
    return target_values(problem, scenario, runs, effects(scenario, runs, pairs))


def particle_scenario(problem: Problem, values: Mapping[str, float]) -> Scenario:
    """The scenario with a particle's values set (whole-number parameters rounded).

    Raises:
        ScenarioError: If the values make an invalid scenario.
    """
    raw = problem.scenario.model_dump(mode="python")
    for path, is_int in zip(problem.paths, problem.integer, strict=True):
        raw = with_value(raw, path, as_parameter(values[path], is_int))
    raw["calibration"] = {}
    return validate_scenario(raw, source="calibration particle")


def particle_runs(
    problem: Problem,
    scenario: Scenario,
    seed: int,
    arms: Sequence[str],
    pairs: Mapping[str, Sequence[str]],
) -> dict[str, _ArmRun]:
    """Run a particle's arms on the same replicate seeds.

    Args:
        problem: The checked calibration (replicates, history).
        scenario: The particle's scenario (:func:`particle_scenario`).
        seed: Root seed of the runs.
        arms: The arms to run.
        pairs: Effect sizes needed: control arm -> arms measured against it (their
            initial cohorts are snapshotted).
    """
    replicates = list(range(problem.scenario.calibration.replicates))
    surveyed = {o.to_week for o in problem.history if o.measure == "engagement"}
    cohort_arms = {a for control, measured in pairs.items() for a in (control, *measured)}
    cohort_weeks = snapshot_weeks(scenario, sorted(cohort_arms)) if cohort_arms else []
    runs = {}
    for arm in arms:
        surveys = surveyed if arm == problem.history_arm else set()
        weeks = cohort_weeks if arm in cohort_arms else ()
        pilots = [o for o in problem.history if o.pilot and o.pilot.arm == arm]
        runs[arm] = run_arm(scenario, arm, replicates, seed, surveys, weeks, pilots)
    return runs


def target_values(
    problem: Problem,
    scenario: Scenario,
    runs: Mapping[str, _ArmRun],
    sizes: Mapping[tuple[str, ...], float],
) -> dict[str, float]:
    """Every target's statistic from a particle's runs and effect sizes (:func:`effects`)."""
    out = {}
    for key, target in zip(problem.keys[: len(problem.targets)], problem.targets, strict=True):
        if target.effect:
            t = target
            what = (t.arm, t.programme, t.timepoint, t.effect, t.measure, t.statistic)
            out[key] = sizes.get(what, math.nan)
            continue
        mine = np.array([r.records[target.week][target.metric] for r in runs[target.arm].models])
        if target.baseline:
            mine = mine - np.array(
                [r.records[target.week][target.metric] for r in runs[target.baseline].models]
            )
        out[key] = float(mine.mean())
    history_keys = problem.keys[len(problem.targets) :]
    for key, obs in zip(history_keys, problem.history, strict=True):
        out[key] = float(np.mean(runs[problem.arm_of(obs)].observe(obs)))
    return out


def effects(
    scenario: Scenario, runs: Mapping[str, _ArmRun], pairs: Mapping[str, Sequence[str]]
) -> dict[tuple[str, ...], float]:
    """Effect sizes of a particle's runs, averaged over replicates.

    Args:
        scenario: The particle's scenario.
        runs: Its runs, with cohorts for the arms in ``pairs``.
        pairs: Control arm -> arms measured against it.

    Returns:
        Values by ``(arm, programme, timepoint, outcome, measure, statistic)``; a key is
        missing where no replicate has a value (no learners employed in both arms, say).
    """
    out: dict[tuple[str, ...], float] = {}
    for control, measured in pairs.items():
        arms = dict.fromkeys([control, *measured])
        cohort = pd.concat([runs[a].cohort for a in arms], ignore_index=True)
        out.update(effect_values(per_replicate(cohort, scenario, control)))
    return out


@dataclass
class _ArmRun:
    """The replicates of one arm of a particle, and their engagement at surveyed weeks."""

    models: list[Any]
    #: By week: per replicate, mean engagement of each level and of everyone (last).
    engagement: dict[int, np.ndarray]
    #: The initial cohort's snapshots (:class:`sim.model.cohort.CohortRecorder`), with
    #: ``arm`` and ``replicate`` columns; empty when no effect target needs them.
    cohort: pd.DataFrame
    #: The pilot rows measured in this arm, and their snapshots.
    pilots: PilotWatch | None = None

    def observe(self, obs: Observation) -> np.ndarray:
        """The simulated value of a history row, per replicate."""
        if obs.pilot is not None and self.pilots is not None:
            return self.pilots.values(obs)
        if obs.measure == "engagement":
            return self.engagement[obs.to_week][:, obs.level]  # level -1: everyone
        if obs.measure == "quits":
            return np.array([quits_in(m.ledger.exits, obs) for m in self.models], dtype=float)
        return np.array([promotions_in(m.ledger.promotion_log, obs) for m in self.models], float)


def quits_in(exits: list[Any], obs: Observation) -> int:
    """Leavers in the row's weeks (and level and tenure band): an exit's week is one after."""
    n = 0
    for e in exits:
        if not obs.from_week <= e.week - 1 < obs.to_week:
            continue
        keep = np.ones(len(e.level), dtype=bool) if obs.level < 0 else e.level == obs.level
        tenure = e.week - e.hired_week
        keep &= (tenure >= obs.tenure[0]) & (tenure < obs.tenure[1])
        n += int(keep.sum())
    return n


def promotions_in(log: list[tuple[int, np.ndarray]], obs: Observation) -> int:
    """Promotions in the row's weeks, counted at the level left."""
    return sum(
        int((levels == obs.level).sum()) if obs.level >= 0 else len(levels)
        for week, levels in log
        if obs.from_week <= week < obs.to_week
    )


def run_arm(
    scenario: Scenario,
    arm: str,
    replicates: list[int],
    seed: int,
    surveyed: set[int],
    cohort_weeks: Sequence[int] = (),
    pilots: Sequence[Observation] = (),
) -> _ArmRun:
    """Run an arm's replicates in batches, noting mean engagement at the surveyed weeks.

    With ``cohort_weeks``, the initial cohort is also snapshotted after those weeks (for
    effect sizes), exactly as ``wlsim run`` does. The history's pilot rows measured in
    the arm (``pilots``) fix who enrols and have the cohort snapshotted at their weeks
    (:class:`~sim.experiments.pilots.PilotWatch`).
    """
    from sim.experiments.pilots import PilotWatch
    from sim.model.cohort import CohortRecorder
    from sim.model.collector import settle
    from sim.model.workplace import ReplicateBatch, WorkplaceModel
    from sim.scenario.resources import batch_size

    settle()  # the process's long-lived objects out of the cycle collector's work, once
    models = [WorkplaceModel(scenario, arm=arm, replicate=r, seed=seed) for r in replicates]
    recorders = [CohortRecorder(m, cohort_weeks) for m in models] if cohort_weeks else []
    n_levels = scenario.n_levels
    engagement = {week: np.full((len(models), n_levels + 1), np.nan) for week in surveyed}
    watch = PilotWatch(scenario, pilots)

    def survey(week: int, first: int, chunk: list[Any]) -> None:
        if week not in surveyed:
            return
        out = engagement[week]
        for i, m in enumerate(chunk, start=first):
            wf = m.workforce
            occ = wf.occupied
            for lv in range(n_levels):
                here = occ & (wf.level == lv)
                if here.any():
                    out[i, lv] = wf.engagement[here].mean()
            out[i, n_levels] = wf.engagement[occ].mean()

    size = batch_size(scenario, len(models))
    for first in range(0, len(models), size):
        chunk = models[first : first + size]
        watch.start(chunk)
        batch = ReplicateBatch(chunk)
        survey(0, first, chunk)
        for week in range(1, scenario.horizon_weeks + 1):
            batch.step()
            survey(week, first, chunk)
            watch.after_week(first, chunk)
            if recorders:
                for recorder, m in zip(recorders[first : first + size], chunk, strict=True):
                    recorder.after_week(m)
    frames = []
    for r, recorder in zip(replicates, recorders, strict=False):  # none without cohort weeks
        table = recorder.table()
        table.insert(0, "arm", arm)
        table.insert(1, "replicate", r)
        frames.append(table)
    cohort = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _ArmRun(models, engagement, cohort, watch)


# --- the screen (sim.experiments.screen) ----------------------------------------------------


def screen_point(problem: Problem, values: dict[str, float], index: int) -> dict[str, float]:
    """Every target's and candidate measurement's statistic at one point of a screen.

    The candidates are what an organisation or a study can observe in the scenario's
    arms (:data:`sim.experiments.screen.OBSERVABLE_METRICS` at the horizon, and each
    programme's :data:`~sim.experiments.screen.OBSERVABLE_EFFECTS` against the control
    arm); targets are named by their labels, candidates in the same form, so a candidate
    that is a target is the target.

    Args:
        problem: The checked calibration.
        values: The point's value of every fitted parameter.
        index: The point's number (seeds its runs).

    Returns:
        Statistics by name (NaN where one has no value; none for values that break a
        rule between parameters).
    """
    from sim.experiments.screen import OBSERVABLE_EFFECTS, OBSERVABLE_METRICS, point_seed

    try:
        scenario = particle_scenario(problem, values)
    except ScenarioError:
        return {}
    arms = list(scenario.arms)
    control = control_arm(scenario)
    pairs = {control: [a for a in arms if scenario.arms[a].programmes]} if control else {}
    for t in problem.targets:
        if t.effect and t.arm not in pairs.get(t.baseline, []):
            pairs.setdefault(t.baseline, []).append(t.arm)
    runs = particle_runs(problem, scenario, point_seed(scenario.seed, index), arms, pairs)
    sizes = effects(scenario, runs, pairs)
    found = target_values(problem, scenario, runs, sizes)
    stats = {problem.label(i): found.get(k, math.nan) for i, k in enumerate(problem.keys)}
    week = scenario.horizon_weeks
    for arm in arms:
        for metric in OBSERVABLE_METRICS:
            vals = [m.records[week].get(metric, math.nan) for m in runs[arm].models]
            stats.setdefault(metric_label(metric, arm, week), float(np.mean(vals)))
    for base, measured in pairs.items():
        for arm in measured:
            for prog in scenario.arms[arm].programmes:
                for outcome, measure, statistic in OBSERVABLE_EFFECTS:
                    name = effect_label(statistic, outcome, measure, prog, arm, base, "end")
                    key = (arm, prog, "end", outcome, measure, statistic)
                    stats.setdefault(name, sizes.get(key, math.nan))
    return stats


# --- the sampler ----------------------------------------------------------------------------


def particle_seed(seed: int, generation: int, index: int) -> np.ndarray:
    """The seed (four 32-bit words) of numpy's global generator for one particle.

    Generations start at -1 (pyabc's sample from the prior that sets the first
    tolerance); -2 seeds what pyabc draws outside particles.
    """
    seq = np.random.SeedSequence(seed, spawn_key=(_PARTICLE_KEY, generation + 2, index))
    return seq.generate_state(4)


def evaluate(payload: bytes | Callable[[], Any], seeds: Sequence[np.ndarray]) -> list[Any]:
    """Evaluate particles: for each seed, seed numpy's global generator and simulate one.

    pyabc draws the particle's parameters (from the prior or the perturbed previous
    generation) and the model draws its seed, both from numpy's global generator; the
    caller's state of that generator is restored afterwards, so evaluating in this
    process or in a worker is the same.

    Args:
        payload: pyabc's ``simulate_one``, or it pickled by cloudpickle (for workers).
        seeds: One seed per particle.

    Returns:
        pyabc's particles, in the order of ``seeds``.
    """
    if isinstance(payload, bytes):
        import cloudpickle

        simulate_one = cloudpickle.loads(payload)
    else:
        simulate_one = payload
    # pyabc draws from numpy's global generator, so it is the one seeded (NPY002).
    state = np.random.get_state()  # noqa: NPY002
    try:
        out = []
        for s in seeds:
            np.random.seed(s)  # noqa: NPY002
            out.append(simulate_one())
        return out
    finally:
        np.random.set_state(state)  # noqa: NPY002


def make_sampler(executor: futures.Executor | None, seed: int, progress: bool) -> Any:
    """A pyabc sampler that gives the same particles on every back-end (see the module)."""
    pyabc = _pyabc()

    class OrderedSampler(pyabc.sampler.Sampler):  # type: ignore[name-defined]
        """Fixed rounds of particles seeded by (generation, index), accepted in index order."""

        def __init__(self) -> None:
            super().__init__()
            self.executor = executor
            self.workers = executor_workers(executor)

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            sample = self._create_empty_sample()
            remote = self.workers > 0
            if ana_vars is not None and np.isfinite(ana_vars.max_total_nr_simulations):
                # The simulation budget is a cap: a generation that would pass it stops
                # unfinished, and the last finished generation is the posterior.
                left = ana_vars.max_total_nr_simulations - ana_vars.prev_total_nr_simulations
                max_eval = min(max_eval, max(left, 0))
            if remote:
                import cloudpickle

                payload: bytes | Callable[[], Any] = cloudpickle.dumps(simulate_one)
            else:
                payload = simulate_one
            per_round = PARTICLES_PER_TASK * max(self.workers, 1) * (2 if remote else 1)
            index = accepted = evaluated = 0
            bar = _bar(n, t, progress)
            try:
                while accepted < n and evaluated < max_eval:
                    seeds = [particle_seed(seed, t, i) for i in range(index, index + per_round)]
                    index += per_round
                    for particle in self._run(payload, seeds, remote):
                        sample.append(particle)
                        evaluated += 1
                        if particle.accepted:
                            accepted += 1
                            bar.update(1)
                        if accepted == n or evaluated >= max_eval:
                            break
            finally:
                bar.close()
            if progress and t >= 0:  # generation -1 samples the prior for adaptive steps
                tolerance = ana_vars.eps(t) if ana_vars is not None else math.nan
                print(
                    f"generation {t}: tolerance {tolerance:.4g}, {accepted} accepted of "
                    f"{evaluated} simulated ({accepted / max(evaluated, 1):.0%})",
                    file=sys.stderr,
                    flush=True,
                )
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

        def _run(self, payload, seeds, remote):
            if not remote:
                return evaluate(payload, seeds)
            chunks = [
                seeds[i : i + PARTICLES_PER_TASK] for i in range(0, len(seeds), PARTICLES_PER_TASK)
            ]
            assert self.executor is not None  # remote means an executor was given
            pending = [self.executor.submit(evaluate, payload, c) for c in chunks]
            return [p for fut in pending for p in fut.result()]

    return OrderedSampler()


def _bar(n: int, t: int, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=n, desc=f"generation {t}", unit="accepted", disable=not progress, leave=False)


# --- running --------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    """What :func:`calibrate` produces.

    Attributes:
        posterior: The last generation's particles: one column per parameter and
            ``weight`` (summing to 1).
        generations: One row per generation: tolerance, particles accepted, simulated,
            acceptance rate, effective sample size.
        predictive: Per target: observed value and sd, and the posterior particles'
            simulated mean and 5% and 95% weighted quantiles.
        seconds: Wall time of this call.
        simulations: Particles simulated in all, with pyabc's sample from the prior that
            sets the first tolerance.
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame
    seconds: float
    simulations: int = 0


def calibrate(
    problem: Problem,
    database: Path,
    executor: futures.Executor | None = None,
    resume: bool = False,
    progress: bool = False,
) -> CalibrationResult:
    """Run (or continue) ABC-SMC until the stopping rule of ``[calibration]``.

    Args:
        problem: The checked calibration (:func:`plan_calibration`).
        database: pyabc's SQLite history; a resumed calibration continues from the last
            finished generation stored there.
        executor: Where particles run (default: this process).
        resume: Continue the calibration in ``database``.
        progress: Show a progress bar per generation.

    Returns:
        The posterior, per-generation diagnostics and the posterior predictive check.
    """
    pyabc = _pyabc()
    cal = problem.scenario.calibration
    seed = problem.scenario.seed
    started = time.perf_counter()
    priors = {}
    for path, is_int in zip(problem.paths, problem.integer, strict=True):
        prior = cal.parameters[path]
        # A whole-number parameter is drawn on [low - 1/2, high + 1/2) and rounded, so
        # every whole number in [low, high] is equally likely.
        low, high = (prior.low - 0.5, prior.high + 0.5) if is_int else (prior.low, prior.high)
        priors[path] = (
            pyabc.RV("uniform", low, high - low)
            if prior.distribution == "uniform"
            else pyabc.RV("loguniform", max(low, prior.low / 2), high)
        )
    weights = {k: 1.0 / sd for k, sd in problem.sds.items()}
    sampler = make_sampler(executor, seed, progress)
    abc = pyabc.ABCSMC(
        ParticleModel(problem),
        pyabc.Distribution(**priors),
        pyabc.PNormDistance(p=2, fixed_weights=weights),
        population_size=cal.population,
        sampler=sampler,
    )
    url = f"sqlite:///{database}"
    if resume:
        abc.load(url, 1)
        done = abc.history.max_t + 1
    else:
        abc.new(url, problem.observed)
        done = 0
    history = abc.history
    spent = int(history.total_nr_simulations) if done else 0
    reached = done and cal.tolerance > 0 and _last_tolerance(history) <= cal.tolerance
    if done < cal.generations and spent < cal.budget_simulations and not reached:
        # Anything pyabc draws outside the particles comes from a seeded generator too.
        state = np.random.get_state()  # noqa: NPY002
        np.random.seed(particle_seed(seed, -2, 0))  # noqa: NPY002
        try:
            history = abc.run(
                minimum_epsilon=cal.tolerance,
                max_nr_populations=cal.generations - done,
                max_total_nr_simulations=cal.budget_simulations,
            )
        finally:
            np.random.set_state(state)  # noqa: NPY002
    return _summarise(pyabc, problem, history, time.perf_counter() - started)


def _last_tolerance(history: Any) -> float:
    """The tolerance of the last generation stored in a pyabc history."""
    pops = history.get_all_populations()
    return float(pops.loc[pops["t"] >= 0, "epsilon"].iloc[-1])


def _summarise(pyabc: Any, problem: Problem, history: Any, seconds: float) -> CalibrationResult:
    frame, w = history.get_distribution()
    posterior = frame[list(problem.paths)].reset_index(drop=True)
    posterior.columns = list(problem.paths)
    for path, is_int in zip(problem.paths, problem.integer, strict=True):
        if is_int:  # the values that ran
            posterior[path] = np.round(posterior[path]).astype(np.int64)
    posterior["weight"] = np.asarray(w, dtype=float)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    ess = []
    for t in pops["t"]:
        _, wt = history.get_distribution(t=int(t))
        ess.append(float(pyabc.weighted_statistics.effective_sample_size(wt)))
    generations = pd.DataFrame(
        {
            "generation": pops["t"].astype(int),
            "tolerance": pops["epsilon"].astype(float),
            "accepted": pops["particles"].astype(int),
            "simulated": pops["samples"].astype(int),
            "acceptance_rate": pops["particles"] / pops["samples"],
            "effective_sample_size": ess,
        }
    )
    sw, stats = history.get_weighted_sum_stats()
    sw = np.asarray(sw, dtype=float)
    rows = []
    observed, sds = problem.observed, problem.sds
    for i, key in enumerate(problem.keys):
        sims = np.array([s[key] for s in stats], dtype=float)
        ok = np.isfinite(sims)
        low, high = weighted_quantiles(sims[ok], sw[ok], (0.05, 0.95))
        if i < len(problem.targets):
            t = problem.targets[i]
            name = t.metric or f"effect:{t.effect}"
            week = t.week if t.metric else -1
            what = {"metric": name, "arm": t.arm, "baseline": t.baseline, "week": week}
        else:  # a history row (engagement on the model's 0-1 scale)
            o = problem.history[i - len(problem.targets)]
            what = {
                "metric": o.measure,
                "arm": problem.arm_of(o),
                "baseline": "",
                "week": o.to_week,
            }
        mean = float(np.average(sims[ok], weights=sw[ok])) if ok.any() else math.nan
        rows.append(
            {
                "target": problem.label(i),
                **what,
                "observed": observed[key],
                "sd": sds[key],
                "simulated_mean": mean,
                "simulated_q05": low,
                "simulated_q95": high,
            }
        )
    total = int(history.total_nr_simulations)
    return CalibrationResult(posterior, generations, pd.DataFrame(rows), seconds, total)


# --- the calibration folder -----------------------------------------------------------------

#: The pyabc history in a calibration folder (kept for --resume).
DATABASE = "calibration.db"


def run_calibration(
    scenario: Scenario,
    folder: str | Path,
    executor: futures.Executor | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    source: str = "<scenario>",
) -> CalibrationResult:
    """Calibrate a scenario into ``folder`` (or continue the calibration there).

    The folder holds the resolved scenario, pyabc's history (``calibration.db``, from
    which ``resume`` continues) and, once the stopping rule is met, the posterior
    (``posterior.parquet``, particles with weights), the diagnostics per generation
    (``generations.csv``), the posterior predictive check of every target
    (``predictive.csv``), figures and provenance.

    Args:
        scenario: The scenario with its ``[calibration]`` section.
        folder: The calibration folder.
        executor: Where particles run (default: this process); the posterior is the same
            on every executor.
        resume: Continue the calibration in ``folder``.
        overwrite: Start afresh, replacing ``folder``.
        progress: Show a progress bar per generation (default: in terminals).
        source: Where the scenario came from, for messages.

    Raises:
        ScenarioError: If the calibration is invalid (before anything runs), or the folder
            exists without ``resume``/``overwrite`` or holds another calibration.
    """
    from sim.experiments.folders import lock

    folder = Path(folder)
    problem = plan_calibration(scenario, source)
    _pyabc()  # a missing pyabc is reported before any folder is made
    show = progress if progress is not None else _interactive()
    with lock(folder):
        _prepare(folder, scenario, resume, overwrite)
        result = calibrate(problem, folder / DATABASE, executor, resume=resume, progress=show)
        points = problem.scenario.calibration.screen_points
        if points:
            from functools import partial

            from sim.experiments.screen import run_screen
            from sim.files import atomic_write

            if show:
                print("Screening what each target and measurement depends on ...", flush=True)
            point = partial(screen_point, problem)
            n = None if points < 0 else points
            screen = run_screen(
                problem.scenario.calibration, problem.scenario.seed, point, n, executor
            )
            design = screen.design.add_prefix("z:")
            table = pd.concat([screen.values, design], axis=1)
            atomic_write(folder / SCREEN_FILE, table.to_parquet(index=False))
        _write_outputs(folder, problem, result)
    return result


def _interactive() -> bool:
    return sys.stderr.isatty()


def _prepare(folder: Path, scenario: Scenario, resume: bool, overwrite: bool) -> None:
    """Check the folder to resume, or create the calibration folder whole."""
    from sim.experiments.folders import prepare_resumable
    from sim.scenario.loading import dump_scenario

    data = json.dumps(_data_fingerprint(scenario), sort_keys=True)
    changed = {
        "scenario.resolved.toml": (
            "the calibration there was made from another scenario or [calibration] section; "
            "resume with the same file and --set options, or pass --overwrite to start afresh"
        ),
        "data.json": (
            "a data file changed since the calibration started (its history, roster or "
            "advice network); the generations stored were fitted to the old data. Pass "
            "--overwrite to start afresh with the new data"
        ),
    }
    files = {"scenario.resolved.toml": dump_scenario(scenario), "data.json": data + "\n"}
    prepare_resumable(folder, "calibration", DATABASE, files, changed, resume, overwrite)


def _data_fingerprint(scenario: Scenario) -> dict[str, Any]:
    """The data files a calibration depends on, with their hashes."""
    from sim.scenario.datafile import file_sha256
    from sim.scenario.history import HISTORY
    from sim.scenario.orgdata import data_provenance
    from sim.scenario.pilots import PARTICIPANTS

    history = scenario.calibration.history
    data = {
        "organisation": data_provenance(scenario),
        "history": {"path": history, "sha256": file_sha256(history, HISTORY)} if history else None,
    }
    listed = {o.pilot.source for o in load_history(scenario) if o.pilot} if history else set()
    if listed - {""}:  # a pilot's participants files
        data["participants"] = {p: file_sha256(p, PARTICIPANTS) for p in sorted(listed - {""})}
    return data


def _write_outputs(folder: Path, problem: Problem, result: CalibrationResult) -> None:

    from sim.analysis.calibration_report import write_report
    from sim.files import atomic_write
    from sim.provenance import provenance

    atomic_write(folder / "posterior.parquet", result.posterior.to_parquet(index=False))
    atomic_write(folder / "generations.csv", result.generations.to_csv(index=False).encode())
    atomic_write(folder / "predictive.csv", result.predictive.to_csv(index=False).encode())
    meta = provenance()
    cal = problem.scenario.calibration
    meta.update(
        scenario=problem.scenario.name,
        seed=problem.scenario.seed,
        parameters={p: cal.parameters[p].model_dump() for p in problem.paths},
        targets=[problem.label(i) for i in range(len(problem.targets))],
        particle_seeds=(
            "particle i of generation t seeds numpy's global generator from "
            f"SeedSequence(seed, spawn_key=({_PARTICLE_KEY}, t + 2, i))"
        ),
        wall_time_seconds=round(result.seconds, 3),
    )
    atomic_write(folder / "provenance.json", (json.dumps(meta, indent=1) + "\n").encode())
    # The report reads the files just written, as `wlsim report FOLDER` does.
    write_report(folder)
