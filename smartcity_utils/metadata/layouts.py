"""The raw layouts: how each is recognised, what its header must hold, which parser reads it.

One :class:`Layout` per layout, in the order the layouts are named to a
user. Everything the cleaning knows about a layout as such is derived from
these entries: the layout of a sheet (``clean.sheets.detect_layout`` tries
the entries in order of :attr:`Layout.priority`), the columns it requires and
the message naming it (``clean.sheets``), the parser each sheet goes to
(:data:`PARSERS`, used by ``clean.assemble``), the lists of the
collector of kept rows (``clean.rows.Collector``, one per :attr:`Layout.records`)
and the processed tables of a layout's own (:attr:`Layout.builders`, built by
``clean.assemble`` in one loop over the registry: :func:`table_builders`).

A new layout is one parser module in ``clean/`` and one entry in
:data:`BUILT_IN` (or :func:`register` for a layout kept outside the package):
its header columns must be known to ``smartcity_utils/data/column_aliases.csv``.
Its rows reach the collector, the manifest and the rejects; a table of its own
is one builder per table (in the entry's ``builders``) and the table's
specification in :mod:`smartcity_utils.metadata.resources`. Rows merged into
``scores`` and ``regency_year`` follow the precedence rules of
``clean.precedence`` instead. The layouts are documented in ``docs/data_model.md``.

This module imports no stage: a parser or a builder is named by its module and
function (``"smartcity_utils.clean.recap:parse_recap"``) and imported when first called.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

#: Canonical names of score columns start with these: ``pillar:smart_governance``, ``dimension:baseline``.
SCORE_PREFIXES = ("pillar:", "dimension:")

#: The columns of ``published_facts.csv``, which begin the first row of a file of published facts.
PUBLISHED_COLUMNS = ["index", "year", "region", "metric", "value", "rank", "rank_of", "rank_scope", "source_url"]


@dataclass(frozen=True)
class Signature:
    """The header row that identifies a layout.

    Attributes:
        columns: Canonical columns the header row must all hold (``clean.sheets`` maps header
            cells to them through the column aliases).
        scores: What the row may hold of pillar and dimension columns: ``"any"`` (no matter),
            ``"none"`` (none: a register whose rows name pillars would otherwise read as a recap) or
            ``"needed"`` (at least one, or one of ``instead_of_scores``).
        instead_of_scores: Columns that stand for a score column where ``scores`` is ``"needed"``
            (the smart city index, ``Nilai Akhir``).
        scores_below: Score columns of the row below count too, and that row joins the header (a
            two-row header of merged group cells over pillar names).
        csv_header: The exact first columns of a CSV file's first row. Such a layout is recognised
            on that row alone, before any other reading of the file; ``columns`` is then empty.
    """

    columns: frozenset[str] = frozenset()
    scores: str = "any"
    instead_of_scores: frozenset[str] = frozenset()
    scores_below: bool = False
    csv_header: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.scores not in ("any", "none", "needed"):
            raise ValueError(f"scores must be 'any', 'none' or 'needed', not {self.scores!r}")
        if bool(self.columns) == bool(self.csv_header):
            raise ValueError("a signature gives either header columns or a CSV header, not both or neither")

    def matches(self, names: set[str], below: Callable[[], set[str]]) -> bool:
        """Whether a header row holding the canonical columns ``names`` is of this layout.

        Args:
            names: The canonical columns of the row.
            below: The canonical columns of the row below (called only where ``scores_below``).
        """
        if not self.columns or not self.columns <= names:
            return False
        has_scores = any(n.startswith(SCORE_PREFIXES) for n in names)
        if self.scores == "none":
            return not has_scores
        if self.scores == "needed":
            return (has_scores or bool(self.instead_of_scores & names)
                    or (self.scores_below and any(n.startswith(SCORE_PREFIXES) for n in below())))
        return True


@dataclass(frozen=True)
class Layout:
    """One raw layout.

    Attributes:
        name: The layout's name (the manifest's ``layout``, the rejects' ``layout``).
        priority: Where it is tried when a header row is matched: lower first. A row may be the header
            of several layouts (a recommendations register's, over a row naming a pillar, reads as a
            recap's two-row header); the first that matches is the sheet's layout. Unique among the
            layouts.
        signature: The header that identifies it.
        description: How the message for a file of no known layout names it.
        parser: The function that reads a sheet of this layout into the collector, as
            ``"module:function"`` or the function itself; called as ``parser(sheet, out)``.
        required: Canonical columns a sheet of the layout must have (an error names the missing ones).
        labels: Whether label rows above the header (``Tahun:`` ``2024``) may give a required column.
        records: The list of the collector (``clean.rows.Collector``) its parser keeps its rows in.
        tables: The processed tables its rows end up in.
        builders: The tables of its own, each with the function that makes it from the layout's records, as
            ``"module:function"`` or the function itself; called as ``builder(records, shared)`` once the shared
            steps of the cleaning are done (``shared``: a ``clean.builders.Shared``), it returns the table with
            the columns of its specification (:mod:`smartcity_utils.metadata.resources`). Given as a mapping or
            as ``(table, builder)`` pairs; each table is one of ``tables``.
        near_miss: Said of a header row that holds ``signature.columns`` but matches no layout
            (completes "Row 5 has the columns ... but ").
    """

    name: str
    priority: int
    signature: Signature
    description: str
    parser: str | Callable
    required: frozenset[str] = frozenset()
    labels: bool = False
    records: str = ""
    tables: tuple[str, ...] = ()
    near_miss: str = ""
    builders: tuple[tuple[str, str | Callable], ...] = ()

    def __post_init__(self) -> None:
        pairs = tuple(self.builders.items()) if isinstance(self.builders, Mapping) else tuple(self.builders)
        object.__setattr__(self, "builders", pairs)
        outside = [table for table, _ in pairs if table not in self.tables]
        if outside:
            raise ValueError(f"layout {self.name!r} builds {outside}, which are not among its tables {self.tables}")
        built = [table for table, _ in pairs]
        if len(set(built)) != len(built):
            raise ValueError(f"layout {self.name!r} names a table twice in its builders")

    def builder_function(self, table: str) -> Callable:
        """The function that builds ``table`` (imported when first asked for, where it is named as a string).

        Raises:
            KeyError: the layout builds no such table.
        """
        builder = dict(self.builders)[table]
        return _resolve(builder) if isinstance(builder, str) else builder

    def parser_function(self) -> Callable:
        """The parser itself (imported when first asked for, where it is named as ``"module:function"``)."""
        return _resolve(self.parser) if isinstance(self.parser, str) else self.parser

    def parse(self, sheet, out) -> None:
        """Read ``sheet`` (its layout and header found) into the collector ``out`` with this layout's parser."""
        self.parser_function()(sheet, out)


@functools.cache
def _resolve(path: str) -> Callable:
    """The function named ``"module:function"``."""
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)


