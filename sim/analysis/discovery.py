"""Scenario discovery: in which regions of a sweep does one arm beat another?

A sweep of uncertain parameters runs every arm at every point with the same replicate
seeds. At each point, arm A's advantage over arm B on a metric is the mean of the
paired differences (replicate by replicate, :func:`sim.analysis.compare.paired_differences`),
signed so that positive favours A (lower is better for costs, quits and time to
proficiency, :func:`sim.model.metrics.better`). A *wins* at a point where its advantage
exceeds a threshold. Two methods then describe where the wins lie, in terms of the
swept parameters:

* **CART** (scikit-learn's decision tree): a shallow tree classifies the points into
  wins and losses; each leaf where wins are the majority is a rule, the conjunction of
  the splits on its path.
* **PRIM** (Friedman & Fisher 1999, "Bump hunting in high-dimensional data",
  Statistics and Computing 9: 123-143), implemented here (:func:`prim`; EMA Workbench's
  PRIM would bring a GPL dependency). *Peeling*: starting from the box holding every
  point, repeatedly cut off a small share ``alpha`` of the points in the box at the
  low or high end of one parameter (or one value of a categorical parameter), choosing
  the cut that raises the share of wins in the box most per point removed, until the
  box holds less than ``min_support`` of the points or only wins. The boxes peeled
  along the way form the *peeling trajectory*, from large boxes with many of the wins
  (coverage) to small ones that are nearly all wins (density). The box kept is the one
  with the highest coverage whose density reaches ``min_density``. *Pasting*: its
  limits are then widened again, ``paste_alpha`` of its points at a time, while the
  density does not fall. Last, a restriction is dropped when the box without it is as
  dense or still reaches ``min_density`` (a simplification that Friedman & Fisher's
  paper leaves to the analyst: fewer conditions, more coverage).
  Each remaining restriction gets a quasi-p-value (Bryant & Lempert 2010,
  Technological Forecasting and Social Change 77: 34-49): the one-sided binomial
  probability of at least the box's wins among its points if the box had the density
  of the same box without that restriction.

Each rule is stated in plain language with its *coverage* (the share of all the points
where A wins that the rule includes) and *density* (the share of the points it
includes where A wins). Everything here is a pure function of the sweep's run table;
:mod:`sim.experiments.discover` reads the folder and writes the files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.compare import paired_differences
from sim.errors import ScenarioError, did_you_mean
from sim.model.metrics import better

#: Fewest sweep points discovery accepts: fewer cannot support a rule with coverage and
#: density worth stating (50 or more is a good start; a Latin hypercube spreads them).
MIN_POINTS = 10

#: Confidence of the paired interval that says whether a point's win or loss is clear.
CONFIDENCE = 0.95

#: Depth of the CART tree: rules of at most three conditions stay readable.
CART_DEPTH = 3


# --- rules and boxes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Restriction:
    """One condition of a rule: a parameter kept within limits, or to some values.

    Attributes:
        parameter: The swept parameter's dotted path.
        low: Points above this value are in (None: no lower limit).
        high: Points at or below this value are in (None: no upper limit).
        values: For a categorical parameter, the values that are in (None: numeric).
        integer: Whether the parameter takes whole numbers (for the wording).
        p_value: PRIM's quasi-p-value of the restriction (NaN for CART).
    """

    parameter: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False
    p_value: float = math.nan

    def contains(self, column: pd.Series) -> np.ndarray:
        """Which of a column's values satisfy the condition."""
        if self.values is not None:
            return column.isin(list(self.values)).to_numpy()
        x = column.to_numpy(dtype=float)
        inside = np.ones(len(x), dtype=bool)
        if self.low is not None:
            inside &= x > self.low
        if self.high is not None:
            inside &= x <= self.high
        return inside

    def describe(self) -> str:
        """The condition in words, e.g. ``"learning.feedback_per_hour is at most 0.131"``."""
        name = self.parameter
        if self.values is not None:
            shown = [repr(v) if isinstance(v, str) else str(v) for v in self.values]
            joined = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
            return f"{name} is {joined}"
        if self.integer:
            lo = None if self.low is None else math.floor(self.low) + 1
            hi = None if self.high is None else math.floor(self.high)
            if lo is not None and hi is not None:
                return f"{name} is {lo}" if lo == hi else f"{name} is between {lo} and {hi}"
            return f"{name} is at least {lo}" if lo is not None else f"{name} is at most {hi}"
        if self.low is not None and self.high is not None:
            return f"{name} is between {_num(self.low)} and {_num(self.high)}"
        if self.low is not None:
            return f"{name} is above {_num(self.low)}"
        return f"{name} is at most {_num(self.high)}"


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.3g}"


