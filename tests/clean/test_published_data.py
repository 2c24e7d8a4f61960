"""Real data as it is published: letters, published facts, partial recaps, ranks with their group, names as
regional pages write them. Every input is written by the test, as a user's file would be."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from clean_helpers import assert_rows_accounted, cases, workbook

from smartcity_utils import regencies
from smartcity_utils.analysis.ranks import group_completeness
from smartcity_utils.clean.assemble import REFERENCE_GROUPS, clean_raw_folder
from smartcity_utils.clean.published import metric_key
from smartcity_utils.errors import RawConflictError, RawFileError
from smartcity_utils.reference import DIMENSION_KEYS, PILLAR_KEYS

PUBLISHED_HEADER = "index,year,region,metric,value,rank,rank_of,rank_scope,source_url\n"
KEDIRI_URL = "https://bangsaonline.com/amp/berita/113379/hasil-evaluasi-smart-city-2022-kota-kediri-ke-4-tertinggi-se-jawa-timur"
#: Kota Kediri's 2022 letter as published: five dimensions, six pillars, index 3.31, rank 22 nationally.
KEDIRI_2022 = {"baseline": 3.60, "output": 3.21, "outcome": 3.23, "impact": 3.07, "quick_wins": 3.65,
               "smart_governance": 2.75, "smart_branding": 2.75, "smart_economy": 3.50, "smart_living": 3.33,
               "smart_society": 3.33, "smart_environment": 2.75}


def _published(folder, rows: list[str], name: str = "fakta.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(PUBLISHED_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return folder / name


def _kediri_letter(folder, name: str = "fakta.csv"):
    rows = [f"GMSC_eval,2022,Kota Kediri,{metric},{value:.2f},,,,{KEDIRI_URL}" for metric, value in KEDIRI_2022.items()]
    rows.insert(5, f"GMSC_eval,2022,Kota Kediri,indeks_smart_city,3.31,22,,nasional,{KEDIRI_URL}")
    rows.append("SPBE,2022,Kota Kediri,indeks_spbe,3.10,,,,https://example.org/spbe")
    return _published(folder, rows, name)


def test_a_published_letter_is_data_of_its_regency_year(tmp_path):
    _kediri_letter(tmp_path / "raw")
    cleaned = clean_raw_folder(tmp_path / "raw")
    row = cleaned.regency_year.set_index(["regency", "year"]).loc[("Kota Kediri", 2022)]
    assert {k: row[k] for k in KEDIRI_2022} == pytest.approx(KEDIRI_2022)
    assert (row["final_score_reported"], row["rank_reported"], row["rank_scope"]) == (3.31, 22, "nasional")
    assert pd.isna(row["rank_of"]) and pd.isna(row["group_size"])  # a rank "22" without its group's size
    assert (row["source_layout"], row["source_url"], bool(row["is_simulated"])) == ("published", KEDIRI_URL, False)
    # Every fact stays in the side table, the SPBE index too; only the evaluation's own feed the regency-year.
    assert len(cleaned.published_facts) == 13 and len(cleaned.regency_year) == 1
    assert set(cleaned.scores["layout"]) == {"published"} and len(cleaned.scores) == 11
    assert_rows_accounted(cleaned, {"fakta.csv": 13})


@pytest.mark.parametrize("metric, key", cases(
    pillar_key=("smart_governance", "smart_governance"), pillar_alias=("Smart Government", "smart_governance"),
    dimension=("quick_wins", "quick_wins"), dimension_indonesian=("Dampak", "impact"),
    index=("indeks_smart_city", "final_score_reported"), index_words=("Nilai Akhir", "final_score_reported"),
    derived=("improvement", None), other_index=("indeks_spbe", None),
))
def test_metric_names_of_published_facts(metric, key):
    assert metric_key(metric) == key


def test_a_published_rank_within_the_province_is_kept_apart_from_the_national_one(tmp_path):
    _published(tmp_path / "raw", [
        "GMSC_eval,2022,Kota Kediri,indeks_smart_city,3.31,22,,nasional,https://a.example/x",
        "GMSC_eval,2022,Kota Kediri,indeks_smart_city,3.31,4,38,provinsi Jawa Timur,https://a.example/x"])
    row = clean_raw_folder(tmp_path / "raw").regency_year.iloc[0]
    assert (row["rank_reported"], row["rank_province_reported"], row["rank_province_of"]) == (22, 4, 38)


def test_a_published_figure_of_an_unknown_regency_is_rejected_with_the_nearest_name(tmp_path):
    _published(tmp_path / "raw", ["GMSC_eval,2022,Kota Kediiri,indeks_smart_city,3.31,,,,https://a.example/x",
                                  "IMD_SCI,2024,Jakarta,rank,,103,142,global,https://b.example/y"])
    cleaned = clean_raw_folder(tmp_path / "raw")
    reject = cleaned.rejects.set_index("source_row").loc[2]
    assert reject["reason"] == "unknown_regency" and "Kota Kediri" in reject["suggestion"]
    assert cleaned.regency_year.empty and len(cleaned.published_facts) == 1  # the world city stays, unmatched


def test_a_letter_and_a_recap_that_disagree_stop_naming_both_files(tmp_path):
    raw = tmp_path / "raw"
    _published(raw, ["GMSC_eval,2022,Kabupaten Paser,indeks_smart_city,2.88,8,37,nasional,https://a.example/x"])
    workbook(raw / "rekap_2022.xlsx", {"Rekap": [["REKAP TAHUN 2022"], ["Kabupaten/Kota", "Nilai Akhir"],
                                                 ["Paser", 2.86]]})
    with pytest.raises(RawConflictError) as err:
        clean_raw_folder(raw)
    assert "fakta.csv" in str(err.value) and "rekap_2022.xlsx" in str(err.value) and "2.86" in str(err.value)
    # The same figure twice is kept once, the repeat listed.
    workbook(raw / "rekap_2022.xlsx", {"Rekap": [["REKAP TAHUN 2022"], ["Kabupaten/Kota", "Nilai Akhir"],
                                                 ["Paser", 2.88]]})
    cleaned = clean_raw_folder(raw)
    assert cleaned.regency_year.iloc[0]["final_score_reported"] == 2.88
    assert (cleaned.rejects["reason"] == "duplicate_value").sum() == 1
    assert cleaned.regency_year.iloc[0]["source_files"] == "fakta.csv; rekap_2022.xlsx"


# --------------------------------------------------------------------------- partial recaps


def _provincial_recap(path):
    """A provincial table as regional pages publish it: a name and a final score, two rows left empty."""
    return workbook(path, {"Kaltim": [
        ["REKAPITULASI NILAI AKHIR EVALUASI SMART CITY"], ["PROVINSI KALIMANTAN TIMUR TAHUN 2023"], [],
        ["No", "Kabupaten/Kota", "Provinsi", "Nilai Akhir", "Keterangan"],
        [1, "Kutai Kartanegara", "Kalimantan Timur", "3,25", "naik"],
        [2, "Kab. Paser", "Kalimantan Timur", 3.1, None],
        [3, "Kabupaten Berau", "Kalimantan Timur", None, "belum dinilai"],
        [4, "Kota Balikpapan", "Kalimantan Timur", 3.4, None],
        [5, "Kabupaten Kutai Barat", "Kalimantan Timur", "-", None],
        ["Sumber: Diskominfo Provinsi Kalimantan Timur"]]})


def test_a_provincial_recap_of_names_and_final_scores_is_a_recap(tmp_path):
    _provincial_recap(tmp_path / "raw" / "rekap_kaltim_2023.xlsx")
    cleaned = clean_raw_folder(tmp_path / "raw")
    ry = cleaned.regency_year.set_index("regency")
    assert ry["final_score_reported"].to_dict() == {"Kabupaten Kutai Kartanegara": 3.25, "Kabupaten Paser": 3.1,
                                                    "Kota Balikpapan": 3.4}
    assert (ry["year"] == 2023).all() and ry[list(PILLAR_KEYS) + list(DIMENSION_KEYS)].isna().all().all()
    # A row that names a regency and gives nothing is rejected once, not once per empty cell.
    rejects = cleaned.rejects
    assert rejects.loc[rejects["reason"] == "no_values", "source_row"].tolist() == [7, 9]
    assert not (rejects["reason"] == "missing").any()
    assert set(rejects["reason"]) == {"no_values", "footnote_row"}
    assert_rows_accounted(cleaned, {"rekap_kaltim_2023.xlsx": 6})


def test_empty_cells_of_kept_rows_are_counted_once_per_file_and_column(tmp_path):
    header = ["Kabupaten/Kota", "Smart Governance", "Smart Branding", "Nilai Akhir"]
    workbook(tmp_path / "raw" / "rekap_2023.xlsx", {"R": [["TAHUN 2023"], header, ["Paser", 3.0, None, 3.1],
                                                          ["Kukar", None, "-", 3.2], ["Kotim", 2.9, "n/a", 3.0]]})
    cleaned = clean_raw_folder(tmp_path / "raw")
    assert cleaned.rejects.empty
    assert cleaned.manifest.iloc[0]["values_missing"] == "smart_branding 3; smart_governance 1"
    # An unreadable value is still a reject.
    workbook(tmp_path / "raw" / "rekap_2023.xlsx", {"R": [["TAHUN 2023"], header, ["Paser", 3.0, "tiga", 3.1]]})
    assert clean_raw_folder(tmp_path / "raw").rejects["reason"].tolist() == ["not_a_number"]


def test_a_recap_of_dimensions_final_score_and_rank_without_pillars(tmp_path):
    workbook(tmp_path / "raw" / "surat_2022.xlsx", {"Surat": [
        ["HASIL EVALUASI SMART CITY TAHUN 2022"],
        ["Kabupaten/Kota", "Baseline", "Output", "Outcome", "Impact", "Quick Win", "Nilai Akhir", "Peringkat"],
        ["Kabupaten Paser", 3.0, 2.9, 2.85, 2.8, 3.0, 2.88, "8 dari 37"],
        ["Kabupaten Tabalong", 3.1, 3.0, 3.2, 3.0, 3.1, 3.12, "ke-3"],
        ["Kota Banjarmasin", 3.0, 3.0, 3.0, 3.1, 3.0, 3.06, "40/37"]]})
    cleaned = clean_raw_folder(tmp_path / "raw")
    ry = cleaned.regency_year.set_index("regency")
    assert (ry.loc["Kabupaten Paser", "rank_reported"], ry.loc["Kabupaten Paser", "rank_of"]) == (8, 37)
    assert ry.loc["Kabupaten Tabalong", "rank_reported"] == 3 and pd.isna(ry.loc["Kabupaten Tabalong", "rank_of"])
    assert pd.isna(ry.loc["Kota Banjarmasin", "rank_reported"])  # "40/37": a rank beyond its group's size
    bad = cleaned.rejects.set_index("source_row").loc[5]
    assert (bad["column"], bad["reason"], bad["value"]) == ("rank", "bad_rank", "40/37")
    assert ry[list(PILLAR_KEYS)].isna().all().all() and ry["baseline"].notna().all()


@pytest.mark.parametrize("header", cases(
    nilai_akhir=(["Kabupaten/Kota", "Nilai Akhir"],), indeks=(["Kab/Kota", "Indeks Smart City"],),
    nilai_indeks=(["Nama Daerah", "Nilai Indeks"],), nilai_final=(["Kabupaten/Kota", "Nilai Final"],),
))
def test_a_regency_and_a_smart_city_index_make_a_recap(tmp_path, header):
    workbook(tmp_path / "raw" / "r.xlsx", {"S": [["TAHUN 2023"], header, ["Kabupaten Paser", 3.1]]})
    assert clean_raw_folder(tmp_path / "raw").regency_year.iloc[0]["final_score_reported"] == 3.1


def test_a_generic_total_and_ranking_still_stop_the_run(tmp_path):
    workbook(tmp_path / "raw" / "anggaran.xlsx", {"S": [["Nama Daerah", "Tahun", "Skor Total", "Ranking"],
                                                        ["Kabupaten Paser", 2024, 3.1, 1]]})
    with pytest.raises(RawFileError, match="no pillar, dimension or smart city index column"):
        clean_raw_folder(tmp_path / "raw")


# --------------------------------------------------------------------------- groups


def _recap_rows(year: int, group: str, scores: list[tuple[str, float]], size: int | None = None):
    header = ["Kabupaten/Kota", "Kelompok", "Nilai Akhir"] + (["Jumlah Peserta"] if size else [])
    return [[f"TAHUN {year}"], header] + [[n, group, s] + ([size] if size else []) for n, s in scores]


THREE = [("Kabupaten Paser", 3.1), ("Kabupaten Berau", 3.0), ("Kota Balikpapan", 3.3)]


def test_a_group_size_from_a_register_makes_the_group_whole_or_not(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "rekap.xlsx", {"S": _recap_rows(2023, "Kaltim", THREE)})
    (raw / "kelompok.csv").write_text("Tahun,Kelompok,Jumlah Peserta,Lingkup Peringkat,Sumber\n"
                                      "2023,Kaltim,3,provinsi,surat gubernur\n2023,Kaltara,5,provinsi,\n",
                                      encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    assert (cleaned.regency_year["group_size"] == 3).all()
    groups = cleaned.evaluation_groups.set_index(["year", "evaluation_group"])
    assert groups.loc[(2023, "Kaltim"), "n_members"] == 3 and groups.loc[(2024, "Angkatan 2023 (surat B-1477)"),
                                                                        "source_file"] == REFERENCE_GROUPS
    # Two real sources giving one group two sizes stop the run.
    (raw / "kelompok2.csv").write_text("Tahun,Kelompok,Jumlah Peserta\n2023,Kaltim,4\n", encoding="utf-8")
    with pytest.raises(RawConflictError, match="Kaltim 2023"):
        clean_raw_folder(raw)


def test_a_real_letter_of_a_documented_group_takes_its_name_and_size(tmp_path):
    _published(tmp_path / "raw", [
        "GMSC_eval,2024,Kabupaten Kutai Kartanegara,indeks_smart_city,3.45,12,,,https://a.example/x",
        "GMSC_eval,2024,Kabupaten Kotawaringin Timur,indeks_smart_city,3.10,,,,https://a.example/x",
        "GMSC_eval,2023,Kabupaten Paser,indeks_smart_city,3.10,,,,https://a.example/x"])
    ry = clean_raw_folder(tmp_path / "raw").regency_year.set_index(["regency", "year"])
    kukar = ry.loc[("Kabupaten Kutai Kartanegara", 2024)]  # cohort 2017: the 2024 letter of the 2017-2022 cohorts
    assert (kukar["evaluation_group"], kukar["group_size"], kukar["rank_of"]) == (
        "Angkatan 2017-2022 (surat B-1478)", 191, 191)
    assert ry.loc[("Kabupaten Kotawaringin Timur", 2024), "evaluation_group"] == "Angkatan 2017-2022 (surat B-1478)"
    # No documented 2023 group holds the 2021 cohort: the group is unknown (no default is assumed), size unknown.
    paser = ry.loc[("Kabupaten Paser", 2023)]
    assert pd.isna(paser["evaluation_group"]) and pd.isna(paser["group_size"])


def test_a_letter_without_a_group_keeps_its_own_size_and_never_lends_it(tmp_path):
    """Two letters naming no group: each keeps the size its own letter gives, none takes the other's, and no
    group is assumed for them, so no rank is computed among them."""
    _published(tmp_path / "raw", [
        "GMSC_eval,2023,Kabupaten Berau,indeks_smart_city,3.10,8,50,,https://a.example/x",
        "GMSC_eval,2023,Kota Balikpapan,indeks_smart_city,3.30,5,,,https://a.example/x",
        "GMSC_eval,2023,Kabupaten Paser,indeks_smart_city,2.90,,,,https://a.example/x"])
    cleaned = clean_raw_folder(tmp_path / "raw")
    ry = cleaned.regency_year.set_index("regency")
    assert ry["evaluation_group"].isna().all()
    assert ry.loc["Kabupaten Berau", "group_size"] == 50 and ry.loc["Kabupaten Berau", "rank_of"] == 50
    assert pd.isna(ry.loc["Kota Balikpapan", "group_size"]) and pd.isna(ry.loc["Kota Balikpapan", "rank_of"])
    assert pd.isna(ry.loc["Kabupaten Paser", "group_size"])
    whole = group_completeness(cleaned.regency_year.assign(score=cleaned.regency_year["final_score_reported"]),
                               "score")
    assert not whole["group_complete"].any()


def test_a_register_with_cohorts_places_a_letter_without_a_group(tmp_path):
    """A register's Angkatan column says which cohorts a group ranked: a letter naming no group joins the one
    group of its year that holds its cohort; a real letter keeps its rank without a simulated group's size."""
    raw = tmp_path / "raw"
    _published(raw, ["GMSC_eval,2022,Kabupaten Paser,indeks_smart_city,2.88,8,,,https://a.example/x",
                     "GMSC_eval,2022,Kabupaten Berau,indeks_smart_city,3.00,3,,,https://a.example/x"])
    (raw / "kelompok.csv").write_text("Tahun,Kelompok,Jumlah Peserta,Angkatan,Lingkup Peringkat,Sumber,Simulasi\n"
                                      "2022,Angkatan 2021,37,2021,angkatan,surat,tidak\n"
                                      "2022,Angkatan 2017-2019,100,2017-2019,angkatan,simulasi,ya\n"
                                      "2022,Lain,5,2017 sampai 2019,angkatan,,tidak\n", encoding="utf-8")
    (raw / "angkatan.csv").write_text("Kabupaten/Kota,Provinsi,Angkatan,Sumber\n"
                                      "Kabupaten Berau,Kalimantan Timur,2018,surat\n", encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    ry = cleaned.regency_year.set_index("regency")
    paser, berau = ry.loc["Kabupaten Paser"], ry.loc["Kabupaten Berau"]
    assert (paser["evaluation_group"], paser["group_size"], paser["rank_of"]) == ("Angkatan 2021", 37, 37)
    assert (berau["evaluation_group"], berau["group_size"]) == ("Angkatan 2017-2019", 100)
    assert pd.isna(berau["rank_of"])  # a real rank never takes the size of a simulated group
    bad = cleaned.rejects[cleaned.rejects["reason"] == "bad_cohorts"]
    assert bad["value"].tolist() == ["2017 sampai 2019"]


# --------------------------------------------------------------------------- names as regional pages write them


@pytest.mark.parametrize("raw, expected", cases(
    space_inside=("Labuhan Batu", "Kabupaten Labuhanbatu"),
    space_inside_with_suffix=("Labuhan Batu Utara", "Kabupaten Labuhanbatu Utara"),
    no_space=("Tulangbawang", "Kabupaten Tulang Bawang"),
    no_space_barat=("Kab. Tulangbawang Barat", "Kabupaten Tulang Bawang Barat"),
    mukomuko=("Mukomuko", "Kabupaten Muko Muko"),
    hyphen=("Tojo Unauna", "Kabupaten Tojo Una-Una"),
    dan=("Pangkajene dan Kepulauan", "Kabupaten Pangkajene Kepulauan"),
    renamed_2020=("Toba", "Kabupaten Toba"),
    former_name=("Kabupaten Toba Samosir", "Kabupaten Toba"),
    renamed_2017=("Pasangkayu", "Kabupaten Pasangkayu"),
    former_name_2017=("Mamuju Utara", "Kabupaten Pasangkayu"),
    name_in_brackets=("Kepulauan Selayar", "Kabupaten Selayar (Kepulauan Selayar)"),
    short_in_brackets=("Sitaro", "Kabupaten Kepulauan Siau Tagulandang Biaro (Sitaro)"),
    administrative=("Kepulauan Seribu", "Kabupaten Adm. Kepulauan Seribu"),
    kota_no_space=("Kota Tanjungpinang", "Kota Tanjung Pinang"),
))
def test_names_as_regional_pages_write_them(raw, expected):
    resolver = regencies.regency_resolver()
    resolution = resolver.resolve(raw)
    assert resolution.regency_id is not None and resolver.name(resolution.regency_id) == expected


def test_a_bare_name_shared_by_a_kabupaten_and_a_kota_still_needs_the_kind():
    resolution = regencies.regency_resolver().resolve("Kediri")
    assert (resolution.regency_id, resolution.reason) == (None, "ambiguous_regency")


def test_writing_names_either_way_makes_no_two_of_the_514_alike():
    """Spaces, hyphens and "dan" dropped: no two regencies share a key that did not share one before."""
    table = regencies.gazetteer()
    resolver = regencies.regency_resolver()
    for a, b in itertools.combinations(zip(table["regency_id"], table["regency"]), 2):
        key_a, key_b = regencies._name_key(a[1]), regencies._name_key(b[1])
        if key_a != key_b:
            assert regencies._compact_key(key_a) != regencies._compact_key(key_b), (a, b)
    # Every canonical name and its compact spelling resolve to the regency itself.
    for rid, name in zip(table["regency_id"], table["regency"]):
        compact = regencies._compact_key(regencies._name_key(name))
        assert resolver.resolve(name).regency_id == rid
        assert resolver.resolve(compact).regency_id == rid, compact


def test_renames_carry_their_year_and_source():
    renames = regencies.renamed_regencies()
    toba = renames.set_index("name").loc["Kabupaten Toba"]
    assert (toba["former_name"], toba["year"]) == ("Kabupaten Toba Samosir", 2020)
    assert renames["source_url"].str.startswith("http").all()
    assert set(renames["name"]) <= set(regencies.gazetteer()["regency"])
