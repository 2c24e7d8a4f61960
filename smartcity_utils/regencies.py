"""The 514 regencies and cities (gazetteer from ``areaid``) and the name resolver.

Names, aliases, short names (Kukar, Kotim) and Kemendagri or BPS codes resolve
to one ``regency_id``; a bare name shared by a kabupaten and a kota is refused
as ambiguous, never guessed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcity_utils.errors import ReferenceTableError, UserError
from smartcity_utils.reference import nearest, normalise_label, read_reference
from smartcity_utils.values import means_missing


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
    codes = read_reference("regency_codes.csv")[["regency", "province", "kemendagri_code", "bps_code"]]
    table = table.merge(codes, on=["regency", "province"], how="left", validate="1:1")
    missing = set(codes["regency"]) - set(table.dropna(subset=["kemendagri_code"])["regency"])
    if missing:
        raise ReferenceTableError(f"regency_codes.csv names regencies absent from the gazetteer: {sorted(missing)}")
    # ``areaid`` still has some names from before a rename: the current name is shown, the former one resolves.
    renames = renamed_regencies()
    unknown = set(renames["former_name"]) - set(table["regency"])
    if unknown:
        raise ReferenceTableError(f"regency_renames.csv renames regencies absent from the gazetteer: {sorted(unknown)}")
    current = dict(zip(renames["former_name"], renames["name"]))
    table["former_name"] = table["regency"].where(table["regency"].isin(list(current)))
    table["regency"] = table["regency"].map(lambda name: current.get(name, name))
    return table


def renamed_regencies() -> pd.DataFrame:
    """Regencies renamed by law since the gazetteer's names were fixed (``former_name, name, year, source``)."""
    return read_reference("regency_renames.csv").astype({"year": int})


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


#: Inside a name, spaces, hyphens and the word "dan" are written either way by regional pages
#: ("Labuhan Batu" and "Labuhanbatu", "Tulangbawang" and "Tulang Bawang", "Pangkajene dan
#: Kepulauan" and "Pangkajene Kepulauan"); the compact key drops them. A test checks that no two
#: of the 514 names share a compact key that did not share their plain one.
_COMPACT_DROP = re.compile(r"(?<![^\s-])dan(?![^\s-])|[\s-]+")


def _compact_key(key: str) -> str:
    """``_name_key`` without the spaces, hyphens and ``dan`` inside the name (the kind word kept apart)."""
    kind, _, bare = key.partition(" ")
    if kind not in ("kabupaten", "kota") or not bare:
        return _COMPACT_DROP.sub("", key)
    return f"{kind} {_COMPACT_DROP.sub('', bare)}"


_PARENTHESIS = re.compile(r"^(?P<main>[^(]*?)\s*\((?P<inner>[^)]*)\)\s*$")


def name_variants(name: str) -> list[str]:
    """The spellings a canonical gazetteer name stands for.

    ``Kabupaten Selayar (Kepulauan Selayar)`` is also ``Kabupaten Selayar`` and
    ``Kabupaten Kepulauan Selayar``; ``Kabupaten Adm. Kepulauan Seribu`` also
    ``Kabupaten Kepulauan Seribu``.
    """
    variants = [name]
    kind, _, rest = name.partition(" ")
    match = _PARENTHESIS.match(rest)
    if match:
        inner = match.group("inner")
        variants += [f"{kind} {match.group('main')}", f"{kind} {inner}"]
    for variant in list(variants):
        if re.search(r"\badm\.?\s", variant, flags=re.IGNORECASE):
            variants.append(re.sub(r"\badm\.?\s+", "", variant, flags=re.IGNORECASE))
    return list(dict.fromkeys(variants))


#: Words of a kind column (``Jenis``) and what they mean; also never taken as a partial name.
_KIND_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota", "kotamadya": "kota",
               "kota madya": "kota", "pemkab": "kabupaten", "pemkot": "kota"}


#: At most this many names are listed for a partial name ("Timur" is in 40 names); the rest are counted.
MAX_SUGGESTIONS = 10

