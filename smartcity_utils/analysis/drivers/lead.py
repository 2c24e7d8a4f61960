"""The lead driver estimate: the headline on the pillars, corrected for the assessors' shared measurement error.

Pillar scores and the headline are panel means of the same three or four
assessors, so one assessor's leniency and halo sit in both: ordinary least
squares on panel means is biased (its intervals are about as wide as its
sampling spread, but centred on the wrong value). The lead
method is the errors-in-variables (method-of-moments) regression of
:func:`smartcity_utils.analysis.drivers.eiv.eiv_drivers`, with the error
covariance of one assessor estimated from the assessor-level rows (each
assessor's own headline computed from their dimension scores with that year's
weights) and intervals from a bootstrap that resamples whole regencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.drivers.eiv import eiv_drivers
from smartcity_utils.analysis.drivers.ols import ols_as_estimates
from smartcity_utils.analysis.measurement import error_covariance
from smartcity_utils.errors import DriverInputError

#: Name of the lead method in every table.
LEAD_METHOD = "eiv"

#: Name of the assessor's own headline in the error covariance.
HEADLINE = "headline"

UNIT = ["regency_id", "year"]


#: Method name of the estimate from the regency-years that have their own assessor rows only.
MEASURED_METHOD = "eiv_measured"

#: Method name of the lead interval widened by the error-size bound (a sensitivity interval: the union of the
#: lead interval shifted to every estimate of the bound).
BOUND_METHOD = "eiv_bound"

#: Factors on one assessor's error covariance for the bound of the lead estimate. In the regency-years
#: without assessor rows the error is not measured: the stress benchmark (benchmarks/stress_drivers.py)
#: finds the lead intervals at 89 % instead of 95 % when its sd there is twice the measured one, so the bound
#: runs from half to four times the covariance (error sd from 0.7 to 2 times). In every year: within-panel spread
#: understates the error when assessors move towards each other (halfway to the panel mean leaves a quarter of
#: the within-panel variance, hence 4).
ERROR_SCALE_OTHER_YEARS = (0.5, 2.0, 4.0)
ERROR_SCALE_EVERY_YEAR = (2.0, 4.0)


@dataclass
class LeadResult:
    """Outcome of :func:`lead_drivers`.

    Attributes:
        table: One row per pillar and method (``eiv`` the lead, pooled over
            every year; ``ols_bootstrap`` the naive regression on panel means
            with the same bootstrap; ``eiv_measured`` the same correction on
            the regency-years with their own assessor rows only, where the
            error covariance and the panel size are measured):
            ``pillar, method, estimate, ci_low, ci_high, se, n_units,
            n_clusters, n_boot, n_boot_failed``.
        error_cov: Covariance of one assessor's errors (pillars and headline).
        assumptions: What the estimate assumes, one phrase each: the key of its
            sentence in the text store and the values the sentence quotes (panel
            sizes, the number of panels behind the error covariance, year
            effects), ``{"key": "assumption_text_<name>", **values}``; a value
            may be such a phrase itself. The pages and the command line put them
            in words.
        sensitivity: The pooled estimate when one assessor's error covariance
            is a factor times the measured one, in the regency-years without
            assessor rows (``where = "other years"``) or in every regency-year
            (``"every year"``): ``where, factor, pillar, value``; plus the
            bound per pillar (``where = "bound"``: ``low`` and ``high``, the smallest and largest value over
            those factors and the measured error; a factor the data rule out, where the corrected covariance
            is not positive definite, has NaN values and stays out of the bound).
        draws: Bootstrap draws of the lead estimate (draws x pillars), for the probabilities of orders.
    """

    table: pd.DataFrame
    error_cov: pd.DataFrame
    assumptions: dict[str, Any] = field(default_factory=dict)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    draws: np.ndarray | None = None


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


#: The panel size assumed when no assessor row shows one: panels have 3 to 4 members
#: (docs/sources.md: 3 for Kutai Kartanegara 2023, 4 for Kota Kediri 2021), and 3.5 is their midpoint.
ASSUMED_PANEL_SIZE = 3.5


def panel_sizes(units: pd.DataFrame, assessors: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Assessors per regency-year: ``n_assessors`` where known, else the harmonic mean of the known ones.

    Recaps publish panel means without saying how many assessors scored; the
    programme's panels have 3 to 4 members (docs/sources.md), and the harmonic mean
    of the observed panel sizes is the value whose reciprocal (what the error
    variance of a mean depends on) is the average observed one.

    Returns:
        ``(m, assumed)``: one size per row of ``units`` and the assumed size.
    """
    known = assessors.groupby(UNIT).size()
    assumed = float(len(known) / np.sum(1.0 / known)) if len(known) else ASSUMED_PANEL_SIZE
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

    Estimand: the sentence ``estimand_eiv`` of the text store. Checked assumptions: the same assessors
    score pillars and headline (their error covariance, headline included,
    enters the correction); repeated years of a regency (the bootstrap
    resamples whole regencies, years pooled); year-to-year shifts of the
    headline (every column is centred within year, i.e. year fixed effects,
    when ``year_col`` has two or more years); collinear pillars (the corrected
    covariance must stay positive definite, else a :class:`DriverInputError`
    says so). Not checkable from these data, hence shown rather than assumed
    away: that one assessor's error covariance measured where assessor rows
    exist holds in the regency-years without them (the estimate from the
    measured regency-years alone is given beside the pooled one, and the
    pooled estimate under other error sizes bounds it), and that assessors
    of one panel err independently (moderation towards the panel's mean hides
    error from the within-panel spread: the "every year" factors). Not in the
    intervals: the sampling error of the error covariance itself and the
    dependence that an assessor's leniency creates between regencies it scores.

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
    measured_units = set(map(tuple, usable[UNIT].drop_duplicates().to_numpy().tolist()))
    measured = np.array([(r, y) in measured_units for r, y in zip(data["regency_id"], data["year"])]) \
        if set(UNIT) <= set(data.columns) else np.zeros(len(data), bool)
    data = data.assign(_m=m, _measured=measured)
    years = year_col is not None and year_col in data.columns and data[year_col].nunique() > 1
    centred = _centre_within(data, pillars + [target], year_col) if years else data

    def fit(frame: pd.DataFrame, scale=None, boot: int = n_boot) -> pd.DataFrame:
        try:
            return eiv_drivers(frame, pillars, target, sigma, "_m", cluster=cluster, n_boot=boot, seed=seed,
                               level=level, error_target=HEADLINE, error_scale=scale, return_draws=True)
        except ValueError as exc:
            raise DriverInputError(str(exc)) from exc

    table, draws = fit(centred)
    draws = draws.get(LEAD_METHOD)
    # The naive regression with the same bootstrap, named apart from the OLS table (HC3 or clustered).
    table["method"] = table["method"].replace({"ols": "ols_bootstrap"})
    parts = [table]
    n_measured, n_other = int(measured.sum()), int((~measured).sum())
    measured_note: dict[str, Any] = {"key": "assumption_text_measured_all"}
    if n_other and n_measured >= len(pillars) + 2:
        own = data[measured]
        own = _centre_within(own, pillars + [target], year_col) if years and own[year_col].nunique() > 1 else own
        try:
            alone = fit(own)[0]
        except DriverInputError as exc:
            measured_note = {"key": "assumption_text_measured_not_estimable", "n_measured": n_measured,
                             "reason": str(exc)}
        else:
            parts.append(alone[alone["method"] == LEAD_METHOD].assign(method=MEASURED_METHOD))
            measured_note = {"key": "assumption_text_measured_alone", "n_measured": n_measured}
    elif n_other:
        measured_note = {"key": "assumption_text_measured_too_few", "n_measured": n_measured}
    table = pd.concat(parts, ignore_index=True)
    sensitivity = _error_size_sensitivity(centred, pillars, fit, table[table["method"] == LEAD_METHOD],
                                          n_other)
    table = pd.concat([table, bound_interval(table[table["method"] == LEAD_METHOD], sensitivity)],
                      ignore_index=True)
    known = int((units["n_assessors"].fillna(0) > 0).sum()) if "n_assessors" in units.columns else 0
    carried = ({"key": "assumption_text_carried", "n_measured": n_measured, "n_other": n_other,
                "share": 100 * n_other / max(len(data), 1), "then": measured_note} if n_other
               else measured_note)
    assumptions = {
        "estimand": {"key": "estimand_eiv"},
        "error_covariance": {"key": "assumption_text_error_covariance", "n_panels": int(sigma.attrs["n_panels"]),
                             "n_rows": int(sigma.attrs["n_assessor_rows"]), "df": int(sigma.attrs["df"])},
        "carried_to_other_years": carried,
        "independent_within_panel": {"key": "assumption_text_independent_within_panel"},
        "panel_size": {"key": "assumption_text_panel_size", "known": known, "unknown": len(data) - known,
                       "assumed": float(assumed)},
        "linear": {"key": "assumption_text_linear"},
        "year_effects": {"key": "assumption_text_year_effects" if years else "assumption_text_no_year_effects"},
        "intervals": {"key": "assumption_text_intervals", "level": 100 * float(level),
                      "clusters": {"key": f"clusters_{cluster}" if cluster == "regency_id" else "clusters_other",
                                   "column": cluster}, "n_boot": int(n_boot)},
        "not_in_intervals": {"key": "assumption_text_not_in_intervals"},
    }
    sensitivity_note = {"key": "assumption_text_bound_other_years" if n_other else "assumption_text_bound",
                        "factors_other": list(ERROR_SCALE_OTHER_YEARS), "n_other": n_other,
                        "factors_every": list(ERROR_SCALE_EVERY_YEAR)}
    table.attrs["assumptions"] = assumptions
    table.attrs["sensitivity_note"] = sensitivity_note
    return LeadResult(table=table, error_cov=sigma, assumptions=assumptions, sensitivity=sensitivity, draws=draws)