@dataclass(frozen=True)
class Rule:
    """A region of the sweep's parameters (a CART leaf or a PRIM box) and how it scores.

    Attributes:
        method: ``"prim"`` or ``"cart"``.
        rank: 1 for the first rule of its method (CART: by coverage).
        restrictions: The conditions, all of which hold in the region (none: everywhere).
        n_points: Sweep points in the region.
        n_wins: Of them, points where the arm wins.
        coverage: ``n_wins`` over all the points where the arm wins.
        density: ``n_wins`` over ``n_points``.
    """

    method: str
    rank: int
    restrictions: tuple[Restriction, ...]
    n_points: int
    n_wins: int
    coverage: float
    density: float

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of a table of parameter values lie in the region."""
        inside = np.ones(len(x), dtype=bool)
        for r in self.restrictions:
            inside &= r.contains(x[r.parameter])
        return inside

    def conditions(self) -> str:
        """The conditions joined by "and" ("everywhere in the sweep" without any)."""
        return " and ".join(r.describe() for r in self.restrictions) or "everywhere in the sweep"


def _score(method: str, rank: int, restrictions: Sequence[Restriction], x, y) -> Rule:
    """A rule with its counts, coverage and density on the points ``x`` with wins ``y``."""
    rule = Rule(method, rank, tuple(restrictions), 0, 0, 0.0, 0.0)
    inside = rule.contains(x)
    n, wins, total = int(inside.sum()), int(y[inside].sum()), int(y.sum())
    return Rule(
        method,
        rank,
        tuple(restrictions),
        n,
        wins,
        wins / total if total else math.nan,
        wins / n if n else math.nan,
    )


# --- PRIM ----------------------------------------------------------------------------------


@dataclass
class PrimResult:
    """The outcome of :func:`prim`.

    Attributes:
        box: The box kept (after pasting and simplification), with quasi-p-values.
        trajectory: The peeling trajectory, one row per box peeled: ``step``,
            ``n_points``, ``n_wins``, ``coverage``, ``density``, ``support`` (share of
            all points in the box), ``n_restricted`` (parameters restricted) and
            ``chosen`` (the box pasting started from).
        meets_min_density: Whether any box on the trajectory reached ``min_density``
            (if none did, the densest box was kept).
        min_density: The density asked for.
    """

    box: Rule
    trajectory: pd.DataFrame
    meets_min_density: bool
    min_density: float


@dataclass
class _State:
    """A box while peeling and pasting: inclusive value limits and allowed categories."""

    lo: dict[str, float]
    hi: dict[str, float]
    cats: dict[str, frozenset]

    def copy(self) -> _State:
        return _State(dict(self.lo), dict(self.hi), dict(self.cats))


def _is_numeric(column: pd.Series) -> bool:
    """Whether a parameter is limited by a range (booleans are categories: True, False)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


