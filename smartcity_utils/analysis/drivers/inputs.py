"""Checking a driver table before any model sees it: columns, numbers, identifiers; and the regency-years
the national driver models take, after notebook 03's filters (:func:`driver_inputs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils.analysis.gate import driver_frame
from smartcity_utils.errors import DriverInputError, UserError
from smartcity_utils.reference import PILLAR_KEYS, nearest
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


_RANK_NAMES = ("rank", "rank_reported", "rank_computed", "ranking", "peringkat")


#: Column names of the evaluation group, within which (and within year) ranks are formed.
_EVALUATION_GROUP_NAMES = ("evaluation_group", "kelompok", "group")


class DriverConvergenceWarning(UserWarning):
    """A model fit in the driver analysis reported a convergence problem."""


# Small helpers
# ---------------------------------------------------------------------------


def pillars_or_default(pillars: Sequence[str] | None) -> list[str]:
    if pillars is None:
        return list(DEFAULT_PILLARS)
    if isinstance(pillars, str):
        return [pillars]
    return list(pillars)


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str = "table") -> None:
    available = [str(c) for c in df.columns]
    for col in columns:
        if col not in df.columns:
            raise DriverInputError(missing_column_message(col, available, source))


def missing_column_message(col: str, available: Sequence[str], source: str) -> str:
    close = nearest(col, list(available))
    hint = f"; did you mean '{close}'?" if close else ""
    return (
        f"{source}: column '{col}' not found{hint} "
        f"(available columns: {', '.join(available)})"
    )


def numeric_frame(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Returns the complete-case rows of ``columns`` as floats."""
    require_columns(df, columns)
    out = df.loc[:, list(dict.fromkeys(columns))]
    out = out.apply(pd.to_numeric, errors="raise").astype(float).dropna()
    return out


# 8. Validation and the whole analysis
# ---------------------------------------------------------------------------


#: The largest magnitude a target, pillar or rank value may have. The models square and multiply values
#: (sums of squares, cross products, fourth moments for the intervals): at 1e308 a square overflows to
#: infinity and at 1e200 a cross product does, which once gave a traceback or a wrong "perfectly
#: collinear". 1e50 keeps every such product finite, far above any score, index, rupiah amount
#: (GRDP is about 1e15) or count; a larger value is a typo or a unit to change.
MAX_MAGNITUDE = 1e50


def _to_number(value: Any) -> tuple[float, bool]:
    """Parses one cell; returns (number, ok). Missing tokens parse to NaN."""
    number, reason = parse_number(value)
    if reason == "missing":
        return np.nan, True
    if reason == "not_a_number" and isinstance(value, str) and value.strip().lstrip("+-").casefold() in ("inf",
                                                                                                           "infinity"):
        return float(value.strip()), True  # named as infinite by validate_driver_input
    return (np.nan, False) if reason else (number, True)


def validate_driver_input(
    df: pd.DataFrame,
    target: str,
    pillars: Sequence[str] | None = None,
    source: str = "table",
    rank_col: str | None = None,
) -> pd.DataFrame:
    """Checks a table for the driver analysis and returns it with numeric columns.

    Row numbers in messages are the line numbers of the CSV file: the header
    is line 1, so the first data row is row 2. Empty cells and the tokens of
    ``data/missing_tokens.csv`` count as missing; rows with a missing target
    or pillar are dropped and their row numbers kept in
    ``result.attrs["dropped_rows"]``; the CSV line of every kept row is in
    ``result.attrs["row_numbers"]``. A rank column, when given and present,
    is parsed the same way (a bad cell stops the run); a missing rank leaves
    the row in, for the methods that do not use the rank.

    Args:
        df: The table as read (text or numbers).
        target: Column holding the composite score.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        source: Name of the table or file, used in messages.
        rank_col: Optional rank column, parsed to floats when present.

    Returns:
        A copy of ``df`` with the target, pillar and rank columns as floats and
        incomplete rows removed.

    Raises:
        DriverInputError: For a missing column (naming the nearest existing
            one), a non-numeric value (naming row, column and value), fewer
            than ``len(pillars) + 2`` complete rows, or a constant column.
    """
    pillars = pillars_or_default(pillars)
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
            raise DriverInputError(missing_column_message(col, available, source))

    out = df.copy()
    numeric = [target, *pillars]
    if rank_col is not None and rank_col in df.columns and rank_col not in numeric:
        numeric.append(rank_col)
    for col in numeric:
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
    for col in numeric:
        bad = ~np.isfinite(out[col].to_numpy(float)) & out[col].notna().to_numpy()
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DriverInputError(
                f"{source}, row {pos + 2}, column '{col}': value {str(df[col].iloc[pos])!r} is infinite; "
                "replace it with a number or leave the cell empty")
        huge = np.abs(np.nan_to_num(out[col].to_numpy(float))) > MAX_MAGNITUDE
        if huge.any():
            pos = int(np.flatnonzero(huge)[0])
            raise DriverInputError(
                f"{source}, row {pos + 2}, column '{col}': value {str(df[col].iloc[pos])!r} is beyond "
                f"{MAX_MAGNITUDE:g} in size, which the models cannot compute with (its square overflows); "
                "correct it, or rescale the column (e.g. in millions)")

    incomplete = out[[target, *pillars]].isna().any(axis=1).to_numpy()
    dropped = [int(i) + 2 for i in np.flatnonzero(incomplete)]
    kept = [int(i) + 2 for i in np.flatnonzero(~incomplete)]
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
    check_rank(out[pillars], source)
    out.attrs["dropped_rows"] = dropped
    out.attrs["row_numbers"] = kept
    return out


