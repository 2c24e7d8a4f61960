"""Every processed and analysis table is described once (``smartcity_utils.metadata``), and the description holds:
the tables written are those specified, column for column; the cleaning's schemas, its column order, the
tables a report reads and the data model all come from it."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest
from fixtures.example_run import processed_example

from smartcity_utils import paths
from smartcity_utils.analysis.run import MEASUREMENT_TABLES, run_analysis
from smartcity_utils.clean import schemas
from smartcity_utils.clean.assemble import Cleaned, run_clean
from smartcity_utils.metadata import docs, fields, layouts
from smartcity_utils.metadata.fields import FIELDS, TYPES
from smartcity_utils.metadata.resources import RESOURCES, Resource, resource, resources, table_names
from smartcity_utils.report import profile
from smartcity_utils.tables import ANALYSIS_TABLES
from smartcity_utils.tables import PROCESSED_TABLES as TABLES

METADATA = Path(fields.__file__).parent
SCHEMA_ERRORS = (pandera.errors.SchemaError, pandera.errors.SchemaErrors)


def _holds(check: fields.Check, values: pd.Series) -> pd.Series:
    values = values.dropna()
    if check.kind == "range":
        return values.between(*check.values)
    if check.kind == "one_of":
        return values.isin(check.values)
    if check.kind == "at_least":
        return values >= check.values[0]
    return values.astype(str).str.len() >= 1


def spec_problems(spec: Resource, table: pd.DataFrame) -> list[str]:
    """What in ``table`` differs from its specification (an empty list when nothing does)."""
    if list(table.columns) != spec.column_names:
        return [f"{spec.name}: columns {list(table.columns)} are not {spec.column_names}"]
    problems = []
    for col in spec.columns:
        dtype = str(table[col.name].dtype)
        if dtype not in TYPES[col.type]:
            problems.append(f"{spec.name}.{col.name}: dtype {dtype}, specified {col.type}")
        if not col.nullable and table[col.name].isna().any():
            problems.append(f"{spec.name}.{col.name}: empty values in a column that may not be empty")
        for check in col.checks:
            if not _holds(check, table[col.name]).all():
                problems.append(f"{spec.name}.{col.name}: values outside {check.describe()}")
    if spec.primary_key and table.duplicated(list(spec.primary_key)).any():
        problems.append(f"{spec.name}: key {spec.primary_key} repeats")
    for check in spec.checks:
        if len(table) and not check.test(table).all():
            problems.append(f"{spec.name}: {check.description} does not hold")
    return problems


def _written(folder: Path) -> dict[str, set[str]]:
    return {stage: {p.stem for p in (paths.analysis_dir(folder) if stage == "analysis" else folder).glob("*.parquet")}
            for stage in ("processed", "analysis")}


# --- the specifications against the tables written --------------------------------------------------------------

def test_every_table_the_example_writes_is_specified_and_every_specified_table_is_written(tmp_path_factory):
    written = _written(processed_example(tmp_path_factory))
    for stage in ("processed", "analysis"):
        assert written[stage] == set(table_names(stage)), stage


@pytest.mark.parametrize("name", table_names(), ids=str)
def test_the_example_tables_are_as_specified(tmp_path_factory, name):
    spec = resource(name)
    table = pd.read_parquet(spec.file(processed_example(tmp_path_factory)))
    assert spec_problems(spec, table) == []


def test_the_tables_of_a_few_files_are_as_specified_too(raw_dir, tmp_path):
    """A small folder (every layout, known faults, too few regency-years for the national models): what clean and
    analyse write still has the specified columns and types, the empty tables of the skipped models included."""
    out = tmp_path / "processed"
    run_clean(raw_dir, out)
    run_analysis(out, n_draws=20, n_boot=5)
    written = _written(out)
    assert written["processed"] == set(table_names("processed"))
    assert {"index_ranks", "reconciliation", "rank_uncertainty", "driver_estimates"} <= written["analysis"]
    problems = []
    for names in written.values():
        for name in sorted(names):
            problems += spec_problems(resource(name), pd.read_parquet(resource(name).file(out)))
    assert problems == []
    assert pd.read_parquet(resource("rank_uncertainty").file(out)).empty  # the national models were skipped


def test_the_lists_of_tables_elsewhere_are_those_of_the_metadata():
    assert TABLES == table_names("processed")
    built = layouts.table_builders()
    assert [f.name for f in dataclasses.fields(Cleaned)] == [t for t in TABLES if t not in built] + ["built"]
    assert list(Cleaned(*[pd.DataFrame()] * (len(TABLES) - len(built))).tables()) == list(TABLES)
    assert set(ANALYSIS_TABLES + MEASUREMENT_TABLES) == set(table_names("analysis"))


def test_a_table_registered_later_is_written_after_its_stages_tables_and_has_a_schema():
    from smartcity_utils.metadata import resources as registry

    spec = Resource("notes", "processed", "One row per note.", (fields.Field("note", "string", "the note"),),
                    primary_key=("note",))
    analysis_first = table_names("analysis")[0]
    assert registry.register(spec) is spec
    try:
        assert table_names("processed") == (*TABLES, "notes")
        assert table_names()[len(TABLES)] == "notes" and table_names()[len(TABLES) + 1] == analysis_first
        assert resource("notes") is spec and "notes" not in schemas.SCHEMAS
        assert list(schemas.schema("notes").columns) == ["note"]
        with pytest.raises(pandera.errors.SchemaError):
            schemas.schema("notes").validate(pd.DataFrame({"note": ["a", "a"]}))
        with pytest.raises(ValueError, match="'notes' is specified already"):
            registry.register(spec)
    finally:
        registry.unregister("notes")
    assert table_names("processed") == TABLES
    with pytest.raises(KeyError, match="no table 'notes'"):
        resource("notes")
    with pytest.raises(ValueError, match="one of the package's own"):
        registry.unregister("scores")
    assert schemas.schema("scores") is schemas.SCORES


def test_an_empty_table_has_its_columns_and_types():
    for spec in RESOURCES:
        assert spec_problems(spec, spec.empty()) == [], spec.name


# --- the cleaning's schemas ----------------------------------------------------------------------------------------

def test_the_schemas_cover_every_column_of_every_processed_table():
    assert set(schemas.SCHEMAS) == set(table_names("processed"))
    for spec in resources("processed"):
        assert list(schemas.SCHEMAS[spec.name].columns) == spec.column_names, spec.name
    assert list(schemas.REJECTS.columns) == ["source_file", "source_sheet", "source_row", "column", "value", "reason",
                                             "suggestion", "layout", "regency_id"]


def test_the_schemas_keep_the_checks_they_had(bundled_example):
    schemas.validate_tables(bundled_example)
    scores = bundled_example.scores
    with pytest.raises(pandera.errors.SchemaError, match="in_range"):
        schemas.SCORES.validate(scores.assign(score=scores["score"] + 5))
    with pytest.raises(pandera.errors.SchemaError, match="pillar or a dimension"):
        schemas.SCORES.validate(scores.assign(dimension_key="baseline"))
    regency_year = bundled_example.regency_year
    with pytest.raises(pandera.errors.SchemaError):
        schemas.REGENCY_YEAR.validate(pd.concat([regency_year, regency_year.head(1)], ignore_index=True))
    manifest = bundled_example.manifest
    with pytest.raises(pandera.errors.SchemaError, match="kept or rejected"):
        schemas.MANIFEST.validate(manifest.assign(rows_read=manifest["rows_read"] + 1))
    status = bundled_example.recommendation_status
    with pytest.raises(pandera.errors.SchemaError, match="isin"):
        schemas.RECOMMENDATION_STATUS.validate(status.assign(status="maybe"))


def test_every_column_of_rejects_is_checked(bundled_example):
    rejects = bundled_example.rejects
    with pytest.raises(pandera.errors.SchemaError, match="suggestion"):
        schemas.REJECTS.validate(rejects.drop(columns="suggestion"))
    with pytest.raises(pandera.errors.SchemaError, match="layout"):
        schemas.REJECTS.validate(rejects.assign(layout=None))
    with pytest.raises(SCHEMA_ERRORS, match="not in DataFrameSchema"):
        schemas.REJECTS.validate(rejects.assign(extra=1))
    with pytest.raises(SCHEMA_ERRORS, match="order|ordered"):
        schemas.REJECTS.validate(rejects[list(reversed(rejects.columns))])


# --- one place for each description --------------------------------------------------------------------------------

def test_a_field_of_the_workbook_takes_its_words_from_columns_csv():
    """A column ``data/columns.csv`` describes is not described again in ``fields.py``."""
    tree = ast.parse((METADATA / "fields.py").read_text(encoding="utf-8"))
    described = fields.workbook_descriptions()
    repeated = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_field" and node.args:
            name = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
            own = len(node.args) > 2 or any(k.arg == "description" for k in node.keywords)
            if own and name in described:
                repeated.append(name)
    assert repeated == []
    for name, description in described.items():
        if name in FIELDS:
            assert FIELDS[name].description == description


def test_a_table_of_the_workbook_takes_its_words_from_explore_tables_csv():
    from smartcity_utils.metadata.resources import workbook_table_descriptions

    for name, description in workbook_table_descriptions().items():
        if name in table_names():
            assert resource(name).description == description


def test_every_table_and_column_is_described_in_a_sentence_or_a_phrase():
    for spec in RESOURCES:
        assert spec.description and spec.description[0].isupper() and spec.description.endswith("."), spec.name
        for col in spec.columns:
            assert col.description and col.type in TYPES, f"{spec.name}.{col.name}"


# --- the data model ------------------------------------------------------------------------------------------------

def test_the_data_model_is_written_from_the_specifications():
    text = docs.DATA_MODEL.read_text(encoding="utf-8")
    assert docs.update(text) == text, f"docs/data_model.md is stale: run {docs.COMMAND}"
    keys = docs.block_keys(text)
    assert "tables" in keys and "analysis tables" in keys
    assert [k for k in keys if k.startswith("table ")] == [f"table {n}" for n in table_names("processed")]


def test_the_docs_command_writes_the_blocks_and_leaves_the_prose(tmp_path):
    page = tmp_path / "model.md"
    page.write_text("Prose before.\n\n<!-- BEGIN GENERATED table agencies -->\nSTALE\n"
                    "<!-- END GENERATED table agencies -->\n\nProse after.\n", encoding="utf-8")
    assert docs.main(["--check", "--file", str(page)]) == 1
    assert docs.main(["--file", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("Prose before.\n") and text.endswith("Prose after.\n") and "STALE" not in text
    assert "| `n_agencies` | `int64` |" in text
    assert docs.main(["--check", "--file", str(page)]) == 0


# --- the tables a report reads ---------------------------------------------------------------------------------

def test_every_table_a_report_reads_is_loaded_and_stamped(tmp_path_factory):
    folder = processed_example(tmp_path_factory)
    context = profile.load_context(folder)
    held = [f.name for f in dataclasses.fields(context) if f.name != "folder"]
    assert sorted(held) == sorted(profile.REPORT_TABLES)
    for name in held:
        assert resource(name).file(folder) in context.input_files, name
        assert spec_problems(resource(name), getattr(context, name)) == []
    assert profile.report_inputs(folder) == context.input_files
    assert all(p.is_file() for p in context.input_files)
