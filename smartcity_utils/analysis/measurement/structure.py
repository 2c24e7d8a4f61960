"""How far the pillars measure one thing: correlation, principal components, Cronbach's alpha,
McDonald's omega, and the pillar mean against each dimension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.measurement.common import ALL, as_list, require_columns


def cronbach_alpha(data: pd.DataFrame | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Cronbach's alpha of the unit-weighted item sum, with Feldt's F-based interval.

    Alpha estimates the reliability of the sum of the items under essential
    tau-equivalence (equal true-score loadings on raw scale) with errors
    uncorrelated across items; it is a lower bound otherwise. Feldt's interval
    assumes multivariate-normal scores and independent rows:
    ``(1 - alpha_hat) / (1 - alpha) ~ F(n - 1, (n - 1)(k - 1))``.

    Args:
        data: units x items, complete rows (rows with a missing value are dropped).
        level: coverage of the interval.

    Returns:
        dict with alpha, alpha_ci_low, alpha_ci_high, n_units, n_items.
    """
    x = np.asarray(pd.DataFrame(data).dropna(), dtype=float)
    n, k = x.shape
    out = {"alpha": np.nan, "alpha_ci_low": np.nan, "alpha_ci_high": np.nan,
           "n_units": int(n), "n_items": int(k)}
    if k < 2 or n < 3:
        return out
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return out
    alpha = k / (k - 1) * (1 - item_var / total_var)
    d1, d2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    f_lo, f_hi = stats.f.ppf(tail, d1, d2), stats.f.ppf(1 - tail, d1, d2)
    out.update(alpha=float(alpha),
               alpha_ci_low=float(1 - (1 - alpha) / f_lo),
               alpha_ci_high=float(1 - (1 - alpha) / f_hi))
    return out


def omega_total(data: pd.DataFrame | np.ndarray) -> dict[str, Any]:
    """McDonald's omega total of the unit-weighted item sum from a one-factor ML model.

    Omega estimates the share of the variance of the raw item sum that is due
    to one common factor, ``(sum l)^2 / ((sum l)^2 + sum psi)`` with raw-scale
    loadings ``l`` and unique variances ``psi``; it assumes one factor,
    uncorrelated unique parts and (for ML) multivariate-normal rows. The model
    is fitted by ``statsmodels.multivariate.factor.Factor(method="ml")`` on the
    correlation matrix; ML is scale invariant, so the standardized loadings
    are rescaled by the item standard deviations to the raw (covariance) scale.

    Args:
        data: units x items, complete rows (rows with a missing value are dropped).

    Returns:
        dict with omega_total, loadings (raw scale, array), uniqueness (raw scale),
        converged (bool), method.
    """
    from statsmodels.multivariate.factor import Factor

    x = np.asarray(pd.DataFrame(data).dropna(), dtype=float)
    n, k = x.shape
    out: dict[str, Any] = {"omega_total": np.nan, "loadings": np.full(k, np.nan),
                           "uniqueness": np.full(k, np.nan), "converged": False,
                           "method": "statsmodels Factor(method='ml'), 1 factor"}
    if k < 3 or n <= k + 1:  # a one-factor model needs >= 3 items to be identified
        return out
    sd = x.std(axis=0, ddof=1)
    if np.any(sd <= 0):
        return out
    # A fixed seed for the EM start values: identical inputs give identical bytes.
    res = Factor(x, n_factor=1, method="ml").fit(rng=0)
    lam_std = np.asarray(res.loadings, dtype=float)[:, 0]
    psi_std = np.asarray(res.uniqueness, dtype=float)
    lam = np.abs(lam_std) * sd if np.sum(lam_std) < 0 else lam_std * sd
    psi = psi_std * sd**2
    common = lam.sum() ** 2
    retvals = getattr(res, "mle_retvals", None) or {}
    out.update(omega_total=float(common / (common + psi.sum())), loadings=lam,
               uniqueness=psi, converged=bool(retvals.get("converged", True)))
    return out


