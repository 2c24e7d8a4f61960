"""Several regencies side by side: one cell per regency and year, pillar profiles, Quick Wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.report import compare, profile

PILLARS = list(PILLAR_KEYS)


def _context() -> profile.ReportContext:
    rows = []
    # Year 2022: three regencies in one group of 3; 2023: regency 2 has no row (rejected).
    for year, scores in ((2022, {1: 3.0, 2: 2.5, 3: 3.5}), (2023, {1: 3.2, 3: 2.9})):
        for rid, score in scores.items():
            rows.append({"regency_id": rid, "regency": f"Kab {rid}", "year": year, "final_score": score,
                         "evaluation_group": "Nasional", "n_in_group": len(scores), "final_score_source": "reported",
                         "is_simulated": True, **{p: score + 0.1 * i for i, p in enumerate(PILLARS)}})
    ranks = pd.DataFrame(rows)
    ranks["rank_computed"] = ranks.groupby("year")["final_score"].rank(ascending=False, method="min")
    ranks["rank_reported"] = ranks["rank_computed"]
    unc = ranks[["regency_id", "year"]].assign(rank_p05=1.0, rank_p95=3.0)
    qw = pd.DataFrame({"regency_id": [1, 1, 3], "year": [2022, 2023, 2022],
                       "pillar_key": ["smart_governance", "smart_economy", "smart_living"],
                       "programme_name": ["Becik", "Bangmus", "Siruni"], "score_output": [3.0, 4.0, 2.0],
                       "score_outcome": [3.0, 3.0, 2.0], "score_impact": [3.0, 3.0, 2.0],
                       "score_sustainability": [3.0, 2.0, 2.0], "is_simulated": True})
    empty = pd.DataFrame()
    return profile.ReportContext(ranks, unc, empty, qw, empty, empty, empty, Path("."))


def test_history_table_one_cell_per_regency_and_year_with_missing_years():
    ctx = _context()
    table = compare.history_table(compare.histories(ctx, [1, 2]), "en")
    assert table.labels == ["Year", "Kab 1", "Kab 2"]
    # 2022: Kab 1 scores 3.0, rank 2 of 3, higher than one of the two others (50 %).
    assert table.rows[0] == ["2022", "3.00 · 2 of 3 · 50 %", "2.50 · 3 of 3 · 0 %"]
    assert table.rows[1] == ["2023", "3.20 · 1 of 2 · 100 %", "-"]
    assert table.notes  # the missing cell is explained


def test_pillar_scores_take_each_regency_latest_year_up_to_the_year():
    scores = compare.pillar_scores(_context(), [1, 2], 2023)
    assert list(scores.index) == ["Kab 1", "Kab 2"]
    assert scores.loc["Kab 1", "smart_governance"] == pytest.approx(3.2)  # 2023
    assert scores.loc["Kab 2", "smart_governance"] == pytest.approx(2.5)  # its latest: 2022
    table = compare.pillar_table(scores, "id")
    assert table.labels == ["Pilar", "Kab 1", "Kab 2"] and len(table) == 6
    assert table.rows[1][1:] == ["3.30", "2.60"]  # Smart Branding, 2 decimals


def test_quick_wins_of_each_regency_latest_year_with_the_mean_score():
    table = compare.quick_wins_table(_context(), [1, 3, 2], "en")
    assert [r[:4] for r in table.rows] == [["Kab 1", "2023", "Smart Economy", "Bangmus"],
                                           ["Kab 3", "2022", "Smart Living", "Siruni"]]
    assert [r[4] for r in table.rows] == ["3.00", "2.00"]  # mean of (4, 3, 3, 2) and of (2, 2, 2, 2)
    assert np.all([len(r) == 5 for r in table.rows])


def test_summary_sentences_and_notes_from_the_histories():
    ctx = _context()
    ctx.index_ranks.loc[(ctx.index_ranks["regency_id"] == 3) & (ctx.index_ranks["year"] == 2022),
                        "evaluation_group"] = "Angkatan 2021"
    histories = compare.histories(ctx, [1, 2, 3])
    first, second, third = compare.summary_sentences(histories, 2023, "en")
    # Kab 1: 3.2 in 2023, rank 1 of 2 (100 %), 3.20 - 3.00 = +0.20 since 2022.
    assert first == ("Kab 1: in 2023 index 3.20, rank 1 of 2 in its evaluation group (National), percentile 100 "
                     "in the group; index +0.20 since 2022.")
    assert second == "Kab 2: no index in 2023."
    assert "−0.60 since 2022" in third
    groups, rejects = compare.notes(ctx, [1, 2, 3], histories, "en")
    assert "2022, Kab 3 in Cohort 2021 of 3" in groups
    assert rejects == "No row or value of these regencies was rejected during cleaning."
