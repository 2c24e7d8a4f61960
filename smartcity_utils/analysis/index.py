"""The headline index: computed from the dimension scores, reconciled with the reported one.

The headline *Indeks Smart City* is a weighted mix of the evaluation
dimensions (Baseline, Output, Outcome, Impact, Quick Win); the weights are
configuration per year (``smartcity_utils/data/dimension_weights.csv``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.ranks import add_ranks
from smartcity_utils.errors import DataNote, UserError

#: Slack added to every reconciliation tolerance, for floating-point noise.
FLOAT_SLACK = 1e-9


def pillar_keys() -> list[str]:
    """Return the six pillar keys in canonical order."""
    return list(ref.PILLAR_KEYS)


def dimension_keys() -> list[str]:
    """Return the five dimension keys in canonical order."""
    return list(ref.DIMENSION_KEYS)


def weights_wide(weights: pd.DataFrame | Mapping[str, float] | None, years: Sequence[int]) -> pd.DataFrame:
    """Weights as a (year x dimension) table for ``years``, validated.

    Args:
        weights: Long table (``year``, ``dimension_key``, ``weight``), a mapping
            ``{dimension_key: weight}`` applied to every year, or None for the
            reference file.
        years: The years that need weights.

    Returns:
        DataFrame indexed by year, one column per dimension key (canonical order).

    Raises:
        ValueError: The table holds no year, a year misses a dimension, or its
            weights do not sum to 1. A year without weights gets those of the
            nearest year that has them (:func:`nearest_weights_year`) and a
            warning naming both: it is never a stop.
    """
    keys = dimension_keys()
    years = sorted({int(y) for y in years})
    if weights is None:
        weights = ref.dimension_weights()
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(keys)
        if unknown:
            raise UserError(f"unknown dimension keys in weights: {sorted(unknown)}; expected {keys}")
        row = pd.Series({k: float(weights.get(k, 0.0)) for k in keys})
        wide = pd.DataFrame([row] * len(years), index=pd.Index(years, name="year"))
    else:
        missing_cols = {"year", "dimension_key", "weight"} - set(weights.columns)
        if missing_cols:
            raise UserError(f"weights table lacks columns {sorted(missing_cols)}")
        unknown = set(weights["dimension_key"]) - set(keys)
        if unknown:
            raise UserError(f"unknown dimension keys in weights: {sorted(unknown)}; expected {keys}")
        long = weights.assign(year=weights["year"].astype(int))
        if long.duplicated(["year", "dimension_key"]).any():
            dup = long.loc[long.duplicated(["year", "dimension_key"]), "year"].unique().tolist()
            raise UserError(f"weights table has two weights for a dimension in year(s) {dup}")
        wide = long.pivot(index="year", columns="dimension_key", values="weight")
        wide = wide.reindex(columns=keys)
        absent = [y for y in years if y not in wide.index]
        known = sorted(int(y) for y in wide.index)
        if not known:
            raise UserError("the weights table holds no year; add the weights of each year to dimension_weights.csv")
        full = wide
        wide = full.reindex(years)
        if absent:
            # A year without weights is never a stop: the nearest year's weights stand in, marked assumed.
            used = {y: nearest_weights_year(y, known) for y in absent}
            for year, near in used.items():
                wide.loc[year] = full.loc[near]
            warnings.warn(f"no dimension weights for year(s) {absent}: "
                          + "; ".join(f"{y} uses those of {n} ({_weights_text(full.loc[n])}, assumed)"
                                      for y, n in used.items())
                          + f"; add them to dimension_weights.csv (years with weights: {known})", DataNote,
                          stacklevel=3)
        for year, row in wide.iterrows():
            if row.isna().any():
                raise UserError(
                    f"dimension weights for year {year} miss {row.index[row.isna()].tolist()}"
                )
    for year, row in wide.iterrows():
        total = float(row.sum())
        if not ref.weights_sum_to_one(total):
            raise UserError(f"dimension weights for year {year} sum to {total:.6g}, not 1")
        if (row < 0).any():
            raise UserError(f"dimension weights for year {year} include a negative weight")
    return wide.astype(float)


def nearest_weights_year(year: int, known: Sequence[int]) -> int:
    """The year whose weights stand in for ``year``, which has none: the nearest year with weights (the later
    one of two equally near)."""
    return min(known, key=lambda k: (abs(k - year), -k))


def _weights_text(weights: pd.Series) -> str:
    return "/".join(f"{100 * w:.0f}" for w in weights)


def weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum ``values[..., j] * weights[..., j]`` over j, in dimension order.

    The summation order is fixed (j = 0, 1, ...) so that the vectorised and the
    per-draw implementations perform the same floating-point operations.
    """
    total = values[..., 0] * weights[..., 0]
    for j in range(1, values.shape[-1]):
        total = total + values[..., j] * weights[..., j]
    return total


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
        ValueError: No year of the table has weights, or a year's weights do
            not sum to 1 (the message names the year). A year without weights
            gets those of the nearest year with weights, and a warning naming both.
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
    wide = weights_wide(weights, years.unique())
    w_rows = wide.reindex(years.to_numpy()).to_numpy(dtype=float)
    dims = out[keys].to_numpy(dtype=float)
    out["final_score_computed"] = weighted_sum(dims, w_rows)
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
        wide = weights_wide(weights, years.unique())
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
            raise UserError(f"tolerance must be >= 0, got {tolerance}")
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
    known = weights_of_years(frame["year"].unique()) if weights is None else None
    out["weights_status"] = (frame["year"].astype(int).map(known["weights_status"]).fillna("none")
                             if known is not None else "given")
    out["verdict"] = reconciliation_verdict(out["status"], out["weights_status"])
    return out


