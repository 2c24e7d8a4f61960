"""The runner's workers: one warm kernel each, in a forked process pool or the calling process; workers
exit with their parent, and an interrupt stops them and their kernels."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import json
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartcity_utils.processes import exit_with_parent
from smartcity_utils.report.jobs import (
    ReportJob,
)
from smartcity_utils.report.kernels import (
    KERNEL_NAME,
    WarmKernel,
    deadline,
    describe_failure,
    engine_name,
)
from smartcity_utils.report.page import export_notebook, make_exporter, write_pdf
from smartcity_utils.tables import atomic_write, make_temp


class Worker:
    """Executes and exports reports; one per worker process."""

    def __init__(self, max_reports_per_kernel: int) -> None:
        self.kernel = WarmKernel(max_reports_per_kernel)
        #: Set when the run is being stopped: a report cut short is then neither a failure nor a result.
        self.aborting = False
        self.partial: Path | None = None
        self.job: ReportJob | None = None
        # Building the exporter loads its templates; do it once per worker.
        self.exporter = make_exporter()
        # Papermill's warnings (an unknown parameter) are not needed: the runner passes only declared
        # parameters and each notebook checks them (smartcity_utils.report.parameters).
        logging.getLogger("papermill").setLevel(logging.ERROR)

    def close(self) -> None:
        self.kernel.shutdown()

    def abort(self) -> None:
        """Stop now: kill the kernel and remove what the report being written had begun.

        Every file is written beside its target and moved into place whole
        (``tables.atomic_path``), so removing the temporary files of the job
        (``.<stem>.*``) leaves the previous version of each output as it was.
        """
        self.aborting = True
        self.kernel.kill_now()
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)
        job = self.job
        if job is not None:
            for folder in (job.out_dir, job.stamp.parent):
                for leftover in folder.glob(f".{job.stem}.*"):
                    with contextlib.suppress(OSError):
                        leftover.unlink()

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        """Render one report; never raises for notebook failures."""
        import papermill as pm

        job: ReportJob = task["job"]
        notebook = Path(task["notebook"])
        started = time.perf_counter()
        result: dict[str, Any] = {"slug": job.stem, "regency": job.regency, "regency_id": job.regency_id}
        # Papermill writes the executed notebook here; it only replaces the
        # previous good notebook once the whole report has succeeded.
        self.job = job
        tmp = make_temp(job.notebook, suffix=".tmp.ipynb")
        self.partial = tmp
        try:
            # Kernels work in the notebook's folder, as in JupyterLab.
            km, kc = self.kernel.acquire(notebook.parent)
            with deadline(task["timeout"]):
                nb = pm.execute_notebook(
                    str(notebook),
                    str(tmp),
                    parameters=task["parameters"],
                    engine_name=engine_name(),
                    kernel_name=KERNEL_NAME,
                    execution_timeout=task["timeout"],
                    request_save_on_cell_execute=False,
                    progress_bar=False,
                    log_output=False,
                    report_mode=False,
                    km=km,
                    kc=kc,
                )
            atomic_write(job.html, export_notebook(nb, job.lang, self.exporter))
            if task.get("pdf"):
                write_pdf(job.html, job.pdf)
            else:
                job.pdf.unlink(missing_ok=True)  # a PDF of the page's earlier version is not this page
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
            if self.aborting:
                raise KeyboardInterrupt("the run is being stopped") from exc
            self.kernel.discard()
            job.stamp.unlink(missing_ok=True)
            result.update(describe_failure(exc, tmp))
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                # A full disk: name the folder being written; a notebook cut short is no record of the run.
                result["evalue"] = (f"the disk holding {job.html.parent} is full ({exc.strerror}); "
                                    "free space, then rerun")
            elif _whole_notebook(tmp):
                os.replace(tmp, job.failed_notebook)
                result["notebook"] = str(job.failed_notebook)
            result["status"] = "failed"
        finally:
            tmp.unlink(missing_ok=True)
            self.partial = self.job = None
        result["elapsed"] = round(time.perf_counter() - started, 3)
        return result

def _whole_notebook(path: Path) -> bool:
    """Whether ``path`` holds a notebook that reads whole (a write cut short, by a full disk say, does not)."""
    try:
        return path.is_file() and bool(path.stat().st_size) and isinstance(json.loads(path.read_bytes()), dict)
    except (OSError, ValueError):
        return False


# Per-process state of pool workers.
_PROCESS_WORKER: Worker | None = None


def _init_process_worker(max_reports: int, parent: int) -> None:
    global _PROCESS_WORKER
    from multiprocessing import util

    _PROCESS_WORKER = Worker(max_reports)
    # Pool workers leave through multiprocessing's exit path, which skips
    # atexit but runs these finalizers; without it warm kernels are orphaned.
    util.Finalize(_PROCESS_WORKER, _PROCESS_WORKER.close, exitpriority=10)
    # Ctrl-C reaches the whole process group; the parent alone decides, and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    # The worker's kernel goes with it (_stop_worker), so no process of a run outlives the run.
    exit_with_parent(parent)

def _stop_worker(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    """SIGTERM in a worker (the run is stopped, or its parent died): kill the kernel, leave at once."""
    if _PROCESS_WORKER is not None:
        _PROCESS_WORKER.abort()
    os._exit(128 + signum)

def _run_in_process(task: dict[str, Any]) -> dict[str, Any]:
    if _PROCESS_WORKER is None:
        raise RuntimeError("report worker not initialised")
    return _PROCESS_WORKER.run(task)

def execute_tasks(
    tasks: list[dict[str, Any]],
    n_workers: int,
    max_reports: int,
    progress: bool,
    label: str = "reports",
    on_result: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run tasks in the calling process (``n_workers == 1``) or a pool of processes, returning results in task order.

    ``on_result(k, result)`` is called as task ``k`` ends. On an interrupt
    (``KeyboardInterrupt``, which SIGTERM raises too) the tasks not started
    are cancelled, the workers and their kernels are stopped and waited for,
    and the interrupt goes on to the caller: nothing of the run keeps running.
    """
    from tqdm.auto import tqdm

    results: list[dict[str, Any] | None] = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=label, unit=label.rstrip("s"), disable=not progress)

    def record(i: int, res: dict[str, Any]) -> None:
        results[i] = res
        if on_result is not None:
            on_result(i, res)
        bar.update(1)
        if res["status"] == "failed":
            bar.write(f"failed: {res['regency']} ({res['ename']}: {res['evalue']})"[:300])

    try:
        if n_workers == 1:
            worker = Worker(max_reports)
            try:
                for i, task in enumerate(tasks):
                    record(i, worker.run(task))
            except BaseException:
                worker.abort()
                raise
            finally:
                worker.close()
        else:
            # fork starts workers instantly and, unlike spawn, needs no
            # ``if __name__ == "__main__"`` guard in the calling script. Workers
            # create their own kernels and ZMQ contexts after the fork.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            before = set(multiprocessing.active_children())
            ex = cf.ProcessPoolExecutor(
                n_workers,
                mp_context=ctx,
                initializer=_init_process_worker,
                initargs=(max_reports, os.getpid()),
            )
            try:
                _drain(ex, _run_in_process, tasks, record)
            except BaseException:
                ex.shutdown(wait=False, cancel_futures=True)
                _stop_processes(set(multiprocessing.active_children()) - before)
                raise
            finally:
                ex.shutdown(wait=True)
    finally:
        bar.close()
    return [r for r in results if r is not None]

#: Seconds a stopped worker has to kill its kernel and leave before it is killed.
_STOP_GRACE_SECONDS = 10

def _stop_processes(processes: set) -> None:
    """SIGTERM each worker (it kills its kernel and leaves), then wait; SIGKILL what is left."""
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            with contextlib.suppress(Exception):
                proc.kill()
            proc.join(5)

def _drain(ex: cf.Executor, run: Callable[[dict[str, Any]], dict[str, Any]], tasks: list[dict[str, Any]],
           record: Callable[[int, dict[str, Any]], None]) -> None:
    """Submit every task to ``ex`` and record each result (task number, result) as it ends."""
    futures = {ex.submit(run, t): i for i, t in enumerate(tasks)}
    for fut in cf.as_completed(futures):
        record(futures[fut], _future_result(fut, tasks[futures[fut]]))


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
