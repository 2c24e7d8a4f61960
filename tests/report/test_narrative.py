"""The sentences of a report: each number comes from the frames below it, and the driver wording is associational."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.report import narrative
from smartcity_utils.report.texts import texts


def _history(groups=("Nasional", "Nasional"), sizes=(130, 130)) -> pd.DataFrame:
    return pd.DataFrame({"year": [2023, 2024], "evaluation_group": list(groups), "n_in_group": list(sizes),
                         "final_score": [3.156, 3.237333], "final_score_source": ["reported", "computed"],
                         "rank_computed": [37.0, 30.0], "rank_p05": [12.0, 20.0], "rank_p95": [66.0, 45.0],
                         "n_lower": [93, 100], "n_others": [129, 129],
                         "percentile_in_group": [72.093, 100 * 100 / 129]})


def _numbers(sentence: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", sentence)


def test_index_sentence_numbers_come_from_the_history_row():
    sentence = narrative.index_sentence(_history(), 2024, "en")
    assert _numbers(sentence) == ["2024", "3.24"] and texts()["en"]["computed"] in sentence
    published, computed = narrative.rank_sentences(_history(), 2024, "en")
    assert published == "No rank is reported for 2024."
    assert _numbers(computed) == ["130", "30", "20", "45", "100", "129", "78"] and "National" in computed


def _letter_row(**values) -> pd.DataFrame:
    """One year of a regency's history as a letter gives it: an index and a rank, maybe with its group."""
    row = {"year": 2022, "evaluation_group": "Nasional", "n_in_group": np.nan, "final_score": 2.88,
           "final_score_source": "reported", "rank_computed": np.nan, "rank_p05": np.nan, "rank_p95": np.nan,
           "n_lower": np.nan, "n_others": np.nan, "percentile_in_group": np.nan, "rank_reported": 8,
           "rank_of": 37, "rank_scope": "nasional", "rank_province_reported": np.nan, "rank_province_of": np.nan,
           "group_size": np.nan, "n_loaded": 1}
    return pd.DataFrame([{**row, **values}])


@pytest.mark.parametrize("values, lang, expected", [
    pytest.param({}, "en", ["Published rank: 8 of 37 (nasional).",
                            "No rank is computed from these data: the size of its evaluation group (National) is not "
                            "known, so the data cannot show that the whole group is there."], id="letter_of_37"),
    pytest.param({"rank_of": np.nan, "rank_reported": 22}, "en",
                 ["Published rank: 22 (nasional; the size of the group is not given)."], id="rank_without_size"),
    pytest.param({"rank_province_reported": 4, "rank_province_of": 38, "rank_reported": 22, "rank_of": np.nan}, "id",
                 ["Peringkat yang dipublikasikan: 22 (nasional; jumlah anggota kelompok tidak disebutkan); "
                  "4 dari 38 di provinsi."], id="national_and_provincial"),
    pytest.param({"group_size": 37}, "en",
                 ["Published rank: 8 of 37 (nasional).",
                  "No rank is computed from these data: only 1 of the 37 regencies of its evaluation group (National) "
                  "are in them, and a rank among the few that happen to be loaded would mean nothing."],
                 id="group_partly_loaded"),
    pytest.param({"rank_scope": np.nan, "evaluation_group": "Angkatan 2021"}, "en",
                 ["Published rank: 8 of 37 (Cohort 2021)."], id="scope_from_the_group"),
    # No source names the group: its own letter's size, no group assumed, and the report says so.
    pytest.param({"rank_scope": np.nan, "evaluation_group": None, "group_size": 37}, "en",
                 ["Published rank: 8 of 37 (group not named).",
                  texts()["en"]["summary_rank_not_computed_no_group"]], id="group_not_named"),
    pytest.param({"rank_scope": np.nan, "evaluation_group": None, "rank_of": np.nan, "rank_reported": 5}, "id",
                 ["Peringkat yang dipublikasikan: 5 (kelompok dan jumlah anggotanya tidak disebutkan).",
                  texts()["id"]["summary_rank_not_computed_no_group"]], id="group_and_size_not_named"),
])
def test_published_rank_carries_its_group_and_no_rank_is_computed_among_few_rows(values, lang, expected):
    sentences = narrative.rank_sentences(_letter_row(**values), 2022, lang)
    assert sentences[:len(expected)] == expected
    assert not any(re.search(r"\b1 of 1\b|\b1 dari 1\b", s) for s in sentences)
    if values.get("evaluation_group", "") is None:
        assert not any("Nasional" in s or "National" in s for s in sentences)


