"""Report texts in Indonesian and English, and the simulated-data banners.

Every word a report shows comes from ``smartcity_utils/data/report_text.json``
(one table per language, the same keys in each), so that a report is in one
language from its title to the stamps on its figures.
"""

from __future__ import annotations

import functools
import html
import json

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError

LANGUAGES = ("id", "en")


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """Report texts per language (``id``, ``en``)."""
    return json.loads((ref.REFERENCE_DIR / "report_text.json").read_text(encoding="utf-8"))


def check_lang(lang: str) -> str:
    """Return ``lang`` when the report texts have it.

    Raises:
        UserError: for a language without texts, naming those available.
    """
    if lang not in texts():
        raise UserError(f"language {lang!r} has no report texts; choose one of {sorted(texts())}")
    return lang


def text(lang: str, key: str, **values: object) -> str:
    """One report text in ``lang``, with ``{placeholders}`` filled in.

    Raises:
        UserError: for a language without texts.
    """
    return texts()[check_lang(lang)][key].format(**values)


BANNER_TEXT = {lang: table["banner_simulated"] for lang, table in texts().items()}
REAL_TEXT = {lang: table["banner_real"] for lang, table in texts().items()}


def banner_plain(is_simulated: bool, lang: str = "en", real_years: list[int] | None = None) -> str:
    """The banner's words; ``real_years``: years of the page's own regency built from real files only."""
    check_lang(lang)
    if not is_simulated:
        return REAL_TEXT[lang]
    if real_years:
        years = ", ".join(str(int(y)) for y in sorted(real_years))
        return text(lang, "banner_mixed", years=years)
    return BANNER_TEXT[lang]


def banner_html(is_simulated: bool, lang: str = "en", real_years: list[int] | None = None) -> str:
    """An unmissable HTML banner stating whether the data shown are simulated (and which years are real)."""
    words = banner_plain(is_simulated, lang, real_years)
    if is_simulated:
        return ('<div class="simulated-banner" role="note" style="background:#b00020;color:#fff;padding:12px 16px;'
                'font-size:1.1em;font-weight:bold;border-radius:4px;margin:8px 0">'
                f"&#9888; {html.escape(words)}</div>")
    return ('<div class="real-banner" style="background:#e6f4ea;padding:8px 16px;border-radius:4px">'
            f"{html.escape(words)}</div>")


class HTMLBlock:
    """A piece of HTML that notebooks display as it is (and print as plain text elsewhere)."""

    def __init__(self, markup: str, plain: str = "") -> None:
        self.markup = markup
        self.plain = plain

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.plain or self.markup


def show_banner(is_simulated: bool, lang: str = "en", real_years: list[int] | None = None) -> None:
    """Display the banner in a notebook (plain text outside one)."""
    block = HTMLBlock(banner_html(is_simulated, lang, real_years), banner_plain(is_simulated, lang, real_years))
    try:
        from IPython.display import display

        display(block)
    except ImportError:  # pragma: no cover
        print(repr(block))


def heading(title: str, level: int = 2) -> HTMLBlock:
    """A heading (``<h1>`` to ``<h3>``) for a report."""
    return HTMLBlock(f"<h{level}>{html.escape(title)}</h{level}>", title)


def paragraph(*sentences: str, css: str = "") -> HTMLBlock:
    """A paragraph of plain sentences (escaped)."""
    body = " ".join(s for s in sentences if s)
    cls = f' class="{css}"' if css else ""
    return HTMLBlock(f"<p{cls}>{html.escape(body)}</p>", body)
