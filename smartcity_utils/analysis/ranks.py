"""The one rank rule and the one percentile rule.

Ranks are competition ranks (1, 2, 2, 4) of a score within a year and an
evaluation group, as the programme publishes them; percentiles are the
mid-rank share of a group scoring below a value (100 = best).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Scores are rounded to this many decimals before ranking, so that two
#: mathematically equal indices that differ in the last floating-point bit
#: (same numbers summed in another order) still tie, as they would on paper.
RANK_DECIMALS = 10




DEFAULT_BY = ("year", "evaluation_group")


# Ranks and percentiles
# --------------------------------------------------------------------------


def group_cols(df: pd.DataFrame, by: Sequence[str] | str | None) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"grouping columns {missing} are not in the table")
    return cols


def competition_rank(values: pd.Series | np.ndarray, groups: pd.Series | pd.DataFrame | None = None,
                     ascending: bool = False) -> pd.Series:
    """The one rank rule: competition ranks (1, 1, 3), highest first, within ``groups``.

    Ties share the better rank and the next rank is skipped (``method='min'``),
    as the programme publishes ranks. NaN values get a NaN rank and take no
    place. Values are compared at ``RANK_DECIMALS`` decimals, so that scores
    equal on paper tie even when floating-point noise separates them.

    Args:
        values: The scores.
        groups: One key per value (a Series, or a frame of key columns); None ranks all together.
        ascending: False ranks the highest value first.

    Returns:
        Float Series (float because of NaN), aligned on ``values``.
    """
    score = pd.Series(values, dtype=float) if not isinstance(values, pd.Series) else values.astype(float)
    score = score.round(RANK_DECIMALS)
    if groups is None:
        return score.rank(method="min", ascending=ascending, na_option="keep")
    keys = [groups[c] for c in groups.columns] if isinstance(groups, pd.DataFrame) else groups
    return score.groupby(keys, dropna=False, sort=False).rank(method="min", ascending=ascending, na_option="keep")


def rank_scores(
    df: pd.DataFrame,
    score_col: str,
    by: Sequence[str] | str | None = DEFAULT_BY,
    ascending: bool = False,
) -> pd.Series:
    """Competition ranks within groups, as the programme publishes them.

    Ties share the better rank and the next rank is skipped (1, 1, 3:
    ``method='min'``). NaN scores get a NaN rank and do not take a place.
    Scores are compared at ``RANK_DECIMALS`` decimals, so that indices equal on
    paper tie even when floating-point noise separates them.

    Args:
        df: Any table with ``score_col`` and the ``by`` columns.
        score_col: Column to rank.
        by: Grouping columns (default: year and evaluation group); None or
            empty ranks the whole table.
        ascending: False ranks the highest score first.

    Returns:
        Float Series aligned on ``df.index`` (float because of NaN).
    """
    cols = group_cols(df, by)
    return competition_rank(df[score_col], df[cols] if cols else None, ascending=ascending).rename(score_col)


def mid_rank_percentile(n_lower, ties_others, n):
    """The one percentile rule: ``100 * (n_lower + 0.5 * n_tied_others) / (n - 1)``.

    100 is the unique best of the group, 0 the unique worst, 50 when everyone
    ties; undefined (NaN) for a group of one. Works on numbers and on Series.
    """
    others = n - 1
    if isinstance(others, pd.Series):
        others = others.where(others > 0)
    elif isinstance(others, np.ndarray):
        others = np.where(others > 0, others, np.nan)
    elif others <= 0:
        return float("nan")
    return 100.0 * (n_lower + 0.5 * ties_others) / others


def percentile_within(df: pd.DataFrame, score_col: str, cols: list[str]) -> pd.Series:
    """Share of the *others* in the group scoring strictly lower, ties counted half.

    ``100 * (n_lower + 0.5 * n_tied_others) / (n - 1)``: 100 is the unique best,
    0 the unique worst, 50 when everyone ties. NaN for a NaN score or a group
    with a single score (there is no one to compare with).
    """
    score = df[score_col].astype(float).round(RANK_DECIMALS)
    keyed = df[cols].assign(_score=score)
    grouped = keyed.groupby(cols, dropna=False, sort=False)["_score"] if cols else None
    if grouped is None:
        lo = score.rank(method="min", ascending=True, na_option="keep")
        hi = score.rank(method="max", ascending=True, na_option="keep")
        n = pd.Series(score.notna().sum(), index=df.index, dtype=float)
    else:
        lo = grouped.rank(method="min", ascending=True, na_option="keep")
        hi = grouped.rank(method="max", ascending=True, na_option="keep")
        n = grouped.transform("count").astype(float)
    return mid_rank_percentile(lo - 1, hi - lo, n)


def percentile_of_average_ranks(average_ranks: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """The one percentile rule for ranks counted from the bottom with ties averaged (``scipy.stats.rankdata``).

    An average rank ``r`` (1 = lowest) of ``n`` has ``n_lower + ties_others / 2 = r - 1``, so the
    percentile is ``100 (r - 1) / (n - 1)``, as :func:`mid_rank_percentile`. Vectorised for the
    Monte Carlo and Sobol draws (units x draws).
    """
    return mid_rank_percentile(np.asarray(average_ranks, dtype=float) - 1.0, 0.0, n)


def percentile_among(values: Sequence[float] | np.ndarray, x: float) -> float:
    """Percentile of ``x`` among ``values`` that include it (same rule as :func:`add_ranks`).

    Args:
        values: All scores of the group, ``x`` included once; NaN ignored.
        x: The score to place.

    Returns:
        ``100 * (n_lower + 0.5 * n_tied_others) / (n - 1)``; NaN if ``x`` is
        NaN or the group has fewer than two scores.
    """
    v = np.round(np.asarray(values, dtype=float), RANK_DECIMALS)
    v = v[~np.isnan(v)]
    if np.isnan(x) or v.size < 2:
        return float("nan")
    x = round(float(x), RANK_DECIMALS)
    return float(mid_rank_percentile(int((v < x).sum()), int((v == x).sum()) - 1, v.size))


def group_completeness(regency_year: pd.DataFrame, score_col: str,
                       by: Sequence[str] | str | None = DEFAULT_BY) -> pd.DataFrame:
    """Whether each row's group is held whole: its group known, its size known and every member loaded with a
    score.

    The size is the table's ``group_size`` (from the files or the documented
    groups, see ``clean.assemble``). A table without that column is taken to
    hold whole groups (a simulation, a test frame): its size is the number of
    scored rows.

    Returns:
        ``n_loaded`` (rows of the group with a score), ``group_size`` and
        ``group_complete``, aligned on the table.
    """
    cols = group_cols(regency_year, by)
    scored = regency_year[score_col].astype(float)
    if cols:
        n_loaded = scored.groupby([regency_year[c] for c in cols], dropna=False, sort=False).transform("count")
    else:
        n_loaded = pd.Series(scored.notna().sum(), index=regency_year.index)
    if "group_size" in regency_year.columns:
        size = pd.to_numeric(regency_year["group_size"]).astype("Float64")
    else:
        size = n_loaded.astype("Float64")
    complete = (size.notna() & (n_loaded.astype("Float64") == size)).fillna(False).astype(bool)
    # A row of no known group is in no group held whole, however many rows share its empty key.
    for c in cols:
        complete &= regency_year[c].notna()
    return pd.DataFrame({"n_loaded": n_loaded.astype(int), "group_size": size, "group_complete": complete},
                        index=regency_year.index)


def add_ranks(
    regency_year: pd.DataFrame,
    score_col: str = "final_score_computed",
    by: Sequence[str] | str | None = DEFAULT_BY,
    cohort_col: str = "cohort_year",
) -> pd.DataFrame:
    """Add ranks and percentiles of ``score_col``, only where the comparison set is held whole.

    A rank among whatever rows happen to be loaded means nothing: a rank is
    computed only within a group whose size is known and whose every member is
    loaded (:func:`group_completeness`); elsewhere it is left empty and the
    published rank stands alone. Percentiles use one definition throughout:
    the share of the *other* regencies in the comparison set that score
    strictly lower, ties counted half, times 100 (100 = unique best, 0 =
    unique worst, 50 = all tied; NaN when the set has a single score).

    Args:
        regency_year: The ``regency_year`` table.
        score_col: Column to rank (computed if it is ``final_score_computed``
            and absent).
        by: Groups in which ranks are published (year and evaluation group).
        cohort_col: Column defining the cohort for ``percentile_cohort``.

    Returns:
        A copy with ``group_complete``, ``n_loaded`` (scored rows of the
        group), ``n_in_group`` (the group's size where known), ``rank_computed``
        (competition rank within ``by``, complete groups only),
        ``percentile_year`` (within the year, all groups, when every group of
        the year is complete) and ``percentile_cohort`` (within the year and
        cohort, when every member of the cohort, ``cohort_size``, has a score).
    """
    if score_col not in regency_year.columns:
        raise KeyError(f"no column {score_col!r} to rank; compute the index first (analysis.index.compute_index)")
    out = regency_year.copy()
    cols = group_cols(out, by)
    whole = group_completeness(out, score_col, cols)
    out["group_complete"] = whole["group_complete"]
    out["n_loaded"] = whole["n_loaded"]
    out["n_in_group"] = whole["group_size"].astype("float64")
    out["rank_computed"] = rank_scores(out, score_col, by=cols).where(out["group_complete"])
    year_whole = (out.groupby("year")["group_complete"].transform("all") if "year" in out.columns
                  else whole["group_complete"])
    out["percentile_year"] = percentile_within(out, score_col, ["year"]).where(year_whole)
    pct_cohort = percentile_within(out, score_col, ["year", cohort_col])
    out["percentile_cohort"] = pct_cohort.where(out[cohort_col].notna() & cohort_complete(out, score_col, cohort_col))
    return out


def cohort_complete(table: pd.DataFrame, score_col: str, cohort_col: str = "cohort_year") -> pd.Series:
    """Whether every member of a row's cohort has a score in that year (``cohort_size`` members).

    A table without ``cohort_size`` is taken to hold whole cohorts.
    """
    if cohort_col not in table.columns:
        return pd.Series(False, index=table.index)
    loaded = table[score_col].astype(float).groupby([table["year"], table[cohort_col]], dropna=False,
                                                      sort=False).transform("count")
    if "cohort_size" not in table.columns:
        return table[cohort_col].notna()
    size = pd.to_numeric(table["cohort_size"]).astype("Float64")
    return (size.notna() & (loaded.astype("Float64") == size)).fillna(False).astype(bool)