def _letter(computed: float, reported: float, status: str, verdict: str) -> pd.DataFrame:
    return pd.DataFrame([{"year": 2022, "weights": "10/20/30/20/20", "weights_status": status,
                          "final_score_computed": computed, "final_score_reported": reported,
                          "difference": computed - reported, "verdict": verdict}])


@pytest.mark.parametrize("letter, lang, parts", [
    pytest.param(_letter(3.315, 3.31, "inferred", "agrees"), "en",
                 ["10/20/30/20/20, inferred from a published letter", "the index is 3.315", "reported 3.31 agrees"],
                 id="kediri_2022_agrees"),
    pytest.param(_letter(2.90, 2.75, "assumed", "differs_weights_unknown"), "en",
                 ["the index is 2.900, against a reported 2.75", "differ by 0.15",
                  "No source gives the weights of 2022"],
                 id="differs_with_assumed_weights"),
    pytest.param(_letter(2.90, 2.75, "documented", "differs_documented"), "id",
                 ["indeksnya 2,900", "selisihnya 0,15", "padahal bobot 2022 terdokumentasi"],
                 id="differs_with_documented_weights"),
])
def test_check_sentence_says_both_numbers_and_the_verdict(letter, lang, parts):
    sentence = narrative.check_sentence(letter, 2022, lang)
    assert all(p in sentence for p in parts), sentence


def test_change_within_the_same_group_gives_the_rank_change():
    first, second = narrative.change_sentences(_history(), 2024, "en")
    # 3.24 - 3.16 = 0.08 from the rounded figures the reader sees.
    assert "risen by 0.08 (from 3.16 to 3.24)" in first
    assert _numbers(second) == ["37", "30", "130"]


def test_change_of_group_says_ranks_cannot_be_compared_and_gives_percentiles():
    sentences = narrative.change_sentences(_history(("Angkatan 2021", "Nasional"), (37, 130)), 2024, "id")
    assert "turun" not in sentences[0] and "naik sebesar 0,08" in sentences[0]
    assert "Angkatan 2021 (37 daerah)" in sentences[1] and "Nasional (130)" in sentences[1]
    assert "tidak dapat dibandingkan" in sentences[1] and "72 % menjadi 78 %" in sentences[1]


def test_same_group_of_another_size_says_it_grew_not_changed():
    sentences = narrative.change_sentences(_history(("Nasional", "Nasional"), (130, 270)), 2024, "en")
    assert "The National group went from 130 to 270 regencies" in sentences[1]
    assert "cannot be compared" in sentences[1] and "changed from" not in sentences[1]


def test_first_year_and_unchanged_index():
    assert narrative.change_sentences(_history().iloc[1:], 2024, "en") == [
        texts()["en"]["summary_first_year"].format(year=2024)]
    flat = _history().assign(final_score=[3.241, 3.237])
    assert "has not changed (3.24)" in narrative.change_sentences(flat, 2024, "en")[0]


def _position() -> pd.DataFrame:
    return pd.DataFrame({"pillar": ["Smart Branding", "Smart Governance", "Smart Living"],
                         "gap_to_cohort_median": [0.51, 0.17, -0.16]})


def test_pillar_sentences_name_the_gaps_and_say_when_none_passes_the_threshold():
    position = _position()
    strong, weak = position.iloc[:2], position.iloc[2:]
    up, down = narrative.pillar_sentences(strong, weak, "en")
    assert "Smart Branding (+0.51), Smart Governance (+0.17)" in up
    assert "Smart Living (−0.16)" in down
    none_up, none_down = narrative.pillar_sentences(strong.iloc[:0], weak.iloc[:0], "en", threshold=0.1)
    assert "0.10 points above" in none_up and "0.10 points below" in none_down


