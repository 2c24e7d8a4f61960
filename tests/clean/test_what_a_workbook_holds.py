"""What a workbook holds is what the run reports (issue 24): one test per input of the issue's table.

Every input is written by the test in a few kilobytes: the memory cases with
:mod:`zipfile` and sparse sheet XML (:mod:`fixtures.hostile_files`).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fixtures import hostile_files as h

from smartcity_utils.clean import bounded
from smartcity_utils.clean.assemble import clean_raw_folder
from smartcity_utils.clean.sheets import READ_HIDDEN_ENV, read_grid_file
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import MAX_COUNT, ErrorCell, FormulaCell, parse_count, parse_number, parse_rank

TESTS = Path(__file__).resolve().parents[1]


def _folder(tmp_path: Path, name: str = "raw") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


# --- Numbers that once overflowed ------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["8 dari 99999999999999999999", "99999999999999999999", 1e19, 10**20])
def test_a_rank_or_group_size_beyond_the_sane_range_is_rejected_as_too_large(cell):
    assert parse_rank(cell)[2] == "too_large"


@pytest.mark.parametrize("cell", ["1e20", 1e20, 2**63, "100001"])
def test_a_count_beyond_the_sane_range_is_too_large(cell):
    assert parse_count(cell) == (None, "too_large")
    assert parse_count(MAX_COUNT) == (MAX_COUNT, None)


def test_group_sizes_and_ranks_of_2_to_the_63_are_rejects_not_an_overflow(tmp_path):
    raw = _folder(tmp_path)
    (raw / "rekap_2022.csv").write_text(
        "Tahun;Kabupaten/Kota;Nilai Akhir;Peringkat;Jumlah Peserta\n"
        "2022;Kabupaten Paser;2,88;8 dari 99999999999999999999;\n"
        "2022;Kota Kediri;3,31;22;100000000000000000000\n", encoding="utf-8")
    (raw / "published.csv").write_text(
        "index,year,region,metric,value,rank,rank_of,rank_scope,source_url\n"
        "GMSC_eval,2022,Kota Balikpapan,indeks_smart_city,3.1,3,1e19,nasional,https://example.org\n",
        encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    too_large = cleaned.rejects[cleaned.rejects["reason"] == "too_large"]
    assert set(too_large["column"]) == {"rank", "rank_of"} and len(too_large) == 3
    assert too_large["suggestion"].str.contains(f"{MAX_COUNT:,}").all()
    assert cleaned.regency_year["final_score_reported"].notna().sum() == 3  # the rows are kept


# --- Limits for the whole workbook and for a CSV file ----------------------------------------------

def test_24_sheets_each_inside_the_sheet_limit_are_refused_together_in_a_fraction_of_a_second(tmp_path):
    path = h.spanning_sheets_xlsx(tmp_path / "lembar.xlsx")
    assert path.stat().st_size < 20_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(RawFileError) as err:
        read_grid_file(path, "lembar.xlsx")
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB: nothing large held
    message = str(err.value)
    assert "\n" not in message and message.startswith("lembar.xlsx: its sheets span 20,000,000 cells together")
    assert "SMARTCITY_MAX_WORKBOOK_CELLS" in message


def test_a_workbook_just_inside_the_total_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCITY_MAX_WORKBOOK_CELLS", "4000")
    path = h.spanning_sheets_xlsx(tmp_path / "lembar.xlsx", sheets=2, rows=100, columns=20)
    assert [s.sheet for s in read_grid_file(path, "lembar.xlsx")] == ["Lembar 1", "Lembar 2"]
    monkeypatch.setenv("SMARTCITY_MAX_WORKBOOK_CELLS", "3999")
    with pytest.raises(RawFileError, match="3,999 a workbook may hold"):
        read_grid_file(path, "lembar.xlsx")


#: Reads a CSV of ``rows`` x ``columns`` cells written in the child, and prints its peak memory and time.
_CSV_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from smartcity_utils.clean.sheets import read_grid_file
rows, cols, path = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
with open(path, "w") as fh:
    fh.write(",".join(f"kolom{j}" for j in range(cols)) + "\n")
    line = ",".join(str(1000 + j) for j in range(cols)) + "\n"
    for _ in range(rows):
        fh.write(line)
start = time.perf_counter()
sheet = read_grid_file(path, path.name)[0]
# This process's own peak (VmHWM): ru_maxrss keeps the parent's peak across fork and exec.
status = Path("/proc/self/status").read_text() if Path("/proc/self/status").is_file() else ""
hwm = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
peak_kb = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(sheet.rows), "seconds": time.perf_counter() - start, "peak_mb": peak_kb / 1024}))
"""


