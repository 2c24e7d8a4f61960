"""environment.yml (conda) and pyproject.toml (pip) declare the same dependencies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(s.split("==") for s in specs)


def _conda_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s+-\s+([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def test_every_dependency_is_pinned():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    unpinned = [s for s in project["dependencies"] if "==" not in s]
    assert not unpinned


def test_conda_and_pip_declare_the_same_pins():
    assert _conda_pins() == _pyproject_pins()


def test_core_packages_are_declared():
    pins = _pyproject_pins()
    for name in ("jupyterlab", "pandas", "matplotlib", "statsmodels", "papermill"):
        assert name in pins


def test_stored_notebooks_have_no_outputs():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, path.name
                assert not re.search(r"^\s*(def|class)\s", "".join(cell["source"]), re.M), path.name
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"


def test_stored_notebooks_are_nbformat_4_5_with_cell_ids():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5), path.name
        ids = [cell.get("id") for cell in nb["cells"]]
        assert all(ids) and len(set(ids)) == len(ids), path.name


def test_every_page_takes_the_language_of_the_run():
    from smartcity_utils.report.parameters import declared_parameters
    from smartcity_utils.report.texts import LANGUAGES

    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        assert declared_parameters(path).get("lang") == LANGUAGES[0], path.name  # Indonesian, as the reports