class _Prim:
    """The arrays PRIM works on, and the box operations (masks, limits, restrictions)."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray) -> None:
        self.names = list(x.columns)
        self.numeric = {n: _is_numeric(x[n]) for n in self.names}
        self.values = {
            n: x[n].to_numpy(dtype=float) if self.numeric[n] else x[n].to_numpy(dtype=object)
            for n in self.names
        }
        self.integer = {
            n: self.numeric[n]
            and (
                pd.api.types.is_integer_dtype(x[n]) or bool(np.all(np.mod(self.values[n], 1) == 0))
            )
            for n in self.names
        }
        self.y = y.astype(float)
        self.n = len(y)
        self.total = float(y.sum())
        self.full = _State(
            {n: float(self.values[n].min()) for n in self.names if self.numeric[n]},
            {n: float(self.values[n].max()) for n in self.names if self.numeric[n]},
            {n: frozenset(self.values[n]) for n in self.names if not self.numeric[n]},
        )

    def within(self, state: _State, name: str) -> np.ndarray:
        v = self.values[name]
        if self.numeric[name]:
            return (v >= state.lo[name]) & (v <= state.hi[name])
        return np.isin(v, list(state.cats[name]))

    def mask(self, state: _State, without: str | None = None) -> np.ndarray:
        inside = np.ones(self.n, dtype=bool)
        for name in self.names:
            if name != without:
                inside &= self.within(state, name)
        return inside

    def restricted(self, state: _State) -> list[str]:
        out = []
        for n in self.names:
            if self.numeric[n]:
                if state.lo[n] > self.full.lo[n] or state.hi[n] < self.full.hi[n]:
                    out.append(n)
            elif state.cats[n] != self.full.cats[n]:
                out.append(n)
        return out

    def restriction(self, state: _State, name: str, p_value: float = math.nan) -> Restriction:
        """A restriction with cut-points halfway to the nearest points left out."""
        if not self.numeric[name]:
            order = list(dict.fromkeys(self.values[name]))
            kept = tuple(v for v in order if v in state.cats[name])
            return Restriction(name, values=kept, p_value=p_value)
        v = np.unique(self.values[name])
        low = high = None
        if state.lo[name] > self.full.lo[name]:
            below = v[v < state.lo[name]].max()
            low = float((below + state.lo[name]) / 2)
        if state.hi[name] < self.full.hi[name]:
            above = v[v > state.hi[name]].min()
            high = float((above + state.hi[name]) / 2)
        return Restriction(name, low, high, integer=self.integer[name], p_value=p_value)

    def rule(self, state: _State, with_p: bool = False) -> Rule:
        names = self.restricted(state)
        inside = self.mask(state)
        restrictions = [
            self.restriction(state, n, self.quasi_p(state, n, inside) if with_p else math.nan)
            for n in names
        ]
        wins, n_in = int(self.y[inside].sum()), int(inside.sum())
        return Rule(
            "prim",
            1,
            tuple(restrictions),
            n_in,
            wins,
            wins / self.total if self.total else math.nan,
            wins / n_in if n_in else math.nan,
        )

    def quasi_p(self, state: _State, name: str, inside: np.ndarray) -> float:
        """Binomial P(at least the box's wins) at the density of the box without ``name``."""
        from scipy.stats import binomtest

        wider = self.mask(state, without=name)
        p0 = float(self.y[wider].mean())
        n_in, wins = int(inside.sum()), int(self.y[inside].sum())
        if p0 >= 1.0:
            return 1.0
        return float(binomtest(wins, n_in, p0, alternative="greater").pvalue)

    def density(self, inside: np.ndarray) -> float:
        return float(self.y[inside].mean()) if inside.any() else math.nan

    # -- peeling --

    def peels(self, state: _State, inside: np.ndarray, alpha: float) -> list[_State]:
        """Every candidate peel of the box: each end of each parameter, each category."""
        n_in = int(inside.sum())
        k = max(1, math.ceil(alpha * n_in))
        out = []
        for name in self.names:
            v = self.values[name][inside]
            if self.numeric[name]:
                s = np.sort(v)
                if s[0] == s[-1] or k >= n_in:
                    continue
                distinct = np.unique(s)
                low = s[k] if s[k] > s[0] else distinct[1]
                high = s[n_in - 1 - k] if s[n_in - 1 - k] < s[-1] else distinct[-2]
                for bound, value in (("lo", low), ("hi", high)):
                    new = state.copy()
                    getattr(new, bound)[name] = float(value)
                    out.append(new)
            else:
                present = list(dict.fromkeys(v))
                if len(present) < 2:
                    continue
                for category in present:
                    new = state.copy()
                    new.cats[name] = state.cats[name] - {category}
                    out.append(new)
        return out

    def peel(self, alpha: float, min_support: float) -> list[_State]:
        """The peeling trajectory: the boxes from the whole sweep to the smallest kept."""
        least = max(1, math.ceil(min_support * self.n))
        state = self.full.copy()
        trajectory = [state]
        inside = self.mask(state)
        while self.density(inside) < 1.0:
            mean, n_in = self.density(inside), int(inside.sum())
            best, best_key = None, None
            for cand in self.peels(state, inside, alpha):
                cand_inside = self.mask(cand)
                m = int(cand_inside.sum())
                if m < least or m >= n_in:
                    continue
                # Friedman & Fisher's criterion when peels differ in size (ties of a
                # discrete parameter, a category): the gain in density per point removed;
                # among equal gains, the larger box, then the parameter listed first.
                key = ((self.density(cand_inside) - mean) / (n_in - m), m)
                if best_key is None or key > best_key:
                    best, best_key = (cand, cand_inside), key
            if best is None:
                break
            state, inside = best
            trajectory.append(state)
        return trajectory

    # -- pasting --

    def pastes(self, state: _State, inside: np.ndarray, alpha: float) -> list[_State]:
        """Every candidate paste: widen one limit, or readmit one category."""
        n_in = int(inside.sum())
        k = max(1, math.ceil(alpha * n_in))
        out = []
        for name in self.restricted(state):
            others = self.mask(state, without=name)
            v = self.values[name]
            if self.numeric[name]:
                below = np.sort(v[others & (v < state.lo[name])])[::-1]
                if len(below):
                    new = state.copy()
                    new.lo[name] = float(below[min(k, len(below)) - 1])
                    out.append(new)
                above = np.sort(v[others & (v > state.hi[name])])
                if len(above):
                    new = state.copy()
                    new.hi[name] = float(above[min(k, len(above)) - 1])
                    out.append(new)
            else:
                for category in sorted(self.full.cats[name] - state.cats[name], key=str):
                    new = state.copy()
                    new.cats[name] = state.cats[name] | {category}
                    out.append(new)
        return out

    def paste(self, state: _State, alpha: float) -> _State:
        """Widen the box while its density does not fall (each step adds points)."""
        inside = self.mask(state)
        while True:
            mean, n_in = self.density(inside), int(inside.sum())
            best, best_key = None, None
            for cand in self.pastes(state, inside, alpha):
                cand_inside = self.mask(cand)
                d, m = self.density(cand_inside), int(cand_inside.sum())
                if m > n_in and d >= mean and (best_key is None or (d, m) > best_key):
                    best, best_key = (cand, cand_inside), (d, m)
            if best is None:
                return state
            state, inside = best

    def simplify(self, state: _State, min_density: float) -> _State:
        """Drop restrictions, one at a time, that the box's density does not need.

        A restriction goes when the box without it is as dense, or still reaches
        ``min_density``: coverage can only grow. The least significant (highest
        quasi-p-value) is tried first.
        """
        while True:
            inside = self.mask(state)
            need = min(self.density(inside), min_density)
            names = sorted(self.restricted(state), key=lambda n: -self.quasi_p(state, n, inside))
            for name in names:
                wider = state.copy()
                if self.numeric[name]:
                    wider.lo[name], wider.hi[name] = self.full.lo[name], self.full.hi[name]
                else:
                    wider.cats[name] = self.full.cats[name]
                if self.density(self.mask(wider)) >= need - 1e-12:
                    state = wider
                    break
            else:
                return state


def prim(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray,
    alpha: float = 0.05,
    paste_alpha: float = 0.05,
    min_support: float = 0.05,
    min_density: float = 0.8,
) -> PrimResult:
    """The Patient Rule Induction Method: a box of parameters where wins are concentrated.

    Args:
        x: One row per case (sweep point), one column per parameter; numeric columns
            (integers, floats) are limited by ranges, others (booleans, names) by sets
            of values.
        y: Whether the case is a win (one per row of ``x``).
        alpha: Share of the box's points each peel removes (0-0.5; Friedman & Fisher
            suggest 0.05-0.1).
        paste_alpha: Share of the box's points each paste adds.
        min_support: Peeling stops before the box holds fewer than this share of all
            points.
        min_density: The box kept from the trajectory: the one with the highest coverage
            whose density is at least this (if none, the densest).

    Returns:
        The box, the peeling trajectory and whether ``min_density`` was reached.

    Raises:
        ValueError: If ``x`` and ``y`` differ in length, there is no win, or an argument
            is out of range.
    """
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows and y {len(y)} values; they must match")
    if not y.any():
        raise ValueError("no case is a win: there is nothing for PRIM to find")
    for name, value, top in (
        ("alpha", alpha, 0.5),
        ("paste_alpha", paste_alpha, 0.5),
        ("min_support", min_support, 1.0),
        ("min_density", min_density, 1.0),
    ):
        if not 0 < value <= top:
            raise ValueError(f"{name} = {value}: must be in (0, {top}]")
    data = _Prim(x.reset_index(drop=True), y)
    trajectory = data.peel(alpha, min_support)
    rows = []
    for step, state in enumerate(trajectory):
        inside = data.mask(state)
        wins = int(y[inside].sum())
        rows.append(
            {
                "step": step,
                "n_points": int(inside.sum()),
                "n_wins": wins,
                "coverage": wins / data.total,
                "density": wins / int(inside.sum()),
                "support": int(inside.sum()) / data.n,
                "n_restricted": len(data.restricted(state)),
            }
        )
    table = pd.DataFrame(rows)
    dense = table[table["density"] >= min_density - 1e-12]
    meets = not dense.empty
    if meets:
        chosen = int(dense.sort_values(["coverage", "density"], kind="stable").index[-1])
    else:
        chosen = int(table.sort_values(["density", "coverage"], kind="stable").index[-1])
    table["chosen"] = table.index == chosen
    state = data.simplify(data.paste(trajectory[chosen], paste_alpha), min_density)
    return PrimResult(data.rule(state, with_p=True), table, meets, min_density)


# --- CART ----------------------------------------------------------------------------------


@dataclass
class CartResult:
    """The outcome of :func:`cart_rules`.

    Attributes:
        rules: One rule per leaf where wins are the majority, by coverage (largest first).
        importance: Each parameter's share of the tree's impurity decrease (scikit-learn's
            ``feature_importances_``, a categorical parameter's values summed).
        accuracy: Share of points the tree classifies correctly (on the points it grew on).
        cv_accuracy: The same, by stratified cross-validation (NaN when a class has fewer
            than two points).
        cv_folds: Folds of the cross-validation (0 when not done).
        majority: Share of points in the larger class: what always guessing it achieves.
    """

    rules: list[Rule]
    importance: pd.Series
    accuracy: float
    cv_accuracy: float
    cv_folds: int
    majority: float


def _sklearn() -> Any:
    try:
        import sklearn.tree
    except ImportError:
        from sim.errors import MissingDependencyError

        raise MissingDependencyError(
            "wlsim discover needs scikit-learn for its decision-tree rules: "
            "pip install 'wlsim[decide]'"
        ) from None
    return sklearn


def _design(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, Any]]]:
    """Numeric columns as they are, categorical ones as 0/1 columns, with their origin."""
    columns, origin = {}, {}
    for name in x.columns:
        if _is_numeric(x[name]):
            columns[name] = x[name].astype(float)
            origin[name] = (name, None)
        else:
            for value in dict.fromkeys(x[name]):
                col = f"{name}={value}"
                columns[col] = (x[name] == value).astype(float)
                origin[col] = (name, value)
    return pd.DataFrame(columns, index=x.index), origin


