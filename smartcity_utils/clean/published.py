"""Published facts: real figures, one a row, each with its source address.

Every row is kept in the side table ``published_facts``. The rows of the
smart city evaluation itself (``index`` = ``GMSC_eval``) are also data of their
regency-year: a letter's five dimension scores, its index ("Nilai Final") and
its rank in the letter's group, and the pillar scores where a source gives
them, feed ``regency_year`` like a recap row would, under the same precedence
rules (real over simulated; two files that disagree are listed or stop the run).
Figures of other indices (IKCI, IMD, SPBE) stay in the side table.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils import regencies
from smartcity_utils.clean import rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.metadata.layouts import PUBLISHED_COLUMNS
from smartcity_utils.metadata.resources import column_names
from smartcity_utils.values import MAX_COUNT, SUGGEST, TOO_LARGE_FIX, is_blank, parse_number, parse_score, parse_year

#: The ``index`` value of the smart city evaluation's own figures (Kominfo's letters).
EVALUATION_INDEX = "gmsc_eval"

#: A ``rank_scope`` starting with this word is a rank within a province ("4th in Jawa Timur").
PROVINCE_SCOPE = "prov"


def metric_key(metric: object) -> str | None:
    """The regency-year column a metric of the evaluation fills: a pillar, a dimension or the index."""
    label = str(metric or "").replace("_", " ")
    if ref.column_aliases().get(ref.normalise_label(label)) == "final_score":
        return "final_score_reported"
    return ref.match_pillar(label) or ref.match_dimension(label)


def parse_published(sheet: Sheet, out: rows.Collector) -> None:
    """Published facts: every row into the side table; the evaluation's own rows into their regency-year."""
    resolver = regencies.regency_resolver()
    letters: dict[tuple[int, int], dict] = {}
    for i in range(1, len(sheet.rows)):
        row = sheet.rows[i]
        if rows.row_kind(row, None) == "blank_row":
            out.reject_row(sheet, i, "", "", "blank_row", "nothing to do")
            continue
        record = dict(zip(PUBLISHED_COLUMNS, row + [None] * len(PUBLISHED_COLUMNS)))
        year = parse_year(record["year"])
        if year is None:
            out.reject_row(sheet, i, "year", record["year"], "bad_year", "write the year as 2022")
            continue
        record["year"] = year
        for name in ("value", "rank", "rank_of"):
            number, reason = parse_number(record[name])
            if reason is None and name != "value" and abs(number) > MAX_COUNT:
                # A rank or group size the tables could not hold (1e19): listed, never an overflow.
                out.reject_value(sheet, i, name, record[name], "too_large", TOO_LARGE_FIX)
                number = None
            elif reason in ("not_a_number", "formula_without_value", "error_cell", "ambiguous_number"):
                out.reject_value(sheet, i, name, record[name], reason, SUGGEST[reason])
            elif reason is None:
                rows.note_marks(sheet, i, name, record[name], out)
            record[name] = number
        resolution = resolver.resolve(record["region"])
        evaluation = ref.normalise_label(record["index"]) == EVALUATION_INDEX
        if evaluation and resolution.regency_id is None:
            out.reject_row(sheet, i, "region", record["region"], resolution.reason,
                           rows.regency_fix(resolution.reason, resolution.suggestion))
            continue
        # World cities (IMD) are not regencies; their id stays empty, which is not an error.
        record["regency_id"] = resolution.regency_id
        if resolution.regency_id is not None:
            out.regency_of(sheet, i, resolution.regency_id)
        record.update(is_simulated=False, source_file=sheet.file, source_row=i + 1)
        if evaluation:
            out.note(sheet, i, resolution.regency_id, year)
            _into_letter(sheet, i, record, letters, out)
        out.published.append(record)
        out.keep(sheet, i)
    for letter in letters.values():
        out.recap.append(letter)


def _into_letter(sheet: Sheet, i: int, record: dict, letters: dict, out: rows.Collector) -> None:
    """Add one evaluation figure to its regency-year's record (one record per regency-year and file)."""
    key = metric_key(record["metric"])
    if key is None:
        return  # "improvement" and other derived figures stay in the side table
    rid, year = record["regency_id"], record["year"]
    letter = letters.setdefault((rid, year), {
        "regency_id": rid, "year": year, "is_simulated": False, "evaluation_group": None,
        "cohort_year_recap": None, "layout": "published", "source_file": sheet.file, "source_sheet": sheet.sheet,
        "source_row": i + 1, "source_url": None, "_rows": {}})
    score, reason, fix = parse_score(record["value"], 4)
    if reason == "missing":
        pass  # an unreadable value is listed above; an empty one leaves the metric out
    elif reason:
        out.reject_value(sheet, i, "value", record["value"], reason, fix)
    elif letter.get(key) is not None:
        same = letter[key] == score
        out.reject_value(sheet, i, "value", record["value"], "duplicate_value" if same else "conflicting_fact",
                         f"row {letter['_rows'][key]} of this file gives {record['metric']} of {record['region']} "
                         f"{year} " + ("too; kept once" if same else f"as {letter[key]}; keep the right row"))
    else:
        letter[key] = score
        letter["_rows"][key] = i + 1
        if key != "final_score_reported":
            out.scores.append({"regency_id": rid, "year": year, "stage": "final", "assessor": None, "level": "panel",
                               "pillar_key": key if key in rows.PILLARS else None,
                               "dimension_key": key if key in rows.DIMENSIONS else None, "score": score,
                               "is_simulated": False, "layout": "published", "source_file": sheet.file,
                               "source_sheet": sheet.sheet, "source_row": i + 1,
                               "_status_key": (sheet.file, sheet.sheet, i + 1), "_record_key": key})
    url = record.get("source_url")
    if not is_blank(url):
        urls = (letter["source_url"] or "").split()
        letter["source_url"] = " ".join(dict.fromkeys(urls + [str(url).strip()]))
    if record["rank"] is None:
        return
    if key != "final_score_reported":
        out.reject_value(sheet, i, "rank", record["rank"], "rank_not_on_index",
                         "a published rank belongs to the row of the index (metric indeks_smart_city)")
        return
    rank, size = record["rank"], record["rank_of"]
    if rank < 1 or not float(rank).is_integer() or (size is not None and (size < rank or not float(size).is_integer())):
        out.reject_value(sheet, i, "rank", rank, "bad_rank",
                         "a rank is a whole number from 1, not above its group's size (rank_of)")
        return
    scope = None if is_blank(record["rank_scope"]) else str(record["rank_scope"]).strip()
    prefix = "rank_province" if scope and ref.normalise_label(scope).startswith(PROVINCE_SCOPE) else "rank"
    letter[f"{prefix}_reported"] = int(rank)
    letter[f"{prefix}_of"] = None if size is None else int(size)
    letter["_rows"][f"{prefix}_reported"] = i + 1
    if prefix == "rank":
        letter["rank_scope"] = scope


def published_facts_table(records: list[dict], shared) -> pd.DataFrame:
    """The table ``published_facts``: every row kept, in the order read, its ranks whole numbers.

    Args:
        records: The collector's ``published`` rows.
        shared: What the shared steps of the cleaning know (``clean.builders.Shared``; not needed here).
    """
    published = pd.DataFrame(records, columns=column_names("published_facts"))
    published["regency_id"] = pd.array(published["regency_id"], dtype="Int64")
    published["value"] = pd.to_numeric(published["value"]).astype("float64")
    for col in ("rank", "rank_of"):
        published[col] = pd.array(pd.to_numeric(published[col]).round(), dtype="Int64")
    return published
