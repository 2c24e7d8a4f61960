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
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils import paths
from smartcity_utils.analysis.index import index_table
from smartcity_utils.clean.assemble import TABLES
from smartcity_utils.errors import DriverInputError, UserError
from smartcity_utils.freshness import code_version, step_digest
from smartcity_utils.metadata.resources import resource
from smartcity_utils.processes import exit_with_parent
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS, dimension_weights
from smartcity_utils.tables import (
    atomic_write,
    plain_for_parquet,
    read_tables,
    shows_simulated,
    write_tables,
)

ANALYSIS_TABLES = ("index_ranks", "reconciliation", "rank_uncertainty", "drivers", "driver_estimates",
                   "drivers_summary",
                   "drivers_skipped")

#: The measurement model and the sensitivity of the ranking, written beside the tables above.
MEASUREMENT_TABLES = ("pillar_correlation", "pillar_pca", "pillar_reliability", "icc", "assessor_leniency",
                      "assessor_variance", "error_covariance", "rank_sensitivity", "weight_scenarios",
                      "weight_scenario_sets", "pillar_mean_dimensions")

#: Tables of the measurement model and the weights that notebook 03 shows: the ICC and variance components,
#: the rank bands, the weight scenarios and Sobol indices, and the pillar mean against the dimensions.
MEASUREMENT_INPUTS = ("icc", "assessor_variance", "rank_uncertainty", "rank_sensitivity", "weight_scenarios",
                      "weight_scenario_sets", "pillar_mean_dimensions")

#: Sidecar with the assumptions of the rank uncertainty model.
RANK_UNCERTAINTY_META = "rank_uncertainty_meta.json"



def processed_folder(path: str | Path | None = None) -> Path:
    """The processed folder: ``path`` when given (and not empty), else the default."""
    return Path(path) if path else paths.PROCESSED_DIR