def cart_rules(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray,
    max_depth: int = CART_DEPTH,
    min_leaf: int | None = None,
    seed: int = 0,
) -> CartResult:
    """Rules from a shallow decision tree (CART, scikit-learn) that separates wins from losses.

    Args:
        x: One row per case (sweep point), one column per parameter (categorical
            columns are split by value).
        y: Whether the case is a win.
        max_depth: Depth of the tree: each rule has at most this many conditions.
        min_leaf: Fewest cases per leaf (default: 5% of the cases, at least 3).
        seed: The tree's random state (it breaks ties between equally good splits) and
            the cross-validation's shuffle.

    Returns:
        The rules of the leaves where wins are the majority, the parameters'
        importances and the tree's accuracy in-sample and cross-validated.
    """
    sk = _sklearn()
    import sklearn.model_selection

    y = np.asarray(y, dtype=bool)
    x = x.reset_index(drop=True)
    design, origin = _design(x)
    leaf = min_leaf if min_leaf is not None else max(3, math.ceil(0.05 * len(y)))
    tree = sk.tree.DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=leaf, random_state=seed
    ).fit(design.to_numpy(), y)
    rules = [
        _score("cart", 0, restrictions, x, y)
        for restrictions in _leaf_paths(tree, list(design.columns), origin, x)
    ]
    rules = [r for r in rules if r.n_points and r.density > 0.5]
    rules.sort(key=lambda r: (-r.coverage, -r.density))
    rules = [
        Rule(r.method, i + 1, r.restrictions, r.n_points, r.n_wins, r.coverage, r.density)
        for i, r in enumerate(rules)
    ]
    importance = (
        pd.Series(tree.feature_importances_, index=[origin[c][0] for c in design.columns])
        .groupby(level=0, sort=False)
        .sum()
        .reindex(x.columns)
    )
    smaller = int(min(y.sum(), (~y).sum()))
    folds = min(5, smaller)
    cv = math.nan
    if folds >= 2:
        split = sklearn.model_selection.StratifiedKFold(folds, shuffle=True, random_state=seed)
        cv = float(
            sklearn.model_selection.cross_val_score(
                sk.tree.DecisionTreeClassifier(
                    max_depth=max_depth, min_samples_leaf=leaf, random_state=seed
                ),
                design.to_numpy(),
                y,
                cv=split,
            ).mean()
        )
    return CartResult(
        rules,
        importance,
        float(tree.score(design.to_numpy(), y)),
        cv,
        folds if folds >= 2 else 0,
        float(max(y.mean(), 1 - y.mean())),
    )


