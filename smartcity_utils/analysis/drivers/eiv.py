"""The errors-in-variables estimator of the pillar drivers: the headline on the pillars, corrected for the
error one assessor puts into both (the same assessors score pillars and headline); and its split-panel
variant, whose pillar and headline errors come from different assessors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.measurement.common import (
    as_list,
    require_columns,
    unit_codes,
)
from smartcity_utils.analysis.measurement.error import error_covariance, wide_scores


def _weighted_moments(Z: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (ddof=1 in the weight total) of columns of Z for each row of weights W.

    Z: n x r, W: B x n (non-negative integer counts). Returns (B x r x r covs, B totals).
    """
    tot = W.sum(axis=1)
    mean = W @ Z / tot[:, None]
    second = (W @ (Z[:, :, None] * Z[:, None, :]).reshape(len(Z), -1)).reshape(len(W), Z.shape[1], Z.shape[1])
    cov = (second - tot[:, None, None] * mean[:, :, None] * mean[:, None, :]) / (tot - 1)[:, None, None]
    return cov, tot


def _eiv_solve(cov: np.ndarray, p: int, s_uu: np.ndarray | None, s_uy: np.ndarray | None,
               inv_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch solve of (S_xx - Suu*inv_m) b = S_xy - Suy*inv_m. Returns (betas, ok)."""
    Sxx = cov[:, :p, :p].copy()
    Sxy = cov[:, :p, p].copy()
    if s_uu is not None:
        Sxx -= inv_m[:, None, None] * s_uu[None]
        Sxy -= inv_m[:, None] * s_uy[None]
    ok = np.linalg.eigvalsh(Sxx)[:, 0] > 0
    beta = np.full((len(cov), p), np.nan)
    if ok.any():
        beta[ok] = np.linalg.solve(Sxx[ok], Sxy[ok][..., None])[..., 0]
    return beta, ok


def _eiv_core(
    X: np.ndarray, y: np.ndarray, inv_m: np.ndarray, s_uu: np.ndarray, s_uy: np.ndarray,
    clusters: np.ndarray, n_boot: int, seed: int, level: float, pillars: list[str],
    method_names: tuple[str, str] = ("eiv", "ols"),
) -> pd.DataFrame:
    n, p = X.shape
    Z = np.column_stack([X, y])
    _, cl = np.unique(clusters, return_inverse=True)
    G = cl.max() + 1
    W0 = np.ones((1, n))
    cov0, _ = _weighted_moments(Z, W0)
    mean_inv_m = np.array([inv_m.mean()])
    b_eiv, ok0 = _eiv_solve(cov0, p, s_uu, s_uy, mean_inv_m)
    if not ok0[0]:
        Sxx = cov0[0, :p, :p] - mean_inv_m[0] * s_uu
        ev = np.linalg.eigvalsh(Sxx)
        raise ValueError(
            "errors-in-variables correction is not estimable: S_xx - Sigma_uu * mean(1/m) is not "
            f"positive definite (smallest eigenvalue {ev[0]:.4g}); the assumed error variance of the "
            "panel-mean pillars is as large as or larger than their observed variance in some "
            "direction (pillars nearly collinear, too few units, or error covariance overstated)")
    b_ols, _ = _eiv_solve(cov0, p, None, None, mean_inv_m)

    rng = np.random.default_rng(seed)
    counts = rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot)  # cluster draws
    W = counts[:, cl].astype(float)
    W = W[W.sum(axis=1) > p + 2]
    covb, tot = _weighted_moments(Z, W)
    inv_mb = W @ inv_m / tot
    bb_eiv, okb = _eiv_solve(covb, p, s_uu, s_uy, inv_mb)
    bb_ols, _ = _eiv_solve(covb, p, None, None, inv_mb)
    tail = (1 - level) / 2
    rows = []
    draws = {}
    for method, est, boots, ok in ((method_names[0], b_eiv[0], bb_eiv, okb),
                                   (method_names[1], b_ols[0], bb_ols, np.isfinite(bb_ols).all(1))):
        draws[method] = boots[ok]
        bs = boots[ok]
        lo, hi = (np.quantile(bs, [tail, 1 - tail], axis=0) if len(bs) >= 2
                  else (np.full(p, np.nan), np.full(p, np.nan)))
        se = bs.std(axis=0, ddof=1) if len(bs) >= 2 else np.full(p, np.nan)
        for j, name in enumerate(pillars):
            rows.append({"pillar": name, "estimate": float(est[j]), "ci_low": float(lo[j]),
                         "ci_high": float(hi[j]), "se": float(se[j]), "method": method,
                         "n_units": int(n), "n_clusters": int(G), "n_boot": int(len(W)),
                         "n_boot_failed": int(len(W) - len(bs))})
    # The bootstrap draws (draws x pillars, failed ones dropped), for probabilities of orders.
    return pd.DataFrame(rows), draws


def eiv_drivers(
    units: pd.DataFrame,
    pillars: Sequence[str],
    target: str,
    error_cov: pd.DataFrame,
    panel_size: str | float | np.ndarray,
    cluster: str | None = None,
    n_boot: int = 999,
    seed: int = 0,
    level: float = 0.95,
    error_target: str | None = None,
    error_scale: str | float | np.ndarray | None = None,
    return_draws: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Estimates the linear association of the headline with each true (error-free) pillar score, holding the other
    pillars fixed, correcting for assessor measurement error.

    Method-of-moments errors-in-variables estimator
    ``beta = (S_xx - Sigma_uu * mean(1/m))^-1 (S_xy - Sigma_uy * mean(1/m))``
    where S are the sample (co)variances of the panel-mean pillars and
    headline over units, Sigma_uu the covariance of one assessor's pillar
    errors and Sigma_uy the covariance of its pillar errors with its headline
    error (the same assessors score both). Assumes: a linear relation between
    the headline and the true pillars; panel-mean errors with covariance
    Sigma / m, independent of the true scores and of the equation error;
    Sigma known (it is estimated by :func:`error_covariance` from many
    panels and treated as fixed, so its own sampling error is not in the
    intervals); units independent across clusters (an assessor's leniency
    is shared by every regency it scores, which makes panel-mean errors of
    different clusters dependent; the bootstrap does not capture that, and
    leniency-adjusted scores from :func:`assessor_leniency` reduce it).
    Intervals: percentile
    bootstrap resampling whole clusters (``cluster``, e.g. regency when years
    are pooled; each unit its own cluster if None) with ``mean(1/m)``
    recomputed per draw; draws where the corrected matrix is not positive
    definite are dropped and counted. Naive OLS on the panel means is reported
    with the same bootstrap for comparison.

    Args:
        units: one row per unit with the pillar and target columns.
        pillars: pillar columns (regressors).
        target: headline column (panel mean of the assessors' headlines).
        error_cov: one-assessor error covariance from :func:`error_covariance`,
            indexed by the pillar names and ``error_target``.
        panel_size: column name, scalar or array of assessors per unit (m).
        cluster: column defining bootstrap clusters.
        n_boot: bootstrap draws.
        seed: random seed.
        level: interval coverage.
        error_target: row of ``error_cov`` holding the headline error (default:
            ``target`` if present, else "headline").
        error_scale: column name, scalar or array: a unit's assessor error
            covariance is ``error_scale * error_cov`` (default 1 everywhere).
            Used to show how the estimate moves when the error in some units
            (years without assessor rows) differs from the one measured.
        return_draws: Also return the bootstrap draws per method (draws x pillars).

    Returns:
        One row per pillar and method ("eiv", "ols") with estimate, ci_low,
        ci_high, se (bootstrap SD), method, n_units, n_clusters, n_boot,
        n_boot_failed; with ``return_draws``, ``(table, {method: draws})``.

    Raises:
        ValueError: if S_xx - Sigma_uu * mean(1/m) is not positive definite.
    """
    pillars = list(pillars)
    cols = (pillars + [target] + ([panel_size] if isinstance(panel_size, str) else []) + as_list(cluster)
            + ([error_scale] if isinstance(error_scale, str) else []))
    require_columns(units, cols, "eiv_drivers")
    mask = units[cols].notna().all(axis=1).to_numpy()
    d = units[mask]

    def per_unit(value, default):
        if isinstance(value, str):
            return d[value].to_numpy(float)
        return np.broadcast_to(np.asarray(default if value is None else value, float), (len(units),))[mask]

    m = per_unit(panel_size, 1.0)
    scale = per_unit(error_scale, 1.0)
    if np.any(m <= 0):
        raise ValueError("panel sizes must be positive")
    if np.any(scale < 0):
        raise ValueError("error scales must be non-negative")
    if error_target is None:
        error_target = target if target in error_cov.index else "headline"
    missing = [c for c in pillars + [error_target] if c not in error_cov.index]
    if missing:
        raise KeyError(f"error_cov lacks {missing}; pass error_target= the headline row")
    s_uu = error_cov.loc[pillars, pillars].to_numpy(float)
    s_uy = error_cov.loc[pillars, error_target].to_numpy(float)
    clusters = d[cluster].to_numpy() if cluster else np.arange(len(d))
    table, draws = _eiv_core(d[pillars].to_numpy(float), d[target].to_numpy(float), scale / m, s_uu, s_uy,
                             clusters, n_boot, seed, level, pillars)
    return (table, draws) if return_draws else table


def split_panel_drivers(
    scores_long: pd.DataFrame,
    unit_cols: str | Sequence[str],
    rater_col: str,
    pillars: Sequence[str],
    headline: str | Mapping[str, float],
    cluster: str | None = None,
    item_col: str | None = None,
    value_col: str = "score",
    n_boot: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimates the linear association of the headline with each true pillar score, holding the others fixed,
    from disjoint halves of each panel.

    For every unit with m >= 2 assessors the panel is split at random: the
    pillars are averaged over floor(m / 2) assessors and the headline over
    the others, so pillar and headline errors come from different assessors
    and are independent (Sigma_uy = 0) if assessors' errors are independent
    of each other; the pillars' own error is removed with the reliability
    correction ``S_xx - Sigma_uu * mean(1/m_pillar)`` with Sigma_uu from
    :func:`error_covariance` on all assessors. Also assumes linearity and
    errors independent of the true scores. One random split (``seed``); the
    split adds noise, which the estimate carries but the bootstrap (which
    keeps the split fixed and resamples clusters of units) does not.
    Assessor leniency shared across regencies is treated as error, as in
    :func:`error_covariance`.

    Args:
        scores_long: assessor-level scores (long with item_col, or wide).
        unit_cols: column(s) identifying a unit; must contain ``cluster`` if given.
        rater_col: assessor column.
        pillars: pillar items.
        headline: item/column with the assessor's headline, or {dimension: weight}.
        cluster: bootstrap cluster column (one of unit_cols), e.g. "regency_id".
        item_col, value_col: long layout columns (item_col None for wide).
        n_boot, seed, level: bootstrap settings.

    Returns:
        Same layout as :func:`eiv_drivers`, methods "split_eiv" and "split_ols".
    """
    unit_cols = as_list(unit_cols)
    if cluster is not None and cluster not in unit_cols:
        raise ValueError("cluster must be one of unit_cols")
    wide, cols = wide_scores(scores_long, unit_cols, rater_col, pillars, headline, item_col,
                              value_col, "headline")
    hname = cols[-1]
    sigma = error_covariance(wide, unit_cols, rater_col, list(pillars), headline=hname)
    wide = wide.dropna(subset=cols).reset_index(drop=True)
    codes = unit_codes(wide, unit_cols)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(wide))
    perm = order[np.argsort(codes[order], kind="stable")]  # random order within unit
    c_sorted = codes[perm]
    m = np.bincount(codes)
    first = np.r_[0, np.cumsum(m)[:-1]]
    pos = np.arange(len(perm)) - first[c_sorted]
    half = m[c_sorted] // 2
    use = m[c_sorted] >= 2
    to_pillar = use & (pos < half)
    to_head = use & (pos >= half)
    rows_p, rows_h = wide.iloc[perm[to_pillar]], wide.iloc[perm[to_head]]
    xp = rows_p.groupby(unit_cols)[list(pillars)].mean()
    mp = rows_p.groupby(unit_cols).size().rename("_m")
    yh = rows_h.groupby(unit_cols)[hname].mean().rename("_y")
    units = xp.join(mp).join(yh, how="inner").reset_index()
    s_uu = sigma.loc[list(pillars), list(pillars)].to_numpy(float)
    clusters = units[cluster].to_numpy() if cluster else np.arange(len(units))
    out, _ = _eiv_core(units[list(pillars)].to_numpy(float), units["_y"].to_numpy(float),
                       1.0 / units["_m"].to_numpy(float), s_uu, np.zeros(len(pillars)), clusters,
                       n_boot, seed, level, list(pillars), ("split_eiv", "split_ols"))
    out.attrs["error_cov"] = sigma
    return out
