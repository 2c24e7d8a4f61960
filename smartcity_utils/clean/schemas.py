"""Table schemas (pandera) for the processed tables.

They check what the cleaning promises: scores on the 0 to 4 scale, known
pillar and dimension keys, one row per regency and year, a simulated flag on
every row. A failure here is a bug in the cleaning, not in the raw data (bad
raw values go to the rejects table before this point).
"""

from __future__ import annotations

import pandera.pandas as pa

from smartcity_utils.reference import (
    DIMENSION_KEYS,
    PILLAR_KEYS,
    RECOMMENDATION_SCOPES,
    RECOMMENDATION_STATUSES,
    SCORE_SCALE,
)
from smartcity_utils.values import YEAR_RANGE

_score = pa.Column(float, pa.Check.in_range(*SCORE_SCALE), nullable=True)
_year = pa.Column(int, pa.Check.in_range(*YEAR_RANGE))

SCORES = pa.DataFrameSchema(
    {
        "regency_id": pa.Column(int),
        "year": _year,
        "level": pa.Column(None, pa.Check.isin(["panel", "assessor"])),
        "pillar_key": pa.Column(None, pa.Check.isin(list(PILLAR_KEYS)), nullable=True),
        "dimension_key": pa.Column(None, pa.Check.isin(list(DIMENSION_KEYS)), nullable=True),
        "score": pa.Column(float, pa.Check.in_range(*SCORE_SCALE)),
        "is_simulated": pa.Column(bool),
        "source_file": pa.Column(None),
        "source_row": pa.Column(int, pa.Check.ge(1)),
    },
    checks=pa.Check(lambda d: d["pillar_key"].isna() ^ d["dimension_key"].isna(),
                    error="each score is for a pillar or a dimension"),
)

REGENCY_YEAR = pa.DataFrameSchema(
    {
        "regency_id": pa.Column(int),
        "regency": pa.Column(None),
        "year": _year,
        **{key: _score for key in PILLAR_KEYS + DIMENSION_KEYS},
        "final_score_reported": _score,
        "rank_reported": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "is_simulated": pa.Column(bool),
    },
    unique=["regency_id", "year"],
)

REJECTS = pa.DataFrameSchema(
    {"source_file": pa.Column(None), "source_row": pa.Column(int, pa.Check.ge(1)),
     "reason": pa.Column(None, pa.Check.str_length(min_value=1)),
     "regency_id": pa.Column("Int64", nullable=True, required=False)}
)

MANIFEST = pa.DataFrameSchema(
    {"rows_read": pa.Column(int), "rows_kept": pa.Column(int), "rows_rejected": pa.Column(int)},
    checks=pa.Check(lambda d: d["rows_read"] == d["rows_kept"] + d["rows_rejected"],
                    error="every raw row is kept or rejected"),
)


_status = pa.Column(None, pa.Check.isin(list(RECOMMENDATION_STATUSES)), nullable=True)

RECOMMENDATIONS = pa.DataFrameSchema(
    {
        "recommendation_id": pa.Column(int, unique=True),
        "regency_id": pa.Column(int),
        "regency": pa.Column(None),
        "year": _year,
        "pillar_key": pa.Column(None, pa.Check.isin(list(PILLAR_KEYS) + list(RECOMMENDATION_SCOPES)), nullable=True),
        "dimension_key": pa.Column(None, pa.Check.isin(list(DIMENSION_KEYS)), nullable=True),
        "recommendation": pa.Column(str, pa.Check.str_length(min_value=1)),
        "n_themes": pa.Column(int, pa.Check.ge(0)),
        "status_latest": _status,
        "is_simulated": pa.Column(bool),
        "source_row": pa.Column(int, pa.Check.ge(1)),
    },
    checks=pa.Check(lambda d: d["pillar_key"].isna() | d["dimension_key"].isna(),
                    error="a recommendation is for a pillar (or all, or the masterplan) or a dimension"),
)

RECOMMENDATION_STATUS = pa.DataFrameSchema(
    {"recommendation_id": pa.Column(int), "year": _year, "followup_year": _year,
     "status": pa.Column(None, pa.Check.isin(list(RECOMMENDATION_STATUSES))), "is_simulated": pa.Column(bool)},
    checks=pa.Check(lambda d: d["followup_year"] >= d["year"], error="a follow-up comes after its recommendation"),
    unique=["recommendation_id", "followup_year"],
)

RECOMMENDATION_FOLLOWUP = pa.DataFrameSchema(
    {"recommendation_id": pa.Column(int, unique=True), "followup_status": _status,
     "theme_repeated_next_year": pa.Column(bool), "is_simulated": pa.Column(bool)},
)

AGENCIES = pa.DataFrameSchema(
    {"regency_id": pa.Column(int), "year": _year, "pillar_key": pa.Column(None, pa.Check.isin(list(PILLAR_KEYS))),
     "n_agencies": pa.Column(int, pa.Check.ge(0)), "is_simulated": pa.Column(bool)},
    unique=["regency_id", "year", "pillar_key"],
)


def validate_tables(cleaned) -> None:
    """Validate the processed tables; raises ``pandera.errors.SchemaError``."""
    SCORES.validate(cleaned.scores)
    REGENCY_YEAR.validate(cleaned.regency_year)
    REJECTS.validate(cleaned.rejects)
    MANIFEST.validate(cleaned.manifest)
    RECOMMENDATIONS.validate(cleaned.recommendations)
    RECOMMENDATION_STATUS.validate(cleaned.recommendation_status)
    RECOMMENDATION_FOLLOWUP.validate(cleaned.recommendation_followup)
    AGENCIES.validate(cleaned.agencies)
