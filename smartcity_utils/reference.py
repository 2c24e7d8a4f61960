"""The controlled vocabularies and framework tables shipped in ``smartcity_utils/data``.

Pillars and their aliases, evaluation dimensions and their weights per year,
column headers, missing-value tokens, cohort sizes and documented cohorts.
Each is read from a CSV beside the code; overlapping aliases are refused.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz import process as fuzz_process

from smartcity_utils.errors import ReferenceTableError
from smartcity_utils.paths import REFERENCE_DIR


def normalise_label(text: object) -> str:
    """Normalise a header or label for matching: case, accents, spaces, punctuation.

    Args:
        text: Any cell value.

    Returns:
        Lower-case ASCII with single spaces; ``/`` kept (``Kabupaten/Kota``).
    """
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    s = s.casefold().replace("\u00a0", " ")
    s = re.sub(r"\s*/\s*", "/", s)
    s = re.sub(r"[^\w/%-]+", " ", s)
    s = re.sub(r"\s*/\s*", "/", s)  # "Kab./Kota" -> "kab/kota" once the dot is gone
    return re.sub(r"\s+", " ", s).strip()


def read_reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


def _alias_map(frame: pd.DataFrame, alias_col: str, target_col: str, what: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for alias, target in zip(frame[alias_col], frame[target_col]):
        key = normalise_label(alias)
        if key in mapping and mapping[key] != target:
            raise ReferenceTableError(
                f"{what} alias {alias!r} maps to both {mapping[key]!r} and {target!r}; "
                "fix the alias file so each spelling has one meaning"
            )
        mapping[key] = target
    return mapping


@functools.cache
def pillars() -> pd.DataFrame:
    """The six pillars in their canonical order (``pillar_key``, ``pillar``)."""
    return read_reference("pillars.csv").astype({"pillar_order": int}).sort_values("pillar_order")


@functools.cache
def dimensions() -> pd.DataFrame:
    """The evaluation dimensions in order (``dimension_key``, ``dimension``)."""
    return read_reference("dimensions.csv").astype({"dimension_order": int}).sort_values("dimension_order")


PILLAR_KEYS: tuple[str, ...] = tuple(pillars()["pillar_key"])

#: The scale of every pillar, dimension and index score: 0 to 4 (docs/sources.md; published indices run
#: from about 2.4 to 3.7). Sheets on a 0 to 100 scale are converted to it when they are read.
SCORE_SCALE: tuple[float, float] = (0.0, 4.0)


@functools.cache
def pillar_names() -> dict[str, str]:
    """Pillar key -> pillar name, in the canonical order."""
    return dict(zip(pillars()["pillar_key"], pillars()["pillar"]))


DIMENSION_KEYS: tuple[str, ...] = tuple(dimensions()["dimension_key"])


def _vocabulary(file_name: str, key_col: str, keys: tuple[str, ...], kind: str,
                taken: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """Normalised spelling -> key from an alias file, the keys' own spellings included.

    ``taken`` names other vocabularies (kind -> mapping) whose spellings this one may not share:
    a cell must never read as, say, a pillar and a dimension at once.

    Raises:
        ReferenceTableError: The file names a key that does not exist, one
            spelling maps to two keys, or a spelling is already another vocabulary's.
    """
    frame = read_reference(file_name)
    unknown = set(frame[key_col]) - set(keys)
    if unknown:
        raise ReferenceTableError(f"{file_name} names unknown {kind} keys: {sorted(unknown)}")
    mapping = _alias_map(frame, "alias", key_col, kind)
    for key in keys:
        mapping.setdefault(normalise_label(key.replace("_", " ")), key)
    for other, spellings in (taken or {}).items():
        overlap = set(mapping) & set(spellings)
        if overlap:
            raise ReferenceTableError(f"spellings used both for a {other} and a {kind}: {sorted(overlap)}")
    return mapping


@functools.cache
def pillar_aliases() -> dict[str, str]:
    """Normalised pillar spelling -> pillar key (canonical names included)."""
    return _vocabulary("pillar_aliases.csv", "pillar_key", PILLAR_KEYS, "pillar")


@functools.cache
def dimension_aliases() -> dict[str, str]:
    """Normalised dimension spelling -> dimension key."""
    return _vocabulary("dimension_aliases.csv", "dimension_key", DIMENSION_KEYS, "dimension",
                       taken={"pillar": pillar_aliases()})


@functools.cache
def column_aliases() -> dict[str, str]:
    """Normalised raw header -> canonical column name."""
    return _alias_map(read_reference("column_aliases.csv"), "header", "column", "column")


@functools.cache
def missing_tokens() -> frozenset[str]:
    """Normalised cell texts that mean *missing* (``-``, ``n/a``, ``belum dinilai``)."""
    return frozenset(t.strip().casefold() for t in read_reference("missing_tokens.csv")["token"])


#: How far a set of weights may sum from 1: weights are shares written with a few decimals (0.10, 0.20),
#: so their sum is 1 up to floating-point noise, far below this.
WEIGHT_SUM_TOLERANCE = 1e-6


def weights_sum_to_one(total: float) -> bool:
    """The one rule for "these weights sum to 1" (:data:`WEIGHT_SUM_TOLERANCE`)."""
    return abs(float(total) - 1.0) <= WEIGHT_SUM_TOLERANCE


#: How a year's dimension weights are known: a source gives them, they reproduce a published
#: index, or nothing gives them and they are assumed (``dimension_weights.csv``, column ``status``).
WEIGHT_STATUSES = ("documented", "inferred", "assumed")


def dimension_weights() -> pd.DataFrame:
    """Weights of the evaluation dimensions per year (``year, dimension_key, weight, status, source, source_url``)."""
    frame = read_reference("dimension_weights.csv").astype({"year": int, "weight": float})
    unknown = set(frame["status"]) - set(WEIGHT_STATUSES)
    if unknown:
        raise ReferenceTableError(f"dimension_weights.csv has statuses {sorted(unknown)}; use {list(WEIGHT_STATUSES)}")
    sums = frame.groupby("year")["weight"].sum()
    bad = sums[~sums.map(weights_sum_to_one)]
    if not bad.empty:
        raise ReferenceTableError(f"dimension weights do not sum to 1 for years {bad.to_dict()}")
    return frame


def evaluation_groups() -> pd.DataFrame:
    """Evaluation groups documented in public sources: ``year, evaluation_group, rank_scope, cohort_from,
    cohort_to, n_members, source, source_url`` (a letter ranked ``n_members`` regencies of those cohorts)."""
    frame = read_reference("evaluation_groups.csv")
    bounds = frame["cohorts"].str.split("-", n=1, expand=True).reindex(columns=[0, 1])
    frame["cohort_from"] = bounds[0].astype(int)
    frame["cohort_to"] = bounds[1].fillna(bounds[0]).astype(int)
    return frame.drop(columns="cohorts").astype({"year": int, "n_members": int})


def cohort_sizes() -> pd.DataFrame:
    """Regencies per cohort in public sources (``cohort_year, n_regencies, source``)."""
    return read_reference("cohort_sizes.csv").astype({"cohort_year": int, "n_regencies": int})


def known_cohorts() -> pd.DataFrame:
    """Cohort years documented in public sources (``regency, cohort_year, source``)."""
    return read_reference("cohorts_known.csv").astype({"cohort_year": int})


def match_pillar(text: object) -> str | None:
    """Pillar key for a spelling, or None."""
    return pillar_aliases().get(normalise_label(text))


def match_dimension(text: object) -> str | None:
    """Dimension key for a spelling, or None."""
    return dimension_aliases().get(normalise_label(text))


#: Smallest similarity (rapidfuzz's ratio, 0 to 100) of a "did you mean" suggestion. Below it the closest
#: spelling shares too little with the text to help: at 60, "Kutai Kartanegra" suggests Kutai
#: Kartanegara and "scroe" suggests score, while "Antah Berantah" suggests no regency at all.
SUGGESTION_CUTOFF = 60


def nearest(text: object, choices: list[str]) -> str | None:
    """The closest spelling in ``choices`` (for "did you mean" suggestions)."""
    if not choices:
        return None
    # Plain edit-distance ratio: WRatio ties "Timr" between Timur and Barat.
    hit = fuzz_process.extractOne(normalise_label(text), choices, processor=normalise_label, scorer=fuzz.ratio)
    return hit[0] if hit and hit[1] >= SUGGESTION_CUTOFF else None


def pillar_label(key: str) -> str:
    """Turns a pillar key into a readable label.

    Args:
        key: Column name such as ``"smart_governance"``.

    Returns:
        A title-cased label such as ``"Smart Governance"``.
    """
    return str(key).replace("_", " ").strip().title()


#: The follow-up statuses of a recommendation, in the order of progress (``recommendation_statuses.csv``).
RECOMMENDATION_STATUSES = ("belum", "proses", "selesai")

#: What a recommendation is for besides one pillar (``recommendation_scopes.csv``): every pillar, or the
#: regency's masterplan (the Kukar 2023 session: recommendations "for all pillars" and on the masterplan).
RECOMMENDATION_SCOPES = ("all", "masterplan")


@functools.cache
def recommendation_statuses() -> dict[str, str]:
    """Normalised follow-up status spelling -> status (``belum``, ``proses``, ``selesai``)."""
    return _vocabulary("recommendation_statuses.csv", "status", RECOMMENDATION_STATUSES, "follow-up status")


@functools.cache
def recommendation_scopes() -> dict[str, str]:
    """Normalised spelling of "all pillars" or "masterplan" -> scope key; never a pillar's spelling."""
    return _vocabulary("recommendation_scopes.csv", "scope", RECOMMENDATION_SCOPES, "recommendation scope",
                       taken={"pillar": pillar_aliases(), "dimension": dimension_aliases()})


@functools.cache
def recommendation_themes() -> pd.DataFrame:
    """The themes of recommendations in their order (``theme_key, theme_order, description``)."""
    return read_reference("recommendation_themes.csv").astype({"theme_order": int}).sort_values("theme_order",
                                                                                        ignore_index=True)


@functools.cache
def recommendation_keywords() -> pd.DataFrame:
    """The keywords of each theme (``theme_key, keyword, language``), checked: every theme known and
    with a keyword, no keyword in two themes.

    Raises:
        ReferenceTableError: naming the keyword or the theme at fault.
    """
    frame = read_reference("recommendation_keywords.csv")
    themes = set(recommendation_themes()["theme_key"])
    unknown = sorted(set(frame["theme_key"]) - themes)
    if unknown:
        raise ReferenceTableError(f"recommendation_keywords.csv names unknown themes {unknown}; "
                                  "add them to recommendation_themes.csv")
    bare = sorted(themes - set(frame["theme_key"]))
    if bare:
        raise ReferenceTableError(f"themes without a keyword in recommendation_keywords.csv: {bare}")
    _alias_map(frame, "keyword", "theme_key", "theme keyword")
    return frame
