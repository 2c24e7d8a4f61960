"""The headline index, its reconciliation with published values, and ranks.

The headline *Indeks Smart City* is a weighted mix of the five evaluation
dimensions (Baseline, Output, Outcome, Impact, Quick Win), with weights that
are configuration per year (``smartcity_utils/data/dimension_weights.csv``).
This module computes it, checks it against the published index within the
rounding of the source, ranks regencies the way the programme publishes ranks
(competition ranking, ties share the better rank), and measures how much a
rank depends on the weights and on the assessor panel (Monte Carlo).

Two implementations of the Monte Carlo are kept: :func:`rank_draws` works on
the whole draw matrix at once, :func:`rank_draws_naive` loops over draws with
pandas. Both consume the same random numbers, so they give the same ranks;
the second exists to check the first and to benchmark it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref

#: Scores are rounded to this many decimals before ranking, so that two
#: mathematically equal indices that differ in the last floating-point bit
#: (same numbers summed in another order) still tie, as they would on paper.
RANK_DECIMALS = 10

#: Slack added to every reconciliation tolerance, for floating-point noise.
FLOAT_SLACK = 1e-9

DEFAULT_BY = ("year", "evaluation_group")


# --------------------------------------------------------------------------
# Reference tables
# --------------------------------------------------------------------------


# The vocabularies live in smartcity_utils.reference; these names keep the
# index module readable on its own.
load_pillars = ref.pillars
load_dimensions = ref.dimensions
load_dimension_weights = ref.dimension_weights


def pillar_keys() -> list[str]:
    """Return the six pillar keys in canonical order."""
    return list(ref.PILLAR_KEYS)


def dimension_keys() -> list[str]:
    """Return the five dimension keys in canonical order."""
    return list(ref.DIMENSION_KEYS)


def _weights_wide(weights: pd.DataFrame | Mapping[str, float] | None, years: Sequence[int]) -> pd.DataFrame:
    """Weights as a (year x dimension) table for ``years``, validated.

    Args:
        weights: Long table (``year``, ``dimension_key``, ``weight``), a mapping
            ``{dimension_key: weight}`` applied to every year, or None for the
            reference file.
        years: The years that need weights.

    Returns:
        DataFrame indexed by year, one column per dimension key (canonical order).

    Raises:
        ValueError: A year has no weights, misses a dimension, or its weights
            do not sum to 1.
    """
    keys = dimension_keys()
    years = sorted({int(y) for y in years})
    if weights is None:
        weights = load_dimension_weights()
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(keys)
        if unknown:
            raise ValueError(f"unknown dimension keys in weights: {sorted(unknown)}; expected {keys}")
        row = pd.Series({k: float(weights.get(k, 0.0)) for k in keys})
        wide = pd.DataFrame([row] * len(years), index=pd.Index(years, name="year"))
    else:
        missing_cols = {"year", "dimension_key", "weight"} - set(weights.columns)
        if missing_cols:
            raise ValueError(f"weights table lacks columns {sorted(missing_cols)}")
        unknown = set(weights["dimension_key"]) - set(keys)
        if unknown:
            raise ValueError(f"unknown dimension keys in weights: {sorted(unknown)}; expected {keys}")
        long = weights.assign(year=weights["year"].astype(int))
        if long.duplicated(["year", "dimension_key"]).any():
            dup = long.loc[long.duplicated(["year", "dimension_key"]), "year"].unique().tolist()
            raise ValueError(f"weights table has two weights for a dimension in year(s) {dup}")
        wide = long.pivot(index="year", columns="dimension_key", values="weight")
        wide = wide.reindex(columns=keys)
        absent = [y for y in years if y not in wide.index]
        if absent:
            raise ValueError(
                f"no dimension weights for year(s) {absent}; add them to dimension_weights.csv "
                f"(years with weights: {sorted(wide.index.tolist())})"
            )
        wide = wide.loc[years]
        for year, row in wide.iterrows():
            if row.isna().any():
                raise ValueError(
                    f"dimension weights for year {year} miss {row.index[row.isna()].tolist()}"
                )
    for year, row in wide.iterrows():
        total = float(row.sum())
        if not np.isclose(total, 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"dimension weights for year {year} sum to {total:.6g}, not 1")
        if (row < 0).any():
            raise ValueError(f"dimension weights for year {year} include a negative weight")
    return wide.astype(float)


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum ``values[..., j] * weights[..., j]`` over j, in dimension order.

    The summation order is fixed (j = 0, 1, ...) so that the vectorised and the
    per-draw implementations perform the same floating-point operations.
    """
    total = values[..., 0] * weights[..., 0]
    for j in range(1, values.shape[-1]):
        total = total + values[..., j] * weights[..., j]
    return total


