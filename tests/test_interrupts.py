"""Interrupts stop a run: no worker or kernel outlives `smartcity report`, and index.html lists what is on disk.

Each test starts `smartcity report --all --workers 2` on the bundled example
in a process of its own, waits until three reports are written, stops it
(SIGTERM, Ctrl-C to its process group, or kill -9) and checks that every
process it had started is gone, that no half-written file is left and,
after SIGTERM and Ctrl-C, that index.html links exactly the pages on disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from fixtures.example_run import processed_example

from smartcity_utils.paths import LOCK_FILE

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _pages(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.html") if p.name != "index.html")


def _alive(processes: list[psutil.Process]) -> list[int]:
    alive = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a command started from a shell without job control (a CI script run in
    the background) inherits SIGINT ignored, and would never see the Ctrl-C these tests send."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(proc: subprocess.Popen, how: str, started: list[psutil.Process]) -> tuple[str, str]:
    """Stop ``proc`` as a user would (``sigterm``, ``ctrl-c`` to its process group, ``kill-9``), collect its
    output, and give the processes it started a few seconds to see their parent gone."""
    try:
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        else:
            os.kill(proc.pid, signal.SIGKILL if how == "kill-9" else signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while _alive(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    return stdout, stderr


def _stop_mid_run(tmp_path: Path, processed: Path, how: str) -> tuple[subprocess.CompletedProcess, list, Path]:
    out = tmp_path / "reports"
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(tmp_path / "data"),
           "SMARTCITY_REPORTS_DIR": str(out), "TQDM_DISABLE": "1"}
    cmd = [sys.executable, "-m", "smartcity_utils", "report", "--all", "--workers", "2", "--quiet",
           "--processed", str(processed), "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 180
        while len(_pages(out)) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no report was written in 3 minutes"
            time.sleep(0.2)
        started = psutil.Process(proc.pid).children(recursive=True)
        assert len(started) >= 4  # two workers, each with its kernel
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    stdout, stderr = _stop(proc, how, started)  # workers see their parent die (kill -9) within moments
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), started, out


def _index_links(out: Path) -> list[str]:
    page = (out / "index.html").read_text(encoding="utf-8")
    return sorted({h for h in re.findall(r'href="([^"]+)"', page) if h.endswith(".html") and "/" not in h})


def _leftovers(out: Path) -> list[str]:
    """Temporary files (``.<name>.<random>``): what a write cut short would leave (not the lock, nor the record
    of the pages' data source)."""
    from smartcity_utils.report.generations import SOURCE_FILE

    return sorted(p.name for p in out.rglob(".*") if p.is_file() and p.name not in (LOCK_FILE, SOURCE_FILE))


@pytest.mark.parametrize("how, status", [("sigterm", 143), ("ctrl-c", 130)])
def test_stopping_report_stops_every_worker_and_kernel_and_rebuilds_the_index(tmp_path_factory, tmp_path, how,
                                                                               status):
    done, started, out = _stop_mid_run(tmp_path, processed_example(tmp_path_factory), how)
    assert done.returncode == status, done.stderr
    assert not _alive(started), "processes of the run outlived it"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    cause = "SIGTERM" if how == "sigterm" else "Ctrl-C"
    assert re.match(rf"smartcity: interrupted: stopped by {cause}: (\d+) of (\d+) reports rendered before the stop",
                    lines[0]), lines[0]
    pages = _pages(out)
    assert _index_links(out) == pages and len(pages) >= 3
    assert f"index.html lists the {len(pages)} on disk" in lines[0]
    assert not _leftovers(out)


def test_kill_9_of_report_leaves_no_process_and_no_half_written_file(tmp_path_factory, tmp_path):
    done, started, out = _stop_mid_run(tmp_path, processed_example(tmp_path_factory), "kill-9")
    assert done.returncode == -signal.SIGKILL
    assert not _alive(started), "workers or kernels outlived their parent"
    pages = _pages(out)
    time.sleep(1)
    assert _pages(out) == pages  # nothing is written after the kill
    for page in pages:
        assert (out / page).read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not _leftovers(out)


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c", "kill-9"])
def test_stopping_analyse_stops_its_driver_process_and_keeps_the_previous_tables(tmp_path_factory, tmp_path,
                                                                                 how):
    import shutil

    from smartcity_utils import paths

    processed = tmp_path / "processed"
    shutil.copytree(processed_example(tmp_path_factory), processed)
    before = {p.name: p.read_bytes() for p in paths.analysis_dir(processed).iterdir() if p.is_file()}
    markers = _leftovers(processed)  # the cleaning's completion marker, not a leftover
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(tmp_path / "data"), "SMARTCITY_ANALYSIS_PROCESSES": "2"}
    cmd = [sys.executable, "-m", "smartcity_utils", "analyse", "--force", "--processed", str(processed)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 120
        started: list[psutil.Process] = []
        while not started:  # the driver models' process
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the analysis started no second process in 2 minutes"
            time.sleep(0.1)
            started = psutil.Process(proc.pid).children(recursive=True)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    _, stderr = _stop(proc, how, started)
    assert not _alive(started), "the driver models' process outlived the analysis"
    # Ctrl-C: status 130, or (seen twice in some 70 runs under load, not reproduced alone) an end by SIGINT
    # after the one line was said, which a shell reports as 130 too.
    expected = {"sigterm": {143}, "ctrl-c": {130, -signal.SIGINT}, "kill-9": {-signal.SIGKILL}}[how]
    assert proc.returncode in expected, (proc.returncode, stderr)
    if how != "kill-9":
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    after = {p.name: p.read_bytes() for p in paths.analysis_dir(processed).iterdir() if p.is_file()}
    assert after == before  # stopped before it wrote: the previous analysis stands whole
    assert _leftovers(processed) == markers
