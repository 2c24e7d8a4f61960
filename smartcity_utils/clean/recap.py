"""Recap workbooks (*rekap*): one row per regency with pillar, dimension and final scores.
"""

from __future__ import annotations

from pathlib import Path

from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import is_blank, parse_number, parse_score, parse_year, year_from_text


def parse_recap(sheet: Sheet, out: rows.Collector) -> None:
    """One row per regency: pillar, dimension and final scores, rank."""
    c_reg, c_prov, c_year, c_final, c_rank, c_sim, c_group, c_cohort, c_kind = (
        rows.column_of(sheet, name) for name in ("regency", "province", "year", "final_score", "rank",
                                                 "is_simulated", "evaluation_group", "cohort_year", "kind"))
    score_cols = {j: c for j, c in sheet.columns.items() if c.startswith(("pillar:", "dimension:"))}
    scale = rows.sheet_scale(sheet, list(score_cols) + ([c_final] if c_final is not None else []))
    file_year = year_from_text(sheet.title, sheet.sheet, Path(sheet.file).name)
    if c_year is None and file_year is None:
        raise RawFileError(f"{sheet.where()}: recap without a year; add a 'Tahun' column or "
                           "put the year in the title (e.g. 'TAHUN 2022')")
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        raw_name = rows.cell(row, c_reg)
        kind = rows.row_kind(row, raw_name)
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a regency row; nothing to do" if kind != "subtotal_row" else
                           "subtotals are recomputed from the regency rows")
            continue
        rid = rows.resolve_regency(sheet, i, raw_name, rows.cell(row, c_prov), out, rows.cell(row, c_kind))
        if rid is None:
            continue
        year = file_year
        if c_year is not None:
            year = parse_year(rows.cell(row, c_year)) or None
            if year is None:
                out.reject_row(sheet, i, "year", rows.cell(row, c_year), "bad_year", "write the year as 2022")
                continue
        out.note(sheet, i, rid, year)
        record = {"regency_id": rid, "year": year, "is_simulated": rows.simulated_flag(sheet, row, c_sim, i, out),
                  "evaluation_group": rows.DEFAULT_GROUP, "cohort_year_recap": None,
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        if c_group is not None and not is_blank(rows.cell(row, c_group)):
            record["evaluation_group"] = str(rows.cell(row, c_group)).strip()
        if c_cohort is not None and not is_blank(rows.cell(row, c_cohort)):
            record["cohort_year_recap"] = parse_year(rows.cell(row, c_cohort))
            if record["cohort_year_recap"] is None:
                out.reject_value(sheet, i, "cohort_year", rows.cell(row, c_cohort), "bad_year",
                                 "write the cohort (Angkatan) as a year, e.g. 2021")
        for j, col in score_cols.items():
            kind_, key = col.split(":")
            score, reason, fix = parse_score(rows.cell(row, j), scale)
            record[key] = score
            if reason:
                out.reject_value(sheet, i, key, rows.cell(row, j), reason, fix)
            else:
                rows.note_marks(sheet, i, key, rows.cell(row, j), out)
                out.scores.append({"regency_id": rid, "year": year, "stage": "final", "assessor": None,
                                   "level": "panel", "pillar_key": key if kind_ == "pillar" else None,
                                   "dimension_key": key if kind_ == "dimension" else None, "score": score,
                                   "is_simulated": record["is_simulated"], "layout": "recap",
                                   "source_file": sheet.file, "source_sheet": sheet.sheet,
                                   "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        if c_final is not None:
            score, reason, fix = parse_score(rows.cell(row, c_final), scale)
            record["final_score_reported"] = score
            if reason:
                out.reject_value(sheet, i, "final_score", rows.cell(row, c_final), reason, fix)
            else:
                rows.note_marks(sheet, i, "final_score", rows.cell(row, c_final), out)
        if c_rank is not None:
            number, reason = parse_number(rows.cell(row, c_rank))
            if reason is None and (number < 1 or not float(number).is_integer()):
                reason = "bad_rank"
            record["rank_reported"] = int(number) if reason is None else None
            if reason:
                out.reject_value(sheet, i, "rank", rows.cell(row, c_rank), reason, "a rank is a whole number from 1")
            else:
                rows.note_marks(sheet, i, "rank", rows.cell(row, c_rank), out)
        out.recap.append(record)
        out.keep(sheet, i)
