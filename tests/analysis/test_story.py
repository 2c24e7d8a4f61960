"""Reader-facing tables of notebook 03 and the leniency adjustment, on small inline inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers import story
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS

PILLARS = list(PILLAR_KEYS)


def test_panel_mean_shifts_by_the_mean_leniency_of_its_assessors():
    # Regency-year (1, 2023): assessors A (+0.3) and B (-0.1) -> every panel mean shifts by 0.1.
    # Regency-year (2, 2023): no assessor rows -> unchanged.
    frame = pd.DataFrame({"regency_id": [1, 2], "year": [2023, 2023], "smart_governance": [3.0, 2.5],
                          "final_score": [3.2, 2.7], "rank_computed": [1, 2]})
    rows = pd.DataFrame({"regency_id": 1, "year": 2023, "assessor": ["A", "A", "B", "B"],
                         "item": ["smart_governance", "baseline"] * 2, "leniency": [0.3, 0.3, -0.1, -0.1]})
    out = story.apply_panel_leniency(frame, rows)
    assert out["leniency_shift"].tolist() == pytest.approx([0.1, 0.0])
    assert out["smart_governance"].tolist() == pytest.approx([2.9, 2.5])
    assert out["final_score"].tolist() == pytest.approx([3.1, 2.7])
    assert out["rank_computed"].tolist() == [1, 2]  # ranks are not scores: untouched


def _scores_with_leniency(seed: int = 5, n_units: int = 80, n_raters: int = 20, sd_b: float = 0.25):
    """Assessor rows (processed layout) with known leniency, and the true level of every regency-year."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0, sd_b, n_raters)
    truth = rng.normal(3, 0.4, n_units)
    rows = []
    for u in range(n_units):
        for r in rng.choice(n_raters, size=3, replace=False):
            for item in PILLARS + list(DIMENSION_KEYS):
                rows.append({"level": "assessor", "regency_id": u, "year": 2023, "assessor": f"R{r}",
                             "pillar_key": item if item in PILLARS else None,
                             "dimension_key": None if item in PILLARS else item,
                             "score": truth[u] + b[r] + rng.normal(0, 0.2)})
    scores = pd.DataFrame(rows)
    frame = scores[scores["pillar_key"].notna()].pivot_table(index=["regency_id", "year"], columns="pillar_key",
                                                             values="score").reset_index()
    return scores, frame, truth


def test_leniency_adjustment_brings_panel_means_closer_to_the_truth():
    scores, frame, truth = _scores_with_leniency()
    adjusted, adjusted_scores = story.leniency_adjusted(frame, scores)
    raw_error = frame[PILLARS].mean(axis=1).to_numpy() - truth
    new_error = adjusted[PILLARS].mean(axis=1).to_numpy() - truth
    # Known leniency sd 0.25 over panels of 3: the panel mean carries sd ~0.14 of it; the adjustment removes most.
    assert np.sqrt(np.mean(new_error**2)) < 0.6 * np.sqrt(np.mean(raw_error**2))
    assert not np.allclose(adjusted_scores["score"], scores["score"])


def _results():
    lead = pd.DataFrame({"pillar": ["a", "b"], "method": "eiv", "estimate": [0.41, 0.02], "ci_low": [0.3, -0.05],
                         "ci_high": [0.5, 0.08]})
    ols = pd.DataFrame({"pillar": ["a", "b"], "method": "ols", "estimate": [0.7, 0.1], "coef": [0.36, 0.05],
                        "coef_ci_low": [0.3, 0.01], "coef_ci_high": [0.4, 0.09]})
    skipped = pd.DataFrame({"method": ["ordinal_logit"], "reason": ["not estimable: separation"]})
    return {"eiv": lead, "ols": ols, "skipped": skipped}


def test_estimates_table_shows_lead_and_naive_with_intervals():
    t = story.estimates_table(_results())
    assert list(t.columns) == ["Pillar", "Corrected regression (lead)", "Ordinary regression (naive)"]
    assert t.iloc[0].tolist() == ["A", "0.41 [0.30, 0.50]", "0.36 [0.30, 0.40]"]
    t_id = story.estimates_table(_results(), "id")
    assert list(t_id.columns) == ["Pilar", "Regresi terkoreksi (utama)", "Regresi biasa (naif)"]


