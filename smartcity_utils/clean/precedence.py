"""Which value holds when several raw rows give one: real over simulated, revisions, duplicates.

The rules (also in ``docs/data_model.md``, section "Precedence"):

1. **Real over simulated.** Where any real row (recap, assessor sheet or form
   answer) exists for a regency-year, every simulated row of that
   regency-year is set aside: it is listed in ``rejects`` with reason
   ``set_aside_simulated`` and used nowhere. Real and simulated values are
   never averaged into one number. Quick Win programmes follow the same rule
   among themselves: real programmes of a regency-year set its simulated ones
   aside.
2. **Within one file**, a second recap row for the same regency and year is a
   ``duplicate_row``; the first is kept.
3. **Across files, value by value.** A value that one file leaves empty is
   taken from the other: no file blanks a value another file gives. Equal
   values are kept once (the repeat is listed as ``duplicate_value``).
   Different values: the file marked as a revision (``revisi`` in its file
   name or in its title rows) wins, and the other value is listed as
   ``superseded_by_revision`` with both values and both files. When neither
   file, or both, are marked, the run stops (``RawConflictError``) and names
   both files and both values: the order in which file names sort never
   decides. The evaluation group (``Kelompok``) and the cohort (``Angkatan``)
   of a recap row follow the same rule; a recap without a group column gives
   no group (a row that no file gives a group joins the group of its year
   that holds its cohort, or stays without one: no default group is assumed).

Recommendations and agencies per pillar follow the same rules
(:func:`resolve_status`, :func:`resolve_agencies`): a regency-year with a real
row sets aside its simulated recommendations and agency counts; a follow-up
status moves on with its date, and otherwise two files giving one
recommendation different statuses for one year stop the run unless one is a
revision.
"""

from __future__ import annotations

import re
from collections import defaultdict

from smartcity_utils import regencies
from smartcity_utils.clean.rows import DIMENSIONS, PILLARS, Collector
from smartcity_utils.errors import RawConflictError
from smartcity_utils.reference import normalise_label
from smartcity_utils.values import is_missing

#: The word that marks a file as a revision of another, in its name or title rows.
REVISION_MARK = re.compile(r"revisi")

#: Conflicts named in the error message before "and N more".
MAX_CONFLICTS_SHOWN = 3

RECAP_VALUES = PILLARS + DIMENSIONS + ["final_score_reported", "rank_reported", "rank_of",
                                       "rank_province_reported", "rank_province_of"]

#: Recap values that label a regency-year rather than score it; decided by the same rules.
RECAP_LABEL_VALUES = ["evaluation_group", "cohort_year_recap", "rank_scope"]

#: Column names shown in rejects and conflicts where they differ from the record's keys.
RECAP_LABELS = {"cohort_year_recap": "cohort_year", "final_score_reported": "final_score", "rank_reported": "rank",
                "rank_province_reported": "rank_province"}


def is_revision(file_name: str, titles: list[str]) -> bool:
    """True when a file is marked as a revision: ``revisi`` in its name or in a sheet's title rows."""
    texts = [file_name.replace("_", " ")] + list(titles)
    return any(REVISION_MARK.search(normalise_label(t)) for t in texts)


def _name(regency_id: int) -> str:
    return regencies.regency_resolver().name(regency_id)


def list_replaced(out: Collector, rec: dict, layout: str, column: str, value: object, reason: str,
             suggestion: str, whole_row: bool, counted: bool = True) -> None:
    """List a row or value another one replaces; ``counted`` rows count in ``regency_year``'s provenance.

    ``rec`` names the row (``source_file``, ``source_sheet``, ``source_row``; ``regency_id`` and
    ``year`` for the provenance counts).
    """
    # A published-facts record gathers several rows of its file: each value names its own row.
    row = rec.get("_rows", {}).get(column, rec["source_row"])
    key = (rec["source_file"], rec["source_sheet"], row)
    if whole_row:
        out.row_status[key] = "rejected"
    if counted and rec.get("regency_id") is not None:
        out.row_context.setdefault(key, (rec["regency_id"], rec["year"]))
    out.rejects.append({"source_file": rec["source_file"], "source_sheet": rec["source_sheet"],
                        "source_row": row, "column": RECAP_LABELS.get(column, column),
                        "value": "" if is_missing(value) else str(value), "reason": reason,
                        "suggestion": suggestion, "layout": layout, "regency_id": rec.get("regency_id")})


