"""The national analysis, computed once per run and cached as files.

``run_analysis`` reads the processed tables, computes the headline index
from the dimension scores, reconciles it with the reported one, ranks every
regency within its year and evaluation group, estimates rank uncertainty and
fits the pillar driver models; it writes the results to
``data/processed/analysis/``. Notebooks and the per-regency reports read
these files instead of recomputing them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.analysis.index import index_table
from smartcity_utils.clean.assemble import TABLES
from smartcity_utils.errors import UserError
from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.tables import (
    atomic_write,
    plain_for_parquet,
    read_tables,
    write_tables,
)

ANALYSIS_TABLES = ("index_ranks", "reconciliation", "rank_uncertainty", "drivers", "driver_estimates",
                   "drivers_summary",
                   "drivers_skipped")


def processed_folder(path: str | Path | None = None) -> Path:
    """The processed folder: ``path`` when given (and not empty), else the default."""
    return Path(path) if path else paths.PROCESSED_DIR


def load_processed(path: str | Path | None = None, tables: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Read processed tables (Parquet).

    Raises:
        FileNotFoundError: when the cleaning has not run, saying which command makes the files.
    """
    return read_tables(processed_folder(path), tables, "smartcity clean")


def load_analysis(path: str | Path | None = None,
                  tables: tuple[str, ...] = ANALYSIS_TABLES) -> dict[str, pd.DataFrame]:
    """Read the cached national analysis tables.

    Raises:
        FileNotFoundError: when ``smartcity analyse`` has not run.
    """
    return read_tables(paths.analysis_dir(processed_folder(path)), tables, "smartcity analyse")


def driver_frame(index_ranks: pd.DataFrame) -> pd.DataFrame:
    """Rows usable by the driver models: every pillar and the headline present."""
    cols = list(PILLAR_KEYS) + ["final_score"]
    return index_ranks.dropna(subset=cols).reset_index(drop=True)


def run_analysis(path: str | Path | None = None, seed: int = 0, n_draws: int = 1000,
                 n_boot: int = 200) -> list[Path]:
    """Compute and cache the national analysis tables.

    Args:
        path: Processed folder (default ``data/processed``).
        seed: Seed of the Monte Carlo draws and bootstraps.
        n_draws: Monte Carlo draws for rank uncertainty.
        n_boot: Bootstrap replicates of the driver methods.

    Returns:
        The files written under ``<processed>/analysis``.
    """
    from smartcity_utils.analysis.drivers.run import run_driver_analysis
    from smartcity_utils.analysis.index import reconcile_index
    from smartcity_utils.analysis.rank_uncertainty import rank_uncertainty

    folder = processed_folder(path)
    data = load_processed(folder, ("regency_year", "scores"))
    index_ranks = index_table(data["regency_year"])
    reconciliation = reconcile_index(index_ranks)
    scores = data["scores"]
    assessors = scores[(scores["level"] == "assessor") & scores["dimension_key"].notna()]
    uncertainty = rank_uncertainty(index_ranks, n_draws=n_draws, seed=seed,
                                   assessor_scores=assessors[["regency_id", "year", "assessor",
                                                              "dimension_key", "score"]])
    # Every table says whether its numbers come from simulated rows.
    flags = index_ranks[["regency_id", "year", "is_simulated"]]
    # Reported ranks beside ours: they differ where a row of the group was
    # rejected during cleaning (the source ranked a regency we could not keep).
    ranks = index_ranks[["regency_id", "year", "rank_reported", "rank_computed", "is_simulated"]]
    reconciliation = reconciliation.merge(ranks, on=["regency_id", "year"], how="left", validate="1:1")
    reconciliation["rank_difference"] = reconciliation["rank_computed"] - reconciliation["rank_reported"]
    uncertainty = uncertainty.merge(flags, on=["regency_id", "year"], how="left", validate="1:1")
    frame = driver_frame(index_ranks)
    results = run_driver_analysis(frame, target="final_score", pillars=list(PILLAR_KEYS), year_col="year",
                                  group_col="regency_id", rank_col="rank_computed", n_boot=n_boot, seed=seed,
                                  source="regency_year")
    method_tables = [t for k, t in results.items() if isinstance(t, pd.DataFrame) and "estimate" in t.columns
                     and "pillar" in t.columns and k not in ("summary",)]
    drivers = pd.concat(method_tables, ignore_index=True) if method_tables else pd.DataFrame()
    drivers["is_simulated"] = bool(frame["is_simulated"].any())
    summary = results["summary"].assign(is_simulated=bool(frame["is_simulated"].any()))
    skipped = results.get("skipped", pd.DataFrame(columns=["method", "reason"]))
    tables = {"index_ranks": index_ranks, "reconciliation": reconciliation, "rank_uncertainty": uncertainty,
              "drivers": plain_for_parquet(drivers), "driver_estimates": lead_driver_estimates(drivers),
              "drivers_summary": plain_for_parquet(summary), "drivers_skipped": plain_for_parquet(skipped)}
    written = write_tables(tables, paths.analysis_dir(folder))
    meta = {"n_regency_years": int(len(index_ranks)), "n_driver_rows": int(len(frame)), "seed": seed,
            "n_draws": n_draws, "n_boot": n_boot, "r2": _model_r2(results)}
    atomic_write(paths.analysis_dir(folder) / paths.ANALYSIS_META, json.dumps(meta, indent=2))
    return written


