"""Linear regression of the headline on the pillars, with robust (HC3) errors and VIFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import (
    collinear_columns,
    fixed_effects,
    pillars_or_default,
    require_columns,
)
from smartcity_utils.errors import DriverInputError


def _check_rank(X: pd.DataFrame, pillars: list[str]) -> None:
    """Stops when the design is rank deficient, naming the columns involved.

    Raises:
        DriverInputError: some pillar is an exact linear combination of the
            others (and of the constant and fixed effects).
    """
    rank, involved = collinear_columns(X.to_numpy(float), list(X.columns))
    if rank == X.shape[1]:
        return
    involved = [c for c in involved if c in pillars]
    raise DriverInputError(
        f"the pillars are perfectly collinear: {', '.join(map(str, involved)) or 'several columns'} "
        f"are an exact linear combination of each other (rank {rank} of {X.shape[1]}); drop one of them "
        "or pass --pillars without it")


def ols_as_estimates(t: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    """A regression table on the scale of its raw slopes: ``pillar, estimate, ci_low, ci_high`` (and ``extra``).

    The raw coefficient and its interval (``coef, coef_ci_low,
    coef_ci_high``) become ``estimate, ci_low, ci_high``: the difference in
    the target per point of the pillar, the scale the notebook, the closing
    table and the reports show.
    """
    cols = ["pillar", "coef", "coef_ci_low", "coef_ci_high", *extra]
    return t[cols].set_axis(["pillar", "estimate", "ci_low", "ci_high", *extra], axis=1)


# 1. OLS with robust errors
# ---------------------------------------------------------------------------


@dataclass
class OLSResult:
    """Outcome of :func:`ols_drivers`.

    Attributes:
        table: One row per pillar (see :func:`ols_drivers`).
        r2: Model R-squared (including any year or cohort effects).
        specification: :func:`specification_test` of the fit.
        residual_sd: Standard deviation of the residuals (what rounding alone would give is compared with it).
        adj_r2: Adjusted R-squared.
        n: Number of rows used.
        fit: The statsmodels results object, for diagnostics.
    """

    table: pd.DataFrame
    r2: float
    adj_r2: float
    n: int
    fit: Any = field(repr=False, default=None)
    specification: dict[str, Any] = field(default_factory=dict)
    residual_sd: float = np.nan


def coefficient_table(method: str, pillars: list[str], coef: pd.Series, ci: pd.DataFrame,
                       scale: pd.Series, std_err: pd.Series, p_values: pd.Series, **extra: Any) -> pd.DataFrame:
    """One row per pillar: the raw slope and its interval, the standardised ones beside them, error, p-value.

    ``estimate, ci_low, ci_high`` are the raw slope (the difference in the
    target per point of the pillar), the quantity every text reports; the
    same numbers are in ``coef, coef_ci_low, coef_ci_high``. ``scale`` is
    ``sd(x) / sd(y)``: multiplying a slope and its interval by it gives the
    standardised coefficient (``std_estimate, std_ci_low, std_ci_high``).
    """
    return pd.DataFrame({
        "pillar": pillars,
        "method": method,
        "estimate": coef.to_numpy(),
        "ci_low": ci.loc[pillars, 0].to_numpy(),
        "ci_high": ci.loc[pillars, 1].to_numpy(),
        "coef": coef.to_numpy(),
        "coef_ci_low": ci.loc[pillars, 0].to_numpy(),
        "coef_ci_high": ci.loc[pillars, 1].to_numpy(),
        "std_estimate": (coef * scale).to_numpy(),
        "std_ci_low": (ci.loc[pillars, 0] * scale).to_numpy(),
        "std_ci_high": (ci.loc[pillars, 1] * scale).to_numpy(),
        "std_err": std_err.to_numpy(),
        "p_value": p_values.to_numpy(),
        **extra,
    })


#: Significance level of the specification test (RESET) below which the linear slopes are reported as a
#: linear summary of a relation that is not linear: the usual 5 %.
RESET_ALPHA = 0.05


def specification_test(fit: Any, cov_type: str = "HC3", cov_kwds: dict | None = None) -> dict[str, Any]:
    """Ramsey's RESET: do the squares and cubes of the fitted values add to the linear fit?

    ``statsmodels.stats.diagnostic.linear_reset`` (powers 2 and 3 of the
    fitted values, F test) with the regression's own robust covariance. A
    small p-value says the target is not linear in the pillars (a curved
    relation, an interaction): the slopes are then a linear summary, not the
    weights of a formula.

    Returns:
        ``{"reset_f", "reset_p", "linear"}`` (``linear``: p at or above :data:`RESET_ALPHA`).
    """
    from statsmodels.stats.diagnostic import linear_reset

    try:
        res = linear_reset(fit, power=3, test_type="fitted", use_f=True, cov_type=cov_type, cov_kwds=cov_kwds)
    except (ValueError, np.linalg.LinAlgError):
        return {"reset_f": np.nan, "reset_p": np.nan, "linear": True}
    p = float(np.squeeze(res.pvalue))
    return {"reset_f": float(np.squeeze(res.fvalue)), "reset_p": p, "linear": bool(not p < RESET_ALPHA)}


def ols_drivers(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    year_col: str | None = None,
    cohort_col: str | None = None,
    level: float = 0.95,
    cluster_col: str | None = None,
) -> OLSResult:
    """Regresses the target on the pillars with HC3 robust (or cluster-robust) standard errors.

    Estimand: the difference in the target per point of a pillar's observed
    (panel-mean) score, the other pillars held equal. It is the naive
    comparison of the driver analysis: when the same assessors score the
    pillars and the headline, their shared error biases it (see
    :mod:`smartcity_utils.analysis.drivers.lead`).

    Year and cohort enter as fixed effects (one dummy per level, first level
    dropped) so that a change of scoring rules between years does not load on
    the pillars. Its error as a driver estimate is bias, not too narrow an
    interval: its standard errors match the spread of its estimates over
    repeated samples, but the estimates centre on the wrong value (the shared
    assessor error; ``benchmarks/stress_drivers.py`` prints both).
    Standardised coefficients are ``beta * sd(x) / sd(y)`` over
    the estimation sample; their interval is the raw interval scaled the same
    way. Variance inflation factors are computed on the pillar design with a
    constant only, because the question they answer is whether the pillars
    themselves are collinear.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        year_col: Optional column for year fixed effects.
        cohort_col: Optional column for cohort fixed effects.
        level: Confidence level of the intervals.
        cluster_col: Optional column (regency) whose rows share one cluster:
            standard errors are then cluster-robust (repeated years of a
            regency are not independent evidence) instead of HC3.

    Returns:
        An :class:`OLSResult` whose ``table`` has the columns ``pillar,
        method ("ols"), estimate`` (raw slope, as every text reports it), ``ci_low,
        ci_high, coef, coef_ci_low, coef_ci_high`` (the same), ``std_estimate, std_ci_low,
        std_ci_high`` (standardised), ``std_err, p_value, vif,
        weight`` (raw coefficient divided by the sum of the raw pillar
        coefficients, i.e. the implied weight) and ``n, r2``.

    Raises:
        DriverInputError: If a column is missing or there are too few rows.
    """
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    pillars = pillars_or_default(pillars)
    extra = [c for c in (year_col, cohort_col) if c is not None]
    require_columns(df, [target, *pillars, *extra] + ([cluster_col] if cluster_col else []))
    data = df.loc[:, list(dict.fromkeys([target, *pillars, *extra] + ([cluster_col] if cluster_col else [])))].copy()
    num = data[[target, *pillars]].apply(pd.to_numeric, errors="raise").astype(float)
    keep = num.notna().all(axis=1)
    for col in extra + ([cluster_col] if cluster_col else []):
        keep &= data[col].notna()
    num, data = num[keep], data[keep]

    X = pd.concat([num[pillars], fixed_effects(data, extra)], axis=1)
    X = sm.add_constant(X, has_constant="add")
    y = num[target]
    if len(y) < X.shape[1] + 1:
        raise DriverInputError(
            f"OLS needs at least {X.shape[1] + 1} complete rows for "
            f"{X.shape[1]} parameters; there are {len(y)}"
        )
    _check_rank(X, pillars)
    if cluster_col and data[cluster_col].nunique() < len(data):
        codes = pd.factorize(data[cluster_col])[0]
        cov_type, cov_kwds = "cluster", {"groups": codes}
        errors = f"clustered by {cluster_col}"
    else:
        cov_type, cov_kwds = "HC3", None
        errors = "HC3"
    fit = sm.OLS(y, X).fit(cov_type=cov_type, cov_kwds=cov_kwds)
    ci = fit.conf_int(alpha=1.0 - level)

    sd_y = float(y.std(ddof=1))
    sd_x = num[pillars].std(ddof=1)
    scale = sd_x / sd_y if sd_y > 0 else sd_x * np.nan

    vif_design = sm.add_constant(num[pillars], has_constant="add").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        vifs = [float(variance_inflation_factor(vif_design, i + 1)) for i in range(len(pillars))]

    coef = fit.params[pillars]
    total = float(coef.sum())
    table = coefficient_table(
        "ols", pillars, coef, ci, scale, fit.bse[pillars], fit.pvalues[pillars],
        vif=vifs, weight=(coef / total).to_numpy() if total != 0 else np.nan,
        n=int(fit.nobs), r2=float(fit.rsquared), errors=errors,
    )
    table.attrs.update(r2=float(fit.rsquared), n=int(fit.nobs), fixed_effects=extra)
    return OLSResult(
        table=table, r2=float(fit.rsquared), adj_r2=float(fit.rsquared_adj),
        n=int(fit.nobs), fit=fit, specification=specification_test(fit, cov_type, cov_kwds),
        residual_sd=float(np.sqrt(np.mean(np.asarray(fit.resid) ** 2))),
    )
