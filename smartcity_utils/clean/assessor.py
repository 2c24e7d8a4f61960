"""Assessor workbooks: one sheet per assessor, label rows, then one row per pillar and dimension.
"""

from __future__ import annotations

from smartcity_utils import regencies as ref
from smartcity_utils.clean.rows import (
    _cell,
    _col,
    _Collector,
    _is_simulated,
    _row_kind,
    _score_target,
    _sheet_scale,
    _stage_or_first,
)
from smartcity_utils.clean.sheets import (
    Sheet,
)
from smartcity_utils.values import is_blank, parse_score, parse_year


def parse_assessor(sheet: Sheet, out: _Collector) -> None:
    """One sheet per assessor: label rows, then one row per pillar and per dimension."""
    labels = sheet.labels
    c_p, c_d, c_s, c_sim = (_col(sheet, n) for n in ("pillar", "dimension", "score", "is_simulated"))
    scale = _sheet_scale(sheet, [c_s])
    year = parse_year(labels.get("year"))
    stage = _stage_or_first(sheet, sheet.label_rows.get("stage", sheet.header_row), labels.get("stage"), out)
    assessor = None if is_blank(labels.get("assessor")) else str(labels["assessor"]).strip()
    rid = ref.regency_resolver().resolve(labels.get("regency"), labels.get("province"))
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        kind = _row_kind(row, None)
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a score row; nothing to do")
            continue
        if rid.regency_id is None:
            out.reject_row(sheet, i, "regency", labels.get("regency"), rid.reason,
                           f"nearest known name: {rid.suggestion}; fix the 'Kabupaten/Kota:' label "
                           "or add the name to smartcity_utils/data/regency_aliases.csv")
            continue
        if year is None:
            out.reject_row(sheet, i, "year", labels.get("year"), "bad_year", "fix the 'Tahun:' label")
            continue
        target = _score_target(sheet, i, _cell(row, c_p), _cell(row, c_d), out)
        if target is None:
            continue
        score, reason, fix = parse_score(_cell(row, c_s), scale)
        if reason:
            out.reject_row(sheet, i, "score", _cell(row, c_s), reason, fix)
            continue
        out.scores.append({"regency_id": rid.regency_id, "year": year, "stage": stage, "assessor": assessor,
                           "level": "assessor", "pillar_key": target[0], "dimension_key": target[1],
                           "score": score, "is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                           "layout": "assessor", "source_file": sheet.file, "source_sheet": sheet.sheet,
                           "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        out.keep(sheet, i)
