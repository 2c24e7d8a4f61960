"""Shared fixtures: a small hand-built raw folder with every layout and fault, and the bundled example cleaned
once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parents[1]

PUBLISHED = REPO / "data" / "example" / "raw" / "published_facts.csv"


def write_recap(path: Path, year: int, rows: list[list], title_scale: str = "Skala nilai 0-4",
                pillar_headers=None) -> None:
    """A recap workbook: two title rows, a two-row merged header, rows, footnotes."""
    pillar_headers = pillar_headers or ["Smart Governance", "Smart Branding", "Smart Economy",
                                        "Smart Living", "Smart Society", "Smart Environment"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rekap"
    ws.append([f"REKAPITULASI HASIL EVALUASI SMART CITY TAHUN {year}"])
    ws.append([f"DATA SIMULASI - bukan nilai resmi. {title_scale}"])
    ws.append(["No", "Kabupaten/Kota", "Provinsi", "Angkatan", "Kelompok", "Nilai Pilar", None, None, None, None,
               None, "Nilai Dimensi", None, None, None, None, "Nilai Akhir", "Peringkat", "Keterangan", "Simulasi"])
    ws.append([None] * 5 + pillar_headers + ["Baseline", "Output", "Outcome", "Impact", "Quick Win"]
              + [None] * 4)
    ws.merge_cells("F3:K3")
    ws.merge_cells("L3:P3")
    for col in "ABCDEQRST":
        ws.merge_cells(f"{col}3:{col}4")
    for r in rows:
        ws.append(r)
    ws.append([])
    ws.append(["Sumber: Tim Evaluasi (simulasi)"])
    wb.save(path)


def recap_row(no, name, prov, cohort, pillars, dims, final, rank, group="Nasional", sim="ya"):
    return [no, name, prov, cohort, group, *pillars, *dims, final, rank, "", sim]


def write_assessor(path: Path, regency: str, year: int, panels: dict[str, list[tuple]]) -> None:
    """An assessor workbook: one sheet per assessor, label rows then the score rows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet_name, rows in panels.items():
        ws = wb.create_sheet(sheet_name)
        ws.append(["LEMBAR PENILAIAN ASESOR (DATA SIMULASI)"])
        ws.append(["Kabupaten/Kota:", regency])
        ws.append(["Tahun:", year])
        ws.append(["Tahap:", "Tahap II"])
        ws.append(["Asesor:", sheet_name])
        ws.append([])
        ws.append(["No", "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"])
        for k, (pillar, dim, score, *remark) in enumerate(rows, 1):
            # A remark (Keterangan) is a recommendation of the pillar; a row may leave it empty.
            ws.append([k, pillar, dim, score, remark[0] if remark else "catatan", "ya"])
    wb.save(path)


FORM_HEADER = ("Waktu Pengisian;Kabupaten/Kota;Provinsi;Tahun;Tahap;Asesor;Kode Pertanyaan;Pilar;Dimensi;"
               "Nilai;Keterangan;Simulasi")


