"""Every folder and file name the workspace uses, built from this file's location.

Never from the working directory: JupyterLab starts kernels in ``notebooks/``
and papermill runs wherever it is called. Other modules take names from here
rather than typing them.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Controlled vocabularies and framework tables shipped with the code.
REFERENCE_DIR = PACKAGE_DIR / "data"
ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
# SMARTCITY_DATA_DIR lets tests and benchmarks point the whole pipeline elsewhere.
DATA_DIR = Path(os.environ.get("SMARTCITY_DATA_DIR", ROOT / "data"))
#: The user's own raw files.
RAW_DIR = DATA_DIR / "raw"
#: The bundled simulated example set: raw files, and the simulator's truth beside them.
EXAMPLE_DIR = ROOT / "data" / "example"
EXAMPLE_RAW_DIR = EXAMPLE_DIR / "raw"
EXAMPLE_TRUTH_DIR = EXAMPLE_DIR / "truth"
#: File types the cleaner reads as data.
DATA_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = Path(os.environ.get("SMARTCITY_REPORTS_DIR", ROOT / "reports"))

#: Sub-folder of a processed folder holding the national analysis tables.
ANALYSIS_DIRNAME = "analysis"
#: Written last by ``smartcity analyse``; its age tells whether the analysis is stale.
ANALYSIS_META = "analysis_meta.json"
#: The rank bands' and rank sets' model and assumptions, written by ``smartcity analyse`` beside its tables.
RANK_UNCERTAINTY_META = "rank_uncertainty_meta.json"
#: Executed analysis notebooks (01 to 04, 06) and their tables and figures.
ANALYSIS_REPORTS_DIR = REPORTS_DIR / ANALYSIS_DIRNAME
#: The page that lists every report.
INDEX_PAGE = "index.html"
#: The workbook of the clean and analysis tables (``smartcity export``), in the reports folder, per language.
WORKBOOK_NAME = "tabel-smartcity.{lang}.xlsx"
#: The per-regency report notebook, and the comparison of several regencies side by side.
REPORT_NOTEBOOK = NOTEBOOKS_DIR / "10_regency_profile.ipynb"
COMPARE_NOTEBOOK = NOTEBOOKS_DIR / "11_compare_regencies.ipynb"
#: The analysis notebooks ``smartcity notebooks`` executes, in reading order.
CLEANING_NOTEBOOK = "01_clean_evaluations.ipynb"
COHORTS_NOTEBOOK = "02_compare_cohorts.ipynb"
DRIVERS_NOTEBOOK = "03_pillar_drivers.ipynb"
RECOMMENDATIONS_NOTEBOOK = "04_recommendations.ipynb"
#: The published record (real figures only): reads the bundled record and context, never the processed tables.
RECORD_NOTEBOOK = "06_published_record.ipynb"
ANALYSIS_NOTEBOOKS = (CLEANING_NOTEBOOK, COHORTS_NOTEBOOK, DRIVERS_NOTEBOOK, RECOMMENDATIONS_NOTEBOOK, RECORD_NOTEBOOK)
#: The reference files notebook 06 reads (a change to them runs it again).
RECORD_FILES = (REFERENCE_DIR / "published_record.csv", REFERENCE_DIR / "context_grdp_population.csv",
                REFERENCE_DIR / "context_grdp_per_capita_recent.csv")
#: Written last into a folder of tables (processed, analysis): the hash of every table file of the
#: run that wrote them. Every reader checks it, so a folder mixed from two runs is refused.
GENERATION_MARKER = "generation.json"
#: The lock file a run holds in each folder it writes; a second run on the same folder stops.
LOCK_FILE = ".smartcity.lock"


#: The files of one table: Parquet (read by the workspace, exact) and CSV (for a spreadsheet).
TABLE_SUFFIXES = (".parquet", ".csv")


def table_file(folder: str | Path, name: str, suffix: str = ".parquet") -> Path:
    """The one file-name rule of a processed or analysis table: ``<folder>/<name>.parquet`` (or ``.csv``)."""
    return Path(folder) / f"{name}{suffix}"


def table_files(folder: str | Path) -> list[Path]:
    """The Parquet tables of a folder, sorted (what a notebook may read, so what its stamp hashes)."""
    return sorted(Path(folder).glob(f"*{TABLE_SUFFIXES[0]}"))


def analysis_dir(processed: str | Path | None = None) -> Path:
    """The analysis folder inside a processed folder (default: ``data/processed/analysis``)."""
    return Path(processed or PROCESSED_DIR) / ANALYSIS_DIRNAME


def has_data_files(folder: str | Path) -> bool:
    """True when ``folder`` holds at least one data file (hidden files and lock files aside)."""
    folder = Path(folder)
    return folder.is_dir() and any(
        p.is_file() and p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith((".", "~$"))
        for p in folder.rglob("*"))


def is_example(folder: str | Path) -> bool:
    """True when ``folder`` (absolute or relative to the working directory) is the bundled example."""
    return Path(folder).resolve() == EXAMPLE_RAW_DIR.resolve()


def default_raw_dir() -> Path:
    """The user's ``data/raw`` when it holds data files, else the bundled example ``data/example/raw``."""
    return RAW_DIR if has_data_files(RAW_DIR) else EXAMPLE_RAW_DIR


