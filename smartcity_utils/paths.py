"""Every path the workspace uses, built from this file's location.

Never from the working directory: JupyterLab starts kernels in ``notebooks/``
and papermill runs wherever it is called.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Controlled vocabularies and framework tables shipped with the code.
REFERENCE_DIR = PACKAGE_DIR / "data"
ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
# SMARTCITY_DATA_DIR lets tests and benchmarks point the whole pipeline elsewhere.
DATA_DIR = Path(os.environ.get("SMARTCITY_DATA_DIR", ROOT / "data"))
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = Path(os.environ.get("SMARTCITY_REPORTS_DIR", ROOT / "reports"))
