"""Context covariates: the bundled file matches its provenance, and the join handles codes, renames and splits."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from smartcity_utils.analysis import context
from smartcity_utils.errors import ReferenceTableError


def _districts(rows):
    return pd.DataFrame(rows, columns=["bps_code", "district_name", "province_en"])


def test_bundled_file_matches_its_checksum_and_provenance():
    meta = context.provenance()
    assert context.verify_checksum() == meta["sha256"]
    for key in ("repository", "commit", "retrieved", "sha256_of_source_file"):
        assert meta["obtained_from"][key]
    assert meta["licence"].startswith("CC BY 4.0") and "10.5281/zenodo.4428102" in meta["attribution"]


def test_recent_file_matches_its_checksum_and_joins_every_district_across_the_2022_split():
    meta = context.provenance(context.RECENT_PROVENANCE_FILE)
    assert context.verify_checksum(context.RECENT_FILE, context.RECENT_PROVENANCE_FILE) == meta["sha256"]
    assert meta["licence"].startswith("MIT")
    recent = context.load_recent()
    assert recent.attrs["unmatched"] == [] and recent["regency_id"].nunique() == 514
    assert (recent["code_note"] == "").all()
    older = context.load_context().drop_duplicates("regency_id").set_index("regency_id")["bps_code"]
    codes = recent.drop_duplicates("regency_id").set_index("regency")
    merauke = codes.loc["Kabupaten Merauke"]
    assert merauke["bps_code"] == "9501" and older[merauke["regency_id"]] == "9401"  # Papua Selatan since 2022
    assert codes.loc["Kabupaten Kepulauan Tanimbar", "bps_code"] == "8101"  # Maluku Tenggara Barat until 2019


def test_a_changed_file_fails_the_checksum(tmp_path):
    copy = tmp_path / "context.csv"
    shutil.copy(context.CONTEXT_FILE, copy)
    with copy.open("a", encoding="utf-8") as fh:
        fh.write("9999,Nowhere,Papua,2017,1,1,1\n")
    with pytest.raises(ReferenceTableError, match="SHA-256"):
        context.verify_checksum(copy)


def test_every_bundled_district_joins_once():
    ctx = context.load_context()
    assert ctx.attrs["unmatched"] == []
    assert ctx["regency_id"].nunique() == 514 and ctx.groupby(["regency_id", "year"]).size().max() == 1
    notes = ctx.drop_duplicates("regency_id").set_index("regency")["code_note"]
    # The source swaps the codes of Karanganyar and Karangasem: the join follows the names and says so.
    assert "numbered in Bali" in notes["Kabupaten Karanganyar"]
    assert (notes != "").sum() == 2


@pytest.mark.parametrize("code, name, province, expected", [
    pytest.param("1206", "Toba Samosir", "North Sumatera", "Kabupaten Toba", id="renamed_toba_2020"),
    pytest.param("7605", "Mamuju Utara", "West Sulawesi", "Kabupaten Pasangkayu", id="renamed_pasangkayu_2017"),
    pytest.param("6402", "Kutai Barat", "East Kalimantan", "Kabupaten Kutai Barat", id="bps_6402_is_not_kukar"),
    pytest.param("6411", "Mahakam Ulu", "East Kalimantan", "Kabupaten Mahakam Ulu", id="split_from_kutai_barat"),
    pytest.param("6405", "Bulungan", "East Kalimantan", "Kabupaten Bulungan (Bulongan)",
                 id="listed_under_the_province_it_left"),
    pytest.param("6302", "Kota Baru", "South Kalimantan", "Kabupaten Kotabaru", id="kota_word_in_a_regency_name"),
    pytest.param("8171", "Ambon, Kota", "Maluku", "Kota Ambon", id="kind_after_comma"),
    pytest.param("8101", "Maluku Tenggara Barat", "Maluku", "Kabupaten Kepulauan Tanimbar", id="renamed_tanimbar_2019"),
    pytest.param("9501", "Merauke", "Papua Selatan", "Kabupaten Merauke", id="province_created_2022"),
    pytest.param("3171", "Kota Administrasi Jakarta Selatan", "DKI Jakarta", "Kota Adm. Jakarta Selatan",
                 id="administrative_city"),
])
def test_districts_resolve_by_name_kind_and_province(code, name, province, expected):
    matched, unmatched = context.crosswalk(_districts([(code, name, province)]))
    assert unmatched.empty, unmatched.to_dict("records")
    assert matched["regency"].tolist() == [expected]


def test_split_parent_and_child_stay_apart_and_a_moved_district_is_noted():
    matched, _ = context.crosswalk(_districts([("6402", "Kutai Barat", "East Kalimantan"),
                                               ("6411", "Mahakam Ulu", "East Kalimantan"),
                                               ("6405", "Bulungan", "East Kalimantan")]))
    assert matched["regency_id"].nunique() == 3
    note = matched.set_index("regency")["code_note"]["Kabupaten Bulungan (Bulongan)"]
    assert "numbered in Kalimantan Timur" in note and "Kalimantan Utara" in note


def test_a_kemendagri_code_for_a_regency_with_a_known_bps_code_is_noted():
    matched, _ = context.crosswalk(_districts([("6402", "Kutai Kartanegara", "East Kalimantan")]))
    assert "the gazetteer gives BPS 6403" in matched["code_note"].iloc[0]


def test_unknown_and_duplicate_districts_are_listed_not_guessed():
    matched, unmatched = context.crosswalk(_districts([("6403", "Kutai Kartanegara", "East Kalimantan"),
                                                       ("6499", "Kutai Kartanegara", "East Kalimantan"),
                                                       ("6498", "Kutai Tengah", "East Kalimantan")]))
    assert matched["bps_code"].tolist() == ["6403"]
    reasons = dict(zip(unmatched["bps_code"], unmatched["reason"]))
    assert reasons["6499"].startswith("a second district") and reasons["6498"].startswith("unknown_regency")


def test_association_finds_a_known_slope():
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.normal(10, 1, 200)
    units = pd.DataFrame({"index_value": 1 + 0.2 * x + rng.normal(0, 0.1, 200), "log_grdp_per_capita": x,
                          "log_population": rng.normal(12, 1, 200)})
    table = context.association(units, n_boot=200).set_index("term")
    row = table.loc["log_grdp_per_capita"]
    assert row["ci_low"] < 0.2 < row["ci_high"] and row["boot_low"] < 0.2 < row["boot_high"]
    assert abs(table.loc["log_population", "estimate"]) < 0.05 and row["n"] == 200


def test_report_context_line_places_the_regency_in_its_group():
    from smartcity_utils.regencies import resolve_regencies
    from smartcity_utils.report.profile import context_line

    paser, kukar, kotim = resolve_regencies(["Paser", "Kukar", "Kotim"])
    line = context_line(paser, [kukar, kotim], "en")
    latest = context.latest(context.load_context()).set_index("regency_id")
    richer = int((latest.loc[[kukar, kotim], "grdp_per_capita_thousand_idr"]
                  > latest.loc[paser, "grdp_per_capita_thousand_idr"]).sum())
    assert f"{richer + 1} of 3" in line and line.startswith("Context (2017")
    assert "dari 3" in context_line(paser, [kukar, kotim], "id")


def test_the_report_places_the_regency_among_its_evaluation_group_of_that_year():
    from types import SimpleNamespace

    from smartcity_utils.regencies import resolve_regencies
    from smartcity_utils.report.profile import context_for

    paser, kukar, kotim, berau = resolve_regencies(["Paser", "Kukar", "Kotim", "Berau"])
    rows = pd.DataFrame({"regency_id": [paser, kukar, kotim, berau, paser],
                         "year": [2022, 2022, 2022, 2022, 2023],
                         "evaluation_group": ["Angkatan 2021", "Angkatan 2021", "Angkatan 2021", "Nasional", None]})
    ctx = SimpleNamespace(index_ranks=rows)
    line = context_for(ctx, paser, 2022, "en")
    assert line is not None and " of 3 " in line  # Berau is in another group that year
    assert context_for(ctx, paser, 2023, "en") is None  # no group known: no position invented
