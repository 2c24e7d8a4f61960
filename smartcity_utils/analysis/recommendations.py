"""The panel's recommendations across regencies: themes, follow-up rates, and completion against the index.

The numbers behind ``notebooks/04_recommendations.ipynb``. Three things:

* **Themes** by pillar and by cohort: how many recommendations of each theme
  (``clean.themes``; a recommendation with several themes counts once in each,
  one without theme is listed as such).
* **Follow-up rates** by cohort: of the recommendations of year t whose
  status at t + 1 is recorded, the share done (``selesai``), in progress
  (``proses``) and not started (``belum``). Recommendations of one regency are
  not independent (one panel, one administration), so the 95 % intervals are
  cluster-robust over whole regencies (:func:`cluster_share`).
* **Completion against the index**: per regency and year, the share of its
  recommendations done a year later against the change of its index over that
  year, in a regression that holds the starting index (a low index has more
  room to rise, and more left to do) and, where every row has it, the number
  of agencies taking part. This is an association across regencies, with the
  caveats of the driver analysis: the same administrations that complete
  recommendations may improve for other reasons, the index and the follow-up
  are judged by overlapping panels, and nothing here says what completing a
  recommendation would cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from smartcity_utils import reference as ref
from smartcity_utils.analysis.clustered import cr2_ols
from smartcity_utils.analysis.index import index_table
from smartcity_utils.clean.themes import explode_themes, theme_order
from smartcity_utils.errors import UserError
from smartcity_utils.tables import load_processed, shows_simulated

#: The theme key of a recommendation no keyword matched.
NO_THEME = "none"

#: Regencies a group needs before its follow-up rate gets an interval: the cluster-robust interval
#: (:func:`cluster_share`) needs two clusters to see a spread, and with t on G - 1 = 1 degree of freedom
#: it is several times the whole scale wide; from 3 regencies the known-truth test of
#: ``tests/analysis/test_recommendation_rates.py`` finds the 95 % interval holding the true share about 95 % of
#: the time (regencies differing in their completion, 3 to 8 recommendations each).
MIN_REGENCIES_FOR_INTERVAL = 3

#: Regency-years the association of completion with the index change needs: with fewer, a regression of
#: the change on the completed share and the starting index (three coefficients) has under ten degrees of
#: freedom per coefficient.
MIN_UNITS_FOR_ASSOCIATION = 30

#: Coverage of the intervals.
LEVEL = 0.95


@dataclass
class RecommendationData:
    """The tables notebook 04 reads, with each regency's cohort."""

    recommendations: pd.DataFrame
    followup: pd.DataFrame
    agencies: pd.DataFrame
    index: pd.DataFrame

    @property
    def is_simulated(self) -> bool:
        """Whether the page shows a number from a simulated row (:func:`smartcity_utils.tables.shows_simulated`):
        a recommendation, a follow-up, or the index of a regency that has recommendations."""
        own = self.index[self.index["regency_id"].isin(self.recommendations["regency_id"])]
        return shows_simulated(self.recommendations, self.followup, own)


def load(processed_dir: str | Path | None = None) -> RecommendationData:
    """The recommendations, their follow-up, agencies and the index table (with cohorts) of a processed folder.

    Raises:
        UserError: when no recommendation is recorded (the notebook has nothing to show).
    """
    tables = load_processed(processed_dir, ("recommendations", "recommendation_followup", "agencies",
                                            "regency_year", "regencies"))
    recs = tables["recommendations"]
    if recs.empty:
        raise UserError(f"{processed_dir or 'data/processed'}: the processed tables hold no recommendation of a panel; "
                        "add a recommendations register or assessor sheets with remarks (docs/data_model.md) and run "
                        "`smartcity clean`")
    cohorts = tables["regencies"][["regency_id", "cohort_year"]]
    recs = recs.merge(cohorts, on="regency_id", how="left", validate="m:1")
    followup = tables["recommendation_followup"].merge(cohorts, on="regency_id", how="left", validate="m:1")
    return RecommendationData(recs, followup, tables["agencies"], index_table(tables["regency_year"]))


def no_recommendations_reason() -> str:
    """Why notebook 04 is not run on data without recommendations: a phrase after "it" (one line)."""
    return "needs a recommendation of a panel, and the processed tables hold none"


def coverage(processed_dir: str | Path | None = None) -> str | None:
    """None when the processed tables hold a recommendation, else why notebook 04 has nothing to show."""
    recs = load_processed(processed_dir, ("recommendations",))["recommendations"]
    return None if len(recs) else no_recommendations_reason()


def scope_key(frame: pd.DataFrame) -> pd.Series:
    """What each recommendation is for: the pillar key, ``all``, ``masterplan``, a dimension key, or ``none``."""
    return frame["pillar_key"].fillna(frame["dimension_key"]).fillna(NO_THEME)