@pytest.fixture()
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder with one file of each layout and known faults.

    Expected outcome per file is spelled out in tests/test_clean.py.
    """
    raw = tmp_path / "raw"
    (raw / "rekap").mkdir(parents=True)
    (raw / "asesor").mkdir()
    (raw / "formulir").mkdir()
    p6 = [3.0, 2.5, 3.5, 3.0, 3.25, 2.75]
    d5 = [3.60, 3.21, 3.23, 3.07, 3.65]
    write_recap(raw / "rekap" / "rekap_2022.xlsx", 2022, [
        recap_row(1, "Kota Kediri", "Jawa Timur", 2017, [2.75, 2.75, 3.5, 3.33, 3.33, 2.75], d5, 3.31, 22),
        recap_row(2, "Kab. Berau", "Kalimantan Timur", 2021, p6, d5, 2.88, 8),
        recap_row(3, "KUTAI KARTANEGARA", "Kalimantan Timur", "angkatan pertama", ["3,25", "-", 3, 3, 3, 4.7], d5,
                  3.1, 9),
        [None] * 20,
        ["", "Rata-rata Angkatan 2017", "", "", "", 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, "", "", ""],
        recap_row(4, "Kabupaten Kutai Tengah", "Kalimantan Timur", 2017, p6, d5, 3.0, 10),
        recap_row(5, "Kutai Kartanegra", "Kalimantan Timur", 2017, p6, d5, 3.0, 10),
        recap_row(6, "Kab. Berau", "Kalimantan Timur", 2021, p6, d5, 2.88, 8),
    ])
    write_recap(raw / "rekap" / "rekap_2019.xlsx", 2019, [
        recap_row(1, "Kukar", "Kalimantan Timur", 2017, [75, 80, 70, 65, 60, 112], [75] * 5, 75, 1),
        recap_row(2, "Kediri", "Jawa Timur", 2017, [75] * 6, [75] * 5, 75, 2),
        recap_row(3, "Kabupaten Kutai Kartanegara", "Kalimantan Timur", 2017, [50] * 6, [50] * 5, 50, 3),
    ], title_scale="Skala 0-100", pillar_headers=["Smart Government", "Branding Daerah", "Smart Economym",
                                                  "Kualitas Hidup", "Smart People", "Smart Environtment"])
    pillars = ["Smart Governance", "Smart Branding", "Smart Economy", "Smart Living", "Smart Society",
               "Smart Environment"]
    dims = ["Baseline", "Output", "Outcome", "Impact", "Quick Win"]
    rows_a = [(p, None, 3.0) for p in pillars] + [(None, d, 3.5) for d in dims]
    rows_b = [(p, None, 2.0) for p in pillars] + [(None, d, 2.5) for d in dims]
    rows_b[2] = ("Smart Enviroment", None, 2.0)  # unknown pillar spelling
    rows_b[3] = ("Smart Living", None, "belum dinilai", None)  # nothing but an empty score: a rejected row
    rows_b[4] = ("Smart Society", "Outcome", 2.0)  # both cells filled: which one is scored?
    write_assessor(raw / "asesor" / "penilaian_kotim_2023.xlsx", "Kotim", 2023,
                   {"Asesor A (BRIN)": rows_a, "Asesor B (UKSW)": rows_b})
    lines = [FORM_HEADER,
             "2024-07-01 10:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor A;P1;Smart Governance;;3,25;;ya",
             "2024-07-01 10:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor A;D1;;Baseline;3,5;;ya",
             "2024-07-02 09:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor A;P1;Smart Governance;;3,75;;ya",
             "2024-07-01 11:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor B;P1;Tata Kelola;;n/a;;ya",
             "2024-07-01 11:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor B;P2;Smart Branding;;2,5;;ya",
             "2024-07-01 11:00:00;Antah Berantah;Kalimantan Timur;2024;Tahap I;Asesor B;P2;Smart Branding;;2,5;;ya",
             # 2 July (day first) replaces the 1 July answer; read month first it would be 7 February.
             "02/07/2024 08:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor B;P2;Smart Branding;;3,0;;ya",
             "kemarin sore;Kab. Paser;Kalimantan Timur;2024;Tahap I;Asesor C;P3;Smart Economy;;3;;ya",
             "2024-07-03 08:00:00;Kab. Paser;Kalimantan Timur;2024;Tahap Akhir;Asesor C;P4;Smart Living;;2,75;;ya"]
    (raw / "formulir" / "ekspor_2024.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    (raw / "register_quick_win.csv").write_text(
        "Kabupaten/Kota,Tahun,Pilar,Nama Program,Nilai Output,Nilai Outcome,Nilai Dampak,Nilai Keberlanjutan,"
        "Keterangan,Simulasi\n"
        "Kukar,2022,Smart Governance,Becik,3.5,3.0,2.5,-,,ya\n"
        "Kukar,2022,Smart Branding,Kukar Asia Wonders,3.0,abc,2.5,3.0,,ya\n", encoding="utf-8")
    (raw / "register_angkatan.csv").write_text(
        "Kabupaten/Kota,Provinsi,Angkatan,Sumber,Simulasi\n"
        "Kota Kediri,Jawa Timur,2017,simulasi,ya\n"
        "Kabupaten Paser,Kalimantan Timur,2019,simulasi,ya\n", encoding="utf-8")
    shutil.copy(PUBLISHED, raw / "published_facts.csv")
    (raw / "README.md").write_text("origin of the files\n", encoding="utf-8")
    return raw


@pytest.fixture(scope="session")
def bundled_example():
    """The bundled example cleaned once for the whole session (tables in memory; tests must not change them)."""
    from smartcity_utils.clean.assemble import clean_raw_folder
    from smartcity_utils.paths import EXAMPLE_RAW_DIR

    return clean_raw_folder(EXAMPLE_RAW_DIR)