#: Columns of ``driver_estimates``, the one table of driver slopes that reports and texts read.
DRIVER_ESTIMATE_COLUMNS = ["pillar_key", "estimate", "ci_low", "ci_high", "method", "estimand", "is_simulated"]


def lead_driver_estimates(drivers: pd.DataFrame) -> pd.DataFrame:
    """The driver estimates the reports use: one row per pillar with its interval and its estimand.

    The headline's change per point of a pillar, the other pillars held fixed,
    from the method the drivers notebook leads with.
    """
    ols = drivers[drivers["method"] == "ols"]
    out = pd.DataFrame({"pillar_key": ols["pillar"], "estimate": ols["coef"], "ci_low": ols["coef_ci_low"],
                        "ci_high": ols["coef_ci_high"], "method": "ols",
                        "estimand": "difference in the headline index per point of the pillar, other pillars "
                                    "held equal (association across regency-years)",
                        "is_simulated": ols["is_simulated"]})
    return out[DRIVER_ESTIMATE_COLUMNS].reset_index(drop=True)


def _model_r2(results: dict) -> float | None:
    model = results.get("model")
    if isinstance(model, pd.DataFrame) and "r2" in model.columns and len(model):
        return float(model["r2"].iloc[0])
    return None


#: Targets of the driver notebook: the headline itself, or the rank expressed as a
#: within-year percentile (100 = best), comparable across groups of different sizes.
DRIVER_TARGETS = {"final_score": "final_score", "rank": "percentile_year"}


def driver_inputs(index_ranks: pd.DataFrame, years: list[int] | None = None, evaluation_group: str = "",
                  target: str = "final_score") -> tuple[pd.DataFrame, str]:
    """Rows and target column for the driver models, after the notebook's filters.

    Raises:
        ValueError: for an unknown target, group, or years without data, naming what exists.
    """
    if target not in DRIVER_TARGETS:
        raise UserError(f"target {target!r} is not one of {sorted(DRIVER_TARGETS)}")
    frame = driver_frame(index_ranks)
    if years:
        unknown = sorted(set(years) - set(frame["year"]))
        if unknown:
            raise UserError(f"no complete rows for years {unknown}; years with data: {sorted(set(frame['year']))}")
        frame = frame[frame["year"].isin(years)]
    if evaluation_group:
        groups = sorted(set(frame["evaluation_group"]))
        if evaluation_group not in groups:
            raise UserError(f"evaluation group {evaluation_group!r} not found; groups: {groups}")
        frame = frame[frame["evaluation_group"] == evaluation_group]
    return frame.dropna(subset=[DRIVER_TARGETS[target]]).reset_index(drop=True), DRIVER_TARGETS[target]