# --------------------------------------------------------------------------
# Index and reconciliation
# --------------------------------------------------------------------------


def compute_index(
    regency_year: pd.DataFrame,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Add the computed headline index ``final_score_computed``.

    ``final_score_computed = sum_j w[year, j] * dim_j`` over the five dimension
    keys, with the weights of the row's year. A row missing any dimension score
    gets NaN (a partial sum would look like a low score).

    Args:
        regency_year: The ``regency_year`` table (needs ``year`` and the
            dimension columns).
        weights: Long table ``year, dimension_key, weight``; a mapping
            ``{dimension_key: weight}`` used for every year; or None to read
            ``dimension_weights.csv``.

    Returns:
        A copy of the table with ``final_score_computed`` added (or replaced).

    Raises:
        ValueError: A year of the table has no weights, or its weights do not
            sum to 1 (the message names the year).
        KeyError: A dimension column is missing.
    """
    keys = dimension_keys()
    missing = [k for k in keys + ["year"] if k not in regency_year.columns]
    if missing:
        raise KeyError(f"regency_year lacks columns {missing}")
    out = regency_year.copy()
    if out.empty:
        out["final_score_computed"] = pd.Series(dtype=float)
        return out
    years = out["year"].astype(int)
    wide = _weights_wide(weights, years.unique())
    w_rows = wide.reindex(years.to_numpy()).to_numpy(dtype=float)
    dims = out[keys].to_numpy(dtype=float)
    out["final_score_computed"] = _weighted_sum(dims, w_rows)
    return out


def decimals_of(values: pd.Series | np.ndarray, max_decimals: int = 6) -> np.ndarray:
    """Number of decimals each value is written with (e.g. 3.31 -> 2, 3.5 -> 1).

    Args:
        values: Numbers, as read from the source.
        max_decimals: Cap, for values that are not short decimals.

    Returns:
        Integer array (NaN values give 0).
    """
    x = np.asarray(values, dtype=float)
    result = np.full(x.shape, max_decimals, dtype=int)
    found = ~np.isfinite(x)
    result[found] = 0
    for d in range(max_decimals + 1):
        hit = ~found & (np.abs(np.round(x, d) - x) <= 1e-9 * np.maximum(1.0, np.abs(x)))
        result[hit] = d
        found |= hit
    return result


def reconcile_index(
    regency_year: pd.DataFrame,
    tolerance: float | None = None,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Compare the computed index with the published one, row by row.

    The default tolerance is the rounding of the source: half a unit of the
    reported index's last decimal, plus the weighted rounding of the dimension
    scores (``sum_j w_j * half a unit of their last decimal``), plus 1e-9 for
    floating-point noise. A stored float cannot say whether ``3.3`` was printed
    as ``3.30``, so the number of decimals is taken per year as the largest
    found in that year's reported indices (respectively in all its dimension
    scores): one source, one precision.

    Args:
        regency_year: The ``regency_year`` table. ``final_score_computed`` is
            computed if absent.
        tolerance: A fixed absolute tolerance instead of the default.
        weights: Passed to :func:`compute_index` when the computed column is
            absent, and used for the weighted dimension rounding.

    Returns:
        One row per input row: ``regency_id`` (if present), ``regency``,
        ``year``, ``final_score_reported``, ``final_score_computed``,
        ``difference`` (computed - reported), ``tolerance``, ``status``:
        ``ok`` (within tolerance), ``mismatch``, ``no_reported`` (no published
        index) or ``no_computed`` (a dimension score is missing).
    """
    keys = dimension_keys()
    frame = regency_year
    if "final_score_computed" not in frame.columns:
        frame = compute_index(frame, weights=weights)
    frame = frame.reset_index(drop=True)
    reported = frame["final_score_reported"].astype(float)
    computed = frame["final_score_computed"].astype(float)
    difference = computed - reported

    if tolerance is None:
        years = frame["year"].astype(int)
        rep_dec = pd.Series(decimals_of(reported), index=frame.index).where(reported.notna())
        rep_dec = rep_dec.groupby(years).transform("max").fillna(0)
        half_rep = 0.5 * 10.0 ** (-rep_dec)
        wide = _weights_wide(weights, years.unique())
        w_rows = wide.reindex(years.to_numpy()).to_numpy(dtype=float)
        dim_vals = frame[keys].to_numpy(dtype=float)
        dim_dec = pd.Series(
            np.where(np.isnan(dim_vals), -1, decimals_of(dim_vals)).max(axis=1), index=frame.index
        ).where(lambda d: d >= 0)
        # One precision per year for all dimension scores (see docstring).
        dim_dec = dim_dec.groupby(years).transform("max").fillna(0).to_numpy()
        half_dim = (w_rows * (0.5 * 10.0 ** (-dim_dec))[:, None]).sum(axis=1)
        tol = pd.Series(half_rep.to_numpy() + half_dim + FLOAT_SLACK, index=frame.index)
    else:
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance}")
        tol = pd.Series(float(tolerance), index=frame.index)

    status = np.where(
        reported.isna(),
        "no_reported",
        np.where(computed.isna(), "no_computed", np.where(difference.abs() <= tol, "ok", "mismatch")),
    )
    cols = [c for c in ("regency_id", "regency") if c in frame.columns] + ["year"]
    out = frame[cols].copy()
    out["final_score_reported"] = reported
    out["final_score_computed"] = computed
    out["difference"] = difference
    out["tolerance"] = tol
    out["status"] = status
    return out


