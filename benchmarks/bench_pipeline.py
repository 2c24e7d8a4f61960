"""Time the pipeline's steps: simulate, clean and analyse the national set; analyse the example; an unchanged rerun.

Prints (no assertions on time), each step in a process of its own, as a user runs it:

* the national simulated set (514 regencies): ``python -m smartcity_simulator --national``,
  ``smartcity clean`` and ``smartcity analyse`` (with the driver models in a second process,
  the default on two cores, and in one process), and their total;
* the bundled example: ``smartcity analyse --force`` in two processes and in one, then
  ``smartcity analyse`` again on unchanged inputs (the step is skipped);
* the wall time of each, and the cores the machine has.

Usage::

    python benchmarks/bench_pipeline.py              # all of it (about three minutes on two cores)
    python benchmarks/bench_pipeline.py --example    # the example only (under a minute)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smartcity_utils import paths
from smartcity_utils.analysis.parallel import PROCESSES_VARIABLE


def timed(label: str, command: list[str], env: dict[str, str] | None = None) -> float:
    """Run ``command``; print and return its wall time. A failing step stops the benchmark with its output."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(f"  {label:<52} {seconds:7.1f} s")
    return seconds


def smartcity(*args: str) -> list[str]:
    return [sys.executable, "-m", "smartcity_utils", *args]


def national(work: Path) -> None:
    raw, processed = work / "national_raw", work / "national_processed"
    print("national simulated set (514 regencies)")
    steps = [timed("simulate (python -m smartcity_simulator --national)",
                   [sys.executable, "-m", "smartcity_simulator", "--national", "--out", str(raw)]),
             timed("clean (smartcity clean)",
                   smartcity("clean", "--raw", str(raw), "--out", str(processed), "--quiet")),
             timed("analyse, driver models beside the rest", smartcity("analyse", "--processed", str(processed)))]
    print(f"  {'simulate + clean + analyse':<52} {sum(steps):7.1f} s")
    timed("analyse again, one process (--force)", smartcity("analyse", "--force", "--processed", str(processed)),
          {PROCESSES_VARIABLE: "1"})


def example(work: Path) -> None:
    processed = work / "example_processed"
    print("bundled example")
    timed("clean (smartcity clean --example)", smartcity("clean", "--example", "--out", str(processed), "--quiet"))
    timed("analyse, driver models beside the rest (--force)",
          smartcity("analyse", "--force", "--processed", str(processed)))
    timed("analyse, one process (--force)", smartcity("analyse", "--force", "--processed", str(processed)),
          {PROCESSES_VARIABLE: "1"})
    timed("analyse again, inputs unchanged (skipped)", smartcity("analyse", "--processed", str(processed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", action="store_true", help="time the bundled example only")
    args = parser.parse_args()
    print(f"cores: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    work = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    env_data = {"SMARTCITY_DATA_DIR": str(work / "data")}
    os.environ.update(env_data)
    try:
        example(work)
        if not args.example:
            national(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"(code in {paths.PACKAGE_DIR}; on a shared machine the figures vary by some 10-20 %)")


if __name__ == "__main__":
    main()
