"""One list of pinned dependencies: pyproject.toml; requirements.lock holds their whole resolved environment,
requirements-build.lock the installer and build backend; make and environment.yml (conda) install from the
locks alone, resolving nothing against the package index."""

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


def _requirements(path: Path) -> list[tuple[str, str]]:
    """(name, the whole requirement with its continuation lines) for every requirement of a lock file."""
    text = (REPO / path).read_text().replace("\\\n", " ")
    return [(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0], line) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_every_line_of_both_locks_is_pinned_with_a_hash():
    for lock in ("requirements.lock", "requirements-build.lock"):
        reqs = _requirements(Path(lock))
        assert reqs, lock
        for name, line in reqs:
            assert re.match(r"^[A-Za-z0-9_.-]+==[^\s=]+\s", line + " "), f"{lock}: {name} not pinned with =="
            assert "--hash=sha256:" in line, f"{lock}: {name} has no hash"
            assert "[" not in line.split("==")[0], f"{lock}: {name} asks for an extra, which pip resolves"


def test_pip_and_the_build_backend_are_pinned_and_match_pyproject():
    build = {_name(n): line.split("==")[1].split()[0] for n, line in _requirements(Path("requirements-build.lock"))}
    assert set(build) == {"pip", "setuptools"}
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    assert requires == [f"setuptools=={build['setuptools']}"]
    assert not {"pip", "setuptools"} & set(_lock_pins())  # installed once, by the first step


def _install_rule() -> list[str]:
    """The recipe lines of the Makefile rule that builds .venv (the `$(STAMP):` target)."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("$(STAMP):"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@"))
    return recipe


def test_the_install_rule_resolves_nothing_against_the_index():
    recipe = _install_rule()
    installs = [line for line in recipe if " install " in line]
    # pip first (its own pin and hash), then the lock, then the package: the order is the guarantee
    assert [re.search(r"-r (\S+)|-e (\.)", i).group(0) for i in installs] == [
        "-r requirements-build.lock", "-r requirements.lock", "-e ."]
    for line in installs:
        assert "--no-deps" in line, line  # nothing pulled in beyond what the line names
        assert "--require-hashes" in line or "--no-index" in line, line  # the lock's hashes or no index at all
        assert "--upgrade" not in line and " -U " not in line, line
    assert "--no-build-isolation" in installs[-1]  # the build backend from requirements-build.lock, not fetched
    check = [i for i, line in enumerate(recipe) if "$(PIP) check" in line]
    assert check and check[0] > recipe.index(next(line for line in recipe if "-e ." in line))
    assert "$(PYTHON) -m venv" in recipe[0] + recipe[1]


def test_conda_installs_from_the_same_locks():
    env = (REPO / "environment.yml").read_text()
    assert "python=3.11" in env
    entries = re.findall(r"^\s+-\s+(-r \S+)", env, re.M)
    assert entries == ["-r requirements-build.lock", "-r requirements.lock"]
    assert not re.search(r"^\s+-\s+[A-Za-z0-9_.-]+==", env, re.M)  # no second list of pins to drift
    assert "--no-deps --no-index --no-build-isolation -e ." in env  # the package, as make installs it


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
