"""The package layout follows the data: each stage imports only from the stages before it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "smartcity_utils"

#: Stage of each sub-package and what it may import (besides the shared modules at the top level).
ALLOWED = {
    "clean": {"clean"},
    "analysis": {"clean", "analysis"},
    "report": {"clean", "analysis", "report"},
}
SHARED = {"paths", "errors", "reference", "regencies", "values", "tables", "freshness", "processes"}
#: Shared sub-packages: what the package knows as data (the raw layouts), imported by every stage.
SHARED_PACKAGES = {"metadata"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_product_never_imports_the_simulator(path):
    bad = [name for name in _imports(path) if name.split(".")[0] == "smartcity_simulator"]
    assert not bad, f"{path.name} imports the simulator: {bad}"


@pytest.mark.parametrize("path", [p for p in _modules() if p.relative_to(PACKAGE).parts[0] in ALLOWED],
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_stage_imports_only_earlier_stages(path):
    stage = path.relative_to(PACKAGE).parts[0]
    later = []
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "smartcity_utils" or len(parts) < 2:
            continue
        target = parts[1]
        if target in ALLOWED and target not in ALLOWED[stage]:
            later.append(name)
        elif target not in ALLOWED and target not in SHARED | SHARED_PACKAGES | {"__version__"}:
            later.append(name)  # the command layer is above every stage
    assert not later, f"{path.relative_to(PACKAGE)} (stage {stage}) imports a later stage: {later}"


def _shared_modules() -> list[Path]:
    """The shared modules: a module of the package's top level, or every module of a shared sub-package."""
    out = []
    for m in sorted(SHARED):
        out += sorted((PACKAGE / m).rglob("*.py")) if (PACKAGE / m).is_dir() else [PACKAGE / f"{m}.py"]
    return [p for p in out if "__pycache__" not in p.parts]


@pytest.mark.parametrize("path", _shared_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_shared_modules_import_no_stage(path):
    stages = [n for n in _imports(path) if n.split(".")[0] == "smartcity_utils" and len(n.split(".")) > 1
              and n.split(".")[1] in ALLOWED]
    assert not stages, f"{path.name} imports a stage: {stages}"


@pytest.mark.parametrize("path", [p for p in _modules() if p.relative_to(PACKAGE).parts[0] in SHARED_PACKAGES],
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_shared_packages_import_no_stage(path):
    stages = [n for n in _imports(path) if n.split(".")[0] == "smartcity_utils" and len(n.split(".")) > 1
              and n.split(".")[1] in ALLOWED]
    assert not stages, f"{path.relative_to(PACKAGE)} imports a stage: {stages}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at module level or inside a function.

    ``from package import module`` is an edge to the module; a name taken from the package itself
    (``__version__``) is no edge.
    """
    modules = {_module_name(p) for p in _modules()}
    graph = {}
    for path in _modules():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name in modules}
        targets.discard("smartcity_utils")
        graph[_module_name(path)] = targets - {_module_name(path)}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_modules_import_one_another_one_way():
    """No import circle, not even through an import inside a function: shared pieces sit in the module both
    sides import."""
    cycle = _cycle(_import_graph())
    assert cycle is None, f"import circle: {' -> '.join(cycle)}"


def test_the_circle_check_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
