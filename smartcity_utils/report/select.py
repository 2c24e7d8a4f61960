"""Which reports to render: regencies chosen by name, cohort or all, checked before any data is read.

A regency named on the command line is identified once, where the command
line is read (:func:`~smartcity_utils.regencies.identify`), into a
:class:`~smartcity_utils.regencies.Subject`; the choice of reports, the jobs
and the notebooks take the subjects and never look a name up again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import Subject, identify, subject_of

if TYPE_CHECKING:
    from smartcity_utils.report.profile import ReportContext

REPORT_NOTEBOOK = paths.REPORT_NOTEBOOK


def report_subject(ctx: ReportContext, regency: str, regency_id: int, year: int | None, lang: str) -> Subject:
    """The subject of a regency's report (``notebooks/10_regency_profile.ipynb``) from its parameters.

    The runner gives the regency as ``smartcity report`` identified it (its
    id and display name) and the year the command checked (0: the latest with
    an index); nothing is looked up or checked again. A notebook run by hand
    (``regency_id`` 0) resolves ``regency`` and checks ``year`` itself.

    Args:
        ctx: The report's tables.
        regency: The ``regency`` parameter: the display name, or (by hand) a name, alias or code.
        regency_id: The ``regency_id`` parameter; 0: resolve ``regency``.
        year: The ``year`` parameter; 0 or None: the regency's latest year with an index.
        lang: The report's language.

    Raises:
        UserError: an unknown name, or (run by hand) a year without data or index for the regency.
    """
    from smartcity_utils.report.profile import choose_year

    if regency_id:
        given = Subject(int(regency_id), str(regency), int(year) if year else None, lang)
        return given if given.year is not None else replace(given, year=choose_year(ctx, given.regency_id, None))
    subject = identify([regency], None, lang)[0]
    return replace(subject, year=choose_year(ctx, subject.regency_id, year))


def choose_regencies(regency_year: pd.DataFrame, subjects: list[Subject], cohort: int | None, every: bool,
                     year: int | None, lang: str = "id") -> list[Subject]:
    """Every regency to report on, in the order of their names.

    A report is of a year with an index: with ``index_ranks`` (which has
    ``final_score``), only regency-years with an index count; without
    ``year``, a regency counts when it has an index in any year. This is
    where ``year`` is checked: the reports take it as it is.

    Args:
        regency_year: ``index_ranks`` (or any table with ``regency_id``, ``year`` and ``cohort_year``).
        subjects: The regencies named (:func:`identify`).
        cohort: Every regency of this cohort too.
        every: Every regency with data too.
        year: The year of every report; None: each regency's latest year with an index.
        lang: The reports' language.

    Raises:
        UserError: no selection, a cohort without members, or regencies
            without an index in ``year``.
    """
    if not (subjects or cohort or every):
        raise UserError("say which reports to render: --regency NAME (repeatable), --cohort YEAR or --all")
    if "final_score" in regency_year.columns:
        regency_year = regency_year[regency_year["final_score"].notna()]
    rows = regency_year if year is None else regency_year[regency_year["year"] == year]
    if year is not None and rows.empty:
        known = sorted(int(y) for y in regency_year["year"].unique())
        raise UserError(f"no index in {year}; years with an index: {known}")
    chosen: dict[int, Subject] = {}
    if subjects:
        have = set(rows["regency_id"])
        missing = [s.label for s in subjects if s.regency_id not in have]
        if missing:
            where = f"in {year}" if year is not None else "in any year"
            raise UserError(f"no index (reported, or computed from five dimension scores) {where} for: "
                            f"{', '.join(missing)}")
        for s in subjects:
            chosen.setdefault(s.regency_id, replace(s, year=year, lang=lang))
    members = []
    if cohort is not None:
        in_cohort = rows.loc[rows["cohort_year"] == cohort, "regency_id"]
        if in_cohort.empty:
            cohorts = sorted(int(c) for c in regency_year["cohort_year"].dropna().unique())
            raise UserError(f"no regency of cohort {cohort} has data; cohorts: {cohorts}")
        members += list(in_cohort)
    if every:
        members += list(rows["regency_id"])
    for i in dict.fromkeys(int(m) for m in members):
        if i not in chosen:
            chosen[i] = subject_of(i, year, lang)
    return sorted(chosen.values(), key=lambda s: s.name)


COMPARE_NOTEBOOK = paths.COMPARE_NOTEBOOK


def comparison_job(regency_year: pd.DataFrame, subjects: list[Subject], year: int | None, lang: str, out_dir: Path):
    """The one job of a comparison report, and its regencies (display names and ids).

    The file name is ``compare-<the names as given>.<lang>.html``.

    Raises:
        UserError: fewer than two distinct regencies, or one without data.
    """
    from smartcity_utils.report.compare import comparison
    from smartcity_utils.report.jobs import plan_reports

    ids, canonical, year = comparison(regency_year, subjects, year)
    job = plan_reports([(0, "compare " + " ".join(s.label for s in subjects))], year, lang, out_dir)[0]
    return job, [canonical[i] for i in ids], ids
