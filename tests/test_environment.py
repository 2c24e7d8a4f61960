"""One list of pinned dependencies: pyproject.toml; requirements.lock holds their whole resolved environment,
environment.yml (conda) installs the package with its dev extra."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(s.split("==") for s in specs)


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", line)
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_is_pinned():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    unpinned = [s for s in project["dependencies"] + project["optional-dependencies"]["dev"] if "==" not in s]
    assert not unpinned


def test_the_lock_holds_every_pin_of_pyproject_with_hashes():
    lock = _lock_pins()
    pins = {_name(k): v for k, v in _pyproject_pins().items()}
    assert {k: lock.get(k) for k in pins} == pins
    text = (REPO / "requirements.lock").read_text()
    assert text.count("--hash=sha256:") >= len(lock)
    assert "file://" not in text and "/opt/" not in text  # no index of one machine


def test_conda_installs_the_package_with_its_pins():
    env = (REPO / "environment.yml").read_text()
    assert "- -e .[dev]" in env and "python=3.11" in env
    assert not re.search(r"^\s+-\s+[A-Za-z0-9_.-]+==", env, re.M)  # no second list of pins to drift


def test_python_version_matches_what_the_tests_use():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"  # tomllib, used here and by the package's tests, is 3.11+


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
