"""Cleaning: every raw file of a folder into the validated processed tables.

Entry points: ``clean_raw_folder(raw_dir) -> Cleaned`` (reads, never writes)
and ``run_clean(raw_dir, out_dir)`` (also writes the tables atomically). Each
raw row below a header is either kept or listed in ``rejects`` with a reason;
each bad value in a kept row is listed there too. The layouts are described in
``docs/data_model.md``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcity_utils import __version__, paths, regencies
from smartcity_utils import reference as ref
from smartcity_utils.clean.assessor import parse_assessor
from smartcity_utils.clean.cohorts import parse_cohorts
from smartcity_utils.clean.form import _supersede_resubmissions, parse_form
from smartcity_utils.clean.published import parse_published
from smartcity_utils.clean.quick_wins import parse_quick_wins
from smartcity_utils.clean.recap import _dedupe_recap, parse_recap
from smartcity_utils.clean.rows import DEFAULT_GROUP, DIMENSIONS, PILLARS, _Collector
from smartcity_utils.clean.sheets import (
    DATA_SUFFIXES,
    IGNORED_SHEETS,
    IGNORED_SUFFIXES,
    detect_layout,
    read_grid_file,
)
from smartcity_utils.errors import RawFileError
from smartcity_utils.tables import write_tables
from smartcity_utils.values import is_blank

TABLES = ("scores", "regency_year", "quick_wins", "published_facts", "regencies", "rejects", "manifest")


@dataclass
class Cleaned:
    """The processed tables (see ``docs/data_model.md``)."""

    scores: pd.DataFrame
    regency_year: pd.DataFrame
    quick_wins: pd.DataFrame
    published_facts: pd.DataFrame
    regencies: pd.DataFrame
    rejects: pd.DataFrame
    manifest: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name -> table, in a fixed order."""
        return {name: getattr(self, name) for name in TABLES}


PARSERS = {"recap": parse_recap, "assessor": parse_assessor, "form": parse_form,
           "quick_wins": parse_quick_wins, "cohorts": parse_cohorts, "published": parse_published}


def discover_files(raw_dir: Path) -> list[Path]:
    """Data files under ``raw_dir`` in a fixed order; unknown file types stop the run."""
    files = []
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(raw_dir)
        if any(part.startswith((".", "_")) for part in rel.parts[:-1]) or path.name.startswith((".", "~$")):
            continue  # hidden files and folders, Excel lock files
        suffix = path.suffix.lower()
        if suffix in DATA_SUFFIXES:
            files.append(path)
        elif suffix not in IGNORED_SUFFIXES:
            raise RawFileError(f"{rel}: file type {suffix or '(none)'} is not read; save it as .xlsx or .csv, "
                               "or move it out of the raw folder")
    return files


def _build_regencies(out: _Collector, recap: list[dict]) -> pd.DataFrame:
    """Gazetteer plus cohort: documented cohorts, then the register, then recap columns."""
    table = regencies.gazetteer().copy()
    cohort: dict[int, tuple[int, str, bool]] = {}
    resolver = regencies.regency_resolver()
    for _, row in ref.known_cohorts().iterrows():
        rid = resolver.resolve(row["regency"]).regency_id
        cohort[rid] = (int(row["cohort_year"]), str(row["source"]), False)
    for rec in out.cohorts:
        rid = rec["regency_id"]
        if rid in cohort and cohort[rid][0] != rec["cohort_year"]:
            sheet, i = rec["_sheet"], rec["_i"]
            out.reject_row(sheet, i, "cohort_year", rec["cohort_year"], "cohort_conflict",
                           f"the documented cohort is {cohort[rid][0]} ({cohort[rid][1]})")
            continue
        cohort.setdefault(rid, (rec["cohort_year"], rec["cohort_source"], rec["cohort_is_simulated"]))
    from_recap: dict[int, Counter] = {}
    for rec in recap:
        if rec.get("cohort_year_recap"):
            from_recap.setdefault(rec["regency_id"], Counter())[(rec["cohort_year_recap"], rec["is_simulated"])] += 1
    for rid, counts in from_recap.items():
        (year, sim), _ = counts.most_common(1)[0]
        cohort.setdefault(rid, (year, "Angkatan column of the recap workbooks", sim))
    table["cohort_year"] = pd.array([cohort.get(r, (None,))[0] for r in table["regency_id"]], dtype="Int64")
    table["cohort_source"] = [cohort.get(r, (None, None))[1] for r in table["regency_id"]]
    table["cohort_is_simulated"] = pd.array([cohort.get(r, (None, None, pd.NA))[2] for r in table["regency_id"]],
                                            dtype="boolean")
    return table


