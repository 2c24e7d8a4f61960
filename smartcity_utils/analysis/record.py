"""The published record: every real, sourced figure of the smart city evaluation we know, and what it says.

The record (``smartcity_utils/data/published_record.csv``) is reference data, apart from any
evaluation files: regional government pages and news quoting Kominfo's letters, each row with its
source address and the sentence quoted from the page. It keeps the published-facts layout
(``docs/data_model.md``: ``index, year, region, metric, value, rank, rank_of, rank_scope, source_url``)
and adds ``quote``, ``quote_status`` (``quoted``, or ``not_in_stored_pages`` when the sentence is not in
the stored copy of the page), ``province``, ``kind``, ``year_uncertain`` with ``year_candidates``,
``group_uncertain``, ``certainty`` (a note) and ``origin`` (which collection the row came from).

Nothing here reads processed data: the record is the same whichever evaluation files a run cleaned.
This module loads and checks the record, lists conflicting sources, and derives the tables of
notebook 06: the published indexes per year, provincial ranks, trajectories, predicates, awards,
the method per year (which weights reproduce a published index) and the selection caveat.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.errors import ReferenceTableError
from smartcity_utils.regencies import regency_resolver

#: The record bundled with the package.
RECORD_FILE = ref.REFERENCE_DIR / "published_record.csv"

#: The published-facts layout (docs/data_model.md), then the record's own columns.
FACT_COLUMNS = ("index", "year", "region", "metric", "value", "rank", "rank_of", "rank_scope", "source_url")
RECORD_COLUMNS = FACT_COLUMNS + ("quote", "quote_status", "province", "kind", "year_uncertain", "year_candidates",
                                 "group_uncertain", "certainty", "origin")
QUOTE_STATUSES = ("quoted", "not_in_stored_pages")

#: ``index`` of the evaluation's own figures, and of programme-level facts (group sizes, letters, weights).
EVALUATION = "GMSC_eval"
PROGRAMME = "GMSC_programme"
#: The metric of the headline index ("Indeks Smart City", "Nilai Final"), on the 0 to 4 scale.
INDEX_METRIC = "indeks_smart_city"

#: Two published values of one figure agree when they are equal once both are rounded to the coarser of
#: their two precisions (3.197 and 3.20 agree: pages round the letter's value to 2 or 3 decimals).
def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _round_half_up(value: float, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def load_record(path: str | Path | None = None) -> pd.DataFrame:
    """The record, checked, with typed columns and the regency id of each regency row.

    Adds ``year_num``, ``value_num`` (NaN for a text value such as a predicate), ``rank_num``,
    ``rank_of_num`` and ``regency_id`` (None for national or programme rows, whose region is in
    parentheses or names no regency).

    Raises:
        ReferenceTableError: naming the file and row of a missing column, a row without a source address,
            a quote status that disagrees with the quote, or a regency name the gazetteer does not know.
    """
    path = Path(path) if path is not None else RECORD_FILE
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    check_record(frame, path.name)
    out = frame.copy()
    out["year_num"] = pd.to_numeric(out["year"].replace("", None), errors="raise").astype("Int64")
    out["value_num"] = pd.to_numeric(out["value"], errors="coerce")  # text values (predicates, awards) stay text
    out["rank_num"] = pd.to_numeric(out["rank"].replace("", None)).astype("Int64")
    out["rank_of_num"] = pd.to_numeric(out["rank_of"].replace("", None)).astype("Int64")
    for col in ("year_uncertain", "group_uncertain"):
        out[col] = out[col].str.lower().eq("true")
    resolver = regency_resolver()
    ids, unknown = [], []
    for i, (region, province, kind) in enumerate(zip(out["region"], out["province"], out["kind"]), start=2):
        if not region or region.startswith("(") or out.at[i - 2, "index"] == PROGRAMME:
            ids.append(None)
            continue
        res = resolver.resolve(region, province or None, kind or None)
        if res.regency_id is None:
            unknown.append(f"row {i}: {region!r} ({res.reason}; {res.suggestion})")
        ids.append(res.regency_id)
    if unknown:
        raise ReferenceTableError(f"{path.name}: regions the gazetteer does not know: " + "; ".join(unknown[:5]))
    out["regency_id"] = pd.array(ids, dtype="Int64")
    return out


def check_record(frame: pd.DataFrame, name: str = "published_record.csv") -> None:
    """Refuse a record without the layout's columns, or with a row lacking its source or its quote.

    Raises:
        ReferenceTableError: with the file name, the rows and what is wrong.
    """
    missing = [c for c in RECORD_COLUMNS if c not in frame.columns]
    if missing:
        raise ReferenceTableError(f"{name}: missing columns {missing}; the layout is {list(RECORD_COLUMNS)}")
    problems = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if not str(row.source_url).startswith(("http://", "https://")):
            problems.append(f"row {i} has no source address")
        if row.quote_status not in QUOTE_STATUSES:
            problems.append(f"row {i} has quote status {row.quote_status!r} (use {', '.join(QUOTE_STATUSES)})")
        elif (row.quote_status == "quoted") != bool(str(row.quote).strip()):
            problems.append(f"row {i}: quote status {row.quote_status!r} but the quote is "
                            f"{'empty' if not str(row.quote).strip() else 'given'}")
        if not row.year and str(row.year_uncertain).lower() != "true":
            problems.append(f"row {i} has no year and does not say that its year is uncertain")
    if problems:
        raise ReferenceTableError(f"{name}: " + "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))


def conflicts(record: pd.DataFrame) -> pd.DataFrame:
    """Figures given by two sources: every pair of rows of one region, year and metric with numeric values.

    A pair whose values differ after rounding both to the coarser precision is a ``conflict``; a pair
    equal after that rounding but written differently (3.197 and 3.20) ``agrees_within_rounding``. A row
    whose year is uncertain is compared with the rows of each candidate year: a difference there is a
    ``possible_conflict`` (the figures may belong to different years). Equal values are not listed.

    Returns:
        ``region, year, metric, value_a, value_b, source_a, source_b, status`` (one row per pair).
    """
    columns = ["region", "year", "metric", "value_a", "value_b", "source_a", "source_b", "status"]
    figures = record[(record["region"] != "") & record["value_num"].notna()]
    # Programme counts of different groups (191 at stage I, 130 in one ranking) are different figures.
    figures = figures.assign(scope_key=figures["rank_scope"].where(figures["index"] == PROGRAMME, ""))
    known = figures[figures["year_num"].notna()]
    pairs = []
    for (region, year, metric, _), group in known.groupby(["region", "year_num", "metric", "scope_key"]):
        rows = list(group.itertuples(index=False))
        for a_i, a in enumerate(rows):
            for b in rows[a_i + 1:]:
                status = _compare(a.value, b.value)
                if status:
                    pairs.append((region, int(year), metric, a.value, b.value, a.source_url, b.source_url, status))
    for a in figures[figures["year_num"].isna()].itertuples(index=False):
        for year in [int(y) for y in str(a.year_candidates).split(";") if y.strip()]:
            same = known[(known["region"] == a.region) & (known["metric"] == a.metric) & (known["year_num"] == year)]
            for b in same.itertuples(index=False):
                if _compare(a.value, b.value) == "conflict":
                    pairs.append((a.region, year, a.metric, a.value, b.value, a.source_url, b.source_url,
                                  "possible_conflict"))
    # Ranks: one figure too (IMD 2024 gives Makassar 114 on one page and 115 on another).
    ranked = record[(record["region"] != "") & record["rank_num"].notna() & record["year_num"].notna()]
    for (region, year, metric, scope), group in ranked.groupby(["region", "year_num", "metric", "rank_scope"]):
        values = list(group.itertuples(index=False))
        for a_i, a in enumerate(values):
            for b in values[a_i + 1:]:
                if int(a.rank_num) != int(b.rank_num):
                    pairs.append((region, int(year), f"{metric} ({scope})" if scope else metric, a.rank, b.rank,
                                  a.source_url, b.source_url, "conflict"))
    return pd.DataFrame(pairs, columns=columns).drop_duplicates(ignore_index=True)


def _compare(a: str, b: str) -> str | None:
    """``conflict``, ``agrees_within_rounding`` or None (equal) for two numbers written as text."""
    x, y = float(a), float(b)
    if x == y:
        return None
    coarse = min(_decimals(a), _decimals(b))
    if _round_half_up(x, coarse) == _round_half_up(y, coarse):
        return "agrees_within_rounding"
    return "conflict"


def index_figures(record: pd.DataFrame) -> pd.DataFrame:
    """One published index per regency and year (the year known), with every source that gives it.

    Where sources agree within rounding the value with the most decimals is kept (3.197 over 3.20);
    a real conflict keeps both rows, so that no value is chosen silently.

    Returns:
        ``regency_id, region, province, kind, year, index_value, n_sources, source_url, quote,
        rank, rank_of, rank_scope, group_uncertain``.
    """
    rows = record[(record["index"] == EVALUATION) & (record["metric"] == INDEX_METRIC)
                  & record["year_num"].notna() & record["value_num"].notna()].copy()
    rows["decimals"] = rows["value"].map(_decimals)
    clash = conflicts(record)
    clash = clash[(clash["metric"] == INDEX_METRIC) & (clash["status"] == "conflict")]
    keep = []
    for (_, year), group in rows.groupby(["regency_id", "year_num"]):
        group = group.sort_values(["decimals", "rank_num"], ascending=[False, True], na_position="last")
        first = group.iloc[0].copy()
        first["n_sources"] = group["source_url"].nunique()
        first["source_url"] = " ".join(dict.fromkeys(group["source_url"]))
        first["rank_num"] = group["rank_num"].dropna().iloc[0] if group["rank_num"].notna().any() else pd.NA
        first["rank_of_num"] = (group["rank_of_num"].dropna().iloc[0] if group["rank_of_num"].notna().any()
                                else pd.NA)
        scopes = [s for s in group["rank_scope"] if s]
        first["rank_scope"] = scopes[0] if scopes else ""
        first["group_uncertain"] = bool(group["group_uncertain"].all())
        keep.append(first)
        if not clash[(clash["region"] == first["region"]) & (clash["year"] == int(year))].empty:
            for _, other in group.iloc[1:].iterrows():
                if _compare(first["value"], other["value"]) == "conflict":
                    other = other.copy()
                    other["n_sources"] = 1
                    keep.append(other)
    table = pd.DataFrame(keep)
    if table.empty:
        return pd.DataFrame(columns=["regency_id", "region", "province", "kind", "year", "index_value", "n_sources",
                                     "source_url", "quote", "rank", "rank_of", "rank_scope", "group_uncertain"])
    table = table.rename(columns={"value_num": "index_value"})
    # One spelling of each province (the gazetteer's), whatever the source wrote.
    gazetteer = regency_resolver().table
    table["province"] = [gazetteer.at[int(r), "province"] for r in table["regency_id"]]
    table["year"] = table["year_num"].astype(int)
    table["rank"] = pd.array(table["rank_num"], dtype="Int64")
    table["rank_of"] = pd.array(table["rank_of_num"], dtype="Int64")
    return table[["regency_id", "region", "province", "kind", "year", "index_value", "n_sources", "source_url",
                  "quote", "rank", "rank_of", "rank_scope", "group_uncertain"]].sort_values(
        ["year", "index_value"], ascending=[True, False], ignore_index=True)


def regency_years_by_year(record: pd.DataFrame) -> pd.DataFrame:
    """Real regency-years with a published index, by year (``year, n_regency_years``)."""
    figures = index_figures(record).drop_duplicates(["regency_id", "year"])
    return figures.groupby("year").size().rename("n_regency_years").reset_index()


def provincial_ranks(record: pd.DataFrame) -> pd.DataFrame:
    """Ranks within a province (``region, province, year, rank, rank_scope, source_url, quote``)."""
    rows = record[(record["metric"] == "rank_province") & record["rank_num"].notna()]
    gazetteer = regency_resolver().table
    out = rows.assign(rank=rows["rank_num"].astype(int), year=rows["year_num"],
                      province=[gazetteer.at[int(r), "province"] for r in rows["regency_id"]])
    return out[["region", "province", "year", "rank", "rank_scope", "source_url", "quote"]].sort_values(
        ["year", "province", "rank"], ignore_index=True)


def trajectories(record: pd.DataFrame) -> pd.DataFrame:
    """Regencies with a published index in two years or more: one row per regency-year, with the change."""
    figures = index_figures(record).drop_duplicates(["regency_id", "year"])
    several = figures.groupby("regency_id")["year"].transform("nunique") >= 2
    out = figures[several].sort_values(["region", "year"]).copy()
    out["change"] = out.groupby("regency_id")["index_value"].diff()
    out["years_since"] = out.groupby("regency_id")["year"].diff()
    return out.reset_index(drop=True)


def predicates(record: pd.DataFrame) -> pd.DataFrame:
    """Predicate labels ("sangat baik", "terencana") beside the index of the same regency-year, where known."""
    labels = record[record["metric"] == "predikat"]
    figures = index_figures(record).drop_duplicates(["regency_id", "year"])
    out = labels.merge(figures[["regency_id", "year", "index_value"]], left_on=["regency_id", "year_num"],
                       right_on=["regency_id", "year"], how="left", validate="m:1")
    out["year"] = out["year_num"]
    return out[["region", "year", "value", "index_value", "source_url", "quote"]].rename(
        columns={"value": "predicate"}).sort_values(["year", "region"], ignore_index=True)


def awards(record: pd.DataFrame) -> pd.DataFrame:
    """Awards of the programme (dimension awards, top-5 places), one row per regency and award."""
    rows = record[record["metric"].str.startswith("award_") | (record["metric"] == "rank_top5")]
    out = rows.assign(award=rows["metric"].str.removeprefix("award_").str.removeprefix("best_"),
                      year=rows["year_num"])
    # One row per regency and award; every page that reports it is linked.
    out = out.groupby(["year", "region", "award"], as_index=False).agg(
        value=("value", "first"), rank_scope=("rank_scope", "first"),
        source_url=("source_url", lambda s: " ".join(dict.fromkeys(s))), quote=("quote", "first"))
    return out.sort_values(["year", "award", "region"], ignore_index=True)


#: A computed index reproduces a published one when it rounds (half up) to the published value at the
#: published precision (3.315 -> 3.32 is 0.005 off 3.31; letters truncate or round, so the tolerance is
#: one unit of the last published decimal: |computed - published| <= 0.01 for two decimals).
REPRODUCTION_TOLERANCE = 0.01


def weight_sets() -> pd.DataFrame:
    """Candidate weight sets: each year's set in ``dimension_weights.csv``, the other published sets and
    the plain mean (``weight_set, source, status`` and one column per dimension)."""
    weights = ref.dimension_weights()
    wide = weights.pivot_table(index=["year", "status"], columns="dimension_key", values="weight").reset_index()
    wide["weight_set"] = wide[list(ref.DIMENSION_KEYS)].apply(lambda r: "/".join(f"{round(v * 100):g}" for v in r),
                                                              axis=1)
    sets = wide.groupby("weight_set").agg(status=("status", "first"), years=("year", lambda y: sorted(set(y))))
    sets = sets.reset_index()
    keys = list(ref.DIMENSION_KEYS)
    for i, key in enumerate(keys):
        sets[key] = sets["weight_set"].map(lambda s, i=i: float(s.split("/")[i]) / 100)
    mean = {"weight_set": "mean", "status": "plain mean", "years": []} | {k: 1 / len(keys) for k in keys}
    return pd.concat([sets, pd.DataFrame([mean])], ignore_index=True)


def method_check(record: pd.DataFrame) -> pd.DataFrame:
    """For every regency-year with all five dimension scores and an index published: each weight set's
    computed index and whether it reproduces the published one (:data:`REPRODUCTION_TOLERANCE`)."""
    keys = list(ref.DIMENSION_KEYS)
    dims = record[(record["index"] == EVALUATION) & record["metric"].isin(keys) & record["value_num"].notna()]
    wide = dims.pivot_table(index=["regency_id", "region", "year_num"], columns="metric", values="value_num",
                            aggfunc="first").reset_index()
    wide = wide.dropna(subset=[k for k in keys if k in wide.columns])
    if wide.empty or not set(keys) <= set(wide.columns):
        return pd.DataFrame(columns=["region", "year", "weight_set", "computed", "published", "difference",
                                     "reproduces"])
    figures = index_figures(record).drop_duplicates(["regency_id", "year"]).set_index(["regency_id", "year"])
    rows = []
    for r in wide.itertuples(index=False):
        published = figures["index_value"].get((r.regency_id, int(r.year_num)))
        if published is None or (isinstance(published, float) and math.isnan(published)):
            continue
        for s in weight_sets().itertuples(index=False):
            computed = sum(getattr(s, k) * getattr(r, k) for k in keys)
            rows.append({"region": r.region, "year": int(r.year_num), "weight_set": s.weight_set,
                         "computed": computed, "published": published, "difference": computed - published,
                         "reproduces": abs(computed - published) <= REPRODUCTION_TOLERANCE + 1e-9})
    return pd.DataFrame(rows)


def method_by_year(record: pd.DataFrame, years: list[int] | None = None) -> pd.DataFrame:
    """What is known of the method per year: the weights' status and source, and how many published
    regency-years let them be checked (all five dimension scores published) and reproduce."""
    weights = ref.dimension_weights()
    check = method_check(record)
    figures = index_figures(record)
    years = years or sorted(set(figures["year"]) | set(weights["year"]))
    rows = []
    for year in years:
        w = weights[weights["year"] == year]
        label = "/".join(f"{round(v * 100):g}" for v in w.set_index("dimension_key").reindex(
            list(ref.DIMENSION_KEYS))["weight"]) if not w.empty else ""
        here = check[(check["year"] == year) & (check["weight_set"] == label)] if label else check.iloc[0:0]
        rows.append({"year": year, "weight_set": label, "status": w["status"].iloc[0] if not w.empty else "",
                     "n_index": int((figures["year"] == year).sum()), "n_checkable": int(here["region"].nunique()),
                     "n_reproduced": int(here["reproduces"].sum()),
                     "source_url": w["source_url"].iloc[0] if not w.empty else ""})
    return pd.DataFrame(rows)


def evaluated_counts(record: pd.DataFrame) -> pd.DataFrame:
    """Regencies evaluated per year as published (``n_evaluated`` programme rows): ``year, n_evaluated,
    rank_scope, source_url``; the largest count of a year where several are given."""
    rows = record[(record["index"] == PROGRAMME) & (record["metric"] == "n_evaluated")]
    rows = rows.assign(year=rows["year_num"].astype(int), n_evaluated=rows["value_num"].astype(int))
    rows = rows.sort_values(["year", "n_evaluated"], ascending=[True, False]).drop_duplicates("year")
    return rows[["year", "n_evaluated", "rank_scope", "source_url"]].reset_index(drop=True)


def selection(record: pd.DataFrame) -> pd.DataFrame:
    """The selection caveat in numbers, per year: regencies with a published index against those evaluated,
    and how many of the published ones say they rank in the top ten of their group or first in their province.

    Returns:
        ``year, n_published, n_evaluated, share_published, n_top10_or_first``.
    """
    figures = index_figures(record).drop_duplicates(["regency_id", "year"])
    counts = figures.groupby("year").size().rename("n_published")
    top = figures.loc[figures["rank"].notna() & (figures["rank"] <= 10), ["region", "year"]]
    first = provincial_ranks(record)
    first = first.loc[first["rank"] == 1, ["region", "year"]].merge(figures[["region", "year"]], on=["region", "year"])
    # A regency in the top ten and first in its province counts once.
    top = pd.concat([top, first]).drop_duplicates().groupby("year").size()
    out = counts.to_frame().join(evaluated_counts(record).set_index("year")["n_evaluated"], how="left")
    out["share_published"] = out["n_published"] / out["n_evaluated"]
    out["n_top10_or_first"] = top.reindex(out.index).fillna(0).astype(int)
    return out.reset_index()
