"""Cleaning: every raw file under ``data/raw`` into validated tables.

Entry points: ``clean_raw_folder(raw_dir) -> Cleaned`` (reads, never writes)
and ``run_clean(raw_dir, out_dir)`` (also writes the tables atomically). Each
raw row below a header is either kept or listed in ``rejects`` with a reason;
each bad value in a kept row is listed there too. The layouts are described in
``docs/data_model.md``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections import Counter
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from smartcity_utils import __version__
from smartcity_utils import reference as ref
from smartcity_utils.values import parse_number
from smartcity_utils.readers import (
    DATA_SUFFIXES,
    IGNORED_SHEETS,
    IGNORED_SUFFIXES,
    RawFileError,
    Sheet,
    declared_scale,
    detect_layout,
    is_blank,
    read_grid_file,
    year_from_text,
)

PILLARS = list(ref.PILLAR_KEYS)
DIMENSIONS = list(ref.DIMENSION_KEYS)
TABLES = ("scores", "regency_year", "quick_wins", "published_facts", "regencies", "rejects", "manifest")
DEFAULT_GROUP = "Nasional"
#: Texts in the regency column that mark a subtotal rather than a regency.
SUBTOTAL = re.compile(r"^(jumlah|total|sub ?total|rata-?rata|rerata|average)\b")
FOOTNOTE = re.compile(r"^(\*|sumber\b|catatan\b|keterangan\b|note\b|source\b)")
TRUE_FLAGS = {"ya", "yes", "y", "true", "1", "simulasi"}
FALSE_FLAGS = {"tidak", "no", "n", "false", "0", "", "real", "asli"}
STAGE_PATTERN = re.compile(r"^(tahap\s*)?(i{1,3}|iv|[1-4])$")
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


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


@dataclass
class _Collector:
    """Accumulates records while sheets are parsed."""

    scores: list[dict] = field(default_factory=list)
    recap: list[dict] = field(default_factory=list)
    form: list[dict] = field(default_factory=list)
    quick_wins: list[dict] = field(default_factory=list)
    cohorts: list[dict] = field(default_factory=list)
    published: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    row_status: dict[tuple[str, str, int], str] = field(default_factory=dict)
    layouts: dict[str, set] = field(default_factory=dict)

    def keep(self, sheet: Sheet, i: int) -> None:
        self.row_status[(sheet.file, sheet.sheet, i + 1)] = "kept"

    def reject_row(self, sheet: Sheet, i: int, column: str, value: object, reason: str,
                   suggestion: str | None = None) -> None:
        self.row_status[(sheet.file, sheet.sheet, i + 1)] = "rejected"
        self.reject_value(sheet, i, column, value, reason, suggestion)

    def reject_value(self, sheet: Sheet, i: int, column: str, value: object, reason: str,
                     suggestion: str | None = None) -> None:
        self.rejects.append({
            "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1,
            "column": column, "value": "" if value is None else str(value), "reason": reason,
            "suggestion": suggestion or "", "layout": sheet.layout or "",
        })


# --------------------------------------------------------------------------- values


_SUGGEST = {
    "missing": "no score given; fill it in the source if it exists",
    "not_a_number": "write the score as a number, e.g. 3,25 or 3.25",
}


def parse_score(value: object, scale: int) -> tuple[float | None, str | None, str | None]:
    """A score converted to the 0 to 4 scale; returns (score, reason, suggestion)."""
    number, reason = parse_number(value)
    if reason:
        return None, reason, _SUGGEST[reason]
    score = number / 25.0 if scale == 100 else number
    if not 0.0 <= score <= 4.0:
        return None, "out_of_range", f"scores run from 0 to {scale} on this sheet; check the value"
    return round(score, 6), None, None


def parse_flag(value: object) -> bool | None:
    """``Simulasi`` cell as bool; None when it is neither yes nor no."""
    text = "" if value is None else str(value).strip().casefold()
    if text in TRUE_FLAGS:
        return True
    if text in FALSE_FLAGS:
        return False
    return None


def parse_stage(value: object) -> str | None:
    """``Tahap II``, ``2``, ``II`` -> ``II``; None when unreadable."""
    if is_blank(value):
        return None
    text = ref.normalise_label(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = STAGE_PATTERN.match(text)
    if not match:
        return None
    token = match.group(2)
    return ROMAN.get(token, token.upper())


#: Timestamp layouts of form exports; slashed dates are day first, as Indonesian exports write them.
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                     "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S")


def parse_timestamp(value: object) -> pd.Timestamp | None:
    """A submission time in one of ``TIMESTAMP_FORMATS``; None when blank or unreadable."""
    if isinstance(value, (pd.Timestamp, datetime)):
        return pd.Timestamp(value)
    if is_blank(value):
        return None
    text = str(value).strip()
    for fmt in TIMESTAMP_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


def _stage_or_first(sheet: Sheet, i: int, value: object, out: "_Collector") -> str:
    """The stage of a score; an empty cell means stage I, an unreadable one is listed in rejects."""
    stage = parse_stage(value)
    if stage is None and not is_blank(value):
        out.reject_value(sheet, i, "stage", value, "bad_stage",
                         "write the stage as Tahap I or Tahap II; the scores are kept as stage I")
    return stage or "I"


def parse_year(value: object) -> int | None:
    """A plausible evaluation year (2015-2035) or None."""
    number, reason = parse_number(value)
    if reason or number is None or not float(number).is_integer() or not 2015 <= number <= 2035:
        return None
    return int(number)


def _sheet_scale(sheet: Sheet, columns: list[int]) -> int:
    """100 when declared or when the median score is above 4, else 4."""
    declared = declared_scale(sheet)
    if declared:
        return declared
    values = []
    for row in sheet.rows[sheet.header_row + 1:]:
        for j in columns:
            if j < len(row):
                number, reason = parse_number(row[j])
                if reason is None:
                    values.append(number)
    return 100 if values and float(np.median(values)) > 4 else 4


def _cell(row: list[object], j: int | None) -> object:
    return row[j] if j is not None and j < len(row) else None


def _is_simulated(sheet: Sheet, row: list[object], col: int | None, i: int, out: _Collector) -> bool:
    if col is None:
        return False  # a file without the column is real data (docs/data_model.md)
    flag = parse_flag(_cell(row, col))
    if flag is None:
        # Never present a possibly simulated number as real.
        out.reject_value(sheet, i, "is_simulated", _cell(row, col), "unclear_simulated_flag",
                         "write ya or tidak; the row is treated as simulated")
        return True
    return flag


def _resolve_regency(sheet: Sheet, i: int, raw: object, province: object, out: _Collector) -> int | None:
    res = ref.regency_resolver().resolve(raw, province)
    if res.regency_id is None:
        hint = ("nearest known name: " if res.reason == "unknown_regency" else "write the full name: ")
        fix = f"{hint}{res.suggestion}; if the name is right, add it to smartcity_utils/data/regency_aliases.csv"
        out.reject_row(sheet, i, "regency", raw, res.reason, fix if res.suggestion else
                       "add the name to smartcity_utils/data/regency_aliases.csv")
    return res.regency_id


# --------------------------------------------------------------------------- layouts


def _col(sheet: Sheet, name: str) -> int | None:
    return next((j for j, c in sheet.columns.items() if c == name), None)


def _row_kind(row: list[object], regency_cell: object) -> str | None:
    """blank_row, footnote_row, subtotal_row or None for a data row."""
    non_blank = [c for c in row if not is_blank(c)]
    if not non_blank:
        return "blank_row"
    first = ref.normalise_label(non_blank[0]) if isinstance(non_blank[0], str) else ""
    if FOOTNOTE.match(first) or (isinstance(non_blank[0], str) and non_blank[0].strip().startswith("*")):
        return "footnote_row"
    if not is_blank(regency_cell) and SUBTOTAL.match(ref.normalise_label(regency_cell)):
        return "subtotal_row"
    return None


def parse_recap(sheet: Sheet, out: _Collector) -> None:
    """One row per regency: pillar, dimension and final scores, rank."""
    c_reg, c_prov, c_year = _col(sheet, "regency"), _col(sheet, "province"), _col(sheet, "year")
    c_final, c_rank, c_sim = _col(sheet, "final_score"), _col(sheet, "rank"), _col(sheet, "is_simulated")
    c_group, c_cohort = _col(sheet, "evaluation_group"), _col(sheet, "cohort_year")
    score_cols = {j: c for j, c in sheet.columns.items() if c.startswith(("pillar:", "dimension:"))}
    scale = _sheet_scale(sheet, list(score_cols) + ([c_final] if c_final is not None else []))
    file_year = year_from_text(sheet.title, sheet.sheet, Path(sheet.file).name)
    if c_year is None and file_year is None:
        raise RawFileError(f"{sheet.where()}: recap without a year; add a 'Tahun' column or "
                           "put the year in the title (e.g. 'TAHUN 2022')")
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        raw_name = _cell(row, c_reg)
        kind = _row_kind(row, raw_name)
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a regency row; nothing to do" if kind != "subtotal_row" else
                           "subtotals are recomputed from the regency rows")
            continue
        if is_blank(raw_name):
            out.reject_row(sheet, i, "regency", "", "missing_regency", "fill in the Kabupaten/Kota column")
            continue
        rid = _resolve_regency(sheet, i, raw_name, _cell(row, c_prov), out)
        if rid is None:
            continue
        year = file_year
        if c_year is not None:
            year = parse_year(_cell(row, c_year)) or None
            if year is None:
                out.reject_row(sheet, i, "year", _cell(row, c_year), "bad_year", "write the year as 2022")
                continue
        record = {"regency_id": rid, "year": year, "is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                  "evaluation_group": DEFAULT_GROUP, "cohort_year_recap": None,
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        if c_group is not None and not is_blank(_cell(row, c_group)):
            record["evaluation_group"] = str(_cell(row, c_group)).strip()
        if c_cohort is not None and not is_blank(_cell(row, c_cohort)):
            record["cohort_year_recap"] = parse_year(_cell(row, c_cohort))
            if record["cohort_year_recap"] is None:
                out.reject_value(sheet, i, "cohort_year", _cell(row, c_cohort), "bad_year",
                                 "write the cohort (Angkatan) as a year, e.g. 2021")
        for j, col in score_cols.items():
            kind_, key = col.split(":")
            score, reason, fix = parse_score(_cell(row, j), scale)
            record[key] = score
            if reason:
                out.reject_value(sheet, i, key, _cell(row, j), reason, fix)
            else:
                out.scores.append({"regency_id": rid, "year": year, "stage": "final", "assessor": None,
                                   "level": "panel", "pillar_key": key if kind_ == "pillar" else None,
                                   "dimension_key": key if kind_ == "dimension" else None, "score": score,
                                   "is_simulated": record["is_simulated"], "layout": "recap",
                                   "source_file": sheet.file, "source_sheet": sheet.sheet,
                                   "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        if c_final is not None:
            score, reason, fix = parse_score(_cell(row, c_final), scale)
            record["final_score_reported"] = score
            if reason:
                out.reject_value(sheet, i, "final_score", _cell(row, c_final), reason, fix)
        if c_rank is not None:
            number, reason = parse_number(_cell(row, c_rank))
            if reason is None and (number < 1 or not float(number).is_integer()):
                reason = "bad_rank"
            record["rank_reported"] = int(number) if reason is None else None
            if reason:
                out.reject_value(sheet, i, "rank", _cell(row, c_rank), reason, "a rank is a whole number from 1")
        out.recap.append(record)
        out.keep(sheet, i)


#: What an answer row can score: how to match the name, the canonical names, the alias file.
_TARGETS = {
    "pillar": (ref.match_pillar, lambda: list(ref.pillars()["pillar"]), "pillar_aliases.csv"),
    "dimension": (ref.match_dimension, lambda: list(ref.dimensions()["dimension"]), "dimension_aliases.csv"),
}


def _score_target(sheet: Sheet, i: int, pillar_raw: object, dim_raw: object,
                  out: _Collector) -> tuple[str | None, str | None] | None:
    """(pillar_key, dimension_key) of an answer row, or None after rejecting it.

    Exactly one of the two cells must be filled: a row scores a pillar or an
    evaluation dimension.
    """
    filled = [(kind, raw) for kind, raw in (("pillar", pillar_raw), ("dimension", dim_raw)) if not is_blank(raw)]
    if len(filled) != 1:
        reason, value = ("pillar_and_dimension", f"{pillar_raw} | {dim_raw}") if filled else ("no_pillar_or_dimension", "")
        out.reject_row(sheet, i, "pillar", value, reason,
                       "fill in either Pilar or Dimensi: a row scores one pillar or one dimension")
        return None
    kind, raw = filled[0]
    match, names, alias_file = _TARGETS[kind]
    key = match(raw)
    if key is None:
        out.reject_row(sheet, i, kind, raw, f"unknown_{kind}",
                       f"nearest {kind}: {ref.nearest(raw, names())}; "
                       f"or add the spelling to smartcity_utils/data/{alias_file}")
        return None
    return (key, None) if kind == "pillar" else (None, key)


def parse_assessor(sheet: Sheet, out: _Collector) -> None:
    """One sheet per assessor: label rows, then one row per pillar and per dimension."""
    labels = sheet.labels
    c_p, c_d, c_s, c_sim = (_col(sheet, n) for n in ("pillar", "dimension", "score", "is_simulated"))
    scale = _sheet_scale(sheet, [c_s])
    year = parse_year(labels.get("year"))
    stage = _stage_or_first(sheet, sheet.label_rows.get("stage", sheet.header_row), labels.get("stage"), out)
    assessor = None if is_blank(labels.get("assessor")) else str(labels["assessor"]).strip()
    rid = ref.regency_resolver().resolve(labels.get("regency"), labels.get("province"))
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        kind = _row_kind(row, None)
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a score row; nothing to do")
            continue
        if rid.regency_id is None:
            out.reject_row(sheet, i, "regency", labels.get("regency"), rid.reason,
                           f"nearest known name: {rid.suggestion}; fix the 'Kabupaten/Kota:' label "
                           "or add the name to smartcity_utils/data/regency_aliases.csv")
            continue
        if year is None:
            out.reject_row(sheet, i, "year", labels.get("year"), "bad_year", "fix the 'Tahun:' label")
            continue
        target = _score_target(sheet, i, _cell(row, c_p), _cell(row, c_d), out)
        if target is None:
            continue
        score, reason, fix = parse_score(_cell(row, c_s), scale)
        if reason:
            out.reject_row(sheet, i, "score", _cell(row, c_s), reason, fix)
            continue
        out.scores.append({"regency_id": rid.regency_id, "year": year, "stage": stage, "assessor": assessor,
                           "level": "assessor", "pillar_key": target[0], "dimension_key": target[1],
                           "score": score, "is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                           "layout": "assessor", "source_file": sheet.file, "source_sheet": sheet.sheet,
                           "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        out.keep(sheet, i)


def parse_form(sheet: Sheet, out: _Collector) -> None:
    """Online-form export: one row per answer; resubmissions are resolved later."""
    cols = {n: _col(sheet, n) for n in ("regency", "province", "year", "stage", "assessor", "question_code",
                                         "pillar", "dimension", "score", "submitted_at", "is_simulated")}
    scale = _sheet_scale(sheet, [cols["score"]])
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if _row_kind(row, None) == "blank_row":
            out.reject_row(sheet, i, "", "", "blank_row", "nothing to do")
            continue
        rid = _resolve_regency(sheet, i, _cell(row, cols["regency"]), _cell(row, cols["province"]), out)
        if rid is None:
            continue
        year = parse_year(_cell(row, cols["year"]))
        if year is None:
            out.reject_row(sheet, i, "year", _cell(row, cols["year"]), "bad_year", "write the year as 2024")
            continue
        target = _score_target(sheet, i, _cell(row, cols["pillar"]), _cell(row, cols["dimension"]), out)
        if target is None:
            continue
        score, reason, fix = parse_score(_cell(row, cols["score"]), scale)
        if reason:
            out.reject_row(sheet, i, "score", _cell(row, cols["score"]), reason, fix)
            continue
        raw_time = _cell(row, cols["submitted_at"])
        submitted = parse_timestamp(raw_time)
        if submitted is None and not is_blank(raw_time):
            # The answer is kept; only the order of resubmissions needs the time.
            out.reject_value(sheet, i, "submitted_at", raw_time, "bad_timestamp",
                             "write the time as 2024-07-01 10:00:00 or 01/07/2024 10:00; "
                             "without a time the later line counts as the later submission")
        out.form.append({"regency_id": rid, "year": year,
                         "stage": _stage_or_first(sheet, i, _cell(row, cols["stage"]), out),
                         "assessor": str(_cell(row, cols["assessor"]) or "").strip() or None,
                         "question_code": str(_cell(row, cols["question_code"]) or ""),
                         "level": "assessor", "pillar_key": target[0], "dimension_key": target[1],
                         "score": score, "submitted_at": submitted,
                         "is_simulated": _is_simulated(sheet, row, cols["is_simulated"], i, out),
                         "layout": "form", "source_file": sheet.file, "source_sheet": sheet.sheet,
                         "source_row": i + 1, "_status_key": (sheet.file, sheet.sheet, i + 1)})
        out.keep(sheet, i)


def parse_quick_wins(sheet: Sheet, out: _Collector) -> None:
    """Quick Win register: one programme per regency, year and pillar."""
    cols = {n: _col(sheet, n) for n in ("regency", "province", "year", "pillar", "programme_name",
                                         "score_output", "score_outcome", "score_impact",
                                         "score_sustainability", "is_simulated")}
    score_names = ["score_output", "score_outcome", "score_impact", "score_sustainability"]
    scale = _sheet_scale(sheet, [cols[n] for n in score_names if cols[n] is not None])
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        kind = _row_kind(row, _cell(row, cols["regency"]))
        if kind:
            out.reject_row(sheet, i, "", " | ".join(str(c) for c in row if not is_blank(c))[:200], kind,
                           "not a programme row; nothing to do")
            continue
        rid = _resolve_regency(sheet, i, _cell(row, cols["regency"]), _cell(row, cols["province"]), out)
        if rid is None:
            continue
        year = parse_year(_cell(row, cols["year"]))
        if year is None:
            out.reject_row(sheet, i, "year", _cell(row, cols["year"]), "bad_year", "write the year as 2022")
            continue
        pillar = ref.match_pillar(_cell(row, cols["pillar"]))
        if pillar is None:
            out.reject_row(sheet, i, "pillar", _cell(row, cols["pillar"]), "unknown_pillar",
                           f"nearest pillar: {ref.nearest(_cell(row, cols['pillar']), list(ref.pillars()['pillar']))}")
            continue
        record = {"regency_id": rid, "year": year, "pillar_key": pillar,
                  "programme_name": str(_cell(row, cols["programme_name"]) or "").strip(),
                  "is_simulated": _is_simulated(sheet, row, cols["is_simulated"], i, out),
                  "source_file": sheet.file, "source_sheet": sheet.sheet, "source_row": i + 1}
        for name in score_names:
            score, reason, fix = parse_score(_cell(row, cols[name]), scale)
            record[name] = score
            if reason:
                out.reject_value(sheet, i, name, _cell(row, cols[name]), reason, fix)
        out.quick_wins.append(record)
        out.keep(sheet, i)


def parse_cohorts(sheet: Sheet, out: _Collector) -> None:
    """Cohort register: the year each regency joined the programme."""
    c_reg, c_prov, c_coh = _col(sheet, "regency"), _col(sheet, "province"), _col(sheet, "cohort_year")
    c_src, c_sim = _col(sheet, "source"), _col(sheet, "is_simulated")
    for i in range(sheet.header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if _row_kind(row, _cell(row, c_reg)):
            out.reject_row(sheet, i, "", "", _row_kind(row, _cell(row, c_reg)), "nothing to do")
            continue
        rid = _resolve_regency(sheet, i, _cell(row, c_reg), _cell(row, c_prov), out)
        if rid is None:
            continue
        cohort = parse_year(_cell(row, c_coh))
        if cohort is None:
            out.reject_row(sheet, i, "cohort_year", _cell(row, c_coh), "bad_year", "write the cohort year as 2021")
            continue
        out.cohorts.append({"regency_id": rid, "cohort_year": cohort,
                            "cohort_source": str(_cell(row, c_src) or sheet.file),
                            "cohort_is_simulated": _is_simulated(sheet, row, c_sim, i, out),
                            "source_file": sheet.file, "source_row": i + 1, "_sheet": sheet, "_i": i})
        out.keep(sheet, i)


def parse_published(sheet: Sheet, out: _Collector) -> None:
    """Published facts: the one real score table."""
    resolver = ref.regency_resolver()
    for i in range(1, len(sheet.rows)):
        row = sheet.rows[i]
        if _row_kind(row, None) == "blank_row":
            out.reject_row(sheet, i, "", "", "blank_row", "nothing to do")
            continue
        record = dict(zip(["index", "year", "region", "metric", "value", "rank", "rank_of",
                           "rank_scope", "source_url"], row + [None] * 9))
        year = parse_year(record["year"])
        if year is None:
            out.reject_row(sheet, i, "year", record["year"], "bad_year", "write the year as 2022")
            continue
        record["year"] = year
        for name in ("value", "rank", "rank_of"):
            number, reason = parse_number(record[name])
            if reason == "not_a_number":
                out.reject_value(sheet, i, name, record[name], reason, _SUGGEST[reason])
            record[name] = number
        # World cities (IMD) are not regencies; their id stays empty, which is not an error.
        record["regency_id"] = resolver.resolve(record["region"]).regency_id
        record.update(is_simulated=False, source_file=sheet.file, source_row=i + 1)
        out.published.append(record)
        out.keep(sheet, i)


PARSERS = {"recap": parse_recap, "assessor": parse_assessor, "form": parse_form,
           "quick_wins": parse_quick_wins, "cohorts": parse_cohorts, "published": parse_published}


# --------------------------------------------------------------------------- assembly


def discover_files(raw_dir: Path) -> list[Path]:
    """Data files under ``raw_dir`` in a fixed order; unknown file types stop the run."""
    files = []
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(raw_dir)
        if any(part.startswith((".", "_")) for part in rel.parts[:-1]) or path.name.startswith((".", "~$")):
            continue  # hidden files, Excel lock files, folders such as _simulation/ (simulator truth)
        suffix = path.suffix.lower()
        if suffix in DATA_SUFFIXES:
            files.append(path)
        elif suffix not in IGNORED_SUFFIXES:
            raise RawFileError(f"{rel}: file type {suffix or '(none)'} is not read; save it as .xlsx or .csv, "
                               "or move it out of data/raw")
    return files


def _supersede_resubmissions(out: _Collector) -> list[dict]:
    """Keep the latest answer per regency, year, stage, assessor and question."""
    latest: dict[tuple, dict] = {}
    for rec in out.form:
        key = (rec["regency_id"], rec["year"], rec["stage"], rec["assessor"], rec["question_code"],
               rec["pillar_key"], rec["dimension_key"])
        old = latest.get(key)
        if old is None:
            latest[key] = rec
            continue
        newer, older = (rec, old) if _later(rec, old) else (old, rec)
        latest[key] = newer
        out.row_status[older["_status_key"]] = "rejected"
        out.rejects.append({"source_file": older["source_file"], "source_sheet": older["source_sheet"],
                            "source_row": older["source_row"], "column": "score", "value": str(older["score"]),
                            "reason": "superseded",
                            "suggestion": f"a later submission (row {newer['source_row']}) replaces it",
                            "layout": "form"})
    return list(latest.values())


def _later(a: dict, b: dict) -> bool:
    ta, tb = a["submitted_at"], b["submitted_at"]
    if ta is None or tb is None or ta == tb:
        return a["source_row"] > b["source_row"]  # same time: the later line wins
    return ta > tb


def _dedupe_recap(out: _Collector) -> list[dict]:
    """First row per regency and year wins; later ones are rejected as duplicates."""
    seen: dict[tuple, dict] = {}
    kept = []
    value_keys = PILLARS + DIMENSIONS + ["final_score_reported", "rank_reported"]
    dropped = set()
    for rec in out.recap:
        key = (rec["regency_id"], rec["year"])
        if key not in seen:
            seen[key] = rec
            kept.append(rec)
            continue
        first = seen[key]
        same = all(_same(first.get(k), rec.get(k)) for k in value_keys)
        where = f"{first['source_file']} row {first['source_row']}"
        out.row_status[(rec["source_file"], rec["source_sheet"], rec["source_row"])] = "rejected"
        dropped.add((rec["source_file"], rec["source_sheet"], rec["source_row"]))
        out.rejects.append({"source_file": rec["source_file"], "source_sheet": rec["source_sheet"],
                            "source_row": rec["source_row"], "column": "regency",
                            "value": ref.regency_resolver().name(rec["regency_id"]),
                            "reason": "duplicate_row",
                            "suggestion": (f"identical to {where}; remove one" if same else
                                           f"conflicts with {where}, which was kept; correct the source"),
                            "layout": "recap"})
    out.scores = [s for s in out.scores if s.get("_status_key") not in dropped]
    return kept


def _same(a: object, b: object) -> bool:
    """Equal values, with two missing values counting as equal."""
    a_missing, b_missing = a is None or pd.isna(a), b is None or pd.isna(b)
    return (a_missing and b_missing) or (not a_missing and not b_missing and a == b)


def _build_regencies(out: _Collector, recap: list[dict]) -> pd.DataFrame:
    """Gazetteer plus cohort: documented cohorts, then the register, then recap columns."""
    table = ref.gazetteer().copy()
    cohort: dict[int, tuple[int, str, bool]] = {}
    resolver = ref.regency_resolver()
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
    names = ref.gazetteer()[["regency_id", "regency", "province", "kind"]]
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
    package = Path(__file__).parent
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
    from smartcity_utils.schemas import validate_tables

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


# --------------------------------------------------------------------------- writing


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
            table.to_csv(staging / f"{name}.csv", index=False, lineterminator="\n")
            written += [f"{name}.parquet", f"{name}.csv"]
        final = []
        for fname in written:
            os.replace(staging / fname, out_dir / fname)
            final.append(out_dir / fname)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_clean(raw_dir: Path, out_dir: Path, progress: bool = False) -> Cleaned:
    """Clean ``raw_dir`` and write the tables to ``out_dir``; returns the tables."""
    cleaned = clean_raw_folder(raw_dir, progress=progress)
    write_tables(cleaned.tables(), out_dir)
    return cleaned