def collinear_columns(values: np.ndarray, names: Sequence[Any]) -> tuple[int, list[Any]]:
    """Rank of a design and the columns in its null space (those that are exact linear combinations).

    Columns are scaled to unit length first, so that the rank does not depend
    on their units.

    Args:
        values: The design, one column per name.
        names: Name of every column.

    Returns:
        ``(rank, involved)``: ``involved`` is empty when the design has full rank.
    """
    z = np.asarray(values, dtype=float)
    scale = np.linalg.norm(z, axis=0)
    scale[scale == 0] = 1.0
    z = z / scale
    rank = int(np.linalg.matrix_rank(z))
    if rank == z.shape[1]:
        return rank, []
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    null = np.abs(vt[rank:]).max(axis=0)
    return rank, [c for c, v in zip(names, null) if v > 1e-6]


def check_rank(pillars: pd.DataFrame, source: str = "table") -> None:
    """Stops when some pillars are an exact linear combination of others (and a constant).

    Raises:
        DriverInputError: naming the columns involved.
    """
    values = pillars.to_numpy(float)
    values = np.column_stack([np.ones(len(values)), values - values.mean(axis=0)])
    rank, involved = collinear_columns(values, [None, *map(str, pillars.columns)])
    if rank == values.shape[1]:
        return
    involved = [c for c in involved if c is not None]
    raise DriverInputError(
        f"{source}: the pillars {', '.join(involved)} are perfectly collinear (one is an exact linear "
        f"combination of the others; rank {rank - 1} of {pillars.shape[1]}); their separate effects cannot "
        "be told apart: drop one of them with --pillars")


def _is_id_column(name: str, target: str) -> bool:
    """Identifiers and bookkeeping columns: never pillars (the target itself is handled apart)."""
    low = str(name).strip().lower()
    if low in _ID_NAMES or low.endswith("_id") or low.endswith(" id"):
        return True
    return low in _YEAR_NAMES or low in _RANK_NAMES or low in _EVALUATION_GROUP_NAMES


#: Share of a column's variance explained by a smooth function of the target (a cubic in it), or squared rank
#: correlation with it, at or above which the column is taken as a copy of the target (shifted, rescaled,
#: transformed): it holds no information the target lacks. 0.99 leaves genuine pillars of a composite alone
#: (a pillar of six with a correlation of 0.9 among them explains about 0.92 of it) and catches copies (1.000).
TARGET_COPY_R2 = 0.99


