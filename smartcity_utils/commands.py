"""One function per ``smartcity`` subcommand; ``run`` is plain calls of the others.

Each function takes ordinary keyword arguments (no ``argparse`` objects), prints
what a user needs to see and returns the exit status. User errors are raised as
:class:`smartcity_utils.errors.UserError` and printed by the command line as one
line.
"""

from __future__ import annotations

import os
from pathlib import Path

from smartcity_utils import paths


def clean(raw_dir: str | Path | None, out_dir: str | Path, progress: bool = True) -> int:
    """Read every file of ``raw_dir``, write the validated tables and rejects to ``out_dir``.

    Without ``raw_dir``: the user's ``data/raw`` when it holds data files, else
    the bundled simulated example (``paths.default_raw_dir``); the choice is printed.
    """
    from smartcity_utils.clean import run_clean

    if raw_dir is None:
        raw_dir = paths.default_raw_dir()
        which = ("your files" if raw_dir == paths.RAW_DIR else
                 "the bundled simulated example (data/raw/ holds no data files of yours)")
        print(f"reading {raw_dir}: {which}")
    cleaned = run_clean(Path(raw_dir), Path(out_dir), progress=progress)
    m = cleaned.manifest
    print(f"cleaned {len(m)} files: {int(m.rows_read.sum())} rows read, {int(m.rows_kept.sum())} kept, "
          f"{int(m.rows_rejected.sum())} rows and {len(cleaned.rejects)} values listed in rejects "
          f"-> {out_dir}")
    if len(cleaned.rejects):
        top = cleaned.rejects["reason"].value_counts().head(8)
        print("rejects by reason: " + ", ".join(f"{k} {v}" for k, v in top.items()))
    return 0


def analyse(processed_dir: str | Path, seed: int = 0) -> int:
    """Index reconciliation, ranks, rank uncertainty and driver tables into ``<processed>/analysis``."""
    from smartcity_utils.analysis.run import run_analysis

    written = run_analysis(Path(processed_dir), seed=seed)
    print(f"analysis tables written: {', '.join(sorted(p.name for p in written))}")
    return 0


def notebooks(out_dir: str | Path, processed_dir: str | Path) -> int:
    """Execute the analysis notebooks 01 to 03 into ``out_dir`` (notebook and HTML)."""
    from smartcity_utils.report.runner import ANALYSIS_NOTEBOOKS, run_notebooks

    # The cleaning has its own command; notebook 01 only summarises its outputs here.
    parameters = {name: {"processed_dir": str(processed_dir)} for name in ANALYSIS_NOTEBOOKS}
    parameters["01_clean_evaluations.ipynb"]["run_cleaning"] = False
    for path in run_notebooks(Path(out_dir), parameters=parameters):
        print(f"executed {path}")
    return 0


def report(regencies: list[str], cohort: int | None = None, every: bool = False, lang: str = "id",
           year: int | None = None, workers: int | None = None, force: bool = False,
           out_dir: str | Path = paths.REPORTS_DIR, timeout: int = 600, progress: bool = True,
           processed_dir: str | Path | None = None) -> int:
    """Render the reports asked for; exit status 1 when any report failed."""
    from smartcity_utils.analysis.run import load_processed, run_analysis
    from smartcity_utils.analysis.run import processed_folder as resolve_processed
    from smartcity_utils.regencies import resolve_regencies
    from smartcity_utils.report.jobs import plan_reports
    from smartcity_utils.report.profile import report_inputs
    from smartcity_utils.report.runner import render_reports
    from smartcity_utils.report.select import (
        REPORT_NOTEBOOK,
        analysis_is_stale,
        choose_regencies,
    )

    resolve_regencies(regencies)  # unknown names stop here, before any data is read
    folder = resolve_processed(processed_dir)
    regency_year = load_processed(folder, ("regency_year",))["regency_year"]
    # One year for the whole run, so that the index compares like with like.
    year = year if year is not None else int(regency_year["year"].max())
    chosen = choose_regencies(regency_year, regencies, cohort, every, year)
    jobs = plan_reports(chosen, year, lang, Path(out_dir))

    def precompute() -> Path:
        if analysis_is_stale(folder):
            run_analysis(folder)
        return paths.analysis_dir(folder)

    if not progress:
        os.environ["TQDM_DISABLE"] = "1"
    summary = render_reports(jobs, REPORT_NOTEBOOK, workers=workers, timeout=timeout, force=force,
                             extra_parameters={"processed_dir": str(folder)}, precompute=precompute,
                             progress=progress, input_files=report_inputs(folder))
    print(summary.format())
    return 1 if summary.failed else 0


def drivers(table: str, target: str, pillars: list[str] | None = None, as_json: bool = False) -> int:
    """The driver analysis on any CSV table with one row per unit."""
    from smartcity_utils.analysis.drivers.command import drivers_command

    return drivers_command(table, target, pillars, as_json)


def template(out: str | Path, assessors: int = 4) -> int:
    """Write an Excel template for assessor score sheets."""
    from smartcity_utils.clean.template import write_template

    path = write_template(Path(out), n_assessors=assessors)
    print(f"template written to {path}")
    return 0


def run(workers: int | None = None, progress: bool = True) -> int:
    """The main job: clean, analyse, execute the notebooks and render every report."""
    steps = [
        ("clean", lambda: clean(None, paths.PROCESSED_DIR, progress=progress)),
        ("analyse", lambda: analyse(paths.PROCESSED_DIR)),
        ("notebooks", lambda: notebooks(paths.ANALYSIS_REPORTS_DIR, paths.PROCESSED_DIR)),
        ("report", lambda: report([], every=True, lang="id", workers=workers, out_dir=paths.REPORTS_DIR,
                                  progress=progress)),
    ]
    for name, step in steps:
        print(f"== {name}")
        status = step()
        if status:
            return status
    print(f"done: open {paths.REPORTS_DIR / paths.INDEX_PAGE}")
    return 0
