"""Linear mixed model over repeated years of one regency (random intercept per regency).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import (
    DriverConvergenceWarning,
    fixed_effects,
    pillars_or_default,
    require_columns,
)
from smartcity_utils.analysis.drivers.ols import coefficient_table
from smartcity_utils.errors import DriverInputError

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
        (raw slope), ``ci_low, ci_high, coef, coef_ci_low,
        coef_ci_high`` (the same), ``std_estimate, std_ci_low, std_ci_high`` (standardised), ``std_err, p_value,
        converged, optimizer, warnings,
        group_var, n, n_groups``.

    Raises:
        DriverInputError: If a column is missing or there are too few rows.
    """
    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import MixedLM

    pillars = pillars_or_default(pillars)
    use_year = year_col is not None and year_col in df.columns
    cols = [target, *pillars, group_col] + ([year_col] if use_year else [])
    require_columns(df, cols)
    data = df.loc[:, list(dict.fromkeys(cols))].copy()
    data[[target, *pillars]] = data[[target, *pillars]].apply(pd.to_numeric, errors="raise")
    data = data.dropna()
    X = data[pillars].astype(float)
    if use_year:
        X = pd.concat([X, fixed_effects(data, [year_col])], axis=1)
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
    table = coefficient_table(
        "mixed", pillars, coef, ci, scale, res.bse_fe[pillars], res.pvalues[pillars],
        converged=bool(res.converged), optimizer=method, warnings="; ".join(all_msgs),
        group_var=group_var, n=len(y), n_groups=int(pd.Series(groups).nunique()),
    )
    table.attrs.update(converged=bool(res.converged), optimizer=method,
                       warnings=all_msgs, n=len(y))
    return table
