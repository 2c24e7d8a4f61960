"""Sheets the cleaner has never seen: each input written here, never by the simulator.

Every case checks that each raw data row is kept or rejected (``assert_rows_accounted``).
"""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pytest
from clean_helpers import DIMENSIONS, PILLARS, assert_rows_accounted, assessor_rows, cases, recap_rows, workbook

from smartcity_utils import reference as ref
from smartcity_utils.clean.assemble import clean_raw_folder
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import dropped_marks, parse_number, parse_stage

P6 = [3.0, 2.5, 3.5, 3.0, 3.25, 2.75]
PILLAR_KEYS = list(ref.PILLAR_KEYS)


def _pillars(cleaned, regency: str, year: int) -> list[float]:
    ry = cleaned.regency_year.set_index(["regency", "year"])
    return ry.loc[(regency, year), PILLAR_KEYS].tolist()


def test_header_below_a_long_merged_title_block(tmp_path):
    raw = tmp_path / "raw"
    title = [[f"baris judul {k}"] for k in range(1, 31)]  # thirty title rows: deeper than any fixed search
    rows = title + [["Kabupaten/Kota", *PILLARS, "Nilai Akhir"], ["Kab. Paser", *P6, 2.88]]
    rows[3] = ["REKAPITULASI TAHUN 2022"]
    workbook(raw / "rekap.xlsx", {"Rekap": rows}, merges={"Rekap": [f"A{k}:H{k}" for k in range(1, 31)]})
    cleaned = clean_raw_folder(raw)
    assert _pillars(cleaned, "Kabupaten Paser", 2022) == P6
    assert_rows_accounted(cleaned, {"rekap.xlsx": 1})


def test_headers_in_capitals_with_line_breaks_and_non_breaking_spaces(tmp_path):
    raw = tmp_path / "raw"
    header = ["NO.", "KABUPATEN/\nKOTA", "SMART\u00a0GOVERNANCE", "SMART\nBRANDING", "SMART ECONOMY ",
              "smart living", "Smart\u00a0 Society", "SMART\r\nENVIRONMENT", "NILAI\nAKHIR", "CATATAN TIM"]
    workbook(raw / "rekap_2022.xlsx", {"Rekap": [["REKAP 2022"], header, [1, "Kab. Paser", *P6, 2.88, "ok"]]})
    cleaned = clean_raw_folder(raw)
    assert _pillars(cleaned, "Kabupaten Paser", 2022) == P6
    assert cleaned.rejects.empty
    assert_rows_accounted(cleaned, {"rekap_2022.xlsx": 1})


#: Prefixes as assessors write them, each on its own regency so that one workbook holds every case.
PREFIXED = {"KAB. PASER": "Kabupaten Paser", "Kab.Kotawaringin Timur": "Kabupaten Kotawaringin Timur",
            "KAB KUTAI BARAT": "Kabupaten Kutai Barat", "KOTA BALIKPAPAN": "Kota Balikpapan",
            "KABUPATEN KUTAI KARTANEGARA": "Kabupaten Kutai Kartanegara", "Pemkot Samarinda": "Kota Samarinda"}


def test_kab_and_kota_prefixes(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "rekap_2022.xlsx", {"Rekap": recap_rows(2022, [[name, "", *P6, 3.0, 1] for name in PREFIXED])})
    cleaned = clean_raw_folder(raw)
    assert cleaned.rejects.empty
    by_row = cleaned.scores.drop_duplicates("source_row").set_index("source_row")["regency"]
    assert [by_row[r] for r in range(3, 3 + len(PREFIXED))] == list(PREFIXED.values())
    assert_rows_accounted(cleaned, {"rekap_2022.xlsx": len(PREFIXED)})


