"""Recap workbooks (*rekap*): one row per regency with any of pillar, dimension and final scores and ranks.

Real recaps are partial: a provincial table often has only names and final
scores, a typed letter five dimensions, the index and a rank "8 dari 37". Any
subset is read; what a row does not give stays empty.
"""

from __future__ import annotations

from pathlib import Path

from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import (
    TOO_LARGE_FIX,
    is_blank,
    parse_count,
    parse_rank,
    parse_score,
    parse_year,
    year_from_text,
)

#: What a recap row can give; a row with none of them is rejected as ``no_values``.
VALUE_KEYS = (*rows.PILLARS, *rows.DIMENSIONS, "final_score_reported", "rank_reported", "rank_province_reported")

#: The suggested fix for an unreadable rank.
RANK_FIX = "a rank is a whole number from 1, optionally with its group: 8, 8 dari 37, 8/37"


def parse_recap(sheet: Sheet, out: rows.Collector) -> None:
    """One row per regency: pillar, dimension and final scores, rank."""
    c_reg, c_prov, c_year, c_final, c_sim, c_group, c_cohort, c_kind, c_scope, c_source = (
        rows.column_of(sheet, name) for name in ("regency", "province", "year", "final_score", "is_simulated",
                                                 "evaluation_group", "cohort_year", "kind", "rank_scope", "source"))
    score_cols = {j: c for j, c in sheet.columns.items() if c.startswith(("pillar:", "dimension:"))}
    scale = rows.sheet_scale(sheet, list(score_cols) + ([c_final] if c_final is not None else []))
    file_year = year_from_text(sheet.title, sheet.sheet, Path(sheet.file).name)
    if c_year is None and file_year is None:
        raise RawFileError(f"{sheet.where()}: recap without a year; add a 'Tahun' column or "
                           "put the year in the title (e.g. 'TAHUN 2022')")
    for i, row in rows.data_rows(sheet, out, c_reg):
        raw_name = rows.cell(row, c_reg)
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
        # No group column: the group is unset here and decided when the tables are built.
        record = {"regency_id": rid, "year": year, "is_simulated": rows.simulated_flag(sheet, row, c_sim, i, out),
                  "evaluation_group": None, "cohort_year_recap": None, "layout": "recap",
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": sheet.row_number(i),
                  "source_url": _text(rows.cell(row, c_source))}
        if c_group is not None and not is_blank(rows.cell(row, c_group)):
            record["evaluation_group"] = str(rows.cell(row, c_group)).strip()
        if c_scope is not None and not is_blank(rows.cell(row, c_scope)):
            record["rank_scope"] = str(rows.cell(row, c_scope)).strip()
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
                                   "source_row": sheet.row_number(i),
                                   "_status_key": (sheet.file, sheet.sheet, sheet.row_number(i))})
        if c_final is not None:
            score, reason, fix = parse_score(rows.cell(row, c_final), scale)
            record["final_score_reported"] = score
            if reason:
                out.reject_value(sheet, i, "final_score", rows.cell(row, c_final), reason, fix)
            else:
                rows.note_marks(sheet, i, "final_score", rows.cell(row, c_final), out)
        _read_ranks(sheet, i, row, record, out)
        if not any(record.get(k) is not None for k in VALUE_KEYS):
            out.reject_row(sheet, i, "", raw_name, "no_values",
                           "the row names a regency but gives no readable score, index or rank; "
                           "fill them in or remove the row")
            continue
        out.recap.append(record)
        out.keep(sheet, i)


def _text(value: object) -> str | None:
    return None if is_blank(value) else " ".join(str(value).split())


def _read_ranks(sheet: Sheet, i: int, row: list[object], record: dict, out: rows.Collector) -> None:
    """The rank in the group (with its size, from ``8 dari 37`` or a ``Jumlah Peserta`` column) and the
    rank in the province, into ``record``; unreadable cells are listed."""
    c_rank, c_of, c_prov_rank = (rows.column_of(sheet, n) for n in ("rank", "rank_of", "rank_province"))
    size = None
    if c_of is not None:
        size, reason = parse_count(rows.cell(row, c_of))
        if reason:
            out.reject_value(sheet, i, "rank_of", rows.cell(row, c_of), reason,
                             TOO_LARGE_FIX if reason == "too_large" else "the group size is a whole number, e.g. 37")
    for col, key in ((c_rank, "rank_reported"), (c_prov_rank, "rank_province_reported")):
        if col is None:
            continue
        rank, written_size, reason = parse_rank(rows.cell(row, col))
        if reason:
            out.reject_value(sheet, i, key.removesuffix("_reported"), rows.cell(row, col), reason,
                             TOO_LARGE_FIX if reason == "too_large" else RANK_FIX)
            continue
        rows.note_marks(sheet, i, key.removesuffix("_reported"), rows.cell(row, col), out)
        record[key] = rank
        if key == "rank_reported":
            if written_size is not None and size is not None and written_size != size:
                out.reject_value(sheet, i, "rank_of", rows.cell(row, c_of), "rank_of_conflict",
                                 f"the rank cell says {rows.cell(row, col)!r}; make the two agree")
            size = size or written_size
            if size is not None and rank > size:
                out.reject_value(sheet, i, "rank", rows.cell(row, col), "bad_rank",
                                 f"rank {rank} is beyond the group's size {size}; check both")
                record[key] = None
        else:
            record["rank_province_of"] = written_size
    if size is not None and record.get("rank_reported") is not None:
        record["rank_of"] = size
