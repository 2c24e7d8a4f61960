"""The loaders of the processed and analysis tables: one folder rule, the tables each command writes."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from smartcity_utils import paths
from smartcity_utils.clean.assemble import Cleaned
from smartcity_utils.errors import MissingInputError
from smartcity_utils.metadata import layouts
from smartcity_utils.tables import (
    MEASUREMENT_INPUTS,
    PROCESSED_TABLES,
    load_analysis,
    load_measurement,
    load_processed,
    processed_folder,
    write_tables,
)


def test_the_processed_tables_are_those_the_cleaning_holds_in_its_order():
    built = set(layouts.table_builders())
    assert built == {"quick_wins", "published_facts", "agencies"}
    own = tuple(f.name for f in dataclasses.fields(Cleaned) if f.name != "built")
    assert own == tuple(name for name in PROCESSED_TABLES if name not in built)
    empty = pd.DataFrame()
    cleaned = Cleaned(*[empty] * len(own), built={name: pd.DataFrame({"n": [i]}) for i, name in enumerate(built)})
    assert tuple(cleaned.tables()) == PROCESSED_TABLES
    assert all(cleaned.tables()[name] is cleaned.built[name] is getattr(cleaned, name) for name in built)
    with pytest.raises(AttributeError, match="no attribute 'quick_win'"):
        cleaned.quick_win  # noqa: B018
    with pytest.raises(ValueError, match=r"builds \['scores'\] itself"):
        Cleaned(*[empty] * len(own), built={"scores": empty})


@pytest.mark.parametrize("given", [None, ""])
def test_no_folder_given_is_the_default_processed_folder(given):
    assert processed_folder(given) == paths.PROCESSED_DIR


def test_a_folder_given_is_that_folder(tmp_path):
    assert processed_folder(str(tmp_path)) == tmp_path


def test_load_processed_reads_the_tables_asked_for_and_their_hashes(tmp_path):
    write_tables({"scores": pd.DataFrame({"score": [2.5]}), "manifest": pd.DataFrame({"n": [1]})}, tmp_path)
    digests: dict[str, str] = {}
    tables = load_processed(tmp_path, ("scores",), digests=digests)
    assert list(tables) == ["scores"] and tables["scores"]["score"].tolist() == [2.5]
    assert list(digests) == ["scores"]


def test_a_missing_table_names_the_command_that_writes_it(tmp_path):
    with pytest.raises(MissingInputError, match="run `smartcity clean` first"):
        load_processed(tmp_path)
    with pytest.raises(MissingInputError, match="run `smartcity analyse` first"):
        load_analysis(tmp_path)


def test_load_measurement_reads_the_measurement_tables_from_the_analysis_folder(tmp_path):
    write_tables({name: pd.DataFrame({"x": [i]}) for i, name in enumerate(MEASUREMENT_INPUTS)},
                 paths.analysis_dir(tmp_path))
    tables = load_measurement(tmp_path)
    assert list(tables) == list(MEASUREMENT_INPUTS)
    assert [t["x"].iloc[0] for t in tables.values()] == list(range(len(MEASUREMENT_INPUTS)))