# --------------------------------------------------------------------------
# Ranks and percentiles
# --------------------------------------------------------------------------


def _group_cols(df: pd.DataFrame, by: Sequence[str] | str | None) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"grouping columns {missing} are not in the table")
    return cols


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
    cols = _group_cols(df, by)
    # Rounded so that equal indices tie even when float noise separates them.
    score = df[score_col].astype(float).round(RANK_DECIMALS)
    if not cols:
        return score.rank(method="min", ascending=ascending, na_option="keep")
    keyed = df[cols].assign(_score=score)
    return keyed.groupby(cols, dropna=False, sort=False)["_score"].rank(
        method="min", ascending=ascending, na_option="keep"
    ).rename(score_col)


def _percentile_within(df: pd.DataFrame, score_col: str, cols: list[str]) -> pd.Series:
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
    n_lower = lo - 1
    ties_others = hi - lo
    others = (n - 1).where(n > 1)
    return 100.0 * (n_lower + 0.5 * ties_others) / others


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
    n_lower = int((v < x).sum())
    ties_others = int((v == x).sum()) - 1
    return 100.0 * (n_lower + 0.5 * ties_others) / (v.size - 1)


def add_ranks(
    regency_year: pd.DataFrame,
    score_col: str = "final_score_computed",
    by: Sequence[str] | str | None = DEFAULT_BY,
    cohort_col: str = "cohort_year",
) -> pd.DataFrame:
    """Add ranks and percentiles of ``score_col``.

    Percentiles use one definition throughout: the share of the *other*
    regencies in the comparison set that score strictly lower, ties counted
    half, times 100 (100 = unique best, 0 = unique worst, 50 = all tied; NaN
    when the set has a single score).

    Args:
        regency_year: The ``regency_year`` table.
        score_col: Column to rank (computed if it is ``final_score_computed``
            and absent).
        by: Groups in which ranks are published (year and evaluation group).
        cohort_col: Column defining the cohort for ``percentile_cohort``.

    Returns:
        A copy with ``rank_computed`` (competition rank within ``by``),
        ``n_in_group`` (scored regencies in the group), ``percentile_year``
        (within the year, all groups) and ``percentile_cohort`` (within the
        year and cohort; NaN where the cohort is unknown).
    """
    out = regency_year
    if score_col not in out.columns and score_col == "final_score_computed":
        out = compute_index(out)
    out = out.copy()
    cols = _group_cols(out, by)
    out["rank_computed"] = rank_scores(out, score_col, by=cols)
    if cols:
        out["n_in_group"] = out.groupby(cols, dropna=False, sort=False)[score_col].transform("count")
    else:
        out["n_in_group"] = out[score_col].notna().sum()
    out["percentile_year"] = _percentile_within(out, score_col, ["year"])
    pct_cohort = _percentile_within(out, score_col, ["year", cohort_col])
    out["percentile_cohort"] = pct_cohort.where(out[cohort_col].notna())
    return out


