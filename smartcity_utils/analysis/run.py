"""The national analysis, computed once per run and cached as files.

``run_analysis`` reads the processed tables, computes the headline index
from the dimension scores, reconciles it with the reported one, ranks every
regency within its year and evaluation group, estimates rank uncertainty and
fits the pillar driver models; it writes the results to
``data/processed/analysis/``. Notebooks and the per-regency reports read
these files instead of recomputing them
(:func:`smartcity_utils.tables.load_analysis`). Whether the data carry the
national models is decided in :mod:`smartcity_utils.analysis.gate`; the
driver models run beside the rest through
:mod:`smartcity_utils.analysis.parallel`. This module orchestrates: the
measurement model's tables come from
:mod:`smartcity_utils.analysis.measurement.tables`, the driver models and
their one table of slopes (``driver_estimates``) from
:mod:`smartcity_utils.analysis.drivers`, and the line ``smartcity analyse``
prints on the result from :mod:`smartcity_utils.analysis.summary`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.analysis.gate import driver_frame, national_gap_text, national_set_gap
from smartcity_utils.analysis.index import index_table
from smartcity_utils.analysis.parallel import beside
from smartcity_utils.freshness import code_version, step_digest
from smartcity_utils.metadata.resources import resource
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS
from smartcity_utils.tables import (
    atomic_write,
    load_processed,
    plain_for_parquet,
    processed_folder,
    shows_simulated,
    write_tables,
)

#: The measurement model and the sensitivity of the ranking, written beside
#: :data:`~smartcity_utils.tables.ANALYSIS_TABLES`.
MEASUREMENT_TABLES = ("pillar_correlation", "pillar_pca", "pillar_reliability", "icc", "assessor_leniency",
                      "assessor_variance", "error_covariance", "rank_sensitivity", "weight_scenarios",
                      "weight_scenario_sets", "pillar_mean_dimensions")

#: Sidecar with the assumptions of the rank uncertainty model.


#: Tables only the national models write (partial data leave them out).
NATIONAL_ONLY_TABLES = ("drivers", "drivers_summary", "drivers_skipped") + MEASUREMENT_TABLES

#: The steps of the national analysis that partial data skip, in the order the analysis runs them.
NATIONAL_STEPS = ("measurement model", "rank uncertainty", "driver models")


#: The tables the analysis reads: a change to either makes it stale.
ANALYSIS_INPUTS = ("regency_year", "scores")


def analysis_settings(seed: int = 0, n_draws: int = 1000, n_boot: int = 200,
                      shared_error_sd: float | None = None) -> dict[str, int | float]:
    """What besides its inputs and the code decides the analysis: the seed, the numbers of draws and, when set by
    hand, the size of the panel-shared error."""
    out: dict[str, int | float] = {"seed": seed, "n_draws": n_draws, "n_boot": n_boot}
    if shared_error_sd is not None:
        out["shared_error_sd"] = float(shared_error_sd)
    return out


def run_analysis(path: str | Path | None = None, seed: int = 0, n_draws: int = 1000,
                 n_boot: int = 200, shared_error_sd: float | None = None) -> list[Path]:
    """Compute and cache the analysis tables the data support.

    Always: the headline index from the dimension scores, its reconciliation
    with the reported one (with the year's weights and their status), and the
    ranks where an evaluation group is held whole. The national models (the
    measurement model, rank uncertainty, the driver models) compare regencies:
    they run when the data hold enough regency-years with all six pillars and
    an index (:func:`~smartcity_utils.analysis.gate.national_set_gap`), and
    are otherwise skipped with the reason written to the metadata
    (``skipped``), so that a folder of a few real letters still gets its tables.

    Args:
        path: Processed folder (default ``data/processed``).
        seed: Seed of the Monte Carlo draws and bootstraps.
        n_draws: Monte Carlo draws for rank uncertainty.
        n_boot: Bootstrap replicates of the driver methods.
        shared_error_sd: Size (index points) of the error a whole panel makes together, in the rank bands and
            rank sets; None takes the default from the data
            (:func:`~smartcity_utils.analysis.rank_sets.shared_error_sd`).

    Returns:
        The files written under ``<processed>/analysis``.
    """
    from smartcity_utils.analysis.index import reconcile_index

    folder = processed_folder(path)
    inputs: dict[str, str] = {}  # the hash of each table as read: the analysis's freshness stamp
    data = load_processed(folder, ANALYSIS_INPUTS, digests=inputs)
    index_ranks = index_table(data["regency_year"])
    reconciliation = reconcile_index(index_ranks)
    # Reported ranks beside ours: they differ where a row of the group was
    # rejected during cleaning (the source ranked a regency we could not keep).
    ranks = index_ranks[["regency_id", "year", "rank_reported", "rank_computed", "is_simulated"]]
    reconciliation = reconciliation.merge(ranks, on=["regency_id", "year"], how="left", validate="1:1")
    reconciliation["rank_difference"] = reconciliation["rank_computed"] - reconciliation["rank_reported"]
    gap = national_set_gap(index_ranks)
    if gap is None:
        tables, rank_meta, meta = _national_models(index_ranks, data["scores"], seed, n_draws, n_boot,
                                                   shared_error_sd)
        skipped = {}
    else:
        tables, rank_meta, meta = _without_national_models(index_ranks)
        skipped = {step: national_gap_text(gap) for step in NATIONAL_STEPS}
        meta["national_gap"] = gap
    tables = {"index_ranks": index_ranks, "reconciliation": reconciliation, **tables}
    written = write_tables(tables, paths.analysis_dir(folder))
    # A skipped model leaves no table from an earlier run behind (it would describe other data).
    for name in NATIONAL_ONLY_TABLES:
        if name not in tables:
            for suffix in paths.TABLE_SUFFIXES:
                paths.table_file(paths.analysis_dir(folder), name, suffix).unlink(missing_ok=True)
    any_simulated = bool(index_ranks["is_simulated"].any())
    atomic_write(paths.analysis_dir(folder) / paths.RANK_UNCERTAINTY_META,
                 json.dumps({"is_simulated": any_simulated, **rank_meta}, indent=2))
    meta = {"is_simulated": any_simulated, "n_regency_years": int(len(index_ranks)), "seed": seed,
            "n_draws": n_draws, "n_boot": n_boot,
            **({"shared_error_sd": float(shared_error_sd)} if shared_error_sd is not None else {}), **meta,
            "skipped": skipped, "inputs": inputs,
            "code_version": code_version(),
            "digest": step_digest(inputs, analysis_settings(seed, n_draws, n_boot, shared_error_sd))}
    atomic_write(paths.analysis_dir(folder) / paths.ANALYSIS_META, json.dumps(meta, indent=2))
    return written


def _without_national_models(index_ranks: pd.DataFrame) -> tuple[dict, dict, dict]:
    """Empty tables in the shapes the national models write (their specifications), for data that cannot carry
    them."""
    tables = {name: resource(name).empty() for name in ("rank_uncertainty", "driver_estimates")}
    meta = {"n_driver_rows": int(len(driver_frame(index_ranks))), "r2": None, "lead_assumptions": {},
            "sobol_steps": [], "true_rank_coverage_check": {}}
    return tables, {}, meta


def _national_models(index_ranks: pd.DataFrame, scores: pd.DataFrame, seed: int, n_draws: int,
                     n_boot: int, shared_error_sd: float | None = None) -> tuple[dict, dict, dict]:
    """The measurement model, rank uncertainty and driver models: tables, rank metadata, run metadata."""
    from smartcity_utils.analysis.drivers.lead import assessor_table, lead_driver_estimates
    from smartcity_utils.analysis.drivers.run import SKIPPED_COLUMNS, model_r2, model_value, run_driver_analysis
    from smartcity_utils.analysis.measurement.tables import with_simulated_flag

    assessors = scores[(scores["level"] == "assessor") & scores["dimension_key"].notna()]
    wide = assessor_table(scores)
    frame = driver_frame(index_ranks)
    # Every table says whether its numbers come from simulated rows.
    flags = index_ranks[["regency_id", "year", "is_simulated"]]
    # The driver models share nothing with the measurement model and the rank bands: they run beside them.
    driver_job = beside(run_driver_analysis, frame, target="final_score", pillars=list(PILLAR_KEYS),
                        year_col="year", group_col="regency_id", rank_col="rank_computed", n_boot=n_boot,
                        seed=seed, assessors=wide, source="regency_year")
    try:
        measurement, uncertainty, band_check, dim_cov = _measurement_and_bands(index_ranks, scores, assessors,
                                                                               wide, flags, seed, n_draws,
                                                                               shared_error_sd)
    except BaseException:  # an error or Ctrl-C here stops the driver models too
        driver_job.cancel()
        raise
    results = driver_job.result()
    method_tables = [t for k, t in results.items() if isinstance(t, pd.DataFrame) and "estimate" in t.columns
                     and "pillar" in t.columns and k not in ("summary", "main_effect_bandwidth")]
    drivers = pd.concat(method_tables, ignore_index=True) if method_tables else pd.DataFrame()
    # Every table says whether a number in it comes from a simulated row (the one rule,
    # smartcity_utils.tables.shows_simulated), judged on the rows it was computed from: the driver
    # models on the complete regency-years and the assessor rows behind the correction.
    simulated = shows_simulated(frame, assessors)
    drivers["is_simulated"] = simulated
    summary = results["summary"].assign(is_simulated=simulated)
    skipped = results.get("skipped", pd.DataFrame(columns=SKIPPED_COLUMNS))
    tables = {"rank_uncertainty": uncertainty, "drivers": plain_for_parquet(drivers),
              "driver_estimates": lead_driver_estimates(drivers),
              "drivers_summary": plain_for_parquet(summary), "drivers_skipped": plain_for_parquet(skipped)}
    for name in MEASUREMENT_TABLES:
        tables[name] = plain_for_parquet(with_simulated_flag(measurement[name], measurement["_sources"][name], flags))
    # The rank uncertainty and the sidecars cover every regency-year, not only the complete ones.
    rank_meta = {**uncertainty.attrs.get("assumptions", {}), "true_rank_coverage_check": band_check,
                 "dimension_error_cov": dim_cov.round(6).to_dict()}
    lead_table = results.get("eiv")
    meta = {"n_driver_rows": int(len(frame)), "r2": model_r2(results),
            "lead_assumptions": lead_table.attrs.get("assumptions", {}) if lead_table is not None else {},
            "lead_sensitivity": lead_table.attrs.get("sensitivity_note", "") if lead_table is not None else "",
            "specification_test": {"test": "RESET (powers 2 and 3 of the fitted values) on the ordinary regression",
                                   "p_value": model_value(results, "reset_p")},
            "sobol_steps": measurement["rank_sensitivity"].attrs.get("steps", []),
            "sobol_output": measurement["rank_sensitivity"].attrs.get("output", ""),
            "true_rank_coverage_check": band_check}
    return tables, rank_meta, meta


def _measurement_and_bands(index_ranks: pd.DataFrame, scores: pd.DataFrame, assessors: pd.DataFrame,
                           wide: pd.DataFrame, flags: pd.DataFrame, seed: int, n_draws: int,
                           shared_error_sd: float | None = None) -> tuple[dict[str, Any], pd.DataFrame, dict,
                                                                          pd.DataFrame]:
    """The measurement model, the rank bands from its error covariance, and the bands' true-rank coverage check."""
    from smartcity_utils.analysis.drivers.lead import panel_sizes
    from smartcity_utils.analysis.measurement.tables import measurement_tables
    from smartcity_utils.analysis.rank_sets import (
        SENSITIVITY_FACTORS,
        SET_COLUMNS,
        SharedError,
        panel_index_variance,
        rank_confidence_sets,
        set_assumptions,
        set_sensitivity,
    )
    from smartcity_utils.analysis.rank_sets import shared_error_sd as shared_error_size
    from smartcity_utils.analysis.rank_uncertainty import (
        BAND_CHECK_SETS,
        WEIGHT_SPREAD,
        RankModel,
        band_coverage_check,
        rank_uncertainty,
        rankable_rows,
    )

    measurement = measurement_tables(index_ranks, scores, wide)
    dims = list(DIMENSION_KEYS)
    dim_cov = measurement["_dimension_cov"]
    sizes, assumed_m = panel_sizes(index_ranks, wide.dropna(subset=dims))
    # The panel-shared error: its size from regencies scored in consecutive years (an upper bound).
    own_var = panel_index_variance(index_ranks, dim_cov.to_numpy(), sizes)
    shared = shared_error_size(index_ranks, own_var)
    if shared_error_sd is not None:  # set by hand: the data's default stays in the record beside it
        shared = SharedError(float(shared_error_sd), f"set by hand ({shared_error_sd:g}); the data's default: "
                             f"{shared.sd:g} ({shared.source})",
                             tuple(round(f * float(shared_error_sd), 4) for f in SENSITIVITY_FACTORS), 0)
    rank_model = RankModel(n_draws=n_draws, seed=seed, weight_spread=WEIGHT_SPREAD,
                           assessor_scores=assessors[["regency_id", "year", "assessor", "dimension_key", "score"]],
                           panel_error_cov=dim_cov.to_numpy(), panel_size=assumed_m, shared_sd=shared.sd)
    uncertainty = rank_uncertainty(index_ranks, rank_model)
    uncertainty["weight_spread"] = WEIGHT_SPREAD
    assumptions = uncertainty.attrs.get("assumptions", {})
    # Beside the Monte Carlo band, the confidence sets with a coverage guarantee (rank_sets).
    rankable = rankable_rows(index_ranks)
    sets = rank_confidence_sets(index_ranks, own_var + shared.sd ** 2, rankable=rankable, seed=seed)
    uncertainty = uncertainty.merge(sets[["regency_id", "year", *SET_COLUMNS[1:]]], on=["regency_id", "year"],
                                    how="left", validate="1:1")
    uncertainty = uncertainty.merge(flags, on=["regency_id", "year"], how="left", validate="1:1")
    assumptions["rank_sets"] = {
        **set_assumptions(shared),
        "sensitivity": set_sensitivity(index_ranks, own_var, [v for v in shared.sensitivity if v != shared.sd],
                                       rankable=rankable, seed=seed)}
    uncertainty.attrs["assumptions"] = assumptions
    band_check = band_coverage_check(index_ranks, rank_model, n_rep=BAND_CHECK_SETS, seed=seed + 1)
    band_check.update(model="the bands' own", shared_error_sd=shared.sd, shared_error_pairs=shared.n_pairs,
                      shared_error_by_hand=shared_error_sd is not None)
    return measurement, uncertainty, band_check, dim_cov
