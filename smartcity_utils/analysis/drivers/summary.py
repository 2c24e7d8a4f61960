"""The closing table of the driver analysis, in plain words.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from smartcity_utils.analysis.drivers.ols import VIF_THRESHOLD
from smartcity_utils.analysis.ranks import competition_rank
from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import pillar_label


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# 7. Summary in plain words
# ---------------------------------------------------------------------------

_METHOD_LABELS = {
    "ols": "OLS",
    "dominance": "dominance",
    "main_effect": "main effect",
    "ordinal_logit": "ordinal logit",
    "spearman": "Spearman",
    "mixed": "mixed model",
    "leave_one_out": "leave-one-out",
}


# Methods whose estimate is signed: importance is its magnitude.
_SIGNED = {"ols", "ordinal_logit", "spearman", "mixed"}


def _per_pillar_tables(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, value in results.items():
        table = getattr(value, "table", value)
        if not isinstance(table, pd.DataFrame):
            continue
        if not {"pillar", "method", "estimate"} <= set(table.columns):
            continue
        if table["pillar"].duplicated().any():
            continue
        method = str(table["method"].iloc[0]) if len(table) else name
        tables[method] = table
    return tables


def driver_summary(results: Mapping[str, Any]) -> pd.DataFrame:
    """Closing table: per pillar, its importance rank under each method.

    A pillar's importance under a method is the magnitude of its estimate
    (standardised coefficient, R-squared share, ``S_i``, log-odds,
    correlation or mean rank shift); rank 1 is most important. The
    consensus rank orders pillars by their mean rank over methods. The
    ``statement`` column says in words how often the pillar comes first and
    how often its interval excludes zero; ``disagreement`` says where the
    methods' ranks spread by two or more places and gives the likely reasons
    (collinearity, weight vs importance, a negative coefficient).

    Args:
        results: Mapping of method name to per-pillar table (or an object
            with a ``table`` attribute), as returned by the methods in this
            module; other entries are ignored.

    Returns:
        One row per pillar with ``pillar, label, rank_<method>...,
        n_methods, mean_rank, consensus_rank, n_top, n_interval,
        n_excludes_zero, statement, disagreement``, sorted by consensus rank.

    Raises:
        DriverInputError: If no per-pillar table is found.
    """
    tables = _per_pillar_tables(results)
    if not tables:
        raise DriverInputError("driver_summary: no per-pillar result table given")
    pillars = list(dict.fromkeys(p for t in tables.values() for p in t["pillar"]))
    ranks = pd.DataFrame(index=pillars)
    excl = pd.DataFrame(index=pillars, dtype=object)
    for method, t in tables.items():
        est = t.set_index("pillar")["estimate"].astype(float)
        imp = est.abs() if method in _SIGNED else est
        ranks[method] = competition_rank(imp.reindex(pillars))
        if {"ci_low", "ci_high"} <= set(t.columns):
            lo = t.set_index("pillar")["ci_low"].astype(float).reindex(pillars)
            hi = t.set_index("pillar")["ci_high"].astype(float).reindex(pillars)
            has = lo.notna() & hi.notna()
            ex = ((lo > 0) | (hi < 0)).where(has)
            excl[method] = ex
    mean_rank = ranks.mean(axis=1, skipna=True)
    consensus = competition_rank(mean_rank, ascending=True)
    n_methods = ranks.notna().sum(axis=1)
    n_top = (ranks == 1).sum(axis=1)
    n_interval = excl.notna().sum(axis=1) if not excl.empty else pd.Series(0, index=pillars)
    n_excl = (excl == True).sum(axis=1) if not excl.empty else pd.Series(0, index=pillars)  # noqa: E712

    ols = tables.get("ols")
    me = tables.get("main_effect")
    rows = []
    for p in pillars:
        label = pillar_label(p)
        k, m = int(n_top[p]), int(n_methods[p])
        ci_part = (f"interval excludes zero under {int(n_excl[p])} of {int(n_interval[p])}"
                   if n_interval[p] else "no intervals")
        if consensus[p] == 1:
            statement = (f"{label} drives the ranking most under {k} of {m} methods "
                         f"({ci_part}).")
        else:
            first = f"first under {k} of {m} methods" if k else f"first under none of {m} methods"
            statement = (f"{label} ranks {_ordinal(int(consensus[p]))} by consensus "
                         f"(mean rank {mean_rank[p]:.1f}); {first} ({ci_part}).")
        reasons = []
        r = ranks.loc[p].dropna()
        spread = (r.max() - r.min()) if len(r) else 0
        if ols is not None:
            o = ols.set_index("pillar")
            if "vif" in o.columns and p in o.index and o.at[p, "vif"] > VIF_THRESHOLD:
                reasons.append(
                    f"collinear with other pillars (VIF {o.at[p, 'vif']:.1f} > "
                    f"{VIF_THRESHOLD:g}): OLS splits shared variance arbitrarily, "
                    "dominance shares it")
            if p in o.index and o.at[p, "estimate"] < 0 and ranks.at[p, "ols"] <= 2:
                reasons.append("negative OLS coefficient: a suppression effect of correlated pillars")
        if me is not None and "weight" in me.columns:
            e = me.set_index("pillar")
            if p in e.index and abs(e.at[p, "weight_rank"] - e.at[p, "importance_rank"]) >= 2:
                reasons.append(
                    f"weight vs importance: its "
                    f"{'nominal' if e.at[p, 'weight_source'] == 'nominal' else 'OLS-implied'} weight "
                    f"{e.at[p, 'weight']:.2f} ranks {int(e.at[p, 'weight_rank'])} but its "
                    f"main effect ranks {int(e.at[p, 'importance_rank'])}")
        if spread >= 2:
            lo_m = ", ".join(_METHOD_LABELS.get(x, x) for x in r.index[r == r.min()])
            hi_m = ", ".join(_METHOD_LABELS.get(x, x) for x in r.index[r == r.max()])
            dis = (f"methods disagree: rank {int(r.min())} under {lo_m}, "
                   f"{int(r.max())} under {hi_m}")
            if "leave_one_out" in r.index and r["leave_one_out"] in (r.min(), r.max()):
                reasons.append("leave-one-out measures rank moves, which depend on the "
                               "pillar's spread relative to the other pillars, not on "
                               "variance explained")
            disagreement = dis + ("; " + "; ".join(reasons) if reasons else "") + "."
        elif reasons:
            disagreement = "methods agree; note: " + "; ".join(reasons) + "."
        else:
            disagreement = ""
        rows.append({"pillar": p, "label": label, "statement": statement,
                     "disagreement": disagreement})
    text = pd.DataFrame(rows).set_index("pillar")
    out = text[["label"]].copy()
    for method in ranks.columns:
        out[f"rank_{method}"] = ranks[method]
    out["n_methods"] = n_methods.astype(int)
    out["mean_rank"] = mean_rank
    out["consensus_rank"] = consensus.astype(int)
    out["n_top"] = n_top.astype(int)
    out["n_interval"] = n_interval.astype(int)
    out["n_excludes_zero"] = n_excl.astype(int)
    out["statement"] = text["statement"]
    out["disagreement"] = text["disagreement"]
    out = out.rename_axis("pillar").reset_index()
    return out.sort_values(["consensus_rank", "mean_rank"], kind="stable").reset_index(drop=True)
