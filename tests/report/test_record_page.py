"""The page of the published record (notebook 06): real figures only, readable in each language, every row sourced."""

from __future__ import annotations

import re

import pytest
from fixtures.pages import foreign_fragments

from smartcity_utils.report import record
from smartcity_utils.report.texts import LANGUAGES


@pytest.fixture(scope="module")
def page():
    return record.build(n_boot=50)


TABLES = ["counts_table", "index_table", "provincial_table", "trajectory_table", "predicates_table", "awards_table",
          "method_table", "reproduction_table", "conflicts_table", "association_table", "publishers_table"]
SOURCED = {"index_table", "provincial_table", "trajectory_table", "predicates_table", "awards_table",
           "conflicts_table"}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", TABLES)
def test_tables_speak_one_language_and_link_every_row(page, name, lang):
    table = getattr(record, name)(page, lang)
    assert len(table) > 0
    shown = re.sub(r"<[^>]+>", " ", table.to_html())
    snake = [w for w in re.findall(r"[\w./]+", shown) if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", w)]
    assert snake == [] and "nan" not in shown.split() and "<NA>" not in shown
    other = next(code for code in LANGUAGES if code != lang)
    assert sorted(f for f in foreign_fragments(lang, other) if f in shown) == []
    if name in SOURCED:
        assert all('href="http' in "".join(row) for row in table.rows), name
    if lang == "id":
        assert not re.search(r"\b\d\.\d\d\b", shown)  # the decimal comma


def test_sentences_fill_every_number(page):
    for lang in LANGUAGES:
        for block in (record.intro(page, lang), record.missing_text(page, lang), record.association_text(page, lang),
                      record.closing_counts(page, lang)):
            assert "{" not in block.plain and "nan" not in block.plain.split()
    closing = record.closing_counts(page, "en").plain
    assert f"In all: {int(page.counts['n_regency_years'].sum())}." in closing


def test_banner_says_real_and_the_figure_is_unstamped(page):
    assert 'class="real-banner"' in record.banner("en").markup
    fig = record.trajectory_figure(page, "en")
    assert not any("SIMUL" in t.get_text().upper() for t in fig.texts)


def test_outputs_are_marked_real(page, tmp_path):
    from smartcity_utils.tables import save_outputs

    written = save_outputs(tmp_path, record.outputs(page), simulated=False)
    assert written and all("False" in p.read_text(encoding="utf-8").splitlines()[1] for p in written
                           if p.read_text(encoding="utf-8").count("\n") > 1)
