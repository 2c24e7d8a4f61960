"""Reading and writing tables and files: one atomic write, one table writer, one reader, one lock, and the
loaders of the processed and analysis folders (:func:`load_processed`, :func:`load_analysis`).

An interrupted run leaves the previous good output in place: files are
written beside their target and moved into place with ``os.replace``; the
tables of a run are one generation (a marker written last, checked by the
reader); a run holds a lock file in each folder it writes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import FolderInUseError, MissingInputError, MixedOutputsError
from smartcity_utils.metadata.resources import table_names
from smartcity_utils.paths import GENERATION_MARKER, LOCK_FILE


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, stamp: str | None = None) -> list[Path]:
    """Write each table as Parquet and CSV, all of them as one generation, so that an interrupted run loses nothing.

    Everything is first written into a staging folder beside the outputs; only
    when all files are complete are they moved into place, each with an
    atomic ``os.replace``, and the generation marker
    (:data:`~smartcity_utils.paths.GENERATION_MARKER`, the hash of every file)
    is written last. Until then the previous outputs stay untouched; a crash
    between two moves leaves files that do not match the marker, and
    :func:`read_tables` refuses them rather than mix two runs.

    CSV files are for people and spreadsheets: text that Excel would run as a
    formula gets a leading apostrophe (:func:`excel_safe`). Parquet keeps the
    text as it is.

    ``stamp``, when given, is kept in the marker: the digest of what the tables were made from
    (:func:`smartcity_utils.freshness.step_digest`), so that an unchanged step can be skipped.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        written = []
        for name, table in tables.items():
            target = paths.table_file(staging, name)
            try:
                table.to_parquet(target, index=False)
                target = paths.table_file(staging, name, ".csv")
                excel_safe(table).to_csv(target, index=False, lineterminator="\n")
            except OSError as exc:
                if exc.filename:
                    raise
                # A full disk, say: name the file (pyarrow does not); the previous outputs are untouched.
                raise OSError(exc.errno, f"{exc.strerror or exc} (the previous tables in {out_dir} are left as "
                                         "they were)", str(out_dir / target.name)) from exc
            written += [paths.table_file("", name, suffix).name for suffix in paths.TABLE_SUFFIXES]
        digests = {fname: file_digest(staging / fname) for fname in written}
        final = []
        for fname in written:
            os.replace(staging / fname, out_dir / fname)
            final.append(out_dir / fname)
        # The generation is named by its content: the same tables give the same marker.
        generation = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16]
        marker = {"generation": generation, "files": digests}
        if stamp is not None:
            marker["stamp"] = stamp
        atomic_write(out_dir / GENERATION_MARKER, json.dumps(marker, indent=2))
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: Name start of the staging folder of :func:`write_tables`, followed by the writer's process id.
STAGING_PREFIX = ".staging-"


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove the staging folders a killed run left in ``out_dir`` (its process is gone); returns them.

    A folder whose process still runs is left alone; so is one without a
    process id in its name that is less than an hour old (a writer of an older
    version may still be at work).
    """
    import time

    removed = []
    for entry in Path(out_dir).glob(f"{STAGING_PREFIX}*"):
        if not entry.is_dir() or entry.is_symlink():
            continue
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
                continue  # still running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # another user's process
        else:
            try:
                if time.time() - entry.stat().st_mtime < 3600:
                    continue
            except OSError:
                continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_generation(folder: Path) -> dict[str, Any] | None:
    """The generation marker of a folder of tables, or None when the folder has none (an older layout).

    Raises:
        MixedOutputsError: the marker is there but unreadable.
    """
    path = Path(folder) / GENERATION_MARKER
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise MixedOutputsError(f"{path}: cannot be read ({exc}); rerun the command that writes {folder}") from exc
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), dict):
        raise MixedOutputsError(f"{path}: not a generation marker; rerun the command that writes {folder}")
    return marker


def generation_stamp(folder: Path) -> str | None:
    """The stamp of a folder's last complete run, while every file of that run is there unchanged; else None.

    None also for a folder without a marker, a marker without a stamp, or a file changed or missing since
    (the step must then run again).
    """
    try:
        marker = read_generation(folder)
    except MixedOutputsError:
        return None
    if marker is None or not isinstance(marker.get("stamp"), str):
        return None
    for name, digest in marker["files"].items():
        file = Path(folder) / name
        if not file.is_file() or file_digest(file) != digest:
            return None
    return marker["stamp"]


#: Text a spreadsheet would run as a formula when it opens a CSV file: a cell starting with one of
#: these (OWASP, "CSV injection"). Plain numbers such as -3,5 or +62 are left as they are.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?%?")


def excel_safe_text(value: object) -> object:
    """``'=HYPERLINK(...)`` for text that starts like a formula; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and value not in ("-", "+") \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for a CSV file: text cells that Excel would run as a formula start with ``'``.

    Only text columns change; numbers, dates and flags are written as they are.
    """
    text_cols = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text_cols:
        return frame
    out = frame.copy()
    for col in text_cols:
        out[col] = out[col].map(excel_safe_text)
    return out


#: Field separators a CSV may use: semicolon (Indonesian Excel exports, where the comma is the
#: decimal mark), comma, tab.
CSV_DELIMITERS = ";,\t"


#: How much of a CSV text the delimiter is guessed from (its first five lines, cut at this length).
_SNIFF_CHARS = 1 << 20


def sniff_delimiter(text: str) -> str:
    """The one delimiter rule for CSV input: the separator that splits the first lines most consistently.

    ``csv.Sniffer`` on the first five lines; when it cannot decide, the most
    frequent of ``;``, ``,`` and tab in the first line (comma when none).
    """
    # The first lines are enough; a 200 MB text is not split whole.
    lines = text[:_SNIFF_CHARS].splitlines()[:5]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:5]), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        counts = {d: first.count(d) for d in CSV_DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_tables(folder: Path, tables: tuple[str, ...], command: str,
                digests: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Read tables (Parquet) of one generation; the one reader of processed and analysis folders.

    Each file's bytes are hashed as they are read and checked against the
    folder's generation marker (see :func:`write_tables`).

    Args:
        folder: The folder of tables.
        tables: Table names.
        command: The command that writes the folder, named in the messages.
        digests: When given, filled with ``name -> SHA-256`` of the bytes
            actually read (the analysis stamps itself with them).

    Raises:
        MissingInputError: a table is not there, naming the command that makes it.
        MixedOutputsError: a table is not the one the folder's last complete run wrote.
    """
    folder = Path(folder)
    marker = read_generation(folder)
    out = {}
    for name in tables:
        file = paths.table_file(folder, name)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise MissingInputError(f"{file} not found; run `{command}` first") from None
        digest = hashlib.sha256(data).hexdigest()
        if marker is not None and marker["files"].get(file.name) != digest:
            raise MixedOutputsError(
                f"{file}: not the file the last complete run of `{command}` wrote (the folder holds tables of "
                f"two runs, one of them interrupted); run `{command}` again")
        out[name] = pd.read_parquet(io.BytesIO(data))
        if digests is not None:
            digests[name] = digest
    return out


