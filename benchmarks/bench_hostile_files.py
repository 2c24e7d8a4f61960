"""Benchmark: time and peak memory of refusing each hostile raw file. Prints figures, asserts nothing.

Each file is written at the size the issue describes (the zip bomb holds
1.15 GB of sheet XML in a few MB; the far-away cell is one ``<c>`` element),
then read by ``read_grid_file`` in a fresh child process whose address space
is capped 2.5 GB above its start, so a regression cannot exhaust the machine.
Per file the child prints the outcome (refused with one line, or read),
the wall time and its peak resident memory; the first row is the floor (a
child that only imports the reader).

Usage: ``python benchmarks/bench_hostile_files.py [--out DIR]``.
Target: every file refused (or read completely) in one line, under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import hostile_files as h  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:")) * 1024
from smartcity_utils.clean.sheets import read_grid_file
from smartcity_utils.errors import RawFileError
resource.setrlimit(resource.RLIMIT_AS, (vm + int(2.5 * 1024**3),) * 2)
path = Path(sys.argv[1])
started = time.perf_counter()
if path.name == "floor":
    outcome = "imports only"
else:
    try:
        sheets = read_grid_file(path, path.name)
        outcome = "read: " + ", ".join(f"{len(s.rows)} rows x {max(map(len, s.rows), default=0)} columns"
                                       for s in sheets)
    except RawFileError as exc:
        outcome = "refused: " + str(exc)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak}))
"""


def build(out: Path, only: str = "") -> dict[str, Path]:
    """The hostile files of the issue's table, at the issue's sizes (the large ones only when ``only`` picks them)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "cell at XFD1048576 (.xlsx)": h.far_cell_xlsx(out / "far_cell.xlsx"),
        "table + cell at XFD4000 (.xlsx)": h.far_cell_xlsx(out / "far_cell_4000.xlsx", "XFD4000", with_table=True),
        "zip bomb, 1.15 GB of sheet XML": out / "zip_bomb.xlsx",
        "zip bomb declaring 1 KB": out / "zip_bomb_lying.xlsx",
        "zip bomb of 190 MB (under the size limit)": out / "zip_bomb_190.xlsx",
        ".ods row repeated 1,000,000 x 100": h.repeated_rows_ods(out / "repeated_rows.ods"),
        ".ods row repeated 90,000 x 100 (read)": h.repeated_rows_ods(out / "repeated_rows_small.ods", 90_000),
        "form CSV, one unmatched quote": h.form_csv(out / "quote.csv", remarks={1: '"bagus sekali'}),
        "form CSV, a 200 KB field": h.form_csv(out / "long_field.csv", remarks={2: '"' + "x" * 200_000 + '"'}),
        "form CSV, 5.2 M fields on one line": h.form_csv(out / "wide.csv", extra={3: ";" * 5_200_000 + "x"}),
        "form CSV, 5.2 M empty fields (read)": h.form_csv(out / "wide_empty.csv", extra={3: ";" * 5_200_000}),
        # Issue 24: limits for the whole workbook, and a large CSV inside every limit.
        "24 sheets, each 2 cells spanning 50,000 x 200": h.spanning_sheets_xlsx(out / "spanning_24.xlsx"),
        "1 sheet, 2 cells spanning 50,000 x 200 (read)": h.spanning_sheets_xlsx(out / "spanning_1.xlsx", 1),
        "CSV 199,001 x 50 cells, 171 MB (read)": out / "large.csv",
        "UTF-16 CSV, Excel's Unicode text (read)": _utf16(out / "unicode.csv"),
        "hidden and very hidden sheets (read)": h.write_workbook(out / "hidden.xlsx", [
            ("Rekap", h.rows_xml(h.RECAP_ROWS), "visible"), ("Draft lama", h.rows_xml(h.RECAP_ROWS), "hidden"),
            ("xDraft", h.rows_xml(h.RECAP_ROWS), "veryHidden")]),
        "50,000 formulas without values (read)": h.write_xlsx(out / "formulas.xlsx", "".join(
            f'<row r="{r}">{h.formula_cell(f"A{r}", f"B{r}*2")}{h.error_cell(f"B{r}", "#N/A")}</row>'
            for r in range(1, 25_001))),
    }
    if only in "CSV 199,001 x 50 cells, 171 MB (read)" and not files["CSV 199,001 x 50 cells, 171 MB (read)"].is_file():
        h.large_csv(files["CSV 199,001 x 50 cells, 171 MB (read)"])
    for label, megabytes, honest in (("zip bomb, 1.15 GB of sheet XML", 1150, True),
                                     ("zip bomb declaring 1 KB", 1150, False),
                                     ("zip bomb of 190 MB (under the size limit)", 190, True)):
        if only in label and not files[label].is_file():
            h.zip_bomb_xlsx(files[label], megabytes, honest_sizes=honest)
    return files


def _utf16(path: Path) -> Path:
    text = h.form_csv(path).read_text(encoding="utf-8")
    path.write_bytes(b"\xff\xfe" + text.replace(";", "\t").encode("utf-16-le"))
    return path


def measure(path: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"outcome": f"CHILD FAILED ({proc.returncode}): {last}", "seconds": time.perf_counter() - started,
                "peak_mb": float("nan")}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "out" / "hostile"), help="folder for the hostile files")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the files whose label holds TEXT")
    args = parser.parse_args()
    files = {label: path for label, path in build(Path(args.out), args.only).items() if args.only in label}
    floor = measure(Path("floor"))
    print(f"{'file':44} {'on disk':>10} {'seconds':>8} {'peak MB':>8}  outcome")
    print(f"{'(floor: the reader imported, nothing read)':44} {'':>10} {floor['seconds']:8.2f} "
          f"{floor['peak_mb']:8.0f}")
    for label, path in files.items():
        result = measure(path)
        size = path.stat().st_size
        shown = result["outcome"] if len(result["outcome"]) < 150 else result["outcome"][:147] + "..."
        print(f"{label:44} {size / 1024:8.0f} KB {result['seconds']:8.2f} {result['peak_mb']:8.0f}  {shown}")


if __name__ == "__main__":
    main()