def themes_by(recommendations: pd.DataFrame, by: str) -> pd.DataFrame:
    """Recommendations per theme and group (``by``: ``pillar`` or a column such as ``cohort_year``).

    Returns:
        One row per theme and group: ``theme_key, group, n_recommendations,
        n_regencies, share`` (of the group's recommendations), themes in the
        vocabulary's order and the recommendations without theme last
        (``theme_key`` ``none``).
    """
    frame = recommendations.assign(group=scope_key(recommendations) if by == "pillar" else recommendations[by])
    frame = frame.dropna(subset=["group"])
    totals = frame.groupby("group").size()
    long = explode_themes(frame, none_key=NO_THEME)
    out = (long.groupby(["theme_key", "group"])
           .agg(n_recommendations=("recommendation_id", "nunique"), n_regencies=("regency_id", "nunique"))
           .reset_index())
    out["share"] = out["n_recommendations"] / out["group"].map(totals)
    order = {k: i for i, k in enumerate(theme_order() + [NO_THEME])}
    return out.sort_values(["theme_key", "group"], key=lambda s: s.map(order) if s.name == "theme_key" else s,
                           ignore_index=True)


def without_theme(recommendations: pd.DataFrame) -> pd.DataFrame:
    """The recommendations no keyword of the vocabulary matched, listed as such: one row per text and scope.

    Returns:
        ``scope, recommendation, n_recommendations, n_regencies, years,
        is_simulated``, the most frequent first.
    """
    cols = ["scope", "recommendation", "n_recommendations", "n_regencies", "years", "is_simulated"]
    frame = recommendations[recommendations["n_themes"] == 0]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    out = (frame.assign(scope=scope_key(frame))
           .groupby(["scope", "recommendation"], sort=False)
           .agg(n_recommendations=("recommendation_id", "size"), n_regencies=("regency_id", "nunique"),
                years=("year", lambda y: ", ".join(str(v) for v in sorted(set(y)))),
                is_simulated=("is_simulated", "any"))
           .reset_index())
    return out.sort_values(["n_recommendations", "recommendation"], ascending=[False, True],
                           ignore_index=True)[cols]


