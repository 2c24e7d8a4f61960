"""What notebook 03 shows: the measurement model, the lead estimates with intervals, the closing table, the findings.

Each function turns analysis results into a small table or a few sentences
for a reader: labels in English or Indonesian (``data/driver_text.csv``),
rounded numbers, no column keys. The numbers themselves come from
:mod:`smartcity_utils.analysis.measurement` and the driver methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.drivers.lead import LEAD_METHOD, assessor_table
from smartcity_utils.analysis.drivers.ols import ols_as_estimates
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.analysis.drivers.summary import driver_text, format_interval, text
from smartcity_utils.analysis.measurement import (
    LENIENCY_COMPONENTS,
    assessor_leniency,
    assessor_rows,
    pillar_structure,
)

#: Headline column: the only target the errors-in-variables correction applies to
#: (its error covariance is that of an assessor's own headline).
HEADLINE_TARGET = "final_score"

#: Tables of ``smartcity analyse`` the notebook reads: the measurement model, the rank bands, the weight
#: scenarios and Sobol indices, and the pillar mean against the dimensions.
MEASUREMENT_INPUTS = ("icc", "assessor_variance", "rank_uncertainty", "rank_sensitivity", "weight_scenarios",
                      "weight_scenario_sets", "pillar_mean_dimensions")

#: First-component shares that decide how the pillars' structure is read: at or above 70 % they largely move
#: as one (with six items alpha is then above 0.9), below 50 % they measure largely separate things, and in
#: between they share a common part. Cronbach's alpha of six items with a first component of 50 % is about 0.8.
ONE_THING_SHARE = 0.70
SEPARATE_SHARE = 0.50

#: Share of a year's regency-years whose pillar mean equals a dimension score at or above which the pillars are
#: read as that dimension's breakdown: 90 %, so that a few rounding or entry differences do not hide it.
BREAKDOWN_SHARE = 0.90

def _label(key: str) -> str:
    labels = dict(zip(ref.pillars()["pillar_key"], ref.pillars()["pillar"]))
    labels.update(dict(zip(ref.dimensions()["dimension_key"], ref.dimensions()["dimension"])))
    return labels.get(key, ref.pillar_label(key))


def text_keys() -> list[str]:
    """Keys of ``driver_text.csv``."""
    return list(driver_text().index)


def _headers(keys: Sequence[str], lang: str) -> list[str]:
    return [text(f"col_{k}", lang) for k in keys]


#: Columns shifted by a panel's leniency: every score that is a mean of the panel's assessors.
LENIENCY_COLUMNS = (*ref.PILLAR_KEYS, *ref.DIMENSION_KEYS, HEADLINE_TARGET)


def apply_panel_leniency(frame: pd.DataFrame, rows: pd.DataFrame, unit_cols: Sequence[str] = ("regency_id", "year"),
                         columns: Sequence[str] = LENIENCY_COLUMNS) -> pd.DataFrame:
    """Subtracts from each regency-year's panel means the mean leniency of the assessors who scored it.

    Under the crossed model (:func:`~smartcity_utils.analysis.measurement.assessor_leniency`)
    an assessor's leniency is the same on every item, so a panel mean of any
    item (and the headline, a weighted mean with weights summing to one) is
    shifted by the mean leniency of the panel's members. Regency-years
    without assessor rows keep their scores (shift 0).

    Args:
        frame: One row per regency-year.
        rows: Assessor rows with ``unit_cols``, ``assessor`` and ``leniency`` (one row per assessor and item
            is fine: the leniency is averaged per assessor first).
        unit_cols: Columns naming a regency-year.
        columns: Score columns to shift (those present).

    Returns:
        A copy of ``frame`` with the shifted columns and ``leniency_shift``.
    """
    keys = list(unit_cols)
    per_assessor = rows.groupby(keys + ["assessor"], as_index=False)["leniency"].mean()
    shift = per_assessor.groupby(keys, as_index=False)["leniency"].mean().rename(
        columns={"leniency": "leniency_shift"})
    out = frame.drop(columns="leniency_shift", errors="ignore").merge(shift, on=keys, how="left", validate="m:1")
    out["leniency_shift"] = out["leniency_shift"].fillna(0.0)
    for col in [c for c in columns if c in out.columns]:
        out[col] = out[col] - out["leniency_shift"]
    return out


def leniency_adjusted(frame: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The notebook's rows and the scores with every assessor's estimated leniency removed.

    Fits the crossed random-effects model (regency-year and assessor) on the
    assessor rows, subtracts each assessor's leniency (BLUP) from their own
    scores, and shifts the panel means of the regency-years they scored
    (:func:`apply_panel_leniency`).

    Returns:
        ``(frame, scores)``, both adjusted.
    """
    fit = assessor_leniency(assessor_rows(scores), ["regency_id", "year"], "assessor", "score", item_col="item",
                            components=LENIENCY_COMPONENTS)
    adjusted = fit.adjust(assessor_rows(scores, average=False))
    out_scores = scores.copy()
    out_scores.loc[adjusted.index, "score"] = adjusted["score_adjusted"]
    return apply_panel_leniency(frame, adjusted), out_scores


