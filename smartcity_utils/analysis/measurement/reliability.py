"""How reliable a panel is: ICC(1) and ICC(k) by one-way ANOVA from the assessor-level rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.measurement.common import ALL, as_list, require_columns, unit_codes


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


def rating_rows(scores_long: pd.DataFrame, unit_cols: str | Sequence[str], rater_col: str, value_col: str,
                 item_col: str | None, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Checks the columns of assessor-level ratings; returns the rows with a score (new index) and the unit columns."""
    unit_cols = as_list(unit_cols)
    require_columns(scores_long, unit_cols + [rater_col, value_col] + as_list(item_col), what)
    return scores_long.dropna(subset=[value_col]).reset_index(drop=True), unit_cols


def icc(
    scores_long: pd.DataFrame,
    unit_cols: str | Sequence[str],
    rater_col: str,
    value_col: str = "score",
    item_col: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimates the share of score variance that lies between units (ICC(1)) and the reliability of a panel mean
    (ICC(k)), per item.

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
    d, unit_cols = rating_rows(scores_long, unit_cols, rater_col, value_col, item_col, "icc")
    keys = unit_cols + [rater_col] + as_list(item_col)
    if d.duplicated(keys).any():
        raise ValueError(f"icc: several rows per {keys}; pass one score per rater, unit and item")
    parts = d.groupby(item_col, sort=True) if item_col else [(ALL, d)]
    rows = []
    for item, di in parts:
        res = _icc_oneway(di[value_col].to_numpy(float), unit_codes(di, unit_cols), level)
        rows.append({"item": item, **res})
    return pd.DataFrame(rows)
