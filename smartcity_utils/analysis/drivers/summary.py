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
                   "top_ci_low", "top_ci_high", "top_odds", "top_odds_low", "top_odds_high", "n_pillars",
                   "n_above_zero", "n_below_zero", "order", "rank_correlation_with_lead", "comparison_key", "why_key",
                   "lead_top_pillar", "pillar_correlation"]


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
                   pillar_correlation: float | None = None) -> pd.DataFrame:
    """Closing table: one row per method with its estimand, its answer and how it compares with the lead.

    The lead is the errors-in-variables regression when it ran, else the
    ordinary regression. A method's pillar order is by its estimate (largest
    first). Two methods agree when the rank correlation of their orders is
    at least :data:`AGREEMENT_RHO` and they put the same pillar first;
    otherwise ``comparison_key`` says how they differ and ``why_key`` the
    reason that follows from what the method estimates. Only signed quantities are tested against zero; a
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
        if m == lead:
            comparison = "lead_self"
        elif np.isfinite(rho) and rho >= AGREEMENT_RHO and top == lead_top:
            comparison = "agree"
        elif top == lead_top:
            comparison = "disagree_order"
        else:
            comparison = "disagree"
        rows.append({
            "method": m, "is_lead": m == lead, "estimand_key": f"estimand_{m}", "of_any_table": bool(any_table),
            "answer_key": key, "top_pillar": top, "top_estimate": est, "top_ci_low": low, "top_ci_high": high,
            "top_odds": odds[0], "top_odds_low": odds[1], "top_odds_high": odds[2], "n_pillars": len(v),
            "n_above_zero": int((v["test_low"] > 0).sum()) if tested else np.nan,
            "n_below_zero": int((v["test_high"] < 0).sum()) if tested else np.nan,
            "order": ", ".join(map(str, order.index)),
            "rank_correlation_with_lead": rho if m != lead else 1.0,
            "comparison_key": comparison, "why_key": f"why_{m}" if comparison.startswith("disagree") else "",
            "lead_top_pillar": lead_top,
            "pillar_correlation": np.nan if pillar_correlation is None else float(pillar_correlation),
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