def _with_names(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    names = regencies.gazetteer()[["regency_id", "regency", "province", "kind"]]
    merged = frame.merge(names, on="regency_id", how="left", validate="m:1")
    return merged[columns]


SCORE_COLUMNS = ["regency_id", "regency", "province", "kind", "year", "stage", "assessor", "level",
                 "pillar_key", "dimension_key", "score", "is_simulated", "layout", "source_file",
                 "source_sheet", "source_row"]


REGENCY_YEAR_COLUMNS = (["regency_id", "regency", "province", "kind", "cohort_year", "years_in_programme",
                         "evaluation_group", "year"] + PILLARS + DIMENSIONS +
                        ["final_score_reported", "rank_reported", "n_assessors", "source_layout", "is_simulated"])


QUICK_WIN_COLUMNS = ["regency_id", "regency", "province", "year", "pillar_key", "programme_name", "score_output",
                     "score_outcome", "score_impact", "score_sustainability", "is_simulated", "source_file",
                     "source_sheet", "source_row"]


REJECT_COLUMNS = ["source_file", "source_sheet", "source_row", "column", "value", "reason", "suggestion", "layout"]


def _build_regency_year(recap: list[dict], scores: pd.DataFrame, regencies: pd.DataFrame) -> pd.DataFrame:
    base = pd.DataFrame(recap, columns=["regency_id", "year", "evaluation_group", "is_simulated",
                                        "final_score_reported", "rank_reported"] + PILLARS + DIMENSIONS)
    base["source_layout"] = "recap"
    assessed = scores[scores["level"] == "assessor"].copy()
    if not assessed.empty:
        # The latest stage of each regency-year stands for it (Tahap II revises Tahap I).
        assessed["stage_order"] = assessed["stage"].map({"I": 1, "II": 2, "III": 3, "IV": 4}).fillna(0)
        last = assessed.groupby(["regency_id", "year"])["stage_order"].transform("max")
        assessed = assessed[assessed["stage_order"] == last]
        assessed["key"] = assessed["pillar_key"].fillna(assessed["dimension_key"])
        wide = assessed.pivot_table(index=["regency_id", "year"], columns="key", values="score", aggfunc="mean")
        meta = assessed.groupby(["regency_id", "year"]).agg(
            n_assessors=("assessor", "nunique"), is_simulated=("is_simulated", "any"),
            source_layout=("layout", lambda s: "+".join(sorted(set(s)))))
        agg = wide.join(meta).reset_index()
        keys = set(zip(base["regency_id"], base["year"]))
        only = agg[[k not in keys for k in zip(agg["regency_id"], agg["year"])]]
        base = base.merge(agg[["regency_id", "year", "n_assessors"]], on=["regency_id", "year"],
                          how="left", validate="1:1")
        base = pd.concat([base, only.assign(evaluation_group=DEFAULT_GROUP)], ignore_index=True)
    else:
        base["n_assessors"] = 0
    for col in PILLARS + DIMENSIONS + ["final_score_reported"]:
        base[col] = pd.to_numeric(base[col]).astype("float64")
    base["rank_reported"] = pd.array(base["rank_reported"], dtype="Int64")
    base["n_assessors"] = pd.array(base["n_assessors"].fillna(0), dtype="Int64")
    base["is_simulated"] = base["is_simulated"].astype(bool)
    base = base.merge(regencies[["regency_id", "regency", "province", "kind", "cohort_year"]],
                      on="regency_id", how="left", validate="m:1")
    base["years_in_programme"] = (base["year"].astype("Int64") - base["cohort_year"]).astype("Int64")
    base = base.astype({"year": "int64", "regency_id": "int64"})
    return base[REGENCY_YEAR_COLUMNS].sort_values(["year", "regency_id"], ignore_index=True)


def code_version() -> str:
    """Package version plus a hash of the package's source, so any code change shows."""
    digest = hashlib.sha256()
    package = paths.PACKAGE_DIR
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".csv"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def clean_raw_folder(raw_dir: Path, progress: bool = False) -> Cleaned:
    """Read and clean every raw file; write nothing.

    Args:
        raw_dir: Folder of raw files (searched recursively).
        progress: Show a progress bar over files.

    Returns:
        The processed tables.

    Raises:
        RawFileError: a file that cannot be parsed, naming it and what was expected.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise RawFileError(f"{raw_dir}: raw data folder not found; create it and put the evaluation files in it")
    files = discover_files(raw_dir)
    out = _Collector()
    hashes, file_layouts = {}, {}
    iterator = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="reading raw files", unit="file")
    for path in iterator:
        name = path.relative_to(raw_dir).as_posix()
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        layouts = set()
        for sheet in read_grid_file(path, name):
            if sheet.sheet and sheet.sheet.strip().casefold() in IGNORED_SHEETS:
                continue
            if not any(not is_blank(c) for r in sheet.rows for c in r):
                continue  # an empty sheet holds nothing to lose
            detect_layout(sheet)
            PARSERS[sheet.layout](sheet, out)
            layouts.add(sheet.layout)
        file_layouts[name] = "+".join(sorted(layouts)) or "empty"
    recap = _dedupe_recap(out)
    form = _supersede_resubmissions(out)
    regencies = _build_regencies(out, recap)
    score_records = [{k: v for k, v in r.items() if k in SCORE_COLUMNS} for r in out.scores + form]
    scores = pd.DataFrame(score_records, columns=[c for c in SCORE_COLUMNS if c not in ("regency", "province", "kind")])
    scores = _with_names(scores, SCORE_COLUMNS)
    scores = scores.astype({"regency_id": "int64", "year": "int64", "source_row": "int64",
                            "score": "float64", "is_simulated": bool})
    scores = scores.sort_values(["source_file", "source_sheet", "source_row", "pillar_key", "dimension_key"],
                                ignore_index=True, na_position="first")
    regency_year = _build_regency_year(recap, scores, regencies)
    quick_wins = _with_names(pd.DataFrame(out.quick_wins, columns=[c for c in QUICK_WIN_COLUMNS if c not in
                                                                   ("regency", "province")]), QUICK_WIN_COLUMNS)
    published = pd.DataFrame(out.published, columns=["index", "year", "region", "regency_id", "metric", "value",
                                                     "rank", "rank_of", "rank_scope", "source_url",
                                                     "is_simulated", "source_file", "source_row"])
    published["regency_id"] = pd.array(published["regency_id"], dtype="Int64")
    for col in ("rank", "rank_of"):
        published[col] = pd.array(published[col].round(), dtype="Int64") if len(published) else published[col]
    rejects = pd.DataFrame(out.rejects, columns=REJECT_COLUMNS).astype({"source_row": "int64"}).sort_values(
        ["source_file", "source_sheet", "source_row", "column"], ignore_index=True, kind="stable")
    manifest = _manifest(files, raw_dir, hashes, file_layouts, out, rejects)
    cleaned = Cleaned(scores, regency_year, quick_wins, published, regencies, rejects, manifest)
    from smartcity_utils.clean.schemas import validate_tables

    validate_tables(cleaned)
    return cleaned


def _manifest(files, raw_dir, hashes, file_layouts, out: _Collector, rejects: pd.DataFrame) -> pd.DataFrame:
    per_file = Counter()
    for (file, _sheet, _row), s in out.row_status.items():
        per_file[(file, s)] += 1
    values_rejected = rejects.groupby("source_file").size() if len(rejects) else pd.Series(dtype=int)
    version = code_version()
    rows = []
    for path in files:
        name = path.relative_to(raw_dir).as_posix()
        kept, rejected = per_file[(name, "kept")], per_file[(name, "rejected")]
        rows.append({"source_file": name, "layout": file_layouts[name], "sha256": hashes[name],
                     "rows_read": kept + rejected, "rows_kept": kept, "rows_rejected": rejected,
                     "values_rejected": int(values_rejected.get(name, 0)), "code_version": version})
    return pd.DataFrame(rows, columns=["source_file", "layout", "sha256", "rows_read", "rows_kept",
                                       "rows_rejected", "values_rejected", "code_version"]).astype(
        {"rows_read": "int64", "rows_kept": "int64", "rows_rejected": "int64", "values_rejected": "int64"})


def run_clean(raw_dir: Path, out_dir: Path, progress: bool = False) -> Cleaned:
    """Clean ``raw_dir`` and write the tables to ``out_dir``; returns the tables."""
    cleaned = clean_raw_folder(raw_dir, progress=progress)
    write_tables(cleaned.tables(), out_dir)
    return cleaned
