"""The bundled example data: every deliberate fault accounted for, published facts reproduced."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcity_utils import reference as ref
from smartcity_utils import regencies
from smartcity_utils.analysis.quality import published_reproduction
from smartcity_utils.paths import EXAMPLE_TRUTH_DIR

#: Fault kinds the simulator plants, and the reject reason each must produce.
REJECTED_AS = {
    "superseded": "superseded", "footnote_row": "footnote_row", "blank_row": "blank_row",
    "out_of_range": "out_of_range", "regency_misspelling": "unknown_regency", "unknown_regency": "unknown_regency",
    "duplicate_row": "duplicate_row", "subtotal_row": "subtotal_row", "unknown_status": "unknown_status",
}
#: Fault kinds the vocabularies resolve: the value must be kept, not rejected.
RESOLVED = {"regency_variant", "pillar_variant", "dimension_variant", "decimal_comma_text", "status_variant"}


@pytest.fixture(scope="module")
def bundled(bundled_example):
    return bundled_example


@pytest.fixture(scope="module")
def faults():
    return pd.read_csv(EXAMPLE_TRUTH_DIR / "simulation_faults.csv", keep_default_na=False,
                       dtype={"sheet": str, "row": int})


#: Fault kinds that are no reject: a cell left empty (or ``-``, ``n/a``) is counted per file and column in
#: the manifest (``values_missing``).
COUNTED = {"missing"}


def test_fault_list_covers_the_fault_kinds(faults):
    assert set(faults["fault"]) <= set(REJECTED_AS) | RESOLVED | COUNTED
    assert {"regency_misspelling", "unknown_regency", "out_of_range", "duplicate_row", "superseded",
            "decimal_comma_text", "pillar_variant", "regency_variant", "subtotal_row"} <= set(faults["fault"])


def test_every_planted_rejection_is_in_rejects(bundled, faults):
    rejects = bundled.rejects
    keys = set(zip(rejects.source_file, rejects.source_sheet, rejects.source_row, rejects.reason))
    planted = faults[faults["fault"].isin(list(REJECTED_AS))]
    missing = [f for f in planted.itertuples() if (f.file, f.sheet, f.row, REJECTED_AS[f.fault]) not in keys]
    assert not missing, missing[:5]
    unknown = rejects[rejects.reason == "unknown_regency"]
    assert (unknown["suggestion"] != "").all()
    assert not (rejects["reason"] == "missing").any(), "an empty cell of a kept row is counted, not rejected"
    misspelt = planted[planted.fault == "regency_misspelling"]
    for f in misspelt.itertuples():
        suggestion = unknown.loc[(unknown.source_file == f.file) & (unknown.source_row == f.row), "suggestion"]
        assert regencies.regency_resolver().resolve(f.value).regency_id is None
        assert suggestion.str.contains("Kabupaten").all()


def test_no_reject_that_was_not_planted(bundled, faults):
    planted = set(zip(faults.file, faults.sheet, faults.row)) | _set_aside_by_published(bundled)
    real = bundled.regency_year.loc[~bundled.regency_year["is_simulated"], ["regency", "year"]]
    assert set(map(tuple, real.to_numpy().tolist())) == set(
        map(tuple, bundled.published_facts.query("index == 'GMSC_eval'")[["region", "year"]].drop_duplicates()
            .to_numpy().tolist()))
    extra = bundled.rejects[[(f, s, r) not in planted for f, s, r in
                             zip(bundled.rejects.source_file, bundled.rejects.source_sheet,
                                 bundled.rejects.source_row)]]
    assert extra.empty, extra.head()


def test_planted_empty_cells_are_counted_once_per_file(bundled, faults):
    planted = faults[faults["fault"] == "missing"]
    assert len(planted) >= 3
    counted = {}
    for row in bundled.manifest.itertuples():
        for item in filter(None, row.values_missing.split("; ")):
            column, n = item.rsplit(" ", 1)
            counted[row.source_file] = counted.get(row.source_file, 0) + int(n)
    for file, block in planted.groupby("file"):
        # Every planted empty cell is counted; a real export may leave more cells empty than were planted.
        assert counted.get(file, 0) >= len(block), (file, counted.get(file), len(block))


def _set_aside_by_published(bundled) -> set[tuple[str, str, int]]:
    """Rows set aside because a real published figure holds for their regency-year."""
    rejects = bundled.rejects
    aside = rejects[rejects["reason"] == "set_aside_simulated"]
    return set(zip(aside.source_file, aside.source_sheet, aside.source_row))


def test_resolved_variants_are_kept(bundled, faults):
    rejects = bundled.rejects
    rejected_rows = set(zip(rejects.source_file, rejects.source_sheet, rejects.source_row, rejects.column))
    scores = bundled.scores
    for f in faults[faults["fault"].isin(RESOLVED)].itertuples():
        if f.fault == "decimal_comma_text":
            at = scores[(scores.source_file == f.file) & (scores.source_sheet == f.sheet)
                        & (scores.source_row == f.row)]
            if f.file.startswith("quick_win"):
                qw = bundled.quick_wins
                at = qw[(qw.source_file == f.file) & (qw.source_row == f.row)]
                assert (at["score_outcome"] == float(f.value.replace(",", "."))).all() and len(at) == 1
            else:
                assert (at["score"].round(6) == float(f.value.replace(",", "."))).any(), f
        elif f.fault == "regency_variant":
            expected = regencies.regency_resolver().name(regencies.regency_resolver().resolve(f.value).regency_id)
            at = scores[(scores.source_file == f.file) & (scores.source_sheet == f.sheet)]
            if f.column != "Kabupaten/Kota:":
                at = at[at.source_row == f.row]
            assert len(at) and (at["regency"] == expected).all(), f
        elif f.fault == "status_variant":  # a follow-up status spelt another way: kept as its status
            status = bundled.recommendation_status
            at = status[(status.source_file == f.file) & (status.source_sheet == f.sheet)
                        & (status.source_row == f.row)]
            assert at["status"].tolist() == [ref.recommendation_statuses()[f.value.casefold()]], f
        else:  # a header or a pillar cell spelt another way
            assert not any((f.file, f.sheet, f.row, c) in rejected_rows for c in ("pillar", "dimension")), f
    years_with_all_pillars = bundled.regency_year.groupby("year")[list(ref.PILLAR_KEYS)].count()
    assert (years_with_all_pillars > 0).all().all()


def test_published_facts_reproduced(bundled):
    check = published_reproduction(bundled.regency_year, bundled.published_facts)
    assert len(check) >= 20
    assert check["matches"].all(), check[~check["matches"]]
    paser = check.query("regency == 'Kabupaten Paser' and year == 2022").iloc[0]
    assert (paser["in_data"], paser["rank_in_data"]) == (2.88, 8)
    # The published figure itself is Paser's 2022 row: real, with its rank's group size, and no
    # simulated pillar beside it.
    row = bundled.regency_year.set_index(["regency", "year"]).loc[("Kabupaten Paser", 2022)]
    assert not row["is_simulated"] and row["source_layout"] == "published"
    assert (row["rank_reported"], row["rank_of"]) == (8, 37)
    assert row[list(ref.PILLAR_KEYS)].isna().all()


def test_bundled_rows_are_simulated_except_published(bundled):
    ry = bundled.regency_year
    assert (ry["is_simulated"] == (ry["source_layout"] != "published")).all()
    assert (bundled.scores["is_simulated"] == (bundled.scores["layout"] != "published")).all()
    assert not bundled.published_facts["is_simulated"].any()


def test_focus_regencies_in_their_cohorts(bundled):
    reg = bundled.regencies.set_index("regency")
    for name, cohort in [("Kabupaten Kutai Kartanegara", 2017), ("Kabupaten Paser", 2021),
                         ("Kabupaten Kotawaringin Timur", 2022)]:
        assert reg.loc[name, "cohort_year"] == cohort
    sizes = bundled.regencies.dropna(subset=["cohort_year"]).groupby("cohort_year").size()
    expected = pd.read_csv(ref.REFERENCE_DIR / "cohort_sizes.csv").set_index("cohort_year")["n_regencies"]
    assert sizes.to_dict() == expected.to_dict()


# --------------------------------------------------------------------------- groups as the letters give them


@pytest.fixture(scope="module")
def ranked(bundled):
    """The example's regency-years with the headline index and the rank computed in whole groups."""
    from smartcity_utils.analysis.index import index_table

    return index_table(bundled.regency_year)


