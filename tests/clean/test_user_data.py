"""A user's own files: kept apart from the example, never averaged with simulated rows, precedence by rule."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from clean_helpers import PILLARS, assert_rows_accounted, assessor_rows, recap_rows, workbook

from smartcity_utils import commands, paths
from smartcity_utils import reference as ref
from smartcity_utils.clean.assemble import clean_raw_folder
from smartcity_utils.clean.template import INSTRUCTIONS, write_template
from smartcity_utils.errors import RawConflictError, RawFileError, UserError
from smartcity_utils.regencies import regency_resolver, resolve_regencies

VALUE_KEYS = list(ref.PILLAR_KEYS) + list(ref.DIMENSION_KEYS)

#: The user's three real assessors for Kota Balikpapan 2024 (pillars then dimensions).
BALIKPAPAN = {"Asesor Satu (BRIN)": [3.0] * 11, "Asesor Dua (UKSW)": [3.5] * 11, "Asesor Tiga (Bappenas)": [2.5] * 11}


def _balikpapan_template(folder, pillar_typo: bool = False):
    """The `smartcity template` workbook (four sheets) filled for three real assessors; the fourth left empty."""
    path = write_template(folder / "penilaian_balikpapan_2024.xlsx", n_assessors=4)
    wb = openpyxl.load_workbook(path)
    for k, (name, scores) in enumerate(BALIKPAPAN.items(), 1):
        ws = wb[f"Asesor {k}"]
        ws["B2"], ws["B3"], ws["B4"], ws["B5"] = "Kota Balikpapan", 2024, "Tahap I", name
        for r, score in enumerate(scores, 8):
            ws.cell(r, 4, score)
            assert ws.cell(r, 6).value == "tidak"  # the template's default: real scores
        if pillar_typo and k == 1:
            ws["B9"] = "Smart Brandng"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def balikpapan_with_example(tmp_path_factory):
    user = tmp_path_factory.mktemp("user")
    _balikpapan_template(user)
    return clean_raw_folder(paths.raw_folders(user, with_example=True))


def test_balikpapan_round_trip_with_example(balikpapan_with_example):
    cleaned = balikpapan_with_example
    row = cleaned.regency_year.query("regency == 'Kota Balikpapan' and year == 2024").iloc[0]
    assert row[VALUE_KEYS].tolist() == [3.0] * 11  # mean of 3.0, 3.5 and 2.5: the user's own three
    assert (row["is_simulated"], row["n_assessors_real"], row["n_assessors_simulated"]) == (False, 3, 0)
    assert (row["n_assessors"], row["source_layout"]) == (3, "assessor")
    aside = cleaned.rejects.query("reason == 'set_aside_simulated'")
    # The user's Balikpapan 2024 sets aside the example's simulated form answers for it; the example's
    # own published figures set aside its simulated rows of those regency-years.
    mine = aside[aside["suggestion"].str.contains("Kota Balikpapan 2024")]
    assert set(mine.source_file) == {"example/formulir/ekspor_formulir_2024.csv"}
    assert row["n_values_set_aside"] == len(mine) > 0
    assert (aside.drop(mine.index)["suggestion"].str.contains(r"\(example/published_facts.csv\)")).all()
    used = cleaned.scores.query("regency == 'Kota Balikpapan' and year == 2024")
    assert not used["is_simulated"].any() and set(used.assessor) == set(BALIKPAPAN)
    # The rest of the example is still there, simulated, and its files say which folder they came from.
    others = cleaned.regency_year.query("regency != 'Kota Balikpapan' or year != 2024")
    assert len(others) > 500 and (others["is_simulated"] == (others["source_layout"] != "published")).all()
    folders = cleaned.manifest.set_index("source_file")["raw_folder"]
    assert folders["example/formulir/ekspor_formulir_2024.csv"] == str(paths.EXAMPLE_RAW_DIR)
    assert folders.filter(like="penilaian_balikpapan").index.tolist() == ["user0/penilaian_balikpapan_2024.xlsx"]
    skipped = cleaned.manifest.set_index("source_file").loc["user0/penilaian_balikpapan_2024.xlsx", "sheets_skipped"]
    assert "Asesor 4 (blank" in skipped and "Petunjuk Pengisian (instructions" in skipped


def test_balikpapan_round_trip_without_example(tmp_path, monkeypatch):
    # No example files at all: the gazetteer and the reference tables come from the package.
    monkeypatch.setattr(paths, "EXAMPLE_DIR", tmp_path / "no_example")
    monkeypatch.setattr(paths, "EXAMPLE_RAW_DIR", tmp_path / "no_example" / "raw")
    user = tmp_path / "raw"
    _balikpapan_template(user)
    cleaned = clean_raw_folder(paths.raw_folders(user))
    assert cleaned.rejects.empty
    ry = cleaned.regency_year
    assert len(ry) == 1 and ry.iloc[0][VALUE_KEYS].tolist() == [3.0] * 11
    assert (ry.iloc[0]["is_simulated"], ry.iloc[0]["n_assessors_real"]) == (False, 3)
    assert_rows_accounted(cleaned, {"penilaian_balikpapan_2024.xlsx": 33})


def test_pillar_typo_is_not_filled_from_simulated_answers(tmp_path):
    user = tmp_path / "raw"
    _balikpapan_template(user, pillar_typo=True)
    cleaned = clean_raw_folder([user, paths.EXAMPLE_RAW_DIR])
    row = cleaned.regency_year.query("regency == 'Kota Balikpapan' and year == 2024").iloc[0]
    # Branding now has two real scores (3.5, 2.5): their mean, never a simulated one.
    assert row["smart_branding"] == pytest.approx(3.0) and row["n_rows_rejected"] == 1
    typo = cleaned.rejects.query("reason == 'unknown_pillar'")
    assert typo[["value", "source_sheet"]].values.tolist() == [["Smart Brandng", "Asesor 1"]]
    assert "Smart Branding" in typo["suggestion"].iloc[0]


def test_clean_command_names_folders_and_files_with_rejects(tmp_path, capsys):
    user = tmp_path / "mine"
    _balikpapan_template(user, pillar_typo=True)
    assert commands.clean(str(user), tmp_path / "out", progress=False, with_example=True) == 0
    printed = capsys.readouterr().out
    assert f"reading {user}: your files" in printed
    assert f"reading {paths.EXAMPLE_RAW_DIR}: the bundled simulated example" in printed
    line = next(s for s in printed.splitlines() if "mine/penilaian_balikpapan_2024.xlsx" in s)
    assert "1 of 33 rows rejected (unknown_pillar 1)" in line and "sheets skipped: Asesor 4" in line
    assert "example/formulir/ekspor_formulir_2024.csv: " in printed and "set_aside_simulated" in printed


@pytest.mark.parametrize("kwargs, expected", [
    pytest.param({"example": True}, ["example"], id="example_only"),
    pytest.param({"raw": "X"}, ["X"], id="any_folder"),
    pytest.param({"raw": "X", "with_example": True}, ["X", "example"], id="folder_plus_example"),
])
def test_raw_folder_switches(kwargs, expected):
    got = paths.raw_folders(**kwargs)
    assert [("example" if p == paths.EXAMPLE_RAW_DIR else str(p)) for p in got] == expected


def test_example_recognised_by_a_relative_path(tmp_path, monkeypatch):
    from smartcity_utils.clean.assemble import _folder_labels

    monkeypatch.chdir(paths.EXAMPLE_DIR)
    assert paths.is_example("raw") and paths.is_example(paths.EXAMPLE_RAW_DIR)
    assert not paths.is_example(tmp_path)
    assert paths.raw_folders("raw", with_example=True) == [paths.EXAMPLE_RAW_DIR]
    assert paths.describe_raw_folder("raw") == "the bundled simulated example"
    assert _folder_labels([tmp_path / "mine", Path("raw")]) == ["mine/", "example/"]


def test_example_switch_refuses_a_folder_too():
    with pytest.raises(UserError, match="--example reads the bundled example only"):
        paths.raw_folders("X", example=True)


def test_default_folder_is_the_example_until_data_raw_holds_a_data_file(tmp_path, monkeypatch, capsys):
    own = tmp_path / "raw"
    own.mkdir()
    (own / "README.md").write_text("origin of the files\n", encoding="utf-8")
    monkeypatch.setattr(paths, "RAW_DIR", own)
    assert paths.raw_folders() == [paths.EXAMPLE_RAW_DIR]  # a fresh clone: the README's command runs the example
    _balikpapan_template(own)
    assert paths.raw_folders() == [own]  # the user's files only, never mixed with the example
    assert commands.clean(None, tmp_path / "out", progress=False) == 0
    printed = capsys.readouterr().out
    assert f"reading {own}: your files" in printed and str(paths.EXAMPLE_RAW_DIR) not in printed
    assert len(pd.read_csv(tmp_path / "out" / "regency_year.csv")) == 1


QUICK_WIN_HEADER = ["Kabupaten/Kota", "Tahun", "Pilar", "Nama Program", "Nilai Output", "Nilai Outcome",
                    "Nilai Dampak", "Nilai Keberlanjutan", "Simulasi"]


def test_real_quick_wins_set_aside_simulated_ones(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "a_quick_win_simulasi.xlsx", {"QW": [QUICK_WIN_HEADER,
             ["Kab. Paser", 2022, "Smart Governance", "Program Simulasi", 2.0, 2.0, 2.0, 2.0, "ya"],
             ["Kab. Paser", 2023, "Smart Governance", "Program Simulasi 2023", 2.0, 2.0, 2.0, 2.0, "ya"]]})
    workbook(raw / "z_quick_win.xlsx", {"QW": [QUICK_WIN_HEADER[:-1],
             ["Kab. Paser", 2022, "Smart Governance", "Program Nyata", 3.5, 3.0, 3.0, 3.0]]})
    cleaned = clean_raw_folder(raw)
    qw = cleaned.quick_wins.sort_values("year")
    assert qw[["year", "programme_name", "is_simulated"]].values.tolist() == [
        [2022, "Program Nyata", False], [2023, "Program Simulasi 2023", True]]  # 2023 has no real programme
    aside = cleaned.rejects.query("reason == 'set_aside_simulated'")
    assert aside[["source_file", "source_row", "value"]].values.tolist() == [
        ["a_quick_win_simulasi.xlsx", 2, "Program Simulasi"]]
    assert "z_quick_win.xlsx" in aside["suggestion"].iloc[0]
    assert_rows_accounted(cleaned, {"a_quick_win_simulasi.xlsx": 2, "z_quick_win.xlsx": 1})


@pytest.mark.parametrize("simulated_name, real_name", [
    pytest.param("a_angkatan_simulasi.csv", "z_angkatan.csv", id="simulated_sorts_first"),
    pytest.param("z_angkatan_simulasi.csv", "a_angkatan.csv", id="real_sorts_first"),
])
def test_real_cohort_register_wins_over_a_simulated_one(tmp_path, simulated_name, real_name):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / simulated_name).write_text("Kabupaten/Kota,Angkatan,Simulasi\nKota Balikpapan,2019,ya\n", encoding="utf-8")
    (raw / real_name).write_text("Kabupaten/Kota,Angkatan,Sumber\nKota Balikpapan,2022,surat Kominfo\n",
                                 encoding="utf-8")
    cleaned = clean_raw_folder(raw)
    balikpapan = cleaned.regencies.set_index("regency").loc["Kota Balikpapan"]
    assert (balikpapan["cohort_year"], balikpapan["cohort_is_simulated"]) == (2022, False)
    conflict = cleaned.rejects.query("reason == 'cohort_conflict'")
    assert conflict[["source_file", "value"]].values.tolist() == [[simulated_name, "2019"]]
    assert "the cohort kept is 2022 (surat Kominfo)" in conflict["suggestion"].iloc[0]


# --------------------------------------------------------------------------- precedence between files


P6 = [3.0, 2.5, 3.5, 3.0, 3.25, 2.75]


@pytest.mark.parametrize("original, revision", [
    pytest.param("rekap_2022.xlsx", "rekap_2022_revisi.xlsx", id="revision_sorts_after"),
    pytest.param("z_rekap_2022.xlsx", "a_rekap_2022_revisi.xlsx", id="revision_sorts_before"),
])
def test_revision_wins_whatever_the_file_names(tmp_path, original, revision):
    raw = tmp_path / "raw"
    workbook(raw / original, {"Rekap": recap_rows(2022, [["Kab. Paser", "Kalimantan Timur", *P6, 2.88, 8]])})
    # The revision corrects Governance, leaves Branding empty (it must not blank it) and repeats the rest.
    fixed = ["3,5", None, *P6[2:]]
    workbook(raw / revision, {"Rekap": recap_rows(2022, [["Kab. Paser", "Kalimantan Timur", *fixed, 2.88, 8]])})
    cleaned = clean_raw_folder(raw)
    row = cleaned.regency_year.iloc[0]
    assert row[list(ref.PILLAR_KEYS)].tolist() == [3.5, 2.5, 3.5, 3.0, 3.25, 2.75]
    lost = cleaned.rejects.query("reason == 'superseded_by_revision'")
    assert lost[["source_file", "column", "value"]].values.tolist() == [[original, "smart_governance", "3.0"]]
    assert f"the revision {revision}, sheet 'Rekap' row 3 gives 3.5 and wins" in lost["suggestion"].iloc[0]
    assert cleaned.manifest.set_index("source_file")["is_revision"].to_dict() == {original: False, revision: True}
    # Each value once in scores: no panel value counted twice.
    assert not cleaned.scores.duplicated(["regency_id", "year", "pillar_key", "dimension_key"]).any()
    assert_rows_accounted(cleaned, {original: 1, revision: 1})


def test_two_files_disagreeing_without_a_revision_stop_the_run(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "rekap_a.xlsx", {"Rekap": recap_rows(2022, [["Kab. Paser", "", *P6, 2.88, 8]])})
    workbook(raw / "rekap_b.xlsx", {"Rekap": recap_rows(2022, [["Kab. Paser", "", 3.25, *P6[1:], 2.88, 8]])})
    with pytest.raises(RawConflictError) as err:
        clean_raw_folder(raw)
    message = str(err.value)
    assert "\n" not in message
    assert "Kabupaten Paser 2022 smart_governance: rekap_a.xlsx, sheet 'Rekap' row 3 gives 3.0, " \
           "rekap_b.xlsx, sheet 'Rekap' row 3 gives 3.25" in message
    assert "'revisi'" in message


def test_one_file_never_blanks_another(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "rekap_pilar.xlsx", {"Rekap": recap_rows(2022, [["Kab. Paser", "", *P6, None, None]])})
    workbook(raw / "rekap_nilai_akhir.xlsx", {"Rekap": recap_rows(2022, [["Kab. Paser", "", *[None] * 6, 2.88, 8]])})
    row = clean_raw_folder(raw).regency_year.iloc[0]
    assert row[list(ref.PILLAR_KEYS)].tolist() == P6
    assert (row["final_score_reported"], row["rank_reported"]) == (2.88, 8)


GROUP_HEADER = ["Kabupaten/Kota", "Provinsi", *PILLARS, "Nilai Akhir", "Peringkat", "Kelompok"]


def _recap_with_group(path, group):
    """A recap of Kab. Paser 2022; ``group`` None writes no Kelompok column at all."""
    row = ["Kab. Paser", "", *P6, 2.88, 8]
    if group is None:
        return workbook(path, {"Rekap": recap_rows(2022, [row])})
    return workbook(path, {"Rekap": recap_rows(2022, [row + [group]], header=GROUP_HEADER)})


@pytest.mark.parametrize("first, second", [
    pytest.param(None, "Kota Besar", id="group_in_second_file"),
    pytest.param("Kota Besar", None, id="group_in_first_file"),
])
def test_evaluation_group_taken_from_the_file_that_gives_it(tmp_path, first, second):
    raw = tmp_path / "raw"
    _recap_with_group(raw / "a.xlsx", first)
    _recap_with_group(raw / "b.xlsx", second)
    assert clean_raw_folder(raw).regency_year.iloc[0]["evaluation_group"] == "Kota Besar"


@pytest.mark.parametrize("first, second", [
    pytest.param("Kota Besar", "Kota Sedang", id="in_name_order"),
    pytest.param("Kota Sedang", "Kota Besar", id="swapped"),
])
def test_two_files_with_different_groups_stop_the_run(tmp_path, first, second):
    raw = tmp_path / "raw"
    _recap_with_group(raw / "a.xlsx", first)
    _recap_with_group(raw / "b.xlsx", second)
    with pytest.raises(RawConflictError) as err:
        clean_raw_folder(raw)
    assert f"Kabupaten Paser 2022 evaluation_group: a.xlsx, sheet 'Rekap' row 3 gives {first}, " \
           f"b.xlsx, sheet 'Rekap' row 3 gives {second}" in str(err.value)


def test_two_files_with_different_cohorts_stop_the_run(tmp_path):
    raw = tmp_path / "raw"
    header = ["Kabupaten/Kota", "Provinsi", *PILLARS, "Nilai Akhir", "Peringkat", "Angkatan"]
    for name, cohort in (("a.xlsx", 2021), ("b.xlsx", 2020)):
        workbook(raw / name, {"Rekap": recap_rows(2022, [["Kab. Paser", "", *P6, 2.88, 8, cohort]], header=header)})
    with pytest.raises(RawConflictError, match="Kabupaten Paser 2022 cohort_year: a.xlsx, sheet 'Rekap' row 3 "
                                               "gives 2021, b.xlsx, sheet 'Rekap' row 3 gives 2020"):
        clean_raw_folder(raw)


def test_revision_decides_the_evaluation_group(tmp_path):
    raw = tmp_path / "raw"
    _recap_with_group(raw / "a_revisi.xlsx", "Kota Sedang")
    _recap_with_group(raw / "b.xlsx", "Kota Besar")
    cleaned = clean_raw_folder(raw)
    assert cleaned.regency_year.iloc[0]["evaluation_group"] == "Kota Sedang"
    lost = cleaned.rejects.query("reason == 'superseded_by_revision'")
    assert lost[["source_file", "column", "value"]].values.tolist() == [["b.xlsx", "evaluation_group", "Kota Besar"]]


def test_same_assessor_in_two_workbooks_kept_once_or_revised(tmp_path):
    raw = tmp_path / "raw"
    sheet = assessor_rows("Kab. Paser", 2023, "Asesor A", [3.0] * 11)
    workbook(raw / "penilaian_paser.xlsx", {"Asesor A": sheet})
    workbook(raw / "penilaian_paser_salinan.xlsx", {"Asesor A": sheet})
    cleaned = clean_raw_folder(raw)
    assert len(cleaned.scores) == 11 and cleaned.regency_year.iloc[0]["n_assessors"] == 1
    assert (cleaned.rejects["reason"] == "duplicate_value").sum() == 11
    (raw / "penilaian_paser_salinan.xlsx").unlink()
    workbook(raw / "penilaian_paser_REVISI.xlsx", {"Asesor A": assessor_rows("Kab. Paser", 2023, "Asesor A",
                                                                            [3.5] + [3.0] * 10)})
    cleaned = clean_raw_folder(raw)
    assert cleaned.regency_year.iloc[0]["smart_governance"] == 3.5
    lost = cleaned.rejects.query("reason == 'superseded_by_revision'")
    assert lost[["source_file", "value"]].values.tolist() == [["penilaian_paser.xlsx", "3.0"]]


def test_real_recap_sets_aside_simulated_assessor_sheets(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "rekap_2023.xlsx", {"Rekap": recap_rows(2023, [["Kab. Paser", "", *P6, None, None]])})
    workbook(raw / "penilaian_simulasi.xlsx", {"A": assessor_rows("Kab. Paser", 2023, "A", [1.0] * 11,
                                                                  simulated="ya")})
    cleaned = clean_raw_folder(raw)
    row = cleaned.regency_year.iloc[0]
    assert row[list(ref.PILLAR_KEYS)].tolist() == P6 and not row["is_simulated"]
    assert row[list(ref.DIMENSION_KEYS)].isna().all()  # never filled from the simulated sheet
    assert (row["n_assessors_simulated"], row["n_values_set_aside"]) == (0, 11)
    assert_rows_accounted(cleaned, {"rekap_2023.xlsx": 1, "penilaian_simulasi.xlsx": 11})


# --------------------------------------------------------------------------- strict layouts, blank sheets


def test_total_and_rank_only_is_not_a_recap(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "skor.xlsx", {"Sheet1": [["Nama Daerah", "Tahun", "Skor Total", "Ranking"],
                                            ["Kabupaten Paser", 2024, 3.1, 1], ["Kota Balikpapan", 2024, 3.0, 2]]})
    with pytest.raises(RawFileError) as err:
        clean_raw_folder(raw)
    message = str(err.value)
    assert message.startswith("skor.xlsx, sheet 'Sheet1': no header row found")
    assert "no pillar, dimension or smart city index column, so it is not a recap" in message and "\n" not in message


def test_template_instructions_in_indonesian_and_english(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", n_assessors=1))
    text = " ".join(str(c.value) for row in wb["Petunjuk Pengisian"].iter_rows() for c in row if c.value)
    for phrase in ("Isi label", "Fill in the labels", "skala 0 sampai 4", "0 to 4 scale", "revisi"):
        assert phrase in text
    assert INSTRUCTIONS[0] == "Petunjuk pengisian / How to fill in"
    # The message Excel shows for a score outside 0 to 4 speaks both languages too.
    errors = [v.error for v in wb["Asesor 1"].data_validations.dataValidation if v.type == "decimal"]
    assert errors == ["Nilai dari 0 sampai 4 / A score runs from 0 to 4"]


def test_template_needs_an_assessor_sheet(tmp_path):
    with pytest.raises(UserError, match="--assessors 0: a template needs at least one assessor sheet"):
        write_template(tmp_path / "t.xlsx", n_assessors=0)
    assert not (tmp_path / "t.xlsx").exists()


def test_blank_regency_is_blank_not_unknown(tmp_path):
    raw = tmp_path / "raw"
    workbook(raw / "penilaian.xlsx", {"Asesor A": assessor_rows(None, 2023, "A", [3.0] * 11),
                                      "Asesor B": assessor_rows("Kab. Paser", 2023, "B", [3.0] * 11)})
    workbook(raw / "rekap.xlsx", {"Rekap": recap_rows(2023, [[None, "Kalimantan Timur", *P6, 3.0, 1],
                                                              ["-", "Kalimantan Timur", *P6, 3.0, 2]])})
    cleaned = clean_raw_folder(raw)
    reasons = cleaned.rejects.groupby("source_file")["reason"].unique().map(list).to_dict()
    assert reasons == {"penilaian.xlsx": ["blank_regency"], "rekap.xlsx": ["blank_regency"]}
    assert not cleaned.rejects["suggestion"].str.contains("None").any()
    assert cleaned.rejects["suggestion"].str.startswith("fill in the Kabupaten/Kota").all()
    assert_rows_accounted(cleaned, {"penilaian.xlsx": 22, "rekap.xlsx": 2})


@pytest.mark.parametrize("name", ["Kutai", "kutai"])
def test_partial_name_suggests_every_regency_containing_it(name):
    res = regency_resolver().resolve(name)
    assert res.suggestion == "Kabupaten Kutai Barat or Kabupaten Kutai Kartanegara or Kabupaten Kutai Timur"
    with pytest.raises(UserError, match="Kabupaten Kutai Barat, Kabupaten Kutai Kartanegara, Kabupaten Kutai Timur"):
        resolve_regencies([name])


@pytest.mark.parametrize("name, hint", [
    pytest.param("Kutai Kartanegra", "did you mean: Kabupaten Kutai Kartanegara)", id="misspelt"),
    pytest.param("Xyzzyqq", "no known name is close)", id="nothing_close"),
])
def test_unknown_name_given_by_the_user_shows_the_resolver_suggestion(name, hint):
    with pytest.raises(UserError) as err:
        resolve_regencies([name])
    assert str(err.value) == f"unknown regency names: {name!r} (unknown regency; {hint}"


def test_pillar_names_shared_by_template_and_helpers():
    assert PILLARS == list(ref.pillars()["pillar"])
