"""What notebook 03 shows: the measurement model, the lead estimates with intervals, the closing table, the findings.

Each function turns analysis results into a reader table
(:mod:`smartcity_utils.report.tables`) or a few sentences, in the page's
language, every word from the text store and every number formatted by
:mod:`smartcity_utils.report.numbers`. The numbers themselves come from
:mod:`smartcity_utils.analysis.measurement` and the driver methods
(:func:`smartcity_utils.analysis.drivers.run.regency_year_drivers`). Every
sentence states an association in these data, never a cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, LEAD_METHOD, MEASURED_METHOD
from smartcity_utils.analysis.drivers.leniency import HEADLINE_TARGET
from smartcity_utils.analysis.drivers.ols import ols_as_estimates
from smartcity_utils.analysis.measurement import pillar_structure
from smartcity_utils.report.numbers import (
    MISSING,
    fmt_estimate,
    fmt_int,
    fmt_plain,
    fmt_score,
    fmt_share,
    fmt_share_interval,
    say,
)
from smartcity_utils.report.tables import ReaderTable, reader_table
from smartcity_utils.report.texts import HTMLBlock, has_text, paragraph, text
from smartcity_utils.tables import shows_simulated

#: First-component shares that decide how the pillars' structure is read: at or above 70 % they largely move
#: as one (with six items alpha is then above 0.9), below 50 % they measure largely separate things, and in
#: between they share a common part. Cronbach's alpha of six items with a first component of 50 % is about 0.8.
ONE_THING_SHARE = 0.70
SEPARATE_SHARE = 0.50

#: Share of a year's regency-years whose pillar mean equals a dimension score at or above which the pillars are
#: read as that dimension's breakdown: 90 %, so that a few rounding or entry differences do not hide it.
BREAKDOWN_SHARE = 0.90


def _label(key: str) -> str:
    """A pillar's or a dimension's name (the names are the same in both languages)."""
    labels = dict(zip(ref.pillars()["pillar_key"], ref.pillars()["pillar"]))
    labels.update(dict(zip(ref.dimensions()["dimension_key"], ref.dimensions()["dimension"])))
    return labels.get(key, ref.pillar_label(key))


def _method(method: str, lang: str) -> str:
    """A method's (or a step's) name: ``label_<method>``, else the method in words."""
    key = f"label_{method}"
    return text(lang, key) if has_text(lang, key) else method.replace("_", " ")


def _table(rows: list[list[object]], columns: Sequence[tuple[str, str]], lang: str,
           notes: list[str] | None = None) -> ReaderTable:
    """A reader table of cells already formatted: ``columns`` is ``(header key, kind)`` per column."""
    names = [f"c{i}" for i in range(len(columns))]
    frame = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
    return reader_table(frame, {n: (kind, key) for n, (key, kind) in zip(names, columns)}, lang, notes=notes)


def page_simulated(frame: pd.DataFrame, scores: pd.DataFrame, measurement: dict[str, Any] | None = None) -> bool:
    """Whether notebook 03 shows a number from a simulated row (:func:`smartcity_utils.tables.shows_simulated`).

    Its numbers come from the notebook's regency-years, from the assessor rows
    of every year behind the lead's error covariance, and from the national
    reliability, variance and weight tables (``measurement``).
    """
    assessors = scores[scores["level"] == "assessor"] if "level" in scores.columns else scores
    return shows_simulated(frame, assessors, *(measurement or {}).values())


# ---------------------------------------------------------------------------------------- the measurement model


def structure_table(frame: pd.DataFrame, lang: str) -> ReaderTable:
    """How many separate things the pillars measure: per year and pooled, first-component share, alpha, omega."""
    s = pillar_structure(frame, list(ref.PILLAR_KEYS), by="year")
    first = s["pca"][s["pca"]["component"] == 1].set_index("group")["share"]
    rows = [[text(lang, "all_years") if str(r.group) == "all" else str(r.group), fmt_int(r.n_units),
             f"{fmt_share(first.get(r.group, np.nan))} %",
             fmt_estimate(r.alpha, r.alpha_ci_low, r.alpha_ci_high, lang), fmt_score(r.omega_total, lang)]
            for r in s["reliability"].itertuples()]
    return _table(rows, [("col_year", "text"), ("col_units", "num"), ("col_first_component", "num"),
                         ("col_alpha", "num"), ("col_omega", "num")], lang)


def reliability_table(icc: pd.DataFrame, lang: str) -> ReaderTable:
    """Inter-rater reliability per pillar and dimension: ICC(1) of one assessor and ICC(k) of the panel mean."""
    order = list(ref.PILLAR_KEYS) + list(ref.DIMENSION_KEYS)
    t = icc.set_index("item").reindex([k for k in order if k in set(icc["item"])])
    rows = [[_label(k), fmt_int(r["n_units"]), fmt_score(r["k"], lang, 1),
             fmt_estimate(r["icc1"], r["icc1_ci_low"], r["icc1_ci_high"], lang),
             fmt_estimate(r["icck"], r["icck_ci_low"], r["icck_ci_high"], lang)] for k, r in t.iterrows()]
    return _table(rows, [("col_score", "text"), ("col_panels", "num"), ("col_assessors_per_panel", "num"),
                         ("col_icc1", "num"), ("col_icck", "num")], lang)


def variance_table(variance: pd.DataFrame, lang: str) -> ReaderTable:
    """Where the spread of one assessor's score comes from: regency-year, assessor leniency, halo, the rest."""
    rows = [[text(lang, f"component_{r.component.replace(':', '_')}"), fmt_score(r.sd, lang),
             f"{fmt_share(r.share)} %"] for r in variance.itertuples()]
    return _table(rows, [("col_component", "text"), ("col_sd", "num"), ("col_variance_share", "num")], lang)


