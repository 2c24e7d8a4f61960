"""Driver methods for the rank: ordinal logit on rank bands and Spearman correlations.
"""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.drivers.inputs import (
    DriverConvergenceWarning,
    _as_list,
    _numeric_frame,
    _require_columns,
)
from smartcity_utils.analysis.drivers.intervals import _percentile_ci
from smartcity_utils.errors import DriverInputError

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
