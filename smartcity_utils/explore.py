"""The way in for researchers: the clean and analysis tables as tidy frames, and the same tables as one workbook.

``load_tables()`` reads what ``smartcity clean`` and ``smartcity analyse`` wrote and returns tidy frames:
years as integers, pillars and dimensions as ordered categories (the programme's names, which the pages use in
both languages), the index with its source (reported, computed) in one column, and ``is_simulated`` on every
row of data. ``export_workbook()`` writes them as one ``.xlsx`` file for a spreadsheet: a sheet per table and a
sheet that describes them, headers in the chosen language, numbers rounded as the reports show them (the
Parquet files keep full precision), text that a spreadsheet would run as a formula kept as text.

Example (JupyterLab, in the project folder)::

    from smartcity_utils import load_tables
    t = load_tables()
    t.pillar_scores.pivot_table(index="year", columns="pillar", values="score", observed=True)
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import UserError, printable
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS, dimensions, pillars, read_reference
from smartcity_utils.report.texts import text

#: The tidy tables, in the order of the workbook's sheets (``explore_tables.csv`` describes each).
TIDY_TABLES = ("regency_years", "pillar_scores", "dimension_scores", "assessor_scores", "quick_wins",
               "recommendations", "published_facts", "driver_estimates", "rejects", "manifest")


@functools.cache
def column_labels() -> pd.DataFrame:
    """Each tidy column's header in Indonesian and English, its decimals as shown, and what it holds."""
    return read_reference("columns.csv").set_index("column")


@functools.cache
def table_descriptions() -> pd.DataFrame:
    """Each tidy table's sheet name and description in Indonesian and English."""
    return read_reference("explore_tables.csv").set_index("table")


def label(column: str, lang: str = "en") -> str:
    """A column's header for readers in ``lang`` (``id`` or ``en``); unknown columns in plain words."""
    labels = column_labels()
    if column in labels.index:
        return str(labels.at[column, f"label_{lang}"])
    return column.replace("_", " ").capitalize()


def pillar_category() -> pd.CategoricalDtype:
    """The six pillars as an ordered category, in the programme's order."""
    return pd.CategoricalDtype(list(pillars()["pillar"]), ordered=True)


def dimension_category() -> pd.CategoricalDtype:
    """The five evaluation dimensions as an ordered category, in the programme's order."""
    return pd.CategoricalDtype(list(dimensions()["dimension"]), ordered=True)


class Tables(dict):
    """The tidy tables by name; each is also an attribute (``t.regency_years``). ``describe()`` lists them;
    ``notes`` holds the text keys of what the tables lack (``no_analysis``)."""

    notes: list[str] = []

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no table {name!r}; the tables are {', '.join(self)}") from None

    def wide(self) -> pd.DataFrame:
        """``regency_years`` with a column per pillar and per dimension (named as the pages name them): one row
        per regency-year, for a regression or a chart."""
        out = self["regency_years"]
        for table, column in (("pillar_scores", "pillar"), ("dimension_scores", "dimension")):
            scores = self[table].pivot_table(index=["regency_id", "year"], columns=column, values="score",
                                             observed=True)
            scores.columns = [str(c) for c in scores.columns]
            out = out.merge(scores.reset_index(), on=["regency_id", "year"], how="left")
        return out

    def describe(self, lang: str = "en") -> pd.DataFrame:
        """One row per table: its name, rows, simulated rows and what it holds."""
        info = table_descriptions()
        rows = []
        for name, frame in self.items():
            simulated = int(frame["is_simulated"].fillna(False).astype(bool).sum()) if "is_simulated" in frame else None
            rows.append({"table": name, "rows": len(frame), "simulated_rows": simulated,
                         "description": info.at[name, f"description_{lang}"] if name in info.index else ""})
        return pd.DataFrame(rows)


def _year(frame: pd.DataFrame) -> pd.DataFrame:
    if "year" in frame:
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame


