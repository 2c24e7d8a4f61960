"""One function per ``smartcity`` subcommand; ``run`` is plain calls of the others.

Each function takes ordinary keyword arguments (no ``argparse`` objects), prints
what a user needs to see and returns the exit status. User errors are raised as
:class:`smartcity_utils.errors.UserError` and printed by the command line as one
line.
"""

from __future__ import annotations

import csv
import os
import warnings
from contextlib import ExitStack
from pathlib import Path

from smartcity_utils import paths
from smartcity_utils.errors import UserError, printable

#: Parallel workers a report run may start, per CPU core: each holds a kernel of 150 to 250 MB and
#: the kernels do the heavy work, so more workers than this only add memory.
WORKERS_PER_CORE = 4


def max_workers() -> int:
    """The most ``--workers`` accepted: :data:`WORKERS_PER_CORE` per CPU core."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_workers(workers: int | None) -> None:
    """``--workers``: empty (one per core) or a whole number from 1 to :func:`max_workers`.

    Raises:
        UserError: naming the value and the range.
    """
    if workers is not None and not 1 <= workers <= max_workers():
        raise UserError(f"--workers {workers}: give a number of parallel workers from 1 to {max_workers()} "
                        f"({WORKERS_PER_CORE} per CPU core); leave it out for one per core")


def check_timeout(timeout: int | float) -> None:
    """``--timeout``: a time limit of 1 second or more.

    Raises:
        UserError: naming the value.
    """
    if not timeout >= 1:
        raise UserError(f"--timeout {timeout}: give the time limit of one report in seconds, 1 or more "
                        "(default 600)")


def _locks(stack: ExitStack, command: str, *folders: str | Path) -> None:
    """Hold the lock of each folder a command writes or reads from while another could write it."""
    from smartcity_utils.tables import folder_lock

    for folder in dict.fromkeys(Path(f).resolve() for f in folders):
        stack.enter_context(folder_lock(folder, command))


def _new_generation(stack: ExitStack, command: str, reports_dir: str | Path, processed: Path) -> None:
    """Lock the reports folder and move aside its pages of another data source (one line when it does)."""
    from smartcity_utils.report.generations import start_generation

    _locks(stack, command, reports_dir)
    line = start_generation(reports_dir, processed)
    if line:
        print(line)


def raw_folders_of(processed_dir: str | Path | None) -> list[str]:
    """The raw folders the processed tables were cleaned from (the manifest's ``raw_folder``), so that no output
    of a later command goes into one (``--raw /some/folder`` is not only ``data/raw``)."""
    from smartcity_utils.tables import processed_folder

    manifest = paths.table_file(processed_folder(processed_dir), "manifest", ".csv")
    try:
        with open(manifest, encoding="utf-8", newline="") as fh:
            return sorted({row["raw_folder"] for row in csv.DictReader(fh) if row.get("raw_folder")})
    except (OSError, csv.Error, UnicodeDecodeError):
        return []  # no cleaning yet: the command says so itself


def clean(raw_dir: str | Path | None, out_dir: str | Path, progress: bool = True, example: bool = False,
          with_example: bool = False, force: bool = False) -> int:
    """Read every file of the raw folder(s), write the validated tables and rejects to ``out_dir``.

    Without ``raw_dir``: the user's ``data/raw`` when it holds data files, else
    the bundled simulated example (``paths.default_raw_dir``). ``example``
    reads the example only, ``with_example`` the user's folder and the example
    (real and simulated rows are still never averaged). The folders read are
    printed, and listed per file in the manifest (``raw_folder``). Skipped when ``out_dir`` holds, whole, the
    tables cleaned from the same raw files by the same code with the same reading limits (``force`` cleans
    anyway); the summary is then read from those tables.
    """
    from smartcity_utils.clean import run_clean
    from smartcity_utils.clean.assemble import clean_digest
    from smartcity_utils.freshness import tables_are_fresh
    from smartcity_utils.tables import read_tables

    folders = paths.raw_folders(raw_dir, example=example, with_example=with_example)
    for folder in folders:
        note = paths.describe_raw_folder(folder)
        if raw_dir is None and not example and not with_example and paths.is_example(folder):
            note += f" ({paths.RAW_DIR} holds no data files of yours)"
        print(f"reading {printable(folder)}: {note}")
    raw = folders if len(folders) > 1 else folders[0]
    paths.check_outside_raw(out_dir, "--out", folders)
    if not force and tables_are_fresh(out_dir, clean_digest([Path(f) for f in folders])):
        print(f"raw files unchanged: {printable(out_dir)} was cleaned from these files by this code "
              "(--force cleans again)")
        tables = read_tables(Path(out_dir), ("manifest", "rejects"), "smartcity clean")
        m, rejects = tables["manifest"], tables["rejects"]
        verb = "cleaned before"
    else:
        cleaned = run_clean(raw, Path(out_dir), progress=progress)
        m, rejects, verb = cleaned.manifest, cleaned.rejects, "cleaned"
    print(f"{verb} {len(m)} files: {int(m.rows_read.sum())} rows read, {int(m.rows_kept.sum())} kept, "
          f"{int(m.rows_rejected.sum())} rows and {len(rejects)} values listed in rejects "
          f"-> {printable(out_dir)}")
    for row in m.itertuples():
        notes = []
        if row.rows_rejected or row.values_rejected:
            notes.append(f"{int(row.rows_rejected)} of {int(row.rows_read)} rows rejected "
                         f"({row.top_reject_reasons})")
        if row.ignored_columns:
            notes.append(f"columns ignored: {row.ignored_columns}")
        if row.sheets_skipped:
            notes.append(f"sheets skipped: {row.sheets_skipped}")
        if getattr(row, "hidden_sheets", ""):
            notes.append(f"hidden sheets listed, not read: {row.hidden_sheets}")
        if "mixed" in str(getattr(row, "encoding", "") or ""):
            notes.append(f"encoding {row.encoding}")
        if notes:
            print(f"  {printable(row.source_file)}: " + printable("; ".join(notes)))
    if len(rejects):
        top = rejects["reason"].value_counts().head(8)
        print("rejects by reason: " + ", ".join(f"{k} {int(v)}" for k, v in top.items()))
        print(f"each reject with its file, sheet, row and a suggested fix: {printable(Path(out_dir) / 'rejects.csv')}")
    return 0


def analyse(processed_dir: str | Path, seed: int = 0, force: bool = False,
            shared_error_sd: float | None = None) -> int:
    """Index reconciliation, ranks, rank uncertainty and driver tables into ``<processed>/analysis``.

    Skipped when the cached analysis was computed from the same processed tables, by the same code,
    with the same settings (``force`` computes it anyway).
    """
    from smartcity_utils.analysis.run import analysis_settings, run_analysis
    from smartcity_utils.analysis.summary import analysis_summary
    from smartcity_utils.errors import DataNote
    from smartcity_utils.freshness import analysis_is_stale

    if seed < 0:
        raise UserError(f"--seed {seed}: give 0 or a positive whole number")
    if shared_error_sd is not None and not (0 <= shared_error_sd < 4):
        raise UserError(f"--shared-error-sd {shared_error_sd}: give a size in index points, 0 or more (e.g. 0.06)")
    paths.check_outside_raw(paths.analysis_dir(processed_dir), "--processed")
    with ExitStack() as stack, warnings.catch_warnings(record=True) as caught:
        _locks(stack, "analyse", processed_dir)
        if not force and not analysis_is_stale(Path(processed_dir), analysis_settings(seed,
                                                                                      shared_error_sd=shared_error_sd)):
            print(f"analysis unchanged: {paths.analysis_dir(processed_dir)} was computed from these processed "
                  "tables by this code (--force computes it again)")
            print(analysis_summary(processed_dir))
            return 0
        warnings.simplefilter("always", DataNote)
        written = run_analysis(Path(processed_dir), seed=seed, shared_error_sd=shared_error_sd)
    # A note of ours the user should act on (a year without weights, say) is printed once, as one line;
    # warnings of the libraries are shown as they are.
    ours = [w for w in caught if issubclass(w.category, DataNote)]
    for w in caught:
        if w not in ours:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    for message in dict.fromkeys(str(w.message) for w in ours):
        print(f"note: {message}")
    print(f"analysis tables written: {', '.join(sorted(p.name for p in written))}")
    print(analysis_summary(processed_dir))
    return 0


def notebooks(out_dir: str | Path, processed_dir: str | Path, workers: int | None = None, force: bool = False,
              progress: bool = True, lang: str = "id") -> int:
    """Execute the analysis notebooks (01 to 04, and 06 on the published record) into ``out_dir`` (notebook and
    HTML) in ``lang``; 1 when one failed.

    They run through the report runner: in parallel, each with a time limit,
    skipped when neither they nor the processed tables changed.
    """
    from smartcity_utils.report.texts import check_lang

    check_lang(lang)
    from smartcity_utils.analysis.gate import analysis_coverage
    from smartcity_utils.analysis.recommendations import coverage as recommendations_coverage
    from smartcity_utils.report.generations import reports_root
    from smartcity_utils.report.runner import ANALYSIS_NOTEBOOKS, run_notebooks
    from smartcity_utils.tables import processed_folder

    check_workers(workers)
    paths.check_outside_raw(out_dir, "--out", raw_folders_of(processed_dir))
    folder = processed_folder(processed_dir)
    with ExitStack() as stack:
        _new_generation(stack, "notebooks", reports_root(out_dir), folder)
        _locks(stack, "notebooks", folder, out_dir)
        # A page the data cannot carry is not executed; its executed copies from an earlier run are removed,
        # so that the report index never links a page about other data.
        coverage = analysis_coverage(folder)
        needs = {paths.COHORTS_NOTEBOOK: coverage["cohorts"], paths.DRIVERS_NOTEBOOK: coverage["drivers"],
                 paths.RECOMMENDATIONS_NOTEBOOK: recommendations_coverage(folder)}
        chosen = [name for name in ANALYSIS_NOTEBOOKS if needs.get(name) is None]
        for name, reason in needs.items():
            if reason is not None:
                print(f"{Path(name).stem} skipped: it {reason}")
                for stale in Path(out_dir).glob(f"{Path(name).stem}.*"):
                    stale.unlink()
        # The notebooks read any processed or analysis table: all of them go into the stamps.
        inputs = paths.table_files(folder) + paths.table_files(paths.analysis_dir(folder)) + list(paths.RECORD_FILES)
        # The cleaning has its own command; notebook 01 only summarises its outputs here.
        # Notebook 06 reads the bundled published record, never the processed tables: it takes the language only.
        parameters = {name: {"lang": lang} if name == paths.RECORD_NOTEBOOK else {"processed_dir": str(folder),
                                                                                 "lang": lang} for name in chosen}
        parameters[paths.CLEANING_NOTEBOOK]["run_cleaning"] = False
        summary = run_notebooks(Path(out_dir), notebooks=chosen, parameters=parameters, workers=workers,
                                force=force, progress=progress, input_files=inputs, lang=lang)
    print(summary.format())
    return 1 if summary.failed else 0


def report(regencies: list[str], cohort: int | None = None, every: bool = False, lang: str = "id",
           year: int | None = None, workers: int | None = None, force: bool = False,
           out_dir: str | Path = paths.REPORTS_DIR, timeout: int = 600, progress: bool = True,
           processed_dir: str | Path | None = None, pdf: bool = False,
           compare: list[str] | None = None) -> int:
    """Render the reports asked for; exit status 1 when any report failed.

    With ``compare`` (two or more names), render one comparison report of
    those regencies side by side instead; ``pdf`` adds a PDF beside each report.
    """
    from smartcity_utils.regencies import identify
    from smartcity_utils.report.texts import check_lang
    from smartcity_utils.tables import processed_folder as resolve_processed

    check_lang(lang)
    check_workers(workers)
    check_timeout(timeout)
    paths.check_outside_raw(out_dir, "--out", raw_folders_of(processed_dir))
    # Every name is identified here, once; unknown names stop here, before any data is read.
    subjects = identify(list(regencies) + list(compare or []), year, lang)
    named, compared = subjects[:len(regencies)], subjects[len(regencies):]
    folder = resolve_processed(processed_dir)
    with ExitStack() as stack:
        _locks(stack, "report", folder)
        _new_generation(stack, "report", out_dir, folder)
        return _report(named, cohort, every, lang, year, workers, force, out_dir, timeout, progress, folder,
                       pdf, compared)


def focus(regencies: list[str], workers: int | None = None, force: bool = False,
          out_dir: str | Path = paths.REPORTS_DIR, progress: bool = True, processed_dir: str | Path | None = None,
          pdf: bool = True) -> int:
    """A few regencies in every language: each one's report (with a PDF) and their comparison report.

    One process for all of it (``make all`` renders the focus regencies so). Indonesian comes last, so the
    index page speaks it, as after ``smartcity run``. Exit status 1 when any report failed.
    """
    from smartcity_utils.report.texts import LANGUAGES

    paths.check_outside_raw(out_dir, "--out", raw_folders_of(processed_dir))
    if len(regencies) < 2:
        raise UserError(f"smartcity focus {' '.join(regencies)}: name two regencies or more (a comparison "
                        "report needs them), e.g. smartcity focus Kukar Paser Kotim")
    status = 0
    for lang in sorted(LANGUAGES, key=lambda code: code == "id"):
        common = {"lang": lang, "workers": workers, "force": force, "out_dir": out_dir, "progress": progress,
                  "processed_dir": processed_dir, "pdf": pdf}
        status |= report(regencies, **common)
        status |= report([], compare=regencies, **common)
    return status


def _report(subjects, cohort, every, lang, year, workers, force, out_dir, timeout, progress, folder, pdf,
            compared) -> int:
    """Render the reports of regencies identified by :func:`report` (``subjects``, or ``compared`` side by side)."""
    from smartcity_utils.errors import UserError
    from smartcity_utils.freshness import analysis_is_stale
    from smartcity_utils.report.jobs import plan_reports
    from smartcity_utils.report.profile import report_inputs
    from smartcity_utils.report.runner import render_reports
    from smartcity_utils.report.select import (
        COMPARE_NOTEBOOK,
        REPORT_NOTEBOOK,
        choose_regencies,
        comparison_job,
    )
    from smartcity_utils.tables import load_analysis, load_processed

    regency_year = load_processed(folder, ("regency_year",))["regency_year"]
    if regency_year.empty:
        raise UserError(f"{folder / 'regency_year.parquet'} holds no regency-year: the raw files gave no score, "
                        "index or rank; add evaluation files to the raw folder and run `smartcity clean`")
    # Reports read the analysis tables, and their stamps hash them: a missing or stale analysis is
    # brought up to date first (every report would be rendered again anyway: its inputs changed).
    if analysis_is_stale(folder):
        print("the analysis is missing or older than the processed tables: running `smartcity analyse` first")
        analyse(folder)
    index_ranks = load_analysis(folder, ("index_ranks",))["index_ranks"]
    # By default each regency's report is of its latest year with an index (a reported one, or
    # dimension weights to compute one); --year sets one year for every report.
    extra = {"processed_dir": str(folder.resolve())}  # absolute: the notebooks run in another folder
    if compared:
        job, names, ids = comparison_job(index_ranks, compared, year, lang, Path(out_dir))
        jobs, notebook = [job], COMPARE_NOTEBOOK
        extra.update(regencies=names, regency_ids=ids)
    else:
        chosen = choose_regencies(index_ranks, subjects, cohort, every, year, lang)
        jobs, notebook = plan_reports(chosen, year, lang, Path(out_dir)), REPORT_NOTEBOOK

    if not progress:
        os.environ["TQDM_DISABLE"] = "1"
    summary = render_reports(jobs, notebook, workers=workers, timeout=timeout, force=force,
                             extra_parameters=extra, progress=progress, input_files=report_inputs(folder), pdf=pdf)
    print(summary.format())
    return 1 if summary.failed else 0


def drivers(table: str, target: str, pillars: list[str] | None = None, as_json: bool = False) -> int:
    """The driver analysis on any CSV table with one row per unit."""
    from smartcity_utils.analysis.drivers.command import drivers_command
    from smartcity_utils.report.drivers import result_words

    return drivers_command(table, target, pillars, as_json, words=lambda results: result_words(results, "en"))


def export(out: str | Path | None = None, processed_dir: str | Path | None = None, lang: str = "id") -> int:
    """Write the clean and analysis tables as one ``.xlsx`` workbook (default: in the reports folder)."""
    from smartcity_utils.explore import export_workbook
    from smartcity_utils.report.texts import check_lang
    from smartcity_utils.tables import processed_folder

    check_lang(lang)
    folder = processed_folder(processed_dir)
    target = Path(out) if out else paths.REPORTS_DIR / paths.WORKBOOK_NAME.format(lang=lang)
    paths.check_outside_raw(target, "--out", raw_folders_of(folder))
    with ExitStack() as stack:
        _locks(stack, "export", folder)
        from smartcity_utils.freshness import analysis_is_stale

        if analysis_is_stale(folder):  # the workbook holds the analysis of these tables, never of others
            print("the analysis is missing or older than the processed tables: running `smartcity analyse` first")
            analyse(folder)
        if target.parent.resolve() == paths.REPORTS_DIR.resolve():
            _new_generation(stack, "export", paths.REPORTS_DIR, folder)  # the workbook belongs to the pages' data
        export_workbook(target, folder, lang=lang)
    print(f"workbook written: {printable(target)} (a sheet per table, headers in "
          f"{'Indonesian' if lang == 'id' else 'English'}; full precision stays in the Parquet files)")
    return 0


def template(out: str | Path, assessors: int = 4, force: bool = False) -> int:
    """Write an Excel template for assessor score sheets; an existing file is replaced only with ``force``."""
    from smartcity_utils.clean.template import write_template

    paths.check_outside_raw(out, "--out")
    path = write_template(Path(out), n_assessors=assessors, overwrite=force)
    print(f"template written to {printable(path)}")
    return 0


def done_line() -> int:
    """Print the last line of a whole run: where to start reading."""
    print(f"done: open {paths.REPORTS_DIR / paths.INDEX_PAGE}")
    return 0


def run(workers: int | None = None, progress: bool = True, raw_dir: str | Path | None = None,
        example: bool = False, with_example: bool = False, lang: str = "id", done: bool = True) -> int:
    """The main job: clean, analyse, execute the notebooks and render every report.

    ``raw_dir``, ``example`` and ``with_example`` choose the raw folders as in :func:`clean`; ``lang`` is the
    language of the analysis pages and the reports. ``done=False`` leaves out the last line (:func:`done_line`)
    for a caller with more to do, which prints it when it has finished (``make all``, after the focus reports).
    The processed and reports folders are locked for the whole run.
    """
    from smartcity_utils.report.texts import check_lang

    check_lang(lang)
    check_workers(workers)
    steps = [
        ("clean", lambda: clean(raw_dir, paths.PROCESSED_DIR, progress=progress, example=example,
                                with_example=with_example)),
        ("analyse", lambda: analyse(paths.PROCESSED_DIR)),
        ("notebooks", lambda: notebooks(paths.ANALYSIS_REPORTS_DIR, paths.PROCESSED_DIR, workers=workers,
                                        progress=progress, lang=lang)),
        ("export", lambda: export(None, paths.PROCESSED_DIR, lang=lang)),
        ("report", lambda: report([], every=True, lang=lang, workers=workers, out_dir=paths.REPORTS_DIR,
                                  progress=progress)),
    ]
    with ExitStack() as stack:
        _locks(stack, "run", paths.PROCESSED_DIR, paths.REPORTS_DIR)
        for name, step in steps:
            print(f"== {name}")
            status = step()
            if status:
                return status
    return done_line() if done else 0
