"""A report's HTML page and PDF: the executed notebook's outputs in a lean, offline, printable page.

nbconvert's ``basic`` template gives the outputs without its 264 KB of
notebook CSS and without the require.js and MathJax scripts it loads from a
CDN (reports must work offline and show no formulas). :func:`page_html`
wraps them in a page with the report's ``lang`` attribute, a small screen
stylesheet and a print stylesheet for A4 (tables that fit the page width,
rows and figures never cut across pages).

PDFs are written with WeasyPrint: it installs from PyPI with pip alone (no
browser download; it needs the Pango system library, present on Debian and
in the conda environment), and it implements CSS paged media (``@page``, page
breaks), so the PDF follows the same print stylesheet as the browser.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from smartcity_utils.report.jobs import SUMMARY_SUFFIX
from smartcity_utils.report.texts import text, words
from smartcity_utils.tables import atomic_write

PAGE_CSS = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans","Noto Sans",system-ui,sans-serif;color:#1d1d1d;line-height:1.45;
 max-width:62rem;margin:0 auto;padding:.75rem 1.25rem 2rem;font-size:15px}
h1{font-size:1.55rem;margin:.6rem 0 .2rem}
h2{font-size:1.2rem;margin:1.6rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid #d0d0d0}
h3{font-size:1.05rem}
p,li{max-width:48rem}
a{color:#0b57d0;overflow-wrap:anywhere}
.table-wrap{margin:.6rem 0 1rem;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.86rem;margin-bottom:1.2rem}
.table-wrap table{margin-bottom:0}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{padding:.28rem .45rem;border-bottom:1px solid #e0e0e0;text-align:left;vertical-align:top;overflow-wrap:break-word;
 hyphens:manual}
th{background:#f3f3f3;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
code{font-size:.85em;overflow-wrap:anywhere}
td code{overflow-wrap:break-word}
.free-text{overflow-wrap:anywhere}
.table-note{font-size:.82rem;color:#555;margin:.25rem 0}
figure{margin:.8rem 0 1.2rem}
figure img{display:block;width:100%;max-width:52rem;height:auto}
figcaption{font-size:.85rem;color:#555}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem}
.summary ul{padding-left:1.2rem}
.summary li{margin:.25rem 0}
.simulated-banner{print-color-adjust:exact;-webkit-print-color-adjust:exact}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{
 body{max-width:none;padding:0;font-size:9.5pt}
 h2{break-after:avoid;page-break-after:avoid}
 tr,figure,img,.simulated-banner,.summary li{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 table{font-size:8.5pt}
 table.wide{font-size:7.5pt}
 table.wide th,table.wide td{padding:.2rem .25rem}
 figure img{max-width:100%}
 a{color:inherit;text-decoration:none}
}
"""

#: The Content-Security-Policy of every page: nothing is loaded from anywhere and no script runs.
#: Figures are ``data:`` images and the styles are inline, so a page needs nothing more; a link or a
#: script that found its way into a table (a ``javascript:`` source address, say) stays inert.
PAGE_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; script-src 'none'; "
            "base-uri 'none'; form-action 'none'")

#: The only address schemes a page turns into links; any other address is shown as text.
LINK_SCHEMES = ("http", "https")


def csp_meta(policy: str = PAGE_CSP) -> str:
    """The ``<meta>`` element that sets a page's Content-Security-Policy."""
    # Single quotes stay as they are (the attribute is in double quotes), so the policy reads as written.
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}">'


