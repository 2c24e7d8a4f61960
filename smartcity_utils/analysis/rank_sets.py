"""Confidence sets for ranks with a coverage guarantee, after Mogstad, Romano, Shaikh and Wilhelm (2024).

Reference: M. Mogstad, J. P. Romano, A. M. Shaikh and D. Wilhelm, "Inference for
Ranks with Applications to Mobility across Neighbourhoods and Academic
Achievement across Countries", Review of Economic Studies 91 (2024),
doi:10.1093/restud/rdad006. The algorithm follows the authors' R package
``csranks`` (MIT, ``danielwilhelm/R-CS-ranks``: ``csranks``, ``csdiffmeans``,
``cstaubest``), two-sided with the stepwise improvement, and is checked against
the PISA 2018 example its vignette prints (``tests/analysis/test_rank_sets.py``).

**What a set estimates.** The true rank of a unit is its place (1 = highest)
among the true values ``theta`` of its group. From estimates ``x`` with
``x - theta ~ N(0, Sigma)`` (approximately), every pair is compared by a
one-sided test of ``theta_i > theta_j`` whose critical value is the
``coverage`` quantile of the largest standardised difference of the bootstrap
errors (a parametric bootstrap ``Z ~ N(0, Sigma)``) over the pairs still in
play, stepping down until no pair is added. A unit's set runs from one plus the
number of units shown above it to the group size minus the number shown below
it. *Marginal*: the set of each unit holds its true rank with probability at
least ``coverage``; *simultaneous*: the sets of all units of the group hold all
true ranks at once with probability at least ``coverage``. The guarantee is
conservative (often above nominal) and rests on two assumptions: the errors are
close to normal, and ``Sigma`` is right (here: it must include what a whole panel
errs together, see :func:`shared_error_sd`).

Measured (``benchmarks/coverage_ranks.py``, 12 seeds of simulated panels that
share errors per panel and per item, with heavy tails, a 1/12 grid, a regency
effect and a year shock): the marginal and simultaneous sets held every true
rank; their median width was about 98 ranks in groups of up to 270, so on such
data they say little more than the group size. With the error understated
(sd a quarter of the true one) they fall short (``tests/analysis/test_rank_sets.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Default nominal coverage of a confidence set for ranks.
SET_COVERAGE = 0.95

#: Bootstrap draws of the max statistic (csranks uses 1000).
N_BOOT = 1000

#: Draws processed at once in the simultaneous statistic (memory: chunk x p x p floats).
_CHUNK_CELLS = 4_000_000


def _difference_sd(cov: np.ndarray) -> np.ndarray:
    d = np.diag(cov)
    return np.sqrt(np.maximum(d[:, None] + d[None, :] - 2 * cov, 0.0))


def _draws(cov: np.ndarray, n_boot: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Eigen-decomposition: works for a singular Sigma (as MASS::mvrnorm).
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    return rng.standard_normal((n_boot, cov.shape[0])) @ root.T


def _check(x, cov, coverage) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, float)
    cov = np.asarray(cov, float)
    if cov.ndim == 1:
        cov = np.diag(cov)
    if x.ndim != 1 or cov.shape != (x.size, x.size):
        raise ValueError(f"x must be a vector and Sigma its {x.size} x {x.size} covariance, got {cov.shape}")
    if not (np.isfinite(x).all() and np.isfinite(cov).all()):
        raise ValueError("x and Sigma must be finite (leave units without an estimate out)")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    return x, cov


def _quantile(stat: np.ndarray, coverage: float) -> float:
    stat = stat[np.isfinite(stat)]
    return float(np.quantile(stat, coverage)) if stat.size else -np.inf


def _stepdown(diff: np.ndarray, sd: np.ndarray, active: np.ndarray, stat_fn, coverage: float) -> np.ndarray:
    """Rejections ``theta_i > theta_j`` (boolean p x p) of the stepwise max-t procedure (csdiffmeans, 'lower').

    ``stat_fn(active)`` returns the bootstrap max over the active pairs of ``(Z_i - Z_j) / sd_ij``.
    Pairs with ``sd_ij = 0`` are known exactly: rejected when ``diff > 0``, never in the max.
    """
    known = sd <= 0
    rejected = active & known & (diff > 0)
    active = active & ~known
    while active.any():
        crit = _quantile(stat_fn(active), coverage)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = active & (diff - sd * crit > 0)
        if not new.any():
            break
        rejected |= new
        active = active & ~new
    return rejected


def _bounds(rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = rejected.shape[0]
    above = rejected.sum(axis=0)  # units shown higher than j
    below = rejected.sum(axis=1)  # units shown lower than i
    return (above + 1).astype(int), (p - below).astype(int)


def simultaneous_sets(x, cov, coverage: float = SET_COVERAGE, n_boot: int = N_BOOT, seed: int | None = 0,
                      indices: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simultaneous confidence sets for the ranks of ``indices`` (default all), csranks' ``simul=TRUE``.

    Rank 1 is the highest value. Returns ``(lower, upper)`` integer arrays for ``indices``.
    """
    x, cov = _check(x, cov, coverage)
    p = x.size
    idx = np.arange(p) if indices is None else np.asarray(indices, int)
    if p == 1:
        return np.ones(len(idx), int), np.ones(len(idx), int)
    diff = x[:, None] - x[None, :]
    sd = _difference_sd(cov)
    active = np.zeros((p, p), bool)
    # Two-sided with stepdown: csranks turns it into one-sided tests of every pair touching ``indices``.
    active[idx, :] = True
    active[:, idx] = True
    np.fill_diagonal(active, False)
    z = _draws(cov, n_boot, seed)
    safe_sd = np.where(sd > 0, sd, np.inf)

    def stat(act: np.ndarray) -> np.ndarray:
        return _max_t(z, safe_sd, act, sign=1.0)

    rejected = _stepdown(diff, sd, active, stat, coverage)
    above = rejected[:, idx].sum(axis=0)
    below = rejected[idx, :].sum(axis=1)
    return (above + 1).astype(int), (p - below).astype(int)


