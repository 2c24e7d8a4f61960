"""The reports' index page: every report present, sortable and filterable, offline, in the reader's language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smartcity_utils.report import index_page, runner
from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report.texts import texts

REPORT_NB = Path(__file__).resolve().parents[1] / "fixtures" / "report_fixture.ipynb"


class _Page(HTMLParser):
    """Rows of the reports table (their data attributes and cell texts), links, scripts and sources."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.headings: list[str] = []
        self.options: dict[str, list[str]] = {}
        self._in: str | None = None
        self._filter: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and any(k.startswith("data-") for k in attrs):
            self.rows.append({"data": {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}, "cells": []})
        elif tag == "td" and self.rows:
            self.rows[-1]["cells"].append("")
            self._in = "td"
        elif tag == "th":
            self.headings.append("")
            self._in = "th"
        elif tag == "a":
            self.hrefs.append(attrs["href"])
        elif tag == "select":
            self._filter = attrs["data-filter"]
            self.options[self._filter] = []
        elif tag == "option" and self._filter:
            self.options[self._filter].append(attrs["value"])
        for key in ("src", "href"):
            if tag in ("script", "link", "img", "iframe") and attrs.get(key):
                self.sources.append(attrs[key])

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in = None
        elif tag == "select":
            self._filter = None

    def handle_data(self, data):
        if self._in == "td":
            self.rows[-1]["cells"][-1] += data
        elif self._in == "th":
            self.headings[-1] += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _report(folder: Path, stem: str, **figures) -> None:
    """The files a rendered report leaves: page, executed notebook and its headline figures."""
    (folder / f"{stem}.html").write_text("<html></html>", encoding="utf-8")
    (folder / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
    (folder / f"{stem}.summary.json").write_text(json.dumps(figures), encoding="utf-8")


@pytest.fixture()
def folder(tmp_path) -> Path:
    _report(tmp_path, "kabupaten-paser.id", regency="Kabupaten Paser", lang="id", year=2023,
            province="Kalimantan Timur",
            cohort_year=2021, evaluation_group="Kabupaten", final_score=3.17, rank=15, n_in_group=130,
            percentile_in_group=89, simulated=True)
    _report(tmp_path, "kabupaten-paser.en", regency="Kabupaten Paser", lang="en", year=2023,
            province="Kalimantan Timur",
            cohort_year=2021, evaluation_group="Kabupaten", final_score=3.17, rank=15, n_in_group=130,
            percentile_in_group=89, simulated=True)
    _report(tmp_path, "kota-kediri.id", regency="Kota Kediri", lang="id", year=2023, province="Jawa Timur",
            cohort_year=2017, evaluation_group="Kota", final_score=3.31, rank=4, n_in_group=98,
            percentile_in_group=97, simulated=False)
    (tmp_path / "kota-gagal.id.failed.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "kota-x.id.tmp.ipynb").write_text("{}", encoding="utf-8")  # a render in progress
    (tmp_path / ".browser-check-1.html").write_text("", encoding="utf-8")
    return tmp_path


def test_index_lists_every_report_present_whatever_the_run_wrote(folder):
    # The run rendered one report; the others in the folder stay listed, in both languages.
    rows = [{"regency": "Kota Kediri", "slug": "kota-kediri.id", "lang": "id", "status": "ok",
             "html": "kota-kediri.id.html"}]
    page = _parse(index_page.write_index(folder, rows, lang="en"))
    assert len(page.rows) == 4
    assert {"kabupaten-paser.id.html", "kabupaten-paser.en.html", "kota-kediri.id.html",
            "kota-gagal.id.failed.ipynb"} <= set(page.hrefs)
    assert not [h for h in page.hrefs if "tmp" in h or h.startswith(".")]
    assert all((folder / href).is_file() for href in page.hrefs)


def test_index_rows_carry_what_the_filters_and_sorting_read(folder):
    page = _parse(index_page.write_index(folder, lang="en"))
    by_lang = {(r["cells"][0].split(" ")[1], r["data"]["lang"]): r for r in page.rows}
    paser = by_lang[("Paser", "id")]
    assert paser["data"] == {"province": "Kalimantan Timur", "cohort": "2021", "group": "Kabupaten", "lang": "id",
                             "score": "3.17"}
    assert "15 of 130" in paser["cells"] and "3.17" in paser["cells"] and "89" in paser["cells"]
    # Every filter offers exactly the values present, after "all" (the empty value).
    assert page.options["province"] == ["", "Jawa Timur", "Kalimantan Timur"]
    assert page.options["cohort"] == ["", "2017", "2021"]
    assert page.options["group"] == ["", "Kabupaten", "Kota"]
    assert page.options["lang"] == ["", "en", "id"]
    text = (folder / "index.html").read_text(encoding="utf-8")
    assert 'data-filter="min"' in text and 'data-filter="max"' in text  # the score range
    assert len(page.headings) == len(page.rows[0]["cells"])  # each column has a heading to sort by


def test_index_badges_only_simulated_and_failed_reports(folder):
    page = _parse(index_page.write_index(folder, lang="en"))
    badge = texts()["en"]["index_badge_simulated"]
    flagged = {r["cells"][0].split(" ")[1] + "." + r["data"]["lang"] for r in page.rows if badge in r["cells"][0]}
    assert flagged == {"Paser.id", "Paser.en"}
    failed = [r for r in page.rows if texts()["en"]["index_badge_failed"] in r["cells"][0]]
    assert [r["cells"][0].split(" ")[0] for r in failed] == ["kota-gagal.id"]
    assert texts()["en"]["index_banner"] in (folder / "index.html").read_text(encoding="utf-8")

    for stem in ("kabupaten-paser.id", "kabupaten-paser.en"):
        (folder / f"{stem}.summary.json").unlink()
    assert texts()["en"]["index_banner"] not in index_page.write_index(folder).read_text(encoding="utf-8")


def test_index_works_offline_in_the_readers_language(folder):
    for lang in ("id", "en"):
        path = index_page.write_index(folder, lang=lang)
        page, text = _parse(path), path.read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in text
        assert page.sources == []  # no script, style sheet or image from anywhere
        assert not re.search(r"https?://|//cdn|@import", text)
        assert page.headings[0] == texts()[lang]["index_col_regency"]
        other = "en" if lang == "id" else "id"
        assert texts()[other]["col_rank"] not in page.headings
        visible = re.sub(r"<(script|style)>.*?</\1>|<[^>]+>", " ", text, flags=re.S)
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", visible)  # no programmer names for the reader


def test_index_names_the_national_analyses_readably(folder):
    (folder / "analysis").mkdir()
    (folder / "analysis" / "02_compare_cohorts.html").write_text("<html></html>", encoding="utf-8")
    page = _parse(index_page.write_index(folder, lang="id"))
    assert "analysis/02_compare_cohorts.html" in page.hrefs
    text = (folder / "index.html").read_text(encoding="utf-8")
    # Named in the page's language (the analysis page's own title), not by its English file name.
    assert ">02 · Daerah dibandingkan angkatannya</a>" in text and texts()["id"]["index_national"] in text
    (folder / "analysis" / "05_someday.html").write_text("<html></html>", encoding="utf-8")
    index_page.write_index(folder, lang="en")
    english = (folder / "index.html").read_text(encoding="utf-8")
    assert ">02 · Regencies against their cohorts</a>" in english and ">05 someday</a>" in english


def test_rendering_one_report_never_unlists_the_others(tmp_path):
    first = report_jobs.plan_reports([(1, "Kota Kediri"), (2, "Kab. Paser")], 2023, "id", tmp_path)
    assert runner.render_reports(first, REPORT_NB, workers=1, progress=False).ok == 2
    english = report_jobs.plan_reports([(1, "Kota Kediri")], 2023, "en", tmp_path)
    summary = runner.render_reports(english, REPORT_NB, workers=1, progress=False)
    assert summary.ok == 1
    hrefs = _parse(summary.index).hrefs
    for job in first + english:
        assert job.html.name in hrefs
    # The Indonesian report of the same regency is still there, untouched by the English one.
    assert first[0].html.is_file() and first[0].html != english[0].html


def test_a_published_rank_is_marked_as_published_and_a_comparison_keeps_its_page_name(tmp_path):
    _report(tmp_path, "kota-kediri.en", regency="Kota Kediri", lang="en", year=2022, final_score=3.31, rank=22,
            n_in_group=None, rank_kind="published", simulated=False)
    _report(tmp_path, "kabupaten-paser.en", regency="Kabupaten Paser", lang="en", year=2022, final_score=2.88,
            rank=8, n_in_group=37, rank_kind="published", simulated=False)
    _report(tmp_path, "compare-kukar-paser.en", regency="Kabupaten Kutai Kartanegara · Kabupaten Paser", lang="en",
            kind="comparison", year=2023, simulated=False)
    # The run's own row names the comparison by its job; the page's name stands.
    rows = [{"regency": "compare Kukar Paser", "slug": "compare-kukar-paser.en", "lang": "en", "status": "ok"}]
    page = _parse(index_page.write_index(tmp_path, rows, lang="en"))
    cells = {row["cells"][0].strip(): row["cells"] for row in page.rows}
    assert "22 (published)" in cells["Kota Kediri"] and "8 of 37 (published)" in cells["Kabupaten Paser"]
    assert "Kabupaten Kutai Kartanegara · Kabupaten Paser" in cells and "compare Kukar Paser" not in cells


def test_a_percentile_of_62_5_is_63_on_the_index_as_in_the_report(tmp_path):
    # Input: a history whose percentile is 62.5 and whose index is 2.875. Expected: 63 and 2,88 on an
    # Indonesian index page, exactly what the report prints (one rounding rule, half up; the decimal comma).
    import pandas as pd

    from smartcity_utils.report import numbers, profile

    history = pd.DataFrame({"year": [2023], "final_score": [2.875], "rank_computed": [4.0], "rank_reported": [None],
                            "n_in_group": [9.0], "percentile_in_group": [62.5], "rank_p05": [2.5],
                            "rank_p95": [6.5], "evaluation_group": ["Nasional"], "is_simulated": [True]})
    figures = profile.headline_figures(history, 2023, lang="id")
    assert figures["percentile_in_group"] == 63 and figures["rank_p05"] == 3 and figures["rank_p95"] == 7
    assert numbers.fmt_pct(62.5) == "63"
    _report(tmp_path, "kota-x.id", regency="Kota X", **figures)
    page = _parse(index_page.write_index(tmp_path, lang="id"))
    cells = page.rows[0]["cells"]
    assert "63" in [c.strip() for c in cells] and "2,88" in [c.strip() for c in cells]