def _long(wide: pd.DataFrame, keys: tuple[str, ...], names: dict[str, str], column: str,
          category: pd.CategoricalDtype) -> pd.DataFrame:
    present = [k for k in keys if k in wide]
    ids = [c for c in ("regency_id", "regency", "province", "year", "is_simulated") if c in wide]
    long = wide[ids + present].melt(id_vars=ids, value_vars=present, var_name=column, value_name="score")
    long = long.dropna(subset=["score"])
    long[column] = long[column].map(names).astype(category)
    long = long.sort_values(["regency", "year", column], kind="stable", ignore_index=True)
    return long[[c for c in ids if c != "is_simulated"] + [column, "score", "is_simulated"]]


def _categorise(frame: pd.DataFrame) -> pd.DataFrame:
    """``pillar_key``/``dimension_key`` columns as the ordered ``pillar``/``dimension`` categories."""
    p_names = dict(zip(pillars()["pillar_key"], pillars()["pillar"]))
    d_names = dict(zip(dimensions()["dimension_key"], dimensions()["dimension"]))
    out = frame.copy()
    if "pillar_key" in out:
        out.insert(list(out.columns).index("pillar_key"), "pillar",
                   out["pillar_key"].map(p_names).astype(pillar_category()))
        out = out.drop(columns="pillar_key")
    if "dimension_key" in out:
        out.insert(list(out.columns).index("dimension_key"), "dimension",
                   out["dimension_key"].map(d_names).astype(dimension_category()))
        out = out.drop(columns="dimension_key")
    return out


