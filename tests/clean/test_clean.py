"""Cleaning: every raw row kept or rejected, faults named, outputs safe."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from smartcity_utils import errors, regencies
from smartcity_utils import reference as ref
from smartcity_utils.clean.assemble import clean_raw_folder, run_clean
from smartcity_utils.clean.template import write_template
from smartcity_utils.errors import RawFileError
from smartcity_utils.values import (
    parse_number,
    parse_score,
    parse_stage,
    parse_timestamp,
)


def _file_hashes(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def cleaned(raw_dir):
    return clean_raw_folder(raw_dir)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("value, expected", [
    pytest.param("3,25", (3.25, None), id="decimal_comma"),
    pytest.param(" 3.5 ", (3.5, None), id="decimal_point_spaces"),
    pytest.param(4, (4.0, None), id="integer"),
    pytest.param("-", (None, "missing"), id="dash_missing"),
    pytest.param("n/a", (None, "missing"), id="na_missing"),
    pytest.param("Belum Dinilai", (None, "missing"), id="belum_dinilai"),
    pytest.param(None, (None, "missing"), id="empty"),
    pytest.param("tiga", (None, "not_a_number"), id="words"),
    pytest.param("3,2,5", (None, "not_a_number"), id="two_commas"),
])
def test_parse_number(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize("value, scale, score, reason", [
    pytest.param(75, 100, 3.0, None, id="hundred_scale_divided_by_25"),
    pytest.param(112, 100, None, "out_of_range", id="over_100"),
    pytest.param(4.7, 4, None, "out_of_range", id="over_4"),
    pytest.param(-0.5, 4, None, "out_of_range", id="negative"),
    pytest.param("3,75", 4, 3.75, None, id="comma_on_four_scale"),
])
def test_parse_score(value, scale, score, reason):
    got_score, got_reason, _ = parse_score(value, scale)
    assert (got_score, got_reason) == (score, reason)


@pytest.mark.parametrize("value, expected", [
    pytest.param("2024-07-01 10:00:00", pd.Timestamp(2024, 7, 1, 10), id="iso"),
    pytest.param("01/07/2024 10:00", pd.Timestamp(2024, 7, 1, 10), id="slashes_are_day_first"),
    pytest.param("13/07/2024", pd.Timestamp(2024, 7, 13), id="date_only"),
    pytest.param("kemarin sore", None, id="unreadable"),
    pytest.param("", None, id="blank"),
])
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value, expected", [
    pytest.param("Tahap II", "II", id="roman"),
    pytest.param("tahap 1", "I", id="arabic_lower"),
    pytest.param(2.0, "II", id="float_from_excel"),
    pytest.param("final", None, id="unknown"),
])
def test_parse_stage(value, expected):
    assert parse_stage(value) == expected


@pytest.mark.parametrize("raw, province, expected", [
    pytest.param("Kab. Kutai Kartanegara", None, "Kabupaten Kutai Kartanegara", id="kab_prefix_abbreviated"),
    pytest.param("KUTAI KARTANEGARA", None, "Kabupaten Kutai Kartanegara", id="upper_case_no_prefix"),
    pytest.param("Kukar", None, "Kabupaten Kutai Kartanegara", id="short_name"),
    pytest.param("Kotim", None, "Kabupaten Kotawaringin Timur", id="kotim"),
    pytest.param("PPU", None, "Kabupaten Penajam Paser Utara", id="ppu"),
    pytest.param("64.02", None, "Kabupaten Kutai Kartanegara", id="kemendagri_code"),
    pytest.param("6403", None, "Kabupaten Kutai Kartanegara", id="bps_code_is_a_different_system"),
    pytest.param("Kota Kediri", None, "Kota Kediri", id="kota_kept_apart_from_kabupaten"),
])
def test_regency_resolves(raw, province, expected):
    resolver = regencies.regency_resolver()
    res = resolver.resolve(raw, province)
    assert res.regency_id is not None and resolver.name(res.regency_id) == expected


@pytest.mark.parametrize("raw, reason, suggestion", [
    pytest.param("Kediri", "ambiguous_regency", "Kabupaten Kediri or Kota Kediri", id="bare_name_ambiguous"),
    pytest.param("Kutai Kartanegra", "unknown_regency", "Kabupaten Kutai Kartanegara", id="misspelt"),
    pytest.param("Kotawaringin Timr", "unknown_regency", "Kabupaten Kotawaringin Timur", id="misspelt_timur"),
    pytest.param("-", "blank_regency", None, id="dash_is_blank"),
    pytest.param("Kota", "unknown_regency", None, id="kind_alone_suggests_nothing"),
    # Names and aliases are matched together: a misspelt short name suggests its regency, not a near name.
    pytest.param("Kotimm", "unknown_regency", "Kabupaten Kotawaringin Timur", id="misspelt_alias_kotim"),
    pytest.param("Kukkar", "unknown_regency", "Kabupaten Kutai Kartanegara", id="misspelt_alias_kukar"),
])
def test_regency_not_guessed(raw, reason, suggestion):
    res = regencies.regency_resolver().resolve(raw)
    assert (res.regency_id, res.reason, res.suggestion) == (None, reason, suggestion)


def test_gazetteer_has_all_regencies_and_separate_code_systems():
    g = regencies.gazetteer()
    assert len(g) == 514 and g["regency_id"].is_unique
    assert g["kind"].value_counts().to_dict() == {"kabupaten": 416, "kota": 98}
    kukar = g.set_index("regency").loc["Kabupaten Kutai Kartanegara"]
    assert (kukar["kemendagri_code"], kukar["bps_code"]) == ("64.02", "6403")


def test_alias_files_refuse_overlaps(tmp_path, monkeypatch):
    frame = pd.DataFrame({"alias": ["Smart Gov", "smart gov"], "pillar_key": ["smart_governance", "smart_economy"]})
    with pytest.raises(errors.ReferenceTableError, match="maps to both"):
        ref._alias_map(frame, "alias", "pillar_key", "pillar")


def test_a_spelling_is_never_both_a_pillar_and_a_dimension(tmp_path, monkeypatch):
    """A dimension alias file that reuses a pillar's spelling is refused, naming the spelling."""
    for name in ("pillar_aliases.csv", "dimension_aliases.csv"):
        (tmp_path / name).write_bytes((ref.REFERENCE_DIR / name).read_bytes())
    with open(tmp_path / "dimension_aliases.csv", "a", encoding="utf-8") as fh:
        fh.write("Smart Governance,impact\n")
    monkeypatch.setattr(ref, "REFERENCE_DIR", tmp_path)
    ref.pillar_aliases.cache_clear()
    ref.dimension_aliases.cache_clear()
    try:
        with pytest.raises(errors.ReferenceTableError, match="both for a pillar and a dimension.*smart governance"):
            ref.dimension_aliases()
    finally:
        monkeypatch.undo()
        ref.pillar_aliases.cache_clear()
        ref.dimension_aliases.cache_clear()
    assert "smart governance" in ref.pillar_aliases() and "impact" in ref.dimension_aliases()