def _leaf_paths(
    tree: Any, columns: list[str], origin: dict[str, tuple[str, Any]], x: pd.DataFrame
) -> list[list[Restriction]]:
    """The conditions on the path to each leaf, merged per parameter."""
    t = tree.tree_
    paths: list[list[Restriction]] = []

    def walk(node: int, conditions: list[tuple[str, str, float]]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            paths.append(_merge(conditions, origin, x))
            return
        column, threshold = columns[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], [*conditions, (column, "<=", threshold)])
        walk(t.children_right[node], [*conditions, (column, ">", threshold)])

    walk(0, [])
    return paths


def _merge(
    conditions: list[tuple[str, str, float]],
    origin: dict[str, tuple[str, Any]],
    x: pd.DataFrame,
) -> list[Restriction]:
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    allowed: dict[str, set[Any]] = {}
    order: list[str] = []
    for column, op, threshold in conditions:
        name, value = origin[column]
        if name not in order:
            order.append(name)
        if value is None:
            if op == ">":
                low[name] = max(low.get(name, -math.inf), threshold)
            else:
                high[name] = min(high.get(name, math.inf), threshold)
        else:
            values = allowed.setdefault(name, set(x[name]))
            # The 0/1 column is split at 0.5: "<=" keeps the other values, ">" this one.
            allowed[name] = values - {value} if op == "<=" else values & {value}
    out = []
    for name in order:
        if name in allowed:
            kept = tuple(v for v in dict.fromkeys(x[name]) if v in allowed[name])
            out.append(Restriction(name, values=kept))
        else:
            col = x[name]
            integer = pd.api.types.is_integer_dtype(col) or bool(
                np.all(np.mod(col.to_numpy(dtype=float), 1) == 0)
            )
            out.append(Restriction(name, low.get(name), high.get(name), integer=integer))
    return out


# --- discovery over a sweep ----------------------------------------------------------------


