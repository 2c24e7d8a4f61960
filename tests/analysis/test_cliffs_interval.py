"""Known truth for Cliff's delta and its interval (notebook 02), and the Holm family the tables state."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from smartcity_utils.analysis.cohorts import cliffs_delta, cliffs_delta_ci, compare_cohorts


def test_cliffs_interval_holds_a_known_delta_about_95_percent_of_the_time():
    # Two normal samples a shift mu apart: delta = 2 Phi(mu / sqrt 2) - 1 (0.52 for mu = 1).
    rng = np.random.default_rng(4)
    mu, reps = 1.0, 1000
    truth = 2 * stats.norm.cdf(mu / np.sqrt(2)) - 1
    hits = 0
    for _ in range(reps):
        d, low, high = cliffs_delta_ci(rng.normal(mu, 1, 25), rng.normal(0, 1, 30))
        hits += low <= truth <= high
    assert abs(hits / reps - 0.95) < 0.025  # Monte Carlo standard error 0.7 points


def test_cliffs_interval_is_the_delta_of_the_pairs_and_stays_within_minus_one_and_one():
    x, y = [3.1, 3.4, 2.9, 3.8], [2.5, 2.6, 3.0]
    d, low, high = cliffs_delta_ci(x, y)
    assert d == pytest.approx(cliffs_delta(x, y))
    assert -1 <= low < d < high <= 1
    d, low, high = cliffs_delta_ci([5.0, 6, 7], [1.0, 2, 3])  # complete separation keeps an interval
    assert d == 1 and low < 1 and high == 1


def test_holm_is_applied_per_time_point_and_the_family_size_is_recorded():
    rng = np.random.default_rng(5)
    rows = pd.DataFrame({"regency_id": range(60), "cohort_year": np.repeat([2017, 2018, 2019], 20),
                         "year": np.tile([2022, 2023], 30), "a": rng.normal(3, 0.3, 60), "b": rng.normal(3, 0.3, 60)})
    out = compare_cohorts(rows, ["a", "b"], n_boot=20)
    assert set(out.kruskal["holm_family"]) == {2}  # two measures per year, not four tests together
    assert set(out.pairwise["holm_family"]) == {6}  # two measures x three pairs per year
    first = out.kruskal[out.kruskal["year"] == 2022]
    by_hand = np.minimum(1, np.maximum.accumulate(np.sort(first["p_value"]) * [2, 1]))  # Holm on a family of 2
    assert first["p_holm"].tolist() == pytest.approx(by_hand[np.argsort(np.argsort(first["p_value"]))])
