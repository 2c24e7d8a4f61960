"""Table schemas (pandera) for the processed tables, made from their specifications.

They check what the cleaning promises, every column of every table as
:mod:`smartcity_utils.metadata.resources` specifies it: the columns and
their order, their types, which may be empty, the values they hold (scores
on the 0 to 4 scale, known pillar and dimension keys, years, statuses), the
key of each table (one row per regency and year ...) and the rules that
span columns. A failure here is a bug in the cleaning, not in the raw data
(bad raw values go to the rejects table before this point).
"""

from __future__ import annotations

import pandera.pandas as pa

from smartcity_utils.metadata.fields import Check, Field
from smartcity_utils.metadata.resources import Resource, resource, resources

#: The dtype pandera checks for a type of the specifications; text and mixed columns are not typed (a column of
#: text is ``object`` or ``str`` depending on how it was built, and ``object`` when empty).
_DTYPES = {"string": None, "object": None}


def _check(check: Check) -> pa.Check:
    if check.kind == "range":
        return pa.Check.in_range(*check.values)
    if check.kind == "one_of":
        return pa.Check.isin(list(check.values))
    if check.kind == "at_least":
        return pa.Check.ge(check.values[0])
    if check.kind == "not_blank":
        return pa.Check.str_length(min_value=1)
    raise ValueError(f"unknown check {check.kind!r}")


def column_schema(field: Field, unique: bool = False) -> pa.Column:
    """The pandera column of a field."""
    return pa.Column(_DTYPES.get(field.type, field.type), [_check(c) for c in field.checks],
                     nullable=field.nullable, unique=unique)


def table_schema(spec: Resource) -> pa.DataFrameSchema:
    """The pandera schema of a table: every column in order (no other), its key unique, its checks."""
    single = spec.primary_key[0] if len(spec.primary_key) == 1 else None
    return pa.DataFrameSchema(
        {c.name: column_schema(c, unique=c.name == single) for c in spec.columns},
        checks=[pa.Check(c.test, error=c.description) for c in spec.checks],
        unique=list(spec.primary_key) if len(spec.primary_key) > 1 else None,
        strict=True, ordered=True, name=spec.name)


#: The schema of every processed table, by name.
SCHEMAS: dict[str, pa.DataFrameSchema] = {spec.name: table_schema(spec) for spec in resources("processed")}

SCORES = SCHEMAS["scores"]
REGENCY_YEAR = SCHEMAS["regency_year"]
REJECTS = SCHEMAS["rejects"]
MANIFEST = SCHEMAS["manifest"]
RECOMMENDATIONS = SCHEMAS["recommendations"]
RECOMMENDATION_STATUS = SCHEMAS["recommendation_status"]
RECOMMENDATION_FOLLOWUP = SCHEMAS["recommendation_followup"]
AGENCIES = SCHEMAS["agencies"]


def schema(name: str) -> pa.DataFrameSchema:
    """The schema of the processed table ``name``: from :data:`SCHEMAS`, or made from the specification of a table
    registered later (:func:`smartcity_utils.metadata.resources.register`)."""
    spec = resource(name)
    return SCHEMAS[name] if _SPECS.get(name) is spec else table_schema(spec)


_SPECS = {spec.name: spec for spec in resources("processed")}


def validate_tables(cleaned) -> None:
    """Validate every processed table of ``cleaned``; raises ``pandera.errors.SchemaError``."""
    for name, table in cleaned.tables().items():
        if table is not None:
            schema(name).validate(table)
