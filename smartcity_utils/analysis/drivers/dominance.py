"""Exact dominance analysis: each pillar's Shapley share of the explained variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import numeric_frame, pillars_or_default
from smartcity_utils.analysis.drivers.intervals import bootstrap_draws, percentile_ci
from smartcity_utils.errors import DriverInputError

# 2. Dominance analysis
# ---------------------------------------------------------------------------


def _subset_r2_from_corr(corr: np.ndarray) -> np.ndarray:
    """R-squared of every pillar subset, indexed by bitmask.

    ``corr`` is the correlation matrix with the target in the last row and
    column. For a subset S, ``R2_S = r_S' R_SS^-1 r_S``; solving the small
    system is exact and far cheaper than refitting 2^p regressions.
    """
    p = corr.shape[0] - 1
    rxx = corr[:p, :p]
    rxy = corr[:p, p]
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [i for i in range(p) if mask >> i & 1]
        sub = rxx[np.ix_(idx, idx)]
        r = rxy[idx]
        try:
            beta = np.linalg.solve(sub, r)
        except np.linalg.LinAlgError:
            # Exactly collinear subset: the least-squares projection is still defined.
            beta = np.linalg.lstsq(sub, r, rcond=None)[0]
        r2[mask] = float(r @ beta)
    return r2


def _shapley_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    """General dominance: Shapley value of each pillar in the R-squared game."""
    fact = [math.factorial(k) for k in range(p + 1)]
    weight = np.array(
        [fact[s] * fact[p - s - 1] / fact[p] for s in range(p)], dtype=float
    )
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    masks = np.arange(1 << p)
    shares = np.zeros(p)
    for i in range(p):
        bit = 1 << i
        without = masks[(masks & bit) == 0]
        shares[i] = float(np.sum(weight[sizes[without]] * (r2[without | bit] - r2[without])))
    return shares


def _dominance_shares(values: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Shares, full R-squared and subset R-squared from a (n, p+1) array."""
    p = values.shape[1] - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(values, rowvar=False)
    if not np.all(np.isfinite(corr)):
        return np.full(p, np.nan), np.nan, np.full(1 << p, np.nan)
    r2 = _subset_r2_from_corr(corr)
    return _shapley_from_subsets(r2, p), float(r2[-1]), r2


def _null_shares(values: np.ndarray) -> np.ndarray:
    """Each pillar's share by correlation alone: its share once its own partial contribution is removed.

    For pillar i the target is replaced by ``y - b_i x_i`` (``b_i`` its OLS
    partial coefficient), so pillar i adds nothing once the others are held
    equal; the dominance share it still receives comes only from its
    correlation with the other pillars.
    """
    p = values.shape[1] - 1
    X, y = values[:, :p], values[:, p]
    Xc = np.column_stack([np.ones(len(X)), X])
    b = np.linalg.lstsq(Xc, y, rcond=None)[0][1:]
    out = np.full(p, np.nan)
    for i in range(p):
        null = values.copy()
        null[:, p] = y - b[i] * X[:, i]
        out[i] = _dominance_shares(null)[0][i]
    return out


def dominance_analysis(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    clusters: Sequence | None = None,
) -> pd.DataFrame:
    """Exact general dominance of each pillar (Budescu 1993; Azen and Budescu 2003).

    Estimand: the part of the headline's variance explained by the pillars
    (R-squared) that goes with each pillar, averaged over every order of
    entering the pillars (its Shapley share).

    A pillar's general dominance weight is its average increase in R-squared
    over all subsets of the other pillars, weighting each subset size
    equally, which is the Shapley value of the R-squared "game". The weights
    sum to the full model's R-squared exactly, so unlike standardised
    coefficients they share variance between collinear pillars instead of
    assigning it arbitrarily. All 2^p subset R-squared values come from the
    correlation matrix; the bootstrap resamples rows (or whole clusters) and
    recomputes them.

    A share is non-negative by construction, so "its interval excludes zero"
    says nothing. What is tested instead is the share against the share the
    pillar would get by its correlation with the other pillars alone
    (:func:`_null_shares`): ``excess_share`` and its interval; an interval
    above zero means the pillar explains more than its correlation with the
    others would give it.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        n_boot: Bootstrap replicates for percentile intervals (0 for none).
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.
        clusters: Optional cluster label per row of ``df`` (regency): the
            bootstrap then resamples whole clusters (repeated years together).

    Returns:
        One row per pillar with ``pillar, method ("dominance"), estimate``
        (share of R-squared), ``ci_low, ci_high, share_of_r2`` (estimate / full
        R-squared), ``share_ci_low, share_ci_high, r2_alone`` (R-squared of
        the pillar on its own), ``null_share`` (share by correlation alone),
        ``excess_share, excess_ci_low, excess_ci_high, r2_full, n, n_boot_ok``.

    Raises:
        DriverInputError: If a column is missing, there are too few rows, or a
            column has no variance.
        RuntimeError: If the shares fail to add up to the full R-squared.
    """
    pillars = pillars_or_default(pillars)
    if len(pillars) > 15:
        raise DriverInputError(
            f"dominance analysis enumerates 2^p subsets; {len(pillars)} pillars is too many"
        )
    data = numeric_frame(df, [*pillars, target])
    values = data.to_numpy()
    cl = (pd.factorize(pd.Series(list(clusters), index=df.index).loc[data.index])[0]
          if clusters is not None else np.arange(len(data)))
    n, p = values.shape[0], len(pillars)
    if n < p + 2:
        raise DriverInputError(
            f"dominance analysis needs at least {p + 2} complete rows; there are {n}"
        )
    shares, r2_full, r2_sub = _dominance_shares(values)
    if not np.isfinite(r2_full):
        raise DriverInputError("dominance analysis: a pillar or the target has no variance")
    if abs(shares.sum() - r2_full) > 1e-10 * max(1.0, abs(r2_full)):
        raise RuntimeError(
            f"dominance shares sum to {shares.sum():.15g}, full R-squared is {r2_full:.15g}"
        )

    null = _null_shares(values)
    def replicate(rows: np.ndarray) -> np.ndarray:
        """Shares, their excess over the correlation-only shares, and their fractions of R-squared."""
        sample = values[rows]
        s, r2b, _ = _dominance_shares(sample)
        with np.errstate(all="ignore"):
            excess = s - _null_shares(sample)
        frac = s / r2b if np.isfinite(r2b) and r2b > 0 else np.full(p, np.nan)
        return np.concatenate([s, excess, frac])

    both = bootstrap_draws(replicate, n, n_boot, np.random.default_rng(seed), clusters=cl).reshape(-1, 3 * p)
    draws, excess_draws, frac_draws = both[:, :p], both[:, p:2 * p], both[:, 2 * p:]
    low, high = percentile_ci(draws, level)
    flow, fhigh = percentile_ci(frac_draws, level)
    elow, ehigh = percentile_ci(excess_draws, level)
    table = pd.DataFrame(
        {
            "pillar": pillars,
            "method": "dominance",
            "estimate": shares,
            "ci_low": low,
            "ci_high": high,
            "share_of_r2": shares / r2_full if r2_full > 0 else np.nan,
            "share_ci_low": flow,
            "share_ci_high": fhigh,
            "r2_alone": [r2_sub[1 << i] for i in range(p)],
            "null_share": null,
            "excess_share": shares - null,
            "excess_ci_low": elow,
            "excess_ci_high": ehigh,
            "r2_full": r2_full,
            "n": n,
            "n_boot_ok": int(np.isfinite(draws).all(axis=1).sum()),
        }
    )
    table.attrs.update(r2=r2_full, n=n)
    return table
