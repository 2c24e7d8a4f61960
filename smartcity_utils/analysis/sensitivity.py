"""Variance-based (Sobol) sensitivity of the headline ranking to the index weights and aggregation.

Pure functions on pandas DataFrames; imports numpy, pandas and, for the
Sobol design and analysis, SALib (``salib==1.6.0``). Nothing from
``smartcity_utils`` is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smartcity_utils.analysis.ranks import percentile_of_average_ranks

__all__ = ["sobol_rank_sensitivity", "composite_scores", "rank_shift"]

_AGGREGATIONS = ("arithmetic", "geometric")


def _salib():
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sobol_rank_sensitivity needs SALib: install it with `pip install salib==1.6.0` "
            "(the project pins salib==1.6.0)") from exc
    return sobol_sample, sobol_analyze


def composite_scores(
    x: np.ndarray, weights: np.ndarray, geometric: np.ndarray, floor: float
) -> np.ndarray:
    """Computes the composite index of every unit for every weight vector.

    Weighted arithmetic mean ``sum_d w_d x_d`` or weighted geometric mean
    ``prod_d max(x_d, floor)^w_d`` (weights sum to 1); a score below ``floor``
    is set to ``floor`` so that a zero does not make the geometric mean zero.
    Assumes scores on a common, non-negative scale.

    Args:
        x: units x dimensions scores.
        weights: samples x dimensions weights, each row summing to 1.
        geometric: samples, bool, True where the geometric mean is used.
        floor: lower bound applied before the geometric mean.

    Returns:
        units x samples composite scores.
    """
    out = x @ weights.T
    if np.any(geometric):
        logx = np.log(np.maximum(x, floor))
        out[:, geometric] = np.exp(logx @ weights[geometric].T)
    return out


def _percentile_ranks(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Percentile (0 to 100, the one rule of :mod:`smartcity_utils.analysis.ranks`) of every unit, per column,
    within its group."""
    out = np.empty_like(scores, dtype=float)
    for g in np.unique(groups):
        sel = groups == g
        out[sel] = percentile_of_average_ranks(stats.rankdata(scores[sel], axis=0, method="average"), sel.sum())
    return out


