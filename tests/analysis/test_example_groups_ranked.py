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


@pytest.mark.parametrize("lang", ["en", "id"])
def test_methods_text_names_how_the_shared_error_was_sized(tmp_path_factory, lang):
    """The methods paragraph of a page says the panel-shared error is the data's upper bound, with the size the
    bands were drawn with; set by hand, it says so; left out, it says the ranges are then too narrow."""
    import json
    import shutil

    from smartcity_utils.report import narrative
    from smartcity_utils.report.numbers import fmt_score
    from smartcity_utils.report.profile import ReportContext

    processed = processed_example(tmp_path_factory)
    meta = json.loads((processed / "analysis" / "rank_uncertainty_meta.json").read_text())
    sd = meta["rank_sets"]["shared_error_sd"]
    assert f"N(0, {sd:.3f}^2)" in meta["shared_error"]  # the size the band drew with
    ctx = ReportContext(*(None,) * 7, processed)
    assert ctx.shared_error == ("bound", sd) and sd > 0
    sources = pd.DataFrame(columns=["source_url", "region", "years"])
    plain = narrative.methods_html(lang, 1000, "", sources, shared_error=ctx.shared_error).plain
    assert fmt_score(sd, lang) in plain
    assert ("upper bound" if lang == "en" else "batas atas") in plain
    assert ("at least 90 %" if lang == "en" else "sedikitnya 90 %") in plain

    by_hand = tmp_path_factory.mktemp("shared-by-hand")
    shutil.copytree(processed / "analysis", by_hand / "analysis")
    analysis_meta = json.loads((by_hand / "analysis" / "analysis_meta.json").read_text())
    (by_hand / "analysis" / "analysis_meta.json").write_text(json.dumps({**analysis_meta, "shared_error_sd": 0.06}))
    hand = ReportContext(*(None,) * 7, by_hand).shared_error
    assert hand == ("set", 0.06)
    plain = narrative.methods_html(lang, 1000, "", sources, shared_error=hand).plain
    assert fmt_score(0.06, lang) in plain and ("upper bound" not in plain and "batas atas" not in plain)
    plain = narrative.methods_html(lang, 1000, "", sources, shared_error=("none", 0.0)).plain
    assert ("too narrow" if lang == "en" else "terlalu sempit") in plain
    assert "upper bound" not in plain and "batas atas" not in plain
