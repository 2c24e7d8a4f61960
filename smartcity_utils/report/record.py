"""The page of the published record (notebook 06): its numbers, tables, figure and sentences in one language.

Every number on the page is real and comes from ``smartcity_utils/data/published_record.csv`` (or, for the
context, from the bundled quarcs-lab file); every row of every table links the page it was published on. The
page reads no processed data, so it is the same whichever evaluation files a run cleaned.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from smartcity_utils import reference as ref
from smartcity_utils.analysis import context as ctx
from smartcity_utils.analysis import record as rec
from smartcity_utils.report.figures import finish
from smartcity_utils.report.numbers import MISSING, fmt_count, fmt_score, fmt_share, fmt_signed
from smartcity_utils.report.tables import ReaderTable, reader_table
from smartcity_utils.report.texts import HTMLBlock, has_text, prose, text
from smartcity_utils.values import is_missing

#: Regencies and cities of Indonesia (the gazetteer), against which "most publish nothing" is counted.
N_REGENCIES = 514


@dataclass
class RecordPage:
    """Everything the page shows, computed once."""

    record: pd.DataFrame
    figures: pd.DataFrame
    counts: pd.DataFrame
    selection: pd.DataFrame
    provincial: pd.DataFrame
    trajectories: pd.DataFrame
    predicates: pd.DataFrame
    awards: pd.DataFrame
    method: pd.DataFrame
    reproduction: pd.DataFrame
    conflicts: pd.DataFrame
    units: pd.DataFrame
    association: pd.DataFrame
    publishers: pd.DataFrame
    context_year: int
    n_unmatched: int
    extra: dict = field(default_factory=dict)


def build(n_boot: int = ctx.N_BOOT) -> RecordPage:
    """Compute every table of the page from the bundled record and context."""
    record = rec.load_record()
    figures = rec.index_figures(record)
    context = ctx.load_context()
    units = ctx.association_units(figures.drop_duplicates(["regency_id", "year"]), context, ctx.load_recent())
    # Two contexts: population and GRDP per capita of 2017 (the zenodo data set, before the evaluations), and the
    # GRDP per capita of the index's own year (indonesia514) with the 2017 population.
    association = pd.concat([
        ctx.association(units, n_boot=n_boot).assign(model="context_2017"),
        ctx.association(units, covariates=("log_grdp_pc_same_year", "log_population"), n_boot=n_boot).assign(
            model="same_year")], ignore_index=True)
    return RecordPage(
        record=record, figures=figures, counts=rec.regency_years_by_year(record), selection=rec.selection(record),
        provincial=rec.provincial_ranks(record), trajectories=rec.trajectories(record),
        predicates=rec.predicates(record), awards=rec.awards(record), method=rec.method_by_year(record),
        reproduction=rec.method_check(record), conflicts=rec.conflicts(record), units=units,
        association=association, publishers=ctx.publishers_against_all(units, context),
        context_year=int(ctx.latest(context)["year"].max()), n_unmatched=len(context.attrs["unmatched"]))


def _coded(lang: str, prefix: str, code: object) -> str:
    """The text ``<prefix><code>``; an unlisted code as words."""
    key = f"{prefix}{code}"
    return text(lang, key) if has_text(lang, key) else str(code).replace("_", " ")


def banner(lang: str) -> HTMLBlock:
    """The page's first line: every number here is real and published, with its source."""
    shown = text(lang, "nb06_banner")
    return HTMLBlock('<div class="real-banner" role="note" style="background:#e6f4ea;padding:12px 16px;'
                     f'font-weight:bold;border-radius:4px;margin:8px 0">{html.escape(shown)}</div>', shown)


def intro(page: RecordPage, lang: str) -> HTMLBlock:
    """What the record is, in numbers."""
    r = page.record
    return prose(lang, "nb06_intro", n_rows=fmt_count(len(r), lang), n_sources=fmt_count(r["source_url"].nunique(),
                 lang), n_quoted=fmt_count(int((r["quote_status"] == "quoted").sum()), lang),
                 n_unquoted=fmt_count(int((r["quote_status"] != "quoted").sum()), lang))


