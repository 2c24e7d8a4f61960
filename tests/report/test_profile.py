"""The per-regency profile on a small hand-worked table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from smartcity_utils import paths
from smartcity_utils.errors import UserError
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
                                            province="P", is_simulated=True, n_in_group=4,
                                            final_score_source="reported")
    index_ranks["rank_computed"] = index_ranks["final_score"].rank(ascending=False, method="min")
    index_ranks["rank_reported"] = index_ranks["rank_computed"]
    # The national associations (driver_estimates): governance clearly positive, environment unclear.
    drivers = pd.DataFrame({"pillar_key": PILLARS, "estimate": [0.4, 0.1, 0.2, 0.1, 0.1, 0.05],
                            "ci_low": [0.3, 0.05, 0.1, 0.05, 0.05, -0.02],
                            "ci_high": [0.5, 0.15, 0.3, 0.15, 0.15, 0.12], "method": "eiv",
                            "estimand": "difference per point", "is_simulated": True})
    uncertainty = index_ranks[["regency_id", "year"]].assign(rank_p05=[2, 1, 1, 4], rank_p95=[4, 2, 3, 4])
    empty = pd.DataFrame()
    return profile.ReportContext(index_ranks, uncertainty, drivers, empty, empty, empty, empty, Path("."))


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


def test_the_report_shows_no_rank_after_changing_one_pillar():
    # The effort section predicted a rank after moving one pillar with the others fixed, from a slope interval
    # alone while the regency's own rank range is far wider: it is gone, and nothing on the page rests on the
    # national driver estimates, so they no longer decide whether the page is simulated.
    assert not hasattr(profile, "effort_table")
    ctx = _context()
    ctx.driver_estimates["is_simulated"] = True
    ctx.index_ranks["is_simulated"] = False
    assert profile.page_simulated(ctx, 1, 2023)[0] is False


def test_threshold_decides_strength_and_weakness():
    ranks = _context().index_ranks
    ranks.loc[ranks["regency_id"] == 1, "smart_economy"] = 3.09  # +0.09 over the median 3.0: within the noise
    ranks.loc[ranks["regency_id"] == 1, "smart_living"] = 2.90  # -0.10: just a weakness
    pos = profile.pillar_position(ranks, 1, 2023).set_index("pillar_key")
    assert pos.loc["smart_economy", "verdict"] == "near_median"
    assert pos.loc["smart_living", "verdict"] == "weakness"
    strong, weak = profile.strengths_and_weaknesses(pos.reset_index(), threshold=0.6)
    assert strong.empty and list(weak["pillar_key"]) == []  # branding +0.5, governance -0.5: below 0.6


def test_headline_history_counts_the_position_in_the_group():
    history = profile.headline_history(_context(), 1)
    row = history.iloc[0]
    # Focus 3.00 among 3.40, 3.10, 2.50: one of three others lower -> 33 %; rank 3 of 4 -> (4 - 3) / 3 the same.
    assert (row["n_lower"], row["n_others"]) == (1, 3)
    assert row["percentile_in_group"] == pytest.approx(100 / 3)
    assert row["percentile_in_group"] == pytest.approx(profile.rank_to_percentile(3, 4))
    # The rank interval 2..4 becomes the percentile interval 0..66.7 (a better rank is a higher percentile).
    assert (row["percentile_low"], row["percentile_high"]) == pytest.approx((0.0, 200 / 3))


def test_group_position_counts_ties_half():
    ranks = pd.DataFrame({"regency_id": [1, 2, 3, 4], "year": 2023, "evaluation_group": "G",
                          "final_score": [3.0, 3.0, 2.0, 4.0]})
    pos = profile.group_position(ranks).set_index("regency_id")
    assert pos.loc[1, "percentile_in_group"] == pytest.approx(100 * (1 + 0.5) / 3)
    assert pos.loc[4, "percentile_in_group"] == 100 and pos.loc[3, "percentile_in_group"] == 0


def test_group_changes_and_missing_years():
    history = pd.DataFrame({"year": [2019, 2021, 2022, 2023], "final_score": [2.9, 2.9, 3.4, 3.3],
                            "evaluation_group": ["Nasional", "Nasional", "Angkatan 2017", "Nasional"],
                            "n_in_group": [75, 100, 25, 130], "rank_computed": [3.0, 4.0, 5.0, 6.0]})
    changes = profile.group_changes(history)
    assert [c["year"] for c in changes] == [2021, 2022, 2023]
    assert changes[1] == {"year": 2022, "prev_year": 2021, "prev_group": "Nasional", "prev_n": 100,
                          "group": "Angkatan 2017", "n": 25}
    assert profile.missing_years(history) == [2020]


def _rejects_context() -> profile.ReportContext:
    ctx = _context()
    ctx.scores = pd.DataFrame({"regency_id": [358, 358, 361],
                               "source_file": ["a_kukar.xlsx", "rekap.xlsx", "rekap.xlsx"],
                               "source_row": [5, 10, 11]})
    ctx.quick_wins = pd.DataFrame(columns=["regency_id", "source_file", "source_row"])
    ctx.rejects = pd.DataFrame([
        # A typo: the cleaner's nearest known name is Kukar.
        ("rekap.xlsx", 28, "regency", "Kutai Kartanegra", "unknown_regency",
         "did you mean Kabupaten Kutai Kartanegara? If the name is right, add it to regency_aliases.csv"),
        # A typo of another regency.
        ("rekap.xlsx", 29, "regency", "Pasr", "unknown_regency", "did you mean Kabupaten Paser? ..."),
        # A duplicate row whose name resolves to Kukar.
        ("rekap.xlsx", 30, "regency", "Kukar", "duplicate_row", "identical to row 10; remove one"),
        # A value of a kept row of Kukar, and one of a file holding only Kukar.
        ("rekap.xlsx", 10, "smart_living", "n/a", "missing", "no score given"),
        ("a_kukar.xlsx", 7, "impact", "4.7", "out_of_range", "check the value"),
        # Not regency rows at all.
        ("rekap.xlsx", 99, "", "Sumber: simulasi", "footnote_row", "not a regency row"),
        ("rekap.xlsx", 11, "smart_living", "n/a", "missing", "no score given"),
    ], columns=["source_file", "source_row", "column", "value", "reason", "suggestion"])
    return ctx


def test_rejects_of_the_regency_with_how_they_were_matched():
    found = profile.rejects_for(_rejects_context(), 358, "Kabupaten Kutai Kartanegara")
    matched = dict(zip(zip(found["source_file"], found["source_row"]), found["match"]))
    assert matched == {("rekap.xlsx", 28): "nearest", ("rekap.xlsx", 30): "resolved", ("rekap.xlsx", 10): "row",
                       ("a_kukar.xlsx", 7): "file"}
    assert found.set_index("source_row").loc[28, "nearest"] == "Kabupaten Kutai Kartanegara"


def test_rejects_with_the_cleaners_regency_are_matched_by_it_and_only_other_names_are_looked_up(monkeypatch):
    from smartcity_utils import regencies

    ctx = _rejects_context()
    # Kota Kediri's duplicate row: a bare name the cleaner resolved with its kind column; Kukar's typo has no id.
    ctx.rejects["regency_id"] = pd.array([None, None, 358, 358, 358, None, None], dtype="Int64")
    kediri = ("rekap.xlsx", 31, "regency", "Kediri", "duplicate_row", "identical to row 12; remove one")
    ctx.rejects.loc[len(ctx.rejects)] = [*kediri, regencies.resolve_regencies(["Kota Kediri"])[0]]
    looked_up = []
    real = regencies.regency_resolver()

    class Counting:
        def resolve(self, raw, *args, **kwargs):
            looked_up.append(raw)
            return real.resolve(raw, *args, **kwargs)

    monkeypatch.setattr(regencies, "regency_resolver", lambda: Counting())
    monkeypatch.setattr(profile, "regency_resolver", lambda: Counting())
    found = profile.rejects_for(ctx, 358, "Kabupaten Kutai Kartanegara")
    matched = dict(zip(zip(found["source_file"], found["source_row"]), found["match"]))
    assert matched == {("rekap.xlsx", 28): "nearest", ("rekap.xlsx", 30): "resolved", ("rekap.xlsx", 10): "row",
                       ("a_kukar.xlsx", 7): "file"}
    assert sorted(looked_up) == ["Kutai Kartanegra", "Pasr"]  # once each; never a name the cleaner resolved
    kota = profile.rejects_for(ctx, int(ctx.rejects["regency_id"].iloc[-1]), "Kota Kediri")
    assert list(zip(kota["source_row"], kota["match"], kota["nearest"])) == [(31, "resolved", "")]
    kabupaten = regencies.resolve_regencies(["Kabupaten Kediri"])[0]
    assert profile.rejects_for(ctx, kabupaten, "Kabupaten Kediri").empty  # not shown as a row that may be its own


def test_choose_year_and_texts():
    ctx = _context()
    assert profile.choose_year(ctx, 1, None) == 2023
    with pytest.raises(ValueError, match="has \\[2023\\]"):
        profile.choose_year(ctx, 1, 2019)
    assert texts.text("id", "quick_wins") == "Program Quick Win"
    with pytest.raises(ValueError, match="language 'fr'"):
        texts.text("fr", "title", regency="x")
    assert set(texts.texts()["id"]) == set(texts.texts()["en"])  # every text in both languages


def test_a_real_regency_among_simulated_others_gets_the_mixed_banner():
    ctx = _context()
    ctx.index_ranks["is_simulated"] = ctx.index_ranks["regency_id"] != 1  # only regency 1 is real
    ctx.driver_estimates["is_simulated"] = False
    simulated, real_years = profile.page_simulated(ctx, 1, 2023)
    assert (simulated, real_years) == (True, [2023])  # its medians, ranks and percentiles use simulated others
    assert texts.banner_plain(simulated, "en", real_years) == texts.text("en", "banner_mixed", years="2023")
    assert texts.banner_plain(simulated, "en", real_years) != texts.REAL_TEXT["en"]
    figures = profile.headline_figures(profile.headline_history(ctx, 1), 2023, simulated=simulated)
    assert figures["simulated"] is True  # the index badge says so too
    ctx.index_ranks["is_simulated"] = False
    assert profile.page_simulated(ctx, 1, 2023) == (False, [2023])


def test_the_mixed_banner_names_what_of_a_real_year_is_simulated_and_the_pdf_says_partly_simulated():
    from smartcity_utils.report.page import is_partly_simulated, print_furniture

    ctx = _context()
    ctx.index_ranks["is_simulated"] = ctx.index_ranks["regency_id"] != 1
    ctx.quick_wins = pd.DataFrame({"regency_id": [1, 1, 2], "year": [2023, 2023, 2023], "is_simulated": True})
    ctx.recommendations = None
    simulated, real_years = profile.page_simulated(ctx, 1, 2023)
    parts = profile.simulated_parts(ctx, 1, real_years, "en")
    assert parts == ["its Quick Wins of 2023"]
    banner = texts.banner_html(simulated, "en", real_years, parts)
    assert "Simulated although of a real year: its Quick Wins of 2023." in banner
    assert is_partly_simulated(banner) and not is_partly_simulated(texts.banner_html(True, "en"))
    page = "<html><head></head><body><main>" + banner + "</main></body></html>"
    header = print_furniture(page, "Kabupaten Paser 2022", "id", True, partly=is_partly_simulated(page))
    assert texts.text("id", "marker_partly") in header and texts.text("id", "marker") not in header
    ctx.quick_wins["is_simulated"] = False  # real Quick Wins of a real year: nothing to add
    assert profile.simulated_parts(ctx, 1, real_years, "en") == []


def test_choose_year_refuses_a_year_without_an_index_naming_those_with_one():
    ctx = _context()
    extra = ctx.index_ranks[ctx.index_ranks["regency_id"] == 1].assign(year=2024, final_score=float("nan"))
    ctx.index_ranks = pd.concat([ctx.index_ranks, extra], ignore_index=True)
    assert profile.choose_year(ctx, 1, None) == 2023  # the latest year with an index
    with pytest.raises(UserError, match="no index in 2024.*years with an index: \\[2023\\]"):
        profile.choose_year(ctx, 1, 2024)


def test_strengths_and_weaknesses_follow_the_verdict():
    pos = profile.pillar_position(_context().index_ranks, 1, 2023)
    strong, weak = profile.strengths_and_weaknesses(pos)
    assert list(strong["pillar_key"]) == ["smart_branding"] and list(weak["pillar_key"]) == ["smart_governance"]
    pos.loc[pos["pillar_key"] == "smart_branding", "verdict"] = "near_median"
    assert profile.strengths_and_weaknesses(pos)[0].empty


def test_previous_index_and_the_change_of_the_shown_values():
    history = pd.DataFrame({"year": [2020, 2021, 2022], "final_score": [2.004, float("nan"), 2.996]})
    prev, delta = profile.previous_index(history, 2022)
    assert int(prev["year"]) == 2020 and delta == pytest.approx(1.0)  # 3.00 - 2.00 as printed
    assert profile.previous_index(history, 2020) == (None, None)


def test_an_ambiguous_name_belongs_to_each_regency_it_may_mean():
    from smartcity_utils.regencies import regency_resolver

    resolver = regency_resolver()
    kab = resolver.resolve("Kabupaten Kediri").regency_id
    ctx = _rejects_context()
    ctx.rejects = pd.DataFrame([("rekap.xlsx", 40, "regency", "Kediri", "ambiguous_regency", "say which")],
                               columns=["source_file", "source_row", "column", "value", "reason", "suggestion"])
    found = profile.rejects_for(ctx, kab, "Kabupaten Kediri")
    assert list(found["match"]) == ["nearest"]
    assert found["nearest"].iloc[0] == "Kabupaten Kediri or Kota Kediri"


def test_rows_replaced_through_no_fault_of_their_own_are_not_listed():
    from smartcity_utils.clean.assemble import REPLACED

    assert REPLACED <= profile.NOT_REGENCY_ROWS
    ctx = _rejects_context()
    ctx.rejects = pd.DataFrame([("rekap.xlsx", 10, "smart_living", "3", reason, "") for reason in sorted(REPLACED)],
                               columns=["source_file", "source_row", "column", "value", "reason", "suggestion"])
    assert profile.rejects_for(ctx, 358, "Kabupaten Kutai Kartanegara").empty


def test_rejects_of_a_recap_of_final_scores_alone_are_found():
    # A provincial table gives no score or Quick Win rows: a misspelt name is still the regency's reject.
    ctx = _rejects_context()
    ctx.scores = pd.DataFrame(columns=["regency_id", "source_file", "source_row"])
    ctx.recommendations = None
    ctx.rejects = pd.DataFrame([("rekap_kaltim.csv", 4, "regency", "Kutai Kartanegra", "unknown_regency",
                                 "did you mean: Kabupaten Kutai Kartanegara")],
                               columns=["source_file", "source_row", "column", "value", "reason", "suggestion"])
    found = profile.rejects_for(ctx, 358, "Kabupaten Kutai Kartanegara")
    assert list(found["match"]) == ["nearest"]
    assert profile.rejects_for(ctx, 361, "Kabupaten Paser").empty


def test_every_table_the_context_holds_is_in_its_input_files():
    """The tables a report reads are listed once (the metadata's ``read_by_reports``): the context holds each,
    and the runner's stamp hashes each, so an edited table never leaves a report skipped as unchanged."""
    ctx = _context()
    held = [f.name for f in dataclasses.fields(ctx) if f.name != "folder"]
    assert sorted(held) == sorted(profile.REPORT_TABLES)
    files = ctx.input_files
    for name in held:
        candidates = {paths.table_file(ctx.folder, name), paths.table_file(paths.analysis_dir(ctx.folder), name)}
        assert candidates & set(files), f"{name} is held by the report context but not in its input files"
    assert paths.analysis_dir(ctx.folder) / paths.ANALYSIS_META in files
    assert profile.report_inputs(ctx.folder) == files