def raw_folders(raw: str | Path | None = None, example: bool = False, with_example: bool = False) -> list[Path]:
    """The raw folders a run reads, in a fixed order (the user's first).

    Args:
        raw: A folder given by the user (``--raw``); default ``default_raw_dir()``.
        example: Read the bundled simulated example only (``--example``).
        with_example: Read the user's folder and the bundled example (``--with-example``).

    Returns:
        One or two folders. Real and simulated rows of several folders are
        never averaged (``docs/data_model.md``, precedence rules).
    """
    if example and (raw is not None or with_example):
        from smartcity_utils.errors import UserError

        raise UserError("--example reads the bundled example only; drop --raw/--with-example, "
                        "or use --with-example to read your folder and the example together")
    if example:
        return [EXAMPLE_RAW_DIR]
    if with_example:
        own = Path(raw) if raw is not None else RAW_DIR
        folders = [] if is_example(own) else [own]
        return folders + [EXAMPLE_RAW_DIR]
    return [Path(raw)] if raw is not None else [default_raw_dir()]


def describe_raw_folder(folder: str | Path) -> str:
    """What a raw folder is, in words: the bundled simulated example, or the user's files."""
    if is_example(folder):
        return "the bundled simulated example"
    return "your files"


def check_outside_raw(path: str | Path, what: str, raw: list[str | Path] | tuple = ()) -> None:
    """Stop when an output ``path`` lies in a raw folder (the user's, the example, or one given).

    Raw folders are read-only to the workspace: nothing is written there, so
    no output can overwrite an evaluation file.

    Args:
        path: The file or folder about to be written.
        what: The option or output, for the message (``--out``).
        raw: Raw folders of this run, besides ``data/raw`` and ``data/example/raw``.

    Raises:
        UserError: naming the output and the raw folder it lies in.
    """
    from smartcity_utils.errors import UserError

    target = Path(path).resolve()
    for folder in [*raw, RAW_DIR, EXAMPLE_RAW_DIR]:
        root = Path(folder).resolve()
        if target == root or root in target.parents:
            raise UserError(f"{what} {path}: lies in the raw folder {folder}, which is never written to; "
                            "choose a folder outside it (default: data/processed, reports)")


#: Longest file-name slug of a regency (the report file ``<slug>.<lang>.html`` stays short on every system).
SLUG_MAX_LEN = 80

#: A report's file stem: its slug and, for a page in one language, ``.<lang>``.
STEM_PATTERN = rf"[a-z0-9_-]{{1,{SLUG_MAX_LEN}}}(?:\.[a-z]{{2}})?"

# Names that are reserved device names on Windows; reports are shared on
# network drives, so a regency slugged to one of these gets a hash suffix.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")


def safe_slug(name: str) -> str:
    """The one slug rule: a regency name as a file-name-safe slug (reports, figures, the simulator's files).

    The slug is ASCII, lowercase, uses only ``[a-z0-9_-]``, never starts with a
    dot or contains a path separator, is non-empty and at most 80 characters.
    Unicode is NFKC-normalised and accents are stripped.

    Names made only of ASCII letters, digits and single spaces (``"Kota
    Kediri"``) map to a readable slug (``"kota-kediri"``). Any other alteration
    loses information (``"Kab. Paser"`` and ``"Kab Paser"`` would otherwise
    meet), so the slug then ends with an 8-hex-digit hash of the original name.
    Names that differ only by letter case can still meet; :func:`plan_reports`
    removes such duplicates within a run.

    Args:
        name: Display name of the regency, exactly as given.

    Returns:
        The slug.

    Raises:
        TypeError: If ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    normalised = unicodedata.normalize("NFKC", name)
    decomposed = unicodedata.normalize("NFKD", normalised)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    base = re.sub(r"[^a-z0-9_-]+", "-", ascii_text)
    base = re.sub(r"-{2,}", "-", base).strip("-_")

    lossless = bool(_PLAIN_NAME.fullmatch(name)) and base not in _RESERVED
    if lossless and len(base) <= SLUG_MAX_LEN:
        return base
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if not base:
        base = "report"
    base = base[: SLUG_MAX_LEN - len(digest) - 1].rstrip("-_")
    return f"{base}-{digest}"