def _published_ranks() -> pd.DataFrame:
    from smartcity_utils.paths import EXAMPLE_RAW_DIR

    facts = pd.read_csv(EXAMPLE_RAW_DIR / "published_facts.csv")
    return facts[(facts["index"] == "GMSC_eval") & (facts["metric"] == "indeks_smart_city")]


def test_every_example_regency_year_lies_in_a_whole_group_with_a_rank(ranked):
    assert ranked["evaluation_group"].notna().all(), ranked.loc[ranked["evaluation_group"].isna(),
                                                                 ["regency", "year"]]
    loaded = ranked.groupby(["year", "evaluation_group"])["regency_id"].transform("size")
    assert (ranked["group_size"] == loaded).all()
    assert ranked["group_complete"].all() and ranked["rank_computed"].notna().all()
    # Real rows stay real: the published regency-years are the real rows, and they sit in the groups of the
    # simulated rows of their year (a real row with no stated group joins the group that holds its cohort).
    real = ranked[~ranked["is_simulated"]]
    assert len(real) == len(_published_ranks().drop_duplicates(["region", "year"]))
    simulated_groups = set(zip(ranked.loc[ranked["is_simulated"], "year"],
                               ranked.loc[ranked["is_simulated"], "evaluation_group"]))
    assert set(zip(real["year"], real["evaluation_group"])) <= simulated_groups