@dataclass
class Discovery:
    """Where one arm beats another over a sweep: the points, CART's rules, PRIM's box.

    Attributes:
        arm: The arm whose wins are described (A).
        versus: The arm it is compared with (B).
        metric: The end-of-horizon metric compared.
        better: ``"higher"`` or ``"lower"``: which direction of the metric favours an arm.
        threshold: A wins at a point where its mean advantage exceeds this (metric units).
        parameters: The varied parameters (dotted paths), in the plan's order.
        points: One row per point: ``point``, the parameters, ``advantage`` (A's mean
            paired advantage over B, positive favours A), ``ci_low``, ``ci_high`` (its
            95% t-interval), ``n`` (replicates paired), ``win`` (``advantage >
            threshold``) and ``clear`` (the interval lies wholly on one side of the
            threshold).
        prim: PRIM's result (None when A wins at no point or at every point).
        cart: CART's rules (None likewise).
        min_density: The density PRIM's box was to reach.
        constant: Swept parameters that took a single value (left out).
    """

    arm: str
    versus: str
    metric: str
    better: str
    threshold: float
    parameters: list[str]
    points: pd.DataFrame
    prim: PrimResult | None
    cart: CartResult | None
    min_density: float
    constant: list[str] = field(default_factory=list)

    @property
    def n_wins(self) -> int:
        """Points where the arm wins."""
        return int(self.points["win"].sum())

    @property
    def n_points(self) -> int:
        """Points of the sweep."""
        return len(self.points)

    @property
    def rules(self) -> list[Rule]:
        """PRIM's box, then CART's rules."""
        return ([self.prim.box] if self.prim else []) + (self.cart.rules if self.cart else [])

    def order(self) -> list[str]:
        """The parameters by importance: PRIM's restrictions (by quasi-p-value), then CART's."""
        first = (
            [r.parameter for r in sorted(self.prim.box.restrictions, key=lambda r: r.p_value)]
            if self.prim
            else []
        )
        if self.cart is not None:
            first += list(self.cart.importance.sort_values(ascending=False, kind="stable").index)
        return list(dict.fromkeys([*first, *self.parameters]))

    def wins_phrase(self) -> str:
        """``"mentorship beats no_programme on mean_skill"`` with the threshold and direction."""
        how = "" if self.better == "higher" else " (lower is better)"
        by = f" by more than {self.threshold:.3g}" if self.threshold else ""
        return f"{self.arm} beats {self.versus} on {self.metric}{how}{by}"

    def statement(self, rule: Rule) -> str:
        """A rule in plain language, with its coverage and density."""
        return (
            f"{self.wins_phrase()} when {rule.conditions()}: this covers "
            f"{rule.coverage:.0%} of the points where {self.arm} wins ({rule.n_wins} of "
            f"{self.n_wins}), and {rule.density:.0%} of the points in this region are wins "
            f"({rule.n_wins} of {rule.n_points})"
        )

    def table(self) -> pd.DataFrame:
        """The rules, tidy: one row per rule and restricted parameter (one row if none).

        Columns: ``method``, ``rule``, ``arm``, ``versus``, ``metric``, ``threshold``,
        ``statement``, ``n_points``, ``n_wins``, ``coverage``, ``density``,
        ``parameter``, ``low``, ``high`` (points above ``low`` and at most ``high``
        are in; empty: no limit), ``values`` (the values in, for a categorical
        parameter) and ``p_value`` (PRIM's quasi-p-value).
        """
        rows = []
        for rule in self.rules:
            base = {
                "method": rule.method,
                "rule": rule.rank,
                "arm": self.arm,
                "versus": self.versus,
                "metric": self.metric,
                "threshold": self.threshold,
                "statement": self.statement(rule),
                "n_points": rule.n_points,
                "n_wins": rule.n_wins,
                "coverage": rule.coverage,
                "density": rule.density,
            }
            empty = Restriction("")
            for r in rule.restrictions or (empty,):
                rows.append(
                    base
                    | {
                        "parameter": r.parameter or None,
                        "low": r.low,
                        "high": r.high,
                        "values": None if r.values is None else " | ".join(map(str, r.values)),
                        "p_value": r.p_value,
                    }
                )
        columns = [
            "method",
            "rule",
            "arm",
            "versus",
            "metric",
            "threshold",
            "statement",
            "n_points",
            "n_wins",
            "coverage",
            "density",
            "parameter",
            "low",
            "high",
            "values",
            "p_value",
        ]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> list[str]:
        """The findings in plain language, one paragraph each."""
        n, wins = self.n_points, self.n_wins
        unclear = int((~self.points["clear"]).sum())
        out = [
            f"{self.wins_phrase()} at {wins} of {n} sweep points ({wins / n:.0%}), taking at "
            f"each point the mean of the paired differences over its replicates (the same "
            f"seeds in both arms), over {', '.join(self.parameters)}."
        ]
        if self.prim is None or self.cart is None:
            where = "no point" if wins == 0 else "every point"
            out.append(
                f"There is no region to describe: {self.arm} wins at {where} of the sweep. "
                "Widen the ranges, or change --threshold, to find where the answer changes."
            )
        else:
            box = self.prim.box
            reach = (
                ""
                if self.prim.meets_min_density
                else f" (no box on the peeling trajectory reached the density asked for, "
                f"{self.min_density:.0%}: this is the densest)"
            )
            out.append(f"PRIM's box{reach}: {self.statement(box)}.")
            if box.restrictions:
                ps = ", ".join(f"{r.parameter} {r.p_value:.2g}" for r in box.restrictions)
                weak = [r.parameter for r in box.restrictions if r.p_value > 0.05]
                doubt = ""
                if weak:
                    doubt = (
                        f" Above 0.05, the restriction{'s' * (len(weak) > 1)} of "
                        f"{' and '.join(weak)} could be chance (or the box holds too few "
                        "points to tell)."
                    )
                out.append(
                    "Quasi-p-value of each restriction (how likely so many wins would be in "
                    f"the box if it had the density of the box without that restriction): "
                    f"{ps}.{doubt}"
                )
            if self.cart.rules:
                out.append(
                    "CART (a decision tree of depth "
                    f"{CART_DEPTH}): "
                    + "; ".join(
                        f"rule {r.rank}: {r.conditions()} (coverage {r.coverage:.0%}, density "
                        f"{r.density:.0%}, {r.n_points} points)"
                        for r in self.cart.rules
                    )
                    + "."
                )
            else:
                out.append("CART: no leaf of the tree has a majority of wins.")
            wider = [
                r
                for r in self.cart.rules
                if r.density >= min(box.density, self.min_density)
                and r.coverage > box.coverage + 0.1
            ]
            if wider:
                r = wider[0]
                out.append(
                    f"CART's rule {r.rank} includes more of the wins than PRIM's box "
                    f"({r.coverage:.0%} against {box.coverage:.0%}) at a density of "
                    f"{r.density:.0%}: PRIM cuts a few points at a time from the edges of "
                    "the ranges, so it cannot reach a region whose edge holds wins, nor cut "
                    "a band out of the middle of a range. See its peeling trajectory, or "
                    "lower --min-density."
                )
        single = int((self.points["n"] < 2).sum())
        if single:
            out.append(
                f"At {single} of {n} points only one replicate pairs: there is no interval, "
                "and whether the arm wins there may be noise. Run two replicates or more "
                "(sweep.replicates)."
            )
        if unclear > single:
            out.append(
                f"At {unclear - single} of {n} points the {CONFIDENCE:.0%} interval of the "
                "paired difference includes the threshold: whether the arm wins there is "
                "within the noise of the replicates, and more replicates could move those "
                "points to the other side."
            )
        return out

    def caveats(self) -> list[str]:
        """What the discovery does not show."""
        cv = ""
        if self.cart is not None and self.cart.cv_folds:
            cv = (
                f" The tree classifies {self.cart.cv_accuracy:.0%} of the points correctly "
                f"in {self.cart.cv_folds}-fold cross-validation (always guessing the larger "
                f"class: {self.cart.majority:.0%}; on the points it grew on: "
                f"{self.cart.accuracy:.0%})."
            )
        fixed = f" ({', '.join(self.constant)} took one value)" if self.constant else ""
        return [
            "The rules describe this sweep only: the parameters' ranges as sampled, every "
            f"other parameter at its scenario value{fixed}, the organisation and horizon of "
            "the scenario. Outside the ranges they say nothing.",
            "Coverage and density are measured on the same points the rules were found "
            "from, so they are optimistic; the quasi-p-values are not corrected for the "
            "search over parameters and cuts." + cv,
            "A win is about the direction of the mean paired difference, not its size: "
            "see the advantage and its interval at each point (discovery_points.csv) before "
            "reading a win as worth having.",
            "A region is where the model, with its assumptions, favours an arm; it is not "
            "evidence about a real organisation, and a parameter that appears in a rule "
            "matters for the comparison, not necessarily for either arm alone. PRIM keeps "
            "one box: other regions where the arm wins may exist (see CART's rules).",
        ]


