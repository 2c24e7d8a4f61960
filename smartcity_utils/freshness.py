"""Whether a cached step must run again: one digest of what it read and of the code that ran it.

Every cached step (the analysis, the analysis notebooks, the reports) is
stamped with :func:`step_digest`: the hashes of the files it read, the code
version (a hash of the package's source and reference tables), and its own
settings. A step is fresh exactly while that digest is unchanged: file times
are never used, and editing any module (``report/profile.py``) or any
reference table makes every step that ran it stale. Its outputs are
deterministic, so the digest of what it wrote is stable too.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from smartcity_utils import __version__, paths

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