def _table(frame: pd.DataFrame, columns: dict, lang: str) -> ReaderTable:
    """:func:`reader_table` with this page's note for "-": nothing was published (no cleaning is involved)."""
    table = reader_table(frame, columns, lang)
    table.notes = [text(lang, "nb06_missing_note") if n == text(lang, "missing_note") else n for n in table.notes]
    return table


def counts_table(page: RecordPage, lang: str) -> ReaderTable:
    """Per year: regency-years with a published index, the regencies evaluated, the share, and how many of
    the published ones rank in the top ten of their group or first in their province."""
    frame = page.selection.merge(rec.evaluated_counts(page.record)[["year", "source_url"]], on="year", how="left")
    frame["share_published"] = 100 * frame["share_published"]
    return _table(frame, {"year": "year", "n_published": ("int", "col_n_published"),
                                "n_evaluated": ("int", "col_n_evaluated"),
                                "share_published": ("pct", "col_share_published"),
                                "n_top10_or_first": ("int", "col_n_top10_or_first"),
                                "source_url": ("link", "col_source_page")}, lang)


def _rank_text(rank: object, rank_of: object, lang: str) -> str:
    if is_missing(rank):
        return MISSING
    return text(lang, "rank_of", rank=int(rank), n=int(rank_of)) if not is_missing(rank_of) else str(int(rank))


def _group_text(row: pd.Series, lang: str) -> str:
    if not is_missing(row["rank_of"]):
        return text(lang, "nb06_group_size", n=int(row["rank_of"]))
    return text(lang, "nb06_group_not_stated" if row["group_uncertain"] else "nb06_group_stated")


def index_table(page: RecordPage, lang: str) -> ReaderTable:
    """Every published index with its year, province, rank and group as published, and its sources."""
    f = page.figures.copy()
    f["rank_text"] = [_rank_text(r, n, lang) for r, n in zip(f["rank"], f["rank_of"])]
    f["group_text"] = [_group_text(row, lang) for _, row in f.iterrows()]
    return _table(f, {"year": "year", "region": ("text", "col_regency"), "province": "text",
                            "index_value": ("score", "col_index"), "rank_text": ("num", "col_rank"),
                            "group_text": ("text", "col_group"), "source_url": ("link", "col_source_page")}, lang)


def provincial_table(page: RecordPage, lang: str) -> ReaderTable:
    """Ranks within a province, as the regencies published them."""
    return _table(page.provincial, {"year": "year", "region": ("text", "col_regency"), "province": "text",
                                          "rank": ("rank", "col_rank_province"),
                                          "source_url": ("link", "col_source_page")},
                        lang)


def trajectory_table(page: RecordPage, lang: str) -> ReaderTable:
    """One row per regency with several published years: its indexes in order and the mean change a year."""
    rows = []
    for region, group in page.trajectories.groupby("region", sort=True):
        group = group.sort_values("year")
        span = int(group["year"].iloc[-1] - group["year"].iloc[0])
        per_year = (group["index_value"].iloc[-1] - group["index_value"].iloc[0]) / span if span else np.nan
        path = " → ".join(f"{int(y)}: {fmt_score(v, lang)}" for y, v in zip(group["year"], group["index_value"]))
        rows.append({"region": region, "path": path, "per_year": per_year,
                     "source_url": " ".join(dict.fromkeys(" ".join(group["source_url"]).split()))})
    frame = pd.DataFrame(rows, columns=["region", "path", "per_year", "source_url"])
    return _table(frame, {"region": ("text", "col_regency"), "path": ("num", "col_trajectory"),
                                "per_year": ("signed", "col_change_per_year"),
                                "source_url": ("link", "col_source_page")},
                        lang)