#: The processed tables ``smartcity clean`` writes, in the order it writes them (one specification each in
#: :mod:`smartcity_utils.metadata.resources`; a table registered there later is written after them).
PROCESSED_TABLES = table_names("processed")

#: The national analysis tables ``smartcity analyse`` writes that :func:`load_analysis` reads by default.
ANALYSIS_TABLES = ("index_ranks", "reconciliation", "rank_uncertainty", "drivers", "driver_estimates",
                   "drivers_summary",
                   "drivers_skipped")

#: Tables of the measurement model and the weights that notebook 03 shows: the ICC and variance components,
#: the rank bands, the weight scenarios and Sobol indices, and the pillar mean against the dimensions.
MEASUREMENT_INPUTS = ("icc", "assessor_variance", "rank_uncertainty", "rank_sensitivity", "weight_scenarios",
                      "weight_scenario_sets", "pillar_mean_dimensions")


def processed_folder(path: str | Path | None = None) -> Path:
    """The processed folder: ``path`` when given (and not empty), else the default."""
    return Path(path) if path else paths.PROCESSED_DIR


def load_processed(path: str | Path | None = None, tables: tuple[str, ...] | None = None,
                   digests: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Read processed tables (Parquet); ``digests``, when given, receives the hash of each file read.

    ``tables``: the tables to read; every processed table when None (:data:`PROCESSED_TABLES`, and a table
    registered later with :func:`smartcity_utils.metadata.resources.register`).

    Raises:
        FileNotFoundError: when the cleaning has not run, saying which command makes the files.
    """
    if tables is None:
        tables = table_names("processed")
    return read_tables(processed_folder(path), tables, "smartcity clean", digests=digests)


def load_analysis(path: str | Path | None = None,
                  tables: tuple[str, ...] = ANALYSIS_TABLES) -> dict[str, pd.DataFrame]:
    """Read the cached national analysis tables.

    Raises:
        FileNotFoundError: when ``smartcity analyse`` has not run.
    """
    return read_tables(paths.analysis_dir(processed_folder(path)), tables, "smartcity analyse")


def load_measurement(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The measurement-model and weight tables of :data:`MEASUREMENT_INPUTS`, written by ``smartcity analyse``."""
    return load_analysis(path, MEASUREMENT_INPUTS)


def plain_for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding lists or dicts become text, so Parquet can store them."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v, default=str) if isinstance(v, (list, dict, tuple))
                                        else v)
    return frame


