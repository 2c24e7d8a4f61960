"""Bootstrap percentile intervals shared by the driver methods.
"""

from __future__ import annotations

import warnings

import numpy as np


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
