"""The general level the six pillars share, and what each pillar adds beyond it, for the index and for ranks.

The six pillars largely move as one (their first principal component carries
about three quarters of their variance), so a slope per pillar "with the
others equal" rests on the remaining quarter. This module answers the driver
question at the resolution the data have:

* **the general level**: the mean of the six pillars (``pc1_correlation``: its
  correlation with the first principal component of the pillars; with loadings
  this even the two are nearly the same), and the part of the index's within-year
  variance that goes with it alone (``r2_general``) beside the part that goes
  with all six pillars (``r2_all``);
* **each pillar beyond it**: the increase of that part when the pillar is added
  to the general level (``beyond``), and its Shapley share (general dominance)
  of ``r2_all``;
* **the same for ranks**: the part of the variance of the rank percentile
  within a year and evaluation group that goes with the general level, and
  with each pillar beyond it and by Shapley share.

Estimand (index): the share of the within-year variance of the error-free
index (what a very large panel would give) that goes with the error-free
general level, and the share each error-free pillar adds to it; the error
covariance of one assessor (pillars and headline) is removed from the
observed covariance, as in the lead estimate. Estimand (ranks): the share of
the variance of the rank percentile within a year and group that goes with
the observed general level and pillars (ranks are formed from observed
scores, so nothing is removed). Both are associations between two summaries
of one evaluation: the published index is built from the five dimensions,
not from the pillars. Intervals: percentile bootstrap over whole regencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.dominance import _shapley_from_subsets, _subset_r2_from_corr

#: Interval level of the bootstrap.
LEVEL = 0.95

#: Columns of the per-pillar table.
GENERAL_COLUMNS = ["pillar", "beyond", "beyond_low", "beyond_high", "share", "share_low", "share_high",
                   "beyond_bound_low", "beyond_bound_high", "rank_beyond", "rank_beyond_low", "rank_beyond_high",
                   "rank_share", "rank_share_low", "rank_share_high"]


@dataclass
class GeneralLevel:
    """The general level and each pillar beyond it (:func:`general_and_specific`).

    ``pillars`` has one row per pillar (:data:`GENERAL_COLUMNS`); ``overall`` one row per target
    (``index``, ``rank``) with ``r2_general``, ``r2_all`` and their intervals, ``slope_general`` (index
    points per point of the general level) and, for the index, the range of ``r2_general`` over the
    error-size bound; ``order`` says whether the order by ``beyond`` holds over that bound.
    """

    pillars: pd.DataFrame
    overall: pd.DataFrame
    order_holds: bool = True
    notes: dict = field(default_factory=dict)


def _weighted_cov(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Covariance of the columns of ``z`` with row weights ``w`` (counts of a bootstrap draw)."""
    total = w.sum()
    mean = w @ z / total
    d = z - mean
    return (d * w[:, None]).T @ d / (total - 1)


def _parts(cov: np.ndarray) -> dict[str, np.ndarray | float]:
    """From the covariance of (pillars, target): the parts of the target's variance that go with the general
    level, with each pillar beyond it, with all pillars, the Shapley shares and the general slope."""
    p = cov.shape[0] - 1
    nan = {"r2_general": np.nan, "r2_all": np.nan, "slope": np.nan, "beyond": np.full(p, np.nan),
           "share": np.full(p, np.nan), "pc1": np.nan}
    xx, xy, yy = cov[:p, :p], cov[:p, p], cov[p, p]
    if not (np.isfinite(cov).all() and yy > 0 and np.linalg.eigvalsh(xx)[0] > 0):
        return nan
    w = np.full(p, 1.0 / p)
    v_g, c_gy, c_gx = w @ xx @ w, w @ xy, xx @ w
    r2_general = c_gy ** 2 / (v_g * yy)
    beyond = np.empty(p)
    for j in range(p):
        a = np.array([[v_g, c_gx[j]], [c_gx[j], xx[j, j]]])
        b = np.array([c_gy, xy[j]])
        beyond[j] = b @ np.linalg.lstsq(a, b, rcond=None)[0] / yy - r2_general
    r2_all = xy @ np.linalg.solve(xx, xy) / yy
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    share = _shapley_from_subsets(_subset_r2_from_corr(corr), p)
    first = np.linalg.eigh(xx)[1][:, -1]  # loadings of the first principal component
    pc1 = float(abs(w @ xx @ first) / np.sqrt(v_g * (first @ xx @ first)))
    return {"r2_general": float(r2_general), "r2_all": float(r2_all), "slope": float(c_gy / v_g),
            "beyond": beyond, "share": share, "pc1": pc1}