def script_hash(source: str) -> str:
    """The CSP source that allows exactly one inline script (``'sha256-...'``)."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def link_html(url: object, label: str | None = None) -> str:
    """An anchor for an ``http``/``https`` address; any other address (``javascript:``, ``file:``) as text.

    Args:
        url: The address, as it stands in a table.
        label: The text of the link (default: the address).
    """
    address = str(url).strip()
    parts = urlsplit(address)
    shown = html.escape(label if label is not None else address)
    if parts.scheme.lower() in LINK_SCHEMES and parts.netloc:
        return f'<a href="{html.escape(address, quote=True)}">{shown}</a>'
    return html.escape(address)


_ANCHOR = re.compile(r'<a class="anchor-link" href="#[^"]*">[^<]*</a>')
_STDERR = re.compile(r'<div class="output_subarea output_stream output_stderr output_text">\s*<pre>.*?</pre>\s*</div>',
                     re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_DEFAULT_ALT = 'alt="No description has been provided for this image"'


def page_html(body: str, lang: str, title: str = "") -> str:
    """Wrap notebook output HTML (nbconvert ``basic`` template) in a lean, offline page.

    Args:
        body: The exported outputs.
        lang: Language of the page (its ``lang`` attribute).
        title: Page title; default: the text of the first ``<h1>``.

    Returns:
        The whole page.
    """
    body = _ANCHOR.sub("", body)
    body = _STDERR.sub("", body)  # warnings are for the notebook's author, not for a reader
    if not title:
        found = _H1.search(body)
        title = html.unescape(_TAG.sub("", found.group(1))).strip() if found else "Report"
    # nbconvert's placeholder alt says nothing; figures of this package carry their own alt text.
    body = body.replace(_DEFAULT_ALT, f'alt="{html.escape(title, quote=True)}"')
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"{csp_meta()}\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


#: Cells tagged so are for the notebook's reader in JupyterLab (its purpose,
#: in English) and are left out of the exported report.
REMOVE_TAG = "remove-cell"


def make_exporter():
    """The nbconvert exporter of reports: outputs only, no code, no notebook CSS or scripts."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {REMOVE_TAG}
    return HTMLExporter(config=config, template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def export_notebook(nb, lang: str, exporter=None, title: str = "") -> str:
    """The page of an executed notebook node."""
    body, _ = (exporter or make_exporter()).from_notebook_node(nb)
    return page_html(body, lang, title)


def _css_text(template: str, counters: dict[str, str]) -> str:
    """A text of the store as a CSS ``content`` value: its placeholders become the page counters named."""
    parts = []
    for piece in re.split(r"(\{\w+\})", template):
        if piece[1:-1] in counters:
            parts.append(f"counter({counters[piece[1:-1]]})")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def print_furniture(page: str, header: str, lang: str, simulated: bool, partly: bool = False) -> str:
    """The page with what only paper needs: a running header on every page (``header``, and the simulated-data
    marker when ``simulated``: "partly simulated" when ``partly``, the page holding real figures too) and the
    page number of the page count in the page's language."""
    key = "marker_partly" if partly else "marker"
    marker = f' · <span class="sim">{html.escape(text(lang, key))}</span>' if simulated else ""
    running = f'<div class="running-header">{html.escape(header)}{marker}</div>'
    style = ("<style>@page{@top-center{content:element(header);vertical-align:bottom;padding-bottom:2mm}"
             f"@bottom-right{{content:{_css_text(words(lang)['pdf_page'], {'page': 'page', 'pages': 'pages'})};"
             "font-size:8pt;color:#555;font-family:'DejaVu Sans','Noto Sans',sans-serif}}"
             ".running-header{position:running(header);font-size:8pt;color:#555;"
             "font-family:'DejaVu Sans','Noto Sans',sans-serif}"
             ".running-header .sim{color:#b00020;font-weight:bold}</style>")
    page = page.replace("</head>", style + "</head>", 1)
    return page.replace("<main>", "<main>" + running, 1)


def running_header(html_path: Path) -> tuple[str, str, bool]:
    """The running header of a report's PDF from the figures its notebook wrote beside it: the regency (or the
    regencies compared), the year, the language, and whether the page shows simulated numbers.

    A page without figures is headed by its title; the language is the page's own.
    """
    page = html_path.read_text(encoding="utf-8")
    found = re.search(r'<html lang="([^"]+)"', page)
    lang = found.group(1) if found else "id"
    try:
        figures = json.loads(html_path.with_name(html_path.stem + SUMMARY_SUFFIX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        figures = {}
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    name = figures.get("regency") or (html.unescape(title.group(1)) if title else "")
    header = text(lang, "pdf_header", regency=name, year=figures["year"]) if figures.get("year") else name
    simulated = bool(figures.get("simulated", "simulated-banner" in page))
    return header, lang, simulated


def is_partly_simulated(page: str) -> bool:
    """Whether a report page holds real figures beside simulated ones (its banner says "partly simulated")."""
    return "partly-simulated" in page


def write_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str] | None = None) -> Path:
    """Write the PDF of a report page with WeasyPrint (A4, the page's print stylesheet).

    Every page of the PDF carries a running header (the regency, the year, and
    the simulated-data marker where the page shows simulated numbers:
    :func:`running_header`) and its number of the page count.

    Args:
        html_path: The report page.
        pdf_path: Target (default: beside the page, ``.pdf``).

    Returns:
        The PDF written (atomically).
    """
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    source = Path(html_path)
    target = Path(pdf_path) if pdf_path else source.with_suffix(".pdf")
    header, lang, simulated = running_header(source)
    text_of_page = source.read_text(encoding="utf-8")
    page = print_furniture(text_of_page, header, lang, simulated, partly=is_partly_simulated(text_of_page))
    data = HTML(string=page, base_url=str(source.parent)).write_pdf()
    atomic_write(target, data)
    return target
