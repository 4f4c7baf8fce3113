"""Which targets inform which parameter, and which measurement would inform the rest.

A *screen* runs the calibrated scenario at points spread over the priors (a Latin
hypercube) and records every target's statistic and every candidate measurement's
(:mod:`sim.experiments.screen`). These pure functions read that table.

The approximation is linear and Gaussian, and says so wherever it is shown. Each
statistic ``y`` is regressed on the parameters, each on the scale on which its prior is
flat and standardised by the prior's sd: the slope ``b_j`` is how far ``y`` moves when
parameter ``j`` moves by one prior sd, the residual sd ``s`` is what the parameters do
not explain (replicate noise and curvature). A target with stated uncertainty ``sd``
then carries information ``b b^T / (s^2 + sd^2)`` about the parameters; a flat prior of
unit sd carries the identity. The posterior covariance is approximately the inverse of
the sum, and its diagonal gives each parameter's posterior sd over its prior sd, the
same ratio the calibration report measures on the particles (``sd_ratio``). Comparing
the two says how far the linear picture can be trusted.

From that picture:

- *which targets inform which parameter*: each parameter's linearised sd ratio with all
  targets, and without each one in turn (a leave-one-out that needs no new fit);
- *what to measure next*: for each candidate measurement that is not a target, the
  linearised sd ratios with it added, measured once with the simulations' own noise
  (as one organisation of the simulated size would measure it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: The screen in a calibration folder: its points' values, statistics, and ``z:PATH``
#: columns with the standardised design.
SCREEN_FILE = "screen.parquet"

#: A candidate must cut a parameter's linearised sd ratio by at least this much (in
#: absolute terms) to be advised for it.
MIN_GAIN = 0.05


def sensitivities(design: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Slopes of every statistic on every parameter, per prior sd, by least squares.

    Args:
        design: One row per screen point, one column per parameter, each standardised
            (the flat scale of its prior, centred, divided by the prior's sd).
        values: The statistics at the same points, one column each (NaN where a point
            gives no value: those points are left out of that statistic's fit).

    Returns:
        One row per statistic: ``statistic``, ``n`` (points used), ``residual_sd`` and
        one column per parameter with its slope. Statistics with fewer points than
        parameters + 2, or that do not vary, are left out.
    """
    names = list(design.columns)
    x = design.to_numpy(dtype=float)
    rows = []
    for stat in values.columns:
        y = values[stat].to_numpy(dtype=float)
        ok = np.isfinite(y)
        n = int(ok.sum())
        if n < len(names) + 2 or np.ptp(y[ok]) == 0:
            continue
        a = np.column_stack([np.ones(n), x[ok]])
        coef, *_ = np.linalg.lstsq(a, y[ok], rcond=None)
        resid = y[ok] - a @ coef
        s = float(np.sqrt(resid @ resid / (n - len(names) - 1)))
        slopes = dict(zip(names, coef[1:], strict=True))
        rows.append({"statistic": stat, "n": n, "residual_sd": s, **slopes})
    return pd.DataFrame(rows, columns=["statistic", "n", "residual_sd", *names])


def _information(row: pd.Series, names: Sequence[str], sd: float) -> np.ndarray:
    b = row[list(names)].to_numpy(dtype=float)
    return np.outer(b, b) / (row["residual_sd"] ** 2 + sd**2)


def sd_ratios(sens: pd.DataFrame, names: Sequence[str], sds: Mapping[str, float]) -> np.ndarray:
    """Linearised posterior sd over prior sd of each parameter, given these statistics.

    Args:
        sens: :func:`sensitivities` rows of the statistics used (one per statistic).
        names: The parameters, in order.
        sds: Each statistic's stated uncertainty (0 for a candidate: its residual sd, the
            simulations' own noise, is its only error).

    Returns:
        One ratio per parameter (1 where nothing informs it).
    """
    info = np.eye(len(names))  # a flat prior of unit sd, as a Gaussian
    for _, row in sens.iterrows():
        info += _information(row, names, sds.get(row["statistic"], 0.0))
    return np.sqrt(np.diag(np.linalg.inv(info)))


def by_target(sens: pd.DataFrame, names: Sequence[str], sds: Mapping[str, float]) -> pd.DataFrame:
    """What each target tells about each parameter: its linearised sd ratios without it.

    Args:
        sens: :func:`sensitivities` of the screen.
        names: The parameters.
        sds: The targets' stated uncertainties, by statistic name (the targets are
            exactly these statistics).

    Returns:
        One row per parameter: ``parameter``, ``all_targets`` (the linearised sd ratio)
        and, per target, the ratio without that target (``without: NAME``); a target
        whose removal widens a parameter informs it.
    """
    used = sens[sens["statistic"].isin(list(sds))]
    out = pd.DataFrame({"parameter": list(names), "all_targets": sd_ratios(used, names, sds)})
    for stat in sds:
        rest = used[used["statistic"] != stat]
        out[f"without: {stat}"] = sd_ratios(rest, names, sds)
    return out


def measurement_value(
    sens: pd.DataFrame, names: Sequence[str], sds: Mapping[str, float]
) -> pd.DataFrame:
    """How much each candidate measurement would narrow each parameter, added to the targets.

    Args:
        sens: :func:`sensitivities` of the screen (targets and candidates).
        names: The parameters.
        sds: The targets' stated uncertainties, by statistic name; every other statistic
            of ``sens`` is a candidate, measured with the simulations' noise.

    Returns:
        Tidy rows ``candidate``, ``parameter``, ``sd_ratio_now`` (targets alone),
        ``sd_ratio_with`` (targets and the candidate) and ``gain`` (their difference).
    """
    targets = sens[sens["statistic"].isin(list(sds))]
    now = sd_ratios(targets, names, sds)
    rows = []
    for _, cand in sens[~sens["statistic"].isin(list(sds))].iterrows():
        both = pd.concat([targets, cand.to_frame().T], ignore_index=True)
        with_it = sd_ratios(both, names, sds)
        for j, name in enumerate(names):
            rows.append(
                {
                    "candidate": cand["statistic"],
                    "parameter": name,
                    "sd_ratio_now": float(now[j]),
                    "sd_ratio_with": float(with_it[j]),
                    "gain": float(now[j] - with_it[j]),
                }
            )
    return pd.DataFrame(
        rows, columns=["candidate", "parameter", "sd_ratio_now", "sd_ratio_with", "gain"]
    )


def advice(value: pd.DataFrame, open_parameters: Sequence[str], top: int = 3) -> list[str]:
    """Plain-language advice: for each parameter the targets leave open, what to measure.

    Args:
        value: :func:`measurement_value` rows.
        open_parameters: Parameters the calibration did not pin down.
        top: Candidates named per parameter.

    Returns:
        One sentence per parameter.
    """
    out = []
    for name in open_parameters:
        rows = value[(value["parameter"] == name) & (value["gain"] >= MIN_GAIN)]
        rows = rows.sort_values("gain", ascending=False).head(top)
        if rows.empty:
            out.append(
                f"{name}: none of the candidate measurements would narrow it by "
                f"{MIN_GAIN:.2f} of its prior sd or more (linear approximation); it needs "
                "a different kind of evidence, or stays an assumption."
            )
            continue
        picks = "; ".join(
            f"{r.candidate} (to {r.sd_ratio_with:.2f} of the prior sd)" for r in rows.itertuples()
        )
        now = float(rows["sd_ratio_now"].iloc[0])
        out.append(f"{name} (now about {now:.2f} of the prior sd): measure {picks}.")
    return out
