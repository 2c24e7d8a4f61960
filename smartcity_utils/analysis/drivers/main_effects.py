"""First-order (main) effects: the share of the headline's variance explained by one pillar alone, nonparametrically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import numeric_frame, pillars_or_default
from smartcity_utils.analysis.drivers.intervals import bootstrap_draws, percentile_ci
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.ranks import competition_rank
from smartcity_utils.errors import DriverInputError

# 3. First-order sensitivity (main effects)
# ---------------------------------------------------------------------------


#: Bandwidths tried by cross-validation, as multiples of the pillar's standard
#: deviation: from very local (0.1 SD) to nearly a straight line (2 SD).
BANDWIDTH_GRID = (0.1, 0.15, 0.2, 0.3, 0.45, 0.7, 1.0, 1.5, 2.0)

#: Multiples of the chosen bandwidth shown in the sensitivity table.
BANDWIDTH_SENSITIVITY = (0.5, 1.0, 2.0)


def _smoother_matrix(x: np.ndarray, h: float, counts: np.ndarray | None = None) -> np.ndarray:
    """Local linear smoother matrix L (fitted = L @ y), Gaussian kernel with bandwidth h.

    With ``counts``, ``x`` holds distinct values, value ``l`` standing for
    ``counts[l]`` rows: entry ``[k, l]`` is then the weight one row at
    ``x[k]`` gives one row at ``x[l]`` (the kernel sums count every row).
    """
    d = x[None, :] - x[:, None]  # row i: x_j - x_i
    w = np.exp(-0.5 * (d / h) ** 2)
    wc = w if counts is None else w * counts[None, :]
    s1 = (wc * d).sum(axis=1, keepdims=True)
    s2 = (wc * d * d).sum(axis=1, keepdims=True)
    s0 = wc.sum(axis=1, keepdims=True)
    den = s0 * s2 - s1 ** 2
    den = np.where(den <= 1e-12 * s0 * s2 + 1e-300, np.nan, den)
    return w * (s2 - d * s1) / den


class _Smoother:
    """The local linear smoother of ``y`` on ``x``, computed on the distinct values of ``x``.

    Scores carry two decimals, so a national set of some 1,400 rows has
    under 500 distinct values per pillar (and a bootstrap sample repeats
    rows): the smoother is the same, row for row, as the one of
    :func:`_smoother_matrix` on every row, at a tenth of the work. Rows at
    one value get the same weights; sums over rows are sums over values
    times their counts.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, h: float) -> None:
        values, self.at, self.counts = np.unique(x, return_inverse=True, return_counts=True)
        self.n = len(y)
        self.M = _smoother_matrix(values, h, self.counts.astype(float))
        self.finite = bool(np.all(np.isfinite(self.M)))
        self.fitted = (self.M @ np.bincount(self.at, weights=y, minlength=len(values)))[self.at] if self.finite \
            else np.full(self.n, np.nan)

    def diagonal(self) -> np.ndarray:
        """``L[i, i]`` for every row."""
        return np.diag(self.M)[self.at]

    def trace(self) -> float:
        return float(self.counts @ np.diag(self.M))

    def sum_of_squares(self) -> float:
        """``sum(L * L)`` over every row and column."""
        return float(self.counts @ (self.M * self.M) @ self.counts)

    def centred_sum_of_squares(self) -> float:
        """``sum(Lc * Lc)``, ``Lc`` the smoother followed by centring (``L`` less its column means)."""
        column_means = (self.counts @ self.M) / self.n
        return self.sum_of_squares() - self.n * float(self.counts @ column_means ** 2)


