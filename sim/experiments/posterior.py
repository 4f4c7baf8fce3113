"""Runs over a posterior: each replicate's parameters drawn from a calibration's posterior.

``wlsim run FILE --posterior DIR`` (and ``sim.run_scenario(..., posterior=...)``) takes
the weighted particles of a calibration (``DIR/posterior.parquet``, written by ``wlsim
calibrate``) and runs each replicate under one parameter set drawn from them, so that
the comparison of arms integrates over what the calibration left unknown. ``wlsim sweep
FILE --posterior DIR`` (:func:`sim.experiments.sweep.plan_posterior`) draws the same way,
replicate ``r`` of every sweep point under the same draw.

The replicates are split into ``K`` posterior draws of ``M`` replicates each (``K x M``
replicates in all; by default ``K`` equals the replicates, one replicate per draw).
Draw ``d`` picks particle ``i`` with probability ``weight_i`` using its own generator,
``SeedSequence(seed, spawn_key=(POSTERIOR_KEY, d, 0))``: it depends only on the seed and
``d``, never on the arms, so every arm of replicate ``r`` (in draw ``r // M``) runs
under the same parameters and the same replicate seeds (common random numbers).
Averaging the paired differences of the ``M`` replicates of a draw estimates the
expected difference under that draw's parameters (:mod:`sim.analysis.uncertainty`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.posterior import weighted_quantiles
from sim.errors import ScenarioError
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

#: Spawn key of the posterior draws (apart from replicate keys, which are small
#: integers, and from the calibration's particle key).
POSTERIOR_KEY = 0x9057

#: The posterior's file in a calibration folder (and in a results folder run over one).
POSTERIOR_FILE = "posterior.parquet"


@dataclass(frozen=True)
class Posterior:
    """A weighted sample of parameter sets.

    Attributes:
        table: One row per particle: one column per parameter (its dotted path) and
            ``weight`` (normalised to sum to 1).
        source: Where it came from: the calibration folder, or ``"<DataFrame>"``.
        provenance: The calibration folder's ``provenance.json`` (scenario, seed, priors,
            targets), empty for a DataFrame.
    """

    table: pd.DataFrame
    source: str
    provenance: dict

    @property
    def paths(self) -> list[str]:
        """The parameters' dotted paths, in the table's order."""
        return [c for c in self.table.columns if c != "weight"]

    def medians(self) -> dict[str, float]:
        """Each parameter's weighted posterior median, by dotted path."""
        w = self.table["weight"].to_numpy(dtype=float)
        return {
            p: float(weighted_quantiles(self.table[p].to_numpy(dtype=float), w, (0.5,))[0])
            for p in self.paths
        }

    @property
    def sha256(self) -> str:
        """A fingerprint of the particles and weights (recorded with the results)."""
        digest = pd.util.hash_pandas_object(self.table, index=False).to_numpy().tobytes()
        return hashlib.sha256(digest + ",".join(self.table.columns).encode()).hexdigest()


def load_posterior(posterior: str | Path | pd.DataFrame | Posterior) -> Posterior:
    """Read and check a posterior: a calibration folder, or a table of particles.

    Args:
        posterior: A calibration folder (with ``posterior.parquet``, as ``wlsim
            calibrate`` writes it), or a DataFrame with one column per parameter (its
            dotted path) and a ``weight`` column.

    Returns:
        The posterior, weights normalised.

    Raises:
        ScenarioError: If the folder does not exist or holds no posterior, or the table
            has no weight or parameter column, a non-numeric or missing value, or
            weights that are negative or sum to zero; the message names the fix.
    """
    if isinstance(posterior, Posterior):
        return posterior
    if isinstance(posterior, pd.DataFrame):
        return Posterior(_checked(posterior, "posterior (DataFrame)"), "<DataFrame>", {})
    folder = Path(posterior)
    where = f"--posterior {folder}"
    if not folder.exists():
        raise ScenarioError(f"{where}: no such folder; give a folder wlsim calibrate wrote")
    if not folder.is_dir():
        raise ScenarioError(
            f"{where}: not a folder; give the calibration folder (it holds {POSTERIOR_FILE})"
        )
    path = folder / POSTERIOR_FILE
    if not path.is_file():
        hint = (
            "the calibration there has not finished: continue it with wlsim calibrate FILE "
            f"--out {folder} --resume"
            if (folder / "calibration.db").exists()
            else "it is not a calibration folder; run wlsim calibrate FILE --out DIR first"
        )
        raise ScenarioError(f"{where}: no {POSTERIOR_FILE} in the folder; {hint}")
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise ScenarioError(
            f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc}); the calibration "
            "folder is damaged; run wlsim calibrate again"
        ) from None
    meta: dict = {}
    prov = folder / "provenance.json"
    if prov.is_file():
        try:
            loaded = json.loads(prov.read_text(encoding="utf-8"))
            meta = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            meta = {}
    return Posterior(_checked(table, str(path)), str(folder.resolve()), meta)


