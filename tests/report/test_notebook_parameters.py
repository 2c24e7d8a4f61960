"""Parameters are checked at the notebook: an unknown name stops it with the valid names (papermill only warns)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from smartcity_utils.errors import UserError
from smartcity_utils.paths import NOTEBOOKS_DIR
from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report.parameters import check_parameters, declared_parameters
from smartcity_utils.report.runner import render_reports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_checks_its_parameters_right_after_the_parameters_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    k = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    check = cells[k + 1]
    assert check.cell_type == "code"
    assert f'check_parameters(globals(), "{path.name}")' in check.source
    assert sum("check_parameters(" in c.source for c in cells) == 1  # one call, one function


def test_declared_parameters_are_the_literals_of_the_parameters_cell():
    declared = declared_parameters("10_regency_profile.ipynb")
    assert declared == {"regency": "Kabupaten Paser", "year": None, "lang": "id", "processed_dir": "",
                        "output_dir": "", "slug": "", "regency_id": 0}


@pytest.mark.parametrize("namespace, message", [
    pytest.param({"regency_id": "abc"}, "parameter regency_id = 'abc' is str, but its default 0 is int",
                 id="text_for_a_number"),
    pytest.param({"lang": ["id"]}, "parameter lang = ['id'] is list", id="list_for_text"),
    pytest.param({"regency_id": True}, "parameter regency_id = True is bool", id="flag_for_a_number"),
])
def test_a_value_of_another_type_than_its_default_stops(namespace, message):
    with pytest.raises(UserError, match=re.escape(message)):
        check_parameters({**declared_parameters("10_regency_profile.ipynb"), **namespace}, "10_regency_profile.ipynb")


@pytest.mark.parametrize("notebook", ["01_clean_evaluations.ipynb", "03_pillar_drivers.ipynb",
                                      "10_regency_profile.ipynb"])
def test_a_language_without_texts_stops_every_page(notebook):
    with pytest.raises(UserError, match="language 'fr' has no texts; choose one of id, en"):
        check_parameters({**declared_parameters(notebook), "lang": "fr"}, notebook)


def test_values_of_the_defaults_types_pass():
    check_parameters({"regency": "Kukar", "year": 2023, "lang": "en", "regency_id": 6402},
                     "10_regency_profile.ipynb")
    check_parameters({"years": [2022, 2023], "n_boot": 50}, "02_compare_cohorts.ipynb")


def test_papermill_with_a_misspelt_parameter_stops_with_the_valid_names(tmp_path):
    done = subprocess.run([sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / "10_regency_profile.ipynb"),
                           str(tmp_path / "out.ipynb"), "-p", "regancy", "Kukar", "--cwd", str(NOTEBOOKS_DIR)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert ("UserError: 10_regency_profile.ipynb: unknown parameter(s) regancy; valid names: regency, year, lang, "
            "processed_dir, output_dir, slug, regency_id") in done.stderr


@pytest.mark.parametrize("parameters, message", [
    pytest.param({"profile": 1}, "unknown parameter(s) profile; valid names: regency", id="name_of_an_import"),
    pytest.param({"regency_id": "Kukar"}, "parameter regency_id = 'Kukar' is str", id="wrong_type"),
])
def test_a_notebook_run_stops_at_the_check(tmp_path, parameters, message):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(NOTEBOOKS_DIR / "10_regency_profile.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters=parameters, cwd=str(NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3")
    assert err.value.ename == "UserError" and message in err.value.evalue


def test_the_runner_hands_a_notebook_only_the_parameters_it_declares(tmp_path):
    jobs = report_jobs.plan_reports([(6401, "Kabupaten Paser")], 2023, "id", tmp_path)
    summary = render_reports(jobs, FIXTURES / "report_fixture.ipynb", workers=1, progress=False,
                             extra_parameters={"processed_dir": "/data"})
    assert summary.ok == 1
    given = json.loads(jobs[0].stamp.read_text(encoding="utf-8"))["parameters"]
    assert set(given) == set(declared_parameters(FIXTURES / "report_fixture.ipynb"))
    assert "regency_id" not in given and given["processed_dir"] == "/data"
