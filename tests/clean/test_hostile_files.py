"""No raw file can crash, exhaust or silently truncate a run: one line naming the file, or a complete read.

Each hostile file is written by the test itself in a few
kilobytes (:mod:`fixtures.hostile_files`). The files that once aborted the
process are read in one child process whose address space is capped at 2 GB
above its start, so a regression fails these tests instead of the machine.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fixtures import hostile_files as h
from python_calamine import CalamineWorkbook

from smartcity_utils.clean import bounded
from smartcity_utils.clean.assemble import clean_raw_folder
from smartcity_utils.clean.sheets import read_grid_file
from smartcity_utils.errors import RawFileError, UserError

TESTS = Path(__file__).resolve().parents[1]

#: Reads each file named on the command line, one JSON line per file: what happened, and the growth
#: of the peak resident memory while it was read. The address space is capped 2 GB above the start.
CHILD = r"""
import json, resource, sys
from pathlib import Path
from smartcity_utils.clean.sheets import read_grid_file
from smartcity_utils.errors import RawFileError
vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + 2 * 1024**3, vm + 2 * 1024**3))
for name in sys.argv[1:]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        sheets = read_grid_file(Path(name), Path(name).name)
        result = {"read": [[s.sheet, len(s.rows), max(map(len, s.rows), default=0)] for s in sheets]}
    except RawFileError as exc:
        result = {"refused": str(exc)}
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"file": Path(name).name, "grew_mb": (after - before) / 1024, **result}), flush=True)
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, dict]:
    """Every hostile workbook read once in a capped child process: file name -> result."""
    folder = tmp_path_factory.mktemp("hostile")
    files = [
        h.far_cell_xlsx(folder / "far_cell.xlsx"),
        h.far_cell_xlsx(folder / "far_cell_4000.xlsx", "XFD4000", with_table=True),
        h.repeated_rows_ods(folder / "repeated_rows.ods"),
        h.write_xlsx(folder / "hidden_reference.xlsx",
                     h.rows_xml(h.RECAP_ROWS) + '<row r="9"><c s=">" r="XFD9"><v>1</v></c></row>'),
        h.write_xlsx(folder / "row_without_references.xlsx",
                     h.rows_xml(h.RECAP_ROWS) + '<row r="1048576"><c><v>1</v></c></row>'),
    ]
    for f in files:
        assert f.stat().st_size < 4096  # a few kilobytes on disk
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, files)], capture_output=True, text=True,
                          cwd=TESTS.parent, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = {r["file"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert len(results) == len(files)
    return results


def _refused(result: dict) -> str:
    assert "refused" in result, result
    message = result["refused"]
    assert "\n" not in message and "Traceback" not in message
    assert result["grew_mb"] < 100  # refused before anything large is held
    return message


def test_a_cell_at_XFD1048576_is_refused_in_one_line_naming_the_cell(hostile):
    message = _refused(hostile["far_cell.xlsx"])
    assert message.startswith("far_cell.xlsx, sheet 'Rekap': a cell at XFD1048576 lies in column 16,384")
    assert "SMARTCITY_MAX_COLUMNS" in message


def test_a_cell_at_XFD4000_beside_a_table_is_refused_not_read_as_4000_blank_rows(hostile):
    message = _refused(hostile["far_cell_4000.xlsx"])
    assert "a cell at XFD4000" in message and "delete the rows and columns after the table" in message


def test_an_ods_row_repeated_a_million_times_is_refused(hostile):
    message = _refused(hostile["repeated_rows.ods"])
    assert "row 1,000,003, beyond the 200,000 rows" in message and "SMARTCITY_MAX_ROWS" in message


def test_a_reference_after_an_attribute_holding_a_closing_bracket_is_still_seen(hostile):
    assert "a cell at XFD9" in _refused(hostile["hidden_reference.xlsx"])


def test_cells_without_references_are_placed_as_calamine_places_them(hostile):
    assert "row 1,048,576" in _refused(hostile["row_without_references.xlsx"])


def _bomb(path: Path, megabytes: int, honest: bool = True) -> Path:
    return h.zip_bomb_xlsx(path, megabytes, honest_sizes=honest)


def test_a_zip_bomb_is_refused_by_its_declared_size_before_it_is_decompressed(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCITY_MAX_MB", "1")
    bomb = _bomb(tmp_path / "bomb.xlsx", 4)
    assert bomb.stat().st_size < 30_000  # 4 MB of XML in about 23 KB
    with pytest.raises(RawFileError) as err:
        read_grid_file(bomb, "bomb.xlsx")
    assert re.match(r"bomb\.xlsx: its parts hold [45] MB uncompressed, more than the 1 MB", str(err.value))
    assert "SMARTCITY_MAX_MB" in str(err.value)


def test_a_zip_bomb_that_lies_about_its_size_is_refused_as_damaged(tmp_path):
    bomb = _bomb(tmp_path / "liar.xlsx", 3, honest=False)
    info = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size == 1024  # the directory declares 1 KB for 3 MB of XML
    with pytest.raises(RawFileError, match=r"^liar\.xlsx: cannot be opened as a spreadsheet \(the archive is "
                                           r"damaged: Bad CRC-32"):
        read_grid_file(bomb, "liar.xlsx")


def test_the_limits_are_settable_and_a_bad_setting_is_one_line(tmp_path, monkeypatch):
    recap = h.write_xlsx(tmp_path / "rekap.xlsx", h.rows_xml(h.RECAP_ROWS))
    assert [len(s.rows) for s in read_grid_file(recap, "rekap.xlsx")] == [3]
    monkeypatch.setenv("SMARTCITY_MAX_ROWS", "2")
    with pytest.raises(RawFileError, match=r"a cell at A3 lies in row 3, beyond the 2 rows .*SMARTCITY_MAX_ROWS"):
        read_grid_file(recap, "rekap.xlsx")
    monkeypatch.setenv("SMARTCITY_MAX_ROWS", "lots")
    message = r"^SMARTCITY_MAX_ROWS='lots': give a positive whole number \(default 200000\)$"
    with pytest.raises(UserError, match=message):
        read_grid_file(recap, "rekap.xlsx")


def test_each_limit_has_its_reason_and_the_default_sizes_of_the_issue():
    assert {k: v.default for k, v in bounded.LIMITS.items()} == {
        "max_rows": 200_000, "max_columns": 200, "max_cells": 10_000_000, "max_workbook_cells": 10_000_000,
        "max_megabytes": 200}
    assert all(len(limit.reason) > 60 and limit.env.startswith("SMARTCITY_") for limit in bounded.LIMITS.values())


def test_trailing_empty_cells_of_real_exports_are_trimmed_not_rejected(tmp_path):
    blanks = "".join(f'<row r="{r}"><c r="Z{r}" t="inlineStr"><is><t> </t></is></c></row>' for r in range(4, 400))
    path = h.write_xlsx(tmp_path / "rekap_2022.xlsx", h.rows_xml(h.RECAP_ROWS) + blanks)
    grid = read_grid_file(path, "rekap_2022.xlsx")[0].rows
    assert [len(r) for r in grid] == [5, 5, 5]  # 396 rows of spaces out to column Z are dropped
    ods = h.write_ods(tmp_path / "rekap_2022.ods", "".join(h.ods_row(r) for r in h.RECAP_ROWS)
                      + '<table:table-row table:number-rows-repeated="1048573">'
                      '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    assert [len(r) for r in read_grid_file(ods, "rekap_2022.ods")[0].rows] == [5, 5, 5]
    cleaned = clean_raw_folder(tmp_path)
    assert not cleaned.rejects["reason"].eq("blank_row").any()
    assert cleaned.manifest["rows_read"].tolist() == [2, 2]


def test_an_xls_file_that_cannot_be_read_is_one_line(tmp_path):
    path = tmp_path / "rekap_lama.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(RawFileError) as err:
        read_grid_file(path, "rekap_lama.xls")
    message = str(err.value)
    assert message.startswith("rekap_lama.xls: cannot be opened as a spreadsheet (") and "\n" not in message
    assert message.endswith("save it as .xlsx and rerun")


def _random_sheet(rng: random.Random) -> str:
    rows, r = [], 0
    for _ in range(rng.randint(1, 12)):
        r = r + rng.randint(1, 3) if rng.random() < 0.7 else r
        attrs = f' r="{r}"' if rng.random() < 0.6 else ""
        cells, c = [], 0
        for _ in range(rng.randint(0, 6)):
            c += rng.randint(0, 2)
            ref = f' r="{h.column_letters(c)}{r if r else 1}"' if rng.random() < 0.5 else ""
            cells.append(f"<c{ref}/>" if rng.random() < 0.2 else f"<c{ref}><v>{rng.randint(1, 9)}</v></c>")
        rows.append(f"<row{attrs}>{''.join(cells)}</row>")
    return "".join(rows)


def test_the_scan_finds_the_last_cell_calamine_finds(tmp_path):
    rng = random.Random(16)
    compared = 0
    for k in range(150):
        path = h.write_xlsx(tmp_path / f"s{k}.xlsx", _random_sheet(rng))
        try:
            end = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).end
        except Exception:  # noqa: BLE001 - a random sheet calamine refuses says nothing here
            continue
        with zipfile.ZipFile(path) as zf, zf.open("xl/worksheets/sheet1.xml") as fh:
            extent = bounded._scan_in_order(bounded._chunks(fh, "sheet1.xml", path.name), "sheet1.xml",
                                            path.name, lambda extent: None)
        with zipfile.ZipFile(path) as zf, zf.open("xl/worksheets/sheet1.xml") as fh:
            fast = bounded._scan_by_reference(bounded._chunks(fh, "sheet1.xml", path.name), lambda extent: None)
        found = (extent.row, extent.col) if extent.row >= 0 else None
        assert found == (tuple(end) if end else None), path.read_bytes()
        if fast is not None:
            assert (fast.row, fast.col) == (extent.row, extent.col)
        compared += 1
    assert compared > 100


# --- CSV: every record checked against the lines of the file ---------------------------------------

def test_an_unmatched_quote_in_a_remark_stops_with_the_lines_it_would_swallow(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv", remarks={1: '"bagus sekali'})
    with pytest.raises(RawFileError) as err:
        read_grid_file(path, "formulir/ekspor_2024.csv")
    assert str(err.value) == (
        "formulir/ekspor_2024.csv, line 3: a quote opens a field that is never closed, so lines 3 to 7 would "
        "become one cell; close the quote (write a quote inside a field as \"\") or remove it")


def test_a_quote_that_closes_lines_later_stops_with_the_swallowed_line(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv", remarks={1: '"bagus', 3: 'cukup"'})
    with pytest.raises(RawFileError, match=r"^ekspor_2024\.csv, line 3: a quote opened on this line runs to line 5 "
                                           r"and takes in line 4 \('2024-07-01"):
        read_grid_file(path, "ekspor_2024.csv")


def test_a_remark_typed_over_several_lines_is_read_whole(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv", remarks={1: '"baris satu\nbaris dua"'})
    grid = read_grid_file(path, "ekspor_2024.csv")[0].rows
    assert len(grid) == 7 and grid[2][10] == "baris satu\nbaris dua"
    cleaned = clean_raw_folder(tmp_path)
    assert cleaned.manifest["rows_read"].tolist() == [6] and len(cleaned.scores) == 6


def test_a_field_over_128_kb_is_one_line_naming_file_and_line(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv", remarks={2: '"' + "x" * 200_000 + '"'})
    with pytest.raises(RawFileError) as err:
        read_grid_file(path, "ekspor_2024.csv")
    assert str(err.value).startswith("ekspor_2024.csv, line 4: a field longer than 131,072 characters")


def test_a_line_with_millions_of_fields_is_one_line_naming_it(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv", extra={3: ";" * 5_200_000 + "x"})
    with pytest.raises(RawFileError) as err:
        read_grid_file(path, "ekspor_2024.csv")
    assert str(err.value).startswith("ekspor_2024.csv, line 5: 5,200,013 fields, more than the 200 columns")


def test_empty_fields_beyond_the_header_are_dropped_and_filled_ones_listed(tmp_path):
    h.form_csv(tmp_path / "ekspor_2024.csv", extra={3: ";" * 5_000, 4: "catatan lepas;;lagi"})
    cleaned = clean_raw_folder(tmp_path)
    beyond = cleaned.rejects.query("reason == 'beyond_header'")
    assert beyond[["source_row", "column", "value"]].values.tolist() == [[6, "field 13", "catatan lepas"]]
    assert "2 filled cell(s) (field 13 and 1 more)" in beyond["suggestion"].iloc[0]
    assert cleaned.manifest["rows_read"].tolist() == [6] and len(cleaned.scores) == 6


def test_a_csv_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCITY_MAX_MB", "1")
    path = tmp_path / "ekspor_2024.csv"
    path.write_text(h.FORM_HEADER + "\n" + (h.form_line("A", "P1", "Smart Governance", "3") + "\n") * 20_000)
    with pytest.raises(RawFileError, match=r"^ekspor_2024\.csv: 2 MB is more than the 1 MB a raw file may hold"):
        read_grid_file(path, "ekspor_2024.csv")


def test_a_csv_of_millions_of_empty_lines_is_read_without_holding_them(tmp_path):
    path = h.form_csv(tmp_path / "ekspor_2024.csv")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(";;\n" * 1_000_000)
    assert len(read_grid_file(path, "ekspor_2024.csv")[0].rows) == 7


def test_a_csv_beyond_the_row_limit_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCITY_MAX_ROWS", "5")
    path = h.form_csv(tmp_path / "ekspor_2024.csv")
    with pytest.raises(RawFileError, match=r"^ekspor_2024\.csv, line 6: record 6, beyond the 5 rows"):
        read_grid_file(path, "ekspor_2024.csv")


def test_the_documentation_gives_each_limit_its_default_and_variable():
    text = (TESTS.parent / "docs" / "data_model.md").read_text(encoding="utf-8")
    for limit in bounded.LIMITS.values():
        assert f"| {limit.default:,} | `{limit.env}` |" in text
