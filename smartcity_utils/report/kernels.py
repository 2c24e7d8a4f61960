"""Warm Jupyter kernels for the notebook runner: one kernel and one connected client kept across notebooks,
the time limit of a notebook, and what a failure says (the cell and the error).

Starting a kernel and importing pandas, matplotlib and statsmodels costs several seconds, usually far
more than a report's body: a worker keeps one kernel and runs successive notebooks in it, wiping the
namespace in between. It keeps one client of that kernel too: papermill's own engine connects a new
client for every notebook and waits until it is ready (jupyter_client's ``wait_for_ready`` ends with
0.2 s of listening for nothing: a small notebook takes 0.27 s instead of 0.06 s), whereas a client
connected since the kernel started is ready once for all its notebooks. Only public API: papermill's
engine registry (:func:`engine_name`) and nbclient, which connects a client only when it has none
(``NotebookClient.kc``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

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
def engine_name() -> str:
    """Register, once per process, the papermill engine that runs a notebook through a given kernel client.

    It is papermill's nbclient engine, but the notebook client receives the worker's connected client
    (``kc``, beside the kernel manager ``km``) and so neither connects nor waits for a new one; nbclient
    leaves both open, as it does not own them.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines
    from papermill.log import logger

    class ConnectedClientEngine(Engine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None, kc=None,
                                     **kwargs):  # noqa: ARG003 - papermill hands over input_path too
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                                             startup_timeout=start_timeout, log=logger, log_output=log_output,
                                             stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc
            return client.execute()

    papermill_engines.register("smartcity-connected-client", ConnectedClientEngine)
    return "smartcity-connected-client"

class WarmKernel:
    """One kernel, and one client connected to it, kept alive across several notebooks of a worker."""

    def __init__(self, max_reports: int) -> None:
        self.max_reports = max(1, max_reports)
        self.km: Any = None
        self.kc: Any = None
        self.used = 0
        self.ipc_dir: str | None = None

    def acquire(self, cwd: Path) -> tuple[Any, Any]:
        """Return a clean kernel working in ``cwd`` (its manager and its client), starting or recycling as needed."""
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
        return self.km, self.kc

    def _start(self, cwd: Path, attempts: int = 2) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        for attempt in range(attempts):
            # IPC sockets in a private folder: with TCP, workers starting
            # kernels at the same moment race for the same free ports and a
            # kernel dies with "Address already in use".
            self.ipc_dir = tempfile.mkdtemp(prefix="sc-kernel-")
            km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(self.ipc_dir, "k"))
            run_sync(km.start_kernel)(cwd=str(cwd))
            self.km, self.used = km, 0
            # The kernel's one client, ready once: its output channel is connected from now on, so no
            # output of a later notebook can be missed. No heartbeat thread: the client asks the manager
            # whether the kernel lives, and no notebook reads stdin.
            self.kc = km.client()
            self.kc.start_channels(stdin=False, hb=False)
            try:
                run_sync(self.kc.wait_for_ready)(timeout=60)
                return
            except RuntimeError:
                self.shutdown()
                if attempt + 1 == attempts:
                    raise

    def _reset(self, cwd: Path) -> bool:
        """Wipe the kernel's namespace for the next notebook; False when the kernel does not answer ``ok``."""
        from jupyter_core.utils import run_sync

        async def reset() -> bool:
            msg_id = self.kc.execute(_RESET_CODE.format(cwd=str(cwd)), silent=True, store_history=False)
            while True:
                reply = await self.kc.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"].get("status") == "ok"

        try:
            return run_sync(reset)()
        except Exception:
            return False

    def discard(self) -> None:
        """Drop the kernel after a failure so no half-run state leaks on."""
        self.shutdown()

    def kill_now(self) -> None:
        """Kill the kernel's process group at once (an interrupt: no time for a polite shutdown)."""
        km, self.km, self.kc = self.km, None, None
        if km is None:
            return
        provisioner = getattr(km, "provisioner", None)
        pgid, process = getattr(provisioner, "pgid", None), getattr(provisioner, "process", None)
        with contextlib.suppress(OSError):
            if pgid and hasattr(os, "killpg"):
                os.killpg(pgid, signal.SIGKILL)
            elif process is not None:
                process.kill()
        if process is not None:
            with contextlib.suppress(Exception):
                process.wait(timeout=5)
        if self.ipc_dir:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)
            self.ipc_dir = None

    def shutdown(self) -> None:
        """Stop the kernel, if any."""
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
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

class ReportTimeout(TimeoutError):
    """A report ran past its time limit."""

@contextlib.contextmanager
def deadline(seconds: float | None):
    """Stop the enclosed block after ``seconds`` (the time limit of one whole report).

    Each cell also has the same limit through papermill; this one bounds the
    sum. It uses SIGALRM, so it applies in a process's main thread (every
    pool worker, and ``workers=1`` called from the main thread); elsewhere
    only the per-cell limit applies.
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

def describe_failure(exc: BaseException, partial: Path) -> dict[str, Any]:
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