def _numbers(series: pd.Series) -> np.ndarray:
    """The cells of a column as floats (NaN where not a number, missing or beyond :data:`MAX_MAGNITUDE`,
    which :func:`validate_driver_input` then names), without raising."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(float)
    else:
        values = np.array([v if ok else np.nan for v, ok in (_to_number(x) for x in series.tolist())], float)
    return np.where(np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE, np.nan, values)


def target_function_fit(column: pd.Series, target: pd.Series) -> float:
    """How far ``column`` is a function of ``target``: the larger of the squared Spearman correlation and the
    R-squared of the column on a cubic in the (standardised) target, over rows where both are numbers."""
    from scipy import stats

    x, y = _numbers(target), _numbers(column)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 5 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return 0.0
    x, y = x[ok], y[ok]
    z = (x - x.mean()) / x.std()
    design = np.column_stack([np.ones_like(z), z, z**2, z**3])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1.0 - float(resid @ resid) / float(np.sum((y - y.mean()) ** 2))
    rho = float(stats.spearmanr(x, y)[0])
    return max(r2, rho**2 if np.isfinite(rho) else 0.0)


def target_copies(df: pd.DataFrame, target: str, columns: Sequence[str]) -> dict[str, float]:
    """Columns that are (almost) a function of the target, with their fit (:func:`target_function_fit`)."""
    fits = {str(c): target_function_fit(df[c], df[target]) for c in columns}
    return {c: f for c, f in fits.items() if f >= TARGET_COPY_R2}


def infer_pillars(df: pd.DataFrame, target: str) -> tuple[list[str], dict[str, str]]:
    """Pillar columns of a table from its header, and the columns left out with the reason.

    A column is a pillar unless it is the target, an identifier or
    bookkeeping column (``id``, ``*_id``, names, year, rank, group), holds
    no number at all (a text column such as a name), or is (almost) a
    function of the target (:data:`TARGET_COPY_R2`: the target shifted,
    rescaled or transformed, which would "explain" it perfectly). The cells of the chosen
    columns are not judged here: :func:`validate_driver_input` checks every
    one and names the column, CSV line and value of a bad cell, so one bad
    cell never makes a pillar disappear.

    Returns:
        ``(pillars, left_out)``: left_out maps column -> reason.
    """
    pillars: list[str] = []
    left_out: dict[str, str] = {}
    for col in df.columns:
        if col == target:
            continue
        if _is_id_column(col, target):
            left_out[str(col)] = "identifier or bookkeeping column"
            continue
        values = [_to_number(v) for v in df[col].tolist()]
        if not any(ok and np.isfinite(v) for v, ok in values):
            left_out[str(col)] = "no numbers (text column)"
            continue
        fit = target_function_fit(df[col], df[target])
        if fit >= TARGET_COPY_R2:
            left_out[str(col)] = (f"(almost) a function of the target '{target}' (fit {fit:.4f}): a copy, shift or "
                                  "rescaling of what is to be explained, not a pillar")
            continue
        pillars.append(col)
    return pillars, left_out


def fixed_effects(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The one dummy coding of the driver models: one 0/1 column per level of each column but its first
    (``year_2020``, ...), so that a model with a constant stays identified."""
    parts = [pd.get_dummies(data[col].astype(str), prefix=col, drop_first=True, dtype=float) for col in columns]
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index)


def first_present(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    lowered = {str(c).lower(): c for c in df.columns}
    return next((lowered[n] for n in names if n in lowered), None)


#: Targets of the driver notebook: the headline itself, or the rank expressed as a
#: within-year percentile (100 = best), comparable across groups of different sizes.
DRIVER_TARGETS = {"final_score": "final_score", "rank": "percentile_year"}


def driver_inputs(index_ranks: pd.DataFrame, years: list[int] | None = None, evaluation_group: str = "",
                  target: str = "final_score") -> tuple[pd.DataFrame, str]:
    """Rows and target column for the driver models, after the notebook's filters.

    Raises:
        ValueError: for an unknown target, group, or years without data, naming what exists.
    """
    if target not in DRIVER_TARGETS:
        raise UserError(f"target {target!r} is not one of {sorted(DRIVER_TARGETS)}")
    frame = driver_frame(index_ranks)
    if years:
        unknown = sorted(set(years) - set(frame["year"]))
        if unknown:
            known = sorted(int(y) for y in set(frame["year"]))
            raise UserError(f"no complete rows for years {unknown}; years with data: {known}")
        frame = frame[frame["year"].isin(years)]
    if evaluation_group:
        groups = sorted(set(frame["evaluation_group"].dropna()))
        if evaluation_group not in groups:
            raise UserError(f"evaluation group {evaluation_group!r} not found; groups: {groups}")
        frame = frame[frame["evaluation_group"] == evaluation_group]
    return frame.dropna(subset=[DRIVER_TARGETS[target]]).reset_index(drop=True), DRIVER_TARGETS[target]
