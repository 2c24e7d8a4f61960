"""Which pillars drive a composite index and its ranking.

Every public method takes one row per unit (for example a regency-year), a
target column (the composite score) and the pillar columns, and returns a
tidy table with one row per pillar and at least the columns
``pillar, method, estimate, ci_low, ci_high``, so that the tables of several
methods can be stacked with :func:`pandas.concat`. The methods follow the
JRC/OECD *Handbook on Constructing Composite Indicators* (2008) and the
JRC audits of composite indicators:

* :func:`ols_drivers`: standardised regression coefficients with HC3 errors
  and variance inflation factors.
* :func:`dominance_analysis`: exact general dominance (Shapley decomposition
  of R-squared), with bootstrap intervals.
* :func:`main_effects`: first-order sensitivity indices
  ``S_i = Var(E[y | x_i]) / Var(y)`` beside the weights, after Paruolo,
  Saisana and Saltelli (2013), "Ratings and rankings: voodoo or science?",
  *JRSS A* 176(3): a pillar's weight is not its importance.
* :func:`ordinal_rank_drivers` and :func:`spearman_rank_drivers`: what moves
  a unit between rank bands, and how each pillar's ranking agrees with the
  overall ranking.
* :func:`mixed_model_drivers`: a random intercept per regency, so that
  repeated years of one regency are not counted as independent evidence.
* :func:`leave_one_pillar_out`: how far each unit's rank moves when one
  pillar is dropped and the remaining weights are rescaled.
* :func:`driver_summary`: a closing table in plain words.

:func:`run_driver_analysis` runs all methods that the columns allow;
:func:`drivers_command` is the command-line entry.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.values import parse_number

#: Pillar keys of the evaluation, from smartcity_utils/data/pillars.csv.
DEFAULT_PILLARS: tuple[str, ...] = PILLAR_KEYS

#: Variance inflation factor above which a pillar is flagged as collinear.
VIF_THRESHOLD = 5.0


# Column names the CLI treats as identifiers or bookkeeping, never as pillars.
_ID_NAMES = frozenset(
    {"id", "no", "nomor", "name", "nama", "city", "kota", "regency", "kabupaten",
     "country", "province", "provinsi", "cohort", "stage", "index", "unnamed: 0"}
)
_YEAR_NAMES = ("year", "tahun")
_GROUP_NAMES = ("regency_id", "kode_wilayah", "region_id")
_RANK_NAMES = ("rank", "rank_reported", "ranking", "peringkat")


class DriverInputError(ValueError):
    """The table given to the driver analysis cannot be analysed as it is."""


class DriverConvergenceWarning(UserWarning):
    """A model fit in the driver analysis reported a convergence problem."""


def pillar_label(key: str) -> str:
    """Turns a pillar key into a readable label.

    Args:
        key: Column name such as ``"smart_governance"``.

    Returns:
        A title-cased label such as ``"Smart Governance"``.
    """
    return str(key).replace("_", " ").strip().title()


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _as_list(pillars: Sequence[str] | None) -> list[str]:
    if pillars is None:
        return list(DEFAULT_PILLARS)
    if isinstance(pillars, str):
        return [pillars]
    return list(pillars)


def _require_columns(df: pd.DataFrame, columns: Sequence[str], source: str = "table") -> None:
    available = [str(c) for c in df.columns]
    for col in columns:
        if col not in df.columns:
            raise DriverInputError(_missing_column_message(col, available, source))


def _missing_column_message(col: str, available: Sequence[str], source: str) -> str:
    lowered = {a.lower(): a for a in available}
    close = difflib.get_close_matches(str(col).lower(), list(lowered), n=1, cutoff=0.5)
    hint = f"; did you mean '{lowered[close[0]]}'?" if close else ""
    return (
        f"{source}: column '{col}' not found{hint} "
        f"(available columns: {', '.join(available)})"
    )


def _numeric_frame(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Returns the complete-case rows of ``columns`` as floats."""
    _require_columns(df, columns)
    out = df.loc[:, list(dict.fromkeys(columns))]
    out = out.apply(pd.to_numeric, errors="raise").astype(float).dropna()
    return out


