"""The analysis pages (notebooks 01 to 04, as ``smartcity notebooks`` exports them) in each language: one
language per page, every word from the text store, no code, no pandas table, no print line."""

from __future__ import annotations

import re

import pytest
from fixtures.example_run import analysis_pages
from fixtures.pages import foreign_fragments, visible_text

from smartcity_utils.report.runner import ANALYSIS_NOTEBOOKS
from smartcity_utils.report.texts import LANGUAGES, texts

pytestmark = pytest.mark.slow

PAGES = [name.removesuffix(".ipynb") for name in ANALYSIS_NOTEBOOKS]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_analysis_page_speaks_one_language(tmp_path_factory, page, lang):
    html = (analysis_pages(tmp_path_factory, lang) / f"{page}.html").read_text(encoding="utf-8")
    other = next(code for code in LANGUAGES if code != lang)
    shown = visible_text(html, figures=False, code=False)
    assert re.search(rf'<html[^>]*\blang="{lang}"', html)
    assert texts()[lang][f"analysis_title_{page}"] in shown
    leaked = sorted(f for f in foreign_fragments(lang, other) if f in shown)
    assert leaked == []
    # Nothing a programmer would print: no code, no pandas table or index column, no monospaced line.
    assert "<pre>" not in html and 'class="dataframe"' not in html and "input_area" not in html
    # A column key or a code (snake_case) is no word; a path named for the reader (docs/data_model.md) may stay.
    snake = [w for w in re.findall(r"[\w./]+", shown) if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", w)]
    assert snake == []
    assert "nan" not in shown.split() and "<NA>" not in shown


def test_indonesian_pages_write_the_decimal_comma(tmp_path_factory):
    page = (analysis_pages(tmp_path_factory, "id") / "03_pillar_drivers.html").read_text(encoding="utf-8")
    shown = visible_text(page, figures=False, code=False)
    assert re.search(r"\b0,\d\d \[\d,\d\d; \d,\d\d\]", shown)  # an estimate with its interval
    assert not re.search(r"\b\d\.\d\d\b", shown)
