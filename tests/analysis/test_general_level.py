"""Known truth for the general level of the pillars and each pillar beyond it (notebook 03's answer), the order
over the error-size bound, and the computed reason where a variance-type method puts another pillar first."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.general import general_and_specific, order_under_bound
from smartcity_utils.analysis.drivers.summary import driver_summary

PILLARS = ["p1", "p2", "p3", "p4"]


def _one_thing(n: int, seed: int, error_sd: float = 0.0) -> tuple[pd.DataFrame, dict]:
    """Pillars = a general level + a small own part each; the index goes with the general level and with p1's
    own part only. Returns the observed table and the true parts of the variance."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0, 1, n)
    own = rng.normal(0, 0.4, (n, 4))
    x = g[:, None] + own
    y = x.mean(axis=1) + 0.5 * own[:, 0] + rng.normal(0, 0.2, n)
    frame = pd.DataFrame(x + rng.normal(0, error_sd, (n, 4)), columns=PILLARS)
    frame["index"] = y
    frame["regency_id"] = np.arange(n)
    # True parts, from the population covariance: x_i = g + own_i, y = g + mean(own) + 0.5 own_1 + e.
    cov_x = np.eye(4) * 0.16 + 1.0
    w = np.full(4, 0.25)
    c_xy = np.full(4, 1.0 + 0.16 / 4) + np.array([0.5 * 0.16, 0, 0, 0])
    var_y = 1.0 + 0.16 / 4 + 0.25 * 0.16 + 2 * 0.5 * 0.16 / 4 + 0.04
    r2_general = (w @ c_xy) ** 2 / (w @ cov_x @ w * var_y)
    a = np.array([[w @ cov_x @ w, (cov_x @ w)[0]], [(cov_x @ w)[0], cov_x[0, 0]]])
    r2_p1 = np.array([w @ c_xy, c_xy[0]]) @ np.linalg.solve(a, np.array([w @ c_xy, c_xy[0]])) / var_y
    return frame, {"r2_general": r2_general, "beyond_p1": r2_p1 - r2_general}


def test_the_general_level_and_the_one_pillar_with_a_part_of_its_own_are_found():
    frame, truth = _one_thing(4000, seed=1)
    out = general_and_specific(frame, "index", PILLARS, year_col=None, n_boot=50)
    overall = out.overall.set_index("target").loc["index"]
    assert overall["r2_general"] == pytest.approx(truth["r2_general"], abs=0.01)
    table = out.pillars.set_index("pillar")
    assert table.at["p1", "beyond"] == pytest.approx(truth["beyond_p1"], abs=0.01)
    assert table["beyond"].idxmax() == "p1" and table.drop("p1")["beyond"].max() < 0.005
    assert table["share"].sum() == pytest.approx(overall["r2_all"])  # Shapley shares add up to R-squared
    assert overall["pc1_correlation"] > 0.99  # equal loadings: the mean is the first component
    assert table.at["p1", "beyond_low"] <= table.at["p1", "beyond"] <= table.at["p1", "beyond_high"]


def test_removing_the_known_error_covariance_recovers_the_error_free_parts():
    frame, truth = _one_thing(6000, seed=2, error_sd=0.5)
    sigma = pd.DataFrame(np.diag([0.25] * 4 + [0.0]), index=PILLARS + ["headline"], columns=PILLARS + ["headline"])
    naive = general_and_specific(frame, "index", PILLARS, year_col=None, n_boot=0)
    fixed = general_and_specific(frame, "index", PILLARS, year_col=None, n_boot=0, error_cov=sigma,
                                 inv_m=np.ones(len(frame)))
    assert naive.overall.at[0, "r2_general"] < truth["r2_general"] - 0.05  # the error hides part of it
    assert fixed.overall.at[0, "r2_general"] == pytest.approx(truth["r2_general"], abs=0.015)


def test_the_rank_part_is_within_groups():
    frame, _ = _one_thing(600, seed=3)
    frame["year"] = np.repeat([2022, 2023], 300)
    frame["pct"] = frame.groupby("year")["index"].rank(pct=True) * 100
    out = general_and_specific(frame, "index", PILLARS, year_col="year", rank_col="pct", rank_group_cols=["year"],
                               n_boot=20)
    rank = out.overall.set_index("target").loc["rank"]
    assert 0.7 < rank["r2_general"] < rank["r2_all"] <= 1
    assert out.pillars["rank_share"].sum() == pytest.approx(rank["r2_all"])


