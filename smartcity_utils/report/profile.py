"""The numbers of one regency's report: history, pillar position, rejects, Quick Wins, provenance.

Every function returns plain frames with the numbers; the wording lives in
:mod:`smartcity_utils.report.narrative` and the formatting in
:mod:`smartcity_utils.report.tables`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from smartcity_utils import paths
from smartcity_utils import reference as ref
from smartcity_utils.analysis import context as context_data
from smartcity_utils.analysis.index import reconcile_index, weights_of_years
from smartcity_utils.analysis.ranks import (
    cohort_complete,
    competition_rank,
    mid_rank_percentile,
    percentile_among,
    percentile_within,
)
from smartcity_utils.clean.assemble import REPLACED
from smartcity_utils.clean.recommendations import FOLLOWUP_LAG, SCOPE_ORDER
from smartcity_utils.errors import UserError
from smartcity_utils.metadata.resources import report_tables
from smartcity_utils.regencies import OR, regency_resolver
from smartcity_utils.report.numbers import fmt_count, round_half_up
from smartcity_utils.report.texts import text
from smartcity_utils.tables import load_analysis, load_processed, processed_folder, shows_simulated

#: Smallest gap (points on the 0 to 4 scale) between a pillar and the cohort
#: median that is called a strength or a weakness. Source: the uncertainty of
#: a pillar score itself. A panel has 3 to 4 assessors (docs/sources.md: Kukar 2023 and
#: the 2022 Kota Kediri panel), and one assessor of four moving a mark by half
#: a point moves the panel mean by 0.125; in the bundled (simulated) assessor
#: sheets the median standard error of a panel mean is 0.09. Gaps below 0.10
#: are within that noise.
NOTABLE_GAP = 0.10

#: Reject reasons that describe rows which are not regency rows at all, or rows
#: that are no fault of their own (replaced by a later answer, a revision, real
#: data...: ``clean.assemble.REPLACED``); a report does not list them.
NOT_REGENCY_ROWS = {"blank_row", "footnote_row", "subtotal_row"} | REPLACED

#: Monte Carlo draws of the rank intervals when the analysis metadata does not say.
DEFAULT_DRAWS = 1000


#: The tables a report reads (``read_by_reports`` in :mod:`smartcity_utils.metadata.resources`), processed then
#: analysis: :func:`load_context` loads them and :func:`report_input_files` names their files for the runner's
#: stamps, so a table a report reads is never missing from its stamp.
REPORT_TABLES = tuple(spec.name for spec in report_tables())


@dataclass
class ReportContext:
    """The tables a report reads (one field per name of :data:`REPORT_TABLES`), loaded once."""

    index_ranks: pd.DataFrame
    rank_uncertainty: pd.DataFrame
    driver_estimates: pd.DataFrame
    quick_wins: pd.DataFrame
    scores: pd.DataFrame
    manifest: pd.DataFrame
    published_facts: pd.DataFrame
    folder: Path
    rejects: pd.DataFrame | None = None
    reconciliation: pd.DataFrame | None = None
    recommendations: pd.DataFrame | None = None
    recommendation_status: pd.DataFrame | None = None

    @property
    def input_files(self) -> list[Path]:
        """The files a report reads (for the runner's skip-unchanged stamps): :func:`report_input_files`."""
        return report_input_files(self.folder)

    def analysis_meta(self, name: str = paths.ANALYSIS_META) -> dict:
        """A metadata file the analysis wrote beside its tables (``analysis_meta.json`` by default); empty when it
        is missing or unreadable."""
        try:
            meta = json.loads((paths.analysis_dir(self.folder) / name).read_text())
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    @property
    def national_gap(self) -> dict[str, int] | None:
        """What the data lacked for the national models, when the analysis skipped them (``analysis_meta.json``)."""
        return self.analysis_meta().get("national_gap")

    @property
    def shared_error(self) -> tuple[str, float]:
        """How the rank ranges sized the error a whole panel shares, and its size (index points).

        ``"set"`` when given by hand (``--shared-error-sd``), ``"bound"`` when taken from the data (regencies
        scored in consecutive years: an upper bound), ``"none"`` when the data could not size it (size 0).
        """
        hand = self.analysis_meta().get("shared_error_sd")
        if hand is not None:
            return ("set", float(hand))
        sets = self.analysis_meta(paths.RANK_UNCERTAINTY_META).get("rank_sets") or {}
        sd = float(sets.get("shared_error_sd") or 0.0)
        return ("bound", sd) if sd > 0 else ("none", 0.0)

    @property
    def n_draws(self) -> int:
        """Monte Carlo draws behind the rank intervals (from the analysis metadata)."""
        return int(self.analysis_meta().get("n_draws", DEFAULT_DRAWS))


_CONTEXT_TABLES = tuple(f.name for f in fields(ReportContext) if f.name != "folder")
if sorted(_CONTEXT_TABLES) != sorted(REPORT_TABLES):
    raise RuntimeError(f"ReportContext holds {sorted(_CONTEXT_TABLES)} but the metadata marks {sorted(REPORT_TABLES)} "
                       "as read by reports (read_by_reports in smartcity_utils/metadata/resources.py): make them one")


def report_input_files(folder: str | Path) -> list[Path]:
    """The files every report of the processed folder ``folder`` reads: the tables of :data:`REPORT_TABLES` and
    the analysis metadata."""
    return ([spec.file(folder) for spec in report_tables()]
            + [paths.analysis_dir(folder) / paths.ANALYSIS_META])


def load_context(processed_dir: str | Path | None = None) -> ReportContext:
    """Load the tables of :data:`REPORT_TABLES`: the processed ones and the cached analysis.

    Raises:
        FileNotFoundError: naming the command that creates a missing file.
    """
    folder = processed_folder(processed_dir)
    specs = report_tables()
    tables = {**load_processed(folder, tuple(s.name for s in specs if s.stage == "processed")),
              **load_analysis(folder, tuple(s.name for s in specs if s.stage == "analysis"))}
    return ReportContext(folder=folder, **tables)


def report_inputs(processed_dir: str | Path | None = None) -> list[Path]:
    """Input files of every report, without loading them."""
    return report_input_files(processed_folder(processed_dir))


def choose_year(ctx: ReportContext, regency_id: int, year: int | None) -> int:
    """The report year: the one asked for, else the regency's latest year with an index.

    Raises:
        UserError: when the regency has no data, none in ``year`` (naming the
            years it has), or no index in ``year`` (naming the years with one).
    """
    own = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
    years = sorted(int(y) for y in own["year"].unique())
    if not years:
        raise UserError(f"regency {regency_id} has no evaluation data")
    indexed = sorted(int(y) for y in own.dropna(subset=["final_score"])["year"].unique())
    if year in (None, 0, ""):
        if not indexed:
            raise UserError(f"regency {regency_id} has no index in any year; years with data: {years}")
        return indexed[-1]
    if int(year) not in years:
        raise UserError(f"no data for year {year}; this regency has {years}")
    if int(year) not in indexed:
        raise UserError(f"no index in {year} for this regency; years with an index: {indexed}")
    return int(year)


def page_simulated(ctx: ReportContext, regency_id: int, year: int) -> tuple[bool, list[int]]:
    """Whether a regency's page shows simulated numbers, and the regency's own real years.

    The page is simulated when any of its numbers comes from simulated rows
    (:func:`smartcity_utils.tables.shows_simulated`):
    the regency's own history, or the other regencies of ``year`` behind the
    cohort and national medians, ranks and percentiles (``index_ranks``).

    Returns:
        ``(simulated, real_years)``: ``real_years`` are the regency's years
        built from real files only, named by the mixed banner.
    """
    own = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
    simulated = shows_simulated(own, ctx.index_ranks[ctx.index_ranks["year"] == year])
    real_years = sorted(int(y) for y in own.loc[~own["is_simulated"].astype(bool), "year"].unique())
    return simulated, real_years


def simulated_parts(ctx: ReportContext, regency_id: int, real_years: list[int], lang: str) -> list[str]:
    """What a regency's page shows of its real years that comes from the simulator all the same (its Quick Wins,
    its recommendations), as phrases for the banner; empty when nothing of a real year is simulated."""
    out = []
    for key, table in (("banner_part_quick_wins", ctx.quick_wins), ("banner_part_recommendations",
                                                                      ctx.recommendations)):
        if table is None or table.empty or "is_simulated" not in table.columns:
            continue
        own = table[(table["regency_id"] == regency_id) & table["year"].isin(real_years)]
        years = sorted(int(y) for y in own.loc[own["is_simulated"].fillna(True).astype(bool), "year"].unique())
        if years:
            out.append(text(lang, key, years=", ".join(map(str, years))))
    return out


def rank_to_percentile(rank: float, n: float) -> float:
    """Percentile in a group of ``n`` of rank ``rank`` without ties: ``100 (n - rank) / (n - 1)``."""
    if pd.isna(rank) or pd.isna(n):
        return float("nan")
    return float(mid_rank_percentile(float(n) - float(rank), 0.0, float(n)))


def group_position(index_ranks: pd.DataFrame) -> pd.DataFrame:
    """For every regency-year: how many others of its group score lower, and the percentile in the group.

    Returns:
        ``regency_id, year, n_lower, n_others, percentile_in_group``; the
        percentile is ``100 (lower + ties / 2) / others`` (ties counted half),
        the rule a reader can check from "rank r of N" when there are no ties.
    """
    cols = ["year", "evaluation_group"]
    frame = index_ranks[["regency_id", *cols, "final_score"]].reset_index(drop=True)
    scored = frame["final_score"].astype(float)
    # A worse competition rank counted from the bottom: the regencies scoring strictly lower.
    n_lower = competition_rank(scored, frame[cols], ascending=True) - 1
    n_others = scored.groupby([frame[c] for c in cols], dropna=False, sort=False).transform("count") - 1
    return pd.DataFrame({"regency_id": frame["regency_id"], "year": frame["year"], "n_lower": n_lower,
                         "n_others": n_others,
                         "percentile_in_group": percentile_within(frame, "final_score", cols)})


#: Columns of ``index_ranks`` a report's history carries beside the index and rank, where they exist:
#: the published rank's group (size and scope), the rank in the province, and whether the group is
#: held whole (``n_loaded`` of ``group_size`` members loaded).
HISTORY_EXTRA = ("rank_of", "rank_scope", "rank_province_reported", "rank_province_of", "group_complete",
                 "n_loaded", "group_size", "cohort_year", "cohort_size", "source_layout")


def headline_history(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The headline index and rank per year, the rank's interval, and the position in the group.

    Returns:
        One row per year with ``year, evaluation_group, n_in_group,
        final_score, final_score_source, rank_computed, rank_reported,
        rank_p05, rank_p95, rank_set_low, rank_set_high, n_lower, n_others, percentile_in_group,
        percentile_low, percentile_high, is_simulated``. ``rank_p05``-``rank_p95`` is the Monte Carlo band (5th
        to 95th percentile of the ranks drawn); ``rank_set_low``-``rank_set_high`` the 95 % marginal confidence
        set for the rank (:mod:`smartcity_utils.analysis.rank_sets`); both allow for a panel-shared error.
    """
    own = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
    cols = ["year", "evaluation_group", "n_in_group", "final_score", "final_score_source", "rank_computed",
            "rank_reported", "is_simulated"] + [c for c in HISTORY_EXTRA if c in own.columns]
    unc = ctx.rank_uncertainty[ctx.rank_uncertainty["regency_id"] == regency_id]
    unc = unc.rename(columns={"set_marginal_low": "rank_set_low", "set_marginal_high": "rank_set_high"})
    for col in ("rank_set_low", "rank_set_high"):
        if col not in unc.columns:  # an analysis written before the rank sets
            unc = unc.assign(**{col: np.nan})
    unc = unc[["year", "rank_p05", "rank_p95", "rank_set_low", "rank_set_high"]]
    group = ctx.index_ranks[ctx.index_ranks["year"].isin(own["year"])]
    position = group_position(group)
    position = position[position["regency_id"] == regency_id].drop(columns="regency_id")
    out = (own[cols].merge(unc, on="year", how="left", validate="1:1")
           .merge(position, on="year", how="left", validate="1:1").sort_values("year", ignore_index=True))
    # A better rank (smaller number) is a higher percentile.
    out["percentile_high"] = [rank_to_percentile(r, n) for r, n in zip(out["rank_p05"], out["n_in_group"])]
    out["percentile_low"] = [rank_to_percentile(r, n) for r, n in zip(out["rank_p95"], out["n_in_group"])]
    # A percentile and a plausible range are only worked out where the rank is (a group held whole).
    complete = out["rank_computed"].notna()
    for col in ("n_lower", "n_others", "percentile_in_group", "rank_p05", "rank_p95", "rank_set_low", "rank_set_high"):
        out[col] = out[col].where(complete)
    out["improvement"] = improvements(out)
    return out


def improvements(history: pd.DataFrame) -> pd.Series:
    """Each year's index minus the previous year's, as the letters quote it ("tingkat improvement").

    Differences of the indices as shown (2 decimals), so that a reader can
    subtract the printed numbers; empty for the first year with an index and
    where the year before has none (a gap is not an improvement of one year).
    """
    shown = history.set_index("year")["final_score"].astype(float).round(2)
    previous = shown.reindex(shown.index - 1).to_numpy()
    return pd.Series(shown.to_numpy() - previous, index=history.index).round(2)


def letter_history(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """What an evaluation letter shows, per year: the five dimension scores, the year's weights, the
    index computed from them beside the reported one, and the verdict of the check.

    Returns:
        One row per year with any dimension score or a reported index: ``year``, the five dimension
        keys, ``weights`` (``10/20/30/20/20``), ``weights_status``, ``weights_source``,
        ``weights_source_url``, ``final_score_computed``, ``final_score_reported``, ``difference``,
        ``tolerance``, ``verdict`` (:data:`smartcity_utils.analysis.index.VERDICTS`).
    """
    own = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
    dims = list(ref.DIMENSION_KEYS)
    own = own[own[dims].notna().any(axis=1) | own["final_score_reported"].notna()]
    if own.empty:
        return pd.DataFrame(columns=["year", *dims, "weights", "weights_status", "weights_source",
                                     "weights_source_url", "final_score_computed", "final_score_reported",
                                     "difference", "tolerance", "verdict"])
    check = ctx.reconciliation
    if check is None or "verdict" not in check.columns:
        check = reconcile_index(own)
    check = check[check["regency_id"] == regency_id][["year", "final_score_computed", "difference", "tolerance",
                                                      "verdict"]]
    weights = weights_of_years(own["year"])[["weights", "weights_status", "weights_source", "weights_source_url"]]
    out = (own[["year", *dims, "final_score_reported"]]
           .merge(check, on="year", how="left", validate="1:1")
           .merge(weights, left_on="year", right_index=True, how="left", validate="m:1"))
    return out.sort_values("year", ignore_index=True)


def what_is_missing(ctx: ReportContext, regency_id: int, year: int) -> list[dict]:
    """What the data lack for a full report of ``year``, one item per gap (the report says each in a sentence).

    Returns:
        Dicts with ``code`` and the numbers its sentence needs: ``no_dimensions``,
        ``no_pillars``, ``no_rank`` (no rank reported), ``group_not_whole``
        (``group``, ``loaded``, ``size``; size None when unknown),
        ``cohort_unknown``, ``cohort_not_whole`` (``cohort``, ``loaded``, ``size``),
        ``national_models`` (``needed``, ``rows``, ``regencies``).
    """
    rows = ctx.index_ranks
    row = rows[(rows["regency_id"] == regency_id) & (rows["year"] == year)].iloc[0]
    gaps: list[dict] = []
    if row[list(ref.DIMENSION_KEYS)].isna().all():
        gaps.append({"code": "no_dimensions"})
    if row[list(ref.PILLAR_KEYS)].isna().all():
        gaps.append({"code": "no_pillars"})
    if pd.isna(row["rank_reported"]):
        gaps.append({"code": "no_rank"})
    if not bool(row.get("group_complete", True)):
        size = row.get("group_size")
        gaps.append({"code": "group_not_whole", "group": row["evaluation_group"], "loaded": int(row["n_loaded"]),
                     "size": None if pd.isna(size) else int(size)})
    if pd.isna(row["cohort_year"]):
        gaps.append({"code": "cohort_unknown"})
    elif not cohort_is_whole(rows, regency_id, year):
        block = rows[(rows["year"] == year) & (rows["cohort_year"] == row["cohort_year"])]
        size = row.get("cohort_size")
        gaps.append({"code": "cohort_not_whole", "cohort": int(row["cohort_year"]),
                     "loaded": int(block["final_score"].notna().sum()),
                     "size": None if pd.isna(size) else int(size)})
    if ctx.national_gap:
        gaps.append({"code": "national_models", **ctx.national_gap})
    return gaps


def cohort_is_whole(index_ranks: pd.DataFrame, regency_id: int, year: int) -> bool:
    """Whether every member of the regency's cohort has an index in ``year`` (the cohort comparison needs it)."""
    year_rows = index_ranks[index_ranks["year"] == year]
    whole = cohort_complete(year_rows, "final_score")
    own = year_rows["regency_id"] == regency_id
    return bool(whole[own].any())


def previous_index(history: pd.DataFrame, year: int) -> tuple[pd.Series | None, float | None]:
    """The latest row before ``year`` with an index, and the change of the index since then.

    The change is the difference of the two indices as shown (2 decimals), so
    that a reader can subtract the printed numbers and find it.

    Returns:
        ``(previous row, change)``; ``(None, None)`` when there is no earlier
        index, and change None when ``year`` has no index.
    """
    rows = history.dropna(subset=["final_score"]).sort_values("year")
    earlier = rows[rows["year"] < year]
    if earlier.empty:
        return None, None
    prev, now = earlier.iloc[-1], rows[rows["year"] == year]
    if now.empty:
        return prev, None
    return prev, round(float(now["final_score"].iloc[0]), 2) - round(float(prev["final_score"]), 2)


def group_changes(history: pd.DataFrame) -> list[dict]:
    """Years in which the evaluation group (or its size) differs from the previous year with an index."""
    # Only years with a rank computed in a group held whole have a group size to compare.
    rows = history.dropna(subset=["final_score", "rank_computed", "n_in_group"]).sort_values("year")
    changes = []
    for prev, cur in zip(rows.iloc[:-1].itertuples(), rows.iloc[1:].itertuples()):
        if prev.evaluation_group != cur.evaluation_group or prev.n_in_group != cur.n_in_group:
            changes.append({"year": int(cur.year), "prev_year": int(prev.year), "prev_group": prev.evaluation_group,
                            "prev_n": int(prev.n_in_group), "group": cur.evaluation_group, "n": int(cur.n_in_group)})
    return changes


def missing_years(history: pd.DataFrame) -> list[int]:
    """Years between the first and the last index without an index of this regency."""
    years = set(int(y) for y in history.dropna(subset=["final_score"])["year"])
    if not years:
        return []
    return [y for y in range(min(years), max(years) + 1) if y not in years]


def pillar_position(index_ranks: pd.DataFrame, regency_id: int, year: int,
                    cohort_col: str = "cohort_year", threshold: float = NOTABLE_GAP) -> pd.DataFrame:
    """Each pillar of the regency against its cohort and the nation in ``year``.

    Args:
        index_ranks: Regency-years with pillar scores (``ReportContext.index_ranks``
            or :func:`smartcity_utils.analysis.index_table`).
        regency_id: The regency.
        year: The year compared.
        cohort_col: Column defining the cohort (``cohort_year``, ``province``, ...).
        threshold: Smallest gap called a strength or weakness (:data:`NOTABLE_GAP`).

    Returns:
        One row per pillar: ``pillar_key, pillar, score, cohort_median,
        cohort_best, national_median, gap_to_cohort_median, percentile_in_cohort``
        (share of other cohort members scoring lower, ties half, times 100) and
        ``verdict`` (``strength``, ``weakness`` or ``near_median``).
    """
    year_rows = index_ranks[index_ranks["year"] == year]
    own = year_rows[year_rows["regency_id"] == regency_id].iloc[0]
    # A cohort or a nation is compared with only when the data hold it whole: a median of the few
    # members that happen to be loaded is not the cohort's.
    cohort_whole = cohort_col != "cohort_year" or cohort_is_whole(index_ranks, regency_id, year)
    nation_whole = bool(year_rows["group_complete"].all()) if "group_complete" in year_rows.columns else True
    cohort = (year_rows[year_rows[cohort_col] == own[cohort_col]] if cohort_whole and pd.notna(own[cohort_col])
              else year_rows.iloc[0:0])
    names = ref.pillar_names()
    rows = []
    for key in ref.PILLAR_KEYS:
        others = cohort.loc[cohort["regency_id"] != regency_id, key].dropna().to_numpy()
        score = own[key]
        pct = percentile_among(np.append(others, score), score) if pd.notna(score) and len(cohort) else np.nan
        gap = score - cohort[key].median() if len(cohort) else np.nan
        shown = round(float(gap), 2) if pd.notna(gap) else np.nan  # judged as the reader sees it
        verdict = ("strength" if shown >= threshold else "weakness" if shown <= -threshold else "near_median") \
            if pd.notna(gap) else None
        rows.append({"pillar_key": key, "pillar": names[key], "score": score,
                     "cohort_median": cohort[key].median() if len(cohort) else np.nan,
                     "cohort_best": cohort[key].max() if len(cohort) else np.nan,
                     "national_median": year_rows[key].median() if nation_whole else np.nan,
                     "gap_to_cohort_median": gap, "percentile_in_cohort": pct, "verdict": verdict})
    out = pd.DataFrame(rows)
    out.attrs.update(cohort_whole=bool(len(cohort)), nation_whole=nation_whole)
    return out


def strengths_and_weaknesses(position: pd.DataFrame, n: int = 2,
                             threshold: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to ``n`` strengths and weaknesses, furthest from the cohort median first.

    The pillars are those :func:`pillar_position` called a ``strength`` or a
    ``weakness`` in ``verdict``; a ``threshold`` other than the one used there
    judges the shown (rounded) gaps again.
    """
    ranked = position.dropna(subset=["gap_to_cohort_median"]).sort_values("gap_to_cohort_median")
    if threshold is None:
        above, below = ranked[ranked["verdict"] == "strength"], ranked[ranked["verdict"] == "weakness"]
    else:
        shown = ranked["gap_to_cohort_median"].round(2)
        above, below = ranked[shown >= threshold], ranked[shown <= -threshold]
    return above.tail(n)[::-1], below.head(n)


def rejects_for(ctx: ReportContext, regency_id: int, regency: str) -> pd.DataFrame:
    """The rejected rows and values that belong to this regency, with how they were matched.

    A reject belongs to the regency when the cleaner resolved its regency name
    to it (``resolved``, the reject's ``regency_id``: e.g. a duplicate row),
    when the nearest known name of a name the cleaner could not resolve is this
    regency (``nearest``: e.g. a typo), when it is a value of a kept row of this
    regency (``row``), or when it comes from a file that holds only this
    regency (``file``: an assessor workbook). Only names without a
    ``regency_id`` are looked up here, once each (all names, in rejects
    cleaned before the column). Non-regency rows (blank, footnote, subtotal)
    and superseded form answers are left out.

    Returns:
        ``source_file, source_row, column, value, reason, suggestion, nearest, match``.
    """
    cols = ["source_file", "source_row", "column", "value", "reason", "suggestion", "nearest", "match"]
    rejects = ctx.rejects
    if rejects is None or rejects.empty:
        return pd.DataFrame(columns=cols)
    rejects = rejects[~rejects["reason"].isin(NOT_REGENCY_ROWS)].copy()
    ids = rejects["regency_id"] if "regency_id" in rejects.columns else pd.Series(pd.NA, index=rejects.index)
    resolver = regency_resolver()
    own_rows = set()
    for table in (ctx.scores, ctx.quick_wins):
        if table is not None and len(table):
            mine = table[table["regency_id"] == regency_id]
            own_rows |= set(zip(mine["source_file"], mine["source_row"]))
    if ctx.recommendations is not None and len(ctx.recommendations):
        # Every row that states one of the regency's recommendations (a follow-up row with an unknown status).
        mine = ctx.recommendations.loc[ctx.recommendations["regency_id"] == regency_id, "source_rows"]
        own_rows |= {(file, row) for file, _sheet, row in named_rows(mine)}
    # Score and Quick Win rows by file (a recap of final scores alone gives none).
    files = pd.concat([pd.DataFrame(columns=["source_file", "regency_id"])]
                      + [t[["source_file", "regency_id"]] for t in (ctx.scores, ctx.quick_wins)
                         if t is not None and len(t)])
    single = files.groupby("source_file")["regency_id"].agg(lambda s: s.unique().tolist())
    own_files = {f for f, ids in single.items() if ids == [regency_id]}
    matches, nearest = [], []
    for rec, rid in zip(rejects.itertuples(), ids):
        match, near = None, ""
        if rec.column in ("regency", "") or str(rec.reason).endswith("_regency"):
            if pd.notna(rid):  # the cleaner resolved the name: nothing to look up
                match = "resolved" if int(rid) == regency_id else None
            elif isinstance(rec.value, str) and rec.value:
                res = resolver.resolve(rec.value)
                near = (res.suggestion or "") if res.regency_id is None else ""
                if res.regency_id == regency_id:
                    match = "resolved"
                elif near and regency in near.split(OR):
                    match = "nearest"
        nearest.append(near)
        if match is None and (rec.source_file, rec.source_row) in own_rows:
            match = "row"
        if match is None and rec.source_file in own_files:
            match = "file"
        matches.append(match)
    rejects["match"] = matches
    rejects["nearest"] = nearest
    return rejects[rejects["match"].notna()][cols].sort_values(["source_file", "source_row"], ignore_index=True)


def nearest_known_name(value: object) -> str:
    """The nearest known name(s) of a regency name that resolves to none: "Kabupaten X", or "Kabupaten X or
    Kota X" for a shared bare name; empty for a known name or a value that is no name."""
    res = regency_resolver().resolve(value) if isinstance(value, str) and value else None
    return (res.suggestion or "") if res is not None and res.regency_id is None else ""


def quick_wins_of(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The regency's Quick Win programmes and their four scores."""
    qw = ctx.quick_wins[ctx.quick_wins["regency_id"] == regency_id]
    cols = ["year", "pillar_key", "programme_name", "score_output", "score_outcome", "score_impact",
            "score_sustainability", "is_simulated"]
    out = qw[cols].sort_values(["year", "pillar_key"], ignore_index=True)
    names = ref.pillar_names()
    return out.assign(pillar=out["pillar_key"].map(names))


def provenance(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """Which raw files the regency's numbers came from, with their hashes.

    Scores count per value; a file that gave only an index or a rank (a
    provincial table of final scores) counts once per regency-year it gave.
    """
    own = ctx.scores[ctx.scores["regency_id"] == regency_id]
    qw = ctx.quick_wins[ctx.quick_wins["regency_id"] == regency_id].assign(layout="quick_wins")
    columns = ["source_file", "layout", "year", "is_simulated"]
    parts = [own[columns], qw[columns]]
    if "source_files" in ctx.index_ranks.columns:
        years = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
        given = years.assign(source_file=years["source_files"].fillna("").str.split("; ")).explode("source_file")
        given = given[(given["source_file"] != "") & ~given["source_file"].isin(set(own["source_file"]))]
        layouts = ctx.manifest.set_index("source_file")["layout"]
        given = given.assign(layout=given["source_file"].map(layouts))
        parts.append(given[["source_file", "layout", "year", "is_simulated"]])
    used = pd.concat(parts)
    summary = used.groupby(["source_file", "layout"]).agg(
        years=("year", lambda s: ", ".join(str(y) for y in sorted(set(s)))), values=("year", "size"),
        is_simulated=("is_simulated", "any")).reset_index()
    return summary.merge(ctx.manifest[["source_file", "sha256"]], on="source_file", how="left",
                         validate="1:1").assign(sha256=lambda d: d["sha256"].str[:12])


def published_for(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The real published figures about this regency, with their sources."""
    facts = ctx.published_facts
    return facts[facts["regency_id"] == regency_id][["index", "year", "metric", "value", "rank", "rank_of",
                                                     "source_url"]].reset_index(drop=True)


def published_sources(ctx: ReportContext, regency_ids: list[int] | None = None) -> pd.DataFrame:
    """The source addresses of the real figures (of ``regency_ids`` only, when given), with the regencies
    and years each covers."""
    facts = ctx.published_facts.dropna(subset=["source_url"])
    if regency_ids is not None:
        facts = facts[facts["regency_id"].isin(list(regency_ids))]
    return (facts.groupby("source_url", sort=False)
            .agg(region=("region", lambda s: ", ".join(dict.fromkeys(s))),
                 years=("year", lambda s: ", ".join(str(y) for y in sorted(set(s)))))
            .reset_index())


def headline_figures(history: pd.DataFrame, year: int, current: pd.Series | None = None,
                     lang: str = "", simulated: bool | None = None) -> dict[str, object]:
    """The figures shown in the report index for ``year``.

    ``simulated``: whether the page shows simulated numbers (:func:`page_simulated`);
    None takes the regency's own row of ``year`` only.
    """
    row = history[history["year"] == year].iloc[0]

    def _num(value, kind=float):
        return None if pd.isna(value) else kind(value)

    def _whole(value):  # rounded as every page rounds it (half up), so the index and the report agree
        return int(round_half_up(float(value)))

    # "simulated" is the key the report index turns into its simulated-data badge.
    # The rank computed in a group held whole; else the published rank with its group's size.
    computed = pd.notna(row["rank_computed"])
    rank = row["rank_computed"] if computed else row["rank_reported"]
    size = row["n_in_group"] if computed else row.get("rank_of")
    figures = {"year": int(year), "final_score": _num(row["final_score"], lambda v: round_half_up(float(v), 2)),
               "rank": _num(rank, int), "n_in_group": _num(size, int),
               "rank_kind": "computed" if computed else ("published" if pd.notna(rank) else None),
               "percentile_in_group": _num(row["percentile_in_group"], _whole),
               "rank_p05": _num(row["rank_p05"], _whole),
               "rank_p95": _num(row["rank_p95"], _whole),
               "rank_set_low": _num(row.get("rank_set_low"), _whole),
               "rank_set_high": _num(row.get("rank_set_high"), _whole),
               "evaluation_group": None if pd.isna(row["evaluation_group"]) else str(row["evaluation_group"]),
               "simulated": bool(row["is_simulated"]) if simulated is None else bool(simulated)}
    if current is not None:
        figures["province"] = str(current["province"])
        figures["cohort_year"] = _num(current["cohort_year"], int)
    if lang:
        figures["lang"] = lang
    return figures


def named_rows(source_rows: pd.Series) -> set[tuple[str, str, int]]:
    """``(file, sheet, row)`` of every ``file (sheet) row N`` listed in a ``source_rows`` column."""
    found = set()
    for listed in source_rows.dropna():
        for part in str(listed).split("; "):
            match = re.fullmatch(r"(.+?)(?: \((.+)\))? rows? ([\d, ]+)", part)
            if match:
                found |= {(match.group(1), match.group(2) or "", int(r)) for r in match.group(3).split(", ")}
    return found


def recommendations_of(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The regency's recommendations, latest year first and in the order of the pillars, with the latest status.

    Returns:
        ``year, stage, pillar_key, dimension_key, recommendation, themes,
        repeated_themes, status_latest, status_latest_year, evidence_latest,
        is_simulated`` (empty when none is recorded).
    """
    cols = ["recommendation_id", "year", "stage", "pillar_key", "dimension_key", "recommendation", "themes",
            "repeated_themes", "status_latest", "status_latest_year", "evidence_latest", "is_simulated"]
    recs = ctx.recommendations
    if recs is None or recs.empty:
        return pd.DataFrame(columns=cols)
    own = recs[recs["regency_id"] == regency_id].copy()
    status = ctx.recommendation_status
    latest = (status[status["recommendation_id"].isin(own["recommendation_id"])]
              .sort_values(["recommendation_id", "followup_year", "status_date"], na_position="first")
              .drop_duplicates("recommendation_id", keep="last").set_index("recommendation_id"))
    own["evidence_latest"] = own["recommendation_id"].map(latest["evidence"])
    order = {k: n for n, k in enumerate(SCOPE_ORDER)}
    own["_order"] = own["pillar_key"].fillna(own["dimension_key"]).map(order).fillna(len(order))
    own = own.sort_values(["year", "_order", "recommendation_id"], ascending=[False, True, True])
    return own[cols].reset_index(drop=True)


def followup_summary(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """Per year of the regency's recommendations: how many, and their statuses at the next year.

    Returns:
        ``year, n, n_selesai, n_proses, n_belum, n_unknown, has_followup``
        (``has_followup``: a status of the next year is recorded for at
        least one of them), latest year first.
    """
    recs = recommendations_of(ctx, regency_id)
    cols = ["year", "n", "n_selesai", "n_proses", "n_belum", "n_unknown", "has_followup"]
    if recs.empty:
        return pd.DataFrame(columns=cols)
    status = ctx.recommendation_status
    nxt = status[status["followup_year"] == status["year"] + FOLLOWUP_LAG].set_index("recommendation_id")["status"]
    recs = recs.assign(next_status=recs["recommendation_id"].map(nxt))
    rows = []
    for year, block in recs.groupby("year", sort=False):
        counts = block["next_status"].value_counts()
        rows.append({"year": int(year), "n": len(block), **{f"n_{k}": int(counts.get(k, 0)) for k in
                                                            ("selesai", "proses", "belum")},
                     "n_unknown": int(block["next_status"].isna().sum()),
                     "has_followup": bool(block["next_status"].notna().any())})
    return pd.DataFrame(rows, columns=cols)


def context_line(regency_id: int, member_ids: list[int], lang: str) -> str | None:
    """One line of real context for a regency's report: its population and GRDP per capita (the last year of the
    bundled quarcs-lab data) and their place among the members of its evaluation group (1 = the largest or richest).

    Returns None when the regency has no context values.
    """
    latest = context_data.latest(context_data.load_context())
    members = sorted(set(member_ids) | {regency_id})
    population = context_data.position_in(latest, regency_id, members, "population")
    income = context_data.position_in(latest, regency_id, members, "grdp_per_capita_thousand_idr")
    if population is None or income is None:
        return None
    row = latest.set_index("regency_id").loc[regency_id]
    return text(lang, "profile_context_line", year=int(row["year"]),
                population=fmt_count(round(row["population"]), lang), population_rank=population[0],
                grdp_per_capita=fmt_count(round(row["grdp_per_capita_thousand_idr"]), lang), income_rank=income[0],
                n=population[1])


def context_for(ctx: ReportContext, regency_id: int, year: int, lang: str) -> str | None:
    """:func:`context_line` for a regency-year of the report: its place among the members of its evaluation group
    that year (None when the group is not known, or the regency has no context values)."""
    rows = ctx.index_ranks
    own = rows[(rows["regency_id"] == regency_id) & (rows["year"] == year)]
    if own.empty or not isinstance(own["evaluation_group"].iloc[0], str) or not own["evaluation_group"].iloc[0]:
        return None
    group = own["evaluation_group"].iloc[0]
    members = rows.loc[(rows["year"] == year) & (rows["evaluation_group"] == group), "regency_id"]
    return context_line(regency_id, [int(m) for m in members], lang) if len(members) > 1 else None