# --------------------------------------------------------------------------- whole folder


def test_every_raw_row_is_kept_or_rejected(raw_dir, cleaned):
    m = cleaned.manifest.set_index("source_file")
    assert (m.rows_read == m.rows_kept + m.rows_rejected).all()
    # Independent count of data rows: lines below the header in each file.
    xlsx_rows = 0
    for path in (raw_dir / "rekap").glob("*.xlsx"):
        ws = openpyxl.load_workbook(path).active
        xlsx_rows = ws.max_row - 4  # title, title, two header rows
        assert m.loc[f"rekap/{path.name}", "rows_read"] == xlsx_rows
    with open(raw_dir / "formulir" / "ekspor_2024.csv", encoding="utf-8-sig") as fh:
        assert m.loc["formulir/ekspor_2024.csv", "rows_read"] == sum(1 for _ in csv.reader(fh)) - 1
    wb = openpyxl.load_workbook(raw_dir / "asesor" / "penilaian_kotim_2023.xlsx")
    assert m.loc["asesor/penilaian_kotim_2023.xlsx", "rows_read"] == sum(ws.max_row - 7 for ws in wb)
    # Each rejected row appears in the rejects table.
    rejected_rows = cleaned.rejects.drop_duplicates(["source_file", "source_sheet", "source_row"])
    cols = ["source_file", "source_sheet", "source_row"]
    kept_rows = pd.concat([cleaned.scores[cols], cleaned.quick_wins[cols]])
    for file, n in m.rows_rejected[m.layout.isin(["recap", "assessor", "form", "quick_wins"])].items():
        listed = rejected_rows[rejected_rows.source_file == file]
        kept = kept_rows[kept_rows.source_file == file].drop_duplicates()
        not_kept = listed.merge(kept, how="left", indicator=True)
        assert (not_kept["_merge"] == "left_only").sum() == n, file
    assert "README.md" not in set(m.index)