def _percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval per column, ignoring failed replicates."""
    alpha = (1.0 - level) / 2.0
    draws = np.asarray(draws, dtype=float)
    if draws.size == 0 or np.all(np.isnan(draws)):
        nan = np.full(draws.shape[1] if draws.ndim == 2 else 1, np.nan)
        return nan, nan.copy()
    with warnings.catch_warnings():
        # A column whose replicates all failed gives NaN, which is the answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(draws, alpha, axis=0)
        high = np.nanquantile(draws, 1.0 - alpha, axis=0)
    return low, high


def _rank_desc(values: pd.Series | np.ndarray) -> np.ndarray:
    """Rank 1 for the highest value; ties share the better rank."""
    return pd.Series(np.asarray(values, dtype=float)).rank(
        method="min", ascending=False
    ).to_numpy()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------------------
# 1. OLS with robust errors
# ---------------------------------------------------------------------------


@dataclass
class OLSResult:
    """Outcome of :func:`ols_drivers`.

    Attributes:
        table: One row per pillar (see :func:`ols_drivers`).
        r2: Model R-squared (including any year or cohort effects).
        adj_r2: Adjusted R-squared.
        n: Number of rows used.
        fit: The statsmodels results object, for diagnostics.
    """

    table: pd.DataFrame
    r2: float
    adj_r2: float
    n: int
    fit: Any = field(repr=False, default=None)


def _coefficient_table(method: str, pillars: list[str], coef: pd.Series, ci: pd.DataFrame,
                       scale: pd.Series, std_err: pd.Series, p_values: pd.Series, **extra: Any) -> pd.DataFrame:
    """One row per pillar: standardised estimate and interval, raw coefficient, error, p-value.

    ``scale`` is ``sd(x) / sd(y)``: multiplying a slope and its interval by it
    gives the standardised coefficient.
    """
    return pd.DataFrame({
        "pillar": pillars,
        "method": method,
        "estimate": (coef * scale).to_numpy(),
        "ci_low": (ci.loc[pillars, 0] * scale).to_numpy(),
        "ci_high": (ci.loc[pillars, 1] * scale).to_numpy(),
        "coef": coef.to_numpy(),
        "coef_ci_low": ci.loc[pillars, 0].to_numpy(),
        "coef_ci_high": ci.loc[pillars, 1].to_numpy(),
        "std_err": std_err.to_numpy(),
        "p_value": p_values.to_numpy(),
        **extra,
    })


def ols_drivers(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    year_col: str | None = None,
    cohort_col: str | None = None,
    level: float = 0.95,
) -> OLSResult:
    """Regresses the target on the pillars with HC3 robust standard errors.

    Year and cohort enter as fixed effects (one dummy per level, first level
    dropped) so that a change of scoring rules between years does not load on
    the pillars. Standardised coefficients are ``beta * sd(x) / sd(y)`` over
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

    Returns:
        An :class:`OLSResult` whose ``table`` has the columns ``pillar,
        method ("ols"), estimate`` (standardised coefficient), ``ci_low,
        ci_high, coef, coef_ci_low, coef_ci_high, std_err, p_value, vif,
        weight`` (raw coefficient divided by the sum of the raw pillar
        coefficients, i.e. the implied weight) and ``n, r2``.

    Raises:
        DriverInputError: If a column is missing or there are too few rows.
    """
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    pillars = _as_list(pillars)
    extra = [c for c in (year_col, cohort_col) if c is not None]
    _require_columns(df, [target, *pillars, *extra])
    data = df.loc[:, list(dict.fromkeys([target, *pillars, *extra]))].copy()
    num = data[[target, *pillars]].apply(pd.to_numeric, errors="raise").astype(float)
    keep = num.notna().all(axis=1)
    for col in extra:
        keep &= data[col].notna()
    num, data = num[keep], data[keep]

    X = num[pillars].copy()
    for col in extra:
        dummies = pd.get_dummies(
            data[col].astype(str), prefix=col, drop_first=True, dtype=float
        )
        X = pd.concat([X, dummies], axis=1)
    X = sm.add_constant(X, has_constant="add")
    y = num[target]
    if len(y) < X.shape[1] + 1:
        raise DriverInputError(
            f"OLS needs at least {X.shape[1] + 1} complete rows for "
            f"{X.shape[1]} parameters; there are {len(y)}"
        )
    fit = sm.OLS(y, X).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1.0 - level)

    sd_y = float(y.std(ddof=1))
    sd_x = num[pillars].std(ddof=1)
    scale = sd_x / sd_y if sd_y > 0 else sd_x * np.nan

    vif_design = sm.add_constant(num[pillars], has_constant="add").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        vifs = [float(variance_inflation_factor(vif_design, i + 1)) for i in range(len(pillars))]

    coef = fit.params[pillars]
    total = float(coef.sum())
    table = _coefficient_table(
        "ols", pillars, coef, ci, scale, fit.bse[pillars], fit.pvalues[pillars],
        vif=vifs, weight=(coef / total).to_numpy() if total != 0 else np.nan,
        n=int(fit.nobs), r2=float(fit.rsquared),
    )
    table.attrs.update(r2=float(fit.rsquared), n=int(fit.nobs), fixed_effects=extra)
    return OLSResult(
        table=table, r2=float(fit.rsquared), adj_r2=float(fit.rsquared_adj),
        n=int(fit.nobs), fit=fit,
    )


# ---------------------------------------------------------------------------
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


def dominance_analysis(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Exact general dominance of each pillar (Budescu 1993; Azen and Budescu 2003).

    A pillar's general dominance weight is its average increase in R-squared
    over all subsets of the other pillars, weighting each subset size
    equally, which is the Shapley value of the R-squared "game". The weights
    sum to the full model's R-squared exactly, so unlike standardised
    coefficients they share variance between collinear pillars instead of
    assigning it arbitrarily. All 2^p subset R-squared values come from the
    correlation matrix; the bootstrap resamples rows and recomputes them.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        n_boot: Bootstrap replicates for percentile intervals (0 for none).
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("dominance"), estimate``
        (share of R-squared), ``ci_low, ci_high, share_of_r2`` (estimate / full
        R-squared), ``share_ci_low, share_ci_high, r2_alone`` (R-squared of
        the pillar on its own), ``r2_full, n, n_boot_ok``.

    Raises:
        DriverInputError: If a column is missing, there are too few rows, or a
            column has no variance.
        RuntimeError: If the shares fail to add up to the full R-squared.
    """
    pillars = _as_list(pillars)
    if len(pillars) > 15:
        raise DriverInputError(
            f"dominance analysis enumerates 2^p subsets; {len(pillars)} pillars is too many"
        )
    data = _numeric_frame(df, [*pillars, target])
    values = data.to_numpy()
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

    draws = np.full((max(n_boot, 0), p), np.nan)
    frac_draws = np.full((max(n_boot, 0), p), np.nan)
    rng = np.random.default_rng(seed)
    for b in range(max(n_boot, 0)):
        sample = values[rng.integers(0, n, n)]
        s, r2b, _ = _dominance_shares(sample)
        draws[b] = s
        if np.isfinite(r2b) and r2b > 0:
            frac_draws[b] = s / r2b
    low, high = _percentile_ci(draws, level)
    flow, fhigh = _percentile_ci(frac_draws, level)
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
            "r2_full": r2_full,
            "n": n,
            "n_boot_ok": int(np.isfinite(draws).all(axis=1).sum()),
        }
    )
    table.attrs.update(r2=r2_full, n=n)
    return table


# ---------------------------------------------------------------------------
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
            "weight_rank": _rank_desc(w),
            "importance_rank": _rank_desc(np.nan_to_num(s, nan=-np.inf)),
            "frac": frac,
            "n": n,
        }
    )
    table.attrs.update(n=n, frac=frac)
    return table


# ---------------------------------------------------------------------------
# 4. Rank-based methods
# ---------------------------------------------------------------------------


