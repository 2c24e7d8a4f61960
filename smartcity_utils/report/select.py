"""Which reports to render: regencies chosen by name, cohort or all, checked before any data is read.

A regency named on the command line is identified once, where the command
line is read (:func:`identify`), into a :class:`Subject`; the choice of
reports, the jobs and the notebooks take the subjects and never look a name
up again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import regency_resolver, resolve_regencies

if TYPE_CHECKING:
    from smartcity_utils.report.profile import ReportContext

REPORT_NOTEBOOK = paths.REPORT_NOTEBOOK


@dataclass(frozen=True)
class Subject:
    """One regency a report is about, identified once.

    Attributes:
        regency_id: The regency's id (the gazetteer's).
        name: Its display name (the gazetteer's canonical name), passed unchanged to the report.
        year: The year of the report; None: the regency's latest year with an index.
        lang: The report's language.
        given: The name, alias or code as the user wrote it (named by messages, and by a comparison's file
            name); empty for a regency chosen by cohort or ``--all``.
    """

    regency_id: int
    name: str
    year: int | None = None
    lang: str = "id"
    given: str = ""

    @property
    def label(self) -> str:
        """The name as given, else the display name."""
        return self.given or self.name


def identify(names: list[str], year: int | None = None, lang: str = "id") -> list[Subject]:
    """Resolve names, aliases or codes once into subjects, in the order given.

    Raises:
        UserError: naming each value that does not resolve, with the nearest known names
            (:func:`smartcity_utils.regencies.resolve_regencies`).
    """
    names = [str(n) for n in names]
    resolver = regency_resolver()
    return [Subject(int(i), resolver.name(int(i)), year, lang, n) for n, i in zip(names, resolve_regencies(names))]


def subject_of(regency_id: int, year: int | None = None, lang: str = "id") -> Subject:
    """The subject of a regency known by its id (a member of a cohort, or of ``--all``)."""
    return Subject(int(regency_id), regency_resolver().name(int(regency_id)), year, lang)


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


def analysis_is_stale(folder: Path, settings: dict | None = None) -> bool:
    """True unless the cached analysis was computed from the processed tables now on disk, by this code.

    ``smartcity analyse`` stamps its metadata with one digest
    (:func:`smartcity_utils.freshness.step_digest`) of the hash of each table
    as it read it, the code version and its settings. The analysis is fresh
    only while the tables on disk give the same digest and the analysis tables
    are one whole generation, so a clean that ran during the analysis leaves it
    stale, never fresh. File times are not used.

    Args:
        folder: The processed folder.
        settings: The analysis settings asked for (:func:`~smartcity_utils.analysis.run.analysis_settings`);
            None: whichever the cached analysis ran with.
    """
    from smartcity_utils.errors import MixedOutputsError
    from smartcity_utils.freshness import step_digest
    from smartcity_utils.tables import file_digest, read_generation

    analysis = paths.analysis_dir(folder)
    try:
        meta = json.loads((analysis / paths.ANALYSIS_META).read_text(encoding="utf-8"))
        marker = read_generation(analysis)
    except (OSError, ValueError, MixedOutputsError):
        return True
    inputs = meta.get("inputs") if isinstance(meta, dict) else None
    if not isinstance(inputs, dict) or not inputs:
        return True
    current = {}
    for name in inputs:
        table = paths.table_file(folder, name)
        if not table.is_file():
            return True
        current[name] = file_digest(table)
    if current != inputs:  # the tables on disk are not those the analysis read
        return True
    ran_with = {k: meta.get(k) for k in ("seed", "n_draws", "n_boot")}
    if meta.get("shared_error_sd") is not None:  # the panel-shared error's size, when set by hand
        ran_with["shared_error_sd"] = meta["shared_error_sd"]
    if settings is not None and dict(settings) != ran_with:
        return True
    if meta.get("digest") != step_digest(current, ran_with):
        return True
    if marker is not None:
        for fname, digest in marker["files"].items():
            if not (analysis / fname).is_file() or file_digest(analysis / fname) != digest:
                return True
    return False


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