EXPECTED_REJECTS = [
    ("rekap/rekap_2022.xlsx", 7, "smart_environment", "out_of_range"),
    ("rekap/rekap_2022.xlsx", 8, "", "blank_row"),
    ("rekap/rekap_2022.xlsx", 9, "", "subtotal_row"),
    ("rekap/rekap_2022.xlsx", 10, "regency", "unknown_regency"),
    ("rekap/rekap_2022.xlsx", 11, "regency", "unknown_regency"),
    ("rekap/rekap_2022.xlsx", 12, "regency", "duplicate_row"),
    ("rekap/rekap_2022.xlsx", 14, "", "footnote_row"),
    ("rekap/rekap_2019.xlsx", 5, "smart_environment", "out_of_range"),
    ("rekap/rekap_2019.xlsx", 6, "regency", "ambiguous_regency"),
    ("rekap/rekap_2019.xlsx", 7, "regency", "duplicate_row"),
    ("asesor/penilaian_kotim_2023.xlsx", 10, "pillar", "unknown_pillar"),
    ("asesor/penilaian_kotim_2023.xlsx", 11, "score", "missing"),
    ("asesor/penilaian_kotim_2023.xlsx", 12, "pillar", "pillar_and_dimension"),
    ("formulir/ekspor_2024.csv", 2, "score", "superseded"),
    ("formulir/ekspor_2024.csv", 5, "score", "missing"),
    ("formulir/ekspor_2024.csv", 7, "regency", "unknown_regency"),
    ("formulir/ekspor_2024.csv", 6, "score", "superseded"),
    ("formulir/ekspor_2024.csv", 9, "submitted_at", "bad_timestamp"),
    ("formulir/ekspor_2024.csv", 10, "stage", "bad_stage"),
    ("rekap/rekap_2022.xlsx", 7, "cohort_year", "bad_year"),
    ("register_quick_win.csv", 3, "score_outcome", "not_a_number"),
    ("register_angkatan.csv", 3, "cohort_year", "cohort_conflict"),
]


#: Cells of kept rows left empty (or "-", "n/a"): counted once per file and column, never a reject.
EXPECTED_MISSING = {"rekap/rekap_2022.xlsx": "smart_branding 1", "register_quick_win.csv": "score_sustainability 1"}


def test_each_fault_is_listed_with_reason(cleaned):
    got = set(cleaned.rejects[["source_file", "source_row", "column", "reason"]].itertuples(index=False, name=None))
    missing = [e for e in EXPECTED_REJECTS if e not in got]
    assert not missing
    values_missing = cleaned.manifest.set_index("source_file")["values_missing"]
    assert {f: values_missing[f] for f in EXPECTED_MISSING} == EXPECTED_MISSING
    # A row that holds nothing but an empty score is still a rejected row.
    assert ("asesor/penilaian_kotim_2023.xlsx", 11, "score", "missing") in got
    suggestions = cleaned.rejects.set_index(["source_file", "source_row"])["suggestion"]
    assert "Kabupaten Kutai Kartanegara" in suggestions.loc[("rekap/rekap_2022.xlsx", 11)]
    assert "Kota Kediri" in suggestions.loc[("rekap/rekap_2019.xlsx", 6)]
    pillar_fix = cleaned.rejects.set_index(["source_file", "source_row", "column"])["suggestion"]
    assert "Smart Environment" in pillar_fix.loc[("asesor/penilaian_kotim_2023.xlsx", 10, "pillar")]
    # The row's remark is listed beside it, so that no remark disappears.
    assert pillar_fix.loc[("asesor/penilaian_kotim_2023.xlsx", 10, "remarks")].startswith("the row is rejected")
    assert suggestions.loc[("rekap/rekap_2022.xlsx", 12)].startswith("identical to rekap/rekap_2022.xlsx row 6")
    assert suggestions.loc[("rekap/rekap_2019.xlsx", 7)].startswith("conflicts with rekap/rekap_2019.xlsx row 5")


