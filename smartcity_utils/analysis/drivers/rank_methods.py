"""Driver methods for the rank: ordinal logit on rank bands and Spearman correlations.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.drivers.inputs import (
    numeric_frame,
    pillars_or_default,
    require_columns,
)
from smartcity_utils.analysis.drivers.intervals import bootstrap_draws, percentile_ci
from smartcity_utils.analysis.ranks import percentile_within
from smartcity_utils.errors import DriverInputError

# 4. Rank-based methods
# ---------------------------------------------------------------------------

#: Share of a group in its top and its bottom band: the best and the worst fifth.
#: A share, not a count, so that "top" means the same in a group of 24 and of 270.
BAND_SHARE = 0.2

#: Log-odds per standard deviation above which an ordinal-logit coefficient is
#: taken as a sign of quasi-separation: 10 means odds multiplied by 22,000 per
#: within-group SD of one pillar, far beyond any plausible association.
SEPARATION_LOGIT = 10.0


def within_group_percentile(values: pd.Series, groups: pd.DataFrame | pd.Series | None,
                            higher_is_better: bool = True) -> pd.Series:
    """Percentile of each value within its group (100 = best), by the one percentile rule.

    ``100 * (n_lower + 0.5 * n_tied_others) / (n - 1)``; pass ranks with
    ``higher_is_better=False``.
    """
    frame = pd.DataFrame({"_v": pd.to_numeric(values, errors="raise").astype(float)})
    if not higher_is_better:
        frame["_v"] = -frame["_v"]
    cols: list[str] = []
    if groups is not None:
        g = groups if isinstance(groups, pd.DataFrame) else groups.to_frame()
        for i, c in enumerate(g.columns):
            frame[f"_g{i}"] = g[c].to_numpy()
            cols.append(f"_g{i}")
    return percentile_within(frame, "_v", cols).rename(values.name)


def rank_bands(percentiles: pd.Series, share: float = BAND_SHARE) -> pd.Series:
    """Assigns each unit to the bottom, middle or top band of its group, from its within-group percentile.

    Args:
        percentiles: Within-group percentiles (100 = best of its group).
        share: Share of the group in the top band (percentile >= 100 * (1 - share))
            and in the bottom band (percentile <= 100 * share).

    Returns:
        An ordered categorical with categories ``bottom < middle < top``.
    """
    pct = pd.to_numeric(percentiles, errors="raise").astype(float)
    band = np.where(pct >= 100 * (1 - share), "top", np.where(pct <= 100 * share, "bottom", "middle"))
    return pd.Series(pd.Categorical(band, categories=["bottom", "middle", "top"], ordered=True),
                     index=pct.index)


def _standardise_within(X: pd.DataFrame, groups: pd.DataFrame | None) -> pd.DataFrame:
    if groups is None or groups.shape[1] == 0:
        return (X - X.mean()) / X.std(ddof=1)
    keys = [groups[c] for c in groups.columns]
    centred = X - X.groupby(keys).transform("mean")
    return centred / centred.std(ddof=1)


def separation(Z: np.ndarray, band: np.ndarray) -> str:
    """Checks whether the pillars separate the rank bands (a maximum likelihood fit then has no finite optimum).

    For each cumulative split of the ordered bands (bottom | middle and top;
    bottom and middle | top) a linear programme looks for a direction ``b``
    and cut ``c`` with ``s_i (z_i b + c) >= 1`` for every unit (``s_i = +-1``
    by side): feasible means complete separation of that split.

    Returns:
        ``"complete"`` or ``"none"``.
    """
    from scipy.optimize import linprog

    n, p = Z.shape
    levels = np.unique(band)
    for cut in levels[1:]:
        s = np.where(band >= cut, 1.0, -1.0)
        A = -s[:, None] * np.column_stack([Z, np.ones(n)])
        res = linprog(np.zeros(p + 1), A_ub=A, b_ub=-np.ones(n), bounds=[(None, None)] * (p + 1),
                      method="highs")
        if res.status == 0:
            return "complete"
    return "none"


def ordinal_rank_drivers(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    percentile_col: str = "percentile",
    group_cols: Sequence[str] | None = None,
    share: float = BAND_SHARE,
    level: float = 0.95,
    cluster_col: str | None = None,
) -> pd.DataFrame:
    """Ordinal logit of the within-group rank band on the pillars standardised within group.

    Estimand: the change in the log-odds of being in a better band of one's
    own year and evaluation group (best fifth, middle, worst fifth) per
    within-group standard deviation of a pillar, the other pillars held
    equal; ``exp`` of it is the factor on the odds (the odds ratio, reported
    beside it). Standard errors are clustered by ``cluster_col`` (regency)
    when given: repeated years of one regency are not independent evidence. Bands and pillars are both formed within
    ``group_cols`` so that
    groups of 24 and of 270 members are comparable. Fitted with statsmodels'
    ``OrderedModel`` (logit link). Before any estimate is reported, the
    pillars are checked for separating the bands (:func:`separation`; then
    maximum likelihood has no finite solution) and the fit for
    quasi-separation (a coefficient above :data:`SEPARATION_LOGIT` log-odds
    per SD, or a fit that did not converge): either raises, so the method is
    reported as not estimable instead of giving meaningless numbers.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        percentile_col: Within-group percentile of the unit (100 = best).
        group_cols: Columns of the groups (year, evaluation group).
        share: Share of a group in the top and in the bottom band.
        level: Confidence level of the intervals.
        cluster_col: Optional column whose rows share a cluster (regency) for the standard errors.

    Returns:
        One row per pillar with ``pillar, method ("ordinal_logit"), estimate``
        (log-odds per within-group SD), ``ci_low, ci_high, std_err, p_value,
        odds_ratio, odds_ratio_ci_low, odds_ratio_ci_high, errors, converged, n, bands``
        (counts per band as text);
        ``attrs["dropped_rows"]`` holds the index labels of the rows left out
        for a missing value.

    Raises:
        DriverInputError: a missing column, fewer than two populated bands,
            or separation (complete or quasi): not estimable.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    pillars = pillars_or_default(pillars)
    group_cols = list(group_cols or [])
    cols = [*pillars, percentile_col, *group_cols, *([cluster_col] if cluster_col else [])]
    require_columns(df, cols)
    data = df.loc[:, list(dict.fromkeys(cols))].copy()
    data[[*pillars, percentile_col]] = data[[*pillars, percentile_col]].apply(pd.to_numeric, errors="raise")
    complete = data.notna().all(axis=1)
    dropped = [i for i, ok in zip(data.index, complete) if not ok]
    data = data[complete]
    band = rank_bands(data[percentile_col], share=share)
    counts = band.value_counts().reindex(["bottom", "middle", "top"]).fillna(0).astype(int)
    if (counts > 0).sum() < 2:
        raise DriverInputError(
            f"ordinal logit needs at least two populated rank bands; got {counts.to_dict()}"
        )
    band = band.cat.remove_unused_categories()
    X = data[pillars].astype(float)
    Z = _standardise_within(X, data[group_cols] if group_cols else None)
    bad = Z.columns[~np.isfinite(Z.to_numpy()).all(axis=0)]
    if len(bad):
        raise DriverInputError(f"column '{bad[0]}' is constant within groups; it cannot enter the ordinal logit")
    if separation(Z.to_numpy(float), band.cat.codes.to_numpy()) == "complete":
        raise DriverInputError("ordinal logit not estimable: the pillars separate the rank bands completely "
                               "(perfect separation), so the likelihood has no finite maximum")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_kw = ({"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(data[cluster_col])[0]}}
                  if cluster_col and data[cluster_col].nunique() < len(data) else {})
        res = OrderedModel(band, Z, distr="logit").fit(method="bfgs", disp=False, maxiter=2000, **fit_kw)
    errors = f"clustered by {cluster_col}" if fit_kw else "model-based"
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, Warning)
                       and "converge" in str(w.message).lower()})
    converged = bool(res.mle_retvals.get("converged", False))
    coef = res.params[pillars]
    if (coef.abs() > SEPARATION_LOGIT).any() or not np.all(np.isfinite(res.bse[pillars])):
        raise DriverInputError(
            "ordinal logit not estimable: quasi-separation of the rank bands (coefficient "
            f"{coef.abs().max():.0f} log-odds per SD, above {SEPARATION_LOGIT:g})")
    if not converged:
        raise DriverInputError(f"ordinal logit not estimable: the fit did not converge ({'; '.join(messages)})")
    ci = res.conf_int(alpha=1.0 - level)
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
            "odds_ratio_ci_low": np.exp(ci.loc[pillars, 0].to_numpy()),
            "odds_ratio_ci_high": np.exp(ci.loc[pillars, 1].to_numpy()),
            "errors": errors,
            "converged": converged,
            "warnings": "; ".join(messages),
            "n": len(data),
            "bands": ", ".join(f"{k}={v}" for k, v in counts.items()),
        }
    )
    table.attrs.update(n=len(data), converged=converged, dropped_rows=dropped)
    return table


