"""Published facts: the only real scores, each with its source address.
"""

from __future__ import annotations

from smartcity_utils import regencies as ref
from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import _SUGGEST, parse_number, parse_year


def parse_published(sheet: Sheet, out: rows.Collector) -> None:
    """Published facts: the one real score table."""
    resolver = ref.regency_resolver()
    for i in range(1, len(sheet.rows)):
        row = sheet.rows[i]
        if rows.row_kind(row, None) == "blank_row":
            out.reject_row(sheet, i, "", "", "blank_row", "nothing to do")
            continue
        record = dict(zip(["index", "year", "region", "metric", "value", "rank", "rank_of",
                           "rank_scope", "source_url"], row + [None] * 9))
        year = parse_year(record["year"])
        if year is None:
            out.reject_row(sheet, i, "year", record["year"], "bad_year", "write the year as 2022")
            continue
        record["year"] = year
        for name in ("value", "rank", "rank_of"):
            number, reason = parse_number(record[name])
            if reason == "not_a_number":
                out.reject_value(sheet, i, name, record[name], reason, _SUGGEST[reason])
            elif reason is None:
                rows.note_marks(sheet, i, name, record[name], out)
            record[name] = number
        # World cities (IMD) are not regencies; their id stays empty, which is not an error.
        record["regency_id"] = resolver.resolve(record["region"]).regency_id
        record.update(is_simulated=False, source_file=sheet.file, source_row=i + 1)
        out.published.append(record)
        out.keep(sheet, i)