# --------------------------------------------------------------------------
# Rank uncertainty (Monte Carlo)
# --------------------------------------------------------------------------


def dirichlet_concentration(weight_spread: float, n_dimensions: int) -> float:
    """Dirichlet concentration for a given ``weight_spread``.

    Draws are ``w ~ Dirichlet(c * w0)`` (mean ``w0``). A weight's standard
    deviation is ``sqrt(w0 (1 - w0) / (c + 1))``. ``weight_spread`` is the
    coefficient of variation (sd / mean) of a weight equal to the average
    weight ``1/K``; hence ``c = (K - 1) / weight_spread**2 - 1``. Larger
    weights vary relatively less, smaller ones more. With K = 5 and
    ``weight_spread = 0.5``, c = 15: a 20 % weight has sd 10 points.

    Args:
        weight_spread: >= 0 and below ``sqrt(K - 1)``; 0 means fixed weights.
        n_dimensions: K, the number of dimensions.

    Returns:
        The concentration ``c`` (``inf`` when ``weight_spread`` is 0).

    Raises:
        ValueError: ``weight_spread`` is negative or too large (c <= 0).
    """
    if weight_spread < 0:
        raise ValueError(f"weight_spread must be >= 0, got {weight_spread}")
    if weight_spread == 0:
        return float("inf")
    c = (n_dimensions - 1) / weight_spread**2 - 1
    if c <= 0:
        raise ValueError(
            f"weight_spread {weight_spread} is too large for {n_dimensions} dimensions "
            f"(must be below {np.sqrt(n_dimensions - 1):.3g})"
        )
    return float(c)


def draw_weights(base: np.ndarray, n_draws: int, weight_spread: float, rng: np.random.Generator) -> np.ndarray:
    """Draw dimension weights around ``base`` (see :func:`dirichlet_concentration`).

    Args:
        base: Central weights (K,), summing to 1. A zero weight stays zero.
        n_draws: Number of draws.
        weight_spread: See :func:`dirichlet_concentration`.
        rng: Random generator (consumed only when ``weight_spread > 0``).

    Returns:
        Array (n_draws, K); each row sums to 1.
    """
    base = np.asarray(base, dtype=float)
    c = dirichlet_concentration(weight_spread, base.size)
    out = np.tile(base, (n_draws, 1))
    if np.isinf(c):
        return out
    positive = base > 0
    out[:, positive] = rng.dirichlet(c * base[positive], size=n_draws)
    return out


@dataclass
class _Draws:
    """Everything both Monte Carlo implementations share (inputs and random draws)."""

    units: pd.DataFrame  # one row per regency-year, positional
    dims: np.ndarray  # (n_units, K) table dimension scores
    years: np.ndarray  # (n_units,)
    year_weights: dict[int, np.ndarray]  # year -> (n_draws, K)
    assessor_units: dict[int, tuple[np.ndarray, np.ndarray, pd.DataFrame]]
    # unit position -> (assessor scores (m, K), resampled indices (n_draws, m), tidy rows)
    group_cols: list[str]
    n_draws: int


