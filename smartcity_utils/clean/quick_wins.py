"""Quick Win registers: one programme per regency, year and pillar.
"""

from __future__ import annotations

from smartcity_utils import reference as ref
from smartcity_utils.clean.rows import (
    _cell,
    _col,
    _Collector,
    _is_simulated,
    _resolve_regency,
    _row_kind,
    _sheet_scale,
)
from smartcity_utils.clean.sheets import (
    Sheet,
)
from smartcity_utils.values import is_blank, parse_score, parse_year


def parse_quick_wins(sheet: Sheet, out: _Collector) -> None:
    """Quick Win register: one programme per regency, year and pillar."""
    cols = {n: _col(sheet, n) for n in ("regency", "province", "year", "pillar", "programme_name",
                                         "score_output", "score_outcome", "score_impact",
                                         "score_sustainability", "is_simulated")}
    score_names = ["score_output", "score_outcome", "score_impact", "score_sustainability"]
    scale = _sheet_scale(sheet, [cols[n] for n in score_names if cols[n] is not None])
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        kind = _row_kind(row, _cell(row, cols["regency"]))
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a programme row; nothing to do")
            continue
        rid = _resolve_regency(sheet, i, _cell(row, cols["regency"]), _cell(row, cols["province"]), out)
        if rid is None:
            continue
        year = parse_year(_cell(row, cols["year"]))
        if year is None:
            out.reject_row(sheet, i, "year", _cell(row, cols["year"]), "bad_year", "write the year as 2022")
            continue
        pillar = ref.match_pillar(_cell(row, cols["pillar"]))
        if pillar is None:
            out.reject_row(sheet, i, "pillar", _cell(row, cols["pillar"]), "unknown_pillar",
                           f"nearest pillar: {ref.nearest(_cell(row, cols['pillar']), list(ref.pillars()['pillar']))}")
            continue
        record = {"regency_id": rid, "year": year, "pillar_key": pillar,
                  "programme_name": str(_cell(row, cols["programme_name"]) or "").strip(),
                  "is_simulated": _is_simulated(sheet, row, cols["is_simulated"], i, out),
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        for name in score_names:
            score, reason, fix = parse_score(_cell(row, cols[name]), scale)
            record[name] = score
            if reason:
                out.reject_value(sheet, i, name, _cell(row, cols[name]), reason, fix)
        out.quick_wins.append(record)
        out.keep(sheet, i)
