"""Planning a pilot's evaluation by simulation (``wlsim pilot``, docs/pilots.md).

A scenario's ``[pilot]`` section names the pilot (a programme of an arm), how many
people enrol and how (at random, or volunteers who self-select by engagement or skill
gap), how long it runs and what HR measures. For every replicate and every size of the
size search, this module

1. builds the pilot's arm and the control arm on the replicate's seeds (common random
   numbers: the same organisation, the same people, the same draws);
2. draws who enrols from the pilot's own stream (:meth:`sim.model.streams.Streams.pilot_plan`)
   among the eligible (the programme's learner levels and tenure window at week 0), and
   fixes it as a history's pilot rows do (:func:`sim.model.workforce.enrol_only`:
   they enrol in the arm's programmes, nobody else of the starting workforce does);
3. snapshots the initial cohort (:class:`sim.model.cohort.CohortRecorder`, with the
   observation model's ratings and survey scores) at the programme's start and after
   every duration of the duration search, in both arms;
4. evaluates the pilot as an HR team would (participants against the comparison group,
   Welch's t-test) and against the truth (the same participants in the control arm).

:mod:`sim.analysis.pilotplan` turns the rows into power, bias, the size a target power
needs, a figure and plain-language text; :func:`write_pilot` writes them to a folder.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import pilotplan as stats
from sim.analysis.effects import control_arm, outcomes
from sim.errors import ScenarioError
from sim.model.cohort import CohortRecorder
from sim.model.collector import settle
from sim.model.submodels.practice import usage_matrix
from sim.model.workforce import enrol_only
from sim.model.workplace import ReplicateBatch, WorkplaceModel
from sim.scenario.loading import arm_scenario
from sim.scenario.schema import Programme, Scenario


@dataclass(frozen=True)
class Plan:
    """A checked pilot plan: the scenario's ``[pilot]`` with every choice resolved.

    Attributes:
        scenario: The scenario.
        source: Where it came from, for messages.
        arm: The arm that runs the pilot.
        control: The arm without it.
        programme: The pilot programme.
        sizes: Numbers of participants simulated (the stated one among them).
        durations: Weeks from the measurement before to the one after (the stated one
            among them).
        start: The programme's start week (the measurement before).
        replicates: Simulated pilots per size.
        seed: The root seed the replicates run on.
        eligible_by_replicate: Employees eligible at week 0 in each replicate's
            organisation (tenures, and so eligibility, differ between replicates).
        max_size: The most participants that leave a comparison group (``n_comparison``,
            at least 2) in every replicate.
    """

    scenario: Scenario
    source: str
    arm: str
    control: str
    programme: str
    sizes: tuple[int, ...]
    durations: tuple[int, ...]
    start: int
    replicates: int
    seed: int
    eligible_by_replicate: tuple[int, ...]
    max_size: int

    @property
    def settings(self):
        """The scenario's ``[pilot]`` section."""
        return self.scenario.pilot

    @property
    def eligible(self) -> int:
        """The fewest employees eligible at week 0 in any replicate."""
        return min(self.eligible_by_replicate)

    @property
    def eligible_mean(self) -> float:
        """Employees eligible at week 0, on average over the replicates."""
        return float(np.mean(self.eligible_by_replicate))


def _fail(source: str, text: str) -> ScenarioError:
    return ScenarioError(f"{source}: [pilot] {text}")


