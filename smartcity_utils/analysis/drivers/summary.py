"""The closing table of the driver analysis: per method, what it estimates, its answer, and where it differs from the lead.

Methods estimate different things (a partial coefficient, a share of
explained variance, a rank correlation), so their answers are set side by
side, never averaged. The words, in English and Indonesian, live in
``smartcity_utils/data/driver_text.csv``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils import paths
from smartcity_utils.analysis.drivers.ols import ols_as_estimates
from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import pillar_label

#: Order of the methods in the closing table; the first present is the reference.
METHOD_ORDER = ("eiv", "ols", "mixed", "dominance", "main_effect", "ordinal_logit", "spearman")

#: Methods whose estimate is a signed partial association (tested against zero).
SIGNED = ("eiv", "ols", "mixed", "ordinal_logit", "spearman")

#: Rank correlation of two methods' pillar orders at or above which they are
#: said to agree: with six pillars, 0.8 allows one swap of neighbours.
AGREEMENT_RHO = 0.8

SUMMARY_COLUMNS = ["method", "is_lead", "method_label", "method_label_id", "estimand", "estimand_id", "answer",
                   "answer_id", "top_pillar", "order", "rank_correlation_with_lead", "comparison",
                   "comparison_id"]


@lru_cache(maxsize=1)
def driver_text() -> pd.DataFrame:
    """The words of the closing table (``key, en, id``), from ``data/driver_text.csv``."""
    return pd.read_csv(paths.REFERENCE_DIR / "driver_text.csv").set_index("key")


def text(key: str, lang: str = "en", **values: Any) -> str:
    """One phrase of ``driver_text.csv`` in ``lang`` ("en" or "id"), filled with ``values``."""
    return str(driver_text().at[key, lang]).format(**values)


def _per_method_tables(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    tables = {}
    for value in results.values():
        table = getattr(value, "table", value)
        if not isinstance(table, pd.DataFrame) or not {"pillar", "method", "estimate"} <= set(table.columns):
            continue
        for method, block in table.groupby("method", sort=False):
            if method in METHOD_ORDER and not block["pillar"].duplicated().any():
                tables[str(method)] = block.reset_index(drop=True)
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


def format_interval(est: float, low: float = np.nan, high: float = np.nan, digits: int = 2) -> str:
    """``est [low, high]`` rounded; the estimate alone when the interval is missing, empty when the estimate is."""
    if not np.isfinite(est):
        return ""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{est:.{digits}f}"
    return f"{est:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _estimand_key(method: str, any_table: bool) -> str:
    """The key of a method's estimand sentence: for regency-years, or for any table when one exists."""
    key = f"table_estimand_{method}"
    return key if any_table and key in driver_text().index else f"estimand_{method}"


def driver_summary(results: Mapping[str, Any], any_table: bool = False,
                   pillar_correlation: float | None = None) -> pd.DataFrame:
    """Closing table: one row per method with its estimand, its answer and how it compares with the lead.

    The lead is the errors-in-variables regression when it ran, else the
    ordinary regression. A method's pillar order is by its estimate (largest
    first). Two methods agree when the rank correlation of their orders is
    at least :data:`AGREEMENT_RHO` and they put the same pillar first;
    otherwise ``comparison`` gives the reason that follows from what the
    method estimates. Only signed quantities are tested against zero; a
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
    rows = []
    for m in methods:
        v = _values(m, tables[m])
        order = orders[m]
        top = str(order.index[0])
        value = format_interval(*v.loc[top].reindex(["estimate", "ci_low", "ci_high"]).astype(float))
        fields = {"top": pillar_label(top), "value": value, "n": len(v)}
        if "test_low" in v.columns:
            fields["n_pos"] = int((v["test_low"] > 0).sum())
            fields["n_neg"] = int((v["test_high"] < 0).sum())
        key = ("answer_share" if m == "dominance" and "test_low" in v.columns
               else "answer_logit" if m == "ordinal_logit" and "test_low" in v.columns
               else "answer_signed" if "test_low" in v.columns else "answer_main_effect")
        if m == "ordinal_logit":
            row = tables[m].set_index("pillar").loc[top]
            fields["odds"] = format_interval(float(np.exp(row["estimate"])), float(np.exp(row["ci_low"])),
                                             float(np.exp(row["ci_high"])), digits=1)
        why = {"r": f"{pillar_correlation:.2f}" if pillar_correlation is not None else "n/a"}
        common = [p for p in orders[lead].index if p in order.index]
        rho = float(stats.spearmanr(orders[lead].loc[common].to_numpy(), order.loc[common].to_numpy())[0]) \
            if len(common) > 2 else np.nan
        if m == lead:
            comparison = {lang: text("lead_self", lang) for lang in ("en", "id")}
        elif np.isfinite(rho) and rho >= AGREEMENT_RHO and top == orders[lead].index[0]:
            comparison = {lang: text("agree", lang, rho=f"{rho:.2f}") for lang in ("en", "id")}
        elif top == orders[lead].index[0]:
            comparison = {lang: text("disagree_order", lang, top=pillar_label(top), rho=f"{rho:.2f}",
                                     why=text(f"why_{m}", lang, **why)) for lang in ("en", "id")}
        else:
            comparison = {lang: text("disagree", lang, top=pillar_label(top),
                                     lead_top=pillar_label(orders[lead].index[0]),
                                     rho=f"{rho:.2f}", why=text(f"why_{m}", lang, **why)) for lang in ("en", "id")}
        rows.append({
            "method": m, "is_lead": m == lead,
            "method_label": text(f"label_{m}", "en"), "method_label_id": text(f"label_{m}", "id"),
            "estimand": text(_estimand_key(m, any_table), "en"),
            "estimand_id": text(_estimand_key(m, any_table), "id"),
            "answer": text(key, "en", **fields), "answer_id": text(key, "id", **fields),
            "top_pillar": top, "order": ", ".join(map(str, order.index)),
            "rank_correlation_with_lead": rho if m != lead else 1.0,
            "comparison": comparison["en"], "comparison_id": comparison["id"],
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
