"""A rank is computed only within a group the data hold whole; a computed index is checked against the
reported one with the year's weights, and the verdict says whether the weights are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.index import reconcile_index, weights_of_years
from smartcity_utils.analysis.ranks import add_ranks, cohort_complete, group_completeness


def _rows(scores: list[float], group_size=None, year: int = 2022, group: str = "G", cohort_size=None) -> pd.DataFrame:
    frame = pd.DataFrame({"regency_id": range(1, len(scores) + 1), "year": year, "evaluation_group": group,
                          "cohort_year": 2017, "final_score": scores})
    if group_size is not None:
        frame["group_size"] = pd.array([group_size] * len(scores), dtype="Int64")
    if cohort_size is not None:
        frame["cohort_size"] = pd.array([cohort_size] * len(scores), dtype="Int64")
    return frame


@pytest.mark.parametrize("size, ranks, n_in_group", [
    pytest.param(3, [2.0, 1.0, 3.0], 3.0, id="whole_group_ranked"),
    pytest.param(37, [np.nan] * 3, 37.0, id="three_of_37_not_ranked"),
    pytest.param(pd.NA, [np.nan] * 3, np.nan, id="size_unknown_not_ranked"),
])
def test_ranks_only_in_a_group_held_whole(size, ranks, n_in_group):
    out = add_ranks(_rows([3.1, 3.4, 2.9], group_size=size), score_col="final_score")
    np.testing.assert_array_equal(out["rank_computed"].to_numpy(), ranks)
    assert out["n_loaded"].tolist() == [3, 3, 3]
    np.testing.assert_array_equal(out["n_in_group"].to_numpy(), [n_in_group] * 3)
    # The year's percentiles stand or fall with the ranks: the year holds this one group.
    assert out["percentile_year"].isna().all() == bool(np.isnan(ranks[0]))


def test_a_member_without_a_score_leaves_the_group_incomplete():
    frame = _rows([3.1, 3.4, np.nan], group_size=3)
    whole = group_completeness(frame, "final_score")
    assert whole["n_loaded"].tolist() == [2, 2, 2] and not whole["group_complete"].any()


def test_a_table_without_group_sizes_is_taken_to_hold_whole_groups():
    out = add_ranks(_rows([3.1, 3.4, 2.9]), score_col="final_score")
    assert out["rank_computed"].tolist() == [2.0, 1.0, 3.0] and out["group_complete"].all()


def test_year_percentiles_need_every_group_of_the_year_whole():
    whole = _rows([3.1, 3.4], group_size=2, group="A")
    partial = _rows([3.0, 2.5], group_size=10, group="B").assign(regency_id=[3, 4])
    out = add_ranks(pd.concat([whole, partial], ignore_index=True), score_col="final_score")
    assert out["rank_computed"].notna().tolist() == [True, True, False, False]
    assert out["percentile_year"].isna().all()


def test_cohort_percentiles_need_every_member_of_the_cohort():
    assert cohort_complete(_rows([3.1, 3.4], cohort_size=2), "final_score").all()
    assert not cohort_complete(_rows([3.1, 3.4], cohort_size=25), "final_score").any()
    out = add_ranks(_rows([3.1, 3.4], group_size=2, cohort_size=25), score_col="final_score")
    assert out["percentile_cohort"].isna().all() and out["rank_computed"].notna().all()


def _letter(year: int, dims: list[float], reported: float) -> pd.DataFrame:
    keys = ["baseline", "output", "outcome", "impact", "quick_wins"]
    return pd.DataFrame([{"regency_id": 259, "regency": "Kota Kediri", "year": year, "final_score_reported": reported,
                          **dict(zip(keys, dims))}])


@pytest.mark.parametrize("year, dims, reported, verdict, status", [
    # Kota Kediri's published 2022 letter: 10/20/30/20/20 gives 3.315, published 3.31.
    pytest.param(2022, [3.60, 3.21, 3.23, 3.07, 3.65], 3.31, "agrees", "inferred", id="kediri_2022_agrees"),
    # The same dimensions cannot give 3.10 with any rounding: the 2021 weights are documented, so a score is suspect.
    pytest.param(2021, [3.60, 3.21, 3.23, 3.07, 3.65], 3.10, "differs_documented", "documented",
                 id="differs_with_the_letter_weights"),
    # No source gives the 2019 weights: the verdict puts the difference on them.
    pytest.param(2019, [3.60, 3.21, 3.23, 3.07, 3.65], 3.31, "differs_weights_unknown", "assumed",
                 id="differs_with_assumed_weights"),
])
def test_reconciliation_verdict_both_ways(year, dims, reported, verdict, status):
    row = reconcile_index(_letter(year, dims, reported)).iloc[0]
    assert (row["verdict"], row["weights_status"]) == (verdict, status)
    assert row["final_score_reported"] == reported and np.isfinite(row["final_score_computed"])


def test_weights_of_each_year_say_how_they_are_known():
    weights = weights_of_years([2019, 2021, 2022, 2099])
    assert weights.loc[2021, "weights"] == "10/20/30/20/20" and weights.loc[2021, "weights_status"] == "documented"
    assert "pelitasumsel.com" in weights.loc[2021, "weights_source_url"]
    assert weights.loc[2019, "weights"] == "10/20/30/30/10" and weights.loc[2019, "weights_status"] == "assumed"
    assert weights.loc[2099, "weights_status"] == "assumed" and weights.loc[2099, "weights"] == "10/20/30/20/20"