def _cv_error(smoother: _Smoother, y: np.ndarray) -> float:
    """Leave-one-out cross-validation error of a linear smoother (closed form)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        err = float(np.mean(((y - smoother.fitted) / (1 - smoother.diagonal())) ** 2))
    return err if np.isfinite(err) else np.inf


def _main_effect(x: np.ndarray, y: np.ndarray, h: float) -> tuple[float, float]:
    """``(S_raw, S_corrected)`` for bandwidth ``h``.

    ``S_raw = var(L y) / var(y)``. The fitted values carry part of the noise,
    ``sigma^2 * tr(L_c' L_c) / n`` in expectation (``L_c`` the smoother
    followed by centring), which ``S_corrected`` removes, with ``sigma^2``
    the residual variance ``RSS / (n - 2 tr L + tr L'L)``.
    """
    n = len(y)
    var_y = float(np.var(y))
    if var_y <= 0 or np.ptp(x) <= 0:
        return np.nan, np.nan
    smoother = _Smoother(x, y, h)
    if not smoother.finite:
        return np.nan, np.nan
    fitted = smoother.fitted
    resid = y - fitted
    df_res = n - 2 * smoother.trace() + smoother.sum_of_squares()
    sigma2 = float(resid @ resid) / max(df_res, 1.0)
    noise = sigma2 * smoother.centred_sum_of_squares() / n
    raw = float(np.var(fitted)) / var_y
    return raw, max(raw - noise / var_y, 0.0)


def choose_bandwidth(x: np.ndarray, y: np.ndarray, grid: Sequence[float] = BANDWIDTH_GRID) -> float:
    """Bandwidth (in units of x) that minimises the leave-one-out cross-validation error."""
    sd = float(np.std(x, ddof=1))
    best, best_err = np.nan, np.inf
    for mult in grid:
        smoother = _Smoother(x, y, mult * sd)
        if not smoother.finite:
            continue
        err = _cv_error(smoother, y)
        if err < best_err:
            best, best_err = mult * sd, err
    return best


def main_effects(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    nominal_weights: Mapping[str, float] | Sequence[float] | None = None,
    bandwidth: float | Mapping[str, float] | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """First-order sensitivity index of the target to each pillar, noise-corrected, bandwidth by cross-validation.

    Estimand: ``S_i = Var(E[y | x_i]) / Var(y)``, the share of the
    headline's variance that goes with pillar *i* on its own, linear or not
    (it does not hold the other pillars equal). Following Paruolo, Saisana
    and Saltelli (2013) it is set beside the pillar's weight.

    ``E[y | x_i]`` is a local linear regression with a Gaussian kernel; its
    bandwidth is chosen per pillar by leave-one-out cross-validation over
    :data:`BANDWIDTH_GRID` (multiples of the pillar's SD), and the noise
    that the smoothed values still carry is subtracted (see
    :func:`_main_effect`). ``attrs["bandwidth_sensitivity"]`` gives ``S_i``
    at :data:`BANDWIDTH_SENSITIVITY` times the chosen bandwidth.

    ``S_i`` is non-negative by construction: its interval is reported as a
    range, never tested against zero. The testable question, whether the
    pillar goes with the headline once the others are held equal, is
    answered by the partial coefficient (OLS and the lead estimate).

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        nominal_weights: The index's stated weights, as a mapping pillar ->
            weight or a sequence in pillar order. When omitted, the OLS
            coefficients (implied weights) are used instead.
        bandwidth: Fixed bandwidth (in score points; one value, or one per
            pillar); None chooses it by cross-validation.
        n_boot: Bootstrap replicates for percentile intervals of ``S_i``
            (the bandwidth is kept at its chosen value).
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("main_effect"), estimate``
        (noise-corrected ``S_i``), ``ci_low, ci_high, s_raw`` (uncorrected),
        ``s_normalised`` (``S_i / sum S``), ``weight`` (normalised to sum 1),
        ``weight_source`` ("nominal" or "ols"), ``weight_rank,
        importance_rank, bandwidth, n``.

    Raises:
        DriverInputError: If a column is missing, there are too few rows or
            the nominal weights do not match the pillars.
    """
    pillars = pillars_or_default(pillars)
    data = numeric_frame(df, [*pillars, target])
    n = len(data)
    if n < len(pillars) + 2:
        raise DriverInputError(
            f"main effects need at least {len(pillars) + 2} complete rows; there are {n}"
        )
    X = data[pillars].to_numpy()
    y = data[target].to_numpy()
    if bandwidth is None:
        hs = np.array([choose_bandwidth(X[:, j], y) for j in range(len(pillars))])
    elif isinstance(bandwidth, Mapping):
        hs = np.array([float(bandwidth[p]) for p in pillars])
    else:
        hs = np.full(len(pillars), float(bandwidth))
    if not np.all(hs > 0):
        raise DriverInputError(f"bandwidths must be positive, got {hs}")
    pairs = [_main_effect(X[:, j], y, hs[j]) for j in range(len(pillars))]
    s_raw = np.array([a for a, _ in pairs])
    s = np.array([b for _, b in pairs])
    sensitivity = pd.DataFrame([
        {"pillar": p, "bandwidth_multiple": mult, "bandwidth": hs[j] * mult,
         "estimate": _main_effect(X[:, j], y, hs[j] * mult)[1]}
        for j, p in enumerate(pillars) for mult in BANDWIDTH_SENSITIVITY])

    draws = bootstrap_draws(lambda idx: [_main_effect(X[idx, j], y[idx], hs[j])[1] for j in range(len(pillars))],
                            n, n_boot, np.random.default_rng(seed))
    low, high = percentile_ci(draws.reshape(-1, len(pillars)), level)

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
            "s_raw": s_raw,
            "s_normalised": s / total_s if total_s > 0 else np.nan,
            "weight": w,
            "weight_source": source,
            "weight_rank": competition_rank(w).to_numpy(),
            "importance_rank": competition_rank(np.nan_to_num(s, nan=-np.inf)).to_numpy(),
            "bandwidth": hs,
            "n": n,
        }
    )
    table.attrs.update(n=n, bandwidth_sensitivity=sensitivity)
    return table
