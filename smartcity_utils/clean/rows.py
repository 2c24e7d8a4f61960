"""What every layout parser shares: the collector of kept and rejected rows, and row helpers.

A parser walks the rows below a sheet's header and, for each, either keeps
it (``keep``) or lists it in the rejects with a reason and a suggested fix
(``reject_row``); a bad value inside a kept row is listed with ``reject_value``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from smartcity_utils import reference as ref
from smartcity_utils import regencies
from smartcity_utils.clean.sheets import Sheet, declared_scale
from smartcity_utils.metadata.layouts import record_lists
from smartcity_utils.values import dropped_marks, is_blank, parse_flag, parse_number, parse_stage, parse_year

PILLARS = list(ref.PILLAR_KEYS)


DIMENSIONS = list(ref.DIMENSION_KEYS)


#: Reason of a value a file leaves empty. In a kept row it is no fault: it is counted per file and
#: column in the manifest (``values_missing``); a row that holds nothing else is still rejected.
MISSING = "missing"


#: Texts in the regency column that mark a subtotal rather than a regency.
SUBTOTAL = re.compile(r"^(jumlah|total|sub ?total|rata-?rata|rerata|average)\b")


FOOTNOTE = re.compile(r"^(\*|sumber\b|catatan\b|keterangan\b|note\b|source\b)")


@dataclass
class Collector:
    """Accumulates records while sheets are parsed.

    Besides the fields below, a collector has one list of kept rows for each
    list the layouts registered when it is made name
    (:func:`smartcity_utils.metadata.layouts.record_lists`): ``scores``,
    ``recap``, ``form``, ``quick_wins``, ``cohorts``, ``groups``,
    ``published``, ``recommendations`` and ``agencies``. ``recommendations``
    holds register rows and the remarks (``Keterangan``) of assessor sheets
    and form answers; each may carry a follow-up status
    (``clean.recommendations``).
    """

    rejects: list[dict] = field(default_factory=list)
    #: (file, column) -> cells of kept rows that the file leaves empty (or writes ``-``, ``n/a``):
    #: counted once per file in the manifest, never one reject per cell.
    missing: Counter = field(default_factory=Counter)
    row_status: dict[tuple[str, str, int], str] = field(default_factory=dict)
    layouts: dict[str, set] = field(default_factory=dict)
    #: (file, sheet, row) -> (regency_id, year) once a row's regency and year are known, so that
    #: ``regency_year`` can say how many of its rows or values were rejected.
    row_context: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    #: (file, sheet, row) -> regency_id once a row's regency is resolved (its year may still be bad), so that
    #: each reject of the row carries the regency (``rejects.regency_id``).
    row_regency: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in record_lists():
            setattr(self, name, [])

    def note(self, sheet: Sheet, i: int, regency_id: int, year: int) -> None:
        """Record the regency-year a row belongs to (for the rejected-row counts)."""
        self.regency_of(sheet, i, regency_id)
        self.row_context[(sheet.file, sheet.sheet, sheet.row_number(i))] = (regency_id, year)
        for row in sheet.value_rows.values():  # a letter of label/value rows: each row is of its regency-year
            self.row_context[(sheet.file, sheet.sheet, row + 1)] = (regency_id, year)

    def regency_of(self, sheet: Sheet, i: int, regency_id: int) -> None:
        """Record the regency a row was resolved to (its rejects carry the id)."""
        self.row_regency[(sheet.file, sheet.sheet, sheet.row_number(i))] = int(regency_id)
        for row in sheet.value_rows.values():
            self.row_regency[(sheet.file, sheet.sheet, row + 1)] = int(regency_id)

    def reject_regencies(self) -> list[int | None]:
        """The regency of each listed reject, in order: the one its record names, else the one its row was
        resolved to; None where the row's regency is not known (an unknown name, a blank row)."""
        return [r["regency_id"] if r.get("regency_id") is not None
                else self.row_regency.get((r["source_file"], r["source_sheet"], r["source_row"]))
                for r in self.rejects]

    def keep(self, sheet: Sheet, i: int) -> None:
        self.row_status[(sheet.file, sheet.sheet, sheet.row_number(i))] = "kept"

    def reject_row(self, sheet: Sheet, i: int, column: str, value: object, reason: str,
                   suggestion: str | None = None) -> None:
        """List a whole row as rejected (a row with nothing to keep, ``missing`` included)."""
        self.row_status[(sheet.file, sheet.sheet, sheet.row_number(i))] = "rejected"
        self._append(sheet, i, column, value, reason, suggestion)

    def reject_value(self, sheet: Sheet, i: int, column: str, value: object, reason: str,
                     suggestion: str | None = None) -> None:
        """List one value of a kept row; an empty cell is counted as missing instead (``missing``)."""
        if reason == MISSING:
            self.missing[(sheet.file, column)] += 1
            return
        self._append(sheet, i, column, value, reason, suggestion)

    def _append(self, sheet: Sheet, i: int, column: str, value: object, reason: str,
                suggestion: str | None) -> None:
        self.rejects.append({
            "source_file": sheet.file, "source_sheet": sheet.sheet,
            "source_row": sheet.value_rows[column] + 1 if column in sheet.value_rows else sheet.row_number(i),
            "column": column, "value": "" if value is None else str(value), "reason": reason,
            "suggestion": suggestion or "", "layout": sheet.layout or "",
        })


