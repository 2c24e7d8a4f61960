"""How sure an order of the pillars is: probabilities from the lead estimate's sampling draws.

An order of six estimates is a claim about fifteen pairs at once; it is
stated only with the share of draws that give it, and each step of it with
the share of draws in which the pillar stays above its neighbour. The draws
are the lead method's bootstrap over whole regencies, or, for the ordinary
regression, draws from the normal approximation of its (robust) covariance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Draws from the normal approximation when the lead has no bootstrap (ordinary regression).
NORMAL_DRAWS = 2000

ORDER_COLUMNS = ["position", "pillar", "lead_estimate", "p_first", "next_pillar", "p_above_next", "p_this_order",
                 "n_draws", "source"]


def order_probabilities(draws: np.ndarray, pillars: Sequence[str], estimate: Sequence[float],
                        source: str = "bootstrap") -> pd.DataFrame:
    """The pillars in the order of their estimates, with the probability of each step and of the whole order.

    Args:
        draws: Sampling draws of the estimates (draws x pillars), failed ones removed.
        pillars: Pillar names, in the columns' order.
        estimate: The point estimates (define the order, largest first).
        source: How the draws were made (said beside the numbers).

    Returns:
        One row per pillar, largest estimate first: ``position, pillar,
        lead_estimate, p_first`` (share of draws where it is the largest),
        ``next_pillar, p_above_next`` (share where it exceeds the next one;
        NaN for the last), ``p_this_order`` (share of draws giving exactly this
        order of all pillars, the same on every row), ``n_draws, source``.
    """
    draws = np.asarray(draws, float)
    est = np.asarray(estimate, float)
    pillars = list(pillars)
    order = np.argsort(-est, kind="stable")
    n = len(draws)
    rows = []
    if n:
        first = np.bincount(np.argmax(draws, axis=1), minlength=len(pillars)) / n
        ordered = draws[:, order]
        same = float(np.mean(np.all(np.diff(ordered, axis=1) < 0, axis=1)))
    else:
        first, same = np.full(len(pillars), np.nan), np.nan
    for pos, j in enumerate(order):
        nxt = order[pos + 1] if pos + 1 < len(order) else None
        rows.append({"position": pos + 1, "pillar": pillars[j], "lead_estimate": float(est[j]),
                     "p_first": float(first[j]),
                     "next_pillar": pillars[nxt] if nxt is not None else None,
                     "p_above_next": float(np.mean(draws[:, j] > draws[:, nxt])) if nxt is not None and n else np.nan,
                     "p_this_order": same, "n_draws": int(n), "source": source})
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def normal_draws(estimate: Sequence[float], cov: np.ndarray, seed: int = 0, n: int = NORMAL_DRAWS) -> np.ndarray:
    """Draws from ``N(estimate, cov)``: the sampling distribution of regression slopes, approximately."""
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(np.asarray(estimate, float), np.asarray(cov, float), size=n)