def cluster_share(successes: np.ndarray, totals: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """A share over clusters (regencies) with an interval that allows for items of one cluster agreeing.

    The share is the ratio of all successes to all items. Its interval is the
    cluster-robust one of an intercept-only regression of the items' 0/1
    outcomes with the CR2 small-sample correction and t on G - 1 degrees of
    freedom (:func:`smartcity_utils.analysis.clustered.cr2_ols`; with four
    regencies a normal interval would cover far less than 95 %), clipped to [0, 1].
    When every item agrees (a share of 0 or 1) the
    clusters show no spread, and the Wilson interval over all items is given
    instead.

    Args:
        successes: Per cluster, the number of items with the outcome.
        totals: Per cluster, the number of items (each at least 1).
        level: Coverage of the interval.

    Returns:
        ``(share, low, high)``; the bounds are NaN with fewer than
        :data:`MIN_REGENCIES_FOR_INTERVAL` clusters.
    """
    successes = np.asarray(successes, dtype=int)
    totals = np.asarray(totals, dtype=int)
    n = int(totals.sum())
    share = successes.sum() / n if n else np.nan
    if len(totals) < MIN_REGENCIES_FOR_INTERVAL:
        return share, np.nan, np.nan
    if share in (0.0, 1.0):
        low, high = proportion_confint(int(successes.sum()), n, alpha=1 - level, method="wilson")
        return share, float(low), float(high)
    outcome = np.concatenate([np.r_[np.ones(k), np.zeros(t - k)] for k, t in zip(successes, totals)])
    groups = np.repeat(np.arange(len(totals)), totals)
    fit = cr2_ols(outcome, np.ones((len(outcome), 1)), groups, level)
    return share, max(0.0, float(fit.ci_low[0])), min(1.0, float(fit.ci_high[0]))


def followup_rates(followup: pd.DataFrame, by: str = "cohort_year") -> pd.DataFrame:
    """Follow-up a year later per group: recorded, done, in progress, not started, with intervals.

    Only recommendations whose status at t + 1 is recorded count in the shares;
    ``n_recommendations`` counts all of the group's recommendations of years
    that have a recorded follow-up at all, so that ``n_recorded`` over it says
    how much of the follow-up is known.

    Returns:
        One row per group (``group``): ``n_regencies, n_recommendations,
        n_recorded``, and for each status ``share_<status>`` with
        ``share_<status>_low`` and ``_high`` (NaN below
        :data:`MIN_REGENCIES_FOR_INTERVAL` regencies), ``is_simulated``.
    """
    years = set(followup.loc[followup["followup_status"].notna(), "year"])
    frame = followup[followup["year"].isin(years)].dropna(subset=[by])
    rows = []
    for group, block in frame.groupby(by, sort=True):
        recorded = block.dropna(subset=["followup_status"])
        row = {"group": group, "n_regencies": recorded["regency_id"].nunique(),
               "n_recommendations": len(block), "n_recorded": len(recorded),
               "is_simulated": bool(block["is_simulated"].any())}
        per_regency = recorded.groupby("regency_id")["followup_status"]
        totals = per_regency.size().to_numpy()
        for status in ref.RECOMMENDATION_STATUSES:
            hits = per_regency.apply(lambda s, st=status: int((s == st).sum())).to_numpy()
            share, low, high = cluster_share(hits, totals)
            row.update({f"share_{status}": share, f"share_{status}_low": low, f"share_{status}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def agency_covariates(agencies: pd.DataFrame) -> pd.DataFrame:
    """Agencies per pillar as covariates: one row per regency-year, ``n_agencies_<pillar>`` and
    ``n_agencies_total`` (the sum, where all six pillars are counted; else missing)."""
    wide = agencies.pivot_table(index=["regency_id", "year"], columns="pillar_key", values="n_agencies",
                                aggfunc="first").reindex(columns=list(ref.PILLAR_KEYS))
    total = wide.sum(axis=1, min_count=len(ref.PILLAR_KEYS)).where(wide.notna().all(axis=1))
    wide.columns = [f"n_agencies_{c}" for c in wide.columns]
    return wide.assign(n_agencies_total=total).reset_index()


def completion_units(followup: pd.DataFrame, index: pd.DataFrame, agencies: pd.DataFrame) -> pd.DataFrame:
    """Per regency and year t with a recorded follow-up: the share done at t + 1 and the index change t -> t + 1.

    Returns:
        ``regency_id, regency, year, n_recorded, share_done, index_start,
        index_change, n_agencies_total, is_simulated``; regency-years without an
        index in t or t + 1 are left out.
    """
    recorded = followup.dropna(subset=["followup_status"])
    units = (recorded.groupby(["regency_id", "regency", "year"])
             .agg(n_recorded=("followup_status", "size"),
                  share_done=("followup_status", lambda s: float((s == "selesai").mean())),
                  rec_simulated=("is_simulated", "any"))
             .reset_index())
    scores = index.set_index(["regency_id", "year"])["final_score"]
    flags = index.set_index(["regency_id", "year"])["is_simulated"]
    start = pd.MultiIndex.from_arrays([units["regency_id"], units["year"]])
    end = pd.MultiIndex.from_arrays([units["regency_id"], units["year"] + 1])
    units["index_start"] = scores.reindex(start).to_numpy()
    units["index_change"] = scores.reindex(end).to_numpy() - units["index_start"]
    units["is_simulated"] = (units["rec_simulated"] | flags.reindex(start).fillna(False).to_numpy().astype(bool)
                             | flags.reindex(end).fillna(False).to_numpy().astype(bool))
    covariates = agency_covariates(agencies)[["regency_id", "year", "n_agencies_total"]]
    units = units.merge(covariates, on=["regency_id", "year"], how="left", validate="1:1")
    return units.dropna(subset=["index_change"]).drop(columns="rec_simulated").reset_index(drop=True)


def completion_association(units: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """The index change on the share of recommendations done, holding the starting index (and agencies).

    Ordinary least squares with errors clustered by regency (a regency appears
    in several years): CR2 variance and t on G - 1 degrees of freedom
    (:func:`smartcity_utils.analysis.clustered.cr2_ols`). The estimate is the
    difference in the index change per 10 percentage points more of the
    recommendations done, other terms equal: an association across regencies,
    not an effect. Holding the starting index invites regression to the mean:
    an index measured low by chance tends to rise the next year, so the
    starting index's own coefficient is negative even with no real change, and
    a completed share that goes with a low start inherits part of it.

    Returns:
        One row per term (``share_done`` first, per 10 points; ``index_start``;
        ``n_agencies_total`` when every unit has it): ``term, estimate,
        ci_low, ci_high, p_value, n_units, n_regencies, df``; plus, as the last
        row, ``spearman`` (rank correlation of the share done with the change,
        ``estimate`` the coefficient, ``p_value`` its test). Empty with fewer
        than :data:`MIN_UNITS_FOR_ASSOCIATION` units.
    """
    cols = ["term", "estimate", "ci_low", "ci_high", "p_value", "n_units", "n_regencies", "df"]
    if len(units) < MIN_UNITS_FOR_ASSOCIATION:
        return pd.DataFrame(columns=cols)
    terms = ["share_done", "index_start"]
    if units["n_agencies_total"].notna().all():
        terms.append("n_agencies_total")
    x = units[terms].astype(float).assign(share_done=units["share_done"] * 10)  # per 10 percentage points
    design = sm.add_constant(x)
    fit = cr2_ols(units["index_change"].astype(float).to_numpy(), design.to_numpy(),
                  units["regency_id"].to_numpy(), level)
    at = {name: i for i, name in enumerate(design.columns)}
    n_reg = units["regency_id"].nunique()
    rows = [{"term": t, "estimate": fit.params[at[t]], "ci_low": fit.ci_low[at[t]], "ci_high": fit.ci_high[at[t]],
             "p_value": fit.p_value[at[t]], "n_units": len(units), "n_regencies": n_reg, "df": fit.df}
            for t in terms]
    rho = stats.spearmanr(units["share_done"], units["index_change"])
    rows.append({"term": "spearman", "estimate": float(rho.statistic), "ci_low": np.nan, "ci_high": np.nan,
                 "p_value": float(rho.pvalue), "n_units": len(units), "n_regencies": n_reg, "df": np.nan})
    return pd.DataFrame(rows, columns=cols)