def structure_reading(share: float, alpha: float, lang: str) -> str:
    """The sentence on how many things the pillars measure, chosen from the first-component share."""
    key = ("finding_structure_one" if share >= ONE_THING_SHARE else
           "finding_structure_separate" if share < SEPARATE_SHARE else "finding_structure_partly")
    return text(lang, key, share=fmt_share(share), alpha=fmt_score(alpha, lang))


def assessor_note(frame: pd.DataFrame, scores: pd.DataFrame, lang: str) -> str:
    """What the notebook's years have of assessor-level rows; said before any number.

    Empty when every year shown has assessor rows. Otherwise names the years
    without them and says that the corrected estimate there rests on the
    error covariance measured in the other years, carried over unchecked.
    """
    rows = scores[scores["level"] == "assessor"] if "level" in scores.columns else scores
    have = sorted(int(y) for y in rows["year"].dropna().unique())
    shown = sorted(int(y) for y in frame["year"].dropna().unique())
    missing = [y for y in shown if y not in have]
    if not missing:
        return ""
    measured = ", ".join(map(str, have)) or text(lang, "none_word")
    key = "note_no_assessor_years_all" if len(missing) == len(shown) else "note_no_assessor_years_some"
    return text(lang, key, years=", ".join(map(str, missing)), measured=measured)


def rows_sentence(frame: pd.DataFrame, lang: str) -> str:
    """How many regency-years, regencies and which years the notebook's models use."""
    years = sorted(int(y) for y in frame["year"].unique())
    return text(lang, "drivers_rows", n=fmt_int(len(frame)), regencies=fmt_int(frame["regency_id"].nunique()),
                years=", ".join(map(str, years)))


# ---------------------------------------------------------------------------------------- the answer first


def _points(value: float, lang: str) -> str:
    """A part of a variance (0 to 1) in percentage points with one decimal."""
    return fmt_score(100 * float(value), lang, 1)


def _points_interval(value: float, low: float, high: float, lang: str) -> str:
    return fmt_estimate(100 * float(value), 100 * float(low), 100 * float(high), lang, decimals=1)


