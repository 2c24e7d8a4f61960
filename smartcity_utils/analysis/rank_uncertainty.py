"""How sure a rank is: one Monte Carlo model of uncertainty for every year, over the panels and the weights.

The model (each source switchable):

* **Assessors.** A published score is the mean of a panel of 3 to 4
  assessors; another panel would have given another mean. Each draw adds a
  panel error drawn from ``N(0, Sigma / m)``: ``Sigma`` is the covariance of
  one assessor's dimension errors pooled over every panel with assessor rows
  (``panel_variance="pooled"``, the default) and ``m`` the panel's own size
  where its assessor rows exist, else the assumed size. One panel's own
  spread rests on 2 or 3 degrees of freedom: resampling its own assessors
  (``panel_variance="resample"``, after scaling their deviations from the
  panel mean by ``sqrt(m / (m - 1))``) gives bands that hold the true rank
  about 80 % of the time where 90 % is meant, the pooled one about 90 %
  (``benchmarks/stress_drivers.py``); the resampling is kept for comparison.
* **Panel-shared error.** What a whole panel errs by together (per panel and
  per item) leaves no trace in its own spread; each draw adds ``N(0, shared_sd^2)``
  to every regency-year's index (``shared_sd``, on the index scale; its default
  comes from regencies scored in consecutive years,
  :func:`smartcity_utils.analysis.rank_sets.shared_error_sd`).
* **A missing dimension.** A regency-year missing a dimension score keeps its
  published index, plus the index error of its panel (``w' Sigma w / m``) and the
  shared error: its band is never of zero width for want of a dimension.
* **Weights.** Each year's dimension weights are drawn from a Dirichlet
  centred on that year's weights, with spread :data:`WEIGHT_SPREAD`.

Ranks are competition ranks within year and evaluation group in every draw,
and only where the group is fully loaded (``group_complete``, when the table
has it): a rank among whatever rows happen to be loaded means nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.index import (
    compute_index,
    dimension_keys,
    weighted_sum,
    weights_wide,
)
from smartcity_utils.analysis.ranks import (
    DEFAULT_BY,
    RANK_DECIMALS,
    group_cols,
    rank_scores,
)

# Rank uncertainty (Monte Carlo)
# --------------------------------------------------------------------------

#: Spread of the weight draws (coefficient of variation of an average-sized
#: weight, see :func:`dirichlet_concentration`). Source: the two published
#: weight sets (docs/sources.md: Baseline/Output/Outcome/Impact/Quick Win
#: 10/20/30/20/20 and 10/20/30/30/10) differ by 10 points on Impact and Quick
#: Win; 0.25 gives a 20 % weight a standard deviation of 5 points: each of the
#: two weights is two standard deviations from the other set, and both at once
#: are reached by about 0.1 % of the draws (:func:`scenario_reach`). The band is
#: therefore the spread around one set, and the other set is shown beside it as a
#: named scenario (:func:`scenario_ranks`), never called plausible by the band.
WEIGHT_SPREAD = 0.25

#: Column whose value a regency-year keeps in every draw when one of its
#: dimension scores is missing (its index cannot be recomputed, but it still
#: took a place in the published ranking).
FALLBACK_SCORE = "final_score"

#: Choices of the assessor part of the model.
ASSESSOR_MODELS = ("resample", "none")

#: How a panel's error variance is set: one covariance pooled over all panels (divided by the panel's size), or
#: each panel's own assessors resampled (its own 2-3 degrees of freedom; under-covers, kept for comparison).
PANEL_VARIANCES = ("pooled", "resample")

#: Column saying whether a regency-year's evaluation group is fully loaded (its size known); where it is
#: False no rank is formed. Absent: every group counts as complete.
GROUP_COMPLETE = "group_complete"

#: Nominal coverage of a 5-95 % band.
BAND_NOMINAL = 0.90


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


@dataclass(frozen=True, eq=False)
class RankModel:
    """The rank uncertainty model: every source of variation and its switch, in one place.

    Attributes:
        n_draws: Number of Monte Carlo draws.
        seed: Seed of ``numpy.random.default_rng``.
        weight_spread: Spread of the weight draws (:func:`dirichlet_concentration`); 0 keeps the weights fixed.
        assessor_scores: Optional tidy assessor-level scores (``regency_id,
            year, assessor, dimension_key, score``). For the regency-years it
            covers, each draw resamples the assessors with replacement (after
            the ``(m-1)/m`` correction) and uses their mean dimension scores; a
            dimension no resampled assessor scored falls back to the table
            value. None switches the resampling off.
        by: Groups within which ranks are computed (default year and evaluation group).
        weights: Central weights (default ``dimension_weights.csv``).
        panel_error_cov: Covariance (K x K) of one assessor's dimension
            errors; where given, regency-years without assessor scores get a
            model-based panel error ``N(0, panel_error_cov / panel_size)`` per
            draw. None switches it off.
        panel_size: Assumed panel size for those regency-years.
        shared_sd: Standard deviation of the error a whole panel makes together, on the index scale, added to
            every regency-year's index in every draw (0 switches it off).
        panel_variance: ``"pooled"`` (default): every regency-year gets
            ``N(0, panel_error_cov / m)`` with its own ``m`` where its assessor
            rows exist (``panel_error_cov`` estimated from ``assessor_scores``
            when not given); ``"resample"``: regency-years with assessor rows
            resample their own assessors (see the module docstring).
    """

    n_draws: int = 1000
    seed: int = 0
    weight_spread: float = WEIGHT_SPREAD
    assessor_scores: pd.DataFrame | None = None
    by: Sequence[str] | str | None = DEFAULT_BY
    weights: pd.DataFrame | Mapping[str, float] | None = None
    panel_error_cov: np.ndarray | None = None
    panel_size: float | None = None
    panel_variance: str = "pooled"
    shared_sd: float = 0.0

    def assumptions(self) -> dict[str, object]:
        """The model's assumptions and switches in plain words, for a table's metadata."""
        panels = []
        pooled = self.panel_variance == "pooled"
        if self.assessor_scores is not None and not pooled:
            panels.append("where assessor-level scores exist, assessors resampled with replacement after scaling "
                          "deviations from the panel mean by sqrt(m/(m-1)), so the draws vary by the unbiased s^2/m")
        if pooled and (self.panel_error_cov is not None or self.assessor_scores is not None):
            size = f"m = {self.panel_size:.2f}" if self.panel_size else "m their own"
            panels.append("every regency-year: a panel error drawn from N(0, Sigma/m), Sigma one assessor's "
                          "dimension error covariance pooled within every panel with assessor rows, m the panel's "
                          f"own size where its assessor rows exist, else assumed ({size}); assessors of one panel "
                          "taken to err independently, and Sigma taken to hold in years without assessor rows")
        elif self.panel_error_cov is not None:
            panels.append("elsewhere, a panel error drawn from N(0, Sigma/m), Sigma the covariance of one "
                          f"assessor's dimension errors within panels, m = {self.panel_size:.2f}")
        return {
            "model": "one model for every year; ranks within " + " x ".join(_as_cols(self.by)),
            "assessors": "; ".join(panels) if panels else "off (panel means taken as exact)",
            "weights": (f"Dirichlet around each year's weights, weight_spread = {self.weight_spread} (a 20 % weight "
                        f"has sd {100 * 0.2 * self.weight_spread:.0f} points); the published weight sets are ranked "
                        "as named scenarios beside the band (weight_scenarios), with the share of draws that reach "
                        "them (weight_scenario_sets)" if self.weight_spread > 0
                        else "off (each year's weights fixed)"),
            "shared_error": (f"every regency-year's index also gets a panel-shared error N(0, {self.shared_sd:.3f}^2) "
                             "per draw: what the whole panel errs by together (per panel and per item), which the "
                             "spread within a panel cannot show" if self.shared_sd > 0
                             else "off (assessors of a panel taken to err independently)"),
            "missing_dimension": (f"a regency-year missing a dimension score keeps its {FALLBACK_SCORE} plus, per "
                                  "draw, its panel's index error (w' Sigma w / m, the year's weights) and the shared "
                                  "error: its band has width like any other"),
            "complete_groups": (f"no band where {GROUP_COMPLETE} is False (the evaluation group is not fully "
                                "loaded, so a rank among the loaded rows means nothing)"),
            "switches": "weight_spread=0 turns the weights off; assessor_scores=None and panel_error_cov=None "
                        "turn the panels off",
            "n_draws": self.n_draws,
            "seed": self.seed,
        }


def _as_cols(by: Sequence[str] | str | None) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def _model(model: RankModel | None, options: Mapping[str, object]) -> RankModel:
    if model is not None and options:
        raise TypeError("give either a RankModel or its fields as keywords, not both")
    return model if model is not None else RankModel(**options)


@dataclass
class _Draws:
    """Everything both Monte Carlo implementations share (inputs and random draws)."""

    units: pd.DataFrame  # one row per regency-year, positional
    dims: np.ndarray  # (n_units, K) table dimension scores
    years: np.ndarray  # (n_units,)
    year_weights: dict[int, np.ndarray]  # year -> (n_draws, K)
    assessor_units: dict[int, tuple[np.ndarray, np.ndarray, pd.DataFrame]]
    # unit position -> (assessor scores (m, K), resampled indices (n_draws, m), tidy rows)
    model_units: dict[int, np.ndarray]
    # unit position -> dimension scores per draw (n_draws, K): panel mean plus a model-based panel error
    group_cols: list[str]
    n_draws: int
    fallback: np.ndarray  # (n_units,) the table's index, used where a dimension is missing
    rankable: np.ndarray  # (n_units,) False where the evaluation group is not fully loaded
    fallback_noise: dict[int, np.ndarray]  # unit position -> (n_draws,) panel error of the index, missing dimension
    shared: np.ndarray | None  # (n_units, n_draws) panel-shared error of the index, or None


def _prepare_draws(regency_year: pd.DataFrame, model: RankModel) -> _Draws:
    n_draws, seed, weight_spread = model.n_draws, model.seed, model.weight_spread
    assessor_scores, by, weights = model.assessor_scores, model.by, model.weights
    panel_error_cov, panel_size = model.panel_error_cov, model.panel_size
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    if model.panel_variance not in PANEL_VARIANCES:
        raise ValueError(f"panel_variance must be one of {PANEL_VARIANCES}, got {model.panel_variance!r}")
    pooled = model.panel_variance == "pooled"
    keys = dimension_keys()
    units = regency_year.reset_index(drop=True)
    cols = group_cols(units, by)
    if units.duplicated(["regency_id", "year"]).any():
        raise ValueError("regency_year has two rows for the same regency_id and year")
    years = units["year"].astype(int).to_numpy()
    wide = weights_wide(weights, np.unique(years))
    rng = np.random.default_rng(seed)
    # Random numbers are consumed in a fixed order (years ascending, then
    # regency-years in table order) so both implementations see the same draws.
    year_weights = {
        int(y): draw_weights(wide.loc[y].to_numpy(), n_draws, weight_spread, rng) for y in wide.index
    }
    assessor_units: dict[int, tuple[np.ndarray, np.ndarray, pd.DataFrame]] = {}
    own_size: dict[int, int] = {}
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
        if pooled:
            # The pooled model needs only each panel's size: no resampled rows are built.
            sizes_a = wide_a.groupby(level=["regency_id", "year"], sort=False).size()
            own_size = {pos[(rid, int(yr))]: int(m) for (rid, yr), m in sizes_a.items() if (rid, int(yr)) in pos}
            if panel_error_cov is None:
                panel_error_cov = dimension_error_cov(tidy)
        for (rid, yr), block in ([] if pooled else wide_a.groupby(level=["regency_id", "year"], sort=False)):
            i = pos.get((rid, int(yr)))
            if i is None:
                continue  # assessor scores for a regency-year outside the table
            values = block.to_numpy(dtype=float)
            m = values.shape[0]
            if m >= 2:
                # (m - 1) / m correction: resampled means then vary by s^2 / m, not (m - 1) s^2 / m^2.
                with np.errstate(invalid="ignore"):
                    centre = np.nanmean(values, axis=0)
                values = centre + np.sqrt(m / (m - 1)) * (values - centre)
            rows = block.reset_index()
            rows[keys] = values
            assessor_units[i] = (values, None, rows)
        for i in sorted(assessor_units):
            values, _, rows = assessor_units[i]
            m = values.shape[0]
            idx = rng.integers(0, m, size=(n_draws, m))
            assessor_units[i] = (values, idx, rows)
    model_units: dict[int, np.ndarray] = {}
    fallback_noise: dict[int, np.ndarray] = {}
    if panel_error_cov is not None:
        sizes = own_size if pooled and assessor_scores is not None else {}
        if (not panel_size or panel_size <= 0) and len(sizes) < len(units):
            if sizes:
                # The assumed size of a panel without assessor rows: the harmonic mean of the known ones.
                panel_size = len(sizes) / sum(1.0 / v for v in sizes.values())
            else:
                raise ValueError("panel_size must be positive when panel_error_cov is given")
        dims = units[keys].to_numpy(dtype=float)
        base_cov = np.asarray(panel_error_cov, dtype=float)
        for i in range(len(units)):
            if i in assessor_units or np.isnan(dims[i]).all():
                continue
            cov = base_cov / sizes.get(i, panel_size)
            noise = rng.multivariate_normal(np.zeros(len(keys)), cov, size=n_draws)
            model_units[i] = dims[i] + noise
            if np.isnan(dims[i]).any():
                # A missing dimension: the published index carries the panel's error through the year's weights.
                fallback_noise[i] = noise @ np.nan_to_num(wide.loc[years[i]].to_numpy(float))
        # Regency-years with no dimension at all but an index (a letter giving the index alone).
        for i in np.flatnonzero(np.isnan(dims).all(axis=1)):
            if i in assessor_units:
                continue
            w = np.nan_to_num(wide.loc[years[i]].to_numpy(float))
            var = float(w @ base_cov @ w) / sizes.get(int(i), panel_size)
            fallback_noise[int(i)] = rng.normal(0.0, np.sqrt(max(var, 0.0)), n_draws)
    shared = None
    if model.shared_sd < 0:
        raise ValueError(f"shared_sd must be >= 0, got {model.shared_sd}")
    if model.shared_sd > 0:
        shared = rng.normal(0.0, model.shared_sd, (len(units), n_draws))
    return _Draws(
        units=units,
        dims=units[keys].to_numpy(dtype=float),
        years=years,
        year_weights=year_weights,
        assessor_units=assessor_units,
        model_units=model_units,
        group_cols=cols,
        n_draws=n_draws,
        fallback=(units[FALLBACK_SCORE].to_numpy(dtype=float) if FALLBACK_SCORE in units.columns
                  else np.full(len(units), np.nan)),
        rankable=rankable_rows(units),
        fallback_noise=fallback_noise,
        shared=shared,
    )


def rankable_rows(units: pd.DataFrame) -> np.ndarray:
    """True where a rank can be formed: the evaluation group is fully loaded (:data:`GROUP_COMPLETE`).

    A table without the column counts as complete everywhere.
    """
    if GROUP_COMPLETE not in units.columns:
        return np.ones(len(units), bool)
    return units[GROUP_COMPLETE].fillna(False).astype(bool).to_numpy()


def dimension_error_cov(assessor_scores: pd.DataFrame) -> np.ndarray:
    """One assessor's dimension error covariance, pooled within every panel (see ``measurement.error_covariance``).

    Args:
        assessor_scores: Tidy rows ``regency_id, year, assessor, dimension_key, score``.
    """
    from smartcity_utils.analysis.measurement import error_covariance

    keys = dimension_keys()
    tidy = assessor_scores[assessor_scores["dimension_key"].isin(keys)]
    tidy = tidy.groupby(["regency_id", "year", "assessor", "dimension_key"], as_index=False)["score"].mean()
    cov = error_covariance(tidy, ["regency_id", "year"], "assessor", keys, item_col="dimension_key")
    return cov.reindex(index=keys, columns=keys).to_numpy(float)


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


def rank_draws(regency_year: pd.DataFrame, model: RankModel | None = None,
               **options) -> tuple[pd.DataFrame, np.ndarray]:
    """Ranks of every regency-year under every Monte Carlo draw (vectorised).

    All draws are computed as one (n_units x n_draws) score matrix and ranked
    per group at once (argsort-based, equal to
    ``scipy.stats.rankdata(method='min', axis=0)``).

    Args:
        regency_year: The ``regency_year`` table (one row per regency and year).
        model: The :class:`RankModel`; or give its fields as keywords (``n_draws=...``).

    Returns:
        ``(units, ranks)``: the table rows (reset index) and a float array
        (n_units, n_draws) of ranks, NaN where the score is missing.
    """
    d = _prepare_draws(regency_year, _model(model, options))
    n_draws = d.n_draws
    n_units, k = d.dims.shape
    # dims per unit and draw; only regency-years with assessor data vary by draw.
    scores = np.empty((n_units, n_draws))
    for year, w in d.year_weights.items():
        rows = np.flatnonzero(d.years == year)
        if rows.size:
            scores[rows] = weighted_sum(d.dims[rows][:, None, :], w[None, :, :])
    for i, (values, idx, _) in d.assessor_units.items():
        with np.errstate(invalid="ignore"):
            picked = values[idx]  # (n_draws, m, K)
            counts = (~np.isnan(picked)).sum(axis=1)
            sums = np.where(np.isnan(picked), 0.0, picked).sum(axis=1)
            means = sums / counts
        means = np.where(counts > 0, means, d.dims[i][None, :])
        scores[i] = weighted_sum(means, d.year_weights[int(d.years[i])])
    for i, draws in d.model_units.items():
        filled = np.where(np.isnan(draws), d.dims[i][None, :], draws)
        scores[i] = weighted_sum(filled, d.year_weights[int(d.years[i])])
    # A regency-year missing a dimension keeps the table's index plus its panel's error: it still takes its place.
    fallback = np.repeat(d.fallback[:, None], n_draws, axis=1)
    for i, noise in d.fallback_noise.items():
        fallback[i] = fallback[i] + noise
    scores = np.where(np.isnan(scores), fallback, scores)
    if d.shared is not None:
        scores = scores + d.shared
    scores = np.round(scores, RANK_DECIMALS)
    scores[~d.rankable] = np.nan  # no rank in a group that is not fully loaded
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


def rank_draws_naive(regency_year: pd.DataFrame, model: RankModel | None = None,
                     **options) -> tuple[pd.DataFrame, np.ndarray]:
    """Same as :func:`rank_draws`, one pandas pass per draw (reference and benchmark).

    Same arguments, same random draws, same result; only slower.
    """
    d = _prepare_draws(regency_year, _model(model, options))
    n_draws = d.n_draws
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
        for i, draws in d.model_units.items():
            frame.loc[frame.index[i], keys] = draws[draw]
        w_long = pd.DataFrame(
            [
                {"year": y, "dimension_key": k, "weight": d.year_weights[y][draw, j]}
                for y in years_sorted
                for j, k in enumerate(keys)
            ]
        )
        frame = compute_index(frame, weights=w_long)
        fallback = d.fallback.copy()
        for i, noise in d.fallback_noise.items():
            fallback[i] = fallback[i] + noise[draw]
        frame["final_score_computed"] = frame["final_score_computed"].fillna(pd.Series(fallback, frame.index))
        if d.shared is not None:
            frame["final_score_computed"] = frame["final_score_computed"] + d.shared[:, draw]
        frame.loc[~d.rankable, "final_score_computed"] = np.nan
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


def rank_uncertainty(regency_year: pd.DataFrame, model: RankModel | None = None, top_n: int = 10,
                     naive: bool = False, **options) -> pd.DataFrame:
    """How stable each rank is under other plausible weights and panels.

    Monte Carlo over the dimension weights (Dirichlet centred on the year's
    weights, spread from ``weight_spread``: see :func:`dirichlet_concentration`)
    and over the panels (assessors resampled, or a model-based panel error):
    see :class:`RankModel`. Vectorised: see :func:`rank_draws`.

    Args:
        regency_year: The ``regency_year`` table.
        model: The :class:`RankModel`; or give its fields as keywords (``n_draws=...``).
        top_n: Threshold for the ``share_top{top_n}`` column.
        naive: Use :func:`rank_draws_naive` (same draws, same result, slower).

    Returns:
        One row per regency-year: identifiers, ``rank_median``, ``rank_p05``,
        ``rank_p95``, ``share_top10`` (share of draws ranked ``<= top_n``);
        ``attrs["assumptions"]`` holds :meth:`RankModel.assumptions`.
    """
    model = _model(model, options)
    units, ranks = (rank_draws_naive if naive else rank_draws)(regency_year, model)
    out = summarise_rank_draws(units, ranks, top_n=top_n)
    out.insert(out.columns.get_loc("rank_median"), "panel_model", panel_model_labels(units, model))
    out.attrs["assumptions"] = model.assumptions()
    return out


def panel_model_labels(units: pd.DataFrame, model: RankModel) -> list[str]:
    """Per regency-year, which panel error its band carries (in words)."""
    has = set()
    if model.assessor_scores is not None:
        has = set(map(tuple, model.assessor_scores[["regency_id", "year"]].drop_duplicates()
                      .astype({"year": int}).to_numpy().tolist()))
    keys = list(zip(units["regency_id"], units["year"].astype(int)))
    rankable = rankable_rows(units)
    pooled = model.panel_variance == "pooled"
    out = []
    for key, ok in zip(keys, rankable):
        if not ok:
            out.append("no band: evaluation group not fully loaded")
        elif key in has:
            out.append("pooled error covariance / own panel size" if pooled
                       else "assessors resampled, (m-1)/m corrected")
        elif model.panel_error_cov is not None or (pooled and has):
            out.append("pooled error covariance / assumed panel size")
        else:
            out.append("no panel error (panel mean taken as exact)")
    return out


#: Sets of panels simulated from the data at hand to check the rank bands' coverage of the true rank:
#: 20 sets of about 800 bands give the coverage to about +-0.5 points (binomial, bands within a set dependent).
BAND_CHECK_SETS = 20


def band_coverage_check(regency_year: pd.DataFrame, model: RankModel, n_rep: int = BAND_CHECK_SETS,
                        seed: int = 1) -> dict[str, object]:
    """How often a 5-95 % band holds the true rank, on panels simulated from the data at hand.

    The published ranks cannot check the bands (the bands are centred on
    the published scores). Instead the table's dimension scores are taken as
    the truth, ``n_rep`` sets of panel means are drawn around them from the
    model's panel error (``N(0, Sigma / m)``), the bands are computed from
    each drawn set as from real data (weights fixed: they are known here) and
    each band is checked against the rank of the truth (the panel-shared error of
    the model, ``shared_sd``, drawn too). It checks the computation of the bands under their
    own model, not that model: the data cannot show it. It measures whether
    the band procedure holds its nominal 90 % at this table's spacing of
    scores and group sizes, under the panel model itself; departures from
    that model are measured by ``benchmarks/stress_drivers.py``.

    Args:
        regency_year: The table the bands were computed for.
        model: The :class:`RankModel` used (its panel error covariance is needed).
        n_rep: Simulated sets of panels.
        seed: Seed of the simulated panels.

    Returns:
        ``n_rep``, ``n_bands`` (regency-years with a band, summed over sets),
        ``coverage`` (share of bands holding the true rank), ``nominal``.
    """
    from dataclasses import replace

    cov = model.panel_error_cov
    if cov is None and model.assessor_scores is not None:
        cov = dimension_error_cov(model.assessor_scores)
    if cov is None:
        return {"n_rep": 0, "n_bands": 0, "coverage": None, "nominal": BAND_NOMINAL,
                "note": "no panel error covariance: nothing to check"}
    # The bands as computed from data (pooled panel model, weights known here), and the truth (no panel error).
    banding = replace(model, weight_spread=0.0, panel_variance="pooled", panel_error_cov=np.asarray(cov, float))
    units, truth = rank_draws(regency_year, replace(banding, n_draws=1, panel_error_cov=None, assessor_scores=None,
                                                    shared_sd=0.0))
    truth = truth[:, 0]
    # The panel error of each regency-year: drawn once per set, as the panel model says.
    d = _prepare_draws(regency_year, replace(banding, n_draws=n_rep, seed=seed, weight_spread=0.0))
    keys = dimension_keys()
    complete = ~np.isnan(d.dims).any(axis=1)
    hits = total = 0
    for rep in range(n_rep):
        drawn = units.copy()
        values = d.dims.copy()
        for i, draws in d.model_units.items():
            values[i] = draws[rep]
        if d.shared is not None:
            # The panel-shared error, the same on every dimension (the weights sum to 1: the index moves by it).
            values = values + d.shared[:, [rep]]
        drawn[keys] = values
        _, ranks = rank_draws(drawn, replace(banding, seed=seed + 1 + rep))
        band = summarise_rank_draws(drawn, ranks)
        low, high = band["rank_p05"].to_numpy(), band["rank_p95"].to_numpy()
        ok = np.isfinite(truth) & np.isfinite(low) & complete
        hits += int(((low <= truth) & (truth <= high) & ok).sum())
        total += int(ok.sum())
    return {"n_rep": int(n_rep), "n_bands": int(total), "coverage": round(hits / total, 4) if total else None,
            "nominal": BAND_NOMINAL}


def rank_uncertainty_naive(regency_year: pd.DataFrame, model: RankModel | None = None, top_n: int = 10,
                           **options) -> pd.DataFrame:
    """:func:`rank_uncertainty` with a per-draw pandas loop; identical output, slower."""
    return rank_uncertainty(regency_year, model, top_n=top_n, naive=True, **options)


# Published weight sets as named scenarios
# --------------------------------------------------------------------------

#: File of the published weight sets (``scenario, label_en, label_id, dimension_key, weight, source``).
WEIGHT_SCENARIOS_FILE = "weight_scenarios.csv"


def weight_scenarios(path=None) -> pd.DataFrame:
    """The published weight sets, one row per set and dimension, each with its source.

    A third set found in the sources, 10/20/40/30/20 (a Bandung article),
    sums to 120 %: a reporting error, so it is not a scenario.

    Raises:
        ValueError: a set that does not sum to 1, an unknown dimension or a
            weight that is not a number, naming the file, row and value.
    """
    from smartcity_utils import paths

    path = path or paths.REFERENCE_DIR / WEIGHT_SCENARIOS_FILE
    frame = pd.read_csv(path)
    keys = dimension_keys()
    for row, r in zip(range(2, len(frame) + 2), frame.itertuples()):
        if r.dimension_key not in keys:
            raise ValueError(f"{path}, row {row}, column 'dimension_key': {r.dimension_key!r} is not one of "
                             f"{keys}; fix the key")
        if not isinstance(r.weight, (int, float)) or not np.isfinite(r.weight) or r.weight < 0:
            raise ValueError(f"{path}, row {row}, column 'weight': {r.weight!r} is not a weight; "
                             "write a share between 0 and 1")
    sums = frame.groupby("scenario")["weight"].sum()
    bad = sums[~sums.map(ref.weights_sum_to_one)]
    if len(bad):
        raise ValueError(f"{path}, column 'weight': set {bad.index[0]!r} sums to {bad.iloc[0]:g}, not 1; fix its rows")
    return frame


def scenario_ranks(regency_year: pd.DataFrame, scenarios: pd.DataFrame | None = None,
                   by: Sequence[str] | str | None = DEFAULT_BY) -> pd.DataFrame:
    """The index and rank of every regency-year under its year's weights and under each published set.

    Ranks are formed within ``by`` and only where the group is fully loaded
    (:data:`GROUP_COMPLETE`); a regency-year missing a dimension has no index
    or rank here.

    Returns:
        One row per regency-year and weight set: ``regency_id, year`` (and the
        ``by`` columns), ``scenario`` ("year_weights" for the year's own),
        ``index``, ``rank``.
    """
    scenarios = weight_scenarios() if scenarios is None else scenarios
    keys = dimension_keys()
    units = regency_year.reset_index(drop=True)
    cols = group_cols(units, by)
    ident = units[list(dict.fromkeys(["regency_id", "year", *cols]))]
    rankable = rankable_rows(units)
    dims = units[keys].to_numpy(float)
    years = units["year"].astype(int).to_numpy()
    wide = weights_wide(None, np.unique(years))
    sets = {"year_weights": wide.reindex(years).to_numpy(float)}
    for name, block in scenarios.groupby("scenario", sort=False):
        w = block.set_index("dimension_key")["weight"].reindex(keys).fillna(0.0).to_numpy(float)
        sets[str(name)] = np.tile(w, (len(units), 1))
    parts = []
    for name, w in sets.items():
        index = np.where(rankable, np.sum(dims * w, axis=1), np.nan)
        frame = ident.assign(scenario=name, index=index)
        frame["rank"] = rank_scores(frame, "index", by=cols).to_numpy()
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def scenario_reach(scenarios: pd.DataFrame | None = None, weights=None, weight_spread: float = WEIGHT_SPREAD,
                   n_draws: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """How often the Dirichlet of the rank bands reaches each published set, per year.

    ``share_of_draws_reaching`` is the share of Dirichlet draws
    (:func:`draw_weights`) in which every weight that differs between the
    set and the year's weights has moved at least as far towards the set
    (for 10/20/30/20/20 against 10/20/30/30/10: Impact down 10 points or more
    and Quick Win up 10 points or more). Per weight such a move is two
    standard deviations; both at once, far rarer. A set the draws almost
    never reach is outside what the band covers: it is shown as a named
    scenario, not called plausible by the band. ``max_weight_difference`` is
    the largest difference of one weight from the year's, in weight points.

    Returns:
        ``year, scenario, max_weight_difference, share_of_draws_reaching``.
    """
    from smartcity_utils.reference import dimension_weights

    scenarios = weight_scenarios() if scenarios is None else scenarios
    keys = dimension_keys()
    long = dimension_weights() if weights is None else weights
    wide = weights_wide(long, sorted(set(long["year"].astype(int))))
    rng = np.random.default_rng(seed)
    rows = []
    for year, base in wide.iterrows():
        base = base.reindex(keys).to_numpy(float)
        draws = draw_weights(base, n_draws, weight_spread, rng)
        for name, block in scenarios.groupby("scenario", sort=False):
            w = block.set_index("dimension_key")["weight"].reindex(keys).fillna(0.0).to_numpy(float)
            diff = w - base
            moved = np.abs(diff) > 1e-12
            # Moved at least as far towards the set, in every weight that differs (a tiny slack for rounding).
            toward = (draws[:, moved] - base[moved]) * np.sign(diff[moved]) >= np.abs(diff[moved]) - 1e-9
            rows.append({"year": int(year), "scenario": str(name), "max_weight_difference": round(float(np.abs(
                diff).max()), 6), "share_of_draws_reaching": float(np.mean(toward.all(axis=1))) if moved.any()
                else 1.0})
    return pd.DataFrame(rows)