def check_plan(
    scenario: Scenario,
    source: str = "<scenario>",
    replicates: int | None = None,
    seed: int | None = None,
) -> Plan:
    """Resolve and check a scenario's ``[pilot]`` section before anything runs.

    Eligibility depends on tenure, which differs between replicates: every replicate to
    be simulated is built (to week 0, after any burn-in) on the seed that will be used,
    and the plan must fit the one with the fewest eligible.

    Args:
        scenario: The validated scenario (its ``[pilot]`` section).
        source: The scenario file, for messages.
        replicates: Simulated pilots per size (default ``pilot.replicates``), at least 1.
        seed: Root seed (default the scenario's).

    Returns:
        The plan.

    Raises:
        ScenarioError: Naming the file, the field, the value and the fix, if the pilot's
            arm, programme or control cannot be found, the observation model is off for
            an observed outcome, the duration passes the horizon, or more participants
            are asked for than are eligible in some replicate (named, with its count).
    """
    p = scenario.pilot
    replicates = p.replicates if replicates is None else replicates
    seed = scenario.seed if seed is None else seed
    if replicates < 1:
        raise ScenarioError(f"{source}: {replicates} replicates: a pilot plan needs at least 1")
    with_programmes = [a for a, spec in scenario.arms.items() if spec.programmes]
    arm = p.arm or (with_programmes[0] if with_programmes else "")
    if not arm:
        raise _fail(
            source,
            "no arm runs a programme: add an arm whose programmes include the pilot, or "
            "name it in pilot.arm",
        )
    own = scenario.arms[arm].programmes
    if not own:
        raise _fail(
            source, f"pilot.arm = {arm!r} runs no programme; name an arm that runs the pilot"
        )
    programme = p.programme
    if not programme:
        if len(own) > 1:
            raise _fail(
                source,
                f"arm {arm!r} runs several programmes ({', '.join(own)}); name the pilot in "
                "pilot.programme",
            )
        programme = own[0]
    elif programme not in own:
        raise _fail(
            source,
            f"pilot.programme = {programme!r} is not a programme of arm {arm!r}; use one of "
            f"{', '.join(own)}, or name another arm in pilot.arm",
        )
    others = [a for a in scenario.arms if a != arm]
    control = p.control or (control_arm(scenario, others) or "")
    if not control:
        raise _fail(
            source,
            "no arm without programmes to give the true effect: add one (programmes = []) or "
            "name it in pilot.control",
        )
    if control == arm or programme in scenario.arms[control].programmes:
        raise _fail(
            source,
            f"pilot.control = {control!r} runs the pilot {programme!r}; name an arm without it",
        )
    if p.outcome != "retention" and p.measure == "observed" and not scenario.observation.enabled:
        raise _fail(
            source,
            f"pilot.outcome = {p.outcome!r} is measured by the observation model, but "
            "observation.enabled = false; set observation.enabled = true, or pilot.measure = "
            "'latent' for the true states",
        )
    sc = arm_scenario(scenario, arm, source)
    prog = sc.programmes[programme]
    start = prog.start_week
    room = scenario.horizon_weeks - start
    durations = _durations(p.dur_weeks, p.durations, room)
    for label, value in (("dur_weeks", [p.dur_weeks]), ("durations", list(p.durations))):
        if any(d > room for d in value):
            raise _fail(
                source,
                f"pilot.{label} = {value if label == 'durations' else value[0]}: the pilot starts "
                f"at week {start} (programmes.{programme}.start_week) and the run ends at week "
                f"{scenario.horizon_weeks}, so at most {room} weeks can be measured; shorten it "
                "or raise horizon_weeks",
            )
    counts = tuple(
        len(eligible_ids(WorkplaceModel(scenario, arm=arm, replicate=r, seed=seed), prog))
        for r in range(replicates)
    )
    fewest = int(np.argmin(counts))
    eligible = counts[fewest]
    taken = p.n_comparison or 2
    max_size = eligible - taken
    spread = (
        f" in replicate {fewest} of {replicates} (seed {seed}; {min(counts)}-{max(counts)} "
        "across replicates: tenures differ)"
        if min(counts) < max(counts)
        else f" in every one of {replicates} replicates (seed {seed})"
        if replicates > 1
        else f" (seed {seed})"
    )
    where = (
        f"only {eligible} employees are eligible for {programme!r} at week 0{spread} "
        f"(learner_levels {list(prog.learner_levels)}, tenure {prog.dur_tenure_min_weeks:g}-"
        f"{prog.dur_tenure_max_weeks:g} weeks)"
    )
    if max_size < 2:
        raise _fail(source, f"{where}: too few for a pilot and a comparison group")
    for label, values in (("n_participants", [p.n_participants]), ("sizes", list(p.sizes))):
        big = [v for v in values if v > max_size]
        if big:
            shown = big[0] if label == "n_participants" else values
            raise _fail(
                source,
                f"pilot.{label} = {shown}: {where}; at most {max_size} can enrol and leave "
                f"{taken} to compare with in every replicate; enrol fewer, or widen the "
                "programme's learner_levels or tenure window",
            )
    sizes = _sizes(p.n_participants, p.sizes, max_size)
    return Plan(scenario, source, arm, control, programme, sizes, durations, start, replicates,
                seed, counts, max_size)  # fmt: skip


