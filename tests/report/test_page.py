"""A report's page: lean, offline, in its language, printable on A4; and its PDF."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest

from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report import page as report_page
from smartcity_utils.report import runner

REPORT_NB = Path(__file__).resolve().parents[1] / "fixtures" / "report_fixture.ipynb"

# A 1 x 1 PNG, as a notebook stores an image output.
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000"
    "0500010d0a2db40000000049454e44ae426082")).decode()


def _executed_notebook() -> nbformat.NotebookNode:
    """A small executed notebook: a heading, code with an HTML table, a figure and a warning on stderr."""
    code = nbformat.v4.new_code_cell("secret_code_marker = 1\ndisplay(table)")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><th>Indeks</th></tr>"
                                                                   "<tr><td>3.17</td></tr></table>"}),
        nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something internal\n"),
    ]
    hidden = nbformat.v4.new_markdown_cell("How this notebook works (for its author)")
    hidden.metadata["tags"] = [report_page.REMOVE_TAG]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Profil: Kabupaten Paser"), code, hidden])


@pytest.fixture(scope="module")
def exported() -> str:
    return report_page.export_notebook(_executed_notebook(), "id")


def test_page_has_the_outputs_and_nothing_of_the_notebook_machinery(exported):
    assert "3.17" in exported and "data:image/png;base64," in exported
    assert "secret_code_marker" not in exported  # no code
    assert "FutureWarning" not in exported  # no warnings meant for the author
    assert "for its author" not in exported  # cells tagged for removal
    assert 'class="anchor-link"' not in exported
    assert "No description has been provided" not in exported
    assert 'alt="Profil: Kabupaten Paser"' in exported
    assert "<title>Profil: Kabupaten Paser</title>" in exported


def test_page_is_offline_and_lean(exported):
    assert not re.search(r"<script|<link|https?://|require\.js|mathjax", exported, re.I)
    css = re.search(r"<style>(.*?)</style>", exported, re.S).group(1)
    assert len(css.encode()) < 4_000  # nbconvert's own notebook stylesheet is about 264 KB
    assert len(exported.encode()) < 8_000


@pytest.mark.parametrize("lang", ["id", "en"])
def test_page_carries_the_report_language(lang):
    page = report_page.page_html("<h1>x</h1>", lang)
    assert re.search(r'<html lang="([a-z]+)">', page).group(1) == lang


def test_print_stylesheet_keeps_a4_tables_and_figures_whole():
    css = report_page.PAGE_CSS
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", css)
    printed = css[css.index("@media print"):]
    kept_whole = re.search(r"([^{}]*)\{[^}]*break-inside:\s*avoid", printed).group(1)
    assert {"tr", "figure", "img"} <= {s.strip() for s in kept_whole.split(",")}
    assert re.search(r"thead\s*\{[^}]*display:\s*table-header-group", printed)  # headings repeat on each page
    assert re.search(r"table\s*\{[^}]*width:\s*100%", css)  # tables take the page width, never more
    assert re.search(r"img\s*\{[^}]*max-width:\s*100%", printed)


def test_pdf_of_a_page_is_an_a4_pdf(tmp_path, exported):
    source = tmp_path / "kabupaten-paser.id.html"
    source.write_text(exported, encoding="utf-8")
    pdf = report_page.write_pdf(source)
    data = pdf.read_bytes()
    assert pdf == tmp_path / "kabupaten-paser.id.pdf" and data.startswith(b"%PDF")
    assert data.rstrip().endswith(b"%%EOF")  # written whole
    # The pages WeasyPrint lays out are A4: 210 x 297 mm, in CSS pixels of 1/96 inch.
    from weasyprint import HTML

    pages = HTML(filename=str(source)).render().pages
    assert [(round(p.width * 25.4 / 96), round(p.height * 25.4 / 96)) for p in pages][0] == (210, 297)


def test_runner_writes_a_pdf_per_report_when_asked(tmp_path):
    jobs = report_jobs.plan_reports([(1, "Kota Kediri"), (2, "Kab. Paser")], 2023, "id", tmp_path)
    assert runner.render_reports(jobs, REPORT_NB, workers=1, progress=False).ok == 2
    assert not any(job.pdf.exists() for job in jobs)
    # Asking again adds the PDFs without rendering the unchanged reports again.
    summary = runner.render_reports(jobs, REPORT_NB, workers=1, progress=False, pdf=True)
    assert (summary.ok, summary.skipped) == (0, 2)
    assert (summary.pdf_written, summary.pdf_kept) == (2, 0)
    assert "PDF: 2 written, 0 unchanged (kept)" in summary.format()
    for job in jobs:
        assert job.pdf.read_bytes().startswith(b"%PDF")
    # Unchanged reports with their PDFs: the run says it kept them.
    again = runner.render_reports(jobs, REPORT_NB, workers=1, progress=False, pdf=True)
    assert "PDF: 0 written, 2 unchanged (kept)" in again.format()
    assert "PDF" not in runner.render_reports(jobs, REPORT_NB, workers=1, progress=False).format()
    assert 'href="kota-kediri.id.pdf"' in summary.index.read_text(encoding="utf-8")
    forced = runner.render_reports(jobs[:1], REPORT_NB, workers=1, progress=False, pdf=True, force=True)
    assert forced.ok == 1 and jobs[0].pdf.stat().st_mtime_ns >= jobs[0].html.stat().st_mtime_ns


@pytest.mark.parametrize("simulated", [True, False])
def test_every_pdf_page_carries_the_running_header_and_its_number(tmp_path, simulated):
    # Input: a report page long enough for several A4 pages and the figures its notebook wrote beside it.
    # Expected: on every page the regency and the year (with the simulated-data marker when the page is
    # simulated) at the top, and "Halaman n dari N" at the bottom, in the page's language.
    import json

    from weasyprint import HTML

    from smartcity_utils.report.texts import text

    body = "<h1>Profil evaluasi smart city: Kabupaten Paser</h1>" + "<p>Baris laporan.</p>" * 160
    source = tmp_path / "kabupaten-paser.id.html"
    source.write_text(report_page.page_html(body, "id"), encoding="utf-8")
    (tmp_path / "kabupaten-paser.id.summary.json").write_text(
        json.dumps({"regency": "Kabupaten Paser", "year": 2023, "simulated": simulated}), encoding="utf-8")
    header, lang, shown_simulated = report_page.running_header(source)
    assert (header, lang, shown_simulated) == ("Kabupaten Paser · 2023", "id", simulated)
    furnished = report_page.print_furniture(source.read_text(encoding="utf-8"), header, lang, simulated)
    pages = HTML(string=furnished).render().pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        texts = [box.text for box in page._page_box.descendants() if getattr(box, "text", None)]
        assert any("Kabupaten Paser · 2023" in t for t in texts), (number, texts[-3:])
        assert (text("id", "marker") in texts) is simulated
        assert f"Halaman {number} dari {len(pages)}" in texts
    assert report_page.write_pdf(source).read_bytes().startswith(b"%PDF")
