"""Tables formatted for a reader: labels in the report's language, rounding, "-" for missing, no index column."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.report import tables
from smartcity_utils.report.texts import texts


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"year": [2022, 2023], "final_score": [2.88, np.nan], "rank_reported": [8.0, pd.NA],
                         "percentile_in_group": [46.324, 72.09], "pillar_key": ["smart_governance", "x"]},
                        index=[10, 11])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_reader_table_labels_rounding_missing_note_and_no_index(lang):
    table = tables.reader_table(_frame(), {"year": "year", "final_score": ("score", "col_index"),
                                           "rank_reported": "rank", "percentile_in_group": ("pct", "col_percentile")},
                                lang)
    words = texts()[lang]
    assert table.labels == [words["col_year"], words["col_index"], words["col_rank_reported"], words["col_percentile"]]
    point = "2.88" if lang == "en" else "2,88"  # the reader's decimal mark
    assert table.rows == [["2022", point, "8", "46"], ["2023", "-", "-", "72"]]
    assert table.notes == [words["missing_note"]]
    html = table.to_html()
    # Neither the frame's index (10, 11) nor its column names appear; numbers are right-aligned.
    assert ">10<" not in html and ">11<" not in html
    assert "final_score" not in html and "pillar_key" not in html
    assert html.count("<tr>") == 3 and f'<td class="num">{point}</td>' in html


def test_reader_table_adds_no_missing_note_when_nothing_is_missing():
    table = tables.reader_table(_frame().iloc[:1], {"year": "year", "final_score": ("score", "col_index")}, "en")
    assert table.notes == []


def test_reader_table_refuses_unknown_columns_and_kinds():
    with pytest.raises(KeyError, match="final_scor"):
        tables.reader_table(_frame(), {"final_scor": "score"}, "en")
    with pytest.raises(ValueError, match="unknown column kind"):
        tables.reader_table(_frame(), {"year": "decimal"}, "en")


def test_cells_are_escaped_and_links_show_their_host():
    frame = pd.DataFrame({"programme_name": ["<b>Becik</b>"], "source_url": ["https://kalteng.bpk.go.id/?p=30205"]})
    html = tables.reader_table(frame, {"programme_name": ("text", "col_programme"),
                                       "source_url": ("link", "col_link")}, "en").to_html()
    assert "&lt;b&gt;Becik&lt;/b&gt;" in html
    assert '<a href="https://kalteng.bpk.go.id/?p=30205">kalteng.bpk.go.id</a>' in html


@pytest.mark.parametrize("group, lang, expected", [
    pytest.param("Nasional", "en", "National", id="national_en"),
    pytest.param("Nasional", "id", "Nasional", id="national_id"),
    pytest.param("Angkatan 2021", "en", "Cohort 2021", id="cohort_en"),
    pytest.param("angkatan 2017", "id", "Angkatan 2017", id="cohort_id"),
    pytest.param("Kota Besar", "en", "Kota Besar", id="other_group_as_is"),
    pytest.param("Angkatan 2017-2019", "en", "Cohorts 2017-2019", id="cohorts_en"),
    pytest.param("Angkatan 2017-2022 (surat B-1478)", "en", "Cohorts 2017-2022 (letter B-1478)", id="letter_en"),
    pytest.param("Angkatan 2017-2022 (surat B-1478)", "id", "Angkatan 2017-2022 (surat B-1478)", id="letter_id"),
    pytest.param("Angkatan 2023 (surat B-1477)", "en", "Cohort 2023 (letter B-1477)", id="one_cohort_letter_en"),
    pytest.param("Angkatan 2023 (Surat B-1477)", "id", "Angkatan 2023 (surat B-1477)", id="one_cohort_letter_id"),
    pytest.param("angkatan 2017–2019", "en", "Cohorts 2017-2019", id="en_dash"),
    pytest.param("Angkatan 2021 (catatan)", "en", "Angkatan 2021 (catatan)", id="unknown_suffix_kept"),
])
def test_group_label(group, lang, expected):
    assert tables.group_label(group, lang) == expected


def _history() -> pd.DataFrame:
    return pd.DataFrame({"year": [2022, 2024], "evaluation_group": ["Angkatan 2021", "Nasional"],
                         "n_in_group": [37, 270], "final_score": [2.88, 3.237333],
                         "final_score_source": ["reported", "computed"], "rank_computed": [8.0, 49.0],
                         "rank_reported": [8, pd.NA], "rank_of": [37, pd.NA], "rank_scope": [None, None],
                         "rank_p05": [6.0, 28.0], "rank_p95": [20.0, 98.0],
                         "percentile_in_group": [80.555, 82.156], "improvement": [np.nan, 0.36],
                         "is_simulated": [False, True]})


def test_history_table_shows_rank_of_n_and_translated_groups():
    table = tables.history_table(_history(), "en")
    # Each row says whether it is real (the published 2022 row) or simulated.
    assert table.rows[0] == ["2022", "real", "Cohort 2021", "2.88", "reported", "-", "8 of 37 (Cohort 2021)",
                             "8 of 37", "6–20", "81"]
    assert table.rows[1] == ["2024", "simulated", "National", "3.24", texts()["en"]["computed"], "+0.36", "-",
                             "49 of 270", "28–98", "82"]
    id_rows = tables.history_table(_history(), "id").rows
    assert id_rows[0][1:8] == ["nyata", "Angkatan 2021", "2,88", "dilaporkan", "-", "8 dari 37 (Angkatan 2021)",
                               "8 dari 37"]


def test_history_table_of_a_letter_keeps_the_published_rank_apart_from_a_computed_one():
    letter = _history().iloc[:1].assign(rank_computed=np.nan, n_in_group=np.nan, rank_p05=np.nan, rank_p95=np.nan,
                                        percentile_in_group=np.nan, rank_scope="nasional", evaluation_group="Nasional")
    row = tables.history_table(letter, "en").rows[0]
    assert row[6] == "8 of 37 (nasional)" and row[7:] == ["-", "-", "-"]


SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b(?!\.csv)")  # a code, not a file name


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_tables_show_no_codes(lang):
    published = pd.DataFrame({"index": [0, 1], "year": [2022, 2022], "metric": ["indeks_smart_city", "indeks_spbe"],
                              "value": [2.88, 2.83], "rank": [8, np.nan], "rank_of": [37, np.nan],
                              "source_url": ["https://mediacenter.paserkab.go.id/x", "https://dailykaltim.co/y"]})
    provenance = pd.DataFrame({"source_file": ["quick_win/register_quick_win.xlsx"], "layout": ["quick_wins"],
                               "years": ["2022, 2023"], "values": [18], "is_simulated": [True],
                               "sha256": ["6b753be0715d"]})
    rejects = pd.DataFrame({"source_file": ["rekap.xlsx", "rekap.xlsx"], "source_row": [28, 30],
                            "value": ["Kutai Kartanegra", "x"], "reason": ["unknown_regency", "some_new_reason"],
                            "nearest": ["Kabupaten Kutai Kartanegara", ""], "match": ["nearest", "row"]})
    words = texts()[lang]
    pub = tables.published_table(published, lang)
    assert [r[1] for r in pub.rows] == [words["metric_indeks_smart_city"], words["metric_indeks_spbe"]]
    prov = tables.provenance_table(provenance, lang)
    assert prov.rows[0][1] == words["layout_quick_wins"]
    rej = tables.rejects_table(rejects, lang)
    assert rej.rows[0][3] == words["reason_unknown_regency"]
    assert "Kabupaten Kutai Kartanegara" in rej.rows[0][4]
    assert rej.rows[1][3] == words["reason_other"].format(code="some new reason")
    for table in (pub, prov, rej, tables.history_table(_history(), lang)):
        shown = " ".join(table.labels) + " " + " ".join(c for row in table.rows for c in row
                                                          if not c.startswith(("<code>", "<a ")))
        assert not SNAKE.findall(shown), SNAKE.findall(shown)