@pytest.mark.parametrize("value, expected", [
    pytest.param("3,25*", (3.25, None), id="footnote_asterisk"),
    pytest.param("3,25 **", (3.25, None), id="two_asterisks_after_space"),
    pytest.param("3.25\u00b9", (3.25, None), id="superscript_one"),
    pytest.param("3,25(1)", (3.25, None), id="numbered_note"),
    pytest.param("85%", (85.0, None), id="percent"),
    pytest.param("*", (None, "not_a_number"), id="mark_alone"),
])
def test_parse_number_marks(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize("value, marks", [
    pytest.param("3,25*", "*", id="asterisk"), pytest.param("3,25 (1)", "(1)", id="numbered_note"),
    pytest.param("85%", "%", id="percent"), pytest.param("80%*", "%*", id="percent_and_mark"),
    pytest.param("3,25", "", id="plain"), pytest.param(3.25, "", id="number"),
    pytest.param("*", "", id="mark_alone_is_not_a_number"),
])
def test_dropped_marks(value, marks):
    assert dropped_marks(value) == marks


def test_footnote_marks_and_percent_strings_in_a_sheet(tmp_path):
    raw = tmp_path / "raw"
    rows = [["REKAP TAHUN 2022 (Skala 0-100)"], ["Kabupaten/Kota", *PILLARS, "Nilai Akhir"],
            ["Kab. Paser", "85%", "75 %", "80%*", 70, "62,5%", "90%", "77,5%"],
            ["* nilai sementara"]]
    workbook(raw / "rekap.xlsx", {"Rekap": rows})
    cleaned = clean_raw_folder(raw)
    assert _pillars(cleaned, "Kabupaten Paser", 2022) == [3.4, 3.0, 3.2, 2.8, 2.5, 3.6]
    assert cleaned.regency_year["final_score_reported"].tolist() == [3.1]
    notes = cleaned.rejects["reason"] == "footnote_mark"
    assert cleaned.rejects.loc[~notes, "reason"].tolist() == ["footnote_row"]
    # Each number read without its mark is listed with the text as written; the row stays kept, no fault.
    assert cleaned.rejects.loc[notes, ["source_row", "column", "value"]].values.tolist() == [
        [3, "final_score", "77,5%"], [3, "smart_branding", "75 %"], [3, "smart_economy", "80%*"],
        [3, "smart_environment", "90%"], [3, "smart_governance", "85%"], [3, "smart_society", "62,5%"]]
    assert "without '%*'" in cleaned.rejects.loc[notes & (cleaned.rejects["column"] == "smart_economy"),
                                                 "suggestion"].iloc[0]
    assert cleaned.regency_year["n_rows_rejected"].tolist() == [0]
    assert cleaned.manifest[["rows_kept", "rows_rejected"]].values.tolist() == [[1, 1]]
    assert_rows_accounted(cleaned, {"rekap.xlsx": 2})


def test_data_on_a_second_sheet_after_instructions(tmp_path):
    raw = tmp_path / "raw"
    instructions = [["Petunjuk Pengisian"], ["1. Isi satu baris per kabupaten/kota"], ["2. Nilai 0 sampai 4"]]
    cover = [["Kementerian Komunikasi dan Digital"], ["Evaluasi Smart City"]]
    data = recap_rows(2022, [["Kab. Paser", "", *P6, 2.88, 8]])
    workbook(raw / "rekap.xlsx", {"Petunjuk Pengisian": instructions, "Sampul": cover, "Data": data})
    cleaned = clean_raw_folder(raw)
    assert _pillars(cleaned, "Kabupaten Paser", 2022) == P6
    skipped = cleaned.manifest["sheets_skipped"].iloc[0]
    assert skipped == "Petunjuk Pengisian (instructions or notes); Sampul (text only, no table)"
    assert_rows_accounted(cleaned, {"rekap.xlsx": 1})


@pytest.mark.parametrize("sheet_name", ["Catatan Rapat", "Keterangan Kolom", "PETUNJUK", "petunjuk pengisian"])
def test_notes_sheets_are_skipped_by_their_first_word(tmp_path, sheet_name):
    raw = tmp_path / "raw"
    notes = [["Kabupaten/Kota", "Nilai"], ["Kab. Paser", 99]]  # would be rejected if it were read
    workbook(raw / "rekap.xlsx", {sheet_name: notes, "Data": recap_rows(2022, [["Kab. Paser", "", *P6, 2.88, 8]])})
    cleaned = clean_raw_folder(raw)
    assert cleaned.rejects.empty and cleaned.manifest["sheets_skipped"].iloc[0].startswith(sheet_name)
    assert_rows_accounted(cleaned, {"rekap.xlsx": 1})


def test_unrecognised_columns_listed_once_per_file(tmp_path):
    raw = tmp_path / "raw"
    header = ["Kabupaten/Kota", *PILLARS, "Skor Total", "Verifikator"]
    workbook(raw / "rekap_2022.xlsx", {
        "Kaltim": [["REKAP 2022"], header, ["Kab. Paser", *P6, 3.0, "Budi"]],
        "Kalteng": [["REKAP 2022"], header, ["Kotim", *P6, 3.0, "Sari"]]})
    cleaned = clean_raw_folder(raw)
    assert cleaned.manifest["ignored_columns"].tolist() == ["Skor Total; Verifikator"]
    assert_rows_accounted(cleaned, {"rekap_2022.xlsx": 2})


def test_sheets_named_after_assessors(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "penilaian_paser_2023.xlsx", {
        "Dr. Budi (BRIN)": assessor_rows("Kab. Paser", 2023, None, [3.0] * 11),
        "Sari (UKSW)": assessor_rows("Kab. Paser", 2023, None, [2.0] * 11),
        "Petunjuk": [["Satu lembar per asesor"]]})
    cleaned = clean_raw_folder(raw)
    assert sorted(cleaned.scores["assessor"].unique()) == ["Dr. Budi (BRIN)", "Sari (UKSW)"]
    row = cleaned.regency_year.iloc[0]
    assert (row["n_assessors"], row["smart_governance"]) == (2, 2.5)
    assert_rows_accounted(cleaned, {"penilaian_paser_2023.xlsx": 22})


@pytest.mark.parametrize("value", ["Tahap II", "Tahap 2", "II", "TAHAP II", "tahap ke-2", 2, 2.0, "2"])
def test_stage_two_spellings(value):
    assert parse_stage(value) == "II"


def test_stage_spellings_in_one_workbook_are_one_stage(tmp_path):
    raw = tmp_path / "raw"
    sheets = {f"A{k}": assessor_rows("Kab. Paser", 2023, f"A{k}", [3.0] * 11, stage=stage)
              for k, stage in enumerate(["Tahap II", "Tahap 2", "II"])}
    workbook(raw / "penilaian.xlsx", sheets)
    cleaned = clean_raw_folder(raw)
    assert set(cleaned.scores["stage"]) == {"II"} and cleaned.regency_year.iloc[0]["n_assessors"] == 3
    assert_rows_accounted(cleaned, {"penilaian.xlsx": 33})


FORM_COLUMNS = ["Waktu Pengisian", "Kabupaten/Kota", "Provinsi", "Tahun", "Tahap", "Asesor", "Kode Pertanyaan",
                "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"]
FORM_ROWS = [
    ["2024-07-01 10:00:00", "Kab. Paser", "Kalimantan Timur", "2024", "Tahap I", "José (Bappenas)", "P1",
     "Smart Governance", "", "3.25", "baik, lengkap", "tidak"],
    ["2024-07-01 10:00:00", "Kab. Paser", "Kalimantan Timur", "2024", "Tahap I", "José (Bappenas)", "D1",
     "", "Baseline", "3.5", "", "tidak"],
    ["2024-07-01 10:05:00", "Kab. Paser", "Kalimantan Timur", "2024", "Tahap I", "Siti", "P1",
     "Smart Governance", "", "2.75", "", "tidak"],
]


@pytest.mark.parametrize("delimiter, encoding", [
    pytest.param(",", "utf-8", id="comma_dot_decimals"),
    pytest.param("\t", "utf-8", id="tab_dot_decimals"),
    pytest.param(";", "cp1252", id="semicolon_cp1252"),
    pytest.param(",", "cp1252", id="comma_cp1252"),
])
def test_form_exports_in_other_dialects(tmp_path, delimiter, encoding):
    import csv
    import io

    raw = tmp_path / "raw"
    raw.mkdir()
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([FORM_COLUMNS, *FORM_ROWS])
    (raw / "ekspor.csv").write_bytes(buffer.getvalue().encode(encoding))
    cleaned = clean_raw_folder(raw)
    assert cleaned.rejects.empty
    assert sorted(cleaned.scores["assessor"].unique()) == ["José (Bappenas)", "Siti"]
    row = cleaned.regency_year.iloc[0]
    assert (row["smart_governance"], row["baseline"], row["n_assessors_real"]) == (3.0, 3.5, 2)
    assert_rows_accounted(cleaned, {"ekspor.csv": 3})


@pytest.mark.parametrize("header, rows, expected", [
    pytest.param(["Kabupaten/Kota", "Jenis"], [["Malang", "Kota"], ["Malang", "Kabupaten"], ["Bogor", "Kab."]],
                 ["Kabupaten Bogor", "Kabupaten Malang", "Kota Malang"], id="kind_column_decides"),
    pytest.param(["Kabupaten/Kota", "Provinsi"], [["Malang", "Jawa Timur"], ["Blitar", "Jawa Timur"]],
                 [], id="same_province_cannot_decide"),
    pytest.param(["Kabupaten/Kota"], [["Bogor"], ["Kota Bogor"]], ["Kota Bogor"], id="no_column_only_full_name"),
])
def test_names_shared_by_a_kabupaten_and_a_kota(tmp_path, header, rows, expected):
    raw = tmp_path / "raw"
    body = [r + [None] * (2 - len(r)) + P6[: 6] for r in rows]
    full_header = header + ["(kosong)"] * (2 - len(header)) + PILLARS
    workbook(raw / "rekap_2022.xlsx", {"Rekap": [["REKAP 2022"], full_header, *body]})
    cleaned = clean_raw_folder(raw)
    assert sorted(cleaned.regency_year["regency"]) == expected
    ambiguous = cleaned.rejects.query("reason == 'ambiguous_regency'")
    assert len(ambiguous) == len(rows) - len(expected)
    for value, fix in zip(ambiguous["value"], ambiguous["suggestion"]):
        assert f"Kabupaten {value} or Kota {value}" in fix  # both candidates, never one picked
    assert_rows_accounted(cleaned, {"rekap_2022.xlsx": len(rows)})


def test_merged_regency_cells_in_a_quick_win_register(tmp_path):
    raw = tmp_path / "raw"
    header = ["Kabupaten/Kota", "Tahun", "Pilar", "Nama Program", "Nilai Output", "Nilai Outcome", "Nilai Dampak",
              "Nilai Keberlanjutan"]
    rows = [header,
            ["Kabupaten Kutai Kartanegara", 2022, "Smart Governance", "Becik", 3.5, 3.0, 2.5, 3.0],
            [None, None, "Smart Branding", "Kukar Asia Wonders", 3.0, 3.0, 2.5, 3.0],
            [None, None, "Smart Economy", "Bangmus Kebulan", 3.0, 3.0, 2.5, 3.0],
            ["Kabupaten Paser", 2022, "Smart Governance", "Program A", 3.0, 3.0, 3.0, 3.0],
            [None, 2022, "Smart Living", "Program B", 3.0, 3.0, 3.0, 3.0],
            [],
            [None, 2022, "Smart Society", "after a blank row", 3.0, 3.0, 3.0, 3.0]]
    workbook(raw / "register_quick_win.xlsx", {"QW": rows}, merges={"QW": ["A2:A4", "B2:B4", "A5:A6"]})
    cleaned = clean_raw_folder(raw)
    qw = cleaned.quick_wins
    assert qw[["regency", "year", "programme_name"]].values.tolist() == [
        ["Kabupaten Kutai Kartanegara", 2022, "Becik"],
        ["Kabupaten Kutai Kartanegara", 2022, "Kukar Asia Wonders"],
        ["Kabupaten Kutai Kartanegara", 2022, "Bangmus Kebulan"],
        ["Kabupaten Paser", 2022, "Program A"],
        ["Kabupaten Paser", 2022, "Program B"]]
    notes = cleaned.rejects["reason"] == "filled_from_merged_cell"
    assert cleaned.rejects.loc[~notes, ["source_row", "reason"]].values.tolist() == [[7, "blank_row"],
                                                                                  [8, "blank_regency"]]
    # Each value filled down is listed as a note on its kept row, naming the row it was taken from.
    assert cleaned.rejects.loc[notes, ["source_row", "column", "value", "suggestion"]].values.tolist() == [
        [3, "regency", "Kabupaten Kutai Kartanegara", "taken from row 2, the first row of the merged cell"],
        [3, "year", "2022", "taken from row 2, the first row of the merged cell"],
        [4, "regency", "Kabupaten Kutai Kartanegara", "taken from row 2, the first row of the merged cell"],
        [4, "year", "2022", "taken from row 2, the first row of the merged cell"],
        [6, "regency", "Kabupaten Paser", "taken from row 5, the first row of the merged cell"]]
    m = cleaned.manifest.iloc[0]
    assert (m["rows_kept"], m["rows_rejected"]) == (5, 2)
    assert cleaned.regency_year.empty  # no scores; the notes count as no fault in n_rows_rejected
    assert_rows_accounted(cleaned, {"register_quick_win.xlsx": 7})


def _empty_workbook(path):
    wb = openpyxl.Workbook()
    wb.save(path)


def _header_only(path):
    workbook(path, {"Rekap": recap_rows(2022, [])})


def _corrupt(path):
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive\n\x00\x01")


def _unrelated(path):
    workbook(path, {"Notulen": [["Notulen rapat tim evaluasi"], ["Tanggal", "12 Juni 2023"],
                                ["Peserta", "Bappeda, Diskominfo"], ["Hasil", "jadwal bimtek disepakati"]]})


def _meeting_notes(path):
    workbook(path, {"Catatan": [["Catatan rapat"], ["Kabupaten/Kota", "Nilai"], ["Kab. Paser", 3]]})


def _empty_csv(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("name, write, message", cases(
    empty_workbook=("kosong.xlsx", _empty_workbook, "holds no data in a known layout (Sheet (empty))"),
    header_only=("rekap_2022.xlsx", _header_only, "(Rekap (header only, no rows))"),
    corrupt=("rekap.xlsx", _corrupt, "cannot be opened as a spreadsheet"),
    unrelated_workbook=("notulen.xlsx", _unrelated, "no header row found"),
    notes_only=("catatan_rapat.xlsx", _meeting_notes, "(Catatan (instructions or notes))"),
    empty_csv=("ekspor.csv", _empty_csv, "holds no data in a known layout"),
))
def test_unusable_files_stop_with_one_line_naming_them(tmp_path, name, write, message):
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw / name)
    with pytest.raises(RawFileError) as err:
        clean_raw_folder(raw)
    text = str(err.value)
    assert text.startswith(name) and message in text and "\n" not in text


def test_unusable_file_on_the_command_line_gives_no_traceback(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _corrupt(raw / "rekap.xlsx")
    done = subprocess.run([sys.executable, "-m", "smartcity_utils", "clean", "--raw", str(raw), "--out",
                           str(tmp_path / "out"), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("smartcity: error: rekap.xlsx: cannot be opened") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_dimension_names_shared_by_helpers():
    assert DIMENSIONS == list(ref.dimensions()["dimension"])
