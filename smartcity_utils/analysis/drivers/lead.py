"""The lead driver estimate: the headline on the pillars, corrected for the assessors' shared measurement error.

Pillar scores and the headline are panel means of the same three or four
assessors, so one assessor's leniency and halo sit in both: ordinary least
squares on panel means is biased and its intervals are too narrow. The lead
method is the errors-in-variables (method-of-moments) regression of
:func:`smartcity_utils.analysis.measurement.eiv_drivers`, with the error
covariance of one assessor estimated from the assessor-level rows (each
assessor's own headline computed from their dimension scores with that year's
weights) and intervals from a bootstrap that resamples whole regencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.drivers.summary import text
from smartcity_utils.analysis.measurement import eiv_drivers, error_covariance
from smartcity_utils.errors import DriverInputError

#: Name of the lead method in every table.
LEAD_METHOD = "eiv"

#: Name of the assessor's own headline in the error covariance.
HEADLINE = "headline"

UNIT = ["regency_id", "year"]


@dataclass
class LeadResult:
    """Outcome of :func:`lead_drivers`.

    Attributes:
        table: One row per pillar and method (``eiv`` the lead, ``ols`` the
            naive regression on panel means with the same bootstrap):
            ``pillar, method, estimate, ci_low, ci_high, se, n_units,
            n_clusters, n_boot, n_boot_failed``.
        error_cov: Covariance of one assessor's errors (pillars and headline).
        assumptions: Plain statements of what the estimate assumes, and the
            values used (panel sizes, the number of panels behind the error
            covariance, year effects).
    """

    table: pd.DataFrame
    error_cov: pd.DataFrame
    assumptions: dict[str, Any] = field(default_factory=dict)


def assessor_table(scores: pd.DataFrame, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per regency-year and assessor: pillar and dimension scores and the assessor's own headline.

    The headline of an assessor is the weighted sum of their five dimension
    scores with that year's weights (``dimension_weights.csv``); it is NaN
    when a dimension is missing or the year has no weights.

    Args:
        scores: The processed ``scores`` table; only ``level == "assessor"`` rows are used.
        weights: Long weights (``year, dimension_key, weight``); default the reference file.

    Returns:
        Columns ``regency_id, year, assessor``, the six pillar keys, the five
        dimension keys and ``headline``.
    """
    rows = scores[scores["level"] == "assessor"] if "level" in scores.columns else scores
    pillars, dims = list(ref.PILLAR_KEYS), list(ref.DIMENSION_KEYS)
    parts = []
    for key_col, keys in (("pillar_key", pillars), ("dimension_key", dims)):
        part = rows[rows[key_col].isin(keys)]
        parts.append(part.pivot_table(index=UNIT + ["assessor"], columns=key_col, values="score",
                                      aggfunc="mean"))
    wide = pd.concat(parts, axis=1).reindex(columns=pillars + dims).reset_index()
    return add_assessor_headline(wide, ref.dimension_weights() if weights is None else weights)