def _prepare_draws(
    regency_year: pd.DataFrame,
    n_draws: int,
    seed: int,
    weight_spread: float,
    assessor_scores: pd.DataFrame | None,
    by: Sequence[str] | str | None,
    weights: pd.DataFrame | Mapping[str, float] | None,
) -> _Draws:
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    keys = dimension_keys()
    units = regency_year.reset_index(drop=True)
    cols = _group_cols(units, by)
    if units.duplicated(["regency_id", "year"]).any():
        raise ValueError("regency_year has two rows for the same regency_id and year")
    years = units["year"].astype(int).to_numpy()
    wide = _weights_wide(weights, np.unique(years))
    rng = np.random.default_rng(seed)
    # Random numbers are consumed in a fixed order (years ascending, then
    # regency-years in table order) so both implementations see the same draws.
    year_weights = {
        int(y): draw_weights(wide.loc[y].to_numpy(), n_draws, weight_spread, rng) for y in wide.index
    }
    assessor_units: dict[int, tuple[np.ndarray, np.ndarray, pd.DataFrame]] = {}
    if assessor_scores is not None:
        need = {"regency_id", "year", "assessor", "dimension_key", "score"}
        missing = need - set(assessor_scores.columns)
        if missing:
            raise KeyError(f"assessor_scores lacks columns {sorted(missing)}")
        tidy = assessor_scores[assessor_scores["dimension_key"].isin(keys)]
        tidy = tidy.dropna(subset=["dimension_key"])
        wide_a = tidy.pivot_table(
            index=["regency_id", "year", "assessor"], columns="dimension_key",
            values="score", aggfunc="mean",
        ).reindex(columns=keys)
        pos = {(rid, int(yr)): i for i, (rid, yr) in enumerate(zip(units["regency_id"], years))}
        for (rid, yr), block in wide_a.groupby(level=["regency_id", "year"], sort=False):
            i = pos.get((rid, int(yr)))
            if i is None:
                continue  # assessor scores for a regency-year outside the table
            assessor_units[i] = (block.to_numpy(dtype=float), None, block.reset_index())
        for i in sorted(assessor_units):
            values, _, rows = assessor_units[i]
            m = values.shape[0]
            idx = rng.integers(0, m, size=(n_draws, m))
            assessor_units[i] = (values, idx, rows)
    return _Draws(
        units=units,
        dims=units[keys].to_numpy(dtype=float),
        years=years,
        year_weights=year_weights,
        assessor_units=assessor_units,
        group_cols=cols,
        n_draws=n_draws,
    )


