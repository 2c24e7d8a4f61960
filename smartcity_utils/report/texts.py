"""Every word a reader sees, in Indonesian and English: the one store of texts and its one accessor.

Reports, analysis pages, figures and command messages take their words from
``smartcity_utils/data/texts.json`` (one table per language, the same keys in
each) through :func:`text`, so that a page is in one language from its title to
the stamps on its figures and the decimal mark of its numbers
(:mod:`smartcity_utils.report.numbers`). :data:`LANGUAGES` is the one list of
languages; every entry point that takes a language checks it with
:func:`check_lang`.
"""

from __future__ import annotations

import functools
import html
import json

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError

#: The languages of every page, Indonesian first (the default of reports and analysis pages).
LANGUAGES = ("id", "en")

#: The store of texts.
TEXTS_FILE = ref.REFERENCE_DIR / "texts.json"


#: Placeholders a text may hold for a number of the data model, filled when the store is read, in words
#: (``number_words``): ``{n_pillars}`` (six) and ``{N_pillars}`` (Six), the number of pillars.
COUNTS = {"pillars": lambda: len(ref.PILLAR_KEYS)}


def _fill_counts(table: dict[str, str]) -> dict[str, str]:
    """A language's texts with the numbers of :data:`COUNTS` written in, in words up to ``number_words``'s last."""
    spelt = [w.strip() for w in table["number_words"].split(",")]
    fill = {}
    for name, count in COUNTS.items():
        n = count()
        word = spelt[n] if n < len(spelt) else str(n)
        fill |= {f"{{n_{name}}}": word, f"{{N_{name}}}": word[:1].upper() + word[1:]}
    out = {}
    for key, value in table.items():
        for placeholder, word in fill.items():
            value = value.replace(placeholder, word)
        out[key] = value
    return out


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """The store: texts per language (``id``, ``en``), read once, the numbers of the data model written in
    (:data:`COUNTS`)."""
    store = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    return {lang: _fill_counts(table) for lang, table in store.items()}


def check_lang(lang: object) -> str:
    """Return ``lang`` when it is one of :data:`LANGUAGES`.

    Raises:
        UserError: for any other language, naming those available.
    """
    if lang not in LANGUAGES:
        raise UserError(f"language {lang!r} has no texts; choose one of {', '.join(LANGUAGES)}")
    return str(lang)


def words(lang: str) -> dict[str, str]:
    """Every text of ``lang`` (checked), by key."""
    return texts()[check_lang(lang)]


def has_text(lang: str, key: str) -> bool:
    """Whether the store has a text ``key`` (the keys are the same in every language)."""
    return key in words(lang)


def text(lang: str, key: str, **values: object) -> str:
    """One text in ``lang``, with its ``{placeholders}`` filled in from ``values``.

    Raises:
        UserError: for a language without texts.
        KeyError: for a key the store does not have.
    """
    return words(lang)[key].format(**values)


BANNER_TEXT = {lang: texts()[lang]["banner_simulated"] for lang in LANGUAGES}
REAL_TEXT = {lang: texts()[lang]["banner_real"] for lang in LANGUAGES}


def banner_plain(is_simulated: bool, lang: str, real_years: list[int] | None = None,
                 simulated_parts: list[str] | None = None) -> str:
    """The banner's words; ``real_years``: years of the page's own regency built from real files only;
    ``simulated_parts``: what the page shows of those years that is simulated all the same (phrases in ``lang``,
    e.g. its Quick Wins of 2022)."""
    check_lang(lang)
    if not is_simulated:
        return REAL_TEXT[lang]
    if real_years:
        years = ", ".join(str(int(y)) for y in sorted(real_years))
        shown = text(lang, "banner_mixed", years=years)
        if simulated_parts:
            shown += " " + text(lang, "banner_mixed_also", parts="; ".join(simulated_parts))
        return shown
    return BANNER_TEXT[lang]


def banner_html(is_simulated: bool, lang: str, real_years: list[int] | None = None,
                simulated_parts: list[str] | None = None) -> str:
    """An unmissable HTML banner stating whether the data shown are simulated (and which years are real); a
    partly simulated page's banner carries the class ``partly-simulated`` (the PDF's header reads it)."""
    shown = banner_plain(is_simulated, lang, real_years, simulated_parts)
    if is_simulated:
        kind = "simulated-banner partly-simulated" if real_years else "simulated-banner"
        return (f'<div class="{kind}" role="note" style="background:#b00020;color:#fff;padding:12px 16px;'
                'font-size:1.1em;font-weight:bold;border-radius:4px;margin:8px 0">'
                f"&#9888; {html.escape(shown)}</div>")
    return ('<div class="real-banner" style="background:#e6f4ea;padding:8px 16px;border-radius:4px">'
            f"{html.escape(shown)}</div>")


class HTMLBlock:
    """A piece of HTML that notebooks display as it is (and print as plain text elsewhere)."""

    def __init__(self, markup: str, plain: str = "") -> None:
        self.markup = markup
        self.plain = plain

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.plain or self.markup


def show_banner(is_simulated: bool, lang: str, real_years: list[int] | None = None,
                simulated_parts: list[str] | None = None) -> None:
    """Display the banner in a notebook (plain text outside one)."""
    block = HTMLBlock(banner_html(is_simulated, lang, real_years, simulated_parts),
                      banner_plain(is_simulated, lang, real_years, simulated_parts))
    try:
        from IPython.display import display

        display(block)
    except ImportError:  # pragma: no cover
        print(repr(block))


def prose(lang: str, key: str, **values: object) -> HTMLBlock:
    """A text of the store as paragraphs: blank lines part paragraphs; a paragraph whose lines all start with
    ``- `` is a list, with ``1. `` a numbered list."""
    body = text(lang, key, **values)
    parts, plain = [], []
    for block in (b.strip() for b in body.split("\n\n")):
        lines = [line.strip() for line in block.splitlines()]
        numbered = all(line[:1].isdigit() and ". " in line for line in lines)
        if len(lines) > 1 and (numbered or all(line.startswith("- ") for line in lines)):
            items = [line.split(". ", 1)[1] if numbered else line[2:] for line in lines]
            tag = "ol" if numbered else "ul"
            parts.append(f"<{tag}>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + f"</{tag}>")
        else:
            parts.append(f"<p>{html.escape(' '.join(lines))}</p>")
        plain.append(block)
    return HTMLBlock("".join(parts), "\n\n".join(plain))


def section(lang: str, key: str, level: int = 2, **values: object) -> HTMLBlock:
    """A section's heading (``<key>_title``) and, when the store has one, its introduction (``<key>_intro``,
    :func:`prose`), with ``values`` filled into both."""
    title = text(lang, f"{key}_title", **values)
    intro = prose(lang, f"{key}_intro", **values) if has_text(lang, f"{key}_intro") else HTMLBlock("", "")
    return HTMLBlock(f"<h{level}>{html.escape(title)}</h{level}>{intro.markup}",
                     "\n\n".join(p for p in (title, intro.plain) if p))


def heading(title: str, level: int = 2) -> HTMLBlock:
    """A heading (``<h1>`` to ``<h3>``) for a report."""
    return HTMLBlock(f"<h{level}>{html.escape(title)}</h{level}>", title)


def paragraph(*sentences: str, css: str = "") -> HTMLBlock:
    """A paragraph of plain sentences (escaped)."""
    body = " ".join(s for s in sentences if s)
    cls = f' class="{css}"' if css else ""
    return HTMLBlock(f"<p{cls}>{html.escape(body)}</p>", body)
