"""Several regencies side by side: one cell per regency and year, pillar profiles, Quick Wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.errors import UserError
from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.regencies import regency_resolver
from smartcity_utils.report import compare, narrative, profile, tables

PILLARS = list(PILLAR_KEYS)
# The names a report shows are the gazetteer's names of the regency ids.
K1, K2, K3 = (regency_resolver().name(i) for i in (1, 2, 3))


def _context() -> profile.ReportContext:
    rows = []
    # Year 2022: three regencies in one group of 3; 2023: regency 2 has no row (rejected).
    for year, scores in ((2022, {1: 3.0, 2: 2.5, 3: 3.5}), (2023, {1: 3.2, 3: 2.9})):
        for rid, score in scores.items():
            rows.append({"regency_id": rid, "regency": regency_resolver().name(rid), "year": year, "final_score": score,
                         "evaluation_group": "Nasional", "n_in_group": len(scores), "final_score_source": "reported",
                         "is_simulated": True, **{p: score + 0.1 * i for i, p in enumerate(PILLARS)}})
    ranks = pd.DataFrame(rows)
    ranks["rank_computed"] = ranks.groupby("year")["final_score"].rank(ascending=False, method="min")
    ranks["rank_reported"] = np.nan  # no letter: the ranks are computed in a group of 3 held whole
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
    table = tables.compare_history_table(compare.histories(ctx, [1, 2]), "en")
    assert table.labels == ["Year", K1, K2]
    # 2022: Kab 1 scores 3.0, rank 2 of 3, higher than one of the two others (50 %).
    assert table.rows[0] == ["2022", "3.00 · rank 2 of 3 in its group, percentile 50",
                             "2.50 · rank 3 of 3 in its group, percentile 0"]
    assert table.rows[1] == ["2023", "3.20 · rank 1 of 2 in its group, percentile 100", "-"]
    assert table.notes  # the missing cell is explained


def test_a_letter_shows_its_published_rank_with_its_group_and_no_computed_one():
    ctx = _context()
    letters = ctx.index_ranks["year"] == 2022
    # The data hold only these regencies of a letter group of 37: nothing is ranked among them.
    ctx.index_ranks.loc[letters, ["rank_computed", "n_in_group"]] = np.nan
    ctx.index_ranks.loc[letters, "rank_reported"] = [8, 15, 3]
    ctx.index_ranks["rank_of"] = np.where(letters, 37, np.nan)
    ctx.index_ranks["rank_scope"] = "nasional"
    table = tables.compare_history_table(compare.histories(ctx, [1, 2]), "en")
    assert table.rows[0] == ["2022", "3.00 · published rank 8 of 37 (nasional)",
                             "2.50 · published rank 15 of 37 (nasional)"]
    first = narrative.compare_summary(compare.histories(ctx, [1, 2]), 2022, "id")[0]
    assert first == (f"{K1}: pada 2022 indeks 3,00; peringkat dipublikasikan 8 dari 37 (nasional); "
                     "belum ada indeks sebelumnya.")


def test_pillar_scores_take_each_regency_latest_year_up_to_the_year():
    scores = compare.pillar_scores(_context(), [1, 2], 2023)
    # A regency shown with an earlier year says so in its label.
    assert list(scores.index) == [K1, f"{K2} (2022)"]
    assert scores.loc[K1, "smart_governance"] == pytest.approx(3.2)  # 2023
    assert scores.loc[f"{K2} (2022)", "smart_governance"] == pytest.approx(2.5)  # its latest: 2022
    table = tables.compare_pillar_table(scores, "id")
    assert table.labels == ["Pilar", K1, f"{K2} (2022)"] and len(table) == 6
    assert table.rows[1][1:] == ["3,30", "2,60"]  # Smart Branding, 2 decimals, the Indonesian decimal comma


def test_quick_wins_of_each_regency_latest_year_with_the_mean_score():
    table = tables.compare_quick_wins_table(compare.quick_wins_latest(_context(), [1, 3, 2]), "en")
    assert [r[:4] for r in table.rows] == [[K1, "2023", "Smart Economy", "Bangmus"],
                                           [K3, "2022", "Smart Living", "Siruni"]]
    assert [r[4] for r in table.rows] == ["3.00", "2.00"]  # mean of (4, 3, 3, 2) and of (2, 2, 2, 2)
    assert np.all([len(r) == 5 for r in table.rows])


def test_summary_sentences_and_notes_from_the_histories():
    ctx = _context()
    ctx.index_ranks.loc[(ctx.index_ranks["regency_id"] == 3) & (ctx.index_ranks["year"] == 2022),
                        "evaluation_group"] = "Angkatan 2021"
    histories = compare.histories(ctx, [1, 2, 3])
    first, second, third = narrative.compare_summary(histories, 2023, "en")
    # Kab 1: 3.2 in 2023, rank 1 of 2 (100 %), 3.20 - 3.00 = +0.20 since 2022.
    assert first == f"{K1}: in 2023 index 3.20; rank 1 of 2 in its group, percentile 100; index +0.20 since 2022."
    assert second == f"{K2}: no index in 2023."
    assert "−0.60 since 2022" in third
    groups, rejects = narrative.compare_notes(histories, compare.rejected_counts(ctx, [1, 2, 3]), "en")
    assert f"2022, {K3} in Cohort 2021 of 3" in groups
    assert rejects == "No row or value of these regencies was rejected during cleaning."


def test_names_come_from_the_gazetteer_not_from_the_table():
    ctx = _context()
    ctx.index_ranks["regency"] = "an old spelling"
    assert compare.names_of(ctx, [3, 1]) == {3: K3, 1: K1}


def test_setup_checks_the_regencies_once_and_picks_their_latest_year_with_an_index():
    ctx = _context()
    assert compare.setup(ctx, [K1, K2], 2022) == ([1, 2], {1: K1, 2: K2}, 2022)
    assert compare.setup(ctx, [K1, K2], None)[2] == 2023
    # Regency 1 has no index in 2023: the latest year with an index of either is 2022.
    ctx.index_ranks.loc[(ctx.index_ranks["regency_id"] == 1) & (ctx.index_ranks["year"] == 2023),
                        "final_score"] = np.nan
    assert compare.setup(ctx, [K1, K2], None)[2] == 2022
    # The same checks on the regency table the command line reads.
    assert compare.setup(ctx.index_ranks[["regency_id", "year"]], [K1, K3], None)[2] == 2023
    with pytest.raises(UserError, match="at least two"):
        compare.setup(ctx, [K1, K1], None)
    with pytest.raises(UserError, match="no evaluation data for: Kabupaten Paser"):
        compare.setup(ctx, [K1, "Kabupaten Paser"], None)
    with pytest.raises(UserError, match="no data for year 2010"):
        compare.setup(ctx, [K1, K2], 2010)


def test_quick_win_mean_with_a_missing_score_shows_missing():
    ctx = _context()
    ctx.quick_wins.loc[2, "score_impact"] = np.nan  # Kab 3's only programme
    table = tables.compare_quick_wins_table(compare.quick_wins_latest(ctx, [1, 3]), "en")
    assert [r[4] for r in table.rows] == ["3.00", "-"]
    assert table.notes  # the "-" is explained


def test_comparison_is_simulated_when_any_regency_shown_or_ranked_with_them_is():
    ctx = _context()
    ctx.index_ranks["is_simulated"] = False
    assert not compare.page_simulated(ctx, compare.histories(ctx, [1, 2]), 2023)
    # Regencies 1 and 2 are real, but regency 3 shares their ranks and percentiles.
    ctx.index_ranks.loc[ctx.index_ranks["regency_id"] == 3, "is_simulated"] = True
    assert compare.page_simulated(ctx, compare.histories(ctx, [1, 2]), 2023)


def test_years_shown_and_rank_intervals_come_from_every_history():
    # Input: regency 1 with 2022 and 2023, regency 2 with 2022 alone; bands only where the model ran.
    ctx = _context()
    shown = compare.histories(ctx, [1, 2])
    assert compare.years_shown(shown) == [2022, 2023]
    assert compare.has_rank_intervals(shown)
    without_bands = {name: h.assign(rank_p05=np.nan) for name, h in shown.items()}
    assert not compare.has_rank_intervals(without_bands)
