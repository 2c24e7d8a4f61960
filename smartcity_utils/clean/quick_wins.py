"""Quick Win registers: one programme per regency, year and pillar.

A regency cell merged down over several programmes reads as one filled cell
followed by empty ones. Only that case is filled down: a row whose regency
cell is empty while its pillar and programme are filled, directly under a
programme row of a named regency (no blank or note row in between), takes the
regency (and the province and year, where those are empty too) of the row
above. Each value filled down is listed in ``rejects`` as a note on the kept
row (reason ``filled_from_merged_cell``, naming the row it was taken from).
Any other empty regency is rejected as ``blank_regency``.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import is_blank, parse_score

#: Columns a merged cell can span and that are filled down with the regency.
FILL_DOWN = ("regency", "province", "kind", "year")

#: Reject reason of a value filled down from a merged cell: a note, the row is kept.
FILLED = "filled_from_merged_cell"


def parse_quick_wins(sheet: Sheet, out: rows.Collector) -> None:
    """Quick Win register: one programme per regency, year and pillar."""
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "year", "pillar",
                                                  "programme_name", "score_output", "score_outcome",
                                                  "score_impact", "score_sustainability", "is_simulated")}
    score_names = ["score_output", "score_outcome", "score_impact", "score_sustainability"]
    scale = rows.sheet_scale(sheet, [cols[n] for n in score_names if cols[n] is not None])
    above: dict[str, object] | None = None  # the filled-down cells of the programme row just above
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = list(sheet.rows[i])
        merged_below = (above is not None and is_blank(rows.cell(row, cols["regency"]))
                        and not is_blank(rows.cell(row, cols["pillar"]))
                        and not is_blank(rows.cell(row, cols["programme_name"])))
        if merged_below:
            for name in FILL_DOWN:
                j = cols[name]
                if j is not None and is_blank(rows.cell(row, j)) and not is_blank(above[name]):
                    row += [None] * (j + 1 - len(row))
                    row[j] = above[name]
                    shown = int(row[j]) if isinstance(row[j], float) and row[j].is_integer() else row[j]
                    out.reject_value(sheet, i, name, shown, FILLED,
                                     f"taken from row {above['_row']}, the first row of the merged cell")
        kind = rows.row_kind(row, rows.cell(row, cols["regency"]))
        origin = above["_row"] if merged_below else i + 1
        above = None
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a programme row; nothing to do")
            continue
        if not is_blank(rows.cell(row, cols["regency"])):
            above = {name: rows.cell(row, cols[name]) for name in FILL_DOWN} | {"_row": origin}
        found = rows.regency_and_year(sheet, i, row, cols, out)
        if found is None:
            continue
        rid, year = found
        pillar = ref.match_pillar(rows.cell(row, cols["pillar"]))
        if pillar is None:
            raw_pillar = rows.cell(row, cols["pillar"])
            out.reject_row(sheet, i, "pillar", raw_pillar, "unknown_pillar",
                           f"nearest pillar: {ref.nearest(raw_pillar, list(ref.pillars()['pillar']))}")
            continue
        record = {"regency_id": rid, "year": year, "pillar_key": pillar,
                  "programme_name": str(rows.cell(row, cols["programme_name"]) or "").strip(),
                  "is_simulated": rows.simulated_flag(sheet, row, cols["is_simulated"], i, out),
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        for name in score_names:
            score, reason, fix = parse_score(rows.cell(row, cols[name]), scale)
            record[name] = score
            if reason:
                out.reject_value(sheet, i, name, rows.cell(row, cols[name]), reason, fix)
            else:
                rows.note_marks(sheet, i, name, rows.cell(row, cols[name]), out)
        out.quick_wins.append(record)
        out.keep(sheet, i)


def quick_wins_table(records: list[dict], shared) -> pd.DataFrame:
    """The table ``quick_wins``: every programme kept, in the order read, with its regency's name and province.

    Args:
        records: The collector's ``quick_wins`` rows.
        shared: What the shared steps of the cleaning know (``clean.builders.Shared``).
    """
    return shared.named(records, "quick_wins")
