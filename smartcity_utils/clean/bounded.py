"""Bounded reading: the limits a raw file must keep, checked before a parser holds the file in memory.

A workbook is parsed by python-calamine (Rust), which holds every cell of a
sheet's used area, from ``A1`` to its last cell, in one block of memory. One
stray cell at ``XFD1048576`` asks for 17 billion cells, a zip bomb for
gigabytes of XML; both abort the process before any error can be shown. So
before calamine sees a workbook:

* the zip's total uncompressed size is checked (:data:`LIMITS` ``max_megabytes``);
* every sheet's XML is scanned in bounded chunks for the cells it declares
  (``<c r="...">`` in Excel files; rows and columns repeated by
  ``number-rows-repeated`` and ``number-columns-repeated`` in OpenDocument
  files), and the used area is checked against ``max_rows``, ``max_columns``
  and ``max_cells``.

An ``.xls`` file (the binary format) cannot be scanned without parsing it, so
it is read in a child process with a memory limit: whatever the file holds,
the run gets a grid or a one-line error. A CSV file is checked for size, then
read by :func:`read_csv_records`, which counts every record against the file's
lines: an unclosed quote, an over-long field or a line with too many fields
stops the run with the file and line, instead of swallowing rows.

Each limit is defined once in :data:`LIMITS` with its reason, and can be set
with an environment variable (``SMARTCITY_MAX_ROWS=300000 smartcity clean``).
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import posixpath
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from smartcity_utils.errors import RawFileError, UserError


@dataclass(frozen=True)
class Limit:
    """One reading limit: its default, the environment variable that sets it, and why it is that size."""

    default: int
    env: str
    reason: str


#: The reading limits, each with its reason. They hold the largest real evaluation files with room
#: to spare, and keep the memory of a refused file small.
LIMITS: dict[str, Limit] = {
    "max_rows": Limit(
        200_000, "SMARTCITY_MAX_ROWS",
        "the longest real file is an online-form export with one row per answer: 121 questions (the 2024 "
        "form) x 4 assessors x the 241 programme members is about 117,000 rows"),
    "max_columns": Limit(
        200, "SMARTCITY_MAX_COLUMNS",
        "the widest real layout is a form export with one column per question: 121 questions and about "
        "a dozen identification columns; a recap has about 20"),
    "max_cells": Limit(
        10_000_000, "SMARTCITY_MAX_CELLS",
        "a sheet's used area (rows x columns from A1) is held in memory while it is read: 9.2 million cells "
        "took 1.1 GB (benchmarks/bench_hostile_files.py, an .ods of 90,000 rows x 102 columns); the largest "
        "real files above have under 2 million"),
    "max_workbook_cells": Limit(
        10_000_000, "SMARTCITY_MAX_WORKBOOK_CELLS",
        "every sheet of a workbook is held while the workbook is read, so the used areas of all its sheets "
        "together are bounded like one sheet's (max_cells): 24 sheets each just inside the per-sheet limit "
        "once took 2.7 GB; the largest real workbook, an assessor file of a few sheets of 30 rows, is far below"),
    "max_megabytes": Limit(
        200, "SMARTCITY_MAX_MB",
        "the text a file holds (a workbook's parts uncompressed, a CSV file as it is): a 117,000-row form "
        "export is about 20 MB as CSV and 30 MB of sheet XML; 200 MB also bounds the time of the scan "
        "made before a workbook is parsed"),
}


@dataclass(frozen=True)
class Limits:
    """The limits in force for one read (see :data:`LIMITS`)."""

    max_rows: int
    max_columns: int
    max_cells: int
    max_workbook_cells: int
    max_megabytes: int

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * 1024 * 1024


def limits() -> Limits:
    """The reading limits: the defaults of :data:`LIMITS`, or the environment variables that set them.

    Raises:
        UserError: an environment variable that is not a positive whole number.
    """
    values = {}
    for name, limit in LIMITS.items():
        raw = os.environ.get(limit.env, "").strip()
        if not raw:
            values[name] = limit.default
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise UserError(f"{limit.env}={raw!r}: give a positive whole number (default {limit.default})")
        values[name] = int(raw)
    return Limits(**values)


def _limit_hint(*names: str) -> str:
    envs = " or ".join(LIMITS[n].env for n in names)
    return f"if the sheet really is that large, raise the limit with {envs}"


def column_letters(col: int) -> str:
    """``0`` -> ``A``, ``16383`` -> ``XFD``."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def check_file_size(path: Path, name: str, lim: Limits) -> None:
    """Stop before reading a file larger than ``max_megabytes``."""
    size = path.stat().st_size
    if size > lim.max_bytes:
        raise RawFileError(
            f"{name}: {size / 2**20:,.0f} MB is more than the {lim.max_megabytes} MB a raw file may hold "
            f"({LIMITS['max_megabytes'].env}); split it, or {_limit_hint('max_megabytes')}")


# --- Workbooks stored as zip archives (.xlsx, .xlsm, .ods) -------------------------------------------

#: Bytes of XML decompressed and scanned at a time.
_CHUNK = 4 * 1024 * 1024

#: The longest start tag the scan carries from one chunk to the next; a longer one is malformed.
_MAX_TAG = 64 * 1024

_NAME = rb"[^\s<>/:=\"']+"
_ATTRS = rb"(?:\s+[^\s=<>/\"']+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
#: Every start of a cell element (``<c`` with any namespace prefix), whatever follows.
_C_CANDIDATE = re.compile(rb"<(?:" + _NAME + rb":)?c(?=[\s/>])")
#: A cell whose first attribute is its reference (as Excel and every common writer store it).
_C_FAST = re.compile(rb"<(?:" + _NAME + rb":)?c\s+r\s*=\s*[\"']([A-Za-z]{1,3})([0-9]{1,7})[\"']"
                     + _ATTRS + rb"\s*(/?)>")