def test_skipped_table_labels_methods_and_says_when_none():
    t = story.skipped_table(_results()["skipped"])
    assert t.iloc[0].tolist() == ["Ordinal logit of rank band", "not estimable: separation"]
    none = story.skipped_table(pd.DataFrame(columns=["method", "reason"]), "id")
    assert none.iloc[0, 0] == "Tidak ada: semua metode berjalan"


def test_bandwidth_table_puts_the_three_bandwidths_side_by_side():
    sens = pd.DataFrame({"pillar": ["smart_governance"] * 3, "bandwidth_multiple": [0.5, 1.0, 2.0],
                         "bandwidth": [0.1, 0.2, 0.4], "estimate": [0.822, 0.749, 0.558]})
    t = story.bandwidth_table(sens)
    assert list(t.columns) == ["Pillar", "Main effect, 0.5 x chosen bandwidth", "Main effect, 1 x chosen bandwidth",
                               "Main effect, 2 x chosen bandwidth"]
    assert t.iloc[0].tolist() == ["Smart Governance", "0.82", "0.75", "0.56"]


def test_page_is_simulated_when_the_measurement_tables_are():
    # The notebook's rows are real, but the reliability tables come from every year, simulated ones included.
    frame = pd.DataFrame({"regency_id": [1, 2], "is_simulated": [False, False]})
    real = {"icc": pd.DataFrame({"item": ["x"], "is_simulated": [False]}),
            "assessor_variance": pd.DataFrame({"component": ["unit"], "is_simulated": [False]})}
    assert story.page_simulated(frame, real) is False
    mixed = {**real, "assessor_variance": pd.DataFrame({"component": ["unit"], "is_simulated": [True]})}
    assert story.page_simulated(frame, mixed) is True
    assert story.page_simulated(frame.assign(is_simulated=[False, True]), real) is True
    assert story.page_simulated(frame) is False


def test_leniency_is_fitted_on_one_row_per_assessor_and_item():
    # A duplicated assessor row must not weigh twice in the leniency fit.
    scores, frame, _ = _scores_with_leniency(n_units=30, n_raters=8)
    once = story.leniency_adjusted(frame, scores)[0]
    assessor = scores[scores["level"] == "assessor"]
    doubled = pd.concat([scores, assessor.iloc[:40]], ignore_index=True)
    twice = story.leniency_adjusted(frame, doubled)[0]
    np.testing.assert_allclose(twice["leniency_shift"], once["leniency_shift"], atol=1e-8)


@pytest.mark.parametrize("share, alpha, expected", [
    # The table of the issue: first component 31 %, alpha 0.46 -> not "move as one".
    pytest.param(0.31, 0.46, "measure largely separate things", id="separate"),
    pytest.param(0.60, 0.85, "share a common part but also differ", id="partly"),
    pytest.param(0.75, 0.93, "largely move as one", id="one"),
])
def test_structure_sentence_follows_its_numbers(share, alpha, expected):
    sentence = story.structure_reading(share, alpha)
    assert expected in sentence and f"{100 * share:.0f} %" in sentence and f"{alpha:.2f}" in sentence


def test_assessor_note_before_any_number_for_a_year_without_assessor_rows():
    # Input: notebook rows of 2019 only; assessor rows exist for 2022 and 2023. Expected: the note names 2019
    # and the years the error covariance comes from. Rows of 2023 only: no note.
    scores = pd.DataFrame({"level": "assessor", "year": [2022, 2023], "regency_id": 1, "assessor": "A"})
    note = story.assessor_note(pd.DataFrame({"year": [2019, 2019]}), scores)
    assert note.startswith("No assessor-level rows in 2019") and "measured in 2022, 2023" in note
    assert story.assessor_note(pd.DataFrame({"year": [2023]}), scores) == ""


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
    lines = story.pillar_mean_reading({"pillar_mean_dimensions": t.reset_index()})
    # 2022 weights 10/20/30/20/20: the Impact weight 0.20, a sixth of it per pillar.
    assert lines[1].startswith("2022: the mean of the six pillars equals the Impact score in 100 %")
    assert "0.033 of each pillar's slope" in lines[1]
    assert lines[0].startswith("2021: the mean of the six pillars is not a dimension score")