def pillar_structure(
    frame: pd.DataFrame,
    items: Sequence[str],
    by: str | None = None,
    level: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Describes how strongly the items (pillar scores) move together, per group and pooled.

    Estimands, per group of ``by`` and pooled over all rows (group ``"all"``):
    the Pearson correlation of each item pair; the share of total standardized
    variance carried by each principal component of the correlation matrix;
    Cronbach's alpha of the item sum (Feldt 95 % interval, assumes essential
    tau-equivalence, uncorrelated errors, normal rows); McDonald's omega total
    from a one-factor ML model (statsmodels ``Factor(method="ml")``, assumes a
    single factor with uncorrelated unique parts). Rows are units treated as
    independent (pooling years repeats regencies, so pooled intervals are too
    narrow); rows with a missing item are dropped (listwise).

    Args:
        frame: one row per unit, one column per item.
        items: item columns (e.g. the six pillar columns).
        by: optional grouping column (e.g. "year").
        level: interval coverage for alpha.

    Returns:
        dict of tidy frames: ``"correlation"`` (group, item_a, item_b, r, n_units),
        ``"pca"`` (group, component, eigenvalue, share, cumulative_share, n_units),
        ``"reliability"`` (group, n_units, n_items, alpha, alpha_ci_low,
        alpha_ci_high, omega_total, omega_converged, omega_method).
    """
    items = as_list(items)
    require_columns(frame, items + as_list(by), "pillar_structure")
    groups: list[tuple[Any, pd.DataFrame]] = []
    if by is not None:
        groups += [(g, d) for g, d in frame.groupby(by, sort=True)]
    groups.append((ALL, frame))

    corr_rows, pca_rows, rel_rows = [], [], []
    for g, d in groups:
        x = d[items].astype(float).dropna()
        n = len(x)
        corr = x.corr().to_numpy() if n >= 2 else np.full((len(items),) * 2, np.nan)
        for i, a in enumerate(items):
            for j, b in enumerate(items):
                corr_rows.append({"group": g, "item_a": a, "item_b": b,
                                  "r": float(corr[i, j]), "n_units": n})
        if n >= 2 and np.isfinite(corr).all():
            ev = np.sort(np.linalg.eigvalsh(corr))[::-1]
            ev = np.clip(ev, 0, None)
            share = ev / ev.sum()
            for c, (e, s, cs) in enumerate(zip(ev, share, np.cumsum(share)), start=1):
                pca_rows.append({"group": g, "component": c, "eigenvalue": float(e),
                                 "share": float(s), "cumulative_share": float(cs), "n_units": n})
        a = cronbach_alpha(x, level=level)
        o = omega_total(x)
        rel_rows.append({"group": g, "n_units": n, "n_items": len(items),
                         "alpha": a["alpha"], "alpha_ci_low": a["alpha_ci_low"],
                         "alpha_ci_high": a["alpha_ci_high"], "omega_total": o["omega_total"],
                         "omega_converged": o["converged"], "omega_method": o["method"]})
    return {"correlation": pd.DataFrame(corr_rows, columns=["group", "item_a", "item_b", "r", "n_units"]),
            "pca": pd.DataFrame(pca_rows, columns=["group", "component", "eigenvalue", "share",
                                                   "cumulative_share", "n_units"]),
            "reliability": pd.DataFrame(rel_rows, columns=["group", "n_units", "n_items", "alpha", "alpha_ci_low",
                                                           "alpha_ci_high", "omega_total", "omega_converged",
                                                           "omega_method"])}


#: Two scores on the published two-decimal scale count as equal when they differ by at most half a cent, what
#: rounding the plain mean of six two-decimal scores to two decimals can move it.
EQUAL_TOLERANCE = 0.005


def pillar_mean_vs_dimensions(
    frame: pd.DataFrame,
    pillars: Sequence[str],
    dimensions: Sequence[str],
    by: str | None = "year",
    tolerance: float = EQUAL_TOLERANCE,
) -> pd.DataFrame:
    """Estimates how close the plain mean of the pillar scores is to each dimension score, per group and pooled.

    A referee's check on what the pillars are: in the published Kota Kediri
    2022 letter the mean of the six pillar scores equals the Impact score
    (3.07). Where that holds generally, the pillars are the Impact breakdown
    and the index contains the Impact weight times their mean by its own
    formula, so part of any pillar-to-index association is that weight.

    Args:
        frame: One row per unit with the pillar and dimension columns.
        pillars: Pillar columns (their plain mean is compared).
        dimensions: Dimension columns.
        by: Grouping column (year), or None for the pooled rows only.
        tolerance: Largest difference counted as equal.

    Returns:
        One row per group and dimension: ``group`` (a year, or "all"),
        ``dimension, n_units, share_equal`` (share of units with
        ``|mean - dimension| <= tolerance``), ``mean_abs_difference, correlation``.
    """
    pillars, dimensions = list(pillars), list(dimensions)
    require_columns(frame, pillars + dimensions + as_list(by), "pillar_mean_vs_dimensions")
    groups = ([(g, d) for g, d in frame.groupby(by, sort=True)] if by else []) + [(ALL, frame)]
    rows = []
    for g, d in groups:
        mean = d[pillars].astype(float).mean(axis=1, skipna=False)
        for dim in dimensions:
            pair = pd.DataFrame({"m": mean, "d": d[dim].astype(float)}).dropna()
            diff = (pair["m"] - pair["d"]).abs()
            r = pair["m"].corr(pair["d"]) if len(pair) > 2 else np.nan
            rows.append({"group": str(g), "dimension": dim, "n_units": int(len(pair)),
                         "share_equal": float((diff <= tolerance + 1e-9).mean()) if len(pair) else np.nan,
                         "mean_abs_difference": float(diff.mean()) if len(pair) else np.nan,
                         "correlation": float(r)})
    return pd.DataFrame(rows, columns=["group", "dimension", "n_units", "share_equal", "mean_abs_difference",
                                       "correlation"])