def _bound_pairs(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The pairs of pillars in the lead's order with whether the error-size bound can swap them."""
    from smartcity_utils.analysis.drivers.general import order_under_bound

    lead = results.get(LEAD_METHOD)
    if not isinstance(lead, pd.DataFrame):
        return order_under_bound(pd.DataFrame(), pd.DataFrame())
    return order_under_bound(results.get("eiv_sensitivity", pd.DataFrame()), lead[lead["method"] == LEAD_METHOD])


def order_sentence(results: dict[str, pd.DataFrame], lang: str) -> str:
    """Whether the order of the lead's slopes holds over the error-size bound, with each pillar's range there.

    Empty without a bound (no lead estimate). The order is *not determined* when
    any two pillars' ranges over the bound overlap: some error size within the
    bound then swaps them.
    """
    pairs = _bound_pairs(results)
    if pairs.empty:
        return ""
    sens = results["eiv_sensitivity"]
    bound = sens[sens["where"] == "bound"].set_index("pillar")
    lead = results[LEAD_METHOD]
    order = lead[lead["method"] == LEAD_METHOD].sort_values("estimate", ascending=False)["pillar"]
    ranges = ", ".join(text(lang, "pillar_range", pillar=_label(p), low=fmt_score(bound.at[p, "low"], lang),
                            high=fmt_score(bound.at[p, "high"], lang)) for p in order if p in bound.index)
    swaps = pairs[~pairs["determined"]]
    if swaps.empty:
        return text(lang, "order_bound_determined", ranges=ranges)
    named = "; ".join(f"{_label(r.above)} – {_label(r.below)}" for r in swaps.itertuples())
    return text(lang, "order_bound_not_determined", k=fmt_int(len(swaps)), n=fmt_int(len(pairs)), pairs=named,
                ranges=ranges)


def answer_sentences(results: dict[str, pd.DataFrame], frame: pd.DataFrame, lang: str,
                     target_col: str = HEADLINE_TARGET) -> list[str]:
    """The answer at the head of notebook 03, each sentence computed from the numbers it quotes.

    The index is built from the five dimensions (said first); the general level the pillars share
    (first component, alpha, the part of the index's within-year variance that goes with it and with all six);
    each pillar's part beyond it; the same for the rank within a group; the estimand in one sentence; and
    whether the order of the pillars holds over the error-size bound. When the target is the rank percentile
    rather than the index, the sentences speak of it.
    """
    out = [text(lang, "answer_index_built", dimensions=", ".join(ref.dimensions()["dimension"]))]
    kind = "index" if target_col == HEADLINE_TARGET else "rank"
    target = {"target": text(lang, f"word_target_{kind}"), "target_a": text(lang, f"word_target_{kind}_a"),
              "unit": text(lang, "unit_index" if kind == "index" else "unit_percentile")}
    s = pillar_structure(frame, list(ref.PILLAR_KEYS))
    first = float(s["pca"].loc[s["pca"]["component"] == 1, "share"].iloc[0])
    alpha = float(s["reliability"]["alpha"].iloc[0])
    general = results.get("general")
    overall = results.get("general_overall")
    if not isinstance(general, pd.DataFrame) or not isinstance(overall, pd.DataFrame) or overall.empty:
        out.append(structure_reading(first, alpha, lang))
        return out + [x for x in [order_sentence(results, lang)] if x]
    index = overall.set_index("target").loc["index"]
    out.append(text(lang, "answer_general", share=fmt_share(first), alpha=fmt_score(alpha, lang),
                    error_free=text(lang, "word_error_free") if bool(index["corrected"]) else "",
                    r2g=_points_interval(index["r2_general"], index["r2_general_low"], index["r2_general_high"],
                                         lang),
                    r2a=_points_interval(index["r2_all"], index["r2_all_low"], index["r2_all_high"], lang),
                    slope=fmt_score(index["slope_general"], lang),
                    pc1=fmt_score(index.get("pc1_correlation", np.nan), lang), **target))
    g = general.sort_values("beyond", ascending=False)
    items = "; ".join(f"{_label(r.pillar)} {_points_interval(r.beyond, r.beyond_low, r.beyond_high, lang)}"
                      for r in g.itertuples())
    out.append(text(lang, "answer_beyond", items=items, most=_points(g["beyond"].max(), lang),
                    target=target["target"]))
    if "rank" in set(overall["target"]):
        rank = overall.set_index("target").loc["rank"]
        r = general.sort_values("rank_share", ascending=False)
        shares = "; ".join(
            f"{_label(x.pillar)} {_points_interval(x.rank_share, x.rank_share_low, x.rank_share_high, lang)}"
            for x in r.itertuples())
        out.append(text(lang, "answer_rank",
                        r2g=_points_interval(rank["r2_general"], rank["r2_general_low"], rank["r2_general_high"],
                                             lang),
                        r2a=_points_interval(rank["r2_all"], rank["r2_all_low"], rank["r2_all_high"], lang),
                        items=shares))
    out.append(text(lang, "answer_estimand"))
    order = order_sentence(results, lang)
    if order:
        out.append(order)
        if not bool(index.get("order_holds", True)):
            out.append(text(lang, "answer_beyond_order_not_determined"))
    return out


def general_table(results: dict[str, pd.DataFrame], lang: str) -> ReaderTable | HTMLBlock:
    """Per pillar: its part of the index's variance beyond the general level (with the range over the
    error-size bound), its share by dominance on the error-corrected covariance, and the same two for the rank
    within a group; percentage points with 95 % intervals."""
    general = results.get("general")
    if not isinstance(general, pd.DataFrame) or general.empty:
        return paragraph(text(lang, "general_none"))
    rows = [[_label(r.pillar), _points_interval(r.beyond, r.beyond_low, r.beyond_high, lang),
             text(lang, "value_range", low=_points(r.beyond_bound_low, lang), high=_points(r.beyond_bound_high, lang)),
             _points_interval(r.share, r.share_low, r.share_high, lang),
             _points_interval(r.rank_beyond, r.rank_beyond_low, r.rank_beyond_high, lang)
             if np.isfinite(r.rank_beyond) else MISSING,
             _points_interval(r.rank_share, r.rank_share_low, r.rank_share_high, lang)
             if np.isfinite(r.rank_share) else MISSING]
            for r in general.sort_values("beyond", ascending=False).itertuples()]
    return _table(rows, [("col_pillar", "text"), ("col_beyond_index", "num"), ("col_beyond_bound", "num"),
                         ("col_share_index", "num"), ("col_beyond_rank", "num"), ("col_share_rank", "num")], lang,
                  notes=[text(lang, "general_table_note")])


# ---------------------------------------------------------------------------------------- the lead estimate


def _lead_and_naive(results: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Lead table (``pillar, estimate, ci_low, ci_high``) and the naive OLS beside it (or None).

    The lead's interval is the one widened by the error-size bound where it exists: when a panel shares an error
    per item (sd 0.08), the plain bootstrap interval held the true weight 83 % of the time at 95 % nominal, the
    widened one 94 % (``benchmarks/coverage_ranks.py``, 12 seeds); the pages quote the one that holds.
    """
    ols = ols_as_estimates(results["ols"]) if "ols" in results else None
    if LEAD_METHOD in results:
        lead = results[LEAD_METHOD]
        return quoted_lead(lead), ols
    if ols is None:
        raise ValueError("neither the lead estimate nor the ordinary regression ran; see the skipped methods")
    return ols, None


def quoted_lead(lead: pd.DataFrame) -> pd.DataFrame:
    """The lead estimate with the interval the pages quote: widened by the error-size bound where it was computed.

    Args:
        lead: The lead method's table (rows per pillar and ``method``: the lead, and the widened interval).

    Returns:
        ``pillar, estimate, ci_low, ci_high``.
    """
    main = lead[lead["method"] == LEAD_METHOD][["pillar", "estimate", "ci_low", "ci_high"]]
    widened = lead[lead["method"] == BOUND_METHOD].set_index("pillar")
    if widened.empty:
        return main.reset_index(drop=True)
    out = main.set_index("pillar")
    for col in ("ci_low", "ci_high"):
        out[col] = widened[col].reindex(out.index).fillna(out[col])
    return out.reset_index()


def _lead_label(results: dict[str, pd.DataFrame]) -> str:
    """The label of the lead column: the corrected regression (saying when its interval is the widened one)."""
    lead = results.get(LEAD_METHOD)
    if not isinstance(lead, pd.DataFrame):
        return "label_ols"
    return "label_eiv_widened" if (lead["method"] == BOUND_METHOD).any() else "label_eiv"


def _estimate(table: pd.DataFrame, pillar: str, lang: str) -> str:
    return fmt_estimate(*table.loc[pillar, ["estimate", "ci_low", "ci_high"]], lang)


def estimates_table(results: dict[str, pd.DataFrame], lang: str) -> ReaderTable:
    """The lead estimate per pillar with its 95 % interval, the ordinary regression beside it."""
    lead, naive = _lead_and_naive(results)
    lead = lead.set_index("pillar")
    naive = naive.set_index("pillar") if naive is not None else None
    rows = [[_label(p), _estimate(lead, p, lang)] + ([_estimate(naive, p, lang)] if naive is not None else [])
            for p in lead.index]
    columns = [("col_pillar", "text"), (_lead_label(results), "num")]
    return _table(rows, columns + ([("label_ols", "num")] if naive is not None else []), lang)


def estimates_for_plot(results: dict[str, pd.DataFrame], lang: str) -> pd.DataFrame:
    """Lead and naive estimates stacked for :func:`smartcity_utils.report.plots.driver_estimates`, methods labelled."""
    lead, naive = _lead_and_naive(results)
    parts = [lead.assign(method=text(lang, _lead_label(results)))]
    if naive is not None:
        parts.append(naive.assign(method=text(lang, "label_ols")))
    return pd.concat(parts, ignore_index=True)


def estimates_title(target_col: str, lang: str) -> str:
    """The title of the estimates figure: pillars and the index, or pillars and the rank percentile."""
    return text(lang, "fig_drivers_title_index" if target_col == HEADLINE_TARGET else "fig_drivers_title_rank")


def lead_assumptions(results: dict[str, pd.DataFrame], lang: str) -> dict[str, str]:
    """The lead method's assumptions in words, by name: the corrected regression's own, else the ordinary
    regression's (no assessor-level scores to correct with)."""
    lead = results.get(LEAD_METHOD)
    if isinstance(lead, pd.DataFrame) and lead.attrs.get("assumptions"):
        return {k: say(lang, v) for k, v in lead.attrs["assumptions"].items()}
    ols = results.get("ols")
    if not isinstance(ols, pd.DataFrame):
        return {}
    return {"measurement": text(lang, "assumption_text_measurement"),
            "linear": text(lang, "assumption_text_ols_linear"),
            "independence": text(lang, "assumption_text_independence", errors=ols["errors"].iloc[0])}


def assumptions_table(results: dict[str, pd.DataFrame], lang: str) -> ReaderTable | HTMLBlock:
    """The assumptions the lead estimate rests on, one row each, in plain words; a sentence when it did not run."""
    found = lead_assumptions(results, lang) if isinstance(results.get(LEAD_METHOD), pd.DataFrame) else {}
    if not found:
        return paragraph(text(lang, "assumption_none"))
    rows = [[text(lang, f"assumption_{k}") if has_text(lang, f"assumption_{k}") else k.replace("_", " "), v]
            for k, v in found.items()]
    return _table(rows, [("col_assumption", "text"), ("col_statement", "text")], lang)


def sensitivity_table(results: dict[str, pd.DataFrame], lang: str) -> ReaderTable | HTMLBlock:
    """Per pillar: the pooled lead, the estimate from the years with assessor rows alone, the error-size bound."""
    lead = results.get(LEAD_METHOD)
    if not isinstance(lead, pd.DataFrame):
        return paragraph(text(lang, "assumption_none"))
    by = {m: b.set_index("pillar") for m, b in lead.groupby("method")}
    sens = results.get("eiv_sensitivity", pd.DataFrame())
    bound = sens[sens["where"] == "bound"].set_index("pillar") if len(sens) else pd.DataFrame()
    rows = []
    for p in by[LEAD_METHOD].index:
        cells = [_estimate(by[m], p, lang) if m in by and p in by[m].index else MISSING
                 for m in (LEAD_METHOD, MEASURED_METHOD)]
        rng = (text(lang, "value_range", low=fmt_score(bound.at[p, "low"], lang),
                    high=fmt_score(bound.at[p, "high"], lang))
               if p in bound.index and np.isfinite(bound.at[p, "low"]) else MISSING)
        widened = _estimate(by[BOUND_METHOD], p, lang) if BOUND_METHOD in by and p in by[BOUND_METHOD].index \
            else MISSING
        rows.append([_label(p), *cells, rng, widened])
    note = lead.attrs.get("sensitivity_note")
    return _table(rows, [("col_pillar", "text"), ("col_pooled", "num"), ("col_measured", "num"),
                         ("col_bound", "num"), ("col_widened", "num")], lang,
                  notes=[say(lang, note)] if isinstance(note, dict) else None)


def order_table(results: dict[str, pd.DataFrame], lang: str) -> ReaderTable | HTMLBlock:
    """The lead's order of the pillars with the share of draws for the first place and for each step."""
    order = results.get("order")
    if not isinstance(order, pd.DataFrame) or order.empty:
        return paragraph(text(lang, "order_none"))
    rows = [[fmt_int(r.position), _label(r.pillar), fmt_score(r.p_first, lang),
             text(lang, "above_next", p=fmt_score(r.p_above_next, lang), pillar=_label(r.next_pillar))
             if isinstance(r.next_pillar, str) else MISSING] for r in order.itertuples()]
    return _table(rows, [("col_position", "num"), ("col_pillar", "text"), ("col_p_first", "num"),
                         ("col_p_above_next", "text")], lang)


def specification_sentence(results: dict[str, pd.DataFrame], lang: str) -> str:
    """The specification test in words: linear in the pillars or not, with its p-value."""
    model = results["model"].iloc[0]
    p = model.get("reset_p", np.nan)
    if not np.isfinite(p):
        return ""
    return text(lang, "finding_linear" if bool(model.get("linear", True)) else "finding_not_linear",
                p=fmt_score(p, lang, 3))


# ---------------------------------------------------------------------------------------- the weights of the index


def _years(table: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    if not years or "year" not in table.columns:
        return table
    return table[table["year"].astype(int).isin([int(y) for y in years])]


def scenario_table(measurement: dict[str, Any], lang: str, years: Sequence[int] | None = None) -> ReaderTable:
    """Per year and published weight set: how often the band's draws reach it, and how ranks move under it.

    Ranks under each set are compared with the ranks under the year's own
    weights and with each regency-year's 5-95 % band (weights and panels).
    """
    from smartcity_utils.analysis.rank_uncertainty import weight_scenarios

    ranks = _years(measurement["weight_scenarios"], years)
    sets = _years(measurement["weight_scenario_sets"], years)
    band = measurement["rank_uncertainty"][["regency_id", "year", "rank_p05", "rank_p95"]]
    labels = weight_scenarios().drop_duplicates("scenario").set_index("scenario")[f"label_{lang}"]
    own = ranks[ranks["scenario"] == "year_weights"][["regency_id", "year", "rank"]].rename(columns={"rank": "own"})
    rows = []
    for r in sets.itertuples():
        block = ranks[(ranks["scenario"] == r.scenario) & (ranks["year"] == r.year)]
        block = block.merge(own, on=["regency_id", "year"], validate="1:1").merge(band, on=["regency_id", "year"],
                                                                                     how="left", validate="1:1")
        block = block.dropna(subset=["rank", "own"])
        if block.empty:
            continue
        moved = (block["rank"] - block["own"]).abs()
        outside = ((block["rank"] < block["rank_p05"]) | (block["rank"] > block["rank_p95"])).mean()
        same = r.max_weight_difference == 0
        rows.append([fmt_int(r.year), labels.get(r.scenario, r.scenario),
                     text(lang, "same_weights") if same else f"{fmt_score(100 * r.share_of_draws_reaching, lang, 1)} %",
                     fmt_score(moved.mean(), lang, 1), fmt_int(moved.max()), f"{fmt_share(outside)} %"])
    return _table(rows, [("col_year", "year"), ("col_weight_set", "text"), ("col_reached", "num"),
                         ("col_rank_moved_mean", "num"), ("col_rank_moved_max", "num"), ("col_outside_band", "num")],
                  lang)


def sobol_table(measurement: dict[str, Any], lang: str, years: Sequence[int] | None = None) -> ReaderTable:
    """First-order and total Sobol index of each dimension weight, per year, with 95 % intervals."""
    t = _years(measurement["rank_sensitivity"], years)
    rows = [[fmt_int(r.year), _label(str(r.input).removeprefix("w_")),
             fmt_estimate(r.S1, r.S1_ci_low, r.S1_ci_high, lang), fmt_estimate(r.ST, r.ST_ci_low, r.ST_ci_high, lang)]
            for r in t.itertuples()]
    return _table(rows, [("col_year", "year"), ("col_weight", "text"), ("col_sobol_first", "num"),
                         ("col_sobol_total", "num")], lang)


def sobol_sentences(measurement: dict[str, Any], lang: str, years: Sequence[int] | None = None) -> list[str]:
    """What the Sobol output is and, per year, whether the first-order intervals tell the largest apart."""
    t = _years(measurement["rank_sensitivity"], years)
    out = [text(lang, "sobol_output")]
    for year, block in t.groupby("year"):
        top = block.sort_values("S1", ascending=False).iloc[0]
        key = "sobol_resolved" if bool(block["top_resolved"].iloc[0]) else "sobol_not_resolved"
        out.append(text(lang, key, year=int(year), weight=_label(str(top["input"]).removeprefix("w_")),
                        mean=fmt_score(block["output_mean"].iloc[0], lang, 1)))
    return out


def pillar_mean_table(measurement: dict[str, Any], lang: str, years: Sequence[int] | None = None) -> ReaderTable:
    """Per year, how often the mean of the six pillars equals each dimension score, and how far it is on average."""
    t = measurement["pillar_mean_dimensions"]
    if years:
        t = t[t["group"].isin([str(int(y)) for y in years] + ["all"])]
    rows = [[text(lang, "all_years") if r.group == "all" else r.group, _label(r.dimension), fmt_int(r.n_units),
             f"{fmt_share(r.share_equal)} %", fmt_score(r.mean_abs_difference, lang),
             fmt_score(r.correlation, lang)] for r in t.itertuples()]
    return _table(rows, [("col_year", "text"), ("col_dimension", "text"), ("col_units", "num"),
                         ("col_share_equal", "num"), ("col_mean_difference", "num"), ("col_correlation", "num")], lang)


def pillar_mean_reading(measurement: dict[str, Any], lang: str, years: Sequence[int] | None = None) -> list[str]:
    """What the pillar-mean diagnostic implies for reading the driver estimates, per year."""
    t = measurement["pillar_mean_dimensions"]
    t = t[t["group"] != "all"]
    if years:
        t = t[t["group"].isin([str(int(y)) for y in years])]
    weights = ref.dimension_weights()
    out = []
    for group, block in t.groupby("group"):
        best = block.sort_values(["share_equal", "mean_abs_difference"], ascending=[False, True]).iloc[0]
        if best["share_equal"] >= BREAKDOWN_SHARE:
            w = weights[(weights["year"] == int(group)) & (weights["dimension_key"] == best["dimension"])]["weight"]
            w = float(w.iloc[0]) if len(w) else np.nan
            out.append(text(lang, "pillar_mean_breakdown", year=group, dimension=_label(best["dimension"]),
                            share=fmt_share(best["share_equal"]), weight=fmt_score(w, lang),
                            per_pillar=fmt_score(w / len(ref.PILLAR_KEYS), lang, 3)))
        else:
            out.append(text(lang, "pillar_mean_not_breakdown", year=group, dimension=_label(best["dimension"]),
                            share=fmt_share(best["share_equal"]), diff=fmt_score(best["mean_abs_difference"], lang)))
    return out


# ---------------------------------------------------------------------------------------- the closing table


def summary_words(summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The closing table (:func:`smartcity_utils.analysis.drivers.summary.driver_summary`) with its sentences.

    Returns:
        ``summary`` with ``method_label``, ``estimand``, ``answer`` and ``comparison`` in ``lang``.
    """
    rows = []
    for r in summary.itertuples():
        estimand = f"table_{r.estimand_key}"
        estimand = estimand if r.of_any_table and has_text(lang, estimand) else r.estimand_key
        top = ref.pillar_label(r.top_pillar)
        answer = text(lang, r.answer_key, top=top,
                      value=fmt_estimate(r.top_estimate, r.top_ci_low, r.top_ci_high, lang),
                      n=fmt_int(r.n_pillars), n_pos=fmt_int(r.n_above_zero), n_neg=fmt_int(r.n_below_zero),
                      odds=fmt_estimate(r.top_odds, r.top_odds_low, r.top_odds_high, lang, decimals=1),
                      share=fmt_share_interval(r.top_share, r.top_share_low, r.top_share_high),
                      r2=fmt_score(r.r2_full, lang))
        rho = fmt_score(r.rank_correlation_with_lead, lang)
        why = text(lang, r.why_key, r=fmt_score(r.pillar_correlation, lang), rho=rho,
                   ratio=fmt_score(r.spread_ratio, lang, 1), rho_scaled=fmt_score(r.rank_correlation_scaled, lang),
                   top=top, scaled_top=ref.pillar_label(r.scaled_top_pillar) if r.scaled_top_pillar else "") \
            if r.why_key else ""
        comparison = text(lang, r.comparison_key, rho=rho, top=top, lead_top=ref.pillar_label(r.lead_top_pillar),
                          why=why)
        rows.append({"method_label": _method(r.method, lang), "estimand": text(lang, estimand), "answer": answer,
                     "comparison": comparison})
    return pd.concat([summary.reset_index(drop=True), pd.DataFrame(rows, index=range(len(summary)))], axis=1)


def closing_table(summary: pd.DataFrame, lang: str) -> ReaderTable:
    """Per method, in plain words: what it estimates, its answer, and how it compares with the lead."""
    worded = summary_words(summary, lang)
    return reader_table(worded, {"method_label": ("text", "col_method"), "estimand": ("text", "col_estimand"),
                                 "answer": ("text", "col_answer"), "comparison": ("text", "col_comparison")}, lang)


def bandwidth_table(sensitivity: pd.DataFrame, lang: str) -> ReaderTable:
    """Main effect of each pillar at half, once and twice the cross-validated bandwidth (one row per pillar)."""
    wide = sensitivity.pivot_table(index="pillar", columns="bandwidth_multiple", values="estimate", sort=False)
    names = [f"m{i}" for i in range(len(wide.columns))]
    frame = pd.DataFrame([[_label(p)] + [fmt_score(wide.at[p, m], lang) for m in wide.columns] for p in wide.index],
                         columns=["pillar", *names])
    labels = {n: text(lang, "col_bandwidth", multiple=fmt_plain(m, lang)) for n, m in zip(names, wide.columns)}
    return reader_table(frame, {"pillar": "text", **dict.fromkeys(names, "num")}, lang, labels=labels)


def skipped_reason(row: Any, lang: str) -> str:
    """Why a method did not run, in words (``skip_<code>``; the estimator's own message where it gave one)."""
    n = fmt_int(row.n) if not pd.isna(row.n) else MISSING
    return text(lang, f"skip_{row.code}", n=n, detail=row.detail or "")


def skipped_section(skipped: pd.DataFrame, lang: str) -> HTMLBlock | ReaderTable:
    """The methods that did not run or could not be estimated, with the reason; one sentence when all ran."""
    if skipped.empty:
        return paragraph(text(lang, "drivers_all_ran"))
    frame = pd.DataFrame({"method": [_method(m, lang) for m in skipped["method"]],
                          "reason": [skipped_reason(r, lang) for r in skipped.itertuples()]})
    return reader_table(frame, {"method": ("text", "col_not_run"), "reason": ("text", "col_reason")}, lang)


# ---------------------------------------------------------------------------------------- findings


def findings(results: dict[str, pd.DataFrame], frame: pd.DataFrame, icc: pd.DataFrame | None, lang: str,
             target_col: str = HEADLINE_TARGET) -> list[str]:
    """A few sentences, each computed from the numbers it describes: reliability, structure, lead answer, order.

    Every sentence states an association in these data, never a cause. An
    order of the pillars is stated only with the share of the lead's
    sampling draws that give it, each step with its own share; other methods
    are not counted as independent votes (they reuse the same scores). When
    the target is not the headline (the rank percentile), the estimates are
    in percentile points and a sentence says how to read "index" in the
    closing table.
    """
    headline = target_col == HEADLINE_TARGET
    out = [] if headline else [text(lang, "finding_target_rank")]
    s = pillar_structure(frame, list(ref.PILLAR_KEYS))
    first = float(s["pca"].loc[s["pca"]["component"] == 1, "share"].iloc[0])
    alpha = float(s["reliability"]["alpha"].iloc[0])
    out.append(structure_reading(first, alpha, lang))
    if icc is not None and len(icc):
        p = icc[icc["item"].isin(ref.PILLAR_KEYS)]
        if len(p):
            out.append(text(lang, "finding_icc", low1=fmt_score(p["icc1"].min(), lang),
                            high1=fmt_score(p["icc1"].max(), lang), lowk=fmt_score(p["icck"].min(), lang),
                            highk=fmt_score(p["icck"].max(), lang), k=fmt_score(p["k"].mean(), lang, 1)))
    lead, naive = _lead_and_naive(results)
    lead = lead.set_index("pillar").sort_values("estimate", ascending=False)
    top = lead.index[0]
    zero = [_label(k) for k, r in lead.iterrows() if r["ci_low"] <= 0 <= r["ci_high"]]
    order = results.get("order")
    p_first = p_order = np.nan
    source = "bootstrap"
    if isinstance(order, pd.DataFrame) and len(order):
        o = order.set_index("pillar")
        p_first, p_order = float(o.at[top, "p_first"]), float(order["p_this_order"].iloc[0])
        source = "bootstrap" if "bootstrap" in str(order["source"].iloc[0]) else "normal"
    out.append(text(lang, "finding_lead", top=_label(top), value=_estimate(lead, top, lang),
                    order=", ".join(_label(k) for k in lead.index),
                    unit=text(lang, "unit_index" if headline else "unit_percentile"),
                    p_first=fmt_share(p_first), p_order=fmt_share(p_order), source=text(lang, f"source_{source}")))
    if isinstance(order, pd.DataFrame) and len(order) > 1:
        pairs = "; ".join(text(lang, "order_step", pillar=_label(r.pillar), next=_label(r.next_pillar),
                               p=fmt_score(r.p_above_next, lang))
                          for r in order.itertuples() if r.next_pillar is not None and pd.notna(r.next_pillar))
        out.append(text(lang, "finding_neighbours", pairs=pairs))
    bound_order = order_sentence(results, lang)
    if bound_order:
        out.append(bound_order)
    if zero:
        out.append(text(lang, "finding_zero", pillars=", ".join(zero)))
    if naive is not None and LEAD_METHOD in results:
        n = naive.set_index("pillar")
        out.append(text(lang, "finding_naive", top=_label(top), lead=fmt_score(lead.at[top, "estimate"], lang),
                        naive=fmt_score(n.at[top, "estimate"], lang)))
    summary = results["summary"]
    others = summary[~summary["is_lead"]]
    if len(others):
        out.append(text(lang, "finding_agreement", same=fmt_int((others["top_pillar"] == top).sum()),
                        n=fmt_int(len(others)), top=_label(top)))
    out.append(text(lang, "finding_association"))
    return out


def result_words(results: dict[str, pd.DataFrame], lang: str) -> dict[str, Any]:
    """The words of a driver analysis for the command line (``smartcity drivers``): the closing table with its
    sentences, the lead's assumptions and the reason of each method not run."""
    return {"summary": summary_words(results["summary"], lang), "assumptions": lead_assumptions(results, lang),
            "skipped": [skipped_reason(r, lang) for r in results["skipped"].itertuples()]}