CAUSAL = re.compile(r"\b(would raise|will raise|raises the|would move|will move|leads to|causes|improv\w+ the rank|"
                    r"akan menaikkan|akan meningkatkan|menyebabkan)\b", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_report_text_avoids_causal_driver_wording(lang):
    causal = [k for k, v in texts()[lang].items() if CAUSAL.search(v)]
    assert causal == []


def test_summary_puts_the_sentences_in_order():
    position = _position()
    summary = narrative.summary_sentences(_history(), 2024, position.iloc[:2], position.iloc[2:], "en")
    assert len(summary) == 7
    assert summary[0].startswith("In 2024") and summary[1].startswith("No rank is reported")
    assert summary[2].startswith("Among the 130") and summary[3].startswith("Since 2023")
    assert "Strongest" in summary[5] and "Weakest" in summary[6]
    assert not any("Where effort goes" in s for s in summary)  # no rank predicted from one pillar
    block = narrative.bullet_html(summary, "Summary", "note")
    assert block.markup.count("<li>") == 7 and "<h2>Summary</h2>" in block.markup


def test_summary_of_a_letter_says_what_is_missing_instead_of_pillar_and_effort_sentences():
    position = _position()
    gaps = [{"code": "no_pillars"}, {"code": "cohort_unknown"},
            {"code": "national_models", "needed": 8, "rows": 1, "regencies": 1}]
    summary = narrative.summary_sentences(_letter_row(), 2022, position.iloc[:0], position.iloc[:0], "en",
                                          letter=_letter(2.90, 2.88, "inferred", "differs_weights_unknown"),
                                          gaps=gaps, regency="Kabupaten Paser")
    text_all = " ".join(summary)
    assert "Strongest" not in text_all and "Where effort goes" not in text_all
    assert "no pillar scores for 2022" in text_all and "cohort of Kabupaten Paser is not known" in text_all
    assert "need at least 8 regency-years" in text_all and "hold 1 such regency-years, from 1 regency" in text_all
    assert "Published rank: 8 of 37 (nasional)." in summary


def test_history_notes_show_a_checkable_percentile_group_changes_and_gaps():
    history = pd.DataFrame({"year": [2019, 2021, 2022], "evaluation_group": ["Nasional", "Nasional", "Angkatan 2017"],
                            "n_in_group": [75, 100, 25], "final_score": [2.93, 2.92, 3.36],
                            "rank_computed": [25.0, 46.0, 15.0], "n_lower": [49, 52, 9], "n_others": [74, 99, 24],
                            "percentile_in_group": [66.9, 53.5, 100 * 9.5 / 24]})
    history = history.assign(rank_p05=[12.0, 27.0, 7.0], rank_p95=[38.0, 66.0, 18.0])
    note, groups, gap = narrative.history_notes(history, 2022, 1000, "en")
    # Rank 15 of 25: 14 score higher, 9 lower, so 1 tie: (9 + 1 / 2) / 24 = 39.6 % -> 40.
    assert "9 of the other 24 score lower and 1 score the same, so (9 + 1 ÷ 2) ÷ 24 = 40 %" in note
    assert "1,000 Monte Carlo draws" in note
    assert "2022: National of 100 → Cohort 2017 of 25" in groups
    assert "No index for 2020" in gap


def test_methods_name_the_draws_the_method_and_link_every_source():
    sources = pd.DataFrame({"source_url": ["https://a.example/x?p=1&q=2", "https://b.example/y"],
                            "region": ["Kabupaten Paser", "Kota Kediri"], "years": ["2022", "2020, 2023"]})
    block = narrative.methods_html("id", 1000, "eiv", sources)
    assert "1.000 kali" in block.markup and "errors-in-variables" in block.markup  # grouped as Indonesian groups
    assert "metode: mixed model" in narrative.methods_html("id", 10, "mixed_model", sources).plain
    assert block.markup.count("<a href=") == 2 and 'href="https://a.example/x?p=1&amp;q=2"' in block.markup
    assert "Kabupaten Paser (2022)" in block.markup
    assert np.all([p in block.plain for p in ("Indeks.", "Peringkat.", "Simulasi.")])


def test_history_notes_explain_a_rank_outside_its_plausible_range():
    history = _history().assign(rank_computed=[37.0, 130.0], rank_p95=[66.0, 129.0])
    notes = narrative.history_notes(history, 2024, 1000, "en")
    assert notes[-1].startswith("In 2024 the rank lies just outside its plausible range")
    assert not any("outside" in n for n in narrative.history_notes(_history(), 2024, 1000, "en"))
