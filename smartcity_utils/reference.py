"""Reference tables: pillars, dimensions, weights, column headers, regencies.

Controlled vocabularies are data (``smartcity_utils/data/*.csv``); this module
loads them, refuses overlapping entries, and resolves the names that real
documents use (``Kab. Kukar``, ``KUTAI KARTANEGARA``, ``Smart People``) to
canonical ones. The gazetteer of the 514 regencies and cities comes from the
``areaid`` package; its identifier is our ``regency_id``. Kemendagri and BPS
codes are two different systems, kept in separate columns and never mixed.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz import process as fuzz_process

from smartcity_utils.paths import REFERENCE_DIR


class ReferenceError(ValueError):
    """A reference table is inconsistent (for example, an alias maps to two names)."""


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
    return re.sub(r"\s+", " ", s).strip()


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


def _alias_map(frame: pd.DataFrame, alias_col: str, target_col: str, what: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for alias, target in zip(frame[alias_col], frame[target_col]):
        key = normalise_label(alias)
        if key in mapping and mapping[key] != target:
            raise ReferenceError(
                f"{what} alias {alias!r} maps to both {mapping[key]!r} and {target!r}; "
                "fix the alias file so each spelling has one meaning"
            )
        mapping[key] = target
    return mapping


@functools.cache
def pillars() -> pd.DataFrame:
    """The six pillars in their canonical order (``pillar_key``, ``pillar``)."""
    return _read("pillars.csv").astype({"pillar_order": int}).sort_values("pillar_order")


@functools.cache
def dimensions() -> pd.DataFrame:
    """The evaluation dimensions in order (``dimension_key``, ``dimension``)."""
    return _read("dimensions.csv").astype({"dimension_order": int}).sort_values("dimension_order")


PILLAR_KEYS: tuple[str, ...] = tuple(pillars()["pillar_key"])
DIMENSION_KEYS: tuple[str, ...] = tuple(dimensions()["dimension_key"])


@functools.cache
def pillar_aliases() -> dict[str, str]:
    """Normalised pillar spelling -> pillar key (canonical names included)."""
    frame = _read("pillar_aliases.csv")
    unknown = set(frame["pillar_key"]) - set(PILLAR_KEYS)
    if unknown:
        raise ReferenceError(f"pillar_aliases.csv names unknown pillar keys: {sorted(unknown)}")
    mapping = _alias_map(frame, "alias", "pillar_key", "pillar")
    for key in PILLAR_KEYS:
        mapping.setdefault(normalise_label(key.replace("_", " ")), key)
    return mapping


@functools.cache
def dimension_aliases() -> dict[str, str]:
    """Normalised dimension spelling -> dimension key."""
    frame = _read("dimension_aliases.csv")
    unknown = set(frame["dimension_key"]) - set(DIMENSION_KEYS)
    if unknown:
        raise ReferenceError(f"dimension_aliases.csv names unknown dimension keys: {sorted(unknown)}")
    mapping = _alias_map(frame, "alias", "dimension_key", "dimension")
    for key in DIMENSION_KEYS:
        mapping.setdefault(normalise_label(key.replace("_", " ")), key)
    overlap = set(mapping) & set(pillar_aliases())
    if overlap:
        raise ReferenceError(f"spellings used both for a pillar and a dimension: {sorted(overlap)}")
    return mapping


@functools.cache
def column_aliases() -> dict[str, str]:
    """Normalised raw header -> canonical column name."""
    return _alias_map(_read("column_aliases.csv"), "header", "column", "column")


@functools.cache
def missing_tokens() -> frozenset[str]:
    """Normalised cell texts that mean *missing* (``-``, ``n/a``, ``belum dinilai``)."""
    return frozenset(t.strip().casefold() for t in _read("missing_tokens.csv")["token"])


def dimension_weights() -> pd.DataFrame:
    """Weights of the evaluation dimensions per year (``year, dimension_key, weight, source``)."""
    frame = _read("dimension_weights.csv").astype({"year": int, "weight": float})
    sums = frame.groupby("year")["weight"].sum()
    bad = sums[(sums - 1).abs() > 1e-9]
    if not bad.empty:
        raise ReferenceError(f"dimension weights do not sum to 1 for years {bad.to_dict()}")
    return frame


def cohort_sizes() -> pd.DataFrame:
    """Regencies per cohort in public sources (``cohort_year, n_regencies, source``)."""
    return _read("cohort_sizes.csv").astype({"cohort_year": int, "n_regencies": int})


def known_cohorts() -> pd.DataFrame:
    """Cohort years documented in public sources (``regency, cohort_year, source``)."""
    return _read("cohorts_known.csv").astype({"cohort_year": int})


def match_pillar(text: object) -> str | None:
    """Pillar key for a spelling, or None."""
    return pillar_aliases().get(normalise_label(text))


def match_dimension(text: object) -> str | None:
    """Dimension key for a spelling, or None."""
    return dimension_aliases().get(normalise_label(text))


def nearest(text: object, choices: list[str]) -> str | None:
    """The closest spelling in ``choices`` (for "did you mean" suggestions)."""
    if not choices:
        return None
    # Plain edit-distance ratio: WRatio ties "Timr" between Timur and Barat.
    hit = fuzz_process.extractOne(normalise_label(text), choices, processor=normalise_label, scorer=fuzz.ratio)
    return hit[0] if hit and hit[1] >= 60 else None


# --------------------------------------------------------------------------- regencies


def _areaid_provinces() -> list[dict]:
    import areaid

    folder = Path(areaid.__file__).parent / "data"
    provinces: list[dict] = []
    for path in sorted(folder.glob("*.json")):
        provinces.extend(json.loads(path.read_text(encoding="utf-8")))
    return provinces


@functools.cache
def gazetteer() -> pd.DataFrame:
    """All regencies and cities (514) with province, kind and the codes we know.

    Returns:
        Columns ``regency_id`` (the ``areaid`` identifier), ``regency``,
        ``province``, ``kind`` (``kabupaten``/``kota``), ``kemendagri_code``,
        ``bps_code``.
    """
    rows = [
        {"regency_id": int(k["id"]), "regency": k["kab_kota"], "province": p["provinsi"]}
        for p in _areaid_provinces()
        for k in p["kabupaten"]
    ]
    table = pd.DataFrame(rows).sort_values("regency_id", ignore_index=True)
    table["kind"] = table["regency"].str.split().str[0].str.lower()
    codes = _read("regency_codes.csv")[["regency", "province", "kemendagri_code", "bps_code"]]
    table = table.merge(codes, on=["regency", "province"], how="left", validate="1:1")
    missing = set(codes["regency"]) - set(table.dropna(subset=["kemendagri_code"])["regency"])
    if missing:
        raise ReferenceError(f"regency_codes.csv names regencies absent from the gazetteer: {sorted(missing)}")
    return table


_PREFIXES = (
    (re.compile(r"^(kab|kabupaten|kab\.)\s+"), "kabupaten "),
    (re.compile(r"^(pemkab|pemerintah kabupaten)\s+"), "kabupaten "),
    (re.compile(r"^(pemkot|pemerintah kota|kotamadya)\s+"), "kota "),
)


def _name_key(text: object) -> str:
    s = normalise_label(text)
    for pattern, repl in _PREFIXES:
        s = pattern.sub(repl, s)
    return s


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolving one raw regency name."""

    regency_id: int | None
    reason: str | None = None
    suggestion: str | None = None


