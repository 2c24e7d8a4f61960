"""After ``clean`` and ``analyse`` on the bundled example, every regency-year has a rank computed in its whole
evaluation group and a rank band (the plausible range of its rank), real rows included."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.example_run import processed_example

pytestmark = pytest.mark.slow


def test_every_example_regency_year_has_a_computed_rank_and_band(tmp_path_factory):
    analysis = processed_example(tmp_path_factory) / "analysis"
    ranks = pd.read_parquet(analysis / "index_ranks.parquet")
    bands = pd.read_parquet(analysis / "rank_uncertainty.parquet")
    both = ranks.merge(bands[["regency_id", "year", "rank_p05", "rank_p95"]], on=["regency_id", "year"],
                       how="left", validate="1:1")
    missing = both[both["rank_computed"].isna() | both["rank_p05"].isna() | both["rank_p95"].isna()]
    assert missing.empty, missing[["regency", "year", "evaluation_group", "group_size", "n_loaded"]].head(10)
    assert both["group_complete"].all()
    assert ((both["rank_p05"] <= both["rank_p95"]) & (both["rank_p95"] <= both["n_in_group"])).all()
    # The real regency-years are among them, each in its group of the year.
    real = both[~both["is_simulated"]].set_index(["regency", "year"])
    assert {("Kabupaten Paser", 2022), ("Kota Kediri", 2020), ("Kota Kediri", 2022),
            ("Kabupaten Tabalong", 2022), ("Kota Banjarmasin", 2022)} <= set(real.index)
    assert real.loc[("Kabupaten Paser", 2022), "rank_computed"] == 8
    assert real.loc[("Kota Kediri", 2022), "rank_computed"] == 22
    kukar = both[both["regency"] == "Kabupaten Kutai Kartanegara"]
    assert set(kukar["year"]) == {2019, 2020, 2021, 2022, 2023, 2024}
