"""The one notebook runner: per-regency reports and the analysis notebooks, executed with papermill.

This is the runner behind ``smartcity report`` and ``smartcity notebooks``
(:func:`render_reports`; :func:`run_notebooks` plans the analysis notebooks
and calls it). The work is split so that a
run of several hundred regencies stays close to the cost of executing the
notebook body itself:

1. **Compute once, render many.** The national tables are computed before the
   run (``smartcity analyse``, cached in ``data/processed/analysis/``); a
   report only *reads* them.
2. **Warm kernels.** Starting a Jupyter kernel and importing pandas,
   matplotlib and statsmodels costs several seconds (``benchmarks/bench_reports.py``
   measures it), usually far more than the report body (:mod:`~smartcity_utils.report.kernels`). Each
   worker therefore keeps one kernel alive, with one client connected to it,
   and runs successive notebooks in it through papermill's
   ``execute_notebook`` (an engine handing over the worker's kernel manager
   and client; nbclient leaves open what it does not own). Between notebooks
   the kernel's namespace is wiped (``%reset -f``), open figures are closed
   and the working directory is restored; imported modules stay loaded, which
   is the whole gain. After any failure, or every ``max_reports_per_kernel``
   reports, the kernel is replaced by a fresh one.
3. **Parallel, in-process** (:mod:`~smartcity_utils.report.workers`). Workers are processes of a
   :class:`~concurrent.futures.ProcessPoolExecutor` (forked on POSIX);
   papermill and the nbconvert HTML export run inside the worker, avoiding two
   interpreter start-ups and two heavy imports per report compared with
   calling the ``papermill`` and ``jupyter nbconvert`` commands.
   ``workers=1`` runs in the calling process. Kernels talk over IPC sockets,
   which avoids the TCP port race of kernels started in parallel.
4. **Skip unchanged.** Each successful report gets a stamp,
   ``<out_dir>/.stamps/<stem>.json`` (``<stem>`` is ``<slug>.<lang>``), holding a hash of the notebook bytes, the
   parameters, the input data files and the code version (:mod:`smartcity_utils.freshness`). A rerun skips
   jobs whose stamp matches unless ``force=True``. A failed job removes its
   stamp so the next run retries it.
5. **Atomic outputs.** Every file is written to a temporary file in the same
   folder and moved into place with :func:`os.replace`, so an interrupted or
   failing run leaves the previous good report untouched. The partially
   executed notebook of a failing report is kept as ``<stem>.failed.ipynb``.
6. **Lean, offline pages.** The HTML is nbconvert's ``basic`` output in a
   small page of :mod:`smartcity_utils.report.page` (the report's ``lang``,
   print stylesheet, no CDN scripts); ``pdf=True`` adds a PDF per report.

Notebooks report their headline figures with :func:`write_report_summary`;
the runner collects them, with every other report present in the folder, into
``<out_dir>/index.html``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartcity_utils import paths
from smartcity_utils.errors import Interrupted
from smartcity_utils.freshness import page_is_fresh
from smartcity_utils.report.index_page import scan_reports, write_index
from smartcity_utils.report.jobs import (
    INDEX_NAME,
    STAMP_DIRNAME,
    ReportJob,
    _job_digest,
    _run_digest,
    read_report_summary,
)
from smartcity_utils.report.page import write_pdf
from smartcity_utils.report.parameters import declared_parameters
from smartcity_utils.report.texts import LANGUAGES, check_lang
from smartcity_utils.report.workers import execute_tasks


@dataclass
class RunSummary:
    """Outcome of :func:`render_reports`.

    Attributes:
        ok: Reports rendered successfully in this run.
        skipped: Reports left as they were because their stamp matched.
        failed: One dict per failing report: ``regency``, ``regency_id``,
            ``slug``, ``cell_index``, ``cell_source`` (excerpt), ``ename``,
            ``evalue`` and, when kept, ``notebook`` (the partial notebook).
        elapsed: Wall time of the run in seconds.
        index: Path of the index page, if written.
        results: Per-job result dicts, in job order.
        pdf: Whether PDFs were asked for (``--pdf``).
        pdf_written: PDFs written in this run (beside a report rendered, or missing beside an unchanged one).
        pdf_kept: PDFs of unchanged reports left as they were.
        pdf_folder: Folder of the PDFs.
    """

    ok: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0
    index: Path | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    pdf: bool = False
    pdf_written: int = 0
    pdf_kept: int = 0
    pdf_folder: Path | None = None

    def format(self) -> str:
        """Return a short human-readable report of the run."""
        lines = [
            f"{self.ok} rendered, {self.skipped} unchanged (skipped), {len(self.failed)} failed "
            f"in {self.elapsed:.1f} s"
        ]
        if self.pdf:
            lines.append(f"PDF: {self.pdf_written} written, {self.pdf_kept} unchanged (kept) in {self.pdf_folder}")
        for f in self.failed:
            where = f"cell {f['cell_index']}" if f.get("cell_index") is not None else "no cell"
            lines.append(f"FAILED {f['regency']} [{f['slug']}] at {where}: {f['ename']}: {f['evalue']}")
            if f.get("cell_source"):
                lines.extend("    | " + s for s in f["cell_source"].splitlines()[:6])
            if f.get("notebook"):
                lines.append(f"    partial notebook: {f['notebook']}")
        if self.index:
            lines.append(f"index: {self.index}")
        return "\n".join(lines)

def render_reports(
    jobs: Sequence[ReportJob],
    notebook_path: str | os.PathLike[str] | None = None,
    *,
    workers: int | None = None,
    timeout: int = 600,
    force: bool = False,
    extra_parameters: Mapping[str, Any] | None = None,
    progress: bool = True,
    input_files: Iterable[str | os.PathLike[str]] = (),
    max_reports_per_kernel: int = 50,
    index: bool = True,
    pdf: bool = False,
    label: str = "reports",
) -> RunSummary:
    """Execute a notebook once per job and export HTML without code: the one runner of the package.

    It renders the per-regency reports and the analysis notebooks alike
    (:func:`run_notebooks`). A job with ``parameters`` (see
    :func:`~smartcity_utils.report.jobs.plan_notebooks`) runs its own notebook
    with exactly those parameters plus ``output_dir`` and
    ``extra_parameters``. Any other job receives the parameters ``regency`` (exact display name),
    ``regency_id``, ``year``, ``lang``, ``slug`` (the file stem ``<slug>.<lang>``), ``output_dir`` (the run's
    folder) and ``processed_dir`` (``""`` unless given in ``extra_parameters``), then anything in
    ``extra_parameters``. Kernels start in the notebook's folder, as in
    JupyterLab; all paths handed over are absolute, so the caller's working
    directory does not matter.

    Args:
        jobs: Planned jobs from :func:`plan_reports` or :func:`plan_notebooks`;
            all share one out_dir.
        notebook_path: The parameterised notebook of every job without a
            ``source`` of its own.
        workers: Parallel workers; defaults to ``os.cpu_count()``. ``1``
            runs in the calling process.
        timeout: Per-cell execution timeout in seconds.
        force: Render even when the stamp says nothing changed.
        extra_parameters: More notebook parameters, e.g. ``processed_dir``.
        progress: Show a tqdm progress bar.
        input_files: Data files the reports read; their content is hashed
            into the stamps.
        max_reports_per_kernel: Recycle a warm kernel after this many reports.
        index: Write ``<out_dir>/index.html`` at the end (every report in the folder).
        pdf: Also write ``<stem>.pdf`` beside each report (WeasyPrint).
        label: What the progress bar counts.

    Returns:
        The run summary; callers should exit non-zero if ``failed`` is
        non-empty.

    Raises:
        FileNotFoundError: If the notebook or an input file is missing.
        ValueError: If jobs use different output folders or bad options.
    """
    started = time.perf_counter()
    default = Path(notebook_path).expanduser().resolve() if notebook_path is not None else None
    sources = {job.stem: (job.source or default) for job in jobs}
    for notebook in set(sources.values()):
        if notebook is None or not Path(notebook).is_file():
            raise FileNotFoundError(f"notebook not found: {notebook}")
    if timeout is not None and timeout <= 0:
        raise ValueError("timeout must be positive")
    summary = RunSummary()
    if not jobs:
        summary.elapsed = time.perf_counter() - started
        return summary
    out_dirs = {job.out_dir for job in jobs}
    if len(out_dirs) != 1:
        raise ValueError("all jobs of a run must share one output folder")
    out_dir = out_dirs.pop()
    if len(sources) != len(jobs):
        raise ValueError("job file names must be unique; use plan_reports")
    (out_dir / STAMP_DIRNAME).mkdir(parents=True, exist_ok=True)

    extra = dict(extra_parameters or {})
    inputs = [Path(p) for p in input_files]
    run_digests = {nb: _run_digest(Path(nb), inputs) for nb in set(sources.values())}

    # The runner's own parameters go to a notebook only when it declares them (the notebook stops on
    # a name it does not know, see smartcity_utils.report.parameters); the caller's go as given.
    declared = {nb: set(declared_parameters(nb)) for nb in set(sources.values())}

    def parameters_for(job: ReportJob) -> dict[str, Any]:
        known = declared[sources[job.stem]]
        if job.parameters is not None:
            own = {"output_dir": str(out_dir)}
            return {**{k: v for k, v in own.items() if k in known}, **extra, **job.parameters}
        params: dict[str, Any] = {
            "regency": job.regency,
            "regency_id": job.regency_id,
            "year": job.year,
            "lang": job.lang,
            "slug": job.stem,
            "processed_dir": "",
            "output_dir": str(out_dir),
        }
        params = {k: v for k, v in params.items() if k in known}
        params.update(extra)
        return params

    pending: list[tuple[int, ReportJob, str]] = []
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    for i, job in enumerate(jobs):
        digest = _job_digest(run_digests[sources[job.stem]], parameters_for(job))
        if not force and page_is_fresh(job, digest):
            results[i] = {"slug": job.stem, "regency": job.regency, "regency_id": job.regency_id, "status": "skipped"}
            if pdf:
                results[i] = _pdf_of_skipped(job, results[i]) if not job.pdf.is_file() else {**results[i],
                                                                                             "pdf": "kept"}
        else:
            pending.append((i, job, digest))

    try:
        with _sigterm_interrupts():
            if pending:
                _render_pending(pending, results, sources, parameters_for, timeout, pdf, workers,
                                max_reports_per_kernel, progress, label)
    except KeyboardInterrupt as exc:
        # Stopped: the workers and kernels are gone (see execute_tasks); the index is rebuilt from
        # what is on disk, and the message says what was finished.
        if index:
            _write_run_index(out_dir, jobs, results)
        done = sum(1 for r in results if r is not None and r["status"] == "ok")
        cause = str(exc) if isinstance(exc, Interrupted) and str(exc) else "stopped by Ctrl-C"
        shown = f"; {out_dir / INDEX_NAME} lists the {len(scan_reports(out_dir))} on disk" if index else ""
        stopped = Interrupted(f"{cause}: {done} of {len(pending)} {label} rendered before the stop, "
                              f"{len(pending) - done} not rendered (their previous versions are left in place)"
                              f"{shown}")
        stopped.says_what_was_finished = True
        raise stopped from exc

    final = [r for r in results if r is not None]
    summary.results = final
    summary.ok = sum(r["status"] == "ok" for r in final)
    summary.skipped = sum(r["status"] == "skipped" for r in final)
    summary.failed = [r for r in final if r["status"] == "failed"]
    if pdf:
        summary.pdf, summary.pdf_folder = True, out_dir
        summary.pdf_kept = sum(r.get("pdf") == "kept" for r in final)
        summary.pdf_written = sum(r["status"] == "ok" or r.get("pdf") == "written" for r in final)
    if index:
        summary.index = _write_run_index(out_dir, jobs, results)
    summary.elapsed = time.perf_counter() - started
    return summary

def _render_pending(pending, results, sources, parameters_for, timeout, pdf, workers, max_reports_per_kernel,
                    progress, label) -> None:
    """Render the pending jobs; ``results`` is filled as each one ends."""
    tasks = [
        {"job": job, "notebook": str(sources[job.stem]), "parameters": parameters_for(job),
         "digest": digest, "timeout": timeout, "pdf": pdf}
        for _, job, digest in pending
    ]
    slots = [i for i, _, _ in pending]

    def record(k: int, res: dict[str, Any]) -> None:
        results[slots[k]] = res

    n_workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    execute_tasks(tasks, n_workers, max_reports_per_kernel, progress, label, on_result=record)

def _write_run_index(out_dir: Path, jobs: Sequence[ReportJob], results: list[dict[str, Any] | None]) -> Path:
    """``index.html`` from the folder, with this run's finished reports and their figures."""
    rows = []
    for job, res in zip(jobs, results):
        if res is None:
            continue  # not finished: the folder says what is there
        rows.append({
            "regency": job.regency,
            "regency_id": job.regency_id,
            "year": job.year,
            "slug": job.stem,
            "lang": job.lang,
            "status": res["status"],
            "html": job.html.name if job.html.is_file() else None,
            "notebook": job.notebook.name if job.notebook.is_file() else None,
            "failed_notebook": job.failed_notebook.name if job.failed_notebook.is_file() else None,
            "figures": read_report_summary(out_dir, job.stem),
        })
    # The index speaks the language of the run's reports (it lists the reports of every language).
    return write_index(out_dir, rows, lang=jobs[0].lang if jobs[0].lang in LANGUAGES else "en")

