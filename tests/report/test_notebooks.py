"""Every notebook executes under papermill on the bundled data; reports render end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from fixtures.example_run import execute_notebook as _execute
from fixtures.example_run import output_text as _text
from fixtures.example_run import processed_example

from smartcity_utils import commands
from smartcity_utils.paths import EXAMPLE_RAW_DIR, NOTEBOOKS_DIR
from smartcity_utils.report.texts import BANNER_TEXT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return processed_example(tmp_path_factory)


def test_01_clean_summarises_quality(processed, tmp_path):
    nb = _execute("01_clean_evaluations.ipynb", tmp_path, raw_dir=str(EXAMPLE_RAW_DIR),
                  processed_dir=str(tmp_path / "processed"), output_dir=str(tmp_path), lang="en")
    text = _text(nb)
    assert BANNER_TEXT["en"].split(":")[0] in text
    found = re.search(r"(\d+) of (\d+) published figures are found unchanged", text)
    assert found and found.group(1) == found.group(2)
    # No monospaced print line, no pandas table: every output is a page block (HTML) in the page's language.
    streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert streams == [] and "dataframe" not in text and "Sanity check" not in text
    coverage = pd.read_csv(tmp_path / "quality_cohort_coverage.csv")
    assert coverage.set_index("cohort_year").loc[2021, "members"] == 70
    assert coverage["is_simulated"].all()


def test_02_compare_cohorts_accepts_aliases_and_codes(processed, tmp_path):
    nb = _execute("02_compare_cohorts.ipynb", tmp_path, focus=["Kukar", "64.01", "KOTIM"],
                  processed_dir=str(processed), output_dir=str(tmp_path), n_boot=200)
    focus = pd.read_csv(tmp_path / "focus_vs_cohort.csv")
    assert set(focus["regency"]) == {"Kabupaten Kutai Kartanegara", "Kabupaten Paser", "Kabupaten Kotawaringin Timur"}
    assert focus["is_simulated"].all()
    assert len(list(tmp_path.glob("profile_*.png"))) == 3
    shown = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert shown.count("data:image/") >= 6  # three profiles, two trajectories, the distributions: as images
    assert "<Figure size" not in shown
    kruskal = pd.read_csv(tmp_path / "kruskal_programme_year.csv")
    assert {"p_value", "p_holm"} <= set(kruskal.columns)
    # The page's findings against the tables: Holm's family is one time point's measures, the largest pair's
    # delta has its interval, and at equal years in the programme the calendar years it mixes in are named.
    from smartcity_utils.report.narrative import CLEAR_P
    from smartcity_utils.report.numbers import fmt_signed

    text = _text(nb)
    tested = kruskal.dropna(subset=["p_holm"])  # time points with two cohorts or more
    family = tested.groupby("years_in_programme").size()
    assert f"atas {family.min()} ukuran pada titik waktu itu, bukan atas seluruh {len(tested)} uji" in text
    pairs = pd.read_csv(tmp_path / "pairwise_programme_year.csv")
    clear = pairs[pairs["p_holm"] < CLEAR_P]
    if len(clear):
        top = clear.loc[clear["cliffs_delta"].abs().idxmax()]
        lang = "id"
        low, high = fmt_signed(top["cliffs_delta_low"], lang), fmt_signed(top["cliffs_delta_high"], lang)
        assert f"{low} sampai {high}" in text
        if str(top["calendar_a"]) != str(top["calendar_b"]):
            assert f"angkatan {int(top['cohort_a'])} pada {top['calendar_a']}" in text


def test_02_rejects_an_unknown_cohort_column(processed, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="cohort_col"):
        _execute("02_compare_cohorts.ipynb", tmp_path, cohort_col="angkatan", processed_dir=str(processed))


def test_report_renders_one_regency_with_banner_and_no_code(processed, tmp_path):
    out = tmp_path / "reports"
    args = dict(regencies=["Kukar"], cohort=None, every=False, lang="en", year=None, workers=1,
                force=False, out_dir=str(out), timeout=300, progress=False, processed_dir=str(processed))
    assert commands.report(**args) == 0
    html = (out / "kabupaten-kutai-kartanegara.en.html").read_text(encoding="utf-8")
    assert "simulated-banner" in html and "data:image/" in html
    assert "profile.load_context" not in html  # code input is excluded
    summary = json.loads((out / "kabupaten-kutai-kartanegara.en.summary.json").read_text())
    assert summary["regency"] == "Kabupaten Kutai Kartanegara" and summary["simulated"] is True
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="kabupaten-kutai-kartanegara.en.html"' in index
    assert "SIMULATED DATA" in index
    # A second run skips the unchanged report.
    assert commands.report(**args) == 0
    assert "1 unchanged" in _capture_summary(args)


def _capture_summary(args) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        commands.report(**args)
    return buffer.getvalue()


def test_report_cli_stops_on_unknown_regency_with_nearest_names(tmp_path):
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(tmp_path)}  # no data at all: names are checked first
    run = subprocess.run([sys.executable, "-m", "smartcity_utils", "report", "--regency", "Kutai Kartanegra"],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "Kabupaten Kutai Kartanegara" in run.stderr and "Traceback" not in run.stderr


def test_drivers_cli_on_a_foreign_table(tmp_path):
    table = tmp_path / "imd_style.csv"
    rows = ["city,mobility,health,safety,score"]
    rows += [f"c{i},{i % 7},{(i * 3) % 5},{(i * 5) % 11},{0.5 * (i % 7) + 0.3 * ((i * 3) % 5) + 0.2 * ((i * 5) % 11)}"
             for i in range(30)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = [sys.executable, "-m", "smartcity_utils", "drivers", str(table), "--target", "score"]
    ok = subprocess.run(run + ["--json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout)
    assert result["r2"] == pytest.approx(1.0, abs=1e-9)
    bad = subprocess.run(run[:-2] + ["--target", "scroe"], capture_output=True, text=True)
    assert bad.returncode == 2 and "scroe" in bad.stderr and "score" in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_every_analysis_table_says_whether_it_is_simulated(processed):
    from smartcity_utils.tables import load_analysis

    tables = load_analysis(processed)
    # The example's published figures are real rows of their regency-years; everything else is simulated.
    real = tables["index_ranks"].loc[~tables["index_ranks"]["is_simulated"], ["regency", "year"]]
    assert 0 < len(real) <= 12 and set(real["regency"]) == {"Kota Kediri", "Kabupaten Paser", "Kabupaten Tabalong",
                                                            "Kota Banjarmasin"}
    flags = tables["index_ranks"].set_index(["regency_id", "year"])["is_simulated"]
    for name, table in tables.items():
        if name == "drivers_skipped":  # method names and reasons, no numbers
            continue
        assert "is_simulated" in table.columns, name
        if {"regency_id", "year"} <= set(table.columns):  # one row per regency-year: its own flag
            keys = pd.MultiIndex.from_frame(table[["regency_id", "year"]])
            assert (table["is_simulated"].to_numpy() == flags.reindex(keys).to_numpy()).all(), name
        else:  # a national table built from mostly simulated rows
            assert table["is_simulated"].all(), name


def test_report_notebook_runs_from_any_folder_in_indonesian(processed, tmp_path):
    # Papermill started elsewhere, kernel working directory elsewhere: paths come from the package.
    target = tmp_path / "kotim.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "10_regency_profile.ipynb"), str(target), kernel_name="python3",
                        parameters={"regency": "Kotim", "lang": "id", "processed_dir": str(processed), "year": 2023},
                        cwd=str(tmp_path), progress_bar=False)
    text = _text(nbformat.read(target, as_version=4))
    assert "Profil evaluasi smart city: Kabupaten Kotawaringin Timur" in text
    assert "angkatan 2022" in text and BANNER_TEXT["id"].split(":")[0] in text


def test_report_notebook_shows_the_name_and_year_its_job_carries(processed, tmp_path):
    # The runner's subject is taken as it is: its display name (not the table's), its year, no name looked up.
    from smartcity_utils.regencies import resolve_regencies

    target = tmp_path / "kotim.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "10_regency_profile.ipynb"), str(target), kernel_name="python3",
                        parameters={"regency": "Kotim as its job names it", "regency_id": resolve_regencies("Kotim")[0],
                                    "lang": "en", "processed_dir": str(processed), "year": 2023},
                        cwd=str(tmp_path), progress_bar=False)
    text = _text(nbformat.read(target, as_version=4))
    assert "Smart city evaluation profile: Kotim as its job names it" in text
    assert "Two charts of Kotim as its job names it: the index per year" in text


def test_report_compare_renders_the_regencies_side_by_side(processed, tmp_path):
    out = tmp_path / "reports"
    assert commands.report([], compare=["Kukar", "Paser", "Kotim"], lang="en", workers=1, out_dir=str(out),
                           progress=False, processed_dir=str(processed)) == 0
    page = (out / "compare-kukar-paser-kotim.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "simulated-banner" in page and "data:image/" in page
    for name in ("Kabupaten Kutai Kartanegara", "Kabupaten Paser", "Kabupaten Kotawaringin Timur"):
        assert name in page
    assert (out / "compare-kukar-paser-kotim.en.ipynb").is_file()
    assert 'href="compare-kukar-paser-kotim.en.html"' in (out / "index.html").read_text(encoding="utf-8")
    # The methods describe only what the page shows: rank ranges, no driver estimates, so no driver paragraph.
    assert "Plausible rank range" in page or "plausible range" in page
    assert "Pillars and the index. A regression" not in page


def test_report_compare_needs_two_regencies_with_data(processed, tmp_path):
    from smartcity_utils.errors import UserError

    with pytest.raises(UserError, match="at least two"):
        commands.report([], compare=["Paser", "64.01"], out_dir=str(tmp_path), processed_dir=str(processed))


def test_paser_2022_page_says_what_is_real_and_what_is_simulated(processed, tmp_path):
    from smartcity_utils.report.page import is_partly_simulated
    from smartcity_utils.report.texts import text as words

    target = tmp_path / "paser.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "10_regency_profile.ipynb"), str(target), kernel_name="python3",
                        parameters={"regency": "Paser", "lang": "id", "processed_dir": str(processed), "year": 2022},
                        cwd=str(tmp_path), progress_bar=False)
    shown = _text(nbformat.read(target, as_version=4))
    # The banner: partly simulated, the published figures real, the 2022 Quick Wins simulated all the same.
    assert words("id", "banner_mixed", years="2022").split(":")[0] in shown
    assert words("id", "banner_mixed_also", parts=words("id", "banner_part_quick_wins", years="2022")) in shown
    assert is_partly_simulated(shown)  # the PDF's header reads this and says "partly simulated"
    # Rows say whether they are real: the 2022 index row real, the 2022 Quick Wins simulated.
    assert re.search(r"<td[^>]*>2022</td><td>nyata</td>", shown)
    assert re.search(r"<td[^>]*>2022</td><td>simulasi</td><td>Smart", shown)
    # No rank is predicted from one pillar.
    assert "Upaya yang paling sejalan" not in shown
