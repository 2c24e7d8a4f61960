"""The ``smartcity`` command (also ``python -m smartcity_utils``).

Each subcommand exits 0 on success; a user error prints one line starting
with ``smartcity: error:`` and exits 2; a failed report run exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from smartcity_utils import paths


class UserError(Exception):
    """An error the user can fix; printed as one line, no traceback."""


def _cmd_clean(args: argparse.Namespace) -> int:
    from smartcity_utils.clean import run_clean

    cleaned = run_clean(Path(args.raw), Path(args.out), progress=not args.quiet)
    m = cleaned.manifest
    print(f"cleaned {len(m)} files: {int(m.rows_read.sum())} rows read, {int(m.rows_kept.sum())} kept, "
          f"{int(m.rows_rejected.sum())} rows and {len(cleaned.rejects)} values listed in rejects "
          f"-> {args.out}")
    if len(cleaned.rejects):
        top = cleaned.rejects["reason"].value_counts().head(8)
        print("rejects by reason: " + ", ".join(f"{k} {v}" for k, v in top.items()))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from smartcity_utils.simulate import simulate_raw

    result = simulate_raw(Path(args.out), seed=args.seed, national=args.national)
    print(f"simulated raw data written to {args.out} ({len(getattr(result, 'paths', []) or [])} files)")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from smartcity_utils.template import write_template

    path = write_template(Path(args.out), n_assessors=args.assessors)
    print(f"template written to {path}")
    return 0


def _cmd_drivers(args: argparse.Namespace) -> int:
    from smartcity_utils.drivers import drivers_command

    return drivers_command(args.table, args.target, args.pillars, args.json)


def _cmd_analyse(args: argparse.Namespace) -> int:
    from smartcity_utils.analysis import run_analysis

    written = run_analysis(Path(args.processed), seed=args.seed)
    print(f"analysis tables written: {', '.join(sorted(p.name for p in written))}")
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from smartcity_utils.analysis import run_notebooks

    # The cleaning has its own command; notebook 01 only summarises its outputs here.
    parameters = {"01_clean_evaluations.ipynb": {"run_cleaning": False, "processed_dir_name": args.processed}}
    parameters.update({name: {"processed_dir_name": args.processed} for name in ("02_compare_cohorts.ipynb",
                                                                                "03_pillar_drivers.ipynb")})
    for path in run_notebooks(Path(args.out), parameters=parameters):
        print(f"executed {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from smartcity_utils.report_cli import report_command

    return report_command(args)


def _cmd_run(args: argparse.Namespace) -> int:
    """Clean, analyse, execute the notebooks and render every report."""
    ns = argparse.Namespace
    steps = [
        ("clean", _cmd_clean, ns(raw=str(paths.RAW_DIR), out=str(paths.PROCESSED_DIR), quiet=args.quiet)),
        ("analyse", _cmd_analyse, ns(processed=str(paths.PROCESSED_DIR), seed=0)),
        ("notebooks", _cmd_notebooks, ns(out=str(paths.REPORTS_DIR / "analysis"), processed=str(paths.PROCESSED_DIR))),
        ("report", _cmd_report, ns(regency=[], cohort=None, all=True, lang="id", year=None,
                                   workers=args.workers, force=False, out=str(paths.REPORTS_DIR),
                                   timeout=600, quiet=args.quiet)),
    ]
    for name, func, step_args in steps:
        print(f"== {name}")
        status = func(step_args)
        if status:
            return status
    print(f"done: open {paths.REPORTS_DIR / 'index.html'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="smartcity",
        description="Clean, analyse and report Indonesia's smart city evaluation data.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="clean, analyse, execute notebooks and render all reports (the main job)")
    p.add_argument("--workers", type=int, default=None, help="parallel report workers (default: CPU cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("clean", help="read data/raw, write validated tables and rejects to data/processed")
    p.add_argument("--raw", default=str(paths.RAW_DIR), help="raw folder (default: %(default)s)")
    p.add_argument("--out", default=str(paths.PROCESSED_DIR), help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser("analyse", help="index reconciliation, ranks, rank uncertainty and driver tables")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo and bootstrap draws")
    p.set_defaults(func=_cmd_analyse)

    p = sub.add_parser("notebooks", help="execute the analysis notebooks 01 to 03 with papermill")
    p.add_argument("--out", default=str(paths.REPORTS_DIR / "analysis"), help="folder for executed copies")
    p.add_argument("--processed", default=str(paths.PROCESSED_DIR), help="processed folder (default: %(default)s)")
    p.set_defaults(func=_cmd_notebooks)

    p = sub.add_parser("simulate", help="write the simulated example raw data (deterministic)")
    p.add_argument("--out", default=str(paths.RAW_DIR), help="target folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=2017, help="random seed (default: %(default)s)")
    p.add_argument("--national", action="store_true", help="all 514 regencies, every layout (for benchmarks)")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("template", help="write an Excel template for assessor score sheets")
    p.add_argument("--out", default="penilaian_asesor_template.xlsx", help="file to write (default: %(default)s)")
    p.add_argument("--assessors", type=int, default=4, help="number of assessor sheets (default: %(default)s)")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("drivers", help="which pillars drive an index: run the driver analysis on any CSV table")
    p.add_argument("table", help="CSV with one row per unit, a target column and pillar columns")
    p.add_argument("--target", required=True, help="the index or score column")
    p.add_argument("--pillars", nargs="+", default=None, metavar="COL",
                   help="pillar columns (default: every other numeric column)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_drivers)

    p = sub.add_parser("report", help="render the per-regency report (notebook and HTML) for one, a cohort or all")
    p.add_argument("--regency", action="append", default=[], metavar="NAME",
                   help="regency name, alias or code (repeatable)")
    p.add_argument("--cohort", type=int, default=None, metavar="YEAR", help="every regency of a cohort")
    p.add_argument("--all", action="store_true", help="every regency in the evaluation data")
    p.add_argument("--lang", choices=["id", "en"], default="id", help="language of the text (default: %(default)s)")
    p.add_argument("--year", type=int, default=None, help="evaluation year (default: the latest)")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU cores)")
    p.add_argument("--force", action="store_true", help="render even when inputs have not changed")
    p.add_argument("--out", default=str(paths.REPORTS_DIR), help="output folder (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=600,
                   help="time limit in seconds for each report, per cell and for the whole notebook")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "quiet", False) or os.environ.get("CI"):
        os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("smartcity: interrupted; previous outputs are left in place", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - user errors become one line; bugs keep their traceback
        if _is_user_error(exc):
            print(f"smartcity: error: {exc}", file=sys.stderr)
            return 2
        raise


def _is_user_error(exc: Exception) -> bool:
    from smartcity_utils.readers import RawFileError

    user_types: tuple[type, ...] = (UserError, RawFileError, FileNotFoundError)
    try:
        from smartcity_utils.drivers import DriverInputError

        user_types += (DriverInputError,)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, user_types):
        return True
    # Name resolution and parameter checks raise ValueError with a full sentence.
    return type(exc) is ValueError


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
