"""Each assessor's leniency: crossed random effects (regency-year, assessor and their interactions), fitted
by sparse REML (the tests check it against statsmodels MixedLM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, sparse

from smartcity_utils.analysis.measurement.common import ALL, unit_codes
from smartcity_utils.analysis.measurement.reliability import rating_rows


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
            for the same unit) and its standard error, n_scores, n_units. The
            SE is the prediction-error SE sqrt(Var(b_hat - b)) from the
            mixed-model equations, which includes the uncertainty of the item
            means (MixedLM's conditional SD given the fixed effects is a few
            per cent smaller).
        fixed_effects: item means (mu_item) with standard errors.
        converged: whether the optimiser reported success.
        details: optimiser message, REML criterion and the like.
    """

    variance_components: pd.DataFrame
    leniency: pd.DataFrame
    fixed_effects: pd.DataFrame
    converged: bool
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
) -> LeniencyResult:
    """Estimates each assessor's leniency (mean score offset for the same unit) and the unit, rater and residual
    variance components.

    Crossed random-effects model ``score = mu_item + u_unit + b_rater + e``
    with unit (regency-year) and rater (assessor) crossed, ``u``, ``b``, ``e``
    independent normal with constant variances, fitted by REML; the leniency
    of a rater is the BLUP of ``b_rater`` (shrunk towards 0 for raters with
    few scores). It assumes assessors are not assigned to regencies according
    to the regencies' true level (otherwise leniency and unit level are
    confounded) and the same leniency across items and years.

    The REML likelihood is maximised with sparse matrices
    (:func:`_reml_crossed`: SuperLU on the random-effect block, the item
    means through the Schur complement), about 1.5 s on the example with four
    terms; tests check it agrees with statsmodels ``MixedLM`` (one group
    holding all rows and one variance component per term: dense matrices,
    minutes on the ~12,000 rows of the example).

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

    Returns:
        LeniencyResult with variance components, per-rater leniency BLUPs and
        prediction SEs, item means, convergence status and ``adjust``.
    """
    d, unit_cols = rating_rows(scores_long, unit_cols, rater_col, value_col, item_col, "assessor_leniency")
    components = list(components)
    bad = [c for c in components if c not in _COMPONENTS]
    if bad or "rater" not in components:
        raise ValueError(f"components must include 'rater' and come from {_COMPONENTS}; got {components}")
    if item_col is None and any("item" in c for c in components):
        raise ValueError("item interactions need item_col")
    y = d[value_col].to_numpy(float)
    unit = unit_codes(d, unit_cols)
    rater_levels, rater = np.unique(d[rater_col].astype(str).to_numpy(), return_inverse=True)
    # keep the original rater labels (not their str form) for the output
    label_of = dict(zip(d[rater_col].astype(str), d[rater_col]))
    if item_col is not None:
        item_levels, item = np.unique(d[item_col].astype(str).to_numpy(), return_inverse=True)
    else:
        item_levels, item = np.array([ALL]), np.zeros(len(d), int)

    codes = {"unit": unit, "rater": rater, "item": item}
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
    return LeniencyResult(vc, len_df, fe, fit["converged"], rater_col, value_col,
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


def _term_codes(codes: Mapping[str, np.ndarray], term: str) -> np.ndarray:
    """Level codes (0 .. L-1) of a term such as ``"unit:item"`` from the codes of its factors."""
    key = np.zeros(len(next(iter(codes.values()))), np.int64)
    for part in term.split(":"):
        key = key * (codes[part].max() + 1) + codes[part]
    return np.unique(key, return_inverse=True)[1]