def _error_size_sensitivity(centred: pd.DataFrame, pillars: list[str], fit, lead: pd.DataFrame,
                            n_other: int) -> pd.DataFrame:
    """The pooled estimate under other error sizes (point estimates only) and the bound they give per pillar."""
    rows = [{"where": "measured", "factor": 1.0, "pillar": r.pillar, "value": r.estimate}
            for r in lead.itertuples()]
    runs = [("every year", k, np.full(len(centred), k)) for k in ERROR_SCALE_EVERY_YEAR]
    if n_other:
        runs = [("other years", k, np.where(centred["_measured"], 1.0, k)) for k in ERROR_SCALE_OTHER_YEARS] + runs
    for where, k, scale in runs:
        try:
            est = fit(centred.assign(_scale=scale), "_scale", boot=0)[0]
        except DriverInputError:
            # Not estimable: the pillars' observed covariance is smaller than that much error would give, so
            # the data rule that error size out; it stays in the table (NaN) and out of the bound.
            rows += [{"where": where, "factor": k, "pillar": p, "value": np.nan} for p in pillars]
            continue
        est = est[est["method"] == LEAD_METHOD]
        rows += [{"where": where, "factor": k, "pillar": r.pillar, "value": r.estimate} for r in est.itertuples()]
    out = pd.DataFrame(rows)
    bound = out.groupby("pillar", sort=False)["value"].agg(["min", "max"])
    out = pd.concat([out, pd.DataFrame({"where": "bound", "factor": np.nan, "pillar": bound.index,
                                        "value": np.nan, "low": bound["min"].to_numpy(),
                                        "high": bound["max"].to_numpy()})], ignore_index=True)
    return out


