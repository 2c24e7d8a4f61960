"""Warm Jupyter kernels for the notebook runner: one kernel kept alive and reset between notebooks, the
time limit of a notebook, and what a failure says (the cell and the error).

Starting a kernel and importing pandas, matplotlib and statsmodels costs several seconds, usually far
more than a report's body: a worker keeps one kernel and runs successive notebooks in it through
papermill's public ``execute_notebook(..., km=...)``, wiping the namespace in between.
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

#: How long a new client waits for a message on IOPub before it asks the kernel again (jupyter_client
#: waits 0.2 s). A new subscriber misses what the kernel published before it was connected, which on
#: a local socket takes a few milliseconds; the 0.2 s were spent idle twice per report.
IOPUB_PROBE_SECONDS = 0.02


@functools.cache
def quick_ready_client_class() -> type:
    """jupyter_client's async client, whose ``wait_for_ready`` probes IOPub every 20 ms rather than 200 ms.

    The check is the same as jupyter_client's own: ask for ``kernel_info`` on the shell channel, and
    count the kernel ready once its reply is in *and* a message has arrived on IOPub (so no output of
    the first cell can be lost); ask again until both hold, the kernel dies, or ``timeout`` passes.
    """
    import time
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class QuickReadyClient(AsyncKernelClient):
        async def _quick_wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:
                        await ensure_async(self.iopub_channel.get_msg(timeout=IOPUB_PROBE_SECONDS))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        wait_for_ready = _quick_wait_for_ready

    return QuickReadyClient


@functools.cache
def kernel_manager_class() -> type:
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
            kwargs.setdefault("client_factory", quick_ready_client_class())
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

class WarmKernel:
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
            km = kernel_manager_class()(kernel_name=KERNEL_NAME, transport="ipc",
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
        """Wipe the kernel's namespace for the next notebook; False when the kernel does not answer ``ok``.

        Only the shell channel is used: its requests wait in the socket until the kernel reads them, so
        no readiness check is needed (the reset has no output to miss).
        """
        kc = self.km.blocking_client()
        kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = kc.execute(_RESET_CODE.format(cwd=str(cwd)), silent=True, store_history=False)
            while True:
                reply = kc.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg_id:
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

    def kill_now(self) -> None:
        """Kill the kernel's process group at once (an interrupt: no time for a polite shutdown)."""
        km, self.km = self.km, None
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

class ReportTimeout(TimeoutError):
    """A report ran past its time limit."""

@contextlib.contextmanager
def deadline(seconds: float | None):
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

