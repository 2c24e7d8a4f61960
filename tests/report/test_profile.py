"""The per-regency profile on a small hand-worked table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.report import profile, texts

PILLARS = list(PILLAR_KEYS)


def _context() -> profile.ReportContext:
    # Four regencies of cohort 2021 in one group, 2023. Regency 1 is the focus.
    base = {p: 3.0 for p in PILLARS}
    rows = [
        {"regency_id": 1, "regency": "Kab A", "final_score": 3.00, **base, "smart_governance": 2.0,
         "smart_branding": 3.5},
        {"regency_id": 2, "regency": "Kab B", "final_score": 3.40, **base, "smart_governance": 4.0},
        {"regency_id": 3, "regency": "Kab C", "final_score": 3.10, **base},
        {"regency_id": 4, "regency": "Kab D", "final_score": 2.50, **base, "smart_governance": 2.0},
    ]
    index_ranks = pd.DataFrame(rows).assign(year=2023, cohort_year=2021, evaluation_group="Nasional",
                                            province="P", is_simulated=True)
    index_ranks["rank_computed"] = index_ranks["final_score"].rank(ascending=False, method="min")
    drivers = pd.DataFrame({"pillar": PILLARS, "method": "ols", "coef": [0.4, 0.1, 0.2, 0.1, 0.1, 0.05]})
    empty = pd.DataFrame()
    return profile.ReportContext(index_ranks, empty, drivers, empty, empty, empty, empty, Path("."))


def test_pillar_position_against_cohort():
    pos = profile.pillar_position(_context().index_ranks, 1, 2023).set_index("pillar_key")
    gov = pos.loc["smart_governance"]
    # Cohort governance scores 2, 4, 3, 2: median 2.5, best 4; others lower than 2: none, one tie.
    assert (gov["score"], gov["cohort_median"], gov["cohort_best"]) == (2.0, 2.5, 4.0)
    assert gov["gap_to_cohort_median"] == pytest.approx(-0.5)
    assert gov["percentile_in_cohort"] == pytest.approx(100 * 0.5 / 3)


def test_strengths_and_weaknesses_keep_their_sign():
    pos = profile.pillar_position(_context().index_ranks, 1, 2023)
    strong, weak = profile.strengths_and_weaknesses(pos)
    assert list(strong["pillar_key"]) == ["smart_branding"]  # the only pillar above the median
    assert list(weak["pillar_key"]) == ["smart_governance"]  # the only one below


def test_gap_to_cohort_best_uses_the_driver_slopes():
    gap = profile.gap_to_cohort_best(_context(), 1, 2023)
    assert gap.attrs["best_regency"] == "Kab B"
    assert gap.attrs["headline_gap"] == pytest.approx(0.40)
    gov = gap.set_index("pillar_key").loc["smart_governance"]
    # Best has 4.0, focus 2.0: gap 2.0 x slope 0.4 = 0.8; 3.00 + 0.8 = 3.80 beats everyone.
    assert gov["contribution"] == pytest.approx(0.8)
    assert (gov["rank_now"], gov["rank_if_closed"]) == (3, 1)
    branding = gap.set_index("pillar_key").loc["smart_branding"]
    assert branding["gap"] == pytest.approx(-0.5) and branding["headline_gain_if_closed"] == 0
    assert branding["rank_if_closed"] == 3  # already above the best: no gain, rank unchanged
    assert gap.iloc[0]["pillar_key"] == "smart_governance"  # largest gain first


def test_choose_year_and_texts():
    ctx = _context()
    assert profile.choose_year(ctx, 1, None) == 2023
    with pytest.raises(ValueError, match="has \\[2023\\]"):
        profile.choose_year(ctx, 1, 2019)
    assert texts.text("id", "quick_wins") == "Program Quick Win"
    with pytest.raises(ValueError, match="language 'fr'"):
        texts.text("fr", "title", regency="x")
    assert set(texts.texts()["id"]) == set(texts.texts()["en"])  # every text in both languages