def bound_interval(lead: pd.DataFrame, sensitivity: pd.DataFrame) -> pd.DataFrame:
    """The lead interval widened by the error-size bound: ``pillar, estimate, ci_low, ci_high`` (method ``eiv_bound``).

    The union of the lead interval shifted to each estimate of the bound: it
    holds the true value at the nominal rate whenever the error size lies
    within the factors of the bound (measured: ``benchmarks/stress_drivers.py``).
    """
    bound = sensitivity[sensitivity["where"] == "bound"].set_index("pillar")
    t = lead.set_index("pillar")
    low = np.minimum(t["ci_low"], t["ci_low"] + bound["low"].reindex(t.index) - t["estimate"])
    high = np.maximum(t["ci_high"], t["ci_high"] + bound["high"].reindex(t.index) - t["estimate"])
    return pd.DataFrame({"pillar": t.index, "estimate": t["estimate"].to_numpy(), "ci_low": low.to_numpy(),
                         "ci_high": high.to_numpy(), "method": BOUND_METHOD})


#: Columns of ``driver_estimates``, the one table of driver slopes that reports and texts read.
DRIVER_ESTIMATE_COLUMNS = ["pillar_key", "estimate", "ci_low", "ci_high", "method", "estimand_key", "is_simulated"]


def lead_driver_estimates(drivers: pd.DataFrame) -> pd.DataFrame:
    """The driver estimates the reports use: one row per pillar with its interval and the key of its estimand.

    From the method the drivers notebook leads with: the errors-in-variables
    regression (:func:`lead_drivers`) with intervals
    from a bootstrap over regencies, widened by the error-size bound
    (``eiv_bound``: the interval that holds when a panel errs together). When it could not run (no assessor-level
    scores), the OLS slopes with regency-clustered intervals, labelled as such.
    """
    lead = drivers[drivers["method"] == LEAD_METHOD]
    if len(lead):
        # The interval quoted is the lead's widened by the error-size bound (it holds when a panel errs together).
        method, out = LEAD_METHOD, lead[["pillar", "estimate", "ci_low", "ci_high", "is_simulated"]]
        widened = drivers[drivers["method"] == BOUND_METHOD].set_index("pillar")
        if len(widened):
            out = out.set_index("pillar")
            for col in ("ci_low", "ci_high"):
                out[col] = widened[col].reindex(out.index).fillna(out[col])
            out = out.reset_index()
    else:
        method, out = "ols", ols_as_estimates(drivers[drivers["method"] == "ols"], extra=["is_simulated"])
    out = out.rename(columns={"pillar": "pillar_key"}).assign(method=method, estimand_key=f"estimand_{method}")
    return out[DRIVER_ESTIMATE_COLUMNS].reset_index(drop=True)
