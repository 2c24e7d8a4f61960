"""Reading and writing tables and files: one atomic write, one table writer, one reader.

An interrupted run leaves the previous good output in place: files are
written beside their target and moved into place with ``os.replace``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity_utils.errors import MissingInputError


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write each table as Parquet and CSV so that an interrupted run loses nothing.

    Everything is first written into a staging folder beside the outputs; only
    when all files are complete are they moved into place, each with an
    atomic ``os.replace``. Until then the previous outputs stay untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        written = []
        for name, table in tables.items():
            table.to_parquet(staging / f"{name}.parquet", index=False)
            excel_safe(table).to_csv(staging / f"{name}.csv", index=False, lineterminator="\n")
            written += [f"{name}.parquet", f"{name}.csv"]
        final = []
        for fname in written:
            os.replace(staging / fname, out_dir / fname)
            final.append(out_dir / fname)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: Field separators a CSV may use: semicolon (Indonesian Excel exports, where the comma is the
#: decimal mark), comma, tab.
CSV_DELIMITERS = ";,\t"


def sniff_delimiter(text: str) -> str:
    """The one delimiter rule for CSV input: the separator that splits the first lines most consistently.

    ``csv.Sniffer`` on the first five lines; when it cannot decide, the most
    frequent of ``;``, ``,`` and tab in the first line (comma when none).
    """
    lines = text.splitlines()
    try:
        return csv.Sniffer().sniff("\n".join(lines[:5]), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        counts = {d: first.count(d) for d in CSV_DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_tables(folder: Path, tables: tuple[str, ...], command: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in tables:
        file = folder / f"{name}.parquet"
        if not file.exists():
            raise MissingInputError(f"{file} not found; run `{command}` first")
        out[name] = pd.read_parquet(file)
    return out


def plain_for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding lists or dicts become text, so Parquet can store them."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v, default=str) if isinstance(v, (list, dict, tuple))
                                        else v)
    return frame


#: Text a spreadsheet runs as a formula when it opens a CSV file: a cell starting with one of these
#: (OWASP, "CSV injection"). Free text such as a panel's remark can start so; plain numbers written as
#: text (-3,5, +62) and a lone "-" (a missing value) are left as they are.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?%?")


def excel_safe_text(value: object) -> object:
    """``'=HYPERLINK(...)`` for text that starts like a formula; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and value not in ("-", "+") \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for a CSV file: text cells a spreadsheet would run as a formula start with ``'``.

    Used by every CSV this package writes (:func:`write_tables`, :func:`save_outputs`); Parquet keeps the
    text as written. Only text columns change.
    """
    text_cols = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text_cols:
        return frame
    out = frame.copy()
    for col in text_cols:
        out[col] = out[col].map(excel_safe_text)
    return out


def save_outputs(output_dir: str | Path, tables: dict[str, pd.DataFrame] | None = None,
                 figures: dict | None = None, simulated: bool = True) -> list[Path]:
    """Write a notebook's result tables (CSV) and figures (PNG) under fixed names.

    Every table gets an ``is_simulated`` column (unless it has one), so a
    simulated number never travels without its label. Nothing is written
    when ``output_dir`` is empty (interactive exploration).
    """
    if not output_dir:
        return []
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (tables or {}).items():
        path = folder / f"{name}.csv"
        if "is_simulated" not in table.columns:
            table = table.assign(is_simulated=simulated)
        with atomic_path(path, suffix=".csv") as tmp:
            excel_safe(table).to_csv(tmp, index=False, lineterminator="\n")
        written.append(path)
    for name, fig in (figures or {}).items():
        path = folder / f"{name}.png"
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        written.append(path)
    return written


def _current_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which is
    # not safe once worker threads run.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()


def make_temp(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty temporary file next to ``path`` with normal permissions."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600 files; reports are shared, so use the usual mode.
    os.chmod(tmp, _FILE_MODE)
    return Path(tmp)


def _write_all(fh: Any, data: bytes) -> None:
    """Write ``data`` to an open binary file (a seam for failure tests)."""
    fh.write(data)


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """The one atomic write: yield a temporary file beside ``path``; move it into place on success.

    Whatever is written to the yielded path replaces ``path`` in one
    ``os.replace`` when the block ends without an error; on an error (or an
    interrupt) the temporary file is removed and ``path`` keeps its previous
    content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp(path, suffix=suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, synced to disk."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
        _write_all(fh, data)
        fh.flush()
        os.fsync(fh.fileno())