#: A whole cell or row start tag: its attributes and whether it is empty (``/>``).
_C_START = re.compile(rb"<(?:" + _NAME + rb":)?c(" + _ATTRS + rb")\s*(/?)>")
_ROW_START = re.compile(rb"<(?:" + _NAME + rb":)?row(" + _ATTRS + rb")\s*(/?)>")
#: The end of a row: ``</row>``, or an empty ``<row/>``.
_ROW_BREAK = re.compile(rb"</(?:" + _NAME + rb":)?row\s*>|<(?:" + _NAME + rb":)?row" + _ATTRS + rb"\s*/>")
_SHEET_DATA_END = re.compile(rb"</(?:" + _NAME + rb":)?sheetData\s*>")
_HAS_REF = re.compile(rb"\sr\s*=")
#: Any element the in-order scan follows: cells and rows.
_EVENT = re.compile(rb"<(/?)(?:" + _NAME + rb":)?(c|row)(?=[\s/>])")
_TAG_REST = re.compile(_ATTRS + rb"\s*(/?)>")
_ATTR = re.compile(rb"([^\s=<>/\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(rb"([A-Za-z]+)([0-9]+)")


class _Extent:
    """The used area of one sheet: its last row and column (0-based) and the cells that reach them."""

    def __init__(self) -> None:
        self.row = -1
        self.col = -1
        self.row_ref = ""
        self.col_ref = ""

    def add(self, row: int, col: int, ref: str = "") -> None:
        if row > self.row:
            self.row, self.row_ref = row, ref or f"{column_letters(col)}{row + 1}"
        if col > self.col:
            self.col, self.col_ref = col, ref or f"{column_letters(col)}{row + 1}"


def _col_index(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col - 1


def _chunks(stream: io.BufferedIOBase, member: str, name: str) -> Iterator[bytes]:
    """Whole tags in bounded chunks: each chunk ends at a ``>``; the rest is carried to the next."""
    carry = b""
    while True:
        block = stream.read(_CHUNK)
        if not block:
            if carry.strip():
                yield carry
            return
        buf = carry + block
        cut = buf.rfind(b">") + 1
        carry, buf = buf[cut:], buf[:cut]
        if len(carry) > _MAX_TAG:
            raise _malformed(name, member, f"a tag longer than {_MAX_TAG // 1024} KB")
        if buf:
            yield buf


def _malformed(name: str, member: str, what: str) -> RawFileError:
    return RawFileError(f"{name}: its part {member} is not well-formed XML ({what}); "
                        "save the workbook again from Excel or LibreOffice and rerun")


def _scan_by_reference(chunks: Iterator[bytes], check: Callable[[_Extent], None]) -> _Extent | None:
    """The extent when every cell starts with its reference (the common case, at the speed of ``re``).

    Returns None as soon as a cell does not; the caller then follows the XML
    in order (:class:`_InOrder`).
    """
    extent = _Extent()
    for buf in chunks:
        found = _C_FAST.findall(buf)
        if len(found) != len(_C_CANDIDATE.findall(buf)):
            return None
        cells = [(letters, digits) for letters, digits, empty in found if not empty]
        if not cells:
            continue
        far_letters = max({letters for letters, _ in cells}, key=lambda s: (len(s), s.upper()))
        far_digits = max({digits for _, digits in cells}, key=int)
        col, row = _col_index(far_letters), int(far_digits) - 1
        if col > extent.col:
            digits = next(d for letters, d in cells if letters == far_letters)
            extent.col, extent.col_ref = col, f"{far_letters.decode().upper()}{int(digits)}"
        if row > extent.row:
            letters = next(c for c, d in cells if d == far_digits)
            extent.row, extent.row_ref = row, f"{letters.decode().upper()}{row + 1}"
        check(extent)
    return extent


class _InOrder:
    """calamine's own placing of cells, for sheets whose cells do not all give their reference.

    A cell goes right of the cell before it, a row below the row before it;
    a reference (``r="B7"`` on a cell, ``r="7"`` on a row) sets the position.
    An empty element (``<c r="B7"/>``) moves the position but holds no value,
    so it does not widen the used area (python-calamine 0.9.1; the test
    ``test_the_scan_finds_the_last_cell_calamine_finds`` compares the two).
    """

    def __init__(self, member: str, name: str) -> None:
        self.extent = _Extent()
        self.row = self.col = 0
        self.member, self.name = member, name
        self.done = False

    def feed(self, buf: bytes) -> None:
        stop = _SHEET_DATA_END.search(buf)
        if stop is not None:  # calamine reads no cell after the sheet data
            buf, self.done = buf[:stop.start()], True
        cells = _C_START.findall(buf)
        if len(cells) != len(_C_CANDIDATE.findall(buf)):
            raise _malformed(self.name, self.member, "a <c> element that cannot be read")
        referenced = any(_HAS_REF.search(attrs) for attrs, _ in cells) or any(
            _HAS_REF.search(attrs) for attrs, _ in _ROW_START.findall(buf))
        if referenced:
            self._feed_events(buf)
        else:
            self._feed_rows(buf)

    def _feed_rows(self, buf: bytes) -> None:
        """No cell or row of the chunk gives a reference: count the cells of each row."""
        segments = _ROW_BREAK.split(buf)
        for k, segment in enumerate(segments):
            cells = _C_START.findall(segment)
            first = self.col if k == 0 else 0
            filled = [n for n, (_, empty) in enumerate(cells) if not empty]
            if filled:
                self.extent.add(self.row + k, first + filled[-1])
            if k == len(segments) - 1:
                self.col = first + len(cells)
        self.row += len(segments) - 1

    def _feed_events(self, buf: bytes) -> None:
        """Element by element, as calamine reads them."""
        for event in _EVENT.finditer(buf):
            end, tag = event.group(1), event.group(2)
            if end:
                if tag == b"row":
                    self.row, self.col = self.row + 1, 0
                continue
            rest = _TAG_REST.match(buf, event.end())
            if rest is None:
                raise _malformed(self.name, self.member, f"a <{tag.decode()}> element that cannot be read")
            empty = bool(rest.group(1))
            attrs = {k: (v1 or v2) for k, v1, v2 in _ATTR.findall(buf[event.end():rest.end()])}
            ref = attrs.get(b"r")
            if tag == b"row":
                if ref is not None:
                    if not ref.isdigit():
                        raise _malformed(self.name, self.member, f"row number {ref[:20]!r}")
                    self.row = int(ref) - 1
                if empty:
                    self.row, self.col = self.row + 1, 0
                continue
            if ref is not None:
                parsed = _REF.fullmatch(ref)
                if parsed is None:
                    raise _malformed(self.name, self.member, f"cell reference {ref[:20]!r}")
                self.col, row = _col_index(parsed.group(1)), int(parsed.group(2)) - 1
                if not empty:
                    self.extent.add(row, self.col, ref.decode().upper())
            elif not empty:
                self.extent.add(self.row, self.col)
            self.col += 1


def _scan_in_order(chunks: Iterator[bytes], member: str, name: str,
                   check: Callable[[_Extent], None]) -> _Extent:
    scan = _InOrder(member, name)
    for buf in chunks:
        scan.feed(buf)
        check(scan.extent)
        if scan.done:
            break
    return scan.extent


_ODS_EVENT = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])")