def row_reference(rec: dict) -> str:
    """Where a record's values stand in its file: ``rekap.xlsx (Kaltim) row 5``; the rows of a published-facts
    record, which gathers several, as ``fakta.csv rows 2, 3``."""
    sheet = f" ({rec['source_sheet']})" if rec.get("source_sheet") else ""
    rows = sorted(set(rec.get("_rows", {}).values())) or [rec["source_row"]]
    label = "row" if len(rows) == 1 else "rows"
    return f"{rec['source_file']}{sheet} {label} {', '.join(str(r) for r in rows)}"


def _where(rec: dict) -> str:
    sheet = f", sheet {rec['source_sheet']!r}" if rec["source_sheet"] else ""
    return f"{rec['source_file']}{sheet} row {rec['source_row']}"


def _real_sources(records: list[dict]) -> dict[tuple[int, int], str]:
    """(regency_id, year) -> the first file giving a real row for it."""
    real: dict[tuple[int, int], str] = {}
    for rec in records:
        if not rec["is_simulated"]:
            real.setdefault((rec["regency_id"], rec["year"]), rec["source_file"])
    return real


def set_aside_simulated(out: Collector) -> None:
    """Rule 1: drop every simulated row of a regency-year that has real rows, listing each."""
    _set_aside_simulated_scores(out)
    _set_aside_simulated_quick_wins(out)
    _set_aside_simulated_recommendations(out)


def _set_aside_simulated_scores(out: Collector) -> None:
    """Rule 1 for recap rows, assessor scores and form answers."""
    real = _real_sources(out.recap + out.scores + out.form)
    if not real:
        return

    def aside(rec: dict, layout: str, column: str, value: object) -> bool:
        key = (rec["regency_id"], rec["year"])
        if rec["is_simulated"] and key in real:
            list_replaced(out, rec, layout, column, value, "set_aside_simulated",
                     f"real rows for {_name(key[0])} {key[1]} exist ({real[key]}); simulated values "
                     "are never averaged with real ones", whole_row=True)
            return True
        return False

    dropped_rows = {(r["source_file"], r["source_sheet"], r["source_row"]) for r in out.recap
                    if aside(r, "recap", "regency", _name(r["regency_id"]))}
    out.recap = [r for r in out.recap if (r["source_file"], r["source_sheet"], r["source_row"]) not in dropped_rows]
    kept_scores = []
    for rec in out.scores:
        if rec["layout"] == "recap":
            if rec["_status_key"] not in dropped_rows:
                kept_scores.append(rec)
        elif not aside(rec, rec["layout"], "score", rec["score"]):
            kept_scores.append(rec)
    out.scores = kept_scores
    out.form = [rec for rec in out.form if not aside(rec, "form", "score", rec["score"])]


def _set_aside_simulated_recommendations(out: Collector) -> None:
    """Rule 1 for recommendations (with their follow-up) and agencies per pillar.

    A regency-year with any real row (a score, a recommendation, an agency
    count) sets aside its simulated recommendations and agency counts: a
    user's real register is never shown beside the example's, nor simulated
    remarks beside real scores. A register row is the recommendation (the row
    is set aside); an assessor or form row keeps its score unless rule 1 for
    scores set it aside already.
    """
    real = _real_sources(out.recap + out.scores + out.form + out.recommendations + out.agencies)
    out.recommendations = _set_aside(out, out.recommendations, real, None, "recommendation", "recommendations",
                                     lambda rec: rec["layout"] == "recommendations")
    out.agencies = _set_aside(out, out.agencies, real, "agencies", "n_agencies", "agency counts", lambda rec: True)


def _set_aside_simulated_quick_wins(out: Collector) -> None:
    """Rule 1 for Quick Win programmes: real programmes of a regency-year set its simulated ones aside."""
    out.quick_wins = _set_aside(out, out.quick_wins, _real_sources(out.quick_wins), "quick_wins", "programme_name",
                                "Quick Win programmes", lambda rec: True)


