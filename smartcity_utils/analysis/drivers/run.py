"""All driver methods on one table, in one call.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.inputs import (
    DriverConvergenceWarning,
    _as_list,
    validate_driver_input,
)
from smartcity_utils.analysis.drivers.leave_one_out import (
    leave_one_pillar_out,
)
from smartcity_utils.analysis.drivers.main_effects import main_effects
from smartcity_utils.analysis.drivers.mixed import mixed_model_drivers
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.drivers.rank_methods import (
    ordinal_rank_drivers,
    spearman_rank_drivers,
)
from smartcity_utils.analysis.drivers.summary import driver_summary
from smartcity_utils.analysis.ranks import competition_rank
from smartcity_utils.errors import DriverInputError


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
        data[rank_name] = competition_rank(data[target], data[year] if year else None)
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
