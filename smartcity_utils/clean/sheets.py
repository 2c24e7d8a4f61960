"""Raw files into cell grids, and the layout of each sheet.

Excel workbooks are read with python-calamine (Rust, several times faster
than openpyxl); CSV files with the standard library, with the delimiter
sniffed and a UTF-8 byte-order mark removed. Every cell keeps its position, so
a later error or reject can name the file, sheet, row and column.

The layouts are documented in ``docs/data_model.md``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from smartcity_utils import paths
from smartcity_utils.clean import bounded
from smartcity_utils.errors import RawFileError
from smartcity_utils.metadata import layouts
from smartcity_utils.metadata.layouts import SCORE_PREFIXES
from smartcity_utils.reference import (
    column_aliases,
    match_dimension,
    match_pillar,
    normalise_label,
)
from smartcity_utils.values import SUGGEST, is_blank

#: File types read from a raw folder; anything else except documentation stops the run.
DATA_SUFFIXES = paths.DATA_SUFFIXES


IGNORED_SUFFIXES = {".md", ".txt", ".json", ".pdf"}


#: Sheets that hold instructions or notes, never scores: a sheet whose name starts with one of
#: these words is skipped ("Petunjuk Pengisian", "Catatan Rapat", "Keterangan Kolom").
IGNORED_SHEETS = {"catatan", "petunjuk", "keterangan", "instructions", "readme"}


def is_ignored_sheet(name: str) -> bool:
    """True for a sheet of instructions or notes (its name starts with a word of ``IGNORED_SHEETS``)."""
    words = normalise_label(name).split(" ")
    return bool(name) and words[0] in IGNORED_SHEETS


#: The names of the layouts (``smartcity_utils.metadata.layouts``, where each is defined).
LAYOUTS = layouts.names()


#: How far down a sheet the header row is looked for. The header of every real layout lies within its
#: first 30 rows (a title block of merged cells, the label rows of an assessor sheet); 1,000 leaves ample
#: room, and keeps a large sheet without a known header from being searched cell by cell (a CSV of
#: 199,001 rows x 50 columns once took 284 s to be refused).
HEADER_SEARCH_ROWS: int | None = 1_000


#: Layouts a file could be, named in the error for a file that matches none (:func:`layouts.expected_layouts`, which
#: names a layout registered later too).
EXPECTED_LAYOUTS = layouts.expected_layouts()


@dataclass
class Sheet:
    """One sheet (or one CSV file) as a grid of cell values.

    ``rows[i]`` is spreadsheet row ``i + 1`` (CSV line ``i + 1``).
    """

    file: str
    sheet: str
    rows: list[list[object]]
    layout: str | None = None
    header_row: int | None = None  # 0-based index of the (last) header row
    columns: dict[int, str] = field(default_factory=dict)  # grid column -> canonical column
    labels: dict[str, object] = field(default_factory=dict)  # "Tahun:" style label rows
    label_rows: dict[str, int] = field(default_factory=dict)  # 0-based row of each label
    title: str = ""
    ignored_columns: list[str] = field(default_factory=list)  # header cells that name no known column
    #: "hidden" or "very hidden" for a sheet Excel does not show (:func:`read_hidden_sheets`).
    hidden: str = ""
    #: How a CSV file was decoded (``utf-8``, ``utf-8 with BOM``, ``utf-16-le``, ``cp1252``...).
    encoding: str = ""
    #: What reading found in single cells or lines, listed in the rejects once the sheet is parsed:
    #: (0-based row, column, value, reason, suggestion, whole_row).
    notes: list[tuple] = field(default_factory=list)
    #: Grid row -> 0-based row of the file, where they differ (a letter typed as label/value rows is read
    #: as a one-row table: :func:`_as_label_value_letter`).
    row_map: dict[int, int] = field(default_factory=dict)
    #: Column -> 0-based row of the file that holds its value, for such a letter (a reject of the rank names
    #: the ``Peringkat`` row).
    value_rows: dict[str, int] = field(default_factory=dict)

    def row_number(self, row_index: int) -> int:
        """The 1-based row of the file that grid row ``row_index`` comes from."""
        return self.row_map.get(row_index, row_index) + 1

    def where(self, row_index: int | None = None) -> str:
        """Human location: ``file, sheet 'S', row N``."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if row_index is not None:
            parts.append(f"row {self.row_number(row_index)}")
        return ", ".join(parts)