def test_example_groups_agree_with_the_published_facts(ranked):
    """Every published rank of the example is the rank computed in its group, in a group of the published size."""
    rows = ranked.set_index(["regency", "year"])
    checked = 0
    for fact in _published_ranks().itertuples():
        row = rows.loc[(fact.region, fact.year)]
        assert row["final_score"] == pytest.approx(fact.value), fact
        if pd.notna(fact.rank):
            assert row["rank_computed"] == fact.rank, (fact.region, fact.year, row["rank_computed"])
            checked += 1
        if pd.notna(fact.rank_of):
            assert row["group_size"] == fact.rank_of, (fact.region, fact.year, row["evaluation_group"])
    assert checked == 3  # Paser 2022 (8 of 37), Kota Kediri 2022 (22nd), Tabalong 2023 (8 of 130)
    paser = rows.loc[("Kabupaten Paser", 2022)]
    assert (paser["evaluation_group"], paser["group_size"], paser["rank_computed"]) == ("Angkatan 2021", 37, 8)
    kediri = rows.loc[("Kota Kediri", 2022)]
    # Kota Kediri's letter gives no group size: its group is a simulated one, whose size its rank never takes.
    assert kediri["group_complete"] and pd.isna(kediri["rank_of"])


def test_example_2024_groups_are_the_documented_letters(bundled, ranked):
    documented = ref.evaluation_groups().query("year == 2024")
    year = ranked[ranked["year"] == 2024]
    sizes = year.groupby("evaluation_group").size().to_dict()
    assert sizes == dict(zip(documented["evaluation_group"], documented["n_members"]))
    for group in documented.itertuples():
        members = year[year["evaluation_group"] == group.evaluation_group]
        assert members["cohort_year"].between(group.cohort_from, group.cohort_to).all()
    # The simulated register does not repeat (or contradict) a documented group.
    groups = bundled.evaluation_groups
    assert not groups[(groups["year"] == 2024) & groups["is_simulated"]].shape[0]
