"""The closing table of the driver analysis: per method, what it estimates, its answer, and where it differs from
the lead.

Methods estimate different things (a partial coefficient, a share of
explained variance, a rank correlation), so their answers are set side by
side, never averaged. The table holds the numbers and the keys of the
sentences that describe them; :mod:`smartcity_utils.report.drivers` puts them
in words, in the page's language, from the one text store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.drivers.ols import ols_as_estimates
from smartcity_utils.errors import DriverInputError

#: Order of the methods in the closing table; the first present is the reference.
METHOD_ORDER = ("eiv", "ols", "mixed", "dominance", "main_effect", "ordinal_logit", "spearman")

#: Methods whose estimate is a signed partial association (tested against zero).
SIGNED = ("eiv", "ols", "mixed", "ordinal_logit", "spearman")

#: Rank correlation of two methods' pillar orders at or above which they are
#: said to agree: with six pillars, 0.8 allows one swap of neighbours.
AGREEMENT_RHO = 0.8

#: Columns of the closing table: the method, the keys of its sentences (``estimand_key``, ``answer_key``,
#: ``comparison_key``, ``why_key`` in the text store) and the numbers they quote.
SUMMARY_COLUMNS = ["method", "is_lead", "estimand_key", "of_any_table", "answer_key", "top_pillar", "top_estimate",
                   "top_ci_low", "top_ci_high", "top_share", "top_share_low", "top_share_high", "r2_full",
                   "top_odds", "top_odds_low", "top_odds_high", "n_pillars",
                   "n_above_zero", "n_below_zero", "order", "rank_correlation_with_lead", "comparison_key", "why_key",
                   "lead_top_pillar", "pillar_correlation", "spread_ratio", "rank_correlation_scaled",
                   "scaled_top_pillar"]

#: Methods whose estimate is a part of the target's variance (a correlation's square or a share of R-squared)
#: rather than points of target per point of a pillar: their order follows each pillar's spread as well as its
#: slope, so where they differ from the lead the reason is computed (:func:`_why`).
VARIANCE_METHODS = ("dominance", "main_effect", "spearman")


def _why(method: str, values: pd.Series, lead: pd.Series, pillar_sd: Mapping[str, float] | None,
         rho_raw: float) -> tuple[str, float, float, str]:
    """Why a variance-type method puts another pillar first than the lead, computed from the data.

    A part of the variance goes with a pillar's slope times its spread, and
    with what it shares with correlated pillars. When the lead's slopes times
    the pillars' standard deviations put the method's first pillar first too,
    the pillars' different spreads explain the different first place; when
    they do not, what the pillars share (their correlation) does.

    Returns:
        ``(why_key, spread_ratio, rank_correlation_scaled, scaled_top)``: the sentence's key, the largest over
        the smallest standard deviation of the pillars, the rank correlation of the method's order with the
        scaled slopes, and the pillar the scaled slopes put first.
    """
    if method not in VARIANCE_METHODS or not pillar_sd:
        return f"why_{method}", np.nan, np.nan, ""
    common = [p for p in lead.index if p in values.index and p in pillar_sd]
    sd = np.array([float(pillar_sd[p]) for p in common])
    if len(common) < 3 or not np.all(np.isfinite(sd)) or sd.min() <= 0:
        return f"why_{method}", np.nan, np.nan, ""
    scaled = pd.Series(np.abs(lead.loc[common].to_numpy(float)) * sd, index=common)
    rho_scaled = float(stats.spearmanr(values.loc[common].to_numpy(float), scaled.to_numpy())[0])
    scaled_top = str(scaled.idxmax())
    top = str(values.loc[common].idxmax())
    spread = scaled_top == top
    return (f"why_{method}_{'spread' if spread else 'correlation'}", float(sd.max() / sd.min()), rho_scaled,
            scaled_top)


def _per_method_tables(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, LEAD_METHOD

    tables, widened = {}, None
    for value in results.values():
        table = getattr(value, "table", value)
        if not isinstance(table, pd.DataFrame) or not {"pillar", "method", "estimate"} <= set(table.columns):
            continue
        for method, block in table.groupby("method", sort=False):
            if method == BOUND_METHOD:
                widened = block.set_index("pillar")
            if method in METHOD_ORDER and not block["pillar"].duplicated().any():
                tables[str(method)] = block.reset_index(drop=True)
    if widened is not None and LEAD_METHOD in tables and {"ci_low", "ci_high"} <= set(widened.columns):
        # The lead's interval as the pages quote it: widened by the error-size bound (it holds when a panel errs
        # together; the plain bootstrap interval does not).
        lead = tables[LEAD_METHOD].set_index("pillar")
        for col in ("ci_low", "ci_high"):
            lead[col] = widened[col].reindex(lead.index).fillna(lead[col])
        tables[LEAD_METHOD] = lead.reset_index()
    return tables


def _values(method: str, t: pd.DataFrame) -> pd.DataFrame:
    """Estimate and interval per pillar on the scale the answer reports (raw slopes for regressions)."""
    if {"coef", "coef_ci_low", "coef_ci_high"} <= set(t.columns):
        out = ols_as_estimates(t)
    else:
        out = t[["pillar", "estimate"] + [c for c in ("ci_low", "ci_high") if c in t.columns]].copy()
    if method == "dominance" and "excess_ci_low" in t.columns:
        out["test_low"], out["test_high"] = t["excess_ci_low"].to_numpy(), t["excess_ci_high"].to_numpy()
    elif method in SIGNED and "ci_low" in out.columns:
        out["test_low"], out["test_high"] = out["ci_low"], out["ci_high"]
    return out.set_index("pillar")


def driver_summary(results: Mapping[str, Any], any_table: bool = False,
                   pillar_correlation: float | None = None,
                   pillar_sd: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Closing table: one row per method with its estimand, its answer and how it compares with the lead.

    The lead is the errors-in-variables regression when it ran, else the
    ordinary regression. A method's pillar order is by its estimate (largest
    first). Two methods agree when the rank correlation of their orders is
    at least :data:`AGREEMENT_RHO` and they put the same pillar first;
    otherwise ``comparison_key`` says how they differ and ``why_key`` the
    reason that follows from what the method estimates; for a part of the
    variance (dominance, main effect, rank correlation) the reason is computed
    from the pillars' spreads and correlations (:func:`_why`). A dominance
    answer quotes the pillar's part of the variance (``top_estimate``) and its
    share of the R-squared of all pillars (``top_share``, ``r2_full``): the
    parts sum to that R-squared, the shares to one. Only signed quantities are tested against zero; a
    dominance share is tested against the share by correlation alone; main
    effects are not tested. Methods that could not be estimated are not in
    the table (they are in ``skipped``). No causal reading: every estimand is
    an association in these data.

    Args:
        results: Mapping of method name to per-pillar table (``pillar,
            method, estimate[, ci_low, ci_high]``) or an object with a
            ``table`` attribute.
        any_table: The rows are those of a user's table (``smartcity
            drivers``), not regency-years: estimands speak of the target and
            the columns, not of the index, panels and years.
        pillar_correlation: Mean correlation between the pillars, quoted where a reason rests on it.
        pillar_sd: Standard deviation of each pillar, from which a variance-type method's reason is computed.

    Returns:
        Columns :data:`SUMMARY_COLUMNS`, one row per method that ran.

    Raises:
        DriverInputError: If no per-pillar table is found.
    """
    tables = _per_method_tables(results)
    if not tables:
        raise DriverInputError("driver_summary: no per-pillar result table given")
    methods = [m for m in METHOD_ORDER if m in tables]
    lead = methods[0]
    orders = {m: _values(m, tables[m])["estimate"].astype(float).sort_values(ascending=False, kind="stable")
              for m in methods}
    lead_top = str(orders[lead].index[0])
    rows = []
    for m in methods:
        v = _values(m, tables[m])
        order = orders[m]
        top = str(order.index[0])
        est, low, high = (float(x) for x in v.loc[top].reindex(["estimate", "ci_low", "ci_high"]))
        tested = "test_low" in v.columns
        key = ("answer_share" if m == "dominance" and tested
               else "answer_logit" if m == "ordinal_logit" and tested
               else "answer_signed" if tested else "answer_main_effect")
        odds = [np.nan] * 3
        if m == "ordinal_logit":
            row = tables[m].set_index("pillar").loc[top]
            odds = [float(np.exp(row[c])) for c in ("estimate", "ci_low", "ci_high")]
        common = [p for p in orders[lead].index if p in order.index]
        rho = float(stats.spearmanr(orders[lead].loc[common].to_numpy(), order.loc[common].to_numpy())[0]) \
            if len(common) > 2 else np.nan
        share = [np.nan] * 3
        r2_full = np.nan
        if m == "dominance" and "share_of_r2" in tables[m].columns:
            row = tables[m].set_index("pillar").loc[top]
            share = [float(row[c]) for c in ("share_of_r2", "share_ci_low", "share_ci_high")]
            r2_full = float(row["r2_full"])
        if m == lead:
            comparison = "lead_self"
        elif np.isfinite(rho) and rho >= AGREEMENT_RHO and top == lead_top:
            comparison = "agree"
        elif top == lead_top:
            comparison = "disagree_order"
        else:
            comparison = "disagree"
        lead_values = _values(lead, tables[lead])["estimate"].astype(float)
        why, spread_ratio, rho_scaled, scaled_top = _why(m, order, lead_values, pillar_sd, rho)
        rows.append({
            "method": m, "is_lead": m == lead, "estimand_key": f"estimand_{m}", "of_any_table": bool(any_table),
            "answer_key": key, "top_pillar": top, "top_estimate": est, "top_ci_low": low, "top_ci_high": high,
            "top_share": share[0], "top_share_low": share[1], "top_share_high": share[2], "r2_full": r2_full,
            "top_odds": odds[0], "top_odds_low": odds[1], "top_odds_high": odds[2], "n_pillars": len(v),
            "n_above_zero": int((v["test_low"] > 0).sum()) if tested else np.nan,
            "n_below_zero": int((v["test_high"] < 0).sum()) if tested else np.nan,
            "order": ", ".join(map(str, order.index)),
            "rank_correlation_with_lead": rho if m != lead else 1.0,
            "comparison_key": comparison, "why_key": why if comparison.startswith("disagree") else "",
            "lead_top_pillar": lead_top,
            "pillar_correlation": np.nan if pillar_correlation is None else float(pillar_correlation),
            "spread_ratio": spread_ratio if comparison.startswith("disagree") else np.nan,
            "rank_correlation_scaled": rho_scaled if comparison.startswith("disagree") else np.nan,
            "scaled_top_pillar": scaled_top if comparison.startswith("disagree") else "",
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
