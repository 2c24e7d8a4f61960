"""A user with nothing but a few real letters and a provincial recap: the main command runs, every regency
gets a report with its real index, its published rank with group and size, its dimension breakdown and the
computed-vs-reported check, in either language, and no command ends in a traceback.

The raw files are written here as a user would have them (Kota Kediri's 2022 letter as published, a letter
typed into a workbook, a provincial table of final scores).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from fixtures.browser_check import require_chromium

from smartcity_utils.report import browser
from smartcity_utils.report.texts import texts

pytestmark = pytest.mark.slow

KEDIRI_URL = "https://bangsaonline.com/amp/berita/113379/hasil-evaluasi-smart-city-2022-kota-kediri-ke-4-tertinggi-se-jawa-timur"
KEDIRI = [("baseline", 3.60), ("output", 3.21), ("outcome", 3.23), ("impact", 3.07), ("quick_wins", 3.65),
          ("smart_branding", 2.75), ("smart_economy", 3.50), ("smart_environment", 2.75), ("smart_governance", 2.75),
          ("smart_living", 3.33), ("smart_society", 3.33)]


def _raw_folder(raw: Path) -> Path:
    raw.mkdir(parents=True)
    lines = ["index,year,region,metric,value,rank,rank_of,rank_scope,source_url",
             f"GMSC_eval,2022,Kota Kediri,indeks_smart_city,3.31,22,,nasional,{KEDIRI_URL}"]
    lines += [f"GMSC_eval,2022,Kota Kediri,{m},{v:.2f},,,,{KEDIRI_URL}" for m, v in KEDIRI]
    (raw / "fakta_kediri.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Surat"
    for row in (["HASIL EVALUASI SMART CITY TAHUN 2022"],
                ["Kabupaten/Kota", "Baseline", "Output", "Outcome", "Impact", "Quick Win", "Nilai Akhir", "Peringkat"],
                # Dimensions that cannot give the index with the 2022 weights (2.895 against 2.75).
                ["Kabupaten Paser", 3.0, 2.9, 2.85, 2.8, 3.0, 2.75, "8 dari 37"]):
        ws.append(row)
    wb.save(raw / "surat_paser_2022.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["REKAPITULASI NILAI AKHIR SMART CITY PROVINSI KALIMANTAN TIMUR TAHUN 2023"], [],
                ["No", "Kabupaten/Kota", "Provinsi", "Nilai Akhir", "Keterangan"],
                [1, "Kutai Kartanegara", "Kalimantan Timur", "3,25", None],
                [2, "Kab. Paser", "Kalimantan Timur", 3.1, None],
                [3, "Kabupaten Berau", "Kalimantan Timur", None, "belum dinilai"]):
        ws.append(row)
    wb.save(raw / "rekap_kaltim_2023.xlsx")
    return raw


@pytest.fixture(scope="module")
def letters(tmp_path_factory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("letters")
    raw = _raw_folder(base / "raw")
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(base / "data"), "SMARTCITY_REPORTS_DIR": str(base / "reports"),
           "TQDM_DISABLE": "1"}
    command = [sys.executable, "-m", "smartcity_utils", "run", "--raw", str(raw), "--quiet", "--workers", "1"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    return {"base": base, "raw": raw, "env": env, "run": run}


def _smartcity(letters, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smartcity_utils", *args], capture_output=True, text=True,
                          env=letters["env"], timeout=600)


def _text(page: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())


def test_the_main_command_runs_on_a_few_letters(letters):
    run = letters["run"]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    # The national models are skipped, each with one line saying what it needs; so are the analysis pages.
    for step in ("measurement model", "rank uncertainty", "driver models"):
        assert re.search(rf"^{step} skipped: needs at least 8 regency-years", run.stdout, flags=re.M), step
    assert "03_pillar_drivers skipped" in run.stdout and "02_compare_cohorts skipped" in run.stdout
    reports = letters["base"] / "reports"
    assert {p.name for p in reports.glob("*.id.html")} == {
        "kota-kediri.id.html", "kabupaten-paser.id.html", "kabupaten-kutai-kartanegara.id.html"}
    assert (reports / "index.html").is_file()


def test_the_letter_report_shows_what_the_letter_shows(letters):
    page = _text(letters["base"] / "reports" / "kota-kediri.id.html")
    words = texts()["id"]
    assert words["banner_real"] in page and "SIMULASI" not in page
    # The letter's figures with the Indonesian decimal comma.
    for fragment in ("3,31", "peringkat yang dipublikasikan: 22 (nasional", "3,60", "3,65", "10/20/30/20/20",
                     "3,315", "sesuai dalam batas pembulatan", words["letter"]):
        assert fragment.lower() in page.lower(), fragment
    # No rank among the few rows that happen to be loaded.
    assert not re.search(r"\b1 dari [1-3]\b", page)
    assert words["summary_rank_not_computed_size"].split(":")[0] in page
    assert "bangsaonline.com" in page


def test_a_letter_whose_dimensions_cannot_give_its_index_is_reported_as_differing(letters):
    assert _smartcity(letters, "report", "--regency", "Paser", "--year", "2022", "--lang", "en",
                      "--quiet").returncode == 0
    page = _text(letters["base"] / "reports" / "kabupaten-paser.en.html")
    # The letter names no group: its rank is shown with its own size, no group is assumed, none is computed.
    assert "Published rank: 8 of 37 (group not named)." in page and "National" not in page
    assert texts()["en"]["summary_rank_not_computed_no_group"] in page
    assert "the index is 2.895, against a reported 2.75: they differ by 0.15" in page
    assert "inferred from a published letter" in page and "2.75" in page


def test_a_provincial_table_gives_the_index_and_nothing_is_invented(letters):
    page = _text(letters["base"] / "reports" / "kabupaten-kutai-kartanegara.id.html")
    assert "3,25" in page and "2023" in page
    assert texts()["id"]["gap_no_dimensions"].format(year=2023) in page
    assert texts()["id"]["gap_no_pillars"].format(year=2023) in page


def test_report_right_after_clean_computes_the_analysis_first(letters, tmp_path):
    data = letters["base"] / "data" / "processed"
    shutil.rmtree(data / "analysis")
    result = _smartcity(letters, "report", "--regency", "Kota Kediri", "--lang", "en", "--quiet", "--force")
    assert result.returncode == 0, result.stderr
    assert "running `smartcity analyse` first" in result.stdout and "Traceback" not in result.stderr
    page = _text(letters["base"] / "reports" / "kota-kediri.en.html")
    assert "agrees within rounding" in page and "Published rank: 22 (nasional" in page


def test_no_command_ends_in_a_traceback_on_letters(letters):
    for args in (["report", "--regency", "Kotim"], ["report", "--compare", "Kukar", "Paser", "--quiet"],
                 ["report", "--all", "--year", "2021"], ["analyse"], ["notebooks", "--quiet"]):
        result = _smartcity(letters, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr[-1500:])
        assert result.returncode in (0, 2), (args, result.returncode)
        if result.returncode == 2:
            assert result.stderr.count("\n") == 1, (args, result.stderr)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_letter_report_fits_in_a_real_browser(letters, lang):
    require_chromium()
    if lang == "en":
        assert _smartcity(letters, "report", "--regency", "Kota Kediri", "--lang", "en", "--quiet").returncode == 0
    page = letters["base"] / "reports" / f"kota-kediri.{lang}.html"
    for layout in ({"width": browser.SCREEN[0]}, {"width": browser.A4_TEXT_WIDTH_PX, "print_layout": True}):
        result = browser.check_page(page, **layout)
        assert not result["overflow"], result["wide_elements"]
        assert result["images"] and all(image["loaded"] for image in result["images"])
        assert result["lang"] == lang and not result["banner_present"]  # real data: no simulated banner
