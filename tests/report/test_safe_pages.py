"""Pages are safe to open and share: only http(s) addresses become links, and no script runs but the index's own."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fixtures.browser_check import require_chromium

from smartcity_utils.report import browser, narrative
from smartcity_utils.report.index_page import _INDEX_JS, INDEX_CSP, write_index
from smartcity_utils.report.page import PAGE_CSP, link_html, page_html, script_hash
from smartcity_utils.report.tables import format_cell, published_table

HOSTILE = "javascript://example.org/%0aalert(document.domain)"


@pytest.mark.parametrize("url, linked", [
    pytest.param("https://kominfo.go.id/berita/1", True, id="https"),
    pytest.param("http://pelitasumsel.com/2022/01/14/x", True, id="http"),
    pytest.param(" https://kominfo.go.id ", True, id="spaces_around"),
    pytest.param(HOSTILE, False, id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", False, id="javascript_mixed_case"),
    pytest.param("java\tscript:alert(1)", False, id="javascript_with_tab"),
    pytest.param("data:text/html,<script>alert(1)</script>", False, id="data"),
    pytest.param("file:///etc/passwd", False, id="file"),
    pytest.param("https:alert(1)", False, id="no_host"),
])
def test_only_http_and_https_become_links(url, linked):
    out = link_html(url)
    assert out.startswith("<a ") is linked
    assert "<script" not in out


def test_an_address_with_a_quote_cannot_leave_its_attribute():
    out = link_html('https://x.org/" onmouseover="alert(1)')
    assert re.fullmatch(r'<a href="[^"]*">[^<]*</a>', out) and "&quot;" in out


def test_a_hostile_source_of_published_facts_is_shown_as_text_in_every_page():
    facts = pd.DataFrame({"year": [2022, 2022], "metric": ["indeks_smart_city"] * 2, "value": [2.88, 2.88],
                          "rank": [8, 8], "rank_of": [37, 37], "source_url": [HOSTILE, "https://kominfo.go.id/x"]})
    cell = format_cell(HOSTILE, "link", "id")
    assert "<a" not in cell and "javascript:" in cell
    table = published_table(facts, "en").to_html()
    assert table.count("<a ") == 1 and 'href="https://kominfo.go.id/x"' in table
    sources = pd.DataFrame({"region": ["Kabupaten Paser", "Kota Kediri"], "years": ["2022", "2022"],
                            "source_url": [HOSTILE, "https://kominfo.go.id/x"]})
    methods = narrative.methods_html("en", 1000, "ols", sources)._repr_html_()
    assert methods.count("<a ") == 1 and "javascript://example.org/%0aalert(document.domain)</li>" in methods


def test_every_page_forbids_scripts_and_loads_nothing():
    page = page_html("<h1>Kabupaten Paser</h1>", "id")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert policy == PAGE_CSP
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'none'"
    assert directives["img-src"] == "data:" and directives["base-uri"] == "'none'"
    assert page.index("Content-Security-Policy") < page.index("<title>")


def test_the_index_runs_its_own_script_and_no_other(tmp_path):
    index = write_index(tmp_path, []).read_text(encoding="utf-8")
    assert f"content=\"{INDEX_CSP}\"" in index and f"<script>{_INDEX_JS}</script>" in index
    assert f"script-src {script_hash(_INDEX_JS)};" in INDEX_CSP
    assert INDEX_CSP.replace(f"script-src {script_hash(_INDEX_JS)}", "script-src 'none'") == PAGE_CSP


def test_a_script_slipped_into_a_page_does_not_run_in_a_browser(tmp_path):
    require_chromium()
    page = tmp_path / "page.html"
    page.write_text(page_html('<h1>Kabupaten Paser</h1><p id="p">safe</p>'
                              "<script>document.getElementById('p').textContent = 'ran'</script>"
                              '<img id="i" src="http://127.0.0.1:9/track.png" onerror="document.title=\'ran\'">',
                              "id"), encoding="utf-8")
    dom = browser._run(["--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri()]).stdout
    assert '<p id="p">safe</p>' in dom and "<title>Kabupaten Paser</title>" in dom
