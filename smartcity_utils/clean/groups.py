"""Evaluation-group registers: which groups a year's letters ranked, and how many regencies each held.

A rank means nothing without its group and the group's size ("8 of 37"). A
register row ``Tahun | Kelompok | Jumlah Peserta | Lingkup Peringkat | Sumber``
declares one group; ranks are computed only within a group whose size is
known and whose every member is loaded. The groups documented in public
sources ship in ``smartcity_utils/data/evaluation_groups.csv``.
"""

from __future__ import annotations

from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import TOO_LARGE_FIX, is_blank, parse_count, parse_year


def parse_groups(sheet: Sheet, out: rows.Collector) -> None:
    """One evaluation group per row: year, name, number of members, scope, source."""
    cols = {n: rows.column_of(sheet, n) for n in ("year", "evaluation_group", "rank_of", "rank_scope", "source",
                                                  "is_simulated")}
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
        scope = rows.cell(row, cols["rank_scope"])
        source = rows.cell(row, cols["source"])
        out.groups.append({"year": year, "evaluation_group": " ".join(str(name).split()), "n_members": size,
                           "rank_scope": None if is_blank(scope) else str(scope).strip(),
                           "cohorts": None, "source": None if is_blank(source) else str(source).strip(),
                           "is_simulated": rows.simulated_flag(sheet, row, cols["is_simulated"], i, out),
                           "source_file": sheet.file, "source_row": i + 1})
        out.keep(sheet, i)