def _columns(*names: str) -> frozenset[str]:
    return frozenset(names)


#: The layouts of the package, in the order they are named to a user.
BUILT_IN = (
    # Strict: a recap names at least one pillar, dimension or smart city index column (in its header row or,
    # under merged group cells, in the next); a regency and a generic total ("Skor Total | Ranking", a budget
    # ranking) could be anything.
    Layout("recap", 60,
           Signature(_columns("regency"), scores="needed", instead_of_scores=_columns("final_score"),
                     scores_below=True),
           "a recap (a 'Kabupaten/Kota' column and at least one pillar, dimension or smart city index column "
           "such as 'Nilai Akhir' or 'Indeks Smart City')",
           "smartcity_utils.clean.recap:parse_recap", records="recap", tables=("regency_year", "scores"),
           near_miss="no pillar, dimension or smart city index column, so it is not a recap"),
    Layout("assessor", 30, Signature(_columns("pillar", "dimension", "score")),
           "an assessor sheet ('No | Pilar | Dimensi | Nilai')",
           "smartcity_utils.clean.assessor:parse_assessor",
           required=_columns("pillar", "dimension", "score", "regency", "year"), labels=True,
           records="scores", tables=("scores", "regency_year", "recommendations")),
    Layout("form", 20, Signature(_columns("question_code", "score")),
           "a form export ('Kode Pertanyaan', 'Nilai')",
           "smartcity_utils.clean.form:parse_form", required=_columns("regency", "year", "assessor", "score"),
           records="form", tables=("scores", "regency_year", "recommendations")),
    Layout("quick_wins", 10, Signature(_columns("regency", "programme_name")),
           "a Quick Win register ('Nama Program')",
           "smartcity_utils.clean.quick_wins:parse_quick_wins", required=_columns("regency", "year", "pillar"),
           records="quick_wins", tables=("quick_wins",),
           builders={"quick_wins": "smartcity_utils.clean.quick_wins:quick_wins_table"}),
    Layout("cohorts", 70, Signature(_columns("regency", "cohort_year")),
           "a cohort register ('Angkatan')",
           "smartcity_utils.clean.cohorts:parse_cohorts", required=_columns("regency", "cohort_year"),
           records="cohorts", tables=("regencies", "regency_year")),
    Layout("groups", 80, Signature(_columns("year", "evaluation_group", "rank_of")),
           "an evaluation-group register ('Tahun | Kelompok | Jumlah Peserta')",
           "smartcity_utils.clean.groups:parse_groups", records="groups", tables=("evaluation_groups",)),
    Layout("published", 0, Signature(csv_header=tuple(PUBLISHED_COLUMNS)),
           "published facts",
           "smartcity_utils.clean.published:parse_published", records="published",
           tables=("published_facts", "regency_year", "scores"),
           builders={"published_facts": "smartcity_utils.clean.published:published_facts_table"}),
    # Before the recap: its rows name pillars ("Smart Governance"), which would read as a recap's second header row.
    Layout("recommendations", 40, Signature(_columns("regency", "recommendation"), scores="none"),
           "a recommendations register ('Kabupaten/Kota | Tahun | Pilar | Rekomendasi')",
           "smartcity_utils.clean.recommendations:parse_recommendations",
           required=_columns("regency", "year", "recommendation"), records="recommendations",
           tables=("recommendations", "recommendation_status", "recommendation_followup")),
    Layout("agencies", 50, Signature(_columns("regency", "n_agencies"), scores="none"),
           "an agencies register ('Kabupaten/Kota | Tahun | Pilar | Jumlah OPD')",
           "smartcity_utils.clean.agencies:parse_agencies",
           required=_columns("regency", "year", "pillar", "n_agencies"), records="agencies", tables=("agencies",),
           builders={"agencies": "smartcity_utils.clean.agencies:agencies_table"}),
)


