"""The national analysis, computed once per run and cached as files.

``run_analysis`` reads the processed tables, computes the headline index
from the dimension scores, reconciles it with the reported one, ranks every
regency within its year and evaluation group, estimates rank uncertainty and
fits the pillar driver models; it writes the results to
``data/processed/analysis/``. Notebooks and the per-regency reports read
these files instead of recomputing them. ``run_notebooks`` executes the
analysis notebooks with papermill.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.clean import TABLES, write_tables
from smartcity_utils.reference import PILLAR_KEYS

ANALYSIS_TABLES = ("index_ranks", "reconciliation", "rank_uncertainty", "drivers", "drivers_summary",
                   "drivers_skipped")
ANALYSIS_NOTEBOOKS = ("01_clean_evaluations.ipynb", "02_compare_cohorts.ipynb", "03_pillar_drivers.ipynb")


def processed_dir(path: str | Path | None = None) -> Path:
    """The processed folder: ``path`` when given (and not empty), else the default."""
    return Path(path) if path else paths.PROCESSED_DIR


def _read_tables(folder: Path, tables: tuple[str, ...], command: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in tables:
        file = folder / f"{name}.parquet"
        if not file.exists():
            raise FileNotFoundError(f"{file} not found; run `{command}` first")
        out[name] = pd.read_parquet(file)
    return out


def load_processed(path: str | Path | None = None, tables: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Read processed tables (Parquet).

    Raises:
        FileNotFoundError: when the cleaning has not run, saying which command makes the files.
    """
    return _read_tables(processed_dir(path), tables, "smartcity clean")


def load_analysis(path: str | Path | None = None,
                  tables: tuple[str, ...] = ANALYSIS_TABLES) -> dict[str, pd.DataFrame]:
    """Read the cached national analysis tables.

    Raises:
        FileNotFoundError: when ``smartcity analyse`` has not run.
    """
    return _read_tables(processed_dir(path) / "analysis", tables, "smartcity analyse")


def index_table(regency_year: pd.DataFrame) -> pd.DataFrame:
    """Regency-years with the computed index, the headline used, ranks and percentiles.

    ``final_score`` is the reported index where the source has one, else the
    index computed from the dimension scores with the year's weights;
    ``final_score_source`` says which. Ranks (``rank_computed``) are
    competition ranks of ``final_score`` within year and evaluation group.
    """
    from smartcity_utils.index import add_ranks, compute_index

    table = compute_index(regency_year)
    reported = table["final_score_reported"]
    table["final_score"] = reported.fillna(table["final_score_computed"])
    table["final_score_source"] = reported.notna().map({True: "reported", False: "computed"})
    table.loc[table["final_score"].isna(), "final_score_source"] = "missing"
    return add_ranks(table, score_col="final_score")


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
    from smartcity_utils.drivers import run_driver_analysis
    from smartcity_utils.index import rank_uncertainty, reconcile_index

    folder = processed_dir(path)
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
              "drivers": _plain(drivers), "drivers_summary": _plain(summary), "drivers_skipped": _plain(skipped)}
    written = write_tables(tables, folder / "analysis")
    meta = {"n_regency_years": int(len(index_ranks)), "n_driver_rows": int(len(frame)), "seed": seed,
            "n_draws": n_draws, "n_boot": n_boot, "r2": _model_r2(results)}
    (folder / "analysis" / "analysis_meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return written


def _model_r2(results: dict) -> float | None:
    model = results.get("model")
    if isinstance(model, pd.DataFrame) and "r2" in model.columns and len(model):
        return float(model["r2"].iloc[0])
    return None


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding lists or dicts become text, so Parquet can store them."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v, default=str) if isinstance(v, (list, dict, tuple))
                                        else v)
    return frame


def run_notebooks(out_dir: Path, notebooks: tuple[str, ...] = ANALYSIS_NOTEBOOKS,
                  parameters: dict[str, dict] | None = None) -> list[Path]:
    """Execute the analysis notebooks with papermill into ``out_dir``.

    Args:
        out_dir: Folder for the executed copies (and the notebooks' output files).
        notebooks: Notebook file names under ``notebooks/``.
        parameters: Extra parameters per notebook file name.

    Returns:
        The executed notebooks.
    """
    import papermill as pm
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for name in notebooks:
        target = out_dir / name
        # Local sockets instead of TCP ports: no port races, no "unencrypted TCP" warning.
        with tempfile.TemporaryDirectory(prefix="sc-kernel-") as sockets:
            km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
            try:
                pm.execute_notebook(str(paths.NOTEBOOKS_DIR / name), str(target), kernel_name="python3",
                                    parameters={"output_dir": str(out_dir), **(parameters or {}).get(name, {})},
                                    cwd=str(paths.NOTEBOOKS_DIR), progress_bar=False, km=km)
            finally:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
        # A readable copy without code, linked from reports/index.html.
        body, _ = exporter.from_filename(str(target))
        target.with_suffix(".html").write_text(body, encoding="utf-8")
        done.append(target)
    return done


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
        raise ValueError(f"target {target!r} is not one of {sorted(DRIVER_TARGETS)}")
    frame = driver_frame(index_ranks)
    if years:
        unknown = sorted(set(years) - set(frame["year"]))
        if unknown:
            raise ValueError(f"no complete rows for years {unknown}; years with data: {sorted(set(frame['year']))}")
        frame = frame[frame["year"].isin(years)]
    if evaluation_group:
        groups = sorted(set(frame["evaluation_group"]))
        if evaluation_group not in groups:
            raise ValueError(f"evaluation group {evaluation_group!r} not found; groups: {groups}")
        frame = frame[frame["evaluation_group"] == evaluation_group]
    return frame.dropna(subset=[DRIVER_TARGETS[target]]).reset_index(drop=True), DRIVER_TARGETS[target]


def save_outputs(output_dir: str | Path, tables: dict[str, pd.DataFrame] | None = None,
                 figures: dict | None = None, simulated: bool = True) -> list[Path]:
    """Write a notebook's result tables (CSV) and figures (PNG) under fixed names.

    Every table gets an ``is_simulated`` column (unless it has one), so a
    simulated number never travels without its label. Nothing is written
    when ``output_dir`` is empty (interactive exploration).
    """
    if not output_dir:
        return []
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (tables or {}).items():
        path = folder / f"{name}.csv"
        tmp = path.with_suffix(".csv.tmp")
        if "is_simulated" not in table.columns:
            table = table.assign(is_simulated=simulated)
        table.to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(path)
        written.append(path)
    for name, fig in (figures or {}).items():
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        written.append(path)
    return written
