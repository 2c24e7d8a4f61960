"""Follow-up rates and the association of completed recommendations with the index change, checked against
known truths and an independent computation; themes by pillar and cohort."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from smartcity_utils.analysis import recommendations as rec
from smartcity_utils.clean.assemble import run_clean
from smartcity_utils.paths import EXAMPLE_RAW_DIR, EXAMPLE_TRUTH_DIR


def _clustered(rng: np.random.Generator, n_regencies: int, share: float, spread: float = 0.5):
    """Regencies whose completion differs (logit-normal), 3 to 8 recommendations each."""
    p = expit(logit(share) + spread * rng.normal(size=n_regencies))
    totals = rng.integers(3, 9, size=n_regencies)
    return rng.binomial(totals, p), totals


def _true_share(share: float, spread: float = 0.5) -> float:
    z = np.random.default_rng(99).normal(size=2_000_000)
    return float(expit(logit(share) + spread * z).mean())


@pytest.mark.parametrize("n_regencies", [3, 30])
def test_the_interval_of_a_follow_up_rate_holds_the_true_share_about_95_percent_of_the_time(n_regencies):
    rng = np.random.default_rng(n_regencies)
    truth = _true_share(0.45)
    hits = 0
    reps = 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about few clusters, which is the point here
        for _ in range(reps):
            done, totals = _clustered(rng, n_regencies, 0.45)
            _share, low, high = rec.cluster_share(done, totals)
            hits += low <= truth <= high
    assert 0.91 <= hits / reps <= 0.98


def test_the_interval_is_the_cluster_robust_one_computed_by_hand():
    rng = np.random.default_rng(7)
    done, totals = _clustered(rng, 12, 0.4)
    share, low, high = rec.cluster_share(done, totals)
    n, g = totals.sum(), len(totals)
    # CR2 of a mean: each cluster's summed residual scaled by 1 / sqrt(1 - n_g / N) (the leverage of the
    # cluster), squared and summed, over N^2; t on G - 1.
    resid = done - share * totals
    se = np.sqrt((resid ** 2 / (1 - totals / n)).sum() / n ** 2)
    from scipy import stats

    half = stats.t.ppf(0.975, g - 1) * se
    assert share == pytest.approx(done.sum() / n)
    assert (low, high) == pytest.approx((share - half, share + half), abs=1e-12)


def test_a_share_of_zero_gets_a_wilson_interval_and_too_few_regencies_none():
    share, low, high = rec.cluster_share(np.array([0, 0, 0, 0]), np.array([3, 4, 2, 5]))
    assert share == 0 and low == pytest.approx(0, abs=1e-12) and 0.15 < high < 0.3  # Wilson on 14 items: about 0.215
    share, low, high = rec.cluster_share(np.array([1, 2]), np.array([3, 4]))
    assert share == pytest.approx(3 / 7) and np.isnan(low) and np.isnan(high)


def _followup(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["regency_id", "regency", "year", "cohort_year", "followup_status", "themes"])
    return frame.assign(recommendation_id=range(1, len(frame) + 1), is_simulated=False,
                        pillar_key="smart_governance", dimension_key=None, recommendation="r")


def test_follow_up_rates_by_cohort_count_what_is_recorded():
    rows = [(1, "A", 2023, 2017, "selesai", ""), (1, "A", 2023, 2017, "belum", ""), (2, "B", 2023, 2017, "proses", ""),
            (2, "B", 2023, 2017, None, ""), (3, "C", 2023, 2017, "selesai", ""), (4, "D", 2023, 2021, "selesai", ""),
            (5, "E", 2024, 2021, None, "")]  # 2024: no follow-up recorded for any, left out
    rates = rec.followup_rates(_followup(rows)).set_index("group")
    first = rates.loc[2017]
    assert (first["n_regencies"], first["n_recommendations"], first["n_recorded"]) == (3, 5, 4)
    assert (first["share_selesai"], first["share_proses"], first["share_belum"]) == (0.5, 0.25, 0.25)
    assert first[["share_selesai_low", "share_selesai_high"]].notna().all()
    assert rates.loc[2021, "n_recommendations"] == 1 and np.isnan(rates.loc[2021, "share_selesai_low"])


def test_completion_against_the_index_change_recovers_a_known_slope():
    rng = np.random.default_rng(3)
    n_regencies, slope = 120, 0.02  # +0.02 index points per 10 percentage points done
    hits = 0
    estimates = []
    for rep in range(100):
        regency = np.repeat(np.arange(n_regencies), 2)
        share = rng.uniform(0, 1, size=len(regency))
        start = 2.8 + 0.3 * rng.normal(size=len(regency))
        effect = np.repeat(0.04 * rng.normal(size=n_regencies), 2)  # shared by a regency's two years
        change = slope * 10 * share - 0.2 * (start - 2.8) + effect + 0.05 * rng.normal(size=len(regency))
        units = pd.DataFrame({"regency_id": regency, "share_done": share, "index_start": start,
                              "index_change": change, "n_agencies_total": np.nan})
        table = rec.completion_association(units).set_index("term")
        row = table.loc["share_done"]
        estimates.append(row["estimate"])
        hits += row["ci_low"] <= slope <= row["ci_high"]
        if rep == 0:
            assert set(table.index) == {"share_done", "index_start", "spearman"}  # agencies only where known
            assert table.loc["index_start", "estimate"] == pytest.approx(-0.2, abs=0.03)
    assert np.mean(estimates) == pytest.approx(slope, abs=0.002)
    assert 0.88 <= hits / 100 <= 1.0


def test_completion_association_needs_enough_regency_years():
    units = pd.DataFrame({"regency_id": range(5), "share_done": 0.5, "index_start": 3.0, "index_change": 0.1,
                          "n_agencies_total": 10})
    assert rec.completion_association(units).empty


def test_themes_by_pillar_count_each_theme_and_list_those_without_one():
    frame = pd.DataFrame({
        "recommendation_id": [1, 2, 3, 4], "regency_id": [1, 1, 2, 2], "regency": ["A", "A", "B", "B"],
        "year": 2023, "pillar_key": ["smart_governance", "smart_governance", "all", None],
        "dimension_key": [None, None, None, "impact"], "recommendation": ["SPBE", "SPBE dan Satu Data", "x", "y"],
        "themes": ["spbe", "spbe; one_data", "", ""], "n_themes": [1, 2, 0, 0], "is_simulated": False})
    got = rec.themes_by(frame, "pillar")
    spbe = got[(got["theme_key"] == "spbe") & (got["group"] == "smart_governance")].iloc[0]
    assert (spbe["n_recommendations"], spbe["share"]) == (2, 1.0)
    assert got["theme_key"].iloc[-1] == rec.NO_THEME
    assert set(got.loc[got["theme_key"] == rec.NO_THEME, "group"]) == {"all", "impact"}
    unthemed = rec.without_theme(frame)
    assert unthemed[["scope", "recommendation", "n_recommendations"]].values.tolist() == [["all", "x", 1],
                                                                                        ["impact", "y", 1]]


def test_agencies_become_covariates_per_regency_year():
    agencies = pd.DataFrame({"regency_id": 1, "year": 2023, "pillar_key": ["smart_governance", "smart_branding",
                                                                           "smart_economy", "smart_living",
                                                                           "smart_society", "smart_environment"],
                             "n_agencies": [10, 3, 8, 10, 7, 4]})
    wide = rec.agency_covariates(pd.concat([agencies, agencies.iloc[:2].assign(year=2024)]))
    first = wide.set_index("year").loc[2023]
    assert first["n_agencies_total"] == 42 and first["n_agencies_smart_branding"] == 3
    assert np.isnan(wide.set_index("year").loc[2024, "n_agencies_total"])  # two pillars counted: no total


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("processed")
    run_clean(EXAMPLE_RAW_DIR, folder)
    return rec.load(folder)


def test_on_the_example_the_done_share_by_cohort_covers_the_simulators_truth(example):
    truth = json.loads((EXAMPLE_TRUTH_DIR / "simulation_truth.json").read_text())["recommendation_followup"]
    rates = rec.followup_rates(example.followup)
    with_interval = rates.dropna(subset=["share_selesai_low"])
    assert len(with_interval) >= 4
    covered = (with_interval["share_selesai_low"] <= truth["shares"]["selesai"]) & (
        truth["shares"]["selesai"] <= with_interval["share_selesai_high"])
    assert covered.mean() >= 0.75
    assert rates[["share_belum", "share_proses", "share_selesai"]].sum(axis=1).round(9).eq(1).all()


def test_on_the_example_completion_shows_no_association_with_the_index_change(example):
    # The simulator draws statuses independently of every score: the interval should hold 0.
    units = rec.completion_units(example.followup, example.index, example.agencies)
    assert units["is_simulated"].all() and len(units) >= rec.MIN_UNITS_FOR_ASSOCIATION
    row = rec.completion_association(units).set_index("term").loc["share_done"]
    assert row["ci_low"] <= 0 <= row["ci_high"]


def test_load_stops_in_one_line_without_recommendations(tmp_path):
    from smartcity_utils.errors import UserError
    from smartcity_utils.tables import write_tables

    tables = {"recommendations": pd.DataFrame(columns=["recommendation_id"]),
              "recommendation_followup": pd.DataFrame(), "agencies": pd.DataFrame(),
              "regency_year": pd.DataFrame(), "regencies": pd.DataFrame()}
    write_tables(tables, tmp_path)
    with pytest.raises(UserError, match="hold no recommendation"):
        rec.load(tmp_path)
    assert rec.coverage(tmp_path) == rec.no_recommendations_reason()
