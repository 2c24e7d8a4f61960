"""``smartcity report``: choose the regencies, check the parameters, render.

Parameters are checked before anything runs: an unknown regency stops with
the nearest known names, a year without data with the years that have it.
The national analysis is computed once (only when the processed tables are
newer than the cache) and every report reads it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.analysis import load_processed, processed_dir, run_analysis
from smartcity_utils.profile import report_inputs
from smartcity_utils.reference import resolve_regencies

REPORT_NOTEBOOK = paths.NOTEBOOKS_DIR / "10_regency_profile.ipynb"


def analysis_is_stale(folder: Path) -> bool:
    """True when the cached analysis is missing or older than the processed tables."""
    meta = folder / "analysis" / "analysis_meta.json"
    if not meta.exists():
        return True
    sources = [folder / f"{name}.parquet" for name in ("regency_year", "scores")]
    return any(p.exists() and p.stat().st_mtime_ns > meta.stat().st_mtime_ns for p in sources)


def choose_regencies(regency_year: pd.DataFrame, names: list[str], cohort: int | None, every: bool,
                     year: int | None) -> list[tuple[int, str]]:
    """(regency_id, canonical name) of every regency to report on.

    Raises:
        ValueError: no selection, an unknown name (with the nearest names), a
            cohort without members, or regencies without data in ``year``.
    """
    if not (names or cohort or every):
        raise ValueError("say which reports to render: --regency NAME (repeatable), --cohort YEAR or --all")
    rows = regency_year if year is None else regency_year[regency_year["year"] == year]
    if year is not None and rows.empty:
        raise ValueError(f"no data for year {year}; years with data: {sorted(regency_year['year'].unique())}")
    chosen: dict[int, str] = {}
    if names:
        ids = resolve_regencies(names)
        missing = [n for n, i in zip(names, ids) if i not in set(rows["regency_id"])]
        if missing:
            where = f"in {year}" if year is not None else "in the processed data"
            raise ValueError(f"no evaluation data {where} for: {', '.join(missing)}")
        chosen.update(dict.fromkeys(ids, ""))
    if cohort is not None:
        members = rows.loc[rows["cohort_year"] == cohort, "regency_id"]
        if members.empty:
            cohorts = sorted(int(c) for c in regency_year["cohort_year"].dropna().unique())
            raise ValueError(f"no regency of cohort {cohort} has data; cohorts: {cohorts}")
        chosen.update(dict.fromkeys(members, ""))
    if every:
        chosen.update(dict.fromkeys(rows["regency_id"], ""))
    names_by_id = regency_year.drop_duplicates("regency_id").set_index("regency_id")["regency"]
    return [(int(i), str(names_by_id[i])) for i in sorted(chosen, key=lambda i: names_by_id[i])]


def report_command(args: argparse.Namespace) -> int:
    """Render the reports asked for; exit status 1 when any report failed."""
    from smartcity_utils.report import plan_reports, render_reports

    resolve_regencies(args.regency)  # unknown names stop here, before any data is read
    folder = processed_dir(getattr(args, "data_dir", None))
    regency_year = load_processed(folder, ("regency_year",))["regency_year"]
    # One year for the whole run, so that the index compares like with like.
    year = args.year if args.year is not None else int(regency_year["year"].max())
    regencies = choose_regencies(regency_year, args.regency, args.cohort, args.all, year)
    out_dir = Path(args.out)
    jobs = plan_reports(regencies, year, args.lang, out_dir)

    def precompute() -> Path:
        if analysis_is_stale(folder):
            run_analysis(folder)
        return folder / "analysis"

    if getattr(args, "quiet", False):
        os.environ["TQDM_DISABLE"] = "1"
    summary = render_reports(jobs, REPORT_NOTEBOOK, workers=args.workers, timeout=args.timeout, force=args.force,
                             extra_parameters={"data_dir": str(folder)}, precompute=precompute,
                             progress=not getattr(args, "quiet", False), input_files=report_inputs(folder))
    print(summary.format())
    return 1 if summary.failed else 0
