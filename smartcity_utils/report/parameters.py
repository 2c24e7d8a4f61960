"""Notebook parameters, checked inside the notebook: papermill only warns about a name a notebook does not have.

Every notebook in ``notebooks/`` runs :func:`check_parameters` in the cell
right after its ``parameters`` cell, which is also right after the cell
papermill writes the given parameters into (``# Parameters``, tagged
``injected-parameters``). A misspelt name (``-p regancy Kukar``) or a name
that is no parameter at all (``-p profile 1``, which would replace the
module ``profile`` imported above) stops the notebook with the list of valid
names; a value of another type than its default (``-p year abc``) stops it
too. Without the check papermill logs a warning and renders the default
regency (its own open request for this is papermill issue 818).

The runner (:mod:`smartcity_utils.report.runner`) hands a notebook only the
parameters it declares (:func:`declared_parameters`).
"""

from __future__ import annotations

import ast
import functools
import json
import os
from pathlib import Path
from typing import Any

from smartcity_utils import paths
from smartcity_utils.errors import UserError

#: The first line of the cell papermill writes the given parameters into.
INJECTED_COMMENT = "# Parameters"

_ANY = object()  # a default that is not a plain literal: any value goes


@functools.lru_cache(maxsize=64)
def _declared(path: str, mtime_ns: int) -> tuple[tuple[str, Any], ...]:  # noqa: ARG001 - mtime keys the cache
    # The notebook's JSON as stored (nbformat 4): reading it through nbformat would load its schema
    # validators, a second or more in every process and every report's kernel, to read one cell.
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    cell = next((c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return ()
    source = cell.get("source", "")
    found = []
    for node in ast.parse("".join(source) if isinstance(source, list) else source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
            node.target if isinstance(node, ast.AnnAssign) else None)
        if not isinstance(target, ast.Name) or node.value is None:
            continue
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            default = _ANY
        found.append((target.id, default))
    return tuple(found)


def declared_parameters(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """Name -> default of each parameter of a notebook (the cell tagged ``parameters``), in order.

    Args:
        notebook: A notebook file; a bare name is looked up in ``notebooks/``.
    """
    path = Path(notebook)
    if path.name == str(notebook) and not path.is_file():
        path = paths.NOTEBOOKS_DIR / path.name
    return dict(_declared(str(path.resolve()), path.stat().st_mtime_ns))


def _given_names() -> list[str] | None:
    """The names papermill assigned in its injected cell, when that cell ran just before this one."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return None
    shell = get_ipython()
    history = getattr(shell, "user_ns", {}).get("In") if shell is not None else None
    if not history or len(history) < 2 or not history[-2].lstrip().startswith(INJECTED_COMMENT):
        return None
    names = []
    for node in ast.parse(history[-2]).body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _type_ok(value: Any, default: Any) -> bool:
    if default is None or default is _ANY:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def check_parameters(namespace: dict[str, Any], notebook: str) -> None:
    """Stop a notebook run with a parameter it does not declare, or with a value of the wrong type.

    Called from the cell right after the ``parameters`` cell:
    ``check_parameters(globals(), "10_regency_profile.ipynb")``.

    Args:
        namespace: The notebook's globals.
        notebook: The notebook's file name in ``notebooks/``.

    Raises:
        UserError: naming the unknown parameters and listing the valid ones,
            naming a parameter, its value and the type of its default, or for
            a language (``lang``) the text store does not have.
    """
    declared = declared_parameters(notebook)
    given = _given_names() or []
    unknown = [name for name in given if name not in declared]
    if unknown:
        raise UserError(f"{notebook}: unknown parameter(s) {', '.join(unknown)}; valid names: "
                        f"{', '.join(declared)}")
    for name, default in declared.items():
        if name in namespace and not _type_ok(namespace[name], default):
            value = namespace[name]
            raise UserError(f"{notebook}: parameter {name} = {value!r} is {type(value).__name__}, but its default "
                            f"{default!r} is {type(default).__name__}; give a value of that type")
    if "lang" in declared and "lang" in namespace:
        from smartcity_utils.report.texts import check_lang

        check_lang(namespace["lang"])  # every page speaks one of the store's languages