#: What a reconciliation says, in codes a report turns into words: the computed index agrees with the
#: published one within the rounding of the source; or it differs, with weights that a source documents
#: (then a score is suspect), or with weights no source gives for that year (then the weights are).
VERDICTS = ("agrees", "differs_documented", "differs_weights_unknown", "no_reported", "no_computed")


def reconciliation_verdict(status: pd.Series, weights_status: pd.Series) -> pd.Series:
    """The verdict of each reconciliation row (:data:`VERDICTS`)."""
    documented = weights_status.isin(["documented", "given"])
    verdict = np.select([status == "ok", (status == "mismatch") & documented, status == "mismatch",
                         status == "no_reported"],
                        ["agrees", "differs_documented", "differs_weights_unknown", "no_reported"], "no_computed")
    return pd.Series(verdict, index=status.index)


def weights_of_years(years: Sequence[int]) -> pd.DataFrame:
    """Per year: the dimension weights as a reader writes them (``10/20/30/20/20``), their status and source.

    A year the reference table does not cover takes the weights of the nearest year that has them, with
    status ``assumed`` and a source that says so (as :func:`weights_wide` does).

    Returns:
        Indexed by year: ``weights`` (text, in dimension order), one column per dimension key,
        ``weights_status`` (documented, inferred, assumed or none), ``weights_source``, ``weights_source_url``.
    """
    table = ref.dimension_weights()
    known = sorted(int(y) for y in table["year"].unique())
    rows = []
    for year in sorted({int(y) for y in years}):
        block = table[table["year"] == year].set_index("dimension_key").reindex(dimension_keys())
        if block["weight"].isna().all() and not known:
            rows.append({"year": year, "weights": None, "weights_status": "none", "weights_source": None,
                         "weights_source_url": None})
            continue
        if block["weight"].isna().all():
            # As compute_index does: the nearest year's weights, assumed.
            near = nearest_weights_year(year, known)
            block = table[table["year"] == near].set_index("dimension_key").reindex(dimension_keys())
            rows.append({"year": year, **block["weight"].to_dict(), "weights": _weights_text(block["weight"]),
                         "weights_status": "assumed",
                         "weights_source": f"no source gives the weights of {year}; assumed equal to those of "
                                           f"{near}, the nearest year in dimension_weights.csv",
                         "weights_source_url": None})
            continue
        rows.append({"year": year, **block["weight"].to_dict(),
                     "weights": _weights_text(block["weight"]),
                     "weights_status": block["status"].iloc[0], "weights_source": block["source"].iloc[0],
                     "weights_source_url": block["source_url"].iloc[0] or None})
    return pd.DataFrame(rows).set_index("year") if rows else pd.DataFrame(
        columns=["weights", "weights_status", "weights_source", "weights_source_url"])


def headline_score(table: pd.DataFrame) -> pd.Series:
    """The one headline rule: the reported index where the source has one, else the computed one.

    Args:
        table: Rows with ``final_score_reported`` and/or ``final_score_computed``.

    Raises:
        KeyError: when the table has neither column.
    """
    parts = [c for c in ("final_score_reported", "final_score_computed") if c in table.columns]
    if not parts:
        raise KeyError("the headline needs final_score_reported or final_score_computed")
    values = table[parts[0]].astype(float)
    for col in parts[1:]:
        values = values.fillna(table[col].astype(float))
    return values


def index_table(regency_year: pd.DataFrame) -> pd.DataFrame:
    """Regency-years with the computed index, the headline used, ranks and percentiles.

    ``final_score`` is the reported index where the source has one, else the
    index computed from the dimension scores with the year's weights;
    ``final_score_source`` says which. Ranks (``rank_computed``) are
    competition ranks of ``final_score`` within year and evaluation group.
    """

    table = compute_index(regency_year)
    reported = table["final_score_reported"]
    table["final_score"] = headline_score(table)
    table["final_score_source"] = reported.notna().map({True: "reported", False: "computed"})
    table.loc[table["final_score"].isna(), "final_score_source"] = "missing"
    return add_ranks(table, score_col="final_score")
