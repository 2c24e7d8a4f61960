"""Which reports to render: regencies chosen by name, cohort or all, checked before any data is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import resolve_regencies

REPORT_NOTEBOOK = paths.REPORT_NOTEBOOK


def analysis_is_stale(folder: Path) -> bool:
    """True when the cached analysis is missing or older than the processed tables."""
    meta = paths.analysis_dir(folder) / paths.ANALYSIS_META
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
        raise UserError("say which reports to render: --regency NAME (repeatable), --cohort YEAR or --all")
    rows = regency_year if year is None else regency_year[regency_year["year"] == year]
    if year is not None and rows.empty:
        raise UserError(f"no data for year {year}; years with data: {sorted(regency_year['year'].unique())}")
    chosen: dict[int, str] = {}
    if names:
        ids = resolve_regencies(names)
        missing = [n for n, i in zip(names, ids) if i not in set(rows["regency_id"])]
        if missing:
            where = f"in {year}" if year is not None else "in the processed data"
            raise UserError(f"no evaluation data {where} for: {', '.join(missing)}")
        chosen.update(dict.fromkeys(ids, ""))
    if cohort is not None:
        members = rows.loc[rows["cohort_year"] == cohort, "regency_id"]
        if members.empty:
            cohorts = sorted(int(c) for c in regency_year["cohort_year"].dropna().unique())
            raise UserError(f"no regency of cohort {cohort} has data; cohorts: {cohorts}")
        chosen.update(dict.fromkeys(members, ""))
    if every:
        chosen.update(dict.fromkeys(rows["regency_id"], ""))
    names_by_id = regency_year.drop_duplicates("regency_id").set_index("regency_id")["regency"]
    return [(int(i), str(names_by_id[i])) for i in sorted(chosen, key=lambda i: names_by_id[i])]