#: Between the names of a suggestion (``Kabupaten Kutai Barat or Kabupaten Kutai Timur``).
OR = " or "


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
        for rid, name, former in zip(table["regency_id"], table["regency"], table["former_name"]):
            names = name_variants(name) + (name_variants(former) if isinstance(former, str) else [])
            for variant in names:
                key = _name_key(variant)
                for index, k in ((self._full, key), (self._bare, key.split(" ", 1)[1]),
                                 (self._full, _compact_key(key)), (self._bare, _compact_key(key).split(" ", 1)[1])):
                    if rid not in index.setdefault(k, []):
                        index[k].append(rid)
        by_name = {n: r for n, r in zip(table["regency"], table["regency_id"])}
        self._alias: dict[str, int] = {}
        #: Every alias as written -> the canonical name, for suggestions (``Kotimm`` is nearest to ``Kotim``).
        self._alias_names: dict[str, str] = {}
        for alias, target in zip(*(read_reference("regency_aliases.csv")[c] for c in ("alias", "regency"))):
            if target not in by_name:
                raise ReferenceTableError(f"regency_aliases.csv maps {alias!r} to unknown regency {target!r}")
            self._alias[_name_key(alias)] = by_name[target]
            self._alias_names[alias] = target
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

    def resolve(self, raw: object, province: object = None, kind: object = None) -> Resolution:
        """Resolve one raw name (or code) to a regency id.

        Args:
            raw: The name as written (``Kab. Paser``, ``KOTIM``, ``64.02``).
            province: Province as written, used only to choose between
                regencies of the same name in different provinces.
            kind: ``Kabupaten``/``Kab``/``Kota`` as written in a kind column,
                used only to choose between a kabupaten and a kota of the
                same bare name (``Malang``).

        Returns:
            A ``Resolution``; on failure ``regency_id`` is None and ``reason``
            is ``blank_regency`` (an empty cell), ``unknown_regency`` or
            ``ambiguous_regency`` with a suggestion.
        """
        cache_key = (str(raw), "" if means_missing(province) else str(province),
                     "" if means_missing(kind) else str(kind))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(raw, province, kind)
        return self._cache[cache_key]

    def containing(self, text: object) -> list[str]:
        """Every canonical name that contains ``text`` as whole words (``Kutai`` -> the three Kutai regencies)."""
        key = _name_key(text)
        if len(key) < 3 or key in _KIND_WORDS:
            return []
        pattern = re.compile(rf"(?<![\w]){re.escape(key)}(?![\w])")
        return [name for name in self._choices if pattern.search(_name_key(name))]

    def suggest(self, text: object, choices: list[str] | None = None) -> str | None:
        """The suggestion for a name that does not resolve: every name containing it, else the nearest one."""
        hits = self.containing(text)
        if hits:
            shown = hits[:MAX_SUGGESTIONS]
            more = f" (and {len(hits) - len(shown)} more)" if len(hits) > len(shown) else ""
            return OR.join(shown) + more
        return self._nearest(text, choices or self._choices) or self._nearest(text, self._choices)

    def _nearest(self, text: object, names: list[str]) -> str | None:
        """The canonical name nearest to ``text`` among ``names`` and their aliases together."""
        allowed = set(names)
        spellings = dict.fromkeys(names, "")
        spellings.update({alias: "" for alias, target in self._alias_names.items() if target in allowed})
        hit = nearest(text, list(spellings))
        return self._alias_names.get(hit, hit) if hit is not None else None

    def _resolve(self, raw: object, province: object, kind: object = None) -> Resolution:
        if means_missing(raw):
            return Resolution(None, "blank_regency", None)
        text = str(raw).strip()
        if text in self._codes:
            return Resolution(self._codes[text])
        if text.isdigit() and int(text) in self.table.index:
            return Resolution(int(text))
        key = _name_key(text)
        compact = _compact_key(key)
        candidates = self._full.get(key) or ([self._alias[key]] if key in self._alias else None)
        candidates = candidates or self._bare.get(key) or self._full.get(compact) or self._bare.get(compact)
        if candidates and len(candidates) > 1 and not means_missing(province):
            prov = normalise_label(province)
            candidates = [c for c in candidates if normalise_label(self.table.at[c, "province"]) == prov] or candidates
        if candidates and len(candidates) > 1 and not means_missing(kind):
            wanted = _KIND_WORDS.get(normalise_label(kind).rstrip("."))
            candidates = [c for c in candidates if self.table.at[c, "kind"] == wanted] or candidates
        if candidates and len(candidates) == 1:
            return Resolution(candidates[0])
        if candidates:
            names = OR.join(sorted(self.name(c) for c in candidates))
            return Resolution(None, "ambiguous_regency", names)
        if key.rstrip(".") in _KIND_WORDS:
            return Resolution(None, "unknown_regency", None)  # "Kota" alone: a kind, not a name to guess from
        choices = self._choices
        if not means_missing(province):
            prov = normalise_label(province)
            same = sorted(self.table.loc[self.table["province"].map(normalise_label) == prov, "regency"])
            choices = same or choices  # a misspelling usually keeps its province
        return Resolution(None, "unknown_regency", self.suggest(text, choices))


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
            if res.reason == "blank_regency":
                hint = "give a name"
            elif res.reason == "ambiguous_regency":
                hint = f"it could be {res.suggestion}"
            elif res.suggestion:
                # resolve() already suggested every name containing it, else the nearest one.
                hint = "did you mean: " + ", ".join(res.suggestion.split(OR))
            else:
                hint = "no known name is close"
            problems.append(f"{name!r} ({res.reason.replace('_', ' ')}; {hint})")
        else:
            ids.append(res.regency_id)
    if problems:
        raise UserError("unknown regency names: " + "; ".join(problems))
    return ids


@dataclass(frozen=True)
class Subject:
    """One regency a report is about, identified once.

    Attributes:
        regency_id: The regency's id (the gazetteer's).
        name: Its display name (the gazetteer's canonical name), passed unchanged to the report.
        year: The year of the report; None: the regency's latest year with an index.
        lang: The report's language.
        given: The name, alias or code as the user wrote it (named by messages, and by a comparison's file
            name); empty for a regency chosen by cohort or ``--all``.
    """

    regency_id: int
    name: str
    year: int | None = None
    lang: str = "id"
    given: str = ""

    @property
    def label(self) -> str:
        """The name as given, else the display name."""
        return self.given or self.name


def identify(names: list[str], year: int | None = None, lang: str = "id") -> list[Subject]:
    """Resolve names, aliases or codes once into subjects, in the order given.

    Raises:
        UserError: naming each value that does not resolve, with the nearest known names
            (:func:`resolve_regencies`).
    """
    names = [str(n) for n in names]
    resolver = regency_resolver()
    return [Subject(int(i), resolver.name(int(i)), year, lang, n) for n, i in zip(names, resolve_regencies(names))]


def subject_of(regency_id: int, year: int | None = None, lang: str = "id") -> Subject:
    """The subject of a regency known by its id (a member of a cohort, or of ``--all``)."""
    return Subject(int(regency_id), regency_resolver().name(int(regency_id)), year, lang)
