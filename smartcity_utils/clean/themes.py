"""Themes of the panel's recommendations, from a keyword vocabulary kept as data.

The method is transparent on purpose: a recommendation has a theme when one
of the theme's keywords (``smartcity_utils/data/recommendation_keywords.csv``,
Indonesian and English) occurs in its text. Text and keywords are compared
without accents, capitals or punctuation (``Partisipasi``, ``PARTISIPASI`` and
``partisipasí`` are one word; ``e-government`` is ``e government``). A keyword
is one or more words that must follow each other; ``*`` at the start or the end
of a word stands for any letters there (``*sampah*`` finds ``persampahan``);
``+`` joins parts that must all occur, in any order (``*dampak + *ukur*`` finds
``dampak ... terukur``). A recommendation may have several themes, or none: it
is then listed as having no theme, never guessed. No language model is used.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from smartcity_utils import reference as ref


def _ascii_fold(text: object) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()


def match_text(text: object) -> str:
    """A text as the matcher sees it: ASCII lower-case words separated by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", _ascii_fold(text)))


def _keyword_pattern(keyword: str) -> list[re.Pattern]:
    """One pattern per ``+`` part of a keyword; a part's words follow each other, ``*`` is any letters."""
    parts = []
    for part in re.sub(r"[^a-z0-9*+]+", " ", _ascii_fold(keyword)).split("+"):
        words = part.split()
        if not words:
            continue
        body = " ".join(re.escape(w).replace(r"\*", "[a-z0-9]*") for w in words)
        parts.append(re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])"))
    return parts


@functools.cache
def _compiled() -> tuple[tuple[str, tuple[tuple[re.Pattern, ...], ...]], ...]:
    keywords = ref.recommendation_keywords()
    order = list(ref.recommendation_themes()["theme_key"])
    compiled = []
    for theme in order:
        patterns = tuple(tuple(_keyword_pattern(k)) for k in keywords.loc[keywords["theme_key"] == theme, "keyword"])
        compiled.append((theme, tuple(p for p in patterns if p)))
    return tuple(compiled)


def match_themes(text: object) -> list[str]:
    """The themes whose keywords occur in ``text``, in the vocabulary's order; empty when none does."""
    plain = match_text(text)
    if not plain:
        return []
    return [theme for theme, keywords in _compiled()
            if any(all(p.search(plain) for p in parts) for parts in keywords)]


def theme_order() -> list[str]:
    """The theme keys in the vocabulary's order."""
    return list(ref.recommendation_themes()["theme_key"])


def explode_themes(frame: pd.DataFrame, none_key: str = "") -> pd.DataFrame:
    """One row per recommendation and theme (column ``theme_key``); a recommendation without theme keeps one row
    with ``theme_key`` set to ``none_key``.

    Args:
        frame: Rows with a ``themes`` column (theme keys joined by ``"; "``, empty for none).
        none_key: The ``theme_key`` of a recommendation no keyword matched.
    """
    keys = frame["themes"].fillna("").map(lambda s: [t for t in str(s).split("; ") if t] or [none_key])
    return frame.assign(theme_key=keys).explode("theme_key", ignore_index=True)