def _scan_ods(chunks: Iterator[bytes], member: str, name: str,
              check: Callable[[_Extent, str], None],
              special: dict[str, dict[tuple[int, int], str]] | None = None) -> dict[str, _Extent]:
    """The extent of every sheet of an OpenDocument ``content.xml``, with rows and columns repeated.

    A row counts as far as its last repeat when it holds a cell with a value
    or a formula (empty repeated rows and cells, which LibreOffice writes to
    the end of every sheet, take no memory in calamine). With ``special``, the
    formula cells without a value and the error cells (LibreOffice's
    ``calcext:value-type="error"``) are put there, per sheet, as
    :func:`special_cells` gives them for an Excel sheet.
    """
    sheets: dict[str, _Extent] = {}
    extent = _Extent()
    current = ""
    row_ptr, row_repeat, col_ptr, row_col = 0, 1, 0, -1
    for buf in chunks:
        for event in _ODS_EVENT.finditer(buf):
            end, tag = event.group(1), event.group(2)
            if end:
                if tag == b"table-row":
                    if row_col >= 0:
                        extent.add(row_ptr + row_repeat - 1, row_col)
                    row_ptr += row_repeat
                    row_repeat, col_ptr, row_col = 1, 0, -1
                continue
            rest = _TAG_REST.match(buf, event.end())
            if rest is None:
                raise _malformed(name, member, f"a <table:{tag.decode()}> element that cannot be read")
            attrs = {k: (v1 or v2) for k, v1, v2 in _ATTR.findall(buf[event.end():rest.end()])}
            empty = bool(rest.group(1))
            if tag == b"table":
                sheet = (attrs.get(b"table:name") or b"").decode("utf-8", "replace")
                current = sheet or f"sheet {len(sheets) + 1}"
                extent = sheets.setdefault(current, _Extent())
                row_ptr, row_repeat, col_ptr, row_col = 0, 1, 0, -1
            elif tag == b"table-row":
                row_repeat = _repeat(attrs.get(b"table:number-rows-repeated"), member, name)
                col_ptr, row_col = 0, -1
                if empty:
                    row_ptr += row_repeat
                    row_repeat = 1
            else:
                repeat = _repeat(attrs.get(b"table:number-columns-repeated"), member, name)
                if (not empty) or b"office:value-type" in attrs or b"table:formula" in attrs:
                    row_col = max(row_col, col_ptr + repeat - 1)
                if special is not None and b"table:formula" in attrs and (
                        attrs.get(b"calcext:value-type") == b"error" or b"office:value-type" not in attrs):
                    shown = _ODS_TEXT.match(buf, rest.end()) if not empty else None
                    cells = special.setdefault(current, {})
                    cells[(row_ptr, col_ptr)] = _special_value(
                        _unescape(attrs[b"table:formula"]).removeprefix("of:").removeprefix("="),
                        _unescape(shown.group(1)) if shown else "",
                        attrs.get(b"calcext:value-type") == b"error")
                    if sum(map(len, special.values())) > MAX_SPECIAL_CELLS:
                        raise _too_many_special(name, member)
                col_ptr += repeat
        for sheet_name, sheet_extent in sheets.items():
            check(sheet_extent, sheet_name)
    return sheets


#: The text of an OpenDocument cell, right after its start tag: ``<text:p>#DIV/0!</text:p>``.
_ODS_TEXT = re.compile(rb"\s*<text:p[^>]*>([^<]*)</text:p>")


