"""Evaluation-group registers: which groups a year's letters ranked, and how many regencies each held.

A rank means nothing without its group and the group's size ("8 of 37"). A
register row ``Tahun | Kelompok | Jumlah Peserta | Angkatan | Lingkup Peringkat | Sumber``
declares one group; ranks are computed only within a group whose size is
known and whose every member is loaded. ``Angkatan`` (optional) gives the
cohorts the group ranked (``2021``, ``2017-2022``): a regency-year whose files
name no group joins the one group of its year that holds its cohort. The
groups documented in public sources ship in
``smartcity_utils/data/evaluation_groups.csv``.
"""

from __future__ import annotations

import re

from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import TOO_LARGE_FIX, is_blank, parse_count, parse_year

#: The cohorts of a group: one year or a span of years (``2021``, ``2017-2022``, ``2017 - 2022``).
_COHORTS = re.compile(r"^\s*(\d{4})(?:\.0)?\s*(?:[-\u2013/]\s*(\d{4}))?\s*$")


def parse_cohorts(value: object) -> tuple[int | None, int | None] | None:
    """``(first, last)`` cohort of a group from ``2021`` or ``2017-2022``; ``(None, None)`` when empty, None
    when unreadable."""
    if is_blank(value):
        return None, None
    found = _COHORTS.match(str(value))
    if not found:
        return None
    first = int(found.group(1))
    last = int(found.group(2)) if found.group(2) else first
    return (first, last) if first <= last else None


def parse_groups(sheet: Sheet, out: rows.Collector) -> None:
    """One evaluation group per row: year, name, number of members, the cohorts it ranked, scope, source."""
    cols = {n: rows.column_of(sheet, n) for n in ("year", "evaluation_group", "rank_of", "cohort_year", "rank_scope",
                                                  "source", "is_simulated")}
    for i, row in rows.data_rows(sheet, out, cols["evaluation_group"], "group"):
        year = parse_year(rows.cell(row, cols["year"]))
        if year is None:
            out.reject_row(sheet, i, "year", rows.cell(row, cols["year"]), "bad_year", "write the year as 2024")
            continue
        name = rows.cell(row, cols["evaluation_group"])
        if is_blank(name):
            out.reject_row(sheet, i, "evaluation_group", "", "blank_group",
                           "name the group as the regency rows name it (Kelompok)")
            continue
        size, reason = parse_count(rows.cell(row, cols["rank_of"]))
        if reason:
            out.reject_row(sheet, i, "rank_of", rows.cell(row, cols["rank_of"]), reason,
                           TOO_LARGE_FIX if reason == "too_large"
                           else "the number of regencies the group ranked, a whole number such as 191")
            continue
        cohorts = parse_cohorts(rows.cell(row, cols["cohort_year"]))
        if cohorts is None:
            out.reject_value(sheet, i, "cohort_year", rows.cell(row, cols["cohort_year"]), "bad_cohorts",
                             "the cohorts the group ranked, one year (2021) or a span (2017-2022)")
            cohorts = (None, None)
        scope = rows.cell(row, cols["rank_scope"])
        source = rows.cell(row, cols["source"])
        out.groups.append({"year": year, "evaluation_group": " ".join(str(name).split()), "n_members": size,
                           "rank_scope": None if is_blank(scope) else str(scope).strip(),
                           "cohort_from": cohorts[0], "cohort_to": cohorts[1],
                           "source": None if is_blank(source) else str(source).strip(),
                           "is_simulated": rows.simulated_flag(sheet, row, cols["is_simulated"], i, out),
                           "source_file": sheet.file, "source_row": i + 1})
        out.keep(sheet, i)
