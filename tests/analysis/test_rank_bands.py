"""Rank bands against true ranks, fully loaded groups only, and the published weight sets as scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from smartcity_utils.analysis.index import dimension_keys
from smartcity_utils.analysis.rank_uncertainty import (
    RankModel,
    band_coverage_check,
    dimension_error_cov,
    dirichlet_concentration,
    rank_uncertainty,
    scenario_ranks,
    scenario_reach,
    weight_scenarios,
)
from smartcity_utils.analysis.ranks import rank_scores

DIMS = dimension_keys()


@pytest.fixture(scope="module")
def panels():
    """Simulated panels with a known true score; assessor rows kept for 2022 to 2024, as in the example."""
    from smartcity_simulator import simulate_panels
    from smartcity_simulator.model import ASSESSOR_YEARS

    sim = simulate_panels(seed=3)
    units = sim["units"].rename(columns={"regency": "regency_id"})
    rows = sim["assessors"].rename(columns={"regency": "regency_id"})
    rows = rows[rows["year"].isin(ASSESSOR_YEARS)]
    tidy = rows.melt(id_vars=["regency_id", "year", "assessor"], value_vars=DIMS, var_name="dimension_key",
                     value_name="score")
    truth = rank_scores(units.assign(_t=units["true_final_score"]), "_t").to_numpy()
    return units, tidy, truth, units["year"].isin(ASSESSOR_YEARS).to_numpy()


def _coverage(units, model, truth, rows):
    band = rank_uncertainty(units, model)
    inside = (band["rank_p05"].to_numpy() <= truth) & (truth <= band["rank_p95"].to_numpy())
    return float(inside[rows].mean())


@pytest.mark.parametrize("variance, low, high", [
    # Input: regency-years whose 3-4 assessors are known. Each panel's own spread has 2-3 degrees of freedom:
    # resampling them gives bands that hold the true rank about 80 % of the time where 90 % is meant.
    pytest.param("resample", 0.74, 0.86, id="own_assessors_resampled_under_cover"),
    # The pooled error covariance over the panel's own size: about the nominal 90 %.
    pytest.param("pooled", 0.86, 0.95, id="pooled_error_near_nominal"),
])
def test_rank_bands_hold_the_true_rank(panels, variance, low, high):
    units, tidy, truth, has = panels
    model = RankModel(n_draws=300, weight_spread=0.0, assessor_scores=tidy, panel_variance=variance,
                      panel_error_cov=dimension_error_cov(tidy), panel_size=3.5)
    assert low < _coverage(units, model, truth, has) < high


def test_band_coverage_check_on_the_data_at_hand(panels):
    # The check simulates panels around the table's own scores: under the panel model it finds about 90 %.
    units, tidy, _, _ = panels
    check = band_coverage_check(units, RankModel(n_draws=200, assessor_scores=tidy), n_rep=4)
    assert check["nominal"] == 0.9 and check["n_bands"] > 3000
    assert 0.86 < check["coverage"] < 0.95


def _small(group_complete=None):
    frame = pd.DataFrame({"regency_id": [1, 2, 3, 4], "year": 2023, "evaluation_group": ["A", "A", "B", "B"],
                          **{d: [3.0, 2.0, 3.5, 1.0] for d in DIMS}})
    frame["final_score"] = frame[DIMS[0]]
    if group_complete is not None:
        frame["group_complete"] = group_complete
    return frame


@pytest.mark.parametrize("complete, expected", [
    pytest.param(None, [1, 2, 1, 2], id="no_column_every_group_ranked"),
    pytest.param([True, True, False, False], [1, 2, None, None], id="group_B_not_fully_loaded_no_band"),
])
def test_bands_only_in_fully_loaded_groups(complete, expected):
    out = rank_uncertainty(_small(complete), n_draws=20, weight_spread=0.0)
    got = [None if np.isnan(v) else int(v) for v in out["rank_median"]]
    assert got == expected
    if complete is not None:
        assert out["panel_model"].iloc[2] == "no band: evaluation group not fully loaded"


def test_scenario_ranks_by_hand():
    # Two regencies, 2022 (year weights 10/20/30/20/20). A: impact 4, quick win 2; B: impact 2, quick win 4,
    # other dimensions 3. Year weights: A = B = 3.0 (tie, rank 1 each); Sleman 10/20/30/30/10: A 3.2 > B 2.8.
    frame = pd.DataFrame({"regency_id": ["A", "B"], "year": 2022, "evaluation_group": "Nasional",
                          "baseline": 3.0, "output": 3.0, "outcome": 3.0, "impact": [4.0, 2.0],
                          "quick_wins": [2.0, 4.0]})
    out = scenario_ranks(frame).set_index(["scenario", "regency_id"])
    assert out.loc[("year_weights", "A"), "index"] == pytest.approx(3.0)
    assert out.loc[("sleman", "A"), "index"] == pytest.approx(3.2)
    assert out.loc[("sleman", "B"), "index"] == pytest.approx(2.8)
    assert out.loc["year_weights", "rank"].tolist() == [1, 1]
    assert out.loc["sleman", "rank"].tolist() == [1, 2]


def test_the_band_rarely_reaches_the_other_published_set():
    # Independent computation: (Impact, Quick Win, rest) ~ Dirichlet(c .2, c .2, c .6); the draws that reach the
    # Sleman set have Impact >= .3 and Quick Win <= .1: integrate that density over the region.
    c = dirichlet_concentration(0.25, 5)
    density = stats.dirichlet([c * 0.2, c * 0.2, c * 0.6])

    def pdf(q, i):
        rest = 1 - i - q
        return density.pdf([i, q, rest]) if rest > 0 else 0.0

    exact, _ = integrate.dblquad(pdf, 0.3, 1.0, lambda i: 1e-9, lambda i: min(0.1, 1 - i - 1e-9))
    reach = scenario_reach(n_draws=200_000).set_index(["year", "scenario"])["share_of_draws_reaching"]
    assert reach[(2022, "sleman")] == pytest.approx(exact, abs=0.0004)
    assert exact < 0.005
    assert reach[(2022, "letter_2021")] == 1.0  # the year's own weights


def test_weight_scenarios_carry_their_sources_and_refuse_bad_rows(tmp_path):
    sets = weight_scenarios()
    assert set(sets["scenario"]) == {"letter_2021", "sleman"}
    assert sets["source"].str.len().gt(20).all()
    bad = sets.copy()
    bad.loc[0, "weight"] = 0.5
    path = tmp_path / "weight_scenarios.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"weight_scenarios.csv, column 'weight': set 'letter_2021' sums to 1.4"):
        weight_scenarios(path)
