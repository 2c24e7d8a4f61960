"""Leave one pillar out: how ranks move when one pillar is dropped from a composite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import _as_list, _require_columns
from smartcity_utils.analysis.ranks import competition_rank
from smartcity_utils.errors import DriverInputError

# 6. Leave one pillar out
# ---------------------------------------------------------------------------


@dataclass
class LeaveOneOutResult:
    """Outcome of :func:`leave_one_pillar_out`.

    Attributes:
        table: One row per pillar: ``pillar, method ("leave_one_out"),
            estimate`` (mean absolute rank shift), ``ci_low, ci_high`` (NaN:
            the recomputation is deterministic), ``mean_abs_shift,
            max_abs_shift, share_moved, weight, n``.
        shifts: One row per unit and dropped pillar: ``unit, group, pillar,
            rank_base, rank_without, shift`` (positive = the unit falls).
    """

    table: pd.DataFrame
    shifts: pd.DataFrame


def leave_one_pillar_out(
    df: pd.DataFrame,
    pillars: Sequence[str] | None = None,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
) -> LeaveOneOutResult:
    """Rank shifts when each pillar in turn is dropped from the composite.

    The composite is the weighted sum of the pillars with the weights scaled
    to sum 1. Dropping a pillar rescales the remaining weights to sum 1 (the
    JRC practice, so the composite stays on the same scale), and units are
    re-ranked: highest composite = rank 1, ties share the better rank
    ("min"). Ranks are formed within ``group_col`` (e.g. year) when given.

    Args:
        df: One row per unit.
        pillars: Pillar columns; defaults to :data:`DEFAULT_PILLARS`.
        weights: Weights as a mapping or a sequence in pillar order; equal
            weights by default.
        id_col: Column naming the units in ``shifts``; the row label otherwise.
        group_col: Optional column within which units are ranked.

    Returns:
        A :class:`LeaveOneOutResult`.

    Raises:
        DriverInputError: If a column is missing, the weights do not match
            the pillars, or dropping a pillar leaves weights summing to zero.
    """
    pillars = _as_list(pillars)
    extra = [c for c in (id_col, group_col) if c is not None]
    _require_columns(df, [*pillars, *extra])
    if weights is None:
        w = pd.Series(1.0, index=pillars)
    elif isinstance(weights, Mapping):
        missing = [p for p in pillars if p not in weights]
        if missing:
            raise DriverInputError(f"weights lack pillar(s): {', '.join(missing)}")
        w = pd.Series({p: float(weights[p]) for p in pillars})
    else:
        vals = np.asarray(list(weights), dtype=float)
        if vals.shape != (len(pillars),):
            raise DriverInputError(f"{len(vals)} weights given for {len(pillars)} pillars")
        w = pd.Series(vals, index=pillars)
    if w.sum() == 0:
        raise DriverInputError("weights sum to zero")
    w = w / w.sum()

    data = df.loc[:, list(dict.fromkeys([*pillars, *extra]))].copy()
    data[pillars] = data[pillars].apply(pd.to_numeric, errors="raise").astype(float)
    data = data.dropna(subset=pillars)
    groups = data[group_col] if group_col else None
    units = data[id_col] if id_col else pd.Series(data.index, index=data.index)
    base = competition_rank(data[pillars] @ w, groups)

    summary, long = [], []
    for p in pillars:
        rest = w.drop(p)
        if rest.sum() == 0:
            raise DriverInputError(f"dropping '{p}' leaves weights that sum to zero")
        rest = rest / rest.sum()
        without = competition_rank(data[rest.index] @ rest, groups)
        shift = without - base
        long.append(pd.DataFrame({
            "unit": units.to_numpy(),
            "group": groups.to_numpy() if groups is not None else np.nan,
            "pillar": p,
            "rank_base": base.to_numpy(),
            "rank_without": without.to_numpy(),
            "shift": shift.to_numpy(),
        }))
        abs_shift = shift.abs()
        summary.append({
            "pillar": p, "method": "leave_one_out",
            "estimate": float(abs_shift.mean()), "ci_low": np.nan, "ci_high": np.nan,
            "mean_abs_shift": float(abs_shift.mean()),
            "max_abs_shift": float(abs_shift.max()),
            "share_moved": float((abs_shift > 0).mean()),
            "weight": float(w[p]),
            "n": len(data),
        })
    shifts = pd.concat(long, ignore_index=True)
    if groups is None:
        shifts = shifts.drop(columns="group")
    return LeaveOneOutResult(table=pd.DataFrame(summary), shifts=shifts)
