"""The one notebook runner: per-regency reports and the analysis notebooks, executed with papermill.

This is the runner behind ``smartcity report`` and ``smartcity notebooks``
(:func:`render_reports`; :func:`run_notebooks` plans the analysis notebooks
and calls it). The work is split so that a
run of several hundred regencies stays close to the cost of executing the
notebook body itself:

1. **Compute once, render many.** ``precompute()`` is called at most once per
   run (and only when some report actually needs rendering). It builds the
   national models/tables and caches them to files; its return value is handed
   to every notebook as the ``cache_dir`` parameter, so a report only *reads*
   national figures instead of recomputing them.
2. **Warm kernels.** Starting a Jupyter kernel and importing pandas,
   matplotlib and statsmodels costs several seconds (see
   :func:`kernel_floor_seconds`), usually far more than the report body. Each
   worker therefore keeps one kernel alive and runs successive notebooks in it
   through papermill's public ``execute_notebook(..., km=...)`` (the worker's
   kernel manager is handed over; nbclient leaves a kernel it does not own
   running). Between notebooks the kernel's namespace is wiped
   (``%reset -f``), open figures are closed and the working directory is
   restored; imported modules stay loaded, which is the whole gain. After any
   failure, or every ``max_reports_per_kernel`` reports, the kernel is
   replaced by a fresh one. ``reuse_kernels=False`` gives one fresh kernel per
   report, exactly like the papermill CLI.
3. **Parallel, in-process.** Workers are processes of a
   :class:`~concurrent.futures.ProcessPoolExecutor` (``pool="process"``, forked
   on POSIX) by default; papermill and the nbconvert HTML export run inside the
   worker, avoiding two interpreter start-ups and two heavy imports per report
   compared with calling the ``papermill`` and ``jupyter nbconvert`` commands.
   A thread pool (``pool="thread"``) gives the same throughput on 2 cores
   (60 reports: 27-28 s either way), because the kernels do the heavy work;
   processes are kept as default so the HTML export never contends for the
   caller's GIL. ``workers=1`` runs in the calling process. Kernels talk over
   IPC sockets, which avoids the TCP port race of kernels started in parallel.
4. **Skip unchanged.** Each successful report gets a stamp,
   ``<out_dir>/.stamps/<stem>.json`` (``<stem>`` is ``<slug>.<lang>``), holding a hash of the notebook bytes, the
   parameters, the input data files and the package version. A rerun skips
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

import concurrent.futures as cf
import contextlib
import functools
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from smartcity_utils.report.index_page import write_index
from smartcity_utils.report.page import export_notebook, make_exporter, write_pdf
from smartcity_utils.report.texts import LANGUAGES
from smartcity_utils.report.jobs import (
    STAMP_DIRNAME,
    ReportJob,
    _job_digest,
    _run_digest,
    _stamp_matches,
    read_report_summary,
)
from smartcity_utils.tables import atomic_write, make_temp

KERNEL_NAME = "python3"


_EXCERPT_CHARS = 400


_RESET_CODE = """\
import os as _os, sys as _sys
_os.chdir({cwd!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
get_ipython().run_line_magic("reset", "-f")
"""


@functools.cache
def _kernel_manager_class() -> type:
    """jupyter_client's kernel manager, remembering the clients it hands out.

    papermill runs a notebook in a kernel manager passed as ``km``, with
    nbclient, which leaves the channels of its client open when it does not
    own the manager (so the kernel can serve the next notebook). The runner
    closes them after each notebook; otherwise every report leaks sockets and
    a heartbeat thread. Only public API: ``KernelManager.client()``.
    """
    from jupyter_client.manager import AsyncKernelManager

    class TrackingKernelManager(AsyncKernelManager):
        """A kernel manager that can close every client it handed out."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.handed_out: list[Any] = []

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.handed_out.append(kc)
            return kc

        def close_clients(self) -> None:
            while self.handed_out:
                with contextlib.suppress(Exception):
                    self.handed_out.pop().stop_channels()

    return TrackingKernelManager


class _WarmKernel:
    """One kernel kept alive across several notebooks of a worker."""

    def __init__(self, max_reports: int) -> None:
        self.max_reports = max(1, max_reports)
        self.km: Any = None
        self.used = 0
        self.ipc_dir: str | None = None

    def acquire(self, cwd: Path) -> Any:
        """Return a clean kernel manager working in ``cwd``, starting or recycling as needed."""
        from jupyter_core.utils import run_sync

        if self.km is not None and (self.used >= self.max_reports or not run_sync(self.km.is_alive)()):
            self.shutdown()
        if self.km is None:
            self._start(cwd)
        elif self.used:
            if not self._reset(cwd):
                self.shutdown()
                return self.acquire(cwd)
        self.used += 1
        return self.km

    def _start(self, cwd: Path, attempts: int = 2) -> None:
        from jupyter_core.utils import run_sync

        for attempt in range(attempts):
            # IPC sockets in a private folder: with TCP, workers starting
            # kernels at the same moment race for the same free ports and a
            # kernel dies with "Address already in use".
            self.ipc_dir = tempfile.mkdtemp(prefix="sc-kernel-")
            km = _kernel_manager_class()(kernel_name=KERNEL_NAME, transport="ipc",
                                         ip=os.path.join(self.ipc_dir, "k"))
            run_sync(km.start_kernel)(cwd=str(cwd))
            self.km = km
            self.used = 0
            kc = km.blocking_client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=60)
                return
            except RuntimeError:
                self.shutdown()
                if attempt + 1 == attempts:
                    raise
            finally:
                kc.stop_channels()

    def _reset(self, cwd: Path) -> bool:
        kc = self.km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(
                _RESET_CODE.format(cwd=str(cwd)), store_history=False, timeout=60, output_hook=lambda msg: None
            )
            return reply["content"].get("status") == "ok"
        except Exception:
            return False
        finally:
            kc.stop_channels()

    def release(self) -> None:
        """Close the client channels the last notebook opened; the kernel stays."""
        if self.km is not None:
            self.km.close_clients()

    def discard(self) -> None:
        """Drop the kernel after a failure so no half-run state leaks on."""
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the kernel, if any."""
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        km, self.km = self.km, None
        km.close_clients()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:
            pass
        if self.ipc_dir:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)
            self.ipc_dir = None


class _Worker:
    """Executes and exports reports; one per worker process or thread."""

    def __init__(self, reuse_kernels: bool, max_reports_per_kernel: int) -> None:
        self.kernel = _WarmKernel(max_reports_per_kernel if reuse_kernels else 1)
        # Building the exporter loads its templates; do it once per worker.
        self.exporter = make_exporter()
        # The runner passes regency_id and slug on top of the notebook's
        # declared parameters; papermill would warn about them on every report.
        logging.getLogger("papermill").setLevel(logging.ERROR)

    def close(self) -> None:
        self.kernel.shutdown()

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        """Render one report; never raises for notebook failures."""
        import papermill as pm

        job: ReportJob = task["job"]
        notebook = Path(task["notebook"])
        started = time.perf_counter()
        result: dict[str, Any] = {"slug": job.stem, "regency": job.regency, "regency_id": job.regency_id}
        # Papermill writes the executed notebook here; it only replaces the
        # previous good notebook once the whole report has succeeded.
        tmp = make_temp(job.notebook, suffix=".tmp.ipynb")
        try:
            # Kernels work in the notebook's folder, as in JupyterLab.
            km = self.kernel.acquire(notebook.parent)
            try:
                with _deadline(task["timeout"]):
                    nb = pm.execute_notebook(
                        str(notebook),
                        str(tmp),
                        parameters=task["parameters"],
                        kernel_name=KERNEL_NAME,
                        execution_timeout=task["timeout"],
                        request_save_on_cell_execute=False,
                        progress_bar=False,
                        log_output=False,
                        report_mode=False,
                        km=km,
                    )
            finally:
                self.kernel.release()
            atomic_write(job.html, export_notebook(nb, job.lang, self.exporter))
            if task.get("pdf"):
                write_pdf(job.html, job.pdf)
            os.replace(tmp, job.notebook)
            job.failed_notebook.unlink(missing_ok=True)
            stamp = {
                "digest": task["digest"],
                "regency": job.regency,
                "regency_id": job.regency_id,
                "parameters": task["parameters"],
                "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            atomic_write(job.stamp, json.dumps(stamp, ensure_ascii=False, indent=2, default=str))
            result["status"] = "ok"
        except Exception as exc:  # noqa: BLE001 - one failing regency must not stop the run
            self.kernel.discard()
            job.stamp.unlink(missing_ok=True)
            result.update(_describe_failure(exc, tmp))
            if tmp.is_file() and tmp.stat().st_size:
                os.replace(tmp, job.failed_notebook)
                result["notebook"] = str(job.failed_notebook)
            result["status"] = "failed"
        finally:
            tmp.unlink(missing_ok=True)
        result["elapsed"] = round(time.perf_counter() - started, 3)
        return result


class ReportTimeout(TimeoutError):
    """A report ran past its time limit."""


@contextlib.contextmanager
def _deadline(seconds: float | None):
    """Stop the enclosed block after ``seconds`` (the time limit of one whole report).

    Each cell also has the same limit through papermill; this one bounds the
    sum. It uses SIGALRM, so it applies in a process's main thread (the
    process-pool workers, or ``workers=1``); in a thread pool only the
    per-cell limit applies.
    """
    usable = (seconds and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _expire(signum, frame):  # noqa: ARG001 - signal handler signature
        raise ReportTimeout(f"the report ran past its time limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _excerpt(source: str) -> str:
    source = source.strip()
    return source if len(source) <= _EXCERPT_CHARS else source[:_EXCERPT_CHARS] + " ..."


def _describe_failure(exc: BaseException, partial: Path) -> dict[str, Any]:
    """Summarise an exception, pointing at the failing cell when possible."""
    from papermill.exceptions import PapermillExecutionError

    info: dict[str, Any] = {"cell_index": None, "cell_source": "", "ename": type(exc).__name__, "evalue": str(exc)}
    if isinstance(exc, PapermillExecutionError):
        info.update(cell_index=exc.cell_index, cell_source=_excerpt(exc.source), ename=exc.ename, evalue=exc.evalue)
        return info
    # Timeouts and dead kernels carry no cell; papermill marks the cell it was
    # running in the partial notebook, so look there.
    try:
        import nbformat

        nb = nbformat.read(partial, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.get("metadata", {}).get("papermill", {}).get("status") in {"running", "failed"}:
                info.update(cell_index=i, cell_source=_excerpt(cell.source))
                break
    except Exception:
        pass
    if info["cell_index"] is None:
        info["traceback"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return info


# Per-process state of pool workers.
_PROCESS_WORKER: _Worker | None = None


def _init_process_worker(reuse_kernels: bool, max_reports: int) -> None:
    global _PROCESS_WORKER
    from multiprocessing import util

    _PROCESS_WORKER = _Worker(reuse_kernels, max_reports)
    # Pool workers leave through multiprocessing's exit path, which skips
    # atexit but runs these finalizers; without it warm kernels are orphaned.
    util.Finalize(_PROCESS_WORKER, _PROCESS_WORKER.close, exitpriority=10)


def _run_in_process(task: dict[str, Any]) -> dict[str, Any]:
    if _PROCESS_WORKER is None:
        raise RuntimeError("report worker not initialised")
    return _PROCESS_WORKER.run(task)


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
        precompute_seconds: Time spent in ``precompute`` (0 if not called).
        results: Per-job result dicts, in job order.
    """

    ok: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0
    index: Path | None = None
    precompute_seconds: float = 0.0
    results: list[dict[str, Any]] = field(default_factory=list)

    def format(self) -> str:
        """Return a short human-readable report of the run."""
        lines = [
            f"{self.ok} rendered, {self.skipped} unchanged (skipped), {len(self.failed)} failed "
            f"in {self.elapsed:.1f} s"
        ]
        if self.precompute_seconds:
            lines.append(f"precompute: {self.precompute_seconds:.1f} s")
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
    precompute: Callable[[], Path | None] | None = None,
    progress: bool = True,
    input_files: Iterable[str | os.PathLike[str]] = (),
    reuse_kernels: bool = True,
    max_reports_per_kernel: int = 50,
    pool: Literal["process", "thread"] = "process",
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
    folder), ``processed_dir`` (``""`` unless given in ``extra_parameters``) and
    ``cache_dir`` (what ``precompute`` returned, else ``""``), then anything in
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
        precompute: Called at most once, before the first render, to build
            and cache national tables; its return value becomes ``cache_dir``.
            It must be a function of ``input_files`` and the package version,
            which are what the stamps hash.
        progress: Show a tqdm progress bar.
        input_files: Data files the reports read; their content is hashed
            into the stamps.
        reuse_kernels: Keep one warm kernel per worker (see module doc).
        max_reports_per_kernel: Recycle a warm kernel after this many reports.
        pool: ``"process"`` or ``"thread"`` workers.
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
    if pool not in ("process", "thread"):
        raise ValueError(f"pool must be 'process' or 'thread', not {pool!r}")
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

    def parameters_for(job: ReportJob, cache_dir: str) -> dict[str, Any]:
        if job.parameters is not None:
            return {"output_dir": str(out_dir), **extra, **job.parameters}
        params: dict[str, Any] = {
            "regency": job.regency,
            "regency_id": job.regency_id,
            "year": job.year,
            "lang": job.lang,
            "slug": job.stem,
            "processed_dir": "",
            "output_dir": str(out_dir),
            "cache_dir": cache_dir,
        }
        params.update(extra)
        return params

    # The stamp leaves out the precompute cache location: the cache is a pure
    # function of the hashed inputs, and knowing it would mean running
    # precompute even when every report is up to date.
    pending: list[tuple[int, ReportJob, str]] = []
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    for i, job in enumerate(jobs):
        digest = _job_digest(run_digests[sources[job.stem]], parameters_for(job, extra.get("cache_dir", "")))
        if not force and _stamp_matches(job, digest):
            results[i] = {"slug": job.stem, "regency": job.regency, "regency_id": job.regency_id, "status": "skipped"}
            if pdf and not job.pdf.is_file():
                results[i] = _pdf_of_skipped(job, results[i])
        else:
            pending.append((i, job, digest))

    if pending:
        cache_dir = extra.get("cache_dir", "")
        if precompute is not None:
            t0 = time.perf_counter()
            produced = precompute()
            summary.precompute_seconds = time.perf_counter() - t0
            if produced is not None and "cache_dir" not in extra:
                cache_dir = str(Path(produced).resolve())
        tasks = [
            {"job": job, "notebook": str(sources[job.stem]), "parameters": parameters_for(job, cache_dir),
             "digest": digest, "timeout": timeout, "pdf": pdf}
            for _, job, digest in pending
        ]
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        done = _execute_tasks(tasks, n_workers, pool, reuse_kernels, max_reports_per_kernel, progress, label)
        for (i, _, _), res in zip(pending, done):
            results[i] = res

    final = [r for r in results if r is not None]
    summary.results = final
    summary.ok = sum(r["status"] == "ok" for r in final)
    summary.skipped = sum(r["status"] == "skipped" for r in final)
    summary.failed = [r for r in final if r["status"] == "failed"]
    if index:
        rows = []
        for job, res in zip(jobs, final):
            figures = read_report_summary(out_dir, job.stem)
            rows.append(
                {
                    "regency": job.regency,
                    "regency_id": job.regency_id,
                    "year": job.year,
                    "slug": job.stem,
                    "lang": job.lang,
                    "status": res["status"],
                    "html": job.html.name if job.html.is_file() else None,
                    "notebook": job.notebook.name if job.notebook.is_file() else None,
                    "failed_notebook": job.failed_notebook.name if job.failed_notebook.is_file() else None,
                    "figures": figures,
                }
            )
        # The index speaks the language of the run's reports (it lists the reports of every language).
        summary.index = write_index(out_dir, rows, lang=jobs[0].lang if jobs[0].lang in LANGUAGES else "en")
    summary.elapsed = time.perf_counter() - started
    return summary