def _set_aside(out: Collector, records: list[dict], real: dict[tuple[int, int], str], layout: str | None,
               column: str, what: str, whole_row) -> list[dict]:
    """The records kept by rule 1: simulated ones of a regency-year in ``real`` are listed and dropped.

    Args:
        records: Records with ``regency_id``, ``year``, ``is_simulated`` and the value of ``column``.
        real: ``(regency_id, year)`` -> the file giving a real row for it.
        layout: The layout the reject names; None: each record's own (``layout``).
        column: The column the reject names.
        what: What the records are, in the suggestion ("Quick Win programmes").
        whole_row: Whether a record's row is rejected with it.
    """
    kept = []
    for rec in records:
        key = (rec["regency_id"], rec["year"])
        if rec["is_simulated"] and key in real:
            list_replaced(out, rec, layout or rec["layout"], column, rec[column], "set_aside_simulated",
                          f"real rows for {_name(key[0])} {key[1]} exist ({real[key]}); simulated {what} are never "
                          "shown beside them", whole_row=whole_row(rec), counted=False)
        else:
            kept.append(rec)
    return kept


def _score_key(rec: dict) -> str:
    return rec["pillar_key"] or rec["dimension_key"]


class Conflicts:
    """Conflicts no rule settles; raised together once every regency-year was looked at."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, regency_id: int, year: int, column: str, holders: list[tuple[dict, object]]) -> None:
        said = ", ".join(f"{_where(rec)} gives {value}" for rec, value in holders)
        self.items.append(f"{_name(regency_id)} {year} {column}: {said}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = "; ".join(self.items[:MAX_CONFLICTS_SHOWN])
        more = f" (and {len(self.items) - MAX_CONFLICTS_SHOWN} more)" if len(self.items) > MAX_CONFLICTS_SHOWN else ""
        raise RawConflictError(
            f"two files give different values and neither is marked as a revision: {shown}{more}. "
            "Put 'revisi' in the file name of the corrected file (it then wins, and the values it replaces "
            "are listed in rejects), or remove the wrong file, and rerun")


def _decide(holders: list[tuple[dict, object]], revisions: set[str]) -> tuple[dict, object] | None:
    """The holder whose value stands, or None when no rule decides (a conflict)."""
    values = {v for _, v in holders}
    marked = [(rec, v) for rec, v in holders if rec["source_file"] in revisions]
    if len(values) == 1:
        return marked[0] if marked else holders[0]
    if marked and len({v for _, v in marked}) == 1:
        return marked[0]
    return None


def _list_loser(out: Collector, rec: dict, layout: str, column: str, value: object,
                winner: tuple[dict, object], what: str, whole_row: bool) -> None:
    """List a value another file also gives: the same (``duplicate_value``) or replaced by a revision."""
    if value == winner[1]:
        list_replaced(out, rec, layout, column, value, "duplicate_value",
                 f"the same {what} is in {_where(winner[0])}; kept once", whole_row=whole_row)
    else:
        list_replaced(out, rec, layout, column, value, "superseded_by_revision",
                 f"the revision {_where(winner[0])} gives {winner[1]} and wins", whole_row=whole_row)


def _unset(value: object) -> bool:
    """A value a file does not give (a recap without a group column gives no group)."""
    return is_missing(value)


def resolve_recap(out: Collector, revisions: set[str]) -> list[dict]:
    """Rules 2 and 3 for recap rows: one record per regency and year; losers listed, panel scores pruned."""
    by_key: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for rec in out.recap:
        by_key[(rec["regency_id"], rec["year"])].append(rec)
    conflicts = Conflicts()
    dropped_rows: set[tuple] = set()
    dropped_values: set[tuple] = set()
    kept = []
    for (rid, year), recs in by_key.items():
        first_in_file: dict[str, dict] = {}
        per_file = []
        for rec in recs:
            first = first_in_file.get(rec["source_file"])
            if first is None:
                first_in_file[rec["source_file"]] = rec
                per_file.append(rec)
                continue
            same = all(_same(first.get(k), rec.get(k)) for k in RECAP_VALUES)
            where = f"{first['source_file']} row {first['source_row']}"
            list_replaced(out, rec, "recap", "regency", _name(rid), "duplicate_row",
                     f"identical to {where}; remove one" if same else
                     f"conflicts with {where}, which was kept; correct the source", whole_row=True)
            dropped_rows.add((rec["source_file"], rec["source_sheet"], rec["source_row"]))
        if len(per_file) == 1:
            kept.append(per_file[0])
            continue
        # Several files: the marked revision leads, else the first file; value by value below.
        per_file.sort(key=lambda r: r["source_file"] not in revisions)
        merged = dict(per_file[0])
        for col in RECAP_VALUES + RECAP_LABEL_VALUES:
            holders = [(rec, rec.get(col)) for rec in per_file if not _unset(rec.get(col))]
            if not holders:
                continue
            winner = _decide(holders, revisions)
            shown = RECAP_LABELS.get(col, col)
            if winner is None:
                conflicts.add(rid, year, shown, holders)
                continue
            merged[col] = winner[1]
            for rec, value in holders:
                if rec is winner[0]:
                    continue
                row = rec.get("_rows", {}).get(col, rec["source_row"])
                dropped_values.add((rec["source_file"], rec["source_sheet"], row, col))
                _list_loser(out, rec, rec.get("layout", "recap"), col, value, winner, "value", whole_row=False)
        merged["layout"] = "+".join(dict.fromkeys(r.get("layout", "recap") for r in per_file))
        merged["source_files"] = "; ".join(dict.fromkeys(r["source_file"] for r in per_file))
        merged["source_rows"] = "; ".join(row_reference(r) for r in per_file)
        urls = " ".join(r["source_url"] for r in per_file if r.get("source_url"))
        merged["source_url"] = " ".join(dict.fromkeys(urls.split())) or None
        kept.append(merged)
    conflicts.raise_if_any()
    out.scores = [s for s in out.scores
                  if s.get("_status_key") not in dropped_rows
                  and (s["layout"] not in ("recap", "published")
                       or (*s["_status_key"], _score_key(s)) not in dropped_values)]
    return kept


def resolve_assessor_duplicates(out: Collector, form: list[dict], revisions: set[str]) -> list[dict]:
    """Rule 3 for assessor-level scores given by two files (two workbooks for one panel, or sheet and form).

    The same assessor, stage, question and pillar or dimension of a regency-year
    from two files: equal scores are kept once, a revision wins, anything else
    stops the run. Returns the form answers that remain; ``out.scores`` is pruned.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for rec in [s for s in out.scores if s["level"] == "assessor"] + form:
        groups[(rec["regency_id"], rec["year"], rec["stage"], rec["assessor"], rec.get("question_code", ""),
                rec["pillar_key"], rec["dimension_key"])].append(rec)
    conflicts = Conflicts()
    dropped: set[tuple] = set()
    for (rid, year, *_rest), recs in groups.items():
        if len({r["source_file"] for r in recs}) < 2:
            continue
        holders = [(rec, rec["score"]) for rec in sorted(recs, key=lambda r: r["source_file"] not in revisions)]
        winner = _decide(holders, revisions)
        if winner is None:
            conflicts.add(rid, year, f"{_score_key(recs[0])} of {recs[0]['assessor']}", holders)
            continue
        for rec, value in holders:
            if rec is winner[0] or rec["source_file"] == winner[0]["source_file"]:
                continue
            dropped.add(rec["_status_key"])
            _list_loser(out, rec, rec["layout"], "score", value, winner, "score", whole_row=True)
    conflicts.raise_if_any()
    out.scores = [s for s in out.scores if s.get("_status_key") not in dropped or s["layout"] == "recap"]
    return [f for f in form if f["_status_key"] not in dropped]


