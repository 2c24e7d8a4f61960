"""The way in for researchers: load_tables() gives tidy frames, the README's example runs as written, notebook 05
runs, and the workbook of `smartcity export` holds every table with numbers as numbers and formulas as text."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import openpyxl
import pandas as pd
import pytest
from fixtures.example_run import execute_notebook, processed_example

from smartcity_utils import commands, load_tables, paths
from smartcity_utils.errors import UserError
from smartcity_utils.explore import TIDY_TABLES, Tables, export_workbook, label, table_descriptions

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return processed_example(tmp_path_factory)


@pytest.fixture(scope="module")
def tables(processed) -> Tables:
    return load_tables(processed)


def test_the_tables_are_tidy(tables):
    assert list(tables) == list(TIDY_TABLES)
    years = tables.regency_years
    assert years["year"].dtype == "Int64" and not years.duplicated(["regency_id", "year"]).any()
    for name, column, n in (("pillar_scores", "pillar", 6), ("dimension_scores", "dimension", 5)):
        dtype = tables[name][column].dtype
        assert isinstance(dtype, pd.CategoricalDtype) and dtype.ordered and len(dtype.categories) == n
    assert list(tables.pillar_scores["pillar"].cat.categories)[0] == "Smart Governance"
    for name, frame in tables.items():
        if name not in ("rejects", "manifest"):
            assert "is_simulated" in frame and frame["is_simulated"].notna().all(), name


def test_the_index_is_in_one_column_with_its_source(tables):
    years = tables.regency_years
    assert set(years["index_source"].dropna()) <= {"reported", "computed"}
    reported = years["index_source"] == "reported"
    assert (years.loc[reported, "index"] == years.loc[reported, "index_reported"]).all()
    computed = years["index_source"] == "computed"
    assert computed.any() and (years.loc[computed, "index"] == years.loc[computed, "index_computed"]).all()
    assert years.loc[computed, "index_reported"].isna().all()


def test_the_long_pillar_scores_are_the_wide_ones(tables, processed):
    wide = pd.read_parquet(processed / "regency_year.parquet")
    row = wide.dropna(subset=["smart_economy"]).iloc[0]
    long = tables.pillar_scores
    hit = long[(long["regency_id"] == row["regency_id"]) & (long["year"] == row["year"])
               & (long["pillar"] == "Smart Economy")]
    assert hit["score"].tolist() == [row["smart_economy"]]
    assert len(long) == int(wide[[c for c in wide if c.startswith("smart_")]].notna().sum().sum())


def test_without_clean_the_message_names_the_folder_and_the_command(tmp_path):
    with pytest.raises(UserError, match=r"holds no clean tables: run `smartcity clean`"):
        load_tables(tmp_path)


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Explore in JupyterLab"):]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def test_the_readme_example_runs_as_written(processed, monkeypatch, capsys):
    monkeypatch.setattr(paths, "PROCESSED_DIR", processed)
    namespace: dict = {}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    fit = namespace["fit"]
    assert fit.cov_type == "cluster" and len(fit.params) == 4
    assert "simulated rows:" in capsys.readouterr().out


@pytest.mark.slow
def test_notebook_05_runs_on_the_example(processed, tmp_path):
    nb = execute_notebook("05_explore.ipynb", tmp_path, processed_dir=str(processed))
    shown = " ".join(str(o.get("data", {}).get("text/plain", o.get("text", ""))) for c in nb.cells
                     for o in c.get("outputs", []))
    assert "simulated" in shown and "Kabupaten Kotawaringin Timur" in shown


def _with_formula_text(tables: Tables) -> Tables:
    """A few hundred rows of each table (enough for the format), two texts a spreadsheet would run."""
    tables = Tables({name: frame.head(300) for name, frame in tables.items()})
    quick = tables.quick_wins.copy()
    quick.loc[quick.index[0], "programme_name"] = '=HYPERLINK("http://x","klik")'
    quick.loc[quick.index[1], "programme_name"] = "- Gerakan Kukar Bersih"
    return Tables({**tables, "quick_wins": quick})


@pytest.fixture(scope="module")
def workbook(tables, tmp_path_factory) -> tuple[openpyxl.Workbook, Tables]:
    shown = _with_formula_text(tables)
    path = export_workbook(tmp_path_factory.mktemp("export") / "tables.xlsx", lang="id", tables=shown)
    return openpyxl.load_workbook(path), shown


def test_the_workbook_holds_every_table_with_headers_in_the_language(workbook):
    wb, shown = workbook
    sheets = table_descriptions()["sheet_id"]
    assert wb.sheetnames == ["Keterangan", *[sheets[name] for name in TIDY_TABLES]]
    about = [[c.value for c in row] for row in wb["Keterangan"].iter_rows()]
    assert any(r[0] and "DATA SIMULASI" in r[0] for r in about)
    for name in TIDY_TABLES:
        ws = wb[sheets[name]]
        headers = [c.value for c in ws[1]]
        assert headers == [label(c, "id") for c in shown[name].columns], name
        assert not any("_" in h for h in headers), headers  # no snake_case for readers
        assert ws.max_row == len(shown[name]) + 1, name
        assert ws.auto_filter.ref, name  # a filter on every column, is_simulated among them


def test_numbers_are_numbers_rounded_as_the_reports_show_them(workbook):
    wb, shown = workbook
    ws = wb["Daerah-tahun"]
    headers = [c.value for c in ws[1]]
    index = headers.index("Indeks dihitung")
    values = [row[index] for row in ws.iter_rows(min_row=2, values_only=True) if row[index] is not None]
    assert values and all(isinstance(v, float | int) for v in values)
    assert all(round(v, 2) == v for v in values)
    raw = shown.regency_years["index_computed"].dropna()
    assert (raw.round(6) != raw.round(2)).any()  # the table itself holds more digits than shown
    simulated = [row[headers.index("Simulasi")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert set(simulated) <= {True, False}  # Excel's TRUE/FALSE: a filter can pick them
    ranks = [row[headers.index("Peringkat dihitung")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(r, int) for r in ranks if r is not None)


def test_text_that_would_run_as_a_formula_stays_as_typed(workbook):
    wb, _ = workbook
    ws = wb["Quick Win"]
    column = [c.value for c in ws[1]].index("Program") + 1
    cells = [ws.cell(row=r, column=column) for r in (2, 3)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x","klik")', "- Gerakan Kukar Bersih"]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula


def test_export_refuses_a_raw_folder_and_keeps_the_previous_workbook(processed, tmp_path):
    with pytest.raises(UserError, match="--out"):
        commands.export(paths.EXAMPLE_RAW_DIR / "tabel.xlsx", processed)
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"previous")
    with pytest.raises(UserError):
        commands.export(target, processed, lang="fr")
    assert target.read_bytes() == b"previous"
    assert commands.export(target, processed, lang="en") == 0
    assert openpyxl.load_workbook(target, read_only=True).sheetnames[:2] == ["About", "Regency-years"]


def test_without_a_fresh_analysis_the_tables_say_what_they_lack(processed, tmp_path):
    import shutil

    bare = tmp_path / "processed"
    shutil.copytree(processed, bare, ignore=shutil.ignore_patterns(paths.ANALYSIS_DIRNAME, ".complete"))
    with pytest.warns(UserWarning, match="No analysis of these processed tables"):
        tables = load_tables(bare)
    assert tables.notes == ["no_analysis"]
    years = tables.regency_years
    assert years["index_computed"].isna().all() and (years["index_source"].dropna() == "reported").all()
    assert tables.driver_estimates.empty
    small = Tables({name: frame.head(5) for name, frame in tables.items()})
    small.notes = tables.notes
    path = export_workbook(tmp_path / "t.xlsx", lang="en", tables=small)
    about = [row[0] for row in openpyxl.load_workbook(path, read_only=True)["About"].iter_rows(values_only=True)]
    assert any(isinstance(v, str) and v.startswith("No analysis of these processed tables") for v in about)
