"""The published record: its layout, a source and a quote on every row, and conflicting sources listed."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from smartcity_utils.analysis import record
from smartcity_utils.errors import ReferenceTableError

BASE = {"index": "GMSC_eval", "rank": "", "rank_of": "", "rank_scope": "", "quote_status": "quoted",
        "province": "", "kind": "", "year_uncertain": "false", "year_candidates": "", "group_uncertain": "false",
        "certainty": "", "origin": "test"}


def _write(tmp_path, rows, name="record.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(record.RECORD_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({**BASE, **row})
    return path


def _fact(region, year, value, url, metric="indeks_smart_city", **extra):
    return {"region": region, "year": str(year), "metric": metric, "value": value, "source_url": url,
            "quote": f"{region} {year}: {value}", **extra}


def test_bundled_record_has_the_layout_and_a_source_and_quote_on_every_row():
    raw = pd.read_csv(record.RECORD_FILE, dtype=str, keep_default_na=False)
    assert tuple(raw.columns) == record.RECORD_COLUMNS
    assert raw.columns[: len(record.FACT_COLUMNS)].tolist() == list(record.FACT_COLUMNS)
    assert raw["source_url"].str.match(r"https?://\S+$").all()
    quoted = raw["quote_status"] == "quoted"
    assert (raw.loc[quoted, "quote"].str.strip() != "").all()
    # A figure whose sentence is not in the stored page says so instead of carrying an invented quote.
    assert (raw.loc[~quoted, "quote"] == "").all() and (raw.loc[~quoted, "certainty"] != "").all()
    assert quoted.mean() > 0.9
    loaded = record.load_record()
    assert len(loaded) == len(raw) >= 150
    assert loaded.loc[loaded["year_num"].isna(), "year_uncertain"].all()


def test_bundled_record_keeps_every_fact_bundled_with_the_example():
    from smartcity_utils import paths

    facts = pd.read_csv(paths.EXAMPLE_RAW_DIR / "published_facts.csv", dtype=str, keep_default_na=False)
    raw = pd.read_csv(record.RECORD_FILE, dtype=str, keep_default_na=False)
    ours = set(zip(raw["year"], raw["metric"], raw["value"], raw["source_url"]))
    assert all((f.year, f.metric, f.value, f.source_url) in ours for f in facts.itertuples())


@pytest.mark.parametrize("bad, message", [
    pytest.param({"source_url": ""}, "no source address", id="no_source"),
    pytest.param({"quote": ""}, "quote is empty", id="quoted_without_quote"),
    pytest.param({"quote_status": "maybe"}, "quote status", id="unknown_status"),
    pytest.param({"year": ""}, "year is uncertain", id="year_missing_silently"),
])
def test_a_row_without_its_source_or_quote_is_refused(tmp_path, bad, message):
    path = _write(tmp_path, [{**_fact("Kota Kediri", 2022, "3.31", "https://a.example/1"), **bad}])
    with pytest.raises(ReferenceTableError, match=message):
        record.load_record(path)


def test_a_missing_column_is_refused(tmp_path):
    path = tmp_path / "record.csv"
    pd.DataFrame([_fact("Kota Kediri", 2022, "3.31", "https://a.example/1")]).to_csv(path, index=False)
    with pytest.raises(ReferenceTableError, match="missing columns"):
        record.load_record(path)


def test_an_unknown_regency_is_refused(tmp_path):
    path = _write(tmp_path, [_fact("Kota Antah Berantah", 2022, "3.31", "https://a.example/1")])
    with pytest.raises(ReferenceTableError, match="gazetteer does not know"):
        record.load_record(path)


def test_conflicts_are_listed_and_rounding_is_not_a_conflict(tmp_path):
    path = _write(tmp_path, [
        _fact("Kota Kediri", 2023, "3.20", "https://a.example/1"),
        _fact("Kota Kediri", 2023, "3.197", "https://b.example/2"),  # the same figure, more decimals
        _fact("Kabupaten Paser", 2022, "2.88", "https://a.example/3"),
        _fact("Kabupaten Paser", 2022, "2.98", "https://b.example/4"),  # a real conflict
        _fact("Kabupaten Tabalong", 2021, "2.98", "https://a.example/5"),
        _fact("Kabupaten Tabalong", 2021, "2.98", "https://b.example/6"),  # agreement: not listed
        {**_fact("Kota Bandung", "", "3.71", "https://a.example/7"), "year_uncertain": "true",
         "year_candidates": "2021;2022"},
        _fact("Kota Bandung", 2022, "3.88", "https://b.example/8"),
    ])
    found = record.conflicts(record.load_record(path)).set_index("region")
    assert found.loc["Kota Kediri", "status"] == "agrees_within_rounding"
    assert found.loc["Kabupaten Paser", "status"] == "conflict"
    assert {found.loc["Kabupaten Paser", "source_a"], found.loc["Kabupaten Paser", "source_b"]} == {
        "https://a.example/3", "https://b.example/4"}
    assert found.loc["Kota Bandung", "status"] == "possible_conflict"
    assert "Kabupaten Tabalong" not in found.index
    # Both conflicting values stay in the index table; the rounding pair keeps the more precise one.
    figures = record.index_figures(record.load_record(path))
    assert sorted(figures.loc[figures["region"] == "Kabupaten Paser", "index_value"]) == [2.88, 2.98]
    assert figures.loc[figures["region"] == "Kota Kediri", "index_value"].tolist() == [3.197]


def test_bundled_record_conflicts():
    found = record.conflicts(record.load_record())
    statuses = dict(zip(found["region"], found["status"]))
    assert statuses["Kota Makassar"] == "conflict"  # IMD 2024: 114 on one page, 115 on another
    assert statuses["Kota Kediri"] == "agrees_within_rounding"  # 3.20 and 3.197 for 2023
    assert statuses["Kota Bandung"] == "possible_conflict"  # 3.71 of an unstated year against 3.88 in 2022


def test_regency_years_with_an_index_by_year():
    counts = record.regency_years_by_year(record.load_record()).set_index("year")["n_regency_years"]
    assert counts.sum() == len(record.index_figures(record.load_record()).drop_duplicates(["regency_id", "year"]))
    assert counts[2021] >= 9 and counts[2023] >= 9


@pytest.mark.parametrize("region, year, computed", [
    pytest.param("Kota Kediri", 2022, 3.315, id="kediri_2022"),
    pytest.param("Kota Jambi", 2024, 3.475, id="jambi_2024"),
])
def test_published_indexes_are_reproduced_by_the_2021_letter_weights_only(region, year, computed):
    check = record.method_check(record.load_record())
    check = check[(check["region"] == region) & (check["year"] == year)].set_index("weight_set")
    assert check.loc["10/20/30/20/20", "reproduces"]
    assert check.loc["10/20/30/20/20", "computed"] == pytest.approx(computed)
    assert not check.loc["10/20/30/30/10", "reproduces"] and not check.loc["mean", "reproduces"]


def test_a_published_ranking_of_a_whole_group_keeps_its_ranks_and_size():
    figures = record.index_figures(record.load_record())
    letter = figures[(figures["year"] == 2024) & (figures["rank_of"] == 50)].sort_values("rank")
    assert letter["rank"].tolist() == list(range(1, 11))
    assert letter["index_value"].is_monotonic_decreasing


def test_selection_counts_published_against_evaluated():
    table = record.selection(record.load_record()).set_index("year")
    assert table.loc[2024, "n_evaluated"] == 241
    assert table.loc[2021, "share_published"] == pytest.approx(table.loc[2021, "n_published"] / 100)
    # Tabalong 2023 is 8th of 130 and first in its province: one regency, counted once (with Luwu Utara, first).
    assert table.loc[2023, "n_top10_or_first"] == 2


def test_cohort_selections_in_the_reference_table_agree_with_the_record():
    from smartcity_utils import reference as ref

    sizes = ref.read_reference("cohort_sizes.csv")
    raw = pd.read_csv(record.RECORD_FILE, dtype=str, keep_default_na=False)
    selections = raw[raw["metric"] == "assessed_vs_selected"].set_index("year")["value"]
    checked = 0
    for row in sizes.itertuples():
        if row.n_assessed:
            assessed, selected = (int(part.split()[0]) for part in selections[row.cohort_year].split(", "))
            assert (assessed, selected) == (int(row.n_assessed), int(row.n_regencies)), row.cohort_year
            assert row.source_url.startswith("http")
            checked += 1
    assert checked == 4