@contextlib.contextmanager
def _sigterm_interrupts():
    """While rendering, SIGTERM stops the run as Ctrl-C does (unless the caller already handles it)."""
    usable = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if usable else None
    if not usable or previous not in (signal.SIG_DFL, None):
        yield
        return

    def _terminate(signum, frame):  # noqa: ARG001 - signal handler signature
        raise Interrupted("stopped by SIGTERM")

    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

def _pdf_of_skipped(job: ReportJob, result: dict[str, Any]) -> dict[str, Any]:
    """Add the missing PDF of an unchanged report; a failure fails that report only."""
    try:
        write_pdf(job.html, job.pdf)
    except Exception as exc:  # noqa: BLE001 - one failing PDF must not stop the run
        return {**result, "status": "failed", "cell_index": None, "cell_source": "", "ename": type(exc).__name__,
                "evalue": f"PDF not written: {exc}"}
    return {**result, "pdf": "written"}

ANALYSIS_NOTEBOOKS = paths.ANALYSIS_NOTEBOOKS

def run_notebooks(
    out_dir: str | os.PathLike[str],
    notebooks: Sequence[str | os.PathLike[str]] = ANALYSIS_NOTEBOOKS,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    timeout: int = 3600,
    lang: str = "id",
    **options: Any,
) -> RunSummary:
    """Execute the analysis notebooks into ``out_dir`` with :func:`render_reports`.

    Everything the runner does for reports holds here: warm kernels in
    parallel, the time limit, one failing notebook not stopping the others,
    skipping unchanged notebooks, and the executed notebook beside its page
    (``02_compare_cohorts.ipynb`` and ``.html``), which the reports'
    ``index.html`` links.

    Args:
        out_dir: Folder for the executed copies and the notebooks' output files.
        notebooks: Notebook files; bare names are looked up in ``notebooks/``.
        parameters: Parameters per notebook file name (``output_dir`` is
            always ``out_dir``).
        timeout: Time limit of one notebook in seconds (an analysis
            notebook refits the national models, so longer than a report's).
        lang: Language of the pages (their ``lang`` attribute; the notebooks take it as a parameter).
        **options: Passed on to :func:`render_reports` (``workers``,
            ``force``, ``input_files``, ``progress``, ``extra_parameters``, ...).

    Returns:
        The run summary.
    """
    from smartcity_utils.report.jobs import plan_notebooks

    jobs = plan_notebooks(notebooks, out_dir, parameters, lang=check_lang(lang))
    return render_reports(jobs, timeout=timeout, index=False, label="notebooks", **options)
