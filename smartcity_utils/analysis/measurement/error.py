"""The covariance of one assessor's errors, from the spread of the panel around its mean."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.measurement.common import as_list, require_columns, unit_codes


def wide_scores(
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
        require_columns(scores_long, list(unit_cols) + [rater_col] + need, "scores (wide)")
        wide = scores_long[list(unit_cols) + [rater_col] + need].copy()
        if wide.duplicated(list(unit_cols) + [rater_col]).any():
            raise ValueError("several rows per unit and rater in the wide scores")
    else:
        require_columns(scores_long, list(unit_cols) + [rater_col, item_col, value_col], "scores (long)")
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
    """Estimates the covariance matrix of one assessor's measurement error across the items and the assessor's own
    headline.

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
    unit_cols = as_list(unit_cols)
    wide, cols = wide_scores(scores_long, unit_cols, rater_col, items, headline, item_col,
                              value_col, headline_name)
    wide = wide.dropna(subset=cols)
    x = wide[cols].to_numpy(float)
    codes = unit_codes(wide, unit_cols)
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
