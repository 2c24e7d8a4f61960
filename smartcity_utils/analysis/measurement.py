"""Measurement models for assessor scores: reliability, rater effects, error covariance, EIV drivers.

Pure functions on pandas DataFrames; they import only numpy, pandas, scipy
and statsmodels, and nothing from ``smartcity_utils``, so they do not depend
on where the rest of the package keeps its tables.

Two layouts are used:

* *unit tables*: one row per unit (regency-year), one column per item
  (pillar scores, headline), as in ``regency_year``;
* *long scores*: one row per (unit, assessor, item) score, as in ``scores``
  filtered to ``level == "assessor"``. Functions that take long scores also
  accept the wide form (one row per unit and assessor, one column per item)
  when ``item_col`` is None and the items are named.

Nothing here gives a causal reading: a coefficient says how the headline is
associated with a pillar, holding the other pillars fixed, in these data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, optimize, sparse, stats

__all__ = [
    "LeniencyResult",
    "assessor_leniency",
    "assessor_rows",
    "cronbach_alpha",
    "eiv_drivers",
    "error_covariance",
    "icc",
    "omega_total",
    "pillar_mean_vs_dimensions",
    "pillar_structure",
    "split_panel_drivers",
]

ALL = "all"


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _require(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; have {list(frame.columns)}")


def _unit_codes(frame: pd.DataFrame, unit_cols: Sequence[str]) -> np.ndarray:
    return frame.groupby(list(unit_cols), sort=True, dropna=False).ngroup().to_numpy()


# ---------------------------------------------------------------------------
# 1. pillar structure: correlation, PCA, alpha, omega
# ---------------------------------------------------------------------------


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
    res = Factor(x, n_factor=1, method="ml").fit()
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
    items = _as_list(items)
    _require(frame, items + _as_list(by), "pillar_structure")
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
    _require(frame, pillars + dimensions + _as_list(by), "pillar_mean_vs_dimensions")
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


# ---------------------------------------------------------------------------
# 2. ICC(1) and ICC(k)
# ---------------------------------------------------------------------------


def _icc_oneway(values: np.ndarray, codes: np.ndarray, level: float) -> dict[str, float]:
    _, codes = np.unique(codes, return_inverse=True)
    n_i = np.bincount(codes).astype(float)
    g, n = len(n_i), float(n_i.sum())
    out = dict(n_units=g, n_ratings=int(n))
    nan_keys = ["k", "n0", "ms_between", "ms_within", "F", "df_between", "df_within",
                "icc1", "icc1_ci_low", "icc1_ci_high", "icck", "icck_ci_low", "icck_ci_high",
                "var_unit", "var_residual"]
    if g < 2 or n - g < 1:
        return {**out, **{k: np.nan for k in nan_keys}}
    sums = np.bincount(codes, weights=values)
    means = sums / n_i
    grand = values.mean()
    ssb = float(np.sum(n_i * (means - grand) ** 2))
    ssw = float(np.sum((values - means[codes]) ** 2))
    df1, df2 = g - 1, n - g
    msb, msw = ssb / df1, ssw / df2
    n0 = (n - np.sum(n_i**2) / n) / df1
    k = g / np.sum(1.0 / n_i)  # harmonic mean panel size
    icc1 = (msb - msw) / (msb + (n0 - 1) * msw)
    F = msb / msw if msw > 0 else np.inf
    tail = (1 - level) / 2
    f_lo = F / stats.f.ppf(1 - tail, df1, df2)
    f_hi = F * stats.f.ppf(1 - tail, df2, df1)

    def sb(r: float) -> float:  # Spearman-Brown step-up to k raters
        return k * r / (1 + (k - 1) * r)

    lo, hi = (f_lo - 1) / (f_lo + n0 - 1), (f_hi - 1) / (f_hi + n0 - 1)
    return {**out, "k": k, "n0": n0, "ms_between": msb, "ms_within": msw, "F": F,
            "df_between": df1, "df_within": df2, "icc1": icc1, "icc1_ci_low": lo,
            "icc1_ci_high": hi, "icck": sb(icc1), "icck_ci_low": sb(lo), "icck_ci_high": sb(hi),
            "var_unit": (msb - msw) / n0, "var_residual": msw}


def assessor_rows(scores: pd.DataFrame, average: bool = True) -> pd.DataFrame:
    """Assessor-level scores in long form with ``item`` (the pillar or dimension key).

    Args:
        scores: The processed ``scores`` table; only ``level == "assessor"``
            rows with an item and a score are used.
        average: Average duplicate rows, giving one row per regency-year,
            assessor and item (``regency_id, year, assessor, item, score``);
            ``False`` keeps every row with its index and columns.
    """
    rows = scores[scores["level"] == "assessor"].copy()
    rows["item"] = rows["pillar_key"].fillna(rows["dimension_key"])
    rows = rows.dropna(subset=["item", "score"])
    if not average:
        return rows
    return rows.groupby(["regency_id", "year", "assessor", "item"], as_index=False)["score"].mean()


def _rating_rows(scores_long: pd.DataFrame, unit_cols: str | Sequence[str], rater_col: str, value_col: str,
                 item_col: str | None, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Checks the columns of assessor-level ratings and returns the rows with a score (new index) and the unit columns."""
    unit_cols = _as_list(unit_cols)
    _require(scores_long, unit_cols + [rater_col, value_col] + _as_list(item_col), what)
    return scores_long.dropna(subset=[value_col]).reset_index(drop=True), unit_cols