def _repeat(raw: bytes | None, member: str, name: str) -> int:
    if raw is None:
        return 1
    if not raw.isdigit():
        raise _malformed(name, member, f"a repeat count {raw[:20]!r}")
    return max(1, int(raw))


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Member -> sheet name of an Excel workbook, read from its workbook part and relationships."""
    try:
        workbook = zf.read("xl/workbook.xml") if zf.getinfo("xl/workbook.xml").file_size < 2**24 else b""
        rels = (zf.read("xl/_rels/workbook.xml.rels")
                if zf.getinfo("xl/_rels/workbook.xml.rels").file_size < 2**24 else b"")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {}
    for tag in re.findall(rb"<(?:[^\s<>/:]+:)?Relationship\b[^>]*>", rels):
        attrs = {k.split(b":")[-1]: (v1 or v2) for k, v1, v2 in _ATTR.findall(tag)}
        if b"Id" in attrs and b"Target" in attrs:
            targets[attrs[b"Id"]] = _resolve("xl/", attrs[b"Target"].decode("utf-8", "replace"))
    names = {}
    for tag in re.findall(rb"<(?:[^\s<>/:]+:)?sheet\s[^>]*>", workbook):
        attrs = {k.split(b":")[-1]: (v1 or v2) for k, v1, v2 in _ATTR.findall(tag)}
        member = targets.get(attrs.get(b"id", b""))
        if member and b"name" in attrs:
            names[member] = attrs[b"name"].decode("utf-8", "replace")
    return names


def _resolve(base: str, target: str) -> str:
    """A relationship target as a member name (relative to ``base``, or absolute from the archive's root)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


def _rel_targets(zf: zipfile.ZipFile) -> set[str]:
    """Every member a relationship part points to (a sheet may be stored under any name)."""
    found = set()
    for info in zf.infolist():
        if not info.filename.endswith(".rels") or info.file_size > 2**24:
            continue
        folder = posixpath.dirname(posixpath.dirname(info.filename))
        base = folder + "/" if folder else ""
        for target in re.findall(rb"Target\s*=\s*[\"']([^\"']*)[\"']", zf.read(info)):
            found.add(_resolve(base, target.decode("utf-8", "replace")))
    return found


def check_zip_workbook(path: Path, name: str, lim: Limits) -> dict[str, dict[tuple[int, int], str]]:
    """Check an ``.xlsx``/``.xlsm``/``.ods`` file against the limits before calamine parses it.

    The scan stops at the first chunk of XML whose cells reach beyond a
    limit, so a hostile file is refused after a few megabytes. The used areas
    of all sheets together are held to ``max_workbook_cells``.

    Returns:
        Per sheet name, the cells calamine does not show as they are (an Excel
        file's formulas without a stored value and error cells,
        :func:`special_cells`), by (row, column), 0-based.

    Raises:
        RawFileError: naming the file, the limit and how to fix it: a file
            that is no zip archive, a total uncompressed size above
            ``max_megabytes``, a sheet whose cells reach beyond ``max_rows``,
            ``max_columns`` or ``max_cells``, sheets beyond ``max_workbook_cells`` together, or sheet XML
            the scan cannot follow.
    """
    check_file_size(path, name, lim)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RawFileError(
            f"{name}: cannot be opened as a spreadsheet (not a zip archive, as every .xlsx and .ods file is: "
            f"{exc}); if it is password-protected or an old .xls renamed, save it again as .xlsx and rerun"
        ) from exc
    with zf:
        total = sum(info.file_size for info in zf.infolist())
        if total > lim.max_bytes:
            raise RawFileError(
                f"{name}: its parts hold {total / 2**20:,.0f} MB uncompressed, more than the "
                f"{lim.max_megabytes} MB a workbook may hold ({LIMITS['max_megabytes'].env}; the file is "
                f"{path.stat().st_size / 2**20:,.1f} MB on disk): save the sheets you need in a new workbook, "
                f"or {_limit_hint('max_megabytes')}")
        try:
            if path.suffix.lower() == ".ods":
                total = _WorkbookCells(name, lim)

                def check(extent: _Extent, sheet: str) -> None:
                    _check_extent(name, sheet, extent, lim)
                    total.check(sheet, extent)

                special: dict[str, dict[tuple[int, int], str]] = {}
                if "content.xml" in zf.NameToInfo:
                    with zf.open("content.xml") as fh:
                        _scan_ods(_chunks(fh, "content.xml", name), "content.xml", name, check, special)
                return {sheet: cells for sheet, cells in special.items() if cells}
            return _scan_xlsx(zf, name, lim)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError,
                RuntimeError) as exc:
            raise RawFileError(
                f"{name}: cannot be opened as a spreadsheet (the archive is damaged: {exc}); "
                "save it again from Excel or LibreOffice and rerun") from exc


def _scan_xlsx(zf: zipfile.ZipFile, name: str, lim: Limits) -> dict[str, dict[tuple[int, int], str]]:
    """Scan every part that may hold a sheet: every XML part, and every target of a relationship.

    Returns the special cells of each sheet that has some (:func:`special_cells`).
    """
    names = _sheet_names(zf)
    members = {info.filename for info in zf.infolist() if info.filename.lower().endswith(".xml")}
    members |= {m for m in _rel_targets(zf) if m in zf.NameToInfo}
    total = _WorkbookCells(name, lim)
    special: dict[str, dict[tuple[int, int], str]] = {}
    for member in sorted(members):
        sheet = names.get(member, member)

        def check(extent: _Extent, sheet: str = sheet) -> None:
            _check_extent(name, sheet, extent, lim)
            total.check(sheet, extent)

        seen = [False]
        with zf.open(member) as fh:
            found = _scan_by_reference(_watch(_chunks(fh, member, name), seen), check)
        if found is None:
            with zf.open(member) as fh:
                _scan_in_order(_watch(_chunks(fh, member, name), seen), member, name, check)
        if seen[0] and member in names:
            with zf.open(member) as fh:
                cells = special_cells(_chunks(fh, member, name), member, name)
            if cells:
                special[sheet] = cells
    return special


#: A formula or an error cell somewhere in a chunk: the sheet then gets the second pass of :func:`special_cells`.
_SPECIAL = re.compile(rb"<(?:" + _NAME + rb":)?f[\s/>]|\st\s*=\s*[\"']e[\"']")


def _watch(chunks: Iterator[bytes], seen: list[bool]) -> Iterator[bytes]:
    """The chunks as they are, noting in ``seen[0]`` whether one holds a formula or an error cell."""
    for buf in chunks:
        # Plain substring tests first (fast); the pattern only confirms a chunk that has one.
        if not seen[0] and (b"f" in buf and (b"<f" in buf or b":f" in buf) or b"'e'" in buf or b'"e"' in buf) \
                and _SPECIAL.search(buf):
            seen[0] = True
        yield buf


#: The most formula cells without a value and error cells listed per workbook: each is one reject, and a
#: workbook saved without its values (by a script, say) would give one per formula. Past this, the file is
#: refused: recalculating it in Excel or LibreOffice stores every value.
MAX_SPECIAL_CELLS = 100_000