def driver_results(
    index_ranks: pd.DataFrame,
    scores: pd.DataFrame,
    frame: pd.DataFrame,
    target_col: str,
    n_boot: int = 200,
    seed: int = 0,
    adjust_leniency: bool = False,
) -> dict[str, pd.DataFrame]:
    """Runs every driver method on the notebook's rows, the lead estimate included when it applies.

    The errors-in-variables correction needs the assessors' own scores
    (from every year that has them: one assessor's error covariance is
    assumed the same across years) and applies to the headline only; for
    the rank percentile it is listed as not run, with the reason.

    Args:
        index_ranks: :func:`~smartcity_utils.analysis.index.index_table` output (unused rows are ignored).
        scores: The processed ``scores`` table.
        frame: Rows of the notebook (after its filters).
        target_col: Target column of ``frame``.
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.
        adjust_leniency: Remove each assessor's estimated leniency from the scores first
            (:func:`leniency_adjusted`); the rank percentile is not adjusted.

    Returns:
        The dict of :func:`run_driver_analysis`.
    """
    if adjust_leniency and target_col == HEADLINE_TARGET:
        frame, scores = leniency_adjusted(frame, scores)
    wide = assessor_table(scores) if target_col == HEADLINE_TARGET else None
    results = run_driver_analysis(frame, target_col, list(ref.PILLAR_KEYS), year_col="year",
                                  group_col="regency_id", rank_col="rank_computed", n_boot=n_boot, seed=seed,
                                  assessors=wide, source="regency_year")
    if wide is None:
        skipped = results["skipped"]
        skipped.loc[skipped["method"] == LEAD_METHOD, "reason"] = (
            f"the correction applies to the headline index only (target here: {target_col})")
    return results