def trajectory_figure(page: RecordPage, lang: str) -> Figure:
    """The published index over the years of each regency with two years or more (real figures only)."""
    fig = Figure(figsize=(7.2, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for region, group in page.trajectories.groupby("region", sort=True):
        group = group.sort_values("year")
        ax.plot(group["year"], group["index_value"], marker="o", linewidth=1.4, label=region)
    years = sorted(page.trajectories["year"].unique())
    ax.set_xticks(years, [str(int(y)) for y in years])
    low = float(np.floor(page.trajectories["index_value"].min() * 2) / 2)  # from the half point below the lowest
    ax.set_ylim(low, ref.SCORE_SCALE[1])
    ax.set_xlabel(text(lang, "col_year"))
    ax.set_ylabel(text(lang, "col_index"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2, loc="lower right", frameon=False)
    return finish(fig, text(lang, "nb06_fig_trajectories"), False, lang)


def predicates_table(page: RecordPage, lang: str) -> ReaderTable:
    """Predicate labels beside the index of the same regency-year."""
    frame = page.predicates.assign(label=[_coded(lang, "predicate_", p.replace(" ", "_")) for p in
                                          page.predicates["predicate"]])
    return _table(frame, {"year": "year", "region": ("text", "col_regency"), "label": ("text", "col_predicate"),
                                "index_value": ("score", "col_index"), "source_url": ("link", "col_source_page")}, lang)


def _award_text(award: str, lang: str) -> str:
    key = award.removeprefix("best_")
    names = ref.pillar_names()
    if key in names:
        return text(lang, "nb06_award_pillar", pillar=names[key])
    return _coded(lang, "award_", award)


def awards_table(page: RecordPage, lang: str) -> ReaderTable:
    """Awards of the programme, one row per regency and award."""
    frame = page.awards.assign(award_text=[_award_text(a, lang) for a in page.awards["award"]])
    return _table(frame, {"year": "year", "region": ("text", "col_regency"),
                                "award_text": ("text", "col_award"), "source_url": ("link", "col_source_page")}, lang)


def method_table(page: RecordPage, lang: str) -> ReaderTable:
    """What is known of the method per year: the weights, how they are known, and whether they could be checked."""
    frame = page.method.assign(status_text=[_coded(lang, "weights_", s or "none") for s in page.method["status"]],
                               weights_text=[w.replace("/", " / ") if w else MISSING
                                             for w in page.method["weight_set"]])
    return _table(frame, {"year": "year", "weights_text": ("num", "col_weights"),
                                "status_text": ("text", "col_weights_status"),
                                "n_checkable": ("int", "col_n_checkable"),
                                "n_reproduced": ("int", "col_n_reproduced"), "source_url": ("link", "col_source_page")},
                        lang)


def reproduction_section(page: RecordPage, lang: str) -> HTMLBlock:
    """The heading and introduction of the weight check, naming the regency-years that allow it."""
    from smartcity_utils.report.texts import section

    cases = page.reproduction.drop_duplicates(["region", "year"]).sort_values("year")
    names = (text(lang, "number_list_separator") + " ").join(f"{r} {int(y)}" for r, y in
                                                             zip(cases["region"], cases["year"]))
    return section(lang, "nb06_reproduction", level=3, cases=names or MISSING)


def reproduction_table(page: RecordPage, lang: str) -> ReaderTable:
    """Each weight set applied to the published dimension scores, against the published index."""
    r = page.reproduction.copy()
    r["set_text"] = [text(lang, "nb06_plain_mean") if s == "mean" else s.replace("/", " / ") for s in r["weight_set"]]
    r["computed_text"] = [fmt_score(v, lang, 3) for v in r["computed"]]
    r["difference_text"] = [fmt_signed(v, lang, 3) for v in r["difference"]]
    r["case"] = [f"{region} {int(year)}" for region, year in zip(r["region"], r["year"])]
    return _table(r, {"case": ("text", "col_regency"), "set_text": ("num", "col_weight_set"),
                            "computed_text": ("num", "col_computed_index"), "published": ("score", "col_published"),
                            "difference_text": ("num", "col_difference"), "reproduces": ("bool", "col_reproduces")},
                        lang)


def conflicts_table(page: RecordPage, lang: str) -> ReaderTable:
    """Figures two sources give differently (and those equal only after rounding)."""
    c = page.conflicts.copy()
    c["metric_text"] = [_coded(lang, "metric_", m.split(" (")[0]) for m in c["metric"]]
    c["values"] = [f"{_plain(a, lang)} / {_plain(b, lang)}" for a, b in zip(c["value_a"], c["value_b"])]
    c["sources"] = [f"{a} {b}" for a, b in zip(c["source_a"], c["source_b"])]
    c["status_text"] = [_coded(lang, "conflict_", s) for s in c["status"]]
    return _table(c, {"region": ("text", "col_regency"), "year": "year", "metric_text": ("text", "col_metric"),
                            "values": ("num", "col_published_values"), "status_text": ("text", "col_check"),
                            "sources": ("link", "col_source_page")}, lang)


def _plain(value: str, lang: str) -> str:
    return value.replace(".", ",") if lang == "id" else value


def association_table(page: RecordPage, lang: str) -> ReaderTable:
    """The index against the context: each term's slope with its HC3 and bootstrap 95 % intervals."""
    a = page.association.assign(term_text=[_coded(lang, "term_", t) for t in page.association["term"]],
                                model_text=[text(lang, f"nb06_model_{m}") for m in page.association["model"]],
                                hc3_low=page.association["ci_low"], hc3_high=page.association["ci_high"])
    return _table(a, {"model_text": ("text", "col_context"), "term_text": ("text", "col_term"),
                      "estimate": ("signed", "col_slope"),
                            "hc3": ("interval", "col_interval_hc3"), "boot": ("interval", "col_interval_boot"),
                            "n": ("int", "col_n_regencies_units")}, lang)


def publishers_table(page: RecordPage, lang: str) -> ReaderTable:
    """Where the publishing regencies sit among all 514: medians and the median percentile."""
    p = page.publishers.copy()
    p["measure_text"] = [_coded(lang, "measure_", m) for m in p["measure"]]
    p["median_publishers_text"] = [fmt_count(round(v), lang) for v in p["median_publishers"]]
    p["median_all_text"] = [fmt_count(round(v), lang) for v in p["median_all"]]
    p["median_percentile"] = 100 * p["median_percentile"]
    return _table(p, {"measure_text": ("text", "col_measure"),
                            "median_publishers_text": ("num", "col_median_publishers"),
                            "median_all_text": ("num", "col_median_all"),
                            "median_percentile": ("pct", "col_median_percentile"),
                            "n_publishers": ("int", "col_n_regencies_units")}, lang)


def missing_text(page: RecordPage, lang: str) -> HTMLBlock:
    """What is missing, in numbers: regencies that publish nothing, and the share published per year."""
    n_with = int(page.figures["regency_id"].nunique())
    latest = page.selection.dropna(subset=["n_evaluated"]).iloc[-1]
    return prose(lang, "nb06_missing", n_with=fmt_count(n_with, lang), n_all=fmt_count(N_REGENCIES, lang),
                 share=fmt_share(n_with / N_REGENCIES), year=int(latest["year"]),
                 n_published=fmt_count(int(latest["n_published"]), lang),
                 n_evaluated=fmt_count(int(latest["n_evaluated"]), lang),
                 share_year=fmt_share(latest["share_published"]),
                 n_unquoted=fmt_count(int((page.record["quote_status"] != "quoted").sum()), lang))


def association_text(page: RecordPage, lang: str) -> HTMLBlock:
    """The association's estimand, assumptions and caveats, with its numbers."""
    pub = page.publishers.set_index("measure")
    return prose(lang, "nb06_association", n=fmt_count(int(page.association["n"].max()) if len(page.association)
                                                       else 0, lang),
                 context_year=page.context_year,
                 pct_income=fmt_share(pub.loc["grdp_per_capita_thousand_idr", "median_percentile"]),
                 pct_population=fmt_share(pub.loc["population", "median_percentile"]))


def closing_counts(page: RecordPage, lang: str) -> HTMLBlock:
    """The closing numbers: real regency-years with a published index, by year."""
    parts = [text(lang, "nb06_year_count", year=int(y), n=fmt_count(int(n), lang))
             for y, n in zip(page.counts["year"], page.counts["n_regency_years"])]
    return prose(lang, "nb06_closing", counts="; ".join(parts),
                 total=fmt_count(int(page.counts["n_regency_years"].sum()), lang))


def outputs(page: RecordPage) -> dict[str, pd.DataFrame]:
    """The page's tables under fixed file names (real figures: ``is_simulated`` is false)."""
    return {"published_indexes": page.figures, "regency_years_by_year": page.counts, "selection": page.selection,
            "provincial_ranks": page.provincial, "trajectories": page.trajectories, "predicates": page.predicates,
            "awards": page.awards, "method_by_year": page.method, "weight_reproduction": page.reproduction,
            "conflicts": page.conflicts, "association": page.association, "association_units": page.units,
            "publishers_against_all": page.publishers}
