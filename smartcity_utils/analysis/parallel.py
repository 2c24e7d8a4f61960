"""The driver models in a second process beside the rest of the analysis, with the same results.

:func:`analysis_processes` says how many processes the analysis uses
(``SMARTCITY_ANALYSIS_PROCESSES``, else the usable cores, at most two);
:class:`beside` runs one call in a forked child that exits with its parent.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

from smartcity_utils.errors import UserError
from smartcity_utils.processes import exit_with_parent

#: Environment variable: the most processes the analysis uses (default: the cores this process may use).
PROCESSES_VARIABLE = "SMARTCITY_ANALYSIS_PROCESSES"


def analysis_processes() -> int:
    """How many processes the analysis uses: ``SMARTCITY_ANALYSIS_PROCESSES``, else the usable cores (1 or 2)."""
    value = os.environ.get(PROCESSES_VARIABLE, "").strip()
    if value:
        try:
            wanted = int(value)
        except ValueError:
            raise UserError(f"{PROCESSES_VARIABLE}={value!r} is not a whole number; set it to 1 (one process) "
                            f"or 2 (the driver models beside the rest)") from None
        if wanted < 1:
            raise UserError(f"{PROCESSES_VARIABLE}={value!r}: set it to 1 or more")
        return min(wanted, 2)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return min(cores, 2)


class beside:  # noqa: N801 - used like a function: ``beside(f, ...).result()``
    """``func(*args, **kwargs)`` in a second process while the caller goes on; ``result()`` waits for it.

    With one process (:func:`analysis_processes`), or where processes cannot
    be forked, it runs in the caller at ``result()``. Every step draws from
    its own seed, so the tables are the same bytes either way (a test holds
    this). The child exits with its parent, even one killed by ``kill -9``,
    and an exception in the child is raised again in the caller.
    """

    def __init__(self, func, *args, **kwargs) -> None:
        self._call = (func, args, kwargs)
        self._pool = None
        self._pending = None
        if analysis_processes() > 1 and "fork" in multiprocessing.get_all_start_methods():
            # Ctrl-C is held back while the child is forked, until it ignores it (else it could die with a
            # traceback before its handlers are set); the parent receives it once the child exists.
            held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                try:
                    self._pool = multiprocessing.get_context("fork").Pool(1, initializer=_child_start,
                                                                           initargs=(os.getpid(), held))
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back arrives here
                self._pending = self._pool.apply_async(func, args, kwargs)
            except BaseException:  # the child just started stops before the interrupt goes on
                self.cancel()
                raise

    def result(self):
        func, args, kwargs = self._call
        if self._pool is None:
            return func(*args, **kwargs)
        try:
            return self._pending.get()
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child (a no-op when the call runs in the caller or has ended)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _child_start(parent: int, mask: set) -> None:
    """A child of the analysis: Ctrl-C is the parent's to handle, SIGTERM (the parent stopping it) ends it at
    once, without the parent's handlers it was forked with, and it dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    exit_with_parent(parent)
