"""All driver methods on one table, in one call.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.general import general_and_specific
from smartcity_utils.analysis.drivers.inputs import (
    DriverConvergenceWarning,
    pillars_or_default,
    validate_driver_input,
)
from smartcity_utils.analysis.drivers.lead import lead_drivers
from smartcity_utils.analysis.drivers.main_effects import main_effects
from smartcity_utils.analysis.drivers.mixed import mixed_model_drivers
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.drivers.orders import normal_draws, order_probabilities
from smartcity_utils.analysis.drivers.rank_methods import (
    ordinal_rank_drivers,
    spearman_rank_drivers,
    within_group_percentile,
)
from smartcity_utils.analysis.drivers.summary import driver_summary
from smartcity_utils.analysis.rank_uncertainty import rankable_rows
from smartcity_utils.errors import DriverInputError

PERCENTILE = "__percentile_in_group__"

#: Columns of the ``skipped`` table: the method (or step), the code of the reason (its sentence is
#: ``skip_<code>`` in the text store), the count it quotes (``n``) and its detail (a column's name, or the
#: estimator's own message when a method could not be estimated).
SKIPPED_COLUMNS = ["method", "code", "n", "detail"]


def run_driver_analysis(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    year_col: str | None = None,
    group_col: str | None = None,
    rank_col: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    rank_group_cols: Sequence[str] | None = None,
    assessors: pd.DataFrame | None = None,
    source: str = "table",
) -> dict[str, pd.DataFrame]:
    """Runs every driver method the columns allow.

    The lead estimate (errors-in-variables regression, :mod:`.lead`) runs
    when assessor-level scores are given and the target is a score; OLS,
    dominance and main effects always run; rank methods work on
    within-group percentiles (groups: ``rank_group_cols``, by default the
    year and the evaluation group when present), from ``rank_col`` or, when
    it is ``None``, from the target; the mixed model needs ``group_col``. A
    method that cannot run, or cannot be estimated (for example the ordinal
    logit under separation), is listed in ``"skipped"`` with the reason and
    stays out of the summary.

    Args:
        df: One row per unit.
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        year_col: Optional year column: year effects in the regressions and
            groups of the rank methods.
        group_col: Optional unit column (regency) repeated over years:
            bootstrap clusters, clustered OLS errors and the mixed model.
        rank_col: Optional rank column (1 is best within its group).
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.
        rank_group_cols: Columns of the groups within which ranks are formed.
        assessors: Optional assessor-level rows (:func:`.lead.assessor_table`)
            for the lead estimate.
        source: Name of the table, used in messages.

    Returns:
        A dict with per-pillar tables under ``"eiv"`` (lead and naive OLS
        with the same bootstrap), ``"ols"``, ``"dominance"``,
        ``"main_effect"``, ``"ordinal_logit"``, ``"spearman"``, ``"mixed"``
        (those that ran), ``"main_effect_bandwidth"``, a ``"skipped"`` table
        (:data:`SKIPPED_COLUMNS`), a ``"model"`` table (``target, n, r2, adj_r2,
        rank_source, dropped_rows, rank_dropped_rows``: CSV line numbers of
        the rows left out of every method, and of the rank methods only) and the ``"summary"`` of
        :func:`driver_summary`.

    Raises:
        DriverInputError: If the input fails :func:`validate_driver_input`.
    """
    pillars = pillars_or_default(pillars)
    data = validate_driver_input(df, target, pillars, source=source, rank_col=rank_col)
    row_numbers = np.asarray(data.attrs.get("row_numbers", np.arange(len(data)) + 2))
    results: dict[str, pd.DataFrame] = {}
    skipped: list[dict[str, str]] = []
    correction: dict = {}

    def attempt(name: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (DriverInputError, ValueError, np.linalg.LinAlgError) as exc:
            detail = str(exc) if isinstance(exc, DriverInputError) else f"{type(exc).__name__}: {exc}"
            skipped.append({"method": name, "code": "not_estimable", "detail": detail})
            return None

    year = year_col if year_col is not None and year_col in data.columns else None
    if year_col is not None and year is None:
        skipped.append({"method": "year_effects", "code": "column_missing", "detail": year_col})
    if year is not None and data[year].nunique() < 2:
        year = None
    cluster = group_col if group_col is not None and group_col in data.columns else None
    repeated = cluster is not None and data[cluster].nunique() < len(data)

    if assessors is None:
        skipped.append({"method": "eiv", "code": "no_assessors"})
    elif cluster is None:
        skipped.append({"method": "eiv", "code": "no_clusters"})
    else:
        lead = attempt("eiv", lead_drivers, data, assessors, target, pillars, year_col=year, cluster=cluster,
                       n_boot=n_boot, seed=seed)
        if lead is not None:
            correction = _error_correction(data, assessors, lead.error_cov, pillars)
            results["eiv"] = lead.table
            results["eiv_sensitivity"] = lead.sensitivity
            est = lead.table[lead.table["method"] == "eiv"].set_index("pillar")["estimate"].reindex(pillars)
            if lead.draws is not None:
                results["order"] = order_probabilities(lead.draws, pillars, est.to_numpy(),
                                                       source=f"bootstrap over whole {cluster} clusters")
    ols = attempt("ols", ols_drivers, data, target, pillars, year_col=year,
                  cluster_col=cluster if repeated else None)
    if ols is not None:
        results["ols"] = ols.table
        if "order" not in results:
            coef = ols.fit.params[pillars].to_numpy()
            draws = normal_draws(coef, ols.fit.cov_params().loc[pillars, pillars].to_numpy(), seed=seed)
            results["order"] = order_probabilities(
                draws, pillars, coef,
                source=f"normal approximation of the ordinary regression ({ols.table['errors'].iloc[0]} errors)")
    dom = attempt("dominance", dominance_analysis, data, target, pillars, n_boot=n_boot, seed=seed,
                  clusters=data[cluster] if repeated else None)
    if dom is not None:
        results["dominance"] = dom
    me = attempt("main_effect", main_effects, data, target, pillars, n_boot=n_boot, seed=seed)
    if me is not None:
        results["main_effect"] = me
        results["main_effect_bandwidth"] = me.attrs["bandwidth_sensitivity"]

    if rank_group_cols is None:
        rank_group_cols = [c for c in (year, "evaluation_group") if c is not None and c in data.columns]
    rank_group_cols = [c for c in rank_group_cols if c in data.columns]
    groups = data[rank_group_cols] if rank_group_cols else None
    where = f"within {' x '.join(rank_group_cols)}" if rank_group_cols else "in the whole table"
    # Ranks only where the evaluation group is fully loaded: a rank among the rows that happen to be loaded
    # means nothing (GROUP_COMPLETE absent: every group complete).
    complete = rankable_rows(data)
    if not complete.all():
        skipped.append({"method": "rank_rows", "code": "rank_rows_not_whole", "n": int((~complete).sum())})
    if groups is not None:
        groups = groups[complete]
    if rank_col is None:
        data[PERCENTILE] = np.nan
        data.loc[complete, PERCENTILE] = within_group_percentile(data.loc[complete, target], groups)
        rank_source = f"percentile of {target} {where}"
    elif rank_col in data.columns:
        data[PERCENTILE] = np.nan
        data.loc[complete, PERCENTILE] = within_group_percentile(data.loc[complete, rank_col], groups,
                                                                 higher_is_better=False)
        rank_source = f"percentile of {rank_col} {where}"
    else:
        rank_source = "none"
        for name in ("ordinal_logit", "spearman"):
            skipped.append({"method": name, "code": "column_missing", "detail": rank_col})
    rank_dropped: list[int] = []
    rank_data = data[complete] if PERCENTILE in data.columns else data
    if PERCENTILE in data.columns:
        # The rank methods use complete rows only: say which rows they leave out.
        lost = data[[*pillars, PERCENTILE, *rank_group_cols]].isna().any(axis=1).to_numpy()
        rank_dropped = [int(r) for r in row_numbers[lost]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DriverConvergenceWarning)
            ordl = attempt("ordinal_logit", ordinal_rank_drivers, rank_data, pillars, PERCENTILE,
                           group_cols=rank_group_cols, cluster_col=cluster if repeated else None)
        if ordl is not None:
            results["ordinal_logit"] = ordl
        sp = attempt("spearman", spearman_rank_drivers, rank_data, pillars, PERCENTILE, group_cols=rank_group_cols)
        if sp is not None:
            results["spearman"] = sp

    general = attempt("general", general_and_specific,
                      data if cluster else data.assign(__row__=np.arange(len(data))), target, pillars, year_col=year,
                      cluster=cluster or "__row__",
                      rank_col=PERCENTILE if PERCENTILE in data.columns else None, rank_group_cols=rank_group_cols,
                      n_boot=n_boot, seed=seed, **correction)
    if general is not None:
        results["general"] = general.pillars
        results["general_overall"] = general.overall.assign(order_holds=general.order_holds)

    if group_col is None:
        skipped.append({"method": "mixed", "code": "no_group_column"})
    elif cluster is None:
        skipped.append({"method": "mixed", "code": "column_missing", "detail": group_col})
    elif not repeated:
        skipped.append({"method": "mixed", "code": "no_repeated_rows", "detail": group_col})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DriverConvergenceWarning)
            mix = attempt("mixed", mixed_model_drivers, data, target, pillars,
                          group_col=group_col, year_col=year)
        if mix is not None:
            results["mixed"] = mix

    results["skipped"] = (pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
                          .astype({"n": "Int64", "detail": object}).fillna({"detail": ""}))
    results["model"] = pd.DataFrame([{
        "target": target,
        "n": len(data),
        "r2": ols.r2 if ols is not None else np.nan,
        "adj_r2": ols.adj_r2 if ols is not None else np.nan,
        "residual_sd": ols.residual_sd if ols is not None else np.nan,
        "reset_p": ols.specification.get("reset_p", np.nan) if ols is not None else np.nan,
        "linear": ols.specification.get("linear", True) if ols is not None else True,
        "rank_source": rank_source,
        "dropped_rows": ", ".join(map(str, data.attrs.get("dropped_rows", []))),
        "rank_dropped_rows": ", ".join(map(str, rank_dropped)),
    }])
    corr = data[pillars].astype(float).corr().to_numpy()
    off = corr[~np.eye(len(pillars), dtype=bool)]
    # Spreads within year where the regressions are within year: the spread the slopes are multiplied by.
    spread = (data[pillars].astype(float) - data.groupby(year)[pillars].transform("mean")) if year else \
        data[pillars].astype(float)
    results["summary"] = driver_summary(results, any_table=source != "regency_year",
                                        pillar_correlation=float(np.nanmean(off)) if off.size else None,
                                        pillar_sd=spread.std().to_dict())
    return results


def _error_correction(data: pd.DataFrame, assessors: pd.DataFrame, sigma: pd.DataFrame,
                      pillars: list[str]) -> dict:
    """The lead's error covariance, one over each row's panel size and the factors of its error-size bound,
    for :func:`~smartcity_utils.analysis.drivers.general.general_and_specific` (the same correction)."""
    from smartcity_utils.analysis.drivers.lead import (
        ERROR_SCALE_EVERY_YEAR,
        ERROR_SCALE_OTHER_YEARS,
        HEADLINE,
        UNIT,
        panel_sizes,
    )

    usable = assessors.dropna(subset=pillars + [HEADLINE])
    m, _assumed = panel_sizes(data, usable)
    measured_units = set(map(tuple, usable[UNIT].drop_duplicates().to_numpy().tolist()))
    measured = (np.array([(r, y) in measured_units for r, y in zip(data["regency_id"], data["year"])])
                if set(UNIT) <= set(data.columns) else np.zeros(len(data), bool))
    scales = [np.where(measured, 1.0, k) for k in ERROR_SCALE_OTHER_YEARS] if (~measured).any() else []
    scales += [np.full(len(data), k) for k in ERROR_SCALE_EVERY_YEAR]
    order = [*pillars, HEADLINE]
    return {"error_cov": sigma.loc[order, order], "inv_m": 1.0 / m, "error_scales": scales}


def regency_year_drivers(
    frame: pd.DataFrame,
    scores: pd.DataFrame,
    target_col: str,
    n_boot: int = 200,
    seed: int = 0,
    adjust_leniency: bool = False,
) -> dict[str, pd.DataFrame]:
    """Every driver method on regency-years (notebook 03's rows), the lead estimate included when it applies.

    The errors-in-variables correction needs the assessors' own scores
    (from every year that has them: one assessor's error covariance is
    assumed the same across years) and applies to the headline only; for
    the rank percentile it is listed as not run (``headline_only``).

    Args:
        frame: Regency-years after the notebook's filters
            (:func:`smartcity_utils.analysis.drivers.inputs.driver_inputs`).
        scores: The processed ``scores`` table.
        target_col: Target column of ``frame``.
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.
        adjust_leniency: Remove each assessor's estimated leniency from the scores first
            (:func:`~smartcity_utils.analysis.drivers.leniency.leniency_adjusted`); the rank percentile is
            not adjusted.

    Returns:
        The dict of :func:`run_driver_analysis`.
    """
    from smartcity_utils import reference as ref
    from smartcity_utils.analysis.drivers.lead import LEAD_METHOD, assessor_table
    from smartcity_utils.analysis.drivers.leniency import HEADLINE_TARGET, leniency_adjusted

    if adjust_leniency and target_col == HEADLINE_TARGET:
        frame, scores = leniency_adjusted(frame, scores)
    wide = assessor_table(scores) if target_col == HEADLINE_TARGET else None
    results = run_driver_analysis(frame, target_col, list(ref.PILLAR_KEYS), year_col="year",
                                  group_col="regency_id", rank_col="rank_computed", n_boot=n_boot, seed=seed,
                                  assessors=wide, source="regency_year")
    if wide is None:
        skipped = results["skipped"]
        lead = skipped["method"] == LEAD_METHOD
        skipped.loc[lead, "code"], skipped.loc[lead, "detail"] = "headline_only", target_col
    return results


def model_value(results: dict, column: str) -> float | None:
    """A number of the ``"model"`` row of :func:`run_driver_analysis` (``reset_p``, say); None when it is absent
    or missing."""
    model = results.get("model")
    if isinstance(model, pd.DataFrame) and column in model.columns and len(model) and pd.notna(model[column].iloc[0]):
        return float(model[column].iloc[0])
    return None


def model_r2(results: dict) -> float | None:
    """The R-squared of the ordinary regression in the ``"model"`` row of :func:`run_driver_analysis`; None without
    the row."""
    model = results.get("model")
    if isinstance(model, pd.DataFrame) and "r2" in model.columns and len(model):
        return float(model["r2"].iloc[0])
    return None