def _regency_years(processed: dict[str, pd.DataFrame], analysis: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per regency-year, the index with its source in one place."""
    base = analysis.get("index_ranks")
    if base is None:
        base = processed["regency_year"].copy()
        base["final_score"] = base["final_score_reported"]
        base["final_score_source"] = base["final_score_reported"].notna().map({True: "reported", False: None})
    frame = base.rename(columns={"final_score": "index", "final_score_source": "index_source",
                                 "final_score_reported": "index_reported", "final_score_computed": "index_computed"})
    bands = analysis.get("rank_uncertainty")
    if bands is not None and len(bands):
        bands = bands[["regency_id", "year", "rank_p05", "rank_p95"]].rename(
            columns={"rank_p05": "rank_band_low", "rank_p95": "rank_band_high"})
        frame = frame.merge(bands, on=["regency_id", "year"], how="left")
    columns = ["regency_id", "regency", "province", "kind", "cohort_year", "evaluation_group", "group_size", "year",
               "index", "index_source", "index_reported", "index_computed", "rank_reported", "rank_of", "rank_scope",
               "rank_computed", "n_in_group", "rank_band_low", "rank_band_high", "n_assessors", "source_url",
               "is_simulated"]
    frame = frame.reindex(columns=[c for c in columns if c in frame or c.startswith("index")])
    for column in ("cohort_year", "group_size", "rank_reported", "rank_of", "rank_computed", "n_in_group",
                   "rank_band_low", "rank_band_high", "n_assessors"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    return _year(frame).sort_values(["regency", "year"], kind="stable", ignore_index=True)


def load_tables(processed_dir: str | Path | None = None) -> Tables:
    """The clean and analysis tables of ``processed_dir`` (default ``data/processed``) as tidy frames.

    Tables: ``regency_years`` (one row per regency and year: the index with ``index_source`` reported or
    computed, the published and computed ranks, the rank range), ``pillar_scores`` and ``dimension_scores``
    (long: one row per regency, year and pillar or dimension, as ordered categories), ``assessor_scores``,
    ``quick_wins``, ``recommendations``, ``published_facts``, ``driver_estimates``, ``rejects`` and
    ``manifest``. Every table of data carries ``is_simulated``. Without ``smartcity analyse`` the computed
    index, the computed ranks and the driver estimates are absent (the reported index is there).

    Raises:
        UserError: when ``smartcity clean`` has not written the folder, naming it and the command.
    """
    from smartcity_utils.tables import load_analysis, load_processed, processed_folder

    folder = processed_folder(processed_dir)
    if not (folder / "regency_year.parquet").is_file():
        raise UserError(f"{printable(folder)} holds no clean tables: run `smartcity clean` (or `make all`) first")
    processed = load_processed(folder, ("regency_year", "scores", "quick_wins", "recommendations",
                                        "published_facts", "rejects", "manifest"))
    from smartcity_utils.freshness import analysis_is_stale

    # An analysis of other processed tables is never joined to these: without a fresh one, the computed index
    # and ranks and the driver estimates are absent, and the tables say so (``notes``).
    analysis, notes = {}, []
    if analysis_is_stale(folder):
        notes.append("no_analysis")
    else:
        analysis = load_analysis(folder, ("index_ranks", "rank_uncertainty", "driver_estimates"))
    wide = _year(processed["regency_year"].copy())
    p_names = dict(zip(pillars()["pillar_key"], pillars()["pillar"]))
    d_names = dict(zip(dimensions()["dimension_key"], dimensions()["dimension"]))
    scores = _categorise(_year(processed["scores"].copy()))
    quick_wins = _categorise(_year(processed["quick_wins"].copy()))
    recommendations = _categorise(_year(processed["recommendations"].copy()))
    recommendations = recommendations[[c for c in ("regency_id", "regency", "province", "year", "stage", "pillar",
                                                   "dimension", "recommendation", "themes", "status_latest",
                                                   "is_simulated", "source_file", "source_sheet", "source_row")
                                       if c in recommendations]]
    drivers = _categorise(analysis["driver_estimates"]) if "driver_estimates" in analysis else pd.DataFrame(
        columns=["pillar", "estimate", "ci_low", "ci_high", "method", "is_simulated"])
    drivers = drivers[[c for c in ("pillar", "estimate", "ci_low", "ci_high", "method", "is_simulated")
                       if c in drivers]]
    rejects = processed["rejects"].copy()
    tables = Tables(
        regency_years=_regency_years(processed, analysis),
        pillar_scores=_long(wide, PILLAR_KEYS, p_names, "pillar", pillar_category()),
        dimension_scores=_long(wide, DIMENSION_KEYS, d_names, "dimension", dimension_category()),
        assessor_scores=scores[[c for c in ("regency_id", "regency", "province", "year", "stage", "assessor",
                                            "pillar", "dimension", "score", "is_simulated", "source_file",
                                            "source_sheet", "source_row") if c in scores]],
        quick_wins=quick_wins[[c for c in ("regency_id", "regency", "province", "year", "pillar", "programme_name",
                                           "score_output", "score_outcome", "score_impact", "score_sustainability",
                                           "is_simulated", "source_file", "source_sheet", "source_row")
                               if c in quick_wins]],
        recommendations=recommendations,
        published_facts=_year(processed["published_facts"][[c for c in (
            "region", "regency_id", "year", "metric", "value", "rank", "rank_of", "rank_scope", "source_url",
            "is_simulated") if c in processed["published_facts"]]].rename(columns={"region": "regency"})),
        driver_estimates=drivers,
        rejects=rejects[[c for c in ("source_file", "source_sheet", "source_row", "column", "value", "reason",
                                     "suggestion", "layout") if c in rejects]],
        manifest=processed["manifest"][[c for c in ("source_file", "layout", "rows_read", "rows_kept",
                                                   "rows_rejected") if c in processed["manifest"]]],
    )
    tables.notes = notes
    if notes:
        warnings.warn(text("en", "workbook_no_analysis"), stacklevel=2)
    return tables


# --- the workbook -------------------------------------------------------------------------------------------

def _cell_value(value: Any, decimals: int | None) -> Any:
    """A value as the workbook holds it: numbers rounded as the reports show them, missing as an empty cell."""
    from smartcity_utils.report.numbers import round_half_up

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars as plain Python numbers
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if decimals is not None:
            return round_half_up(value, decimals) if decimals else int(round_half_up(value, 0))
        return value
    return str(value)


def _sheet_rows(frame: pd.DataFrame, lang: str) -> tuple[list[str], list[list[Any]]]:
    labels = column_labels()
    decimals = {c: (int(labels.at[c, "decimals"]) if c in labels.index and labels.at[c, "decimals"] != "" else None)
                for c in frame.columns}
    headers = [label(c, lang) for c in frame.columns]
    columns = [frame[c].astype(object) if isinstance(frame[c].dtype, pd.CategoricalDtype) else frame[c]
               for c in frame.columns]
    rows = [[_cell_value(v, decimals[c]) for c, v in zip(frame.columns, values)]
            for values in zip(*(col.tolist() for col in columns))]
    return headers, rows


def export_workbook(out: str | Path, processed_dir: str | Path | None = None, lang: str = "id",
                    tables: Tables | None = None) -> Path:
    """Write the tidy tables as one ``.xlsx`` workbook at ``out``; the previous file stays until it is whole.

    The first sheet describes the others (what each holds, its rows, how many are simulated); each table is a
    sheet with headers in ``lang``, a filter on every column (``is_simulated`` among them) and the header row
    frozen. Numbers are numbers, rounded as the reports show them (scores and indices to 2 decimals, ranks
    whole); every text is written as text, so one that a spreadsheet would run as a formula (``=``, ``+``,
    ``-``, ``@``) stays as typed.
    """
    import xlsxwriter

    from smartcity_utils.report.texts import check_lang
    from smartcity_utils.tables import atomic_path

    check_lang(lang)
    target = Path(out)
    paths.check_outside_raw(target, "--out")
    tables = tables if tables is not None else load_tables(processed_dir)
    info = table_descriptions()
    with atomic_path(target, suffix=".tmp.xlsx") as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False,
                                            "nan_inf_to_errors": True})
        bold = wb.add_format({"bold": True})
        warn = wb.add_format({"bold": True, "font_color": "#B00020"})
        about = wb.add_worksheet(text(lang, "workbook_about"))
        n_sim = sum(int(f["is_simulated"].fillna(False).astype(bool).sum()) for f in tables.values()
                    if "is_simulated" in f)
        about.write_string(0, 0, text(lang, "workbook_title"), bold)
        about.write_string(1, 0, text(lang, "workbook_simulated" if n_sim else "workbook_real"),
                           warn if n_sim else None)
        about.write_string(2, 0, text(lang, "workbook_rounded"))
        for note in tables.notes:
            about.write_string(3, 0, text(lang, f"workbook_{note}"), warn)
        for j, key in enumerate(("workbook_col_sheet", "workbook_col_rows", "workbook_col_simulated",
                                 "workbook_col_holds")):
            about.write_string(4, j, text(lang, key), bold)
        about.set_column(0, 0, 22)
        about.set_column(3, 3, 100)
        sheets = []
        for i, (name, frame) in enumerate(tables.items(), start=5):
            sheet = str(info.at[name, f"sheet_{lang}"]) if name in info.index else name[:31]
            sim = int(frame["is_simulated"].fillna(False).astype(bool).sum()) if "is_simulated" in frame else None
            about.write_string(i, 0, sheet)
            about.write_number(i, 1, len(frame))
            if sim is not None:
                about.write_number(i, 2, sim)
            about.write_string(i, 3, str(info.at[name, f"description_{lang}"]) if name in info.index else "")
            sheets.append((sheet, frame))
        for sheet, frame in sheets:
            ws = wb.add_worksheet(sheet)
            headers, rows = _sheet_rows(frame, lang)
            for j, h in enumerate(headers):
                ws.write_string(0, j, h, bold)
                ws.set_column(j, j, min(max(len(h) + 2, 10), 40))
            ws.freeze_panes(1, 0)
            if headers:
                ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
            for r, row in enumerate(rows, start=1):
                for j, v in enumerate(row):
                    if v is None:
                        continue
                    if isinstance(v, bool):
                        ws.write_boolean(r, j, v)
                    elif isinstance(v, int | float):
                        ws.write_number(r, j, v)
                    else:
                        ws.write_string(r, j, v)  # text as text: never a formula
        wb.close()
    return target