def _centre(frame: pd.DataFrame, cols: list[str], by: list[str]) -> np.ndarray:
    if not by:
        return (frame[cols] - frame[cols].mean()).to_numpy(float)
    return (frame[cols] - frame.groupby(by)[cols].transform("mean")).to_numpy(float)


def _interval(draws: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    ok = draws[np.isfinite(draws).all(axis=tuple(range(1, draws.ndim)))] if draws.ndim > 1 else \
        draws[np.isfinite(draws)]
    if len(ok) < 2:
        shape = draws.shape[1:]
        return np.full(shape, np.nan), np.full(shape, np.nan)
    tail = (1 - level) / 2
    return np.quantile(ok, tail, axis=0), np.quantile(ok, 1 - tail, axis=0)


def general_and_specific(
    data: pd.DataFrame,
    target: str,
    pillars: Sequence[str],
    year_col: str | None = "year",
    cluster: str = "regency_id",
    rank_col: str | None = None,
    rank_group_cols: Sequence[str] = (),
    error_cov: pd.DataFrame | None = None,
    inv_m: np.ndarray | None = None,
    error_scales: Sequence[np.ndarray] = (),
    n_boot: int = 200,
    seed: int = 0,
) -> GeneralLevel:
    """The general level of the pillars and each pillar beyond it, for the index and for the rank percentile.

    Args:
        data: One row per regency-year with the pillars, ``target`` and ``cluster``.
        target: The index column.
        pillars: Pillar columns.
        year_col: Year column: the index part is within year (every column centred within year).
        cluster: Column whose levels the bootstrap resamples (a regency).
        rank_col: Column of the rank percentile within year and group (higher is better), or None.
        rank_group_cols: Columns of the groups within which the rank percentile is formed.
        error_cov: One assessor's error covariance of the pillars and the headline (last row and column), or
            None for no correction.
        inv_m: Per row of ``data``, one over the panel size (what the error of a panel mean scales with).
        error_scales: Per row of ``data``, factors on the error covariance whose results bound the index part
            (the lead estimate's error-size bound).
        n_boot: Bootstrap replicates.
        seed: Seed of the bootstrap.

    Returns:
        A :class:`GeneralLevel`.
    """
    pillars = list(pillars)
    p = len(pillars)
    mask = data[pillars + [target, cluster]].notna().all(axis=1).to_numpy()
    keep = data[mask].reset_index(drop=True)
    by = [year_col] if year_col and year_col in keep.columns and keep[year_col].nunique() > 1 else []
    z = _centre(keep, pillars + [target], by)
    clusters = pd.factorize(keep[cluster])[0]
    n_clusters = clusters.max() + 1
    sigma = None if error_cov is None else error_cov.to_numpy(float)
    inv = np.full(len(keep), np.nan) if inv_m is None else np.asarray(inv_m, float)[mask]
    error_scales = [np.asarray(s, float)[mask] for s in error_scales]

    def index_parts(w: np.ndarray, scale: np.ndarray | None = None) -> dict:
        cov = _weighted_cov(z, w)
        if sigma is not None:
            factor = inv if scale is None else inv * scale
            cov = cov - (w @ factor / w.sum()) * sigma
        return _parts(cov)

    ones = np.ones(len(keep))
    index = index_parts(ones)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)[:, clusters]
    boots = [index_parts(c.astype(float)) for c in counts if c.sum() > p + 2]

    def stack(parts: list[dict], key: str) -> np.ndarray:
        return np.array([b[key] for b in parts], dtype=float)

    bl, bh = _interval(stack(boots, "beyond"))
    sl, sh = _interval(stack(boots, "share"))
    gl, gh = _interval(stack(boots, "r2_general"))
    al, ah = _interval(stack(boots, "r2_all"))
    scaled = [index_parts(ones, s) for s in error_scales]
    scaled = [s for s in scaled if np.isfinite(s["r2_general"])]
    every = [index] + scaled
    beyond_all = np.array([s["beyond"] for s in every])
    table = pd.DataFrame({"pillar": pillars, "beyond": index["beyond"], "beyond_low": bl, "beyond_high": bh,
                          "share": index["share"], "share_low": sl, "share_high": sh,
                          "beyond_bound_low": beyond_all.min(axis=0), "beyond_bound_high": beyond_all.max(axis=0)})
    order = np.argsort(-index["beyond"], kind="stable")
    order_holds = all(tuple(np.argsort(-s["beyond"], kind="stable")) == tuple(order) for s in scaled)
    overall = [{"target": "index", "r2_general": index["r2_general"], "r2_general_low": gl, "r2_general_high": gh,
                "r2_all": index["r2_all"], "r2_all_low": al, "r2_all_high": ah, "slope_general": index["slope"],
                "pc1_correlation": index["pc1"],
                "r2_general_bound_low": min(s["r2_general"] for s in every),
                "r2_general_bound_high": max(s["r2_general"] for s in every),
                "corrected": sigma is not None, "n": len(keep), "n_clusters": int(n_clusters)}]

    rank = {"beyond": np.full(p, np.nan), "share": np.full(p, np.nan)}
    rank_boots: list[dict] = []
    if rank_col is not None and rank_col in keep.columns:
        rows = keep.dropna(subset=[rank_col]).index.to_numpy()
        groups = [c for c in rank_group_cols if c in keep.columns]
        zr = _centre(keep.loc[rows], pillars + [rank_col], groups)
        rank = _parts(_weighted_cov(zr, np.ones(len(rows))))
        rank_boots = [_parts(_weighted_cov(zr, c[rows].astype(float))) for c in counts if c[rows].sum() > p + 2]
        rgl, rgh = _interval(stack(rank_boots, "r2_general"))
        ral, rah = _interval(stack(rank_boots, "r2_all"))
        overall.append({"target": "rank", "r2_general": rank["r2_general"], "r2_general_low": rgl,
                        "r2_general_high": rgh, "r2_all": rank["r2_all"], "r2_all_low": ral, "r2_all_high": rah,
                        "slope_general": rank["slope"], "pc1_correlation": rank["pc1"], "r2_general_bound_low": np.nan,
                        "r2_general_bound_high": np.nan, "corrected": False, "n": len(rows),
                        "n_clusters": int(keep.loc[rows, cluster].nunique())})
    rbl, rbh = _interval(stack(rank_boots, "beyond")) if rank_boots else (np.full(p, np.nan),) * 2
    rsl, rsh = _interval(stack(rank_boots, "share")) if rank_boots else (np.full(p, np.nan),) * 2
    table = table.assign(rank_beyond=rank["beyond"], rank_beyond_low=rbl, rank_beyond_high=rbh,
                         rank_share=rank["share"], rank_share_low=rsl, rank_share_high=rsh)[GENERAL_COLUMNS]
    return GeneralLevel(pillars=table, overall=pd.DataFrame(overall), order_holds=bool(order_holds),
                        notes={"n_bound_runs": len(scaled)})