_CELL = re.compile(rb"<(?:" + _NAME + rb":)?c(" + _ATTRS + rb")\s*(?:/>|>(.*?)</(?:" + _NAME + rb":)?c\s*>)", re.S)
_CELL_END = re.compile(rb"</(?:" + _NAME + rb":)?(?:c|row|sheetData)\s*>")
_FORMULA = re.compile(rb"<(?:" + _NAME + rb":)?f\b[^>]*?(?:/>|>(.*?)</(?:" + _NAME + rb":)?f\s*>)", re.S)
_VALUE = re.compile(rb"<(?:" + _NAME + rb":)?v\b[^>]*?(?:/>|>(.*?)</(?:" + _NAME + rb":)?v\s*>)", re.S)
#: Prose, not a formula: two words of letters side by side (in a formula a space between two names is
#: the rarely used intersection operator), or a sign then a space, as a dash bullet is typed.
_PROSE = re.compile(r"^[-+]\s|[^\W\d_]{2,}\s+[^\W\d_]{2,}")


#: What marks a cell :func:`special_cells` lists: an error type, an empty value, or a formula that ends its
#: cell with no value after it. Chunks without one are skipped at the speed of ``re``.
_CANDIDATE = re.compile(rb"\st\s*=\s*[\"']e[\"']|<(?:" + _NAME + rb":)?v\s*/>|<(?:" + _NAME + rb":)?v\s*>\s*</"
                        rb"|</(?:" + _NAME + rb":)?f\s*>\s*</|<(?:" + _NAME + rb":)?f\b[^>]*/>\s*</")
_CELL_START = re.compile(rb"<(?:" + _NAME + rb":)?c[\s/>]")


#: Text every mark of :data:`_CANDIDATE` holds in the forms spreadsheet programs write (``t="e"``,
#: ``<v/>``, ``<v></v>``, ``</f></c>``, ``<f .../></c>``, with a line break or a space between tags): a chunk
#: with none of them holds no candidate, and is skipped without the slower pattern.
_QUICK_MARKS = (b'"e"', b"'e'", *(start + end for start in (b"<v", b":v") for end in (b"/>", b" />", b"></", b"> ",
                                                                                    b">\n", b">\r")),
                b"f></", b"f> ", b"f>\n", b"f>\r", b"/></", b"/> ", b"/>\n", b"/>\r")


def _candidate_cells(buf: bytes) -> Iterator[re.Match]:
    """The whole cells of ``buf`` that hold a mark of :data:`_CANDIDATE` (each once)."""
    if not any(mark in buf for mark in _QUICK_MARKS):
        return
    seen = set()
    for mark in _CANDIDATE.finditer(buf):
        start = buf.rfind(b"<", 0, mark.start() + 1)
        while start >= 0 and not _CELL_START.match(buf, start):
            start = buf.rfind(b"<", 0, start)
        if start < 0 or start in seen:
            continue
        seen.add(start)
        cell = _CELL.match(buf, start)
        if cell is not None:
            yield cell


def _unescape(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})


def special_cells(chunks: Iterator[bytes], member: str, name: str) -> dict[tuple[int, int], str]:
    """The cells of an Excel sheet that calamine shows empty, as what they hold, by (row, column) 0-based.

    * an error cell (``t="e"``: ``#DIV/0!``, ``#N/A``, ``#REF!``) as
      :class:`~smartcity_utils.values.ErrorCell`, its formula after it
      (``#DIV/0! from =B2/B3``);
    * a formula without a stored value as
      :class:`~smartcity_utils.values.FormulaCell` (``=SUM(B2:B4)``);
    * text that Excel took for a formula when it was typed (a remark typed as a
      dash bullet, ``- Gerakan literasi``, gives the error ``#NAME?``) as the
      text typed, a plain string: it is kept.

    Only cells that give their reference (``r="B7"``, as every Excel writer
    does) are placed.

    Raises:
        RawFileError: more than :data:`MAX_SPECIAL_CELLS` such cells, or a cell that never ends.
    """

    found: dict[tuple[int, int], str] = {}
    carry = b""
    for buf in chunks:
        buf = carry + buf
        cut = max(buf.rfind(b"</c>"), buf.rfind(b"</row>"), buf.rfind(b"</sheetData>"))
        if cut < 0 or b"</" not in buf[cut:cut + 2]:  # a namespace prefix or spaces: the general pattern
            ends = [m.end() for m in _CELL_END.finditer(buf)]
            cut = ends[-1] if ends else 0
        else:
            cut = buf.index(b">", cut) + 1
        buf, carry = buf[:cut], buf[cut:]
        if len(carry) > 4 * _CHUNK:
            raise _malformed(name, member, "a cell that does not end")
        for cell in _candidate_cells(buf):
            attrs = {k.split(b":")[-1]: (v1 or v2) for k, v1, v2 in _ATTR.findall(cell.group(1))}
            body = cell.group(2) or b""
            kind = attrs.get(b"t", b"n")
            formula_m = _FORMULA.search(body)
            if kind != b"e" and formula_m is None:
                continue
            value_m = _VALUE.search(body)
            value = _unescape(value_m.group(1) or b"") if value_m else ""
            formula = _unescape(formula_m.group(1) or b"") if formula_m else ""
            if kind != b"e" and (value or kind in (b"str", b"inlineStr", b"s")):
                continue  # a formula with its value: calamine reads the value
            text = _special_value(formula, value, kind == b"e")
            ref = _REF.fullmatch(attrs.get(b"r", b""))
            if ref is None:
                continue
            found[(int(ref.group(2)) - 1, _col_index(ref.group(1)))] = text
            if len(found) > MAX_SPECIAL_CELLS:
                raise _too_many_special(name, member)
    return found