def test_a_csv_file_is_read_line_by_line_without_a_second_copy(tmp_path):
    # 20,000 x 50 cells (a tenth of the 171 MB file): the text is not copied into a StringIO.
    proc = subprocess.run([sys.executable, "-c", _CSV_CHILD, "20000", "50", str(tmp_path / "lebar.csv")],
                          capture_output=True, text=True, cwd=TESTS.parent, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["rows"] == 20_001
    assert result["peak_mb"] < 400  # about 1 M cells: well under a tenth of the 1 GB bound


# --- Hidden sheets, formulas without values, error cells, typed text -------------------------------

_ASSESSOR = [["Kabupaten/Kota:", "Kabupaten Paser"], ["Tahun:", 2024], ["Tahap:", "Tahap I"],
             ["No", "Pilar", "Dimensi", "Nilai", "Keterangan"]]


def _assessor_sheet(assessor: str, score: object = 3.25, remark: str = "") -> str:
    rows = [*_ASSESSOR[:3], ["Asesor:", assessor], _ASSESSOR[3]]
    rows += [[k, pillar, None, score, remark or None] for k, pillar in enumerate(h.FORM_PILLARS, 1)]
    return h.rows_xml(rows)


def test_scores_on_hidden_and_very_hidden_sheets_are_listed_not_counted(tmp_path, monkeypatch):
    raw = _folder(tmp_path)
    h.write_workbook(raw / "penilaian_paser_2024.xlsx", [
        ("Asesor 1", _assessor_sheet("Asesor 1"), "visible"),
        ("Draft lama", _assessor_sheet("Draft lama", 1.0), "hidden"),
        ("xDraft", _assessor_sheet("xDraft", 0.5), "veryHidden"),
    ])
    monkeypatch.delenv(READ_HIDDEN_ENV, raising=False)
    cleaned = clean_raw_folder(raw)
    assert set(cleaned.scores["assessor"]) == {"Asesor 1"}
    hidden = cleaned.manifest["hidden_sheets"].iloc[0]
    assert "Draft lama (hidden: 11 filled rows, layout assessor, 6 rows below its header; not read)" in hidden
    assert "xDraft (very hidden:" in hidden
    listed = cleaned.rejects[cleaned.rejects["reason"] == "hidden_sheet"]
    assert set(listed["source_sheet"]) == {"Draft lama", "xDraft"}
    assert listed["suggestion"].str.contains(READ_HIDDEN_ENV).all()
    monkeypatch.setenv(READ_HIDDEN_ENV, "1")  # the user says so: read as shown
    assert set(clean_raw_folder(raw).scores["assessor"]) == {"Asesor 1", "Draft lama", "xDraft"}


def test_formulas_without_a_value_and_error_cells_are_rejects_showing_them(tmp_path):
    raw = _folder(tmp_path)
    header = h.rows_xml([["Tahun", "Kabupaten/Kota", "Smart Governance", "Smart Branding", "Nilai Akhir"]])
    data = (header
            + '<row r="2"><c r="A2"><v>2022</v></c><c r="B2" t="inlineStr"><is><t>Kabupaten Paser</t></is></c>'
            + h.formula_cell("C2", "AVERAGE(Asesor!C2:C5)") + h.error_cell("D2", "#N/A")
            + h.formula_cell("E2", "D2/0", "#DIV/0!", error=True) + "</row>"
            + '<row r="3"><c r="A3"><v>2022</v></c><c r="B3" t="inlineStr"><is><t>Kota Kediri</t></is></c>'
            + h.formula_cell("C3", "1+1", "2.75") + h.formula_cell("D3", "#REF!+1", "#REF!", error=True)
            + '<c r="E3"><v>3.31</v></c></row>')
    h.write_xlsx(raw / "rekap_2022.xlsx", data)
    cleaned = clean_raw_folder(raw)
    shown = cleaned.rejects.set_index(["source_row", "column"])[["value", "reason"]]
    assert tuple(shown.loc[(2, "smart_governance")]) == ("=AVERAGE(Asesor!C2:C5)", "formula_without_value")
    assert tuple(shown.loc[(2, "smart_branding")]) == ("#N/A", "error_cell")
    assert tuple(shown.loc[(2, "final_score")]) == ("#DIV/0! from =D2/0", "error_cell")
    assert tuple(shown.loc[(3, "smart_branding")]) == ("#REF! from =#REF!+1", "error_cell")
    kediri = cleaned.regency_year.set_index("regency").loc["Kota Kediri"]
    assert kediri["smart_governance"] == 2.75  # a formula with its stored value is read as before


def test_a_remark_typed_as_a_dash_bullet_keeps_its_text(tmp_path):
    raw = _folder(tmp_path)
    rows = [*_ASSESSOR[:3], ["Asesor:", "Asesor 1"], _ASSESSOR[3]]
    data = h.rows_xml(rows)
    remarks = {6: ("- Gerakan literasi digital di tiap kecamatan", "#NAME?"),
               7: ("=Perkuat SPBE dan Satu Data", "#NAME?")}
    for k, pillar in enumerate(h.FORM_PILLARS, 1):
        r = 5 + k
        cells = (f'<c r="A{r}"><v>{k}</v></c><c r="B{r}" t="inlineStr"><is><t>{pillar}</t></is></c>'
                 f'<c r="D{r}"><v>3.25</v></c>')
        if r in remarks:
            text, code = remarks[r]
            cells += h.formula_cell(f"E{r}", text.removeprefix("="), code, error=True)
        else:
            cells += f'<c r="E{r}" t="inlineStr"><is><t>Catatan {k}</t></is></c>'
        data += f'<row r="{r}">{cells}</row>'
    h.write_xlsx(raw / "penilaian_paser_2024.xlsx", data)
    cleaned = clean_raw_folder(raw)
    texts = set(cleaned.recommendations["recommendation"])
    assert "- Gerakan literasi digital di tiap kecamatan" in texts
    assert "=Perkuat SPBE dan Satu Data" in texts
    assert len(texts) == 6
    notes = cleaned.rejects[cleaned.rejects["reason"] == "typed_text_kept"]
    assert sorted(notes["source_row"]) == [6, 7] and (cleaned.manifest["rows_rejected"] == 0).all()


def test_the_special_cells_scan_places_formula_and_error_cells(tmp_path):
    data = ('<row r="1">' + h.formula_cell("B1", "SUM(A1:A3)") + h.error_cell("C1", "#N/A")
            + h.formula_cell("D1", "- Gerakan", "#NAME?", error=True) + h.formula_cell("E1", "1+1", "2") + "</row>")
    path = h.write_xlsx(tmp_path / "f.xlsx", data)
    row = read_grid_file(path, "f.xlsx")[0].rows[0]
    assert isinstance(row[1], FormulaCell) and row[1] == "=SUM(A1:A3)"
    assert isinstance(row[2], ErrorCell) and row[2] == "#N/A"
    assert row[3] == "- Gerakan" and not isinstance(row[3], (ErrorCell, FormulaCell))
    assert row[4] == 2


# --- Encodings -------------------------------------------------------------------------------------

_FORM = h.FORM_HEADER + "\n" + "\n".join(
    h.form_line("Asesor A", f"P{k + 1}", pillar, "3,25", "Perkuat SPBE \u2014 Paser" if k == 2 else "")
    for k, pillar in enumerate(h.FORM_PILLARS)) + "\n"


@pytest.mark.parametrize("encoding, bom, named", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8 with BOM"),
    ("utf-16-le", b"\xff\xfe", "utf-16-le"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("utf-16-le", b"", "utf-16-le without BOM"),
])
def test_utf8_and_utf16_either_way_round_are_read_and_named(tmp_path, encoding, bom, named):
    raw = _folder(tmp_path)
    (raw / "ekspor.csv").write_bytes(bom + _FORM.replace("\u2014", "\u2014" if "16" in encoding or
                                                         encoding == "utf-8" else "-").encode(encoding))
    cleaned = clean_raw_folder(raw)
    assert len(cleaned.scores) == 6 and cleaned.manifest["encoding"].iloc[0] == named
    assert "Perkuat SPBE \u2014 Paser" in set(cleaned.recommendations["recommendation"])


def test_a_cp1252_file_is_read_as_cp1252_and_named(tmp_path):
    raw = _folder(tmp_path)
    (raw / "ekspor.csv").write_bytes(_FORM.replace("Paser", "Pas\u00e9r").encode("cp1252"))
    cleaned = clean_raw_folder(raw)
    assert cleaned.manifest["encoding"].iloc[0] == "cp1252"
    assert "Perkuat SPBE \u2014 Pas\u00e9r" in set(cleaned.recommendations["recommendation"])


def test_one_stray_cp1252_line_in_a_utf8_file_is_a_reject_never_a_redecoding(tmp_path):
    raw = _folder(tmp_path)
    lines = _FORM.splitlines()
    data = ("\n".join(lines[:4]) + "\n").encode("utf-8")
    data += (lines[4].replace("3,25;", "3,25;Pas\u00e9r").encode("cp1252") + b"\n")
    data += ("\n".join(lines[5:]) + "\n").encode("utf-8")
    (raw / "ekspor.csv").write_bytes(data)
    cleaned = clean_raw_folder(raw)
    assert "Perkuat SPBE \u2014 Paser" in set(cleaned.recommendations["recommendation"])  # not â€”
    bad = cleaned.rejects[cleaned.rejects["reason"] == "undecodable_line"]
    assert list(bad["source_row"]) == [5] and "Pas\ufffdr" in bad["value"].iloc[0]
    assert len(cleaned.scores) == 5 and "blank_row" not in set(cleaned.rejects["reason"])
    m = cleaned.manifest.iloc[0]
    assert (m["rows_read"], m["rows_kept"], m["rows_rejected"]) == (6, 5, 1)


# --- Numbers as typed in a comma sheet -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("-0", (0.0, None)), ("3_5", (None, "not_a_number")),
                                            ("1e400", (None, "not_a_number")), ("inf", (None, "not_a_number")),
                                            ("3,25", (3.25, None)), ("-3,5", (-3.5, None))])
