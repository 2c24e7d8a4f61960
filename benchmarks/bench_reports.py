"""Benchmark the regency report runner against the naive command-line loop.

Prints (no assertions on time):

* the floor: starting a kernel and importing the report's libraries;
* the runner (``smartcity_utils.report.render_reports``) rendering the real
  report notebook for ``--n`` regencies of the national simulated set (all
  514 by default; simulated, cleaned and analysed once, reused afterwards):
  total wall time and wall time per report;
* the naive way on ``--sample`` regencies: a serial loop calling the
  ``papermill`` command then ``jupyter nbconvert --to html --no-input``,
  scaled to ``--n``;
* the speed-up and the per-report cost relative to the floor;
* the size of the reports: total of all pages and the largest one (of the
  runner's output, and of ``--sizes-of`` folders such as ``reports/``).

Usage::

    python benchmarks/bench_reports.py            # every regency of the national simulated set
    python benchmarks/bench_reports.py --quick    # a few reports, < 1 min
    python benchmarks/bench_reports.py --processed data/processed --n 40 --sizes-of reports
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

import nbformat

from smartcity_utils import paths
from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report import runner as report
from smartcity_utils.report.kernels import KERNEL_NAME

REAL_NOTEBOOK = paths.REPORT_NOTEBOOK


def kernel_floor_seconds(imports=("pandas", "matplotlib", "statsmodels.api")) -> float:
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

IMPORTS = ("pandas", "matplotlib", "statsmodels.api")

_BENCH_CELLS = [
    (
        "parameters",
        'regency = "Kabupaten Paser"\nyear = 2023\nlang = "id"\nprocessed_dir = ""\n'
        'output_dir = ""\nslug = ""',
    ),
    (
        None,
        "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
        "import statsmodels.api as sm\n"
        "from IPython.display import HTML, Markdown, display\n"
        "from smartcity_utils.report.jobs import write_report_summary",
    ),
    (
        None,
        "display(HTML('<div style=\"background:#fde68a;padding:8px\"><b>SIMULATED DATA</b></div>'))\n"
        "rng = np.random.default_rng(abs(hash(regency)) % 2**32)\n"
        "df = pd.DataFrame({'dimension': list('ABCDEF'), 'score': rng.uniform(0, 1, 6)})\n"
        "display(Markdown(f'## {regency} ({year})'))\n"
        "df",
    ),
    (
        None,
        "fig, ax = plt.subplots(figsize=(5, 3))\nax.bar(df['dimension'], df['score'])\n"
        "ax.set_title(regency)\nplt.show()",
    ),
    (
        None,
        "write_report_summary(output_dir, slug, regency=regency, year=year,\n"
        "                     final_score=float(df['score'].mean()), rank=1, simulated=True)",
    ),
]


def bundled_notebook(folder: Path) -> Path:
    """Write the benchmark notebook (pandas, matplotlib, one figure) into ``folder``."""
    cells = []
    for tag, source in _BENCH_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = [tag]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = folder / "bench_regency_profile.ipynb"
    nbformat.write(nb, path)
    return path


def synthetic_regencies(n: int) -> list[tuple[int, str]]:
    """Return ``n`` synthetic ``(id, name)`` pairs, a few with awkward names."""
    awkward = ["Kab. Paser", "Kota Bau-Bau", 'Kab. "Test"/Utara', "Kabupaten Pidië Jäya"]
    names = [awkward[i] if i < len(awkward) else f"Kabupaten Sintetis {i:03d}" for i in range(n)]
    return [(9000 + i, name) for i, name in enumerate(names)]


HERE = Path(__file__).resolve().parent


def national_data(n: int) -> tuple[Path, list[tuple[int, str]], int, float]:
    """The national-size simulated set, cleaned and analysed once (reused when present).

    Returns:
        The processed folder, ``n`` (id, name) pairs of regencies evaluated in
        the latest year, that year, and the seconds spent preparing.
    """
    import pandas as pd

    from smartcity_utils.analysis.run import run_analysis
    from smartcity_utils.clean.assemble import run_clean
    from smartcity_utils.freshness import analysis_is_stale

    raw, processed = HERE / "out" / "national_raw", HERE / "out" / "national_processed"
    t0 = time.perf_counter()
    if not any(raw.rglob("*.xlsx")):
        subprocess.run([sys.executable, "-m", "smartcity_simulator", "--national", "--out", str(raw)],
                       check=True)
    if not (processed / "regency_year.parquet").exists():
        run_clean(raw, processed)
    if analysis_is_stale(processed):
        run_analysis(processed)
    ry = pd.read_parquet(processed / "regency_year.parquet")
    year = int(ry["year"].max())
    pairs = sorted(set(zip(ry.loc[ry["year"] == year, "regency_id"].astype(int),
                           ry.loc[ry["year"] == year, "regency"])), key=lambda p: p[1])
    return processed, pairs[:n], year, time.perf_counter() - t0


def report_sizes(folder: Path) -> tuple[int, int, str, int]:
    """Pages (``*.html`` but the index) in ``folder``: count, total bytes, the largest and its bytes."""
    pages = [p for p in Path(folder).glob("*.html") if p.name != paths.INDEX_PAGE]
    if not pages:
        return 0, 0, "", 0
    largest = max(pages, key=lambda p: p.stat().st_size)
    return len(pages), sum(p.stat().st_size for p in pages), largest.name, largest.stat().st_size


def print_sizes(label: str, folder: Path) -> None:
    """One line: how many reports, their total size, the mean and the largest (KB, 1 KB = 1024 bytes)."""
    n, total, name, big = report_sizes(folder)
    if not n:
        print(f"report sizes, {label}: no reports in {folder}")
        return
    print(f"report sizes, {label}: {n} reports, total {total / 1024:,.0f} KB ({total / 2**20:.1f} MB), "
          f"mean {total / n / 1024:.0f} KB, largest {name} {big / 1024:.0f} KB")


def run_runner(jobs, notebook: Path, workers: int, **kwargs) -> tuple[float, report.RunSummary]:
    """Render ``jobs`` with the runner, forcing a full render."""
    t0 = time.perf_counter()
    summary = report.render_reports(jobs, notebook, workers=workers, force=True, **kwargs)
    return time.perf_counter() - t0, summary


def run_naive(pairs, notebook: Path, out_dir: Path, year: int, lang: str, processed_dir: str = "") -> float:
    """Serial loop: ``papermill`` command, then ``jupyter nbconvert --no-input``."""
    bindir = Path(sys.executable).parent
    papermill = shutil.which("papermill", path=str(bindir)) or "papermill"
    jupyter = shutil.which("jupyter", path=str(bindir)) or "jupyter"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for regency_id, name in pairs:
        slug = report_jobs.safe_slug(name)
        out_nb = out_dir / f"{slug}.ipynb"
        subprocess.run(
            [papermill, str(notebook), str(out_nb), "-k", "python3", "--no-progress-bar",
             "-p", "regency", name, "-p", "year", str(year), "-p", "lang", lang,
             "-p", "output_dir", str(out_dir), "-p", "slug", slug,
             "-p", "processed_dir", processed_dir, "-p", "regency_id", str(regency_id),
             "--cwd", str(notebook.parent)],
            check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [jupyter, "nbconvert", "--to", "html", "--no-input", str(out_nb)],
            check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=514, help="regencies rendered by the runner (at most all)")
    parser.add_argument("--sample", type=int, default=6, help="regencies rendered the naive way")
    parser.add_argument("--notebook", type=Path, default=None, help="report notebook (default: real one if present)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="small run: n=8, sample=2")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    parser.add_argument("--processed", type=Path, default=None,
                        help="render from this processed folder (e.g. data/processed) instead of the national set")
    parser.add_argument("--sizes-of", type=Path, nargs="*", default=[], metavar="DIR",
                        help="also print the report sizes of these folders (e.g. reports)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.sample = min(args.n, 8), min(args.sample, 2)

    work = Path(tempfile.mkdtemp(prefix="bench_reports_"))
    if args.notebook is not None:
        notebook = args.notebook.resolve()
    elif REAL_NOTEBOOK.is_file():
        notebook = REAL_NOTEBOOK
    else:
        notebook = bundled_notebook(work)
    lang, processed_dir = "id", ""
    if notebook == REAL_NOTEBOOK and args.processed is not None:
        import pandas as pd

        processed = args.processed.resolve()
        ry = pd.read_parquet(processed / "regency_year.parquet")
        year = int(ry["year"].max())
        latest = ry[ry["year"] == year]
        pairs = sorted(set(zip(latest["regency_id"].astype(int), latest["regency"])), key=lambda p: p[1])[: args.n]
        processed_dir = str(processed)
        print(f"processed folder: {processed} ({len(pairs)} regencies in {year})")
    elif notebook == REAL_NOTEBOOK:
        processed, pairs, year, prep = national_data(args.n)
        processed_dir = str(processed)
        print(f"national simulated set: {processed} ({len(pairs)} regencies in {year}); "
              f"simulate/clean/analyse (computed once, reused): {prep:.1f} s")
    else:
        year, pairs = 2023, synthetic_regencies(args.n)
    args.n = len(pairs)
    print(f"notebook: {notebook}")
    print(f"reports: {args.n}, workers: {args.workers}, cpus: {os.cpu_count()}")

    try:
        kernel_floor_seconds(IMPORTS)  # warm the OS file cache first
        floors = [kernel_floor_seconds(IMPORTS) for _ in range(2)]
        floor = min(floors)
        print(f"floor (kernel start + import {', '.join(IMPORTS)}): {floor:.2f} s")

        jobs = report_jobs.plan_reports(pairs, year, lang, work / "runner")
        extra = {"extra_parameters": {"processed_dir": processed_dir}} if processed_dir else {}
        total, summary = run_runner(jobs, notebook, args.workers, progress=True, **extra)
        per_report = total / args.n
        cost = sum(r.get("elapsed", 0.0) for r in summary.results) / max(1, len(summary.results))
        print(summary.format().splitlines()[0])
        print(f"runner (process pool, warm kernels): total {total:.1f} s, {per_report:.2f} s/report wall, "
              f"{cost:.2f} s/report inside a worker")
        print_sizes("this run", work / "runner")
        for folder in args.sizes_of:
            print_sizes(str(folder), folder)

        naive = run_naive(pairs[: args.sample], notebook, work / "naive", year, lang, processed_dir)
        naive_per = naive / max(1, args.sample)
        naive_total = naive_per * args.n
        print(f"naive serial CLI loop (papermill + jupyter nbconvert): {args.sample} reports in {naive:.1f} s, "
              f"{naive_per:.2f} s/report, scaled to {args.n}: {naive_total:.0f} s")
        print(f"speed-up (naive scaled / runner): {naive_total / total:.1f}x")
        print(f"per-report wall / floor: runner {per_report / floor:.2f}, naive {naive_per / floor:.2f}")
        if summary.failed:
            print(summary.format())
            return 1
        return 0
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
