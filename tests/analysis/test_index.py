"""Tests of the headline index, its reconciliation, ranks and rank uncertainty."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from smartcity_utils import reference as ref
from smartcity_utils.analysis import index as ix
from smartcity_utils.analysis import rank_uncertainty, ranks
from smartcity_utils.reference import DIMENSION_KEYS

DIMS = ["baseline", "output", "outcome", "impact", "quick_wins"]


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"evaluation_group": "Nasional", "cohort_year": 2017}
    return pd.DataFrame([{**base, **r} for r in rows])


def _kediri(reported: float = 3.31) -> pd.DataFrame:
    dims = dict(zip(DIMS, [3.60, 3.21, 3.23, 3.07, 3.65]))
    return _frame([{"regency_id": 1, "regency": "Kota Kediri", "year": 2022,
                    "final_score_reported": reported, **dims}])


def _synthetic(n: int = 40, years=(2022, 2023), groups=("A", "B"), seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        for i in range(n):
            row = {"regency_id": i, "regency": f"R{i}", "year": year,
                   "evaluation_group": groups[i % len(groups)], "cohort_year": 2017 + i % 3}
            row.update({k: round(float(rng.normal(3, 0.3)), 2) for k in DIMS})
            rows.append(row)
    return pd.DataFrame(rows)


# --- reference tables -------------------------------------------------------


def test_loaders_read_the_reference_files():
    w = ref.dimension_weights()
    assert set(w.columns) >= {"year", "dimension_key", "weight"}
    assert np.allclose(w.groupby("year")["weight"].sum(), 1.0)
    assert ix.dimension_keys() == DIMS
    assert ix.pillar_keys() == ["smart_governance", "smart_branding", "smart_economy",
                                "smart_living", "smart_society", "smart_environment"]


# --- compute_index ------------------------------------------------------------


def test_compute_index_kota_kediri_2022():
    out = ix.compute_index(_kediri())
    # 0.1*3.60 + 0.2*3.21 + 0.3*3.23 + 0.2*3.07 + 0.2*3.65 = 3.315 (hand-worked)
    assert out["final_score_computed"].iloc[0] == pytest.approx(3.315, abs=1e-12)


def test_compute_index_uses_each_years_weights():
    w = pd.DataFrame({"year": [2020] * 5 + [2021] * 5, "dimension_key": DIMS * 2,
                      "weight": [1, 0, 0, 0, 0] + [0, 0, 0, 0, 1]})
    df = _frame([{"regency_id": 1, "year": 2020, **dict(zip(DIMS, [1.0, 2, 3, 4, 3.5]))},
                 {"regency_id": 1, "year": 2021, **dict(zip(DIMS, [1.0, 2, 3, 4, 3.5]))}])
    out = ix.compute_index(df, weights=w)
    assert out["final_score_computed"].tolist() == [1.0, 3.5]


def test_compute_index_missing_dimension_gives_nan():
    df = _kediri()
    df.loc[0, "impact"] = np.nan
    assert np.isnan(ix.compute_index(df)["final_score_computed"].iloc[0])


def test_a_year_without_weights_takes_the_nearest_years_as_assumed_and_says_so():
    df = _kediri().assign(year=2016)  # only a year without weights: computed, never a stop
    with pytest.warns(UserWarning, match=r"no dimension weights for year\(s\) \[2016\]: 2016 uses those of 2019 "
                                         r"\(10/20/30/30/10, assumed\)"):
        out = ix.compute_index(df)
    assert out["final_score_computed"].iloc[0] == pytest.approx(0.1 * 3.6 + 0.2 * 3.21 + 0.3 * 3.23 + 0.3 * 3.07
                                                                + 0.1 * 3.65)
    weights = ix.weights_of_years([2025])
    assert (weights.loc[2025, "weights"], weights.loc[2025, "weights_status"]) == ("10/20/30/20/20", "assumed")
    assert "assumed equal to those of 2024" in weights.loc[2025, "weights_source"]


def test_compute_index_weights_not_summing_to_one_names_the_year():
    w = pd.DataFrame({"year": [2022] * 5, "dimension_key": DIMS, "weight": [0.1, 0.2, 0.3, 0.2, 0.1]})
    with pytest.raises(ValueError, match=r"2022.*sum"):
        ix.compute_index(_kediri(), weights=w)


# --- reconcile_index ----------------------------------------------------------


def test_reconcile_kota_kediri_2022_is_ok_with_file_weights():
    out = ix.reconcile_index(_kediri())
    row = out.iloc[0]
    assert row["status"] == "ok"
    assert row["difference"] == pytest.approx(0.005, abs=1e-12)
    # half a unit of 2 decimals (0.005) + sum_j w_j * 0.005 (= 0.005) + 1e-9
    assert row["tolerance"] == pytest.approx(0.010000001, abs=1e-12)
    assert list(out.columns) == ["regency_id", "regency", "year", "final_score_reported",
                                 "final_score_computed", "difference", "tolerance", "status", "weights_status",
                                 "verdict"]
    assert (row["weights_status"], row["verdict"]) == ("inferred", "agrees")


def test_reconcile_flags_mismatch_and_missing():
    df = pd.concat([_kediri(3.20), _kediri(np.nan).assign(regency_id=2)], ignore_index=True)
    out = ix.reconcile_index(df)
    assert out["status"].tolist() == ["mismatch", "no_reported"]
    assert out["difference"].iloc[0] == pytest.approx(0.115)


def test_reconcile_fixed_tolerance():
    out = ix.reconcile_index(_kediri(), tolerance=0.001)
    assert out["status"].iloc[0] == "mismatch"


def test_decimals_of():
    assert ix.decimals_of(np.array([3.31, 3.5, 3.0, 2.875, np.nan])).tolist() == [2, 1, 0, 3, 0]


# --- ranks --------------------------------------------------------------------


def test_rank_scores_competition_ranking_per_group():
    df = pd.DataFrame({"year": [2022] * 7, "evaluation_group": ["A"] * 5 + ["B"] * 2,
                       "s": [3.5, 3.2, 3.5, 3.0, np.nan, 2.0, 2.5]})
    r = ranks.rank_scores(df, "s")
    assert r.iloc[:4].tolist() == [1, 3, 1, 4]
    assert np.isnan(r.iloc[4])
    assert r.iloc[5:].tolist() == [2, 1]
    assert ranks.rank_scores(df, "s", ascending=True).iloc[:4].tolist() == [3, 2, 3, 1]


def test_add_ranks_percentiles_hand_worked():
    df = _frame([{"regency_id": i, "year": 2022, "final_score_computed": s,
                  "evaluation_group": g, "cohort_year": c}
                 for i, (s, g, c) in enumerate([(4.0, "A", 2017), (3.0, "A", 2017),
                                                (3.0, "B", 2018), (1.0, "B", 2018)])])
    out = ranks.add_ranks(df)
    assert out["rank_computed"].tolist() == [1, 2, 1, 2]
    assert out["n_in_group"].tolist() == [2, 2, 2, 2]
    # others strictly lower + half ties, over n - 1 = 3 others:
    # 4.0: 3/3; 3.0: (1 + 0.5)/3; 1.0: 0/3
    assert out["percentile_year"].tolist() == pytest.approx([100, 50, 50, 0])
    # cohort 2017 = {4, 3}, cohort 2018 = {3, 1}
    assert out["percentile_cohort"].tolist() == pytest.approx([100, 0, 100, 0])


def test_percentile_among_matches_add_ranks_rule():
    assert ranks.percentile_among([4, 3, 3, 1], 3) == pytest.approx(50)
    assert ranks.percentile_among([2, 2, 2], 2) == pytest.approx(50)
    assert np.isnan(ranks.percentile_among([2], 2))


# --- rank uncertainty ---------------------------------------------------------


def test_dirichlet_concentration_and_draws():
    assert rank_uncertainty.dirichlet_concentration(0.5, 5) == pytest.approx(15.0)
    assert np.isinf(rank_uncertainty.dirichlet_concentration(0.0, 5))
    with pytest.raises(ValueError):
        rank_uncertainty.dirichlet_concentration(2.5, 5)
    base = np.array([0.1, 0.2, 0.3, 0.2, 0.2])
    w = rank_uncertainty.draw_weights(base, 20000, 0.5, np.random.default_rng(0))
    assert np.allclose(w.sum(axis=1), 1.0)
    assert np.allclose(w.mean(axis=0), base, atol=0.005)
    # a 0.2 weight (= 1/K) has coefficient of variation weight_spread = 0.5
    assert w[:, 1].std() / 0.2 == pytest.approx(0.5, rel=0.05)


def test_rank_matrix_equals_scipy_rankdata():
    block = np.round(np.random.default_rng(1).normal(size=(30, 50)), 1)  # many ties
    assert np.array_equal(rank_uncertainty._rank_min_columns(block), rankdata(block, method="min", axis=0))


def test_fixed_weights_reproduce_the_deterministic_rank():
    df = ix.compute_index(_synthetic())
    base_rank = ranks.rank_scores(df, "final_score_computed")
    out = rank_uncertainty.rank_uncertainty(df, n_draws=20, weight_spread=0.0)
    assert out["rank_median"].tolist() == base_rank.tolist()
    assert out["rank_p05"].tolist() == base_rank.tolist()
    assert out["rank_p95"].tolist() == base_rank.tolist()
    assert out["share_top10"].tolist() == (base_rank <= 10).astype(float).tolist()


def test_dominating_regency_is_always_first():
    df = _synthetic(n=10, years=(2022,), groups=("A",))
    df.loc[0, DIMS] = 4.0  # above every other regency in every dimension
    out = rank_uncertainty.rank_uncertainty(df, n_draws=300, weight_spread=1.0, top_n=1)
    assert out.loc[0, "rank_p95"] == 1
    assert out.loc[0, "share_top1"] == 1.0
    assert (out["share_top1"].iloc[1:] < 1).all()


def test_assessor_bootstrap_known_probability():
    # Regency 1 is scored 3.0 by one assessor and 3.4 by the other on every
    # dimension; regency 2 has 3.1 in the table and no assessor data. With
    # fixed weights, regency 1 is last only when both resampled assessors are
    # the first one: probability 1/4.
    df = _frame([{"regency_id": 1, "year": 2022, **{k: 3.2 for k in DIMS}},
                 {"regency_id": 2, "year": 2022, **{k: 3.1 for k in DIMS}}])
    assessors = pd.DataFrame([{"regency_id": 1, "year": 2022, "assessor": a, "dimension_key": k, "score": s}
                              for a, s in (("X", 3.0), ("Y", 3.4)) for k in DIMS])
    out = rank_uncertainty.rank_uncertainty(df, n_draws=4000, weight_spread=0.0, assessor_scores=assessors, top_n=1,
                                            panel_variance="resample")
    assert out.loc[0, "share_top1"] == pytest.approx(0.75, abs=0.03)
    assert out.loc[1, "share_top1"] == pytest.approx(0.25, abs=0.03)


def test_vectorised_equals_naive_with_assessors_groups_and_missing():
    df = _synthetic(n=12)
    df.loc[3, "impact"] = np.nan  # unscored regency-year keeps a NaN rank
    rng = np.random.default_rng(5)
    assessors = pd.DataFrame([
        {"regency_id": rid, "year": 2022, "assessor": f"a{a}", "dimension_key": k,
         "score": round(float(rng.normal(3, 0.4)), 2)}
        for rid in (0, 1, 5) for a in range(rid % 3 + 2) for k in DIMS
    ])
    assessors = assessors.drop(index=[0])  # one missing assessor value
    kwargs = dict(n_draws=60, seed=11, weight_spread=0.7, assessor_scores=assessors, panel_variance="resample")
    _, fast = rank_uncertainty.rank_draws(df, **kwargs)
    _, slow = rank_uncertainty.rank_draws_naive(df, **kwargs)
    assert np.array_equal(fast, slow, equal_nan=True)
    assert np.isnan(fast[3]).all()
    pd.testing.assert_frame_equal(rank_uncertainty.rank_uncertainty(df, **kwargs),
                                  rank_uncertainty.rank_uncertainty_naive(df, **kwargs))


def test_rank_uncertainty_is_seeded():
    df = _synthetic(n=15, years=(2022,))
    a = rank_uncertainty.rank_uncertainty(df, n_draws=50, seed=4)
    b = rank_uncertainty.rank_uncertainty(df, n_draws=50, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[-4:]) == ["rank_median", "rank_p05", "rank_p95", "share_top10"]


@pytest.mark.parametrize("scores, expected_var", [
    pytest.param((3.0, 3.2, 3.4), 0.04 / 3, id="three_assessors_s2_over_m"),
    pytest.param((2.8, 3.6), 0.32 / 2, id="two_assessors_s2_over_m"),
])
def test_assessor_resampling_has_the_unbiased_variance_of_a_panel_mean(scores, expected_var):
    # The plain bootstrap of m assessors gives (m-1)/m * s^2/m; after the correction the draws vary by s^2/m.
    df = _frame([{"regency_id": 1, "year": 2022, **{k: 3.2 for k in DIMS}}])
    assessors = pd.DataFrame([{"regency_id": 1, "year": 2022, "assessor": f"a{i}", "dimension_key": k, "score": s}
                              for i, s in enumerate(scores) for k in DIMS])
    model = rank_uncertainty.RankModel(n_draws=40000, weight_spread=0.0, assessor_scores=assessors,
                                       panel_variance="resample")
    values, idx, _ = rank_uncertainty._prepare_draws(df, model).assessor_units[0]
    means = values[idx][:, :, 0].mean(axis=1)
    assert means.var() == pytest.approx(expected_var, rel=0.05)


def test_rank_model_assumptions_follow_the_switches():
    df = _synthetic(n=8, years=(2022,))
    off = rank_uncertainty.rank_uncertainty(df, n_draws=5, weight_spread=0.0).attrs["assumptions"]
    assert off["weights"].startswith("off") and off["assessors"].startswith("off")
    on = rank_uncertainty.rank_uncertainty(df, n_draws=5, weight_spread=0.25, panel_error_cov=np.eye(len(DIMS)) * 0.05,
                                           panel_size=3.4).attrs["assumptions"]
    assert "sd 5 points" in on["weights"] and "m = 3.40" in on["assessors"]
    with pytest.raises(TypeError, match="not both"):
        rank_uncertainty.rank_uncertainty(df, rank_uncertainty.RankModel(), n_draws=5)


def test_pooled_panel_error_uses_each_panels_own_size():
    # Input: one regency-year with 2 assessors, one with 4, one without assessor rows; pooled covariance Sigma.
    # Expected: panel errors of variance Sigma/2, Sigma/4 and Sigma/(assumed 2.67: harmonic mean of 2 and 4).
    df = _frame([{"regency_id": r, "year": 2022, **{k: 3.0 for k in DIMS}} for r in (1, 2, 3)])
    assessors = pd.DataFrame([{"regency_id": r, "year": 2022, "assessor": f"a{i}", "dimension_key": k,
                               "score": 3.0 + 0.1 * i}
                              for r, m in ((1, 2), (2, 4)) for i in range(m) for k in DIMS])
    sigma = np.eye(len(DIMS)) * 0.06
    model = rank_uncertainty.RankModel(n_draws=40000, weight_spread=0.0, assessor_scores=assessors,
                                       panel_error_cov=sigma)
    draws = rank_uncertainty._prepare_draws(df, model).model_units
    for i, m in ((0, 2), (1, 4), (2, 2 / (1 / 2 + 1 / 4))):
        assert draws[i][:, 0].var() == pytest.approx(0.06 / m, rel=0.05), i


def test_regency_year_missing_a_dimension_keeps_its_place_in_every_draw():
    # Input: A has every dimension at 3.0; B lacks Impact but has its index 3.5; C has every dimension at 2.0.
    # Expected, fixed weights: B 1st, A 2nd, C 3rd in every draw (before: B unranked, A 1st, C 2nd).
    full = {k: 3.0 for k in DIMS}
    df = _frame([{"regency_id": 1, "year": 2022, **full, "final_score": 3.0},
                 {"regency_id": 2, "year": 2022, **{**full, "impact": np.nan}, "final_score": 3.5},
                 {"regency_id": 3, "year": 2022, **{k: 2.0 for k in DIMS}, "final_score": 2.0}])
    _, fast = rank_uncertainty.rank_draws(df, n_draws=20, weight_spread=0.3)
    _, slow = rank_uncertainty.rank_draws_naive(df, n_draws=20, weight_spread=0.3)
    assert np.array_equal(fast, slow)
    assert (fast[1] == 1).all() and (fast[0] == 2).all() and (fast[2] == 3).all()


@pytest.mark.parametrize("lead, expected", [
    pytest.param({"estimand": "x"}, "lead driver method: errors-in-variables regression", id="corrected"),
    pytest.param({}, "lead driver method: ordinary regression (no assessor-level scores", id="no_assessors"),
])
def test_analysis_summary_names_the_lead_method_the_shared_error_and_what_the_check_checks(tmp_path, lead, expected):
    import json

    from smartcity_utils import paths
    from smartcity_utils.analysis.summary import analysis_summary

    folder = paths.analysis_dir(tmp_path)
    folder.mkdir(parents=True)
    meta = {"lead_assumptions": lead,
            "true_rank_coverage_check": {"n_rep": 20, "n_bands": 16000, "coverage": 0.9043, "nominal": 0.9,
                                         "shared_error_sd": 0.1358, "shared_error_pairs": 541}}
    (folder / paths.ANALYSIS_META).write_text(json.dumps(meta), encoding="utf-8")
    line = analysis_summary(tmp_path)
    assert line.startswith(expected)
    # The check simulates from the bands' own model: the line says so and claims no more than that.
    assert line.endswith("rank bands and 95 % rank sets include a panel-shared error of sd 0.136 (an upper bound "
                         "from 541 regencies scored in consecutive years); on 20 sets of panels simulated from the "
                         "bands' own model, 5-95 % bands hold 90 % of true ranks (nominal 90 %): a check of the "
                         "computation, not of the model")
    assert "bands hold the true rank" not in line
    (folder / paths.ANALYSIS_META).write_text(json.dumps({**meta, "is_simulated": True}), encoding="utf-8")
    assert analysis_summary(tmp_path) == "simulated data: " + line


def test_year_without_weights_leaves_the_other_years_and_is_computed_with_assumed_weights(recwarn):
    from smartcity_utils.analysis.index import compute_index

    dims = dict(zip(DIMENSION_KEYS, [3.6, 3.21, 3.23, 3.07, 3.65]))
    frame = pd.DataFrame([{"regency_id": 1, "year": 2022, **dims}, {"regency_id": 1, "year": 2099, **dims}])
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        out = compute_index(frame)
    assert out["final_score_computed"].iloc[0] == pytest.approx(3.315)
    assert out["final_score_computed"].iloc[1] == pytest.approx(3.315)  # 2024's weights, assumed
    message = str(recwarn.pop(UserWarning).message)
    assert "no dimension weights for year(s) [2099]" in message and "np.int64" not in message


def test_analyse_prints_a_data_note_once_as_one_line(monkeypatch, capsys, tmp_path):
    from smartcity_utils import commands
    from smartcity_utils.analysis import run as analysis_run
    from smartcity_utils.analysis import summary
    from smartcity_utils.analysis.index import compute_index

    dims = dict(zip(DIMENSION_KEYS, [3.6, 3.21, 3.23, 3.07, 3.65]))
    frame = pd.DataFrame([{"regency_id": 1, "year": 2022, **dims}, {"regency_id": 1, "year": 2099, **dims}])

    def fake_run(path, seed=0, **settings):
        for _ in range(3):
            compute_index(frame)
        return []

    monkeypatch.setattr(analysis_run, "run_analysis", fake_run)
    monkeypatch.setattr(summary, "analysis_summary", lambda path: "")
    assert commands.analyse(tmp_path) == 0
    out = capsys.readouterr().out
    assert out.count("note: no dimension weights for year(s) [2099]") == 1
