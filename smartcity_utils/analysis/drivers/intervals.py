"""The bootstrap of the driver methods: resampling rows or whole clusters (a regency's years), and the
percentile interval of the draws.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd


def bootstrap_draws(statistic: Callable[[np.ndarray], np.ndarray | float], n_rows: int, n_boot: int,
                    rng: np.random.Generator, clusters: np.ndarray | pd.Series | None = None) -> np.ndarray:
    """The one bootstrap loop: ``statistic(rows)`` over ``n_boot`` resamples, one row of draws each.

    Rows are drawn with replacement; with ``clusters``, whole clusters are (every row of a drawn
    regency comes along, so repeated years of one regency stay together). A replicate whose
    statistic fails numerically is NaN, which :func:`percentile_ci` skips.

    Args:
        statistic: The estimate on the rows with the given indices (a number or a vector).
        n_rows: Rows of the data.
        n_boot: Replicates (0 gives none).
        rng: The generator the caller owns (draws continue from its state).
        clusters: One cluster label per row, or None for a row bootstrap.
    """
    members = (None if clusters is None else
               pd.Series(np.arange(n_rows)).groupby(np.asarray(clusters)).apply(np.asarray).tolist())
    draws = []
    for _ in range(max(n_boot, 0)):
        if members is None:
            rows = rng.integers(0, n_rows, n_rows)
        else:
            picked = rng.integers(0, len(members), len(members))
            rows = np.concatenate([members[i] for i in picked])
        draws.append(np.atleast_1d(np.asarray(statistic(rows), dtype=float)))
    return np.vstack(draws) if draws else np.empty((0, 0))


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
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
