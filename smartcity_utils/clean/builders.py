"""The processed tables of the layouts' own: one loop over the registry of layouts.

A layout whose rows form a table of their own (not merged into ``scores``
and ``regency_year`` by the precedence rules) names, per table, the function
that builds it (:attr:`smartcity_utils.metadata.layouts.Layout.builders`).
Once the shared steps of the cleaning are done (every file read, revisions
known, the precedence rules applied, the regencies and their names known),
:func:`build_tables` calls each builder with the layout's records and
:class:`Shared`, puts the columns in the order of the table's specification
(:mod:`smartcity_utils.metadata.resources`), types them with it and
validates the table with the schema made from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from smartcity_utils.clean.rows import Collector
from smartcity_utils.metadata.layouts import table_builders
from smartcity_utils.metadata.resources import resource


@dataclass
class Shared:
    """What the shared steps of the cleaning know when the layouts' own tables are built.

    Attributes:
        out: The collector of every kept row and reject (a builder may list a reject in it).
        regencies: The table ``regencies`` (the gazetteer with cohorts).
        revisions: The names of the files that are revisions of others.
    """

    out: Collector
    regencies: pd.DataFrame
    revisions: set[str] = field(default_factory=set)

    @property
    def names(self) -> pd.DataFrame:
        """``regency_id``, ``regency`` and ``province`` of every regency."""
        return self.regencies[["regency_id", "regency", "province"]]

    def named(self, records: list[dict], table: str) -> pd.DataFrame:
        """``records`` as a frame in the columns of ``table``'s specification, its ``regency`` and ``province``
        (where the table has them) taken from ``regency_id``."""
        columns = resource(table).column_names
        named = [c for c in ("regency", "province") if c in columns]
        frame = pd.DataFrame(records, columns=[c for c in columns if c not in named])
        if named:
            frame = frame.merge(self.names[["regency_id", *named]], on="regency_id", how="left", validate="m:1")
        return frame[columns]


def build_tables(shared: Shared) -> dict[str, pd.DataFrame]:
    """Every table a registered layout builds, by name, each typed with its specification and validated.

    Raises:
        ValueError: a builder returned a table without a column of its specification, or with one it does not
            have.
        KeyError: a layout builds a table that has no specification.
        pandera.errors.SchemaError: a table breaks its schema (a bug in the builder).
    """
    from smartcity_utils.clean.schemas import schema

    tables: dict[str, pd.DataFrame] = {}
    for name, layout in table_builders().items():
        spec = resource(name)
        records = getattr(shared.out, layout.records) if layout.records else []
        frame = layout.builder_function(name)(records, shared)
        missing = [c for c in spec.column_names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in spec.column_names]
        if missing or extra:
            raise ValueError(f"the builder of table {name!r} (layout {layout.name!r}) returned a table without the "
                             f"columns {missing} and with the columns {extra}, against its specification")
        table = spec.typed(frame[spec.column_names])
        schema(name).validate(table)
        tables[name] = table
    return tables
