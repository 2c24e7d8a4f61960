"""Cohort registers: the year each regency joined the programme.
"""

from __future__ import annotations

from smartcity_utils.clean.rows import (
    _cell,
    _col,
    _Collector,
    _is_simulated,
    _resolve_regency,
    _row_kind,
)
from smartcity_utils.clean.sheets import (
    Sheet,
)
from smartcity_utils.values import parse_year


def parse_cohorts(sheet: Sheet, out: _Collector) -> None:
    """Cohort register: the year each regency joined the programme."""
    c_reg, c_prov, c_coh = _col(sheet, "regency"), _col(sheet, "province"), _col(sheet, "cohort_year")
    c_src, c_sim = _col(sheet, "source"), _col(sheet, "is_simulated")
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if _row_kind(row, _cell(row, c_reg)):
            out.reject_row(sheet, i, "", "", _row_kind(row, _cell(row, c_reg)), "nothing to do")
            continue
        rid = _resolve_regency(sheet, i, _cell(row, c_reg), _cell(row, c_prov), out)
        if rid is None:
            continue
        cohort = parse_year(_cell(row, c_coh))
        if cohort is None:
            out.reject_row(sheet, i, "cohort_year", _cell(row, c_coh), "bad_year", "write the cohort year as 2021")
            continue
        out.cohorts.append({"regency_id": rid, "cohort_year": cohort,
                            "cohort_source": str(_cell(row, c_src) or sheet.file),
                            "cohort_is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                            "source_file": sheet.file, "source_row": i + 1, "_sheet": sheet, "_i": i})
        out.keep(sheet, i)
