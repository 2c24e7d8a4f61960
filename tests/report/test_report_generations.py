"""One data source, one generation in a reports folder: a run on another source moves the earlier pages,
PDFs, notebooks and screenshots aside in one step and says so; the index then lists and links the pages of the
current source alone."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fixtures.example_run import processed_example

from smartcity_utils import commands, paths
from smartcity_utils.report.generations import EARLIER_DIRNAME, SOURCE_FILE, data_source, start_generation
from smartcity_utils.tables import write_tables


def _processed(folder: Path, *raw: Path) -> Path:
    manifest = pd.DataFrame({"source_file": [f"f{i}.csv" for i in range(len(raw))],
                             "raw_folder": [str(r) for r in raw]})
    write_tables({"manifest": manifest}, folder)
    return folder


def _pages(reports: Path, *names: str) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    for name in names:
        (reports / name).write_text(name, encoding="utf-8")


def test_the_same_source_keeps_its_pages_and_another_moves_them_aside_in_one_folder(tmp_path):
    reports = tmp_path / "reports"
    example = _processed(tmp_path / "p1", paths.EXAMPLE_RAW_DIR)
    own = _processed(tmp_path / "p2", tmp_path / "kantor")
    assert start_generation(reports, example) is None  # nothing there yet: nothing to move
    _pages(reports, "kabupaten-paser.id.html", "kabupaten-paser.id.pdf", "screenshot-kabupaten-paser.id.png",
           "index.html")
    (reports / "analysis").mkdir()
    _pages(reports / "analysis", "03_pillar_drivers.html")
    assert start_generation(reports, example) is None  # the same source: pages stay
    assert (reports / "kabupaten-paser.id.pdf").is_file()

    line = start_generation(reports, own, now=0)
    assert line is not None and "moved aside" in line and "example" in line and "kantor" in line
    [moved] = (reports / EARLIER_DIRNAME).iterdir()
    assert moved.name.endswith("-example")
    assert sorted(p.name for p in moved.iterdir()) == ["analysis", "index.html", "kabupaten-paser.id.html",
                                                       "kabupaten-paser.id.pdf", "screenshot-kabupaten-paser.id.png"]
    assert sorted(p.name for p in reports.iterdir()) == [SOURCE_FILE, EARLIER_DIRNAME]
    assert json.loads((reports / SOURCE_FILE).read_text())["label"] == "kantor"


def test_pages_that_record_no_source_are_moved_aside_too(tmp_path):
    reports = tmp_path / "reports"
    _pages(reports, "kota-kediri.id.html")
    line = start_generation(reports, _processed(tmp_path / "p", tmp_path / "raw"))
    assert line and "not recorded" in line
    assert [p.name for p in (reports / EARLIER_DIRNAME).iterdir()][0].endswith("-unknown-source")


def test_a_move_cut_short_is_finished_by_the_next_run(tmp_path):
    reports = tmp_path / "reports"
    staging = reports / EARLIER_DIRNAME / ".moving-2026-01-01-000000-example"
    staging.mkdir(parents=True)
    _pages(staging, "a.id.html")
    start_generation(reports, _processed(tmp_path / "p", tmp_path / "raw"))
    assert (reports / EARLIER_DIRNAME / "2026-01-01-000000-example" / "a.id.html").is_file()
    assert not list((reports / EARLIER_DIRNAME).glob(".moving-*"))


def test_the_source_names_the_folders_read(tmp_path):
    both = data_source(_processed(tmp_path / "p", tmp_path / "Data Kantor", paths.EXAMPLE_RAW_DIR))
    assert both["label"] in ("data-kantor+example", "example+data-kantor")
    assert data_source(_processed(tmp_path / "q", paths.EXAMPLE_RAW_DIR))["label"] == "example"


def _links(index: Path) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"#][^"]*)"', index.read_text(encoding="utf-8"))]


@pytest.mark.slow
def test_own_data_after_the_example_shows_only_own_pages(tmp_path, tmp_path_factory):
    reports = tmp_path / "reports"
    example = processed_example(tmp_path_factory)
    assert commands.report(["Kukar", "Paser"], lang="id", workers=1, out_dir=reports, progress=False,
                           processed_dir=example, pdf=True) == 0
    (reports / "screenshot-kabupaten-paser.id.png").write_bytes(b"\x89PNG")
    raw = tmp_path / "kantor"
    raw.mkdir()
    (raw / "rekap_2023.csv").write_text(
        "Kabupaten/Kota;Provinsi;Tahun;Nilai Akhir\n"
        "Kutai Kartanegara;Kalimantan Timur;2023;3,25\n"
        "Kab. Paser;Kalimantan Timur;2023;3,10\n"
        "Kotawaringin Timur;Kalimantan Tengah;2023;2,95\n", encoding="utf-8")
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(tmp_path / "data"), "SMARTCITY_REPORTS_DIR": str(reports),
           "TQDM_DISABLE": "1"}
    run = subprocess.run([sys.executable, "-m", "smartcity_utils", "run", "--raw", str(raw), "--quiet",
                          "--workers", "1"], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert len(re.findall(r"moved aside to .*earlier", run.stdout)) == 1  # one step, one line
    earlier = list((reports / EARLIER_DIRNAME).iterdir())
    assert len(earlier) == 1 and earlier[0].name.endswith("-example")
    assert {p.name for p in earlier[0].glob("*.pdf")} == {"kabupaten-kutai-kartanegara.id.pdf",
                                                          "kabupaten-paser.id.pdf"}
    # The reports folder now holds the pages of the own files alone: no PDF, no screenshot of the example.
    assert {p.name for p in reports.glob("*.html")} == {"index.html", "kabupaten-kutai-kartanegara.id.html",
                                                         "kabupaten-paser.id.html",
                                                         "kabupaten-kotawaringin-timur.id.html"}
    assert not list(reports.glob("*.pdf")) and not list(reports.glob("screenshot-*"))
    index = reports / "index.html"
    links = _links(index)
    assert links and all((reports / link).is_file() for link in links), links
    assert not any(EARLIER_DIRNAME in link for link in links)
    assert paths.WORKBOOK_NAME.format(lang="id") in links  # the tables of the same data, one workbook
    page = index.read_text(encoding="utf-8")
    assert "badge sim" not in page
    for name in ("kabupaten-kutai-kartanegara", "kabupaten-paser", "kabupaten-kotawaringin-timur"):
        assert "SIMULASI" not in (reports / f"{name}.id.html").read_text(encoding="utf-8")
