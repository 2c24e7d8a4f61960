"""Cohort registers: the year each regency joined the programme.
"""

from __future__ import annotations

from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import parse_year


def parse_cohorts(sheet: Sheet, out: rows.Collector) -> None:
    """Cohort register: the year each regency joined the programme."""
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "cohort_year", "source",
                                                  "is_simulated")}
    for i, row in rows.data_rows(sheet, out, cols["regency"], "cohort"):
        regency = rows.cell(row, cols["regency"])
        rid = rows.resolve_regency(sheet, i, regency, rows.cell(row, cols["province"]), out,
                                   rows.cell(row, cols["kind"]))
        if rid is None:
            continue
        cohort = parse_year(rows.cell(row, cols["cohort_year"]))
        if cohort is None:
            out.reject_row(sheet, i, "cohort_year", rows.cell(row, cols["cohort_year"]), "bad_year",
                           "write the cohort year as 2021")
            continue
        out.cohorts.append({"regency_id": rid, "cohort_year": cohort,
                            "cohort_source": str(rows.cell(row, cols["source"]) or sheet.file),
                            "cohort_is_simulated": rows.simulated_flag(sheet, row, cols["is_simulated"], i, out),
                            "source_file": sheet.file, "source_row": i + 1, "_sheet": sheet, "_i": i})
        out.keep(sheet, i)