def _too_many_special(name: str, member: str) -> RawFileError:
    return RawFileError(
        f"{name}, sheet part {member}: more than {MAX_SPECIAL_CELLS:,} formulas without a stored value or error "
        "cells; open the workbook in Excel or LibreOffice, let it recalculate, save it and rerun")


def _special_value(formula: str, value: str, error: bool) -> str:
    """What a formula cell without a value, or an error cell, holds in the grid (see :func:`special_cells`)."""
    from smartcity_utils.values import ErrorCell, FormulaCell

    if error:
        code = value.strip() or "#ERROR"
        if code in ("#NAME?", "Err:525") and formula and '"' not in formula and _PROSE.search(formula):
            return formula if formula.lstrip().startswith(("-", "+")) else "=" + formula
        return ErrorCell(f"{code} from ={formula}" if formula else code)
    return FormulaCell("=" + formula if formula else "=(a shared formula)")


def _check_extent(name: str, sheet: str, extent: _Extent, lim: Limits) -> None:
    if extent.row < 0:
        return
    rows, cols = extent.row + 1, extent.col + 1
    where = f"{name}, sheet {sheet!r}"
    fix = "delete the rows and columns after the table (select them, right-click, Delete) and save"
    if cols > lim.max_columns:
        raise RawFileError(
            f"{where}: a cell at {extent.col_ref} lies in column {cols:,}, beyond the {lim.max_columns} columns "
            f"a sheet may have ({LIMITS['max_columns'].env}); {fix}, or {_limit_hint('max_columns')}")
    if rows > lim.max_rows:
        raise RawFileError(
            f"{where}: a cell at {extent.row_ref} lies in row {rows:,}, beyond the {lim.max_rows:,} rows "
            f"a sheet may have ({LIMITS['max_rows'].env}); {fix}, or {_limit_hint('max_rows')}")
    if rows * cols > lim.max_cells:
        raise RawFileError(
            f"{where}: its cells span {rows:,} rows x {cols:,} columns = {rows * cols:,} cells, more than "
            f"the {lim.max_cells:,} a sheet may hold in memory ({LIMITS['max_cells'].env}); {fix}, "
            f"or {_limit_hint('max_cells')}")


class _WorkbookCells:
    """The used areas of a workbook's sheets, summed as they are scanned, against ``max_workbook_cells``."""

    def __init__(self, name: str, lim: Limits) -> None:
        self.name, self.lim = name, lim
        self.areas: dict[str, int] = {}

    def check(self, sheet: str, extent: _Extent) -> None:
        if extent.row < 0:
            return
        self.areas[sheet] = (extent.row + 1) * (extent.col + 1)
        total = sum(self.areas.values())
        if total > self.lim.max_workbook_cells:
            biggest = sorted(self.areas.items(), key=lambda kv: -kv[1])[:3]
            listed = ", ".join(f"{s!r} {n:,}" for s, n in biggest)
            raise RawFileError(
                f"{self.name}: its sheets span {total:,} cells together ({len(self.areas)} sheets so far; the "
                f"largest: {listed}), more than the {self.lim.max_workbook_cells:,} a workbook may hold in memory "
                f"({LIMITS['max_workbook_cells'].env}); delete the rows and columns after each table, or the sheets "
                f"not needed, and save, or {_limit_hint('max_workbook_cells')}")


def check_loaded_sheet(name: str, sheet: str, end: tuple[int, int] | None, lim: Limits) -> None:
    """The same limits on a sheet calamine has loaded (its last cell), before it becomes Python lists."""
    if end is None:
        return
    extent = _Extent()
    extent.add(end[0], end[1])
    _check_extent(name, sheet, extent, lim)


# --- .xls: read in a child process with a memory limit ----------------------------------------------

#: Memory of the child process that reads an ``.xls`` file (address space, bytes): well above what
#: ``max_cells`` allows, well below what would strain a shared machine.
XLS_CHILD_MEMORY = 2 * 1024**3

_XLS_CHILD = r"""
import pickle, resource, sys
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from python_calamine import CalamineWorkbook
max_rows, max_cols, max_cells, max_total = map(int, sys.argv[3:7])
out = []
wb = CalamineWorkbook.from_path(sys.argv[1])
visible = {m.name: str(m.visible).rsplit(".", 1)[-1] for m in wb.sheets_metadata}
total = 0
for name in wb.sheet_names:
    sheet = wb.get_sheet_by_name(name)
    end = sheet.end
    if end is not None:
        rows, cols = end[0] + 1, end[1] + 1
        if rows > max_rows or cols > max_cols or rows * cols > max_cells:
            out.append(("too_large", name, end))
            continue
        total += rows * cols
        if total > max_total:
            out.append(("too_large_total", name, total))
            break
    out.append(("sheet", name, ([list(r) for r in sheet.to_python(skip_empty_area=False)], visible.get(name))))
sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
"""


def read_xls_bounded(path: Path, name: str, lim: Limits) -> list[tuple[str, list[list[object]], str | None]]:
    """Every sheet of an ``.xls`` file as (name, rows, visibility), read in a child process with a memory limit.

    The visibility is calamine's: ``Visible``, ``Hidden`` or ``VeryHidden``.

    Raises:
        RawFileError: the file is beyond a limit, or cannot be read.
    """
    check_file_size(path, name, lim)
    args = [sys.executable, "-I", "-c", _XLS_CHILD, str(path), str(XLS_CHILD_MEMORY),
            str(lim.max_rows), str(lim.max_columns), str(lim.max_cells), str(lim.max_workbook_cells)]
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        reason = lines[-1].strip()[:200] if lines else f"the reader stopped with status {proc.returncode}"
        if "memory" in " ".join(lines).lower() or proc.returncode in (-6, -9, 134, 137):
            reason = f"it needs more than the {XLS_CHILD_MEMORY // 1024**3} GB a workbook may take to read"
        raise RawFileError(f"{name}: cannot be opened as a spreadsheet ({reason}); save it as .xlsx and rerun")
    sheets = []
    for kind, sheet, payload in pickle.loads(proc.stdout):
        if kind == "too_large":
            check_loaded_sheet(name, sheet, payload, lim)
        if kind == "too_large_total":
            raise RawFileError(
                f"{name}: its sheets span {payload:,} cells together (up to sheet {sheet!r}), more than the "
                f"{lim.max_workbook_cells:,} a workbook may hold in memory ({LIMITS['max_workbook_cells'].env}); "
                f"delete the rows and columns after each table, or the sheets not needed, and save, or "
                f"{_limit_hint('max_workbook_cells')}")
        sheets.append((sheet, *payload))
    return sheets