def test_numbers_python_would_read_but_a_person_does_not_write(text, expected):
    number, reason = parse_number(text)
    assert (number, reason) == expected
    if number is not None:
        assert str(number) != "-0.0"


# --- A letter typed as it reads --------------------------------------------------------------------

_LETTER = [["Hasil Evaluasi Smart City"], ["Kabupaten/Kota", "Kota Kediri"], ["Tahun", 2022],
           ["Baseline", "3,60"], ["Output", "3,21"], ["Outcome", "3,23"], ["Impact", "3,07"],
           ["Quick Win", "3,65"], ["Nilai Final", "3,31"], ["Peringkat", 22], ["Nomor Surat", "B-1003"]]


def _letter(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Surat"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_a_letter_of_label_and_value_rows_is_read_as_its_regency_year(tmp_path):
    raw = _folder(tmp_path)
    _letter(raw / "surat_kediri.xlsx", _LETTER)
    cleaned = clean_raw_folder(raw)
    row = cleaned.regency_year.iloc[0]
    assert (row["regency"], row["year"]) == ("Kota Kediri", 2022)
    assert [row[k] for k in ("baseline", "output", "outcome", "impact", "quick_wins")] == [3.6, 3.21, 3.23, 3.07,
                                                                                           3.65]
    assert (row["final_score_reported"], row["rank_reported"]) == (3.31, 22)
    assert cleaned.rejects.empty and "blank_regency" not in set(cleaned.rejects["reason"])
    m = cleaned.manifest.iloc[0]
    assert (m["layout"], m["rows_kept"], m["ignored_columns"]) == ("recap", 1, "Nomor Surat")


def test_two_letters_on_one_label_sheet_are_one_line_naming_the_layout(tmp_path):
    raw = _folder(tmp_path)
    _letter(raw / "surat.xlsx", _LETTER + [["Kabupaten/Kota", "Kabupaten Paser"], ["Nilai Final", "2,88"]])
    with pytest.raises(RawFileError) as err:
        clean_raw_folder(raw)
    message = str(err.value)
    assert "\n" not in message and "'Kabupaten/Kota' is given twice (rows 2 and 12)" in message
    assert "one regency-year a sheet" in message


def test_a_label_value_letter_with_a_bad_rank_names_its_file_and_value(tmp_path):
    raw = _folder(tmp_path)
    rows = [r if r[0] != "Peringkat" else ["Peringkat", "ke dua"] for r in _LETTER]
    _letter(raw / "surat.xlsx", rows)
    cleaned = clean_raw_folder(raw)
    bad = cleaned.rejects.iloc[0]
    assert (bad["source_file"], bad["source_sheet"], bad["source_row"], bad["column"], bad["value"],
            bad["reason"]) == ("surat.xlsx", "Surat", 10, "rank", "ke dua", "bad_rank")  # the Peringkat row
    assert cleaned.regency_year["final_score_reported"].iloc[0] == 3.31
    assert cleaned.regency_year["n_rows_rejected"].iloc[0] == 1


def test_the_workbook_limit_is_defined_once_with_its_reason():
    limit = bounded.LIMITS["max_workbook_cells"]
    assert limit.env == "SMARTCITY_MAX_WORKBOOK_CELLS" and "2.7 GB" in limit.reason


def test_a_staging_folder_of_a_killed_run_is_removed_by_the_next_one(tmp_path):
    from smartcity_utils.tables import STAGING_PREFIX, write_tables

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f"{STAGING_PREFIX}{dead}-abc"
    stale.mkdir()
    (stale / "scores.parquet").write_bytes(b"x" * 1000)
    alive = tmp_path / f"{STAGING_PREFIX}{1}-abc"  # pid 1 runs: its folder is not touched
    alive.mkdir()
    write_tables({"t": pd.DataFrame({"a": [1]})}, tmp_path)
    assert not stale.exists() and alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)) == [alive.name]