def read_grid_file(path: Path, display_name: str) -> list[Sheet]:
    """Read a workbook (every sheet) or a CSV file into grids, within the reading limits.

    Every file is checked against :func:`smartcity_utils.clean.bounded.limits`
    before it is parsed (a workbook's declared cells and uncompressed size, a
    CSV file's size, records and fields), so no file can exhaust memory or
    lose rows in silence. Trailing empty rows, and empty cells at the end of
    each row, are dropped (real exports carry thousands of them).

    Args:
        path: The file.
        display_name: Its name relative to the raw folder, used in messages.

    Raises:
        RawFileError: when the file cannot be opened or decoded, or is beyond a limit.
    """
    lim = bounded.limits()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_read_csv(path, display_name, lim)]
    if suffix == ".xls":
        return [Sheet(display_name, name, trim_grid(rows), hidden=_HIDDEN.get(str(visible), ""))
                for name, rows, visible in bounded.read_xls_bounded(path, display_name, lim)]
    special = bounded.check_zip_workbook(path, display_name, lim)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        visibility = {m.name: str(m.visible).rsplit(".", 1)[-1] for m in workbook.sheets_metadata}
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            bounded.check_loaded_sheet(display_name, name, sheet.end, lim)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            grid = Sheet(display_name, name, rows, hidden=_HIDDEN.get(visibility.get(name, ""), ""))
            _place_special_cells(grid, special.get(name, {}))
            trim_grid(grid.rows)
            sheets.append(grid)
        return sheets
    except RawFileError:
        raise
    except Exception as exc:  # calamine raises its own error types per format
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise RawFileError(
            f"{display_name}: cannot be opened as a spreadsheet ({reason}); "
            "save it as .xlsx or .csv and rerun"
        ) from exc


#: calamine's visibility of a sheet -> how the manifest words it.
_HIDDEN = {"Hidden": "hidden", "VeryHidden": "very hidden"}

#: Setting that reads hidden and very hidden sheets as if they were shown (``1``); by default they are
#: listed, with what they hold, and not read: a sheet the user cannot see must not count unseen.
READ_HIDDEN_ENV = "SMARTCITY_READ_HIDDEN_SHEETS"


def read_hidden_sheets() -> bool:
    """Whether hidden sheets are read (:data:`READ_HIDDEN_ENV` set to ``1``, ``ya`` or ``yes``)."""
    return os.environ.get(READ_HIDDEN_ENV, "").strip().casefold() in {"1", "ya", "yes", "true"}


#: Reject reason of a cell whose typed text Excel stored as a formula: the text is kept (a note, no fault).
FORMULA_TEXT = "typed_text_kept"


def _place_special_cells(sheet: Sheet, cells: dict[tuple[int, int], str]) -> None:
    """Put formulas without a value, error cells and typed text (:func:`bounded.special_cells`) into the grid."""
    from smartcity_utils.values import ErrorCell, FormulaCell

    rows = sheet.rows
    for (i, j), value in sorted(cells.items()):
        while len(rows) <= i:
            rows.append([])
        row = rows[i]
        if len(row) <= j:
            row.extend([None] * (j + 1 - len(row)))
        row[j] = value
        if not isinstance(value, (ErrorCell, FormulaCell)):
            sheet.notes.append((i, bounded.column_letters(j), value, FORMULA_TEXT,
                                "Excel stored this typed text as a formula (it shows #NAME?); the text is read as "
                                "typed. To keep Excel from doing so, type an apostrophe before it ('- ...)",
                                False))
        else:
            # Listed unless the parser listed it already (a score it could not read): nothing unseen.
            reason = "error_cell" if isinstance(value, ErrorCell) else "formula_without_value"
            sheet.notes.append((i, bounded.column_letters(j), value, reason, SUGGEST[reason], None))


