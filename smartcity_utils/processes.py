"""Child processes that never outlive the run that started them."""

from __future__ import annotations

import os
import signal
import threading
import time

#: Linux ``prctl`` option: the signal a process receives when its parent dies.
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent: int) -> None:
    """Make this process receive SIGTERM when the process that started it dies (even by ``kill -9``).

    Linux delivers it at once (``prctl(PR_SET_PDEATHSIG)``); elsewhere a
    thread checks the parent twice a second.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os.kill(os.getpid(), signal.SIGTERM)
