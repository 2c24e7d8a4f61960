"""Cleaning: every raw file of a folder into the validated processed tables.

Entry points: ``clean_raw_folder(raw_dir) -> Cleaned`` (reads, never writes)
and ``run_clean(raw_dir, out_dir)`` (also writes the tables atomically). Each
raw row below a header is either kept or listed in ``rejects`` with a reason;
each bad value in a kept row is listed there too. The layouts are described in
``docs/data_model.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcity_utils import paths, regencies
from smartcity_utils import reference as ref
from smartcity_utils.clean.assessor import is_blank_assessor_sheet
from smartcity_utils.clean.bounded import limits
from smartcity_utils.clean.builders import Shared, build_tables
from smartcity_utils.clean.form import supersede_resubmissions
from smartcity_utils.clean.precedence import (
    is_revision,
    list_replaced,
    resolve_agencies,
    resolve_assessor_duplicates,
    resolve_recap,
    row_reference,
    set_aside_simulated,
)
from smartcity_utils.clean.quick_wins import FILLED
from smartcity_utils.clean.recommendations import build_recommendations, drop_superseded
from smartcity_utils.clean.rows import DIMENSIONS, MARK_DROPPED, PILLARS, Collector
from smartcity_utils.clean.sheets import (
    DATA_SUFFIXES,
    FORMULA_TEXT,
    IGNORED_SUFFIXES,
    Sheet,
    detect_layout,
    is_ignored_sheet,
    note_cells_beyond_header,
    read_grid_file,
    read_hidden_sheets,
)
from smartcity_utils.errors import RawConflictError, RawFileError, UserError
from smartcity_utils.freshness import code_version, step_digest
from smartcity_utils.metadata.layouts import PARSERS, expected_layouts
from smartcity_utils.metadata.resources import column_names, table_names
from smartcity_utils.tables import file_digest, folder_lock, write_tables
from smartcity_utils.values import is_blank, mark_ambiguous_numbers


@dataclass
class Cleaned:
    """The processed tables (see ``docs/data_model.md``).

    The tables the cleaning builds itself are fields; the tables the registered layouts build
    (:attr:`smartcity_utils.metadata.layouts.Layout.builders`: ``quick_wins``, ``published_facts``, ``agencies``,
    and those of a layout registered later) are in :attr:`built` and read as attributes too
    (``cleaned.quick_wins``).
    """

    scores: pd.DataFrame
    regency_year: pd.DataFrame
    regencies: pd.DataFrame
    evaluation_groups: pd.DataFrame
    rejects: pd.DataFrame
    manifest: pd.DataFrame
    #: One row per recommendation of the panel (``clean.recommendations``); its follow-up statuses; each
    #: recommendation of year t with its status at t + 1.
    recommendations: pd.DataFrame | None = None
    recommendation_status: pd.DataFrame | None = None
    recommendation_followup: pd.DataFrame | None = None
    #: Table -> the table a registered layout builds (``clean.builders.build_tables``).
    built: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        own = [name for name in self.built if name in {f.name for f in dataclasses.fields(self)}]
        if own:
            raise ValueError(f"the cleaning builds {own} itself; a layout cannot build them")

    def __getattr__(self, name: str) -> pd.DataFrame | None:
        # Called only for a name that is no field: a built table, or None for a processed table not built.
        if name.startswith("_") or name == "built":
            raise AttributeError(name)
        if name in self.built:
            return self.built[name]
        if name in table_names("processed"):
            return None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name -> table, in the order the tables are written (:func:`~smartcity_utils.metadata.resources.table_names`
        of ``processed``)."""
        return {name: getattr(self, name) for name in table_names("processed")}