def trim_grid(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing empty rows, and the empty cells at the end of each row (in place; returns ``rows``).

    Positions do not change: ``rows[i][j]`` stays spreadsheet row ``i + 1``,
    column ``j + 1``. A row may end up shorter than others or empty.
    """
    for row in rows:
        while row and is_blank(row[-1]):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _read_csv(path: Path, display_name: str, lim: bounded.Limits) -> Sheet:
    """A CSV file as one sheet: size checked first, its encoding found (:func:`bounded.read_csv_file`), every
    record checked against its lines; each line that could not be decoded is listed in the rejects."""
    records, encoding, bad_lines = bounded.read_csv_file(path, display_name, lim)
    sheet = Sheet(display_name, "", trim_grid(records), encoding=encoding)
    for number, shown in bad_lines:
        sheet.notes.append((number - 1, "", shown, "undecodable_line",
                            f"line {number:,} is not in the encoding of the rest of the file "
                            f"({encoding.split(' (')[0]}; the line's text is shown as UTF-8 reads it, with \ufffd "
                            "for a byte it cannot read); correct it, or save the whole file again as CSV UTF-8, "
                            "and rerun", True))
    return sheet


#: Reject reason of a filled cell right of the table's last header column: nothing reads it.
BEYOND_HEADER = "beyond_header"


def note_cells_beyond_header(sheet: Sheet, out) -> int:
    """List, per row below the header, the filled cells right of the header's last column.

    No parser reads a cell without a column header, so such a cell (a CSV
    line with more fields than the header, a note typed beside a row) would
    be lost in silence. Each row with some is listed once in the rejects
    (reason :data:`BEYOND_HEADER`, the first such cell, how many); the row's
    other cells are read as usual.

    Args:
        sheet: A sheet whose layout and header row are known.
        out: The collector (``smartcity_utils.clean.rows.Collector``) receiving the rejects.

    Returns:
        The number of rows listed.
    """
    header = sheet.header_row
    rows = sheet.rows
    width = max(sheet.columns, default=-1) + 1
    for r in (header - 1, header):
        if 0 <= r < len(rows):
            filled = [j for j, c in enumerate(rows[r]) if not is_blank(c)]
            width = max(width, filled[-1] + 1 if filled else 0)
    last = bounded.column_letters(width - 1) if width else "A"
    listed = 0
    for i in range(header + 1, len(rows)):
        row = rows[i]
        extra = [j for j in range(width, len(row)) if not is_blank(row[j])]
        if not extra:
            continue
        j = extra[0]
        where = f"field {j + 1}" if not sheet.sheet else f"column {bounded.column_letters(j)}"
        more = f" and {len(extra) - 1:,} more" if len(extra) > 1 else ""
        out.reject_value(sheet, i, where, str(row[j])[:200], BEYOND_HEADER,
                         f"{len(extra):,} filled cell(s) ({where}{more}) lie right of the header's last column "
                         f"({'field ' + str(width) if not sheet.sheet else last}) and are not read: give the "
                         "column a header, or move the values into the table")
        listed += 1
    return listed


def _header_columns(row: list[object]) -> dict[int, str]:
    aliases = column_aliases()
    found = {}
    for j, cell in enumerate(row):
        if is_blank(cell):
            continue
        key = normalise_label(cell).rstrip(":").strip()
        if key in aliases:
            found[j] = aliases[key]
        elif (p := match_pillar(cell)) is not None:
            found[j] = f"pillar:{p}"
        elif (d := match_dimension(cell)) is not None:
            found[j] = f"dimension:{d}"
    return found


def detect_layout(sheet: Sheet) -> None:
    """Find the header row and the layout of a sheet, in place.

    The layouts and their signatures are those of ``smartcity_utils.metadata.layouts``. A CSV file whose
    first row begins with a layout's fixed header (``csv_header``) is of that layout; a sheet of label and
    value rows is a letter (:func:`_as_label_value_letter`); otherwise each row from the top is matched
    against the layouts in order of their priority, below any label rows (``Tahun:``) and title rows, and
    the first row some layout matches is the header.

    Raises:
        RawFileError: naming the file and sheet and the layouts it could be.
    """
    rows = sheet.rows
    ordered = layouts.by_priority()
    if sheet.sheet == "" and rows:
        head = [normalise_label(c) for c in rows[0]]
        for layout in ordered:
            fixed = list(layout.signature.csv_header)
            if fixed and head[: len(fixed)] == fixed:
                sheet.layout, sheet.header_row = layout.name, 0
                sheet.columns = {j: c for j, c in enumerate(fixed)}
                return
    if _as_label_value_letter(sheet):
        return
    tables = [layout for layout in ordered if layout.signature.columns]
    title_parts: list[str] = []
    near_miss = ""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cols = _header_columns(row)
        names = set(cols.values())
        label_cells = [c for c in row if isinstance(c, str) and c.strip().endswith(":")]
        if label_cells:
            _read_labels(sheet, row, i)
            continue
        below = _RowBelow(rows, i)
        layout = next((t for t in tables if t.signature.matches(names, below.names)), None)
        if layout is None:
            near = next((t for t in tables if t.near_miss and t.signature.columns <= names), None)
            if near is not None and not near_miss:
                found = ", ".join(repr(str(c).strip()) for j, c in enumerate(row) if j in cols)
                near_miss = f" Row {i + 1} has the columns {found} but {near.near_miss}."
            title_parts.extend(str(c) for c in row if not is_blank(c))
            continue
        header_rows = [i]
        if layout.signature.scores_below and any(n.startswith(SCORE_PREFIXES) for n in below.names()):
            # Merged group cells over the score columns: the row below completes the header.
            cols = {**cols, **below.columns()}
            header_rows.append(i + 1)
            i += 1
        sheet.layout, sheet.header_row, sheet.columns = layout.name, i, cols
        sheet.title = " ".join(title_parts)
        sheet.ignored_columns = _unrecognised_headers(rows, header_rows, cols)
        _check_columns(sheet)
        return
    searched = len(rows) if HEADER_SEARCH_ROWS is None else min(len(rows), HEADER_SEARCH_ROWS)
    within = (f"in its {searched:,} rows" if searched == len(rows)
              else f"in its first {searched:,} rows (of {len(rows):,})")
    read_as = f" (read as {sheet.encoding})" if sheet.encoding else ""
    expected = layouts.expected_layouts()
    raise RawFileError(
        f"{sheet.where()}{read_as}: no header row found {within}; expected {expected}.{near_miss} "
        "See docs/data_model.md, rename the header, or add the spelling to smartcity_utils/data/column_aliases.csv"
    )


class _RowBelow:
    """The known columns of the row below a candidate header row, read once and only when asked."""

    def __init__(self, rows: list[list[object]], i: int) -> None:
        self._rows, self._i = rows, i
        self._columns: dict[int, str] | None = None

    def columns(self) -> dict[int, str]:
        """Grid column -> canonical column of the row below (empty below the last row)."""
        if self._columns is None:
            below = self._i + 1
            self._columns = _header_columns(self._rows[below]) if below < len(self._rows) else {}
        return self._columns

    def names(self) -> set[str]:
        """The canonical columns of the row below."""
        return set(self.columns().values())


#: Columns looked at for a label and its value (a label cell merged over a few columns puts its value
#: further right); a filled cell beyond makes the row part of a table.
_LETTER_WIDTH = 8

#: What a label/value row can give besides the regency: a value of the recap layout.
_LETTER_VALUES = ("final_score", "rank", "rank_of", "rank_province")


def _as_label_value_letter(sheet: Sheet) -> bool:
    """Read a letter typed as it reads, one label and its value a row, as a one-row recap; True when it is one.

    ``Kabupaten/Kota | Kota Kediri``, ``Tahun | 2022``, ``Baseline | 3,60`` ...
    ``Nilai Final | 3,31``, ``Peringkat | 22``: every filled row holds at most
    two cells (a label, with or without ``:``, and its value; or a title line),
    one label names the regency and another a pillar, a dimension, the index or
    a rank. The sheet then becomes a header row of the labels and one row of
    their values, which the recap parser reads; a reject names the row of its
    label (:attr:`Sheet.value_rows`). Labels that name no known column are listed as ignored.

    Raises:
        RawFileError: such a sheet that names a field twice (two letters on one sheet).
    """
    filled = []
    for i, row in enumerate(sheet.rows):
        cells = [(j, c) for j, c in enumerate(row[:_LETTER_WIDTH]) if not is_blank(c)]
        if len(cells) > 2 or any(not is_blank(c) for c in row[_LETTER_WIDTH:]):
            return False  # a table: stops at its first row of three cells, whatever the sheet's size
        if cells:
            filled.append((i, cells))
    if not filled:
        return False
    pairs, title, seen = [], [], {}
    for i, cells in filled:
        if len(cells) == 1:
            title.append(str(cells[0][1]))
            continue
        (_, label), (_, value) = cells
        found = _header_columns([label]) if isinstance(label, str) else {}
        name = found.get(0)
        if name is not None and name in seen:
            raise RawFileError(
                f"{sheet.where(i)}: a letter typed as label and value rows, but {str(label).strip()!r} is given twice "
                f"(rows {seen[name] + 1} and {i + 1}); the layout expected is one regency-year a sheet, one label and "
                "its value a row (Kabupaten/Kota | Kota Kediri, Tahun | 2022, Baseline | 3,60 ... Nilai Final | "
                "3,31, Peringkat | 22): put each letter on its own sheet")
        if name is not None:
            seen[name] = i
        pairs.append((i, label, value, name))
    names = set(seen)
    if "regency" not in names or not any(n.startswith(("pillar:", "dimension:")) or n in _LETTER_VALUES
                                         for n in names):
        return False
    header = [label for _, label, _, _ in pairs]
    values = [value for _, _, value, _ in pairs]
    sheet.rows = [header, values]
    sheet.row_map = {0: pairs[0][0], 1: seen["regency"]}
    sheet.layout, sheet.header_row = "recap", 0
    sheet.columns = {k: name for k, (_, _, _, name) in enumerate(pairs) if name is not None}
    sheet.value_rows = {name.split(":")[-1]: i for i, _, _, name in pairs if name is not None}
    sheet.title = " ".join(title)
    sheet.ignored_columns = [" ".join(str(label).split()) for _, label, _, name in pairs if name is None]
    _check_columns(sheet)
    return True


def _unrecognised_headers(rows: list[list[object]], header_rows: list[int], cols: dict[int, str]) -> list[str]:
    """Header cells that name no known column.

    In a two-row header a merged group cell ("Nilai Pilar") sits over a column
    recognised in the row below, so it is not listed.
    """
    ignored = []
    for r in header_rows:
        for j, cell in enumerate(rows[r]):
            if is_blank(cell) or j in cols:
                continue
            text = " ".join(str(cell).split())
            if text not in ignored:
                ignored.append(text)
    return ignored


def _read_labels(sheet: Sheet, row: list[object], i: int) -> None:
    aliases = column_aliases()
    for j, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip().endswith(":"):
            key = aliases.get(normalise_label(cell).rstrip(":").strip())
            value = next((v for v in row[j + 1 :] if not is_blank(v)), None)
            if key is not None:
                sheet.labels[key] = value
                sheet.label_rows[key] = i


def _check_columns(sheet: Sheet) -> None:
    names = list(sheet.columns.values())
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RawFileError(
            f"{sheet.where(sheet.header_row)}: columns {dupes} appear twice in the header; "
            "keep one column per field"
        )
    layout = layouts.get(sheet.layout)
    missing = set(layout.required) - set(names)
    if layout.labels:
        # A label row (Tahun: 2024) gives its column; without an 'Asesor:' label the sheet's name is the
        # assessor's (sheets named after assessors).
        missing -= set(sheet.labels)
    if missing:
        raise RawFileError(
            f"{sheet.where(sheet.header_row)}: looks like layout {sheet.layout!r} but has no column for "
            f"{sorted(missing)}; see docs/data_model.md"
        )


_SCALE_100 = re.compile(r"skala\s*(nilai)?\s*0\s*-\s*100|0\s*-\s*100\b")




def declared_scale(sheet: Sheet) -> int | None:
    """100 or 4 when the title rows declare the scale, else None."""
    title = normalise_label(sheet.title)
    if _SCALE_100.search(title):
        return 100
    if re.search(r"skala\s*(nilai)?\s*0\s*-\s*4\b", title):
        return 4
    return None