_REGISTRY: dict[str, Layout] = {}


def register(layout: Layout) -> Layout:
    """Add a layout; returns it.

    Raises:
        ValueError: a layout of that name, or of that priority, is registered already, or a table it builds is
            built by another layout.
    """
    if layout.name in _REGISTRY:
        raise ValueError(f"layout {layout.name!r} is registered already")
    for table, _ in layout.builders:
        other = next((e.name for e in _REGISTRY.values() if table in dict(e.builders)), None)
        if other is not None:
            raise ValueError(f"layout {layout.name!r} builds table {table!r}, which layout {other!r} builds already")
    same = [e.name for e in _REGISTRY.values() if e.priority == layout.priority]
    if same:
        raise ValueError(f"layout {layout.name!r} has the priority {layout.priority} of layout {same[0]!r}; "
                         "give it another, so that the order of detection is explicit")
    _REGISTRY[layout.name] = layout
    return layout


def unregister(name: str) -> None:
    """Remove the layout ``name`` (a layout registered for a while, as a test does).

    Raises:
        KeyError: no layout of that name.
    """
    del _REGISTRY[name]


for _layout in BUILT_IN:
    register(_layout)


def get(name: str) -> Layout:
    """The layout of that name.

    Raises:
        KeyError: no layout of that name.
    """
    return _REGISTRY[name]


def all_layouts() -> tuple[Layout, ...]:
    """Every layout, in the order they are named to a user (the built-in ones first)."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """The names of every layout, in the order of :func:`all_layouts`."""
    return tuple(_REGISTRY)


def by_priority() -> tuple[Layout, ...]:
    """Every layout in the order detection tries them (:attr:`Layout.priority`, lowest first)."""
    return tuple(sorted(_REGISTRY.values(), key=lambda layout: layout.priority))


def expected_layouts() -> str:
    """The layouts a file could be, as the message for a file of none of them names them."""
    described = [layout.description for layout in _REGISTRY.values()]
    return ", ".join(described[:-1]) + " or " + described[-1] if len(described) > 1 else "".join(described)


def record_lists() -> tuple[str, ...]:
    """The collector's lists of kept rows: one per :attr:`Layout.records`, in the order of :func:`all_layouts`."""
    return tuple(dict.fromkeys(layout.records for layout in _REGISTRY.values() if layout.records))


def table_builders() -> dict[str, Layout]:
    """Table -> the layout that builds it (:attr:`Layout.builders`), in the order of :func:`all_layouts`."""
    return {table: layout for layout in _REGISTRY.values() for table, _ in layout.builders}


class _Parsers(Mapping):
    """Layout name -> the function that parses a sheet of it, over the layouts registered now."""

    def __getitem__(self, name: str) -> Callable:
        return _REGISTRY[name].parse

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


#: Layout name -> ``parse(sheet, out)``; a layout registered later is in it too.
PARSERS: Mapping[str, Callable] = _Parsers()
