"""The assessors' leniency taken out of the scores before the driver models, on small inline inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers.leniency import apply_panel_leniency, leniency_adjusted
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS

PILLARS = list(PILLAR_KEYS)


def test_panel_mean_shifts_by_the_mean_leniency_of_its_assessors():
    # Regency-year (1, 2023): assessors A (+0.3) and B (-0.1) -> every panel mean shifts by 0.1.
    # Regency-year (2, 2023): no assessor rows -> unchanged.
    frame = pd.DataFrame({"regency_id": [1, 2], "year": [2023, 2023], "smart_governance": [3.0, 2.5],
                          "final_score": [3.2, 2.7], "rank_computed": [1, 2]})
    rows = pd.DataFrame({"regency_id": 1, "year": 2023, "assessor": ["A", "A", "B", "B"],
                         "item": ["smart_governance", "baseline"] * 2, "leniency": [0.3, 0.3, -0.1, -0.1]})
    out = apply_panel_leniency(frame, rows)
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
    adjusted, adjusted_scores = leniency_adjusted(frame, scores)
    raw_error = frame[PILLARS].mean(axis=1).to_numpy() - truth
    new_error = adjusted[PILLARS].mean(axis=1).to_numpy() - truth
    # Known leniency sd 0.25 over panels of 3: the panel mean carries sd ~0.14 of it; the adjustment removes most.
    assert np.sqrt(np.mean(new_error**2)) < 0.6 * np.sqrt(np.mean(raw_error**2))
    assert not np.allclose(adjusted_scores["score"], scores["score"])


def test_leniency_is_fitted_on_one_row_per_assessor_and_item():
    # A duplicated assessor row must not weigh twice in the leniency fit.
    scores, frame, _ = _scores_with_leniency(n_units=30, n_raters=8)
    once = leniency_adjusted(frame, scores)[0]
    assessor = scores[scores["level"] == "assessor"]
    doubled = pd.concat([scores, assessor.iloc[:40]], ignore_index=True)
    twice = leniency_adjusted(frame, doubled)[0]
    np.testing.assert_allclose(twice["leniency_shift"], once["leniency_shift"], atol=1e-8)
