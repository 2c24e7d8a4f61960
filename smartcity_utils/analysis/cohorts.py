"""Cohort comparison: a focus regency against its peers, and cohorts against each other.

A *cohort* is, by default, the year a regency joined the programme
(``cohort_year``, *angkatan*), but any column of the ``regency_year`` table can
play that role (``province``, ``kind``, ``evaluation_group``). Rows whose cohort
value is missing are left out of every comparison: they have no peers to
compare with.

Cohorts can be compared at equal calendar year (``by='calendar'``: the 2017
and 2021 cohorts in 2024) or at equal time in the programme
(``by='programme_year'``: each cohort in its third year). Neither view
separates experience from the calendar: years in the programme (age), the
evaluation year (period) and the joining year (cohort) are tied by
``age = period - cohort``, so only two of the three can vary at once and no
comparison of these data can split their effects apart without an outside
assumption.

* At equal calendar year, cohorts share the evaluation year (the same
  assessors' year, form and weights), so a difference mixes experience with
  whatever distinguishes the cohorts (who joined when, and why).
* At equal years in the programme, cohorts share experience, but each is
  seen in a different calendar year, so a difference mixes the cohort with
  changes of the evaluation between years (form, weights, scale, assessors).

Read a difference in either view as a description, not as the effect of
time in the programme.

The measure ``'final_score'`` means the published index where there is one
and the computed index otherwise: the published figure is the official one,
and the computed one (which reconciles with it within rounding) fills the
rows with no published headline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from smartcity_utils.analysis.index import headline_score, pillar_keys
from smartcity_utils.analysis.ranks import percentile_among
from smartcity_utils.errors import UserError

FINAL_SCORE = "final_score"

_TIME_COLUMNS = {"calendar": "year", "programme_year": "years_in_programme"}


# --------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------


def cliffs_delta(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Cliff's delta: ``P(X > Y) - P(X < Y)`` over all pairs.

    1 when every x exceeds every y, -1 when every x is below every y, 0 for
    identical samples. Computed in O((n + m) log m) with a sorted ``y``.

    Args:
        x: First sample (NaN ignored).
        y: Second sample (NaN ignored).

    Returns:
        The delta, or NaN if either sample is empty.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.sort(np.asarray(y, dtype=float))
    xa = xa[~np.isnan(xa)]
    ya = ya[~np.isnan(ya)]
    if xa.size == 0 or ya.size == 0:
        return float("nan")
    below = np.searchsorted(ya, xa, side="left")  # y strictly below each x
    above = ya.size - np.searchsorted(ya, xa, side="right")  # y strictly above
    return float((below.sum() - above.sum()) / (xa.size * ya.size))


def cliffs_delta_ci(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
                    level: float = 0.95) -> tuple[float, float, float]:
    """Cliff's delta with Cliff's asymmetric confidence interval (Cliff 1993, Psychological Bulletin 114(3);
    recommended by Feng and Cliff 2004, Journal of Modern Applied Statistical Methods 3(2)).

    Estimand: ``P(X > Y) - P(X < Y)`` for a member drawn from each population.
    The variance is Cliff's unbiased estimate from the pair dominances
    ``d_ij = sign(x_i - y_j)``, floored at ``(1 - d^2) / (mn - 1)`` as Cliff
    advises (when every pair agrees, computed as if one pair were tied, so that
    a complete separation of small samples keeps an interval); the interval is
    ``(d - d^3 +- z s sqrt((1 - d^2)^2 + z^2 s^2)) / (1 - d^2 + z^2 s^2)``,
    which stays within [-1, 1]. It assumes the members of each sample are
    independent of each other (one row per regency).

    Args:
        x: First sample (NaN ignored).
        y: Second sample (NaN ignored).
        level: Coverage of the interval.

    Returns:
        ``(delta, low, high)``; the bounds are NaN with fewer than two values in either sample.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    xa, ya = xa[~np.isnan(xa)], ya[~np.isnan(ya)]
    m, n = xa.size, ya.size
    if m == 0 or n == 0:
        return float("nan"), float("nan"), float("nan")
    dom = np.sign(xa[:, None] - ya[None, :])
    observed = d = float(dom.mean())
    if m < 2 or n < 2:
        return d, float("nan"), float("nan")
    if abs(d) == 1:
        # Every pair agrees: the formula has no spread to work with, so the interval is computed as if one pair
        # were tied (the nearest delta the samples could show), and the observed side keeps its bound of 1.
        dom = dom.copy()
        dom[0, 0] = 0.0
        d = float(dom.mean())
    rows, cols = dom.mean(axis=1), dom.mean(axis=0)
    var = ((n ** 2) * ((rows - d) ** 2).sum() + (m ** 2) * ((cols - d) ** 2).sum() - ((dom - d) ** 2).sum()) \
        / (m * n * (m - 1) * (n - 1))
    var = max(var, (1 - d ** 2) / (m * n - 1))
    z = float(stats.norm.ppf(0.5 + level / 2))
    s = np.sqrt(var)
    centre, spread = d - d ** 3, z * s * np.sqrt((1 - d ** 2) ** 2 + z ** 2 * var)
    denom = 1 - d ** 2 + z ** 2 * var
    low, high = (centre - spread) / denom, (centre + spread) / denom
    if abs(observed) == 1:
        low, high = (low, 1.0) if observed > 0 else (-1.0, high)
    return observed, float(max(-1.0, low)), float(min(1.0, high))


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and do not count.

    Args:
        pvalues: Raw p-values of one family of tests.

    Returns:
        Adjusted p-values, same order.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def bootstrap_median_ci(
    x: Sequence[float] | np.ndarray,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Bootstrap percentile confidence interval for the median.

    Args:
        x: Sample (NaN ignored).
        n_boot: Number of bootstrap resamples.
        seed: Random seed.
        confidence: Confidence level.

    Returns:
        ``(low, high)``; NaN for fewer than two values (one value says
        nothing about sampling variability).
    """
    xa = np.asarray(x, dtype=float)
    xa = xa[~np.isnan(xa)]
    if xa.size < 2:
        return float("nan"), float("nan")
    if np.all(xa == xa[0]):
        return float(xa[0]), float(xa[0])
    res = stats.bootstrap(
        (xa,), np.median, n_resamples=n_boot, method="percentile",
        confidence_level=confidence, vectorized=True, rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _default_measures() -> list[str]:
    return pillar_keys() + [FINAL_SCORE]


def measure_values(regency_year: pd.DataFrame, measure: str) -> pd.Series:
    """The values of ``measure``, resolving ``'final_score'`` (see module docstring).

    Args:
        regency_year: The ``regency_year`` table.
        measure: A column name, or ``'final_score'``.

    Returns:
        Float Series aligned on the table.
    """
    if measure == FINAL_SCORE and FINAL_SCORE not in regency_year.columns:
        return headline_score(regency_year)
    if measure not in regency_year.columns:
        raise KeyError(f"measure {measure!r} is not a column of the table")
    return regency_year[measure].astype(float)


def _time_column(regency_year: pd.DataFrame, by: str) -> tuple[pd.DataFrame, str]:
    if by not in _TIME_COLUMNS:
        raise ValueError(f"by must be one of {sorted(_TIME_COLUMNS)}, got {by!r}")
    col = _TIME_COLUMNS[by]
    frame = regency_year
    if col not in frame.columns:
        if col == "years_in_programme" and {"year", "cohort_year"} <= set(frame.columns):
            # Same convention as the table: a 2017 regency is in year 3 in 2020.
            frame = frame.assign(years_in_programme=frame["year"] - frame["cohort_year"])
        else:
            raise KeyError(f"the table has no {col!r} column")
    return frame, col


def _long(regency_year: pd.DataFrame, measures: Iterable[str], cohort_col: str, time_col: str) -> pd.DataFrame:
    """One row per regency, time and measure, with its cohort; missing values dropped."""
    if cohort_col not in regency_year.columns:
        raise KeyError(f"cohort column {cohort_col!r} is not in the table")
    parts = []
    for m in measures:
        keep = list(dict.fromkeys(["regency_id", cohort_col, time_col] +
                                  (["year"] if "year" in regency_year.columns else [])))
        part = regency_year[keep].copy()
        part["measure"] = m
        part["value"] = measure_values(regency_year, m).to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    return long.dropna(subset=[cohort_col, time_col, "value"])


# --------------------------------------------------------------------------
# Focus regency against its cohort
# --------------------------------------------------------------------------


def focus_vs_cohort(
    regency_year: pd.DataFrame,
    focus_ids: Iterable[int],
    years: Iterable[int] | None = None,
    cohort_col: str = "cohort_year",
    measures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Place each focus regency within its cohort, per measure and year.

    The cohort of a row is the set of regencies with the same ``cohort_col``
    value in the same year that have a value for the measure (the focus
    regency included). The percentile is the share of the *other* cohort
    members scoring strictly lower, ties counted half (as in
    :func:`smartcity_utils.index.add_ranks`).

    Args:
        regency_year: The ``regency_year`` table.
        focus_ids: ``regency_id`` values of the focus regencies.
        years: Years to report (default: every year of each focus regency).
        cohort_col: Column defining the cohort.
        measures: Columns to compare (default: the six pillars and
            ``'final_score'``).

    Returns:
        One row per focus regency, year and measure: ``regency_id``,
        ``regency``, ``year``, ``cohort`` (the focus regency's value of
        ``cohort_col``), ``measure``, ``score``, ``cohort_median``,
        ``cohort_best``, ``n_in_cohort``, ``percentile_in_cohort``,
        ``gap_to_median`` (score - cohort median).

    Raises:
        ValueError: A focus id is not in the table.
    """
    measures = list(measures) if measures is not None else _default_measures()
    focus_ids = list(focus_ids)
    unknown = [f for f in focus_ids if f not in set(regency_year["regency_id"])]
    if unknown:
        raise UserError(f"focus regency_id(s) {unknown} are not in the table")
    if cohort_col not in regency_year.columns:
        raise KeyError(f"cohort column {cohort_col!r} is not in the table")
    values = {m: measure_values(regency_year, m) for m in measures}
    year_set = None if years is None else {int(y) for y in years}
    rows = []
    for fid in focus_ids:
        focus_rows = regency_year[regency_year["regency_id"] == fid]
        for idx, frow in focus_rows.sort_values("year").iterrows():
            year = int(frow["year"])
            if year_set is not None and year not in year_set:
                continue
            cohort = frow[cohort_col]
            if pd.isna(cohort):
                peers = regency_year.index[:0]
            else:
                peers = regency_year.index[
                    (regency_year["year"] == year) & (regency_year[cohort_col] == cohort)
                ]
            for m in measures:
                score = float(values[m].loc[idx])
                peer_vals = values[m].loc[peers].dropna().to_numpy()
                n = int(peer_vals.size)
                median = float(np.median(peer_vals)) if n else float("nan")
                rows.append(
                    {
                        "regency_id": fid,
                        "regency": frow.get("regency"),
                        "year": year,
                        "cohort": cohort,
                        "measure": m,
                        "score": score,
                        "cohort_median": median,
                        "cohort_best": float(peer_vals.max()) if n else float("nan"),
                        "n_in_cohort": n,
                        "percentile_in_cohort": percentile_among(peer_vals, score),
                        "gap_to_median": score - median,
                    }
                )
    columns = ["regency_id", "regency", "year", "cohort", "measure", "score", "cohort_median",
               "cohort_best", "n_in_cohort", "percentile_in_cohort", "gap_to_median"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------
# Cohorts against each other
# --------------------------------------------------------------------------


@dataclass
class CohortComparison:
    """Result of :func:`compare_cohorts`.

    Attributes:
        summary: Per measure, time point and cohort: ``n``, ``median``,
            ``median_ci_low``, ``median_ci_high`` (bootstrap percentile CI),
            ``q25``, ``q75``.
        kruskal: Per measure and time point: ``n_cohorts``, ``n``,
            ``statistic``, ``p_value`` and ``p_holm`` (Holm across the
            measures at that time point), ``holm_family`` (the number of tests of that family).
        pairwise: Per measure, time point and pair of cohorts: ``n_a``,
            ``n_b``, ``median_a``, ``median_b``, ``u_statistic``, ``p_value``
            (two-sided Mann-Whitney U), ``p_holm`` (Holm across all measures
            and pairs at that time point), ``holm_family``, ``calendar_a`` and ``calendar_b`` (the calendar
            years each cohort is seen in there), ``cliffs_delta`` (positive when
            cohort a scores higher) with ``cliffs_delta_low`` and ``_high`` (95 %, :func:`cliffs_delta_ci`).
        time_col: ``'year'`` or ``'years_in_programme'``.
        cohort_col: The cohort column.
    """

    summary: pd.DataFrame
    kruskal: pd.DataFrame
    pairwise: pd.DataFrame
    time_col: str
    cohort_col: str


def compare_cohorts(
    regency_year: pd.DataFrame,
    measure: str | Sequence[str],
    by: str = "calendar",
    cohort_col: str = "cohort_year",
    n_boot: int = 2000,
    seed: int = 0,
    min_n: int = 2,
) -> CohortComparison:
    """Compare the distribution of one or more measures across cohorts.

    At each time point (calendar year, or years in the programme), the
    cohorts with at least ``min_n`` values are compared: Kruskal-Wallis
    across all of them, and Mann-Whitney U with Cliff's delta for every pair.
    Holm's correction is applied within each time point, across measures
    (Kruskal-Wallis) and across measures and pairs (Mann-Whitney): one family
    per time point, not one across all time points; ``holm_family`` says how
    many tests each family holds. Cliff's delta carries its 95 % interval
    (:func:`cliffs_delta_ci`).

    Args:
        regency_year: The ``regency_year`` table.
        measure: A measure or a list of measures (pillar keys,
            ``'final_score'``, any numeric column).
        by: ``'calendar'`` (equal ``year``: cohorts differ in experience)
            or ``'programme_year'`` (equal ``years_in_programme``: cohorts
            differ in calendar year); neither isolates the effect of
            experience (see the module docstring).
        cohort_col: Column defining the cohort.
        n_boot: Bootstrap resamples for the median CIs.
        seed: Seed of the bootstrap.
        min_n: Smallest cohort size that enters the tests.

    Returns:
        A :class:`CohortComparison`.
    """
    measures = [measure] if isinstance(measure, str) else list(measure)
    frame, time_col = _time_column(regency_year, by)
    long = _long(frame, measures, cohort_col, time_col)

    summary_rows, kw_rows, pair_rows = [], [], []
    for (m, t), block in long.groupby(["measure", time_col], sort=True):
        samples = {c: g["value"].to_numpy() for c, g in block.groupby(cohort_col, sort=True)}
        # The calendar years each cohort is seen in at this time point: at equal years in the programme they
        # differ between cohorts, and a difference between the cohorts is one between calendar years too.
        seen = ({c: ", ".join(str(int(y)) for y in sorted(g["year"].dropna().unique()))
                 for c, g in block.groupby(cohort_col, sort=True)} if "year" in block.columns else {})
        for c, v in samples.items():
            low, high = bootstrap_median_ci(v, n_boot=n_boot, seed=seed)
            summary_rows.append(
                {"measure": m, time_col: t, cohort_col: c, "n": v.size, "median": float(np.median(v)),
                 "median_ci_low": low, "median_ci_high": high,
                 "q25": float(np.quantile(v, 0.25)), "q75": float(np.quantile(v, 0.75))}
            )
        tested = {c: v for c, v in samples.items() if v.size >= min_n}
        stat, p = float("nan"), float("nan")
        if len(tested) >= 2:
            try:
                stat, p = stats.kruskal(*tested.values())
            except ValueError:
                pass  # every value identical: no test possible
        kw_rows.append({"measure": m, time_col: t, "n_cohorts": len(tested),
                        "n": int(sum(v.size for v in tested.values())),
                        "statistic": float(stat), "p_value": float(p)})
        for a, b in combinations(sorted(tested), 2):
            xa, xb = tested[a], tested[b]
            u, pu = stats.mannwhitneyu(xa, xb, alternative="two-sided")
            pair_rows.append(
                {"measure": m, time_col: t, "cohort_a": a, "cohort_b": b, "n_a": xa.size, "n_b": xb.size,
                 "median_a": float(np.median(xa)), "median_b": float(np.median(xb)),
                 "u_statistic": float(u), "p_value": float(pu), "cliffs_delta": cliffs_delta(xa, xb),
                 "calendar_a": seen.get(a, ""), "calendar_b": seen.get(b, ""),
                 **dict(zip(("cliffs_delta_low", "cliffs_delta_high"), cliffs_delta_ci(xa, xb)[1:]))}
            )

    summary = pd.DataFrame(summary_rows, columns=["measure", time_col, cohort_col, "n", "median",
                                                  "median_ci_low", "median_ci_high", "q25", "q75"])
    kruskal = pd.DataFrame(kw_rows, columns=["measure", time_col, "n_cohorts", "n", "statistic", "p_value"])
    pairwise = pd.DataFrame(pair_rows, columns=["measure", time_col, "cohort_a", "cohort_b", "n_a", "n_b",
                                                "median_a", "median_b", "u_statistic", "p_value",
                                                "calendar_a", "calendar_b",
                                                "cliffs_delta", "cliffs_delta_low", "cliffs_delta_high"])
    for table in (kruskal, pairwise):
        table["p_holm"] = np.nan
        table["holm_family"] = 0
        for _, idx in table.groupby(time_col).groups.items():
            table.loc[idx, "p_holm"] = holm_adjust(table.loc[idx, "p_value"].to_numpy())
            table.loc[idx, "holm_family"] = int(table.loc[idx, "p_value"].notna().sum())
    delta = ["cliffs_delta", "cliffs_delta_low", "cliffs_delta_high"]
    pairwise = pairwise[[c for c in pairwise.columns if c not in delta] + delta]
    return CohortComparison(summary=summary, kruskal=kruskal, pairwise=pairwise,
                            time_col=time_col, cohort_col=cohort_col)


def cohort_trajectories(
    regency_year: pd.DataFrame,
    measure: str,
    cohort_col: str = "cohort_year",
    by: str = "calendar",
) -> pd.DataFrame:
    """Median and interquartile range of a measure per cohort and time point.

    Args:
        regency_year: The ``regency_year`` table.
        measure: A pillar key, ``'final_score'`` or any numeric column.
        cohort_col: Column defining the cohort.
        by: ``'calendar'`` (x = ``year``) or ``'programme_year'``
            (x = ``years_in_programme``).

    Returns:
        Columns ``<cohort_col>``, ``<time column>``, ``n``, ``median``,
        ``q25``, ``q75``, sorted by cohort and time.
    """
    frame, time_col = _time_column(regency_year, by)
    long = _long(frame, [measure], cohort_col, time_col)
    grouped = long.groupby([cohort_col, time_col], sort=True)["value"]
    out = pd.DataFrame(
        {
            "n": grouped.size(),
            "median": grouped.median(),
            "q25": grouped.quantile(0.25),
            "q75": grouped.quantile(0.75),
        }
    ).reset_index()
    return out