def rank_bands(
    ranks: pd.Series, top: int = 10, bottom: int | None = None, groups: pd.Series | None = None
) -> pd.Series:
    """Assigns each unit to the bottom, middle or top band of a ranking.

    Args:
        ranks: Ranks, 1 is best.
        top: Units with rank <= ``top`` form the top band.
        bottom: Size of the bottom band (the ``bottom`` worst ranks in each
            group); defaults to ``top``.
        groups: Optional grouping (e.g. year): bands are formed within groups.

    Returns:
        An ordered categorical with categories ``bottom < middle < top``.
    """
    bottom = top if bottom is None else bottom
    ranks = pd.to_numeric(ranks, errors="raise").astype(float)
    if groups is None:
        worst = pd.Series(ranks.max(), index=ranks.index)
    else:
        worst = ranks.groupby(groups).transform("max")
    band = np.where(ranks <= top, "top", np.where(ranks > worst - bottom, "bottom", "middle"))
    return pd.Series(
        pd.Categorical(band, categories=["bottom", "middle", "top"], ordered=True),
        index=ranks.index,
    )


def ordinal_rank_drivers(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    rank_col: str = "rank",
    top: int = 10,
    bottom: int | None = None,
    group_col: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Ordinal logit of the rank band on the standardised pillars.

    The band (bottom < middle < top, see :func:`rank_bands`) is modelled with
    statsmodels' ``OrderedModel`` (logit link, no constant: the thresholds
    play its role). Pillars are standardised, so a coefficient is the change
    in the log-odds of a better band per standard deviation of the pillar;
    positive means a higher pillar score goes with a better band.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        rank_col: Column holding the rank (1 is best).
        top: Size of the top band.
        bottom: Size of the bottom band; defaults to ``top``.
        group_col: Optional column (e.g. year) within which bands are formed.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("ordinal_logit"), estimate``
        (log-odds per sd), ``ci_low, ci_high, std_err, p_value, odds_ratio,
        converged, n, bands`` (counts per band as text).

    Raises:
        DriverInputError: If a column is missing or fewer than two bands
            are populated.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    pillars = _as_list(pillars)
    cols = [*pillars, rank_col] + ([group_col] if group_col else [])
    _require_columns(df, cols)
    data = df.loc[:, list(dict.fromkeys(cols))].copy()
    data[[*pillars, rank_col]] = data[[*pillars, rank_col]].apply(pd.to_numeric, errors="raise")
    data = data.dropna()
    band = rank_bands(data[rank_col], top=top, bottom=bottom,
                      groups=data[group_col] if group_col else None)
    counts = band.value_counts().reindex(["bottom", "middle", "top"]).fillna(0).astype(int)
    if (counts > 0).sum() < 2:
        raise DriverInputError(
            f"ordinal logit needs at least two populated rank bands; got {counts.to_dict()}"
        )
    band = band.cat.remove_unused_categories()
    X = data[pillars].astype(float)
    sd = X.std(ddof=1)
    if (sd <= 0).any():
        raise DriverInputError(
            f"column '{sd[sd <= 0].index[0]}' is constant; it cannot enter the ordinal logit"
        )
    Z = (X - X.mean()) / sd
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = OrderedModel(band, Z, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, Warning)
                       and "converge" in str(w.message).lower()})
    converged = bool(res.mle_retvals.get("converged", False))
    ci = res.conf_int(alpha=1.0 - level)
    coef = res.params[pillars]
    table = pd.DataFrame(
        {
            "pillar": pillars,
            "method": "ordinal_logit",
            "estimate": coef.to_numpy(),
            "ci_low": ci.loc[pillars, 0].to_numpy(),
            "ci_high": ci.loc[pillars, 1].to_numpy(),
            "std_err": res.bse[pillars].to_numpy(),
            "p_value": res.pvalues[pillars].to_numpy(),
            "odds_ratio": np.exp(coef.to_numpy()),
            "converged": converged,
            "warnings": "; ".join(messages),
            "n": len(data),
            "bands": ", ".join(f"{k}={v}" for k, v in counts.items()),
        }
    )
    if messages or not converged:
        warnings.warn(
            f"ordinal logit: converged={converged}; {'; '.join(messages) or 'no message'}",
            DriverConvergenceWarning, stacklevel=2,
        )
    table.attrs.update(n=len(data), converged=converged)
    return table