def discover_files(raw_dir: Path) -> list[Path]:
    """Data files under ``raw_dir`` in a fixed order: every entry is read or refused, none skipped in silence.

    Skipped by rule (and documented): hidden files and folders (a name
    starting with ``.``, folders starting with ``_``), Excel lock files
    (``~$``) and documentation (``.md``, ``.txt``, ``.json``, ``.pdf``). A
    link to a file is read through the link. Refused, all in one message: a
    file type that is not read, a link to nothing, a linked folder (not
    followed: it could lead out of the folder or around in a circle), a FIFO
    or other special file (opening one would wait for ever), and a file or
    folder the user may not read.

    Raises:
        RawFileError: one line listing every entry that cannot be read, with the fix.
    """
    files: list[Path] = []
    problems: list[str] = []

    def walk(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{_rel(folder, raw_dir)}/ cannot be listed ({exc.strerror}); make it readable")
            return
        for entry in entries:
            path = Path(entry.path)
            rel = _rel(path, raw_dir)
            is_link = entry.is_symlink()
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith((".", "_")):
                    walk(path)
                continue
            if entry.name.startswith((".", "~$")):
                continue  # hidden files, Excel lock files
            suffix = path.suffix.lower()
            if suffix in IGNORED_SUFFIXES:
                continue
            try:
                st = path.stat()
            except OSError:
                target = os.readlink(path) if is_link else "?"
                problems.append(f"{rel} is a link to {target}, which does not exist; remove the link or restore "
                                "the file")
                continue
            if stat.S_ISDIR(st.st_mode):
                problems.append(f"{rel} is a link to the folder {os.readlink(path)}, which is not followed; copy "
                                "its files in, or pass it with --raw")
            elif not stat.S_ISREG(st.st_mode):
                kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
                problems.append(f"{rel} is {kind}, not a file the cleaner can read; move it out of the raw folder")
            elif suffix not in DATA_SUFFIXES:
                problems.append(f"{rel}: file type {suffix or '(none)'} is not read; save it as .xlsx or .csv, "
                                "or move it out of the raw folder")
            elif not os.access(path, os.R_OK):
                problems.append(f"{rel} cannot be read (permission denied); make it readable (chmod u+r) or move "
                                "it out of the raw folder")
            else:
                files.append(path)

    walk(Path(raw_dir))
    if len(problems) == 1:
        raise RawFileError(problems[0])
    if problems:
        raise RawFileError(f"{raw_dir}: {len(problems)} entries cannot be read: " + "; ".join(problems))
    return sorted(files)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != Path(root) else str(root)


def _build_regencies(out: Collector, recap: list[dict]) -> pd.DataFrame:
    """Gazetteer plus cohort: documented cohorts, then the register, then recap columns."""
    table = regencies.gazetteer().copy()
    cohort: dict[int, tuple[int, str, bool]] = {}
    resolver = regencies.regency_resolver()
    for _, row in ref.known_cohorts().iterrows():
        rid = resolver.resolve(row["regency"]).regency_id
        cohort[rid] = (int(row["cohort_year"]), str(row["source"]), False)
    # Real register rows first: a simulated cohort never displaces a real one.
    for rec in sorted(out.cohorts, key=lambda r: bool(r["cohort_is_simulated"])):
        rid = rec["regency_id"]
        if rid in cohort and cohort[rid][0] != rec["cohort_year"]:
            sheet, i = rec["_sheet"], rec["_i"]
            out.reject_row(sheet, i, "cohort_year", rec["cohort_year"], "cohort_conflict",
                           f"the cohort kept is {cohort[rid][0]} ({cohort[rid][1]}); correct one of the two")
            continue
        cohort.setdefault(rid, (rec["cohort_year"], rec["cohort_source"], rec["cohort_is_simulated"]))
    from_recap: dict[int, Counter] = {}
    for rec in recap:
        if rec.get("cohort_year_recap"):
            from_recap.setdefault(rec["regency_id"], Counter())[(rec["cohort_year_recap"], rec["is_simulated"])] += 1
    for rid, counts in from_recap.items():
        # The most frequent cohort among the real rows, else among the simulated ones.
        (year, sim), _ = max(counts.items(), key=lambda item: (not item[0][1], item[1]))
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


SCORE_COLUMNS = column_names("scores")


#: A reported rank and what it is a rank in (``rank_of``: the group's size; ``rank_scope``: as the source
#: words it), and a rank within the province, which sources quote beside the national one.
RANK_COLUMNS = ["final_score_reported", "rank_reported", "rank_of", "rank_scope", "rank_province_reported",
                "rank_province_of"]


REGENCY_YEAR_COLUMNS = column_names("regency_year")


MANIFEST_COLUMNS = column_names("manifest")


#: Reject reason of a simulated row set aside because real rows exist for its regency-year.
SET_ASIDE = "set_aside_simulated"


#: Reasons that are no fault of the row: another row holds instead (a later answer, a revision,
#: the same value elsewhere, real data), or a note on a kept value (filled down from a merged
#: cell, read without its footnote mark). They do not count in ``regency_year.n_rows_rejected``.
REPLACED = frozenset({SET_ASIDE, "superseded", "superseded_by_revision", "duplicate_value", FILLED, MARK_DROPPED,
                      FORMULA_TEXT})


#: Reject reasons shown per file in the summary of ``smartcity clean``.
TOP_REASONS = 3


#: ``regency_id``: the regency the cleaner resolved the row to; empty where it did not (an unknown or blank name,
#: a row that is no regency's).
REJECT_COLUMNS = column_names("rejects")


def _build_regency_year(recap: list[dict], scores: pd.DataFrame, regencies: pd.DataFrame,
                        rejects: pd.DataFrame, row_context: dict, groups: pd.DataFrame) -> pd.DataFrame:
    """One row per regency and year, with where its values came from.

    A recap row gives the panel values; where it has none for a pillar or a
    dimension (or where there is no recap row), the mean over the assessors
    of the latest stage fills in. Real and simulated rows never meet here:
    ``precedence.set_aside_simulated`` has already removed the simulated rows
    of a regency-year that has real ones.
    """
    value_cols = PILLARS + DIMENSIONS
    base = pd.DataFrame(recap, columns=["regency_id", "year", "evaluation_group", "is_simulated", "layout",
                                        "source_url", "source_file", "source_files", "source_rows"]
                        + RANK_COLUMNS + value_cols)
    base["source_files"] = base["source_files"].astype(object).where(base["source_files"].notna(), base["source_file"])
    single = [row_reference(r) for r in recap]
    base["source_rows"] = base["source_rows"].astype(object).where(base["source_rows"].notna(),
                                                                  pd.Series(single, index=base.index, dtype=object))
    assessed = scores[scores["level"] == "assessor"].copy()
    keys = ["regency_id", "year"]
    if not assessed.empty:
        # The latest stage of each regency-year stands for it (Tahap II revises Tahap I).
        assessed["stage_order"] = assessed["stage"].map({"I": 1, "II": 2, "III": 3, "IV": 4}).fillna(0)
        last = assessed.groupby(keys)["stage_order"].transform("max")
        assessed = assessed[assessed["stage_order"] == last]
        assessed["key"] = assessed["pillar_key"].fillna(assessed["dimension_key"])
        wide = assessed.pivot_table(index=keys, columns="key", values="score", aggfunc="mean")
        wide = wide.reindex(columns=value_cols)
        real = assessed[~assessed["is_simulated"]].groupby(keys)["assessor"].nunique()
        sim = assessed[assessed["is_simulated"]].groupby(keys)["assessor"].nunique()
        meta = assessed.groupby(keys).agg(
            n_assessors=("assessor", "nunique"), is_simulated_a=("is_simulated", "any"),
            layouts=("layout", lambda s: "+".join(sorted(set(s)))),
            files_a=("source_file", lambda s: "; ".join(dict.fromkeys(s))))
        meta["n_assessors_real"] = real.reindex(meta.index).fillna(0)
        meta["n_assessors_simulated"] = sim.reindex(meta.index).fillna(0)
        agg = wide.join(meta).reset_index()
    else:
        agg = pd.DataFrame(columns=keys + value_cols + ["n_assessors", "is_simulated_a", "layouts", "files_a",
                                                         "n_assessors_real", "n_assessors_simulated"])
    merged = base.merge(agg, on=keys, how="outer", suffixes=("", "_a"), validate="1:1", indicator=True)
    has_recap = merged["_merge"] != "right_only"
    filled = pd.Series(False, index=merged.index)
    for col in value_cols:
        gap = merged[col].isna() & merged[f"{col}_a"].notna()
        filled |= gap & has_recap
        merged[col] = merged[col].where(~gap, merged[f"{col}_a"])
    merged["source_layout"] = merged["layouts"].where(~has_recap, merged["layout"])
    merged.loc[filled, "source_layout"] = merged.loc[filled, "layout"] + "+" + merged.loc[filled, "layouts"]
    merged["is_simulated"] = merged["is_simulated"].where(has_recap, merged["is_simulated_a"])
    # Every file that gave the regency-year a value: the recap's, then the assessor sheets' filling its gaps.
    merged["source_files"] = merged["source_files"].where(has_recap, merged["files_a"])
    merged.loc[filled, "source_files"] = merged.loc[filled, "source_files"] + "; " + merged.loc[filled, "files_a"]
    base = merged
    for col in value_cols + ["final_score_reported"]:
        base[col] = pd.to_numeric(base[col]).astype("float64")
    for col in ("rank_reported", "rank_of", "rank_province_reported", "rank_province_of"):
        base[col] = pd.array(pd.to_numeric(base[col]), dtype="Int64")
    for col in ("n_assessors", "n_assessors_real", "n_assessors_simulated"):
        base[col] = pd.array(pd.to_numeric(base[col]).fillna(0).astype(int), dtype="Int64")
    base["is_simulated"] = base["is_simulated"].astype(bool)
    base = base.astype({"year": "int64", "regency_id": "int64"})
    counts = _reject_counts(rejects, row_context)
    base = base.merge(counts, on=keys, how="left", validate="1:1")
    for col in ("n_rows_rejected", "n_values_set_aside"):
        base[col] = pd.array(base[col].fillna(0).astype(int), dtype="Int64")
    base = base.merge(regencies[["regency_id", "regency", "province", "kind", "cohort_year"]],
                      on="regency_id", how="left", validate="m:1")
    base["years_in_programme"] = (base["year"].astype("Int64") - base["cohort_year"]).astype("Int64")
    base = _with_groups(base, groups)
    base["cohort_size"] = _cohort_sizes(base["cohort_year"], regencies)
    return base[REGENCY_YEAR_COLUMNS].sort_values(["year", "regency_id"], ignore_index=True)


def _with_groups(base: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """The evaluation group of every regency-year, and the group's size where it is known.

    A row's group is the one its files name (``Kelompok``). A row whose files
    name none (a published letter, a form export) joins the one group of its
    year that ranked its cohort (a register's ``Angkatan``, or
    ``evaluation_groups.csv``: in 2024 the 191 of the 2017-2022 cohorts, the 50
    of the 2023 cohort); when no group or several hold its cohort, or its
    cohort is unknown, its group stays unknown (empty): no default group is
    assumed. A group's size is the declared one (a register or the reference
    table), else the size its rows give with their ranks or a ``Jumlah
    Peserta`` column ("8 dari 37") when they all agree; unknown otherwise. A row
    of no known group keeps only the size of its own letter. A published rank
    without its own size takes the size of a declared group that is as real as
    the row (a real letter never takes a simulated group's size).
    """
    base = base.copy()
    unset = base["evaluation_group"].isna() & base["cohort_year"].notna()
    spans = groups.dropna(subset=["cohort_from", "cohort_to"])
    for idx in base.index[unset]:
        year, cohort = base.at[idx, "year"], base.at[idx, "cohort_year"]
        hits = spans[(spans["year"] == year) & (spans["cohort_from"] <= cohort) & (spans["cohort_to"] >= cohort)]
        if len(hits) == 1:
            base.at[idx, "evaluation_group"] = hits["evaluation_group"].iloc[0]
    named = base["evaluation_group"].notna()
    declared = groups.set_index(["year", "evaluation_group"])
    keys = pd.MultiIndex.from_arrays([base["year"], base["evaluation_group"]])
    size = pd.Series(declared["n_members"].reindex(keys).to_numpy(), index=base.index, dtype="Float64")
    given = base[named].groupby(["year", "evaluation_group"])["rank_of"].transform(
        lambda s: s.dropna().iloc[0] if s.dropna().nunique() == 1 else pd.NA).reindex(base.index)
    # A row of no known group: its own letter's size, never another row's.
    given = given.where(named, base["rank_of"])
    base["group_size"] = pd.array(size.fillna(pd.to_numeric(given).astype("Float64")).round(), dtype="Int64")
    group_real = pd.Series(~declared["is_simulated"].reindex(keys).fillna(True).astype(bool).to_numpy(),
                           index=base.index)
    as_real = group_real | base["is_simulated"].astype(bool)
    has_rank = base["rank_reported"].notna() & base["rank_of"].isna() & as_real
    base.loc[has_rank, "rank_of"] = pd.array(size[has_rank].round(), dtype="Int64")
    scope = pd.Series(declared["rank_scope"].reindex(keys).to_numpy(), index=base.index)
    fill_scope = base["rank_scope"].isna() & base["rank_reported"].notna() & as_real
    base["rank_scope"] = base["rank_scope"].where(~fill_scope, scope)
    return base


def _cohort_sizes(cohort_year: pd.Series, regencies: pd.DataFrame) -> pd.Series:
    """Members of each row's cohort: the published size (``cohort_sizes.csv``), else the regencies known to it."""
    published = ref.cohort_sizes().set_index("cohort_year")["n_regencies"]
    known = regencies["cohort_year"].value_counts()
    sizes = [published.get(int(c), known.get(int(c))) if pd.notna(c) else None for c in cohort_year]
    return pd.array(sizes, dtype="Int64")


#: The file name under which the documented evaluation groups appear in ``evaluation_groups``.
REFERENCE_GROUPS = "smartcity_utils/data/evaluation_groups.csv"


GROUP_COLUMNS = column_names("evaluation_groups")


def _build_groups(out: Collector) -> pd.DataFrame:
    """The evaluation groups: the documented ones, then the registers' (real before simulated).

    Two real sources that give one group two sizes stop the run; a simulated
    group beside a real one of the same year and name is set aside.
    """
    documented = ref.evaluation_groups().assign(is_simulated=False, source_file=REFERENCE_GROUPS)
    documented["source_row"] = range(2, len(documented) + 2)
    rows = documented.to_dict("records") + sorted(out.groups, key=lambda r: bool(r["is_simulated"]))
    kept: dict[tuple[int, str], dict] = {}
    conflicts = []
    for rec in rows:
        key = (rec["year"], rec["evaluation_group"])
        first = kept.get(key)
        if first is None:
            kept[key] = rec
        elif rec["is_simulated"] and not first["is_simulated"]:
            list_replaced(out, {**rec, "source_sheet": "", "regency_id": None}, "groups", "evaluation_group",
                          rec["evaluation_group"], SET_ASIDE,
                          f"the real group {key[1]} {key[0]} is given by {first['source_file']}; simulated values "
                          "are never used beside real ones", whole_row=True, counted=False)
        elif rec["n_members"] == first["n_members"]:
            list_replaced(out, {**rec, "source_sheet": "", "regency_id": None}, "groups", "rank_of",
                          rec["n_members"], "duplicate_value",
                          f"the same size is in {first['source_file']} row {first['source_row']}; kept once",
                          whole_row=True, counted=False)
        else:
            conflicts.append(f"{key[1]} {key[0]}: {first['source_file']} row {first['source_row']} gives "
                             f"{first['n_members']}, {rec['source_file']} row {rec['source_row']} gives "
                             f"{rec['n_members']}")
    if conflicts:
        raise RawConflictError("two sources give an evaluation group different sizes: " + "; ".join(conflicts[:3])
                               + ". Correct or remove one of them and rerun")
    table = pd.DataFrame(list(kept.values())).reindex(columns=GROUP_COLUMNS)
    return table.astype({"year": "int64", "n_members": "int64", "is_simulated": bool, "source_row": "int64",
                         "cohort_from": "Int64", "cohort_to": "Int64"})


def _reject_counts(rejects: pd.DataFrame, row_context: dict) -> pd.DataFrame:
    """Per regency-year: raw rows with a listed fault, and values set aside as simulated."""
    columns = ["regency_id", "year", "n_rows_rejected", "n_values_set_aside"]
    if rejects.empty:
        return pd.DataFrame(columns=columns).astype({"regency_id": "int64", "year": "int64"})
    ctx = [row_context.get((f, s, r)) for f, s, r in
           zip(rejects["source_file"], rejects["source_sheet"], rejects["source_row"])]
    frame = rejects.assign(regency_id=[c[0] if c else None for c in ctx], year=[c[1] if c else None for c in ctx])
    frame = frame.dropna(subset=["regency_id"]).astype({"regency_id": "int64", "year": "int64"})
    aside = frame["reason"] == SET_ASIDE
    faults = (frame[~frame["reason"].isin(REPLACED)].drop_duplicates(["source_file", "source_sheet", "source_row"])
              .groupby(["regency_id", "year"]).size().rename("n_rows_rejected"))
    set_aside = frame[aside].groupby(["regency_id", "year"]).size().rename("n_values_set_aside")
    out = pd.concat([faults, set_aside], axis=1).reset_index()
    return out.reindex(columns=columns).astype({"regency_id": "int64", "year": "int64"})


def _folder_labels(folders: list[Path]) -> list[str]:
    """Prefix of the file names of each folder: none for one folder; ``example/`` for the bundled set."""
    if len(folders) == 1:
        return [""]
    labels = []
    for folder in folders:
        label = "example" if paths.is_example(folder) else folder.name or "raw"
        while label in labels:
            label += "_"
        labels.append(label)
    return [f"{label}/" for label in labels]


def _has_numbers(sheet: Sheet) -> bool:
    return any(isinstance(c, (int, float)) and not isinstance(c, bool) for r in sheet.rows for c in r)


def _read_file(path: Path, name: str, out: Collector) -> dict:
    """Parse every sheet of one file into ``out``; returns what the manifest says about the file.

    Raises:
        RawFileError: the file holds no sheet in a known layout (empty, only a
            header, only notes, or an unrelated workbook), or a sheet with numbers
            matches no layout.
    """
    sheets = read_grid_file(path, name)
    layouts, skipped, ignored, titles, hidden = set(), [], [], [], []
    for sheet in sheets:
        label = sheet.sheet or "(csv)"
        if sheet.hidden and not read_hidden_sheets():
            hidden.append(_hidden_sheet(sheet, out))
            continue
        if sheet.sheet and is_ignored_sheet(sheet.sheet):
            skipped.append(f"{label} (instructions or notes)")
            continue
        if not any(not is_blank(c) for r in sheet.rows for c in r):
            skipped.append(f"{label} (empty)")
            continue
        try:
            detect_layout(sheet)
        except RawFileError:
            # Text beside the data (instructions under another name, a cover page) is skipped;
            # a sheet with numbers in no known layout stops the run.
            if len(sheets) > 1 and not _has_numbers(sheet):
                skipped.append(f"{label} (text only, no table)")
                continue
            raise
        if not any(not is_blank(c) for r in sheet.rows[sheet.header_row + 1:] for c in r):
            skipped.append(f"{label} (header only, no rows)")
            continue
        if sheet.layout == "assessor" and is_blank_assessor_sheet(sheet):
            skipped.append(f"{label} (blank: no regency and no score filled in)")
            continue
        note_cells_beyond_header(sheet, out)
        mark_ambiguous_numbers(sheet.rows, [j for j, c in sheet.columns.items() if _is_number_column(c)],
                               sheet.header_row + 1)
        PARSERS[sheet.layout](sheet, out)
        _list_notes(sheet, out)
        layouts.add(sheet.layout)
        titles.append(sheet.title)
        ignored += [c for c in sheet.ignored_columns if c not in ignored]
    if not layouts:
        what = "; ".join(skipped + hidden) or "no sheet"
        raise RawFileError(f"{name}: holds no data in a known layout ({what}); expected {expected_layouts()}. "
                           "Fill it in, or move it out of the raw folder")
    return {"layout": "+".join(sorted(layouts)), "sheets_skipped": "; ".join(skipped),
            "hidden_sheets": "; ".join(hidden), "encoding": next((s.encoding for s in sheets if s.encoding), ""),
            "ignored_columns": "; ".join(ignored), "is_revision": is_revision(Path(name).name, titles)}


#: Columns whose text is read as a decimal number (scores, the index): where ``3.250`` is ambiguous in a sheet
#: typed with decimal commas.
NUMBER_COLUMNS = {"score", "final_score", "value", "score_output", "score_outcome", "score_impact",
                  "score_sustainability"}


def _is_number_column(name: str) -> bool:
    return name in NUMBER_COLUMNS or name.startswith(("pillar:", "dimension:"))


#: Reject reason of a hidden or very hidden sheet, which is listed with what it holds and not read.
HIDDEN_SHEET = "hidden_sheet"


def _hidden_sheet(sheet: Sheet, out: Collector) -> str:
    """List a hidden sheet (not read): in the rejects, and as the manifest's words for it."""
    filled = sum(1 for r in sheet.rows if any(not is_blank(c) for c in r))
    try:
        detect_layout(sheet)
        holds = f"layout {sheet.layout}, {len(sheet.rows) - sheet.header_row - 1:,} rows below its header"
    except RawFileError:
        holds = "no table in a known layout"
    what = f"{sheet.sheet} ({sheet.hidden}: {filled:,} filled rows, {holds}; not read)"
    from smartcity_utils.clean.sheets import READ_HIDDEN_ENV

    if filled:
        out.reject_value(sheet, sheet.header_row or 0, "", what, HIDDEN_SHEET,
                         "Excel does not show this sheet, so its values are not counted: if they should be, unhide "
                         f"it (right-click a sheet tab, Unhide) and save, or set {READ_HIDDEN_ENV}=1; if not, "
                         "delete it")
    return what


def _list_notes(sheet: Sheet, out: Collector) -> None:
    """List what reading found in single cells or lines (:attr:`Sheet.notes`), once the sheet is parsed.

    An undecodable line was left empty in the grid, so the parser listed it as
    a blank row: that listing is replaced by the line's own.
    """
    if not sheet.notes:
        return
    whole = {i + 1 for i, *_rest, whole_row in sheet.notes if whole_row}
    if whole:
        out.rejects = [r for r in out.rejects if not (r["reason"] == "blank_row" and r["source_row"] in whole
                                                      and r["source_file"] == sheet.file
                                                      and r["source_sheet"] == sheet.sheet)]
    listed = {(r["source_row"], r["value"]) for r in out.rejects
              if r["source_file"] == sheet.file and r["source_sheet"] == sheet.sheet}
    for i, column, value, reason, suggestion, whole_row in sheet.notes:
        if whole_row is None:  # a formula or error cell: listed unless the parser did
            if (i + 1, str(value)) not in listed:
                out.reject_value(sheet, i, column, value, reason, suggestion)
        elif whole_row:
            out.reject_row(sheet, i, column, value, reason, suggestion)
        else:
            out.reject_value(sheet, i, column, value, reason, suggestion)


def clean_raw_folder(raw_dir: Path | list[Path], progress: bool = False) -> Cleaned:
    """Read and clean every raw file of one or several folders; write nothing.

    Args:
        raw_dir: Folder of raw files (searched recursively), or a list of
            folders (the user's and the bundled example). With several
            folders, file names are prefixed with the folder's name
            (``example/`` for the bundled set).
        progress: Show a progress bar over files.

    Returns:
        The processed tables.

    Raises:
        RawFileError: a file that cannot be parsed, naming it and what was expected;
            ``RawConflictError`` when two files disagree and neither is a revision.
    """
    folders = [Path(d) for d in (raw_dir if isinstance(raw_dir, (list, tuple)) else [raw_dir])]
    files: list[tuple[Path, Path, str]] = []
    for folder, label in zip(folders, _folder_labels(folders)):
        if not folder.is_dir():
            raise RawFileError(f"{folder}: raw data folder not found; create it and put the evaluation files in it")
        files += [(folder, p, label + p.relative_to(folder).as_posix()) for p in discover_files(folder)]
    out = Collector()
    info: dict[str, dict] = {}
    iterator = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="reading raw files", unit="file")
    for folder, path, name in iterator:
        info[name] = {"raw_folder": str(folder), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                      **_read_file(path, name, out)}
    revisions = {name for name, i in info.items() if i["is_revision"]}
    set_aside_simulated(out)
    form = supersede_resubmissions(out)
    drop_superseded(out, {r["_status_key"] for r in out.form} - {r["_status_key"] for r in form})
    recap = resolve_recap(out, revisions)
    form = resolve_assessor_duplicates(out, form, revisions)
    out.agencies = resolve_agencies(out, revisions)
    regencies = _build_regencies(out, recap)
    groups = _build_groups(out)
    # Before the rejects table: statuses replaced by a later one or a revision are listed while building.
    names = regencies[["regency_id", "regency", "province"]]
    recommendations, statuses, followup = build_recommendations(out, revisions, names)
    # The tables of the layouts' own: one builder each (quick_wins, published_facts, agencies, ...).
    built = build_tables(Shared(out, regencies, revisions))
    score_records = [{k: v for k, v in r.items() if k in SCORE_COLUMNS} for r in out.scores + form]
    scores = pd.DataFrame(score_records, columns=[c for c in SCORE_COLUMNS if c not in ("regency", "province", "kind")])
    scores = _with_names(scores, SCORE_COLUMNS)
    scores = scores.astype({"regency_id": "int64", "year": "int64", "source_row": "int64",
                            "score": "float64", "is_simulated": bool})
    scores = scores.sort_values(["source_file", "source_sheet", "source_row", "pillar_key", "dimension_key"],
                                ignore_index=True, na_position="first")
    rejects = pd.DataFrame(out.rejects, columns=REJECT_COLUMNS).astype({"source_row": "int64"})
    rejects["regency_id"] = pd.array(out.reject_regencies(), dtype="Int64")
    rejects = rejects.sort_values(["source_file", "source_sheet", "source_row", "column"], ignore_index=True,
                                  kind="stable")
    regency_year = _build_regency_year(recap, scores, regencies, rejects, out.row_context, groups)
    manifest = _manifest([name for _, _, name in files], info, out, rejects)
    cleaned = Cleaned(scores, regency_year, regencies, groups, rejects, manifest, recommendations, statuses,
                      followup, built)
    unbuilt = [name for name, table in cleaned.tables().items() if table is None]
    if unbuilt:
        raise ValueError(f"the processed tables {unbuilt} are specified (metadata/resources.py) but no layout builds "
                         "them: name a builder for each in its layout's entry (metadata/layouts.py)")
    from smartcity_utils.clean.schemas import validate_tables

    validate_tables(cleaned)
    return cleaned


def _manifest(names: list[str], info: dict[str, dict], out: Collector, rejects: pd.DataFrame) -> pd.DataFrame:
    per_file = Counter()
    for (file, _sheet, _row), s in out.row_status.items():
        per_file[(file, s)] += 1
    values_rejected = rejects.groupby("source_file").size() if len(rejects) else pd.Series(dtype=int)
    version = code_version()
    rows = []
    for name in names:
        kept, rejected = per_file[(name, "kept")], per_file[(name, "rejected")]
        reasons = rejects.loc[rejects["source_file"] == name, "reason"].value_counts().head(TOP_REASONS)
        missing = "; ".join(f"{column} {n}" for (file, column), n in sorted(out.missing.items()) if file == name)
        rows.append({"source_file": name, **info[name], "rows_read": kept + rejected, "rows_kept": kept,
                     "rows_rejected": rejected, "values_rejected": int(values_rejected.get(name, 0)),
                     "top_reject_reasons": "; ".join(f"{k} {int(v)}" for k, v in reasons.items()),
                     "values_missing": missing, "code_version": version})
    return pd.DataFrame(rows, columns=MANIFEST_COLUMNS).astype(
        {"rows_read": "int64", "rows_kept": "int64", "rows_rejected": "int64", "values_rejected": "int64",
         "is_revision": bool})


def clean_digest(folders: list[Path]) -> str | None:
    """The digest of a cleaning: every data file read (its folder, name and bytes), the code, the reading limits.

    None when the folders cannot be listed whole (the cleaning then runs and says why).
    """
    try:
        inputs = {f"{folder.resolve()}/{_rel(file, folder)}": file_digest(file)
                  for folder in folders for file in discover_files(folder)}
        settings = {"limits": dataclasses.asdict(limits()), "read_hidden_sheets": read_hidden_sheets()}
    except (OSError, RawFileError, UserError):
        return None
    return step_digest(inputs, settings)


def run_clean(raw_dir: Path | list[Path], out_dir: Path, progress: bool = False) -> Cleaned:
    """Clean ``raw_dir`` (one folder or several) and write the tables to ``out_dir`` as one generation.

    The output folder's lock is held throughout (a second run on it stops),
    the raw folders are never written to, and a raw folder without data
    files stops the run before anything is written: the previous outputs stay.
    The tables are stamped with :func:`clean_digest` of the files read
    (see :func:`smartcity_utils.freshness.tables_are_fresh`).

    Raises:
        UserError: ``out_dir`` lies in a raw folder, or a raw folder holds no data file.
        RawFileError: see :func:`clean_raw_folder`.
        FolderInUseError: another run holds ``out_dir``.
    """
    folders = [Path(d) for d in (raw_dir if isinstance(raw_dir, (list, tuple)) else [raw_dir])]
    paths.check_outside_raw(out_dir, "--out", folders)
    for folder in folders:
        if folder.is_dir() and not discover_files(folder):
            raise RawFileError(
                f"{folder}: holds no data file ({', '.join(sorted(DATA_SUFFIXES))}), so nothing was cleaned and "
                f"the tables in {out_dir} are left as they were; put the evaluation files in it, or run with "
                "--example")
    with folder_lock(out_dir, "clean"):
        digest = clean_digest(folders)  # before reading: a file changed during the run makes the next one clean
        cleaned = clean_raw_folder(raw_dir, progress=progress)
        write_tables(cleaned.tables(), out_dir, stamp=digest)
    return cleaned
