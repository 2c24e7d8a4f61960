"""Assessor workbooks: one sheet per assessor, label rows, then one row per pillar and dimension.
"""

from __future__ import annotations

from smartcity_utils import regencies as ref
from smartcity_utils.clean import recommendations, rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import is_blank, parse_score, parse_year


def is_blank_assessor_sheet(sheet: Sheet) -> bool:
    """True for an assessor sheet nobody filled in: no regency label and no score (an unused template sheet)."""
    c_s = rows.column_of(sheet, "score")
    no_scores = all(is_blank(rows.cell(row, c_s)) for row in sheet.rows[sheet.header_row + 1:])
    return no_scores and is_blank(sheet.labels.get("regency"))


def parse_assessor(sheet: Sheet, out: rows.Collector) -> None:
    """One sheet per assessor: label rows, then one row per pillar and per dimension.

    Without an ``Asesor:`` label (or with it empty) the sheet's name is the
    assessor's: workbooks often name each sheet after its assessor. The remark
    of a row (``Keterangan``) is kept as a recommendation of that pillar or
    dimension, also when the row's score is missing or bad (the row is then
    kept for its remark, the score listed in ``rejects``); the remark of a
    row rejected as a whole is listed beside it.
    """
    labels = sheet.labels
    c_p, c_d, c_s, c_sim, c_r = (rows.column_of(sheet, n)
                                 for n in ("pillar", "dimension", "score", "is_simulated", "remarks"))
    scale = rows.sheet_scale(sheet, [c_s])
    year = parse_year(labels.get("year"))
    stage = rows.stage_or_first(sheet, sheet.label_rows.get("stage", sheet.header_row), labels.get("stage"), out)
    assessor = str(labels["assessor"]).strip() if not is_blank(labels.get("assessor")) else sheet.sheet.strip()
    rid = ref.regency_resolver().resolve(labels.get("regency"), labels.get("province"), labels.get("kind"))
    for i, row in rows.data_rows(sheet, out, None, "score"):
        remark = recommendations.remark_of(row, c_r)
        if rid.regency_id is None:
            out.reject_row(sheet, i, "regency", labels.get("regency"), rid.reason,
                           rows.regency_fix(rid.reason, rid.suggestion, "label ('Kabupaten/Kota:') of this sheet"))
            recommendations.reject_remark(sheet, i, out, remark)
            continue
        out.regency_of(sheet, i, rid.regency_id)
        if year is None:
            out.reject_row(sheet, i, "year", labels.get("year"), "bad_year", "fix the 'Tahun:' label")
            recommendations.reject_remark(sheet, i, out, remark)
            continue
        out.note(sheet, i, rid.regency_id, year)
        target = rows.score_target(sheet, i, rows.cell(row, c_p), rows.cell(row, c_d), out)
        if target is None:
            recommendations.reject_remark(sheet, i, out, remark)
            continue
        simulated = rows.simulated_flag(sheet, row, c_sim, i, out)
        kept_remark = recommendations.keep_remark(sheet, i, out, remark, rid.regency_id, year, stage, assessor,
                                                  target[0], target[1], simulated, "assessor")
        score, reason, fix = parse_score(rows.cell(row, c_s), scale)
        if reason:
            if kept_remark:  # the row stays for its remark; its score is a value of a kept row
                out.reject_value(sheet, i, "score", rows.cell(row, c_s), reason, fix)
                out.keep(sheet, i)
            else:
                out.reject_row(sheet, i, "score", rows.cell(row, c_s), reason, fix)
            continue
        rows.note_marks(sheet, i, "score", rows.cell(row, c_s), out)
        out.scores.append({"regency_id": rid.regency_id, "year": year, "stage": stage, "assessor": assessor,
                           "level": "assessor", "pillar_key": target[0], "dimension_key": target[1],
                           "score": score, "is_simulated": simulated,
                           "layout": "assessor", "source_file": sheet.file, "source_sheet": sheet.sheet,
                           "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        out.keep(sheet, i)
