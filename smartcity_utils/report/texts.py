"""Report texts in Indonesian and English, and the simulated-data banners.
"""

from __future__ import annotations

import functools
import html
import json

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """Report texts per language (``id``, ``en``)."""
    return json.loads((ref.REFERENCE_DIR / "report_text.json").read_text(encoding="utf-8"))


def text(lang: str, key: str, **values: object) -> str:
    """One report text in ``lang``, with ``{placeholders}`` filled in.

    Raises:
        ValueError: for a language without texts.
    """
    table = texts()
    if lang not in table:
        raise UserError(f"language {lang!r} has no report texts; choose one of {sorted(table)}")
    return table[lang][key].format(**values)


BANNER_TEXT = {
    "en": ("SIMULATED DATA: these numbers come from the workspace's simulator, not from the official "
           "evaluation. Only the figures in published_facts.csv are real."),
    "id": ("DATA SIMULASI: angka-angka ini berasal dari simulator, bukan dari hasil evaluasi resmi. "
           "Hanya angka dalam published_facts.csv yang nyata."),
}


REAL_TEXT = {"en": "Real data: every number on this page comes from files marked as real.",
             "id": "Data nyata: semua angka di halaman ini berasal dari berkas yang ditandai nyata."}


def banner_html(is_simulated: bool, lang: str = "en") -> str:
    """An unmissable HTML banner stating whether the data shown are simulated."""
    if is_simulated:
        return ('<div class="simulated-banner" style="background:#b00020;color:#fff;padding:12px 16px;'
                'font-size:1.15em;font-weight:bold;border-radius:4px;margin:8px 0">'
                f"&#9888; {html.escape(BANNER_TEXT[lang])}</div>")
    return ('<div class="real-banner" style="background:#e6f4ea;padding:8px 16px;border-radius:4px">'
            f"{html.escape(REAL_TEXT[lang])}</div>")


def show_banner(is_simulated: bool, lang: str = "en") -> None:
    """Display the banner in a notebook (plain text outside one)."""
    try:
        from IPython.display import HTML, display

        display(HTML(banner_html(is_simulated, lang)))
    except ImportError:  # pragma: no cover
        print(BANNER_TEXT[lang] if is_simulated else REAL_TEXT[lang])
