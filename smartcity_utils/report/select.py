"""Which reports to render: regencies chosen by name, cohort or all, checked before any data is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import regency_resolver, resolve_regencies

REPORT_NOTEBOOK = paths.REPORT_NOTEBOOK


def choose_regencies(regency_year: pd.DataFrame, names: list[str], cohort: int | None, every: bool,
                     year: int | None) -> list[tuple[int, str]]:
    """(regency_id, canonical name) of every regency to report on.

    A report is of a year with an index: with ``index_ranks`` (which has
    ``final_score``), only regency-years with an index count; without
    ``year``, a regency counts when it has an index in any year.

    Raises:
        UserError: no selection, an unknown name (with the nearest names), a
            cohort without members, or regencies without an index in ``year``.
    """
    if not (names or cohort or every):
        raise UserError("say which reports to render: --regency NAME (repeatable), --cohort YEAR or --all")
    if "final_score" in regency_year.columns:
        regency_year = regency_year[regency_year["final_score"].notna()]
    rows = regency_year if year is None else regency_year[regency_year["year"] == year]
    if year is not None and rows.empty:
        known = sorted(int(y) for y in regency_year["year"].unique())
        raise UserError(f"no index in {year}; years with an index: {known}")
    chosen: dict[int, str] = {}
    if names:
        ids = resolve_regencies(names)
        missing = [n for n, i in zip(names, ids) if i not in set(rows["regency_id"])]
        if missing:
            where = f"in {year}" if year is not None else "in any year"
            raise UserError(f"no index (reported, or computed from five dimension scores) {where} for: "
                            f"{', '.join(missing)}")
        chosen.update(dict.fromkeys(ids, ""))
    if cohort is not None:
        members = rows.loc[rows["cohort_year"] == cohort, "regency_id"]
        if members.empty:
            cohorts = sorted(int(c) for c in regency_year["cohort_year"].dropna().unique())
            raise UserError(f"no regency of cohort {cohort} has data; cohorts: {cohorts}")
        chosen.update(dict.fromkeys(members, ""))
    if every:
        chosen.update(dict.fromkeys(rows["regency_id"], ""))
    resolver = regency_resolver()
    return sorted(((int(i), resolver.name(int(i))) for i in chosen), key=lambda pair: pair[1])


COMPARE_NOTEBOOK = paths.COMPARE_NOTEBOOK


def comparison_job(regency_year: pd.DataFrame, names: list[str], year: int, lang: str, out_dir: Path):
    """The one job of a comparison report, and the canonical names of its regencies.

    The file name is ``compare-<the names as given>.<lang>.html``.

    Raises:
        UserError: fewer than two distinct regencies, or one without data.
    """
    from smartcity_utils.report.compare import setup
    from smartcity_utils.report.jobs import plan_reports

    ids, canonical, year = setup(regency_year, names, year)
    job = plan_reports([(0, "compare " + " ".join(names))], year, lang, out_dir)[0]
    return job, [canonical[i] for i in ids]