def _pdf_of_skipped(job: ReportJob, result: dict[str, Any]) -> dict[str, Any]:
    """Add the missing PDF of an unchanged report; a failure fails that report only."""
    try:
        write_pdf(job.html, job.pdf)
    except Exception as exc:  # noqa: BLE001 - one failing PDF must not stop the run
        return {**result, "status": "failed", "cell_index": None, "cell_source": "", "ename": type(exc).__name__,
                "evalue": f"PDF not written: {exc}"}
    return result


def _execute_tasks(
    tasks: list[dict[str, Any]],
    n_workers: int,
    pool: str,
    reuse_kernels: bool,
    max_reports: int,
    progress: bool,
    label: str = "reports",
) -> list[dict[str, Any]]:
    """Run tasks on the chosen workers, returning results in task order."""
    from tqdm.auto import tqdm

    results: list[dict[str, Any] | None] = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=label, unit=label.rstrip("s"), disable=not progress)

    def record(i: int, res: dict[str, Any]) -> None:
        results[i] = res
        bar.update(1)
        if res["status"] == "failed":
            bar.write(f"failed: {res['regency']} ({res['ename']}: {res['evalue']})"[:300])

    try:
        if n_workers == 1:
            worker = _Worker(reuse_kernels, max_reports)
            try:
                for i, task in enumerate(tasks):
                    record(i, worker.run(task))
            finally:
                worker.close()
        elif pool == "process":
            # fork starts workers instantly and, unlike spawn, needs no
            # ``if __name__ == "__main__"`` guard in the calling script. Workers
            # create their own kernels and ZMQ contexts after the fork.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with cf.ProcessPoolExecutor(
                n_workers,
                mp_context=ctx,
                initializer=_init_process_worker,
                initargs=(reuse_kernels, max_reports),
            ) as ex:
                futures = {ex.submit(_run_in_process, t): i for i, t in enumerate(tasks)}
                for fut in cf.as_completed(futures):
                    record(futures[fut], _future_result(fut, tasks[futures[fut]]))
        else:
            local = threading.local()
            created: list[_Worker] = []
            lock = threading.Lock()

            def run_threaded(task: dict[str, Any]) -> dict[str, Any]:
                w = getattr(local, "worker", None)
                if w is None:
                    w = local.worker = _Worker(reuse_kernels, max_reports)
                    with lock:
                        created.append(w)
                return w.run(task)

            try:
                with cf.ThreadPoolExecutor(n_workers, thread_name_prefix="report") as ex:
                    futures = {ex.submit(run_threaded, t): i for i, t in enumerate(tasks)}
                    for fut in cf.as_completed(futures):
                        record(futures[fut], _future_result(fut, tasks[futures[fut]]))
            finally:
                for w in created:
                    w.close()
    finally:
        bar.close()
    return [r for r in results if r is not None]


