"""One data source, one generation of pages in a reports folder.

A reports folder records the data source its pages were made from (the raw folders the processed tables
were cleaned from: the bundled example, ``data/raw``, a folder given with ``--raw``, or a folder and the
example together) in :data:`SOURCE_FILE`. A run on another source first moves every earlier page, PDF,
notebook, table, figure and screenshot aside, into ``earlier/<date>-<source>/``, and says so in one line,
so the index lists the pages of one source alone and never links a page or PDF of another.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from smartcity_utils import paths
from smartcity_utils.errors import printable

#: Written into a reports folder: the data source of the pages it holds.
SOURCE_FILE = ".source.json"
#: Sub-folder of a reports folder holding earlier generations, one folder each.
EARLIER_DIRNAME = "earlier"
#: Entries of a reports folder that are not pages of a generation.
_KEPT = frozenset({EARLIER_DIRNAME, SOURCE_FILE, paths.LOCK_FILE, ".gitkeep"})


def data_source(processed_dir: str | Path) -> dict[str, Any]:
    """The data source of a processed folder: the raw folders its tables were cleaned from.

    Returns:
        ``{"key": ..., "label": ..., "folders": [...], "simulated": bool}``: ``key`` compares two sources,
        ``label`` names the source in a folder name (``example``, ``data-raw``, a ``--raw`` folder's name,
        joined by ``+``).
    """
    from smartcity_utils.errors import MissingInputError
    from smartcity_utils.tables import read_tables

    try:
        manifest = read_tables(Path(processed_dir), ("manifest",), "smartcity clean")["manifest"]
    except MissingInputError:  # tables written by hand, without a manifest: the processed folder is the source
        folder = Path(processed_dir).resolve()
        return {"key": f"processed:{folder}", "label": paths.safe_slug(folder.name) or "processed",
                "folders": [str(folder)]}
    folders = sorted({str(Path(f).resolve()) for f in manifest.get("raw_folder", [])})
    labels = []
    for folder in folders:
        if paths.is_example(folder):
            labels.append("example")
        elif Path(folder) == paths.RAW_DIR.resolve():
            labels.append("data-raw")
        else:
            labels.append(paths.safe_slug(Path(folder).name) or "raw")
    return {"key": "|".join(folders), "label": "+".join(labels) or "empty", "folders": folders}


def _read_source(reports_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((reports_dir / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "key" in data else None


def _generation_entries(reports_dir: Path) -> list[Path]:
    if not reports_dir.is_dir():
        return []
    return sorted(p for p in reports_dir.iterdir() if p.name not in _KEPT)


def start_generation(reports_dir: str | Path, processed_dir: str | Path, now: float | None = None) -> str | None:
    """Make ``reports_dir`` hold pages of ``processed_dir``'s data source alone; call before writing pages.

    When the folder holds pages of another source (or pages that record no source), they are moved, in one
    step, into ``earlier/<YYYY-MM-DD-HHMMSS>-<source>/``; the new source is then recorded. The caller holds
    the folder's lock.

    Returns:
        The line to print when pages were moved aside, else None.
    """
    from smartcity_utils.tables import atomic_write

    root = Path(reports_dir)
    earlier = root / EARLIER_DIRNAME
    for unfinished in sorted(earlier.glob(".moving-*")) if earlier.is_dir() else []:
        os.replace(unfinished, earlier / unfinished.name.removeprefix(".moving-"))  # a move cut short
    current = data_source(processed_dir)
    recorded = _read_source(root)
    entries = _generation_entries(root)
    line = None
    if entries and (recorded is None or recorded.get("key") != current["key"]):
        label = paths.safe_slug(str(recorded.get("label", ""))) if recorded else "unknown-source"
        stamp = time.strftime("%Y-%m-%d-%H%M%S", time.localtime(now))
        target = earlier / f"{stamp}-{label or 'unknown-source'}"
        n = 1
        while target.exists():
            n += 1
            target = earlier / f"{stamp}-{label}-{n}"
        # Moved into a hidden folder first, then renamed once: a move cut short is finished by the next run.
        staging = earlier / f".moving-{target.name}"
        staging.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            os.replace(entry, staging / entry.name)
        os.replace(staging, target)
        line = (f"the pages in {printable(root)} were made from another data source "
                f"({recorded.get('label') if recorded else 'not recorded'}); moved aside to "
                f"{printable(target)}: {printable(root)} now holds pages of {current['label']} alone")
    if recorded is None or recorded.get("key") != current["key"] or line:
        root.mkdir(parents=True, exist_ok=True)
        atomic_write(root / SOURCE_FILE, json.dumps(current, indent=1) + "\n")
    return line


def reports_root(out_dir: str | Path) -> Path:
    """The reports folder a command's output folder belongs to: the analysis pages' folder is part of the
    reports folder above it; any other output folder is its own."""
    out = Path(out_dir)
    if out.name == paths.ANALYSIS_DIRNAME and out.parent.resolve() == paths.REPORTS_DIR.resolve():
        return out.parent
    return out