def _rank_min_columns(block: np.ndarray) -> np.ndarray:
    """Ascending competition ranks (``method='min'``) of each column of ``block``.

    Equal to ``scipy.stats.rankdata(block, method='min', axis=0)``, about twice
    as fast: one argsort per draw on contiguous rows, and the rank of a run of
    ties is the position where the run starts.
    """
    rows = np.ascontiguousarray(block.T)  # (n_draws, n_units)
    n_draws, n = rows.shape
    if n == 0:
        return np.empty(block.shape)
    order = np.argsort(rows, axis=1)  # tie order is irrelevant: a run takes its start
    ordered = np.take_along_axis(rows, order, axis=1)
    run_start = np.empty(ordered.shape, dtype=bool)
    run_start[:, 0] = True
    run_start[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    positions = np.broadcast_to(np.arange(1, n + 1), ordered.shape)
    start_rank = np.maximum.accumulate(np.where(run_start, positions, 0), axis=1)
    ranks = np.empty(ordered.shape, dtype=float)
    np.put_along_axis(ranks, order, start_rank.astype(float), axis=1)
    return ranks.T


def rank_draws(
    regency_year: pd.DataFrame,
    n_draws: int = 1000,
    seed: int = 0,
    weight_spread: float = 0.5,
    assessor_scores: pd.DataFrame | None = None,
    by: Sequence[str] | str | None = DEFAULT_BY,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Ranks of every regency-year under every Monte Carlo draw (vectorised).

    All draws are computed as one (n_units x n_draws) score matrix and ranked
    per group at once (argsort-based, equal to
    ``scipy.stats.rankdata(method='min', axis=0)``).

    Args:
        regency_year: The ``regency_year`` table (one row per regency and year).
        n_draws: Number of draws.
        seed: Seed of ``numpy.random.default_rng``.
        weight_spread: Spread of the weight draws (:func:`dirichlet_concentration`).
        assessor_scores: Optional tidy assessor-level scores (``regency_id,
            year, assessor, dimension_key, score``). For the regency-years it
            covers, each draw resamples the assessors with replacement and
            uses their mean dimension scores; a dimension no resampled
            assessor scored falls back to the table value.
        by: Groups within which ranks are computed.
        weights: Central weights (default ``dimension_weights.csv``).

    Returns:
        ``(units, ranks)``: the table rows (reset index) and a float array
        (n_units, n_draws) of ranks, NaN where the score is missing.
    """
    d = _prepare_draws(regency_year, n_draws, seed, weight_spread, assessor_scores, by, weights)
    n_units, k = d.dims.shape
    # dims per unit and draw; only regency-years with assessor data vary by draw.
    scores = np.empty((n_units, n_draws))
    for year, w in d.year_weights.items():
        rows = np.flatnonzero(d.years == year)
        if rows.size:
            scores[rows] = _weighted_sum(d.dims[rows][:, None, :], w[None, :, :])
    for i, (values, idx, _) in d.assessor_units.items():
        with np.errstate(invalid="ignore"):
            picked = values[idx]  # (n_draws, m, K)
            counts = (~np.isnan(picked)).sum(axis=1)
            sums = np.where(np.isnan(picked), 0.0, picked).sum(axis=1)
            means = sums / counts
        means = np.where(counts > 0, means, d.dims[i][None, :])
        scores[i] = _weighted_sum(means, d.year_weights[int(d.years[i])])
    scores = np.round(scores, RANK_DECIMALS)
    ranks = np.full(scores.shape, np.nan)
    if d.group_cols:
        groups = d.units.groupby(d.group_cols, dropna=False, sort=False).indices.values()
    else:
        groups = [np.arange(n_units)]
    for rows in groups:
        block = scores[rows]
        missing = np.isnan(block)
        # Missing scores are ranked last, then blanked: they never take a place.
        r = _rank_min_columns(np.where(missing, np.inf, -block))
        r[missing] = np.nan
        ranks[rows] = r
    return d.units, ranks


def rank_draws_naive(
    regency_year: pd.DataFrame,
    n_draws: int = 1000,
    seed: int = 0,
    weight_spread: float = 0.5,
    assessor_scores: pd.DataFrame | None = None,
    by: Sequence[str] | str | None = DEFAULT_BY,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Same as :func:`rank_draws`, one pandas pass per draw (reference and benchmark).

    Same arguments, same random draws, same result; only slower.
    """
    d = _prepare_draws(regency_year, n_draws, seed, weight_spread, assessor_scores, by, weights)
    keys = dimension_keys()
    base = d.units.copy()
    years_sorted = sorted(d.year_weights)
    tidy_parts = {i: rows for i, (_, _, rows) in d.assessor_units.items()}
    ranks = np.full((len(base), n_draws), np.nan)
    for draw in range(n_draws):
        frame = base.copy()
        if d.assessor_units:
            picks = []
            for i, rows in tidy_parts.items():
                idx = d.assessor_units[i][1][draw]
                picks.append(rows.iloc[idx])
            resampled = pd.concat(picks, ignore_index=True)
            means = resampled.groupby(["regency_id", "year"], sort=False)[keys].mean()
            keyed = frame.set_index(["regency_id", "year"])
            fill = means.reindex(keyed.index)
            frame[keys] = fill.combine_first(keyed[keys]).to_numpy()
        w_long = pd.DataFrame(
            [
                {"year": y, "dimension_key": k, "weight": d.year_weights[y][draw, j]}
                for y in years_sorted
                for j, k in enumerate(keys)
            ]
        )
        frame = compute_index(frame, weights=w_long)
        ranks[:, draw] = rank_scores(frame, "final_score_computed", by=d.group_cols).to_numpy()
    return d.units, ranks


def summarise_rank_draws(units: pd.DataFrame, ranks: np.ndarray, top_n: int = 10) -> pd.DataFrame:
    """Summarise a rank matrix per regency-year.

    Args:
        units: Rows of the table, aligned with ``ranks``.
        ranks: (n_units, n_draws) ranks, NaN where unscored.
        top_n: Threshold for the share of draws in the top ``top_n``.

    Returns:
        ``regency_id``, ``regency``, ``year``, ``evaluation_group`` (those
        present), ``rank_median``, ``rank_p05``, ``rank_p95`` (5th and 95th
        percentiles over draws, linear interpolation), ``share_top{top_n}``.
    """
    cols = [c for c in ("regency_id", "regency", "province", "year", "evaluation_group") if c in units.columns]
    out = units[cols].copy()
    scored = ~np.isnan(ranks).all(axis=1)
    med = np.full(len(units), np.nan)
    p05 = np.full(len(units), np.nan)
    p95 = np.full(len(units), np.nan)
    share = np.full(len(units), np.nan)
    if scored.any():
        r = ranks[scored]
        # The nan-aware versions are several times slower; NaN is rare here.
        has_nan = np.isnan(r).any()
        median_fn, percentile_fn = (np.nanmedian, np.nanpercentile) if has_nan else (np.median, np.percentile)
        med[scored] = median_fn(r, axis=1)
        p05[scored], p95[scored] = percentile_fn(r, [5, 95], axis=1)
        share[scored] = (r <= top_n).sum(axis=1) / (~np.isnan(r)).sum(axis=1)
    out["rank_median"] = med
    out["rank_p05"] = p05
    out["rank_p95"] = p95
    out[f"share_top{top_n}"] = share
    return out


def rank_uncertainty(
    regency_year: pd.DataFrame,
    n_draws: int = 1000,
    seed: int = 0,
    weight_spread: float = 0.5,
    assessor_scores: pd.DataFrame | None = None,
    by: Sequence[str] | str | None = DEFAULT_BY,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
    top_n: int = 10,
) -> pd.DataFrame:
    """How stable each rank is under other plausible weights and panels.

    Monte Carlo over the dimension weights (Dirichlet centred on the year's
    weights, spread from ``weight_spread``: see :func:`dirichlet_concentration`)
    and, if ``assessor_scores`` is given, over the assessors (bootstrap of the
    panel within each regency-year). Vectorised: see :func:`rank_draws`.

    Args:
        regency_year: The ``regency_year`` table.
        n_draws: Number of draws.
        seed: Random seed.
        weight_spread: CV of an average-sized weight; 0 keeps the weights fixed.
        assessor_scores: Optional tidy assessor-level scores.
        by: Groups within which ranks are computed.
        weights: Central weights (default ``dimension_weights.csv``).
        top_n: Threshold for the ``share_top{top_n}`` column.

    Returns:
        One row per regency-year: identifiers, ``rank_median``, ``rank_p05``,
        ``rank_p95``, ``share_top10`` (share of draws ranked ``<= top_n``).
    """
    units, ranks = rank_draws(regency_year, n_draws, seed, weight_spread, assessor_scores, by, weights)
    return summarise_rank_draws(units, ranks, top_n=top_n)


def rank_uncertainty_naive(
    regency_year: pd.DataFrame,
    n_draws: int = 1000,
    seed: int = 0,
    weight_spread: float = 0.5,
    assessor_scores: pd.DataFrame | None = None,
    by: Sequence[str] | str | None = DEFAULT_BY,
    weights: pd.DataFrame | Mapping[str, float] | None = None,
    top_n: int = 10,
) -> pd.DataFrame:
    """:func:`rank_uncertainty` with a per-draw pandas loop; identical output, slower."""
    units, ranks = rank_draws_naive(regency_year, n_draws, seed, weight_spread, assessor_scores, by, weights)
    return summarise_rank_draws(units, ranks, top_n=top_n)