def _future_result(fut: cf.Future, task: dict[str, Any]) -> dict[str, Any]:
    """Unwrap a future; a crashed worker becomes a failure, not a crash of the run."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001
        job: ReportJob = task["job"]
        return {
            "slug": job.stem,
            "regency": job.regency,
            "regency_id": job.regency_id,
            "status": "failed",
            "cell_index": None,
            "cell_source": "",
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "elapsed": 0.0,
        }


def kernel_floor_seconds(imports: Sequence[str] = ("pandas", "matplotlib", "statsmodels.api")) -> float:
    """Time to start a fresh kernel and import the report's libraries.

    This is the fixed cost every report pays when it gets its own kernel, and
    therefore the floor of the naive one-kernel-per-report approach.

    Args:
        imports: Modules to import in the kernel.

    Returns:
        Seconds from kernel start to the imports having finished.

    Raises:
        RuntimeError: If the imports fail in the kernel.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    code = "\n".join(f"import {name}" for name in imports) or "pass"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=600)
    started = time.perf_counter()
    try:
        with client.setup_kernel():
            client.execute_cell(nb.cells[0], 0)
            elapsed = time.perf_counter() - started
    except CellExecutionError as exc:
        raise RuntimeError(f"imports failed in the kernel: {exc}") from exc
    return elapsed


ANALYSIS_NOTEBOOKS = ("01_clean_evaluations.ipynb", "02_compare_cohorts.ipynb", "03_pillar_drivers.ipynb",
                      "04_recommendations.ipynb")


def run_notebooks(
    out_dir: str | os.PathLike[str],
    notebooks: Sequence[str | os.PathLike[str]] = ANALYSIS_NOTEBOOKS,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    timeout: int = 3600,
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
        **options: Passed on to :func:`render_reports` (``workers``,
            ``force``, ``input_files``, ``progress``, ``extra_parameters``, ...).

    Returns:
        The run summary.
    """
    from smartcity_utils.report.jobs import plan_notebooks

    jobs = plan_notebooks(notebooks, out_dir, parameters)
    return render_reports(jobs, timeout=timeout, index=False, label="notebooks", **options)
