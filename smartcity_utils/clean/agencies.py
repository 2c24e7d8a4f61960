"""Agencies (OPD, *organisasi perangkat daerah*) taking part per pillar: one count per regency, year and pillar.

An evaluation session records how many of the regency's agencies take part
in each pillar (Kutai Kartanegara 2023, docs/sources.md: Governance 10, Branding 3,
Economy 8, Living 10, Society 7, Environment 4). The register
``Kabupaten/Kota | Tahun | Pilar | Jumlah OPD`` (a sheet of the template, or a
file of its own) is optional; a count is a whole number from 0.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.metadata.resources import column_names
from smartcity_utils.values import TOO_LARGE_FIX, parse_count

#: Fix of a count that is not a whole number.
COUNT_FIX = "write the number of agencies (OPD) taking part in the pillar as a whole number, such as 10"


def parse_agencies(sheet: Sheet, out: rows.Collector) -> None:
    """Agencies register: the number of agencies per regency, year and pillar."""
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "year", "pillar", "n_agencies",
                                                  "is_simulated")}
    for i, row in rows.data_rows(sheet, out, cols["regency"], "agencies"):
        found = rows.regency_and_year(sheet, i, row, cols, out)
        if found is None:
            continue
        rid, year = found
        raw_pillar = rows.cell(row, cols["pillar"])
        pillar = ref.match_pillar(raw_pillar)
        if pillar is None:
            out.reject_row(sheet, i, "pillar", raw_pillar, "unknown_pillar",
                           f"nearest pillar: {ref.nearest(raw_pillar, list(ref.pillars()['pillar']))}; "
                           "or add the spelling to smartcity_utils/data/pillar_aliases.csv")
            continue
        raw_count = rows.cell(row, cols["n_agencies"])
        count, reason = parse_count(raw_count, minimum=0)
        if reason:
            out.reject_row(sheet, i, "n_agencies", raw_count, reason,
                           TOO_LARGE_FIX if reason == "too_large" else COUNT_FIX)
            continue
        out.agencies.append({"regency_id": rid, "year": year, "pillar_key": pillar, "n_agencies": count,
                             "is_simulated": rows.simulated_flag(sheet, row, cols["is_simulated"], i, out),
                             "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1})
        out.keep(sheet, i)


AGENCY_COLUMNS = column_names("agencies")


def agencies_table(records: list[dict], shared) -> pd.DataFrame:
    """The table ``agencies``, in the order of years, regencies and pillars.

    Args:
        records: The collector's ``agencies`` rows, one per regency, year and pillar once
            ``precedence.resolve_agencies`` has kept one of each.
        shared: What the shared steps of the cleaning know (``clean.builders.Shared``).
    """
    frame = shared.named(records, "agencies")
    order = {k: n for n, k in enumerate(ref.PILLAR_KEYS)}
    frame = frame.assign(_order=frame["pillar_key"].map(order)).sort_values(
        ["year", "regency_id", "_order"], ignore_index=True).drop(columns="_order")
    return frame.astype({"regency_id": "int64", "year": "int64", "n_agencies": "int64", "is_simulated": bool,
                         "source_row": "int64", "regency": "str", "province": "str", "pillar_key": "str",
                         "source_file": "str", "source_sheet": "str"})
