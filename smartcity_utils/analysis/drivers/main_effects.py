"""First-order (main) effects: the share of the headline's variance explained by one pillar alone, nonparametrically.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import _as_list, _numeric_frame
from smartcity_utils.analysis.drivers.intervals import _percentile_ci
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.ranks import competition_rank
from smartcity_utils.errors import DriverInputError

# 3. First-order sensitivity (main effects)
# ---------------------------------------------------------------------------


def _default_frac(n: int) -> float:
    # Half the data per local fit keeps the smoother close to the conditional
    # mean without chasing noise; small samples need enough points per fit.
    return float(min(1.0, max(0.5, 10.0 / max(n, 1))))


def _main_effect(x: np.ndarray, y: np.ndarray, frac: float) -> float:
    from statsmodels.nonparametric.smoothers_lowess import lowess

    var_y = float(np.var(y))
    if var_y <= 0 or np.ptp(x) <= 0:
        return np.nan
    fitted = lowess(
        y, x, frac=frac, it=0, delta=0.01 * float(np.ptp(x)), return_sorted=False
    )
    if not np.all(np.isfinite(fitted)):
        return np.nan
    return float(np.var(fitted) / var_y)


def main_effects(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    nominal_weights: Mapping[str, float] | Sequence[float] | None = None,
    frac: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """First-order sensitivity index of the target to each pillar.

    ``S_i = Var(E[y | x_i]) / Var(y)`` is the share of the index's variance
    that pillar *i* explains on its own, linear or not. Following Paruolo,
    Saisana and Saltelli (2013), it is set beside the pillar's weight: the
    weight is what the designers intended, ``S_i`` is what the pillar actually
    does to the index, and the two differ whenever pillars are correlated or
    have different variances.

    ``E[y | x_i]`` is estimated with statsmodels' LOWESS (local linear
    regression with tricube weights, no robustness iterations so that it
    estimates the conditional mean). Local linear smoothing is the estimator
    Paruolo et al. use; unlike a global spline basis it needs no knot
    placement, reproduces a straight line exactly (so a linear index is not
    biased), and its single bandwidth ``frac`` is easy to state in a report.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        nominal_weights: The index's stated weights, as a mapping pillar ->
            weight or a sequence in pillar order. When omitted, the OLS
            coefficients (implied weights) are used instead.
        frac: LOWESS bandwidth (share of rows per local fit); by default
            ``max(0.5, 10 / n)``, capped at 1.
        n_boot: Bootstrap replicates for percentile intervals of ``S_i``.
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("main_effect"), estimate``
        (``S_i``), ``ci_low, ci_high, s_normalised`` (``S_i / sum S``),
        ``weight`` (normalised to sum 1), ``weight_source`` ("nominal" or
        "ols"), ``weight_rank, importance_rank, frac, n``.

    Raises:
        DriverInputError: If a column is missing, there are too few rows or
            the nominal weights do not match the pillars.
    """
    pillars = _as_list(pillars)
    data = _numeric_frame(df, [*pillars, target])
    n = len(data)
    if n < len(pillars) + 2:
        raise DriverInputError(
            f"main effects need at least {len(pillars) + 2} complete rows; there are {n}"
        )
    frac = _default_frac(n) if frac is None else float(frac)
    if not 0 < frac <= 1:
        raise DriverInputError(f"frac must be in (0, 1], got {frac}")
    X = data[pillars].to_numpy()
    y = data[target].to_numpy()
    s = np.array([_main_effect(X[:, j], y, frac) for j in range(len(pillars))])

    draws = np.full((max(n_boot, 0), len(pillars)), np.nan)
    rng = np.random.default_rng(seed)
    for b in range(max(n_boot, 0)):
        idx = rng.integers(0, n, n)
        draws[b] = [_main_effect(X[idx, j], y[idx], frac) for j in range(len(pillars))]
    low, high = _percentile_ci(draws, level)

    if nominal_weights is not None:
        if isinstance(nominal_weights, Mapping):
            missing = [p for p in pillars if p not in nominal_weights]
            if missing:
                raise DriverInputError(f"nominal weights lack pillar(s): {', '.join(missing)}")
            w = np.array([float(nominal_weights[p]) for p in pillars])
        else:
            w = np.asarray(list(nominal_weights), dtype=float)
            if w.shape != (len(pillars),):
                raise DriverInputError(
                    f"{len(w)} nominal weights given for {len(pillars)} pillars"
                )
        source = "nominal"
    else:
        w = ols_drivers(data, target, pillars).table["coef"].to_numpy()
        source = "ols"
    w = w / w.sum() if w.sum() != 0 else np.full_like(w, np.nan)
    total_s = np.nansum(s)
    table = pd.DataFrame(
        {
            "pillar": pillars,
            "method": "main_effect",
            "estimate": s,
            "ci_low": low,
            "ci_high": high,
            "s_normalised": s / total_s if total_s > 0 else np.nan,
            "weight": w,
            "weight_source": source,
            "weight_rank": competition_rank(w).to_numpy(),
            "importance_rank": competition_rank(np.nan_to_num(s, nan=-np.inf)).to_numpy(),
            "frac": frac,
            "n": n,
        }
    )
    table.attrs.update(n=n, frac=frac)
    return table