def spearman_rank_drivers(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    rank_col: str = "rank",
    ci: str = "fisher",
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Spearman correlation of each pillar's ranking with the overall ranking.

    Each pillar is ranked with rank 1 for its highest score, so a positive
    correlation means units that rank well on the pillar rank well overall.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        rank_col: Column holding the overall rank (1 is best).
        ci: ``"fisher"`` for a Fisher-z interval with the Fieller, Hartley and
            Pearson (1957) standard error ``sqrt(1.06 / (n - 3))``, or
            ``"bootstrap"`` for a percentile bootstrap over rows.
        n_boot: Bootstrap replicates when ``ci="bootstrap"``.
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("spearman"), estimate,
        ci_low, ci_high, p_value, n``.

    Raises:
        DriverInputError: If a column is missing or there are fewer than four rows.
    """
    pillars = _as_list(pillars)
    data = _numeric_frame(df, [*pillars, rank_col])
    n = len(data)
    if n < 4:
        raise DriverInputError(f"Spearman intervals need at least 4 rows; there are {n}")
    if ci not in ("fisher", "bootstrap"):
        raise DriverInputError(f"ci must be 'fisher' or 'bootstrap', got {ci!r}")
    overall = -data[rank_col].to_numpy()
    z_crit = stats.norm.ppf(0.5 + level / 2.0)
    rows = []
    rng = np.random.default_rng(seed)
    for p in pillars:
        x = data[p].to_numpy()
        rho, pval = stats.spearmanr(x, overall)
        if ci == "fisher":
            half = z_crit * math.sqrt(1.06 / (n - 3))
            z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
            low, high = float(np.tanh(z - half)), float(np.tanh(z + half))
        else:
            boots = np.full(n_boot, np.nan)
            for b in range(n_boot):
                idx = rng.integers(0, n, n)
                with warnings.catch_warnings():
                    # A constant resample gives NaN, which the interval skips.
                    warnings.simplefilter("ignore")
                    boots[b] = stats.spearmanr(x[idx], overall[idx])[0]
            lo, hi = _percentile_ci(boots[:, None], level)
            low, high = float(lo[0]), float(hi[0])
        rows.append({"pillar": p, "method": "spearman", "estimate": float(rho),
                     "ci_low": low, "ci_high": high, "p_value": float(pval), "n": n})
    table = pd.DataFrame(rows)
    table.attrs.update(n=n)
    return table


# ---------------------------------------------------------------------------
# 5. Mixed model
# ---------------------------------------------------------------------------

_MIXED_OPTIMIZERS = ("lbfgs", "powell", "nm")


def mixed_model_drivers(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    group_col: str = "regency_id",
    year_col: str | None = "year",
    level: float = 0.95,
) -> pd.DataFrame:
    """Linear mixed model with a random intercept per group.

    Repeated years of one regency share unobserved traits; a random
    intercept keeps them from counting as independent evidence. Optimisers
    are tried in the order lbfgs, powell, nm; the first fit that converges
    without a convergence warning is kept, otherwise the first that
    converged, otherwise the last attempt. Every warning raised by the fit
    is recorded in the ``warnings`` column and re-issued as a
    :class:`DriverConvergenceWarning`, so a boundary solution (zero group
    variance) or a failed fit is visible.

    Args:
        df: One row per unit-year.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        group_col: Column identifying the group (regency).
        year_col: Optional column for year fixed effects; ``None`` or an
            absent column means no year effects.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("mixed"), estimate``
        (standardised coefficient), ``ci_low, ci_high, coef, coef_ci_low,
        coef_ci_high, std_err, p_value, converged, optimizer, warnings,
        group_var, n, n_groups``.

    Raises:
        DriverInputError: If a column is missing or there are too few rows.
    """
    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import MixedLM

    pillars = _as_list(pillars)
    use_year = year_col is not None and year_col in df.columns
    cols = [target, *pillars, group_col] + ([year_col] if use_year else [])
    _require_columns(df, cols)
    data = df.loc[:, list(dict.fromkeys(cols))].copy()
    data[[target, *pillars]] = data[[target, *pillars]].apply(pd.to_numeric, errors="raise")
    data = data.dropna()
    X = data[pillars].astype(float)
    if use_year:
        X = pd.concat(
            [X, pd.get_dummies(data[year_col].astype(str), prefix=year_col,
                               drop_first=True, dtype=float)], axis=1)
    X = sm.add_constant(X, has_constant="add")
    y = data[target].astype(float)
    if len(y) < X.shape[1] + 2:
        raise DriverInputError(
            f"mixed model needs at least {X.shape[1] + 2} complete rows; there are {len(y)}"
        )
    groups = data[group_col].astype(str).to_numpy()
    model = MixedLM(y, X, groups=groups)

    attempts: list[tuple[str, Any, list[str]]] = []
    for method in _MIXED_OPTIMIZERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                attempts.append((method, None, [f"{method}: {type(exc).__name__}: {exc}"]))
                continue
        msgs = [f"{method}: {w.message}" for w in caught
                if "converg" in type(w.message).__name__.lower()
                or "converg" in str(w.message).lower()
                or "singular" in str(w.message).lower()
                or "boundary" in str(w.message).lower()]
        attempts.append((method, res, list(dict.fromkeys(msgs))))
        if res.converged and not msgs:
            break

    chosen = next((a for a in attempts if a[1] is not None and a[1].converged and not a[2]), None)
    if chosen is None:
        chosen = next((a for a in attempts if a[1] is not None and a[1].converged), None)
    if chosen is None:
        chosen = next((a for a in reversed(attempts) if a[1] is not None), None)
    all_msgs = [m for a in attempts for m in a[2]]
    if chosen is None:
        raise DriverInputError(
            "mixed model could not be fitted with any optimiser: " + "; ".join(all_msgs)
        )
    method, res, _ = chosen
    if all_msgs:
        warnings.warn(
            f"mixed model ({method} kept, converged={bool(res.converged)}): "
            + "; ".join(all_msgs), DriverConvergenceWarning, stacklevel=2,
        )
    ci = res.conf_int(alpha=1.0 - level)
    coef = res.fe_params[pillars]
    sd_y = float(y.std(ddof=1))
    scale = data[pillars].astype(float).std(ddof=1) / sd_y
    group_var = float(np.asarray(res.cov_re)[0, 0]) if res.cov_re.size else np.nan
    table = _coefficient_table(
        "mixed", pillars, coef, ci, scale, res.bse_fe[pillars], res.pvalues[pillars],
        converged=bool(res.converged), optimizer=method, warnings="; ".join(all_msgs),
        group_var=group_var, n=len(y), n_groups=int(pd.Series(groups).nunique()),
    )
    table.attrs.update(converged=bool(res.converged), optimizer=method,
                       warnings=all_msgs, n=len(y))
    return table


# ---------------------------------------------------------------------------
# 6. Leave one pillar out
# ---------------------------------------------------------------------------


@dataclass
class LeaveOneOutResult:
    """Outcome of :func:`leave_one_pillar_out`.

    Attributes:
        table: One row per pillar: ``pillar, method ("leave_one_out"),
            estimate`` (mean absolute rank shift), ``ci_low, ci_high`` (NaN:
            the recomputation is deterministic), ``mean_abs_shift,
            max_abs_shift, share_moved, weight, n``.
        shifts: One row per unit and dropped pillar: ``unit, group, pillar,
            rank_base, rank_without, shift`` (positive = the unit falls).
    """

    table: pd.DataFrame
    shifts: pd.DataFrame


def _group_rank(values: pd.Series, groups: pd.Series | None) -> pd.Series:
    if groups is None:
        return values.rank(method="min", ascending=False)
    return values.groupby(groups).rank(method="min", ascending=False)


def leave_one_pillar_out(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
) -> LeaveOneOutResult:
    """Rank shifts when each pillar in turn is dropped from the composite.

    The composite is the weighted sum of the pillars with the weights scaled
    to sum 1. Dropping a pillar rescales the remaining weights to sum 1 (the
    JRC practice, so the composite stays on the same scale), and units are
    re-ranked: highest composite = rank 1, ties share the better rank
    ("min"). Ranks are formed within ``group_col`` (e.g. year) when given.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        weights: Weights as a mapping or a sequence in pillar order; equal
            weights by default.
        id_col: Column naming the units in ``shifts``; the row label otherwise.
        group_col: Optional column within which units are ranked.

    Returns:
        A :class:`LeaveOneOutResult`.

    Raises:
        DriverInputError: If a column is missing, the weights do not match
            the pillars, or dropping a pillar leaves weights summing to zero.
    """
    pillars = _as_list(pillars)
    extra = [c for c in (id_col, group_col) if c is not None]
    _require_columns(df, [*pillars, *extra])
    if weights is None:
        w = pd.Series(1.0, index=pillars)
    elif isinstance(weights, Mapping):
        missing = [p for p in pillars if p not in weights]
        if missing:
            raise DriverInputError(f"weights lack pillar(s): {', '.join(missing)}")
        w = pd.Series({p: float(weights[p]) for p in pillars})
    else:
        vals = np.asarray(list(weights), dtype=float)
        if vals.shape != (len(pillars),):
            raise DriverInputError(f"{len(vals)} weights given for {len(pillars)} pillars")
        w = pd.Series(vals, index=pillars)
    if w.sum() == 0:
        raise DriverInputError("weights sum to zero")
    w = w / w.sum()

    data = df.loc[:, list(dict.fromkeys([*pillars, *extra]))].copy()
    data[pillars] = data[pillars].apply(pd.to_numeric, errors="raise").astype(float)
    data = data.dropna(subset=pillars)
    groups = data[group_col] if group_col else None
    units = data[id_col] if id_col else pd.Series(data.index, index=data.index)
    base = _group_rank(data[pillars] @ w, groups)

    summary, long = [], []
    for p in pillars:
        rest = w.drop(p)
        if rest.sum() == 0:
            raise DriverInputError(f"dropping '{p}' leaves weights that sum to zero")
        rest = rest / rest.sum()
        without = _group_rank(data[rest.index] @ rest, groups)
        shift = without - base
        long.append(pd.DataFrame({
            "unit": units.to_numpy(),
            "group": groups.to_numpy() if groups is not None else np.nan,
            "pillar": p,
            "rank_base": base.to_numpy(),
            "rank_without": without.to_numpy(),
            "shift": shift.to_numpy(),
        }))
        abs_shift = shift.abs()
        summary.append({
            "pillar": p, "method": "leave_one_out",
            "estimate": float(abs_shift.mean()), "ci_low": np.nan, "ci_high": np.nan,
            "mean_abs_shift": float(abs_shift.mean()),
            "max_abs_shift": float(abs_shift.max()),
            "share_moved": float((abs_shift > 0).mean()),
            "weight": float(w[p]),
            "n": len(data),
        })
    shifts = pd.concat(long, ignore_index=True)
    if groups is None:
        shifts = shifts.drop(columns="group")
    return LeaveOneOutResult(table=pd.DataFrame(summary), shifts=shifts)


# ---------------------------------------------------------------------------
# 7. Summary in plain words
# ---------------------------------------------------------------------------

_METHOD_LABELS = {
    "ols": "OLS",
    "dominance": "dominance",
    "main_effect": "main effect",
    "ordinal_logit": "ordinal logit",
    "spearman": "Spearman",
    "mixed": "mixed model",
    "leave_one_out": "leave-one-out",
}
# Methods whose estimate is signed: importance is its magnitude.
_SIGNED = {"ols", "ordinal_logit", "spearman", "mixed"}


def _per_pillar_tables(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, value in results.items():
        table = getattr(value, "table", value)
        if not isinstance(table, pd.DataFrame):
            continue
        if not {"pillar", "method", "estimate"} <= set(table.columns):
            continue
        if table["pillar"].duplicated().any():
            continue
        method = str(table["method"].iloc[0]) if len(table) else name
        tables[method] = table
    return tables


def driver_summary(results: Mapping[str, Any]) -> pd.DataFrame:
    """Closing table: per pillar, its importance rank under each method.

    A pillar's importance under a method is the magnitude of its estimate
    (standardised coefficient, R-squared share, ``S_i``, log-odds,
    correlation or mean rank shift); rank 1 is most important. The
    consensus rank orders pillars by their mean rank over methods. The
    ``statement`` column says in words how often the pillar comes first and
    how often its interval excludes zero; ``disagreement`` says where the
    methods' ranks spread by two or more places and gives the likely reasons
    (collinearity, weight vs importance, a negative coefficient).

    Args:
        results: Mapping of method name to per-pillar table (or an object
            with a ``table`` attribute), as returned by the methods in this
            module; other entries are ignored.

    Returns:
        One row per pillar with ``pillar, label, rank_<method>...,
        n_methods, mean_rank, consensus_rank, n_top, n_interval,
        n_excludes_zero, statement, disagreement``, sorted by consensus rank.

    Raises:
        DriverInputError: If no per-pillar table is found.
    """
    tables = _per_pillar_tables(results)
    if not tables:
        raise DriverInputError("driver_summary: no per-pillar result table given")
    pillars = list(dict.fromkeys(p for t in tables.values() for p in t["pillar"]))
    ranks = pd.DataFrame(index=pillars)
    excl = pd.DataFrame(index=pillars, dtype=object)
    for method, t in tables.items():
        est = t.set_index("pillar")["estimate"].astype(float)
        imp = est.abs() if method in _SIGNED else est
        ranks[method] = imp.reindex(pillars).rank(method="min", ascending=False)
        if {"ci_low", "ci_high"} <= set(t.columns):
            lo = t.set_index("pillar")["ci_low"].astype(float).reindex(pillars)
            hi = t.set_index("pillar")["ci_high"].astype(float).reindex(pillars)
            has = lo.notna() & hi.notna()
            ex = ((lo > 0) | (hi < 0)).where(has)
            excl[method] = ex
    mean_rank = ranks.mean(axis=1, skipna=True)
    consensus = mean_rank.rank(method="min")
    n_methods = ranks.notna().sum(axis=1)
    n_top = (ranks == 1).sum(axis=1)
    n_interval = excl.notna().sum(axis=1) if not excl.empty else pd.Series(0, index=pillars)
    n_excl = (excl == True).sum(axis=1) if not excl.empty else pd.Series(0, index=pillars)  # noqa: E712

    ols = tables.get("ols")
    me = tables.get("main_effect")
    rows = []
    for p in pillars:
        label = pillar_label(p)
        k, m = int(n_top[p]), int(n_methods[p])
        ci_part = (f"interval excludes zero under {int(n_excl[p])} of {int(n_interval[p])}"
                   if n_interval[p] else "no intervals")
        if consensus[p] == 1:
            statement = (f"{label} drives the ranking most under {k} of {m} methods "
                         f"({ci_part}).")
        else:
            first = f"first under {k} of {m} methods" if k else f"first under none of {m} methods"
            statement = (f"{label} ranks {_ordinal(int(consensus[p]))} by consensus "
                         f"(mean rank {mean_rank[p]:.1f}); {first} ({ci_part}).")
        reasons = []
        r = ranks.loc[p].dropna()
        spread = (r.max() - r.min()) if len(r) else 0
        if ols is not None:
            o = ols.set_index("pillar")
            if "vif" in o.columns and p in o.index and o.at[p, "vif"] > VIF_THRESHOLD:
                reasons.append(
                    f"collinear with other pillars (VIF {o.at[p, 'vif']:.1f} > "
                    f"{VIF_THRESHOLD:g}): OLS splits shared variance arbitrarily, "
                    "dominance shares it")
            if p in o.index and o.at[p, "estimate"] < 0 and ranks.at[p, "ols"] <= 2:
                reasons.append("negative OLS coefficient: a suppression effect of correlated pillars")
        if me is not None and "weight" in me.columns:
            e = me.set_index("pillar")
            if p in e.index and abs(e.at[p, "weight_rank"] - e.at[p, "importance_rank"]) >= 2:
                reasons.append(
                    f"weight vs importance: its "
                    f"{'nominal' if e.at[p, 'weight_source'] == 'nominal' else 'OLS-implied'} weight "
                    f"{e.at[p, 'weight']:.2f} ranks {int(e.at[p, 'weight_rank'])} but its "
                    f"main effect ranks {int(e.at[p, 'importance_rank'])}")
        if spread >= 2:
            lo_m = ", ".join(_METHOD_LABELS.get(x, x) for x in r.index[r == r.min()])
            hi_m = ", ".join(_METHOD_LABELS.get(x, x) for x in r.index[r == r.max()])
            dis = (f"methods disagree: rank {int(r.min())} under {lo_m}, "
                   f"{int(r.max())} under {hi_m}")
            if "leave_one_out" in r.index and r["leave_one_out"] in (r.min(), r.max()):
                reasons.append("leave-one-out measures rank moves, which depend on the "
                               "pillar's spread relative to the other pillars, not on "
                               "variance explained")
            disagreement = dis + ("; " + "; ".join(reasons) if reasons else "") + "."
        elif reasons:
            disagreement = "methods agree; note: " + "; ".join(reasons) + "."
        else:
            disagreement = ""
        rows.append({"pillar": p, "label": label, "statement": statement,
                     "disagreement": disagreement})
    text = pd.DataFrame(rows).set_index("pillar")
    out = text[["label"]].copy()
    for method in ranks.columns:
        out[f"rank_{method}"] = ranks[method]
    out["n_methods"] = n_methods.astype(int)
    out["mean_rank"] = mean_rank
    out["consensus_rank"] = consensus.astype(int)
    out["n_top"] = n_top.astype(int)
    out["n_interval"] = n_interval.astype(int)
    out["n_excludes_zero"] = n_excl.astype(int)
    out["statement"] = text["statement"]
    out["disagreement"] = text["disagreement"]
    out = out.rename_axis("pillar").reset_index()
    return out.sort_values(["consensus_rank", "mean_rank"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------
# 8. Validation and the whole analysis
# ---------------------------------------------------------------------------


def _to_number(value: Any) -> tuple[float, bool]:
    """Parses one cell; returns (number, ok). Missing tokens parse to NaN."""
    number, reason = parse_number(value)
    if reason == "missing":
        return np.nan, True
    return (np.nan, False) if reason else (number, True)


def validate_driver_input(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    source: str = "table",
) -> pd.DataFrame:
    """Checks a table for the driver analysis and returns it with numeric columns.

    Row numbers in messages are the line numbers of the CSV file: the header
    is line 1, so the first data row is row 2. Empty cells and the tokens of
    ``data/missing_tokens.csv`` count as missing; rows with a missing target
    or pillar are dropped and their row numbers kept in
    ``result.attrs["dropped_rows"]``.

    Args:
        df: The table as read (text or numbers).
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        source: Name of the table or file, used in messages.

    Returns:
        A copy of ``df`` with the target and pillar columns as floats and
        incomplete rows removed.

    Raises:
        DriverInputError: For a missing column (naming the nearest existing
            one), a non-numeric value (naming row, column and value), fewer
            than ``len(pillars) + 2`` complete rows, or a constant column.
    """
    pillars = _as_list(pillars)
    if not pillars:
        raise DriverInputError(f"{source}: no pillar columns given")
    if target in pillars:
        raise DriverInputError(f"{source}: the target '{target}' is also listed as a pillar")
    dupes = sorted({p for p in pillars if pillars.count(p) > 1})
    if dupes:
        raise DriverInputError(f"{source}: pillar(s) listed twice: {', '.join(dupes)}")
    available = [str(c) for c in df.columns]
    for col in [target, *pillars]:
        if col not in df.columns:
            raise DriverInputError(_missing_column_message(col, available, source))

    out = df.copy()
    for col in [target, *pillars]:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[col] = series.astype(float)
            continue
        parsed = np.empty(len(series))
        for pos, value in enumerate(series.tolist()):
            number, ok = _to_number(value)
            if not ok:
                raise DriverInputError(
                    f"{source}, row {pos + 2}, column '{col}': value {str(value)!r} "
                    "is not a number"
                )
            parsed[pos] = number
        out[col] = parsed

    incomplete = out[[target, *pillars]].isna().any(axis=1).to_numpy()
    dropped = [int(i) + 2 for i in np.flatnonzero(incomplete)]
    out = out.loc[~incomplete]
    need = len(pillars) + 2
    if len(out) < need:
        extra = f" ({len(dropped)} dropped for missing values)" if dropped else ""
        raise DriverInputError(
            f"{source}: too few rows: the analysis of {len(pillars)} pillars needs at "
            f"least {need} complete rows, there are {len(out)}{extra}"
        )
    for col in [target, *pillars]:
        if out[col].nunique() <= 1:
            raise DriverInputError(
                f"{source}, column '{col}': constant column (every row is "
                f"{out[col].iloc[0]:g}); it cannot explain or be explained"
            )
    out.attrs["dropped_rows"] = dropped
    return out


def run_driver_analysis(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    year_col: str | None = None,
    group_col: str | None = None,
    rank_col: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    top: int = 10,
    source: str = "table",
) -> dict[str, pd.DataFrame]:
    """Runs every driver method the columns allow.

    OLS, dominance, main effects and leave-one-pillar-out always run. Rank
    methods use ``rank_col``, or, when it is ``None``, the rank of the target
    (highest target = rank 1, within ``year_col`` when given). The mixed
    model needs ``group_col``. A method that cannot run is listed in the
    ``"skipped"`` table with the reason instead of stopping the analysis.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        year_col: Optional year column: fixed effects in OLS and the mixed
            model, and ranks formed within year.
        group_col: Optional group column (regency) for the mixed model.
        rank_col: Optional rank column (1 is best).
        n_boot: Bootstrap replicates for dominance and main effects.
        seed: Seed of every bootstrap.
        weights: Weights for leave-one-pillar-out; equal by default.
        top: Size of the top and bottom rank bands for the ordinal logit
            (reduced to a third of the rows on small tables).
        source: Name of the table, used in messages.

    Returns:
        A dict with per-pillar tables under ``"ols"``, ``"dominance"``,
        ``"main_effect"``, ``"ordinal_logit"``, ``"spearman"``, ``"mixed"``
        and ``"leave_one_out"`` (those that ran), the unit-level
        ``"leave_one_out_shifts"``, a ``"skipped"`` table (``method,
        reason``), a ``"model"`` table (``target, n, r2, adj_r2,
        rank_source``) and the ``"summary"`` of :func:`driver_summary`.

    Raises:
        DriverInputError: If the input fails :func:`validate_driver_input`.
    """
    pillars = _as_list(pillars)
    data = validate_driver_input(df, target, pillars, source=source)
    results: dict[str, pd.DataFrame] = {}
    skipped: list[dict[str, str]] = []

    def attempt(name: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (DriverInputError, ValueError, np.linalg.LinAlgError) as exc:
            skipped.append({"method": name, "reason": f"{type(exc).__name__}: {exc}"})
            return None

    year = year_col if year_col is not None and year_col in data.columns else None
    if year_col is not None and year is None:
        skipped.append({"method": "year effects",
                        "reason": f"year column '{year_col}' not in the table"})
    if year is not None and data[year].nunique() < 2:
        year = None

    ols = attempt("ols", ols_drivers, data, target, pillars, year_col=year)
    if ols is not None:
        results["ols"] = ols.table
    dom = attempt("dominance", dominance_analysis, data, target, pillars,
                  n_boot=n_boot, seed=seed)
    if dom is not None:
        results["dominance"] = dom
    me = attempt("main_effect", main_effects, data, target, pillars,
                 n_boot=n_boot, seed=seed)
    if me is not None:
        results["main_effect"] = me

    if rank_col is None:
        rank_name = "__target_rank__"
        data[rank_name] = _group_rank(data[target], data[year] if year else None)
        rank_source = f"rank of {target}"
    elif rank_col in data.columns:
        rank_name = rank_col
        rank_source = rank_col
    else:
        rank_name, rank_source = None, "none"
        for name in ("ordinal_logit", "spearman"):
            skipped.append({"method": name, "reason": f"rank column '{rank_col}' not in the table"})
    if rank_name is not None:
        n_rows = len(data) if year is None else int(data.groupby(year).size().min())
        band = max(1, min(top, n_rows // 3))
        with warnings.catch_warnings():
            # Convergence problems are recorded in the table's columns.
            warnings.simplefilter("ignore", DriverConvergenceWarning)
            ordl = attempt("ordinal_logit", ordinal_rank_drivers, data, pillars, rank_name,
                           top=band, group_col=year)
        if ordl is not None:
            results["ordinal_logit"] = ordl
        sp = attempt("spearman", spearman_rank_drivers, data, pillars, rank_name)
        if sp is not None:
            results["spearman"] = sp

    if group_col is None:
        skipped.append({"method": "mixed", "reason": "no group column given"})
    elif group_col not in data.columns:
        skipped.append({"method": "mixed", "reason": f"group column '{group_col}' not in the table"})
    elif data[group_col].nunique() == len(data):
        skipped.append({"method": "mixed",
                        "reason": f"every '{group_col}' has a single row: no repeated measures"})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DriverConvergenceWarning)
            mix = attempt("mixed", mixed_model_drivers, data, target, pillars,
                          group_col=group_col, year_col=year)
        if mix is not None:
            results["mixed"] = mix

    lopo = attempt("leave_one_out", leave_one_pillar_out, data, pillars,
                   weights=weights, group_col=year)
    if lopo is not None:
        results["leave_one_out"] = lopo.table
        results["leave_one_out_shifts"] = lopo.shifts

    results["skipped"] = pd.DataFrame(skipped, columns=["method", "reason"])
    results["model"] = pd.DataFrame([{
        "target": target,
        "n": len(data),
        "r2": ols.r2 if ols is not None else np.nan,
        "adj_r2": ols.adj_r2 if ols is not None else np.nan,
        "rank_source": rank_source,
        "dropped_rows": ", ".join(map(str, data.attrs.get("dropped_rows", []))),
    }])
    results["summary"] = driver_summary(results)
    return results


# ---------------------------------------------------------------------------
# 9. Command line
# ---------------------------------------------------------------------------


def _sniff_separator(text: str) -> str:
    head = "\n".join(text.splitlines()[:5])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;").delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return ";" if first.count(";") > first.count(",") else ","


def _is_id_column(name: str, target: str) -> bool:
    low = str(name).strip().lower()
    if low in _ID_NAMES or low.endswith("_id") or low.endswith(" id"):
        return True
    if low in _YEAR_NAMES or low in _RANK_NAMES:
        return True
    # Columns derived from the target (e.g. "Index_relative_X") would explain it trivially.
    return str(target).lower() in low and low != str(target).lower()


def _infer_pillars(df: pd.DataFrame, target: str) -> list[str]:
    pillars = []
    for col in df.columns:
        if col == target or _is_id_column(col, target):
            continue
        values = [_to_number(v) for v in df[col].tolist()]
        if all(ok for _, ok in values) and any(np.isfinite(v) for v, _ in values):
            pillars.append(col)
    return pillars


def _first_present(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    lowered = {str(c).lower(): c for c in df.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _fmt_ci(table: pd.DataFrame | None, pillar: str, digits: int = 3) -> str:
    if table is None:
        return "-"
    row = table.set_index("pillar").loc[pillar]
    return (f"{row['estimate']:.{digits}f} "
            f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]")


def _text_report(results: dict[str, pd.DataFrame], target: str, pillars: list[str]) -> str:
    model = results["model"].iloc[0]
    summary = results["summary"].set_index("pillar")
    sp = results.get("spearman")
    rows = []
    for p in pillars:
        rows.append([
            p,
            _fmt_ci(results.get("ols"), p),
            _fmt_ci(results.get("dominance"), p),
            _fmt_ci(results.get("main_effect"), p),
            f"{sp.set_index('pillar').at[p, 'estimate']:.3f}" if sp is not None else "-",
            f"{int(summary.at[p, 'consensus_rank'])}",
        ])
    header = ["pillar", "OLS std. coef [CI]", "dominance share [CI]",
              "main effect S_i [CI]", "Spearman", "consensus rank"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        f"Drivers of {target}: n = {int(model['n'])}, R-squared = {model['r2']:.4f}, "
        f"ranks from {model['rank_source']}",
        "",
        "  ".join(h.ljust(w) for h, w in zip(header, widths)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    if model.get("dropped_rows"):
        lines += ["", f"Left out for a missing value (CSV line numbers): {model['dropped_rows']}"]
    lines.append("")
    for _, row in results["summary"].iterrows():
        lines.append(row["statement"])
        if row["disagreement"]:
            lines.append(f"  {row['disagreement']}")
    if len(results["skipped"]):
        lines.append("")
        lines.append("Skipped:")
        lines += [f"  {r.method}: {r.reason}" for r in results["skipped"].itertuples()]
    return "\n".join(lines) + "\n"


def drivers_command(
    table_path: str,
    target: str,
    pillars: list[str] | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    n_boot: int = 200,
    seed: int = 0,
) -> int:
    """Command-line entry: which pillars drive ``target`` in a CSV table.

    The separator (``,`` or ``;``) is sniffed from the first lines. When
    ``pillars`` is ``None``, every numeric column except the target, id-like
    columns (``id``, ``*_id``, names, year, rank) and columns derived from the
    target is a pillar. Columns named ``year``/``tahun``, ``regency_id`` and
    ``rank``/``peringkat`` switch on year effects, the mixed model and the
    rank methods; without a rank column the target's rank is used.

    Args:
        table_path: Path of the CSV file.
        target: Column holding the composite score.
        pillars: Pillar columns, or ``None`` to infer them.
        as_json: Print JSON instead of a text table.
        out: Where to print.
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.

    Returns:
        0 on success.

    Raises:
        DriverInputError: If the table cannot be analysed.
    """
    path = Path(table_path)
    if not path.is_file():
        raise DriverInputError(f"{table_path}: file not found")
    text = path.read_text(encoding="utf-8-sig")
    sep = _sniff_separator(text)
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    if target not in df.columns:
        raise DriverInputError(_missing_column_message(target, list(df.columns), path.name))
    if pillars is None:
        pillars = _infer_pillars(df, target)
        if not pillars:
            raise DriverInputError(f"{path.name}: no numeric pillar columns besides '{target}'")
    year_col = _first_present(df, _YEAR_NAMES)
    group_col = _first_present(df, _GROUP_NAMES)
    rank_col = _first_present(df, _RANK_NAMES)
    if rank_col is not None:
        df[rank_col] = [_to_number(v)[0] for v in df[rank_col]]
    results = run_driver_analysis(
        df, target, pillars, year_col=year_col, group_col=group_col,
        rank_col=rank_col, n_boot=n_boot, seed=seed, source=path.name,
    )
    if as_json:
        model = results["model"].iloc[0]
        payload = {
            "target": target,
            "n": int(model["n"]),
            "r2": None if pd.isna(model["r2"]) else float(model["r2"]),
            "pillars": list(pillars),
            "dropped_rows": [int(r) for r in str(model["dropped_rows"]).split(", ") if r],
            "methods": {
                name: json.loads(table.to_json(orient="records"))
                for name, table in results.items() if name not in ("model",)
            },
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_text_report(results, target, list(pillars)))
    return 0
