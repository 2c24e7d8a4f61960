"""The measurement model's tables in the cached national analysis, from the processed tables.

:func:`measurement_tables` puts the models of this package (structure,
reliability, leniency, error covariance) together with the sensitivity of the
ranking to the weights into the tables
:func:`~smartcity_utils.analysis.run.run_analysis` writes;
:func:`with_simulated_flag` gives each its ``is_simulated`` column. Unlike the
models, this module reads the package's reference tables and rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils.analysis.gate import driver_frame
from smartcity_utils.analysis.measurement.error import error_covariance
from smartcity_utils.analysis.measurement.leniency import LENIENCY_COMPONENTS, assessor_leniency
from smartcity_utils.analysis.measurement.reliability import assessor_rows, icc
from smartcity_utils.analysis.measurement.structure import pillar_mean_vs_dimensions, pillar_structure
from smartcity_utils.analysis.rank_uncertainty import (
    WEIGHT_SPREAD,
    dirichlet_concentration,
    rankable_rows,
    scenario_ranks,
    scenario_reach,
)
from smartcity_utils.analysis.sensitivity import OUTPUT_QUANTITY, SOBOL_N_BASE, sobol_rank_sensitivity
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS, dimension_weights
from smartcity_utils.tables import shows_simulated


def measurement_tables(index_ranks: pd.DataFrame, scores: pd.DataFrame, wide: pd.DataFrame,
                       sobol_n_base: int | None = None) -> dict[str, Any]:
    """The measurement model and the weights: structure, reliability, leniency, error covariance, Sobol, scenarios.

    Args:
        index_ranks: :func:`~smartcity_utils.analysis.index.index_table` output.
        scores: The processed ``scores`` table (assessor-level rows are used).
        wide: :func:`~smartcity_utils.analysis.drivers.lead.assessor_table` of ``scores``.
        sobol_n_base: Sobol base sample size (default :data:`~smartcity_utils.analysis.sensitivity.SOBOL_N_BASE`).

    Returns:
        Tables named as in :data:`~smartcity_utils.analysis.run.MEASUREMENT_TABLES`, ``_dimension_cov`` (one
        assessor's dimension error covariance, for the rank uncertainty) and
        ``_sources`` (per table, the rows it is computed from).
    """
    sobol_n_base = SOBOL_N_BASE if sobol_n_base is None else sobol_n_base

    pillars, dims = list(PILLAR_KEYS), list(DIMENSION_KEYS)
    frame = driver_frame(index_ranks)
    structure = pillar_structure(frame, pillars, by="year")
    rows = assessor_rows(scores)
    # "group" is a year or "all" (pooled): text, so that the column has one type.
    out: dict[str, Any] = {name: structure[key].assign(group=structure[key]["group"].astype(str))
                           for name, key in (("pillar_correlation", "correlation"), ("pillar_pca", "pca"),
                                             ("pillar_reliability", "reliability"))}
    out["icc"] = icc(rows, ["regency_id", "year"], "assessor", "score", item_col="item").assign(
        kind=lambda t: np.where(t["item"].isin(pillars), "pillar", "dimension"))
    fit = assessor_leniency(rows, ["regency_id", "year"], "assessor", "score", item_col="item",
                            components=LENIENCY_COMPONENTS)
    out["assessor_leniency"] = fit.leniency
    out["assessor_variance"] = fit.variance_components.assign(converged=fit.converged)
    sigma = error_covariance(wide.dropna(subset=pillars + ["headline"]), ["regency_id", "year"], "assessor",
                             pillars, headline="headline")
    info = dict(sigma.attrs)
    sigma = pd.DataFrame(sigma.to_numpy(), index=sigma.index, columns=sigma.columns)
    out["error_covariance"] = sigma.rename_axis("item_a").reset_index().melt(
        id_vars="item_a", var_name="item_b", value_name="covariance").assign(
        n_panels=info["n_panels"], df=info["df"])
    dim_cov = error_covariance(wide.dropna(subset=dims), ["regency_id", "year"], "assessor", dims)
    out["_dimension_cov"] = pd.DataFrame(dim_cov.to_numpy(), index=dim_cov.index, columns=dim_cov.columns)
    weights = dimension_weights()
    parts, steps = [], []
    concentration = dirichlet_concentration(WEIGHT_SPREAD, len(dims))
    rankable = index_ranks[rankable_rows(index_ranks)]
    for year, block in rankable.dropna(subset=dims).groupby("year"):
        base = weights[weights["year"] == year].set_index("dimension_key")["weight"]
        if base.empty or block["evaluation_group"].nunique() == len(block):
            steps.append(f"{year}: skipped (no weights or no group with two members)")
            continue
        res = sobol_rank_sensitivity(block, base.reindex(dims).to_dict(), 0.0, n_base=sobol_n_base,
                                     seed=int(year), groups="evaluation_group", num_resamples=100,
                                     aggregations=("arithmetic",), weight_model="dirichlet",
                                     concentration=concentration)
        steps += [f"{year}: {step}" for step in res.attrs["steps"]]
        parts.append(res.assign(year=int(year), output_mean=res.attrs["output_mean"],
                                top_resolved=res.attrs["top_resolved"]))
    sensitivity = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    sensitivity.attrs["steps"] = steps
    sensitivity.attrs["output"] = OUTPUT_QUANTITY
    out["rank_sensitivity"] = sensitivity
    out["weight_scenarios"] = scenario_ranks(index_ranks)
    out["weight_scenario_sets"] = scenario_reach(weight_spread=WEIGHT_SPREAD)
    out["pillar_mean_dimensions"] = pillar_mean_vs_dimensions(index_ranks, pillars, dims)
    # The rows each table is computed from, for its simulated-data flag (None: the reference weights alone).
    assessor = scores[scores["level"] == "assessor"] if "level" in scores.columns else scores
    out["_sources"] = {"pillar_correlation": frame, "pillar_pca": frame, "pillar_reliability": frame,
                       "icc": assessor, "assessor_leniency": assessor, "assessor_variance": assessor,
                       "error_covariance": assessor, "rank_sensitivity": rankable.dropna(subset=dims),
                       "weight_scenarios": index_ranks, "weight_scenario_sets": None,
                       "pillar_mean_dimensions": index_ranks.dropna(subset=pillars + dims, how="all")}
    return out


def with_simulated_flag(table: pd.DataFrame, sources: pd.DataFrame | None, flags: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its ``is_simulated`` column: a table of regency-years takes each row's own flag (as
    ``index_ranks`` and ``rank_uncertainty`` do), any other table whether any of the rows it was computed from
    (``sources``; None: none, only the reference tables) is simulated."""
    if {"regency_id", "year"} <= set(table.columns):
        return table.drop(columns="is_simulated", errors="ignore").merge(
            flags, on=["regency_id", "year"], how="left", validate="m:1")
    return table.assign(is_simulated=shows_simulated(sources))
