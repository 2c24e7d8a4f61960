"""The analysis pages (notebooks 01 to 04, as ``smartcity notebooks`` exports them) in each language: one
language per page, every word from the text store, no code, no pandas table, no print line."""

from __future__ import annotations

import re

import pytest
from fixtures.example_run import analysis_pages

from smartcity_utils.report.runner import ANALYSIS_NOTEBOOKS
from smartcity_utils.report.texts import LANGUAGES, texts

pytestmark = pytest.mark.slow

PAGES = [name.removesuffix(".ipynb") for name in ANALYSIS_NOTEBOOKS]


def _visible_text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r'<span class="free-text">.*?</span>', " ", body, flags=re.S)  # text as a panel wrote it
    body = re.sub(r"<code>.*?</code>", " ", body, flags=re.S)  # file names
    body = re.sub(r'src="data:[^"]*"', "", body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _foreign_fragments(lang: str, other: str) -> set[str]:
    """Phrases of the other language's texts (between placeholders) that the own language never uses."""
    own_all = " ".join(texts()[lang].values())
    fragments = set()
    for key, value in texts()[other].items():
        if value == texts()[lang][key]:
            continue
        for part in re.split(r"\{[^}]*\}", value):
            part = part.strip(" .,;:()[]·—–-\"'“”\n")
            if len(part) >= 8 and len(part.split()) >= 2 and part not in own_all:
                fragments.add(part)
    return fragments


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_analysis_page_speaks_one_language(tmp_path_factory, page, lang):
    html = (analysis_pages(tmp_path_factory, lang) / f"{page}.html").read_text(encoding="utf-8")
    other = next(code for code in LANGUAGES if code != lang)
    shown = _visible_text(html)
    assert re.search(rf'<html[^>]*\blang="{lang}"', html)
    assert texts()[lang][f"analysis_title_{page}"] in shown
    leaked = sorted(f for f in _foreign_fragments(lang, other) if f in shown)
    assert leaked == []
    # Nothing a programmer would print: no code, no pandas table or index column, no monospaced line.
    assert "<pre>" not in html and 'class="dataframe"' not in html and "input_area" not in html
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown.replace("smartcity_utils", "")
                         .replace("recommendation_keywords.csv", "").replace("data_model.md", "")
                         .replace("stress_drivers.py", "").replace("regency_aliases.csv", "")
                         .replace("recommendation_statuses.csv", "")), "snake_case on the page"
    assert "nan" not in shown.split() and "<NA>" not in shown


def test_indonesian_pages_write_the_decimal_comma(tmp_path_factory):
    shown = _visible_text((analysis_pages(tmp_path_factory, "id") / "03_pillar_drivers.html").read_text())
    assert re.search(r"\b0,\d\d \[\d,\d\d; \d,\d\d\]", shown)  # an estimate with its interval
    assert not re.search(r"\b\d\.\d\d\b", shown)
