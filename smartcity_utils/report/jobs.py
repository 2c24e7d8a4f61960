"""What to render: report jobs, safe file names, per-report summaries and the skip-unchanged stamps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartcity_utils import __version__, paths
from smartcity_utils.errors import UserError
from smartcity_utils.freshness import code_version
from smartcity_utils.paths import SLUG_MAX_LEN, STEM_PATTERN, safe_slug
from smartcity_utils.regencies import Subject
from smartcity_utils.tables import atomic_write, file_digest

STAMP_DIRNAME = ".stamps"


SUMMARY_SUFFIX = ".summary.json"


FAILED_SUFFIX = ".failed.ipynb"


INDEX_NAME = paths.INDEX_PAGE


#: Bumped when the stamp layout or the rendering pipeline changes in a way that
#: must invalidate every existing report.
STAMP_SCHEMA = 2




@dataclass(frozen=True)
class ReportJob:
    """One report to render.

    Attributes:
        regency: Display name, passed unchanged to the notebook.
        regency_id: Numeric regency code (BPS/Kemendagri).
        year: Evaluation year.
        lang: Report language (``"id"`` or ``"en"``).
        slug: File-name-safe form of the regency name.
        out_dir: Resolved output folder shared by the run.
        notebook: Executed notebook, ``<out_dir>/<stem>.ipynb``.
        html: Exported report without code, ``<out_dir>/<stem>.html``.
        summary: Headline figures, ``<out_dir>/<stem>.summary.json``.
        stamp: Skip-unchanged stamp, ``<out_dir>/.stamps/<stem>.json``.
        failed_notebook: Partially executed notebook kept after a failure.
        stem: ``<slug>.<lang>``: the file names carry the language, so the
            Indonesian and English reports of a regency live side by side.
        source: The notebook to execute; ``None``: the run's notebook.
        parameters: When set, the notebook's parameters (with the run's
            ``output_dir``) instead of the per-regency ones.
    """

    regency: str
    regency_id: int
    year: int
    lang: str
    slug: str
    out_dir: Path
    notebook: Path
    html: Path
    summary: Path
    stamp: Path
    failed_notebook: Path
    stem: str = ""
    source: Path | None = None
    parameters: Mapping[str, Any] | None = None

    @property
    def pdf(self) -> Path:
        """The PDF of the report (written with ``--pdf``)."""
        return self.out_dir / f"{self.stem}.pdf"

    def output_paths(self) -> tuple[Path, ...]:
        """Return every file this job may write."""
        return (self.notebook, self.html, self.summary, self.stamp, self.failed_notebook)


#: A report's file stem: the slug, a dot and the language code (``kabupaten-paser.id``).
STEM_RE = re.compile(STEM_PATTERN)


def report_stem(slug: str, lang: str) -> str:
    """``<slug>.<lang>``, checked to be a safe file name.

    Raises:
        ValueError: for a slug or language code that is not file-name safe.
    """
    stem = f"{slug}.{lang}" if lang else slug
    if not STEM_RE.fullmatch(stem):
        raise ValueError(f"unsafe report file name {stem!r}")
    return stem


def _ensure_inside(path: Path, root: Path) -> None:
    """Stop when an output path leads out of the output folder (a link in it, or in ``.stamps``)."""
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise UserError(f"{path}: leads to {resolved}, outside the output folder {root} (a link); remove the "
                        "link and rerun")


def plan_reports(
    regencies: Sequence[Subject | tuple[int, str]],
    year: int | None,
    lang: str,
    out_dir: str | os.PathLike[str],
) -> list[ReportJob]:
    """Plan one report per regency, with unique slugs and checked paths.

    Args:
        regencies: The regencies as identified (:class:`~smartcity_utils.regencies.Subject`), or
            ``(regency_id, display name)`` pairs; the display name is passed unchanged to the notebook.
        year: Evaluation year passed to every notebook; None: each regency's latest year with an index.
        lang: Report language passed to every notebook.
        out_dir: Folder receiving all outputs; created if missing.

    Returns:
        The jobs, in the order of ``regencies``.

    Raises:
        ValueError: If a regency id repeats, or an output path would resolve
            outside ``out_dir``.
    """
    root = Path(out_dir).expanduser().resolve()
    seen_ids: set[int] = set()
    used: set[str] = set()
    jobs: list[ReportJob] = []
    for regency in regencies:
        regency_id, name = (regency.regency_id, regency.name) if isinstance(regency, Subject) else regency
        if regency_id in seen_ids:
            raise ValueError(f"regency id {regency_id} appears twice")
        seen_ids.add(regency_id)
        slug = safe_slug(name)
        # Case-only variants map to the same slug; the id keeps them apart
        # deterministically, independent of list order.
        if slug in used:
            slug = f"{slug[: SLUG_MAX_LEN - 12]}-{regency_id}"
        if slug in used:
            raise ValueError(f"cannot make a unique file name for {name!r}")
        used.add(slug)
        stem = report_stem(slug, lang)
        job = ReportJob(
            regency=name,
            regency_id=int(regency_id),
            year=int(year) if year is not None else 0,  # 0: the regency's latest year with an index
            lang=str(lang),
            slug=slug,
            out_dir=root,
            notebook=root / f"{stem}.ipynb",
            html=root / f"{stem}.html",
            summary=root / f"{stem}{SUMMARY_SUFFIX}",
            stamp=root / STAMP_DIRNAME / f"{stem}.json",
            failed_notebook=root / f"{stem}{FAILED_SUFFIX}",
            stem=stem,
        )
        for path in job.output_paths():
            _ensure_inside(path, root)
        jobs.append(job)
    return jobs


def plan_notebooks(
    notebooks: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    lang: str = "en",
) -> list[ReportJob]:
    """Plan one job per notebook (the analysis notebooks), for :func:`render_reports`.

    The executed copy and its page keep the notebook's name
    (``<out_dir>/02_compare_cohorts.ipynb`` and ``.html``).

    Args:
        notebooks: Notebook files; a bare file name is looked up in ``notebooks/``.
        out_dir: Folder receiving the executed notebooks, their pages and outputs.
        parameters: Parameters per notebook file name.
        lang: Language of the pages.

    Returns:
        The jobs, in the order given.

    Raises:
        ValueError: for a notebook name that is not a safe file name, or one given twice.
    """
    root = Path(out_dir).expanduser().resolve()
    jobs: list[ReportJob] = []
    for number, given in enumerate(notebooks):
        source = Path(given) if Path(given).name != str(given) else paths.NOTEBOOKS_DIR / str(given)
        stem = report_stem(source.stem.lower(), "")
        if any(job.stem == stem for job in jobs):
            raise ValueError(f"notebook {source.name} is given twice")
        jobs.append(ReportJob(
            regency=source.stem, regency_id=number, year=0, lang=lang, slug=stem, out_dir=root,
            notebook=root / f"{stem}.ipynb", html=root / f"{stem}.html", summary=root / f"{stem}{SUMMARY_SUFFIX}",
            stamp=root / STAMP_DIRNAME / f"{stem}.json", failed_notebook=root / f"{stem}{FAILED_SUFFIX}",
            stem=stem, source=source.expanduser().resolve(),
            parameters=dict((parameters or {}).get(source.name, {}))))
    return jobs


def _json_default(value: Any) -> Any:
    # Notebooks hand over numpy scalars and paths; make them plain JSON.
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot store {type(value).__name__} in a report summary")


def write_report_summary(output_dir: str | os.PathLike[str], slug: str, **figures: Any) -> Path:
    """Store a report's headline figures for the run index.

    Called from the report notebook, e.g.
    ``write_report_summary(output_dir, slug, regency=regency, year=year,
    final_score=0.71, rank=12, simulated=True)``. ``simulated=True`` makes the
    index show a SIMULATED DATA badge for the report.

    Args:
        output_dir: The run's output folder (the notebook's ``output_dir``
            parameter). Empty means the current directory.
        slug: The report's file stem (the notebook's ``slug`` parameter,
            ``<slug>.<lang>`` when set by the runner). If empty, it is
            derived from ``figures["regency"]``.
        **figures: JSON-serialisable values (numpy scalars are converted).

    Returns:
        Path of the summary file written.

    Raises:
        ValueError: If no usable slug is available, or ``slug`` is not a safe
            file name.
    """
    if not slug:
        if not figures.get("regency"):
            raise ValueError("pass slug, or regency=... to derive it")
        slug = safe_slug(str(figures["regency"]))
    if not STEM_RE.fullmatch(slug):
        raise ValueError(f"unsafe slug {slug!r}")
    path = Path(output_dir or ".") / f"{slug}{SUMMARY_SUFFIX}"
    text = json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
    atomic_write(path, text)
    return path


def read_report_summary(output_dir: str | os.PathLike[str], slug: str) -> dict[str, Any]:
    """Read the figures a report stored with :func:`write_report_summary`.

    Args:
        output_dir: The run's output folder.
        slug: The report's slug.

    Returns:
        The figures, or an empty dict if the report wrote none or the file is
        unreadable.
    """
    path = Path(output_dir) / f"{slug}{SUMMARY_SUFFIX}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_digest(notebook_path: Path, input_files: Iterable[Path]) -> dict[str, Any]:
    """Hash everything shared by all jobs of a run (computed once).

    The runner's versions are read from the installed metadata: importing nbconvert only to read its
    version costs a second (its validators compile their grammars), on every run, unchanged or not.
    """
    from importlib.metadata import version

    inputs = {}
    for p in sorted({Path(f).resolve() for f in input_files}):
        if not p.is_file():
            raise FileNotFoundError(f"input file not found: {p}")
        inputs[str(p)] = file_digest(p)
    return {
        "schema": STAMP_SCHEMA,
        "notebook": file_digest(notebook_path),
        "inputs": inputs,
        # The code, not only the package version: an edited module makes every page stale.
        "code": code_version(),
        "versions": {
            "smartcity_utils": __version__,
            "papermill": version("papermill"),
            "nbconvert": version("nbconvert"),
        },
    }


def _job_digest(run_digest: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    payload = json.dumps({"run": run_digest, "parameters": parameters}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