def test_each_reject_carries_the_regency_the_cleaner_resolved(cleaned):
    rejects = cleaned.rejects
    assert str(rejects["regency_id"].dtype) == "Int64"
    ids = rejects.set_index(["source_file", "source_row", "reason"])["regency_id"]
    kotim = regencies.resolve_regencies(["Kotim"])[0]
    row_of = cleaned.scores.drop_duplicates(["source_file", "source_row"]).set_index(
        ["source_file", "source_row"])["regency_id"]
    # A bad value of a kept row, and the row's other bad value: the row's regency.
    assert ids.loc[("rekap/rekap_2022.xlsx", 7, "out_of_range")] == row_of.loc[("rekap/rekap_2022.xlsx", 7)]
    assert ids.loc[("rekap/rekap_2022.xlsx", 7, "bad_year")] == row_of.loc[("rekap/rekap_2022.xlsx", 7)]
    # A duplicate of a kept row: the regency of the row it repeats.
    assert ids.loc[("rekap/rekap_2022.xlsx", 12, "duplicate_row")] == row_of.loc[("rekap/rekap_2022.xlsx", 6)]
    # A row of an assessor sheet (the regency of its label), and an answer a later one replaced.
    assert ids.loc[("asesor/penilaian_kotim_2023.xlsx", 10, "unknown_pillar")] == kotim
    form = cleaned.scores[cleaned.scores["source_file"] == "formulir/ekspor_2024.csv"]
    assert ids.loc[("formulir/ekspor_2024.csv", 2, "superseded")] in set(form["regency_id"])
    # A name that does not resolve, and rows that are no regency's: empty.
    for key in [("rekap/rekap_2022.xlsx", 10, "unknown_regency"), ("rekap/rekap_2019.xlsx", 6, "ambiguous_regency"),
                ("formulir/ekspor_2024.csv", 7, "unknown_regency"), ("rekap/rekap_2022.xlsx", 8, "blank_row"),
                ("rekap/rekap_2022.xlsx", 14, "footnote_row")]:
        assert pd.isna(ids.loc[key]), key


def test_values_are_converted_to_the_four_point_scale(cleaned):
    ry = cleaned.regency_year.set_index(["regency", "year"])
    kukar_2019 = ry.loc[("Kabupaten Kutai Kartanegara", 2019)]
    assert kukar_2019["smart_governance"] == pytest.approx(3.0)  # 75 / 25, header "Smart Government"
    assert kukar_2019["smart_branding"] == pytest.approx(3.2)
    assert pd.isna(kukar_2019["smart_environment"])  # 112 rejected
    kukar_2022 = ry.loc[("Kabupaten Kutai Kartanegara", 2022)]
    assert kukar_2022["smart_governance"] == pytest.approx(3.25)  # "3,25" as text
    kediri = ry.loc[("Kota Kediri", 2022)]
    assert kediri[["smart_governance", "smart_economy", "final_score_reported"]].tolist() == [2.75, 3.5, 3.31]
    assert kediri["rank_reported"] == 22


def test_assessor_sheets_and_form_aggregate_to_regency_year(cleaned):
    ry = cleaned.regency_year.set_index(["regency", "year"])
    kotim = ry.loc[("Kabupaten Kotawaringin Timur", 2023)]
    assert kotim["n_assessors"] == 2 and kotim["source_layout"] == "assessor"
    assert kotim["smart_governance"] == pytest.approx(2.5)  # mean of 3.0 and 2.0
    assert kotim["smart_living"] == pytest.approx(3.0)  # B's "belum dinilai" is missing, not zero
    assert kotim["baseline"] == pytest.approx(3.0)
    paser = ry.loc[("Kabupaten Paser", 2024)]
    assert paser["smart_governance"] == pytest.approx(3.75)  # the resubmission replaces 3,25
    assert paser["smart_branding"] == pytest.approx(3.0)  # the day-first resubmission is the later one
    assert paser["smart_economy"] == pytest.approx(3.0)  # kept although its time is unreadable
    assert paser["smart_living"] == pytest.approx(2.75)  # kept as stage I, the bad stage listed
    assert kotim["cohort_year"] == 2022 and kotim["years_in_programme"] == 1


def test_simulated_flag_is_carried(cleaned):
    # Everything but the published figures (which feed their regency-years) is simulated in this folder.
    scores, ry = cleaned.scores, cleaned.regency_year
    assert (scores["is_simulated"] == (scores["layout"] != "published")).all()
    assert (ry["is_simulated"] == ~ry["source_layout"].str.startswith("published")).all()
    assert not cleaned.published_facts["is_simulated"].any()
    paser = cleaned.published_facts.query("region == 'Kabupaten Paser' and metric == 'indeks_smart_city'")
    assert paser[["value", "rank", "rank_of"]].iloc[0].tolist() == [2.88, 8, 37]


def test_documented_cohort_wins_over_register(cleaned):
    reg = cleaned.regencies.set_index("regency")
    assert reg.loc["Kabupaten Paser", "cohort_year"] == 2021
    assert not reg.loc["Kabupaten Paser", "cohort_is_simulated"]
    assert reg.loc["Kota Kediri", "cohort_year"] == 2017 and reg.loc["Kota Kediri", "cohort_is_simulated"]


# --------------------------------------------------------------------------- guarantees


