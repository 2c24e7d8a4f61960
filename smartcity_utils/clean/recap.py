"""Recap workbooks (*rekap*): one row per regency with pillar, dimension and final scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from smartcity_utils import regencies as ref
from smartcity_utils.clean.rows import (
    DEFAULT_GROUP,
    DIMENSIONS,
    PILLARS,
    _cell,
    _col,
    _Collector,
    _is_simulated,
    _resolve_regency,
    _row_kind,
    _sheet_scale,
)
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import (
    is_blank,
    parse_number,
    parse_score,
    parse_year,
    year_from_text,
)


def parse_recap(sheet: Sheet, out: _Collector) -> None:
    """One row per regency: pillar, dimension and final scores, rank."""
    c_reg, c_prov, c_year = _col(sheet, "regency"), _col(sheet, "province"), _col(sheet, "year")
    c_final, c_rank, c_sim = _col(sheet, "final_score"), _col(sheet, "rank"), _col(sheet, "is_simulated")
    c_group, c_cohort = _col(sheet, "evaluation_group"), _col(sheet, "cohort_year")
    score_cols = {j: c for j, c in sheet.columns.items() if c.startswith(("pillar:", "dimension:"))}
    scale = _sheet_scale(sheet, list(score_cols) + ([c_final] if c_final is not None else []))
    file_year = year_from_text(sheet.title, sheet.sheet, Path(sheet.file).name)
    if c_year is None and file_year is None:
        raise RawFileError(f"{sheet.where()}: recap without a year; add a 'Tahun' column or "
                           "put the year in the title (e.g. 'TAHUN 2022')")
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        raw_name = _cell(row, c_reg)
        kind = _row_kind(row, raw_name)
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a regency row; nothing to do" if kind != "subtotal_row" else
                           "subtotals are recomputed from the regency rows")
            continue
        if is_blank(raw_name):
            out.reject_row(sheet, i, "regency", "", "missing_regency", "fill in the Kabupaten/Kota column")
            continue
        rid = _resolve_regency(sheet, i, raw_name, _cell(row, c_prov), out)
        if rid is None:
            continue
        year = file_year
        if c_year is not None:
            year = parse_year(_cell(row, c_year)) or None
            if year is None:
                out.reject_row(sheet, i, "year", _cell(row, c_year), "bad_year", "write the year as 2022")
                continue
        record = {"regency_id": rid, "year": year, "is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                  "evaluation_group": DEFAULT_GROUP, "cohort_year_recap": None,
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        if c_group is not None and not is_blank(_cell(row, c_group)):
            record["evaluation_group"] = str(_cell(row, c_group)).strip()
        if c_cohort is not None and not is_blank(_cell(row, c_cohort)):
            record["cohort_year_recap"] = parse_year(_cell(row, c_cohort))
            if record["cohort_year_recap"] is None:
                out.reject_value(sheet, i, "cohort_year", _cell(row, c_cohort), "bad_year",
                                 "write the cohort (Angkatan) as a year, e.g. 2021")
        for j, col in score_cols.items():
            kind_, key = col.split(":")
            score, reason, fix = parse_score(_cell(row, j), scale)
            record[key] = score
            if reason:
                out.reject_value(sheet, i, key, _cell(row, j), reason, fix)
            else:
                out.scores.append({"regency_id": rid, "year": year, "stage": "final", "assessor": None,
                                   "level": "panel", "pillar_key": key if kind_ == "pillar" else None,
                                   "dimension_key": key if kind_ == "dimension" else None, "score": score,
                                   "is_simulated": record["is_simulated"], "layout": "recap",
                                   "source_file": sheet.file, "source_sheet": sheet.sheet,
                                   "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        if c_final is not None:
            score, reason, fix = parse_score(_cell(row, c_final), scale)
            record["final_score_reported"] = score
            if reason:
                out.reject_value(sheet, i, "final_score", _cell(row, c_final), reason, fix)
        if c_rank is not None:
            number, reason = parse_number(_cell(row, c_rank))
            if reason is None and (number < 1 or not float(number).is_integer()):
                reason = "bad_rank"
            record["rank_reported"] = int(number) if reason is None else None
            if reason:
                out.reject_value(sheet, i, "rank", _cell(row, c_rank), reason, "a rank is a whole number from 1")
        out.recap.append(record)
        out.keep(sheet, i)


def _dedupe_recap(out: _Collector) -> list[dict]:
    """First row per regency and year wins; later ones are rejected as duplicates."""
    seen: dict[tuple, dict] = {}
    kept = []
    value_keys = PILLARS + DIMENSIONS + ["final_score_reported", "rank_reported"]
    dropped = set()
    for rec in out.recap:
        key = (rec["regency_id"], rec["year"])
        if key not in seen:
            seen[key] = rec
            kept.append(rec)
            continue
        first = seen[key]
        same = all(_same(first.get(k), rec.get(k)) for k in value_keys)
        where = f"{first['source_file']} row {first['source_row']}"
        out.row_status[(rec["source_file"], rec["source_sheet"], rec["source_row"])] = "rejected"
        dropped.add((rec["source_file"], rec["source_sheet"], rec["source_row"]))
        out.rejects.append({"source_file": rec["source_file"], "source_sheet": rec["source_sheet"],
                            "source_row": rec["source_row"], "column": "regency",
                            "value": ref.regency_resolver().name(rec["regency_id"]),
                            "reason": "duplicate_row",
                            "suggestion": (f"identical to {where}; remove one" if same else
                                           f"conflicts with {where}, which was kept; correct the source"),
                            "layout": "recap"})
    out.scores = [s for s in out.scores if s.get("_status_key") not in dropped]
    return kept


def _same(a: object, b: object) -> bool:
    """Equal values, with two missing values counting as equal."""
    a_missing, b_missing = a is None or pd.isna(a), b is None or pd.isna(b)
    return (a_missing and b_missing) or (not a_missing and not b_missing and a == b)
