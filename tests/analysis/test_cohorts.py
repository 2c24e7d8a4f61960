"""Tests of cohort comparisons and their statistics."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from smartcity_utils.analysis import cohorts as co

PILLARS = ["smart_governance", "smart_branding", "smart_economy",
           "smart_living", "smart_society", "smart_environment"]


def _brute_cliff(x, y):
    pairs = list(itertools.product(x, y))
    return (sum(a > b for a, b in pairs) - sum(a < b for a, b in pairs)) / len(pairs)


def _two_cohorts(shift: float = 0.5, n: int = 30, seed: int = 0) -> pd.DataFrame:
    """Cohort 2017 is cohort 2021 shifted by ``shift`` on every pillar, in 2023."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(2 * n):
        cohort = 2017 if i < n else 2021
        row = {"regency_id": i, "regency": f"R{i}", "year": 2023, "cohort_year": cohort,
               "years_in_programme": 2023 - cohort, "province": "P1" if i % 2 else "P2",
               "final_score_reported": np.nan, "final_score_computed": 3.0}
        row.update({p: 3.0 + rng.normal(0, 0.2) + (shift if cohort == 2017 else 0) for p in PILLARS})
        rows.append(row)
    return pd.DataFrame(rows)


# --- Cliff's delta ---------------------------------------------------------------


def test_cliffs_delta_known_values():
    assert co.cliffs_delta([5, 6, 7], [1, 2, 3]) == 1.0
    assert co.cliffs_delta([1, 2, 3], [5, 6, 7]) == -1.0
    assert co.cliffs_delta([1, 2, 3], [1, 2, 3]) == 0.0
    # x = [1, 3], y = [2]: one pair above, one below -> 0; with y = [1]: (1 above, 1 tie) -> 1/2
    assert co.cliffs_delta([1, 3], [2]) == 0.0
    assert co.cliffs_delta([1, 3], [1]) == 0.5
    assert np.isnan(co.cliffs_delta([], [1.0]))


def test_cliffs_delta_matches_brute_force_with_ties():
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = np.round(rng.normal(3, 0.4, rng.integers(1, 25)), 1)
        y = np.round(rng.normal(3.1, 0.4, rng.integers(1, 25)), 1)
        assert co.cliffs_delta(x, y) == pytest.approx(_brute_cliff(x, y), abs=1e-12)


def test_cliffs_delta_ignores_nan():
    assert co.cliffs_delta([5, np.nan], [1, 2]) == 1.0


# --- Holm ----------------------------------------------------------------------


def test_holm_hand_worked():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06
    adjusted = co.holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_keeps_nan_out_of_the_family():
    adjusted = co.holm_adjust([0.01, np.nan, 0.04])
    # family of two: 0.01*2 = 0.02, 0.04*1 = 0.04
    assert adjusted[0] == pytest.approx(0.02)
    assert np.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.04)


# --- bootstrap -------------------------------------------------------------------


def test_bootstrap_median_ci_contains_median_and_is_seeded():
    x = np.random.default_rng(3).normal(3, 0.3, 40)
    low, high = co.bootstrap_median_ci(x, n_boot=500, seed=1)
    assert low <= np.median(x) <= high
    assert (low, high) == co.bootstrap_median_ci(x, n_boot=500, seed=1)
    assert co.bootstrap_median_ci([2.5, 2.5, 2.5]) == (2.5, 2.5)
    assert all(np.isnan(co.bootstrap_median_ci([2.5])))


# --- compare_cohorts ----------------------------------------------------------------


def test_kruskal_matches_scipy_direct():
    df = _two_cohorts(shift=0.1, n=12, seed=2)
    df.loc[df.index[:6], "cohort_year"] = 2018  # three cohorts
    res = co.compare_cohorts(df, "smart_economy", n_boot=200)
    groups = [g["smart_economy"].to_numpy() for _, g in df.groupby("cohort_year")]
    expected = stats.kruskal(*groups)
    row = res.kruskal.iloc[0]
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["p_value"] == pytest.approx(expected.pvalue)
    assert row["n_cohorts"] == 3
    assert len(res.pairwise) == 3


def test_shifted_cohort_is_significant_with_large_delta():
    df = _two_cohorts(shift=0.5)
    res = co.compare_cohorts(df, PILLARS, n_boot=200)
    assert (res.kruskal["p_holm"] < 0.001).all()
    assert (res.pairwise["p_holm"] < 0.001).all()
    # cohort_a = 2017 (shifted up): Cliff's delta large and positive (> 0.474 is "large")
    assert (res.pairwise["cohort_a"] == 2017).all()
    assert (res.pairwise["cliffs_delta"] > 0.8).all()
    # Holm across the six pillars: each adjusted p is at least the raw one
    assert (res.pairwise["p_holm"] >= res.pairwise["p_value"]).all()
    summary = res.summary.set_index(["measure", "cohort_year"])
    assert summary.loc[("smart_living", 2017), "median"] > summary.loc[("smart_living", 2021), "median"]