def test_two_runs_give_identical_outputs(raw_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_clean(raw_dir, a)
    run_clean(raw_dir, b)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir()) and len(files) == 25  # 12 tables x 2, the marker
    assert "generation.json" in files
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_raw_files_are_never_modified(raw_dir, tmp_path):
    before = _file_hashes(raw_dir)
    run_clean(raw_dir, tmp_path / "out")
    assert _file_hashes(raw_dir) == before


def test_interrupted_run_leaves_previous_outputs(raw_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    run_clean(raw_dir, out)
    before = _file_hashes(out)
    # The next run has more data, and dies while writing its fourth file.
    (raw_dir / "register_angkatan.csv").unlink()
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def dying_to_csv(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", dying_to_csv)
    with pytest.raises(KeyboardInterrupt):
        run_clean(raw_dir, out)
    assert _file_hashes(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


@pytest.mark.parametrize("name, content, message", [
    pytest.param("scores.csv", "foo;bar\n1;2\n", "no header row found", id="csv_without_known_header"),
    pytest.param("rekap.xlsx", "not a workbook", "cannot be opened as a spreadsheet", id="corrupt_xlsx"),
    pytest.param("notes.docx", "x", "file type .docx is not read", id="unknown_file_type"),
])
def test_unparseable_file_stops_with_its_name(tmp_path, name, content, message):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_text(content, encoding="utf-8")
    with pytest.raises(RawFileError, match=message) as err:
        clean_raw_folder(raw)
    assert name in str(err.value)


def test_recap_without_year_names_the_fix(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["Kabupaten/Kota", "Smart Governance", "Nilai Akhir"])
    wb.active.append(["Kab. Paser", 3.0, 3.0])
    wb.save(raw / "rekap.xlsx")
    with pytest.raises(RawFileError, match="Tahun"):
        clean_raw_folder(raw)


def test_template_round_trip(tmp_path):
    raw = tmp_path / "raw"
    path = write_template(raw / "penilaian_paser_2023.xlsx", n_assessors=2)
    wb = openpyxl.load_workbook(path)
    for k, ws in enumerate([wb["Asesor 1"], wb["Asesor 2"]]):
        ws["B2"], ws["B3"], ws["B4"], ws["B5"] = "Kab. Paser", 2023, "Tahap I", f"Asesor {k}"
        for r in range(8, 19):
            ws.cell(r, 4, 2.0 + k)
    wb.save(path)
    cleaned = clean_raw_folder(raw)
    assert cleaned.rejects.empty
    row = cleaned.regency_year.iloc[0]
    assert (row["regency"], row["year"], row["n_assessors"]) == ("Kabupaten Paser", 2023, 2)
    assert row[list(ref.PILLAR_KEYS) + list(ref.DIMENSION_KEYS)].tolist() == [2.5] * 11
    assert not row["is_simulated"]


def test_cli_exit_status_and_one_line_error(tmp_path):
    run = [sys.executable, "-m", "smartcity_utils"]
    ok = subprocess.run(run + ["clean", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "--raw" in ok.stdout
    bad = subprocess.run(run + ["clean", "--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "raw data folder not found" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unreadable_stage_label_is_listed_at_its_row(tmp_path):
    raw = tmp_path / "raw"
    path = write_template(raw / "penilaian.xlsx", n_assessors=1)
    wb = openpyxl.load_workbook(path)
    ws = wb["Asesor 1"]
    ws["B2"], ws["B3"], ws["B4"], ws["B5"] = "Kab. Paser", 2023, "tahap nanti", "Asesor A"
    for r in range(8, 19):
        ws.cell(r, 4, 3.0)
    wb.save(path)
    cleaned = clean_raw_folder(raw)
    bad = cleaned.rejects.query("reason == 'bad_stage'")
    assert bad[["source_row", "value"]].values.tolist() == [[4, "tahap nanti"]]
    assert len(cleaned.scores) == 11 and (cleaned.scores["stage"] == "I").all()


def test_a_misspelt_alias_is_suggested_on_the_command_line_and_in_rejects(tmp_path):
    from smartcity_utils.errors import UserError

    with pytest.raises(UserError, match=r"'Kotimm' \(unknown regency; did you mean: Kabupaten Kotawaringin Timur\)"):
        regencies.resolve_regencies(["Kukar", "Kotimm"])
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "rekap_2023.csv").write_text("Kabupaten/Kota;Tahun;Nilai Akhir\nKotimm;2023;2,95\nKukar;2023;3,25\n",
                                        encoding="utf-8")
    rejects = run_clean(raw, tmp_path / "out").rejects
    row = rejects[rejects["value"] == "Kotimm"].iloc[0]
    assert row["reason"] == "unknown_regency" and "Kabupaten Kotawaringin Timur" in row["suggestion"]