#: Reject reason of a number kept without the footnote mark or % sign written after it: a note.
MARK_DROPPED = "footnote_mark"


def note_marks(sheet: Sheet, i: int, column: str, value: object, out: Collector) -> None:
    """List a number read without its footnote mark or ``%`` sign (``3,25*``): the value is kept."""
    marks = dropped_marks(value)
    if marks:
        out.reject_value(sheet, i, column, value, MARK_DROPPED,
                         f"the number is kept without {marks!r}; a footnote below the table is not read, "
                         "and a % sign leaves the conversion to the sheet's scale")


def stage_or_first(sheet: Sheet, i: int, value: object, out: Collector) -> str:
    """The stage of a score; an empty cell means stage I, an unreadable one is listed in rejects."""
    stage = parse_stage(value)
    if stage is None and not is_blank(value):
        out.reject_value(sheet, i, "stage", value, "bad_stage",
                         "write the stage as Tahap I or Tahap II; the scores are kept as stage I")
    return stage or "I"


def sheet_scale(sheet: Sheet, columns: list[int]) -> int:
    """100 when declared or when the median score is above 4, else 4."""
    declared = declared_scale(sheet)
    if declared:
        return declared
    values = []
    for row in sheet.rows[sheet.header_row + 1:]:
        for j in columns:
            if j < len(row):
                number, reason = parse_number(row[j])
                if reason is None:
                    values.append(number)
    return 100 if values and float(np.median(values)) > ref.SCORE_SCALE[1] else 4


def cell(row: list[object], j: int | None) -> object:
    """The value in grid column ``j`` of a row; None when the sheet has no such column or the row is short."""
    return row[j] if j is not None and j < len(row) else None


def simulated_flag(sheet: Sheet, row: list[object], col: int | None, i: int, out: Collector) -> bool:
    """The row's ``Simulasi`` flag; an unreadable flag is listed and counts as simulated."""
    if col is None:
        return False  # a file without the column is real data (docs/data_model.md)
    flag = parse_flag(cell(row, col))
    if flag is None:
        # Never present a possibly simulated number as real.
        out.reject_value(sheet, i, "is_simulated", cell(row, col), "unclear_simulated_flag",
                         "write ya or tidak; the row is treated as simulated")
        return True
    return flag


def regency_fix(reason: str, suggestion: str | None, where: str = "cell") -> str:
    """The suggested fix for a regency name that does not resolve."""
    if reason == "blank_regency":
        return (f"fill in the Kabupaten/Kota {where}; nothing is guessed for an empty name "
                "(a merged cell is empty below its first row)")
    if reason == "ambiguous_regency":
        return (f"write the full name: {suggestion}; or add a province or a 'Jenis' column "
                "(Kabupaten or Kota) that tells them apart")
    if suggestion:
        return (f"did you mean {suggestion}? If the name is right, add it to "
                "smartcity_utils/data/regency_aliases.csv")
    return f"no known name is close; check the {where}, or add the name to smartcity_utils/data/regency_aliases.csv"


