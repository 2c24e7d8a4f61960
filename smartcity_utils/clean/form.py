"""Online-form exports: one row per answer; a later resubmission replaces an earlier one.
"""

from __future__ import annotations

from smartcity_utils.clean import recommendations, rows
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.values import is_blank, parse_score, parse_timestamp


def parse_form(sheet: Sheet, out: rows.Collector) -> None:
    """Online-form export: one row per answer; resubmissions are resolved later.

    An answer's remark (``Keterangan``) is kept as a recommendation of its
    pillar or dimension, as in assessor sheets (:mod:`smartcity_utils.clean.assessor`).
    """
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "year", "stage", "assessor",
                                                  "question_code", "pillar", "dimension", "score",
                                                  "submitted_at", "is_simulated", "remarks")}
    scale = rows.sheet_scale(sheet, [cols["score"]])
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if rows.row_kind(row, None) == "blank_row":
            out.reject_row(sheet, i, "", "", "blank_row", "nothing to do")
            continue
        remark = recommendations.remark_of(row, cols["remarks"])
        found = rows.regency_and_year(sheet, i, row, cols, out)
        if found is None:
            recommendations.reject_remark(sheet, i, out, remark)
            continue
        rid, year = found
        out.note(sheet, i, rid, year)
        target = rows.score_target(sheet, i, rows.cell(row, cols["pillar"]), rows.cell(row, cols["dimension"]),
                                   out)
        if target is None:
            recommendations.reject_remark(sheet, i, out, remark)
            continue
        stage = rows.stage_or_first(sheet, i, rows.cell(row, cols["stage"]), out)
        assessor = str(rows.cell(row, cols["assessor"]) or "").strip() or None
        simulated = rows.simulated_flag(sheet, row, cols["is_simulated"], i, out)
        kept_remark = recommendations.keep_remark(sheet, i, out, remark, rid, year, stage, assessor, target[0],
                                                  target[1], simulated, "form")
        score, reason, fix = parse_score(rows.cell(row, cols["score"]), scale)
        if reason:
            if kept_remark:  # the row stays for its remark; its score is a value of a kept row
                out.reject_value(sheet, i, "score", rows.cell(row, cols["score"]), reason, fix)
                out.keep(sheet, i)
            else:
                out.reject_row(sheet, i, "score", rows.cell(row, cols["score"]), reason, fix)
            continue
        rows.note_marks(sheet, i, "score", rows.cell(row, cols["score"]), out)
        raw_time = rows.cell(row, cols["submitted_at"])
        submitted = parse_timestamp(raw_time)
        if submitted is None and not is_blank(raw_time):
            # The answer is kept; only the order of resubmissions needs the time.
            out.reject_value(sheet, i, "submitted_at", raw_time, "bad_timestamp",
                             "write the time as 2024-07-01 10:00:00 or 01/07/2024 10:00; "
                             "without a time the later line counts as the later submission")
        out.form.append({"regency_id": rid, "year": year, "stage": stage, "assessor": assessor,
                         "question_code": str(rows.cell(row, cols["question_code"]) or ""),
                         "level": "assessor", "pillar_key": target[0], "dimension_key": target[1],
                         "score": score, "submitted_at": submitted, "is_simulated": simulated,
                         "layout": "form", "source_file": sheet.file, "source_sheet": sheet.sheet,
                         "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        out.keep(sheet, i)


def supersede_resubmissions(out: rows.Collector) -> list[dict]:
    """Keep the latest answer per regency, year, stage, assessor and question."""
    latest: dict[tuple, dict] = {}
    for rec in out.form:
        key = (rec["regency_id"], rec["year"], rec["stage"], rec["assessor"], rec["question_code"],
               rec["pillar_key"], rec["dimension_key"])
        old = latest.get(key)
        if old is None:
            latest[key] = rec
            continue
        newer, older = (rec, old) if _later(rec, old) else (old, rec)
        latest[key] = newer
        out.row_status[older["_status_key"]] = "rejected"
        out.rejects.append({"source_file": older["source_file"], "source_sheet": older["source_sheet"],
                            "source_row": older["source_row"], "column": "score", "value": str(older["score"]),
                            "reason": "superseded",
                            "suggestion": f"a later submission (row {newer['source_row']}) replaces it",
                            "layout": "form", "regency_id": older["regency_id"]})
    return list(latest.values())


def _later(a: dict, b: dict) -> bool:
    ta, tb = a["submitted_at"], b["submitted_at"]
    if ta is None or tb is None or ta == tb:
        return a["source_row"] > b["source_row"]  # same time: the later line wins
    return ta > tb