def point_advantages(
    runs: pd.DataFrame,
    arm: str,
    versus: str,
    metric: str,
    parameters: Sequence[str],
    threshold: float = 0.0,
) -> pd.DataFrame:
    """Each point's mean paired advantage of ``arm`` over ``versus``, and whether it wins.

    Args:
        runs: A sweep's run table (``runs.parquet``).
        arm: Arm A.
        versus: Arm B.
        metric: The metric compared.
        parameters: The parameters describing each point.
        threshold: A wins where its mean advantage exceeds this (metric units).

    Returns:
        The :attr:`Discovery.points` table, ordered by point; points where no replicate
        pairs are left out.
    """
    both = runs[runs["arm"].isin([arm, versus])]
    diff = paired_differences(both, versus, [metric], parameters=parameters)
    diff = diff[(diff["arm"] == arm) & (diff["n"] > 0)]
    sign = 1.0 if better(metric) == "higher" else -1.0
    lo, hi = sign * diff["ci_low"], sign * diff["ci_high"]
    points = diff[["point", *parameters]].copy()
    points["advantage"] = sign * diff["mean_diff"]
    points["ci_low"] = np.minimum(lo, hi)
    points["ci_high"] = np.maximum(lo, hi)
    points["n"] = diff["n"]
    points["win"] = points["advantage"] > threshold
    points["clear"] = (points["ci_low"] > threshold) | (points["ci_high"] <= threshold)
    return points.sort_values("point").reset_index(drop=True)


def discover(
    runs: pd.DataFrame,
    arm: str,
    versus: str,
    metric: str,
    parameters: Sequence[str],
    threshold: float = 0.0,
    min_density: float = 0.8,
) -> Discovery:
    """Where ``arm`` beats ``versus`` on ``metric`` over a sweep: CART's rules, PRIM's box.

    Args:
        runs: A sweep's run table (``runs.parquet``), with both arms at every point.
        arm: Arm A, whose wins are described.
        versus: Arm B.
        metric: The end-of-horizon metric compared (its direction from
            :func:`sim.model.metrics.better`).
        parameters: The swept parameters (dotted paths); those that take one value are
            left out.
        threshold: A wins where its mean paired advantage exceeds this (metric units).
        min_density: PRIM keeps the box of highest coverage with at least this density.

    Returns:
        The discovery.

    Raises:
        ScenarioError: If an arm or the metric is unknown (with the closest name), the
            metric has no value in an arm, no parameter varies, there are fewer than
            :data:`MIN_POINTS` points, or ``threshold`` or ``min_density`` are invalid.
    """
    arms = list(dict.fromkeys(runs["arm"]))
    for option, name in (("--arm", arm), ("--versus", versus)):
        if name not in arms:
            raise ScenarioError(
                f"{option} {name!r}: no such arm in the sweep{did_you_mean(name, arms)}; "
                f"arms: {', '.join(arms)}"
            )
    if arm == versus:
        raise ScenarioError(
            f"--arm and --versus are both {arm!r}: name two different arms "
            f"(arms: {', '.join(arms)})"
        )
    ids = {"run_id", "point", "arm", "replicate", "seed", "draw", "week"}
    metrics = [
        c
        for c in runs.columns
        if c not in ids and c not in parameters and pd.api.types.is_numeric_dtype(runs[c])
    ]
    if metric not in metrics:
        raise ScenarioError(
            f"--metric {metric!r}: no such metric in the sweep's runs"
            f"{did_you_mean(metric, metrics, n=3)}; metrics: {', '.join(metrics)}"
        )
    for a in (arm, versus):
        if runs.loc[runs["arm"] == a, metric].isna().all():
            raise ScenarioError(
                f"--metric {metric!r}: has no value in arm {a!r} (e.g. participants' "
                "retention in an arm without programmes); choose another metric or arm"
            )
    if not math.isfinite(threshold):
        raise ScenarioError(f"--threshold {threshold}: must be a finite number")
    if not 0 < min_density <= 1:
        raise ScenarioError(f"--min-density {min_density}: must be above 0 and at most 1")
    parameters = list(parameters)
    first = runs.groupby("point")[parameters].first() if parameters else pd.DataFrame()
    varied = [p for p in parameters if first[p].nunique(dropna=False) > 1]
    constant = [p for p in parameters if p not in varied]
    if not varied:
        raise ScenarioError(
            "the sweep varies no parameter"
            + (f" ({', '.join(constant)} took one value)" if constant else "")
            + ": discovery describes where an arm wins in terms of parameters that change "
            "from point to point; sweep some (method = 'lhs' with [sweep.ranges], or a "
            "grid with two values or more)"
        )
    points = point_advantages(runs, arm, versus, metric, varied, threshold)
    if len(points) < MIN_POINTS:
        raise ScenarioError(
            f"the sweep has {len(points)} points with paired runs of {arm} and {versus}; "
            f"discovery needs at least {MIN_POINTS} (50 or more is better): raise "
            "sweep.n_samples (method = 'lhs'), or the grid"
        )
    y = points["win"].to_numpy()
    x = points[varied]
    found_prim = found_cart = None
    if 0 < y.sum() < len(y):
        found_prim = prim(x, y, min_density=min_density)
        found_cart = cart_rules(x, y)
    return Discovery(
        arm,
        versus,
        metric,
        better(metric),
        float(threshold),
        varied,
        points,
        found_prim,
        found_cart,
        float(min_density),
        constant,
    )


