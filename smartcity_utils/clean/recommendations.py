"""Recommendations of the panel and the regency's follow-up.

Three sources give a recommendation: the recommendations register (layout
``recommendations``: one row per recommendation, optionally with its follow-up
status, date and evidence), the remarks (``Keterangan``) of an assessor
sheet's pillar and dimension rows, and the remarks of form answers. Every
remark is kept as written; a remark of a row that is rejected is listed in
``rejects`` beside the row, so that no remark disappears.

One recommendation is one regency, year, pillar (or "all pillars", the
masterplan, a dimension) and text: the same text given by two assessors, or
repeated by a follow-up register with its status, is one recommendation whose
``source_rows`` name every row. Texts are compared without capitals, accents,
punctuation or spacing. The layout and the tables are documented in
``docs/data_model.md``.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.clean import rows
from smartcity_utils.clean.precedence import Conflicts, list_replaced, resolve_status, row_reference
from smartcity_utils.clean.sheets import Sheet
from smartcity_utils.clean.themes import match_text, match_themes
from smartcity_utils.metadata.resources import column_names
from smartcity_utils.values import ErrorCell, FormulaCell, is_blank, parse_stage, parse_timestamp, parse_year

#: Years between a recommendation and its follow-up when a status row gives neither a follow-up year nor a
#: date: the next year's first stage reviews what the regency did with the recommendations of the year
#: before (in 2023, stage I reviewed the follow-up of the 2022 recommendations before the final
#: evaluation in November; docs/sources.md).
FOLLOWUP_LAG = 1

#: Order of what a recommendation is for, after the six pillars: every pillar, the masterplan, then the
#: evaluation dimensions (remarks on a dimension row of an assessor sheet), then not stated.
SCOPE_ORDER = (list(ref.PILLAR_KEYS) + list(ref.RECOMMENDATION_SCOPES) + list(ref.DIMENSION_KEYS) + [None])

#: The accepted follow-up statuses, named in the fix of an unknown one.
STATUS_FIX = ("write the status as belum (not started), proses (in progress) or selesai (done), or add the "
              "spelling to smartcity_utils/data/recommendation_statuses.csv (accepted now: {aliases})")

#: Reject reason of the remark of a row that is itself rejected: listed beside the row's own reason.
REMARK_OF_REJECTED_ROW = "remark_of_rejected_row"


def _text(value: object) -> str | None:
    """A free-text cell as written (outer spaces removed); None when empty or a missing token (``-``)."""
    if is_blank(value) or isinstance(value, (ErrorCell, FormulaCell)):
        return None  # a formula's error or missing value is no text: listed by the cleaner (clean.sheets)
    text = str(value).strip()
    return None if text.casefold() in ref.missing_tokens() else text


def target_of(raw: object) -> tuple[str | None, str | None, str | None]:
    """``(pillar_key, dimension_key, reason)`` of a Pilar cell: a pillar, ``all``, ``masterplan`` or a dimension.

    An empty cell gives ``(None, None, "missing")`` (the pillar is not stated);
    a name that is none of these gives reason ``unknown_pillar``.
    """
    if is_blank(raw):
        return None, None, rows.MISSING
    scope = ref.recommendation_scopes().get(ref.normalise_label(raw))
    if scope is not None:
        return scope, None, None
    pillar = ref.match_pillar(raw)
    if pillar is not None:
        return pillar, None, None
    dimension = ref.match_dimension(raw)
    if dimension is not None:
        return None, dimension, None
    return None, None, "unknown_pillar"


def parse_recommendations(sheet: Sheet, out: rows.Collector) -> None:
    """Recommendations register: one recommendation per row, optionally with its follow-up."""
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "year", "stage", "assessor",
                                                  "pillar", "recommendation", "followup_status", "followup_date",
                                                  "followup_year", "evidence", "is_simulated")}
    for i, row in rows.data_rows(sheet, out, cols["regency"], "recommendation"):
        found = rows.regency_and_year(sheet, i, row, cols, out)
        if found is None:
            continue
        rid, year = found
        text = _text(rows.cell(row, cols["recommendation"]))
        if text is None:
            out.reject_row(sheet, i, "recommendation", rows.cell(row, cols["recommendation"]), "blank_recommendation",
                           "write the recommendation as the panel gave it, or delete the row")
            continue
        pillar_raw = rows.cell(row, cols["pillar"])
        pillar, dimension, reason = target_of(pillar_raw)
        if reason == "unknown_pillar":
            names = list(ref.pillars()["pillar"]) + ["Semua Pilar", "Masterplan"]
            out.reject_row(sheet, i, "pillar", pillar_raw, reason,
                           f"nearest: {ref.nearest(pillar_raw, names)}; write a pillar, 'Semua Pilar' or "
                           "'Masterplan', or add the spelling to smartcity_utils/data/pillar_aliases.csv")
            continue
        if reason:
            out.reject_value(sheet, i, "pillar", pillar_raw, reason)
        stage_raw = rows.cell(row, cols["stage"])
        stage = parse_stage(stage_raw)
        if stage is None and not is_blank(stage_raw):
            out.reject_value(sheet, i, "stage", stage_raw, "bad_stage",
                             "write the stage as Tahap I or Tahap II; the recommendation is kept without a stage")
        assessor = _text(rows.cell(row, cols["assessor"]))
        simulated = rows.simulated_flag(sheet, row, cols["is_simulated"], i, out)
        record = _record(sheet, i, rid, year, stage, assessor, pillar, dimension, text, simulated, "recommendations")
        record["followup"] = _followup(sheet, i, row, cols, year, out)
        out.recommendations.append(record)
        out.keep(sheet, i)


def _record(sheet: Sheet, i: int, regency_id: int, year: int, stage: str | None, assessor: str | None,
            pillar: str | None, dimension: str | None, text: str, simulated: bool, layout: str) -> dict:
    return {"regency_id": regency_id, "year": year, "stage": stage, "assessor": assessor, "pillar_key": pillar,
            "dimension_key": dimension, "recommendation": text, "is_simulated": simulated, "layout": layout,
            "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1,
            "_status_key": (sheet.file, sheet.sheet, i + 1), "followup": None}


def _followup(sheet: Sheet, i: int, row: list[object], cols: dict[str, int | None], year: int,
              out: rows.Collector) -> dict | None:
    """The follow-up a register row records: status, date, follow-up year and evidence; None without a status.

    A status, date or evidence that cannot be used is listed in ``rejects``
    (``unknown_status``, ``bad_date``, ``bad_year``, ``bad_followup_year``,
    ``no_status``); the recommendation itself is kept.
    """
    raw_status = rows.cell(row, cols["followup_status"])
    raw_date = rows.cell(row, cols["followup_date"])
    raw_year = rows.cell(row, cols["followup_year"])
    evidence = _text(rows.cell(row, cols["evidence"]))
    status = None
    if not is_blank(raw_status):
        status = ref.recommendation_statuses().get(ref.normalise_label(raw_status))
        if status is None:
            out.reject_value(sheet, i, "followup_status", raw_status, "unknown_status",
                             STATUS_FIX.format(aliases=", ".join(sorted(ref.recommendation_statuses()))))
    date = parse_timestamp(raw_date)
    if date is None and not is_blank(raw_date):
        out.reject_value(sheet, i, "followup_date", raw_date, "bad_date",
                         "write the date as 2024-06-13 or 13/06/2024; the status is kept without it")
    followup_year = parse_year(raw_year)
    if followup_year is None and not is_blank(raw_year):
        out.reject_value(sheet, i, "followup_year", raw_year, "bad_year",
                         "write the follow-up year as 2024; without it the date's year counts, else the next year")
    if status is None:
        for column, value in (("followup_date", raw_date), ("followup_year", raw_year), ("evidence", evidence)):
            if not is_blank(value):
                out.reject_value(sheet, i, column, value, "no_status",
                                 "write the status (belum, proses or selesai) in the same row; a date or evidence "
                                 "without a status is not a follow-up")
        return None
    if followup_year is None:
        followup_year = date.year if date is not None else year + FOLLOWUP_LAG
    if followup_year < year:
        out.reject_value(sheet, i, "followup_year", followup_year, "bad_followup_year",
                         f"the follow-up ({followup_year}) cannot come before the recommendation ({year}); "
                         "check the year or the date")
        return None
    return {"status": status, "status_date": date.normalize() if date is not None else None,
            "followup_year": followup_year, "evidence": evidence}


def keep_remark(sheet: Sheet, i: int, out: rows.Collector, text: str | None, regency_id: int, year: int,
                stage: str | None, assessor: str | None, pillar: str | None, dimension: str | None,
                simulated: bool, layout: str) -> bool:
    """Keep the remark of a score row (assessor sheet or form answer) as a recommendation; False when empty."""
    if text is None:
        return False
    out.recommendations.append(_record(sheet, i, regency_id, year, stage, assessor, pillar, dimension, text,
                                       simulated, layout))
    return True


def reject_remark(sheet: Sheet, i: int, out: rows.Collector, text: str | None) -> None:
    """List the remark of a rejected row, so that it is accounted for (the row's own reason is listed too)."""
    if text is not None:
        out.reject_value(sheet, i, "remarks", text, REMARK_OF_REJECTED_ROW,
                         "the row is rejected (see its other entry); once it is fixed, the remark is kept as a "
                         "recommendation")


def remark_of(row: list[object], column: int | None) -> str | None:
    """The remark (``Keterangan``) of a score row as written, or None."""
    return _text(rows.cell(row, column))


def drop_superseded(out: rows.Collector, superseded: set[tuple[str, str, int]]) -> None:
    """Remarks of form answers a later submission replaced: listed as ``superseded``, not kept."""
    kept = []
    for rec in out.recommendations:
        if rec["layout"] == "form" and rec["_status_key"] in superseded:
            list_replaced(out, rec, "form", "remarks", rec["recommendation"], "superseded",
                          "a later submission of the same answer replaces it, with its remark", whole_row=False,
                          counted=False)
        else:
            kept.append(rec)
    out.recommendations = kept


#: The columns of the three tables, in the order written (``smartcity_utils.metadata.resources``).
RECOMMENDATION_COLUMNS = column_names("recommendations")
STATUS_COLUMNS = column_names("recommendation_status")
FOLLOWUP_COLUMNS = column_names("recommendation_followup")


def _key(rec: dict) -> tuple:
    return (rec["regency_id"], rec["year"], rec["pillar_key"], rec["dimension_key"],
            match_text(rec["recommendation"]) or rec["recommendation"])


def _stage_order(stage: str | None) -> int:
    return {"I": 1, "II": 2, "III": 3, "IV": 4}.get(stage, 9)


def build_recommendations(out: rows.Collector, revisions: set[str],
                          names: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The tables ``recommendations``, ``recommendation_status`` and ``recommendation_followup``.

    Simulated recommendations of a regency-year with real rows were set aside
    before (``precedence.set_aside_simulated``). Statements of one
    recommendation are merged; its follow-up statuses are decided per
    follow-up year by ``precedence.resolve_status``.

    Args:
        out: The collector after every file was read.
        revisions: Files marked as revisions.
        names: ``regency_id, regency, province`` of the gazetteer.

    Raises:
        RawConflictError: two files give one recommendation different statuses for one year, neither a
            revision, and no date or row order decides.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for rec in out.recommendations:
        groups[_key(rec)].append(rec)
    order = {k: n for n, k in enumerate(SCOPE_ORDER)}
    keys = sorted(groups, key=lambda k: (k[1], k[0], order[k[2] if k[2] is not None else k[3]],
                                         groups[k][0]["source_file"], groups[k][0]["source_sheet"],
                                         groups[k][0]["source_row"]))
    conflicts = Conflicts()
    recs, statuses = [], []
    for number, key in enumerate(keys, start=1):
        members = groups[key]
        first = members[0]
        assessors = list(dict.fromkeys(m["assessor"] for m in members if m["assessor"]))
        stages = sorted({m["stage"] for m in members if m["stage"]}, key=_stage_order)
        recs.append({"recommendation_id": number, "regency_id": first["regency_id"], "year": first["year"],
                     "stage": stages[0] if stages else None, "assessors": "; ".join(assessors) or None,
                     "pillar_key": first["pillar_key"], "dimension_key": first["dimension_key"],
                     "recommendation": first["recommendation"], "n_statements": len(members),
                     "is_simulated": bool(first["is_simulated"]),
                     "layout": "+".join(dict.fromkeys(m["layout"] for m in members)),
                     "source_file": first["source_file"], "source_sheet": first["source_sheet"],
                     "source_row": first["source_row"], "source_rows": "; ".join(row_reference(m) for m in members)})
        by_year: dict[int, list[tuple[dict, dict]]] = defaultdict(list)
        for m in members:
            if m["followup"] is not None:
                by_year[m["followup"]["followup_year"]].append((m, m["followup"]))
        for _year, holders in sorted(by_year.items()):
            won = resolve_status(out, holders, revisions, conflicts)
            if won is None:
                continue
            rec, followup = won
            statuses.append({"recommendation_id": number, "regency_id": first["regency_id"], "year": first["year"],
                             **followup, "is_simulated": bool(rec["is_simulated"]),
                             "source_file": rec["source_file"], "source_sheet": rec["source_sheet"],
                             "source_row": rec["source_row"]})
    conflicts.raise_if_any()
    table = pd.DataFrame(recs, columns=[c for c in RECOMMENDATION_COLUMNS if c not in _DERIVED])
    status = _status_frame(statuses)
    table = _with_themes(table)
    table = _with_latest_status(table, status)
    table = table.merge(names, on="regency_id", how="left", validate="m:1")
    table = table[RECOMMENDATION_COLUMNS].astype({c: "str" for c in _TEXT_COLUMNS})
    return table, status, followup_view(table, status)


#: Text columns of ``recommendations``, typed as text also when the table is empty.
_TEXT_COLUMNS = ("regency", "province", "stage", "assessors", "pillar_key", "dimension_key", "recommendation", "themes",
                 "repeated_themes", "status_latest", "layout", "source_file", "source_sheet", "source_rows")


#: Columns of ``recommendations`` computed after the statements are merged.
_DERIVED = {"regency", "province", "themes", "n_themes", "is_repeated", "repeated_themes", "status_latest",
            "status_latest_year"}


def _status_frame(statuses: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(statuses, columns=STATUS_COLUMNS)
    frame["status_date"] = pd.to_datetime(frame["status_date"]).astype("datetime64[ms]")
    frame = frame.astype({"status": "str", "evidence": "str", "source_file": "str", "source_sheet": "str"})
    return frame.astype({"recommendation_id": "int64", "regency_id": "int64", "year": "int64",
                         "followup_year": "int64", "is_simulated": bool, "source_row": "int64"})


def _themes_of(table: pd.DataFrame, year_shift: int) -> pd.Series:
    """Per row: the themes of the same regency's recommendations ``year_shift`` years away, of the same kind
    (real with real, simulated with simulated), as a set."""
    pooled: dict[tuple, set] = defaultdict(set)
    for rid, year, sim, themes in zip(table["regency_id"], table["year"], table["is_simulated"], table["themes"]):
        pooled[(rid, year, sim)] |= set(t for t in themes.split("; ") if t)
    return pd.Series([pooled.get((rid, year + year_shift, sim), set()) for rid, year, sim in
                      zip(table["regency_id"], table["year"], table["is_simulated"])], index=table.index, dtype=object)


def _with_themes(table: pd.DataFrame) -> pd.DataFrame:
    """Themes from the keyword vocabulary, and whether a theme repeats one of the year before."""
    table = table.copy()
    found = [match_themes(t) for t in table["recommendation"]]
    table["themes"] = pd.Series(["; ".join(f) for f in found], index=table.index, dtype="str")
    table["n_themes"] = pd.array([len(f) for f in found], dtype="int64")
    before = _themes_of(table, -1)
    repeated = ["; ".join(t for t in f if t in prev) for f, prev in zip(found, before)]
    table["repeated_themes"] = pd.Series(repeated, index=table.index, dtype="str")
    table["is_repeated"] = pd.array([bool(r) for r in repeated], dtype=bool)
    return table


def _with_latest_status(table: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    latest = (status.sort_values(["recommendation_id", "followup_year", "status_date"], na_position="first")
              .drop_duplicates("recommendation_id", keep="last")
              .set_index("recommendation_id"))
    table = table.copy()
    table["status_latest"] = table["recommendation_id"].map(latest["status"]).astype("str")
    table["status_latest_year"] = pd.array(table["recommendation_id"].map(latest["followup_year"]), dtype="Int64")
    return table.astype({"recommendation_id": "int64", "regency_id": "int64", "year": "int64", "source_row": "int64",
                         "n_statements": "int64", "is_simulated": bool, "is_repeated": bool})


def followup_view(recommendations: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Each recommendation of year t with its status at t + 1 (:data:`FOLLOWUP_LAG`) where one is recorded, and
    whether one of its themes comes back among the regency's recommendations of t + 1."""
    nxt = status.loc[status["followup_year"] == status["year"] + FOLLOWUP_LAG,
                     ["recommendation_id", "status", "status_date", "evidence", "source_file", "source_sheet",
                      "source_row"]].rename(columns={"status": "followup_status", "status_date": "followup_date"})
    view = recommendations.drop(columns=["source_file", "source_sheet", "source_row"]).merge(
        nxt, on="recommendation_id", how="left", validate="1:1")
    view["followup_year"] = view["year"] + FOLLOWUP_LAG
    view["source_row"] = pd.array(view["source_row"], dtype="Int64")
    view = view.astype({"followup_status": "str", "evidence": "str", "source_file": "str", "source_sheet": "str",
                        "followup_date": "datetime64[ms]"})
    after = _themes_of(view, FOLLOWUP_LAG)
    again = ["; ".join(t for t in str(own).split("; ") if t and t in later)
             for own, later in zip(view["themes"], after)]
    view["repeated_next_year_themes"] = again
    view["theme_repeated_next_year"] = pd.array([bool(a) for a in again], dtype=bool)
    return view[FOLLOWUP_COLUMNS].reset_index(drop=True).astype({"repeated_next_year_themes": "str",
                                                                  "recommendation_id": "int64",
                                                                  "regency_id": "int64", "year": "int64",
                                                                  "followup_year": "int64", "is_simulated": bool})