def order_under_bound(sensitivity: pd.DataFrame, lead: pd.DataFrame) -> pd.DataFrame:
    """Which pairs of pillars keep the lead's order over the error-size bound.

    Args:
        sensitivity: The lead's sensitivity table (``where == "bound"`` rows hold ``low`` and ``high`` per pillar).
        lead: The lead estimates (``pillar, estimate``).

    Returns:
        One row per pair in the lead's order (``above``, ``below``): ``above_low, above_high, below_low,
        below_high`` and ``determined`` (the ranges over the bound do not overlap, so no error size within it
        swaps the two). Empty when there is no bound.
    """
    cols = ["above", "below", "above_low", "above_high", "below_low", "below_high", "determined"]
    if sensitivity is None or sensitivity.empty or "where" not in sensitivity.columns:
        return pd.DataFrame(columns=cols)
    bound = sensitivity[sensitivity["where"] == "bound"].set_index("pillar")[["low", "high"]]
    order = lead.set_index("pillar")["estimate"].sort_values(ascending=False, kind="stable").index
    rows = []
    for a, b in combinations([k for k in order if k in bound.index], 2):
        (al, ah), (bl, bh) = bound.loc[a].to_numpy(float), bound.loc[b].to_numpy(float)
        rows.append({"above": a, "below": b, "above_low": al, "above_high": ah, "below_low": bl, "below_high": bh,
                     "determined": bool(np.isfinite([al, bh]).all() and al > bh)})
    return pd.DataFrame(rows, columns=cols)