@pytest.mark.parametrize("ranges, swaps", [
    pytest.param({"a": (0.38, 0.66), "b": (0.21, 0.27), "c": (-0.12, 0.02)}, 0, id="apart_determined"),
    pytest.param({"a": (0.38, 0.66), "b": (0.21, 0.40), "c": (-0.12, 0.02)}, 1, id="overlap_not_determined"),
])
def test_order_over_the_bound_is_determined_only_where_ranges_do_not_overlap(ranges, swaps):
    sens = pd.DataFrame([{"where": "bound", "pillar": k, "low": lo, "high": hi} for k, (lo, hi) in ranges.items()])
    lead = pd.DataFrame({"pillar": list(ranges), "estimate": [0.5, 0.25, 0.0]})
    pairs = order_under_bound(sens, lead)
    assert len(pairs) == 3 and int((~pairs["determined"]).sum()) == swaps


def _spread_table(seed: int, sds: list[float], rho: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cov = np.full((4, 4), rho) + np.eye(4) * (1 - rho)
    z = rng.multivariate_normal(np.zeros(4), cov, size=600) * np.array(sds)
    frame = pd.DataFrame(z, columns=PILLARS)
    frame["index"] = z @ np.array([1.0, 0.6, 0.5, 0.4]) + rng.normal(0, 0.5, 600)
    return frame


def _summary(frame: pd.DataFrame) -> pd.Series:
    from smartcity_utils.analysis.drivers.ols import ols_drivers

    results = {"ols": ols_drivers(frame, "index", PILLARS).table,
               "dominance": dominance_analysis(frame, "index", PILLARS, n_boot=0)}
    summary = driver_summary(results, any_table=True, pillar_correlation=0.0,
                             pillar_sd=frame[PILLARS].std().to_dict())
    return summary.set_index("method").loc["dominance"]


def test_the_reason_is_the_spread_when_uncorrelated_pillars_differ_in_spread():
    # p1 has the largest slope, p2 a spread four times as wide: dominance puts p2 first because of its spread.
    row = _summary(_spread_table(4, [1.0, 4.0, 1.0, 1.0], rho=0.0))
    assert row["top_pillar"] == "p2" and row["why_key"] == "why_dominance_spread"
    assert row["spread_ratio"] == pytest.approx(4, rel=0.1)


def test_the_reason_is_the_correlation_when_spreads_are_equal():
    # Equal spreads (standardised); p1 has the largest slope, p4 shares much with p2 and p3 and takes their credit.
    rng = np.random.default_rng(5)
    cov = np.eye(4)
    cov[3, 1] = cov[1, 3] = cov[3, 2] = cov[2, 3] = 0.7
    cov[1, 2] = cov[2, 1] = 0.5
    z = rng.multivariate_normal(np.zeros(4), cov, size=600)
    z = (z - z.mean(axis=0)) / z.std(axis=0, ddof=1)
    frame = pd.DataFrame(z, columns=PILLARS)
    frame["index"] = z @ np.array([0.55, 0.35, 0.35, 0.5]) + rng.normal(0, 0.3, 600)
    row = _summary(frame)
    assert row["lead_top_pillar"] == "p1" and row["top_pillar"] == "p4"
    assert row["why_key"] == "why_dominance_correlation" and row["scaled_top_pillar"] == "p1"


def test_the_dominance_answer_quotes_the_share_of_r_squared_beside_the_part():
    row = _summary(_spread_table(6, [1.0, 1.0, 1.0, 1.0], rho=0.3))
    assert row["top_share"] == pytest.approx(row["top_estimate"] / row["r2_full"])


VALIDATION_CSV = Path(__file__).resolve().parents[3] / "shared/validation/smart_city_index_102.csv"


@pytest.mark.skipif(not VALIDATION_CSV.exists(), reason="the 102-city validation table is not on this machine")
def test_on_the_102_city_table_the_reason_is_the_spread_not_correlated_pillars():
    # Its pillars correlate little (mean 0.12) but differ in spread (Living about twice Government's): dominance
    # puts Living first where the regression puts Mobility first, because of the spread.
    from smartcity_utils.analysis.drivers.run import run_driver_analysis
    from smartcity_utils.report.drivers import summary_words

    table = pd.read_csv(VALIDATION_CSV)
    pillars = ["Smart_Mobility", "Smart_Environment", "Smart_Government", "Smart_Economy", "Smart_People",
               "Smart_Living"]
    results = run_driver_analysis(table, "SmartCity_Index", pillars, n_boot=20)
    row = results["summary"].set_index("method").loc["dominance"]
    assert row["why_key"] == "why_dominance_spread" and row["top_pillar"] == "Smart_Living"
    words = summary_words(results["summary"], "en").set_index("method").loc["dominance"]
    assert "spreads differ" in words["comparison"] and "correlated pillars" not in words["comparison"]
    assert "of the variance, that is" in words["answer"]
