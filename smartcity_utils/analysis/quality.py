"""Data-quality summaries of the processed tables (notebook 01).
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref


def require_regency_years(tables: dict[str, pd.DataFrame], raw_folders: list) -> None:
    """Stop notebook 01 when the cleaning built no regency-year (nothing else on the page would mean anything).

    Raises:
        UserError: naming the raw folders read.
    """
    from smartcity_utils.errors import UserError

    if tables["regency_year"].empty:
        raise UserError(f"no regency-year rows were built from {', '.join(str(f) for f in raw_folders)}")


def simulated_share(frame: pd.DataFrame) -> float:
    """Share of rows flagged ``is_simulated`` (0 when the table is empty)."""
    return float(frame["is_simulated"].mean()) if len(frame) else 0.0


def rows_per_year_and_layout(scores: pd.DataFrame) -> pd.DataFrame:
    """Values kept per evaluation year and raw layout."""
    return scores.pivot_table(index="year", columns="layout", values="score", aggfunc="size", fill_value=0)


def values_per_pillar(scores: pd.DataFrame) -> pd.DataFrame:
    """Values kept per pillar or dimension and year."""
    key = scores["pillar_key"].fillna(scores["dimension_key"])
    order = list(ref.PILLAR_KEYS) + list(ref.DIMENSION_KEYS)
    table = scores.assign(key=key).pivot_table(index="key", columns="year", values="score", aggfunc="size",
                                               fill_value=0)
    return table.reindex([k for k in order if k in table.index])


def rejects_by_reason(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows and values per reason and layout, most frequent first."""
    if rejects.empty:
        return pd.DataFrame(columns=["reason", "layout", "n"])
    return (rejects.groupby(["reason", "layout"]).size().rename("n").reset_index()
            .sort_values(["n", "reason"], ascending=[False, True], ignore_index=True))


def cohort_coverage(regency_year: pd.DataFrame, regencies: pd.DataFrame) -> pd.DataFrame:
    """Regencies with data per cohort and year, against the cohort's members.

    Returns:
        One row per cohort: ``members`` (regencies assigned to it), one column
        per year with the number of members that have a regency-year row.
    """
    members = regencies.dropna(subset=["cohort_year"]).groupby("cohort_year").size().rename("members")
    seen = (regency_year.dropna(subset=["cohort_year"])
            .pivot_table(index="cohort_year", columns="year", values="regency_id", aggfunc="nunique", fill_value=0))
    out = pd.concat([members, seen], axis=1).fillna(0).astype(int)
    out.index = out.index.astype(int)
    out.index.name = "cohort_year"
    return out


def quality_summary(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every data-quality table shown by notebook 01."""
    return {
        "manifest": tables["manifest"].drop(columns=["sha256"]),
        "rows_per_year_and_layout": rows_per_year_and_layout(tables["scores"]),
        "values_per_pillar": values_per_pillar(tables["scores"]),
        "rejects_by_reason": rejects_by_reason(tables["rejects"]),
        "cohort_coverage": cohort_coverage(tables["regency_year"], tables["regencies"]),
    }


def published_reproduction(regency_year: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Each published smart city figure beside the value in the cleaned data.

    Only ``GMSC_eval`` rows of regencies are compared: the headline index with
    ``final_score_reported`` (and its rank with ``rank_reported``), pillar and
    dimension scores with the matching column.

    Returns:
        ``regency, year, metric, published, in_data, published_rank, rank_in_data, matches,
        is_simulated``; ``is_simulated`` is the flag of the regency-year row ``in_data`` comes
        from (False when there is no such row): the published figures are real, the data beside
        them may not be.
    """
    facts = published[(published["index"] == "GMSC_eval") & published["regency_id"].notna()].copy()
    ry = regency_year.set_index(["regency_id", "year"])
    rows = []
    for fact in facts.itertuples(index=False):
        key = (int(fact.regency_id), int(fact.year))
        column = "final_score_reported" if fact.metric == "indeks_smart_city" else fact.metric
        in_data = ry.at[key, column] if key in ry.index and column in ry.columns else None
        rank = ry.at[key, "rank_reported"] if key in ry.index and fact.metric == "indeks_smart_city" else None
        simulated = bool(ry.at[key, "is_simulated"]) if key in ry.index else False
        matches = in_data is not None and pd.notna(in_data) and abs(float(in_data) - float(fact.value)) < 1e-9
        if pd.notna(fact.rank) and fact.metric == "indeks_smart_city":
            matches = matches and rank is not None and pd.notna(rank) and int(rank) == int(fact.rank)
        rows.append({"regency": fact.region, "year": int(fact.year), "metric": fact.metric,
                     "published": fact.value, "in_data": in_data, "published_rank": fact.rank,
                     "rank_in_data": rank, "matches": bool(matches), "is_simulated": simulated})
    return pd.DataFrame(rows, columns=["regency", "year", "metric", "published", "in_data", "published_rank",
                                       "rank_in_data", "matches", "is_simulated"]).astype({"is_simulated": bool})