def load_processed(path: str | Path | None = None, tables: tuple[str, ...] = TABLES,
                   digests: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Read processed tables (Parquet); ``digests``, when given, receives the hash of each file read.

    Raises:
        FileNotFoundError: when the cleaning has not run, saying which command makes the files.
    """
    return read_tables(processed_folder(path), tables, "smartcity clean", digests=digests)


def load_analysis(path: str | Path | None = None,
                  tables: tuple[str, ...] = ANALYSIS_TABLES) -> dict[str, pd.DataFrame]:
    """Read the cached national analysis tables.

    Raises:
        FileNotFoundError: when ``smartcity analyse`` has not run.
    """
    return read_tables(paths.analysis_dir(processed_folder(path)), tables, "smartcity analyse")


def load_measurement(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The measurement-model and weight tables of :data:`MEASUREMENT_INPUTS`, written by ``smartcity analyse``."""
    return load_analysis(path, MEASUREMENT_INPUTS)


def driver_frame(index_ranks: pd.DataFrame) -> pd.DataFrame:
    """Rows usable by the driver models: every pillar and the headline present."""
    cols = list(PILLAR_KEYS) + ["final_score"]
    return index_ranks.dropna(subset=cols).reset_index(drop=True)


#: The fewest regency-years with all six pillars and an index that the national models need:
#: the regression has seven coefficients and needs at least one residual degree of freedom.
MIN_NATIONAL_ROWS = len(PILLAR_KEYS) + 2


def require_national_rows(frame: pd.DataFrame, source: str, fix: str) -> None:
    """Stop with a one-line error when the rows are too few for models across regencies.

    The rule is :func:`national_set_gap`'s.

    Args:
        frame: Regency-year rows (incomplete ones do not count).
        source: What the rows are (a folder, a selection), first in the message.
        fix: The sentence that says what to do, last in the message.

    Raises:
        DriverInputError: too few complete rows or a single regency.
    """
    gap = national_set_gap(frame)
    if gap is not None:
        raise DriverInputError(f"{source}: the national models compare regencies and {national_gap_text(gap)} "
                               f"regency(ies). {fix}")


def national_set_gap(index_ranks: pd.DataFrame) -> dict[str, int] | None:
    """What the data lack for models across regencies (``needed``, ``rows``, ``regencies``); None when they
    hold enough."""
    complete = driver_frame(index_ranks)
    n, regencies = len(complete), int(complete["regency_id"].nunique())
    if n >= MIN_NATIONAL_ROWS and regencies >= 2:
        return None
    return {"needed": MIN_NATIONAL_ROWS, "rows": n, "regencies": regencies}


def national_gap_text(gap: dict[str, int]) -> str:
    """The gap of :func:`national_set_gap` in one phrase (the command line's and the metadata's words)."""
    return (f"needs at least {gap['needed']} regency-years with all six pillars and an index, from two "
            f"regencies or more; these data have {gap['rows']} from {gap['regencies']}")


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
    an index (:data:`MIN_NATIONAL_ROWS`), and are otherwise skipped with the
    reason written to the metadata (``skipped``), so that a folder of a few
    real letters still gets its tables.

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
    atomic_write(paths.analysis_dir(folder) / RANK_UNCERTAINTY_META,
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
    from smartcity_utils.analysis.drivers.lead import assessor_table
    from smartcity_utils.analysis.drivers.run import SKIPPED_COLUMNS, run_driver_analysis

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
        tables[name] = plain_for_parquet(_flagged(measurement[name], measurement["_sources"][name], flags))
    # The rank uncertainty and the sidecars cover every regency-year, not only the complete ones.
    rank_meta = {**uncertainty.attrs.get("assumptions", {}), "true_rank_coverage_check": band_check,
                 "dimension_error_cov": dim_cov.round(6).to_dict()}
    lead_table = results.get("eiv")
    meta = {"n_driver_rows": int(len(frame)), "r2": _model_r2(results),
            "lead_assumptions": lead_table.attrs.get("assumptions", {}) if lead_table is not None else {},
            "lead_sensitivity": lead_table.attrs.get("sensitivity_note", "") if lead_table is not None else "",
            "specification_test": {"test": "RESET (powers 2 and 3 of the fitted values) on the ordinary regression",
                                   "p_value": _model_value(results, "reset_p")},
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


#: Environment variable: the most processes the analysis uses (default: the cores this process may use).
PROCESSES_VARIABLE = "SMARTCITY_ANALYSIS_PROCESSES"


def analysis_processes() -> int:
    """How many processes the analysis uses: ``SMARTCITY_ANALYSIS_PROCESSES``, else the usable cores (1 or 2)."""
    value = os.environ.get(PROCESSES_VARIABLE, "").strip()
    if value:
        try:
            wanted = int(value)
        except ValueError:
            raise UserError(f"{PROCESSES_VARIABLE}={value!r} is not a whole number; set it to 1 (one process) "
                            f"or 2 (the driver models beside the rest)") from None
        if wanted < 1:
            raise UserError(f"{PROCESSES_VARIABLE}={value!r}: set it to 1 or more")
        return min(wanted, 2)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return min(cores, 2)


class beside:  # noqa: N801 - used like a function: ``beside(f, ...).result()``
    """``func(*args, **kwargs)`` in a second process while the caller goes on; ``result()`` waits for it.

    With one process (:func:`analysis_processes`), or where processes cannot
    be forked, it runs in the caller at ``result()``. Every step draws from
    its own seed, so the tables are the same bytes either way (a test holds
    this). The child exits with its parent, even one killed by ``kill -9``,
    and an exception in the child is raised again in the caller.
    """

    def __init__(self, func, *args, **kwargs) -> None:
        self._call = (func, args, kwargs)
        self._pool = None
        self._pending = None
        if analysis_processes() > 1 and "fork" in multiprocessing.get_all_start_methods():
            # Ctrl-C is held back while the child is forked, until it ignores it (else it could die with a
            # traceback before its handlers are set); the parent receives it once the child exists.
            held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                try:
                    self._pool = multiprocessing.get_context("fork").Pool(1, initializer=_child_start,
                                                                           initargs=(os.getpid(), held))
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back arrives here
                self._pending = self._pool.apply_async(func, args, kwargs)
            except BaseException:  # the child just started stops before the interrupt goes on
                self.cancel()
                raise

    def result(self):
        func, args, kwargs = self._call
        if self._pool is None:
            return func(*args, **kwargs)
        try:
            return self._pending.get()
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child (a no-op when the call runs in the caller or has ended)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _child_start(parent: int, mask: set) -> None:
    """A child of the analysis: Ctrl-C is the parent's to handle, SIGTERM (the parent stopping it) ends it at
    once, without the parent's handlers it was forked with, and it dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    exit_with_parent(parent)


#: The fewest regency-years with an index and a known cohort, in two cohorts or more, for a comparison of
#: cohorts: as many as the national models need (a comparison across the nation, not of a few letters).
MIN_COHORT_ROWS = MIN_NATIONAL_ROWS


def analysis_coverage(path: str | Path | None = None) -> dict[str, str | None]:
    """What the cached analysis can show, per kind of analysis page: None, or what the data lack.

    ``cohorts``: a comparison of cohorts needs :data:`MIN_COHORT_ROWS` regency-years
    with an index and a known cohort, from two cohorts or more. ``drivers``: the
    pillar driver models need the national models to have run (``skipped`` in the metadata).
    """
    folder = processed_folder(path)
    meta = json.loads((paths.analysis_dir(folder) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    index_ranks = load_analysis(folder, ("index_ranks",))["index_ranks"]
    known = index_ranks.dropna(subset=["final_score", "cohort_year"])
    cohorts = None
    if len(known) < MIN_COHORT_ROWS or known["cohort_year"].nunique() < 2:
        cohorts = (f"needs at least {MIN_COHORT_ROWS} regency-years with an index and a known cohort, from two "
                   f"cohorts or more; these data have {len(known)} from {known['cohort_year'].nunique()}")
    drivers = next(iter(meta.get("skipped", {}).values()), None)
    return {"cohorts": cohorts, "drivers": drivers}


def analysis_summary(path: str | Path | None = None) -> str:
    """One line on the cached analysis: the lead driver method, the panel-shared error in the rank bands and sets,
    and the check of the bands' computation (on panels simulated from the bands' own model: not a test of it).

    The line starts with ``simulated data: `` when the analysis ran on simulated rows.
    """
    meta = json.loads((paths.analysis_dir(processed_folder(path)) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    prefix = "simulated data: " if meta.get("is_simulated") else ""
    skipped = meta.get("skipped", {})
    if skipped:
        return "\n".join(f"{prefix}{step} skipped: {reason}" for step, reason in skipped.items())
    lead = ("errors-in-variables regression corrected for the assessors' shared error" if meta.get("lead_assumptions")
            else "ordinary regression (no assessor-level scores for the correction)")
    check = meta.get("true_rank_coverage_check", {})
    shared = check.get("shared_error_sd")
    parts = []
    if shared is not None:
        where = ("set by hand" if check.get("shared_error_by_hand") else
                 f"an upper bound from {check.get('shared_error_pairs', 0)} regencies scored in consecutive years")
        parts.append(f"rank bands and 95 % rank sets include a panel-shared error of sd {shared:.3f} ({where})")
    parts.append("no rank bands checked" if check.get("coverage") is None else
                 f"on {check['n_rep']} sets of panels simulated from the bands' own model, 5-95 % bands hold "
                 f"{100 * check['coverage']:.0f} % of true ranks (nominal {100 * check['nominal']:.0f} %): a check "
                 "of the computation, not of the model")
    return f"{prefix}lead driver method: {lead}; " + "; ".join(parts)


def _flagged(table: pd.DataFrame, sources: pd.DataFrame | None, flags: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its ``is_simulated`` column: a table of regency-years takes each row's own flag (as
    ``index_ranks`` and ``rank_uncertainty`` do), any other table whether any of the rows it was computed from
    (``sources``; None: none, only the reference tables) is simulated."""
    if {"regency_id", "year"} <= set(table.columns):
        return table.drop(columns="is_simulated", errors="ignore").merge(
            flags, on=["regency_id", "year"], how="left", validate="m:1")
    return table.assign(is_simulated=shows_simulated(sources))


#: Sets of panels simulated from the data at hand to check the rank bands' coverage of the true rank:
#: 20 sets of about 800 bands give the coverage to about +-0.5 points (binomial, bands within a set dependent).
BAND_CHECK_SETS = 20


def measurement_tables(index_ranks: pd.DataFrame, scores: pd.DataFrame, wide: pd.DataFrame,
                       sobol_n_base: int | None = None) -> dict[str, Any]:
    """The measurement model and the weights: structure, reliability, leniency, error covariance, Sobol, scenarios.

    Args:
        index_ranks: :func:`index_table` output.
        scores: The processed ``scores`` table (assessor-level rows are used).
        wide: :func:`~smartcity_utils.analysis.drivers.lead.assessor_table` of ``scores``.
        sobol_n_base: Sobol base sample size (default :data:`~smartcity_utils.analysis.sensitivity.SOBOL_N_BASE`).

    Returns:
        Tables named as in :data:`MEASUREMENT_TABLES`, ``_dimension_cov`` (one
        assessor's dimension error covariance, for the rank uncertainty) and
        ``_sources`` (per table, the rows it is computed from).
    """
    from smartcity_utils.analysis.measurement import (
        LENIENCY_COMPONENTS,
        assessor_leniency,
        assessor_rows,
        error_covariance,
        icc,
        pillar_mean_vs_dimensions,
        pillar_structure,
    )
    from smartcity_utils.analysis.rank_uncertainty import (
        WEIGHT_SPREAD,
        dirichlet_concentration,
        rankable_rows,
        scenario_ranks,
        scenario_reach,
    )
    from smartcity_utils.analysis.sensitivity import OUTPUT_QUANTITY, SOBOL_N_BASE, sobol_rank_sensitivity

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


#: Columns of ``driver_estimates``, the one table of driver slopes that reports and texts read.
DRIVER_ESTIMATE_COLUMNS = resource("driver_estimates").column_names


def lead_driver_estimates(drivers: pd.DataFrame) -> pd.DataFrame:
    """The driver estimates the reports use: one row per pillar with its interval and the key of its estimand.

    From the method the drivers notebook leads with: the errors-in-variables
    regression (:mod:`smartcity_utils.analysis.drivers.lead`) with intervals
    from a bootstrap over regencies, widened by the error-size bound
    (``eiv_bound``: the interval that holds when a panel errs together). When it could not run (no assessor-level
    scores), the OLS slopes with regency-clustered intervals, labelled as such.
    """
    from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, LEAD_METHOD
    from smartcity_utils.analysis.drivers.ols import ols_as_estimates
    lead = drivers[drivers["method"] == LEAD_METHOD]
    if len(lead):
        # The interval quoted is the lead's widened by the error-size bound (it holds when a panel errs together).
        method, out = LEAD_METHOD, lead[["pillar", "estimate", "ci_low", "ci_high", "is_simulated"]]
        widened = drivers[drivers["method"] == BOUND_METHOD].set_index("pillar")
        if len(widened):
            out = out.set_index("pillar")
            for col in ("ci_low", "ci_high"):
                out[col] = widened[col].reindex(out.index).fillna(out[col])
            out = out.reset_index()
    else:
        method, out = "ols", ols_as_estimates(drivers[drivers["method"] == "ols"], extra=["is_simulated"])
    out = out.rename(columns={"pillar": "pillar_key"}).assign(method=method, estimand_key=f"estimand_{method}")
    return out[DRIVER_ESTIMATE_COLUMNS].reset_index(drop=True)


def _model_value(results: dict, column: str) -> float | None:
    model = results.get("model")
    if isinstance(model, pd.DataFrame) and column in model.columns and len(model) and pd.notna(model[column].iloc[0]):
        return float(model[column].iloc[0])
    return None


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
            known = sorted(int(y) for y in set(frame["year"]))
            raise UserError(f"no complete rows for years {unknown}; years with data: {known}")
        frame = frame[frame["year"].isin(years)]
    if evaluation_group:
        groups = sorted(set(frame["evaluation_group"].dropna()))
        if evaluation_group not in groups:
            raise UserError(f"evaluation group {evaluation_group!r} not found; groups: {groups}")
        frame = frame[frame["evaluation_group"] == evaluation_group]
    return frame.dropna(subset=[DRIVER_TARGETS[target]]).reset_index(drop=True), DRIVER_TARGETS[target]