def _sizes(n: int, given: Sequence[int], top: int) -> tuple[int, ...]:
    if given:
        return tuple(sorted({n, *given}))
    auto = {max(2, round(n * k)) for k in (0.5, 1, 2, 4)}
    return tuple(sorted({s for s in auto if s <= top} | {n}))


def _durations(d: int, given: Sequence[int], room: int) -> tuple[int, ...]:
    if given:
        return tuple(sorted({d, *given}))
    auto = {max(1, round(d * k)) for k in (0.5, 1, 1.5, 2)}
    return tuple(sorted({w for w in auto if w <= room} | {d}))


def eligible_ids(model: WorkplaceModel, prog: Programme) -> np.ndarray:
    """Employee ids of the starting workforce who may enrol as the programme's learners.

    Those employed at week 0 at one of its ``learner_levels`` and within its tenure window.
    """
    wf = model.workforce
    slot = wf.slot_of_id[: model.n_initial]
    ok = slot >= 0
    at = np.maximum(slot, 0)
    ok &= np.isin(wf.level[at], prog.learner_levels)
    tenure = wf.tenure_weeks[at]
    ok &= (tenure >= prog.dur_tenure_min_weeks) & (tenure <= prog.dur_tenure_max_weeks)
    return np.flatnonzero(ok)


@dataclass
class _Draw:
    """Who enrols in one replicate: the eligible in enrolment order, and the comparison."""

    order: np.ndarray  # employee ids, those who enrol first
    z: np.ndarray  # their standardised selection variable, in the same order
    spare: np.ndarray  # a random order of the eligible, for a drawn comparison group


def _draw(model: WorkplaceModel, plan: Plan) -> _Draw:
    p = plan.settings
    sc = model.params
    prog = sc.programmes[plan.programme]
    ids = eligible_ids(model, prog)
    wf = model.workforce
    at = wf.slot_of_id[ids]
    if p.selection_on == "engagement":
        x = wf.engagement[at]
    elif p.selection_on == "skill_gap":
        domains = list(sc.organisation.domains)
        cols = [domains.index(d) for d in prog.focus_domains] or list(range(len(domains)))
        x = 1.0 - wf.skill[at][:, cols].mean(axis=1)
    else:
        x = np.zeros(len(ids))
    z = stats.standardise(x)
    rng = model.streams.pilot_plan()
    slope = p.selection_slope if p.enrolment == "volunteers" else None
    order = stats.selection_keys(rng, z, slope)
    spare = rng.permutation(len(ids))
    return _Draw(ids[order], z[order], ids[spare])