def test_data_only_for_a_year_without_documented_weights_is_computed_with_assumed_weights(tmp_path):
    from smartcity_utils.analysis.index import reconcile_index, weights_of_years

    raw = _folder(tmp_path)
    (raw / "rekap_2025.csv").write_text(
        "Tahun;Kabupaten/Kota;Baseline;Output;Outcome;Impact;Quick Win;Nilai Akhir\n"
        "2025;Kota Kediri;3,60;3,21;3,23;3,07;3,65;3,31\n", encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    with pytest.warns(UserWarning, match=r"2025 uses those of 2024 \(10/20/30/20/20, assumed\)"):
        row = reconcile_index(cleaned.regency_year).iloc[0]
    assert row["final_score_computed"] == pytest.approx(3.315)
    assert (row["weights_status"], row["verdict"]) == ("assumed", "agrees")
    used = weights_of_years([2025]).loc[2025]  # what the report shows beside the index
    assert (used["weights"], used["weights_status"]) == ("10/20/30/20/20", "assumed")
    assert "2024" in used["weights_source"]


def test_nilai_cells_minus_0_3_5_and_3_250_in_a_comma_sheet(tmp_path):
    raw = _folder(tmp_path)
    lines = [h.FORM_HEADER] + [h.form_line("Asesor A", f"P{k + 1}", pillar, score) for k, (pillar, score) in
                               enumerate(zip(h.FORM_PILLARS, ["3,25", "-0", "3_5", "3.250", "2,75", "3"]))]
    (raw / "ekspor.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    kept = cleaned.scores.set_index("pillar_key")["score"]
    assert kept["smart_branding"] == 0.0 and str(kept["smart_branding"]) == "0.0"  # -0 is 0
    shown = cleaned.rejects.set_index("value")["reason"]
    assert shown["3_5"] == "not_a_number" and shown["3.250"] == "ambiguous_number"
    assert "3,25" in cleaned.rejects.set_index("value").loc["3.250", "suggestion"]
    assert set(kept.index) == {"smart_governance", "smart_branding", "smart_society", "smart_environment"}
    # In a sheet typed with decimal points, 3.250 is 3.25.
    (raw / "ekspor.csv").write_text("\n".join(lines).replace("3,25", "3.5").replace("2,75", "2.75") + "\n",
                                    encoding="utf-8")
    assert clean_raw_folder(raw).scores.set_index("pillar_key").loc["smart_living", "score"] == 3.25


def test_a_letter_typed_as_label_and_value_lines_of_a_csv_file_under_a_title(tmp_path):
    raw = _folder(tmp_path)
    text = "\n".join(";".join(str(c) for c in row) for row in _LETTER) + "\n"
    (raw / "surat_kediri_2022.csv").write_text(text, encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    row = cleaned.regency_year.iloc[0]
    assert (row["regency"], row["year"], row["baseline"], row["final_score_reported"], row["rank_reported"]) == (
        "Kota Kediri", 2022, 3.6, 3.31, 22)
    assert cleaned.rejects.empty


def test_a_bom_file_with_a_stray_byte_and_a_cp1252_file_with_a_utf8_line_lose_only_that_line(tmp_path):
    raw = _folder(tmp_path)
    lines = _FORM.replace("\u2014 Paser;", "\u2014 Pas\u00e9r;").splitlines()  # the remark of answer 3 (line 4)
    stray = lines[5].replace("3,25;", "3,25;Pas\u00e9r")
    data = b"\xef\xbb\xbf" + ("\n".join(lines[:5]) + "\n").encode("utf-8") + stray.encode("cp1252") + b"\n"
    (raw / "ekspor.csv").write_bytes(data + ("\n".join(lines[6:]) + "\n").encode("utf-8"))
    cleaned = clean_raw_folder(raw)
    assert "Perkuat SPBE \u2014 Pas\u00e9r" in set(cleaned.recommendations["recommendation"])
    assert list(cleaned.rejects.loc[cleaned.rejects["reason"] == "undecodable_line", "source_row"]) == [6]
    assert cleaned.manifest["encoding"].iloc[0].startswith("utf-8 with BOM (mixed: 1 line(s)")
    # Mostly cp1252 with one line saved as UTF-8: that line is the reject, the others read as cp1252.
    text = "\n".join(line.replace("Perkuat SPBE \u2014 ", "Perkuat SPBE ") for line in lines)
    cp = [line.encode("cp1252") for line in text.splitlines()]
    cp[6] = text.splitlines()[6].replace("3,25;", "3,25;Pas\u00e9r").encode("utf-8")
    cp[2] = text.splitlines()[2].replace("3,25;", "3,25;Kec. Tan\u00e9").encode("cp1252")
    (raw / "ekspor.csv").write_bytes(b"\n".join(cp) + b"\n")
    cleaned = clean_raw_folder(raw)
    assert cleaned.manifest["encoding"].iloc[0] == "cp1252 (mixed: 1 line(s) in another encoding)"
    assert list(cleaned.rejects.loc[cleaned.rejects["reason"] == "undecodable_line", "source_row"]) == [7]
    assert "Perkuat SPBE Pas\u00e9r" in set(cleaned.recommendations["recommendation"])


def test_an_ods_file_shows_its_hidden_sheet_formulas_and_errors_too(tmp_path):
    raw = _folder(tmp_path)
    header = h.ods_row(["Tahun", "Kabupaten/Kota", "Smart Governance", "Smart Branding", "Nilai Akhir"])
    row = ('<table:table-row><table:table-cell office:value-type="float" office:value="2022"><text:p>2022</text:p>'
           '</table:table-cell><table:table-cell office:value-type="string"><text:p>Kabupaten Paser</text:p>'
           '</table:table-cell><table:table-cell table:formula="of:=AVERAGE([.H2:.H5])"/>'
           '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
           'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
           '<table:table-cell office:value-type="float" office:value="2.88"><text:p>2,88</text:p>'
           "</table:table-cell></table:table-row>")
    path = h.write_ods(raw / "rekap_2022.ods", header + row)
    content = zipfile.ZipFile(path).read("content.xml").decode()
    content = content.replace('xmlns:text=', 'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:'
                              'xmlns:calcext:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
                              'xmlns:text=')
    hidden = ('<office:automatic-styles><style:style style:name="ta2" style:family="table">'
              '<style:table-properties table:display="false"/></style:style></office:automatic-styles>')
    content = content.replace("<office:body>", hidden + "<office:body>").replace(
        "</table:table></office:spreadsheet>",
        '</table:table><table:table table:name="Draft lama" table:style-name="ta2">' + header
        + h.ods_row([2022, "Kota Kediri", 1.0, 1.0, 1.0]) + "</table:table></office:spreadsheet>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", h._ODS_MANIFEST)
        z.writestr("content.xml", content)
    cleaned = clean_raw_folder(raw)
    shown = cleaned.rejects.set_index("column")[["value", "reason"]]
    assert tuple(shown.loc["smart_governance"]) == ("=AVERAGE([.H2:.H5])", "formula_without_value")
    assert tuple(shown.loc["smart_branding"]) == ("#DIV/0! from =1/0", "error_cell")
    assert "Draft lama (hidden:" in cleaned.manifest["hidden_sheets"].iloc[0]
    assert set(cleaned.regency_year["regency"]) == {"Kabupaten Paser"}