def _checked(table: pd.DataFrame, where: str) -> pd.DataFrame:
    """The table with its weights normalised, or an error naming what is wrong."""
    if "weight" not in table.columns:
        raise ScenarioError(
            f"{where}: no 'weight' column; a posterior has one column per parameter (its "
            "dotted path) and a 'weight' column, as wlsim calibrate writes it"
        )
    paths = [c for c in table.columns if c != "weight"]
    if not paths:
        raise ScenarioError(f"{where}: no parameter columns beside 'weight'")
    if table.empty:
        raise ScenarioError(f"{where}: no particles (the table is empty)")
    for col in table.columns:
        if not pd.api.types.is_numeric_dtype(table[col]) or pd.api.types.is_bool_dtype(table[col]):
            raise ScenarioError(
                f"{where}: column {col!r} is not numeric ({table[col].dtype}); only numeric "
                "parameters can be drawn"
            )
        bad = ~np.isfinite(table[col].to_numpy(dtype=float))
        if bad.any():
            raise ScenarioError(
                f"{where}: column {col!r} has {int(bad.sum())} missing or infinite values "
                f"(first at row {int(np.flatnonzero(bad)[0])})"
            )
    w = table["weight"].to_numpy(dtype=float)
    if (w < 0).any() or not w.sum() > 0:
        raise ScenarioError(
            f"{where}: weights must be non-negative with a positive sum (found min "
            f"{w.min():.3g}, sum {w.sum():.3g})"
        )
    out = table[[*paths, "weight"]].reset_index(drop=True).copy()
    out["weight"] = w / w.sum()
    return out


def draw_particles(weights: np.ndarray, seed: int, n_draws: int) -> np.ndarray:
    """The particle of each posterior draw: draw ``d`` picks ``i`` with probability ``w_i``.

    Draw ``d`` uses ``SeedSequence(seed, spawn_key=(POSTERIOR_KEY, d, 0))`` alone, so
    its particle does not depend on how many draws there are, on the arms or on the
    order in which anything runs.

    Args:
        weights: The particles' weights (non-negative, positive sum).
        seed: The run's root seed.
        n_draws: Number of draws.

    Returns:
        The particle index of each draw.
    """
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum /= cum[-1]
    out = np.empty(n_draws, dtype=np.int64)
    for d in range(n_draws):
        u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(POSTERIOR_KEY, d, 0)))
        out[d] = min(int(np.searchsorted(cum, u.random(), side="right")), len(cum) - 1)
    return out