def structure_table(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """How many separate things the pillars measure: per year and pooled, first-component share, alpha, omega.

    Args:
        frame: One row per regency-year with the six pillar columns and ``year``.
        lang: "en" or "id".
    """
    s = pillar_structure(frame, list(ref.PILLAR_KEYS), by="year")
    first = s["pca"][s["pca"]["component"] == 1].set_index("group")["share"]
    rows = []
    for r in s["reliability"].itertuples():
        group = text("all_years", lang) if str(r.group) == "all" else str(r.group)
        rows.append([group, int(r.n_units), f"{100 * first.get(r.group, np.nan):.0f} %",
                     format_interval(r.alpha, r.alpha_ci_low, r.alpha_ci_high),
                     f"{r.omega_total:.2f}" if np.isfinite(r.omega_total) else ""])
    return pd.DataFrame(rows, columns=_headers(["year", "units", "first_component", "alpha", "omega"], lang))


def reliability_table(icc: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Inter-rater reliability per pillar and dimension: ICC(1) of one assessor and ICC(k) of the panel mean."""
    order = list(ref.PILLAR_KEYS) + list(ref.DIMENSION_KEYS)
    t = icc.set_index("item").reindex([k for k in order if k in set(icc["item"])])
    rows = [[_label(k), int(r["n_units"]), f"{r['k']:.1f}",
             format_interval(r["icc1"], r["icc1_ci_low"], r["icc1_ci_high"]),
             format_interval(r["icck"], r["icck_ci_low"], r["icck_ci_high"])] for k, r in t.iterrows()]
    return pd.DataFrame(rows, columns=_headers(["score", "panels", "assessors_per_panel", "icc1", "icck"], lang))


def variance_table(variance: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Where the spread of one assessor's score comes from: regency-year, assessor leniency, halo, the rest."""
    rows = [[text(f"component_{r.component.replace(':', '_')}", lang), f"{r.sd:.2f}", f"{100 * r.share:.0f} %"]
            for r in variance.itertuples()]
    return pd.DataFrame(rows, columns=_headers(["component", "sd", "share"], lang))


def _lead_and_naive(results: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Lead table (``pillar, estimate, ci_low, ci_high``) and the naive OLS beside it (or None)."""
    ols = ols_as_estimates(results["ols"]) if "ols" in results else None
    if LEAD_METHOD in results:
        lead = results[LEAD_METHOD]
        return lead[lead["method"] == LEAD_METHOD][["pillar", "estimate", "ci_low", "ci_high"]], ols
    if ols is None:
        raise ValueError("neither the lead estimate nor the ordinary regression ran; see the skipped methods")
    return ols, None


def estimates_table(results: dict[str, pd.DataFrame], lang: str = "en") -> pd.DataFrame:
    """The lead estimate per pillar with its 95 % interval, the ordinary regression beside it."""
    lead, naive = _lead_and_naive(results)
    lead = lead.set_index("pillar")
    key = "label_eiv" if LEAD_METHOD in results else "label_ols"
    out = pd.DataFrame({text("col_pillar", lang): [_label(p) for p in lead.index],
                        text(key, lang): [format_interval(*lead.loc[p, ["estimate", "ci_low", "ci_high"]])
                                          for p in lead.index]})
    if naive is not None:
        naive = naive.set_index("pillar")
        out[text("label_ols", lang)] = [format_interval(*naive.loc[p, ["estimate", "ci_low", "ci_high"]])
                                        for p in lead.index]
    return out


def estimates_for_plot(results: dict[str, pd.DataFrame], lang: str = "en") -> pd.DataFrame:
    """Lead and naive estimates stacked for :func:`smartcity_utils.report.plots.driver_estimates`, methods labelled."""
    lead, naive = _lead_and_naive(results)
    parts = [lead.assign(method=text("label_eiv" if LEAD_METHOD in results else "label_ols", lang))]
    if naive is not None:
        parts.append(naive.assign(method=text("label_ols", lang)))
    return pd.concat(parts, ignore_index=True)


def closing_table(summary: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Per method, in plain words: what it estimates, its answer, and how it compares with the lead."""
    suffix = "" if lang == "en" else "_id"
    cols = ["method_label", "estimand", "answer", "comparison"]
    t = summary[[c + suffix for c in cols]].copy()
    t.columns = _headers(["method", "estimand", "answer", "comparison"], lang)
    return t.reset_index(drop=True)


def structure_reading(share: float, alpha: float, lang: str = "en") -> str:
    """The sentence on how many things the pillars measure, chosen from the first-component share."""
    key = ("finding_structure_one" if share >= ONE_THING_SHARE else
           "finding_structure_separate" if share < SEPARATE_SHARE else "finding_structure_partly")
    return text(key, lang, share=f"{100 * share:.0f}", alpha=f"{alpha:.2f}")


def _pct(value: float) -> str:
    return f"{100 * value:.0f}" if np.isfinite(value) else "n/a"


def findings(results: dict[str, pd.DataFrame], frame: pd.DataFrame, icc: pd.DataFrame | None,
             lang: str = "en", target_col: str = HEADLINE_TARGET) -> list[str]:
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
    out = [] if headline else [text("finding_target_rank", lang)]
    s = pillar_structure(frame, list(ref.PILLAR_KEYS))
    first = float(s["pca"].loc[s["pca"]["component"] == 1, "share"].iloc[0])
    alpha = float(s["reliability"]["alpha"].iloc[0])
    out.append(structure_reading(first, alpha, lang))
    if icc is not None and len(icc):
        p = icc[icc["item"].isin(ref.PILLAR_KEYS)]
        if len(p):
            out.append(text("finding_icc", lang, low1=f"{p['icc1'].min():.2f}", high1=f"{p['icc1'].max():.2f}",
                            lowk=f"{p['icck'].min():.2f}", highk=f"{p['icck'].max():.2f}",
                            k=f"{p['k'].mean():.1f}"))
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
    out.append(text("finding_lead", lang, top=_label(top),
                    value=format_interval(*lead.loc[top, ["estimate", "ci_low", "ci_high"]]),
                    order=", ".join(_label(k) for k in lead.index),
                    unit=text("unit_index" if headline else "unit_percentile", lang),
                    p_first=_pct(p_first), p_order=_pct(p_order), source=text(f"source_{source}", "en"),
                    source_id=text(f"source_{source}", "id")))
    if isinstance(order, pd.DataFrame) and len(order) > 1:
        pairs = "; ".join(f"{_label(r.pillar)} > {_label(r.next_pillar)} {r.p_above_next:.2f}"
                          for r in order.itertuples() if r.next_pillar is not None and pd.notna(r.next_pillar))
        out.append(text("finding_neighbours", lang, pairs=pairs))
    if zero:
        out.append(text("finding_zero", lang, pillars=", ".join(zero)))
    if naive is not None and LEAD_METHOD in results:
        n = naive.set_index("pillar")
        out.append(text("finding_naive", lang, top=_label(top), lead=f"{lead.at[top, 'estimate']:.2f}",
                        naive=f"{n.at[top, 'estimate']:.2f}"))
    summary = results["summary"]
    others = summary[~summary["is_lead"]]
    if len(others):
        out.append(text("finding_agreement", lang, same=int((others["top_pillar"] == top).sum()), n=len(others),
                        top=_label(top)))
    out.append(text("finding_association", lang))
    return out


def bandwidth_table(sensitivity: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Main effect of each pillar at half, once and twice the cross-validated bandwidth (one row per pillar)."""
    wide = sensitivity.pivot_table(index="pillar", columns="bandwidth_multiple", values="estimate", sort=False)
    rows = [[_label(p)] + [f"{wide.at[p, m]:.2f}" for m in wide.columns] for p in wide.index]
    return pd.DataFrame(rows, columns=[text("col_pillar", lang)] + [text("col_bandwidth", lang, multiple=f"{m:g}")
                                                                     for m in wide.columns])


def skipped_table(skipped: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Methods that did not run or could not be estimated, with the reason (one row saying so when none)."""
    keys = set(text_keys())
    rows = [[text(f"label_{m}", lang) if f"label_{m}" in keys else str(m), str(r)]
            for m, r in zip(skipped["method"], skipped["reason"])]
    return pd.DataFrame(rows or [[text("none_skipped", lang), ""]],
                        columns=_headers(["not_run", "reason"], lang))


def markdown_list(lines: Sequence[str]) -> str:
    """Sentences as a Markdown bullet list."""
    return "\n".join(f"- {line}" for line in lines)


def page_simulated(frame: pd.DataFrame, measurement: dict[str, Any] | None = None) -> bool:
    """Whether anything on the page comes from simulated rows.

    The notebook's rows may all be real while the reliability and variance
    tables (and the error covariance of the lead estimate) come from every
    year, simulated ones included: the page is simulated when either is.

    Args:
        frame: Rows of the notebook (after its filters).
        measurement: Tables of :func:`load_measurement` (those with ``is_simulated`` count).
    """
    if "is_simulated" in frame.columns and bool(frame["is_simulated"].fillna(False).astype(bool).any()):
        return True
    for table in (measurement or {}).values():
        if isinstance(table, pd.DataFrame) and "is_simulated" in table.columns \
                and bool(table["is_simulated"].fillna(False).astype(bool).any()):
            return True
    return False


def load_measurement(processed_dir: str | Path | None) -> dict[str, Any]:
    """The national ICC and variance-component tables written by ``smartcity analyse``."""
    from smartcity_utils.analysis.run import load_analysis

    return load_analysis(processed_dir, MEASUREMENT_INPUTS)


# Assumptions, sensitivity, orders, weights and what the pillars are
# ---------------------------------------------------------------------------


def assessor_note(frame: pd.DataFrame, scores: pd.DataFrame, lang: str = "en") -> str:
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
    measured = ", ".join(map(str, have)) or text("none_word", lang)
    key = "note_no_assessor_years_all" if len(missing) == len(shown) else "note_no_assessor_years_some"
    return text(key, lang, years=", ".join(map(str, missing)), measured=measured)


def assumptions_table(results: dict[str, pd.DataFrame], lang: str = "en") -> pd.DataFrame:
    """The assumptions the lead estimate rests on, one row each, in plain words."""
    lead = results.get(LEAD_METHOD)
    found = dict(lead.attrs.get("assumptions", {})) if isinstance(lead, pd.DataFrame) else {}
    rows = [[text(f"assumption_{k}", lang) if f"assumption_{k}" in set(text_keys()) else k.replace("_", " "), v]
            for k, v in found.items()]
    if not rows:
        rows = [[text("assumption_none", lang), ""]]
    return pd.DataFrame(rows, columns=_headers(["assumption", "statement"], lang))


def sensitivity_table(results: dict[str, pd.DataFrame], lang: str = "en") -> pd.DataFrame:
    """Per pillar: the pooled lead, the estimate from the years with assessor rows alone, the error-size bound."""
    from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, MEASURED_METHOD

    lead = results.get(LEAD_METHOD)
    if not isinstance(lead, pd.DataFrame):
        return pd.DataFrame(columns=_headers(["pillar", "pooled", "measured", "bound", "widened"], lang))
    by = {m: b.set_index("pillar") for m, b in lead.groupby("method")}
    sens = results.get("eiv_sensitivity", pd.DataFrame())
    bound = sens[sens["where"] == "bound"].set_index("pillar") if len(sens) else pd.DataFrame()
    rows = []
    for p in by[LEAD_METHOD].index:
        cell = lambda m: (format_interval(*by[m].loc[p, ["estimate", "ci_low", "ci_high"]])
                          if m in by and p in by[m].index else "")  # noqa: E731
        rng = (f"{bound.at[p, 'low']:.2f} {text('to_word', lang)} {bound.at[p, 'high']:.2f}"
               if p in bound.index and np.isfinite(bound.at[p, "low"]) else "")
        rows.append([_label(p), cell(LEAD_METHOD), cell(MEASURED_METHOD), rng, cell(BOUND_METHOD)])
    return pd.DataFrame(rows, columns=_headers(["pillar", "pooled", "measured", "bound", "widened"], lang))


def order_table(results: dict[str, pd.DataFrame], lang: str = "en") -> pd.DataFrame:
    """The lead's order of the pillars with the share of draws for the first place and for each step."""
    order = results.get("order")
    if not isinstance(order, pd.DataFrame) or order.empty:
        return pd.DataFrame(columns=_headers(["position", "pillar", "p_first", "p_above_next"], lang))
    rows = [[int(r.position), _label(r.pillar), f"{r.p_first:.2f}",
             f"{r.p_above_next:.2f} ({text('above_word', lang)} {_label(r.next_pillar)})"
             if isinstance(r.next_pillar, str) else ""] for r in order.itertuples()]
    return pd.DataFrame(rows, columns=_headers(["position", "pillar", "p_first", "p_above_next"], lang))


def specification_sentence(results: dict[str, pd.DataFrame], lang: str = "en") -> str:
    """The specification test in words: linear in the pillars or not, with its p-value."""
    model = results["model"].iloc[0]
    p = model.get("reset_p", np.nan)
    if not np.isfinite(p):
        return ""
    return text("finding_linear" if bool(model.get("linear", True)) else "finding_not_linear", lang, p=f"{p:.3f}")


def _years(table: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    if not years or "year" not in table.columns:
        return table
    return table[table["year"].astype(int).isin([int(y) for y in years])]


def scenario_table(measurement: dict[str, Any], years: Sequence[int] | None = None, lang: str = "en") -> pd.DataFrame:
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
        rows.append([int(r.year), labels.get(r.scenario, r.scenario),
                     text("same_weights", lang) if same else f"{100 * r.share_of_draws_reaching:.1f} %",
                     f"{moved.mean():.1f}", f"{moved.max():.0f}", f"{100 * outside:.0f} %"])
    return pd.DataFrame(rows, columns=_headers(["year", "weight_set", "reached", "rank_moved_mean", "rank_moved_max",
                                                "outside_band"], lang))


def sobol_table(measurement: dict[str, Any], years: Sequence[int] | None = None, lang: str = "en") -> pd.DataFrame:
    """First-order and total Sobol index of each dimension weight, per year, with 95 % intervals."""
    t = _years(measurement["rank_sensitivity"], years)
    rows = [[int(r.year), _label(str(r.input).removeprefix("w_")), format_interval(r.S1, r.S1_ci_low, r.S1_ci_high),
             format_interval(r.ST, r.ST_ci_low, r.ST_ci_high)] for r in t.itertuples()]
    return pd.DataFrame(rows, columns=_headers(["year", "weight", "sobol_first", "sobol_total"], lang))


def sobol_sentences(measurement: dict[str, Any], years: Sequence[int] | None = None, lang: str = "en") -> list[str]:
    """What the Sobol output is and, per year, whether the first-order intervals tell the largest apart."""
    t = _years(measurement["rank_sensitivity"], years)
    out = [text("sobol_output", lang)]
    for year, block in t.groupby("year"):
        top = block.sort_values("S1", ascending=False).iloc[0]
        key = "sobol_resolved" if bool(block["top_resolved"].iloc[0]) else "sobol_not_resolved"
        out.append(text(key, lang, year=int(year), weight=_label(str(top["input"]).removeprefix("w_")),
                        mean=f"{block['output_mean'].iloc[0]:.1f}"))
    return out


def pillar_mean_table(measurement: dict[str, Any], years: Sequence[int] | None = None,
                      lang: str = "en") -> pd.DataFrame:
    """Per year, how often the mean of the six pillars equals each dimension score, and how far it is on average."""
    t = measurement["pillar_mean_dimensions"]
    if years:
        t = t[t["group"].isin([str(int(y)) for y in years] + ["all"])]
    rows = [[text("all_years", lang) if r.group == "all" else r.group, _label(r.dimension), int(r.n_units),
             f"{100 * r.share_equal:.0f} %", f"{r.mean_abs_difference:.2f}",
             f"{r.correlation:.2f}" if np.isfinite(r.correlation) else ""] for r in t.itertuples()]
    return pd.DataFrame(rows, columns=_headers(["year", "dimension", "units", "share_equal", "mean_difference",
                                                "correlation"], lang))


def pillar_mean_reading(measurement: dict[str, Any], years: Sequence[int] | None = None,
                        lang: str = "en") -> list[str]:
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
            out.append(text("pillar_mean_breakdown", lang, year=group, dimension=_label(best["dimension"]),
                            share=f"{100 * best['share_equal']:.0f}", weight=f"{w:.2f}",
                            per_pillar=f"{w / len(ref.PILLAR_KEYS):.3f}"))
        else:
            out.append(text("pillar_mean_not_breakdown", lang, year=group, dimension=_label(best["dimension"]),
                            share=f"{100 * best['share_equal']:.0f}", diff=f"{best['mean_abs_difference']:.2f}"))
    return out
