"""Recommendations of the panel and their follow-up: the Kukar 2023 session typed into the template, its 2024
follow-up register, remarks of assessor sheets and form answers, agencies per pillar, themes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from clean_helpers import assessor_rows, cases, workbook
from fixtures.kukar_recommendations import (
    AGENCIES,
    EXPECTED_2024,
    FORMULA,
    MARKUP,
    NEW_2024,
    RECOMMENDATIONS_2023,
    REMARKS,
    write_kukar_raw,
)

from smartcity_utils.clean.assemble import clean_raw_folder, run_clean
from smartcity_utils.clean.themes import match_themes
from smartcity_utils.errors import RawConflictError, RawFileError
from smartcity_utils.paths import EXAMPLE_RAW_DIR
from smartcity_utils.regencies import regency_resolver

SESSION = "sesi_kukar_2023_tahap_1.xlsx"
FOLLOWUP = "tindak_lanjut_kukar_2024.xlsx"
KUKAR = regency_resolver().resolve("Kukar").regency_id


@pytest.fixture(scope="module")
def kukar(tmp_path_factory):
    raw = write_kukar_raw(tmp_path_factory.mktemp("kukar") / "raw")
    return clean_raw_folder(raw)


def _rows_named(source_rows: pd.Series) -> set[tuple[str, str, int]]:
    """(file, sheet, row) of every ``file (sheet) row N`` in ``source_rows``."""
    found = set()
    for text in source_rows.dropna():
        for part in text.split("; "):
            match = re.fullmatch(r"(.+?)(?: \((.+)\))? row (\d+)", part)
            found.add((match.group(1), match.group(2) or "", int(match.group(3))))
    return found


def test_every_row_of_the_session_and_the_followup_is_kept_or_rejected(kukar):
    m = kukar.manifest.set_index("source_file")
    # 3 assessor sheets of 11 rows, 9 recommendations, 6 agency counts; 9 follow-up rows and one new one.
    assert m.loc[SESSION, "rows_read"] == 33 + 9 + 6 and m.loc[FOLLOWUP, "rows_read"] == 10
    assert (m.rows_read == m.rows_kept + m.rows_rejected).all()
    assert "recommendations" in m.loc[SESSION, "layout"] and "agencies" in m.loc[SESSION, "layout"]
    seen = (_rows_named(kukar.recommendations["source_rows"])
            | set(zip(kukar.scores.source_file, kukar.scores.source_sheet, kukar.scores.source_row))
            | set(zip(kukar.agencies.source_file, kukar.agencies.source_sheet, kukar.agencies.source_row))
            | set(zip(kukar.rejects.source_file, kukar.rejects.source_sheet, kukar.rejects.source_row)))
    register = {(SESSION, "Rekomendasi", r) for r in range(3, 12)} | {(FOLLOWUP, "Tindak Lanjut", r)
                                                                       for r in range(3, 13)}
    assert register <= seen
    assessor = {(SESSION, f"Asesor {k}", r) for k in (1, 2, 3) for r in range(8, 19)}
    assert assessor <= seen


def test_the_recommendations_of_the_session_are_kept_with_their_themes(kukar):
    recs = kukar.recommendations
    assert (recs["regency_id"] == KUKAR).all() and not recs["is_simulated"].any()
    register = recs[recs["layout"].str.contains("recommendations") & (recs["year"] == 2023)]
    assert len(register) == len(RECOMMENDATIONS_2023)
    by_text = register.set_index("recommendation")
    for assessor, _pillar, text, themes in RECOMMENDATIONS_2023:
        row = by_text.loc[text]
        assert row["themes"].split("; ") == themes, text
        assert row["assessors"] == assessor
        assert row["stage"] == "I"
    scopes = register["pillar_key"].value_counts()
    assert scopes["all"] == 2 and scopes["masterplan"] == 1
    assert set(scopes.index) - {"all", "masterplan"} == {"smart_governance", "smart_branding", "smart_economy",
                                                         "smart_living", "smart_society", "smart_environment"}
    # The retyped follow-up row is the same recommendation: its statement is counted, no new row.
    first = by_text.loc[RECOMMENDATIONS_2023[0][2]]
    assert first["n_statements"] == 2 and FOLLOWUP in first["source_rows"]


def test_remarks_of_the_assessor_sheet_are_recommendations_kept_as_written(kukar):
    remarks = kukar.recommendations[kukar.recommendations["layout"] == "assessor"].set_index("recommendation")
    for pillar, text in REMARKS.items():
        assert text in remarks.index, pillar
        assert remarks.loc[text, "pillar_key"] == pillar.lower().replace(" ", "_")
        assert remarks.loc[text, "assessors"] == "Asesor BRIN"
    assert remarks.loc[MARKUP, "themes"] == "" and remarks.loc[MARKUP, "n_themes"] == 0
    assert remarks.loc["Perluas digitalisasi UMKM", "themes"] == "msme_digitalisation"
    # A remark on a row whose score is missing: kept, the row kept, the empty score counted as missing.
    assert remarks.loc["Rinci pendanaan dari APBD dan CSR (TJSP)", "assessors"] == "Asesor WANTIKNAS"
    status = kukar.manifest.set_index("source_file").loc[SESSION, "values_missing"]
    assert "score 1" in status
    # A remark on a row rejected for its unknown pillar: listed beside the row, never dropped in silence.
    rejects = kukar.rejects[(kukar.rejects["source_sheet"] == "Asesor 2") & (kukar.rejects["source_row"] == 11)]
    assert set(rejects["reason"]) == {"unknown_pillar", "remark_of_rejected_row"}
    assert "Integrasikan layanan kesehatan dan pendidikan" in set(rejects["value"])


def test_the_2024_followup_shows_done_in_progress_and_not_started(kukar):
    view = kukar.recommendation_followup
    view = view[(view["year"] == 2023) & view["source_file"].eq(FOLLOWUP).fillna(False)]
    got = dict(zip(view["recommendation"], view["followup_status"]))
    expected = {text: status for text, status in EXPECTED_2024.items() if status is not None}
    assert got == expected
    assert sorted(view["followup_status"].value_counts().items()) == [("belum", 2), ("proses", 2), ("selesai", 3)]
    spbe = view.set_index("recommendation").loc[RECOMMENDATIONS_2023[0][2]]
    assert spbe["evidence"] == "https://kukarkab.go.id/spbe" and str(spbe["followup_date"].date()) == "2024-06-10"
    assert (view["followup_year"] == 2024).all()
    status = kukar.recommendation_status
    assert (status["followup_year"] == 2024).all() and len(status) == 7


def test_an_unknown_status_is_a_reject_naming_the_accepted_values(kukar):
    bad = kukar.rejects[kukar.rejects["reason"] == "unknown_status"]
    assert len(bad) == 1
    row = bad.iloc[0]
    assert (row["source_file"], row["source_sheet"], row["source_row"], row["column"], row["value"]) == (
        FOLLOWUP, "Tindak Lanjut", 8, "followup_status", "ditunda")
    for accepted in ("belum", "proses", "selesai", "recommendation_statuses.csv"):
        assert accepted in row["suggestion"]
    # The recommendation itself stays, without a status.
    env = kukar.recommendation_followup.set_index("recommendation").loc[RECOMMENDATIONS_2023[5][2]]
    assert pd.isna(env["followup_status"])


def test_a_theme_asked_again_the_next_year_is_flagged_both_ways(kukar):
    recs = kukar.recommendations.set_index("recommendation")
    new = recs.loc[NEW_2024[1]]
    assert new["year"] == 2024 and new["is_repeated"] and new["repeated_themes"] == "waste; public_awareness"
    view = kukar.recommendation_followup.set_index("recommendation")
    assert view.loc[RECOMMENDATIONS_2023[5][2], "theme_repeated_next_year"]
    assert not view.loc[RECOMMENDATIONS_2023[1][2], "theme_repeated_next_year"]


def test_agencies_per_pillar_are_whole_numbers_per_regency_year(kukar):
    agencies = kukar.agencies
    got = dict(zip(agencies["pillar_key"], agencies["n_agencies"]))
    assert got == {p.lower().replace(" ", "_"): n for p, n in AGENCIES.items()}
    assert (agencies["year"] == 2023).all() and agencies["n_agencies"].dtype == "int64"


def test_csv_outputs_neutralise_formulas_and_parquet_keeps_the_text(kukar, tmp_path):
    from smartcity_utils.tables import write_tables

    write_tables({"recommendations": kukar.recommendations}, tmp_path)
    csv_text = (tmp_path / "recommendations.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in csv_text and "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    back = pd.read_parquet(tmp_path / "recommendations.parquet")
    assert FORMULA in set(back["recommendation"]) and MARKUP in set(back["recommendation"])


def _register(path: Path, rows: list[list], header: list[str] | None = None) -> Path:
    header = header or ["Kabupaten/Kota", "Tahun", "Pilar", "Rekomendasi", "Status Tindak Lanjut",
                        "Tanggal Tindak Lanjut", "Simulasi"]
    return workbook(path, {"Rekomendasi": [header, *rows]})


@pytest.mark.parametrize("cell, status, reason", cases(
    canonical=("selesai", "selesai", None),
    alias_in_capitals=("SUDAH DITINDAKLANJUTI", "selesai", None),
    english=("in progress", "proses", None),
    not_started=("belum dimulai", "belum", None),
    unknown=("dibatalkan", None, "unknown_status"),
))
def test_status_spellings(tmp_path, cell, status, reason):
    _register(tmp_path / "raw" / "rek.xlsx", [["Kab. Paser", 2023, "Smart Governance", "Integrasi SPBE", cell,
                                               "2024-05-02", "tidak"]])
    cleaned = clean_raw_folder(tmp_path / "raw")
    assert len(cleaned.recommendations) == 1
    got = cleaned.recommendation_status["status"].tolist()
    assert got == ([status] if status else [])
    assert (reason in set(cleaned.rejects["reason"])) == (reason is not None)


def test_a_later_dated_status_replaces_an_earlier_one_and_an_undated_clash_stops_the_run(tmp_path):
    raw = tmp_path / "raw"
    _register(raw / "tl_juni.xlsx", [["Kab. Paser", 2023, "Smart Branding", "Promosi wisata", "proses",
                                      "2024-06-01", "tidak"]])
    _register(raw / "tl_november.xlsx", [["Kab. Paser", 2023, "Smart Branding", "promosi  WISATA", "selesai",
                                          "2024-11-20", "tidak"]])
    cleaned = clean_raw_folder(raw)
    assert cleaned.recommendation_status["status"].tolist() == ["selesai"]
    replaced = cleaned.rejects[cleaned.rejects["reason"] == "superseded"]
    assert replaced[["source_file", "column", "value"]].values.tolist() == [["tl_juni.xlsx", "followup_status",
                                                                            "proses"]]
    _register(raw / "tl_november.xlsx", [["Kab. Paser", 2023, "Smart Branding", "Promosi wisata", "selesai", None,
                                          "tidak"]])
    _register(raw / "tl_juni.xlsx", [["Kab. Paser", 2023, "Smart Branding", "Promosi wisata", "proses", None,
                                      "tidak"]])
    with pytest.raises(RawConflictError, match="tl_juni.xlsx.*proses.*tl_november.xlsx.*selesai"):
        clean_raw_folder(raw)
    (raw / "tl_november.xlsx").rename(raw / "tl_november_revisi.xlsx")
    revised = clean_raw_folder(raw)
    assert revised.recommendation_status["status"].tolist() == ["selesai"]
    assert "superseded_by_revision" in set(revised.rejects["reason"])


@pytest.mark.parametrize("row, reason, column", cases(
    blank_text=(["Kab. Paser", 2023, "Smart Governance", "", None, None, "tidak"], "blank_recommendation",
                "recommendation"),
    unknown_pillar=(["Kab. Paser", 2023, "Smart Gouvernance", "Integrasi SPBE", None, None, "tidak"],
                    "unknown_pillar", "pillar"),
    unknown_regency=(["Kutai Kartanegra", 2023, "Smart Governance", "Integrasi SPBE", None, None, "tidak"],
                     "unknown_regency", "regency"),
    bad_year=(["Kab. Paser", "dua ribu", "Smart Governance", "Integrasi SPBE", None, None, "tidak"], "bad_year",
              "year"),
))
def test_a_register_row_that_cannot_be_kept_is_rejected_with_its_reason(tmp_path, row, reason, column):
    _register(tmp_path / "raw" / "rek.xlsx", [row, ["Kab. Paser", 2023, "Smart Living", "Data intranet", None, None,
                                                    "tidak"]])
    cleaned = clean_raw_folder(tmp_path / "raw")
    assert len(cleaned.recommendations) == 1
    hit = cleaned.rejects[cleaned.rejects["source_row"] == 2]
    assert hit[["reason", "column"]].values.tolist() == [[reason, column]]
    assert hit["suggestion"].iloc[0]
    m = cleaned.manifest.iloc[0]
    assert (m.rows_read, m.rows_kept, m.rows_rejected) == (2, 1, 1)


def test_a_date_or_evidence_without_status_is_listed_and_the_pillar_may_be_left_empty(tmp_path):
    header = ["Kabupaten/Kota", "Tahun", "Pilar", "Rekomendasi", "Status", "Tanggal", "Bukti"]
    _register(tmp_path / "raw" / "rek.xlsx", [["Kab. Paser", 2023, None, "Perkuat forum smart city", None,
                                               "13/06/2024", "notulen"]], header)
    cleaned = clean_raw_folder(tmp_path / "raw")
    rec = cleaned.recommendations.iloc[0]
    assert pd.isna(rec["pillar_key"]) and rec["themes"] == "smart_city_forum"
    assert sorted(cleaned.rejects["column"]) == ["evidence", "followup_date"]
    assert set(cleaned.rejects["reason"]) == {"no_status"}
    assert "pillar 1" in cleaned.manifest.iloc[0]["values_missing"]


def test_a_followup_year_before_the_recommendation_is_refused_and_the_default_is_the_next_year(tmp_path):
    header = ["Kabupaten/Kota", "Tahun", "Pilar", "Rekomendasi", "Status Tindak Lanjut", "Tahun Tindak Lanjut"]
    _register(tmp_path / "raw" / "rek.xlsx", [["Kab. Paser", 2023, "Semua Pilar", "Dokumentasikan kegiatan",
                                               "proses", 2022],
                                              ["Kab. Paser", 2023, "Masterplan", "Perbarui masterplan", "belum", None]],
              header)
    cleaned = clean_raw_folder(tmp_path / "raw")
    assert cleaned.rejects["reason"].tolist() == ["bad_followup_year"]
    assert cleaned.recommendation_status[["status", "followup_year"]].values.tolist() == [["belum", 2024]]


def test_form_remarks_are_kept_and_a_superseded_answer_takes_its_remark_along(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    header = "Waktu Pengisian;Kabupaten/Kota;Tahun;Tahap;Asesor;Kode Pertanyaan;Pilar;Dimensi;Nilai;Keterangan"
    lines = [header,
             "2024-07-01 10:00:00;Kab. Paser;2024;Tahap I;A;P1;Smart Governance;;3,0;Perlu integrasi SPBE",
             "2024-07-02 10:00:00;Kab. Paser;2024;Tahap I;A;P1;Smart Governance;;3,5;"
             "Perlu integrasi SPBE dan Satu Data",
             "2024-07-01 10:00:00;Kab. Paser;2024;Tahap I;A;D4;;Impact;3,0;Dampak bagi warga belum terukur",
             "2024-07-01 10:00:00;Antah Berantah;2024;Tahap I;A;P2;Smart Branding;;3,0;Promosi wisata"]
    (raw / "form.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    recs = cleaned.recommendations.set_index("recommendation")
    assert sorted(recs.index) == ["Dampak bagi warga belum terukur", "Perlu integrasi SPBE dan Satu Data"]
    assert recs.loc["Dampak bagi warga belum terukur", "dimension_key"] == "impact"
    assert recs.loc["Dampak bagi warga belum terukur", "themes"] == "impact_measurement"
    reasons = cleaned.rejects.groupby("reason")["value"].apply(set).to_dict()
    assert "Perlu integrasi SPBE" in reasons["superseded"]
    assert "Promosi wisata" in reasons["remark_of_rejected_row"]


def test_real_recommendations_set_aside_the_examples_for_the_same_regency_year(tmp_path):
    raw = write_kukar_raw(tmp_path / "raw")
    cleaned = clean_raw_folder([raw, EXAMPLE_RAW_DIR])
    recs = cleaned.recommendations
    kukar_2023 = recs[(recs["regency_id"] == KUKAR) & (recs["year"] == 2023)]
    assert len(kukar_2023) and not kukar_2023["is_simulated"].any()
    assert recs["is_simulated"].any()  # other regencies' simulated recommendations stay, marked
    aside = cleaned.rejects[(cleaned.rejects["reason"] == "set_aside_simulated")
                            & cleaned.rejects["column"].isin(["recommendation", "n_agencies"])]
    assert aside["source_file"].str.startswith("example/").all() and len(aside)
    assert not cleaned.agencies.loc[(cleaned.agencies["regency_id"] == KUKAR)
                                    & (cleaned.agencies["year"] == 2023), "is_simulated"].any()
    # Every simulated statement kept is of a regency-year without real rows.
    real_years = set(zip(recs.loc[~recs["is_simulated"], "regency_id"], recs.loc[~recs["is_simulated"], "year"]))
    simulated = set(zip(recs.loc[recs["is_simulated"], "regency_id"], recs.loc[recs["is_simulated"], "year"]))
    assert not real_years & simulated


def test_agency_counts_that_are_not_whole_numbers_or_disagree_between_files(tmp_path):
    raw = tmp_path / "raw"
    header = ["Kabupaten/Kota", "Tahun", "Pilar", "Jumlah OPD"]
    workbook(raw / "opd.xlsx", {"OPD": [header, ["Kab. Paser", 2023, "Smart Governance", 10],
                                        ["Kab. Paser", 2023, "Smart Branding", "tiga"],
                                        ["Kab. Paser", 2023, "Smart Economy", 2.5]]})
    cleaned = clean_raw_folder(raw)
    assert cleaned.agencies["n_agencies"].tolist() == [10]
    assert sorted(cleaned.rejects["reason"]) == ["bad_count", "not_a_number"]
    workbook(raw / "opd_2.xlsx", {"OPD": [header, ["Kab. Paser", 2023, "Smart Governance", 12]]})
    with pytest.raises(RawConflictError, match="agencies"):
        clean_raw_folder(raw)


def test_the_assessor_layout_with_remarks_stays_one_recommendation_per_pillar_and_text(tmp_path):
    rows = assessor_rows("Kab. Paser", 2023, "A", [3.0] * 11)
    rows[7][4] = "Perlu integrasi SPBE dan Satu Data"
    rows_b = assessor_rows("Kab. Paser", 2023, "B", [3.0] * 11)
    rows_b[7][4] = "perlu integrasi SPBE dan satu data."
    workbook(tmp_path / "raw" / "asesor.xlsx", {"A": rows, "B": rows_b})
    cleaned = clean_raw_folder(tmp_path / "raw")
    rec = cleaned.recommendations
    assert len(rec) == 1 and rec.iloc[0]["assessors"] == "A; B" and rec.iloc[0]["n_statements"] == 2


def test_a_register_without_a_recommendation_column_is_not_read_as_one(tmp_path):
    workbook(tmp_path / "raw" / "x.xlsx", {"X": [["Kabupaten/Kota", "Tahun", "Status Tindak Lanjut"],
                                                 ["Kab. Paser", 2023, 4]]})
    with pytest.raises(RawFileError, match="recommendations register"):
        clean_raw_folder(tmp_path / "raw")


@pytest.mark.parametrize("text, themes", cases(
    accents_and_capitals=("PARTISIPASÍ warga", ["community_participation"]),
    english=("Focus on SPBE and One Data, integrating applications", ["spbe", "one_data"]),
    english_documentation=("Document community participation", ["community_participation", "documentation"]),
    prefix_inside_word=("Pengelolaan persampahan terpadu", ["waste"]),
    parts_in_any_order=("Hasil program belum terukur", ["impact_measurement"]),
    whole_words_only=("Kompetisi desa", []),
    no_theme=("Keluaran sesuai rencana", []),
))
def test_themes_from_the_keyword_vocabulary(text, themes):
    assert match_themes(text) == themes


def test_run_clean_writes_the_recommendation_tables(tmp_path):
    raw = write_kukar_raw(tmp_path / "raw")
    run_clean(raw, tmp_path / "processed")
    for name in ("recommendations", "recommendation_status", "recommendation_followup", "agencies"):
        assert (tmp_path / "processed" / f"{name}.parquet").is_file()
        assert (tmp_path / "processed" / f"{name}.csv").is_file()