def _same(a: object, b: object) -> bool:
    """Equal values, with two missing values counting as equal."""
    a_missing, b_missing = is_missing(a), is_missing(b)
    return (a_missing and b_missing) or (not a_missing and not b_missing and a == b)


def resolve_status(out: Collector, holders: list[tuple[dict, dict]], revisions: set[str],
                   conflicts: Conflicts) -> tuple[dict, dict] | None:
    """The follow-up status of one recommendation in one follow-up year, when several rows give one.

    Equal statuses are kept once (the repeats listed as ``duplicate_value``).
    Different ones: the latest date holds when every row has a date and one
    date is the latest (a status moves on within a year: ``proses`` in June,
    ``selesai`` in November); else, within one file, the later row; else the
    file marked as a revision; else a conflict. The replaced statuses are
    listed as ``superseded`` or ``superseded_by_revision``.

    Args:
        holders: ``(row record, follow-up)`` pairs; a follow-up has ``status``, ``status_date``,
            ``followup_year`` and ``evidence``.

    Returns:
        The pair whose status holds, or None when no rule decides (added to ``conflicts``).
    """
    if len(holders) == 1:
        return holders[0]
    statuses = {f["status"] for _, f in holders}
    dates = [f["status_date"] for _, f in holders]
    winner = None
    how = "duplicate_value"
    if len(statuses) == 1:
        # The first row with a date and evidence, so that no row blanks what another gives.
        winner = max(holders, key=lambda h: (h[1]["status_date"] is not None, h[1]["evidence"] is not None))
    elif all(d is not None for d in dates) and dates.count(max(dates)) == 1:
        winner, how = max(holders, key=lambda h: h[1]["status_date"]), "superseded"
    elif len({r["source_file"] for r, _ in holders}) == 1:
        winner, how = max(holders, key=lambda h: h[0]["source_row"]), "superseded"
    else:
        marked = [h for h in holders if h[0]["source_file"] in revisions]
        if marked and len({f["status"] for _, f in marked}) == 1:
            winner, how = marked[0], "superseded_by_revision"
    if winner is None:
        rec = holders[0][0]
        conflicts.add(rec["regency_id"], rec["year"], f"follow-up status in {holders[0][1]['followup_year']}",
                      [(r, f["status"]) for r, f in holders])
        return None
    for rec, followup in holders:
        if rec is winner[0]:
            continue
        if how == "duplicate_value" or followup["status"] == winner[1]["status"]:
            reason, fix = "duplicate_value", f"the same status is in {_where(winner[0])}; kept once"
        elif how == "superseded":
            reason, fix = how, f"{_where(winner[0])} gives a later status ({winner[1]['status']}) and holds"
        else:
            reason, fix = how, f"the revision {_where(winner[0])} gives {winner[1]['status']} and wins"
        list_replaced(out, rec, rec["layout"], "followup_status", followup["status"], reason, fix, whole_row=False,
                      counted=False)
    return winner