# --- words and figures ---------------------------------------------------------------------


def markdown(found: Discovery, source: str = "") -> str:
    """The discovery as a short Markdown report (``discovery.md``)."""
    title = f"# Where does {found.arm} beat {found.versus}? Scenario discovery"
    lines = [title, ""]
    if source:
        lines += [f"Sweep: `{source}`. Made by `wlsim discover`.", ""]
    lines += [p + "\n" for p in found.summary()]
    lines += [
        "Coverage: the share of all the points where the arm wins that a rule includes. "
        "Density: the share of the points a rule includes where the arm wins.",
        "",
        "## What this does not show",
        "",
    ]
    lines += [f"- {c}" for c in found.caveats()]
    lines += [
        "",
        "## Files",
        "",
        "- `discovery.csv`: the rules, one row per rule and parameter restricted",
        "- `discovery_points.csv`: each point's parameters, advantage and interval, win",
        "- `discovery_trajectory.csv`: PRIM's peeling trajectory",
        "- `figures/discovery.png`: the trajectory, and the points over the two most "
        "important parameters with PRIM's box",
        "",
    ]
    return "\n".join(lines)


def plot(found: Discovery) -> Any:
    """The figure: PRIM's peeling trajectory, and the wins over the two leading parameters.

    Returns:
        A matplotlib Figure (not shown; save it with ``savefig``).
    """
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    plt_cmap = colormaps.get_cmap

    from sim.analysis.plots import PALETTE

    fig = Figure(figsize=(11, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    if found.prim is not None:
        t = found.prim.trajectory
        most = int(t["n_restricted"].max())
        norm = BoundaryNorm(np.arange(-0.5, most + 1.5), plt_cmap("viridis").N)
        dots = left.scatter(
            t["coverage"], t["density"], c=t["n_restricted"], cmap="viridis", norm=norm, s=22
        )
        fig.colorbar(dots, ax=left, label="parameters restricted", ticks=range(most + 1))
        chosen = t[t["chosen"]]
        left.scatter(
            chosen["coverage"],
            chosen["density"],
            marker="o",
            s=140,
            facecolors="none",
            edgecolors="black",
            label="box kept (before pasting)",
            zorder=3,
        )
        box = found.prim.box
        left.scatter(
            [box.coverage],
            [box.density],
            marker="*",
            s=160,
            color=PALETTE[5],
            label="after pasting and simplifying",
            zorder=4,
        )
        left.axhline(found.min_density, color="grey", ls="--", lw=0.8, label="min density")
        left.legend(
            frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14)
        )
    else:
        left.text(0.5, 0.5, "no region: the arm wins everywhere or nowhere", ha="center")
    left.set_xlabel("coverage (share of all wins in the box)")
    left.set_ylabel("density (share of the box that wins)")
    left.set_title("PRIM peeling trajectory", fontsize="medium")
    left.grid(alpha=0.3)
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)

    pts = found.points
    order = found.order()
    win = pts["win"].to_numpy()
    clear = pts["clear"].to_numpy()
    if len(order) >= 2:
        px, py = order[0], order[1]
        xs, ys = _plottable(pts[px]), _plottable(pts[py])
    else:
        px, py = order[0], None
        xs, ys = _plottable(pts[px]), pts["advantage"].to_numpy()
        right.errorbar(
            xs,
            ys,
            yerr=[ys - pts["ci_low"], pts["ci_high"] - ys],
            fmt="none",
            ecolor="lightgrey",
            zorder=1,
        )
        right.axhline(found.threshold, color="grey", lw=0.8)
    for mask, face, label in (
        (win & clear, PALETTE[0], f"{found.arm} wins"),
        (win & ~clear, "#a6cee3", f"{found.arm} wins, within noise"),
        (~win & clear, PALETTE[1], f"{found.arm} does not win"),
        (~win & ~clear, "#fbe0b0", f"{found.arm} does not win, within noise"),
    ):
        if mask.any():
            right.scatter(
                xs[mask], ys[mask], s=28, facecolors=face, edgecolors="black", lw=0.6, label=label
            )
    if found.prim is not None:
        limits = {r.parameter: r for r in found.prim.box.restrictions}

        def span(name: str | None, values: np.ndarray) -> tuple[float, float]:
            r = limits.get(name) if name else None
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            pad = 0.03 * (hi - lo or 1.0)
            if r is None or r.values is not None:
                return lo - pad, hi + pad
            return (r.low if r.low is not None else lo - pad), (
                r.high if r.high is not None else hi + pad
            )

        x0, x1 = span(px, xs)
        if py is not None:
            y0, y1 = span(py, ys)
            right.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    ls="--",
                    lw=1.4,
                    edgecolor=PALETTE[5],
                    label="PRIM box (these two parameters)",
                )
            )
        else:
            right.axvspan(x0, x1, color=PALETTE[5], alpha=0.12, label="PRIM box")
    right.set_xlabel(px)
    right.set_ylabel(py if py is not None else f"advantage in {found.metric} (95% CI)")
    right.set_title(f"Where {found.arm} beats {found.versus} on {found.metric}", fontsize="medium")
    right.legend(
        frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2
    )
    right.grid(alpha=0.3)
    return fig


def _plottable(column: pd.Series) -> np.ndarray:
    """Numeric values as floats; categories as their position in order of appearance."""
    if _is_numeric(column):
        return column.to_numpy(dtype=float)
    codes = {v: i for i, v in enumerate(dict.fromkeys(column))}
    return column.map(codes).to_numpy(dtype=float)