class RegencyResolver:
    """Resolves raw regency names, aliases and codes to the gazetteer.

    A name resolves when it is a canonical name (any case, ``Kab.`` or
    ``Kab`` for ``Kabupaten``), an alias from ``regency_aliases.csv``, or a
    bare name (``Paser``) that belongs to one regency only. A bare name shared
    by a kabupaten and a kota (``Kediri``) is ambiguous and is not guessed.
    """

    def __init__(self) -> None:
        table = gazetteer()
        self.table = table.set_index("regency_id", drop=False)
        self._full: dict[str, list[int]] = {}
        self._bare: dict[str, list[int]] = {}
        for rid, name in zip(table["regency_id"], table["regency"]):
            key = _name_key(name)
            self._full.setdefault(key, []).append(rid)
            self._bare.setdefault(key.split(" ", 1)[1], []).append(rid)
        by_name = {n: r for n, r in zip(table["regency"], table["regency_id"])}
        self._alias: dict[str, int] = {}
        for alias, target in zip(*(_read("regency_aliases.csv")[c] for c in ("alias", "regency"))):
            if target not in by_name:
                raise ReferenceError(f"regency_aliases.csv maps {alias!r} to unknown regency {target!r}")
            self._alias[_name_key(alias)] = by_name[target]
        self._codes: dict[str, int] = {}
        for rid, kd, bps in zip(table["regency_id"], table["kemendagri_code"], table["bps_code"]):
            if isinstance(kd, str) and kd:
                self._codes[kd] = rid
            if isinstance(bps, str) and bps:
                self._codes[bps] = rid
        self._choices = sorted(table["regency"])
        self._cache: dict[tuple[str, str], Resolution] = {}

    def name(self, regency_id: int) -> str:
        """Canonical name of a regency id."""
        return str(self.table.at[regency_id, "regency"])

    def resolve(self, raw: object, province: object = None) -> Resolution:
        """Resolve one raw name (or code) to a regency id.

        Args:
            raw: The name as written (``Kab. Paser``, ``KOTIM``, ``64.02``).
            province: Province as written, used only to choose between
                regencies of the same name in different provinces.

        Returns:
            A ``Resolution``; on failure ``regency_id`` is None and ``reason``
            is ``unknown_regency`` or ``ambiguous_regency`` with a suggestion.
        """
        cache_key = (str(raw), "" if province is None else str(province))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(raw, province)
        return self._cache[cache_key]

    def _resolve(self, raw: object, province: object) -> Resolution:
        text = str(raw).strip()
        if text in self._codes:
            return Resolution(self._codes[text])
        if text.isdigit() and int(text) in self.table.index:
            return Resolution(int(text))
        key = _name_key(text)
        candidates = self._full.get(key) or ([self._alias[key]] if key in self._alias else None)
        candidates = candidates or self._bare.get(key)
        if candidates and len(candidates) > 1 and province not in (None, "") and not pd.isna(province):
            prov = normalise_label(province)
            candidates = [c for c in candidates if normalise_label(self.table.at[c, "province"]) == prov] or candidates
        if candidates and len(candidates) == 1:
            return Resolution(candidates[0])
        if candidates:
            names = " or ".join(sorted(self.name(c) for c in candidates))
            return Resolution(None, "ambiguous_regency", names)
        choices = self._choices
        if province not in (None, "") and not pd.isna(province):
            prov = normalise_label(province)
            same = sorted(self.table.loc[self.table["province"].map(normalise_label) == prov, "regency"])
            choices = same or choices  # a misspelling usually keeps its province
        return Resolution(None, "unknown_regency", nearest(text, choices) or nearest(text, self._choices))


@functools.cache
def regency_resolver() -> RegencyResolver:
    """A shared resolver (building it reads the gazetteer once)."""
    return RegencyResolver()


def resolve_regencies(names: list[str] | str) -> list[int]:
    """Resolve user-given names, aliases or codes; raise with suggestions on failure.

    Args:
        names: One name or a list (``["Kukar", "Paser", "62.02"]``).

    Returns:
        Regency ids in the given order.

    Raises:
        ValueError: naming each value that does not resolve, with the nearest
            known names.
    """
    if isinstance(names, str):
        names = [names]
    resolver = regency_resolver()
    ids, problems = [], []
    for name in names:
        res = resolver.resolve(name)
        if res.regency_id is None:
            if res.reason == "unknown_regency":
                hits = fuzz_process.extract(normalise_label(name), resolver._choices, processor=normalise_label,
                                            scorer=fuzz.ratio, limit=3)
                hint = "nearest known names: " + ", ".join(h[0] for h in hits)
            else:
                hint = f"it could be {res.suggestion}"
            problems.append(f"{name!r} ({res.reason.replace('_', ' ')}; {hint})")
        else:
            ids.append(res.regency_id)
    if problems:
        raise ValueError("unknown regency names: " + "; ".join(problems))
    return ids