def resolve_agencies(out: Collector, revisions: set[str]) -> list[dict]:
    """Rules 2 and 3 for agency counts: one per regency, year and pillar.

    Within one file a second row is a ``duplicate_row``; across files equal
    counts are kept once, a revision wins, any other difference stops the run.
    """
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for rec in out.agencies:
        by_key[(rec["regency_id"], rec["year"], rec["pillar_key"])].append(rec)
    conflicts = Conflicts()
    kept = []
    for (rid, year, pillar), recs in by_key.items():
        first_in_file: dict[str, dict] = {}
        per_file = []
        for rec in recs:
            first = first_in_file.setdefault(rec["source_file"], rec)
            if first is rec:
                per_file.append(rec)
                continue
            where = _where(first)
            list_replaced(out, rec, "agencies", "n_agencies", rec["n_agencies"], "duplicate_row",
                          f"identical to {where}; remove one" if rec["n_agencies"] == first["n_agencies"] else
                          f"conflicts with {where}, which was kept; correct the source", whole_row=True,
                          counted=False)
        in_order = sorted(per_file, key=lambda r: r["source_file"] not in revisions)
        holders = [(rec, rec["n_agencies"]) for rec in in_order]
        winner = _decide(holders, revisions)
        if winner is None:
            conflicts.add(rid, year, f"agencies (OPD) of {pillar}", holders)
            continue
        kept.append(winner[0])
        for rec, value in holders:
            if rec is not winner[0]:
                _list_loser(out, rec, "agencies", "n_agencies", value, winner, "count", whole_row=True)
    conflicts.raise_if_any()
    return kept