def add_assessor_headline(wide: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Adds ``headline``: each assessor's weighted sum of their own dimension scores with the year's weights.

    NaN where a dimension is missing or the year has no weights.
    """
    dims = list(ref.DIMENSION_KEYS)
    w_wide = weights.pivot_table(index="year", columns="dimension_key", values="weight").reindex(columns=dims)
    year_w = w_wide.reindex(wide["year"].to_numpy()).to_numpy(float)
    out = wide.copy()
    out[HEADLINE] = np.nansum(out[dims].to_numpy(float) * year_w, axis=1)
    out.loc[np.isnan(year_w).any(axis=1) | out[dims].isna().any(axis=1), HEADLINE] = np.nan
    return out


def assessor_table_from_wide(wide: pd.DataFrame, weights: dict[int, dict[str, float]]) -> pd.DataFrame:
    """:func:`add_assessor_headline` with weights given as ``{year: {dimension_key: weight}}``."""
    long = pd.DataFrame([{"year": int(y), "dimension_key": k, "weight": float(v)}
                         for y, ws in weights.items() for k, v in ws.items()])
    return add_assessor_headline(wide, long)


def panel_sizes(units: pd.DataFrame, assessors: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Assessors per regency-year: ``n_assessors`` where known, else the harmonic mean of the known ones.

    Recaps publish panel means without saying how many assessors scored; the
    programme's panels have 3 to 4 members (DOMAIN.md), and the harmonic mean
    of the observed panel sizes is the value whose reciprocal (what the error
    variance of a mean depends on) is the average observed one.

    Returns:
        ``(m, assumed)``: one size per row of ``units`` and the assumed size.
    """
    known = assessors.groupby(UNIT).size()
    assumed = float(len(known) / np.sum(1.0 / known)) if len(known) else 3.5
    m = units["n_assessors"].astype(float) if "n_assessors" in units.columns else pd.Series(np.nan, units.index)
    m = m.where(m > 0, np.nan).fillna(assumed).to_numpy(float)
    return m, assumed


def _centre_within(frame: pd.DataFrame, cols: list[str], by: str) -> pd.DataFrame:
    out = frame.copy()
    out[cols] = frame[cols] - frame.groupby(by)[cols].transform("mean")
    return out


def lead_drivers(
    units: pd.DataFrame,
    assessors: pd.DataFrame,
    target: str = "final_score",
    pillars: Sequence[str] | None = None,
    year_col: str | None = "year",
    cluster: str = "regency_id",
    n_boot: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> LeadResult:
    """The lead estimate: errors-in-variables regression of the headline on the pillars.

    Estimand: the sentence ``estimand_eiv`` of ``driver_text.csv``. Checked assumptions: the same assessors
    score pillars and headline (their error covariance, headline included,
    enters the correction); repeated years of a regency (the bootstrap
    resamples whole regencies, years pooled); year-to-year shifts of the
    headline (every column is centred within year, i.e. year fixed effects,
    when ``year_col`` has two or more years); collinear pillars (the corrected
    covariance must stay positive definite, else a :class:`DriverInputError`
    says so). Not in the intervals: the sampling error of the error covariance
    itself (estimated from many panels) and the dependence that an assessor's
    leniency creates between regencies it scores.

    Args:
        units: One row per regency-year with the pillars, the target,
            ``n_assessors`` (0 or NaN when unknown) and ``cluster``.
        assessors: :func:`assessor_table` rows.
        target: Headline column.
        pillars: Pillar columns (default the six pillar keys).
        year_col: Year column for year effects, or None.
        cluster: Column whose levels the bootstrap resamples.
        n_boot: Bootstrap replicates.
        seed: Seed of the bootstrap.
        level: Interval coverage.

    Returns:
        A :class:`LeadResult`.

    Raises:
        DriverInputError: no assessor-level rows, or the correction is not estimable.
    """
    pillars = list(pillars or ref.PILLAR_KEYS)
    usable = assessors.dropna(subset=pillars + [HEADLINE])
    if usable.groupby(UNIT).size().ge(2).sum() < len(pillars) + 2:
        raise DriverInputError("the errors-in-variables correction needs assessor-level scores (two or more "
                               "assessors per regency-year, with every pillar and dimension) for several "
                               "regency-years; none or too few were found")
    sigma = error_covariance(usable, UNIT, "assessor", pillars, headline=HEADLINE)
    data = units.dropna(subset=pillars + [target, cluster]).reset_index(drop=True)
    m, assumed = panel_sizes(data, usable)
    data = data.assign(_m=m)
    years = year_col is not None and year_col in data.columns and data[year_col].nunique() > 1
    if years:
        data = _centre_within(data, pillars + [target], year_col)
    try:
        table = eiv_drivers(data, pillars, target, sigma, "_m", cluster=cluster, n_boot=n_boot, seed=seed,
                            level=level, error_target=HEADLINE)
    except ValueError as exc:
        raise DriverInputError(str(exc)) from exc
    # The naive regression with the same bootstrap, named apart from the OLS table (HC3 or clustered).
    table["method"] = table["method"].replace({"ols": "ols_bootstrap"})
    known = int((units["n_assessors"].fillna(0) > 0).sum()) if "n_assessors" in units.columns else 0
    assumptions = {
        "estimand": text("estimand_eiv", "en"),
        "error_covariance": (f"one assessor's error covariance from {sigma.attrs['n_panels']} panels "
                             f"({sigma.attrs['n_assessor_rows']} assessor rows, {sigma.attrs['df']} degrees of "
                             "freedom), pooled within panels; treated as known"),
        "panel_size": (f"n_assessors for {known} regency-years; {len(data) - known} without assessor data "
                       f"assumed to have {assumed:.2f} (harmonic mean of the observed panel sizes)"),
        "year_effects": "every column centred within year" if years else "none (one year)",
        "intervals": f"{level:.0%} percentile bootstrap over whole {cluster} clusters ({n_boot} draws)",
        "not_in_intervals": ("sampling error of the error covariance; dependence between regencies "
                             "scored by the same assessor"),
    }
    table.attrs["assumptions"] = assumptions
    return LeadResult(table=table, error_cov=sigma, assumptions=assumptions)