def resolve_regency(sheet: Sheet, i: int, raw: object, province: object, out: Collector,
                    kind: object = None) -> int | None:
    """The regency id of a raw name, or None after rejecting the row with the reason and a fix."""
    res = regencies.regency_resolver().resolve(raw, province, kind)
    if res.regency_id is None:
        out.reject_row(sheet, i, "regency", raw, res.reason, regency_fix(res.reason, res.suggestion))
    else:
        out.regency_of(sheet, i, res.regency_id)
    return res.regency_id


def regency_and_year(sheet: Sheet, i: int, row: list[object], cols: dict[str, int | None],
                     out: Collector) -> tuple[int, int] | None:
    """(regency_id, year) of a row with Kabupaten/Kota and Tahun columns, or None after rejecting the row.

    ``cols`` maps ``regency``, ``province``, ``kind`` and ``year`` to grid
    columns (None when the sheet has no such column).
    """
    rid = resolve_regency(sheet, i, cell(row, cols["regency"]), cell(row, cols["province"]), out,
                          cell(row, cols["kind"]))
    if rid is None:
        return None
    year = parse_year(cell(row, cols["year"]))
    if year is None:
        out.reject_row(sheet, i, "year", cell(row, cols["year"]), "bad_year", "write the year as 2024")
        return None
    return rid, year


def column_of(sheet: Sheet, name: str) -> int | None:
    """The grid column of a canonical column name in a sheet, or None."""
    return next((j for j, c in sheet.columns.items() if c == name), None)


def data_rows(sheet: Sheet, out: Collector, name_column: int | None = None, what: str = "regency"):
    """The rows below the header that hold data, as ``(index, row)``.

    A blank row, a footnote and a subtotal (``Jumlah``, ``Rata-rata`` in ``name_column``) are listed in
    the rejects with their kind and go no further: every layout treats them alike.
    """
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        kind = row_kind(row, cell(row, name_column))
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "subtotals are recomputed from the regency rows" if kind == "subtotal_row"
                           else f"not a {what} row; nothing to do")
            continue
        yield i, row


def row_kind(row: list[object], regency_cell: object) -> str | None:
    """blank_row, footnote_row, subtotal_row or None for a data row."""
    non_blank = [c for c in row if not is_blank(c)]
    if not non_blank:
        return "blank_row"
    first = ref.normalise_label(non_blank[0]) if isinstance(non_blank[0], str) else ""
    if FOOTNOTE.match(first) or (isinstance(non_blank[0], str) and non_blank[0].strip().startswith("*")):
        return "footnote_row"
    if not is_blank(regency_cell) and SUBTOTAL.match(ref.normalise_label(regency_cell)):
        return "subtotal_row"
    return None


#: What an answer row can score: how to match the name, the canonical names, the alias file.
_TARGETS = {
    "pillar": (ref.match_pillar, lambda: list(ref.pillars()["pillar"]), "pillar_aliases.csv"),
    "dimension": (ref.match_dimension, lambda: list(ref.dimensions()["dimension"]), "dimension_aliases.csv"),
}


def score_target(sheet: Sheet, i: int, pillar_raw: object, dim_raw: object,
                 out: Collector) -> tuple[str | None, str | None] | None:
    """(pillar_key, dimension_key) of an answer row, or None after rejecting it.

    Exactly one of the two cells must be filled: a row scores a pillar or an
    evaluation dimension.
    """
    filled = [(kind, raw) for kind, raw in (("pillar", pillar_raw), ("dimension", dim_raw)) if not is_blank(raw)]
    if len(filled) != 1:
        reason, value = (("pillar_and_dimension", f"{pillar_raw} | {dim_raw}") if filled
                         else ("no_pillar_or_dimension", ""))
        out.reject_row(sheet, i, "pillar", value, reason,
                       "fill in either Pilar or Dimensi: a row scores one pillar or one dimension")
        return None
    kind, raw = filled[0]
    match, names, alias_file = _TARGETS[kind]
    key = match(raw)
    if key is None:
        out.reject_row(sheet, i, kind, raw, f"unknown_{kind}",
                       f"nearest {kind}: {ref.nearest(raw, names())}; "
                       f"or add the spelling to smartcity_utils/data/{alias_file}")
        return None
    return (key, None) if kind == "pillar" else (None, key)