# --- CSV ------------------------------------------------------------------------------------------

#: Byte-order marks, in the order they are tested (UTF-32 marks begin like UTF-16 ones; they are not
#: a text export of Excel or LibreOffice, so they are named and refused).
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "utf-8 with BOM"), (b"\xff\xfe\x00\x00", None, "utf-32"),
         (b"\x00\x00\xfe\xff", None, "utf-32"), (b"\xff\xfe", "utf-16-le", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be", "utf-16-be"))


@dataclass
class CsvText:
    """How a CSV file is decoded (:func:`decode_csv`)."""

    codec: str  #: the Python codec that reads it whole (for a mixed file: utf-8, line by line)
    label: str  #: the encoding as the manifest names it
    text: str | None = None  #: the text, only for a mixed file (its bad lines left empty)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  #: (line, text shown) not decoded

    def lines(self, path: Path) -> Iterator[str]:
        """The physical lines, streamed from the file (no second copy of a large text)."""
        if self.text is not None:
            yield from (m.group(0) for m in _LINE.finditer(self.text))
            return
        with open(path, encoding=self.codec, errors="replace" if self.codec == "cp1252" else "strict",
                  newline="") as fh:
            yield from fh


def read_csv_file(path: Path, name: str, lim: Limits) -> tuple[list[list[object]], str, list[tuple[int, str]]]:
    """The records of a CSV file, the encoding it was read with, and the lines that could not be decoded.

    The size is checked first; the encoding is found on the bytes
    (:func:`decode_csv`), then the file is read again as a stream of lines
    (:func:`read_csv_records`), so that its text is not held beside its records.
    """
    from smartcity_utils.tables import CSV_DELIMITERS, sniff_delimiter

    check_file_size(path, name, lim)
    found = decode_csv(path.read_bytes(), name)
    head = found.text[:_SNIFF] if found.text is not None else _head(path, found.codec)
    # Title lines without any delimiter (a letter typed as label;value rows under a title) say nothing of it.
    head = "\n".join(line for line in head.splitlines() if any(d in line for d in CSV_DELIMITERS)) or head
    try:
        records = read_csv_records(found.lines(path), sniff_delimiter(head), name, lim)
    except UnicodeDecodeError as exc:  # the file changed since its encoding was found
        raise RawFileError(f"{name}: no longer reads as {found.label} (it changed while it was read); "
                           "rerun when it is saved") from exc
    return records, found.label, found.bad_lines


#: Characters read from the start of a file to find its delimiter.
_SNIFF = 64 * 1024


def _head(path: Path, codec: str) -> str:
    with open(path, encoding=codec, errors="replace", newline="") as fh:
        return fh.read(_SNIFF)


def decode_csv(raw: bytes, name: str) -> CsvText:
    """How to decode a CSV file: its encoding, and for a mixed file the text and the lines not decoded.

    * a byte-order mark names the encoding: UTF-8, UTF-16 either way round
      (Excel's "Unicode text"); without one, UTF-16 is recognised by its zero
      bytes (every other byte of a mostly ASCII text);
    * UTF-8 that decodes whole is UTF-8;
    * a file with no valid UTF-8 sequence beyond ASCII is cp1252 (Excel's
      "CSV" on Windows), named as such;
    * a file that mixes the two (a line pasted from another file) is never
      decoded again whole in one of them: the encoding of most of its
      non-ASCII lines is the file's, and each line in the other is returned as
      (line number, its text with U+FFFD for the bytes UTF-8 cannot read) and
      left empty in the text, so every other line keeps its number.

    Raises:
        RawFileError: a UTF-32 file, or a UTF-16 one that does not decode.
    """
    bom_label = ""
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            if codec is None:
                raise RawFileError(f"{name}: a {label} text file, which is not read; save it as CSV UTF-8 and rerun")
            if codec == "utf-8-sig":
                raw, bom_label = raw[len(bom):], label
                break
            codec = "utf-16"  # the BOM read and dropped
            _check_decodes(raw, codec, label, name)
            return CsvText(codec, label)
    head = raw[:4096]
    if not bom_label and len(head) >= 4 and head.count(0) * 3 >= len(head):
        odd_zeros = head[1::2].count(0)
        codec = "utf-16-le" if odd_zeros > head[0::2].count(0) else "utf-16-be"
        _check_decodes(raw, codec, f"{codec} without BOM", name)
        return CsvText(codec, f"{codec} without BOM")
    utf8 = "utf-8-sig" if bom_label else "utf-8"
    try:
        raw.decode("utf-8")
        return CsvText(utf8, bom_label or "utf-8")
    except UnicodeDecodeError:
        pass
    lines = raw.splitlines(keepends=True)
    valid = invalid = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            valid += 1
        except UnicodeDecodeError:
            invalid += 1
    if not valid and not bom_label:
        return CsvText("cp1252", "cp1252")
    # A mixed file: the lines not in its encoding are listed, never read in the other.
    in_utf8 = valid >= invalid or bool(bom_label)
    kept, bad = [], []
    for number, line in enumerate(lines, 1):
        body = line.rstrip(b"\r\n")
        try:
            text = line.decode("utf-8")
            ok = in_utf8 or line.isascii()
        except UnicodeDecodeError:
            text, ok = line.decode("cp1252", "replace"), not in_utf8
        if ok:
            kept.append(text)
        else:
            bad.append((number, body.decode("utf-8", "replace")[:200]))
            kept.append(line[len(body):].decode("ascii"))
    label = (bom_label or "utf-8") if in_utf8 else "cp1252"
    return CsvText(utf8 if in_utf8 else "cp1252", f"{label} (mixed: {len(bad):,} line(s) in another encoding)",
                   "".join(kept), bad)


def _check_decodes(raw: bytes, codec: str, label: str, name: str) -> None:
    try:
        raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise RawFileError(f"{name}: read as {label}, but byte {exc.start:,} does not decode; save it as CSV UTF-8 "
                           "and rerun") from exc

#: The longest field a CSV cell may hold: the csv module's own limit (128 KB). A remark is a few
#: hundred characters; a longer field is nearly always a quote left open.
CSV_FIELD_LIMIT = csv.field_size_limit()


#: A physical line of a CSV text: up to and with its line break (``\r\n``, ``\n`` or ``\r``), as
#: ``open(newline="")`` splits them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(text: str | Iterator[str], delimiter: str, name: str, lim: Limits) -> Iterator[str]:
    """The physical lines of a CSV text (or the lines themselves), each checked to hold a bounded number of fields.

    The lines of a text are cut from it one at a time (a ``StringIO`` would
    hold a second copy of it, four bytes a character).
    """
    lines = (m.group(0) for m in _LINE.finditer(text)) if isinstance(text, str) else text
    for number, line in enumerate(lines, 1):
        if line.count(delimiter) >= lim.max_cells:
            raise RawFileError(
                f"{name}, line {number:,}: {line.count(delimiter) + 1:,} fields on one line, more than the "
                f"{lim.max_cells:,} cells a sheet may hold ({LIMITS['max_cells'].env}); the line breaks of "
                "the file are probably lost: export it again as CSV")
        yield line


def read_csv_records(text: str | Iterator[str], delimiter: str, name: str, lim: Limits) -> list[list[object]]:
    """Every record of a CSV text (or of its lines), each checked against the lines it spans.

    A quoted field may hold line breaks (a remark typed over several lines),
    but a quote left open swallows the lines that follow into one cell. That
    is refused: a field that runs to the end of the file, text after a
    closing quote, a field over :data:`CSV_FIELD_LIMIT` characters, and a
    quoted field that takes in whole lines that look like rows (as many
    delimiters as the header has). Fields after the ``max_columns``-th are
    refused unless empty (trailing empty fields, and trailing empty
    records, are dropped); so are records beyond ``max_rows`` or
    ``max_cells``.

    Raises:
        RawFileError: naming the file, the line where the record starts and the fix.
    """
    reader = csv.reader(_lines(text, delimiter, name, lim), delimiter=delimiter, strict=True)
    records: list[list[object]] = []
    width = 0  # fields of the first record with several: the header, in practice
    widest = 0
    empty_run = 0  # empty records not stored yet: trailing ones are dropped, like a sheet's
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RawFileError(_csv_error(name, start, reader.line_num, str(exc))) from exc
        end = reader.line_num
        if end > start:
            _check_spanning(record, delimiter, width, name, start, end)
        while record and not record[-1].strip():
            record.pop()
        if not record:
            empty_run += 1
            continue
        if len(record) > lim.max_columns:
            raise RawFileError(
                f"{name}, line {start:,}: {len(record):,} fields, more than the {lim.max_columns} columns a "
                f"sheet may have ({LIMITS['max_columns'].env}); check the line's delimiters, or "
                f"{_limit_hint('max_columns')}")
        rows, widest = len(records) + empty_run + 1, max(widest, len(record))
        if rows > lim.max_rows:
            raise RawFileError(
                f"{name}, line {start:,}: record {rows:,}, beyond the {lim.max_rows:,} rows a sheet may have "
                f"({LIMITS['max_rows'].env}); split the file, or {_limit_hint('max_rows')}")
        if rows * widest > lim.max_cells:
            raise RawFileError(
                f"{name}, line {start:,}: {rows:,} records x {widest} fields = {rows * widest:,} cells, more than "
                f"the {lim.max_cells:,} a sheet may hold in memory ({LIMITS['max_cells'].env}); split the file, "
                f"or {_limit_hint('max_cells')}")
        records.extend([] for _ in range(empty_run))
        empty_run = 0
        if not width and len(record) > 1:
            width = len(record)
        records.append(record)
    return records


def _csv_error(name: str, start: int, end: int, message: str) -> str:
    if "field larger than field limit" in message:
        return (f"{name}, line {start:,}: a field longer than {CSV_FIELD_LIMIT:,} characters; a quote opened "
                "there and never closed would do this: close or remove it, or save the file again as CSV")
    if "unexpected end of data" in message:
        return (f"{name}, line {start:,}: a quote opens a field that is never closed, so lines {start:,} to "
                f"{end:,} would become one cell; close the quote (write a quote inside a field as \"\") or "
                "remove it")
    if "expected after" in message:
        return (f"{name}, line {end:,}: text follows a closing quote ({message}); a quote opened on line "
                f"{start:,} probably closes here: close it where the field ends, or remove it")
    return f"{name}, line {start:,}: not readable as CSV ({message}); save the file again as CSV UTF-8"


def _check_spanning(record: list[str], delimiter: str, width: int, name: str, start: int, end: int) -> None:
    """Refuse a record whose quoted field takes in whole lines that look like rows of the file."""
    threshold = max(1, width - 1)
    for field_text in record:
        lines = field_text.splitlines()
        for k, line in enumerate(lines[1:], 1):
            if line.count(delimiter) >= threshold:
                raise RawFileError(
                    f"{name}, line {start:,}: a quote opened on this line runs to line {end:,} and takes in "
                    f"line {start + k:,} ({line[:60]!r}) as text: {end - start + 1} lines would become one row. "
                    "Close the quote where the field ends (write a quote inside a field as \"\"), or remove it")
