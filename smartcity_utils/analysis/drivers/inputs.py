"""Checking a driver table before any model sees it: columns, numbers, identifiers.
"""

from __future__ import annotations

import difflib
from typing import Any, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.values import parse_number

#: Pillar keys of the evaluation, from smartcity_utils/data/pillars.csv.
DEFAULT_PILLARS: tuple[str, ...] = PILLAR_KEYS


# Column names the CLI treats as identifiers or bookkeeping, never as pillars.
_ID_NAMES = frozenset(
    {"id", "no", "nomor", "name", "nama", "city", "kota", "regency", "kabupaten",
     "country", "province", "provinsi", "cohort", "stage", "index", "unnamed: 0"}
)


_YEAR_NAMES = ("year", "tahun")


_GROUP_NAMES = ("regency_id", "kode_wilayah", "region_id")


_RANK_NAMES = ("rank", "rank_reported", "ranking", "peringkat")


class DriverConvergenceWarning(UserWarning):
    """A model fit in the driver analysis reported a convergence problem."""


# Small helpers
# ---------------------------------------------------------------------------


def _as_list(pillars: Sequence[str] | None) -> list[str]:
    if pillars is None:
        return list(DEFAULT_PILLARS)
    if isinstance(pillars, str):
        return [pillars]
    return list(pillars)


def _require_columns(df: pd.DataFrame, columns: Sequence[str], source: str = "table") -> None:
    available = [str(c) for c in df.columns]
    for col in columns:
        if col not in df.columns:
            raise DriverInputError(_missing_column_message(col, available, source))


def _missing_column_message(col: str, available: Sequence[str], source: str) -> str:
    lowered = {a.lower(): a for a in available}
    close = difflib.get_close_matches(str(col).lower(), list(lowered), n=1, cutoff=0.5)
    hint = f"; did you mean '{lowered[close[0]]}'?" if close else ""
    return (
        f"{source}: column '{col}' not found{hint} "
        f"(available columns: {', '.join(available)})"
    )


def _numeric_frame(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Returns the complete-case rows of ``columns`` as floats."""
    _require_columns(df, columns)
    out = df.loc[:, list(dict.fromkeys(columns))]
    out = out.apply(pd.to_numeric, errors="raise").astype(float).dropna()
    return out


# 8. Validation and the whole analysis
# ---------------------------------------------------------------------------


def _to_number(value: Any) -> tuple[float, bool]:
    """Parses one cell; returns (number, ok). Missing tokens parse to NaN."""
    number, reason = parse_number(value)
    if reason == "missing":
        return np.nan, True
    return (np.nan, False) if reason else (number, True)


def validate_driver_input(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    source: str = "table",
) -> pd.DataFrame:
    """Checks a table for the driver analysis and returns it with numeric columns.

    Row numbers in messages are the line numbers of the CSV file: the header
    is line 1, so the first data row is row 2. Empty cells and the tokens of
    ``data/missing_tokens.csv`` count as missing; rows with a missing target
    or pillar are dropped and their row numbers kept in
    ``result.attrs["dropped_rows"]``.

    Args:
        df: The table as read (text or numbers).
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        source: Name of the table or file, used in messages.

    Returns:
        A copy of ``df`` with the target and pillar columns as floats and
        incomplete rows removed.

    Raises:
        DriverInputError: For a missing column (naming the nearest existing
            one), a non-numeric value (naming row, column and value), fewer
            than ``len(pillars) + 2`` complete rows, or a constant column.
    """
    pillars = _as_list(pillars)
    if not pillars:
        raise DriverInputError(f"{source}: no pillar columns given")
    if target in pillars:
        raise DriverInputError(f"{source}: the target '{target}' is also listed as a pillar")
    dupes = sorted({p for p in pillars if pillars.count(p) > 1})
    if dupes:
        raise DriverInputError(f"{source}: pillar(s) listed twice: {', '.join(dupes)}")
    available = [str(c) for c in df.columns]
    for col in [target, *pillars]:
        if col not in df.columns:
            raise DriverInputError(_missing_column_message(col, available, source))

    out = df.copy()
    for col in [target, *pillars]:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[col] = series.astype(float)
            continue
        parsed = np.empty(len(series))
        for pos, value in enumerate(series.tolist()):
            number, ok = _to_number(value)
            if not ok:
                raise DriverInputError(
                    f"{source}, row {pos + 2}, column '{col}': value {str(value)!r} "
                    "is not a number"
                )
            parsed[pos] = number
        out[col] = parsed

    incomplete = out[[target, *pillars]].isna().any(axis=1).to_numpy()
    dropped = [int(i) + 2 for i in np.flatnonzero(incomplete)]
    out = out.loc[~incomplete]
    need = len(pillars) + 2
    if len(out) < need:
        extra = f" ({len(dropped)} dropped for missing values)" if dropped else ""
        raise DriverInputError(
            f"{source}: too few rows: the analysis of {len(pillars)} pillars needs at "
            f"least {need} complete rows, there are {len(out)}{extra}"
        )
    for col in [target, *pillars]:
        if out[col].nunique() <= 1:
            raise DriverInputError(
                f"{source}, column '{col}': constant column (every row is "
                f"{out[col].iloc[0]:g}); it cannot explain or be explained"
            )
    out.attrs["dropped_rows"] = dropped
    return out


def _is_id_column(name: str, target: str) -> bool:
    low = str(name).strip().lower()
    if low in _ID_NAMES or low.endswith("_id") or low.endswith(" id"):
        return True
    if low in _YEAR_NAMES or low in _RANK_NAMES:
        return True
    # Columns derived from the target (e.g. "Index_relative_X") would explain it trivially.
    return str(target).lower() in low and low != str(target).lower()


def _infer_pillars(df: pd.DataFrame, target: str) -> list[str]:
    pillars = []
    for col in df.columns:
        if col == target or _is_id_column(col, target):
            continue
        values = [_to_number(v) for v in df[col].tolist()]
        if all(ok for _, ok in values) and any(np.isfinite(v) for v, _ in values):
            pillars.append(col)
    return pillars


def _first_present(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    lowered = {str(c).lower(): c for c in df.columns}
    return next((lowered[n] for n in names if n in lowered), None)