@dataclass(frozen=True)
class DrawPlan:
    """Which parameters each replicate of a run uses.

    Attributes:
        posterior: The posterior drawn from.
        n_draws: Posterior draws ``K``.
        per_draw: Replicates per draw ``M``; replicate ``r`` belongs to draw ``r // M``.
        scenarios: The scenario of each draw (the run's scenario with the draw's values).
        table: One row per replicate: ``replicate``, ``draw``, ``particle`` (row of the
            posterior) and the value of each parameter as run (integers rounded).
        values: The values of each draw, ``{path: value}`` (integers rounded), as set
            on top of the scenario (a sweep sets them on top of each point's values).
    """

    posterior: Posterior
    n_draws: int
    per_draw: int
    scenarios: tuple[Scenario, ...]
    table: pd.DataFrame
    values: tuple[dict[str, float | int], ...] = ()

    def scenario_of(self, replicate: int) -> Scenario:
        """The scenario replicate ``replicate`` runs under."""
        return self.scenarios[replicate // self.per_draw]

    def metadata(self) -> dict:
        """What the results' provenance records about the posterior."""
        prov = self.posterior.provenance
        return {
            "source": self.posterior.source,
            "sha256": self.posterior.sha256,
            "parameters": self.posterior.paths,
            "particles": len(self.posterior.table),
            "draws": self.n_draws,
            "replicates_per_draw": self.per_draw,
            "calibration": {k: prov[k] for k in ("scenario", "seed", "git_commit") if k in prov},
            "draw_seeds": (
                "replicate r runs under draw r // replicates_per_draw; draw d picks particle i "
                "with probability weight_i using numpy.random.SeedSequence(seed, "
                f"spawn_key=({POSTERIOR_KEY}, d, 0))"
            ),
        }


def plan_draws(
    scenario: Scenario,
    posterior: str | Path | pd.DataFrame | Posterior,
    n_draws: int | None = None,
    source: str = "<scenario>",
    replicates: int | None = None,
    replicates_option: str = "--replicates {}",
) -> DrawPlan:
    """Draw the parameters of every replicate and check them against the scenario.

    Args:
        scenario: The validated scenario, with its replicates and seed resolved.
        posterior: A calibration folder, a table of particles, or a :class:`Posterior`.
        n_draws: Posterior draws ``K`` (default: one per replicate); the replicates must
            be a multiple of it.
        source: Where the scenario came from, for messages.
        replicates: Replicates to split among the draws (default: the scenario's; a
            sweep passes its points' replicates).
        replicates_option: How the user sets the replicates, for the message when the
            draws do not divide them (``{}`` stands for a number).

    Returns:
        The plan: each draw's scenario and each replicate's values.

    Raises:
        ScenarioError: If the posterior is refused (:func:`load_posterior`), names
            parameters the scenario does not have (all of them are named) or that are
            not numeric, the draws do not divide the replicates, or a drawn value is
            one the parameter does not take.
    """
    from sim.scenario.paths import as_parameter, value_at, whole_number, with_value

    post = load_posterior(posterior)
    raw = scenario.model_dump(mode="python")
    missing, integer = [], {}
    for path in post.paths:
        try:
            current = value_at(raw, path)
        except ScenarioError:
            missing.append(path)
            continue
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(
                f"--posterior {post.source}: {path!r} is not a numeric parameter of {source} "
                f"(its value is {current!r}); a posterior can only set numbers"
            )
        integer[path] = whole_number(current)
    if missing:
        raise ScenarioError(
            f"--posterior {post.source}: the posterior sets parameters that {source} does not "
            f"have: {', '.join(missing)}; run it with a scenario that has them (the one the "
            "calibration fitted), or drop those columns from the posterior"
        )
    replicates = scenario.replicates if replicates is None else replicates
    k = replicates if n_draws is None else n_draws
    if k < 1:
        raise ScenarioError(f"--posterior-draws {k}: must be at least 1")
    if replicates % k:
        raise ScenarioError(
            f"--posterior-draws {k}: the {replicates} replicates are split evenly among the "
            f"posterior draws, so the draws must divide them; e.g. --posterior-draws {k} "
            f"{replicates_option.format(k * -(-replicates // k))}"
        )
    per_draw = replicates // k
    particles = draw_particles(post.table["weight"].to_numpy(), scenario.seed, k)
    made: dict[int, Scenario] = {}
    values: dict[int, dict[str, float | int]] = {}
    for i in dict.fromkeys(int(p) for p in particles):
        row = post.table.iloc[i]
        vals: dict[str, float | int] = {p: as_parameter(row[p], integer[p]) for p in post.paths}
        changed = raw
        for path, value in vals.items():
            changed = with_value(changed, path, value)
        label = ", ".join(f"{p}={v!r}" for p, v in vals.items())
        made[i] = validate_scenario(
            changed, source=f"{source} under particle {i} of {post.source} ({label})"
        )
        values[i] = vals
    table = pd.DataFrame(
        [
            {"replicate": r, "draw": r // per_draw, "particle": int(particles[r // per_draw])}
            | values[int(particles[r // per_draw])]
            for r in range(replicates)
        ]
    )
    return DrawPlan(
        post,
        k,
        per_draw,
        tuple(made[int(p)] for p in particles),
        table,
        tuple(values[int(p)] for p in particles),
    )
