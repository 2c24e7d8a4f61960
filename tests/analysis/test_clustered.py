"""Known truth for the few-cluster interval of notebook 04 (CR2 with t on G - 1), and its use there."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from smartcity_utils.analysis.clustered import cr2_ols
from smartcity_utils.analysis.recommendations import cluster_share, completion_association


def _clustered(rng: np.random.Generator, n_clusters: int, per_cluster: int, icc: float) -> tuple:
    """A mean of 0 with a cluster effect: ``icc`` of the variance shared within a cluster."""
    groups = np.repeat(np.arange(n_clusters), per_cluster)
    y = rng.normal(0, np.sqrt(icc), n_clusters)[groups] + rng.normal(0, np.sqrt(1 - icc), groups.size)
    return y, groups


def test_cr2_interval_holds_95_percent_with_four_clusters_where_the_normal_one_does_not():
    rng = np.random.default_rng(1)
    cr2 = normal = 0
    reps = 1500
    for _ in range(reps):
        y, groups = _clustered(rng, 4, 6, 0.4)
        x = np.ones((y.size, 1))
        fit = cr2_ols(y, x, groups)
        cr2 += fit.ci_low[0] <= 0 <= fit.ci_high[0]
        robust = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})  # normal, CR1
        low, high = robust.conf_int()[0]
        normal += low <= 0 <= high
    # Monte Carlo standard error of a 95 % coverage over 1500 draws: 0.6 points.
    assert abs(cr2 / reps - 0.95) < 0.025
    assert normal / reps < 0.88  # what the page printed before: far below its 95 %


def test_cr2_slope_interval_holds_with_few_clusters_and_a_clustered_regressor():
    rng = np.random.default_rng(2)
    hits, reps = 0, 800
    for _ in range(reps):
        y, groups = _clustered(rng, 6, 5, 0.5)
        x = rng.normal(0, 1, 6)[groups] + rng.normal(0, 1, y.size)
        fit = cr2_ols(y + 0.3 * x, np.column_stack([np.ones_like(x), x]), groups)
        hits += fit.ci_low[1] <= 0.3 <= fit.ci_high[1]
    assert fit.df == 5
    assert hits / reps > 0.93  # CR2 with t(G - 1) is at or a little above its level here


def test_cr2_equals_the_textbook_formula_for_a_mean():
    # Intercept only, equal clusters: CR2 gives the variance of the cluster means over G (G - 1) exactly.
    y = np.array([1.0, 2, 3, 2, 4, 6, 0, 1, 1, 5, 5, 8])
    groups = np.repeat(np.arange(4), 3)
    fit = cr2_ols(y, np.ones((12, 1)), groups)
    means = y.reshape(4, 3).mean(axis=1)
    assert fit.se[0] == pytest.approx(np.sqrt(means.var(ddof=1) / 4))


def test_cluster_share_of_four_regencies_uses_t_on_three_degrees_of_freedom():
    share, low, high = cluster_share(np.array([1, 3, 0, 2]), np.array([5, 5, 5, 5]))
    means = np.array([0.2, 0.6, 0.0, 0.4])
    half = 3.182446 * np.sqrt(means.var(ddof=1) / 4)  # t(0.975, 3)
    assert share == pytest.approx(0.3)
    assert (low, high) == pytest.approx((max(0, 0.3 - half), 0.3 + half), abs=1e-6)


def test_completion_association_reports_cr2_intervals_with_their_degrees_of_freedom():
    rng = np.random.default_rng(3)
    n = 40
    units = pd.DataFrame({"regency_id": np.repeat(np.arange(8), 5), "share_done": rng.uniform(0, 1, n),
                          "index_start": rng.normal(3, 0.3, n), "n_agencies_total": np.nan})
    units["index_change"] = 0.05 * units["share_done"] - 0.3 * (units["index_start"] - 3) + rng.normal(0, 0.1, n)
    table = completion_association(units).set_index("term")
    fit = cr2_ols(units["index_change"], np.column_stack([np.ones(n), units["share_done"] * 10,
                                                          units["index_start"]]), units["regency_id"])
    assert table.loc["share_done", "df"] == 7
    assert table.loc["share_done", ["ci_low", "ci_high"]].tolist() == pytest.approx([fit.ci_low[1], fit.ci_high[1]])
