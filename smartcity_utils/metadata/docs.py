"""The parts of ``docs/data_model.md`` that list tables and columns, written from the specifications.

The document is written by hand, except between marker lines::

    <!-- BEGIN GENERATED table scores -->
    ...
    <!-- END GENERATED table scores -->

What lies between is made by :func:`render` from
:mod:`smartcity_utils.metadata.resources`: ``tables`` (every table at a
glance), ``table <name>`` (one table: what a row is, its key, its checks, the
layout and builder that make it where a layout's builder does, and every
column), ``analysis tables`` (every analysis table, one after the other).
After a change to a specification, write the document again::

    python -m smartcity_utils.metadata.docs          # rewrites docs/data_model.md
    python -m smartcity_utils.metadata.docs --check  # exit 1 when the document is stale

``tests/test_metadata.py`` fails while the document differs from what this writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from smartcity_utils import paths
from smartcity_utils.metadata.layouts import table_builders
from smartcity_utils.metadata.resources import Resource, resource, resources

#: The document the generated parts are written into.
DATA_MODEL = paths.ROOT / "docs" / "data_model.md"

#: The command that writes them, as the document names it.
COMMAND = "python -m smartcity_utils.metadata.docs"

_BLOCK = re.compile(r"(<!-- BEGIN GENERATED (?P<key>[^>]*?) -->\n)(?P<body>.*?)(<!-- END GENERATED (?P=key) -->)",
                    re.DOTALL)

#: Where each stage writes its tables.
FOLDERS = {"processed": "`data/processed/`", "analysis": "`data/processed/analysis/`"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _names(columns) -> str:
    return ", ".join(f"`{c}`" for c in columns)


def table_overview() -> str:
    """Every table at a glance: name, folder, what a row is, key."""
    lines = ["| table | written to | what it holds | key |", "|---|---|---|---|"]
    for spec in resources():
        lines.append(f"| [`{spec.name}`](#{spec.name}) | {FOLDERS[spec.stage]} | {_cell(spec.description)} | "
                     f"{_names(spec.primary_key) or 'none'} |")
    return "\n".join(lines) + "\n"


def table_section(spec: Resource, level: int = 3) -> str:
    """One table: a heading, what a row is, its key and checks, and a line per column."""
    out = [f"{'#' * level} `{spec.name}`", "", spec.description, ""]
    if spec.primary_key:
        out.append(f"Key: {_names(spec.primary_key)} (one row each).")
    else:
        out.append("Key: none (no set of columns is held unique).")
    for check in spec.checks:
        out.append(f"Checked: {check.description}.")
    layout = table_builders().get(spec.name)
    if layout is not None:
        builder = dict(layout.builders)[spec.name]
        named = builder if isinstance(builder, str) else f"{builder.__module__}:{builder.__qualname__}"
        out.append(f"Built from the rows of layout `{layout.name}` by `{named}`.")
    out.append("")
    if spec.read_by_reports:
        out += ["Every regency's report reads it.", ""]
    out += ["| column | type | may be empty | what it holds |", "|---|---|---|---|"]
    for col in spec.columns:
        holds = col.description
        if col.checks:
            holds += f" (values: {'; '.join(c.describe() for c in col.checks)})"
        out.append(f"| `{col.name}` | `{col.type}` | {'yes' if col.nullable else ''} | {_cell(holds)} |")
    return "\n".join(out) + "\n"


def render(key: str) -> str:
    """The text of the generated block ``key``.

    Raises:
        KeyError: an unknown key, naming the known ones.
    """
    if key == "tables":
        return table_overview()
    if key == "analysis tables":
        return "\n".join(table_section(spec) for spec in resources("analysis"))
    if key.startswith("table "):
        return table_section(resource(key[len("table "):]))
    raise KeyError(f"unknown generated block {key!r}: use tables, analysis tables, or table <name>")


def block_keys(text: str) -> list[str]:
    """The keys of the generated blocks of ``text``, in order."""
    return [m.group("key") for m in _BLOCK.finditer(text)]


def update(text: str) -> str:
    """``text`` with every generated block written anew (the rest as it was)."""
    return _BLOCK.sub(lambda m: m.group(1) + render(m.group("key")) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    """Write the generated parts of the data model (``--check``: only say whether it is up to date)."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the document differs, change nothing")
    parser.add_argument("--file", type=Path, default=DATA_MODEL, help="the document (default: docs/data_model.md)")
    args = parser.parse_args(argv)
    text = args.file.read_text(encoding="utf-8")
    new = update(text)
    if new == text:
        print(f"{args.file}: up to date")
        return 0
    if args.check:
        print(f"{args.file}: stale; run {COMMAND}")
        return 1
    args.file.write_text(new, encoding="utf-8")
    print(f"{args.file}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
