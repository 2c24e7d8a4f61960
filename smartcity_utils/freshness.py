"""Whether a cached step must run again: one digest of what it read and of the code that ran it.

Every cached step (the analysis, the analysis notebooks, the reports) is
stamped with :func:`step_digest`: the hashes of the files it read, the code
version (a hash of the package's source and reference tables), and its own
settings. A step is fresh exactly while that digest is unchanged: file times
are never used, and editing any module (``report/profile.py``) or any
reference table makes every step that ran it stale. Its outputs are
deterministic, so the digest of what it wrote is stable too.

Every decision to run a step again or to skip it is taken here: the clean
tables (:func:`tables_are_fresh`), the analysis (:func:`analysis_is_stale`),
and each report or analysis page (:func:`page_is_fresh`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smartcity_utils import __version__, paths
from smartcity_utils.errors import MixedOutputsError
from smartcity_utils.tables import file_digest, generation_stamp, read_generation

#: The files whose content is the code: the package's source, its reference tables and report texts.
CODE_SUFFIXES = frozenset({".py", ".csv", ".json"})


@functools.cache
def code_version() -> str:
    """Package version plus a hash of the package's source and reference data, so any code change shows.

    Cached for the life of the process: the code a process runs does not change under it.
    """
    digest = hashlib.sha256()
    package = paths.PACKAGE_DIR
    for path in sorted(package.rglob("*")):
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def step_digest(inputs: Mapping[str, str], settings: Mapping[str, Any] | None = None) -> str:
    """The one digest of a cached step: its inputs' hashes, the code version and its settings.

    Args:
        inputs: Name (or path) of each file the step read -> its SHA-256.
        settings: What else decides the step's output (seed, number of draws, parameters).
    """
    payload = {"inputs": dict(sorted(inputs.items())), "code": code_version(),
               "settings": dict(sorted((settings or {}).items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def tables_are_fresh(folder: str | Path, digest: str | None) -> bool:
    """Whether ``folder`` holds, whole and unchanged, the generation of tables stamped with ``digest``.

    ``smartcity clean`` stamps its tables with the digest of the raw files it read
    (:func:`smartcity_utils.clean.assemble.clean_digest`); a digest of None
    (raw folders that cannot be listed whole) is never fresh.
    """
    return digest is not None and generation_stamp(Path(folder)) == digest


def analysis_is_stale(folder: Path, settings: dict | None = None) -> bool:
    """True unless the cached analysis was computed from the processed tables now on disk, by this code.

    ``smartcity analyse`` stamps its metadata with one digest
    (:func:`step_digest`) of the hash of each table as it read it, the code
    version and its settings. The analysis is fresh only while the tables on
    disk give the same digest and the analysis tables are one whole
    generation, so a clean that ran during the analysis leaves it stale, never
    fresh. File times are not used.

    Args:
        folder: The processed folder.
        settings: The analysis settings asked for (:func:`~smartcity_utils.analysis.run.analysis_settings`);
            None: whichever the cached analysis ran with.
    """
    analysis = paths.analysis_dir(folder)
    try:
        meta = json.loads((analysis / paths.ANALYSIS_META).read_text(encoding="utf-8"))
        marker = read_generation(analysis)
    except (OSError, ValueError, MixedOutputsError):
        return True
    inputs = meta.get("inputs") if isinstance(meta, dict) else None
    if not isinstance(inputs, dict) or not inputs:
        return True
    current = {}
    for name in inputs:
        table = paths.table_file(folder, name)
        if not table.is_file():
            return True
        current[name] = file_digest(table)
    if current != inputs:  # the tables on disk are not those the analysis read
        return True
    ran_with = {k: meta.get(k) for k in ("seed", "n_draws", "n_boot")}
    if meta.get("shared_error_sd") is not None:  # the panel-shared error's size, when set by hand
        ran_with["shared_error_sd"] = meta["shared_error_sd"]
    if settings is not None and dict(settings) != ran_with:
        return True
    if meta.get("digest") != step_digest(current, ran_with):
        return True
    if marker is not None:
        for fname, digest in marker["files"].items():
            if not (analysis / fname).is_file() or file_digest(analysis / fname) != digest:
                return True
    return False


def page_is_fresh(job: Any, digest: str) -> bool:
    """Whether a rendered page may be skipped: its page and executed notebook exist and its stamp holds ``digest``.

    Args:
        job: A :class:`~smartcity_utils.report.jobs.ReportJob` (its ``html``, ``notebook`` and ``stamp``).
        digest: The digest of the job as it would run now (its notebook, inputs, code and parameters).
    """
    if not (job.html.is_file() and job.notebook.is_file()):
        return False
    try:
        stamp = json.loads(job.stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("digest") == digest