def shows_simulated(*frames: pd.DataFrame | None) -> bool:
    """The one rule of "is this simulated": any number built from these rows comes from a simulated row.

    A page, a figure or a table is simulated when any row behind any number it
    shows is flagged ``is_simulated``: pass every table the numbers come from
    (the rows shown, and the rows a rank, a median or a model was computed
    from). A table without the column (method names and reasons, say) holds no
    such number and counts for nothing; a missing flag counts as simulated, as
    the cleaning marks every row real or simulated and a gap is no proof of
    real data.
    """
    for frame in frames:
        if frame is not None and "is_simulated" in frame.columns and len(frame):
            flags = frame["is_simulated"]
            if bool(flags.isna().any()) or bool(flags.astype(bool).any()):
                return True
    return False


def save_outputs(output_dir: str | Path, tables: dict[str, pd.DataFrame] | None = None,
                 figures: dict | None = None, simulated: bool = True) -> list[Path]:
    """Write a notebook's result tables (CSV) and figures (PNG) under fixed names.

    Every table gets an ``is_simulated`` column (unless it has one), so a
    simulated number never travels without its label. Text that Excel would
    run as a formula gets a leading apostrophe (:func:`excel_safe`). Nothing
    is written when ``output_dir`` is empty (interactive exploration).
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


# --- One run per folder --------------------------------------------------------------------------

#: Locks this process holds: folder -> [file descriptor, depth]. ``smartcity run`` takes a folder's
#: lock once and its steps take it again.
_HELD: dict[Path, list[int]] = {}


@contextlib.contextmanager
def folder_lock(folder: str | Path, command: str) -> Iterator[None]:
    """Hold ``folder``'s lock while the block runs: a second run on the same folder stops with one line.

    The lock is an ``flock`` on the folder itself, which the system releases
    when the holding process ends, however it ends: no stale lock is ever
    left. While it is held, :data:`~smartcity_utils.paths.LOCK_FILE` in the
    folder says which run holds it (command, process id, start), for the
    message the second run prints. A folder that cannot be opened holds no
    lock (nothing can be written there either).

    Raises:
        FolderInUseError: another run holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        yield
        return
    root = Path(folder).resolve()
    held = _HELD.get(root)
    if held is not None:
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield
        return
    info = root / LOCK_FILE
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        try:
            holder = info.read_text(encoding="utf-8").strip()
        except OSError:
            holder = ""
        raise FolderInUseError(f"{root} is in use by {holder or 'another smartcity run'}; wait until it ends "
                               "(or stop it), then rerun") from None
    with contextlib.suppress(OSError):
        info.write_text(f"`smartcity {command}` (process {os.getpid()}, since {time.strftime('%H:%M:%S')})",
                        encoding="utf-8")
    _HELD[root] = [fd, 1]
    try:
        yield
    finally:
        del _HELD[root]
        with contextlib.suppress(OSError):
            info.unlink()
        os.close(fd)