def icc(
    scores_long: pd.DataFrame,
    unit_cols: str | Sequence[str],
    rater_col: str,
    value_col: str = "score",
    item_col: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimates the share of score variance that lies between units (ICC(1)) and the reliability of a panel mean (ICC(k)), per item.

    One-way random-effects model ``score = mu + u_unit + e`` (Shrout & Fleiss
    ICC(1,1) and ICC(1,k)): raters are treated as nested in units (each
    regency-year has its own panel), so rater leniency is part of ``e``;
    ``u`` and ``e`` independent normal, ``e`` homoscedastic, units independent.
    Estimator: one-way ANOVA. Unbalanced panels are handled with the
    unequal-size coefficient ``n0 = (N - sum n_i^2 / N) / (g - 1)`` in
    ICC(1) and its interval; ICC(k) is the Spearman-Brown step-up of ICC(1)
    to ``k`` = harmonic mean panel size (equals ``(MSB - MSW) / MSB`` when
    panels are balanced). Intervals are the exact F-based ones of Shrout &
    Fleiss / McGraw & Wong with ``F = MSB / MSW``; they are exact for balanced
    panels and approximate (using n0) for unbalanced ones. Pass
    assessor-level rows only (panel means would count as one rater).

    Args:
        scores_long: one row per (unit, rater[, item]) score.
        unit_cols: column(s) that identify a unit, e.g. ["regency_id", "year"].
        rater_col: rater column (only used to check for duplicates).
        value_col: score column.
        item_col: optional item column (e.g. pillar_key); one row of output per item.
        level: interval coverage.

    Returns:
        One row per item (``item`` = "all" when item_col is None) with n_units,
        n_ratings, k (harmonic mean panel size), n0, ms_between, ms_within, F,
        df_between, df_within, icc1, icc1_ci_low, icc1_ci_high, icck, icck_ci_low,
        icck_ci_high, var_unit, var_residual.
    """
    d, unit_cols = _rating_rows(scores_long, unit_cols, rater_col, value_col, item_col, "icc")
    keys = unit_cols + [rater_col] + _as_list(item_col)
    if d.duplicated(keys).any():
        raise ValueError(f"icc: several rows per {keys}; pass one score per rater, unit and item")
    parts = d.groupby(item_col, sort=True) if item_col else [(ALL, d)]
    rows = []
    for item, di in parts:
        res = _icc_oneway(di[value_col].to_numpy(float), _unit_codes(di, unit_cols), level)
        rows.append({"item": item, **res})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# 3. assessor leniency: crossed random effects
# ---------------------------------------------------------------------------


def _reml_crossed(y: np.ndarray, X: np.ndarray, Zs: list[sparse.csr_matrix],
                  se_component: int | None = None) -> dict[str, Any]:
    """REML fit of y = X b + sum_k Z_k u_k + e, u_k ~ N(0, s_k^2 I), e ~ N(0, s^2 I), with sparse matrices.

    Profiled REML on the relative standard deviations t_k = s_k / s through the
    scaled mixed-model equations M* = [[X'X, X'ZT], [TZ'X, A]] with
    A = TZ'ZT + I (T = diag(t_k)), for which -2 l_R = (n - p) log(y'Py / (n - p))
    + log|M*| + const. A is sparse (q = all levels of all terms, thousands
    once regency-year x item is in) and factorised with SuperLU
    (``scipy.sparse.linalg.splu``, symmetric mode, a fill-reducing ordering
    of A + A', pivots on the diagonal, which is safe for a positive definite A);
    the few fixed effects are eliminated through the Schur complement
    S = X'X - X'ZT A^-1 TZ'X, so |M*| = |A| |S|. Nothing n x n or q x q is
    ever dense. The prediction-error variances are computed for one term
    (``se_component``: the raters) only.
    """
    from scipy.sparse import linalg as splinalg

    n, p = X.shape
    Z = sparse.hstack(Zs, format="csc")
    sizes = [z.shape[1] for z in Zs]
    comp = np.repeat(np.arange(len(Zs)), sizes)
    XtX = X.T @ X
    ZtX = np.asarray(Z.T @ X)
    ZtZ = (Z.T @ Z).tocsc()
    Xty, Zty, yty = X.T @ y, np.asarray(Z.T @ y).ravel(), float(y @ y)
    q = ZtZ.shape[0]
    eye = sparse.identity(q, format="csc")

    def factor(theta: np.ndarray):
        t = theta[comp]
        T = sparse.diags(t)
        A = (T @ ZtZ @ T + eye).tocsc()
        lu = splinalg.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True})
        B = ZtX * t[:, None]  # T Z'X
        rhs = np.column_stack([B, Zty * t])
        sol = lu.solve(rhs)
        S = XtX - B.T @ sol[:, :p]
        c = Xty - B.T @ sol[:, p]
        return t, lu, B, sol, S, c

    def solve_all(theta: np.ndarray):
        t, lu, B, sol, S, c = factor(theta)
        cS = linalg.cho_factor(S, lower=True, check_finite=False)
        beta = linalg.cho_solve(cS, c, check_finite=False)
        ustar = sol[:, p] - sol[:, :p] @ beta  # A^-1 (TZ'y - B beta)
        ypy = yty - Xty @ beta - (Zty * t) @ ustar
        logdet = float(np.sum(np.log(np.abs(lu.U.diagonal())))) + 2 * float(np.sum(np.log(np.diag(cS[0]))))
        return t, lu, B, sol, cS, beta, ustar, ypy, logdet

    def objective(theta: np.ndarray) -> float:
        try:
            *_, ypy, logdet = solve_all(np.asarray(theta, float))
        except (RuntimeError, linalg.LinAlgError, ValueError):
            return 1e300
        return (n - p) * np.log(max(ypy, 1e-300) / (n - p)) + logdet

    start = np.full(len(Zs), 0.5)
    best = None
    for method in ("L-BFGS-B", "Powell"):
        res = optimize.minimize(objective, start, method=method, bounds=[(0.0, None)] * len(Zs))
        if best is None or res.fun < best.fun - 1e-9:
            best = res
        if res.success:
            break
    theta = np.asarray(best.x, float)
    t, lu, B, sol, cS, beta, ustar, ypy, _ = solve_all(theta)
    sigma2 = ypy / (n - p)
    S_inv = linalg.cho_solve(cS, np.eye(p))
    u = t * ustar
    pev = np.full(q, np.nan)
    if se_component is not None:
        idx = np.flatnonzero(comp == se_component)
        E = np.zeros((q, len(idx)))
        E[idx, np.arange(len(idx))] = 1.0
        Ainv_cols = lu.solve(E)  # A^-1 e_j
        G = sol[:, :p]  # A^-1 B
        # [M*^-1]_uu = A^-1 + A^-1 B S^-1 B' A^-1, diagonal entries of the chosen term.
        diag = Ainv_cols[idx, np.arange(len(idx))] + np.einsum("ij,jk,ik->i", G[idx], S_inv, G[idx])
        pev[idx] = sigma2 * t[idx] ** 2 * diag
    return {"theta": theta, "sigma2": float(sigma2), "beta": beta, "beta_cov": sigma2 * S_inv,
            "u": u, "u_se": np.sqrt(np.clip(pev, 0, None)), "comp": comp,
            "converged": bool(best.success), "message": str(best.message),
            "reml_criterion": float(best.fun), "n_evals": int(best.nfev)}


@dataclass
class LeniencyResult:
    """Result of :func:`assessor_leniency`.

    Attributes:
        variance_components: one row per component (unit, rater, residual, and
            any extra ones) with variance, sd and share of the total.
        leniency: one row per rater with the BLUP of its leniency (``b_rater``,
            in score points; positive = scores higher than the panel average,
            for the same unit) and its standard error, n_scores, n_units. With
            engine "reml" the SE is the prediction-error SE sqrt(Var(b_hat - b))
            from the mixed-model equations, which includes the uncertainty of
            the item means; with "statsmodels" it is MixedLM's conditional SD
            given the fixed effects (a few per cent smaller).
        fixed_effects: item means (mu_item) with standard errors.
        converged: whether the optimiser reported success.
        engine: "reml" (own sparse-crossproduct REML) or "statsmodels".
        details: optimiser message, REML criterion and the like.
    """

    variance_components: pd.DataFrame
    leniency: pd.DataFrame
    fixed_effects: pd.DataFrame
    converged: bool
    engine: str
    rater_col: str
    value_col: str
    details: dict[str, Any] = field(default_factory=dict)

    def adjust(self, scores_long: pd.DataFrame) -> pd.DataFrame:
        """Returns a copy of the scores with each rater's estimated leniency subtracted.

        Adds columns ``leniency`` (the rater's BLUP; 0, the prior mean, for a
        rater not in the fit) and ``<value_col>_adjusted`` = score - leniency.
        Assumes the leniency is the same for every item and unit, as in the model.
        """
        out = scores_long.copy()
        b = self.leniency.set_index("rater")["leniency"]
        out["leniency"] = out[self.rater_col].map(b).fillna(0.0).astype(float)
        out[f"{self.value_col}_adjusted"] = out[self.value_col] - out["leniency"]
        return out


_COMPONENTS = ("unit", "rater", "unit:rater", "unit:item", "rater:item")

#: Terms of the national leniency model: regency-year, assessor (leniency), assessor x regency-year (halo) and
#: regency-year x item (the true differences between one regency-year's pillars and dimensions).
LENIENCY_COMPONENTS = ("unit", "rater", "unit:rater", "unit:item")


def assessor_leniency(
    scores_long: pd.DataFrame,
    unit_cols: str | Sequence[str],
    rater_col: str,
    value_col: str = "score",
    item_col: str | None = None,
    components: Sequence[str] = ("unit", "rater"),
    engine: str = "reml",
) -> LeniencyResult:
    """Estimates each assessor's leniency (mean score offset for the same unit) and the unit, rater and residual variance components.

    Crossed random-effects model ``score = mu_item + u_unit + b_rater + e``
    with unit (regency-year) and rater (assessor) crossed, ``u``, ``b``, ``e``
    independent normal with constant variances, fitted by REML; the leniency
    of a rater is the BLUP of ``b_rater`` (shrunk towards 0 for raters with
    few scores). It assumes assessors are not assigned to regencies according
    to the regencies' true level (otherwise leniency and unit level are
    confounded) and the same leniency across items and years.

    Engines. ``engine="statsmodels"`` fits ``MixedLM`` with one group holding
    all rows and one ``vc_formula`` term per component (dense matrices: fine
    for a few hundred rows, minutes on the ~12,000 rows of the example). The
    default ``engine="reml"`` maximises the same REML likelihood with sparse
    matrices (:func:`_reml_crossed`: SuperLU on the random-effect block, the
    item means through the Schur complement), about 1.5 s on the example
    with four terms; tests check it agrees with MixedLM.

    ``components`` may add "unit:rater" (the assessor's halo within one
    regency-year, shared by its items), "unit:item" (the regency-year's true
    differences between its pillars and dimensions: without it they land in
    the residual, which then overstates one assessor's own noise) or
    "rater:item" (leniency that differs by item); with several items per unit
    and rater, adding "unit:rater" keeps the leniency standard errors from
    being too small. The national analysis fits unit, rater, unit:rater and
    unit:item (:data:`LENIENCY_COMPONENTS`).

    Args:
        scores_long: one row per (unit, rater[, item]) score, assessor level only.
        unit_cols: column(s) identifying a unit.
        rater_col: assessor column.
        value_col: score column.
        item_col: item column; item means are fixed effects (one mean if None).
        components: random-effect terms, from "unit", "rater", "unit:rater",
            "unit:item", "rater:item"; must include "rater".
        engine: "reml" or "statsmodels" (same model, dense; small data only).

    Returns:
        LeniencyResult with variance components, per-rater leniency BLUPs and
        prediction SEs, item means, convergence status and ``adjust``.
    """
    d, unit_cols = _rating_rows(scores_long, unit_cols, rater_col, value_col, item_col, "assessor_leniency")
    components = list(components)
    bad = [c for c in components if c not in _COMPONENTS]
    if bad or "rater" not in components:
        raise ValueError(f"components must include 'rater' and come from {_COMPONENTS}; got {components}")
    if item_col is None and any("item" in c for c in components):
        raise ValueError("item interactions need item_col")
    y = d[value_col].to_numpy(float)
    unit = _unit_codes(d, unit_cols)
    rater_levels, rater = np.unique(d[rater_col].astype(str).to_numpy(), return_inverse=True)
    # keep the original rater labels (not their str form) for the output
    label_of = dict(zip(d[rater_col].astype(str), d[rater_col]))
    if item_col is not None:
        item_levels, item = np.unique(d[item_col].astype(str).to_numpy(), return_inverse=True)
    else:
        item_levels, item = np.array([ALL]), np.zeros(len(d), int)

    codes = {"unit": unit, "rater": rater, "item": item}
    if engine == "statsmodels":
        return _leniency_statsmodels(d, y, codes, components, rater, rater_levels, label_of, unit, item,
                                     item_levels, rater_col, value_col)
    if engine != "reml":
        raise ValueError(f"engine must be 'reml' or 'statsmodels', got {engine!r}")

    Zs = []
    for c in components:
        key = _term_codes(codes, c)
        Zs.append(sparse.csr_matrix((np.ones(len(d)), (np.arange(len(d)), key)),
                                    shape=(len(d), key.max() + 1)))
    X = np.zeros((len(d), len(item_levels)))
    X[np.arange(len(d)), item] = 1.0
    fit = _reml_crossed(y, X, Zs, se_component=components.index("rater"))

    s2 = fit["sigma2"]
    var = {c: s2 * fit["theta"][i] ** 2 for i, c in enumerate(components)}
    var["residual"] = s2
    vc = _vc_frame(var)
    r_idx = components.index("rater")
    sel = fit["comp"] == r_idx
    len_df = _leniency_frame(d, rater, rater_levels, label_of, unit, fit["u"][sel], fit["u_se"][sel])
    fe = pd.DataFrame({"item": item_levels, "mean": fit["beta"],
                       "se": np.sqrt(np.diag(fit["beta_cov"]))})
    return LeniencyResult(vc, len_df, fe, fit["converged"], "reml", rater_col, value_col,
                          {k: fit[k] for k in ("message", "reml_criterion", "n_evals")})


def _vc_frame(var: Mapping[str, float]) -> pd.DataFrame:
    total = sum(var.values())
    return pd.DataFrame([{"component": k, "variance": float(v), "sd": float(np.sqrt(max(v, 0))),
                          "share": float(v / total) if total > 0 else np.nan}
                         for k, v in var.items()])


def _leniency_frame(d, rater, rater_levels, label_of, unit, blup, se) -> pd.DataFrame:
    n_scores = np.bincount(rater, minlength=len(rater_levels))
    n_units = pd.Series(unit).groupby(rater).nunique().reindex(range(len(rater_levels))).to_numpy()
    return pd.DataFrame({"rater": [label_of[r] for r in rater_levels], "leniency": blup,
                         "se": se, "n_scores": n_scores, "n_units": n_units})


def _leniency_statsmodels(d, y, codes, components, rater, rater_levels, label_of, unit, item, item_levels,
                          rater_col, value_col) -> LeniencyResult:
    """The same crossed model fitted by statsmodels ``MixedLM`` (one group, one variance component per term)."""
    import statsmodels.api as sm

    X = np.zeros((len(d), len(item_levels)))
    X[np.arange(len(d)), item] = 1.0
    m = pd.DataFrame({"y": y, "g": 1})
    vc = {}
    for c in components:
        key = c.replace(":", "_")
        m[key] = _term_codes(codes, c)
        vc[key] = f"0 + C({key})"
    model = sm.MixedLM.from_formula("y ~ 1", m, groups="g", re_formula="0", vc_formula=vc)
    model = sm.MixedLM(y, X, groups=m["g"], exog_vc=model.exog_vc)
    res = model.fit(reml=True)
    names = model.exog_vc.names
    fitted = {nm: float(v) for nm, v in zip(names, np.atleast_1d(res.vcomp))}
    var = {c: fitted[c.replace(":", "_")] for c in components}
    var["residual"] = float(res.scale)
    re = res.random_effects[1]
    re_cov = res.random_effects_cov[1]
    keys = [k for k in re.index if k.startswith("rater[")]
    # labels look like rater[C(rater)[3]]; recover the integer code
    order = np.argsort([int(k.rsplit("[", 1)[1].rstrip("]")) for k in keys])
    blup = re[keys].to_numpy()[order]
    se = np.sqrt(np.diag(re_cov.loc[keys, keys].to_numpy()))[order]
    len_df = _leniency_frame(d, rater, rater_levels, label_of, unit, blup, se)
    fe = pd.DataFrame({"item": item_levels, "mean": np.asarray(res.fe_params),
                       "se": np.asarray(res.bse_fe)})
    return LeniencyResult(_vc_frame(var), len_df, fe, bool(res.converged), "statsmodels",
                          rater_col, value_col, {"reml_criterion": float(-2 * res.llf)})


def _term_codes(codes: Mapping[str, np.ndarray], term: str) -> np.ndarray:
    """Level codes (0 .. L-1) of a term such as ``"unit:item"`` from the codes of its factors."""
    key = np.zeros(len(next(iter(codes.values()))), np.int64)
    for part in term.split(":"):
        key = key * (codes[part].max() + 1) + codes[part]
    return np.unique(key, return_inverse=True)[1]


# ---------------------------------------------------------------------------
# 4. error covariance of one assessor
# ---------------------------------------------------------------------------


def _wide_scores(
    scores_long: pd.DataFrame,
    unit_cols: Sequence[str],
    rater_col: str,
    items: Sequence[str],
    headline: str | Mapping[str, float] | None,
    item_col: str | None,
    value_col: str,
    headline_name: str,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (unit, rater) with the item columns and the assessor's headline."""
    items = list(items)
    need = list(items)
    if isinstance(headline, Mapping):
        need += [k for k in headline if k not in need]
    elif isinstance(headline, str) and headline not in need:
        need.append(headline)
    if item_col is None:
        _require(scores_long, list(unit_cols) + [rater_col] + need, "scores (wide)")
        wide = scores_long[list(unit_cols) + [rater_col] + need].copy()
        if wide.duplicated(list(unit_cols) + [rater_col]).any():
            raise ValueError("several rows per unit and rater in the wide scores")
    else:
        _require(scores_long, list(unit_cols) + [rater_col, item_col, value_col], "scores (long)")
        d = scores_long[scores_long[item_col].isin(need)]
        keys = list(unit_cols) + [rater_col, item_col]
        if d.duplicated(keys).any():
            raise ValueError(f"several scores per {keys}; pass assessor-level rows only")
        wide = d.pivot_table(index=list(unit_cols) + [rater_col], columns=item_col,
                             values=value_col, aggfunc="first").reset_index()
        wide.columns.name = None
        missing = [c for c in need if c not in wide.columns]
        if missing:
            raise KeyError(f"items {missing} not found in {item_col!r}")
    cols = list(items)
    if isinstance(headline, Mapping):
        w = pd.Series(headline, dtype=float)
        wide[headline_name] = wide[list(w.index)].to_numpy(float) @ w.to_numpy()
        cols.append(headline_name)
    elif isinstance(headline, str):
        cols.append(headline)
    return wide, cols


def error_covariance(
    scores_long: pd.DataFrame,
    unit_cols: str | Sequence[str],
    rater_col: str,
    items: Sequence[str],
    headline: str | Mapping[str, float] | None = None,
    item_col: str | None = None,
    value_col: str = "score",
    headline_name: str = "headline",
) -> pd.DataFrame:
    """Estimates the covariance matrix of one assessor's measurement error across the items and the assessor's own headline.

    Pooled within-panel covariance: for every unit with m >= 2 assessors
    scoring all items, the deviations of each assessor from the panel mean are
    cross-multiplied and summed, and the total is divided by sum(m - 1). This
    is unbiased for Sigma if each assessor's error vector (including its
    leniency) has mean zero, covariance Sigma in every unit and is independent
    of the other assessors' errors and of the true scores; the error
    covariance of a panel mean of m assessors is then Sigma / m. Units with a
    missing item for some assessor use only the complete assessors.

    Args:
        scores_long: assessor-level scores; long (one row per unit, rater and
            item, with ``item_col`` and ``value_col``) or wide (one row per unit
            and rater, item columns) when ``item_col`` is None.
        unit_cols: column(s) identifying a unit (regency-year).
        rater_col: assessor column.
        items: item names (e.g. the six pillar keys).
        headline: None; a column/item holding the assessor's headline; or a
            mapping {dimension item: weight} to compute it as the weighted sum
            of the assessor's own dimension scores (the mapping's items must be
            present). Per-year weights: compute the column beforehand.
        item_col: item column of the long layout, None for wide.
        value_col: score column of the long layout.
        headline_name: label of the computed headline (mapping case).

    Returns:
        Square DataFrame (items [+ headline]); ``attrs`` hold n_panels, df
        (sum of m - 1), n_assessor_rows and panel_sizes (Series per unit).
    """
    unit_cols = _as_list(unit_cols)
    wide, cols = _wide_scores(scores_long, unit_cols, rater_col, items, headline, item_col,
                              value_col, headline_name)
    wide = wide.dropna(subset=cols)
    x = wide[cols].to_numpy(float)
    codes = _unit_codes(wide, unit_cols)
    m = np.bincount(codes)
    keep = m[codes] >= 2
    x, codes = x[keep], codes[keep]
    _, codes = np.unique(codes, return_inverse=True)
    m = np.bincount(codes)
    if len(m) == 0:
        raise ValueError("error_covariance: no unit has two or more complete assessors")
    means = np.zeros((len(m), x.shape[1]))
    np.add.at(means, codes, x)
    means /= m[:, None]
    dev = x - means[codes]
    df = int(np.sum(m - 1))
    sigma = dev.T @ dev / df
    out = pd.DataFrame(sigma, index=cols, columns=cols)
    sizes = wide[keep].groupby(unit_cols).size()
    out.attrs.update(n_panels=int(len(m)), df=df, n_assessor_rows=int(len(x)),
                     panel_sizes=sizes)
    return out


# ---------------------------------------------------------------------------
# 5. errors-in-variables drivers
# ---------------------------------------------------------------------------


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
    """Estimates the linear association of the headline with each true (error-free) pillar score, holding the other pillars fixed, correcting for assessor measurement error.

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
    cols = (pillars + [target] + ([panel_size] if isinstance(panel_size, str) else []) + _as_list(cluster)
            + ([error_scale] if isinstance(error_scale, str) else []))
    _require(units, cols, "eiv_drivers")
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


# ---------------------------------------------------------------------------
# 6. split-panel drivers
# ---------------------------------------------------------------------------


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
    """Estimates the linear association of the headline with each true pillar score, holding the others fixed, from disjoint halves of each panel.

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
    unit_cols = _as_list(unit_cols)
    if cluster is not None and cluster not in unit_cols:
        raise ValueError("cluster must be one of unit_cols")
    wide, cols = _wide_scores(scores_long, unit_cols, rater_col, pillars, headline, item_col,
                              value_col, "headline")
    hname = cols[-1]
    sigma = error_covariance(wide, unit_cols, rater_col, list(pillars), headline=hname)
    wide = wide.dropna(subset=cols).reset_index(drop=True)
    codes = _unit_codes(wide, unit_cols)
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