def test_unshifted_cohorts_are_not_significant():
    res = co.compare_cohorts(_two_cohorts(shift=0.0, seed=4), "smart_living", n_boot=200)
    assert res.kruskal["p_value"].iloc[0] > 0.05


def test_programme_year_alignment():
    rows = [
        {"regency_id": 1, "year": 2020, "cohort_year": 2017, "years_in_programme": 3, "smart_economy": 3.0},
        {"regency_id": 2, "year": 2024, "cohort_year": 2021, "years_in_programme": 3, "smart_economy": 2.5},
        {"regency_id": 1, "year": 2024, "cohort_year": 2017, "years_in_programme": 7, "smart_economy": 3.4},
    ]
    df = pd.DataFrame(rows)
    traj = co.cohort_trajectories(df, "smart_economy", by="programme_year")
    third_year = traj[traj["years_in_programme"] == 3]
    assert third_year["cohort_year"].tolist() == [2017, 2021]
    assert third_year["median"].tolist() == [3.0, 2.5]
    # at calendar year 2024 the same regencies sit in different programme years
    cal = co.cohort_trajectories(df, "smart_economy", by="calendar")
    assert cal[cal["year"] == 2024]["median"].tolist() == [3.4, 2.5]
    # derived when the column is absent: year - cohort_year
    derived = co.cohort_trajectories(df.drop(columns="years_in_programme"), "smart_economy",
                                     by="programme_year")
    pd.testing.assert_frame_equal(derived, traj)
    res = co.compare_cohorts(df, "smart_economy", by="programme_year", min_n=1, n_boot=50)
    pair = res.pairwise.iloc[0]
    assert (pair["years_in_programme"], pair["cohort_a"], pair["cohort_b"]) == (3, 2017, 2021)


def test_cohort_trajectories_median_and_iqr():
    df = pd.DataFrame({"regency_id": range(5), "year": 2022, "cohort_year": 2018,
                       "smart_branding": [1.0, 2.0, 3.0, 4.0, np.nan]})
    out = co.cohort_trajectories(df, "smart_branding")
    row = out.iloc[0]
    assert (row["n"], row["median"], row["q25"], row["q75"]) == (4, 2.5, 1.75, 3.25)


# --- focus_vs_cohort ----------------------------------------------------------------


def test_focus_vs_cohort_hand_worked():
    df = pd.DataFrame({
        "regency_id": [1, 2, 3, 4, 5],
        "regency": ["Paser", "B", "C", "D", "E"],
        "year": 2022,
        "cohort_year": [2021, 2021, 2021, 2021, 2017],
        "province": ["Kalimantan Timur"] * 2 + ["Other"] * 3,
        "smart_economy": [3.0, 2.0, 3.5, 3.0, 4.0],
        "final_score_reported": [2.88, np.nan, 3.0, 2.5, 3.9],
        "final_score_computed": [2.9, 2.7, 3.01, 2.52, 3.88],
    })
    out = co.focus_vs_cohort(df, [1], measures=["smart_economy", "final_score"])
    eco = out[out["measure"] == "smart_economy"].iloc[0]
    # cohort 2021 = {3.0, 2.0, 3.5, 3.0}: median 3.0, best 3.5;
    # others lower: 1 (2.0), ties 1 (3.0) -> (1 + 0.5) / 3
    assert (eco["cohort"], eco["score"], eco["cohort_median"], eco["cohort_best"], eco["n_in_cohort"]) == (
        2021, 3.0, 3.0, 3.5, 4)
    assert eco["percentile_in_cohort"] == pytest.approx(50.0)
    assert eco["gap_to_median"] == 0.0
    fin = out[out["measure"] == "final_score"].iloc[0]
    # reported where present, computed for regency 2: {2.88, 2.7, 3.0, 2.5}
    assert fin["score"] == 2.88
    assert fin["cohort_median"] == pytest.approx(2.79)
    assert fin["gap_to_median"] == pytest.approx(0.09)
    # any column as cohort
    prov = co.focus_vs_cohort(df, [1], cohort_col="province", measures=["smart_economy"]).iloc[0]
    assert (prov["cohort"], prov["n_in_cohort"], prov["percentile_in_cohort"]) == ("Kalimantan Timur", 2, 100.0)


def test_focus_vs_cohort_default_measures_and_unknown_id():
    df = _two_cohorts(n=5)
    out = co.focus_vs_cohort(df, [0, 7], years=[2023])
    assert out["measure"].unique().tolist() == PILLARS + ["final_score"]
    assert len(out) == 2 * 7
    with pytest.raises(ValueError, match="999"):
        co.focus_vs_cohort(df, [999])