def rank_shift(ranks: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Mean absolute shift, in percentile points, of the units' percentiles from the base ones (one per column)."""
    return np.mean(np.abs(ranks - base[:, None]), axis=0)


#: Base sample size of the national Sobol analysis: with N = 256 the first-order intervals are as wide as the
#: indices themselves and cannot order the weights; N = 4096 resolves them at about 2 s a year.
SOBOL_N_BASE = 4096

#: Weight models of the Sobol inputs.
WEIGHT_MODELS = ("uniform", "dirichlet")

#: What the Sobol output is, in words (one scalar per model run).
OUTPUT_QUANTITY = ("mean over regency-years of |percentile rank under the drawn weights - percentile rank under "
                   "the year's weights|, in percentile points, ranks within the evaluation group")


def sobol_rank_sensitivity(
    dimension_scores: pd.DataFrame,
    base_weights: Mapping[str, float],
    spread: float | Mapping[str, float],
    n_base: int = 512,
    seed: int = 0,
    aggregations: Sequence[str] | None = ("arithmetic", "geometric"),
    groups: pd.Series | np.ndarray | str | None = None,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    geometric_floor: float = 0.01,
    weight_model: str = "uniform",
    concentration: float | None = None,
) -> pd.DataFrame:
    """Estimates the share of the variance of the ranking's mean absolute percentile shift that is due to each
    weight (first order S1 and total ST Sobol indices).

    Inputs of the Sobol design (``weight_model``): ``"uniform"``: each
    dimension weight, drawn independently and uniformly in
    ``[base - spread, base + spread]`` (clipped at 0) and renormalised to sum
    1 before use (so the indices refer to the drawn, un-normalised weights);
    ``"dirichlet"``: the weights of the rank bands, ``Dirichlet(c * base)``
    (``concentration`` c, see
    ``rank_uncertainty.dirichlet_concentration``), drawn as independent
    Gamma(c * base_d) components from independent uniform inputs (inverse
    CDF) and normalised, so that Sobol's independent inputs give exactly that
    Dirichlet; input ``w_d`` is then dimension d's Gamma component (its
    weight before the normalisation shares it out). Plus, when two aggregations are given, a switch
    drawn uniformly in [0, 1) that picks ``aggregations[0]`` below 0.5 and
    ``aggregations[1]`` otherwise. Output (one scalar per draw): the mean,
    over units, of the absolute difference between a unit's percentile rank
    under the drawn weights/aggregation and under the base weights with
    ``aggregations[0]``; percentile rank = average rank / number of units,
    within ``groups`` when given, so groups of different sizes are
    comparable; it is in percentile points (0 to 100). Assumes the weight
    ranges are the plausible ones, independent and uniform, and the scores
    are fixed (their measurement error is not varied here). Uses SALib's
    Saltelli/Sobol-sequence design ``SALib.sample.sobol.sample`` without
    second-order terms (``n_base * (D + 2)`` model runs) and
    ``SALib.analyze.sobol.analyze`` with bootstrap confidence intervals.

    Args:
        dimension_scores: one row per unit, one column per dimension (weighted
            columns are those in ``base_weights``); rows with a missing score
            are dropped.
        base_weights: {dimension: weight} base weights (renormalised to 1).
        spread: half-width of each weight's range, in weight units (scalar or
            per-dimension mapping).
        n_base: SALib base sample size N (a power of 2 keeps the Sobol
            sequence balanced).
        seed: seed for the scrambled Sobol sequence and the bootstrap.
        aggregations: one or two of "arithmetic", "geometric"; None or a
            single one fixes the aggregation (no switch input).
        groups: optional grouping (column name of ``dimension_scores``, or
            values aligned with its rows) within which units are ranked.
        num_resamples: SALib bootstrap resamples for the intervals.
        conf_level: confidence level of the intervals.
        geometric_floor: scores below it are set to it for the geometric mean.

    Returns:
        One row per input with S1, S1_conf, ST, ST_conf (half-widths of the
        SALib bootstrap intervals), S1_ci_low/high, ST_ci_low/high and the
        input's bounds. ``attrs`` hold ``steps`` (what ran), ``output``
        (description), ``n_runs``, ``output_mean``/``output_var`` and
        ``n_units``.

    Raises:
        ImportError: SALib is not installed (hint: ``pip install salib==1.6.0``).
        ValueError: bad weights, spread or aggregation names.
    """
    steps: list[str] = []
    sobol_sample, sobol_analyze = _salib()
    steps.append("imported SALib")

    dims = list(base_weights)
    missing = [d for d in dims if d not in dimension_scores.columns]
    if missing:
        raise KeyError(f"dimension_scores lacks {missing}")
    w0 = np.array([base_weights[d] for d in dims], float)
    if np.any(w0 < 0) or w0.sum() <= 0:
        raise ValueError("base weights must be non-negative with a positive sum")
    w0 = w0 / w0.sum()
    sp = np.array([spread[d] if isinstance(spread, Mapping) else spread for d in dims], float)
    if weight_model not in WEIGHT_MODELS:
        raise ValueError(f"weight_model must be one of {WEIGHT_MODELS}, got {weight_model!r}")
    if weight_model == "uniform" and np.any(sp <= 0):
        raise ValueError("spread must be positive for every dimension")
    if weight_model == "dirichlet" and not (concentration and concentration > 0):
        raise ValueError("the Dirichlet weight model needs a positive concentration")
    aggs = list(aggregations) if aggregations else ["arithmetic"]
    if isinstance(aggregations, str):
        aggs = [aggregations]
    bad = [a for a in aggs if a not in _AGGREGATIONS]
    if bad or not 1 <= len(aggs) <= 2:
        raise ValueError(f"aggregations: one or two of {_AGGREGATIONS}, got {aggregations!r}")

    if isinstance(groups, str):
        group_values = dimension_scores[groups].to_numpy()
    elif groups is None:
        group_values = np.zeros(len(dimension_scores), int)
    else:
        group_values = np.asarray(groups)
        if len(group_values) != len(dimension_scores):
            raise ValueError("groups must align with the rows of dimension_scores")
    keep = dimension_scores[dims].notna().all(axis=1).to_numpy()
    x = dimension_scores.loc[keep, dims].to_numpy(float)
    group_values = group_values[keep]
    steps.append(f"kept {int(keep.sum())} of {len(keep)} units with all {len(dims)} dimensions")

    if weight_model == "uniform":
        lower, upper = np.clip(w0 - sp, 0.0, None), w0 + sp
    else:
        lower, upper = np.zeros(len(dims)), np.ones(len(dims))  # uniform inputs of the inverse Gamma CDF
    names = [f"w_{d}" for d in dims]
    bounds = [[float(lo), float(hi)] for lo, hi in zip(lower, upper)]
    if len(aggs) == 2:
        names.append("aggregation")
        bounds.append([0.0, 1.0])
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}

    design = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    steps.append(f"SALib.sample.sobol.sample: N={n_base}, {len(design)} runs, no second order")
    w = design[:, : len(dims)]
    if weight_model == "dirichlet":
        # Inverse CDF of Gamma(c * w0_d): independent uniforms give independent Gammas; normalised, a Dirichlet.
        u = np.clip(w, 1e-12, 1 - 1e-12)
        w = np.column_stack([stats.gamma.ppf(u[:, j], concentration * w0[j]) for j in range(len(dims))])
    w = w / w.sum(axis=1, keepdims=True)
    if len(aggs) == 2:
        geometric = np.where(design[:, -1] < 0.5, aggs[0] == "geometric", aggs[1] == "geometric")
    else:
        geometric = np.full(len(design), aggs[0] == "geometric")

    base_geo = np.array([aggs[0] == "geometric"])
    base_rank = _percentile_ranks(composite_scores(x, w0[None], base_geo, geometric_floor),
                                  group_values)[:, 0]
    ranks = _percentile_ranks(composite_scores(x, w, geometric, geometric_floor), group_values)
    y = rank_shift(ranks, base_rank)
    steps.append("evaluated the mean absolute percentile-rank shift for every run")

    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                                conf_level=conf_level, seed=seed)
    steps.append(f"SALib.analyze.sobol.analyze: {num_resamples} bootstrap resamples, "
                 f"conf_level={conf_level}")
    out = pd.DataFrame({
        "input": names,
        "lower": [b[0] for b in bounds],
        "upper": [b[1] for b in bounds],
        "S1": np.asarray(res["S1"], float),
        "S1_conf": np.asarray(res["S1_conf"], float),
        "ST": np.asarray(res["ST"], float),
        "ST_conf": np.asarray(res["ST_conf"], float),
    })
    for s in ("S1", "ST"):
        out[f"{s}_ci_low"] = out[s] - out[f"{s}_conf"]
        out[f"{s}_ci_high"] = out[s] + out[f"{s}_conf"]
    if np.var(y) == 0:
        steps.append("output constant over the design: indices undefined (NaN)")
    # Does the first-order interval of the largest index stay clear of the next one's?
    ordered = out.sort_values("S1", ascending=False)
    resolved = bool(len(ordered) < 2 or ordered["S1_ci_low"].iloc[0] > ordered["S1_ci_high"].iloc[1])
    out.attrs.update(
        steps=steps,
        output=OUTPUT_QUANTITY,
        weight_model=weight_model, top_resolved=resolved,
        n_runs=int(len(design)), n_units=int(len(x)), output_mean=float(np.mean(y)),
        output_var=float(np.var(y)), base_aggregation=aggs[0], aggregations=aggs,
    )
    return out