def spearman_rank_drivers(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    percentile_col: str = "percentile",
    group_cols: Sequence[str] | None = None,
    ci: str = "fisher",
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Spearman correlation of each pillar's within-group position with the unit's within-group position.

    Estimand: the rank correlation between where a unit stands in its year
    and evaluation group on one pillar (within-group percentile) and where
    it stands on the headline (within-group percentile), pooled over groups;
    positive means units placed high in their group on the pillar tend to be
    placed high overall. A correlation of one pillar alone: it does not hold
    the other pillars equal. Repeated years of a regency count as separate
    rows, so the interval is somewhat too narrow when years are pooled.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        percentile_col: Within-group percentile of the unit (100 = best).
        group_cols: Columns of the groups (year, evaluation group).
        ci: ``"fisher"`` for a Fisher-z interval with the Fieller, Hartley and
            Pearson (1957) standard error ``sqrt(1.06 / (n - 3))``, or
            ``"bootstrap"`` for a percentile bootstrap over rows.
        n_boot: Bootstrap replicates when ``ci="bootstrap"``.
        seed: Seed of the bootstrap generator.
        level: Confidence level of the intervals.

    Returns:
        One row per pillar with ``pillar, method ("spearman"), estimate,
        ci_low, ci_high, p_value, n``; ``attrs["dropped_rows"]`` holds the
        index labels of the rows left out for a missing value.

    Raises:
        DriverInputError: If a column is missing or there are fewer than four rows.
    """
    pillars = pillars_or_default(pillars)
    group_cols = list(group_cols or [])
    data = numeric_frame(df, [*pillars, percentile_col])
    groups = df.loc[data.index, group_cols] if group_cols else None
    kept = set(data.index)
    dropped = [i for i in df.index if i not in kept]
    n = len(data)
    if n < 4:
        raise DriverInputError(f"Spearman intervals need at least 4 rows; there are {n}")
    if ci not in ("fisher", "bootstrap"):
        raise DriverInputError(f"ci must be 'fisher' or 'bootstrap', got {ci!r}")
    overall = data[percentile_col].to_numpy()
    z_crit = stats.norm.ppf(0.5 + level / 2.0)
    rows = []
    rng = np.random.default_rng(seed)
    for p in pillars:
        x = within_group_percentile(data[p], groups).to_numpy()
        rho, pval = stats.spearmanr(x, overall)
        if ci == "fisher":
            half = z_crit * math.sqrt(1.06 / (n - 3))
            z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
            low, high = float(np.tanh(z - half)), float(np.tanh(z + half))
        else:
            def rho_of(idx: np.ndarray, x=x) -> float:
                with warnings.catch_warnings():
                    # A constant resample gives NaN, which the interval skips.
                    warnings.simplefilter("ignore")
                    return stats.spearmanr(x[idx], overall[idx])[0]

            lo, hi = percentile_ci(bootstrap_draws(rho_of, n, n_boot, rng).reshape(-1, 1), level)
            low, high = float(lo[0]), float(hi[0])
        rows.append({"pillar": p, "method": "spearman", "estimate": float(rho),
                     "ci_low": low, "ci_high": high, "p_value": float(pval), "n": n})
    table = pd.DataFrame(rows)
    table.attrs.update(n=n, dropped_rows=dropped)
    return table
