"""Notebook 03's reader tables and sentences (report/drivers.py), in both languages, on small inline inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS
from smartcity_utils.report import drivers

PILLARS = list(PILLAR_KEYS)


def _results():
    lead = pd.DataFrame({"pillar": ["a", "b"], "method": "eiv", "estimate": [0.41, 0.02], "ci_low": [0.3, -0.05],
                         "ci_high": [0.5, 0.08]})
    ols = pd.DataFrame({"pillar": ["a", "b"], "method": "ols", "estimate": [0.7, 0.1], "coef": [0.36, 0.05],
                        "coef_ci_low": [0.3, 0.01], "coef_ci_high": [0.4, 0.09]})
    skipped = pd.DataFrame({"method": ["ordinal_logit"], "code": ["not_estimable"], "n": [pd.NA],
                            "detail": ["separation"]})
    return {"eiv": lead, "ols": ols, "skipped": skipped}


@pytest.mark.parametrize("lang, labels, first", [
    pytest.param("en", ["Pillar", "Corrected regression (lead)", "Ordinary regression (naive)"],
                 ["A", "0.41 [0.30, 0.50]", "0.36 [0.30, 0.40]"], id="en"),
    pytest.param("id", ["Pilar", "Regresi terkoreksi (utama)", "Regresi biasa (naif)"],
                 ["A", "0,41 [0,30; 0,50]", "0,36 [0,30; 0,40]"], id="id_decimal_comma"),
])
def test_estimates_table_shows_lead_and_naive_with_intervals(lang, labels, first):
    t = drivers.estimates_table(_results(), lang)
    assert t.labels == labels
    assert t.rows[0] == first
    assert t.kinds[1:] == ["num", "num"]  # numbers right-aligned


def test_skipped_methods_are_labelled_and_all_ran_is_said_in_a_sentence():
    t = drivers.skipped_section(_results()["skipped"], "en")
    assert t.rows == [["Ordinal logit of rank band", "Not estimable: separation"]]
    rows = pd.DataFrame({"method": ["rank_rows"], "code": ["rank_rows_not_whole"], "n": [206], "detail": [""]})
    assert drivers.skipped_section(rows, "id").rows == [
        ["Metode peringkat (baris)", "206 baris dari kelompok evaluasi yang tidak termuat lengkap tidak dipakai "
                                     "metode peringkat"]]
    none = drivers.skipped_section(pd.DataFrame(columns=["method", "code", "n", "detail"]), "id")
    assert none.plain == "Semua metode berjalan dan dapat diestimasi."  # a sentence, not a table of one row


def test_bandwidth_table_puts_the_three_bandwidths_side_by_side():
    sens = pd.DataFrame({"pillar": ["smart_governance"] * 3, "bandwidth_multiple": [0.5, 1.0, 2.0],
                         "bandwidth": [0.1, 0.2, 0.4], "estimate": [0.822, 0.749, 0.558]})
    t = drivers.bandwidth_table(sens, "en")
    assert t.labels == ["Pillar", "Main effect, 0.5 x chosen bandwidth", "Main effect, 1 x chosen bandwidth",
                        "Main effect, 2 x chosen bandwidth"]
    assert t.rows[0] == ["Smart Governance", "0.82", "0.75", "0.56"]
    assert drivers.bandwidth_table(sens, "id").labels[1] == "Efek utama, 0,5 x lebar pita terpilih"


def test_page_is_simulated_when_the_measurement_tables_or_the_assessor_rows_are():
    # The notebook's rows are real, but the reliability tables come from every year, simulated ones included.
    frame = pd.DataFrame({"regency_id": [1, 2], "is_simulated": [False, False]})
    scores = pd.DataFrame({"level": ["assessor", "panel"], "is_simulated": [False, True]})
    real = {"icc": pd.DataFrame({"item": ["x"], "is_simulated": [False]}),
            "assessor_variance": pd.DataFrame({"component": ["unit"], "is_simulated": [False]})}
    assert drivers.page_simulated(frame, scores, real) is False  # the simulated panel row is not behind any number
    mixed = {**real, "assessor_variance": pd.DataFrame({"component": ["unit"], "is_simulated": [True]})}
    assert drivers.page_simulated(frame, scores, mixed) is True
    assert drivers.page_simulated(frame.assign(is_simulated=[False, True]), scores, real) is True
    assert drivers.page_simulated(frame, scores.assign(is_simulated=True)) is True


@pytest.mark.parametrize("share, alpha, lang, expected", [
    # The table of the issue: first component 31 %, alpha 0.46 -> not "move as one".
    pytest.param(0.31, 0.46, "en", ["measure largely separate things", "31 %", "0.46"], id="separate"),
    pytest.param(0.60, 0.85, "en", ["share a common part but also differ", "60 %", "0.85"], id="partly"),
    pytest.param(0.75, 0.93, "en", ["largely move as one", "75 %", "0.93"], id="one"),
    pytest.param(0.75, 0.93, "id", ["bergerak bersama", "75 %", "0,93"], id="one_id"),
])
def test_structure_sentence_follows_its_numbers(share, alpha, lang, expected):
    sentence = drivers.structure_reading(share, alpha, lang)
    assert all(part in sentence for part in expected), sentence


def test_assessor_note_before_any_number_for_a_year_without_assessor_rows():
    # Input: notebook rows of 2019 only; assessor rows exist for 2022 and 2023. Expected: the note names 2019
    # and the years the error covariance comes from. Rows of 2023 only: no note.
    scores = pd.DataFrame({"level": "assessor", "year": [2022, 2023], "regency_id": 1, "assessor": "A"})
    note = drivers.assessor_note(pd.DataFrame({"year": [2019, 2019]}), scores, "en")
    assert note.startswith("No assessor-level rows in 2019") and "measured in 2022, 2023" in note
    assert drivers.assessor_note(pd.DataFrame({"year": [2023]}), scores, "en") == ""


def _pillar_mean_frame():
    # Kota Kediri 2022 as published: six pillar scores whose mean is its Impact score, 3.07.
    kediri = {"smart_governance": 2.75, "smart_branding": 2.75, "smart_economy": 3.50, "smart_society": 3.33,
              "smart_living": 3.33, "smart_environment": 2.75, "baseline": 3.60, "output": 3.21, "outcome": 3.23,
              "impact": 3.07, "quick_wins": 3.65}
    other = {**kediri, "impact": 2.50}
    return pd.DataFrame([{**kediri, "year": 2022}, {**other, "year": 2021}])


def test_pillar_mean_equals_impact_for_kota_kediri_2022_and_the_reading_says_what_it_implies():
    from smartcity_utils.analysis.measurement import pillar_mean_vs_dimensions

    t = pillar_mean_vs_dimensions(_pillar_mean_frame(), PILLARS, list(DIMENSION_KEYS)).set_index(
        ["group", "dimension"])
    assert t.loc[("2022", "impact"), "share_equal"] == 1.0
    assert t.loc[("2022", "impact"), "mean_abs_difference"] == pytest.approx(abs(np.mean(
        [2.75, 2.75, 3.50, 3.33, 3.33, 2.75]) - 3.07))
    assert t.loc[("2021", "impact"), "share_equal"] == 0.0
    lines = drivers.pillar_mean_reading({"pillar_mean_dimensions": t.reset_index()}, "en")
    # 2022 weights 10/20/30/20/20: the Impact weight 0.20, a sixth of it per pillar.
    assert lines[1].startswith("2022: the mean of the six pillars equals the Impact score in 100 %")
    assert "0.033 of each pillar's slope" in lines[1]
    assert lines[0].startswith("2021: the mean of the six pillars is not a dimension score")
    assert "0,033" in drivers.pillar_mean_reading({"pillar_mean_dimensions": t.reset_index()}, "id")[1]


def _general_results():
    """Lead with an error-size bound, the general level and each pillar beyond it (two pillars)."""
    lead = pd.DataFrame({"pillar": ["smart_governance", "smart_environment", "smart_economy"], "method": "eiv",
                         "estimate": [0.40, 0.01, 0.21], "ci_low": [0.36, -0.02, 0.18], "ci_high": [0.43, 0.04, 0.25]})
    sens = pd.DataFrame({"where": "bound", "pillar": ["smart_governance", "smart_environment", "smart_economy"],
                         "low": [0.38, -0.12, 0.0], "high": [0.66, 0.02, 0.27]})
    general = pd.DataFrame({"pillar": ["smart_governance", "smart_environment"], "beyond": [0.028, 0.010],
                            "beyond_low": [0.02, 0.005], "beyond_high": [0.038, 0.017],
                            "share": [0.24, 0.12], "share_low": [0.22, 0.11], "share_high": [0.26, 0.13],
                            "beyond_bound_low": [0.026, 0.009], "beyond_bound_high": [0.079, 0.026],
                            "rank_beyond": [0.024, 0.007], "rank_beyond_low": [0.015, 0.003],
                            "rank_beyond_high": [0.033, 0.012], "rank_share": [0.224, 0.118],
                            "rank_share_low": [0.204, 0.106], "rank_share_high": [0.244, 0.128]})
    overall = pd.DataFrame([{"target": "index", "r2_general": 0.896, "r2_general_low": 0.877,
                             "r2_general_high": 0.913, "r2_all": 0.934, "r2_all_low": 0.923, "r2_all_high": 0.947,
                             "slope_general": 0.918, "pc1_correlation": 0.998, "corrected": True,
                             "order_holds": False},
                            {"target": "rank", "r2_general": 0.849, "r2_general_low": 0.823, "r2_general_high": 0.872,
                             "r2_all": 0.882, "r2_all_low": 0.867, "r2_all_high": 0.899, "slope_general": 80.6,
                             "corrected": False, "order_holds": False}])
    return {"eiv": lead, "eiv_sensitivity": sens, "general": general, "general_overall": overall}


def _frame():
    rng = np.random.default_rng(0)
    g = rng.normal(3, 0.3, 200)
    return pd.DataFrame({k: g + rng.normal(0, 0.12, 200) for k in PILLARS})


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_answer_says_the_index_is_built_from_dimensions_and_quotes_the_general_level(lang):
    said = drivers.answer_sentences(_general_results(), _frame(), lang)
    assert "Baseline, Output, Outcome, Impact, Quick Win" in said[0]
    mark = "," if lang == "id" else "."
    assert f"89{mark}6" in said[1] and f"93{mark}4" in said[1]  # general level and all six, in points
    assert f"1{mark}00" in said[1]  # its correlation with the first component
    assert said[2].index("Smart Governance") < said[2].index("Smart Environment")  # largest part beyond first
    assert f"22{mark}4" in said[3]  # the rank share of Governance
    assert said[4].startswith("Estimand")


def test_the_order_is_said_not_determined_where_the_bound_lets_pillars_swap():
    results = _general_results()
    sentence = drivers.order_sentence(results, "en")
    # Governance 0.38-0.66 stays above Economy 0.00-0.27 and Environment; Economy and Environment can swap.
    assert "not fully determined" in sentence and "1 of 3 pairs can swap" in sentence
    assert "Smart Economy – Smart Environment" in sentence and "Smart Governance 0.38 to 0.66" in sentence
    results["eiv_sensitivity"].loc[1, ["low", "high"]] = [-0.12, -0.05]
    results["eiv_sensitivity"].loc[2, ["low", "high"]] = [0.1, 0.27]
    assert "holds over the project's error-size bound" in drivers.order_sentence(results, "en")


def test_the_general_table_gives_parts_in_points_with_the_bound():
    t = drivers.general_table(_general_results(), "en")
    assert t.rows[0][:3] == ["Smart Governance", "2.8 [2.0, 3.8]", "2.6 to 7.9"]
    assert t.rows[0][-1] == "22.4 [20.4, 24.4]"


def test_the_closing_table_labels_a_dominance_part_and_its_share_of_r_squared_apart():
    from smartcity_utils.analysis.drivers.summary import driver_summary

    dom = pd.DataFrame({"pillar": ["a", "b"], "method": "dominance", "estimate": [0.227, 0.1],
                        "ci_low": [0.2, 0.08], "ci_high": [0.25, 0.12], "share_of_r2": [0.248, 0.109],
                        "share_ci_low": [0.23, 0.09], "share_ci_high": [0.26, 0.12], "r2_full": 0.915,
                        "excess_ci_low": [0.01, -0.01], "excess_ci_high": [0.03, 0.01]})
    summary = driver_summary({"ols": _results()["ols"], "dominance": dom}, pillar_correlation=0.7)
    answer = drivers.summary_words(summary, "en").set_index("method").loc["dominance", "answer"]
    assert "0.23 [0.20, 0.25] of the variance" in answer and "25 [23–26] % of the 0.92" in answer


def test_the_answer_speaks_of_the_rank_percentile_when_that_is_the_target():
    said = drivers.answer_sentences(_general_results(), _frame(), "en", target_col="percentile_year")
    assert "variance of the error-free rank percentile" in said[1]
    assert "a rank percentile higher by 0.92 percentile points of the rank" in said[1]
    assert "variance of the rank percentile when" in said[2]
    index = drivers.answer_sentences(_general_results(), _frame(), "en")
    assert "an index higher by 0.92 index points" in index[1]