def _max_t(z: np.ndarray, safe_sd: np.ndarray, act: np.ndarray, sign: float) -> np.ndarray:
    """Per bootstrap draw, the largest ``sign * (Z_i - Z_j) / sd_ij`` over the active pairs ``act[i, j]``,
    in chunks that keep the draws-by-pairs array small."""
    n_boot = z.shape[0]
    rows = np.flatnonzero(act.any(axis=1))
    cols = np.flatnonzero(act.any(axis=0))
    sub = act[np.ix_(rows, cols)]
    scale = safe_sd[np.ix_(rows, cols)]
    out = np.empty(n_boot)
    chunk = max(1, _CHUNK_CELLS // max(1, sub.size))
    for s in range(0, n_boot, chunk):
        zz = z[s:s + chunk]
        t = sign * (zz[:, rows, None] - zz[:, None, cols]) / scale[None]
        out[s:s + chunk] = np.where(sub[None], t, -np.inf).max(axis=(1, 2))
    return out


def marginal_sets(x, cov, coverage: float = SET_COVERAGE, n_boot: int = N_BOOT, seed: int | None = 0,
                  indices: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Marginal confidence sets: for each unit of ``indices`` (default all) alone, csranks' ``simul=FALSE``.

    The same bootstrap draws serve every unit (each unit's set is a separate procedure, as in csranks).
    """
    x, cov = _check(x, cov, coverage)
    p = x.size
    idx = np.arange(p) if indices is None else np.asarray(indices, int)
    if p == 1:
        return np.ones(len(idx), int), np.ones(len(idx), int)
    sd = _difference_sd(cov)
    z = _draws(cov, n_boot, seed)
    lower, upper = np.empty(len(idx), int), np.empty(len(idx), int)
    for n, i in enumerate(idx):
        others = np.delete(np.arange(p), i)
        d = x[i] - x[others]  # theta_i - theta_j
        s = sd[i, others]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (z[:, [i]] - z[:, others]) / np.where(s > 0, s, np.inf)  # (n_boot, p-1)
        known = s <= 0
        up = ~known  # testing theta_i > theta_j
        down = ~known  # testing theta_j > theta_i
        shown_below = known & (d > 0)
        shown_above = known & (d < 0)
        while up.any() or down.any():
            if up.all() and down.all():
                stat = np.abs(t).max(axis=1)
            else:
                stat = np.maximum(np.where(up[None], t, -np.inf).max(axis=1, initial=-np.inf),
                                  np.where(down[None], -t, -np.inf).max(axis=1, initial=-np.inf))
            crit = _quantile(stat, coverage)
            new_up = up & (d - s * crit > 0)
            new_down = down & (-d - s * crit > 0)
            if not (new_up.any() or new_down.any()):
                break
            shown_below |= new_up
            shown_above |= new_down
            up &= ~new_up
            down &= ~new_down
        lower[n] = int(shown_above.sum()) + 1
        upper[n] = p - int(shown_below.sum())
    return lower, upper


def tau_best(x, cov, tau: int, coverage: float = SET_COVERAGE, n_boot: int = N_BOOT,
             seed: int | None = 0) -> np.ndarray:
    """Which units may be among the ``tau`` best (csranks' ``cstaubest``): True for each unit in the set.

    With probability at least ``coverage`` the set holds every unit whose true rank is ``tau`` or better.
    """
    x, cov = _check(x, cov, coverage)
    p = x.size
    if not 1 <= tau <= p:
        raise ValueError(f"tau must be between 1 and {p}, got {tau}")
    diff = x[:, None] - x[None, :]
    sd = _difference_sd(cov)
    active = ~np.eye(p, dtype=bool)
    z = _draws(cov, n_boot, seed)
    safe_sd = np.where(sd > 0, sd, np.inf)

    def stat(act: np.ndarray) -> np.ndarray:
        # One-sided upper bounds of theta_i - theta_j: max over the pairs of (Z_j - Z_i) / sd.
        return _max_t(z, safe_sd, act, sign=-1.0)

    # theta_j > theta_i shown, tested as "theta_i - theta_j < 0": the transpose of the lower-sided procedure.
    shown_above = _stepdown(-diff, sd, active, stat, coverage)  # [i, j]: theta_j > theta_i
    lower = shown_above.sum(axis=1) + 1
    return lower <= tau


# Rank sets for the regencies: the variance of each index
# --------------------------------------------------------------------------

#: Columns of :func:`rank_confidence_sets`.
SET_COLUMNS = ("rank", "index_se", "set_marginal_low", "set_marginal_high", "set_simultaneous_low",
               "set_simultaneous_high")


@dataclass(frozen=True)
class SharedError:
    """The size of the error a whole panel makes together, on the index scale, and where it came from.

    Attributes:
        sd: Standard deviation added to every regency-year's index (per panel and item, summed through the
            weights: what the index of a panel errs by when all its assessors err together).
        source: How ``sd`` was set, in words.
        sensitivity: Other sizes the sets are also computed under (a range for the reader).
        n_pairs: Regency pairs of consecutive years the default rests on (0 when set by hand).
    """

    sd: float
    source: str
    sensitivity: tuple[float, ...] = ()
    n_pairs: int = 0


#: The sensitivity range, as multiples of the data's default.
SENSITIVITY_FACTORS = (0.0, 0.5, 1.0, 1.5)


def panel_index_variance(units: pd.DataFrame, panel_error_cov: np.ndarray | None, panel_size,
                         weights: pd.DataFrame | None = None) -> np.ndarray:
    """Per regency-year, the variance of its index from its own assessors erring independently: ``w' Sigma w / m``.

    ``w`` is the year's weight vector, ``Sigma`` one assessor's dimension error covariance and ``m`` the
    panel's size (``panel_size``: one per row, or one for all). A regency-year missing a dimension keeps this
    variance: its published index was still scored by a panel.
    """
    from smartcity_utils.analysis.index import dimension_keys, weights_wide

    if panel_error_cov is None:
        return np.zeros(len(units))
    keys = dimension_keys()
    years = units["year"].astype(int).to_numpy()
    wide = weights_wide(weights, np.unique(years)).reindex(columns=keys)
    w = np.nan_to_num(wide.reindex(years).to_numpy(float))
    sigma = np.asarray(panel_error_cov, float)
    per_assessor = np.einsum("ij,jk,ik->i", w, sigma, w)
    m = np.broadcast_to(np.asarray(panel_size, float), per_assessor.shape)
    if not (m > 0).all():
        raise ValueError("panel sizes must be positive")
    return per_assessor / m


def shared_error_sd(units: pd.DataFrame, own_variance: np.ndarray, score_col: str = "final_score") -> SharedError:
    """Default size of the panel-shared error, from regencies scored in two consecutive evaluations.

    Within one panel the assessors' spread shows only what each errs on his own; an error the whole panel
    makes together (per panel, and per item) is invisible there. Where a regency is scored twice (two
    consecutive evaluation years, each by its own panel), the change of its index is its true change plus
    the difference of two panels' errors. Centred on each pair of years (a year shock and the common growth
    cancel), half its variance minus the panels' own part bounds the shared variance from above:
    ``sd^2 = max(0, var(change) / 2 - mean(own variance))``. It is an upper bound (a true change of the
    regency counts as panel error), so sets computed with it are wider than needed rather than narrower.
    """
    frame = units[["regency_id", "year", score_col]].assign(_own=own_variance).dropna(subset=[score_col])
    frame = frame.sort_values(["regency_id", "year"])
    nxt = frame.groupby("regency_id").shift(-1)
    pairs = frame.assign(next_year=nxt["year"], next_score=nxt[score_col], next_own=nxt["_own"]).dropna(
        subset=["next_year"])
    if len(pairs) < 5:
        return SharedError(0.0, f"fewer than 5 regencies scored in two evaluations ({len(pairs)}): no default "
                                "from the data; set the size by hand", (), int(len(pairs)))
    change = pairs["next_score"] - pairs[score_col]
    centred = change - change.groupby([pairs["year"], pairs["next_year"]]).transform("mean")
    groups = pairs.groupby(["year", "next_year"]).ngroups
    var = float((centred ** 2).sum() / max(1, len(centred) - groups))
    own = float((pairs["_own"] + pairs["next_own"]).mean() / 2)
    sd = float(np.sqrt(max(0.0, var / 2 - own)))
    source = (f"upper bound from {len(pairs)} regencies scored in two consecutive evaluations: half the variance "
              f"of their index change ({var:.4f}, centred per pair of years) less the panels' own part "
              f"({own:.4f})")
    return SharedError(round(sd, 4), source, tuple(round(f * sd, 4) for f in SENSITIVITY_FACTORS), int(len(pairs)))


def rank_confidence_sets(units: pd.DataFrame, index_variance: np.ndarray, score_col: str = "final_score",
                         by: Sequence[str] = ("year", "evaluation_group"), coverage: float = SET_COVERAGE,
                         n_boot: int = N_BOOT, seed: int = 0, rankable: np.ndarray | None = None,
                         simultaneous: bool = True) -> pd.DataFrame:
    """Marginal and simultaneous confidence sets for each regency-year's rank within its group.

    Estimand: the rank of the regency-year's error-free index (the index an error-free panel would give, under
    the year's weights) among those of its evaluation group. Each index is taken as its true value plus an
    error ``N(0, index_variance)``, independent between regency-years (each is scored by its own panel).
    Rows without a score or in a group not fully loaded (``rankable`` False) get no set.

    Returns:
        The identifying columns with :data:`SET_COLUMNS` (ranks are competition ranks of the scores).
    """
    from smartcity_utils.analysis.ranks import rank_scores

    units = units.reset_index(drop=True)
    ident = [c for c in ("regency_id", "regency", "province", "year", "evaluation_group") if c in units.columns]
    out = units[ident].copy()
    var = np.asarray(index_variance, float)
    score = units[score_col].to_numpy(float)
    ok = np.isfinite(score) & np.isfinite(var)
    if rankable is not None:
        ok &= np.asarray(rankable, bool)
    out["rank"] = rank_scores(units.assign(_s=np.where(ok, score, np.nan)), "_s", by=list(by)).to_numpy()
    out["index_se"] = np.where(ok, np.sqrt(np.clip(var, 0, None)), np.nan)
    for col in SET_COLUMNS[2:]:
        out[col] = np.nan
    cols = [c for c in by if c in units.columns]
    groups = units.groupby(cols, dropna=False, sort=False).indices.values() if cols else [np.arange(len(units))]
    for rows in groups:
        rows = rows[ok[rows]]
        if rows.size == 0:
            continue
        x, cov = score[rows], np.diag(var[rows])
        lo, hi = marginal_sets(x, cov, coverage, n_boot, seed)
        out.loc[rows, "set_marginal_low"], out.loc[rows, "set_marginal_high"] = lo, hi
        if not simultaneous:
            continue
        lo, hi = simultaneous_sets(x, cov, coverage, n_boot, seed)
        out.loc[rows, "set_simultaneous_low"], out.loc[rows, "set_simultaneous_high"] = lo, hi
    out.attrs["coverage"] = coverage
    return out


def set_assumptions(shared: SharedError, coverage: float = SET_COVERAGE) -> dict[str, object]:
    """What the regency rank sets estimate and assume, in plain words (for the metadata and the pages)."""
    return {
        "estimand": ("the rank of a regency-year's error-free index (what an error-free panel would give, with the "
                     "year's weights) within its year and evaluation group"),
        "method": ("confidence sets for ranks after Mogstad, Romano, Shaikh and Wilhelm (Review of Economic Studies "
                   "2024, doi:10.1093/restud/rdad006), as the R package csranks computes them: pairwise comparisons "
                   "by a parametric bootstrap of the largest standardised difference, stepping down"),
        "coverage": coverage,
        "marginal": f"each regency-year's set holds its true rank with probability at least {coverage:.0%}",
        "simultaneous": (f"the sets of all regency-years of a group hold all their true ranks at once with "
                         f"probability at least {coverage:.0%}"),
        "assumptions": ("each index is its true value plus a normal error, independent between regency-years; its "
                        "variance is the panel's own (w' Sigma w / m: one assessor's pooled error covariance over the "
                        "panel's size, the year's weights) plus a panel-shared error; weights taken as published"),
        "shared_error_sd": shared.sd,
        "shared_error_source": shared.source,
        "shared_error_sensitivity": list(shared.sensitivity),
    }


def set_sensitivity(units: pd.DataFrame, own_variance: np.ndarray, sizes: Sequence[float],
                    score_col: str = "final_score", rankable: np.ndarray | None = None,
                    coverage: float = SET_COVERAGE, n_boot: int = 200, seed: int = 0) -> list[dict[str, float]]:
    """How wide the marginal sets are under each shared-error size: median width and the share of one rank."""
    out = []
    for sd in sizes:
        sets = rank_confidence_sets(units, own_variance + sd ** 2, score_col, coverage=coverage, n_boot=n_boot,
                                    seed=seed, rankable=rankable, simultaneous=False)
        width = (sets["set_marginal_high"] - sets["set_marginal_low"] + 1).dropna()
        out.append({"shared_error_sd": float(sd), "median_width": float(width.median()) if len(width) else None,
                    "share_single_rank": float((width == 1).mean()) if len(width) else None})
    return out
