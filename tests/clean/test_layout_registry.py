"""The raw layouts are one registry: detection, required columns, messages, parsers, collector lists and the
tables of a layout's own follow it.

A toy layout (one parser function, one builder function, one registry entry
and one table specification below, added by a fixture and removed after) is
detected, checked, parsed, and built into a processed table that is written and
read back, with no other module changed.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from smartcity_utils.clean import rows, sheets
from smartcity_utils.clean.assemble import PARSERS, clean_raw_folder, run_clean
from smartcity_utils.clean.builders import Shared
from smartcity_utils.clean.rows import Collector
from smartcity_utils.errors import RawFileError
from smartcity_utils.metadata import layouts, resources
from smartcity_utils.metadata.fields import FIELDS, Field
from smartcity_utils.metadata.layouts import Layout, Signature
from smartcity_utils.metadata.resources import Resource
from smartcity_utils.tables import PROCESSED_TABLES as TABLES
from smartcity_utils.tables import load_processed

BUILT_IN = ("recap", "assessor", "form", "quick_wins", "cohorts", "groups", "published", "recommendations",
            "agencies")


def test_names_messages_and_parsers_come_from_the_registry():
    assert sheets.LAYOUTS == layouts.names() == BUILT_IN
    assert sheets.EXPECTED_LAYOUTS == layouts.expected_layouts()
    for layout in layouts.all_layouts():
        assert layout.description in layouts.expected_layouts()
    assert layouts.expected_layouts().endswith(" or " + layouts.get("agencies").description)
    assert list(PARSERS) == list(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_parser_is_a_function_of_a_cleaning_module(name):
    layout = layouts.get(name)
    module, _, function = layout.parser.partition(":")
    assert module.startswith("smartcity_utils.clean.")
    parser = layout.parser_function()
    assert inspect.isfunction(parser) and parser.__name__ == function == f"parse_{name}"
    assert list(inspect.signature(parser).parameters) == ["sheet", "out"]


def test_priorities_are_unique_and_the_tables_exist():
    priorities = [layout.priority for layout in layouts.all_layouts()]
    assert len(set(priorities)) == len(priorities)
    for layout in layouts.all_layouts():
        assert layout.records and set(layout.tables) <= set(TABLES), layout.name


@pytest.mark.parametrize("name, table", [("quick_wins", "quick_wins"), ("published", "published_facts"),
                                         ("agencies", "agencies")])
def test_a_built_in_table_of_a_layouts_own_is_built_by_a_function_of_its_module(name, table):
    layout = layouts.get(name)
    assert layouts.table_builders()[table] is layout
    module, _, function = dict(layout.builders)[table].partition(":")
    assert module == layout.parser.partition(":")[0]
    builder = layout.builder_function(table)
    assert inspect.isfunction(builder) and builder.__name__ == function == f"{table}_table"
    assert list(inspect.signature(builder).parameters) == ["records", "shared"]


def test_a_layout_builds_only_its_tables_and_no_table_of_another():
    with pytest.raises(ValueError, match=r"builds \['notes'\], which are not among its tables"):
        Layout("notes", 7, Signature(frozenset({"regency", "evidence"})), "notes", print, records="notes",
               builders={"notes": print})
    twin = Layout("twin", 7, Signature(frozenset({"regency", "evidence"})), "a twin", print, records="twin",
                  tables=("agencies",), builders={"agencies": print})
    with pytest.raises(ValueError, match="builds table 'agencies', which layout 'agencies' builds already"):
        layouts.register(twin)
    assert "twin" not in layouts.names()
    assert Layout("x", 7, Signature(frozenset({"x"})), "x", print, tables=("t",),
                  builders=[("t", "a.b:c")]).builders == (("t", "a.b:c"),)


def test_the_collector_holds_one_list_per_layouts_records():
    out = Collector()
    for name in ("scores", "recap", "form", "quick_wins", "cohorts", "published", "groups", "recommendations",
                 "agencies"):
        assert getattr(out, name) == []
    assert set(layouts.record_lists()) == {layout.records for layout in layouts.all_layouts()}
    assert Collector().scores is not out.scores


@pytest.mark.parametrize("header, expected", [
    # A register whose header also holds another layout's columns: the lower priority wins.
    (["Kabupaten/Kota", "Tahun", "Pilar", "Rekomendasi", "Jumlah OPD"], "recommendations"),
    (["Kabupaten/Kota", "Tahun", "Pilar", "Nama Program", "Smart Governance"], "quick_wins"),
    (["Kabupaten/Kota", "Angkatan", "Nilai Akhir"], "recap"),
    (["Kabupaten/Kota", "Angkatan", "Tahun"], "cohorts"),
    (["Kabupaten/Kota", "Rekomendasi", "Smart Governance"], "recap"),
    (["Kabupaten/Kota", "Tahun", "Asesor", "Kode Pertanyaan", "Pilar", "Dimensi", "Nilai"], "form"),
    (["Tahun", "Kelompok", "Jumlah Peserta", "Kabupaten/Kota"], "groups"),
])
def test_a_header_of_two_layouts_goes_to_the_one_tried_first(header, expected):
    sheet = sheets.Sheet("x.xlsx", "S", [["REKAP"], header, ["Kota Kediri"] + [None] * (len(header) - 1)])
    sheets.detect_layout(sheet)
    assert (sheet.layout, sheet.header_row) == (expected, 1)


def test_a_row_naming_pillars_below_a_header_is_read_by_the_signatures():
    register = [["Kabupaten/Kota", "Tahun", "Pilar", "Rekomendasi"],
                ["Kota Kediri", 2024, "Smart Governance", "Perkuat tata kelola data"]]
    sheet = sheets.Sheet("x.xlsx", "S", [row[:] for row in register])
    sheets.detect_layout(sheet)
    assert (sheet.layout, sheet.header_row) == ("recommendations", 0)
    recap = [["Kabupaten/Kota", "Nilai Pilar", None, "Peringkat"],
             [None, "Smart Governance", "Smart Branding", None],
             ["Kota Kediri", 3.1, 2.9, 4]]
    sheet = sheets.Sheet("x.xlsx", "S", recap)
    sheets.detect_layout(sheet)
    assert (sheet.layout, sheet.header_row) == ("recap", 1)
    assert sheet.columns == {0: "regency", 1: "pillar:smart_governance", 2: "pillar:smart_branding", 3: "rank"}
    assert sheet.ignored_columns == []


def test_a_layout_needs_a_name_and_a_priority_of_its_own():
    recap = layouts.get("recap")
    with pytest.raises(ValueError, match="registered already"):
        layouts.register(recap)
    twin = Layout("twin", recap.priority, Signature(frozenset({"regency", "evidence"})), "a twin", print)
    with pytest.raises(ValueError, match="has the priority 60 of layout 'recap'"):
        layouts.register(twin)
    assert "twin" not in layouts.names()
    with pytest.raises(ValueError, match="either header columns or a CSV header"):
        Signature()
    with pytest.raises(ValueError, match="scores must be"):
        Signature(frozenset({"regency"}), scores="some")


# ---------------------------------------------------------------------------------------------- a toy layout


def parse_evidence(sheet: sheets.Sheet, out: rows.Collector) -> None:
    """Evidence register: one document a regency-year (the toy layout)."""
    cols = {n: rows.column_of(sheet, n) for n in ("regency", "province", "kind", "year", "evidence")}
    for i, row in rows.data_rows(sheet, out, cols["regency"]):
        found = rows.regency_and_year(sheet, i, row, cols, out)
        if found is None:
            continue
        out.evidence.append({"regency_id": found[0], "year": found[1],
                             "evidence": rows.cell(row, cols["evidence"]), "source_file": sheet.file})
        out.keep(sheet, i)


def evidence_table(records: list[dict], shared: Shared) -> pd.DataFrame:
    """The table ``evidence``: one row per regency-year, the last document read standing."""
    frame = shared.named(records, "evidence")
    return frame.drop_duplicates(["regency_id", "year"], keep="last").sort_values(
        ["year", "regency_id"], ignore_index=True)


EVIDENCE = Layout("evidence", 5, Signature(frozenset({"regency", "evidence"}), scores="none"),
                  "an evidence register ('Kabupaten/Kota | Tahun | Bukti')", parse_evidence,
                  required=frozenset({"regency", "year", "evidence"}), records="evidence", tables=("evidence",),
                  builders={"evidence": evidence_table})

EVIDENCE_TABLE = Resource(
    "evidence", "processed", "One row per regency and year: the document that proves its evaluation.",
    (FIELDS["regency_id"], FIELDS["regency"], FIELDS["province"], FIELDS["year"],
     Field("evidence", "string", "the document, as the register names it"), FIELDS["source_file"]),
    primary_key=("regency_id", "year"))


@pytest.fixture
def evidence_layout():
    """The toy layout and its table, registered for one test."""
    resources.register(EVIDENCE_TABLE)
    layouts.register(EVIDENCE)
    yield EVIDENCE
    layouts.unregister(EVIDENCE.name)
    resources.unregister(EVIDENCE_TABLE.name)


def _evidence_file(folder: Path, text: str = "Kabupaten/Kota;Tahun;Bukti\nKota Kediri;2024;SK Walikota 12/2024\n"
                   "Kota Atlantis;2024;SK 1\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bukti.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_registered_layout_is_detected_and_parsed(evidence_layout, tmp_path):
    assert evidence_layout.parser_function() is parse_evidence
    path = _evidence_file(tmp_path)
    [sheet] = sheets.read_grid_file(path, "bukti.csv")
    sheets.detect_layout(sheet)
    assert (sheet.layout, sheet.header_row) == ("evidence", 0)
    assert sheet.columns == {0: "regency", 1: "year", 2: "evidence"}
    out = Collector()
    PARSERS["evidence"](sheet, out)
    assert [(r["year"], r["evidence"]) for r in out.evidence] == [(2024, "SK Walikota 12/2024")]
    assert [(r["source_row"], r["reason"], r["layout"]) for r in out.rejects] == [
        (3, "unknown_regency", "evidence")]


def test_a_registered_layout_is_cleaned_with_the_rest(evidence_layout, tmp_path):
    raw = tmp_path / "raw"
    _evidence_file(raw)
    cleaned = clean_raw_folder(raw)
    manifest = cleaned.manifest.set_index("source_file")
    assert manifest.loc["bukti.csv", "layout"] == "evidence"
    assert (manifest.loc["bukti.csv", "rows_kept"], manifest.loc["bukti.csv", "rows_rejected"]) == (1, 1)
    rejects = cleaned.rejects
    assert rejects.loc[rejects["reason"] == "unknown_regency", "layout"].tolist() == ["evidence"]


def test_a_registered_layouts_table_is_built_written_and_read_back(evidence_layout, tmp_path):
    raw = tmp_path / "raw"
    _evidence_file(raw, "Kabupaten/Kota;Tahun;Bukti\nKota Kediri;2024;SK 1\nKota Atlantis;2024;SK 2\n"
                   "Kabupaten Kediri;2023;Perbup 7\nKota Kediri;2024;SK Walikota 12/2024\n")
    out = tmp_path / "processed"
    cleaned = run_clean(raw, out)
    assert list(cleaned.tables())[-1] == "evidence" and list(cleaned.tables())[:-1] == list(TABLES)
    expected = pd.DataFrame({
        "regency_id": [cleaned.regencies.set_index("regency").loc[name, "regency_id"]
                       for name in ("Kabupaten Kediri", "Kota Kediri")],
        "regency": ["Kabupaten Kediri", "Kota Kediri"], "province": ["Jawa Timur", "Jawa Timur"],
        "year": [2023, 2024], "evidence": ["Perbup 7", "SK Walikota 12/2024"], "source_file": ["bukti.csv"] * 2})
    pd.testing.assert_frame_equal(cleaned.evidence, expected, check_dtype=False)
    assert cleaned.built["evidence"] is cleaned.evidence
    assert (cleaned.evidence.dtypes[["regency_id", "year"]] == "int64").all()
    assert (out / "evidence.parquet").is_file() and (out / "evidence.csv").is_file()
    read = load_processed(out)
    assert list(read) == list(TABLES) + ["evidence"]
    pd.testing.assert_frame_equal(read["evidence"], cleaned.evidence)
    pd.testing.assert_frame_equal(pd.read_csv(out / "evidence.csv"), expected)
    assert load_processed(out, ("evidence",))["evidence"]["evidence"].tolist() == ["Perbup 7", "SK Walikota 12/2024"]


def _builds_with(builder) -> None:
    """The toy layout, registered again with another builder (the fixture removes it after the test)."""
    layouts.unregister(EVIDENCE.name)
    layouts.register(dataclasses.replace(EVIDENCE, builders={"evidence": builder}))


def test_a_registered_layouts_table_is_held_to_its_specification(evidence_layout, tmp_path):
    raw = tmp_path / "raw"
    _evidence_file(raw, "Kabupaten/Kota;Tahun;Bukti\nKota Kediri;2024;SK 1\nKota Kediri;2024;SK 2\n")
    _builds_with(lambda records, shared: shared.named(records, "evidence"))
    with pytest.raises(pandera.errors.SchemaError):  # two rows of one regency-year: its key is not unique
        clean_raw_folder(raw)
    _builds_with(lambda records, shared: shared.named(records, "evidence").drop(columns="source_file"))
    with pytest.raises(ValueError, match=r"table 'evidence' \(layout 'evidence'\) returned a table without the "
                       r"columns \['source_file'\]"):
        clean_raw_folder(raw)
    _builds_with(evidence_table)
    assert clean_raw_folder(raw).evidence["evidence"].tolist() == ["SK 2"]


def test_a_table_specified_but_built_by_no_layout_stops_the_cleaning(tmp_path):
    raw = tmp_path / "raw"
    _evidence_file(raw, "Kabupaten/Kota;Angkatan\nKota Kediri;2019\n")
    resources.register(EVIDENCE_TABLE)
    try:
        with pytest.raises(ValueError, match=r"tables \['evidence'\] are specified .* but no layout builds them"):
            clean_raw_folder(raw)
    finally:
        resources.unregister(EVIDENCE_TABLE.name)
    assert "evidence" not in clean_raw_folder(raw).tables()


def test_a_registered_layout_has_its_required_columns_and_is_named_in_messages(evidence_layout, tmp_path):
    path = _evidence_file(tmp_path, "Kabupaten/Kota;Bukti\nKota Kediri;SK 1\n")
    [sheet] = sheets.read_grid_file(path, "bukti.csv")
    with pytest.raises(RawFileError, match=r"looks like layout 'evidence' but has no column for \['year'\]"):
        sheets.detect_layout(sheet)
    path = _evidence_file(tmp_path, "Nama;Catatan\nA;1\n")
    [sheet] = sheets.read_grid_file(path, "bukti.csv")
    with pytest.raises(RawFileError, match=r"Jumlah OPD'\) or an evidence register \('Kabupaten/Kota \| Tahun"):
        sheets.detect_layout(sheet)


def test_without_its_entry_the_toy_file_is_refused(tmp_path):
    assert "evidence" not in layouts.names() and not hasattr(Collector(), "evidence")
    assert "evidence" not in resources.table_names() and "evidence" not in layouts.table_builders()
    path = _evidence_file(tmp_path)
    [sheet] = sheets.read_grid_file(path, "bukti.csv")
    with pytest.raises(RawFileError, match="no header row found") as raised:
        sheets.detect_layout(sheet)
    assert "evidence" not in str(raised.value)
    assert str(raised.value).count(layouts.expected_layouts()) == 1


def test_the_documented_order_of_detection_is_the_registrys():
    text = " ".join((Path(__file__).resolve().parents[2] / "docs" / "data_model.md").read_text(encoding="utf-8")
                    .split())
    documented = text.split("the layouts tried in order of priority: ", 1)[1].split(". ", 1)[0]
    tried = [layout.name for layout in layouts.by_priority() if layout.signature.columns]
    assert documented == ", ".join(f"`{name}`" for name in tried)
    assert [layout.name for layout in layouts.by_priority() if layout.signature.csv_header] == ["published"]