def _groups(draw: _Draw, size: int, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Participants and the comparison group (employee ids) at ``size``."""
    n_comp = plan.settings.n_comparison
    took = draw.order[:size]
    if plan.settings.enrolment == "randomised":
        rest = draw.order[size:]
        return took, rest[:n_comp] if n_comp else rest
    rest = draw.spare[~np.isin(draw.spare, took)]
    return took, rest[:n_comp] if n_comp else rest


@dataclass
class _Outcome:
    """How to read the pilot's outcome off a snapshot, in its own points."""

    key: tuple[str, str] | None  # (outcome, measure) of effects.outcomes; None: retention
    focus: tuple[str, ...]
    width: float  # points per unit of wlsim's 0-1 scale
    used: np.ndarray
    change: bool

    def values(self, snap: pd.DataFrame, sc: Scenario) -> np.ndarray:
        if self.key is None:
            return snap["employed"].to_numpy(dtype=float) * self.width
        return outcomes(snap, sc, self.focus, self.used)[self.key] * self.width


def _outcome(plan: Plan, sc: Scenario) -> tuple[_Outcome, str, str]:
    """The outcome reader, and the outcome and its unit in words."""
    p, org = plan.settings, sc.organisation
    used = usage_matrix(sc) >= 0.5
    true = " (true states)" if p.measure == "latent" else ""
    if p.outcome == "retention":
        return _Outcome(None, (), 100.0, used, False), "retention", "percentage points"
    if p.outcome == "survey":
        low, high = org.engagement_scale
        reader = _Outcome(("engagement", p.measure), (), high - low, used, p.comparison == "change")
        what = "engagement" + (" (true)" if true else " survey scores")
        return reader, what, f"points on the {low:g}-{high:g} engagement scale{true}"
    low, high = org.skill_scale
    focus: tuple[str, ...] = ()
    if p.domain == "job":
        key, what = ("skill_job", p.measure), "the domains of each person's job"
    else:
        key, focus, what = ("skill_focus", p.measure), (p.domain,), p.domain
    reader = _Outcome(key, focus, high - low, used, p.comparison == "change")
    label = ("true skill in " if true else "managers' ratings of ") + what
    return reader, label, f"points on the {low:g}-{high:g} rating scale{true}"


def _run_arm(
    plan: Plan,
    arm: str,
    replicates: Sequence[int],
    seed: int,
    weeks: Sequence[int],
    enrol: Callable[[WorkplaceModel], np.ndarray] | None,
    bar: Any,
) -> list[dict[int, pd.DataFrame]]:
    """Run ``arm``'s replicates to the last measured week; the cohort's snapshots by week.

    With ``enrol`` (a replicate's model at week 0 to its participants' employee ids),
    enrolment is fixed before the first week: they enrol, nobody else of the starting
    workforce does.
    """
    from sim.scenario.resources import batch_size

    out: list[dict[int, pd.DataFrame]] = []
    size = batch_size(plan.scenario, len(replicates))
    settle()  # the process's long-lived objects out of the cycle collector's work, once
    last = max(weeks)
    for first in range(0, len(replicates), size):
        chunk = [
            WorkplaceModel(plan.scenario, arm=arm, replicate=r, seed=seed)
            for r in replicates[first : first + size]
        ]
        if enrol is not None:
            for m in chunk:
                enrol_only(m.workforce, enrol(m))
        recorders = [CohortRecorder(m, weeks) for m in chunk]
        batch = ReplicateBatch(chunk)
        for _ in range(last):
            batch.step()
            for recorder, m in zip(recorders, chunk, strict=True):
                recorder.after_week(m)
        for recorder in recorders:
            out.append(dict(iter(recorder.table().groupby("week", sort=False))))
        bar.update(len(chunk))
    return out


def simulate(plan: Plan, progress: bool | None = None) -> pd.DataFrame:
    """Simulate the pilot's evaluation at every size and duration of the plan.

    The plan's replicates run on its seed (those :func:`check_plan` checked); replicate
    ``r`` is the same organisation and draws in every arm and at every size.

    Args:
        plan: The checked plan.
        progress: Show a progress bar (None: when the output is a terminal).

    Returns:
        One row per (size, weeks, replicate) with the columns of
        :data:`sim.analysis.pilotplan.PER_REPLICATE`.

    Raises:
        RuntimeError: If a replicate leaves fewer in the comparison group than the plan
            was checked for (the plan was not made by :func:`check_plan` for this
            scenario).
    """
    from tqdm.auto import tqdm

    p, sc = plan.settings, plan.scenario
    reps = list(range(plan.replicates))
    seed = plan.seed
    arm_sc = arm_scenario(sc, plan.arm, plan.source)
    reader, _, _ = _outcome(plan, arm_sc)
    control_sc = arm_scenario(sc, plan.control, plan.source)
    before = plan.start
    weeks = sorted({before, *(before + d for d in plan.durations)})
    # Who enrols depends on the replicate's week 0 only: drawn once, the same at every size.
    draws: dict[int, _Draw] = {}
    groups: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def participants(size: int) -> Callable[[WorkplaceModel], np.ndarray]:
        def took(m: WorkplaceModel) -> np.ndarray:
            if m.replicate not in draws:
                draws[m.replicate] = _draw(m, plan)
            took, comp = _groups(draws[m.replicate], size, plan)
            if len(comp) < (p.n_comparison or 2) or len(took) < size:
                raise RuntimeError(
                    f"replicate {m.replicate}: {len(took)} participants and {len(comp)} to "
                    f"compare with at size {size}; the plan was checked for other replicates"
                )
            groups[(size, m.replicate)] = took, comp
            return took

        return took

    total = len(reps) * (len(plan.sizes) + 1)
    disable = None if progress is None else not progress
    rows = []
    with tqdm(total=total, desc=f"pilot {plan.programme}", unit="run", disable=disable) as bar:
        control = _run_arm(plan, plan.control, reps, seed, weeks, None, bar)
        for size in plan.sizes:
            runs = _run_arm(plan, plan.arm, reps, seed, weeks, participants(size), bar)
            for i, r in enumerate(reps):
                took, comp = groups[(size, r)]
                z = draws[r].z[:size].mean() if p.enrolment == "volunteers" else 0.0
                for d in plan.durations:
                    after = before + d
                    groups_here = (took, comp, reader, arm_sc, control_sc)
                    row = _evaluate(runs[i], control[i], before, after, *groups_here)
                    row |= {"size": size, "weeks": d, "replicate": r, "selection_z": float(z)}
                    rows.append(row)
    return pd.DataFrame(rows, columns=list(stats.PER_REPLICATE))


def _evaluate(
    arm_snaps: dict[int, pd.DataFrame],
    control_snaps: dict[int, pd.DataFrame],
    before: int,
    after: int,
    took: np.ndarray,
    comp: np.ndarray,
    reader: _Outcome,
    arm_sc: Scenario,
    control_sc: Scenario,
) -> dict[str, Any]:
    """One simulated evaluation: the naive comparison and the truth on the same people."""
    y1 = reader.values(arm_snaps[after], arm_sc)
    y1_control = reader.values(control_snaps[after], control_sc)
    if reader.change:
        y1 = y1 - reader.values(arm_snaps[before], arm_sc)
        y1_control = y1_control - reader.values(control_snaps[before], control_sc)
    a, b = y1[took], y1[comp]
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    paired = y1[took] - y1_control[took]
    paired = paired[np.isfinite(paired)]
    estimate = float(a.mean() - b.mean()) if len(a) and len(b) else float("nan")
    true = float(paired.mean()) if len(paired) else float("nan")
    return {
        "n_participants": len(a),
        "n_comparison": len(b),
        "mean_participants": float(a.mean()) if len(a) else float("nan"),
        "mean_comparison": float(b.mean()) if len(b) else float("nan"),
        "sd_participants": float(a.std(ddof=1)) if len(a) > 1 else float("nan"),
        "sd_comparison": float(b.std(ddof=1)) if len(b) > 1 else float("nan"),
        "estimate": estimate,
        "p_value": stats.welch(a, b),
        "true_effect": true,
        "n_true": len(paired),
        "bias": estimate - true,
    }


@dataclass
class PilotResults:
    """What ``wlsim pilot`` found: the tables, the fitted curve and the text.

    Attributes:
        plan: The plan simulated.
        per_replicate: One simulated evaluation per row.
        power: Power and bias per (size, weeks) (:func:`sim.analysis.pilotplan.power_table`).
        curve: The analytic power curve fitted over sizes at the stated duration.
        text: The plan in plain language, paragraph by paragraph.
        metadata: Provenance, seeds and wall time.
    """

    plan: Plan
    per_replicate: pd.DataFrame
    power: pd.DataFrame
    curve: stats.PowerCurve | None
    text: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def needed_size(self) -> float | None:
        """Participants the fitted curve needs for the target power (None: not reachable)."""
        if self.curve is None or self.curve.d <= 0:
            return None
        return self.curve.size_for(self.plan.settings.target_power)


def plan_pilot(
    scenario: Scenario,
    source: str = "<scenario>",
    replicates: int | None = None,
    seed: int | None = None,
    progress: bool | None = None,
) -> PilotResults:
    """Check, simulate and analyse a scenario's pilot plan (the Python side of ``wlsim pilot``).

    Args:
        scenario: The validated scenario with its ``[pilot]`` section.
        source: The scenario file, for messages.
        replicates: Simulated pilots per size (default ``pilot.replicates``).
        seed: Root seed (default the scenario's).
        progress: Show a progress bar (None: when the output is a terminal).

    Returns:
        The results.

    Raises:
        ScenarioError: If the plan is not possible (:func:`check_plan`).
    """
    return run_plan(check_plan(scenario, source, replicates, seed), progress)


def run_plan(plan: Plan, progress: bool | None = None) -> PilotResults:
    """Simulate and analyse a checked plan (:func:`check_plan`), on its replicates and seed.

    Args:
        plan: The checked plan.
        progress: Show a progress bar (None: when the output is a terminal).

    Returns:
        The results.
    """
    from sim.provenance import provenance

    started = time.time()
    scenario, source = plan.scenario, plan.source
    p = plan.settings
    per = simulate(plan, progress)
    table = stats.power_table(per, p.alpha)
    share = (per["n_comparison"] / _comparison_size(plan, per["size"].to_numpy())).mean()

    def comparison(size: np.ndarray) -> np.ndarray:
        return _comparison_size(plan, size) * share

    at = per[per["weeks"] == p.dur_weeks]
    curve = stats.fit_power_curve(at, p.alpha, comparison, plan.max_size)
    arm_sc = arm_scenario(scenario, plan.arm, source)
    _, what, unit = _outcome(plan, arm_sc)
    wording = stats.Wording(
        programme=plan.programme,
        size=p.n_participants,
        weeks=p.dur_weeks,
        outcome=what,
        unit=unit,
        comparison=p.comparison,
        enrolment=p.enrolment,
        selection_on=p.selection_on.replace("_", " "),
        selection_slope=p.selection_slope or 0.0,
        eligible=plan.eligible,
        comparison_group=(
            f"{p.n_comparison} other eligible employees drawn at random"
            if p.n_comparison
            else "the other eligible employees"
        ),
        alpha=p.alpha,
        target=p.target_power,
        replicates=plan.replicates,
    )
    text = stats.describe(table, curve, per, wording)
    metadata = {
        **provenance(),
        "scenario": scenario.name,
        "source": source,
        "seed": plan.seed,
        "replicates": plan.replicates,
        "arm": plan.arm,
        "control": plan.control,
        "programme": plan.programme,
        "eligible": plan.eligible,
        "eligible_by_replicate": list(plan.eligible_by_replicate),
        "sizes": list(plan.sizes),
        "durations": list(plan.durations),
        "fitted_d": None if curve is None else curve.d,
        "wall_time_seconds": round(time.time() - started, 1),
    }
    return PilotResults(plan, per, table, curve, text, metadata)


def _comparison_size(plan: Plan, size: np.ndarray) -> np.ndarray:
    """The comparison group enrolled beside ``size`` participants (before attrition)."""
    n = plan.settings.n_comparison
    size = np.asarray(size, dtype=float)
    return np.full_like(size, float(n)) if n else plan.eligible_mean - size


def write_pilot(results: PilotResults, out: str | Path, overwrite: bool = False) -> Path:
    """Write a pilot plan's folder atomically (as results folders are written).

    Files: ``pilot.txt`` (the plain-language plan), ``power.csv`` (power and bias per
    size and duration), ``pilot_runs.csv`` (every simulated evaluation),
    ``figures/power.png``, ``scenario.resolved.toml`` and ``metadata.json``.

    Args:
        results: What :func:`plan_pilot` returned.
        out: The folder to create.
        overwrite: Replace an existing folder wlsim wrote instead of refusing.

    Returns:
        The folder.

    Raises:
        ScenarioError: If the folder exists (without ``overwrite``), is not wlsim's or is
            being written by another process.
    """
    from sim.experiments.folders import check_output, lock, new_folder, publish
    from sim.scenario.loading import dump_scenario

    out = Path(out)
    check_output(out, overwrite)
    with lock(out):
        check_output(out, overwrite)
        tmp = new_folder(out, "pilot")
        try:
            (tmp / "pilot.txt").write_text("\n\n".join(results.text) + "\n", encoding="utf-8")
            results.power.to_csv(tmp / "power.csv", index=False)
            results.per_replicate.to_csv(tmp / "pilot_runs.csv", index=False)
            (tmp / "figures").mkdir()
            p = results.plan.settings
            fig = stats.figure(results.power, results.curve, p.dur_weeks, p.target_power)
            fig.savefig(tmp / "figures" / "power.png", dpi=120)
            (tmp / "scenario.resolved.toml").write_text(
                dump_scenario(results.plan.scenario), encoding="utf-8"
            )
            (tmp / "metadata.json").write_text(
                json.dumps(results.metadata, indent=2, default=str) + "\n", encoding="utf-8"
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        publish(tmp, out, overwrite)
    return out
