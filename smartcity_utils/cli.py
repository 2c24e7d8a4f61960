"""The ``smartcity`` command (also ``python -m smartcity_utils``): the parser, and nothing else.

Each subcommand calls one function of :mod:`smartcity_utils.commands` and exits
with its status: 0 on success, 1 when some report failed, 2 with a one-line
message starting ``smartcity: error:`` for an error the user can fix
(:class:`~smartcity_utils.errors.UserError`, a bad option, a path that cannot
be written), 130 after Ctrl-C and 143 after SIGTERM (one line saying what was
finished), 141 when the output is closed early (``| head``). Control
characters in a message are shown escaped. Any other exception is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys

from smartcity_utils import commands, paths
from smartcity_utils.errors import Interrupted, UserError, printable
from smartcity_utils.report.texts import LANGUAGES


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad option reported in one line (and where to find the usage)."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(2, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="smartcity",
        description="Clean, analyse and report Indonesia's smart city evaluation data.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def _raw_options(p: argparse.ArgumentParser) -> None:
        """The raw-folder options of ``clean`` and ``run``."""
        p.add_argument("--raw", default=None, metavar="DIR",
                       help="raw folder (default: data/raw when it holds data files, else the bundled example)")
        which = p.add_mutually_exclusive_group()
        which.add_argument("--example", action="store_true",
                           help="read the bundled simulated example (data/example/raw) only")
        which.add_argument("--with-example", action="store_true",
                           help="read your folder and the bundled example together; where both have a "
                                "regency-year, your real rows win and the simulated ones are set aside")

    def _lang_option(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0],
                       help=f"language of {what} (default: %(default)s)")

    p = sub.add_parser("run", help="clean, analyse, execute notebooks and render all reports (the main job)")
    p.add_argument("--workers", type=int, default=None, help="parallel report workers (default: CPU cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _lang_option(p, "the analysis pages and the reports")
    p.add_argument("--no-done-line", action="store_true",
                   help="leave out the last line naming reports/index.html (make all prints it when it has finished)")
    _raw_options(p)
    p.set_defaults(func=lambda a: commands.run(workers=a.workers, progress=not a.quiet, raw_dir=a.raw,
                                               example=a.example, with_example=a.with_example, lang=a.lang,
                                               done=not a.no_done_line))

    p = sub.add_parser("clean", help="read the raw files, write validated tables and rejects to data/processed")
    _raw_options(p)
    p.add_argument("--out", default=str(paths.PROCESSED_DIR), help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="clean even when the raw files and the code are unchanged")
    p.set_defaults(func=lambda a: commands.clean(a.raw, a.out, progress=not a.quiet, example=a.example,
                                                 with_example=a.with_example, force=a.force))

    p = sub.add_parser("analyse", help="index reconciliation, ranks, rank uncertainty and driver tables")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo and bootstrap draws")
    p.add_argument("--force", action="store_true", help="compute even when the tables and the code are unchanged")
    p.add_argument("--shared-error-sd", type=float, default=None, metavar="SD",
                   help="size (index points) of the error a whole panel makes together, in the rank bands and rank "
                        "sets (default: an upper bound from regencies scored in consecutive years)")
    p.set_defaults(func=lambda a: commands.analyse(a.processed, seed=a.seed, force=a.force,
                                                   shared_error_sd=a.shared_error_sd))

    p = sub.add_parser("notebooks", help="execute the analysis notebooks 01 to 04 and 06 with papermill")
    p.add_argument("--out", default=str(paths.ANALYSIS_REPORTS_DIR), help="folder for executed copies")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU cores)")
    p.add_argument("--force", action="store_true", help="execute even when notebooks and data have not changed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _lang_option(p, "the analysis pages")
    p.set_defaults(func=lambda a: commands.notebooks(a.out, a.processed, workers=a.workers, force=a.force,
                                                     progress=not a.quiet, lang=a.lang))

    p = sub.add_parser("export", help="write the clean and analysis tables as one Excel workbook")
    p.add_argument("--out", default=None,
                   help=f"workbook to write (default: {paths.REPORTS_DIR}/{paths.WORKBOOK_NAME.format(lang='<lang>')})")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    _lang_option(p, "headers and sheet names")
    p.set_defaults(func=lambda a: commands.export(a.out, a.processed, lang=a.lang))

    p = sub.add_parser("template", help="write an Excel template for assessor score sheets")
    p.add_argument("--out", default="penilaian_asesor_template.xlsx", help="file to write (default: %(default)s)")
    p.add_argument("--assessors", type=int, default=4,
                   help="number of assessor sheets, 1 to 50 (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.set_defaults(func=lambda a: commands.template(a.out, assessors=a.assessors, force=a.force))

    p = sub.add_parser("drivers", help="which pillars go with an index: the driver analysis on any CSV table")
    p.add_argument("table", help="CSV with one row per unit, a target column and pillar columns")
    p.add_argument("--target", required=True, help="the index or score column")
    p.add_argument("--pillars", nargs="+", default=None, metavar="COL",
                   help="pillar columns (default: every other numeric column)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=lambda a: commands.drivers(a.table, a.target, a.pillars, as_json=a.json))

    p = sub.add_parser("report", help="render the per-regency report (notebook and HTML) for one, a cohort or all")
    p.add_argument("--regency", action="append", default=[], metavar="NAME",
                   help="regency name, alias or code (repeatable)")
    p.add_argument("--cohort", type=int, default=None, metavar="YEAR", help="every regency of a cohort")
    p.add_argument("--all", action="store_true", help="every regency in the evaluation data")
    _lang_option(p, "the reports")
    p.add_argument("--year", type=int, default=None, help="evaluation year (default: the latest)")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU cores)")
    p.add_argument("--force", action="store_true", help="render even when inputs have not changed")
    p.add_argument("--out", default=str(paths.REPORTS_DIR), help="output folder (default: %(default)s)")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=600,
                   help="time limit in seconds for each report, per cell and for the whole notebook")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--pdf", action="store_true", help="also write a PDF beside each report (A4, WeasyPrint)")
    p.add_argument("--compare", nargs="+", default=None, metavar="NAME",
                   help="one comparison report of these regencies side by side (e.g. --compare Kukar Paser Kotim)")
    p.set_defaults(func=lambda a: commands.report(
        a.regency, cohort=a.cohort, every=a.all, lang=a.lang, year=a.year, workers=a.workers, force=a.force,
        out_dir=a.out, timeout=a.timeout, progress=not a.quiet, processed_dir=a.processed, pdf=a.pdf,
        compare=a.compare))

    p = sub.add_parser("focus", help="a few regencies in every language, with PDFs, and their comparison report")
    p.add_argument("regencies", nargs="+", metavar="NAME", help="two or more regency names, aliases or codes")
    p.add_argument("--no-pdf", action="store_true", help="leave out the PDFs")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU cores)")
    p.add_argument("--force", action="store_true", help="render even when inputs have not changed")
    p.add_argument("--out", default=str(paths.REPORTS_DIR), help="output folder (default: %(default)s)")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=lambda a: commands.focus(
        a.regencies, workers=a.workers, force=a.force, out_dir=a.out, progress=not a.quiet,
        processed_dir=a.processed, pdf=not a.no_pdf))
    return parser


def _terminate(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Interrupted("stopped by SIGTERM")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    # Progress bars only on a terminal: in a log file they run together into one long line.
    if hasattr(args, "quiet") and not _on_terminal():
        args.quiet = True
    if getattr(args, "quiet", False) or os.environ.get("CI"):
        os.environ.setdefault("TQDM_DISABLE", "1")
    # SIGTERM stops a run as Ctrl-C does: pending work is cancelled, workers and kernels are
    # stopped, and what was finished is said (see smartcity_utils.report.runner).
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        cause = str(exc) if isinstance(exc, Interrupted) and str(exc) else "stopped by Ctrl-C"
        if not getattr(exc, "says_what_was_finished", False):
            cause += "; unfinished outputs were not written, the previous ones are left in place"
        _say(f"smartcity: interrupted: {printable(cause)}")
        return 143 if cause.startswith("stopped by SIGTERM") else 130
    except BrokenPipeError:
        # The reader of the output went away (``| head``): say so once, where it can still be read.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        _say("smartcity: output closed early (broken pipe); the command stopped there")
        return 141
    except UserError as exc:
        _say(f"smartcity: error: {printable(exc)}")
        return 2
    except OSError as exc:
        # A path that cannot be read or written: the system's reason, in one line.
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"smartcity: error: {printable(where)}{printable(exc.strerror or exc)}; check the path and its "
             "permissions")
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)


def _on_terminal() -> bool:
    """Whether progress bars (written to stderr) reach a terminal."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _say(line: str) -> None:
    """One line on stderr (nothing if stderr is closed too)."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
