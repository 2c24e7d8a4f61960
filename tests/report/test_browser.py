"""Rendered reports checked in a real browser: headless Chromium (Debian's ``chromium`` package).

Without Chromium these tests skip on a workstation, but fail under ``make test``
(which installs it, and sets SMARTCITY_REQUIRE_BROWSER) and in CI (``CI`` set).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.browser_check import require_chromium
from fixtures.example_run import analysis_pages, processed_example

from smartcity_utils import commands
from smartcity_utils.report import browser
from smartcity_utils.report.page import script_hash
from smartcity_utils.report.runner import ANALYSIS_NOTEBOOKS
from smartcity_utils.report.texts import LANGUAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAYOUTS = {
    "screen-1280px": {"width": browser.SCREEN[0]},
    "print-a4": {"width": browser.A4_TEXT_WIDTH_PX, "print_layout": True},
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    require_chromium()
    processed = processed_example(tmp_path_factory)
    out = tmp_path_factory.mktemp("browser-reports")
    for lang in ("id", "en"):
        assert commands.report(["Paser"], lang=lang, workers=1, out_dir=str(out), progress=False,
                               processed_dir=str(processed)) == 0
    return out


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_fits_loads_and_shows_the_banner_first(reports, lang, layout):
    result = browser.check_page(reports / f"kabupaten-paser.{lang}.html", **LAYOUTS[layout])
    assert result["viewport"][0] == LAYOUTS[layout]["width"]
    assert not result["overflow"], result["wide_elements"]
    # Every figure the page holds is shown (the pillar chart only where the data hold the whole cohort).
    figures = (reports / f"kabupaten-paser.{lang}.html").read_text(encoding="utf-8").count("<img ")
    assert figures >= 1 and len(result["images"]) == figures, result["images"]
    assert all(image["loaded"] for image in result["images"]), result["images"]
    assert result["banner_visible"] and result["banner_top"] < 100, result
    assert result["lang"] == lang and result["scripts"] == 0


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", [name.removesuffix(".ipynb") for name in ANALYSIS_NOTEBOOKS])
def test_analysis_page_fits_loads_and_shows_the_banner_first(tmp_path_factory, page, lang, layout):
    require_chromium()
    result = browser.check_page(analysis_pages(tmp_path_factory, lang) / f"{page}.html", **LAYOUTS[layout])
    assert not result["overflow"], result["wide_elements"]  # no column running off the page
    assert all(image["loaded"] for image in result["images"]), result["images"]
    assert result["banner_visible"] and result["banner_top"] < 100, result
    assert result["lang"] == lang and result["scripts"] == 0


def test_the_check_sees_overflow_broken_images_and_a_hidden_banner(tmp_path):
    require_chromium()
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><body><div style="height:2000px">tall</div>'
        '<div class="simulated-banner">SIMULATED</div><table style="width:3000px"><tr><td>wide</td></tr></table>'
        '<img src="missing.png" alt="gone"></body></html>', encoding="utf-8")
    result = browser.check_page(page)
    assert result["overflow"] and result["scroll_width"] >= 3000
    assert [image["loaded"] for image in result["images"]] == [False]
    assert result["banner_present"] and not result["banner_visible"]


def test_index_filters_and_sorts_in_the_browser(reports):
    require_chromium()
    index = reports / "index.html"
    # Both languages of Paser are listed; filtering by language leaves one.
    script = """<script>window.addEventListener('load', function () {
      var select = document.querySelector('[data-filter=lang]'); select.value = 'en';
      select.dispatchEvent(new Event('input'));
      var shown = document.getElementById('shown').textContent;
      var th = document.querySelectorAll('#reports th')[1]; th.click();
      var first = document.querySelector('#reports tbody tr').dataset.lang;
      th.click();
      var after = document.querySelector('#reports tbody tr').dataset.lang;
      var out = document.createElement('pre'); out.id = 'probe'; out.textContent = [shown, first, after].join(',');
      document.body.appendChild(out);});</script>"""
    probe = index.with_name("probe-index.html")
    page = index.read_text(encoding="utf-8").replace("</body>", script + "</body>")
    # The index's policy runs its own script alone; the probe copy allows the probe too.
    page = page.replace("script-src ", f"script-src {script_hash(script[8:-9])} ", 1)
    probe.write_text(page, encoding="utf-8")
    dom = browser._run(["--virtual-time-budget=5000", "--dump-dom", probe.resolve().as_uri()]).stdout
    probe.unlink()
    assert '<pre id="probe">1,en,id</pre>' in dom


def _fake_browser(monkeypatch, passes: bool = True) -> list[str]:
    """Chromium replaced by a recorder: each page opened is listed; the page passes or shows no banner."""
    import sys

    opened: list[str] = []

    def check_page(path, **kwargs):
        opened.append(Path(path).name)
        return {"overflow": False, "images": [{"loaded": True}], "banner_visible": passes}

    def screenshot(path, png):
        Path(png).write_bytes(b"\x89PNG fake")
        return Path(png)

    monkeypatch.setattr(browser, "find_chromium", lambda: sys.executable)
    monkeypatch.setattr(browser, "check_page", check_page)
    monkeypatch.setattr(browser, "screenshot", screenshot)
    return opened


def test_an_unchanged_page_that_passed_is_not_opened_again(tmp_path, monkeypatch, capsys):
    # Input: a page checked twice, then edited, then checked with --force. Expected: the second check reuses
    # the first (same lines, marked unchanged), an edit or --force opens the page again.
    page = tmp_path / "kabupaten-paser.id.html"
    page.write_text("<html><body><div class='simulated-banner'>Data simulasi</div></body></html>", encoding="utf-8")
    opened = _fake_browser(monkeypatch)
    assert browser.main([str(page)]) == 0
    first = capsys.readouterr().out.splitlines()
    assert len(opened) == 2 and first[0].startswith("kabupaten-paser.id.html at 1280 px: ok")
    assert browser.main([str(page)]) == 0
    again = capsys.readouterr().out.splitlines()
    assert len(opened) == 2  # not opened
    assert again[:-1] == first[:-1] and again[-1].startswith(first[-1]) and "unchanged" in again[-1]
    page.write_text(page.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    assert browser.main([str(page)]) == 0 and len(opened) == 4
    assert browser.main([str(page), "--force"]) == 0 and len(opened) == 6
    (tmp_path / "screenshot-kabupaten-paser.id.png").unlink()  # a screenshot gone is taken again
    assert browser.main([str(page)]) == 0 and len(opened) == 8
    assert (tmp_path / "screenshot-kabupaten-paser.id.png").is_file()


def test_a_page_that_failed_is_checked_on_every_run(tmp_path, monkeypatch, capsys):
    page = tmp_path / "kabupaten-paser.id.html"
    page.write_text("<html><body>no banner</body></html>", encoding="utf-8")
    opened = _fake_browser(monkeypatch, passes=False)
    assert browser.main([str(page)]) == 1
    assert browser.main([str(page)]) == 1
    assert len(opened) == 4 and "PROBLEM" in capsys.readouterr().out


def test_a_missing_page_or_browser_is_one_line(tmp_path, monkeypatch, capsys):
    assert browser.main([str(tmp_path / "kabupaten-paser.id.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such page" in err and "kabupaten-paser.id.html" in err
    page = tmp_path / "kabupaten-paser.id.html"
    page.write_text("<html></html>", encoding="utf-8")

    def missing():
        raise browser.BrowserMissing("chromium not found; install it with: apt-get install chromium")

    monkeypatch.setattr(browser, "find_chromium", missing)
    assert browser.main([str(page)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "chromium not found" in err
